"""Plain data for the quarterly management review (``build --report quarterly``).

Reuses the client report's context (scorecard, benchmarks, competitors) and adds: KPI
trends over the last N periods, the latest period against the previous one and the same
period a year before, a scorecard of every KPI by segment with status and change marks,
top improvers and decliners among units with enough base, "what changed" sentences and,
when the project links a mystery-shopping programme, its wave results.
"""

from __future__ import annotations

from cxreport.i18n import _
from cxreport.pipeline import Study
from cxreport.present import charts
from cxreport.present.context import build_context, est_cell, status_dict, trend_points
from cxreport.present.findings import _points
from cxreport.present.formatting import figure
from cxreport.present.narrative import load_narrative
from cxreport.scoring.survey import segment_changes
from cxreport.window import versus


def build_quarterly_context(study: Study, **kwargs) -> dict:
    ctx = build_context(study, client_charts=False, **kwargs)
    project = study.project
    results = study.results
    q = project.quarterly
    rules = results.rules
    cs = charts.ChartStyle(project.brand.primary, project.brand.accent, project.brand.font)
    window = study.window
    per = results.periods
    if not window.dated or window.kind == "all" or per is None:
        from cxreport.errors import CxError

        if not window.dated or per is None:
            raise CxError("the quarterly review needs response dates covering at least two periods "
                          "(columns.date and periods.unit)")
        raise CxError("the quarterly review describes one period against the one before it; "
                      "report.period (or --period) 'all' pools every period: choose latest, a period or 'last N'")
    previous = study.comparison("previous")
    year_ago = study.comparison("year_ago")
    if previous is None:
        from cxreport.errors import CxError

        raise CxError(f"the quarterly review compares {window.label} with the period before it, "
                      "which the data do not reach (the reporting window is the first period)")
    groups = per.groups[-q.quarters:]
    kpis = results.kpis
    ctx["report"]["title"] = _("Quarterly management review")
    ctx["report"]["subtitle"] = f"{project.report.title} — {window.label}"
    ctx["review"] = {"period": window.label, "previous": previous.label,
                     "year_ago": year_ago.label if year_ago is not None and year_ago.base else None,
                     "quarters": len(groups), "trend_from": groups[0].label, "trend_to": groups[-1].label,
                     "versus": versus(window.label, previous.label)}

    # Trends over the last N periods (up to the window's end), coloured by the one status rule.
    trend_charts = []
    for spec in kpis:
        points = trend_points(groups, spec, study.targets)
        rule = study.targets.rules.get(spec.key)
        trend_charts.append(charts.defer(charts.trend, f"q-trend-{spec.key}", spec.label, points, spec, cs,
                                         target=rule.target if rule else None))
    ctx["q_trends"] = trend_charts

    # The window against the previous period and the same period a year before.
    changes = []
    for spec in kpis:
        now = results.overall[spec.key]
        before = previous.overall.get(spec.key)
        row = {"key": spec.key, "label": spec.label, "unit": spec.headline_unit, "now": est_cell(now.headline),
               "prev": est_cell(before.headline) if before is not None else None, "year": None,
               "d_prev": previous.changes.get(spec.key),
               "d_year": year_ago.changes.get(spec.key) if year_ago is not None else None,
               "status": status_dict(study.targets.overall.get(spec.key), spec.headline_unit)}
        if year_ago is not None and year_ago.overall:
            row["year"] = est_cell(year_ago.overall[spec.key].headline)
        changes.append(row)
    ctx["q_changes"] = changes

    # Segment scorecard in the window, with change against the previous period.
    prev_rows = study.view.comparison("previous")
    cross = segment_changes(study.full, study.view.mask, prev_rows[2] if prev_rows else None, rules, results.alpha,
                            keys=[s.key for s in kpis])
    scorecards = []
    for seg_name, units in cross.items():
        rows = []
        for u in units:
            if all(u.now[spec.key].n == 0 for spec in kpis) and (not u.before or all(
                    u.before[spec.key].n == 0 for spec in kpis)):
                continue                      # a group with no answers in either period
            cells = {}
            for spec in kpis:
                change = u.changes.get(spec.key)
                cell = est_cell(u.now[spec.key].headline, change.mark if change else 0)
                status = study.targets.judge(spec.key, u.now[spec.key], seg_name, u.label)
                cell["status"] = status.status if status else None
                cell["target"] = status.target if status else None
                cell["tolerance"] = status.tolerance if status else None
                cell["change"] = change.test.diff if change else None
                cells[spec.key] = cell
            rows.append({"label": u.label, "base": u.now[kpis[0].key].n if kpis else 0, "cells": cells})
        scorecards.append({"name": seg_name, "rows": rows})
    ctx["q_scorecards"] = scorecards

    # Improvers and decliners among units with enough base, on the first KPI.
    min_base = q.min_base or rules.flag_below
    unit_segments = q.units or [s.name for s in study.full.segments if len(s.labels) > 4]
    movers = []
    if kpis:
        key = kpis[0].key
        for seg_name in unit_segments:
            for u in cross.get(seg_name, []):
                now, before = u.now[key], u.before.get(key)
                change = u.changes.get(key)
                if before is None or change is None or now.n < min_base or before.n < min_base:
                    continue
                movers.append({"segment": seg_name, "label": u.label, "now": now.headline.value,
                               "before": before.headline.value, "diff": change.test.diff,
                               "p": change.test.p_value, "mark": change.mark, "n_now": now.n, "n_before": before.n})
    unit = kpis[0].headline_unit if kpis else "points"
    ctx["q_improvers"] = sorted([m for m in movers if m["diff"] > 0], key=lambda m: (-m["mark"], -m["diff"]))[:5]
    ctx["q_decliners"] = sorted([m for m in movers if m["diff"] < 0], key=lambda m: (m["mark"], m["diff"]))[:5]
    ctx["q_movers_unit"] = unit
    ctx["q_min_base"] = min_base
    ctx["q_kpi"] = kpis[0].label if kpis else ""

    # What changed: sentences from significant movements only.
    sentences = []
    for row in changes:
        for change, ref, what in ((row["d_prev"], previous.label, _("the previous quarter")),
                                  (row["d_year"], year_ago.label if year_ago else None, _("the same quarter last year"))):
            if change is None or not change.mark:
                continue
            verb = _("rose") if change.mark > 0 else _("fell")
            sentences.append(_("{kpi} {verb} significantly against {what} ({ref}): {now}, {dir} {diff}.").format(
                kpi=row["label"], verb=verb, what=what, ref=ref, now=figure(row["now"]["value"], row["unit"]),
                dir=_("up") if change.mark > 0 else _("down"), diff=_points(change.test.diff, row["unit"])))
    for m in ctx["q_improvers"][:3]:
        if m["mark"] > 0:
            sentences.append(_("{unit} ({segment}) improved significantly: {kpi} {now}, up {diff} on {prev}.").format(
                unit=m["label"], segment=m["segment"].lower(), kpi=ctx["q_kpi"], now=figure(m["now"], unit),
                diff=_points(m["diff"], unit), prev=previous.label))
    for m in ctx["q_decliners"][:3]:
        if m["mark"] < 0:
            sentences.append(_("{unit} ({segment}) declined significantly: {kpi} {now}, down {diff} on {prev}.").format(
                unit=m["label"], segment=m["segment"].lower(), kpi=ctx["q_kpi"], now=figure(m["now"], unit),
                diff=_points(m["diff"], unit), prev=previous.label))
    if not sentences:
        sentences.append(_("No headline KPI moved significantly against the previous quarter or the same quarter "
                           "last year."))
    ctx["q_what_changed"] = sentences
    ctx["q_narrative"] = load_narrative(q.narrative, "quarterly.narrative") if q.narrative else None
    ctx["q_shop"] = _programme_block(study) if q.programme else None
    return ctx


def _programme_block(study: Study) -> dict | None:
    """League-table summary and section trends of the linked mystery-shop programme."""
    from cxreport.shop.commands import results as programme_results
    from cxreport.shop.loadprog import load_programme

    prog = load_programme(study.project.quarterly.programme)
    res = programme_results(prog)
    latest = res.latest_wave()
    lw = res.location_waves[res.location_waves["wave"] == latest].sort_values("score", ascending=False)
    top = [{"name": r.location, "score": float(r.score), "flag": bool(r.consecutive_fail)} for r in lw.head(5).itertuples()]
    bottom = [{"name": r.location, "score": float(r.score), "flag": bool(r.consecutive_fail)}
              for r in lw.tail(5).iloc[::-1].itertuples()]
    waves = [{"name": res.wave_name(r.wave), "score": float(r.score), "pass_rate": float(r.pass_rate),
              "visits": int(r.visits)} for r in res.groups["programme"].itertuples()]
    s = res.sections
    sections = []
    for section in prog.questionnaire.sections:
        sections.append({"title": section.title,
                         "scores": [float(s[(s["section"] == section.id) & (s["wave"] == w)]["score"].iloc[0])
                                    if len(s[(s["section"] == section.id) & (s["wave"] == w)]) else None
                                    for w in res.waves]})
    return {"name": prog.programme.name, "latest": res.wave_name(latest), "waves": waves, "top": top,
            "bottom": bottom, "wave_ids": res.waves, "sections": sections,
            "flagged": [r["name"] for r in top + bottom if r["flag"]]}
