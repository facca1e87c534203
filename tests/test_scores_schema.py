"""The scores JSON matches its description (cxreport/jsonschema.py, docs/scores-json.md) key by key.

The samples and constructed projects that between them switch on every block (drivers by both
methods and both missing-data rules, skipped analyses, scales, comments, journey, priorities,
competitors, actions, cases, weights, multi-punch questions, tiers, benchmarks, the window
`all`) are scored; the test fails when the JSON has a key the schema does not describe or a
value of another type, and when the schema describes a key none of them produce (unless the
key's entry gives the reason in ``unseen``).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from cxreport import jsonschema
from cxreport.export import SCHEMA, scores_json
from cxreport.jsonschema import Checker, Key, paths
from cxreport.pipeline import run

ROOT = Path(__file__).resolve().parents[1]
QUANTIPY = ROOT / "tests" / "fixtures" / "inputs" / "quantipy"


def _variant(tmp: Path, sample: str, name: str, change) -> Path:
    folder = tmp / name
    shutil.copytree(ROOT / "samples" / sample, folder, ignore=shutil.ignore_patterns("out", "build"))
    path = folder / "cxreport.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(config)
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _shapley_listwise(config: dict) -> None:
    """Shapley importances, listwise deletion, a base the regions cannot reach (skipped lines),
    a scale with an item nobody can answer alongside (α note), every period pooled."""
    config["drivers"].update({"method": "shapley", "missing": "listwise", "min_base": 1500})
    config["drivers"]["drivers"] = ["Staff knowledge", "Friendliness", "Resolved first time", "Speed of service"]
    config["report"]["pool"] = {"drivers": 8}
    config["priorities"].pop("themes", None)
    config["priorities"]["effort"] = {k: v for k, v in config["priorities"]["effort"].items()
                                      if k in config["drivers"]["drivers"]}


def _relative_weights_all(config: dict) -> None:
    """Relative weights only (no Shapley beside them) over the whole file (window `all`)."""
    config["drivers"]["method"] = "relative_weights"
    config["report"]["period"] = "all"
    config["report"].pop("pool", None)


def _raked_numeric_composite(config: dict) -> None:
    """Raking per period from the design weight (trimmed), a numeric attribute and a reported
    composite scale score."""
    config["weighting"] = {"rake": {"Region": {"North": 0.3, "South": 0.3, "East": 0.2, "West": 0.2}},
                           "trim": [0.3, 3], "per_period": True}
    config["columns"]["attributes"]["Weight as a number"] = {"column": "weight", "type": "numeric"}
    scale = config["scales"]["Service quality"]
    config["scales"] = {"Service quality": scale if isinstance(scale, dict) else {"items": scale}}


def _no_extras(config: dict) -> None:
    """Every optional block switched off: each is null or empty."""
    for block in ("drivers", "comments", "journey", "priorities", "actions", "cases", "competitors", "scales",
                  "benchmarks", "tiers", "quarterly"):
        config.pop(block, None)
    config["columns"].pop("date", None)
    config["columns"].pop("weight", None)
    config.pop("periods", None)
    config["report"].pop("period", None)
    config["report"].pop("pool", None)
    config["report"].pop("baseline", None)
    config["report"].pop("narrative", None)


def _multi_punch(tmp: Path) -> Path:
    folder = tmp / "quantipy"
    folder.mkdir()
    shutil.copy(QUANTIPY / "example_data_a_first400.csv", folder / "data.csv")
    shutil.copy(QUANTIPY / "example_data_a_first400.meta.json", folder / "data.meta.json")
    config = {"client": {"name": "Quantipy example"},
              "survey": {"file": "data.csv", "meta": "data.meta.json"},
              "columns": {"respondent_id": "unique_id", "attributes": ["q14r01c01", "q14r02c01"],
                          "weight": "weight_a", "segments": {"Gender": "gender"}, "multi_punch": {"Sports": "q2"}},
              "missing_codes": [99]}
    path = folder / "cxreport.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def documents(tmp_path_factory) -> dict[str, dict]:
    tmp = tmp_path_factory.mktemp("scores-schema")
    projects = {
        "harbour-bank": ROOT / "samples" / "harbour-bank" / "cxreport.yaml",
        "shapley-listwise": _variant(tmp, "harbour-bank", "shapley", _shapley_listwise),
        "relative-weights-all": _variant(tmp, "harbour-bank", "rw", _relative_weights_all),
        "no-extras": _variant(tmp, "harbour-bank", "bare", _no_extras),
        "raked-numeric-composite": _variant(tmp, "harbour-bank", "raked", _raked_numeric_composite),
        "multi-punch": _multi_punch(tmp),
    }
    return {name: json.loads(scores_json(run(path))) for name, path in projects.items()}


def test_every_key_of_the_json_is_described_with_its_type(documents):
    checker = Checker()
    problems = {}          # one line per schema path (list indices dropped), with the project it is in
    for name, doc in documents.items():
        for p in checker.check(doc):
            problems.setdefault(re.sub(r"\[\d+\]", "[]", p.split("; found at")[0]), name)
    assert not problems, "\n".join(f"{name}: {p}" for p, name in problems.items())


def test_every_described_key_appears_in_some_project(documents):
    checker = Checker()
    for doc in documents.values():
        checker.check(doc)
    never = [p for p, k in paths().items() if p not in checker.seen and not k.unseen]
    assert not never, ("described in cxreport/jsonschema.py but produced by no project of this test "
                       "(add a project that produces it, or give the reason in `unseen`): " + ", ".join(never))


def test_the_constructed_projects_switch_on_what_they_claim(documents):
    """The corpus really covers both driver methods, skipped analyses, multi-punch mentions and
    the empty forms of every optional block (so the checks above are not vacuous)."""
    methods = {doc["drivers"]["overall"]["method"] for doc in documents.values()
               if doc["drivers"] and doc["drivers"]["overall"]}
    assert methods == {"relative weights", "Shapley (LMG)"}
    assert any(doc["drivers"] and doc["drivers"]["skipped"] for doc in documents.values())
    assert documents["shapley-listwise"]["drivers"]["overall"]["missing"] == "listwise"
    assert documents["shapley-listwise"]["drivers"]["overall"]["primary"] == "lmg"
    assert documents["harbour-bank"]["drivers"]["overall"]["missing"] == "pairwise"
    assert all(v is None for r in documents["relative-weights-all"]["drivers"]["overall"]["drivers"]
               for k, v in r.items() if "lmg" in k)                  # no Shapley beside relative weights
    assert documents["relative-weights-all"]["window"]["kind"] == "all"
    assert documents["multi-punch"]["mentions"] and documents["multi-punch"]["settings"]["weighted"]
    raked = documents["raked-numeric-composite"]
    assert raked["weighting"]["periods"] and raked["weighting"]["design_weight"] == "weight"
    assert {v.get("origin") for v in raked["overall"].values()} >= {"numeric", "composite"}
    bare = documents["no-extras"]
    for block in ("drivers", "comments", "journey", "actions", "response_times", "period_change", "weighting"):
        assert bare[block] is None, block
    assert bare["priorities"] == [] and bare["competitors"] == [] and bare["periods"] == []


def test_the_checker_catches_an_undocumented_key_a_wrong_type_and_a_null(documents):
    doc = json.loads(json.dumps(documents["harbour-bank"]))
    doc["drivers"]["overall"]["drivers"][0]["bootstrap_low"] = 1.0
    doc["overall"]["nps"]["n"] = "1702"
    doc["window"]["label"] = None
    doc["targets"]["nps "] = doc["targets"]["nps"]
    del doc["sample"]["base"]
    before = set(Checker().check(documents["harbour-bank"]))   # blocks still being described
    problems = [p for p in Checker().check(doc) if p not in before]
    assert any(p.startswith("ANALYSIS.drivers[].bootstrap_low: not in the scores JSON schema") and
               p.endswith("found at drivers.overall.drivers[0].bootstrap_low") for p in problems)
    assert any("overall.nps.n: expected integer" in p for p in problems)
    assert any("window.label: null" in p for p in problems)
    assert any("key 'nps '" in p for p in problems)
    assert any("sample.base: missing" in p for p in problems)
    assert len(problems) == 5, problems


def test_the_reference_page_lists_every_described_key():
    text = (ROOT / "docs" / "scores-json.md").read_text(encoding="utf-8")
    rows = {m.group(1) for m in re.finditer(r"^\| \[?`([^`]+)`", text, re.M)}
    for path in paths():
        assert path in rows, f"{path} is not a row of docs/scores-json.md"
    assert SCHEMA in text
    # what issue 15 found undocumented
    for path in ("ANALYSIS.r2", "ANALYSIS.method", "ANALYSIS.primary", "ANALYSIS.drivers[].importance_pct",
                 "ANALYSIS.drivers[].relative_weight", "ANALYSIS.drivers[].lmg", "IMPORTANCE.raw", "drivers.skipped", "drivers.scales[].alpha", "ITEM_SCORE.distribution",
                 "priorities[].impact", "comments.themes[].verbatims[].text", "journey.touchpoints[].pain_point"):
        assert path in rows, path
    assert "## Rounding and units" in text and "rounded to 6 decimals" in text
    assert "`scales`" not in [b.name for b in jsonschema.ROOT], "α is in drivers.scales, not a top-level block"


def test_every_entry_has_a_meaning_and_a_known_type():
    def check(k: Key, where: str) -> None:
        assert k.meaning.strip(), f"{where}{k.name}: no meaning"
        assert k.type in jsonschema.SCALARS + ("object", "array", "map") or k.type in jsonschema.SHAPES, k.type
        if isinstance(k.of, tuple):
            for child in k.of:
                check(child, f"{where}{k.name}.")
        elif isinstance(k.of, Key):
            check(k.of, f"{where}{k.name}.")
        elif k.of is not None:
            assert k.of in jsonschema.SCALARS or k.of in jsonschema.SHAPES, f"{where}{k.name}: {k.of}"

    for k in jsonschema.ROOT:
        check(k, "")
    for name, keys in {**jsonschema.SHAPES, **jsonschema.BLOCKS}.items():
        for k in keys:
            check(k, name + ".")


def test_the_json_schema_document_accepts_every_project_and_rejects_a_broken_one(documents):
    """docs/scores-json.schema.json (draft 2020-12, generated from the same description) is a
    valid schema, every scored project validates against it, and a document with an
    undescribed key, a wrong type or a bad ITEM key does not."""
    import jsonschema as validator

    schema = json.loads((ROOT / "docs" / "scores-json.schema.json").read_text(encoding="utf-8"))
    assert schema == jsonschema.json_schema()
    validator.Draft202012Validator.check_schema(schema)
    check = validator.Draft202012Validator(schema, format_checker=validator.FormatChecker())
    for name, doc in documents.items():
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:120]}" for e in check.iter_errors(doc)]
        assert not errors, f"{name}: " + "\n".join(errors[:20])
    for change in (lambda d: d["sample"].update(extra=1), lambda d: d["overall"]["nps"].update(n="1"),
                   lambda d: d["overall"].update({"NPS": d["overall"]["nps"]}),
                   lambda d: d["window"].update(start="15/10/2026"), lambda d: d.pop("drivers")):
        doc = json.loads(json.dumps(documents["harbour-bank"]))
        change(doc)
        assert not check.is_valid(doc)
