"""A chart's PNG (charts._png): its whole canvas, one Agg drawing, instead of
savefig(bbox_inches="tight") and its three passes (issue 17). The figure is made larger than
its drawing area by charts.GROW and its layout keeps charts.PAD_INCHES clear at the edges, so
the PNG is what the crop to the content plus savefig's padding used to give, and its size is
known before it is drawn (charts.describing)."""

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


STYLE = charts.ChartStyle("#0B3C5D", "#E07A2E", "DejaVu Sans")


def _chart_figure():
    """A chart's figure as charts._new_figure makes it, a bar chart with its axis label."""
    with charts._drawing(STYLE):
        fig = charts._new_figure(STYLE, 4, 2.5)
        ax = fig.add_subplot()
        ax.bar([0, 1, 2], [3, 1, 2], color="#0B3C5D")
        ax.set_xlabel("A label")
        charts._settle(fig)
    return fig


def _cropped_figure():
    """The same chart as it was made before: a figure of the drawing area's size whose layout
    kept 0.02 in clear, cropped to its content with PAD_INCHES around it."""
    with charts._drawing(STYLE):
        fig = charts.Figure(figsize=(4, 2.5), layout="constrained")
        fig.get_layout_engine().set(w_pad=0.02, h_pad=0.02)
        charts.FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        ax.bar([0, 1, 2], [3, 1, 2], color="#0B3C5D")
        ax.set_xlabel("A label")
        charts._settle(fig)
        return _savefig(fig)


def test_a_chart_is_its_whole_canvas_the_picture_the_crop_gave_within_a_pixel():
    fig = _chart_figure()
    size = charts._canvas_size(fig)
    assert size == (round((4 + 2 * charts.GROW) * charts.PNG_DPI), round((2.5 + 2 * charts.GROW) * charts.PNG_DPI))
    got = Image.open(io.BytesIO(charts._png(fig))).convert("RGB")
    assert got.size == size                              # known before drawing
    want = _cropped_figure()
    # The crop took the content's box; the canvas keeps the layout's padding on every side,
    # where content did not reach it (here 0.02 in right of the last tick) a few pixels more.
    assert 0 <= got.width - want.width <= 6 and 0 <= got.height - want.height <= 6
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
