"""Charts for the reports: matplotlib ``Figure`` objects (no pyplot state), Agg backend.

Each chart is drawn once and saved as a 150 dpi PNG used by both the PDF (where PNGs lay
out much faster than SVG) and the HTML report (where it looks identical to the PDF, with
its fonts baked in; SVG would double the chart time of a build). Brand colours and font come in as
arguments; the house style is the packaged ``cxreport.mplstyle``. Charts receive finished
results; suppressed bases are left out and named in a note, small bases are hatched.

Rules every chart keeps (issue 13; tests/test_chart_craft.py):

- **Readable text.** A label's colour is chosen by its contrast with what it sits on: the
  WCAG 2 contrast ratio (from relative luminance) is at least 4.5:1 (:func:`ink_on`,
  :func:`readable`). A value label goes outside its bar's end (dark ink on white) when it
  fits there, inside the bar in ink chosen for the bar's colour when it does not.
- **Labels clear of the data.** Every label is placed by :class:`_Room`, which knows the
  chart's lines, markers, whiskers, bars, target and reference lines and the labels already
  placed, in display coordinates: a label takes the first position from its list that meets
  none of them (past a target line it would cross; above or below a line chart's marker,
  away from the neighbouring segments and the target line).
- **Honest axes.** A bar chart's bars start at zero (:func:`_bar_limits`). A line chart's
  value axis spans at least :data:`MIN_SPAN` of its unit, so that a 0.1 change is not blown
  up; when it does not start at zero it draws a break mark on the axis and its note says
  where it starts (:func:`_value_axis`).
- **A phone-width variant.** Every chart function takes ``narrow=False``; with ``narrow=True``
  (the HTML target: :func:`draw_all` ``narrow=True``) the chart is drawn a second time,
  :data:`NARROW_WIDTH` inches wide with text :data:`NARROW_TEXT` times larger, and its PNG
  is ``Chart.narrow``: shown at 358 CSS px (a 390 px phone), its smallest text is 11 px.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import io
import math
from dataclasses import dataclass
from pathlib import Path

from cxreport import i18n
from cxreport.i18n import _
from cxreport.present.formatting import figure as fmt_figure
from cxreport.present.formatting import num, pct, signed
from cxreport.resources import theme_dir
from cxreport.util import collected_after
from cxreport.scoring.quadrants import QUADRANTS

# matplotlib is imported when the first chart is drawn or a font is looked up
# (:func:`load_matplotlib`), not with this module: a build whose charts all come from the cache
# never imports it (about 0.3 s of a rebuild, docs/cache.md). Until then these names are None.
matplotlib = font_manager = style = FigureCanvasAgg = Figure = Line2D = Patch = Rectangle = Bbox = None


def load_matplotlib() -> None:
    """Import matplotlib (Agg backend) and the names this module draws with: once per process,
    before a chart is drawn, and before a pool of chart processes is forked (they inherit it)."""
    global matplotlib, font_manager, style, FigureCanvasAgg, Figure, Line2D, Patch, Rectangle, Bbox
    if Figure is not None:
        return
    import matplotlib as mpl

    mpl.use("Agg")
    from matplotlib import font_manager as fm
    from matplotlib import style as st
    from matplotlib.backends.backend_agg import FigureCanvasAgg as canvas
    from matplotlib.figure import Figure as figure
    from matplotlib.lines import Line2D as line
    from matplotlib.patches import Patch as patch
    from matplotlib.patches import Rectangle as rectangle
    from matplotlib.transforms import Bbox as bbox

    matplotlib, font_manager, style, FigureCanvasAgg = mpl, fm, st, canvas
    Line2D, Patch, Rectangle, Bbox = line, patch, rectangle, bbox
    Figure = figure
    _remember_font_files(fm.fontManager)


def _remember_font_files(manager) -> None:
    """Keep the answers of ``manager._find_fonts_by_props`` (the font files of a text's
    properties, one per family of its fallback list) for the process's life.

    matplotlib (3.11) asks it each time a text is measured (``Text._get_layout``, for the font's
    vertical metrics) or drawn, and each answer costs a ``findfont`` per family of the list (its
    own cache is one level down, behind a copy of the properties and eleven settings read for
    every family): 8,785 questions and 15 % of the CPU of the English sample's 33 charts, for
    55 different answers. The answer is kept under what ``findfont``'s own cache depends on: the
    properties' values, the arguments, the eleven ``font.*`` settings, the
    ``MPL_IGNORE_SYSTEM_FONTS`` variable, the manager's font lists (which, and how many) and
    default families; and everything kept is dropped whenever matplotlib empties its own cache
    (``addfont``, a rebuilt font list, ``_findfont_cached.cache_clear()``). Missing families log
    matplotlib's warning on the first question only. A matplotlib without these is left as it is.
    tests/test_chart_fonts.py checks that charts come out byte for byte the same."""
    import os

    find = getattr(manager, "_find_fonts_by_props", None)
    cleared = getattr(manager, "_findfont_cached", None)
    if find is None or getattr(find, "_cxreport_memo", False) or not hasattr(cleared, "cache_info"):
        return
    from matplotlib import rcParams
    from matplotlib.font_manager import FontProperties

    keys = [f"font.{k}" for k in ("family", "style", "variant", "weight", "stretch", "size", "serif",
                                     "sans-serif", "cursive", "fantasy", "monospace")]
    answers: dict = {}

    def found(prop, fontext="ttf", directory=None, fallback_to_default=True, rebuild_if_missing=True):
        if isinstance(prop, FontProperties):
            what = (tuple(prop.get_family()), prop.get_style(), prop.get_variant(), prop.get_weight(),
                    prop.get_stretch(), prop.get_size_in_points(), prop.get_file(), prop.get_math_fontfamily())
        elif isinstance(prop, str):
            what = prop
        else:                                               # a path: asked every time
            return find(prop, fontext, directory, fallback_to_default, rebuild_if_missing)
        if not cleared.cache_info().currsize:
            answers.clear()             # matplotlib started afresh (a font added, its list rebuilt)
        settings = tuple(tuple(v) if isinstance(v, list) else v for v in (rcParams[k] for k in keys))
        key = (what, fontext, directory, fallback_to_default, rebuild_if_missing, settings,
               os.getenv("MPL_IGNORE_SYSTEM_FONTS"), id(manager.ttflist), len(manager.ttflist),
               id(manager.afmlist), len(manager.afmlist), tuple(sorted(manager.defaultFamily.items())))
        paths = answers.get(key)
        if paths is None:
            paths = answers[key] = find(prop, fontext, directory, fallback_to_default, rebuild_if_missing)
        return list(paths)

    found._cxreport_memo = True
    manager._find_fonts_by_props = found


def to_rgba(colour) -> tuple:
    from matplotlib.colors import to_rgba as convert

    return convert(colour)


def to_rgb(colour) -> tuple:
    from matplotlib.colors import to_rgb as convert

    return convert(colour)


def to_hex(colour) -> str:
    from matplotlib.colors import to_hex as convert

    return convert(colour)

PROMOTER = "#2E7D32"
PASSIVE = "#A7B0BA"
DETRACTOR = "#C62828"
GREY = "#6B7480"
#: Dark ink of chart text (the house style's text colour family).
INK = "#1D232A"
PNG_DPI = 150

#: The importance–performance quadrants (keydrivers.QUADRANTS, METHODS.md §3) by their place.
CONCENTRATE, KEEP_UP, LOW_PRIORITY, OVERKILL = (QUADRANTS[True, False], QUADRANTS[True, True],
                                                 QUADRANTS[False, False], QUADRANTS[False, True])


@dataclass
class Chart:
    id: str
    title: str
    alt: str
    png: bytes
    note: str = ""
    #: The same chart drawn for a phone (NARROW_WIDTH inches, larger text); HTML target only.
    narrow: bytes | None = None
    #: A described chart (:func:`describe`): its PNG's size in pixels, and where the PNG will be
    #: (a ``file:`` URL) once drawn; ``png`` is then empty.
    size: tuple[int, int] | None = None
    src: str | None = None

    @property
    def png_data_uri(self) -> str:
        if self.src is not None:
            return self.src
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")

    @property
    def narrow_data_uri(self) -> str | None:
        if not self.narrow:
            return None
        return "data:image/png;base64," + base64.b64encode(self.narrow).decode("ascii")


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
    load_matplotlib()
    try:
        font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
        return True
    except ValueError:
        return False


def _style_file() -> str:
    return str(theme_dir() / "cxreport.mplstyle")


# --------------------------------------------------------------------------- contrast (WCAG 2)

#: The smallest contrast ratio between text and what it sits on (WCAG 2, level AA, normal text).
MIN_CONTRAST = 4.5


def relative_luminance(colour) -> float:
    """WCAG 2 relative luminance of an sRGB colour: 0 for black, 1 for white."""
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = to_rgb(colour)
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)


def contrast_ratio(a, b) -> float:
    """WCAG 2 contrast ratio (L1 + 0.05) / (L2 + 0.05): 21 for black on white, 1 for a colour on itself."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def flatten(colour, alpha: float | None = None, over="#FFFFFF") -> str:
    """The colour a translucent fill shows over ``over`` (white paper by default)."""
    r, g, b, a = to_rgba(colour)
    a = a if alpha is None else alpha
    base = to_rgb(over)
    return to_hex(tuple(c * a + o * (1 - a) for c, o in zip((r, g, b), base)))


def ink_on(surface) -> str:
    """Text colour for a label on ``surface``: the house's dark ink, white or black, the first
    that reaches MIN_CONTRAST (one of white and black always does)."""
    for ink in (INK, "#FFFFFF", "#000000"):
        if contrast_ratio(ink, surface) >= MIN_CONTRAST:
            return ink
    return max(("#FFFFFF", "#000000"), key=lambda c: contrast_ratio(c, surface))


def readable(colour, surface="#FFFFFF") -> str:
    """``colour`` for text on ``surface``: itself when it reaches MIN_CONTRAST, otherwise the
    same hue mixed towards black (or white, on a dark surface) until it does."""
    if contrast_ratio(colour, surface) >= MIN_CONTRAST:
        return to_hex(colour)
    towards = (0.0, 0.0, 0.0) if relative_luminance(surface) > 0.18 else (1.0, 1.0, 1.0)
    rgb = to_rgb(colour)
    for k in range(1, 21):
        t = k / 20
        mixed = to_hex(tuple(c * (1 - t) + w * t for c, w in zip(rgb, towards)))
        if contrast_ratio(mixed, surface) >= MIN_CONTRAST:
            return mixed
    return ink_on(surface)


# --------------------------------------------------------------------------- phone-width variant

#: Width of a chart's narrow variant, in inches, and how much larger its text is. Shown at
#: 358 CSS px (a 390 px phone less the report's padding), text of s points reads at
#: s × NARROW_TEXT / 72 × 358 / (NARROW_WIDTH + 0.16) px: the smallest chart text (7.5 pt) at 12.4 px.
NARROW_WIDTH = 4.2
NARROW_TEXT = 1.45
_MODE = {"narrow": False, "describe": False}


def is_narrow() -> bool:
    return _MODE["narrow"]


def _fs(size: float) -> float:
    """A font size (or a distance in points next to text) for the chart being drawn."""
    return size * (NARROW_TEXT if _MODE["narrow"] else 1.0)


@contextlib.contextmanager
def _narrow_drawing():
    previous = _MODE["narrow"]
    _MODE["narrow"] = True
    try:
        yield
    finally:
        _MODE["narrow"] = previous


def _narrowable(fn):
    """``fn(..., narrow=False)``: with ``narrow=True`` the chart is drawn again for a phone and
    that PNG becomes the returned chart's ``narrow``."""

    @functools.wraps(fn)
    def draw(*args, narrow: bool = False, **kwargs) -> Chart:
        chart = fn(*args, **kwargs)
        if narrow:
            with _narrow_drawing():
                chart.narrow = fn(*args, **kwargs).png
        return chart

    draw.narrowable = True
    return draw


@contextlib.contextmanager
def describing():
    """Charts made inside are described, not drawn: each chart function runs with what only
    places things (the layout, label placement, tick thinning) skipped and returns its
    :class:`Chart` with ``png`` empty and ``size`` its PNG's size, which depends only on the
    figure's size (:func:`_new_figure`). Its title, alt text and note are worked out from the
    data as when drawn; a build checks them against the drawn chart (:func:`draft`)."""
    previous = _MODE["describe"]
    _MODE["describe"] = True
    try:
        yield
    finally:
        _MODE["describe"] = previous


def _placing(fn):
    """A step that only places things on a drawn chart: skipped when describing."""

    @functools.wraps(fn)
    def run(*args, **kwargs):
        if _MODE["describe"]:
            return None
        return fn(*args, **kwargs)

    return run


# --------------------------------------------------------------------------- figures

_FONT_KEYS = ("font.size", "axes.titlesize", "axes.labelsize", "xtick.labelsize", "ytick.labelsize",
              "legend.fontsize", "legend.title_fontsize")


def _new_figure(cs: ChartStyle, width: float, height: float, *, narrow_height: float | None = None) -> Figure:
    """A figure whose drawing area is ``width`` × ``height`` inches (the narrow variant: NARROW_WIDTH
    wide and ``narrow_height``, by default the height scaled with the text), laid out by
    matplotlib's constrained layout so that its text fits inside it, with an Agg canvas to
    measure text. The figure itself is :data:`GROW` larger on every side and its layout keeps
    :data:`PAD_INCHES` clear at its edges: the PNG is the whole canvas, so its size is known
    before anything is drawn (:func:`describing`)."""
    if _MODE["narrow"]:
        width, height = NARROW_WIDTH, narrow_height or height * (1 + (NARROW_TEXT - 1) * 0.6)
    fig = Figure(figsize=(width + 2 * GROW, height + 2 * GROW), layout="constrained")
    fig.get_layout_engine().set(w_pad=PAD_INCHES, h_pad=PAD_INCHES)
    FigureCanvasAgg(fig)
    return fig


def _drawing_area(fig: Figure):
    """The figure's box less :data:`GROW` on every side (display pixels): where labels placed
    with ``bounds="figure"`` stay, the chart's drawing area of :func:`_new_figure`."""
    grow = GROW * fig.dpi
    box = fig.bbox
    return Bbox.from_extents(box.x0 + grow, box.y0 + grow, box.x1 - grow, box.y1 - grow)


def _wrap_middle(text: str) -> str:
    """``text`` on two lines, broken at the space nearest its middle."""
    spaces = [k for k, c in enumerate(text) if c == " "]
    if not spaces or "\n" in text:
        return text
    k = min(spaces, key=lambda k: abs(k - len(text) / 2))
    return text[:k] + "\n" + text[k + 1:]


@_placing
def _settle(fig: Figure) -> None:
    """Run the layout once and freeze it: labels placed afterwards are measured where they
    will be drawn. Axis labels wider than the figure (the narrow variant) go on two lines."""
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        for label in (ax.xaxis.label, ax.yaxis.label):
            area = _drawing_area(fig)
            room = area.width if label is ax.xaxis.label else area.height
            if label.get_text() and label.get_window_extent(renderer).width > room * 0.92:
                label.set_text(_wrap_middle(label.get_text()))
    fig.get_layout_engine().execute(fig)
    fig.set_layout_engine("none")


#: White space around a chart's drawn content, in inches (the layout's padding at the figure's
#: edges, as ``savefig(pad_inches=...)`` would add).
PAD_INCHES = 0.08
#: How much larger than its drawing area a figure is on every side: the padding less the
#: 0.02 in that constrained layout used to keep (a chart's PNG is as large as when it was
#: cropped to its content and padded, and its content is drawn at the same place).
GROW = PAD_INCHES - 0.02


def _render(fig: Figure, chart_id: str, title: str, alt: str, note: str = "") -> Chart:
    if _MODE["describe"]:
        return Chart(chart_id, title, alt, b"", note, size=_canvas_size(fig))
    return Chart(chart_id, title, alt, _png(fig), note)


def _canvas_size(fig: Figure) -> tuple[int, int]:
    """The chart's PNG size in pixels (width, height): its whole canvas at PNG_DPI."""
    fig.set_dpi(PNG_DPI)
    return tuple(fig.canvas.get_width_height())


def _png(fig: Figure) -> bytes:
    """The figure's whole canvas at PNG_DPI, drawn once on its Agg canvas, as an (RGB) PNG.
    Its size is the figure's, known before it is drawn (:func:`describing`). Content that
    reaches past the figure's edge (which the canvas would cut) is drawn on a larger canvas,
    its measured box plus PAD_INCHES, as ``savefig(bbox_inches="tight")`` would: a chart whose
    size then differs from its description is laid out again in the PDF (docs/performance.md)."""
    import numpy as np
    from PIL import Image

    fig.set_dpi(PNG_DPI)
    canvas = fig.canvas
    canvas.draw()
    renderer = canvas.get_renderer()
    box = fig.get_tightbbox(renderer)                    # inches
    width, height = fig.get_size_inches()
    if not (box.x0 >= 0 and box.y0 >= 0 and box.x1 <= width and box.y1 <= height):
        return _opaque_png(Image.fromarray(_redrawn_in(fig, box.padded(PAD_INCHES), renderer), "RGBA"))
    pixels = np.asarray(canvas.buffer_rgba())
    return _opaque_png(Image.fromarray(pixels, "RGBA"))


def _redrawn_in(fig: Figure, box, renderer):
    """The figure's pixels (RGBA array) drawn again on a canvas that is ``box`` (inches), what
    ``savefig(bbox_inches=box)`` does, without its measuring pass (``box`` is measured)."""
    import numpy as np

    try:
        from matplotlib._tight_bbox import adjust_bbox
    except ImportError:  # pragma: no cover - a matplotlib without it: savefig measures again
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=PNG_DPI, metadata={"Software": None}, bbox_inches=box,
                    pil_kwargs={"compress_level": 0})
        from PIL import Image

        buffer.seek(0)
        return np.asarray(Image.open(buffer).convert("RGBA"))
    restore = adjust_bbox(fig, box, renderer, None)
    try:
        fig.canvas.draw()
        return np.asarray(fig.canvas.buffer_rgba()).copy()
    finally:
        restore()


def _opaque_png(image) -> bytes:
    """The chart (a PIL image) as an RGB PNG when every pixel is opaque (the charts' white
    background): a quarter less to store, and the PDF needs no transparency mask for it
    (WeasyPrint would otherwise split the alpha channel off every chart). A chart with any
    transparency keeps it.

    zlib level 1: 0.6 s instead of 1.1 s for the English sample's 55 images (2.97 MB against 2.73 MB);
    WeasyPrint decodes every chart and compresses it again for the PDF, so the level only weighs on
    the HTML report's size and on the build's CPU (docs/performance.md, issue 17)."""
    image.load()
    if image.mode == "RGBA" and image.getchannel("A").getextrema() == (255, 255):
        image = image.convert("RGB")
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()


_CJK_CHECKED = False


def ensure_cjk_font() -> None:
    """Make the CJK family known to matplotlib even when its font list was cached before
    fonts-noto-cjk was installed (matplotlib does not rescan by itself): once per process."""
    global _CJK_CHECKED
    if _CJK_CHECKED:
        return
    _CJK_CHECKED = True
    load_matplotlib()
    if font_available(CJK_FONT):
        return
    for path in font_manager.findSystemFonts():
        if Path(path).name.startswith("NotoSansCJK"):
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError):  # pragma: no cover - an unreadable font file
                continue


@contextlib.contextmanager
def _drawing(cs: ChartStyle):
    load_matplotlib()
    ensure_cjk_font()
    with style.context([_style_file(), cs.rc()]):
        if _MODE["narrow"]:
            scaled = {key: _fs(float(matplotlib.rcParams[key])) for key in _FONT_KEYS
                      if isinstance(matplotlib.rcParams[key], (int, float))}
            with matplotlib.rc_context(scaled):
                yield
        else:
            yield


# --------------------------------------------------------------------------- placing labels


def _meets(box: Bbox, p0, p1) -> bool:
    """Whether the segment p0–p1 meets ``box`` (Liang–Barsky clipping)."""
    (x0, y0), (x1, y1) = p0, p1
    dx, dy = x1 - x0, y1 - y0
    t0, t1 = 0.0, 1.0
    for p, q in ((-dx, x0 - box.x0), (dx, box.x1 - x0), (-dy, y0 - box.y0), (dy, box.y1 - y0)):
        if p == 0:
            if q < 0:
                return False
            continue
        t = q / p
        if p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return False
    return True


def _overlaps(a: Bbox, b: Bbox) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def _box_distance(box: Bbox, p) -> float:
    """How far the point ``p`` (display) is from ``box``: 0 inside it."""
    return math.hypot(max(box.x0 - p[0], 0.0, p[0] - box.x1), max(box.y0 - p[1], 0.0, p[1] - box.y1))


def _finite(*values) -> bool:
    return all(v is not None and math.isfinite(v) for v in values)


#: What :meth:`_Room.place` returns while describing (a label placed nowhere, but placed).
_NOT_PLACED = object()


class _Room:
    """Where a chart's labels may go: the boxes (markers, bars, legends, labels) and segments
    (lines, whiskers, target and reference lines) they must keep clear of, in display pixels."""

    def __init__(self, fig: Figure, pad: float = 1.5):
        self.fig = fig
        self.renderer = fig.canvas.get_renderer()
        self.pad = pad * fig.dpi / 72
        self.boxes: list[tuple[object, Bbox]] = []
        self.segments: list[tuple[object, tuple, tuple]] = []

    # ---- what to keep clear of

    def line(self, line: Line2D, key=None) -> None:
        """A line's segments and markers."""
        xy = line.get_transform().transform(line.get_xydata())
        pts = [tuple(p) for p in xy if math.isfinite(p[0]) and math.isfinite(p[1])]
        if line.get_linestyle() not in ("None", "", " ") and line.get_linewidth() > 0:
            half = line.get_linewidth() * self.fig.dpi / 144
            for p0, p1 in zip(pts, pts[1:]):
                self.segments.append((key, p0, p1, half))
        if line.get_marker() not in (None, "None", "", " "):
            half = (line.get_markersize() + line.get_markeredgewidth()) * self.fig.dpi / 144
            for x, y in pts:
                self.boxes.append((key, Bbox.from_extents(x - half, y - half, x + half, y + half)))

    def lines(self, ax, key=None) -> None:
        for line in ax.get_lines():
            self.line(line, key)

    def collection(self, coll, key=None) -> None:
        """Whiskers (a LineCollection) or scatter markers (a PathCollection)."""
        from matplotlib.collections import LineCollection, PathCollection

        if isinstance(coll, LineCollection):
            trans = coll.get_transform()
            widths = coll.get_linewidths()
            half = (widths[0] if len(widths) else 1.0) * self.fig.dpi / 144
            for seg in coll.get_segments():
                pts = trans.transform(seg)
                for p0, p1 in zip(pts, pts[1:]):
                    self.segments.append((key, tuple(p0), tuple(p1), half))
        elif isinstance(coll, PathCollection):
            offsets = coll.get_offset_transform().transform(coll.get_offsets())
            sizes = coll.get_sizes()
            for k, (x, y) in enumerate(offsets):
                s = sizes[k % len(sizes)] if len(sizes) else 36.0
                half = math.sqrt(s) * self.fig.dpi / 144 + 0.5
                self.boxes.append((key, Bbox.from_extents(x - half, y - half, x + half, y + half)))

    def artist(self, artist, key=None) -> Bbox:
        box = artist.get_window_extent(self.renderer)
        self.boxes.append((key, box))
        return box

    # ---- placing

    def free(self, box: Bbox, bounds: Bbox | None, skip=(), within: Bbox | None = None) -> int:
        """How many things ``box`` (padded) meets, or leaves (bounds, within): 0 when free."""
        padded = box.padded(self.pad)
        hits = 0
        if bounds is not None and not (bounds.x0 - 0.5 <= box.x0 and box.x1 <= bounds.x1 + 0.5
                                       and bounds.y0 - 0.5 <= box.y0 and box.y1 <= bounds.y1 + 0.5):
            hits += 1
        if within is not None and not (within.x0 <= box.x0 and box.x1 <= within.x1
                                       and within.y0 <= box.y0 and box.y1 <= within.y1):
            hits += 1
        for key, other in self.boxes:
            if key is not None and key in skip:
                continue
            # two labels keep a wider gap, so "+18" and "+19" never read as "+18+19"
            if _overlaps(padded.padded(self.pad * 0.6) if key == "label" else padded, other):
                hits += 1
        for key, p0, p1, half in self.segments:
            if key is not None and key in skip:
                continue
            if _meets(padded.padded(half), p0, p1):
                hits += 1
        return hits

    def place(self, ax, text: str, candidates: list[dict], *, bounds: Bbox | str | None = "axes",
              keep: bool = True, optional: bool = False, claim=None, **kwargs):
        """Annotate ``text`` at the first candidate position that is free; when none is, at the
        one that meets the fewest things, or nowhere when ``optional`` (returns None). A
        candidate: ``xy`` (data), ``offset`` (points, scaled for the narrow variant), ``ha``,
        ``va``, and optionally ``color``, ``within`` (a box the label must stay inside),
        ``skip`` (keys of obstacles it may touch), ``coords``. ``claim(box)``: further things
        wrong with a place (e.g. a label nearer another point than its own)."""
        if _MODE["describe"]:
            return _NOT_PLACED
        if isinstance(bounds, str):
            bounds = ax.get_window_extent(self.renderer) if bounds == "axes" else _drawing_area(self.fig)
        ann = ax.annotate(text, candidates[0]["xy"], xytext=(0, 0), textcoords="offset points", **kwargs)
        best = None
        for k, cand in enumerate(candidates):
            self._set(ann, cand)
            box = ann.get_window_extent(self.renderer)
            hits = self.free(box, bounds, cand.get("skip", ()), cand.get("within"))
            if claim is not None:
                hits += claim(box)
            if hits == 0:
                best = (0, k)
                break
            if best is None or hits < best[0]:
                best = (hits, k)
        if best[0] and optional:
            ann.remove()
            return None
        self._set(ann, candidates[best[1]])
        if keep:
            self.boxes.append(("label", ann.get_window_extent(self.renderer)))
        return ann

    @staticmethod
    def _set(ann, cand: dict) -> None:
        ann.xy = cand["xy"]
        dx, dy = cand.get("offset", (0, 0))
        ann.xyann = (_fs(dx), _fs(dy))
        if "coords" in cand:
            ann.xycoords = cand["coords"]
        ann.set_ha(cand.get("ha", "center"))
        ann.set_va(cand.get("va", "center"))
        if "color" in cand:
            ann.set_color(cand["color"])


def _around(xy, gap: float = 5.0, prefer: str = "above", coords=None) -> list[dict]:
    """Positions around a line chart's marker: above or below it (``prefer`` first), then
    above or below and to one side, then beside it."""
    other = "below" if prefer == "above" else "above"
    out = []
    for side in (prefer, other):
        dy, va = (gap, "bottom") if side == "above" else (-gap, "top")
        out.append({"xy": xy, "offset": (0, dy), "ha": "center", "va": va})
    for side in (prefer, other):
        dy, va = (gap * 0.8, "bottom") if side == "above" else (-gap * 0.8, "top")
        out += [{"xy": xy, "offset": (gap * 0.6, dy), "ha": "left", "va": va},
                {"xy": xy, "offset": (-gap * 0.6, dy), "ha": "right", "va": va}]
    for side in (prefer, other):
        dy, va = (gap * 2.4, "bottom") if side == "above" else (-gap * 2.4, "top")
        out.append({"xy": xy, "offset": (0, dy), "ha": "center", "va": va})
    out += [{"xy": xy, "offset": (gap + 2, 0), "ha": "left", "va": "center"},
            {"xy": xy, "offset": (-gap - 2, 0), "ha": "right", "va": "center"}]
    if coords is not None:
        for cand in out:
            cand["coords"] = coords
    return out


def _side(values: list[float | None], k: int, avoid: float | None = None) -> str:
    """Above or below a line chart's point ``k``: away from its neighbouring segments (above a
    peak, below a trough), otherwise away from the line to ``avoid`` (a target)."""
    v = values[k]
    before = next((values[j] for j in range(k - 1, -1, -1) if values[j] is not None), None)
    after = next((values[j] for j in range(k + 1, len(values)) if values[j] is not None), None)
    neighbours = [n for n in (before, after) if n is not None]
    if neighbours and all(n <= v for n in neighbours):
        return "above"
    if neighbours and all(n > v for n in neighbours):
        return "below"
    if avoid is not None:
        return "above" if v >= avoid else "below"
    return "above"


# --------------------------------------------------------------------------- value axes

#: The smallest span a line chart's value axis shows, per unit: 20 NPS (or index) points,
#: 10 percentage points, 1.0 on a mean scale. A change of 0.1 on a mean or of 1 point then
#: reads as the small change it is.
MIN_SPAN = {"points": 20.0, "percent": 10.0, "mean": 1.0}
#: Steps the axis ends are rounded to, per unit.
AXIS_STEP = {"points": 5.0, "percent": 5.0, "mean": 0.5}


def _value_axis(values: list[float], unit: str, scale: tuple[float, float] | None = None,
                headroom: float = 0.18) -> tuple[float, float]:
    """A line chart's value axis: the values with room for labels, at least MIN_SPAN wide; its
    foot on a multiple of AXIS_STEP, or zero when zero is within half a span below the values;
    inside ``scale`` (the measure's range) where it can be."""
    span_min = MIN_SPAN.get(unit, 1.0)
    step = AXIS_STEP.get(unit, 0.5)
    lo, hi = min(values), max(values)
    span = max(hi - lo, span_min * 0.6)
    lo, hi = lo - span * headroom, hi + span * headroom
    if hi - lo < span_min:
        mid = (hi + lo) / 2
        lo, hi = mid - span_min / 2, mid + span_min / 2
    if scale is not None:
        s_lo, s_hi = scale
        if lo < s_lo <= min(values):
            lo, hi = s_lo, max(hi, s_lo + span_min)
    lo = math.floor(lo / step + 1e-9) * step
    if 0 < lo <= (hi - lo) / 2:
        lo = 0.0
    if hi < 0 and -hi <= (hi - lo) / 2:
        hi = 0.0
    return lo, max(hi, lo + span_min)


def _value_ticks(ax, lo: float, hi: float, unit: str, axis: str = "y") -> None:
    """Ticks on multiples of the unit's step (at most six), labelled as the report prints."""
    from matplotlib.ticker import FixedLocator, FuncFormatter

    step = AXIS_STEP.get(unit, 0.5)
    for m in (1, 2, 4, 5, 10, 20, 40, 50, 100):
        if (hi - lo) / (step * m) <= 5:
            step *= m
            break
    first = math.ceil(lo / step - 1e-9) * step
    ticks = [first + k * step for k in range(int((hi - first) / step + 1e-9) + 1)]
    decimals = 1 if unit == "mean" and step < 1 else 0
    which = ax.yaxis if axis == "y" else ax.xaxis
    which.set_major_locator(FixedLocator(ticks))
    which.set_major_formatter(FuncFormatter(lambda v, _pos: num(v, decimals)))
    (ax.set_ylim if axis == "y" else ax.set_xlim)(lo, hi)


@_placing
def _period_ticks(ax, labels: list[str], fontsize: float, width_in: float) -> None:
    """Period labels on the x axis, on two lines ('2024' over 'Q4'); when they would run into
    each other, the first line (the year) only where it changes."""
    lines = [two_lines(plain(label)).split("\n", 1) for label in labels]
    full = ["\n".join(parts) for parts in lines]
    ax.set_xticks(range(len(labels)), full, fontsize=fontsize)
    renderer = ax.figure.canvas.get_renderer()
    widest = max((t.get_window_extent(renderer).width for t in ax.get_xticklabels()), default=0)
    slot = (width_in - 0.55) * ax.figure.dpi / max(len(labels), 1)
    if widest > slot * 0.92 and len(lines) > 1 and all(len(parts) == 2 for parts in lines):
        # the line that repeats from one label to the next (the year) is shown where it changes
        same = [sum(lines[k][i] == lines[k - 1][i] for k in range(1, len(lines))) for i in (0, 1)]
        i = 0 if same[0] >= same[1] else 1
        probe = ax.text(0, 0, "", fontsize=fontsize)

        def width(text: str) -> float:
            probe.set_text(text)
            return probe.get_window_extent(renderer).width

        # The year goes on where it changes (and over the first label); when two would run
        # into each other the later one, where the year changes, is kept: "2025" over the
        # first Q1 of 2025, never a Q1 that reads as if it were still 2024.
        starts = [k for k, parts in enumerate(lines) if k == 0 or parts[i] != lines[k - 1][i]]
        keep: list[int] = []
        for k in reversed(starts):
            if not keep or (keep[-1] - k) * slot >= (width(lines[k][i]) + width(lines[keep[-1]][i])) / 2 + 4:
                keep.append(k)
        probe.remove()
        thinned = []
        for k, parts in enumerate(lines):
            shown = list(parts)
            if k not in keep:
                shown[i] = ""
            thinned.append("\n".join(shown))
        ax.set_xticks(range(len(labels)), thinned, fontsize=fontsize)


def _axis_start_words(lo: float, unit: str) -> str:
    if unit == "mean":
        shown = num(lo, 1)
    elif unit == "percent":
        shown = pct(lo, 0)
    else:
        shown = signed(lo, 0)
    return _("Axis starts at {v}.").format(v=shown)


@_placing
def _break_mark(ax) -> None:
    """The axis-break mark on the value axis's spine, just above its foot: a gap and two
    slanted strokes (gid "axis-break"), between the bottom tick and the next."""
    trans = ax.transAxes
    box = ax.get_window_extent()
    pt = ax.figure.dpi / 72 * (NARROW_TEXT if _MODE["narrow"] else 1)
    h, w, y0 = 5.0 * pt / max(box.height, 1), 4.5 * pt / max(box.width, 1), 7.0 * pt / max(box.height, 1)
    gap = Rectangle((-w, y0), 2 * w, h, transform=trans, facecolor=ax.get_facecolor(), edgecolor="none",
                    clip_on=False, zorder=5)
    gap.set_gid("axis-break")
    gap.set_in_layout(False)
    ax.add_patch(gap)
    for y in (y0, y0 + h):
        stroke = Line2D([-w, w], [y - h * 0.45, y + h * 0.45], transform=trans, color="#5B6470", linewidth=1.0,
                        clip_on=False, zorder=6, gid="axis-break")
        stroke.set_in_layout(False)
        ax.add_line(stroke)


# --------------------------------------------------------------------------- NPS


@_narrowable
def nps_distribution(result, cs: ChartStyle) -> Chart:
    """0–10 bars coloured by group, above the promoter / passive / detractor split."""
    dist = result.distribution
    with _drawing(cs):
        fig = _new_figure(cs, 7.0, 3.5, narrow_height=4.6)
        grid = fig.add_gridspec(2, 1, height_ratios=[3.2, 0.9 if not is_narrow() else 1.1])
        ax = fig.add_subplot(grid[0])
        points = [p for p, _, _ in dist]
        shares = [s for _, _, s in dist]
        colours = [DETRACTOR if p <= 6 else PASSIVE if p <= 8 else PROMOTER for p in points]
        bars = ax.bar(points, shares, color=colours, width=0.72)
        ax.set_xticks(points)
        ax.set_xlim(-0.6, 10.6)
        ax.set_ylim(0, max(shares) * 1.22 if shares else 1)
        ax.grid(axis="x", visible=False)
        ax.grid(axis="y", visible=True)
        ax.set_ylabel(_("% of customers"))
        ax.set_xlabel(_("Likelihood to recommend (0 = not at all likely, 10 = extremely likely)"))
        split = fig.add_subplot(grid[1])
        parts = [(result.share_lo, DETRACTOR, _("Detractors")), (result.share_mid, PASSIVE, _("Passives")),
                 (result.share_hi, PROMOTER, _("Promoters"))]
        left = 0.0
        segments = []
        for share, colour, label in parts:
            split.barh([0], [share], left=left, color=colour, height=0.8)
            segments.append((left, share, colour, label))
            left += share
        narrow = is_narrow()
        if narrow:
            # a phone: the shares on the segments, the groups' names in a key under them
            split.legend(handles=[Patch(color=colour, label=label) for _s, colour, label in parts],
                         loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=3, borderaxespad=0.3,
                         handlelength=1.0, columnspacing=1.0)
        split.set_xlim(0, 100)
        split.set_yticks([])
        split.set_xticks([])
        for side in ("left", "bottom"):
            split.spines[side].set_visible(False)
        split.grid(False)
        _settle(fig)
        room = _Room(fig)
        for bar in bars:
            room.artist(bar)
        for bar, share in zip(bars, shares):
            room.place(ax, fmt_figure(share, "percent"),
                       [{"xy": (bar.get_x() + bar.get_width() / 2, bar.get_height()), "offset": (0, 2),
                         "ha": "center", "va": "bottom", "color": INK}],
                       fontsize=_fs(7 if is_narrow() else 8))   # narrow: "13%" "13%" apart over 11 slim bars
        # The split: the group's name and share on its own segment when they fit there, else the
        # share alone, in ink chosen for the segment's colour.
        for left, share, colour, label in segments:
            if share <= 0:
                continue
            cell = Bbox(split.transData.transform([(left, -0.4), (left + share, 0.4)]))
            options = [fmt_figure(share, "percent")]
            if not narrow:
                options.insert(0, f"{label} {fmt_figure(share, 'percent')}")
            for words in options:
                text = split.text(left + share / 2, 0, words, ha="center", va="center", color=ink_on(colour),
                                  fontsize=_fs(8.5), fontweight="bold")
                box = text.get_window_extent(room.renderer)
                if cell.x0 + 2 <= box.x0 and box.x1 <= cell.x1 - 2:
                    break
                text.remove()
    alt = _("NPS distribution: detractors {d}, passives {p}, promoters {pr}; NPS {nps}.").format(
        d=fmt_figure(result.share_lo, "percent"), p=fmt_figure(result.share_mid, "percent"),
        pr=fmt_figure(result.share_hi, "percent"), nps=fmt_figure(result.nps.value, "points"))
    return _render(fig, "nps-distribution", _("NPS distribution"), alt)


# --------------------------------------------------------------------------- bars


def _bar_limits(spec, values_low: list[float], values_high: list[float]) -> tuple[float, float]:
    """A bar chart's value axis: always from zero (bars start at zero), to the scale's top for
    percentages and means; around the values, zero included, for NPS and indices."""
    low, high = spec.headline_scale
    if spec.headline in ("nps", "index"):
        lo = min([0.0] + values_low)
        hi = max([0.0] + values_high)
        pad = max(5.0, 0.08 * (hi - lo))
        return max(low, lo - pad if lo < 0 else 0.0), min(high, hi + pad)
    if spec.headline == "top2":
        return 0.0, 100.0
    return 0.0, float(spec.high)


@_placing
def _value_labels(room: _Room, ax, items: list[dict], lines: list[float], *, fontsize: float = 8) -> None:
    """Value labels of horizontal bars. ``items``: y, value, the whisker's ends (``low``,
    ``high``), the bar's ``colour`` as drawn, ``hatched``, ``text``. Each label goes outside the
    bar's end, past its whisker, in dark ink; past a reference line (``lines``: target, total)
    it would cross; inside the bar, before the whisker, in ink for the bar's colour, when
    neither fits; against the bar's foot as a last resort."""
    axes_box = ax.get_window_extent(room.renderer)
    # 6 pt from a whisker's end: clear of its cap (2.5 pt) and the padding around it
    for item in items:
        y, v = item["y"], item["value"]
        lo = item["low"] if _finite(item.get("low")) else v
        hi = item["high"] if _finite(item.get("high")) else v
        right = v >= 0
        end = max(v, hi) if right else min(v, lo)
        sign = 1 if right else -1
        ha_out, ha_in = ("left", "right") if right else ("right", "left")
        outside = [{"xy": (end, y), "offset": (sign * 6, 0), "ha": ha_out, "va": "center", "color": INK}]
        beyond = sorted((x for x in lines if (x - end) * sign > 0), key=lambda x: (x - end) * sign)
        outside += [{"xy": (x, y), "offset": (sign * 6, 0), "ha": ha_out, "va": "center", "color": INK}
                    for x in beyond]
        bar_box = Bbox(ax.transData.transform([(0, y - item["height"] / 2), (v, y + item["height"] / 2)]))
        inside = []
        if not item.get("hatched"):
            ink = ink_on(item["colour"])
            foot = min(v, lo) if right else max(v, hi)
            inside.append({"xy": (foot, y), "offset": (-sign * 6, 0), "ha": ha_in, "va": "center", "color": ink,
                           "within": bar_box, "skip": {("bar", item["y"])}})
            inside += [{"xy": (x, y), "offset": (-sign * 6, 0), "ha": ha_in, "va": "center", "color": ink,
                        "within": bar_box, "skip": {("bar", item["y"])}}
                       for x in sorted((x for x in lines if (foot - x) * sign > 0), key=lambda x: (foot - x) * sign)]
        room.place(ax, item["text"], outside + inside, bounds=axes_box, fontsize=_fs(fontsize))


@_placing
def _room_for_labels(ax, room: _Room, items: list[dict], lines: list[float], fontsize: float,
                     cap: tuple[float, float] | None = None) -> None:
    """Widen the value axis so that each bar's label fits outside its end (and past a reference
    line it would otherwise cross): a few rounds, as the data scale changes with the limits."""
    probe = ax.text(0, 0, "", fontsize=_fs(fontsize))
    widths = []
    for item in items:
        probe.set_text(item["text"])
        widths.append(probe.get_window_extent(room.renderer).width + _fs(6) * ax.figure.dpi / 72 + 3)
    probe.remove()
    px = ax.get_window_extent(room.renderer).width
    for _round in range(4):
        lo, hi = ax.get_xlim()
        per_px = (hi - lo) / px
        need_hi, need_lo = hi, lo
        for item, w in zip(items, widths):
            v = item["value"]
            top = max(v, item["high"]) if _finite(item.get("high")) else v
            bottom = min(v, item["low"]) if _finite(item.get("low")) else v
            if v >= 0:
                end = top
                for x in sorted(lines):
                    if end < x < end + w * per_px:
                        end = x
                need_hi = max(need_hi, end + w * per_px)
            else:
                end = bottom
                for x in sorted(lines, reverse=True):
                    if end - w * per_px < x < end:
                        end = x
                need_lo = min(need_lo, end - w * per_px)
        if need_hi <= hi + 1e-9 and need_lo >= lo - 1e-9:
            break
        ax.set_xlim(need_lo, need_hi)
    if cap is not None:
        lo, hi = ax.get_xlim()
        ax.set_xticks([t for t in ax.get_xticks() if cap[0] - 1e-9 <= t <= cap[1] + 1e-9])
        ax.set_xlim(lo, hi)


@_narrowable
def ranked_bars(chart_id: str, title: str, rows: list[dict], spec, cs: ChartStyle, *,
                total: float | None = None, target: float | None = None, sort: bool = True,
                note: str = "", flag_below: int = 50) -> Chart:
    """Horizontal bars from zero with 95 % interval whiskers. ``rows``: label, value, low, high, base."""
    shown = [r for r in rows if r["base"] != "suppressed" and r["value"] is not None
             and math.isfinite(r["value"])]
    hidden = [r["label"] for r in rows if r not in shown]
    if sort:
        shown = sorted(shown, key=lambda r: r["value"])
    unit = spec.headline_unit
    height = 0.9 + 0.3 * max(len(shown), 1)
    with _drawing(cs):
        fig = _new_figure(cs, 7.0, height, narrow_height=1.2 + 0.42 * max(len(shown), 1))
        ax = fig.add_subplot()
        ys = list(range(len(shown)))
        values = [r["value"] for r in shown]
        lows = [r["low"] for r in shown if _finite(r["low"])]
        highs = [r["high"] for r in shown if _finite(r["high"])]
        lo_lim, hi_lim = _bar_limits(spec, lows + values, highs + values)
        bar_height = 0.62
        bars = ax.barh(ys, values, left=0.0, color=cs.primary, height=bar_height)
        for bar, r in zip(bars, shown):
            if r["base"] == "small":
                bar.set_alpha(0.55)
                bar.set_hatch("////")
                bar.set_edgecolor("white")
        err_lo = [max(v - r["low"], 0) if _finite(r["low"]) else 0 for v, r in zip(values, shown)]
        err_hi = [max(r["high"] - v, 0) if _finite(r["high"]) else 0 for v, r in zip(values, shown)]
        ax.errorbar(values, ys, xerr=[err_lo, err_hi], fmt="none", ecolor=INK, elinewidth=0.9,
                               capsize=2.5)
        labels = [plain(r["label"]) + ("*" if r["base"] == "small" else "") for r in shown]
        ax.set_yticks(ys, labels)
        ax.set_xlim(lo_lim, hi_lim)
        ax.set_ylim(-0.7, len(shown) - 0.3)
        ax.axvline(0, color="#8A939D", linewidth=0.8)
        handles = []
        lines = []
        if total is not None and math.isfinite(total):
            ax.axvline(total, color=cs.accent, linewidth=1.4)
            lines.append(total)
            handles.append(Patch(color=cs.accent, label=_("Total {v}").format(v=fmt_figure(total, unit))))
        if target is not None:
            ax.axvline(target, color=INK, linewidth=1.1, linestyle=(0, (4, 3)))
            lines.append(target)
            handles.append(Patch(facecolor="white", edgecolor=INK, linestyle="--",
                                 label=_("Target {v}").format(v=fmt_figure(target, unit))))
        if handles:
            ax.legend(handles=handles, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=len(handles),
                      borderaxespad=0.2)
        ax.set_xlabel(_axis_label(spec))
        _settle(fig)
        room = _Room(fig)
        items = [{"y": y, "value": r["value"], "low": r["low"], "high": r["high"], "height": bar_height,
                  "colour": flatten(cs.primary, 0.55 if r["base"] == "small" else 1.0),
                  "hatched": r["base"] == "small", "text": fmt_figure(r["value"], unit)}
                 for y, r in zip(ys, shown)]
        scale = spec.headline_scale if spec.headline in ("nps", "index", "top2") else (0.0, float(spec.high))
        _room_for_labels(ax, room, items, lines, 8, cap=scale)
        room.lines(ax)
        for coll in ax.collections:
            room.collection(coll)
        for y, bar in zip(ys, bars):
            room.boxes.append((("bar", y), bar.get_window_extent(room.renderer)))
        _value_labels(room, ax, items, lines + [0.0])
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

#: A trend chart's size in inches. Three sit side by side in the client report and the
#: quarterly review (templates/partials/trend.html, ``.chart-row``): 176 mm of A4 text width
#: less two 3 mm gaps leaves 56.7 mm (2.23 in) each, so a trend is drawn at that width and
#: printed at its own size (1 pt of chart text is 1 pt on paper), and tall enough for its
#: labels. ``trend(size=...)`` draws it for another layout.
TREND_SIZE = (2.23, 2.55)


@_placing
def _line_labels(room: _Room, ax, pts: list[tuple[float, float, str]], values: list[float | None],
                 avoid: float | list | None, *, fontsize: float, colours: list[str] | None = None, gap: float = 5.0,
                 weights: list[str] | None = None, all_shown: bool = True) -> None:
    """Value labels of a line chart's points: above or below each marker, away from its
    neighbouring segments and from the line ``avoid`` (a target), clear of everything else.
    Unless ``all_shown``, a label with no clear place is left out (the table beside the chart
    has every figure): the latest point's first, then the first, the highest and the lowest."""
    surface = ax.get_facecolor()
    order = list(range(len(pts)))
    if not all_shown and pts:
        vs = [v for _x, v, _w in pts]
        first = [len(pts) - 1, 0, vs.index(max(vs)), vs.index(min(vs))]
        order = list(dict.fromkeys(first + list(range(len(pts) - 2, 0, -1))))
    for k in order:
        x, v, words = pts[k]
        side = _side(values, int(round(x)), avoid[k] if isinstance(avoid, list) else avoid)
        ink = readable(colours[k] if colours else INK, surface)
        cands = _around((x, v), gap, side)
        for c in cands:
            c["color"] = ink
        room.place(ax, words, cands, fontsize=_fs(fontsize), fontweight=weights[k] if weights else "normal",
                   optional=not all_shown and k != len(pts) - 1)


@_narrowable
def trend(chart_id: str, title: str, points: list[dict], spec, cs: ChartStyle, *,
          target: float | None = None, size: tuple[float, float] | None = None) -> Chart:
    """A KPI over periods: line, 95 % interval band, target line; suppressed periods left out.
    The value axis spans at least MIN_SPAN of the unit; when it does not start at zero, a break
    mark sits on it and the note says where it starts."""
    unit = spec.headline_unit
    width, height = size or TREND_SIZE
    with _drawing(cs):
        fig = _new_figure(cs, width, height, narrow_height=3.3)
        ax = fig.add_subplot()
        xs = list(range(len(points)))
        shown = [(x, p) for x, p in zip(xs, points) if p["base"] != "suppressed" and p["value"] is not None
                 and math.isfinite(p["value"])]
        if shown:
            sx = [x for x, _p in shown]
            band = [(x, p) for x, p in shown if _finite(p.get("low"), p.get("high"))]
            if band:
                ax.fill_between([x for x, _p in band], [p["low"] for _x, p in band], [p["high"] for _x, p in band],
                                color=cs.primary, alpha=0.13, linewidth=0)
            ax.plot(sx, [p["value"] for _x, p in shown], color=cs.primary, marker="o", markersize=4, linewidth=2)
            # Each point's status against the target by the one rule (cxreport.benchmark.targets):
            # the marker is filled in the status colour, as the scorecard's badge is.
            for x, p in shown:
                colour = STATUS_INK.get(p.get("status") or "")
                if colour:
                    ax.plot([x], [p["value"]], marker="o", markersize=5.5, color=colour,
                            markeredgecolor="white", markeredgewidth=0.8, zorder=4)
        if target is not None:
            ax.axhline(target, color=INK, linewidth=1.0, linestyle=(0, (4, 3)))
            # In the right margin, level with the line: never on top of a point's label.
            ax.annotate(_("target"), (1.0, target), xycoords=("axes fraction", "data"), xytext=(3, 0),
                        textcoords="offset points", fontsize=_fs(7.5), color=INK, ha="left", va="center")
        _period_ticks(ax, [p["label"] for p in points], _fs(7.5), NARROW_WIDTH if is_narrow() else width)
        ax.tick_params(axis="y", labelsize=_fs(7.5))
        ax.grid(axis="x", visible=False)
        ax.grid(axis="y", visible=True)
        # Room beside the first and last points for a label centred over them.
        ax.set_xlim(-0.7, len(points) - 0.3)
        vals = [p["value"] for _x, p in shown]
        vals += [v for _x, p in shown for v in (p.get("low"), p.get("high")) if _finite(v)]
        vals += [target] if target is not None else []
        lo = hi = None
        if vals:
            lo, hi = _value_axis(vals, unit, spec.headline_scale)
            _value_ticks(ax, lo, hi, unit)
        ax.set_title(plain(title), fontsize=_fs(9.5))
        _settle(fig)
        if lo is not None and lo > 0:
            _break_mark(ax)
        room = _Room(fig)
        room.lines(ax)
        values = [p["value"] if p["base"] != "suppressed" and p["value"] is not None else None for p in points]
        _line_labels(room, ax, [(x, p["value"], fmt_figure(p["value"], unit)) for x, p in shown], values, target,
                     fontsize=8, gap=4.5, all_shown=False)
    note = _axis_start_words(lo, unit) if lo is not None and lo > 0 else ""
    alt = title + ": " + "; ".join(f"{p['label']} {fmt_figure(p['value'], unit) if p['base'] != 'suppressed' else '—'}"
                                   for p in points)
    return _render(fig, chart_id, title, alt, note)


#: Extra series colours after the brand's two (response-time channels), and a marker each so
#: that the lines stay apart without colour.
SERIES_COLOURS = ("#6A4C93", "#B5651D", "#2E7D32", "#5C6B73", "#C2185B", "#1565C0")
SERIES_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "h")


@_narrowable
def response_trend(chart_id: str, title: str, labels: list[str], series: list[dict], cs: ChartStyle, *,
                   target: float | None = None) -> Chart:
    """Compliance with the response-time standard (% answered within it) over periods, a line
    per channel (``series``: {label, values}; None where the base is suppressed). The value
    axis runs from 0 to 100 %; the target, when set, is a dashed line."""
    colours = [cs.primary, cs.accent, *SERIES_COLOURS]
    with _drawing(cs):
        fig = _new_figure(cs, 7.0, 3.0, narrow_height=4.2)
        ax = fig.add_subplot()
        xs = list(range(len(labels)))
        handles = []
        for k, line in enumerate(series):
            colour = colours[k % len(colours)]
            points = [(x, v) for x, v in zip(xs, line["values"]) if v is not None and math.isfinite(v)]
            handle, = ax.plot([x for x, _v in points], [v for _x, v in points], color=colour,
                              marker=SERIES_MARKERS[k % len(SERIES_MARKERS)], markersize=4, linewidth=1.8,
                              label=plain(line["label"]))
            handles.append(handle)
        if target is not None:
            ax.axhline(target, color=INK, linewidth=1.0, linestyle=(0, (4, 3)))
            ax.annotate(_("target"), (1.0, target), xycoords=("axes fraction", "data"), xytext=(3, 0),
                        textcoords="offset points", fontsize=_fs(7.5), color=INK, ha="left", va="center")
        _period_ticks(ax, labels, _fs(7.5), NARROW_WIDTH if is_narrow() else 7.0)
        ax.tick_params(axis="y", labelsize=_fs(7.5))
        ax.set_xlim(-0.4, len(labels) - 0.6)
        _value_ticks(ax, 0.0, 100.0, "percent")
        ax.set_ylim(0, 102)
        ax.set_ylabel(_("% answered within the standard"), fontsize=_fs(8))
        ax.grid(axis="x", visible=False)
        ax.grid(axis="y", visible=True)
        ax.set_title(plain(title), fontsize=_fs(9.5))
        fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 3 if is_narrow() else 6),
                   frameon=False, fontsize=_fs(7.5), labelcolor=INK)
    alt = title + ": " + "; ".join(
        f"{line['label']} " + ", ".join(f"{lab} {pct(v) if v is not None else '—'}"
                                        for lab, v in zip(labels, line["values"])) for line in series)
    return _render(fig, chart_id, title, alt)


# --------------------------------------------------------------------------- competitors


@_narrowable
def dot_plot(chart_id: str, comparison, cs: ChartStyle) -> Chart:
    """One metric across brands: a dot per brand with its interval, own brand highlighted."""
    # The measure's own precision (DISPLAY_DECIMALS): an index (ACSI) is whole points, "75", never "75.00".
    unit = comparison.unit if comparison.unit in ("points", "percent", "mean", "index") else "mean"
    brands = [b for b in comparison.brands if b.value is not None and b.base != "suppressed"]
    brands = sorted(brands, key=lambda b: b.value)
    with _drawing(cs):
        fig = _new_figure(cs, 6.0, 1.1 + 0.34 * max(len(brands), 1), narrow_height=1.4 + 0.5 * max(len(brands), 1))
        ax = fig.add_subplot()
        ys = list(range(len(brands)))
        for y, b in zip(ys, brands):
            colour = cs.accent if b.own else cs.primary
            if b.low is not None and b.high is not None and math.isfinite(b.low) and math.isfinite(b.high):
                ax.plot([b.low, b.high], [y, y], color=colour, linewidth=1.4, alpha=0.7)
            ax.plot([b.value], [y], "o", color=colour, markersize=8 if b.own else 6.5)
        ax.set_yticks(ys, [plain(b.brand) for b in brands])
        for label, b in zip(ax.get_yticklabels(), brands):
            if b.own:
                label.set_fontweight("bold")
        average = comparison.competitor_average
        if average is not None:
            ax.axvline(average, color="#8A939D", linestyle=(0, (4, 3)), linewidth=1)
        ax.set_ylim(-0.6, len(brands) - 0.1)
        values = [b.value for b in brands] + [b.low for b in brands if b.low is not None] + \
            [b.high for b in brands if b.high is not None]
        if values:
            span = max(values) - min(values)
            ax.set_xlim(min(values) - max(span * 0.14, 1), max(values) + max(span * 0.14, 1))
        ax.set_xlabel(comparison.label)
        if average is not None:
            # room above the plot for the average line's name (placed after the layout)
            ax.set_title(" ", fontsize=_fs(7.5), pad=2)
        _settle(fig)
        room = _Room(fig)
        room.lines(ax)
        if average is not None:
            # The line's name above the plot, beside the line (never struck through by it).
            top = (average, 1.0)
            coords = ("data", "axes fraction")
            room.place(ax, _("competitor average"),
                       [{"xy": top, "coords": coords, "offset": (3, 2), "ha": "left", "va": "bottom"},
                        {"xy": top, "coords": coords, "offset": (-3, 2), "ha": "right", "va": "bottom"}],
                       bounds="figure", fontsize=_fs(7.5), color="#5B6470")
        for y, b in zip(ys, brands):
            cands = _around((b.value, y), 7.0 if b.own else 6.0, "above")
            if _finite(b.low, b.high):
                cands[2:2] = [{"xy": (b.high, y), "offset": (4, 0), "ha": "left", "va": "center"},
                              {"xy": (b.low, y), "offset": (-4, 0), "ha": "right", "va": "center"}]
            room.place(ax, fmt_figure(b.value, unit), cands, fontsize=_fs(8), color=INK,
                       fontweight="bold" if b.own else "normal")
    alt = comparison.label + ": " + "; ".join(f"{b.brand} {fmt_figure(b.value, unit)}" for b in reversed(brands))
    return _render(fig, chart_id, comparison.label, alt)


@_narrowable
def gap_chart(chart_id: str, comparison, cs: ChartStyle) -> Chart:
    """Own brand minus each competitor; significant gaps solid, the rest hatched."""
    # The measure's own precision (DISPLAY_DECIMALS): an index (ACSI) is whole points, "75", never "75.00".
    unit = comparison.unit if comparison.unit in ("points", "percent", "mean", "index") else "mean"
    rivals = [b for b in comparison.brands if not b.own and b.diff is not None]
    rivals = sorted(rivals, key=lambda b: b.diff)
    with _drawing(cs):
        fig = _new_figure(cs, 6.0, 0.9 + 0.3 * max(len(rivals), 1), narrow_height=1.3 + 0.45 * max(len(rivals), 1))
        ax = fig.add_subplot()
        ys = list(range(len(rivals)))
        colours = ["#2E7D32" if b.diff >= 0 else "#C62828" for b in rivals]
        bars = ax.barh(ys, [b.diff for b in rivals], color=colours, height=0.6)
        for bar, b in zip(bars, rivals):
            if not b.mark:
                bar.set_alpha(0.45)
                bar.set_hatch("////")
                bar.set_edgecolor("white")
        ax.axvline(0, color=INK, linewidth=0.9)
        ax.set_yticks(ys, [_("vs {brand}").format(brand=plain(b.brand)) for b in rivals])
        lim = max([abs(b.diff) for b in rivals] + [1.0]) * 1.35
        ax.set_xlim(-lim, lim)
        ax.set_xlabel(_("{metric}: own brand minus competitor (solid = significant)").format(metric=comparison.label))
        _settle(fig)
        room = _Room(fig)
        items = []
        for y, (bar, b) in enumerate(zip(bars, rivals)):
            words = ("+" if b.diff > 0 else "") + fmt_figure(b.diff, "mean" if unit == "mean" else "points").lstrip("+") \
                + (" ▲" if b.mark > 0 else " ▼" if b.mark < 0 else "")
            items.append({"y": y, "value": b.diff, "low": None, "high": None, "height": 0.6,
                          "colour": flatten(bar.get_facecolor()), "hatched": not b.mark, "text": words})
        _room_for_labels(ax, room, items, [], 8)
        lim = max(abs(v) for v in ax.get_xlim())
        ax.set_xlim(-lim, lim)
        room.lines(ax)
        for y, bar in zip(ys, bars):
            room.boxes.append((("bar", y), bar.get_window_extent(room.renderer)))
        _value_labels(room, ax, items, [0.0])
    alt = _("{metric} gaps: ").format(metric=comparison.label) + "; ".join(
        f"{b.brand} {fmt_figure(b.diff, 'points', 1)}" for b in rivals)
    return _render(fig, chart_id, _("Gap to competitors"), alt)


@_placing
def _label_points(room: _Room, ax, points: list[tuple[float, float, str]], fontsize: float = 8) -> None:
    """Label scatter points clear of the other points, the reference lines and the labels
    already placed: to the right of the point by default, else to its left, above, below or
    diagonally, a little further out each round. Points are labelled from the top down. A
    label sits nearer its own point than any other, so no reader pairs it with a neighbour."""
    at = {k: tuple(ax.transData.transform((x, y))) for k, (x, y, _t) in enumerate(points)}

    def nearest_is(k: int):
        def claim(box: Bbox) -> int:
            own = _box_distance(box, at[k])
            return sum(1 for j, p in at.items() if j != k and _box_distance(box, p) <= own)
        return claim

    for k, (x, y, text) in sorted(enumerate(points), key=lambda kp: (-kp[1][1], kp[1][0])):
        cands = []
        for r in (6, 11, 17, 24):
            d = r * 0.75
            cands += [{"xy": (x, y), "offset": (r, 1), "ha": "left", "va": "center"},
                      {"xy": (x, y), "offset": (-r, 1), "ha": "right", "va": "center"},
                      {"xy": (x, y), "offset": (0, r), "ha": "center", "va": "bottom"},
                      {"xy": (x, y), "offset": (0, -r), "ha": "center", "va": "top"},
                      {"xy": (x, y), "offset": (d, d), "ha": "left", "va": "bottom"},
                      {"xy": (x, y), "offset": (d, -d), "ha": "left", "va": "top"},
                      {"xy": (x, y), "offset": (-d, d), "ha": "right", "va": "bottom"},
                      {"xy": (x, y), "offset": (-d, -d), "ha": "right", "va": "top"},
                      {"xy": (x, y), "offset": (-4, r), "ha": "left", "va": "bottom"},
                      {"xy": (x, y), "offset": (-4, -r), "ha": "left", "va": "top"},
                      {"xy": (x, y), "offset": (4, r), "ha": "right", "va": "bottom"},
                      {"xy": (x, y), "offset": (4, -r), "ha": "right", "va": "top"}]
        room.place(ax, plain(text), cands, fontsize=_fs(fontsize), color=INK, claim=nearest_is(k))


# --------------------------------------------------------------------------- drawing many charts


@dataclass
class Deferred:
    """A chart to draw later: the function and its arguments (all picklable)."""

    fn: object
    args: tuple
    kwargs: dict


def defer(fn, *args, **kwargs) -> Deferred:
    return Deferred(fn, args, kwargs)


def _draw(job: Deferred, narrow: bool = False) -> Chart:
    with collected_after():          # a figure's cycles freed with it, in one pass (docs/performance.md)
        if narrow and getattr(job.fn, "narrowable", False):
            return job.fn(*job.args, **{**job.kwargs, "narrow": True})
        return job.fn(*job.args, **job.kwargs)


def describe(job: Deferred) -> Chart:
    """The chart ``job`` would draw, described (:func:`describing`): everything but its PNG."""
    with describing(), collected_after():
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


def _map_charts(draw, jobs: list, processes: int | None = None, *, apart: bool = False) -> list:
    """``[draw(job) for job in jobs]``, in forked processes when there are several cores and
    enough jobs (matplotlib is already imported, so a fork starts in milliseconds); here in a
    daemonic process (e.g. a Dask worker, which cannot have children) or with ``processes=1``.
    ``apart=True``: in one forked process even with ``processes=1``, so that the drawing's
    memory (figures, glyph caches) is that process's and is returned when it ends."""
    import multiprocessing as mp
    import os

    if not jobs:
        return []
    load_matplotlib()
    ensure_cjk_font()               # once here, not in every forked worker
    processes = processes or CHART_PROCESSES or min(os.cpu_count() or 1, 4)
    if mp.current_process().daemon:
        processes = 1
        apart = False
    if len(jobs) >= 4 and (processes > 1 or apart) and "fork" in mp.get_all_start_methods():
        with mp.get_context("fork").Pool(processes) as pool:
            return pool.map(draw, jobs, chunksize=1)
    return [draw(job) for job in jobs]


def draw_all(context: dict, processes: int | None = None, *, narrow: bool = False) -> dict:
    """Draw every deferred chart in ``context``; on several cores, in forked processes
    (matplotlib is already imported, so a fork starts in milliseconds). ``narrow=True`` (the
    HTML target) also draws each chart's phone-width variant (``Chart.narrow``)."""
    jobs: list[Deferred] = []
    _collect(context, jobs)
    draw = functools.partial(_draw, narrow=narrow)
    # The content-addressed cache (docs/cache.md): a chart drawn before from the same inputs
    # is read, not drawn; only the misses are drawn, then stored.
    from cxreport import cache

    store = cache.active()
    keys = _chart_keys(jobs, narrow) if store is not None else [None] * len(jobs)
    done = {i: store.get_chart(k) for i, k in enumerate(keys) if k is not None}
    todo = [i for i in range(len(jobs)) if done.get(i) is None]
    drawn = _map_charts(draw, [jobs[i] for i in todo], processes)
    for i, chart in zip(todo, drawn):
        done[i] = chart
        if keys[i] is not None:
            store.put_chart(keys[i], chart)
    return _replace(context, {id(job): done[i] for i, job in enumerate(jobs)})


#: Set to "0" to draw a build's charts before its PDF is laid out (no :class:`Draft`).
DRAFT_SWITCH = "CXREPORT_CHARTS_WITH_PDF"

#: How far below the build's priority the chart workers run (``os.nice``): they are waited
#: for only once the PDF is laid out, and yield to the build and its PDF process meanwhile.
DRAFT_NICE = 5

_WORKERS: dict = {"current": None}


def can_draft() -> bool:
    """Whether charts can be drawn beside a PDF's layout here: several cores, fork, not a
    pool or Dask worker, and ``CXREPORT_CHARTS_WITH_PDF`` not "0"."""
    import multiprocessing as mp
    import os

    return (os.environ.get(DRAFT_SWITCH, "1") != "0" and (os.cpu_count() or 1) >= 2
            and "fork" in mp.get_all_start_methods() and not mp.current_process().daemon)


class ChartWorkers:
    """Processes forked when a build starts, which import matplotlib and load its fonts while
    the build reads and scores (the build itself then never imports it before its PDF's HTML
    is handed over): they describe the charts (:func:`describe`), then draw them while the PDF
    is laid out (:class:`Draft`). They also answer matplotlib's settings and font files for the
    chart cache keys and the brand-font warning (:func:`fonts_found`)."""

    def __init__(self, families: list[str], processes: int | None = None):
        import multiprocessing as mp
        import os
        from concurrent.futures import ProcessPoolExecutor

        processes = processes or CHART_PROCESSES or max(2, min((os.cpu_count() or 1) - 1, 4))
        # concurrent.futures, not multiprocessing.Pool: a worker that dies (killed, out of
        # memory) breaks the pool with an error instead of leaving its task waited for forever.
        self.pool = ProcessPoolExecutor(processes, mp_context=mp.get_context("fork"), initializer=_ready_to_draw)
        self.families = sorted(set(families) | {CJK_FONT, "DejaVu Sans"})
        self._setting = self.pool.submit(_matplotlib_setting, self.families)
        for _ in range(processes - 1):
            self.pool.submit(int)           # every worker starts now, and imports matplotlib
        _WORKERS["current"] = self

    def setting(self, families: list[str]) -> dict | None:
        """:func:`_matplotlib_setting` of ``families`` as the workers found it (None: other families)."""
        if sorted(set(families) | {CJK_FONT, "DejaVu Sans"}) != self.families:
            return None
        try:
            return self._setting.result()
        except Exception:  # noqa: BLE001 - asked here instead
            return None

    def close(self) -> None:
        """End the workers, whatever they are doing."""
        if _WORKERS["current"] is self:
            _WORKERS["current"] = None
        processes = list((getattr(self.pool, "_processes", None) or {}).values())
        self.pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        for process in processes:
            process.join()


def start_workers(families: list[str]) -> ChartWorkers | None:
    """:class:`ChartWorkers` for a build whose charts can be drawn beside its PDF (:func:`can_draft`)."""
    if not can_draft():
        return None
    try:
        return ChartWorkers(families)
    except OSError:  # pragma: no cover - no process could be started: the charts are drawn here
        return None


def _ready_to_draw() -> None:  # pragma: no cover - runs in the chart workers
    import os

    try:
        os.nice(DRAFT_NICE)
    except OSError:
        pass
    try:
        load_matplotlib()
        ensure_cjk_font()
    except Exception:  # noqa: BLE001 - the worker's first chart meets the same error, and reports it
        pass


def draft(context: dict, workers: ChartWorkers, *, extra: dict | None = None) -> Draft | None:
    """Start drawing the deferred charts of ``context`` on ``workers`` beside the PDF's layout
    (:class:`Draft`; ``extra``: entries added to the context, e.g. the logo), or None when that
    cannot help: fewer than four charts to draw (the rest are in the cache); or cannot be done:
    a chart that cannot be described, a worker gone (the charts are then drawn first, in the
    build, which reports any error of a chart function as it always has)."""
    jobs: list[Deferred] = []
    _collect(context, jobs)
    from cxreport import cache

    store = cache.active()
    keys = _chart_keys(jobs, False) if store is not None else [None] * len(jobs)
    done = {i: store.get_chart(k) for i, k in enumerate(keys) if k is not None}
    todo = [i for i in range(len(jobs)) if done.get(i) is None]
    if len(todo) < 4:
        return None
    try:
        return Draft(context, jobs, keys, done, todo, workers, extra=extra)
    except Exception:  # noqa: BLE001 - a chart that cannot be described, a worker gone: drawn first, here
        return None


def _png_head(size: tuple[int, int]) -> bytes:
    """The first bytes of an 8-bit RGB PNG of ``size`` (signature and header chunk), followed
    by its end: what a PDF's layout reads of a picture (its size and colours)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack("!I", len(data)) + kind + data + struct.pack("!I", zlib.crc32(kind + data))

    header = chunk(b"IHDR", struct.pack("!IIBBBBB", size[0], size[1], 8, 2, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + header + chunk(b"IEND", b"")


#: The length of a PNG's signature and header chunk (what :func:`_png_head` describes).
_HEAD = 33


class Draft:
    """A report's charts drawn while its PDF is laid out.

    The chart workers (:class:`ChartWorkers`) describe the charts first (:func:`describe`:
    title, alt text, note and PNG size, about a tenth of drawing them) and each gets a file
    holding only its PNG's header, in a temporary folder; the PDF's HTML refers to those files
    (``Chart.src``), so WeasyPrint lays the document out from their sizes while the workers
    draw the charts. :meth:`finish` waits for the drawings, stores them in the cache, checks
    each against its description and, when every one matches, writes the PNGs into the files,
    which WeasyPrint reads when it writes the PDF. When one does not match, the PDF is laid out
    again from the drawn charts (correct, and slower)."""

    def __init__(self, context: dict, jobs: list[Deferred], keys: list, done: dict, todo: list[int],
                 workers: ChartWorkers, *, extra: dict | None = None):
        import tempfile

        self.deferred, self.jobs, self.keys, self.done, self.todo = context, jobs, keys, done, todo
        self.extra = dict(extra or {})
        self.workers = workers
        todo_jobs = [jobs[i] for i in todo]
        described = dict(zip(todo, workers.pool.map(describe, todo_jobs)))
        self.drawing = [workers.pool.submit(_draw, job) for job in todo_jobs]
        self.folder = Path(tempfile.mkdtemp(prefix="cxreport-charts-"))
        self.described, self.paths = {}, {}
        try:
            for n, i in enumerate(todo):
                chart = described[i]
                path = self.paths[i] = self.folder / f"chart-{n}.png"
                path.write_bytes(_png_head(chart.size))
                chart.src = path.as_uri()
                self.described[i] = chart
        except BaseException:
            self.close()
            raise
        #: The context with the described charts (and those read from the cache).
        self.context = dict(_replace(context, {id(job): self.described.get(i) or done[i]
                                               for i, job in enumerate(jobs)}), **self.extra)

    def finish(self) -> tuple[dict, bool]:
        """The context with the drawn charts, and whether they match their descriptions (their
        PNGs are then in the files the PDF's HTML refers to)."""
        import os

        from concurrent.futures.process import BrokenProcessPool

        try:
            drawn = [future.result() for future in self.drawing]
        except BrokenProcessPool:
            # A worker died (killed, out of memory): the charts are drawn here.
            drawn = _map_charts(_draw, [self.jobs[i] for i in self.todo], 1)
        self.workers.close()            # done: their memory back before the rest of the build
        from cxreport import cache

        store = cache.active()
        done = dict(self.done)
        same = True
        for i, chart in zip(self.todo, drawn):
            done[i] = chart
            if self.keys[i] is not None:
                store.put_chart(self.keys[i], chart)
            d = self.described[i]
            if (chart.id, chart.title, chart.alt, chart.note) != (d.id, d.title, d.alt, d.note) \
                    or chart.png[:_HEAD] != _png_head(d.size)[:_HEAD]:
                same = False
        if same:
            for i in self.todo:
                path = self.paths[i]
                part = path.with_suffix(".part")
                part.write_bytes(done[i].png)
                os.replace(part, path)
        return dict(_replace(self.deferred, {id(job): done[i] for i, job in enumerate(self.jobs)}),
                    **self.extra), same

    def close(self) -> None:
        """End the workers (drawing or not) and remove the files."""
        import shutil

        try:
            self.workers.close()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def _narrow_through_cache(jobs: list[Deferred], draw_many) -> list[bytes]:
    """The phone-width PNG of each of ``jobs``: read from the build's cache when drawn before
    from the same inputs, else ``draw_many`` (the misses) and stored."""
    from cxreport import cache

    store = cache.active()
    if store is None:
        return draw_many(jobs)
    setting = _chart_setting(jobs)
    keys = []
    for job in jobs:
        try:
            keys.append(cache.key("narrow variant", setting, job.fn, job.args, job.kwargs))
        except cache.Unstable:
            keys.append(None)
    found = {i: store.get_chart(k) for i, k in enumerate(keys) if k is not None}
    todo = [i for i in range(len(jobs)) if found.get(i) is None]
    pngs = {i: found[i].png for i in found if found[i] is not None}
    for i, png in zip(todo, draw_many([jobs[i] for i in todo])):
        pngs[i] = png
        if keys[i] is not None:
            store.put_chart(keys[i], Chart("narrow", "", "", png))
    return [pngs[i] for i in range(len(jobs))]


def _chart_keys(jobs: list[Deferred], narrow: bool) -> list[str | None]:
    """Each chart's cache key: its function, a canonical form of its arguments, whether its
    phone-width variant is drawn, and what every chart depends on besides (:func:`_chart_setting`).
    None for a chart with an argument that has no canonical form (it is drawn every time)."""
    from cxreport import cache

    setting = _chart_setting(jobs)
    keys = []
    for job in jobs:
        try:
            keys.append(cache.key("chart", setting, job.fn, job.args, job.kwargs,
                                  bool(narrow and getattr(job.fn, "narrowable", False))))
        except cache.Unstable:
            keys.append(None)
    return keys


def _chart_setting(jobs: list[Deferred]) -> list:
    """What a chart depends on besides its arguments: the code, matplotlib and numpy
    versions, the language, matplotlib's settings outside the house style, the style file,
    and the font files the charts' families resolve to."""
    import os

    from cxreport import cache

    families = {CJK_FONT, "DejaVu Sans"}
    for job in jobs:
        for value in (*job.args, *job.kwargs.values()):
            if isinstance(value, ChartStyle):
                families.add(value.font)
    found = _matplotlib_setting(sorted(families))
    fonts = []
    for family, path in sorted(found["fonts"].items()):
        try:
            st = os.stat(path) if path else None
        except OSError:
            st = None
        fonts.append([family, path, st.st_size, st.st_mtime_ns] if st else [family, None])
    try:
        style_bytes = Path(_style_file()).read_bytes()
    except OSError:
        style_bytes = b""
    return [cache.code_fingerprint(), cache.library_versions(), i18n.current().code, found["rc"], style_bytes,
            fonts, PNG_DPI]


def fonts_found(families: list[str]) -> dict[str, str | None]:
    """The font file matplotlib draws each of ``families`` with (None: not installed)."""
    return _matplotlib_setting(sorted(set(families) | {CJK_FONT, "DejaVu Sans"}))["fonts"]


def _matplotlib_setting(families: list[str]) -> dict:
    """matplotlib's settings (a digest of ``rcParams``) and the font file each of ``families``
    resolves to: asked of matplotlib, or, when this process has not imported matplotlib and
    a build cache is active, read from the cache under what they are made of
    (:func:`_matplotlib_inputs`), so that a build whose charts are all cached need not import it."""
    import hashlib
    import sys

    from cxreport import cache

    def memo() -> str:
        return cache.key("matplotlib setting", cache.code_fingerprint(), cache.library_versions(), families,
                         _matplotlib_inputs())

    store = cache.active()
    remember = store is not None and "matplotlib" not in sys.modules
    workers = _WORKERS["current"]
    if workers is not None and "matplotlib" not in sys.modules:
        found = workers.setting(families)       # the chart workers imported it
        if found is not None:
            if remember:
                store.put_object("settings", memo(), found)
            return found
    if remember:
        # (Imported already, e.g. by a program that set rcParams itself, or to draw: ask it.)
        found = store.get_object("settings", memo(), count=False)
        if isinstance(found, dict):
            return found
    load_matplotlib()
    ensure_cjk_font()
    fonts = {}
    for family in families:
        try:
            fonts[family] = str(font_manager.findfont(font_manager.FontProperties(family=family),
                                                      fallback_to_default=False))
        except ValueError:
            fonts[family] = None
    rc = hashlib.sha256(repr(sorted(dict.items(matplotlib.rcParams))).encode()).hexdigest()
    found = {"rc": rc, "fonts": fonts}
    if remember:
        # Stored under its inputs as they are now: importing matplotlib may have written its font list.
        store.put_object("settings", memo(), found)
    return found


def _matplotlib_inputs() -> list:
    """What matplotlib's settings and font lookup are made of, read without importing it: its
    environment variables, its configuration files (``matplotlibrc`` in the working folder,
    the configuration folder and ``$MATPLOTLIBRC``) and its font list, and fontconfig's caches
    (rebuilt when fonts are installed), each by size and modification time."""
    import glob
    import os

    env = sorted((k, v) for k, v in os.environ.items()
                 if k.startswith("MPL") or k in ("MATPLOTLIBRC", "HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"))
    home = Path.home()
    config_dir = os.environ.get("MPLCONFIGDIR") or str(Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
                                                      / "matplotlib")
    cache_dir = os.environ.get("MPLCONFIGDIR") or str(Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache")
                                                     / "matplotlib")
    paths = [str(Path.cwd() / "matplotlibrc"), str(Path(config_dir) / "matplotlibrc"),
             os.environ.get("MATPLOTLIBRC") or "", *sorted(glob.glob(str(Path(cache_dir) / "fontlist-*.json"))),
             "/var/cache/fontconfig", str(home / ".cache" / "fontconfig"), "/etc/fonts/fonts.conf"]
    stats = []
    for path in paths:
        try:
            st = os.stat(path)
            stats.append([path, st.st_size, st.st_mtime_ns])
        except OSError:
            stats.append([path, None])
    return [env, stats]


# --------------------------------------------------------------------------- drivers and priorities

def _quadrant_colours(cs: ChartStyle) -> dict[str, str]:
    """One colour per importance–performance quadrant, the same on the driver and priority charts:
    the brand's accent and primary for the two important quadrants, then a grey and a fourth
    colour that each stay apart from those already taken (an amber beside a gold accent reads
    as the same class): the first of a few candidates far enough from all of them."""
    taken = [cs.accent, cs.primary]

    def pick(candidates: tuple[str, ...]) -> str:
        def apart(c) -> float:
            return min(sum((a - b) ** 2 for a, b in zip(to_rgb(c), to_rgb(other))) ** 0.5 for other in taken)
        chosen = next((c for c in candidates if apart(c) >= 0.3), max(candidates, key=apart))
        taken.append(chosen)
        return chosen

    low = pick(("#8A939D", "#B8BEC6", "#5B6470"))
    overkill = pick(("#B26A00", "#6A4C93", "#2E7D32", "#00838F"))
    return {CONCENTRATE: cs.accent, KEEP_UP: cs.primary, LOW_PRIORITY: low, OVERKILL: overkill}


@_narrowable
def quadrant(chart_id: str, analysis, cs: ChartStyle) -> Chart:
    """Importance–performance quadrant (Martilla & James): split at the means of each axis."""
    rows = analysis.rows
    xs = [r.performance for r in rows]
    ys = [r.importance for r in rows]
    mx, my = float(sum(xs) / len(xs)), float(sum(ys) / len(ys))
    with _drawing(cs):
        fig = _new_figure(cs, 7.0, 4.6, narrow_height=5.6)
        ax = fig.add_subplot()
        # Each point in its quadrant's colour, the same as on the priority chart (and each
        # corner's name in it), so one class never reads as two.
        palette = _quadrant_colours(cs)
        colours = [palette.get(r.quadrant, cs.primary) for r in rows]
        # The importance's bootstrap interval as a whisker through each point (drivers.bootstrap).
        ranged = [(r.performance, r.low, r.high, c) for r, c in zip(rows, colours)
                  if getattr(r, "low", None) is not None and getattr(r, "high", None) is not None]
        if ranged:
            ax.vlines([x for x, *_ in ranged], [lo for _, lo, _, _ in ranged], [hi for *_, hi, _ in ranged],
                      colors=[c for *_, c in ranged], linewidth=1.3, alpha=0.75, zorder=2)
        ax.scatter(xs, ys, s=46, color=colours, zorder=3)
        ax.axvline(mx, color="#8A939D", linewidth=1, linestyle=(0, (4, 3)))
        ax.axhline(my, color="#8A939D", linewidth=1, linestyle=(0, (4, 3)))
        xpad = max((max(xs) - min(xs)) * 0.25, 3)
        y_lo = min([*ys, *(lo for _, lo, _, _ in ranged)])
        y_hi = max([*ys, *(hi for *_, hi, _ in ranged)])
        ypad = max((y_hi - y_lo) * 0.2, 2)
        ax.set_xlim(min(xs) - xpad * 0.6, max(xs) + xpad * (1.8 if is_narrow() else 1.0))
        ax.set_ylim(max(0, y_lo - ypad * 1.3), y_hi + ypad * 1.3)
        ax.grid(visible=False)
        ax.set_xlabel(_("Performance: mean rating rescaled to 0–100"))
        ax.set_ylabel(_("Importance: % of R²"))
        ax.set_title(_("R² = {r2}, n = {n}").format(r2=num(analysis.r2, 3), n=num(analysis.n)), fontsize=_fs(9),
                     loc="right", fontweight="normal")
        _settle(fig)
        room = _Room(fig)
        room.lines(ax)
        for coll in ax.collections:
            room.collection(coll)
        x0, x1 = ax.get_xlim()
        y0, y1 = ax.get_ylim()
        words = dict(fontsize=_fs(8.5), fontweight="bold")
        corners = [(CONCENTRATE, (x0, y1), (4, -4), "left", "top", readable(palette[CONCENTRATE])),
                   (KEEP_UP, (x1, y1), (-4, -4), "right", "top", readable(palette[KEEP_UP])),
                   (LOW_PRIORITY, (x0, y0), (4, 4), "left", "bottom", readable(palette[LOW_PRIORITY])),
                   (OVERKILL, (x1, y0), (-4, 4), "right", "bottom", readable(palette[OVERKILL]))]
        for name, xy, (dx, dy), ha, va, colour in corners:
            # the name in its corner; on two lines, or a little further in, when it would meet a point
            words_shown = _(name)
            halves = words_shown.split(" ")
            two = " ".join(halves[:(len(halves) + 1) // 2]) + "\n" + " ".join(halves[(len(halves) + 1) // 2:]) \
                if len(halves) > 1 else words_shown
            cands = [{"xy": xy, "offset": (dx, dy), "ha": ha, "va": va},
                     {"xy": xy, "offset": (dx, dy - 10 if dy < 0 else dy + 10), "ha": ha, "va": va}]
            if room.place(ax, words_shown, cands, color=colour, optional=True, multialignment=ha, **words) is None:
                room.place(ax, two, cands, color=colour, multialignment=ha, **words)
        _label_points(room, ax, [(r.performance, r.importance, r.name) for r in rows],
                      fontsize=7.2 if is_narrow() else 8)
    alt = _("Importance–performance quadrant: ") + "; ".join(
        f"{r.name} {pct(r.importance)}"
        + (f" ({num(r.low, 1)}–{num(r.high, 1)})" if getattr(r, "low", None) is not None else "")
        + f" / {num(r.performance)} ({_(r.quadrant)})" for r in rows)
    return _render(fig, chart_id, _("Key drivers"), alt)


@_narrowable
def pareto(chart_id: str, rows: list[dict], cs: ChartStyle) -> Chart:
    """Negative comments by theme, largest first, with the cumulative % line and the 80 % mark."""
    with _drawing(cs):
        fig = _new_figure(cs, 7.0, 3.2, narrow_height=4.4)
        ax = fig.add_subplot()
        xs = list(range(len(rows)))
        ax.bar(xs, [r["count"] for r in rows], color="#C62828", width=0.62)
        ax.set_xticks(xs, [plain(r["theme"]) for r in rows], rotation=25 if not is_narrow() else 40, ha="right",
                      fontsize=_fs(8))
        ax.set_ylabel(_("Negative comments"))
        ax.grid(axis="x", visible=False)
        ax.grid(axis="y", visible=True)
        line = ax.twinx()
        line.plot(xs, [r["cumulative"] for r in rows], color=cs.primary, marker="o", markersize=4, linewidth=1.8)
        line.axhline(80, color=INK, linestyle=(0, (4, 3)), linewidth=1)
        line.set_ylim(0, 105)
        ax.set_ylim(0, max([r["count"] for r in rows] + [1]) * 1.05)
        line.set_ylabel(_("Cumulative %"))
        line.grid(False)
        for side in ("top",):
            line.spines[side].set_visible(False)
        line.spines["right"].set_visible(True)
        _settle(fig)
        room = _Room(fig)
        room.lines(line)
        for patch in ax.patches:
            room.artist(patch)
        right, left = (len(rows) - 0.5, 80), (-0.5, 80)
        room.place(line, pct(80), [{"xy": right, "offset": (-2, 3), "ha": "right", "va": "bottom"},
                                   {"xy": right, "offset": (-2, -3), "ha": "right", "va": "top"},
                                   {"xy": left, "offset": (2, 3), "ha": "left", "va": "bottom"},
                                   {"xy": left, "offset": (2, -3), "ha": "left", "va": "top"},
                                   {"xy": right, "offset": (3, 0), "ha": "left", "va": "center"}],
                   bounds="figure", fontsize=_fs(8), color=INK)
    alt = _("Negative comments by theme: ") + "; ".join(
        _("{theme} {n} ({share} cumulative)").format(theme=r["theme"], n=num(r["count"]), share=pct(r["cumulative"]))
        for r in rows)
    return _render(fig, chart_id, _("Pareto of negative themes"), alt)


#: Marker shape of each effort level on the priority chart.
EFFORT_MARKERS = {"low": "o", "medium": "s", "high": "^"}


@_narrowable
def priority_matrix(chart_id: str, priorities: list, cs: ChartStyle) -> Chart:
    """Impact (importance × gap) against current performance. Colour: the driver's
    importance–performance quadrant, named as on the key-driver chart and in every table
    (keydrivers.QUADRANTS); shape: the effort to improve it, when the project rates effort.
    The dashed line is mean performance, the split the quadrants share."""
    colours = _quadrant_colours(cs)
    with _drawing(cs):
        fig = _new_figure(cs, 7.0, 4.4, narrow_height=5.6)
        ax = fig.add_subplot()
        rated = any(p.effort for p in priorities)
        for p in priorities:
            marker = EFFORT_MARKERS.get(p.effort or "", "o") if rated else "o"
            ax.scatter([p.performance], [p.impact], s=58 if marker != "o" else 52, marker=marker,
                       color=colours.get(p.quadrant, cs.primary), zorder=3)
        xs = [p.performance for p in priorities]
        mean_perf = sum(xs) / len(xs)
        ax.axvline(mean_perf, color="#8A939D", linestyle=(0, (4, 3)), linewidth=1)
        ax.set_xlim(min(xs) - 5, max(xs) + (20 if is_narrow() else 12))
        ax.set_ylim(0, max(p.impact for p in priorities) * 1.25 + 0.1)
        ax.set_xlabel(_("Current performance (0–100)"))
        ax.set_ylabel(_("Impact: importance × gap"))
        seen = [q for q in QUADRANTS.values() if any(p.quadrant == q for p in priorities)]
        narrow = is_narrow()
        fig.legend(handles=[Line2D([], [], marker="o", linestyle="", color=colours.get(q, cs.primary), label=_(q))
                            for q in seen], title=_("Quadrant"), loc="outside upper left",
                   ncol=min(len(seen), 2 if narrow else 4), alignment="left")
        if rated:
            levels = [e for e in EFFORT_MARKERS if any(p.effort == e for p in priorities)]
            fig.legend(handles=[Line2D([], [], marker=EFFORT_MARKERS[e], linestyle="", color="#5B6470", label=_(e))
                                for e in levels], title=_("Effort"),
                       loc="outside lower left", ncol=len(levels), alignment="left")
        ax.grid(visible=False)
        _settle(fig)
        room = _Room(fig)
        room.lines(ax)
        for coll in ax.collections:
            room.collection(coll)
        _label_points(room, ax, [(p.performance, p.impact, p.name) for p in priorities],
                      fontsize=7.2 if is_narrow() else 8)
    alt = _("Priority matrix: ") + "; ".join(
        _("{name} impact {impact}, {quadrant}").format(name=p.name, impact=num(p.impact, 1), quadrant=_(p.quadrant))
        for p in priorities)
    note = _("Colour: the driver's quadrant on the key-driver chart (importance and performance); "
             "shape: the effort to improve it. Dashed line: mean performance.") if rated else \
        _("Colour: the driver's quadrant on the key-driver chart (importance and performance). "
          "Dashed line: mean performance.")
    return _render(fig, chart_id, _("Priority matrix"), alt, note)


@_narrowable
def journey(chart_id: str, jmap, cs: ChartStyle) -> Chart:
    """Stages left to right, touchpoints as points on a score line; pain points in red. The
    value axis follows the line-chart rule (MIN_SPAN; a break mark and a note off zero)."""
    if is_narrow():
        return _journey_down(chart_id, jmap, cs)
    points = jmap.touchpoints
    unit = jmap.unit
    with _drawing(cs):
        fig = _new_figure(cs, 7.2, 3.8)
        ax = fig.add_subplot()
        xs = list(range(len(points)))
        shown = [(x, p) for x, p in zip(xs, points) if p.value is not None]
        ax.plot([x for x, _p in shown], [p.value for _x, p in shown], color=cs.primary, linewidth=2, zorder=2)
        for x, p in shown:
            colour = DETRACTOR if p.pain else cs.primary
            ax.plot([x], [p.value], marker="o", linestyle="", markersize=8.5 if p.pain else 6.5, color=colour,
                    zorder=3)
            if p.target is not None:
                ax.plot([x - 0.3, x + 0.3], [p.target, p.target], color=INK, linewidth=1, linestyle=(0, (3, 2)))
        values = [p.value for _x, p in shown] + [p.target for p in points if p.target is not None]
        lo, hi = _value_axis(values, unit if unit in MIN_SPAN else "points", headroom=0.22) if values else (0, 1)
        # room at the top for the stage names
        top = hi + (hi - lo) * 0.16
        _value_ticks(ax, lo, hi, unit if unit in MIN_SPAN else "points")
        ax.set_ylim(lo, top)
        ax.set_xlim(-0.5, len(points) - 0.5)
        ax.set_xticks(xs, [plain(p.name) + ("*" if p.base == "small" else "") for p in points], rotation=30,
                      ha="right", fontsize=_fs(7.5))
        ax.grid(axis="x", visible=False)
        ax.set_ylabel(jmap.kpi)
        _settle(fig)
        if lo > 0:
            _break_mark(ax)
        room = _Room(fig)
        # stage bands and names
        for k, stage in enumerate(jmap.stages):
            members = [x for x, p in zip(xs, points) if p.stage == stage]
            if not members:
                continue
            a, b = min(members) - 0.5, max(members) + 0.5
            if k % 2 == 0:
                ax.axvspan(a, b, color="#EEF1F4", zorder=0)
            name = ax.text((a + b) / 2, top, plain(stage), ha="center", va="top", fontsize=_fs(8.5),
                           fontweight="bold", color=readable(cs.primary, "#EEF1F4"), wrap=False)
            name.set_in_layout(False)
            fit = Bbox(ax.transData.transform([(a, lo), (b, top)]))
            box = name.get_window_extent(room.renderer)
            if box.width > fit.width - 4 and " " in stage:
                name.set_text(plain(stage).replace(" ", "\n", 1))
                box = name.get_window_extent(room.renderer)
            room.boxes.append(("stage", box))
        room.lines(ax)
        values_by_x = [p.value for p in points]
        _line_labels(room, ax, [(x, p.value, fmt_figure(p.value, unit)) for x, p in shown], values_by_x,
                     [p.target for _x, p in shown],
                     fontsize=8, gap=5.0, colours=[readable(DETRACTOR if p.pain else cs.primary, "#EEF1F4")
                                                   for _x, p in shown],
                     weights=["bold" if p.pain else "normal" for _x, p in shown])
    note = _axis_start_words(lo, unit) if lo > 0 else ""
    alt = _("Journey map: ") + "; ".join(f"{p.stage} / {p.name} {fmt_figure(p.value, unit)}"
                                        + (_(" (pain point)") if p.pain else "") for p in points)
    return _render(fig, chart_id, _("Journey map"), alt, note)


def _journey_down(chart_id: str, jmap, cs: ChartStyle) -> Chart:
    """The journey map for a phone: stages and touchpoints top to bottom (each stage's name in
    bold above its touchpoints), the score across; the same rules as the wide map."""
    points = jmap.touchpoints
    unit = jmap.unit
    rows: list[tuple[str, object]] = []           # ("stage", name) or ("point", touchpoint), top to bottom
    for stage in jmap.stages:
        members = [p for p in points if p.stage == stage]
        if members:
            rows.append(("stage", stage))
            rows += [("point", p) for p in members]
    rows += [("point", p) for p in points if p.stage not in jmap.stages]
    n = len(rows)
    ys = {id(item): n - 1 - k for k, (kind, item) in enumerate(rows) if kind == "point"}
    with _drawing(cs):
        fig = _new_figure(cs, 7.2, 3.8, narrow_height=1.1 + 0.36 * n)
        ax = fig.add_subplot()
        shown = [p for kind, p in rows if kind == "point" and p.value is not None]
        ax.plot([p.value for p in shown], [ys[id(p)] for p in shown], color=cs.primary, linewidth=2, zorder=2)
        for p in shown:
            ax.plot([p.value], [ys[id(p)]], marker="o", linestyle="", markersize=8.5 if p.pain else 6.5,
                    color=DETRACTOR if p.pain else cs.primary, zorder=3)
            if p.target is not None:
                ax.plot([p.target, p.target], [ys[id(p)] - 0.3, ys[id(p)] + 0.3], color=INK, linewidth=1,
                        linestyle=(0, (3, 2)))
        values = [p.value for p in shown] + [p.target for p in points if p.target is not None]
        lo, hi = _value_axis(values, unit if unit in MIN_SPAN else "points", headroom=0.3) if values else (0, 1)
        _value_ticks(ax, lo, hi, unit if unit in MIN_SPAN else "points", axis="x")
        ax.set_ylim(-0.6, n - 0.4)
        ax.set_yticks(range(n), [plain(item if kind == "stage" else item.name + ("*" if item.base == "small" else ""))
                                 for kind, item in reversed(rows)])
        for label, (kind, _item) in zip(ax.get_yticklabels(), list(reversed(rows))):
            if kind == "stage":
                label.set_fontweight("bold")
                label.set_color(readable(cs.primary))
        band = 0
        k = 0
        while k < n:
            if rows[k][0] == "stage":
                end = k + 1
                while end < n and rows[end][0] == "point":
                    end += 1
                if band % 2 == 0:
                    ax.axhspan(n - 1 - (end - 1) - 0.5, n - 1 - k + 0.5, color="#EEF1F4", zorder=0)
                band += 1
                k = end
            else:
                k += 1
        ax.grid(axis="y", visible=False)
        ax.grid(axis="x", visible=True)
        ax.set_xlabel(jmap.kpi)
        _settle(fig)
        room = _Room(fig)
        room.lines(ax)
        by_y = {ys[id(p)]: p.value for p in shown}
        for p in shown:
            y = ys[id(p)]
            near = [by_y[v] for v in (y - 1, y + 1, y - 2, y + 2) if v in by_y][:2]
            right = not near or all(v <= p.value for v in near) or (
                not all(v > p.value for v in near) and p.target is not None and p.value >= p.target)
            side = [{"xy": (p.value, y), "offset": (6, 0), "ha": "left", "va": "center"},
                    {"xy": (p.value, y), "offset": (-6, 0), "ha": "right", "va": "center"}]
            cands = (side if right else side[::-1]) + _around((p.value, y), 6.0, "above")
            if p.target is not None:      # past the target's tick, on the side it is on
                sign = 1 if p.target >= p.value else -1
                cands.insert(2, {"xy": (p.target, y), "offset": (sign * 5, 0), "ha": "left" if sign > 0 else "right",
                                 "va": "center"})
            colour = readable(DETRACTOR if p.pain else cs.primary, "#EEF1F4")
            room.place(ax, fmt_figure(p.value, unit), cands, fontsize=_fs(8), color=colour,
                       fontweight="bold" if p.pain else "normal")
    note = _axis_start_words(lo, unit) if lo > 0 else ""
    alt = _("Journey map: ") + "; ".join(f"{p.stage} / {p.name} {fmt_figure(p.value, unit)}"
                                        + (_(" (pain point)") if p.pain else "") for p in points)
    return _render(fig, chart_id, _("Journey map"), alt, note)


# --------------------------------------------------------------------------- phone-width variants later

def add_narrow_variants(deferred: dict, drawn: dict, processes: int | None = None) -> dict:
    """``drawn`` (``deferred`` after :func:`draw_all` without ``narrow``) with every
    narrowable chart's phone-width variant drawn now: the HTML report's charts, drawn while the
    PDF is made. ``processes=1`` draws here (the PDF process has the other core)."""
    jobs: list[Deferred] = []
    _collect(deferred, jobs)
    narrowable = [job for job in jobs if getattr(job.fn, "narrowable", False)]

    def draw_many(todo: list[Deferred]) -> list[bytes]:
        return _map_charts(_draw_narrow_only, todo, processes, apart=True)

    narrow = _narrow_through_cache(narrowable, draw_many)     # docs/cache.md
    variants = {id(job): png for job, png in zip(narrowable, narrow)}
    charts: dict[int, Chart] = {}
    _pair(deferred, drawn, variants, charts)
    return _replace(deferred, {id(job): charts[id(job)] for job in jobs})


def _draw_narrow_only(job: Deferred) -> bytes:
    with _narrow_drawing():
        return job.fn(*job.args, **job.kwargs).png


def _pair(deferred, drawn, variants: dict, out: dict) -> None:
    """Walk ``deferred`` and ``drawn`` together: each Deferred's drawn Chart, with its variant."""
    import dataclasses

    if isinstance(deferred, Deferred):
        if id(deferred) not in out:
            out[id(deferred)] = dataclasses.replace(drawn, narrow=variants.get(id(deferred)))
    elif isinstance(deferred, dict):
        for key, value in deferred.items():
            _pair(value, drawn[key], variants, out)
    elif isinstance(deferred, (list, tuple)):
        for a, b in zip(deferred, drawn):
            _pair(a, b, variants, out)
