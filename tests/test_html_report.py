"""The interactive HTML report without a browser: the script and its Content-Security-Policy
go into the HTML only (never the PDF), the policy's hash is the script's, and every table
in the templates sits in its own scrolling wrapper. The behaviour in a browser is
tests/test_browser.py."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from cxreport.errors import RenderError
from cxreport.present import interactive
from cxreport.present.render import render_html
from cxreport.resources import templates_dir

ROOT = Path(__file__).resolve().parents[1]

CONTEXT = {
    "lang": "en",
    "client": {"name": "Test <Co>"},
    "brand": {"primary": "#0B3C5D", "accent": "#1C8C8C", "font": "Lato"},
    "report": {"title": "T & Co", "subtitle": None, "prepared_by": None, "confidentiality": None,
               "date": dt.date(2026, 3, 31)},
    "version": "0",
}


def test_html_target_carries_the_script_allowed_by_its_hash():
    soup = BeautifulSoup(render_html("base.html", CONTEXT, "html"), "html.parser")
    scripts = soup.find_all("script")
    assert len(scripts) == 1
    script = scripts[0]
    assert script.string == interactive.script_text()
    assert script["data-number-sample"] == "1,234,567.5"
    csp = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})["content"]
    digest = base64.b64encode(hashlib.sha256(script.string.encode("utf-8")).digest()).decode("ascii")
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == f"'sha256-{digest}'"
    assert directives["default-src"] == "'none'"
    assert directives["img-src"] == "data:"
    # The policy comes before anything it governs.
    head = soup.head.find_all(recursive=False)
    assert head[1].get("http-equiv") == "Content-Security-Policy"
    # Nothing else runs: no inline event handlers anywhere in the templates.
    for path in templates_dir().rglob("*.html"):
        assert not re.search(r"\son[a-z]+\s*=", path.read_text(encoding="utf-8")), path


def test_pdf_target_has_no_script_and_no_policy():
    html = render_html("base.html", CONTEXT, "pdf")
    assert "<script" not in html
    assert "Content-Security-Policy" not in html


def test_script_is_plain_ascii_and_cannot_close_its_element():
    text = interactive.script_text()
    assert text.isascii()
    assert "</script" not in text.lower() and "<!--" not in text


def test_a_script_that_would_break_out_is_refused(monkeypatch, tmp_path):
    (tmp_path / "report.js").write_text("var x = '</script><b>';", encoding="utf-8")
    monkeypatch.setattr(interactive, "theme_dir", lambda: tmp_path)
    with pytest.raises(RenderError, match="report.js"):
        interactive.html_extras("html")


def test_every_table_in_the_templates_scrolls_in_its_own_wrapper():
    """A phone shows wide tables by scrolling them sideways inside .table-wrap, never the page."""
    count = 0
    for path in templates_dir().rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"<table\b", text):
            count += 1
            assert text[:m.start()].endswith('<div class="table-wrap">'), f"{path.name}: table not wrapped"
        assert text.count("<table") == text.count("</table></div>"), path.name
    assert count > 30


def media_at(css: str, index: int) -> list[str]:
    """The @media preludes enclosing position ``index`` of a stylesheet."""
    stack, start = [], 0
    for i, ch in enumerate(css[:index]):
        if ch == "{":
            stack.append(css[start:i].strip())
            start = i + 1
        elif ch in "};":
            if ch == "}":
                stack.pop()
            start = i + 1
    return [p for p in stack if p.startswith("@media")]


def test_phone_rules_are_screen_only():
    """The narrow-window rules and the sort buttons' style sit in screen media queries, so the
    PDF (print media) lays out exactly as before."""
    css = re.sub(r"/\*.*?\*/", lambda m: " " * len(m.group()), (templates_dir() / "theme" / "report.css")
                 .read_text(encoding="utf-8"), flags=re.S)
    for rule in ("thead th > button.sort {", 'tbody th[scope="row"] { min-width: 8em; }',
                 "tbody td:not(.left) { white-space: nowrap; }", "{ font-size: 12px; }",
                 ".kpis, .chart-row, .two-col, .shop-head, section.result { flex-direction: column; }"):
        assert css.count(rule) == 1, rule
        enclosing = media_at(css, css.index(rule))
        assert enclosing and all(m.startswith("@media screen") for m in enclosing), (rule, enclosing)
    assert media_at(css, css.index("@page {")) == []


def test_sortable_tables_are_documented():
    doc = (ROOT / "docs" / "html-report.md").read_text(encoding="utf-8")
    for word in ("sortable", "sort-pin", "Content-Security-Policy", "375", "tests/test_browser.py"):
        assert word in doc, word
    assert "docs/html-report.md" in (ROOT / "README.md").read_text(encoding="utf-8")
