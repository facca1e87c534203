"""The PowerPoint deck (``build --format pptx``): slides in the storyline's order, native
tables holding the same figures as the scores JSON, native charts, brand colours and font,
user text as plain text, slides skipped when there is nothing to show, nothing outside the
slide. The storyline itself (action titles, chart data, filled slides, the template, the
SVG logo, ``demo --format``) is tested in test_deck_story.py."""

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

# The client deck's sections, in order: the line above each content slide's title names the
# section and its period (the titles themselves are the findings: test_deck_story.py).
CLIENT_SECTIONS = ["Executive summary · 2026 Q3", "KPI scorecard · 2026 Q3 vs 2026 Q2 and 2025 Q3",
                   "Trends over time · 2024 Q4 – 2026 Q3", "Results by segment · 2026 Q3", "By Region · 2026 Q3",
                   "By Channel · 2026 Q3",
                   "Against competitors · competitor survey 2026 Q3 · published data 2026",
                   "Key drivers · pooled 2025 Q4 – 2026 Q3",                 # report.pool.drivers: 4
                   "Improvement priorities · importance pooled 2025 Q4 – 2026 Q3; performance 2026 Q3",
                   "Voice of the customer · 2026 Q3",
                   "Actions and their effect · 2026 Q3 against each action's baseline; status as of 15 October 2026",
                   "You said, we did · Comments: 2026 Q3", "Response times · cases received 2026 Q3",
                   "Recommendations · 2026 Q3", "Methodology · 2026 Q3"]
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


def section_of(slide) -> str | None:
    """The line above a content slide's title: the section and its period."""
    return next((sh.text_frame.text for sh in slide.shapes if sh.name == "Section"), None)


def sections(prs) -> list[str | None]:
    return [section_of(s) for s in prs.slides]


def slide_of(prs, section: str):
    return next(s for s in prs.slides if (section_of(s) or "").startswith(section))


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
    assert titles(prs)[0] == "Customer Experience Tracker" and sections(prs)[0] is None
    assert sections(prs)[1:] == CLIENT_SECTIONS
    assert all(titles(prs))                                         # every slide has a real title
    assert_inside(prs)


def test_scorecard_holds_the_scores_json_figures(sample_deck, sample_scores):
    prs = Presentation(sample_deck / "report.pptx")
    table = table_of(slide_of(prs, "KPI scorecard"))
    header, rows = [h.replace("\x0b", " ") for h in table[0]], {r[0].split("\n")[0]: r for r in table[1:]}
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


def test_charts_are_native_and_the_only_picture_is_the_logo(sample_deck):
    prs = Presentation(sample_deck / "report.pptx")
    pictures = [(k, s.name) for k, slide in enumerate(prs.slides) for s in slide.shapes if s.shape_type == 13]
    assert pictures == [(0, "Logo")]
    charts = {s.name: s for slide in prs.slides for s in slide.shapes if s.has_chart}
    assert {"Chart trend-nps", "Chart trend-csat", "Chart trend-ces", "Chart segment-gaps", "Chart segment-nps",
            "Chart competitors-0", "Chart drivers", "Chart priorities", "Chart themes"} <= set(charts)
    for frame in charts.values():
        assert frame._element.nvGraphicFramePr.cNvPr.get("descr")      # alt text
    assert charts["Chart trend-nps"]._element.nvGraphicFramePr.cNvPr.get("descr").startswith("NPS: 2024 Q4 ")
    # The trend table holds the last four periods.
    table = table_of(slide_of(prs, "Trends over time"))
    assert [r[0] for r in table[1:]] == ["2025 Q4", "2026 Q1", "2026 Q2", "2026 Q3"]


def test_brand_colours_and_font(sample_deck):
    prs = Presentation(sample_deck / "report.pptx")
    band = [s for s in prs.slides[0].shapes if s.shape_type == 1]           # autoshapes: band and accent rule
    assert {str(s.fill.fore_color.rgb) for s in band} == {"0B3C5D", "1C8C8C"}
    kpis = slide_of(prs, "KPI scorecard")
    table = [s for s in kpis.shapes if s.has_table][0].table
    assert str(table.rows[0].cells[0].fill.fore_color.rgb) == "0B3C5D"
    status = table.rows[1].cells[len(table.rows[1].cells) - 1]
    assert str(status.fill.fore_color.rgb) == "FFF3D6"                    # NPS +28, 7 below +35: amber
    fonts = {r.font.name for r in runs(prs)}
    assert fonts == {"Lato"}
    title_run = kpis.shapes.title.text_frame.paragraphs[0].runs[0]
    assert str(title_run.font.color.rgb) == "0B3C5D"
    drivers = next(s for s in slide_of(prs, "Key drivers").shapes if s.has_chart).chart
    assert str(drivers.plots[0].series[0].points[0].format.fill.fore_color.rgb) == "0B3C5D"
    assert drivers.font.name == "Lato"


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
    assert SCRIPT in [row[0].split("\n")[0] for row in table_of(slide_of(prs, "KPI scorecard"))]
    archive = zipfile.ZipFile(deck)
    xml = "".join(archive.read(n).decode("utf-8") for n in archive.namelist()
                  if n.startswith(("ppt/slides/slide", "ppt/charts/chart")))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in xml and "<script>" not in xml
    assert_inside(prs)


def test_slides_without_data_are_left_out(tmp_path, make_project):
    # One quarter only, no attributes: no trend chart to draw, no segment differences, no competitors,
    # drivers, priorities or recommendations.
    rows = [r[:1] + ["2026-02-10"] + r[2:] for r in default_rows(80)]
    project = make_project(tmp_path, csv_text(rows))
    _build([str(project), "-o", str(tmp_path / "out"), "--format", "pptx"])
    prs = Presentation(tmp_path / "out" / "report.pptx")
    assert sections(prs) == [None, "Executive summary · 2026 Q1", "KPI scorecard · 2026 Q1",
                             "Trends over time · 2026 Q1", "Voice of the customer · 2026 Q1", "Methodology · 2026 Q1"]
    assert titles(prs)[3] == "Trends over time — 2026 Q1"
    assert not [s for s in prs.slides[3].shapes if s.has_chart]       # one period: a table, no chart
    assert [s for s in prs.slides[0].shapes if s.shape_type == 13] == []   # no logo
    # A section the project leaves out of the report is left out of the deck too.
    project = make_project(tmp_path / "b", csv_text(default_rows(80)),
                           report={"sections": ["nps_distribution", "methodology"]})
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
    assert titles(prs)[0] == "Quarterly management review"
    found = [s.split(" · ")[0] for s in sections(prs)[1:]]
    assert list(dict.fromkeys(found)) == ["Quarterly management review", "Headline KPIs", "Trends over time",
                                          "Top improvers and decliners", "Results by segment", "Key drivers",
                                          "Improvement priorities", "Actions and their effect", "You said, we did",
                                          "Methodology"]
    assert titles(prs)[1] == "What changed"
    assert table_of(slide_of(prs, "Headline KPIs"))[0][:4] == ["KPI", "2026 Q3", "2026 Q2", "Change"]
    trends = slide_of(prs, "Trends over time")
    assert [s.name for s in trends.shapes if s.has_chart] == ["Chart q-trend-nps", "Chart q-trend-csat",
                                                              "Chart q-trend-ces"]
    assert [r[0] for r in table_of(trends)[1:]] == ["2025 Q3", "2025 Q4", "2026 Q1", "2026 Q2", "2026 Q3"]
    movers = slide_of(prs, "Top improvers and decliners")
    improvers, decliners = [[[c.text for c in row.cells] for row in s.table.rows]
                            for s in movers.shapes if s.has_table]
    assert improvers[1][0] == "Seaview\nBranch" and improvers[1][3] == "+45 ▲"   # unit, its segment; change, mark
    assert decliners[1][0] == "Eastbank\nBranch" and decliners[1][3] == "−54 ▼"
    assert movers.shapes.title.text.startswith("Eastbank (branch) declined significantly: NPS −13, down 54 points")
    assert_inside(prs)


def test_svg_logo_is_rendered_for_the_deck(tmp_path, make_project):
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'
    project = make_project(tmp_path, csv_text(default_rows(80)), files={"logo.svg": svg},
                           client={"name": "Test Co", "logo": "logo.svg"})
    result = CliRunner().invoke(cli, ["build", str(project), "-o", str(tmp_path / "out"), "--format", "html,pptx"])
    assert result.exit_code == 0, result.output
    prs = Presentation(tmp_path / "out" / "report.pptx")
    logos = [s for s in prs.slides[0].shapes if s.shape_type == 13]
    assert [s.name for s in logos] == ["Logo"] and logos[0].image.content_type == "image/png"
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
