"""The Excel appendix as an analyst receives it (issue 13): sheet names that are unique,
meaningful and whole within Excel's 31 characters (English and Chinese), every column wide
enough for what it holds, and each source named once with its year once."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import openpyxl
import pytest

from cxreport.present.workbook import COLUMN_CAP, _sheet_name

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
SAMPLES = {"en": REPO / "samples" / "harbour-bank" / "cxreport.yaml",
           "zh": REPO / "samples" / "huayue-retail" / "cxreport.yaml"}


@pytest.fixture(scope="module", params=["en", "zh"])
def book(request, tmp_path_factory):
    from cxreport.build import build

    out = tmp_path_factory.mktemp(f"wb-{request.param}")
    result = build(SAMPLES[request.param], out, formats=("xlsx",))
    return request.param, openpyxl.load_workbook(result.paths["xlsx"]), result


# --------------------------------------------------------------------------- sheet names


def _balanced(name: str) -> bool:
    pairs = {"(": ")", "（": "）", "[": "]"}
    stack = []
    for ch in name:
        if ch in pairs:
            stack.append(pairs[ch])
        elif ch in pairs.values():
            if not stack or stack.pop() != ch:
                return False
    return not stack


def test_sheet_names_unique_whole_and_within_31(book):
    lang, wb, _result = book
    names = wb.sheetnames
    assert len({n.casefold() for n in names}) == len(names), names
    for name in names:
        assert 0 < len(name) <= 31, name
        assert _balanced(name), f"truncated sheet name: {name!r}"
        assert not re.search(r" \d+$", name), f"a repeated name numbered instead of named: {name!r}"
        assert name == name.strip() and not re.search(r"[-–,;:(（]$", name), name


def test_competitor_sheets_have_designed_short_names(book):
    lang, wb, _result = book
    names = set(wb.sheetnames)
    if lang == "en":
        assert {"Comp survey NPS", "Comp survey CSAT", "Comp survey CES", "Comp published NPS",
                "Comp published CSAT", "Comp published ACSI"} <= names, sorted(names)
        assert not any(n.startswith("Competitors") for n in names)
    else:
        competitor = sorted(n for n in names if n.startswith("竞品"))
        assert competitor and all(len(n) <= 16 for n in competitor), competitor
        assert {n.split(" ", 1)[0] for n in competitor} == {"竞品调研", "竞品公开"}, competitor
    # The full name of what a sheet holds is on the contents sheet, beside its link.
    contents = wb.worksheets[0]
    described = {row[0].value: row[1].value for row in contents.iter_rows(min_row=4) if row[0].hyperlink is not None}
    assert set(described) == set(wb.sheetnames[1:-1])
    assert all(described.values())


def test_long_names_are_cut_at_a_word_and_never_leave_half_a_bracket():
    used: set[str] = set()
    a = _sheet_name("Competitors CSAT (top-2-box %) (published and syndicated)", used)
    b = _sheet_name("By preferred contact channel for service requests", used)
    assert len(a) <= 31 and _balanced(a) and a == "Competitors CSAT", a
    assert len(b) <= 31 and b == "By preferred contact channel", b
    c = _sheet_name("By preferred contact channel for complaints", used)
    assert c != b and len(c) <= 31 and c.casefold() != b.casefold(), c


# --------------------------------------------------------------------------- column widths


def _width_of(text: str) -> float:
    """Characters as Excel columns count them: East Asian wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _shown(value, number_format: str) -> str:
    """A cell as Excel shows it (near enough for widths): the format's decimals, grouping and sign."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    first = number_format.split(";")[0]
    decimals = len(first.split(".")[1].rstrip('"%')) if "." in first else 0
    text = f"{abs(value):,.{decimals}f}" if "," in first else f"{abs(value):.{decimals}f}"
    sign = "-" if value < 0 else ("+" if first.startswith("+") and value > 0 else "")
    if number_format == "General":
        text = f"{value:.10g}"
        sign = ""
    return sign + text + ("%" if "%" in first else "")


def _note_rows(ws) -> set[int]:
    """Rows under a table that carry a note (its source): after the first empty row."""
    for r in range(1, ws.max_row + 1):
        if all(c.value is None for c in ws[r]):
            return set(range(r + 1, ws.max_row + 1))
    return set()


def test_every_column_is_as_wide_as_its_longest_cell(book):
    lang, wb, _result = book
    for ws in wb.worksheets:
        notes = _note_rows(ws)
        longest: dict[str, float] = {}
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is None or cell.row in notes:
                    continue
                size = (cell.font.sz or 11) / 11
                need = _width_of(_shown(cell.value, cell.number_format)) * size
                longest[cell.column_letter] = max(longest.get(cell.column_letter, 0), need)
        assert longest, ws.title
        for letter, need in longest.items():
            width = ws.column_dimensions[letter].width
            assert width and width >= min(need, COLUMN_CAP), \
                f"{ws.title}!{letter}: width {width} for a cell {need:.0f} characters wide"
            assert width <= COLUMN_CAP + 2, f"{ws.title}!{letter}: width {width} over the cap"


def test_long_text_is_wrapped_where_a_column_is_capped(book):
    lang, wb, _result = book
    for ws in wb.worksheets:
        notes = _note_rows(ws)
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str) and cell.row not in notes and \
                        _width_of(cell.value) > ws.column_dimensions[cell.column_letter].width:
                    assert cell.alignment.wrap_text, f"{ws.title}!{cell.coordinate} is cut off"


# --------------------------------------------------------------------------- sources


def test_a_competitor_source_is_named_once_with_its_year_once(book):
    lang, wb, result = book
    published = [ws for ws in wb.worksheets if ws.title.startswith(("Comp published", "竞品公开"))]
    survey = [ws for ws in wb.worksheets if ws.title.startswith(("Comp survey", "竞品调研"))]
    assert published and survey
    for ws in published + survey:
        texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
        sources = [t for t in texts if t.startswith(("Source", "来源"))]
        assert len(sources) == 1, (ws.title, sources)
        line = sources[0]
        for year in set(re.findall(r"\b20\d\d\b", line)):
            assert line.count(year) == 1, f"{ws.title}: year repeated in {line!r}"
        # The source is not repeated on every brand's row.
        header = [c.value for c in ws[1]]
        assert "Source" not in header and "来源" not in header, header
    en = {ws.title: ws for ws in published}
    if lang == "en":
        line = next(c.value for row in en["Comp published NPS"].iter_rows() for c in row
                    if isinstance(c.value, str) and c.value.startswith("Source"))
        assert line == "Source: UK Retail Banking Monitor 2026 (syndicated)", line
        acsi = next(c.value for row in en["Comp published ACSI"].iter_rows() for c in row
                    if isinstance(c.value, str) and c.value.startswith("Source"))
        assert acsi == "Source: Desk research (published ACSI-style scores), 2026", acsi
        survey_line = next(c.value for row in wb["Comp survey NPS"].iter_rows() for c in row
                           if isinstance(c.value, str) and c.value.startswith("Source"))
        assert survey_line.startswith("Source: competitor survey, "), survey_line


def test_benchmark_period_is_a_period_not_a_note(book):
    lang, wb, _result = book
    ws = wb["Benchmarks" if lang == "en" else "基准"]
    header = [c.value for c in ws[1]]
    period = header.index("Period" if lang == "en" else "期间")
    values = [r[period] for r in ws.iter_rows(min_row=2, values_only=True) if r[0] is not None]
    assert values
    for v in values:
        assert "(" not in str(v) and "（" not in str(v), v


# --------------------------------------------------------------------------- figures as the report prints them


def test_benchmark_sheet_prints_figures_at_the_measures_precision(book):
    """The benchmark sheet's score, benchmark and gap at the precision of the benchmark's
    measure, and the gap the difference of the figures as shown (+28 against +32 is −4, as
    in the report, not −4.3)."""
    from cxreport.present import formatting as fmt
    from cxreport.present.context import _metric_unit

    lang, wb, result = book
    ws = wb["Benchmarks" if lang == "en" else "基准"]
    rows = [r for r in ws.iter_rows(min_row=2) if r[0].value is not None]
    assert len(rows) == len(result.study.benchmarks)
    for row, b in zip(rows, result.study.benchmarks):
        unit = _metric_unit(b.standard.metric)
        score, compared, standard, gap = row[1], row[2], row[3], row[4]
        assert gap.value == fmt.shown_difference(b.compared, b.standard.value, unit), (gap.value, b.label)
        for cell in (compared, standard, gap):
            decimals = len(cell.number_format.split(";")[0].split(".")[1]) if "." in cell.number_format else 0
            assert decimals == fmt.DECIMALS[unit], (cell.coordinate, cell.number_format)


def test_an_index_is_whole_and_differences_are_in_the_reports_precision(book):
    lang, wb, result = book
    acsi = wb["Comp published ACSI" if lang == "en" else "竞品公开 ACSI"]
    values = [r[1] for r in acsi.iter_rows(min_row=2) if isinstance(r[1].value, (int, float))]
    assert values and all("." not in c.number_format for c in values), [c.number_format for c in values]
    # percentage-point differences whole, as the report's "−7 pts"
    csat = wb["Comp survey CSAT" if lang == "en" else "竞品调研 CSAT"]
    diffs = [r[5] for r in csat.iter_rows(min_row=2) if isinstance(r[5].value, (int, float))]
    assert diffs and all("." not in c.number_format for c in diffs), [c.number_format for c in diffs]


def test_definitions_and_descriptions_use_the_projects_words(book):
    """The Definitions sheet names the KPIs with the project's labels (省力度, never the
    catalog's 费力度), and counts in the descriptions are grouped (2,592, not 2592)."""
    lang, wb, result = book
    defs = wb.worksheets[-1]
    text = " ".join(str(c.value) for row in defs.iter_rows() for c in row if c.value is not None)
    nps = next(s.label for s in result.study.results.kpis if s.key == "nps")
    intervals = next(r[1].value for r in defs.iter_rows(min_row=2) if r[0].value in ("Intervals", "置信区间"))
    assert nps in intervals, intervals
    if lang == "zh":
        assert "费力度" not in text
    contents = wb.worksheets[0]
    described = " ".join(str(r[1].value) for r in contents.iter_rows(min_row=2) if r[1].value is not None)
    assert not re.search(r"(?<![\d,.])\d{4,}(?![\d,])", re.sub(r"(19|20)\d\d", "", described)), described


def test_kpi_changes_are_the_differences_of_the_figures_as_printed(book):
    """'Change vs <period>' on the KPI sheet is the printed figure minus the printed earlier
    one, as in the report's scorecard (75 % → 74 % is −1, never −0.848)."""
    from cxreport.scoring.kpis import shown_value

    lang, wb, result = book
    units = {"+0;-0;0": "points", '0"%"': "percent", "0.00": "mean"}
    ws = wb.worksheets[1]
    header = [c.value for c in ws[1]]
    changes = [i for i, h in enumerate(header) if h and i > 0 and header[i - 1] and i >= 10 and (i - 9) % 3 == 1]
    checked = 0
    for row in ws.iter_rows(min_row=2, max_row=4):
        unit = units[row[1].number_format]
        for i in changes:
            value, other, change = row[1].value, row[i - 1].value, row[i].value
            if None in (value, other, change):
                continue
            assert change == pytest.approx(shown_value(value, unit) - shown_value(other, unit)), (header[i], row[0].value)
            checked += 1
    # the Chinese client report covers 2026, the first year of its data: no earlier period to compare
    assert checked >= 3 if len(header) > 9 else changes == []
