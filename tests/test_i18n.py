"""Report languages: the gettext catalogs, locale formatting per build, and a Chinese
report built end to end (HTML text, PDF fonts and glyph coverage, charts)."""

from __future__ import annotations

import collections
import datetime as dt
import random
import re
import warnings
from pathlib import Path

import pypdf
import pytest
from babel.messages.pofile import read_po
from bs4 import BeautifulSoup

from cxreport import i18n
from cxreport.present import formatting as fmt
from cxreport.present.render import long_date
from table_project import write_project

# --------------------------------------------------------------------------- catalogs


@pytest.fixture(scope="module")
def extracted():
    return i18n.extract()


@pytest.fixture(scope="module")
def zh_po():
    with open(i18n.catalog_path("zh_CN"), "rb") as handle:
        return read_po(handle, locale="zh_CN")


def test_extraction_finds_template_and_python_messages(extracted):
    files = {loc[0] for m in extracted for loc in m.locations}
    ids = {m.id for m in extracted}
    assert any(f.startswith("templates/") for f in files) and any(f.startswith("cxreport/") for f in files)
    assert {"Executive summary", "{kpi} is {value} in {period}.", "NPS", "Concentrate here", "Page {page} of {pages}",
            "Shaded bands: 95%% intervals. Dashed line: target. Points are coloured by their status against the "
            "target (green on target, amber near, red below)."} <= ids
    assert len(ids) > 300


def test_every_message_has_a_chinese_translation_with_its_placeholders(extracted, zh_po):
    problems = [p for p in i18n.problems() if "out of date" not in p]
    assert problems == []
    for message in extracted:
        if not message.id:
            continue
        translated = zh_po.get(message.id)
        assert translated is not None, message.id
        for string in _forms(translated.string):       # a plural message: each of its forms
            assert string.strip(), message.id
            # Chinese characters or punctuation; two column labels are the same in both languages
            assert re.search(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]", string) \
                or message.id in ("Shapley/LMG %", "%(k)s of %(n)s"), message.id


def _forms(string) -> list[str]:
    return list(string) if isinstance(string, (tuple, list)) else [string]


def test_template_translations_survive_jinja_percent_formatting(extracted, zh_po):
    """Jinja formats every template message with %: a lone % in a translation would fail the build."""
    names = re.compile(r"%\((\w+)\)[sd]")
    for message in extracted:
        if not any(loc[0].startswith("templates/") for loc in message.locations):
            continue
        values = collections.defaultdict(lambda: "X")
        source = message.id[0] if isinstance(message.id, (tuple, list)) else message.id
        for translated in _forms(zh_po.get(message.id).string):
            assert translated % values is not None, message.id
            assert set(names.findall(translated)) == set(names.findall(" ".join(_forms(message.id)))), message.id
            assert ("%%" in translated) or ("%%" not in source) or "%" not in (source % values), message.id


def test_the_pot_is_current(extracted):
    assert i18n.POT.read_text(encoding="utf-8") == i18n.pot_text(extracted), \
        "run `python -m cxreport.i18n extract` then `python -m cxreport.i18n update`"


def test_the_check_fails_when_a_string_is_added_without_updating(monkeypatch, extracted):
    original = i18n.extract

    def with_new_message():
        catalog = original()
        catalog.add("A brand-new sentence about {kpi}.", None, [("cxreport/present/findings.py", 1)])
        return catalog

    monkeypatch.setattr(i18n, "extract", with_new_message)
    found = i18n.problems()
    assert any("out of date" in p for p in found)
    assert any("no translation of 'A brand-new sentence about {kpi}.'" in p for p in found)
    assert i18n.main(["check"]) == 1


def test_the_check_catches_a_lost_placeholder(monkeypatch, tmp_path):
    po = i18n.catalog_path("zh_CN").read_text(encoding="utf-8")
    broken = po.replace('msgstr "{period}的{kpi}为 {value}。"', 'msgstr "{period}的{kpi}。"')
    assert broken != po
    (tmp_path / "zh_CN" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "zh_CN" / "LC_MESSAGES" / "cxreport.po").write_text(broken, encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    found = i18n.problems()
    assert any("placeholders of '{kpi} is {value} in {period}.'" in p for p in found), found


def test_gettext_follows_the_language_block_and_restores_it():
    assert i18n._("Key findings") == "Key findings"
    with i18n.use_language("zh-CN") as lang:
        assert lang.code == "zh-CN" and lang.cjk
        assert i18n._("Key findings") == "主要发现"
        assert i18n._("NPS") == "净推荐值 (NPS)"
        with i18n.use_language("en"):
            assert i18n._("Key findings") == "Key findings"
        assert i18n._("Key findings") == "主要发现"
    assert i18n._("Key findings") == "Key findings"
    assert i18n._("a sentence no catalog has") == "a sentence no catalog has"


@pytest.mark.parametrize("code, canonical", [("zh", "zh-CN"), ("zh-CN", "zh-CN"), ("zh_CN", "zh-CN"),
                                             ("ZH-cn", "zh-CN"), ("zh-Hans", "zh-CN"), ("en-GB", "en")])
def test_language_aliases(code, canonical):
    assert i18n.normalise(code) == canonical


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="'fr' is not a supported report language"):
        i18n.normalise("fr")


def test_i18n_command_line(capsys):
    assert i18n.main(["check"]) == 0
    assert i18n.main(["nonsense"]) == 2
    assert "extract|update|check" in capsys.readouterr().err


# --------------------------------------------------------------------------- formatting


def test_english_figures_are_unchanged():
    assert fmt.num(1234567.891) == "1,234,568"
    assert fmt.num(-1234.5, 1) == "\u22121,234.5"
    assert fmt.signed(6.4) == "+6" and fmt.signed(-3.2) == "\u22123" and fmt.signed(0.2) == "0"
    assert fmt.pct(75.44, 1) == "75.4%"
    assert fmt.gap(2.13, "percent") == "+2 pts"          # percentages are whole: so are their differences
    assert long_date(dt.date(2026, 11, 23)) == "23 November 2026"


def test_chinese_figures_and_dates():
    with i18n.use_language("zh-CN"):
        assert fmt.num(1234567.891) == "1,234,568"
        assert fmt.pct(75.44, 1) == "75.4%"
        assert fmt.signed(-3.2) == "\u22123" and fmt.figure(25.0, "points") == "+25"
        assert fmt.gap(2.13, "percent") == "+2 个百分点"
        assert long_date(dt.date(2026, 11, 23)) == "2026年11月23日"
        assert "显著较高" in fmt.cell({"value": 30.0, "unit": "points", "base": "ok", "mark": 1})


def test_grouping_and_percent_sign_come_from_the_locale():
    from babel import Locale

    assert fmt.localise("1234567.25", Locale.parse("de")) == "1.234.567,25"
    assert fmt.localise("1234567.25", Locale.parse("hi")) == "12,34,567.25"       # 3-then-2 grouping
    assert fmt.localise("123.5", Locale.parse("fr")) == "123,5"
    prefix, suffix = fmt._symbols(Locale.parse("tr"))[4:]
    assert (prefix, suffix) == ("%", "")                                            # Turkish: %75
    assert fmt._symbols(Locale.parse("de"))[4:] == ("", "\u00a0%")


def test_period_labels_follow_the_language():
    import pandas as pd

    from cxreport.periods import assign_periods

    dates = pd.Series(pd.to_datetime(["2026-02-10", "2026-05-03"]))
    assert [p.label for p in assign_periods(dates, "quarter")[1]] == ["2026 Q1", "2026 Q2"]
    with i18n.use_language("zh-CN"):
        assert [p.label for p in assign_periods(dates, "quarter")[1]] == ["2026年第1季度", "2026年第2季度"]
        assert [p.label for p in assign_periods(dates, "month")[1]] == ["2026年2月", "2026年5月"]
    assert [p.label for p in assign_periods(dates, "month")[1]] == ["Feb 2026", "May 2026"]


# --------------------------------------------------------------------------- schema


def test_project_language_accepts_zh_and_stores_zh_cn(tmp_path):
    from cxreport.config import load_project

    path = _chinese_project(tmp_path / "p", language="zh")
    assert load_project(path).language == "zh-CN"


def test_project_language_rejects_an_unknown_language(tmp_path):
    from cxreport.config import load_project
    from cxreport.errors import ConfigError

    path = _chinese_project(tmp_path / "p", language="fr")
    with pytest.raises(ConfigError) as info:
        load_project(path)
    assert "language" in str(info.value) and "zh-CN" in str(info.value)


# --------------------------------------------------------------------------- a Chinese report

REGIONS = ["华东", "华北", "华南"]
CHANNELS = ["门店", "线上商城"]
COMMENTS = ["店员很热情，结账也很快。", "排队时间太长了，希望多开几个收银台。", "商品种类丰富，价格合理。",
            "退货流程太复杂，等了很久。", "环境干净整洁，会推荐给朋友。"]


def _chinese_project(folder: Path, language: str = "zh-CN", n: int = 150) -> Path:
    rng = random.Random(6)
    rows = []
    for i in range(n):
        rows.append([f"C{i:04d}", f"2026-{1 + i % 6:02d}-{1 + i % 27:02d}", REGIONS[i % 3], CHANNELS[i % 2],
                     rng.randint(3, 10), rng.randint(2, 5), rng.randint(2, 5), COMMENTS[i % len(COMMENTS)]])
    columns = {"respondent_id": "id", "date": "date", "comment": "comment", "nps": "nps",
               "csat": {"column": "csat", "scale": 5},
               "attributes": {"服务态度": {"column": "staff", "scale": "1-5"}},
               "segments": {"区域": "region", "渠道": "channel"}}
    return write_project(folder, columns, ["id", "date", "region", "channel", "nps", "csat", "staff", "comment"],
                         rows, language=language, client={"name": "华悦零售"},
                         bases={"suppress_below": 5, "flag_below": 20},
                         report={"title": "客户体验追踪", "date": "2026-11-23"})


@pytest.fixture(scope="module")
def chinese_build(tmp_path_factory):
    from cxreport.build import build

    folder = tmp_path_factory.mktemp("zh")
    return build(_chinese_project(folder / "project"), folder / "out", formats=("html", "pdf"))


@pytest.fixture(scope="module")
def chinese_soup(chinese_build):
    return BeautifulSoup(chinese_build.paths["html"].read_text(encoding="utf-8"), "html.parser")


def _visible_text(soup: BeautifulSoup) -> str:
    body = soup.body
    attrs = " ".join(str(tag.get(a)) for tag in body.find_all(True) for a in ("alt", "title", "aria-label")
                     if tag.get(a))
    return body.get_text(" ") + " " + attrs


def test_chinese_report_declares_its_language(chinese_soup):
    assert chinese_soup.html.get("lang") == "zh-CN"


def test_chinese_report_has_translated_headings_and_figures(chinese_soup):
    headings = [h.get_text(strip=True) for h in chinese_soup.find_all(["h1", "h2"])]
    for expected in ("执行摘要", "核心指标计分卡", "净推荐值 (NPS)", "细分群体结果", "研究方法", "主要发现"):
        assert expected in headings, (expected, headings)
    text = _visible_text(chinese_soup)
    assert "2026年11月23日" in text                   # cover date in the locale's long form
    assert "2026年第1季度" in text                     # period labels
    assert "区域" in text and "华东" in text and "排队时间太长了" in text
    assert re.search(r"净推荐值 \(NPS\)为 [+\u2212]?\d+", text)      # a generated key finding


def test_chinese_report_has_no_english_template_strings_left(chinese_soup, zh_po):
    """Every multi-word English chunk of every message is absent from the report's text."""
    text = re.sub(r"\s+", " ", _visible_text(chinese_soup))
    translations = " ".join(s for m in zh_po if m.id for s in _forms(m.string))
    left = []
    for message in zh_po:
        if not message.id:
            continue
        for chunk in re.split(r"%\(\w+\)[sd]|\{\w+\}", " ".join(_forms(message.id)).replace("%%", "%")):
            chunk = chunk.strip(" .,:;()")
            if not re.search(r"[A-Za-z]{3,}[ ,'’-]+[A-Za-z]{2,}", chunk) or chunk in translations:
                continue
            if chunk in text:
                left.append(chunk)
    assert left == []


def test_chinese_pdf_embeds_the_cjk_font_and_covers_every_character(chinese_build):
    from fontTools.ttLib import TTCollection, TTFont

    reader = pypdf.PdfReader(chinese_build.paths["pdf"])
    fonts = set()
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            fonts.add(str(ref.get_object()["/BaseFont"]))
    assert any("Noto-Sans-CJK-SC" in f for f in fonts), fonts
    text = "".join(page.extract_text() for page in reader.pages)
    assert "执行摘要" in text and re.search(r"第 \d+ 页，共 \d+ 页", text)
    # Every character on the pages has a glyph in one of the report's fonts (no tofu).
    covered: set[int] = set()
    for face in TTCollection("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc").fonts:
        covered |= set(face.getBestCmap())
    for path in ("/usr/share/fonts/truetype/lato/Lato-Regular.ttf",
                 "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"):
        if Path(path).exists():
            covered |= set(TTFont(path).getBestCmap())
    missing = sorted({c for c in text if not c.isspace() and ord(c) not in covered})
    assert missing == []


def test_chinese_charts_use_chinese_text(chinese_soup):
    alts = [img.get("alt", "") for img in chinese_soup.find_all("img") if img.get("src", "").startswith("data:image/png")]
    assert alts and any("净推荐值分布" in a for a in alts)
    assert any("华东" in a for a in alts)


def test_chinese_chart_labels_draw_without_missing_glyphs():
    """Chinese category names draw with the CJK fallback in an English report as well."""
    from cxreport.present import charts
    from cxreport.scoring.kpis import ItemSpec

    spec = ItemSpec.nps("q", "NPS")
    rows = [{"label": name, "value": v, "low": v - 5, "high": v + 5, "base": "ok"}
            for name, v in zip(REGIONS, (20.0, 30.0, 10.0))]
    for language in ("en", "zh-CN"):
        with i18n.use_language(language), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            chart = charts.ranked_bars("t", "NPS by 区域", rows, spec, charts.ChartStyle("#0B3C5D", "#1C8C8C", "Lato"))
        assert chart.png.startswith(b"\x89PNG")
        assert not [w for w in caught if "missing from font" in str(w.message)], language


def test_builds_in_one_process_do_not_leak_their_language(tmp_path):
    """English, then Chinese, then English again in one process: each build is in its own language."""
    from cxreport.build import build

    def html(language: str) -> tuple[str, BeautifulSoup]:
        result = build(_chinese_project(tmp_path / language, language=language), tmp_path / f"out-{language}",
                       formats=("html",))
        text = result.paths["html"].read_text(encoding="utf-8")
        return text, BeautifulSoup(text, "html.parser")

    first, _s = html("en")
    _t, chinese = html("zh-CN")
    again, soup = html("en")
    assert chinese.html.get("lang") == "zh-CN" and "执行摘要" in _visible_text(chinese)
    assert again == first
    text = _visible_text(soup)
    assert soup.html.get("lang") == "en"
    assert "Executive summary" in text and "执行摘要" not in text and "2026 Q1" in text
    assert i18n.current().code == "en"
    # the categories and comments are Chinese data, and the HTML font stack still names the CJK font
    assert "华东" in text and "Noto Sans CJK SC" in again


def test_pdf_font_subsetting_uses_harfbuzz_for_chinese(monkeypatch):
    """libharfbuzz-subset0 is what keeps embedding the CJK font fast; without it a build warns."""
    from weasyprint.text import ffi

    from cxreport.present.render import font_subsetting_warning

    assert ffi.harfbuzz_subset is not None and ffi.harfbuzz.hb_version_atleast(4, 1, 0)
    assert font_subsetting_warning("zh-CN") is None
    monkeypatch.setattr(ffi, "harfbuzz_subset", None)
    assert "libharfbuzz-subset0" in font_subsetting_warning("zh-CN")
    assert font_subsetting_warning("en") is None
    # A build asks the PDF process, which found the libraries where it made the PDF.
    assert "libharfbuzz-subset0" in font_subsetting_warning("zh-CN", {"subsetter": False})
    monkeypatch.undo()
    assert font_subsetting_warning("zh-CN", {"subsetter": True}) is None
    monkeypatch.setattr(ffi, "harfbuzz_subset", None)
    assert font_subsetting_warning("zh-CN", {"subsetter": True}) is None     # not asked here again
