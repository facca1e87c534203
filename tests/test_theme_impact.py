"""Theme impact on NPS/CSAT (METHODS.md §11), themes and sentiment over time, emerging themes
(issue 16 items 1–2): cxreport.scoring.themes_impact against METHODS.md's worked example and
against independent calculations (per-respondent −1/0/+1 scores, scipy's chi-square and t
tests, Wilson bounds found by root finding, scipy's Benjamini–Hochberg), on made-up data and
on real comments from ../shared/realdata (Sudzilla event survey, MIT; Quantipy example data,
MIT), read in place."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats as sps
from scipy.stats import false_discovery_control

from cxreport.errors import ConfigError, DataError
from cxreport.scoring.comments import code_themes
from cxreport.scoring.kpis import BaseRules
from cxreport.scoring.themes_impact import (emerging_themes, respondent_flags, theme_impact,
                                            theme_trends)

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
Z = 1.959964
SMALL = BaseRules(suppress_below=5, flag_below=10)


# --------------------------------------------------------------------------- independent helpers


def nps_by_scores(x, w):
    """NPS, SE and n_eff from per-respondent scores +1/0/−1 (weighted mean and variance)."""
    x, w = np.asarray(x, float), np.asarray(w, float)
    s = np.where(x >= 9, 1.0, np.where(x <= 6, -1.0, 0.0))
    mean = np.average(s, weights=w)
    var = np.average((s - mean) ** 2, weights=w)          # = p + d − (p − d)²
    n_eff = w.sum() ** 2 / (w ** 2).sum()
    return 100 * mean, 100 * math.sqrt(var / n_eff), n_eff


def wilson_by_root(p, n):
    """Wilson bounds: the p0 at which the score statistic (p − p0)/√(p0(1−p0)/n) equals ±z."""
    f = lambda p0: (p - p0) ** 2 - Z * Z * p0 * (1 - p0) / n   # noqa: E731
    lo = 0.0 if p == 0 else optimize.brentq(f, 1e-15, p)
    hi = 1.0 if p == 1 else optimize.brentq(f, p, 1 - 1e-15)
    return lo, hi


def pooled_p(p1, n1, p2, n2):
    """Two-sided p of the pooled two-proportion z-test, as the uncorrected chi-square of the 2×2 table."""
    table = np.array([[p1 * n1, (1 - p1) * n1], [p2 * n2, (1 - p2) * n2]])
    return sps.chi2_contingency(table, correction=False)[1]


# --------------------------------------------------------------------------- theme impact


def worked_example():
    """METHODS.md §11: 200 respondents; T mentioned by 40 (8 P, 10 passive, 22 D); others 82 P, 50, 28 D."""
    nps = np.array([10] * 8 + [7] * 10 + [0] * 22 + [9] * 82 + [8] * 50 + [3] * 28, dtype=float)
    mention = np.zeros(200, dtype=bool)
    mention[:40] = True
    return nps, mention


def test_worked_example_of_methods_11():
    nps, mention = worked_example()
    table = theme_impact(nps, {"Queues": mention})
    assert table.overall_nps.value == pytest.approx(20.0)
    row = table.themes[0]
    assert row.nps_theme.value == pytest.approx(-35.0)
    assert row.nps_other.value == pytest.approx(33.75)
    assert row.nps_diff.value == pytest.approx(-68.75)
    assert row.nps_diff.se == pytest.approx(13.8825, abs=5e-5)
    assert (row.nps_diff.high - row.nps_diff.low) / 2 == pytest.approx(27.21, abs=5e-3)
    assert row.impact == pytest.approx(-13.75)
    assert row.share == pytest.approx(0.2)
    assert row.impact_low == pytest.approx(0.2 * row.nps_diff.low)
    assert row.nps_diff.p_value == pytest.approx(2 * sps.norm.sf(68.75 / 13.8825), rel=1e-4)
    assert row.nps_diff.significant and row.nps_diff.direction == -1
    assert row.count == 40 and row.mentions == 40 and row.shown and row.rank == 1


def test_others_include_respondents_without_a_comment_and_leave_out_those_without_an_nps_answer():
    nps, mention = worked_example()
    # 30 more respondents: 10 mention T without an NPS answer, 20 answered NPS without commenting
    nps2 = np.concatenate([nps, np.full(10, np.nan), np.full(20, 10.0)])
    mention2 = np.concatenate([mention, np.ones(10, bool), np.zeros(20, bool)])
    row = theme_impact(nps2, {"T": mention2}).themes[0]
    assert row.mentions == 50 and row.count == 40
    assert row.nps_other.n == 180
    assert row.nps_other.value == pytest.approx(100 * (82 + 20 - 28) / 180)
    assert row.nps_theme.value == pytest.approx(-35.0)


def weighted_survey(n=3000, seed=11):
    rng = np.random.default_rng(seed)
    latent = rng.normal(0, 1, n)
    nps = np.clip(np.round(6.5 + 2.2 * latent + rng.normal(0, 1.2, n)), 0, 10)
    nps[rng.random(n) < 0.05] = np.nan
    csat = np.clip(np.round(3.4 + 0.9 * latent + rng.normal(0, 0.6, n)), 1, 5)
    csat[rng.random(n) < 0.07] = np.nan
    w = rng.uniform(0.3, 2.8, n)
    commented = rng.random(n) < 0.6
    themes = {
        "Waiting": commented & (rng.random(n) < 1 / (1 + np.exp(2.0 * latent + 1.0))),   # detractors' theme
        "Staff": commented & (rng.random(n) < 1 / (1 + np.exp(-1.5 * latent + 1.0))),    # promoters' theme
        "Fees": commented & (rng.random(n) < 0.08),                                          # unrelated
        "Rare": commented & (rng.random(n) < 0.004),                                         # tiny base
    }
    return nps, csat, w, themes


def test_weighted_theme_impact_matches_an_independent_calculation():
    nps, csat, w, themes = weighted_survey()
    table = theme_impact(nps, themes, weights=w, csat=csat, csat_scale=5)
    valid = ~np.isnan(nps)
    overall, _se, _n = nps_by_scores(nps[valid], w[valid])
    assert table.overall_nps.value == pytest.approx(overall, rel=1e-12)
    raw_p = {}
    for row in table.themes:
        flags = themes[row.theme]
        t, o = flags & valid, ~flags & valid
        v_t, se_t, n_t = nps_by_scores(nps[t], w[t])
        v_o, se_o, n_o = nps_by_scores(nps[o], w[o])
        assert row.nps_theme.value == pytest.approx(v_t, rel=1e-10, abs=1e-10)
        assert row.nps_other.value == pytest.approx(v_o, rel=1e-10)
        assert row.nps_theme.n_eff == pytest.approx(n_t)
        assert row.impact == pytest.approx(overall - v_o, abs=1e-9)
        share = w[t].sum() / w[valid].sum()
        assert row.impact == pytest.approx(share * (v_t - v_o), abs=1e-9)        # impact = share × difference
        if row.theme == "Rare":
            assert not row.shown and row.nps_diff is None and row.csat_diff is None
            continue
        se = math.hypot(se_t, se_o)
        assert row.nps_diff.se == pytest.approx(se, rel=1e-10)
        assert row.nps_diff.low == pytest.approx(v_t - v_o - Z * se, rel=1e-10)
        p = 2 * sps.norm.sf(abs(v_t - v_o) / se)
        assert row.nps_diff.p_value == pytest.approx(p, rel=1e-8)
        raw_p[(row.theme, "nps")] = p
        # CSAT top-2 (4–5 on 1–5) on its own valid base
        cv = ~np.isnan(csat)
        top = (csat >= 4).astype(float)
        ct, co = flags & cv, ~flags & cv
        p1, p2 = np.average(top[ct], weights=w[ct]), np.average(top[co], weights=w[co])
        n1 = w[ct].sum() ** 2 / (w[ct] ** 2).sum()
        n2 = w[co].sum() ** 2 / (w[co] ** 2).sum()
        assert row.csat_theme.value == pytest.approx(100 * p1)
        assert row.csat_diff.value == pytest.approx(100 * (p1 - p2))
        assert row.csat_diff.p_value == pytest.approx(pooled_p(p1, n1, p2, n2), rel=1e-6)
        raw_p[(row.theme, "csat")] = row.csat_diff.p_value
        unpooled = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
        assert row.csat_diff.high == pytest.approx(100 * (p1 - p2 + Z * unpooled))
        lo, hi = wilson_by_root(p1, n1)
        assert (row.csat_theme.low, row.csat_theme.high) == pytest.approx((100 * lo, 100 * hi), rel=1e-7)
        overall_top = np.average(top[cv], weights=w[cv])
        assert row.csat_impact == pytest.approx(100 * (overall_top - p2))
    # one table: the NPS and CSAT tests adjusted together (Benjamini–Hochberg by scipy)
    keys = list(raw_p)
    expected = dict(zip(keys, false_discovery_control([raw_p[k] for k in keys], method="bh")))
    assert table.n_tests == len(keys) == 6
    for row in table.themes:
        if row.shown:
            assert row.nps_diff.p_adjusted == pytest.approx(expected[(row.theme, "nps")], rel=1e-9)
            assert row.csat_diff.p_adjusted == pytest.approx(expected[(row.theme, "csat")], rel=1e-9)
    # ranked by impact, the largest loss first; the suppressed theme last
    order = [r.theme for r in table.themes]
    assert order[0] == "Waiting" and order[-1] == "Rare" and order[-2] == "Staff"
    assert [r.rank for r in table.themes] == [1, 2, 3, 4]
    by = {r.theme: r for r in table.themes}
    assert by["Waiting"].impact < 0 < by["Staff"].impact
    assert by["Waiting"].nps_diff.significant and by["Staff"].nps_diff.significant


def test_bonferroni_and_no_adjustment_change_only_the_adjusted_p():
    nps, csat, w, themes = weighted_survey(seed=5)
    bh = theme_impact(nps, themes, weights=w)
    bonf = theme_impact(nps, themes, weights=w, adjust="bonferroni")
    none = theme_impact(nps, themes, weights=w, adjust="none")
    for a, b, c in zip(bh.themes, bonf.themes, none.themes):
        if a.nps_diff is None:
            continue
        assert a.nps_diff.p_value == b.nps_diff.p_value == c.nps_diff.p_value
        assert b.nps_diff.p_adjusted == pytest.approx(min(1.0, bh.n_tests * a.nps_diff.p_value))
        assert c.nps_diff.p_adjusted == a.nps_diff.p_value


def test_per_comment_flags_become_respondent_flags():
    rows = np.array([0, 0, 2, 3, 3])                # respondent 0 and 3 wrote two comments each
    flags = np.array([[False, True], [True, False], [False, False], [False, False], [True, True]])
    out = respondent_flags(flags, rows, 5)
    assert out.tolist() == [[True, True], [False, False], [False, False], [True, True], [False, False]]
    assert respondent_flags(flags[:, 0], rows, 5).tolist() == [True, False, False, True, False]
    with pytest.raises(DataError, match="rows"):
        respondent_flags(flags, np.array([0, 0, 2, 3, 9]), 5)


def sudzilla():
    frame = pd.read_csv(REALDATA / "sudzilla_event_survey" / "input_01.csv")
    score, why = frame.columns[1], frame.columns[2]
    return frame[score].to_numpy(float), frame[why].fillna("").astype(str).tolist()


FRAME = {"Soap": ["soap", "soapy", "suds", "sudz", "lather", "lathering", "bubbly"],
         "Content": ["content", "sessions", "speakers", "keynote", "talks"],
         "Clean": ["clean"]}


def test_theme_impact_on_real_event_survey_comments():
    nps, texts = sudzilla()
    coded = code_themes(texts, FRAME)
    table = theme_impact(nps, coded, rules=SMALL)
    frame = pd.DataFrame({"nps": nps, **coded})
    frame["score"] = np.select([frame.nps >= 9, frame.nps <= 6], [100.0, -100.0], 0.0)
    overall = frame.score.mean()
    assert table.overall_nps.value == pytest.approx(overall)
    assert table.overall_nps.n == 39
    for row in table.themes:
        groups = frame.groupby(frame[row.theme])["score"]
        means, sizes = groups.mean(), groups.size()
        assert row.count == sizes[True]
        assert row.nps_theme.value == pytest.approx(means[True])
        assert row.nps_other.value == pytest.approx(means[False])
        assert row.impact == pytest.approx(overall - means[False])
        var = groups.var(ddof=0)
        se = math.sqrt(var[True] / sizes[True] + var[False] / sizes[False])
        if row.shown:
            assert row.nps_diff.se == pytest.approx(se)
    by = {r.theme: r for r in table.themes}
    assert by["Soap"].count >= 10 and by["Content"].count >= 5
    # the same flags as a DataFrame of columns give the same table
    again = theme_impact(pd.Series(nps), pd.DataFrame(coded), rules=SMALL)
    assert [(r.theme, r.impact) for r in again.themes] == [(r.theme, r.impact) for r in table.themes]


# --------------------------------------------------------------------------- trends


def trend_data(n=6000, seed=3):
    rng = np.random.default_rng(seed)
    period = rng.integers(0, 4, n)
    commented = rng.random(n) < 0.7
    rates = {"Rising": np.array([0.05, 0.05, 0.06, 0.12]), "Flat": np.array([0.1, 0.1, 0.1, 0.1]),
             "Falling": np.array([0.2, 0.15, 0.1, 0.08])}
    themes = {k: commented & (rng.random(n) < r[period]) for k, r in rates.items()}
    sentiment = np.where(commented, np.clip(rng.normal(0.1 - 0.05 * period, 0.5, n), -1, 1), np.nan)
    w = rng.uniform(0.5, 2.0, n)
    return themes, period, commented, sentiment, w


def test_trends_match_an_independent_weighted_calculation():
    themes, period, commented, sentiment, w = trend_data()
    tr = theme_trends(themes, period, commented=commented, sentiment=sentiment, weights=w,
                      labels=["Q1", "Q2", "Q3", "Q4"])
    assert tr.periods == ["Q1", "Q2", "Q3", "Q4"] and tr.base == "comments"
    frame = pd.DataFrame({"p": period, "c": commented, "w": w, "s": sentiment, **themes})
    com = frame[frame.c]
    for trend in tr.themes:
        raw = []
        for p, cell in enumerate(trend.cells):
            g = com[com.p == p]
            share = (g.w * g[trend.theme]).sum() / g.w.sum()
            n_eff = g.w.sum() ** 2 / (g.w ** 2).sum()
            assert cell.count == int(g[trend.theme].sum()) and cell.base == len(g)
            assert cell.share == pytest.approx(100 * share)
            lo, hi = wilson_by_root(share, n_eff)
            assert (cell.low, cell.high) == pytest.approx((100 * lo, 100 * hi), rel=1e-7)
            r = frame[frame.p == p]
            assert cell.respondents == len(r)
            assert cell.share_respondents == pytest.approx(100 * (r.w * r[trend.theme]).sum() / r.w.sum())
            hit = g[g[trend.theme]]
            assert cell.mean_sentiment == pytest.approx(np.average(hit.s, weights=hit.w))
            if p == 0:
                assert cell.change is None
                continue
            prev = com[com.p == p - 1]
            p0 = (prev.w * prev[trend.theme]).sum() / prev.w.sum()
            n0 = prev.w.sum() ** 2 / (prev.w ** 2).sum()
            assert cell.change.value == pytest.approx(100 * (share - p0))
            assert cell.change.p_value == pytest.approx(pooled_p(share, n_eff, p0, n0), rel=1e-6)
            raw.append(cell.change.p_value)
    # adjusted within each period's table: the three themes' tests of one period together
    for p in (1, 2, 3):
        ps = [t.cells[p].change.p_value for t in tr.themes]
        adj = false_discovery_control(ps, method="bh")
        assert [t.cells[p].change.p_adjusted for t in tr.themes] == pytest.approx(list(adj), rel=1e-9)
    by = {t.theme: t for t in tr.themes}
    assert by["Rising"].cells[3].change.significant and by["Rising"].cells[3].change.direction == 1
    assert not any(c.change.significant for c in by["Flat"].cells[1:])
    # mean sentiment per period, Welch's t against the previous period (weighted: n_eff)
    sraw = []
    for p, row in enumerate(tr.sentiment):
        g = com[com.p == p]
        m = np.average(g.s, weights=g.w)
        n_eff = g.w.sum() ** 2 / (g.w ** 2).sum()
        sd = math.sqrt(np.average((g.s - m) ** 2, weights=g.w) * n_eff / (n_eff - 1))
        assert row.mean == pytest.approx(m) and row.n == len(g) and row.sd == pytest.approx(sd)
        half = sps.t.ppf(0.975, n_eff - 1) * sd / math.sqrt(n_eff)
        assert (row.low, row.high) == pytest.approx((m - half, m + half))
        if p:
            q = tr.sentiment[p - 1]
            t = sps.ttest_ind_from_stats(m, sd, n_eff, q.mean, q.sd, q.n_eff, equal_var=False)
            assert row.change.statistic == pytest.approx(t.statistic)
            assert row.change.p_value == pytest.approx(t.pvalue, rel=1e-8)
            sraw.append(t.pvalue)
    assert [r.change.p_adjusted for r in tr.sentiment[1:]] == pytest.approx(
        list(false_discovery_control(sraw, method="bh")))
    assert tr.sentiment[3].change.significant and tr.sentiment[3].change.value < 0


def test_unweighted_sentiment_test_is_scipys_welch():
    themes, period, commented, sentiment, _w = trend_data(n=2000, seed=8)
    tr = theme_trends(themes, period, commented=commented, sentiment=sentiment)
    for p in (1, 2, 3):
        a = sentiment[commented & (period == p)]
        b = sentiment[commented & (period == p - 1)]
        ref = sps.ttest_ind(a, b, equal_var=False)
        assert tr.sentiment[p].change.p_value == pytest.approx(ref.pvalue, rel=1e-8)
        assert tr.sentiment[p].n_eff == pytest.approx(len(a))
        ci = ref.confidence_interval(0.95)
        change = tr.sentiment[p].change
        assert (change.low, change.high) == pytest.approx((ci.low, ci.high), rel=1e-6)


def test_share_of_respondents_can_be_the_tested_base():
    themes, period, commented, _s, _w = trend_data(n=3000, seed=4)
    tr = theme_trends(themes, period, commented=commented, base="respondents")
    for trend in tr.themes:
        for p in (1, 2, 3):
            x1 = int((themes[trend.theme] & (period == p)).sum())
            x0 = int((themes[trend.theme] & (period == p - 1)).sum())
            n1, n0 = int((period == p).sum()), int((period == p - 1).sum())
            cell = trend.cells[p]
            assert cell.change.value == pytest.approx(100 * (x1 / n1 - x0 / n0))
            assert cell.change.p_value == pytest.approx(pooled_p(x1 / n1, n1, x0 / n0, n0), rel=1e-6)


def test_periods_as_cxreport_codes_labels_or_an_explicit_order():
    themes, period, commented, _s, _w = trend_data(n=2000, seed=9)
    codes = np.where(np.arange(2000) % 50 == 0, -1, period)          # −1: no date
    tr = theme_trends(themes, codes, commented=commented)
    assert [c.base for c in tr.themes[0].cells] == [int((commented & (codes == p)).sum()) for p in range(4)]
    text = np.array(["2026 Q%d" % (p + 1) for p in period], dtype=object)
    text[:5] = None
    tr = theme_trends(themes, text, commented=commented, order=["2026 Q4", "2026 Q3", "2026 Q2", "2026 Q1"])
    assert tr.periods == ["2026 Q4", "2026 Q3", "2026 Q2", "2026 Q1"]
    assert tr.themes[0].cells[0].base == int((commented[5:] & (period[5:] == 3)).sum())
    # a period with too few comments shows no share test, nor does the period after it
    few = period.copy()
    few[(few == 1)] = 4
    few[:3] = 1
    tr = theme_trends(themes, few, commented=np.ones(2000, bool) & True, order=[0, 1, 2, 3, 4],
                      rules=BaseRules(30, 50))
    cells = tr.themes[0].cells
    assert cells[1].base_flag == "suppressed" and cells[1].change is None and cells[2].change is None
    assert cells[3].change is not None


def test_trends_on_real_weighted_waves():
    frame = pd.read_csv(REALDATA / "quantipy_example_a" / "example_data_a.csv", usecols=["q8a", "Wave", "weight_a"])
    texts = frame["q8a"].fillna("").astype(str).tolist()
    coded = code_themes(texts, {"Wow": ["wow"], "Much": ["much"], "Far": ["far"]})
    commented = frame["q8a"].notna().to_numpy()
    tr = theme_trends(coded, frame["Wave"].to_numpy(), commented=commented, weights=frame["weight_a"].to_numpy())
    assert tr.periods == ["1", "2", "3", "4", "5"]
    com = frame[commented].assign(**{k: v[commented] for k, v in coded.items()})
    for trend in tr.themes:
        for p, cell in zip(range(1, 6), trend.cells):
            g = com[com.Wave == p]
            assert cell.base == len(g) and cell.count == int(g[trend.theme].sum())
            assert cell.share == pytest.approx(100 * np.average(g[trend.theme], weights=g.weight_a))
    assert sum(c.base for c in tr.themes[0].cells) == int(commented.sum()) == 2366


# --------------------------------------------------------------------------- emerging themes


def test_emerging_theme_is_flagged_and_the_steady_ones_are_not():
    themes, period, commented, _s, w = trend_data(n=12000, seed=21)
    tr = theme_trends(themes, period, commented=commented, weights=w)
    em = emerging_themes(tr)
    assert em.period == "3" and em.previous == "2"
    assert [e.theme for e in em.emerging] == ["Rising"]
    rising = next(c for c in em.candidates if c.theme == "Rising")
    assert rising.change is tr.themes[0].cells[3].change
    # baseline: the three earlier periods pooled
    frame = pd.DataFrame({"p": period, "w": w, "x": themes["Rising"]})[commented]
    early, late = frame[frame.p < 3], frame[frame.p == 3]
    p0, p1 = np.average(early.x, weights=early.w), np.average(late.x, weights=late.w)
    n0 = early.w.sum() ** 2 / (early.w ** 2).sum()
    n1 = late.w.sum() ** 2 / (late.w ** 2).sum()
    assert rising.baseline_share == pytest.approx(100 * p0)
    assert rising.baseline.value == pytest.approx(100 * (p1 - p0))
    assert rising.baseline.p_value == pytest.approx(pooled_p(p1, n1, p0, n0), rel=1e-6)
    falling = next(c for c in em.candidates if c.theme == "Falling")
    assert not falling.emerging and falling.reason == "no_rise"


def counts_data(counts, bases):
    """Flags giving ``counts[p]`` mentions among ``bases[p]`` comments per period."""
    period = np.concatenate([np.full(b, p) for p, b in enumerate(bases)])
    flags = np.concatenate([np.arange(b) < c for c, b in zip(counts, bases)])
    return flags, period


def test_a_jump_of_a_few_mentions_is_not_emerging():
    # 1 → 9 mentions of 2,000 comments: significant, but fewer than 10 mentions
    flags, period = counts_data([1, 1, 1, 9], [2000, 2000, 2000, 2000])
    tr = theme_trends({"New": flags}, period)
    assert tr.themes[0].cells[3].change.p_adjusted < 0.05
    em = emerging_themes(tr)
    assert em.emerging == [] and em.candidates[0].reason == "few_mentions"
    assert [e.theme for e in emerging_themes(tr, min_count=5).emerging] == ["New"]
    assert emerging_themes(tr, min_count=5, min_rise=1.0).candidates[0].reason == "small_rise"
    # 1 → 3 is never emerging, with bases of any size
    flags, period = counts_data([1, 3], [100000, 100000])
    assert emerging_themes(theme_trends({"T": flags}, period), min_count=1).emerging == []


def test_a_rebound_after_a_dip_is_not_emerging_against_the_earlier_periods():
    flags, period = counts_data([100, 100, 100, 70, 100], [1000] * 5)
    tr = theme_trends({"Back": flags}, period)
    assert tr.themes[0].cells[4].change.significant
    em = emerging_themes(tr)
    assert em.emerging == [] and em.candidates[0].reason == "not_above_earlier"
    assert [e.theme for e in emerging_themes(tr, against_baseline=False).emerging] == ["Back"]
    # two periods: the previous one is the only baseline
    flags, period = counts_data([40, 100], [1000, 1000])
    em = emerging_themes(theme_trends({"New": flags}, period))
    assert [e.theme for e in em.emerging] == ["New"] and em.candidates[0].baseline is None


# --------------------------------------------------------------------------- bad input


def test_bad_inputs_raise_one_line_errors():
    nps, mention = worked_example()
    bad = nps.copy()
    bad[3] = 11
    with pytest.raises(DataError, match=r"nps: value 11 at position 3 is not a point of the 0–10 scale"):
        theme_impact(bad, {"T": mention})
    with pytest.raises(DataError, match=r"mentions\['T'\]: 199 values for 200 rows"):
        theme_impact(nps, {"T": mention[:-1]})
    with pytest.raises(DataError, match=r"mentions\['T'\]: value 2 at position 0"):
        theme_impact(nps, {"T": np.full(200, 2)})
    with pytest.raises(DataError, match="mentions: no themes"):
        theme_impact(nps, {})
    w = np.ones(200)
    w[7] = -1
    with pytest.raises(DataError, match="weights: value -1.0 at position 7"):
        theme_impact(nps, {"T": mention}, weights=w)
    with pytest.raises(DataError, match="csat: value 6 at position 0 is not a point of the 1–5 scale"):
        theme_impact(nps, {"T": mention}, csat=np.full(200, 6.0))
    with pytest.raises(DataError, match="nps: no valid answer"):
        theme_impact(np.full(200, np.nan), {"T": mention})
    with pytest.raises(ConfigError, match="adjust: unknown adjustment 'holm'"):
        theme_impact(nps, {"T": mention}, adjust="holm")
    with pytest.raises(ConfigError, match="alpha"):
        theme_impact(nps, {"T": mention}, alpha=5)
    periods = np.arange(200) % 2
    with pytest.raises(ConfigError, match="base: 'people'"):
        theme_trends({"T": mention}, periods, base="people")
    with pytest.raises(DataError, match="mentions: row 0 mentions a theme but has no comment"):
        theme_trends({"T": mention}, periods, commented=np.zeros(200, bool))
    with pytest.raises(DataError, match="periods: 3 values for 200 rows"):
        theme_trends({"T": mention}, [0, 1, 2])
    with pytest.raises(ConfigError, match="order: a period is listed twice"):
        theme_trends({"T": mention}, periods, order=[0, 1, 1])
    with pytest.raises(DataError, match="sentiment: 2 values"):
        theme_trends({"T": mention}, periods, sentiment=[0.1, 0.2])
    with pytest.raises(ConfigError, match="min_count"):
        emerging_themes(theme_trends({"T": mention}, periods), min_count=0)
    with pytest.raises(DataError, match="theme 'T' appears twice"):
        theme_impact(nps, pd.DataFrame(np.c_[mention, mention], columns=["T", "T"]))
