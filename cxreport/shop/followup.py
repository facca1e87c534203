"""Mystery-shopping follow-through: follow-up actions and appeals, kept in the ledger.

**Follow-up actions.** Scoring visits (``shop submit``, ``shop rescore``, an upheld appeal)
opens them by itself, one per location and item:

- *critical failure*: a visit fails a critical item (an answer below the item's pass points);
- *consecutive failures*: an item fails at one location in ``follow_up.consecutive_waves``
  waves in a row (default 2: this wave and the one before, in the programme's wave order).
  An item fails at a location in a wave when it fails on more than half of the location's
  visits in that wave that score it (one visit: that visit; two: both; three: two of them).

A trigger whose visits are all already linked to an action for that location and item
opens nothing (scoring again, resubmitting or rescoring never duplicates an action). While
the location and item have a live action (*open* or *in progress*) new failing visits are
added to it (its history says so); once it is *done* or *dropped*, a new failure opens a new
action. An action's owner is the location's manager (locations file), its due date the date
of the latest visit that opened it plus ``follow_up.due_days`` (default 30). A live action
none of whose visits still fails the item — the visit was replaced with ``--replace`` or an
appeal against the item was upheld — is dropped automatically, with a note saying why.

Statuses: open → in progress → done, or dropped (any status can be set again; dropping needs
a note). Every change is a new row of ``action_log`` (who, when, status, owner, due, note);
rows are never changed or deleted (SQLite triggers refuse it).

**Appeals.** A location appeals one item of an accepted visit; the appeal is decided once:
*upheld* (the item's answer becomes the upheld answer; the submitted answer is kept beside
it) or *rejected*. An upheld appeal starts a new scoring run (reason ``appeal AP-0001
upheld…``) holding the previous run's scores and the appealed visit scored again, so the
earlier run keeps the old score. Every report and export then uses the upheld answer.

Each command is one ``BEGIN IMMEDIATE`` transaction, like a submitted file: killed at any
point it leaves nothing half-written, and concurrent writers queue.
"""

from __future__ import annotations

import datetime as dt
import getpass
import re
import sqlite3
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cxreport.errors import CxError
from cxreport.i18n import N_, _
from cxreport.shop.intake import printable, visit_key
from cxreport.util import did_you_mean

#: Statuses of an action, in their usual order; the first two are *live*.
STATUSES = ("open", "in progress", "done", "dropped")
LIVE = ("open", "in progress")
TRIGGERS = {"critical": N_("critical failure"), "consecutive": N_("consecutive failures")}
STATUS_WORDS = {"open": N_("open"), "in progress": N_("in progress"), "done": N_("done"), "dropped": N_("dropped"),
                "upheld": N_("upheld"), "rejected": N_("rejected")}
APPEAL_STATUSES = ("open", "upheld", "rejected")
#: Where an action update, an appeal or a decision can be paused (ledger.pause_point), in order.
PAUSE_POINTS = ("followup-before-begin", "followup-mid", "followup-before-commit", "followup-after-commit")
#: Longest reason, note or owner accepted (characters).
MAX_TEXT = 4000
#: Who the ledger names for changes the tool makes by itself is the person whose command made them.
AUTO_EVENTS = ("opened", "visits added", "dropped automatically")


#: The ledger's follow-up tables. A ledger made before them gains them, in one transaction, the
#: first time a command writes to it (``Ledger.prepare_for_writes``, after the damage check);
#: a reading command on such a ledger sees them empty (temporary tables of its connection:
#: nothing is written to the ledger file).
SCHEMA = """
CREATE TABLE IF NOT EXISTS actions (
    id INTEGER PRIMARY KEY,           -- shown as A-0001
    location_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    trigger TEXT NOT NULL,            -- critical | consecutive
    opened_at TEXT NOT NULL,
    opened_by TEXT NOT NULL,
    status TEXT NOT NULL,             -- open | in progress | done | dropped (the latest action_log row)
    owner TEXT NOT NULL DEFAULT '',
    due TEXT NOT NULL                 -- ISO date
);
CREATE UNIQUE INDEX IF NOT EXISTS one_live_action ON actions(location_id, item_id)
    WHERE status IN ('open', 'in progress');
CREATE TABLE IF NOT EXISTS action_visits (
    action_id INTEGER NOT NULL REFERENCES actions(id),
    visit_row INTEGER NOT NULL REFERENCES visits(id),
    added_at TEXT NOT NULL,
    PRIMARY KEY (action_id, visit_row)
);
CREATE TABLE IF NOT EXISTS action_log (
    id INTEGER PRIMARY KEY,
    action_id INTEGER NOT NULL REFERENCES actions(id),
    at TEXT NOT NULL, by TEXT NOT NULL,
    event TEXT NOT NULL,              -- opened | visits added | updated | dropped automatically
    status TEXT NOT NULL, owner TEXT NOT NULL, due TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE TRIGGER IF NOT EXISTS action_log_kept BEFORE UPDATE ON action_log
    BEGIN SELECT RAISE(ABORT, 'the history of an action is never edited'); END;
CREATE TRIGGER IF NOT EXISTS action_log_not_deleted BEFORE DELETE ON action_log
    BEGIN SELECT RAISE(ABORT, 'the history of an action is never deleted'); END;
CREATE TABLE IF NOT EXISTS appeals (
    id INTEGER PRIMARY KEY,           -- shown as AP-0001
    visit_row INTEGER NOT NULL REFERENCES visits(id),
    item_id TEXT NOT NULL,
    original TEXT NOT NULL,           -- the answer appealed against, as submitted
    reason TEXT NOT NULL,
    filed_at TEXT NOT NULL, filed_by TEXT NOT NULL,
    status TEXT NOT NULL,             -- open | upheld | rejected
    answer TEXT,                      -- upheld: the answer the item now has
    decided_at TEXT, decided_by TEXT, note TEXT,
    run_id INTEGER REFERENCES runs(id)  -- upheld: the scoring run it started
);
CREATE UNIQUE INDEX IF NOT EXISTS one_appeal_per_item ON appeals(visit_row, item_id);
CREATE TRIGGER IF NOT EXISTS appeal_decided_once BEFORE UPDATE ON appeals WHEN OLD.status != 'open'
    BEGIN SELECT RAISE(ABORT, 'a decided appeal is never changed'); END;
CREATE TRIGGER IF NOT EXISTS appeal_not_deleted BEFORE DELETE ON appeals
    BEGIN SELECT RAISE(ABORT, 'an appeal is never deleted'); END;
"""
TABLES = ("actions", "action_visits", "action_log", "appeals")


def create_tables(conn: sqlite3.Connection) -> None:
    """Give the ledger the follow-up tables, indexes and triggers it lacks (one transaction)."""
    for table in TABLES:                                     # stand-ins of a reading command
        conn.execute(f"DROP TABLE IF EXISTS temp.{table}")
    found = {r[0] for r in conn.execute("SELECT name FROM main.sqlite_master")}
    wanted = set(re.findall(r"IF NOT EXISTS (\w+)", SCHEMA))
    if wanted <= found:
        return
    conn.executescript("BEGIN IMMEDIATE;\n" + SCHEMA + "\nCOMMIT;")


def readable(conn: sqlite3.Connection) -> None:
    """Before reading follow-up tables: in a ledger that has none yet, empty temporary ones."""
    found = {r[0] for r in conn.execute(
        "SELECT name FROM main.sqlite_master WHERE type = 'table' UNION SELECT name FROM temp.sqlite_master")}
    if set(TABLES) <= found:
        return
    for statement in re.findall(r"CREATE TABLE IF NOT EXISTS (\w+) \((.*?)\n\);", SCHEMA, flags=re.S):
        name, body = statement
        body = re.sub(r"--[^\n]*", "", body).replace("REFERENCES visits(id)", "").replace("REFERENCES runs(id)", "")
        body = body.replace("REFERENCES actions(id)", "")
        conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} ({body})")


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def action_code(number: int) -> str:
    return f"A-{int(number):04d}"


def appeal_code(number: int) -> str:
    return f"AP-{int(number):04d}"


def parse_code(text: str, prefix: str) -> int | None:
    """``A-0001``, ``a1``, ``A 1`` or ``1`` (prefix ``a``) → 1; anything else → None."""
    key = visit_key(str(text)).replace(" ", "")
    match = re.fullmatch(rf"(?:{prefix}-?)?0*(\d{{1,9}})", key)
    return int(match.group(1)) if match and int(match.group(1)) > 0 else None


def parse_status(text: str) -> str:
    word = " ".join(re.sub(r"[-_]+", " ", str(text).strip().lower()).split())
    if word == "inprogress":
        word = "in progress"
    if word not in STATUSES:
        raise CxError(f"--status '{printable(text)}': not a status{did_you_mean(word, STATUSES)} "
                      "(use open, in-progress, done or dropped)")
    return word


def parse_due(text: str) -> str:
    try:
        return dt.date.fromisoformat(str(text).strip()).isoformat()
    except ValueError:
        raise CxError(f"--due '{printable(text)}': not a date (write it as YYYY-MM-DD, e.g. 2026-12-31)") from None


def _clean_text(text: str | None, option: str, required: bool = False) -> str:
    value = "" if text is None else str(text).strip()
    if required and not value:
        raise CxError(f"{option} is required and cannot be empty")
    if len(value) > MAX_TEXT:
        raise CxError(f"{option}: {len(value)} characters; at most {MAX_TEXT} are kept")
    if "\x00" in value:
        raise CxError(f"{option}: contains a NUL character")
    return value


# --------------------------------------------------------------------------- upheld answers


def apply_upheld_appeals(conn: sqlite3.Connection, records: list[dict]) -> None:
    """Give each visit record (``ledger._visit_rows``) the answers of its upheld appeals:
    ``record[item]`` becomes the upheld answer, ``record[item + '__original']`` keeps the
    submitted one."""
    if not records:
        return
    readable(conn)
    upheld: dict[int, list[sqlite3.Row]] = {}
    for r in conn.execute("SELECT id, visit_row, item_id, original, answer FROM appeals WHERE status = 'upheld'"):
        upheld.setdefault(int(r["visit_row"]), []).append(r)
    if not upheld:
        return
    for record in records:
        for r in upheld.get(int(record["row"]), ()):
            record[f"{r['item_id']}__original"] = r["original"]
            record[r["item_id"]] = r["answer"]


# --------------------------------------------------------------------------- triggers


@dataclass
class Trigger:
    location_id: str
    item_id: str
    kind: str                          # critical | consecutive
    rows: list[int]                    # visit rows, oldest first
    visit_ids: list[str]
    waves: list[str]
    last_date: str
    order: tuple = field(default=())


def find_triggers(prog, frame: pd.DataFrame, scores) -> tuple[list[Trigger], set[tuple[str, str, int]]]:
    """The triggers in scored visits (``frame`` as ``ledger._visit_rows`` gives it), in the
    order actions are opened (wave, location, item, critical first), and every
    (location, item, visit row) whose answer fails."""
    if frame.empty:
        return [], set()
    wave_order = {w.id: k for k, w in enumerate(prog.waves)}
    loc_order = {loc.id: k for k, loc in enumerate(prog.location_list)}
    item_ids = scores.item_ids
    item_order = {i: k for k, i in enumerate(item_ids)}
    rows = frame["row"].astype(int).to_numpy()
    locs = frame["location_id"].astype(str).to_numpy()
    waves = frame["wave"].astype(str).to_numpy()
    dates = frame["visit_date"].fillna("").astype(str).to_numpy()
    vids = frame["visit_id"].astype(str).to_numpy()
    failing: set[tuple[str, str, int]] = set()
    for i, j in zip(*np.nonzero(scores.failed)):
        failing.add((locs[i], item_ids[j], int(rows[i])))

    def make(loc: str, item: str, kind: str, idx: list[int]) -> Trigger:
        idx = sorted(idx, key=lambda k: (wave_order.get(waves[k], 99), dates[k], vids[k]))
        last_wave = max(wave_order.get(waves[k], 99) for k in idx)
        return Trigger(loc, item, kind, [int(rows[k]) for k in idx], [vids[k] for k in idx],
                       list(dict.fromkeys(waves[k] for k in idx)), max(dates[k] for k in idx),
                       (last_wave, loc_order.get(loc, len(loc_order)), loc, item_order[item], kind != "critical",
                        max(dates[k] for k in idx)))

    out: list[Trigger] = []
    for i, failed_items in enumerate(scores.critical_items):
        for item in failed_items:
            out.append(make(locs[i], item, "critical", [i]))

    # Consecutive failures: per location, item and wave, failed on more than half of the
    # visits that score the item.
    n_waves = int(prog.follow_up.consecutive_waves)
    scored_at = np.nonzero(scores.scored)
    tally: dict[tuple[str, int, str], list] = {}
    for i, j in zip(*scored_at):
        entry = tally.setdefault((locs[i], int(j), waves[i]), [0, []])
        entry[0] += 1
        if scores.failed[i, j]:
            entry[1].append(int(i))
    failed_waves: dict[tuple[str, int], dict[int, list[int]]] = {}
    for (loc, j, wave), (n, bad) in tally.items():
        if wave in wave_order and 2 * len(bad) > n:
            failed_waves.setdefault((loc, j), {})[wave_order[wave]] = bad
    for (loc, j), by_wave in failed_waves.items():
        for k in sorted(by_wave):
            window = range(k - n_waves + 1, k + 1)
            if all(w in by_wave for w in window):
                out.append(make(loc, item_ids[j], "consecutive", [i for w in window for i in by_wave[w]]))
    out.sort(key=lambda t: t.order)
    return out, failing


def _frame_of(ledger, rows: list[int] | None) -> pd.DataFrame:
    """Accepted visits (all, or these rows), upheld appeals applied; read in chunks of rows."""
    if rows is None:
        return ledger._visit_rows()
    parts = [ledger._visit_rows(rows[k:k + 500]) for k in range(0, len(rows), 500)]
    parts = [p for p in parts if not p.empty]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def refresh_actions(ledger, who: str, rows: list[int] | None = None) -> dict[str, int]:
    """Open, extend and drop follow-up actions from the current answers, inside the caller's
    transaction. ``rows``: the visits just scored (their locations are looked at, with the
    locations of live actions whose visits are no longer accepted); None: every location.
    Returns counts {opened, added, dropped}."""
    from cxreport.shop.ledger import score_frame

    conn, prog = ledger.conn, ledger.prog
    counts = {"opened": 0, "added": 0, "dropped": 0}
    if rows is None:
        locations = None
        frame = _frame_of(ledger, None)
    else:
        marks = ",".join("?" * len(rows)) or "NULL"
        locations = {r[0] for r in conn.execute(f"SELECT DISTINCT location_id FROM visits WHERE id IN ({marks})",
                                                 rows)} if rows else set()
        locations |= {r[0] for r in conn.execute(
            "SELECT DISTINCT a.location_id FROM actions a JOIN action_visits av ON av.action_id = a.id"
            " JOIN visits v ON v.id = av.visit_row WHERE a.status IN ('open', 'in progress')"
            " AND v.status != 'accepted'")}
        if not locations:
            return counts
        ids: list[int] = []
        for loc in sorted(locations):
            ids += [r[0] for r in conn.execute(
                "SELECT id FROM visits WHERE status = 'accepted' AND location_id = ? ORDER BY id", (loc,))]
        frame = _frame_of(ledger, ids)
    if frame.empty:
        triggers, failing = [], set()
    else:
        triggers, failing = find_triggers(prog, frame, score_frame(prog, frame))
    stamp = now()
    managers = {loc.id: loc.manager for loc in prog.location_list}
    due_days = int(prog.follow_up.due_days)
    for t in triggers:
        linked = {r[0] for r in conn.execute(
            "SELECT av.visit_row FROM action_visits av JOIN actions a ON a.id = av.action_id"
            " WHERE a.location_id = ? AND a.item_id = ?", (t.location_id, t.item_id))}
        new = [(r, v) for r, v in zip(t.rows, t.visit_ids) if r not in linked]
        if not new:
            continue
        live = conn.execute("SELECT * FROM actions WHERE location_id = ? AND item_id = ? AND status IN"
                            " ('open', 'in progress')", (t.location_id, t.item_id)).fetchone()
        if live is not None:
            conn.executemany("INSERT OR IGNORE INTO action_visits (action_id, visit_row, added_at) VALUES (?, ?, ?)",
                             [(live["id"], r, stamp) for r, _v in new])
            _log(conn, live["id"], who, "visits added", live["status"], live["owner"], live["due"],
                 f"also failed at {', '.join(v for _r, v in new)} ({TRIGGERS[t.kind]})", stamp)
            counts["added"] += 1
            continue
        due = _due(t.last_date, stamp, due_days)
        owner = managers.get(t.location_id, "") or ""
        action_id = conn.execute(
            "INSERT INTO actions (location_id, item_id, trigger, opened_at, opened_by, status, owner, due)"
            " VALUES (?, ?, ?, ?, ?, 'open', ?, ?)", (t.location_id, t.item_id, t.kind, stamp, who, owner, due)).lastrowid
        conn.executemany("INSERT OR IGNORE INTO action_visits (action_id, visit_row, added_at) VALUES (?, ?, ?)",
                         [(action_id, r, stamp) for r in t.rows])
        if t.kind == "critical":
            note = f"critical item {t.item_id} failed at visit {', '.join(t.visit_ids)}"
        else:
            note = (f"item {t.item_id} failed at {t.location_id} in {len(t.waves)} waves in a row "
                    f"({', '.join(t.waves)}: visits {', '.join(t.visit_ids)})")
        _log(conn, action_id, who, "opened", "open", owner, due, note, stamp)
        counts["opened"] += 1

    # Live actions whose failures no longer stand.
    where, params = "", []
    if locations is not None:
        where = f" AND location_id IN ({','.join('?' * len(locations))})"
        params = sorted(locations)
    for a in conn.execute(f"SELECT * FROM actions WHERE status IN ('open', 'in progress'){where} ORDER BY id",
                          params).fetchall():
        linked = conn.execute(
            "SELECT v.id, v.visit_id, v.status FROM action_visits av JOIN visits v ON v.id = av.visit_row"
            " WHERE av.action_id = ? ORDER BY v.id", (a["id"],)).fetchall()
        if any((a["location_id"], a["item_id"], int(v["id"])) in failing for v in linked):
            continue
        why = []
        for v in linked:
            appeal = conn.execute("SELECT id FROM appeals WHERE visit_row = ? AND item_id = ? AND status = 'upheld'",
                                  (v["id"], a["item_id"])).fetchone()
            if v["status"] != "accepted":
                why.append(f"visit {v['visit_id']} was replaced")
            elif appeal is not None:
                why.append(f"appeal {appeal_code(appeal['id'])} on visit {v['visit_id']} was upheld")
            else:
                why.append(f"visit {v['visit_id']} no longer fails {a['item_id']}")
        conn.execute("UPDATE actions SET status = 'dropped' WHERE id = ?", (a["id"],))
        _log(conn, a["id"], who, "dropped automatically", "dropped", a["owner"], a["due"],
             "the failure no longer stands: " + "; ".join(why), stamp)
        counts["dropped"] += 1
    return counts


def _due(visit_date: str, stamp: str, days: int) -> str:
    try:
        start = dt.date.fromisoformat(str(visit_date)[:10])
    except ValueError:
        start = dt.date.fromisoformat(stamp[:10])
    return (start + dt.timedelta(days=days)).isoformat()


def _log(conn, action_id: int, who: str, event: str, status: str, owner: str, due: str, note: str,
         stamp: str | None = None) -> None:
    conn.execute("INSERT INTO action_log (action_id, at, by, event, status, owner, due, note)"
                 " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (action_id, stamp or now(), who, event, status, owner, due, note))


# --------------------------------------------------------------------------- transactions


def _write(prog, what: str, work):
    """Run ``work(ledger)`` in one BEGIN IMMEDIATE transaction of the programme's ledger: an
    SQLite failure rolls it back and becomes one line saying ``what`` was not done."""
    from cxreport.shop.ledger import Ledger, ledger_problem, pause_point

    if not prog.ledger_path.exists():
        raise CxError(f"no ledger yet: {prog.ledger_path} is created by the first "
                      "`cxreport shop submit PROGRAMME FILE…`")
    with Ledger(prog) as ledger:
        ledger.prepare_for_writes()
        pause_point("followup-before-begin")
        try:
            ledger.conn.execute("BEGIN IMMEDIATE")
            try:
                result = work(ledger)
                pause_point("followup-before-commit")
                ledger.conn.execute("COMMIT")
            except BaseException:
                ledger._rollback()
                raise
        except sqlite3.Error as exc:
            raise CxError(f"{what} not recorded, {ledger_problem(exc, ledger.path, prog.path)} "
                          "(the ledger is unchanged)") from None
        pause_point("followup-after-commit")
        return result


def _read(prog, work):
    from cxreport.shop.ledger import Ledger

    if not prog.ledger_path.exists():
        raise CxError(f"no ledger yet: {prog.ledger_path} is created by the first "
                      "`cxreport shop submit PROGRAMME FILE…`")
    with Ledger(prog) as ledger:
        readable(ledger.conn)
        return work(ledger)


# --------------------------------------------------------------------------- actions


def _find_coded(conn, text: str, prefix: str, code, query: str, table: str, noun: str, listing: str,
                none_yet: str) -> sqlite3.Row:
    """The row ``text`` names (an action A-0001 or an appeal AP-0001, any case, or its number),
    else a one-line error with a "did you mean" or the range of ids there are."""
    number = parse_code(text, prefix)
    row = conn.execute(query, (number,)).fetchone() if number else None
    if row is None:
        codes = [code(r[0]) for r in conn.execute(f"SELECT id FROM {table} ORDER BY id")]
        hint = "" if number else did_you_mean(str(text).strip().upper(), codes)
        if not hint:
            hint = (f" ({table} run from {codes[0]} to {codes[-1]}; list them with `cxreport shop {listing} "
                    "PROGRAMME`)" if codes else f" ({none_yet})")
        raise CxError(f"no {noun} '{printable(text)}'{hint}")
    return row


def _find_action(conn, text: str) -> sqlite3.Row:
    return _find_coded(conn, text, "a", action_code, "SELECT * FROM actions WHERE id = ?", "actions",
                       "follow-up action", "actions list", "there are no follow-up actions yet")


def _action_dict(prog, conn, a: sqlite3.Row, today: dt.date | None = None) -> dict:
    today = today or dt.date.today()
    locations = {loc.id: loc for loc in prog.location_list}
    visits = conn.execute("SELECT v.id, v.visit_id, v.wave, v.visit_date, v.status FROM action_visits av"
                          " JOIN visits v ON v.id = av.visit_row WHERE av.action_id = ? ORDER BY v.visit_date, v.id",
                          (a["id"],)).fetchall()
    last = conn.execute("SELECT * FROM action_log WHERE action_id = ? ORDER BY id DESC LIMIT 1", (a["id"],)).fetchone()
    last_note = conn.execute("SELECT note, event FROM action_log WHERE action_id = ? AND event = 'updated'"
                             " AND note != '' ORDER BY id DESC LIMIT 1", (a["id"],)).fetchone()
    due = dt.date.fromisoformat(a["due"])
    try:
        item = prog.questionnaire.item(a["item_id"])
        item_text = item.text
    except KeyError:
        item_text = ""
    loc = locations.get(a["location_id"])
    return {"id": action_code(a["id"]), "number": int(a["id"]), "location_id": a["location_id"],
            "location": loc.name if loc else a["location_id"], "item": a["item_id"], "item_text": item_text,
            "trigger": a["trigger"], "visits": [v["visit_id"] for v in visits],
            "visit_rows": [int(v["id"]) for v in visits],
            "waves": list(dict.fromkeys(v["wave"] for v in visits)),
            "opened_at": a["opened_at"], "opened_by": a["opened_by"], "status": a["status"],
            "owner": a["owner"], "due": due, "overdue": a["status"] in LIVE and due < today,
            "updated_at": last["at"] if last else a["opened_at"], "updated_by": last["by"] if last else a["opened_by"],
            "note": last_note["note"] if last_note else ""}


def list_actions(prog, status: str | None = None, location: str | None = None,
                 today: dt.date | None = None) -> list[dict]:
    """Follow-up actions, oldest first; ``status``: one of STATUSES, ``live`` (open or in
    progress), ``overdue`` or None (all); ``location``: a location id (any case)."""
    where, params = [], []
    if status not in (None, "all", "live", "overdue"):
        try:
            status = parse_status(status)
        except CxError:
            raise CxError(f"--status '{printable(status)}': not a status"
                          f"{did_you_mean(str(status), [*STATUSES, 'live', 'overdue', 'all'])} (use open, in-progress, "
                          "done, dropped, live, overdue or all)") from None
        where.append("status = ?")
        params.append(status)
    elif status in ("live", "overdue"):
        where.append("status IN ('open', 'in progress')")
    if location is not None:
        ids = {loc.id.casefold(): loc.id for loc in prog.location_list}
        loc_id = ids.get(str(location).strip().casefold())
        if loc_id is None:
            known = [loc.id for loc in prog.location_list]
            hint = did_you_mean(str(location).strip(), known) or (
                f" (locations: {', '.join(known)})" if len(known) <= 12 else f" ({len(known)} locations)")
            raise CxError(f"--location '{printable(location)}': not a location of the programme{hint}")
        where.append("location_id = ?")
        params.append(loc_id)
    sql = "SELECT * FROM actions" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id"

    def work(ledger):
        out = [_action_dict(prog, ledger.conn, a, today) for a in ledger.conn.execute(sql, params).fetchall()]
        return [a for a in out if a["overdue"]] if status == "overdue" else out

    return _read(prog, work)


def action_history(prog, code: str) -> tuple[dict, list[dict]]:
    def work(ledger):
        a = _find_action(ledger.conn, code)
        log = [dict(r) for r in ledger.conn.execute("SELECT at, by, event, status, owner, due, note FROM action_log"
                                                    " WHERE action_id = ? ORDER BY id", (a["id"],))]
        return _action_dict(prog, ledger.conn, a), log

    return _read(prog, work)


def update_action(prog, code: str, *, status: str | None = None, note: str | None = None, owner: str | None = None,
                  due: str | None = None, who: str | None = None) -> dict:
    """Change an action's status, owner or due date and/or add a note: one new history row."""
    from cxreport.shop.ledger import pause_point

    who = _clean_text(who or getpass.getuser(), "--by", required=True)
    new_status = parse_status(status) if status is not None else None
    new_due = parse_due(due) if due is not None else None
    note = _clean_text(note, "--note")
    new_owner = _clean_text(owner, "--owner") if owner is not None else None
    if new_status is None and new_due is None and new_owner is None and not note:
        raise CxError("nothing to update: give --status, --note, --owner or --due")
    if new_status == "dropped" and not note:
        raise CxError("--status dropped needs --note \"why the action is dropped\"")

    def work(ledger):
        conn = ledger.conn
        a = _find_action(conn, code)
        target = {"status": new_status or a["status"], "owner": a["owner"] if new_owner is None else new_owner,
                  "due": new_due or a["due"]}
        if target["status"] in LIVE and a["status"] not in LIVE:
            other = conn.execute("SELECT id FROM actions WHERE location_id = ? AND item_id = ? AND id != ? AND status"
                                 " IN ('open', 'in progress')", (a["location_id"], a["item_id"], a["id"])).fetchone()
            if other is not None:
                raise CxError(f"{action_code(a['id'])} cannot be reopened: {action_code(other['id'])} is already live for "
                              f"item {a['item_id']} at {a['location_id']}; update that one")
        if (target["status"], target["owner"], target["due"]) == (a["status"], a["owner"], a["due"]) and not note:
            raise CxError(f"{action_code(a['id'])} is already {a['status']} (owner {a['owner'] or '—'}, due {a['due']});"
                          " nothing to update")
        conn.execute("UPDATE actions SET status = ?, owner = ?, due = ? WHERE id = ?",
                     (target["status"], target["owner"], target["due"], a["id"]))
        pause_point("followup-mid")
        _log(conn, a["id"], who, "updated", target["status"], target["owner"], target["due"], note)
        return _action_dict(prog, conn, conn.execute("SELECT * FROM actions WHERE id = ?", (a["id"],)).fetchone())

    return _write(prog, f"action {printable(code)}", work)


# --------------------------------------------------------------------------- appeals


def _find_visit(conn, text: str) -> sqlite3.Row:
    key = visit_key(text)
    row = conn.execute("SELECT id, visit_id, data, location_id, channel, wave FROM visits WHERE visit_key = ?"
                       " AND status = 'accepted'", (key,)).fetchone()
    if row is not None:
        return row
    other = conn.execute("SELECT visit_id, status FROM visits WHERE visit_key = ? ORDER BY id DESC LIMIT 1",
                         (key,)).fetchone()
    if other is not None:
        raise CxError(f"visit {printable(text)} is {other['status']}; only an accepted visit can be appealed")
    ids = [r[0] for r in conn.execute("SELECT visit_id FROM visits WHERE status = 'accepted'")]
    raise CxError(f"no accepted visit '{printable(text)}' in the ledger{did_you_mean(str(text).strip(), ids)}")


def _find_item(prog, text: str):
    pairs = prog.questionnaire.items()
    key = visit_key(text)
    for _section, item in pairs:
        if item.id == text or visit_key(item.id) == key:
            return item
    raise CxError(f"--item '{printable(text)}': not an item of questionnaire {prog.questionnaire.version}"
                  f"{did_you_mean(str(text).strip(), [i.id for _s, i in pairs])}")


def _find_appeal(conn, text: str) -> sqlite3.Row:
    return _find_coded(conn, text, "ap", appeal_code,
                       "SELECT a.*, v.visit_id, v.location_id, v.status AS visit_status FROM appeals a"
                       " JOIN visits v ON v.id = a.visit_row WHERE a.id = ?", "appeals", "appeal", "appeal list",
                       "no appeal has been filed yet")


def file_appeal(prog, visit: str, item: str, reason: str, who: str | None = None) -> dict:
    """Record an appeal against one item's answer of an accepted visit."""
    from cxreport.shop.intake import Visit
    from cxreport.shop.ledger import pause_point
    from cxreport.shop.scoring import applies

    who = _clean_text(who or getpass.getuser(), "--by", required=True)
    reason = _clean_text(reason, "--reason", required=True)
    found_item = _find_item(prog, item)
    if found_item.type == "text":
        raise CxError(f"item {found_item.id} is a text item: it earns no points, so there is nothing to appeal")

    def work(ledger):
        conn = ledger.conn
        v = _find_visit(conn, visit)
        if not applies(found_item, v["channel"] or ""):
            raise CxError(f"item {found_item.id} does not apply to {v['channel']} visits such as {printable(v['visit_id'])} "
                          f"(it is asked on {', '.join(found_item.channels)} visits)")
        earlier = conn.execute("SELECT id, status, filed_at, decided_at FROM appeals WHERE visit_row = ? AND item_id = ?",
                               (v["id"], found_item.id)).fetchone()
        if earlier is not None:
            state = (f"filed {earlier['filed_at']}, still open" if earlier["status"] == "open"
                     else f"{earlier['status']} {earlier['decided_at']}")
            raise CxError(f"item {found_item.id} of visit {printable(v['visit_id'])} is already appealed "
                          f"({appeal_code(earlier['id'])}, {state}); an item is appealed once")
        answer = Visit.from_json(v["data"]).answers.get(found_item.id)
        original = answer.value if answer is not None else ""
        stamp = now()
        appeal_id = conn.execute(
            "INSERT INTO appeals (visit_row, item_id, original, reason, filed_at, filed_by, status)"
            " VALUES (?, ?, ?, ?, ?, ?, 'open')", (v["id"], found_item.id, original, reason, stamp, who)).lastrowid
        pause_point("followup-mid")
        return {"id": appeal_code(appeal_id), "visit": v["visit_id"], "item": found_item.id, "original": original,
                "location_id": v["location_id"], "filed_at": stamp, "filed_by": who}

    return _write(prog, f"appeal on visit {printable(visit)}", work)


def passing_answer(item) -> str | None:
    """The answer an upheld appeal gives when none is named: the one earning all the item's
    points (yes; the best option; every box ticked). None for numeric items."""
    if item.type == "yes_no":
        return "yes"
    if item.type == "scale" and item.options:
        return max(item.options, key=lambda o: o.points).label
    if item.type == "multi_check" and item.options:
        return "; ".join(o.id or o.label for o in item.options)
    return None


def decide_appeal(prog, code: str, *, uphold: bool, answer: str | None = None, note: str = "",
                  who: str | None = None) -> dict:
    """Decide an open appeal once. Upheld: the item's answer becomes ``answer`` (default
    :func:`passing_answer`), a new scoring run holds the visit's new score (when the latest
    run used the current settings) and actions are brought up to date."""
    from cxreport.shop.ledger import pause_point, settings_hash, settings_match
    from cxreport.shop.scoring import AnswerError, parse_answer

    who = _clean_text(who or getpass.getuser(), "--by", required=True)
    note = _clean_text(note, "--note", required=True)
    if not uphold and answer is not None:
        raise CxError("--answer goes with --uphold: a rejected appeal leaves the answer as it was")

    def work(ledger):
        conn = ledger.conn
        a = _find_appeal(conn, code)
        shown = appeal_code(a["id"])
        if a["status"] != "open":
            raise CxError(f"{shown} was already {a['status']} on {a['decided_at']} by {printable(a['decided_by'])}; "
                          "a decision is final")
        stamp = now()
        result = {"id": shown, "visit": a["visit_id"], "item": a["item_id"], "original": a["original"],
                  "status": "upheld" if uphold else "rejected", "answer": None, "run": None, "before": None,
                  "after": None, "note": "", "actions": {"opened": 0, "added": 0, "dropped": 0}}
        if not uphold:
            conn.execute("UPDATE appeals SET status = 'rejected', decided_at = ?, decided_by = ?, note = ? WHERE id = ?",
                         (stamp, who, note, a["id"]))
            return result
        if a["visit_status"] != "accepted":
            raise CxError(f"visit {printable(a['visit_id'])} was {a['visit_status']} after {shown} was filed; an upheld "
                          "appeal cannot change it (reject the appeal, or appeal the visit that replaced it)")
        item = prog.questionnaire.item(a["item_id"])
        new = (answer if answer is not None else passing_answer(item))
        if new is None or not str(new).strip():
            raise CxError(f"--answer is needed to uphold {shown}: item {item.id} is {item.type.replace('_', ' ')}; "
                          "give the answer the appeal establishes")
        new = _clean_text(new, "--answer")
        try:
            parse_answer(item, new, prog.threshold(item) if item.type == "numeric" else None)
        except AnswerError as exc:
            raise CxError(f"--answer '{printable(new)}' for item {item.id}: {exc}") from None
        if item.type == "scale":
            new = next((o.label for o in item.options if o.label.lower() == new.lower()
                        or (o.id or "").lower() == new.lower()), new)
        if " ".join(new.split()).casefold() == " ".join(str(a["original"]).split()).casefold():
            raise CxError(f"item {item.id} of visit {printable(a['visit_id'])} already has the answer "
                          f"'{printable(new)}'; reject the appeal or give another --answer")
        latest = conn.execute("SELECT id, settings_sha256 FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        run_id = None
        if latest is not None and settings_match(prog, latest["settings_sha256"]):
            before = conn.execute("SELECT score FROM scores WHERE run_id = ? AND visit_row = ?",
                                  (latest["id"], a["visit_row"])).fetchone()
            run_id = conn.execute(
                "INSERT INTO runs (created_at, created_by, questionnaire_version, settings_sha256, reason)"
                " VALUES (?, ?, ?, ?, ?)", (stamp, who, prog.questionnaire.version, settings_hash(prog),
                                            f"appeal {shown} upheld: visit {a['visit_id']}, item {item.id}")).lastrowid
            conn.execute("INSERT INTO scores (run_id, visit_row, score, raw_score, status, band, tier, detail)"
                         " SELECT ?, visit_row, score, raw_score, status, band, tier, detail FROM scores"
                         " WHERE run_id = ? AND visit_row != ?", (run_id, latest["id"], a["visit_row"]))
            result["before"] = before["score"] if before else None
        conn.execute("UPDATE appeals SET status = 'upheld', answer = ?, decided_at = ?, decided_by = ?, note = ?,"
                     " run_id = ? WHERE id = ?", (new, stamp, who, note, run_id, a["id"]))
        pause_point("followup-mid")
        result.update(answer=new, run=run_id)
        if run_id is not None:
            ledger._score_into(run_id, [a["visit_row"]])
            after = conn.execute("SELECT score FROM scores WHERE run_id = ? AND visit_row = ?",
                                 (run_id, a["visit_row"])).fetchone()
            result["after"] = after["score"] if after else None
            result["actions"] = refresh_actions(ledger, who, rows=[a["visit_row"]])
        else:
            result["note"] = ("the questionnaire or scoring settings changed since the last scoring run; the decision "
                              "is recorded — run `cxreport shop rescore` to score the visit with it")
        return result

    return _write(prog, f"decision on appeal {printable(code)}", work)


def list_appeals(prog, status: str | None = None) -> list[dict]:
    if status not in (None, "all") and status not in APPEAL_STATUSES:
        raise CxError(f"--status '{printable(status)}': not an appeal status{did_you_mean(str(status), APPEAL_STATUSES)} "
                      f"(use {', '.join(APPEAL_STATUSES)} or all)")

    def work(ledger):
        return _appeal_rows(ledger.conn, None if status in (None, "all") else status)

    return _read(prog, work)


def _appeal_rows(conn, status: str | None = None) -> list[dict]:
    sql = ("SELECT a.*, v.visit_id, v.location_id, v.wave, v.status AS visit_status FROM appeals a"
           " JOIN visits v ON v.id = a.visit_row" + (" WHERE a.status = ?" if status else "") + " ORDER BY a.id")
    out = []
    for r in conn.execute(sql, (status,) if status else ()):
        d = dict(r)
        d["code"] = appeal_code(r["id"])
        out.append(d)
    return out


# --------------------------------------------------------------------------- status and export


def counts(conn) -> dict:
    readable(conn)
    today = dt.date.today().isoformat()
    actions = {r["status"]: r["n"] for r in conn.execute("SELECT status, COUNT(*) AS n FROM actions GROUP BY status")}
    overdue = conn.execute("SELECT COUNT(*) FROM actions WHERE status IN ('open', 'in progress') AND due < ?",
                           (today,)).fetchone()[0]
    appeals = {r["status"]: r["n"] for r in conn.execute("SELECT status, COUNT(*) AS n FROM appeals GROUP BY status")}
    return {"actions": {s: actions.get(s, 0) for s in STATUSES}, "overdue": int(overdue),
            "appeals": {s: appeals.get(s, 0) for s in APPEAL_STATUSES}}


def export_tables(prog, ledger) -> dict[str, pd.DataFrame]:
    """The ``actions`` table (one row per action, its history as the ``history`` sheet/file
    would be too wide: the latest note and update) and the ``appeals`` table."""
    conn = ledger.conn
    readable(conn)
    actions = []
    for a in conn.execute("SELECT * FROM actions ORDER BY id").fetchall():
        d = _action_dict(prog, conn, a)
        actions.append({"action_id": d["id"], "location_id": d["location_id"], "location": d["location"],
                        "item_id": d["item"], "trigger": d["trigger"], "visits": ", ".join(d["visits"]),
                        "opened_at": d["opened_at"], "opened_by": d["opened_by"], "status": d["status"],
                        "owner": d["owner"], "due": d["due"].isoformat(), "overdue": d["overdue"],
                        "updated_at": d["updated_at"], "updated_by": d["updated_by"], "latest_note": d["note"]})
    history = [{"action_id": action_code(r["action_id"]), "at": r["at"], "by": r["by"], "event": r["event"],
                "status": r["status"], "owner": r["owner"], "due": r["due"], "note": r["note"]}
               for r in conn.execute("SELECT * FROM action_log ORDER BY id")]
    appeals = [{"appeal_id": r["code"], "visit_id": r["visit_id"], "location_id": r["location_id"],
                "item_id": r["item_id"], "original_answer": r["original"], "reason": r["reason"],
                "filed_at": r["filed_at"], "filed_by": r["filed_by"], "status": r["status"],
                "upheld_answer": r["answer"] or "", "decided_at": r["decided_at"] or "",
                "decided_by": r["decided_by"] or "", "decision_note": r["note"] or "",
                "scoring_run": r["run_id"] if r["run_id"] is not None else ""} for r in _appeal_rows(conn)]
    cols = {"actions": ["action_id", "location_id", "location", "item_id", "trigger", "visits", "opened_at", "opened_by",
                        "status", "owner", "due", "overdue", "updated_at", "updated_by", "latest_note"],
            "action_history": ["action_id", "at", "by", "event", "status", "owner", "due", "note"],
            "appeals": ["appeal_id", "visit_id", "location_id", "item_id", "original_answer", "reason", "filed_at",
                        "filed_by", "status", "upheld_answer", "decided_at", "decided_by", "decision_note",
                        "scoring_run"]}
    return {"actions": pd.DataFrame(actions, columns=cols["actions"]),
            "action_history": pd.DataFrame(history, columns=cols["action_history"]),
            "appeals": pd.DataFrame(appeals, columns=cols["appeals"])}


# --------------------------------------------------------------------------- reports


def report_data(prog, ledger, waves: list[str] | None = None, today: dt.date | None = None) -> dict:
    """What the reports show of follow-up: every action (those opened by visits of the
    reported ``waves``) and every appeal on a visit of those waves, as plain data."""
    conn = ledger.conn
    readable(conn)
    today = today or dt.date.today()
    keep = set(waves) if waves is not None else None
    actions = []
    for a in conn.execute("SELECT * FROM actions ORDER BY id").fetchall():
        d = _action_dict(prog, conn, a, today)
        if keep is not None and not (set(d["waves"]) & keep):
            continue
        actions.append(d)
    appeals = [r for r in _appeal_rows(conn) if keep is None or r["wave"] in keep]
    return {"actions": actions, "appeals": appeals, "today": today}


def _answer_text(prog, item_id: str, value) -> str:
    from cxreport.shop.reports import _answer_display

    try:
        item = prog.questionnaire.item(item_id)
    except KeyError:
        return str(value or "") or "—"
    return _answer_display(item, str(value or "")) or "—"


def _action_view(a: dict, mask) -> dict:
    return {"id": a["id"], "location": a["location"], "location_id": a["location_id"], "item": a["item"],
            "item_text": a["item_text"], "trigger": _(TRIGGERS.get(a["trigger"], a["trigger"])),
            "visits": list(a["visits"]), "owner": a["owner"] or "—", "due": a["due"],
            "status": a["status"], "status_text": _(STATUS_WORDS.get(a["status"], a["status"])),
            "overdue": a["overdue"], "live": a["status"] in LIVE, "note": mask(a["note"])}


def _appeal_view(prog, r: dict, mask) -> dict:
    return {"id": r["code"], "visit": r["visit_id"], "location_id": r["location_id"], "item": r["item_id"],
            "original": _answer_text(prog, r["item_id"], r["original"]),
            "answer": _answer_text(prog, r["item_id"], r["answer"]) if r["answer"] is not None else "",
            "status": r["status"], "status_text": _(STATUS_WORDS.get(r["status"], r["status"])),
            "reason": mask(r["reason"]), "note": mask(r["note"] or ""),
            "filed_at": _day(r["filed_at"]), "filed_by": r["filed_by"],
            "decided_at": _day(r["decided_at"]), "decided_by": r["decided_by"] or ""}


def _day(stamp) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(stamp)[:10]) if stamp else None
    except ValueError:
        return None


def _masker(prog):
    from cxreport.masking import mask_personal_data

    return lambda text: mask_personal_data(str(text or ""), prog.programme.mask_names)


def _summary(actions: list[dict], appeals: list[dict]) -> dict:
    return {"open": sum(a["status"] == "open" for a in actions),
            "in_progress": sum(a["status"] == "in progress" for a in actions),
            "done": sum(a["status"] == "done" for a in actions),
            "dropped": sum(a["status"] == "dropped" for a in actions),
            "overdue": sum(bool(a["overdue"]) for a in actions),
            "appeals_open": sum(r["status"] == "open" for r in appeals),
            "appeals_upheld": sum(r["status"] == "upheld" for r in appeals),
            "appeals_rejected": sum(r["status"] == "rejected" for r in appeals),
            "actions": len(actions), "appeals": len(appeals)}


def _order(actions: list[dict]) -> list[dict]:
    """Live actions first (overdue first, then by due date), then done and dropped ones."""
    return sorted(actions, key=lambda a: (not a["live"], not a["overdue"], a["due"], a["id"]))


def annotate_scoresheet(prog, ctx: dict, data: dict | None, visit_row: int) -> None:
    """Put a visit's appeals on its scoresheet context: ``appeals`` (each with the original
    and upheld answers and the decision) and ``appeal`` on each item row (None if none)."""
    mask = _masker(prog)
    mine = [_appeal_view(prog, r, mask) for r in (data or {}).get("appeals", []) if int(r["visit_row"]) == int(visit_row)]
    by_item = {a["item"]: a for a in mine}
    for section in ctx.get("sections", []):
        for row in section["rows"]:
            row["appeal"] = by_item.get(row["id"])
    ctx["appeals"] = mine


def location_part(prog, data: dict | None, location_id: str) -> dict:
    mask = _masker(prog)
    data = data or {"actions": [], "appeals": []}
    actions = [_action_view(a, mask) for a in data["actions"] if a["location_id"] == location_id]
    appeals = [_appeal_view(prog, r, mask) for r in data["appeals"] if r["location_id"] == location_id]
    return {"followup": {"actions": _order(actions), "appeals": appeals,
                         "summary": _summary(actions, [{"status": a["status"]} for a in appeals])}}


#: The programme summary lists live actions up to this many (the rest are counted).
PROGRAMME_ACTION_ROWS = 40


def programme_part(prog, data: dict | None) -> dict:
    mask = _masker(prog)
    data = data or {"actions": [], "appeals": []}
    actions = _order([_action_view(a, mask) for a in data["actions"]])
    appeals = [_appeal_view(prog, r, mask) for r in data["appeals"]]
    live = [a for a in actions if a["live"]]
    summary = _summary(actions, [{"status": a["status"]} for a in appeals])
    return {"followup": {"actions": live[:PROGRAMME_ACTION_ROWS], "more": max(0, len(live) - PROGRAMME_ACTION_ROWS),
                         "appeals": appeals, "summary": summary,
                         "today": data.get("today") or dt.date.today()}}


def status_lines(found: dict) -> list[str]:
    """What `shop status` says of follow-up (:func:`counts`)."""
    a, p = found["actions"], found["appeals"]
    overdue = f" ({found['overdue']} overdue)" if found["overdue"] else ""
    return [f"Follow-up actions: {a['open']} open, {a['in progress']} in progress{overdue}, {a['done']} done, "
            f"{a['dropped']} dropped",
            f"Appeals: {p['open']} open, {p['upheld']} upheld, {p['rejected']} rejected"]
