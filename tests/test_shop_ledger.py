"""The programme ledger on a copy of samples/harbour-bank-shop (never the repository's own
folder): nothing lost, identical files are no-ops, replacements keep the old version,
scoring runs are kept, a settings change blocks reports until rescore, a killed submit
leaves all or nothing, and concurrent submitters queue instead of failing."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import multiprocessing
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shop_helpers import SHOP_SAMPLE, copy_sample, section, write_programme, yes_no

from cxreport.errors import CxError
from cxreport.shop import commands
from cxreport.shop.ledger import Ledger, score_frame
from cxreport.shop.loadprog import load_programme

WAVE1 = sorted((SHOP_SAMPLE / "submissions" / "wave1").iterdir())
REASON = "Shopper corrected the wave 1 visit"


@pytest.fixture
def sample(tmp_path) -> Path:
    path = copy_sample(tmp_path)
    assert not (path.parent / "ledger.sqlite").exists()
    return path


@pytest.fixture
def prog(sample):
    return load_programme(sample)


def submit_all(ledger: Ledger, files, **kwargs):
    return [ledger.submit(f.name, f.read_bytes(), who="tester", **kwargs) for f in files]


def wave_files(sample: Path, wave: str) -> list[Path]:
    return sorted((sample.parent / "submissions" / wave).iterdir())


def rows(ledger: Ledger, sql: str, *args) -> list[sqlite3.Row]:
    return ledger.conn.execute(sql, args).fetchall()


def count(ledger: Ledger, table: str) -> int:
    return ledger.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


# --------------------------------------------------------------------------- submit


def test_wave1_every_visit_accepted(sample, prog):
    with Ledger(prog) as ledger:
        outcomes = submit_all(ledger, wave_files(sample, "wave1"))
        assert [o.status for o in outcomes] == ["accepted"] * len(outcomes)
        assert all(v.status == "accepted" and not v.problems for o in outcomes for v in o.visits)
        counts = ledger.status_counts()
    assert counts["visits"] == [{"wave": "W1", "status": "accepted", "n": 120}]
    assert counts["files"] == [{"status": "accepted", "n": 14}]
    assert len({r["location_id"] for r in counts["locations"]}) == 48
    assert counts["rejections"] == [] and counts["file_rejections"] == []
    assert len(counts["runs"]) == 1


def test_file_bytes_recoverable_and_sha256_recorded(sample, prog):
    files = wave_files(sample, "wave1") + [sample.parent / "submissions" / "invalid" / "08_truncated.json"]
    with Ledger(prog) as ledger:
        submit_all(ledger, files)
        stored = rows(ledger, "SELECT id, name, sha256, size, submitted_by, questionnaire_version FROM files ORDER BY id")
        assert [r["name"] for r in stored] == [f.name for f in files]
        for row, f in zip(stored, files):
            original = f.read_bytes()
            assert ledger.file_bytes(row["id"]) == original, f.name
            assert row["sha256"] == hashlib.sha256(original).hexdigest()
            assert row["size"] == len(original)
            assert row["submitted_by"] == "tester"
            assert row["questionnaire_version"] == "2026.1"


def test_identical_resubmit_is_a_no_op(sample, prog):
    chat = sample.parent / "submissions" / "wave1" / "wave1_chat.xlsx"
    with Ledger(prog) as ledger:
        submit_all(ledger, wave_files(sample, "wave1"))
        before = {t: count(ledger, t) for t in ("files", "visits", "runs", "scores")}
        again = ledger.submit("renamed_copy.xlsx", chat.read_bytes())
        assert again.status == "unchanged"
        assert "identical to wave1_chat.xlsx" in again.note
        assert again.visits == []
        assert {t: count(ledger, t) for t in ("files", "visits", "runs", "scores")} == before


def test_rejected_files_recorded_with_their_problems(sample, prog):
    invalid = sorted((sample.parent / "submissions" / "invalid").glob("0*"))
    assert len(invalid) == 8
    with Ledger(prog) as ledger:
        submit_all(ledger, wave_files(sample, "wave1"))
        outcomes = submit_all(ledger, invalid)
        assert [o.status for o in outcomes] == ["rejected"] * 8
        counts = ledger.status_counts()
        # Every file is kept, rejected or not.
        assert {r["status"]: r["n"] for r in counts["files"]} == {"accepted": 14, "rejected": 8}
        stored = {r["name"]: r for r in rows(ledger, "SELECT name, status, problems FROM files")}
        assert all(stored[f.name]["status"] == "rejected" for f in invalid)
    rejections = {r["visit_id"]: (r["file"], json.loads(r["problems"])) for r in counts["rejections"]}
    assert set(rejections) == {"V-W2-0901", "V-W3-0902", "V-W3-0903", "V-W2-0904", "V-W3-0905", "V-W1-0906",
                               "V-W3-0907"}
    assert rejections["V-W2-0901"][0] == "01_outside_wave.json"
    assert any("outside wave W2" in p for p in rejections["V-W2-0901"][1])
    assert any("unknown location 'BR31'" in p for p in rejections["V-W3-0902"][1])
    assert any("item S1: required but not answered" in p for p in rejections["V-W3-0903"][1])
    assert any("item A1: N/A is not allowed" in p for p in rejections["V-W2-0904"][1])
    assert any("item N3" in p and "comment is required" in p for p in rejections["V-W3-0905"][1])
    assert any("end_time 13:55 is not after start_time 14:20" in p for p in rejections["V-W1-0906"][1])
    assert any("item C4: integrity check failed" in p for p in rejections["V-W3-0907"][1])
    assert [r["name"] for r in counts["file_rejections"]] == ["08_truncated.json"]
    assert counts["file_rejections"][0]["problems"].startswith('["invalid JSON at line')
    # Rejected visits are kept with their parsed answers, but never scored.
    assert {r["wave"] for r in counts["visits"] if r["status"] == "rejected"} == {"W1", "W2", "W3"}


def test_already_accepted_visit_id_rejected_without_replace(sample, prog):
    fix = sample.parent / "submissions" / "invalid" / "replace_V-W1-0107.json"
    with Ledger(prog) as ledger:
        submit_all(ledger, wave_files(sample, "wave1"))
        out = ledger.submit(fix.name, fix.read_bytes())
        assert out.status == "rejected"
        (problem,) = out.visits[0].problems
        assert "V-W1-0107 was already accepted from wave1_batch2.csv" in problem
        assert "--replace" in problem
        accepted = rows(ledger, "SELECT f.name FROM visits v JOIN files f ON f.id = v.file_id"
                                " WHERE v.visit_id = 'V-W1-0107' AND v.status = 'accepted'")
        assert [r["name"] for r in accepted] == ["wave1_batch2.csv"]


def test_replace_with_reason_keeps_old_version_as_superseded(sample, prog):
    fix = sample.parent / "submissions" / "invalid" / "replace_V-W1-0107.json"
    with Ledger(prog) as ledger:
        submit_all(ledger, wave_files(sample, "wave1"))
        # First without --replace (rejected), then the same bytes with it.
        assert ledger.submit(fix.name, fix.read_bytes()).status == "rejected"
        out = ledger.submit(fix.name, fix.read_bytes(), replace=True, reason=REASON)
        assert out.status == "accepted"
        assert [(v.visit_id, v.status) for v in out.visits] == [("V-W1-0107", "replaced")]
        versions = rows(ledger, "SELECT id, status, superseded_by, replace_reason, file_id FROM visits"
                                " WHERE visit_id = 'V-W1-0107' ORDER BY id")
        assert [v["status"] for v in versions] == ["superseded", "rejected", "accepted"]
        old, _rejected, new = versions
        assert old["superseded_by"] == new["id"]
        assert old["replace_reason"] == REASON
        assert new["superseded_by"] is None
        # Old and new scores are both kept: 14 / 20 = 70 % capped at 60 % by S2 = no; 15 / 20 = 75 %.
        scores = {r["visit_row"]: r for r in rows(ledger, "SELECT visit_row, score, raw_score, status FROM scores")}
        assert scores[old["id"]]["score"] == pytest.approx(60.0)
        assert scores[old["id"]]["raw_score"] == pytest.approx(70.0)
        assert scores[new["id"]]["score"] == pytest.approx(75.0)
        assert count(ledger, "visits") == 122 and ledger.status_counts()["visits"][0]["n"] == 120
    res = commands.results(prog)
    visit = res.visits.set_index("visit_id").loc["V-W1-0107"]
    assert visit["score"] == pytest.approx(75.0)
    assert len(res.visits) == 120


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_replace_without_reason_is_refused(sample, prog, reason):
    fix = sample.parent / "submissions" / "invalid" / "replace_V-W1-0107.json"
    with pytest.raises(CxError, match="--reason"):
        commands.submit_files(prog, [fix], replace=True, reason=reason)
    with Ledger(prog) as ledger:
        assert count(ledger, "files") == 0


def test_submit_files_missing_file_is_a_clear_error(sample, prog):
    with pytest.raises(CxError, match="nope.csv: file not found"):
        commands.submit_files(prog, [sample.parent / "nope.csv"])


# --------------------------------------------------------------------------- scoring runs


def test_rescore_makes_a_new_run_and_keeps_the_old(sample, prog):
    with Ledger(prog) as ledger:
        submit_all(ledger, wave_files(sample, "wave1"))
        first = {r["visit_row"]: r["score"] for r in rows(ledger, "SELECT visit_row, score FROM scores WHERE run_id = 1")}
        assert len(first) == 120
        run_id, n, changed = ledger.rescore("check")
        assert (run_id, n, changed) == (2, 120, 0)
        runs = rows(ledger, "SELECT id, reason FROM runs ORDER BY id")
        assert [(r["id"], r["reason"]) for r in runs][1] == (2, "check")
        kept = {r["visit_row"]: r["score"] for r in rows(ledger, "SELECT visit_row, score FROM scores WHERE run_id = 1")}
        assert kept == first
        second = {r["visit_row"]: r["score"] for r in rows(ledger, "SELECT visit_row, score FROM scores WHERE run_id = 2")}
        assert second == first
        # New visits go into the latest run.
        submit_all(ledger, wave_files(sample, "wave2")[:1])
        assert count(ledger, "runs") == 2
        assert rows(ledger, "SELECT COUNT(*) AS n FROM scores WHERE run_id = 2")[0]["n"] == 121


def test_questionnaire_change_blocks_reports_until_rescore(sample, prog):
    with Ledger(prog) as ledger:
        submit_all(ledger, wave_files(sample, "wave1"))
        frame = ledger.accepted_visits()
    old_scores = score_frame(prog, frame).score
    text = sample.read_text(encoding="utf-8")
    old_item = '{id: S1, text: "Was the product explained clearly, including fees and rates?", type: yes_no, points: 2,'
    assert old_item in text
    sample.write_text(text.replace(old_item, old_item.replace("points: 2,", "points: 3,")), encoding="utf-8")
    changed_prog = load_programme(sample)
    assert changed_prog.questionnaire.item("S1").points == 3
    with pytest.raises(CxError, match="rescore"):
        commands.results(changed_prog)
    with pytest.raises(CxError, match="rescore"):
        commands.export(changed_prog, sample.parent / "x.xlsx", "xlsx")
    new_scores = score_frame(changed_prog, frame).score
    expected = int(sum(1 for a, b in zip(old_scores, new_scores) if a != b))
    assert 0 < expected < 120
    with Ledger(changed_prog) as ledger:
        run_id, n, changed = ledger.rescore("S1 now worth 3 points")
        assert (run_id, n, changed) == (2, 120, expected)
        # The old run is kept, with its scores.
        assert rows(ledger, "SELECT COUNT(*) AS n FROM scores WHERE run_id = 1")[0]["n"] == 120
    res = commands.results(changed_prog)
    assert len(res.visits) == 120


# --------------------------------------------------------------------------- crash safety

BIG_VISITS = 3000


def big_wide_csv(path: Path, n: int, prefix: str) -> Path:
    """n copies of a valid wave 1 branch visit (wide CSV) with fresh visit ids."""
    source = (SHOP_SAMPLE / "submissions" / "wave1" / "wave1_batch1.csv").read_text(encoding="utf-8")
    table = list(csv.reader(io.StringIO(source)))
    header, template = table[0], table[2]   # V-W1-0004, a branch visit
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for k in range(n):
        writer.writerow([f"{prefix}-{k:05d}"] + template[1:])
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "cxreport", "shop", *args]


def ledger_state(db: Path, name: str) -> tuple[int, int, int, str]:
    conn = sqlite3.connect(db)
    try:
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"files", "visits", "scores"} <= tables:
            # Killed before the ledger's tables were all created: nothing of the file is in.
            return 0, 0, 0, check
        files = conn.execute("SELECT COUNT(*) FROM files WHERE name = ?", (name,)).fetchone()[0]
        visits = conn.execute("SELECT COUNT(*) FROM visits v JOIN files f ON f.id = v.file_id WHERE f.name = ?",
                              (name,)).fetchone()[0]
        scores = conn.execute("SELECT COUNT(*) FROM scores s JOIN visits v ON v.id = s.visit_row"
                              " JOIN files f ON f.id = v.file_id WHERE f.name = ?", (name,)).fetchone()[0]
        orphans = conn.execute("SELECT COUNT(*) FROM visits WHERE file_id NOT IN (SELECT id FROM files)").fetchone()[0]
        assert orphans == 0
    finally:
        conn.close()
    return files, visits, scores, check


@pytest.mark.parametrize("delay", [0.0, 0.3, 0.7])
def test_killed_submit_leaves_all_or_nothing(tmp_path, delay):
    sample = copy_sample(tmp_path)
    db = sample.parent / "ledger.sqlite"
    big = big_wide_csv(tmp_path / "big.csv", BIG_VISITS, "V-BIG")
    proc = subprocess.Popen(cli("submit", str(sample.relative_to(tmp_path)), "big.csv"), cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not db.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(delay)
        proc.kill()
    finally:
        proc.wait(timeout=30)
    files, visits, scores, check = ledger_state(db, big.name)
    assert check == "ok"
    assert (files, visits, scores) in [(0, 0, 0), (1, BIG_VISITS, BIG_VISITS)], (files, visits, scores)
    # Submitting again works, and the file is then fully in.
    again = subprocess.run(cli("submit", str(sample.relative_to(tmp_path)), "big.csv"), cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    files, visits, scores, check = ledger_state(db, big.name)
    assert (files, visits, scores, check) == (1, BIG_VISITS, BIG_VISITS, "ok")
    if "unchanged" not in again.stdout:
        assert f"accepted ({BIG_VISITS} of {BIG_VISITS} visits accepted)" in again.stdout


# --------------------------------------------------------------------------- concurrency


def test_concurrent_submitters_both_succeed(tmp_path):
    sample = copy_sample(tmp_path)
    prog = load_programme(sample)
    # Two large files, so that the two transactions overlap and one must wait for the other.
    a = big_wide_csv(tmp_path / "a.csv", 1500, "V-A")
    b = big_wide_csv(tmp_path / "b.csv", 1500, "V-B")
    # The ledger exists already (created by a first submit); see the next test for a fresh one.
    with Ledger(prog) as ledger:
        submit_all(ledger, wave_files(sample, "wave1")[:1])
    programme = str(sample.relative_to(tmp_path))
    procs = [subprocess.Popen(cli("submit", programme, f.name), cwd=tmp_path, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for f in (a, b)]
    outputs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outputs):
        assert p.returncode == 0, err
        assert "accepted (1500 of 1500 visits accepted)" in out
    db = sample.parent / "ledger.sqlite"
    assert ledger_state(db, "a.csv") == (1, 1500, 1500, "ok")
    assert ledger_state(db, "b.csv") == (1, 1500, 1500, "ok")


def _open_ledger_at_barrier(programme: str, barrier, queue) -> None:  # pragma: no cover - child process
    prog = load_programme(programme)
    barrier.wait()
    try:
        Ledger(prog).close()
        queue.put("ok")
    except Exception as exc:  # noqa: BLE001
        queue.put(f"{type(exc).__name__}: {exc}")


def test_two_processes_creating_the_ledger_at_once_both_succeed(tmp_path):
    # Two submitters started together on a programme with no ledger yet: both open (and try to
    # create) ledger.sqlite at the same moment. They should queue, as the ledger promises
    # ("concurrent submitters wait for each other"), not fail.
    ctx = multiprocessing.get_context("fork")
    failures = []
    for trial in range(8):
        programme = write_programme(tmp_path / f"t{trial}", [section("s", [yes_no("Q1")])])
        barrier, queue = ctx.Barrier(2), ctx.Queue()
        procs = [ctx.Process(target=_open_ledger_at_barrier, args=(str(programme), barrier, queue))
                 for _ in range(2)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(timeout=120)
        results = [queue.get(timeout=10) for _ in procs]
        failures += [r for r in results if r != "ok"]
    assert failures == []
