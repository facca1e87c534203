"""The Excel appendix workbook: every table of the report with its bases.

One sheet per table, a contents sheet linking to them and a definitions sheet; headers are
frozen, and every figure is a number formatted in its own unit: NPS-style points signed
(+22), percentages with a % sign (72.5%: the value stays in percent, as in the scores
JSON), means with two decimals. Any text from the data or the project file that a
spreadsheet would run as a formula (starting with =, +, -, @, tab or CR) is neutralised
with a leading apostrophe, and every text cell and sheet name passes through
:func:`cxreport.textclean.for_xml` first (characters XML cannot hold are dropped, Word's soft
line break becomes a line break), so no text in the data can make the workbook fail.

Sheets are named by design, not by cutting a title: short names within Excel's 31
characters ("Comp survey CSAT", "Comp published CSAT"), translated like every other word,
with the full description on the contents sheet. A name that must be shortened (a long
segment name from the project) is cut at a word and never leaves half a bracket. Every
column is as wide as its widest cell, header included (wide characters count twice), up to
:data:`COLUMN_CAP`; longer text wraps. A source shared by a table's rows is written once,
under the table, with its year once.

Figures carry the number format of their measure's precision, as the report prints them
(NPS and index points whole, percentages whole, means to two decimals), and a difference
printed beside two figures is the difference of the figures as shown
(:func:`cxreport.present.formatting.shown_difference`): a benchmark's gap, own minus each
competitor. Definitions name the KPIs with the project's labels.
"""

from __future__ import annotations

import io
import math
import re
import unicodedata

from cxreport.benchmark.competitors import with_year
from cxreport.benchmark.standards import place_words
from cxreport.export import safe_cell
from cxreport.i18n import N_, _
from cxreport.pipeline import Study
from cxreport.present.context import ADJUST_NAMES, STATUS_LABEL, _metric_unit, competitor_as_shown, definition
from cxreport.present.formatting import num, shown_difference
from cxreport.textclean import for_xml

NUMBER_FORMATS = {
    "points": "+0;-0;0",                  # NPS, CES index: signed whole points
    "percent": '0"%"',                    # a percentage kept in percent, shown as the report does (72.5 → 72%)
    "mean": "0.00",
    "index": "0",                         # a 0-100 index (ACSI), whole as the report prints it
    "count": "#,##0",
    "decimal": "0.0",                     # effective bases, 0-100 performance
    "p": "0.0000",
    "diff:points": "+0;-0;0",             # differences, in the unit's terms
    "diff:percent": "+0;-0;0",            # percentage points, whole as the report prints them
    "diff:mean": "+0.00;-0.00;0.00",
    "diff:index": "+0;-0;0",
}


#: The unit column of the overall sheet, in words.
UNIT_WORDS = {"points": N_("points"), "percent": N_("percent"), "mean": N_("mean")}

#: Names Excel refuses for a sheet (besides the empty name).
RESERVED_SHEET_NAMES = {"history"}

#: Excel's limit on a sheet name, and the length a name is cut to (room for " 2" … " 999").
SHEET_NAME_MAX = 31
SHEET_NAME_CUT = 28

#: Widest a column is made, in characters (Excel's width unit); longer text wraps.
COLUMN_CAP = 80
#: Narrowest a column with content is made.
COLUMN_MIN = 6

#: Short names of the competitor metrics for sheet names (the full label is on the contents sheet).
METRIC_SHORT = {"nps": N_("NPS"), "csat_top2": N_("CSAT"), "ces_mean": N_("CES"), "acsi": N_("ACSI"),
                "csat_mean": N_("CSAT mean"), "ces_index": N_("CES index"), "rating_mean": N_("Rating"),
                "score_pct": N_("Score %")}


class Fmt:
    """A number with its own format (for columns whose unit changes from row to row)."""

    __slots__ = ("value", "fmt")

    def __init__(self, value, fmt: str):
        self.value, self.fmt = value, fmt


def _unit(unit: str) -> str:
    return unit if unit in ("points", "percent", "mean", "index") else "mean"


def _text(value) -> str:
    """Text for a cell: what XML cannot hold removed, then formulas neutralised."""
    return safe_cell(for_xml(str(value)))


def _clean(value):
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


_OPEN, _CLOSE = "([{（【", ")]}）】"


def _cut(text: str, limit: int) -> str:
    """``text`` shortened to ``limit`` characters at a word, without a dangling bracket or
    punctuation; text without a usable word break is cut at ``limit``."""
    if len(text) <= limit:
        return text
    head = text[:limit + 1]
    space = head.rfind(" ")
    cut = head[:space] if space >= limit // 3 else text[:limit]
    opened: list[int] = []
    for k, ch in enumerate(cut):
        if ch in _OPEN:
            opened.append(k)
        elif ch in _CLOSE and opened:
            opened.pop()
    if opened:
        cut = cut[:opened[0]]
    cut = cut.rstrip(" -–—,;:.'&+/")
    return cut or text[:limit]


def _sheet_name(text: str, used: set[str]) -> str:
    """A name Excel accepts: none of []:*?/\\, no apostrophe at either end, at most 31
    characters (a longer one cut to 28 at a word, to leave room for a number), not
    'History', unique ignoring case (a repeat gets ' 2', ' 3' …)."""
    name = re.sub(r"\s+", " ", re.sub(r"[\[\]:*?/\\\x00-\x1f]", " ", for_xml(text))).strip().strip(" '")
    name = _cut(name, SHEET_NAME_CUT).strip(" '") or "Sheet"
    if name.lower() in RESERVED_SHEET_NAMES:
        name = f"{name} 1"
    k = 2
    base = name
    while name.lower() in used:
        suffix = f" {k}"
        stem = base if len(base) + len(suffix) <= SHEET_NAME_MAX and " " in base else _cut(base, 25)
        name = stem.rstrip(" '") + suffix
        k += 1
    used.add(name.lower())
    return name


def _labelled(label: str, text: str) -> str:
    """'Source: text' in the report's language (the catalog's "label: text" pattern)."""
    return _("{period}: {text}").format(period=label, text=text)


def _source_lines(comp) -> list[str]:
    """The line naming a competitor table's source under it: each source once, with its
    year once ("UK Retail Banking Monitor 2026 (syndicated)", not "… (syndicated) 2026")."""
    if comp.origin == "survey":
        return [_labelled(_("Source"), with_year(_("competitor survey"), getattr(comp, "period", "") or ""))]
    cited = comp.cited
    parts = [f"{c['text']} — {_(', ').join(c['brands'])}" if len(cited) > 1 else c["text"] for c in cited]
    return [_labelled(_("Source"), _("; ").join(parts))] if parts else []


def _period_words(standard) -> str:
    """A published benchmark's period as a period: "2024", "Q1 2024", "undated" — the
    standard's note in brackets left out (it is in the standards library)."""
    period = (standard.period or "").strip()
    if not period:
        return str(standard.year)
    head = re.split(r"\s*[(（]", period, maxsplit=1)[0].strip() or period
    return _("undated") if head.lower() == "undated" else head


def _tables(study: Study) -> list[tuple[str, str, list[str], list[str], list[list], list[str]]]:
    """(sheet name, description, header, column formats, rows, notes under the table) for
    every table."""
    r = study.results
    kpis = r.kpis
    window = study.window.label
    comparisons = [c for c in study.comparisons if c.base]

    def at(period: str, text: str) -> str:
        """A sheet's description, led by the period its figures describe."""
        return _("{period}: {text}").format(period=period, text=text)

    out = []
    rows = []
    for spec in r.items:
        res = r.overall[spec.key]
        est = res.headline
        status = study.targets.overall.get(spec.key)
        unit = _unit(est.unit)
        shown = est.shown
        row = [spec.label, Fmt(est.value if shown else None, unit), Fmt(est.low if shown else None, unit),
               Fmt(est.high if shown else None, unit), _(UNIT_WORDS.get(est.unit, est.unit)), res.n,
               round(res.n_eff, 1), Fmt(status.target if status else None, unit),
               _(STATUS_LABEL[status.status]) if status and status.status in STATUS_LABEL else None]
        for c in comparisons:
            other = c.overall[spec.key].headline
            change = c.changes.get(spec.key)
            row += [Fmt(other.value if other.shown else None, unit),
                    # the difference of the two figures as printed, as in the report's scorecard
                    Fmt(shown_difference(est.value, other.value, est.unit) if change and shown and other.shown
                        else None, f"diff:{unit}"),
                    {1: _("higher"), -1: _("lower")}.get(change.mark, "") if change else ""]
        rows.append(row)
    header = [_("Item"), _("Value"), _("Low 95%"), _("High 95%"), _("Unit"), _("Base"), _("Effective base"),
              _("Target"), _("Status")]
    formats = ["", "", "", "", "", "count", "decimal", "", ""]
    for c in comparisons:
        header += [c.label, _("Change vs {period}").format(period=c.label), _("Sig vs {period}").format(period=c.label)]
        formats += ["", "", ""]
    out.append((_("Overall KPIs"), at(window, _("every item: headline figure with 95% interval, base and status "
                                                "against target; changes against earlier periods, tested.")),
                header, formats, rows, []))
    segments_period = study.scope("segments").label
    for breakdown in r.segments + ([r.periods] if r.periods else []):
        # The period breakdown is named in English by the scoring; its name here is the report's word.
        name = _("Period") if breakdown.kind == "period" else breakdown.name
        header = [name, _("Base")]
        formats = ["", "count"]
        for spec in kpis:
            header += [spec.label, _("{kpi} low").format(kpi=spec.label), _("{kpi} high").format(kpi=spec.label),
                       _("{kpi} n").format(kpi=spec.label), _("{kpi} sig").format(kpi=spec.label)]
            formats += [spec.headline_unit, spec.headline_unit, spec.headline_unit, "count", ""]
        rows = []
        for group in breakdown.groups:
            row = [group.label, group.base]
            for spec in kpis:
                est = group.items[spec.key].headline
                change = group.changes.get(spec.key)
                mark = {1: _("higher"), -1: _("lower")}.get(change.mark, "") if change else ""
                shown = est.shown
                row += [est.value if shown else None, est.low if shown else None, est.high if shown else None,
                        est.n, mark if shown else _("suppressed") if est.base == "suppressed" else ""]
            rows.append(row)
        what = _("each period against the previous one") if breakdown.kind == "period" else \
            _("each group against the rest")
        period = segments_period if breakdown.kind != "period" else _("{first} – {last}").format(
            first=breakdown.groups[0].label, last=breakdown.groups[-1].label) if breakdown.groups else window
        out.append((_("By {segment}").format(segment=name.lower()),
                    at(period, _("headline KPIs by {segment}; significance: {what}.").format(
                        segment=name.lower(), what=what)),
                    header, formats, rows, []))
    if r.attributes:
        rows = [[s.label, r.overall[s.key].mean.value, r.overall[s.key].mean.low, r.overall[s.key].mean.high,
                 r.overall[s.key].top2.value if r.overall[s.key].top2 else None, r.overall[s.key].n]
                for s in r.attributes]
        out.append((_("Attributes"), at(window, _("attribute ratings: mean with 95% interval, top-2-box % and base.")),
                    [_("Attribute"), _("Mean"), _("Low 95%"), _("High 95%"), _("Top-2-box %"), _("Base")],
                    ["", "mean", "mean", "mean", "percent", "count"], rows, []))
    if study.drivers is not None and study.drivers.overall is not None:
        a = study.drivers.overall
        rows = [[d.name, d.importance, d.low, d.high, d.lmg, d.mean, d.performance, _(d.quadrant), a.n] for d in a.rows]
        boot = getattr(a, "bootstrap", None)
        # The seed is in the report's driver note; a number in a description is a count.
        intervals = "" if boot is None else " " + _("95% intervals: bootstrap, {k} replicates.").format(
            k=num(boot.replicates))
        out.append((_("Key drivers"), at(study.scope("drivers").label, _("drivers of {outcome}: R² = {r2}, n = {n}.").format(
                        outcome=a.outcome, r2=f"{a.r2:.3f}", n=num(a.n)) + intervals),
                    [_("Attribute"), _("Importance % of R²"), _("Low 95%"), _("High 95%"), _("Shapley/LMG %"), _("Mean"),
                     _("Performance 0-100"), _("Quadrant"),
                     _("Base (complete answers)") if a.missing == "listwise" else _("Base (smallest pair)")],
                    ["", "percent", "percent", "percent", "percent", "mean", "decimal", "", "count"], rows, []))
    if study.priorities:
        n = study.drivers.overall.n if study.drivers is not None and study.drivers.overall is not None else None
        rows = [[p.name, p.impact, p.importance, p.performance, p.gap, _(p.gap_to), _(p.effort) if p.effort else None,
                 _(p.quadrant), n]
                for p in study.priorities]
        out.append((_("Priorities"), at(study.scope("drivers").label, _("improvement priorities: impact = importance × gap "
                                                                        "(0-100 scale), largest first.")),
                    [_("Driver"), _("Impact"), _("Importance % of R²"), _("Performance 0-100"), _("Gap"), _("Gap to"),
                     _("Effort"), _("Quadrant"),
                     _("Base (complete answers)") if study.drivers.overall.missing == "listwise" else _("Base (smallest pair)")],
                    ["", "mean", "percent", "decimal", "decimal", "", "", "", "count"], rows, []))
    nps = r.overall.get("nps")
    if nps is not None and nps.nps is not None and nps.distribution:
        rows = [[point, count, share] for point, count, share in nps.distribution]
        rows.append([_("Total"), sum(row[1] for row in rows), sum(row[2] for row in rows)])
        out.append((_("NPS distribution"), at(window, _("answers to the likelihood-to-recommend question, 0 to 10.")),
                    [_("Score"), _("Answers"), _("Share %")], ["", "count", "percent"], rows, []))
    for comp in study.competitors:
        comp = competitor_as_shown(comp)      # own minus brand as the report prints it
        unit = _unit(comp.unit)
        survey = comp.origin == "survey"
        # Sheet names are short by design ("Comp survey CSAT"); the metric's full label is in
        # the description on the contents sheet. The source is named once, under the table.
        title = _("Comp survey {metric}") if survey else _("Comp published {metric}")
        short = METRIC_SHORT.get(comp.metric)
        short = (_(short) if short not in ("NPS", "CSAT", "CES", "ACSI") else short) if short else comp.label
        origin = _("competitor survey") if survey else _("published and syndicated data")
        rows = [[b.brand, b.value, b.low, b.high, b.n, b.diff, b.p_value, b.p_adjusted] for b in comp.brands]
        out.append((title.format(metric=short),
                    at(getattr(comp, "period", "") or _("undated"),
                       _("{metric} ({origin}): own brand minus each competitor.").format(metric=comp.label, origin=origin)),
                    [_("Brand"), _("Value"), _("Low 95%"), _("High 95%"), _("Base"), _("Own minus brand"), _("p-value"),
                     _("Adjusted p")],
                    ["", unit, unit, unit, "count", f"diff:{unit}", "p", "p"], rows, _source_lines(comp)))
    if study.benchmarks:
        # Each figure at its measure's precision, the gap the difference of the figures as
        # shown (as in the report: +28 against +32 is −4, not −4.3).
        rows = []
        for b in study.benchmarks:
            std_unit = _unit(_metric_unit(b.standard.metric))
            rows.append([b.label, Fmt(b.value if b.base != "suppressed" else None, _unit(b.unit)),
                         Fmt(b.compared if b.base != "suppressed" else None, std_unit),
                         Fmt(b.standard.value, std_unit),
                         Fmt(shown_difference(b.compared, b.standard.value, std_unit) if b.base != "suppressed"
                             else None, f"diff:{std_unit}"),
                         b.standard.id, *place_words(b.standard), b.standard.source, _period_words(b.standard)])
        out.append((_("Benchmarks"), at(window, _("each KPI beside the published benchmarks chosen for the study "
                                                   "(gap = KPI − benchmark).")),
                    [_("KPI"), _("Score"), _("Score on the benchmark's metric"), _("Benchmark"), _("Gap"), _("Standard"),
                     _("Industry"), _("Region"), _("Source"), _("Period")],
                    ["", "", "", "", "", "", "", "", "", ""], rows, []))
    if study.journey is not None:
        from cxreport.present.journey_emotion import journey_sheet_columns

        j = study.journey
        unit = _unit(j.unit)
        # The tone of the comments at each touchpoint (journey.emotion), as more columns.
        tone_header, tone_formats, tone, tone_sentence = journey_sheet_columns(study)
        rows = [[t.stage, t.name, t.value, t.low, t.high, t.n, t.target, t.gap, t.change,
                 {1: _("higher"), -1: _("lower")}.get(t.change_mark, ""), _("yes") if t.pain else ""]
                + (tone.get(t.name, [None] * len(tone_header)) if tone_header else [])
                for t in j.touchpoints]
        description = at(study.scope("journey").label, _("{kpi} at every touchpoint; change against {previous}.").format(
            kpi=j.kpi, previous=j.previous_period or _("the previous period")))
        if tone_sentence:
            description += " " + tone_sentence
        out.append((_("Journey"), description,
                    [_("Stage"), _("Touchpoint"), j.kpi, _("Low 95%"), _("High 95%"), _("Base"), _("Standard"), _("Gap"),
                     _("Change"), _("Sig"), _("Pain point")] + tone_header,
                    ["", "", unit, unit, unit, "count", unit, f"diff:{unit}", f"diff:{unit}", "", ""] + tone_formats,
                    rows, []))
    from cxreport.present.consistency import consistency_sheet

    out += consistency_sheet(study)
    if study.actions is not None:
        out += _action_tables(study.actions)
    if getattr(study, "response", None) is not None:
        out.append(_response_table(study.response))
    if getattr(study, "value", None) is not None:
        from cxreport.present.value import value_table

        out.append(value_table(study))
    if study.voice is not None:
        rows = [[t.theme, t.count, t.share, t.negative, t.neutral, t.positive] for t in study.voice.themes]
        out.append((_("Comment themes"), at(study.scope("comments").label, _("{n} comments; {u} not coded to a theme.").format(
                        n=num(study.voice.n_comments), u=num(study.voice.uncoded))),
                    [_("Theme"), _("Comments"), _("Share %"), _("Negative"), _("Neutral"), _("Positive")],
                    ["", "count", "percent", "count", "count", "count"], rows, []))
    from cxreport.present.suggestions import suggestions_sheet
    from cxreport.present.voc import workbook_tables

    out += suggestions_sheet(study)
    out += workbook_tables(study)
    w = study.validation.weighting
    if w is not None:        # the raking (weighting:), over every used row of the file
        from cxreport.present.formatting import pct

        rows = [[s.segment, s.group if s.group != "Not stated" else _("Not stated"), s.respondents,
                 100 * s.sample, 100 * s.target, 100 * s.achieved] for s in w.shares]
        state = (_("converged in {i} iterations").format(i=w.iterations) if w.converged else
                 _("did not converge in {i} iterations").format(i=w.iterations))
        out.append((_("Weighting"), _("Raking to population shares over all {n} responses: {state}; weighting "
                                      "efficiency {e} (effective n {ne}); weights {lo}–{hi} × the mean.").format(
                        n=num(w.n), state=state, e=pct(100 * w.efficiency, 1), ne=num(w.n_eff),
                        lo=num(w.min_weight, 2), hi=num(w.max_weight, 2)),
                    [_("Segment"), _("Group"), _("Respondents"), _("Before raking %"), _("Target %"),
                     _("Weighted %")],
                    ["", "", "count", "decimal", "decimal", "decimal"], rows,
                    [_("{period}: raked on its own: {n} respondents, {i} iterations, efficiency {e}, weights "
                       "{lo}–{hi} × the period's mean.").format(
                        period=_("rows in no period") if q.label == "rows in no period" else q.label, n=num(q.n),
                        i=q.iterations, e=pct(100 * q.efficiency, 1), lo=num(q.min_weight, 2),
                        hi=num(q.max_weight, 2)) for q in w.periods]))
    return out


def _action_tables(report) -> list[tuple]:
    """The action register measured, and the complaint themes beside the actions on them
    (the figures and words of the report's sections: cxreport.present.actions)."""
    from cxreport.present.actions import flag_label, status_label, verdict_label

    rows = []
    for r in report.results:
        a, unit = r.action, _unit(r.unit)
        b, n = r.baseline, r.now
        rows.append([a.id, a.title, a.owner, a.start.isoformat(), a.due.isoformat(), status_label(a.status),
                     flag_label(r.flag) or "",
                     r.metric_label, b.label if b else None, Fmt(b.value if b and b.shown else None, unit),
                     b.n if b else None, n.label if n else None, Fmt(n.value if n and n.shown else None, unit),
                     n.n if n else None, Fmt(r.change_shown, f"diff:{unit}"), Fmt(r.change_low, f"diff:{unit}"),
                     Fmt(r.change_high, f"diff:{unit}"), r.p_value, Fmt(r.mde, f"diff:{unit}"),
                     verdict_label(r.verdict), r.reason or ""])
    header = [_("ID"), _("Action"), _("Owner"), _("Start"), _("Due"), _("Status"), _("Flag"), _("Metric"),
              _("Baseline period"), _("Baseline"), _("Baseline base"), _("Now period"), _("Now"), _("Now base"),
              _("Change"), _("Low 95%"), _("High 95%"), _("p"), _("Detectable change (MDE)"), _("Verdict"),
              _("Why too early")]
    formats = ["", "", "", "", "", "", "", "", "", "", "count", "", "", "count", "", "", "", "p", "", "", ""]
    out = [(_("Actions"), _("{window}: each action's metric at its baseline and now, the change with its 95% "
                            "interval and test, the minimum detectable change (80% power) and the verdict; status as "
                            "of {date}.").format(window=report.window, date=report.as_of.isoformat()),
            header, formats, rows, [_("Source: the client's action register.")])]
    if report.you_said:
        by_id = {r.action.id: r for r in report.results}
        said = []
        for t in report.you_said:
            done = "; ".join(f"{i} {by_id[i].action.title} ({status_label(by_id[i].action.status)}, "
                             f"{verdict_label(by_id[i].verdict)})" for i in t.actions)
            said.append([t.theme, t.negative, t.share, t.quote or "", done or _("No action in the register yet")])
        out.append((_("You said, we did"), _("{period}: the leading complaint themes and the actions that address "
                                              "them.").format(period=report.comments_scope),
                    [_("Theme"), _("Negative comments"), _("Share %"), _("Customer comment"), _("Actions")],
                    ["", "count", "percent", "", ""], said, []))
    return out


def _response_table(report) -> tuple:
    """Response times: a row per channel, the total, then each breakdown's groups, with the
    report's figures (times as printed and in seconds); the backlog and the detractor
    follow-up in the notes under the table (cxreport.present.context.response_context)."""
    from cxreport.present.context import duration_text
    from cxreport.present.formatting import figure

    def row(kind: str, c) -> list:
        shown = c.base != "suppressed" and c.share is not None
        sig = "▲" if c.mark > 0 else ("▼" if c.mark < 0 else "")
        return [kind, c.label or _("All channels"), duration_text(c.standard) if c.standard is not None else None,
                c.standard, c.cases, c.due, c.within, Fmt(c.share if shown else None, "percent"),
                Fmt(c.low if shown else None, "percent"), Fmt(c.high if shown else None, "percent"),
                duration_text(c.median) if c.median is not None else None, c.median,
                duration_text(c.p90) if c.p90 is not None else None, c.p90, c.closed,
                duration_text(c.closure_median) if c.closure_median is not None else None,
                Fmt(c.closure_share, "percent"), Fmt(c.previous, "percent"),
                Fmt(shown_difference(c.share, c.previous, "percent") if shown and c.previous is not None else None,
                    "diff:percent"), c.p_value, sig, _(STATUS_LABEL[c.status]) if c.status in STATUS_LABEL else None]

    rows = [row(_("Channel"), c) for c in report.channels] + [row(_("Channel"), report.total)]
    for bd in report.breakdowns:
        name = _("Category") if bd.name == "category" else bd.name
        rows += [row(name, c) for c in bd.rows]
    header = [_("Breakdown"), _("Group"), _("Standard"), _("Standard (s)"), _("Cases"), _("Due"),
              _("Within standard"), _("Within standard %"), _("Low 95%"), _("High 95%"), _("Median"),
              _("Median (s)"), _("P90"), _("P90 (s)"), _("Closed"), _("Closure median"), _("Closed within standard %"),
              _("Previous %"), _("Change"), _("p"), _("Sig"), _("Status")]
    formats = ["", "", "", "count", "count", "count", "count", "", "", "", "", "decimal", "", "decimal", "count",
               "", "", "", "", "p", "", ""]
    notes = []
    b, f = report.backlog, report.follow_up
    if b is not None:
        ages = "; ".join(f"{duration_text(a.label_low)}–{duration_text(a.label_high) if a.label_high else '…'}: "
                         f"{a.count}" for a in b.bands)
        notes.append(_("Backlog at {date}: {n} open cases ({ages}); {o} past the standard.").format(
            date=b.at.date().isoformat(), n=b.open, ages=ages, o=b.overdue))
    if f is not None:
        notes.append(_("Detractors (NPS 0–6) in {period}: {n}; contacted {c} ({cp}); within the standard {w} "
                       "({wp}, 95% interval {lo}–{hi}).").format(
            period=report.period, n=f.detractors, c=f.contacted, cp=figure(f.contacted_share, "percent"),
            w=f.within, wp=figure(f.share, "percent"), lo=figure(f.low, "percent"), hi=figure(f.high, "percent")))
    if report.excluded:
        notes.append(_("Rows of {file} left out: {reasons}.").format(
            file=report.file, reasons="; ".join(f"{_(k)} {v}" for k, v in report.excluded.items())))
    description = _("{period}: cases answered within their channel's standard, median and P90 first-response "
                    "times, closure; change on {previous}.").format(period=report.period,
                                                                   previous=report.previous or "—")
    return (_("Response times"), description, header, formats, rows, notes)


def build_workbook(study: Study) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    brand = study.project.brand.primary.lstrip("#")
    wb = Workbook()
    contents = wb.active
    contents.title = _("Contents")
    head_font = Font(bold=True, color="FFFFFF")
    head_fill = PatternFill("solid", fgColor=brand)
    contents.append([_text(study.project.report.title), _text(study.project.client.name)])
    contents["A1"].font = Font(bold=True, size=14)
    compared = [c.label for c in study.comparisons if c.base]
    contents.append([_("Reporting window"), _text(
        _("{period} ({n} respondents); compared with {others}").format(
            period=study.window.label, n=num(study.results.base), others=_(" and ").join(compared))
        if compared else _("{period} ({n} respondents)").format(period=study.window.label,
                                                               n=num(study.results.base)))])
    contents.append([_("Sheet"), _("What it holds")])
    for cell in contents[3]:
        cell.font, cell.fill = head_font, head_fill
    used = {contents.title.lower(), _("Definitions").lower()}
    for title, description, header, formats, rows, notes in _tables(study):
        name = _sheet_name(title, used)
        ws = wb.create_sheet(name)
        ws.append([_clean(h) for h in header])
        for cell in ws[1]:
            cell.font, cell.fill = head_font, head_fill
            cell.alignment = Alignment(wrap_text=True, vertical="bottom")
        for row in rows:
            ws.append([_clean(v.value if isinstance(v, Fmt) else v) for v in row])
            for col, v in enumerate(row, start=1):
                fmt = v.fmt if isinstance(v, Fmt) else formats[col - 1]
                if fmt in NUMBER_FORMATS:
                    ws.cell(row=ws.max_row, column=col).number_format = NUMBER_FORMATS[fmt]
        ws.freeze_panes = "B2"
        _fit_columns(ws)                      # sized to the table, before the notes under it
        if notes:
            ws.append([])
            for note in notes:
                ws.append([_text(note)])
                ws.cell(row=ws.max_row, column=1).font = Font(italic=True)
        link = contents.cell(row=contents.max_row + 1, column=1, value=name)
        link.hyperlink = "#'{}'!A1".format(name.replace("'", "''"))
        link.font = Font(color=brand, underline="single")
        contents.cell(row=link.row, column=2, value=_text(description))
    from cxreport.present.banner import write_sheet

    banner = write_sheet(wb, study, used, head_font, head_fill)     # "Banner tables" (docs/banners.md)
    if banner is not None:
        link = contents.cell(row=contents.max_row + 1, column=1, value=banner[0])
        link.hyperlink = "#'{}'!A1".format(banner[0].replace("'", "''"))
        link.font = Font(color=brand, underline="single")
        contents.cell(row=link.row, column=2, value=_text(banner[1]))
    _fit_columns(contents)
    contents.freeze_panes = "A4"
    defs = wb.create_sheet(_("Definitions"))
    defs.append([_("Term"), _("Definition")])
    for cell in defs[1]:
        cell.font, cell.fill = head_font, head_fill
    for spec in study.results.kpis:
        defs.append([_text(spec.label), _text(definition(spec))])
    rules = study.results.rules
    # The KPIs are named with the project's labels (as in the report's methodology): Wald
    # intervals for those headlined in points (NPS, a CES index), never the catalog's words.
    wald = [spec.label for spec in study.results.kpis if spec.headline_unit == "points"]
    defs.append([_("Intervals"), _text(
        _("95%: Wald ({items}), Wilson (percentages), t (means); effective n when weighted.").format(
            items=_(", ").join(wald)) if wald else
        _("95%: Wilson (percentages), t (means); effective n when weighted."))])
    defs.append([_("Significance"), _("Two-sided tests at α = {alpha}; 'higher'/'lower' marks significant "
                                      "differences.").format(alpha=study.results.alpha)])
    method = study.results.adjust
    defs.append([_("Multiple comparisons"), _(
        "p-values adjusted together within each table ({method}: a segment's groups × KPIs, the KPIs "
        "against one period); 'higher'/'lower' and ▲ ▼ follow the adjusted p-value.").format(
        method=_(ADJUST_NAMES[method])) if method in ADJUST_NAMES else _(
        "p-values not adjusted for the number of comparisons in a table.")])
    defs.append([_("Small bases"), _("Below {s}: not shown ('suppressed'); {s}–{f1}: small base.").format(
        s=rules.suppress_below, f1=rules.flag_below - 1)])
    _fit_columns(defs)
    defs.freeze_panes = "A2"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------- column widths


def _char_width(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


def _display_width(value, number_format: str) -> float:
    """How many characters (Excel's width unit) a cell needs as Excel shows it: text by its
    longest line, wide (CJK) characters counting two; a number in its format (decimals,
    thousands separators, sign, % sign)."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return 5
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return 0
        first = (number_format or "General").split(";")[0]
        if first == "General":
            text = str(value) if isinstance(value, int) else f"{value:.10g}"
        else:
            decimals = len(re.sub(r"[^0#]", "", first.split(".", 1)[1])) if "." in first else 0
            text = f"{abs(value):,.{decimals}f}" if "," in first else f"{abs(value):.{decimals}f}"
            if value < 0 or first.startswith("+"):
                text = "+" + text
            if "%" in first:
                text += "%"
        return len(text)
    return max((sum(_char_width(ch) for ch in line) for line in str(value).split("\n")), default=0)


def _fit_columns(ws) -> None:
    """Every column as wide as its widest cell so far (header included, scaled by the
    font size), at least :data:`COLUMN_MIN` and at most :data:`COLUMN_CAP` characters plus a
    margin; text wider than the cap wraps."""
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    widest: dict[int, float] = {}
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is None:
                continue
            size = (cell.font.sz or 11) / 11 if cell.font is not None else 1
            need = _display_width(cell.value, cell.number_format) * max(size, 1)
            widest[cell.column] = max(widest.get(cell.column, 0), need)
            if isinstance(cell.value, str) and (need > COLUMN_CAP or "\n" in cell.value):   # lines show wrapped
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    for column, need in widest.items():
        ws.column_dimensions[get_column_letter(column)].width = round(max(COLUMN_MIN, min(need, COLUMN_CAP)) + 2, 1)
