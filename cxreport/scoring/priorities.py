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


def rescale(value: float, low: float, high: float) -> float:
    return 100 * (value - low) / (high - low)


def build_priorities(analysis, targets: dict[str, float], scales: dict[str, tuple[int, int]],
                     effort: dict[str, str], themes: dict[str, str], voice=None, impact=None) -> list[Priority]:
    """``analysis``: the overall DriverAnalysis;
    ``targets``: attribute → target mean; ``scales``: attribute → (low, high)."""
    theme_stats = {t.theme: t for t in (voice.themes if voice else [])}
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
    # The quadrant as the driver analysis named it; computed by the same rule (means of
    # importance and performance) for an analysis whose rows carry none.
    quadrant = {row.name: row.quadrant for row in analysis.rows if row.quadrant}
    mean_imp = float(np.mean([row.importance for row in analysis.rows])) if analysis.rows else 0.0
    mean_perf = float(np.mean([row.performance for row in analysis.rows])) if analysis.rows else 0.0
    for p in out:
        p.quadrant = quadrant.get(p.name) or QUADRANTS[(p.importance >= mean_imp, p.performance >= mean_perf)]
    out.sort(key=lambda p: (-p.impact, p.name))
    return out
