"""Scores as data: the stable JSON structure of ``cxreport score`` and its CSV form.

Every key, with its type, meaning, unit, rounding and when it is present, is described in
cxreport/jsonschema.py (docs/scores-json.md is generated from it, and tests/test_scores_schema.py
fails on a key it does not describe): add a new key there too. Numbers are rounded by
``_num``: 6 decimals, p-values 8, effective and weighted bases 3; non-finite numbers are null.
The sketch below is an overview.

JSON layout (``schema: cxreport.scores/2``)::

    {
      "schema": "cxreport.scores/2", "tool_version": "...",
      "project": {"client": ..., "title": ..., "file": ...},
      "settings": {"weighted": bool, "alpha": 0.05, "confidence": 0.95,
                   "suppress_below": 30, "flag_below": 50, "period_unit": "quarter"},
      "sample": {"rows_read", "rows_used", "base", "weighted_base", "n_eff", "weighting_efficiency"},
                                         # rows_* describe the file; base & co. the window
      "weighting": null | {"method": "rake", "margins", "converged", "iterations", "rounds", "tolerance",
                    "max_iterations", "max_gap", "trim", "trimmed", "design_weight", "n", "n_eff",
                    "efficiency", "min_weight", "max_weight", "shares": [{"segment", "group",
                    "respondents", "sample", "target", "achieved"}], "per_period", "periods": [...]},
                                         # the raking (weighting:) over every used row; docs/weighting.md
      "validation": {"excluded": {...}, "duplicate_ids": [...], "columns": [{column, key, valid, blank,
                     missing_code, not_applicable, non_numeric, out_of_scale}]},
      "window": {"spec", "kind" (all | latest | named | rolling | range), "label", "unit", "dated",
                 "periods": [labels], "start", "end", "base",
                 "comparisons": [{"kind", "period", "base"}], "trend": [period labels]},
      "overall": {ITEM: ITEM_SCORE, ...},  # the window's figures
      "comparisons": [{"kind" (previous | year_ago | baseline), "period", "base",
                       "overall": {ITEM: ITEM_SCORE}, "changes": CHANGES}],   # window − that period
      "targets": {ITEM: {"target", "tolerance", "value", "gap", "status"}},
                                         # value: the window's figure as shown (rounded as printed)
      "segments_period": PERIOD,         # the rows segment figures describe (pooled when report.pool)
      "segments": [{"name", "column", "overlapping", "groups": [GROUP, ...]}],
                                         # overlapping: a multi-punch question (groups = respondents
                                         # who ticked each code, then "Not stated")
      "periods": [GROUP, ...],           # the trend: every period up to the window's end, in date
                                         # order, each tested against the previous
                                         # (and the same period a year before: year_ago, year_on_year)
      "period_change": {"period", "previous", "vs_previous": CHANGES, "year_ago", "vs_year_ago": CHANGES},
      "benchmarks": [{"kpi", "label", "value", "compared_value", "standard": {"id", "metric", "value",
                      "year", "source", "credit"}, "gap", "position", "conversion"}],
      "tiers": {ITEM: {"thresholds", "overall", "segments": [{"segment", "group", "tier"}]}},
      "banners": {"period": PERIOD, "adjust", "alpha", "items": [ITEM],
                  "tables": [{"name", "segments", "base", "columns": [{"segment", "label", "letter", "base",
                  "weighted_base", "base_flag"}], "rows": [{"item", "label", "headline", "unit",
                  "total": {"value", "n", "base"}, "cells": [{"value", "n", "base", "letters"}]}],
                  "tests": [{"item", "a", "b", "diff", "statistic", "p_value", "p_adjusted", "method",
                  "significant"}]}]},   # banner tables (docs/banners.md); null when turned off
      "mentions": [{"name", "column", "question", "base", "weighted_base", "base_flag", "not_answered",
                    "rows": [{"code", "label", "count", "weighted_count", "pct"}]}],   # multi-punch questions
      "competitors": [{"metric", "label", "origin" (survey | table), "period", "own", "competitor_average",
                       "best_in_class": {"brand", "value"}, "rank", "brands_ranked", "gap_to_leader",
                       "leads", "notes", "brands": [{"brand", "own", "value", "low", "high", "n", "base",
                       "diff_own_minus_brand", "p_value", "p_adjusted", "testable", "mark", "source"}]}],
      "sources": [{"kpi", "label", "figures": [{"source", "period", "value", "base", "headline"}]}],
                                         # the client's KPI from several sources, reconciled
      "drivers": {"period": PERIOD, "overall": ANALYSIS, "segments": [ANALYSIS], "skipped", "scales"},
      "comments": {"period": PERIOD, ...}, "journey": {"period": PERIOD, ...}, "priorities": [...],
      "actions": {"register", "as_of", "window", "counts", "actions": [...], "you_said_we_did"},
                                         # the action register measured (docs/actions.md); null without one
      "response_times": {"file", "period", "channels": [...], "total", "trend", "backlog",
                         "detractor_follow_up", ...}
                                         # the case log's response times (docs/cases.md); null without one
    }

PERIOD is ``{"label", "pooled", "periods"}``: the section's rows (the window, or the pooled run of
``report.pool``). CHANGES is ``{ITEM: {"diff", "statistic", "p_value", "method", "mark", "p_adjusted",
"comparisons"}}``: ``p_adjusted`` is the p-value adjusted with the other ``comparisons`` of its table
(``settings.adjust``, METHODS.md §8) and ``mark`` is decided on it.
ITEM is ``nps``, ``csat``, ``ces`` or ``attr:<name>``. ITEM_SCORE has ``label``, ``kind``,
``scale`` [low, high], ``n``, ``n_eff``, ``base`` (ok | small | suppressed), ``headline``
(which figure is the headline) and figure blocks ``{"value", "low", "high", "se"}``:
``nps`` (+ ``nps_adjusted``, ``promoters``/``passives``/``detractors`` with ``count`` and
``pct``), ``top2`` (CSAT and attributes), ``index`` (CES) and ``mean`` (all, with ``sd``).
GROUP is ``{"label", "base", "weighted_base", "base_flag", "items": {ITEM: ITEM_SCORE},
"changes": CHANGES}``; ``mark`` is 1
(significant rise / higher), −1 (fall / lower) or 0. Numbers that cannot be computed are
``null``. Suppressed figures are included with ``base: "suppressed"``; reports hide them.
"""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

from cxreport import __version__
from cxreport.pipeline import Study
from cxreport.scoring.kpis import Estimate, ItemResult
from cxreport.scoring.survey import GroupResult

SCHEMA = "cxreport.scores/2"


def _num(value: Any, digits: int = 6) -> float | None:
    if value is None:
        return None
    value = float(value)
    return round(value, digits) if math.isfinite(value) else None


def _est(est: Estimate | None, with_sd: bool = False) -> dict | None:
    if est is None:
        return None
    out = {"value": _num(est.value), "low": _num(est.low), "high": _num(est.high), "se": _num(est.se)}
    if with_sd:
        out["sd"] = _num(est.sd)
    return out


def item_dict(r: ItemResult) -> dict:
    spec = r.spec
    out: dict[str, Any] = {"label": spec.label, "kind": spec.kind, "scale": [spec.low, spec.high],
                           "n": r.n, "n_eff": _num(r.n_eff, 3), "weighted_base": _num(r.weighted_base, 3),
                           "base": r.base, "headline": spec.headline}
    if spec.origin:
        out["origin"] = spec.origin          # numeric (any number) or composite (a scale's score)
    if spec.kind == "nps":
        out["nps"] = _est(r.nps)
        out["nps_adjusted"] = _est(r.nps_adjusted)
        out["promoters"] = {"count": r.count_hi, "pct": _num(r.share_hi)}
        out["passives"] = {"count": r.count_mid, "pct": _num(r.share_mid)}
        out["detractors"] = {"count": r.count_lo, "pct": _num(r.share_lo)}
    if spec.kind in ("csat", "rating"):
        out["top2"] = _est(r.top2)
    if spec.kind == "ces":
        out["index"] = _est(r.index)
        out["easy_pct"] = _num(r.share_hi)
        out["difficult_pct"] = _num(r.share_lo)
    out["mean"] = _est(r.mean, with_sd=True)
    if r.distribution:
        out["distribution"] = [{"value": v, "count": c, "pct": _num(p)} for v, c, p in r.distribution]
    return out


def _changes(changes: dict) -> dict:
    return {k: {"diff": _num(c.test.diff), "statistic": _num(c.test.statistic),
                "p_value": _num(c.test.p_value, 8), "method": c.test.method, "mark": c.mark,
                # adjusted with the other comparisons of its table (METHODS.md §8); mark follows it
                "p_adjusted": _num(c.p_adjusted, 8), "comparisons": c.m}
            for k, c in changes.items()}


def group_dict(g: GroupResult) -> dict:
    out = {"label": g.label, "base": g.base, "weighted_base": _num(g.weighted_base, 3), "base_flag": g.base_flag,
           "items": {k: item_dict(v) for k, v in g.items.items()},
           "changes": _changes(g.changes)}
    if g.year_ago is not None:
        out["year_ago"] = g.year_ago
        out["year_on_year"] = _changes(g.year_on_year)
    return out


def weighting_dict(w) -> dict | None:
    """The raking (``weighting:``, METHODS.md §9) over every used row of the file; None without it.
    Shares are fractions (0–1); weights are relative to the mean weight."""
    if w is None:
        return None
    return {"method": "rake", "margins": list(w.margins), "converged": w.converged, "iterations": w.iterations,
            "rounds": w.rounds, "tolerance": w.tolerance, "max_iterations": w.max_iterations,
            "max_gap": _num(w.max_gap, 9), "trim": list(w.trim) if w.trim else None, "trimmed": w.trimmed,
            "design_weight": w.design_weight, "n": w.n, "n_eff": _num(w.n_eff, 3),
            "efficiency": _num(w.efficiency, 6), "min_weight": _num(w.min_weight), "max_weight": _num(w.max_weight),
            "shares": [{"segment": s.segment, "group": s.group, "respondents": s.respondents,
                        "sample": _num(s.sample), "target": _num(s.target), "achieved": _num(s.achieved)}
                       for s in w.shares],
            "per_period": bool(w.periods),
            "periods": [{"period": q.label, "n": q.n, "iterations": q.iterations, "converged": q.converged,
                         "n_eff": _num(q.n_eff, 3), "efficiency": _num(q.efficiency), "min_weight": _num(q.min_weight),
                         "max_weight": _num(q.max_weight)} for q in w.periods]}


#: The blocks of the scores document in order; those of :func:`core_dict` are what streamed
#: scoring (cxreport/scoring/stream.py, docs/batch.md) computes too, the others come from the
#: rows themselves (key drivers, comments, banner tables…) and are null in a streamed document.
KEYS = ["schema", "tool_version", "project", "settings", "sample", "weighting", "validation", "window", "overall",
        "comparisons", "targets", "segments_period", "segments", "banners", "mentions", "periods", "period_change",
        "benchmarks", "tiers", "competitors", "sources", "drivers", "priorities", "comments", "actions",
        "response_times", "journey", "theme_impact", "theme_trends", "suggested_themes", "emotion", "consistency",
        "customer_value"]


def scores_dict(study: Study) -> dict:
    found = {**core_dict(study), **rows_dict(study)}
    return {key: found[key] for key in KEYS}


def core_dict(study) -> dict:
    """The blocks made from the counted answers alone: the sample, validation, window, every
    KPI and attribute overall, by segment and by period, the comparisons and what the figures are
    measured against. ``study``: a :class:`~cxreport.pipeline.Study` or a streamed one
    (:class:`cxreport.scoring.stream.StreamedStudy`)."""
    p, r, v = study.project, study.results, study.validation
    return {
        "schema": SCHEMA,
        "tool_version": __version__,
        "project": {"client": p.client.name, "title": p.report.title, "file": str(p.path) if p.path else None},
        "settings": {"weighted": r.weighted, "alpha": r.alpha, "adjust": r.adjust, "confidence": 0.95,
                     "suppress_below": r.rules.suppress_below, "flag_below": r.rules.flag_below,
                     "period_unit": p.periods.unit, "fiscal_year_start": p.periods.fiscal_year_start},
        "sample": {"rows_read": v.rows_read, "rows_used": v.rows_used, "base": r.base,
                   "weighted_base": _num(r.weighted_base, 3), "n_eff": _num(r.n_eff, 3),
                   "weighting_efficiency": _num(r.weighting_efficiency, 3)},
        "weighting": weighting_dict(v.weighting),
        "validation": {"file": v.file, "excluded": v.excluded, "duplicate_ids": v.duplicate_ids,
                       "columns": [{"column": c.column, "key": c.key, "valid": c.valid, "blank": c.blank,
                                    "missing_code": c.missing_code, "not_applicable": c.not_applicable,
                                    "non_numeric": c.non_numeric, "out_of_scale": c.out_of_scale}
                                   for c in v.columns]},
        "window": window_dict(study),
        "overall": {k: item_dict(res) for k, res in r.overall.items()},
        "comparisons": [{"kind": c.kind, "period": c.label, "base": c.base,
                         "overall": {k: item_dict(res) for k, res in c.overall.items()},
                         "changes": _changes(c.changes)} for c in study.comparisons],
        "targets": {k: {"target": t.target, "tolerance": _num(t.tolerance), "value": _num(t.value),
                        "gap": _num(t.gap), "status": t.status} for k, t in study.targets.overall.items()},
        "segments_period": _scope_dict(study.scope("segments")),
        "segments": [{"name": b.name, "column": b.column, "overlapping": b.overlapping,
                      "groups": [group_dict(g) for g in b.groups]} for b in r.segments],
        "periods": [group_dict(g) for g in r.periods.groups] if r.periods else [],
        "period_change": period_change_dict(study),
        "benchmarks": [{"kpi": b.key, "label": b.label, "value": _num(b.value), "compared_value": _num(b.compared),
                        "standard": {"id": b.standard.id, "metric": b.standard.metric, "value": b.standard.value,
                                     "year": b.standard.year, "source": b.standard.source,
                                     "credit": b.standard.credit},
                        "gap": _num(b.gap), "position": b.position, "conversion": b.conversion}
                       for b in study.benchmarks],
        "tiers": {k: {"thresholds": v["thresholds"], "overall": v["overall"],
                      "segments": [{"segment": seg, "group": grp, "tier": t} for (seg, grp), t in v["segments"].items()]}
                  for k, v in study.tiers.items()},
        "competitors": [competitor_dict(c) for c in study.competitors],
    }


def rows_dict(study: Study) -> dict:
    """The blocks that need the rows themselves (see :data:`KEYS`)."""
    return {
        "banners": banners_dict(study),
        "mentions": [{"name": m.name, "column": m.column, "question": m.question, "base": m.base,
                      "weighted_base": _num(m.weighted_base, 3), "base_flag": m.base_flag,
                      "not_answered": m.not_answered,
                      "rows": [{"code": x.code, "label": x.label, "count": x.count,
                                "weighted_count": _num(x.weighted_count, 3), "pct": _num(x.pct)} for x in m.rows]}
                     for m in study.mentions],
        "sources": [{"kpi": e.key, "label": e.label,
                     "figures": [{"source": f.source, "period": f.period, "value": _num(f.value), "base": f.base,
                                  "headline": f.headline} for f in e.figures]} for e in study.sources],
        "drivers": drivers_dict(study.drivers, study.scope("drivers")),
        "priorities": [{"rank": i + 1, "attribute": p.name, "impact": _num(p.impact), "importance_pct": _num(p.importance),
                        "performance": _num(p.performance), "gap": _num(p.gap), "gap_to": p.gap_to,
                        "effort": p.effort, "quadrant": p.quadrant, "theme": p.theme,
                        "theme_comments": p.theme_comments, "theme_negative": p.theme_negative,
                        "theme_nps_impact": _num(p.theme_nps_impact), "theme_nps_impact_low": _num(p.theme_impact_low),
                        "theme_nps_impact_high": _num(p.theme_impact_high), "theme_nps_impact_mark": p.theme_impact_mark}
                       for i, p in enumerate(study.priorities)],
        "comments": comments_block(study.voice, study.scope("comments")),
        "actions": _actions_dict(study.actions),
        "response_times": _response_dict(study),
        "journey": None if study.journey is None else {
            "period": _scope_dict(study.scope("journey")),
            "kpi": study.journey.kpi, "stages": study.journey.stages, "previous_period": study.journey.previous_period,
            "touchpoints": [{"stage": t.stage, "touchpoint": t.name, "value": _num(t.value), "low": _num(t.low),
                             "high": _num(t.high), "n": t.n, "base": t.base, "target": _num(t.target),
                             "gap": _num(t.gap), "change": _num(t.change), "mark": t.change_mark, "pain_point": t.pain}
                            for t in study.journey.touchpoints]},
        **_issue16(study),
    }


def comments_block(voice, scope) -> dict | None:
    """The comments' block (``voice``: a :class:`~cxreport.scoring.comments.CommentAnalysis` or None)."""
    if voice is None:
        return None
    return {
        "period": _scope_dict(scope),
        "comments": voice.n_comments, "uncoded": voice.uncoded,
        "sentiment": voice.sentiment_counts,
        "themes": [{"theme": t.theme, "count": t.count, "share_pct": _num(t.share), "negative": t.negative,
                    "neutral": t.neutral, "positive": t.positive, "mean_sentiment": _num(t.mean_sentiment),
                    "verbatims": [{"text": v["text"], "sentiment": v["sentiment"], "row": v["row"]}
                                  for v in t.verbatims]}          # masked before they get here
                   for t in voice.themes],
        "pareto": [{"theme": r["theme"], "count": r["count"], "pct": _num(r["pct"]),
                    "cumulative_pct": _num(r["cumulative"])} for r in voice.pareto],
        "by_segment": {name: {str(g): {str(k): int(v) for k, v in row.items()} for g, row in table.iterrows()}
                       for name, table in voice.by_segment.items()}}


def _issue16(study: Study) -> dict:
    """Voice of the customer and customer value blocks (cxreport/exports/, described there)."""
    from cxreport.exports import consistency, suggestions, value, voc

    return {"theme_impact": voc.theme_impact_dict(study), "theme_trends": voc.theme_trends_dict(study),
            "suggested_themes": suggestions.suggested_themes_dict(study), "emotion": suggestions.emotion_dict(study),
            "consistency": consistency.consistency_dict(study), "customer_value": value.customer_value_dict(study)}


def banners_dict(study: Study) -> dict | None:
    """The banner tables (docs/banners.md); null when the project turns them off."""
    from cxreport.scoring.banner import study_banners

    return banners_block(study_banners(study), study.scope("segments"))


def banners_block(tables, scope) -> dict | None:
    """The banner tables' block (``tables``: :class:`~cxreport.scoring.banner.BannerTables` or None)."""
    if tables is None:
        return None

    def cell(r: ItemResult, letters: str | None = None) -> dict:
        est = r.headline
        out = {"value": _num(est.value) if est.shown else None, "n": r.n, "base": r.base}
        if letters is not None:
            out["letters"] = letters
        return out

    return {
        "period": _scope_dict(scope), "adjust": tables.adjust, "alpha": float(tables.alpha),
        "items": tables.items,
        "tables": [{
            "name": b.name, "segments": b.segments, "base": b.total_base,
            "columns": [{"segment": c.segment, "label": c.label, "letter": c.letter, "base": c.base,
                         "weighted_base": _num(c.weighted_base, 3), "base_flag": c.base_flag} for c in b.columns],
            "rows": [{"item": row.key, "label": row.spec.label, "headline": row.spec.headline, "unit": row.unit,
                      "total": cell(row.total),
                      "cells": [cell(c, row.letters[i]) for i, c in enumerate(row.cells)]} for row in b.rows],
            "tests": [{"item": t.item, "a": b.columns[t.a].letter, "b": b.columns[t.b].letter, "diff": _num(t.diff),
                       "statistic": _num(t.statistic), "p_value": _num(t.p_value, 8),
                       "p_adjusted": _num(t.p_adjusted, 8), "method": t.method, "significant": t.significant}
                      for t in b.tests],
        } for b in tables.banners],
    }


def _response_dict(study: Study) -> dict | None:
    from cxreport.scoring.response import report_dict

    return report_dict(getattr(study, "response", None))


def _actions_dict(report) -> dict | None:
    from cxreport.scoring.actions import report_dict

    return report_dict(report)


def _scope_dict(scope) -> dict:
    """Which rows a section describes: its period label, and whether it pooled more periods
    than the window (report.pool)."""
    return {"label": scope.label, "pooled": scope.pooled, "periods": scope.periods}


def window_dict(study: Study) -> dict:
    """The reporting window: what was asked, what it covers and what it is compared with."""
    w = study.window
    span = w.span
    return {"spec": w.spec, "kind": w.kind, "label": w.label, "unit": w.unit, "dated": w.dated,
            "periods": [p.label for p in span.periods],
            "start": span.start.isoformat() if span.start else (
                span.periods[0].start.date().isoformat() if span.periods else None),
            "end": span.end.isoformat() if span.end else (
                span.periods[-1].end.date().isoformat() if span.periods else None),
            "base": study.results.base,
            "comparisons": [{"kind": kind, "period": sp.label,
                             "base": next((c.base for c in study.comparisons if c.kind == kind), 0)}
                            for kind, sp in w.comparisons],
            "trend": [p.label for p in study.results.period_info]}


def drivers_dict(report, scope=None) -> dict | None:
    if report is None:
        return None

    def analysis(a):
        return {"scope": a.scope, "outcome": a.outcome, "n": a.n, "n_eff": _num(a.n_eff, 3), "r2": _num(a.r2),
                "method": a.method,
                "missing": a.missing, "n_outcome": a.n_outcome, "n_rows": a.n_rows,
                "pair_median": a.pair_median, "pair_max": a.pair_max, "repaired": a.repaired,
                "period": a.period, "pooled": a.pooled, "performance_period": a.window,
                "performance_from": a.performance_from,
                "primary": a.primary, "bootstrap": _bootstrap_dict(a),
                "drivers": [{"name": r.name, "importance_pct": _num(r.importance),
                             "importance_low": _num(r.low), "importance_high": _num(r.high),
                             "relative_weight": _method_dict(r.rw_raw, r.rw_pct, r.rw_raw_ci, r.rw_pct_ci),
                             "lmg": None if r.lmg is None else _method_dict(r.lmg_raw, r.lmg, r.lmg_raw_ci, r.lmg_pct_ci),
                             "mean": _num(r.mean), "performance": _num(r.performance),
                             "quadrant": r.quadrant} for r in a.rows]}

    return {"period": _scope_dict(scope) if scope is not None else None,
            "overall": analysis(report.overall) if report.overall else None,
            "not_computed": getattr(report, "not_computed", "") or None,
            "segments": [analysis(a) for a in report.segments], "skipped": report.skipped,
            "scales": [{"name": sc.name, "alpha": _num(sc.alpha), "n": sc.n, "note": sc.note,
                        "items": [{"name": i.name, "item_rest": _num(i.item_rest),
                                   "alpha_if_deleted": _num(i.alpha_if_deleted)} for i in sc.items],
                        "warnings": list(sc.warnings)} for sc in report.scales]}


def _method_dict(raw, pct, raw_ci, pct_ci) -> dict:
    """One importance method's figures for a driver: contribution to R² (``raw``), % of R²
    (``pct``) and their bootstrap intervals (null without drivers.bootstrap)."""
    return {"raw": _num(raw), "pct": _num(pct),
            "raw_low": _num(raw_ci[0]) if raw_ci else None, "raw_high": _num(raw_ci[1]) if raw_ci else None,
            "pct_low": _num(pct_ci[0]) if pct_ci else None, "pct_high": _num(pct_ci[1]) if pct_ci else None}


def _bootstrap_dict(a) -> dict | None:
    """How a driver analysis's intervals were made (null when none were asked for)."""
    b = getattr(a, "bootstrap", None)
    if b is None:
        return {"note": a.bootstrap_note} if getattr(a, "bootstrap_note", "") else None
    return {"replicates": b.replicates, "used": b.used, "seed": b.seed, "level": b.level,
            "interval": "percentile", "resampled": "respondents, with replacement; weights kept",
            "r2_low": _num(b.r2[0]), "r2_high": _num(b.r2[1]), "note": a.bootstrap_note or None}


def period_change_dict(study: Study) -> dict | None:
    """The window against the previous period and against the same period a year before (the
    full figures of each are in ``comparisons``)."""
    if not study.window.dated or study.window.kind == "all":
        return None
    prev, year = study.comparison("previous"), study.comparison("year_ago")
    return {"period": study.window.label, "previous": prev.label if prev and prev.base else None,
            "vs_previous": _changes(prev.changes) if prev else {},
            "year_ago": year.label if year and year.base else None,
            "vs_year_ago": _changes(year.changes) if year else {}}


def competitor_dict(c) -> dict:
    return {"metric": c.metric, "label": c.label, "origin": c.origin, "period": getattr(c, "period", "") or None,
            "own": _num(c.own.value) if c.own else None, "competitor_average": _num(c.competitor_average),
            "best_in_class": {"brand": c.best.brand, "value": _num(c.best.value)} if c.best else None,
            "rank": c.rank, "brands_ranked": sum(1 for b in c.brands if b.value is not None and b.base != "suppressed"),
            "gap_to_leader": _num(c.gap_to_leader), "leads": c.leads, "notes": c.notes,
            "brands": [{"brand": b.brand, "own": b.own, "value": _num(b.value), "low": _num(b.low),
                        "high": _num(b.high), "n": b.n, "base": b.base, "diff_own_minus_brand": _num(b.diff),
                        "p_value": _num(b.p_value, 8), "p_adjusted": _num(b.p_adjusted, 8), "testable": b.testable,
                        "mark": b.mark, "source": b.source}
                       for b in c.brands]}


def streamed_dict(study) -> dict:
    """The scores document of a streamed study (:mod:`cxreport.scoring.stream`): the core blocks,
    the blocks that need the rows null, and a ``streamed`` block saying so."""
    from cxreport.scoring.stream import NOT_STREAMED

    core = core_dict(study)
    out = {key: core.get(key) for key in KEYS}
    out["drivers"] = drivers_dict(study.drivers, study.scope("drivers"))
    out["banners"] = banners_block(study.banners, study.scope("segments"))
    out["comments"] = comments_block(study.voice, study.scope("comments"))
    out["streamed"] = {"batches": study.batches, "rows_read": study.rows_read, "not_computed": list(NOT_STREAMED)}
    return out


def streamed_json(study) -> str:
    return json.dumps(streamed_dict(study), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def scores_json(study: Study) -> str:
    return json.dumps(scores_dict(study), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


CSV_COLUMNS = ["breakdown", "group", "item", "label", "figure", "value", "low", "high", "n", "n_eff", "base",
               "diff", "p_value", "p_adjusted", "mark", "period"]


def safe_cell(text: str) -> str:
    """Neutralise user text that a spreadsheet would run as a formula (=, +, -, @, tab, CR)."""
    text = str(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def scores_csv(study: Study) -> str:
    """Long table: one row per breakdown × group × item × figure."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    r = study.results

    def rows(breakdown: str, group: str, items: dict[str, ItemResult], changes: dict, period: str):
        for key, res in items.items():
            for name in ("nps", "top2", "index", "mean"):
                est = getattr(res, name)
                if est is None:
                    continue
                change = changes.get(key) if name == res.spec.headline else None
                writer.writerow([safe_cell(breakdown), safe_cell(group), safe_cell(key), safe_cell(res.spec.label), name, _num(est.value), _num(est.low),
                                 _num(est.high), est.n, _num(est.n_eff, 3), est.base,
                                 _num(change.test.diff) if change else "", _num(change.test.p_value, 8) if change else "",
                                 _num(change.p_adjusted, 8) if change else "", change.mark if change else "",
                                 safe_cell(period)])

    rows("Total", "Total", r.overall, {}, study.window.label)
    for c in study.comparisons:
        if c.overall:
            rows("Comparison", c.kind, c.overall, {}, c.label)
    segments_period = study.scope("segments").label
    for b in r.segments:
        for g in b.groups:
            rows(b.name, g.label, g.items, g.changes, segments_period)
    if r.periods:
        for g in r.periods.groups:
            rows("Period", g.label, g.items, g.changes, g.label)
    return buf.getvalue()
