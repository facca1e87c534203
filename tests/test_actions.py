"""The action register: loading, validation, verdicts and MDE against an independent
calculation (METHODS.md §10), flags, 'You said, we did', narrative markers and outputs."""

from __future__ import annotations

import datetime as dt
import json
import math
import re

import pytest
from click.testing import CliRunner

from cxreport.cli import cli
from tests.conftest import csv_text

HEADER = ["resp_id", "response_date", "region", "q_nps", "q_csat", "comment"]


def _answers(promoters: int, passives: int, detractors: int) -> list[int]:
    return [10] * promoters + [8] * passives + [3] * detractors


def rows() -> list[list]:
    """2026 Q1 and Q2, two regions. North: NPS 0 → +30 (200 each); South: 0 → +2.5 (200 each).
    Comments: 'queue' in 25 % of Q1's comments and 15 % of Q2's."""
    out = []
    plan = {("North", 1): (60, 80, 60), ("North", 2): (100, 60, 40),
            ("South", 1): (50, 100, 50), ("South", 2): (55, 95, 50)}
    queue_q = {1: 100, 2: 60}      # of 400 comments per quarter
    seen = {1: 0, 2: 0}
    i = 0
    for (region, q), counts in plan.items():
        for k, score in enumerate(_answers(*counts)):
            month = 3 * (q - 1) + 1 + k % 3
            quote = seen[q] < queue_q[q]
            seen[q] += 1
            text = ("Awful: the queue was terrible" if quote else
                    "Staff were rude and the service was awful" if k % 4 == 0 else "Staff were fine")
            out.append([f"R{i:05d}", f"2026-{month:02d}-{1 + k % 27:02d}", region, score, 1 + (k % 5), text])
            i += 1
    return out


REGISTER = """\
actions:
  - {id: A1, title: North staffing, owner: North lead, start: 2026-04-01, due: 2026-12-31,
     status: in progress, metric: "segment:Region=North", kpi: nps, baseline: 2026-Q1}
  - {id: A2, title: South coaching, owner: South lead, start: 2026-04-01, due: 2026-12-31,
     status: in progress, metric: "segment:Region=South", baseline: 2026-Q1}
  - {id: A3, title: Queue displays, owner: Ops, start: 2026-04-01, due: 2026-12-31, status: done,
     metric: "theme:Queues", expected: -5}
  - {id: A4, title: New app, owner: Digital, start: 2026-07-01, due: 2026-12-31, status: planned, metric: nps}
  - {id: A5, title: CSAT training, owner: HR, start: 2026-04-01, due: 2026-06-01, status: in progress,
     metric: csat, baseline: 2026-Q1}
  - {id: A6, title: Letters, owner: Comms, start: 2026-04-01, due: 2026-07-15, status: planned, metric: csat,
     addresses: [Staff]}
"""


def project(make_project, tmp_path, register: str = REGISTER, name: str = "actions.yaml", recommendations=None,
            **over):
    overrides = {
        "actions": {"file": name, "due_soon_days": 30},
        "comments": {"code_frame": {"Queues": ["queue"], "Staff": ["staff"]}},
        "report": {"title": "T", "date": "2026-06-30", "period": "latest"},
        "bases": {"suppress_below": 30, "flag_below": 50},
    }
    overrides.update(over)
    files = {name: register} if register is not None else {}
    if recommendations is not None:
        files["narrative/recs.md"] = recommendations
        overrides["report"] = dict(overrides["report"], narrative={"recommendations": "narrative/recs.md"})
    return make_project(tmp_path, csv_text(rows(), HEADER), files=files, **overrides)


def run_study(path):
    from cxreport.pipeline import run

    return run(path)


# --------------------------------------------------------------------------- independent calculation


def nps_and_se(p: int, pa: int, d: int) -> tuple[float, float]:
    n = p + pa + d
    pp, dd = p / n, d / n
    return 100 * (pp - dd), 100 * math.sqrt((pp + dd - (pp - dd) ** 2) / n)


def test_mde_worked_example_methods_10():
    from cxreport.scoring.actions import mde

    se_diff = math.sqrt(4.9 + 5.076)
    assert se_diff == pytest.approx(3.15848, abs=5e-6)
    assert mde(se_diff) == pytest.approx(8.8488, abs=5e-4)
    assert mde(1.0) == pytest.approx(2.801585, abs=1e-6)


def test_verdicts_and_mde_match_an_independent_calculation(make_project, tmp_path):
    study = run_study(project(make_project, tmp_path))
    report = study.actions
    got = {r.id: r for r in report.results}

    # North: 0 → +30 on 200 each; a significant rise in the wanted direction.
    b, se_b = nps_and_se(60, 80, 60)
    n, se_n = nps_and_se(100, 60, 40)
    se_diff = math.sqrt(se_b ** 2 + se_n ** 2)
    z = (n - b) / se_diff
    p = math.erfc(abs(z) / math.sqrt(2))
    a1 = got["A1"]
    assert (a1.baseline.value, a1.now.value) == (pytest.approx(b), pytest.approx(n))
    assert a1.baseline.label == "2026 Q1" and a1.now.label == "2026 Q2"
    assert a1.change == pytest.approx(30.0)
    assert a1.p_value == pytest.approx(p, rel=1e-6) and p < 0.05
    assert a1.mde == pytest.approx(2.801585 * se_diff, rel=1e-6)
    assert (a1.change_low, a1.change_high) == (pytest.approx(30 - 1.959964 * se_diff),
                                               pytest.approx(30 + 1.959964 * se_diff))
    assert a1.verdict == "improved"

    # South: 0 → +2.5, not significant; the MDE is stated.
    b, se_b = nps_and_se(50, 100, 50)
    n, se_n = nps_and_se(55, 95, 50)
    se_diff = math.sqrt(se_b ** 2 + se_n ** 2)
    a2 = got["A2"]
    assert a2.change == pytest.approx(2.5)
    assert a2.p_value == pytest.approx(math.erfc(abs(2.5 / se_diff) / math.sqrt(2)), rel=1e-6)
    assert a2.verdict == "no detectable change"
    assert a2.mde == pytest.approx(2.801585 * se_diff, rel=1e-6)
    assert a2.mde > abs(a2.change)

    # Theme share 25 % → 15 % of 400 comments; fewer mentions is wanted (expected −5).
    a3 = got["A3"]
    assert a3.baseline.label == "2026 Q1"          # default baseline: the last period before the start
    assert (a3.baseline.value, a3.now.value, a3.baseline.n) == (pytest.approx(25.0), pytest.approx(15.0), 400)
    pooled = 160 / 800
    z = (0.15 - 0.25) / math.sqrt(pooled * (1 - pooled) * (2 / 400))
    assert a3.p_value == pytest.approx(math.erfc(abs(z) / math.sqrt(2)), rel=1e-6)
    se = math.sqrt(0.25 * 0.75 / 400 + 0.15 * 0.85 / 400) * 100
    assert a3.mde == pytest.approx(2.801585 * se, rel=1e-6)
    assert a3.direction == -1 and a3.verdict == "improved"

    # Starts after the window: too early, nothing measured.
    a4 = got["A4"]
    assert a4.verdict == "too early" and a4.now is None and "2026 Q2" in a4.reason


def test_a_fall_against_the_wanted_direction_is_worsened(make_project, tmp_path):
    register = REGISTER.replace('metric: "theme:Queues", expected: -5', 'metric: "theme:Queues", expected: 5')
    study = run_study(project(make_project, tmp_path, register))
    assert study.actions.find("A3").verdict == "worsened"


def test_too_early_when_a_base_is_suppressed(make_project, tmp_path):
    study = run_study(project(make_project, tmp_path, bases={"suppress_below": 250, "flag_below": 300}))
    a1 = study.actions.find("A1")
    assert a1.verdict == "too early" and "250" in a1.reason and a1.mde is None


def test_overdue_and_due_soon_flags(make_project, tmp_path):
    report = run_study(project(make_project, tmp_path)).actions
    flags = {r.id: r.flag for r in report.results}
    assert flags == {"A1": None, "A2": None, "A3": None, "A4": None, "A5": "overdue", "A6": "due soon"}
    assert report.as_of == dt.date(2026, 6, 30)
    # Done or dropped actions are never overdue.
    register = REGISTER.replace("due: 2026-06-01, status: in progress", "due: 2026-06-01, status: done")
    report = run_study(project(make_project, tmp_path / "b", register)).actions
    assert report.find("A5").flag is None


def test_you_said_we_did_pairs_complaint_themes_with_actions(make_project, tmp_path):
    study = run_study(project(make_project, tmp_path))
    report = study.actions
    paired = {t.theme: t.actions for t in report.you_said}
    negative = [entry["theme"] for entry in study.voice.pareto]
    assert [t.theme for t in report.you_said] == negative[:5]
    # A theme metric (A3) and a theme in `addresses` (A6) both answer their theme.
    assert paired == {"Queues": ["A3"], "Staff": ["A6"]}
    assert all(t.quote for t in report.you_said)
    assert report.unaddressed == []
    # Dropping the only action on a theme leaves it unaddressed.
    for theme, ids in paired.items():
        expected = [r.id for r in report.results if theme in r.themes and r.action.status != "dropped"]
        assert ids == expected
    register = REGISTER.replace("due: 2026-07-15, status: planned", "due: 2026-07-15, status: dropped")
    report = run_study(project(make_project, tmp_path / "b", register)).actions
    assert {t.theme: t.actions for t in report.you_said}["Staff"] == [] and report.unaddressed == ["Staff"]


# --------------------------------------------------------------------------- the register's errors


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def one_line_error(result, pattern: str):
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert re.search(pattern, result.output), result.output


@pytest.mark.parametrize("register, pattern", [
    ("- {id: A1, title: T, owner: O, start: 2026-04-01, due: 2026-31-12, status: done, metric: nps}\n",
     r"actions\.yaml, action 1 \(line 1\), due: '2026-31-12' is not a date"),
    ("- {id: A1, title: T, owner: O, start: 2026-04-01, due: 2026-03-12, status: done, metric: nps}\n",
     r"action 1 \(line 1\), due: 2026-03-12 is before the start"),
    ("- {id: A1, title: T, owner: O, start: 2026-04-01, due: 2026-12-01, status: finished, metric: nps}\n",
     r"action 1 \(line 1\), status: 'finished' is not a status"),
    ("- {id: A1, title: T, start: 2026-04-01, due: 2026-12-01, status: done, metric: nps}\n",
     r"action 1 \(line 1\), owner: missing"),
    ("- {id: A1, title: T, owner: O, start: 2026-04-01, due: 2026-12-01, status: done, metric: nps, ownr: x}\n",
     r"action 1 \(line 1\): unknown field 'ownr' \(did you mean 'owner'\?\)"),
    ("- {id: A1, title: T, owner: O, start: 2026-04-01, due: 2026-12-01, status: done, metric: loyalty}\n",
     r"metric: 'loyalty' is not a metric"),
    ("- {id: A1, title: T, owner: O, start: 2026-04-01, due: 2026-12-01, status: done, metric: nps}\n"
     "- {id: a1, title: T, owner: O, start: 2026-04-01, due: 2026-12-01, status: done, metric: nps}\n",
     r"action 2 \(line 2\), id: 'a1' is already the id of actions\.yaml, action 1"),
    ("- {id: A1, title: T, owner: O, start: 2026-04-01, due: 2026-12-01, status: done, metric: 'theme:Queues'}\n",
     r"action 1 \(line 1\), expected: a theme metric needs the expected change"),
    ("- {id: A1, title: T, owner: O, start: 2026-04-01, due: 2026-12-01, status: done, metric: 'attr:Speed'}\n",
     r"action 1 \(line 1\), metric: no attribute 'Speed'"),
    ("- {id: A1, title: T, owner: O, start: 2026-04-01, due: 2026-12-01, status: done, metric: 'segment:Region=Nort'}\n",
     r"action 1 \(line 1\), metric: no group of Region 'Nort' \(did you mean 'North'\?\)"),
    ("- {id: A1, title: T, owner: O, start: 2026-04-01, due: 2026-12-01, status: done, metric: 'theme:Queue', expected: -1}\n",
     r"metric: no theme 'Queue' \(did you mean 'Queues'\?\)"),
    ("- {id: A1, title: T, owner: O, start: 2026-04-01, due: 2026-12-01, status: done, metric: nps, baseline: 2026-Q2}\n",
     r"action 1 \(line 1\), baseline: 2026 Q2 ends on 2026-06-30, not before the action starts"),
    ("- {id: A1, title: T, owner: O, start: 2026-04-01, due: 2026-12-01, status: done, metric: nps, baseline: 2024-Q1}\n",
     r"action 1 \(line 1\), baseline: no responses in 2024 Q1"),
    ("- {id: A1, title: T, owner: O, start: 2026-04-01, due: 2026-12-01, status: done, metric: 'shop:item:A3'}\n",
     r"metric: 'shop:item:A3' is a mystery-shopping metric"),
    ("- {id: A1, title: T, owner: O, start: 2026-04-01, due: 2026-12-01, status: done, metric: nps, addresses: [Fees]}\n",
     r"addresses: no theme 'Fees'"),
    ("actions: 3\n", r"actions\.yaml: the register must be a list of actions"),
    ("- [1, 2]\n", r"actions\.yaml, action 1 \(line 1\): an action is a mapping"),
    ("- {id: A1\n", r"actions\.yaml, line \d+, column \d+: invalid YAML"),
])
def test_register_errors_name_file_action_and_field_in_validate_and_build(make_project, tmp_path, register, pattern):
    path = project(make_project, tmp_path, register)
    one_line_error(invoke("validate", path), pattern)
    one_line_error(invoke("build", path, "-o", tmp_path / "out", "--format", "html"), pattern)
    assert not (tmp_path / "out" / "report.html").exists()


def test_csv_register_errors_name_the_row(make_project, tmp_path):
    register = ("id,title,owner,start,due,status,metric\n"
                "A1,T,O,2026-04-01,2026-12-01,done,nps\n"
                "A2,T,O,2026-04-01,31/09/2026,done,csat\n")
    path = project(make_project, tmp_path, register, name="actions.csv")
    one_line_error(invoke("validate", path), r"actions\.csv, row 3, due: '31/09/2026' is not a date")
    register = "id,title,owner,start,due,metric\nA1,T,O,2026-04-01,2026-12-01,nps\n"
    path = project(make_project, tmp_path / "b", register, name="actions.csv")
    one_line_error(invoke("validate", path), r"actions\.csv: no column 'status'")


def test_xlsx_register_reads_like_yaml(make_project, tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "title", "owner", "start", "due", "status", "metric", "kpi", "baseline", "expected", "addresses"])
    ws.append(["A1", "North staffing", "North lead", dt.datetime(2026, 4, 1), dt.datetime(2026, 12, 31),
               "In progress", "segment:Region=North", "nps", "2026-Q1", None, "Queues; Staff"])
    path = project(make_project, tmp_path, None, name="actions.xlsx")
    wb.save(tmp_path / "actions.xlsx")
    a1 = run_study(path).actions.find("A1")
    assert a1.verdict == "improved" and a1.action.status == "in progress"
    assert a1.themes == ["Queues", "Staff"]


def test_narrative_marker_prints_owner_due_and_status(make_project, tmp_path):
    recs = "### Fix the North\n\n[action: A1]\n\nMore staff at peaks.\n"
    path = project(make_project, tmp_path, recommendations=recs)
    result = invoke("build", path, "-o", tmp_path / "out", "--format", "html")
    assert result.exit_code == 0, result.output
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    ref = re.search(r'<span class="action-ref">([^<]*)</span>', html)
    assert ref and ref.group(1) == ("Action A1 · owner: North lead · due 31 December 2026 · in progress · "
                                   "measured: improved")
    assert "[action:" not in html
    # An id the register does not have is an error naming the file and line, in validate first.
    (tmp_path / "narrative" / "recs.md").write_text("Intro\n\n[action: A9]\n", encoding="utf-8")
    one_line_error(invoke("validate", path), r"recs\.md, line 3: no action 'A9' in actions\.yaml")


def test_marker_text_is_escaped(make_project, tmp_path):
    register = REGISTER.replace("owner: North lead", "owner: '<b onmouseover=x>Ann</b>'")
    path = project(make_project, tmp_path, register, recommendations="[action: A1]\n")
    result = invoke("build", path, "-o", tmp_path / "out", "--format", "html")
    assert result.exit_code == 0, result.output
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "<b onmouseover" not in html and "&lt;b onmouseover=x&gt;Ann&lt;/b&gt;" in html


# --------------------------------------------------------------------------- outputs agree


def test_report_json_and_workbook_carry_the_same_verdicts(make_project, tmp_path):
    path = project(make_project, tmp_path)
    result = invoke("build", path, "-o", tmp_path / "out", "--format", "html,xlsx")
    assert result.exit_code == 0, result.output
    result = invoke("score", path, "--format", "json", "-o", tmp_path / "out" / "scores.json")
    assert result.exit_code == 0, result.output
    study = run_study(path)
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    shown = dict(re.findall(r'<tr data-action="([^"]+)" data-verdict="([^"]+)"', html))
    assert shown == {r.id: r.verdict for r in study.actions.results}
    assert 'id="actions"' in html and 'id="you_said_we_did"' in html
    data = json.loads((tmp_path / "out" / "scores.json").read_text(encoding="utf-8"))
    block = data["actions"]
    assert {a["id"]: a["verdict"] for a in block["actions"]} == shown
    a2 = next(a for a in block["actions"] if a["id"] == "A2")
    assert a2["mde"] == pytest.approx(study.actions.find("A2").mde, rel=1e-6)
    assert block["counts"] == {"improved": 2, "no detectable change": 3, "worsened": 0, "too early": 1}
    assert block["overdue"] == 1 and block["due_soon"] == 1
    import openpyxl

    wb = openpyxl.load_workbook(next((tmp_path / "out").glob("*.xlsx")), read_only=True)
    sheet = wb["Actions"]
    cells = [[c for c in r] for r in sheet.iter_rows(values_only=True)]
    header = next(r for r in cells if r and r[0] == "ID")
    col = header.index("Verdict")
    verdicts = {r[0]: r[col] for r in cells[cells.index(header) + 1:] if r and r[0] in shown}
    assert verdicts == {k: v[:1].upper() + v[1:] for k, v in shown.items()}


def test_no_register_no_section(make_project, tmp_path):
    path = project(make_project, tmp_path, None, actions=None)
    assert run_study(path).actions is None
    result = invoke("build", path, "-o", tmp_path / "out", "--format", "html")
    assert result.exit_code == 0, result.output
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert 'id="actions"' not in html and 'id="you_said_we_did"' not in html


def test_the_guide_lists_every_field_and_its_example_reads(tmp_path):
    """docs/actions.md: the field table is the loader's field list, its register example
    reads as written, and the error examples have the loader's form."""
    from pathlib import Path

    from cxreport.load.actions import FIELDS, REQUIRED, read_register

    text = (Path(__file__).resolve().parents[1] / "docs" / "actions.md").read_text(encoding="utf-8")
    table = re.findall(r"^\| `(\w+)` \| (yes|no[^|]*) \|", text, re.M)
    assert [name for name, _r in table] == list(FIELDS)
    assert [name for name, req in table if req == "yes"] == list(REQUIRED)
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
    example = next(b for b in blocks if b.lstrip().startswith("actions:\n  - id:"))
    (tmp_path / "a.yaml").write_text(example, encoding="utf-8")
    register = read_register(tmp_path / "a.yaml", "a.yaml")
    assert [a.id for a in register.actions] == ["ACT-02"] and register.actions[0].addresses == ["Waiting and queues"]
    for line in re.findall(r"^Error: (.*)$", text, re.M):
        assert re.match(r"actions\.(yaml, action \d+ \(line \d+\)|csv, row \d+), \w+: ", line), line


# --------------------------------------------------------------------------- mystery-shopping metrics


def test_mystery_shopping_item_and_location_metrics(make_project, tmp_path, monkeypatch):
    """shop:item: and shop:location: metrics of the linked programme (quarterly.programme),
    measured wave against wave: the item's pass rate (two-proportion test) and the location's
    mean visit score (Welch's t), checked against scipy and a hand calculation."""
    from scipy import stats as sps

    import cxreport.scoring.actions as actions_module
    from tests.shop_helpers import analyse_visits, section, write_programme, yes_no
    from cxreport.shop.loadprog import load_programme

    waves = [{"id": "W1", "name": "Wave one", "start": "2026-01-01", "end": "2026-03-31"},
             {"id": "W2", "name": "Wave two", "start": "2026-04-01", "end": "2026-06-30"}]
    prog = load_programme(write_programme(tmp_path / "shop", [section("S1", [yes_no("A1"), yes_no("A2")])],
                                          waves=waves))
    visits = []
    for wave, fails in (("W1", 40), ("W2", 20)):
        for k in range(100):
            visits.append({"location_id": "L1", "wave": wave, "visit_date": "2026-02-10" if wave == "W1" else "2026-05-10",
                           "answers": {"A1": "no" if k < fails else "yes", "A2": "yes"}})
    results = analyse_visits(prog, visits)
    monkeypatch.setattr(actions_module, "load_shop", lambda project: (prog, results))
    register = """\
- {id: S1, title: Greeting drill, owner: Ops, start: 2026-04-01, due: 2026-12-31, status: done, metric: "shop:item:A1"}
- {id: S2, title: Coach Alpha, owner: Ann, start: 2026-04-01, due: 2026-12-31, status: done, metric: "shop:location:L1"}
- {id: S3, title: Later, owner: Ann, start: 2026-07-01, due: 2026-12-31, status: planned, metric: "shop:location:Alpha"}
"""
    path = project(make_project, tmp_path, register, quarterly={"programme": "shop/programme.yaml"})
    report = run_study(path).actions
    s1, s2, s3 = (report.find(i) for i in ("S1", "S2", "S3"))
    assert (s1.baseline.label, s1.now.label) == ("Wave one", "Wave two")
    assert (s1.baseline.value, s1.now.value, s1.now.n) == (pytest.approx(60.0), pytest.approx(80.0), 100)
    pooled = 140 / 200
    z = 0.2 / math.sqrt(pooled * (1 - pooled) * (2 / 100))
    assert s1.p_value == pytest.approx(math.erfc(z / math.sqrt(2)), rel=1e-6) and s1.verdict == "improved"
    assert s1.mde == pytest.approx(2.801585 * 100 * math.sqrt(0.6 * 0.4 / 100 + 0.8 * 0.2 / 100), rel=1e-6)
    # Visit scores: A1 and A2 equally weighted, so 50 or 100 per visit.
    w1 = [results.visits.score[i] for i in range(100)]
    w2 = [results.visits.score[i] for i in range(100, 200)]
    welch = sps.ttest_ind(w2, w1, equal_var=False)
    assert s2.change == pytest.approx(sum(w2) / 100 - sum(w1) / 100)
    assert s2.p_value == pytest.approx(welch.pvalue, rel=1e-6) and s2.verdict == "improved"
    se = math.sqrt(sps.tstd(w1) ** 2 / 100 + sps.tstd(w2) ** 2 / 100)
    assert s2.mde == pytest.approx(2.801585 * se, rel=1e-6)
    assert s3.verdict == "too early" and s3.metric_label.endswith("Alpha (mean visit score %)")


def test_mystery_shopping_metric_errors(make_project, tmp_path, monkeypatch):
    import cxreport.scoring.actions as actions_module
    from tests.shop_helpers import analyse_visits, section, write_programme, yes_no
    from cxreport.shop.loadprog import load_programme

    prog = load_programme(write_programme(tmp_path / "shop", [section("S1", [yes_no("A1")])]))
    results = analyse_visits(prog, [{"location_id": "L1", "wave": "W1", "answers": {"A1": "yes"}}])
    monkeypatch.setattr(actions_module, "load_shop", lambda project: (prog, results))
    cases = [('metric: "shop:item:A9"', r"metric: no scored item 'A9' in the programme's questionnaire"),
             ('metric: "shop:location:L9"', r"metric: no location 'L9' in the programme"),
             ('metric: "shop:item:A1", baseline: Wave nine', r"baseline: a mystery-shopping metric's baseline is a wave"),
             ('metric: "shop:item:A1", baseline: W3', r"baseline: wave W3 ends on 2026-03-31, not before the action")]
    for k, (fields, pattern) in enumerate(cases):
        register = f"- {{id: S1, title: T, owner: O, start: 2026-03-15, due: 2026-12-31, status: done, {fields}}}\n"
        path = project(make_project, tmp_path / f"p{k}", register, quarterly={"programme": "shop/programme.yaml"})
        (tmp_path / f"p{k}" / "shop").mkdir(exist_ok=True)
        write_programme(tmp_path / f"p{k}" / "shop", [section("S1", [yes_no("A1")])])
        with pytest.raises(Exception) as info:
            run_study(path)
        assert re.search(pattern, str(info.value)), str(info.value)


# --------------------------------------------------------------------------- the sample


def test_sample_actions_agree_with_the_rest_of_the_report(sample_project):
    """Harbour Bank's register: two actions that worked, three without a detectable change (one
    overdue, one due soon), one not started; each 'now' figure is the window's figure the other
    sections show for that metric."""
    study = run_study(sample_project)
    report = study.actions
    assert {r.id: r.verdict for r in report.results} == {
        "ACT-01": "improved", "ACT-02": "no detectable change", "ACT-03": "no detectable change",
        "ACT-04": "no detectable change", "ACT-05": "improved", "ACT-06": "too early"}
    assert [r.id for r in report.results if r.overdue] == ["ACT-04"]
    assert [r.id for r in report.results if r.due_soon] == ["ACT-03"]
    overall = study.results.overall
    for r in report.results:
        if r.now is None:
            continue
        assert r.now.label == study.window.label
        metric = r.action.metric
        if metric.kind == "attr":
            assert r.now.value == pytest.approx(overall["attr:" + metric.name].headline.value)
        elif metric.kind in ("segment", "touchpoint"):
            name = metric.segment if metric.kind == "segment" else study.project.journey.touchpoint
            breakdown = next(b for b in study.results.segments if b.name == name)
            group = next(g for g in breakdown.groups if g.label == metric.name)
            assert r.now.value == pytest.approx(group.items[r.action.kpi or "nps"].headline.value)
            assert r.now.n == group.items[r.action.kpi or "nps"].n
    # The unaddressed theme is the one no action names.
    assert report.unaddressed == ["Fraud and security"]
