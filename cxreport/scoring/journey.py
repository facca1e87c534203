"""Customer journey map: every touchpoint's score, base, gap to its standard and change
against the previous period, in journey-stage order, with the pain points marked
(the lowest scores, and any touchpoint below its standard by more than the tolerance)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cxreport.benchmark.targets import default_tolerance
from cxreport.config.schema import Project
from cxreport.errors import ConfigError
from cxreport.scoring.survey import SurveyResults, segment_period_changes
from cxreport.util import did_you_mean
from cxreport.validate import SurveyData, multi_punch_hint


@dataclass
class Touchpoint:
    stage: str
    name: str
    value: float | None
    low: float | None
    high: float | None
    n: int
    base: str
    target: float | None
    gap: float | None
    change: float | None
    change_mark: int
    pain: bool = False


@dataclass
class JourneyMap:
    kpi: str
    unit: str
    stages: list[str]
    touchpoints: list[Touchpoint]
    previous_period: str | None

    @property
    def pain_points(self) -> list[Touchpoint]:
        return [t for t in self.touchpoints if t.pain]


def journey_map(project: Project, data: SurveyData, results: SurveyResults, alpha: float) -> JourneyMap | None:
    cfg = project.journey
    if cfg is None:
        return None
    if cfg.touchpoints:
        return _from_ratings(project, results)
    segs = {s.name: s for s in data.segments}
    for key in ("stage", "touchpoint"):
        name = getattr(cfg, key)
        if name not in segs:
            raise ConfigError(f"journey.{key}: no segment '{name}'"
                              f"{multi_punch_hint(data, name) or did_you_mean(name, segs) + ' in columns.segments'}")
    specs = {s.key: s for s in results.items}
    kpi = cfg.kpi if cfg.kpi in specs else f"attr:{cfg.kpi}"
    if kpi not in specs:
        raise ConfigError(f"journey.kpi: no item '{cfg.kpi}'{did_you_mean(cfg.kpi, list(specs))}")
    spec = specs[kpi]
    stage_seg, tp_seg = segs[cfg.stage], segs[cfg.touchpoint]
    # Each touchpoint belongs to the stage most of its respondents are in.
    stage_of = {}
    for t, label in enumerate(tp_seg.labels):
        codes = stage_seg.codes[tp_seg.codes == t]
        if len(codes):
            stage_of[label] = stage_seg.labels[int(np.bincount(codes).argmax())]
    stages = list(cfg.stages) or [s for s in stage_seg.labels if s in stage_of.values()]
    unknown = [s for s in cfg.stages if s not in stage_seg.labels]
    if unknown:
        raise ConfigError(f"journey.stages: no stage '{unknown[0]}'{did_you_mean(unknown[0], stage_seg.labels)}")
    breakdown = next(b for b in results.segments if b.name == cfg.touchpoint)
    target_cfg = getattr(project.targets, kpi, None) if not kpi.startswith("attr:") else \
        project.targets.attributes.get(kpi[5:])
    tolerance = (target_cfg.tolerance if target_cfg and target_cfg.tolerance is not None else default_tolerance(spec))
    changes = {}
    previous = None
    if data.period_codes is not None and len(data.periods) >= 2:
        now = len(data.periods) - 1
        previous = data.periods[now - 1].label
        for unit in segment_period_changes(data, results.rules, alpha, now, now - 1, keys=[kpi]).get(cfg.touchpoint, []):
            change = unit.changes.get(kpi)
            if change is not None:
                changes[unit.label] = change
    points = []
    for stage in stages:
        for group in breakdown.groups:
            if stage_of.get(group.label) != stage:
                continue
            est = group.items[kpi].headline
            target = cfg.targets.get(group.label, target_cfg.value if target_cfg else None)
            value = est.value if est.shown else None
            change = changes.get(group.label)
            points.append(Touchpoint(stage, group.label, value, est.low if est.shown else None,
                                     est.high if est.shown else None, est.n, est.base, target,
                                     None if value is None or target is None else value - target,
                                     change.test.diff if change else None, change.mark if change else 0))
    unknown_tp = [t for t in cfg.targets if t not in tp_seg.labels]
    if unknown_tp:
        raise ConfigError(f"journey.targets: no touchpoint '{unknown_tp[0]}'{did_you_mean(unknown_tp[0], tp_seg.labels)}")
    shown = sorted([p for p in points if p.value is not None], key=lambda p: p.value)
    for p in shown[:cfg.pain_points]:
        p.pain = True
    for p in shown:
        if p.gap is not None and p.gap < -tolerance:
            p.pain = True
    return JourneyMap(spec.label, spec.headline_unit, stages, points, previous)


def _from_ratings(project: Project, results: SurveyResults) -> JourneyMap:
    """Touchpoints given as attribute ratings grouped into stages: each touchpoint's mean."""
    cfg = project.journey
    attrs = {s.key[5:]: s for s in results.items if s.key.startswith("attr:")}
    periods = results.periods
    last = periods.groups[-1] if periods is not None and len(periods.groups) >= 2 else None
    points = []
    for stage, names in cfg.touchpoints.items():
        for name in names:
            spec = attrs.get(name)
            if spec is None:
                raise ConfigError(f"journey.touchpoints.{stage}: no attribute '{name}'{did_you_mean(name, attrs)}")
            est = results.overall[spec.key].mean
            target_cfg = project.targets.attributes.get(name)
            target = cfg.targets.get(name, target_cfg.value if target_cfg else None)
            value = est.value if est.shown else None
            change = last.changes.get(spec.key) if last is not None else None
            points.append(Touchpoint(stage, spec.label, value, est.low if est.shown else None,
                                     est.high if est.shown else None, est.n, est.base, target,
                                     None if value is None or target is None else value - target,
                                     change.test.diff if change else None, change.mark if change else 0))
    scales = {(s.low, s.high) for s in attrs.values() if s.label in {p.name for p in points}}
    if len(scales) > 1:
        raise ConfigError("journey.touchpoints: the attributes are on different scales; a journey line needs one scale")
    shown = sorted([p for p in points if p.value is not None], key=lambda p: p.value)
    first = next(iter(attrs.values()))
    tolerance = default_tolerance(first)
    for p in shown[:cfg.pain_points]:
        p.pain = True
    for p in shown:
        if p.gap is not None and p.gap < -tolerance:
            p.pain = True
    low, high = next(iter(scales)) if scales else (1, 5)
    return JourneyMap(f"Mean rating ({low}–{high})", "mean", list(cfg.touchpoints), points,
                      periods.groups[-2].label if last is not None else None)
