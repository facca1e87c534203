"""Helpers for the mystery-shop tests: small programme files written into a folder and
loaded with the real loader, visits scored with the real scorer, and the bundled sample
copied into a temporary folder (never written in the repository)."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
SHOP_SAMPLE = REPO / "samples" / "harbour-bank-shop"

#: Locations every small programme starts with (region, channel).
LOCATIONS = [
    {"id": "L1", "name": "Alpha", "region": "North", "channel": "branch", "manager": "Ann"},
    {"id": "L2", "name": "Bravo", "region": "North", "channel": "phone", "manager": "Ben"},
    {"id": "L3", "name": "Charlie", "region": "South", "channel": "branch", "manager": "Cat"},
]

WAVES = [
    {"id": "W1", "name": "Wave one", "start": "2026-01-01", "end": "2026-01-31"},
    {"id": "W2", "name": "Wave two", "start": "2026-02-01", "end": "2026-02-28"},
    {"id": "W3", "name": "Wave three", "start": "2026-03-01", "end": "2026-03-31"},
]


def yes_no(item_id: str, **extra) -> dict:
    return {"id": item_id, "text": f"Question {item_id}?", "type": "yes_no", **extra}


def scale(item_id: str, options: list[tuple[str, float]], **extra) -> dict:
    return {"id": item_id, "text": f"Scale {item_id}?", "type": "scale",
            "options": [{"label": label, "points": pts} for label, pts in options], **extra}


def multi(item_id: str, options: list[tuple[str, str, float]], **extra) -> dict:
    return {"id": item_id, "text": f"Multi {item_id}?", "type": "multi_check",
            "options": [{"id": oid, "label": label, "points": pts} for oid, label, pts in options], **extra}


def numeric(item_id: str, **extra) -> dict:
    return {"id": item_id, "text": f"Number {item_id}?", "type": "numeric", **extra}


def section(section_id: str, items: list[dict], weight: float | None = None) -> dict:
    out = {"id": section_id, "title": f"Section {section_id}", "items": items}
    if weight is not None:
        out["weight"] = weight
    return out


def write_programme(folder: Path, sections: list[dict], *, scoring: dict | None = None,
                    standards: dict | None = None, integrity: list[dict] | None = None,
                    locations: list[dict] | None = None, waves: list[dict] | None = None,
                    locations_csv: bool = True, extra_files: dict[str, str] | None = None) -> Path:
    """Write ``folder``/programme.yaml (and locations.csv) and return the programme path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    locs = copy.deepcopy(locations if locations is not None else LOCATIONS)
    data: dict = {
        "programme": {"name": "Test Shop Programme", "client": {"name": "Test Bank"}},
        "waves": copy.deepcopy(waves if waves is not None else WAVES),
        "questionnaire": {"version": "t1", "sections": copy.deepcopy(sections)},
    }
    if locations_csv:
        lines = ["location_id,name,region,channel,manager"]
        lines += [f"{l['id']},{l['name']},{l['region']},{l['channel']},{l['manager']}" for l in locs]
        (folder / "locations.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        data["locations"] = {"file": "locations.csv"}
    else:
        data["locations"] = {"items": locs}
    if integrity:
        data["questionnaire"]["integrity"] = integrity
    if scoring:
        data["scoring"] = scoring
    if standards:
        data["service_standards"] = standards
    for rel, text in (extra_files or {}).items():
        (folder / rel).write_text(text, encoding="utf-8")
    path = folder / "programme.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def load(folder: Path, sections: list[dict], **kwargs):
    from cxreport.shop.loadprog import load_programme

    return load_programme(write_programme(folder, sections, **kwargs))


def score(prog, rows: list[dict], channels: list[str] | str = "branch"):
    """Score visits given as {item id: answer}; returns VisitScores."""
    from cxreport.shop.scoring import score_visits

    item_ids = [i.id for _s, i in prog.questionnaire.items()]
    answers = pd.DataFrame([{i: str(r.get(i, "")) for i in item_ids} for r in rows], columns=item_ids)
    if isinstance(channels, str):
        channels = [channels] * len(rows)
    return score_visits(prog, answers, channels, [f"V{k}" for k in range(len(rows))])


def frame(prog, visits: list[dict]) -> pd.DataFrame:
    """A ledger-like frame: visit fields plus one column per item (answers as text)."""
    item_ids = [i.id for _s, i in prog.questionnaire.items()]
    records = []
    for k, v in enumerate(visits):
        rec = {"row": k + 1, "visit_id": v.get("visit_id", f"V{k}"), "location_id": v["location_id"],
               "shopper_id": v.get("shopper_id", "SH-1"), "wave": v["wave"], "channel": v.get("channel", "branch"),
               "visit_date": v.get("visit_date", "2026-01-10")}
        for i in item_ids:
            rec[i] = str(v.get("answers", {}).get(i, ""))
        records.append(rec)
    return pd.DataFrame.from_records(records)


def analyse_visits(prog, visits: list[dict]):
    """Score and analyse visits given as dicts with location_id, wave, channel and answers."""
    from cxreport.shop.analysis import analyse
    from cxreport.shop.ledger import score_frame

    f = frame(prog, visits)
    return analyse(prog, f, score_frame(prog, f))


def copy_sample(tmp_path: Path) -> Path:
    """Copy the Harbour Bank shop sample (without any ledger) into tmp_path; return programme.yaml."""
    target = Path(tmp_path) / "harbour-bank-shop"
    shutil.copytree(SHOP_SAMPLE, target, ignore=shutil.ignore_patterns("ledger.sqlite*", "out", "__pycache__"))
    return target / "programme.yaml"
