"""Scores JSON: `theme_impact` and `theme_trends` (issue 16, items 1–2; docs/voice.md).

Both blocks are written from the study's :class:`cxreport.scoring.voc.CommentInsights`, the objects the
report's sections and the workbook print.
"""

from __future__ import annotations

from cxreport.jsonschema import BASE, SIX, Key, arr, key, obj

P8 = "rounded to 8 decimals"

DIFFERENCE = (
    key("value", "number", "The difference; " + SIX + ".", null=True),
    key("low", "number", "Its 95 % interval, lower end; " + SIX + ".", null=True),
    key("high", "number", "Its 95 % interval, upper end; " + SIX + ".", null=True),
    key("p_value", "number", "Two-sided p-value of its test; " + P8 + ".", null=True),
    key("p_adjusted", "number", "`p_value` adjusted with the other tests of its table (`settings.adjust`); "
                                + P8 + ".", null=True),
    key("method", "string", "The test used."),
    key("mark", "integer", "1 / −1 significantly higher / lower (`p_adjusted` ≤ `alpha`); 0 otherwise."),
)

_EST = (
    key("value", "number", "The figure; " + SIX + ".", null=True, when="null when its base is suppressed"),
    key("low", "number", "95 % interval, lower end; " + SIX + ".", null=True),
    key("high", "number", "95 % interval, upper end; " + SIX + ".", null=True),
    key("n", "integer", "Valid answers in the group (unweighted)."),
    key("base", "string", "Base flag: " + BASE + "."),
)

THEME_IMPACT: tuple[Key, ...] = (
    key("period", "PERIOD", "The rows the impact describes: the comments' rows (pooled with "
                            "`report.pool.comments`)."),
    key("alpha", "number", "Significance level of the tests."),
    key("adjust", "string", "How the table's p-values were adjusted together: `bh`, `bonferroni` or `none`."),
    key("tests", "integer", "How many tests (NPS and CSAT differences) were adjusted together."),
    obj("overall_nps", "NPS of every respondent with an NPS answer (points).", *_EST),
    obj("overall_csat", "CSAT top-2-box % of every CSAT answer.", *_EST, null=True, when="null without CSAT"),
    arr("themes", "One per theme of the code frame, ranked: the largest NPS loss first; themes whose groups' bases "
                  "are suppressed last.", (
        key("theme", "string", "The theme."),
        key("rank", "integer", "1 = the largest NPS loss."),
        key("shown", "boolean", "Both NPS groups have a base that is shown (false: the report prints —)."),
        key("mentions", "integer", "Respondents whose comment mentions the theme."),
        key("count", "integer", "… of them with a valid NPS answer."),
        key("share_pct", "number", "Weighted % of the NPS answerers whose comment mentions it; " + SIX + ".",
            null=True),
        obj("nps_with", "NPS (points) of the NPS answerers mentioning it.", *_EST),
        obj("nps_without", "NPS (points) of all other NPS answerers (commenters or not).", *_EST),
        obj("nps_difference", "`nps_with − nps_without` in NPS points (z-test on the two NPS).", *DIFFERENCE,
            null=True, when="null when either group's base is suppressed"),
        key("impact", "number", "NPS impact: overall NPS − `nps_without` (= share × difference), the points of "
                                "overall NPS the theme costs (negative) or adds; " + SIX + ".", null=True,
            when="null when not shown"),
        key("impact_low", "number", "Its 95 % interval (the difference's, scaled by the share), lower end; "
                                    + SIX + ".", null=True),
        key("impact_high", "number", "Upper end; " + SIX + ".", null=True),
        obj("csat_with", "CSAT top-2-box % of the CSAT answerers mentioning it.", *_EST, null=True,
            when="null without CSAT"),
        obj("csat_without", "CSAT top-2-box % of all other CSAT answerers.", *_EST, null=True,
            when="null without CSAT"),
        obj("csat_difference", "`csat_with − csat_without` in percentage points (two-proportion z-test).",
            *DIFFERENCE, null=True, when="null without CSAT or when either base is suppressed"),
        key("csat_impact", "number", "CSAT impact: overall top-2 % − `csat_without`, in percentage points; "
                                     + SIX + ".", null=True, when="null without CSAT"),
    )),
)

_CELL = (
    key("period", "string", "The period."),
    key("count", "integer", "Comments of the period mentioning it (unweighted)."),
    key("base", "integer", "The period's comments (unweighted)."),
    key("base_flag", "string", "Base flag of the period's comments: " + BASE + "."),
    key("share_pct", "number", "Weighted % of the period's comments mentioning it; " + SIX + ".", null=True,
        when="null when the base is suppressed"),
    key("low", "number", "Wilson 95 % interval, lower end; " + SIX + ".", null=True),
    key("high", "number", "Upper end; " + SIX + ".", null=True),
    key("mean_sentiment", "number", "Weighted mean sentiment (−1 to +1) of the comments mentioning it; "
                                    + SIX + ".", null=True, when="null when none"),
    obj("change", "Against the previous period, in percentage points (two-proportion z-test, adjusted with the "
                  "period's other themes).", *DIFFERENCE, null=True,
        when="null in the first period, or when either period's base is suppressed"),
)

_TREND = (
    key("theme", "string", "The theme (or the phrase)."),
    arr("periods", "One per period, in order.", _CELL),
)

_EMERGING = (
    key("theme", "string", "The theme, or the phrase."),
    key("kind", "string", "`theme` (of the code frame) or `phrase` (of the suggested themes)."),
    key("count", "integer", "Comments of the latest period mentioning it."),
    key("share_pct", "number", "% of the latest period's comments; " + SIX + "."),
    key("previous_share_pct", "number", "% of the previous period's comments; " + SIX + "."),
    key("rise_pts", "number", "The rise in percentage points; " + SIX + "."),
    key("p_adjusted", "number", "The rise's adjusted p-value; " + P8 + ".", null=True),
    key("baseline_share_pct", "number", "% of the earlier periods' comments pooled; " + SIX + ".", null=True,
        when="null with fewer than three periods"),
    key("complaint", "boolean", "The mean sentiment of its comments in the latest period is below 0 (the report "
                                "says “New complaint emerging”)."),
    key("group", "string", "A phrase's suggested theme (its leading phrase); only the first emerging phrase of a "
                           "suggested theme is listed.", null=True, when="null for a theme"),
)

THEME_TRENDS: tuple[Key, ...] = (
    arr("periods", "The periods, in order: those up to the window's end, the last 8 at most.", "string"),
    key("base", "string", "The share tested: `comments` (of the period's comments)."),
    key("alpha", "number", "Significance level of the tests."),
    key("adjust", "string", "How each period's p-values were adjusted together."),
    arr("themes", "One per theme of the code frame (empty without one).", _TREND),
    arr("sentiment", "Mean sentiment of all the period's comments, per period.", (
        key("period", "string", "The period."),
        key("n", "integer", "Comments with a sentiment score."),
        key("base_flag", "string", "Base flag: " + BASE + "."),
        key("mean", "number", "Weighted mean sentiment (−1 to +1); " + SIX + ".", null=True),
        key("low", "number", "t 95 % interval, lower end; " + SIX + ".", null=True),
        key("high", "number", "Upper end; " + SIX + ".", null=True),
        obj("change", "Against the previous period (Welch's t-test, the periods' tests adjusted together).",
            *DIFFERENCE, null=True, when="null in the first period, or when either base is suppressed"),
    )),
    obj("emerging", "Emerging themes (`comments.emerging`): the latest period against the one before.",
        key("period", "string", "The latest period."),
        key("previous", "string", "The period before."),
        key("min_count", "integer", "`comments.emerging.min_count`."),
        key("min_rise_pts", "number", "`comments.emerging.min_rise`, in percentage points."),
        key("against_earlier", "boolean", "The share also had to be significantly above the earlier periods "
                                          "pooled (three periods or more)."),
        arr("flagged", "The emerging themes and phrases, themes first, each by its rise (largest first).",
            _EMERGING),
        arr("phrases", "Every suggested phrase tested, with its share per period (the report shows the emerging "
                       "ones).", _TREND),
        null=True, when="null with `comments.emerging: false`"),
)


def _num(value, digits: int = 6):
    from cxreport.export import _num as num

    return num(value, digits)


def _estimate(est) -> dict | None:
    if est is None:
        return None
    shown = est.shown
    return {"value": _num(est.value) if shown else None, "low": _num(est.low) if shown else None,
            "high": _num(est.high) if shown else None, "n": int(est.n), "base": est.base}


def _difference(d) -> dict | None:
    if d is None:
        return None
    return {"value": _num(d.value), "low": _num(d.low), "high": _num(d.high), "p_value": _num(d.p_value, 8),
            "p_adjusted": _num(d.p_adjusted, 8), "method": d.method, "mark": d.direction}


def theme_impact_dict(study) -> dict | None:
    from cxreport.export import _scope_dict

    ins = getattr(study, "insights", None)
    table = getattr(ins, "impact", None)
    if table is None:
        return None
    return {
        "period": _scope_dict(study.scope("comments")), "alpha": float(table.alpha), "adjust": table.adjust,
        "tests": table.n_tests, "overall_nps": _estimate(table.overall_nps),
        "overall_csat": _estimate(table.overall_csat),
        "themes": [{"theme": t.theme, "rank": t.rank, "shown": t.shown, "mentions": t.mentions, "count": t.count,
                    "share_pct": _num(100 * t.share), "nps_with": _estimate(t.nps_theme),
                    "nps_without": _estimate(t.nps_other), "nps_difference": _difference(t.nps_diff),
                    "impact": _num(t.impact) if t.shown else None,
                    "impact_low": _num(t.impact_low) if t.shown else None,
                    "impact_high": _num(t.impact_high) if t.shown else None,
                    "csat_with": _estimate(t.csat_theme), "csat_without": _estimate(t.csat_other),
                    "csat_difference": _difference(t.csat_diff),
                    "csat_impact": _num(t.csat_impact) if t.csat_diff is not None else None}
                   for t in table.themes],
    }


def _trend(t) -> dict:
    return {"theme": t.theme, "periods": [
        {"period": c.period, "count": c.count, "base": c.base, "base_flag": c.base_flag,
         "share_pct": _num(c.share) if c.shown else None, "low": _num(c.low) if c.shown else None,
         "high": _num(c.high) if c.shown else None, "mean_sentiment": _num(c.mean_sentiment),
         "change": _difference(c.change)} for c in t.cells]}


def theme_trends_dict(study) -> dict | None:
    ins = getattr(study, "insights", None)
    trends = getattr(ins, "trends", None)
    if trends is None:
        return None
    emerging = None
    if ins.min_count > 0:
        from cxreport.present.voc import _complaint

        flagged = []
        for kind, e in ins.flagged():
            source = ins.trends if kind == "theme" else ins.phrases
            row = next(t for t in source.themes if t.theme == e.theme)
            flagged.append({"theme": e.theme, "kind": kind, "count": e.count, "share_pct": _num(e.share),
                            "previous_share_pct": _num(e.previous_share), "rise_pts": _num(e.change.value),
                            "p_adjusted": _num(e.change.p_adjusted, 8), "baseline_share_pct": _num(e.baseline_share),
                            "complaint": _complaint(row.cells[-1]),
                            "group": ins.phrase_group.get(e.theme) if kind == "phrase" else None})
        emerging = {"period": trends.periods[-1], "previous": trends.periods[-2], "min_count": ins.min_count,
                    "min_rise_pts": _num(ins.min_rise), "against_earlier": len(trends.periods) >= 3,
                    "flagged": flagged,
                    "phrases": [_trend(t) for t in ins.phrases.themes] if ins.phrases is not None else []}
    return {
        "periods": list(trends.periods), "base": trends.base, "alpha": float(trends.alpha), "adjust": trends.adjust,
        "themes": [] if ins.sentiment_only else [_trend(t) for t in trends.themes],
        "sentiment": [{"period": s.period, "n": s.n, "base_flag": s.base_flag,
                       "mean": _num(s.mean) if s.base_flag != "suppressed" else None,
                       "low": _num(s.low) if s.base_flag != "suppressed" else None,
                       "high": _num(s.high) if s.base_flag != "suppressed" else None,
                       "change": _difference(s.change)} for s in trends.sentiment],
        "emerging": emerging,
    }
