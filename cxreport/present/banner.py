"""Banner tables for the report's appendix and the workbook (docs/banners.md).

The figures come finished from :mod:`cxreport.scoring.banner`; this module lays them out:
a wide banner is split into printed tables of at most ``banners.columns_per_table`` columns
(Total included), each repeating the row labels and the Total, so no table is wider than
the page. Cells are the report's ``cell`` dicts (the same rounding and small-base marks as
every other table) plus the column letters and the cell's base.
"""

from __future__ import annotations

from cxreport.i18n import _
from cxreport.present.formatting import num


def measure(spec) -> str:
    """What a row's figure is: 'NPS, −100 to +100', '% 4–5 (top 2)', 'mean, 1–5', 'index'."""
    if spec.headline == "nps":
        return _("NPS, −100 to +100")
    if spec.headline == "top2":
        return _("% {a}–{b} (top 2)").format(a=spec.high - 1, b=spec.high)
    if spec.headline == "index":
        return _("index")
    return _("mean, {low}–{high}").format(low=spec.low, high=spec.high)


def letters_note(tables, banner) -> str:
    """The sentence under a banner explaining its letters, with its adjustment and number of tests."""
    from cxreport.present.context import ADJUST_NAMES      # the names every adjusted table uses

    alpha = f"{float(tables.alpha):g}"
    if tables.adjust == "none":
        how = _("p ≤ {alpha}, each test on its own (no adjustment for the {n} comparisons)").format(
            alpha=alpha, n=num(banner.n_tests))
    else:
        how = _("p ≤ {alpha} after {method} adjustment of the table's {n} comparisons").format(
            alpha=alpha, method=_(ADJUST_NAMES.get(tables.adjust, tables.adjust)), n=num(banner.n_tests))
    return _("A letter marks a figure significantly higher than the figure in the column of that letter, within "
             "the same segment ({how}; NPS difference z-test, two-proportion z-test for percentages, Welch's t-test "
             "for means). The Total and “Not stated” columns are not tested, nor is a figure whose base is too "
             "small to show.").format(how=how)


def _parts(columns: list, size: int) -> list[list[int]]:
    """Column indices split into printed tables of at most ``size`` group columns, keeping a
    segment's groups together when they fit in one table."""
    parts: list[list[int]] = [[]]
    by_segment: dict[str, list[int]] = {}
    for i, c in enumerate(columns):
        by_segment.setdefault(c.segment, []).append(i)
    for indices in by_segment.values():
        if len(parts[-1]) + len(indices) <= size:
            parts[-1] += indices                      # fits beside what is there
            continue
        if parts[-1]:
            parts.append([])
        # A segment wider than a table: as many tables as it needs, of near-equal widths
        # (9 groups in tables of 7: 5 and 4, not 7 and 2).
        k = -(-len(indices) // size)
        step, extra = divmod(len(indices), k)
        start = 0
        for j in range(k):
            end = start + step + (1 if j < extra else 0)
            if parts[-1]:
                parts.append([])
            parts[-1] += indices[start:end]
            start = end
    return [p for p in parts if p]


def _cell(result, letters: str = "") -> dict:
    from cxreport.present.context import est_cell

    c = est_cell(result.headline)
    c["letters"] = letters if c["base"] != "suppressed" else ""
    c["n_item"] = result.n
    return c


def banner_context(study) -> dict | None:
    """The appendix's banner tables: None when the project prints none."""
    from cxreport.present.context import _slug, _unique
    from cxreport.scoring.banner import study_banners

    tables = study_banners(study)
    if tables is None or not tables.appendix or not tables.banners:
        return None
    used: set[str] = set()
    out = []
    for banner in tables.banners:
        parts = []
        for indices in _parts(banner.columns, tables.columns_per_table - 1):
            spans = []
            for i in indices:
                seg = banner.columns[i].segment
                if spans and spans[-1]["segment"] == seg:
                    spans[-1]["colspan"] += 1
                else:
                    spans.append({"segment": seg, "colspan": 1})
            parts.append({
                "columns": [{"label": banner.columns[i].label, "letter": banner.columns[i].letter,
                             "base": banner.columns[i].base, "base_flag": banner.columns[i].base_flag,
                             "segment": banner.columns[i].segment} for i in indices],
                "spans": spans,
                "rows": [{"key": row.key, "label": row.spec.label, "measure": measure(row.spec),
                          "total": _cell(row.total),
                          "cells": [_cell(row.cells[i], row.letters[i]) for i in indices]} for row in banner.rows],
            })
        out.append({"name": banner.name, "id": _unique(f"banner-{_slug(banner.name)}", used),
                    "segments": banner.segments, "total_base": banner.total_base, "parts": parts,
                    "several": len(parts) > 1, "n_tests": banner.n_tests,
                    "note": letters_note(tables, banner)})
    return {"tables": out, "label": tables.label}


# --------------------------------------------------------------------------- workbook


def banner_rows(study) -> tuple[str, list[list], list[str]] | None:
    """The workbook's "Banner tables" sheet: its description, its rows (one block per
    banner: its name, the column labels, the letters, the respondents, then per item a row
    of figures, each followed by its letters, and a row of bases) and the notes under it
    (the letters explained for each banner, and the small-base rules)."""
    from cxreport.present.workbook import Fmt, _unit
    from cxreport.scoring.banner import study_banners

    tables = study_banners(study)
    if tables is None or not tables.workbook or not tables.banners:
        return None
    rows: list[list] = []
    notes = []
    for banner in tables.banners:
        rows.append([banner.name])
        rows.append([_("Item"), _("Measure"), _("Total"), None]
                    + [x for c in banner.columns for x in (c.label, None)])
        rows.append([_("Column letter"), None, None, None] + [x for c in banner.columns for x in (c.letter, None)])
        rows.append([_("Respondents"), None, banner.total_base, None]
                    + [x for c in banner.columns for x in (c.base, None)])
        for row in banner.rows:
            unit = _unit(row.unit)
            values = [row.spec.label, measure(row.spec), _value(row.total, Fmt, unit), None]
            for i, cell in enumerate(row.cells):
                values += [_value(cell, Fmt, unit), row.letters[i] or None]
            rows.append(values)
            rows.append([_("Base"), None, row.total.n, None] + [x for c in row.cells for x in (c.n, None)])
        notes.append(_("{period}: {text}").format(period=banner.name, text=letters_note(tables, banner)))
    description = _("{period}: every KPI and attribute by the groups of each banner segment, with the letters of "
                    "the columns each figure is significantly higher than.").format(period=tables.label)
    rules = study.results.rules
    notes.append(_("Blank figure: base below {s}, not shown or tested. Bases below {f} are small: read with "
                   "caution.").format(s=rules.suppress_below, f=rules.flag_below))
    return description, rows, notes


def _value(result, Fmt, unit):
    est = result.headline
    return Fmt(est.value if est.shown else None, unit)


def write_sheet(wb, study, used: set[str], head_font, head_fill) -> tuple[str, str] | None:
    """Add the "Banner tables" sheet to the workbook ``wb``; (sheet name, description), or None
    when the project writes no banners. Titles are bold, the label rows on the brand colour,
    the letters beside each figure in a column of their own."""
    from openpyxl.styles import Alignment, Font

    from cxreport.present.workbook import NUMBER_FORMATS, Fmt, _clean, _fit_columns, _sheet_name, _text

    found = banner_rows(study)
    if found is None:
        return None
    description, rows, notes = found
    name = _sheet_name(_("Banner tables"), used)
    ws = wb.create_sheet(name)
    for row in rows:
        ws.append([_clean(v.value if isinstance(v, Fmt) else v) for v in row])
        r = ws.max_row
        for col, v in enumerate(row, start=1):
            if isinstance(v, Fmt) and v.fmt in NUMBER_FORMATS:
                ws.cell(row=r, column=col).number_format = NUMBER_FORMATS[v.fmt]
            elif isinstance(v, int) and not isinstance(v, bool):
                ws.cell(row=r, column=col).number_format = NUMBER_FORMATS["count"]
        if len(row) == 1:
            ws.cell(row=r, column=1).font = Font(bold=True, size=12, color=head_fill.fgColor.rgb)   # a banner's name
        elif row and row[0] in (_("Item"), _("Column letter")):
            for cell in ws[r]:
                cell.font, cell.fill = head_font, head_fill
                cell.alignment = Alignment(horizontal="center" if cell.column > 2 else "left")
        elif row and row[0] == _("Base"):
            for cell in ws[r]:
                cell.font = Font(color="6B7280", size=9)
    ws.freeze_panes = "C1"
    _fit_columns(ws)                           # sized to the tables, before the notes under them
    ws.append([])
    for note in notes:
        ws.append([_text(note)])
        ws.cell(row=ws.max_row, column=1).font = Font(italic=True)
    return name, description
