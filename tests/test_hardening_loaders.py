"""Issue 12, the loaders: memory bombs refused before they are materialised, a linear
long-cell check, cut-off CSV rows, non-finite competitor figures.

Each hostile file is made here, by hand where the format allows it (an XLSX is a zip of
a few XML parts), and goes through the real command line (``validate``, ``score`` and
``build``): exit code 1, one ``Error:`` line naming the file, no traceback, nothing written.
The limits are those of :mod:`cxreport.load.limits` (docs/security.md, "Limits").
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from cxreport.cli import cli
from cxreport.errors import DataError
from cxreport.load import limits
from cxreport.load.limits import InputLimitError, check_xlsx
from cxreport.load.tabular import MAX_CELL_CHARS, read_table
from tests.conftest import BASE_CONFIG, write_project

HEADER = ["resp_id", "response_date", "region", "q_nps", "q_csat", "comment"]
COMMANDS = ("validate", "score", "build")


# --------------------------------------------------------------------------- helpers


def run_cli(command: str, project: Path, *extra: str):
    """Run ``command`` on ``project``; (result, what it would have written)."""
    out = project.parent / "out"
    args = [command, str(project)]
    if command == "score":
        args += ["-o", str(out / "scores.json")]
    elif command == "build":
        args += ["-o", str(out), "--format", "html"]
    return CliRunner().invoke(cli, args + list(extra)), out


def assert_refused(result, out: Path, pattern: str) -> str:
    """Exit code 1, one Error line matching ``pattern``, no traceback, nothing written."""
    stderr = result.stderr
    text = result.output + stderr
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), (
        f"crashed with {type(result.exception).__name__}: {result.exception}")
    assert "Traceback" not in text
    assert result.exit_code == 1, text
    errors = [line for line in stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, stderr
    assert re.search(pattern, errors[0]), f"{pattern!r} not in: {errors[0]}"
    assert len(errors[0]) < 600
    if out.exists():
        assert not [p.name for p in out.rglob("*") if p.is_file()], "a refused input left files behind"
    return errors[0]


def survey_project(folder: Path, name: str, data: bytes | str | None, **overrides) -> Path:
    survey = {"file": f"data/{name}", **overrides.pop("survey", {})}
    files = {f"data/{name}": data} if data is not None else {}
    return write_project(folder, None, files=files, survey=survey, **overrides)


# --------------------------------------------------------------------------- XLSX made by hand

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '</Types>')
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/></Relationships>')

#: Nine levels of ten: 10^9 copies of "a" once expanded ("billion laughs").
LAUGHS = ('<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">' + "".join(
    f'<!ENTITY {chr(98 + k)} "{("&" + chr(97 + k) + ";") * 10}">' for k in range(8)) + ']>')


def inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def survey_rows(n: int = 40) -> str:
    """The header and ``n`` valid responses as <row> elements (inline strings)."""
    letters = "ABCDEF"
    rows = ['<row r="1">' + "".join(inline(f"{c}1", h) for c, h in zip(letters, HEADER)) + "</row>"]
    for i in range(n):
        r = i + 2
        values = [f"R{i}", f"2026-01-{1 + i % 28:02d}", "North" if i % 2 else "South", str(i % 11), str(1 + i % 5),
                  "fine"]
        rows.append(f'<row r="{r}">' + "".join(inline(f"{c}{r}", v) for c, v in zip(letters, values)) + "</row>")
    return "".join(rows)


def worksheet(rows: str, dimension: str | None = "A1:F41", doctype: str = "") -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{doctype}'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'{dim}<sheetData>{rows}</sheetData></worksheet>')


def xlsx(sheet: str | bytes, **extra: str | bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", ROOT_RELS)
        z.writestr("xl/workbook.xml", extra.pop("workbook", WORKBOOK))
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        z.writestr("xl/worksheets/sheet1.xml", sheet)
        for name, data in extra.items():
            z.writestr(name.replace("__", "/"), data)
    return buf.getvalue()


FAR_CELL = '<row r="1048576">' + inline("XFD1048576", "x") + "</row>"
#: The issue's file: declares A1:XFD1048576 and has one cell there.
XLSX_BOMB = xlsx(worksheet(survey_rows() + FAR_CELL, dimension="A1:XFD1048576"))
#: The same cell, with an honest-looking dimension (the used range gives it away).
XLSX_FAR_CELL = xlsx(worksheet(survey_rows() + FAR_CELL, dimension="A1:F41"))
#: No dimension at all, and cells without references, 20,000 of them in one row.
XLSX_WIDE_ROW = xlsx(worksheet(survey_rows() + '<row r="41000">' + "<c/>" * 20_000 + "</row>", dimension=None))
XLSX_LAUGHS = xlsx(worksheet(survey_rows().replace("<t>fine</t>", "<t>&i;</t>", 1), doctype=LAUGHS))


def test_hand_made_workbook_is_readable(tmp_path):
    """The hand-made parts make a workbook that reads as today (so the refusals below are the limits)."""
    path = tmp_path / "ok.xlsx"
    path.write_bytes(xlsx(worksheet(survey_rows())))
    table = read_table(path)
    assert list(table.frame.columns) == HEADER
    assert len(table.frame) == 40
    shape = check_xlsx(path)
    assert (shape.sheet, shape.part, shape.declared, shape.rows, shape.columns) == (
        "Sheet1", "xl/worksheets/sheet1.xml", "A1:F41", 41, 6)


@pytest.mark.parametrize("command", COMMANDS)
def test_xlsx_declaring_the_whole_grid_is_refused(tmp_path, command):
    project = survey_project(tmp_path / "p", "responses.xlsx", XLSX_BOMB)
    t = time.perf_counter()
    result, out = run_cli(command, project)
    assert time.perf_counter() - t < 10
    line = assert_refused(result, out, r"^Error: data/responses\.xlsx: sheet 'Sheet1' declares the range "
                                       r"A1:XFD1048576 .*17,179,869,184 cells\); at most 20,000,000 cells")
    assert "docs/security.md" in line


@pytest.mark.parametrize("command", COMMANDS)
def test_xlsx_with_one_far_cell_is_refused_by_its_used_range(tmp_path, command):
    project = survey_project(tmp_path / "p", "responses.xlsx", XLSX_FAR_CELL)
    result, out = run_cli(command, project)
    assert_refused(result, out, r"data/responses\.xlsx: sheet 'Sheet1' has cells as far as XFD1048576, so its "
                                r"used range is A1:XFD1048576 \(1,048,576 rows × 16,384 columns")


def test_xlsx_cells_without_references_count_where_openpyxl_puts_them(tmp_path):
    """``<c/>`` without ``r`` follows the previous cell: 20,000 of them reach past Excel's last column."""
    project = survey_project(tmp_path / "p", "responses.xlsx", XLSX_WIDE_ROW)
    result, out = run_cli("validate", project)
    assert_refused(result, out, r"data/responses\.xlsx: sheet 'Sheet1' has (a cell in column 16,385|cells as far)")


@pytest.mark.parametrize("command", COMMANDS)
def test_xlsx_entity_expansion_is_refused_without_a_traceback(tmp_path, command):
    project = survey_project(tmp_path / "p", "responses.xlsx", XLSX_LAUGHS)
    result, out = run_cli(command, project)
    assert_refused(result, out, r"data/responses\.xlsx: part xl/worksheets/sheet1\.xml has a <!DOCTYPE> declaration")


@pytest.mark.parametrize("part", ["xl/workbook.xml", "xl/sharedStrings.xml", "[Content_Types].xml"])
def test_a_doctype_in_any_part_is_refused(tmp_path, part):
    body = {"xl/workbook.xml": WORKBOOK, "[Content_Types].xml": CONTENT_TYPES,
            "xl/sharedStrings.xml": '<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/'
                                    'spreadsheetml/2006/main"><si><t>&i;</t></si></sst>'}[part]
    bombed = body.replace("?>", "?>" + LAUGHS.replace("worksheet", "x"), 1)
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx(worksheet(survey_rows())))) as src, zipfile.ZipFile(buf, "w") as dst:
        for info in src.infolist():
            if info.filename != part:
                dst.writestr(info, src.read(info))
        dst.writestr(part, bombed)
    with pytest.raises(InputLimitError, match=re.escape(f"part {part} has a <!DOCTYPE> declaration")):
        check_xlsx(buf.getvalue())


def test_malformed_sheet_xml_is_one_line(tmp_path):
    project = survey_project(tmp_path / "p", "responses.xlsx", xlsx(worksheet(survey_rows())[:-30]))
    result, out = run_cli("validate", project)
    assert_refused(result, out, r"data/responses\.xlsx: (sheet 'Sheet1' is not well-formed XML \(line 1|"
                                r"not a readable XLSX workbook \(ParseError\))")


def test_highly_compressed_part_is_refused(tmp_path):
    """50 MB of blanks inside the sheet pack to a few kilobytes: refused by the packing ratio."""
    padded = worksheet(survey_rows()).replace("<sheetData>", "<sheetData>" + " " * 50_000_000)
    data = xlsx(padded)
    assert len(data) < 200_000
    project = survey_project(tmp_path / "p", "responses.xlsx", data)
    result, out = run_cli("validate", project)
    assert_refused(result, out, r"data/responses\.xlsx: part xl/worksheets/sheet1\.xml unpacks from .* to 50\.0 MB "
                                r"\([0-9,]+ to 1; at most 200 to 1")


def test_unpacked_total_and_part_count_limits():
    data = xlsx(worksheet(survey_rows()))
    with pytest.raises(InputLimitError, match=r"the workbook unpacks to .*; at most 1\.0 KB is read"):
        check_xlsx(data, max_uncompressed=1000)
    with pytest.raises(InputLimitError, match=r"the workbook's zip holds 5 files; at most 3 are accepted"):
        check_xlsx(data, max_parts=3)
    with pytest.raises(InputLimitError, match=r"not a readable XLSX workbook \(BadZipFile\)"):
        check_xlsx(b"not a zip at all")


def test_xlsx_limit_applies_to_the_sheet_that_is_read(tmp_path):
    """A far cell on another sheet does not stop the sheet the project reads; on the read sheet it does."""
    workbook = WORKBOOK.replace('</sheets>', '<sheet name="Notes" sheetId="2" r:id="rId2"/></sheets>')
    rels = WORKBOOK_RELS.replace("</Relationships>", (
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'worksheet" Target="worksheets/sheet2.xml"/></Relationships>'))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", ROOT_RELS)
        z.writestr("xl/workbook.xml", workbook)
        z.writestr("xl/_rels/workbook.xml.rels", rels)
        z.writestr("xl/worksheets/sheet1.xml", worksheet(survey_rows()))
        z.writestr("xl/worksheets/sheet2.xml", worksheet(FAR_CELL, dimension="A1:XFD1048576"))
    data = buf.getvalue()
    assert check_xlsx(data, "Sheet1").rows == 41
    assert check_xlsx(data, 0).sheet == "Sheet1"
    with pytest.raises(InputLimitError, match="sheet 'Notes' declares"):
        check_xlsx(data, "Notes")
    with pytest.raises(InputLimitError, match="sheet 'Notes' declares"):
        check_xlsx(data, 1)
    assert check_xlsx(data, "Missing").part == ""     # the reader names the sheets; nothing to check
    path = tmp_path / "two.xlsx"
    path.write_bytes(data)
    assert len(read_table(path, sheet="Sheet1").frame) == 40
    with pytest.raises(DataError, match=r"two\.xlsx: sheet 'Notes' declares"):
        read_table(path, sheet="Notes")


def _shape_both_ways(data: bytes) -> tuple:
    """(fast scan, expat scan) of the workbook's first sheet: rows, columns, cells, declared."""
    book = zipfile.ZipFile(io.BytesIO(data))
    info = book.getinfo("xl/worksheets/sheet1.xml")
    fast = limits.XlsxShape("Sheet1", info.filename)
    assert limits._scan_sheet_fast(book, info, fast, 10**12)
    slow = limits.XlsxShape("Sheet1", info.filename)
    limits._scan_sheet_expat(book, info, slow, 10**12)
    return ((fast.rows, fast.columns, fast.cells, fast.declared), (slow.rows, slow.columns, slow.cells, slow.declared))


def test_fast_and_expat_scans_agree(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for i in range(3000):
        sheet.append([f"R{i}", i, None, "x" if i % 7 else None] + [1] * (i % 30))
    sheet["AB5000"] = "far"
    path = tmp_path / "w.xlsx"
    book.save(path)
    fast, slow = _shape_both_ways(path.read_bytes())
    assert fast == slow and fast[:2] == (5000, 33)
    fast, slow = _shape_both_ways(xlsx(worksheet(survey_rows() + '<row r="60"><c r="ZZ60"><v>1</v></c></row>')))
    assert fast == slow == (60, 702, 247, "A1:F41")
    # Several 1 MB pieces, tags cut at every possible place, text that does not pack.
    import random
    import string

    rng = random.Random(12)
    rows = []
    for r in range(1, 4001):
        cells = "".join(inline(f"{limits.column_letters(c)}{r}", "".join(rng.choices(string.ascii_letters,
                                                                                      k=rng.randint(0, 60))))
                        for c in range(1, rng.randint(2, 40)))
        rows.append(f'<row r="{r}">{cells}</row>')
    data = xlsx(worksheet("".join(rows), dimension="A1:AM4000"))
    fast, slow = _shape_both_ways(data)
    assert fast == slow and fast[0] == 4000 and fast[1] >= 30


def test_row_number_that_is_not_a_number_is_one_line():
    with pytest.raises(InputLimitError, match=r"sheet 'Sheet1' has a row with the invalid number 'inf'"):
        check_xlsx(xlsx(worksheet('<row r="inf">' + inline("A1", "x") + "</row>", dimension=None)
                        .replace(' r="A1"', "")))


@pytest.mark.parametrize("variant", ["prefixed", "attribute-order", "utf-16", "no-references"])
def test_sheets_the_fast_scan_does_not_read_are_streamed(variant):
    """Layouts the byte patterns do not cover fall back to expat, so the far cell is still found."""
    if variant == "prefixed":
        sheet = (worksheet(survey_rows() + FAR_CELL, dimension=None).replace("<row", "<x:row").replace("</row", "</x:row")
                 .replace("<c ", "<x:c ").replace("</c>", "</x:c>").replace('xmlns="', 'xmlns:x="')
                 .replace("<worksheet", "<x:worksheet").replace("</worksheet", "</x:worksheet")
                 .replace("<sheetData", "<x:sheetData").replace("</sheetData", "</x:sheetData")
                 .replace("<is>", "<x:is>").replace("</is>", "</x:is>").replace("<t>", "<x:t>")
                 .replace("</t>", "</x:t>"))
    elif variant == "attribute-order":
        sheet = worksheet(survey_rows() + FAR_CELL, dimension=None).replace(
            '<c r="XFD1048576" t="inlineStr">', '<c t="inlineStr" r="XFD1048576">')
    elif variant == "utf-16":
        sheet = worksheet(survey_rows() + FAR_CELL, dimension=None).replace('encoding="UTF-8"', 'encoding="UTF-16"')
        sheet = sheet.encode("utf-16")
    else:
        sheet = worksheet(survey_rows() + '<row r="30000">' + "<c><v>1</v></c>" * 1000 + "</row>", dimension=None)
    with pytest.raises(InputLimitError, match=r"sheet 'Sheet1' has cells as far as (XFD1048576|[A-Z]+30000)"):
        check_xlsx(xlsx(sheet))


def test_check_xlsx_takes_a_path_bytes_or_a_file(tmp_path):
    data = xlsx(worksheet(survey_rows()))
    path = tmp_path / "w.xlsx"
    path.write_bytes(data)
    stream = io.BytesIO(data)
    assert check_xlsx(path).rows == check_xlsx(data).rows == check_xlsx(stream).rows == 41
    assert stream.tell() == 0    # left where a reader starts


def test_openpyxl_workbook_passes_and_limit_is_tunable(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for i in range(30):
        sheet.append([f"R{i}", "2026-01-05", "North", 9, 4, "fine"])
    path = tmp_path / "book.xlsx"
    book.save(path)
    shape = check_xlsx(path)
    assert (shape.rows, shape.columns, shape.cells) == (31, 6, 186)
    with pytest.raises(InputLimitError, match=r"sheet 'Sheet' declares the range A1:F31 \(31 rows × 6 columns = "
                                              r"186 cells\); at most 100 cells"):
        check_xlsx(path, max_cells=100)


# --------------------------------------------------------------------------- Parquet


def write_repeated_parquet(path: Path, rows: int) -> None:
    """``rows`` copies of one response: dictionary-encoded, a few hundred KB on disk."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    values = {"resp_id": "R1", "response_date": "2026-01-05", "region": "North", "q_nps": "9", "q_csat": "4",
              "comment": "fine"}
    index = pa.array(np.zeros(rows, dtype=np.int8))
    table = pa.table({h: pa.DictionaryArray.from_arrays(index, pa.array([v])) for h, v in values.items()})
    pq.write_table(table, path, use_dictionary=True, compression="zstd", row_group_size=5_000_000)


@pytest.fixture(scope="module")
def parquet_30m(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("pq") / "responses.parquet"
    write_repeated_parquet(path, 30_000_000)
    assert path.stat().st_size < 2_000_000
    return path


@pytest.mark.parametrize("command", COMMANDS)
def test_parquet_rows_are_checked_from_its_metadata(tmp_path, parquet_30m, command):
    project = survey_project(tmp_path / "p", "responses.parquet", parquet_30m.read_bytes())
    t = time.perf_counter()
    result, out = run_cli(command, project)
    assert time.perf_counter() - t < 10
    assert_refused(result, out, r"data/responses\.parquet: 30,000,000 records; at most 5,000,000 are read "
                                r"\(see docs/security\.md, Limits\)")


def test_parquet_under_the_limit_still_reads(tmp_path):
    path = tmp_path / "ok.parquet"
    write_repeated_parquet(path, 1000)
    table = read_table(path)
    assert len(table.frame) == 1000
    assert table.frame.iloc[999].tolist() == ["R1", "2026-01-05", "North", "9", "4", "fine"]


def test_parquet_memory_error_is_one_line(tmp_path, monkeypatch):
    import pyarrow
    import pyarrow.parquet as pq

    project = survey_project(tmp_path / "p", "responses.parquet", None)
    write_repeated_parquet(tmp_path / "p" / "data" / "responses.parquet", 100)

    def exhausted(*args, **kwargs):
        raise pyarrow.lib.ArrowMemoryError("malloc of size 68719476736 failed")

    monkeypatch.setattr(pq, "read_table", exhausted)
    result, out = run_cli("validate", project)
    assert_refused(result, out, r"data/responses\.parquet: not enough memory to read the file")


def test_parquet_repeated_long_string_is_not_expanded(tmp_path, monkeypatch):
    """One 40,000-character value repeated 20,000 times, dictionary-encoded on disk under a plain
    string type (as Spark writes it): read as a dictionary (one value, not 800 MB of copies)
    and refused by the cell-length rule."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = 20_000
    index = pa.array(np.zeros(rows, dtype=np.int32))
    table = pa.table({"resp_id": pa.array([f"R{i}" for i in range(rows)]),
                      "comment": pa.DictionaryArray.from_arrays(index, pa.array(["x" * 40_000]))})
    path = tmp_path / "wide.parquet"
    pq.write_table(table, path, use_dictionary=True, store_schema=False)
    assert path.stat().st_size < 1_000_000
    assert pq.read_schema(path).field("comment").type == pa.string()
    asked = {}
    real = pq.read_table

    def spy(*args, **kwargs):
        asked.update(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(pq, "read_table", spy)
    t = time.perf_counter()
    with pytest.raises(DataError, match=r"^wide\.parquet: row 1, column 'comment': the cell is 40,000 characters "
                                        r"long \(at most 32,767, Excel's own limit\)$"):
        read_table(path)
    assert time.perf_counter() - t < 5
    assert "comment" in asked["read_dictionary"]


def test_parquet_unpacked_size_is_checked_from_its_metadata(tmp_path, monkeypatch):
    """Distinct long values pack small but unpack to their full size: the row groups' unpacked
    byte count (from the footer) is held to MAX_PARQUET_UNPACKED (here lowered to 1 MB)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    values = [("z" * 20_000) + str(i) for i in range(200)]        # 4 MB unpacked
    path = tmp_path / "packed.parquet"
    pq.write_table(pa.table({"resp_id": [str(i) for i in range(200)], "comment": values}), path,
                   compression="zstd")
    assert path.stat().st_size < 200_000
    assert len(read_table(path).frame) == 200
    monkeypatch.setattr(limits, "MAX_PARQUET_UNPACKED", 1_000_000)
    with pytest.raises(DataError, match=r"^packed\.parquet: its data unpacks to 4\.0 MB; at most 1\.0 MB is read"):
        read_table(path)


def test_table_shape_limits():
    limits.check_table_shape(5_000_000, 20, "records")
    with pytest.raises(InputLimitError, match=r"^5,000,001 records; at most 5,000,000 are read"):
        limits.check_table_shape(5_000_001, 2, "records")
    with pytest.raises(InputLimitError, match=r"^20,000 columns; at most 16,384"):
        limits.check_table_shape(1, 20_000, "records")
    with pytest.raises(InputLimitError, match=r"^4,000,000 cases × 30 columns = 120,000,000 values; at most "
                                              r"100,000,000"):
        limits.check_table_shape(4_000_000, 30, "cases")


def test_spss_rows_are_checked_before_reading(tmp_path, monkeypatch):
    import pandas as pd
    import pyreadstat

    path = tmp_path / "s.sav"
    pyreadstat.write_sav(pd.DataFrame({"id": range(50), "q": [1.0] * 50}), str(path))
    assert len(read_table(path).frame) == 50
    monkeypatch.setattr(limits, "MAX_TABLE_ROWS", 40)
    with pytest.raises(DataError, match=r"^s\.sav: 50 cases; at most 40 are read"):
        read_table(path)


# --------------------------------------------------------------------------- long cells


def test_long_cell_check_is_linear(tmp_path):
    """200 legal comments of 30,000 characters: read in well under a second per megabyte (was 23 s)."""
    comment = ("word " * 6000)[:30_000]
    rows = "".join(f"R{i},2026-01-05,North,9,4,{comment}\n" for i in range(200))
    path = tmp_path / "long.csv"
    path.write_text(",".join(HEADER) + "\n" + rows, encoding="utf-8")
    t = time.perf_counter()
    table = read_table(path)
    assert time.perf_counter() - t < 3
    assert len(table.frame) == 200
    assert table.frame["comment"].str.len().max() == 30_000


@pytest.mark.parametrize("command", COMMANDS)
def test_long_comments_validate_score_and_build_in_time(tmp_path, command):
    comment = ("word " * 6000)[:30_000]
    rows = "".join(f"R{i},2026-01-{1 + i % 28:02d},North,{i % 11},4,{comment}\n" for i in range(200))
    project = survey_project(tmp_path / "p", "responses.csv", ",".join(HEADER) + "\n" + rows)
    (tmp_path / "p" / "out").mkdir()
    t = time.perf_counter()
    result, _ = run_cli(command, project)
    assert result.exit_code == 0, result.output
    assert time.perf_counter() - t < 10


def test_long_multiline_cell_is_refused(tmp_path):
    """A cell over the limit made of short lines (newlines inside quotes): the old line scan missed it."""
    cell = '"' + ("a short line\n" * 4000) + '"'
    text = ",".join(HEADER) + "\n" + "R1,2026-01-05,North,9,4,fine\n" * 5 + f"R9,2026-01-05,North,9,4,{cell}\n"
    path = tmp_path / "multi.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=r"multi\.csv: row 7, column 'comment': the cell is 52,000 characters long "
                                        r"\(at most 32,767\); is a closing quote missing\?"):
        read_table(path)


def test_long_cell_message_is_kept(tmp_path):
    text = ",".join(HEADER) + "\n" + "R1,2026-01-05,North,9,4,fine\n" * 3 + "R9,2026-01-05,North,9,4," + "x" * 40_000
    path = tmp_path / "one.csv"
    path.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        read_table(path)
    assert info.value.message == ("one.csv: row 5, column 'comment': the cell is 40,000 characters long "
                                  f"(at most {MAX_CELL_CHARS:,}); is a closing quote missing?")


def test_long_cell_in_a_worksheet_is_refused(tmp_path):
    rows = survey_rows().replace("<t>fine</t>", "<t>" + "y" * 40_000 + "</t>", 1)
    path = tmp_path / "long.xlsx"
    path.write_bytes(xlsx(worksheet(rows)))
    with pytest.raises(DataError, match=r"long\.xlsx: row 2, column 'comment': the cell is 40,000 characters long "
                                        r"\(at most 32,767, Excel's own limit\)$"):
        read_table(path)


# --------------------------------------------------------------------------- cut-off CSV rows

GOOD = ",".join(HEADER) + "\n" + "".join(f"R{i},2026-01-{1 + i % 28:02d},North,{i % 11},4,fine\n" for i in range(40))


@pytest.mark.parametrize("command", COMMANDS)
def test_csv_cut_off_mid_row_is_refused(tmp_path, command):
    project = survey_project(tmp_path / "p", "responses.csv", GOOD + "R99,2026-01-05,No")
    result, out = run_cli(command, project)
    assert_refused(result, out, r"data/responses\.csv: row 42 has 3 of the 6 fields and the file ends there, "
                                r"without a line end: the file looks cut off")


def test_csv_cut_off_inside_the_last_field_is_refused(tmp_path):
    """Cut after a separator: the row has 5 of 6 fields (the sixth would be blank)."""
    path = tmp_path / "cut.csv"
    path.write_text(GOOD + "R99,2026-01-05,North,9,", encoding="utf-8")
    with pytest.raises(DataError, match=r"cut\.csv: row 42 has 5 of the 6 fields"):
        read_table(path)


def test_csv_cut_off_in_a_file_with_header_row_and_crlf(tmp_path):
    path = tmp_path / "titled.csv"
    path.write_bytes(("Survey export\r\n" + GOOD.replace("\n", "\r\n") + "R99,2026").encode("utf-8"))
    with pytest.raises(DataError, match=r"titled\.csv: row 43 has 2 of the 6 fields"):
        read_table(path, header_row=2)


def test_short_rows_with_a_line_end_are_still_read_with_blanks(tmp_path):
    """Some writers leave out trailing empty fields (tests/test_loader.py): a short row that ends
    with a line end, the last one included, is read with blanks as before."""
    path = tmp_path / "short.csv"
    path.write_text(GOOD + "R99,2026-01-05,North\n", encoding="utf-8")
    table = read_table(path)
    assert table.frame.iloc[-1].tolist() == ["R99", "2026-01-05", "North", "", "", ""]
    path.write_text(GOOD + "R99,2026-01-05,North,9,4,fine", encoding="utf-8")   # complete, no line end
    assert read_table(path).frame.iloc[-1].tolist() == ["R99", "2026-01-05", "North", "9", "4", "fine"]
    path.write_text(GOOD + 'R99,2026-01-05,North,9,4,"two\nlines"', encoding="utf-8")
    assert read_table(path).frame.iloc[-1, 5] == "two\nlines"


# --------------------------------------------------------------------------- competitor figures

COMPETITORS = {"own_brand": "Test Co", "table": {"file": "data/competitor_table.csv"}}


def competitor_project(folder: Path, rows: str) -> Path:
    table = "brand,metric,value,n,sd\n" + rows
    return write_project(folder, files={"data/competitor_table.csv": table}, competitors=COMPETITORS)


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("value", ["inf", "-inf", "1e400", "nan", "Infinity"])
def test_competitor_table_non_finite_value_is_refused(tmp_path, command, value):
    project = competitor_project(tmp_path / "p", f"Test Co,nps,12,400,\nRival,nps,{value},400,\n")
    result, out = run_cli(command, project)
    assert_refused(result, out, rf"data/competitor_table\.csv row 3, column value: '{re.escape(value)}' is not a "
                                r"(finite )?number")


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("row, pattern", [
    ("Rival,nps,1e308,400,", r"row 3, column value: '1e308' is outside the nps scale \(-100 to 100\)"),
    ("Rival,csat_top2,-5,400,", r"row 3, column value: '-5' is outside the csat_top2 scale \(0 to 100\)"),
    ("Rival,csat_mean,1e300,400,1", r"row 3, column value: '1e300' is not a plausible mean"),
    ("Rival,csat_mean,4.1,400,1e300", r"row 3, column sd: '1e300' is not a plausible standard deviation"),
    ("Rival,nps,10,1e300,", r"row 3, column n: '1e300' is not a plausible base"),
])
def test_competitor_table_absurd_value_is_refused(tmp_path, command, row, pattern):
    own = "Test Co,csat_mean,4.2,400,1\n" if "csat_mean" in row else "Test Co,nps,12,400,\n"
    own = own if "csat_top2" not in row else "Test Co,csat_top2,80,400,\n"
    project = competitor_project(tmp_path / "p", own + row + "\n")
    result, out = run_cli(command, project)
    assert_refused(result, out, r"data/competitor_table\.csv " + pattern)


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("column, value", [("q_nps", "inf"), ("w", "1e400"), ("q_nps", "-Infinity"), ("w", "nan")])
def test_competitor_survey_non_finite_cell_is_refused(tmp_path, command, column, value):
    rows = "".join(f"r{i},{'Test Co' if i % 2 else 'Rival'},{i % 11},1\n" for i in range(40))
    bad = {"q_nps": f"rx,Test Co,{value},1\n", "w": f"rx,Test Co,9,{value}\n"}[column]
    project = write_project(
        tmp_path / "p", files={"data/comp.csv": "resp,brand,q_nps,w\n" + rows + bad},
        competitors={"own_brand": "Test Co", "survey": {"file": "data/comp.csv", "brand_column": "brand",
                                                         "nps": "q_nps", "weight": "w"}})
    result, out = run_cli(command, project)
    assert_refused(result, out, rf"data/comp\.csv row 42, column {column}: '{re.escape(value)}' is not a finite "
                                r"number")


def test_competitor_table_ordinary_values_still_score(tmp_path):
    project = competitor_project(tmp_path / "p", "Test Co,nps,12,400,\nRival,nps,-4.5,400,\n"
                                                 "Test Co,csat_mean,4.2,400,0.9\nRival,csat_mean,3.9,300,1.1\n")
    (tmp_path / "p" / "out").mkdir()
    result, out = run_cli("score", project)
    assert result.exit_code == 0, result.output
    scores = json.loads((out / "scores.json").read_text(encoding="utf-8"))
    assert "competitors" in json.dumps(scores)


# --------------------------------------------------------------------------- measured: memory and time

MEASURE = textwrap.dedent("""
    import resource, subprocess, sys, time
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "cxreport", "validate", sys.argv[1]], capture_output=True, text=True)
    elapsed = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    print(done.returncode, round(elapsed, 2), peak)
    sys.stderr.write(done.stderr)
""")


@pytest.mark.parametrize("kind", ["xlsx-bomb", "xlsx-laughs", "parquet-30m", "long-comments"])
def test_worst_cases_stay_under_1_gb_and_10_s(tmp_path, parquet_30m, kind):
    """``cxreport validate`` in its own process, its peak resident memory measured by the kernel."""
    if kind == "parquet-30m":
        project = survey_project(tmp_path / "p", "responses.parquet", parquet_30m.read_bytes())
    elif kind == "long-comments":
        comment = ("word " * 6000)[:30_000]
        rows = "".join(f"R{i},2026-01-05,North,9,4,{comment}\n" for i in range(800))   # 24 MB
        project = survey_project(tmp_path / "p", "responses.csv", ",".join(HEADER) + "\n" + rows)
    else:
        project = survey_project(tmp_path / "p", "responses.xlsx", XLSX_BOMB if kind == "xlsx-bomb" else XLSX_LAUGHS)
    done = subprocess.run([sys.executable, "-c", MEASURE, str(project)], capture_output=True, text=True,
                          timeout=120)
    code, elapsed, peak = done.stdout.split()
    assert "Traceback" not in done.stderr
    assert int(code) == (0 if kind == "long-comments" else 1), done.stderr
    assert float(elapsed) < 10, (elapsed, done.stderr)
    assert int(peak) < 1_000_000_000, (peak, done.stderr)
