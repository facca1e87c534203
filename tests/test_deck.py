"""The PowerPoint deck (``build --format pptx``): slides, native tables holding the same
figures as the scores JSON, chart pictures, brand colours and font, user text as plain
text, slides skipped when there is nothing to show, nothing outside the slide."""

from __future__ import annotations

import json
import zipfile

import pytest
from click.testing import CliRunner
from pptx import Presentation
from pptx.util import Emu

from cxreport.cli import cli, parse_formats
from cxreport.present.formatting import figure, gap, num, plain_cell

from conftest import csv_text, default_rows

# Every content slide names the period it describes (the window, 2026 Q3; the trend's span).
CLIENT_TITLES = ["Customer Experience Tracker", "KPI scorecard — 2026 Q3", "Trends over time — 2025 Q4 – 2026 Q3",
                 "What drives the experience — pooled 2025 Q4 – 2026 Q3",     # report.pool.drivers: 4
                 "Improvement priorities — 2026 Q3",
                 "Methodology and base"]
SCRIPT = "<script>alert(1)</script>"
FORMULA = "=cmd|' /C calc'!A0"


def _build(args: list[str]) -> None:
    result = CliRunner().invoke(cli, ["build", *args])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def sample_deck(sample_project, tmp_path_factory):
    out = tmp_path_factory.mktemp("deck")
    _build([str(sample_project), "-o", str(out), "--format", "pptx,xlsx"])
    return out


@pytest.fixture(scope="module")
def sample_scores(sample_project):
    result = CliRunner().invoke(cli, ["score", str(sample_project), "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout[result.stdout.index("{"):])


def titles(prs) -> list[str]:
    return [s.shapes.title.text if s.shapes.title is not None else None for s in prs.slides]


def table_of(slide) -> list[list[str]]:
    frames = [s for s in slide.shapes if s.has_table]
    assert frames, "no table on the slide"
    return [[c.text for c in row.cells] for row in frames[0].table.rows]


def runs(prs):
    for slide in prs.slides:
        for shape in slide.shapes:
            frames = [shape.text_frame] if shape.has_text_frame else []
            if shape.has_table:
                frames += [c.text_frame for row in shape.table.rows for c in row.cells]
            for frame in frames:
                for p in frame.paragraphs:
                    yield from p.runs


def assert_inside(prs) -> None:
    """Every shape, tables included (their frame is the sum of their row heights), lies on the slide."""
    width, height = prs.slide_width, prs.slide_height
    for k, slide in enumerate(prs.slides, start=1):
        for shape in slide.shapes:
            bottom = shape.top + shape.height
            if shape.has_table:
                assert shape.height == sum(r.height for r in shape.table.rows)
                assert abs(shape.width - sum(c.width for c in shape.table.columns)) < Emu(20)
            assert shape.left >= 0 and shape.top >= 0, f"slide {k}: {shape.name} starts off the slide"
            assert shape.left + shape.width <= width + 1, f"slide {k}: {shape.name} runs off the right edge"
            assert bottom <= height + 1, f"slide {k}: {shape.name} runs off the bottom"


def test_sample_deck_slides(sample_deck):
    assert not (sample_deck / "report.html").exists() and not (sample_deck / "report.pdf").exists()
    assert (sample_deck / "report.xlsx").is_file()                 # any combination of formats
    prs = Presentation(sample_deck / "report.pptx")
    assert (prs.slide_width, prs.slide_height) == (Emu(12192000), Emu(6858000))     # 13.33 × 7.5 in, 16:9
    assert titles(prs) == CLIENT_TITLES
    assert_inside(prs)


def test_scorecard_holds_the_scores_json_figures(sample_deck, sample_scores):
    prs = Presentation(sample_deck / "report.pptx")
    table = table_of(prs.slides[1])
    header, rows = table[0], {r[0].split("\n")[0]: r for r in table[1:]}
    assert header[:4] == ["KPI", "Score", "95% interval", "Base"]
    previous, year_ago = sample_scores["comparisons"]
    assert header[4:6] == [f"vs {previous['period']}", f"vs {year_ago['period']}"] == ["vs 2026 Q2", "vs 2025 Q3"]
    for key, block, unit in (("nps", "nps", "points"), ("csat", "top2", "percent"), ("ces", "mean", "mean")):
        item = sample_scores["overall"][key]
        row = rows[item["label"]]
        value = item[block]
        assert row[1] == figure(value["value"], unit)
        assert row[2] == f"{figure(value['low'], unit)} to {figure(value['high'], unit)}"
        assert row[3] == num(item["n"])
        for col, comparison in ((4, previous), (5, year_ago)):
            change = comparison["changes"][key]
            arrow = {1: " ▲", -1: " ▼"}.get(change["mark"], "")
            assert row[col] == gap(change["diff"], unit) + arrow
        target = sample_scores["targets"][key]
        assert row[6] == figure(target["target"], unit)
        assert row[7] == {"green": "On target", "amber": "Near target", "red": "Below target"}[target["status"]]
    assert rows["NPS"][1] == "+28" and rows["CSAT"][1] == "74%"    # the sample's 2026 Q3, as the report prints them


def test_charts_are_the_report_pictures_with_alt_text(sample_deck):
    prs = Presentation(sample_deck / "report.pptx")
    pictures = {k: [s for s in slide.shapes if s.shape_type == 13] for k, slide in enumerate(prs.slides)}
    assert [p.name for p in pictures[0]] == ["Logo"]
    assert [p.name for p in pictures[2]] == ["Chart trend-nps", "Chart trend-csat", "Chart trend-ces"]
    assert [p.name for p in pictures[3]] == ["Chart drivers"]
    assert [p.name for p in pictures[4]] == ["Chart priorities"]
    for pics in pictures.values():
        for pic in pics:
            assert pic.image.content_type == "image/png"
            assert pic._element.nvPicPr.cNvPr.get("descr")
    assert pictures[2][0]._element.nvPicPr.cNvPr.get("descr").startswith("NPS: 2024 Q4 ")
    # The trend table holds the last four periods.
    table = table_of(prs.slides[2])
    assert [r[0] for r in table[1:]] == ["2025 Q4", "2026 Q1", "2026 Q2", "2026 Q3"]


def test_brand_colours_and_font(sample_deck):
    prs = Presentation(sample_deck / "report.pptx")
    band = [s for s in prs.slides[0].shapes if s.shape_type == 1]           # autoshapes: band and accent rule
    assert {str(s.fill.fore_color.rgb) for s in band} == {"0B3C5D", "1C8C8C"}
    header = [s for s in prs.slides[1].shapes if s.has_table][0].table.rows[0].cells[0]
    assert str(header.fill.fore_color.rgb) == "0B3C5D"
    nps_row = [s for s in prs.slides[1].shapes if s.has_table][0].table.rows[1]
    status = nps_row.cells[len(nps_row.cells) - 1]
    assert str(status.fill.fore_color.rgb) == "FFF3D6"                    # NPS +28, 7 below +35: amber
    fonts = {r.font.name for r in runs(prs)}
    assert fonts == {"Lato"}
    title_run = prs.slides[1].shapes.title.text_frame.paragraphs[0].runs[0]
    assert str(title_run.font.color.rgb) == "0B3C5D"


def test_user_text_is_plain_text(tmp_path, make_project):
    rows = default_rows(80)
    project = make_project(tmp_path, csv_text(rows),
                           client={"name": FORMULA},
                           columns={"nps": {"column": "q_nps", "label": SCRIPT}},
                           report={"title": "Q&A <b>bold</b>", "subtitle": "=1+1"})
    _build([str(project), "-o", str(tmp_path / "out"), "--format", "pptx"])
    deck = tmp_path / "out" / "report.pptx"
    prs = Presentation(deck)
    texts = [r.text for r in runs(prs)]
    assert FORMULA in texts and "Q&A <b>bold</b>" in texts and "=1+1" in texts
    assert SCRIPT in [row[0].split("\n")[0] for row in table_of(prs.slides[1])]
    xml = "".join(zipfile.ZipFile(deck).read(n).decode("utf-8") for n in zipfile.ZipFile(deck).namelist()
                  if n.startswith("ppt/slides/slide"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in xml and "<script>" not in xml
    assert_inside(prs)


def test_slides_without_data_are_left_out(tmp_path, make_project):
    # One quarter only, no attributes: no trend chart to draw, no drivers, no priorities.
    rows = [r[:1] + ["2026-02-10"] + r[2:] for r in default_rows(80)]
    project = make_project(tmp_path, csv_text(rows))
    _build([str(project), "-o", str(tmp_path / "out"), "--format", "pptx"])
    prs = Presentation(tmp_path / "out" / "report.pptx")
    assert titles(prs) == ["Test report", "KPI scorecard — 2026 Q1", "Trends over time — 2026 Q1",
                           "Methodology and base"]
    assert not [s for s in prs.slides[2].shapes if s.shape_type == 13]     # one period: a table, no chart
    assert [s for s in prs.slides[0].shapes if s.shape_type == 13] == []   # no logo
    # A section the project leaves out of the report is left out of the deck too.
    project = make_project(tmp_path / "b", csv_text(default_rows(80)),
                           report={"sections": ["executive_summary", "nps_distribution", "methodology"]})
    _build([str(project), "-o", str(tmp_path / "b" / "out"), "--format", "pptx"])
    assert titles(Presentation(tmp_path / "b" / "out" / "report.pptx")) == ["Test report", "Methodology and base"]


def test_long_text_stays_on_the_slide(tmp_path, make_project):
    long = "Customer satisfaction with the resolution of complaints in the contact centre and branches " * 2
    project = make_project(tmp_path, csv_text(default_rows(80)),
                           client={"name": "A very long client name plc " * 4},
                           columns={"nps": {"column": "q_nps", "label": long.strip()},
                                    "csat": {"column": "q_csat", "scale": 5, "label": long.strip()[:90]}},
                           report={"title": "A report title long enough to need two lines on the title slide " * 2,
                                   "subtitle": "And a subtitle that goes on and on " * 4})
    _build([str(project), "-o", str(tmp_path / "out"), "--format", "pptx"])
    assert_inside(Presentation(tmp_path / "out" / "report.pptx"))


def test_quarterly_deck(sample_project, tmp_path):
    _build([str(sample_project), "-o", str(tmp_path), "--format", "pptx", "--report", "quarterly"])
    prs = Presentation(tmp_path / "report-quarterly.pptx")
    assert titles(prs) == ["Quarterly management review", "What changed", "Headline KPIs — 2026 Q3",
                           "Trends over the last 5 quarters", "Top improvers and decliners",
                           "What drives the experience — pooled 2025 Q4 – 2026 Q3",
                           "Improvement priorities — 2026 Q3",
                           "Methodology and base"]
    assert table_of(prs.slides[2])[0][:4] == ["KPI", "2026 Q3", "2026 Q2", "Change"]
    assert [s.name for s in prs.slides[3].shapes if s.shape_type == 13] == [
        "Chart q-trend-nps", "Chart q-trend-csat", "Chart q-trend-ces"]
    assert [r[0] for r in table_of(prs.slides[3])[1:]] == ["2025 Q3", "2025 Q4", "2026 Q1", "2026 Q2", "2026 Q3"]
    improvers, decliners = [[[c.text for c in row.cells] for row in s.table.rows]
                            for s in prs.slides[4].shapes if s.has_table]
    assert improvers[1][0] == "Seaview\nBranch" and improvers[1][3] == "+45 ▲"   # unit, its segment; change, mark
    assert decliners[1][0] == "Eastbank\nBranch" and decliners[1][3] == "−54 ▼"
    assert_inside(prs)


def test_svg_logo_is_left_off_with_a_warning(tmp_path, make_project):
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'
    project = make_project(tmp_path, csv_text(default_rows(80)), files={"logo.svg": svg},
                           client={"name": "Test Co", "logo": "logo.svg"})
    result = CliRunner().invoke(cli, ["build", str(project), "-o", str(tmp_path / "out"), "--format", "html,pptx"])
    assert result.exit_code == 0, result.output
    assert "client.logo: logo.svg is an SVG image" in result.output
    prs = Presentation(tmp_path / "out" / "report.pptx")
    assert [s for s in prs.slides[0].shapes if s.shape_type == 13] == []
    assert (tmp_path / "out" / "report.html").is_file()


def test_format_combinations():
    assert parse_formats("both") == ("html", "pdf")
    assert parse_formats("pptx") == ("pptx",)
    assert parse_formats("html, pdf,xlsx,PPTX") == ("html", "pdf", "xlsx", "pptx")
    assert parse_formats("both,pptx") == ("html", "pdf", "pptx")
    assert parse_formats("pptx,pptx") == ("pptx",)


def test_unknown_format_is_a_usage_error(sample_project):
    result = CliRunner().invoke(cli, ["build", str(sample_project), "--format", "pptx,ppt"])
    assert result.exit_code == 2
    assert "--format" in result.output and "unknown format 'ppt'" in result.output
    assert "pptx" in result.output.split("unknown format")[1]           # the valid choices are named
    result = CliRunner().invoke(cli, ["build", str(sample_project), "--format", ","])
    assert result.exit_code == 2 and "--format" in result.output


def test_plain_cell():
    assert plain_cell({"value": 21.6, "unit": "points", "base": "ok", "mark": 1}) == "+22 ▲"
    assert plain_cell({"value": 21.6, "unit": "points", "base": "ok", "mark": 1}, marks=False) == "+22"
    assert plain_cell({"value": 72.4, "unit": "percent", "base": "small", "mark": 0}) == "72%*"
    assert plain_cell({"value": 5.0, "unit": "mean", "base": "suppressed", "mark": 0}) == "—"
    assert plain_cell(None) == "—"
