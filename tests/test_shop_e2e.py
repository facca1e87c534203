"""Mystery shopping end to end through the command line (CliRunner), on a copy of
samples/harbour-bank-shop: submit the three waves and the faulty files, status, export,
the programme summary PDF, and scoresheets and location reports for wave 1 (PDF, two
workers). PDFs are checked with pypdf."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import openpyxl
import pypdf
import pytest
from click.testing import CliRunner

from shop_helpers import copy_sample

from cxreport.cli import cli
from cxreport.shop import commands
from cxreport.shop.ledger import Ledger
from cxreport.shop.loadprog import load_programme

pytestmark = pytest.mark.slow

PROGRAMME_NAME = "Harbour Bank Service Standards Programme 2026"

#: A wave 1 visit carrying hostile text: markup, a template expression and spreadsheet formulas.
EVIL_COMMENT = "<script>alert('x')</script> Staff said {{ 7*7 }} twice."
EVIL_VISIT = {
    "visit_id": "V-W1-0999", "location_id": "BR21", "shopper_id": "SH-777", "wave": "W1", "channel": "branch",
    "visit_date": "2026-04-20", "start_time": "11:00", "end_time": "11:25",
    "answers": {"A1": {"answer": "no", "comment": "=HYPERLINK(\"http://example.invalid\",\"click\")"},
                "A5": "yes", "A6": "yes",
                "N1": {"answer": "Partly", "comment": "@SUM(1+1) asked a little"},
                "N2": "a;b;c;d", "N3": "yes", "S1": "yes",
                "S2": {"answer": "yes", "evidence": "=kfd.pdf"},
                "S3": "yes", "S4": "no", "C1": "yes", "C2": "yes", "C3": "Very likely"},
    "comments": EVIL_COMMENT,
}

#: submissions/invalid/README.md: each faulty file and the problem its rejection describes.
INVALID = {
    "01_outside_wave.json": ("V-W2-0901", ["2026-08-14", "outside wave W2"]),
    "02_unknown_location.csv": ("V-W3-0902", ["unknown location 'BR31'", "did you mean"]),
    "03_required_unanswered.csv": ("V-W3-0903", ["item S1", "required but not answered"]),
    "04_na_not_allowed.json": ("V-W2-0904", ["item A1", "N/A is not allowed"]),
    "05_missing_comment.json": ("V-W3-0905", ["item N3", "'no' fails", "comment is required"]),
    "06_end_before_start.xlsx": ("V-W1-0906", ["end_time 13:55", "start_time 14:20"]),
    "07_integrity_c4.json": ("V-W3-0907", ["item C4", "integrity check failed", "9:00-13:00", "BR11"]),
    "08_truncated.json": (None, ["invalid JSON at line"]),
}


def run(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def pdf_text(path: Path) -> str:
    text = "\n".join(page.extract_text() or "" for page in pypdf.PdfReader(path).pages)
    return text


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """The sample copied, its three waves (and one hostile wave 1 visit) submitted."""
    root = tmp_path_factory.mktemp("shop-e2e")
    programme = copy_sample(root)
    evil = root / "V-W1-0999.json"
    evil.write_text(json.dumps(EVIL_VISIT), encoding="utf-8")
    results = {}
    for wave in ("wave1", "wave2", "wave3"):
        files = sorted((programme.parent / "submissions" / wave).iterdir())
        results[wave] = run("shop", "submit", programme, *files)
    results["evil"] = run("shop", "submit", programme, evil)
    invalid = sorted((programme.parent / "submissions" / "invalid").glob("0*"))
    results["invalid"] = run("shop", "submit", programme, *invalid)
    # README step 6: two appeals (one upheld, one rejected) and four action updates.
    results["followup"] = [run(*args) for args in readme_followup_commands(programme)]
    return {"programme": programme, "root": root, "submits": results}


def readme_followup_commands(programme: Path) -> list[list[str]]:
    """The `shop appeal` and `shop actions update` commands of the sample README's step 6,
    as written there (continuation lines joined), run on ``programme``."""
    import shlex

    readme = (programme.parent / "README.md").read_text(encoding="utf-8")
    step = readme.split("### 6. Follow up: actions and appeals", 1)[1].split("\n### ", 1)[0]
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", step, flags=re.S):
        for command in block.replace("\\\n", " ").splitlines():
            words = shlex.split(command)
            if words[:3] in (["cxreport", "shop", "appeal"], ["cxreport", "shop", "actions"]) and (
                    words[3] in ("file", "decide", "update")):
                assert words[4] == "programme.yaml", command
                commands.append(words[1:4] + [str(programme)] + words[5:])
    return commands


@pytest.fixture(scope="module")
def prog(shop):
    return load_programme(shop["programme"])


def test_three_waves_submitted(shop, prog):
    counts = {}
    for wave in ("wave1", "wave2", "wave3"):
        result = shop["submits"][wave]
        assert result.exit_code == 0, result.output
        assert "rejected" not in result.output
        counts[wave] = sum(int(m) for m in re.findall(r"accepted \((\d+) of \1 visits accepted\)", result.output))
    # README: 358 valid visits, 120 in W1, 123 in W2 and 115 in W3.
    assert counts == {"wave1": 120, "wave2": 123, "wave3": 115}
    assert shop["submits"]["evil"].exit_code == 0, shop["submits"]["evil"].output


def test_invalid_files_rejected_with_their_problems(shop):
    result = shop["submits"]["invalid"]
    assert result.exit_code == 1
    lines = result.output.splitlines()
    for name, (visit_id, fragments) in INVALID.items():
        assert f"{name}: rejected (0 of " in result.output, name
        prefix = f"  {name}: visit {visit_id}: " if visit_id else f"  {name}: "
        mine = [ln for ln in lines if ln.startswith(prefix) and "rejected (" not in ln]
        assert mine, (name, result.output)
        assert any(all(f in ln for f in fragments) for ln in mine), (name, mine)
    assert "8 visit(s) or file(s) rejected" in result.output


def test_status_lists_rejections(shop):
    result = run("shop", "status", shop["programme"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Files: " in out and "8 rejected" in out
    assert re.search(r"W1\s+accepted\s+121", out)
    assert re.search(r"W2\s+accepted\s+123", out)
    assert re.search(r"W3\s+accepted\s+115", out)
    assert "W1: 48 of 48 locations visited" in out
    assert "Rejections:" in out
    rejections = out.split("Rejections:", 1)[1]
    for name, (visit_id, fragments) in INVALID.items():
        line = next((ln for ln in rejections.splitlines() if ln.strip().startswith(f"{name}:")), None)
        assert line is not None, name
        if visit_id:
            assert f"visit {visit_id}:" in line
        assert all(f in line for f in fragments), line


def test_resubmitting_a_file_is_reported_unchanged(shop):
    chat = shop["programme"].parent / "submissions" / "wave1" / "wave1_chat.xlsx"
    result = run("shop", "submit", shop["programme"], chat)
    assert result.exit_code == 0
    assert "wave1_chat.xlsx: unchanged — identical to wave1_chat.xlsx" in result.output


# --------------------------------------------------------------------------- export


def test_export_xlsx(shop, prog):
    out = shop["root"] / "export" / "visits.xlsx"
    result = run("shop", "export", shop["programme"], "--format", "xlsx", "-o", out)
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[:3] == ["visits", "answers", "locations"]
    assert {"actions", "action_history", "appeals"} <= set(book.sheetnames)
    visits = list(book["visits"].iter_rows(values_only=True))
    header = list(visits[0])
    assert {"visit_id", "location_id", "wave", "score", "status", "band"} <= set(header)
    assert len(visits) - 1 == 121 + 123 + 115
    ids = {r[header.index("visit_id")] for r in visits[1:]}
    assert "V-W1-0999" in ids and "V-W2-0901" not in ids
    answers = list(book["answers"].iter_rows(values_only=True))
    assert list(answers[0])[:3] == ["visit_id", "item_id", "answer"]
    # No cell a spreadsheet would run: user text starting with '=' (or + - @) is neutralised.
    formulas = [(ws.title, c.coordinate, c.value) for ws in book for row in ws.iter_rows() for c in row
                if c.data_type == "f" or (isinstance(c.value, str) and c.value.startswith("="))]
    assert formulas == []
    a_header = list(answers[0])
    evil = {r[a_header.index("item_id")]: r for r in answers[1:] if r[0] == "V-W1-0999"}
    assert evil["A1"][a_header.index("comment")] == "'=HYPERLINK(\"http://example.invalid\",\"click\")"
    assert evil["N1"][a_header.index("comment")] == "'@SUM(1+1) asked a little"


def test_export_csv(shop):
    stem = shop["root"] / "export" / "shop"
    result = run("shop", "export", shop["programme"], "--format", "csv", "-o", stem)
    assert result.exit_code == 0, result.output
    paths = {name: stem.parent / f"shop_{name}.csv" for name in ("visits", "answers", "locations")}
    for path in paths.values():
        assert path.is_file() and str(path) in result.output
    with paths["visits"].open(encoding="utf-8") as handle:
        visits = list(csv.DictReader(handle))
    assert len(visits) == 359
    with paths["locations"].open(encoding="utf-8") as handle:
        locations = list(csv.DictReader(handle))
    fishergate = {r["wave"]: r for r in locations if r["location_id"] == "BR10"}
    assert fishergate["W2"]["consecutive_fail"] == "True" and fishergate["W1"]["consecutive_fail"] == "False"
    with paths["answers"].open(encoding="utf-8") as handle:
        answers = [r for r in csv.DictReader(handle) if r["visit_id"] == "V-W1-0999"]
    comments = [r["comment"] for r in answers if r["comment"]]
    assert comments and not any(c[:1] in "=+-@" for c in comments), comments


# --------------------------------------------------------------------------- reports


def test_programme_summary_pdf(shop):
    out = shop["root"] / "report-w2"
    result = run("shop", "report", shop["programme"], "--wave", "W2", "--format", "pdf", "-o", out)
    assert result.exit_code == 0, result.output
    pdf = out / "programme-summary.pdf"
    assert pdf.is_file() and not (out / "programme-summary.html").exists()
    text = flat(pdf_text(pdf))
    assert PROGRAMME_NAME.upper() in text.upper()
    assert "League table" in text
    assert "Fishergate" in text
    # The flag names the location with the waves it failed.
    assert ("Below the pass mark in two consecutive waves: Fishergate (below it in Wave 1 — Spring 2026 and "
            "Wave 2 — Summer 2026)." in text), text
    assert "Wave 2 — Summer 2026" in text
    assert "Wave 3" not in text


@pytest.fixture(scope="module")
def wave1_reports(shop):
    out = shop["root"] / "report-w1"
    result = run("shop", "report", shop["programme"], "--scoresheets", "--locations", "--wave", "W1",
                 "--format", "pdf", "-j", "2", "-o", out)
    return out, result


def test_scoresheets_and_location_reports_for_wave1(wave1_reports, prog):
    out, result = wave1_reports
    assert result.exit_code == 0, result.output
    res = commands.results(prog, "W1")
    w1 = res.visits[res.visits["wave"] == "W1"]
    sheets = sorted(p.name for p in (out / "scoresheets").iterdir())
    assert sheets == sorted(f"scoresheet-{vid}.pdf" for vid in w1["visit_id"])
    assert len(sheets) == 121
    reports = sorted(p.name for p in (out / "locations").iterdir())
    assert reports == sorted(f"location-{loc}.pdf" for loc in set(w1["location_id"]))
    assert len(reports) == 48
    assert "Scoresheets (121)" in result.output and "Location reports (48)" in result.output


def test_scoresheet_pdf_shows_visit_location_and_score(wave1_reports, prog):
    out, _result = wave1_reports
    res = commands.results(prog, "W1")
    w1 = res.visits[res.visits["wave"] == "W1"].set_index("visit_id")
    # Hand-worked: V-W1-0107 (Cliff Top) earns 14 of 20 points = 70 %, capped at 60 % because S2 = no.
    text = flat(pdf_text(out / "scoresheets" / "scoresheet-V-W1-0107.pdf"))
    assert "V-W1-0107" in text and "Cliff Top" in text
    assert "60.0%" in text
    assert "score before the cap: 70.0%" in text
    # A visit failed on a critical item (README: V-W1-0021 has N3 = no).
    text = flat(pdf_text(out / "scoresheets" / "scoresheet-V-W1-0021.pdf"))
    assert f"{w1.loc['V-W1-0021', 'score']:.1f}%" in text
    assert "Failed — critical item" in text
    for visit_id in ("V-W1-0001", "V-W1-0003", "V-W1-0999"):
        text = flat(pdf_text(out / "scoresheets" / f"scoresheet-{visit_id}.pdf"))
        row = w1.loc[visit_id]
        assert visit_id in text
        assert row["location"] in text
        assert f"{row['score']:.1f}%" in text


def test_shopper_ids_never_unmasked_in_scoresheets(wave1_reports, prog):
    out, _result = wave1_reports
    with Ledger(prog) as ledger:
        shoppers = {r[0] for r in ledger.conn.execute("SELECT DISTINCT shopper_id FROM visits")}
    assert "SH-777" in shoppers and len(shoppers) > 10
    pattern = re.compile("|".join(re.escape(s) for s in sorted(shoppers, key=len, reverse=True)))
    leaks = {}
    for path in sorted((out / "scoresheets").iterdir()):
        found = pattern.findall(pdf_text(path))
        if found:
            leaks[path.name] = found
    assert leaks == {}


def test_location_report_lists_visits_without_shopper_ids(wave1_reports):
    out, _result = wave1_reports
    text = flat(pdf_text(out / "locations" / "location-BR04.pdf"))
    assert "Cliff Top" in text and "V-W1-0107" in text
    assert "SH-109" not in text


def test_hostile_comment_renders_as_text_in_scoresheet_html(shop, prog, tmp_path):
    from cxreport.present.render import render_report
    from cxreport.shop.reports import scoresheet_context

    res = commands.results(prog, "W1")
    with Ledger(prog) as ledger:
        frame = ledger.accepted_visits()
    frame = frame.set_index("row").loc[res.visits["row"].to_numpy()].reset_index()
    i = int(res.visits.index[res.visits["visit_id"] == "V-W1-0999"][0])
    ctx = scoresheet_context(prog, res, frame, i)
    rendered = render_report(ctx, template="shop_scoresheet.html", out_dir=tmp_path, name="evil",
                             formats=("html",), allowed_dirs=[prog.base_dir])
    html = rendered.paths["html"].read_text(encoding="utf-8")
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(" in html
    assert "{{ 7*7 }}" in html
    assert "Staff said 49" not in html
    assert "SH-777" not in html


def test_shopper_mask_as_documented():
    from cxreport.shop.reports import mask_shopper

    # docs/mystery-shopping.md and the function's docstring: `SH-104` → `SH-••4`.
    assert mask_shopper("SH-104") == "SH-••4"
    assert "104" not in mask_shopper("SH-104")


# --------------------------------------------------------------------------- follow-up (README step 6)


def test_readme_followup_step_runs_and_opens_the_actions(shop, prog):
    from cxreport.shop import followup

    results = shop["submits"]["followup"]
    assert len(results) == 8                      # 2 appeals filed and decided, 4 action updates
    for result in results:
        assert result.exit_code == 0, result.output
    assert "Scoring run #2: visit V-W2-0045 70.0% → 80.0%" in results[1].output
    assert "AP-0002: rejected; item N3 of visit V-W1-0021 keeps its answer 'no'" in results[3].output
    actions = {a["id"]: a for a in followup.list_actions(prog)}
    # Critical failures open one action each (README: N3 = no on five visits).
    n3 = sorted(a["visits"][0] for a in actions.values() if a["item"] == "N3")
    assert n3 == ["V-W1-0021", "V-W1-0029", "V-W2-0070", "V-W2-0122", "V-W3-0045"]
    # Fishergate failed A6, N1 and N2 on most of its visits in waves 1 and 2.
    fishergate = {a["item"]: a for a in actions.values() if a["location_id"] == "BR10"
                  and a["trigger"] == "consecutive"}
    assert set(fishergate) == {"A6", "N1", "N2"}
    assert fishergate["N1"]["waves"] == ["W1", "W2"] and fishergate["N1"]["owner"] == "Sophie Brennan"
    assert [actions[i]["status"] for i in ("A-0001", "A-0002", "A-0003", "A-0015")] == [
        "done", "done", "in progress", "done"]
    assert actions["A-0003"]["due"].isoformat() == "2027-01-15"
    status = run("shop", "status", shop["programme"]).output
    assert "Appeals: 0 open, 1 upheld, 1 rejected" in status


def test_upheld_appeal_moves_only_its_visit(shop, prog):
    res = commands.results(prog)
    v = res.visits.set_index("visit_id")
    assert v.loc["V-W2-0045", "score"] == pytest.approx(80.0) and bool(v.loc["V-W2-0045", "passed"])
    with Ledger(prog) as ledger:
        runs = {r["id"]: r["reason"] for r in ledger.conn.execute("SELECT id, reason FROM runs")}
        assert runs[2] == "appeal AP-0001 upheld: visit V-W2-0045, item A2"
        changed = ledger.conn.execute(
            "SELECT v.visit_id FROM scores a JOIN scores b ON b.visit_row = a.visit_row AND b.run_id = 2"
            " JOIN visits v ON v.id = a.visit_row WHERE a.run_id = 1 AND a.score IS NOT b.score").fetchall()
    assert [r[0] for r in changed] == ["V-W2-0045"]
    # The rejected appeal left V-W1-0021 failed on its critical item.
    assert v.loc["V-W1-0021", "status"] == "failed — critical"


def test_scoresheet_and_reports_show_the_appeals(shop, prog, tmp_path):
    out = tmp_path / "fu"
    result = run("shop", "report", shop["programme"], "--wave", "W2", "--format", "pdf", "-o", out)
    assert result.exit_code == 0, result.output
    text = flat(pdf_text(out / "programme-summary.pdf"))
    assert "Follow-up actions and appeals" in text
    assert "AP-0001" in text and "AP-0002" in text and "Upheld" in text and "Rejected" in text
    assert "Overdue" in text
    from cxreport.present.render import render_report
    from cxreport.shop import followup
    from cxreport.shop.reports import scoresheet_context

    res = commands.results(prog)
    with Ledger(prog) as ledger:
        frame = ledger.accepted_visits()
        data = followup.report_data(prog, ledger, list(res.waves))
    frame = frame.set_index("row").loc[res.visits["row"].to_numpy()].reset_index()
    i = int(res.visits.index[res.visits["visit_id"] == "V-W2-0045"][0])
    ctx = scoresheet_context(prog, res, frame, i, followup=data)
    rendered = render_report(ctx, template="shop_scoresheet.html", out_dir=tmp_path, name="appealed",
                             formats=("pdf",), allowed_dirs=[prog.base_dir])
    sheet = flat(pdf_text(rendered.paths["pdf"]))
    assert "80.0%" in sheet and "Upheld on appeal AP-0001; submitted answer: 22 seconds" in sheet
    assert "17 seconds" in sheet
