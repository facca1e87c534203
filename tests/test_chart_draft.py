"""Charts drawn while the PDF is laid out (issue 17; cxreport.present.charts.Draft and the held
PDF process of cxreport.present.pdf).

A build describes its charts (title, alt text, note, PNG size) without drawing them, hands the
PDF process an HTML whose charts are files holding only a PNG header, and draws them while
WeasyPrint lays the document out; WeasyPrint reads the files when it writes the PDF. These
tests check that the descriptions are the drawings' (every chart of both samples and of the
quarterly review), that the PDF is the one the charts drawn first would give, that a chart
that differs from its description makes the PDF laid out again from the drawn charts, and
that nothing is left behind when a build fails."""

from __future__ import annotations

import io
import tempfile
import time
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from cxreport import i18n
from cxreport.build import build
from cxreport.config import load_project
from cxreport.pipeline import run
from cxreport.present import charts
from cxreport.present import pdf as engine
from cxreport.present.context import build_context
from cxreport.present.quarterly import build_quarterly_context

#: Drawing beside the layout needs fork and a second core; CI has both (a one-core machine
#: draws first, as these tests' CXREPORT_CHARTS_WITH_PDF=0 builds do).
beside_the_layout = pytest.mark.skipif(not charts.can_draft(), reason="no fork or a single core: charts drawn first")

REPO = Path(__file__).resolve().parents[1]
SAMPLES = {"harbour-bank": REPO / "samples" / "harbour-bank" / "cxreport.yaml",
           "huayue-retail": REPO / "samples" / "huayue-retail" / "cxreport.yaml"}


def _jobs(project_file: Path, quarterly: bool = False) -> list[charts.Deferred]:
    project = load_project(project_file)
    with i18n.use_language(project.language):
        study = run(project)
        context = build_quarterly_context(study) if quarterly else build_context(study)
    jobs: list[charts.Deferred] = []
    charts._collect(context, jobs)
    return jobs, project.language


@pytest.mark.parametrize("sample,quarterly", [("harbour-bank", False), ("huayue-retail", False),
                                              ("harbour-bank", True)])
def test_every_chart_is_drawn_as_described(sample, quarterly):
    """Title, alt text, note and PNG header (size, 8-bit RGB, not interlaced) of every chart
    described equal the drawn chart's: the PDF laid out from the descriptions is the PDF of
    the drawn charts, and a build of the samples is never laid out twice."""
    jobs, language = _jobs(SAMPLES[sample], quarterly)
    assert len(jobs) >= 4
    with i18n.use_language(language):
        for job in jobs:
            described = charts.describe(job)
            drawn = charts._draw(job)
            assert described.png == b"" and drawn.size is None
            assert (described.id, described.title, described.alt, described.note) == \
                (drawn.id, drawn.title, drawn.alt, drawn.note), described.id
            image = Image.open(io.BytesIO(drawn.png))
            assert image.size == described.size, described.id
            assert image.mode == "RGB", described.id
            assert drawn.png[:charts._HEAD] == charts._png_head(described.size)[:charts._HEAD], described.id


def test_a_header_is_what_pillow_and_weasyprint_read_of_a_picture():
    head = charts._png_head((1068, 543))
    image = Image.open(io.BytesIO(head))
    assert (image.size, image.mode, image.format) == ((1068, 543), "RGB", "PNG")


# --------------------------------------------------------------------------- builds


def _images(pdf: Path) -> list[bytes]:
    """The pixels of every picture in the PDF, page by page."""
    out = []
    for page in PdfReader(str(pdf)).pages:
        for image in page.images:
            out.append(image.image.convert("RGB").tobytes())
    return out


def _texts(pdf: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(str(pdf)).pages]


@pytest.fixture
def small_project(make_project, tmp_path):
    return make_project(tmp_path / "proj")


def _build(project, out: Path, monkeypatch, switch: str):
    monkeypatch.setenv(charts.DRAFT_SWITCH, switch)
    return build(project, out, formats=("pdf",))


@beside_the_layout
def test_the_pdf_drawn_beside_its_layout_is_the_pdf_of_the_charts_drawn_first(small_project, tmp_path,
                                                                              monkeypatch):
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    first = _build(small_project, tmp_path / "first", monkeypatch, "0")
    beside = _build(small_project, tmp_path / "beside", monkeypatch, "1")
    assert "PDF layout" in beside.timings                   # made in the (held) PDF process
    assert "charts (beside the PDF's layout)" in beside.timings
    assert "charts (beside the PDF's layout)" not in first.timings
    assert not beside.laid_out_again
    a, b = first.paths["pdf"], beside.paths["pdf"]
    assert _texts(a) == _texts(b)
    pictures = _images(b)
    assert len(pictures) >= 4
    assert _images(a) == pictures
    assert list(temp.iterdir()) == []                       # the charts' folder is gone


@beside_the_layout
def test_a_chart_that_differs_from_its_description_lays_the_pdf_out_again(small_project, tmp_path,
                                                                          monkeypatch):
    """Drawn, the NPS distribution's alt text is not what was described: the PDF laid out from
    the descriptions is not used; the PDF is made again from the drawn charts."""
    original = charts._render

    def render(fig, chart_id, title, alt, note=""):
        if not charts._MODE["describe"] and chart_id == "nps-distribution":
            alt = alt + " (drawn)"
        return original(fig, chart_id, title, alt, note)

    monkeypatch.setattr(charts, "_render", render)         # inherited by the forked drawing processes
    first = _build(small_project, tmp_path / "first", monkeypatch, "0")
    again = _build(small_project, tmp_path / "again", monkeypatch, "1")
    assert again.laid_out_again
    assert _texts(first.paths["pdf"]) == _texts(again.paths["pdf"])
    assert _images(first.paths["pdf"]) == _images(again.paths["pdf"])


def test_a_chart_that_cannot_be_drawn_leaves_nothing_behind(small_project, tmp_path, monkeypatch):
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    original = charts._render

    def render(fig, chart_id, title, alt, note=""):
        if not charts._MODE["describe"] and chart_id == "nps-distribution":
            raise RuntimeError("the chart could not be drawn")
        return original(fig, chart_id, title, alt, note)

    monkeypatch.setattr(charts, "_render", render)
    monkeypatch.setenv(charts.DRAFT_SWITCH, "1")
    out = tmp_path / "out"
    with pytest.raises(RuntimeError, match="could not be drawn"):
        build(small_project, out, formats=("pdf",))
    assert not out.exists() or not list(out.glob("*.pdf"))
    assert list(temp.iterdir()) == []
    assert not engine.can_hold()                            # the PDF process was ended


# --------------------------------------------------------------------------- the held PDF process


def _png(colour: tuple[int, int, int], size=(60, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def picture_page(tmp_path):
    folder = tmp_path / "pictures"
    folder.mkdir()
    picture = folder / "chart.png"
    picture.write_bytes(charts._png_head((60, 30)))
    html = (f'<!doctype html><html><body><h1>Held</h1><img src="{picture.as_uri()}" style="width: 60mm">'
            "</body></html>")
    return html, folder, picture


@pytest.fixture(autouse=True)
def no_leftover_process():
    engine.discard()
    yield
    engine.discard()


def test_a_held_pdf_is_written_with_the_picture_put_in_place_after_its_layout(picture_page, tmp_path):
    html, folder, picture = picture_page
    engine.prestart()
    pending = engine.submit(html, [folder], hold=True)
    assert pending.held
    time.sleep(3)                                       # WeasyPrint imported, the page laid out
    picture.write_bytes(_png((200, 30, 40)))            # drawn while the document is laid out
    pending.release()
    data = pending.result()
    # it waited before it read the picture (the header alone cannot be decoded)
    assert {"PDF layout", "PDF waiting for the charts", "PDF writing"} <= set(pending.timings)
    path = tmp_path / "held.pdf"
    path.write_bytes(data)
    (image,) = PdfReader(str(path)).pages[0].images
    assert image.image.convert("RGB").getpixel((5, 5)) == (200, 30, 40)


def test_a_held_pdf_cancelled_ends_its_process(picture_page):
    html, folder, _picture = picture_page
    engine.prestart()
    pending = engine.submit(html, [folder], hold=True)
    assert pending.held
    process = pending.process.proc
    pending.cancel()
    assert process.poll() is not None
    assert not engine.busy()


def test_without_a_pdf_process_nothing_is_held(picture_page, monkeypatch):
    html, folder, picture = picture_page
    monkeypatch.setenv(engine.ENV_SWITCH, "0")
    engine.prestart()
    assert not engine.can_hold()
    pending = engine.submit(html, [folder], hold=True)
    assert not pending.held
    picture.write_bytes(_png((10, 120, 40)))
    assert pending.result().startswith(b"%PDF")


def _never(k):
    raise AssertionError("a chart was drawn")


def test_no_draft_when_switched_off_or_too_few_charts_to_draw(monkeypatch):
    monkeypatch.setenv(charts.DRAFT_SWITCH, "0")
    assert not charts.can_draft()
    assert charts.start_workers(["DejaVu Sans"]) is None
    monkeypatch.setenv(charts.DRAFT_SWITCH, "1")
    jobs = [charts.defer(_never, k) for k in range(3)]
    assert charts.draft({"charts": jobs}, None) is None      # three: drawn before the layout


@beside_the_layout
def test_the_workers_answer_matplotlibs_settings_as_this_process_would(monkeypatch):
    """The chart keys and the brand-font warning ask the workers (which imported matplotlib)
    what this process would find itself."""
    monkeypatch.setenv(charts.DRAFT_SWITCH, "1")
    workers = charts.start_workers(["DejaVu Sans"])
    try:
        there = workers.setting(["DejaVu Sans"])
        assert workers.setting(["Some Other Font"]) is None
    finally:
        workers.close()
    charts.load_matplotlib()
    assert there == charts._matplotlib_setting(workers.families)


def test_a_held_pdf_cancelled_removes_weasyprints_font_folder(tmp_path, monkeypatch):
    """A theme's @font-face font is written by WeasyPrint to a temporary folder; a held PDF
    process ended by the build (its charts differed, or the build failed) removes it first."""
    import shutil

    import matplotlib

    folder = tmp_path / "assets"
    folder.mkdir()
    shutil.copy(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSerif.ttf", folder / "face.ttf")
    picture = folder / "chart.png"
    picture.write_bytes(charts._png_head((60, 30)))
    html = (f'<!doctype html><html><head><style>@font-face {{ font-family: "Brand Face"; '
            f'src: url({(folder / "face.ttf").as_uri()}); }} h1 {{ font-family: "Brand Face"; }}</style></head>'
            f'<body><h1>Held</h1><img src="{picture.as_uri()}"></body></html>')
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    engine.prestart()
    pending = engine.submit(html, [folder], hold=True)
    assert pending.held
    deadline = time.monotonic() + 60
    while not any(p.name.startswith("weasyprint-") for p in temp.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert any(p.name.startswith("weasyprint-") for p in temp.iterdir())     # laid out with the theme's font
    pending.cancel()
    assert [p.name for p in temp.iterdir() if p.name.startswith("weasyprint-")] == []


@beside_the_layout
def test_chart_workers_start_only_when_the_study_is_scored(small_project, tmp_path, monkeypatch):
    """A rebuild whose study (and so its charts) comes from the cache starts no chart workers."""
    monkeypatch.setenv(charts.DRAFT_SWITCH, "1")
    started = []
    original = charts.start_workers

    def counted(families):
        started.append(families)
        return original(families)

    monkeypatch.setattr(charts, "start_workers", counted)
    cache_dir = tmp_path / "cache"
    first = build(small_project, tmp_path / "first", formats=("pdf",), cache=cache_dir)
    assert len(started) == 1 and "charts (beside the PDF's layout)" in first.timings
    again = build(small_project, tmp_path / "again", formats=("pdf",), cache=cache_dir)
    assert len(started) == 1 and "study (from the cache)" in again.timings
    assert _texts(first.paths["pdf"]) == _texts(again.paths["pdf"])


@beside_the_layout
def test_a_chart_that_cannot_be_described_is_drawn_first(small_project, tmp_path, monkeypatch):
    """Describing fails (a chart function that needs its placed labels, say): the build draws
    the charts first, as without a PDF process, and the report is the same."""
    original = charts._render

    def render(fig, chart_id, title, alt, note=""):
        if charts._MODE["describe"] and chart_id == "nps-distribution":
            raise AttributeError("no placed label to measure")
        return original(fig, chart_id, title, alt, note)

    monkeypatch.setattr(charts, "_render", render)
    first = _build(small_project, tmp_path / "first", monkeypatch, "0")
    drawn = _build(small_project, tmp_path / "drawn", monkeypatch, "1")
    assert "charts (beside the PDF's layout)" not in drawn.timings
    assert _texts(first.paths["pdf"]) == _texts(drawn.paths["pdf"])
