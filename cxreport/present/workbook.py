"""The Excel appendix workbook: every table of the report with its bases.

One sheet per table, a contents sheet linking to them and a definitions sheet; headers are
frozen, and every figure is a number formatted in its own unit: NPS-style points signed
(+22), percentages with a % sign (72.5%: the value stays in percent, as in the scores
JSON), means with two decimals. Any text from the data or the project file that a
spreadsheet would run as a formula (starting with =, +, -, @, tab or CR) is neutralised
with a leading apostrophe, and every text cell and sheet name passes through
:func:`cxreport.textclean.for_xml` first (characters XML cannot hold are dropped, Word's soft
line break becomes a line break), so no text in the data can make the workbook fail.
"""

from __future__ import annotations

import io
import math
import re

from cxreport.benchmark.standards import place_words
from cxreport.export import safe_cell
from cxreport.i18n import N_, _
from cxreport.pipeline import Study
from cxreport.present.context import STATUS_LABEL, definition
from cxreport.textclean import for_xml

NUMBER_FORMATS = {
    "points": "+0;-0;0",                  # NPS, CES index: signed whole points
    "percent": '0"%"',                    # a percentage kept in percent, shown as the report does (72.5 → 72%)
    "mean": "0.00",
    "count": "#,##0",
    "decimal": "0.0",                     # effective bases, 0-100 performance
    "p": "0.0000",
    "diff:points": "+0;-0;0",             # differences, in the unit's terms
    "diff:percent": "+0.0;-0.0;0.0",      # percentage points
    "diff:mean": "+0.00;-0.00;0.00",
}


#: The unit column of the overall sheet, in words.
UNIT_WORDS = {"points": N_("points"), "percent": N_("percent"), "mean": N_("mean")}

#: Names Excel refuses for a sheet (besides the empty name).
RESERVED_SHEET_NAMES = {"history"}


class Fmt:
    """A number with its own format (for columns whose unit changes from row to row)."""

    __slots__ = ("value", "fmt")

    def __init__(self, value, fmt: str):
        self.value, self.fmt = value, fmt


def _unit(unit: str) -> str:
    return unit if unit in ("points", "percent", "mean") else "mean"


def _text(value) -> str:
    """Text for a cell: what XML cannot hold removed, then formulas neutralised."""
    return safe_cell(for_xml(str(value)))


def _clean(value):
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _sheet_name(text: str, used: set[str]) -> str:
    """A name Excel accepts: none of []:*?/\\, no apostrophe at either end, at most 31
    characters (28 here, to leave room for a number), not 'History', unique ignoring case."""
    name = re.sub(r"\s+", " ", re.sub(r"[\[\]:*?/\\\x00-\x1f]", " ", for_xml(text))).strip()[:28].strip(" '") or "Sheet"
    if name.lower() in RESERVED_SHEET_NAMES:
        name = f"{name} 1"
    stem, k = name[:25].rstrip(" '"), 2
    while name.lower() in used:
        name = f"{stem} {k}"
        k += 1
    used.add(name.lower())
    return name


def _tables(study: Study) -> list[tuple[str, str, list[str], list[str], list[list]]]:
    """(title, description, header, column formats, rows) for every table."""
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
            row += [Fmt(other.value if other.shown else None, unit), change.test.diff if change else None,
                    {1: _("higher"), -1: _("lower")}.get(change.mark, "") if change else ""]
        rows.append(row)
    header = [_("Item"), _("Value"), _("Low 95%"), _("High 95%"), _("Unit"), _("Base"), _("Effective base"),
              _("Target"), _("Status")]
    formats = ["", "", "", "", "", "count", "decimal", "", ""]
    for c in comparisons:
        header += [c.label, _("Change vs {period}").format(period=c.label), _("Sig vs {period}").format(period=c.label)]
        formats += ["", "decimal", ""]
    out.append((_("Overall KPIs"), at(window, _("every item: headline figure with 95% interval, base and status "
                                                "against target; changes against earlier periods, tested.")),
                header, formats, rows))
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
                    header, formats, rows))
    if r.attributes:
        rows = [[s.label, r.overall[s.key].mean.value, r.overall[s.key].mean.low, r.overall[s.key].mean.high,
                 r.overall[s.key].top2.value if r.overall[s.key].top2 else None, r.overall[s.key].n]
                for s in r.attributes]
        out.append((_("Attributes"), at(window, _("attribute ratings: mean with 95% interval, top-2-box % and base.")),
                    [_("Attribute"), _("Mean"), _("Low 95%"), _("High 95%"), _("Top-2-box %"), _("Base")],
                    ["", "mean", "mean", "mean", "percent", "count"], rows))
    if study.drivers is not None and study.drivers.overall is not None:
        a = study.drivers.overall
        rows = [[d.name, d.importance, d.lmg, d.mean, d.performance, _(d.quadrant), a.n] for d in a.rows]
        out.append((_("Key drivers"), at(study.scope("drivers").label, _("drivers of {outcome}: R² = {r2}, n = {n}.").format(
                        outcome=a.outcome, r2=f"{a.r2:.3f}", n=a.n)),
                    [_("Attribute"), _("Importance % of R²"), _("Shapley/LMG %"), _("Mean"), _("Performance 0-100"),
                     _("Quadrant"), _("Base (complete answers)") if a.missing == "listwise" else _("Base (smallest pair)")],
                    ["", "percent", "percent", "mean", "decimal", "", "count"], rows))
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
                    ["", "mean", "percent", "decimal", "decimal", "", "", "", "count"], rows))
    nps = r.overall.get("nps")
    if nps is not None and nps.nps is not None and nps.distribution:
        rows = [[point, count, share] for point, count, share in nps.distribution]
        rows.append([_("Total"), sum(row[1] for row in rows), sum(row[2] for row in rows)])
        out.append((_("NPS distribution"), at(window, _("answers to the likelihood-to-recommend question, 0 to 10.")),
                    [_("Score"), _("Answers"), _("Share %")], ["", "count", "percent"], rows))
    for comp in study.competitors:
        unit = _unit(comp.unit)
        survey = comp.origin == "survey"
        title = _("Competitors {metric} (survey)") if survey else _("Competitors {metric} (published)")
        origin = _("competitor survey") if survey else _("published and syndicated data")
        # A survey row's source is the competitor survey (in the report's words); a table row's, the file's.
        rows = [[b.brand, b.value, b.low, b.high, b.n, b.diff, b.p_value, origin if survey else b.source]
                for b in comp.brands]
        out.append((title.format(metric=comp.label),
                    at(getattr(comp, "period", "") or _("undated"),
                       _("{metric} ({origin}): own brand minus each competitor.").format(metric=comp.label, origin=origin)),
                    [_("Brand"), _("Value"), _("Low 95%"), _("High 95%"), _("Base"), _("Own minus brand"), _("p-value"),
                     _("Source")],
                    ["", unit, unit, unit, "count", f"diff:{unit}", "p", ""], rows))
    if study.benchmarks:
        rows = [[b.label, Fmt(b.value if b.base != "suppressed" else None, _unit(b.unit)), b.compared,
                 b.standard.value, b.gap, b.standard.id, *place_words(b.standard),
                 b.standard.source, b.standard.period or b.standard.year] for b in study.benchmarks]
        out.append((_("Benchmarks"), at(window, _("each KPI beside the published benchmarks chosen for the study "
                                                   "(gap = KPI − benchmark).")),
                    [_("KPI"), _("Score"), _("Score on the benchmark's metric"), _("Benchmark"), _("Gap"), _("Standard"),
                     _("Industry"), _("Region"), _("Source"), _("Year")],
                    ["", "", "decimal", "decimal", "decimal", "", "", "", "", ""], rows))
    if study.journey is not None:
        j = study.journey
        unit = _unit(j.unit)
        rows = [[t.stage, t.name, t.value, t.low, t.high, t.n, t.target, t.gap, t.change,
                 {1: _("higher"), -1: _("lower")}.get(t.change_mark, ""), _("yes") if t.pain else ""]
                for t in j.touchpoints]
        out.append((_("Journey"), at(study.scope("journey").label, _("{kpi} at every touchpoint; change against {previous}.").format(
                        kpi=j.kpi, previous=j.previous_period or _("the previous period"))),
                    [_("Stage"), _("Touchpoint"), j.kpi, _("Low 95%"), _("High 95%"), _("Base"), _("Standard"), _("Gap"),
                     _("Change"), _("Sig"), _("Pain point")],
                    ["", "", unit, unit, unit, "count", unit, f"diff:{unit}", f"diff:{unit}", "", ""], rows))
    if study.voice is not None:
        rows = [[t.theme, t.count, t.share, t.negative, t.neutral, t.positive] for t in study.voice.themes]
        out.append((_("Comment themes"), at(study.scope("comments").label, _("{n} comments; {u} not coded to a theme.").format(
                        n=study.voice.n_comments, u=study.voice.uncoded)),
                    [_("Theme"), _("Comments"), _("Share %"), _("Negative"), _("Neutral"), _("Positive")],
                    ["", "count", "percent", "count", "count", "count"], rows))
    return out


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
            period=study.window.label, n=f"{study.results.base:,}", others=_(" and ").join(compared))
        if compared else _("{period} ({n} respondents)").format(period=study.window.label,
                                                               n=f"{study.results.base:,}"))])
    contents.append([_("Sheet"), _("What it holds")])
    for cell in contents[3]:
        cell.font, cell.fill = head_font, head_fill
    used = {contents.title.lower(), _("Definitions").lower()}
    for title, description, header, formats, rows in _tables(study):
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
        ws.column_dimensions["A"].width = max(14, min(40, max((len(str(r[0])) for r in rows), default=10) + 2))
        link = contents.cell(row=contents.max_row + 1, column=1, value=name)
        link.hyperlink = "#'{}'!A1".format(name.replace("'", "''"))
        link.font = Font(color=brand, underline="single")
        contents.cell(row=link.row, column=2, value=_text(description))
    contents.column_dimensions["A"].width = 28
    contents.column_dimensions["B"].width = 90
    contents.freeze_panes = "A4"
    defs = wb.create_sheet(_("Definitions"))
    defs.append([_("Term"), _("Definition")])
    for cell in defs[1]:
        cell.font, cell.fill = head_font, head_fill
    for spec in study.results.kpis:
        defs.append([_text(spec.label), _text(definition(spec))])
    rules = study.results.rules
    defs.append([_("Intervals"), _("95%: Wald (NPS, CES index), Wilson (percentages), t (means); effective n when "
                                   "weighted.")])
    defs.append([_("Significance"), _("Two-sided tests at α = {alpha}; 'higher'/'lower' marks significant "
                                      "differences.").format(alpha=study.results.alpha)])
    defs.append([_("Small bases"), _("Below {s}: not shown ('suppressed'); {s}–{f1}: small base.").format(
        s=rules.suppress_below, f1=rules.flag_below - 1)])
    defs.column_dimensions["A"].width = 20
    defs.column_dimensions["B"].width = 100
    defs.freeze_panes = "A2"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
