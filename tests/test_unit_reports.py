"""``--per`` unit reports about the unit (cxreport/scoring/units.py, cxreport/present/unit.py):
each unit compared with its network and its parent unit (branch → region), tested against
the rest of each, ranked among its peers, with its own narrative or none — never the
network's prose."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import csv_text, write_project

from cxreport.batch import unit_slugs
from cxreport.cli import cli
from cxreport.config import load_project
from cxreport.pipeline import run
from cxreport.scoring.kpis import BaseRules, compare, score_item
from cxreport.scoring.survey import score_survey
from cxreport.scoring.units import detect_parent, unit_reports
from cxreport.validate import NOT_STATED

HEADER = ["resp_id", "response_date", "region", "branch", "q_nps", "q_csat", "weight", "comment"]
#: Branch → (region, respondents per quarter, NPS shift). Bayside is clearly the best of West.
BRANCHES = {
    "Bayside": ("West", 70, 3), "Cliffs": ("West", 40, 0), "Dunes": ("West", 35, -1),
    "Eastgate": ("East", 50, 1), "Ferry": ("East", 45, -2),
    "Glen": ("North", 40, 0), "Hill": ("North", 30, -3),
}
NETWORK_SENTENCE = "Zanzibar network prose: the North region lags the rest of the network."
RECOMMENDATION = "Quokka recommendation for every branch."
BAYSIDE_SENTENCE = "Bayside's own commentary: the new queue system works."
ALPHA = 0.05
RULES = BaseRules(5, 10)


def rows(stray: int = 0, seed: int = 11) -> list[list]:
    """Two quarters of responses; ``stray`` of Bayside's rows are coded East (a data error)."""
    rng = random.Random(seed)
    out, i = [], 0
    for quarter, months in ((1, (1, 2, 3)), (2, (4, 5, 6))):
        for branch, (region, n, shift) in BRANCHES.items():
            for k in range(n):
                nps = max(0, min(10, rng.randint(4, 10) + shift + (1 if quarter == 2 else 0)))
                csat = max(1, min(5, rng.randint(2, 5) + (shift > 0)))
                place = region
                if branch == "Bayside" and quarter == 2 and k < stray:
                    place = "East"
                out.append([f"R{i:05d}", f"2026-{months[k % 3]:02d}-{1 + k % 27:02d}", place, branch, nps, csat,
                            f"{0.5 + rng.random():.3f}", f"Comment {i}"])
                i += 1
    return out


def project(folder: Path, *, stray: int = 0, weighted: bool = True, columns: dict | None = None,
            report: dict | None = None, **extra) -> Path:
    columns = {"respondent_id": "resp_id", "date": "response_date", "comment": "comment", "nps": "q_nps",
               "csat": {"column": "q_csat", "scale": 5}, "segments": {"Region": "region", "Branch": "branch"},
               **(columns or {})}
    if weighted:
        columns["weight"] = "weight"
    report = {"title": "Branch review", "date": "2026-06-30",
              "narrative": {"executive_summary": "narrative/summary.md",
                            "recommendations": "narrative/recommendations.md",
                            "per_unit": "narrative/units/{unit}.md"}, **(report or {})}
    return write_project(folder, csv_text(rows(stray), HEADER), columns=columns,
                         files={"narrative/summary.md": NETWORK_SENTENCE,
                                "narrative/recommendations.md": RECOMMENDATION,
                                "narrative/units/bayside.md": BAYSIDE_SENTENCE},
                         report=report, **extra)


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    return run(project(tmp_path_factory.mktemp("units") / "p"))


def reports_of(study, per="Branch", hierarchy=None):
    p = study.project
    group = next(g for g in study.full.segments if g.name == per)
    return unit_reports(study.data, per, rules=RULES, alpha=ALPHA, period=study.window.label,
                        network=p.client.name, slugs=unit_slugs(group.labels, reserved={"index"}),
                        hierarchy=p.hierarchy if hierarchy is None else hierarchy, structure=study.full)


def rows_of(data, segment: str, label: str) -> np.ndarray:
    group = next(g for g in data.segments if g.name == segment)
    return group.codes == group.labels.index(label)


def by_hand(data, key: str, mask: np.ndarray):
    spec = next(s for s in data.items if s.key == key)
    return score_item(spec, data.values[key][mask], data.weights[mask], RULES)


# --------------------------------------------------------------------------- scoring


def test_window_is_the_latest_quarter_and_units_cover_every_branch(study):
    assert study.window.label == "2026 Q2"
    reports = reports_of(study)
    assert list(reports) == sorted(BRANCHES)
    assert all(r.period == "2026 Q2" and r.segment == "Branch" for r in reports.values())
    assert {label: r.base for label, r in reports.items()} == {b: n for b, (_r, n, _s) in BRANCHES.items()}
    assert reports["Bayside"].slug == "bayside"


def test_unit_figures_equal_independent_computations_on_its_rows(study):
    data = study.data
    reports = reports_of(study)
    for label in BRANCHES:
        mask = rows_of(data, "Branch", label)
        for key in ("nps", "csat"):
            fig = reports[label].figures[key]
            mine = by_hand(data, key, mask)
            assert fig.own.n == mine.n
            assert fig.own.headline.value == pytest.approx(mine.headline.value, abs=1e-9)
            assert fig.own.headline.se == pytest.approx(mine.headline.se, rel=1e-9)
            whole = by_hand(data, key, np.ones(data.n, dtype=bool))
            assert fig.network.headline.value == pytest.approx(whole.headline.value, abs=1e-9)
            assert fig.network.headline.value == pytest.approx(study.results.overall[key].headline.value, abs=1e-9)


def test_test_against_the_rest_of_the_network_equals_one_by_hand(study):
    data = study.data
    reports = reports_of(study)
    seen_significant = False
    for label in BRANCHES:
        mask = rows_of(data, "Branch", label)
        for key in ("nps", "csat"):
            expected = compare(by_hand(data, key, mask), by_hand(data, key, ~mask))
            change = reports[label].figures[key].vs_network
            assert change.test.diff == pytest.approx(expected.diff, abs=1e-9)
            assert change.test.p_value == pytest.approx(expected.p_value, rel=1e-7, abs=1e-12)
            assert change.mark == (expected.direction if expected.p_value < ALPHA else 0)
            seen_significant |= change.mark != 0
    assert seen_significant, "the data should give at least one significant difference"
    # The same test as the network report's segment table.
    table = next(b for b in score_survey(data, RULES, ALPHA).segments if b.name == "Branch")
    for group in table.groups:
        assert reports[group.label].figures["nps"].vs_network.test.p_value == \
            pytest.approx(group.changes["nps"].test.p_value)


def test_parent_is_detected_and_tested_against_the_rest_of_the_parent(study):
    assert detect_parent(study.full, "Branch") == "Region"
    assert detect_parent(study.full, "Region") is None
    data = study.data
    reports = reports_of(study)
    for label, (region, _n, _s) in BRANCHES.items():
        r = reports[label]
        assert (r.parent_segment, r.parent_label) == ("Region", region)
        mask = rows_of(data, "Branch", label)
        in_parent = rows_of(data, "Region", region)
        assert r.parent_base == int(in_parent.sum())
        for key in ("nps", "csat"):
            fig = r.figures[key]
            assert fig.parent.headline.value == pytest.approx(by_hand(data, key, in_parent).headline.value, abs=1e-9)
            expected = compare(by_hand(data, key, mask), by_hand(data, key, in_parent & ~mask))
            assert fig.vs_parent.test.diff == pytest.approx(expected.diff, abs=1e-9)
            assert fig.vs_parent.test.p_value == pytest.approx(expected.p_value, rel=1e-7, abs=1e-12)
        assert r.notes == [] and r.spans == {}


def test_rank_among_all_units_and_within_the_parent(study):
    reports = reports_of(study)
    for key in ("nps", "csat"):
        values = {label: r.figures[key].own.headline.value for label, r in reports.items()}
        ordered = sorted(values, key=lambda b: -values[b])
        for label in BRANCHES:
            fig = reports[label].figures[key]
            assert fig.peers == len(BRANCHES)
            assert fig.rank == 1 + sum(v > values[label] for v in values.values())
            region = BRANCHES[label][0]
            peers = [b for b in ordered if BRANCHES[b][0] == region]
            assert fig.parent_peers == len(peers)
            assert fig.parent_rank == 1 + sum(values[b] > values[label] for b in peers)
    nps = {label: r.figures["nps"].rank for label, r in reports.items()}
    assert sorted(nps.values()) == list(range(1, len(BRANCHES) + 1))


def test_a_suppressed_unit_has_no_rank_and_no_test(tmp_path):
    study = run(project(tmp_path / "p", report={"period": "2026-Q2"}, bases={"suppress_below": 45,
                                                                               "flag_below": 60}))
    reports = unit_reports(study.data, "Branch", rules=BaseRules(45, 60), alpha=ALPHA, period="2026 Q2",
                           structure=study.full)
    hill = reports["Hill"].figures["nps"]          # 30 respondents
    assert not hill.own.headline.shown and hill.rank is None and hill.vs_network is None
    assert reports["Bayside"].figures["nps"].peers == sum(n >= 45 for _r, n, _s in BRANCHES.values())


def test_hierarchy_in_the_project_file_is_used(tmp_path):
    # Without it, Branch nests in Region; the project names another parent: Channel.
    path = project(tmp_path / "p", hierarchy={"Branch": "Channel"},
                   columns={"segments": {"Region": "region", "Branch": "branch", "Channel": "channel"}})
    csv = path.parent / "data" / "responses.csv"
    lines = csv.read_text(encoding="utf-8").splitlines()
    channel = {b: ("Town" if b in ("Bayside", "Eastgate", "Glen") else "Country") for b in BRANCHES}
    out = [lines[0] + ",channel"] + [line + "," + channel[line.split(",")[3]] for line in lines[1:]]
    csv.write_text("\n".join(out) + "\n", encoding="utf-8")
    study = run(path)
    assert study.project.hierarchy == {"Branch": "Channel"}
    assert detect_parent(study.full, "Branch") == "Region"     # the closest nesting segment
    reports = reports_of(study)
    bay = reports["Bayside"]
    assert (bay.parent_segment, bay.parent_label) == ("Channel", "Town")
    assert bay.figures["nps"].parent_peers == 3
    town = rows_of(study.data, "Channel", "Town")
    assert bay.figures["nps"].parent.headline.value == pytest.approx(
        by_hand(study.data, "nps", town).headline.value, abs=1e-9)


def test_a_unit_spanning_two_parents_is_compared_with_the_larger_and_warned(tmp_path):
    path = project(tmp_path / "p", stray=6, hierarchy={"Branch": "Region"})
    study = run(path)
    assert detect_parent(study.full, "Branch") is None      # no longer nested
    reports = reports_of(study)
    bay = reports["Bayside"]
    assert bay.parent_label == "West"
    assert bay.spans == {"West": 2 * 70 - 6, "East": 6}
    assert len(bay.notes) == 1
    note = bay.notes[0]
    assert "Bayside" in note and "West" in note and "East" in note and "Region" in note
    assert all(not r.notes for label, r in reports.items() if label != "Bayside")
    # The rest of West excludes only Bayside's rows in West.
    data = study.data
    mask, west = rows_of(data, "Branch", "Bayside"), rows_of(data, "Region", "West")
    expected = compare(by_hand(data, "nps", mask), by_hand(data, "nps", west & ~mask))
    assert bay.figures["nps"].vs_parent.test.p_value == pytest.approx(expected.p_value, rel=1e-7, abs=1e-12)
    # East's figures count the stray rows, as the network report's region table does.
    east = reports["Eastgate"].figures["nps"].parent
    assert east.n == int(rows_of(data, "Region", "East").sum())


def test_no_parent_without_hierarchy_or_nesting(tmp_path):
    path = project(tmp_path / "p", stray=6)
    reports = reports_of(run(path))
    assert all(r.parent_label is None and r.figures["nps"].parent is None and r.figures["nps"].vs_parent is None
               for r in reports.values())


def test_not_stated_is_not_a_peer(tmp_path):
    path = project(tmp_path / "p")
    csv = path.parent / "data" / "responses.csv"
    lines = csv.read_text(encoding="utf-8").splitlines()
    # Twenty Q2 responses without a branch, in West.
    extra = [f"X{i:03d},2026-05-0{1 + i % 9},West,,8,4,1.000,Extra" for i in range(20)]
    csv.write_text("\n".join(lines + extra) + "\n", encoding="utf-8")
    study = run(path)
    assert detect_parent(study.full, "Branch") == "Region"
    reports = reports_of(study)
    assert NOT_STATED in reports
    assert reports[NOT_STATED].figures["nps"].rank is None and reports[NOT_STATED].parent_label is None
    assert reports["Bayside"].figures["nps"].peers == len(BRANCHES)


def test_unit_context_wording_follows_the_tests(study):
    from types import SimpleNamespace

    from cxreport.present.formatting import shown_difference
    from cxreport.present.unit import ordinal, rank_text, unit_context

    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 103, 111)] == \
        ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "103rd", "111th"]
    assert rank_text(3, 24) == "3rd of 24" and rank_text(None, 24) is None
    from cxreport import i18n

    with i18n.use_language("zh-CN"):
        assert "3" in rank_text(3, 24) and "24" in rank_text(3, 24) and "rd" not in rank_text(3, 24)
    reports = reports_of(study)
    for label, r in reports.items():
        ctx = unit_context(SimpleNamespace(unit=r, results=study.results))
        assert ctx["heading"] == f"How {label} compares — 2026 Q2"
        nps = ctx["rows"][0]
        fig = r.figures["nps"]
        assert nps["own"]["value"] == pytest.approx(fig.own.headline.value)
        # The difference printed beside the two figures is the difference of the figures as shown
        # (issue 13: "−0.8 pts" for 75% → 74%); the exact one is kept beside it.
        assert nps["vs_network"]["value"] == shown_difference(fig.own.headline.value, fig.network.headline.value,
                                                              "points")
        assert nps["vs_network"]["exact"] == pytest.approx(fig.own.headline.value - fig.network.headline.value)
        assert nps["vs_network"]["mark"] == fig.vs_network.mark
        assert nps["vs_parent"]["mark"] == fig.vs_parent.mark
        assert nps["rank"] == rank_text(fig.rank, fig.peers)
        text = ctx["paragraph"]
        assert text.startswith(f"{label}'s NPS in 2026 Q2 is ")
        for f in r.figures.values():
            if f.vs_network.mark == 0:
                assert f"{f.label} in 2026 Q2 is" in text
            assert ("significantly above the network" in text.split(f"{label}'s {f.label}")[1].split(".")[0]) == \
                (f.vs_network.mark > 0)
        if all(f.vs_network.mark == 0 and f.vs_parent.mark == 0 for f in r.figures.values()):
            assert "significantly above" not in text and "significantly below" not in text
            assert " higher" not in text and " lower" not in text
        assert f"in {r.parent_label}." in text and "in the network" in text
        assert "rest of " + r.parent_label in ctx["test_note"]
    assert unit_context(SimpleNamespace(unit=None)) is None


# --------------------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("unitbuild")
    path = project(root / "p", stray=6, hierarchy={"Branch": "Region"})
    out = root / "out"
    result = CliRunner().invoke(cli, ["build", str(path), "-o", str(out), "--format", "html", "--per", "Branch",
                                      "-j", "1"])
    return path, out, result


def test_unit_reports_carry_their_own_narrative_and_never_the_networks(built):
    _path, out, result = built
    assert result.exit_code == 0, result.output
    network = (out / "report.html").read_text(encoding="utf-8")
    assert NETWORK_SENTENCE.split(":")[0] in network and RECOMMENDATION in network
    slugs = unit_slugs(list(BRANCHES), reserved={"index"})
    for label, s in slugs.items():
        html = (out / f"report-{s}.html").read_text(encoding="utf-8")
        assert "Zanzibar" not in html and "Quokka" not in html, label
        assert ("new queue system" in html) == (label == "Bayside"), label


def test_the_spanning_unit_is_a_build_warning(built):
    _path, _out, result = built
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "hierarchy" in line and "Bayside" in line]
    assert len(lines) == 1, result.output
    assert "West" in lines[0] and "East" in lines[0]


def test_render_unit_gets_the_window_the_full_rows_and_the_unit_report(tmp_path, monkeypatch):
    """What the worker scores: the unit's every response, the network's window, its UnitReport
    with the narrative file used; the context of the comparison (the lead includes
    templates/partials/unit_comparison.html where ``unit`` is set)."""
    from cxreport import batch, pipeline
    from cxreport.present.render import make_environment
    from cxreport.present.unit import unit_context

    path = project(tmp_path / "p")
    seen = {}
    real = pipeline.score_data

    def spy(*args, **kwargs):
        study = real(*args, **kwargs)
        if kwargs.get("unit") is not None:
            seen[study.unit.label] = study
        return study

    monkeypatch.setattr(pipeline, "score_data", spy)
    result = batch.build_reports(load_project(path), tmp_path / "out", formats=("html",), per="Branch",
                                 options=batch.Options(jobs=1))
    assert not result.failures, result.failures
    assert set(seen) == set(BRANCHES)
    for label, study in seen.items():
        assert study.window.label == "2026 Q2"
        assert study.full.n == 2 * BRANCHES[label][1]          # both quarters: trends work
        assert study.data.n == BRANCHES[label][1]              # the window
        assert study.unit.label == label and study.unit.parent_label == BRANCHES[label][0]
        assert study.project.report.narrative.recommendations is None
        if label == "Bayside":
            assert study.unit.narrative == (path.parent / "narrative" / "units" / "bayside.md").resolve()
            assert study.project.report.narrative.executive_summary == study.unit.narrative
            assert study.project.quarterly.narrative == study.unit.narrative
        else:
            assert study.unit.narrative is None and study.project.report.narrative.executive_summary is None
        ctx = unit_context(study)
        assert ctx["parent"]["label"] == BRANCHES[label][0] and len(ctx["rows"]) == 2
        html = make_environment().get_template("partials/unit_comparison.html").render(
            unit=ctx, lang="en")
        assert ctx["heading"] in html and "table-wrap" in html
        if label == "Bayside":
            assert "Bayside" in html and "West" in html


def test_a_unit_without_responses_in_the_window_still_builds(tmp_path):
    path = project(tmp_path / "p")
    csv = path.parent / "data" / "responses.csv"
    lines = csv.read_text(encoding="utf-8").splitlines()
    # A closed branch: responses in Q1 only.
    extra = [f"C{i:03d},2026-02-{1 + i:02d},North,Closed,{i % 11},{1 + i % 5},1.000,Old" for i in range(20)]
    csv.write_text("\n".join(lines + extra) + "\n", encoding="utf-8")
    from cxreport import batch

    result = batch.build_reports(load_project(path), tmp_path / "out", formats=("html",), per="Branch",
                                 options=batch.Options(jobs=1))
    assert not result.failures, result.failures
    assert (tmp_path / "out" / "report-closed.html").is_file()
    reports = reports_of(run(path))
    closed = reports["Closed"]
    assert closed.base == 0 and closed.parent_label == "North"
    assert closed.figures["nps"].rank is None and not closed.figures["nps"].own.headline.shown

    from types import SimpleNamespace

    from cxreport.present.unit import unit_context

    ctx = unit_context(SimpleNamespace(unit=closed, results=None))
    assert ctx["rows"][0]["own"]["value"] is None and "no responses in 2026 Q2" in ctx["paragraph"]


def test_per_unit_narrative_outside_the_project_is_an_error(tmp_path):
    from cxreport import batch
    from cxreport.errors import ConfigError

    path = project(tmp_path / "p")
    proj = load_project(path)
    narrative = proj.report.narrative.model_copy(update={"per_unit": "../elsewhere/{unit}.md"})
    proj = proj.model_copy(update={"report": proj.report.model_copy(update={"narrative": narrative})})
    with pytest.raises(ConfigError, match="per_unit"):
        batch.unit_narrative(proj, "bayside")
    assert batch.unit_narrative(load_project(path), "bayside").name == "bayside.md"
    assert batch.unit_narrative(load_project(path), "cliffs") is None
