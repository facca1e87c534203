"""Charts for the reports: matplotlib ``Figure`` objects (no pyplot state), Agg backend.

Each chart is drawn once and saved as a 150 dpi PNG used by both the PDF (where PNGs lay
out much faster than SVG) and the HTML report (where it looks identical to the PDF, with
its fonts baked in; SVG would double the chart time of a build). Brand colours and font come in as
arguments; the house style is the packaged ``cxreport.mplstyle``. Charts receive finished
results; suppressed bases are left out and named in a note, small bases are hatched.
"""

from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager, style  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from cxreport import i18n  # noqa: E402
from cxreport.i18n import _  # noqa: E402
from cxreport.present.formatting import figure as fmt_figure  # noqa: E402
from cxreport.present.formatting import num, pct  # noqa: E402
from cxreport.resources import theme_dir  # noqa: E402

PROMOTER = "#2E7D32"
PASSIVE = "#A7B0BA"
DETRACTOR = "#C62828"
GREY = "#6B7480"
PNG_DPI = 150


@dataclass
class Chart:
    id: str
    title: str
    alt: str
    png: bytes
    note: str = ""

    @property
    def png_data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


#: CJK family for chart text (Debian: fonts-noto-cjk). matplotlib falls back glyph by glyph
#: through ``font.family``, so Chinese labels (segment names, comments) never show as tofu,
#: even in English reports.
CJK_FONT = "Noto Sans CJK SC"


@dataclass
class ChartStyle:
    primary: str
    accent: str
    font: str

    def rc(self) -> dict:
        # Chinese reports put the CJK face right after the brand font (Latin letters and digits
        # still come from the brand font); other reports keep DejaVu Sans next.
        families = [self.font, CJK_FONT, "DejaVu Sans"] if i18n.current().cjk else [self.font, "DejaVu Sans", CJK_FONT]
        return {"font.family": families, "axes.unicode_minus": True}


def plain(text: str) -> str:
    """Text shown literally by matplotlib (a '$' would otherwise start maths notation)."""
    return str(text).replace("$", r"\$")


def two_lines(label: str) -> str:
    """A period label on two lines for a crowded axis: 'Q1 2026' → 'Q1\\n2026',
    '2026年第1季度' → '2026年\\n第1季度' (Chinese labels have no spaces)."""
    if " " in label:
        return label.replace(" ", "\n", 1)
    if "年" in label[:-1]:
        return label.replace("年", "年\n", 1)
    return label


def font_available(family: str) -> bool:
    try:
        font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
        return True
    except ValueError:
        return False


def _style_file() -> str:
    return str(theme_dir() / "cxreport.mplstyle")


def _new_figure(cs: ChartStyle, width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height))
    return fig


def _render(fig: Figure, chart_id: str, title: str, alt: str, note: str = "") -> Chart:
    png_buf = io.BytesIO()
    fig.savefig(png_buf, format="png", dpi=PNG_DPI, metadata={"Software": None},
                bbox_inches="tight", pad_inches=0.08)
    return Chart(chart_id, title, alt, png_buf.getvalue(), note)


_CJK_CHECKED = False


def ensure_cjk_font() -> None:
    """Make the CJK family known to matplotlib even when its font list was cached before
    fonts-noto-cjk was installed (matplotlib does not rescan by itself): once per process."""
    global _CJK_CHECKED
    if _CJK_CHECKED:
        return
    _CJK_CHECKED = True
    if font_available(CJK_FONT):
        return
    for path in font_manager.findSystemFonts():
        if Path(path).name.startswith("NotoSansCJK"):
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError):  # pragma: no cover - an unreadable font file
                continue


def _drawing(cs: ChartStyle):
    ensure_cjk_font()
    return style.context([_style_file(), cs.rc()])


# --------------------------------------------------------------------------- NPS


def nps_distribution(result, cs: ChartStyle) -> Chart:
    """0–10 bars coloured by group, above the promoter / passive / detractor split."""
    dist = result.distribution
    with _drawing(cs):
        fig = _new_figure(cs, 7.0, 3.5)
        grid = fig.add_gridspec(2, 1, height_ratios=[3.2, 0.9], hspace=0.55)
        ax = fig.add_subplot(grid[0])
        points = [p for p, _, _ in dist]
        shares = [s for _, _, s in dist]
        colours = [DETRACTOR if p <= 6 else PASSIVE if p <= 8 else PROMOTER for p in points]
        bars = ax.bar(points, shares, color=colours, width=0.72)
        for bar, share in zip(bars, shares):
            ax.annotate(fmt_figure(share, "percent"), (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                        xytext=(0, 2), textcoords="offset points", ha="center", va="bottom", fontsize=8)
        ax.set_xticks(points)
        ax.set_xlim(-0.6, 10.6)
        ax.set_ylim(0, max(shares) * 1.18 if shares else 1)
        ax.grid(axis="x", visible=False)
        ax.grid(axis="y", visible=True)
        ax.set_ylabel(_("% of customers"))
        ax.set_xlabel(_("Likelihood to recommend (0 = not at all likely, 10 = extremely likely)"))
        split = fig.add_subplot(grid[1])
        parts = [(result.share_lo, DETRACTOR, _("Detractors")), (result.share_mid, PASSIVE, _("Passives")),
                 (result.share_hi, PROMOTER, _("Promoters"))]
        left = 0.0
        for share, colour, label in parts:
            split.barh([0], [share], left=left, color=colour, height=0.8)
            if share >= 7:
                split.text(left + share / 2, 0, f"{label} {fmt_figure(share, 'percent')}", ha="center",
                           va="center", color="white" if colour != PASSIVE else "#1D232A", fontsize=8.5,
                           fontweight="bold")
            left += share
        split.set_xlim(0, 100)
        split.set_yticks([])
        split.set_xticks([])
        for side in ("left", "bottom"):
            split.spines[side].set_visible(False)
        split.grid(False)
    alt = _("NPS distribution: detractors {d}, passives {p}, promoters {pr}; NPS {nps}.").format(
        d=fmt_figure(result.share_lo, "percent"), p=fmt_figure(result.share_mid, "percent"),
        pr=fmt_figure(result.share_hi, "percent"), nps=fmt_figure(result.nps.value, "points"))
    return _render(fig, "nps-distribution", _("NPS distribution"), alt)


# --------------------------------------------------------------------------- bars


def _bar_limits(spec, values_low: list[float], values_high: list[float]) -> tuple[float, float]:
    low, high = spec.headline_scale
    if spec.headline in ("nps", "index"):
        lo = min([0.0] + values_low)
        hi = max([0.0] + values_high)
        pad = max(5.0, 0.08 * (hi - lo))
        return max(low, lo - pad), min(high, hi + pad * 2.2)
    if spec.headline == "top2":
        return 0.0, 100.0
    return float(spec.low), float(spec.high)


def ranked_bars(chart_id: str, title: str, rows: list[dict], spec, cs: ChartStyle, *,
                total: float | None = None, target: float | None = None, sort: bool = True,
                note: str = "", flag_below: int = 50) -> Chart:
    """Horizontal bars with 95 % interval whiskers. ``rows``: label, value, low, high, base."""
    shown = [r for r in rows if r["base"] != "suppressed" and r["value"] is not None
             and math.isfinite(r["value"])]
    hidden = [r["label"] for r in rows if r not in shown]
    if sort:
        shown = sorted(shown, key=lambda r: r["value"])
    unit = spec.headline_unit
    height = 0.9 + 0.3 * max(len(shown), 1)
    with _drawing(cs):
        fig = _new_figure(cs, 7.0, height)
        ax = fig.add_subplot()
        ys = list(range(len(shown)))
        values = [r["value"] for r in shown]
        lows = [r["low"] for r in shown]
        highs = [r["high"] for r in shown]
        lo_lim, hi_lim = _bar_limits(spec, lows, highs)
        base_left = 0.0 if spec.headline in ("nps", "index", "top2") else lo_lim
        colours = [cs.primary for _ in shown]
        bars = ax.barh(ys, [v - base_left for v in values], left=base_left, color=colours, height=0.62)
        for bar, r in zip(bars, shown):
            if r["base"] == "small":
                bar.set_alpha(0.55)
                bar.set_hatch("////")
                bar.set_edgecolor("white")
        err_lo = [max(v - lo, 0) for v, lo in zip(values, lows)]
        err_hi = [max(hi - v, 0) for v, hi in zip(values, highs)]
        ax.errorbar(values, ys, xerr=[err_lo, err_hi], fmt="none", ecolor="#1D232A", elinewidth=0.9, capsize=2.5)
        labels = [plain(r["label"]) + ("*" if r["base"] == "small" else "") for r in shown]
        ax.set_yticks(ys, labels)
        for y, r in zip(ys, shown):
            x = r["high"] if math.isfinite(r["high"]) else r["value"]
            ax.annotate(fmt_figure(r["value"], unit), (x, y), xytext=(4, 0), textcoords="offset points",
                        va="center", fontsize=8, color="#1D232A")
        ax.set_xlim(lo_lim, hi_lim)
        ax.set_ylim(-0.7, len(shown) - 0.3)
        if spec.headline in ("nps", "index"):
            ax.axvline(0, color="#8A939D", linewidth=0.8)
        handles = []
        if total is not None and math.isfinite(total):
            ax.axvline(total, color=cs.accent, linewidth=1.4)
            handles.append(Patch(color=cs.accent, label=_("Total {v}").format(v=fmt_figure(total, unit))))
        if target is not None:
            ax.axvline(target, color="#1D232A", linewidth=1.1, linestyle=(0, (4, 3)))
            handles.append(Patch(facecolor="white", edgecolor="#1D232A", linestyle="--",
                                 label=_("Target {v}").format(v=fmt_figure(target, unit))))
        if handles:
            ax.legend(handles=handles, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=len(handles),
                      borderaxespad=0.2)
        ax.set_xlabel(_axis_label(spec))
    notes = []
    if any(r["base"] == "small" for r in shown):
        notes.append(_("* small base (fewer than {n} respondents): read with caution.").format(n=flag_below))
    if hidden:
        notes.append(_("Not shown (base too small): {names}.").format(names=", ".join(hidden)))
    if note:
        notes.insert(0, note)
    alt = title + ": " + "; ".join(f"{r['label']} {fmt_figure(r['value'], unit)}" for r in reversed(shown))
    return _render(fig, chart_id, title, alt, " ".join(notes))


def _axis_label(spec) -> str:
    if spec.headline == "nps":
        return _("Net Promoter Score (−100 to +100), with 95% interval")
    if spec.headline == "index":
        return _("CES index (% easy − % difficult), with 95% interval")
    if spec.headline == "top2":
        return _("% top-2-box, with 95% interval")
    return _("Mean score ({low}–{high}), with 95% interval").format(low=spec.low, high=spec.high)


# --------------------------------------------------------------------------- trend


#: Status colours (the report's CSS --green, --amber, --red; the deck's STATUS_COLOURS).
STATUS_INK = {"green": "#2E7D32", "amber": "#B26A00", "red": "#C62828"}


def trend(chart_id: str, title: str, points: list[dict], spec, cs: ChartStyle, *,
          target: float | None = None) -> Chart:
    """A KPI over periods: line, 95 % interval band, target line; suppressed periods left out."""
    unit = spec.headline_unit
    with _drawing(cs):
        fig = _new_figure(cs, 2.7, 2.3)
        ax = fig.add_subplot()
        xs = list(range(len(points)))
        shown = [(x, p) for x, p in zip(xs, points) if p["base"] != "suppressed" and p["value"] is not None
                 and math.isfinite(p["value"])]
        if shown:
            sx = [x for x, _p in shown]
            ax.fill_between(sx, [p["low"] for _x, p in shown], [p["high"] for _x, p in shown],
                            color=cs.primary, alpha=0.13, linewidth=0)
            ax.plot(sx, [p["value"] for _x, p in shown], color=cs.primary, marker="o", markersize=4, linewidth=2)
            # Each point's status against the target by the one rule (cxreport.benchmark.targets):
            # the marker is filled in the status colour, as the scorecard's badge is.
            for x, p in shown:
                colour = STATUS_INK.get(p.get("status") or "")
                if colour:
                    ax.plot([x], [p["value"]], marker="o", markersize=5.5, color=colour,
                            markeredgecolor="white", markeredgewidth=0.8, zorder=4)
            for x, p in shown:
                ax.annotate(fmt_figure(p["value"], unit), (x, p["value"]), xytext=(0, 7),
                            textcoords="offset points", ha="center", fontsize=8, color="#1D232A")
        if target is not None:
            ax.axhline(target, color="#1D232A", linewidth=1.0, linestyle=(0, (4, 3)))
            # In the right margin, level with the line: never on top of a point's label.
            ax.annotate(_("target"), (1.0, target), xycoords=("axes fraction", "data"), xytext=(3, 0),
                        textcoords="offset points", fontsize=7, color="#1D232A", ha="left", va="center")
        ax.set_xticks(xs, [two_lines(plain(p["label"])) for p in points], fontsize=7.5)
        ax.grid(axis="x", visible=False)
        ax.grid(axis="y", visible=True)
        ax.set_xlim(-0.4, len(points) - 0.6)
        vals = [p["low"] for _x, p in shown] + [p["high"] for _x, p in shown] + ([target] if target is not None else [])
        if vals:
            span = max(vals) - min(vals)
            pad = max(span * 0.25, 1.0 if unit != "mean" else 0.1)
            ax.set_ylim(min(vals) - pad * 0.6, max(vals) + pad)
        ax.set_title(plain(title), fontsize=9.5)
    alt = title + ": " + "; ".join(f"{p['label']} {fmt_figure(p['value'], unit) if p['base'] != 'suppressed' else '—'}"
                                   for p in points)
    return _render(fig, chart_id, title, alt)


# --------------------------------------------------------------------------- competitors


def dot_plot(chart_id: str, comparison, cs: ChartStyle) -> Chart:
    """One metric across brands: a dot per brand with its interval, own brand highlighted."""
    unit = comparison.unit if comparison.unit in ("points", "percent", "mean") else "mean"
    brands = [b for b in comparison.brands if b.value is not None and b.base != "suppressed"]
    brands = sorted(brands, key=lambda b: b.value)
    with _drawing(cs):
        fig = _new_figure(cs, 6.0, 0.9 + 0.3 * max(len(brands), 1))
        ax = fig.add_subplot()
        ys = list(range(len(brands)))
        for y, b in zip(ys, brands):
            colour = cs.accent if b.own else cs.primary
            if b.low is not None and b.high is not None and math.isfinite(b.low) and math.isfinite(b.high):
                ax.plot([b.low, b.high], [y, y], color=colour, linewidth=1.4, alpha=0.7)
            ax.plot([b.value], [y], "o", color=colour, markersize=8 if b.own else 6.5)
            ax.annotate(fmt_figure(b.value, unit), (b.value, y), xytext=(0, 7), textcoords="offset points",
                        ha="center", fontsize=8, fontweight="bold" if b.own else "normal")
        ax.set_yticks(ys, [plain(b.brand) for b in brands])
        for label, b in zip(ax.get_yticklabels(), brands):
            if b.own:
                label.set_fontweight("bold")
        if comparison.competitor_average is not None:
            ax.axvline(comparison.competitor_average, color="#8A939D", linestyle=(0, (4, 3)), linewidth=1)
            ax.annotate(_("competitor average"), (comparison.competitor_average, len(brands) - 0.5), fontsize=7.5,
                        color="#5B6470", ha="center", va="bottom")
        ax.set_ylim(-0.6, len(brands) - 0.2)
        values = [b.value for b in brands] + [b.low for b in brands if b.low is not None] + \
            [b.high for b in brands if b.high is not None]
        if values:
            span = max(values) - min(values)
            ax.set_xlim(min(values) - max(span * 0.12, 1), max(values) + max(span * 0.12, 1))
        ax.set_xlabel(comparison.label)
    alt = comparison.label + ": " + "; ".join(f"{b.brand} {fmt_figure(b.value, unit)}" for b in reversed(brands))
    return _render(fig, chart_id, comparison.label, alt)


def gap_chart(chart_id: str, comparison, cs: ChartStyle) -> Chart:
    """Own brand minus each competitor; significant gaps solid, the rest hatched."""
    unit = comparison.unit if comparison.unit in ("points", "percent", "mean") else "mean"
    rivals = [b for b in comparison.brands if not b.own and b.diff is not None]
    rivals = sorted(rivals, key=lambda b: b.diff)
    with _drawing(cs):
        fig = _new_figure(cs, 6.0, 0.9 + 0.3 * max(len(rivals), 1))
        ax = fig.add_subplot()
        ys = list(range(len(rivals)))
        colours = ["#2E7D32" if b.diff >= 0 else "#C62828" for b in rivals]
        bars = ax.barh(ys, [b.diff for b in rivals], color=colours, height=0.6)
        for bar, b in zip(bars, rivals):
            if not b.mark:
                bar.set_alpha(0.45)
                bar.set_hatch("////")
                bar.set_edgecolor("white")
            ax.annotate(("+" if b.diff > 0 else "") + fmt_figure(b.diff, "mean" if unit == "mean" else "points")
                        .lstrip("+") + (" ▲" if b.mark > 0 else " ▼" if b.mark < 0 else ""),
                        (b.diff, bar.get_y() + bar.get_height() / 2), xytext=(4 if b.diff >= 0 else -4, 0),
                        textcoords="offset points", va="center", ha="left" if b.diff >= 0 else "right", fontsize=8)
        ax.axvline(0, color="#1D232A", linewidth=0.9)
        ax.set_yticks(ys, [_("vs {brand}").format(brand=plain(b.brand)) for b in rivals])
        lim = max([abs(b.diff) for b in rivals] + [1.0]) * 1.35
        ax.set_xlim(-lim, lim)
        ax.set_xlabel(_("{metric}: own brand minus competitor (solid = significant)").format(metric=comparison.label))
    alt = _("{metric} gaps: ").format(metric=comparison.label) + "; ".join(
        f"{b.brand} {fmt_figure(b.diff, 'points', 1)}" for b in rivals)
    return _render(fig, chart_id, _("Gap to competitors"), alt)


def _label_points(ax, points: list[tuple[float, float, str]], fontsize: float = 8) -> None:
    """Label scatter points without covering other points or labels: to the right of the
    point by default, to the left when that would run over a neighbour, and nudged up or
    down when it would sit on an earlier label. Distances are in points."""
    scale = 72.0 / ax.figure.dpi

    def at(x, y):
        px, py = ax.transData.transform((x, y))
        return px * scale, py * scale

    dots = [at(x, y) for x, y, _t in points]
    placed: list[tuple[float, float, float]] = []          # (left, right, baseline) of placed labels
    for x, y, text in sorted(points, key=lambda p: (-p[1], p[0])):
        px, py = at(x, y)
        width = 0.55 * fontsize * len(text)
        right_side = not any(px + 3 < qx < px + 10 + width and abs(qy - py) < fontsize + 4 for qx, qy in dots)
        left, right = (px + 6, px + 6 + width) if right_side else (px - 6 - width, px - 6)
        dy = 3.0
        for attempt in range(8):
            if not any(left < r and l < right and abs(py + dy - qy) < fontsize + 2 for l, r, qy in placed):
                break
            step = (fontsize + 3) * (attempt // 2 + 1)
            dy = 3 - step if attempt % 2 == 0 else 3 + step
        placed.append((left, right, py + dy))
        ax.annotate(plain(text), (x, y), xytext=(6 if right_side else -6, dy), textcoords="offset points",
                    fontsize=fontsize, ha="left" if right_side else "right")


# --------------------------------------------------------------------------- drawing many charts


@dataclass
class Deferred:
    """A chart to draw later: the function and its arguments (all picklable)."""

    fn: object
    args: tuple
    kwargs: dict


def defer(fn, *args, **kwargs) -> Deferred:
    return Deferred(fn, args, kwargs)


def _draw(job: Deferred) -> Chart:
    return job.fn(*job.args, **job.kwargs)


def _collect(node, found: list) -> None:
    if isinstance(node, Deferred):
        if all(node is not f for f in found):
            found.append(node)
    elif isinstance(node, dict):
        for value in node.values():
            _collect(value, found)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _collect(value, found)


def _replace(node, done: dict):
    if isinstance(node, Deferred):
        return done[id(node)]
    if isinstance(node, dict):
        return {k: _replace(v, done) for k, v in node.items()}
    if isinstance(node, list):
        return [_replace(v, done) for v in node]
    if isinstance(node, tuple):
        return tuple(_replace(v, done) for v in node)
    return node


#: Processes that draw one report's charts; None = up to four cores. Batch workers set 1:
#: a batch is already parallel by report, and a worker's children would compete with it.
CHART_PROCESSES: int | None = None


def draw_all(context: dict, processes: int | None = None) -> dict:
    """Draw every deferred chart in ``context``; on several cores, in forked processes
    (matplotlib is already imported, so a fork starts in milliseconds)."""
    import multiprocessing as mp
    import os

    jobs: list[Deferred] = []
    _collect(context, jobs)
    ensure_cjk_font()                   # once here, not in every forked worker
    processes = processes or CHART_PROCESSES or min(os.cpu_count() or 1, 4)
    if mp.current_process().daemon:   # e.g. a Dask worker: daemonic processes cannot have children
        processes = 1
    if len(jobs) >= 4 and processes > 1 and "fork" in mp.get_all_start_methods():
        with mp.get_context("fork").Pool(processes) as pool:
            charts = pool.map(_draw, jobs, chunksize=1)
    else:
        charts = [_draw(job) for job in jobs]
    return _replace(context, {id(job): chart for job, chart in zip(jobs, charts)})


def quadrant(chart_id: str, analysis, cs: ChartStyle) -> Chart:
    """Importance–performance quadrant (Martilla & James): split at the means of each axis."""
    rows = analysis.rows
    xs = [r.performance for r in rows]
    ys = [r.importance for r in rows]
    mx, my = float(sum(xs) / len(xs)), float(sum(ys) / len(ys))
    with _drawing(cs):
        fig = _new_figure(cs, 7.0, 4.6)
        ax = fig.add_subplot()
        colours = [cs.accent if r.quadrant == "Concentrate here" else cs.primary for r in rows]
        ax.scatter(xs, ys, s=46, color=colours, zorder=3)
        ax.axvline(mx, color="#8A939D", linewidth=1, linestyle=(0, (4, 3)))
        ax.axhline(my, color="#8A939D", linewidth=1, linestyle=(0, (4, 3)))
        xpad = max((max(xs) - min(xs)) * 0.25, 3)
        ypad = max((max(ys) - min(ys)) * 0.2, 2)
        ax.set_xlim(min(xs) - xpad * 0.6, max(xs) + xpad)
        ax.set_ylim(max(0, min(ys) - ypad), max(ys) + ypad)
        _label_points(ax, [(r.performance, r.importance, r.name) for r in rows])
        x0, x1 = ax.get_xlim()
        y0, y1 = ax.get_ylim()
        style = dict(fontsize=8.5, color="#5B6470", fontweight="bold")
        ax.text(x0 + 0.01 * (x1 - x0), y1 - 0.03 * (y1 - y0), _("Concentrate here"), va="top", ha="left",
                **{**style, "color": cs.accent})
        ax.text(x1 - 0.01 * (x1 - x0), y1 - 0.03 * (y1 - y0), _("Keep up the good work"), va="top", ha="right", **style)
        ax.text(x0 + 0.01 * (x1 - x0), y0 + 0.03 * (y1 - y0), _("Low priority"), va="bottom", ha="left", **style)
        ax.text(x1 - 0.01 * (x1 - x0), y0 + 0.03 * (y1 - y0), _("Possible overkill"), va="bottom", ha="right", **style)
        ax.grid(visible=False)
        ax.set_xlabel(_("Performance: mean rating rescaled to 0–100"))
        ax.set_ylabel(_("Importance: % of R²"))
        ax.set_title(_("R² = {r2}, n = {n}").format(r2=num(analysis.r2, 3), n=num(analysis.n)), fontsize=9,
                     loc="right", fontweight="normal")
    alt = _("Importance–performance quadrant: ") + "; ".join(
        f"{r.name} {pct(r.importance)} / {num(r.performance)} ({_(r.quadrant)})" for r in rows)
    return _render(fig, chart_id, _("Key drivers"), alt)


def pareto(chart_id: str, rows: list[dict], cs: ChartStyle) -> Chart:
    """Negative comments by theme, largest first, with the cumulative % line and the 80 % mark."""
    with _drawing(cs):
        fig = _new_figure(cs, 7.0, 3.2)
        ax = fig.add_subplot()
        xs = list(range(len(rows)))
        ax.bar(xs, [r["count"] for r in rows], color="#C62828", width=0.62)
        ax.set_xticks(xs, [plain(r["theme"]) for r in rows], rotation=25, ha="right", fontsize=8)
        ax.set_ylabel(_("Negative comments"))
        ax.grid(axis="x", visible=False)
        ax.grid(axis="y", visible=True)
        line = ax.twinx()
        line.plot(xs, [r["cumulative"] for r in rows], color=cs.primary, marker="o", markersize=4, linewidth=1.8)
        line.axhline(80, color="#1D232A", linestyle=(0, (4, 3)), linewidth=1)
        line.annotate(pct(80), (len(rows) - 0.5, 80), xytext=(0, 3), textcoords="offset points", fontsize=8, ha="right")
        line.set_ylim(0, 105)
        line.set_ylabel(_("Cumulative %"))
        line.grid(False)
        for side in ("top",):
            line.spines[side].set_visible(False)
        line.spines["right"].set_visible(True)
    alt = _("Negative comments by theme: ") + "; ".join(
        _("{theme} {n} ({share} cumulative)").format(theme=r["theme"], n=num(r["count"]), share=pct(r["cumulative"]))
        for r in rows)
    return _render(fig, chart_id, _("Pareto of negative themes"), alt)


def priority_matrix(chart_id: str, priorities: list, cs: ChartStyle) -> Chart:
    """Impact (importance × gap) against current performance; colour by quadrant."""
    colours = {"Quick win": "#2E7D32", "Strategic": cs.accent, "Fill-in": "#8A939D", "Reconsider": "#C62828",
               "Fix first": cs.accent, "Improve": cs.primary, "Maintain": "#8A939D"}
    with _drawing(cs):
        fig = _new_figure(cs, 7.0, 4.2)
        ax = fig.add_subplot()
        for p in priorities:
            ax.scatter([p.performance], [p.impact], s=52, color=colours.get(p.quadrant, cs.primary), zorder=3)
        mean_impact = sum(p.impact for p in priorities) / len(priorities)
        ax.axhline(mean_impact, color="#8A939D", linestyle=(0, (4, 3)), linewidth=1)
        xs = [p.performance for p in priorities]
        ax.set_xlim(min(xs) - 5, max(xs) + 12)
        ax.set_ylim(0, max(p.impact for p in priorities) * 1.25 + 0.1)
        _label_points(ax, [(p.performance, p.impact, p.name) for p in priorities])
        ax.set_xlabel(_("Current performance (0–100)"))
        ax.set_ylabel(_("Impact: importance × gap"))
        seen = []
        from matplotlib.lines import Line2D
        for p in priorities:
            if p.quadrant not in seen:
                seen.append(p.quadrant)
        ax.legend(handles=[Line2D([], [], marker="o", linestyle="", color=colours.get(q, cs.primary), label=_(q))
                           for q in seen], loc="upper right", ncol=min(len(seen), 4))
        ax.grid(visible=False)
    alt = _("Priority matrix: ") + "; ".join(
        _("{name} impact {impact}, {quadrant}").format(name=p.name, impact=num(p.impact, 1), quadrant=_(p.quadrant))
        for p in priorities)
    return _render(fig, chart_id, _("Priority matrix"), alt)


def journey(chart_id: str, jmap, cs: ChartStyle) -> Chart:
    """Stages left to right, touchpoints as points on a score line; pain points in red."""
    points = jmap.touchpoints
    unit = jmap.unit
    with _drawing(cs):
        fig = _new_figure(cs, 7.2, 3.6)
        ax = fig.add_subplot()
        xs = list(range(len(points)))
        shown = [(x, p) for x, p in zip(xs, points) if p.value is not None]
        ax.plot([x for x, _p in shown], [p.value for _x, p in shown], color=cs.primary, linewidth=2, zorder=2)
        for x, p in shown:
            colour = "#C62828" if p.pain else cs.primary
            ax.scatter([x], [p.value], s=60 if p.pain else 38, color=colour, zorder=3)
            ax.annotate(fmt_figure(p.value, unit), (x, p.value), xytext=(0, 7), textcoords="offset points",
                        ha="center", va="bottom", fontsize=7.5, color=colour, zorder=4,
                        fontweight="bold" if p.pain else "normal")
            if p.target is not None:
                ax.plot([x - 0.3, x + 0.3], [p.target, p.target], color="#1D232A", linewidth=1, linestyle=(0, (3, 2)))
        values = [p.value for _x, p in shown] + [p.target for p in points if p.target is not None]
        lo, hi = (min(values), max(values)) if values else (0, 1)
        pad = max((hi - lo) * 0.25, 2)
        ax.set_ylim(lo - pad, hi + pad * 1.8)
        # stage bands
        for k, stage in enumerate(jmap.stages):
            members = [x for x, p in zip(xs, points) if p.stage == stage]
            if not members:
                continue
            a, b = min(members) - 0.5, max(members) + 0.5
            if k % 2 == 0:
                ax.axvspan(a, b, color="#EEF1F4", zorder=0)
            ax.text((a + b) / 2, hi + pad * 1.5, plain(stage), ha="center", va="top", fontsize=8.5,
                    fontweight="bold", color=cs.primary)
        ax.set_xlim(-0.5, len(points) - 0.5)
        ax.set_xticks(xs, [plain(p.name) + ("*" if p.base == "small" else "") for p in points], rotation=30,
                      ha="right", fontsize=7.5)
        ax.grid(axis="x", visible=False)
        ax.set_ylabel(jmap.kpi)
    alt = _("Journey map: ") + "; ".join(f"{p.stage} / {p.name} {fmt_figure(p.value, unit)}"
                                        + (_(" (pain point)") if p.pain else "") for p in points)
    return _render(fig, chart_id, _("Journey map"), alt)
