"""The reporting window (docs/periods.md): the grammar of ``report.period`` / ``--period``,
its resolution against the study's periods (quarters, fiscal years, months, waves, an
undated study), the comparisons it brings (previous, year ago, baseline), pooling with
``report.pool``, and every error naming the setting, through the library and the CLI.

Figures are checked against an independent recomputation with pandas on the rows the
window should hold, selected here by their dates.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from scipy.stats import norm

from conftest import CSV_HEADER, csv_text, write_project
from cxreport.cli import cli
from cxreport.config import load_project
from cxreport.errors import ConfigError
from cxreport.pipeline import run
from cxreport.window import parse_spec

#: Eight quarters of data, as in the docs' examples: 2024 Q4 – 2026 Q3.
QUARTERS = [(2024, 4), (2025, 1), (2025, 2), (2025, 3), (2025, 4), (2026, 1), (2026, 2), (2026, 3)]
LABELS = [f"{y} Q{q}" for y, q in QUARTERS]
KNOWN = ", ".join(LABELS)


# --------------------------------------------------------------------------- helpers


def quarter_rows(quarters=QUARTERS, per: int = 12, seed: int = 11, undated: int = 0, start: int = 0) -> list[list]:
    """``per`` responses in each quarter (spread over its three months), two regions, random
    answers; ``undated`` more rows without a date at the end."""
    rng = random.Random(seed)
    rows = []
    for y, q in quarters:
        for k in range(per):
            month = 3 * (q - 1) + 1 + k % 3
            day = 1 + (k * 7) % 28
            rows.append([f"R{start + len(rows):05d}", f"{y}-{month:02d}-{day:02d}", "North" if k % 2 else "South",
                         rng.randint(0, 10), rng.randint(1, 5), f"Comment {len(rows)}"])
    for _k in range(undated):
        rows.append([f"R{start + len(rows):05d}", "", "North", rng.randint(0, 10), rng.randint(1, 5), "undated"])
    return rows


def month_rows(first=(2024, 10), last=(2026, 9), per: int = 6, seed: int = 5) -> list[list]:
    """``per`` responses in every month from ``first`` to ``last``."""
    rng = random.Random(seed)
    rows = []
    y, m = first
    while (y, m) <= last:
        for k in range(per):
            rows.append([f"R{len(rows):05d}", f"{y}-{m:02d}-{2 + 4 * k:02d}", "North" if k % 2 else "South",
                         rng.randint(0, 10), rng.randint(1, 5), "c"])
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return rows


def frame(rows: list[list]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=CSV_HEADER)
    df["date"] = pd.to_datetime(df["response_date"].replace("", None), errors="coerce")
    df["q_nps"] = pd.to_numeric(df["q_nps"])
    return df


def between(df: pd.DataFrame, start: str, end: str) -> pd.DataFrame:
    """The rows dated from ``start`` to ``end``, both days included."""
    return df[(df["date"] >= pd.Timestamp(start)) & (df["date"] <= pd.Timestamp(end))]


def in_quarter(df: pd.DataFrame, year: int, quarter: int) -> pd.DataFrame:
    d = df["date"]
    return df[(d.dt.year == year) & ((d.dt.month - 1) // 3 + 1 == quarter)]


def nps_of(values) -> float:
    """% promoters (9–10) − % detractors (0–6) of the answers given."""
    values = pd.Series(values, dtype=float).dropna()
    return 100 * ((values >= 9).mean() - (values <= 6).mean())


def nps_se(values) -> float:
    values = pd.Series(values, dtype=float).dropna()
    n = len(values)
    p, d = (values >= 9).mean(), (values <= 6).mean()
    return 100 * math.sqrt((p + d - (p - d) ** 2) / n)


def project(tmp_path: Path, rows: list[list] | None = None, name: str = "p", **overrides) -> Path:
    return write_project(tmp_path / name, csv_text(quarter_rows() if rows is None else rows), **overrides)


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def one_line_error(result, code: int = 1) -> str:
    """A handled error: the exit code, one 'Error:' line, no traceback; the error text."""
    assert result.exit_code == code, (result.exit_code, result.output, repr(result.exception))
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def config_error(path: Path, period: str | None = None) -> str:
    """The one-line message of the ConfigError ``run`` raises."""
    with pytest.raises(ConfigError) as info:
        run(path, period=period)
    message = str(info.value)
    assert "\n" not in message, message
    return message


# --------------------------------------------------------------------------- the grammar


@pytest.mark.parametrize("text, expected", [
    ("latest", dict(kind="latest")),
    ("all", dict(kind="all")),
    ("LATEST", dict(kind="latest")),
    ("2026-Q3", dict(kind="named", year=2026, quarter=3, fiscal=False, month=None)),
    ("2026 Q3", dict(kind="named", year=2026, quarter=3, fiscal=False)),
    ("Q3 2026", dict(kind="named", year=2026, quarter=3, fiscal=False)),
    ("2026Q3", dict(kind="named", year=2026, quarter=3, fiscal=False)),
    ("2026-q3", dict(kind="named", year=2026, quarter=3)),
    ("FY2027-Q1", dict(kind="named", year=2027, quarter=1, fiscal=True)),
    ("2026-09", dict(kind="named", year=2026, month=9, quarter=None)),
    ("Sep 2026", dict(kind="named", year=2026, month=9)),
    ("September 2026", dict(kind="named", year=2026, month=9)),
    ("2026年9月", dict(kind="named", year=2026, month=9)),
    ("2026", dict(kind="named", year=2026, month=None, quarter=None, fiscal=False, name=None)),
    ("FY2027", dict(kind="named", year=2027, month=None, quarter=None, fiscal=True)),
    ("last 4 quarters", dict(kind="rolling", count=4, unit="quarter")),
    ("last 12 months", dict(kind="rolling", count=12, unit="month")),
    ("last 2 years", dict(kind="rolling", count=2, unit="year")),
    ("last 1 quarter", dict(kind="rolling", count=1, unit="quarter")),
    ("  last   4   quarters ", dict(kind="rolling", count=4, unit="quarter")),
    ("2026-01-01..2026-06-30", dict(kind="range", start=dt.date(2026, 1, 1), end=dt.date(2026, 6, 30))),
    ("2026-01-01 to 2026-06-30", dict(kind="range", start=dt.date(2026, 1, 1), end=dt.date(2026, 6, 30))),
    ("2026-03-05..2026-03-05", dict(kind="range", start=dt.date(2026, 3, 5), end=dt.date(2026, 3, 5))),
    ("Wave 3", dict(kind="named", name="Wave 3", year=None)),
])
def test_every_documented_form_parses(text, expected):
    spec = parse_spec(text)
    for attr, value in expected.items():
        assert getattr(spec, attr) == value, (text, attr, spec)


def test_grains_of_named_periods():
    assert parse_spec("2026-Q3").grain == "quarter"
    assert parse_spec("Sep 2026").grain == "month"
    assert parse_spec("FY2027").grain == "year"
    assert parse_spec("Wave 3").grain is None
    assert parse_spec("last 4 quarters").grain is None


@pytest.mark.parametrize("text, reason", [
    ("2026-13", "month 13 does not exist"),
    ("2026-00", "month 0 does not exist"),
    ("last 0 quarters", "at least 1"),
    ("last 2 weeks", "unknown unit 'weeks'"),
    ("2026-06-30..2026-01-01", "ends before it starts"),
    ("2026-02-30..2026-03-01", "'2026-02-30' is not a date"),
    ("2026-01-01..2026-13-01", "is not a date"),
    ("", "empty"),
    ("   ", "empty"),
    ("12/2026", "is not a period"),
    ("2026.09", "is not a period"),
])
def test_malformed_windows_are_rejected_with_a_reason(text, reason):
    with pytest.raises(ValueError) as info:
        parse_spec(text)
    message = str(info.value)
    assert reason in message, message
    assert "\n" not in message


# --------------------------------------------------------------------------- quarters


def test_latest_is_the_last_quarter_with_its_previous_quarter_and_year_ago(tmp_path):
    rows = quarter_rows()
    df = frame(rows)
    study = run(project(tmp_path, rows))
    w = study.window
    assert (w.kind, w.label, w.span.keys) == ("latest", "2026 Q3", (202603,))
    window_rows = in_quarter(df, 2026, 3)
    assert study.results.base == len(window_rows) == study.data.n
    assert study.results.overall["nps"].nps.value == pytest.approx(nps_of(window_rows["q_nps"]))
    assert (w.previous.label, w.previous.keys) == ("2026 Q2", (202602,))
    assert (w.year_ago.label, w.year_ago.keys) == ("2025 Q3", (202503,))
    assert w.baseline is None
    bases = {c.kind: (c.label, c.base) for c in study.comparisons}
    assert bases == {"previous": ("2026 Q2", len(in_quarter(df, 2026, 2))),
                     "year_ago": ("2025 Q3", len(in_quarter(df, 2025, 3)))}
    # trends: every period up to the window's end
    assert [g.label for g in study.results.periods.groups] == LABELS


@pytest.mark.parametrize("text", ["2025-Q2", "2025 Q2", "Q2 2025", "2025Q2", "q2-2025"])
def test_a_named_quarter_in_any_spelling(tmp_path, text):
    rows = quarter_rows()
    df = frame(rows)
    study = run(project(tmp_path, rows), period=text)
    w = study.window
    assert (w.kind, w.label, w.span.keys) == ("named", "2025 Q2", (202502,))
    window_rows = in_quarter(df, 2025, 2)
    assert study.results.base == len(window_rows)
    assert study.results.overall["nps"].nps.value == pytest.approx(nps_of(window_rows["q_nps"]))
    assert (w.previous.label, w.year_ago.label) == ("2025 Q1", "2024 Q2")
    # the year-ago quarter has no responses: base 0, no figures, no changes
    year_ago = study.comparison("year_ago")
    assert (year_ago.base, year_ago.overall, year_ago.changes) == (0, {}, {})
    # the trend stops at the window's end
    assert [g.label for g in study.results.periods.groups] == ["2024 Q4", "2025 Q1", "2025 Q2"]
    assert json.loads(invoke("score", study.project.path, "--period", text).stdout)["window"]["trend"] == \
        ["2024 Q4", "2025 Q1", "2025 Q2"]


def test_a_year_in_a_quarterly_project_is_its_four_quarters(tmp_path):
    rows = quarter_rows()
    df = frame(rows)
    study = run(project(tmp_path, rows), period="2025")
    w = study.window
    assert w.label == "2025"
    assert w.span.keys == (202501, 202502, 202503, 202504)
    window_rows = df[df["date"].dt.year == 2025]
    assert study.results.base == len(window_rows) == 4 * 12
    assert study.results.overall["nps"].nps.value == pytest.approx(nps_of(window_rows["q_nps"]))
    # a year's previous period is the four quarters before; there is no separate year-ago
    assert w.previous.keys == (202401, 202402, 202403, 202404)
    assert w.year_ago is None
    assert study.comparison("previous").base == len(df[df["date"].dt.year == 2024])


def test_rolling_last_four_quarters_and_its_previous_run(tmp_path):
    rows = quarter_rows()
    df = frame(rows)
    study = run(project(tmp_path, rows), period="last 4 quarters")
    w = study.window
    assert (w.kind, w.label) == ("rolling", "pooled 2025 Q4 – 2026 Q3")
    assert w.span.keys == (202504, 202601, 202602, 202603)
    window_rows = between(df, "2025-10-01", "2026-09-30")
    assert study.results.base == len(window_rows)
    assert study.results.overall["nps"].nps.value == pytest.approx(nps_of(window_rows["q_nps"]))
    assert w.previous.label == "pooled 2024 Q4 – 2025 Q3"
    assert w.previous.keys == (202404, 202501, 202502, 202503)
    previous = study.comparison("previous")
    prev_rows = between(df, "2024-10-01", "2025-09-30")
    assert previous.base == len(prev_rows)
    assert previous.overall["nps"].nps.value == pytest.approx(nps_of(prev_rows["q_nps"]))
    assert w.year_ago is None                       # four quarters are a year


def test_rolling_two_quarters_has_a_year_ago_run(tmp_path):
    rows = quarter_rows()
    df = frame(rows)
    study = run(project(tmp_path, rows), period="last 2 quarters")
    w = study.window
    assert w.label == "pooled 2026 Q2 – 2026 Q3"
    assert w.previous.keys == (202504, 202601)
    assert w.year_ago.keys == (202502, 202503)
    assert study.comparison("year_ago").base == len(between(df, "2025-04-01", "2025-09-30"))


def test_last_two_years_in_a_quarterly_project_is_eight_quarters(tmp_path):
    study = run(project(tmp_path), period="last 2 years")
    assert study.window.label == "pooled 2024 Q4 – 2026 Q3"
    assert len(study.window.span.keys) == 8
    assert study.results.base == 8 * 12


def test_all_pools_every_response_including_undated_ones(tmp_path):
    rows = quarter_rows(undated=5)
    df = frame(rows)
    path = project(tmp_path, rows)
    everything = run(path, period="all")
    w = everything.window
    assert (w.kind, w.label) == ("all", "pooled 2024 Q4 – 2026 Q3")
    assert w.comparisons == [] and everything.comparisons == []
    assert everything.results.base == len(rows)
    assert everything.results.overall["nps"].nps.value == pytest.approx(nps_of(df["q_nps"]))
    latest = run(path)
    assert latest.results.base == len(in_quarter(df, 2026, 3))       # the undated rows are in no period


def test_a_date_range_and_its_comparisons(tmp_path):
    rows = quarter_rows()
    # responses exactly on the first and the last day of the range, and just outside it
    rows += [["E1", "2026-01-01", "North", 10, 5, "x"], ["E2", "2026-06-30", "North", 10, 5, "x"],
             ["E3", "2025-12-31", "North", 0, 1, "x"], ["E4", "2026-07-01", "North", 0, 1, "x"]]
    df = frame(rows)
    path = project(tmp_path, rows)
    for text in ("2026-01-01..2026-06-30", "2026-01-01 to 2026-06-30"):
        study = run(path, period=text)
        w = study.window
        assert (w.kind, w.label) == ("range", "1 January 2026 – 30 June 2026")
        window_rows = between(df, "2026-01-01", "2026-06-30")
        assert {"E1", "E2"} <= set(window_rows["resp_id"]) and not {"E3", "E4"} & set(window_rows["resp_id"])
        assert study.results.base == len(window_rows)
        assert study.results.overall["nps"].nps.value == pytest.approx(nps_of(window_rows["q_nps"]))
        # previous: as many days just before (181 days); year ago: the same dates a year earlier
        days = (w.span.end - w.span.start).days + 1
        assert (w.previous.end, (w.previous.end - w.previous.start).days + 1) == (dt.date(2025, 12, 31), days)
        assert (w.year_ago.start, w.year_ago.end) == (dt.date(2025, 1, 1), dt.date(2025, 6, 30))
        previous = study.comparison("previous")
        prev_rows = between(df, w.previous.start.isoformat(), "2025-12-31")
        assert previous.base == len(prev_rows)
        assert previous.overall["nps"].nps.value == pytest.approx(nps_of(prev_rows["q_nps"]))
        assert study.comparison("year_ago").base == len(between(df, "2025-01-01", "2025-06-30"))
        # the trend reaches the end of the window's last period
        assert study.results.periods.groups[-1].label == "2026 Q2"


def test_a_date_range_on_29_february_looks_back_to_28_february(tmp_path):
    rows = quarter_rows([(2023, 1), (2024, 1)])
    study = run(project(tmp_path, rows), period="2024-02-01..2024-02-29")
    assert (study.window.year_ago.start, study.window.year_ago.end) == (dt.date(2023, 2, 1), dt.date(2023, 2, 28))


# --------------------------------------------------------------------------- fiscal years


FISCAL = {"periods": {"fiscal_year_start": "April"}}


def test_fiscal_quarters_and_years(tmp_path):
    rows = quarter_rows()
    df = frame(rows)
    path = project(tmp_path, rows, **FISCAL)
    latest = run(path)
    # July–September 2026 is the second quarter of the fiscal year ending in March 2027
    assert latest.window.label == "FY2027 Q2"
    assert (latest.window.previous.label, latest.window.year_ago.label) == ("FY2027 Q1", "FY2026 Q2")
    q1 = run(path, period="FY2027-Q1")
    assert q1.window.label == "FY2027 Q1"
    assert q1.results.base == len(between(df, "2026-04-01", "2026-06-30"))
    year = run(path, period="FY2026")
    assert year.window.label == "FY2026"
    fy_rows = between(df, "2025-04-01", "2026-03-31")
    assert year.results.base == len(fy_rows)
    assert year.results.overall["nps"].nps.value == pytest.approx(nps_of(fy_rows["q_nps"]))
    rolling = run(path, period="last 4 quarters")
    assert rolling.window.label == "pooled FY2026 Q3 – FY2027 Q2"
    assert [g.label for g in rolling.results.periods.groups][:2] == ["FY2025 Q3", "FY2025 Q4"]


@pytest.mark.parametrize("text", ["2026-Q3", "2026"])
def test_calendar_periods_in_a_fiscal_project_are_rejected_suggesting_fy(tmp_path, text):
    path = project(tmp_path, **FISCAL)
    message = config_error(path, text)
    assert message.startswith("--period:")
    assert "FY" in message and "periods.fiscal_year_start" in message
    result = invoke("score", path, "--period", text)
    assert "--period" in one_line_error(result, code=2)


def test_the_fy_suggestion_names_the_fiscal_quarter_holding_those_months(tmp_path):
    """With fiscal_year_start April, calendar 2026 Q3 (July–September 2026) is FY2027 Q2.
    The message should not suggest FY2026-Q3, which is October–December 2025: a user
    following it reports a different quarter, a year off, without noticing."""
    message = config_error(project(tmp_path, **FISCAL), "2026-Q3")
    assert "FY2026-Q3" not in message, message


# --------------------------------------------------------------------------- months


def test_a_quarter_in_a_monthly_project_is_its_three_months(tmp_path):
    rows = month_rows()
    df = frame(rows)
    path = project(tmp_path, rows, periods={"unit": "month"})
    study = run(path, period="2026-Q2")
    w = study.window
    assert w.label == "2026 Q2"
    assert w.span.keys == (202604, 202605, 202606)
    window_rows = between(df, "2026-04-01", "2026-06-30")
    assert study.results.base == len(window_rows) == 18
    assert study.results.overall["nps"].nps.value == pytest.approx(nps_of(window_rows["q_nps"]))
    assert w.previous.keys == (202601, 202602, 202603)
    assert w.year_ago.keys == (202504, 202505, 202506)
    assert run(path).window.label == "Sep 2026"
    for text in ("2026-05", "May 2026", "2026年5月"):
        month = run(path, period=text)
        assert month.window.label == "May 2026"
        assert month.results.base == len(between(df, "2026-05-01", "2026-05-31"))
        assert (month.window.previous.label, month.window.year_ago.label) == ("Apr 2026", "May 2025")
    twelve = run(path, period="last 12 months")
    assert twelve.window.label == "pooled Oct 2025 – Sep 2026"
    assert twelve.results.base == 12 * 6
    assert twelve.window.year_ago is None


def test_a_month_in_a_quarterly_project_is_an_error_naming_periods_unit(tmp_path):
    path = project(tmp_path)
    message = config_error(path, "2026-09")
    assert message == ("--period: '2026-09' is a month, but this project's periods are quarters (periods.unit); "
                       "name a quarter or a longer period")
    assert "periods.unit" in config_error(path, "last 12 months")
    # in the project file: an error when the project is loaded
    with pytest.raises(ConfigError) as info:
        load_project(project(tmp_path, name="file", report={"period": "Sep 2026"}))
    assert "report.period" in str(info.value) and "periods.unit" in str(info.value)
    # on the command line: a usage error naming --period
    error = one_line_error(invoke("score", path, "--period", "2026-09"), code=2)
    assert "--period" in error and "periods.unit" in error


# --------------------------------------------------------------------------- waves


WAVES = [{"name": "Wave 1", "start": "2024-11-01", "end": "2024-11-30"},
         {"name": "Wave 2", "start": "2025-05-01", "end": "2025-05-31"},
         {"name": "Wave 3", "start": "2026-05-01", "end": "2026-05-31"}]


def test_waves(tmp_path):
    rows = quarter_rows()
    df = frame(rows)
    path = project(tmp_path, rows, periods={"unit": "wave", "waves": WAVES})
    latest = run(path)
    assert (latest.window.label, latest.window.span.keys) == ("Wave 3", (3,))
    assert latest.results.base == len(between(df, "2026-05-01", "2026-05-31"))
    assert latest.window.previous.label == "Wave 2"
    assert latest.window.year_ago is None                      # waves have no year-ago
    assert [c.kind for c in latest.comparisons] == ["previous"]
    assert latest.comparison("previous").base == len(between(df, "2025-05-01", "2025-05-31"))
    named = run(path, period="wave 2")                         # a wave's name, any case
    assert named.window.label == "Wave 2"
    wave2 = between(df, "2025-05-01", "2025-05-31")
    assert named.results.base == len(wave2)
    assert named.results.overall["nps"].nps.value == pytest.approx(nps_of(wave2["q_nps"]))
    first = run(path, period="Wave 1")
    assert first.window.previous is None and first.comparisons == []
    # rows outside every wave are in no wave's window, but in 'all'
    in_waves = sum(len(between(df, w["start"], w["end"])) for w in WAVES)
    assert in_waves < len(rows)
    for text in ("Wave 1", "Wave 2", "Wave 3", "last 3 waves"):
        assert run(path, period=text).results.base <= in_waves
    assert run(path, period="last 3 waves").results.base == in_waves
    everything = run(path, period="all")
    assert everything.results.base == len(rows)
    assert everything.window.label == "pooled Wave 1 – Wave 3"
    # a name that is not a wave
    message = config_error(path, "Wave 4")
    assert message.startswith("--period:") and "Wave 1, Wave 2, Wave 3" in message


# --------------------------------------------------------------------------- no date column


def test_a_study_without_dates_is_one_period(tmp_path):
    rows = quarter_rows()
    path = project(tmp_path, rows, columns={"date": None})
    for text in (None, "latest", "all"):
        study = run(path, period=text)
        assert study.results.base == len(rows)
        assert study.window.label == "all responses"
        assert not study.window.dated and study.comparisons == []
    message = config_error(path, "2026-Q3")
    assert message.startswith("--period:") and "columns.date" in message
    assert "latest or all" in message
    dated = project(tmp_path, rows, name="fw", columns={"date": None},
                    report={"fieldwork": {"start": "2026-01-05", "end": "2026-02-10"}})
    assert run(dated).window.label == "5 January 2026 – 10 February 2026"


def test_a_baseline_without_dates_is_an_error(tmp_path):
    path = project(tmp_path, columns={"date": None}, report={"baseline": "2025-Q1"})
    message = config_error(path)
    assert message.startswith("report.baseline:") and "columns.date" in message


# --------------------------------------------------------------------------- errors


def test_a_period_without_responses_lists_the_periods_that_exist(tmp_path):
    path = project(tmp_path, report={"period": "2024-Q1"})
    assert config_error(path) == f"report.period: no responses in 2024 Q1; the periods with responses are {KNOWN}"
    assert config_error(path, "2027") == f"--period: no responses in 2027; the periods with responses are {KNOWN}"


def test_a_window_without_rows_is_an_error(tmp_path):
    path = project(tmp_path)
    message = config_error(path, "2023-01-01..2023-12-31")
    assert message.startswith("--period: no responses in 1 January 2023 – 31 December 2023")
    assert KNOWN in message


def test_a_baseline_overlapping_the_window_is_an_error(tmp_path):
    path = project(tmp_path, report={"baseline": "2026-Q2"})
    message = config_error(path, "last 4 quarters")
    assert message == ("report.baseline: '2026-Q2' overlaps the reporting window (pooled 2025 Q4 – 2026 Q3); "
                       "a baseline must lie outside it")
    assert config_error(path, "all").startswith("report.baseline:")
    assert config_error(path, "2026").startswith("report.baseline:")
    assert run(path).comparison("baseline").label == "2026 Q2"      # latest: 2026 Q3, outside it


@pytest.mark.parametrize("baseline, period", [
    ("2025-Q1", "2025-01-01..2025-06-30"),          # a quarter inside a date-range window
    ("2026-08-01..2026-08-31", "latest"),           # a date-range baseline inside the window 2026 Q3
])
def test_a_baseline_overlapping_a_date_range_is_rejected(tmp_path, baseline, period):
    """The baseline's responses are all in the window: they would be tested against
    themselves. The overlap check compares period keys only, and a date range has none."""
    path = project(tmp_path, report={"baseline": baseline})
    message = config_error(path, period)
    assert message.startswith("report.baseline:") and "overlaps" in message


def test_a_date_range_longer_than_a_year_has_no_year_ago_overlapping_it(tmp_path):
    """docs/periods.md: a year-ago comparison exists for windows shorter than a year. A
    date range of 18 months compared with the same dates a year earlier overlaps itself
    (January–June 2025 is in both), and the responses in both are tested as independent."""
    study = run(project(tmp_path), period="2025-01-01..2026-06-30")
    w = study.window
    year_ago = w.year_ago
    assert year_ago is None or year_ago.end < w.span.start, (year_ago.start, year_ago.end)


def test_report_pool_with_a_date_range_in_the_project_file_is_a_load_error(tmp_path):
    path = project(tmp_path, report={"period": "2026-01-01..2026-06-30", "pool": {"drivers": 4}})
    with pytest.raises(ConfigError) as info:
        load_project(path)
    assert "report.pool" in str(info.value) and "date-range" in str(info.value)
    error = one_line_error(invoke("validate", path))
    assert "report.pool" in error


def test_period_option_date_range_with_report_pool_is_an_error(tmp_path):
    """The same combination through --period: report.pool cannot extend a date-range window
    (docs/periods.md), so validate should fail naming report.pool or --period instead of
    silently dropping the pooling."""
    path = project(tmp_path, report={"pool": {"segments": 4}})
    result = invoke("validate", path, "--period", "2026-01-01..2026-06-30")
    assert result.exit_code in (1, 2), result.output
    assert "report.pool" in result.stderr or "--period" in result.stderr


def test_an_invalid_report_period_in_the_project_file_is_a_load_error(tmp_path):
    for bad, reason in (("2026-13", "month 13 does not exist"), ("last 0 quarters", "at least 1"),
                        ("12/2026", "is not a period")):
        path = project(tmp_path, name=f"bad{bad.replace('/', '-').replace(' ', '')}", report={"period": bad})
        with pytest.raises(ConfigError) as info:
            load_project(path)
        assert "report.period" in str(info.value) and reason in str(info.value)
        error = one_line_error(invoke("validate", path))
        assert "report.period" in error and reason in error


# --------------------------------------------------------------------------- the command line


def test_score_with_a_period_without_responses(tmp_path):
    path = project(tmp_path)
    error = one_line_error(invoke("score", path, "--period", "2024-Q1"))
    assert error == f"Error: --period: no responses in 2024 Q1; the periods with responses are {KNOWN}"


def test_build_with_a_malformed_period_is_a_usage_error(tmp_path):
    path = project(tmp_path)
    out = tmp_path / "out"
    error = one_line_error(invoke("build", path, "--period", "foo", "--format", "html", "-o", out), code=2)
    assert "--period" in error and "'foo'" in error
    assert not (out / "report.html").exists()


def test_validate_reports_window_errors_and_the_window(tmp_path):
    path = project(tmp_path)
    error = one_line_error(invoke("validate", path, "--period", "2024-Q1"))
    assert error == f"Error: --period: no responses in 2024 Q1; the periods with responses are {KNOWN}"
    in_file = project(tmp_path, name="file", report={"period": "2024-Q1"})
    assert one_line_error(invoke("validate", in_file)).startswith("Error: report.period: no responses in 2024 Q1")
    baseline = project(tmp_path, name="base", report={"baseline": "2026-Q3"})
    assert one_line_error(invoke("validate", baseline)).startswith("Error: report.baseline: '2026-Q3' overlaps")
    ok = invoke("validate", path, "--period", "last 4 quarters")
    assert ok.exit_code == 0, ok.output
    assert ("Reporting window: pooled 2025 Q4 – 2026 Q3 (48 respondents); "
            "compared with pooled 2024 Q4 – 2025 Q3 (48)") in ok.stdout
    ok = invoke("validate", path)
    assert "Reporting window: 2026 Q3 (12 respondents); compared with 2026 Q2 (12), 2025 Q3 (12)" in ok.stdout
    assert "Traceback" not in ok.output


def test_the_period_option_wins_over_report_period(tmp_path):
    path = project(tmp_path, report={"period": "2025-Q1"})
    data = json.loads(invoke("score", path, "--period", "2025-Q3").stdout)
    assert data["window"]["label"] == "2025 Q3" and data["window"]["spec"] == "2025-Q3"
    assert json.loads(invoke("score", path).stdout)["window"]["label"] == "2025 Q1"


def test_build_period_option_reaches_the_rendered_report(tmp_path):
    """`build --period 2025-Q1` must build the 2025 Q1 report (docs/periods.md: the option
    wins over report.period); the workbook's contents sheet and the HTML name the window."""
    from bs4 import BeautifulSoup
    import openpyxl

    path = project(tmp_path)
    out = tmp_path / "out"
    result = invoke("build", path, "--period", "2025-Q1", "--format", "html,xlsx", "-o", out)
    assert result.exit_code == 0, result.output
    contents = openpyxl.load_workbook(out / "report.xlsx")["Contents"]
    assert str(contents["B2"].value).startswith("2025 Q1"), contents["B2"].value
    soup = BeautifulSoup((out / "report.html").read_text(encoding="utf-8"), "html.parser")
    periods = {span.get_text(" ", strip=True) for span in soup.select(".h-period")}
    assert "2026 Q3" not in " ".join(periods), periods


# --------------------------------------------------------------------------- comparisons


def shifted_rows(before: tuple[int, int, int], now: tuple[int, int, int]) -> list[list]:
    """2026 Q2 and 2026 Q3 with exactly the given promoters, passives and detractors."""
    rows = []
    for (y, q), counts in (((2026, 2), before), ((2026, 3), now)):
        answers = [10] * counts[0] + [8] * counts[1] + [3] * counts[2]
        for k, a in enumerate(answers):
            rows.append([f"R{len(rows):04d}", f"{y}-{3 * (q - 1) + 1 + k % 3:02d}-{1 + k % 28:02d}",
                         "North" if k % 2 else "South", a, 1 + k % 5, "c"])
    return rows


@pytest.mark.parametrize("before, now, alpha", [
    ((40, 30, 30), (30, 30, 40), 0.05),       # −20 points: p ≈ 0.09, not significant at 5%
    ((40, 30, 30), (30, 30, 40), 0.10),       # … but at 10%
    ((45, 30, 25), (25, 30, 45), 0.01),       # −40 points: p < 0.001
    ((30, 40, 30), (33, 37, 30), 0.05),       # +3 points: nothing
    ((20, 30, 50), (50, 30, 20), 0.05),       # +60 points
])
def test_the_change_on_the_previous_period_is_the_nps_difference_tested(tmp_path, before, now, alpha):
    rows = shifted_rows(before, now)
    df = frame(rows)
    # The NPS difference test on its own (no adjustment with the CSAT change beside it, METHODS.md §8)
    path = project(tmp_path, rows, significance={"alpha": alpha, "adjust": "none"})
    study = run(path)
    now_rows, before_rows = in_quarter(df, 2026, 3)["q_nps"], in_quarter(df, 2026, 2)["q_nps"]
    diff = nps_of(now_rows) - nps_of(before_rows)
    z = diff / math.hypot(nps_se(now_rows), nps_se(before_rows))
    p = 2 * norm.sf(abs(z))
    previous = study.comparison("previous")
    change = previous.changes["nps"]
    assert change.test.diff == pytest.approx(diff, abs=1e-9)
    assert change.test.p_value == pytest.approx(p, rel=1e-6)
    assert change.mark == ((1 if diff > 0 else -1) if p < alpha else 0)
    # the JSON, the workbook and the scorecard carry the same change
    data = json.loads(invoke("score", path).stdout)
    block = next(c for c in data["comparisons"] if c["kind"] == "previous")
    assert block["changes"]["nps"]["diff"] == pytest.approx(diff, abs=1e-5)
    assert block["changes"]["nps"]["mark"] == change.mark
    assert data["period_change"]["vs_previous"]["nps"]["mark"] == change.mark
    from cxreport.present.context import build_context

    row = next(r for r in build_context(study)["scorecard"] if r["key"] == "nps")
    ctx_change = next(c for c in row["changes"] if c["kind"] == "previous")
    assert ctx_change["diff"] == pytest.approx(diff) and ctx_change["mark"] == change.mark


def test_a_comparison_period_without_responses_has_base_zero_and_no_changes(tmp_path):
    rows = quarter_rows([(2025, 4), (2026, 2), (2026, 3)])      # no 2026 Q1
    path = project(tmp_path, rows)
    study = run(path, period="2026-Q2")
    previous = study.comparison("previous")
    assert (previous.label, previous.base, previous.overall, previous.changes) == ("2026 Q1", 0, {}, {})
    data = json.loads(invoke("score", path, "--period", "2026-Q2").stdout)
    block = next(c for c in data["comparisons"] if c["kind"] == "previous")
    assert (block["base"], block["changes"], block["overall"]) == (0, {}, {})
    assert data["period_change"]["previous"] is None
    assert next(c for c in data["window"]["comparisons"] if c["kind"] == "previous")["base"] == 0


def test_a_baseline_comparison(tmp_path):
    rows = quarter_rows()
    df = frame(rows)
    path = project(tmp_path, rows, report={"baseline": "2025-Q1"})
    study = run(path)
    assert [c.kind for c in study.comparisons] == ["previous", "year_ago", "baseline"]
    baseline = study.comparison("baseline")
    base_rows = in_quarter(df, 2025, 1)["q_nps"]
    assert (baseline.label, baseline.base) == ("2025 Q1", len(base_rows))
    assert baseline.overall["nps"].nps.value == pytest.approx(nps_of(base_rows))
    diff = nps_of(in_quarter(df, 2026, 3)["q_nps"]) - nps_of(base_rows)
    assert baseline.changes["nps"].test.diff == pytest.approx(diff)
    data = json.loads(invoke("score", path).stdout)
    assert [(c["kind"], c["period"], c["base"]) for c in data["window"]["comparisons"]] == [
        ("previous", "2026 Q2", 12), ("year_ago", "2025 Q3", 12), ("baseline", "2025 Q1", 12)]
    # a baseline of several periods, with a rolling window
    year = run(project(tmp_path, rows, name="y", report={"baseline": "2024"}), period="last 4 quarters")
    assert year.comparison("baseline").label == "2024"
    assert year.comparison("baseline").base == len(df[df["date"].dt.year == 2024])


# --------------------------------------------------------------------------- pooling


def driver_rows(seed: int = 2) -> list[list]:
    """Six quarters (2025 Q1 – 2026 Q2), 70–95 respondents each, NPS driven by a1 and a2."""
    rng = random.Random(seed)
    rows = []
    for qi in range(6):
        y, q = 2025 + qi // 4, qi % 4 + 1
        for k in range(70 + 5 * qi):
            a = [rng.randint(1, 5) for _ in range(3)]
            nps = max(0, min(10, round(1.2 * a[0] + 0.8 * a[1] + 0.3 * a[2] + rng.gauss(-1, 1.5))))
            rows.append([f"R{len(rows):05d}", f"{y}-{3 * (q - 1) + 1 + k % 3:02d}-{1 + k % 28:02d}",
                         "North" if k % 3 else "South", nps, rng.randint(1, 5), *a])
    return rows


DRIVER_HEADER = ["resp_id", "response_date", "region", "q_nps", "q_csat", "a1", "a2", "a3"]


def driver_project(tmp_path: Path, name: str, **report) -> Path:
    return write_project(tmp_path / name, csv_text(driver_rows(), DRIVER_HEADER),
                         columns={"comment": None, "attributes": ["a1", "a2", "a3"]},
                         drivers={"outcome": "nps"}, report=report)


def test_pooled_drivers_use_the_last_four_quarters(tmp_path):
    df = pd.DataFrame(driver_rows(), columns=DRIVER_HEADER)
    df["date"] = pd.to_datetime(df["response_date"])
    pooled = run(driver_project(tmp_path, "pooled", pool={"drivers": 4}))
    assert pooled.window.label == "2026 Q2"
    scope = pooled.scope("drivers")
    assert (scope.label, scope.pooled, scope.periods) == ("pooled 2025 Q3 – 2026 Q2", True, 4)
    pooled_rows = between(df, "2025-07-01", "2026-06-30")
    assert pooled.drivers.overall is not None
    assert pooled.drivers.overall.n_rows == len(pooled_rows) == 80 + 85 + 90 + 95
    assert pooled.drivers.overall.pooled and pooled.drivers.overall.period == "pooled 2025 Q3 – 2026 Q2"
    # every other section is still the window
    assert pooled.results.base == len(between(df, "2026-04-01", "2026-06-30")) == 95
    assert pooled.scope("segments").label == "2026 Q2" and not pooled.scope("segments").pooled
    # performance: the window's attribute means
    window_means = {f"a{i}": between(df, "2026-04-01", "2026-06-30")[f"a{i}"].mean() for i in (1, 2, 3)}
    for row in pooled.drivers.overall.rows:
        assert row.mean == pytest.approx(window_means[row.name])
    # the JSON names the pooled run
    from cxreport.export import scores_dict

    assert scores_dict(pooled)["drivers"]["period"] == {"label": "pooled 2025 Q3 – 2026 Q2", "pooled": True,
                                                        "periods": 4}
    # without pooling, the window alone is too small for a driver analysis
    alone = run(driver_project(tmp_path, "alone"))
    assert alone.drivers.overall is None
    assert "report.pool.drivers" in alone.drivers.skipped[0]


def test_pooled_segments_change_the_segment_bases_but_not_the_window(tmp_path):
    rows = quarter_rows()
    df = frame(rows)
    study = run(project(tmp_path, rows, report={"pool": {"segments": 2}}))
    assert study.window.label == "2026 Q3"
    scope = study.scope("segments")
    assert (scope.label, scope.pooled) == ("pooled 2026 Q2 – 2026 Q3", True)
    pooled_rows = between(df, "2026-04-01", "2026-09-30")
    window_rows = in_quarter(df, 2026, 3)
    region = study.results.segments[0]
    bases = {g.label: g.base for g in region.groups}
    assert bases == pooled_rows.groupby("region").size().to_dict()
    for g in region.groups:
        assert g.items["nps"].nps.value == pytest.approx(nps_of(pooled_rows.loc[pooled_rows["region"] == g.label,
                                                                                "q_nps"]))
    assert study.results.base == len(window_rows)
    assert study.results.overall["nps"].nps.value == pytest.approx(nps_of(window_rows["q_nps"]))
    from cxreport.export import scores_dict

    data = scores_dict(study)
    assert data["segments_period"] == {"label": "pooled 2026 Q2 – 2026 Q3", "pooled": True, "periods": 2}
    assert data["sample"]["base"] == len(window_rows)


def test_pooling_asks_for_no_more_than_the_window_holds(tmp_path):
    """A window of four quarters with report.pool.segments: 2 is not pooled further."""
    study = run(project(tmp_path, report={"pool": {"segments": 2}}), period="last 4 quarters")
    scope = study.scope("segments")
    assert (scope.label, scope.pooled) == ("pooled 2025 Q4 – 2026 Q3", False)
    assert sum(g.base for g in study.results.segments[0].groups) == study.results.base == 48
