"""The build's PDF process (cxreport.present.pdf): started early, it makes the same PDF as the
building process would, hands back the same errors, and a build falls back to making the PDF
itself when the process is gone."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from pypdf import PdfReader

from cxreport.errors import RenderError
from cxreport.present import pdf as engine

HTML = """<!doctype html><html><head><meta charset="utf-8"><style>@page { size: A5 }</style></head>
<body><h1>Net Promoter Score</h1>BODY</body></html>"""


def page(body: str) -> str:
    return HTML.replace("BODY", body)


def text_of(data: bytes, tmp_path: Path, name: str) -> tuple[int, str]:
    path = tmp_path / name
    path.write_bytes(data)
    reader = PdfReader(str(path))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture(autouse=True)
def no_leftover_process():
    engine.discard()
    yield
    engine.discard()


def test_the_pdf_process_makes_the_same_pdf_as_this_process(tmp_path):
    html = page("".join(f"<p>Paragraph {i} of the report.</p>" for i in range(120)))
    here = engine.html_to_pdf(html, [tmp_path])
    engine.prestart()
    started = engine._STARTED
    assert started is not None and started.alive()
    there = engine.html_to_pdf(html, [tmp_path])
    assert engine._STARTED is None                      # one document per process
    assert started.proc.returncode is not None          # it has exited
    assert text_of(there, tmp_path, "there.pdf") == text_of(here, tmp_path, "here.pdf")
    assert text_of(here, tmp_path, "here.pdf")[0] >= 2


def test_an_error_in_the_pdf_process_comes_back_as_the_same_one_line_error(tmp_path):
    outside = tmp_path.parent / "secret.png"
    html = page(f'<img src="file://{outside}">')
    with pytest.raises(RenderError) as here:
        engine.html_to_pdf(html, [tmp_path])
    engine.prestart()
    with pytest.raises(RenderError) as there:
        engine.html_to_pdf(html, [tmp_path])
    assert str(there.value) == str(here.value)
    assert "outside the project and template folders" in str(there.value)


def test_the_pdf_limits_of_this_process_apply_in_the_pdf_process(tmp_path, monkeypatch):
    from cxreport.present import sandbox

    monkeypatch.setattr(sandbox, "PDF_SECONDS", 1)
    html = page("".join(f"<p>{i}</p>" for i in range(60_000)))
    engine.prestart()
    with pytest.raises(sandbox.PdfTimeLimit, match="longer than 1 s"):
        engine.html_to_pdf(html, [tmp_path], guarded=True)


def test_a_build_makes_the_pdf_itself_when_the_pdf_process_is_gone(tmp_path):
    html = page("<p>Still made.</p>")
    engine.prestart()
    engine._STARTED.proc.kill()
    engine._STARTED.proc.wait()
    pages, text = text_of(engine.html_to_pdf(html, [tmp_path]), tmp_path, "fallback.pdf")
    assert pages == 1 and "Still made." in text


def test_a_started_process_that_is_never_asked_is_ended(tmp_path):
    engine.prestart()
    proc = engine._STARTED.proc
    engine.discard()
    assert proc.poll() is not None


def test_the_command_builds_without_weasyprint_in_its_own_process(tmp_path, make_project):
    """`cxreport build --format pdf`: WeasyPrint is imported (and the layout's memory held) by the
    PDF process only; the report is the one the building process makes with the process switched
    off (CXREPORT_PDF_PROCESS=0)."""
    root = Path(__file__).resolve().parents[1]
    script = textwrap.dedent("""
        import atexit, sys
        from cxreport.cli import main
        sys.argv = ["cxreport", "build", sys.argv[1], "-o", sys.argv[2], "--format", "pdf"]
        # main() ends the process itself (exit handlers run, the interpreter is not torn down)
        atexit.register(lambda: print("weasyprint imported:", "weasyprint" in sys.modules))
        main()
    """)
    # A small project (a few charts, a few pages), in English and in Chinese: a Chinese report's
    # check of HarfBuzz's font subsetter is answered by the PDF process too.
    for language in ("en", "zh-CN"):
        project = make_project(tmp_path / f"project-{language}", language=language)
        runs = {}
        # the Chinese project only with the PDF process: what it checks is the build process's imports
        for switch in ("1", "0") if language == "en" else ("1",):
            out = tmp_path / f"out-{language}-{switch}"
            env = {"CXREPORT_PDF_PROCESS": switch, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
            done = subprocess.run([sys.executable, "-c", script, str(project), str(out)], capture_output=True,
                                  text=True, env=env, cwd=root, timeout=600)
            assert done.returncode == 0, done.stderr[-2000:]
            assert "libharfbuzz-subset0" not in done.stderr      # CI installs it (.ci/system-packages.sh)
            runs[switch] = (done.stdout, text_of((out / "report.pdf").read_bytes(), tmp_path,
                                                 f"r-{language}-{switch}.pdf"))
        assert "weasyprint imported: False" in runs["1"][0], language
        if "0" in runs:
            assert "weasyprint imported: True" in runs["0"][0]
            assert runs["1"][1] == runs["0"][1]


def test_the_pdf_process_says_what_weasyprint_found_of_its_libraries(tmp_path):
    engine.prestart()
    pending = engine.submit(page("<p>One paragraph.</p>"), [tmp_path])
    assert pending.process is not None                 # the PDF process took it
    pending.result()
    assert pending.libraries == engine.libraries() and set(pending.libraries) == {"subsetter"}


def test_a_themes_font_folder_is_removed_when_the_processes_end(tmp_path, make_project):
    """A theme's @font-face font is written by WeasyPrint to a temporary folder; both the build
    and its PDF process end with os._exit, so the folder is removed before (no leak in /tmp)."""
    import matplotlib

    font = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSerif.ttf"
    css = ('@font-face { font-family: "Brand Face"; src: url(brandface.ttf); }\n'
           'h1, h2 { font-family: "Brand Face" !important; }\n')
    # a small project with its own theme (a few pages: the font folder is what is tested)
    config = make_project(tmp_path / "project", report={"templates": "templates"},
                          files={"templates/theme/brandface.ttf": font.read_bytes(),
                                 "templates/theme/extra.css": css})
    temp = tmp_path / "tmp"
    temp.mkdir()
    for switch in ("1", "0"):
        env = {**os.environ, "TMPDIR": str(temp), "CXREPORT_PDF_PROCESS": switch}
        done = subprocess.run([sys.executable, "-m", "cxreport", "build", str(config), "-o",
                               str(tmp_path / f"out-{switch}"), "--format", "pdf", "--no-cache"],
                              capture_output=True, text=True, env=env, timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
        assert "Brand-Face" in _fonts_of(tmp_path / f"out-{switch}" / "report.pdf")   # the theme's font is used
        assert [p.name for p in temp.iterdir() if p.name.startswith("weasyprint-")] == []


def _fonts_of(pdf: Path) -> str:
    return subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout


def _font_folder_in_worker(path: str) -> bool:
    cfg = engine.font_config()
    Path(path).mkdir()
    cfg._folder = Path(path)           # where WeasyPrint writes @font-face fonts
    return True


def test_a_pool_workers_font_folder_is_removed_when_it_ends(tmp_path):
    """Scoresheet workers end with os._exit after multiprocessing's finalizers: the folder of
    their FontConfiguration goes with them, and a forked worker never removes its parent's."""
    import multiprocessing as mp

    parent = engine.font_config()
    folder = tmp_path / "worker-fonts"
    pool = mp.get_context("fork").Pool(1)
    assert pool.apply(_font_folder_in_worker, (str(folder),))
    assert folder.is_dir()
    pool.close()
    pool.join()
    assert not folder.exists()
    assert engine.font_config() is parent
