"""The programme ledger: an SQLite database beside the programme file. Nothing is lost.

- Every submitted file is kept: its bytes, SHA-256, who and when, and what happened.
- Every visit in it is kept with its parsed answers, its validation result and its status:
  ``accepted``, ``rejected`` or ``superseded`` (replaced with ``--replace --reason``, never
  deleted). At most one accepted visit per visit id (a unique index enforces it), ids
  compared as :func:`~cxreport.shop.intake.visit_key` says (NFKC, case folded, invisible
  characters removed, every dash '-'): ``v–w1–0003`` is visit ``V-W1-0003`` written
  differently. A visit with the same location, shopper, date, times and answers as an
  accepted visit under another id is accepted with a warning (and listed by ``status``).
- Damage is detected before anything is written (``PRAGMA quick_check`` once per command
  that writes): a damaged ledger is never written to. Reading commands end in one line
  naming the ledger; ``shop files`` salvages every stored file that can still be read.
- Each file is taken in one ``BEGIN IMMEDIATE`` transaction (WAL mode, long busy
  timeout): a process killed mid-submit leaves no trace of that file, and concurrent
  submitters queue instead of failing. A full disk (SQLite's ``SQLITE_FULL``) rolls the
  file's transaction back and is reported as one line naming the file.
- Scores are stored per scoring run. Submitting adds the new visits' scores to the
  current run; ``rescore`` starts a new run over every accepted visit and keeps the old.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import os
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePath

import pandas as pd

from cxreport.errors import CxError
from cxreport.shop.evidence import SCHEMA as EVIDENCE_SCHEMA
from cxreport.shop.evidence import link_visit, read_submission, store_files, store_links, unlinked_note
from cxreport.shop.intake import FileError, Visit, check_visit, printable, visit_key
from cxreport.shop.programme import ProgrammeFile
from cxreport.shop.scoring import VisitScores, score_visits

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    content BLOB NOT NULL,
    submitted_at TEXT NOT NULL,
    submitted_by TEXT NOT NULL,
    questionnaire_version TEXT NOT NULL,
    status TEXT NOT NULL,            -- accepted | partly accepted | rejected
    problems TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS files_sha256 ON files(sha256);
CREATE TABLE IF NOT EXISTS visits (
    id INTEGER PRIMARY KEY,
    file_id INTEGER NOT NULL REFERENCES files(id),
    visit_id TEXT NOT NULL,
    location_id TEXT, shopper_id TEXT, wave TEXT, channel TEXT, visit_date TEXT,
    data TEXT NOT NULL,               -- the parsed visit (JSON)
    status TEXT NOT NULL,             -- accepted | rejected | superseded
    problems TEXT NOT NULL DEFAULT '[]',
    questionnaire_version TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    submitted_by TEXT NOT NULL,
    superseded_by INTEGER REFERENCES visits(id),
    replace_reason TEXT,
    visit_key TEXT,                   -- visit_id as compared (intake.visit_key)
    content_key TEXT                  -- Visit.content_key(): same visit under another id
);
CREATE UNIQUE INDEX IF NOT EXISTS one_accepted_visit ON visits(visit_id) WHERE status = 'accepted';
CREATE INDEX IF NOT EXISTS visits_status ON visits(status);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    questionnaire_version TEXT NOT NULL,
    settings_sha256 TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS scores (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    visit_row INTEGER NOT NULL REFERENCES visits(id),
    score REAL, raw_score REAL, status TEXT NOT NULL, band TEXT, tier TEXT,
    detail TEXT NOT NULL,             -- sections and items (JSON)
    PRIMARY KEY (run_id, visit_row)
);
"""


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _portable(value, base: Path):
    """``value`` with every path written relative to the programme folder (POSIX style)."""
    if isinstance(value, PurePath):
        path = Path(value)
        if path.is_absolute():
            try:
                path = Path(os.path.relpath(path, base))
            except ValueError:          # another drive (Windows): nothing relative to say
                pass
        return path.as_posix()
    if isinstance(value, dict):
        return {k: _portable(v, base) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_portable(v, base) for v in value]
    return value


def settings_hash(prog: ProgrammeFile) -> str:
    """What a score depends on: the questionnaire, scoring settings and standards — their
    content, with paths relative to the programme folder, so that moving or copying the
    folder keeps the scoring run current."""
    from pydantic_core import to_jsonable_python

    base = Path(prog.base_dir).resolve()
    payload = {"q": prog.questionnaire.model_dump(mode="python"), "s": prog.scoring.model_dump(mode="python"),
               "t": prog.service_standards.model_dump(mode="python")}
    text = json.dumps(to_jsonable_python(_portable(payload, base)), sort_keys=True)
    return hashlib.sha256(("settings/2\n" + text).encode()).hexdigest()


def legacy_settings_hash(prog: ProgrammeFile) -> str:
    """The hash earlier versions recorded (it held absolute paths): runs made with it stay
    current as long as the programme has not moved."""
    payload = json.dumps({"q": prog.questionnaire.model_dump(mode="json"),
                          "s": prog.scoring.model_dump(mode="json"),
                          "t": prog.service_standards.model_dump(mode="json")}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def settings_match(prog: ProgrammeFile, recorded: str) -> bool:
    return recorded == settings_hash(prog) or recorded == legacy_settings_hash(prog)


# --------------------------------------------------------------------------- test hooks
#
# Inert unless the environment sets them; tests/test_shop_faults.py uses them to stop a
# real `cxreport shop submit` at a named point (and SIGKILL it there) or to fill the disk.
#
#   CXREPORT_TEST_PAUSE=POINT[#N]    the Nth time (default: the first) a submit reaches
#                                    POINT, create the file CXREPORT_TEST_PAUSE_FILE names
#                                    and sleep CXREPORT_TEST_PAUSE_SECONDS (default 60)
#   CXREPORT_TEST_LEDGER_MAX_PAGES=N PRAGMA max_page_count = N on every ledger connection:
#                                    the ledger cannot grow past N pages (SQLITE_FULL)

#: Where a submit can be paused, in the order it reaches them for each file.
PAUSE_POINTS = ("before-begin", "before-blob", "after-blob", "mid-visits", "before-commit", "after-commit")
_reached: dict[str, int] = {}


def pause_point(name: str) -> None:
    spec = os.environ.get("CXREPORT_TEST_PAUSE")
    if not spec:
        return
    point, _sep, nth = spec.partition("#")
    if point != name:
        return
    _reached[name] = _reached.get(name, 0) + 1
    if _reached[name] != int(nth or 1):
        return
    marker = os.environ.get("CXREPORT_TEST_PAUSE_FILE")
    if marker:
        # Written whole, then renamed: a watcher that sees the file sees its text too.
        part = Path(marker + ".part")
        part.write_text(name, encoding="utf-8")
        os.replace(part, marker)
    time.sleep(float(os.environ.get("CXREPORT_TEST_PAUSE_SECONDS", "60")))


def is_damage(exc: BaseException) -> bool:
    """Whether an SQLite error means the ledger file is damaged (or not a database at all)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB) or any(
        words in str(exc) for words in ("malformed", "not a database", "file is encrypted"))


def damaged_text(path: Path, detail: str, *, writing: bool = False, programme: Path | str | None = None) -> str:
    """One line: the ledger is damaged, what was (not) done, what to do."""
    done = "nothing was written to it; " if writing else ""
    return (f"the ledger {path} is damaged ({printable(detail)}); {done}get the stored files back with "
            f"`cxreport shop files {printable(str(programme or 'PROGRAMME'))} --extract DIR` (every file that can "
            "still be read) and restore the ledger from a backup")


def ledger_problem(exc: sqlite3.Error, path: Path, programme: Path | None = None) -> str:
    """An SQLite error as the words a user acts on."""
    code = getattr(exc, "sqlite_errorcode", None)
    if is_damage(exc):
        return damaged_text(path, str(exc), programme=programme)
    if code == sqlite3.SQLITE_FULL or "disk is full" in str(exc):
        return (f"the disk is full ({path.name} could not grow: {exc}); free some space and try again")
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or "locked" in str(exc):
        return f"{path.name} stayed locked by another process; try again when it has finished"
    return f"{path.name}: {exc}"


def connect(path: Path, wait_seconds: float = 60.0) -> sqlite3.Connection:
    """Open (and if needed create) the ledger; waits for other processes creating it too."""
    try:
        conn = sqlite3.connect(path, timeout=wait_seconds, isolation_level=None)
    except sqlite3.OperationalError as exc:
        raise CxError(f"cannot open the ledger {path}: {exc}") from None
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {int(wait_seconds * 1000)}")
    if os.environ.get("CXREPORT_TEST_LEDGER_MAX_PAGES"):
        conn.execute(f"PRAGMA max_page_count = {int(os.environ['CXREPORT_TEST_LEDGER_MAX_PAGES'])}")
    deadline = time.monotonic() + wait_seconds
    while True:
        # Switching to WAL and creating the tables can meet another process doing the same;
        # SQLite answers "locked" at once there instead of waiting, so wait here.
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.executescript(SCHEMA)
            conn.executescript(EVIDENCE_SCHEMA)     # evidence files (shop.evidence)
            return conn
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() > deadline:
                raise CxError(f"the ledger {path} stayed locked by another process for {wait_seconds:.0f} s") from None
            time.sleep(0.05)


@dataclass
class VisitOutcome:
    visit_id: str
    status: str          # accepted | rejected | replaced
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class FileOutcome:
    name: str
    status: str          # accepted | partly accepted | rejected | unchanged
    visits: list[VisitOutcome] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def rejected(self) -> int:
        return sum(v.status == "rejected" for v in self.visits) + (1 if self.status == "rejected" and not self.visits else 0)


class Ledger:
    def __init__(self, prog: ProgrammeFile):
        self.prog = prog
        self.path = prog.ledger_path
        self._ready_for_writes = False
        try:
            self.conn = connect(self.path)
        except sqlite3.DatabaseError as exc:
            if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_NOTADB or "not a database" in str(exc):
                raise CxError(f"{self.path}: not a cxreport ledger ({exc})") from None
            raise CxError(f"cannot use the ledger: {ledger_problem(exc, self.path)}") from None

    # ----------------------------------------------------------------------- damage

    def damage(self) -> str | None:
        """What ``PRAGMA quick_check`` finds wrong (its first finding, and how many more), or
        None when the ledger is intact."""
        try:
            found = [str(r[0]) for r in self.conn.execute("PRAGMA quick_check(5)")]
        except sqlite3.DatabaseError as exc:
            return f"PRAGMA quick_check: {exc}"
        if found == ["ok"]:
            return None
        lines = [ln.strip() for text in found for ln in text.splitlines()
                 if ln.strip() and not ln.strip().startswith("***")] or ["failed"]
        more = f" (and {len(lines) - 1} more)" if len(lines) > 1 else ""
        return f"PRAGMA quick_check: {lines[0]}{more}"

    def prepare_for_writes(self) -> None:
        """Before the first write of a command: refuse a damaged ledger (``PRAGMA quick_check``;
        nothing is written to it), then bring an older ledger's visits up to date (the
        ``visit_key`` and ``content_key`` columns and their indexes). Once per :class:`Ledger`."""
        if self._ready_for_writes:
            return
        problem = self.damage()
        if problem is not None:
            raise CxError(damaged_text(self.path, problem, writing=True, programme=self.prog.path))
        try:
            self._migrate()
            from cxreport.shop.followup import create_tables

            create_tables(self.conn)        # follow-up actions and appeals (an older ledger gains them)
        except sqlite3.Error as exc:
            raise CxError(f"the ledger could not be prepared: {ledger_problem(exc, self.path)} "
                          "(it is unchanged)") from None
        self._ready_for_writes = True

    def _migration_needed(self) -> bool:
        conn = self.conn
        columns = {r["name"] for r in conn.execute("PRAGMA table_info(visits)")}
        if not {"visit_key", "content_key"} <= columns:
            return True
        if conn.execute("SELECT 1 FROM visits WHERE visit_key IS NULL OR content_key IS NULL LIMIT 1").fetchone():
            return True
        indexes = {r["name"] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        if not {"visits_key", "visits_content"} <= indexes:
            return True
        return "one_accepted_visit_key" not in indexes and conn.execute(
            "SELECT 1 FROM visits WHERE status = 'accepted' GROUP BY visit_key HAVING COUNT(*) > 1 LIMIT 1"
        ).fetchone() is None

    def _migrate(self) -> None:
        if not self._migration_needed():       # the usual case: nothing to write, no lock taken
            return
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            columns = {r["name"] for r in conn.execute("PRAGMA table_info(visits)")}
            for column in ("visit_key", "content_key"):
                if column not in columns:
                    conn.execute(f"ALTER TABLE visits ADD COLUMN {column} TEXT")
            stale = conn.execute("SELECT id, visit_id, data FROM visits WHERE visit_key IS NULL OR content_key IS NULL"
                                 ).fetchall()
            conn.executemany("UPDATE visits SET visit_key = ?, content_key = ? WHERE id = ?",
                             [(visit_key(r["visit_id"]), Visit.from_json(r["data"]).content_key(), r["id"])
                              for r in stale])
            conn.execute("CREATE INDEX IF NOT EXISTS visits_key ON visits(visit_key)")
            conn.execute("CREATE INDEX IF NOT EXISTS visits_content ON visits(content_key)")
            exists = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'one_accepted_visit_key'").fetchone()
            duplicates = conn.execute("SELECT 1 FROM visits WHERE status = 'accepted' GROUP BY visit_key"
                                      " HAVING COUNT(*) > 1 LIMIT 1").fetchone()
            if not exists and not duplicates:
                # One accepted visit per id as compared; a ledger from before this rule that
                # holds two spellings of one id keeps working without it (status lists them).
                conn.execute("CREATE UNIQUE INDEX one_accepted_visit_key ON visits(visit_key) WHERE status = 'accepted'")
            conn.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ----------------------------------------------------------------------- submit

    def submit(self, name: str, raw: bytes, *, replace: bool = False, reason: str | None = None,
               who: str | None = None) -> FileOutcome:
        """Take one file in one transaction: all of it is recorded, or none of it.

        An SQLite failure (a full disk, a lock held too long) rolls the transaction back and
        becomes a :class:`CxError` naming the file.
        """
        self.prepare_for_writes()
        pause_point("before-begin")
        try:
            outcome = self._submit(name, raw, replace=replace, reason=reason, who=who or getpass.getuser())
        except sqlite3.Error as exc:
            raise CxError(f"{name}: not recorded, {ledger_problem(exc, self.path)} "
                          "(the ledger is unchanged by this file)") from None
        pause_point("after-commit")
        return outcome

    def _rollback(self) -> None:
        # SQLite may already have rolled back (it does on SQLITE_FULL); a failed rollback is
        # undone when the ledger is next opened, since nothing was committed.
        if self.conn.in_transaction:
            try:
                self.conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass

    def _submit(self, name: str, raw: bytes, *, replace: bool, reason: str | None, who: str) -> FileOutcome:
        sha = hashlib.sha256(raw).hexdigest()
        version = self.prog.questionnaire.version
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            previous = conn.execute("SELECT name, submitted_at, status FROM files WHERE sha256 = ? ORDER BY id DESC LIMIT 1",
                                    (sha,)).fetchone()
            # The same bytes again change nothing, except that --replace may take visits an
            # earlier submission of the file had rejected.
            if previous is not None and not (replace and previous["status"] != "accepted"):
                conn.execute("ROLLBACK")
                return FileOutcome(name, "unchanged", note=f"identical to {previous['name']} submitted "
                                   f"{previous['submitted_at']} ({previous['status']}); nothing to do")
            stamp = now()
            try:
                submission = read_submission(self.prog, name, raw)    # a ZIP brings evidence files too
                visits = submission.visits
                file_problems: list[str] = []
            except FileError as exc:
                submission, visits, file_problems = None, [], [str(exc)]
            except Exception as exc:   # never lost: whatever reading it raised, the file is recorded
                submission, visits, file_problems = None, [], [f"could not be read ({type(exc).__name__}: {printable(str(exc)[:200])})"]
            pause_point("before-blob")
            cur = conn.execute(
                "INSERT INTO files (name, sha256, size, content, submitted_at, submitted_by, questionnaire_version,"
                " status, problems) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (name, sha, len(raw), raw, stamp, who, version, "rejected", json.dumps(file_problems)))
            file_id = cur.lastrowid
            evidence_ids = store_files(conn, file_id, submission)
            linked: set[str] = set()
            pause_point("after-blob")
            outcome = FileOutcome(name, "rejected", problems=file_problems)
            accepted_rows: list[int] = []
            seen_in_file: dict[str, Visit] = {}
            content_in_file: dict[str, Visit] = {}
            for number, visit in enumerate(visits, start=1):
                if number == len(visits) // 2 + 1:
                    pause_point("mid-visits")
                problems = check_visit(self.prog, visit)
                evidence = link_visit(self.prog, visit, submission)
                problems += evidence.problems
                key = visit_key(visit.visit_id)
                shown = printable(visit.visit_id)
                first = seen_in_file.get(key) if key else None
                if first is not None:
                    problems.append(f"visit id {shown} appears twice in this file" if first.visit_id == visit.visit_id
                                    else f"visit id {shown} appears twice in this file, also as {printable(first.visit_id)}"
                                         f"{f' ({first.where})' if first.where else ''}: {SAME_ID_RULE}")
                seen_in_file.setdefault(key, visit)
                existing = conn.execute(
                    "SELECT v.id, v.visit_id, f.name, f.submitted_at FROM visits v JOIN files f ON f.id = v.file_id"
                    " WHERE v.visit_key = ? AND v.status = 'accepted' ORDER BY v.id", (key,)).fetchall() if key else []
                if existing and not problems and not replace:
                    old = existing[0]
                    if old["visit_id"] == visit.visit_id:
                        problems.append(f"visit id {shown} was already accepted from {printable(old['name'])} "
                                        f"({old['submitted_at']}); to replace it use --replace --reason \"...\"")
                    else:
                        problems.append(f"visit id {shown} is visit {printable(old['visit_id'])}, already accepted from "
                                        f"{printable(old['name'])} ({old['submitted_at']}), written differently "
                                        f"({SAME_ID_RULE}); to replace it use --replace --reason \"...\"")
                status = "rejected" if problems else "accepted"
                if status == "accepted":
                    for old in existing:
                        conn.execute("UPDATE visits SET status = 'superseded', replace_reason = ? WHERE id = ?",
                                     (reason, old["id"]))
                content = visit.content_key()
                row = conn.execute(
                    "INSERT INTO visits (file_id, visit_id, location_id, shopper_id, wave, channel, visit_date, data,"
                    " status, problems, questionnaire_version, submitted_at, submitted_by, replace_reason,"
                    " visit_key, content_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (file_id, visit.visit_id, visit.location_id, visit.shopper_id, visit.wave, visit.channel.lower(),
                     visit.visit_date, visit.to_json(), status, json.dumps(problems), version, stamp, who,
                     reason if existing and status == "accepted" else None, key, content)).lastrowid
                store_links(conn, evidence_ids, row, evidence)
                linked.update(key for _item, key in evidence.links)
                if status == "accepted":
                    accepted_rows.append(row)
                    for old in existing:
                        conn.execute("UPDATE visits SET superseded_by = ? WHERE id = ?", (row, old["id"]))
                    result = VisitOutcome(visit.visit_id, "replaced" if existing else "accepted")
                    result.warnings = self._same_content(visit, content, row, content_in_file)
                    content_in_file.setdefault(content, visit)
                    outcome.visits.append(result)
                else:
                    outcome.visits.append(VisitOutcome(visit.visit_id, "rejected", problems))
                outcome.visits[-1].warnings += evidence.warnings
            outcome.note = unlinked_note(submission, linked)    # evidence files no answer names
            n_ok = len(accepted_rows)
            if n_ok and n_ok == len(visits):
                outcome.status = "accepted"
            elif n_ok:
                outcome.status = "partly accepted"
            conn.execute("UPDATE files SET status = ? WHERE id = ?", (outcome.status, file_id))
            if accepted_rows:
                run_id = self._current_run(who)
                if run_id is not None:
                    self._score_into(run_id, accepted_rows)
                    from cxreport.shop.followup import refresh_actions

                    refresh_actions(self, who, rows=accepted_rows)      # follow-up actions the new visits open
                else:
                    outcome.note = ("the questionnaire or scoring settings changed since the last scoring run; "
                                    "the visits are recorded — run `cxreport shop rescore` to score them")
            pause_point("before-commit")
            conn.execute("COMMIT")
            return outcome
        except BaseException:
            self._rollback()
            raise

    def _same_content(self, visit: Visit, content: str, row: int, in_file: dict[str, Visit]) -> list[str]:
        """A warning when an accepted visit has this one's content under another id."""
        twin = in_file.get(content)
        if twin is not None:
            return [f"warning: the same location, shopper, date, times and answers as visit "
                    f"{printable(twin.visit_id)} in this file; check that it is not one visit sent twice "
                    "under two ids"]
        other = self.conn.execute(
            "SELECT v.visit_id, f.name FROM visits v JOIN files f ON f.id = v.file_id WHERE v.content_key = ?"
            " AND v.status = 'accepted' AND v.id != ? ORDER BY v.id LIMIT 1", (content, row)).fetchone()
        if other is None:
            return []
        return [f"warning: the same location, shopper, date, times and answers as visit "
                f"{printable(other['visit_id'])} (accepted from {printable(other['name'])}); check that it is not "
                "one visit sent twice under two ids"]

    def identical_visits(self) -> tuple[list[list[dict]], list[list[dict]]]:
        """Accepted visits to look at, as groups of {visit_id, file}, oldest first:
        (visits sharing location, shopper, date, times and answers under different ids;
        one visit id accepted under several spellings — possible only in a ledger filled
        before ids were compared by :func:`~cxreport.shop.intake.visit_key`)."""
        same_content: dict[str, list[dict]] = {}
        same_id: dict[str, list[dict]] = {}
        for r in self.conn.execute("SELECT v.visit_id, v.data, f.name FROM visits v JOIN files f ON f.id = v.file_id"
                                   " WHERE v.status = 'accepted' ORDER BY v.id"):
            record = {"visit_id": r["visit_id"], "file": r["name"]}
            same_content.setdefault(Visit.from_json(r["data"]).content_key(), []).append(record)
            same_id.setdefault(visit_key(r["visit_id"]), []).append(record)
        return ([g for g in same_content.values() if len(g) > 1], [g for g in same_id.values() if len(g) > 1])

    # ----------------------------------------------------------------------- scoring runs

    def _current_run(self, who: str, reason: str = "scores of submitted visits") -> int | None:
        """The scoring run new visits go into: the latest, if it used the current settings.

        The first submission starts run 1. After a questionnaire or settings change there is
        no current run until `rescore` makes one (reports refuse to run until then).
        """
        digest = settings_hash(self.prog)
        row = self.conn.execute("SELECT id, settings_sha256 FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        if row is None:
            return int(self.conn.execute(
                "INSERT INTO runs (created_at, created_by, questionnaire_version, settings_sha256, reason)"
                " VALUES (?, ?, ?, ?, ?)", (now(), who, self.prog.questionnaire.version, digest, reason)).lastrowid)
        return int(row["id"]) if settings_match(self.prog, row["settings_sha256"]) else None

    def _score_into(self, run_id: int, rows: list[int]) -> None:
        if not rows:
            return
        frame = self._visit_rows(rows)
        scores = score_frame(self.prog, frame)
        records = []
        for i, row_id in enumerate(frame["row"]):
            detail = {
                "sections": {s: (None if pd.isna(scores.section_score[i, k]) else round(float(scores.section_score[i, k]), 6))
                             for k, s in enumerate(scores.section_ids)},
                "critical": scores.critical_items[i],
            }
            score = scores.score[i]
            records.append((run_id, int(row_id), None if pd.isna(score) else float(score),
                            None if pd.isna(scores.raw_score[i]) else float(scores.raw_score[i]),
                            scores.status(i), scores.band[i], scores.tier[i], json.dumps(detail)))
        self.conn.executemany(
            "INSERT OR REPLACE INTO scores (run_id, visit_row, score, raw_score, status, band, tier, detail)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", records)

    def rescore(self, reason: str, who: str | None = None) -> tuple[int, int, int]:
        """A new scoring run over every accepted visit; returns (run id, visits, scores changed)."""
        who = who or getpass.getuser()
        self.prepare_for_writes()
        try:
            return self._rescore(reason, who)
        except sqlite3.Error as exc:
            raise CxError(f"rescore not done, {ledger_problem(exc, self.path)} "
                          "(the ledger is unchanged)") from None

    def _rescore(self, reason: str, who: str) -> tuple[int, int, int]:
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            before = {r["visit_row"]: r["score"] for r in conn.execute(
                "SELECT visit_row, score FROM scores WHERE run_id = (SELECT MAX(id) FROM runs)")}
            run_id = conn.execute(
                "INSERT INTO runs (created_at, created_by, questionnaire_version, settings_sha256, reason)"
                " VALUES (?, ?, ?, ?, ?)", (now(), who, self.prog.questionnaire.version, settings_hash(self.prog),
                                            reason)).lastrowid
            rows = [r["id"] for r in conn.execute("SELECT id FROM visits WHERE status = 'accepted'")]
            self._score_into(run_id, rows)
            from cxreport.shop.followup import refresh_actions

            refresh_actions(self, who)                        # follow-up actions the new scores open
            after = {r["visit_row"]: r["score"] for r in conn.execute(
                "SELECT visit_row, score FROM scores WHERE run_id = ?", (run_id,))}
            changed = sum(1 for k, v in after.items() if k not in before or before[k] != v)
            conn.execute("COMMIT")
            return int(run_id), len(rows), changed
        except BaseException:
            self._rollback()
            raise

    # ----------------------------------------------------------------------- reading

    def _visit_rows(self, rows: list[int] | None = None, status: str = "accepted") -> pd.DataFrame:
        if rows is None:
            cur = self.conn.execute("SELECT id, data FROM visits WHERE status = ? ORDER BY id", (status,))
        else:
            marks = ",".join("?" * len(rows))
            cur = self.conn.execute(f"SELECT id, data FROM visits WHERE id IN ({marks}) ORDER BY id", rows)
        records = []
        for row in cur:
            visit = Visit.from_json(row["data"])
            record = {"row": row["id"], "visit_id": visit.visit_id, "location_id": visit.location_id,
                      "shopper_id": visit.shopper_id, "wave": visit.wave, "channel": visit.channel.lower(),
                      "visit_date": visit.visit_date, "start_time": visit.start_time, "end_time": visit.end_time,
                      "comments": visit.comments}
            for item_id, answer in visit.answers.items():
                record[item_id] = answer.value
                record[f"{item_id}__comment"] = answer.comment
                record[f"{item_id}__evidence"] = answer.evidence
            records.append(record)
        from cxreport.shop.followup import apply_upheld_appeals

        apply_upheld_appeals(self.conn, records)      # an upheld appeal's answer replaces the original
        return pd.DataFrame.from_records(records)

    def accepted_visits(self) -> pd.DataFrame:
        return self._visit_rows()

    def latest_run(self) -> sqlite3.Row | None:
        return self.conn.execute("SELECT * FROM runs ORDER BY id DESC LIMIT 1").fetchone()

    def check_current(self) -> None:
        run = self.latest_run()
        if run is not None and not settings_match(self.prog, run["settings_sha256"]):
            raise CxError(f"the questionnaire or scoring settings changed since scoring run {run['id']} "
                          f"(version {run['questionnaire_version']}); run `cxreport shop rescore` first")

    def file_bytes(self, file_id: int) -> bytes:
        row = self.conn.execute("SELECT content FROM files WHERE id = ?", (file_id,)).fetchone()
        return bytes(row["content"]) if row else b""

    def stored_files(self, status: str = "all") -> list[sqlite3.Row]:
        """Every stored submission, oldest first, without its bytes.

        ``status``: ``all``; ``accepted`` (accepted or partly accepted: files that gave at
        least one accepted visit); ``rejected`` (files none of whose visits were accepted).
        """
        where = {"all": "", "accepted": "WHERE status IN ('accepted', 'partly accepted')",
                 "rejected": "WHERE status = 'rejected'"}
        if status not in where:
            raise CxError(f"unknown file status '{status}' (use {', '.join(where)})")
        return self.conn.execute("SELECT id, name, sha256, size, status, submitted_at, submitted_by FROM files "
                                 f"{where[status]} ORDER BY id").fetchall()

    def salvage_files(self, status: str = "all") -> tuple[list[sqlite3.Row], list[tuple[int, str]]]:
        """:meth:`stored_files`, row by row when the ledger is damaged: (the rows that can be
        read, [(id, why) of those that cannot]). Rows whose status cannot be read are listed
        as unreadable whatever ``status`` asks for."""
        try:
            return self.stored_files(status), []
        except sqlite3.DatabaseError as exc:
            if not is_damage(exc):
                raise
        keep = {"all": None, "accepted": ("accepted", "partly accepted"), "rejected": ("rejected",)}[status]
        last = self._last_file_id()
        if last is None:
            raise CxError(damaged_text(self.path, "not one stored file can be listed", programme=self.prog.path))
        rows, unreadable = [], []
        for file_id in range(1, last + 1):
            try:
                row = self.conn.execute("SELECT id, name, sha256, size, status, submitted_at, submitted_by FROM files"
                                        " WHERE id = ?", (file_id,)).fetchone()
            except sqlite3.DatabaseError as exc:
                unreadable.append((file_id, str(exc)))
                continue
            if row is not None and (keep is None or row["status"] in keep):
                rows.append(row)
        return rows, unreadable

    def _last_file_id(self) -> int | None:
        """The highest file id any readable part of the ledger knows of. Files are never
        deleted, so ids run from 1 to it (a rolled-back file leaves no gap)."""
        found: list[int] = []
        queries = ("SELECT MAX(id) FROM files", "SELECT id FROM files ORDER BY id DESC",
                   "SELECT id FROM files INDEXED BY files_sha256 WHERE sha256 >= ''",
                   "SELECT id FROM files ORDER BY id", "SELECT MAX(file_id) FROM visits",
                   "SELECT file_id FROM visits ORDER BY id DESC")
        for sql in queries:
            try:
                for (value,) in self.conn.execute(sql):
                    if value is not None:
                        found.append(int(value))
                    if len(found) > 10_000_000:
                        break
            except sqlite3.DatabaseError:
                continue
        return max(found) if found else None

    def verified_bytes(self, file_id: int) -> bytes:
        """A stored file's bytes, checked against the SHA-256 and size recorded when it came in."""
        row = self.conn.execute("SELECT name, sha256, size, content FROM files WHERE id = ?", (file_id,)).fetchone()
        if row is None:
            raise CxError(f"{self.path.name}: no stored file #{file_id}")
        data = bytes(row["content"])
        if len(data) != row["size"] or hashlib.sha256(data).hexdigest() != row["sha256"]:
            raise CxError(f"{printable(row['name'])} (file #{file_id} in {self.path.name}): the stored bytes do not match the "
                          f"SHA-256 recorded when it was submitted ({row['sha256'][:12]}…); the ledger is damaged, "
                          "restore it from a backup")
        return data

    def status_counts(self) -> dict:
        conn = self.conn
        return {
            "files": [dict(r) for r in conn.execute(
                "SELECT status, COUNT(*) AS n FROM files GROUP BY status ORDER BY status")],
            "visits": [dict(r) for r in conn.execute(
                "SELECT wave, status, COUNT(*) AS n FROM visits GROUP BY wave, status ORDER BY wave, status")],
            "locations": [dict(r) for r in conn.execute(
                "SELECT wave, location_id, COUNT(*) AS n FROM visits WHERE status = 'accepted'"
                " GROUP BY wave, location_id ORDER BY wave, location_id")],
            "rejections": [dict(r) for r in conn.execute(
                "SELECT v.visit_id, f.name AS file, v.problems FROM visits v JOIN files f ON f.id = v.file_id"
                " WHERE v.status = 'rejected' ORDER BY v.id")],
            "file_rejections": [dict(r) for r in conn.execute(
                "SELECT name, problems FROM files WHERE status = 'rejected' AND problems != '[]' ORDER BY id")],
            "runs": [dict(r) for r in conn.execute(
                "SELECT id, created_at, questionnaire_version, reason FROM runs ORDER BY id")],
        }


#: How visit ids are compared, as said in messages.
SAME_ID_RULE = "visit ids are compared ignoring case, invisible characters, width and the kind of dash"


def score_frame(prog: ProgrammeFile, frame: pd.DataFrame) -> VisitScores:
    item_ids = [i.id for _s, i in prog.questionnaire.items()]
    answers = pd.DataFrame({i: (frame[i].fillna("").astype(str) if i in frame else [""] * len(frame))
                            for i in item_ids})
    return score_visits(prog, answers, frame["channel"].tolist() if len(frame) else [], frame["visit_id"].tolist())
