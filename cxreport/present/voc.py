"""Theme impact and theme trends sections of the client report, their charts, the emerging themes'
key findings and workbook sheets (issue 16, items 1–2; docs/voice.md).

Every figure comes from the study's :class:`cxreport.scoring.voc.CommentInsights` (``study.insights``),
computed once: the sections, the key findings, the scores JSON (cxreport/exports/voc.py) and the workbook
read the same objects and print them with the same formatting functions.
"""

from __future__ import annotations

import math

from cxreport.i18n import _
from cxreport.present import charts
from cxreport.present.formatting import pct, signed

#: At most this many themes drawn in the small multiples of the themes over time (the rest in the table).
MAX_DRAWN = 8
#: Decimals of a theme's share of the comments and of its change (percentage points).
SHARE_DECIMALS = 1
#: Decimals of an NPS impact (points of overall NPS) and of a mean sentiment.
IMPACT_DECIMALS = 1
SENTIMENT_DECIMALS = 2


def _finite(value) -> bool:
    return value is not None and isinstance(value, (int, float)) and math.isfinite(value)


def _interval(low, high, fmt) -> str:
    if not (_finite(low) and _finite(high)):
        return "—"
    return _("{low} to {high}").format(low=fmt(low), high=fmt(high))


def _share(value) -> str:
    return pct(value, SHARE_DECIMALS) if _finite(value) else "—"


def _pts(value) -> str:
    """A change of a share in percentage points, one decimal: '+3.5 pts'."""
    if not _finite(value):
        return "—"
    return _("{n} pts").format(n=signed(value, SHARE_DECIMALS))


def _impact_text(value) -> str:
    return signed(value, IMPACT_DECIMALS) if _finite(value) else "—"


def _insights(study):
    return getattr(study, "insights", None)


# --------------------------------------------------------------------------- theme impact


def impact_rows(table) -> list[dict]:
    """The impact table's rows as printed (ranked; suppressed themes last, with no figures)."""
    from cxreport.present.context import est_cell

    rows = []
    for t in table.themes:
        d, c = t.nps_diff, t.csat_diff
        shown = t.shown
        rows.append({
            "theme": t.theme, "rank": t.rank if shown else None, "shown": shown, "mentions": t.mentions,
            "count": t.count, "share": 100 * t.share if _finite(t.share) else None,
            "nps_with": est_cell(t.nps_theme), "nps_without": est_cell(t.nps_other),
            "diff": d.value if d is not None else None, "diff_low": d.low if d is not None else None,
            "diff_high": d.high if d is not None else None, "mark": d.direction if d is not None else 0,
            "p": d.p_value if d is not None else None, "p_adjusted": d.p_adjusted if d is not None else None,
            "diff_interval": _interval(d.low, d.high, lambda v: signed(v)) if d is not None else "—",
            "impact": t.impact if shown and _finite(t.impact) else None,
            "impact_low": t.impact_low if shown and _finite(t.impact_low) else None,
            "impact_high": t.impact_high if shown and _finite(t.impact_high) else None,
            "impact_text": _impact_text(t.impact) if shown else "—",
            "impact_interval": _interval(t.impact_low, t.impact_high, lambda v: signed(v, IMPACT_DECIMALS))
            if shown else "—",
            "csat_with": est_cell(t.csat_theme), "csat_without": est_cell(t.csat_other),
            "csat_diff": c.value if c is not None else None, "csat_mark": c.direction if c is not None else 0,
            "csat_interval": _interval(c.low, c.high, lambda v: signed(v)) if c is not None else "—",
            "csat_impact": t.csat_impact if c is not None and _finite(t.csat_impact) else None,
            "csat_impact_text": _pts(t.csat_impact) if c is not None else "—",
        })
    return rows


def theme_impact_context(study, cs=None, *, client_charts: bool = True) -> dict | None:
    """The "What the comment themes cost" section, or None when there is no impact table with a
    theme to show (no code frame, no NPS, or every theme's base suppressed)."""
    from cxreport.present.context import adjust_note

    ins = _insights(study)
    table = getattr(ins, "impact", None)
    if table is None or not any(t.shown for t in table.themes):
        return None
    rows = impact_rows(table)
    shown = [r for r in rows if r["shown"]]
    chart = None
    if client_charts and cs is not None:
        chart = charts.defer(impact_chart, "theme-impact", _("NPS points each theme costs or adds"),
                             [{"label": r["theme"], "value": r["impact"], "low": r["impact_low"],
                               "high": r["impact_high"], "significant": r["mark"] != 0} for r in shown], cs)
    base_nps = table.overall_nps
    return {
        "period": ins.period, "rows": rows, "chart": chart, "csat": ins.csat,
        "overall_nps": base_nps.value, "nps_base": base_nps.n,
        "overall_csat": table.overall_csat.value if table.overall_csat is not None else None,
        "csat_base": table.overall_csat.n if table.overall_csat is not None else None,
        "suppressed": [r["theme"] for r in rows if not r["shown"]],
        "alpha": table.alpha, "adjust_note": adjust_note(table.n_tests, table.adjust),
        "top": shown[0] if shown and _finite(shown[0]["impact"]) and shown[0]["impact"] < 0 else None,
    }


@charts._narrowable
def impact_chart(chart_id: str, title: str, rows: list[dict], cs) -> charts.Chart:
    """NPS impact per theme: horizontal bars from zero (largest loss at the top) with 95 % interval
    whiskers; a bar whose difference is not significant is drawn paler. ``rows``: label, value, low,
    high, significant (ranked)."""
    from matplotlib.patches import Patch

    shown = [r for r in rows if _finite(r["value"])]
    with charts._drawing(cs):
        n = max(len(shown), 1)
        fig = charts._new_figure(cs, 7.0, 1.0 + 0.32 * n, narrow_height=1.4 + 0.45 * n)
        ax = fig.add_subplot()
        ys = list(range(len(shown)))[::-1]          # rank 1 at the top
        values = [r["value"] for r in shown]
        bar_height = 0.62
        pale = charts.flatten(cs.primary, 0.4)
        colours = [cs.primary if r["significant"] else pale for r in shown]
        bars = ax.barh(ys, values, left=0.0, color=colours, height=bar_height)
        err_lo = [max(v - r["low"], 0) if _finite(r["low"]) else 0 for v, r in zip(values, shown)]
        err_hi = [max(r["high"] - v, 0) if _finite(r["high"]) else 0 for v, r in zip(values, shown)]
        ax.errorbar(values, ys, xerr=[err_lo, err_hi], fmt="none", ecolor=charts.INK, elinewidth=0.9, capsize=2.5)
        ax.set_yticks(ys, [charts.plain(r["label"]) for r in shown])
        lows = [r["low"] for r in shown if _finite(r["low"])] + values
        highs = [r["high"] for r in shown if _finite(r["high"])] + values
        lo, hi = min([0.0] + lows), max([0.0] + highs)
        pad = max(1.0, 0.08 * (hi - lo))
        ax.set_xlim(lo - pad if lo < 0 else -pad / 2, hi + pad if hi > 0 else pad / 2)
        ax.set_ylim(-0.7, len(shown) - 0.3)
        ax.axvline(0, color=charts.INK, linewidth=0.9)
        ax.grid(axis="y", visible=False)
        ax.set_xlabel(_("NPS impact (points of overall NPS; negative = lost)"))
        if any(not r["significant"] for r in shown) and any(r["significant"] for r in shown):
            ax.legend(handles=[Patch(color=cs.primary, label=_("significant difference")),
                               Patch(color=pale, label=_("not significant"))],
                      loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2, borderaxespad=0.2, frameon=False)
        charts._settle(fig)
        room = charts._Room(fig)
        items = [{"y": y, "value": v, "low": r["low"], "high": r["high"], "height": bar_height,
                  "colour": c, "hatched": False, "text": signed(v, IMPACT_DECIMALS)}
                 for y, v, r, c in zip(ys, values, shown, colours)]
        charts._room_for_labels(ax, room, items, [], 8)
        room.lines(ax)
        for coll in ax.collections:
            room.collection(coll)
        for y, bar in zip(ys, bars):
            room.boxes.append((("bar", y), bar.get_window_extent(room.renderer)))
        charts._value_labels(room, ax, items, [0.0])
    alt = title + ": " + "; ".join(f"{r['label']} {signed(r['value'], IMPACT_DECIMALS)}" for r in shown)
    return charts._render(fig, chart_id, title, alt)


# --------------------------------------------------------------------------- themes over time


def _mark(diff) -> int:
    return diff.direction if diff is not None else 0


def _complaint(cell) -> bool:
    return _finite(cell.mean_sentiment) and cell.mean_sentiment < 0


def emerging_sentences(ins) -> list[dict]:
    """One sentence per emerging theme or phrase (the key findings and the section say the same):
    {text, kind, theme, complaint, rise}."""
    if ins is None:
        return []
    out = []
    for kind, e in ins.flagged():
        trends = ins.trends if kind == "theme" else ins.phrases
        row = next(t for t in trends.themes if t.theme == e.theme)
        complaint = _complaint(row.cells[-1])
        period = e.period
        if ins.window_periods > 1:
            period = _("{period} (the latest period of {window})").format(period=e.period, window=ins.window)
        if kind == "phrase":
            lead = (_("New complaint emerging: “{theme}” (a phrase no theme of the code frame covers)") if complaint
                    else _("New in the comments: “{theme}” (a phrase no theme of the code frame covers)"))
        else:
            lead = _("New complaint emerging: “{theme}”") if complaint else _("Rising comment theme: “{theme}”")
        text = _("{lead} in {share} of comments in {period}, up from {before} in {previous} (significant).").format(
            lead=lead.format(theme=e.theme), share=_share(e.share), period=period, before=_share(e.previous_share),
            previous=e.previous)
        out.append({"text": text, "kind": kind, "theme": e.theme, "complaint": complaint, "rise": e.change.value,
                    "share": e.share, "previous_share": e.previous_share, "count": e.count})
    return out


def _trend_row(trend, flagged: set[str]) -> dict:
    last = trend.cells[-1]
    return {"theme": trend.theme, "emerging": trend.theme in flagged,
            "cells": [{"share": c.share if c.shown else None, "text": _share(c.share) if c.shown else "—",
                       "count": c.count, "base": c.base, "flag": c.base_flag, "mark": _mark(c.change)}
                      for c in trend.cells],
            "change": last.change.value if last.change is not None else None,
            "change_text": _pts(last.change.value) if last.change is not None else "—",
            "mark": _mark(last.change), "latest": last.share if last.shown else None}


def theme_trends_context(study, cs=None, *, client_charts: bool = True) -> dict | None:
    """The "Comment themes over time" section, or None without at least two periods of comments."""
    from cxreport.present.context import adjust_note

    ins = _insights(study)
    trends = getattr(ins, "trends", None)
    if trends is None or len(trends.periods) < 2:
        return None
    flagged_themes = {e.theme for kind, e in ins.flagged() if kind == "theme"}
    flagged_phrases = {e.theme for kind, e in ins.flagged() if kind == "phrase"}
    themes = [] if ins.sentiment_only else [_trend_row(t, flagged_themes) for t in trends.themes]
    phrases = [_trend_row(t, flagged_phrases) for t in ins.phrases.themes
               if t.theme in flagged_phrases] if ins.phrases is not None else []
    first = trends.themes[0].cells
    bases = [{"n": c.base, "flag": c.base_flag} for c in first]
    sentiment = [{"period": s.period, "mean": s.mean if s.base_flag != "suppressed" else None,
                  "text": signed(s.mean, SENTIMENT_DECIMALS) if s.base_flag != "suppressed" and _finite(s.mean)
                  else "—", "n": s.n, "mark": _mark(s.change),
                  "change_text": signed(s.change.value, SENTIMENT_DECIMALS) if s.change is not None else "—"}
                 for s in trends.sentiment]
    drawn = sorted((r for r in themes if _finite(r["latest"])), key=lambda r: (-r["latest"], r["theme"]))[:MAX_DRAWN]
    chart = None
    if client_charts and cs is not None and drawn:
        chart = charts.defer(trends_chart, "theme-trends", _("Share of comments mentioning each theme"),
                             list(trends.periods), [{"label": r["theme"], "values": [c["share"] for c in r["cells"]],
                                                     "emerging": r["emerging"]} for r in drawn], cs)
    emerging_on = ins.min_count > 0
    return {
        "periods": list(trends.periods), "first": trends.periods[0], "last": trends.periods[-1],
        "previous": trends.periods[-2], "themes": themes, "phrases": phrases, "bases": bases,
        "sentiment": sentiment, "last_sentiment": sentiment[-1] if sentiment else None, "chart": chart,
        "drawn": len(drawn), "not_drawn": max(0, len(themes) - len(drawn)),
        "emerging": emerging_sentences(ins), "emerging_on": emerging_on, "min_count": ins.min_count,
        "min_rise": ins.min_rise, "phrases_on": ins.phrases is not None,
        "against_earlier": len(trends.periods) >= 3,
        "weighted": bool(getattr(study.data, "weighted", False)),
        "adjust_note": adjust_note(len(trends.themes), trends.adjust, per_period=True) if themes else None,
        "several": ins.window_periods > 1, "window": ins.window,
    }


@charts._narrowable
def trends_chart(chart_id: str, title: str, labels: list[str], series: list[dict], cs) -> charts.Chart:
    """Small multiples: one panel per theme (at most :data:`MAX_DRAWN`, the largest share in the
    latest period first), its share of the comments per period on a common axis; the latest
    value labelled; an emerging theme's panel drawn in the brand's accent colour."""
    n = len(series)
    narrow = charts.is_narrow()
    cols = 2 if narrow else min(4, n)
    rows = math.ceil(n / cols)
    top = max([v for s in series for v in s["values"] if _finite(v)] + [1.0])
    top = math.ceil(top * 1.25 / 5) * 5
    with charts._drawing(cs):
        fig = charts._new_figure(cs, 7.0, 0.35 + 1.65 * rows, narrow_height=0.5 + 2.1 * rows)
        axes = fig.subplots(rows, cols, squeeze=False, sharey=True)
        xs = list(range(len(labels)))
        for k, ax in enumerate(axes.flat):
            if k >= n:
                ax.set_visible(False)
                continue
            s = series[k]
            colour = cs.accent if s["emerging"] else cs.primary
            pts = [(x, v) for x, v in zip(xs, s["values"]) if _finite(v)]
            ax.plot([p[0] for p in pts], [p[1] for p in pts], color=colour, linewidth=1.6, marker="o",
                    markersize=2.8)
            ax.set_title(charts.plain(s["label"]) + (" ▲" if s["emerging"] else ""), fontsize=charts._fs(8),
                         loc="left", color=charts.INK)
            ax.set_ylim(0, top)
            ax.set_xlim(-0.5, len(labels) - 0.5)
            ax.set_xticks([0, len(labels) - 1], [charts.two_lines(charts.plain(labels[0])),
                                                 charts.two_lines(charts.plain(labels[-1]))],
                          fontsize=charts._fs(7))
            for t, ha in zip(ax.get_xticklabels(), ("left", "right")):
                t.set_ha(ha)
            ax.tick_params(axis="y", labelsize=charts._fs(7))
            ax.yaxis.set_major_formatter(lambda v, _pos: pct(v))
            ax.grid(axis="x", visible=False)
            ax.grid(axis="y", visible=True)
        charts._settle(fig)
        room = charts._Room(fig)
        for ax in axes.flat[:n]:
            room.lines(ax)
        for k, ax in enumerate(axes.flat[:n]):
            pts = [(x, v) for x, v in zip(xs, series[k]["values"]) if _finite(v)]
            if not pts:
                continue
            x, v = pts[-1]
            # the latest value, clear of the line: above or below it and to the left, then further out
            cands = [{"xy": (x, v), "offset": (-3, dy), "ha": "right", "va": va}
                     for dy, va in ((5, "bottom"), (-5, "top"), (11, "bottom"), (-11, "top"))]
            cands += [{"xy": (x, v), "offset": (0, dy), "ha": "center", "va": va}
                      for dy, va in ((6, "bottom"), (-6, "top"))]
            room.place(ax, pct(v, SHARE_DECIMALS), cands, bounds="axes", fontsize=charts._fs(7), color=charts.INK)
    alt = title + ": " + "; ".join(
        f"{s['label']} " + ", ".join(f"{lab} {_share(v)}" for lab, v in zip(labels, s["values"])) for s in series)
    return charts._render(fig, chart_id, title, alt)


# --------------------------------------------------------------------------- key findings


def emerging_findings(study) -> list:
    """One key finding per emerging theme or phrase (the two with the largest rise at most)."""
    from cxreport.present.findings import Finding

    out = []
    for s in sorted(emerging_sentences(_insights(study)), key=lambda s: -s["rise"])[:2]:
        out.append(Finding(s["text"], "emerging", "negative" if s["complaint"] else "neutral",
                           max(s["rise"], 0.0) / 100, True))
    return out


# --------------------------------------------------------------------------- workbook


def workbook_tables(study) -> list[tuple]:
    """The "Theme impact" and "Themes over time" sheets (the workbook's table tuples: name,
    description, header, formats, rows, notes)."""
    from cxreport.present.workbook import Fmt

    ins = _insights(study)
    out = []
    if ins is None:
        return out
    sig = {1: "▲", -1: "▼"}
    if ins.impact is not None and any(t.shown for t in ins.impact.themes):
        rows = []
        for r in impact_rows(ins.impact):
            nw, no = r["nps_with"], r["nps_without"]
            row = [r["theme"], r["rank"], r["mentions"], r["count"], Fmt(r["share"], "decimal"),
                   Fmt(nw["value"] if r["shown"] else None, "points"), nw["n"],
                   Fmt(no["value"] if r["shown"] else None, "points"), no["n"],
                   Fmt(r["diff"], "diff:points"), Fmt(r["diff_low"], "diff:points"),
                   Fmt(r["diff_high"], "diff:points"), r["p_adjusted"], sig.get(r["mark"], ""),
                   Fmt(r["impact"], "decimal"), Fmt(r["impact_low"], "decimal"), Fmt(r["impact_high"], "decimal")]
            if ins.csat:
                cw, co = r["csat_with"], r["csat_without"]
                row += [Fmt(cw["value"] if cw and r["csat_diff"] is not None else None, "percent"),
                        Fmt(co["value"] if co and r["csat_diff"] is not None else None, "percent"),
                        Fmt(r["csat_diff"], "diff:percent"), sig.get(r["csat_mark"], ""),
                        Fmt(r["csat_impact"], "decimal")]
            rows.append(row)
        header = [_("Theme"), _("Rank"), _("Comments mentioning it"), _("… with an NPS answer"),
                  _("Share of NPS answerers %"), _("NPS mentioning"), _("Base (mentioning)"), _("NPS others"),
                  _("Base (others)"), _("Difference"), _("Difference low 95%"), _("Difference high 95%"),
                  _("p (adjusted)"), _("Sig"), _("NPS impact"), _("Impact low 95%"), _("Impact high 95%")]
        formats = ["", "count", "count", "count", "", "", "count", "", "count", "", "", "", "p", "", "", "", ""]
        if ins.csat:
            header += [_("CSAT mentioning %"), _("CSAT others %"), _("CSAT difference (pts)"), _("CSAT sig"),
                       _("CSAT impact (pts)")]
            formats += ["", "", "", "", ""]
        out.append((_("Theme impact"), _("{period}: NPS of the customers whose comment mentions each theme against "
                                          "all other customers with an NPS answer; NPS impact = share × difference, "
                                          "the points of overall NPS the theme costs (an association, not a "
                                          "cause).").format(period=ins.period), header, formats, rows, []))
    trends = ins.trends
    if trends is not None and len(trends.periods) >= 2:
        flagged = {(k, e.theme) for k, e in ins.flagged()}
        rows = []
        groups = [] if ins.sentiment_only else [("theme", t) for t in trends.themes]
        if ins.phrases is not None:
            groups += [("phrase", t) for t in ins.phrases.themes if ("phrase", t.theme) in flagged]
        for kind, t in groups:
            last = t.cells[-1]
            rows.append([t.theme, _("phrase") if kind == "phrase" else _("theme")]
                        + [Fmt(c.share if c.shown else None, "decimal") for c in t.cells]
                        + [Fmt(last.change.value if last.change is not None else None, "decimal"),
                           sig.get(_mark(last.change), ""), _("yes") if (kind, t.theme) in flagged else ""])
        rows.append([_("Comments (base)"), ""] + [c.base for c in trends.themes[0].cells] + [None, "", ""])
        if trends.sentiment:
            s_last = trends.sentiment[-1]
            rows.append([_("Mean sentiment (−1 to +1)"), ""]
                        + [Fmt(s.mean if s.base_flag != "suppressed" else None, "mean") for s in trends.sentiment]
                        + [Fmt(s_last.change.value if s_last.change is not None else None, "diff:mean"),
                           sig.get(_mark(s_last.change), ""), ""])
        header = [_("Theme"), _("Kind")] + list(trends.periods) + [
            _("Change on {period} (pts)").format(period=trends.periods[-2]), _("Sig"), _("Emerging")]
        formats = ["", ""] + [""] * len(trends.periods) + ["", "", ""]
        out.append((_("Themes over time"), _("{first} – {last}: % of each period's comments mentioning each theme, "
                                              "the change in the latest period and the mean sentiment.").format(
                        first=trends.periods[0], last=trends.periods[-1]), header, formats, rows, []))
    return out


__all__ = ["theme_impact_context", "theme_trends_context", "impact_chart", "trends_chart", "emerging_findings",
           "emerging_sentences", "workbook_tables", "impact_rows"]
