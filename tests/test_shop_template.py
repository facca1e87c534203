"""Blank scoresheets (`cxreport shop template`, issue 14): one XLSX per wave and location
with a row per item, drop-down lists of the allowed answers (N/A only where allowed),
required cells marked and the visit fields filled in; `shop submit` takes the filled-in
workbook back, and refuses one whose layout or answers were changed, naming the cell."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import sqlite3
import zipfile
from pathlib import Path

import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from shop_helpers import copy_sample

from cxreport.cli import cli
from cxreport.shop import template as tpl
from cxreport.shop.loadprog import load_programme

BRANCH_ANSWERS = {"A1": "yes", "A5": "N/A", "A6": "no", "N1": "Partly", "N2": "a;b;c", "N3": "yes", "S1": "yes",
                  "S2": "yes", "S3": "no", "S4": "", "C1": "yes", "C2": "yes", "C3": "Quite likely", "C4": ""}


def shop(*args):
    return CliRunner().invoke(cli, ["shop", *[str(a) for a in args]])


@pytest.fixture
def sample(tmp_path) -> Path:
    return copy_sample(tmp_path)


def make(sample: Path, tmp_path: Path, location: str = "BR01", wave: str = "W1") -> Path:
    out = tmp_path / f"blank-{location}-{wave}.xlsx"
    result = shop("template", sample, "--wave", wave, "--location", location, "-o", out)
    assert result.exit_code == 0, result.output
    return out


def rows_of(book) -> dict[str, int]:
    return {str(k).split(":", 1)[1]: int(v) for k, v in book[tpl.MARKER_SHEET].iter_rows(values_only=True)
            if k and ":" in str(k)}


def fill(blank: Path, target: Path, answers: dict[str, object] | None = None, *, visit_id: str = "V-W1-T001",
         comments: dict[str, str] | None = None, evidence: dict[str, str] | None = None, edit=None) -> Path:
    """Fill in a blank scoresheet as a shopper would (openpyxl writes the cells)."""
    book = openpyxl.load_workbook(blank)
    ws = book[tpl.SHEET]
    rows = rows_of(book)
    ws.cell(rows["visit_id"], 3).value = visit_id
    ws.cell(rows["shopper_id"], 3).value = "SH-901"
    ws.cell(rows["visit_date"], 3).value = dt.datetime(2026, 3, 17)
    ws.cell(rows["start_time"], 3).value = dt.time(11, 5)
    ws.cell(rows["end_time"], 3).value = dt.time(11, 37)
    ws.cell(rows["comments"], 3).value = "Filled in from the blank scoresheet."
    for item, value in (BRANCH_ANSWERS if answers is None else answers).items():
        if item in rows:
            ws.cell(rows[item], 3).value = value if value != "" else None
    for item, text in ({"N1": "Did not ask about existing accounts"} if comments is None else comments).items():
        ws.cell(rows[item], 5).value = text
    for item, text in ({"S2": "leaflet KF-2026"} if evidence is None else evidence).items():
        ws.cell(rows[item], 6).value = text
    if edit is not None:
        edit(book, ws, rows)
    book.save(target)
    return target


def ledger(sample: Path) -> sqlite3.Connection:
    return sqlite3.connect(sample.parent / "ledger.sqlite")


# --------------------------------------------------------------------------- the workbook


def test_the_blank_scoresheet_layout(sample, tmp_path):
    prog = load_programme(sample)
    book = openpyxl.load_workbook(make(sample, tmp_path))
    assert book.sheetnames[0] == tpl.SHEET
    assert book[tpl.MARKER_SHEET].sheet_state == "veryHidden" and book[tpl.LISTS_SHEET].sheet_state == "hidden"
    assert tpl.MARKER_NAME in book.defined_names
    marks = {k: v for k, v in book[tpl.MARKER_SHEET].iter_rows(values_only=True)}
    assert marks["version"] == prog.questionnaire.version == "2026.1"
    assert (marks["wave"], marks["location"], marks["channel"]) == ("W1", "BR01", "branch")
    ws = book[tpl.SHEET]
    rows = rows_of(book)
    # The visit fields: wave, location and channel filled in and locked; the rest to fill in.
    assert ws.cell(rows["location_id"], 3).value == "BR01" and ws.cell(rows["location_id"], 4).value == "Anchor Square"
    assert ws.cell(rows["wave"], 3).value == "W1" and ws.cell(rows["channel"], 3).value == "branch"
    assert ws.cell(rows["location_id"], 3).protection.locked
    for field in ("visit_id", "shopper_id", "visit_date", "start_time", "end_time", "comments"):
        assert ws.cell(rows[field], 3).value is None and not ws.cell(rows[field], 3).protection.locked
    assert ws.protection.sheet
    # One row per item that applies to a branch (A2–A4 are phone, e-mail and chat only).
    items = [i.id for _s, i in prog.questionnaire.items()]
    assert [i for i in items if i in rows] == [i for i in items if i not in ("A2", "A3", "A4")]
    for item_id in ("A1", "N1", "C4"):
        item = prog.questionnaire.item(item_id)
        assert ws.cell(rows[item_id], 1).value == item_id and ws.cell(rows[item_id], 2).value.startswith(item.text)
    # Required cells marked: amber fill (and the legend says so); optional ones pale.
    assert ws.cell(rows["A1"], 3).fill.fgColor.rgb.endswith(tpl.REQUIRED_FILL)
    assert ws.cell(rows["S4"], 3).fill.fgColor.rgb.endswith(tpl.OPTIONAL_FILL)        # S4 is optional
    assert ws.cell(rows["visit_id"], 3).fill.fgColor.rgb.endswith(tpl.REQUIRED_FILL)
    assert ws["C3"].value == "required" and ws["C3"].fill.fgColor.rgb.endswith(tpl.REQUIRED_FILL)
    assert ws.cell(rows["S2"], 6).fill.fgColor.rgb.endswith(tpl.REQUIRED_FILL)      # S2 needs evidence
    # Drop-down lists: the allowed answers of each item, N/A only where the item allows it.
    lists = book[tpl.LISTS_SHEET]
    dropdowns = {}
    for dv in ws.data_validations.dataValidation:
        if dv.type != "list":
            continue
        m = re.fullmatch(r"'Lists'!\$([A-Z]+)\$1:\$\1\$(\d+)", dv.formula1)
        assert m, dv.formula1
        values = [lists[f"{m[1]}{r}"].value for r in range(1, int(m[2]) + 1)]
        for ref in str(dv.sqref).split():
            dropdowns[ref] = values
    for item_id in rows:
        if item_id not in items:
            continue
        item = prog.questionnaire.item(item_id)
        ref = f"C{rows[item_id]}"
        if item.type == "yes_no":
            assert dropdowns[ref] == ["yes", "no"] + (["N/A"] if item.na_allowed else []), item_id
        elif item.type == "scale":
            assert dropdowns[ref] == [o.label for o in item.options] + (["N/A"] if item.na_allowed else [])
        else:
            assert ref not in dropdowns
        assert all(dv.showErrorMessage for dv in ws.data_validations.dataValidation)
    assert "N/A" in dropdowns[f"C{rows['A5']}"] and "N/A" not in dropdowns[f"C{rows['A1']}"]


def test_one_workbook_per_wave_and_location_and_clear_errors(sample, tmp_path):
    out = tmp_path / "blanks"
    result = shop("template", sample, "--wave", "W2", "-o", out)
    assert result.exit_code == 0, result.output
    prog = load_programme(sample)
    assert sorted(p.name for p in out.iterdir()) == sorted(f"scoresheet-W2-{loc.id}.xlsx" for loc in prog.location_list)
    phone = openpyxl.load_workbook(out / "scoresheet-W2-PH01.xlsx")
    assert "A2" in rows_of(phone) and "A5" not in rows_of(phone)
    every = shop("template", sample, "--location", "EM01", "-o", tmp_path / "em")
    assert sorted(p.name for p in (tmp_path / "em").iterdir()) == [f"scoresheet-{w}-EM01.xlsx" for w in ("W1", "W2", "W3")]
    for args, words in ((("--wave", "W9"), "unknown wave 'W9'"), (("--location", "BR99"), "unknown location 'BR99'"),
                        (("--wave", "W1", "-o", tmp_path / "one.xlsx"), "names one file, but 48 workbooks")):
        bad = shop("template", sample, *args)
        assert bad.exit_code == 1 and "Traceback" not in bad.output
        assert words in bad.stderr and bad.stderr.count("Error:") == 1, bad.stderr


# --------------------------------------------------------------------------- round trip


def test_a_filled_in_template_round_trips_through_submit(sample, tmp_path):
    filled = fill(make(sample, tmp_path), tmp_path / "V-W1-T001.xlsx", comments={"N1": "No question about savings"},
                  evidence={"S2": "key facts leaflet ref KF-2026"})
    result = shop("submit", sample, filled)
    assert result.exit_code == 0, result.output
    assert "V-W1-T001.xlsx: accepted (1 of 1 visits accepted)" in result.stdout
    with ledger(sample) as conn:
        (data,) = conn.execute("SELECT data FROM visits WHERE visit_id = 'V-W1-T001'").fetchone()
    stored = json.loads(data)
    assert (stored["location_id"], stored["wave"], stored["channel"], stored["shopper_id"]) == ("BR01", "W1", "branch",
                                                                                                 "SH-901")
    assert (stored["visit_date"], stored["start_time"], stored["end_time"]) == ("2026-03-17", "11:05", "11:37")
    assert {k: v["value"] for k, v in stored["answers"].items()} == {k: v for k, v in BRANCH_ANSWERS.items()}
    assert stored["answers"]["N1"]["comment"] == "No question about savings"
    assert stored["answers"]["S2"]["evidence"] == "key facts leaflet ref KF-2026"

    # The same visit sent as JSON scores the same (an independent way in).
    twin = copy_sample(tmp_path / "twin")
    doc = {"visit_id": "V-W1-T001", "location_id": "BR01", "shopper_id": "SH-901", "wave": "W1", "channel": "branch",
           "visit_date": "2026-03-17", "start_time": "11:05", "end_time": "11:37",
           "answers": {**{k: v for k, v in BRANCH_ANSWERS.items() if v},
                       "N1": {"answer": "Partly", "comment": "No question about savings"},
                       "S2": {"answer": "yes", "evidence": "key facts leaflet ref KF-2026"}}}
    (tmp_path / "twin.json").write_text(json.dumps(doc), encoding="utf-8")
    assert shop("submit", twin, tmp_path / "twin.json").exit_code == 0
    scores = []
    for prog in (sample, twin):
        with ledger(prog) as conn:
            scores.append(conn.execute("SELECT s.score, s.status FROM scores s JOIN visits v ON v.id = s.visit_row "
                                       "WHERE v.visit_id = 'V-W1-T001'").fetchone())
    # A1 1/1, A5 N/A 0/0, A6 0/1, N1 Partly 1/3, N2 3/4, N3 1/1, S1 2/2, S2 1/1, S3 0/2, S4 (bonus,
    # blank) 0, C1 1/1, C2 1/1, C3 1/2, C4 text: 12 of 19 points.
    assert scores[0] == scores[1] and scores[0][0] == pytest.approx(100 * 12 / 19)


def test_free_text_over_a_drop_down_is_rejected_naming_the_cell(sample, tmp_path):
    blank = make(sample, tmp_path)
    rows = rows_of(openpyxl.load_workbook(blank))
    filled = fill(blank, tmp_path / "V-1.xlsx", {**BRANCH_ANSWERS, "A1": "yess", "N1": "Sort of", "A6": "N/A"})
    result = shop("submit", sample, filled)
    assert result.exit_code == 1 and "Traceback" not in result.output
    line = next(ln for ln in result.stderr.splitlines() if "V-1.xlsx:" in ln)
    assert line.strip() == (f"V-1.xlsx: Scoresheet!C{rows['A1']}: 'yess' is not an answer to item A1 (yes, no); "
                            f"Scoresheet!C{rows['A6']}: 'N/A' is not an answer to item A6 (yes, no); "
                            f"Scoresheet!C{rows['N1']}: 'Sort of' is not an answer to item N1 "
                            "(Thoroughly, Partly, Not at all)")
    with ledger(sample) as conn:
        assert conn.execute("SELECT status FROM files WHERE name = 'V-1.xlsx'").fetchone()[0] == "rejected"


def test_intake_checks_still_apply(sample, tmp_path):
    filled = fill(make(sample, tmp_path), tmp_path / "V-2.xlsx", {**BRANCH_ANSWERS, "S1": "", "N3": "no"},
                  visit_id="V-W1-T002")
    result = shop("submit", sample, filled)
    assert result.exit_code == 1
    assert "visit V-W1-T002: item S1: required but not answered" in result.stderr
    assert "visit V-W1-T002: item N3: the answer 'no' fails, and a comment is required" in result.stderr


def _delete_row(item):
    def edit(book, ws, rows):
        ws.protection.sheet = False
        ws.delete_rows(rows[item])
    return edit


def _move(book, ws, rows):
    a, b = rows["S1"], rows["S3"]
    for column in range(1, 7):
        first, second = ws.cell(a, column), ws.cell(b, column)
        first.value, second.value = second.value, first.value


def _below(book, ws, rows):
    ws.cell(max(rows.values()) + 2, 1).value = "X9"


def _relocate(book, ws, rows):
    ws.cell(rows["location_id"], 3).value = "BR02"


def _sheets(book, ws, rows):
    ws.title = "My visit"


@pytest.mark.parametrize("edit, words", [
    (_delete_row("N2"), "expected item N2 here, found 'N3': rows were moved, inserted or deleted"),
    (_move, "expected item S1 here, found 'S3'"),
    (_below, "'X9' below the last item"),
    (_relocate, "location_id 'BR02' differs from 'BR01'"),
    (_sheets, "its sheets were changed"),
], ids=["deleted-row", "moved-row", "added-below", "other-location", "renamed-sheet"])
def test_a_changed_layout_is_rejected_with_one_line(sample, tmp_path, edit, words):
    filled = fill(make(sample, tmp_path), tmp_path / "V-3.xlsx", edit=edit)
    result = shop("submit", sample, filled)
    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = [ln for ln in result.stderr.splitlines() if "V-3.xlsx:" in ln]
    assert len(lines) == 1 and words in lines[0], result.stderr


def test_a_template_of_an_older_questionnaire_is_refused(sample, tmp_path):
    filled = fill(make(sample, tmp_path), tmp_path / "V-4.xlsx")
    text = sample.read_text(encoding="utf-8").replace('version: "2026.1"', 'version: "2026.2"')
    assert "2026.2" in text
    sample.write_text(text, encoding="utf-8")
    result = shop("submit", sample, filled)
    assert result.exit_code == 1
    assert "V-4.xlsx: made for questionnaire version 2026.1, but the programme now uses 2026.2" in result.stderr


def test_a_template_in_a_zip_with_its_photo(sample, tmp_path):
    from PIL import Image

    filled = fill(make(sample, tmp_path), tmp_path / "V-W1-T005.xlsx", visit_id="V-W1-T005",
                  evidence={"S2": "kfd.jpg"})
    photo = io.BytesIO()
    Image.new("RGB", (64, 48), "white").save(photo, "JPEG")
    path = tmp_path / "V-W1-T005.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.write(filled, "V-W1-T005.xlsx")
        z.writestr("kfd.jpg", photo.getvalue())
    result = shop("submit", sample, path)
    assert result.exit_code == 0, result.output
    assert "evidence of V-W1-T005 S2" in shop("files", sample).stdout


def test_a_channel_less_location_gets_a_channel_drop_down(sample, tmp_path):
    data = yaml.safe_load(sample.read_text(encoding="utf-8"))
    data["locations"]["items"] = [{"id": "X1", "name": "Pop-up"}]
    sample.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    book = openpyxl.load_workbook(make(sample, tmp_path, "X1"))
    rows = rows_of(book)
    ws = book[tpl.SHEET]
    assert ws.cell(rows["channel"], 3).value is None and not ws.cell(rows["channel"], 3).protection.locked
    assert {"A2", "A3", "A4", "A5"} <= set(rows)          # every item: the channel is not known yet


# --------------------------------------------------------------------------- hostile workbooks


def _rezip(path: Path, change) -> Path:
    parts = {}
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            parts[info.filename] = z.read(info)
    change(parts)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


def _huge_dimension(parts):
    sheet = parts["xl/worksheets/sheet1.xml"]
    parts["xl/worksheets/sheet1.xml"] = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', sheet)


def _doctype(parts):
    sheet = parts["xl/worksheets/sheet1.xml"]
    head = b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    parts["xl/worksheets/sheet1.xml"] = (sheet.replace(b"?>", b"?>" + head, 1) if sheet.startswith(b"<?xml")
                                         else head + sheet)


def _marker_bomb(parts):
    name = next(n for n, d in parts.items() if n.startswith("xl/worksheets/") and b"cxreport-shop-template" in d)
    parts[name] = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', parts[name])


def _styles_bomb(parts):
    parts["xl/styles.xml"] = parts["xl/styles.xml"].replace(
        b"</styleSheet>", b"<extLst>" + b"<ext/>" * 210_000 + b"</extLst></styleSheet>")


@pytest.mark.parametrize("change, words", [
    (_huge_dimension, "cells"), (_doctype, "DOCTYPE"), (_marker_bomb, "cells"), (_styles_bomb, "styles"),
], ids=["sheet-range", "entity-expansion", "marker-sheet-range", "styles"])
def test_hostile_templates_are_refused_before_they_are_read(sample, tmp_path, change, words):
    path = _rezip(fill(make(sample, tmp_path), tmp_path / "evil.xlsx"), change)
    result = shop("submit", sample, path)
    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = [ln for ln in result.stderr.splitlines() if "evil.xlsx:" in ln]
    assert len(lines) == 1 and words in lines[0], result.stderr
    with ledger(sample) as conn:
        assert conn.execute("SELECT status FROM files WHERE name = 'evil.xlsx'").fetchone()[0] == "rejected"


def test_programme_text_that_looks_like_a_formula_is_written_as_text(sample, tmp_path):
    data = yaml.safe_load(sample.read_text(encoding="utf-8"))
    data["locations"]["items"] = [{"id": "X2", "name": '=HYPERLINK("http://example.com","x")', "channel": "branch"}]
    data["questionnaire"]["sections"][0]["items"][0]["text"] = "=1+1 greeted?"
    sample.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    blank = make(sample, tmp_path, "X2")
    with zipfile.ZipFile(blank) as z:
        sheets = [z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
    assert sheets and not any(b"<f>" in x or b"<f " in x for x in sheets)        # no formula anywhere
    book = openpyxl.load_workbook(blank)
    rows = rows_of(book)
    assert book[tpl.SHEET].cell(rows["location_id"], 4).value == '=HYPERLINK("http://example.com","x")'
    assert book[tpl.SHEET].cell(rows["A1"], 2).value.startswith("=1+1 greeted?")


def test_a_zip_of_many_parts_is_refused_by_the_scoresheet_limits_not_opened_as_a_template(sample, tmp_path):
    path = tmp_path / "many.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("xl/workbook.xml", b'<workbook><definedNames><definedName name="cxreport_template">x'
                                      b"</definedName></definedNames></workbook>")
        for k in range(1_100):
            z.writestr(f"xl/media/{k}.bin", b"")
    assert not tpl.is_template(path.read_bytes())
    result = shop("submit", sample, path)
    assert result.exit_code == 1
    assert "many.xlsx: the workbook's zip holds 1,101 files; at most 1,000 are accepted" in result.stderr
