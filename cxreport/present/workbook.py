"""The Excel appendix workbook: every table of the report with its bases.

One sheet per table, a contents sheet linking to them and a definitions sheet; headers are
frozen, and every figure is a number formatted in its own unit: NPS-style points signed
(+22), percentages with a % sign (72.5%: the value stays in percent, as in the scores
JSON), means with two decimals. Any text from the data or the project file that a
spreadsheet would run as a formula (starting with =, +, -, @, tab or CR) is neutralised
with a leading apostrophe.
"""

from __future__ import annotations

import io
import math
import re

from cxreport.export import safe_cell
from cxreport.pipeline import Study
from cxreport.present.context import definition

NUMBER_FORMATS = {
    "points": "+0;-0;0",                  # NPS, CES index: signed whole points
    "percent": '0.0"%"',                  # a percentage kept in percent (72.5 shows as 72.5%)
    "mean": "0.00",
    "count": "#,##0",
    "decimal": "0.0",                     # effective bases, 0-100 performance
    "p": "0.0000",
    "diff:points": "+0;-0;0",             # differences, in the unit's terms
    "diff:percent": "+0.0;-0.0;0.0",      # percentage points
    "diff:mean": "+0.00;-0.00;0.00",
}


class Fmt:
    """A number with its own format (for columns whose unit changes from row to row)."""

    __slots__ = ("value", "fmt")

    def __init__(self, value, fmt: str):
        self.value, self.fmt = value, fmt


def _unit(unit: str) -> str:
    return unit if unit in ("points", "percent", "mean") else "mean"


def _clean(value):
    if isinstance(value, str):
        return safe_cell(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _sheet_name(text: str, used: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\]", " ", text)[:28].strip() or "Sheet"
    base, k = name, 2
    while name.lower() in used:
        name = f"{base[:25]} {k}"
        k += 1
    used.add(name.lower())
    return name


def _tables(study: Study) -> list[tuple[str, str, list[str], list[str], list[list]]]:
    """(title, description, header, column formats, rows) for every table."""
    r = study.results
    kpis = r.kpis
    out = []
    rows = []
    for spec in r.items:
        res = r.overall[spec.key]
        est = res.headline
        status = study.targets.overall.get(spec.key)
        unit = _unit(est.unit)
        shown = est.shown
        rows.append([spec.label, Fmt(est.value if shown else None, unit), Fmt(est.low if shown else None, unit),
                     Fmt(est.high if shown else None, unit), est.unit, res.n, round(res.n_eff, 1),
                     Fmt(status.target if status else None, unit), status.status if status else None])
    out.append(("Overall KPIs", "Every item: headline figure with 95% interval, base and status against target.",
                ["Item", "Value", "Low 95%", "High 95%", "Unit", "Base", "Effective base", "Target", "Status"],
                ["", "", "", "", "", "count", "decimal", "", ""], rows))
    for breakdown in r.segments + ([r.periods] if r.periods else []):
        header = [breakdown.name, "Base"]
        formats = ["", "count"]
        for spec in kpis:
            header += [spec.label, f"{spec.label} low", f"{spec.label} high", f"{spec.label} n", f"{spec.label} sig"]
            formats += [spec.headline_unit, spec.headline_unit, spec.headline_unit, "count", ""]
        rows = []
        for group in breakdown.groups:
            row = [group.label, group.base]
            for spec in kpis:
                est = group.items[spec.key].headline
                change = group.changes.get(spec.key)
                mark = {1: "higher", -1: "lower"}.get(change.mark, "") if change else ""
                shown = est.shown
                row += [est.value if shown else None, est.low if shown else None, est.high if shown else None,
                        est.n, mark if shown else "suppressed" if est.base == "suppressed" else ""]
            rows.append(row)
        what = "each period against the previous one" if breakdown.kind == "period" else "each group against the rest"
        out.append((f"By {breakdown.name.lower()}", f"Headline KPIs by {breakdown.name.lower()}; significance: {what}.",
                    header, formats, rows))
    if r.attributes:
        rows = [[s.label, r.overall[s.key].mean.value, r.overall[s.key].mean.low, r.overall[s.key].mean.high,
                 r.overall[s.key].top2.value if r.overall[s.key].top2 else None, r.overall[s.key].n]
                for s in r.attributes]
        out.append(("Attributes", "Attribute ratings: mean with 95% interval, top-2-box % and base.",
                    ["Attribute", "Mean", "Low 95%", "High 95%", "Top-2-box %", "Base"],
                    ["", "mean", "mean", "mean", "percent", "count"], rows))
    if study.drivers is not None and study.drivers.overall is not None:
        a = study.drivers.overall
        rows = [[d.name, d.importance, d.lmg, d.mean, d.performance, d.quadrant, a.n] for d in a.rows]
        out.append(("Key drivers", f"Drivers of {a.outcome}: R² = {a.r2:.3f}, n = {a.n} complete answers.",
                    ["Attribute", "Importance % of R²", "Shapley/LMG %", "Mean", "Performance 0-100", "Quadrant",
                     "Base (complete answers)"],
                    ["", "percent", "percent", "mean", "decimal", "", "count"], rows))
    if study.priorities:
        n = study.drivers.overall.n if study.drivers is not None and study.drivers.overall is not None else None
        rows = [[p.name, p.impact, p.importance, p.performance, p.gap, p.gap_to, p.effort, p.quadrant, n]
                for p in study.priorities]
        out.append(("Priorities", "Improvement priorities: impact = importance × gap (0-100 scale), largest first.",
                    ["Driver", "Impact", "Importance % of R²", "Performance 0-100", "Gap", "Gap to", "Effort",
                     "Quadrant", "Base (complete answers)"],
                    ["", "mean", "percent", "decimal", "decimal", "", "", "", "count"], rows))
    nps = r.overall.get("nps")
    if nps is not None and nps.nps is not None and nps.distribution:
        rows = [[point, count, share] for point, count, share in nps.distribution]
        rows.append(["Total", sum(row[1] for row in rows), sum(row[2] for row in rows)])
        out.append(("NPS distribution", "Answers to the likelihood-to-recommend question, 0 to 10.",
                    ["Score", "Answers", "Share %"], ["", "count", "percent"], rows))
    for comp in study.competitors:
        unit = _unit(comp.unit)
        rows = [[b.brand, b.value, b.low, b.high, b.n, b.diff, b.p_value, b.source] for b in comp.brands]
        out.append((f"Competitors {comp.label}", f"{comp.label} ({comp.origin}): own brand minus each competitor.",
                    ["Brand", "Value", "Low 95%", "High 95%", "Base", "Own minus brand", "p-value", "Source"],
                    ["", unit, unit, unit, "count", f"diff:{unit}", "p", ""], rows))
    if study.benchmarks:
        rows = [[b.label, Fmt(b.value if b.base != "suppressed" else None, _unit(b.unit)), b.compared,
                 b.standard.value, b.gap, b.standard.id, b.standard.industry, b.standard.region,
                 b.standard.source, b.standard.period or b.standard.year] for b in study.benchmarks]
        out.append(("Benchmarks", "Each KPI beside the published benchmarks chosen for the study (gap = KPI − benchmark).",
                    ["KPI", "Score", "Score on the benchmark's metric", "Benchmark", "Gap", "Standard", "Industry",
                     "Region", "Source", "Year"],
                    ["", "", "decimal", "decimal", "decimal", "", "", "", "", ""], rows))
    if study.journey is not None:
        j = study.journey
        unit = _unit(j.unit)
        rows = [[t.stage, t.name, t.value, t.low, t.high, t.n, t.target, t.gap, t.change,
                 {1: "higher", -1: "lower"}.get(t.change_mark, ""), "yes" if t.pain else ""] for t in j.touchpoints]
        out.append(("Journey", f"{j.kpi} at every touchpoint; change against {j.previous_period or 'the previous period'}.",
                    ["Stage", "Touchpoint", j.kpi, "Low 95%", "High 95%", "Base", "Standard", "Gap", "Change", "Sig",
                     "Pain point"],
                    ["", "", unit, unit, unit, "count", unit, f"diff:{unit}", f"diff:{unit}", "", ""], rows))
    if study.voice is not None:
        rows = [[t.theme, t.count, t.share, t.negative, t.neutral, t.positive] for t in study.voice.themes]
        out.append(("Comment themes", f"{study.voice.n_comments} comments; {study.voice.uncoded} not coded to a theme.",
                    ["Theme", "Comments", "Share %", "Negative", "Neutral", "Positive"],
                    ["", "count", "percent", "count", "count", "count"], rows))
    return out


def build_workbook(study: Study) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    brand = study.project.brand.primary.lstrip("#")
    wb = Workbook()
    contents = wb.active
    contents.title = "Contents"
    head_font = Font(bold=True, color="FFFFFF")
    head_fill = PatternFill("solid", fgColor=brand)
    contents.append([safe_cell(study.project.report.title), safe_cell(study.project.client.name)])
    contents["A1"].font = Font(bold=True, size=14)
    contents.append([])
    contents.append(["Sheet", "What it holds"])
    for cell in contents[3]:
        cell.font, cell.fill = head_font, head_fill
    used = {"contents", "definitions"}
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
        contents.cell(row=link.row, column=2, value=safe_cell(description))
    contents.column_dimensions["A"].width = 28
    contents.column_dimensions["B"].width = 90
    contents.freeze_panes = "A4"
    defs = wb.create_sheet("Definitions")
    defs.append(["Term", "Definition"])
    for cell in defs[1]:
        cell.font, cell.fill = head_font, head_fill
    for spec in study.results.kpis:
        defs.append([safe_cell(spec.label), safe_cell(definition(spec))])
    rules = study.results.rules
    defs.append(["Intervals", "95%: Wald (NPS, CES index), Wilson (percentages), t (means); effective n when weighted."])
    defs.append(["Significance", f"Two-sided tests at α = {study.results.alpha}; 'higher'/'lower' marks significant differences."])
    defs.append(["Small bases", f"Below {rules.suppress_below}: not shown ('suppressed'); "
                                f"{rules.suppress_below}–{rules.flag_below - 1}: small base."])
    defs.column_dimensions["A"].width = 20
    defs.column_dimensions["B"].width = 100
    defs.freeze_panes = "A2"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
