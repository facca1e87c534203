"""Status against targets (METHODS.md §6–7): one rule, decided once, on the figure shown.

A figure is judged as the report prints it (NPS +28, CSAT 75%, a mean 5.02 —
:func:`cxreport.scoring.kpis.shown_value`), so a status never disagrees with the digits
beside it: green when the shown figure meets the target; amber when it is below by no
more than the tolerance (default 5 % of the headline's scale span: 10 NPS points, 5
percentage points, 0.3 on a 1–7 mean, 0.2 on a 1–5 mean); red below that; no status on a
suppressed base. Every place that shows a status — scorecard, segment tables, quarterly
scorecard, trend charts, journey, deck, workbook — calls :func:`judge` (or
:meth:`TargetReport.judge` for a figure of any group or period).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from cxreport.config.schema import Project, Target
from cxreport.scoring.kpis import ItemResult, ItemSpec, shown_value
from cxreport.scoring.survey import SurveyResults

Status = Literal["green", "amber", "red", "none"]


@dataclass(frozen=True)
class TargetStatus:
    key: str
    target: float
    tolerance: float
    value: float | None          # the figure as shown
    gap: float | None            # shown figure − target
    status: Status


def default_tolerance(spec: ItemSpec) -> float:
    low, high = spec.headline_scale
    return 0.05 * (high - low)


def status(value: float | None, target: float, tolerance: float, unit: str | None = None) -> Status:
    """green ≥ target; amber within ``tolerance`` below; red below that; none without a value.
    With ``unit``, ``value`` is first rounded as the report shows it."""
    if value is None or not math.isfinite(value):
        return "none"
    if unit is not None:
        value = shown_value(value, unit)
    eps = 1e-9
    if value >= target - eps:
        return "green"
    if value >= target - tolerance - eps:
        return "amber"
    return "red"


def judge(result: ItemResult, target: float, tolerance: float) -> TargetStatus:
    """The status of ``result``'s headline figure, as shown, against ``target``."""
    est = result.headline
    if not est.shown:
        return TargetStatus(result.spec.key, target, tolerance, None, None, "none")
    value = shown_value(est.value, est.unit)
    return TargetStatus(result.spec.key, target, tolerance, value, value - target,
                        status(value, target, tolerance))


@dataclass(frozen=True)
class Rule:
    """A KPI's target setting: overall value, per-group values and the tolerance."""

    target: float
    tolerance: float
    groups: dict[str, dict[str, float]] = field(default_factory=dict)

    def target_for(self, segment: str | None = None, group: str | None = None) -> float:
        if segment is None:
            return self.target
        return self.groups.get(segment, {}).get(group, self.target)


@dataclass
class TargetReport:
    overall: dict[str, TargetStatus]
    segments: dict[tuple[str, str, str], TargetStatus]   # (segment name, value, item key) → status
    rules: dict[str, Rule] = field(default_factory=dict)

    def for_group(self, segment: str, value: str, key: str) -> TargetStatus | None:
        return self.segments.get((segment, value, key))

    def judge(self, key: str, result: ItemResult, segment: str | None = None,
              group: str | None = None) -> TargetStatus | None:
        """The status of any figure of item ``key`` (a period, a unit in a period…) by the
        same rule; None when the item has no target."""
        rule = self.rules.get(key)
        if rule is None:
            return None
        return judge(result, rule.target_for(segment, group), rule.tolerance)


def _target_config(project: Project, spec: ItemSpec) -> Target | None:
    if spec.key.startswith("attr:"):
        return project.targets.attributes.get(spec.key[5:])
    return getattr(project.targets, spec.key, None)


def target_rules(project: Project, specs: list[ItemSpec]) -> dict[str, Rule]:
    rules = {}
    for spec in specs:
        cfg = _target_config(project, spec)
        if cfg is None:
            continue
        tolerance = cfg.tolerance if cfg.tolerance is not None else default_tolerance(spec)
        rules[spec.key] = Rule(cfg.value, tolerance, {k: dict(v) for k, v in cfg.segments.items()})
    return rules


def evaluate_targets(project: Project, results: SurveyResults, unit: tuple[str, str] | None = None) -> TargetReport:
    """Statuses of the window's figures. In a ``--per`` unit's report (``unit`` = segment, group)
    the unit's own target applies to its totals, as it does to its row in the network's tables."""
    rules = target_rules(project, results.items)
    if unit is not None:
        rules = {key: Rule(rule.target_for(*unit), rule.tolerance, rule.groups) for key, rule in rules.items()}
    overall: dict[str, TargetStatus] = {}
    segments: dict[tuple[str, str, str], TargetStatus] = {}
    for key, rule in rules.items():
        overall[key] = judge(results.overall[key], rule.target, rule.tolerance)
        for breakdown in results.segments:
            for group in breakdown.groups:
                segments[(breakdown.name, group.label, key)] = judge(
                    group.items[key], rule.target_for(breakdown.name, group.label), rule.tolerance)
    return TargetReport(overall, segments, rules)
