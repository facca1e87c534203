"""Scoring behaviour a consultant relies on: weights, small bases, special codes, breakdowns,
periods, significance direction, target status, and the sample project's figures recomputed
independently with pandas.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxreport.benchmark.targets import evaluate_targets, status
from cxreport.periods import assign_periods
from cxreport.pipeline import run
from cxreport.scoring.kpis import BaseRules, ItemSpec, compare, nps, score_item
from cxreport.scoring.survey import score_survey

from table_project import write_project

Z = 1.959964
SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "harbour-bank"


# --------------------------------------------------------------------------- helpers




def hand_wilson(p: float, n: float, z: float = Z) -> tuple[float, float]:
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def hand_nps_se(p: float, d: float, n: float) -> float:
    return 100 * math.sqrt((p + d - (p - d) ** 2) / n)


def check_for(study, column: str):
    return next(c for c in study.validation.columns if c.column == column)


# --------------------------------------------------------------------------- weighting


def test_weights_of_one_give_the_unweighted_figures():
    """Switching on a weight column full of 1s must not change a single figure."""
    rng = np.random.default_rng(7)
    values = rng.integers(0, 11, size=200).astype(float)
    plain = nps(values)
    ones = nps(values, weights=np.ones(200))
    for attr in ("nps", "nps_adjusted", "mean"):
        a, b = getattr(plain, attr), getattr(ones, attr)
        assert (a.value, a.low, a.high, a.se) == pytest.approx((b.value, b.low, b.high, b.se), rel=1e-12)
    assert ones.n_eff == pytest.approx(200.0)
    assert ones.distribution == plain.distribution


def test_weights_of_one_in_a_project_give_the_unweighted_figures(tmp_path):
    """A weight column of 1s must give the same report as no weight column (efficiency 100 %)."""
    rows = [[i, (i * 7) % 11, (i % 5) + 1, 1] for i in range(1, 121)]
    header = ["id", "q_nps", "q_csat", "w"]
    weighted = run(write_project(tmp_path / "w", {"respondent_id": "id", "weight": "w", "nps": "q_nps",
                                                  "csat": "q_csat"}, header, rows)).results
    plain = run(write_project(tmp_path / "u", {"respondent_id": "id", "nps": "q_nps",
                                               "csat": "q_csat"}, header, rows)).results
    assert weighted.weighted and not plain.weighted
    for key in ("nps", "csat"):
        hw, hp = weighted.overall[key].headline, plain.overall[key].headline
        assert (hw.value, hw.low, hw.high) == pytest.approx((hp.value, hp.low, hp.high), rel=1e-12)
    assert weighted.weighting_efficiency == pytest.approx(100.0)


def test_weighted_shares_by_hand():
    """Weighted NPS shares: answers 10, 9, 7, 3 with weights 2, 1, 1, 4."""
    result = nps([10.0, 9.0, 7.0, 3.0], weights=[2.0, 1.0, 1.0, 4.0])
    # promoters 3/8, passives 1/8, detractors 4/8 of the weight
    assert result.share_hi == pytest.approx(37.5)
    assert result.share_mid == pytest.approx(12.5)
    assert result.share_lo == pytest.approx(50.0)
    assert result.nps.value == pytest.approx(-12.5)
    assert result.mean.value == pytest.approx((20 + 9 + 7 + 12) / 8)
    # counts stay respondent counts
    assert (result.count_hi, result.count_mid, result.count_lo) == (2, 1, 1)
    assert result.weighted_base == pytest.approx(8.0)
    dist = {value: (count, pct) for value, count, pct in result.distribution}
    assert dist[10] == (1, pytest.approx(25.0))
    assert dist[9] == (1, pytest.approx(12.5))
    assert dist[3] == (1, pytest.approx(50.0))
    # unweighted would be NPS (2 − 1) / 4 = 25: the weights must matter
    assert nps([10.0, 9.0, 7.0, 3.0]).nps.value == pytest.approx(25.0)


def test_effective_n_is_used_in_the_nps_interval():
    """A weighted NPS interval uses n_eff = (Σw)²/Σw², not the respondent count."""
    values = [10.0] * 20 + [8.0] * 20 + [2.0] * 20
    weights = [1.0] * 30 + [3.0] * 30
    result = nps(values, weights=weights)
    w = np.array(weights)
    n_eff = w.sum() ** 2 / (w ** 2).sum()
    sw = w.sum()
    p = (20 * 1.0) / sw                 # promoters all have weight 1
    d = (20 * 3.0) / sw                 # detractors all have weight 3
    assert result.n == 60
    assert result.n_eff == pytest.approx(n_eff)
    se = hand_nps_se(p, d, n_eff)
    assert result.nps.value == pytest.approx(100 * (p - d))
    assert result.nps.se == pytest.approx(se)
    assert result.nps.low == pytest.approx(100 * (p - d) - Z * se)
    assert result.nps.high == pytest.approx(100 * (p - d) + Z * se)


def test_effective_n_is_used_in_the_top2_interval():
    """The weighted CSAT top-2-box interval is Wilson with n_eff in place of n."""
    values = [5.0] * 10 + [4.0] * 10 + [2.0] * 40
    weights = [2.0] * 20 + [1.0] * 40
    result = score_item(ItemSpec.csat(), values, weights)
    w = np.array(weights)
    n_eff = w.sum() ** 2 / (w ** 2).sum()
    p = 40.0 / 80.0
    low, high = hand_wilson(p, n_eff)
    assert result.top2.value == pytest.approx(50.0)
    assert result.top2.n_eff == pytest.approx(n_eff)
    assert result.top2.low == pytest.approx(100 * low)
    assert result.top2.high == pytest.approx(100 * high)
    # and it is wider than the unweighted interval on 60 respondents
    low60, high60 = hand_wilson(p, 60)
    assert result.top2.high - result.top2.low > 100 * (high60 - low60)


# --------------------------------------------------------------------------- small bases


@pytest.mark.parametrize("n, flag", [(29, "suppressed"), (30, "small"), (49, "small"), (50, "ok")])
def test_small_base_thresholds(n, flag):
    """29 respondents: not shown; 30 and 49: shown but flagged small; 50: normal."""
    assert BaseRules().classify(n) == flag
    result = nps([10.0, 3.0] * (n // 2) + [8.0] * (n % 2))
    assert result.base == flag
    assert result.nps.base == flag
    assert result.nps.shown is (flag != "suppressed")


def test_small_base_uses_respondents_not_effective_n():
    """30 respondents with uneven weights (n_eff < 30) are still 'small', not suppressed."""
    result = nps([10.0] * 15 + [3.0] * 15, weights=[1.0] * 15 + [5.0] * 15)
    assert result.n_eff < 30
    assert result.base == "small"


def test_project_base_thresholds_are_used(tmp_path):
    """bases.suppress_below / flag_below in the project file change what is shown and flagged."""
    rows = [[i, 10 if i % 3 else 2] for i in range(1, 13)]
    path = write_project(tmp_path / "p", {"respondent_id": "id", "nps": "q"}, ["id", "q"], rows,
                         bases={"suppress_below": 10, "flag_below": 20})
    result = run(path).results.overall["nps"]
    assert result.n == 12
    assert result.base == "small"
    assert result.nps.shown


def test_a_suppressed_group_gets_no_significance_change(tmp_path):
    """A 29-respondent segment is never marked ▲/▼; a 30-respondent one is tested."""
    rows = [[i, "Main", 3] for i in range(1, 301)]
    rows += [[1000 + i, "Twentynine", 10] for i in range(29)]
    rows += [[2000 + i, "Thirty", 10] for i in range(30)]
    study = run(write_project(tmp_path / "p", {"respondent_id": "id", "nps": "q",
                                               "segments": {"Group": "g"}}, ["id", "g", "q"], rows))
    groups = {g.label: g for g in study.results.segments[0].groups}
    assert groups["Twentynine"].items["nps"].base == "suppressed"
    assert groups["Twentynine"].changes == {}
    assert groups["Thirty"].items["nps"].base == "small"
    assert groups["Thirty"].changes["nps"].mark == 1


# --------------------------------------------------------------------------- codes and invalid values


def test_na_codes_and_missing_codes_leave_the_base_and_are_not_low_scores(tmp_path):
    """0 = 'did not use' on a 1–5 rating and 99 = 'don't know' must not drag the mean down."""
    answers = ["5", "4", "0", "0", "99", "", "3", "0", "5", "-99"]
    rows = [[i, a, 9] for i, a in enumerate(answers, start=1)]
    path = write_project(tmp_path / "p", {"respondent_id": "id", "nps": "q_nps",
                                          "attributes": {"Waiting time": {"column": "a_wait", "scale": "1-5",
                                                                          "na_codes": [0]}}},
                         ["id", "a_wait", "q_nps"], rows, missing_codes=[99, -99])
    study = run(path)
    check = check_for(study, "a_wait")
    assert check.not_applicable == 3
    assert check.missing_code == 2
    assert check.blank == 1
    assert check.valid == 4
    assert check.invalid == 0
    result = study.results.overall["attr:Waiting time"]
    assert result.n == 4
    assert result.mean.value == pytest.approx((5 + 4 + 3 + 5) / 4)
    assert result.share_lo == pytest.approx(0.0)       # N/A is not a 'bottom 2 box' answer
    assert sum(count for _v, count, _p in result.distribution) == 4
    assert [v for v, _c, _p in result.distribution] == [1, 2, 3, 4, 5]
    assert study.validation.invalid_values == 0
    assert study.validation.warnings() == []


def test_na_code_without_configuration_is_an_invalid_value(tmp_path):
    """Without na_codes, a 0 on a 1–5 scale is invalid (counted, excluded), never scored as a 1."""
    rows = [[1, "5", 9], [2, "0", 9], [3, "3", 9]]
    study = run(write_project(tmp_path / "p", {"respondent_id": "id", "nps": "q_nps",
                                               "attributes": {"Wait": "a_wait"}},
                              ["id", "a_wait", "q_nps"], rows))
    check = check_for(study, "a_wait")
    assert check.out_of_scale == 1 and check.not_applicable == 0
    assert study.results.overall["attr:Wait"].mean.value == pytest.approx(4.0)


def test_out_of_scale_and_non_integer_values_are_invalid(tmp_path):
    """11, −1, 4.5, 'ten' and '7,5' on a 0–10 item are invalid: counted, named, excluded."""
    answers = ["10", "11", "-1", "4.5", "ten", "7,5", " 9 ", "0", "8"]
    rows = [[i, a] for i, a in enumerate(answers, start=1)]
    study = run(write_project(tmp_path / "p", {"respondent_id": "id", "nps": "q_nps"}, ["id", "q_nps"], rows))
    check = check_for(study, "q_nps")
    assert check.valid == 4                       # 10, ' 9 ', 0, 8
    assert check.out_of_scale == 3               # 11, -1, 4.5
    assert check.non_numeric == 2                # ten, 7,5
    assert check.invalid == 5
    examples = " ".join(check.examples)
    assert "row 3, column 'q_nps': '11'" in examples
    assert "row 5, column 'q_nps': '4.5'" in examples
    assert "row 6, column 'q_nps': 'ten'" in examples
    result = study.results.overall["nps"]
    assert result.n == 4
    assert result.nps.value == pytest.approx(100 * (2 - 1) / 4)
    warnings = study.validation.warnings()
    assert any("5 invalid values excluded" in w and "q_nps" in w for w in warnings)
    assert not study.validation.clean


# --------------------------------------------------------------------------- breakdowns


@pytest.fixture(scope="module")
def region_study(tmp_path_factory):
    """300 respondents; some with a blank region; weighted."""
    rng = np.random.default_rng(11)
    regions = ["North", "South", "East", ""]
    rows = []
    for i in range(1, 301):
        region = regions[i % 4] if i % 13 else ""
        answer = int(rng.integers(0, 11)) if i % 17 else ""
        weight = [0.5, 1.0, 1.5, 2.5][i % 4]
        rows.append([i, region, answer, weight])
    folder = tmp_path_factory.mktemp("regions")
    return run(write_project(folder, {"respondent_id": "id", "weight": "w", "nps": "q_nps",
                                      "segments": {"Region": "region"}},
                             ["id", "region", "q_nps", "w"], rows))


def test_segment_bases_sum_to_the_total_including_not_stated(region_study):
    """Breakdown columns must add up to the total; blanks go to a 'Not stated' group."""
    results = region_study.results
    region = results.segments[0]
    labels = [g.label for g in region.groups]
    assert labels[-1] == "Not stated"
    assert set(labels) == {"East", "North", "South", "Not stated"}
    assert sum(g.base for g in region.groups) == results.base == 300
    assert sum(g.items["nps"].n for g in region.groups) == results.overall["nps"].n
    assert sum(g.weighted_base for g in region.groups) == pytest.approx(results.weighted_base)
    blanks = sum(1 for i in range(1, 301) if i % 4 == 3 or i % 13 == 0)
    assert next(g for g in region.groups if g.label == "Not stated").base == blanks


def test_nps_distribution_sums_to_100_and_counts_to_n(region_study):
    """The NPS distribution chart adds up to 100 %; promoters + passives + detractors = n."""
    overall = region_study.results.overall["nps"]
    assert sum(pct for _v, _c, pct in overall.distribution) == pytest.approx(100.0, abs=1e-9)
    assert sum(c for _v, c, _p in overall.distribution) == overall.n
    assert overall.share_hi + overall.share_mid + overall.share_lo == pytest.approx(100.0)
    assert overall.count_hi + overall.count_mid + overall.count_lo == overall.n
    for group in region_study.results.segments[0].groups:
        item = group.items["nps"]
        assert item.count_hi + item.count_mid + item.count_lo == item.n
        assert item.share_hi + item.share_mid + item.share_lo == pytest.approx(100.0)


# --------------------------------------------------------------------------- periods


def _dates(*values):
    return pd.Series(pd.to_datetime(list(values)))


def test_calendar_quarters():
    """Trend columns: calendar quarters with the right labels, first and last days; undated rows in none."""
    codes, periods = assign_periods(_dates("2026-01-01", "2026-03-31", "2026-04-01", "2025-12-31", None), "quarter", 1)
    assert [p.label for p in periods] == ["2025 Q4", "2026 Q1", "2026 Q2"]
    assert codes.tolist() == [1, 1, 2, 0, -1]
    q1 = periods[1]
    assert (q1.start, q1.end) == (pd.Timestamp("2026-01-01"), pd.Timestamp("2026-03-31"))


def test_fiscal_year_starting_april_is_named_by_the_year_it_ends():
    """FY2027 runs April 2026 – March 2027: April 2026 is FY2027 Q1, March 2026 is FY2026 Q4."""
    codes, periods = assign_periods(
        _dates("2026-04-01", "2026-03-31", "2026-12-15", "2027-03-31", "2026-07-01"), "quarter", 4)
    labels = [periods[c].label for c in codes]
    assert labels == ["FY2027 Q1", "FY2026 Q4", "FY2027 Q3", "FY2027 Q4", "FY2027 Q2"]
    q1 = next(p for p in periods if p.label == "FY2027 Q1")
    assert (q1.start, q1.end) == (pd.Timestamp("2026-04-01"), pd.Timestamp("2026-06-30"))
    q4 = next(p for p in periods if p.label == "FY2027 Q4")
    assert (q4.start, q4.end) == (pd.Timestamp("2027-01-01"), pd.Timestamp("2027-03-31"))

    codes, periods = assign_periods(_dates("2026-04-01", "2026-03-31", "2027-03-31"), "year", 4)
    assert [periods[c].label for c in codes] == ["FY2027", "FY2026", "FY2027"]
    fy = next(p for p in periods if p.label == "FY2027")
    assert (fy.start, fy.end) == (pd.Timestamp("2026-04-01"), pd.Timestamp("2027-03-31"))


def test_months():
    """Monthly trend: 'Jan 2026'-style labels in date order, month ends right (28 Feb)."""
    codes, periods = assign_periods(_dates("2026-02-28", "2026-01-31", "2026-02-01", "2025-12-01"), "month", 1)
    assert [p.label for p in periods] == ["Dec 2025", "Jan 2026", "Feb 2026"]
    assert codes.tolist() == [2, 1, 2, 0]
    feb = periods[2]
    assert (feb.start, feb.end) == (pd.Timestamp("2026-02-01"), pd.Timestamp("2026-02-28"))


def test_fiscal_year_by_month_name_in_a_project(tmp_path):
    """`fiscal_year_start: April` in the project file gives FY quarters in the trend table."""
    rows = [[1, "2026-03-15", 9], [2, "2026-04-02", 9], [3, "2026-06-30", 3], [4, "", 5]]
    study = run(write_project(tmp_path / "p", {"respondent_id": "id", "date": "d", "nps": "q"},
                              ["id", "d", "q"], rows, periods={"unit": "quarter", "fiscal_year_start": "April"}))
    groups = study.results.periods.groups
    assert [(g.label, g.base) for g in groups] == [("FY2026 Q4", 1), ("FY2027 Q1", 2)]
    # the window is the latest fiscal quarter; the undated row is in no period ...
    assert study.window.label == "FY2027 Q1" and study.results.base == 2
    assert [c.label for c in study.comparisons] == ["FY2026 Q4", "FY2026 Q1"]
    # ... but in 'all', the pool of every response
    pooled = run(write_project(tmp_path / "q", {"respondent_id": "id", "date": "d", "nps": "q"},
                               ["id", "d", "q"], rows, periods={"unit": "quarter", "fiscal_year_start": "April"},
                               report={"period": "all"}))
    assert pooled.results.base == 4 and pooled.window.label == "pooled FY2026 Q4 – FY2027 Q1"


# --------------------------------------------------------------------------- complement test


def test_complement_test_direction(tmp_path):
    """A segment above the rest of the sample is marked ▲ (+1); one below is ▼ (−1)."""
    rows = [[i, "High", 10 if i % 4 else 8] for i in range(1, 101)]
    rows += [[100 + i, "Low", 2 if i % 4 else 9] for i in range(1, 101)]
    rows += [[200 + i, "Middle", [10, 8, 3][i % 3]] for i in range(1, 101)]
    study = run(write_project(tmp_path / "p", {"respondent_id": "id", "nps": "q",
                                               "segments": {"Segment": "s"}}, ["id", "s", "q"], rows))
    groups = {g.label: g for g in study.results.segments[0].groups}
    high, low = groups["High"].changes["nps"], groups["Low"].changes["nps"]
    assert high.test.diff > 0 and high.mark == 1
    assert low.test.diff < 0 and low.mark == -1
    # the 'rest' of High is Low + Middle: diff = NPS(High) − NPS(Low ∪ Middle)
    rest = nps([2 if i % 4 else 9 for i in range(1, 101)] + [[10, 8, 3][i % 3] for i in range(1, 101)])
    assert high.test.diff == pytest.approx(groups["High"].items["nps"].nps.value - rest.nps.value)


def test_compare_direction_for_means():
    """Attribute arrows: a higher mean is a rise (+1), a lower one a fall (−1)."""
    a = score_item(ItemSpec.rating("x", "X"), [5.0] * 40 + [4.0] * 20)
    b = score_item(ItemSpec.rating("x", "X"), [2.0] * 40 + [3.0] * 20)
    assert compare(a, b).direction == 1
    assert compare(b, a).direction == -1
    assert compare(a, b).significant(0.05)


# --------------------------------------------------------------------------- targets


def test_status_green_amber_red_boundaries():
    """Green at or above target; amber within the tolerance below; red beyond it."""
    assert status(35.0, 35.0, 10.0) == "green"
    assert status(25.0, 35.0, 10.0) == "amber"
    assert status(24.99, 35.0, 10.0) == "red"
    assert status(4.7, 5.0, 0.3) == "amber"
    assert status(4.69, 5.0, 0.3) == "red"
    assert status(None, 5.0, 0.3) == "none"
    assert status(float("nan"), 5.0, 0.3) == "none"


@pytest.fixture(scope="module")
def target_study(tmp_path_factory):
    """Three stores of 100: A on target, B exactly one tolerance below, C beyond it."""
    plans = {
        # NPS (promoters, passives, detractors), CSAT top-2 count, CES fours (rest fives)
        "A": ((55, 25, 20), 80, 0),     # NPS 35, top-2 80 %, CES 5.0
        "B": ((45, 35, 20), 75, 30),    # NPS 25, top-2 75 %, CES 4.7
        "C": ((44, 36, 20), 74, 40),    # NPS 24, top-2 74 %, CES 4.6
    }
    rows = []
    i = 0
    for store, ((pro, pas, det), top2, fours) in plans.items():
        nps_answers = [10] * pro + [8] * pas + [2] * det
        for k in range(100):
            i += 1
            rows.append([i, store, nps_answers[k], 5 if k < top2 else 3, 4 if k < fours else 5, 4])
    folder = tmp_path_factory.mktemp("targets")
    path = write_project(folder, {"respondent_id": "id", "nps": "q_nps", "csat": "q_csat", "ces": "q_ces",
                                  "attributes": {"Wait": "a_wait"}, "segments": {"Store": "store"}},
                         ["id", "store", "q_nps", "q_csat", "q_ces", "a_wait"], rows,
                         targets={"nps": {"value": 35, "segments": {"Store": {"C": 30}}},
                                  "csat": 80, "ces": 5.0, "attributes": {"Wait": 4.1}})
    return run(path)


def test_default_tolerances(target_study):
    """Default amber band: 10 NPS points, 5 % points on top-2-box, 0.3 on a 1–7 mean (5 % of the scale)."""
    overall = target_study.targets.overall
    assert overall["nps"].tolerance == pytest.approx(10.0)
    assert overall["csat"].tolerance == pytest.approx(5.0)
    assert overall["ces"].tolerance == pytest.approx(0.3)
    assert overall["attr:Wait"].tolerance == pytest.approx(0.2)   # 5 % of 1–5


def test_target_status_per_segment(target_study):
    """Scorecard colours per store: green on target, amber within the default band, red beyond; segment targets override."""
    report = target_study.targets
    expected = {
        ("A", "nps"): "green", ("B", "nps"): "amber",
        ("C", "nps"): "amber",            # C's own target is 30: 24 is within 10 below
        ("A", "csat"): "green", ("B", "csat"): "amber", ("C", "csat"): "red",
        ("A", "ces"): "green", ("B", "ces"): "amber", ("C", "ces"): "red",
    }
    for (store, key), colour in expected.items():
        got = report.for_group("Store", store, key)
        assert got.status == colour, (store, key, got)
    c_nps = report.for_group("Store", "C", "nps")
    assert c_nps.target == 30 and c_nps.gap == pytest.approx(-6.0)
    # overall: NPS (55 + 45 + 44 − 60) / 300 = 28 → amber against 35
    assert report.overall["nps"].value == pytest.approx(28.0)
    assert report.overall["nps"].status == "amber"
    # attribute mean 4.0 against 4.1 with tolerance 0.2 → amber
    assert report.overall["attr:Wait"].status == "amber"


def test_no_status_on_a_suppressed_base(tmp_path):
    """A store with n < 30 gets no colour (its figure is not shown)."""
    rows = [[i, "Big" if i <= 60 else "Tiny", 10] for i in range(1, 81)]
    study = run(write_project(tmp_path / "p", {"respondent_id": "id", "nps": "q",
                                               "segments": {"Store": "s"}}, ["id", "s", "q"], rows,
                              targets={"nps": 35}))
    assert study.targets.for_group("Store", "Tiny", "nps").status == "none"
    assert study.targets.for_group("Store", "Big", "nps").status == "green"


# --------------------------------------------------------------------------- the sample project


@pytest.fixture(scope="module")
def sample_study():
    return run(SAMPLE / "cxreport.yaml")


@pytest.fixture(scope="module")
def sample_file():
    """responses.csv read independently: later copies of a resp_id dropped."""
    df = pd.read_csv(SAMPLE / "data" / "responses.csv", dtype=str, keep_default_na=False)
    df = df[~df["resp_id"].str.strip().duplicated(keep="first")].reset_index(drop=True)
    df["w"] = df["weight"].astype(float)
    return df


@pytest.fixture(scope="module")
def sample_frame(sample_file):
    """The rows of the sample's reporting window (report.period: latest = the last quarter
    with responses), selected independently of cxreport by the dates in the file."""
    dates = pd.to_datetime(sample_file["response_date"].str.strip())
    quarter = dates.dt.year * 10 + dates.dt.quarter
    return sample_file[quarter == quarter.max()].reset_index(drop=True)


def _valid(series: pd.Series, low: int, high: int, na=()) -> pd.Series:
    x = pd.to_numeric(series.str.strip(), errors="coerce")
    ok = x.notna() & (x != 99) & (x >= low) & (x <= high) & (x == x.round()) & ~x.isin(list(na))
    return x.where(ok)


def _weighted_nps(x: pd.Series, w: pd.Series) -> tuple[float, float, float, float]:
    ok = x.notna()
    x, w = x[ok], w[ok]
    p = w[x >= 9].sum() / w.sum()
    d = w[x <= 6].sum() / w.sum()
    n_eff = w.sum() ** 2 / (w ** 2).sum()
    return 100 * (p - d), p, d, n_eff


def test_sample_window_is_the_last_quarter(sample_study, sample_frame):
    assert sample_study.window.label == "2026 Q3"
    assert sample_study.results.base == len(sample_frame)
    assert [c.label for c in sample_study.comparisons] == ["2026 Q2", "2025 Q3"]


def test_sample_rows_used_exclude_duplicate_ids(sample_study, sample_file):
    sample_frame = sample_file
    """The demo's validation summary: rows read, rows used and duplicates dropped agree with the file."""
    raw = pd.read_csv(SAMPLE / "data" / "responses.csv", dtype=str, keep_default_na=False)
    report = sample_study.validation
    assert report.rows_read == len(raw)
    assert report.rows_used == len(sample_frame)
    assert report.excluded["duplicate respondent id"] == len(raw) - len(sample_frame)
    assert sorted(report.duplicate_ids) == sorted(raw.loc[raw["resp_id"].duplicated(), "resp_id"].unique())


def test_sample_weighted_nps_overall(sample_study, sample_frame):
    """The headline NPS of the demo report, recomputed with pandas."""
    x = _valid(sample_frame["q_nps"], 0, 10)
    score, p, d, n_eff = _weighted_nps(x, sample_frame["w"])
    result = sample_study.results.overall["nps"]
    assert result.n == int(x.notna().sum())
    assert result.nps.value == pytest.approx(score, abs=1e-9)
    assert result.n_eff == pytest.approx(n_eff, rel=1e-12)
    se = hand_nps_se(p, d, n_eff)
    assert result.nps.low == pytest.approx(score - Z * se, abs=1e-9)
    assert result.nps.high == pytest.approx(score + Z * se, abs=1e-9)


def test_sample_weighted_nps_north_and_its_complement_test(sample_study, sample_frame):
    """Region North's NPS and its ▼ against the rest of the sample, recomputed with pandas."""
    x = _valid(sample_frame["q_nps"], 0, 10)
    north = sample_frame["region"].str.strip() == "North"
    score_n, p_n, d_n, neff_n = _weighted_nps(x[north], sample_frame["w"][north])
    score_r, p_r, d_r, neff_r = _weighted_nps(x[~north], sample_frame["w"][~north])
    region = next(b for b in sample_study.results.segments if b.name == "Region")
    group = next(g for g in region.groups if g.label == "North")
    assert group.base == int(north.sum())
    assert group.items["nps"].n == int(x[north].notna().sum())
    assert group.items["nps"].nps.value == pytest.approx(score_n, abs=1e-9)
    change = group.changes["nps"]
    se = math.sqrt(hand_nps_se(p_n, d_n, neff_n) ** 2 + hand_nps_se(p_r, d_r, neff_r) ** 2)
    assert change.test.diff == pytest.approx(score_n - score_r, abs=1e-9)
    assert change.test.statistic == pytest.approx((score_n - score_r) / se, abs=1e-9)
    assert change.mark == -1
    assert sum(g.base for g in region.groups) == sample_study.results.base


def test_score_survey_directly_on_the_sample(sample_study, sample_frame):
    """score_survey on the prepared sample data (α = 0.01, stricter bases) keeps the pandas NPS figures."""
    results = score_survey(sample_study.data, BaseRules(100, 200), 0.01)
    x = _valid(sample_frame["q_nps"], 0, 10)
    score, *_ = _weighted_nps(x, sample_frame["w"])
    assert results.overall["nps"].nps.value == pytest.approx(score, abs=1e-9)
    assert results.alpha == 0.01 and results.rules.suppress_below == 100
    assert results.base == len(sample_frame)
    assert results.n_eff == pytest.approx(sample_frame["w"].sum() ** 2 / (sample_frame["w"] ** 2).sum())
    assert [(g.label, g.base) for g in results.periods.groups] == [("2026 Q3", len(sample_frame))]


def test_sample_trend_keeps_every_quarter(sample_study, sample_file):
    """The trend behind the window: every quarter of the file, each with its own base."""
    dates = pd.to_datetime(sample_file["response_date"].str.strip())
    expected = dates.dt.year.astype(str) + " Q" + dates.dt.quarter.astype(str)
    assert [(g.label, g.base) for g in sample_study.results.periods.groups] == \
        sorted(expected.value_counts().items())


def test_sample_weighted_csat_top2_and_attribute_mean(sample_study, sample_frame):
    """CSAT top-2 (99 and out-of-scale 6/7 excluded) and 'Waiting time' mean with 0 = N/A excluded."""
    w = sample_frame["w"]
    csat = _valid(sample_frame["q_csat"], 1, 5)
    ok = csat.notna()
    top2 = 100 * w[ok & (csat >= 4)].sum() / w[ok].sum()
    result = sample_study.results.overall["csat"]
    assert result.n == int(ok.sum())
    assert result.top2.value == pytest.approx(top2, abs=1e-9)

    wait = _valid(sample_frame["a_wait"], 1, 5, na=(0,))
    ok = wait.notna()
    mean = (wait[ok] * w[ok]).sum() / w[ok].sum()
    attr = sample_study.results.overall["attr:Waiting time"]
    assert attr.n == int(ok.sum())
    assert attr.mean.value == pytest.approx(mean, abs=1e-12)
    # the validation report describes the file as read (duplicates included), not the window
    raw = pd.read_csv(SAMPLE / "data" / "responses.csv", dtype=str, keep_default_na=False)
    check = check_for(sample_study, "a_wait")
    assert check.not_applicable == int((raw["a_wait"].str.strip() == "0").sum())
    assert check.valid + check.blank + check.missing_code + check.not_applicable + check.invalid == len(raw)


def test_sample_nps_target_status(sample_study, sample_frame):
    """Target 35 (tolerance 10) overall; North has its own target of 25."""
    x = _valid(sample_frame["q_nps"], 0, 10)
    score, *_ = _weighted_nps(x, sample_frame["w"])
    shown = round(score)                       # the status is judged on the figure as printed
    expected = "green" if shown >= 35 else "amber" if shown >= 25 else "red"
    assert sample_study.targets.overall["nps"].status == expected
    north = sample_study.targets.for_group("Region", "North", "nps")
    assert north.target == 25
    assert evaluate_targets(sample_study.project, sample_study.results).overall["nps"].status == expected
