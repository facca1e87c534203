"""Follow-up actions and appeals under faults, like submissions (tests/test_shop_faults.py):

- a real `cxreport shop actions update`, `shop appeal file` and `shop appeal decide`
  process killed with SIGKILL at each named point of its transaction
  (followup.PAUSE_POINTS through CXREPORT_TEST_PAUSE): all or nothing, the ledger intact,
  the same command again finishes the job;
- concurrent writers: updaters, appellants and submitters at once all get through; several
  processes deciding one appeal: exactly one decision, one new scoring run;
- a full disk (PRAGMA max_page_count) during an upheld decision: one line, nothing written.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from shop_helpers import REPO
from test_shop_followup import Programme, visit

from cxreport.cli import cli
from cxreport.shop.followup import PAUSE_POINTS

TABLES = ("files", "visits", "runs", "scores", "actions", "action_visits", "action_log", "appeals")


def shop(*args, env: dict | None = None):
    return CliRunner().invoke(cli, ["shop", *[str(a) for a in args]], env=env)


def snapshot(db: Path) -> dict:
    conn = sqlite3.connect(db)
    try:
        state = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}
        state["integrity"] = conn.execute("PRAGMA integrity_check").fetchone()[0]
        # Nothing half-written: every action's status, owner and due date are those of its
        # latest history row; every upheld appeal has its scoring run, holding every visit.
        state["inconsistent"] = conn.execute(
            "SELECT COUNT(*) FROM actions a JOIN action_log l ON l.id = (SELECT MAX(id) FROM action_log"
            " WHERE action_id = a.id) WHERE a.status != l.status OR a.owner != l.owner OR a.due != l.due").fetchone()[0]
        state["unlogged"] = conn.execute(
            "SELECT COUNT(*) FROM actions a WHERE NOT EXISTS (SELECT 1 FROM action_log WHERE action_id = a.id)"
        ).fetchone()[0]
        state["short_runs"] = conn.execute(
            "SELECT COUNT(*) FROM runs r WHERE (SELECT COUNT(*) FROM scores WHERE run_id = r.id)"
            " != (SELECT COUNT(*) FROM visits WHERE status = 'accepted')").fetchone()[0]
        state["appeals"] = [tuple(r) for r in conn.execute(
            "SELECT id, status, answer, decided_by, run_id FROM appeals ORDER BY id")]
        state["actions_state"] = [tuple(r) for r in conn.execute("SELECT id, status, owner, due FROM actions ORDER BY id")]
    finally:
        conn.close()
    return state


def assert_sound(state: dict) -> None:
    assert state["integrity"] == "ok"
    assert state["inconsistent"] == 0 and state["unlogged"] == 0 and state["short_runs"] == 0


def env(**extra: str) -> dict:
    out = dict(os.environ, **extra)
    out["PYTHONPATH"] = os.pathsep.join([str(REPO), out.get("PYTHONPATH", "")])
    return out


def run_killed(args: list[str], point: str, marker: Path) -> None:
    """Start `cxreport shop …`, wait until it pauses at ``point``, SIGKILL it there."""
    proc = subprocess.Popen([sys.executable, "-m", "cxreport", "shop", *args],
                            env=env(CXREPORT_TEST_PAUSE=point, CXREPORT_TEST_PAUSE_FILE=str(marker)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert marker.exists(), f"never reached {point}: {proc.communicate(timeout=30)}"
        assert marker.read_text(encoding="utf-8") == point
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


@pytest.fixture
def p(tmp_path) -> Programme:
    """20 visits; V00 fails critical item Q3 (action A-0001), V01 answers Q5 Poor."""
    prog = Programme(tmp_path / "prog")
    visits = [visit(f"V{k:02d}", ("L1", "L3")[k % 2], "W1", f"2026-01-{k + 1:02d}") for k in range(20)]
    visits[0]["answers"]["Q3"] = "no"
    visits[1]["answers"]["Q5"] = "Poor"
    prog.submit(*visits)
    return prog


def db(p: Programme) -> Path:
    return p.folder / "ledger.sqlite"


# --------------------------------------------------------------------------- killed


@pytest.mark.parametrize("point", PAUSE_POINTS)
def test_action_update_killed_at_each_point(p, tmp_path, point):
    before = snapshot(db(p))
    args = ["actions", "update", str(p.path), "A-0001", "--status", "done", "--note", "Retrained", "--by", "Ann"]
    run_killed(args, point, tmp_path / "paused")
    state = snapshot(db(p))
    assert_sound(state)
    done = point == "followup-after-commit"
    assert state["action_log"] == before["action_log"] + done
    assert state["actions_state"][0][1] == ("done" if done else "open")
    again = shop(*args)
    assert again.exit_code == 0, again.output
    state = snapshot(db(p))
    assert_sound(state)
    assert state["actions_state"][0][1] == "done"
    assert state["action_log"] == before["action_log"] + 1 + done


@pytest.mark.parametrize("point", PAUSE_POINTS)
def test_appeal_decision_killed_at_each_point(p, tmp_path, point):
    assert shop("appeal", p.path, "V01", "--item", "Q5", "--reason", "r").exit_code == 0
    before = snapshot(db(p))
    args = ["appeal", "decide", str(p.path), "AP-0001", "--uphold", "--note", "confirmed", "--by", "QA"]
    run_killed(args, point, tmp_path / "paused")
    state = snapshot(db(p))
    assert_sound(state)
    if point == "followup-after-commit":
        assert state["appeals"] == [(1, "upheld", "Good", "QA", 2)]
        assert state["runs"] == 2 and state["scores"] == 2 * before["scores"]
        again = shop(*args)
        assert again.exit_code == 1 and "already upheld" in again.output
    else:
        assert {k: v for k, v in state.items()} == before      # nothing of the decision
        again = shop(*args)
        assert again.exit_code == 0, again.output
        assert "66.7% → 100.0%" in again.output
    state = snapshot(db(p))
    assert_sound(state)
    assert state["appeals"] == [(1, "upheld", "Good", "QA", 2)] and state["runs"] == 2


@pytest.mark.parametrize("point", ["followup-mid", "followup-before-commit"])
def test_filing_an_appeal_killed_leaves_no_appeal(p, tmp_path, point):
    args = ["appeal", "file", str(p.path), "V01", "--item", "Q5", "--reason", "r"]
    run_killed(args, point, tmp_path / "paused")
    state = snapshot(db(p))
    assert_sound(state)
    assert state["appeals"] == []
    assert shop(*args).exit_code == 0
    assert len(snapshot(db(p))["appeals"]) == 1


def test_upheld_appeal_that_drops_an_action_killed_before_commit(p, tmp_path):
    # The decision, the new run, the visit's new score and the automatic drop of A-0001:
    # all or nothing.
    assert shop("appeal", p.path, "V00", "--item", "Q3", "--reason", "ID checked").exit_code == 0
    before = snapshot(db(p))
    args = ["appeal", "decide", str(p.path), "AP-0001", "--uphold", "--note", "CCTV"]
    run_killed(args, "followup-before-commit", tmp_path / "paused")
    assert snapshot(db(p)) == before
    result = shop(*args)
    assert result.exit_code == 0 and "1 dropped" in result.output
    state = snapshot(db(p))
    assert_sound(state)
    assert state["actions_state"][0][1] == "dropped" and state["action_log"] == before["action_log"] + 1


# --------------------------------------------------------------------------- concurrent writers


def test_concurrent_updaters_appellants_and_a_submitter(p, tmp_path):
    extra = tmp_path / "extra.json"
    bad = visit("V99", "L3", "W1", "2026-01-25")
    bad["answers"]["Q3"] = "no"
    extra.write_text(json.dumps(bad), encoding="utf-8")
    commands = [["actions", "update", str(p.path), "A-0001", "--note", f"note {k}", "--by", f"user{k}"]
                for k in range(4)]
    commands += [["appeal", "file", str(p.path), f"V{k:02d}", "--item", "Q1", "--reason", f"reason {k}"]
                 for k in range(2, 6)]
    commands += [["submit", str(p.path), str(extra)]]
    procs = [subprocess.Popen([sys.executable, "-m", "cxreport", "shop", *c], env=env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for c in commands]
    outs = [proc.communicate(timeout=120) for proc in procs]
    assert [proc.returncode for proc in procs] == [0] * len(procs), outs
    state = snapshot(db(p))
    assert_sound(state)
    conn = sqlite3.connect(db(p))
    notes = sorted(r[0] for r in conn.execute("SELECT note FROM action_log WHERE action_id = 1 AND event = 'updated'"))
    assert notes == [f"note {k}" for k in range(4)]
    assert sorted(r[0] for r in conn.execute("SELECT reason FROM appeals")) == [f"reason {k}" for k in range(2, 6)]
    assert [r[0] for r in conn.execute("SELECT id FROM appeals ORDER BY id")] == [1, 2, 3, 4]
    # The submitted visit opened its own action (L3, Q3).
    assert [tuple(r) for r in conn.execute("SELECT id, location_id, item_id FROM actions ORDER BY id")] == [
        (1, "L1", "Q3"), (2, "L3", "Q3")]
    conn.close()


def test_several_processes_deciding_one_appeal_give_one_decision(p):
    assert shop("appeal", p.path, "V01", "--item", "Q5", "--reason", "r").exit_code == 0
    procs = [subprocess.Popen([sys.executable, "-m", "cxreport", "shop", "appeal", "decide", str(p.path), "AP-0001",
                               "--uphold" if k % 2 else "--reject", "--note", f"decider {k}", "--by", f"d{k}"],
                              env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for k in range(4)]
    outs = [proc.communicate(timeout=120) for proc in procs]
    codes = [proc.returncode for proc in procs]
    assert sorted(codes) == [0, 1, 1, 1], outs
    for (out, err), code in zip(outs, codes):
        if code:
            assert "a decision is final" in err and "Traceback" not in err
    state = snapshot(db(p))
    assert_sound(state)
    [(_id, status, _answer, by, run)] = state["appeals"]
    winner = codes.index(0)
    assert by == f"d{winner}" and status == ("upheld" if winner % 2 else "rejected")
    assert state["runs"] == (2 if status == "upheld" else 1) and run == (2 if status == "upheld" else None)


# --------------------------------------------------------------------------- a full disk


def test_disk_full_during_an_upheld_decision_changes_nothing(p):
    assert shop("appeal", p.path, "V01", "--item", "Q5", "--reason", "r").exit_code == 0
    many = [visit(f"W{k:03d}", "L1", "W1", "2026-01-15") for k in range(150)]
    p.submit(*many[:75])
    p.submit(*many[75:])
    before = snapshot(db(p))
    pages = sqlite3.connect(db(p)).execute("PRAGMA page_count").fetchone()[0]
    result = shop("appeal", "decide", p.path, "AP-0001", "--uphold", "--note", "n",
                  env={"CXREPORT_TEST_LEDGER_MAX_PAGES": str(pages)})
    assert result.exit_code == 1 and "Traceback" not in result.output
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("Error:")]
    assert len(errors) == 1 and "not recorded" in errors[0] and "disk is full" in errors[0], result.stderr
    assert snapshot(db(p)) == before
    again = shop("appeal", "decide", p.path, "AP-0001", "--uphold", "--note", "n")
    assert again.exit_code == 0, again.output
    assert_sound(snapshot(db(p)))
