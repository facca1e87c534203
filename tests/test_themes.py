"""Themes and user templates: a project's templates/ folder and installed themes replace
built-in templates; every template runs sandboxed on plain data; `cxreport themes`.

See docs/themes.md. The worked example (docs/examples/northwind-theme) is built here both
as a project templates folder and as a theme package installed with pip."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pypdf
import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from cxreport.cli import cli
from cxreport.errors import ConfigError, RenderError
from cxreport.present.render import make_environment, render_html, render_report
from cxreport.present.sandbox import plain_data
from cxreport.present.themes import installed_themes, template_search

from conftest import REPO, SAMPLE_DIR, write_project

EXAMPLE = REPO / "docs" / "examples" / "northwind-theme"
PNG = (REPO / "samples" / "harbour-bank" / "brand" / "logo.png").read_bytes()
BRAND = {"primary": "#0B3C5D", "accent": "#1C8C8C", "font": "Lato"}


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def assert_one_line_error(result, *needles: str, out_dir: Path | None = None) -> str:
    """Exit 1 through a handled error: one 'Error:' line naming the problem, no traceback,
    and no report written."""
    assert result.exit_code == 1, (result.exit_code, result.output, repr(result.exception))
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in errors[0], (needle, errors[0])
    if out_dir is not None and out_dir.exists():
        assert sorted(p.name for p in out_dir.iterdir()) == []
    return errors[0]


def build_html(project: Path, out: Path, *extra) -> str:
    result = invoke("build", project, "-o", out, "--format", "html", *extra)
    assert result.exit_code == 0, (result.output, repr(result.exception))
    return (out / "report.html").read_text(encoding="utf-8")


def pdf_pages(path: Path) -> list[str]:
    return [page.extract_text() or "" for page in pypdf.PdfReader(path).pages]


def render_one(tmp_path: Path, text: str, name: str = "client_report.html", context: dict | None = None) -> str:
    """Render a single project template ``name`` holding ``text`` (no data needed)."""
    folder = tmp_path / "proj" / "templates"
    (folder / name).parent.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    search = template_search(folder, project_dir=folder.parent)
    return render_html(name, {"brand": BRAND, **(context or {})}, "html", make_environment(search))


# --------------------------------------------------------------------------- fake installed themes


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A folder on sys.path where :func:`make_theme` installs themes (package + dist-info)."""
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    return folder


def make_theme(site: Path, name: str, files: dict[str, str | bytes], *, extends: str | None = None,
               package: str | None = None, description: str = "", dist: str | None = None) -> Path:
    package = package or name.replace("-", "_") + "_theme"
    dist = dist or f"{name}-theme"
    pkg = site / package
    pkg.mkdir()
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    for rel, content in files.items():
        target = pkg / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    if extends or description:
        (pkg / "cxreport-theme.yaml").write_text(
            (f"extends: {extends}\n" if extends else "") + (f"description: {description}\n" if description else ""),
            encoding="utf-8")
    info = site / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[cxreport.themes]\n{name} = {package}\n", encoding="utf-8")
    return pkg


# --------------------------------------------------------------------------- project templates


def test_a_project_partial_replaces_the_built_in_one_in_html_and_pdf(tmp_path):
    project = write_project(tmp_path / "p", client={"name": "Acme <b>Bold</b>"}, files={
        "templates/partials/methodology.html":
            "<p class=\"house-method\">Northwind method note for {{ client.name }}: {{ sample.base|num }} interviews.</p>"})
    out = tmp_path / "out"
    result = invoke("build", project, "-o", out, "--format", "both")
    assert result.exit_code == 0, (result.output, repr(result.exception))
    soup = BeautifulSoup((out / "report.html").read_text(encoding="utf-8"), "html.parser")
    section = soup.find("section", id="methodology")
    note = section.find("p", class_="house-method")
    # escaped, not bold; the base is the reporting window's (2026 Q2, the latest quarter: 30 of 60 rows)
    assert note.get_text() == "Northwind method note for Acme <b>Bold</b>: 30 interviews."
    assert section.find("b") is None
    assert "Sample and fieldwork" not in section.get_text()          # the built-in partial is gone
    assert soup.find("section", id="scorecard") is not None            # the rest is the built-in report
    text = "\n".join(pdf_pages(out / "report.pdf"))
    assert "Northwind method note for Acme <b>Bold</b>: 30 interviews." in text
    assert "Sample and fieldwork" not in text


def test_extends_default_overrides_one_block_and_the_footer_runs_on_every_page(tmp_path):
    project = write_project(tmp_path / "p", report={"confidentiality": "Strictly private"}, files={
        "templates/client_report.html": (
            '{% extends "default:client_report.html" %}\n'
            '{% block cover %}<header class="cover"><h1 class="house-cover">{{ report.title }} by Northwind</h1>'
            '<img class="house-logo" src="{{ asset(\'brand/mark.png\') }}" alt=""></header>{% endblock %}\n'
            '{% block footer %}Northwind Insight · northwind.example{% endblock %}\n'),
        "templates/brand/mark.png": PNG})
    out = tmp_path / "out"
    result = invoke("build", project, "-o", out, "--format", "both")
    assert result.exit_code == 0, (result.output, repr(result.exception))
    soup = BeautifulSoup((out / "report.html").read_text(encoding="utf-8"), "html.parser")
    assert soup.find("h1", class_="house-cover").get_text() == "Test report by Northwind"
    assert soup.select(".cover .band") == []                            # the built-in cover is replaced
    assert soup.find("nav", class_="toc") is not None                   # other blocks stay built-in
    assert [s["id"] for s in soup.find_all("section", class_="chapter")][:2] == ["executive_summary", "scorecard"]
    logo = soup.find("img", class_="house-logo")["src"]
    assert logo == "data:image/png;base64," + base64.b64encode(PNG).decode("ascii")
    assert soup.find("footer", class_="report-footer").get_text(strip=True) == "Northwind Insight · northwind.example"
    pages = pdf_pages(out / "report.pdf")
    assert "Test report by Northwind" in pages[0]
    assert "Northwind Insight" not in pages[0]                          # no page footer on the cover
    for page in pages[1:]:
        assert "Northwind Insight · northwind.example" in page and "Strictly private" in page


def test_without_a_footer_block_the_report_has_no_page_footer(tmp_path):
    html = build_html(write_project(tmp_path / "p"), tmp_path / "out")
    soup = BeautifulSoup(html, "html.parser")
    assert soup.select(".page-footer, footer.report-footer, .with-page-footer") == []


def test_report_templates_key_names_another_folder(tmp_path):
    project = write_project(tmp_path / "p", report={"templates": "look"}, files={
        "look/partials/methodology.html": "<p id=\"from-look\">look folder</p>",
        "templates/partials/methodology.html": "<p id=\"from-templates\">templates folder</p>"})
    soup = BeautifulSoup(build_html(project, tmp_path / "out"), "html.parser")
    assert soup.find(id="from-look") is not None
    assert soup.find(id="from-templates") is None


def test_a_templates_folder_outside_the_project_is_refused_unless_allowed(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "partials").mkdir(parents=True)
    (elsewhere / "partials" / "methodology.html").write_text("<p id=\"outside\">x</p>", encoding="utf-8")
    project = write_project(tmp_path / "p", report={"templates": "../elsewhere"})
    out = tmp_path / "out"
    assert_one_line_error(invoke("build", project, "-o", out), "report.templates", "outside the project folder",
                          out_dir=out)
    html = build_html(project, out, "--allow-outside-paths")
    assert BeautifulSoup(html, "html.parser").find(id="outside") is not None


def test_a_missing_templates_folder_is_a_config_error(tmp_path):
    project = write_project(tmp_path / "p", report={"templates": "nope"})
    assert_one_line_error(invoke("validate", project), "report.templates", "not found: nope")


def test_a_template_linked_to_a_file_outside_the_folder_is_refused(tmp_path):
    secret = tmp_path / "secret.html"
    secret.write_text("TOP SECRET", encoding="utf-8")
    project = write_project(tmp_path / "p")
    (tmp_path / "p" / "templates" / "partials").mkdir(parents=True)
    os.symlink(secret, tmp_path / "p" / "templates" / "partials" / "methodology.html")
    out = tmp_path / "out"
    err = assert_one_line_error(invoke("build", project, "-o", out), "partials/methodology.html",
                                "link to a file outside", out_dir=out)
    assert "TOP SECRET" not in err


def test_a_syntax_error_fails_before_the_data_is_read(tmp_path, monkeypatch):
    project = write_project(tmp_path / "p", files={"templates/partials/extra.html": "<p>\n{% if %}\n</p>"})
    import cxreport.build

    def no_run(*a, **k):
        raise AssertionError("the pipeline ran")

    monkeypatch.setattr(cxreport.build, "run", no_run)
    assert_one_line_error(invoke("build", project, "-o", tmp_path / "out"),
                          "templates/partials/extra.html, line 2: template syntax error")


# --------------------------------------------------------------------------- the sandbox

ESCAPES = {
    "class": ("{{ ''.__class__.__mro__ }}", "access to attribute '__class__' of 'str' object is unsafe"),
    "globals": ("{{ cycler.__init__.__globals__ }}", "access to attribute '__init__'"),
    "context": ("{{ self._TemplateReference__context }}", "_TemplateReference__context"),
    "config": ("{{ config }}", "'config' is undefined"),
    "mutate": ("{% set x = [].append(1) %}", "access to attribute 'append' of 'list' object is unsafe"),
    "attr-filter": ("{{ ''|attr('__class__') }}", "access to attribute '__class__'"),
    "format": ("{{ '{0.__class__}'.format(1) }}", "access to attribute '__class__'"),
    "dict-update": ("{% set d = {} %}{{ d.update(a=1) }}", "access to attribute 'update' of 'dict'"),
    "parent-dir": ('{% include "../../etc/passwd" %}', "template not found: ../../etc/passwd"),
    "absolute": ('{% include "/etc/passwd" %}', "template not found: /etc/passwd"),
    "default-parent-dir": ('{% include "default:../../etc/passwd" %}', "template not found"),
    "asset-parent-dir": ("{{ asset('../../etc/passwd') }}", "asset not found"),
    "repeat": ("{{ 'x' * 1000000000 }}", "more than 1,000,000 items"),
    "power": ("{{ 10 ** 1000000000 }}", "exponent"),
    "range": ("{{ range(1000000000)|list|length }}", "Range too big"),
    "python-error": ("{{ 1 + 'a' }}", "TypeError: unsupported operand"),
    "extends-itself": ('{% extends "client_report.html" %}', "without end"),
}


@pytest.mark.parametrize("name", list(ESCAPES))
def test_template_escape_attempts_fail_with_one_line_naming_the_template(tmp_path, name):
    text, needle = ESCAPES[name]
    with pytest.raises(RenderError) as info:
        render_one(tmp_path, "<p>before</p>\n" + text)
    message = info.value.format_message()
    assert message.startswith("templates/client_report.html, line 2: "), message
    assert needle in message
    assert "\n" not in message and "Traceback" not in message


@pytest.mark.parametrize("name", ["class", "mutate", "parent-dir"])
def test_escape_attempts_in_a_partial_fail_the_build_without_output(tmp_path, name):
    text, needle = ESCAPES[name]
    project = write_project(tmp_path / "p", files={"templates/partials/methodology.html": f"<p>x</p>\n{text}"})
    out = tmp_path / "out"
    assert_one_line_error(invoke("build", project, "-o", out, "--format", "both"),
                          "templates/partials/methodology.html, line 2:", needle, out_dir=out)


def test_templates_see_plain_data_only(tmp_path):
    from cxreport.config import load_project
    from cxreport.pipeline import run
    from cxreport.present.charts import Chart, draw_all
    from cxreport.present.context import build_context

    study = run(load_project(write_project(tmp_path / "p")))
    context = draw_all(build_context(study, build_date=dt.date(2026, 3, 31)), processes=1)
    assert isinstance(context["charts"]["nps"], Chart)            # objects before ...
    plain = plain_data(context)
    allowed = (dict, list, str, int, float, bool, type(None), dt.date, bytes)

    def walk(node, path):
        assert isinstance(node, allowed), (path, type(node))
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{path}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{path}[{i}]")

    walk(plain, "context")                                         # ... plain data after
    chart = plain["charts"]["nps"]
    assert chart["png_data_uri"] == context["charts"]["nps"].png_data_uri   # properties come along
    assert plain["nps"]["result"]["headline"]["value"] == context["nps"]["result"].headline.value
    with pytest.raises(TypeError, match="cannot hand a"):
        plain_data({"x": object()})


def test_a_user_template_cannot_reach_the_scoring_objects(tmp_path):
    """The context's dataclasses arrive as dicts: no methods, no class to climb."""
    html = render_one(tmp_path, "{{ findings[0].text }}|{{ findings[0].keys is defined }}",
                      context={"findings": [_Finding("NPS is +25.", "headline")]})
    assert html == "NPS is +25.|True"            # a dict (with dict methods), not the Finding object
    with pytest.raises(RenderError, match="unsafe"):
        render_one(tmp_path, "{{ findings[0].__class__ }}", context={"findings": [_Finding("a", "b")]})


def _Finding(text, kind):
    from cxreport.present.findings import Finding

    return Finding(text, kind)


# --------------------------------------------------------------------------- CSS and assets


def test_extra_css_is_appended_with_its_files_embedded(tmp_path):
    project = write_project(tmp_path / "p", files={
        "templates/theme/extra.css": ".cover { background: url('images/wave.png') no-repeat; }\n/* house */",
        "templates/theme/images/wave.png": PNG})
    soup = BeautifulSoup(build_html(project, tmp_path / "out"), "html.parser")
    css = soup.find("style").get_text()
    assert css.index("cxreport default theme") < css.index("/* house */")   # after the built-in CSS
    assert 'url("data:image/png;base64,' + base64.b64encode(PNG).decode("ascii") + '")' in css
    assert "images/wave.png" not in css


@pytest.mark.parametrize("css, needle", [
    ("body { background: url(http://example.com/x.png); }", "url(http://example.com/x.png) is not a file"),
    ("body { background: url(file:///etc/passwd); }", "is not a file in the theme"),
    ("body { background: url(../../../secret.png); }", "is not a file inside"),
    ("@import url(more.css);", "@import is not supported"),
    ("body::after { content: '</style><script>alert(1)</script>'; }", "'</' may not appear"),
])
def test_extra_css_that_reaches_out_fails_the_build(tmp_path, monkeypatch, css, needle):
    """... at once, before the data is read."""
    import cxreport.build

    monkeypatch.setattr(cxreport.build, "run", lambda *a, **k: pytest.fail("the pipeline ran"))
    (tmp_path / "secret.png").write_bytes(PNG)
    project = write_project(tmp_path / "p", files={"templates/theme/extra.css": css})
    out = tmp_path / "out"
    assert_one_line_error(invoke("build", project, "-o", out, "--format", "html"),
                          "templates/theme/extra.css", needle, out_dir=out)


def test_a_project_report_css_replaces_the_built_in_css(tmp_path):
    html = render_one(tmp_path, "{{ css }}", name="client_report.html")
    assert "cxreport default theme" in html
    (tmp_path / "proj" / "templates" / "theme").mkdir()
    (tmp_path / "proj" / "templates" / "theme" / "report.css").write_text("/* all mine */", encoding="utf-8")
    css = render_one(tmp_path, "{{ css }}")
    # The theme's CSS replaces the built-in one; only the language's words (the PDF page
    # footer) are still added after it.
    assert css.startswith("/* all mine */") and "cxreport default theme" not in css


def test_the_pdf_may_load_files_from_the_theme_folder_only(site, tmp_path):
    theme = make_theme(site, "acme", {"theme/logo.png": PNG})
    inside = (theme / "theme" / "logo.png").as_uri()
    outside = tmp_path / "outside.png"
    outside.write_bytes(PNG)
    (theme / "client_report.html").write_text(
        f'<!DOCTYPE html><html lang="en"><title>t</title><img src="{inside}" alt="logo"></html>', encoding="utf-8")
    search = template_search(theme="acme")
    rendered = render_report({"brand": BRAND}, template="client_report.html", out_dir=tmp_path / "out", name="r",
                             formats=("pdf",), allowed_dirs=[tmp_path / "project"], templates=search)
    page = pypdf.PdfReader(rendered.paths["pdf"]).pages[0]
    assert len(page.images) == 1
    (theme / "client_report.html").write_text(
        f'<!DOCTYPE html><html lang="en"><title>t</title><img src="{outside.as_uri()}" alt="x"></html>',
        encoding="utf-8")
    with pytest.raises(RenderError, match="outside the project and template folders"):
        render_report({"brand": BRAND}, template="client_report.html", out_dir=tmp_path / "out2", name="r",
                      formats=("pdf",), allowed_dirs=[tmp_path / "project"], templates=template_search(theme="acme"))


# --------------------------------------------------------------------------- installed themes


def test_an_installed_theme_its_parent_and_the_project_folder_stack_up(site, tmp_path):
    make_theme(site, "acme", description="Acme house style", files={
        "partials/methodology.html": "<p id=\"acme-method\">Acme method</p>",
        "client_report.html": '{% extends "default:client_report.html" %}'
                              '{% block cover %}<h1 id="acme-cover">Acme cover</h1>{% endblock %}',
        "theme/extra.css": "/* acme css */"})
    make_theme(site, "acme-dark", extends="acme", files={
        "client_report.html": '{% extends "acme:client_report.html" %}'
                              '{% block footer %}<span id="dark-footer">Acme Dark</span>{% endblock %}',
        "theme/extra.css": "/* dark css */"})
    project = write_project(tmp_path / "p", report={"theme": "acme-dark"}, files={
        "templates/theme/extra.css": "/* project css */"})
    soup = BeautifulSoup(build_html(project, tmp_path / "out"), "html.parser")
    assert soup.find(id="acme-cover").get_text() == "Acme cover"          # parent's block, through acme:
    assert soup.find(id="dark-footer") is not None                         # child's block
    assert soup.find(id="acme-method") is not None                         # parent's partial
    css = soup.find("style").get_text()
    assert css.index("cxreport default theme") < css.index("/* acme css */") < css.index("/* dark css */") \
        < css.index("/* project css */")


def test_themes_list_and_show(site):
    make_theme(site, "acme", description="Acme house style", files={
        "partials/methodology.html": "x", "partials/acme_note.html": "y", "theme/extra.css": "/* */"})
    make_theme(site, "acme-dark", extends="acme", files={"partials/methodology.html": "z"})
    result = invoke("themes", "list")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "default\n  from:      built into cxreport" in out
    block = out[out.index("\nacme\n"):out.index("\nacme-dark\n")]
    assert "from:      acme-theme 1.0 (entry point acme = acme_theme)" in block
    assert f"folder:    {(site / 'acme_theme').resolve()}" in block
    assert "extends:   default" in block and "about:     Acme house style" in block
    assert "overrides: partials/methodology.html\n" in block
    assert "adds:      partials/acme_note.html, theme/extra.css" in block
    dark = out[out.index("\nacme-dark\n"):]
    assert "extends:   acme" in dark and "overrides: partials/methodology.html" in dark
    shown = invoke("themes", "show", "acme-dark")
    assert shown.exit_code == 0 and "chain:     acme-dark → acme → default" in shown.output
    assert_one_line_error(invoke("themes", "show", "acme-drak"), "theme 'acme-drak' is not installed",
                          "did you mean 'acme-dark'")


def test_themes_list_with_a_project_shows_its_search_order(site, tmp_path):
    make_theme(site, "acme", files={"partials/methodology.html": "x"})
    project = write_project(tmp_path / "p", report={"theme": "acme"},
                            files={"templates/partials/methodology.html": "y", "templates/cover.html": "z"})
    result = invoke("themes", "list", "--project", project)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line[:1].isdigit()]
    assert lines == ["1. templates", "2. acme", "3. default"]
    assert "overrides: partials/methodology.html" in result.output and "adds:      cover.html" in result.output


def test_no_themes_installed():
    result = invoke("themes", "list")
    assert result.exit_code == 0
    assert "No themes are installed" in result.output


@pytest.mark.parametrize("setup, needles", [
    ({"report": {"theme": "acme"}}, ["report.theme", "theme 'acme' is not installed", "installed themes: loop-a, loop-b, orphan, real"]),
    ({"report": {"theme": "reel"}}, ["report.theme", "did you mean 'real'"]),
    ({"report": {"theme": "orphan"}}, ["theme 'orphan' extends 'ghost', which is not installed"]),
    ({"report": {"theme": "loop-a"}}, ["themes extend each other in a circle: loop-a → loop-b → loop-a"]),
])
def test_a_missing_or_broken_theme_is_a_config_error_with_its_key(site, tmp_path, setup, needles):
    make_theme(site, "real", files={})
    make_theme(site, "orphan", extends="ghost", files={})
    make_theme(site, "loop-a", extends="loop-b", files={})
    make_theme(site, "loop-b", extends="loop-a", files={})
    project = write_project(tmp_path / "p", **setup)
    assert_one_line_error(invoke("validate", project), *needles)


def test_broken_registrations_are_reported_and_the_rest_still_listed(site):
    make_theme(site, "good", files={})
    make_theme(site, "default", package="bad_default", dist="bad-default", files={})
    make_theme(site, "nopkg", files={})
    shutil.rmtree(site / "nopkg_theme")
    make_theme(site, "badyaml", files={})
    (site / "badyaml_theme" / "cxreport-theme.yaml").write_text("extend: good\n", encoding="utf-8")
    found = installed_themes()
    assert list(found.themes) == ["good"]
    problems = "\n".join(found.problems)
    assert "theme 'default'" in problems and "not 'default'" in problems
    assert "theme 'nopkg'" in problems and "package nopkg_theme is not installed" in problems
    assert "theme 'badyaml'" in problems and "extend: unknown key (expected extends, description)" in problems
    result = invoke("themes", "list")
    assert result.exit_code == 0
    assert "\ngood\n" in result.output
    assert sum(line.startswith("Warning: theme '") for line in result.stderr.splitlines()) == 3
    with pytest.raises(ConfigError, match="package nopkg_theme is not installed"):
        template_search(theme="nopkg")


def test_the_default_prefix_always_reaches_the_built_ins(site, tmp_path):
    make_theme(site, "acme", files={"base.html": "<p>acme base</p>"})
    search = template_search(tmp_path, theme="acme")
    (tmp_path / "base.html").write_text("project base", encoding="utf-8")
    env = make_environment(search)
    assert env.loader.get_source(env, "base.html")[0] == "project base"
    assert env.loader.get_source(env, "acme:base.html")[0] == "<p>acme base</p>"
    assert "<!DOCTYPE html>" in env.loader.get_source(env, "default:base.html")[0]


def test_the_quarterly_review_uses_the_same_search_order(tmp_path):
    project = write_project(tmp_path / "p", files={"templates/quarterly_review.html": (
        '{% extends "default:quarterly_review.html" %}'
        '{% block body %}<p id="house-note">Northwind review of {{ review.period }}</p>{{ super() }}{% endblock %}')})
    out = tmp_path / "out"
    result = invoke("build", project, "-o", out, "--format", "html", "--report", "quarterly")
    assert result.exit_code == 0, (result.output, repr(result.exception))
    soup = BeautifulSoup((out / "report-quarterly.html").read_text(encoding="utf-8"), "html.parser")
    assert soup.find(id="house-note").get_text() == "Northwind review of 2026 Q2"
    assert soup.find(id="what-changed") is not None                     # the built-in body follows


# --------------------------------------------------------------------------- the worked example


def test_the_docs_show_the_example_files_as_they_are():
    """docs/themes.md quotes the example's files; the tests build those files."""
    import re

    doc = (REPO / "docs" / "themes.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```(?:jinja|css|toml|yaml)\n(.*?)\n```", doc, re.S)
    quoted = ["client_report.html", "partials/methodology.html", "theme/extra.css", "../pyproject.toml",
              "cxreport-theme.yaml"]
    for rel in quoted:
        text = (EXAMPLE / "northwind_theme" / rel).read_text(encoding="utf-8").rstrip("\n")
        assert text in blocks, f"docs/themes.md does not quote {rel} as it is"


def _example_templates(target: Path) -> None:
    shutil.copytree(EXAMPLE / "northwind_theme", target, ignore=shutil.ignore_patterns("__pycache__"))


@pytest.mark.slow
def test_worked_example_rebrands_the_harbour_bank_report(tmp_path):
    """docs/themes.md: the Harbour Bank sample with Northwind Insight's templates folder."""
    project_dir = tmp_path / "harbour-bank"
    shutil.copytree(SAMPLE_DIR, project_dir, ignore=shutil.ignore_patterns("out", "__pycache__"))
    _example_templates(project_dir / "templates")
    project = project_dir / "cxreport.yaml"
    text = project.read_text(encoding="utf-8")
    assert "prepared_by: Northlight Research" in text
    project.write_text(text.replace("prepared_by: Northlight Research", "prepared_by: Northwind Insight"),
                       encoding="utf-8")
    out = tmp_path / "out"
    result = invoke("build", project, "-o", out, "--format", "both")
    assert result.exit_code == 0, (result.output, repr(result.exception))
    soup = BeautifulSoup((out / "report.html").read_text(encoding="utf-8"), "html.parser")
    cover = soup.find("header", class_="nw-cover")
    assert cover.find("p", class_="nw-kicker").get_text() == "A Northwind Insight report for Harbour Bank"
    assert cover.find("img", class_="nw-logo")["src"].startswith("data:image/svg+xml;base64,")
    assert cover.find("img", class_="logo")["src"].startswith("data:image/png;base64,")   # the client's logo
    assert "Northwind Insight · customer experience research" in soup.find("footer", class_="report-footer").get_text()
    assert soup.find("section", id="methodology").find("p", class_="nw-about") is not None
    assert "Sample and fieldwork" in soup.find("section", id="methodology").get_text()     # built-in kept
    css = soup.find("style").get_text()
    assert "--nw-sea" in css and "northwind-wave.svg" not in css and "data:image/svg+xml;base64," in css
    pages = pdf_pages(out / "report.pdf")
    assert "A NORTHWIND INSIGHT REPORT FOR HARBOUR BANK" in pages[0].upper()
    assert "Northwind Insight · customer experience research" not in pages[0]
    footed = [p for p in pages[1:] if "Northwind Insight · customer experience research" in p]
    assert len(footed) == len(pages) - 1
    assert all("Confidential — prepared for Harbour Bank" in p for p in pages[1:])
    assert any("About Northwind Insight" in p for p in pages)


def _wheel_from_example(out: Path) -> Path:
    """The example package as a wheel, built from its pyproject.toml without a build backend
    (the tests run offline): the same files, entry points and metadata setuptools writes."""
    meta = tomllib.loads((EXAMPLE / "pyproject.toml").read_text(encoding="utf-8"))
    project = meta["project"]
    (package,) = meta["tool"]["setuptools"]["packages"]
    patterns = meta["tool"]["setuptools"]["package-data"][package]
    root = EXAMPLE / package
    data = {p for pattern in patterns for p in root.glob(pattern) if p.is_file()}
    code = set(root.glob("*.py"))
    every = {p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert every == data | code, f"files the package-data globs miss: {sorted(map(str, every - data - code))}"
    dist = project["name"].replace("-", "_")
    info = f"{dist}-{project['version']}.dist-info"
    entry_points = "".join(f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items())
                           for group, eps in project["entry-points"].items())
    files = {f"{package}/{p.relative_to(root).as_posix()}": p.read_bytes() for p in sorted(every)}
    files[f"{info}/METADATA"] = (f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n"
                                 f"Summary: {project['description']}\n").encode()
    files[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: cxreport-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    files[f"{info}/entry_points.txt"] = entry_points.encode()
    record = "".join(f"{name},sha256={base64.urlsafe_b64encode(hashlib.sha256(body).digest()).rstrip(b'=').decode()},"
                     f"{len(body)}\n" for name, body in files.items()) + f"{info}/RECORD,,\n"
    files[f"{info}/RECORD"] = record.encode()
    wheel = out / f"{dist}-{project['version']}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for name, body in files.items():
            zf.writestr(name, body)
    return wheel


@pytest.mark.slow
def test_the_example_theme_installed_with_pip_is_listed_and_used(tmp_path):
    wheel = _wheel_from_example(tmp_path)
    target = tmp_path / "target"
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--target", str(target),
                          str(wheel)], capture_output=True, text=True, timeout=300)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = os.pathsep.join([str(target), str(REPO)])

    def cxreport(*args):
        return subprocess.run([sys.executable, "-m", "cxreport", *map(str, args)], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=300)

    listed = cxreport("themes", "list")
    assert listed.returncode == 0, listed.stderr
    assert "\nnorthwind\n" in listed.stdout
    assert "from:      northwind-cxreport-theme 1.0.0 (entry point northwind = northwind_theme)" in listed.stdout
    assert f"folder:    {(target / 'northwind_theme').resolve()}" in listed.stdout
    assert "overrides: client_report.html, partials/methodology.html" in listed.stdout
    project = write_project(tmp_path / "p", report={"theme": "northwind", "prepared_by": "Northwind Insight"})
    built = cxreport("build", project, "-o", tmp_path / "out", "--format", "html")
    assert built.returncode == 0, built.stderr
    assert "Traceback" not in built.stderr
    soup = BeautifulSoup((tmp_path / "out" / "report.html").read_text(encoding="utf-8"), "html.parser")
    assert soup.find("p", class_="nw-kicker").get_text() == "A Northwind Insight report for Test Co"
    assert soup.find("footer", class_="report-footer") is not None
    wrong = write_project(tmp_path / "q", report={"theme": "northwnd"})
    failed = cxreport("build", wrong, "-o", tmp_path / "out2")
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    assert "report.theme: theme 'northwnd' is not installed (did you mean 'northwind'?)" in failed.stderr
