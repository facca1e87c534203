"""The Excel appendix workbook: every table of the report with its bases.

One sheet per table, a contents sheet linking to them and a definitions sheet; headers are
frozen, percentages and means formatted, and any text from the data that a spreadsheet
would run as a formula (starting with =, +, -, @) is neutralised with a leading apostrophe.
"""

from __future__ import annotations

import io
import math
import re

from cxreport.export import safe_cell
from cxreport.i18n import _
from cxreport.pipeline import Study
from cxreport.present.context import definition

NUMBER_FORMATS = {"points": "+0;-0;0", "percent": "0.0", "mean": "0.00", "count": "#,##0", "p": "0.0000"}


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
        rows.append([spec.label, est.value if est.shown else None, est.low, est.high, est.unit, res.n, round(res.n_eff, 1),
                     status.target if status else None, status.status if status else None])
    out.append((_("Overall KPIs"), _("Every item: headline figure with 95% interval, base and status against target."),
                [_("Item"), _("Value"), _("Low 95%"), _("High 95%"), _("Unit"), _("Base"), _("Effective base"),
                 _("Target"), _("Status")],
                ["", "mean", "mean", "mean", "", "count", "mean", "mean", ""], rows))
    for breakdown in r.segments + ([r.periods] if r.periods else []):
        header = [breakdown.name, _("Base")]
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
        out.append((_("By {segment}").format(segment=breakdown.name.lower()),
                    _("Headline KPIs by {segment}; significance: {what}.").format(segment=breakdown.name.lower(),
                                                                                  what=what),
                    header, formats, rows))
    if r.attributes:
        rows = [[s.label, r.overall[s.key].mean.value, r.overall[s.key].mean.low, r.overall[s.key].mean.high,
                 r.overall[s.key].top2.value if r.overall[s.key].top2 else None, r.overall[s.key].n]
                for s in r.attributes]
        out.append((_("Attributes"), _("Attribute ratings: mean with 95% interval, top-2-box % and base."),
                    [_("Attribute"), _("Mean"), _("Low 95%"), _("High 95%"), _("Top-2-box %"), _("Base")],
                    ["", "mean", "mean", "mean", "percent", "count"], rows))
    if study.drivers is not None and study.drivers.overall is not None:
        a = study.drivers.overall
        rows = [[d.name, d.importance, d.lmg, d.mean, d.performance, _(d.quadrant)] for d in a.rows]
        out.append((_("Key drivers"), _("Drivers of {outcome}: R² = {r2}, n = {n}.").format(
                        outcome=a.outcome, r2=f"{a.r2:.3f}", n=a.n),
                    [_("Attribute"), _("Importance % of R²"), _("Shapley/LMG %"), _("Mean"), _("Performance 0-100"),
                     _("Quadrant")],
                    ["", "percent", "percent", "mean", "percent", ""], rows))
    for comp in study.competitors:
        rows = [[b.brand, b.value, b.low, b.high, b.n, b.diff, b.p_value, b.source] for b in comp.brands]
        out.append((_("Competitors {metric}").format(metric=comp.label),
                    _("{metric} ({origin}): own brand minus each competitor.").format(metric=comp.label,
                                                                                      origin=comp.origin),
                    [_("Brand"), _("Value"), _("Low 95%"), _("High 95%"), _("Base"), _("Own minus brand"), _("p-value"),
                     _("Source")],
                    ["", "mean", "mean", "mean", "count", "mean", "p", ""], rows))
    if study.voice is not None:
        rows = [[t.theme, t.count, t.share, t.negative, t.neutral, t.positive] for t in study.voice.themes]
        out.append((_("Comment themes"), _("{n} comments; {u} not coded to a theme.").format(
                        n=study.voice.n_comments, u=study.voice.uncoded),
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
    contents.append([safe_cell(study.project.report.title), safe_cell(study.project.client.name)])
    contents["A1"].font = Font(bold=True, size=14)
    contents.append([])
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
            ws.append([_clean(v) for v in row])
        for col, fmt in enumerate(formats, start=1):
            if fmt in NUMBER_FORMATS:
                for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
                    cell.number_format = NUMBER_FORMATS[fmt]
        ws.freeze_panes = "B2"
        ws.column_dimensions["A"].width = max(14, min(40, max((len(str(r[0])) for r in rows), default=10) + 2))
        link = contents.cell(row=contents.max_row + 1, column=1, value=name)
        link.hyperlink = f"#'{name}'!A1"
        link.font = Font(color=brand, underline="single")
        contents.cell(row=link.row, column=2, value=safe_cell(description))
    contents.column_dimensions["A"].width = 28
    contents.column_dimensions["B"].width = 90
    defs = wb.create_sheet(_("Definitions"))
    defs.append([_("Term"), _("Definition")])
    for cell in defs[1]:
        cell.font, cell.fill = head_font, head_fill
    for spec in study.results.kpis:
        defs.append([spec.label, definition(spec)])
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
