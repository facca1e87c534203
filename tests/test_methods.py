"""The worked examples of METHODS.md §1 and §2, reproduced to the digits METHODS states.

Every expected number below is copied from METHODS.md (or derived from its formulas by hand in
this file), never from cxreport's own output. If one of these fails, a client report shows a
figure that disagrees with the published methodology.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from cxreport.pipeline import run
from cxreport.scoring import stats
from cxreport.scoring.kpis import BaseRules, ItemSpec, compare, nps, score_item

from table_project import write_project

# --------------------------------------------------------------------------- helpers


def nps_values(promoters: int, passives: int, detractors: int) -> list[float]:
    """0–10 answers with the given numbers of promoters (10), passives (8) and detractors (3)."""
    return [10.0] * promoters + [8.0] * passives + [3.0] * detractors




def normal_two_sided_p(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2))


def hand_nps_se(p: float, d: float, n: float) -> float:
    """METHODS §1: SE = √(100² · (p + d − (p − d)²) / n)."""
    return math.sqrt(100 ** 2 * (p + d - (p - d) ** 2) / n)


# --------------------------------------------------------------------------- NPS: 291 / 476 / 395


def test_z95_is_the_methods_constant():
    """Every 95 % interval would be slightly off if z drifted from 1.959964."""
    assert stats.Z95 == 1.959964


def test_nps_example_291_476_395_score_se_and_half_width():
    """Headline NPS example: the scorecard would show a wrong NPS or a wrong ± margin."""
    score, se, low, high = stats.nps_wald(291 / 1162, 395 / 1162, 1162)
    assert score == pytest.approx(-8.950, abs=5e-4)
    assert se == pytest.approx(2.2387, abs=5e-5)
    assert (high - low) / 2 == pytest.approx(4.3877, abs=5e-5)
    assert (low + high) / 2 == pytest.approx(-8.950, abs=5e-4)


def test_nps_example_291_476_395_adjusted_wald():
    """The adjusted-Wald interval printed for NPS would not match METHODS' −8.927 [−13.308, −4.546]."""
    score, _se, low, high = stats.nps_adjusted_wald(291, 476, 395)
    assert score == pytest.approx(-8.927, abs=5e-4)
    assert low == pytest.approx(-13.308, abs=5e-4)
    assert high == pytest.approx(-4.546, abs=5e-4)


def test_nps_example_from_raw_answers_matches_the_worked_example():
    """Scoring 1,162 real 0–10 answers must give the same figures as the worked example."""
    result = nps(nps_values(291, 476, 395))
    assert result.n == 1162
    assert (result.count_hi, result.count_mid, result.count_lo) == (291, 476, 395)
    assert result.nps.value == pytest.approx(-8.950, abs=5e-4)
    assert result.nps.se == pytest.approx(2.2387, abs=5e-5)
    assert result.nps.half_width == pytest.approx(4.3877, abs=5e-5)
    assert result.nps_adjusted.value == pytest.approx(-8.927, abs=5e-4)
    assert result.nps_adjusted.low == pytest.approx(-13.308, abs=5e-4)
    assert result.nps_adjusted.high == pytest.approx(-4.546, abs=5e-4)
    assert result.headline is result.nps


def test_nps_categories_promoters_9_10_passives_7_8_detractors_0_6():
    """A 6 counted as passive or a 9 as passive would shift every NPS in the report."""
    result = nps(list(range(0, 11)))  # one answer on every point 0..10
    assert (result.count_lo, result.count_mid, result.count_hi) == (7, 2, 2)
    assert result.nps.value == pytest.approx(100 * (2 - 7) / 11)
    # passives count in n
    assert result.n == 11


# --------------------------------------------------------------------------- NPS: p = 1/2, d = 1/6


def test_nps_example_half_promoters_sixth_detractors():
    """p = 1/2, d = 1/6 gives NPS 33.33 and per-respondent variance 5/9 (−1/0/+1 scale)."""
    values = nps_values(3, 2, 1)  # p = 3/6, passives 2/6, d = 1/6
    result = nps(values)
    assert result.nps.value == pytest.approx(33.33, abs=5e-3)
    per_respondent_variance = result.nps.se ** 2 * result.n / 100 ** 2
    assert per_respondent_variance == pytest.approx(5 / 9, rel=1e-12)
    # same from the shares directly
    _score, se, _lo, _hi = stats.nps_wald(1 / 2, 1 / 6, 600)
    assert se ** 2 * 600 / 100 ** 2 == pytest.approx(5 / 9, rel=1e-12)


# --------------------------------------------------------------------------- NPS difference


def test_nps_difference_test_follows_methods_formula():
    """Significance arrows between groups: Δ = NPS₁ − NPS₂, SE = √(SE₁² + SE₂²), two-sided normal p."""
    a, b = (291, 476, 395), (330, 500, 352)
    na, nb = sum(a), sum(b)
    nps_a, nps_b = 100 * (a[0] - a[2]) / na, 100 * (b[0] - b[2]) / nb
    se_a, se_b = hand_nps_se(a[0] / na, a[2] / na, na), hand_nps_se(b[0] / nb, b[2] / nb, nb)
    delta = nps_b - nps_a
    z = delta / math.sqrt(se_a ** 2 + se_b ** 2)
    p = normal_two_sided_p(z)

    test = compare(nps(nps_values(*b)), nps(nps_values(*a)))
    assert test.diff == pytest.approx(delta, abs=1e-9)
    assert test.statistic == pytest.approx(z, abs=1e-9)
    assert test.p_value == pytest.approx(p, abs=1e-9)
    assert test.direction == 1
    # p ≈ 0.024: significant at the default α = 0.05, not at 0.01 (METHODS §2)
    assert test.significant(0.05) and not test.significant(0.01)

    direct = stats.diff_test_se(nps_b, se_b, nps_a, se_a)
    assert direct.statistic == pytest.approx(z, abs=1e-9)
    assert direct.p_value == pytest.approx(p, abs=1e-9)
    reverse = stats.diff_test_se(nps_a, se_a, nps_b, se_b)
    assert reverse.direction == -1 and reverse.p_value == pytest.approx(p, abs=1e-9)


# --------------------------------------------------------------------------- proportions


def test_wilson_12_of_40():
    """CSAT intervals: Wilson 12/40 → 0.18075 to 0.45430."""
    low, high = stats.wilson(12 / 40, 40)
    assert low == pytest.approx(0.18075, abs=5e-6)
    assert high == pytest.approx(0.45430, abs=5e-6)


def test_wilson_0_of_25_has_a_positive_upper_bound():
    """A 0 % top-2-box must still carry an interval up to 13.319 %, not [0, 0]."""
    low, high = stats.wilson(0.0, 25)
    assert low == pytest.approx(0.0, abs=1e-12)
    assert high == pytest.approx(0.13319, abs=5e-6)


def test_csat_top2_interval_is_wilson_in_percent():
    """The CSAT figure's interval (in %) must be the Wilson interval of METHODS."""
    values = [5.0] * 12 + [3.0] * 28  # 12 of 40 in the top two boxes
    result = score_item(ItemSpec.csat(), values)
    assert result.top2.value == pytest.approx(30.0)
    assert result.top2.low == pytest.approx(18.075, abs=5e-4)
    assert result.top2.high == pytest.approx(45.430, abs=5e-4)


def test_two_proportion_ztest_5_of_83_vs_12_of_99():
    """Difference of two proportions, pooled: z = −1.40783, p = 0.15918."""
    test = stats.two_proportion_ztest(5, 83, 12, 99)
    assert test.statistic == pytest.approx(-1.40783, abs=5e-6)
    assert test.p_value == pytest.approx(0.15918, abs=5e-6)
    assert test.diff == pytest.approx(5 / 83 - 12 / 99)
    assert test.direction == -1
    assert not test.significant(0.05)


def test_compare_top2_uses_the_pooled_two_proportion_test():
    """Segment arrows on CSAT use the pooled z-test: same example through ItemResults."""
    a = score_item(ItemSpec.csat(), [5.0] * 5 + [2.0] * 78)    # 5 / 83
    b = score_item(ItemSpec.csat(), [4.0] * 12 + [1.0] * 87)   # 12 / 99
    test = compare(a, b)
    assert test.statistic == pytest.approx(-1.40783, abs=5e-6)
    assert test.p_value == pytest.approx(0.15918, abs=5e-6)
    assert test.diff == pytest.approx(100 * (5 / 83 - 12 / 99))


# --------------------------------------------------------------------------- means


def test_t_interval_on_2_4_4_5_7_8():
    """Attribute means: 2, 4, 4, 5, 7, 8 → mean 5, 95 % interval 2.70080 to 7.29920."""
    values = [2, 4, 4, 5, 7, 8]
    sd = math.sqrt(sum((v - 5) ** 2 for v in values) / (len(values) - 1))
    low, high = stats.t_interval(5.0, sd, 6)
    assert low == pytest.approx(2.70080, abs=5e-6)
    assert high == pytest.approx(7.29920, abs=5e-6)

    result = score_item(ItemSpec.rating("x", "Rating", 1, 10), [float(v) for v in values])
    assert result.mean.value == pytest.approx(5.0)
    assert result.mean.low == pytest.approx(2.70080, abs=5e-6)
    assert result.mean.high == pytest.approx(7.29920, abs=5e-6)


def test_weighted_sd_with_unit_weights_is_the_sample_sd():
    """With no weighting the SD behind every mean interval is the ordinary sample SD."""
    values = np.array([2, 4, 4, 5, 7, 8], dtype=float)
    sd = stats.weighted_sd(6, values.sum(), (values ** 2).sum(), 6)
    assert sd == pytest.approx(math.sqrt(24 / 5))


def test_welch_ttest_for_two_means():
    """Difference of two means uses Welch's t (unequal variances, Welch–Satterthwaite df)."""
    from scipy import stats as sst

    a = [2, 4, 4, 5, 7, 8]
    b = [5, 6, 6, 7, 8, 9, 9, 10]
    ma, mb = sum(a) / len(a), sum(b) / len(b)
    sa = math.sqrt(sum((v - ma) ** 2 for v in a) / (len(a) - 1))
    sb = math.sqrt(sum((v - mb) ** 2 for v in b) / (len(b) - 1))
    va, vb = sa ** 2 / len(a), sb ** 2 / len(b)
    t = (ma - mb) / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    p = 2 * sst.t.sf(abs(t), df)
    test = stats.welch_ttest(ma, sa, len(a), mb, sb, len(b))
    assert test.statistic == pytest.approx(t, rel=1e-12)
    assert test.p_value == pytest.approx(p, rel=1e-9)
    assert test.diff == pytest.approx(ma - mb)


# --------------------------------------------------------------------------- weights


def kish_example_weights() -> np.ndarray:
    return np.array([1 + (i % 3) for i in range(1, 48)], dtype=float)


def test_kish_effective_n_example():
    """w = 1 + (i mod 3), i = 1..47 → n_eff = 40.4709."""
    assert stats.kish_neff(kish_example_weights()) == pytest.approx(40.4709, abs=5e-5)


def test_kish_effective_n_is_used_for_a_weighted_item():
    """A weighted figure must report n = 47 respondents but n_eff = 40.4709 for its interval."""
    w = kish_example_weights()
    values = [10.0 if i % 2 else 3.0 for i in range(1, 48)]
    result = nps(values, weights=w)
    assert result.n == 47
    assert result.n_eff == pytest.approx(40.4709, abs=5e-5)
    assert result.nps.n_eff == pytest.approx(40.4709, abs=5e-5)


def test_weighting_efficiency_of_the_kish_example(tmp_path):
    """The methodology section's weighting efficiency = n_eff / n × 100 % = 40.4709 / 47."""
    w = kish_example_weights()
    rows = [[i, 10 if i % 2 else 3, f"{w[i - 1]:g}"] for i in range(1, 48)]
    path = write_project(tmp_path / "p", {"respondent_id": "id", "weight": "w", "nps": "q_nps"},
                         ["id", "q_nps", "w"], rows)
    results = run(path).results
    assert results.base == 47
    assert results.n_eff == pytest.approx(40.4709, abs=5e-5)
    assert results.weighting_efficiency == pytest.approx(40.4709 / 47 * 100, abs=5e-4)
    assert results.weighting_efficiency == pytest.approx(86.108, abs=5e-3)


# --------------------------------------------------------------------------- CES


def test_ces_index_is_pct_6_7_minus_pct_1_3():
    """CES index: % answering 6–7 minus % answering 1–3; the mean is reported beside it."""
    values = [7, 7, 6, 6, 6, 5, 4, 3, 1, 2]  # 5 easy, 2 neutral, 3 difficult
    result = score_item(ItemSpec.ces(headline="index"), [float(v) for v in values])
    assert result.index.value == pytest.approx(50.0 - 30.0)
    assert result.share_hi == pytest.approx(50.0)
    assert result.share_mid == pytest.approx(20.0)
    assert result.share_lo == pytest.approx(30.0)
    assert result.mean.value == pytest.approx(4.7)
    assert result.headline is result.index
    assert score_item(ItemSpec.ces(), [float(v) for v in values]).headline.value == pytest.approx(4.7)


def test_ces_reverse_reflects_8_minus_x_before_scoring(tmp_path):
    """`reverse: true` (1 = very easy): answers become 8 − x, so 1 counts as 'easy' (7)."""
    raw = [1, 1, 2, 2, 2, 3, 4, 5, 7, 6]   # reflected: 7 7 6 6 6 5 4 3 1 2
    rows = [[i, v] for i, v in enumerate(raw, start=1)]
    path = write_project(tmp_path / "rev", {"respondent_id": "id",
                                            "ces": {"column": "q_ces", "reverse": True, "headline": "index"}},
                         ["id", "q_ces"], rows)
    study = run(path)
    assert sorted(study.data.values["ces"].tolist()) == sorted(float(8 - v) for v in raw)
    ces = study.results.overall["ces"]
    assert ces.mean.value == pytest.approx(4.7)
    assert ces.index.value == pytest.approx(20.0)
    assert ces.headline.value == pytest.approx(20.0)

    plain = write_project(tmp_path / "plain", {"respondent_id": "id",
                                               "ces": {"column": "q_ces", "headline": "index"}},
                          ["id", "q_ces"], rows)
    ces_plain = run(plain).results.overall["ces"]
    assert ces_plain.mean.value == pytest.approx(3.3)
    assert ces_plain.index.value == pytest.approx(20.0 - 60.0)   # 2 easy (6, 7), 6 difficult (1–3)


# --------------------------------------------------------------------------- CSAT


def test_csat_top2_on_1_to_5_is_4_and_5():
    """CSAT headline on 1–5 = % answering 4 or 5 (a proportion, not a mean); the mean is also there."""
    values = [5, 5, 4, 3, 2, 1, 4, 5]
    result = score_item(ItemSpec.csat(scale=5), [float(v) for v in values])
    assert result.top2.value == pytest.approx(100 * 5 / 8)
    assert result.headline is result.top2
    assert result.mean.value == pytest.approx(29 / 8)


def test_csat_top2_on_1_to_10_is_9_and_10(tmp_path):
    """On a 1–10 CSAT the top two boxes are 9–10; an 8 is not top-2."""
    values = [10, 9, 8, 7, 9, 1, 5, 10]
    result = score_item(ItemSpec.csat(scale=10), [float(v) for v in values])
    assert result.top2.value == pytest.approx(50.0)
    assert result.mean.value == pytest.approx(59 / 8)

    rows = [[i, v] for i, v in enumerate(values + [0, 11], start=1)]
    path = write_project(tmp_path / "p", {"respondent_id": "id", "csat": {"column": "q", "scale": 10}},
                         ["id", "q"], rows)
    study = run(path)
    csat = study.results.overall["csat"]
    assert csat.n == 8                      # 0 and 11 are outside 1–10
    assert csat.top2.value == pytest.approx(50.0)
    check = next(c for c in study.validation.columns if c.column == "q")
    assert check.out_of_scale == 2


# --------------------------------------------------------------------------- small bases


def test_small_base_defaults_are_30_and_50():
    """Default base rules: n < 30 not shown, 30 ≤ n < 50 flagged as small."""
    rules = BaseRules()
    assert (rules.suppress_below, rules.flag_below) == (30, 50)
    assert nps([10.0] * 29).nps.shown is False
    assert nps([10.0] * 30).nps.shown is True


# --------------------------------------------------------------------------- §2 significance conventions


def _two_period_project(tmp_path: Path, name: str, **extra) -> Path:
    """Q1 2026: 291/476/395; Q2 2026: 330/500/352 (Δ ≈ +7.1, p ≈ 0.024)."""
    rows = []
    i = 0
    for date, counts in (("2026-02-01", (291, 476, 395)), ("2026-05-01", (330, 500, 352))):
        for value in nps_values(*counts):
            i += 1
            rows.append([i, date, int(value)])
    return write_project(tmp_path / name, {"respondent_id": "id", "date": "date", "nps": "q_nps"},
                         ["id", "date", "q_nps"], rows, **extra)


def test_period_over_period_compares_each_period_with_the_previous_one(tmp_path):
    """Trend arrows: Q2 is tested against Q1 with the NPS difference z-test; the first period has no arrow."""
    study = run(_two_period_project(tmp_path, "default"))
    assert study.project.significance.alpha == 0.05
    periods = study.results.periods
    assert [g.label for g in periods.groups] == ["2026 Q1", "2026 Q2"]
    assert periods.groups[0].changes == {}
    change = periods.groups[1].changes["nps"]
    na, nb = 1162, 1182
    se_a = hand_nps_se(291 / na, 395 / na, na)
    se_b = hand_nps_se(330 / nb, 352 / nb, nb)
    delta = 100 * (330 - 352) / nb - 100 * (291 - 395) / na
    z = delta / math.sqrt(se_a ** 2 + se_b ** 2)
    assert change.test.diff == pytest.approx(delta, abs=1e-9)
    assert change.test.p_value == pytest.approx(normal_two_sided_p(z), abs=1e-9)
    assert change.mark == 1   # significant rise ▲ at α = 0.05


def test_alpha_0_01_removes_an_arrow_that_is_significant_at_0_05(tmp_path):
    """A project that sets α = 0.01 must not mark a p ≈ 0.024 rise."""
    study = run(_two_period_project(tmp_path, "strict", significance={"alpha": 0.01}))
    assert study.results.alpha == 0.01
    assert study.results.periods.groups[1].changes["nps"].mark == 0


def test_segments_are_tested_against_the_rest_of_the_sample(tmp_path):
    """Segment arrows compare a segment with everyone else (complement), not with the total."""
    rows = []
    i = 0
    for region, counts in (("North", (291, 476, 395)), ("South", (200, 300, 100)), ("West", (130, 200, 252))):
        for value in nps_values(*counts):
            i += 1
            rows.append([i, region, int(value)])
    study = run(write_project(tmp_path / "seg", {"respondent_id": "id", "nps": "q_nps",
                                                  "segments": {"Region": "region"}},
                              ["id", "region", "q_nps"], rows))
    north = next(g for g in study.results.segments[0].groups if g.label == "North")
    # rest of sample = South + West
    rest = (200 + 130, 300 + 200, 100 + 252)
    nr = sum(rest)
    se_n = hand_nps_se(291 / 1162, 395 / 1162, 1162)
    se_r = hand_nps_se(rest[0] / nr, rest[2] / nr, nr)
    delta = 100 * (291 - 395) / 1162 - 100 * (rest[0] - rest[2]) / nr
    z = delta / math.sqrt(se_n ** 2 + se_r ** 2)
    change = north.changes["nps"]
    assert change.test.diff == pytest.approx(delta, abs=1e-9)
    assert change.test.statistic == pytest.approx(z, abs=1e-9)
    assert normal_two_sided_p(z) < 0.05          # p ≈ 0.024 by hand
    assert change.test.p_value == pytest.approx(normal_two_sided_p(z), abs=1e-9)
    assert change.mark == -1
    assert study.results.segments[0].reference == "rest of sample"


def test_a_suppressed_base_is_never_marked(tmp_path):
    """A segment with n < 30 gets no ▲/▼ even when its difference would be huge."""
    rows = [[i, "Big", 3] for i in range(1, 201)] + [[200 + i, "Tiny", 10] for i in range(1, 21)]
    study = run(write_project(tmp_path / "sup", {"respondent_id": "id", "nps": "q_nps",
                                                  "segments": {"Region": "region"}},
                              ["id", "region", "q_nps"], rows))
    groups = {g.label: g for g in study.results.segments[0].groups}
    assert groups["Tiny"].items["nps"].base == "suppressed"
    assert "nps" not in groups["Tiny"].changes
    # the rest-of-sample for "Big" is the suppressed "Tiny": no test either
    assert "nps" not in groups["Big"].changes
