"""Mystery-shopping follow-through (issue 14 part 4): follow-up actions opened by failed
critical items and consecutive failures, `shop actions list/show/update`, appeals
(`shop appeal file/decide/list`) and what they change — scores, reports, status, export.

A small programme (tests/shop_helpers.py) scored by hand:

- Q1, Q2, Q7 yes/no (1 point; Q7 allows N/A), Q3 yes/no critical (fail), Q4 numeric
  (phone only, 2 points at most 20 s), Q5 scale (Good 2, Poor 0), Q6 text.
- A branch visit answering everything well earns 6 of 6 points; Q5 = Poor gives 4 / 6 =
  66.7 %; Q2 = no gives 5 / 6 = 83.3 %.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from shop_helpers import numeric, scale, section, write_programme, yes_no

from cxreport.cli import cli
from cxreport.shop import commands, followup
from cxreport.shop.ledger import Ledger
from cxreport.shop.loadprog import load_programme

SECTIONS = [
    section("S1", [yes_no("Q1"), yes_no("Q2"), yes_no("Q3", critical={"action": "fail"}),
                   numeric("Q4", threshold=20, points=2, unit="seconds", channels=["phone"])]),
    section("S2", [scale("Q5", [("Good", 2), ("Poor", 0)]), {"id": "Q6", "text": "Notes?", "type": "text",
                                                               "required": False},
                   yes_no("Q7", na_allowed=True)]),
]
GOOD = {"Q1": "yes", "Q2": "yes", "Q3": "yes", "Q5": "Good", "Q7": "yes"}


def shop(*args):
    return CliRunner().invoke(cli, ["shop", *[str(a) for a in args]])


def ok(result) -> str:
    assert result.exit_code == 0, (result.exit_code, result.output)
    return result.stdout


def one_error(result, *words: str) -> str:
    assert result.exit_code == 1, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    for word in words:
        assert word in errors[0], errors[0]
    return errors[0]


def visit(vid: str, loc: str, wave: str, date: str, channel: str = "branch", **answers) -> dict:
    data = dict(GOOD)
    if channel == "phone":
        data["Q4"] = "10"
    data.update(answers)
    return {"visit_id": vid, "location_id": loc, "shopper_id": "SH-1", "wave": wave, "channel": channel,
            "visit_date": date, "start_time": "10:00", "end_time": "10:20", "answers": data}


class Programme:
    """A programme folder; visits are submitted as JSON files through the CLI."""

    def __init__(self, folder: Path, **kwargs):
        self.folder = folder
        self.path = write_programme(folder, SECTIONS, **kwargs)
        self.n = 0

    @property
    def prog(self):
        return load_programme(self.path)

    def submit(self, *visits: dict, replace: str | None = None) -> str:
        files = []
        for v in visits:
            self.n += 1
            path = self.folder / f"{self.n:03d}-{v['visit_id']}.json"
            path.write_text(json.dumps(v), encoding="utf-8")
            files.append(path)
        extra = ["--replace", "--reason", replace] if replace else []
        return ok(shop("submit", self.path, *files, *extra, "--by", "tester"))

    def actions(self, **kw) -> list[dict]:
        return followup.list_actions(self.prog, **kw)

    def db(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.folder / "ledger.sqlite")
        conn.row_factory = sqlite3.Row
        return conn


@pytest.fixture
def p(tmp_path) -> Programme:
    return Programme(tmp_path / "prog")


def score_of(p: Programme, visit_id: str) -> float:
    res = commands.results(p.prog)
    return float(res.visits.set_index("visit_id").loc[visit_id, "score"])


# --------------------------------------------------------------------------- opening actions


def test_a_failed_critical_item_opens_one_action_with_owner_due_date_and_history(p):
    p.submit(visit("V1", "L1", "W1", "2026-01-10", Q3="no"), visit("V2", "L3", "W1", "2026-01-12"))
    [a] = p.actions()
    assert (a["id"], a["location_id"], a["item"], a["trigger"], a["status"]) == ("A-0001", "L1", "Q3", "critical", "open")
    assert a["visits"] == ["V1"]
    assert a["owner"] == "Ann"                                  # locations.csv: L1's manager
    assert a["due"] == dt.date(2026, 2, 9)                      # visit date + 30 days
    assert a["overdue"] is True                                 # 2026-02-09 is long past
    a2, log = followup.action_history(p.prog, "A-0001")
    assert [(r["event"], r["status"], r["by"]) for r in log] == [("opened", "open", "tester")]
    assert "critical item Q3 failed at visit V1" in log[0]["note"]


def test_due_days_and_consecutive_waves_come_from_the_programme_file(tmp_path):
    p = Programme(tmp_path / "prog")
    data = p.path.read_text(encoding="utf-8") + "follow_up:\n  due_days: 14\n  consecutive_waves: 3\n"
    p.path.write_text(data, encoding="utf-8")
    p.submit(visit("V1", "L1", "W1", "2026-01-10", Q3="no"))
    assert p.actions()[0]["due"] == dt.date(2026, 1, 24)
    # Q2 failed at L3 in W1 and W2: not yet three waves in a row.
    p.submit(visit("V2", "L3", "W1", "2026-01-11", Q2="no"), visit("V3", "L3", "W2", "2026-02-11", Q2="no"))
    assert [a["item"] for a in p.actions()] == ["Q3"]
    p.submit(visit("V4", "L3", "W3", "2026-03-11", Q2="no"))
    assert [(a["item"], a["trigger"], a["visits"]) for a in p.actions()][1] == ("Q2", "consecutive", ["V2", "V3", "V4"])


def test_bad_follow_up_settings_are_one_line_naming_the_key(tmp_path):
    p = Programme(tmp_path / "prog")
    p.path.write_text(p.path.read_text(encoding="utf-8") + "follow_up:\n  due_days: 0\n  consecutive: 2\n",
                      encoding="utf-8")
    result = shop("status", p.path)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "follow_up.due_days" in result.output and "follow_up.consecutive" in result.output


def test_consecutive_failures_need_more_than_half_of_the_visits_in_each_of_two_waves(p):
    p.submit(
        # L1: Q2 failed on both W1 visits and on 2 of 3 W2 visits → an action.
        visit("A1", "L1", "W1", "2026-01-05", Q2="no"), visit("A2", "L1", "W1", "2026-01-06", Q2="no"),
        visit("A3", "L1", "W2", "2026-02-05", Q2="no"), visit("A4", "L1", "W2", "2026-02-06", Q2="no"),
        visit("A5", "L1", "W2", "2026-02-07"),
        # L3: Q2 failed on 1 of 2 visits in W1 and in W2 → half is not more than half: none.
        visit("C1", "L3", "W1", "2026-01-05", Q2="no"), visit("C2", "L3", "W1", "2026-01-06"),
        visit("C3", "L3", "W2", "2026-02-05", Q2="no"), visit("C4", "L3", "W2", "2026-02-06"),
        # L2 (phone): Q1 failed in W1 and W3 but not W2: not consecutive.
        visit("B1", "L2", "W1", "2026-01-05", "phone", Q1="no"), visit("B2", "L2", "W2", "2026-02-05", "phone"),
        visit("B3", "L2", "W3", "2026-03-05", "phone", Q1="no"),
    )
    actions = p.actions()
    assert [(a["location_id"], a["item"], a["trigger"]) for a in actions] == [("L1", "Q2", "consecutive")]
    assert actions[0]["visits"] == ["A1", "A2", "A3", "A4"]
    # Each visit is its own file: A3 opened the action (A1–A3 failing), A4 joined it; the due
    # date is A3's date + 30 days and does not move when a visit joins.
    assert actions[0]["due"] == dt.date(2026, 3, 7)
    assert actions[0]["owner"] == "Ann"


def test_scoring_again_never_duplicates_an_action(p):
    first = visit("V1", "L1", "W1", "2026-01-10", Q3="no", Q2="no")
    p.submit(first, visit("V2", "L1", "W1", "2026-01-11", Q2="no"), visit("V3", "L1", "W2", "2026-02-11", Q2="no"))
    before = [(a["id"], a["item"], a["visits"]) for a in p.actions()]
    assert len(before) == 2
    ok(shop("rescore", p.path))
    ok(shop("rescore", p.path, "--reason", "again"))
    # The same file again (unchanged) and the same visit replaced by the same answers.
    again = p.folder / "001-V1.json"
    assert "unchanged" in ok(shop("submit", p.path, again))
    p.submit(dict(first, comments="resent"), replace="resent by the shopper")
    after = p.actions()
    assert [(a["id"], a["item"]) for a in after] == [(i, item) for i, item, _v in before]
    with p.db() as conn:
        assert conn.execute("SELECT COUNT(*) FROM actions").fetchone()[0] == 2
        # The replacement still fails Q3: it joins the live action, which stays open.
        events = [r[0] for r in conn.execute("SELECT event FROM action_log WHERE action_id = 1 ORDER BY id")]
    assert events == ["opened", "visits added"]
    assert after[0]["status"] == "open"


def test_a_live_action_takes_new_failures_and_a_closed_one_gives_way_to_a_new_action(p):
    p.submit(visit("V1", "L1", "W1", "2026-01-10", Q3="no"))
    p.submit(visit("V2", "L1", "W1", "2026-01-20", Q3="no"))
    [a] = p.actions()
    assert a["visits"] == ["V1", "V2"]
    ok(shop("actions", "update", p.path, "A-0001", "--status", "done", "--note", "Team retrained"))
    p.submit(visit("V3", "L1", "W2", "2026-02-10", Q3="no"))
    actions = p.actions()
    assert [(a["id"], a["status"], a["visits"]) for a in actions] == [
        ("A-0001", "done", ["V1", "V2"]), ("A-0002", "open", ["V3"])]


def test_a_replaced_visit_that_no_longer_fails_drops_its_action_with_a_note(p):
    bad = visit("V1", "L1", "W1", "2026-01-10", Q3="no")
    p.submit(bad)
    p.submit(dict(bad, answers=dict(GOOD)), replace="shopper misread the question")
    [a] = p.actions()
    assert a["status"] == "dropped"
    _a, log = followup.action_history(p.prog, "A-0001")
    assert log[-1]["event"] == "dropped automatically"
    assert "visit V1 was replaced" in log[-1]["note"]


# --------------------------------------------------------------------------- updating actions


def test_update_keeps_every_step_in_the_history(p):
    p.submit(visit("V1", "L1", "W1", "2026-01-10", Q3="no"))
    out = ok(shop("actions", "update", p.path, "a1", "--status", "in-progress", "--note", "Briefing booked",
                  "--by", "Ann"))
    assert out.startswith("A-0001: in progress, owner Ann, due 2026-02-09")
    ok(shop("actions", "update", p.path, "A-0001", "--owner", "Regional lead", "--due", "2099-12-31", "--by", "Zoe"))
    ok(shop("actions", "update", p.path, "1", "--note", "Half the team done", "--by", "Ann"))
    ok(shop("actions", "update", p.path, "A 0001", "--status", "done", "--note", "All done", "--by", "Ann"))
    a, log = followup.action_history(p.prog, "A-0001")
    assert (a["status"], a["owner"], a["due"], a["overdue"]) == ("done", "Regional lead", dt.date(2099, 12, 31), False)
    assert [(r["by"], r["event"], r["status"], r["owner"], r["due"], r["note"]) for r in log] == [
        ("tester", "opened", "open", "Ann", "2026-02-09", log[0]["note"]),
        ("Ann", "updated", "in progress", "Ann", "2026-02-09", "Briefing booked"),
        ("Zoe", "updated", "in progress", "Regional lead", "2099-12-31", ""),
        ("Ann", "updated", "in progress", "Regional lead", "2099-12-31", "Half the team done"),
        ("Ann", "updated", "done", "Regional lead", "2099-12-31", "All done"),
    ]
    shown = ok(shop("actions", "show", p.path, "A-0001"))
    assert "Briefing booked" in shown and "Half the team done" in shown and shown.count("updated") == 4


def test_update_errors_are_one_line(p):
    p.submit(visit("V1", "L1", "W1", "2026-01-10", Q3="no"), visit("V2", "L3", "W1", "2026-01-10", Q3="no"))
    one_error(shop("actions", "update", p.path, "A-0009", "--status", "done"), "no follow-up action 'A-0009'",
              "A-0001 to A-0002")
    one_error(shop("actions", "update", p.path, "B-1", "--status", "done"), "no follow-up action 'B-1'")
    one_error(shop("actions", "update", p.path, "A-0001", "--status", "finished"), "--status 'finished'",
              "open, in-progress, done or dropped")
    one_error(shop("actions", "update", p.path, "A-0001", "--status", "don"), "did you mean 'done'")
    one_error(shop("actions", "update", p.path, "A-0001", "--due", "31/12/2026"), "--due '31/12/2026'", "YYYY-MM-DD")
    one_error(shop("actions", "update", p.path, "A-0001", "--status", "dropped"), "needs --note")
    one_error(shop("actions", "update", p.path, "A-0001"), "nothing to update")
    one_error(shop("actions", "update", p.path, "A-0001", "--status", "open"), "already open")
    with p.db() as conn:
        assert conn.execute("SELECT COUNT(*) FROM action_log").fetchone()[0] == 2      # the two openings only


def test_a_closed_action_cannot_be_reopened_beside_a_live_one(p):
    p.submit(visit("V1", "L1", "W1", "2026-01-10", Q3="no"))
    ok(shop("actions", "update", p.path, "A-0001", "--status", "dropped", "--note", "shopper error"))
    p.submit(visit("V2", "L1", "W2", "2026-02-10", Q3="no"))
    one_error(shop("actions", "update", p.path, "A-0001", "--status", "open"), "A-0002 is already live")
    ok(shop("actions", "update", p.path, "A-0002", "--status", "done", "--note", "fixed"))
    ok(shop("actions", "update", p.path, "A-0001", "--status", "open", "--note", "reopened"))


def test_list_filters_and_table(p):
    p.submit(visit("V1", "L1", "W1", "2026-01-10", Q3="no"), visit("V2", "L3", "W1", "2026-01-10", Q3="no"))
    ok(shop("actions", "update", p.path, "A-0002", "--status", "done", "--note", "ok"))
    out = ok(shop("actions", p.path))                         # `shop actions PROGRAMME` lists
    lines = out.splitlines()
    assert lines[0].split("\t") == ["id", "status", "due", "location", "item", "trigger", "owner", "visits"]
    assert lines[1].split("\t") == ["A-0001", "open (overdue)", "2026-02-09", "L1", "Q3", "critical", "Ann", "V1"]
    assert lines[2].split("\t")[:2] == ["A-0002", "done"]
    assert len(lines) == 3
    assert [ln.split("\t")[0] for ln in ok(shop("actions", "list", p.path, "--status", "open")).splitlines()[1:]] == [
        "A-0001"]
    assert [ln.split("\t")[0] for ln in ok(shop("actions", "list", p.path, "--location", "l3")).splitlines()[1:]] == [
        "A-0002"]
    assert len(ok(shop("actions", "list", p.path, "--status", "overdue")).splitlines()) == 2
    one_error(shop("actions", "list", p.path, "--location", "L4"), "--location 'L4'", "(locations: L1, L2, L3)")
    one_error(shop("actions", "list", p.path, "--location", "L11"), "did you mean 'L1'")


def test_the_history_and_decisions_cannot_be_edited_even_in_sql(p):
    p.submit(visit("V1", "L1", "W1", "2026-01-10", Q5="Poor"))
    ok(shop("appeal", p.path, "V1", "--item", "Q5", "--reason", "r"))
    ok(shop("appeal", "decide", p.path, "AP-0001", "--reject", "--note", "n"))
    p.submit(visit("V2", "L1", "W1", "2026-01-10", Q3="no"))
    with p.db() as conn:
        for sql in ("UPDATE action_log SET note = 'x'", "DELETE FROM action_log",
                    "UPDATE appeals SET status = 'upheld'", "DELETE FROM appeals"):
            with pytest.raises(sqlite3.IntegrityError):
                conn.execute(sql)


# --------------------------------------------------------------------------- appeals


def test_an_upheld_appeal_rescores_the_visit_in_a_new_run_and_keeps_the_original(p):
    p.submit(visit("V-1", "L1", "W1", "2026-01-10", Q5="Poor"), visit("V-2", "L3", "W1", "2026-01-10", Q2="no"))
    assert score_of(p, "V-1") == pytest.approx(400 / 6)
    out = ok(shop("appeal", "file", p.path, "v\u20131", "--item", "q5", "--reason", "Staff asked four questions",
                  "--by", "Ann"))
    assert out.startswith("AP-0001: appeal against item Q5 of visit V-1 (answer 'Poor') filed by Ann")
    assert score_of(p, "V-1") == pytest.approx(400 / 6)         # filing changes nothing
    out = ok(shop("appeal", "decide", p.path, "ap1", "--uphold", "--note", "Recording confirms it", "--by", "QA"))
    assert "AP-0001: upheld; item Q5 of visit V-1: 'Poor' → 'Good'" in out
    assert "Scoring run #2: visit V-1 66.7% → 100.0%" in out
    assert score_of(p, "V-1") == pytest.approx(100.0)
    assert score_of(p, "V-2") == pytest.approx(500 / 6)
    with p.db() as conn:
        runs = conn.execute("SELECT id, reason FROM runs ORDER BY id").fetchall()
        assert [r[1] for r in runs][1] == "appeal AP-0001 upheld: visit V-1, item Q5"
        scores = {(r[0], r[1]): r[2] for r in conn.execute(
            "SELECT s.run_id, v.visit_id, s.score FROM scores s JOIN visits v ON v.id = s.visit_row")}
        assert scores[(1, "V-1")] == pytest.approx(400 / 6) and scores[(2, "V-1")] == pytest.approx(100.0)
        assert scores[(1, "V-2")] == scores[(2, "V-2")]
        data = json.loads(conn.execute("SELECT data FROM visits WHERE visit_id = 'V-1'").fetchone()[0])
        assert data["answers"]["Q5"]["value"] == "Poor"        # the submitted answer is kept
        row = conn.execute("SELECT status, answer, original, decided_by, note, run_id FROM appeals").fetchone()
        assert tuple(row) == ("upheld", "Good", "Poor", "QA", "Recording confirms it", 2)
    # A rescore keeps the upheld answer.
    ok(shop("rescore", p.path))
    assert score_of(p, "V-1") == pytest.approx(100.0)
    # Decided once.
    one_error(shop("appeal", "decide", p.path, "AP-0001", "--reject", "--note", "changed my mind"),
              "AP-0001 was already upheld", "a decision is final")


def test_a_rejected_appeal_changes_no_score(p):
    p.submit(visit("V1", "L1", "W1", "2026-01-10", Q5="Poor"))
    ok(shop("appeal", p.path, "V1", "--item", "Q5", "--reason", "We disagree"))
    out = ok(shop("appeal", "decide", p.path, "AP-0001", "--reject", "--note", "Recording shows no questions"))
    assert out.startswith("AP-0001: rejected; item Q5 of visit V1 keeps its answer 'Poor'")
    assert score_of(p, "V1") == pytest.approx(400 / 6)
    with p.db() as conn:
        assert conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1
    listed = ok(shop("appeal", "list", p.path)).splitlines()
    assert listed[1].split("\t")[:7] == ["AP-0001", "rejected", "V1", "L1", "Q5", "Poor", "-"]


def test_an_upheld_appeal_drops_the_action_its_failure_opened(p):
    p.submit(visit("V1", "L1", "W1", "2026-01-10", Q3="no"))
    assert score_of(p, "V1") == pytest.approx(500 / 6)          # failed outright, score still reported
    assert commands.results(p.prog).visits.iloc[0]["status"] == "failed — critical"
    ok(shop("appeal", p.path, "V1", "--item", "Q3", "--reason", "ID was checked at the door"))
    out = ok(shop("appeal", "decide", p.path, "AP-0001", "--uphold", "--note", "CCTV shows it"))
    assert "1 dropped" in out
    res = commands.results(p.prog)
    assert res.visits.iloc[0]["status"] == "pass" and res.visits.iloc[0]["score"] == pytest.approx(100.0)
    [a] = p.actions()
    assert a["status"] == "dropped"
    _a, log = followup.action_history(p.prog, "A-0001")
    assert "appeal AP-0001 on visit V1 was upheld" in log[-1]["note"]


def test_uphold_with_an_answer_and_its_validation(p):
    p.submit(visit("P1", "L2", "W1", "2026-01-10", "phone", Q4="25", Q7="no"))
    ok(shop("appeal", p.path, "P1", "--item", "Q4", "--reason", "Switch log: 15 s"))
    ok(shop("appeal", p.path, "P1", "--item", "Q7", "--reason", "Not applicable on the phone"))
    one_error(shop("appeal", "decide", p.path, "AP-0001", "--uphold", "--note", "x"), "--answer is needed", "numeric")
    one_error(shop("appeal", "decide", p.path, "AP-0001", "--uphold", "--answer", "fast", "--note", "x"),
              "--answer 'fast' for item Q4", "not a number")
    one_error(shop("appeal", "decide", p.path, "AP-0001", "--uphold", "--answer", "25", "--note", "x"),
              "already has the answer '25'")
    one_error(shop("appeal", "decide", p.path, "AP-0001", "--reject", "--answer", "15", "--note", "x"),
              "--answer goes with --uphold")
    result = shop("appeal", "decide", p.path, "AP-0001", "--note", "x")
    assert result.exit_code == 2 and "give --uphold or --reject" in result.output
    # Points: Q1 Q2 Q3 Q5(2) Q7 = 6 of 8 with Q4 failed (25 s > 20 s) and Q7 = no → 5 / 8.
    assert score_of(p, "P1") == pytest.approx(500 / 8)
    ok(shop("appeal", "decide", p.path, "AP-0001", "--uphold", "--answer", "15", "--note", "log confirms"))
    assert score_of(p, "P1") == pytest.approx(700 / 8)
    ok(shop("appeal", "decide", p.path, "AP-0002", "--uphold", "--answer", "N/A", "--note", "agreed"))
    assert score_of(p, "P1") == pytest.approx(700 / 7)          # N/A leaves both earned and possible points
    with p.db() as conn:
        assert [r[0] for r in conn.execute("SELECT reason FROM runs ORDER BY id")][1:] == [
            "appeal AP-0001 upheld: visit P1, item Q4", "appeal AP-0002 upheld: visit P1, item Q7"]


def test_appeal_errors_are_one_line_with_did_you_mean(p):
    p.submit(visit("V-W1-0001", "L1", "W1", "2026-01-10", Q5="Poor"))
    one_error(shop("appeal", p.path, "V-W1-0002", "--item", "Q5", "--reason", "r"),
              "no accepted visit 'V-W1-0002'", "did you mean 'V-W1-0001'")
    one_error(shop("appeal", p.path, "V-W1-0001", "--item", "Q55", "--reason", "r"), "--item 'Q55'",
              "did you mean 'Q5'")
    one_error(shop("appeal", p.path, "V-W1-0001", "--item", "Q6", "--reason", "r"), "text item")
    one_error(shop("appeal", p.path, "V-W1-0001", "--item", "Q4", "--reason", "r"), "does not apply to branch visits")
    one_error(shop("appeal", p.path, "V-W1-0001", "--item", "Q5", "--reason", "  "), "--reason is required")
    ok(shop("appeal", p.path, "V-W1-0001", "--item", "Q5", "--reason", "r"))
    one_error(shop("appeal", p.path, "v-w1-0001", "--item", "Q5", "--reason", "again"), "already appealed (AP-0001")
    one_error(shop("appeal", "decide", p.path, "AP-0007", "--reject", "--note", "n"), "no appeal 'AP-0007'",
              "AP-0001 to AP-0001")
    # A visit replaced after the appeal was filed cannot be changed by it.
    p.submit(visit("V-W1-0001", "L1", "W1", "2026-01-10"), replace="corrected")
    one_error(shop("appeal", "decide", p.path, "AP-0001", "--uphold", "--note", "n"), "was superseded")
    one_error(shop("appeal", p.path, "V-W1-0003", "--item", "Q5", "--reason", "r"), "no accepted visit")


def test_no_ledger_yet_is_one_line(p):
    one_error(shop("actions", "list", p.path), "no ledger yet")
    one_error(shop("appeal", p.path, "V1", "--item", "Q1", "--reason", "r"), "no ledger yet")


def test_a_settings_change_records_the_decision_and_leaves_scoring_to_rescore(p):
    p.submit(visit("V1", "L1", "W1", "2026-01-10", Q5="Poor"))
    ok(shop("appeal", p.path, "V1", "--item", "Q5", "--reason", "r"))
    p.path.write_text(p.path.read_text(encoding="utf-8") + "scoring:\n  pass_mark: 70\n", encoding="utf-8")
    result = shop("appeal", "decide", p.path, "AP-0001", "--uphold", "--note", "n")
    assert result.exit_code == 0, result.output
    assert "run `cxreport shop rescore`" in result.stderr
    ok(shop("rescore", p.path))
    assert score_of(p, "V1") == pytest.approx(100.0)


def test_an_older_ledger_gains_the_tables(p):
    p.submit(visit("V1", "L1", "W1", "2026-01-10", Q5="Poor"))
    with p.db() as conn:                    # as a ledger made before follow-up existed
        for name in ("action_log_kept", "action_log_not_deleted", "appeal_decided_once", "appeal_not_deleted"):
            conn.execute(f"DROP TRIGGER {name}")
        for table in ("action_visits", "action_log", "actions", "appeals"):
            conn.execute(f"DROP TABLE {table}")
    out = ok(shop("status", p.path))
    assert "Follow-up actions: 0 open, 0 in progress, 0 done, 0 dropped" in out
    assert "A-0001" not in ok(shop("actions", "list", p.path))
    ok(shop("export", p.path, "-o", p.folder / "x.xlsx"))
    with p.db() as conn:                    # reading commands write nothing to it
        assert conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'actions'").fetchone()[0] == 0
    ok(shop("appeal", p.path, "V1", "--item", "Q5", "--reason", "r"))
    with p.db() as conn:
        assert conn.execute("SELECT COUNT(*) FROM appeals").fetchone()[0] == 1
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        with pytest.raises(sqlite3.IntegrityError):         # the triggers came with the tables
            conn.execute("DELETE FROM appeals")


# --------------------------------------------------------------------------- status, export, reports


def _scenario(p: Programme) -> None:
    p.submit(visit("V1", "L1", "W1", "2026-01-10", Q3="no"), visit("V2", "L3", "W1", "2026-01-10", Q5="Poor"),
             visit("V3", "L3", "W2", "2026-02-10", Q3="no"), visit("V4", "L1", "W2", "2026-02-10", Q2="no"))
    ok(shop("actions", "update", p.path, "A-0002", "--status", "in-progress", "--due", "2099-01-31",
            "--note", "Coaching <b>booked</b>"))
    ok(shop("appeal", p.path, "V2", "--item", "Q5", "--reason", "Staff asked <i>four</i> questions", "--by", "Cat"))
    ok(shop("appeal", "decide", p.path, "AP-0001", "--uphold", "--note", "Recording confirms", "--by", "QA"))
    ok(shop("appeal", p.path, "V4", "--item", "Q2", "--reason", "Name badge was worn", "--by", "Ann"))


def test_status_counts_actions_and_appeals(p):
    _scenario(p)
    out = ok(shop("status", p.path))
    assert "Follow-up actions: 1 open, 1 in progress (1 overdue), 0 done, 0 dropped" in out
    assert "Appeals: 1 open, 1 upheld, 0 rejected" in out


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_has_actions_history_and_appeals(p, tmp_path, fmt):
    _scenario(p)
    out = tmp_path / ("x.xlsx" if fmt == "xlsx" else "x")
    ok(shop("export", p.path, "--format", fmt, "-o", out))
    if fmt == "xlsx":
        book = openpyxl.load_workbook(out)
        assert {"actions", "action_history", "appeals"} <= set(book.sheetnames)
        sheet = {name: list(book[name].iter_rows(values_only=True)) for name in ("actions", "action_history", "appeals")}
    else:
        import csv

        sheet = {}
        for name in ("actions", "action_history", "appeals"):
            with (tmp_path / f"x_{name}.csv").open(encoding="utf-8") as handle:
                sheet[name] = [tuple(r) for r in csv.reader(handle)]
    actions = [dict(zip(sheet["actions"][0], r)) for r in sheet["actions"][1:]]
    assert [(a["action_id"], a["location_id"], a["item_id"], a["status"]) for a in actions] == [
        ("A-0001", "L1", "Q3", "open"), ("A-0002", "L3", "Q3", "in progress")]
    history = [dict(zip(sheet["action_history"][0], r)) for r in sheet["action_history"][1:]]
    assert [(h["action_id"], h["event"]) for h in history] == [("A-0001", "opened"), ("A-0002", "opened"),
                                                               ("A-0002", "updated")]
    appeals = [dict(zip(sheet["appeals"][0], r)) for r in sheet["appeals"][1:]]
    assert [(a["appeal_id"], a["status"], a["original_answer"], a["upheld_answer"] or "") for a in appeals] == [
        ("AP-0001", "upheld", "Poor", "Good"), ("AP-0002", "open", "no", "")]


def test_reports_show_appeals_and_actions(p, tmp_path):
    from bs4 import BeautifulSoup

    _scenario(p)
    out = tmp_path / "out"
    ok(shop("report", p.path, "--scoresheets", "--locations", "--format", "html", "-o", out))
    sheet = BeautifulSoup((out / "scoresheets" / "scoresheet-V2.html").read_text(encoding="utf-8"), "html.parser")
    box = sheet.select_one("section.appeal-box").get_text(" ", strip=True)
    assert "AP-0001" in box and "Upheld" in box and "Poor" in box and "Good" in box and "Recording confirms" in box
    assert "Staff asked <i>four</i> questions" in box              # escaped, shown as written
    row = next(tr for tr in sheet.select("table.items tr") if tr.select_one(".item-id") and
               tr.select_one(".item-id").get_text() == "Q5")
    cells = [td.get_text(" ", strip=True) for td in row.find_all("td")]
    assert cells[0].startswith("Good") and "Upheld on appeal AP-0001; submitted answer: Poor" in cells[0]
    assert cells[2] == "Pass"
    loc = BeautifulSoup((out / "locations" / "location-L3.html").read_text(encoding="utf-8"), "html.parser")
    rows = [[c.get_text(" ", strip=True) for c in tr.find_all(["th", "td"])] for tr in loc.select("table.fu-actions tbody tr")]
    assert [r[0] for r in rows] == ["A-0002"]
    assert "Coaching <b>booked</b>" in rows[0][1] and rows[0][-1] == "in progress"
    assert "1 open, 1 upheld, 0 rejected" not in loc.get_text(" ", strip=True)
    assert "0 open, 1 upheld, 0 rejected" in loc.get_text(" ", strip=True)
    l1 = BeautifulSoup((out / "locations" / "location-L1.html").read_text(encoding="utf-8"), "html.parser")
    rows = [[c.get_text(" ", strip=True) for c in tr.find_all(["th", "td"])] for tr in l1.select("table.fu-actions tbody tr")]
    assert rows[0][0] == "A-0001" and rows[0][-1] == "Overdue open"
    summary = BeautifulSoup((out / "programme-summary.html").read_text(encoding="utf-8"), "html.parser")
    text = summary.get_text(" ", strip=True)
    assert "Follow-up actions: 2 — 1 open, 1 in progress, 0 done, 0 dropped · 1 overdue" in text
    assert "Appeals: 2 — 1 open, 1 upheld, 0 rejected" in text
    ids = [tr.find("th").get_text(strip=True) for tr in summary.select("table.fu-actions tbody tr")]
    assert ids == ["A-0001", "A-0002"]                              # overdue first
    appeals = [tr.find("th").get_text(strip=True) for tr in summary.select("table.fu-appeals tbody tr")]
    assert appeals == ["AP-0001", "AP-0002"]


def test_a_wave_report_shows_the_actions_of_its_waves(p):
    _scenario(p)
    prog = p.prog
    with Ledger(prog) as ledger:
        w1 = followup.report_data(prog, ledger, ["W1"], today=dt.date(2026, 2, 1))
        every = followup.report_data(prog, ledger, None, today=dt.date(2026, 2, 1))
    assert [a["id"] for a in w1["actions"]] == ["A-0001"]          # A-0002 was opened by a W2 visit
    assert [a["id"] for a in every["actions"]] == ["A-0001", "A-0002"]
    assert [a["code"] for a in w1["appeals"]] == ["AP-0001"]
    # Overdue as of the report's day: A-0001 is due 9 February 2026.
    assert [a["overdue"] for a in every["actions"]] == [False, False]
    part = followup.programme_part(prog, every)["followup"]
    assert part["summary"]["overdue"] == 0 and part["summary"]["open"] == 1


def test_codes_parse_as_typed():
    assert [followup.parse_code(t, "a") for t in ("A-0001", "a1", "A 12", "7", "A–0003", "AP-1", "A-0", "x")] == [
        1, 1, 12, 7, 3, None, None, None]
    assert followup.parse_code("ap-0002", "ap") == 2 and followup.parse_code("A-2", "ap") is None


def test_hostile_text_is_kept_as_written_and_shown_safely(p, tmp_path):
    p.submit(visit("V1", "L1", "W1", "2026-01-10", Q3="no", Q5="Poor"))
    evil = "=HYPERLINK(\"http://example.invalid\",\"x\") \x1b[2K<script>"
    ok(shop("actions", "update", p.path, "A-0001", "--note", evil, "--by", "\x1b[31mmallory"))
    ok(shop("appeal", p.path, "V1", "--item", "Q5", "--reason", evil))
    shown = ok(shop("actions", "show", p.path, "A-0001"))
    assert "\x1b" not in shown and "\\x1b[2K" in shown and "\\x1b[31mmallory" in shown
    listed = ok(shop("appeal", "list", p.path))
    assert "\x1b" not in listed
    with p.db() as conn:                                        # stored as written
        assert conn.execute("SELECT note FROM action_log WHERE event = 'updated'").fetchone()[0] == evil
        assert conn.execute("SELECT reason FROM appeals").fetchone()[0] == evil
    out = tmp_path / "x.xlsx"
    ok(shop("export", p.path, "-o", out))
    book = openpyxl.load_workbook(out)
    cells = [c.value for ws in book for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert not any(v.startswith("=") for v in cells)
    assert any(v.startswith("'=HYPERLINK") for v in cells)
    one_error(shop("actions", "update", p.path, "A-0001", "--note", "x" * 5000), "--note", "at most 4000")
    one_error(shop("actions", "list", p.path, "--status", "overdu"), "did you mean 'overdue'")
