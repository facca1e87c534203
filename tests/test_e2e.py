"""End to end: the Harbour Bank sample built once (HTML and PDF), checked by structure —
pypdf for the PDF (pages, text, fonts, bookmarks, tags), BeautifulSoup for the HTML."""

from __future__ import annotations

import re
from pathlib import Path

import pypdf
import pytest
from bs4 import BeautifulSoup

from cxreport.present.formatting import figure
from cxreport.present.interactive import script_text

pytestmark = pytest.mark.slow

SECTION_TITLES = ["Executive summary", "KPI scorecard", "Net Promoter Score", "Trends over time",
                  "Results by segment", "Attribute performance", "Voice of the customer", "Recommendations",
                  "Methodology", "Appendix: full tables"]


@pytest.fixture(scope="module")
def pdf(built_sample) -> pypdf.PdfReader:
    return pypdf.PdfReader(built_sample.paths["pdf"])


@pytest.fixture(scope="module")
def pdf_pages_text(pdf) -> list[str]:
    return [page.extract_text() or "" for page in pdf.pages]


@pytest.fixture(scope="module")
def soup(built_sample) -> BeautifulSoup:
    return BeautifulSoup(built_sample.paths["html"].read_text(encoding="utf-8"), "html.parser")


def headline(built_sample, key: str) -> str:
    """A KPI's headline as the scorecard prints it."""
    est = built_sample.study.results.overall[key].headline
    return figure(est.value, est.unit)


def _num(text: str) -> int:
    return int(text.strip().replace(",", ""))


# --------------------------------------------------------------------------- outputs


def test_build_writes_both_reports_and_nothing_else(built_sample):
    html, pdf_path = built_sample.paths["html"], built_sample.paths["pdf"]
    assert html.name == "report.html" and pdf_path.name == "report.pdf"
    assert html.parent == pdf_path.parent
    # Atomic writes: no temporary .part files are left behind.
    assert sorted(p.name for p in html.parent.iterdir()) == ["report.html", "report.pdf"]
    assert pdf_path.read_bytes()[:5] == b"%PDF-"


def test_build_reports_data_warnings(built_sample):
    warnings = built_sample.warnings
    assert any("duplicate respondent id" in w for w in warnings)
    assert any(re.search(r"row \d+, column 'q_nps'", w) for w in warnings)


# --------------------------------------------------------------------------- PDF


def test_pdf_page_count(pdf):
    assert len(pdf.pages) > 8


def test_pdf_text_has_client_and_scorecard_nps(built_sample, pdf_pages_text):
    text = "\n".join(pdf_pages_text)
    assert "Harbour Bank" in text
    nps = headline(built_sample, "nps")
    assert re.fullmatch(r"[+\u2212]?\d+", nps), nps
    scorecard = [t for t in pdf_pages_text if "Headline KPIs" in t]
    assert scorecard, "no page with the scorecard table"
    assert re.search(rf"(?<![\d.]){re.escape(nps)}(?![\d.])", scorecard[0]), (nps, scorecard[0][:400])
    for key in ("csat", "ces"):
        assert headline(built_sample, key) in scorecard[0]


def test_pdf_text_has_no_doubled_percent_signs(pdf_pages_text):
    """'%%' is gettext escaping; the reader must see '95% interval', not '95%% interval'."""
    offenders = [line for text in pdf_pages_text for line in text.splitlines() if "%%" in line]
    assert offenders == [], offenders[:5]


def _fonts(resources, seen: set[int]):
    """Every font dict reachable from a resources dict, including inside form XObjects."""
    if resources is None:
        return
    resources = resources.get_object()
    fonts = resources.get("/Font")
    if fonts is not None:
        for ref in fonts.get_object().values():
            yield ref.get_object()
    xobjects = resources.get("/XObject")
    if xobjects is not None:
        for ref in xobjects.get_object().values():
            xobj = ref.get_object()
            key = id(xobj)
            if xobj.get("/Subtype") == "/Form" and key not in seen:
                seen.add(key)
                yield from _fonts(xobj.get("/Resources"), seen)


def _embedded(font) -> bool:
    subtype = font.get("/Subtype")
    if subtype == "/Type3":
        return True  # glyphs are drawn by the font's own content streams
    if subtype == "/Type0":
        return all(_embedded(d.get_object()) for d in font["/DescendantFonts"])
    descriptor = font.get("/FontDescriptor")
    if descriptor is None:
        return False
    descriptor = descriptor.get_object()
    return any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))


def test_pdf_fonts_are_all_embedded(pdf):
    fonts = []
    for page in pdf.pages:
        fonts.extend(_fonts(page.get("/Resources"), set()))
    assert fonts, "no fonts found"
    missing = sorted({str(f.get("/BaseFont")) for f in fonts if not _embedded(f)})
    assert missing == []


def _outline_titles(outline) -> list[str]:
    titles = []
    for entry in outline:
        if isinstance(entry, list):
            titles.extend(_outline_titles(entry))
        else:
            titles.append(entry.title)
    return titles


def test_pdf_bookmarks_list_the_sections(pdf, built_sample):
    titles = _outline_titles(pdf.outline)
    for title in SECTION_TITLES:
        assert title in titles, (title, titles)
    order = [titles.index(t) for t in SECTION_TITLES]
    assert order == sorted(order)
    # Each segment has its own bookmark.
    for breakdown in built_sample.study.results.segments:
        assert breakdown.name in titles


def test_pdf_is_tagged(pdf):
    root = pdf.trailer["/Root"]
    mark_info = root.get("/MarkInfo")
    marked = mark_info is not None and bool(mark_info.get_object().get("/Marked"))
    assert marked or "/StructTreeRoot" in root
    assert str(root.get("/Lang")) == "en"


# --------------------------------------------------------------------------- HTML


def test_html_title_and_language(soup):
    assert soup.html.get("lang") == "en"
    title = soup.title.get_text()
    assert "Customer Experience Tracker" in title and "Harbour Bank" in title


def test_html_is_self_contained(soup):
    # The one script is the report's own (sortable tables, docs/html-report.md), inline.
    scripts = soup.find_all("script")
    assert len(scripts) == 1 and scripts[0].string == script_text() and not scripts[0].get("src")
    assert soup.find_all("link") == []
    assert soup.find_all(["iframe", "object", "embed"]) == []
    for tag in soup.find_all(True):
        for attr in ("src", "href", "srcset", "poster", "data", "action"):
            value = tag.get(attr)
            if value is None:
                continue
            value = value.strip()
            if value.startswith(("data:", "#")):
                continue
            in_narrative = tag.name == "a" and attr == "href" and tag.find_parent(class_="narrative") is not None
            assert in_narrative and value.startswith(("http://", "https://", "mailto:")), (tag.name, attr, value[:80])
    for style in soup.find_all("style"):
        css = style.get_text()
        assert "@import" not in css
        for url in re.findall(r"url\(\s*['\"]?([^'\")]+)", css):
            assert url.startswith(("data:", "#")), url


def test_html_scorecard_shows_the_kpis(built_sample, soup):
    section = soup.find("section", id="scorecard")
    assert section is not None
    cards = {card.find(class_="name").get_text(strip=True): card.find(class_="value").get_text(strip=True)
             for card in section.select(".kpi")}
    overall = built_sample.study.results.overall
    for key in ("nps", "csat", "ces"):
        assert cards[overall[key].spec.label] == headline(built_sample, key)
    table_scores = [row.find("td").get_text(strip=True) for row in section.find("table").tbody.find_all("tr")]
    assert table_scores == [headline(built_sample, k) for k in ("nps", "csat", "ces")]


def test_html_contents_links_resolve(soup):
    links = [a["href"] for a in soup.select("nav.toc a")]
    assert len(links) >= len(SECTION_TITLES)
    for href in links:
        assert href.startswith("#")
        assert len(soup.find_all(id=href[1:])) == 1, href
    ids = [tag["id"] for tag in soup.find_all(id=True)]
    assert len(ids) == len(set(ids)), "duplicate ids"


def test_html_has_no_doubled_percent_signs(soup):
    text = soup.body.get_text(" ")
    offenders = [text[max(0, m.start() - 40): m.end() + 20] for m in re.finditer("%%", text)]
    assert offenders == [], offenders[:5]


def _table_bases(table) -> tuple[list[int], int | None]:
    rows, total = [], None
    for tr in table.tbody.find_all("tr"):
        base = _num(tr.find("td").get_text())
        if "total" in (tr.get("class") or []):
            total = base
        else:
            rows.append(base)
    return rows, total


def test_segment_tables_bases_add_up(built_sample, soup):
    base = built_sample.study.results.base
    section = soup.find("section", id="segments")
    tables = section.find_all("table")
    names = [b.name for b in built_sample.study.results.segments]
    assert [t.caption.get_text(strip=True) for t in tables] == names
    for table in tables:
        rows, total = _table_bases(table)
        assert total == base, table.caption
        assert sum(rows) == total, table.caption


def test_appendix_tables_bases_add_up(built_sample, soup):
    base = built_sample.study.results.base
    tables = [t for t in soup.find("section", id="appendix").find_all("table")
              if "banner" not in (t.get("class") or [])]
    assert len(tables) == len(built_sample.study.results.segments)
    for table in tables:
        rows, _ = _table_bases(table)
        assert sum(rows) == base


def test_methodology_states_the_sample(built_sample, soup):
    text = soup.find("section", id="methodology").get_text(" ")
    validation = built_sample.study.validation
    assert f"{validation.rows_read:,}" in text
    assert f"{validation.rows_used:,}" in text
