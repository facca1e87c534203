"""User text cannot change the report: comments, labels and narrative are escaped or
sanitised; WeasyPrint fetches nothing outside the allowed folders; personal data in
quoted comments is masked."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pypdf
import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from cxreport.cli import cli
from cxreport.errors import RenderError
from cxreport.masking import mask_personal_data
from cxreport.present.interactive import script_text
from cxreport.present.narrative import render_markdown
from cxreport.present.render import RestrictedFetcher, html_to_pdf

from conftest import REPO, csv_text, default_rows

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
JINJA = "{{ 7*7 }}"
CSS = "</style><style>body{display:none}</style>"
PII = "Write to jane.doe@example.com or ring 07700 900123"
SHOUTY_SEGMENT = "<b onmouseover=alert(1)>East</b>"

NARRATIVE = f"""### Summary

Plain paragraph with {JINJA}.

{SCRIPT}

<iframe src="http://example.com/"></iframe>

{IMG}

[click me](javascript:alert(1)) and [a safe link](https://example.com/ok)

![tracking pixel](http://example.com/pixel.png)
"""

LOGO_PNG = REPO / "samples" / "harbour-bank" / "brand" / "logo.png"


def _hostile_rows() -> list[list]:
    rows = default_rows(60)
    for row in rows:
        row[5] = ""              # only the hostile comments below have text
    rows[0][2] = SHOUTY_SEGMENT  # a segment value with markup
    # The most recent responses, spread over promoters, passives and detractors.
    hostile = [(10, SCRIPT), (9, IMG), (8, JINJA), (7, CSS), (2, PII)]
    for i, (score, text) in enumerate(hostile):
        rows.append([f"X{i}", "2026-06-30", "North", score, 3, text])
    return rows


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory):
    from conftest import write_project

    folder = tmp_path_factory.mktemp("hostile")
    project = write_project(
        folder / "p", csv_text(_hostile_rows()),
        client={"name": f"Acme {JINJA} {SCRIPT}"},
        report={"title": f"Report {IMG}", "comments_shown": 12, "period": "all",   # every hostile row
                "narrative": {"executive_summary": "narrative/summary.md"}},
        files={"narrative/summary.md": NARRATIVE})
    out = folder / "out"
    result = CliRunner().invoke(cli, ["build", str(project), "-o", str(out), "--format", "both"])
    assert result.exit_code == 0, (result.output, repr(result.exception))
    html = (out / "report.html").read_text(encoding="utf-8")
    pdf_text = "\n".join(p.extract_text() or "" for p in pypdf.PdfReader(out / "report.pdf").pages)
    return html, BeautifulSoup(html, "html.parser"), pdf_text


# --------------------------------------------------------------------------- escaping in the report


def test_no_script_or_event_handlers_anywhere(hostile_build):
    _html, soup, _pdf = hostile_build
    # Only the report's own script (sortable tables), allowed by the page's CSP hash.
    scripts = soup.find_all("script")
    assert len(scripts) == 1 and scripts[0].string == script_text() and not scripts[0].get("src")
    assert soup.find_all(["iframe", "object", "embed"]) == []
    for tag in soup.find_all(True):
        handlers = [a for a in tag.attrs if a.lower().startswith("on")]
        assert handlers == [], (tag.name, handlers)
    # Images only from the report itself (charts, logo) as data: URLs.
    for img in soup.find_all("img"):
        assert img["src"].startswith("data:"), img["src"][:60]


def test_comments_are_printed_as_text(hostile_build):
    _html, soup, pdf_text = hostile_build
    quotes = [q.get_text() for q in soup.select("section#comments blockquote.comment")]
    for text in (SCRIPT, IMG, JINJA, CSS):
        assert any(text in q for q in quotes), (text, quotes)
    assert not any("49" in q for q in quotes), quotes
    assert JINJA in pdf_text and SCRIPT in pdf_text


def test_css_in_a_comment_does_not_reach_the_stylesheet(hostile_build):
    html, soup, _pdf = hostile_build
    styles = soup.find_all("style")
    assert len(styles) == 1
    assert "display:none" not in styles[0].get_text()
    assert "</style><style>" not in html


def test_labels_from_config_and_data_are_escaped(hostile_build):
    html, soup, _pdf = hostile_build
    assert soup.title.get_text() == f"Report {IMG} — Acme {JINJA} {SCRIPT}"
    assert soup.find("b") is None or all(b.find_parent(class_="narrative") for b in soup.find_all("b"))
    region_rows = [th.get_text() for th in soup.select("section#segments table tbody th")]
    assert SHOUTY_SEGMENT in region_rows
    assert "Acme 49" not in html


def test_narrative_is_sanitised(hostile_build):
    _html, soup, _pdf = hostile_build
    narrative = soup.find(class_="narrative")
    assert narrative is not None
    assert narrative.find_all(["script", "img", "iframe", "style"]) == []
    hrefs = [a.get("href", "") for a in narrative.find_all("a")]
    assert hrefs == ["https://example.com/ok"]
    assert JINJA in narrative.get_text()


def test_personal_data_in_comments_is_masked(hostile_build):
    html, soup, pdf_text = hostile_build
    assert "jane.doe@example.com" not in html and "07700 900123" not in html
    assert "jane.doe@example.com" not in pdf_text
    quotes = " ".join(q.get_text() for q in soup.select("blockquote.comment"))
    assert "[email]" in quotes and "[phone]" in quotes


def test_render_markdown_directly():
    out = str(render_markdown(NARRATIVE))
    soup = BeautifulSoup(out, "html.parser")
    assert soup.find_all(["script", "img", "iframe"]) == []
    assert "javascript:" not in " ".join(a.get("href", "") for a in soup.find_all("a"))
    assert "http://example.com/pixel.png" not in out
    assert [a["href"] for a in soup.find_all("a")] == ["https://example.com/ok"]
    # Headings are demoted under the report's own sections.
    assert soup.find("h3") is not None and soup.find(["h1", "h2"]) is None


def test_dollar_signs_in_segment_labels_do_not_break_the_build(tmp_path, make_project):
    """Segment values are data: '$' must not be read as matplotlib mathtext."""
    rows = default_rows(60)
    labels = ["Income $25k-$50k", r"Band $\frac{x$"]
    for i, row in enumerate(rows):
        row[2] = labels[i % 2]
    project = make_project(tmp_path / "p", csv_text(rows))
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["build", str(project), "-o", str(out), "--format", "html"])
    assert result.exit_code == 0, (result.output, repr(result.exception))
    soup = BeautifulSoup((out / "report.html").read_text(encoding="utf-8"), "html.parser")
    rows_shown = [th.get_text() for th in soup.select("section#segments table tbody th")]
    assert labels[0] in rows_shown and labels[1] in rows_shown


# --------------------------------------------------------------------------- fetcher


@pytest.fixture
def allowed(tmp_path) -> Path:
    folder = tmp_path / "project"
    (folder / "brand").mkdir(parents=True)
    (folder / "brand" / "logo.png").write_bytes(LOGO_PNG.read_bytes())
    (tmp_path / "outside.png").write_bytes(LOGO_PNG.read_bytes())
    return folder


def test_fetcher_allows_data_and_files_inside(allowed):
    fetcher = RestrictedFetcher([allowed])
    assert fetcher.allows("data:image/png;base64,iVBORw0KGgo=")
    assert fetcher.allows((allowed / "brand" / "logo.png").as_uri())


def test_fetcher_refuses_everything_else(allowed):
    fetcher = RestrictedFetcher([allowed])
    outside = allowed.parent / "outside.png"
    assert outside.is_file()
    for url in ["file:///etc/passwd",
                "http://example.com/x.png",
                "https://example.com/x.png",
                "ftp://example.com/x.png",
                outside.as_uri(),
                f"file://{allowed}/../outside.png",
                f"file://{allowed}/brand/%2E%2E/%2E%2E/outside.png",
                allowed.as_uri() + "/"]:
        assert not fetcher.allows(url), url


def test_fetcher_refuses_a_symlink_leaving_the_folder(allowed):
    link = allowed / "brand" / "sneaky.png"
    os.symlink(allowed.parent / "outside.png", link)
    assert link.is_file()
    assert not RestrictedFetcher([allowed]).allows(link.as_uri())


def test_html_to_pdf_renders_allowed_images(allowed):
    html = f'<html lang="en"><head><title>t</title></head><body><img src="{(allowed / "brand" / "logo.png").as_uri()}"></body></html>'
    pdf = html_to_pdf(html, [allowed])
    assert pdf[:5] == b"%PDF-"
    import io
    assert pypdf.PdfReader(io.BytesIO(pdf)).pages[0].images, "the allowed image was not embedded"


@pytest.mark.parametrize("snippet", [
    '<img src="file:///etc/passwd">',
    '<link rel="attachment" href="file:///etc/hostname">',
    '<img src="http://example.com/x.png">',
    '<style>body{background:url(file:///etc/passwd)}</style>',
])
def test_html_to_pdf_refuses_outside_resources(allowed, snippet):
    html = f'<html lang="en"><head><title>t</title></head><body>{snippet}<p>text</p></body></html>'
    with pytest.raises(RenderError) as info:
        html_to_pdf(html, [allowed])
    assert "outside" in str(info.value.message)


def test_svg_logo_linking_an_outside_image_fails_the_pdf(tmp_path, make_project):
    """render.py: the fetcher 'fails the build on anything else'. A linked image inside an SVG
    logo is refused by the fetcher; the build must fail, not quietly drop the image."""
    outside = tmp_path / "secret.png"
    outside.write_bytes(LOGO_PNG.read_bytes())
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
           f'width="200" height="80"><image xlink:href="{outside.as_uri()}" width="200" height="80"/></svg>')
    project = make_project(tmp_path / "p", client={"logo": "logo.svg"}, files={"logo.svg": svg})
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["build", str(project), "-o", str(out), "--format", "pdf"])
    assert result.exit_code == 1, ("the build succeeded without the logo's linked image", result.output)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "secret.png" in result.stderr or "logo" in result.stderr
    assert not (out / "report.pdf").exists()


# --------------------------------------------------------------------------- masking


@pytest.mark.parametrize("text, secret, label", [
    ("Please e-mail me at john.smith@example.co.uk today", "john.smith@example.co.uk", "[email]"),
    ("Call me on 07700 900123 after five", "07700 900123", "[phone]"),
    ("My mobile is +44 7700 900456.", "7700 900456", "[phone]"),
    ("Branch line (020) 7946 0018 never answers", "7946 0018", "[phone]"),
    ("Card 4111 1111 1111 1111 was blocked", "4111 1111 1111 1111", "[card number]"),
    ("Card 4111111111111111 was blocked", "4111111111111111", "[card number]"),
    ("Money left account 12345678 twice", "12345678", "[account number]"),
])
def test_personal_data_is_masked(text, secret, label):
    masked = mask_personal_data(text)
    assert secret not in masked
    assert label in masked
    # The surrounding words survive.
    assert masked.split()[0] == text.split()[0]


@pytest.mark.parametrize("text", [
    "I waited 45 minutes in the queue",
    "Best service I have had in 2026",
    "The staff at branch 12 were great",
    "Rated it 9 out of 10, paid £1,250.00 on 3 March",
    "Opened on 2026-03-12 at 10:30",
])
def test_ordinary_numbers_are_not_masked(text):
    assert mask_personal_data(text) == text
