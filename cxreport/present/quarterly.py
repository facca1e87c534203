"""Plain data for the quarterly management review (``build --report quarterly``).

Reuses the client report's context (scorecard, benchmarks, competitors) and adds: KPI
trends over the last N periods, the latest period against the previous one and the same
period a year before, a scorecard of every KPI by segment with status and change marks,
top improvers and decliners among units with enough base, "what changed" sentences and,
when the project links a mystery-shopping programme, its wave results.
"""

from __future__ import annotations

import dataclasses

from cxreport.i18n import _
from cxreport.pipeline import Study
from cxreport.present import charts
from cxreport.present.context import build_context, est_cell, journey_order, status_dict, trend_points
from cxreport.present.findings import _points
from cxreport.present.formatting import figure, shown_difference
from cxreport.present.narrative import load_narrative
from cxreport.scoring.survey import segment_changes
from cxreport.window import versus

#: Improvers and decliners listed (significant ones only, the largest change first).
MOVERS = 5


def shown_change(change, now, before, unit: str):
    """``change`` (a tested :class:`~cxreport.scoring.survey.Change`) as the review prints it:
    its ``test.diff`` is the difference of the two figures as shown (``now`` and ``before``,
    Estimates), so "74% … 75% … −1 pts" adds up in the table, the sentences and the deck;
    the mark and p-value stay those of the test on the exact figures. None without a change."""
    if change is None or now is None or before is None:
        return change
    shown = shown_difference(now.value, before.value, unit)
    if shown is None:
        return change
    return dataclasses.replace(change, test=dataclasses.replace(change.test, diff=shown))


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
        unit = spec.headline_unit
        then = year_ago.overall.get(spec.key) if year_ago is not None and year_ago.overall else None
        d_prev = previous.changes.get(spec.key)
        d_year = year_ago.changes.get(spec.key) if year_ago is not None else None
        # d_prev / d_year: the changes as printed (shown figure minus shown figure), marked by
        # the tests on the exact figures, which stay in *_exact.
        row = {"key": spec.key, "label": spec.label, "unit": unit, "now": est_cell(now.headline),
               "prev": est_cell(before.headline) if before is not None else None, "year": None,
               "d_prev": shown_change(d_prev, now.headline, before.headline if before is not None else None, unit),
               "d_year": shown_change(d_year, now.headline, then.headline if then is not None else None, unit),
               "d_prev_exact": d_prev, "d_year_exact": d_year,
               "status": status_dict(study.targets.overall.get(spec.key), unit)}
        if then is not None:
            row["year"] = est_cell(then.headline)
        changes.append(row)
    ctx["q_changes"] = changes

    # Segment scorecard in the window, with change against the previous period.
    prev_rows = study.view.comparison("previous")
    cross = segment_changes(study.full, study.view.mask, prev_rows[2] if prev_rows else None, rules, results.alpha,
                            keys=[s.key for s in kpis])
    scorecards = []
    respondents = {b.name: {g.label: g.base for g in b.groups} for b in results.segments}
    for seg_name, units in cross.items():
        rows = []
        for u in journey_order(study, seg_name, units):
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
                # The change as printed: the figure now as shown minus the figure before as shown
                # (41 and 40: +1, as the journey table says), marked by the test on exact figures.
                before = u.before.get(spec.key) if u.before else None
                shown = (shown_difference(u.now[spec.key].headline.value, before.headline.value,
                                          spec.headline_unit)
                         if change is not None and before is not None else None)
                cell["change"] = shown if shown is not None else (change.test.diff if change else None)
                cell["change_exact"] = change.test.diff if change else None
                cells[spec.key] = cell
            # Base: the group's respondents in the window, as in the client report's segment tables.
            base = respondents.get(seg_name, {}).get(u.label)
            if base is None:
                base = max((u.now[spec.key].n for spec in kpis), default=0)
            rows.append({"label": u.label, "base": base, "cells": cells})
        scorecards.append({"name": seg_name, "rows": rows, "base_label": _("Respondents")})
    ctx["q_scorecards"] = scorecards

    # Improvers and decliners among units with enough base, on the first KPI: only units whose
    # change is significant, the largest change (as printed) first; fewer than MOVERS say so.
    min_base = q.min_base or rules.flag_below
    unit_segments = study.unit_segments()
    unit = kpis[0].headline_unit if kpis else "points"
    movers = []
    if kpis:
        key = kpis[0].key
        for seg_name in unit_segments:
            for u in cross.get(seg_name, []):
                now, before = u.now[key], u.before.get(key)
                change = u.changes.get(key)
                if before is None or change is None or not change.mark or now.n < min_base or before.n < min_base:
                    continue
                if shown_difference(now.headline.value, before.headline.value, unit) is None:
                    continue
                movers.append({"segment": seg_name, "label": u.label, "now": now.headline.value,
                               "before": before.headline.value,
                               "diff": shown_difference(now.headline.value, before.headline.value, unit),
                               "exact": change.test.diff,
                               "p": change.test.p_value, "p_adjusted": change.p_adjusted, "mark": change.mark,
                               "n_now": now.n, "n_before": before.n})

    def largest_first(m: dict) -> tuple:
        return (-abs(m["diff"]), -abs(m["exact"]), m["segment"], m["label"])

    improvers = sorted((m for m in movers if m["mark"] > 0), key=largest_first)[:MOVERS]
    decliners = sorted((m for m in movers if m["mark"] < 0), key=largest_first)[:MOVERS]
    ctx["q_improvers"], ctx["q_decliners"] = improvers, decliners
    ctx["q_improvers_note"] = None if len(improvers) >= MOVERS else (
        _("No other unit improved significantly.") if improvers else _("No unit improved significantly."))
    ctx["q_decliners_note"] = None if len(decliners) >= MOVERS else (
        _("No other unit declined significantly.") if decliners else _("No unit declined significantly."))
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
    from cxreport.present.voc import emerging_sentences     # emerging comment themes (docs/voice.md)

    sentences += [s["text"] for s in emerging_sentences(getattr(study, "insights", None))]
    ctx["q_what_changed"] = sentences
    ctx["q_narrative"] = load_narrative(q.narrative, "quarterly.narrative", study.actions) if q.narrative else None
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
