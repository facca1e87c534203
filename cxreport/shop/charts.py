"""Charts for the mystery-shop reports (same house style and label rules as the survey charts:
labels in ink that reads on what they sit on, clear of every line, marker and the pass-mark
line; bars from zero; a phone-width variant with ``narrow=True``)."""

from __future__ import annotations

import math

import numpy as np

from cxreport.i18n import _
from cxreport.present.charts import (INK, Chart, ChartStyle, _drawing, _fs, _line_labels, _narrowable,
                                     _new_figure, _render, _Room, _settle, is_narrow, plain, two_lines)
from cxreport.present.formatting import num, pct


@_narrowable
def distribution(scores: np.ndarray, pass_mark: float, bands: list[tuple[str, float]], cs: ChartStyle) -> Chart:
    """Histogram of visit scores in 5-point bins with the pass mark."""
    scores = scores[~np.isnan(scores)]
    with _drawing(cs):
        fig = _new_figure(cs, 7.0, 2.8, narrow_height=3.6)
        ax = fig.add_subplot()
        bins = np.arange(0, 105, 5)
        counts, edges = np.histogram(np.clip(scores, 0, 99.999), bins=bins)
        colours = [cs.primary if edges[k] >= pass_mark else "#C62828" for k in range(len(counts))]
        ax.bar(edges[:-1] + 2.5, counts, width=4.4, color=colours)
        ax.axvline(pass_mark, color=INK, linestyle=(0, (4, 3)), linewidth=1.1)
        ax.set_xlim(0, 100)
        top = max(int(counts.max()) if len(counts) else 0, 1)
        ax.set_ylim(0, top * 1.25)
        ax.set_xlabel(_("Visit score (%)"))
        ax.set_ylabel(_("Visits"))
        ax.grid(axis="x", visible=False)
        ax.grid(axis="y", visible=True)
        _settle(fig)
        room = _Room(fig)
        room.lines(ax)
        for patch in ax.patches:
            room.artist(patch)
        # The pass mark's name at the top, beside its line, clear of the bars.
        at = (pass_mark, top * 1.25)
        room.place(ax, _("pass mark {v}").format(v=pct(pass_mark)),
                   [{"xy": at, "offset": (4, -2), "ha": "left", "va": "top"},
                    {"xy": at, "offset": (-4, -2), "ha": "right", "va": "top"},
                    {"xy": (pass_mark, top * 1.25), "offset": (4, 2), "ha": "left", "va": "bottom"}],
                   bounds="figure", fontsize=_fs(8), color=INK)
    below = int((scores < pass_mark).sum())
    alt = _("Distribution of {n} visit scores; {b} below the pass mark of {p}.").format(
        n=num(len(scores)), b=num(below), p=pct(pass_mark))
    return _render(fig, "score-distribution", _("Visit score distribution"), alt)


def _line(ax, xs, values, colour, label, width=2.0, marker="o"):
    pts = [(x, v) for x, v in zip(xs, values) if v is not None and math.isfinite(v)]
    if pts:
        ax.plot([p[0] for p in pts], [p[1] for p in pts], color=colour, marker=marker, linewidth=width,
                markersize=4, label=label)
    return pts


def _wave_axes(ax, labels: list[str], pass_mark: float, legend_columns: int) -> None:
    """Shared look of the by-wave line charts: 0–100 % axis, pass-mark line, wave labels, the
    legend under the plot (never over a line or a label)."""
    xs = list(range(len(labels)))
    # The dashed line is named in the legend (the histogram names it beside the line).
    ax.axhline(pass_mark, color=INK, linestyle=(0, (4, 3)), linewidth=1.0,
               label=_("pass mark {v}").format(v=pct(pass_mark)))
    shown = [plain(label) for label in labels]
    ax.set_xticks(xs, shown, fontsize=_fs(8))
    # Wave names that would run into each other go on two lines ("Wave 1" over "Spring 2026").
    renderer = ax.figure.canvas.get_renderer()
    slot = ax.figure.get_figwidth() * ax.figure.dpi * 0.85 / max(len(labels), 1)
    if max((t.get_window_extent(renderer).width for t in ax.get_xticklabels()), default=0) > slot * 0.9:
        shown = [s.replace(" — ", "\n", 1) if " — " in s else two_lines(s) for s in shown]
        ax.set_xticks(xs, shown, fontsize=_fs(8))
    ax.set_xlim(-0.3, len(labels) - 0.7 if len(labels) > 1 else 0.3)
    ax.set_ylim(0, 105)
    ax.grid(axis="x", visible=False)
    ax.grid(axis="y", visible=True)
    ax.figure.legend(loc="outside lower center", ncol=1 if is_narrow() else legend_columns)


def _labels(fig, ax, pts, pass_mark: float) -> None:
    """The main line's scores, above or below each marker, clear of every line and marker."""
    room = _Room(fig)
    room.lines(ax)
    values: list[float | None] = [None] * (max((x for x, _v in pts), default=-1) + 1)
    for x, v in pts:
        values[x] = v
    _line_labels(room, ax, [(x, v, num(v, 1)) for x, v in pts], values, pass_mark, fontsize=8, gap=5.0)


@_narrowable
def programme_trend(rows: list[dict], pass_mark: float, cs: ChartStyle) -> Chart:
    with _drawing(cs):
        fig = _new_figure(cs, 7.0, 2.9, narrow_height=4.2)
        ax = fig.add_subplot()
        xs = list(range(len(rows)))
        pts = _line(ax, xs, [r["score"] for r in rows], cs.primary, _("Programme score"))
        _line(ax, xs, [r["pass_rate"] for r in rows], cs.accent, _("Pass rate (%)"), width=1.5, marker="s")
        _wave_axes(ax, [r["wave"] for r in rows], pass_mark, legend_columns=3)
        _settle(fig)
        _labels(fig, ax, pts, pass_mark)
    alt = "; ".join(f"{r['wave']}: {pct(r['score'], 1)}" for r in rows)
    return _render(fig, "programme-trend", _("Programme score by wave"), alt)


@_narrowable
def location_trend(name: str, waves: list[dict], pass_mark: float, cs: ChartStyle) -> Chart:
    with _drawing(cs):
        fig = _new_figure(cs, 7.0, 2.9, narrow_height=4.4)
        ax = fig.add_subplot()
        xs = list(range(len(waves)))
        pts = _line(ax, xs, [w["score"] for w in waves], cs.primary, plain(name), width=2.2)
        _line(ax, xs, [w["region"] for w in waves], cs.accent, _("Region"), width=1.3, marker="s")
        _line(ax, xs, [w["programme"] for w in waves], "#8A939D", _("Programme"), width=1.3, marker="^")
        _wave_axes(ax, [w["name"] for w in waves], pass_mark, legend_columns=4)
        _settle(fig)
        _labels(fig, ax, pts, pass_mark)
    alt = f"{name}: " + "; ".join(f"{w['name']} {pct(w['score'], 1)}" for w in waves)
    return _render(fig, "location-trend", _("Score by wave"), alt)
