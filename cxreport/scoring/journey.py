"""Customer journey map: every touchpoint's score, base, gap to its standard and change
against the previous period, in journey-stage order, with the pain points marked
(the lowest scores, and any touchpoint below its standard by more than the tolerance)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cxreport.benchmark.targets import default_tolerance
from cxreport.config.schema import Project
from cxreport.errors import ConfigError
from cxreport.scoring.kpis import shown_difference, shown_value
from cxreport.scoring.survey import SurveyResults, score_survey, segment_changes
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
    change: float | None             # against the previous period, as printed: shown figure − shown figure
    change_mark: int                 # the test on the exact figures
    pain: bool = False


@dataclass
class JourneyMap:
    kpi: str
    unit: str
    stages: list[str]
    touchpoints: list[Touchpoint]
    previous_period: str | None
    period: str = ""                 # the rows the map describes ("2026 Q3", "pooled 2025 Q4 – 2026 Q3")
    pooled: bool = False             # more periods than the reporting window (report.pool.journey)

    @property
    def pain_points(self) -> list[Touchpoint]:
        return [t for t in self.touchpoints if t.pain]


def journey_map(project: Project, view, results: SurveyResults, alpha: float, scope=None) -> JourneyMap | None:
    """The journey of the window (``view``, a :class:`cxreport.window.View`) or of the pooled
    run ``scope`` names; changes are against the run of as many periods just before it."""
    cfg = project.journey
    if cfg is None:
        return None
    from cxreport.window import previous_span

    scope = scope or view.scope("journey")
    data = view.section_data("journey", project) if scope.pooled else view.data
    if scope.pooled or view.scope("segments").pooled:    # the breakdown of the journey's own rows
        results = score_survey(data, results.rules, alpha)
    before_span = previous_span(view.window, scope.span)
    before_mask = before_span.mask(view.full) if before_span is not None else None
    if before_mask is not None and not before_mask.any():
        before_mask = None
    now_mask = scope.span.mask(view.full) if scope.pooled else view.mask
    previous = before_span.label if before_mask is not None else None
    if cfg.touchpoints:
        jmap = _from_ratings(project, results, view.full, now_mask, before_mask, previous, alpha)
    else:
        jmap = _from_segments(project, data, view.full, results, alpha, now_mask, before_mask, previous)
    jmap.period, jmap.pooled = scope.label, scope.pooled
    return jmap


def _from_segments(project: Project, data: SurveyData, full: SurveyData, results: SurveyResults, alpha: float,
                   now_mask, before_mask, previous: str | None) -> JourneyMap:
    cfg = project.journey
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
    if before_mask is not None:
        for unit in segment_changes(full, now_mask, before_mask, results.rules, alpha, keys=[kpi],
                                    segments=[cfg.touchpoint]).get(cfg.touchpoint, []):
            change = unit.changes.get(kpi)
            if change is not None:
                now_est, before_est = unit.now[kpi].headline, unit.before[kpi].headline
                changes[unit.label] = (shown_difference(now_est.value, before_est.value, now_est.unit), change.mark)
    points = []
    for stage in stages:
        for group in breakdown.groups:
            if stage_of.get(group.label) != stage:
                continue
            est = group.items[kpi].headline
            # journey.targets first, then the KPI's target for that touchpoint group, then its overall target
            fallback = None
            if target_cfg is not None:
                fallback = target_cfg.segments.get(cfg.touchpoint, {}).get(group.label, target_cfg.value)
            target = cfg.targets.get(group.label, fallback)
            value = est.value if est.shown else None
            change, mark = changes.get(group.label, (None, 0))
            points.append(Touchpoint(stage, group.label, value, est.low if est.shown else None,
                                     est.high if est.shown else None, est.n, est.base, target,
                                     None if value is None or target is None else shown_value(value, est.unit) - target,
                                     change, mark))
    unknown_tp = [t for t in cfg.targets if t not in tp_seg.labels]
    if unknown_tp:
        raise ConfigError(f"journey.targets: no touchpoint '{unknown_tp[0]}'{did_you_mean(unknown_tp[0], tp_seg.labels)}")
    shown = sorted([p for p in points if p.value is not None], key=lambda p: p.value)
    for p in shown[:cfg.pain_points]:
        p.pain = True
    for p in shown:
        if p.gap is not None and p.gap < -tolerance - 1e-9:
            p.pain = True
    return JourneyMap(spec.label, spec.headline_unit, stages, points, previous)


def _from_ratings(project: Project, results: SurveyResults, full: SurveyData, now_mask, before_mask,
                  previous: str | None, alpha: float) -> JourneyMap:
    """Touchpoints given as attribute ratings grouped into stages: each touchpoint's mean."""
    from cxreport.scoring.survey import compare_period
    from cxreport.validate import subset

    cfg = project.journey
    attrs = {s.key[5:]: s for s in results.items if s.key.startswith("attr:")}
    changes = {}
    before = {}
    if before_mask is not None:
        comparison = compare_period("previous", previous or "", results.overall,
                                    subset(project, full, np.flatnonzero(before_mask)), results.rules, alpha)
        changes, before = comparison.changes, comparison.overall
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
            change = changes.get(spec.key)
            diff = None
            if change is not None and spec.key in before:
                diff = shown_difference(est.value, before[spec.key].mean.value, "mean")
            points.append(Touchpoint(stage, spec.label, value, est.low if est.shown else None,
                                     est.high if est.shown else None, est.n, est.base, target,
                                     None if value is None or target is None else shown_value(value, "mean") - target,
                                     diff, change.mark if change else 0))
    scales = {(s.low, s.high) for s in attrs.values() if s.label in {p.name for p in points}}
    if len(scales) > 1:
        raise ConfigError("journey.touchpoints: the attributes are on different scales; a journey line needs one scale")
    shown = sorted([p for p in points if p.value is not None], key=lambda p: p.value)
    first = next(iter(attrs.values()))
    tolerance = default_tolerance(first)
    for p in shown[:cfg.pain_points]:
        p.pain = True
    for p in shown:
        if p.gap is not None and p.gap < -tolerance - 1e-9:
            p.pain = True
    low, high = next(iter(scales)) if scales else (1, 5)
    return JourneyMap(f"Mean rating ({low}–{high})", "mean", list(cfg.touchpoints), points,
                      previous if changes or before_mask is not None else None)
