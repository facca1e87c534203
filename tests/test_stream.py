"""Streamed scoring (cxreport.scoring.stream): a survey read in batches — a CSV file or a folder of
Parquet partitions — scored from counted answers gives the scores document's core blocks
(``cxreport.export.core_dict``) that scoring the whole file in memory gives: every count,
exclusion and duplicate id exactly, every figure to 1e-9 (they differ only in the order of
floating-point additions). What streaming cannot do (raking, multi-punch questions, date ranges)
is refused with the key to change, never scored differently.

Numbers are compared unrounded: ``export._num`` rounds to 3 or 6 digits, which turns a 1e-13
difference of addition order into a visible flip of the last digit, so the tests replace it by
a plain float conversion (``unrounded``)."""

from __future__ import annotations

import csv
import io
import json
import math
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner

import cxreport.export as export
import cxreport.scoring.stream as stream
from cxreport.cli import cli
from cxreport.config import load_project
from cxreport.errors import ConfigError
from cxreport.export import KEYS, core_dict
from cxreport.pipeline import run
from cxreport.scoring.stream import NOT_STREAMED, score_streamed
from cxreport.validate import MAX_EXAMPLES

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = [ROOT / "samples" / "harbour-bank" / "cxreport.yaml", ROOT / "samples" / "huayue-retail" / "cxreport.yaml"]

#: The generated survey's columns, in file order.
HEADER = ["id", "date", "region", "channel", "nps", "csat", "ces", "a_wait", "a_staff", "weight", "products",
          "comment"]
#: Comments of the generated survey (a third blank); some repeat word for word, some are Chinese,
#: some name no theme of :data:`CODE_FRAME`, one has an e-mail address to mask.
PHRASES = ["The queue was far too long and nobody helped", "Friendly staff, quick service", "Staff were rude",
           "Waited 40 minutes in the queue. Awful.", "Great app, easy to use", "The app keeps crashing",
           "Helpful and friendly staff but a long wait", "Nothing to add", "员工很友好，服务很快", "排队时间太长了",
           "Write to me at jo.bloggs@example.com about the fees", "Fees are too high", "ok", "Love the new app!"]
CODE_FRAME = {"Waiting": ["queue", "wait", "waited", "排队"], "Staff": ["staff", "员工", "rude", "friendly"],
              "App": ["app", "crashing"], "Fees": ["fees", "fee"]}
#: First month of each quarter the generated survey covers (2025 Q2 – 2026 Q2: the latest quarter
#: has a previous quarter and a year-ago quarter).
QUARTERS = {"2025Q2": (2025, 4), "2025Q3": (2025, 7), "2025Q4": (2025, 10), "2026Q1": (2026, 1), "2026Q2": (2026, 4)}
#: Answers the generated nps column holds besides 0–10, and which of them are invalid.
NPS_SPECIAL = ["", "", " ", "abc", "11", "-1", "99", "7.5", "n/a", " 8 "]
NPS_INVALID = {"abc", "11", "-1", "7.5", "n/a"}
#: Where the partitions of the generated Parquet folder go, in natural order of their paths
#: (part-2 before part-10), with the share of each quarter's rows; part-1 of 2025 Q4 is empty.
PARTS = {"2025Q2": [("part-0", 1.0)], "2025Q3": [("part-0", 0.5), ("part-1", 0.5)],
         "2025Q4": [("part-0", 1.0), ("part-1", 0.0)],
         "2026Q1": [("part-0", 0.3), ("part-2", 0.3), ("part-10", 0.4)], "2026Q2": [("part-0", 1.0)]}


# ---------------------------------------------------------------------------------------------
# Helpers: unrounded comparison of two scores documents
# ---------------------------------------------------------------------------------------------

def _exact(value, digits: int = 6):
    """``export._num`` without the rounding (non-finite numbers still null)."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


@pytest.fixture
def unrounded(monkeypatch):
    monkeypatch.setattr(export, "_num", _exact)


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def differences(a, b, path: str = "", tol: float = 1e-9) -> list[str]:
    """Where ``a`` and ``b`` (JSON-like) differ: keys, lengths, numbers beyond ``tol`` (relative,
    or absolute near 0), anything else not equal. Each as 'path: a vs b'."""
    if isinstance(a, dict):
        if not isinstance(b, dict):
            return [f"{path}: {type(a).__name__} vs {b!r}"]
        if list(a) != list(b):
            return [f"{path}: keys {sorted(set(a) ^ set(b))[:6] or 'in another order'}"]
        return [d for k in a for d in differences(a[k], b[k], f"{path}.{k}", tol)]
    if isinstance(a, list):
        if not isinstance(b, list) or len(a) != len(b):
            return [f"{path}: length {len(a)} vs {len(b) if isinstance(b, list) else repr(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}[{i}]", tol)]
    if (isinstance(a, float) or isinstance(b, float)) and _is_number(a) and _is_number(b):
        if math.isclose(a, b, rel_tol=tol, abs_tol=tol) or (math.isnan(a) and math.isnan(b)):
            return []
        return [f"{path}: {a!r} vs {b!r}"]
    return [] if a == b else [f"{path}: {a!r} vs {b!r}"]


def assert_same(memory: dict, streamed: dict, what: str, tol: float = 1e-9) -> None:
    # Through JSON as the score command writes it: tuples are lists, keys text.
    found = differences(json.loads(json.dumps(memory)), json.loads(json.dumps(streamed)), "", tol)
    shown = "\n  ".join(found[:15])
    assert not found, f"{what}: {len(found)} differences (in memory vs streamed), first:\n  {shown}"


def core(study) -> dict:
    return json.loads(json.dumps(core_dict(study)))


# ---------------------------------------------------------------------------------------------
# Helpers: a generated survey with every kind of invalid value
# ---------------------------------------------------------------------------------------------

def _answer(rng: random.Random, low: int, high: int, special: list, share: float):
    return rng.choice(special) if rng.random() < share else rng.randint(low, high)


def generated_rows(n: int = 3000, seed: int = 18, typed: bool = False) -> list[dict]:
    """``n`` responses over five quarters with blank, non-numeric, out-of-scale and missing-code
    answers; blank, invalid, zero and negative weights; invalid and blank dates; a region written
    'North', ' north ', 'NORTH' (and blank); respondent ids repeated hundreds of rows later (and
    with spaces around them), so that copies fall in other batches. Each row also has the
    quarter its partition is (``_quarter``; its date may be unreadable).

    ``typed``: the values of csat, a_wait and weight are numbers (None for blank) so that they
    can be written as Parquet integer and floating-point columns."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        quarter = rng.choice(list(QUARTERS))
        year, month = QUARTERS[quarter]
        date = f"{year}-{month + rng.randrange(3):02d}-{1 + rng.randrange(28):02d}"
        if rng.random() < 0.05:
            date = rng.choice(["", "  ", "2026-13-45", "not a date", "2026-02-30", "31/31/2026"])
        rid = f"R{i:05d}"
        if i > 10 and rng.random() < 0.04:
            # a later copy of an earlier respondent: often hundreds of rows (batches) later
            earlier = rows[rng.randrange(max(0, i - 1500), i - 1)]["id"].strip()
            rid = earlier if (earlier and rng.random() < 0.7) else f"  {earlier} "
        elif rng.random() < 0.01:
            rid = ""                                       # a blank id is never a duplicate
        if typed:
            csat = _answer(rng, 1, 5, [None, None, 6, 0, 99, -2], 0.08)
            a_wait = _answer(rng, 1, 5, [None, 0, 0, 99, 9, 2.5], 0.15)
            a_wait = None if a_wait is None else float(a_wait)
            weight = rng.choice([None, 0.0, -1.0, math.inf, 1e12, -0.0]) if rng.random() < 0.07 \
                else round(rng.uniform(0.3, 2.5), 4)
        else:
            csat = _answer(rng, 1, 5, ["", "6", "0", "99", "x", "4.0", " 5"], 0.08)
            a_wait = _answer(rng, 1, 5, ["", "0", "0", "99", "9", "five", "2.5"], 0.15)
            weight = rng.choice(["", " ", "x", "0", "-1", "inf", "1e12", "0.0", " 1.5 ", "nan"]) \
                if rng.random() < 0.07 else f"{rng.uniform(0.3, 2.5):.4f}"
        rows.append({
            "_quarter": quarter, "id": rid, "date": date,
            "region": rng.choice(["North", " north ", "NORTH", "North", "South", "south", "East", "East", "West",
                                  "", "  "]),
            "channel": rng.choice(["Web", "Phone", "Branch", "App", "app", ""]),
            "nps": _answer(rng, 0, 10, NPS_SPECIAL, 0.1),
            "csat": csat,
            "ces": _answer(rng, 1, 7, ["", "8", "99", "?", "0"], 0.08),
            "a_wait": a_wait,
            "a_staff": _answer(rng, 1, 5, ["", "0", "99", "6"], 0.1),
            "weight": weight,
            "products": ";".join(sorted(rng.sample(["1", "2", "3"], rng.randrange(0, 3)))),
        })
    said = random.Random(seed + 1)       # its own draws: the other columns stay as they were
    for row in rows:
        row["comment"] = "" if said.random() < 0.35 else said.choice(PHRASES)
    return rows


def _text(value) -> str:
    """A generated value as a CSV file holds it."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def write_csv(path: Path, rows: list[dict], header: list[str] | None = None) -> None:
    header = header or HEADER
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([[_text(r[c]) for c in header] for r in rows])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buf.getvalue(), encoding="utf-8")


def project_config(survey_file: str, **extra) -> dict:
    config = {
        "client": {"name": "Streamed Co"},
        "survey": {"file": survey_file},
        "columns": {
            "respondent_id": "id",
            "date": "date",
            "weight": "weight",
            "nps": {"column": "nps", "label": "NPS"},
            "csat": {"column": "csat", "scale": 5},
            "ces": "ces",
            "attributes": {"Waiting time": {"column": "a_wait", "scale": "1-5", "na_codes": [0]},
                           "Staff": {"column": "a_staff", "scale": "1-5", "na_codes": [0]}},
            "segments": {"Region": "region", "Channel": "channel"},
        },
        "missing_codes": [99],
        "periods": {"unit": "quarter"},
        "bases": {"suppress_below": 5, "flag_below": 10},
        "report": {"title": "Streamed test", "period": "latest"},
    }
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            config[key] = {**config[key], **value}
        else:
            config[key] = value
    return config


def write_project(folder: Path, survey_file: str = "data/responses.csv", name: str = "cxreport.yaml",
                  **extra) -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(project_config(survey_file, **extra), sort_keys=False, allow_unicode=True),
                    encoding="utf-8")
    return path


def csv_project(folder: Path, rows: list[dict] | None = None, **extra) -> Path:
    """A project in ``folder`` whose survey is the generated rows as one CSV file."""
    write_csv(folder / "data" / "responses.csv", generated_rows() if rows is None else rows)
    return write_project(folder, **extra)


def write_partitions(folder: Path, rows: list[dict], kind: str) -> list[tuple[str, list[dict]]]:
    """The rows as a folder of Parquet partitions ``data/responses/quarter=…/part-….parquet``
    (:data:`PARTS`); returns each file's path inside the folder and rows, in natural order.
    ``kind``: 'text' (every column text), 'typed' (csat int64, a_wait and weight float64) or
    'dictionary' (text, region and channel dictionary-encoded as pandas writes categoricals)."""
    root = folder / "data" / "responses"
    by_quarter = {q: [r for r in rows if r["_quarter"] == q] for q in QUARTERS}
    files = []
    for quarter, parts in PARTS.items():
        mine, start = by_quarter[quarter], 0
        for i, (part, share) in enumerate(parts):
            stop = len(mine) if i == len(parts) - 1 and share else start + int(round(share * len(mine)))
            files.append((f"quarter={quarter}/{part}.parquet", mine[start:stop]))
            start = stop
    assert sum(len(r) for _f, r in files) == len(rows) and any(not r for _f, r in files)
    types = {c: pa.string() for c in HEADER}
    if kind == "typed":
        types.update(csat=pa.int64(), a_wait=pa.float64(), weight=pa.float64())
    for rel, part_rows in files:
        columns = {}
        for c in HEADER:
            values = [r[c] for r in part_rows]
            if types[c] == pa.string():
                values = [_text(v) for v in values]
            array = pa.array(values, type=types[c])
            if kind == "dictionary" and c in ("region", "channel"):
                array = array.dictionary_encode()
            columns[c] = array
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.table(columns), target)
    return files


# ---------------------------------------------------------------------------------------------
# 1. The bundled samples
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module", params=SAMPLES, ids=lambda p: p.parent.name)
def sample(request):
    """A sample project and its in-memory study (scored once per module)."""
    project = load_project(request.param)
    return project, run(project)


@pytest.fixture(scope="module")
def streamed_sample(sample):
    """The sample scored streamed in batches of 333 rows (once per module)."""
    project, _study = sample
    return score_streamed(project, rows=333)


def test_the_samples_streamed_give_the_in_memory_core_blocks(sample, streamed_sample, unrounded):
    """Batches of 333 rows end inside every segment group and period of both samples
    (harbour-bank: UTF-8 CSV; huayue-retail: gb18030 CSV with a date format and a time zone)."""
    project, study = sample
    streamed = streamed_sample
    assert streamed.batches > 5 and streamed.rows_read == study.validation.rows_read
    assert_same(core(study), core(streamed), f"{project.path.parent.name}, batches of 333 rows")


# ---------------------------------------------------------------------------------------------
# 2. Generated data with every kind of invalid value
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The generated survey as one CSV project, with its in-memory study."""
    folder = tmp_path_factory.mktemp("generated")
    project_file = csv_project(folder)
    project = load_project(project_file)
    return project_file, project, run(project)


def test_the_generated_survey_has_every_kind_of_problem(generated):
    # Guards the other tests: what they compare is really there.
    _file, _project, study = generated
    v = study.validation
    assert v.excluded["duplicate respondent id"] > 50 and len(v.duplicate_ids) > 50
    assert v.excluded["missing or invalid weight"] > 50 and v.excluded["zero weight"] > 5
    checks = {c.column: c for c in v.columns}
    assert all(checks[c].blank and checks[c].non_numeric for c in ("nps", "csat", "ces", "a_wait"))
    assert all(checks[c].missing_code and checks[c].out_of_scale for c in ("nps", "csat", "ces", "a_wait", "a_staff"))
    assert checks["a_wait"].not_applicable and checks["date"].non_numeric and checks["date"].blank
    region = next(s for s in study.results.segments if s.name == "Region")
    assert [g.label for g in region.groups].count("North") == 1 and "Not stated" in [g.label for g in region.groups]
    assert [p.label for p in study.results.period_info] == ["2025 Q2", "2025 Q3", "2025 Q4", "2026 Q1", "2026 Q2"]


@pytest.mark.parametrize("rows", [333, 1000])
def test_generated_csv_streamed_equals_in_memory(generated, rows, unrounded):
    """Every count of the validation (blank, missing code, N/A, not a number, off the scale),
    the excluded rows, the duplicate ids in order, and every figure."""
    _file, project, study = generated
    streamed = score_streamed(project, rows=rows)
    memory, got = core(study), core(streamed)
    assert got["validation"]["excluded"] == memory["validation"]["excluded"]
    assert got["validation"]["duplicate_ids"] == memory["validation"]["duplicate_ids"]
    assert_same(memory, got, f"generated CSV, batches of {rows} rows")


def test_generated_csv_streamed_warns_as_in_memory(generated):
    """The lines printed about the data (counts, example rows, the weight line, merged spellings,
    rows without a date) are the in-memory reader's, batch boundaries or not."""
    _file, project, study = generated
    streamed = score_streamed(project, rows=333)
    assert streamed.validation.warnings() == study.validation.warnings()


@pytest.mark.parametrize("kind", ["text", "typed", "dictionary"])
def test_a_partitioned_parquet_folder_streamed_equals_the_same_rows_in_memory(tmp_path, kind, unrounded):
    """A folder of Parquet partitions (one of them empty; part-2 before part-10) streamed gives
    what the same rows in the same order, written as one CSV file, give in memory. ``typed``:
    integer and floating-point columns; ``dictionary``: segment columns dictionary-encoded (as
    pandas writes categorical columns)."""
    rows = generated_rows(typed=kind == "typed")
    files = write_partitions(tmp_path, rows, kind)
    ordered = [r for _rel, part in files for r in part]
    write_csv(tmp_path / "flat" / "responses.csv", ordered)
    folder_project = load_project(write_project(tmp_path, "data/responses", "folder.yaml"))
    flat_project = load_project(write_project(tmp_path, "flat/responses.csv", "flat.yaml"))
    memory = core(run(flat_project))
    streamed = core(score_streamed(folder_project, rows=333))
    # What differs by construction: the project file and the survey's name.
    assert streamed["validation"].pop("file") == "data/responses"
    assert memory["validation"].pop("file") == "flat/responses.csv"
    assert streamed["project"].pop("file").endswith("folder.yaml")
    memory["project"].pop("file")
    assert streamed["validation"]["excluded"] == memory["validation"]["excluded"]
    assert streamed["validation"]["duplicate_ids"] == memory["validation"]["duplicate_ids"]
    assert_same(memory, streamed, f"Parquet folder ({kind} columns) vs the same rows as one CSV")


# ---------------------------------------------------------------------------------------------
# 3. Example lines name the partition
# ---------------------------------------------------------------------------------------------

def test_example_lines_of_a_partitioned_folder_name_the_file_and_its_row(tmp_path):
    """Each example of an invalid value names the partition file and the file's own row number
    (a Parquet file's first record is row 1), continuing across batches and files."""
    rows = generated_rows()
    files = write_partitions(tmp_path, rows, "text")
    project = load_project(write_project(tmp_path, "data/responses"))
    study = score_streamed(project, rows=100)
    expected = [f"data/responses/{rel}: row {n}, column 'nps': '{r['nps'].strip()}' "
                for rel, part in files for n, r in enumerate(part, start=1)
                if isinstance(r["nps"], str) and r["nps"].strip() in NPS_INVALID]
    assert len(expected) > MAX_EXAMPLES
    examples = next(c for c in study.validation.columns if c.column == "nps").examples
    assert len(examples) == MAX_EXAMPLES
    for example, start in zip(examples, expected):
        assert example.startswith(start), (example, start)
    lines = study.validation.warnings()
    assert f"data/responses: {examples[0]}" in lines
    assert any("quarter=" in line and "/part-" in line and ".parquet: row " in line and "column 'date'" in line
               for line in lines), lines


# ---------------------------------------------------------------------------------------------
# 4. What streaming cannot do is refused, naming the key
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("extra, key", [
    ({"columns": {"multi_punch": {"Products": {"column": "products", "separator": ";",
                                               "codes": {1: "Current account", 2: "Savings", 3: "Mortgage"}}}}},
     "columns.multi_punch"),
    ({"weighting": {"rake": {"Channel": {"Web": 0.3, "Phone": 0.2, "Branch": 0.2, "App": 0.2, "Not stated": 0.1}}}},
     "weighting"),
])
def test_a_project_streaming_cannot_score_is_refused_naming_the_key(tmp_path, extra, key):
    columns = extra.pop("columns", {})
    config_columns = {**project_config("x")["columns"], **columns}
    project_file = csv_project(tmp_path, generated_rows(400), columns=config_columns, **extra)
    project = load_project(project_file)
    with pytest.raises(ConfigError) as info:
        score_streamed(project, rows=100)
    assert str(info.value).startswith(f"{key}:"), str(info.value)

    result = CliRunner().invoke(cli, ["score", str(project_file), "--stream"])
    assert result.exit_code == 1, result.output
    # a handled error: click's exit, not an exception that escaped (a traceback)
    assert isinstance(result.exception, SystemExit) and "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {key}:"), result.stderr
    assert result.stdout == ""


# ---------------------------------------------------------------------------------------------
# 5. The command line
# ---------------------------------------------------------------------------------------------

def _overall_equal(a: dict, b: dict) -> list[str]:
    # Both rounded (6 decimals): a rounding flip is 1e-6 apart.
    return differences(a, b, "overall", tol=1e-6 + 1e-12)


def test_score_stream_writes_the_streamed_document(generated, tmp_path):
    project_file, _project, _study = generated
    runner = CliRunner()
    out_stream, out_memory = tmp_path / "streamed.json", tmp_path / "memory.json"
    streamed = runner.invoke(cli, ["score", str(project_file), "--stream", "-o", str(out_stream)])
    assert streamed.exit_code == 0, streamed.output
    memory = runner.invoke(cli, ["score", str(project_file), "-o", str(out_memory)])
    assert memory.exit_code == 0, memory.output
    doc, whole = json.loads(out_stream.read_text("utf-8")), json.loads(out_memory.read_text("utf-8"))
    assert list(doc) == KEYS + ["streamed"]
    assert doc["streamed"]["not_computed"] == NOT_STREAMED
    assert doc["streamed"]["rows_read"] == whole["sample"]["rows_read"] == 3000
    assert doc["streamed"]["batches"] >= 1
    assert all(doc[key] is None for key in NOT_STREAMED)
    assert "streamed" not in whole
    found = _overall_equal(whole["overall"], doc["overall"])
    assert not found, found[:10]
    assert doc["validation"] == whole["validation"]


def test_score_streams_by_itself_above_the_size_and_not_with_in_memory(generated, monkeypatch):
    project_file, _project, _study = generated
    monkeypatch.setattr(stream, "STREAM_ABOVE_BYTES", 1)
    runner = CliRunner()
    auto = runner.invoke(cli, ["score", str(project_file)])
    assert auto.exit_code == 0, auto.output
    assert "Streamed scoring" in auto.stderr
    assert "streamed" in json.loads(auto.stdout)

    whole = runner.invoke(cli, ["score", str(project_file), "--in-memory"])
    assert whole.exit_code == 0, whole.output
    assert "Streamed scoring" not in whole.stderr
    doc = json.loads(whole.stdout)
    assert "streamed" not in doc and list(doc) == KEYS
    found = _overall_equal(doc["overall"], json.loads(auto.stdout)["overall"])
    assert not found, found[:10]


def test_score_does_not_stream_a_small_survey_by_itself(generated):
    project_file, _project, _study = generated
    result = CliRunner().invoke(cli, ["score", str(project_file)])
    assert result.exit_code == 0, result.output
    assert "Streamed scoring" not in result.stderr and "streamed" not in json.loads(result.stdout)


def test_score_stream_in_csv_is_a_usage_error(generated):
    project_file, _project, _study = generated
    result = CliRunner().invoke(cli, ["score", str(project_file), "--stream", "--format", "csv"])
    assert result.exit_code == 2, result.output
    assert "--stream writes JSON" in result.stderr and "Traceback" not in result.output


# ---------------------------------------------------------------------------------------------
# 6. Windows
# ---------------------------------------------------------------------------------------------

def test_a_date_range_window_is_refused_by_streamed_scoring(generated):
    """Streamed scoring reports whole periods; a date range inside them is refused as such (not
    scored from the periods it touches, nor reported as a window without responses)."""
    _file, project, _study = generated
    with pytest.raises(ConfigError) as info:
        score_streamed(project, period="2026-01-01..2026-02-15", rows=500)
    assert "date range" in str(info.value), str(info.value)


def test_a_date_range_window_is_refused_by_score_stream(generated):
    project_file, _project, _study = generated
    result = CliRunner().invoke(cli, ["score", str(project_file), "--stream", "--period", "2026-01-01..2026-02-15"])
    assert result.exit_code == 1, result.output
    assert "date range" in result.stderr and "Traceback" not in result.output, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.mark.parametrize("period", ["2026 Q2", "2026 Q1", "2025 Q3", "2025 Q2", "last 2 quarters", "2026", "all"])
def test_a_period_window_streamed_equals_in_memory(generated, period, unrounded):
    """A named quarter (with or without a previous or year-ago quarter in the data), a rolling
    window, a year and every row: the window's figures, its comparisons and the trend up to it."""
    _file, project, _study = generated
    memory = core(run(project, period=period))
    streamed = core(score_streamed(project, period=period, rows=333))
    assert streamed["window"]["spec"] == period
    assert_same(memory, streamed, f"--period {period!r}")


# ---------------------------------------------------------------------------------------------
# 7. On a Dask cluster
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cluster():
    import distributed

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as local:
        yield local


def test_score_on_a_dask_cluster_gives_the_local_document_byte_for_byte(tmp_path, cluster):
    """``--executor dask``: each partition is read and counted on one of two workers, the counts
    put together in file order; the JSON is the local streamed run's, byte for byte (the same
    additions in the same order), and its figures those of the same rows in memory."""
    rows = generated_rows(typed=True)
    files = write_partitions(tmp_path, rows, "typed")
    project_file = write_project(tmp_path, "data/responses", "folder.yaml")
    runner = CliRunner()
    local, on_dask = tmp_path / "local.json", tmp_path / "dask.json"
    first = runner.invoke(cli, ["score", str(project_file), "--stream", "-o", str(local)])
    assert first.exit_code == 0, first.output
    second = runner.invoke(cli, ["score", str(project_file), "--executor", "dask",
                                 "--scheduler", cluster.scheduler_address, "-o", str(on_dask)])
    assert second.exit_code == 0, second.output
    assert on_dask.read_bytes() == local.read_bytes()
    doc = json.loads(on_dask.read_text("utf-8"))
    assert doc["streamed"]["rows_read"] == len(rows) == sum(len(part) for _rel, part in files)


def test_score_on_dask_needs_a_scheduler_and_streams():
    """--executor dask without --scheduler, or with --in-memory, is a usage error; --scheduler
    without --executor dask too."""
    runner = CliRunner()
    path = str(SAMPLES[0])
    for args in (["--executor", "dask"], ["--executor", "dask", "--scheduler", "tcp://127.0.0.1:1", "--in-memory"],
                 ["--scheduler", "tcp://127.0.0.1:1"]):
        result = runner.invoke(cli, ["score", path, *args], env={"DASK_SCHEDULER_ADDRESS": ""})
        assert result.exit_code == 2, (args, result.output)


def test_score_on_an_unreachable_scheduler_is_one_line(tmp_path, monkeypatch):
    import cxreport.executor

    monkeypatch.setattr(cxreport.executor, "DASK_CONNECT_TIMEOUT", 1)     # nobody listens on port 9
    rows = generated_rows(n=300)
    write_partitions(tmp_path, rows, "text")
    project_file = write_project(tmp_path, "data/responses", "folder.yaml")
    result = CliRunner().invoke(cli, ["score", str(project_file), "--executor", "dask",
                                      "--scheduler", "tcp://127.0.0.1:9"])
    assert result.exit_code == 1
    assert "cannot connect to the Dask scheduler at tcp://127.0.0.1:9" in result.stderr
    assert "Traceback" not in result.output + result.stderr


# ---------------------------------------------------------------------------------------------
# 8. validate --stream promises what score --stream does
# ---------------------------------------------------------------------------------------------

def _error_line(result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize("case", ["strict", "no valid answers", "refused key", "date range", "comments segment"])
def test_validate_stream_reports_the_error_score_stream_raises(tmp_path, case):
    """Each of streamed scoring's own errors: `validate --stream` exits 1 with the very line
    `score --stream` exits with."""
    args = []
    if case == "strict":
        project_file = csv_project(tmp_path)
        args = ["--strict"]
    elif case == "no valid answers":
        rows = generated_rows(n=400)
        for r in rows:
            r["ces"] = ""
        project_file = csv_project(tmp_path, rows)
    elif case == "comments segment":
        write_csv(tmp_path / "data" / "responses.csv", generated_rows(n=400))
        config = project_config("data/responses.csv", comments={"code_frame": CODE_FRAME, "segment": "Nope"})
        config["columns"]["comment"] = "comment"
        project_file = tmp_path / "cxreport.yaml"
        project_file.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    elif case == "refused key":
        project_file = csv_project(tmp_path, weighting={"rake": {"Region": {"North": 0.5, "South": 0.5}}})
    else:
        project_file = csv_project(tmp_path)
        args = ["--period", "2026-01-01..2026-02-15"]
    runner = CliRunner()
    scored = runner.invoke(cli, ["score", str(project_file), "--stream", *args])
    checked = runner.invoke(cli, ["validate", str(project_file), "--stream", *args])
    assert scored.exit_code == 1 and checked.exit_code == 1, (scored.output, checked.output)
    assert _error_line(checked) == _error_line(scored)


def test_validate_stream_summarises_the_streamed_checks(generated):
    project_file, _project, study = generated
    result = CliRunner().invoke(cli, ["validate", str(project_file), "--stream"])
    assert result.exit_code == 0, result.output
    assert f"{study.validation.rows_read:,} rows read, {study.validation.rows_used:,} used (streamed:" in result.stdout
    assert "Reporting window:" in result.stdout and "Its reports need the survey as one file" in result.stdout


def test_a_parquet_folder_is_streamed_by_itself_by_score_and_validate(tmp_path):
    write_partitions(tmp_path, generated_rows(n=600), "text")
    project_file = write_project(tmp_path, "data/responses", "folder.yaml")
    runner = CliRunner()
    for command in ("score", "validate"):
        result = runner.invoke(cli, [command, str(project_file)])
        assert result.exit_code == 0, result.output
        assert "Streamed scoring: responses is a folder of Parquet files" in result.stderr


# ---------------------------------------------------------------------------------------------
# 9. Key drivers from counted cross-products
# ---------------------------------------------------------------------------------------------

#: What a driver analysis reads from the rows themselves: the bootstrap intervals (respondents
#: resampled); streamed scoring leaves them out and says so.
_INTERVALS = ("importance_low", "importance_high", "raw_low", "raw_high", "pct_low", "pct_high")


def drivers_without_intervals(study) -> dict:
    """The scores document's drivers block with the bootstrap intervals taken out."""
    block = json.loads(json.dumps(export.drivers_dict(study.drivers, study.scope("drivers"))))

    def strip(node):
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k not in _INTERVALS and k != "bootstrap"}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    return strip(block)


def test_the_samples_key_drivers_streamed_equal_in_memory(sample, streamed_sample, unrounded):
    """Both samples' key drivers (harbour-bank: pairwise, by region; huayue-retail: its own
    settings), total and segments, from Moments counted batch by batch: every correlation-based
    figure equals the in-memory analysis; the bootstrap intervals are not computed, with a note."""
    project, study = sample
    streamed = streamed_sample
    assert study.drivers is not None and streamed.drivers is not None
    assert_same(drivers_without_intervals(study), drivers_without_intervals(streamed),
                f"{project.path.parent.name} key drivers")
    analyses = [streamed.drivers.overall] + list(streamed.drivers.segments)
    assert all(a.bootstrap is None and "streamed" in a.bootstrap_note for a in analyses if a is not None)


@pytest.mark.parametrize("missing", ["listwise", "pairwise"])
def test_generated_key_drivers_streamed_equal_in_memory(tmp_path, missing, unrounded):
    """Weighted key drivers of NPS on the generated survey (invalid answers, N/A codes, excluded
    rows), by region and channel, listwise and pairwise, from a Parquet folder read in batches."""
    rows = generated_rows()
    files = write_partitions(tmp_path, rows, "text")
    ordered = [r for _rel, part in files for r in part]
    write_csv(tmp_path / "flat" / "responses.csv", ordered)
    drivers = {"drivers": {"outcome": "nps", "segments": ["Region", "Channel"], "min_base": 30,
                           "missing": missing, "bootstrap": 0}}
    folder_project = load_project(write_project(tmp_path, "data/responses", "folder.yaml", **drivers))
    flat_project = load_project(write_project(tmp_path, "flat/responses.csv", "flat.yaml", **drivers))
    memory, streamed = run(flat_project), score_streamed(folder_project, rows=333)
    assert memory.drivers.overall is not None and memory.drivers.segments
    assert_same(drivers_without_intervals(memory), drivers_without_intervals(streamed), f"{missing} drivers")


def test_the_streamed_document_has_the_key_drivers(tmp_path):
    project_file = csv_project(tmp_path, drivers={"outcome": "nps", "min_base": 30, "bootstrap": 0})
    out = tmp_path / "scores.json"
    result = CliRunner().invoke(cli, ["score", str(project_file), "--stream", "-o", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text("utf-8"))
    assert "drivers" not in doc["streamed"]["not_computed"]
    assert [d["name"] for d in doc["drivers"]["overall"]["drivers"]] and doc["drivers"]["overall"]["r2"] > 0


# ---------------------------------------------------------------------------------------------
# 10. Banner tables from the segments' counted groups
# ---------------------------------------------------------------------------------------------

def test_the_samples_banner_tables_streamed_equal_in_memory(sample, streamed_sample, unrounded):
    """Every banner table (columns, cells, pairwise tests and their adjustment) of both samples."""
    project, study = sample
    streamed = streamed_sample
    memory = json.loads(json.dumps(export.banners_dict(study)))
    assert memory is not None and memory["tables"]
    assert_same(memory, json.loads(json.dumps(export.banners_block(streamed.banners, streamed.scope("segments")))),
                f"{project.path.parent.name} banner tables")


def test_pooled_segments_and_their_banners_streamed_equal_in_memory(tmp_path, unrounded):
    """report.pool.segments: the segment tables and banners of the last two quarters."""
    project_file = csv_project(tmp_path, report={"title": "Streamed test", "period": "latest",
                                                 "pool": {"segments": 2}})
    project = load_project(project_file)
    memory, streamed = run(project), score_streamed(project, rows=333)
    assert memory.scope("segments").pooled and streamed.scope("segments").pooled
    assert_same(core(memory), core(streamed), "pooled segments")
    assert_same(json.loads(json.dumps(export.banners_dict(memory))),
                json.loads(json.dumps(export.banners_block(streamed.banners, streamed.scope("segments")))),
                "pooled banners")


# ---------------------------------------------------------------------------------------------
# 11. Comments counted batch by batch
# ---------------------------------------------------------------------------------------------

def test_the_samples_comments_streamed_equal_in_memory(sample, streamed_sample, unrounded):
    """Both samples' comments block (counts, sentiment, themes and their tone, quotes, Pareto,
    theme × segment table), English and Chinese."""
    project, study = sample
    streamed = streamed_sample
    memory = json.loads(json.dumps(export.comments_block(study.voice, study.scope("comments"))))
    assert memory is not None and memory["themes"] and any(t["verbatims"] for t in memory["themes"])
    assert_same(memory, json.loads(json.dumps(export.comments_block(streamed.voice, streamed.scope("comments")))),
                f"{project.path.parent.name} comments")


COMMENTS = {"comment": "comment"}


def _comments_project(folder: Path, survey_file: str, name: str, **extra) -> Path:
    config = project_config(survey_file, comments={"code_frame": CODE_FRAME, "segment": "Channel",
                                                   "verbatims_per_theme": 3}, **extra)
    config["columns"]["comment"] = "comment"
    path = folder / name
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def test_generated_comments_streamed_equal_in_memory(tmp_path, unrounded):
    """Comments in a Parquet folder (repeated texts, Chinese, a masked e-mail, rows of excluded
    respondents) give the in-memory comments block of the same rows as one CSV; a comment's row
    in a folder is its position over every file (here the same as the CSV's row less one: the
    CSV's header is row 1)."""
    rows = generated_rows()
    files = write_partitions(tmp_path, rows, "text")
    write_csv(tmp_path / "flat" / "responses.csv", [r for _rel, part in files for r in part])
    folder = load_project(_comments_project(tmp_path, "data/responses", "folder.yaml"))
    flat = load_project(_comments_project(tmp_path, "flat/responses.csv", "flat.yaml"))
    memory, streamed = run(flat), score_streamed(folder, rows=333)
    mine = json.loads(json.dumps(export.comments_block(memory.voice, memory.scope("comments"))))
    theirs = json.loads(json.dumps(export.comments_block(streamed.voice, streamed.scope("comments"))))
    for theme in mine["themes"]:
        for quote in theme["verbatims"]:
            quote["row"] -= 1
    assert mine["comments"] > 200 and mine["by_segment"]["Channel"]
    quotes = [q["text"] for t in theirs["themes"] for q in t["verbatims"]]
    assert quotes and not any("jo.bloggs@example.com" in q for q in quotes)
    assert_same(mine, theirs, "generated comments")


def test_generated_comments_on_dask_are_the_local_ones(tmp_path, cluster):
    """The comments' counts and quote candidates put together from two workers give the local
    document byte for byte."""
    write_partitions(tmp_path, generated_rows(), "text")
    project_file = _comments_project(tmp_path, "data/responses", "folder.yaml")
    runner = CliRunner()
    local, on_dask = tmp_path / "local.json", tmp_path / "dask.json"
    assert runner.invoke(cli, ["score", str(project_file), "-o", str(local)]).exit_code == 0
    result = runner.invoke(cli, ["score", str(project_file), "--executor", "dask", "--scheduler",
                                 cluster.scheduler_address, "-o", str(on_dask)])
    assert result.exit_code == 0, result.output
    assert on_dask.read_bytes() == local.read_bytes()
    assert json.loads(local.read_text("utf-8"))["comments"]["themes"]


def test_score_on_local_worker_processes_gives_the_same_document(tmp_path):
    """-j 2: the partitions counted on two worker processes, put together in file order: the
    document of -j 1, byte for byte."""
    write_partitions(tmp_path, generated_rows(), "text")
    project_file = _comments_project(tmp_path, "data/responses", "folder.yaml",
                                     drivers={"outcome": "nps", "segments": ["Region"], "min_base": 30,
                                              "bootstrap": 0})
    runner = CliRunner()
    one, two = tmp_path / "one.json", tmp_path / "two.json"
    assert runner.invoke(cli, ["score", str(project_file), "-j", "1", "-o", str(one)]).exit_code == 0
    result = runner.invoke(cli, ["score", str(project_file), "-j", "2", "-o", str(two)])
    assert result.exit_code == 0, result.output
    assert two.read_bytes() == one.read_bytes()
    assert json.loads(one.read_text("utf-8"))["drivers"]["overall"] is not None


# ---------------------------------------------------------------------------------------------
# 12. Found in review
# ---------------------------------------------------------------------------------------------

def test_a_qualtrics_export_is_not_streamed_as_plain_csv(tmp_path):
    """A Qualtrics export's question-text and ImportId rows would be read as respondents: the
    streamed reader refuses it in one line (the in-memory reader reads it)."""
    lines = ["ResponseId,RecordedDate,nps", "Response ID,Recorded Date,How likely are you to recommend us?",
             '{"ImportId":"_recordId"},{"ImportId":"recordedDate"},{"ImportId":"QID1"}']
    lines += [f"R_{i},2026-0{1 + i % 3}-1{i % 9} 10:00:00,{i % 11}" for i in range(60)]
    (tmp_path / "export.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = {"client": {"name": "Q"}, "survey": {"file": "export.csv"},
              "columns": {"respondent_id": "ResponseId", "date": "RecordedDate", "nps": "nps"},
              "report": {"title": "Q", "period": "all"}}
    (tmp_path / "cxreport.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(cli, ["score", str(tmp_path / "cxreport.yaml")]).exit_code == 0     # in memory
    result = runner.invoke(cli, ["score", str(tmp_path / "cxreport.yaml"), "--stream"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "export.csv: a Qualtrics export (more than one header row) is not read in batches" in _error_line(result)


def test_repeated_comments_do_not_crowd_out_quotes(tmp_path, unrounded):
    """A hundred customers writing the same words are one candidate (the earliest row), so a
    theme's other comments are still quoted, as in memory."""
    rows = generated_rows(n=600)
    texts = ["Staff were rude and awful."] * 250 + ["Staff ignored me."] + ["Staff were lovely, great help!"] * 250
    for row, text in zip(rows, texts + [""] * len(rows)):
        row["comment"] = text
    for row in rows:
        row["date"] = "2026-04-15"               # one quarter: every comment is in the window
    write_csv(tmp_path / "data" / "responses.csv", rows)
    project = load_project(_comments_project(tmp_path, "data/responses.csv", "cxreport.yaml"))
    memory, streamed = run(project), score_streamed(project, rows=100)
    mine = json.loads(json.dumps(export.comments_block(memory.voice, memory.scope("comments"))))
    staff = next(t for t in mine["themes"] if t["theme"] == "Staff")
    assert len(staff["verbatims"]) == 3
    assert_same(mine, json.loads(json.dumps(export.comments_block(streamed.voice, streamed.scope("comments")))),
                "repeated comments")


def test_acsi_items_streamed_keep_their_order_and_scale_warning(tmp_path, unrounded):
    """The ACSI items' checks come before the date's, as in memory, and answers of 1–5 on their
    1–10 scale give the same warning."""
    rows = generated_rows(n=900)
    rng = random.Random(5)
    for row in rows:
        row.update({f"s{i}": str(rng.randint(1, 5)) for i in (1, 2, 3)})
    write_csv(tmp_path / "data" / "responses.csv", rows, HEADER + ["s1", "s2", "s3"])
    project = load_project(write_project(tmp_path, columns={**project_config("x")["columns"],
                                                            "acsi": {"items": ["s1", "s2", "s3"]}}))
    memory, streamed = run(project), score_streamed(project, rows=250)
    assert [c.key for c in streamed.validation.columns] == [c.key for c in memory.validation.columns]
    assert any("columns.acsi.items[0]" in w for w in memory.validation.cautions)
    assert streamed.validation.warnings() == memory.validation.warnings()
    assert_same(core(memory), core(streamed), "ACSI")


def test_an_id_column_mapped_as_a_segment_is_refused_before_it_is_counted(tmp_path):
    """Every id its own group: refused after the first pass, with the in-memory message."""
    project_file = csv_project(tmp_path, columns={**project_config("x")["columns"],
                                                  "segments": {"Region": "region", "Respondent": "id"}})
    runner = CliRunner()
    memory = runner.invoke(cli, ["score", str(project_file), "--in-memory"])
    streamed = runner.invoke(cli, ["score", str(project_file), "--stream"])
    assert memory.exit_code == streamed.exit_code == 1
    start = "data/responses.csv: column 'id' (columns.segments.Respondent) has "
    assert _error_line(memory).startswith("Error: " + start) and _error_line(streamed).startswith("Error: " + start)


def test_a_csv_with_a_byte_order_mark_streams_whatever_the_spelling_of_utf8(tmp_path, unrounded):
    rows = generated_rows(n=300)
    write_csv(tmp_path / "data" / "responses.csv", rows)
    path = tmp_path / "data" / "responses.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    project = load_project(write_project(tmp_path, survey={"file": "data/responses.csv", "encoding": "UTF-8"}))
    assert_same(core(run(project)), core(score_streamed(project, rows=100)), "BOM, UTF-8")


def test_a_numeric_driver_far_from_zero_streamed_equals_in_memory(tmp_path, unrounded):
    """A numeric driver without bounds around 20,000,000 (standard deviation 1): its cross-products
    are counted around its first answer, so the correlations keep their precision (centred at 0
    its variance would cancel to nothing)."""
    rows = generated_rows(n=1200)
    rng = random.Random(9)
    for row in rows:
        nps = row["nps"].strip() if isinstance(row["nps"], str) else ""
        base = float(nps) if nps.replace(".", "", 1).isdigit() else 5.0
        row["spend"] = f"{2e7 + 0.3 * base + rng.gauss(0, 1):.4f}"
    write_csv(tmp_path / "data" / "responses.csv", rows, HEADER + ["spend"])
    columns = project_config("x")["columns"]
    columns["attributes"] = {**columns["attributes"], "Spend": {"column": "spend", "type": "numeric"}}
    project = load_project(write_project(tmp_path, columns=columns,
                                         drivers={"outcome": "nps", "min_base": 30, "bootstrap": 0,
                                                  "missing": "pairwise"}))
    memory, streamed = run(project), score_streamed(project, rows=200)
    assert memory.drivers.overall is not None and "Spend" in [r.name for r in memory.drivers.overall.rows]
    # The performance (100 · (mean − lowest) / (highest − lowest), over a range of about 7 around 2e7)
    # loses 7 of the mean's 16 digits to cancellation in either path: compared to 1e-7.
    assert_same(drivers_without_intervals(memory), drivers_without_intervals(streamed), "numeric driver", tol=1e-7)


# ---------------------------------------------------------------------------------------------
# 13. Real public data, read in place (../shared/realdata, see its SOURCES.md)
# ---------------------------------------------------------------------------------------------

REALDATA = ROOT.parent / "shared" / "realdata"


def test_real_airline_survey_streamed_equals_in_memory(tmp_path, unrounded):
    """25,976 airline passengers: seven 1–5 ratings with 0 as N/A, a numeric delay without an upper
    bound, four segments, key drivers by class; batches of 5,000."""
    config = {
        "client": {"name": "Airline"}, "report": {"title": "Airline", "period": "all"},
        "survey": {"file": str(REALDATA / "airline" / "test.csv")},
        "columns": {"respondent_id": "id",
                    "attributes": {**{name: {"column": column, "scale": "1-5", "na_codes": [0]} for name, column in
                                      [("Wifi", "Inflight wifi service"), ("Booking", "Ease of Online booking"),
                                       ("Food", "Food and drink"), ("Seat", "Seat comfort"),
                                       ("Entertainment", "Inflight entertainment"), ("Service", "Inflight service"),
                                       ("Cleanliness", "Cleanliness")]},
                                   "Delay": {"column": "Arrival Delay in Minutes", "type": "numeric", "min": 0}},
                    "segments": {"Class": "Class", "Travel": "Type of Travel", "Customer": "Customer Type",
                                 "Gender": "Gender"}},
        "drivers": {"outcome": "Service", "min_base": 100, "bootstrap": 0, "segments": ["Class"]},
    }
    (tmp_path / "cxreport.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    project = load_project(tmp_path / "cxreport.yaml", allow_outside=True)
    memory, streamed = run(project), score_streamed(project, rows=5000)
    assert memory.validation.rows_read == 25_976 and streamed.rows_read == 25_976
    assert_same(core(memory), core(streamed), "airline core")
    assert_same(drivers_without_intervals(memory), drivers_without_intervals(streamed), "airline drivers")


def test_real_qualtrics_exports_are_refused_by_the_batch_reader(tmp_path):
    for name in ("sample.csv", "sample_legacy.csv"):
        config = {"client": {"name": "Q"}, "report": {"title": "Q", "period": "all"},
                  "survey": {"file": str(REALDATA / "qualtrics_samples" / name)},
                  "columns": {"respondent_id": "ResponseId", "nps": "Q1"}}
        (tmp_path / "cxreport.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
        result = CliRunner().invoke(cli, ["score", str(tmp_path / "cxreport.yaml"), "--stream",
                                          "--allow-outside-paths"])
        assert result.exit_code == 1
        assert f"{name}: a Qualtrics export (more than one header row) is not read in batches" in _error_line(result)
