"""Multichannel consistency (cxreport/scoring/consistency.py, docs/methods.md, "Consistency across channels"):
channel figures, the largest gap and its test against METHODS.md's worked examples and
independent calculations (scipy, pandas), the project's multiple-comparison adjustment,
the consistency index's definition and bounds, suppression, and one-line errors. Real data:
the airline passengers (../shared/realdata/airline, read in place) by travel class."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from cxreport.errors import ConfigError, DataError
from cxreport.scoring.consistency import consistency_index, consistency_table, channel_consistency, group_codes
from cxreport.scoring.kpis import BaseRules, ItemSpec

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "airline" / "test.csv"
NO_SUPPRESSION = BaseRules(0, 0)


def nps_answers(promoters: int, passives: int, detractors: int) -> list[float]:
    return [10.0] * promoters + [8.0] * passives + [3.0] * detractors


def nps_se(values) -> tuple[float, float]:
    """NPS and its SE by another route: the −1/0/+1 coding's mean and population variance."""
    coded = np.select([np.asarray(values) >= 9, np.asarray(values) <= 6], [1.0, -1.0], 0.0)
    return 100 * coded.mean(), 100 * math.sqrt(coded.var() / len(coded))


# --------------------------------------------------------------------------- worked examples


def test_nps_gap_reproduces_the_methods_example_and_the_difference_test():
    """METHODS.md §1: 291/476/395 → NPS −8.950, SE 2.2387; the other channel p = 1/2, d = 1/6
    (NPS 33.33). The gap is Branch − App with SE = √(SE₁² + SE₂²), two-sided normal p."""
    app = nps_answers(291, 476, 395)
    branch = nps_answers(300, 200, 100)
    values = app + branch
    channels = ["App"] * len(app) + ["Branch"] * len(branch)
    kpi = channel_consistency(ItemSpec.nps(), values, channels)
    figures = {c.channel: c for c in kpi.channels}
    assert figures["App"].value == pytest.approx(-8.950, abs=5e-4)
    assert figures["App"].result.nps.se == pytest.approx(2.2387, abs=5e-5)
    assert figures["Branch"].value == pytest.approx(100 / 3, abs=1e-9)
    gap = kpi.largest_gap
    assert (gap.a, gap.b) == ("Branch", "App")
    (v1, se1), (v2, se2) = nps_se(branch), nps_se(app)
    z = (v1 - v2) / math.hypot(se1, se2)
    assert gap.diff == pytest.approx(v1 - v2, rel=1e-12)
    assert gap.statistic == pytest.approx(z, rel=1e-9)
    assert gap.p_value == pytest.approx(2 * sps.norm.sf(abs(z)), rel=1e-9)
    assert gap.p_adjusted == gap.p_value          # one pair: nothing to adjust
    assert gap.method == "NPS difference z-test" and gap.significant
    assert gap.shown_diff == 42.0                 # +33 − (−9) as printed
    assert kpi.unit == "points" and kpi.span == 200
    assert kpi.gap_pct_of_span == pytest.approx(100 * (v1 - v2) / 200)


def test_top2_gap_reproduces_the_two_proportion_example():
    """METHODS.md §1: 5/83 vs 12/99 → z = −1.40783, p = 0.15918; as the largest gap it is
    oriented higher − lower, so z = +1.40783."""
    email = [5.0] * 5 + [2.0] * 78
    phone = [4.0] * 12 + [3.0] * 87
    kpi = channel_consistency(ItemSpec.csat(scale=5), email + phone, ["Email"] * 83 + ["Phone"] * 99)
    gap = kpi.largest_gap
    assert (gap.a, gap.b) == ("Phone", "Email")
    assert gap.statistic == pytest.approx(1.40783, abs=5e-6)
    assert gap.p_value == pytest.approx(0.15918, abs=5e-6)
    assert gap.diff == pytest.approx(100 * (12 / 99 - 5 / 83), rel=1e-12)
    assert gap.method == "two-proportion z-test" and not gap.significant
    # the pair as tested in the table's order (Email − Phone) carries the worked example's sign
    assert kpi.pairs[0].statistic == pytest.approx(-1.40783, abs=5e-6)


def test_mean_gap_is_welch_and_the_mean_interval_is_the_methods_example():
    """METHODS.md §1: 2, 4, 4, 5, 7, 8 → mean 5, 95 % interval 2.70080 to 7.29920; the gap
    between two channels' means is Welch's t (scipy's ttest_ind with equal_var=False)."""
    a = [2.0, 4, 4, 5, 7, 8]
    b = [6.0, 7, 9, 9, 10, 8, 9, 7]
    spec = ItemSpec.rating("attr:staff", "Staff", 1, 10)
    kpi = channel_consistency(spec, a + b, ["Shop"] * 6 + ["Online"] * 8, rules=NO_SUPPRESSION)
    shop = next(c for c in kpi.channels if c.channel == "Shop")
    assert shop.value == 5.0
    assert (shop.low, shop.high) == (pytest.approx(2.70080, abs=5e-6), pytest.approx(7.29920, abs=5e-6))
    ref = sps.ttest_ind(b, a, equal_var=False)
    gap = kpi.largest_gap
    assert (gap.a, gap.b, gap.method) == ("Online", "Shop", "Welch t-test")
    assert gap.statistic == pytest.approx(ref.statistic, rel=1e-9)
    assert gap.p_value == pytest.approx(ref.pvalue, rel=1e-9)


# --------------------------------------------------------------------------- the index


def test_two_equal_channels_index_is_100_minus_gap_as_percent_of_span():
    """CSAT 40 % vs 60 % on equal bases: SD 10, span 100 → index 80 = 100 − the 20-point gap."""
    a = [5.0] * 40 + [1.0] * 60
    b = [5.0] * 60 + [1.0] * 40
    kpi = channel_consistency(ItemSpec.csat(), a + b, ["A"] * 100 + ["B"] * 100)
    assert kpi.spread_sd == pytest.approx(10.0, rel=1e-12)
    assert kpi.index == pytest.approx(80.0, rel=1e-12)
    assert kpi.index == pytest.approx(100 - kpi.gap_pct_of_span, rel=1e-12)


def test_index_weights_channels_by_their_weighted_base_or_equally():
    rng = np.random.default_rng(5)
    sizes = {"App": 400, "Branch": 150, "Chat": 60, "Phone": 90}
    channels = np.repeat(list(sizes), list(sizes.values()))
    values = rng.integers(0, 11, len(channels)).astype(float)
    values[channels == "Chat"] = rng.choice([0.0, 10.0], sizes["Chat"], p=[0.7, 0.3])
    weights = rng.uniform(0.5, 2.0, len(channels))
    for weighting in ("customers", "equal"):
        kpi = channel_consistency(ItemSpec.nps(), values, channels, weights, weighting=weighting)
        frame = pd.DataFrame({"c": channels, "x": values, "w": weights})
        frame["coded"] = np.select([frame.x >= 9, frame.x <= 6], [100.0, -100.0], 0.0)
        per = frame.groupby("c").apply(lambda g: pd.Series({"nps": np.average(g.coded, weights=g.w),
                                                            "wb": g.w.sum()}), include_groups=False)
        assert [c.value for c in kpi.channels] == pytest.approx(per.nps.tolist(), rel=1e-10)
        v = per.wb.to_numpy() if weighting == "customers" else None
        sd = math.sqrt(np.cov(per.nps.to_numpy(), aweights=v, ddof=0))
        assert kpi.spread_sd == pytest.approx(sd, rel=1e-10)
        assert kpi.index == pytest.approx(100 * (1 - 2 * sd / 200), rel=1e-10)


def test_index_reproduces_the_documented_worked_example():
    """docs/methods.md, "Consistency across channels": NPS App +40 (500), Branch +30 (300), Phone +10 (200) →
    SD √129, index 88.642; equal weights 87.528; largest gap 30 points = 15 % of the span."""
    assert consistency_index([40.0, 30.0, 10.0], 200, [500, 300, 200]) == pytest.approx(88.642, abs=5e-4)
    assert consistency_index([40.0, 30.0, 10.0], 200) == pytest.approx(87.528, abs=5e-4)
    answers = (nps_answers(250, 200, 50) + nps_answers(120, 150, 30) + nps_answers(60, 100, 40))
    channels = ["App"] * 500 + ["Branch"] * 300 + ["Phone"] * 200
    kpi = channel_consistency(ItemSpec.nps(), answers, channels)
    assert [c.value for c in kpi.channels] == pytest.approx([40.0, 30.0, 10.0])
    assert kpi.spread_sd == pytest.approx(math.sqrt(129), rel=1e-12)
    assert kpi.index == pytest.approx(88.642, abs=5e-4) and kpi.gap_pct_of_span == pytest.approx(15.0)
    assert (kpi.largest_gap.a, kpi.largest_gap.b, kpi.largest_gap.diff) == ("App", "Phone", pytest.approx(30.0))


def test_index_bounds_identical_and_opposite_channels():
    assert consistency_index([55.0, 55.0, 55.0], 100) == 100.0
    assert consistency_index([-100.0, 100.0], 200) == 0.0
    assert consistency_index([1.0, 1.0, 5.0, 5.0], 4) == 0.0
    with pytest.raises(DataError, match="at least two channels"):
        consistency_index([3.0], 4)
    with pytest.raises(DataError, match="span"):
        consistency_index([3.0, 4.0], 0)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=2, max_size=8), st.lists(st.floats(0, 1000), min_size=8, max_size=8),
       st.sampled_from([(-100.0, 100.0), (0.0, 100.0), (1.0, 5.0), (1.0, 7.0)]))
def test_index_stays_within_0_and_100_for_any_figures_on_the_scale(fractions, raw_weights, scale):
    low, high = scale
    figures = [low + f * (high - low) for f in fractions]
    weights = raw_weights[:len(figures)]
    if sum(weights) == 0:
        weights = None
    index = consistency_index(figures, high - low, weights)
    assert 0.0 <= index <= 100.0
    if max(figures) - min(figures) == 0:
        assert index == 100.0


# --------------------------------------------------------------------------- suppression and bases


def test_suppressed_channel_has_no_figure_no_test_and_no_weight_in_the_index():
    rng = np.random.default_rng(9)
    sizes = {"App": 120, "Branch": 80, "Kiosk": 20, "Post": 35}
    channels = list(np.repeat(list(sizes), list(sizes.values()))) + [None, "", float("nan"), "Not stated"]
    values = np.concatenate([rng.integers(1, 6, sum(sizes.values())).astype(float), [5.0, 5.0, 1.0, 1.0]])
    values[:-4][np.array(channels[:-4]) == "Kiosk"] = 1.0       # would be the lowest by far
    table = consistency_table([(ItemSpec.csat(), values)], channels)
    assert table.not_stated == 4 and table.channels == ["App", "Branch", "Kiosk", "Post"]
    kpi = table.kpis[0]
    kiosk = next(c for c in kpi.channels if c.channel == "Kiosk")
    post = next(c for c in kpi.channels if c.channel == "Post")
    assert kiosk.value is None and kiosk.base == "suppressed" and kiosk.n == 20
    assert post.value is not None and post.base == "small"
    assert kpi.suppressed == ["Kiosk"]
    assert all("Kiosk" not in (p.a, p.b) for p in kpi.pairs) and len(kpi.pairs) == 3
    assert "Kiosk" not in (kpi.largest_gap.a, kpi.largest_gap.b)
    shown = [c for c in kpi.channels if c.shown]
    sd = math.sqrt(np.cov([c.value for c in shown], aweights=[c.n for c in shown], ddof=0))
    assert kpi.index == pytest.approx(100 * (1 - 2 * sd / 100), rel=1e-10)


def test_fewer_than_two_shown_channels_give_no_gap_and_no_index():
    values = [5.0] * 40 + [1.0] * 10
    kpi = channel_consistency(ItemSpec.csat(), values, ["A"] * 40 + ["B"] * 10)
    assert kpi.largest_gap is None and kpi.index is None and kpi.spread_sd is None and kpi.pairs == []


def test_valid_answers_decide_the_base_not_the_rows():
    """A channel with 40 rows but 25 valid CES answers is suppressed for CES, shown for NPS."""
    rng = np.random.default_rng(3)
    channels = ["A"] * 40 + ["B"] * 60
    ces = rng.integers(1, 8, 100).astype(float)
    ces[:15] = np.nan
    nps = rng.integers(0, 11, 100).astype(float)
    table = consistency_table([(ItemSpec.nps(), nps), (ItemSpec.ces(), ces)], channels)
    assert table.kpis[0].channels[0].shown and not table.kpis[1].channels[0].shown
    assert table.kpis[1].channels[0].n == 25


# --------------------------------------------------------------------------- adjustment


def synthetic(n: int = 3000, seed: int = 1):
    rng = np.random.default_rng(seed)
    channels = rng.choice(["App", "Branch", "Chat", "Email", "Phone"], n, p=[0.35, 0.25, 0.15, 0.1, 0.15])
    lift = pd.Series(channels).map({"App": 0.5, "Branch": 0.0, "Chat": -0.6, "Email": -0.2, "Phone": 0.1}).to_numpy()
    nps = np.clip(np.round(rng.normal(7.5 + lift, 2.2)), 0, 10)
    csat = np.clip(np.round(rng.normal(3.8 + lift / 2, 0.9)), 1, 5)
    ces = np.clip(np.round(rng.normal(5.2 + lift, 1.3)), 1, 7)
    staff = np.clip(np.round(rng.normal(3.9, 0.8, n)), 1, 5)
    items = [(ItemSpec.nps(), nps), (ItemSpec.csat(), csat), (ItemSpec.ces(), ces),
             (ItemSpec.rating("attr:staff", "Staff"), staff)]
    return items, channels


def test_table_family_adjusts_every_pair_of_every_kpi_together_as_scipy_bh():
    items, channels = synthetic()
    table = consistency_table(items, channels)
    pairs = [p for k in table.kpis for p in k.pairs]
    assert len(pairs) == 4 * 10 == table.n_tests and table.chance_note
    expected = sps.false_discovery_control([p.p_value for p in pairs], method="bh")
    assert [p.p_adjusted for p in pairs] == pytest.approx(expected.tolist(), rel=1e-12)
    assert [p.significant for p in pairs] == [bool(q <= 0.05) for q in expected]
    for k in table.kpis:                    # the largest gap carries its pair's adjusted p
        match = next(p for p in k.pairs if {p.a, p.b} == {k.largest_gap.a, k.largest_gap.b})
        assert k.largest_gap.p_adjusted == match.p_adjusted
        assert k.largest_gap.diff == pytest.approx(max(c.value for c in k.shown) - min(c.value for c in k.shown))
    ces = next(k for k in table.kpis if k.key == "ces")
    assert (ces.largest_gap.a, ces.largest_gap.b) == ("App", "Chat") and ces.largest_gap.significant


def test_kpi_family_and_bonferroni_and_no_adjustment():
    items, channels = synthetic(seed=4)
    per_kpi = consistency_table(items, channels, family="kpi", adjust="bonferroni")
    for k in per_kpi.kpis:
        raw = np.array([p.p_value for p in k.pairs])
        assert [p.p_adjusted for p in k.pairs] == pytest.approx(np.minimum(1, raw * len(raw)).tolist())
    plain = consistency_table(items, channels, adjust="none", alpha=0.10)
    for k in plain.kpis:
        assert all(p.p_adjusted == p.p_value and p.significant == (p.p_value <= 0.10) for p in k.pairs)


def test_every_pair_test_matches_an_independent_calculation():
    items, channels = synthetic(n=1500, seed=8)
    table = consistency_table(items, channels)
    frame = pd.DataFrame({"c": channels})
    for (spec, values), kpi in zip(items, table.kpis):
        frame["x"] = values
        for pair in kpi.pairs:
            a, b = frame.x[frame.c == pair.a].to_numpy(), frame.x[frame.c == pair.b].to_numpy()
            a, b = a[~np.isnan(a)], b[~np.isnan(b)]
            if spec.kind == "nps":
                (va, sa), (vb, sb) = nps_se(a), nps_se(b)
                z = (va - vb) / math.hypot(sa, sb)
                p = 2 * sps.norm.sf(abs(z))
            elif spec.kind == "csat":
                xa, xb = (a >= 4).sum(), (b >= 4).sum()
                pooled = (xa + xb) / (len(a) + len(b))
                z = (xa / len(a) - xb / len(b)) / math.sqrt(pooled * (1 - pooled) * (1 / len(a) + 1 / len(b)))
                p = 2 * sps.norm.sf(abs(z))
            else:
                ref = sps.ttest_ind(a, b, equal_var=False)
                z, p = ref.statistic, ref.pvalue
            assert pair.statistic == pytest.approx(z, rel=1e-9), (spec.key, pair)
            assert pair.p_value == pytest.approx(p, rel=1e-8, abs=1e-300), (spec.key, pair)


# --------------------------------------------------------------------------- inputs and errors


def test_channel_order_chooses_and_orders_channels():
    items, channels = synthetic(n=800, seed=2)
    table = consistency_table(items, channels, order=["Phone", "App", "Branch"])
    assert table.channels == ["Phone", "App", "Branch"]
    assert table.not_stated == int(np.isin(channels, ["Chat", "Email"]).sum())
    assert [(p.a, p.b) for p in table.kpis[0].pairs] == [("Phone", "App"), ("Phone", "Branch"), ("App", "Branch")]


def test_group_codes_natural_order_and_missing_labels():
    codes, labels, none = group_codes(["Store 10", "Store 2", None, "store 1", "", "Not stated", float("nan")])
    assert labels == ["store 1", "Store 2", "Store 10"]
    assert codes.tolist() == [2, 1, -1, 0, -1, -1, -1] and none == 4
    codes, labels, none = group_codes(pd.Series([" App", "App", 3, "3", None]))    # compared as text
    assert labels == ["3", "App"] and codes.tolist() == [1, 1, 0, 0, -1] and none == 1


@pytest.mark.parametrize("call, error, message", [
    (lambda: channel_consistency(ItemSpec.nps(), [1.0, 2.0], ["A"]), DataError, "nps: 2 values for 1 rows"),
    (lambda: channel_consistency(ItemSpec.csat(), [6.0, 2.0], ["A", "B"]), DataError,
     "csat: value 6 is outside the scale 1–5"),
    (lambda: channel_consistency(ItemSpec.nps(), [7.5, 2.0], ["A", "B"]), DataError,
     "nps: value 7.5 is not a point of the 0–10 scale"),
    (lambda: channel_consistency(ItemSpec.nps(), ["x", 2.0], ["A", "B"]), DataError, "nps: the values must be numbers"),
    (lambda: channel_consistency(ItemSpec.nps(), [1.0, 2.0], ["A", "B"], [1.0, -1.0]), DataError,
     "weights: every weight must be a number ≥ 0"),
    (lambda: channel_consistency(ItemSpec.nps(), [1.0, 2.0], ["A", "B"], [1.0]), DataError, "weights: 1 values for 2 rows"),
    (lambda: channel_consistency(ItemSpec.nps(), [1.0, 2.0], ["A", "B"], order=["A", "C"]), DataError,
     "channel 'C' has no rows (found: A, B)"),
    (lambda: channel_consistency(ItemSpec.nps(), [1.0, 2.0], ["A", "B"], order=["A", "A"]), ConfigError,
     "channel order: 'A' is listed twice"),
    (lambda: channel_consistency(ItemSpec.nps(), [1.0, 2.0], ["A", "B"], adjust="holm"), ConfigError,
     "adjust: 'holm' is not one of bh, bonferroni, none"),
    (lambda: channel_consistency(ItemSpec.nps(), [1.0, 2.0], ["A", "B"], weighting="size"), ConfigError,
     "weighting: 'size' is not one of customers, equal"),
    (lambda: channel_consistency(ItemSpec.nps(), [1.0, 2.0], ["A", "B"], alpha=5), ConfigError, "alpha"),
    (lambda: consistency_table([], ["A"]), ConfigError, "consistency: no KPI to compare"),
    (lambda: consistency_table([(ItemSpec.nps(), [1.0]), (ItemSpec.nps(), [2.0])], ["A"]), ConfigError,
     "KPI 'nps' is listed twice"),
])
def test_bad_input_is_a_one_line_error(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert message in str(info.value.message) and "\n" not in info.value.message


def test_unbounded_numeric_attribute_has_gaps_but_no_index():
    spec = ItemSpec.numeric("attr:wait", "Wait (minutes)", 0, math.inf)
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.exponential(5, 60), rng.exponential(9, 60)])
    kpi = channel_consistency(spec, values, ["A"] * 60 + ["B"] * 60)
    assert kpi.largest_gap is not None and kpi.largest_gap.method == "Welch t-test"
    assert kpi.index is None and kpi.gap_pct_of_span is None and kpi.spread_sd > 0


# --------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def airline() -> pd.DataFrame:
    return pd.read_csv(REALDATA, index_col=0)


ATTRIBUTES = ["Inflight wifi service", "Ease of Online booking", "Food and drink", "Seat comfort",
              "On-board service", "Leg room service", "Checkin service", "Cleanliness"]


def test_real_airline_ratings_by_class_agree_with_pandas_and_scipy(airline):
    """25,976 passengers; touchpoint ratings 1–5 with 0 = not applicable; channel = class."""
    items = []
    for name in ATTRIBUTES:
        values = airline[name].replace(0, np.nan).to_numpy(dtype=float)
        items.append((ItemSpec.rating(f"attr:{name}", name, 1, 5), values))
    items.append((ItemSpec.csat(scale=5, label="Seat comfort top-2"),
                  airline["Seat comfort"].replace(0, np.nan).to_numpy(dtype=float)))
    table = consistency_table(items, airline["Class"])
    assert table.channels == ["Business", "Eco", "Eco Plus"] and table.not_stated == 0
    pvals = []
    for (spec, values), kpi in zip(items, table.kpis):
        frame = pd.DataFrame({"c": airline["Class"], "x": values}).dropna()
        if spec.kind == "csat":
            means = frame.groupby("c").x.apply(lambda s: 100 * (s >= 4).mean())
        else:
            means = frame.groupby("c").x.mean()
        assert [c.value for c in kpi.channels] == pytest.approx(means.reindex(table.channels).tolist(), rel=1e-12)
        assert [c.n for c in kpi.channels] == frame.c.value_counts().reindex(table.channels).tolist()
        hi, lo = means.idxmax(), means.idxmin()
        assert (kpi.largest_gap.a, kpi.largest_gap.b) == (hi, lo)
        a, b = frame.x[frame.c == hi], frame.x[frame.c == lo]
        if spec.kind == "csat":
            xa, xb = (a >= 4).sum(), (b >= 4).sum()
            pooled = (xa + xb) / (len(a) + len(b))
            z = (xa / len(a) - xb / len(b)) / math.sqrt(pooled * (1 - pooled) * (1 / len(a) + 1 / len(b)))
        else:
            z = sps.ttest_ind(a, b, equal_var=False).statistic
        assert kpi.largest_gap.statistic == pytest.approx(z, rel=1e-9)
        sd = math.sqrt(np.cov(means.reindex(table.channels), aweights=[c.n for c in kpi.channels], ddof=0))
        assert kpi.index == pytest.approx(100 * (1 - 2 * sd / 4 if spec.kind != "csat" else 1 - 2 * sd / 100), rel=1e-10)
        pvals += [p.p_value for p in kpi.pairs]
    adjusted = [p.p_adjusted for k in table.kpis for p in k.pairs]
    assert adjusted == pytest.approx(sps.false_discovery_control(pvals).tolist(), rel=1e-10)
    # what the data say: Business seats beat Eco Plus by 0.67 of a point; wifi differs by 0.17
    seat = next(k for k in table.kpis if k.key == "attr:Seat comfort")
    wifi = next(k for k in table.kpis if k.key == "attr:Inflight wifi service")
    assert (seat.largest_gap.a, seat.largest_gap.b) == ("Business", "Eco Plus") and seat.largest_gap.significant
    assert seat.largest_gap.shown_diff == pytest.approx(0.67)
    assert wifi.index > seat.index
