"""Validate-promise entries of theme impact, themes over time and emerging themes (issue 16 items 1–2).

The study step (cxreport/scoring/voc.py) raises nothing of its own: every setting it reads is checked
when the project file is loaded (`comments.emerging.min_count ≥ 1`, `min_rise` 0–100,
`significance.alpha` and `adjust` from fixed lists, `columns.csat.scale` 1–5 or 1–10), and it hands the
computations (cxreport/scoring/themes_impact.py) arrays it builds itself from validated data. Each input
check of those computations is therefore a programmer-error guard, listed here with the reason a
validated project cannot reach it.
"""

from __future__ import annotations

M = "cxreport/scoring/themes_impact.py:"

_FLAGS = ("the study step builds every flag array itself: booleans, one per respondent of the rows it passes "
          "(CommentAnalysis.respondent_flags, the code frame's matches, the phrase matches)")
_SCALE = ("NPS and CSAT answers come from the validated data: one per row, a point of the item's scale or NaN "
          "(validation turns any other value into no valid answer)")
_SENTIMENT = ("the scores come from the study's one sentiment run (VADER compound or the Chinese model's 2p − 1: finite, "
              "−1 to 1), reindexed to the rows passed, NaN where there is no comment")
_PERIODS = ("the study step passes integer period codes 0 … P − 1 of the rows it selected, one per row, with "
            "order range(P) and one label per period")


def register(ns):
    unreachable = {
        M + "_settings:adjust: unknown adjustment '{}' (use one of {})":
            "significance.adjust is one of bh, bonferroni, none (checked at load); the step passes it as is",
        M + "_settings:alpha: {} is not a significance level between 0 an":
            "significance.alpha is 0.10, 0.05 or 0.01 (checked at load)",
        M + "_flags:{}: expected one flag per row, got an array of sha": _FLAGS,
        M + "_flags:{}: {} values for {} rows": _FLAGS,
        M + "_flags:{}: value {} at position {} is not a true/false fl": _FLAGS,
        M + "_mention_matrix:mentions: expected a mapping theme → flags or a Da":
            "the study step always passes a dict theme → flags",
        M + "_mention_matrix:mentions: no themes":
            "theme_impact is called only with a non-empty code frame; theme_trends with the frame's themes, one "
            "placeholder theme when the frame is empty, or the phrases only when at least one matched",
        M + "_mention_matrix:mentions: theme '{}' appears twice":
            "themes are the keys of a dict (comments.code_frame; the suggested phrases deduplicated)",
        M + "_weights:weights: not numbers":
            "the weights are the validated data's: numbers, one per row (validation drops a row with a missing, "
            "negative, non-finite or too large weight)",
        M + "_weights:weights: {} values for {} rows": "the weights are taken for exactly the rows passed",
        M + "_weights:weights: value {} at position {} is not a finite w":
            "validation drops a row with a missing, negative or non-finite weight (cxreport/validate.py)",
        M + "_scale_values:{}: not numbers": _SCALE,
        M + "_scale_values:{}: {} values for {} rows": _SCALE,
        M + "_scale_values:{}: value {} at position {} is not a point of the ": _SCALE,
        M + "respondent_flags:rows: {} respondents for {} comments":
            "not called by score or build: the step uses CommentAnalysis.respondent_flags",
        M + "respondent_flags:rows: every comment's respondent must be a row num":
            "not called by score or build: the step uses CommentAnalysis.respondent_flags",
        M + "theme_impact:nps: no valid answer":
            "the step calls theme_impact only when the comments' rows have at least one valid NPS answer "
            "(the section is left out otherwise)",
        M + "theme_impact:csat_scale: {} is not a scale of 3 points or more":
            "the CSAT scale is the validated item's top, 5 or 10 (columns.csat.scale, checked at load)",
        M + "_period_codes:periods: {} values for {} rows": _PERIODS,
        M + "_period_codes:periods: values of different kinds cannot be put i": _PERIODS,
        M + "_period_codes:order: a period is listed twice": _PERIODS,
        M + "theme_trends:base: '{}' is not one of {}": "the step uses the default base, comments",
        M + "theme_trends:periods: no row has a period":
            "the step trends only periods that have rows (the study's periods up to the window's end), two at least",
        M + "theme_trends:labels: {} labels for {} periods": _PERIODS,
        M + "theme_trends:mentions: row {} mentions a theme but has no comme":
            "a theme or phrase flag comes from matching a comment's text, and an empty text matches nothing "
            "(the step skips it), so every flagged row has a comment",
        M + "theme_trends:sentiment: not numbers": _SENTIMENT,
        M + "theme_trends:sentiment: {} values for {} rows": _SENTIMENT,
        M + "theme_trends:sentiment: infinite score": _SENTIMENT,
        M + "emerging_themes:min_count: {} is not a whole number ≥ 1":
            "comments.emerging.min_count is an integer ≥ 1 (checked at load)",
        M + "emerging_themes:min_rise: {} is not a number of %-points ≥ 0":
            "comments.emerging.min_rise is a number from 0 to 100 (checked at load)",
    }
    return {}, unreachable
