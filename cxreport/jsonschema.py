"""The scores JSON (``cxreport score --format json``) described key by key.

Every block and key :func:`cxreport.export.scores_dict` writes has one entry here: its type,
what it means (unit and rounding included), and when it is present or not null.
``python -m cxreport.docgen docs`` writes docs/scores-json.md from it, and
tests/test_scores_schema.py scores the samples and constructed projects and fails when the
JSON has a key that is not described here, a value of another type, or when a described key
never appears in any of them (unless its entry says why with ``unseen``).

Adding a key: add one :func:`key` (or :func:`obj`, :func:`arr`, :func:`mapping`) to the
block it belongs to, in the order the exporter writes it. Shapes used in several places
(an item's score, a test of a change, a group of respondents …) are in :data:`SHAPES` and
named by their upper-case name as a type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

#: JSON value types a key may have; anything else must be "object", "array", "map" or a shape name.
SCALARS = ("string", "integer", "number", "boolean", "date", "datetime")


@dataclass(frozen=True)
class Key:
    """One key of the scores JSON."""

    name: str
    type: str                    # a scalar type, "object", "array", "map", or a shape name in SHAPES
    meaning: str
    of: Any = None               # object: tuple of Key; array/map: element type (str) or tuple of Key
    null: bool = False           # the value may be null
    when: str = ""               # when the key is present / not null (blank: always)
    optional: bool = False       # the key itself may be absent from its object
    keyed_by: str = ""           # map: what its keys are
    key_pattern: str = ""        # map: a regular expression every key matches (blank: any text)
    unseen: str = ""             # why no project of the schema test produces this key (rare on purpose)


def key(name: str, type: str, meaning: str, **kw) -> Key:
    return Key(name, type, meaning, **kw)


def obj(name: str, meaning: str, *keys: Key, **kw) -> Key:
    return Key(name, "object", meaning, of=tuple(keys), **kw)


def arr(name: str, meaning: str, of: Any, **kw) -> Key:
    return Key(name, "array", meaning, of=tuple(of) if isinstance(of, (list, tuple)) else of, **kw)


def mapping(name: str, meaning: str, keyed_by: str, of: Any, **kw) -> Key:
    """A mapping with variable keys (``keyed_by`` says what they are); ``of`` is the values' type, their
    keys (a tuple), or a :class:`Key` of a nested mapping."""
    return Key(name, "map", meaning, of=tuple(of) if isinstance(of, (list, tuple)) else of, keyed_by=keyed_by, **kw)


ITEM_PATTERN = r"^(nps|csat|ces|acsi|attr:.+)$"
ITEM = "ITEM (`nps`, `csat`, `ces`, `acsi` or `attr:<attribute name>`)"
BASE = "`ok`, `small` (below `bases.flag_below`) or `suppressed` (below `bases.suppress_below`)"
SIX = "rounded to 6 decimals"

# --------------------------------------------------------------------------- shapes

ESTIMATE = (
    key("value", "number", "The estimate, on the figure's own scale (points, %, or the scale's mean); " + SIX + ".",
        null=True, when="null when nothing can be computed"),
    key("low", "number", "Lower end of its 95 % confidence interval; " + SIX + ".", null=True),
    key("high", "number", "Upper end of its 95 % confidence interval; " + SIX + ".", null=True),
    key("se", "number", "Its standard error (weighted: with the design effect); " + SIX + ".", null=True),
)

SHAPES: dict[str, tuple[Key, ...]] = {
    "ESTIMATE": ESTIMATE,
    "MEAN": ESTIMATE + (key("sd", "number", "Standard deviation of the answers; " + SIX + ".", null=True),),
    "SHARE": (
        key("count", "integer", "Respondents in the band (unweighted)."),
        key("pct", "number", "Their share of `n` in % (weighted in weighted studies); " + SIX + ".", null=True),
    ),
    "ITEM_SCORE": (
        key("label", "string", "The item's label as printed."),
        key("kind", "string", "`nps`, `csat`, `ces`, `rating` (an attribute) or another kind a KPI adds."),
        arr("scale", "The answer scale [low, high].", "number"),
        key("n", "integer", "Valid answers (unweighted)."),
        key("n_eff", "number", "Effective base (Kish) of the answers; equals `n` unweighted; rounded to 3 decimals.",
            null=True),
        key("weighted_base", "number", "Sum of the weights of the valid answers (`n` unweighted); rounded to 3 decimals.",
            null=True),
        key("base", "string", "Base flag: " + BASE + "."),
        key("headline", "string", "Which figure block is the headline: `nps`, `top2`, `index` or `mean`."),
        key("origin", "string", "`numeric` (an attribute of `type: numeric`, any number) or `composite` (a declared "
                                "scale's score, `attr:<scale name>`).", optional=True,
            when="numeric attributes and scale scores only"),
        key("nps", "ESTIMATE", "Net Promoter Score in points (−100 to 100): % promoters − % detractors.",
            optional=True, when="NPS only"),
        key("nps_adjusted", "ESTIMATE", "NPS with the small-sample adjustment of METHODS.md §1 (points).",
            optional=True, when="NPS only"),
        key("promoters", "SHARE", "Answers 9–10.", optional=True, when="NPS only"),
        key("passives", "SHARE", "Answers 7–8.", optional=True, when="NPS only"),
        key("detractors", "SHARE", "Answers 0–6.", optional=True, when="NPS only"),
        key("top2", "ESTIMATE", "Top-2-box: % of answers in the two highest points of the scale.",
            optional=True, null=True, when="CSAT and attributes; null for numeric attributes and scale scores"),
        key("index", "ESTIMATE", "CES index: % of answers 5–7 (easy) minus % 1–3 (difficult), in points.",
            optional=True, when="CES only"),
        key("easy_pct", "number", "% of answers 5–7; " + SIX + ".", optional=True, null=True, when="CES only"),
        key("difficult_pct", "number", "% of answers 1–3; " + SIX + ".", optional=True, null=True, when="CES only"),
        key("mean", "MEAN", "Mean answer on the item's scale, with its standard deviation."),
        arr("distribution", "Answers per scale point, lowest first.", (
            key("value", "number", "The scale point."),
            key("count", "integer", "Respondents who gave it (unweighted)."),
            key("pct", "number", "Its share of the valid answers in % (weighted in weighted studies); " + SIX + ".",
                null=True),
        ), optional=True, when="the reporting window's `overall` figures only (the report's answer-distribution "
                                "charts); absent in groups, periods and comparisons"),
    ),
    "CHANGE": (
        key("diff", "number", "This group or period minus the one it is compared with, in the headline figure's "
                              "unit (NPS points, percentage points, scale points); " + SIX + ".", null=True),
        key("statistic", "number", "The test statistic (z or t); " + SIX + ".", null=True),
        key("p_value", "number", "Two-sided p-value; rounded to 8 decimals.", null=True),
        key("method", "string", "The test used (METHODS.md §8).", null=True),
        key("mark", "integer", "1 significantly higher / rise, −1 lower / fall, 0 not significant or not testable: "
                               "`p_adjusted` against `settings.alpha`."),
        key("p_adjusted", "number", "`p_value` adjusted for the other tests of its table by `settings.adjust` "
                                    "(METHODS.md §8); equals `p_value` with `adjust: none`; rounded to 8 decimals.",
            null=True),
        key("comparisons", "integer", "How many tests of its table were adjusted together (1: on its own)."),
    ),
    "GROUP": (
        key("label", "string", "The group's label (a segment's group, or a period)."),
        key("base", "integer", "Respondents in the group (unweighted)."),
        key("weighted_base", "number", "Sum of their weights; rounded to 3 decimals.", null=True),
        key("base_flag", "string", "Base flag of the group: " + BASE + "."),
        mapping("items", "Every item's figures for the group.", ITEM, "ITEM_SCORE", key_pattern=ITEM_PATTERN),
        mapping("changes", "Segments: the group against the rest of the respondents; periods: the period against "
                           "the previous one.", ITEM, "CHANGE", key_pattern=ITEM_PATTERN),
        key("year_ago", "string", "The period a year before this one.", optional=True,
            when="`periods` entries that have a period a year earlier"),
        mapping("year_on_year", "This period against the same period a year before.", ITEM, "CHANGE",
                key_pattern=ITEM_PATTERN, optional=True, when="with `year_ago`"),
    ),
    "PERIOD": (
        key("label", "string", "The period the section describes (e.g. `2026 Q3`, or a pooled run `2025 Q4 – 2026 Q3`)."),
        key("pooled", "boolean", "True when the section pools more periods than the window (`report.pool`)."),
        key("periods", "integer", "How many periods the section's rows cover."),
    ),
    "ANALYSIS": (
        key("scope", "string", "`Total`, or `<segment>: <group>`."),
        key("outcome", "string", "The outcome's label (`drivers.outcome`)."),
        key("n", "integer", "Listwise: complete cases analysed; pairwise: the smallest pair's base."),
        key("n_eff", "number", "Effective base (Kish) of `n`; rounded to 3 decimals.", null=True),
        key("r2", "number", "R² of the outcome on all the drivers (0–1); " + SIX + ".", null=True),
        key("method", "string", "The method the importances come from: `relative weights` (Johnson) or "
                                "`Shapley (LMG)` (`drivers.method`)."),
        key("missing", "string", "How missing answers were handled: `listwise` or `pairwise` (`drivers.missing`)."),
        key("n_outcome", "integer", "Respondents in the rows analysed with a valid outcome.", null=True),
        key("n_rows", "integer", "Respondents in the rows analysed.", null=True),
        key("pair_median", "number", "Pairwise: the median base of the correlations.", null=True,
            when="not null with `missing: pairwise`"),
        key("pair_max", "integer", "Pairwise: the largest base of the correlations.", null=True,
            when="not null with `missing: pairwise`"),
        key("repaired", "boolean", "Pairwise: the correlation matrix was not positive definite and was adjusted to "
                                   "the nearest valid one."),
        key("period", "string", "The period of the rows analysed (blank without dates)."),
        key("pooled", "boolean", "The importances pool more periods than the window (`report.pool.drivers`)."),
        key("performance_period", "string", "The period the performance means describe (the reporting window)."),
        key("performance_from", "string", "`attributes`: the performance is the attribute section's mean for the "
                                          "window; `analysed`: the mean of the rows analysed."),
        key("primary", "string", "The method `importance_pct` comes from: `relative_weights` or `lmg` "
                                 "(`drivers.method: shapley`)."),
        obj("bootstrap", "How the importance intervals were made (`drivers.bootstrap` replicates, METHODS.md §5).",
            key("replicates", "integer", "Bootstrap resamples drawn.", optional=True),
            key("used", "integer", "Resamples in which the analysis could be computed.", optional=True),
            key("seed", "integer", "`drivers.seed`: the same data, settings and seed give the same intervals.",
                optional=True),
            key("level", "number", "The intervals' level (0.95).", optional=True),
            key("interval", "string", "`percentile`.", optional=True),
            key("resampled", "string", "What is resampled (respondents, with replacement; weights kept).",
                optional=True),
            key("r2_low", "number", "R²'s interval, lower end.", optional=True, null=True),
            key("r2_high", "number", "R²'s interval, upper end.", optional=True, null=True),
            key("note", "string", "Why there are no intervals, or what limits them.", null=True),
            null=True, when="null with `drivers.bootstrap: 0`; only `note` when the bootstrap could not run"),
        arr("drivers", "One row per driver, most important first.", (
            key("name", "string", "The attribute's label."),
            key("importance_pct", "number", "Importance: the driver's share of R² in % by the `primary` method (the "
                                            "drivers add up to 100); " + SIX + ".", null=True),
            key("importance_low", "number", "Bootstrap interval of `importance_pct`, lower end.", null=True,
                when="null without bootstrap intervals"),
            key("importance_high", "number", "Bootstrap interval of `importance_pct`, upper end.", null=True,
                when="null without bootstrap intervals"),
            key("relative_weight", "IMPORTANCE", "Johnson's relative weight of the driver."),
            key("lmg", "IMPORTANCE", "The driver's Shapley value (LMG).", null=True,
                when="null with `drivers.method: relative_weights` or more drivers than Shapley allows"),
            key("mean", "number", "Mean answer on the attribute's scale (see `performance_from`); " + SIX + ".",
                null=True),
            key("performance", "number", "`mean` rescaled to 0–100 (scale low = 0, high = 100); " + SIX + ".",
                null=True),
            key("quadrant", "string", "The importance × performance quadrant (against the means of both): "
                                      "`Concentrate here`, `Keep up the good work`, `Low priority`, `Possible overkill` "
                                      "(in the report's language)."),
        )),
    ),
    "IMPORTANCE": (
        key("raw", "number", "Contribution to R² (0–1; a method's contributions add up to `r2`); " + SIX + ".",
            null=True),
        key("pct", "number", "Share of R² in % (the drivers add up to 100); " + SIX + ".", null=True),
        key("raw_low", "number", "Bootstrap interval of `raw`, lower end.", null=True,
            when="null without bootstrap intervals"),
        key("raw_high", "number", "Bootstrap interval of `raw`, upper end.", null=True,
            when="null without bootstrap intervals"),
        key("pct_low", "number", "Bootstrap interval of `pct`, lower end.", null=True,
            when="null without bootstrap intervals"),
        key("pct_high", "number", "Bootstrap interval of `pct`, upper end.", null=True,
            when="null without bootstrap intervals"),
    ),
    "COMPLIANCE": (
        key("label", "string", "The channel or group (blank for the total)."),
        key("standard_seconds", "number", "The response standard in seconds.", null=True,
            when="null for the total and groups across channels"),
        key("cases", "integer", "Cases received in the period."),
        key("answered", "integer", "Cases with a first response."),
        key("due", "integer", "Answered cases plus unanswered ones past their standard at `as_of`."),
        key("within", "integer", "Cases answered within the standard."),
        key("pending", "integer", "Unanswered cases still inside their standard."),
        key("within_pct", "number", "`within / due` in %; " + SIX + ".", null=True),
        key("low", "number", "Wilson 95 % interval of `within_pct`, lower end.", null=True),
        key("high", "number", "Wilson 95 % interval of `within_pct`, upper end.", null=True),
        key("base", "string", "Base flag of `due`: " + BASE + "."),
        key("median_seconds", "number", "Median time to first response in seconds.", null=True,
            when="null across channels"),
        key("p90_seconds", "number", "90th percentile of the time to first response.", null=True,
            when="null across channels"),
        key("closed", "integer", "Cases closed."),
        key("closure_median_seconds", "number", "Median time to close.", null=True),
        key("closure_p90_seconds", "number", "90th percentile of the time to close.", null=True),
        key("closure_due", "integer", "Cases due to be closed by the closure standard."),
        key("closure_within", "integer", "Cases closed within the closure standard."),
        key("closure_within_pct", "number", "`closure_within / closure_due` in %.", null=True),
        key("closure_low", "number", "Wilson 95 % interval of `closure_within_pct`, lower end.", null=True),
        key("closure_high", "number", "Wilson 95 % interval of `closure_within_pct`, upper end.", null=True),
        key("previous_pct", "number", "`within_pct` in the previous period.", null=True),
        key("previous_due", "integer", "`due` in the previous period."),
        key("change_pts", "number", "`within_pct` − `previous_pct` in percentage points.", null=True),
        key("p_value", "number", "Two-proportion z-test against the previous period.", null=True),
        key("p_adjusted", "number", "`p_value` adjusted for the other channels' changes (`settings.adjust`).",
            null=True),
        key("mark", "integer", "1 / −1 when the change is significant at `settings.alpha`, 0 otherwise (and 0 when "
                               "either base is suppressed)."),
        key("status", "string", "`green`, `amber`, `red` or `none` against `target_pct` by the report's status "
                                "rule.", null=True, when="null without a target"),
    ),
    "MEASURE": (
        key("period", "string", "The period measured."),
        key("value", "number", "The metric in its `unit`.", null=True),
        key("low", "number", "95 % interval, lower end.", null=True),
        key("high", "number", "95 % interval, upper end.", null=True),
        key("se", "number", "Standard error.", null=True),
        key("n", "integer", "Base (unweighted)."),
        key("base", "string", "Base flag: " + BASE + "."),
    ),
}

# --------------------------------------------------------------------------- the document

ROOT: tuple[Key, ...] = (
    key("schema", "string", "`cxreport.scores/2`: the version of this layout."),
    key("tool_version", "string", "The cxreport version that wrote it."),
    obj("project", "Which project was scored.",
        key("client", "string", "`client.name`."),
        key("title", "string", "`report.title`."),
        key("file", "string", "The project file's path.", null=True)),
    obj("settings", "The settings every figure depends on.",
        key("weighted", "boolean", "The figures are weighted (`columns.weight`)."),
        key("alpha", "number", "Significance level of every test and mark (`significance.alpha`)."),
        key("adjust", "string", "Multiple-comparison adjustment within each table (`significance.adjust`): `bh` "
                                "(Benjamini–Hochberg), `bonferroni` or `none`."),
        key("confidence", "number", "Confidence level of every interval (0.95)."),
        key("suppress_below", "integer", "Figures on fewer answers are suppressed (`bases.suppress_below`)."),
        key("flag_below", "integer", "Figures on fewer answers are flagged small (`bases.flag_below`)."),
        key("period_unit", "string", "`periods.unit`: month, quarter, year or wave."),
        key("fiscal_year_start", "integer", "`periods.fiscal_year_start`: the month the year starts.")),
    obj("sample", "The file and the window's respondents.",
        key("rows_read", "integer", "Data rows in the survey file."),
        key("rows_used", "integer", "Rows left after exclusions (every period)."),
        key("base", "integer", "Respondents in the reporting window."),
        key("weighted_base", "number", "Sum of their weights; rounded to 3 decimals.", null=True),
        key("n_eff", "number", "Effective base (Kish) of the window; rounded to 3 decimals.", null=True),
        key("weighting_efficiency", "number", "`n_eff / base` in % (100 unweighted); rounded to 3 decimals.",
            null=True)),
    obj("validation", "What the data check found (`cxreport validate` prints the same).",
        key("file", "string", "The survey file as named in messages."),
        mapping("excluded", "Rows left out, by reason.", "the reason (e.g. `duplicate respondent id`)", "integer"),
        arr("duplicate_ids", "Respondent ids that occur more than once (later copies excluded).", "string"),
        arr("columns", "One entry per checked column.", (
            key("column", "string", "The column's name in the file."),
            key("key", "string", "What it is: an ITEM, or another role."),
            key("valid", "integer", "Valid answers."),
            key("blank", "integer", "Empty cells."),
            key("missing_code", "integer", "Cells with a missing code (`missing_codes`)."),
            key("not_applicable", "integer", "Cells with a not-applicable code (`na_codes`)."),
            key("non_numeric", "integer", "Cells that are not a number or a known word."),
            key("out_of_scale", "integer", "Numbers outside the item's scale."),
        ))),
    obj("weighting", "The raking (`weighting:`, METHODS.md §9) over every used row of the file. Shares are "
                     "fractions (0–1); weights are relative to the mean weight.",
        key("method", "string", "`rake`."),
        arr("margins", "The segments raked to, in the project's order.", "string"),
        key("converged", "boolean", "Every margin was met within `tolerance`."),
        key("iterations", "integer", "Raking passes in all (each adjusts every margin once)."),
        key("rounds", "integer", "Rake-then-trim rounds (1 without `trim`)."),
        key("tolerance", "number", "The largest gap accepted as converged."),
        key("max_iterations", "integer", "The most passes allowed."),
        key("max_gap", "number", "Largest |weighted share − target| over every group at the end; rounded to 9 "
                                 "decimals."),
        arr("trim", "[low, high]: weights are capped to this range × the mean weight.", "number", null=True,
            when="null without `weighting.trim`"),
        key("trimmed", "integer", "Respondents whose weight was capped in the last trim."),
        key("design_weight", "string", "`columns.weight`, when raking started from it.", null=True),
        key("n", "integer", "Respondents weighted."),
        key("n_eff", "number", "Effective base (Kish) of the weights; rounded to 3 decimals."),
        key("efficiency", "number", "`n_eff / n` (0–1)."),
        key("min_weight", "number", "Smallest weight (relative to the mean)."),
        key("max_weight", "number", "Largest weight (relative to the mean)."),
        arr("shares", "One per group of every margin.", (
            key("segment", "string", "The margin's segment."),
            key("group", "string", "The group."),
            key("respondents", "integer", "Its respondents."),
            key("sample", "number", "Its share of the sample before raking (design-weighted with a design weight)."),
            key("target", "number", "The population share asked for."),
            key("achieved", "number", "Its weighted share after raking."),
        )),
        key("per_period", "boolean", "Each period is raked on its own (`weighting.per_period`)."),
        arr("periods", "Per period, with `per_period` (empty otherwise).", (
            key("period", "string", "The period."),
            key("n", "integer", "Its respondents."),
            key("iterations", "integer", "Raking passes."),
            key("converged", "boolean", "Its margins were met."),
            key("n_eff", "number", "Its effective base."),
            key("efficiency", "number", "`n_eff / n`."),
            key("min_weight", "number", "Smallest weight (relative to the period's mean)."),
            key("max_weight", "number", "Largest weight."),
        )),
        null=True, when="null without `weighting:`"),
    obj("window", "The reporting window (docs/periods.md): what was asked, what it covers, what it is compared with.",
        key("spec", "string", "The window as written (`report.period` or `--period`)."),
        key("kind", "string", "`all`, `latest`, `named`, `rolling` or `range`."),
        key("label", "string", "The window's label as printed."),
        key("unit", "string", "The period unit.", null=True),
        key("dated", "boolean", "The study has response dates (`columns.date`)."),
        arr("periods", "Labels of the periods the window covers.", "string"),
        key("start", "date", "First day covered (ISO date).", null=True, when="null without dates"),
        key("end", "date", "Last day covered (ISO date).", null=True, when="null without dates"),
        key("base", "integer", "Respondents in the window."),
        arr("comparisons", "The periods the window is compared with.", (
            key("kind", "string", "`previous`, `year_ago` or `baseline`."),
            key("period", "string", "Its label."),
            key("base", "integer", "Its respondents (0 when it has none)."),
        )),
        arr("trend", "Labels of the trend's periods (every period up to the window's end).", "string")),
    mapping("overall", "The window's figures, one per item.", ITEM, "ITEM_SCORE", key_pattern=ITEM_PATTERN),
    arr("comparisons", "The window against each comparison period (`window.comparisons`).", (
        key("kind", "string", "`previous`, `year_ago` or `baseline`."),
        key("period", "string", "The period's label."),
        key("base", "integer", "Its respondents."),
        mapping("overall", "That period's figures.", ITEM, "ITEM_SCORE", key_pattern=ITEM_PATTERN),
        mapping("changes", "The window minus that period, tested.", ITEM, "CHANGE", key_pattern=ITEM_PATTERN),
    )),
    mapping("targets", "Each target (`targets`) against the window's figure.", ITEM, (
        key("target", "number", "The target, in the headline figure's unit."),
        key("tolerance", "number", "The amber band below the target.", null=True),
        key("value", "number", "The window's figure **as printed** (rounded as the report rounds it), so the "
                               "status agrees with the page.", null=True),
        key("gap", "number", "`value − target` (for CES, lower is better).", null=True),
        key("status", "string", "`green`, `amber`, `red` or `none` by the report's one status rule."),
    ), key_pattern=ITEM_PATTERN),
    key("segments_period", "PERIOD", "The rows the segment figures describe (pooled with `report.pool.segments`)."),
    arr("segments", "One breakdown per segment (and per multi-punch question).", (
        key("name", "string", "The segment's name."),
        key("column", "string", "Its column in the file."),
        key("overlapping", "boolean", "A multi-punch question: the groups are the respondents who ticked each code, "
                                      "then `Not stated`; a respondent can be in several."),
        arr("groups", "Its groups, in the segment's order.", "GROUP"),
    )),
    arr("mentions", "One table per multi-punch question (`columns.multi_punch`).", (
        key("name", "string", "The question's name."),
        key("column", "string", "Its column."),
        key("question", "string", "The question's text.", null=True),
        key("base", "integer", "Respondents who answered it."),
        key("weighted_base", "number", "Their weights' sum; rounded to 3 decimals.", null=True),
        key("base_flag", "string", "Base flag: " + BASE + "."),
        key("not_answered", "integer", "Respondents who did not answer it."),
        arr("rows", "One per code, most mentioned first.", (
            key("code", "string", "The code."),
            key("label", "string", "Its label."),
            key("count", "integer", "Respondents who ticked it (unweighted)."),
            key("weighted_count", "number", "Their weights' sum; rounded to 3 decimals.", null=True),
            key("pct", "number", "% of `base` (weighted in weighted studies; the rows can add up to more than 100); "
                + SIX + ".", null=True, when="null below `suppress_below`"),
        )),
    )),
    arr("periods", "The trend: every period up to the window's end in date order, each tested against the previous "
                   "(and against the same period a year before). Empty without dates.", "GROUP"),
    obj("period_change", "The window against the previous period and the same period a year before (their full "
                         "figures are in `comparisons`).",
        key("period", "string", "The window's label."),
        key("previous", "string", "The previous period.", null=True, when="null when it has no respondents"),
        mapping("vs_previous", "Window − previous period.", ITEM, "CHANGE", key_pattern=ITEM_PATTERN),
        key("year_ago", "string", "The same period a year before.", null=True, when="null when it has no respondents"),
        mapping("vs_year_ago", "Window − the period a year before.", ITEM, "CHANGE", key_pattern=ITEM_PATTERN),
        null=True, when="null without dates or with the window `all`"),
    arr("benchmarks", "The KPIs against the published standards named in `benchmarks.compare`.", (
        key("kpi", "string", "The ITEM compared."),
        key("label", "string", "Its label."),
        key("value", "number", "The window's figure on its own scale; " + SIX + ".", null=True),
        key("compared_value", "number", "The figure on the standard's metric (after any conversion).", null=True),
        obj("standard", "The published figure.",
            key("id", "string", "The standard's id in the standards list."),
            key("metric", "string", "Its metric."),
            key("value", "number", "Its value."),
            key("year", "integer", "The year it describes."),
            key("source", "string", "Who published it."),
            key("credit", "string", "The credit line printed under it.")),
        key("gap", "number", "`compared_value − standard.value`; " + SIX + ".", null=True),
        key("position", "string", "`above`, `level` or `below` the standard (`none` without a figure)."),
        key("conversion", "string", "The project's note when the figure was converted to the standard's metric.",
            null=True, when="null unless converted"),
    )),
    mapping("tiers", "Service-standard tiers (`tiers`) of the window and of every segment group.", ITEM, (
        mapping("thresholds", "Tier name → the figure a group needs to reach it.", "the tier's name", "number"),
        key("overall", "string", "The window's tier.", null=True, when="null below the lowest tier"),
        arr("segments", "Every segment group's tier.", (
            key("segment", "string", "The segment."),
            key("group", "string", "The group."),
            key("tier", "string", "Its tier.", null=True, when="null when suppressed or below the lowest tier"),
        )),
    ), key_pattern=ITEM_PATTERN),
    obj("banners", "Banner tables (docs/banners.md): items (rows) by the groups of segments (columns), with "
                   "column-letter significance marks.",
        key("period", "PERIOD", "The rows the tables describe (as `segments_period`)."),
        key("adjust", "string", "The adjustment applied within each table (`settings.adjust`)."),
        key("alpha", "number", "The significance level of the letters."),
        arr("items", "The ITEMs of the rows, in order.", "string"),
        arr("tables", "One per banner (`banners.segments`, or one per single-answer segment by default).", (
            key("name", "string", "The banner's name (its segments' names, joined)."),
            arr("segments", "Its segments, side by side.", "string"),
            key("base", "integer", "Respondents in the Total column."),
            arr("columns", "Its columns after Total, segment by segment.", (
                key("segment", "string", "The column's segment."),
                key("label", "string", "The group."),
                key("letter", "string", "Its letter (A, B …).", null=True, when="null for a column not tested "
                                                                               "(e.g. `Not stated`)"),
                key("base", "integer", "Its respondents."),
                key("weighted_base", "number", "Their weights' sum; rounded to 3 decimals.", null=True),
                key("base_flag", "string", "Base flag: " + BASE + "."),
            )),
            arr("rows", "One per item.", (
                key("item", "string", "The ITEM."),
                key("label", "string", "Its label."),
                key("headline", "string", "The figure shown: `nps`, `top2`, `index` or `mean`."),
                key("unit", "string", "Its unit."),
                obj("total", "The Total column.",
                    key("value", "number", "The headline figure; " + SIX + ".", null=True,
                        when="null when suppressed"),
                    key("n", "integer", "Its base."),
                    key("base", "string", "Base flag: " + BASE + ".")),
                arr("cells", "One per column, in `columns` order.", (
                    key("value", "number", "The headline figure; " + SIX + ".", null=True,
                        when="null when suppressed"),
                    key("n", "integer", "Its base."),
                    key("base", "string", "Base flag: " + BASE + "."),
                    key("letters", "string", "Letters of the columns of the same segment this cell is "
                                             "significantly higher than (blank: none)."),
                )),
            )),
            arr("tests", "Every pairwise test between two columns of the same segment.", (
                key("item", "string", "The ITEM tested."),
                key("a", "string", "The first column's letter."),
                key("b", "string", "The second column's letter."),
                key("diff", "number", "a − b in the headline's unit; " + SIX + ".", null=True),
                key("statistic", "number", "The test statistic.", null=True),
                key("p_value", "number", "Two-sided p-value; rounded to 8 decimals.", null=True),
                key("p_adjusted", "number", "Adjusted within the table (`adjust`); rounded to 8 decimals.",
                    null=True),
                key("method", "string", "The test used.", null=True),
                key("significant", "boolean", "`p_adjusted` ≤ `alpha`."),
            )),
        )),
        null=True, when="null when `banners: false`"),
    arr("competitors", "Own brand against competitors, per metric (`competitors`).", (
        key("metric", "string", "The metric (`nps`, `csat`, `ces` or a table metric)."),
        key("label", "string", "Its label."),
        key("origin", "string", "`survey` (scored from the competitor survey) or `table` (published figures)."),
        key("period", "string", "The period compared.", null=True),
        key("own", "number", "The own brand's figure.", null=True),
        key("competitor_average", "number", "Mean of the competitors' figures.", null=True),
        obj("best_in_class", "The competitor with the best figure.",
            key("brand", "string", "The brand."),
            key("value", "number", "Its figure."),
            null=True, when="null when no competitor has a figure"),
        key("rank", "integer", "The own brand's rank (1 = best).", null=True),
        key("brands_ranked", "integer", "Brands with a figure shown."),
        key("gap_to_leader", "number", "Own − the best competitor.", null=True),
        key("leads", "boolean", "The own brand is first."),
        arr("notes", "Notes printed under the comparison.", "string"),
        arr("brands", "Every brand, own brand included.", (
            key("brand", "string", "The brand."),
            key("own", "boolean", "It is the own brand."),
            key("value", "number", "Its figure; " + SIX + ".", null=True),
            key("low", "number", "95 % interval, lower end (survey metrics).", null=True),
            key("high", "number", "95 % interval, upper end.", null=True),
            key("n", "integer", "Its base.", null=True, when="null for table figures without a base"),
            key("base", "string", "Base flag: " + BASE + "."),
            key("diff_own_minus_brand", "number", "Own − this brand.", null=True, when="null for the own brand"),
            key("p_value", "number", "Test of the difference; rounded to 8 decimals.", null=True),
            key("p_adjusted", "number", "`p_value` adjusted for the metric's other brand tests (`settings.adjust`); "
                                        "`mark` is decided on it.", null=True),
            key("testable", "boolean", "The difference could be tested (both bases known and shown)."),
            key("mark", "integer", "1 own brand significantly higher, −1 lower, 0 otherwise."),
            key("source", "string", "Where the figure comes from."),
        )),
    )),
    arr("sources", "The client's KPI from several sources (this survey, the competitor survey, syndicated tables), "
                   "set side by side.", (
        key("kpi", "string", "The ITEM."),
        key("label", "string", "Its label."),
        arr("figures", "One per source.", (
            key("source", "string", "The source."),
            key("period", "string", "The period it describes."),
            key("value", "number", "The figure; " + SIX + ".", null=True),
            key("base", "integer", "Its base.", null=True),
            key("headline", "boolean", "This is the report's headline figure (this survey)."),
        )),
    )),
    obj("drivers", "The key driver analysis (`drivers`; METHODS.md §5).",
        key("period", "PERIOD", "The rows analysed (pooled with `report.pool.drivers`).", null=True),
        key("overall", "ANALYSIS", "The total's analysis.", null=True,
            when="null when the total's base is too small (the reason is in `skipped`)"),
        key("not_computed", "string", "The report's note when the total's analysis could not run.", null=True,
            when="null when `overall` is not"),
        arr("segments", "One analysis per group of each segment in `drivers.segments` with enough base.", "ANALYSIS"),
        arr("skipped", "One line per analysis that could not run, with why (e.g. `Region: North in 2026 Q3: only 47 "
                       "complete cases for 5 drivers (at least 200 needed)`).", "string"),
        arr("scales", "Reliability of each declared scale (`scales`); this is the only place α is written.", (
            key("name", "string", "The scale's name."),
            key("alpha", "number", "Cronbach's α of its items on the window's complete cases; " + SIX + ".",
                null=True, when="null when it cannot be computed (see `note`)"),
            key("n", "integer", "Complete cases α is computed on (0 when it could not be)."),
            key("note", "string", "Why α could not be computed (blank otherwise)."),
            arr("items", "Each item's diagnostics.", (
                key("name", "string", "The attribute."),
                key("item_rest", "number", "Its correlation with the sum of the scale's other items.", null=True),
                key("alpha_if_deleted", "number", "α of the other items.", null=True,
                    when="null for a two-item scale"),
            )),
            arr("warnings", "One line per item that correlates negatively with the rest (reverse-worded and "
                            "not marked `reverse: true`?), also printed as a warning.", "string"),
        )),
        null=True, when="null without `drivers:`"),
    arr("priorities", "The priority matrix (`priorities`): the total's drivers ranked by impact.", (
        key("rank", "integer", "1 = the highest impact."),
        key("attribute", "string", "The attribute's label."),
        key("impact", "number", "`importance_pct × gap / 100`: the share of the outcome that closing the gap "
                                "could move; " + SIX + "."),
        key("importance_pct", "number", "The driver's importance (as in `drivers.overall`)."),
        key("performance", "number", "Its performance (0–100)."),
        key("gap", "number", "Distance from performance to the goal in 0–100 points (0 when above it)."),
        key("gap_to", "string", "The goal: `target` (every driver has a target mean, rescaled) or `top of the scale`."),
        key("effort", "string", "`priorities.effort` for the attribute.", null=True, when="null when not given"),
        key("quadrant", "string", "Its importance × performance quadrant."),
        key("theme", "string", "The comment theme `priorities.themes` pairs it with.", null=True),
        key("theme_comments", "integer", "Comments mentioning that theme.", null=True),
        key("theme_negative", "integer", "Negative ones among them.", null=True),
        key("theme_nps_impact", "number", "The theme's NPS impact (`theme_impact.themes[].impact`): points of "
                                          "overall NPS it costs (negative) or adds; evidence only, the rank is by "
                                          "`impact`; " + SIX + ".", null=True,
            when="null without a theme, or when the theme's impact is not shown (no NPS, a suppressed base)"),
        key("theme_nps_impact_low", "number", "Its 95 % interval, lower end; " + SIX + ".", null=True),
        key("theme_nps_impact_high", "number", "Its 95 % interval, upper end; " + SIX + ".", null=True),
        key("theme_nps_impact_mark", "integer", "1 / −1: the theme's mentioners have a significantly higher / "
                                                "lower NPS than the others (adjusted); 0 otherwise."),
    ), when="empty without `priorities:`"),
    obj("comments", "Comment analytics (`comments`; docs/analytics.md). Verbatims are masked before they are "
                    "written.",
        key("period", "PERIOD", "The comments' rows (pooled with `report.pool.comments`)."),
        key("comments", "integer", "Non-empty comments."),
        key("uncoded", "integer", "Comments that match no theme of the code frame."),
        mapping("sentiment", "Comments by sentiment.", "`negative`, `neutral`, `positive`", "integer"),
        arr("themes", "One per theme of the code frame, most mentioned first.", (
            key("theme", "string", "The theme."),
            key("count", "integer", "Comments that mention it."),
            key("share_pct", "number", "`count` as % of `comments`; " + SIX + "."),
            key("negative", "integer", "Negative comments among them."),
            key("neutral", "integer", "Neutral ones."),
            key("positive", "integer", "Positive ones."),
            key("mean_sentiment", "number", "Mean VADER compound score of its comments (−1 to 1); " + SIX + ".",
                null=True),
            arr("verbatims", "Quoted comments (at most `comments.verbatims_per_theme`), masked.", (
                key("text", "string", "The masked comment."),
                key("sentiment", "string", "Its sentiment."),
                key("row", "integer", "Its row in the survey file."),
            )),
        )),
        arr("pareto", "The themes of the negative comments, most mentioned first, with the cumulative share.", (
            key("theme", "string", "The theme."),
            key("count", "integer", "Negative comments that mention it."),
            key("pct", "number", "`count` as % of the negative comments' theme mentions; " + SIX + "."),
            key("cumulative_pct", "number", "Running total of `pct`; " + SIX + "."),
        )),
        mapping("by_segment", "Theme counts by the groups of `comments.segment` (or the first segment of at most "
                              "8 groups).", "the segment's name",
                mapping("<segment>", "One segment: its groups.", "the group's label",
                        mapping("<group>", "A group's comments per theme.", "the theme", "integer"))),
        null=True, when="null without `comments:` and `columns.comment`"),
    key("actions", "object", "The action register measured (docs/actions.md); see its section below.", null=True,
        when="null without `actions:`"),
    key("response_times", "object", "The case log's response times (docs/cases.md); see its section below.",
        null=True, when="null without `cases:`"),
    obj("journey", "The journey map (`journey`).",
        key("period", "PERIOD", "The rows the map describes (pooled with `report.pool.journey`)."),
        key("kpi", "string", "The ITEM each touchpoint is scored on."),
        arr("stages", "The stages, in order.", "string"),
        key("previous_period", "string", "The period the changes are against.", null=True),
        arr("touchpoints", "One per touchpoint, by stage.", (
            key("stage", "string", "Its stage."),
            key("touchpoint", "string", "The touchpoint."),
            key("value", "number", "The KPI's headline figure; " + SIX + ".", null=True),
            key("low", "number", "95 % interval, lower end.", null=True),
            key("high", "number", "95 % interval, upper end.", null=True),
            key("n", "integer", "Its base."),
            key("base", "string", "Base flag: " + BASE + "."),
            key("target", "number", "`journey.targets` for it.", null=True),
            key("gap", "number", "The figure as printed minus the target.", null=True),
            key("change", "number", "Change since `previous_period`, as printed.", null=True),
            key("mark", "integer", "1 / −1 significant rise / fall, 0 otherwise."),
            key("pain_point", "boolean", "A pain point: one of the `journey.pain_points` lowest touchpoints, or below "
                                          "its target by more than the KPI's tolerance."),
        )),
        null=True, when="null without `journey:`"),
    # Voice of the customer and customer value (issue 16): each block's keys are described
    # beside its exporter, in cxreport/exports/ (joined to BLOCKS at the end of this module).
    key("theme_impact", "object", "What each comment theme costs in NPS and CSAT (docs/voice.md); see its section "
                                  "below.", null=True, when="null without `comments:` and `columns.comment`, or "
                                                            "without NPS"),
    key("theme_trends", "object", "Each comment theme's share and the mean sentiment per period, with emerging "
                                  "themes (docs/voice.md); see its section below.", null=True,
        when="null without comments or dated responses"),
    key("suggested_themes", "object", "Frequent, distinctive phrases of the uncoded comments (docs/voice.md); see "
                                      "its section below.", null=True,
        when="null without comments, or with `comments.suggestions.max: 0`"),
    key("emotion", "object", "The tone of the comments by touchpoint and stage (docs/voice.md); see its section "
                             "below.", null=True, when="null without comments, a journey with stage and touchpoint "
                                                       "columns, or with `journey.emotion: false`"),
    key("consistency", "object", "Each KPI across the channels (docs/methods.md); see its section below.",
        null=True, when="null without `consistency:`"),
    key("customer_value", "object", "The customer file joined to the survey: RFM value segments, scores by value, "
                                    "satisfied-but-not-loyal customers, churn (docs/customer-value.md); see its "
                                    "section below.", null=True, when="null without `customers:`"),
)

ACTIONS: tuple[Key, ...] = (
    key("register", "string", "The register file."),
    key("as_of", "date", "The report date overdue and due-soon flags are counted from."),
    key("window", "string", "The reporting window's label."),
    key("alpha", "number", "Significance level of the tests."),
    key("power", "number", "Power the minimum detectable effect is computed for (0.8)."),
    key("due_soon_days", "integer", "An open action due within this many days is due soon."),
    mapping("counts", "Actions by verdict.", "`improved`, `no detectable change`, `worsened`, `too early`",
            "integer"),
    key("overdue", "integer", "Open actions past their due date."),
    key("due_soon", "integer", "Open actions due soon."),
    arr("actions", "One per action of the register.", (
        key("id", "string", "The action's id."),
        key("title", "string", "Its title."),
        key("owner", "string", "Its owner."),
        key("start", "date", "Its start date."),
        key("due", "date", "Its due date."),
        key("status", "string", "`planned`, `in progress`, `done` or `dropped`."),
        key("metric", "string", "The metric as written."),
        key("kpi", "string", "The ITEM it resolves to.", null=True, when="null for non-survey metrics"),
        key("metric_label", "string", "The metric's label."),
        key("unit", "string", "`points`, `percent` or `mean`."),
        key("direction", "integer", "1: up is better; −1: down is better."),
        key("expected", "number", "The change the owner expects.", null=True),
        key("baseline", "MEASURE", "The metric before the action.", null=True, when="null when too early"),
        key("now", "MEASURE", "The metric in the window (or its last period).", null=True, when="null when too early"),
        key("change", "number", "`now − baseline`; " + SIX + ".", null=True),
        key("change_shown", "number", "The difference of the printed figures.", null=True),
        key("change_low", "number", "95 % interval of the change, lower end.", null=True),
        key("change_high", "number", "95 % interval of the change, upper end.", null=True),
        key("p_value", "number", "Test of the change.", null=True),
        key("test", "string", "The test used.", null=True),
        key("mde", "number", "Minimum detectable effect at 80 % power.", null=True),
        key("verdict", "string", "`improved`, `no detectable change`, `worsened` or `too early`."),
        key("reason", "string", "Why it is too early.", null=True),
        key("overdue", "boolean", "Open and past due."),
        key("due_soon", "boolean", "Open and due within `due_soon_days`."),
        key("days_to_due", "integer", "Days from `as_of` to the due date (negative when past)."),
        arr("themes", "Complaint themes it addresses.", "string"),
        key("notes", "string", "The register's notes.", null=True),
    )),
    obj("you_said_we_did", "The leading complaint themes with the actions on them.",
        key("period", "string", "The comments' period."),
        arr("themes", "One per leading negative theme.", (
            key("theme", "string", "The theme."),
            key("negative_comments", "integer", "Negative comments on it."),
            key("share_pct", "number", "Their share of the negative comments in %."),
            key("quote", "string", "A masked comment.", null=True),
            arr("actions", "Ids of the actions on it.", "string"),
        )),
        arr("unaddressed", "Leading themes no action addresses.", "string")),
)

RESPONSE_TIMES: tuple[Key, ...] = (
    key("file", "string", "The case log."),
    key("period", "string", "The period the figures describe (the reporting window)."),
    key("previous_period", "string", "The period they are compared with.", null=True),
    key("rows_read", "integer", "Rows in the case log."),
    key("rows_used", "integer", "Rows used."),
    mapping("excluded", "Rows left out, by reason (docs/cases.md, Bad rows).", "the reason", "integer"),
    key("as_of", "datetime", "The latest timestamp in the log (local time).", null=True),
    mapping("standards_seconds", "Response standard per channel, in seconds.", "the channel", "number"),
    key("closure_standard_seconds", "number", "The closure standard in seconds.", null=True),
    key("target_pct", "number", "The target share answered within the standard, in %.", null=True),
    key("tolerance_pts", "number", "The amber band below it, in points.", null=True),
    arr("channels", "One per channel, in the order of `cases.standards`.", "COMPLIANCE"),
    key("total", "COMPLIANCE", "Every channel (label blank; no median or P90 across channels)."),
    arr("trend", "Every period up to the window's end.", (
        key("period", "string", "The period."),
        key("key", "integer", "Its sort key."),
        key("total", "COMPLIANCE", "Every channel."),
        arr("channels", "Per channel.", "COMPLIANCE"),
    )),
    arr("breakdowns", "By category and by survey segment.", (
        key("name", "string", "`category` or a segment's name."),
        arr("groups", "Its groups.", "COMPLIANCE"),
    )),
    obj("backlog", "Open cases at the end of the window.",
        key("at", "datetime", "The moment the backlog is counted at."),
        key("basis", "string", "`closed` or `first_response`: what ends a case's openness."),
        key("open", "integer", "Open cases."),
        mapping("by_channel", "Open cases per channel.", "the channel", "integer"),
        key("overdue", "integer", "Open cases past their standard."),
        key("overdue_rule", "string", "`closure` or `response`: the standard overdue is judged by."),
        arr("ageing", "Open cases by age band.", (
            key("from_seconds", "number", "Band start, in seconds."),
            key("to_seconds", "number", "Band end (null: open-ended).", null=True),
            key("count", "integer", "Open cases in the band."),
            key("pct", "number", "Their share of the open cases in %.", null=True),
        )),
        null=True),
    obj("detractor_follow_up", "Detractors linked to cases: were they contacted, and in time?",
        key("detractors", "integer", "Detractors in the window."),
        key("contacted", "integer", "Those with a case."),
        key("contacted_pct", "number", "Their share in %.", null=True),
        key("contacted_low", "number", "Wilson 95 % interval, lower end.", null=True),
        key("contacted_high", "number", "Wilson 95 % interval, upper end.", null=True),
        key("within", "integer", "Contacted within the standard."),
        key("within_pct", "number", "Their share in %.", null=True),
        key("low", "number", "Wilson 95 % interval, lower end.", null=True),
        key("high", "number", "Wilson 95 % interval, upper end.", null=True),
        key("base", "string", "Base flag: " + BASE + "."),
        key("unmatched_ids", "integer", "Case respondent ids that match no survey respondent."),
        null=True, when="null unless `cases.link` links cases to respondents"),
)

#: Blocks typed "object" in ROOT whose keys are described in their own table.
BLOCKS: dict[str, tuple[Key, ...]] = {"actions": ACTIONS, "response_times": RESPONSE_TIMES}


def _issue16_blocks() -> None:
    """Issue 16's blocks, described beside their exporters (cxreport/exports/)."""
    from cxreport.exports import consistency, suggestions, value, voc

    BLOCKS.update({"theme_impact": voc.THEME_IMPACT, "theme_trends": voc.THEME_TRENDS,
                   "suggested_themes": suggestions.SUGGESTED_THEMES, "emotion": suggestions.EMOTION,
                   "consistency": consistency.CONSISTENCY, "customer_value": value.CUSTOMER_VALUE})


_issue16_blocks()


def _children(k: Key) -> tuple[Key, ...] | None:
    if k.type == "object":
        return BLOCKS.get(k.name) if k.of is None else k.of
    return None


# --------------------------------------------------------------------------- checking a document

_TYPES = {"string": str, "integer": int, "number": (int, float), "boolean": bool, "date": str, "datetime": str}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?$")


class Checker:
    """Checks documents against the schema and remembers which keys it has seen (for the
    "documented but never produced" half of the test)."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.seen: set[str] = set()

    def _scalar(self, type_: str, value: Any, where: str) -> None:
        ok = isinstance(value, _TYPES[type_]) and not (type_ != "boolean" and isinstance(value, bool))
        if ok and type_ == "date":
            ok = bool(_DATE.match(value))
        if ok and type_ == "datetime":
            ok = bool(_DATETIME.match(value))
        if not ok:
            self.problems.append(f"{where}: expected {type_}, found {type(value).__name__} {value!r:.40}")

    def value(self, type_: str, of: Any, value: Any, where: str, path: str, k: Key | None = None) -> None:
        if value is None:
            if k is None or not k.null:
                self.problems.append(f"{where}: null, but the schema does not allow null")
            return
        if type_ in SCALARS:
            self._scalar(type_, value, where)
        elif type_ in SHAPES:
            self.object(SHAPES[type_], value, where, type_)
        elif type_ == "object":
            keys = BLOCKS.get(k.name) if (k is not None and of is None) else of
            self.object(keys, value, where, path)
        elif type_ == "array":
            if not isinstance(value, list):
                self.problems.append(f"{where}: expected a list")
                return
            for i, item in enumerate(value):
                self.element(of, item, f"{where}[{i}]", path + "[]")
        elif type_ == "map":
            if not isinstance(value, dict):
                self.problems.append(f"{where}: expected a mapping")
                return
            for name, item in value.items():
                if k is not None and k.key_pattern and not re.match(k.key_pattern, name):
                    self.problems.append(f"{where}: key {name!r} is not {k.keyed_by}")
                self.element(of, item, f"{where}.{name}", path + ".<key>")
        else:  # pragma: no cover - a schema mistake
            raise ValueError(f"{path}: unknown type {type_!r}")

    def element(self, of: Any, item: Any, where: str, path: str) -> None:
        if isinstance(of, tuple):
            self.object(of, item, where, path)
        elif isinstance(of, Key):        # a mapping of mappings (comments.by_segment)
            self.value(of.type, of.of, item, where, path, of)
        else:
            self.value(of, None, item, where, path)

    def object(self, keys: tuple[Key, ...], value: Any, where: str, path: str) -> None:
        if not isinstance(value, dict):
            self.problems.append(f"{where}: expected an object, found {type(value).__name__}")
            return
        known = {k.name: k for k in keys}
        for name in value:
            if name not in known:
                self.problems.append(f"{path + '.' if path else ''}{name}: not in the scores JSON schema "
                                     f"(cxreport/jsonschema.py); found at {where + '.' if where else ''}{name}")
        for k in keys:
            full = f"{path}.{k.name}" if path else k.name
            if k.name not in value:
                if not k.optional:
                    self.problems.append(f"{where + '.' if where else ''}{k.name}: missing (the schema says it is "
                                         "always present)")
                continue
            self.seen.add(full)
            self.value(k.type, k.of, value[k.name], f"{where}.{k.name}" if where else k.name, full, k)

    def check(self, document: dict) -> list[str]:
        before = len(self.problems)
        self.object(ROOT, document, "", "")
        return self.problems[before:]


def paths() -> dict[str, Key]:
    """Every described key by its path (``drivers.overall``; shapes by their name:
    ``ANALYSIS.drivers[].raw``)."""
    out: dict[str, Key] = {}

    def walk(keys: tuple[Key, ...], prefix: str) -> None:
        for k in keys:
            full = f"{prefix}.{k.name}" if prefix else k.name
            out[full] = k
            children = _children(k)
            if children is not None:
                walk(children, full)
            elif k.type in ("array", "map") and isinstance(k.of, tuple):
                walk(k.of, full + ("[]" if k.type == "array" else ".<key>"))

    walk(ROOT, "")
    for name, keys in SHAPES.items():
        walk(keys, name)
    return out


# --------------------------------------------------------------------------- JSON Schema (draft 2020-12)

_JSON_TYPES = {"string": {"type": "string"}, "integer": {"type": "integer"}, "number": {"type": "number"},
               "boolean": {"type": "boolean"}, "date": {"type": "string", "format": "date"},
               "datetime": {"type": "string"}}        # local times carry no offset: not RFC 3339 date-time


def _json_type(type_: str, of: Any, k: Key | None) -> dict:
    if type_ in _JSON_TYPES:
        return dict(_JSON_TYPES[type_])
    if type_ in SHAPES:
        return {"$ref": f"#/$defs/{type_}"}
    if type_ == "object":
        keys = BLOCKS.get(k.name) if (k is not None and of is None) else of
        return _json_object(keys)
    if type_ == "array":
        return {"type": "array", "items": _json_element(of)}
    if type_ == "map":
        out = {"type": "object", "additionalProperties": _json_element(of)}
        if k is not None and k.key_pattern:
            out["propertyNames"] = {"pattern": k.key_pattern}
        return out
    raise ValueError(f"unknown type {type_!r}")  # pragma: no cover - a schema mistake


def _json_element(of: Any) -> dict:
    if isinstance(of, tuple):
        return _json_object(of)
    if isinstance(of, Key):
        return _json_key(of)
    return _json_type(of, None, None)


def _json_key(k: Key) -> dict:
    out = _json_type(k.type, k.of, k)
    if k.null:
        out = {"anyOf": [out, {"type": "null"}]}
    return {"description": k.meaning + (f" ({k.when})" if k.when else ""), **out}


def _json_object(keys: tuple[Key, ...]) -> dict:
    return {"type": "object", "properties": {k.name: _json_key(k) for k in keys},
            "required": [k.name for k in keys if not k.optional], "additionalProperties": False}


def json_schema() -> dict:
    """The scores JSON as a JSON Schema (draft 2020-12) document: docs/scores-json.schema.json."""
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "urn:cxreport:scores:2",
            "title": "cxreport scores JSON (cxreport.scores/2)",
            "description": "Written by `cxreport score --format json`; described in docs/scores-json.md.",
            **_json_object(ROOT), "$defs": {name: _json_object(keys) for name, keys in SHAPES.items()}}


# --------------------------------------------------------------------------- the reference page

HEADER = """# The scores JSON (`cxreport score --format json`)

Generated from `cxreport/jsonschema.py` by `python -m cxreport.docgen`; do not edit by hand.
A test scores the samples and constructed projects and fails when the JSON has a key this
page does not describe, or this page describes a key that never appears. The same
description as a JSON Schema (draft 2020-12) document, for validating the output in a
pipeline, is [scores-json.schema.json](scores-json.schema.json).

The document is one JSON object, versioned by its `schema` field (`cxreport.scores/2`).
Sections that describe the reporting window (`overall`, `segments`, `targets`, `benchmarks`,
`tiers`, `drivers`, `journey`, `comments`) describe the window of `report.period` or
`--period` (docs/periods.md); `comparisons` and `periods` hold the other periods.

## Rounding and units

- Figures are written at full precision, **rounded to 6 decimals**; p-values to 8 decimals;
  effective bases (`n_eff`), weighted bases and weighted counts to 3 decimals. They are not
  rounded as the report prints them (whole NPS points, one decimal for % and means …), with
  two exceptions named in their rows: `targets.*.value` is the figure as printed, so its
  status agrees with the page, and the journey's `gap` and `change` are differences of
  printed figures.
- Numbers that cannot be computed (no answers, a division by zero, an infinite value) are
  `null`, never `NaN`.
- Units: NPS and the CES index in points (−100 to 100); top-2-box and every `*_pct` in
  percent (0–100); means on the item's own scale (`scale`); `r2` and `raw` as a proportion
  (0–1); times in seconds; dates as ISO `YYYY-MM-DD`.
- Suppressed figures are still written, with `base: "suppressed"`; reports hide them.
- ITEM, the key of every per-item mapping, is `nps`, `csat`, `ces`, `acsi` or
  `attr:<attribute name>`.

## Reading the tables

Each row is one key, by its path: `a.b` is key `b` of object `a`, `a[]` an element of list
`a`, `a.<key>` any key of mapping `a`. The type says `or null` when the value may be
`null`; **when** says when the key is present (or not null) if not always. An upper-case
type (ITEM_SCORE, GROUP, CHANGE, PERIOD, ANALYSIS …) is a shape described at the end.

"""

FOOTER = """## The CSV form (`--format csv`)

A long table with the columns `breakdown, group, item, label, figure, value, low, high, n,
n_eff, base, diff, p_value, p_adjusted, mark, period`: one row per breakdown × group × item ×
figure (nps, top2, index, mean); the test columns are filled on the headline figure, and
`mark` follows `p_adjusted` (the p-value adjusted with its table, METHODS.md §8). `Total` rows
are the reporting window; `Comparison` rows (group `previous`, `year_ago`, `baseline`) the
periods it is compared with; `period` names the period each row describes. Text cells that
a spreadsheet would run as a formula are prefixed with an apostrophe.

## Multi-punch questions

Multi-punch questions (`columns.multi_punch`, see [inputs.md](inputs.md)) appear twice: as a
segment with `"overlapping": true`, whose groups are the respondents who ticked each code
(a respondent can be in several, so the bases add up to more than the total), and under
`mentions`, one table per question: `count` is respondents (unweighted), `pct` the share of
the `base` (the respondents who answered the question; weighted in weighted studies, `null`
below `suppress_below`). The percentages can add up to more than 100.

## From `cxreport.scores/1` to `/2`

Version 2 came with the reporting window ([periods.md](periods.md)): `overall`, `segments`,
`targets`, `benchmarks`, `tiers`, `drivers`, `journey` and `comments` describe the window
(by default the latest period) instead of every response pooled; `window` says which
period that is, `comparisons` holds the figures of the previous period, the same period a
year earlier and the baseline with their tests, and `periods` is the trend up to the
window's end. `cxreport score --period all` gives the pooled figures of version 1.
"""

SECTION_NOTES = {
    "drivers": "Each driver has both methods' figures under their own names (`relative_weight`, and `lmg` when "
               "Shapley is computed), so no key changes meaning with `drivers.method`; `importance_pct` is the "
               "`primary` method's `pct` (Shapley with `drivers.method: shapley`, otherwise relative weights). An "
               "analysis that cannot run (too few complete cases, a constant driver) is not an error: it is left "
               "out, its reason is a line of `skipped`, and validate, score and build print it as a warning.",
    "response_times": "`within_pct` is `within / due`; `due` counts answered cases and unanswered ones past their "
                      "standard at `as_of`; `pending` the unanswered ones still inside it. The report, the "
                      "workbook's Response times sheet and the deck print these figures.",
    "actions": "Figures are in each metric's unit (`unit`). `baseline` and `now` are null when the action is "
               "too early to measure (it starts after the window, or there is no period before it); then "
               "`change`, `p_value` and `mde` are null too.",
}


def _type_text(k: Key) -> str:
    inner = "objects" if isinstance(k.of, tuple) else ("mappings" if isinstance(k.of, Key) else str(k.of))
    if k.type == "array":
        text = f"list of {inner}"
    elif k.type == "map":
        text = f"mapping of {inner}"
    else:
        text = k.type
    return text + (" or null" if k.null else "")


def _rows(keys: tuple[Key, ...], prefix: str, lines: list[str]) -> None:
    for k in keys:
        full = f"{prefix}.{k.name}" if prefix else k.name
        meaning = k.meaning + (f" Keys: {k.keyed_by}." if k.keyed_by else "")
        when = k.when or ("may be absent" if k.optional else "")
        lines.append(f"| `{full}` | {_type_text(k)} | {when} | {meaning} |".replace("\n", " "))
        children = _children(k)
        if children is not None and k.name not in BLOCKS:
            _rows(children, full, lines)
        elif k.type in ("array", "map") and isinstance(k.of, tuple):
            _rows(k.of, full + ("[]" if k.type == "array" else ".<key>"), lines)
        elif k.type == "map" and isinstance(k.of, Key):
            _rows((k.of,), full, lines)


def _table(keys: tuple[Key, ...], prefix: str) -> list[str]:
    lines = ["| key | type | when | meaning |", "|---|---|---|---|"]
    _rows(keys, prefix, lines)
    return lines + [""]


def reference() -> str:
    """docs/scores-json.md."""
    lines = [HEADER, "## Blocks\n", "| block | type | when | meaning |", "|---|---|---|---|"]
    for k in ROOT:
        name = f"`{k.name}`" if k.type in SCALARS else f"[`{k.name}`](#{k.name.replace('_', '-')})"
        lines.append(f"| {name} | {_type_text(k)} | {k.when} | {k.meaning} |")
    lines.append("")
    for k in ROOT:
        if k.type in SCALARS:
            continue
        lines.append(f'<a id="{k.name.replace("_", "-")}"></a>\n\n## `{k.name}`\n')
        if k.name in SECTION_NOTES:
            lines.append(SECTION_NOTES[k.name] + "\n")
        keys = BLOCKS.get(k.name, (k,))
        lines += _table(keys, k.name if k.name in BLOCKS else "")
    lines.append("## Shapes\n")
    for name, keys in SHAPES.items():
        lines.append(f"### {name}\n")
        lines += _table(keys, name)
    lines.append(FOOTER)
    return "\n".join(lines).rstrip() + "\n"
