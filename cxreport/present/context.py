"""Turn a finished :class:`~cxreport.pipeline.Study` into plain data for the templates.

Templates lay out and format; they never compute a metric or decide a status. Every
figure reaches them as a small dict (value, low, high, n, unit, base flag, mark) that
the ``cell`` filter prints, and every chart as a :class:`~cxreport.present.charts.Chart`.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from cxreport import __version__
from cxreport.benchmark.standards import place_words
from cxreport.benchmark.targets import TargetStatus
from cxreport.i18n import N_, _
from cxreport.pipeline import Study
from cxreport.present import charts
from cxreport.present.findings import key_findings
from cxreport.present.formatting import display_unit, figure, num, shown_difference
from cxreport.present.narrative import load_narrative
from cxreport.scoring.kpis import Estimate, ItemResult
from cxreport.scoring.survey import Breakdown, GroupResult

STATUS_LABEL = {"green": N_("On target"), "amber": N_("Near target"), "red": N_("Below target"), "none": "—"}

#: Words the scoring code returns in English and the templates and charts show through
#: ``_()`` (quadrants, priority classes, effort levels, sentiment, service tiers, what a gap is measured to,
#: the fixed rows of the data-check table). Marked here so the catalog has them.
SCORING_WORDS = (
    N_("Concentrate here"), N_("Keep up the good work"), N_("Low priority"), N_("Possible overkill"),
    N_("Quick win"), N_("Strategic"), N_("Fill-in"), N_("Reconsider"), N_("Fix first"), N_("Improve"),
    N_("Maintain"), N_("low"), N_("medium"), N_("high"), N_("positive"), N_("neutral"), N_("negative"),
    N_("target"), N_("top of the scale"), N_("Response date"), N_("Weight"), N_("relative weights"),
    N_("Shapley (LMG)"), N_("basic"), N_("differentiated"), N_("excellent"),
    N_("duplicate respondent id"), N_("missing or invalid weight"), N_("zero weight"),
)


def est_cell(est: Estimate | None, mark: int = 0) -> dict | None:
    if est is None:
        return None
    finite = math.isfinite(est.value)
    return {"value": est.value if finite else None, "low": est.low, "high": est.high, "n": est.n,
            "n_eff": est.n_eff, "unit": est.unit, "base": est.base, "mark": 0 if est.base == "suppressed" else mark}


def status_dict(status: TargetStatus | None, unit: str) -> dict | None:
    """A status for the templates: the figure as shown (``value``), target, gap, tolerance, the
    status and its words. Templates print ``data-status`` from it, so a test can check every
    status in a report against the one rule."""
    if status is None:
        return None
    # The gap printed beside the target is the shown figure minus the target as printed.
    gap = status.gap if status.value is None else shown_difference(status.value, status.target, unit)
    return {"target": status.target, "gap": gap, "status": status.status, "value": status.value,
            "label": _(STATUS_LABEL[status.status]), "unit": unit, "tolerance": status.tolerance}


#: The multiple-comparison adjustments (METHODS.md §8) as the report names them.
ADJUST_NAMES = {"bh": N_("Benjamini–Hochberg"), "bonferroni": N_("Bonferroni")}


def adjust_note(m: int, method: str, per_period: bool = False) -> str | None:
    """The note under a table whose ``m`` p-values were adjusted together by ``method`` (a
    trend: each period's ``m`` changes); none for a table of one comparison (nothing to
    adjust) or when the project adjusts nothing."""
    if method not in ADJUST_NAMES or m < 2:
        return None
    if per_period:
        return _("p-values adjusted together for each period's {n} comparisons with the period before "
                 "({method}).").format(n=num(m), method=_(ADJUST_NAMES[method]))
    return _("p-values adjusted for the {n} comparisons in this table ({method}).").format(
        n=num(m), method=_(ADJUST_NAMES[method]))


def _change_dict(comparison, key: str, now: Estimate) -> dict | None:
    """The window against one comparison period, for a scorecard: the other figure, the
    difference as printed (the window's figure as shown minus the other's as shown, so
    "74% vs 75%" is "−1 pts"), its mark from the test on the exact figures (``exact``: the
    difference tested) — None when the other period has no figure to test."""
    if comparison is None or key not in comparison.overall:
        return None
    other = comparison.overall[key]
    change = comparison.changes.get(key)
    diff = shown_difference(now.value, other.headline.value, now.unit) if change else None
    return {"label": comparison.label, "kind": comparison.kind, "other": est_cell(other.headline),
            "diff": diff, "exact": change.test.diff if change else None, "mark": change.mark if change else 0,
            "p": change.test.p_value if change else None, "p_adjusted": change.p_adjusted if change else None}


def _kpi_row(result: ItemResult, status: TargetStatus | None, comparisons: list | None = None) -> dict:
    est = result.headline
    return {
        "key": result.spec.key,
        "label": result.spec.label,
        "definition": definition(result.spec),
        "headline": est_cell(est),
        "half_width": (est.high - est.low) / 2 if est.shown else None,
        "n": result.n,
        "n_eff": result.n_eff,
        "mean": est_cell(result.mean),
        "status": status_dict(status, est.unit),
        "unit": est.unit,
        "changes": [c for c in (_change_dict(comp, result.spec.key, est) for comp in comparisons or []) if c],
    }


def trend_points(groups: list[GroupResult], spec, targets) -> list[dict]:
    """A KPI's points over periods for a trend chart, each with its status by the one rule."""
    points = []
    for g in groups:
        est = g.items[spec.key].headline
        status = targets.judge(spec.key, g.items[spec.key]) if targets is not None else None
        points.append({"label": g.label, "value": est.value, "low": est.low, "high": est.high, "base": est.base,
                       "status": status.status if status else None})
    return points


def definition(spec) -> str:
    if spec.kind == "nps":
        return _("% promoters (9–10) − % detractors (0–6), from −100 to +100")
    if spec.kind == "csat":
        return _("% answering {a}–{b} on the 1–{b} satisfaction scale (top-2-box)").format(a=spec.high - 1, b=spec.high)
    if spec.kind == "ces":
        if spec.headline == "index":
            return _("CES index: % agreeing 6–7 − % disagreeing 1–3 that it was easy")
        return _("Mean agreement (1–7) that it was easy to handle the request; higher is easier")
    if spec.kind == "acsi":
        return _("ACSI-style index (0–100): overall satisfaction, met expectations and closeness to the ideal, each "
                 "rescaled to 0–100 and combined with the project's weights; respondents who answered all three")
    if spec.origin == "composite":
        return _("Mean of the scale's items on the {scale} scale, for respondents who answered enough of them").format(
            scale=spec.bounds)
    if spec.origin == "numeric":
        return _("Mean of the answers ({scale})").format(scale=scale_text(spec))
    return _("Mean on the {low}–{high} scale").format(low=spec.low, high=spec.high)


def scale_text(spec) -> str:
    """The scale an attribute's mean is on, as the attribute table shows it: 1–5; a numeric
    item's declared bounds (0–100, ≥ 0) or 'any number'."""
    if spec.origin == "numeric":
        return spec.bounds or _("any number")
    if spec.origin == "composite":
        return spec.bounds
    return f"{spec.low}–{spec.high}"


def _scale_position(row: dict, spec) -> float:
    """Where an attribute's mean sits on its scale (0 at the bottom, 1 at the top), for ranking
    attributes on different scales; a numeric item without a scale ranks after the ratings."""
    value = row["mean"]["value"]
    if value is None:
        return -2.0
    if spec.origin == "numeric":
        return -1.0
    return (value - spec.low) / ((spec.high - spec.low) or 1)


def _group_row(group: GroupResult, keys: list[str], study: Study, breakdown: Breakdown) -> dict:
    cells = {}
    for key in keys:
        result = group.items[key]
        change = group.changes.get(key)
        cells[key] = est_cell(result.headline, change.mark if change else 0)
        cells[key]["n_item"] = result.n
        status = study.targets.for_group(breakdown.name, group.label, key) if breakdown.kind == "segment" else None
        cells[key]["status"] = status.status if status else None
        cells[key]["target"] = status.target if status else None
        cells[key]["tolerance"] = status.tolerance if status else None
    return {"label": group.label, "base": group.base, "base_flag": group.base_flag,
            "weighted_base": group.weighted_base, "cells": cells}


def _chart_rows(breakdown: Breakdown, key: str) -> list[dict]:
    return [{"label": g.label, "value": g.items[key].headline.value, "low": g.items[key].headline.low,
             "high": g.items[key].headline.high, "base": g.items[key].headline.base} for g in breakdown.groups]


def journey_order(study: Study, segment: str, groups: list) -> list:
    """``groups`` (anything with a ``label``) of ``segment`` as its table lists them: the
    touchpoint segment of a journey in journey order (stage by stage, as the journey table),
    its other groups after; any other segment in its own order (validate's natural order)."""
    cfg = study.project.journey
    jmap = study.journey
    if cfg is None or jmap is None or cfg.touchpoint != segment:
        return list(groups)
    position = {t.name: i for i, t in enumerate(jmap.touchpoints)}
    ranked = sorted(enumerate(groups), key=lambda p: (position.get(p[1].label, len(position)), p[0]))
    return [g for _i, g in ranked]


#: The unit a standard's metric is shown in (its precision: cxreport.scoring.kpis.DISPLAY_DECIMALS).
_METRIC_UNITS = {"nps": "points", "ces_index": "points", "csat_top2": "percent", "score_pct": "percent",
                 "acsi": "index"}


def _metric_unit(metric: str) -> str:
    return _METRIC_UNITS.get(metric, "mean")


def _display_unit(unit: str) -> str:
    return display_unit(unit)


def competitor_as_shown(comp):
    """A competitor comparison with every difference as the report prints it: own minus each
    brand, and the gap to the leader, are differences of the figures as shown (+24 and −3 are
    27 apart, whatever the unrounded figures), so the table, its sentence and the gap chart
    agree with the figures beside them. The marks stay those of the tests on exact figures."""
    import dataclasses

    unit = _display_unit(comp.unit)
    own = comp.own
    if own is None or own.value is None:
        return comp
    brands = []
    replaced = {}
    for b in comp.brands:
        if b.own or b.diff is None or b.value is None:
            nb = b
        else:
            nb = dataclasses.replace(b, diff=shown_difference(own.value, b.value, unit))
        replaced[id(b)] = nb
        brands.append(nb)
    gap = comp.gap_to_leader
    if gap is not None:
        others = [b for b in comp.brands if not b.own and b.value is not None and b.base != "suppressed"]
        leader = max(others, key=lambda b: b.value) if others else None
        if leader is not None and abs((own.value - leader.value) - gap) < 1e-9:
            gap = shown_difference(own.value, leader.value, unit)
    best = replaced.get(id(comp.best), comp.best) if comp.best is not None else None
    return dataclasses.replace(comp, brands=brands, own=replaced.get(id(own), own), best=best, gap_to_leader=gap)


def _nps_rounding_note(result) -> str | None:
    """A note under the promoters/passives/detractors table when its shares, each rounded to a
    whole percentage as everywhere, do not subtract to the NPS as shown (50.6% − 23.4% is
    +27, shown 51% − 23%); None when they do."""
    from cxreport.scoring.kpis import shown_value

    shares = (result.share_hi, result.share_lo, result.nps.value)
    if any(v is None or not math.isfinite(v) for v in shares):
        return None
    if shown_value(result.share_hi, "percent") - shown_value(result.share_lo, "percent") == \
            shown_value(result.nps.value, "points"):
        return None
    return _("The shares are rounded to whole percentages, so promoters minus detractors can differ from the NPS "
             "by a point.")


def _slug(text: str) -> str:
    """An HTML id fragment: letters and digits of any script (区域 stays 区域), the rest '-'."""
    return re.sub(r"[\W_]+", "-", text.lower()).strip("-") or "x"


def _unique(base: str, used: set[str]) -> str:
    """``base``, or ``base-2``, ``base-3``… when an earlier element already has that id."""
    candidate, number = base, 1
    while candidate in used:
        number += 1
        candidate = f"{base}-{number}"
    used.add(candidate)
    return candidate


def _comments(study: Study, limit: int) -> list[dict]:
    """A deterministic selection of verbatims: the most recent, balanced across NPS groups;
    masked like the theme verbatims (including the project's ``comments.mask_names``)."""
    frame = study.data.comments
    if limit == 0 or "text" not in frame or not frame["text"].astype(bool).any():
        return []
    from cxreport.masking import mask_personal_data

    names = study.project.comments.mask_names if study.project.comments else []

    with_text = frame[frame["text"].str.len() > 0].copy()
    if "date" in with_text:
        with_text = with_text.sort_values(["date", "row"], ascending=[False, True], kind="stable")
    out: list[dict] = []
    if "nps" in with_text:
        groups = [(_("Promoter"), with_text["nps"] >= 9), (_("Passive"), with_text["nps"].between(7, 8)),
                  (_("Detractor"), with_text["nps"] <= 6)]
        per = max(1, limit // 3)
        for label, mask in groups:
            for _i, row in with_text[mask].head(per).iterrows():
                out.append({"text": mask_personal_data(row["text"], names), "group": label,
                            "score": int(row["nps"]), "row": int(row["row"])})
    else:
        for _i, row in with_text.head(limit).iterrows():
            out.append({"text": mask_personal_data(row["text"], names), "group": "", "score": None, "row": int(row["row"])})
    return out[:limit]


def build_context(study: Study, *, build_date: dt.date | None = None, client_charts: bool = True) -> dict:
    """Context of the client report. ``client_charts=False`` skips the charts only the client
    report shows (the quarterly review draws its own), which matters with hundreds of units."""
    project = study.project
    results = study.results
    rules = results.rules
    report = project.report
    cs = charts.ChartStyle(project.brand.primary, project.brand.accent, project.brand.font)
    kpis = results.kpis
    # Tables show the headline KPIs; a study without any shows its attributes instead.
    table_specs = kpis or results.attributes[:6]
    kpi_keys = [s.key for s in table_specs]
    first = kpis[0] if kpis else (results.attributes[0] if results.attributes else None)

    scorecard = [_kpi_row(results.overall[s.key], study.targets.overall.get(s.key), study.comparisons) for s in kpis]
    window = study.window
    scopes = {name: study.scope(name) for name in ("drivers", "segments", "journey", "comments")}
    chart_list: dict[str, charts.Chart] = {}

    nps_block = None
    if "nps" in results.overall and results.overall["nps"].nps is not None:
        nps_result = results.overall["nps"]
        if nps_result.nps.shown and client_charts:
            chart_list["nps"] = charts.defer(charts.nps_distribution, nps_result, cs)
            nps_block = {
                "result": nps_result,
                "headline": est_cell(nps_result.nps),
                "adjusted": est_cell(nps_result.nps_adjusted),
                "distribution": [{"point": p, "count": c, "pct": s} for p, c, s in nps_result.distribution],
                "groups": [
                    {"label": _("Promoters (9–10)"), "count": nps_result.count_hi, "pct": nps_result.share_hi},
                    {"label": _("Passives (7–8)"), "count": nps_result.count_mid, "pct": nps_result.share_mid},
                    {"label": _("Detractors (0–6)"), "count": nps_result.count_lo, "pct": nps_result.share_lo},
                ],
                "chart": chart_list["nps"],
                "rounding_note": _nps_rounding_note(nps_result),
            }

    # Breakdowns by segment.
    segments = []
    segment_ids: set[str] = set()
    for breakdown in results.segments:
        rows = [_group_row(g, kpi_keys, study, breakdown) for g in journey_order(study, breakdown.name,
                                                                                breakdown.groups)]
        seg_id = _unique(f"seg-{_slug(breakdown.name)}", segment_ids)
        chart = None
        if first is not None and client_charts:
            target = study.targets.overall.get(first.key)
            chart = charts.defer(
                charts.ranked_bars, seg_id, _("{kpi} by {segment}, {period}").format(
                    kpi=first.label, segment=breakdown.name.lower(), period=scopes["segments"].label),
                _chart_rows(breakdown, first.key), first, cs,
                total=results.overall[first.key].headline.value if not scopes["segments"].pooled else None,
                target=target.target if target else None, flag_below=rules.flag_below)
        # The note on chance findings counts the comparisons this table shows: its groups × its KPIs.
        n_tests = breakdown.tests_shown(kpi_keys)
        segments.append({"name": breakdown.name, "id": seg_id, "rows": rows,
                         "chart": chart, "n_tests": n_tests, "total_base": breakdown.total_base,
                         "many_tests": n_tests > 20, "overlapping": breakdown.overlapping,
                         "adjust_note": adjust_note(breakdown.tables.get("kpis" if kpis else "attributes", 0),
                                                    breakdown.method),
                         "base_label": _("Respondents")})

    # Periods: the whole history up to the window's end.
    trend = None
    if results.periods is not None and results.periods.groups:
        per = results.periods
        rows = []
        for g in per.groups:
            row = _group_row(g, kpi_keys, study, per)
            for key in kpi_keys:
                status = study.targets.judge(key, g.items[key])
                row["cells"][key].update(status=status.status if status else None,
                                         target=status.target if status else None,
                                         tolerance=status.tolerance if status else None)
            rows.append(row)
        trend_charts = []
        if len(per.groups) >= 2 and client_charts:
            for spec in kpis:
                rule = study.targets.rules.get(spec.key)
                trend_charts.append(charts.defer(charts.trend, f"trend-{_slug(spec.key)}", spec.label,
                                                 trend_points(per.groups, spec, study.targets), spec, cs,
                                                 target=rule.target if rule else None))
        n_tests = per.tests_shown(kpi_keys)
        trend = {"rows": rows, "charts": trend_charts, "unit": project.periods.unit,
                 "n_tests": n_tests, "many_tests": n_tests > 20, "base_label": _("Respondents"),
                 "adjust_note": adjust_note(per.tables.get("kpis" if kpis else "attributes", 0), per.method,
                                            per_period=True),
                 "first": per.groups[0].label, "last": per.groups[-1].label}

    # Attributes.
    attributes = None
    if results.attributes:
        attr_rows = []
        for spec in results.attributes:
            r = results.overall[spec.key]
            status = study.targets.overall.get(spec.key)
            attr_rows.append({"label": spec.label, "mean": est_cell(r.mean), "top2": est_cell(r.top2), "n": r.n,
                              "scale": scale_text(spec), "status": status_dict(status, "mean"),
                              "composite": spec.origin == "composite", "numeric": spec.origin == "numeric",
                              "_rank": _scale_position({"mean": est_cell(r.mean)}, spec)})
        # Ranked by position on the scale (a 1–10 item beside 1–5 ones), numeric items last.
        attr_rows.sort(key=lambda a: -a.pop("_rank"))
        # The chart ranks the ratings (and scale scores) when they share one scale; numeric items
        # (an amount, minutes) are in the table only.
        rated = [s for s in results.attributes if s.origin != "numeric"]
        spec0 = rated[0] if rated else None
        same_scale = bool(rated) and all((s.low, s.high) == (spec0.low, spec0.high) for s in rated)
        chart = None
        if same_scale and client_charts:
            chart = charts.defer(
                charts.ranked_bars, "attributes", _("Attribute performance (mean score)"),
                [{"label": s.label + (" †" if s.origin == "composite" else ""),
                  "value": results.overall[s.key].mean.value, "low": results.overall[s.key].mean.low,
                  "high": results.overall[s.key].mean.high, "base": results.overall[s.key].mean.base}
                 for s in rated], spec0, cs, flag_below=rules.flag_below)
        attributes = {"rows": attr_rows, "chart": chart}

    # Standards and tiers.
    benchmarks = [{"label": b.label, "value": b.value, "unit": b.unit, "compared": b.compared,
                   "standard_unit": _metric_unit(b.standard.metric),
                   "gap": shown_difference(b.compared, b.standard.value, _metric_unit(b.standard.metric)),
                   "exact_gap": b.gap,
                   "position": b.position, "conversion": b.conversion, "metric": b.standard.metric,
                   "standard_value": b.standard.value, "standard_id": b.standard.id,
                   "source": b.standard.source, "year": b.standard.period or b.standard.year,
                   "credit": b.standard.credit, "industry": place_words(b.standard)[0],
                   "region": place_words(b.standard)[1], "base": b.base} for b in study.benchmarks]
    tier_rows = []
    for key, entry in study.tiers.items():
        spec = results.item(key)
        groups = [{"segment": seg, "group": grp, "tier": t} for (seg, grp), t in entry["segments"].items()]
        tier_rows.append({"label": spec.label, "unit": spec.headline_unit, "thresholds": entry["thresholds"],
                          "overall": entry["overall"],
                          "counts": {name: sum(1 for g in groups if g["tier"] == name)
                                     for name in ("excellent", "differentiated", "basic", None)},
                          "groups": groups})
    credits = sorted({b["credit"] for b in benchmarks})

    # Competitors.
    competitors = []
    for k, comp in enumerate(study.competitors):
        comp = competitor_as_shown(comp)
        competitors.append({
            "label": comp.label, "unit": _display_unit(comp.unit),
            "origin": comp.origin, "brands": comp.brands, "own": comp.own, "average": comp.competitor_average,
            "best": comp.best, "rank": comp.rank, "n_brands": sum(1 for b in comp.brands if b.value is not None),
            "gap": comp.gap_to_leader, "leads": comp.leads, "notes": comp.notes,
            "period": getattr(comp, "period", "") or "", "cited": comp.cited,
            "dot": charts.defer(charts.dot_plot, f"comp-dot-{k}", comp, cs),
            "gap_chart": charts.defer(charts.gap_chart, f"comp-gap-{k}", comp, cs) if any(b.diff is not None for b in comp.brands if not b.own) else None,
        })

    # Key drivers and scale reliability.
    drivers = None
    if study.drivers is not None:
        d = study.drivers
        scales = [{"name": sc.name, "alpha": sc.alpha, "n": sc.n, "note": sc.note,
                   "members": [{"name": i.name, "item_rest": i.item_rest, "alpha_if_deleted": i.alpha_if_deleted}
                             for i in getattr(sc, "items", [])]} for sc in d.scales]
        drivers = {"overall": d.overall, "segments": d.segments, "skipped": d.skipped, "scales": scales,
                   "note": getattr(d, "not_computed", ""),
                   "chart": charts.defer(charts.quadrant, "drivers", d.overall, cs) if d.overall else None}

    # Voice of the customer.
    voice = None
    if study.voice is not None:
        v = study.voice
        seg_tables = []
        for name, table in v.by_segment.items():
            seg_tables.append({"name": name, "groups": [str(g) for g in table.index],
                               "rows": [{"theme": t.theme, "counts": [int(table.at[g, t.theme]) if t.theme in table.columns
                                                                      and g in table.index else 0 for g in table.index]}
                                        for t in v.themes]})
        voice = {"n": v.n_comments, "uncoded": v.uncoded,
                 "uncoded_pct": 100 * v.uncoded / v.n_comments if v.n_comments else None,
                 "sentiment": v.sentiment_counts, "themes": v.themes, "pareto": v.pareto,
                 "segments": seg_tables,
                 "chart": charts.defer(charts.pareto, "pareto", v.pareto, cs) if v.pareto else None}

    # Multi-punch questions: respondents mentioning each code.
    mentions = [{"name": m.name, "question": m.question, "base": m.base, "weighted_base": m.weighted_base,
                 "base_flag": m.base_flag, "not_answered": m.not_answered, "weighted": m.weighted,
                 "total_pct": m.total_pct,
                 "rows": [{"label": r.label, "code": r.code, "count": r.count, "pct": r.pct} for r in m.rows]}
                for m in study.mentions]

    journey = None
    if study.journey is not None:
        journey = {"map": study.journey, "chart": charts.defer(charts.journey, "journey", study.journey, cs),
                   # The journey's base is the touchpoint's answers to its KPI (a segment table's base
                   # counts every respondent of the group), and its column says so.
                   "base_label": _("Answers")}

    priorities = None
    if study.priorities:
        top = study.project.priorities.top if study.project.priorities else 5
        priorities = {"rows": study.priorities, "top": study.priorities[:top], "note": "",
                      "chart": charts.defer(charts.priority_matrix, "priorities", study.priorities, cs)}
    elif study.project.priorities is not None and study.drivers is not None and getattr(study.drivers, "not_computed", ""):
        # The priorities need the driver analysis: their section says why there are none.
        priorities = {"rows": [], "top": [], "chart": None,
                      "note": _("Improvement priorities not ranked: they need the key driver analysis. {why}").format(
                          why=study.drivers.not_computed)}

    validation = study.validation
    narrative = {key: load_narrative(getattr(report.narrative, key), key, study.actions)
                 for key in ("executive_summary", "recommendations")}

    # The cover names the window, and the fieldwork dates of the window's responses.
    dates = study.data.dates
    whole = window.kind == "all" or not window.dated
    fw_start = (report.fieldwork.start if whole else None) or (
        dates.min().date() if dates is not None and dates.notna().any() else None)
    fw_end = (report.fieldwork.end if whole else None) or (
        dates.max().date() if dates is not None and dates.notna().any() else None)
    period_label = window.label

    from cxreport.present.actions import actions_context

    actions = actions_context(study.actions)
    comments = _comments(study, report.comments_shown) if "comments" in report.sections else []
    response_times = response_context(study, cs, client_charts=client_charts)
    # Voice of the customer and customer value (issue 16): each section's context from its own module.
    from cxreport.present.consistency import consistency_context
    from cxreport.present.journey_emotion import emotion_context
    from cxreport.present.suggestions import suggestions_context
    from cxreport.present.value import value_context
    from cxreport.present.voc import theme_impact_context, theme_trends_context

    theme_impact = theme_impact_context(study, cs, client_charts=client_charts)
    theme_trends = theme_trends_context(study, cs, client_charts=client_charts)
    suggested = suggestions_context(study)
    consistency = consistency_context(study, cs, client_charts=client_charts)
    customer_value = value_context(study, cs, client_charts=client_charts)
    if journey is not None:
        journey["emotion"] = emotion_context(study, cs, client_charts=client_charts)
    # A section appears only when it has something to show.
    has_content = {
        "scorecard": bool(scorecard), "trend": trend is not None, "nps_distribution": nps_block is not None,
        "attributes": attributes is not None, "segments": bool(segments),
        "comments": bool(comments) or voice is not None or bool(mentions),
        "recommendations": narrative["recommendations"] is not None,
        "benchmarks": bool(benchmarks or tier_rows), "competitors": bool(competitors),
        "drivers": drivers is not None, "journey": journey is not None, "priorities": priorities is not None,
        "actions": actions is not None and bool(actions["rows"]),
        "you_said_we_did": actions is not None and bool(actions["you_said"]),
        "response_times": response_times is not None,
        "theme_impact": theme_impact is not None, "theme_trends": theme_trends is not None,
        "suggested_themes": suggested is not None, "consistency": consistency is not None,
        "customer_value": customer_value is not None,
    }
    sections = [s for s in report.sections if has_content.get(s, True)]

    return {
        "version": __version__,
        "lang": project.language,
        "client": {"name": project.client.name},
        "brand": {"primary": project.brand.primary, "accent": project.brand.accent, "font": project.brand.font},
        "report": {
            "title": report.title, "subtitle": report.subtitle, "prepared_by": report.prepared_by,
            "prepared_for": report.prepared_for or project.client.name,
            "date": report.date or build_date or dt.date.today(),
            "confidentiality": report.confidentiality, "period": period_label,
            "fieldwork_start": fw_start, "fieldwork_end": fw_end,
        },
        "sections": sections,
        "findings": key_findings(study),
        "period": _period_context(study, scopes),
        "sources": _sources(study),
        "sources_sentence": sources_sentence(study),
        "unit": _unit_context(study),
        "narrative": narrative,
        "scorecard": scorecard,
        # Why the scorecard's bases (answers to each KPI) differ from the respondents counted by
        # the segment and trend tables, printed under the scorecard.
        "scorecard_base_note": _("Base: the respondents who answered each question, of {n} respondents in "
                                 "{period}.").format(n=num(results.base), period=study.window.label)
        if scorecard else None,
        "kpi_specs": [{"key": s.key, "label": s.label, "unit": s.headline_unit} for s in table_specs],
        "totals": {s.key: est_cell(results.overall[s.key].headline) for s in table_specs},
        "nps": nps_block,
        "segments": segments,
        "trend": trend,
        "attributes": attributes,
        "comments": comments,
        "benchmarks": benchmarks,
        "benchmark_credits": credits,
        "tiers": tier_rows,
        "competitors": competitors,
        "drivers": drivers,
        "voice": voice,
        "mentions": mentions,
        "priorities": priorities,
        "actions": actions,
        "response_times": response_times,
        "journey": journey,
        "theme_impact": theme_impact,
        "theme_trends": theme_trends,
        "suggested_themes": suggested,
        "consistency": consistency,
        "customer_value": customer_value,
        "banners": _banners(study, "appendix" in report.sections),
        "rules": {"suppress_below": rules.suppress_below, "flag_below": rules.flag_below,
                  "alpha": results.alpha, "confidence": 95, "adjust": results.adjust,
                  "adjust_name": _(ADJUST_NAMES[results.adjust]) if results.adjust in ADJUST_NAMES else None},
        "sample": {"base": results.base, "weighted": results.weighted, "n_eff": results.n_eff,
                   "efficiency": results.weighting_efficiency, "weighted_base": results.weighted_base,
                   "moe": _margin_of_error(results), "raking": weighting_block(validation)},
        "definitions": [{"label": s.label, "text": definition(s)} for s in results.items if s.kind != "rating"],
        "validation": {
            "file": validation.file, "rows_read": validation.rows_read, "rows_used": validation.rows_used,
            "excluded": {_(reason): n for reason, n in validation.excluded.items()},
            "duplicates": len(validation.duplicate_ids),
            "columns": [{"label": _(c.label), "column": c.column, "valid": c.valid, "missing": c.missing,
                         "na": c.not_applicable, "invalid": c.invalid} for c in validation.columns],
            "notes": _validation_notes(validation),
        },
        "charts": chart_list,
    }


def _banners(study: Study, shown: bool) -> dict | None:
    """The appendix's banner tables (cxreport.present.banner); computed even when the appendix
    is left out, so the workbook's and validate's banners are checked the same way."""
    from cxreport.present.banner import banner_context
    from cxreport.scoring.banner import study_banners

    study_banners(study)
    return banner_context(study) if shown else None


def duration_text(seconds) -> str:
    """A response time or standard in its largest whole unit (seconds below a minute, minutes
    below an hour, hours below two days, then days): '20 s', '2 min', '1.5 h', '24 h', '2 d' —
    one decimal below 10 of a unit unless the figure is whole; '—' when there is none."""
    if seconds is None or not math.isfinite(seconds):
        return "—"
    for limit, size, words in ((60, 1, _("{n} s")), (3600, 60, _("{n} min")), (48 * 3600, 3600, _("{n} h")),
                               (math.inf, 86400, _("{n} d"))):
        if seconds < limit:
            value = seconds / size
            decimals = 0 if value >= 10 or abs(value - round(value)) < 0.05 else 1
            return words.format(n=num(value, decimals))
    return "—"  # pragma: no cover


def _compliance_row(c, unit_rules) -> dict:
    """A compliance row for the templates, the workbook and the deck (figures as printed)."""
    from cxreport.benchmark.targets import TargetStatus
    from cxreport.present.formatting import gap as fmt_gap, half_width

    shown = c.base != "suppressed" and c.share is not None
    status = None
    if c.status is not None and unit_rules.get("target") is not None:
        value = c.share if shown else None
        from cxreport.scoring.kpis import shown_value

        value = shown_value(value, "percent") if value is not None else None
        status = status_dict(TargetStatus("response", unit_rules["target"], unit_rules["tolerance"], value,
                                          None if value is None else value - unit_rules["target"], c.status),
                             "percent")
    change = None
    if c.change is not None and shown:
        change = shown_difference(c.share, c.previous, "percent")
    return {
        "label": c.label, "standard": duration_text(c.standard) if c.standard is not None else None,
        "standard_seconds": c.standard, "cases": c.cases, "due": c.due, "pending": c.pending,
        "within": c.within, "answered": c.answered,
        "share": {"value": c.share if shown else None, "unit": "percent", "base": c.base,
                  "mark": 0, "low": c.low, "high": c.high, "n": c.due},
        "interval": (f"{figure(c.low, 'percent')}–{figure(c.high, 'percent')}" if shown else "—"),
        "half_width": half_width(c.low, c.high, "percent") if shown else "—",
        "median": duration_text(c.median), "p90": duration_text(c.p90),
        "median_seconds": c.median, "p90_seconds": c.p90, "closed": c.closed,
        "closure_median": duration_text(c.closure_median), "closure_p90": duration_text(c.closure_p90),
        "closure_share": {"value": c.closure_share if c.closure_due >= unit_rules["suppress"] else None,
                          "unit": "percent", "base": "ok" if c.closure_due >= unit_rules["flag"] else
                          ("small" if c.closure_due >= unit_rules["suppress"] else "suppressed"), "mark": 0},
        "previous": c.previous, "change": change, "change_text": fmt_gap(change, "percent") if change is not None
        else "—", "p_value": c.p_value, "mark": c.mark, "status": status,
    }


def response_context(study: Study, cs, *, client_charts: bool = True) -> dict | None:
    """The "Response times" section: compliance by channel with its change, the trend, the
    backlog and its ages, the breakdowns and the detractor follow-up, as printed."""
    r = getattr(study, "response", None)
    if r is None:
        return None
    rules = {"target": r.target, "tolerance": r.tolerance, "suppress": r.suppress_below, "flag": r.flag_below}
    channels = [_compliance_row(c, rules) for c in r.channels]
    total = _compliance_row(r.total, rules)
    total["label"] = _("All channels")
    labels = [t["label"] for t in r.trend]
    chart = None
    if len(labels) >= 2 and client_charts:
        series = [{"label": name, "values": [t["channels"][name].share
                                             if t["channels"][name].base != "suppressed" else None
                                             for t in r.trend]} for name in r.standards]
        chart = charts.defer(charts.response_trend, "response-trend",
                             _("Answered within the standard, by channel"), labels, series, cs, target=r.target)
    trend = [{"label": t["label"], **{k: v for k, v in _compliance_row(t["total"], rules).items()
                                      if k in ("cases", "due", "share", "interval", "change_text", "mark")}}
             for t in r.trend]
    backlog = None
    if r.backlog is not None:
        b = r.backlog
        bands = []
        for band in b.bands:
            if band.label_high is None:
                label = _("over {low}").format(low=duration_text(band.label_low))
            elif band.label_low == 0:
                label = _("under {high}").format(high=duration_text(band.label_high))
            else:
                label = _("{low} to {high}").format(low=duration_text(band.label_low),
                                                     high=duration_text(band.label_high))
            bands.append({"label": label, "count": band.count, "share": band.share})
        backlog = {"at": _long_date(b.at.date()), "open": b.open, "bands": bands,
                   "by_channel": [{"label": k, "count": v} for k, v in b.by_channel.items()],
                   "overdue": b.overdue, "overdue_rule": b.overdue_rule, "basis": b.basis,
                   "closure": duration_text(r.closure) if r.closure else None}
    breakdowns = [{"name": _("Category") if b.name == "category" else b.name,
                   "rows": [_compliance_row(c, rules) for c in b.rows]} for b in r.breakdowns]
    for b in breakdowns:
        for row in b["rows"]:
            if row["label"] == "Not stated":
                row["label"] = _("Not stated")
    follow = None
    if r.follow_up is not None:
        f = r.follow_up
        shown = f.base != "suppressed"
        follow = {"detractors": f.detractors, "contacted": f.contacted, "within": f.within,
                  "contacted_share": {"value": f.contacted_share if shown else None, "unit": "percent",
                                      "base": f.base, "mark": 0},
                  "share": {"value": f.share if shown else None, "unit": "percent", "base": f.base, "mark": 0},
                  "interval": f"{figure(f.low, 'percent')}–{figure(f.high, 'percent')}" if shown else "—",
                  "contacted_interval": (f"{figure(f.contacted_low, 'percent')}–{figure(f.contacted_high, 'percent')}"
                                         if shown else "—"),
                  "unmatched": f.unmatched}
    excluded = sum(r.excluded.values())
    # What moved: each channel whose compliance changed significantly, as printed in the table.
    moves = []
    for c, row in zip(r.channels, channels):
        if c.mark:
            words = (_("{channel}: {share} within {standard}, up from {before} in {period}") if c.mark > 0 else
                     _("{channel}: {share} within {standard}, down from {before} in {period}"))
            moves.append(words.format(channel=c.label, share=figure(c.share, "percent"), standard=row["standard"],
                                      before=figure(c.previous, "percent"), period=r.previous))
    if moves:
        summary = _("Significant changes: {moves}.").format(moves="; ".join(moves))
    elif r.previous is not None and any(c.previous is not None for c in r.channels):
        summary = _("No channel's share within its standard changed significantly on {period}.").format(
            period=r.previous)
    else:
        summary = None
    return {
        "summary": summary,
        "period": r.period, "previous": r.previous, "file": r.file, "channels": channels, "total": total,
        "has_change": r.previous is not None and any(c["change"] is not None for c in channels + [total]),
        "chart": chart, "trend": trend, "trend_first": labels[0] if labels else None,
        "trend_last": labels[-1] if labels else None, "backlog": backlog, "breakdowns": breakdowns,
        "follow_up": follow, "target": r.target, "tolerance": r.tolerance,
        "closure": duration_text(r.closure) if r.closure else None,
        "rows_read": r.rows_read, "rows_used": r.rows_used, "excluded": excluded,
        "excluded_reasons": [{"reason": _(k), "count": v} for k, v in r.excluded.items()],
        "as_of": _long_date(r.as_of.date()) if r.as_of is not None else None,
        "alpha": r.alpha,
    }


def _long_date(value) -> str:
    from cxreport.present.render import long_date

    return long_date(value)


def _voc_headings(study: Study) -> dict:
    """The periods of the theme impact (the comments' rows) and theme trends sections (cxreport.present.voc)."""
    ins = getattr(study, "insights", None)
    if ins is None:
        return {}
    periods = ins.trend_periods
    return {"theme_impact": ins.period,
            "theme_trends": _("{first} – {last}").format(first=periods[0], last=periods[-1]) if periods else None}


def _period_context(study: Study, scopes: dict) -> dict:
    """What every section says about its period: the window, its comparisons, each section's
    rows (pooled runs named as such) and the trend's span."""
    from cxreport.window import versus

    window = study.window
    per = study.results.periods
    trend = (_("{first} – {last}").format(first=per.groups[0].label, last=per.groups[-1].label)
             if per is not None and len(per.groups) > 1 else window.label)
    against = [c.label for c in study.comparisons if c.base and c.kind in ("previous", "year_ago")]
    headline = versus(window.label, _(" and ").join(against)) if against else window.label
    competitor_periods = sorted({c.period for c in study.competitors if getattr(c, "period", "")})
    by_origin = []
    for origin, words in (("survey", _("competitor survey")), ("table", _("published data"))):
        found = sorted({c.period for c in study.competitors if c.origin == origin and getattr(c, "period", "")})
        if found:
            by_origin.append(_("{source} {period}").format(source=words, period=_(", ").join(found)))
    priorities = scopes["drivers"].label
    if scopes["drivers"].pooled:
        priorities = _("importance {pooled}; performance {window}").format(pooled=scopes["drivers"].label,
                                                                           window=window.label)
    headings = {
        "executive_summary": window.label, "scorecard": headline, "nps_distribution": window.label,
        "trend": trend, "segments": scopes["segments"].label, "attributes": window.label,
        "drivers": scopes["drivers"].label, "journey": scopes["journey"].label, "benchmarks": window.label,
        "competitors": " · ".join(by_origin),
        "comments": scopes["comments"].label, "priorities": priorities,
        "response_times": (_("cases received {period}").format(period=study.response.period)
                           if getattr(study, "response", None) is not None else None),
        "actions": (_("{window} against each action's baseline; status as of {date}").format(
            window=window.label, date=_long_date(study.actions.as_of)) if study.actions is not None else None),
        "you_said_we_did": (_("Comments: {period}").format(period=study.actions.comments_scope)
                            if study.actions is not None and study.actions.comments_scope else None),
        **_voc_headings(study),
    }
    return {
        "headings": {k: v for k, v in headings.items() if v},
        "window": window.label, "kind": window.kind, "dated": window.dated, "spec": window.spec,
        "pooled_window": window.kind in ("all", "rolling") and len(window.span.periods) > 1,
        "comparisons": [{"kind": c.kind, "label": c.label, "base": c.base} for c in study.comparisons],
        "previous": next((c.label for c in study.comparisons if c.kind == "previous" and c.base), None),
        "year_ago": next((c.label for c in study.comparisons if c.kind == "year_ago" and c.base), None),
        "baseline": next((c.label for c in study.comparisons if c.kind == "baseline" and c.base), None),
        "sections": {name: {"label": scope.label, "pooled": scope.pooled, "periods": scope.periods}
                     for name, scope in scopes.items()},
        "pooled": sorted({scope.label for scope in scopes.values() if scope.pooled}),
        "trend": trend,
        "competitors": competitor_periods,
    }


def sources_sentence(study: Study) -> str | None:
    """One sentence on the KPIs other sources also give: the headline is this survey's window
    figure; the others with source, period and base (every joining word through gettext)."""
    parts = []
    for entry in study.sources:
        others = []
        for f in entry.figures:
            if f.headline:
                continue
            details = [f.source] + ([f.period] if f.period and f.period not in f.source else []) + (
                [_("n = {n}").format(n=num(f.base))] if f.base else [])
            others.append(_("{value} ({details})").format(value=figure(f.value, entry.unit),
                                                          details=_(", ").join(details)))
        if others:
            parts.append(_("{kpi} {figures}").format(kpi=entry.label, figures=_(", ").join(others)))
    if not parts:
        return None
    return _("The headline figures are this survey's, {period}. Other sources give the client's own figures "
             "too: {figures}. They differ in sample, question and period (see the competitor section).").format(
        period=study.window.label, figures=_("; ").join(parts))


def _sources(study: Study) -> list[dict]:
    """The client's KPIs given by several sources, each with source, period and base."""
    out = []
    for entry in study.sources:
        out.append({"label": entry.label, "unit": entry.unit,
                    "figures": [{"source": f.source, "period": f.period, "value": f.value, "base": f.base,
                                 "headline": f.headline} for f in entry.figures]})
    return out


def _unit_context(study: Study) -> dict | None:
    if study.unit is None:
        return None
    from cxreport.present.unit import unit_context

    return unit_context(study)


def weighting_block(validation) -> dict | None:
    """The raking (``weighting:``) for the methodology and the workbook: convergence, trim,
    efficiency and each group's sample, target and weighted share (in percent)."""
    w = validation.weighting
    if w is None:
        return None
    return {
        "margins": list(w.margins), "iterations": w.iterations, "converged": w.converged,
        "trim": [f"{v:g}" for v in w.trim] if w.trim else None, "trimmed": w.trimmed, "n": w.n, "n_eff": w.n_eff,
        "efficiency": 100.0 * w.efficiency, "min_weight": w.min_weight, "max_weight": w.max_weight,
        "design_weight": w.design_weight, "max_gap": 100.0 * w.max_gap,
        "rows": [{"segment": s.segment, "group": _(s.group) if s.group == "Not stated" else s.group,
                  "first": i == 0 or w.shares[i - 1].segment != s.segment,
                  "span": sum(1 for t in w.shares if t.segment == s.segment),
                  "respondents": s.respondents, "sample": 100.0 * s.sample, "target": 100.0 * s.target,
                  "achieved": 100.0 * s.achieved} for i, s in enumerate(w.shares)],
        "periods": [{"label": _("rows in no period") if q.label == "rows in no period" else q.label, "n": q.n,
                     "iterations": q.iterations, "converged": q.converged, "n_eff": q.n_eff,
                     "efficiency": 100.0 * q.efficiency, "min_weight": q.min_weight, "max_weight": q.max_weight}
                    for q in w.periods],
    }


def _validation_notes(validation) -> list[str]:
    """The data-check notes of the methodology, in the report's language (the English ones
    in ``validation.notes`` are the command line's warnings)."""
    if not validation.undated:          # the date check is the only source of notes
        return list(validation.notes)
    return [_("column '{column}': {n} rows without a valid date are in the totals but in no period").format(
        column=validation.date_column, n=num(validation.undated))]


def _margin_of_error(results) -> float | None:
    """Maximum margin of error (percentage points) of a proportion on the whole sample."""
    n = results.n_eff
    if not n:
        return None
    return 100 * 1.959964 * math.sqrt(0.25 / n)
