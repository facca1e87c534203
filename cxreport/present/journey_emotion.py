"""Emotion on the journey map (issue 16, item 4): the tone of the comments at each touchpoint and
stage, shown under the journey map (docs/suggested-themes.md, "Emotion on the journey").

Everything shown is read from the study's :class:`cxreport.scoring.journey_emotion.JourneyEmotion`
(the JSON block and the workbook read the same object). Significance marks are the computation's
own tests against the rest of the comments, adjusted together per table (METHODS.md §8)."""

from __future__ import annotations

import math

from cxreport.i18n import _
from cxreport.present import charts
from cxreport.present.formatting import signed

#: Net tone bars: the brand's primary colour above zero, a neutral slate below (never the
#: green/amber/red of the target statuses).
NEGATIVE_TONE = "#5C6B73"


def _cell(interval, base: str, unit: str, decimals: int | None = None) -> dict:
    return {"value": interval.value if interval is not None else None, "unit": unit, "base": base, "mark": 0,
            **({"decimals": decimals} if decimals is not None else {})}


def _mark(group, key: str) -> int:
    test = group.vs_rest.get(key)
    return test.mark if test is not None else 0


def _row(group, *, name: str | None = None) -> dict:
    theme = group.top_negative_theme
    return {
        "label": name or group.group, "stage": group.stage, "n": group.n, "base": group.base,
        "net": _cell(group.net, group.base, "points"),
        # Marks beside the cells, in the section's own neutral style (a test is not a target status).
        "mean": _cell(group.mean, group.base, "points", decimals=2), "mean_mark": _mark(group, "mean"),
        "positive": _cell(group.positive, group.base, "percent"), "positive_mark": _mark(group, "positive"),
        "negative": _cell(group.negative, group.base, "percent"), "negative_mark": _mark(group, "negative"),
        "theme": theme.theme if theme is not None and group.shown else None,
        "theme_share": theme.share if theme is not None and group.shown else None,
    }


def emotion_context(study, cs=None, *, client_charts: bool = True) -> dict | None:
    """The tone rows under the journey map, or None (no emotion computed, or no touchpoint with comments)."""
    e = getattr(study, "emotion", None)
    if e is None or e.touchpoints is None or not e.touchpoints.groups:
        return None
    tp = e.touchpoints
    rows = [_row(g) for g in tp.groups]
    stages = [_row(g) for g in e.stages.groups] if e.stages is not None else []
    total = _row(tp.total, name=_("All comments"))
    chart = None
    if client_charts and cs is not None and any(g.net is not None for g in tp.groups):
        chart = charts.defer(tone_chart, "journey-tone", tp.groups, [g.group for g in e.stages.groups]
                             if e.stages is not None else [], cs, flag_below=study.project.bases.flag_below)
    tests = [t for table in (tp, e.stages) if table is not None for g in table.groups for t in g.vs_rest.values()]
    return {
        "period": study.scope("comments").label, "comments": e.comments, "linked": e.linked,
        "weighted": e.weighted, "rows": rows, "stages": stages, "total": total, "chart": chart,
        "alpha": tp.alpha, "adjust": tp.adjust, "tested": bool(tests),
        "chance": tp.chance_note or (e.stages is not None and e.stages.chance_note),
        "has_theme": any(r["theme"] for r in rows + stages),
    }


@charts._narrowable
def tone_chart(chart_id: str, groups: list, stages: list[str], cs, *, flag_below: int = 50) -> charts.Chart:
    """Net tone (% positive − % negative comments) at each touchpoint, stage by stage top to bottom,
    as bars from zero with their 95 % interval; the stage names head their touchpoints."""
    order = list(stages) + [g.stage for g in groups if g.stage not in stages]
    rows: list[tuple[str, object]] = []
    for stage in dict.fromkeys(order):
        members = [g for g in groups if g.stage == stage]
        if members:
            if stage is not None:
                rows.append(("stage", stage))
            rows += [("point", g) for g in members]
    n = len(rows)
    shown = [g for kind, g in rows if kind == "point" and g.net is not None]
    with charts._drawing(cs):
        fig = charts._new_figure(cs, 7.0, 0.9 + 0.27 * n, narrow_height=1.3 + 0.4 * n)
        ax = fig.add_subplot()
        ys, labels, bars = [], [], []
        for k, (kind, item) in enumerate(rows):
            y = n - 1 - k
            ys.append(y)
            if kind == "stage":
                labels.append(charts.plain(item))
                continue
            labels.append(charts.plain(item.group) + ("*" if item.base == "small" else ""))
            if item.net is None:
                continue
            colour = cs.primary if item.net.value >= 0 else NEGATIVE_TONE
            bar = ax.barh([y], [item.net.value], left=0.0, height=0.62, color=colour)[0]
            if item.base == "small":
                bar.set_alpha(0.55)
                bar.set_hatch("////")
                bar.set_edgecolor("white")
            if math.isfinite(item.net.low) and math.isfinite(item.net.high):
                ax.plot([item.net.low, item.net.high], [y, y], color=charts.INK, linewidth=0.9)
            bars.append((y, item))
        ax.set_yticks(ys, labels)
        for label, (kind, _item) in zip(ax.get_yticklabels(), rows):
            if kind == "stage":
                label.set_fontweight("bold")
        lows = [g.net.low for g in shown if math.isfinite(g.net.low)] + [g.net.value for g in shown]
        highs = [g.net.high for g in shown if math.isfinite(g.net.high)] + [g.net.value for g in shown]
        # room beyond the longest whisker for its label (past ±100 too), ticks only on the −100 … +100 scale
        lo = max(-135.0, min([-10.0] + lows) - 22)
        hi = min(135.0, max([10.0] + highs) + 22)
        ax.set_xlim(min(lo, -20.0), max(hi, 20.0))
        ax.set_xticks([t for t in range(-100, 101, 20) if min(lo, -20.0) <= t <= max(hi, 20.0)])
        ax.set_ylim(-0.7, n - 0.3)
        ax.axvline(0, color="#8A939D", linewidth=0.8)
        ax.grid(axis="y", visible=False)
        ax.set_xlabel(_("Net tone of the comments (% positive − % negative)"))
        charts._settle(fig)
        for y, g in bars:
            end = g.net.high if g.net.value >= 0 else g.net.low
            end = end if math.isfinite(end) else g.net.value
            ax.annotate(signed(g.net.value), (end, y), xytext=(4 if g.net.value >= 0 else -4, 0),
                        textcoords="offset points", ha="left" if g.net.value >= 0 else "right", va="center",
                        fontsize=charts._fs(8), color=charts.INK)
    notes = []
    if any(g.base == "small" for g in shown):
        notes.append(_("* small base (fewer than {n} comments): read with caution.").format(n=flag_below))
    hidden = [g.group for kind, g in rows if kind == "point" and g.net is None]
    if hidden:
        notes.append(_("Not shown (base too small): {names}.").format(names=", ".join(hidden)))
    title = _("Tone of the comments at each touchpoint")
    alt = title + ": " + "; ".join(f"{g.group} {signed(g.net.value)}" for g in shown)
    return charts._render(fig, chart_id, title, alt, " ".join(notes))


def journey_sheet_columns(study) -> tuple[list[str], list[str], dict[str, list], str]:
    """Tone columns for the workbook's journey sheet: (headers, formats, touchpoint → values,
    a sentence for the sheet's description); no columns without emotion."""
    e = getattr(study, "emotion", None)
    if e is None or e.touchpoints is None:
        return [], [], {}, ""
    values = {}
    for g in e.touchpoints.groups:
        theme = g.top_negative_theme if g.shown else None
        values[g.group] = [g.n, g.net.value if g.net else None, round(g.mean.value, 4) if g.mean else None,
                           g.positive.value if g.positive else None, g.negative.value if g.negative else None,
                           {1: _("higher"), -1: _("lower")}.get(_mark(g, "negative"), ""),
                           theme.theme if theme is not None else ""]
    headers = [_("Comments"), _("Net tone"), _("Mean sentiment"), _("Positive comments %"),
               _("Negative comments %"), _("Negative vs the rest"), _("Main theme of the negative comments")]
    formats = ["count", "points", "diff:mean", "percent", "percent", "", ""]
    sentence = _("Tone of the comments written in {period} (net tone: % positive − % negative comments; "
                 "'higher'/'lower': % negative against all other comments, adjusted).").format(
        period=study.scope("comments").label)
    return headers, formats, values, sentence
