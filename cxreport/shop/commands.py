"""Library functions behind `cxreport shop …` (the CLI only parses options and prints)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cxreport.errors import CxError
from cxreport.shop.analysis import ProgrammeResults, analyse
from cxreport.shop.ledger import FileOutcome, Ledger, score_frame
from cxreport.shop.loadprog import load_programme
from cxreport.shop.programme import ProgrammeFile


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


def stored_files(prog: ProgrammeFile, status: str = "all") -> list[dict]:
    """The submissions kept in the ledger (name, sha256, size, status, when, who), oldest first."""
    if not prog.ledger_path.exists():
        raise CxError(f"no ledger yet: {prog.ledger_path} is created by the first "
                      "`cxreport shop submit PROGRAMME FILE…`")
    with Ledger(prog) as ledger:
        return [dict(r) for r in ledger.stored_files(status)]


def extract_files(prog: ProgrammeFile, dest: Path, status: str = "all", on_file: Callable | None = None) -> list:
    """Write the stored submissions back into ``dest``, byte for byte (see :mod:`cxreport.shop.recover`)."""
    from cxreport.shop.recover import extract

    if not prog.ledger_path.exists():
        raise CxError(f"no ledger yet: {prog.ledger_path} is created by the first "
                      "`cxreport shop submit PROGRAMME FILE…`")
    with Ledger(prog) as ledger:
        return extract(ledger, Path(dest), status, on_file)


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
    for name, table in tables.items():
        for column in table.columns:   # any text a spreadsheet would run as a formula is neutralised
            table[column] = table[column].map(lambda v: safe_cell(v) if isinstance(v, str) else v)
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
    with Ledger(prog) as ledger:
        counts = ledger.status_counts()
    for r in counts["rejections"]:
        r["problems"] = json.loads(r["problems"])
    for r in counts["file_rejections"]:
        r["problems"] = json.loads(r["problems"])
    return counts


@dataclass
class Loaded:
    prog: ProgrammeFile


def load(path: Path, allow_outside: bool = False) -> ProgrammeFile:
    return load_programme(path, allow_outside=allow_outside)
