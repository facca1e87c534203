"""Emotion by touchpoint and journey stage (cxreport/scoring/emotion.py): mean sentiment,
% positive and % negative with their intervals, the test of each group against the rest
and the table's adjustment, against METHODS.md's worked examples and independent
calculations (scipy, pandas); tone thresholds as cxreport.scoring.comments labels them;
dominant themes; stages; suppression; one-line errors. Real data: the event attendees'
comments (../shared/realdata/sudzilla_event_survey, read in place) scored by the project's
own sentiment analyser."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from cxreport.errors import ConfigError, DataError
from cxreport.scoring.comments import label, sentiment_scores
from cxreport.scoring.emotion import emotion_by_group, emotion_map, tone_labels
from cxreport.scoring.kpis import BaseRules

EVENT = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "sudzilla_event_survey"


def wilson(k: float, n: float) -> tuple[float, float]:
    """scipy's Wilson interval in %. It uses the exact normal quantile (1.95996398…) where
    METHODS.md fixes z = 1.959964, so the two agree to about 1e-8 relative, not to the last bit."""
    ci = sps.binomtest(int(k), int(n)).proportion_ci(0.95, method="wilson")
    return 100 * ci.low, 100 * ci.high


def pooled_z(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Two-proportion z-test with the pooled proportion, by hand: (z, two-sided p)."""
    pooled = (a.sum() + b.sum()) / (len(a) + len(b))
    z = (a.mean() - b.mean()) / math.sqrt(pooled * (1 - pooled) * (1 / len(a) + 1 / len(b)))
    return z, 2 * sps.norm.sf(abs(z))


def journey_comments(n: int = 4000, seed: int = 3):
    rng = np.random.default_rng(seed)
    touchpoints = rng.choice(["Website", "Branch", "Call centre", "Delivery", "Returns", ""], n,
                             p=[0.25, 0.2, 0.2, 0.2, 0.005, 0.145])
    shift = pd.Series(touchpoints).map({"Website": 0.15, "Branch": 0.05, "Call centre": -0.05, "Delivery": -0.3,
                                        "Returns": 0.0, "": 0.0}).to_numpy()
    scores = np.clip(rng.normal(0.05 + shift, 0.5), -1, 1)
    scores[rng.random(n) < 0.1] = 0.0              # neutral comments, as VADER gives many
    themes = {"price": rng.random(n) < 0.15, "staff": rng.random(n) < 0.2,
              "speed": (rng.random(n) < 0.1) | ((touchpoints == "Delivery") & (scores < 0) & (rng.random(n) < 0.6))}
    return scores, touchpoints, themes


# --------------------------------------------------------------------------- worked examples


def test_positive_share_interval_is_the_methods_wilson_example():
    """METHODS.md §1: 12 of 40 → 0.18075 to 0.45430 (Wilson); 0 of 25 would be suppressed, so
    the 0-of-n bound is checked on 0 of 30 against scipy."""
    scores = [0.6] * 12 + [-0.4] * 10 + [0.0] * 18 + [-0.5] * 30
    groups = ["Checkout"] * 40 + ["Delivery"] * 30
    table = emotion_by_group(scores, groups)
    checkout, delivery = table.groups
    assert checkout.positive.value == pytest.approx(30.0)
    assert (checkout.positive.low, checkout.positive.high) == (pytest.approx(18.075, abs=5e-4),
                                                               pytest.approx(45.430, abs=5e-4))
    assert checkout.counts == {"positive": 12, "negative": 10, "neutral": 18}
    assert checkout.base == "small" and delivery.base == "small"
    assert delivery.positive.value == 0.0 and delivery.positive.low == 0.0
    assert delivery.positive.high == pytest.approx(wilson(0, 30)[1], rel=1e-6)
    assert delivery.negative.value == 100.0


def test_mean_interval_is_the_t_interval_and_net_tone_has_the_nps_variance():
    """The mean's interval is the METHODS.md §1 t interval (example 2, 4, 4, 5, 7, 8 → 2.70080 …
    7.29920, here scaled by 1/10 onto −1 … 1); net tone = % positive − % negative with the
    NPS variance p + d − (p − d)² (METHODS.md §1)."""
    scores = [0.2, 0.4, 0.4, 0.5, 0.7, 0.8]
    table = emotion_by_group(scores, ["Web"] * 6, rules=BaseRules(0, 0))
    web = table.groups[0]
    assert web.mean.value == pytest.approx(0.5)
    assert (web.mean.low, web.mean.high) == (pytest.approx(0.270080, abs=5e-7), pytest.approx(0.729920, abs=5e-7))
    rng = np.random.default_rng(1)
    scores = rng.choice([-0.6, 0.0, 0.7], 300, p=[0.3, 0.2, 0.5])
    g = emotion_by_group(scores, ["Web"] * 300).groups[0]
    coded = np.sign(scores)
    se = 100 * math.sqrt(coded.var() / 300)
    assert g.net.value == pytest.approx(100 * coded.mean(), rel=1e-12)
    assert (g.net.low, g.net.high) == (pytest.approx(100 * coded.mean() - 1.959964 * se, rel=1e-9),
                                       pytest.approx(100 * coded.mean() + 1.959964 * se, rel=1e-9))


# --------------------------------------------------------------------------- tests against the rest


def test_every_group_is_tested_against_all_other_comments_and_adjusted_together():
    scores, touchpoints, _themes = journey_comments()
    table = emotion_by_group(scores, touchpoints)
    assert [g.group for g in table.groups] == ["Branch", "Call centre", "Delivery", "Returns", "Website"]
    assert table.unlinked == int((touchpoints == "").sum()) and table.unscored == 0
    frame = pd.DataFrame({"g": touchpoints, "x": scores})
    frame["pos"], frame["neg"] = frame.x >= 0.05, frame.x <= -0.05
    raw = []
    for g in table.groups:
        mine, rest = frame[frame.g == g.group], frame[frame.g != g.group]
        assert g.n == len(mine)
        if g.group == "Returns":                      # about 20 comments: suppressed, never tested
            assert g.base == "suppressed" and g.mean is None and g.vs_rest == {} and g.net is None
            continue
        assert g.mean.value == pytest.approx(mine.x.mean(), rel=1e-12)
        half = sps.t.ppf(0.975, len(mine) - 1) * mine.x.std(ddof=1) / math.sqrt(len(mine))
        assert (g.mean.low, g.mean.high) == (pytest.approx(mine.x.mean() - half, rel=1e-9),
                                             pytest.approx(mine.x.mean() + half, rel=1e-9))
        assert (g.positive.low, g.positive.high) == pytest.approx(wilson(mine.pos.sum(), len(mine)), rel=1e-6)
        assert (g.negative.low, g.negative.high) == pytest.approx(wilson(mine.neg.sum(), len(mine)), rel=1e-6)
        welch = sps.ttest_ind(mine.x, rest.x, equal_var=False)
        assert g.vs_rest["mean"].statistic == pytest.approx(welch.statistic, rel=1e-9)
        assert g.vs_rest["mean"].p_value == pytest.approx(welch.pvalue, rel=1e-8)
        assert g.vs_rest["mean"].diff == pytest.approx(mine.x.mean() - rest.x.mean(), rel=1e-12)
        for key in ("positive", "negative"):
            z, p = pooled_z(mine[key[:3]].to_numpy(float), rest[key[:3]].to_numpy(float))
            assert g.vs_rest[key].statistic == pytest.approx(z, rel=1e-9)
            assert g.vs_rest[key].p_value == pytest.approx(p, rel=1e-8)
            assert g.vs_rest[key].diff == pytest.approx(100 * (mine[key[:3]].mean() - rest[key[:3]].mean()))
        raw += [(g, k) for k in ("mean", "positive", "negative")]
    expected = sps.false_discovery_control([g.vs_rest[k].p_value for g, k in raw], method="bh")
    assert [g.vs_rest[k].p_adjusted for g, k in raw] == pytest.approx(expected.tolist(), rel=1e-12)
    assert [g.vs_rest[k].significant for g, k in raw] == [bool(q <= 0.05) for q in expected]
    assert table.n_tests == 12 and not table.chance_note
    delivery = next(g for g in table.groups if g.group == "Delivery")
    website = next(g for g in table.groups if g.group == "Website")
    assert delivery.vs_rest["mean"].mark == -1 and delivery.vs_rest["negative"].mark == 1
    assert website.vs_rest["mean"].mark == 1
    assert table.total.n == 4000 and table.total.mean.value == pytest.approx(scores.mean(), rel=1e-12)


def test_no_test_when_the_rest_is_below_the_base():
    scores = np.linspace(-1, 1, 120)
    groups = ["Web"] * 100 + ["Shop"] * 20
    table = emotion_by_group(scores, groups)
    shop, web = table.groups
    assert shop.group == "Shop" and not shop.shown
    assert web.shown and web.vs_rest == {}            # the rest (Shop's 20) is too small to test against
    assert emotion_by_group(scores, groups, rules=BaseRules(10, 20)).groups[1].vs_rest["mean"].p_value > 0


def test_weighted_figures_use_kish_effective_n():
    rng = np.random.default_rng(7)
    scores = np.clip(rng.normal(0.1, 0.5, 600), -1, 1)
    groups = rng.choice(["A", "B"], 600)
    w = rng.uniform(0.3, 3.0, 600)
    a = emotion_by_group(scores, groups, w).groups[0]
    mask = groups == "A"
    x, v = scores[mask], w[mask]
    n_eff = v.sum() ** 2 / (v * v).sum()
    assert a.n_eff == pytest.approx(n_eff, rel=1e-12) and a.weighted_base == pytest.approx(v.sum())
    assert a.mean.value == pytest.approx(np.average(x, weights=v), rel=1e-12)
    p = np.average(x >= 0.05, weights=v)
    assert a.positive.value == pytest.approx(100 * p, rel=1e-12)
    z2 = 1.959964 ** 2
    centre = (p + z2 / (2 * n_eff)) / (1 + z2 / n_eff)
    half = 1.959964 * math.sqrt(p * (1 - p) / n_eff + z2 / (4 * n_eff ** 2)) / (1 + z2 / n_eff)
    assert (a.positive.low, a.positive.high) == (pytest.approx(100 * (centre - half), rel=1e-9),
                                                 pytest.approx(100 * (centre + half), rel=1e-9))


# --------------------------------------------------------------------------- tone


def test_tone_uses_the_comment_modules_thresholds_including_chinese():
    scores = np.array([0.05, 0.049, -0.05, 0.1, -0.15, 0.2, -0.2, np.nan])
    zh = np.array([False, False, False, True, True, True, True, False])
    expected = [label(s, c) for s, c in zip(scores[:-1], zh[:-1])] + [""]
    assert tone_labels(scores, zh).tolist() == expected
    assert expected[:7] == ["positive", "neutral", "negative", "neutral", "neutral", "positive", "negative"]
    groups = ["T"] * 8
    table = emotion_by_group(scores, groups, chinese=zh, rules=BaseRules(0, 0))
    assert table.groups[0].counts == {"positive": 2, "negative": 2, "neutral": 3}
    assert table.unscored == 1
    given = emotion_by_group(scores[:3], groups[:3], labels=["negative", "negative", "positive"], rules=BaseRules(0, 0))
    assert given.groups[0].counts == {"positive": 1, "negative": 2, "neutral": 0}


# --------------------------------------------------------------------------- themes


def test_dominant_theme_and_dominant_negative_theme_per_touchpoint():
    scores, touchpoints, themes = journey_comments()
    table = emotion_by_group(scores, touchpoints, themes=themes)
    frame = pd.DataFrame({"g": touchpoints, "neg": scores <= -0.05, **themes})
    for g in table.groups:
        if not g.shown:
            assert g.top_theme is None and g.themes == {}
            continue
        mine = frame[frame.g == g.group]
        shares = 100 * mine[list(themes)].mean()
        assert g.themes == pytest.approx(shares.to_dict(), rel=1e-12)
        assert (g.top_theme.theme, g.top_theme.share) == (shares.idxmax(), pytest.approx(shares.max()))
        assert g.top_theme.count == int(mine[shares.idxmax()].sum())
        neg = mine[mine.neg][list(themes)].sum()
        assert g.top_negative_theme.theme == neg.idxmax()
        assert g.top_negative_theme.share == pytest.approx(100 * neg.max() / mine.neg.sum())
    delivery = next(g for g in table.groups if g.group == "Delivery")
    assert delivery.top_negative_theme.theme == "speed"


def test_dominant_theme_ties_go_to_the_frame_order_and_unmentioned_themes_never_win():
    scores = [0.5] * 40
    groups = ["T"] * 40
    flags = {"zeta": [True] * 10 + [False] * 30, "alpha": [False] * 30 + [True] * 10, "none": [False] * 40}
    g = emotion_by_group(scores, groups, themes=flags).groups[0]
    assert g.top_theme.theme == "zeta" and g.top_theme.share == 25.0 and g.top_theme.count == 10
    assert g.top_negative_theme is None               # no negative comment
    g = emotion_by_group(scores, groups, themes={"none": [False] * 40}).groups[0]
    assert g.top_theme is None


# --------------------------------------------------------------------------- stages


def test_stages_from_the_touchpoints_mapping_and_from_the_comments_own_stages():
    scores, touchpoints, themes = journey_comments(seed=5)
    stage_of = {"Website": "Choose", "Branch": "Choose", "Call centre": "Get help", "Delivery": "Receive",
                "Returns": "Receive"}
    jmap = emotion_map(scores, touchpoints, stage_of=stage_of, stage_order=["Choose", "Receive", "Get help"])
    assert [g.group for g in jmap.stages.groups] == ["Choose", "Receive", "Get help"]
    comment_stage = pd.Series(touchpoints).map(stage_of)
    for g in jmap.stages.groups:
        x = scores[(comment_stage == g.group).to_numpy()]
        assert g.n == len(x) and g.mean.value == pytest.approx(x.mean(), rel=1e-12)
    assert {g.group: g.stage for g in jmap.touchpoints.groups} == stage_of == jmap.stage_of
    # the same stages given per comment, with a few comments filed under another stage
    stages = comment_stage.to_numpy(dtype=object).copy()
    stages[np.flatnonzero(touchpoints == "Branch")[:5]] = "Get help"
    own = emotion_map(scores, touchpoints, stages)
    assert own.stage_of == stage_of                   # the stage most of a touchpoint's comments are in
    only_stages = emotion_map(scores, stages=stages)
    assert only_stages.touchpoints is None and only_stages.stage_of == {}
    assert [g.n for g in only_stages.stages.groups] == [g.n for g in own.stages.groups]


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("call, error, message", [
    (lambda: emotion_by_group([0.2, 1.5], ["A", "B"]), DataError, "sentiment: score 1.5 is outside −1 … 1"),
    (lambda: emotion_by_group(["good", 0.1], ["A", "B"]), DataError, "sentiment: the scores must be numbers"),
    (lambda: emotion_by_group([0.2, 0.1], ["A"]), DataError, "touchpoint: 1 labels for 2 comments"),
    (lambda: emotion_by_group([0.2, 0.1], ["A", "B"], [1.0]), DataError, "weights: 1 values for 2 comments"),
    (lambda: emotion_by_group([0.2, 0.1], ["A", "B"], labels=["good", "bad"]), DataError,
     "tone labels: 'good' is not one of positive, neutral, negative"),
    (lambda: emotion_by_group([0.2, 0.1], ["A", "B"], themes={"price": [True]}), DataError,
     "theme 'price': 1 flags for 2 comments"),
    (lambda: emotion_by_group([0.2, 0.1], ["A", "B"], order=["A", "Z"]), DataError, "touchpoint 'Z' has no rows"),
    (lambda: emotion_by_group([0.2, 0.1], ["A", "B"], adjust="fdr"), ConfigError, "adjust: 'fdr' is not one of"),
    (lambda: emotion_map([0.2, 0.1]), ConfigError, "emotion map: give the comments' touchpoints, stages or both"),
    (lambda: emotion_map([0.2, 0.1], ["A", "B"], stage_of={"A": "Buy"}), ConfigError,
     "stage_of: touchpoint 'B' has no stage"),
])
def test_bad_input_is_a_one_line_error(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert message in info.value.message and "\n" not in info.value.message


# --------------------------------------------------------------------------- real data


def test_real_event_comments_by_touchpoint():
    """78 attendees of a real event (two exports, read in place): the "why" of the overall
    rating, the favourite giveaway and the favourite session are comments on three
    touchpoints, scored by the project's own VADER analyser; blanks are not scored."""
    frames = [pd.read_csv(EVENT / name) for name in ("input_01.csv", "input_02.csv")]
    questions = {"...why?": "Overall event", "What was your favourite giveaway at Sudzilla?": "Giveaways",
                 "What was your favourite 'Soap Box' (breakout / customer speaker) session?": "Sessions"}
    texts, touchpoints = [], []
    for frame in frames:
        for column, touchpoint in questions.items():
            texts += frame[column].tolist()
            touchpoints += [touchpoint] * len(frame)
    blank = [not isinstance(t, str) or not t.strip() for t in texts]
    scores = sentiment_scores(["" if b else t for b, t in zip(blank, texts)])
    scores[np.array(blank)] = np.nan
    table = emotion_by_group(scores, touchpoints, order=list(questions.values()))
    assert table.unscored == sum(blank) > 0 and table.unlinked == 0
    frame = pd.DataFrame({"tp": touchpoints, "x": scores}).dropna()
    for g in table.groups:
        mine, rest = frame[frame.tp == g.group], frame[frame.tp != g.group]
        assert g.n == len(mine) >= 70 and g.base == "ok"
        assert g.mean.value == pytest.approx(mine.x.mean(), rel=1e-12)
        assert g.positive.value == pytest.approx(100 * (mine.x >= 0.05).mean(), rel=1e-12)
        assert g.negative.value == pytest.approx(100 * (mine.x <= -0.05).mean(), rel=1e-12)
        assert g.vs_rest["mean"].p_value == pytest.approx(sps.ttest_ind(mine.x, rest.x, equal_var=False).pvalue,
                                                          rel=1e-8)
    # the favourite session names are mostly titles: fewer positive words than the giveaways
    by = {g.group: g for g in table.groups}
    assert by["Sessions"].positive.value < by["Giveaways"].positive.value
