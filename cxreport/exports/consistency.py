"""Scores JSON: `consistency` (issue 16, item 5): each KPI across the channels, every pair of
channels tested, the largest gap with its test and the consistency index (docs/methods.md,
"Consistency across channels"), read from the study's
:class:`cxreport.scoring.consistency.StudyConsistency` as the report's section is."""

from __future__ import annotations

import math

from cxreport.jsonschema import BASE, ITEM, SIX, Key, arr, key, mapping, obj

UNIT = "`points` (NPS, a CES index), `percent` (a top-2-box %), `mean` or `index` (ACSI-style)"

_GAP = (
    key("high", "string", "The channel with the higher figure (the largest gap: the highest channel)."),
    key("low", "string", "The channel with the lower figure (the largest gap: the lowest channel)."),
    key("diff", "number", "Figure of `high` minus figure of `low`, exact, in the KPI's unit; " + SIX + "."),
    key("shown_diff", "number", "The same difference of the two figures as printed (the report's gap), at the "
                                "unit's precision.", null=True),
    key("statistic", "number", "The test statistic (z, or Welch's t), positive when `high` is higher; " + SIX + ".",
        null=True),
    key("p", "number", "Two-sided p-value of the test; " + SIX + ".", null=True),
    key("p_adjusted", "number", "The p-value adjusted together with every pair of every KPI of the table "
                                "(`method` of the block); " + SIX + ".", null=True),
    key("test", "string", "The test: `NPS difference z-test`, `index difference z-test`, `two-proportion z-test` "
                          "or `Welch t-test`."),
    key("significant", "boolean", "Adjusted p ≤ `alpha`."),
)

_KPI = (
    key("key", "string", "The KPI: " + ITEM + "."),
    key("label", "string", "Its label."),
    key("unit", "string", "Unit of its headline figure: " + UNIT + "."),
    key("scale_low", "number", "Lower end of the headline's scale (−100 for NPS, 0 for a %, the scale's low end "
                               "for a mean).", null=True, when="null for an unbounded numeric attribute"),
    key("scale_high", "number", "Upper end of the headline's scale.", null=True,
        when="null for an unbounded numeric attribute"),
    arr("channels", "One per channel of the block's `channels`, in that order.", (
        key("channel", "string", "The channel."),
        key("n", "integer", "Valid answers to this KPI in the channel (unweighted)."),
        key("weighted_base", "number", "Their weighted base (= `n` unweighted); " + SIX + "."),
        key("base", "string", "Base flag: " + BASE + "."),
        key("value", "number", "The KPI's headline figure in the channel, in `unit`; " + SIX + ".", null=True,
            when="null when the base is suppressed"),
        key("low", "number", "Lower end of its 95 % interval; " + SIX + ".", null=True,
            when="null when the base is suppressed"),
        key("high", "number", "Upper end of its 95 % interval; " + SIX + ".", null=True,
            when="null when the base is suppressed"),
    )),
    arr("pairs", "Every pair of channels with a figure, in the channels' order, each with the channel of the "
                 "higher figure as `high`.", _GAP),
    obj("largest_gap", "The highest channel minus the lowest (ties: the first in the channels' order), with that "
                       "pair's test.", *_GAP, null=True, when="null with fewer than two channels with a figure"),
    key("spread_sd", "number", "Weighted standard deviation of the channels' figures (weights: `weighting`), in "
                               "`unit`; " + SIX + ".", null=True, when="null with fewer than two channels with a figure"),
    key("gap_pct_of_span", "number", "The largest gap as a % of the scale's span; " + SIX + ".", null=True,
        when="null without a largest gap or for an unbounded attribute"),
    key("index", "number", "Consistency index 0–100: 100 · (1 − 2 · `spread_sd` / span of the scale) "
                           "(docs/methods.md); " + SIX + ".", null=True,
        when="null with fewer than two channels with a figure, or for an unbounded attribute"),
)

_PREVIOUS_KPI = (
    key("key", "string", "The KPI: " + ITEM + "."),
    obj("largest_gap", "Its largest gap in the previous period, with its test (adjusted within that period's "
                       "table).", *_GAP, null=True, when="null with fewer than two channels with a figure"),
    key("index", "number", "Its consistency index in the previous period; " + SIX + ".", null=True,
        when="null with fewer than two channels with a figure, or for an unbounded attribute"),
)

CONSISTENCY: tuple[Key, ...] = (
    key("segment", "string", "The segment holding the channel (`consistency.segment`)."),
    key("period", "string", "The period the figures describe (the reporting window)."),
    key("respondents", "integer", "Respondents in the window."),
    key("in_channels", "integer", "Of them, those in one of the block's channels."),
    key("not_stated", "integer", "Respondents without a channel (blank, `Not stated`, or a channel left out of "
                                 "`consistency.channels`)."),
    arr("channels", "The channels compared, in order (`consistency.channels`, or every group of the segment), "
                    "those with respondents in the window.", "string"),
    mapping("channel_respondents", "Respondents per channel in the window (unweighted).", "the channel", "integer"),
    arr("absent", "Channels of `consistency.channels` without a respondent in the window.", "string"),
    key("weighting", "string", "Channel weights in the index: `customers` (each channel's share of the KPI's "
                               "weighted base) or `equal`."),
    key("weighted", "boolean", "The study is weighted (figures and tests with Kish's effective n)."),
    key("alpha", "number", "Significance level of the tests."),
    key("method", "string", "How the p-values are adjusted: `bh` (Benjamini–Hochberg), `bonferroni` or `none` "
                            "(`significance.adjust`), all pairs of all KPIs of the table together."),
    key("tests", "integer", "Pairs tested in the table (the adjustment's m)."),
    arr("kpis", "One per KPI (`consistency.kpis`, or every headline KPI), in that order.", _KPI),
    key("previous_period", "string", "The period before the window, for context.", null=True,
        when="null when the data do not reach the period before the window"),
    arr("previous", "The same KPIs in the previous period: largest gap and index.", _PREVIOUS_KPI, null=True,
        when="null when `previous_period` is null"),
)


def _num(value, digits: int = 6):
    if value is None:
        return None
    value = float(value)
    return round(value, digits) if math.isfinite(value) else None


def _gap(g) -> dict | None:
    """A tested pair, the channel with the higher figure first (the largest gap already is)."""
    if g is None:
        return None
    flip = g.diff < 0
    sign = -1.0 if flip else 1.0
    return {"high": g.b if flip else g.a, "low": g.a if flip else g.b, "diff": _num(sign * g.diff),
            "shown_diff": _num(None if g.shown_diff is None else sign * g.shown_diff),
            "statistic": _num(None if g.statistic is None else sign * g.statistic), "p": _num(g.p_value), "p_adjusted": _num(g.p_adjusted),
            "test": g.method, "significant": bool(g.significant)}


def _kpi(k) -> dict:
    lo, hi = k.scale
    return {"key": k.key, "label": k.label, "unit": k.unit, "scale_low": _num(lo), "scale_high": _num(hi),
            "channels": [{"channel": f.channel, "n": f.n, "weighted_base": _num(f.weighted_base), "base": f.base,
                          "value": _num(f.value), "low": _num(f.low), "high": _num(f.high)} for f in k.channels],
            "pairs": [_gap(p) for p in k.pairs], "largest_gap": _gap(k.largest_gap),
            "spread_sd": _num(k.spread_sd), "gap_pct_of_span": _num(k.gap_pct_of_span), "index": _num(k.index)}


def consistency_dict(study) -> dict | None:
    c = getattr(study, "consistency", None)
    if c is None:
        return None
    t = c.table
    return {
        "segment": c.segment, "period": c.period, "respondents": c.respondents, "in_channels": c.in_channels,
        "not_stated": t.not_stated, "channels": list(t.channels), "channel_respondents": dict(c.channel_base),
        "absent": list(c.absent), "weighting": t.weighting, "weighted": c.weighted, "alpha": t.alpha,
        "method": t.adjust, "tests": t.n_tests, "kpis": [_kpi(k) for k in t.kpis],
        "previous_period": c.previous_period if c.previous is not None else None,
        "previous": ([{"key": k.key, "largest_gap": _gap(k.largest_gap), "index": _num(k.index)}
                      for k in c.previous.kpis] if c.previous is not None else None),
    }
