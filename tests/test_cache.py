"""The content-addressed build cache (docs/cache.md): charts, comment sentiment and scored
studies are reused only when everything they depend on is unchanged, a damaged or unsigned
entry is a miss, concurrent builds share the folder safely, and a cached build's reports are
the reports an uncached build makes."""

from __future__ import annotations

import io
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

from conftest import csv_text, write_project
from cxreport import cache, i18n
from cxreport.present import charts
from cxreport.present.charts import Chart, ChartStyle, defer, draw_all

CALLS: list = []


def tiny_chart(chart_id: str, values: list, cs: ChartStyle, *, note: str = "") -> Chart:
    """A real (small) matplotlib chart; every call is counted."""
    CALLS.append((chart_id, charts.is_narrow()))
    fig = Figure(figsize=(2, 1.5))
    fig.add_subplot().bar(range(len(values)), values, color=cs.primary)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=40, metadata={"Software": None})
    return Chart(chart_id, f"Title {chart_id}", f"Alt {i18n._('Score')}", buf.getvalue(), note)


tiny_narrowable = charts._narrowable(tiny_chart)
CS = ChartStyle("#0B3C5D", "#1C8C8C", "DejaVu Sans")


@pytest.fixture(autouse=True)
def own_key(tmp_path, monkeypatch):
    """Each test signs with its own per-user key (never the real ~/.cache/cxreport/key)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    CALLS.clear()


def _context(values=(1, 2, 3), fn=tiny_chart):
    return {"a": defer(fn, "a", list(values), CS), "nested": [{"b": defer(fn, "b", [4, 5], CS, note="n")}]}


# --------------------------------------------------------------------------- charts


def test_chart_hit_returns_identical_bytes_without_drawing(tmp_path):
    with cache.using(tmp_path / "c") as store:
        first = draw_all(_context(), processes=1)
        assert len(CALLS) == 2 and store.misses["charts"] == 2
        second = draw_all(_context(), processes=1)
    assert len(CALLS) == 2                       # nothing drawn the second time
    assert store.hits["charts"] == 2
    for got, want in ((second["a"], first["a"]), (second["nested"][0]["b"], first["nested"][0]["b"])):
        assert got == want                       # id, title, alt, png bytes, note, narrow
    assert second["nested"][0]["b"].note == "n"


@pytest.mark.parametrize("change", ["argument", "language", "narrow", "code"])
def test_any_change_of_a_chart_input_misses(tmp_path, monkeypatch, change):
    with cache.using(tmp_path / "c"):
        draw_all(_context(fn=tiny_narrowable), processes=1)
        CALLS.clear()
        if change == "argument":
            draw_all(_context(values=(1, 2, 4), fn=tiny_narrowable), processes=1)
            assert [c[0] for c in CALLS] == ["a"]          # only the chart whose argument changed
            return
        if change == "language":
            with i18n.use_language("zh"):
                out = draw_all(_context(fn=tiny_narrowable), processes=1)
            assert out["a"].alt == f"Alt {i18n.language('zh').translations.gettext('Score')}"
        elif change == "narrow":
            out = draw_all(_context(fn=tiny_narrowable), processes=1, narrow=True)
            assert out["a"].narrow is not None
        else:
            monkeypatch.setattr(cache, "code_fingerprint", lambda: "an edited checkout")
            draw_all(_context(fn=tiny_narrowable), processes=1)
    assert {c[0] for c in CALLS} == {"a", "b"}


def test_keys_distinguish_values_that_print_alike():
    import pandas as pd

    pairs = [(1, 1.0), (1, True), ("1", 1), ([1, 2], (1, 2)), (0.0, -0.0), ({"a": 1}, {"a": "1"}),
             (np.array([1, 2], dtype=np.int64), np.array([1, 2], dtype=np.int32)),
             (pd.Series([1.0, 2.0]), pd.Series([1.0, 2.0], index=[1, 2])),
             (pd.DataFrame({"x": [1]}), pd.DataFrame({"y": [1]})), (("a", "bc"), ("ab", "c"))]
    for a, b in pairs:
        assert cache.key(a) != cache.key(b), (a, b)
    assert cache.key(pd.Series(["x", None]), CS) == cache.key(pd.Series(["x", None]), ChartStyle(*CS.__dict__.values()))


def test_a_chart_with_an_argument_without_canonical_form_is_drawn_every_time(tmp_path):
    odd = object()
    with pytest.raises(cache.Unstable):
        cache.key(odd)
    with cache.using(tmp_path / "c"):
        for _ in range(2):
            draw_all({"y": defer(tiny_chart, "y", [1], CS, note=odd)}, processes=1)
    assert len(CALLS) == 2
    assert charts._chart_keys([defer(tiny_chart, "y", [1], CS, note=odd)], False) == [None]


def test_corrupt_and_partial_chart_entries_are_misses_and_rewritten(tmp_path):
    root = tmp_path / "c"
    with cache.using(root):
        want = draw_all(_context(), processes=1)
    files = sorted((root / "charts").rglob("*.chart"))
    assert len(files) == 2
    good = [f.read_bytes() for f in files]
    files[0].write_bytes(good[0][: len(good[0]) // 2])                  # partial
    damaged = bytearray(good[1])
    damaged[-10] ^= 0xFF                                                 # one flipped bit in the PNG
    files[1].write_bytes(bytes(damaged))
    CALLS.clear()
    with cache.using(root) as store:
        got = draw_all(_context(), processes=1)
    assert len(CALLS) == 2 and store.hits["charts"] == 0
    assert got == want
    assert [f.read_bytes() for f in files] == good                       # rewritten whole


# --------------------------------------------------------------------------- signed objects


def test_unsigned_or_tampered_objects_are_never_unpickled(tmp_path, monkeypatch):
    import pickle

    store = cache.Cache(tmp_path / "c")
    assert store.put_object("studies", "k" * 64, {"value": 42})
    assert store.get_object("studies", "k" * 64) == {"value": 42}
    path = next((tmp_path / "c" / "studies").rglob("*.signed"))
    assert (cache._key_file().stat().st_mode & 0o777) == 0o600
    signed = path.read_bytes()
    loads = []
    monkeypatch.setattr(pickle, "loads", lambda data: loads.append(data))
    # A pickle without a signature, a signature from another key, a body changed after signing.
    head = len(cache._SIGNED_MAGIC)
    for data in (pickle.dumps({"value": 1}), cache._SIGNED_MAGIC + b"\0" * 32 + pickle.dumps({"value": 1}),
                 signed[:head + 32] + pickle.dumps({"value": 1})):
        path.write_bytes(data)
        assert store.get_object("studies", "k" * 64) is None
    assert loads == []
    # The entry is written again by the next build (a put).
    monkeypatch.undo()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    store.put_object("studies", "k" * 64, {"value": 42})
    assert store.get_object("studies", "k" * 64) == {"value": 42}


def test_a_key_file_readable_by_others_is_not_used(tmp_path):
    store = cache.Cache(tmp_path / "c")
    assert store.put_object("studies", "a" * 64, 1)
    os.chmod(cache._key_file(), 0o644)
    assert store.get_object("studies", "a" * 64) is None
    assert not store.put_object("studies", "b" * 64, 1)


# --------------------------------------------------------------------------- sentiment


def test_each_comment_is_scored_once_and_the_scores_are_the_same(tmp_path, monkeypatch):
    from cxreport.scoring import comments

    texts = ["The staff were lovely", "Waited forever in the queue", "", "服务很好，很满意", "The staff were lovely"]
    direct = comments.sentiment_scores(texts)
    seen: list[str] = []
    original = comments.sentiment_scores

    def counting(batch):
        seen.extend(batch)
        return original(batch)

    monkeypatch.setattr(comments, "sentiment_scores", counting)
    with cache.using(tmp_path / "c"):
        first = cache.sentiment_scores(texts)
        assert seen == ["The staff were lovely", "Waited forever in the queue", "", "服务很好，很满意"]
        seen.clear()
        second = cache.sentiment_scores(texts + ["A new comment"])
    assert seen == ["A new comment"]
    assert first.tolist() == direct.tolist() == second[:5].tolist()
    assert second.dtype == direct.dtype == np.float64
    # Another sentiment model scores everything again.
    monkeypatch.setattr(comments, "SENTIMENT_MODEL", "another analyser 2.0", raising=False)
    seen.clear()
    with cache.using(tmp_path / "c"):
        cache.sentiment_scores(texts[:2])
    assert seen == texts[:2]


def test_a_damaged_sentiment_database_is_made_anew(tmp_path):
    root = tmp_path / "c"
    root.mkdir()
    (root / "sentiment.sqlite").write_bytes(b"this is not a database" * 100)
    with cache.using(root):
        got = cache.sentiment_scores(["Great service", "Terrible fees"])
        again = cache.sentiment_scores(["Great service", "Terrible fees"])
    from cxreport.scoring.comments import sentiment_scores

    assert got.tolist() == again.tolist() == sentiment_scores(["Great service", "Terrible fees"]).tolist()
    assert cache.Cache(root).sentiment(["Great service"], lambda t: pytest.fail("scored again")).tolist() == got[:1].tolist()


# --------------------------------------------------------------------------- the study


def _rows(n=80, seed=3):
    rng = random.Random(seed)
    words = ["friendly staff", "long queue", "great app", "high fees", "quick help", "rude manager"]
    return [[f"R{i:04d}", f"2026-{1 + i % 6:02d}-{1 + i % 27:02d}", "North" if i % 3 else "South",
             rng.randint(0, 10), rng.randint(1, 5), f"{rng.choice(words)} and {rng.choice(words)} {i}"]
            for i in range(n)]


def _project(folder: Path, **overrides) -> Path:
    customers = "customer_id,recency,frequency,monetary\n" + "".join(
        f"R{i:04d},{i % 30},{1 + i % 7},{10 + i}\n" for i in range(80))
    config = {"comments": {"code_frame": {"Staff": ["staff", "manager"], "Queues": ["queue"], "Fees": ["fees"]}},
              "customers": {"file": "data/customers.csv", "layout": "customers",
                            "columns": {"customer_id": "customer_id", "recency": "recency",
                                        "frequency": "frequency", "monetary": "monetary"}},
              "report": {"title": "Test report", "narrative": {"executive_summary": "narrative/summary.md"}}}
    for k, v in overrides.items():
        config[k] = v
    return write_project(folder, csv_text(_rows()), files={"data/customers.csv": customers,
                                                            "narrative/summary.md": "# Summary\n\nFirst words.\n"},
                         **config)


def _run(project, store, **kwargs):
    from cxreport.config import load_project
    from cxreport.pipeline import run

    proj = load_project(project)
    with i18n.use_language(proj.language), cache.using(store):
        return run(proj, **kwargs)


def _hit(project, store, **kwargs) -> bool:
    before = store.hits["studies"]
    _run(project, store, **kwargs)
    return store.hits["studies"] > before


def test_the_study_cache_is_invalidated_by_every_input_of_the_scoring(tmp_path):
    import yaml

    project = _project(tmp_path / "p")
    store = cache.Cache(tmp_path / "c")
    study = _run(project, store)
    assert study.value is not None and study.voice is not None        # the customer file and comments are used
    assert _hit(project, store)
    cached = _run(project, store)
    assert cached.results.overall == study.results.overall
    # The narrative is not an input of the scoring.
    (tmp_path / "p" / "narrative" / "summary.md").write_text("# Summary\n\nOther words.\n", encoding="utf-8")
    assert _hit(project, store)
    # The data file, the customer file, the code frame, a setting of the scoring, the window, --strict.
    data = tmp_path / "p" / "data" / "responses.csv"
    data.write_text(data.read_text(encoding="utf-8").replace("R0001,", "R9001,"), encoding="utf-8")
    assert not _hit(project, store)
    assert _hit(project, store)
    customers = tmp_path / "p" / "data" / "customers.csv"
    customers.write_text(customers.read_text(encoding="utf-8").replace("R0002,2,", "R0002,29,"), encoding="utf-8")
    assert not _hit(project, store)
    config = yaml.safe_load(project.read_text(encoding="utf-8"))
    for path, value in ((("comments", "code_frame", "Queues"), ["queue", "wait"]),
                        (("bases", "suppress_below"), 6)):
        target = config
        for k in path[:-1]:
            target = target[k]
        target[path[-1]] = value
        project.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
        assert not _hit(project, store), path
        assert _hit(project, store), path
    assert not _hit(project, store, period="2026-Q1")
    assert _hit(project, store, period="2026-Q1")
    assert not _hit(project, store, strict=True)


def test_a_file_the_scoring_reads_without_naming_it_invalidates(tmp_path, monkeypatch):
    """Files are recorded as the scoring opens them: one no setting names still counts."""
    from cxreport import pipeline

    extra = tmp_path / "p" / "lookup.txt"
    project = _project(tmp_path / "p")
    extra.write_text("one", encoding="utf-8")
    original = pipeline.score_data

    def reading(*args, **kwargs):
        extra.read_text(encoding="utf-8")
        return original(*args, **kwargs)

    monkeypatch.setattr(pipeline, "score_data", reading)
    store = cache.Cache(tmp_path / "c")
    _run(project, store)
    assert _hit(project, store)
    extra.write_text("two", encoding="utf-8")
    assert not _hit(project, store)


def test_a_narrative_marker_is_still_checked_on_a_cache_hit(tmp_path):
    from cxreport.errors import ConfigError

    project = _project(tmp_path / "p")
    store = cache.Cache(tmp_path / "c")
    _run(project, store)
    (tmp_path / "p" / "narrative" / "summary.md").write_text("See [action: A-99].\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="action"):
        _run(project, store)


# --------------------------------------------------------------------------- whole builds


def _cli(*args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cxreport", *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=300)


def _pdf_text(pdf: Path) -> tuple[int, str]:
    from pypdf import PdfReader

    pages = len(PdfReader(str(pdf)).pages)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return pages, text


def test_concurrent_cached_builds_make_the_uncached_reports(tmp_path):
    project = _project(tmp_path / "p")
    env = {"XDG_CACHE_HOME": str(tmp_path / "xdg")}
    shared, plain = tmp_path / "shared", tmp_path / "plain"
    procs = [subprocess.Popen([sys.executable, "-m", "cxreport", "build", str(project), "-o", str(shared),
                               "--format", "html,pdf", "--force"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env={**os.environ, **env}) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1].decode()[-800:] for o in outs]
    html = (shared / "report.html").read_bytes()
    from cxreport.build import build

    build(project, plain, formats=("html", "pdf"))                      # no cache
    assert html == (plain / "report.html").read_bytes()
    assert _pdf_text(shared / "report.pdf") == _pdf_text(plain / "report.pdf")
    assert cache.default_dir(shared) == tmp_path / cache.CACHE_DIR        # beside the output folder, not in it
    assert sorted(p.name for p in cache.default_dir(shared).iterdir()) == ["CACHEDIR.TAG", "charts",
                                                                             "sentiment.sqlite", "settings",
                                                                             "studies", "templates"]
    assert sorted(p.name for p in shared.iterdir()) == ["manifest.json", "report.html", "report.pdf"]
    import json

    listed = [o["file"] for o in json.loads((shared / "manifest.json").read_text())["outputs"]]
    assert listed == ["report.html", "report.pdf"]
    # A narrative-only rebuild (warm): the new narrative, every figure as an uncached build.
    (tmp_path / "p" / "narrative" / "summary.md").write_text("# Summary\n\nA brand new paragraph.\n",
                                                             encoding="utf-8")
    build(project, shared, formats=("html",), cache=cache.default_dir(shared))
    build(project, plain, formats=("html",))
    rebuilt = (shared / "report.html").read_bytes()
    assert b"A brand new paragraph." in rebuilt and b"First words." not in rebuilt
    assert rebuilt == (plain / "report.html").read_bytes()


def test_no_cache_writes_no_cache_folder(tmp_path):
    from click.testing import CliRunner

    from cxreport.cli import cli

    project = _project(tmp_path / "p")
    runner = CliRunner()
    elsewhere = tmp_path / "elsewhere"
    for extra, made in ((["--no-cache"], None), (["--cache-dir", str(elsewhere)], elsewhere)):
        out = tmp_path / f"out-{len(extra)}"
        result = runner.invoke(cli, ["build", str(project), "-o", str(out), "--format", "html", *extra])
        assert result.exit_code == 0, result.output
        assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "report.html"]
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".") or p == elsewhere) == (
            [] if made is None else ["elsewhere"])
        if made is not None:
            assert (made / "studies").is_dir()


def test_a_per_batch_shares_one_cache(tmp_path, monkeypatch):
    project = _project(tmp_path / "p")
    env = {"XDG_CACHE_HOME": str(tmp_path / "xdg")}
    out = tmp_path / "out"
    done = _cli("build", project, "-o", out, "--format", "html", "--per", "Region", "-j", "2", env=env)
    assert done.returncode == 0, done.stderr
    assert (cache.default_dir(out) / "sentiment.sqlite").is_file()
    plain = tmp_path / "plain"
    from cxreport.batch import Options, build_reports
    from cxreport.config import load_project

    build_reports(load_project(project), plain, formats=("html",), per="Region", options=Options(jobs=1))
    names = sorted(p.name for p in out.iterdir() if p.is_file())
    assert names == sorted(p.name for p in plain.iterdir() if p.is_file())
    assert cache.CACHE_DIR not in (out / "report-index.html").read_text(encoding="utf-8")
    assert not (out / cache.CACHE_DIR).exists()
    for name in names:
        if name.endswith(".html") and name != "report-index.html":
            assert (out / name).read_bytes() == (plain / name).read_bytes(), name
    # A warm --force rebuild scores nothing (the total's and every unit's study are cached)
    # and makes the same reports.
    from cxreport import manifest, pipeline

    # The code hash as the batch above computed it (not as this test session first did).
    cache.code_fingerprint.cache_clear()
    manifest.tool_fingerprint.cache_clear()
    scored = []
    original = pipeline.score_data
    monkeypatch.setattr(pipeline, "score_data", lambda *a, **k: scored.append(a) or original(*a, **k))
    build_reports(load_project(project), out, formats=("html",), per="Region", options=Options(jobs=1, force=True),
                  cache=cache.default_dir(out))
    assert scored == []
    for name in names:
        if name.endswith(".html") and name != "report-index.html":
            assert (out / name).read_bytes() == (plain / name).read_bytes(), name


# --------------------------------------------------------------------------- pruning


def test_prune_keeps_the_cap_dropping_the_least_recently_used(tmp_path):
    root = tmp_path / "c"
    store = cache.Cache(root)
    for i in range(10):
        store.put_chart(f"{i:02d}" + "0" * 62, Chart(f"c{i}", "t", "a", bytes(10_000), ""))
        path = store._path("charts", f"{i:02d}" + "0" * 62, ".chart")
        os.utime(path, (1_000_000 + i, 1_000_000 + i))
    assert store.get_chart("00" + "0" * 62) is not None                 # used now: the most recent
    removed = cache.prune(root, cap=45_000)
    left = sorted(p for p in (root / "charts").rglob("*.chart"))
    assert sum(p.stat().st_size for p in left) <= 45_000 and removed > 0
    assert len(left) == 4
    assert store._path("charts", "00" + "0" * 62, ".chart") in left
    assert store._path("charts", "09" + "0" * 62, ".chart") in left
    assert store._path("charts", "01" + "0" * 62, ".chart") not in left


def test_compiled_templates_are_reused_only_when_signed(tmp_path, monkeypatch):
    import jinja2

    templates = {"page.html": "<p>{{ name | upper }}</p>"}
    with cache.using(tmp_path / "c"):
        first = jinja2.Environment(loader=jinja2.DictLoader(templates), bytecode_cache=cache.template_bytecode())
        assert first.get_template("page.html").render(name="x") == "<p>X</p>"
        stored = next((tmp_path / "c" / "templates").rglob("*.signed"))
        compiled = []
        original = jinja2.Environment.compile
        monkeypatch.setattr(jinja2.Environment, "compile",
                            lambda self, *a, **k: compiled.append(a) or original(self, *a, **k))
        second = jinja2.Environment(loader=jinja2.DictLoader(templates), bytecode_cache=cache.template_bytecode())
        assert second.get_template("page.html").render(name="y") == "<p>Y</p>"
        assert compiled == []                                        # read, not compiled
        stored.write_bytes(stored.read_bytes()[:-3] + b"xyz")       # tampered: compiled again
        third = jinja2.Environment(loader=jinja2.DictLoader(templates), bytecode_cache=cache.template_bytecode())
        assert third.get_template("page.html").render(name="z") == "<p>Z</p>"
        assert len(compiled) == 1
    assert cache.template_bytecode() is None                         # no cache outside a build


def test_phone_width_variants_drawn_beside_the_pdf_are_cached_too(tmp_path):
    from cxreport.present.charts import add_narrow_variants

    deferred = _context(fn=tiny_narrowable)
    drawn = draw_all(deferred, processes=1)
    want = add_narrow_variants(deferred, drawn, processes=1)              # no cache
    with cache.using(tmp_path / "c"):
        CALLS.clear()
        first = add_narrow_variants(deferred, drawn, processes=1)
        assert sorted(CALLS) == [("a", True), ("b", True)]
        CALLS.clear()
        second = add_narrow_variants(deferred, drawn, processes=1)
    assert CALLS == []
    assert first == second == want and want["a"].narrow is not None


def test_builds_creating_the_key_at_once_all_get_the_same_whole_key():
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        keys = list(pool.map(lambda _: cache.signing_key(), range(16)))
    assert len(set(keys)) == 1 and len(keys[0]) == 32
    assert (cache._key_file().stat().st_mode & 0o777) == 0o600
    assert [p.name for p in cache._key_file().parent.iterdir()] == ["key"]     # no temporary file left


# --------------------------------------------------------------------------- matplotlib only when drawing

_SETTING = """
import json, sys
from cxreport import cache
from cxreport.present import charts
with cache.using(sys.argv[1]):
    got = charts._matplotlib_setting(["DejaVu Sans", charts.CJK_FONT])
print(json.dumps([got, "matplotlib" in sys.modules]))
"""


def test_matplotlib_settings_come_from_the_cache_until_their_inputs_change(tmp_path):
    """What the chart keys need of matplotlib (its settings' digest, the font files) is stored
    under what it is made of: the next process reads it without importing matplotlib, and a
    matplotlibrc put in the working folder makes it ask matplotlib again."""
    import json

    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")}

    def run():
        done = subprocess.run([sys.executable, "-c", _SETTING, str(tmp_path / "c")], capture_output=True, text=True,
                              env=env, cwd=work, timeout=120)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    first, imported = run()
    assert imported and first["fonts"]["DejaVu Sans"].endswith(".ttf")
    second, imported = run()
    assert not imported and second == first
    (work / "matplotlibrc").write_text("font.size: 13\n")
    third, imported = run()
    assert imported and third["rc"] != first["rc"] and third["fonts"] == first["fonts"]


_IMPORTED = """
import atexit, sys
from cxreport.cli import main
atexit.register(lambda: print("matplotlib imported:", "matplotlib" in sys.modules))
sys.argv = ["cxreport", *sys.argv[1:]]
main()
"""


def test_a_rebuild_with_every_chart_cached_does_not_import_matplotlib(tmp_path):
    project = _project(tmp_path / "p")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    out = tmp_path / "out"
    runs = []
    for extra in ((), ("--force",)):
        done = subprocess.run([sys.executable, "-c", _IMPORTED, "build", str(project), "-o", str(out),
                               "--format", "html", *extra], capture_output=True, text=True, env=env, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        runs.append((done.stdout, (out / "report.html").read_bytes()))
    assert "matplotlib imported: True" in runs[0][0]
    assert "matplotlib imported: False" in runs[1][0]
    assert runs[0][1] == runs[1][1]
