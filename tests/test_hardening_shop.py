"""Issue 12, the `cxreport shop` side: hostile scoresheets and a damaged ledger, each
through the command line on a copy of samples/harbour-bank-shop.

1. A damaged ledger (pages overwritten): submit refuses to write (one line naming the
   ledger, exit 1); status, export, report and rescore end in one clear line, never a
   traceback; `shop files` and `shop files --extract` salvage every readable stored file,
   list the unreadable ones and exit 3.
2. Moving or copying the programme folder keeps the scoring run current (the settings hash
   is made from content and paths relative to the programme folder).
3. Visit ids are compared after NFKC, case folding, invisible-character removal and dash
   unification; identical-content visits are flagged; scoresheet file names are unique by
   construction (and short, whatever the id).
4. A JSON scoresheet with a duplicate key is refused with one line, and recorded.
5. XLSX resource limits: a declared or used A1:XFD1048576 sheet and an entity-expansion DTD
   are refused (recorded as rejected, byte for byte) in bounded memory and time.
6. A vertical tab in a comment does not block `shop export --format xlsx`.
7. Terminal escape sequences in data never reach the terminal raw.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import random
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from shop_helpers import REPO, SHOP_SAMPLE, copy_sample

from cxreport.cli import cli

SAMPLE_VISIT = json.loads((SHOP_SAMPLE / "submissions" / "wave1" / "V-W1-0003.json").read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- helpers


@pytest.fixture
def sample(tmp_path) -> Path:
    return copy_sample(tmp_path)


def shop(*args, color: bool = True):
    """`cxreport shop …` in this process; ``color=True`` keeps escape sequences as a terminal
    would get them (Click strips some of them from output that is not a terminal)."""
    return CliRunner().invoke(cli, ["shop", *[str(a) for a in args]], color=color)


def no_traceback(result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)


def one_error(result, code: int, *words: str) -> str:
    """Exit ``code``, exactly one ``Error:`` line (the last one on stderr) holding ``words``."""
    assert result.exit_code == code, (result.exit_code, result.output)
    no_traceback(result)
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    assert result.stderr.rstrip().splitlines()[-1] == errors[0], result.stderr     # it ends the output
    for word in words:
        assert word in errors[0], errors[0]
    return errors[0]


def ledger_db(sample: Path) -> Path:
    return sample.parent / "ledger.sqlite"


def visit_file(path: Path, **changes) -> Path:
    """The sample's V-W1-0003 visit with ``changes``, written as JSON to ``path``."""
    data = copy.deepcopy(SAMPLE_VISIT)
    data.update(changes)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def db_rows(sample: Path, sql: str, *args) -> list[tuple]:
    conn = sqlite3.connect(ledger_db(sample))
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def stored(sample: Path, name: str) -> tuple:
    """(status, problems, content) of the file stored under ``name``."""
    (row,) = db_rows(sample, "SELECT status, problems, content FROM files WHERE name = ?", name)
    return row[0], json.loads(row[1]), bytes(row[2])


# --------------------------------------------------------------------------- 1. a damaged ledger

N_FILES = 120


def build_ledger(sample: Path, tmp_path: Path) -> dict[str, bytes]:
    """N_FILES accepted one-visit files (about 1.5 KB each) in the sample's ledger."""
    folder = tmp_path / "many"
    folder.mkdir()
    files = {}
    for k in range(N_FILES):
        path = visit_file(folder / f"visit-{k:04d}.json", visit_id=f"V-D-{k:04d}",
                          start_time=f"{9 + k // 60:02d}:{k % 60:02d}", end_time="17:00",
                          comments=f"Visit {k}. " + "The queue moved slowly. " * 40)
        files[path.name] = path.read_bytes()
    result = shop("submit", sample, *sorted(folder.iterdir()))
    assert result.exit_code == 0, result.output
    return files


def damage(db: Path, seed: int = 12) -> list[int]:
    """Overwrite four leaf pages of the files table and two of the visits table with random
    bytes (page size from PRAGMA page_size); their page numbers."""
    conn = sqlite3.connect(db)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    chosen = []
    for table, pages in (("files", 4), ("visits", 2)):
        leaves = [r[0] for r in conn.execute(
            "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno", (table,))]
        assert len(leaves) > 20, (table, len(leaves))
        chosen += [leaves[len(leaves) * k // (pages + 1)] for k in range(1, pages + 1)]
    conn.close()
    rng = random.Random(seed)
    with open(db, "r+b") as handle:
        for page in chosen:
            handle.seek((page - 1) * page_size)
            handle.write(bytes(rng.randrange(256) for _ in range(page_size)))
    return chosen


def readable_row_by_row(db: Path) -> tuple[set[str], set[int]]:
    """What can still be read, row by row: names of intact files, ids of unreadable rows."""
    conn = sqlite3.connect(db)
    good, bad = set(), set()
    for file_id in range(1, N_FILES + 1):
        try:
            name, sha, content = conn.execute("SELECT name, sha256, content FROM files WHERE id = ?",
                                              (file_id,)).fetchone()
            assert hashlib.sha256(content).hexdigest() == sha
            good.add(name)
        except (sqlite3.DatabaseError, AssertionError, TypeError):
            bad.add(file_id)
    conn.close()
    return good, bad


@pytest.fixture
def damaged(sample, tmp_path):
    files = build_ledger(sample, tmp_path)
    db = ledger_db(sample)
    assert not Path(f"{db}-wal").exists() or Path(f"{db}-wal").stat().st_size == 0
    damage(db)
    good, bad = readable_row_by_row(db)
    assert 0 < len(bad) < 20 and len(good) + len(bad) == N_FILES, (len(good), bad)
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok"
    except sqlite3.DatabaseError:
        pass                                  # so damaged that the check itself stops
    finally:
        conn.close()
    return {"sample": sample, "files": files, "good": good, "bad": bad, "db": db}


def sha_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_submit_into_a_damaged_ledger_is_refused_and_writes_nothing(damaged, tmp_path):
    sample, db = damaged["sample"], damaged["db"]
    before = sha_file(db)
    new = visit_file(tmp_path / "new.json", visit_id="V-D-NEW", start_time="08:01")
    result = shop("submit", sample, new)
    error = one_error(result, 1, str(db), "damaged")
    assert "accepted" not in result.stdout
    assert "--extract" in error            # says how to get the files back
    assert sha_file(db) == before
    wal = Path(f"{db}-wal")
    assert not wal.exists() or wal.stat().st_size == 0


def test_rescore_of_a_damaged_ledger_is_refused(damaged):
    before = sha_file(damaged["db"])
    one_error(shop("rescore", damaged["sample"]), 1, str(damaged["db"]), "damaged")
    assert sha_file(damaged["db"]) == before


@pytest.mark.parametrize("command", [("status",), ("export", "--format", "csv"), ("export", "--format", "xlsx"),
                                     ("report", "--format", "html", "-j", "1")])
def test_read_commands_on_a_damaged_ledger_end_in_one_clear_line(damaged, tmp_path, command):
    extra = ("-o", tmp_path / "out" / "x") if command[0] in ("export", "report") else ()
    result = shop(command[0], damaged["sample"], *command[1:], *extra)
    one_error(result, 1, str(damaged["db"]), "damaged")


def test_files_lists_every_readable_row_and_names_the_unreadable(damaged):
    result = shop("files", damaged["sample"])
    one_error(result, 3, "damaged", str(len(damaged["bad"])))
    listed = {line.split("\t")[-1] for line in result.stdout.splitlines()[1:]}
    assert listed == damaged["good"]
    for file_id in damaged["bad"]:
        assert re.search(rf"#{file_id}\b.*(cannot|could not) be read", result.stderr), result.stderr


def test_files_extract_salvages_every_readable_file(damaged, tmp_path):
    out = tmp_path / "recovered"
    result = shop("files", damaged["sample"], "--extract", out)
    error = one_error(result, 3, "damaged", str(len(damaged["bad"])))
    assert str(len(damaged["good"])) in error
    got = {p.name: p.read_bytes() for p in out.iterdir()}
    assert set(got) == damaged["good"]
    for name, data in got.items():
        assert data == damaged["files"][name], name
    for file_id in damaged["bad"]:
        assert re.search(rf"#{file_id}\b.*(cannot|could not) be read", result.stderr), result.stderr
    # Running it again (after an interruption, say) is harmless: the same files, nothing new.
    again = shop("files", damaged["sample"], "--extract", out)
    assert again.exit_code == 3
    assert {p.name for p in out.iterdir()} == damaged["good"]


def test_a_file_whose_bytes_no_longer_match_is_listed_and_the_rest_extracted(sample, tmp_path):
    first = visit_file(tmp_path / "a.json", visit_id="V-T-1", start_time="08:01")
    second = visit_file(tmp_path / "b.json", visit_id="V-T-2", start_time="08:02")
    third = visit_file(tmp_path / "c.json", visit_id="V-T-3", start_time="08:03")
    assert shop("submit", sample, first, second, third).exit_code == 0
    conn = sqlite3.connect(ledger_db(sample))
    conn.execute("UPDATE files SET content = ? WHERE name = 'b.json'", (b"tampered",))
    conn.commit()
    conn.close()
    out = tmp_path / "recovered"
    result = shop("files", sample, "--extract", out)
    one_error(result, 3, "1 stored file")
    assert "b.json" in result.stderr and "do not match the SHA-256" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["a.json", "c.json"]


def test_a_file_that_is_not_a_ledger_is_one_line(sample):
    ledger_db(sample).write_bytes(b"this is not an SQLite database at all" * 100)
    for command in (("status",), ("files",), ("submit", SHOP_SAMPLE / "submissions" / "wave1" / "V-W1-0003.json")):
        result = shop(command[0], sample, *command[1:])
        one_error(result, 1, "ledger.sqlite")


# --------------------------------------------------------------------------- 2. moving the programme folder


def test_a_moved_or_copied_programme_folder_keeps_its_scoring_run(sample, tmp_path):
    wave1 = sample.parent / "submissions" / "wave1"
    assert shop("submit", sample, wave1 / "V-W1-0003.json").exit_code == 0
    moved = tmp_path / "elsewhere" / "programme-copy"
    shutil.copytree(sample.parent, moved)
    programme = moved / "programme.yaml"
    result = shop("export", programme, "--format", "csv", "-o", tmp_path / "exp" / "x")
    assert result.exit_code == 0, result.output
    result = shop("submit", programme, wave1 / "V-W1-0008.json")
    assert result.exit_code == 0, result.output
    assert "rescore" not in result.output
    assert db_rows(programme, "SELECT COUNT(*) FROM runs") == [(1,)]
    assert db_rows(programme, "SELECT COUNT(*) FROM scores") == [(2,)]
    # And the original folder, renamed: the same.
    renamed = tmp_path / "renamed"
    shutil.move(str(sample.parent), renamed)
    assert shop("export", renamed / "programme.yaml", "--format", "csv", "-o", tmp_path / "e2" / "x").exit_code == 0


def test_a_ledger_scored_before_the_fix_stays_current_where_it_is(sample, tmp_path):
    """Runs recorded with the old hash (which held the absolute path) are still current in place."""
    from cxreport.shop.loadprog import load_programme

    assert shop("submit", sample, sample.parent / "submissions" / "wave1" / "V-W1-0003.json").exit_code == 0
    prog = load_programme(sample)
    old = hashlib.sha256(json.dumps({"q": prog.questionnaire.model_dump(mode="json"),
                                     "s": prog.scoring.model_dump(mode="json"),
                                     "t": prog.service_standards.model_dump(mode="json")},
                                    sort_keys=True).encode()).hexdigest()
    conn = sqlite3.connect(ledger_db(sample))
    conn.execute("UPDATE runs SET settings_sha256 = ?", (old,))
    conn.commit()
    conn.close()
    result = shop("export", sample, "--format", "csv", "-o", tmp_path / "exp" / "x")
    assert result.exit_code == 0, result.output


def test_a_questionnaire_change_still_needs_a_rescore(sample, tmp_path):
    assert shop("submit", sample, sample.parent / "submissions" / "wave1" / "V-W1-0003.json").exit_code == 0
    text = sample.read_text(encoding="utf-8")
    assert "pass_mark: 80" in text
    sample.write_text(text.replace("pass_mark: 80", "pass_mark: 75"), encoding="utf-8")
    result = shop("export", sample, "--format", "csv", "-o", tmp_path / "exp" / "x")
    one_error(result, 1, "rescore")


# --------------------------------------------------------------------------- 3. visit identifiers

VARIANTS = ["v-w1-0003", "V-W1-0003\u200b", "V\u2013W1\u20130003", "\ufeffV-W1-0003", "V\u2011W1\u20110003",
            "Ｖ-Ｗ1-０００３", "V-W1-0003\u00ad"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_visit_id_written_differently_is_the_same_visit(sample, tmp_path, variant):
    first = sample.parent / "submissions" / "wave1" / "V-W1-0003.json"
    assert shop("submit", sample, first).exit_code == 0
    again = visit_file(tmp_path / "again.json", visit_id=variant, start_time="09:01")
    result = shop("submit", sample, again)
    assert result.exit_code == 1, result.output
    no_traceback(result)
    (line,) = [x for x in result.stderr.splitlines() if "again.json: visit" in x]
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in variant)
    assert shown in line and "V-W1-0003" in line and "V-W1-0003.json" in line, line
    assert "--replace" in line
    assert db_rows(sample, "SELECT COUNT(*) FROM visits WHERE status = 'accepted'") == [(1,)]


def test_replace_works_across_spellings(sample, tmp_path):
    first = sample.parent / "submissions" / "wave1" / "V-W1-0003.json"
    assert shop("submit", sample, first).exit_code == 0
    fix = visit_file(tmp_path / "fix.json", visit_id="v\u2013w1\u20130003", start_time="09:01")
    result = shop("submit", sample, fix, "--replace", "--reason", "corrected start time")
    assert result.exit_code == 0, result.output
    assert "replaced" in result.output
    rows = db_rows(sample, "SELECT visit_id, status FROM visits ORDER BY id")
    assert rows == [("V-W1-0003", "superseded"), ("v\u2013w1\u20130003", "accepted")]


def test_two_spellings_of_one_id_in_one_file(sample, tmp_path):
    source = (sample.parent / "submissions" / "wave1" / "wave1_batch1.csv").read_text(encoding="utf-8").splitlines()
    lines = [source[0], source[1].replace("V-W1-0002", "X-1", 1), source[2].replace("V-W1-0004", "x\u20141", 1)]
    path = tmp_path / "two.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = shop("submit", sample, path)
    assert result.exit_code == 1
    assert re.search(r"x—1.*(twice|already).*X-1", result.stderr), result.stderr
    assert db_rows(sample, "SELECT visit_id FROM visits WHERE status = 'accepted'") == [("X-1",)]


def test_the_en_dash_duplicate_no_longer_breaks_scoresheets(sample, tmp_path):
    first = sample.parent / "submissions" / "wave1" / "V-W1-0003.json"
    assert shop("submit", sample, first).exit_code == 0
    shop("submit", sample, visit_file(tmp_path / "dash.json", visit_id="V\u2013W1\u20130003", start_time="09:01"))
    out = tmp_path / "out"
    result = shop("report", sample, "--scoresheets", "--format", "html", "-j", "1", "-o", out)
    assert result.exit_code == 0, result.output
    assert len(list((out / "scoresheets").glob("*.html"))) == 1


def test_identical_content_under_another_id_is_flagged(sample, tmp_path):
    first = sample.parent / "submissions" / "wave1" / "V-W1-0003.json"
    assert shop("submit", sample, first).exit_code == 0
    copy_ = visit_file(tmp_path / "copy.json", visit_id="V-W1-9003", comments="Another comment")
    result = shop("submit", sample, copy_)
    assert result.exit_code == 0, result.output          # accepted, but flagged
    (line,) = [x for x in result.stderr.splitlines() if "V-W1-9003" in x]
    assert "warning" in line.lower() and "V-W1-0003" in line and "same" in line, line
    status = shop("status", sample)
    assert status.exit_code == 0, status.output
    assert re.search(r"(?i)identical.*\n.*V-W1-0003.*V-W1-9003", status.stdout), status.stdout
    # A different start time is a different visit: no flag.
    other = visit_file(tmp_path / "other.json", visit_id="V-W1-9004", start_time="10:00", end_time="10:20")
    result = shop("submit", sample, other)
    assert result.exit_code == 0 and "V-W1-9004" not in result.stderr, result.output


def test_status_lists_one_id_accepted_under_two_spellings_before_the_rule(sample, tmp_path):
    first = visit_file(tmp_path / "a.json", visit_id="V-X-1", start_time="08:01")
    second = visit_file(tmp_path / "b.json", visit_id="V-X-2", start_time="08:02")
    assert shop("submit", sample, first, second).exit_code == 0
    conn = sqlite3.connect(ledger_db(sample))     # as a ledger filled by an earlier version could be
    conn.execute("UPDATE visits SET visit_id = 'v\u2013x\u20131' WHERE visit_id = 'V-X-2'")
    conn.commit()
    conn.close()
    status = shop("status", sample)
    assert status.exit_code == 0, status.output
    assert re.search(r"(?i)several spellings.*\n  V-X-1 \(a\.json\), v–x–1 \(b\.json\)", status.stdout), status.stdout


def test_visit_file_names_are_unique_by_construction():
    from cxreport.shop.intake import visit_file_stem

    ids = ["V 1", "V-1", "V_1", "v-1", "V/1", "V\\1", "..", "", "x" * 300, "x" * 301, "門市-1", "V\x1b[2K1"]
    stems = [visit_file_stem(i) for i in ids]
    assert len(set(stems)) == len(ids)
    for stem in stems:
        assert re.fullmatch(r"[A-Za-z0-9._~-]+", stem) and not stem.startswith(".")
        assert len(stem.encode()) <= 100
    assert visit_file_stem("V-1") == visit_file_stem("V-1")


def test_ids_that_slug_alike_and_a_300_character_id_get_their_own_scoresheets(sample, tmp_path):
    files = [visit_file(tmp_path / f"{k}.json", visit_id=vid, start_time=f"08:0{k}")
             for k, vid in enumerate(["V 1", "V-1", "L" * 300])]
    assert shop("submit", sample, *files).exit_code == 0
    out = tmp_path / "out"
    result = shop("report", sample, "--scoresheets", "--format", "html", "-j", "1", "-o", out)
    assert result.exit_code == 0, result.output
    names = [p.name for p in (out / "scoresheets").glob("*.html")]
    assert len(names) == 3 and all(len(n.encode()) < 150 for n in names), names


# --------------------------------------------------------------------------- 4. duplicate JSON keys


@pytest.mark.parametrize("text, key", [
    ('{"visit_id": "V-W1-0003", "visit_id": "V-W1-0004"}', "visit_id"),
    ('{"answers": {"A1": "yes", "A1": "no"}}', "A1"),
    ('{"answers": {"A3": {"answer": 12, "comment": "a", "comment": "b"}}}', "comment"),
])
def test_a_duplicate_json_key_is_refused_with_one_line_and_recorded(sample, tmp_path, text, key):
    base = json.dumps(SAMPLE_VISIT)[1:-1]
    raw = ("{" + base + ", " + text[1:-1] + "}").encode()
    path = tmp_path / "dup.json"
    path.write_bytes(raw)
    result = shop("submit", sample, path)
    assert result.exit_code == 1
    no_traceback(result)
    lines = [x for x in result.stderr.splitlines() if "dup.json" in x]
    assert len(lines) == 1 and f"duplicate key '{key}'" in lines[0], result.stderr
    status, problems, content = stored(sample, "dup.json")
    assert status == "rejected" and content == raw
    assert any(f"duplicate key '{key}'" in p for p in problems)


# --------------------------------------------------------------------------- 5. XLSX limits


def chat_workbook(path: Path, corner: bool = True) -> Path:
    """The sample's wide chat scoresheet as XLSX; with ``corner``, one more cell at XFD1048576
    (openpyxl then declares the sheet A1:XFD1048576)."""
    source = openpyxl.load_workbook(SHOP_SAMPLE / "submissions" / "wave1" / "wave1_chat.xlsx")
    sheet = source.worksheets[0]
    if corner:
        sheet["XFD1048576"] = "x"
    source.save(path)
    return path


def rewrite(path: Path, member: str, change) -> None:
    """Replace one member of a zip file with change(its text)."""
    with zipfile.ZipFile(path) as src:
        parts = {i.filename: src.read(i.filename) for i in src.infolist()}
    parts[member] = change(parts[member].decode("utf-8")).encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in parts.items():
            dst.writestr(name, data)


LAUGHS = ('<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{k} "{("&lol" + (str(k - 1) if k > 1 else "") + ";") * 10}">' for k in range(1, 10))
          + "]>")


def bomb(kind: str, folder: Path) -> Path:
    path = folder / f"{kind}.xlsx"
    if kind == "declared":            # the case: declared A1:XFD1048576, one cell there
        chat_workbook(path)
    elif kind == "used":              # the same cell, no declared dimension
        chat_workbook(path)
        rewrite(path, "xl/worksheets/sheet1.xml", lambda t: re.sub(r"<dimension [^>]*/>", "", t))
    elif kind == "declared-only":     # a small sheet that declares the whole grid
        chat_workbook(path, corner=False)
        rewrite(path, "xl/worksheets/sheet1.xml",
                lambda t: re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:XFD1048576"', t))
    elif kind == "dtd":               # billion laughs in the worksheet
        chat_workbook(path, corner=False)
        rewrite(path, "xl/worksheets/sheet1.xml",
                lambda t: LAUGHS + t.replace("<t>comments</t>", "<t>comments&lol9;</t>", 1))
    elif kind == "styles":            # 800,000 cell formats (openpyxl builds an object for each)
        chat_workbook(path, corner=False)
        rng = random.Random(5)
        xfs = "".join(f'<xf numFmtId="{rng.randrange(200)}" fontId="0" fillId="0" borderId="{rng.randrange(9)}"/>'
                      for _ in range(800_000))
        rewrite(path, "xl/styles.xml", lambda t: re.sub(r'<cellXfs count="\d+">', f'<cellXfs count="800002">{xfs}', t))
    elif kind == "zip":
        chat_workbook(path, corner=False)
        with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as z:
            z.writestr("xl/media/padding.xml", b"<a>" + b" " * 150_000_000 + b"</a>")
    return path


def limited_submit(programme: Path, path: Path, gigabytes: float = 1.0) -> tuple[subprocess.CompletedProcess, float]:
    """A real `cxreport shop submit` with its address space capped at ``gigabytes``."""
    limit = int(gigabytes * 2**30)

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "cxreport", "shop", "submit", str(programme), str(path)],
                          capture_output=True, text=True, preexec_fn=cap, timeout=120, cwd=REPO)
    return proc, time.monotonic() - start


@pytest.mark.parametrize("kind, words", [
    ("declared", ["A1:XFD1048576", "1,048,576 rows"]),
    ("used", ["XFD1048576"]),
    ("declared-only", ["A1:XFD1048576"]),
    ("dtd", ["DOCTYPE"]),
    ("styles", ["styles", "200,000"]),
    ("zip", ["unpacks"]),  # a 150 MB part compressed to a few hundred KB
])
def test_an_xlsx_bomb_is_refused_in_bounded_memory_and_recorded(sample, tmp_path, kind, words):
    path = bomb(kind, tmp_path)
    proc, seconds = limited_submit(sample, path)
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr and "MemoryError" not in proc.stderr, proc.stderr[-2000:]
    assert seconds < 10, seconds
    (line,) = [x for x in proc.stderr.splitlines() if x.startswith(f"  {path.name}:")]
    for word in words:
        assert word in line, line
    status, problems, content = stored(sample, path.name)
    assert status == "rejected" and content == path.read_bytes() and problems


def test_a_normal_xlsx_scoresheet_is_still_read(sample, tmp_path):
    path = chat_workbook(tmp_path / "chat.xlsx", corner=False)
    proc, _seconds = limited_submit(sample, path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "accepted" in proc.stdout


@pytest.mark.parametrize("name, make, words", [
    ("many.json", lambda: json.dumps({**SAMPLE_VISIT, "answers": {f"k{i}": "y" for i in range(200_000)}}).encode(),
     ["200,000 answers", "at most 10,000"]),
    ("huge.json", lambda: json.dumps({**SAMPLE_VISIT, "comments": "x" * 6_000_000}).encode(), ["at most 5 MB"]),
    ("commas.csv", lambda: b"visit_id,location_id,shopper_id,wave,channel,visit_date\n" + b"," * 3_000_000 + b"\n",
     ["more than 250,000 cells"]),
])
def test_oversized_json_and_csv_scoresheets_are_refused_and_recorded(sample, tmp_path, name, make, words):
    path = tmp_path / name
    path.write_bytes(make())
    proc, seconds = limited_submit(sample, path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert seconds < 10, seconds
    (line,) = [x for x in proc.stderr.splitlines() if x.startswith(f"  {name}:")]
    for word in words:
        assert word in line, line
    status, problems, content = stored(sample, name)
    assert status == "rejected" and content == path.read_bytes() and problems


# --------------------------------------------------------------------------- 6. vertical tab in a comment


def test_a_soft_line_break_in_a_comment_does_not_block_the_xlsx_export(sample, tmp_path):
    answers = copy.deepcopy(SAMPLE_VISIT["answers"])
    answers["A3"]["comment"] = "First line\vsecond line\x0cthird\x00."
    answers["S2"]["evidence"] = "kfd\v.pdf"
    path = visit_file(tmp_path / "vt.json", answers=answers, comments="Soft\vbreak")
    assert shop("submit", sample, path).exit_code == 0
    out = tmp_path / "export.xlsx"
    result = shop("export", sample, "--format", "xlsx", "-o", out)
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    cells = [c for row in book["answers"].iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert "First line\nsecond line\nthird." in cells
    assert "kfd\n.pdf" in cells


# --------------------------------------------------------------------------- 7. terminal escapes


ERASE = "\x1b[1A\x1b[2K"
TITLE = "\x1b]0;pwned\x07"


def test_escape_sequences_in_submit_and_status_output_are_shown_not_obeyed(sample, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    bad = visit_file(folder / f"evil{ERASE}.json", visit_id=f"V-{TITLE}1", location_id=f"BR{ERASE}99",
                     comments=f"hello{ERASE}")
    good = visit_file(folder / f"ok{TITLE}.json", visit_id="V-OK-1", start_time="08:01")
    broken = folder / f"broken{ERASE}.json"
    broken.write_bytes(b"{not json" + ERASE.encode())
    result = shop("submit", sample, bad, good, broken)
    assert result.exit_code == 1
    no_traceback(result)
    for text in (result.stdout, result.stderr):
        assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text
    assert "\\x1b[2K" in result.stderr and "\\x1b]0;pwned\\x07" in result.stdout + result.stderr
    status = shop("status", sample)
    assert status.exit_code == 0, status.output
    assert "\x1b" not in status.output and "\x07" not in status.output
    assert "\\x1b[1A\\x1b[2K" in status.stdout
    listing = shop("files", sample)
    assert "\x1b" not in listing.output


def test_escape_sequences_in_error_lines_are_shown_not_obeyed(sample, tmp_path):
    missing = tmp_path / f"gone{ERASE}.json"
    result = shop("submit", sample, missing)
    assert result.exit_code == 1
    assert "\x1b" not in result.output and "\\x1b[2K" in result.stderr
