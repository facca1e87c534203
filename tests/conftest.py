"""Shared fixtures: the bundled sample project, one session-wide build of it, and a helper
that writes small projects for bad-input tests."""

from __future__ import annotations

import copy
import datetime as dt
import random
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SAMPLE_DIR = REPO / "samples" / "harbour-bank"
SAMPLE_BUILD_DATE = dt.date(2026, 10, 15)

CSV_HEADER = ["resp_id", "response_date", "region", "q_nps", "q_csat", "comment"]

#: The project file every small test project starts from (overrides are deep-merged in).
BASE_CONFIG: dict = {
    "client": {"name": "Test Co"},
    "survey": {"file": "data/responses.csv"},
    "columns": {
        "respondent_id": "resp_id",
        "date": "response_date",
        "comment": "comment",
        "nps": "q_nps",
        "csat": {"column": "q_csat", "scale": 5},
        "segments": {"Region": "region"},
    },
    # Small test files: keep figures visible.
    "bases": {"suppress_below": 5, "flag_below": 10},
    "report": {"title": "Test report", "date": dt.date(2026, 3, 31)},
}


def csv_text(rows: list[list], header: list[str] = CSV_HEADER) -> str:
    """CSV text from a header and rows (values are written as given; quote them yourself if needed)."""
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def default_rows(n: int = 60, seed: int = 7) -> list[list]:
    """``n`` valid responses over two quarters and two regions, each with a comment."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        month = 1 + i % 6
        rows.append([f"R{i:04d}", f"2026-{month:02d}-{1 + i % 28:02d}", "North" if i % 2 else "South",
                     rng.randint(0, 10), rng.randint(1, 5), f"Comment number {i}"])
    return rows


DEFAULT_CSV = csv_text(default_rows())


def pytest_configure(config):
    # Registered here, not in pyproject.toml: the browser tests run in the normal suite
    # (select or leave them out with -m browser / -m "not browser").
    config.addinivalue_line("markers", "browser: opens the HTML reports in headless chromium (tests/test_browser.py)")
    # The key drivers and the templates are computed beside the build in forked processes
    # (cxreport/beside.py). Forked from a test process (hundreds of MB, every core already
    # busy with a test worker) they cost the suite about a quarter more CPU for nothing: the
    # suite builds with them in the building process, as on a one-core machine.
    # tests/test_beside.py and tests/test_precompile.py switch them on, and check that both
    # ways give the same scores and the same report. Subprocesses inherit the setting.
    import os

    os.environ.setdefault("CXREPORT_BESIDE", "0")


def _merge(base: dict, overrides: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def write_project(folder: Path, csv_text: str | None = DEFAULT_CSV, *, files: dict[str, str | bytes] | None = None,
                  raw_yaml: str | None = None, **overrides) -> Path:
    """Write ``folder``/cxreport.yaml and ``folder``/data/responses.csv; return the project file.

    ``overrides`` are deep-merged into :data:`BASE_CONFIG` by top-level key (a ``None`` value
    removes a key); ``raw_yaml`` replaces the project file text entirely; ``files`` adds
    extra files (relative path → text or bytes). ``csv_text=None`` writes no data file.
    """
    folder = Path(folder)
    (folder / "data").mkdir(parents=True, exist_ok=True)
    if csv_text is not None:
        (folder / "data" / "responses.csv").write_text(csv_text, encoding="utf-8")
    for rel, content in (files or {}).items():
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    project = folder / "cxreport.yaml"
    if raw_yaml is not None:
        project.write_text(raw_yaml, encoding="utf-8")
    else:
        config = _merge(BASE_CONFIG, overrides)
        project.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return project


@pytest.fixture
def make_project():
    """``make_project(folder, csv_text, **overrides)`` → path of a small project's cxreport.yaml."""
    return write_project


@pytest.fixture(scope="session")
def sample_project() -> Path:
    path = SAMPLE_DIR / "cxreport.yaml"
    assert path.is_file(), path
    return path


@pytest.fixture(scope="session")
def built_sample(sample_project, tmp_path_factory):
    """The sample project built once (HTML and PDF) into a temporary folder: a BuildResult."""
    from cxreport.build import build

    out = tmp_path_factory.mktemp("sample-build") / "out"
    return build(sample_project, out, formats=("html", "pdf"), build_date=SAMPLE_BUILD_DATE)
