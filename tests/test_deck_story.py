"""The deck as a storyline (issue 13): the slides in the story's order, each naming its
period, action titles that are the key findings, native PowerPoint charts whose data are
the scores JSON's figures, no slide more than a third empty, a client template's layouts,
theme colours and fonts, an SVG logo rendered for the deck, table headers never broken
inside a Chinese word, and ``cxreport demo --format`` taking every format ``build`` does."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from pptx import Presentation
from pptx.opc.constants import RELATIONSHIP_TYPE as RT
from pptx.util import Emu

from cxreport import i18n
from cxreport.cli import cli
from cxreport.present.deck import Metrics, recommendations_of
from cxreport.present.deck_charts import number_format
from cxreport.scoring.kpis import shown_value

from conftest import csv_text, default_rows
from test_deck import assert_inside, section_of, sections, slide_of, titles

REPO = Path(__file__).resolve().parents[1]
HUAYUE_LOGO = REPO / "samples" / "huayue-retail" / "brand" / "logo.svg"
EMU = 914400
#: A content slide may leave at most this share of its content area (below the title, above
#: the footer, inside the margins) uncovered by shapes.
MOST_EMPTY = 1 / 3


def _build(args: list[str]) -> None:
    result = CliRunner().invoke(cli, ["build", *args])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def decks(sample_project, tmp_path_factory):
    out = tmp_path_factory.mktemp("story")
    _build([str(sample_project), "-o", str(out), "--format", "pptx"])
    _build([str(sample_project), "-o", str(out), "--format", "pptx", "--report", "quarterly"])
    return {"client": Presentation(out / "report.pptx"), "quarterly": Presentation(out / "report-quarterly.pptx")}


@pytest.fixture(scope="module")
def scores(sample_project):
    result = CliRunner().invoke(cli, ["score", str(sample_project), "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout[result.stdout.index("{"):])


@pytest.fixture(scope="module")
def findings(sample_project):
    """The key findings of the sample's client report, computed apart from the deck."""
    from cxreport.build import window_for
    from cxreport.config import load_project
    from cxreport.pipeline import run
    from cxreport.present.findings import key_findings

    project = window_for(load_project(sample_project), "client")
    with i18n.use_language(project.language):
        return key_findings(run(project))


def chart(prs, name: str):
    return next(s.chart for slide in prs.slides for s in slide.shapes if s.has_chart and s.name == name)


def shown(value: float, unit: str) -> float:
    return shown_value(value, unit)


# --------------------------------------------------------------------------- the story


def test_every_content_slide_names_its_section_and_period(decks):
    for which, prs in decks.items():
        found = sections(prs)
        assert found[0] is None                                          # the title slide
        for k, line in enumerate(found[1:], start=2):
            name, _dot, period = (line or "").partition(" · ")
            assert name and re.search(r"\b20\d\d\b", period), f"{which} slide {k}: {line!r}"


def test_action_titles_are_the_key_findings(decks, findings):
    prs = decks["client"]
    texts = [f.text for f in findings]
    summary = slide_of(prs, "Executive summary")
    assert [s.text_frame.text for s in summary.shapes if s.name == "Finding"] == texts
    assert findings.stable in [s.text_frame.text for s in summary.shapes if s.name == "Notes"]

    def first(kind: str) -> str:
        return next(f.text for f in findings if f.kind == kind)

    assert slide_of(prs, "KPI scorecard").shapes.title.text == first("headline")
    assert slide_of(prs, "Trends over time").shapes.title.text == first("change")
    assert slide_of(prs, "Results by segment").shapes.title.text == first("segment")
    assert slide_of(prs, "Against competitors").shapes.title.text == first("competitor")
    # The segment story: the North, then Phone, each against the total.
    assert slide_of(prs, "By Region").shapes.title.text == "North (region) trails the total by 12 points on NPS in 2026 Q3"
    assert slide_of(prs, "By Channel").shapes.title.text == "Phone (channel) trails the total by 18 points on NPS in 2026 Q3"
    assert slide_of(prs, "Key drivers").shapes.title.text == \
        "Resolved first time, Staff knowledge and Waiting time matter most to NPS"
    assert slide_of(prs, "Voice of the customer").shapes.title.text.startswith(
        "Fees and charges draws the most negative comments in 2026 Q3")
    # The quarterly review's headline slide carries the same headline finding.
    assert slide_of(decks["quarterly"], "Headline KPIs").shapes.title.text == first("headline")


def test_recommendations_are_the_narrative_as_bullets(decks):
    prs = decks["client"]
    slides = [s for s in prs.slides if (section_of(s) or "").startswith("Recommendations")]
    text = "\n".join(s.text_frame.text for slide in slides for s in slide.shapes if s.name == "Recommendations")
    for heading in ("1. Fix the queues in the North", "2. Make Phone easier to deal with",
                    "5. Handle small branches and sensitive comments with care"):
        assert heading in text
    assert "<h3>" not in text and "Review staffing at the busiest North" in text
    items = recommendations_of("<p>Intro.</p><h3>1. Do a</h3><p>Why a.</p><ul><li>step</li></ul><h3>2. Do b</h3>")
    assert items == [("", ["Intro."]), ("1. Do a", ["Why a.", "step"]), ("2. Do b", [])]


def test_the_voice_of_the_customer_quotes_masked_verbatims(decks):
    slide = slide_of(decks["client"], "Voice of the customer")
    quotes = [s.text_frame.text for s in slide.shapes if s.name == "Quote"]
    assert len(quotes) == 2 and all(q.startswith("“") for q in quotes)
    assert not any(re.search(r"[\w.]+@[\w.]+", q) for q in quotes)          # personal details masked


# --------------------------------------------------------------------------- native charts


def test_trend_charts_hold_the_scores_json_figures(decks, scores):
    trend = chart(decks["client"], "Chart trend-nps")
    periods = scores["periods"]
    plot = trend.plots[0]
    assert list(plot.categories) == [p["label"] for p in periods]
    assert list(plot.series[0].values) == [shown(p["items"]["nps"]["nps"]["value"], "points") for p in periods]
    assert list(plot.series[1].values) == [scores["targets"]["nps"]["target"]] * len(periods)   # the target line
    assert plot.series[0].data_labels.number_format == number_format("points") == '"+"#,##0;"−"#,##0;#,##0'
    csat = chart(decks["client"], "Chart trend-csat").plots[0]
    assert list(csat.series[0].values) == [shown(p["items"]["csat"]["top2"]["value"], "percent") for p in periods]
    assert csat.series[0].data_labels.number_format == '#,##0"%";"−"#,##0"%";#,##0"%"'
    assert chart(decks["client"], "Chart trend-ces").plots[0].series[0].data_labels.number_format == \
        "#,##0.00;\"−\"#,##0.00;#,##0.00"
    assert trend.value_axis.has_title and trend.value_axis.axis_title.text_frame.text.startswith("NPS")


def test_segment_charts_hold_the_scores_json_figures(decks, scores):
    region = next(s for s in scores["segments"] if s["name"] == "Region")
    bars = slide_of(decks["client"], "By Region")
    plot = next(s.chart for s in bars.shapes if s.has_chart).plots[0]
    assert list(plot.categories) == [g["label"] for g in region["groups"]] + ["Total"]
    assert list(plot.series[0].values) == [shown(g["items"]["nps"]["nps"]["value"], "points")
                                           for g in region["groups"]] + [shown(scores["overall"]["nps"]["nps"]["value"],
                                                                               "points")]
    gaps = chart(decks["client"], "Chart segment-gaps").plots[0]
    total = scores["overall"]["nps"]["nps"]["value"]
    north = next(g for g in region["groups"] if g["label"] == "North")
    values = dict(zip(gaps.categories, gaps.series[0].values))
    # the difference of the figures as printed (+16 against +28: −12), as the slide titles say it
    assert values["Region: North"] == shown(north["items"]["nps"]["nps"]["value"], "points") - shown(total, "points")
    assert len(values) == 10 and list(gaps.series[0].values) == sorted(gaps.series[0].values, reverse=True)
    checked = 0
    for segment in scores["segments"]:                  # every bar: group as printed minus total as printed
        for g in segment["groups"]:
            label = f"{segment['name']}: {g['label']}"
            if label in values:
                value = g["items"]["nps"]["nps"]["value"]
                assert values[label] == shown(value, "points") - shown(total, "points"), label
                checked += 1
    assert checked == 10


def test_competitor_and_driver_charts_hold_the_scores_json_figures(decks, scores):
    survey = next(c for c in scores["competitors"] if c["metric"] == "nps" and c["origin"] == "survey")
    plot = chart(decks["client"], "Chart competitors-0").plots[0]
    brands = sorted(survey["brands"], key=lambda b: -b["value"])
    assert list(plot.categories) == [b["brand"] for b in brands]
    assert list(plot.series[0].values) == [shown(b["value"], "points") for b in brands]
    own = [b["own"] for b in brands].index(True)
    assert str(plot.series[0].points[own].format.fill.fore_color.rgb) == "0B3C5D"      # the client in its colour
    drivers = chart(decks["client"], "Chart drivers").plots[0]
    rows = scores["drivers"]["overall"]["drivers"][:8]
    assert list(drivers.categories) == [r["name"] for r in rows]
    assert list(drivers.series[0].values) == [round(r["importance_pct"], 1) for r in rows]
    priorities = chart(decks["client"], "Chart priorities").plots[0]
    top = scores["priorities"][:len(priorities.categories)]
    assert list(priorities.series[0].values) == [round(p["impact"], 2) for p in top]
    themes = chart(decks["client"], "Chart themes").plots[0]
    coded = {t["theme"]: t for t in scores["comments"]["themes"]}
    for name, negative in zip(themes.categories, themes.series[0].values):
        assert coded[name]["negative"] == negative


# --------------------------------------------------------------------------- filled slides


def uncovered(prs, slide) -> float:
    """The share of a content slide's content area (inside the margins, between the title's
    rule or section line and the footer) that no shape covers, on a 0.05 in grid."""
    shapes = [s for s in slide.shapes if s.name not in ("Title 1", "Section", "Footer", "Slide number", "Rectangle 3")
              and not (s.is_placeholder and s.placeholder_format.type is not None
                       and "TITLE" in s.placeholder_format.type.name)]
    section = next(s for s in slide.shapes if s.name == "Section")
    title = slide.shapes.title
    top = max(section.top + section.height, title.top + title.height if title is not None else 0) / EMU + 0.1
    footer = next(s for s in slide.shapes if s.name == "Footer")
    left, right, bottom = 0.5, prs.slide_width / EMU - 0.5, footer.top / EMU - 0.1
    step = 0.05
    boxes = [(s.left / EMU, s.top / EMU, (s.left + s.width) / EMU, (s.top + s.height) / EMU) for s in shapes]
    total = empty = 0
    y = top + step / 2
    while y < bottom:
        x = left + step / 2
        while x < right:
            total += 1
            if not any(x0 <= x <= x1 and y0 <= y <= y1 for x0, y0, x1, y1 in boxes):
                empty += 1
            x += step
        y += step
    return empty / total


@pytest.mark.parametrize("which", ["client", "quarterly"])
def test_no_slide_is_more_than_a_third_empty(decks, which):
    prs = decks[which]
    for k, slide in enumerate(list(prs.slides)[1:], start=2):
        share = uncovered(prs, slide)
        assert share <= MOST_EMPTY, f"{which} slide {k} ({section_of(slide)}): {share:.0%} empty"


def test_the_old_half_empty_layout_would_fail():
    """The measure catches a slide like the old scorecard slide: a table over the top half."""
    from pptx.util import Inches

    prs = Presentation()
    prs.slide_width, prs.slide_height = Emu(12192000), Emu(6858000)
    slide = prs.slides.add_slide(prs.slide_layouts[5])
    slide.shapes.title.top, slide.shapes.title.height = Inches(0.6), Inches(0.86)
    for name, top, height in (("Section", 0.28, 0.26), ("Footer", 7.02, 0.22)):
        box = slide.shapes.add_textbox(Inches(0.5), Inches(top), Inches(11), Inches(height))
        box.name = name
    slide.shapes.add_table(4, 4, Inches(0.5), Inches(1.7), Inches(12.33), Inches(2.4))
    assert uncovered(prs, slide) > MOST_EMPTY


# --------------------------------------------------------------------------- the client template


def make_template(path: Path, accent1: str = "7A1F5C", accent2: str = "E0A526", major: str = "DejaVu Serif",
                  minor: str = "DejaVu Sans") -> Path:
    """A client template: python-pptx's default (4:3) with its theme's colours and fonts
    changed, its layouts renamed, and an example slide of its own (which the deck drops)."""
    prs = Presentation()
    part = prs.slide_master.part.part_related_by(RT.THEME)
    xml = part.blob.decode("utf-8")
    xml = re.sub(r'(<a:accent1>\s*<a:srgbClr val=")[0-9A-Fa-f]{6}', r"\g<1>" + accent1, xml)
    xml = re.sub(r'(<a:accent2>\s*<a:srgbClr val=")[0-9A-Fa-f]{6}', r"\g<1>" + accent2, xml)
    xml = re.sub(r'(<a:majorFont>\s*<a:latin typeface=")[^"]*', r"\g<1>" + major, xml)
    xml = re.sub(r'(<a:minorFont>\s*<a:latin typeface=")[^"]*', r"\g<1>" + minor, xml)
    part._blob = xml.encode("utf-8")
    names = {"Title Slide": "Client cover", "Title Only": "Client headline", "Title and Content": "Client body"}
    for layout in prs.slide_layouts:
        layout.name = names.get(layout.name, layout.name)
    slide = prs.slides.add_slide(prs.slide_layouts[0])
    slide.shapes.title.text = "Template example slide"
    path.parent.mkdir(parents=True, exist_ok=True)
    prs.save(path)
    return path


def _build_with_template(project_file: Path, out: Path, template: str) -> Path:
    """Build the deck with ``report.deck.template`` set in the project file."""
    import yaml

    from cxreport.build import build

    data = yaml.safe_load(project_file.read_text(encoding="utf-8"))
    data.setdefault("report", {})["deck"] = {"template": template}
    project_file.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return build(project_file, out, formats=("pptx",)).paths["pptx"]


def test_a_client_template_gives_its_layouts_colours_and_fonts(tmp_path, make_project):
    rows = default_rows(400)
    project = make_project(tmp_path, csv_text(rows), report={"title": "Template test"})
    make_template(tmp_path / "brand" / "template.pptx")
    prs = Presentation(_build_with_template(project, tmp_path / "out", "brand/template.pptx"))
    assert (prs.slide_width, prs.slide_height) == (Emu(9144000), Emu(6858000))      # the template's 4:3
    assert "Template example slide" not in titles(prs)                               # its own slides dropped
    layouts = [s.slide_layout.name for s in prs.slides]
    assert layouts[0] == "Client cover" and set(layouts[1:]) == {"Client headline"}
    assert titles(prs)[0] == "Template test"
    kpis = slide_of(prs, "KPI scorecard")
    header = next(s for s in kpis.shapes if s.has_table).table.rows[0].cells[0]
    assert str(header.fill.fore_color.rgb) == "7A1F5C"                                # theme accent 1
    body_fonts = {r.font.name for s in kpis.shapes if s.has_text_frame and not s.is_placeholder
                  for p in s.text_frame.paragraphs for r in p.runs}
    assert body_fonts == {"DejaVu Sans"}                                              # the theme's body font
    title_run = kpis.shapes.title.text_frame.paragraphs[0].runs[0]
    assert title_run.font.name == "DejaVu Serif" and title_run.font.color.type is None   # the layout's title style
    assert_inside(prs)


@pytest.mark.parametrize("name, content, message", [
    ("brand/missing.pptx", None, "deck template not found: brand/missing.pptx"),
    ("brand/template.potx", b"PK", "the deck template must be a PowerPoint .pptx file"),
    ("brand/template.pptx", b"not a zip", "not a valid PowerPoint .pptx file"),
])
def test_a_wrong_template_is_a_one_line_error_naming_the_key(tmp_path, make_project, name, content, message):
    """``report.deck.template`` is checked with the project file, by ``validate`` and ``build`` alike."""
    import yaml

    project = make_project(tmp_path, csv_text(default_rows(80)))
    if content is not None:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(content)
    data = yaml.safe_load(project.read_text(encoding="utf-8"))
    data.setdefault("report", {})["deck"] = {"template": name}
    project.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    for command in (["validate", str(project)], ["build", str(project), "-o", str(tmp_path / "out"),
                                                  "--format", "pptx"]):
        result = CliRunner().invoke(cli, command)
        assert result.exit_code != 0
        lines = [line for line in result.output.splitlines() if "report.deck.template" in line]
        assert len(lines) == 1 and message in lines[0], result.output
    assert not (tmp_path / "out" / "report.pptx").exists()


# --------------------------------------------------------------------------- logo, headers, demo


def test_the_sample_svg_logo_is_in_the_deck(tmp_path, make_project):
    project = make_project(tmp_path, csv_text(default_rows(80)),
                           files={"brand/logo.svg": HUAYUE_LOGO.read_bytes()},
                           client={"name": "华悦零售", "logo": "brand/logo.svg"})
    _build([str(project), "-o", str(tmp_path / "out"), "--format", "pptx"])
    prs = Presentation(tmp_path / "out" / "report.pptx")
    logo = next(s for s in prs.slides[0].shapes if s.shape_type == 13)
    assert logo.name == "Logo" and logo.image.content_type == "image/png"
    width, height = logo.image.size
    assert width >= 600 and abs(width / height - 658 / 220) < 0.02                 # the SVG's own proportions


def test_svg_to_png_refuses_what_the_logo_check_refuses(tmp_path):
    from cxreport.images import svg_to_png

    bad = tmp_path / "bad.svg"
    bad.write_text('<svg xmlns="http://www.w3.org/2000/svg"><image href="http://example.com/x.png"/></svg>',
                   encoding="utf-8")
    with pytest.raises(ValueError, match="external resource"):
        svg_to_png(bad)
    png = svg_to_png(HUAYUE_LOGO, 300)
    assert png.startswith(b"\x89PNG")


def test_chinese_headers_break_between_words_only():
    m = Metrics("Noto Sans")
    assert m.header_lines("95% 置信区间", 14) == "95%\n置信区间"
    assert m.header_lines("vs 2026 Q2", 14) == "vs\n2026 Q2"
    assert m.header_lines("样本量", 14) == "样本量"                                    # a short word stays whole
    from cxreport.present.deck import Cell

    rows = [[Cell("指标", bold=True), Cell("95% 置信区间", bold=True)], [Cell("净推荐值 NPS"), Cell("+24 至 +29")]]
    widths = m.column_widths(rows, 6.0, 14, fill=False)
    assert widths[1] >= m.width("置信区间", 14, True)                               # room for the whole word


def test_demo_accepts_every_build_format(tmp_path):
    result = CliRunner().invoke(cli, ["demo", "-o", str(tmp_path), "--format", "xlsx,pptx"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "report.xlsx").is_file() and (tmp_path / "report.pptx").is_file()
    assert not (tmp_path / "report.html").exists() and not (tmp_path / "report.pdf").exists()
    assert "PPTX: " in result.output and "XLSX: " in result.output
    result = CliRunner().invoke(cli, ["demo", "-o", str(tmp_path), "--format", "ppt"])
    assert result.exit_code == 2 and "unknown format 'ppt'" in result.output


# --------------------------------------------------------------------------- chart craft


def _decimals_of(fmt: str) -> int:
    found = re.search(r"0\.(0+)", fmt.split(";")[0])
    return len(found.group(1)) if found else 0


def test_every_value_axis_tick_prints_exactly(decks):
    """No axis whose ticks the number format rounds (a step of 2.5 printed '73%' for 72.5)."""
    from pptx.oxml.ns import qn

    checked = 0
    for prs in decks.values():
        for slide in prs.slides:
            for shape in slide.shapes:
                if not shape.has_chart:
                    continue
                axis = shape.chart.value_axis
                fmt = axis._element.find(qn("c:numFmt")).get("formatCode")
                unit = 10 ** -_decimals_of(fmt)
                for value in (axis.major_unit, axis.minimum_scale, axis.maximum_scale):
                    if value is not None:
                        assert abs(value / unit - round(value / unit)) < 1e-6, (shape.name, value, fmt)
                checked += 1
    assert checked >= 10
    csat = chart(decks["client"], "Chart trend-csat").value_axis
    assert csat.major_unit == 5 and csat.minimum_scale == 65


def test_axis_ticks_move_to_a_step_the_format_shows():
    from cxreport.present.deck_charts import shown_ticks

    assert shown_ticks(67.5, 82.5, 2.5, number_format("percent")) == (65, 85, 5)
    assert shown_ticks(4.9, 5.3, 0.1, number_format("mean")) == (4.9, 5.3, 0.1)        # 5.00, 5.10: exact
    assert shown_ticks(0, 1.5, 0.25, number_format("points")) == (0, 2, 1)


def _label_deleted(series, k: int) -> bool:
    from pptx.oxml.ns import qn

    for dlbl in series._element.iter(qn("c:dLbl")):
        if dlbl.find(qn("c:idx")).get("val") == str(k):
            return dlbl.find(qn("c:delete")) is not None
    return False


def test_stacked_segments_too_narrow_for_their_label_show_none(decks):
    """The comment themes: a segment of 1 comment carries no label squeezed over its neighbours;
    the wide segments keep theirs (their data stay in the chart)."""
    plot = chart(decks["client"], "Chart themes").plots[0]
    deleted = kept = 0
    high = plot.chart.value_axis.maximum_scale
    for series in plot.series:
        for k, value in enumerate(series.values):
            if _label_deleted(series, k):
                deleted += 1
                assert value / high < 0.1, (series.name, k, value)
            else:
                kept += 1
                assert value / high >= 0.04, (series.name, k, value)
    assert deleted and kept


def _line_deck(values, target, width=4.0, height=2.7):
    from cxreport.present.deck_charts import ChartMaker, Series

    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    maker = ChartMaker("Lato", "Noto Sans CJK SC", "en")
    series = [Series("CES", values, "0B3C5D"), Series("Target", [target] * len(values), "E07A1F", labels=False,
                                                        dashed=True, markers=False)]
    frame = maker.line(slide, 0.5, 0.5, width, height, name="Chart t", alt="t",
                       categories=[f"2026 Q{k + 1}" if k < 4 else f"2027 Q{k - 3}" for k in range(len(values))],
                       series=series, fmt=number_format("mean"), axis_title="CES", low=4.9, high=5.3, step=0.1)
    return frame.chart.plots[0].series[0]


def test_a_label_under_the_target_line_goes_below_its_point():
    """CES 4.96 just under a target of 5.00: its label above would sit on the dashed line."""
    from pptx.oxml.ns import qn

    plotted = _line_deck([4.96, 5.02, 5.06, 5.20], 5.0)
    positions = {dlbl.find(qn("c:idx")).get("val"): dlbl.find(qn("c:dLblPos")).get("val")
                 for dlbl in plotted._element.iter(qn("c:dLbl"))}
    assert positions == {"0": "b"}                         # only the point under the line
    dlbl = next(plotted._element.iter(qn("c:dLbl")))
    assert dlbl.find(qn("c:numFmt")).get("formatCode") == number_format("mean")


def test_crowded_line_labels_keep_the_last_first_and_extremes():
    """Eight periods in a narrow chart (a 4:3 template's third of a slide): the labels that
    would run into each other are left out; the current figure is always labelled."""
    from cxreport.present.deck_charts import crowded_labels

    values = [71, 72, 73, 71, 73, 72, 75, 74]
    assert crowded_labels(values, 4.0, 12, number_format("percent")) == []           # room for all
    hidden = crowded_labels(values, 2.9, 12, number_format("percent"))
    assert 7 not in hidden and 0 not in hidden and set(hidden) == {1, 2, 3, 4, 5, 6}   # 75 (max) is beside 74
    plotted = _line_deck([5.05, 5.07, 4.98, 5.02, 5.07, 5.07, 5.16, 5.2], 4.0, width=2.6)
    assert [k for k in range(8) if _label_deleted(plotted, k)] == [1, 3, 4, 5, 6]      # 4.98, the lowest, kept


def test_recommendation_columns_are_balanced_and_owners_stand_out(tmp_path, make_project):
    """Columns split where their heights even out (not by count: one long recommendation
    beside three short ones), and a paragraph 'Owner: …' is the item's owner line."""
    long = " ".join(["Review the staffing of the busiest branches at peak hours."] * 9)
    text = (f"### 1. Fix the queues\n\n{long}\n\nOwner: Head of Branch Network\n\n"
            "### 2. Call back\n\nOffer a call-back.\n\n### 3. Keep it\n\nKeep fixing first time.\n\n"
            "### 4. Build on the App\n\nShip monthly.\n")
    project = make_project(tmp_path, csv_text(default_rows(120)), files={"narrative/recommendations.md": text},
                           report={"narrative": {"recommendations": "narrative/recommendations.md"}})
    _build([str(project), "-o", str(tmp_path / "out"), "--format", "pptx"])
    prs = Presentation(tmp_path / "out" / "report.pptx")
    slide = slide_of(prs, "Recommendations")
    columns = sorted((s for s in slide.shapes if s.name == "Recommendations"), key=lambda s: s.left)
    assert len(columns) == 2
    first = [p.text for p in columns[0].text_frame.paragraphs if p.text]
    second = [p.text for p in columns[1].text_frame.paragraphs if p.text]
    assert first[0] == "1. Fix the queues" and not any(t.startswith("2.") for t in first)
    assert second[0] == "2. Call back" and "4. Build on the App" in second
    owner = next(p for p in columns[0].text_frame.paragraphs if p.text.startswith("Owner:"))
    assert owner.runs[0].font.bold is True
    assert_inside(prs)


def test_the_tool_is_named_in_the_file_properties_only(decks):
    """No "Produced with cxreport" or project file name on a slide; the file's properties are
    the report's (not python-pptx's defaults: 'generated using python-pptx', its author)."""
    for prs in decks.values():
        text = " ".join(s.text_frame.text for slide in prs.slides for s in slide.shapes if s.has_text_frame)
        assert "cxreport" not in text.lower() and "responses.csv" not in text
        props = prs.core_properties
        assert props.comments.startswith("Produced with cxreport ")
        assert "python-pptx" not in props.title and props.last_modified_by != "Steve Canny"
        assert props.author == "Northlight Research"
    assert decks["client"].core_properties.title == "Customer Experience Tracker"
