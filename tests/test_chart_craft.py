"""Chart craft (issue 13, "Charts"): rules that hold for any project, checked on the matplotlib
figures themselves (``charts._render`` is patched to capture each one).

- Text is readable against what it sits on: WCAG 2 contrast ratio ≥ 4.5:1 between a label's
  colour and every surface under it (a bar, a band, the axes), computed from relative luminance.
- Labels sit clear of lines, markers, the target line and each other: no text's bounding box
  (display coordinates) meets a line segment, a marker or another text.
- A bar chart's bars start at zero and its axis includes zero. A line chart whose value axis
  does not start at zero draws a break mark on the axis and says so in the chart's note; its
  axis spans at least the minimum span of its unit (20 NPS points, 10 percentage points, 1.0 on
  a mean scale), so that a 0.1 change is not blown up.
- One name for a driver's class: the drivers table and chart, the priority list, table and
  chart name each attribute's quadrant the same way, from ``keydrivers.QUADRANTS``.
- Every chart can be drawn a second time for a phone (``narrow``), with text that reads at
  11 CSS px or more when the picture is shown 358 px wide; only when asked (the HTML target).

The sample reports (English, Chinese, quarterly) are drawn chart by chart, wide and narrow,
and every figure is held to the first three rules.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import to_rgba
from matplotlib.container import BarContainer
from matplotlib.patches import Rectangle
from PIL import Image

from cxreport.present.charts import _meets     # the segment–box test the charts place labels with

REPO = Path(__file__).resolve().parents[1]
SAMPLES = {"en": REPO / "samples" / "harbour-bank" / "cxreport.yaml",
           "zh": REPO / "samples" / "huayue-retail" / "cxreport.yaml"}

# --------------------------------------------------------------------------- WCAG, restated


def _channel(c: float) -> float:
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _luminance(colour) -> float:
    r, g, b, _a = to_rgba(colour)
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def _contrast(a, b) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _over_white(colour, alpha: float | None = None) -> tuple[float, float, float]:
    r, g, b, a = to_rgba(colour)
    a = a if alpha is None else alpha
    return (r * a + (1 - a), g * a + (1 - a), b * a + (1 - a))


def test_contrast_ratio_matches_the_wcag_examples():
    from cxreport.present import charts

    assert charts.contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert charts.contrast_ratio("#FFFFFF", "#000000") == pytest.approx(21.0)
    assert charts.contrast_ratio("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)
    assert charts.contrast_ratio("#0B3C5D", "#0B3C5D") == pytest.approx(1.0)
    assert charts.relative_luminance("#FFFFFF") == pytest.approx(1.0)
    assert charts.relative_luminance("#000000") == pytest.approx(0.0)
    # the ink chosen for a surface always reaches 4.5:1, whatever the brand colour
    for surface in ("#0B3C5D", "#1C8C8C", "#777777", "#FFD400", "#C62828", "#2E7D32", "#A7B0BA", "#FFFFFF",
                    "#000000", "#808080", "#E60012"):
        assert _contrast(charts.ink_on(surface), surface) >= 4.5, surface
    assert charts.ink_on("#0B3C5D").upper() in ("#FFFFFF", "WHITE")


# --------------------------------------------------------------------------- capturing figures


class Capture:
    """Every figure the chart code renders, with its chart id and note."""

    def __init__(self, mp: pytest.MonkeyPatch):
        from cxreport.present import charts
        from cxreport.shop import charts as shop_charts

        self.figures: list[tuple[str, object, object]] = []
        original = charts._render

        def render(fig, chart_id, *args, **kwargs):
            chart = original(fig, chart_id, *args, **kwargs)
            self.figures.append((chart_id, fig, chart))
            return chart

        mp.setattr(charts, "_render", render)
        mp.setattr(shop_charts, "_render", render, raising=False)


@pytest.fixture
def capture(monkeypatch):
    return Capture(monkeypatch)


def _renderer(fig):
    FigureCanvasAgg(fig)
    return fig.canvas.get_renderer()


# --------------------------------------------------------------------------- geometry



def _overlap(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def _box(cx, cy, half):
    from matplotlib.transforms import Bbox

    return Bbox.from_extents(cx - half, cy - half, cx + half, cy + half)


def _texts(fig):
    for ax in fig.axes:
        for t in ax.texts:
            if t.get_visible() and t.get_text().strip():
                yield ax, t


def _obstacles(fig, renderer):
    """(description, kind, geometry) of every line segment and marker drawn in ``fig``."""
    px = fig.dpi / 72.0
    out = []
    for ax in fig.axes:
        for line in ax.get_lines():
            if not line.get_visible():
                continue
            xy = line.get_transform().transform(line.get_xydata())
            ok = [tuple(p) for p in xy if all(map(lambda v: v == v, p))]
            if line.get_linestyle() not in ("None", "", " ") and line.get_linewidth() > 0:
                for p0, p1 in zip(ok, ok[1:]):
                    out.append((f"line {line.get_label()!r}", "segment", (p0, p1)))
            if line.get_marker() not in (None, "None", "", " "):
                half = (line.get_markersize() + line.get_markeredgewidth()) * px / 2
                for p in ok:
                    out.append((f"marker of {line.get_label()!r}", "box", _box(p[0], p[1], half)))
        for coll in ax.collections:
            if isinstance(coll, LineCollection):
                trans = coll.get_transform()
                for seg in coll.get_segments():
                    pts = trans.transform(seg)
                    for p0, p1 in zip(pts, pts[1:]):
                        out.append(("interval whisker", "segment", (tuple(p0), tuple(p1))))
            elif isinstance(coll, PathCollection):
                offsets = coll.get_offset_transform().transform(coll.get_offsets())
                sizes = coll.get_sizes()
                for k, p in enumerate(offsets):
                    s = sizes[k % len(sizes)] if len(sizes) else 36
                    out.append(("scatter marker", "box", _box(p[0], p[1], (s ** 0.5) * px / 2)))
    return out


def _surfaces(fig, renderer, box):
    """Colours under ``box``: every filled patch the box meets (blended over white by its
    alpha; a hatched patch also counts its hatch colour), and the axes face unless one opaque
    patch covers the whole box."""
    found = []
    covered = False
    for ax in fig.axes:
        for patch in ax.patches:
            if not patch.get_visible() or not patch.get_fill():
                continue
            ext = patch.get_window_extent(renderer)
            if ext.width <= 0 or ext.height <= 0 or not _overlap(ext, box):
                continue
            face = patch.get_facecolor()
            if face[3] == 0:
                continue
            found.append(("patch", _over_white(face)))
            if patch.get_hatch():
                found.append(("hatch", _over_white(patch.get_edgecolor())))
            elif face[3] == 1 and ext.x0 <= box.x0 and box.x1 <= ext.x1 and ext.y0 <= box.y0 and box.y1 <= ext.y1:
                covered = True
    if not covered:
        found += [("axes face", _over_white(ax.get_facecolor())) for ax in fig.axes
                  if _overlap(ax.get_window_extent(renderer), box)]
    return found


def label_problems(chart_id: str, fig) -> list[str]:
    """Every text of ``fig`` against the rules: contrast with each surface under it, clear of
    every line and marker, clear of every other text."""
    renderer = _renderer(fig)
    obstacles = _obstacles(fig, renderer)
    problems = []
    boxes = []
    for ax, text in _texts(fig):
        box = text.get_window_extent(renderer)
        name = f"{chart_id}: {text.get_text()!r}"
        ink = _over_white(text.get_color(), text.get_alpha())
        for what, colour in _surfaces(fig, renderer, box):
            ratio = _contrast(ink, colour)
            if ratio < 4.5:
                problems.append(f"{name} has contrast {ratio:.2f} on its {what}")
        for what, kind, geometry in obstacles:
            if kind == "segment" and _meets(box, *geometry):
                problems.append(f"{name} is crossed by a {what}")
                break
            if kind == "box" and _overlap(box, geometry):
                problems.append(f"{name} overlaps a {what}")
                break
        for other_name, other in boxes:
            if _overlap(box, other):
                problems.append(f"{name} overlaps the text {other_name}")
        boxes.append((text.get_text(), box))
    return problems


def bar_problems(chart_id: str, fig) -> list[str]:
    """Every bar starts at zero and its value axis includes zero (stacked shares without an
    axis, such as the NPS split, are not value axes)."""
    problems = []
    for ax in fig.axes:
        for container in ax.containers:
            if not isinstance(container, BarContainer):
                continue
            horizontal = container.orientation == "horizontal"
            ticks = ax.get_xticks() if horizontal else ax.get_yticks()
            if not len(ticks):
                continue
            lo, hi = sorted(ax.get_xlim() if horizontal else ax.get_ylim())
            if not lo <= 0 <= hi:
                problems.append(f"{chart_id}: the bar axis {lo:g}–{hi:g} leaves out zero")
            for rect in container.patches:
                start, size = (rect.get_x(), rect.get_width()) if horizontal else (rect.get_y(), rect.get_height())
                if abs(start) > 1e-9 and abs(start + size) > 1e-9:
                    problems.append(f"{chart_id}: a bar runs from {start:g}, not from zero")
                    break
    return problems


# --------------------------------------------------------------------------- synthetic charts


def _style():
    from cxreport.present import charts

    return charts.ChartStyle("#0B3C5D", "#1C8C8C", "DejaVu Sans")


def _rows(values, width=6.0, small=()):
    return [{"label": f"Unit {k}", "value": v, "low": v - width, "high": v + width,
             "base": "small" if k in small else "ok"} for k, v in enumerate(values)]


def test_a_negative_bar_label_is_readable(capture):
    """The client report's "Complaint handling −24": a value label on a navy bar in dark ink."""
    from cxreport.present import charts
    from cxreport.scoring.kpis import ItemSpec

    rows = _rows([49, 41, 39, 35, 33, 29, 29, 28, -24], width=10)
    charts.ranked_bars("seg-x", "NPS by touchpoint", rows, ItemSpec.nps(), _style(), total=28, target=35)
    [(chart_id, fig, _chart)] = capture.figures
    assert label_problems(chart_id, fig) == []


@pytest.mark.parametrize("target", [30, 35, 41, 46, 50])
def test_the_target_line_never_strikes_through_a_value_label(capture, target):
    from cxreport.present import charts
    from cxreport.scoring.kpis import ItemSpec

    rows = _rows([52, 47, 44, 40, 36, 33, 31, 27, 24, 12, -3], width=4, small=(3,))
    charts.ranked_bars("seg-x", "NPS by branch", rows, ItemSpec.nps(), _style(), total=33, target=target)
    charts.ranked_bars("seg-y", "CSAT by branch", [{**r, "value": r["value"] + 45, "low": r["low"] + 45,
                                                   "high": r["high"] + 45} for r in rows],
                       ItemSpec.csat(), _style(), total=78, target=target + 45)
    for chart_id, fig, _chart in capture.figures:
        assert label_problems(chart_id, fig) == []
        assert bar_problems(chart_id, fig) == []


def test_mean_bars_start_at_zero(capture):
    from cxreport.present import charts
    from cxreport.scoring.kpis import ItemSpec

    rows = [{"label": f"Attribute {k}", "value": v, "low": v - 0.05, "high": v + 0.05, "base": "ok"}
            for k, v in enumerate([4.12, 4.08, 3.87, 3.41, 3.14])]
    charts.ranked_bars("attributes", "Attribute performance", rows, ItemSpec.rating("a", "A"), _style())
    [(chart_id, fig, _chart)] = capture.figures
    assert bar_problems(chart_id, fig) == []
    assert label_problems(chart_id, fig) == []


def test_a_dark_or_light_brand_colour_still_gives_readable_labels(capture):
    from cxreport.present import charts
    from cxreport.scoring.kpis import ItemSpec

    for primary in ("#FFD400", "#777777", "#0B3C5D"):
        cs = charts.ChartStyle(primary, "#E60012", "DejaVu Sans")
        charts.ranked_bars("seg-x", "NPS", _rows([60, 45, 20, -40, -62], width=5), ItemSpec.nps(), cs,
                           total=10, target=50)
        charts.trend("trend-nps", "NPS", _points([10, 12, 9, 14]), ItemSpec.nps(), cs, target=12)
    for chart_id, fig, _chart in capture.figures:
        assert label_problems(chart_id, fig) == []


def _points(values, half=2.0, labels=None):
    labels = labels or [f"Q{k % 4 + 1} {2024 + k // 4}" for k in range(len(values))]
    return [{"label": lab, "value": v, "low": v - half, "high": v + half, "base": "ok", "status": None}
            for lab, v in zip(labels, values)]


def _line_axis(fig):
    ax = fig.axes[0]
    return ax, ax.get_ylim()


def _has_break_mark(fig) -> bool:
    return any(line.get_gid() == "axis-break" for ax in fig.axes for line in ax.get_lines())


@pytest.mark.parametrize("spec_name,values,half,target,min_span", [
    ("ces", [5.00, 5.05, 5.07, 5.02, 5.07, 5.07, 5.16, 5.20], 0.04, 5.0, 1.0),
    ("csat", [71, 72, 73, 71, 73, 72, 75, 74], 1.5, 80, 10.0),
    ("nps", [19, 21, 21, 18, 19, 22, 25, 28], 3.0, 35, 20.0),
])
def test_trend_axes_keep_a_minimum_span_and_say_when_they_do_not_start_at_zero(capture, spec_name, values, half,
                                                                            target, min_span):
    from cxreport.present import charts
    from cxreport.scoring.kpis import ItemSpec

    spec = {"ces": ItemSpec.ces(), "csat": ItemSpec.csat(), "nps": ItemSpec.nps()}[spec_name]
    chart = charts.trend(f"trend-{spec_name}", spec.label, _points(values, half), spec, _style(), target=target)
    [(chart_id, fig, _c)] = capture.figures
    ax, (lo, hi) = _line_axis(fig)
    assert hi - lo >= min_span - 1e-9, (lo, hi)
    assert lo <= min(values) - half and hi >= max(values) + half
    if lo > 0:
        assert _has_break_mark(fig), f"{chart_id}: the axis starts at {lo:g} without a break mark"
        assert "Axis starts at" in chart.note, chart.note
    else:
        assert not _has_break_mark(fig)
    assert label_problems(chart_id, fig) == []


def test_a_trend_through_zero_has_no_break_mark(capture):
    from cxreport.present import charts
    from cxreport.scoring.kpis import ItemSpec

    chart = charts.trend("trend-nps", "NPS", _points([-4, 2, 5, 1, -2], 3), ItemSpec.nps(), _style(), target=5)
    [(_id, fig, _c)] = capture.figures
    lo, hi = fig.axes[0].get_ylim()
    assert lo <= 0 <= hi and not _has_break_mark(fig) and "Axis starts at" not in chart.note


def test_the_axis_start_is_stated_with_its_value(capture):
    from cxreport.present import charts
    from cxreport.scoring.kpis import ItemSpec

    chart = charts.trend("trend-ces", "CES", _points([5.0, 5.05, 5.1, 5.2], 0.05), ItemSpec.ces(), _style())
    [(_id, fig, _c)] = capture.figures
    lo = fig.axes[0].get_ylim()[0]
    assert f"Axis starts at {lo:.1f}" in chart.note


def test_journey_labels_clear_the_line_markers_and_targets(capture):
    from types import SimpleNamespace as NS

    from cxreport.present import charts

    values = [41, 49, 35, 39, 33, 28, 29, -24, 29]
    names = ["Account opening", "Identity check", "Card services", "Payments", "Statements", "Loan application",
             "Mortgage advice", "Complaint handling", "Fraud support"]
    stages = ["Onboarding"] * 2 + ["Everyday banking"] * 3 + ["Borrowing"] * 2 + ["Getting help"] * 2
    points = [NS(name=n, stage=s, value=v, target=35, pain=v < 30, base="ok") for n, s, v in zip(names, stages, values)]
    jmap = NS(touchpoints=points, unit="points", stages=["Onboarding", "Everyday banking", "Borrowing", "Getting help"],
              kpi="NPS")
    charts.journey("journey", jmap, _style())
    [(chart_id, fig, _c)] = capture.figures
    assert label_problems(chart_id, fig) == []


def test_shop_location_trend_labels_clear_the_other_lines(capture):
    """North contact centre: its 74.6 under the region's and the programme's markers."""
    from cxreport.shop import charts as shop_charts

    waves = [{"name": "Wave 1 — Spring 2026", "score": 54.0, "region": 69.5, "programme": 81.0},
             {"name": "Wave 2 — Summer 2026", "score": 85.2, "region": 82.0, "programme": 84.0},
             {"name": "Wave 3 — Autumn 2026", "score": 74.6, "region": 75.6, "programme": 84.2}]
    shop_charts.location_trend("North contact centre", waves, 80.0, _style())
    rows = [{"wave": "W1", "score": 81.2, "pass_rate": 70.0}, {"wave": "W2", "score": 84.1, "pass_rate": 80.5},
            {"wave": "W3", "score": 83.9, "pass_rate": 79.0}]
    shop_charts.programme_trend(rows, 80.0, _style())
    import numpy as np

    shop_charts.distribution(np.array([45, 55, 62, 71, 78, 81, 82, 83, 84, 85, 86, 88, 91, 92, 93, 95, 97, 100.0]),
                             80.0, [("Excellent", 90), ("Good", 80)], _style())
    assert len(capture.figures) == 3
    for chart_id, fig, _c in capture.figures:
        assert label_problems(chart_id, fig) == []
        assert bar_problems(chart_id, fig) == []


# --------------------------------------------------------------------------- the sample reports


def _sample_jobs(lang: str, report: str):
    from cxreport import build, i18n
    from cxreport.config import load_project
    from cxreport.pipeline import run
    from cxreport.present import charts
    from cxreport.present.context import build_context
    from cxreport.present.quarterly import build_quarterly_context

    project = load_project(SAMPLES[lang])
    window_for = getattr(build, "window_for", None)
    if window_for is not None:
        project = window_for(project, report)
    with i18n.use_language(project.language):
        study = run(project)
        context = build_quarterly_context(study) if report == "quarterly" else build_context(study)
    jobs: list = []
    charts._collect(context, jobs)
    return project.language, study, jobs


@pytest.fixture(scope="module")
def sample_figures():
    """(report, chart id, figure, chart) of every chart of the sample reports, drawn wide and
    narrow."""
    from cxreport import i18n

    found = []
    with pytest.MonkeyPatch.context() as mp:
        cap = Capture(mp)
        for lang, report in (("en", "client"), ("en", "quarterly"), ("zh", "client")):
            language, _study, jobs = _sample_jobs(lang, report)
            assert jobs
            with i18n.use_language(language):
                for job in jobs:
                    start = len(cap.figures)
                    job.fn(*job.args, **{**job.kwargs, "narrow": True})
                    found += [(f"{lang}-{report}", *item) for item in cap.figures[start:]]
    return found


def test_every_sample_chart_is_drawn_wide_and_narrow(sample_figures):
    ids = [chart_id for _r, chart_id, _f, _c in sample_figures]
    assert len(ids) >= 40
    # each chart twice: the wide picture and its narrow variant
    by_report: dict = {}
    for report, chart_id, _f, _c in sample_figures:
        by_report.setdefault((report, chart_id), 0)
        by_report[report, chart_id] += 1
    assert all(n % 2 == 0 for n in by_report.values()), by_report


def test_sample_chart_labels_are_readable_and_clear(sample_figures):
    problems = []
    for report, chart_id, fig, _c in sample_figures:
        problems += [f"{report} {p}" for p in label_problems(chart_id, fig)]
    assert problems == []


def test_sample_bar_charts_start_at_zero(sample_figures):
    problems = []
    for report, chart_id, fig, _c in sample_figures:
        problems += [f"{report} {p}" for p in bar_problems(chart_id, fig)]
    assert problems == []


def test_sample_trend_axes(sample_figures):
    """Trend and journey lines: minimum span per unit; an axis off zero has a break mark and a note."""
    seen = 0
    for report, chart_id, fig, chart in sample_figures:
        if not (chart_id.startswith("trend-") or chart_id.startswith("q-trend-")):
            continue
        seen += 1
        lo, hi = fig.axes[0].get_ylim()
        key = chart_id.split("trend-")[1]
        need = {"nps": 20.0, "csat": 10.0, "ces": 1.0}.get(key)
        if need is not None:
            assert hi - lo >= need - 1e-9, (report, chart_id, lo, hi)
        if lo > 0:
            assert _has_break_mark(fig), (report, chart_id, lo)
            assert re.search(r"Axis starts at|坐标轴", chart.note), (report, chart_id, chart.note)
    assert seen >= 12


# --------------------------------------------------------------------------- phone width

#: The picture's width on a 390 px phone (the report's side padding taken off), and the
#: smallest text that reads there.
PHONE_PX = 358
MIN_PHONE_TEXT_PX = 11


def _all_text(fig):
    for ax in fig.axes:
        yield from (t for t in ax.texts if t.get_visible() and t.get_text().strip())
        for axis in (ax.xaxis, ax.yaxis):
            yield from (t for t in axis.get_ticklabels() if t.get_visible() and t.get_text().strip())
            if axis.label.get_text().strip():
                yield axis.label
        if ax.title.get_text().strip():
            yield ax.title
        legend = ax.get_legend()
        if legend is not None:
            yield from (t for t in legend.get_texts() if t.get_text().strip())


def test_narrow_variants_read_at_phone_width(sample_figures):
    small = []
    narrow = [item for item in sample_figures if item[3].narrow is None]   # the narrow drawings themselves
    assert narrow
    for report, chart_id, fig, chart in narrow:
        width_in = Image.open(io.BytesIO(chart.png)).size[0] / 150
        for text in _all_text(fig):
            px = text.get_fontsize() / 72 * PHONE_PX / width_in
            if px < MIN_PHONE_TEXT_PX - 0.05:
                small.append(f"{report} {chart_id}: {text.get_text()!r} at {px:.1f} px")
    assert small == []


def test_the_html_target_gets_narrow_pngs_and_the_pdf_does_not():
    from cxreport.present import charts
    from cxreport.scoring.kpis import ItemSpec

    job = charts.defer(charts.ranked_bars, "seg-x", "NPS by region", _rows([36, 36, 28, 16]), ItemSpec.nps(),
                       _style(), total=28, target=35)
    wide = charts.draw_all({"c": job}, processes=1)["c"]
    assert wide.narrow is None
    both = charts.draw_all({"c": job}, processes=1, narrow=True)["c"]
    assert both.png and both.narrow and both.narrow[:8] == b"\x89PNG\r\n\x1a\n"
    assert both.narrow_data_uri.startswith("data:image/png;base64,")
    w_wide = Image.open(io.BytesIO(both.png)).size[0]
    w_narrow = Image.open(io.BytesIO(both.narrow)).size[0]
    assert w_narrow < w_wide


# --------------------------------------------------------------------------- one quadrant name


@pytest.fixture(scope="module")
def harbour():
    from cxreport.pipeline import run

    return run(str(SAMPLES["en"]))


def test_drivers_and_priorities_name_each_attribute_the_same_way(harbour):
    from cxreport.scoring.keydrivers import QUADRANTS

    drivers = {r.name: r.quadrant for r in harbour.drivers.overall.rows}
    priorities = {p.name: p.quadrant for p in harbour.priorities}
    assert priorities == drivers
    assert set(drivers.values()) <= set(QUADRANTS.values())


def test_priority_quadrant_follows_importance_and_performance():
    from cxreport.scoring.keydrivers import QUADRANTS, DriverAnalysis, DriverRow
    from cxreport.scoring.priorities import build_priorities

    rows = [DriverRow("Wait", 40.0, 0.2, 50.0, 3.0, ""), DriverRow("Staff", 35.0, 0.17, 80.0, 4.2, ""),
            DriverRow("Fees", 25.0, 0.13, 60.0, 3.4, "")]
    analysis = DriverAnalysis("Total", "NPS", 500, 480.0, 0.5, "relative weights", rows)
    ranked = build_priorities(analysis, {}, {n: (1, 5) for n in ("Wait", "Staff", "Fees")},
                              {"Wait": "low", "Staff": "high", "Fees": "medium"}, {})
    # means: importance 33.3, performance 63.3
    assert {p.name: p.quadrant for p in ranked} == {"Wait": QUADRANTS[True, False], "Staff": QUADRANTS[True, True],
                                                    "Fees": QUADRANTS[False, False]}
    assert {p.name: p.effort for p in ranked} == {"Wait": "low", "Staff": "high", "Fees": "medium"}


def test_priority_chart_explains_its_colours_and_shows_effort(harbour, capture):
    from cxreport import i18n
    from cxreport.present import charts
    from cxreport.scoring.keydrivers import QUADRANTS

    for lang in ("en", "zh-CN"):
        with i18n.use_language(lang):
            capture.figures.clear()
            charts.priority_matrix("priorities", harbour.priorities, _style())
            [(chart_id, fig, chart)] = capture.figures
            legend_words = {t.get_text() for ax in fig.axes for legend in [ax.get_legend(), *fig.legends]
                            if legend is not None for t in legend.get_texts()}
            quadrant_words = {i18n._(q) for q in QUADRANTS.values()}
            shown = {i18n._(p.quadrant) for p in harbour.priorities}
            assert shown <= legend_words, (shown, legend_words)
            assert not (legend_words & {i18n._(w) for w in ("Quick win", "Strategic", "Fill-in", "Reconsider")})
            efforts = {i18n._(p.effort) for p in harbour.priorities if p.effort}
            assert efforts and all(any(e in w for w in legend_words) for e in efforts), legend_words
            assert legend_words & quadrant_words
            assert label_problems(chart_id, fig) == []


def test_quadrant_chart_corner_names_come_from_the_constant(harbour, capture):
    from cxreport.present import charts
    from cxreport.scoring.keydrivers import QUADRANTS

    charts.quadrant("drivers", harbour.drivers.overall, _style())
    [(chart_id, fig, _c)] = capture.figures
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert set(QUADRANTS.values()) <= texts
    assert label_problems(chart_id, fig) == []


# --------------------------------------------------------------------------- the phone picture in the page


def _figure_html(chart, target: str) -> str:
    from cxreport.present.render import make_environment

    env = make_environment()
    template = env.from_string('{% from "partials/figure.html" import chart with context %}{{ chart(c) }}')
    return template.render(c=chart, target=target)


def test_the_html_figure_offers_the_phone_picture_and_the_pdf_does_not():
    from cxreport.present import charts
    from cxreport.scoring.kpis import ItemSpec

    job = charts.defer(charts.ranked_bars, "seg-x", "NPS by region", _rows([36, 36, 28, 16]), ItemSpec.nps(),
                       _style(), total=28, target=35)
    chart = charts.draw_all({"c": job}, processes=1, narrow=True)["c"]
    html = _figure_html(chart, "html")
    assert "<picture>" in html and f'srcset="{chart.narrow_data_uri}"' in html
    assert 'media="(max-width: 720px)"' in html
    assert f'src="{chart.png_data_uri}"' in html
    pdf = _figure_html(chart, "pdf")
    assert "<picture>" not in pdf and chart.narrow_data_uri not in pdf and f'src="{chart.png_data_uri}"' in pdf
    # no narrow drawing (the PDF build): the plain picture
    wide = charts.draw_all({"c": job}, processes=1)["c"]
    assert "<picture>" not in _figure_html(wide, "html")


def test_a_390_px_phone_shows_the_narrow_picture():
    """In a real browser: at 390 px the phone PNG is the one shown (``currentSrc``), its text
    at the size the narrow drawing promises; on a desktop, the wide PNG."""
    import os

    from cxreport.present import charts
    from cxreport.scoring.kpis import ItemSpec

    chromium = os.environ.get("CXREPORT_CHROMIUM", "/usr/bin/chromium")
    if not Path(chromium).is_file():
        pytest.fail(f"chromium not found at {chromium} (run .ci/system-packages.sh)", pytrace=False)
    from playwright.sync_api import sync_playwright

    job = charts.defer(charts.trend, "trend-ces", "CES", _points([5.0, 5.05, 5.1, 5.2], 0.05), ItemSpec.ces(),
                       _style(), target=5.0)
    chart = charts.draw_all({"c": job}, processes=1, narrow=True)["c"]
    page_html = ("<!doctype html><html><head><meta name='viewport' content='width=device-width'>"
                 "<style>body{margin:0;padding:0 16px} figure{margin:0} figure img{width:100%;height:auto;"
                 "display:block}</style></head><body>" + _figure_html(chart, "html") + "</body></html>")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            seen = {}
            for width in (390, 1280):
                page = browser.new_page(viewport={"width": width, "height": 844})
                page.set_content(page_html)
                page.wait_for_function("document.querySelector('figure img').complete")
                seen[width] = page.evaluate("""() => { const i = document.querySelector('figure img');
                    return {src: i.currentSrc, shown: i.getBoundingClientRect().width, natural: i.naturalWidth}; }""")
                page.close()
        finally:
            browser.close()
    assert seen[390]["src"] == chart.narrow_data_uri
    assert seen[1280]["src"] == chart.png_data_uri
    # the narrow PNG is drawn NARROW_WIDTH inches wide at PNG_DPI: its pixel width, shown 358 px wide,
    # scales its text by no more than the narrow variant allows for
    assert seen[390]["shown"] == pytest.approx(PHONE_PX, abs=1)
    assert seen[390]["natural"] == Image.open(io.BytesIO(chart.narrow)).size[0]


# --------------------------------------------------------------------------- precision, years, colours


def test_an_index_is_labelled_in_whole_points(capture):
    """ACSI is an index of whole points: "75", never "75.00" (DISPLAY_DECIMALS["index"])."""
    from types import SimpleNamespace as NS

    from cxreport.present import charts

    brands = [NS(brand=b, value=v, low=None, high=None, base="ok", own=b == "Own", diff=None if b == "Own" else 75 - v,
                 mark=0) for b, v in (("Own", 75.0), ("Rival A", 79.0), ("Rival B", 71.0))]
    comparison = NS(label="ACSI-style index", unit="index", brands=brands, competitor_average=75.0)
    charts.dot_plot("comp-dot", comparison, _style())
    charts.gap_chart("comp-gap", comparison, _style())
    words = [t.get_text() for _id, fig, _c in capture.figures for t in fig.axes[0].texts]
    assert {"75", "79", "71"} <= set(words), words
    assert {"+4", "−4"} <= set(words), words
    assert not any(re.search(r"\d\.\d", w) for w in words), words


def test_every_year_is_named_where_it_starts():
    """Quarters from Q4 2024: "2025" stands over the first Q1 of 2025 (when there is no room
    for both, the year that starts wins over the first label's)."""
    from cxreport.present import charts
    from cxreport.scoring.kpis import ItemSpec

    labels = ["2024 Q4", "2025 Q1", "2025 Q2", "2025 Q3", "2025 Q4", "2026 Q1", "2026 Q2", "2026 Q3"]
    with pytest.MonkeyPatch.context() as mp:
        cap = Capture(mp)
        charts.trend("trend-nps", "NPS", _points([19, 21, 21, 18, 19, 22, 25, 28], 3, labels), ItemSpec.nps(),
                     _style(), target=35)
    [(_id, fig, _c)] = cap.figures
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    years = {k: t.split("\n")[0] for k, t in enumerate(ticks) if t.split("\n")[0].strip()}
    assert years.get(1) == "2025" and years.get(5) == "2026", ticks
    assert all(t.endswith(("Q1", "Q2", "Q3", "Q4")) for t in ticks), ticks


def test_driver_and_priority_charts_colour_each_quadrant_alike(harbour, capture):
    """A driver's dot has the same colour on the key-driver chart as on the priority chart."""
    from matplotlib.colors import to_hex

    from cxreport.present import charts

    charts.quadrant("drivers", harbour.drivers.overall, _style())
    charts.priority_matrix("priorities", harbour.priorities, _style())
    (_a, drivers_fig, _c1), (_b, priorities_fig, _c2) = capture.figures
    scatter = next(c for c in drivers_fig.axes[0].collections if isinstance(c, PathCollection))
    by_quadrant: dict = {}
    for row, face in zip(harbour.drivers.overall.rows, scatter.get_facecolors()):
        by_quadrant.setdefault(row.quadrant, set()).add(to_hex(face))
    assert all(len(c) == 1 for c in by_quadrant.values()), by_quadrant
    assert len({next(iter(c)) for c in by_quadrant.values()}) == len(by_quadrant), by_quadrant
    legend_colour = {}
    for legend in [ax.get_legend() for ax in priorities_fig.axes] + list(priorities_fig.legends):
        if legend is None:
            continue
        for handle, text in zip(legend.legend_handles, legend.get_texts()):
            colour = handle.get_markerfacecolor() if hasattr(handle, "get_markerfacecolor") else handle.get_facecolor()
            legend_colour[text.get_text()] = to_hex(colour)
    for quadrant, colours in by_quadrant.items():
        assert legend_colour.get(quadrant) == next(iter(colours)), (quadrant, colours, legend_colour)


@pytest.mark.parametrize("primary,accent", [("#0B3C5D", "#1C8C8C"), ("#A4161A", "#D4A017"), ("#B26A00", "#8A939D")])
def test_the_four_quadrant_colours_stay_apart_whatever_the_brand(primary, accent):
    """Huayue's gold accent beside an amber "Possible overkill" read as one class."""
    from matplotlib.colors import to_rgb

    from cxreport.present import charts

    colours = list(charts._quadrant_colours(charts.ChartStyle(primary, accent, "DejaVu Sans")).values())
    for k, a in enumerate(colours):
        for b in colours[k + 1:]:
            if {a, b} <= {primary, accent}:
                continue             # the brand's own two colours are the brand's choice
            assert sum((x - y) ** 2 for x, y in zip(to_rgb(a), to_rgb(b))) ** 0.5 >= 0.3, (a, b)
