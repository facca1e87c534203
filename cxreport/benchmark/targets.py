"""Status against targets (METHODS.md §6): gap and green / amber / red.

Green when the figure meets the target; amber when it is below by no more than the
tolerance (default 5 % of the KPI's scale range: 10 NPS points, 5 percentage points,
0.3 on a 1–7 mean); red below that. Nothing is judged on a suppressed base.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from cxreport.config.schema import Project, Target
from cxreport.scoring.kpis import ItemResult, ItemSpec
from cxreport.scoring.survey import SurveyResults

Status = Literal["green", "amber", "red", "none"]


@dataclass(frozen=True)
class TargetStatus:
    key: str
    target: float
    tolerance: float
    value: float | None
    gap: float | None
    status: Status


def default_tolerance(spec: ItemSpec) -> float:
    low, high = spec.headline_scale
    return 0.05 * (high - low)


def status(value: float | None, target: float, tolerance: float) -> Status:
    """green ≥ target; amber within ``tolerance`` below; red below that; none without a value."""
    if value is None or not math.isfinite(value):
        return "none"
    if value >= target:
        return "green"
    if value >= target - tolerance:
        return "amber"
    return "red"


def judge(result: ItemResult, target: float, tolerance: float) -> TargetStatus:
    est = result.headline
    value = est.value if est.shown else None
    gap = None if value is None else value - target
    return TargetStatus(result.spec.key, target, tolerance, value, gap, status(value, target, tolerance))


@dataclass
class TargetReport:
    overall: dict[str, TargetStatus]
    segments: dict[tuple[str, str, str], TargetStatus]   # (segment name, value, item key) → status

    def for_group(self, segment: str, value: str, key: str) -> TargetStatus | None:
        return self.segments.get((segment, value, key))


def _target_config(project: Project, spec: ItemSpec) -> Target | None:
    if spec.key.startswith("attr:"):
        return project.targets.attributes.get(spec.key[5:])
    return getattr(project.targets, spec.key, None)


def evaluate_targets(project: Project, results: SurveyResults) -> TargetReport:
    overall: dict[str, TargetStatus] = {}
    segments: dict[tuple[str, str, str], TargetStatus] = {}
    for spec in results.items:
        cfg = _target_config(project, spec)
        if cfg is None:
            continue
        tolerance = cfg.tolerance if cfg.tolerance is not None else default_tolerance(spec)
        overall[spec.key] = judge(results.overall[spec.key], cfg.value, tolerance)
        for breakdown in results.segments:
            seg_targets = cfg.segments.get(breakdown.name, {})
            for group in breakdown.groups:
                value = seg_targets.get(group.label, cfg.value)
                segments[(breakdown.name, group.label, spec.key)] = judge(group.items[spec.key], value, tolerance)
    return TargetReport(overall, segments)
