"""Charts for the mystery-shop reports (same house style as the survey charts)."""

from __future__ import annotations

import math

import numpy as np

from cxreport.i18n import _
from cxreport.present.charts import Chart, ChartStyle, _drawing, _new_figure, _render, plain
from cxreport.present.formatting import num, pct


def distribution(scores: np.ndarray, pass_mark: float, bands: list[tuple[str, float]], cs: ChartStyle) -> Chart:
    """Histogram of visit scores in 5-point bins with the pass mark."""
    scores = scores[~np.isnan(scores)]
    with _drawing(cs):
        fig = _new_figure(cs, 7.0, 2.8)
        ax = fig.add_subplot()
        bins = np.arange(0, 105, 5)
        counts, edges = np.histogram(np.clip(scores, 0, 99.999), bins=bins)
        colours = [cs.primary if edges[k] >= pass_mark else "#C62828" for k in range(len(counts))]
        ax.bar(edges[:-1] + 2.5, counts, width=4.4, color=colours)
        ax.axvline(pass_mark, color="#1D232A", linestyle=(0, (4, 3)), linewidth=1.1)
        ax.annotate(_("pass mark {v}").format(v=pct(pass_mark)), (pass_mark, max(counts.max(), 1)),
                    xytext=(4, -2), textcoords="offset points", fontsize=8, va="top")
        ax.set_xlim(0, 100)
        ax.set_xlabel(_("Visit score (%)"))
        ax.set_ylabel(_("Visits"))
        ax.grid(axis="x", visible=False)
        ax.grid(axis="y", visible=True)
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
    """Shared look of the by-wave line charts: 0–100 % axis, pass-mark line, wave labels."""
    xs = list(range(len(labels)))
    ax.axhline(pass_mark, color="#1D232A", linestyle=(0, (4, 3)), linewidth=1.0)
    ax.set_xticks(xs, [plain(label) for label in labels], fontsize=8)
    ax.set_xlim(-0.3, len(labels) - 0.7 if len(labels) > 1 else 0.3)
    ax.set_ylim(0, 105)
    ax.grid(axis="x", visible=False)
    ax.grid(axis="y", visible=True)
    ax.legend(loc="lower right", ncol=legend_columns)


def programme_trend(rows: list[dict], pass_mark: float, cs: ChartStyle) -> Chart:
    with _drawing(cs):
        fig = _new_figure(cs, 7.0, 2.6)
        ax = fig.add_subplot()
        xs = list(range(len(rows)))
        pts = _line(ax, xs, [r["score"] for r in rows], cs.primary, _("Programme score"))
        for x, v in pts:
            ax.annotate(num(v, 1), (x, v), xytext=(0, 7), textcoords="offset points", ha="center", fontsize=8)
        _line(ax, xs, [r["pass_rate"] for r in rows], cs.accent, _("Pass rate (%)"), width=1.5, marker="s")
        _wave_axes(ax, [r["wave"] for r in rows], pass_mark, legend_columns=2)
    alt = "; ".join(f"{r['wave']}: {pct(r['score'], 1)}" for r in rows)
    return _render(fig, "programme-trend", _("Programme score by wave"), alt)


def location_trend(name: str, waves: list[dict], pass_mark: float, cs: ChartStyle) -> Chart:
    with _drawing(cs):
        fig = _new_figure(cs, 7.0, 2.6)
        ax = fig.add_subplot()
        xs = list(range(len(waves)))
        pts = _line(ax, xs, [w["score"] for w in waves], cs.primary, plain(name), width=2.2)
        for x, v in pts:
            ax.annotate(num(v, 1), (x, v), xytext=(0, 7), textcoords="offset points", ha="center", fontsize=8)
        _line(ax, xs, [w["region"] for w in waves], cs.accent, _("Region"), width=1.3, marker="s")
        _line(ax, xs, [w["programme"] for w in waves], "#8A939D", _("Programme"), width=1.3, marker="^")
        _wave_axes(ax, [w["name"] for w in waves], pass_mark, legend_columns=3)
    alt = f"{name}: " + "; ".join(f"{w['name']} {pct(w['score'], 1)}" for w in waves)
    return _render(fig, "location-trend", _("Score by wave"), alt)
