"""A chart's PNG (charts._png): one Agg drawing cropped to the tight box with savefig's padding,
instead of savefig(bbox_inches="tight") and its three passes (issue 17)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from cxreport.present import charts

charts.load_matplotlib()


def _figure(text_x: float):
    fig = charts.Figure(figsize=(4, 2.5), layout="constrained")
    charts.FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.bar([0, 1, 2], [3, 1, 2], color="#0B3C5D")
    ax.set_xlabel("A label")
    charts._settle(fig)
    # placed after the layout is frozen, as charts._Room places labels
    ax.text(text_x, 0.5, "a note at the side", transform=ax.transAxes)
    return fig


def _savefig(fig) -> Image.Image:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=charts.PNG_DPI, bbox_inches="tight", pad_inches=charts.PAD_INCHES)
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")


def test_a_chart_inside_its_figure_is_savefigs_picture_within_a_pixel():
    got = Image.open(io.BytesIO(charts._png(_figure(0.3)))).convert("RGB")
    want = _savefig(_figure(0.3))
    assert abs(got.width - want.width) <= 2 and abs(got.height - want.height) <= 2
    a = np.asarray(got.convert("L"), int)
    b = np.asarray(want.convert("L"), int)
    h, w = min(a.shape[0], b.shape[0]), min(a.shape[1], b.shape[1])
    # the same picture, up to a shift of at most a pixel
    best = min((np.abs(a[dy:dy + h - 2, dx:dx + w - 2] - b[:h - 2, :w - 2]) > 64).mean()
               for dy in range(3) for dx in range(3))
    assert best < 0.01
    # the padding is the figure's white background
    edge = np.asarray(got)[: round(charts.PAD_INCHES * charts.PNG_DPI) - 1]
    assert (edge == 255).all()


def test_a_chart_reaching_past_its_figure_is_drawn_on_its_measured_box():
    """Text past the figure's right edge: a crop would cut it, so the figure is drawn again on
    its measured box, exactly as savefig does it."""
    fig = _figure(1.05)
    box = fig.get_tightbbox(fig.canvas.get_renderer())
    assert box.x1 > fig.get_figwidth()                  # the note does reach past the edge
    got = Image.open(io.BytesIO(charts._png(fig))).convert("RGB")
    want = _savefig(_figure(1.05))
    assert got.size == want.size
    assert np.array_equal(np.asarray(got), np.asarray(want))


def test_an_opaque_chart_is_an_rgb_png():
    png = charts._png(_figure(0.3))
    assert Image.open(io.BytesIO(png)).mode == "RGB"
