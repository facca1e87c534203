"""The Chinese outputs beyond the polished client report (issue 6): the quarterly review's
HTML, the PowerPoint deck and Excel workbook of both reports of samples/huayue-retail, and
a mystery-shopping programme in Chinese. What a Chinese reader would notice is checked:
English left over from the templates or the code, sheet names Excel refuses or leaves in
English, slide titles and table text measured too narrow to fit, visit dates still in ISO
form, fixed words (yes/no, tiers, units, the scoring method) in English."""

from __future__ import annotations

import json
import re
from pathlib import Path

import openpyxl
import pytest
import yaml
from bs4 import BeautifulSoup
from click.testing import CliRunner
from pptx import Presentation
from pptx.oxml.ns import qn

from cxreport import i18n
from cxreport.cli import cli
from cxreport.present.charts import CJK_FONT
from cxreport.present.deck import Metrics
from cxreport.present.workbook import _sheet_name

from shop_helpers import numeric, section, write_programme, yes_no

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
HUAYUE = REPO / "samples" / "huayue-retail" / "cxreport.yaml"
CJK = re.compile(r"[\u4e00-\u9fff]")
WORD = re.compile(r"[A-Za-z]{2,}")
#: Latin words a Chinese report keeps: KPI abbreviations, the ACSI name, the tool's name, the
#: names of statistical methods, and the sample's own data (App is a channel and attribute name).
KEPT = {"NPS", "CSAT", "CES", "ACSI", "cxreport", "Shapley", "LMG", "Wald", "Wilson", "Kish", "Welch", "Johnson",
        "Benjamini", "Hochberg", "Bonferroni", "Cronbach", "App", "RFM", "G"}
#: A banner table's column letters (A, B, C …; "ACD": higher than columns A, C and D) are
#: Latin letters in a Chinese table too, as SPSS and Q print them.
LETTERS = re.compile(r"^[A-Z]{1,26}$")
#: What Excel refuses in a sheet name.
FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _build(report: str, formats: tuple[str, ...], out: Path):
    from cxreport.build import build

    return build(HUAYUE, out, formats=formats, report=report)


@pytest.fixture(scope="module")
def quarterly(tmp_path_factory):
    return _build("quarterly", ("html", "pptx", "xlsx"), tmp_path_factory.mktemp("zh-quarterly"))


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    return _build("client", ("pptx", "xlsx"), tmp_path_factory.mktemp("zh-client"))


def _data_words(result) -> set[str]:
    """Latin words that are data: the published benchmarks' sources, periods, credits and ids."""
    text = " ".join(f"{b.standard.source} {b.standard.period} {b.standard.credit} {b.standard.id}"
                    for b in result.study.benchmarks)
    if result.study.actions is not None:     # the client's action register: ids, titles and owners are data
        text += " ".join(f" {r.action.id} {r.action.title} {r.action.owner}" for r in result.study.actions.results)
    return set(WORD.findall(text))


def _visible_text(html: str) -> str:
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style"]):
        tag.decompose()
    attributes = [tag.get(name) for name in ("alt", "title", "aria-label") for tag in soup.find_all(attrs={name: True})]
    return soup.get_text(" ") + " " + " ".join(str(a) for a in attributes)


# --------------------------------------------------------------------------- the quarterly review (HTML)


def test_quarterly_html_has_no_english_from_the_templates_or_the_code(quarterly):
    text = _visible_text(quarterly.paths["html"].read_text(encoding="utf-8"))
    left = set(WORD.findall(text)) - KEPT - _data_words(quarterly)
    assert not left, f"English words in the Chinese quarterly review: {sorted(left)}"


def test_quarterly_html_has_no_untranslated_catalog_message(quarterly):
    """No piece of an English source message (three words or more between placeholders)
    appears in the Chinese page: every template and generated string went through the catalog."""
    text = re.sub(r"\s+", " ", _visible_text(quarterly.paths["html"].read_text(encoding="utf-8")))
    for b in quarterly.study.benchmarks:                 # the benchmarks' own words are data
        for data in (b.standard.source, b.standard.credit, str(b.standard.period)):
            text = text.replace(data, "")
    found = []
    for message in i18n.extract():
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        for piece in re.split(r"%\([a-z0-9_]+\)s|\{[a-z0-9_]+\}|%%", msgid or ""):
            piece = piece.strip(" .,;:()—–-")
            if len(WORD.findall(piece)) >= 3 and piece in text:
                found.append(piece)
    assert not found, found


def test_quarterly_html_library_words_and_punctuation_are_chinese(quarterly):
    soup = BeautifulSoup(quarterly.paths["html"].read_text(encoding="utf-8"), "html.parser")
    text = soup.get_text(" ")
    assert "零售，美国（其他国家，仅供参考）" in text        # the client is a Chinese retailer (client.country: CN)
    tiers = next(t for t in soup.find_all("table") if "差异化" in t.get_text())
    # the window's tier in Chinese (2026 Q4: NPS +31, differentiated), never the English word
    assert re.search("基础|差异化|卓越|未达基础", tiers.find("tbody").get_text())
    assert not re.search(r"\b(basic|differentiated|excellent)\b", tiers.get_text())
    priorities = soup.select("ol.priorities li")
    assert priorities and all(re.search(r"— \S+。", li.get_text()) for li in priorities), \
        [li.get_text() for li in priorities]
    # Each mover's name is whole and its kind (门店, 区域) sits on its own line.
    kinds = soup.select("th .unit-kind")
    assert kinds and {k.get_text() for k in kinds} <= {"门店", "区域", "渠道"}
    assert all(k.find_previous_sibling(class_="unit-name") for k in kinds)


# --------------------------------------------------------------------------- the workbooks


@pytest.mark.parametrize("which", ["quarterly", "client"])
def test_chinese_workbook_sheet_names_are_valid_and_translated(which, request):
    result = request.getfixturevalue(which)
    wb = openpyxl.load_workbook(result.paths["xlsx"])
    names = wb.sheetnames
    assert len({n.lower() for n in names}) == len(names)
    for name in names:
        assert 0 < len(name) <= 31 and not FORBIDDEN.search(name), name
        assert not name.startswith("'") and not name.endswith("'") and name.lower() != "history", name
        assert CJK.search(name), f"sheet name not translated: {name}"
    assert names[0] == "目录" and names[-1] == "定义" and "按期间" in names
    competitor = [n for n in names if n.startswith("竞品")]
    assert competitor and not any(re.search(r" \d+$", n) for n in competitor), competitor
    # The contents sheet links every table sheet.
    linked = [c.value for c in wb["目录"]["A"] if c.hyperlink is not None]
    assert linked == names[1:-1]


@pytest.mark.parametrize("which", ["quarterly", "client"])
def test_chinese_workbook_text_cells_are_chinese(which, request):
    """Headers, units, statuses, effort, what a gap is measured to and sources are in Chinese;
    only the KPI abbreviations and the published benchmarks' own English stay."""
    result = request.getfixturevalue(which)
    wb = openpyxl.load_workbook(result.paths["xlsx"])
    allowed = KEPT | _data_words(result)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and not LETTERS.match(cell.value):
                    left = set(WORD.findall(cell.value)) - allowed
                    assert not left, f"{ws.title}!{cell.coordinate}: {cell.value!r}"
    overall = list(wb["总体指标"].iter_rows(min_row=2, values_only=True))
    assert {r[4] for r in overall} <= {"分", "百分比", "平均分"}
    assert {r[8] for r in overall if r[8]} <= {"达到目标", "接近目标", "低于目标"}
    assert wb["按期间"]["A1"].value == "期间"


def test_sheet_names_excel_accepts():
    used: set[str] = set()
    names = [_sheet_name(text, used) for text in
             ["By region", "by REGION", "'Quoted'", "a/b:c*d?[e]\\f", "History", "x" * 40, "x" * 40, "   "]]
    assert names[:2] == ["By region", "by REGION 2"]
    assert names[2] == "Quoted" and names[3] == "a b c d e f" and names[4] == "History 1"
    assert names[5] == "x" * 28 and names[6] == "x" * 25 + " 2" and names[7] == "Sheet"
    assert all(len(n) <= 31 and not FORBIDDEN.search(n) for n in names)


# --------------------------------------------------------------------------- the decks


@pytest.mark.parametrize("which", ["quarterly", "client"])
def test_chinese_deck_titles_and_runs(which, request):
    result = request.getfixturevalue(which)
    prs = Presentation(result.paths["pptx"])
    titles = [s.shapes.title.text for s in prs.slides if s.shapes.title is not None]
    assert len(titles) >= 6 and all(CJK.search(t) for t in titles), titles
    # Content slides: no English. Action titles are findings, so they name KPIs and data (净推荐值 NPS, App).
    left = {w for t in titles[1:] for w in WORD.findall(t)} - KEPT - _data_words(result)
    assert not left, (sorted(left), titles)
    runs = [r for s in prs.slides for shape in s.shapes if shape.has_text_frame
            for p in shape.text_frame.paragraphs for r in p.runs]
    for run in runs:
        rpr = run._r.find(qn("a:rPr"))
        assert rpr.find(qn("a:ea")).get("typeface") == CJK_FONT and rpr.get("lang") == "zh-CN", run.text
    text = "\n".join(r.text for r in runs)
    assert "委托方：" in text and "编制方：" in text and not re.search(r"为 \S+ 编制", text)
    assert re.search(r"净推荐值 NPS：推荐者", text), "definitions use the full-width colon"


def test_chinese_text_is_measured_one_em_a_character():
    """python-pptx cannot measure text, so the deck does: Chinese must come out as wide and
    as tall as it renders (the brand font has no CJK glyphs; measuring with it made tables
    overflow their slides)."""
    m = Metrics("Noto Sans")
    em = 10 / 72                                                   # inches at 10 pt
    assert m.width("净推荐值", 10) >= 4 * em
    assert m.width("abcd", 10) < 4 * em * 0.8
    sentence = "对办理很容易的平均认同度分数越高越省力" * 2           # 38 characters, no spaces
    assert m.lines(sentence, 10 * em, 10) >= 4                      # breaks between characters
    assert m.lines("净推荐值 NPS", 20 * em, 10) == 1
    assert m.height([("净推荐值", 10, False)], 10 * em) >= 1.4 * em  # the CJK face's line pitch


# --------------------------------------------------------------------------- a Chinese mystery-shopping programme


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    folder = tmp_path_factory.mktemp("zh-shop")
    path = write_programme(folder, [section("s1", [yes_no("Q1"), yes_no("Q2", na_allowed=True),
                                                  numeric("Q3", standard="phone_answer", unit="seconds",
                                                          channels=["phone"])])],
                           scoring={"pass_mark": 80, "bands": [{"name": "Good", "min": 80}, {"name": "Poor", "min": 0}]},
                           standards={"tiers": {"basic": 60, "differentiated": 80, "excellent": 95},
                                      "response_times": {"phone_answer": {"channel": "phone", "max": 20,
                                                                          "unit": "seconds", "label": "Phone within 20 s"}}})
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["programme"]["language"] = "zh-CN"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    visits = [
        {"visit_id": "V1", "location_id": "L1", "shopper_id": "SH-11", "wave": "W1", "channel": "branch",
         "visit_date": "2026-01-05", "start_time": "10:00", "end_time": "10:20", "answers": {"Q1": "yes", "Q2": "n/a"}},
        {"visit_id": "V2", "location_id": "L2", "shopper_id": "SH-12", "wave": "W1", "channel": "phone",
         "visit_date": "2026-01-28", "answers": {"Q1": "no", "Q2": "yes", "Q3": "14"}},
    ]
    files = []
    for v in visits:
        files.append(folder / f"{v['visit_id']}.json")
        files[-1].write_text(json.dumps(v), encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(cli, ["shop", "submit", str(path), *map(str, files)])
    assert result.exit_code == 0, result.output
    out = folder / "out"
    result = runner.invoke(cli, ["shop", "report", str(path), "-o", str(out), "--scoresheets", "--locations",
                                 "--format", "html", "-j", "1"])
    assert result.exit_code == 0, result.output
    return out


def _page_text(path: Path) -> str:
    return re.sub(r"\s+", " ", BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser").get_text(" "))


def test_chinese_scoresheet_dates_answers_and_fixed_words(shop):
    text = _page_text(shop / "scoresheets" / "scoresheet-V1.html")
    assert "2026年1月5日" in text and "2026-01-05" not in text
    assert "是" in text and "不适用" in text and not re.search(r"\b(yes|no|n/a)\b", text)
    assert "计分方式：总分合计" in text and "pooled" not in text
    assert re.search(r"等级：Good · 服务层级：(基础|差异化|卓越|未达基础)", text), text
    phone = _page_text(shop / "scoresheets" / "scoresheet-V2.html")
    assert "2026年1月28日" in phone and "否" in phone


def test_chinese_location_report_dates(shop):
    html = (shop / "locations" / "location-L1.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")
    cell = next(td for td in soup.find_all("td") if "2026年1月5日" in td.get_text())
    assert cell["data-sort"] == "2026-01-05"                        # the visits table still sorts by date
    assert "2026-01-05" not in soup.get_text()


def test_chinese_programme_summary_punctuation_and_units(shop):
    text = _page_text(shop / "programme-summary.html")
    assert "等级：Good ≥ 80%；Poor < 80%。" in text
    assert "服务层级：基础 ≥ 60%，差异化 ≥ 80%，卓越 ≥ 95%。" in text
    assert re.search(r"14\.0 秒", text) and "seconds" not in text
