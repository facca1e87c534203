"""Hardening of the outputs (issue 12): every output survives any text the data holds, the
console shows data without obeying it, user templates are bounded in time and memory, a
command cannot overwrite its own inputs, an SVG logo is checked in whatever encoding it
is written, and ``--per`` unit labels always give safe, unique, bounded file names.

Each test goes through the command line, where a user meets the problem.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cxreport.cli import cli

from conftest import REPO, csv_text, default_rows, write_project


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def one_error_line(result, *needles: str, code: int = 1) -> str:
    """Exit ``code`` through a handled error: exactly one 'Error:' line holding ``needles``,
    no traceback."""
    assert result.exit_code == code, (result.exit_code, result.output, repr(result.exception))
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in errors[0], (needle, errors[0])
    return errors[0]


# --------------------------------------------------------------------------- 1. text in every output

#: What Word and copy-and-paste leave in text: a soft line break (\v), a page break (\f) and
#: other C0 controls, which XML 1.0 cannot hold.
DIRTY_REGION = {0: "North\vEast\x01", 1: "South\x0c\x1b[2K"}
DIRTY_COMMENT = "Great\vservice\x02 \x07today"
DIRTY_LABEL = "Net\vPromoter\x07\x00 Score\x1f"


def dirty_project(folder: Path) -> Path:
    rows = default_rows()
    for i, row in enumerate(rows):
        row[2] = DIRTY_REGION[i % 2]
        row[5] = f"{DIRTY_COMMENT} {i}"
    columns = {"respondent_id": "resp_id", "date": "response_date", "comment": "comment",
               "nps": {"column": "q_nps", "label": DIRTY_LABEL}, "csat": {"column": "q_csat", "scale": 5},
               "segments": {"Region\x0b": "region"}}
    return write_project(folder, csv_text(rows), columns=columns,
                         client={"name": "Test\vCo\x03"}, report={"title": "Report\x0cTitle\x1b", "date": "2026-03-31"})


ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def test_control_characters_in_labels_segments_and_comments_never_fail_an_output(tmp_path):
    project = dirty_project(tmp_path / "p")
    out = tmp_path / "out"
    result = invoke("build", project, "-o", out, "--format", "html,pdf,xlsx,pptx")
    assert result.exit_code == 0, (result.output, repr(result.exception))
    assert "\x0b" not in result.output and "\x03" not in result.output      # the console line naming the client
    for ext in ("html", "pdf", "xlsx", "pptx"):
        assert (out / f"report.{ext}").is_file(), ext

    html = (out / "report.html").read_text(encoding="utf-8")
    assert not ILLEGAL.search(html), ILLEGAL.findall(html)[:5]
    assert "North\nEast" in html or "North East" in html

    from openpyxl import load_workbook

    wb = load_workbook(out / "report.xlsx")
    cells = [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert not any(ILLEGAL.search(v) for v in cells + wb.sheetnames)
    assert "North\nEast" in cells or "North East" in cells                   # \v: a line break (or a space)
    assert any(v.startswith("South") for v in cells)
    assert any(v.startswith("Net\nPromoter Score") for v in cells)            # the KPI label, cleaned
    assert any("region" in name.lower() for name in wb.sheetnames)

    from pptx import Presentation

    deck = Presentation(io.BytesIO((out / "report.pptx").read_bytes()))
    frames = [shape.text_frame for slide in deck.slides for shape in slide.shapes if shape.has_text_frame]
    frames += [cell.text_frame for slide in deck.slides for shape in slide.shapes if shape.has_table
               for row in shape.table.rows for cell in row.cells]
    texts = [run.text for frame in frames for p in frame.paragraphs for run in p.runs]
    joined = "\n".join(texts)
    assert not ILLEGAL.search(joined) and "_x00" not in joined, joined[:500]
    assert "Test" in texts and "Co" in texts                                 # \v: a line break (a:br)
    assert "Net" in joined and "Promoter Score" in joined
    import zipfile

    with zipfile.ZipFile(out / "report.pptx") as z:
        for part in z.namelist():
            if part.endswith(".xml"):
                xml = z.read(part).decode("utf-8")
                assert not ILLEGAL.search(xml) and "_x000" not in xml, part

    import pypdf

    text = "".join(page.extract_text() or "" for page in pypdf.PdfReader(out / "report.pdf").pages)
    assert "Promoter" in text


def test_lone_surrogates_and_nul_in_workbook_and_deck_text_are_dropped():
    from cxreport.present.workbook import _clean, _sheet_name

    assert _clean("a\ud800b\x00c\vd") == "abc\nd"
    assert _clean("=1+1\v") == "'=1+1\n"           # still neutralised as a formula
    assert _sheet_name("By re\ud800gion\v\x00", set()) == "By region"

    from pptx import Presentation

    from cxreport.present.deck import _Deck

    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    box = slide.shapes.add_textbox(0, 0, 100, 100)
    deck = _Deck.__new__(_Deck)
    deck.font, deck.lang = "DejaVu Sans", "en"
    paragraph = box.text_frame.paragraphs[0]
    deck._run(paragraph, "a\ud800b\x00c\vd\x1b", 10)
    assert [run.text for run in paragraph.runs] == ["abc", "d"]
    assert paragraph.text == "abc\vd"                  # python-pptx shows a line break (a:br) as \v
    prs.save(io.BytesIO())


# --------------------------------------------------------------------------- 2. console


def test_terminal_escapes_in_data_are_shown_not_obeyed_in_warnings_and_errors(tmp_path):
    rows = default_rows()
    rows[3][4] = "5\x1b[1A\x1b[2K"                  # would move up a line and erase it
    rows[4][4] = "\x1b]0;pwned\x07"                 # would retitle the terminal window
    rows[6][4] = "4\x9b2J"                          # the 8-bit CSI: clear the screen
    project = write_project(tmp_path / "p", csv_text(rows))

    result = invoke("validate", project)
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr and "\x9b" not in result.stderr
    assert "5\\x1b[1A\\x1b[2K" in result.stderr
    assert "\\x1b]0;pwned\\x07" in result.stderr and "4\\x9b2J" in result.stderr

    result = invoke("validate", project, "--strict")
    assert result.exit_code == 1
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "5\\x1b[1A\\x1b[2K" in result.stderr

    result = invoke("build", project, "-o", tmp_path / "out", "--format", "html")
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning:")]
    assert any("5\\x1b[1A\\x1b[2K" in w for w in warnings) and "\x1b" not in result.stderr


def test_terminal_escapes_in_an_error_message_are_shown_as_escapes(tmp_path):
    project = write_project(tmp_path / "p", client={"logo": "brand/lo\x1b[2Kgo.png"})
    result = invoke("validate", project)
    assert result.exit_code == 1
    assert "\x1b" not in result.stderr, result.stderr
    assert "lo\\x1b[2Kgo.png" in result.stderr
    # A usage error quoting what was typed is shown the same way.
    result = invoke("build", project, "--per", "Bra\x1b[2Knch")
    assert result.exit_code != 0 and "\x1b" not in result.stderr, result.stderr


# --------------------------------------------------------------------------- 3. template bounds

HOSTILE_TEMPLATES = {
    "format-filter": ('{{ "%1000000000s"|format("x") }}', "width"),
    "percent-operator": ('{{ "%1000000000s" % "x" }}', "width"),
    "percent-star": ('{{ "%*s" % (1000000000, "x") }}', "width"),
    "str-format": ('{{ "{:>1000000000}".format("x") }}', "width"),
    "center": ('{{ "x"|center(10 ** 9) }}', "width"),
    "ljust": ('{{ "x".ljust(10 ** 9) }}', "width"),
    "indent": ('{{ ("x\\n" * 100000)|indent(10000) }}', "characters"),
    "wordwrap": ('{{ ("x " * 100000)|wordwrap(1, wrapstring="y" * 100000) }}', "characters"),
    "replace": ('{{ ("x" * 1000000)|replace("x", "y" * 1000) }}', "characters"),
    "join": ('{{ (["x" * 1000000] * 1000)|join }}', "characters"),
    "concat-doubling": ('{% set ns = namespace(s="x" * 1000000) %}{% for i in range(40) %}'
                        '{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}', "characters"),
    "plus-doubling": ('{% set ns = namespace(s="x" * 1000000) %}{% for i in range(40) %}'
                      '{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s|length }}', "characters"),
    "bytes-repeat": ('{{ "x".encode() * 10 ** 9 }}', "1,000,000 items"),
    "batch": ("{{ [1]|batch(10 ** 9, 0)|list|length }}", "1,000,000"),
    "lipsum": ("{{ lipsum(10 ** 9) }}", "lipsum"),
    "range": ("{{ range(10 ** 9)|list|length }}", "Range too big"),
    "recursion": ("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "without end"),
    "flood": ('{% for i in range(100000) %}{{ "x" * 1000000 }}{% endfor %}', "50,000,000 characters"),
    "grow": ('{% set ns = namespace(l=[]) %}{% for i in range(100000) %}'
             '{% set ns.l = ns.l + ["x" * 1000000 ~ i] %}{% endfor %}{{ ns.l|length }}', "MB of memory"),
    "list-str": ('{{ ["x" * 1000000] * 100000 }}', "MB of memory"),
    "forever": ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "took longer"),
    "fan-out": ("{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(60) }}",
                "took longer"),
}


def hostile_project(folder: Path, text: str) -> Path:
    return write_project(folder, files={"templates/client_report.html": "<p>before</p>\n" + text})


@pytest.mark.parametrize("name", list(HOSTILE_TEMPLATES))
def test_a_hostile_template_fails_fast_with_one_line_and_writes_nothing(tmp_path, monkeypatch, name):
    import cxreport.present.sandbox as sandbox

    monkeypatch.setattr(sandbox, "RENDER_SECONDS", 3)       # the documented limit is 60 s
    text, needle = HOSTILE_TEMPLATES[name]
    if needle == "MB of memory":
        # reached well inside the 3 s even on a loaded machine (512 MB took over 3 s under a full test run)
        monkeypatch.setattr(sandbox, "RENDER_MEMORY_MB", 128)
    project = hostile_project(tmp_path / "p", text)
    out = tmp_path / "out"
    started = time.perf_counter()
    result = invoke("build", project, "-o", out, "--format", "html")
    seconds = time.perf_counter() - started
    line = one_error_line(result, "templates/client_report.html", needle)
    assert "line 2" in line or name in ("flood",), line
    assert seconds < 10, seconds
    assert not out.exists() or sorted(p.name for p in out.iterdir()) == []


def test_the_limits_are_the_documented_ones():
    from cxreport.present import sandbox

    assert sandbox.RENDER_SECONDS == 60 and sandbox.RENDER_MEMORY_MB == 512
    assert sandbox.MAX_HTML_CHARS == 50_000_000
    assert sandbox.PDF_SECONDS == 300 and sandbox.PDF_MEMORY_MB == 1024
    assert (sandbox.MAX_REPEAT, sandbox.MAX_TEXT, sandbox.MAX_WIDTH, sandbox.MAX_EXPONENT) == \
        (1_000_000, 10_000_000, 10_000, 1_000)
    assert sandbox.MAX_RANGE_ITEMS == 100_000 and sandbox.MAX_JSON_INDENT == 16 and sandbox.MAX_LIPSUM == (100, 1_000)


def test_making_the_pdf_of_a_user_template_is_bounded_in_time(tmp_path, monkeypatch):
    """Fifty thousand paragraphs are 400 KB of HTML but minutes of PDF layout."""
    import cxreport.present.sandbox as sandbox

    monkeypatch.setattr(sandbox, "PDF_SECONDS", 3)
    project = hostile_project(tmp_path / "p", "{% for i in range(50000) %}<p>x</p>{% endfor %}")
    out = tmp_path / "out"
    started = time.perf_counter()
    result = invoke("build", project, "-o", out, "--format", "html,pdf")
    one_error_line(result, "templates/client_report.html", "making the PDF took longer than 3 s")
    assert time.perf_counter() - started < 15
    assert not out.exists() or sorted(p.name for p in out.iterdir()) == []


def test_making_the_pdf_of_a_user_template_is_bounded_in_memory(tmp_path, monkeypatch):
    import cxreport.present.sandbox as sandbox

    monkeypatch.setattr(sandbox, "PDF_MEMORY_MB", 1)
    project = hostile_project(tmp_path / "p", "{% for i in range(20000) %}<p>paragraph {{ i }} of a long document</p>{% endfor %}")
    out = tmp_path / "out"
    result = invoke("build", project, "-o", out, "--format", "pdf")
    one_error_line(result, "templates/client_report.html", "making the PDF needs more than 1 MB of memory")
    assert not out.exists() or sorted(p.name for p in out.iterdir()) == []


def test_the_memory_watchdog_bounds_rendering_off_the_main_thread(tmp_path, monkeypatch):
    """Worker threads (a Dask worker) get no address-space limit: the resident-memory watchdog
    stops the template."""
    import threading

    import cxreport.present.sandbox as sandbox
    from cxreport.errors import RenderError
    from cxreport.present.render import make_environment, render_html
    from cxreport.present.themes import template_search

    monkeypatch.setattr(sandbox, "RENDER_MEMORY_MB", 100)
    folder = tmp_path / "proj" / "templates"
    folder.mkdir(parents=True)
    (folder / "client_report.html").write_text("<p>x</p>\n" + HOSTILE_TEMPLATES["grow"][0], encoding="utf-8")
    env = make_environment(template_search(folder, project_dir=folder.parent))
    outcome = {}

    def work():
        started = time.perf_counter()
        try:
            render_html("client_report.html", {"brand": {"primary": "#0B3C5D", "accent": "#1C8C8C", "font": "Lato"}},
                        "html", env)
        except RenderError as exc:
            outcome["error"] = exc.format_message()
        outcome["seconds"] = time.perf_counter() - started

    worker = threading.Thread(target=work)
    worker.start()
    worker.join(60)
    assert "error" in outcome, outcome
    assert outcome["error"].startswith("templates/client_report.html, line 2: rendering needs more than 100 MB"), outcome
    assert outcome["seconds"] < 10


# Peak memory from VmHWM (this process's own high-water mark: ru_maxrss would carry over the
# peak of the process that started it, the whole test session).
MEASURED = """
import atexit, re, sys
def peak():
    status = open("/proc/self/status").read()
    sys.stderr.write("PEAK_RSS_KB=%s\\n" % re.search(r"VmHWM:\\s+(\\d+)", status).group(1))
atexit.register(peak)
from cxreport.cli import cli
cli.main(args=sys.argv[1:], prog_name="cxreport")
"""


@pytest.mark.parametrize("name", ["format-filter", "center", "join", "concat-doubling", "flood", "grow", "list-str"])
def test_a_hostile_template_stays_under_one_gigabyte_and_ten_seconds(tmp_path, name):
    text, needle = HOSTILE_TEMPLATES[name]
    project = hostile_project(tmp_path / "p", text)
    out = tmp_path / "out"
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", MEASURED, "build", str(project), "-o", str(out), "--format", "html"],
                          capture_output=True, text=True, timeout=120, cwd=REPO)
    seconds = time.perf_counter() - started
    assert proc.returncode == 1, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and needle in errors[0], proc.stderr
    peak_mb = int(re.search(r"PEAK_RSS_KB=(\d+)", proc.stderr).group(1)) / 1024
    assert peak_mb < 1024, peak_mb
    assert seconds < 10, seconds


def test_ordinary_template_operations_still_work(tmp_path):
    text = ('{{ "%-8s|%5.1f"|format("ab", 2.25) }} {{ "x"|center(9) }} {{ "{:>6}".format("r") }} '
            '{{ ["a", "b"]|join(",") }} {{ "a\nb"|indent(2) }} {{ "aaa"|replace("a", "bb") }} '
            '{{ "x" * 3 ~ "y" + "z" }} {{ [1, 2, 3]|batch(2)|list|length }} {{ "%d%%" % 5 }}')
    project = hostile_project(tmp_path / "p", text)
    out = tmp_path / "out"
    result = invoke("build", project, "-o", out, "--format", "html")
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "ab      |  2.2" in html and "    x    " in html and "     r" in html and "a,b" in html
    assert "bbbbbb" in html and "xxxyz" in html and " 2 " in html and "5%" in html


# --------------------------------------------------------------------------- 4. own inputs


def xlsx_survey(path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["resp_id", "response_date", "region", "q_nps", "q_csat", "comment"])
    for row in default_rows():
        ws.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


@pytest.mark.parametrize("target", ["data/responses.csv", "cxreport.yaml", "data/../data/responses.csv",
                                    "link-to-survey.csv", "narrative/summary.md"])
def test_score_refuses_to_overwrite_its_own_inputs(tmp_path, target):
    project = write_project(tmp_path / "p", files={"narrative/summary.md": "All **good**."},
                            report={"title": "T", "date": "2026-03-31",
                                    "narrative": {"executive_summary": "narrative/summary.md"}})
    os.symlink(tmp_path / "p" / "data" / "responses.csv", tmp_path / "p" / "link-to-survey.csv")
    before = {p: p.read_bytes() for p in (tmp_path / "p").rglob("*") if p.is_file()}
    result = invoke("score", project, "-o", tmp_path / "p" / target)
    one_error_line(result, "-o", "input")
    assert {p: p.read_bytes() for p in (tmp_path / "p").rglob("*") if p.is_file()} == before
    ok = invoke("score", project, "-o", tmp_path / "p" / "scores.json")   # any other file is fine
    assert ok.exit_code == 0, ok.output


def test_build_refuses_an_output_that_would_replace_an_input(tmp_path):
    project = write_project(tmp_path / "p", csv_text=None, survey={"file": "data/report.xlsx"})
    xlsx_survey(tmp_path / "p" / "data" / "report.xlsx")
    before = (tmp_path / "p" / "data" / "report.xlsx").read_bytes()
    result = invoke("build", project, "-o", tmp_path / "p" / "data", "--format", "html,xlsx")
    one_error_line(result, "-o", "report.xlsx")
    assert (tmp_path / "p" / "data" / "report.xlsx").read_bytes() == before
    assert not (tmp_path / "p" / "data" / "report.html").exists()
    # The project folder itself is a fine output folder.
    ok = invoke("build", project, "-o", tmp_path / "p", "--format", "html")
    assert ok.exit_code == 0, ok.output


# --------------------------------------------------------------------------- 5. SVG logo encodings

SVG_DOCTYPE = ('<?xml version="1.0" encoding="{enc}"?>\n'
               '<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
               '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>&x;</text></svg>\n')
SVG_PLAIN = ('<?xml version="1.0" encoding="{enc}"?>\n'
             '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>\n')
SVG_EXTERNAL = ('<?xml version="1.0" encoding="{enc}"?>\n<svg xmlns="http://www.w3.org/2000/svg" '
                'xmlns:xlink="http://www.w3.org/1999/xlink"><image xlink:href="file:///etc/passwd"/></svg>\n')

ENCODINGS = {
    "utf-16-le-bom": ("UTF-16", lambda t: b"\xff\xfe" + t.encode("utf-16-le")),
    "utf-16-be-bom": ("UTF-16", lambda t: b"\xfe\xff" + t.encode("utf-16-be")),
    "utf-8-bom": ("UTF-8", lambda t: b"\xef\xbb\xbf" + t.encode("utf-8")),
    "utf-16-no-bom": ("UTF-16LE", lambda t: t.encode("utf-16-le")),
    "latin-1": ("ISO-8859-1", lambda t: t.encode("latin-1")),
}


def logo_project(folder: Path, data: bytes) -> Path:
    return write_project(folder, client={"name": "Test Co", "logo": "brand/logo.svg"}, files={"brand/logo.svg": data})


@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_an_svg_logo_with_a_doctype_is_refused_in_any_encoding(tmp_path, encoding):
    declared, encode = ENCODINGS[encoding]
    project = logo_project(tmp_path / "p", encode(SVG_DOCTYPE.format(enc=declared)))
    one_error_line(invoke("validate", project), "logo.svg", "DOCTYPE")


@pytest.mark.parametrize("encoding", ["utf-16-le-bom", "utf-16-be-bom"])
def test_an_svg_logo_referring_outside_is_refused_in_utf16(tmp_path, encoding):
    declared, encode = ENCODINGS[encoding]
    project = logo_project(tmp_path / "p", encode(SVG_EXTERNAL.format(enc=declared)))
    one_error_line(invoke("validate", project), "logo.svg", "external")


@pytest.mark.parametrize("encoding", ["utf-16-le-bom", "utf-16-be-bom", "utf-8-bom"])
def test_a_plain_svg_logo_in_utf16_or_with_a_bom_is_accepted(tmp_path, encoding):
    declared, encode = ENCODINGS[encoding]
    project = logo_project(tmp_path / "p", encode(SVG_PLAIN.format(enc=declared)))
    result = invoke("validate", project)
    assert result.exit_code == 0, result.output


# --------------------------------------------------------------------------- 6. --per file names

WINDOWS_DEVICES = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def crafted_labels() -> list[str]:
    abc_hash = hashlib.sha256("Abc".encode("utf-8")).hexdigest()[:8]
    return ["...", "!!!", "\u200b\u200b", "\u2060\u200d", "CON", "NUL.txt", "..", "nul", "Abc", "ABC",
            f"abc-{abc_hash}",                        # the name 'Abc' would get with a hash
            "x" * 300, "x" * 299 + "y", "x" * 80, "é" * 200, "a/b", "a\\b", "Index", "-unit-", "unit"]


def safe_file_name(name: str) -> bool:
    stem = name.rsplit(".", 1)[0]
    return (bool(re.fullmatch(r"[\w-]+\.html", name)) and not name.startswith((".", "-"))
            and len(name.encode("utf-8")) <= 120 and stem.casefold() not in WINDOWS_DEVICES
            and stem.split(".")[0].casefold() not in WINDOWS_DEVICES)


def test_unit_slugs_are_safe_unique_and_bounded():
    from cxreport.batch import unit_slugs

    labels = crafted_labels() + ["lone\ud800surrogate", "\x00\x1b[2K"]
    slugs = unit_slugs(labels, reserved={"index"})
    assert set(slugs) == set(labels)
    assert len(set(slugs.values())) == len(labels), slugs
    assert len({s.casefold() for s in slugs.values()}) == len(labels)
    for label, s in slugs.items():
        assert safe_file_name(f"report-{s}.html") and safe_file_name(f"{s}.html"), (label, s)
        assert len(s.encode("utf-8")) <= 80, s
    assert slugs == unit_slugs(list(reversed(labels)), reserved={"index"})     # stable, whatever the order
    long_a = unit_slugs(["x" * 300], reserved={"index"})["x" * 300]
    assert long_a == slugs["x" * 300] and re.search(r"-[0-9a-f]{8}$", long_a)   # a capped name carries a hash


def test_per_unit_build_with_crafted_labels_gives_a_safe_unique_file_per_unit(tmp_path):
    header = ["resp_id", "response_date", "region", "branch", "q_nps", "q_csat", "comment"]
    rows, i = [], 0
    for label in crafted_labels():
        for _k in range(3):
            rows.append([f"R{i:04d}", f"2026-{4 + i % 3:02d}-{1 + i % 27:02d}", "North", label, i % 11, 1 + i % 5, "c"])
            i += 1
    columns = {"respondent_id": "resp_id", "date": "response_date", "comment": "comment", "nps": "q_nps",
               "csat": {"column": "q_csat", "scale": 5}, "segments": {"Region": "region", "Branch": "branch"}}
    project = write_project(tmp_path / "p", csv_text(rows, header), columns=columns)
    out = tmp_path / "out"
    result = invoke("build", project, "-o", out, "--format", "html", "--per", "Branch", "-j", "2")
    assert result.exit_code == 0, (result.output, repr(result.exception))
    units = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["units"]
    files = [f"report-{u['slug']}.html" for u in units]
    assert len(units) >= 10 and len(set(files)) == len(files), files
    assert len({f.casefold() for f in files}) == len(files)
    for f in files:
        assert safe_file_name(f), f
        assert (out / f).is_file(), f
    written = {p.name for p in out.iterdir()}
    assert written == set(files) | {"report.html", "report-index.html", "manifest.json"}


def test_the_line_is_named_even_when_jinja_runs_out_of_memory_rewriting_the_traceback(tmp_path, monkeypatch):
    """Past the memory limit, Jinja's own traceback rewriting can fail with MemoryError: the
    template's line is then read from the compiled frames of the exception it was handling."""
    import jinja2.debug

    def out_of_memory(source=None):
        raise MemoryError()

    monkeypatch.setattr(jinja2.debug, "rewrite_traceback_stack", out_of_memory)
    project = hostile_project(tmp_path / "p", "<p>two</p>\n{{ 1 // 0 }}")
    result = invoke("build", project, "-o", tmp_path / "out", "--format", "html")
    line = one_error_line(result, "templates/client_report.html", "MB of memory")
    assert "line 3" in line, line
