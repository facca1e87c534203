"""Priority matrix and ranked improvement priorities (issue: insight analytics).

For each driver: impact = importance (% of R²) × gap ÷ 100, where the gap is on the
0–100 performance scale. Every driver's gap is measured the same way, so impacts can be
ranked: to its target when the project sets a target for every driver, otherwise to the
top of the scale (its full improvement potential). Attribute-level competitor figures
are rarely available, so competitors are not used here. With effort ratings
the quadrants are quick win (high impact, low effort), strategic (high impact, high
effort), fill-in (low impact, low effort) and reconsider (low impact, high effort);
impact is split at its mean; medium effort counts as high. Without effort ratings the
quadrant follows impact and performance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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
                     effort: dict[str, str], themes: dict[str, str], voice=None) -> list[Priority]:
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
    mean_impact = float(np.mean([p.impact for p in out])) if out else 0.0
    mean_perf = float(np.mean([p.performance for p in out])) if out else 0.0
    for p in out:
        high_impact = p.impact >= mean_impact and p.impact > 0
        if p.effort:
            easy = p.effort == "low"
            p.quadrant = {(True, True): "Quick win", (True, False): "Strategic",
                          (False, True): "Fill-in", (False, False): "Reconsider"}[(high_impact, easy)]
        else:
            p.quadrant = "Fix first" if high_impact and p.performance < mean_perf else (
                "Improve" if high_impact else "Maintain")
    out.sort(key=lambda p: (-p.impact, p.name))
    return out
