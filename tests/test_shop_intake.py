"""Scoresheet intake: every validation rule (a problem naming the file, the visit and the
item), the five formats of one visit parsing to the same answers, and broken files
raising FileError with a clear message."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import json

import openpyxl
import pytest
from click.testing import CliRunner

from shop_helpers import multi, numeric, scale, section, write_programme, yes_no

from cxreport.cli import cli
from cxreport.shop.intake import FileError, check_visit, read_scoresheet
from cxreport.shop.loadprog import load_programme

LOCS = [
    {"id": "BR01", "name": "Anchor Square", "region": "East", "channel": "branch", "manager": "Ann"},
    {"id": "BR02", "name": "Bayside", "region": "West", "channel": "branch", "manager": "Ben"},
    {"id": "PH01", "name": "Phone line", "region": "East", "channel": "phone", "manager": "Pat"},
]

SECTIONS = [
    section("access", [
        yes_no("A1", comment_required_on_fail=True),
        numeric("A2", standard="phone_answer", points=2, unit="seconds", channels=["phone"],
                comment_required_on_fail=True),
        yes_no("A5", channels=["branch"], na_allowed=True),
    ]),
    section("needs", [
        scale("N1", [("Thoroughly", 3), ("Partly", 1), ("Not at all", 0)]),
        multi("N2", [("a", "Existing accounts", 1), ("b", "Income", 1), ("c", "Contact method", 1)]),
    ]),
    section("solution", [
        yes_no("S2", na_allowed=True, evidence_required=True),
        yes_no("S4", bonus=True, required=False),
        {"id": "C4", "text": "Saturday hours?", "type": "text", "required": False},
    ]),
]
STANDARDS = {"response_times": {"phone_answer": {"channel": "phone", "max": 20, "unit": "seconds"}}}
INTEGRITY = [{"item": "C4", "answers": {"BR01": "9:00-12:00", "BR02": "closed"}}]

#: A valid branch visit (JSON form).
BRANCH = {
    "visit_id": "V-100", "location_id": "BR01", "shopper_id": "SH-104", "wave": "W1", "channel": "branch",
    "visit_date": "2026-01-12", "start_time": "10:02", "end_time": "10:31",
    "answers": {"A1": "yes", "A5": "yes", "N1": "Partly", "N2": "a;c",
                "S2": {"answer": "yes", "evidence": "kfd.pdf"}, "S4": "no", "C4": "9:00-12:00"},
    "comments": "Friendly visit",
}
#: A valid phone visit.
PHONE = {
    "visit_id": "V-200", "location_id": "PH01", "shopper_id": "SH-110", "wave": "W1", "channel": "phone",
    "visit_date": "2026-01-13", "start_time": "14:00", "end_time": "14:12",
    "answers": {"A1": "yes", "A2": {"answer": 35, "comment": "Rang for 35 seconds"}, "N1": "Thoroughly",
                "N2": "none", "S2": "N/A"},
}


@pytest.fixture(scope="module")
def programme(tmp_path_factory):
    folder = tmp_path_factory.mktemp("intake-prog")
    return write_programme(folder, SECTIONS, standards=STANDARDS, integrity=INTEGRITY, locations=LOCS)


@pytest.fixture(scope="module")
def prog(programme):
    return load_programme(programme)


def visit_with(base: dict, **changes) -> dict:
    """A copy of a visit; ``answers`` in ``changes`` are merged (None removes an answer)."""
    out = copy.deepcopy(base)
    answers = changes.pop("answers", {})
    out.update(changes)
    for key, value in answers.items():
        if value is None:
            out["answers"].pop(key, None)
        else:
            out["answers"][key] = value
    return out


def submit(programme, tmp_path, name: str, content: bytes | str):
    """Submit one file with the CLI; a fresh ledger each time. Returns the click Result."""
    folder = tmp_path / "ledger-run"
    folder.mkdir(exist_ok=True)
    # A private copy of the programme, so every submit starts from an empty ledger.
    for f in folder.glob("ledger.sqlite*"):
        f.unlink()
    for f in programme.parent.iterdir():
        if f.is_file() and not f.name.startswith("ledger"):
            (folder / f.name).write_bytes(f.read_bytes())
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return CliRunner().invoke(cli, ["shop", "submit", str(folder / "programme.yaml"), str(path)])


def submit_json(programme, tmp_path, visit: dict, name: str = "visit.json"):
    return submit(programme, tmp_path, name, json.dumps(visit))


def test_valid_visits_are_accepted(programme, tmp_path):
    for visit in (BRANCH, PHONE):
        result = submit_json(programme, tmp_path, visit, name=f"{visit['visit_id']}.json")
        assert result.exit_code == 0, result.output
        assert "accepted (1 of 1 visits accepted)" in result.output


def rejected_line(result, visit_id: str, fragment: str, name: str = "visit.json") -> str:
    """The one output line naming the file and the visit that contains ``fragment``."""
    assert result.exit_code == 1, result.output
    lines = [ln.strip() for ln in result.output.splitlines() if f"visit {visit_id}:" in ln and fragment in ln]
    assert lines, result.output
    assert lines[0].startswith(f"{name}: visit {visit_id}: "), lines[0]
    return lines[0]


# --------------------------------------------------------------------------- rules


def test_required_item_unanswered(programme, tmp_path):
    result = submit_json(programme, tmp_path, visit_with(BRANCH, answers={"N1": None}))
    rejected_line(result, "V-100", "item N1: required but not answered")
    result = submit_json(programme, tmp_path, visit_with(BRANCH, answers={"N1": ""}))
    rejected_line(result, "V-100", "item N1: required but not answered")


def test_optional_item_unanswered_is_fine(prog):
    visit = read_scoresheet("v.json", json.dumps(visit_with(BRANCH, answers={"S4": None, "C4": None})).encode())[0]
    assert check_visit(prog, visit) == []


@pytest.mark.parametrize("item, answer, fragment", [
    ("A1", "maybe", "item A1: 'maybe' is not yes or no"),
    ("N1", "Sometimes", "item N1: 'Sometimes' is not one of the options"),
    ("N2", "a;z", "item N2: 'z' is not one of the options"),
    ("N2", "a;a", "item N2: option 'a' is ticked twice"),
])
def test_invalid_answer_for_item_type(programme, tmp_path, item, answer, fragment):
    result = submit_json(programme, tmp_path, visit_with(BRANCH, answers={item: answer}))
    rejected_line(result, "V-100", fragment)


@pytest.mark.parametrize("answer, fragment", [
    ("fast", "item A2: 'fast' is not a number"),
    ("-4", "item A2: '-4' is not a plausible seconds"),
])
def test_invalid_numeric_answer(programme, tmp_path, answer, fragment):
    result = submit_json(programme, tmp_path, visit_with(PHONE, answers={"A2": answer}))
    rejected_line(result, "V-200", fragment)


def test_na_where_not_allowed(programme, tmp_path):
    result = submit_json(programme, tmp_path, visit_with(BRANCH, answers={"A1": "N/A"}))
    rejected_line(result, "V-100", "item A1: N/A is not allowed")


def test_na_where_allowed_needs_no_evidence(prog):
    visit = read_scoresheet("v.json", json.dumps(visit_with(BRANCH, answers={"S2": "n/a", "A5": "NA"})).encode())[0]
    assert check_visit(prog, visit) == []


def test_missing_comment_on_failing_answer(programme, tmp_path):
    result = submit_json(programme, tmp_path, visit_with(BRANCH, answers={"A1": "no"}))
    rejected_line(result, "V-100", "item A1: the answer 'no' fails, and a comment is required")
    # A failing response time needs one too.
    result = submit_json(programme, tmp_path, visit_with(PHONE, answers={"A2": 35}))
    rejected_line(result, "V-200", "item A2: the answer '35' fails, and a comment is required")


def test_failing_answer_with_comment_is_accepted(prog):
    raw = json.dumps(visit_with(BRANCH, answers={"A1": {"answer": "no", "comment": "Nobody looked up."}})).encode()
    assert check_visit(prog, read_scoresheet("v.json", raw)[0]) == []
    # A passing answer needs no comment.
    raw = json.dumps(visit_with(PHONE, answers={"A2": 12})).encode()
    assert check_visit(prog, read_scoresheet("v.json", raw)[0]) == []


def test_evidence_required(programme, tmp_path):
    result = submit_json(programme, tmp_path, visit_with(BRANCH, answers={"S2": "yes"}))
    rejected_line(result, "V-100", "item S2: evidence is required")


def test_visit_date_outside_wave(programme, tmp_path):
    result = submit_json(programme, tmp_path, visit_with(BRANCH, visit_date="2026-02-14"))
    line = rejected_line(result, "V-100", "visit_date 2026-02-14 is outside wave W1")
    assert "2026-01-01 to 2026-01-31" in line


def test_visit_date_not_a_date(programme, tmp_path):
    result = submit_json(programme, tmp_path, visit_with(BRANCH, visit_date="12/01/2026"))
    rejected_line(result, "V-100", "visit_date '12/01/2026' is not a date")


def test_unknown_wave(programme, tmp_path):
    result = submit_json(programme, tmp_path, visit_with(BRANCH, wave="W9"))
    line = rejected_line(result, "V-100", "unknown wave 'W9'")
    assert "W1, W2, W3" in line


def test_unknown_location_with_did_you_mean(programme, tmp_path):
    result = submit_json(programme, tmp_path, visit_with(BRANCH, location_id="BR011"))
    rejected_line(result, "V-100", "unknown location 'BR011' (did you mean 'BR01'?)")


@pytest.mark.parametrize("start, end", [("10:30", "10:00"), ("10:30", "10:30")])
def test_end_time_not_after_start(programme, tmp_path, start, end):
    result = submit_json(programme, tmp_path, visit_with(BRANCH, start_time=start, end_time=end))
    rejected_line(result, "V-100", f"end_time {end} is not after start_time {start}")


def test_integrity_item_mismatch(programme, tmp_path):
    result = submit_json(programme, tmp_path, visit_with(BRANCH, answers={"C4": "9:00-13:00"}))
    line = rejected_line(result, "V-100", "item C4: integrity check failed")
    assert "'9:00-13:00'" in line and "BR01" in line


@pytest.mark.parametrize("location, answer", [
    ("BR01", "9:00 - 12:00"), ("BR01", " 9:00  -  12:00 "), ("BR01", "9:00 – 12:00"), ("BR01", "9:00-12:00"),
    ("BR02", "Closed"), ("BR02", "CLOSED "),
])
def test_integrity_item_match_with_different_spacing_is_accepted(prog, location, answer):
    raw = json.dumps(visit_with(BRANCH, location_id=location, answers={"C4": answer})).encode()
    assert check_visit(prog, read_scoresheet("v.json", raw)[0]) == []


def test_integrity_answers_from_file(tmp_path):
    prog = load_programme(write_programme(
        tmp_path, SECTIONS, standards=STANDARDS, locations=LOCS,
        integrity=[{"item": "C4", "file": "integrity.csv"}],
        extra_files={"integrity.csv": "location_id,answer\nBR01,9:30-12:30\n"}))
    ok = read_scoresheet("v.json", json.dumps(visit_with(BRANCH, answers={"C4": "9:30 - 12:30"})).encode())[0]
    bad = read_scoresheet("v.json", json.dumps(visit_with(BRANCH, answers={"C4": "9:00-12:00"})).encode())[0]
    assert check_visit(prog, ok) == []
    assert any("integrity check failed" in p for p in check_visit(prog, bad))


def test_answered_item_not_applying_to_channel(programme, tmp_path):
    result = submit_json(programme, tmp_path, visit_with(BRANCH, answers={"A2": 15}))
    rejected_line(result, "V-100", "item A2: answered, but the item does not apply to the branch channel")
    result = submit_json(programme, tmp_path, visit_with(PHONE, answers={"A5": "yes"}))
    rejected_line(result, "V-200", "item A5: answered, but the item does not apply to the phone channel")


def test_unknown_item(programme, tmp_path):
    result = submit_json(programme, tmp_path, visit_with(BRANCH, answers={"N9": "yes"}))
    rejected_line(result, "V-100", "item N9: not in questionnaire t1")


def test_missing_visit_fields(prog):
    raw = json.dumps({k: v for k, v in BRANCH.items() if k not in ("shopper_id", "channel")}).encode()
    problems = check_visit(prog, read_scoresheet("v.json", raw)[0])
    assert "shopper_id is missing" in problems and "channel is missing" in problems


def test_every_problem_of_a_visit_is_reported(prog):
    raw = json.dumps(visit_with(BRANCH, wave="W2", answers={"A1": "N/A", "N1": None, "S2": "yes"})).encode()
    problems = check_visit(prog, read_scoresheet("v.json", raw)[0])
    assert len(problems) == 4, problems   # date outside W2, A1 N/A, N1 unanswered, S2 evidence


def test_problems_in_long_csv_name_visit_and_item(programme, tmp_path):
    text = long_csv([visit_with(PHONE, answers={"N1": ""})])
    result = submit(programme, tmp_path, "phone_long.csv", text)
    rejected_line(result, "V-200", "item N1: required but not answered", name="phone_long.csv")


# --------------------------------------------------------------------------- formats

FIELDS = ["visit_id", "location_id", "shopper_id", "wave", "channel", "visit_date", "start_time", "end_time"]
ITEMS = ["A1", "A2", "A5", "N1", "N2", "S2", "S4", "C4"]

#: One visit with a comment, an evidence reference, a number, a multi-check and general comments.
ONE = visit_with(BRANCH, answers={"A1": {"answer": "no", "comment": "Nobody greeted me, I waited"},
                                  "N2": "a;b;c"})
ONE_PHONE = visit_with(PHONE, answers={"A2": {"answer": 12.5, "comment": ""}})


def split(answer) -> tuple[str, str, str]:
    if isinstance(answer, dict):
        return str(answer.get("answer", "")), answer.get("comment", ""), answer.get("evidence", "")
    return str(answer), "", ""


def wide_rows(visits: list[dict]) -> list[list]:
    header = FIELDS + [c for i in ITEMS for c in (i, f"{i}_comment", f"{i}_evidence")] + ["comments"]
    rows = [header]
    for v in visits:
        row = [v[f] for f in FIELDS]
        for i in ITEMS:
            row += list(split(v["answers"].get(i, "")))
        rows.append(row + [v.get("comments", "")])
    return rows


def long_rows(visits: list[dict]) -> list[list]:
    rows = [FIELDS + ["item_id", "answer", "comment", "evidence", "comments"]]
    for v in visits:
        for i, answer in v["answers"].items():
            rows.append([v[f] for f in FIELDS] + [i, *split(answer), v.get("comments", "")])
    return rows


def to_csv(rows: list[list]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue()


def wide_csv(visits):
    return to_csv(wide_rows(visits))


def long_csv(visits):
    return to_csv(long_rows(visits))


def typed(header: str, value):
    """Cells as a spreadsheet holds them: real dates, times, numbers and booleans."""
    if value == "":
        return None
    if header == "visit_date":
        return dt.date.fromisoformat(value)
    if header in ("start_time", "end_time"):
        return dt.time.fromisoformat(value)
    if value in ("yes", "no") and header in ("A1", "S2", "S4", "answer"):
        return value == "yes"
    try:
        return int(value)
    except ValueError:
        try:
            return float(value)
        except ValueError:
            return value


def to_xlsx(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    header = rows[0]
    sheet.append(header)
    for row in rows[1:]:
        sheet.append([typed(h, str(c)) for h, c in zip(header, row)])
    # A second sheet that must be ignored.
    book.create_sheet("notes").append(["not a scoresheet"])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def canonical(visit) -> dict:
    return {
        "fields": {f: getattr(visit, f) for f in FIELDS},
        "answers": {k: (a.value, a.comment, a.evidence) for k, a in visit.answers.items()
                    if a.value or a.comment or a.evidence},
        "comments": visit.comments,
    }


@pytest.mark.parametrize("visit", [ONE, ONE_PHONE], ids=["branch", "phone"])
def test_same_visit_in_every_format_parses_the_same(prog, visit):
    parsed = {
        "json": read_scoresheet("v.json", json.dumps(visit).encode()),
        "wide csv": read_scoresheet("v.csv", wide_csv([visit]).encode()),
        "long csv": read_scoresheet("v.csv", long_csv([visit]).encode()),
        "wide xlsx": read_scoresheet("v.xlsx", to_xlsx(wide_rows([visit]))),
        "long xlsx": read_scoresheet("v.xlsx", to_xlsx(long_rows([visit]))),
    }
    for name, visits in parsed.items():
        assert len(visits) == 1, name
    reference = canonical(parsed["json"][0])
    for name, visits in parsed.items():
        assert canonical(visits[0]) == reference, name
    # and they pass the checks alike
    assert all(check_visit(prog, vs[0]) == [] for vs in parsed.values())
    assert reference["answers"]["N2" if visit is ONE else "A2"][0] in ("a;b;c", "12.5")


def test_json_list_answer_for_multi_check(prog):
    raw = json.dumps(visit_with(BRANCH, answers={"N2": ["a", "c"]})).encode()
    visit = read_scoresheet("v.json", raw)[0]
    assert visit.answers["N2"].value == "a;c"
    assert check_visit(prog, visit) == []


def test_wide_file_with_several_visits_and_bom(prog):
    second = visit_with(BRANCH, visit_id="V-101", location_id="BR02", answers={"C4": "closed"})
    text = "\ufeff" + wide_csv([BRANCH, second, PHONE])
    visits = read_scoresheet("batch.csv", text.encode("utf-8"))
    assert [v.visit_id for v in visits] == ["V-100", "V-101", "V-200"]
    assert [v.where for v in visits] == ["row 2", "row 3", "row 4"]
    assert all(check_visit(prog, v) == [] for v in visits)


def test_long_file_with_several_visits():
    visits = read_scoresheet("long.csv", long_csv([BRANCH, PHONE]).encode())
    assert [v.visit_id for v in visits] == ["V-100", "V-200"]
    assert visits[1].answers["A2"].comment == "Rang for 35 seconds"


# --------------------------------------------------------------------------- broken files


def file_error(name: str, raw: bytes) -> str:
    with pytest.raises(FileError) as info:
        read_scoresheet(name, raw)
    return str(info.value)


def test_empty_file():
    assert file_error("v.csv", b"") == "the file is empty"
    assert file_error("v.csv", b"\r\n\r\n") == "the file is empty"
    assert "empty" in file_error("v.json", b"")


def test_header_only():
    assert "header row but no visits" in file_error("v.csv", (",".join(FIELDS) + "\n").encode())
    assert "header row but no visits" in file_error("v.xlsx", to_xlsx([FIELDS]))


def test_missing_required_columns():
    text = "visit_id,location_id,channel,visit_date,A1\nV1,BR01,branch,2026-01-12,yes\n"
    message = file_error("v.csv", text.encode())
    assert message == "missing column(s): shopper_id, wave"


def test_duplicate_columns():
    header = FIELDS + ["A1", "N1", "A1"]
    row = ["V1", "BR01", "SH", "W1", "branch", "2026-01-12", "", "", "yes", "Partly", "no"]
    message = file_error("v.csv", to_csv([header, row]).encode())
    assert message == "duplicate column 'A1' (columns 9 and 11)"


def test_malformed_json_names_line_and_column():
    raw = b'{\n  "visit_id": "V1",\n  "wave": \n}'
    message = file_error("v.json", raw)
    assert message.startswith("invalid JSON at line 4, column 1")


def test_truncated_json():
    raw = json.dumps(BRANCH, indent=2).encode()[:120]
    assert file_error("v.json", raw).startswith("invalid JSON at line")


def test_json_list_instead_of_object():
    message = file_error("v.json", json.dumps([BRANCH]).encode())
    assert "one visit (an object), not a list" in message


@pytest.mark.parametrize("raw, fragment", [
    (json.dumps({**BRANCH, "answers": ["yes"]}), "'answers' must be an object"),
    (json.dumps({**BRANCH, "vist_date": "2026-01-12"}), "unknown field(s): vist_date"),
    (json.dumps({**BRANCH, "answers": {"A1": {"answer": "yes", "note": "x"}}}), "answer A1: unknown field(s) note"),
])
def test_json_structure_errors(raw, fragment):
    assert fragment in file_error("v.json", raw.encode())


@pytest.mark.parametrize("name", ["v.ods", "v.pdf", "v.xls"])
def test_unsupported_extension(name):
    message = file_error(name, b"whatever")
    suffix = name.rsplit(".", 1)[1]
    assert message == f"unsupported file type '.{suffix}' (use .csv, .xlsx or .json)"


def test_conflicting_visit_fields_in_long_file():
    rows = long_rows([PHONE])
    rows[3][3] = "W2"          # the third answer row of the visit says another wave
    message = file_error("long.csv", to_csv(rows).encode())
    assert message == "row 4: visit V-200: wave 'W2' differs from row 2 ('W1')"


def test_item_answered_twice_in_long_file():
    rows = long_rows([PHONE])
    rows.append(list(rows[1]))
    message = file_error("long.csv", to_csv(rows).encode())
    assert "item A1 answered twice" in message


def test_row_longer_than_header():
    text = "visit_id,location_id,shopper_id,wave,channel,visit_date\nV1,BR01,SH,W1,branch,2026-01-12,extra\n"
    assert file_error("v.csv", text.encode()) == "row 2 has 7 cells but the header has 6"


def test_not_utf8_csv():
    raw = (",".join(FIELDS) + "\nV1,BR01,SH,W1,branch,2026-01-12,,,Caf\xe9\n").encode("latin-1")
    assert file_error("v.csv", raw).startswith("not UTF-8 text (byte 0xE9 at offset")


def test_not_an_xlsx_workbook():
    assert "not a readable XLSX workbook" in file_error("v.xlsx", b"PK\x03\x04 this is not a zip")


def test_broken_file_is_recorded_as_rejected(programme, tmp_path):
    result = submit(programme, tmp_path, "broken.json", '{"visit_id": "V1", ')
    assert result.exit_code == 1
    assert "broken.json: invalid JSON at line 1" in result.output
