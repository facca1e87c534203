"""The case log (``cases:``): feedback response times and closed-loop follow-up (docs/cases.md).

Figures are checked against an independent calculation on small hand-made logs; every kind
of bad timestamp is excluded and named by row; `validate` reports what `score` and `build`
would raise; the section renders in the client report and the quarterly review; the JSON
and the workbook carry the same figures.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re

import pandas as pd
import pytest
from click.testing import CliRunner

from cxreport.cli import cli
from cxreport.config import load_project
from cxreport.errors import ConfigError, DataError
from cxreport.load.cases import (BLANK_ID, CLOSED_BEFORE, DUPLICATE, FUTURE, RESPONSE_BEFORE, UNKNOWN_CHANNEL,
                                 UNPARSEABLE, ZONE_MIX, load_cases)
from cxreport.pipeline import run
from cxreport.scoring.response import percentile_rank
from tests.conftest import default_rows, write_project

CASE_HEADER = ["id", "chan", "received", "first", "closed", "resp", "cat", "area"]
STANDARDS = {"Email": "1h", "Phone": "30s"}
Z = 1.959964


def cases_config(**extra) -> dict:
    cfg = {"file": "data/cases.csv",
           "columns": {"case_id": "id", "channel": "chan", "received": "received", "first_response": "first",
                       "closed": "closed", "respondent_id": "resp", "category": "cat",
                       "segments": {"Area": "area"}},
           "standards": dict(STANDARDS), "closure": "2d"}
    cfg.update(extra)
    return cfg


def log_text(rows: list[list]) -> str:
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CASE_HEADER)
    writer.writerows(rows)
    return buf.getvalue()


def stamp(t: dt.datetime | None) -> str:
    return "" if t is None else t.strftime("%Y-%m-%d %H:%M:%S")


# --------------------------------------------------------------------------- a hand-made log

SURVEY = default_rows(60)          # R0000…R0059, 2026-01 … 2026-06; the window is 2026 Q2 (months 4–6)


def _survey_frame() -> pd.DataFrame:
    frame = pd.DataFrame(SURVEY, columns=["resp_id", "response_date", "region", "q_nps", "q_csat", "comment"])
    frame["date"] = pd.to_datetime(frame["response_date"])
    return frame


def hand_log() -> list[list]:
    """Cases in 2026 Q1 and Q2 with chosen response times (seconds), some unanswered, and
    follow-ups of some detractors of the window."""
    rows: list[list] = []
    k = 0

    def add(channel: str, received: dt.datetime, wait: float | None, close: float | None = None,
            resp: str = "", cat: str = "Query", area: str = "North") -> None:
        nonlocal k
        k += 1
        first = None if wait is None else received + dt.timedelta(seconds=wait)
        closed = None if close is None else received + dt.timedelta(seconds=close)
        rows.append([f"C{k:04d}", channel, stamp(received), stamp(first), stamp(closed), resp, cat, area])

    # 2026 Q2 (the window): e-mail waits in minutes, phone waits in seconds.
    email_waits = [5, 12, 30, 45, 59, 60, 61, 90, 120, 15, 20, 25, 35, 50, 240, 8, 9, 70]
    for i, minutes in enumerate(email_waits):
        add("Email", dt.datetime(2026, 4, 1 + i, 10, 0), minutes * 60, close=(1 + i % 4) * 86400,
            cat="Complaint" if i % 3 == 0 else "Query", area="South" if i % 2 else "North")
    add("Email", dt.datetime(2026, 5, 10, 9, 0), None)                  # never answered: a miss
    phone_waits = [3, 10, 29, 30, 31, 45, 12, 8, 60, 25, 5, 90]
    for i, seconds in enumerate(phone_waits):
        add("Phone", dt.datetime(2026, 5, 1 + i, 11, 0), seconds, close=3600 * (1 + i),
            cat="Query", area="North" if i % 2 else "South")
    # 2026 Q1 (the previous period): e-mail mostly on time.
    for i, minutes in enumerate([10, 20, 30, 40, 50, 55, 58, 5, 7, 9, 200, 15]):
        add("Email", dt.datetime(2026, 2, 1 + i, 10, 0), minutes * 60, close=86400)
    for i, seconds in enumerate([5, 6, 7, 40, 8, 9, 10, 11]):
        add("Phone", dt.datetime(2026, 1, 5 + i, 10, 0), seconds, close=3600)
    # Follow-ups of the window's detractors: after their response, some on time, some late.
    survey = _survey_frame()
    window = survey[(survey["date"] >= "2026-04-01") & (survey["date"] <= "2026-06-30")]
    detractors = window[window["q_nps"] <= 6]
    for j, (_, r) in enumerate(detractors.iterrows()):
        day = r["date"].to_pydatetime()
        if j % 3 == 0:
            add("Phone", day + dt.timedelta(days=1, hours=10), 10, resp=r["resp_id"])       # on time
        elif j % 3 == 1:
            add("Email", day + dt.timedelta(days=2, hours=9), 3 * 3600, resp=r["resp_id"])  # late
        else:
            add("Email", day - dt.timedelta(days=3), 60, resp=r["resp_id"])                 # before the response
    # The last stamp of the log (its as-of time): an e-mail received just before it, still
    # inside its hour: pending, not in the base.
    add("Email", dt.datetime(2026, 6, 30, 17, 30), None)
    add("Phone", dt.datetime(2026, 6, 30, 17, 59), 5, close=60)
    return rows


@pytest.fixture(scope="module")
def hand_project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cases")
    return write_project(folder, files={"data/cases.csv": log_text(hand_log())},
                         cases=cases_config(target=80))


@pytest.fixture(scope="module")
def hand_study(hand_project):
    return run(hand_project)


def wilson(x: int, n: int) -> tuple[float, float]:
    p = x / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return 100 * max(0.0, centre - half), 100 * min(1.0, centre + half)


def expected(channel: str | None, quarter: tuple[str, str]) -> dict:
    """Compliance of the hand-made log computed directly from its rows."""
    log = pd.DataFrame(hand_log(), columns=CASE_HEADER)
    for col in ("received", "first", "closed"):
        log[col] = pd.to_datetime(log[col].replace("", None))
    as_of = max(log[c].max() for c in ("received", "first", "closed"))
    limit = log["chan"].map({"Email": 3600, "Phone": 30})
    rows = log[(log["received"] >= quarter[0]) & (log["received"] < quarter[1])]
    if channel:
        rows = rows[rows["chan"] == channel]
    limit = limit[rows.index]
    wait = (rows["first"] - rows["received"]).dt.total_seconds()
    answered = rows["first"].notna()
    late_unanswered = ~answered & ((as_of - rows["received"]).dt.total_seconds() > limit)
    due = int((answered | late_unanswered).sum())
    within = int((answered & (wait <= limit)).sum())
    times = sorted(wait[answered])
    return {"cases": len(rows), "due": due, "within": within, "share": 100 * within / due,
            "interval": wilson(within, due), "median": float(pd.Series(times).median()) if times else None,
            "p90": times[math.ceil(0.9 * len(times)) - 1] if times else None}


Q2 = ("2026-04-01", "2026-07-01")
Q1 = ("2026-01-01", "2026-04-01")


@pytest.mark.parametrize("channel", ["Email", "Phone"])
def test_compliance_and_percentiles_agree_with_a_direct_calculation(hand_study, channel):
    r = hand_study.response
    got = next(c for c in r.channels if c.label == channel)
    want = expected(channel, Q2)
    assert (got.cases, got.due, got.within) == (want["cases"], want["due"], want["within"])
    assert got.share == pytest.approx(want["share"])
    assert (got.low, got.high) == pytest.approx(want["interval"], abs=1e-9)
    assert got.median == pytest.approx(want["median"])
    assert got.p90 == pytest.approx(want["p90"])


def test_pending_cases_are_left_out_and_unanswered_late_ones_count_as_misses(hand_study):
    email = next(c for c in hand_study.response.channels if c.label == "Email")
    assert email.pending == 1                  # received 17:30 on the last day, log ends 17:59
    assert email.cases == email.due + email.pending
    assert email.answered == email.due - 1     # the one never answered is due and missed


def test_change_on_the_previous_period_is_tested(hand_study):
    email = next(c for c in hand_study.response.channels if c.label == "Email")
    now, before = expected("Email", Q2), expected("Email", Q1)
    assert hand_study.response.previous == "2026 Q1"
    assert email.previous == pytest.approx(before["share"])
    assert email.change == pytest.approx(now["share"] - before["share"])
    p1, p2 = now["within"] / now["due"], before["within"] / before["due"]
    pooled = (now["within"] + before["within"]) / (now["due"] + before["due"])
    z = (p1 - p2) / math.sqrt(pooled * (1 - pooled) * (1 / now["due"] + 1 / before["due"]))
    assert email.p_value == pytest.approx(math.erfc(abs(z) / math.sqrt(2)), rel=1e-6)
    # The channels' changes are one table: their p-values are adjusted together (Benjamini–
    # Hochberg by default, METHODS.md §8) and the mark follows the adjusted p-value.
    tested = [c for c in hand_study.response.channels if c.p_value is not None]
    assert len(tested) >= 2
    p_values = sorted(c.p_value for c in tested)
    m = len(p_values)
    rank = p_values.index(email.p_value) + 1
    bh = min(1.0, min(m * p_values[j - 1] / j for j in range(rank, m + 1)))
    assert email.p_adjusted == pytest.approx(bh, rel=1e-12)
    assert email.mark == (0 if bh > 0.05 else (1 if z > 0 else -1))


def test_total_and_trend(hand_study):
    r = hand_study.response
    want = expected(None, Q2)
    assert (r.total.cases, r.total.due, r.total.within) == (want["cases"], want["due"], want["within"])
    assert r.total.median is None and r.total.p90 is None        # no median over a mix of channels
    assert [t["label"] for t in r.trend] == ["2026 Q1", "2026 Q2"]
    q1 = expected(None, Q1)
    assert r.trend[0]["total"].within == q1["within"] and r.trend[0]["total"].due == q1["due"]


def test_status_follows_the_one_rule(hand_study):
    from cxreport.benchmark.targets import status

    for c in hand_study.response.channels:
        assert c.status == status(c.share, 80, 5, "percent")


def test_detractor_follow_up(hand_study):
    survey = _survey_frame()
    window = survey[(survey["date"] >= "2026-04-01") & (survey["date"] <= "2026-06-30")]
    detractors = window[window["q_nps"] <= 6]
    n = len(detractors)
    contacted = sum(1 for j in range(n) if j % 3 in (0, 1))       # the third kind came before the response
    within = sum(1 for j in range(n) if j % 3 == 0)
    f = hand_study.response.follow_up
    assert (f.detractors, f.contacted, f.within) == (n, contacted, within)
    assert f.share == pytest.approx(100 * within / n)
    assert (f.low, f.high) == pytest.approx(wilson(within, n), abs=1e-9)
    assert f.unmatched == 0


def test_backlog_and_ageing(tmp_path):
    rows = [["A1", "Email", "2026-06-01 09:00:00", "2026-06-01 09:10:00", "", "", "", ""],       # open 30 d
            ["A2", "Email", "2026-06-28 09:00:00", "2026-06-28 09:10:00", "", "", "", ""],       # open 3 d
            ["A3", "Email", "2026-06-30 12:00:00", "", "", "", "", ""],                         # open < 1 d
            ["A4", "Email", "2026-06-10 09:00:00", "2026-06-10 09:05:00", "2026-06-11 09:00:00", "", "", ""],
            ["A5", "Phone", "2026-06-20 09:00:00", "2026-06-20 09:00:05", "2026-07-02 09:00:00", "", "", ""],
            ["A6", "Phone", "2026-07-01 09:00:00", "2026-07-01 09:00:05", "", "", "", ""]]       # after the window
    project = write_project(tmp_path, files={"data/cases.csv": log_text(rows)}, cases=cases_config())
    b = run(project).response.backlog
    assert b.at == pd.Timestamp("2026-07-01")
    # A1, A2, A3 open; A5 closed only after the window's end: open then. A6 not yet received.
    assert b.open == 4 and b.by_channel == {"Email": 3, "Phone": 1}
    counts = {(band.label_low, band.label_high): band.count for band in b.bands}
    assert counts[(0.0, 86400.0)] == 1                      # A3 (12 h)
    assert counts[(7 * 86400.0, 14 * 86400.0)] == 1         # A5 (10 d 15 h)
    assert counts[(86400.0, 3 * 86400.0)] == 1 and counts[(3 * 86400.0, 7 * 86400.0)] == 0   # A2: 2 d 15 h
    assert counts[(14 * 86400.0, 30 * 86400.0)] == 1        # A1: 29 d 15 h
    assert b.overdue == 3                                   # open longer than the 2-day closure standard


def test_percentile_rank_is_the_nearest_rank():
    assert percentile_rank([5, 1, 3, 2, 4], 90) == 5
    assert percentile_rank(list(range(1, 11)), 90) == 9
    assert percentile_rank(list(range(1, 21)), 50) == 10
    assert percentile_rank([], 90) is None


# --------------------------------------------------------------------------- timestamps and time zones

def test_offsets_are_converted_and_durations_measured_between_instants(tmp_path):
    rows = [["Z1", "Email", "2026-05-01T09:00:00+01:00", "2026-05-01T08:30:00Z", "", "", "", ""],
            ["Z2", "Email", "2026-05-02T23:30:00-02:00", "2026-05-03T02:00:00+00:00", "", "", "", ""]]
    project = write_project(tmp_path, files={"data/cases.csv": log_text(rows)}, cases=cases_config(),
                            periods={"timezone": "Europe/London"})
    log = load_cases(load_project(project))
    waits = (log.frame["first_response"] - log.frame["received"]).dt.total_seconds().tolist()
    assert waits == [30 * 60, 30 * 60]
    # dated in the project's zone: 23:30 at −02:00 is 02:30 on 3 May in London (BST)
    assert log.frame["local"].dt.date.tolist() == [dt.date(2026, 5, 1), dt.date(2026, 5, 3)]


def test_naive_stamps_are_local_time_across_a_clock_change(tmp_path):
    # London moved from GMT to BST at 01:00 on 29 March 2026: 00:30 → 02:30 is one hour.
    rows = [["D1", "Email", "2026-03-29 00:30:00", "2026-03-29 02:30:00", "", "", "", ""]]
    project = write_project(tmp_path, files={"data/cases.csv": log_text(rows)},
                            cases=cases_config(timezone="Europe/London"))
    log = load_cases(load_project(project))
    assert (log.frame["first_response"] - log.frame["received"]).dt.total_seconds().tolist() == [3600]


BAD_ROWS = [
    # (row written, the reason, words of the message)
    (["B1", "Email", "2026-05-03 10:00:00", "not a time", "", "", "", ""], UNPARSEABLE, "'not a time' is not a timestamp"),
    (["B2", "Email", "", "2026-05-03 10:00:00", "", "", "", ""], UNPARSEABLE, "the received time is blank"),
    (["B3", "Email", "2026-05-04 10:00:00", "2026-05-04 09:00:00", "", "", "", ""], RESPONSE_BEFORE,
     "is before the received time"),
    (["B4", "Email", "2026-05-05 10:00:00", "2026-05-05 10:05:00", "2026-05-04 10:00:00", "", "", ""], CLOSED_BEFORE,
     "is before the received time"),
    (["B5", "Email", "2026-05-06T10:00:00+01:00", "2026-05-06T10:05:00+01:00", "", "", "", ""], ZONE_MIX,
     "has a UTC offset, but most stamps in the log have none"),
    (["B6", "Email", "2099-05-06 10:00:00", "", "", "", "", ""], FUTURE, "is after the time of the build"),
    (["G1", "Email", "2026-05-07 10:00:00", "2026-05-07 10:05:00", "", "", "", ""], DUPLICATE, "is also on row"),
    (["B8", "Fax", "2026-05-08 10:00:00", "2026-05-08 10:05:00", "", "", "", ""], UNKNOWN_CHANNEL,
     "'Fax' has no standard"),
    (["", "Email", "2026-05-08 10:00:00", "2026-05-08 10:05:00", "", "", "", ""], BLANK_ID, "the case id is blank"),
]
GOOD = [[f"G{i}", "Email" if i % 2 else "Phone", f"2026-05-{10 + i:02d} 10:00:00", f"2026-05-{10 + i:02d} 10:00:20",
         "", "", "", ""] for i in range(1, 9)]


@pytest.mark.parametrize("bad,reason,words", BAD_ROWS, ids=[b[1] + "-" + b[0][0] for b in BAD_ROWS])
def test_each_bad_timestamp_is_reported_by_row_and_excluded(tmp_path, bad, reason, words):
    rows = GOOD + [bad]
    project = write_project(tmp_path, files={"data/cases.csv": log_text(rows)}, cases=cases_config())
    log = load_cases(load_project(project))
    bad_row = len(rows) + 1                                  # the header is row 1
    assert log.excluded == {reason: [bad_row]}
    assert log.rows_used == len(GOOD)
    assert (bad[0] or "<blank>") not in set(log.frame["case_id"]) - {"G1"}
    lines = log.warnings()
    assert any(f"excluded ({reason}): row {bad_row}" in line for line in lines), lines
    assert any(line.startswith(f"data/cases.csv: row {bad_row}, ") and words in line for line in lines), lines
    # validate lists it as a warning and still passes; score's JSON counts it
    result = CliRunner().invoke(cli, ["validate", str(project)])
    assert result.exit_code == 0, result.output
    assert f"excluded ({reason}): row {bad_row}" in result.stderr
    scored = CliRunner().invoke(cli, ["score", str(project)])
    assert json.loads(scored.stdout)["response_times"]["excluded"] == {reason: 1}


def test_a_mix_keeps_the_majority_kind(tmp_path):
    rows = [[f"M{i}", "Email", f"2026-05-{10 + i:02d}T10:00:00+01:00", f"2026-05-{10 + i:02d}T10:20:00+01:00",
             "", "", "", ""] for i in range(1, 6)]
    rows.append(["N1", "Email", "2026-05-20 10:00:00", "2026-05-20 10:20:00", "", "", "", ""])
    project = write_project(tmp_path, files={"data/cases.csv": log_text(rows)}, cases=cases_config())
    log = load_cases(load_project(project))
    assert log.excluded == {ZONE_MIX: [7]}
    assert any("has no UTC offset, but most stamps in the log have one" in w for w in log.warnings())


def test_the_report_date_moves_the_future_limit(tmp_path):
    rows = GOOD + [["F1", "Email", "2030-01-02 10:00:00", "", "", "", "", ""]]
    project = write_project(tmp_path, files={"data/cases.csv": log_text(rows)}, cases=cases_config(),
                            report={"date": dt.date(2030, 1, 5)})
    log = load_cases(load_project(project), now=dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc))
    assert FUTURE not in log.excluded and "F1" in set(log.frame["case_id"])


# --------------------------------------------------------------------------- errors: validate promises what build does

def _run(*args):
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stderr


def test_a_missing_column_is_an_error_naming_file_and_column(tmp_path):
    cfg = cases_config()
    cfg["columns"]["channel"] = "chanel"
    project = write_project(tmp_path, files={"data/cases.csv": log_text(GOOD)}, cases=cfg)
    for command in ("validate", "score", "build"):
        code, err = _run(command, str(project), *(["-o", str(tmp_path / "out")] if command == "build" else []))
        assert code == 1
        assert "cases.columns.channel: column 'chanel' not found in data/cases.csv (did you mean 'chan'?)" in err


def test_a_log_without_usable_rows_fails_validate_as_it_fails_build(tmp_path):
    rows = [["X1", "Fax", "2026-05-08 10:00:00", "", "", "", "", ""],
            ["X2", "Email", "yesterday", "", "", "", "", ""]]
    project = write_project(tmp_path, files={"data/cases.csv": log_text(rows)}, cases=cases_config())
    v_code, v_err = _run("validate", str(project))
    b_code, b_err = _run("build", str(project), "-o", str(tmp_path / "out"), "--format", "html")
    assert v_code == b_code == 1
    message = "data/cases.csv: no usable cases (1 channel without a standard, 1 timestamp not readable)"
    assert message in v_err and message in b_err
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_dates_read_both_ways_are_an_error(tmp_path):
    rows = [["D1", "Email", "13/04/2026 10:00", "13/04/2026 10:05", "", "", "", ""],
            ["D2", "Email", "04/14/2026 10:00", "04/14/2026 10:05", "", "", "", ""]]
    project = write_project(tmp_path, files={"data/cases.csv": log_text(rows)}, cases=cases_config())
    with pytest.raises(DataError, match=r"data/cases.csv: column 'received' \(cases.columns.received\) reads dates "
                                        r"both ways: row 2 .* row 3"):
        load_cases(load_project(project))


@pytest.mark.parametrize("settings,words", [
    ({"standards": {"Email": "fast"}}, "'fast' is not a duration"),
    ({"standards": {"Email": 60}}, "write a duration with its unit"),
    ({"standards": {"Email": "1h", " email ": "2h"}}, "are the same"),
    ({"ageing": ["3d", "1d"]}, "ascending"),
    ({"speed": 1}, "speed"),
    ({"timezone": "Mars/Olympus"}, "unknown time zone"),
    ({"file": "data/cases.sav"}, "CSV or Excel"),
])
def test_bad_settings_are_config_errors(tmp_path, settings, words):
    files = {"data/cases.csv": log_text(GOOD), "data/cases.sav": b"x"}
    project = write_project(tmp_path, files=files, cases=cases_config(**settings))
    with pytest.raises(ConfigError) as info:
        load_project(project)
    assert words in str(info.value) + " ".join(info.value.problems)


def test_linking_needs_the_survey_respondent_id(tmp_path):
    project = write_project(tmp_path, files={"data/cases.csv": log_text(GOOD)}, cases=cases_config(),
                            columns={"respondent_id": None})
    with pytest.raises(ConfigError) as info:
        load_project(project)
    assert "columns.respondent_id is not mapped" in " ".join([str(info.value), *info.value.problems])


# --------------------------------------------------------------------------- outputs agree

def _rows_of(html: str, table_class: str) -> list[list[str]]:
    from html.parser import HTMLParser

    class Rows(HTMLParser):
        def __init__(self):
            super().__init__()
            self.inside = 0
            self.rows: list[list[str]] = []
            self.cell: list[str] | None = None

        def handle_starttag(self, tag, attrs):
            if tag == "table" and (table_class in (dict(attrs).get("class") or "").split() or self.inside):
                self.inside += 1
            elif self.inside and tag == "tr":
                self.rows.append([])
            elif self.inside and tag in ("td", "th"):
                self.cell = []

        def handle_endtag(self, tag):
            if tag == "table" and self.inside:
                self.inside -= 1
            elif self.inside and tag in ("td", "th") and self.cell is not None:
                self.rows[-1].append(" ".join("".join(self.cell).split()))
                self.cell = None

        def handle_data(self, data):
            if self.cell is not None:
                self.cell.append(data)

    parser = Rows()
    parser.feed(html)
    return parser.rows


@pytest.fixture(scope="module")
def built(hand_project, tmp_path_factory):
    out = tmp_path_factory.mktemp("built")
    for args in (["--format", "html,xlsx"], ["--format", "html", "--report", "quarterly"]):
        result = CliRunner().invoke(cli, ["build", str(hand_project), "-o", str(out), *args])
        assert result.exit_code == 0, result.output
    scored = CliRunner().invoke(cli, ["score", str(hand_project)])
    return out, json.loads(scored.stdout)


def test_the_section_renders_in_the_client_report_and_the_quarterly_review(built):
    from cxreport.present.formatting import pct

    out, scores = built
    channels = scores["response_times"]["channels"]
    for name in ("report.html", "report-quarterly.html"):
        html = (out / name).read_text(encoding="utf-8")
        assert 'id="response_times"' in html or 'id="response-times"' in html
        rows = _rows_of(html, "rt-compliance")
        assert rows[0][:4] == ["Channel", "Standard", "Cases", "Within standard"]
        body = {r[0]: r for r in rows[1:]}
        for c in channels:
            row = body[c["label"]]
            assert row[2] == str(c["cases"])
            assert row[3].startswith(pct(c["within_pct"]))
        assert body["Email"][1] == "1 h" and body["Phone"][1] == "30 s"
        assert "Follow-up of detractors" in html and "Backlog at" in html
    client = (out / "report.html").read_text(encoding="utf-8")
    assert client.index('id="comments"') < client.index('id="response_times"')
    assert 'href="#response_times"' in client                     # in the contents


def test_json_and_workbook_carry_the_same_figures(built, hand_study):
    import openpyxl

    out, scores = built
    r = scores["response_times"]
    assert r["period"] == "2026 Q2" and r["previous_period"] == "2026 Q1"
    email = next(c for c in r["channels"] if c["label"] == "Email")
    study_email = next(c for c in hand_study.response.channels if c.label == "Email")
    assert email["within_pct"] == pytest.approx(study_email.share, abs=1e-6)
    assert r["detractor_follow_up"]["within"] == hand_study.response.follow_up.within
    ws = openpyxl.load_workbook(out / "report.xlsx")["Response times"]
    header = [c.value for c in ws[1]]
    sheet = {(row[0], row[1]): dict(zip(header, row)) for row in ws.iter_rows(min_row=2, values_only=True) if row[1]}
    for c in r["channels"]:
        row = sheet[("Channel", c["label"])]
        assert row["Cases"] == c["cases"] and row["Due"] == c["due"] and row["Within standard"] == c["within"]
        assert row["Within standard %"] == pytest.approx(c["within_pct"])
        assert row["Median (s)"] == pytest.approx(c["median_seconds"])
        assert row["P90 (s)"] == pytest.approx(c["p90_seconds"])
    for group in r["breakdowns"][0]["groups"]:
        assert sheet[("Category", group["label"])]["Cases"] == group["cases"]


def test_the_deck_has_one_slide_with_the_table(hand_project, tmp_path):
    from pptx import Presentation

    result = CliRunner().invoke(cli, ["build", str(hand_project), "-o", str(tmp_path), "--format", "pptx"])
    assert result.exit_code == 0, result.output
    prs = Presentation(tmp_path / "report.pptx")
    slides = [s for s in prs.slides
              if any(sh.name == "Section" and sh.text_frame.text.startswith("Response times") for sh in s.shapes)]
    assert len(slides) == 1
    table = next(sh for sh in slides[0].shapes if sh.has_table).table
    first = [c.text for c in table.rows[1].cells]
    assert first[0] == "Email" and first[1] == "1 h"
    for shape in slides[0].shapes:
        assert shape.left + shape.width <= prs.slide_width + 1 and shape.top + shape.height <= prs.slide_height + 1


def test_no_case_log_no_section(tmp_path):
    project = write_project(tmp_path)
    study = run(project)
    assert study.response is None
    scored = CliRunner().invoke(cli, ["score", str(project)])
    assert json.loads(scored.stdout)["response_times"] is None


def test_a_unit_report_keeps_the_units_cases(hand_project):
    from cxreport.scoring.response import score_response_times

    study = run(hand_project)
    log = load_cases(study.project)
    north = score_response_times(log, study.project, study.window, segment=("Area", "North"))
    frame = log.frame
    assert north.total.cases == int(((frame["seg:Area"] == "North")
                                     & (frame["local"] >= "2026-04-01") & (frame["local"] < "2026-07-01")).sum())
    assert score_response_times(log, study.project, study.window, segment=("Region", "North")) is None


def test_the_warning_lines_name_the_case_file(tmp_path):
    rows = GOOD + [["B9", "Email", "2026-05-04 10:00:00", "2026-05-04 09:00:00", "", "", "", ""]]
    project = write_project(tmp_path, files={"data/cases.csv": log_text(rows)}, cases=cases_config())
    study = run(project)
    lines = [w for w in study.validation.warnings() if w.startswith("data/cases.csv")]
    assert lines and all(re.match(r"data/cases\.csv: ", w) for w in lines)


def test_the_section_names_what_moved_significantly(hand_project):
    from cxreport.present.context import response_context

    study = run(hand_project)
    ctx = response_context(study, None, client_charts=False)
    moved = [c for c in study.response.channels if c.mark]
    if moved:
        for c in moved:
            assert c.label in ctx["summary"] and ("up from" if c.mark > 0 else "down from") in ctx["summary"]
    else:
        assert ctx["summary"] == "No channel's share within its standard changed significantly on 2026 Q1."
    # a log whose e-mail fell from always on time to never: named as a significant fall
    rows = [[f"P{i}", "Email", f"2026-02-{1 + i:02d} 10:00:00", f"2026-02-{1 + i:02d} 10:05:00", "", "", "", ""]
            for i in range(20)]
    rows += [[f"N{i}", "Email", f"2026-05-{1 + i:02d} 10:00:00", f"2026-05-{1 + i:02d} 13:00:00", "", "", "", ""]
             for i in range(20)]
    project = write_project(hand_project.parent / "fell", files={"data/cases.csv": log_text(rows)},
                            cases=cases_config())
    ctx = response_context(run(project), None, client_charts=False)
    assert ctx["summary"] == "Significant changes: Email: 0% within 1 h, down from 100% in 2026 Q1."
