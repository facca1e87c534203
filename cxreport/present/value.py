"""The customer value section (issue 16, item 6; docs/customer-value.md): value segments of
the customer base, NPS and CSAT of the window's respondents by value, satisfied-but-not-loyal
customers and the themes behind them, churn by NPS group.

Everything shown is read from the study's :class:`~cxreport.scoring.value.CustomerValue`
(the same object the scores JSON and the workbook read); this module only words and formats
it. ``value_table`` is the workbook's "Customer value" sheet.
"""

from __future__ import annotations

import math

from cxreport.i18n import N_, _
from cxreport.present import charts
from cxreport.present.formatting import figure, num, pct

#: The RFM segment names (cxreport.scoring.value.SEGMENT_NAMES) for the catalog.
SEGMENT_LABELS = {
    "Champions": N_("Champions"), "Potential Loyalist": N_("Potential Loyalist"),
    "Loyal Customers": N_("Loyal Customers"), "Promising": N_("Promising"), "New Customers": N_("New Customers"),
    "Can't Lose Them": N_("Can't Lose Them"), "At Risk": N_("At Risk"), "Need Attention": N_("Need Attention"),
    "About To Sleep": N_("About To Sleep"), "Lost": N_("Lost"), "Others": N_("Others"),
}
NPS_GROUP_LABELS = {"promoter": N_("Promoters (9–10)"), "passive": N_("Passives (7–8)"),
                    "detractor": N_("Detractors (0–6)")}


def segment_label(name: str) -> str:
    return _(SEGMENT_LABELS.get(name, name))


def tier_label(v, key: str) -> str:
    """"Top 20 %" / "Other 80 %" in the report's language."""
    from cxreport.scoring.value import TOP

    top = round(100 * v.rfm.tier.share)
    if key == TOP:
        return _("Top {n} by value").format(n=pct(top))
    return _("Other {n}").format(n=pct(100 - top))


def _shown(base: str, value) -> bool:
    return base != "suppressed" and value is not None and math.isfinite(value)


def _nps_cell(v, g) -> dict | None:
    if g is None or g.nps is None:
        return None
    f = g.nps
    return {"value": f.nps if _shown(f.base, f.nps) else None, "unit": "points", "base": f.base,
            "mark": v.marked(g.nps_p_adjusted, g.nps_test)}


def _csat_cell(v, g) -> dict | None:
    if g is None or g.csat is None:
        return None
    c = g.csat
    return {"value": 100 * c.share if _shown(c.base, c.share) else None, "unit": "percent", "base": c.base,
            "mark": v.marked(g.csat_p_adjusted, g.csat_test)}


def _share_cell(p) -> dict | None:
    if p is None:
        return None
    return {"value": 100 * p.share if _shown(p.base, p.share) else None, "unit": "percent", "base": p.base, "mark": 0}


def _interval(p) -> str:
    if p is None or not _shown(p.base, p.share):
        return "—"
    return f"{figure(100 * p.low, 'percent')}–{figure(100 * p.high, 'percent')}"


def _snl_by(snl, name: str) -> dict:
    return {g.group: g for g in (snl.groups if snl is not None else [])}.get(name)


def _segment_rows(v) -> list[dict]:
    """One row per RFM segment that has customers, in the order of the segment boxes."""
    scores = {g.group: g for g in v.by_segment.groups}
    rows = []
    for s in v.rfm.segments:
        if not s.customers:
            continue
        g = scores.get(s.name)
        snl = _snl_by(v.snl, s.name)
        rows.append({"key": s.name, "label": segment_label(s.name), "customers": s.customers,
                     "customer_share": 100 * s.customer_share,
                     "value_share": 100 * s.value_share if math.isfinite(s.value_share) else None,
                     "respondents": g.respondents if g else 0, "nps": _nps_cell(v, g), "csat": _csat_cell(v, g),
                     "snl": _share_cell(snl.of_all) if snl else None})
    return rows


def _tier_rows(v) -> list[dict]:
    from cxreport.scoring.value import REST, TOP

    t = v.rfm.tier
    scores = {g.group: g for g in v.by_tier.groups}
    rows = []
    for key in (TOP, REST):
        g = scores.get(key)
        customers = t.customers if key == TOP else v.rfm.n - t.customers
        value_share = t.value_share if key == TOP else 1 - t.value_share
        snl = _snl_by(v.snl_tier, key)
        rows.append({"key": key, "label": tier_label(v, key), "customers": customers,
                     "customer_share": 100 * customers / v.rfm.n if v.rfm.n else None,
                     "value_share": 100 * value_share if math.isfinite(value_share) else None,
                     "respondents": g.respondents if g else 0, "nps": _nps_cell(v, g), "csat": _csat_cell(v, g),
                     "snl": _share_cell(snl.of_all) if snl else None})
    return rows


def _score_rows(v, by) -> list[dict]:
    return [{"label": g.group, "respondents": g.respondents, "nps": _nps_cell(v, g), "csat": _csat_cell(v, g)}
            for g in by.groups]


def _snl_rows(snl) -> list[dict]:
    return [{"label": g.group, "respondents": g.of_all.n, "share": _share_cell(g.of_all),
             "interval": _interval(g.of_all), "of_satisfied": _share_cell(g.of_satisfied)}
            for g in snl.groups]


def value_context(study, cs=None, *, client_charts: bool = True) -> dict | None:
    """The "Customer value and loyalty" section as printed, or None (no customer file, or the
    section switched off)."""
    v = getattr(study, "value", None)
    if v is None or "customer_value" not in study.project.report.sections:
        return None
    j = v.join
    t = v.rfm.tier
    base_words = _("{n} customers in the customer file").format(n=num(v.rfm.n))
    if v.rfm.as_of is not None:
        base_words = _("{n} customers with a purchase in the customer file, RFM as of {date}").format(
            n=num(v.rfm.n), date=_long_date(v.rfm.as_of.date()))
        if v.rfm.window_start is not None:
            base_words = _("{n} customers with a purchase from {start} to {date}").format(
                n=num(v.rfm.n), start=_long_date(v.rfm.window_start.date()), date=_long_date(v.rfm.as_of.date()))
    top_line = None
    if math.isfinite(t.value_share):
        top_line = _("The top {share} of customers by value ({n} customers) bring {value} of the value.").format(
            share=pct(round(100 * t.share)), n=num(t.customers), value=pct(100 * t.value_share))
    unmatched = None
    if v.by_segment.unmatched is not None:
        g = v.by_segment.unmatched
        unmatched = {"respondents": g.respondents, "nps": _nps_cell(v, g), "csat": _csat_cell(v, g)}
    snl = None
    if v.snl is not None:
        o = v.snl.overall
        touch = _snl_rows(v.snl_touchpoint) if v.snl_touchpoint is not None else []
        themes = []
        for k, th in enumerate(v.snl.themes[:6]):
            p_adj = v.theme_p_adjusted[k] if k < len(v.theme_p_adjusted) else math.nan
            mark = 0
            if th.test is not None and math.isfinite(p_adj) and p_adj <= v.alpha and th.test.diff:
                mark = 1 if th.test.diff > 0 else -1
            a, b = _share_cell(th.sbnl), _share_cell(th.loyal)
            if a is not None:
                a["mark"] = mark
            themes.append({"theme": th.theme, "snl": a, "loyal": b})
        snl = {"share": _share_cell(o.of_all), "interval": _interval(o.of_all), "base": o.of_all.n,
               "of_satisfied": _share_cell(o.of_satisfied), "satisfied": o.of_satisfied.n,
               "touchpoint": v.touchpoint, "touch_rows": touch, "themes": themes,
               "themes_base": (v.snl.themes[0].sbnl.n if v.snl.themes else 0),
               "loyal_base": (v.snl.themes[0].loyal.n if v.snl.themes else 0),
               "themes_period": v.themes_base}
    churn = None
    if v.churn is not None and v.churn.n:
        rows = []
        for g in v.churn.groups:
            r = g.rate
            p_adj = v.churn_p_adjusted.get(g.group, math.nan)
            mark = 0
            if g.vs_promoters is not None and math.isfinite(p_adj) and p_adj <= v.alpha and g.vs_promoters.diff:
                mark = 1 if g.vs_promoters.diff > 0 else -1
            cell = _share_cell(r)
            if cell is not None:
                cell["mark"] = mark
            rows.append({"label": _(NPS_GROUP_LABELS[g.group]), "n": r.n, "churned": r.count, "rate": cell,
                         "interval": _interval(r)})
        churn = {"rows": rows, "n": v.churn.n, "unknown": v.churn.unknown_churn,
                 "p": v.churn.p_value if math.isfinite(v.churn.p_value) else None,
                 "significant": math.isfinite(v.churn.p_value) and v.churn.p_value <= v.alpha}
    chart = None
    if client_charts and cs is not None:
        chart = _chart(study, v, cs)
    tenure = None
    if v.tenure is not None:
        tn = v.tenure
        tenure = _("Tenure ({column}) of {n} customers: mean {mean}, median {median}; top {share} by value: mean "
                   "{top}, the others: mean {rest}.").format(
            column=tn.column, n=num(tn.customers), mean=num(tn.mean, 1), median=num(tn.median, 1),
            share=pct(round(100 * t.share)), top=num(tn.top_mean, 1), rest=num(tn.rest_mean, 1))
    return {
        "top_pct": round(100 * study.project.customers.top_share),
        "period": v.period, "base_words": base_words, "customers": v.rfm.n, "top_line": top_line,
        "segments": _segment_rows(v), "tiers": _tier_rows(v),
        "client_tiers": _score_rows(v, v.by_client_tier) if v.by_client_tier is not None else None,
        "respondents": j.respondents, "matched": j.matched, "unmatched_count": j.unmatched,
        "not_scored": v.not_scored, "unmatched": unmatched, "has_nps": v.has_nps, "has_csat": v.csat_scale is not None,
        "snl": snl, "churn": churn, "tenure": tenure, "chart": chart,
        "excluded": sum(v.excluded.values()), "rows_read": v.rows_read, "alpha": v.alpha,
        "adjusted": v.adjustment != "none",
    }


def _chart(study, v, cs):
    """NPS (or CSAT) by RFM segment, bars with their 95 % intervals."""
    items = {s.key: s for s in study.data.items}
    scores = {g.group: g for g in v.by_segment.groups}
    order = [s.name for s in v.rfm.segments if s.name in scores]
    if v.has_nps:
        spec = items["nps"]
        rows = [{"label": segment_label(n), "value": scores[n].nps.nps, "low": scores[n].nps.low,
                 "high": scores[n].nps.high, "base": scores[n].nps.base} for n in order]
    else:
        spec = items["csat"]
        rows = [{"label": segment_label(n), "value": 100 * scores[n].csat.share, "low": 100 * scores[n].csat.low,
                 "high": 100 * scores[n].csat.high, "base": scores[n].csat.base} for n in order]
    if sum(r["base"] != "suppressed" for r in rows) < 2:
        return None
    rules = study.project.bases
    return charts.defer(charts.ranked_bars, "value-segments",
                        _("{kpi} by value segment, {period}").format(kpi=spec.label, period=v.period),
                        rows, spec, cs, flag_below=rules.flag_below,
                        note=_("Respondents matched to a customer; bars show 95% intervals."))


def _long_date(value) -> str:
    from cxreport.present.render import long_date

    return long_date(value)


def value_table(study) -> tuple:
    """The workbook's "Customer value" sheet: a row per RFM segment, value tier, client tier
    and touchpoint, with the report's figures (cxreport.present.workbook)."""
    from cxreport.present.workbook import Fmt

    v = study.value
    ctx_rows = []

    def fmt(cell):
        if cell is None:
            return None
        return Fmt(cell["value"], cell["unit"])

    def mark(cell):
        return {1: "▲", -1: "▼"}.get((cell or {}).get("mark", 0), "")

    for kind, rows in ((_("RFM segment"), _segment_rows(v)), (_("Value tier"), _tier_rows(v))):
        for r in rows:
            ctx_rows.append([kind, r["label"], r["customers"], r["customer_share"], r["value_share"], r["respondents"],
                             fmt(r["nps"]), mark(r["nps"]), fmt(r["csat"]), mark(r["csat"]), fmt(r["snl"])])
    if v.by_client_tier is not None:
        for r in _score_rows(v, v.by_client_tier):
            ctx_rows.append([_("Client's value tier"), r["label"], None, None, None, r["respondents"], fmt(r["nps"]),
                             mark(r["nps"]), fmt(r["csat"]), mark(r["csat"]), None])
    if v.by_segment.unmatched is not None:
        g = v.by_segment.unmatched
        ctx_rows.append([_("No value segment"), _("Not matched to a scored customer"), None, None, None, g.respondents,
                         fmt(_nps_cell(v, g)), "", fmt(_csat_cell(v, g)), "", None])
    if v.snl_touchpoint is not None:
        for r in _snl_rows(v.snl_touchpoint):
            ctx_rows.append([v.touchpoint, r["label"], None, None, None, r["respondents"], None, "", None, "",
                             fmt(r["share"])])
    header = [_("Breakdown"), _("Group"), _("Customers"), _("Share of customers %"), _("Share of value %"),
              _("Respondents"), _("NPS"), _("Sig"), _("CSAT top-2 %"), _("Sig"), _("Satisfied but not loyal %")]
    formats = ["", "", "count", "decimal", "decimal", "count", "", "", "", "", ""]
    notes = []
    j = v.join
    notes.append(_("{m} of {n} respondents in {period} matched a customer of the customer file; {u} did not and are "
                   "shown apart.").format(m=j.matched, n=j.respondents, period=v.period, u=j.unmatched))
    t = v.rfm.tier
    if math.isfinite(t.value_share):
        notes.append(_("The top {share} of customers by value ({n} customers) bring {value} of the value.").format(
            share=pct(round(100 * t.share)), n=num(t.customers), value=pct(100 * t.value_share)))
    if v.churn is not None and v.churn.n:
        parts = "; ".join(f"{_(NPS_GROUP_LABELS[g.group])} {figure(100 * g.rate.share, 'percent', 1)} "
                          f"({g.rate.count}/{g.rate.n})" for g in v.churn.groups if g.rate.n)
        notes.append(_("Churn by NPS group: {parts}.").format(parts=parts))
    description = _("{period}: customers of the customer file by RFM value segment and value tier (customer "
                    "base), with NPS, CSAT and the satisfied-but-not-loyal share of the respondents matched to "
                    "them.").format(period=v.period)
    return (_("Customer value"), description, header, formats, ctx_rows, notes)


def value_findings(study) -> list:
    """A key finding on the value tier: its satisfied-but-not-loyal share against the other
    customers' (tested in the study step), when the section is shown."""
    from cxreport.present.findings import Finding
    from cxreport.scoring.value import REST, TOP

    v = getattr(study, "value", None)
    if v is None or v.snl_tier is None or "customer_value" not in study.project.report.sections:
        return []
    halves = {g.group: g.of_all for g in v.snl_tier.groups}
    top, rest = halves.get(TOP), halves.get(REST)
    if top is None or rest is None or "suppressed" in (top.base, rest.base):
        return []
    test = v.snl_tier_test
    # A comparison is a finding only when it is significant (as every other key finding).
    if test is None or not math.isfinite(test.p_value) or test.p_value > v.alpha or not test.diff:
        return []
    share = pct(round(100 * v.rfm.tier.share))
    words = (_("In {period}, {x} of the respondents among the top {share} of customers by value were satisfied "
               "but not loyal (satisfied on CSAT, not promoters): significantly more than among the other "
               "customers ({y}).")
             if test.diff > 0 else
             _("In {period}, {x} of the respondents among the top {share} of customers by value were satisfied "
               "but not loyal (satisfied on CSAT, not promoters): significantly fewer than among the other "
               "customers ({y})."))
    text = words.format(period=v.period, x=figure(100 * top.share, "percent"), share=share,
                        y=figure(100 * rest.share, "percent"))
    return [Finding(text, "value", "negative" if test.diff > 0 else "positive", abs(top.share - rest.share), True)]
