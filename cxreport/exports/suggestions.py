"""Scores JSON: `suggested_themes` and `emotion` (issue 16, items 3–4).

Both blocks read the study's computed objects (:class:`cxreport.scoring.voc_suggest.StudySuggestions`,
:class:`cxreport.scoring.journey_emotion.JourneyEmotion`), as the report's sections and the workbook do.
"""

from __future__ import annotations

import math

from cxreport.jsonschema import BASE, SIX, Key, arr, key, mapping, obj  # noqa: F401  (the block's description)

_PERIOD = ("The period the comments were written in: the reporting window, or the comments section's pooled "
           "run (`report.pool.comments`).")

SUGGESTED_THEMES: tuple[Key, ...] = (
    key("period", "string", _PERIOD),
    key("comments", "integer", "Comments with text in that period (unweighted)."),
    key("uncoded", "integer", "Of which no theme of `comments.code_frame` matched: the comments the suggestions "
                              "come from."),
    key("coded", "integer", "Of which at least one theme matched (the comparison for keyness)."),
    key("uncoded_pct", "number", "`uncoded` as % of `comments`; " + SIX + ".", null=True,
        when="null without comments"),
    key("method", "string", "`log-likelihood` (phrases ranked by uncoded comments, filtered and tie-broken by "
                            "keyness against the coded comments) or `frequency` (no coded comment to compare with: "
                            "no keyness)."),
    key("min_comments", "integer", "Uncoded comments a phrase needed to be suggested: `comments.suggestions."
                                   "min_comments`, or by default 0.5 % of the uncoded comments, at least 5."),
    key("max", "integer", "`comments.suggestions.max`: the most suggested themes listed."),
    key("segmenter", "string", "The Chinese word segmenter and its version (`rjieba x.y.z`).", null=True,
        when="null when no comment had a Chinese character"),
    arr("user_words", "`comments.user_words`: kept whole, never stop words.", "string"),
    arr("stop_words", "`comments.stop_words`: ignored besides the built-in lists.", "string"),
    arr("themes", "The suggested themes, most uncoded comments first (ties in the order they were formed); "
                  "empty when no phrase reached `min_comments`.", (
        key("label", "string", "The suggestion's label: its leading (most used) phrase, in its most frequent "
                               "written form."),
        key("comments", "integer", "Uncoded comments using any of its phrases."),
        key("share_pct", "number", "`comments` as % of the uncoded comments; " + SIX + "."),
        key("coded_comments", "integer", "Coded comments using any of its phrases (the phrase also lives inside "
                                         "themes the frame already has)."),
        arr("phrases", "Its phrases (1–3 words after stop words are dropped), most used first; at most 8.", (
            key("phrase", "string", "The phrase as shown."),
            key("words", "integer", "Its number of words: 1, 2 or 3."),
            key("comments", "integer", "Uncoded comments using it."),
            key("share_pct", "number", "`comments` as % of the uncoded comments; " + SIX + "."),
            key("coded_comments", "integer", "Coded comments using it."),
            key("keyness", "number", "Signed log-likelihood G² against the coded comments (positive: more "
                                     "frequent among the uncoded comments; 0 with `method: frequency`); "
                                     "rounded to 3 decimals."),
        )),
        arr("examples", "Up to `comments.suggestions.examples` uncoded comments using its phrases (the shortest "
                        "distinct ones), masked like every quoted comment.", "string"),
    )),
)

_FIGURE = "rounded to 3 decimals; null when the group's base is suppressed"

EMOTION_FIGURES: tuple[Key, ...] = (
    key("n", "integer", "Scored comments linked to it (unweighted)."),
    key("weighted_base", "number", "Sum of their respondents' weights (`n` unweighted); rounded to 3 decimals."),
    key("n_eff", "number", "Effective base (Kish); rounded to 3 decimals."),
    key("base", "string", "Base flag: " + BASE + ", on `n`."),
    mapping("counts", "Comments by tone (unweighted).", "`positive`, `neutral`, `negative`", "integer"),
    key("net_tone", "number", "Net tone: % positive − % negative comments, −100 … +100 points; " + _FIGURE + ".",
        null=True),
    key("net_tone_low", "number", "Its 95 % interval (Wald, as for NPS), lower end; " + _FIGURE + ".", null=True),
    key("net_tone_high", "number", "Upper end; " + _FIGURE + ".", null=True),
    key("mean_sentiment", "number", "Mean sentiment score, −1 … +1 (VADER compound; 2p − 1 from the naive Bayes "
                                    "model on jieba words for Chinese comments); rounded to 4 decimals; null when "
                                    "suppressed.", null=True),
    key("mean_low", "number", "Its 95 % t interval, lower end; rounded to 4 decimals.", null=True),
    key("mean_high", "number", "Upper end; rounded to 4 decimals.", null=True),
    key("positive_pct", "number", "% positive comments (weighted); " + _FIGURE + ".", null=True),
    key("negative_pct", "number", "% negative comments (weighted); " + _FIGURE + ".", null=True),
)

EMOTION_TESTS: tuple[Key, ...] = (
    mapping("vs_rest", "Tests against every other scored comment (the total minus this group), adjusted together "
                       "for the whole table (METHODS.md §8). Empty for a group or a rest whose base is "
                       "suppressed.", "`mean` (Welch's t), `positive`, `negative` (two-proportion z)", (
        key("diff", "number", "This group minus the rest: sentiment units for `mean`, percentage points for the "
                              "shares; rounded to 4 decimals."),
        key("p_value", "number", "Two-sided p-value; rounded to 8 decimals.", null=True),
        key("p_adjusted", "number", "Adjusted by `adjust`; rounded to 8 decimals.", null=True),
        key("method", "string", "The test used."),
        key("mark", "integer", "1 significantly above the rest, −1 below, 0 not significant (`p_adjusted` ≤ "
                               "`alpha`)."),
    )),
    obj("top_negative_theme", "The code-frame theme mentioned by the largest weighted share of its negative "
                              "comments (ties: code-frame order).",
        key("theme", "string", "The theme."),
        key("count", "integer", "Negative comments of the group mentioning it (unweighted)."),
        key("share_pct", "number", "Their weighted % of the group's negative comments; rounded to 3 decimals."),
        null=True, when="null when the base is suppressed, with no negative comment, or when no negative comment "
                        "mentions a theme"),
)

EMOTION: tuple[Key, ...] = (
    key("period", "string", _PERIOD),
    key("comments", "integer", "Comments with text in that period."),
    key("linked", "integer", "Of which scored and linked to a touchpoint of the journey map (the respondent's "
                             "`journey.touchpoint` segment)."),
    key("weighted", "boolean", "The figures are weighted by the survey's weights."),
    key("alpha", "number", "Significance level of the tests (`significance.alpha`)."),
    key("adjust", "string", "How the p-values of one table were adjusted together (`significance.adjust`)."),
    arr("touchpoints", "One per touchpoint of the journey map that has comments, in the map's order.", (
        key("label", "string", "The touchpoint as labelled in the data."),
        key("stage", "string", "Its stage on the journey map."),
        *EMOTION_FIGURES, *EMOTION_TESTS)),
    arr("stages", "One per journey stage with comments (the respondent's own `journey.stage`), in the map's "
                  "order.", (key("label", "string", "The stage as labelled in the data."),
                             *EMOTION_FIGURES, *EMOTION_TESTS)),
    obj("total", "Every scored comment of the period, linked or not (no test, no theme).", *EMOTION_FIGURES),
)


def _r(value, digits: int) -> float | None:
    if value is None:
        return None
    value = float(value)
    return round(value, digits) if math.isfinite(value) else None


def suggested_themes_dict(study) -> dict | None:
    s = getattr(study, "suggestions", None)
    if s is None:
        return None
    r = s.suggestions
    return {
        "period": study.scope("comments").label,
        "comments": r.n_comments, "uncoded": r.n_uncoded, "coded": r.n_coded,
        "uncoded_pct": _r(100 * r.n_uncoded / r.n_comments, 6) if r.n_comments else None,
        "method": r.method, "min_comments": r.min_comments, "max": s.max, "segmenter": r.segmenter,
        "user_words": list(s.user_words), "stop_words": list(s.stop_words),
        "themes": [{"label": t.label, "comments": t.comments, "share_pct": _r(t.share, 6),
                    "coded_comments": t.coded_comments,
                    "phrases": [{"phrase": p.phrase, "words": p.words, "comments": p.comments,
                                 "share_pct": _r(p.share, 6), "coded_comments": p.coded_comments,
                                 "keyness": _r(p.score, 3)} for p in t.phrases],
                    "examples": [e.text for e in t.examples]} for t in r.suggestions],
    }


def _group(g, *, touchpoint: bool = False, tests: bool = True) -> dict:
    out = {} if not tests else {"label": g.group}
    if touchpoint:
        out["stage"] = g.stage
    out.update({
        "n": g.n, "weighted_base": _r(g.weighted_base, 3), "n_eff": _r(g.n_eff, 3), "base": g.base,
        "counts": {k: int(g.counts.get(k, 0)) for k in ("positive", "neutral", "negative")},
        "net_tone": _r(g.net.value, 3) if g.net else None,
        "net_tone_low": _r(g.net.low, 3) if g.net else None,
        "net_tone_high": _r(g.net.high, 3) if g.net else None,
        "mean_sentiment": _r(g.mean.value, 4) if g.mean else None,
        "mean_low": _r(g.mean.low, 4) if g.mean else None,
        "mean_high": _r(g.mean.high, 4) if g.mean else None,
        "positive_pct": _r(g.positive.value, 3) if g.positive else None,
        "negative_pct": _r(g.negative.value, 3) if g.negative else None,
    })
    if not tests:
        return out
    out.update({
        "vs_rest": {k: {"diff": _r(t.diff, 4), "p_value": _r(t.p_value, 8), "p_adjusted": _r(t.p_adjusted, 8),
                        "method": t.method, "mark": t.mark} for k, t in g.vs_rest.items()},
        "top_negative_theme": ({"theme": g.top_negative_theme.theme, "count": g.top_negative_theme.count,
                                "share_pct": _r(g.top_negative_theme.share, 3)}
                               if g.top_negative_theme is not None else None),
    })
    return out


def emotion_dict(study) -> dict | None:
    e = getattr(study, "emotion", None)
    if e is None:
        return None
    tp = e.touchpoints
    return {
        "period": study.scope("comments").label, "comments": e.comments, "linked": e.linked,
        "weighted": e.weighted, "alpha": float(tp.alpha), "adjust": tp.adjust,
        "touchpoints": [_group(g, touchpoint=True) for g in tp.groups],
        "stages": [_group(g) for g in e.stages.groups] if e.stages is not None else [],
        "total": _group(tp.total, tests=False),
    }
