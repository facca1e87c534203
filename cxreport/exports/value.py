"""Scores JSON: `customer_value` (issue 16, item 6; docs/customer-value.md).

Read from the study's :class:`~cxreport.scoring.value.CustomerValue`, the object the report's
section and the workbook's sheet read too.
"""

from __future__ import annotations

import math

from cxreport.jsonschema import Key, arr, key, mapping, obj  # noqa: F401  (the block's description)

SIX = "rounded to 6 decimals"
_BASE = "`ok`, `small` (below `bases.flag_below`) or `suppressed` (below `bases.suppress_below`)"


def _prop_keys(what: str) -> tuple[Key, ...]:
    return (
        key("pct", "number", f"{what}, weighted, in % ({SIX}).", null=True, when="null when the base is empty"),
        key("low", "number", "Lower end of its 95 % Wilson interval (effective base), in %.", null=True),
        key("high", "number", "Upper end of its 95 % Wilson interval, in %.", null=True),
        key("n", "integer", "Unweighted base (respondents)."),
        key("count", "integer", "Unweighted respondents counted in the share."),
        key("n_eff", "number", "Kish effective base (" + SIX + ")."),
        key("base", "string", _BASE + "; a suppressed share is not shown in the report."),
    )


def _scores_keys(tests: bool = True) -> tuple[Key, ...]:
    return (
        key("respondents", "integer", "Respondents of the window in the group (unweighted)."),
        obj("nps", "NPS of the group's respondents.",
            key("value", "number", "NPS in points (−100 to +100), weighted; " + SIX + ".", null=True,
                when="null when nobody in the group answered NPS"),
            key("low", "number", "Lower end of the 95 % Wald interval (effective base), cut at −100.", null=True),
            key("high", "number", "Upper end of the 95 % Wald interval, cut at +100.", null=True),
            key("se", "number", "Standard error in points.", null=True),
            key("n", "integer", "Respondents with an NPS answer (unweighted)."),
            key("n_eff", "number", "Kish effective base."),
            key("promoters_pct", "number", "Weighted share of promoters (9–10), in %.", null=True),
            key("detractors_pct", "number", "Weighted share of detractors (0–6), in %.", null=True),
            key("base", "string", _BASE + "."),
            null=True, when="null without columns.nps"),
        obj("csat_top2", "CSAT top-2-box share of the group's respondents.", *_prop_keys("Top-2-box share"),
            null=True, when="null without columns.csat (or a CSAT scale without two top boxes)"),
        *(_test_keys("nps", "points") + _test_keys("csat", "percentage points") if tests else ()),
    )


def _test_keys(kpi: str, unit: str) -> tuple[Key, ...]:
    name = "NPS" if kpi == "nps" else "CSAT top-2"
    return (
        key(f"{kpi}_diff", "number", f"{name} of the group minus that of the other matched respondents, in {unit}.",
            null=True, when="null when not tested (a suppressed base, or the KPI not asked)"),
        key(f"{kpi}_p", "number", "Two-sided p-value of that difference (NPS: difference z-test of METHODS.md §1; "
                                  "CSAT: pooled two-proportion z-test), on effective bases.",
            null=True, when="as `" + kpi + "_diff`"),
        key(f"{kpi}_p_adjusted", "number", "The p-value adjusted with the table's other groups "
                                           "(`significance.adjust`, METHODS.md §8).",
            null=True, when="as `" + kpi + "_diff`"),
        key(f"{kpi}_mark", "integer", "+1 / −1: significantly higher / lower than the rest (adjusted p ≤ α), "
                                      "as the report's ▲ ▼; 0 otherwise."),
    )


def _snl_group_keys() -> tuple[Key, ...]:
    return (
        key("group", "string", "The group (an RFM segment name, `top`/`rest`, a touchpoint, or `all`)."),
        obj("of_all", "Satisfied but not loyal ÷ respondents answering both CSAT and NPS.",
            *_prop_keys("Satisfied-but-not-loyal share")),
        obj("of_satisfied", "Satisfied but not loyal ÷ satisfied respondents (CSAT top-2 box).",
            *_prop_keys("Share of the satisfied who are not promoters")),
    )


CUSTOMER_VALUE: tuple[Key, ...] = (
    key("file", "string", "The customer file, relative to the project folder."),
    key("layout", "string", "`customers` (one row per customer) or `transactions` (one row per purchase)."),
    key("period", "string", "The reporting window whose respondents are joined to the file."),
    key("rows_read", "integer", "Data rows in the customer file."),
    key("customers", "integer", "Customers in the file (distinct ids with a usable row)."),
    key("customers_scored", "integer", "Customers with RFM scores: every customer (customers layout), or those "
                                       "with a purchase in the RFM window (transactions)."),
    key("as_of", "date", "The day recency is counted to (transactions).", null=True,
        when="null in the customers layout"),
    key("window_start", "date", "First day of the RFM window (transactions with `customers.window_days`).",
        null=True),
    key("transactions_used", "integer", "Transactions in the RFM window.", null=True, when="null in the customers layout"),
    key("transactions_outside", "integer", "Transactions before the window or after `as_of` (not used).", null=True,
        when="null in the customers layout"),
    key("refunds", "integer", "Negative amounts in the window (in monetary value, not purchases).", null=True,
        when="null in the customers layout"),
    mapping("excluded", "Transaction rows left out, by reason (blank customer id, date not readable, amount not "
                        "a number); `cxreport validate` names the rows.", "the reason", "integer"),
    key("alpha", "number", "Significance level of the tests."),
    key("adjustment", "string", "How p-values of one table are adjusted together: `bh`, `bonferroni` or `none`."),
    obj("value_tier", "The top share of customers by monetary value and their share of the value (the 20/80 check).",
        key("share_pct", "number", "The tier's share of the customers asked for (`customers.top_share`), in %."),
        key("customers", "integer", "Customers in the tier: ceil(share × customers scored), ties in file order."),
        key("value", "number", "Their total monetary value (the file's currency; " + SIX + ")."),
        key("total_value", "number", "All scored customers' total monetary value."),
        key("value_pct", "number", "value ÷ total_value in %.", null=True, when="null when the total is not positive"),
        key("threshold", "number", "The smallest monetary value in the tier.", null=True)),
    obj("join", "Respondents of the window matched to customers on columns.respondent_id = customer id.",
        key("respondents", "integer", "Respondents in the window."),
        key("matched", "integer", "Respondents whose id is a customer of the file."),
        key("unmatched", "integer", "Respondents without a customer record (blank ids included): counted apart, "
                                    "never dropped."),
        key("blank_ids", "integer", "Respondents with a blank respondent id."),
        key("not_scored", "integer", "Matched respondents whose customer has no RFM scores (no purchase in the "
                                     "RFM window)."),
        key("customers_surveyed", "integer", "Customers with at least one respondent in the window."),
        key("customers_not_surveyed", "integer", "Customers of the file without a respondent in the window."),
        key("match_pct", "number", "matched ÷ respondents in %.", null=True)),
    arr("segments", "RFM segments, in the order of their score boxes (docs/customer-value.md), each with its "
                    "customers (customer base) and the window's matched respondents' scores, each tested against "
                    "the other matched respondents.", (
        key("name", "string", "Segment name (Champions, Potential Loyalist, … Lost, Others)."),
        key("customers", "integer", "Customers of the file in the segment."),
        key("customers_pct", "number", "Their share of the customers scored, in %."),
        key("value", "number", "Their monetary value."),
        key("value_pct", "number", "Their share of the total monetary value, in %.", null=True),
        *_scores_keys(),
    )),
    arr("tiers", "The value tier (`top`) and the other customers (`rest`), with their scores.", (
        key("tier", "string", "`top` or `rest`."),
        key("customers", "integer", "Customers of the file."),
        key("customers_pct", "number", "Share of the customers scored, in %."),
        key("value_pct", "number", "Share of the total monetary value, in %.", null=True),
        *_scores_keys(),
    )),
    arr("client_tiers", "By the file's own value tier column (`customers.columns.value_tier`).", (
        key("tier", "string", "The client's tier, as written in the file."),
        *_scores_keys(),
    ), null=True, when="null without `customers.columns.value_tier`"),
    obj("unmatched", "Respondents without a value segment (no customer record, or no RFM scores), scored apart "
                     "(not tested).", *_scores_keys(tests=False), null=True, when="null when every respondent of the window has a value segment"),
    obj("satisfied_not_loyal", "Respondents satisfied on CSAT (top-2 box) who are not NPS promoters (0–8).",
        obj("overall", "Every respondent of the window.", *_snl_group_keys()),
        arr("by_segment", "By RFM segment (matched respondents).", _snl_group_keys()),
        arr("by_tier", "By value tier (`top` / `rest`).", _snl_group_keys()),
        obj("tier_test", "The value tier's share (`of_all`) against the other customers': pooled two-proportion "
                         "z-test on effective bases; a significant difference is a key finding.",
            key("diff_pts", "number", "top − rest in percentage points."),
            key("p", "number", "Two-sided p-value."),
            key("significant", "boolean", "p ≤ α."),
            null=True, when="null when either base is suppressed"),
        key("touchpoint", "string", "The segment `by_touchpoint` is by (customers.touchpoint, or journey.touchpoint).",
            null=True, when="null without either"),
        arr("by_touchpoint", "By touchpoint.", _snl_group_keys(), null=True, when="null as `touchpoint`"),
        key("themes_period", "string", "The comments' period (the comments section's rows).", null=True,
            when="null without comment themes"),
        arr("themes", "The themes behind it: each theme's share of the comments of satisfied-but-not-loyal "
                      "respondents against satisfied promoters, largest gap first.", (
            key("theme", "string", "The theme."),
            obj("sbnl", "Satisfied-but-not-loyal respondents who commented: share mentioning the theme.",
                *_prop_keys("Share mentioning it")),
            obj("loyal", "Satisfied promoters who commented: share mentioning the theme.",
                *_prop_keys("Share mentioning it")),
            key("diff_pts", "number", "sbnl − loyal in percentage points.", null=True,
                when="null when not tested (a suppressed base)"),
            key("p", "number", "Pooled two-proportion z-test p-value (effective bases).", null=True),
            key("p_adjusted", "number", "Adjusted across the themes (`significance.adjust`).", null=True),
            key("mark", "integer", "+1 / −1 significant (adjusted p ≤ α) and more / less frequent among the "
                                   "satisfied but not loyal; 0 otherwise."),
        )),
        null=True, when="null without both columns.nps and columns.csat"),
    obj("churn", "Churn by NPS group: respondents matched to a customer with a churned flag.",
        arr("groups", "promoter, passive, detractor.", (
            key("group", "string", "`promoter` (9–10), `passive` (7–8) or `detractor` (0–6)."),
            obj("rate", "Churned share of the group.", *_prop_keys("Churn rate")),
            key("diff_pts", "number", "Churn rate minus the promoters' in percentage points.", null=True,
                when="null for promoters and when not tested"),
            key("p", "number", "Pooled two-proportion z-test against promoters.", null=True),
            key("p_adjusted", "number", "Adjusted with the other group's test (`significance.adjust`).", null=True),
            key("mark", "integer", "+1 / −1 significantly more / less churn than promoters; 0 otherwise."),
        )),
        key("chi2", "number", "Pearson chi-square of churn × NPS group (weighted counts rescaled to effective "
                              "bases, no continuity correction).", null=True),
        key("dof", "integer", "Its degrees of freedom (0 when not computed)."),
        key("p_value", "number", "Its p-value.", null=True),
        key("n", "integer", "Respondents with an NPS answer and a known churn flag."),
        key("unknown_churn", "integer", "Respondents with an NPS answer but no churn flag (no customer record or "
                                        "a blank flag)."),
        key("no_nps", "integer", "Respondents with a churn flag but no NPS answer."),
        null=True, when="null without `customers.columns.churned` or columns.nps"),
    obj("tenure", "Tenure of the file's customers, in the file's own unit (e.g. years).",
        key("column", "string", "The tenure column."),
        key("customers", "integer", "Customers with a tenure."),
        key("mean", "number", "Mean tenure."),
        key("median", "number", "Median tenure."),
        key("top_mean", "number", "Mean tenure of the value tier.", null=True),
        key("rest_mean", "number", "Mean tenure of the other scored customers.", null=True),
        null=True, when="null without `customers.columns.tenure` (or no tenure in the file)"),
)


def _r(value, digits: int = 6):
    if value is None:
        return None
    value = float(value)
    return round(value, digits) if math.isfinite(value) else None


def _pct(value):
    return _r(100 * value) if value is not None and math.isfinite(value) else None


def _prop(p) -> dict:
    return {"pct": _pct(p.share), "low": _pct(p.low), "high": _pct(p.high), "n": p.n, "count": p.count,
            "n_eff": _r(p.n_eff), "base": p.base}


def _scores(v, g, tests: bool = True) -> dict:
    out = {"respondents": g.respondents,
           "nps": None if g.nps is None else {
               "value": _r(g.nps.nps), "low": _r(g.nps.low), "high": _r(g.nps.high), "se": _r(g.nps.se),
               "n": g.nps.n, "n_eff": _r(g.nps.n_eff), "promoters_pct": _pct(g.nps.promoters),
               "detractors_pct": _pct(g.nps.detractors), "base": g.nps.base},
           "csat_top2": None if g.csat is None else _prop(g.csat)}
    if tests:
        for kpi, test, p_adj, scale in (("nps", g.nps_test, g.nps_p_adjusted, 1), ("csat", g.csat_test,
                                                                                    g.csat_p_adjusted, 100)):
            out[f"{kpi}_diff"] = _r(test.diff * scale) if test else None
            out[f"{kpi}_p"] = _r(test.p_value) if test else None
            out[f"{kpi}_p_adjusted"] = _r(p_adj) if test else None
            out[f"{kpi}_mark"] = v.marked(p_adj, test)
    return out


#: A group without respondents of the window.
_EMPTY = {"respondents": 0, "nps": None, "csat_top2": None, "nps_diff": None, "nps_p": None, "nps_p_adjusted": None,
          "nps_mark": 0, "csat_diff": None, "csat_p": None, "csat_p_adjusted": None, "csat_mark": 0}


def _snl_group(g) -> dict:
    return {"group": g.group, "of_all": _prop(g.of_all), "of_satisfied": _prop(g.of_satisfied)}


def _mark(test, p_adj: float, alpha: float) -> int:
    if test is None or not math.isfinite(p_adj) or p_adj > alpha or not test.diff:
        return 0
    return 1 if test.diff > 0 else -1


def customer_value_dict(study) -> dict | None:
    """The ``customer_value`` block; None without ``customers:``."""
    v = getattr(study, "value", None)
    if v is None:
        return None
    from cxreport.scoring.value import REST, TOP

    rfm, t, j = v.rfm, v.rfm.tier, v.join
    scores = {g.group: g for g in v.by_segment.groups}
    segments = []
    for s in rfm.segments:
        if not s.customers:
            continue
        g = scores.get(s.name)
        row = {"name": s.name, "customers": s.customers, "customers_pct": _pct(s.customer_share),
               "value": _r(s.value), "value_pct": _pct(s.value_share)}
        row.update(_scores(v, g) if g is not None else _EMPTY)
        segments.append(row)
    tier_scores = {g.group: g for g in v.by_tier.groups}
    tiers = []
    for name in (TOP, REST):
        customers = t.customers if name == TOP else rfm.n - t.customers
        share = t.value_share if name == TOP else 1 - t.value_share
        row = {"tier": name, "customers": customers, "customers_pct": _pct(customers / rfm.n) if rfm.n else None,
               "value_pct": _pct(share)}
        g = tier_scores.get(name)
        row.update(_scores(v, g) if g is not None else _EMPTY)
        tiers.append(row)
    snl = None
    if v.snl is not None:
        themes = []
        for k, th in enumerate(v.snl.themes):
            p_adj = v.theme_p_adjusted[k] if k < len(v.theme_p_adjusted) else math.nan
            themes.append({"theme": th.theme, "sbnl": _prop(th.sbnl), "loyal": _prop(th.loyal),
                           "diff_pts": _r(100 * th.test.diff) if th.test else None,
                           "p": _r(th.test.p_value) if th.test else None,
                           "p_adjusted": _r(p_adj) if th.test else None, "mark": _mark(th.test, p_adj, v.alpha)})
        snl = {"overall": _snl_group(v.snl.overall), "by_segment": [_snl_group(g) for g in v.snl.groups],
               "by_tier": [_snl_group(g) for g in v.snl_tier.groups] if v.snl_tier is not None else [],
               "tier_test": None if v.snl_tier_test is None else {
                   "diff_pts": _r(100 * v.snl_tier_test.diff), "p": _r(v.snl_tier_test.p_value),
                   "significant": bool(math.isfinite(v.snl_tier_test.p_value)
                                       and v.snl_tier_test.p_value <= v.alpha)},
               "touchpoint": v.touchpoint,
               "by_touchpoint": [_snl_group(g) for g in v.snl_touchpoint.groups] if v.snl_touchpoint else None,
               "themes_period": v.themes_base, "themes": themes}
    churn = None
    if v.churn is not None:
        c = v.churn
        groups = []
        for g in c.groups:
            p_adj = v.churn_p_adjusted.get(g.group, math.nan)
            test = g.vs_promoters
            groups.append({"group": g.group, "rate": _prop(g.rate),
                           "diff_pts": _r(100 * test.diff) if test else None, "p": _r(test.p_value) if test else None,
                           "p_adjusted": _r(p_adj) if test else None, "mark": _mark(test, p_adj, v.alpha)})
        churn = {"groups": groups, "chi2": _r(c.chi2), "dof": c.dof, "p_value": _r(c.p_value), "n": c.n,
                 "unknown_churn": c.unknown_churn, "no_nps": c.no_nps}
    tenure = None
    if v.tenure is not None:
        tn = v.tenure
        tenure = {"column": tn.column, "customers": tn.customers, "mean": _r(tn.mean), "median": _r(tn.median),
                  "top_mean": _r(tn.top_mean), "rest_mean": _r(tn.rest_mean)}
    return {
        "file": v.file, "layout": v.layout, "period": v.period, "rows_read": v.rows_read, "customers": v.customers,
        "customers_scored": rfm.n,
        "as_of": rfm.as_of.date().isoformat() if rfm.as_of is not None else None,
        "window_start": rfm.window_start.date().isoformat() if rfm.window_start is not None else None,
        "transactions_used": rfm.transactions_used, "transactions_outside": rfm.transactions_outside,
        "refunds": rfm.refunds, "excluded": dict(v.excluded), "alpha": _r(v.alpha), "adjustment": v.adjustment,
        "value_tier": {"share_pct": _pct(t.share), "customers": t.customers, "value": _r(t.value),
                       "total_value": _r(t.total_value), "value_pct": _pct(t.value_share),
                       "threshold": _r(t.threshold)},
        "join": {"respondents": j.respondents, "matched": j.matched, "unmatched": j.unmatched,
                 "blank_ids": j.blank_ids, "not_scored": v.not_scored, "customers_surveyed": j.customers_surveyed,
                 "customers_not_surveyed": j.customers_not_surveyed, "match_pct": _pct(j.match_rate)},
        "segments": segments, "tiers": tiers,
        "client_tiers": None if v.by_client_tier is None else [
            {"tier": g.group, **_scores(v, g)} for g in v.by_client_tier.groups],
        "unmatched": None if v.by_segment.unmatched is None else _scores(v, v.by_segment.unmatched, tests=False),
        "satisfied_not_loyal": snl, "churn": churn, "tenure": tenure,
    }
