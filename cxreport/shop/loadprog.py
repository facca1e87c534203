"""Load a programme file, with its locations and integrity answers from CSV where given."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from cxreport.config.loader import load_model, raise_problems
from cxreport.config.paths import display_path
from cxreport.errors import ConfigError
from cxreport.shop.programme import Location, ProgrammeFile

LOCATION_COLUMNS = ("location_id", "name", "region", "channel", "manager")


def _read_csv(path: Path, key: str) -> list[dict[str, str]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{key}: {path.name} is not UTF-8 text") from None
    rows = list(csv.DictReader(io.StringIO(text)))
    return [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in rows]


def load_programme(path: str | Path, *, allow_outside: bool = False) -> ProgrammeFile:
    prog: ProgrammeFile = load_model(path, ProgrammeFile, default_name="programme.yaml", allow_outside=allow_outside)
    problems: list[tuple[tuple, str]] = []
    locations: list[Location] = list(prog.locations.items)
    if prog.locations.file is not None:
        name = display_path(prog.locations.file, prog.base_dir)
        rows = _read_csv(prog.locations.file, "locations.file")
        if rows:
            missing = [c for c in ("location_id", "name") if c not in rows[0]]
            if missing:
                problems.append((("locations", "file"), f"{name}: missing column(s) {', '.join(missing)}"))
        for number, row in enumerate(rows, start=2):
            if not row.get("location_id"):
                problems.append((("locations", "file"), f"{name} row {number}: empty location_id"))
                continue
            locations.append(Location(id=row["location_id"], name=row.get("name") or row["location_id"],
                                      region=row.get("region", ""), channel=row.get("channel", "").lower(),
                                      manager=row.get("manager", "")))
    if not locations and not problems:
        problems.append((("locations",), "no locations: give locations.file or locations.items"))
    seen: set[str] = set()
    for loc in locations:
        if loc.id in seen:
            problems.append((("locations",), f"location id {loc.id} is listed twice"))
        seen.add(loc.id)
    integrity: dict[str, dict[str, str]] = {}
    for index, check in enumerate(prog.questionnaire.integrity):
        answers = dict(check.answers)
        if check.file is not None:
            for row in _read_csv(check.file, f"questionnaire.integrity[{index}].file"):
                if row.get("location_id"):
                    answers[row["location_id"]] = row.get("answer", "")
        unknown = [k for k in answers if k not in seen]
        if unknown:
            problems.append((("questionnaire", "integrity", index), f"unknown location id(s): {', '.join(unknown[:5])}"))
        integrity[check.item] = answers
    if problems:
        raise_problems(Path(prog.path).name, problems)
    prog.location_list = locations
    prog.integrity_answers = integrity
    return prog
