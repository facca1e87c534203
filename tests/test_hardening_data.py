"""Issue 12, data findings: dates read one way per column, time zones, segment values that
look identical, too many groups, blank weights, answers on another scale.

Each finding is met where a user meets it — through the command line — and the date
parser (cxreport.load.dates) is tested on its own for the formats it must read.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re

import pandas as pd
import pytest
from click.testing import CliRunner

from cxreport.cli import cli
from cxreport.load.dates import DateOrderError, parse_dates
from tests.conftest import REPO, csv_text, write_project

# --------------------------------------------------------------------------- helpers


def invoke(args: list[str]):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    text = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert "Traceback" not in text, text
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), (
        f"crashed with {type(result.exception).__name__}: {result.exception}")
    return result


def error_line(result) -> str:
    """The one ``Error:`` line of a failed command (exit 1)."""
    assert result.exit_code == 1, result.output + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    assert len(errors[0]) < 600, errors[0]
    return errors[0]


def warning_lines(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("Warning:")]


def rows_with_dates(dates: list[str], seed: int = 3) -> list[list]:
    rng = random.Random(seed)
    return [[f"R{i:04d}", d, "North" if i % 2 else "South", rng.randint(0, 10), rng.randint(1, 5), f"c{i}"]
            for i, d in enumerate(dates)]


def window_base(result) -> tuple[str, int]:
    m = re.search(r"Reporting window: (.+?) \(([\d,]+) respondents\)", result.output)
    assert m, result.output
    return m.group(1), int(m.group(2).replace(",", ""))


def scores(tmp_path, project, *extra) -> dict:
    out = tmp_path / "scores.json"
    result = invoke(["score", project, "--format", "json", "-o", out, *extra])
    assert result.exit_code == 0, result.output + result.stderr
    return json.loads(out.read_text(encoding="utf-8"))


APRIL_DAY_FIRST = [f"{d:02d}/04/2026" for d in range(1, 31)]


# --------------------------------------------------------------------------- 1. day-first dates


def test_day_first_column_is_read_day_first_everywhere(tmp_path):
    """01/04/2026 … 30/04/2026: the 13th … 30th decide day-first, so every row is in April."""
    project = write_project(tmp_path, csv_text(rows_with_dates(APRIL_DAY_FIRST * 2)))
    result = invoke(["validate", project])
    assert result.exit_code == 0, result.stderr
    assert window_base(result) == ("2026 Q2", 60)
    data = scores(tmp_path, project, "--period", "all")
    assert [p["label"] for p in data["periods"]] == ["2026 Q2"]


def test_a_column_read_both_ways_stops_with_an_example_of_each(tmp_path):
    dates = APRIL_DAY_FIRST[:20] + ["04/13/2026", "04/14/2026"] + APRIL_DAY_FIRST[20:]
    project = write_project(tmp_path, csv_text(rows_with_dates(dates)))
    line = error_line(invoke(["validate", project]))
    assert "data/responses.csv" in line and "'response_date'" in line
    # 13/04/2026 (row 14) only reads day-first, 04/13/2026 (row 22) only month-first
    assert "row 14" in line and "13/04/2026" in line
    assert "row 22" in line and "04/13/2026" in line
    assert "columns.date_format" in line


def test_a_column_of_ambiguous_dates_asks_for_dayfirst(tmp_path):
    dates = [f"{d:02d}/{m:02d}/2026" for m in range(1, 13) for d in (1, 5, 9)][:30]
    project = write_project(tmp_path, csv_text(rows_with_dates(dates)))
    line = error_line(invoke(["validate", project]))
    assert "'response_date'" in line and "columns.dayfirst" in line and "columns.date_format" in line
    assert "data/responses.csv" in line


@pytest.mark.parametrize("dayfirst, periods", [(True, ["2026 Q1"]), (False, ["2026 Q1", "2026 Q2", "2026 Q3"])])
def test_dayfirst_setting_decides_ambiguous_dates(tmp_path, dayfirst, periods):
    dates = [f"0{m}/02/2026" for m in (1, 3, 5, 7, 9)] * 6          # 01/02/2026: 1 Feb or 2 Jan
    project = write_project(tmp_path, csv_text(rows_with_dates(dates)),
                            columns={"dayfirst": dayfirst})
    result = invoke(["validate", project])
    assert result.exit_code == 0, result.stderr
    data = scores(tmp_path, project, "--period", "all")
    assert [p["label"] for p in data["periods"]] == periods


def test_dayfirst_false_makes_day_first_only_values_invalid_per_row(tmp_path):
    dates = ["01/02/2026"] * 29 + ["13/02/2026"]
    project = write_project(tmp_path, csv_text(rows_with_dates(dates)), columns={"dayfirst": False})
    result = invoke(["validate", project])
    assert result.exit_code == 0, result.stderr
    assert any("row 31, column 'response_date': '13/02/2026' is not a date" in w for w in warning_lines(result))


def test_an_invalid_date_is_still_reported_by_row(tmp_path):
    dates = APRIL_DAY_FIRST[:10] + ["31/02/2026", "soon"] + APRIL_DAY_FIRST[10:]
    project = write_project(tmp_path, csv_text(rows_with_dates(dates)))
    result = invoke(["validate", project])
    assert result.exit_code == 0, result.stderr
    warnings = "\n".join(warning_lines(result))
    assert "row 12, column 'response_date': '31/02/2026' is not a date" in warnings
    assert "row 13, column 'response_date': 'soon' is not a date" in warnings
    assert window_base(result) == ("2026 Q2", 30)     # the 2 undated rows are in no period


# --------------------------------------------------------------------------- the parser


def one(text: str, **kw) -> pd.Timestamp:
    return pd.Timestamp(parse_dates([text], **kw).values[0])


@pytest.mark.parametrize("text, expected", [
    ("31/12/2026", "2026-12-31"),
    ("12/31/2026", "2026-12-31"),
    ("2026-12-31", "2026-12-31"),
    ("2026/12/31", "2026-12-31"),
    ("2026/1/5", "2026-01-05"),
    ("31.12.2026", "2026-12-31"),
    ("31-12-2026", "2026-12-31"),
    ("31/12/26", "2026-12-31"),
    ("31-Dec-2026", "2026-12-31"),
    ("31 December 2026", "2026-12-31"),
    ("Dec 31, 2026", "2026-12-31"),
    ("31/12/2026 14:30", "2026-12-31 14:30"),
    ("31.12.2026 14:30:15", "2026-12-31 14:30:15"),
    ("12/31/2026 2:30:00 PM", "2026-12-31 14:30"),
    ("2026-12-31T14:30:00", "2026-12-31 14:30"),
    ("2026-12-31 14:30:00", "2026-12-31 14:30"),
    ("2026-12-31T14:30:00Z", "2026-12-31 14:30"),
    ("2026-12-31T14:30:00+01:00", "2026-12-31 13:30"),
    ("2026-12-31T14:30:00-0500", "2026-12-31 19:30"),
    ("31/12/2026 14:30:00+01:00", "2026-12-31 13:30"),
    ("31-Dec-2026 14:30", "2026-12-31 14:30"),
])
def test_parser_reads_one_unambiguous_value(text, expected):
    assert one(text) == pd.Timestamp(expected)


@pytest.mark.parametrize("texts, dayfirst, expected", [
    (["01/02/2026", "13/02/2026"], None, ["2026-02-01", "2026-02-13"]),       # 13 decides day-first
    (["01/02/2026", "02/13/2026"], None, ["2026-01-02", "2026-02-13"]),       # 13 decides month-first
    (["01/02/2026", "05/06/2026"], True, ["2026-02-01", "2026-06-05"]),
    (["01/02/2026", "05/06/2026"], False, ["2026-01-02", "2026-05-06"]),
    (["01.02.2026 10:00", "13.02.2026 11:00"], None, ["2026-02-01 10:00", "2026-02-13 11:00"]),
    (["1/2/2026 9:05 AM", "2/13/2026 10:00 PM"], None, ["2026-01-02 09:05", "2026-02-13 22:00"]),
    (["2026-02-01", "2026/02/13", "13/02/2026"], None, ["2026-02-01", "2026-02-13", "2026-02-13"]),
    (["05/05/2026", "06/06/2026"], None, ["2026-05-05", "2026-06-06"]),      # same either way
])
def test_parser_decides_the_order_from_the_whole_column(texts, dayfirst, expected):
    got = parse_dates(texts, dayfirst=dayfirst).values
    assert [pd.Timestamp(v) for v in got] == [pd.Timestamp(e) for e in expected]


def test_parser_refuses_a_column_read_both_ways():
    with pytest.raises(DateOrderError) as info:
        parse_dates(["01/02/2026", "13/02/2026", "02/14/2026"])
    err = info.value
    assert err.kind == "both"
    assert [i for i, _reading in err.examples] == [1, 2]


def test_parser_refuses_an_ambiguous_column_without_a_setting():
    with pytest.raises(DateOrderError) as info:
        parse_dates(["01/02/2026", "03/04/2026", "2026-05-06"])
    assert info.value.kind == "ambiguous"
    assert info.value.examples[0][0] == 0


def test_parser_takes_iso_dates_without_a_setting():
    got = parse_dates(["2026-01-02", "2026-03-04"]).values
    assert [pd.Timestamp(v) for v in got] == [pd.Timestamp("2026-01-02"), pd.Timestamp("2026-03-04")]


def test_parser_with_an_explicit_format():
    got = parse_dates(["01/02/2026", "13/02/2026", "02/13/2026"], date_format="%d/%m/%Y").values
    assert pd.Timestamp(got[0]) == pd.Timestamp("2026-02-01")
    assert pd.Timestamp(got[1]) == pd.Timestamp("2026-02-13")
    assert pd.isna(got[2])


def test_parser_with_an_explicit_format_and_offsets():
    got = parse_dates(["2026-03-28 10:00 +0000", "2026-03-30 10:00 +0100"], date_format="%Y-%m-%d %H:%M %z",
                      timezone="Europe/London").values
    assert [pd.Timestamp(v) for v in got] == [pd.Timestamp("2026-03-28 10:00"), pd.Timestamp("2026-03-30 10:00")]


def test_parser_marks_impossible_dates_invalid():
    got = parse_dates(["31/02/2026", "32/01/2026", "13/13/2026", "soon", "5", "", "2026-02-30", "15/01/2026"]).values
    assert pd.isna(got[:7]).all()
    assert pd.Timestamp(got[7]) == pd.Timestamp("2026-01-15")


def test_parser_reads_in_blocks_and_decides_on_all_of_them(monkeypatch):
    import cxreport.load.dates as dates

    monkeypatch.setattr(dates, "BLOCK", 2)
    texts = ["01/02/2026", "2026-01-05", "03/04/2026 10:00", "Dec 31, 2026", "05/06/2026", "13/02/2026"]
    got = [pd.Timestamp(v) for v in parse_dates(texts).values]
    assert got == [pd.Timestamp(t) for t in ("2026-02-01", "2026-01-05", "2026-04-03 10:00", "2026-12-31",
                                             "2026-06-05", "2026-02-13")]
    with pytest.raises(DateOrderError) as info:
        parse_dates(texts + ["02/14/2026"])
    assert info.value.examples == [(5, "day-first"), (6, "month-first")]


def test_parser_is_fast_on_many_distinct_timestamps():
    import time

    start = dt.datetime(2026, 1, 1)
    texts = [(start + dt.timedelta(seconds=97 * i)).strftime("%d/%m/%Y %H:%M:%S") for i in range(200_000)]
    t = time.perf_counter()
    got = parse_dates(texts).values
    assert time.perf_counter() - t < 10
    assert pd.Timestamp(got[-1]) == pd.Timestamp(start + dt.timedelta(seconds=97 * 199_999))


# --------------------------------------------------------------------------- 2. time zones


def test_two_utc_offsets_in_one_column(tmp_path):
    dates = ["2026-03-28T10:00:00+00:00"] * 20 + ["2026-03-30T10:00:00+01:00"] * 20 + ["2026-04-02T09:00:00"] * 20
    project = write_project(tmp_path, csv_text(rows_with_dates(dates)), periods={"timezone": "Europe/London"})
    result = invoke(["validate", project, "--period", "all"])
    assert result.exit_code == 0, result.stderr
    data = scores(tmp_path, project, "--period", "all")
    assert [p["label"] for p in data["periods"]] == ["2026 Q1", "2026 Q2"]
    assert [p["base"] for p in data["periods"]] == [40, 20]


@pytest.mark.parametrize("zone, q2", [("Europe/London", 41), ("UTC", 40)])
def test_a_late_answer_belongs_to_the_day_of_the_project_zone(tmp_path, zone, q2):
    """23:30 UTC on 31 March is 00:30 on 1 April in London (+01:00 from 29 March 2026)."""
    dates = ["2026-02-10"] * 40 + ["2026-04-10"] * 40 + ["2026-03-31T23:30:00Z"]
    project = write_project(tmp_path, csv_text(rows_with_dates(dates)), periods={"timezone": zone})
    result = invoke(["validate", project, "--period", "2026-Q2"])
    assert result.exit_code == 0, result.stderr
    assert window_base(result) == ("2026 Q2", q2)


def test_a_bad_time_zone_is_a_config_error(tmp_path):
    project = write_project(tmp_path, periods={"timezone": "Europe/Londn"})
    line = error_line(invoke(["validate", project]))
    assert "periods.timezone" in line and "Europe/Londn" in line


# --------------------------------------------------------------------------- 3. look-alike segment values


def test_segment_values_that_look_identical_are_one_group(tmp_path):
    spellings = ["North"] * 12 + ["north"] * 3 + [" NORTH "] * 2 + ["North\u200b"] * 2 + ["Ｎｏｒｔｈ"] \
        + ["Nor\u00adth"] + ["\ufeffNorth"] + ["North  East"] * 5 + ["North East"] * 6 + ["South"] * 27
    rows = [[f"R{i:04d}", f"2026-02-{1 + i % 28:02d}", region, i % 11, 1 + i % 5, ""]
            for i, region in enumerate(spellings)]
    project = write_project(tmp_path, csv_text(rows))
    result = invoke(["validate", project])
    assert result.exit_code == 0, result.stderr
    merged = [w for w in warning_lines(result) if "merged" in w]
    assert len(merged) == 2, result.stderr
    assert "columns.segments.Region" in merged[0] and "'region'" in merged[0]
    assert "'North' (12)" in merged[0] and "'north' (3)" in merged[0] and "'NORTH' (2)" in merged[0]
    assert "'North East' (6)" in merged[1] and "'North  East' (5)" in merged[1]
    data = scores(tmp_path, project, "--period", "all")
    region = next(s for s in data["segments"] if s["name"] == "Region")
    assert {g["label"]: g["base"] for g in region["groups"]} == {"North": 22, "North East": 11, "South": 27}


def test_tie_between_spellings_keeps_the_first_seen(tmp_path):
    spellings = ["west"] * 20 + ["West"] * 20 + ["South"] * 20
    rows = [[f"R{i:04d}", "2026-02-01", region, i % 11, 1 + i % 5, ""] for i, region in enumerate(spellings)]
    project = write_project(tmp_path, csv_text(rows))
    data = scores(tmp_path, project, "--period", "all")
    region = next(s for s in data["segments"] if s["name"] == "Region")
    assert [g["label"] for g in region["groups"]] == ["South", "west"]


def test_a_merged_group_takes_the_spelling_the_project_file_uses(tmp_path):
    spellings = ["NORTH"] * 30 + ["North"] * 5 + ["South"] * 25
    rows = [[f"R{i:04d}", "2026-02-01", region, i % 11, 1 + i % 5, ""] for i, region in enumerate(spellings)]
    project = write_project(tmp_path, csv_text(rows), targets={"nps": {"value": 20, "segments": {"Region": {"North": 25}}}})
    result = invoke(["validate", project])
    assert any("merged into one group 'North'" in w for w in warning_lines(result)), result.stderr
    data = scores(tmp_path, project, "--period", "all")
    region = next(s for s in data["segments"] if s["name"] == "Region")
    assert [g["label"] for g in region["groups"]] == ["North", "South"]


def test_invisible_only_value_is_not_stated(tmp_path):
    spellings = ["North"] * 30 + ["\u200b"] * 3 + ["South"] * 27
    rows = [[f"R{i:04d}", "2026-02-01", region, i % 11, 1 + i % 5, ""] for i, region in enumerate(spellings)]
    project = write_project(tmp_path, csv_text(rows))
    data = scores(tmp_path, project, "--period", "all")
    region = next(s for s in data["segments"] if s["name"] == "Region")
    assert {g["label"]: g["base"] for g in region["groups"]} == {"North": 30, "South": 27, "Not stated": 3}


# --------------------------------------------------------------------------- 4. too many groups


def id_segment_project(tmp_path, n=250, **overrides):
    rows = [[f"R{i:04d}", f"2026-02-{1 + i % 28:02d}", f"CUST-{i:05d}", i % 11, 1 + i % 5, ""] for i in range(n)]
    return write_project(tmp_path, csv_text(rows), columns={"segments": {"Region": None, "Customer": "region"}}, **overrides)


def test_a_segment_of_ids_is_refused(tmp_path):
    """An id mapped as a segment: 250 groups of one respondent each, none of which could be shown."""
    project = id_segment_project(tmp_path)
    line = error_line(invoke(["validate", project]))
    assert "columns.segments.Customer" in line and "'region'" in line and "250" in line
    assert "bases.suppress_below" in line and "id" in line and "bases.sparse_segments" in line


def test_a_per_build_on_a_segment_of_ids_is_refused(tmp_path):
    project = id_segment_project(tmp_path)
    out = tmp_path / "out"
    line = error_line(invoke(["build", project, "--per", "Customer", "-o", out, "--format", "html", "-j", "1"]))
    assert "columns.segments.Customer" in line and "250" in line
    assert not out.exists() or not any(out.iterdir())


def test_a_sparse_segment_the_project_allows_is_kept_with_a_warning(tmp_path):
    project = id_segment_project(tmp_path, bases={"sparse_segments": ["Customer"]})
    result = invoke(["validate", project])
    assert result.exit_code == 0, result.stderr
    assert any("more than bases.max_groups (200)" in w and "columns.segments.Customer" in w
               for w in warning_lines(result))


def test_many_well_filled_groups_are_a_warning_not_an_error(tmp_path):
    """250 branches of 6 respondents each with suppress_below 5: every group can be shown."""
    rows = [[f"R{i:05d}", "2026-02-01", f"Branch {i % 250:03d}", i % 11, 1 + i % 5, ""] for i in range(1500)]
    project = write_project(tmp_path, csv_text(rows))
    result = invoke(["validate", project])
    assert result.exit_code == 0, result.stderr
    assert any("250 groups, more than bases.max_groups (200)" in w for w in warning_lines(result))


def test_a_small_segment_with_small_groups_is_a_warning(tmp_path):
    """Ten groups (fewer than 20), all under the base: kept, with a warning."""
    rows = [[f"R{i:04d}", "2026-02-01", f"Branch {i % 10}", i % 11, 1 + i % 5, ""] for i in range(60)]
    project = write_project(tmp_path, csv_text(rows), bases={"suppress_below": 10, "flag_below": 10})
    result = invoke(["validate", project])
    assert result.exit_code == 0, result.stderr
    line = next(w for w in warning_lines(result) if "most of its groups" in w)
    assert "columns.segments.Region" in line and "10 of 10" in line and "bases.suppress_below" in line


# --------------------------------------------------------------------------- 5. blank weights


def weight_project(tmp_path):
    rows = [[f"R{i:04d}", "2026-02-01", "North", i % 11, 1 + i % 5, "", "" if i % 3 == 1 else "1.0"]
            for i in range(60)]
    header = ["resp_id", "response_date", "region", "q_nps", "q_csat", "comment", "weight"]
    return write_project(tmp_path, csv_text(rows, header), columns={"weight": "weight"})


def test_blank_weights_are_a_warning(tmp_path):
    result = invoke(["validate", weight_project(tmp_path)])
    assert result.exit_code == 0, result.stderr
    line = next(w for w in warning_lines(result) if "weight" in w)
    assert line == ("Warning: data/responses.csv: column 'weight' (columns.weight): 20 rows with a blank, invalid "
                    "or zero weight are excluded from every figure (rows 3, 6, 9, 12, 15, …)")


def test_blank_weights_are_a_warning_of_score_too(tmp_path):
    result = invoke(["score", weight_project(tmp_path), "--format", "json", "-o", tmp_path / "s.json"])
    assert result.exit_code == 0, result.stderr
    assert any("20 rows with a blank, invalid or zero weight" in w for w in warning_lines(result))


def test_blank_weights_fail_strict(tmp_path):
    result = invoke(["validate", weight_project(tmp_path), "--strict"])
    assert result.exit_code == 1
    assert "20 rows with a blank, invalid or zero weight" in result.stderr


# --------------------------------------------------------------------------- 6. another scale


def scale_project(tmp_path, nps, ces, **overrides):
    rows = [[f"R{i:04d}", "2026-02-01", "North" if i % 2 else "South", nps(i), 1 + i % 5, ces(i), ""]
            for i in range(240)]
    header = ["resp_id", "response_date", "region", "q_nps", "q_csat", "q_ces", "comment"]
    return write_project(tmp_path, csv_text(rows, header), columns={"ces": "q_ces"}, **overrides)


def test_nps_answered_on_1_to_10_is_a_warning(tmp_path):
    project = scale_project(tmp_path, nps=lambda i: 1 + i % 10, ces=lambda i: 1 + i % 7)
    result = invoke(["validate", project])
    assert result.exit_code == 0, result.stderr
    lines = [w for w in warning_lines(result) if "q_nps" in w]
    assert len(lines) == 1 and "no answer is 0 and 10 is used" in lines[0] and "0–10" in lines[0]
    assert "columns.nps" in lines[0]
    assert not [w for w in warning_lines(result) if "q_ces" in w]


def test_ces_answered_on_1_to_5_is_a_warning(tmp_path):
    project = scale_project(tmp_path, nps=lambda i: i % 11, ces=lambda i: 1 + i % 5)
    result = invoke(["validate", project])
    assert result.exit_code == 0, result.stderr
    lines = [w for w in warning_lines(result) if "q_ces" in w]
    assert len(lines) == 1 and "every answer is 1–5" in lines[0] and "columns.ces" in lines[0]
    assert not [w for w in warning_lines(result) if "q_nps" in w]


def test_too_few_answers_raise_no_scale_warning(tmp_path):
    rows = [[f"R{i:04d}", "2026-02-01", "North", 1 + i % 10, 1 + i % 5, ""] for i in range(60)]
    result = invoke(["validate", write_project(tmp_path, csv_text(rows))])
    assert result.exit_code == 0
    assert not [w for w in warning_lines(result) if "scale" in w]


@pytest.mark.parametrize("sample", ["harbour-bank", "huayue-retail"])
def test_the_samples_raise_no_new_warning(sample):
    from cxreport.config import load_project
    from cxreport.pipeline import validate_project

    _table, data = validate_project(load_project(REPO / "samples" / sample / "cxreport.yaml"))
    report = data.report
    assert report.cautions == []
    text = "\n".join(report.warnings())
    for phrase in ("merged", "most of its groups", "weight", "was the question", "scale?"):
        assert phrase not in text, text
