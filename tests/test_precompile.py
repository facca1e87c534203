"""Templates compiled in a forked process while the build scores (render.precompile): the
environment made afterwards loads that code, renders exactly as before, and compiles itself
whatever the child did not (or did wrongly)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cxreport.present import render
from cxreport.present.themes import built_in

ROOT = Path(__file__).resolve().parents[1]


def test_the_report_and_its_partials_are_compiled_beside_and_loaded_not_compiled(monkeypatch):
    monkeypatch.setenv("CXREPORT_BESIDE", "1")       # the suite runs with it off (tests/conftest.py)
    search = built_in()
    render.precompile(search, "client_report.html")
    found = render._precompiled(search)
    names = {"client_report.html", "base.html", "partials/figure.html", "partials/methodology.html"}
    assert len(found) >= 30
    env = render.make_environment(search)
    compiled = []
    original = env.compile
    monkeypatch.setattr(env, "compile", lambda *a, **k: compiled.append(a) or original(*a, **k))
    for name in names:
        env.get_template(name)
    assert compiled == []                        # loaded from the child's code
    other = render.make_environment(built_in())  # another search: compiled here, as before
    assert not isinstance(other.bytecode_cache, render._Precompiled)


def test_wrong_code_from_the_child_is_compiled_here(monkeypatch):
    search = built_in()
    render._PRECOMPILING[:] = [(search, {})]
    env = render.make_environment(search)
    assert env.bytecode_cache is None or not isinstance(env.bytecode_cache, render._Precompiled)
    import jinja2

    bucket = jinja2.bccache.Bucket(env, "k", "checksum")
    cache = render._Precompiled({("k", "checksum"): b"not jinja bytecode"}, None)
    cache.load_bytecode(bucket)
    assert bucket.code is None                   # Jinja's magic check failed: it compiles instead
    render._PRECOMPILING.clear()


def test_a_build_renders_the_same_report_with_templates_compiled_beside_or_here(tmp_path):
    out = {}
    for switch in ("1", "0"):
        env = {**os.environ, "CXREPORT_BESIDE": switch}
        done = subprocess.run([sys.executable, "-m", "cxreport", "build", str(ROOT / "samples" / "harbour-bank" /
                               "cxreport.yaml"), "-o", str(tmp_path / switch), "--format", "html", "--no-cache"],
                              capture_output=True, text=True, env=env, timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
        out[switch] = (tmp_path / switch / "report.html").read_bytes()
    assert out["1"] == out["0"]
