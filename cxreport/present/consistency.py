"""The consistency-across-channels section (issue 16, item 5; docs/methods.md, "Consistency
across channels"): each KPI's figure in every channel with its base flag, the largest gap
between two channels with its adjusted test, the consistency index, one sentence per KPI and a
dot plot per KPI. The quarterly review prints the same figures (its own compact table, from
the same context), and the workbook's "Consistency" sheet and the scores JSON read the same
computed object (:class:`cxreport.scoring.consistency.StudyConsistency`).
"""

from __future__ import annotations

import math

from cxreport.i18n import N_, _
from cxreport.present import charts
from cxreport.present.formatting import figure, gap as fmt_gap, num


def _cell(f) -> dict:
    """A channel's figure as the tables print it (|cell: "—" when suppressed, * on a small base)."""
    return {"value": f.value, "low": f.low, "high": f.high, "n": f.n, "unit": f.result.headline.unit,
            "base": f.base, "mark": 0}


def _gap_dict(k) -> dict | None:
    g = k.largest_gap
    if g is None:
        return None
    diff = g.shown_diff if g.shown_diff is not None else g.diff
    return {"high": g.a, "low": g.b, "diff": diff, "exact": g.diff, "text": fmt_gap(diff, k.unit),
            "p": g.p_value, "p_adjusted": g.p_adjusted, "significant": g.significant, "method": g.method,
            "pct_of_span": k.gap_pct_of_span}


def _figure_of(k, channel: str):
    return next(f for f in k.channels if f.channel == channel)


def _sentence(k, gap: dict) -> str:
    """One reading per KPI: 'NPS ranges from +10 (Phone) to +35 (Branch): a gap of 25 points,
    significant; consistency index 90.'"""
    from cxreport.present.findings import _points

    hi, lo = _figure_of(k, gap["high"]), _figure_of(k, gap["low"])
    words = {"kpi": k.label, "low": figure(lo.value, k.unit), "low_channel": lo.channel,
             "high": figure(hi.value, k.unit), "high_channel": hi.channel, "gap": _points(gap["diff"], k.unit),
             "verdict": _("significant") if gap["significant"] else _("not significant")}
    if k.index is None:
        return _("{kpi} ranges from {low} ({low_channel}) to {high} ({high_channel}): a gap of {gap}, "
                 "{verdict}.").format(**words)
    return _("{kpi} ranges from {low} ({low_channel}) to {high} ({high_channel}): a gap of {gap}, {verdict}; "
             "consistency index {index}.").format(index=num(k.index), **words)


def _previous(study, k) -> dict | None:
    """The same KPI in the period before the window: its largest gap and index (for context)."""
    p = study.previous_kpi(k.key)
    if p is None or p.largest_gap is None:
        return None
    g = p.largest_gap
    diff = g.shown_diff if g.shown_diff is not None else g.diff
    return {"period": study.previous_period, "high": g.a, "low": g.b, "diff": diff, "text": fmt_gap(diff, p.unit),
            "significant": g.significant, "index": p.index}


def consistency_context(study, cs=None, *, client_charts: bool = True) -> dict | None:
    """The section's context, or None when the project has no ``consistency:`` or no KPI has
    two channels with a figure to compare."""
    from cxreport.present.context import ADJUST_NAMES, adjust_note

    c = getattr(study, "consistency", None)
    if c is None:
        return None
    table = c.table
    rows = []
    for k in table.kpis:
        gap = _gap_dict(k)
        rows.append({"key": k.key, "label": k.label, "unit": k.unit, "cells": [_cell(f) for f in k.channels],
                     "gap": gap, "index": k.index, "shown": len(k.shown), "suppressed": k.suppressed,
                     "sentence": _sentence(k, gap) if gap is not None else None,
                     "high_cell": _cell(_figure_of(k, gap["high"])) if gap is not None else None,
                     "low_cell": _cell(_figure_of(k, gap["low"])) if gap is not None else None,
                     "previous": _previous(c, k) if gap is not None else None})
    if not any(r["gap"] is not None for r in rows):
        return None
    chart = None
    if client_charts and cs is not None:
        panels = [_panel(k) for k in table.kpis if k.largest_gap is not None]
        chart = charts.defer(consistency_chart, "consistency", _("Each KPI by channel"), panels, cs)
    heading = _("{period} · {n} respondents in {k} channels ({segment})").format(
        period=c.period, n=num(c.in_channels), k=num(len(table.channels)), segment=c.segment)
    return {
        "segment": c.segment, "period": c.period, "heading": heading, "respondents": c.respondents,
        "in_channels": c.in_channels, "not_stated": table.not_stated,
        "channels": [{"label": ch, "base": c.channel_base.get(ch, 0)} for ch in table.channels],
        "absent": c.absent, "absent_text": _(", ").join(c.absent), "rows": rows, "chart": chart,
        "previous_period": c.previous_period if any(r["previous"] for r in rows) else None,
        "n_tests": table.n_tests, "adjust_note": adjust_note(table.n_tests, table.adjust),
        "chance_note": table.chance_note and table.adjust not in ADJUST_NAMES,
        "weighting": table.weighting, "weighted": c.weighted, "alpha": table.alpha,
    }


def _panel(k) -> dict:
    g = k.largest_gap
    diff = g.shown_diff if g.shown_diff is not None else g.diff
    size = fmt_gap(diff, k.unit).lstrip("+") + (" ▲" if g.significant else "")    # ▲: significant, as in the table
    words = (_("gap {gap}, index {index}").format(gap=size, index=num(k.index))
             if k.index is not None else _("gap {gap}").format(gap=size))
    return {"label": k.label, "unit": k.unit, "scale": k.scale, "note": words, "high": g.a, "low": g.b,
            "points": [{"channel": f.channel, "value": f.value, "low": f.low, "high": f.high}
                       for f in k.channels if f.shown]}


@charts._narrowable
def consistency_chart(chart_id: str, title: str, panels: list[dict], cs) -> charts.Chart:
    """A dot plot per KPI: each channel a dot (with its 95 % interval) on the KPI's own scale,
    the channels in the table's order from the top, the band between the lowest and the
    highest channel shaded (the spread), those two channels in the brand's accent, the rest in
    its primary colour. No status colours: nothing here is judged against a target."""
    from cxreport.present.charts import INK, _drawing, _fs, _new_figure, _render, _Room, _settle, is_narrow, plain

    n = len(panels)
    tallest = max(len(p["points"]) for p in panels)
    # Three KPIs of a few channels side by side (one row, no half-empty second row); else two columns.
    cols = 1 if is_narrow() or n == 1 else (3 if n == 3 and tallest <= 5 else 2)
    rows = math.ceil(n / cols)
    panel_h = 0.6 + 0.27 * tallest
    with _drawing(cs):
        fig = _new_figure(cs, 6.4, 0.2 + rows * panel_h, narrow_height=0.3 + n * (0.75 + 0.42 * tallest))
        fig.get_layout_engine().set(h_pad=0.08, hspace=0.1, wspace=0.08)   # room between a panel's ticks and the next title
        axes = [fig.add_subplot(rows, cols, i + 1) for i in range(n)]
        placed = []
        for ax, p in zip(axes, panels):
            pts = p["points"]
            ys = list(range(len(pts)))[::-1]               # the first channel on top
            values = [q["value"] for q in pts]
            ax.axvspan(min(values), max(values), color=cs.primary, alpha=0.10, linewidth=0)
            for y, q in zip(ys, pts):
                extreme = q["channel"] in (p["high"], p["low"])
                colour = cs.accent if extreme else cs.primary
                if charts._finite(q["low"], q["high"]):
                    ax.plot([q["low"], q["high"]], [y, y], color=colour, linewidth=1.3, alpha=0.55)
                ax.plot([q["value"]], [y], "o", color=colour, markersize=7 if extreme else 6)
            ax.set_yticks(ys, [plain(q["channel"]) for q in pts])
            ax.set_ylim(-0.7, len(pts) - 0.3)
            ends = values + [q["low"] for q in pts if charts._finite(q["low"])] + \
                [q["high"] for q in pts if charts._finite(q["high"])]
            lo, hi = min(ends), max(ends)
            pad = max((hi - lo) * 0.22, {"points": 4.0, "percent": 3.0, "index": 3.0}.get(p["unit"], 0.1))
            lo, hi = lo - pad, hi + pad
            s_lo, s_hi = p["scale"]
            if math.isfinite(s_lo):
                lo = max(lo, s_lo)
            if math.isfinite(s_hi):
                hi = min(hi, s_hi)
            _ticks(ax, lo, hi, p["unit"])
            ax.grid(axis="y", visible=False)
            note = charts._wrap_middle(p["note"]) if cols == 3 and len(p["note"]) > 30 else p["note"]
            ax.set_title(plain(p["label"]) + "\n" + plain(note), loc="left", fontsize=_fs(8.5), color=INK)
            placed.append((ax, p, ys))
        _settle(fig)
        room = _Room(fig)
        for ax, p, ys in placed:
            room.lines(ax)
        for ax, p, ys in placed:
            for y, q in zip(ys, p["points"]):
                text = figure(q["value"], p["unit"])
                cands = []
                if charts._finite(q["high"]):
                    cands.append({"xy": (q["high"], y), "offset": (4, 0), "ha": "left", "va": "center"})
                if charts._finite(q["low"]):
                    cands.append({"xy": (q["low"], y), "offset": (-4, 0), "ha": "right", "va": "center"})
                cands += charts._around((q["value"], y), 6.0, "above")
                room.place(ax, text, cands, fontsize=_fs(8), color=INK,
                           fontweight="bold" if q["channel"] in (p["high"], p["low"]) else "normal")
    alt = " · ".join(p["label"] + ": " + "; ".join(f"{q['channel']} {figure(q['value'], p['unit'])}"
                                                   for q in p["points"]) for p in panels)
    return _render(fig, chart_id, title, alt)


def _ticks(ax, lo: float, hi: float, unit: str) -> None:
    """Three to five ticks on round steps of the unit (whole points for NPS and percentages,
    tenths or hundredths on a mean), labelled as the report prints numbers."""
    from matplotlib.ticker import FixedLocator, FuncFormatter

    smallest = {"points": 1.0, "percent": 1.0, "index": 1.0}.get(unit, 0.01)
    step = smallest
    for m in (1, 2, 2.5, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if (hi - lo) / (smallest * m) <= 5:
            step = smallest * m
            break
    first = math.ceil(lo / step - 1e-9) * step
    ticks = [first + k * step for k in range(int((hi - first) / step + 1e-9) + 1)]
    decimals = 0 if step >= 1 else (1 if round(step * 10, 6) == int(round(step * 10, 6)) else 2)
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: num(v, decimals)))
    ax.set_xlim(lo, hi)


def consistency_sheet(study) -> list[tuple]:
    """The workbook's "Consistency" sheet (none without the section's figures): a row per KPI
    and channel with its figure, interval and base, then the KPI's largest gap with its test
    and the index — the figures of the report's table."""
    from cxreport.present.workbook import Fmt, _unit

    c = getattr(study, "consistency", None)
    if c is None or not any(k.largest_gap is not None for k in c.kpis):
        return []
    rows = []
    for k in c.kpis:
        unit = _unit(k.unit)
        g = k.largest_gap
        for f in k.channels:
            rows.append([k.label, f.channel, Fmt(f.value, unit), Fmt(f.low, unit), Fmt(f.high, unit), f.n,
                         _(BASE_WORDS[f.base]), None, None, None, None, None, None, None])
        if g is not None:
            diff = g.shown_diff if g.shown_diff is not None else g.diff
            rows.append([k.label, _("Largest gap: {high} − {low}").format(high=g.a, low=g.b), None, None, None, None,
                         None, Fmt(diff, f"diff:{unit}"), g.p_value, g.p_adjusted,
                         _("yes") if g.significant else _("no"), k.index, k.spread_sd, k.gap_pct_of_span])
    header = [_("KPI"), _("Channel"), _("Score"), _("Low 95%"), _("High 95%"), _("Base"), _("Base flag"),
              _("Largest gap"), _("p"), _("p adjusted"), _("Significant"), _("Consistency index"),
              _("Spread (SD)"), _("Gap % of scale")]
    formats = ["", "", "", "", "", "count", "", "", "p", "p", "", "decimal", "decimal", "decimal"]
    description = _("{period}: each KPI by {segment}, the largest gap between two channels with its test "
                    "(p-values adjusted together for the table's {n} comparisons) and the consistency index "
                    "(docs/methods.md).").format(period=c.period, segment=c.segment, n=num(c.table.n_tests))
    notes = [_("Consistency index = 100 × (1 − 2 × SD / span of the scale); channel weights: {w}.").format(
        w=_("each channel's share of the customers") if c.table.weighting == "customers" else _("equal"))]
    if c.absent:
        notes.append(_("No respondents in {period}: {channels}.").format(period=c.period,
                                                                           channels=_(", ").join(c.absent)))
    return [(_("Consistency"), description, header, formats, rows, notes)]


BASE_WORDS = {"ok": N_("ok"), "small": N_("small base"), "suppressed": N_("base too small")}
