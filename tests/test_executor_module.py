"""The executor in its own module (issue 17), and the shop reports' cheaper rendering.

- ``cxreport.executor`` holds the pool, Dask, time limits and recycling; ``cxreport.batch``
  keeps the survey batch builds (units, slugs, the index, the manifest) and defines none of
  the executor; the shop reports never import ``cxreport.batch``.
- A shop report's PDF made with the stylesheet parsed once per worker (a user stylesheet)
  and the logo's picture made once is, byte for byte, the PDF made with the stylesheet
  inline, for a scoresheet with appeals and evidence photos, a location report with
  follow-up actions and the programme summary; charts drawn by the worker are the charts
  drawn before the batch.
"""

from __future__ import annotations

import ast
import io
import subprocess
import sys
import textwrap
from pathlib import Path

import pypdf
import pytest
from click.testing import CliRunner
from PIL import Image

from cxreport.cli import cli

ROOT = Path(__file__).resolve().parents[1]

#: What moved from cxreport/batch.py to cxreport/executor.py.
EXECUTOR_NAMES = {"TASKS_PER_WORKER", "DEFAULT_TIMEOUT", "TEST_HOOK_ENV", "DASK_CONNECT_TIMEOUT", "BatchFailed",
                  "Options", "Task", "Outcome", "worker_setup", "reason", "TaskTimeout", "call", "run_tasks",
                  "_Alarm", "_run_inline", "_mp_context", "_Slot", "_run_pool", "_run_dask", "dask_client",
                  "_check_workers", "_worker_info", "_worker_main", "_kill_dask_task", "_Progress", "_test_hook"}


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def defined_names(path: Path) -> set[str]:
    """Names a module defines at its top level (functions, classes, assignments)."""
    names = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                if isinstance(target, ast.Name):
                    names.add(target.id)
    return names


def test_the_executor_lives_in_its_own_module_and_batch_defines_none_of_it():
    from cxreport import batch, executor

    executor_defines = defined_names(ROOT / "cxreport" / "executor.py")
    batch_defines = defined_names(ROOT / "cxreport" / "batch.py")
    assert EXECUTOR_NAMES <= executor_defines, sorted(EXECUTOR_NAMES - executor_defines)
    assert not EXECUTOR_NAMES & batch_defines, sorted(EXECUTOR_NAMES & batch_defines)
    # batch keeps the survey batch builds: units, slugs, the index; the executor it uses is the one.
    assert {"build_reports", "Unit", "BatchResult", "unit_slugs", "slug", "check_segment", "render_total",
            "render_unit", "_write_index"} <= batch_defines
    assert batch.run_tasks is executor.run_tasks and batch.Options is executor.Options
    # The executor knows nothing of either user: no survey or shop module at its top.
    tree = ast.parse((ROOT / "cxreport" / "executor.py").read_text(encoding="utf-8"))
    top_imports = {a.name if isinstance(n, ast.Import) else n.module for n in tree.body
                   if isinstance(n, (ast.Import, ast.ImportFrom)) for a in getattr(n, "names", [])}
    assert not {m for m in top_imports if m and m.startswith(("cxreport.batch", "cxreport.shop", "cxreport.build"))}


def test_shop_modules_and_the_shop_report_command_never_import_the_survey_batch_code(tmp_path):
    """In a fresh interpreter: importing the shop's report and command modules, then running
    ``cxreport shop report`` (the summary and the scoresheets of a small programme, in this
    process), leaves ``cxreport.batch`` unimported."""
    from shop_helpers import write_programme, yes_no, section

    programme = write_programme(tmp_path / "prog", [section("S", [yes_no("Q1"), yes_no("Q2")])])
    visits = tmp_path / "visits.csv"
    visits.write_text("visit_id,location_id,wave,visit_date,channel,shopper_id,Q1,Q2\n"
                      "V1,L1,W1,2026-01-10,branch,SH-101,yes,no\n"
                      "V2,L3,W1,2026-01-12,branch,SH-102,yes,yes\n", encoding="utf-8")
    assert run("shop", "submit", programme, visits).exit_code == 0
    script = textwrap.dedent(f"""
        import sys
        import cxreport.shop.reports, cxreport.shop.rendering, cxreport.shop.commands
        import cxreport.shop.cli_followup, cxreport.shop.cli_template
        assert "cxreport.batch" not in sys.modules, "imported by the shop modules"
        from click.testing import CliRunner
        from cxreport.cli import cli
        result = CliRunner().invoke(cli, ["shop", "report", {str(programme)!r}, "--scoresheets", "--locations",
                                          "--format", "html", "-j", "1", "-o", {str(tmp_path / "out")!r}])
        assert result.exit_code == 0, result.output
        assert "cxreport.batch" not in sys.modules, "imported by shop report"
        assert "cxreport.executor" in sys.modules
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-3000:]
    assert (tmp_path / "out" / "scoresheets" / "scoresheet-V1.html").is_file()


# --------------------------------------------------------------------------- the rendering


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """The sample's wave 3 (with its evidence ZIPs) submitted, and two appeals on a visit
    with evidence photos (one upheld, one rejected); the contexts ``shop report`` makes."""
    from shop_helpers import copy_sample

    from cxreport import i18n
    from cxreport.present.charts import ChartStyle
    from cxreport.shop.commands import results
    from cxreport.shop.evidence import evidence_by_visit
    from cxreport.shop.followup import report_data
    from cxreport.shop.ledger import Ledger
    from cxreport.shop.loadprog import load_programme
    from cxreport.shop.reports import location_context, programme_context, scoresheet_context

    root = tmp_path_factory.mktemp("shop-render")
    programme = copy_sample(root)
    assert run("shop", "submit", programme, *sorted((programme.parent / "submissions" / "wave3").iterdir())
               ).exit_code == 0
    for item in ("S3", "A6"):           # S3 failed (answered no): upheld; A6 passed: rejected
        assert run("shop", "appeal", "file", programme, "V-W3-0019", "--item", item, "--by", "Branch manager",
                   "--reason", f"Item {item}: the shopper was served at once").exit_code == 0
    for number, decision in ((1, "--uphold"), (2, "--reject")):
        result = run("shop", "appeal", "decide", programme, f"AP-000{number}", decision, "--by", "QA",
                     "--note", "Checked against the branch log")
        assert result.exit_code == 0, result.output
    prog = load_programme(programme)
    with i18n.use_language(prog.programme.language):
        res = results(prog)
        with Ledger(prog) as ledger:
            frame = ledger.accepted_visits()
            followup = report_data(prog, ledger, list(res.waves))
        frame = frame.set_index("row").loc[res.visits["row"].to_numpy()].reset_index()
        cs = ChartStyle(prog.programme.brand.primary, prog.programme.brand.accent, prog.programme.brand.font)
        i = int((res.visits["visit_id"] == "V-W3-0019").to_numpy().nonzero()[0][0])
        with Ledger(prog) as ledger:
            evidence = evidence_by_visit(ledger.conn, [frame.iloc[i]["row"]])
        sheet = scoresheet_context(prog, res, frame, i, evidence.get(int(frame.iloc[i]["row"])), followup=followup)
        location = res.visits.iloc[i]["location_id"]
        contexts = {
            "scoresheet": ("shop_scoresheet.html", sheet),
            "location": ("shop_location.html",
                         location_context(prog, res, frame, location, cs, followup=followup, later=True)),
            "summary": ("shop_programme.html", programme_context(prog, res, cs, followup=followup, later=True)),
            "location drawn now": ("shop_location.html",
                                   location_context(prog, res, frame, location, cs, followup=followup, narrow=True)),
        }
    return {"prog": prog, "contexts": contexts, "root": root}


@pytest.mark.parametrize("report", ["scoresheet", "location", "summary"])
def test_pdf_with_the_shared_stylesheet_is_the_pdf_with_the_inline_one(shop, report, tmp_path):
    from cxreport.present.render import render_report
    from cxreport.shop import rendering

    template, context = shop["contexts"][report]
    allowed = [shop["prog"].base_dir]
    drawn = rendering.draw_later(context, narrow=False)
    if report == "scoresheet":           # what the comparison must cover
        assert context["appeals"] and any(r["files"] for s in context["sections"] for r in s["rows"])
    else:
        assert rendering.Later in {type(v) for v in ([context["chart"]] if report == "location"
                                                     else context["charts"].values())}
    new = [rendering.render_files(template, context, "r", ("pdf",), allowed)["r.pdf"] for _twice in range(2)]
    old = render_report(drawn, template=template, out_dir=tmp_path / "old", name="r", formats=("pdf",),
                        allowed_dirs=allowed).paths["pdf"].read_bytes()
    a, b = pypdf.PdfReader(io.BytesIO(old)), pypdf.PdfReader(io.BytesIO(new[0]))
    assert len(a.pages) == len(b.pages)
    assert [p.extract_text() for p in a.pages] == [p.extract_text() for p in b.pages]
    # WeasyPrint writes the same document to the same bytes: the cascade, the layout, the
    # fonts and the pictures are the same. The second PDF has the logo's picture from the
    # worker's image cache.
    assert new[0] == old and new[1] == old


def test_html_is_rendered_as_render_html_renders_it(shop):
    from cxreport.present.render import brand_css, make_environment, render_html
    from cxreport.shop import rendering

    env = make_environment()
    for report in ("scoresheet", "location", "summary"):
        template, context = shop["contexts"][report]
        drawn = rendering.draw_later(context, narrow=True)
        assert rendering.page_html(template, drawn, "html") == render_html(template, drawn, "html", env), report
        pdf_page = rendering.page_html(template, drawn, "pdf", inline_css=False)
        assert "--primary:" in pdf_page and ".cover" not in pdf_page and "@page" not in pdf_page   # the brand only
        # The shared stylesheet is, to the character, what the inline one adds to the brand.
        inline = render_html(template, drawn, "pdf", env).split("<style>", 1)[1].split("</style>", 1)[0]
        assert inline == str(brand_css(drawn["brand"], drawn["lang"])) + "\n" + rendering.shared_css(drawn["lang"])
    html = rendering.render_files(*shop["contexts"]["scoresheet"][:2], "s", ("html",), [])["s.html"].decode()
    assert ".cover" in html                                                # the whole stylesheet inline


def test_charts_drawn_by_the_worker_are_those_drawn_before_the_batch(shop):
    from cxreport.shop import rendering

    later = shop["contexts"]["location"][1]["chart"]
    now = shop["contexts"]["location drawn now"][1]["chart"]
    assert isinstance(later, rendering.Later)
    drawn = rendering.draw_later({"lang": "en", "chart": later}, narrow=True)["chart"]
    assert (drawn.png, drawn.narrow, drawn.alt, drawn.title) == (now.png, now.narrow, now.alt, now.title)
    assert rendering.draw_later({"lang": "en", "chart": later}, narrow=False)["chart"].narrow is None


def test_the_shared_stylesheet_path_fetches_nothing_outside_the_allowed_folders(tmp_path):
    from cxreport.errors import RenderError
    from cxreport.shop import rendering

    secret = tmp_path / "outside" / "secret.png"
    secret.parent.mkdir()
    Image.new("RGB", (4, 4)).save(secret)
    inside = tmp_path / "project"
    inside.mkdir()
    sheets = [rendering.stylesheet(rendering.shared_css("en"))]
    for src in (secret.as_uri(), "https://example.com/x.png"):
        with pytest.raises(RenderError, match="outside the project and template folders"):
            rendering.pdf_bytes(f'<html><body><p>x</p><img src="{src}"></body></html>', [inside], sheets)
    with pytest.raises(RenderError, match="attach"):
        rendering.pdf_bytes('<html><head><link rel="attachment" href="data:text/plain,x"></head><body>x</body></html>',
                            [inside], sheets)
