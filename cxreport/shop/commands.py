"""Library functions behind `cxreport shop …` (the CLI only parses options and prints)."""

from __future__ import annotations

import io
import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import click

from cxreport.errors import CxError
from cxreport.shop.analysis import ProgrammeResults, analyse
from cxreport.shop.ledger import FileOutcome, Ledger, ledger_problem, score_frame
from cxreport.shop.loadprog import load_programme
from cxreport.shop.programme import ProgrammeFile
from cxreport.textclean import for_console, for_xml


# --------------------------------------------------------------------------- the console


def line(text: str) -> str:
    """One printed line of a shop command: escape sequences and other control characters
    from the data shown as escapes (textclean.for_console), a line break as ``\\n`` (data
    cannot start a line that looks like the command's own)."""
    return for_console(str(text)).replace("\n", "\\n")


def echo(text: str, err: bool = False) -> None:
    """Print one line of a shop command (see :func:`line`)."""
    click.echo(line(text), err=err)


@dataclass
class Command:
    """What :func:`shop_errors` knows of the command it guards (the CLI sets ``prog`` once
    the programme is loaded, so that an error afterwards can name its ledger)."""

    prog: ProgrammeFile | None = None


@contextmanager
def shop_errors() -> Iterator[Command]:
    """Around a whole `cxreport shop` command: an SQLite error (a damaged ledger, a lock, a
    full disk) becomes one line naming the ledger, never a traceback; every error message
    is made safe for the terminal (textclean.for_console)."""
    command = Command()
    try:
        yield command
    except sqlite3.Error as exc:
        prog = command.prog
        path = prog.ledger_path if prog is not None else Path("ledger.sqlite")
        raise CxError(for_console(ledger_problem(exc, path, prog.path if prog is not None else None))) from None
    except click.ClickException as exc:
        exc.message = for_console(str(exc.message))
        if isinstance(getattr(exc, "problems", None), list):
            exc.problems = [for_console(str(p)) for p in exc.problems]
        raise


def submit_files(prog: ProgrammeFile, files: list[Path], *, replace: bool = False, reason: str | None = None,
                 who: str | None = None, on_outcome: Callable[[FileOutcome], None] | None = None,
                 ) -> list[FileOutcome]:
    """Record ``files`` one after the other, each in its own transaction.

    ``on_outcome`` hears about each file as soon as it is recorded, so that when a later
    file fails (a full disk, say) the user has already seen which files went in.
    """
    if replace and not (reason and reason.strip()):
        raise CxError("--replace needs --reason \"why the visit is replaced\"")
    outcomes = []
    with Ledger(prog) as ledger:
        ledger.prepare_for_writes()     # a damaged ledger is refused before any file is read
        for path in files:
            try:
                raw = Path(path).read_bytes()
            except FileNotFoundError:
                raise CxError(f"{path}: file not found") from None
            except IsADirectoryError:
                raise CxError(f"{path}: is a folder; give the scoresheet files (for example folder/*)") from None
            except OSError as exc:
                raise CxError(f"{path}: cannot read: {exc.strerror}") from None
            outcome = ledger.submit(Path(path).name, raw, replace=replace, reason=reason, who=who)
            outcomes.append(outcome)
            if on_outcome is not None:
                on_outcome(outcome)
    return outcomes


def stored_files(prog: ProgrammeFile, status: str = "all",
                 on_unreadable: Callable[[int, str], None] | None = None) -> list[dict]:
    """The submissions kept in the ledger (name, sha256, size, status, when, who), oldest first.

    In a damaged ledger, every row that can still be read; ``on_unreadable(id, why)`` hears
    of each row that cannot (without it, such rows raise
    :class:`~cxreport.shop.recover.Incomplete`, exit code 3)."""
    from cxreport.shop.recover import Incomplete

    if not prog.ledger_path.exists():
        raise CxError(f"no ledger yet: {prog.ledger_path} is created by the first "
                      "`cxreport shop submit PROGRAMME FILE…`")
    from cxreport.shop.evidence import listing_rows

    with Ledger(prog) as ledger:
        rows, unreadable = ledger.salvage_files(status)
        evidence, unreadable_evidence = listing_rows(ledger.conn, status)   # evidence files, after the files
    unreadable += unreadable_evidence
    if unreadable and on_unreadable is None:
        raise Incomplete(f"the ledger {prog.ledger_path} is damaged: {len(unreadable)} stored file(s) cannot be read "
                         f"(#{', #'.join(str(i) for i, _ in unreadable)})")
    for file_id, why in unreadable:
        on_unreadable(file_id, why)
    return [dict(r) for r in rows] + evidence


def extract_files(prog: ProgrammeFile, dest: Path, status: str = "all", on_file: Callable | None = None,
                  on_unreadable: Callable | None = None) -> list:
    """Write the stored submissions back into ``dest``, byte for byte (see :mod:`cxreport.shop.recover`);
    in a damaged ledger every file that can still be read, ``on_unreadable`` hearing of the others."""
    from cxreport.shop.recover import extract

    if not prog.ledger_path.exists():
        raise CxError(f"no ledger yet: {prog.ledger_path} is created by the first "
                      "`cxreport shop submit PROGRAMME FILE…`")
    from cxreport.shop.evidence import extract_evidence

    with Ledger(prog) as ledger:
        done = extract(ledger, Path(dest), status, on_file, on_unreadable)
        return done + extract_evidence(ledger, Path(dest), status, on_file, on_unreadable)   # into DEST/evidence/


def results(prog: ProgrammeFile, wave: str | None = None) -> ProgrammeResults:
    """Score every accepted visit with the current questionnaire and analyse the programme."""
    if wave is not None and prog.wave(wave) is None:
        raise CxError(f"unknown wave '{wave}' (waves: {', '.join(w.id for w in prog.waves)})")
    with Ledger(prog) as ledger:
        ledger.check_current()
        frame = ledger.accepted_visits()
    if frame.empty:
        raise CxError(f"no accepted visits in {prog.ledger_path.name} yet; submit scoresheets first "
                      "(cxreport shop submit PROGRAMME FILE…)")
    if wave is not None:
        order = [w.id for w in prog.waves]
        keep = frame["wave"].map(lambda w: order.index(w) if w in order else 99) <= order.index(wave)
        frame = frame[keep].reset_index(drop=True)
    scores = score_frame(prog, frame)
    return analyse(prog, frame, scores)


def export(prog: ProgrammeFile, out: Path, fmt: str) -> list[Path]:
    """Visits, answers and scores to CSV (three files) or one XLSX workbook."""
    import pandas as pd

    from cxreport.export import safe_cell

    res = results(prog)
    with Ledger(prog) as ledger:
        frame = ledger.accepted_visits()
    visits = res.visits.drop(columns=["row", "wave_order"]).copy()
    answers = []
    for _i, rec in frame.iterrows():
        for _s, item in prog.questionnaire.items():
            if item.id in frame.columns and str(rec.get(item.id, "") or "") != "":
                answers.append({"visit_id": rec["visit_id"], "item_id": item.id, "answer": rec[item.id],
                                "comment": rec.get(f"{item.id}__comment", ""),
                                "evidence": rec.get(f"{item.id}__evidence", "")})
    answers = pd.DataFrame(answers)
    locations = res.location_waves.drop(columns=["wave_order"]).copy()
    tables = {"visits": visits, "answers": answers, "locations": locations}
    from cxreport.shop.followup import export_tables

    with Ledger(prog) as ledger:
        tables.update(export_tables(prog, ledger))      # actions, action_history, appeals
    for name, table in tables.items():
        for column in table.columns:
            # XLSX: characters XML cannot hold dropped, Word's soft line break (\v) and page
            # break (\f) made line breaks (textclean.for_xml) — one such comment would stop the
            # whole workbook. Then any text a spreadsheet would run as a formula is neutralised.
            clean = for_xml if fmt == "xlsx" else str
            table[column] = table[column].map(lambda v, clean=clean: safe_cell(clean(v)) if isinstance(v, str) else v)
        if fmt == "xlsx":
            table.columns = [for_xml(str(c)) for c in table.columns]
    # Made in memory, then written under temporary names and renamed only when every file
    # is on disk: a full disk leaves the previous export whole and no partial file.
    from cxreport.present.render import write_outputs

    if fmt == "xlsx":
        path = out if out.suffix == ".xlsx" else out.with_suffix(".xlsx")
        buffer = io.BytesIO()
        with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
            for name, table in tables.items():
                table.to_excel(writer, sheet_name=name, index=False)
                writer.sheets[name].freeze_panes = "A2"
        outputs = {path.name: buffer.getvalue()}
        folder = path.parent
    else:
        stem = out.with_suffix("") if out.suffix == ".csv" else out
        outputs = {f"{stem.name}_{name}.csv": table.to_csv(index=False).encode("utf-8")
                   for name, table in tables.items()}
        folder = stem.parent
    written = write_outputs(outputs, folder)
    return [written[name] for name in outputs]


def status(prog: ProgrammeFile) -> dict:
    """Counts, rejections, identical-content visits and runs; ``damage``: what
    ``PRAGMA quick_check`` found wrong (None when the ledger is intact)."""
    with Ledger(prog) as ledger:
        damage = ledger.damage()
        try:
            counts = ledger.status_counts()
            counts["identical"], counts["same_id"] = ledger.identical_visits()
            from cxreport.shop.followup import counts as followup_counts

            counts["followup"] = followup_counts(ledger.conn)
        except sqlite3.DatabaseError:
            if damage is None:
                raise
            from cxreport.shop.ledger import damaged_text

            raise CxError(damaged_text(prog.ledger_path, damage, programme=prog.path)) from None
    counts["damage"] = damage
    for r in counts["rejections"]:
        r["problems"] = json.loads(r["problems"])
    for r in counts["file_rejections"]:
        r["problems"] = json.loads(r["problems"])
    return counts


@dataclass
class Loaded:
    prog: ProgrammeFile


#: The formats `cxreport shop report` writes (the reports are documents: no deck or workbook).
REPORT_FORMATS = ("html", "pdf")


def parse_report_formats(text: str) -> tuple[str, ...]:
    """``shop report --format``: a comma-separated list as for ``cxreport build``
    ('html', 'pdf', 'html,pdf', 'pdf,html'), 'both' standing for html,pdf (alone or in the
    list). Raises :class:`click.BadParameter` naming the first unknown format."""
    parts = [p.strip().lower() for p in str(text).split(",") if p.strip()]
    chosen = tuple(dict.fromkeys(f for p in parts for f in (REPORT_FORMATS if p == "both" else (p,))))
    bad = [f for f in chosen if f not in REPORT_FORMATS]
    if bad or not chosen:
        raise click.BadParameter(f"unknown format '{bad[0] if bad else text}' (choose from "
                                 f"{', '.join(REPORT_FORMATS)}, comma-separated, or both)", param_hint="--format")
    return chosen


def load(path: Path, allow_outside: bool = False) -> ProgrammeFile:
    return load_programme(path, allow_outside=allow_outside)
