"""Key findings (cxreport.present.findings): what a client can act on, ranked by
materiality and significance, with what did not change in one 'stable' line."""

from __future__ import annotations

import random

import numpy as np
import pytest

from cxreport.benchmark.competitors import BrandValue, MetricComparison
from cxreport.pipeline import run
from cxreport.present.findings import (LIMIT, Finding, Findings, _ordinal, _same_customers, _Stable,
                                       competitor_findings, key_findings, rank, stable_sentence, unit_findings)
from cxreport.scoring.kpis import ItemSpec, score_item
from cxreport.scoring import stats
from cxreport.scoring.survey import Change
from cxreport.scoring.units import UnitFigure, UnitReport

from table_project import write_project

QUARTERS = [(2025, 8), (2025, 11), (2026, 2), (2026, 5), (2026, 8)]   # middle months of 2025 Q3 … 2026 Q3
BRANCHES = ["Anchor", "Bayside", "Cliff", "Dock", "Esplanade", "Ferry"]
CSAT_PATTERN = [5, 5, 4, 4, 4, 4, 3, 3, 2, 1]          # 60 % top-2-box, every quarter exactly


def _nps_answer(rng: random.Random, promoters: float, detractors: float) -> int:
    u = rng.random()
    if u < promoters:
        return rng.choice([9, 10])
    if u < promoters + detractors:
        return rng.randint(0, 6)
    return rng.choice([7, 8])


def _rows() -> list[list]:
    """600 respondents a quarter in three regions and six branches, plus a tiny West region.

    North lags far behind (a large real gap), Bayside's NPS jumps from very low in 2026 Q2
    to very high in 2026 Q3 (the mover; Dock improves too, by less), CSAT has exactly the same answers every quarter
    (it cannot change), and West has too few respondents for any figure to be shown.
    """
    rng = random.Random(20260930)
    rows = []
    for q, (year, month) in enumerate(QUARTERS):
        for j in range(600):
            region = ("North", "South", "East")[j % 3]
            branch = BRANCHES[(j // 3) % 6]
            if branch == "Bayside" and q == 3:
                p, d = 0.05, 0.75
            elif branch == "Bayside" and q == 4:
                p, d = 0.85, 0.05
            elif branch == "Dock" and q == 3:
                p, d = 0.20, 0.45
            elif branch == "Dock" and q == 4:
                p, d = 0.55, 0.15
            elif region == "North":
                p, d = 0.15, 0.60
            else:
                p, d = 0.50, 0.15
            speed, price = 4 + (j % 2), 1 + (j % 3 == 0)
            rows.append([f"R{q}-{j:04d}", f"{year}-{month:02d}-{1 + j % 28:02d}", region, branch,
                         _nps_answer(rng, p, d), CSAT_PATTERN[j % 10], speed, price])
        for j in range(10):                                    # West: suppressed, and dismal
            rows.append([f"W{q}-{j:02d}", f"{year}-{month:02d}-15", "West", BRANCHES[j % 6], 0,
                         CSAT_PATTERN[j % 10], 1, 1])
    return rows


HEADER = ["id", "date", "region", "branch", "q_nps", "q_csat", "a_speed", "a_price"]
COLUMNS = {"respondent_id": "id", "date": "date", "nps": "q_nps", "csat": {"column": "q_csat", "scale": 5},
           "attributes": {"Speed of service": {"column": "a_speed", "scale": "1-5"},
                          "Fees and value": {"column": "a_price", "scale": "1-5"}},
           "segments": {"Region": "region", "Branch": "branch"}}


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    folder = tmp_path_factory.mktemp("findings")
    path = write_project(folder, COLUMNS, HEADER, _rows(), periods={"unit": "quarter"},
                         bases={"suppress_below": 30, "flag_below": 50},
                         targets={"nps": 40, "csat": 80})
    return run(path)


@pytest.fixture(scope="module")
def findings(study) -> Findings:
    return key_findings(study)


def test_the_study_has_the_effects_the_findings_should_report(study):
    # Guards the generated data: the window is 2026 Q3, CSAT is identical in every quarter.
    assert study.window.label == "2026 Q3"
    previous = study.comparison("previous")
    assert previous is not None and previous.label == "2026 Q2"
    assert previous.changes["csat"].mark == 0
    assert previous.changes["csat"].test.diff == pytest.approx(0, abs=1e-9)


def test_no_finding_is_a_not_significant_result_and_at_most_eight(findings):
    assert isinstance(findings, Findings)
    assert 0 < len(findings.items) <= LIMIT
    for f in findings.items:
        assert "not significantly" not in f.text
        assert "not significant" not in f.text


def test_headline_status_against_target_comes_first(findings):
    first = findings.items[0]
    assert first.kind == "headline"
    assert first.text.startswith("NPS is ")
    assert "in 2026 Q3" in first.text
    assert "below target" in first.text and "target of +40" in first.text
    assert first.tone == "negative"


def test_stable_line_lists_the_unchanged_kpi_once(findings):
    stable = findings.stable
    assert stable is not None
    assert stable.startswith("Stable in 2026 Q3: ")
    assert "CSAT (60%)" in stable
    assert "did not change significantly on 2026 Q2" in stable
    assert stable.count("CSAT") == 1           # one clause for both periods it did not change on
    assert "\n" not in stable and stable.endswith(".")
    # A KPI that did not change is never said to rise or fall.
    assert not any(word in f.text for f in findings.items for word in ("CSAT rose", "CSAT fell"))


def test_significant_findings_are_ordered_by_materiality(findings):
    significant = [f for f in findings.items[1:] if f.significant and f.kind != "attribute"]
    assert len(significant) >= 3
    sizes = [f.materiality for f in significant]
    assert sizes == sorted(sizes, reverse=True)
    # ... and they come before the findings that are not significant (the attributes last of all).
    flags = [f.significant for f in findings.items[1:] if f.kind != "attribute"]
    assert flags == sorted(flags, reverse=True)
    kinds = [f.kind for f in findings.items]
    if "attribute" in kinds:
        assert kinds.index("attribute") == len(kinds) - 1


def test_the_mover_is_the_unit_whose_nps_jumped(findings):
    movers = [f for f in findings.items if f.kind == "mover"]
    assert movers, [f.text for f in findings.items]
    jump = movers[0]
    assert jump.text.startswith("Bayside (branch) improved most since 2026 Q2: NPS ")
    assert "in 2026 Q3" in jump.text and "since 2026 Q2" in jump.text
    assert jump.tone == "positive" and jump.significant
    assert not any(f.text.startswith("Dock") for f in movers)      # it improved, but by less


def test_the_largest_segment_gap_is_reported(findings):
    segments = [f for f in findings.items if f.kind == "segment"]
    assert any(f.text.startswith("North (region) lags in 2026 Q3 with NPS ") and f.tone == "negative"
               for f in segments), [f.text for f in segments]
    assert len(segments) <= 2


def test_every_finding_names_the_window(findings):
    for f in findings.items:
        assert "2026 Q3" in f.text, f.text


def test_nothing_is_said_of_a_suppressed_base(findings):
    texts = [f.text for f in findings.items] + [findings.stable or ""]
    assert not any("West" in t for t in texts)


def test_findings_are_iterable_like_the_old_list(findings):
    assert list(findings) == findings.items
    assert len(findings) == len(findings.items)


def test_a_kpi_that_rose_significantly_is_a_change_finding(study, findings):
    previous = study.comparison("previous")
    assert previous.changes["nps"].mark > 0          # Bayside's jump lifts the total
    changes = [f for f in findings.items if f.kind == "change"]
    assert any(f.text.startswith("NPS rose significantly in 2026 Q3 to ") and "on 2026 Q2" in f.text
               for f in changes), [f.text for f in findings.items]
    if study.comparison("year_ago").changes["nps"].mark != 0:
        assert "NPS" not in (findings.stable or "")


def test_no_candidate_is_a_not_significant_comparison(study):
    # Without the cap every candidate is listed: still none of them a non-significant change.
    everything = key_findings(study, limit=100)
    assert len(everything.items) > LIMIT - 1
    for f in everything.items:
        assert "not significantly" not in f.text
        assert not f.text.startswith(("CSAT rose", "CSAT fell"))
        if f.kind in ("change", "segment", "mover"):
            assert f.significant
    assert [f.text for f in everything.items[:LIMIT]] != [] and everything.stable == key_findings(study).stable


# --------------------------------------------------------------------------- hand-built pieces


def _f(kind: str, materiality: float, significant: bool = True, text: str = "") -> Finding:
    return Finding(text or f"{kind} {materiality}", kind, "neutral", materiality, significant)


def test_rank_puts_the_headline_first_caps_and_keeps_every_kind():
    candidates = ([_f("segment", 0.3 - i / 100) for i in range(6)] + [_f("mover", 0.25 - i / 100) for i in range(4)]
                  + [_f("attribute", 0.9), _f("competitor", 0.02, False), _f("change", 0.04),
                     _f("headline", 0.01, False), _f("target", 0.05)])
    ranked = rank(candidates)
    assert len(ranked) == LIMIT
    assert ranked[0].kind == "headline"
    kinds = {f.kind for f in ranked}
    assert {"segment", "mover", "change", "target", "competitor"} <= kinds     # none crowded out
    assert "attribute" not in kinds                                             # low priority: no room left
    rest = ranked[1:]
    assert [f.significant for f in rest] == sorted([f.significant for f in rest], reverse=True)
    sig = [f.materiality for f in rest if f.significant]
    assert sig == sorted(sig, reverse=True)
    # With room to spare, the attribute comes last even though it is the most material.
    short = rank([_f("attribute", 0.9), _f("segment", 0.1), _f("headline", 0.0)])
    assert [f.kind for f in short] == ["headline", "segment", "attribute"]


def test_stable_sentence_groups_what_did_not_change():
    entries = [_Stable("CSAT (75%)", "2026 Q2"), _Stable("CES (5.02)", "2026 Q2"), _Stable("NPS (+28)", "2025 Q3")]
    assert stable_sentence(entries, "2026 Q3") == (
        "Stable in 2026 Q3: CSAT (75%) and CES (5.02) did not change significantly on 2026 Q2; "
        "NPS (+28) did not change significantly on 2025 Q3.")
    both = [_Stable("CSAT (75%)", "2026 Q2"), _Stable("CSAT (75%)", "2025 Q3")]
    assert stable_sentence(both, "2026 Q3") == ("Stable in 2026 Q3: CSAT (75%) did not change significantly on "
                                                "2026 Q2 or 2025 Q3.")
    assert stable_sentence([], "2026 Q3") is None


def test_second_segment_gap_skips_the_same_customers():
    a = np.array([True] * 10 + [False] * 90)
    nested = np.array([True] * 9 + [False] * 91)          # nine of a's ten: the same story
    other = np.array([False] * 50 + [True] * 50)
    assert _same_customers(nested, a)
    assert not _same_customers(other, a)
    assert not _same_customers(None, a)


def test_ordinals():
    assert [_ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "101st", "111th"]


def _brand(name: str, value: float, mark: int = 0, own: bool = False, testable: bool = True) -> BrandValue:
    return BrandValue(name, value, n=400, own=own, mark=mark, testable=testable)


def _comparison(brands: list[BrandValue], rank_: int, metric: str = "nps", origin: str = "survey",
                period: str = "2026 Q3") -> MetricComparison:
    own = next(b for b in brands if b.own)
    best = max(brands, key=lambda b: b.value)
    leader = max((b for b in brands if not b.own), key=lambda b: b.value)
    comp = MetricComparison(metric, "NPS", "points", origin, brands, own, None, best, rank_,
                            own.value - leader.value, own.value > leader.value)
    comp.period = period          # set by compare_competitors once competitors are windowed
    return comp


def test_competitor_rank_names_the_leader_and_the_period():
    brands = [_brand("Harbour Bank", 24, own=True), _brand("Quay Digital", 37, mark=-1), _brand("Meridian", 30),
              _brand("Coastline", 28), _brand("Northern", 10, mark=1)]
    (f,) = competitor_findings([_comparison(brands, 3)])
    assert f.text == ("Harbour Bank ranks 3rd of 5 on NPS in the competitor survey (2026 Q3), at +24; "
                      "Quay Digital leads with +37.")
    assert f.significant and f.tone == "negative"
    assert f.materiality == pytest.approx(13 / 200)


def test_competitor_gap_that_is_not_significant_is_not_called_a_lead():
    brands = [_brand("Harbour Bank", 24, own=True), _brand("Quay Digital", 27, mark=0), _brand("Northern", 10, mark=1)]
    (f,) = competitor_findings([_comparison(brands, 2)])
    assert not f.significant
    assert "within the margin of error" in f.text and "not significantly" not in f.text
    assert "2nd of 3" in f.text


def test_one_competitor_finding_per_metric_the_surveys_first():
    brands = [_brand("Harbour Bank", 24, own=True), _brand("Quay Digital", 37, mark=-1)]
    table = _comparison([_brand("Harbour Bank", 18, own=True), _brand("Quay Digital", 33, mark=-1)], 2,
                        origin="table", period="2026")
    found = competitor_findings([table, _comparison(brands, 2)])
    assert len(found) == 1 and "competitor survey" in found[0].text


def _unit_report(vs_network: Change | None, vs_parent: Change | None) -> UnitReport:
    spec = ItemSpec.nps("q_nps")
    own = score_item(spec, [10] * 60 + [8] * 20 + [3] * 20)
    network = score_item(spec, [10] * 40 + [8] * 30 + [3] * 30)
    fig = UnitFigure("nps", "NPS", "points", own, network, vs_network, network, vs_parent, rank=3, peers=24,
                     parent_rank=2, parent_peers=6)
    return UnitReport("Branch", "Bayside", "bayside", "2026 Q3", "Harbour Bank", "Region", "West", {"nps": fig})


def test_unit_against_network_and_parent():
    up = Change(stats.TestResult(30.0, 3.1, 0.002, "NPS difference z-test"), 1)
    level = Change(stats.TestResult(4.0, 0.5, 0.6, "NPS difference z-test"), 0)
    found, stable = unit_findings(_unit_report(up, level), ItemSpec.nps("q_nps"), "2026 Q3")
    texts = [f.text for f in found]
    # the gap stated is the unit minus the whole network, as in the comparison table (+40 − +10);
    # that it is called a gap at all rests on the test against the rest of the network
    assert "NPS in Bayside is +40 in 2026 Q3, 30 points above the network (+10)." in texts
    assert ("Bayside ranks 3rd of 24 branch units on NPS in 2026 Q3 (+40), and 2nd of 6 in West.") in texts
    assert not any("West (+10)" in t for t in texts)             # not significant: in the stable line instead
    line = stable_sentence(stable, "2026 Q3")
    assert line == "Stable in 2026 Q3: NPS in Bayside (+40) did not differ significantly from West (+10)."


def test_unit_with_a_suppressed_base_says_nothing():
    report = _unit_report(None, None)
    spec = ItemSpec.nps("q_nps")
    fig = report.figures["nps"]
    report.figures["nps"] = UnitFigure("nps", "NPS", "points", score_item(spec, [10] * 5), fig.network, None,
                                       rank=1, peers=24)
    assert unit_findings(report, spec, "2026 Q3") == ([], [])


def test_the_findings_tests_are_made_with_the_scores_and_kept_with_the_study(study, findings, monkeypatch):
    # pipeline.score_data makes the tests the key findings need (the units that moved most, the best
    # against the worst attribute), so a study read from the build cache brings them and a
    # narrative-only rebuild tests nothing again (nor imports scipy to do it).
    made = {what[0] for what in study.tests}
    assert {"unit changes", "attribute gap"} <= made, made
    import pickle

    from cxreport.present import findings as findings_module
    from cxreport.scoring import survey

    def untested(*args, **kwargs):
        raise AssertionError("tested again")

    again = pickle.loads(pickle.dumps(study))           # as the build cache stores it
    monkeypatch.setattr(survey, "segment_changes", untested)
    monkeypatch.setattr(findings_module, "compare", untested)
    assert [f.text for f in key_findings(again).items] == [f.text for f in findings.items]
