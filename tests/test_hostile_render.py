"""Hostile and broken input: what a user, a respondent or a mystery shopper can type must
neither run, nor fetch, nor reach outside the project (docs/security.md).

- The PDF renderer fetches nothing outside the allowed folders: ``file:///etc/…``,
  ``http(s)://``, a redirecting URL (a local web server that records every request proves
  that nothing even connects) and ``<link rel=attachment>``/``<a rel=attachment>`` (which
  WeasyPrint would embed in the PDF) — in crafted HTML and through the inputs a user
  controls (Markdown narrative, logo, brand values).
- Survey comments and shoppers' comments with markup, CSS and Jinja syntax print as
  literal text in the HTML (parsed with BeautifulSoup) and the PDF (pypdf).
- Paths in a project or programme file cannot leave its folder (``../``, absolute, symlink).
- Exports (scores CSV, Excel appendix, shop export) neutralise formula cells.

The companion file tests/test_render_safety.py holds the earlier cases.
"""

from __future__ import annotations

import base64
import io
import re
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pypdf
import pytest

from cxreport.errors import RenderError
from cxreport.present.render import RestrictedFetcher, html_to_pdf

from conftest import REPO

LOGO_PNG = REPO / "samples" / "harbour-bank" / "brand" / "logo.png"


# --------------------------------------------------------------------------- a trap for requests


class Trap:
    """A web server on 127.0.0.1 that records every request and answers each with a
    redirect to file:///etc/passwd."""

    def __init__(self):
        self.requests: list[str] = []
        trap = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                trap.requests.append(self.path)
                self.send_response(302)
                self.send_header("Location", "file:///etc/passwd")
                self.end_headers()

            do_HEAD = do_POST = do_GET  # noqa: N815

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def trap():
    server = Trap()
    yield server
    server.close()


@pytest.fixture
def fresh_trap(trap):
    """The module's trap with its record cleared."""
    trap.requests.clear()
    return trap


def test_the_trap_records_a_request_and_redirects(fresh_trap):
    """The 'nothing connected' assertions below can fail: a real request is recorded."""
    with pytest.raises(urllib.error.URLError):       # urllib refuses the redirect to file:
        urllib.request.urlopen(f"{fresh_trap.url}/probe", timeout=5)
    assert fresh_trap.requests == ["/probe"]


def page(body: str, head: str = "") -> str:
    return f'<html lang="en"><head><title>t</title>{head}</head><body>{body}<p>text</p></body></html>'


@pytest.fixture
def project(tmp_path) -> Path:
    """A project folder with a logo and a data file; a secret file beside it, outside."""
    folder = tmp_path / "project"
    (folder / "brand").mkdir(parents=True)
    (folder / "data").mkdir()
    (folder / "brand" / "logo.png").write_bytes(LOGO_PNG.read_bytes())
    (folder / "data" / "responses.csv").write_text("id,comment\n1,PRIVATE-SURVEY-DATA\n", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("SECRET-OUTSIDE\n", encoding="utf-8")
    return folder


# --------------------------------------------------------------------------- the fetcher itself


def test_fetcher_refuses_without_connecting(fresh_trap, project):
    """The fetcher WeasyPrint gets refuses every URL but data: and files inside the folders,
    before opening anything: a redirecting server is never contacted."""
    from weasyprint.urls import FatalURLFetchingError

    restricted = RestrictedFetcher([project])
    fetch = restricted.build()
    refused = ["file:///etc/passwd", f"{fresh_trap.url}/redirect-to-passwd", fresh_trap.url.replace("http", "https"),
               f"HTTP://127.0.0.1:{fresh_trap.url.rsplit(':', 1)[1]}/upper", (project.parent / "secret.txt").as_uri(),
               project.as_uri() + "/../secret.txt", "ftp://127.0.0.1/x"]
    for url in refused:
        with pytest.raises(FatalURLFetchingError):
            fetch.fetch(url)
    assert fresh_trap.requests == []
    assert restricted.refused == refused
    inside = fetch.fetch((project / "brand" / "logo.png").as_uri())
    assert inside.read() == LOGO_PNG.read_bytes()        # files inside the folders still load
    inside.close()


def test_fetcher_does_not_follow_a_query_or_fragment_out_of_the_folder(project):
    fetcher = RestrictedFetcher([project])
    logo = (project / "brand" / "logo.png").as_uri()
    assert fetcher.allows(logo + "?x=/etc/passwd") and fetcher.allows(logo + "#/../../secret.txt")
    assert not fetcher.allows("file:///etc/passwd?" + logo)
    assert not fetcher.allows(f"file://{project}/brand/%2e%2e/%2e%2e/secret.txt")


# --------------------------------------------------------------------------- crafted HTML


def _svg_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def hostile_snippets(url) -> dict[str, tuple[str, str]]:
    """name → (head, body) that would fetch ``url(what)`` if the renderer let it."""
    svg_image = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" '
                 f'height="10"><image xlink:href="{url("svg-image")}" width="10" height="10"/></svg>')
    return {
        "img": ("", f'<img src="{url("img.png")}">'),
        "stylesheet link": (f'<link rel="stylesheet" href="{url("style.css")}">', ""),
        "css @import": (f"<style>@import url({url('import.css')});</style>", ""),
        "@font-face": (f"<style>@font-face{{font-family:Evil;src:url({url('font.woff')})}} p{{font-family:Evil}}</style>",
                       ""),
        "background url()": ("", f'<div style="background:url({url("bg.png")});width:9px;height:9px"></div>'),
        "list-style-image": ("", f'<ul style="list-style-image:url({url("li.png")})"><li>x</li></ul>'),
        "content url()": (f"<style>p::before{{content:url({url('before.png')})}}</style>", ""),
        "object": ("", f'<object data="{url("object.png")}" type="image/png"></object>'),
        "embed": ("", f'<embed src="{url("embed.png")}" type="image/png">'),
        "inline svg image": ("", svg_image),
        "svg in a data: URL": ("", f'<img src="{_svg_data_uri(svg_image)}">'),
        "link rel=attachment": (f'<link rel="attachment" href="{url("attachment")}">', ""),
        "a rel=attachment": ("", f'<a rel="attachment" href="{url("a-attachment")}">file</a>'),
    }


NAMES = list(hostile_snippets(lambda what: "x"))


@pytest.mark.parametrize("name", NAMES)
def test_html_to_pdf_fetches_nothing_from_the_network(fresh_trap, project, name):
    head, body = hostile_snippets(lambda what: f"{fresh_trap.url}/{what}")[name]
    with pytest.raises(RenderError) as info:
        html_to_pdf(page(body, head), [project])
    assert "outside the project and template folders" in info.value.message
    assert fresh_trap.url in info.value.message
    assert fresh_trap.requests == [], name


def test_a_base_element_does_not_move_relative_urls_to_the_network(fresh_trap, project):
    with pytest.raises(RenderError):
        html_to_pdf(page('<img src="relative.png">', f'<base href="{fresh_trap.url}/">'), [project])
    assert fresh_trap.requests == []


@pytest.mark.parametrize("url", ["file:///etc/passwd", "https://127.0.0.1:9/x.png", "OUTSIDE"])
@pytest.mark.parametrize("name", ["img", "css @import", "svg in a data: URL", "link rel=attachment",
                                  "a rel=attachment"])
def test_html_to_pdf_refuses_local_files_and_https(project, url, name):
    if url == "OUTSIDE":
        url = (project.parent / "secret.txt").as_uri()
    head, body = hostile_snippets(lambda what: url)[name]
    with pytest.raises(RenderError) as info:
        html_to_pdf(page(body, head), [project])
    assert url in info.value.message


@pytest.mark.parametrize("markup", [
    '<link rel="attachment" href="{data}">',
    '<a rel="attachment" href="{data}">the data</a>',
    '<a rel="enclosure attachment" href="{data}" download="x.csv">the data</a>',
])
def test_no_file_is_ever_attached_to_the_pdf(project, markup):
    """WeasyPrint embeds attachment links in the PDF; the fetcher allows files inside the
    project, so without a guard the survey data would travel inside a client's report."""
    data = (project / "data" / "responses.csv").as_uri()
    snippet = markup.format(data=data)
    html = page(snippet) if snippet.startswith("<a") else page("", snippet)
    with pytest.raises(RenderError) as info:
        html_to_pdf(html, [project])
    assert "attach" in info.value.message and "responses.csv" in info.value.message


def test_an_ordinary_pdf_has_no_attachments_and_no_file_links(project):
    logo = (project / "brand" / "logo.png").as_uri()
    pdf = html_to_pdf(page(f'<img src="{logo}"><a href="https://example.com/">web</a>'), [project])
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert reader.attachments == {}
    assert b"PRIVATE-SURVEY-DATA" not in pdf
    assert pdf_uris(reader) == ["https://example.com/"]


def pdf_uris(reader: pypdf.PdfReader) -> list[str]:
    """The targets of every link annotation (and the subtype of any file annotation)."""
    out = []
    for p in reader.pages:
        for ref in p.get("/Annots") or []:
            annot = ref.get_object()
            if annot.get("/Subtype") == "/FileAttachment":
                out.append("FileAttachment")
            action = annot.get("/A")
            if action is not None and action.get("/URI") is not None:
                out.append(str(action["/URI"]))
    return out


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


# --------------------------------------------------------------------------- inputs a user controls


def hostile_narrative(url: str) -> str:
    return f"""### Findings

Raw HTML is shown as text: <img src="{url}/raw.png"> <link rel="attachment" href="{url}/raw-attachment">
<style>@import url({url}/raw.css);</style> <a rel="attachment" href="../data/responses.csv">raw link</a>

![a tracking pixel]({url}/pixel.png) ![a local file](file:///etc/passwd) ![a file beside](../secret.png)

Links: [the data](../data/responses.csv), [root](/etc/passwd), [no scheme](//evil.example/x),
[file](file:///etc/passwd), [trap]({url}/link), [web](https://example.com/ok),
[mail](mailto:cx@example.com) and [comments](#comments).
"""


@pytest.fixture(scope="module")
def narrative_build(trap, tmp_path_factory):
    from click.testing import CliRunner

    from conftest import write_project
    from cxreport.cli import cli

    trap.requests.clear()
    folder = tmp_path_factory.mktemp("narrative")
    (folder / "secret.png").write_bytes(LOGO_PNG.read_bytes())
    text = hostile_narrative(trap.url)
    project = write_project(folder / "p", report={"narrative": {"executive_summary": "narrative/summary.md",
                                                                "recommendations": "narrative/recs.md"}},
                            files={"narrative/summary.md": text, "narrative/recs.md": text})
    out = folder / "out"
    result = CliRunner().invoke(cli, ["build", str(project), "-o", str(out), "--format", "both"])
    requests = list(trap.requests)
    return result, out, requests


def test_narrative_build_fetches_nothing(narrative_build, trap):
    result, out, requests = narrative_build
    assert result.exit_code == 0, (result.output, repr(result.exception))
    assert requests == []
    assert (out / "report.pdf").is_file()


def test_narrative_keeps_only_web_mail_and_in_report_links(narrative_build, trap):
    """A relative link would lead into the consultant's folders (a file: link in the PDF):
    it keeps its words and loses its target."""
    from bs4 import BeautifulSoup

    _result, out, _requests = narrative_build
    soup = BeautifulSoup((out / "report.html").read_text(encoding="utf-8"), "html.parser")
    blocks = soup.find_all(class_="narrative")
    assert len(blocks) == 2
    for block in blocks:
        assert block.find_all(["img", "link", "style", "script"]) == []
        hrefs = [a.get("href") for a in block.find_all("a")]
        assert [h for h in hrefs if h] == [f"{trap.url}/link", "https://example.com/ok", "mailto:cx@example.com",
                                           "#comments"]
        text = flat(block.get_text())
        assert "the data" in text and "root" in text and "no scheme" in text   # the words stay
        assert "<img src=" in text and "<link rel=" in text                        # raw HTML as text
        assert not any(a.get("rel") and "attachment" in a.get("rel") for a in block.find_all("a"))


def test_narrative_pdf_links_point_only_to_the_web(narrative_build, trap):
    _result, out, _requests = narrative_build
    reader = pypdf.PdfReader(out / "report.pdf")
    assert reader.attachments == {}
    uris = pdf_uris(reader)
    assert set(uris) == {f"{trap.url}/link", "https://example.com/ok", "mailto:cx@example.com"}, uris


def test_a_logo_that_links_to_the_network_fails_the_build_without_a_request(fresh_trap, tmp_path, make_project):
    from click.testing import CliRunner

    from cxreport.cli import cli

    svg = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="200" '
           f'height="80"><image xlink:href="{fresh_trap.url}/logo.png" width="200" height="80"/></svg>')
    project = make_project(tmp_path / "p", client={"name": "Acme", "logo": "logo.svg"}, files={"logo.svg": svg})
    result = CliRunner().invoke(cli, ["build", str(project), "-o", str(tmp_path / "out"), "--format", "pdf"])
    assert result.exit_code == 1, result.output
    # Refused when the project file is checked, before anything is rendered or fetched.
    assert "client.logo" in result.stderr and "external resource" in result.stderr
    assert fresh_trap.url in result.stderr
    assert "Traceback" not in result.output
    assert fresh_trap.requests == []
    assert not (tmp_path / "out" / "report.pdf").exists()


@pytest.mark.parametrize("brand, key", [
    ({"primary": "#fff;}body{background:url(http://127.0.0.1:9/x)"}, "brand.primary"),
    ({"accent": "red;background-image:url(file:///etc/passwd)"}, "brand.accent"),
    ({"font": "Lato',sans-serif;}@import url(http://127.0.0.1:9/x.css);p{x:'"}, "brand.font"),
])
def test_brand_values_cannot_carry_css(tmp_path, make_project, brand, key):
    from click.testing import CliRunner

    from cxreport.cli import cli

    project = make_project(tmp_path / "p", brand=brand)
    result = CliRunner().invoke(cli, ["validate", str(project)])
    assert result.exit_code == 1
    assert key in result.stderr and "Traceback" not in result.output


# --------------------------------------------------------------------------- comments print as text


def hostile_comments(url: str) -> dict[str, str]:
    """What a respondent or a shopper can type, by name."""
    return {
        "script": "<script>alert('cx')</script> ordinary words",
        "img onerror": '<img src=x onerror="alert(2)"> after the image',
        "style break": "</style><style>body{display:none}</style> after the style",
        "css url": f'<div style="background:url({url}/comment-bg.png)">styled</div> p{{background:url({url}/rule.png)}}',
        "jinja": "Staff said {{ 7*7 }} twice",
        "jinja raw": "{% raw %}{{ 7*7 }}{% endraw %} and {% for i in range(3) %}loop{% endfor %}",
        "attachment": f'<link rel="attachment" href="{url}/comment-attachment"> and <a rel="attachment" href="x">a</a>',
    }


def assert_printed_as_text(html: str, texts: list[str], where: str) -> None:
    """Parsed HTML: no element or handler came from the texts, each is there literally, and
    no template expression in them was evaluated."""
    from bs4 import BeautifulSoup

    from cxreport.present.interactive import script_text

    soup = BeautifulSoup(html, "html.parser")
    # The only script is the report's own (sortable tables, allowed by the page's CSP hash).
    assert [s.string for s in soup.find_all("script")] == [script_text()], where
    assert soup.find_all(["iframe", "object", "embed", "link"]) == [], where
    for tag in soup.find_all(True):
        assert not [a for a in tag.attrs if a.lower().startswith("on")], (where, tag.name, tag.attrs)
        assert "comment-bg" not in str(tag.get("style", "")), where
        if tag.name == "a":
            assert "attachment" not in (tag.get("rel") or []), where
    for img in soup.find_all("img"):
        assert img["src"].startswith("data:"), (where, img["src"][:60])
    styles = soup.find_all("style")
    assert all("display:none" not in s.get_text() and "rule.png" not in s.get_text() for s in styles), where
    body = flat(soup.get_text())
    for text in texts:
        assert flat(text) in body, (where, text)
    assert "said 49" not in body and "looploop" not in body, where   # no template syntax was evaluated


def assert_pdf_prints(pdf_path: Path, texts: list[str]) -> None:
    reader = pypdf.PdfReader(pdf_path)
    assert reader.attachments == {}
    assert not any(u == "FileAttachment" or u.startswith("file:") for u in pdf_uris(reader))
    # Long words wrap at '-' and '/' on the page: compare without any white space.
    text = re.sub(r"\s+", "", "".join(p.extract_text() or "" for p in reader.pages))
    for t in texts:
        assert re.sub(r"\s+", "", t) in text, (pdf_path.name, t)
    assert "said49" not in text and "looploop" not in text


@pytest.fixture(scope="module")
def survey_build(trap, tmp_path_factory):
    """A client report (HTML and PDF) whose latest comments are all hostile."""
    from click.testing import CliRunner

    from conftest import csv_text, default_rows, write_project
    from cxreport.cli import cli

    trap.requests.clear()
    comments = hostile_comments(trap.url)
    rows = default_rows(60)
    for row in rows:
        row[5] = ""
    for i, text in enumerate(comments.values()):
        rows.append([f"H{i}", "2026-06-30", "North", [10, 8, 2][i % 3], 3, text])
    folder = tmp_path_factory.mktemp("hostile-comments")
    project = write_project(folder / "p", csv_text(rows), report={"comments_shown": 30})
    out = folder / "out"
    result = CliRunner().invoke(cli, ["build", str(project), "-o", str(out), "--format", "both"])
    return result, out, list(trap.requests), comments


def test_survey_comments_render_as_text_in_html(survey_build):
    result, out, requests, comments = survey_build
    assert result.exit_code == 0, (result.output, repr(result.exception))
    html = (out / "report.html").read_text(encoding="utf-8")
    assert_printed_as_text(html, list(comments.values()), "report.html")
    assert "<script>alert('cx')" not in html and "</style><style>" not in html
    assert requests == []


def test_survey_comments_render_as_text_in_pdf(survey_build):
    result, out, requests, comments = survey_build
    assert result.exit_code == 0, result.output
    assert_pdf_prints(out / "report.pdf", list(comments.values()))
    assert requests == []


@pytest.fixture(scope="module")
def shop_build(trap, tmp_path_factory):
    """A mystery-shop visit whose comments, item comments and evidence are hostile, submitted
    and reported (scoresheet, location report, programme summary; HTML and PDF)."""
    import json

    from shop_helpers import scale, section, write_programme, yes_no
    from cxreport.shop import commands
    from cxreport.shop.loadprog import load_programme
    from cxreport.shop.reports import render_all

    trap.requests.clear()
    c = hostile_comments(trap.url)
    folder = tmp_path_factory.mktemp("hostile-shop")
    prog = load_programme(write_programme(folder / "prog", [
        section("greet", [yes_no("A1", comment_required_on_fail=True), yes_no("A2"),
                          yes_no("A3", evidence_required=True)]),
        section("needs", [scale("N1", [("Thoroughly", 3), ("Partly", 1), ("Not at all", 0)])]),
    ]))
    visit = {"visit_id": "V-1", "location_id": "L1", "shopper_id": "SH-101", "wave": "W1", "channel": "branch",
             "visit_date": "2026-01-12", "start_time": "10:00", "end_time": "10:20",
             "answers": {"A1": {"answer": "no", "comment": c["script"] + " " + c["img onerror"]},
                         "A2": {"answer": "yes", "comment": c["jinja"]},
                         "A3": {"answer": "yes", "evidence": c["jinja raw"]},
                         "N1": {"answer": "Partly", "comment": c["css url"]}},
             "comments": c["style break"] + " " + c["attachment"]}
    path = folder / "V-1.json"
    path.write_text(json.dumps(visit), encoding="utf-8")
    outcomes = commands.submit_files(prog, [path])
    out = folder / "out"
    written = render_all(prog, out, scoresheets=True, locations=True, formats=("html", "pdf"), jobs=1)
    return outcomes, out, written, list(trap.requests), c


def test_shopper_comments_render_as_text_in_html(shop_build):
    outcomes, out, _written, requests, c = shop_build
    assert [o.status for o in outcomes] == ["accepted"], outcomes
    sheet = next((out / "scoresheets").glob("*.html")).read_text(encoding="utf-8")
    assert_printed_as_text(sheet, list(c.values()), "scoresheet")
    location = next((out / "locations").glob("*.html")).read_text(encoding="utf-8")
    assert_printed_as_text(location, [c["style break"], c["attachment"]], "location report")
    summary = (out / "programme-summary.html").read_text(encoding="utf-8")
    assert_printed_as_text(summary, [], "programme summary")
    assert requests == []


def test_shopper_comments_render_as_text_in_pdf(shop_build):
    _outcomes, out, _written, requests, c = shop_build
    assert_pdf_prints(next((out / "scoresheets").glob("*.pdf")), list(c.values()))
    assert_pdf_prints(next((out / "locations").glob("*.pdf")), [c["style break"], c["attachment"]])
    assert requests == []


# --------------------------------------------------------------------------- paths stay in the project


#: Every path a project file can name: key → (overrides putting VALUE there, file kind).
PROJECT_PATHS = {
    "survey.file": (lambda v: {"survey": {"file": v}}, "csv"),
    "client.logo": (lambda v: {"client": {"name": "Acme", "logo": v}}, "png"),
    "report.narrative.executive_summary": (lambda v: {"report": {"narrative": {"executive_summary": v}}}, "md"),
    "quarterly.narrative": (lambda v: {"quarterly": {"narrative": v}}, "md"),
    "benchmarks.files[0]": (lambda v: {"benchmarks": {"files": [v]}}, "yaml"),
    "competitors.table.file": (lambda v: {"competitors": {"own_brand": "Test Co", "table": {"file": v}}}, "csv"),
}

ESCAPES = ["dotdot", "absolute", "file symlink", "folder symlink"]


def _escape(kind: str, folder: Path, outside: Path, ext: str) -> str:
    """A path written in the project file that reaches ``outside`` (a file beside the project)."""
    if kind == "dotdot":
        return f"../{outside.name}"
    if kind == "absolute":
        return str(outside)
    if kind == "file symlink":
        (folder / f"link.{ext}").symlink_to(outside)
        return f"link.{ext}"
    (folder / "shared").symlink_to(outside.parent, target_is_directory=True)
    return f"shared/{outside.name}"


def _outside_file(tmp_path: Path, ext: str) -> Path:
    outside = tmp_path / f"elsewhere.{ext}"
    outside.write_bytes(LOGO_PNG.read_bytes() if ext == "png" else b"id,q_nps\n1,9\n")
    return outside


@pytest.mark.parametrize("kind", ESCAPES)
@pytest.mark.parametrize("key", list(PROJECT_PATHS))
def test_project_paths_cannot_leave_the_project_folder(tmp_path, key, kind):
    """`../`, an absolute path and a symlink out of the folder are refused with one line that
    names the project-file key; exit 1, no traceback."""
    from click.testing import CliRunner

    from conftest import write_project
    from cxreport.cli import cli

    overrides, ext = PROJECT_PATHS[key]
    folder = tmp_path / "p"
    folder.mkdir()
    outside = _outside_file(tmp_path, ext)
    project = write_project(folder, **overrides(_escape(kind, folder, outside, ext)))
    result = CliRunner().invoke(cli, ["validate", str(project)])
    assert result.exit_code == 1, result.output
    lines = [ln for ln in result.stderr.splitlines() if "outside the project folder" in ln]
    assert len(lines) == 1 and f"{key}:" in lines[0], result.stderr
    assert "Traceback" not in result.output and not isinstance(result.exception, (OSError, ValueError))


def test_a_symlink_that_stays_inside_the_project_is_fine(tmp_path):
    from conftest import write_project
    from cxreport.config.loader import load_project

    folder = tmp_path / "p"
    project = write_project(folder, files={"brand/logo.png": LOGO_PNG.read_bytes()})
    (folder / "logo-link.png").symlink_to(folder / "brand" / "logo.png")
    project = write_project(folder, client={"name": "Acme", "logo": "logo-link.png"})
    assert load_project(project).client.logo == (folder / "brand" / "logo.png").resolve()


PROGRAMME_PATHS = {
    "locations.file": lambda v: {"locations": {"file": v}},
    "programme.client.logo": lambda v: {"programme": {"name": "P", "client": {"name": "C", "logo": v}}},
}


@pytest.mark.parametrize("kind", ESCAPES)
@pytest.mark.parametrize("key", list(PROGRAMME_PATHS))
def test_programme_paths_cannot_leave_the_programme_folder(tmp_path, key, kind):
    import yaml

    from shop_helpers import section, write_programme, yes_no
    from cxreport.errors import ConfigError
    from cxreport.shop.loadprog import load_programme

    folder = tmp_path / "prog"
    path = write_programme(folder, [section("s", [yes_no("A1")])])
    ext = "png" if key.endswith("logo") else "csv"
    outside = _outside_file(tmp_path, ext)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(PROGRAMME_PATHS[key](_escape(kind, folder, outside, ext)))
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_programme(path)
    message = info.value.format_message()
    assert f"{key}:" in message and "outside the project folder" in message, message


@pytest.mark.parametrize("name", ["../ledger.sqlite", "/tmp/ledger.sqlite", "sub/ledger.sqlite"])
def test_the_ledger_is_a_file_name_beside_the_programme(tmp_path, name):
    from shop_helpers import section, write_programme, yes_no
    from cxreport.errors import ConfigError
    from cxreport.shop.loadprog import load_programme

    path = write_programme(tmp_path / "prog", [section("s", [yes_no("A1")])])
    path.write_text(path.read_text(encoding="utf-8") + f"ledger: '{name}'\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_programme(path)
    assert "ledger" in info.value.format_message()


# --------------------------------------------------------------------------- exports neutralise formulas


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Text a spreadsheet would run, one for each dangerous first character.
FORMULAS = ['=HYPERLINK("http://127.0.0.1:9/x","click")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
            "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("text", FORMULAS)
def test_safe_cell_neutralises_every_formula_start(text):
    from cxreport.export import safe_cell

    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["", "North", "Very good - fast", "'already quoted", "1 = 1", "—"])
def test_safe_cell_leaves_ordinary_text(text):
    from cxreport.export import safe_cell

    assert safe_cell(text) == text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def assert_no_formula_cells(cells, where: str) -> None:
    """No cell holds text a spreadsheet would run; numbers (which may be negative) are fine."""
    for ref, value, data_type in cells:
        assert data_type != "f", f"{where} {ref}: formula {value!r}"
        if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _is_number(value):
            raise AssertionError(f"{where} {ref}: {value!r} would run as a formula")


#: Segment values and labels from the data and the project file, each starting like a formula.
SEGMENT_VALUES = ['=HYPERLINK("http://127.0.0.1:9/x","click")', "+SUM(1)", "-3+4 team", "@cmd"]


@pytest.fixture(scope="module")
def formula_project(tmp_path_factory):
    from conftest import csv_text, default_rows, write_project

    rows = default_rows(80)
    for i, row in enumerate(rows):
        row[2] = SEGMENT_VALUES[i % 4]
        row[5] = "=1+1 said the comment" if i % 5 == 0 else row[5]
    folder = tmp_path_factory.mktemp("formulas")
    columns = {"respondent_id": "resp_id", "date": "response_date", "comment": "comment",
               "nps": {"column": "q_nps", "label": "=NPS()"}, "csat": {"column": "q_csat", "scale": 5, "label": "+CSAT"},
               "segments": {"@Region": "region"}}
    return write_project(folder / "p", csv_text(rows), client={"name": "=Client"},
                         report={"title": "-Title", "date": "2026-03-31"}, columns=columns)


def test_scores_csv_neutralises_formulas(formula_project, tmp_path):
    import csv

    from click.testing import CliRunner

    from cxreport.cli import cli

    out = tmp_path / "scores.csv"
    result = CliRunner().invoke(cli, ["score", str(formula_project), "--format", "csv", "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(out.open(encoding="utf-8", newline="")))
    assert_no_formula_cells([(f"row {r} col {c}", v, "s") for r, row in enumerate(rows) for c, v in enumerate(row)],
                            "scores.csv")
    groups = {row[1] for row in rows[1:]}
    assert {"'" + v for v in SEGMENT_VALUES} <= groups
    assert "'=NPS()" in {row[3] for row in rows[1:]} and "'@Region" in {row[0] for row in rows[1:]}


def test_xlsx_workbook_neutralises_formulas(formula_project, tmp_path):
    import openpyxl
    from click.testing import CliRunner

    from cxreport.cli import cli

    result = CliRunner().invoke(cli, ["build", str(formula_project), "-o", str(tmp_path), "--format", "xlsx"])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(tmp_path / "report.xlsx")
    for ws in book.worksheets:
        assert_no_formula_cells([(c.coordinate, c.value, c.data_type) for row in ws.iter_rows() for c in row],
                                f"report.xlsx {ws.title}")
    texts = {c.value for ws in book.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert {"'=Client", "'-Title", "'=NPS()", "'+CSAT", "'@Region"} <= texts
    assert {"'" + v for v in SEGMENT_VALUES} <= texts


@pytest.fixture(scope="module")
def shop_with_formulas(tmp_path_factory):
    import json

    from shop_helpers import section, write_programme, yes_no
    from cxreport.shop import commands
    from cxreport.shop.loadprog import load_programme

    folder = tmp_path_factory.mktemp("shop-formulas")
    prog = load_programme(write_programme(folder / "prog", [
        section("s", [yes_no("A1", comment_required_on_fail=True), yes_no("A2", evidence_required=True)])]))
    visit = {"visit_id": "V-1", "location_id": "L1", "shopper_id": "SH-1", "wave": "W1", "channel": "branch",
             "visit_date": "2026-01-12", "start_time": "10:00", "end_time": "10:20",
             "answers": {"A1": {"answer": "no", "comment": FORMULAS[0]},
                         "A2": {"answer": "yes", "comment": FORMULAS[1], "evidence": FORMULAS[3]}},
             "comments": FORMULAS[2]}
    path = folder / "V-1.json"
    path.write_text(json.dumps(visit), encoding="utf-8")
    assert [o.status for o in commands.submit_files(prog, [path])] == ["accepted"]
    return prog, folder


def test_shop_export_csv_neutralises_formulas(shop_with_formulas):
    import csv

    from cxreport.shop import commands

    prog, folder = shop_with_formulas
    paths = commands.export(prog, folder / "export" / "shop.csv", "csv")
    cells = {}
    for path in paths:
        rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
        assert_no_formula_cells([(f"{path.name} row {r}", v, "s") for r, row in enumerate(rows) for v in row], path.name)
        cells[path.name] = {v for row in rows for v in row}
    answers = cells["shop_answers.csv"]
    assert {"'" + FORMULAS[0], "'" + FORMULAS[1], "'" + FORMULAS[3]} <= answers


def test_shop_export_xlsx_neutralises_formulas(shop_with_formulas):
    import openpyxl

    from cxreport.shop import commands

    prog, folder = shop_with_formulas
    [path] = commands.export(prog, folder / "export" / "shop.xlsx", "xlsx")
    book = openpyxl.load_workbook(path)
    for ws in book.worksheets:
        assert_no_formula_cells([(c.coordinate, c.value, c.data_type) for row in ws.iter_rows() for c in row],
                                f"{path.name} {ws.title}")
    texts = {c.value for ws in book.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert {"'" + FORMULAS[0], "'" + FORMULAS[1], "'" + FORMULAS[3]} <= texts
