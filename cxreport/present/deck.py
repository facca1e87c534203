"""The PowerPoint deck (``build --format pptx``): the key slides of a report, for
consultants who present.

16:9 slides in the brand colours and font: a title slide, the KPI scorecard, trends,
key drivers, improvement priorities and a closing methodology and base slide (the
quarterly review adds what changed and the top improvers and decliners). Charts are the
PNGs the report already drew (placed as pictures with their alt text); every figure is
text in a native table, formatted by the report's own filters
(:mod:`cxreport.present.formatting`). User text (client name, labels, titles) goes in as
plain text runs: nothing in it is interpreted, and every run and alt text passes through
:func:`cxreport.textclean.for_xml` (characters XML cannot hold are dropped; Word's soft line
break becomes a line break in the slide), so no text in the data can make the deck fail.

A slide appears only when the report has content for it: for the client report, when its
section is in ``context["sections"]`` (the report's own rule); for the quarterly review,
when the review has the data. python-pptx cannot measure text, so table rows and text
boxes are sized from a conservative estimate of how the text wraps and shrink (down to a
floor) until they fit their box; nothing is placed outside the 13.33 × 7.5 in slide.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

from cxreport import i18n
from cxreport.i18n import _
from cxreport.pipeline import Study
from cxreport.present.context import est_cell
from cxreport.present.formatting import DASH, MARKS, figure, gap, num, pct, plain_cell
from cxreport.textclean import for_xml

SLIDE_W, SLIDE_H = 12192000 / 914400, 7.5   # inches: PowerPoint's 16:9 (13.33 × 7.5 in)
MARGIN = 0.5
CONTENT_TOP = 1.42
CONTENT_BOTTOM = 6.78                   # the footer sits below
INK, MUTED, ZEBRA, WHITE = "1D232A", "5B6470", "F5F7F9", "FFFFFF"
STATUS_COLOURS = {"green": ("2E7D32", "E6F2E7"), "amber": ("B26A00", "FFF3D6"), "red": ("C62828", "FBE4E4")}
MARK_COLOURS = {1: "2E7D32", -1: "C62828"}
#: Periods in the trend slide's table (the client report); the quarterly uses its own quarters, at most 6.
TREND_ROWS = 4
#: Rows of the drivers table.
TOP_DRIVERS = 8

LINE_HEIGHT = 1.22                      # line pitch as a share of the font size
SAFETY = 1.08                           # measured widths grow by this much (renderers differ)
AUTOSPACE = 0.25                        # em added where Chinese meets Latin text or digits (LibreOffice adds it)
CELL_MARGIN_X, CELL_MARGIN_Y = 0.08, 0.05


@dataclass
class Cell:
    """One table cell: its text, a significance mark drawn as a coloured arrow after it,
    an optional smaller second line, and its look."""

    text: str
    mark: int = 0
    note: str = ""
    bold: bool = False
    colour: str | None = None
    fill: str | None = None
    align: str = "right"


def _hex(colour: str) -> str:
    return colour.lstrip("#").upper()


def _cell_paragraphs(c: Cell, size: float) -> list[tuple[str, float, bool]]:
    text = c.text + (" " + MARKS[c.mark] if c.mark else "")
    return [(text, size, c.bold)] + ([(c.note, size * 0.72, False)] if c.note else [])


#: Characters a line may break before or after on its own (CJK ideographs, kana, hangul,
#: CJK and full-width punctuation): Chinese text has no spaces between words.
_CJK = re.compile(r"[\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf"
                  r"\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]")


def _pieces(part: str) -> list[tuple[str, bool]]:
    """The units a line of ``part`` may break between, each with whether a space comes
    before it: words, and every CJK character on its own."""
    out = []
    for k, word in enumerate(part.split(" ")):
        for j, piece in enumerate(re.findall(f"{_CJK.pattern}|(?:(?!{_CJK.pattern}).)+", word)):
            out.append((piece, k > 0 and j == 0))
    return out


class _FullWidth:
    """Stands in for a CJK font that is not installed: every character one em wide, the
    usual CJK line pitch."""

    def getlength(self, text: str) -> float:
        return 100.0 * len(text)

    def getmetrics(self) -> tuple[int, int]:
        return 116, 29


class Metrics:
    """Text measured with the brand font's own files (matplotlib's font manager finds
    them; DejaVu Sans, the widest of the supported fonts, stands in for a font that is
    not installed), so boxes and table rows are sized to the text they hold. Characters
    the brand font lacks (Chinese) are measured with the CJK face the deck names for
    them (Noto Sans CJK SC, one em wide each), and a line holding them is as tall as
    that face's line pitch; Chinese text may break between any two characters."""

    def __init__(self, family: str):
        from fontTools.ttLib import TTFont
        from matplotlib import font_manager
        from PIL import ImageFont

        from cxreport.present.charts import CJK_FONT, ensure_cjk_font, font_available

        ensure_cjk_font()
        cjk_installed = font_available(CJK_FONT)
        self.fonts, self.cjk, self.pitch, self.cjk_pitch = {}, {}, {}, {}
        for bold in (False, True):
            weight = "bold" if bold else "normal"
            path = font_manager.findfont(font_manager.FontProperties(family=[family, "DejaVu Sans"], weight=weight))
            self.fonts[bold] = ImageFont.truetype(path, 100)
            if not bold:
                try:
                    with TTFont(path, lazy=True, fontNumber=0) as font:
                        self.covered: set[int] | None = set(font.getBestCmap() or {})
                except Exception:  # noqa: BLE001 - a font fontTools cannot read: CJK is what it lacks
                    self.covered = None
            self.cjk[bold] = (ImageFont.truetype(font_manager.findfont(font_manager.FontProperties(
                family=CJK_FONT, weight=weight)), 100) if cjk_installed else _FullWidth())
            self.pitch[bold] = max(LINE_HEIGHT, sum(self.fonts[bold].getmetrics()) / 100)
            self.cjk_pitch[bold] = max(self.pitch[bold], sum(self.cjk[bold].getmetrics()) / 100)
        self._cache: dict[tuple[str, bool], float] = {}

    def _foreign(self, ch: str) -> bool:
        """Whether ``ch`` comes from the CJK face (the brand font has no glyph for it)."""
        if self.covered is None:
            return bool(_CJK.match(ch))
        return ord(ch) not in self.covered and ch not in "\n\t"

    def width(self, text: str, size: float, bold: bool = False) -> float:
        """Width in inches of one line of ``text`` at ``size`` points."""
        key = (text, bold)
        if key not in self._cache:
            total, run, foreign = 0.0, "", False
            for ch in text + "\0":
                other = ch != "\0" and self._foreign(ch)
                if (other != foreign or ch == "\0") and run:
                    total += (self.cjk[bold] if foreign else self.fonts[bold]).getlength(run)
                    if ch != "\0" and not run.endswith(" ") and ch != " ":
                        total += AUTOSPACE * 100      # renderers may space Chinese from Latin and digits
                    run = ""
                run, foreign = run + ch, other
            self._cache[key] = total / 100 * SAFETY
        return self._cache[key] * size / 72

    def line_pitch(self, text: str, bold: bool = False) -> float:
        """A line's height as a share of the font size: the CJK face's when the text needs it."""
        return self.cjk_pitch[bold] if any(self._foreign(ch) for ch in text) else self.pitch[bold]

    def lines(self, text: str, width_in: float, size: float, bold: bool = False) -> int:
        """How many lines ``text`` wraps to (between words, and between CJK characters) in
        a box ``width_in`` wide; a word wider than the box breaks inside itself."""
        width_in = max(width_in, 0.05)
        total = 0
        for part in (text or " ").split("\n"):
            done, line = 0, ""
            for piece, space in _pieces(part):
                trial = f"{line}{' ' if space else ''}{piece}" if line else piece
                if line and self.width(trial, size, bold) > width_in:
                    done, line = done + 1, piece
                else:
                    line = trial
                if " " not in line and self.width(line, size, bold) > width_in:
                    done, line = done + math.ceil(self.width(line, size, bold) / width_in), ""
            total += max(1, done + (1 if line else 0))
        return total

    def height(self, paragraphs: list[tuple[str, float, bool]], width_in: float, space_after: float = 0) -> float:
        """Height in inches of paragraphs (text, size pt, bold) in a box ``width_in`` wide."""
        return sum(self.lines(t, width_in, s, b) * s * self.line_pitch(t, b) / 72 + space_after * s / 72
                   for t, s, b in paragraphs)

    def column_widths(self, rows: list[list[Cell]], width: float, size: float, fill: bool,
                      force: bool = False) -> list[float] | None:
        """Column widths (inches) for ``rows`` (the header first) at ``size``: every column
        at least as wide as its longest word; columns whose body text fits on one line
        (and header on two) within a common cap get that width, the widest are capped (and
        wrap). ``None`` when even the longest words do not fit in ``width``
        (unless ``force``: then in proportion)."""
        pad = 2 * CELL_MARGIN_X + 0.02
        cols = list(zip(*rows))
        mins = [pad + max(self.width(w, s, b) for c in col for t, s, b in _cell_paragraphs(c, size)
                          for line in t.split("\n") for w, _space in _pieces(line) or [("", False)]) for col in cols]
        body = [max(self.width(line, s, b) for c in col[1:] or col
                    for t, s, b in _cell_paragraphs(c, size) for line in t.split("\n")) for col in cols]
        head = [self.width(c.text, size, c.bold) / 2 for c in rows[0]]          # headers: two lines at most
        prefs = [max(m, pad + b, pad + h) for m, b, h in zip(mins, body, head)]
        if sum(prefs) <= width:
            return prefs if not fill else [p * width / sum(prefs) for p in prefs]
        if sum(mins) <= width:
            low, high = 0.0, max(prefs)                     # the cap: sum(clamp(cap)) == width
            for _i in range(40):
                cap = (low + high) / 2
                low, high = (cap, high) if sum(max(m, min(p, cap)) for m, p in zip(mins, prefs)) < width else (low, cap)
            widths = [max(m, min(p, low)) for m, p in zip(mins, prefs)]
            return [w * width / sum(widths) for w in widths]
        return [m * width / sum(mins) for m in mins] if force else None

    def row_height(self, row: list[Cell], widths: list[float], size: float) -> float:
        return max(self.height(_cell_paragraphs(c, size), w - 2 * CELL_MARGIN_X)
                   for c, w in zip(row, widths)) + 2 * CELL_MARGIN_Y + 0.03


class _Deck:
    def __init__(self, study: Study, context: dict):
        from pptx import Presentation
        from pptx.util import Emu

        self.study, self.ctx = study, context
        self.prs = Presentation()
        self.prs.slide_width, self.prs.slide_height = Emu(12192000), Emu(6858000)
        brand = context["brand"]
        self.primary, self.accent, self.font = _hex(brand["primary"]), _hex(brand["accent"]), brand["font"]
        self.m = Metrics(self.font)
        self.lang = i18n.current().code
        self.footer = f"{context['client']['name']} · {context['report']['title']}"

    # ------------------------------------------------------------------ primitives

    def _run(self, paragraph, text: str, size: float, *, bold: bool = False, colour: str = INK):
        """Add ``text`` to ``paragraph`` as runs in one format; a line break in the text is a
        line break in the slide (``a:br``). Returns the first run."""
        lines = for_xml(str(text)).split("\n")
        first = self._add_run(paragraph, lines[0], size, bold=bold, colour=colour)
        for line in lines[1:]:
            paragraph.add_line_break()
            self._add_run(paragraph, line, size, bold=bold, colour=colour)
        return first

    def _add_run(self, paragraph, text: str, size: float, *, bold: bool, colour: str):
        from pptx.dml.color import RGBColor
        from pptx.util import Pt

        run = paragraph.add_run()
        run.text = text
        run.font.name = self.font
        run.font.size = Pt(size)
        run.font.bold = bold
        run.font.color.rgb = RGBColor.from_string(colour)
        self._east_asian(run)
        return run

    def _east_asian(self, run) -> None:
        """Chinese characters in the run come from the CJK face (``a:ea``; PowerPoint does not
        fall back from the Latin font by itself), and the run carries the report's language."""
        from pptx.oxml.ns import qn

        from cxreport.present.charts import CJK_FONT

        rpr = run._r.get_or_add_rPr()
        ea = rpr.find(qn("a:ea"))
        if ea is None:
            ea = rpr.makeelement(qn("a:ea"), {})
            rpr.find(qn("a:latin")).addnext(ea)
        ea.set("typeface", CJK_FONT)
        if self.lang != "en":
            rpr.set("lang", self.lang)
            rpr.set("altLang", "en-US")

    def _rect(self, slide, left, top, width, height, colour: str):
        from pptx.dml.color import RGBColor
        from pptx.enum.shapes import MSO_SHAPE
        from pptx.util import Inches

        shape = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, Inches(left), Inches(top), Inches(width), Inches(height))
        shape.fill.solid()
        shape.fill.fore_color.rgb = RGBColor.from_string(colour)
        shape.line.fill.background()
        shape.shadow.inherit = False
        return shape

    def _frame(self, frame, *, anchor: str = "top", wrap: bool = True, margin: float = 0.0):
        from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE
        from pptx.util import Inches

        frame.word_wrap = wrap
        frame.auto_size = MSO_AUTO_SIZE.NONE
        frame.vertical_anchor = {"top": MSO_ANCHOR.TOP, "middle": MSO_ANCHOR.MIDDLE, "bottom": MSO_ANCHOR.BOTTOM}[anchor]
        frame.margin_left = frame.margin_right = frame.margin_top = frame.margin_bottom = Inches(margin)

    def text(self, slide, left, top, width, max_height, paragraphs: list[tuple[str, float, bool, str]], *,
             min_size: float = 10, anchor: str = "top", align: str = "left", bullets: bool = False,
             space_after: float = 0.35) -> float:
        """A text box of paragraphs (text, size, bold, colour), shrunk until it fits
        ``max_height``; returns the height it takes."""
        from pptx.enum.text import PP_ALIGN
        from pptx.util import Inches, Pt

        scale = 1.0
        prefix = "• " if bullets else ""
        while True:
            sized = [(prefix + t, s * scale, b) for t, s, b, _c in paragraphs]
            height = self.m.height(sized, width, space_after)
            if height <= max_height or min(s for _t, s, _b in sized) <= min_size:
                break
            scale *= 0.93
        height = min(height, max_height)
        box = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
        self._frame(box.text_frame, anchor=anchor)
        for k, (text, size, bold, colour) in enumerate(paragraphs):
            p = box.text_frame.paragraphs[0] if k == 0 else box.text_frame.add_paragraph()
            p.alignment = {"left": PP_ALIGN.LEFT, "center": PP_ALIGN.CENTER, "right": PP_ALIGN.RIGHT}[align]
            p.space_after = Pt(space_after * size * scale)
            p.line_spacing = 1.0
            self._run(p, prefix + text, size * scale, bold=bold, colour=colour)
        return height

    def picture(self, slide, chart, left, top, width, height, *, caption: bool = True) -> tuple[float, float]:
        """A chart PNG fitted (aspect kept) and centred in the box, with its alt text, and
        its note as a small caption below when it has one; returns the size used."""
        from PIL import Image
        from pptx.util import Inches

        note = chart.note if caption else ""
        note_h = self.m.height([(note, 10, False)], width) if note else 0
        with Image.open(io.BytesIO(chart.png)) as image:
            px_w, px_h = image.size
        scale = min(width / px_w, (height - note_h) / px_h)
        w, h = px_w * scale, px_h * scale
        x = left + (width - w) / 2
        pic = slide.shapes.add_picture(io.BytesIO(chart.png), Inches(x), Inches(top), Inches(w), Inches(h))
        pic.name = f"Chart {chart.id}"
        pic._element.nvPicPr.cNvPr.set("descr", for_xml(chart.alt))
        if note:
            self.text(slide, left, top + h + 0.02, width, note_h, [(note, 10, False, MUTED)])
        return w, h + note_h

    def table(self, slide, left, top, width, max_height, header: list[str], rows: list[list[Cell]], *,
              size: float = 14, min_size: float = 10, fill: bool = True) -> float:
        """A native table with a brand-coloured header and zebra rows. Columns are as wide
        as their text asks (never narrower than their longest word), filling ``width`` or,
        with ``fill=False``, only as much of it as they need; the font shrinks until the
        rows fit ``max_height``. Returns the table's height."""
        from pptx.util import Inches

        all_rows = [self._header(header, rows)] + rows
        s, widths, heights = self._fit(all_rows, width, size, min_size, max_height, fill)
        frame = slide.shapes.add_table(len(all_rows), len(header), Inches(left), Inches(top), Inches(sum(widths)),
                                       Inches(sum(heights)))
        frame.name = "Table"
        table = frame.table
        table.first_row, table.horz_banding = True, False
        for j, w in enumerate(widths):
            table.columns[j].width = Inches(w)
        frame.width = sum(c.width for c in table.columns)
        for i, (row, h) in enumerate(zip(all_rows, heights)):
            table.rows[i].height = Inches(h)
            for j, c in enumerate(row):
                self._cell(table.cell(i, j), c, s, c.fill or (WHITE if i % 2 else ZEBRA))
        frame.height = sum(r.height for r in table.rows)
        return sum(heights)

    def table_height(self, width: float, header: list[str], rows: list[list[Cell]], size: float,
                     fill: bool = True) -> float:
        """The height :meth:`table` gives these rows at ``size`` without shrinking."""
        return sum(self._fit([self._header(header, rows)] + rows, width, size, size, 0, fill)[2])

    def _header(self, header: list[str], rows: list[list[Cell]]) -> list[Cell]:
        """Header cells, aligned like the column below them."""
        aligns = [rows[0][j].align if rows and j else "left" for j in range(len(header))]
        return [Cell(h, bold=True, colour=WHITE, fill=self.primary, align=a) for h, a in zip(header, aligns)]

    def _fit(self, rows: list[list[Cell]], width: float, size: float, min_size: float, max_height: float,
             fill: bool) -> tuple[float, list[float], list[float]]:
        """The largest font size (down to ``min_size``) at which the rows fit: the size,
        column widths and row heights."""
        while True:
            widths = self.m.column_widths(rows, width, size, fill)
            if widths is not None:
                heights = [self.m.row_height(r, widths, size) for r in rows]
                if sum(heights) <= max_height:
                    return size, widths, heights
            if size <= min_size:
                widths = widths or self.m.column_widths(rows, width, size, fill, force=True)
                return size, widths, [self.m.row_height(r, widths, size) for r in rows]
            size -= 0.5

    def _cell(self, cell, c: Cell, size: float, fill: str):
        from pptx.dml.color import RGBColor
        from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
        from pptx.util import Inches

        cell.fill.solid()
        cell.fill.fore_color.rgb = RGBColor.from_string(fill)
        cell.margin_left = cell.margin_right = Inches(CELL_MARGIN_X)
        cell.margin_top = cell.margin_bottom = Inches(CELL_MARGIN_Y)
        cell.vertical_anchor = MSO_ANCHOR.MIDDLE
        frame = cell.text_frame
        frame.word_wrap = True
        align = {"left": PP_ALIGN.LEFT, "center": PP_ALIGN.CENTER, "right": PP_ALIGN.RIGHT}[c.align]
        p = frame.paragraphs[0]
        p.alignment = align
        self._run(p, c.text, size, bold=c.bold, colour=c.colour or INK)
        if c.mark:
            self._run(p, " " + MARKS[c.mark], size, bold=True, colour=MARK_COLOURS[c.mark])
        if c.note:
            q = frame.add_paragraph()
            q.alignment = align
            self._run(q, c.note, size * 0.72, colour=MUTED)

    # ------------------------------------------------------------------ slides

    def slide(self, title: str):
        """A content slide: title (a real title placeholder), accent rule, footer and number."""
        from pptx.enum.text import PP_ALIGN
        from pptx.util import Inches

        slide = self.prs.slides.add_slide(self.prs.slide_layouts[5])      # "Title Only"
        shape = slide.shapes.title
        shape.left, shape.top, shape.width, shape.height = Inches(MARGIN), Inches(0.3), Inches(SLIDE_W - 2 * MARGIN), Inches(0.85)
        self._frame(shape.text_frame, anchor="bottom")
        size = 28.0
        while self.m.lines(title, SLIDE_W - 2 * MARGIN, size, True) > 1 and size > 18:
            size -= 1
        p = shape.text_frame.paragraphs[0]
        p.alignment = PP_ALIGN.LEFT
        self._run(p, title, size, bold=True, colour=self.primary)
        self._rect(slide, MARGIN, 1.2, SLIDE_W - 2 * MARGIN, 0.045, self.accent)
        number = len(self.prs.slides)
        footer_w = SLIDE_W - 2 * MARGIN - 1.0
        footer = self.footer if self.m.lines(self.footer, footer_w, 10) == 1 else self.ctx["client"]["name"]
        self.text(slide, MARGIN, 7.0, footer_w, 0.3, [(footer, 10, False, MUTED)], min_size=7)
        self.text(slide, SLIDE_W - MARGIN - 0.8, 7.0, 0.8, 0.3, [(str(number), 10, False, MUTED)], align="right")
        return slide

    def title_slide(self, title: str, subtitle: str | None, period: str, lines: list[str]):
        from pptx.enum.text import PP_ALIGN
        from pptx.util import Inches

        ctx = self.ctx
        slide = self.prs.slides.add_slide(self.prs.slide_layouts[0])      # "Title Slide"
        band_top, band_h = 2.05, 2.95
        for shape in (self._rect(slide, 0, band_top + band_h, SLIDE_W, 0.09, self.accent),
                      self._rect(slide, 0, band_top, SLIDE_W, band_h, self.primary)):
            tree = slide.shapes._spTree                     # behind the title and subtitle placeholders
            tree.remove(shape._element)
            tree.insert(2, shape._element)
        width = SLIDE_W - 2 * 0.8
        self.text(slide, 0.8, band_top + 0.25, width, 0.45, [(ctx["client"]["name"], 18, True, WHITE)], min_size=12)
        shape = slide.shapes.title
        size = 40.0
        while self.m.lines(title, width, size, True) > 2 and size > 24:
            size -= 2
        title_h = min(self.m.height([(title, size, True)], width), 1.5)
        shape.left, shape.top, shape.width, shape.height = Inches(0.8), Inches(band_top + 0.75), Inches(width), Inches(title_h)
        self._frame(shape.text_frame, anchor="top")
        p = shape.text_frame.paragraphs[0]
        p.alignment = PP_ALIGN.LEFT
        p.line_spacing = 1.0
        self._run(p, title, size, bold=True, colour=WHITE)
        sub = slide.placeholders[1]
        if subtitle:
            top = band_top + 0.75 + title_h + 0.1
            sub_h = min(self.m.height([(subtitle, 20, False)], width), band_top + band_h - 0.15 - top)
            sub.left, sub.top, sub.width, sub.height = Inches(0.8), Inches(top), Inches(width), Inches(max(sub_h, 0.3))
            self._frame(sub.text_frame, anchor="top")
            q = sub.text_frame.paragraphs[0]
            q.alignment = PP_ALIGN.LEFT
            self._run(q, subtitle, 20 if sub_h >= self.m.height([(subtitle, 20, False)], width) else 16, colour=WHITE)
        else:
            sub._element.getparent().remove(sub._element)
        logo = self.study.project.client.logo
        if logo is not None and logo.suffix.lower() in (".png", ".jpg", ".jpeg"):
            self._logo(slide, logo, 0.8, 0.45, 3.4, 1.3)
        top = band_top + band_h + 0.35
        if period:
            top += self.text(slide, 0.8, top, width, 0.55, [(period, 22, True, self.primary)], min_size=14) + 0.1
        paragraphs = [(line, 14, False, MUTED) for line in lines if line]
        if paragraphs:
            self.text(slide, 0.8, top, width, 6.9 - top, paragraphs, space_after=0.2)
        if ctx["report"]["confidentiality"]:
            self.text(slide, 0.8, 6.95, width, 0.35, [(ctx["report"]["confidentiality"], 10, False, MUTED)], min_size=7)
        return slide

    def _logo(self, slide, path: Path, left, top, width, height):
        from PIL import Image
        from pptx.util import Inches

        from cxreport.errors import RenderError

        try:
            with Image.open(path) as image:
                px_w, px_h = image.size
            scale = min(width / px_w, height / px_h)
            pic = slide.shapes.add_picture(str(path), Inches(left), Inches(top), Inches(px_w * scale), Inches(px_h * scale))
        except (OSError, ValueError) as exc:
            raise RenderError(f"client.logo: cannot place {path.name} in the PowerPoint deck: {exc}") from None
        pic.name = "Logo"
        pic._element.nvPicPr.cNvPr.set("descr", for_xml(_("{client} logo").format(client=self.ctx["client"]["name"])))

    def base_note(self) -> str:
        rules = self.ctx["rules"]
        return _("— base below {s}: not shown. * small base ({s}–{f1} respondents): read with caution. "
                 "▲ ▼ significantly higher / lower at the {a}% level.").format(
            s=rules["suppress_below"], f1=rules["flag_below"] - 1, a=round(rules["alpha"] * 100))

    def notes(self, slide, top: float, lines: list[str]) -> None:
        lines = [line for line in lines if line]
        if lines and top < CONTENT_BOTTOM:
            self.text(slide, MARGIN, top, SLIDE_W - 2 * MARGIN, CONTENT_BOTTOM - top + 0.15,
                      [(line, 11, False, MUTED) for line in lines], min_size=8, space_after=0.2)

    def save(self) -> bytes:
        buffer = io.BytesIO()
        self.prs.save(buffer)
        return buffer.getvalue()


# --------------------------------------------------------------------------- cells


def _status_cell(status: dict | None) -> Cell:
    if not status or status["status"] not in STATUS_COLOURS:
        return Cell(DASH)
    ink, fill = STATUS_COLOURS[status["status"]]
    return Cell(status["label"], bold=True, colour=ink, fill=fill, align="center")


def _change_cell(change, unit: str, shown: bool = True) -> Cell:
    if change is None or not shown:
        return Cell(DASH)
    return Cell(gap(change.test.diff, unit), mark=change.mark)


def _figure_cell(c: dict | None) -> Cell:
    mark = c.get("mark", 0) if c and plain_cell(c) != DASH else 0
    return Cell(plain_cell(c, marks=False), mark=mark)


def _interval(c: dict, unit: str) -> str:
    if c.get("base") == "suppressed" or c.get("value") is None:
        return DASH
    return _("{low} to {high}").format(low=figure(c["low"], unit), high=figure(c["high"], unit))


# --------------------------------------------------------------------------- slides of both reports


def _trend_slide(deck: _Deck, title: str, charts: list, rows: list[dict], intro: str = "") -> None:
    ctx = deck.ctx
    slide = deck.slide(title)
    top = CONTENT_TOP
    if intro:
        top += deck.text(slide, MARGIN, top, SLIDE_W - 2 * MARGIN, 0.4, [(intro, 14, False, INK)]) + 0.05
    specs = ctx["kpi_specs"]
    header = [_("Period"), _("Base")] + [k["label"] for k in specs]
    body = [[Cell(r["label"], bold=True, align="left"), Cell(num(r["base"]))]
            + [_figure_cell(r["cells"][k["key"]]) for k in specs] for r in rows]
    width = SLIDE_W - 2 * MARGIN
    table_h = deck.table_height(width, header, body, 14, fill=False)
    if charts:
        chart_h = min(3.3, CONTENT_BOTTOM - 0.45 - table_h - 0.2 - top)
        gapw = 0.2
        each = (SLIDE_W - 2 * MARGIN - gapw * (len(charts) - 1)) / len(charts)
        for k, chart in enumerate(charts):
            deck.picture(slide, chart, MARGIN + k * (each + gapw), top, each, chart_h)
        top += chart_h + 0.15
    top += deck.table(slide, MARGIN, top, width, CONTENT_BOTTOM - 0.45 - top, header, body, size=14, fill=False) + 0.1
    deck.notes(slide, top, [deck.base_note()])


def _drivers_slide(deck: _Deck, drivers: dict) -> None:
    a = drivers["overall"]
    slide = deck.slide(_("What drives the experience — {p}").format(p=a.period) if a.period else
                       _("What drives the experience"))
    chart_w = 6.3
    if drivers["chart"] is not None:
        deck.picture(slide, drivers["chart"], MARGIN, CONTENT_TOP, chart_w, CONTENT_BOTTOM - CONTENT_TOP)
    left = MARGIN + chart_w + 0.3
    width = SLIDE_W - MARGIN - left
    intro = _("What drives {o}: each attribute's share of the explained variance (R² = {r}, n = {n}), "
              "against how well it performs.").format(o=a.outcome, r=num(a.r2, 3), n=num(a.n))
    if a.missing == "pairwise":
        base = _("Correlations pairwise: {lo} to {hi} respondents a pair, of {rows}.").format(
            lo=num(a.n), hi=num(a.pair_max), rows=num(a.n_rows))
    else:
        base = _("Base: {n} respondents who answered every item, of {rows} (listwise).").format(
            n=num(a.n), rows=num(a.n_rows))
    top = CONTENT_TOP + deck.text(slide, left, CONTENT_TOP, width, 1.2, [(intro, 13, False, INK)]) + 0.1
    rows = [[Cell(r.name, bold=True, align="left"), Cell(num(r.importance, 1)), Cell(num(r.performance)),
             Cell(_(r.quadrant), align="left")] for r in a.rows[:TOP_DRIVERS]]
    header = [_("Attribute"), _("Importance (% of R²)"), _("Performance (0–100)"), _("Quadrant")]
    top += deck.table(slide, left, top, width, CONTENT_BOTTOM - 0.6 - top, header, rows, size=14) + 0.08
    more = len(a.rows) - TOP_DRIVERS
    lines = [_("Top {k} of {n} drivers; the full table is in the report.").format(k=TOP_DRIVERS, n=len(a.rows))
             if more > 0 else "",
             base if a.n_rows else "",
             _("Importance: Johnson's relative weights. Quadrants split at the mean importance and mean performance.")]
    lines = [line for line in lines if line]
    deck.text(slide, left, top, width, CONTENT_BOTTOM - top + 0.15, [(line, 10, False, MUTED) for line in lines],
              min_size=7, space_after=0.2)


def _priorities_slide(deck: _Deck, priorities: dict) -> None:
    period = deck.ctx["period"]
    slide = deck.slide(_("Improvement priorities — {p}").format(p=period["window"]))
    drivers_scope = period["sections"]["drivers"]
    chart_w = 6.3
    if priorities["chart"] is not None:
        deck.picture(slide, priorities["chart"], MARGIN, CONTENT_TOP, chart_w, CONTENT_BOTTOM - CONTENT_TOP)
    left = MARGIN + chart_w + 0.3
    width = SLIDE_W - MARGIN - left
    top = CONTENT_TOP + deck.text(slide, left, CONTENT_TOP, width, 1.2, [(
        _("Where improvement would move the outcome most: impact = importance × gap on a 0–100 scale."),
        13, False, INK)]) + 0.1
    top_rows = priorities["top"]
    with_effort = any(p.effort for p in top_rows)
    header = [_("Driver"), _("Impact"), _("Gap")] + ([_("Effort")] if with_effort else []) + [_("Quadrant")]
    rows = []
    for k, p in enumerate(top_rows, start=1):
        row = [Cell(f"{k}. {p.name}", bold=True, align="left"), Cell(num(p.impact, 2)), Cell(num(p.gap, 1))]
        if with_effort:
            row.append(Cell(_(p.effort) if p.effort else DASH, align="left"))
        rows.append(row + [Cell(_(p.quadrant), align="left")])
    top += deck.table(slide, left, top, width, CONTENT_BOTTOM - 0.6 - top, header, rows, size=14) + 0.08
    notes = [_("Gap: points to the target when every driver has one, otherwise to the top of the scale.")]
    if drivers_scope["pooled"]:
        notes.append(_("Importance: {pooled}; performance: {window}.").format(pooled=drivers_scope["label"],
                                                                             window=period["window"]))
    deck.text(slide, left, top, width, CONTENT_BOTTOM - top + 0.15, [(n, 10, False, MUTED) for n in notes],
              min_size=7, space_after=0.1)


def _methodology_slide(deck: _Deck) -> None:
    ctx = deck.ctx
    sample, rules, report, validation = ctx["sample"], ctx["rules"], ctx["report"], ctx["validation"]
    from cxreport.present.render import long_date

    slide = deck.slide(_("Methodology and base"))
    left = [_("The figures describe {p}: {n} completed survey responses; trends use every period up to it.").format(
        p=ctx["period"]["window"], n=num(sample["base"]))]
    if report["fieldwork_start"]:
        left.append(_("Fieldwork ran from {s} to {e}.").format(s=long_date(report["fieldwork_start"]),
                                                             e=long_date(report["fieldwork_end"])))
    if sample["weighted"]:
        left.append(_("Results are weighted: effective sample size (Kish) {ne}, a weighting efficiency of {eff}; "
                      "intervals and tests use the effective sample size.").format(
            ne=num(sample["n_eff"]), eff=pct(sample["efficiency"], 1)))
    if sample["moe"] is not None:
        left.append(_("For a percentage on the whole sample the 95% margin of error is at most ±{m} percentage "
                      "points; for smaller groups it is wider.").format(m=num(sample["moe"], 1)))
    left.append(_("{r} rows were read and {u} used.").format(r=num(validation["rows_read"]),
                                                              u=num(validation["rows_used"])))
    # Translators: a term and its definition in the methodology slide's list.
    right = [_("{term}: {definition}").format(term=d["label"], definition=d["text"]) for d in ctx["definitions"]]
    right.append(_("Significance: two-sided tests at the {a}% level; segments against the rest of the sample, "
                   "periods against the previous period. ▲ ▼ mark significant differences.").format(
        a=round(rules["alpha"] * 100)))
    right.append(_("Figures based on fewer than {s} respondents are not shown (—); {s} to {f1} respondents are "
                   "marked * as a small base.").format(s=rules["suppress_below"], f1=rules["flag_below"] - 1))
    col_w = (SLIDE_W - 2 * MARGIN - 0.5) / 2
    height = CONTENT_BOTTOM - CONTENT_TOP - 0.55
    for k, (head, lines) in enumerate(((_("Sample and fieldwork"), left), (_("Reading the figures"), right))):
        x = MARGIN + k * (col_w + 0.5)
        deck.text(slide, x, CONTENT_TOP, col_w, 0.45, [(head, 18, True, deck.primary)])
        deck.text(slide, x, CONTENT_TOP + 0.55, col_w, height, [(line, 15, False, INK) for line in lines],
                  bullets=True, min_size=9)
    deck.notes(slide, CONTENT_BOTTOM - 0.05,
               [_("Produced with cxreport {v}.").format(v=ctx["version"])])


def _title_lines(ctx: dict) -> list[str]:
    from cxreport.present.render import long_date

    report = ctx["report"]
    parts = [_("Prepared for {who}").format(who=report["prepared_for"])]
    if report["prepared_by"]:
        parts.append(_("Prepared by {who}").format(who=report["prepared_by"]))
    parts.append(long_date(report["date"]))
    return [" · ".join(parts)]


# --------------------------------------------------------------------------- the client report


def _scorecard_slide(deck: _Deck) -> None:
    ctx = deck.ctx
    period = ctx["period"]
    comps = ctx["scorecard"][0]["changes"] if ctx["scorecard"] else []
    header = [_("KPI"), _("Score"), _("95% interval"), _("Base")]
    header += [_("vs {p}").format(p=c["label"]) for c in comps]
    header += [_("Target"), _("Status")]
    rows = []
    for k in ctx["scorecard"]:
        unit = k["unit"]
        row = [Cell(k["label"], bold=True, note=k["definition"], align="left"), _figure_cell(k["headline"]),
               Cell(_interval(k["headline"], unit)), Cell(num(k["n"]))]
        for j, _c in enumerate(comps):
            d = k["changes"][j] if j < len(k["changes"]) else None
            row.append(Cell(gap(d["diff"], unit), mark=d["mark"]) if d and d["diff"] is not None else Cell(DASH))
        status = k["status"]
        row += [Cell(figure(status["target"], unit) if status else DASH), _status_cell(status)]
        rows.append(row)
    slide = deck.slide(_("KPI scorecard — {p}").format(p=period["window"]))
    top = CONTENT_TOP + 0.1
    top += deck.table(slide, MARGIN, top, SLIDE_W - 2 * MARGIN, CONTENT_BOTTOM - 1.0 - top, header, rows,
                      size=18, min_size=11) + 0.2
    lines = [_("Score: {p}, every respondent in it.").format(p=period["window"])]
    if comps:
        lines.append(_("Changes: the score minus that period's, tested; ▲ ▼ significant."))
    lines.append(_("Status: on target (green) when the score as shown meets the target; near target (amber) when "
                   "below it by no more than the tolerance; below target (red) otherwise."))
    lines.append(deck.base_note())
    deck.notes(slide, top, lines)


def _client(deck: _Deck) -> None:
    ctx = deck.ctx
    report = ctx["report"]
    deck.title_slide(report["title"], report["subtitle"], report["period"], _title_lines(ctx))
    sections = ctx["sections"]
    if "scorecard" in sections:
        _scorecard_slide(deck)
    if "trend" in sections and ctx["trend"]:
        rows = ctx["trend"]["rows"][-TREND_ROWS:]
        _trend_slide(deck, _("Trends over time — {p}").format(p=_("{first} – {last}").format(
            first=rows[0]["label"], last=rows[-1]["label"]) if len(rows) > 1 else rows[0]["label"]),
                     ctx["trend"]["charts"], rows)
    if "drivers" in sections and ctx["drivers"]["overall"] is not None:
        _drivers_slide(deck, ctx["drivers"])
    if "priorities" in sections:
        _priorities_slide(deck, ctx["priorities"])
    _methodology_slide(deck)


# --------------------------------------------------------------------------- the quarterly review


def _quarterly_scorecard(deck: _Deck) -> None:
    ctx = deck.ctx
    review = ctx["review"]
    header = [_("KPI"), review["period"], review["previous"], _("Change")]
    if review["year_ago"]:
        header += [review["year_ago"], _("Change")]
    header += [_("Target"), _("Status")]
    rows = []
    for r in ctx["q_changes"]:
        unit = r["unit"]
        row = [Cell(r["label"], bold=True, align="left"), _figure_cell(r["now"]), _figure_cell(r["prev"]),
               _change_cell(r["d_prev"], unit)]
        if review["year_ago"]:
            row += [_figure_cell(r["year"]), _change_cell(r["d_year"], unit)]
        status = r["status"]
        row += [Cell(figure(status["target"], unit) if status else DASH), _status_cell(status)]
        rows.append(row)
    slide = deck.slide(_("Headline KPIs — {p}").format(p=review["period"]))
    top = CONTENT_TOP + 0.1
    top += deck.table(slide, MARGIN, top, SLIDE_W - 2 * MARGIN, CONTENT_BOTTOM - 1.0 - top, header, rows,
                      size=18, min_size=11) + 0.2
    lines = [] if review["year_ago"] else [_("The data do not reach back to the same quarter last year.")]
    deck.notes(slide, top, lines + [deck.base_note()])


def _what_changed_slide(deck: _Deck) -> None:
    ctx = deck.ctx
    slide = deck.slide(_("What changed"))
    sentences = ctx["q_what_changed"]
    top = CONTENT_TOP + 0.1
    top += deck.text(slide, MARGIN, top, SLIDE_W - 2 * MARGIN, CONTENT_BOTTOM - 0.6 - top,
                     [(s, 20, False, INK) for s in sentences], bullets=True, min_size=11) + 0.15
    deck.notes(slide, top, [_("Only movements that are statistically significant at the {a}% level are called "
                              "rises or falls.").format(a=round(ctx["rules"]["alpha"] * 100))])


def _movers_slide(deck: _Deck) -> None:
    ctx = deck.ctx
    review, unit = ctx["review"], ctx["q_movers_unit"]
    slide = deck.slide(_("Top improvers and decliners"))
    intro = _("{k} against {p}, for units with at least {m} respondents in both quarters; ▲ ▼ significant.").format(
        k=ctx["q_kpi"], p=review["previous"], m=ctx["q_min_base"])
    top = CONTENT_TOP + deck.text(slide, MARGIN, CONTENT_TOP, SLIDE_W - 2 * MARGIN, 0.5, [(intro, 14, False, INK)]) + 0.15
    col_w = (SLIDE_W - 2 * MARGIN - 0.5) / 2
    for k, (head, movers, sign) in enumerate(((_("Improvers"), ctx["q_improvers"], 1),
                                              (_("Decliners"), ctx["q_decliners"], -1))):
        x = MARGIN + k * (col_w + 0.5)
        deck.text(slide, x, top, col_w, 0.45, [(head, 18, True, deck.primary)])
        rows = [[Cell(m["label"], bold=True, note=m["segment"], align="left"), Cell(figure(m["before"], unit)),
                 Cell(figure(m["now"], unit)), Cell(gap(m["diff"], unit), mark=m["mark"] if m["mark"] == sign else 0)]
                for m in movers] or [[Cell(_("None"), align="left"), Cell(""), Cell(""), Cell("")]]
        deck.table(slide, x, top + 0.5, col_w, CONTENT_BOTTOM - top - 0.5, [_("Unit"), review["previous"],
                   review["period"], _("Change")], rows, size=14)


def _quarterly(deck: _Deck) -> None:
    ctx = deck.ctx
    report, review = ctx["report"], ctx["review"]
    deck.title_slide(report["title"], report["subtitle"], review["period"], _title_lines(ctx))
    if ctx["q_what_changed"]:
        _what_changed_slide(deck)
    if ctx["q_changes"]:
        _quarterly_scorecard(deck)
    if ctx["q_trends"]:
        rows = ctx["trend"]["rows"][-min(review["quarters"], 6):] if ctx["trend"] else []
        _trend_slide(deck, _("Trends over the last {n} quarters").format(n=review["quarters"]), ctx["q_trends"], rows)
    if ctx["q_improvers"] or ctx["q_decliners"]:
        _movers_slide(deck)
    if ctx["drivers"] and ctx["drivers"]["overall"] is not None:
        _drivers_slide(deck, ctx["drivers"])
    if ctx["priorities"]:
        _priorities_slide(deck, ctx["priorities"])
    _methodology_slide(deck)


def build_deck(study: Study, context: dict) -> bytes:
    """The .pptx bytes of the deck for ``context`` (a client report's, or the quarterly
    review's when it has a ``review`` block), with every chart already drawn."""
    deck = _Deck(study, context)
    if "review" in context:
        _quarterly(deck)
    else:
        _client(deck)
    return deck.save()

