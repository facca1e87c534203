"""Customer value (issue 16, item 6): RFM scores, segments and value tier, the join of a
customer file to the survey, NPS/CSAT by value segment, satisfied-but-not-loyal customers
and churn by NPS group.

RFM reproduces the worked example of METHODS.md §12; everything else is checked against an
independent calculation in the test (scipy ranks and Wilson intervals, pandas group-bys,
hand-written formulas), and satisfied-but-not-loyal on the real event survey in
../shared/realdata.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from cxreport.errors import DataError
from cxreport.load.customers import BAD_AMOUNT, BAD_DATE, BLANK_ID, CustomerColumns, read_customers
from cxreport.scoring import value as v
from cxreport.scoring.kpis import BaseRules

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"

DAYS = [5, 40, 12, 90, 3, 60, 25, 8, 150, 30]
PURCHASES = [12, 2, 7, 1, 15, 3, 5, 9, 1, 4]
SPEND = [820, 1200, 410, 60, 1500, 150, 300, 640, 45, 210]
IDS = [f"C{i}" for i in range(1, 11)]
NO_SUPPRESS = BaseRules(suppress_below=1, flag_below=2)


def ref_scores(values, higher_is_better=True):
    """Independent route: scipy's ordinal ranks (ties in order of appearance), ceil(5·rank/n)."""
    x = np.asarray(values, dtype=float)
    rank = sps.rankdata(x if higher_is_better else -x, method="ordinal")
    return np.array([math.ceil(5 * r / len(x)) for r in rank])


def wilson_ref(k, n):
    # scipy uses the exact normal quantile; METHODS fixes z = 1.959964 (a 1e-9 difference)
    ci = sps.binomtest(int(k), int(n)).proportion_ci(confidence_level=0.95, method="wilson")
    return ci.low, ci.high


# --------------------------------------------------------------------------- RFM scores


def test_worked_example_methods_12():
    r = v.rfm_from_fields(IDS, DAYS, PURCHASES, SPEND)
    assert r.r.tolist() == [5, 2, 4, 1, 5, 2, 3, 4, 1, 3]
    assert r.f.tolist() == [5, 2, 4, 1, 5, 2, 3, 4, 1, 3]
    assert r.m.tolist() == [4, 5, 3, 1, 5, 2, 3, 4, 1, 2]
    assert r.rfm_code().tolist()[:2] == ["554", "225"]


def test_ties_broken_by_file_order():
    # Equal values: the earlier one ranks lower. Two equal frequencies of n = 2 → ranks 1, 2
    # → scores ceil(2.5) = 3 and 5; the same for recency (days descending).
    assert v.quintile_scores([4, 4]).tolist() == [3, 5]
    assert v.quintile_scores([7, 7], higher_is_better=False).tolist() == [3, 5]
    # METHODS example: purchases 1 and 1 (customers 4 and 9) both score 1; spend is unique.
    assert v.quintile_scores(PURCHASES).tolist() == ref_scores(PURCHASES).tolist()


@pytest.mark.parametrize("n", [1, 2, 3, 7, 10, 11, 500, 1001])
def test_scores_match_scipy_ranks_with_ties(n):
    rng = np.random.default_rng(n)
    x = rng.integers(0, 6, n)           # many ties
    # small whole numbers (days, counts: ranked by a radix sort), large ones and fractions
    for values in (x, x * 40_000 - 3, x + 0.25 * rng.integers(0, 2, n)):
        assert v.quintile_scores(values).tolist() == ref_scores(values).tolist()
        assert v.quintile_scores(values, higher_is_better=False).tolist() == ref_scores(values, False).tolist()
    if n % 5 == 0:                      # quintiles: a fifth of the customers on each score
        assert np.bincount(v.quintile_scores(x), minlength=6)[1:].tolist() == [n // 5] * 5


def _segment_by_rules(r, f, m):
    """The rfm package's rule (R/rfm-segment.R): first box in the documented order wins."""
    names = ["Champions", "Potential Loyalist", "Loyal Customers", "Promising", "New Customers", "Can't Lose Them",
             "At Risk", "Need Attention", "About To Sleep", "Lost"]
    r_lo, r_hi = [5, 3, 2, 3, 4, 1, 1, 1, 2, 1], [5, 5, 4, 4, 5, 2, 2, 3, 3, 1]
    f_lo, f_hi = [5, 3, 2, 1, 1, 3, 2, 3, 1, 1], [5, 5, 4, 3, 3, 4, 5, 5, 3, 5]
    m_lo, m_hi = [5, 2, 2, 3, 1, 4, 4, 3, 1, 1], [5, 5, 4, 5, 5, 5, 5, 5, 4, 5]
    for i, name in enumerate(names):
        if r_lo[i] <= r <= r_hi[i] and f_lo[i] <= f <= f_hi[i] and m_lo[i] <= m <= m_hi[i]:
            return name
    return "Others"


def test_segments_follow_the_rfm_package_rules_on_every_cell():
    cells = [(r, f, m) for r in range(1, 6) for f in range(1, 6) for m in range(1, 6)]
    got = v.segment_codes(*np.array(cells).T)
    assert [v.SEGMENT_NAMES[c] for c in got] == [_segment_by_rules(*c) for c in cells]
    assert v.segment_of(5, 5, 5) == "Champions" and v.segment_of(1, 1, 1) == "Lost"
    assert v.segment_of(1, 4, 5) == "Can't Lose Them" and v.segment_of(2, 5, 5) == "At Risk"
    # every named segment is reachable
    assert set(v.SEGMENT_NAMES) - {v.SEGMENT_NAMES[c] for c in got} == set()


def test_worked_example_segments_and_value_tier():
    r = v.rfm_from_fields(IDS, DAYS, PURCHASES, SPEND)
    names = r.segment_names().tolist()
    assert names == [_segment_by_rules(a, b, c) for a, b, c in zip(r.r, r.f, r.m)]
    # Top 20 % of 10 customers = the 2 highest spenders (1500 and 1200) = M 5.
    assert r.tier.customers == 2
    assert r.top_value.tolist() == (r.m == 5).tolist()
    assert r.tier.value == 2700 and r.tier.total_value == sum(SPEND)
    assert r.tier.value_share == pytest.approx(2700 / 5335, abs=1e-12)
    assert r.tier.threshold == 1200
    assert r.tier_labels().tolist().count("top 20 %") == 2
    summary = {s.name: s for s in r.segments}
    frame = r.frame()
    for name, group in frame.groupby("segment", observed=True):
        assert summary[name].customers == len(group)
        assert summary[name].value == pytest.approx(group["monetary"].sum())
    assert sum(s.customers for s in r.segments) == 10
    assert sum(s.value_share for s in r.segments) == pytest.approx(1.0)


def test_value_tier_rounds_up_and_follows_ties():
    # 7 customers: ceil(1.4) = 2; equal top spend 100, 100: both in.
    r = v.rfm_from_fields(list("abcdefg"), [1] * 7, [1] * 7, [5, 100, 3, 100, 1, 2, 4])
    assert r.tier.customers == 2
    assert r.customer_id[r.top_value].tolist() == ["b", "d"]
    # three tied at the top, one place: the later in the file (higher rank) is in
    r = v.rfm_from_fields(list("abcde"), [1] * 5, [1] * 5, [9, 9, 9, 1, 2])
    assert r.customer_id[r.top_value].tolist() == ["c"]
    ref = pd.Series([9, 9, 9, 1, 2]).rank(method="first")
    assert r.m.tolist() == [math.ceil(5 * k / 5) for k in ref]


def test_fields_errors_name_the_problem():
    with pytest.raises(DataError, match=r"'C1' on rows 1, 3"):
        v.rfm_from_fields(["C1", "C2", "C1"], [1, 2, 3], [1, 1, 1], [1, 1, 1])
    with pytest.raises(DataError, match=r"recency \(days\).*'b'"):
        v.rfm_from_fields(["a", "b"], [1, -2], [1, 1], [1, 1])
    with pytest.raises(DataError, match=r"frequency.*'a'"):
        v.rfm_from_fields(["a", "b"], [1, 2], [np.nan, 1], [1, 1])
    with pytest.raises(DataError, match="blank customer id"):
        v.rfm_from_fields(["a", " "], [1, 2], [1, 1], [1, 1])
    with pytest.raises(DataError, match="3 values for 2 customers"):
        v.rfm_from_fields(["a", "b"], [1, 2], [1, 1, 1], [1, 1])


def _transactions(seed=0, n=400, customers=60):
    rng = np.random.default_rng(seed)
    ids = np.array([f"K{k:03d}" for k in rng.integers(0, customers, n)], dtype=object)
    dates = np.datetime64("2026-01-01") + rng.integers(0, 365, n).astype("timedelta64[D]")
    amounts = np.round(rng.gamma(2.0, 40.0, n), 2)
    return ids, dates, amounts


def test_transactions_match_a_pandas_groupby():
    ids, dates, amounts = _transactions()
    r = v.rfm_from_transactions(ids, dates, amounts)
    df = pd.DataFrame({"id": ids, "date": dates, "amount": amounts})
    g = df.groupby("id", sort=False).agg(last=("date", "max"), n=("amount", "size"), spend=("amount", "sum"))
    as_of = df["date"].max()
    assert r.as_of == as_of
    assert r.customer_id.tolist() == list(pd.unique(ids))            # order of first transaction
    assert r.recency_days.tolist() == (as_of - g["last"]).dt.days.tolist()
    assert r.frequency.tolist() == g["n"].tolist()
    assert np.allclose(r.monetary, g["spend"].to_numpy())
    assert r.r.tolist() == ref_scores((as_of - g["last"]).dt.days, higher_is_better=False).tolist()
    assert r.f.tolist() == ref_scores(g["n"]).tolist()
    assert r.m.tolist() == ref_scores(g["spend"]).tolist()
    assert r.transactions_used == 400 and r.transactions_outside == 0


def test_transactions_window_and_refunds():
    ids = ["A", "A", "B", "B", "C", "D", "D"]
    dates = np.array(["2025-12-01", "2026-03-01", "2026-02-20", "2026-03-05", "2026-03-10", "2026-03-01",
                      "2026-03-31"], dtype="datetime64[D]")
    amounts = [50.0, 20.0, 30.0, -10.0, -5.0, 40.0, 60.0]
    # as_of 30 March, 90-day window: 1 Jan–30 Mar. A's December purchase and D's 31 March one are outside.
    r = v.rfm_from_transactions(ids, dates, amounts, as_of="2026-03-30", window_days=89)
    assert r.window_start == pd.Timestamp("2026-01-01") and r.as_of == pd.Timestamp("2026-03-30")
    assert r.transactions_outside == 2 and r.transactions_used == 5 and r.refunds == 2
    assert r.no_purchase == ["C"]                       # only a refund in the window: not scored
    got = dict(zip(r.customer_id, zip(r.recency_days, r.frequency, r.monetary)))
    assert got == {"A": (29.0, 1.0, 20.0), "B": (38.0, 1.0, 20.0), "D": (29.0, 1.0, 40.0)}
    # The refund on 5 March does not make B recent; ties (A and D recency 29) by first appearance.
    assert r.r.tolist() == ref_scores([29, 38, 29], higher_is_better=False).tolist()


def test_transactions_errors():
    with pytest.raises(DataError, match="without a date"):
        v.rfm_from_transactions(["A"], np.array(["NaT"], dtype="datetime64[D]"), [1.0])
    with pytest.raises(DataError, match="no transactions in the window"):
        v.rfm_from_transactions(["A"], np.array(["2026-01-01"], dtype="datetime64[D]"), [1.0], as_of="2025-01-01")
    with pytest.raises(DataError, match="only refunds"):
        v.rfm_from_transactions(["A"], np.array(["2026-01-01"], dtype="datetime64[D]"), [-1.0])


# --------------------------------------------------------------------------- the join


def test_join_counts_both_ways_and_keeps_the_unmatched():
    j = v.join_customers(["C1", " C2", "X9", "", "C1", None], ["C1", "C2", "C3", "C4"])
    assert j.position.tolist() == [0, 1, -1, -1, 0, -1]
    assert (j.respondents, j.matched, j.unmatched, j.blank_ids) == (6, 3, 3, 2)
    assert (j.customers, j.customers_surveyed, j.customers_not_surveyed) == (4, 2, 2)
    assert j.unmatched_examples == ["X9"]
    assert j.take(np.array(["gold", "silver", "gold", "bronze"], dtype=object)).tolist() == \
        ["gold", "silver", None, None, "gold", None]


def test_join_duplicate_customer_ids_name_the_rows():
    with pytest.raises(DataError, match=r"2 customer ids appear more than once: 'C1' on rows 2, 4; 'C3' on rows 3, 5"):
        v.join_customers(["C1"], ["C1", "C3", "C1", "C3"], customer_rows=[2, 3, 4, 5])


# --------------------------------------------------------------------------- NPS / CSAT by segment


def _survey(seed=3, n=600):
    rng = np.random.default_rng(seed)
    seg = rng.choice(np.array(["Champions", "At Risk", "Lost", None], dtype=object), n, p=[0.3, 0.3, 0.3, 0.1])
    nps = rng.integers(0, 11, n).astype(float)
    nps[rng.random(n) < 0.05] = np.nan
    csat = rng.integers(1, 6, n).astype(float)
    csat[rng.random(n) < 0.05] = np.nan
    w = rng.uniform(0.5, 2.0, n)
    return seg, nps, csat, w


def _nps_ref(x, w):
    ok = ~np.isnan(x)
    x, w = x[ok], w[ok]
    p, d = w[x >= 9].sum() / w.sum(), w[x <= 6].sum() / w.sum()
    neff = w.sum() ** 2 / (w ** 2).sum()
    score = 100 * (p - d)
    se = 100 * math.sqrt((p + d - (p - d) ** 2) / neff)
    return score, se, neff


def test_scores_by_segment_match_independent_figures():
    seg, nps, csat, w = _survey()
    res = v.scores_by_segment(seg, nps=nps, csat=csat, weights=w)
    assert [g.group for g in res.groups] == ["At Risk", "Champions", "Lost"]
    has_group = np.array([s is not None for s in seg])
    for g in res.groups:
        member = np.array([s == g.group for s in seg])
        score, se, neff = _nps_ref(nps[member], w[member])
        assert g.nps.nps == pytest.approx(score, abs=1e-9)
        assert g.nps.se == pytest.approx(se, abs=1e-9)
        assert g.nps.low == pytest.approx(score - 1.959964 * se, abs=1e-9)
        # test against the rest of the matched respondents
        rest = has_group & ~member
        r_score, r_se, _ = _nps_ref(nps[rest], w[rest])
        z = (score - r_score) / math.hypot(se, r_se)
        assert g.nps_test.statistic == pytest.approx(z, abs=1e-9)
        assert g.nps_test.p_value == pytest.approx(2 * sps.norm.sf(abs(z)), abs=1e-12)
        # CSAT top-2 weighted share, Wilson on n_eff
        ok = member & ~np.isnan(csat)
        share = w[ok & (csat >= 4)].sum() / w[ok].sum()
        neff_c = w[ok].sum() ** 2 / (w[ok] ** 2).sum()
        assert g.csat.share == pytest.approx(share, abs=1e-12)
        zz = 1.959964
        centre = (share + zz * zz / (2 * neff_c)) / (1 + zz * zz / neff_c)
        half = zz * math.sqrt(share * (1 - share) / neff_c + zz * zz / (4 * neff_c ** 2)) / (1 + zz * zz / neff_c)
        assert (g.csat.low, g.csat.high) == pytest.approx((centre - half, centre + half), abs=1e-12)
    # BH across the three groups: scipy's own implementation
    p = [g.nps_test.p_value for g in res.groups]
    assert [g.nps_p_adjusted for g in res.groups] == pytest.approx(sps.false_discovery_control(p).tolist())
    # respondents without a customer record are scored, not dropped
    assert res.unmatched.respondents == int((~has_group).sum())
    assert res.unmatched.nps.nps == pytest.approx(_nps_ref(nps[~has_group], w[~has_group])[0])
    assert sum(g.respondents for g in res.groups) + res.unmatched.respondents == len(seg)


def test_scores_by_segment_unweighted_wilson_and_suppression():
    seg = ["gold"] * 40 + ["basic"] * 20
    csat = [5] * 12 + [3] * 28 + [4] * 10 + [2] * 10          # gold 12 of 40 top-2 (METHODS §1 example)
    res = v.scores_by_segment(seg, csat=csat)
    gold = next(g for g in res.groups if g.group == "gold")
    assert (gold.csat.low, gold.csat.high) == pytest.approx((0.18075, 0.45430), abs=5e-6)
    assert (gold.csat.low, gold.csat.high) == pytest.approx(wilson_ref(12, 40), abs=1e-7)
    assert gold.csat.base == "small"
    basic = next(g for g in res.groups if g.group == "basic")
    assert basic.csat.base == "suppressed" and basic.csat_test is None and gold.csat_test is None
    assert gold.nps is None and res.unmatched is None


def test_scores_by_segment_bad_input():
    with pytest.raises(DataError, match="NPS: answers must be 0–10"):
        v.scores_by_segment(["a"], nps=[11])
    with pytest.raises(DataError, match="neither NPS nor CSAT"):
        v.scores_by_segment(["a"])
    with pytest.raises(DataError, match="CSAT: 2 values for 1 respondents"):
        v.scores_by_segment(["a"], csat=[5, 4])
    with pytest.raises(DataError, match="needs both CSAT and NPS"):
        v.satisfied_not_loyal([5], None)
    with pytest.raises(DataError, match="needs NPS answers and a churned flag"):
        v.churn_by_nps_group([10], None)
    with pytest.raises(DataError, match="no customers"):
        v.rfm_from_fields([], [], [], [])


# --------------------------------------------------------------------------- satisfied but not loyal


def test_satisfied_not_loyal_by_hand():
    csat = [5, 5, 4, 4, 3, 5, 2, np.nan, 5, 4]
    nps = [10, 8, 6, 9, 10, 7, 3, 10, np.nan, 0]
    seg = ["a", "a", "a", "b", "b", "b", "b", "a", None, ""]
    res = v.satisfied_not_loyal(csat, nps, segment=seg, rules=NO_SUPPRESS)
    # both answered: rows 0-6 and 9 (8); satisfied: 0,1,2,3,5,9 (6); SBNL (satisfied, NPS ≤ 8): 1,2,5,9 (4)
    assert (res.overall.of_all.count, res.overall.of_all.n) == (4, 8)
    assert (res.overall.of_satisfied.count, res.overall.of_satisfied.n) == (4, 6)
    assert (res.overall.of_all.low, res.overall.of_all.high) == pytest.approx(wilson_ref(4, 8), abs=1e-7)
    groups = {g.group: g for g in res.groups}
    assert (groups["a"].of_all.count, groups["a"].of_all.n) == (2, 3)
    assert (groups["b"].of_all.count, groups["b"].of_all.n) == (1, 4)
    assert (res.unassigned.of_all.count, res.unassigned.of_all.n) == (1, 1)   # row 9; row 8 has no NPS


def test_satisfied_not_loyal_themes_behind_it():
    n = 200
    csat = np.full(n, 5.0)
    nps = np.r_[np.full(100, 7.0), np.full(100, 10.0)]        # 100 SBNL, 100 satisfied promoters
    price = np.r_[np.arange(100) < 40, np.arange(100) < 10]    # 40 % vs 10 %
    staff = np.r_[np.arange(100) < 20, np.arange(100) < 20]    # 20 % vs 20 %
    said = np.ones(n, dtype=bool)
    res = v.satisfied_not_loyal(csat, nps, themes={"staff": staff, "price": price}, commented=said)
    assert [t.theme for t in res.themes] == ["price", "staff"]
    price_row = res.themes[0]
    assert (price_row.sbnl.share, price_row.loyal.share) == (0.4, 0.1)
    pooled = 50 / 200
    z = (0.4 - 0.1) / math.sqrt(pooled * (1 - pooled) * (2 / 100))
    assert price_row.test.statistic == pytest.approx(z, abs=1e-12)
    assert res.themes[1].test.p_value == pytest.approx(1.0)
    with pytest.raises(DataError, match="commented"):
        v.satisfied_not_loyal(csat, nps, themes={"price": price})


def test_satisfied_not_loyal_on_the_real_event_survey():
    """Sudzilla event survey (MIT, ../shared/realdata): "satisfied" = opening keynote 9–10 on
    its 0–10 scale, loyalty = the 0–10 recommend item."""
    frame = pd.concat([pd.read_csv(REALDATA / "sudzilla_event_survey" / f"input_0{k}.csv") for k in (1, 2)])
    rate = frame["On a scale of 0-10, how would you rate Sudzilla?"].to_numpy(dtype=float)
    keynote = frame["On a scale of 0-10, how would you rate the opening keynote?"].to_numpy(dtype=float)
    half = np.where(np.arange(len(frame)) < 39, "first file", "second file")
    res = v.satisfied_not_loyal(keynote, rate, segment=half, csat_scale=(0, 10), rules=NO_SUPPRESS)
    both = frame[[frame.columns[1], frame.columns[3]]].dropna()
    sbnl = ((both.iloc[:, 1] >= 9) & (both.iloc[:, 0] < 9)).sum()
    satisfied = (both.iloc[:, 1] >= 9).sum()
    assert res.overall.of_all.n == len(both) == 78
    assert res.overall.of_all.count == sbnl
    assert res.overall.of_satisfied.n == satisfied
    assert res.overall.of_all.share == pytest.approx(sbnl / len(both))
    assert (res.overall.of_all.low, res.overall.of_all.high) == pytest.approx(wilson_ref(sbnl, len(both)), abs=1e-7)
    assert [g.of_all.count for g in res.groups] == [sbnl // 2] * 2 and sbnl > 0   # the two files are copies


# --------------------------------------------------------------------------- churn by NPS group


def test_churn_by_nps_group_against_hand_formulas():
    # promoters 100 (5 churned), passives 80 (12), detractors 60 (21); 7 unknown flags, 3 without NPS
    nps = [10] * 100 + [8] * 80 + [3] * 60 + [9] * 7 + [np.nan] * 3
    churn = [1] * 5 + [0] * 95 + [1] * 12 + [0] * 68 + [1] * 21 + [0] * 39 + [np.nan] * 7 + [1, 0, 1]
    res = v.churn_by_nps_group(nps, churn)
    assert (res.n, res.unknown_churn, res.no_nps) == (240, 7, 3)
    rates = {g.group: g for g in res.groups}
    assert rates["promoter"].rate.share == 0.05 and rates["detractor"].rate.share == 0.35
    assert (rates["passive"].rate.low, rates["passive"].rate.high) == pytest.approx(wilson_ref(12, 80), abs=1e-7)
    # detractors vs promoters: pooled z by hand
    pooled = 26 / 160
    z = (21 / 60 - 5 / 100) / math.sqrt(pooled * (1 - pooled) * (1 / 60 + 1 / 100))
    assert rates["detractor"].vs_promoters.statistic == pytest.approx(z, abs=1e-12)
    assert rates["promoter"].vs_promoters is None
    # Pearson chi-square by hand on the 3 × 2 table
    obs = np.array([[5, 95], [12, 68], [21, 39]], dtype=float)
    exp = obs.sum(1, keepdims=True) * obs.sum(0, keepdims=True) / obs.sum()
    chi2 = ((obs - exp) ** 2 / exp).sum()
    assert res.chi2 == pytest.approx(chi2, abs=1e-10) and res.dof == 2
    assert res.p_value == pytest.approx(math.exp(-chi2 / 2), rel=1e-10)     # chi-square sf with 2 df


def test_churn_flag_words():
    assert v.parse_flag(["Yes", "no", "1", "0", "TRUE", "n", "Churned", "active"]).tolist() == [1, 0, 1, 0, 1, 0, 1, 0]
    got = v.parse_flag(["Yes", "", "是", "否", 1, 0.0])
    assert np.isnan(got[1]) and got[[0, 2, 3, 4, 5]].tolist() == [1.0, 1.0, 0.0, 1.0, 0.0]
    with pytest.raises(DataError, match="'maybe' is not one of yes/no"):
        v.parse_flag(["yes", "maybe"])


# --------------------------------------------------------------------------- the customer file


def _write(path: Path, rows: list[list]) -> Path:
    pd.DataFrame(rows[1:], columns=rows[0]).to_csv(path, index=False)
    return path


def test_read_customer_fields_csv(tmp_path):
    rows = [["cid", "rec", "freq", "spend", "tier", "left", "region"]]
    rows += [[c, d, p, s, "gold" if s > 500 else "std", "yes" if d > 50 else "no", "N" if i % 2 else "S"]
             for i, (c, d, p, s) in enumerate(zip(IDS, DAYS, PURCHASES, SPEND))]
    path = _write(tmp_path / "customers.csv", rows)
    cols = CustomerColumns("cid", recency="rec", frequency="freq", monetary="spend", value_tier="tier",
                           churned="left", segments={"Region": "region"})
    f = read_customers(path, cols)
    assert f.layout == "customers" and f.rows_read == 10 and f.has_churn
    assert f.customers["row"].tolist() == list(range(2, 12))
    assert f.customers["churned"].tolist() == [0, 0, 0, 1, 0, 1, 0, 0, 1, 0]
    assert f.customers["seg:Region"].tolist()[:2] == ["S", "N"]
    r = f.rfm()
    assert r.m.tolist() == [4, 5, 3, 1, 5, 2, 3, 4, 1, 2]


def test_read_customer_file_errors_name_rows(tmp_path):
    cols = CustomerColumns("cid", recency="rec", frequency="freq", monetary="spend")
    dup = _write(tmp_path / "dup.csv", [["cid", "rec", "freq", "spend"], ["A", 1, 1, 1], ["B", 2, 2, 2],
                                        ["A", 3, 3, 3]])
    with pytest.raises(DataError, match=r"dup.csv: 1 customer id appear.* 'A' on rows 2, 4"):
        read_customers(dup, cols)
    bad = _write(tmp_path / "bad.csv", [["cid", "rec", "freq", "spend"], ["A", 1, "x", 1], ["B", 2, -1, 2]])
    with pytest.raises(DataError, match=r"column 'freq' \(frequency\).*2 rows: 2, 3"):
        read_customers(bad, cols)
    with pytest.raises(DataError, match=r"column 'spnd' not found in bad.csv \(did you mean 'spend'\?\)"):
        read_customers(bad, CustomerColumns("cid", recency="rec", frequency="freq", monetary="spnd"))
    flag = _write(tmp_path / "flag.csv", [["cid", "rec", "freq", "spend", "left"], ["A", 1, 1, 1, "yes"],
                                          ["B", 2, 2, 2, "perhaps"]])
    with pytest.raises(DataError, match=r"column 'left' \(churned\).*row 3 \('perhaps'\)"):
        read_customers(flag, CustomerColumns("cid", recency="rec", frequency="freq", monetary="spend",
                                             churned="left"))
    with pytest.raises(DataError, match="needs the column"):
        read_customers(flag, CustomerColumns("cid", frequency="freq", monetary="spend"))


def test_read_last_purchase_dates_xlsx(tmp_path):
    path = tmp_path / "customers.xlsx"
    pd.DataFrame({"id": ["A", "B", "C"], "last": ["2026-03-01", "2026-03-31", "2026-02-01"],
                  "n": [3, 1, 2], "spend": [30, 10, 20]}).to_excel(path, index=False)
    f = read_customers(path, CustomerColumns("id", last_purchase="last", frequency="n", monetary="spend"))
    assert f.customers["recency_days"].tolist() == [30, 0, 58]
    f = read_customers(path, CustomerColumns("id", last_purchase="last", frequency="n", monetary="spend"),
                       as_of="2026-04-10")
    assert f.customers["recency_days"].tolist() == [40, 10, 68]


def test_read_transactions_excludes_and_names_bad_rows(tmp_path):
    rows = [["cust", "when", "paid", "gone"],
            ["A", "2026-03-01", "20", "no"], ["B", "2026-03-02", "15.5", ""], ["", "2026-03-03", "5", ""],
            ["A", "2026-03-09", "12", ""], ["C", "not a day", "9", "yes"], ["B", "2026-03-04", "abc", "yes"],
            ["C", "2026-03-05", "7", "yes"]]
    path = _write(tmp_path / "tx.csv", rows)
    f = read_customers(path, CustomerColumns("cust", date="when", amount="paid", churned="gone"),
                       layout="transactions")
    assert f.excluded == {BLANK_ID: [4], BAD_DATE: [6], BAD_AMOUNT: [7]}
    warnings = f.warnings()
    assert "tx.csv: 1 transaction row excluded (blank customer id): row 4" in warnings
    assert "tx.csv: row 6, column 'when': 'not a day' is not a date" in warnings
    assert "tx.csv: row 7, column 'paid': 'abc' is not a number" in warnings
    assert f.customers["customer_id"].tolist() == ["A", "B", "C"]
    # churned: the first non-blank value of each customer, from the usable rows
    assert f.customers["churned"].tolist()[0] == 0 and np.isnan(f.customers["churned"].tolist()[1])
    assert f.customers["churned"].tolist()[2] == 1
    r = f.rfm()
    assert dict(zip(r.customer_id, r.frequency)) == {"A": 2, "B": 1, "C": 1}
    assert dict(zip(r.customer_id, r.recency_days)) == {"A": 0, "B": 7, "C": 4}


def test_weighted_churn_and_ten_point_csat():
    nps = np.array([10, 10, 9, 7, 8, 2, 3, 0] * 10, dtype=float)
    churn = np.array([0, 0, 1, 0, 1, 1, 1, 0] * 10, dtype=float)
    same = v.churn_by_nps_group(nps, churn, weights=np.full(80, 2.0), rules=NO_SUPPRESS)
    plain = v.churn_by_nps_group(nps, churn, rules=NO_SUPPRESS)
    assert same.chi2 == pytest.approx(plain.chi2) and same.p_value == pytest.approx(plain.p_value)
    w = np.where(churn == 1, 3.0, 1.0)                           # churned customers weigh 3
    res = v.churn_by_nps_group(nps, churn, weights=w, rules=NO_SUPPRESS)
    promoters = res.groups[0].rate
    assert promoters.share == pytest.approx(30 / (20 + 30))      # 10 churned × 3 against 20 × 1
    assert promoters.n_eff == pytest.approx(50 ** 2 / (20 + 90))
    ten = v.scores_by_segment(["a"] * 3, csat=[10, 9, 8], csat_scale=(1, 10), rules=NO_SUPPRESS)
    assert ten.groups[0].csat.share == pytest.approx(2 / 3)


def test_file_to_segment_scores(tmp_path):
    rows = [["cid", "rec", "freq", "spend"]] + [list(t) for t in zip(IDS, DAYS, PURCHASES, SPEND)]
    f = read_customers(_write(tmp_path / "c.csv", rows), CustomerColumns("cid", recency="rec", frequency="freq",
                                                                          monetary="spend"))
    r = f.rfm()
    respondents = ["C5", "C2", "C1", "Z1", "C2"]
    j = v.join_customers(respondents, r.customer_id, f.customers["row"].to_numpy())
    assert (j.matched, j.unmatched, j.customers_surveyed) == (4, 1, 3)
    res = v.scores_by_segment(j.take(r.tier_labels()), nps=[10, 9, 3, 10, 6], rules=NO_SUPPRESS)
    top = next(g for g in res.groups if g.group == "top 20 %")
    assert top.respondents == 3 and top.nps.nps == pytest.approx(100 * (2 - 1) / 3)   # C5, C2, C2
    assert res.unmatched.respondents == 1 and res.unmatched.nps.nps == 100
