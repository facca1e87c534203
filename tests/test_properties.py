"""Property-based tests (hypothesis) of the scoring invariants METHODS.md implies.

Each property runs the real scoring functions on generated answers, weights and visits:
NPS stays within ±100 (weighted or not) with ordered intervals on the scale; adding a
promoter never lowers NPS; an N/A answer leaves a visit scored on the ratio of its other
items; weights of 1 give the textbook unweighted figures; scaling every weight changes no
estimate; Kish n_eff ≤ n; segment bases add up to the total; shuffling rows changes
nothing; the NPS of two samples pooled lies between theirs; a distribution adds up to 100 %.

Examples are derandomised and no example database is kept, so a run is reproducible (CI
and a laptop try the same examples); the profile is registered here and used only here.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats as sp_stats

from shop_helpers import scale, section, write_programme, yes_no

from cxreport.periods import Period
from cxreport.scoring import kpis, stats
from cxreport.scoring.kpis import BaseRules, ItemSpec, score_item
from cxreport.scoring.survey import score_survey
from cxreport.validate import Grouping, SurveyData, ValidationReport

settings.register_profile("cxreport-properties", derandomize=True, database=None, deadline=None,
                          print_blob=False, suppress_health_check=[HealthCheck.too_slow])
PROFILE = settings.get_profile("cxreport-properties")


def examples(n: int) -> settings:
    return settings(PROFILE, max_examples=n)


#: Every kind of item, on the scales a project can configure.
SPECS = [ItemSpec.nps(), ItemSpec.csat(scale=5), ItemSpec.csat(scale=10), ItemSpec.ces(),
         ItemSpec.ces(headline="index"), ItemSpec.rating("attr:x", "X", 1, 5), ItemSpec.rating("attr:y", "Y", 0, 10)]
RULES = BaseRules(suppress_below=0, flag_below=0)   # properties hold whatever the base

weights_st = st.floats(min_value=0.01, max_value=50.0, allow_nan=False, allow_infinity=False)
#: Weights of very different sizes, as raking produces at the extremes.
wide_weights_st = st.floats(min_value=1e-3, max_value=1e3, allow_nan=False, allow_infinity=False)


@st.composite
def answers(draw, low: int = 0, high: int = 10, min_size: int = 1, max_size: int = 120, weighted: bool | None = None,
            weight=weights_st):
    """(values, weights or None): valid answers on [low, high] and, maybe, positive weights."""
    values = draw(st.lists(st.integers(low, high), min_size=min_size, max_size=max_size))
    if weighted is None:
        weighted = draw(st.booleans())
    w = np.array(draw(st.lists(weight, min_size=len(values), max_size=len(values)))) if weighted else None
    return np.array(values, dtype=float), w


@st.composite
def spec_answers(draw, weighted: bool | None = None, min_size: int = 1):
    spec = draw(st.sampled_from(SPECS))
    values, w = draw(answers(spec.low, spec.high, min_size=min_size, weighted=weighted))
    return spec, values, w


def estimates(result) -> dict[str, kpis.Estimate]:
    return {name: getattr(result, name) for name in ("mean", "top2", "nps", "nps_adjusted", "index")
            if getattr(result, name) is not None}


def same(a: float, b: float, rel: float = 1e-9, abs_: float = 1e-9) -> bool:
    """Equal within floating-point noise; NaN equals NaN."""
    if a is None or b is None:
        return a is b
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def assert_same_estimate(a: kpis.Estimate, b: kpis.Estimate, what: str, rel: float = 1e-9) -> None:
    for field in ("value", "low", "high", "se", "n_eff", "share", "sd"):
        x, y = getattr(a, field), getattr(b, field)
        # A spread computed as Σwx²/Σw − mean² keeps ~1e-8 of rounding where it should be 0.
        assert same(x, y, rel, 1e-6 if field in ("se", "sd", "low", "high") else 1e-9), \
            f"{what}.{field}: {x!r} != {y!r}"
    assert a.n == b.n and a.base == b.base, what


# --------------------------------------------------------------------------- cases the properties found


def test_nps_interval_ends_at_100():
    """29 promoters and a passive: Wald 96.7 ± 6.4 would reach 103.1 (docs/methods.md)."""
    r = kpis.nps([10] * 29 + [8], None, RULES)
    assert r.nps.value == pytest.approx(96.6667, abs=1e-4)
    assert r.nps.low == pytest.approx(96.6667 - stats.Z95 * r.nps.se, abs=1e-4)
    assert r.nps.high == 100.0 and r.nps_adjusted.high == 100.0
    two_detractors = kpis.nps([0, 0], None, RULES)
    assert two_detractors.nps_adjusted.low == -100.0      # adjusted Wald would give −104.4
    assert two_detractors.nps_adjusted.high == pytest.approx(24.41, abs=0.01)


def test_ces_index_interval_ends_at_100():
    r = score_item(ItemSpec.ces(headline="index"), [7] * 29 + [5], None, RULES)
    assert r.index.high == 100.0 and r.index.low < r.index.value < 100.0


def test_mean_interval_ends_at_the_scale():
    """29 answers of 5 and one 4 on 1–5: the t interval 4.90 to 5.04 ends at 5."""
    r = score_item(ItemSpec.rating("attr:x", "X", 1, 5), [5] * 29 + [4], None, RULES)
    assert r.mean.high == 5.0 and isinstance(r.mean.high, float)
    assert r.mean.low == pytest.approx(4.8985, abs=1e-4)


def test_a_weighted_group_of_detractors_scores_exactly_minus_100():
    r = kpis.nps([3, 0, 0, 2], [1, 0.6, 0.6, 126.1], RULES)
    assert r.nps.value == -100.0 and r.nps.low == r.nps.high == -100.0
    assert r.share_lo == 100.0


def test_weighted_figures_of_identical_answers_stay_on_the_scale():
    assert score_item(ItemSpec.ces(), [7, 7], [0.01, 0.01], RULES).mean.value == 7.0
    csat = score_item(ItemSpec.csat(), [1, 1], [1.5, 14.25], RULES).top2
    assert csat.value == 0.0 and csat.low == 0.0           # not 5.6e-15 above the figure
    assert stats.wilson(1.0, 3.7)[1] == 1.0


def test_identical_weighted_answers_have_no_spread():
    """3 and 3 weighted 0.037 and 0.00525: Σwx²/Σw − x̄² left 1.8e-15, which a t quantile on
    n_eff = 1.28 made into an interval 2.9989 to 3.0011; with weights 37 and 5.25 it was 0."""
    for scale_by in (1.0, 0.001):
        mean = score_item(ItemSpec.nps(), [3, 3], [37 * scale_by, 5.25 * scale_by], RULES).mean
        assert mean.sd == 0.0 and mean.low == mean.high == mean.value == pytest.approx(3.0, abs=1e-12)
    assert kpis.nps([0], [41.28700975146371], RULES).distribution[0] == (0, 1, 100.0)


# --------------------------------------------------------------------------- NPS range and intervals


@examples(300)
@given(answers(weighted=True, weight=wide_weights_st))
def test_weighted_nps_is_within_100_points_with_ordered_intervals_on_the_scale(data):
    values, w = data
    r = kpis.nps(values, w, RULES)
    for est in (r.nps, r.nps_adjusted):
        assert -100.0 <= est.value <= 100.0, est
        assert -100.0 <= est.low <= est.value <= est.high <= 100.0, est
    assert r.nps.se >= 0


@examples(200)
@given(answers(weighted=False, max_size=200))
def test_unweighted_nps_is_within_100_points_with_ordered_intervals_on_the_scale(data):
    values, _w = data
    r = kpis.nps(values, None, RULES)
    for est in (r.nps, r.nps_adjusted):
        assert -100.0 <= est.low <= est.value <= est.high <= 100.0, est


@examples(300)
@given(spec_answers(min_size=2))
def test_every_figure_and_interval_stays_on_its_scale(data):
    """Percentages in 0–100, NPS and the CES index in ±100, means between the scale's ends;
    every interval contains its figure and ends on the scale."""
    spec, values, w = data
    r = score_item(spec, values, w, RULES)
    ranges = {"mean": (spec.low, spec.high), "top2": (0.0, 100.0), "nps": (-100.0, 100.0),
              "nps_adjusted": (-100.0, 100.0), "index": (-100.0, 100.0)}
    for name, est in estimates(r).items():
        lo, hi = ranges[name]
        assert lo <= est.value <= hi, (name, est)
        if math.isnan(est.low):          # a mean of identical answers from one weighted respondent
            continue
        assert lo <= est.low <= est.value <= est.high <= hi, (name, est)


# --------------------------------------------------------------------------- monotonicity


@examples(200)
@given(answers(), st.sampled_from([9, 10]), weights_st)
def test_adding_a_promoter_never_lowers_nps(data, promoter, weight):
    values, w = data
    before = kpis.nps(values, w, RULES).nps.value
    more_w = None if w is None else np.append(w, weight)
    after = kpis.nps(np.append(values, promoter), more_w, RULES).nps.value
    assert after >= before - 1e-9, (before, after)


@examples(150)
@given(answers(), st.integers(0, 6), weights_st)
def test_adding_a_detractor_never_raises_nps(data, detractor, weight):
    values, w = data
    before = kpis.nps(values, w, RULES).nps.value
    more_w = None if w is None else np.append(w, weight)
    after = kpis.nps(np.append(values, detractor), more_w, RULES).nps.value
    assert after <= before + 1e-9, (before, after)


@examples(200)
@given(answers(), answers())
def test_nps_of_two_samples_pooled_lies_between_their_nps(a, b):
    (xa, wa), (xb, wb) = a, b
    if (wa is None) != (wb is None):        # pool like with like: both weighted or neither
        wa = np.ones(len(xa)) if wa is None else wa
        wb = np.ones(len(xb)) if wb is None else wb
    na, nb = kpis.nps(xa, wa, RULES).nps.value, kpis.nps(xb, wb, RULES).nps.value
    pooled_w = None if wa is None else np.concatenate([wa, wb])
    pooled = kpis.nps(np.concatenate([xa, xb]), pooled_w, RULES).nps.value
    assert min(na, nb) - 1e-9 <= pooled <= max(na, nb) + 1e-9, (na, nb, pooled)


# --------------------------------------------------------------------------- weights


@examples(200)
@given(spec_answers(weighted=False, min_size=2))
def test_weights_of_one_give_the_unweighted_textbook_figures(data):
    """With every weight 1 the figures are the plain ones: n_eff = n, the NPS, top-2-box and
    mean of the answers, the sample SD and the t interval on n − 1 degrees of freedom."""
    spec, values, _w = data
    ones = score_item(spec, values, np.ones(len(values)), RULES)
    plain = score_item(spec, values, None, RULES)
    for name, est in estimates(ones).items():
        assert_same_estimate(est, getattr(plain, name), name)

    n = len(values)
    assert ones.n == n and ones.n_eff == pytest.approx(n, rel=1e-12)
    hi_a, hi_b = spec.hi_range
    lo_a, lo_b = spec.lo_range
    p = float(np.mean((values >= hi_a) & (values <= hi_b)))
    d = float(np.mean((values >= lo_a) & (values <= lo_b)))
    assert ones.share_hi == pytest.approx(100 * p, abs=1e-9)
    assert ones.share_lo == pytest.approx(100 * d, abs=1e-9)
    assert ones.mean.value == pytest.approx(float(np.mean(values)), rel=1e-12, abs=1e-12)
    sd = float(np.std(values, ddof=1))
    assert ones.mean.sd == pytest.approx(sd, rel=1e-9, abs=1e-12)
    if sd > 0:
        t_low, t_high = sp_stats.t.interval(0.95, n - 1, loc=float(np.mean(values)), scale=sd / math.sqrt(n))
        assert ones.mean.low == pytest.approx(max(t_low, spec.low), rel=1e-7, abs=1e-9)
        assert ones.mean.high == pytest.approx(min(t_high, spec.high), rel=1e-7, abs=1e-9)
    if spec.kind == "nps" or spec.kind == "ces":
        est = ones.nps if spec.kind == "nps" else ones.index
        assert est.value == pytest.approx(100 * (p - d), abs=1e-9)
        assert est.se == pytest.approx(100 * math.sqrt(max(p + d - (p - d) ** 2, 0) / n), rel=1e-9, abs=1e-12)
    if spec.kind in ("csat", "rating"):
        assert ones.top2.value == pytest.approx(100 * p, abs=1e-9)


@examples(200)
@given(spec_answers(weighted=True), st.floats(min_value=1e-3, max_value=1e3))
def test_scaling_every_weight_changes_no_estimate(data, factor):
    spec, values, w = data
    a = score_item(spec, values, w, RULES)
    b = score_item(spec, values, w * factor, RULES)
    for name, est in estimates(a).items():
        assert_same_estimate(est, getattr(b, name), name, rel=1e-7)
    assert same(a.share_hi, b.share_hi, 1e-9) and same(a.share_lo, b.share_lo, 1e-9)
    assert b.weighted_base == pytest.approx(a.weighted_base * factor, rel=1e-9)


@examples(200)
@given(st.lists(wide_weights_st, min_size=1, max_size=200))
def test_kish_effective_n_is_at_most_n_and_at_least_one(weights):
    w = np.array(weights)
    n_eff = stats.kish_neff(w)
    assert 1.0 - 1e-9 <= n_eff <= len(w) * (1 + 1e-12), (n_eff, len(w))
    assert stats.kish_neff(np.full(len(w), w[0])) == pytest.approx(len(w), rel=1e-12)


@examples(150)
@given(answers(low=0, high=10, weighted=False, max_size=40), st.data())
def test_integer_weights_give_the_figures_of_repeated_rows(data, draw):
    """A weight of k counts a respondent k times in every share and mean (not in n_eff)."""
    values, _w = data
    k = np.array(draw.draw(st.lists(st.integers(1, 4), min_size=len(values), max_size=len(values))), dtype=float)
    weighted = kpis.nps(values, k, RULES)
    repeated = kpis.nps(np.repeat(values, k.astype(int)), None, RULES)
    assert weighted.nps.value == pytest.approx(repeated.nps.value, abs=1e-9)
    assert weighted.mean.value == pytest.approx(repeated.mean.value, rel=1e-12)
    assert weighted.share_mid == pytest.approx(repeated.share_mid, abs=1e-9)


# --------------------------------------------------------------------------- distributions


@examples(200)
@given(spec_answers())
def test_distribution_percentages_add_up_to_100(data):
    spec, values, w = data
    r = score_item(spec, values, w, RULES)
    pcts = [p for _v, _c, p in r.distribution]
    assert len(pcts) == spec.high - spec.low + 1
    assert sum(pcts) == pytest.approx(100.0, abs=1e-9)
    assert all(0.0 <= p <= 100.0 for p in pcts)
    # As printed (one decimal) they are off by at most the rounding of each point.
    assert abs(sum(round(p, 1) for p in pcts) - 100.0) <= 0.05 * len(pcts) + 1e-9
    assert sum(c for _v, c, _p in r.distribution) == len(values)
    assert r.share_hi + r.share_mid + r.share_lo == pytest.approx(100.0, abs=1e-9)
    assert r.count_hi + r.count_mid + r.count_lo == len(values)
    if spec.kind == "nps":
        assert r.nps.value == pytest.approx(r.share_hi - r.share_lo, abs=1e-9)


# --------------------------------------------------------------------------- whole surveys


@st.composite
def surveys(draw, min_rows: int = 1, max_rows: int = 80):
    """SurveyData with an NPS and a CSAT item (some answers missing), weights, two segments
    (every row in a group, as validation guarantees with 'Not stated') and periods."""
    n = draw(st.integers(min_rows, max_rows))
    nps = draw(st.lists(st.one_of(st.integers(0, 10), st.none()), min_size=n, max_size=n))
    csat = draw(st.lists(st.one_of(st.integers(1, 5), st.none()), min_size=n, max_size=n))
    weighted = draw(st.booleans())
    w = np.array(draw(st.lists(weights_st, min_size=n, max_size=n))) if weighted else np.ones(n)
    segments = []
    for name, size in (("Region", draw(st.integers(1, 4))), ("Channel", draw(st.integers(1, 3)))):
        codes = np.array(draw(st.lists(st.integers(0, size - 1), min_size=n, max_size=n)), dtype=np.int64)
        segments.append(Grouping(name, name.lower(), codes, [f"{name} {k}" for k in range(size)]))
    n_periods = draw(st.integers(1, 5))
    period_codes = np.array(draw(st.lists(st.integers(0, n_periods - 1), min_size=n, max_size=n)), dtype=np.int64)
    # Quarters 2025 Q1… and 2026 Q1, so that the fifth period has a year-on-year test too.
    keys = [202501, 202502, 202503, 202504, 202601][:n_periods]
    periods = [Period(k, f"{k // 100} Q{k % 100}", pd.Timestamp(k // 100, 3 * (k % 100) - 2, 1),
                      pd.Timestamp(k // 100, 3 * (k % 100), 28)) for k in keys]
    values = {"nps": np.array([np.nan if v is None else v for v in nps], dtype=float),
              "csat": np.array([np.nan if v is None else v for v in csat], dtype=float)}
    return SurveyData([ItemSpec.nps(), ItemSpec.csat()], values, w, weighted, segments, period_codes, periods,
                      pd.DataFrame({"row": [], "text": []}), None, ValidationReport("generated.csv"))


def permuted(data: SurveyData, order: np.ndarray) -> SurveyData:
    return SurveyData(data.items, {k: v[order] for k, v in data.values.items()}, data.weights[order], data.weighted,
                      [Grouping(s.name, s.column, s.codes[order], s.labels) for s in data.segments],
                      data.period_codes[order], data.periods, data.comments, None, data.report)


@examples(40)
@given(surveys())
def test_segment_and_period_bases_add_up_to_the_total(data):
    res = score_survey(data, RULES)
    for breakdown in res.segments + [res.periods]:
        groups = breakdown.groups
        assert sum(g.base for g in groups) == res.base, breakdown.name
        assert sum(g.weighted_base for g in groups) == pytest.approx(res.weighted_base, rel=1e-9)
        for key, overall in res.overall.items():
            assert sum(g.items[key].n for g in groups) == overall.n, (breakdown.name, key)
            assert sum(g.items[key].count_hi for g in groups) == overall.count_hi
            assert sum(g.items[key].count_lo for g in groups) == overall.count_lo
            assert sum(g.items[key].weighted_base for g in groups) == pytest.approx(overall.weighted_base, rel=1e-9)


def _flatten(res) -> dict:
    """Every number of a SurveyResults, keyed by where it is."""
    out: dict = {"base": res.base, "weighted_base": res.weighted_base, "n_eff": res.n_eff}

    def items(prefix, group_items):
        for key, r in group_items.items():
            out[(prefix, key, "shares")] = (r.share_hi, r.share_mid, r.share_lo, r.count_hi, r.count_lo, r.n)
            for name, est in estimates(r).items():
                out[(prefix, key, name)] = (est.value, est.low, est.high, est.se, est.n_eff)

    items("overall", res.overall)
    for b in res.segments + [res.periods]:
        for g in b.groups:
            out[(b.name, g.label, "base")] = (g.base, g.weighted_base)
            items((b.name, g.label), g.items)
            for key, change in list(g.changes.items()) + [(("yoy", k), c) for k, c in g.year_on_year.items()]:
                out[(b.name, g.label, key, "change")] = (change.test.diff, change.test.statistic, change.test.p_value)
                out[(b.name, g.label, key, "mark")] = change.mark
    return out


@examples(30)
@given(surveys(min_rows=2), st.randoms(use_true_random=False))
def test_shuffling_rows_changes_nothing(data, rnd):
    order = np.arange(data.n)
    rnd.shuffle(order)
    a, b = _flatten(score_survey(data, RULES)), _flatten(score_survey(permuted(data, order), RULES))
    assert a.keys() == b.keys()
    for key, x in a.items():
        y = b[key]
        xs, ys = (x, y) if isinstance(x, tuple) else ((x,), (y,))
        assert all(same(float(p), float(q), 1e-9) for p, q in zip(xs, ys)), (key, x, y)


# --------------------------------------------------------------------------- mystery shopping: N/A


#: Items of different weights that all allow N/A, in two sections.
SHOP_SECTIONS = [
    section("s1", [yes_no("Y1", na_allowed=True), yes_no("Y2", points=2, na_allowed=True),
                   scale("K1", [("Good", 3), ("Fair", 1), ("Poor", 0)], na_allowed=True)], weight=4),
    section("s2", [yes_no("Y3", points=0.5, na_allowed=True),
                   scale("K2", [("Best", 5), ("Middle", 2.5), ("Worst", 0)], na_allowed=True)], weight=9),
]
SHOP_IDS = ["Y1", "Y2", "K1", "Y3", "K2"]
SHOP_CHOICES = {"Y1": ["yes", "no"], "Y2": ["yes", "no"], "Y3": ["yes", "no"],
                "K1": ["Good", "Fair", "Poor"], "K2": ["Best", "Middle", "Worst"]}


class _Programmes(dict):
    def __repr__(self) -> str:          # hypothesis prints its arguments when a property fails
        return "<the pooled and the section-weighted test programme>"


@pytest.fixture(scope="module")
def shop_programmes(tmp_path_factory):
    from cxreport.shop.loadprog import load_programme

    root = tmp_path_factory.mktemp("props-shop")
    pooled = load_programme(write_programme(root / "pooled", SHOP_SECTIONS))
    weighted = load_programme(write_programme(root / "weighted", SHOP_SECTIONS, scoring={"method": "section_weighted"}))
    return _Programmes(pooled=pooled, section_weighted=weighted)


def _score(prog, answers: list[dict]):
    from cxreport.shop.scoring import score_visits

    frame = pd.DataFrame([{i: a.get(i, "") for i in SHOP_IDS} for a in answers], columns=SHOP_IDS)
    return score_visits(prog, frame, ["branch"] * len(answers), [f"V{k}" for k in range(len(answers))])


@st.composite
def shop_visits(draw):
    answers = {i: draw(st.sampled_from(SHOP_CHOICES[i] + ["N/A"])) for i in SHOP_IDS}
    return answers, draw(st.sampled_from(SHOP_IDS))


def _ratio(earned: np.ndarray, possible: np.ndarray, keep: np.ndarray) -> float:
    total = possible[keep].sum()
    return 100.0 * earned[keep].sum() / total if total > 0 else math.nan


@examples(80)
@given(shop_visits())
def test_na_answer_leaves_the_ratio_of_the_other_items(shop_programmes, visit):
    """Marking one item N/A scores the visit (and its section) on the other items alone:
    Σ earned / Σ possible over them, pooled or with section weights; an emptied section drops out."""
    answers, na_item = visit
    j = SHOP_IDS.index(na_item)
    with_na = dict(answers, **{na_item: "N/A"})
    pooled = shop_programmes["pooled"]
    before, after = _score(pooled, [answers]), _score(pooled, [with_na])
    others = np.array([k != j for k in range(len(SHOP_IDS))])
    assert after.na[0, j] and after.earned[0, j] == 0 and after.possible[0, j] == 0
    # The other items score exactly as before.
    assert np.array_equal(after.earned[0, others], before.earned[0, others])
    assert np.array_equal(after.possible[0, others], before.possible[0, others])
    expected = _ratio(before.earned[0], before.possible[0], others)
    assert same(after.raw_score[0], expected), (answers, na_item, after.raw_score[0], expected)

    weighted = shop_programmes["section_weighted"]
    w_before, w_after = _score(weighted, [answers]), _score(weighted, [with_na])
    section_of = np.array([0, 0, 0, 1, 1])
    s = section_of[j]
    in_section = (section_of == s) & others
    expected_section = _ratio(w_before.earned[0], w_before.possible[0], in_section)
    assert same(w_after.section_score[0, s], expected_section), (answers, na_item)
    other_section = 1 - s
    assert same(w_after.section_score[0, other_section], w_before.section_score[0, other_section])
    weights = np.array([4.0, 9.0])
    scores = w_after.section_score[0]
    has = ~np.isnan(scores)
    expected_visit = float((weights[has] * scores[has]).sum() / weights[has].sum()) if has.any() else math.nan
    assert same(w_after.raw_score[0], expected_visit), (answers, na_item)
