"""Scoresheet intake under faults (issue 7), on copies of samples/harbour-bank-shop.

- A full disk: SQLite's SQLITE_FULL in the middle of a submit (the ledger capped with
  PRAGMA max_page_count through CXREPORT_TEST_LEDGER_MAX_PAGES), and ENOSPC while writing
  extracted files, exports and reports (the write monkeypatched to fail half-way).
- A real `cxreport shop submit` process killed with SIGKILL at named points of a
  multi-file submit (CXREPORT_TEST_PAUSE stops it there).
- Five concurrent submitters with overlapping files and a visit id in two files.
- The same file twice, the same bytes under two names.
- Getting the files back: `cxreport shop files --extract`, safe names, SHA-256 checked.

After each fault: one clear line and exit 1 (never a traceback), `PRAGMA integrity_check`
ok, no half-recorded file, every file accepted before it recoverable byte for byte, and
doing the same again once the fault is gone finishes the job without duplicates.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest
from click.testing import CliRunner

from shop_helpers import REPO, copy_sample

from cxreport.cli import cli
from cxreport.present import render
from cxreport.shop import recover
from cxreport.shop.intake import read_scoresheet
from cxreport.shop.ledger import Ledger
from cxreport.shop.loadprog import load_programme

WAVE1 = ["wave1_batch1.csv", "wave1_batch2.csv", "wave1_chat.xlsx", "wave1_phone_long.csv"]
TABLES = ("files", "visits", "runs", "scores")


# --------------------------------------------------------------------------- helpers


@pytest.fixture
def sample(tmp_path) -> Path:
    return copy_sample(tmp_path)


def shop(*args) -> object:
    """`cxreport shop …` in this process."""
    return CliRunner().invoke(cli, ["shop", *[str(a) for a in args]])


def sub(sample: Path, wave: str, name: str) -> Path:
    return sample.parent / "submissions" / wave / name


def assert_clean_failure(result, *words: str) -> str:
    """Exit 1, one error line on stderr naming what went wrong, no traceback."""
    assert result.exit_code == 1, (result.exit_code, result.output)
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    for word in words:
        assert word in errors[0], errors[0]
    return errors[0]


def ledger_db(sample: Path) -> Path:
    return sample.parent / "ledger.sqlite"


def snapshot(db: Path) -> dict:
    """Row counts, integrity check and every stored file's bytes (checked against its SHA-256)."""
    conn = sqlite3.connect(db)
    try:
        state = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}
        state["integrity"] = conn.execute("PRAGMA integrity_check").fetchone()[0]
        state["orphans"] = conn.execute(
            "SELECT (SELECT COUNT(*) FROM visits WHERE file_id NOT IN (SELECT id FROM files))"
            " + (SELECT COUNT(*) FROM scores WHERE visit_row NOT IN (SELECT id FROM visits))").fetchone()[0]
        blobs = {}
        for name, sha, size, content in conn.execute("SELECT name, sha256, size, content FROM files ORDER BY id"):
            assert hashlib.sha256(content).hexdigest() == sha and len(content) == size, name
            blobs.setdefault(name, []).append(bytes(content))
        state["blobs"] = blobs
    finally:
        conn.close()
    return state


def assert_recoverable(db: Path, files: list[Path]) -> None:
    """Each file is in the ledger exactly once, byte for byte, and the ledger says so."""
    state = snapshot(db)
    assert state["integrity"] == "ok" and state["orphans"] == 0
    for path in files:
        assert state["blobs"].get(path.name) == [path.read_bytes()], path.name


def big_csv(path: Path, n: int, prefix: str, pad: int = 0) -> Path:
    """n valid wave 1 branch visits (wide CSV) with fresh ids; ``pad`` characters of comment each."""
    source = sub(REPO / "samples" / "harbour-bank-shop" / "programme.yaml", "wave1", "wave1_batch1.csv")
    table = list(csv.reader(io.StringIO(source.read_text(encoding="utf-8"))))
    header, template = table[0], table[2]   # V-W1-0004, a branch visit
    assert header[-1] == "comments"
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for k in range(n):
        writer.writerow([f"{prefix}-{k:05d}"] + template[1:-1] + [("Queue was long. " * (pad // 16 + 1))[:pad]])
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def json_visit(path: Path, visit_id: str, comment: str) -> Path:
    """A copy of the sample's V-W2-0002 visit with another id and comment."""
    data = json.loads(sub(REPO / "samples" / "harbour-bank-shop" / "programme.yaml", "wave2",
                          "V-W2-0002.json").read_text(encoding="utf-8"))
    data["visit_id"], data["comments"] = visit_id, comment
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def submit_baseline(sample: Path) -> list[Path]:
    files = [sub(sample, "wave1", n) for n in WAVE1]
    result = shop("submit", sample, *files)
    assert result.exit_code == 0, result.output
    return files


def cli_env(**extra: str) -> dict:
    env = dict(os.environ, **extra)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    return env


class FullFile:
    """A file object on a disk with ``disk.room`` bytes left: past that, ENOSPC (part written)."""

    def __init__(self, handle, disk: types.SimpleNamespace):
        self.handle, self.disk = handle, disk

    def write(self, data: bytes) -> int:
        n = min(len(data), self.disk.room)
        self.handle.write(data[:n])
        self.disk.room -= n
        if n < len(data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return n

    def __getattr__(self, name):
        return getattr(self.handle, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.handle.close()


def full_disk_os(room: int) -> types.ModuleType:
    """The os module, except that files opened with os.fdopen share ``room`` bytes of free space."""
    disk = types.SimpleNamespace(room=room)
    fake = types.ModuleType("os")
    fake.__dict__.update(os.__dict__)
    fake.fdopen = lambda fd, *a, **k: FullFile(os.fdopen(fd, *a, **k), disk)
    return fake


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


# --------------------------------------------------------------------------- a full disk: the ledger


def test_ledger_full_mid_submit_changes_nothing_and_a_retry_succeeds(sample, tmp_path, monkeypatch):
    db = ledger_db(sample)
    accepted = submit_baseline(sample)
    before = snapshot(db)
    big = big_csv(tmp_path / "big.csv", 300, "V-FULL", pad=2000)
    pages = sqlite3.connect(db).execute("PRAGMA page_count").fetchone()[0]

    # Room for a few pages: the 600 KB file cannot fit.
    monkeypatch.setenv("CXREPORT_TEST_LEDGER_MAX_PAGES", str(pages + 10))
    result = shop("submit", sample, big)
    line = assert_clean_failure(result, "big.csv", "disk is full", "not recorded")
    assert "unchanged" in line
    after = snapshot(db)
    assert after == before                      # same rows, same bytes, integrity ok
    assert after["integrity"] == "ok"
    assert_recoverable(db, accepted)

    # Space is freed: the same command records the file.
    monkeypatch.delenv("CXREPORT_TEST_LEDGER_MAX_PAGES")
    again = shop("submit", sample, big)
    assert again.exit_code == 0, again.output
    assert "big.csv: accepted (300 of 300 visits accepted)" in again.stdout
    state = snapshot(db)
    assert state["visits"] == before["visits"] + 300 and state["scores"] == before["scores"] + 300
    assert_recoverable(db, accepted + [big])


def test_disk_fills_between_files_of_one_submit(sample, tmp_path, monkeypatch):
    # The first file fits, the second does not: the first is recorded and reported before
    # the error; the error names the second; submitting both again completes the job.
    db = ledger_db(sample)
    accepted = submit_baseline(sample)
    small = sub(sample, "wave2", "V-W2-0002.json")
    big = big_csv(tmp_path / "big.csv", 300, "V-FULL", pad=2000)
    before = snapshot(db)
    pages = sqlite3.connect(db).execute("PRAGMA page_count").fetchone()[0]
    monkeypatch.setenv("CXREPORT_TEST_LEDGER_MAX_PAGES", str(pages + 10))
    result = shop("submit", sample, small, big)
    assert_clean_failure(result, "big.csv", "disk is full")
    assert "V-W2-0002.json: accepted (1 of 1 visits accepted)" in result.stdout
    after = snapshot(db)
    assert after["files"] == before["files"] + 1 and after["visits"] == before["visits"] + 1
    assert "big.csv" not in after["blobs"]
    assert_recoverable(db, accepted + [small])

    monkeypatch.delenv("CXREPORT_TEST_LEDGER_MAX_PAGES")
    again = shop("submit", sample, small, big)
    assert again.exit_code == 0, again.output
    assert "V-W2-0002.json: unchanged" in again.stdout
    assert "big.csv: accepted (300 of 300 visits accepted)" in again.stdout
    assert_recoverable(db, accepted + [small, big])


def test_disk_full_when_the_ledger_is_first_created(sample):
    env = {"CXREPORT_TEST_LEDGER_MAX_PAGES": "1"}
    first = sub(sample, "wave1", "wave1_batch1.csv")
    result = CliRunner().invoke(cli, ["shop", "submit", str(sample), str(first)], env=env)
    assert_clean_failure(result, "ledger.sqlite", "disk is full")
    again = shop("submit", sample, first)
    assert again.exit_code == 0, again.output
    assert_recoverable(ledger_db(sample), [first])


def test_disk_full_during_rescore_keeps_the_old_run(sample, monkeypatch):
    db = ledger_db(sample)
    submit_baseline(sample)
    before = snapshot(db)
    pages = sqlite3.connect(db).execute("PRAGMA page_count").fetchone()[0]
    monkeypatch.setenv("CXREPORT_TEST_LEDGER_MAX_PAGES", str(pages))
    assert_clean_failure(shop("rescore", sample), "rescore not done", "disk is full")
    assert snapshot(db) == before
    monkeypatch.delenv("CXREPORT_TEST_LEDGER_MAX_PAGES")
    assert shop("rescore", sample).exit_code == 0
    assert snapshot(db)["runs"] == before["runs"] + 1


def test_a_ledger_locked_too_long_is_one_line_naming_the_file(sample, monkeypatch):
    from functools import partial

    from cxreport.shop import ledger as ledger_module

    db = ledger_db(sample)
    submit_baseline(sample)
    before = snapshot(db)
    monkeypatch.setattr(ledger_module, "connect", partial(ledger_module.connect, wait_seconds=0.3))
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")          # another process holds the write lock
    try:
        result = shop("submit", sample, sub(sample, "wave2", "V-W2-0002.json"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert_clean_failure(result, "V-W2-0002.json", "not recorded", "locked by another process")
    assert snapshot(db) == before


# --------------------------------------------------------------------------- a full disk: files written out


def test_disk_full_while_extracting_then_a_retry_completes(sample, tmp_path, monkeypatch):
    accepted = submit_baseline(sample)
    out = tmp_path / "recovered"
    # Room for the first two files and half of the third.
    room = sum(len(p.read_bytes()) for p in accepted[:2]) + len(accepted[2].read_bytes()) // 2
    monkeypatch.setattr(recover, "os", full_disk_os(room))
    result = shop("files", sample, "--extract", out)
    assert_clean_failure(result, accepted[2].name, "disk is full", "2 file(s) before it are complete")
    assert leftovers(out) == []
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in accepted[:2])
    for p in accepted[:2]:
        assert (out / p.name).read_bytes() == p.read_bytes()

    monkeypatch.setattr(recover, "os", os)
    again = shop("files", sample, "--extract", out)
    assert again.exit_code == 0, again.output
    assert "4 written" not in again.stderr and "2 written, 2 already there" in again.stderr
    for p in accepted:
        assert (out / p.name).read_bytes() == p.read_bytes()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_disk_full_while_exporting_keeps_the_previous_export(sample, tmp_path, monkeypatch, fmt):
    submit_baseline(sample)
    db = ledger_db(sample)
    out = tmp_path / "export" / ("visits.xlsx" if fmt == "xlsx" else "visits")
    first = shop("export", sample, "--format", fmt, "-o", out)
    assert first.exit_code == 0, first.output
    folder = out.parent
    previous = {p.name: p.read_bytes() for p in folder.iterdir()}
    # More visits, so that a new export would differ; then the disk fills while writing it.
    assert shop("submit", sample, sub(sample, "wave2", "wave2_batch1.csv")).exit_code == 0
    before = snapshot(db)
    monkeypatch.setattr(render, "os", full_disk_os(room=1000))
    name = "visits.xlsx" if fmt == "xlsx" else "visits_visits.csv"
    assert_clean_failure(shop("export", sample, "--format", fmt, "-o", out), name, "disk is full")
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == previous     # whole, and no .part file
    assert snapshot(db) == before
    monkeypatch.setattr(render, "os", os)
    again = shop("export", sample, "--format", fmt, "-o", out)
    assert again.exit_code == 0, again.output
    assert {p.name for p in folder.iterdir()} == set(previous)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} != previous


def test_disk_full_while_writing_a_report(sample, tmp_path, monkeypatch):
    submit_baseline(sample)
    db = ledger_db(sample)
    out = tmp_path / "reports"
    before = snapshot(db)
    monkeypatch.setattr(render, "os", full_disk_os(room=5000))
    result = shop("report", sample, "--format", "html", "-o", out)
    assert_clean_failure(result, "programme-summary.html", "disk is full")
    assert not out.exists() or list(out.iterdir()) == []
    assert snapshot(db) == before
    monkeypatch.setattr(render, "os", os)
    again = shop("report", sample, "--format", "html", "-o", out)
    assert again.exit_code == 0, again.output
    assert (out / "programme-summary.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


# --------------------------------------------------------------------------- killed mid-submit

KILL_POINTS = [
    # (pause point, at which file of the three, is the second file recorded after the kill?)
    pytest.param("after-commit", 1, False, id="between-files-after-the-first-committed"),
    pytest.param("before-begin", 2, False, id="between-files-before-the-second-begins"),
    pytest.param("before-blob", 2, False, id="before-the-blob-write"),
    pytest.param("after-blob", 2, False, id="during-the-blob-write"),
    pytest.param("mid-visits", 2, False, id="half-the-visits-written"),
    pytest.param("before-commit", 2, False, id="everything-written-not-committed"),
    pytest.param("after-commit", 2, True, id="after-the-blob-write-committed"),
]
BIG_VISITS = 200


@pytest.mark.parametrize("point, nth, second_in", KILL_POINTS)
def test_submit_killed_at_a_named_point(sample, tmp_path, point, nth, second_in):
    db = ledger_db(sample)
    wal = db.with_name("ledger.sqlite-wal")
    accepted = submit_baseline(sample)
    # The second file's blob (3 MB) is larger than SQLite's page cache, so its pages spill
    # into the write-ahead log on disk while the transaction is still open.
    files = [sub(sample, "wave2", "V-W2-0002.json"), big_csv(tmp_path / "big.csv", BIG_VISITS, "V-KILL", pad=15000),
             sub(sample, "wave2", "V-W2-0011.json")]
    assert files[1].stat().st_size > 3_000_000
    marker = tmp_path / "paused"
    proc = subprocess.Popen([sys.executable, "-m", "cxreport", "shop", "submit", str(sample), *map(str, files)],
                            env=cli_env(CXREPORT_TEST_PAUSE=f"{point}#{nth}", CXREPORT_TEST_PAUSE_FILE=str(marker)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert marker.exists(), f"the submit never reached {point}#{nth}: {proc.communicate(timeout=30)}"
        assert marker.read_text(encoding="utf-8") == point
        if point in ("after-blob", "mid-visits", "before-commit"):
            assert wal.stat().st_size > 1_000_000     # part of the uncommitted file is on disk
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)    # never leave a paused child behind a failed assertion
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    # All or nothing per file; what was committed before the kill is whole.
    recorded = files[:2] if second_in else files[:1]
    state = snapshot(db)
    assert state["integrity"] == "ok" and state["orphans"] == 0
    assert set(state["blobs"]) == {p.name for p in accepted + recorded}
    assert_recoverable(db, accepted + recorded)
    with Ledger(load_programme(sample)) as ledger:
        visits = {r["name"]: r["n"] for r in ledger.conn.execute(
            "SELECT f.name, COUNT(v.id) AS n FROM files f LEFT JOIN visits v ON v.file_id = f.id GROUP BY f.id")}
        assert visits[files[0].name] == 1
        assert visits.get(files[1].name, 0) == (BIG_VISITS if second_in else 0)

    # The same command again finishes the job: each file once, each visit once.
    again = shop("submit", sample, *files)
    assert again.exit_code == 0, again.output
    assert f"{files[0].name}: unchanged" in again.stdout
    assert (f"{files[1].name}: unchanged" in again.stdout) == second_in
    assert_recoverable(db, accepted + files)
    state = snapshot(db)
    assert state["visits"] == 110 + 1 + BIG_VISITS + 1 == state["scores"]   # wave 1 batches: 110 visits
    with Ledger(load_programme(sample)) as ledger:
        assert ledger.conn.execute("SELECT COUNT(*) FROM visits WHERE status != 'accepted'").fetchone()[0] == 0


# --------------------------------------------------------------------------- concurrent submitters


def test_five_concurrent_submitters_with_overlapping_files(sample, tmp_path):
    db = ledger_db(sample)
    accepted = submit_baseline(sample)
    w2 = {n: sub(sample, "wave2", n) for n in ("wave2_batch1.csv", "wave2_batch2.csv", "wave2_chat.xlsx",
                                              "wave2_phone_long.csv", "V-W2-0002.json", "V-W2-0011.json")}
    # The same visit id in two different files.
    first_claim = json_visit(tmp_path / "claim_a.json", "V-W2-9001", "Visited in the morning.")
    second_claim = json_visit(tmp_path / "claim_b.json", "V-W2-9001", "Visited in the afternoon.")
    # The same bytes as wave2_batch2.csv under another name.
    renamed = tmp_path / "batch2_copy.csv"
    renamed.write_bytes(w2["wave2_batch2.csv"].read_bytes())
    plans = [
        [w2["wave2_batch1.csv"], first_claim, w2["V-W2-0002.json"]],
        [w2["wave2_batch1.csv"], second_claim, w2["wave2_batch2.csv"]],      # the same file as submitter 1, at once
        [w2["wave2_chat.xlsx"], renamed, w2["V-W2-0011.json"]],
        [w2["wave2_chat.xlsx"], w2["wave2_phone_long.csv"], w2["V-W2-0002.json"]],
        [w2["wave2_phone_long.csv"], w2["wave2_batch2.csv"], w2["wave2_batch1.csv"]],
    ]
    # Each submitter holds the ledger's write lock for 0.3 s before its first commit, so the
    # others must queue behind it.
    env = cli_env(CXREPORT_TEST_PAUSE="before-commit", CXREPORT_TEST_PAUSE_SECONDS="0.3")
    procs = [subprocess.Popen([sys.executable, "-m", "cxreport", "shop", "submit", str(sample), *map(str, plan),
                               "--by", f"submitter{k}"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for k, plan in enumerate(plans, start=1)]
    outputs = [p.communicate(timeout=120) for p in procs]
    codes = [p.returncode for p in procs]

    # One winner for V-W2-9001; the loser is told why, and exits 1. Everyone else succeeds.
    state = snapshot(db)
    assert state["integrity"] == "ok" and state["orphans"] == 0
    winner = "claim_a.json" if "claim_a.json: accepted" in outputs[0][0] else "claim_b.json"
    loser_index = 1 if winner == "claim_a.json" else 0
    loser = "claim_b.json" if winner == "claim_a.json" else "claim_a.json"
    assert codes[loser_index] == 1 and [c for k, c in enumerate(codes) if k != loser_index] == [0, 0, 0, 0], outputs
    assert (f"{loser}: visit V-W2-9001: visit id V-W2-9001 was already accepted from {winner}"
            in outputs[loser_index][1])
    assert "Traceback" not in "".join(o + e for o, e in outputs)

    # Every distinct file recorded exactly once, byte for byte, under the name it first came
    # in with; the renamed copy is not a second file (whichever of the two names won).
    distinct = [*w2.values(), first_claim, second_claim]
    by_content = {blob: name for name, blobs in state["blobs"].items() for blob in blobs}
    assert sorted(by_content) == sorted(p.read_bytes() for p in accepted + distinct)
    assert by_content[renamed.read_bytes()] in {"batch2_copy.csv", "wave2_batch2.csv"}
    assert state["files"] == len(accepted) + len(distinct)
    with Ledger(load_programme(sample)) as ledger:
        conn = ledger.conn
        assert conn.execute("SELECT COUNT(*) FROM (SELECT sha256 FROM files GROUP BY sha256 HAVING COUNT(*) > 1)"
                            ).fetchone()[0] == 0
        claims = conn.execute("SELECT f.name, v.status, v.problems FROM visits v JOIN files f ON f.id = v.file_id"
                              " WHERE v.visit_id = 'V-W2-9001' ORDER BY v.id").fetchall()
        assert [(r["name"], r["status"]) for r in claims] == [(winner, "accepted"), (loser, "rejected")]
        # Nothing lost: every visit of every file is in, once (the claim once).
        expected = {v.visit_id for p in w2.values() for v in read_scoresheet(p.name, p.read_bytes())}
        accepted_w2 = [r[0] for r in conn.execute(
            "SELECT visit_id FROM visits WHERE wave = 'W2' AND status = 'accepted'")]
        assert sorted(accepted_w2) == sorted(expected | {"V-W2-9001"})
        whom = {r["name"]: r["submitted_by"] for r in conn.execute("SELECT name, submitted_by FROM files")}
        assert whom["wave2_batch1.csv"] in {"submitter1", "submitter2", "submitter5"}


# --------------------------------------------------------------------------- the same file twice


def test_the_same_file_twice_in_one_command_and_again_later(sample):
    db = ledger_db(sample)
    batch = sub(sample, "wave1", "wave1_batch1.csv")
    result = shop("submit", sample, batch, batch)
    assert result.exit_code == 0, result.output
    assert "wave1_batch1.csv: accepted (39 of 39 visits accepted)" in result.stdout
    assert "wave1_batch1.csv: unchanged — identical to wave1_batch1.csv submitted" in result.stdout
    before = snapshot(db)
    later = shop("submit", sample, batch)
    assert later.exit_code == 0 and "unchanged" in later.stdout and "(accepted); nothing to do" in later.stdout
    assert snapshot(db) == before and before["files"] == 1


def test_the_same_bytes_under_another_name_are_not_stored_twice(sample, tmp_path):
    db = ledger_db(sample)
    batch = sub(sample, "wave1", "wave1_batch1.csv")
    assert shop("submit", sample, batch).exit_code == 0
    before = snapshot(db)
    copy = tmp_path / "resent_by_email.csv"
    copy.write_bytes(batch.read_bytes())
    result = shop("submit", sample, copy)
    assert result.exit_code == 0, result.output
    assert "resent_by_email.csv: unchanged — identical to wave1_batch1.csv submitted" in result.stdout
    assert snapshot(db) == before
    listing = shop("files", sample)
    assert "wave1_batch1.csv" in listing.stdout and "resent_by_email.csv" not in listing.stdout


def test_a_rejected_file_sent_again_stays_rejected_and_is_not_stored_twice(sample):
    bad = sub(sample, "invalid", "01_outside_wave.json")
    first = shop("submit", sample, bad)
    assert first.exit_code == 1 and "outside wave W2" in first.stderr
    before = snapshot(ledger_db(sample))
    again = shop("submit", sample, bad)
    assert again.exit_code == 0, again.output
    assert "01_outside_wave.json: unchanged" in again.stdout and "(rejected); nothing to do" in again.stdout
    assert snapshot(ledger_db(sample)) == before


def test_the_same_name_with_new_bytes_is_a_new_file(sample, tmp_path):
    db = ledger_db(sample)
    (tmp_path / "v1").mkdir()
    (tmp_path / "v2").mkdir()
    old = json_visit(tmp_path / "v1" / "visit.json", "V-W2-9100", "First version.")
    new = json_visit(tmp_path / "v2" / "visit.json", "V-W2-9100", "Second version.")
    assert shop("submit", sample, old).exit_code == 0
    result = shop("submit", sample, new)
    assert_clean_failure(result, "rejected")
    assert "visit id V-W2-9100 was already accepted from visit.json" in result.stderr
    state = snapshot(db)
    assert state["blobs"]["visit.json"] == [old.read_bytes(), new.read_bytes()]
    out = tmp_path / "recovered"
    assert shop("files", sample, "--extract", out).exit_code == 0
    assert (out / "visit.json").read_bytes() == old.read_bytes()
    assert (out / "visit-2.json").read_bytes() == new.read_bytes()


# --------------------------------------------------------------------------- getting files back


def test_files_lists_every_stored_submission(sample, tmp_path):
    accepted = submit_baseline(sample)
    bad = sub(sample, "invalid", "02_unknown_location.csv")
    # One good visit and one bad one: a partly accepted file.
    rows = list(csv.reader(io.StringIO(sub(sample, "wave2", "wave2_batch1.csv").read_text(encoding="utf-8"))))
    rows[2][1] = "NOWHERE"
    partly = tmp_path / "partly.csv"
    with partly.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows[:3])
    assert shop("submit", sample, partly, bad, "--by", "Ana Lopez").exit_code == 1
    listing = shop("files", sample)
    assert listing.exit_code == 0, listing.output
    lines = listing.stdout.splitlines()
    assert lines[0].split("\t") == ["id", "submitted", "by", "status", "bytes", "sha256", "name"]
    rows = [line.split("\t") for line in lines[1:]]
    assert [r[-1] for r in rows] == [p.name for p in accepted + [partly, bad]]
    for r, p in zip(rows, accepted + [partly, bad]):
        assert r[5] == hashlib.sha256(p.read_bytes()).hexdigest() and int(r[4]) == p.stat().st_size
        assert r[1].startswith("20") and r[1].endswith("+00:00")
    assert rows[-2][2:4] == ["Ana Lopez", "partly accepted"]
    assert rows[-1][2:4] == ["Ana Lopez", "rejected"]
    only_rejected = shop("files", sample, "--status", "rejected")
    assert [line.split("\t")[-1] for line in only_rejected.stdout.splitlines()[1:]] == [bad.name]
    only_accepted = shop("files", sample, "--status", "accepted")
    assert [line.split("\t")[-1] for line in only_accepted.stdout.splitlines()[1:]] == [
        p.name for p in accepted + [partly]]


def test_files_extract_writes_every_file_back_byte_for_byte(sample, tmp_path):
    accepted = submit_baseline(sample)
    bad = sub(sample, "invalid", "08_truncated.json")
    shop("submit", sample, bad)
    out = tmp_path / "recovered"
    result = shop("files", sample, "--status", "accepted", "--extract", out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in accepted)
    for p in accepted:
        assert (out / p.name).read_bytes() == p.read_bytes()
    everything = shop("files", sample, "--extract", out)
    assert "1 written, 4 already there" in everything.stderr
    assert (out / bad.name).read_bytes() == bad.read_bytes()


HOSTILE_NAMES = ["../../evil.csv", "/etc/passwd", "..", "...", "a\\..\\..\\win.csv", ".hidden.csv",
                 "bell\x07and\x1b[31mred\n.csv", "CON.csv", "nul.tar.gz", "x" * 300 + ".csv", "évaluation 門市.csv",
                 "evil.csv", "EVIL.csv", "right\u202eto-left.csv"]


def test_extract_never_writes_outside_the_folder_whatever_the_stored_name(sample, tmp_path):
    prog = load_programme(sample)
    contents = {name: f"visit_id\nnot a scoresheet {k}\n".encode() for k, name in enumerate(HOSTILE_NAMES)}
    with Ledger(prog) as ledger:   # the API stores any name; the command line only ever gives a base name
        for name, raw in contents.items():
            ledger.submit(name, raw, who="tester")
    out = tmp_path / "deep" / "recovered"
    out.mkdir(parents=True)
    outside = tmp_path / "outside.csv"
    outside.write_text("keep me", encoding="utf-8")
    (out / "evil.csv").symlink_to(outside)          # a trap: writing through it would land outside
    before_outside = sorted(p.name for p in tmp_path.iterdir())

    result = shop("files", sample, "--extract", out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == before_outside
    assert outside.read_text(encoding="utf-8") == "keep me"
    written = [p for p in out.iterdir() if not p.is_symlink()]
    assert len(written) == len(HOSTILE_NAMES)
    assert sorted(p.read_bytes() for p in written) == sorted(contents.values())
    for p in written:
        assert p.parent == out and p.resolve().parent == out.resolve()
        assert not p.name.startswith(".") and len(p.name.encode()) <= 150
        assert all(c.isprintable() for c in p.name)
    names = {p.name for p in written}
    assert len({n.casefold() for n in names}) == len(names)
    # ../../evil.csv and evil.csv cannot be evil.csv (the trap is there): -2 and -3.
    assert {"evil-2.csv", "evil-3.csv", "EVIL.csv", "passwd", "win.csv", "hidden.csv", "_CON.csv",
            "évaluation 門市.csv", "bell_and_31mred_.csv", "_nul.tar.gz", "right_to-left.csv"} <= names
    assert sum(n.startswith("file-") for n in names) == 2          # '..' and '...'
    assert any(n.startswith("xxxx") and n.endswith(".csv") for n in names)
    assert "\x1b" not in result.output and "\x07" not in result.output and "\u202e" not in result.output
    assert "bell\\x07and\\x1b[31mred\\n.csv" in result.output         # shown as escapes


def test_extract_refuses_stored_bytes_that_no_longer_match_their_sha256(sample, tmp_path):
    # Issue 12: file by file — the mismatching file is listed and skipped, every other file
    # is still extracted, and the command exits 3 (it used to stop at the first mismatch).
    accepted = submit_baseline(sample)
    conn = sqlite3.connect(ledger_db(sample))
    conn.execute("UPDATE files SET content = ? WHERE name = ?", (b"tampered", accepted[1].name))
    conn.commit()
    conn.close()
    out = tmp_path / "recovered"
    result = shop("files", sample, "--extract", out)
    assert result.exit_code == 3 and "Traceback" not in result.output
    (error,) = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert "1 stored file(s) could not be read" in error and "restore the ledger from a backup" in error
    (listed,) = [line for line in result.stderr.splitlines() if accepted[1].name in line]
    assert "do not match the SHA-256" in listed and "not extracted" in listed
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in accepted if p != accepted[1])


def test_files_without_a_ledger_is_a_clear_error(sample):
    assert_clean_failure(shop("files", sample), "no ledger yet", "cxreport shop submit")
    assert not ledger_db(sample).exists()


def test_files_help_has_an_example():
    result = CliRunner().invoke(cli, ["shop", "files", "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output and "--extract" in result.output
