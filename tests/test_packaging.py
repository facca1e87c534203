"""The wheel carries its templates, theme and sample, and an installed copy finds them
without the source tree."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import REPO

pytestmark = pytest.mark.slow

REQUIRED = [
    "cxreport/_data/templates/client_report.html",
    "cxreport/_data/templates/base.html",
    "cxreport/_data/templates/theme/report.css",
    "cxreport/_data/templates/theme/cxreport.mplstyle",
    "cxreport/_data/templates/starter/cxreport.yaml",
    "cxreport/_data/templates/starter/data/responses.csv",
    "cxreport/_data/samples/harbour-bank/cxreport.yaml",
    "cxreport/_data/samples/harbour-bank/data/responses.csv",
    "cxreport/_data/samples/harbour-bank/brand/logo.png",
    "cxreport/_data/samples/harbour-bank/narrative/executive_summary.md",
    "cxreport/__main__.py",
    "cxreport/locale/zh_CN/LC_MESSAGES/cxreport.po",     # compiled in memory at run time
]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "-q", "-w", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    wheels = list(out.glob("cxreport-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_wheel_contains_templates_theme_and_sample(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [n for n in REQUIRED if n not in names]
    assert missing == []
    # Every template partial the report includes is shipped.
    partials = {p.name for p in (REPO / "templates" / "partials").glob("*.html")}
    shipped = {Path(n).name for n in names if n.startswith("cxreport/_data/templates/partials/")}
    assert partials and partials <= shipped
    assert not any("__pycache__" in n for n in names if n.startswith("cxreport/_data/"))


def test_installed_wheel_runs_the_demo_outside_the_repo(wheel, tmp_path):
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = str(site)

    where = subprocess.run(
        [sys.executable, "-c",
         "import cxreport, cxreport.resources as r; print(cxreport.__file__); print(r.templates_dir()); "
         "print(r.sample_project())"],
        cwd=workdir, env=env, capture_output=True, text=True, timeout=60)
    assert where.returncode == 0, where.stderr
    for line in where.stdout.split():
        assert Path(line).resolve().is_relative_to(site.resolve()), (line, site)

    out = tmp_path / "demo-out"
    proc = subprocess.run([sys.executable, "-m", "cxreport", "demo", "-o", str(out), "--format", "html"],
                          cwd=workdir, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    report = out / "report.html"
    assert report.is_file()
    assert str(report.resolve()) in proc.stdout
    html = report.read_text(encoding="utf-8")
    assert "Harbour Bank" in html and "<title>" in html
    assert sorted(p.name for p in out.iterdir()) == ["report.html"]
    assert list(workdir.iterdir()) == []
