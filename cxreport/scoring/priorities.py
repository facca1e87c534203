"""Priority matrix and ranked improvement priorities (issue: insight analytics).

For each driver: impact = importance (% of R²) × gap ÷ 100, where the gap is on the
0–100 performance scale. Every driver's gap is measured the same way, so impacts can be
ranked: to its target when the project sets a target for every driver, otherwise to the
top of the scale (its full improvement potential). Attribute-level competitor figures
are rarely available, so competitors are not used here.

A driver's class is its importance–performance quadrant (METHODS.md §3, split at the
means of importance and performance), named by ``keydrivers.QUADRANTS`` and taken from the
driver analysis itself, so the drivers table and chart, the priority list, table and chart
never name one attribute's class two different ways. Effort ratings (low / medium / high)
stay a property of their own: shown beside the class (the effort column, the marker shape
on the priority chart), never folded into its name.

Evidence from the comments: a driver paired with a comment theme (``priorities.themes``)
carries the theme's comment counts and its **NPS impact** (docs/voice.md: the points of
overall NPS the theme costs, share × difference, with its 95 % interval and whether the NPS
difference behind it is significant after adjustment). The impact is evidence printed beside
the priority; it does not change the ranking, which stays by driver impact alone (the two are
on different scales, and the theme's impact is an association measured on the commenters).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cxreport.scoring.keydrivers import QUADRANTS


@dataclass
class Priority:
    name: str
    importance: float
    performance: float
    gap: float
    gap_to: str
    impact: float
    effort: str | None
    quadrant: str
    theme: str | None = None
    theme_comments: int | None = None
    theme_negative: int | None = None
    #: the paired theme's NPS impact (points of overall NPS, negative = lost) with its 95 % interval
    #: and the sign of its significant difference (−1 / 1; 0 not significant); None without one
    theme_nps_impact: float | None = None
    theme_impact_low: float | None = None
    theme_impact_high: float | None = None
    theme_impact_mark: int = 0


def rescale(value: float, low: float, high: float) -> float:
    return 100 * (value - low) / (high - low)


def build_priorities(analysis, targets: dict[str, float], scales: dict[str, tuple[int, int]],
                     effort: dict[str, str], themes: dict[str, str], voice=None, impact=None) -> list[Priority]:
    """``analysis``: the overall DriverAnalysis;
    ``targets``: attribute → target mean; ``scales``: attribute → (low, high);
    ``impact``: the study's theme impact table (themes_impact.ThemeImpactTable), evidence only."""
    theme_stats = {t.theme: t for t in (voice.themes if voice else [])}
    impacts = {t.theme: t for t in (impact.themes if impact is not None else []) if t.shown}
    all_targets = all(row.name in targets for row in analysis.rows)
    out = []
    for row in analysis.rows:
        if all_targets:
            low, high = scales[row.name]
            goal, gap_to = rescale(targets[row.name], low, high), "target"
        else:
            goal, gap_to = 100.0, "top of the scale"
        gap = max(goal - row.performance, 0.0)
        theme = themes.get(row.name)
        stats = theme_stats.get(theme) if theme else None
        out.append(Priority(row.name, row.importance, row.performance, gap, gap_to, row.importance * gap / 100,
                            effort.get(row.name), "", theme, stats.count if stats else None,
                            stats.negative if stats else None))
        row_impact = impacts.get(theme) if theme else None
        if row_impact is not None and np.isfinite(row_impact.impact):
            p = out[-1]
            p.theme_nps_impact = float(row_impact.impact)
            p.theme_impact_low = float(row_impact.impact_low) if np.isfinite(row_impact.impact_low) else None
            p.theme_impact_high = float(row_impact.impact_high) if np.isfinite(row_impact.impact_high) else None
            p.theme_impact_mark = row_impact.nps_diff.direction if row_impact.nps_diff is not None else 0
    # The quadrant as the driver analysis named it; computed by the same rule (means of
    # importance and performance) for an analysis whose rows carry none.
    quadrant = {row.name: row.quadrant for row in analysis.rows if row.quadrant}
    mean_imp = float(np.mean([row.importance for row in analysis.rows])) if analysis.rows else 0.0
    mean_perf = float(np.mean([row.performance for row in analysis.rows])) if analysis.rows else 0.0
    for p in out:
        p.quadrant = quadrant.get(p.name) or QUADRANTS[(p.importance >= mean_imp, p.performance >= mean_perf)]
    out.sort(key=lambda p: (-p.impact, p.name))
    return out
