"""The PowerPoint deck (``build --format pptx``): the report told as a storyline, for
consultants who present.

16:9 slides in the brand colours and font (or in a client template's layouts, theme
colours and fonts: ``report.deck.template``). The client report's deck: a title slide, the
executive summary (the key findings), then one slide per point of the story, each with an
*action title* (the finding it shows, e.g. "NPS is +28 (±4) in 2026 Q3, near target: …")
under a small section line that names the section and its period: KPIs against target,
the trend, the segment story (the largest gaps, then the segments that carry them), the
competitors, what drives the experience, the improvement priorities, the voice of the
customer (themes and a couple of masked verbatims), the recommendations (the narrative's
headings and paragraphs as bullets) and the methodology. The quarterly review's deck: title,
what changed, the headline KPIs, trends, improvers and decliners, segment scorecard
highlights, drivers, priorities, methodology.

Charts are native PowerPoint charts holding their data (:mod:`cxreport.present.deck_charts`):
the trends (lines), the segment gaps and segment results (bars), the competitors (bars), the
drivers' importance and the priorities' impact (bars), the comment themes (stacked bars)
and the movers (bars). Every figure in a table is text formatted by the report's own
filters (:mod:`cxreport.present.formatting`). User text (client name, labels, titles,
comments) goes in as plain text runs: nothing in it is interpreted, and every run and alt
text passes through :func:`cxreport.textclean.for_xml`, so no text in the data can make the
deck fail.

A slide appears only when the report has content for it: for the client report, when its
section is in ``context["sections"]`` (the report's own rule); for the quarterly review,
when the review has the data. python-pptx cannot measure text, so table rows and text
boxes are sized from a conservative estimate of how the text wraps; text grows to fill its
box or shrinks (down to a floor) until it fits, charts take the room left, long tables go
on over several slides, and nothing is placed outside the slide.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from cxreport import i18n
from cxreport.i18n import _
from cxreport.pipeline import Study
from cxreport.present.deck_charts import (ChartMaker, Series, below_line, below_line_clearance, number_format,
                                          shown_ticks, value_range)
from cxreport.present.formatting import DASH, DECIMALS, MARKS, figure, gap, num, pct, plain_cell, shown_difference
from cxreport.scoring.kpis import shown_value
from cxreport.textclean import for_xml

SLIDE_W, SLIDE_H = 12192000 / 914400, 7.5   # inches: PowerPoint's 16:9 (13.33 × 7.5 in)
MARGIN = 0.5
INK, MUTED, ZEBRA, WHITE, LIGHT = "1D232A", "5B6470", "F5F7F9", "FFFFFF", "A7B0BA"
STATUS_COLOURS = {"green": ("2E7D32", "E6F2E7"), "amber": ("B26A00", "FFF3D6"), "red": ("C62828", "FBE4E4")}
MARK_COLOURS = {1: "2E7D32", -1: "C62828"}
TONE_MARKS = {"positive": ("▲", "2E7D32"), "negative": ("▼", "C62828"), "neutral": ("●", "8A939E")}
#: Periods in the trend slide's table (the client report); the quarterly uses its own quarters, at most 6.
TREND_ROWS = 4
#: Bars of the drivers' importance chart and rows of their table.
TOP_DRIVERS = 8
#: Segments with more groups than this (branches) are for the tables, not the segment story
#: (as in the key findings).
MAX_GROUPS = 12
#: Bars in the chart of the largest segment gaps; segments told in detail after it.
TOP_GAPS = 10
STORY_SEGMENTS = 2
#: Themes in the voice-of-the-customer chart; verbatims quoted beside it.
TOP_THEMES = 7
QUOTES = 2

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

    def header_lines(self, text: str, size: float, bold: bool = True) -> str:
        """A table header set on at most two lines, broken only where a reader breaks it:
        at a space, or before an opening bracket; a header without either (Chinese) is
        broken between two characters near its middle only when it is longer than six
        characters, so a word such as 置信区间 stays whole. Returns the header with the
        break as a line break (the text itself when it has no break)."""
        text = text.strip()
        if "\n" in text:
            return text
        cuts = [k for k, ch in enumerate(text) if k and (ch == " " or ch in "（(")
                and not re.match(r"\s*[QH]\d\b", text[k:])]          # 2026 Q2 stays on one line
        if not cuts and len(text) > 6 and _CJK.match(text[len(text) // 2]):
            # the break nearest the middle that is between two CJK characters
            middles = sorted((k for k in range(2, len(text) - 1) if _CJK.match(text[k - 1]) and _CJK.match(text[k])),
                             key=lambda k: abs(k - len(text) / 2))
            cuts = middles[:1]
        best, best_w = text, self.width(text, size, bold)
        for k in cuts:
            first, second = text[:k].rstrip(), text[k:].lstrip()
            w = max(self.width(first, size, bold), self.width(second, size, bold))
            if w < best_w:
                best, best_w = f"{first}\n{second}", w
        return best

    def _header_width(self, text: str, size: float, bold: bool) -> float:
        return max(self.width(line, size, bold) for line in self.header_lines(text, size, bold).split("\n"))

    def column_widths(self, rows: list[list[Cell]], width: float, size: float, fill: bool,
                      force: bool = False) -> list[float] | None:
        """Column widths (inches) for ``rows`` (the header first) at ``size``: every column
        at least as wide as its longest word and its header set on two lines broken only
        between words (:meth:`header_lines`: never inside a Chinese word such as 置信区间);
        columns whose body text fits on one line within a common cap get that width, the
        widest are capped (and wrap). ``None`` when even that does not fit in ``width``
        (unless ``force``: then in proportion)."""
        pad = 2 * CELL_MARGIN_X + 0.02
        cols = list(zip(*rows))
        head = [self._header_width(c.text, size, c.bold) for c in rows[0]]
        mins = [pad + max([self.width(w, s, b) for c in col[1:] for t, s, b in _cell_paragraphs(c, size)
                           for line in t.split("\n") for w, _space in _pieces(line) or [("", False)]] + [h])
                for col, h in zip(cols, head)]
        body = [max([self.width(line, s, b) for c in col[1:]
                     for t, s, b in _cell_paragraphs(c, size) for line in t.split("\n")] + [0.0]) for col in cols]
        prefs = [max(m, pad + b) for m, b in zip(mins, body)]
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
    """One deck being built: the presentation (blank, or the client's template with its own
    slides removed), its geometry, colours and fonts, and the primitives slides are made of."""

    def __init__(self, study: Study, context: dict):
        from pptx import Presentation
        from pptx.util import Emu

        from cxreport.present.charts import CJK_FONT

        self.study, self.ctx = study, context
        brand = context["brand"]
        self.primary, self.accent, self.font = _hex(brand["primary"]), _hex(brand["accent"]), brand["font"]
        self.title_font = self.font
        self.template = template_path(study)
        self.lang = i18n.current().code
        if self.template is not None:
            self.prs = open_template(self.template)
            theme = theme_of(self.prs)
            self.primary = theme.get("accent1", self.primary)
            self.accent = theme.get("accent2", self.accent)
            self.font = theme.get("minor", self.font)
            self.title_font = theme.get("major", self.font)
            self.title_layout, self.content_layout = pick_layouts(self.prs)
        else:
            self.prs = Presentation()
            self.prs.slide_width, self.prs.slide_height = Emu(12192000), Emu(6858000)
            self.title_layout, self.content_layout = self.prs.slide_layouts[0], self.prs.slide_layouts[5]
        self.W, self.H = self.prs.slide_width / 914400, self.prs.slide_height / 914400
        self.m = Metrics(self.font)
        self.mt = self.m if self.title_font == self.font else Metrics(self.title_font)
        self.charts = ChartMaker(self.font, CJK_FONT, self.lang)
        self.footer = f"{context['client']['name']} · {context['report']['title']}"
        self._geometry()

    def _geometry(self) -> None:
        """Where the section line, the title, the content and the footer go: the built-in
        places, or below the template layout's own title placeholder."""
        self.margin = MARGIN
        self.kicker_top, self.title_top, self.title_h, self.rule_top = 0.28, 0.6, 0.86, 1.5
        self.top, self.bottom, self.footer_top = 1.64, self.H - 0.64, self.H - 0.48
        if self.template is None:
            return
        title = next((p for p in self.content_layout.placeholders if _is_title(p)), None)
        if title is None or title.width is None:
            return
        left, top, width, height = (title.left / 914400, title.top / 914400, title.width / 914400,
                                    title.height / 914400)
        self.margin = max(0.2, min(left, self.W / 6))
        self.title_top, self.title_h = top, height
        self.kicker_top = top + height + 0.02
        self.rule_top = None
        self.top = self.kicker_top + 0.4
        footers = [p.top / 914400 for p in self.content_layout.placeholders
                   if p.placeholder_format.type is not None and p.placeholder_format.type.name in
                   ("FOOTER", "SLIDE_NUMBER", "DATE") and p.top is not None]
        self.bottom = min([self.H - 0.64] + [f - 0.12 for f in footers if f > self.top + 2])
        self.footer_top = self.H - 0.48
        self.width_of_title = width

    @property
    def content_width(self) -> float:
        return self.W - 2 * self.margin

    # ------------------------------------------------------------------ primitives

    def _run(self, paragraph, text: str, size: float | None, *, bold: bool | None = False, colour: str | None = INK,
             font: str | None = None):
        """Add ``text`` to ``paragraph`` as runs in one format; a line break in the text is a
        line break in the slide (``a:br``). Returns the first run."""
        lines = for_xml(str(text)).split("\n")
        first = self._add_run(paragraph, lines[0], size, bold=bold, colour=colour, font=font)
        for line in lines[1:]:
            paragraph.add_line_break()
            self._add_run(paragraph, line, size, bold=bold, colour=colour, font=font)
        return first

    def _add_run(self, paragraph, text: str, size: float | None, *, bold: bool | None, colour: str | None,
                 font: str | None = None):
        from pptx.dml.color import RGBColor
        from pptx.util import Pt

        run = paragraph.add_run()
        run.text = text
        run.font.name = font or self.font
        if size is not None:
            run.font.size = Pt(size)
        if bold is not None:
            run.font.bold = bold
        if colour is not None:
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

    def _rect(self, slide, left, top, width, height, colour: str, name: str | None = None):
        from pptx.dml.color import RGBColor
        from pptx.enum.shapes import MSO_SHAPE
        from pptx.oxml.ns import qn
        from pptx.util import Inches

        shape = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, Inches(left), Inches(top), Inches(width), Inches(height))
        shape.fill.solid()
        shape.fill.fore_color.rgb = RGBColor.from_string(colour)
        shape.line.fill.background()
        style = shape._element.find(qn("p:style"))           # no theme effects (LibreOffice draws a shadow)
        if style is not None:
            shape._element.remove(style)
        if name:
            shape.name = name
        return shape

    def _frame(self, frame, *, anchor: str = "top", wrap: bool = True, margin: float = 0.0):
        from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE
        from pptx.util import Inches

        frame.word_wrap = wrap
        frame.auto_size = MSO_AUTO_SIZE.NONE
        frame.vertical_anchor = {"top": MSO_ANCHOR.TOP, "middle": MSO_ANCHOR.MIDDLE, "bottom": MSO_ANCHOR.BOTTOM}[anchor]
        frame.margin_left = frame.margin_right = frame.margin_top = frame.margin_bottom = Inches(margin)

    def fit_size(self, paragraphs: list[tuple[str, float, bool, str]], width: float, max_height: float, *,
                 min_size: float = 10, grow: float = 1.0, bullets: bool = False, space_after: float = 0.35) -> float:
        """The scale (of the paragraphs' sizes) at which they fill ``max_height`` best: the
        largest up to ``grow`` at which they fit, down to the one that puts the smallest at
        ``min_size``."""
        prefix = "• " if bullets else ""

        def height(scale: float) -> float:
            return self.m.height([(prefix + t, s * scale, b) for t, s, b, _c in paragraphs], width, space_after)

        floor = min_size / min(s for _t, s, _b, _c in paragraphs)
        if height(grow) <= max_height:
            return grow
        low, high = min(floor, 1.0), grow
        if height(low) > max_height:
            return low
        for _i in range(18):
            mid = (low + high) / 2
            low, high = (mid, high) if height(mid) <= max_height else (low, mid)
        return low

    def text(self, slide, left, top, width, max_height, paragraphs: list[tuple[str, float, bool, str]], *,
             min_size: float = 10, anchor: str = "top", align: str = "left", bullets: bool = False,
             space_after: float = 0.35, grow: float = 1.0, fill: bool = False, name: str | None = None) -> float:
        """A text box of paragraphs (text, size, bold, colour), shrunk until it fits
        ``max_height`` (or grown, up to ``grow`` times, to fill it); ``fill`` makes the box
        ``max_height`` tall (the text anchored as asked). Returns the height it takes."""
        from pptx.enum.text import PP_ALIGN
        from pptx.util import Inches, Pt

        prefix = "• " if bullets else ""
        scale = self.fit_size(paragraphs, width, max_height, min_size=min_size, grow=grow, bullets=bullets,
                              space_after=space_after)
        height = self.m.height([(prefix + t, s * scale, b) for t, s, b, _c in paragraphs], width, space_after)
        height = max_height if fill else min(height, max_height)
        box = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(max(height, 0.1)))
        if name:
            box.name = name
        self._frame(box.text_frame, anchor=anchor)
        for k, (text, size, bold, colour) in enumerate(paragraphs):
            p = box.text_frame.paragraphs[0] if k == 0 else box.text_frame.add_paragraph()
            p.alignment = {"left": PP_ALIGN.LEFT, "center": PP_ALIGN.CENTER, "right": PP_ALIGN.RIGHT}[align]
            p.space_after = Pt(space_after * size * scale)
            p.line_spacing = 1.0
            self._run(p, prefix + text, size * scale, bold=bold, colour=colour)
        return height

    def table(self, slide, left, top, width, max_height, header: list[str], rows: list[list[Cell]], *,
              size: float = 14, min_size: float = 10, fill: bool = True, name: str = "Table",
              stretch: bool | float = False) -> float:
        """A native table with a brand-coloured header and zebra rows. Columns are as wide
        as their text asks (never narrower than their longest word, headers broken only
        between words), filling ``width`` or, with ``fill=False``, only as much of it as
        they need; the font shrinks until the rows fit ``max_height``. Returns its height."""
        from pptx.util import Inches

        s, widths, heights, all_rows = self._fit(header, rows, width, size, min_size, max_height, fill)
        if stretch and 0 < sum(heights) < max_height:        # rows taller (up to half again) to fill the box
            factor = min(max_height / sum(heights), 1.5 if stretch is True else float(stretch))
            heights = [h * factor for h in heights]
        frame = slide.shapes.add_table(len(all_rows), len(header), Inches(left), Inches(top), Inches(sum(widths)),
                                       Inches(sum(heights)))
        frame.name = name
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
        return sum(self._fit(header, rows, width, size, size, 0, fill)[2])

    def _header(self, header: list[str], rows: list[list[Cell]]) -> list[Cell]:
        """Header cells, aligned like the column below them."""
        aligns = [rows[0][j].align if rows and j else "left" for j in range(len(header))]
        return [Cell(h, bold=True, colour=WHITE, fill=self.primary, align=a) for h, a in zip(header, aligns)]

    def _fit(self, header: list[str], rows: list[list[Cell]], width: float, size: float, min_size: float,
             max_height: float, fill: bool):
        """The largest font size (down to ``min_size``) at which the rows fit: the size,
        column widths, row heights and the rows (the header first, set on one line or
        broken between words to fit its column)."""
        while True:
            cells = [self._header(header, rows)] + rows
            widths = self.m.column_widths(cells, width, size, fill)
            last = size <= min_size
            if widths is None and last:
                widths = self.m.column_widths(cells, width, size, fill, force=True)
            if widths is not None:
                pad = 2 * CELL_MARGIN_X + 0.02
                for c, w in zip(cells[0], widths):
                    if self.m.width(c.text, size, True) + pad > w:
                        c.text = self.m.header_lines(c.text, size)
                heights = [self.m.row_height(r, widths, size) for r in cells]
                if sum(heights) <= max_height or last:
                    return size, widths, heights, cells
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

    def rows_that_fit(self, width: float, header: list[str], rows: list[list[Cell]], size: float,
                      max_height: float) -> int:
        """How many of ``rows`` (at least one) fit under the header in ``max_height`` at ``size``."""
        k = len(rows)
        while k > 1 and self.table_height(width, header, rows[:k], size) > max_height:
            k -= 1
        return k

    # ------------------------------------------------------------------ slides

    def slide(self, title: str, section: str):
        """A content slide: the section line (the section and its period), the action title
        (a real title placeholder), accent rule, footer and number."""
        from pptx.enum.text import PP_ALIGN
        from pptx.util import Inches

        slide = self.prs.slides.add_slide(self.content_layout)
        for ph in list(slide.placeholders):                   # the layout's body: the deck places its own
            if not _is_title(ph):
                ph._element.getparent().remove(ph._element)
        shape = slide.shapes.title
        if shape is None:                                      # a template layout without a title
            shape = slide.shapes.add_textbox(Inches(self.margin), Inches(self.title_top),
                                             Inches(self.content_width), Inches(self.title_h))
            shape.name = "Title"
        width = self.content_width if self.template is None else shape.width / 914400 or self.content_width
        left = self.margin if self.template is None else shape.left / 914400
        shape.left, shape.top = Inches(left), Inches(self.title_top)
        shape.width, shape.height = Inches(width), Inches(self.title_h)
        self._frame(shape.text_frame, anchor="bottom" if self.template is None else "middle")
        size = 28.0
        while size > 16 and self.mt.height([(title, size, True)], width) > self.title_h:
            size -= 1
        p = shape.text_frame.paragraphs[0]
        p.alignment = PP_ALIGN.LEFT
        p.line_spacing = 1.0
        if self.template is None:
            self._run(p, title, size, bold=True, colour=self.primary)
        else:                                                  # the template's title style: its font and colour
            self._run(p, title, size, bold=None, colour=None, font=self.title_font)
        self.text(slide, self.margin, self.kicker_top, self.content_width, 0.32,
                  [(section, 12, True, MUTED if self.template else self.accent_ink())], min_size=9, name="Section")
        if self.rule_top is not None:
            self._rect(slide, self.margin, self.rule_top, self.content_width, 0.045, self.accent)
        number = len(self.prs.slides)
        footer_w = self.content_width - 1.0
        footer = self.footer if self.m.lines(self.footer, footer_w, 10) == 1 else self.ctx["client"]["name"]
        self.text(slide, self.margin, self.footer_top, footer_w, 0.3, [(footer, 10, False, MUTED)], min_size=7,
                  name="Footer")
        self.text(slide, self.W - self.margin - 0.8, self.footer_top, 0.8, 0.3, [(str(number), 10, False, MUTED)],
                  align="right", name="Slide number")
        return slide

    def accent_ink(self) -> str:
        """The section line's colour: the primary colour (the accent is often too light to read)."""
        return self.primary

    def title_slide(self, title: str, subtitle: str | None, period: str, lines: list[str]):
        if self.template is not None:
            return self._template_title_slide(title, subtitle, period, lines)
        from pptx.enum.text import PP_ALIGN
        from pptx.util import Inches

        ctx = self.ctx
        slide = self.prs.slides.add_slide(self.title_layout)
        band_top, band_h = 2.05, 2.95
        for shape in (self._rect(slide, 0, band_top + band_h, self.W, 0.09, self.accent),
                      self._rect(slide, 0, band_top, self.W, band_h, self.primary)):
            tree = slide.shapes._spTree                     # behind the title and subtitle placeholders
            tree.remove(shape._element)
            tree.insert(2, shape._element)
        width = self.W - 2 * 0.8
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
        self.logo(slide, 0.8, 0.45, 3.4, 1.3)
        top = band_top + band_h + 0.35
        if period:
            top += self.text(slide, 0.8, top, width, 0.55, [(period, 22, True, self.primary)], min_size=14) + 0.1
        paragraphs = [(line, 14, False, MUTED) for line in lines if line]
        if paragraphs:
            self.text(slide, 0.8, top, width, 6.9 - top, paragraphs, space_after=0.2)
        if ctx["report"]["confidentiality"]:
            self.text(slide, 0.8, 6.95, width, 0.35, [(ctx["report"]["confidentiality"], 10, False, MUTED)], min_size=7)
        return slide

    def _template_title_slide(self, title: str, subtitle: str | None, period: str, lines: list[str]):
        """The title slide in the template's title layout: its title and subtitle placeholders
        (their fonts, colours and places), the logo in the top left corner."""
        from pptx.enum.text import MSO_AUTO_SIZE

        ctx = self.ctx
        slide = self.prs.slides.add_slide(self.title_layout)
        title_ph = next((p for p in slide.placeholders if _is_title(p)), None)
        body = next((p for p in slide.placeholders if not _is_title(p) and p.has_text_frame), None)
        keep = {ph._element for ph in (title_ph, body) if ph is not None}
        for ph in list(slide.placeholders):
            if ph._element not in keep:
                ph._element.getparent().remove(ph._element)
        if title_ph is None:
            title_ph = slide.shapes.add_textbox(*(int(v * 914400) for v in (0.8, 2.2, self.W - 1.6, 1.4)))
        frame = title_ph.text_frame
        frame.word_wrap = True
        self._run(frame.paragraphs[0], title, None, bold=None, colour=None, font=self.title_font)
        texts = [t for t in [ctx["client"]["name"], subtitle, period] + lines if t]
        if body is not None:
            frame = body.text_frame
            frame.word_wrap = True
            for k, text in enumerate(texts):
                p = frame.paragraphs[0] if k == 0 else frame.add_paragraph()
                self._run(p, text, None, bold=None, colour=None)
            frame.auto_size = MSO_AUTO_SIZE.TEXT_TO_FIT_SHAPE
        else:
            top = title_ph.top / 914400 + title_ph.height / 914400 + 0.2
            self.text(slide, 0.8, top, self.W - 1.6, max(self.H - 0.6 - top, 0.4),
                      [(t, 16, False, MUTED) for t in texts])
        self.logo(slide, 0.4, 0.3, 2.6, 1.0)
        if ctx["report"]["confidentiality"]:
            self.text(slide, 0.8, self.H - 0.5, self.W - 1.6, 0.35,
                      [(ctx["report"]["confidentiality"], 10, False, MUTED)], min_size=7)
        return slide

    def logo(self, slide, left, top, width, height) -> None:
        """The client's logo, fitted in the box: PNG and JPEG as they are, SVG rendered to PNG
        (:func:`cxreport.images.svg_to_png`)."""
        from PIL import Image
        from pptx.util import Inches

        from cxreport.errors import RenderError

        path = self.study.project.client.logo
        if path is None:
            return
        try:
            if path.suffix.lower() == ".svg":
                from cxreport.images import svg_to_png

                data = svg_to_png(path)
            else:
                data = path.read_bytes()
            with Image.open(io.BytesIO(data)) as image:
                px_w, px_h = image.size
            scale = min(width / px_w, height / px_h)
            pic = slide.shapes.add_picture(io.BytesIO(data), Inches(left), Inches(top), Inches(px_w * scale),
                                           Inches(px_h * scale))
        except (OSError, ValueError) as exc:
            raise RenderError(f"client.logo: cannot place {path.name} in the PowerPoint deck: {exc}") from None
        pic.name = "Logo"
        pic._element.nvPicPr.cNvPr.set("descr", for_xml(_("{client} logo").format(client=self.ctx["client"]["name"])))

    def base_note(self) -> str:
        rules = self.ctx["rules"]
        if rules.get("adjust_name"):      # marks decided on p-values adjusted within each table (METHODS.md §8)
            return _("— base below {s}: not shown. * small base ({s}–{f1} respondents): read with caution. "
                     "▲ ▼ significantly higher / lower at the {a}% level, p-values adjusted within each table "
                     "({m}).").format(s=rules["suppress_below"], f1=rules["flag_below"] - 1,
                                      a=round(rules["alpha"] * 100), m=rules["adjust_name"])
        return _("— base below {s}: not shown. * small base ({s}–{f1} respondents): read with caution. "
                 "▲ ▼ significantly higher / lower at the {a}% level.").format(
            s=rules["suppress_below"], f1=rules["flag_below"] - 1, a=round(rules["alpha"] * 100))

    def notes(self, slide, top: float, lines: list[str], *, left: float | None = None,
              width: float | None = None) -> float:
        """Small muted lines from ``top`` to the foot of the content area; returns their height."""
        lines = [line for line in lines if line]
        if not lines or top >= self.bottom:
            return 0.0
        left = self.margin if left is None else left
        width = self.content_width if width is None else width
        return self.text(slide, left, top, width, self.bottom - top + 0.12,
                         [(line, 11, False, MUTED) for line in lines], min_size=8, space_after=0.2, name="Notes")

    def notes_height(self, lines: list[str], width: float | None = None, size: float = 11) -> float:
        lines = [line for line in lines if line]
        if not lines:
            return 0.0
        return self.m.height([(line, size, False) for line in lines], width or self.content_width, 0.2)

    def properties(self) -> None:
        """The file's properties: the report's title, subject and author, the build's version
        in the comments (the slides themselves name no tool), dated with the report; not
        python-pptx's or the template's own."""
        import datetime as dt

        from cxreport import __version__

        report = self.ctx.get("report") or {}
        props = self.prs.core_properties
        props.title = for_xml(str(report.get("title") or ""))[:255]
        props.subject = for_xml(str(report.get("subtitle") or ""))[:255]
        props.author = for_xml(str(report.get("prepared_by") or report.get("prepared_for") or ""))[:255]
        props.last_modified_by = props.author
        props.comments = f"Produced with cxreport {__version__}"
        props.keywords = ""
        props.category = ""
        props.revision = 1
        date = report.get("date")
        if isinstance(date, dt.date):
            stamp = dt.datetime(date.year, date.month, date.day)
            props.created = props.modified = stamp

    def save(self) -> bytes:
        self.properties()
        buffer = io.BytesIO()
        self.prs.save(buffer)
        return buffer.getvalue()


# --------------------------------------------------------------------------- the client template


def template_path(study: Study) -> Path | None:
    """``report.deck.template`` of the project (a .pptx inside the project folder), or None.
    The project file's check (:mod:`cxreport.config.schema`) has resolved and checked it; a
    project object built otherwise is checked again here."""
    from cxreport.errors import RenderError

    project = study.project
    deck = getattr(project.report, "deck", None)
    value = getattr(deck, "template", None) if deck is not None else None
    if value is None and isinstance(deck, dict):
        value = deck.get("template")
    if not value:
        return None
    path = Path(value)
    base = Path(getattr(project, "base_dir", ".") or ".")
    if not path.is_absolute():
        path = base / path
    if not path.is_file():
        raise RenderError(f"report.deck.template: {value} does not exist (a .pptx file inside the project folder)")
    if path.suffix.lower() != ".pptx":
        raise RenderError(f"report.deck.template: {path.name} is not a PowerPoint .pptx file")
    return path


def open_template(path: Path):
    """The template as a presentation without its own slides (their parts are dropped)."""
    from pptx import Presentation

    from cxreport.errors import RenderError

    try:
        prs = Presentation(str(path))
    except Exception as exc:  # noqa: BLE001 - any file python-pptx cannot read
        raise RenderError(f"report.deck.template: cannot read {path.name} as a PowerPoint file ({exc})") from None
    ids = prs.slides._sldIdLst
    for sld_id in list(ids):
        prs.part.drop_rel(sld_id.rId)
        ids.remove(sld_id)
    return prs


def theme_of(prs) -> dict[str, str]:
    """The template theme's colours (accent1, accent2, dk2 as hex) and fonts (major, minor)."""
    from lxml import etree
    from pptx.opc.constants import RELATIONSHIP_TYPE as RT

    out: dict[str, str] = {}
    try:
        part = prs.slide_master.part.part_related_by(RT.THEME)
        root = etree.fromstring(part.blob)
    except (KeyError, etree.XMLSyntaxError, AttributeError):
        return out
    ns = {"a": "http://schemas.openxmlformats.org/drawingml/2006/main"}
    for name in ("accent1", "accent2", "dk2"):
        node = root.find(f".//a:clrScheme/a:{name}", ns)
        if node is None:
            continue
        srgb, sys_clr = node.find("a:srgbClr", ns), node.find("a:sysClr", ns)
        value = srgb.get("val") if srgb is not None else sys_clr.get("lastClr") if sys_clr is not None else None
        if value and re.fullmatch(r"[0-9A-Fa-f]{6}", value):
            out[name] = value.upper()
    for name, tag in (("major", "majorFont"), ("minor", "minorFont")):
        node = root.find(f".//a:fontScheme/a:{tag}/a:latin", ns)
        if node is not None and node.get("typeface") and not node.get("typeface").startswith("+"):
            out[name] = node.get("typeface")
    return out


def _is_title(placeholder) -> bool:
    try:
        kind = placeholder.placeholder_format.type
    except (AttributeError, ValueError):
        return False
    return kind is not None and kind.name in ("TITLE", "CENTER_TITLE", "VERTICAL_TITLE")


def _kinds(layout) -> set[str]:
    kinds = set()
    for ph in layout.placeholders:
        kind = ph.placeholder_format.type
        if kind is not None:
            kinds.add(kind.name)
    return kinds


def pick_layouts(prs):
    """The template's title layout (a centred title with a subtitle: by placeholder types,
    then by name, then the first layout) and content layout (a title only, or a title and
    content, whose body the deck replaces: by types, then name, then the sixth or second
    layout, as in PowerPoint's default master)."""
    layouts = list(prs.slide_layouts)
    frame = {"FOOTER", "SLIDE_NUMBER", "DATE"}

    def named(*words: str):
        return next((lay for lay in layouts for w in words if lay.name and w in lay.name.lower()), None)

    title = (next((lay for lay in layouts if {"CENTER_TITLE", "SUBTITLE"} <= _kinds(lay)), None)
             or next((lay for lay in layouts if "CENTER_TITLE" in _kinds(lay)), None)
             or named("title slide") or layouts[0])
    content = (next((lay for lay in layouts if lay is not title and _kinds(lay) - frame == {"TITLE"}), None)
               or next((lay for lay in layouts if lay is not title and "TITLE" in _kinds(lay)
                        and _kinds(lay) - frame - {"TITLE"} <= {"BODY", "OBJECT"}), None)
               or named("title only", "title and content")
               or (layouts[5] if len(layouts) > 5 else layouts[1] if len(layouts) > 1 else layouts[0]))
    return title, content


# --------------------------------------------------------------------------- cells and small helpers


def _status_cell(status: dict | None) -> Cell:
    if not status or status["status"] not in STATUS_COLOURS:
        return Cell(DASH)
    ink, fill = STATUS_COLOURS[status["status"]]
    return Cell(status["label"], bold=True, colour=ink, fill=fill, align="center")


def _change_cell(change, unit: str, shown: bool = True) -> Cell:
    if change is None or not shown:
        return Cell(DASH)
    return Cell(gap(change.test.diff, unit), mark=change.mark)


def _figure_cell(c: dict | None, note: str = "", bold: bool = False) -> Cell:
    mark = c.get("mark", 0) if c and plain_cell(c) != DASH else 0
    return Cell(plain_cell(c, marks=False), mark=mark, note=note, bold=bold)


def _interval(c: dict, unit: str) -> str:
    if c.get("base") == "suppressed" or c.get("value") is None:
        return DASH
    return _("{low} to {high}").format(low=figure(c["low"], unit), high=figure(c["high"], unit))


def _get(obj, key: str, default=None):
    """A field of a context object, whether a dataclass (before ``plain_data``) or a dict (after)."""
    if isinstance(obj, dict):
        return obj.get(key, default)
    return getattr(obj, key, default)


def findings_of(ctx: dict) -> list[dict]:
    """The key findings of the context, as dicts (text, kind, tone)."""
    found = ctx.get("findings")
    items = _get(found, "items", None) if found is not None else None
    if items is None and isinstance(found, list):
        items = found
    return [{"text": _get(f, "text"), "kind": _get(f, "kind"), "tone": _get(f, "tone") or "neutral"}
            for f in items or [] if _get(f, "text")]


def _finding(ctx: dict, kind: str) -> str | None:
    return next((f["text"] for f in findings_of(ctx) if f["kind"] == kind), None)


def _section(name: str, period: str | None) -> str:
    """The line above a slide's title: the section, and the period it describes."""
    return f"{name} · {period}" if period else name


def _join(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    # Translators: joins the last item of a list: "CSAT (75%), CES (5.02) and NPS (+28)".
    return _("{first} and {last}").format(first=_(", ").join(names[:-1]), last=names[-1])


def _shown(value, unit: str) -> float | None:
    """The figure as the report prints it (the chart's value: its label then reads the same)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return shown_value(float(value), unit)


#: Decimals of a difference: the unit's own, as :func:`~cxreport.present.formatting.gap` prints it.
GAP_DECIMALS = DECIMALS


def _gap_value(diff, unit: str) -> float | None:
    if diff is None or not math.isfinite(diff):
        return None
    return float(f"{diff:.{GAP_DECIMALS.get(unit, 2)}f}")


def _gap_format(unit: str) -> str:
    """The number format of a difference, as :func:`~cxreport.present.formatting.gap` prints it."""
    if unit == "percent":
        before, _mark, after = _("{n} pts").partition("{n}")
        d = DECIMALS["percent"]
        return number_format("percent", signed=True, decimals=d, suffix=after).replace(
            "#,##0", _quote_text(before) + "#,##0", 1) if before else number_format(
            "percent", signed=True, decimals=d, suffix=after)
    return number_format(unit, signed=True, decimals=GAP_DECIMALS.get(unit, 2))


def _quote_text(text: str) -> str:
    return '"' + text.replace('"', "") + '"' if text else ""


def _spec(deck: "_Deck", key: str):
    try:
        return deck.study.results.overall[key].spec
    except (AttributeError, KeyError):
        return None


def _bar_floor(deck: "_Deck", key: str | None, unit: str) -> float | None:
    """Where a bar of a KPI starts: zero, or the bottom of a mean's scale (1 on a 1–7 scale)."""
    spec = _spec(deck, key) if key else None
    if unit == "mean" and spec is not None and spec.low > 0:
        return float(spec.low)
    return None


def _truncate(text: str, limit: int = 320) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


class _Blocks(HTMLParser):
    """Headings and paragraphs (and list items) of the narrative's HTML, as plain text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, str]] = []
        self._kind: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6", "p", "li"):
            self._flush()
            self._kind = "heading" if tag.startswith("h") else "text"
        elif tag == "br":
            self._text.append(" ")

    def handle_endtag(self, tag):
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6", "p", "li"):
            self._flush()

    def handle_data(self, data):
        if self._kind is None:
            self._kind = "text"
        self._text.append(data)

    def _flush(self):
        text = " ".join("".join(self._text).split())
        if text and self._kind:
            self.blocks.append((self._kind, text))
        self._kind, self._text = None, []

    def close(self):
        super().close()
        self._flush()


def recommendations_of(html) -> list[tuple[str, list[str]]]:
    """The recommendations' Markdown (as HTML) as items: a heading and its paragraphs (a
    paragraph before any heading is an item of its own)."""
    if not html:
        return []
    parser = _Blocks()
    parser.feed(str(html))
    parser.close()
    items: list[tuple[str, list[str]]] = []
    for kind, text in parser.blocks:
        if kind == "heading":
            items.append((text, []))
        elif items and items[-1][0]:
            items[-1][1].append(text)
        else:
            items.append(("", [text]))
    return items


def _title_lines(ctx: dict) -> list[str]:
    from cxreport.present.render import long_date

    report = ctx["report"]
    parts = [_("Prepared for {who}").format(who=report["prepared_for"])]
    if report["prepared_by"]:
        parts.append(_("Prepared by {who}").format(who=report["prepared_by"]))
    parts.append(long_date(report["date"]))
    return [" · ".join(parts)]


def _paged(title: str, k: int, n: int) -> str:
    return title if n == 1 else f"{title} ({k}/{n})"


# --------------------------------------------------------------------------- slides of both reports


def _summary_slide(deck: _Deck, title: str, section: str, items: list[tuple[str, str]], closing: str | None) -> None:
    """A list of findings (text, tone), each on its own band with its tone mark, filling the slide."""
    if not items:
        return
    slide = deck.slide(title, section)
    top = deck.top + 0.05
    closing_h = deck.notes_height([closing]) + 0.12 if closing else 0.0
    avail = deck.bottom - top - closing_h
    mark_w = 0.5
    text_w = deck.content_width - mark_w - 0.15
    gaps = 0.16 * len(items)
    paragraphs = [(t, 18, False, INK) for t, _tone in items]
    scale = deck.fit_size(paragraphs, text_w, avail - gaps, min_size=11, grow=22 / 18, space_after=0)
    size = 18 * scale
    heights = [deck.m.height([(t, size, False)], text_w) for t, _tone in items]
    even = avail / len(items)
    slot_extra = max(0.0, (avail - sum(heights)) / len(items))
    y = top
    for k, ((text, tone), h) in enumerate(zip(items, heights)):
        slot = even if max(heights) <= even else h + slot_extra      # even bands when every finding fits one
        if k % 2 == 0:
            deck._rect(slide, deck.margin, y, deck.content_width, slot, ZEBRA, name="Band")
        mark, colour = TONE_MARKS.get(tone, TONE_MARKS["neutral"])
        deck.text(slide, deck.margin + 0.1, y, mark_w - 0.1, slot, [(mark, size, True, colour)], anchor="middle",
                  fill=True, name="Tone")
        deck.text(slide, deck.margin + mark_w, y, text_w, slot, [(text, size, False, INK)], anchor="middle",
                  fill=True, min_size=size, name="Finding")
        y += slot
    if closing:
        deck.notes(slide, y + 0.1, [closing])


def _kpi_tiles(deck: _Deck, slide, top: float, height: float, tiles: list[dict]) -> None:
    """A tile per KPI: its name, the figure, the target and the status (words in the status colour)."""
    n = len(tiles)
    gapw = 0.25
    width = (deck.content_width - gapw * (n - 1)) / n
    for k, t in enumerate(tiles):
        x = deck.margin + k * (width + gapw)
        deck._rect(slide, x, top, width, height, ZEBRA, name="KPI tile")
        status = t.get("status")
        ink = STATUS_COLOURS[status["status"]][0] if status and status["status"] in STATUS_COLOURS else LIGHT
        deck._rect(slide, x, top, width, 0.09, ink, name="KPI status")
        inner = width - 0.4
        lines = [(t["label"], 15, True, INK), (t["figure"], 40, True, deck.primary)]
        if t.get("target"):
            lines.append((t["target"], 14, False, MUTED))
        if status and status["status"] in STATUS_COLOURS:
            lines.append((status["label"], 15, True, ink))
        deck.text(slide, x + 0.2, top + 0.2, inner, height - 0.3, lines, min_size=9, space_after=0.15,
                  grow=1.2, name="KPI")


def _tiles_from(rows: list[dict]) -> list[dict]:
    out = []
    for r in rows:
        status = r.get("status")
        target = _("Target {t}").format(t=figure(status["target"], r["unit"])) if status else ""
        out.append({"label": r["label"], "figure": plain_cell(r["headline"], marks=False), "target": target,
                    "status": status})
    return out


def _kpi_slide(deck: _Deck, title: str, section: str, header: list[str], rows: list[list[Cell]],
               tiles: list[dict], notes: list[str]) -> None:
    """KPIs against target: a tile per KPI, then the status table (the deck's one table with
    status colours), then the reading notes."""
    slide = deck.slide(title, section)
    top = deck.top + 0.05
    width = deck.content_width
    notes_h = deck.notes_height(notes) + 0.15
    room = deck.bottom - top - notes_h
    size = 16.0
    tile_h = 0.0
    if tiles and len(tiles) <= 5:
        for size in (14.0, 13.0, 12.0):
            tile_h = min(2.6, room - deck.table_height(width, header, rows, size) * 1.2 - 0.25)
            if tile_h >= 1.1:
                break
    if tile_h >= 1.1:
        _kpi_tiles(deck, slide, top, tile_h, tiles)
        top += tile_h + 0.25
    else:
        size = _grow_table(deck, width, header, rows, 16, room, largest=20)
    top += deck.table(slide, deck.margin, top, width, deck.bottom - notes_h - top, header, rows, size=size,
                      min_size=10, stretch=True) + 0.15
    deck.notes(slide, top, notes)


def _trend_charts(deck: _Deck, slide, left: float, top: float, width: float, height: float,
                  rows: list[dict], specs: list[dict], prefix: str = "trend") -> bool:
    """A native line chart per KPI over ``rows`` (the periods), the points coloured by their
    status against the target, the target a dashed line; returns whether any axis does not
    start at zero."""
    from cxreport.present.charts import STATUS_INK

    if len(rows) < 2 or not specs:
        return False
    n = len(specs)
    gapw = 0.2
    each = (width - gapw * (n - 1)) / n
    truncated = False
    cats = [r["label"] for r in rows]
    for k, spec in enumerate(specs):
        key, unit = spec["key"], spec["unit"]
        cells = [r["cells"].get(key) for r in rows]
        values = [_shown(c["value"], unit) if c and c.get("base") != "suppressed" else None for c in cells]
        colours = [_hex(STATUS_INK[c["status"]]) if c and c.get("status") in STATUS_INK else None for c in cells]
        targets = {c.get("target") for c in cells if c and c.get("target") is not None}
        series = [Series(spec["label"], values, deck.primary, point_colours=colours)]
        reference = list(values)
        if len(targets) == 1:
            target = targets.pop()
            series.append(Series(_("Target"), [target] * len(rows), deck.accent, labels=False, dashed=True,
                                 markers=False))
            reference.append(target)
        s = _spec(deck, key)
        low_scale, high_scale = (s.headline_scale if s is not None else (None, None))
        low, high, step, zero = value_range(reference, floor=low_scale, ceiling=high_scale)
        low, high, step = shown_ticks(low, high, step, number_format(unit))
        lines = [s.values for s in series if s.dashed]
        clear = below_line_clearance(low, high, height, deck.charts.size)
        if any(values[k] - low < clear for k in below_line(values, lines, low, high, height, deck.charts.size)):
            lower = low - step                                 # room under a label moved below its point
            if low_scale is None or lower >= low_scale:
                low = lower
                zero = low <= 0 <= high
        truncated |= not zero
        axis = spec["label"] if zero else _("{label} (axis starts at {low})").format(
            label=spec["label"], low=figure(low, unit))
        fmt = number_format(unit)
        alt = _("{kpi}: {points}").format(kpi=spec["label"], points=_(", ").join(
            f"{c} {figure(v, unit) if v is not None else DASH}" for c, v in zip(cats, values)))
        deck.charts.line(slide, left + k * (each + gapw), top, each, height, name=f"Chart {prefix}-{key}", alt=alt,
                         categories=cats, series=series, fmt=fmt, axis_title=axis, low=low, high=high, step=step,
                         legend=len(series) > 1)
    return truncated


def _trend_title(deck: _Deck, rows: list[dict]) -> str | None:
    """The trend slide's title when no change is significant: the first KPI from the first
    charted period to the last, as the figures read (no 'rose' or 'fell' without a test)."""
    specs = deck.ctx["kpi_specs"]
    if len(rows) < 2 or not specs:
        return None
    key, unit = specs[0]["key"], specs[0]["unit"]
    shown = [(r["label"], r["cells"].get(key)) for r in rows]
    shown = [(label, c["value"]) for label, c in shown
             if c and c.get("value") is not None and c.get("base") != "suppressed"]
    if len(shown) < 2:
        return None
    (p0, first), (p1, last) = shown[0], shown[-1]
    return _("{kpi} went from {first} in {p0} to {last} in {p1}").format(
        kpi=specs[0]["label"], first=figure(first, unit), p0=p0, last=figure(last, unit), p1=p1)


def _trend_slide(deck: _Deck, title: str, section: str, chart_rows: list[dict], table_rows: list[dict],
                 prefix: str = "trend") -> None:
    ctx = deck.ctx
    slide = deck.slide(title, section)
    specs = ctx["kpi_specs"][:4]
    header = [_("Period"), _("Base")] + [k["label"] for k in ctx["kpi_specs"]]
    body = [[Cell(r["label"], bold=True, align="left"), Cell(num(r["base"]))]
            + [_figure_cell(r["cells"][k["key"]]) for k in ctx["kpi_specs"]] for r in table_rows]
    width = deck.content_width
    notes = [deck.base_note()]
    top = deck.top
    charted = len(chart_rows) >= 2 and bool(specs)
    if charted:
        notes.insert(0, _("Lines: the figure in each period, points coloured by status against the target "
                          "(green on, amber near, red below); dashed: the target. A vertical axis that does not "
                          "start at zero says so."))
    notes_h = deck.notes_height(notes) + 0.1
    if charted:
        table_h = deck.table_height(width, header, body, 12, fill=True)
        chart_h = max(deck.bottom - notes_h - table_h - 0.2 - top, 0.6 * (deck.bottom - notes_h - top))
        _trend_charts(deck, slide, deck.margin, top, width, chart_h, chart_rows, specs, prefix)
        top += chart_h + 0.15
        top += deck.table(slide, deck.margin, top, width, deck.bottom - notes_h - top, header, body, size=14,
                          fill=True, min_size=11, stretch=True) + 0.1
    else:
        top += deck.table(slide, deck.margin, top + 0.1, width, deck.bottom - notes_h - top, header, body,
                          size=20, fill=True) + 0.25
    deck.notes(slide, top, notes)


def _drivers_slide(deck: _Deck, drivers: dict) -> None:
    a = drivers["overall"]
    period = deck.ctx["period"]
    rows = list(a.rows)[:TOP_DRIVERS]
    names = [r.name for r in rows[:_clear_lead(a.rows)]]
    title = _("{names} matter most to {outcome}").format(names=_join(names), outcome=a.outcome) if names else \
        _("What drives the experience")
    section = _section(_("Key drivers"), a.period or period["headings"].get("drivers"))
    slide = deck.slide(title, section)
    chart_w = deck.content_width * 0.45
    left = deck.margin + chart_w + 0.3
    width = deck.W - deck.margin - left
    values = [round(r.importance, 1) for r in rows]
    colours = [deck.primary if k < 3 else LIGHT for k in range(len(rows))]
    alt = _("{kpi}: {points}").format(kpi=_("Importance (% of R²)"), points=_(", ").join(
        f"{r.name} {num(r.importance, 1)}" for r in rows))
    low, high, step, _zero = value_range(values, zero=True)
    deck.charts.bar(slide, deck.margin, deck.top, chart_w, deck.bottom - deck.top, name="Chart drivers",
                    alt=alt, categories=[r.name for r in rows],
                    series=[Series(_("Importance (% of R²)"), values, deck.primary, point_colours=colours)],
                    fmt=number_format("mean", decimals=1), axis_title=_("Importance (% of R²)"), low=low, high=high,
                    step=step)
    intro = _("What drives {o}: each attribute's share of the explained variance (R² = {r}, n = {n}), "
              "against how well it performs.").format(o=a.outcome, r=num(a.r2, 3), n=num(a.n))
    if a.missing == "pairwise":
        base = _("Correlations pairwise: {lo} to {hi} respondents a pair, of {rows}.").format(
            lo=num(a.n), hi=num(a.pair_max), rows=num(a.n_rows))
    else:
        base = _("Base: {n} respondents who answered every item, of {rows} (listwise).").format(
            n=num(a.n), rows=num(a.n_rows))
    more = len(a.rows) - TOP_DRIVERS
    lines = [_("Top {k} of {n} drivers; the full table is in the report.").format(k=TOP_DRIVERS, n=len(a.rows))
             if more > 0 else "", base if a.n_rows else "",
             _("Importance: Johnson's relative weights. Quadrants split at the mean importance and mean performance."),
             _("95 % intervals on the importances (bootstrap) are in the report's driver table.")
             if getattr(a, "bootstrap", None) is not None else ""]
    lines = [intro] + [line for line in lines if line]
    notes_h = deck.notes_height(lines, width) + 0.1
    top = deck.top
    table_rows = [[Cell(r.name, bold=True, align="left"), Cell(num(r.performance)),
                   Cell(_(r.quadrant), align="left")] for r in rows]
    header = [_("Attribute"), _("Performance (0–100)"), _("Quadrant")]
    room = deck.bottom - notes_h - top
    size = _grow_table(deck, width, header, table_rows, 14, room)
    top += deck.table(slide, left, top, width, room, header, table_rows, size=size, min_size=9, stretch=True) + 0.1
    deck.notes(slide, top, lines, left=left, width=width)


def _clear_lead(rows, most: int = 3) -> int:
    """How many of the top drivers the title may name as mattering most: up to ``most``, and,
    with bootstrap intervals, only as many as stand clear of the next driver (the lowest end of
    the last one named above the highest end of the first one left out), so the title never
    claims a lead the intervals cannot support; 0 when none does."""
    rows = list(rows)
    if len(rows) <= most:
        return len(rows)
    if any(getattr(r, "low", None) is None for r in rows[:most + 1]):
        return most
    for k in range(most, 0, -1):
        if rows[k - 1].low > rows[k].high:
            return k
    return 0


def _drivers_note_slide(deck: _Deck, note: str) -> None:
    """The drivers' slide when the analysis could not run: why, instead of no slide."""
    slide = deck.slide(_("What drives the experience"),
                       _section(_("Key drivers"), deck.ctx["period"]["headings"].get("drivers")))
    deck.notes(slide, deck.top, [note])


def _grow_table(deck: _Deck, width: float, header: list[str], rows: list[list[Cell]], size: float, room: float,
                largest: float = 18) -> float:
    """The font size at which the table fills ``room`` best (from ``size`` up to ``largest``)."""
    while size + 1 <= largest and deck.table_height(width, header, rows, size + 1) <= room:
        size += 1
    return size


def _priorities_slide(deck: _Deck, priorities: dict) -> None:
    ctx = deck.ctx
    period = ctx["period"]
    top_rows = list(priorities["top"])
    drivers = ctx.get("drivers") or {}
    outcome = drivers["overall"].outcome if drivers.get("overall") is not None else ""
    names = [p.name for p in top_rows[:2]]
    if names and outcome:
        title = _("Improving {names} would move {outcome} most").format(names=_join(names), outcome=outcome)
    else:
        title = _("Improvement priorities — {p}").format(p=period["window"])
    slide = deck.slide(title, _section(_("Improvement priorities"), period["headings"].get("priorities")))
    drivers_scope = period["sections"]["drivers"]
    chart_w = deck.content_width * 0.46
    left = deck.margin + chart_w + 0.3
    width = deck.W - deck.margin - left
    values = [round(float(p.impact), 2) for p in top_rows]
    low, high, step, _zero = value_range(values, zero=True)
    alt = _("{kpi}: {points}").format(kpi=_("Impact"), points=_(", ").join(
        f"{p.name} {num(p.impact, 2)}" for p in top_rows))
    deck.charts.bar(slide, deck.margin, deck.top, chart_w, deck.bottom - deck.top, name="Chart priorities", alt=alt,
                    categories=[f"{k}. {p.name}" for k, p in enumerate(top_rows, start=1)],
                    series=[Series(_("Impact"), values, deck.primary)], fmt=number_format("mean", decimals=2),
                    axis_title=_("Impact = importance × gap (0–100 scale)"), low=low, high=high, step=step)
    intro = _("Where improvement would move the outcome most: impact = importance × gap on a 0–100 scale.")
    top = deck.top + deck.text(slide, left, deck.top, width, 1.2, [(intro, 14, False, INK)]) + 0.15
    with_effort = any(p.effort for p in top_rows)
    header = [_("Driver"), _("Impact"), _("Gap")] + ([_("Effort")] if with_effort else []) + [_("Quadrant")]
    rows = []
    for k, p in enumerate(top_rows, start=1):
        row = [Cell(f"{k}. {p.name}", bold=True, align="left"), Cell(num(p.impact, 2)), Cell(num(p.gap, 1))]
        if with_effort:
            row.append(Cell(_(p.effort) if p.effort else DASH, align="left"))
        rows.append(row + [Cell(_(p.quadrant), align="left")])
    notes = [_("Gap: points to the target when every driver has one, otherwise to the top of the scale.")]
    if drivers_scope["pooled"]:
        notes.append(_("Importance: {pooled}; performance: {window}.").format(pooled=drivers_scope["label"],
                                                                             window=period["window"]))
    notes_h = deck.notes_height(notes, width) + 0.1
    room = deck.bottom - notes_h - top
    size = _grow_table(deck, width, header, rows, 14, room)
    top += deck.table(slide, left, top, width, room, header, rows, size=size, stretch=True) + 0.1
    deck.notes(slide, top, notes, left=left, width=width)


def _methodology_slide(deck: _Deck) -> None:
    ctx = deck.ctx
    sample, rules, report, validation = ctx["sample"], ctx["rules"], ctx["report"], ctx["validation"]
    from cxreport.present.render import long_date

    slide = deck.slide(_("Methodology and base"), _section(_("Methodology"), ctx["period"]["window"]))
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
    gapw = 0.5
    col_w = (deck.content_width - gapw) / 2
    height = deck.bottom - deck.top - 0.6
    columns = ((_("Sample and fieldwork"), left), (_("Reading the figures"), right))
    scale = min(deck.fit_size([(line, 15, False, INK) for line in lines], col_w, height, min_size=9, grow=20 / 15,
                              bullets=True, space_after=0.5) for _h, lines in columns)
    for k, (head, lines) in enumerate(columns):
        x = deck.margin + k * (col_w + gapw)
        deck.text(slide, x, deck.top, col_w, 0.45, [(head, 18, True, deck.primary)])
        deck._rect(slide, x, deck.top + 0.5, col_w, 0.03, LIGHT, name="Rule")
        deck.text(slide, x, deck.top + 0.62, col_w, height, [(line, 15 * scale, False, INK) for line in lines],
                  bullets=True, min_size=9, space_after=0.5, fill=True)


# --------------------------------------------------------------------------- the client report


def _scorecard(deck: _Deck) -> None:
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
    lines = [_("Score: {p}, every respondent in it.").format(p=period["window"])]
    if comps:
        lines.append(_("Changes: the score minus that period's, tested; ▲ ▼ significant."))
    lines.append(_("Status: on target (green) when the score as shown meets the target; near target (amber) when "
                   "below it by no more than the tolerance; below target (red) otherwise."))
    lines.append(deck.base_note())
    title = _finding(ctx, "headline") or _("KPI scorecard — {p}").format(p=period["window"])
    _kpi_slide(deck, title, _section(_("KPI scorecard"), period["headings"].get("scorecard", period["window"])),
               header, rows, _tiles_from(ctx["scorecard"]), lines)


def _segment_gaps(deck: _Deck) -> tuple[dict | None, list[dict]]:
    """The largest significant differences of segment groups from the total on the first
    KPI, in segments of at most :data:`MAX_GROUPS` groups (as the key findings choose)."""
    from cxreport.validate import NOT_STATED

    ctx = deck.ctx
    if not ctx["kpi_specs"]:
        return None, []
    spec = ctx["kpi_specs"][0]
    key, unit = spec["key"], spec["unit"]
    total = (ctx.get("totals") or {}).get(key)
    if not total or total.get("value") is None:
        return spec, []
    out = []
    for seg in ctx["segments"]:
        if len(seg["rows"]) > MAX_GROUPS:
            continue
        for r in seg["rows"]:
            c = r["cells"].get(key)
            if not c or not c.get("mark") or c.get("base") == "suppressed" or c.get("value") is None \
                    or r["label"] == NOT_STATED:
                continue
            diff = shown_difference(c["value"], total["value"], unit)     # of the figures as printed
            if diff is None:
                continue
            out.append({"segment": seg["name"], "group": r["label"], "value": c["value"], "mark": c["mark"],
                        "diff": diff, "base": r["base"]})
    out.sort(key=lambda g: -abs(g["diff"]))
    return spec, out


def _gaps_slide(deck: _Deck) -> None:
    ctx = deck.ctx
    period = ctx["period"]
    spec, gaps = _segment_gaps(deck)
    if not gaps:
        return
    unit = spec["unit"]
    total = ctx["totals"][spec["key"]]["value"]
    shown = sorted(gaps[:TOP_GAPS], key=lambda g: -g["diff"])
    scope = period["headings"].get("segments", period["window"])
    title = _finding(ctx, "segment") or f"{_('Results by segment')} — {scope}"
    slide = deck.slide(title, _section(_("Results by segment"), scope))
    notes = [_("The groups that differ most from the total on {kpi}, among those significantly different from the "
               "rest of the sample ({a}% level), in segments of at most {n} groups.").format(
        kpi=spec["label"], a=round(ctx["rules"]["alpha"] * 100), n=MAX_GROUPS)]
    notes_h = deck.notes_height(notes) + 0.1
    values = [_gap_value(g["diff"], unit) for g in shown]
    colours = [deck.accent if g["diff"] > 0 else deck.primary for g in shown]
    low, high, step, _zero = value_range(values, zero=True)
    cats = [_("{segment}: {group}").format(segment=g["segment"], group=g["group"]) for g in shown]
    axis = _("{kpi}: difference from the total ({total}), {period}").format(
        kpi=spec["label"], total=figure(total, unit), period=scope)
    alt = _("{kpi}: {points}").format(kpi=axis, points=_(", ").join(
        f"{c} {gap(g['diff'], unit)}" for c, g in zip(cats, shown)))
    deck.charts.bar(slide, deck.margin, deck.top, deck.content_width, deck.bottom - deck.top - notes_h,
                    name="Chart segment-gaps", alt=alt, categories=cats,
                    series=[Series(spec["label"], values, deck.primary, point_colours=colours)],
                    fmt=_gap_format(unit), axis_title=axis, low=low, high=high, step=step, gap_width=45)
    deck.notes(slide, deck.bottom - notes_h + 0.1, notes)


def _story_segments(deck: _Deck) -> list[tuple[dict, dict]]:
    """Segments to tell in detail, in the project's order: those (of at most
    :data:`MAX_GROUPS` groups) with a group significantly different on the first KPI,
    each with its group furthest from the total (a group below it first)."""
    spec, gaps = _segment_gaps(deck)
    out = []
    for seg in deck.ctx["segments"]:
        mine = [g for g in gaps if g["segment"] == seg["name"]]
        if not mine:
            continue
        below = [g for g in mine if g["diff"] < 0]
        lead = max(below or mine, key=lambda g: abs(g["diff"]))
        out.append((seg, lead))
        if len(out) == STORY_SEGMENTS:
            break
    return out


def _segment_slide(deck: _Deck, seg: dict, lead: dict) -> None:
    """One segment's story: the group that differs most in the action title, a bar per
    group (and the total) on the first KPI, and every KPI by group in a table."""
    from cxreport.present.findings import _points

    ctx = deck.ctx
    period = ctx["period"]
    spec = ctx["kpi_specs"][0]
    key, unit = spec["key"], spec["unit"]
    scope = period["headings"].get("segments", period["window"])
    total = ctx["totals"][key]
    args = dict(group=lead["group"], segment=seg["name"].lower(), kpi=spec["label"], period=scope,
                diff=_points(lead["diff"], unit))
    if lead["diff"] < 0:
        title = _("{group} ({segment}) trails the total by {diff} on {kpi} in {period}").format(**args)
    else:
        title = _("{group} ({segment}) leads the total by {diff} on {kpi} in {period}").format(**args)
    slide = deck.slide(title, _section(_("By {segment}").format(segment=seg["name"]), scope))
    rows = [r for r in seg["rows"]]
    values = [_shown(r["cells"][key]["value"], unit) if r["cells"][key].get("base") != "suppressed" else None
              for r in rows] + [_shown(total["value"], unit)]
    colours = []
    for r in rows:
        mark = r["cells"][key].get("mark", 0)
        colours.append(deck.primary if mark < 0 else deck.accent if mark > 0 else LIGHT)
    colours.append(MUTED)
    cats = [r["label"] for r in rows] + [_("Total")]
    low, high, step, _zero = value_range(values, zero=True, floor=_bar_floor(deck, key, unit))
    floor = _bar_floor(deck, key, unit)
    if floor is not None:
        low = floor
    chart_w = deck.content_width * 0.45
    axis = _("{kpi} by {segment}, {period}").format(kpi=spec["label"], segment=seg["name"].lower(), period=scope)
    alt = _("{kpi}: {points}").format(kpi=axis, points=_(", ").join(
        f"{c} {figure(v, unit) if v is not None else DASH}" for c, v in zip(cats, values)))
    deck.charts.bar(slide, deck.margin, deck.top, chart_w, deck.bottom - deck.top, name=f"Chart segment-{key}",
                    alt=alt, categories=cats, series=[Series(spec["label"], values, LIGHT, point_colours=colours)],
                    fmt=number_format(unit), axis_title=axis, low=low, high=high, step=step, gap_width=45)
    left = deck.margin + chart_w + 0.3
    width = deck.W - deck.margin - left
    header = [seg["name"], _("Base")] + [k["label"] for k in ctx["kpi_specs"]]
    body = [[Cell(r["label"], bold=True, align="left"), Cell(num(r["base"]))]
            + [_figure_cell(r["cells"][k["key"]]) for k in ctx["kpi_specs"]] for r in rows]
    body.append([Cell(_("Total"), bold=True, align="left"), Cell(num(ctx["sample"]["base"]))]
                + [_figure_cell(ctx["totals"].get(k["key"]), bold=True) for k in ctx["kpi_specs"]])
    notes = [_("Bars are coloured where the group differs significantly from the rest of the sample (▲ ▼ in the "
               "table, {a}% level): the primary colour below, the accent colour above; grey: no significant "
               "difference.").format(
        a=round(ctx["rules"]["alpha"] * 100)), deck.base_note()]
    notes_h = deck.notes_height(notes, width) + 0.1
    room = deck.bottom - notes_h - deck.top
    n_fit = deck.rows_that_fit(width, header, body, 11, room)
    size = _grow_table(deck, width, header, body[:n_fit], 14, room)
    top = deck.top + deck.table(slide, left, deck.top, width, room, header, body[:n_fit], size=size, min_size=11,
                                stretch=True) + 0.1
    deck.notes(slide, top, notes, left=left, width=width)


def _brands(comp: dict) -> list:
    return [b for b in comp["brands"] if _get(b, "value") is not None and _get(b, "base") != "suppressed"]


def _competitors_slide(deck: _Deck) -> None:
    ctx = deck.ctx
    comps = [c for c in ctx["competitors"] if _brands(c)]
    if not comps:
        return
    period = ctx["period"]
    scope = period["headings"].get("competitors") or period["window"]
    title = _finding(ctx, "competitor") or f"{_('Against competitors')} — {period['window']}"
    slide = deck.slide(title, _section(_("Against competitors"), scope))
    ordered = sorted(comps, key=lambda c: c["origin"] != "survey")
    charted, seen = [], set()
    for c in ordered:
        if c["label"] not in seen and len(charted) < 3:
            charted.append(c)
            seen.add(c["label"])

    def source(c: dict) -> str:
        words = _("competitor survey") if c["origin"] == "survey" else _("published and syndicated data")
        return _("%(source)s, %(period)s") % {"source": words, "period": c["period"]} if c["period"] else words

    header = [_("Measure"), _("Source"), _("Rank"), _("Leader"), _("Gap to the leader")]
    rows = []
    for c in ordered:
        unit = c["unit"]
        best = c.get("best")
        own = c.get("own")
        rank = _("%(k)s of %(n)s") % {"k": c["rank"], "n": c["n_brands"]} if c["rank"] else DASH
        leader = f"{_get(best, 'brand')} ({figure(_get(best, 'value'), unit)})" if best is not None else DASH
        diff = c.get("gap")
        mark = 0
        if best is not None and own is not None and not _get(best, "own"):
            mark = -1 if _get(best, "mark") else 0
        rows.append([Cell(c["label"], bold=True, align="left"), Cell(source(c), align="left"), Cell(rank),
                     Cell(leader, align="left"),
                     Cell(gap(diff, unit) if diff is not None and not c.get("leads") else DASH, mark=mark)])
    notes = [_("Bars: the client's brand in the primary colour. Gap to the leader: the brand minus the leader; "
               "▼ significant ({a}% level) where the bases allow a test.").format(
        a=round(ctx["rules"]["alpha"] * 100))]
    notes_h = deck.notes_height(notes) + 0.1
    width = deck.content_width
    table_h = deck.table_height(width, header, rows, 12)
    chart_h = max(2.2, min(3.2, deck.bottom - deck.top - table_h - notes_h - 0.2))
    room = deck.bottom - deck.top - chart_h - notes_h - 0.15
    table_size = _grow_table(deck, width, header, rows, 11, room, largest=15)
    gapw = 0.25
    each = (width - gapw * (len(charted) - 1)) / len(charted)
    for k, c in enumerate(charted):
        unit = c["unit"]
        brands = sorted(_brands(c), key=lambda b: -_get(b, "value"))
        values = [_shown(_get(b, "value"), unit) for b in brands]
        colours = [deck.primary if _get(b, "own") else LIGHT for b in brands]
        low, high, step, _zero = value_range(values, zero=True, ceiling=100 if unit == "percent" else None)
        name = f"{c['label']} — {source(c)}"
        alt = _("{kpi}: {points}").format(kpi=name, points=_(", ").join(
            f"{_get(b, 'brand')} {figure(_get(b, 'value'), unit)}" for b in brands))
        deck.charts.bar(slide, deck.margin + k * (each + gapw), deck.top, each, chart_h, name=f"Chart competitors-{k}",
                        alt=alt, categories=[_get(b, "brand") for b in brands],
                        series=[Series(c["label"], values, LIGHT, point_colours=colours)], fmt=number_format(unit),
                        axis_title="", low=low, high=high, step=step, title=name, label_size=12, category_size=11,
                        gap_width=40, value_axis=False)
    top = deck.top + chart_h + 0.15
    top += deck.table(slide, deck.margin, top, width, deck.bottom - notes_h - top, header, rows, size=table_size,
                      min_size=9, stretch=True) + 0.1
    deck.notes(slide, top, notes)


def _quotes(ctx: dict) -> list[dict]:
    """A couple of masked verbatims: the most negative comment on the theme with the most
    negative comments, and the most positive on the theme with the most positive ones;
    without coded themes, a detractor's and a promoter's comment."""
    voice = ctx.get("voice")
    out: list[dict] = []
    seen: set = set()
    if voice and voice.get("themes"):
        themes = list(voice["themes"])
        pareto = voice.get("pareto") or []
        first = pareto[0]["theme"] if pareto else _get(themes[0], "theme")
        by_name = {_get(t, "theme"): t for t in themes}
        picks = [(by_name.get(first), "negative", min)]
        best = max(themes, key=lambda t: _get(t, "positive") or 0)
        picks.append((best, "positive", max))
        for theme, tone, choose in picks:
            if theme is None:
                continue
            verbatims = [v for v in _get(theme, "verbatims") or [] if str(v.get("sentiment")) == tone
                         and (v.get("row"), v.get("text")) not in seen]
            if not verbatims:
                continue
            v = choose(verbatims, key=lambda v: v.get("score") or 0)
            seen.add((v.get("row"), v.get("text")))
            out.append({"text": _truncate(v["text"]), "theme": _get(theme, "theme"), "tone": tone})
    if not out:
        comments = ctx.get("comments") or []
        for wanted in (_("Detractor"), _("Promoter")):
            c = next((c for c in comments if c.get("group") == wanted), None)
            if c is not None:
                out.append({"text": _truncate(c["text"]), "theme": c["group"], "tone": ""})
        if not out:
            out = [{"text": _truncate(c["text"]), "theme": c.get("group", ""), "tone": ""} for c in comments[:QUOTES]]
    return out[:QUOTES]


def _voice_slide(deck: _Deck) -> None:
    ctx = deck.ctx
    voice = ctx.get("voice")
    quotes = _quotes(ctx)
    if not (voice and voice.get("themes")) and not quotes:
        return
    period = ctx["period"]
    scope = period["headings"].get("comments", period["window"])
    pareto = (voice or {}).get("pareto") or []
    if pareto:
        title = _("{theme} draws the most negative comments in {period}: {share} of them").format(
            theme=pareto[0]["theme"], period=scope, share=pct(pareto[0]["pct"]))
    else:
        title = f"{_('Voice of the customer')} — {scope}"
    slide = deck.slide(title, _section(_("Voice of the customer"), scope))
    notes = []
    if voice:
        notes.append(_("{n} comments; {u} not coded to a theme.").format(n=num(voice["n"]), u=num(voice["uncoded"])))
    notes.append(_("Comments are quoted as written, with personal details masked."))
    notes_h = deck.notes_height(notes) + 0.1
    room = deck.bottom - deck.top - notes_h
    chart_w = deck.content_width * 0.56 if voice and voice.get("themes") and quotes else deck.content_width
    if voice and voice.get("themes"):
        themes = sorted(voice["themes"], key=lambda t: -(_get(t, "count") or 0))[:TOP_THEMES]
        cats = [_get(t, "theme") for t in themes]
        series = [Series(_("Negative"), [int(_get(t, "negative") or 0) for t in themes], "C62828"),
                  Series(_("Neutral"), [int(_get(t, "neutral") or 0) for t in themes], LIGHT),
                  Series(_("Positive"), [int(_get(t, "positive") or 0) for t in themes], "2E7D32")]
        totals = [sum(s.values[k] for s in series) for k in range(len(themes))]
        low, high, step, _zero = value_range(totals, zero=True, pad=0.05)
        alt = _("{kpi}: {points}").format(kpi=_("Comment themes"), points=_(", ").join(
            f"{c} {num(_get(t, 'count'))}" for c, t in zip(cats, themes)))
        deck.charts.bar(slide, deck.margin, deck.top, chart_w, room, name="Chart themes", alt=alt, categories=cats,
                        series=series, fmt=number_format("mean", decimals=0), axis_title=_("Comments"), low=low,
                        high=high, step=step, stacked=True, legend=True, gap_width=45)
    if quotes:
        left = deck.margin + (chart_w + 0.35 if chart_w < deck.content_width else 0)
        width = deck.W - deck.margin - left
        each = (room - 0.25 * (len(quotes) - 1)) / len(quotes)
        y = deck.top
        for q in quotes:
            tone_word = {"negative": _("Negative"), "positive": _("Positive")}.get(q["tone"], "")
            who = " · ".join(t for t in (q["theme"], tone_word) if t)
            colour = TONE_MARKS.get(q["tone"], TONE_MARKS["neutral"])[1]
            deck._rect(slide, left, y, 0.07, each, colour, name="Quote rule")
            deck._rect(slide, left + 0.07, y, width - 0.07, each, ZEBRA, name="Quote band")
            paragraphs = [(f"“{q['text']}”", 17, False, INK), (who, 12, True, MUTED)]
            deck.text(slide, left + 0.3, y + 0.15, width - 0.5, each - 0.3, paragraphs, min_size=10, grow=22 / 17,
                      anchor="middle", fill=True, space_after=0.5, name="Quote")
            y += each + 0.25
    deck.notes(slide, deck.bottom - notes_h + 0.1, notes)


def _response_slide(deck: _Deck, rt: dict) -> None:
    """Response times: compliance by channel against its standard, with the change and status
    (the figures of the report's section, cxreport.present.context.response_context)."""
    period = deck.ctx["period"]
    total = rt["total"]
    share = plain_cell(total["share"], marks=False)
    title = (_("{share} of cases answered within their channel's standard in {period}").format(
        share=share, period=rt["period"]) if share != DASH else _("Response times — {p}").format(p=rt["period"]))
    slide = deck.slide(title, _section(_("Response times"), period["headings"].get("response_times", rt["period"])))
    with_status = rt["target"] is not None
    header = [_("Channel"), _("Standard"), _("Cases"), _("Within standard"), _("95% interval"),
              _("Median"), _("P90")]
    header += [_("Change on {p}").format(p=rt["previous"])] if rt["has_change"] else []
    header += [_("Status")] if with_status else []
    rows = []
    for c in rt["channels"] + [total]:
        row = [Cell(c["label"], bold=True, align="left"), Cell(c["standard"] or DASH), Cell(num(c["cases"])),
               _figure_cell(c["share"], bold=c is total), Cell(c["interval"]), Cell(c["median"]), Cell(c["p90"])]
        row += [Cell(c["change_text"], mark=c["mark"])] if rt["has_change"] else []
        rows.append(row + ([_status_cell(c["status"])] if with_status else []))
    notes = [_("Base: cases due (answered, or unanswered past their standard), received {p}; median and P90 of "
               "the cases answered.").format(p=rt["period"])]
    b, f = rt["backlog"], rt["follow_up"]
    if b:
        notes.append(_("Backlog at {d}: {n} open cases; {o} past the standard.").format(
            d=b["at"], n=num(b["open"]), o=num(b["overdue"]) if b["overdue"] is not None else DASH))
    if f:
        notes.append(_("Detractors (0–6) contacted within the standard: {share} ({within} of {n}; 95% interval "
                       "{interval}).").format(share=plain_cell(f["share"], marks=False), within=num(f["within"]),
                                               n=num(f["detractors"]), interval=f["interval"]))
    width = deck.content_width
    notes_h = deck.notes_height(notes, width) + 0.1
    room = deck.bottom - notes_h - deck.top
    size = _grow_table(deck, width, header, rows, 14, room)
    top = deck.top + deck.table(slide, deck.margin, deck.top, width, room, header, rows, size=size) + 0.1
    deck.notes(slide, top, notes, left=deck.margin, width=width)


def _recommendation_slides(deck: _Deck) -> None:
    ctx = deck.ctx
    items = recommendations_of(ctx["narrative"].get("recommendations"))
    if not items:
        return
    window = ctx["period"]["window"]
    gapw = 0.5
    col_w = (deck.content_width - gapw) / 2
    height = deck.bottom - deck.top

    def paragraphs(item) -> list[tuple[str, float, bool, str]]:
        head, body = item
        return ([(head, 17, True, deck.primary)] if head else []) + [
            (t, 14, True, deck.accent_ink()) if OWNER.match(t) else (t, 14, False, INK) for t in body]

    def height_of(col, width: float) -> float:
        return deck.m.height([(t, s * 12 / 14, b) for t, s, b, _c in sum((paragraphs(i) for i in col), [])],
                             width, 0.45)

    def split(chunk) -> int:
        """Where the chunk's second column starts: the split evening out the columns' heights."""
        if len(chunk) < 2:
            return len(chunk)
        return min(range(1, len(chunk)), key=lambda k: (max(height_of(chunk[:k], col_w), height_of(chunk[k:], col_w)),
                                                          -k))

    def fits(chunk) -> bool:
        k = split(chunk)
        return all(height_of(col, col_w) <= height for col in (chunk[:k], chunk[k:]) if col)

    per = len(items)
    while per > 1 and not fits(items[:per]):
        per -= 1
    per = math.ceil(len(items) / math.ceil(len(items) / per))       # pages evened out
    pages = [items[k:k + per] for k in range(0, len(items), per)]
    for n, chunk in enumerate(pages, start=1):
        slide = deck.slide(_paged(_("What we recommend"), n, len(pages)), _section(_("Recommendations"), window))
        col_w = (deck.content_width - gapw) / 2
        half = split(chunk)
        columns = [c for c in (chunk[:half], chunk[half:]) if c]
        if len(columns) == 1:                                  # one recommendation: the whole width
            col_w = deck.content_width
        flat = [sum((paragraphs(i) for i in col), []) for col in columns]
        scale = min(deck.fit_size(p, col_w, height, min_size=10, grow=18 / 14, space_after=0.45) for p in flat)
        for k, p in enumerate(flat):
            x = deck.margin + k * (col_w + gapw)
            deck.text(slide, x, deck.top, col_w, height, [(t, s * scale, b, c) for t, s, b, c in p],
                      min_size=9, space_after=0.45, fill=True, name="Recommendations")


#: A recommendation's paragraph naming who owns it ("Owner: Head of Branches"), shown
#: as the item's owner line.
OWNER = re.compile(r"^\s*(owners?|responsible|负责人|负责部门|责任人)\s*[:：]", re.IGNORECASE)


#: A verdict is a significant change (or none), not a status against a target: it takes the
#: colours of the significance marks ▲ ▼, in the text only; the status fills stay the target's.
VERDICT_COLOURS = {"improved": (MARK_COLOURS[1], None), "worsened": (MARK_COLOURS[-1], None),
                   "no detectable change": (INK, None), "too early": (MUTED, None)}


def _long(day) -> str:
    from cxreport.present.render import long_date

    return long_date(day)


def _actions_slides(deck: _Deck) -> None:
    """The action register measured: a table of the actions (paged), then 'You said, we did'."""
    actions = deck.ctx.get("actions")
    if not actions or not actions["rows"]:
        return
    period = deck.ctx["period"]
    section = _section(_("Actions and their effect"), period["headings"].get("actions"))
    counts = actions["counts"]
    measured = len(actions["rows"]) - counts["too early"]
    title = _("{k} of {n} measured actions moved their metric").format(k=counts["improved"], n=measured) \
        if measured else _("Actions and their effect — {p}").format(p=period["window"])
    if actions["overdue"]:
        title += _("; {n} overdue").format(n=actions["overdue"])
    header = [_("Action"), _("Metric"), _("Baseline"), _("Now"), _("Change"), _("Verdict")]
    body = []
    for a in actions["rows"]:
        meta = " · ".join(t for t in (a["owner"], _("due {date}").format(date=_long(a["due"])), a["status_label"],
                                      a["flag_label"] or "") if t)
        cells = [Cell(f"{a['id']} {a['title']}", bold=True, note=meta, align="left"),
                 Cell(a["metric"], note=_("expected {e}").format(e=a["expected"]) if a["expected"] else "",
                      align="left")]
        for m in (a["baseline"], a["now"]):
            cells.append(Cell(m["value"], note=f"{m['period']}, n = {m['n']}") if m else Cell(DASH))
        cells.append(Cell(a["change"], note=a["interval"] or "") if a["change"] else Cell(DASH))
        ink, fill = VERDICT_COLOURS[a["verdict"]]
        note = _("detectable: {m} or more").format(m=a["mde"]) if a["verdict"] == "no detectable change" else \
            (a["reason"] or "")
        cells.append(Cell(a["verdict_label"], bold=True, colour=ink, fill=fill, note=note, align="left"))
        body.append(cells)
    notes = [actions["summary"],
             _("Change: the difference of the two figures as shown, with its 95% interval; a verdict is a significant "
               "change at the {a}% level; otherwise the smallest change these bases could detect (80% power).").format(
                 a=round(actions["alpha"] * 100)),
             _("Source: the client's action register; status as of {date}.").format(date=_long(actions["as_of"]))]
    notes_h = deck.notes_height(notes) + 0.1
    room = deck.bottom - deck.top - notes_h
    width = deck.content_width
    # One slide when the whole register fits at a readable size (10 pt or more); else pages of
    # at least three rows.
    size = next((s for s in (12, 11.5, 11, 10.5, 10) if deck.table_height(width, header, body, s) <= room), 10)
    chunks, k = [], 0
    while k < len(body):
        n = deck.rows_that_fit(width, header, body[k:], size, room)
        chunks.append(body[k:k + n])
        k += n
    if len(chunks) > 1 and len(chunks[-1]) < 3:
        per = math.ceil(len(body) / len(chunks))
        chunks = [body[i:i + per] for i in range(0, len(body), per)]
    for n, chunk in enumerate(chunks, start=1):
        slide = deck.slide(_paged(title, n, len(chunks)), section)
        top = deck.top + deck.table(slide, deck.margin, deck.top, width, room, header, chunk, size=size,
                                    min_size=9) + 0.1
        deck.notes(slide, top, notes)
    if not actions["you_said"]:
        return
    header = [_("You said"), _("Negative comments"), _("We did")]
    body = []
    for t in actions["you_said"]:
        did = _("; ").join(_("{id} {title} ({status}, {verdict})").format(
            id=a["id"], title=a["title"], status=a["status_label"].lower(), verdict=a["verdict_label"].lower())
            for a in t["actions"]) or _("No action in the register yet")
        body.append([Cell(t["theme"], bold=True, note=_quote_text(t["quote"]) if t["quote"] else "", align="left"),
                     Cell(t["negative"], note=_("{s} of comments").format(s=t["share"])),
                     Cell(did, align="left", colour=None if t["actions"] else STATUS_COLOURS["red"][0])])
    title = _("You said, we did") if not actions["unaddressed"] else \
        _("You said, we did: {themes} not yet addressed").format(themes=_join(actions["unaddressed"]))
    slide = deck.slide(title, _section(_("You said, we did"), period["headings"].get("you_said_we_did")))
    notes = [_("The leading complaint themes (most negative comments), each beside the actions that address it.")]
    room = deck.bottom - deck.top - deck.notes_height(notes) - 0.1
    top = deck.top + deck.table(slide, deck.margin, deck.top, width, room, header, body, size=12, min_size=8) + 0.1
    deck.notes(slide, top, notes)


def _client(deck: _Deck) -> None:
    ctx = deck.ctx
    report = ctx["report"]
    period = ctx["period"]
    deck.title_slide(report["title"], report["subtitle"], report["period"], _title_lines(ctx))
    sections = ctx["sections"]
    items = findings_of(ctx)
    if items and "executive_summary" in sections:
        stable = _get(ctx.get("findings"), "stable", None)
        _summary_slide(deck, _("Key findings"), _section(_("Executive summary"), period["window"]),
                       [(f["text"], f["tone"]) for f in items], stable)
    if "scorecard" in sections:
        _scorecard(deck)
    if "trend" in sections and ctx["trend"]:
        rows = ctx["trend"]["rows"]
        span = period.get("trend") or period["window"]
        title = _finding(ctx, "change") or _trend_title(deck, rows) or _("Trends over time — {p}").format(p=span)
        _trend_slide(deck, title, _section(_("Trends over time"), span), rows, rows[-TREND_ROWS:])
    if "segments" in sections and ctx["segments"]:
        _gaps_slide(deck)
        for seg, lead in _story_segments(deck):
            _segment_slide(deck, seg, lead)
    if "competitors" in sections and ctx["competitors"]:
        _competitors_slide(deck)
    if "drivers" in sections and ctx["drivers"] and ctx["drivers"]["overall"] is not None:
        _drivers_slide(deck, ctx["drivers"])
    elif "drivers" in sections and ctx["drivers"] and ctx["drivers"].get("note"):
        _drivers_note_slide(deck, ctx["drivers"]["note"])
    if "priorities" in sections and ctx["priorities"] and ctx["priorities"]["rows"]:
        _priorities_slide(deck, ctx["priorities"])
    if "comments" in sections:
        _voice_slide(deck)
    if "actions" in sections:
        _actions_slides(deck)
    if "response_times" in sections and ctx.get("response_times"):
        _response_slide(deck, ctx["response_times"])
    if "recommendations" in sections:
        _recommendation_slides(deck)
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
    tiles = []
    for r in ctx["q_changes"]:
        unit = r["unit"]
        row = [Cell(r["label"], bold=True, align="left"), _figure_cell(r["now"]), _figure_cell(r["prev"]),
               _change_cell(r["d_prev"], unit)]
        if review["year_ago"]:
            row += [_figure_cell(r["year"]), _change_cell(r["d_year"], unit)]
        status = r["status"]
        row += [Cell(figure(status["target"], unit) if status else DASH), _status_cell(status)]
        rows.append(row)
        tiles.append({"label": r["label"], "headline": r["now"], "unit": unit, "status": status})
    lines = [] if review["year_ago"] else [_("The data do not reach back to the same quarter last year.")]
    lines.append(deck.base_note())
    title = _finding(ctx, "headline") or _("Headline KPIs — {p}").format(p=review["period"])
    _kpi_slide(deck, title, _section(_("Headline KPIs"), review["versus"]), header, rows, _tiles_from(tiles), lines)


def _movers_slide(deck: _Deck) -> None:
    from cxreport.present.findings import _points

    ctx = deck.ctx
    review, unit = ctx["review"], ctx["q_movers_unit"]
    improvers, decliners = ctx["q_improvers"], ctx["q_decliners"]
    significant = [m for m in improvers + decliners if m["mark"]]
    if significant:
        m = max(significant, key=lambda m: abs(m["diff"]))
        args = dict(unit=m["label"], segment=m["segment"].lower(), kpi=ctx["q_kpi"], now=figure(m["now"], unit),
                    diff=_points(m["diff"], unit), prev=review["previous"])
        title = (_("{unit} ({segment}) improved significantly: {kpi} {now}, up {diff} on {prev}.") if m["mark"] > 0
                 else _("{unit} ({segment}) declined significantly: {kpi} {now}, down {diff} on {prev}.")).format(**args)
    else:
        title = _("Top improvers and decliners")
    slide = deck.slide(title, _section(_("Top improvers and decliners"), review["versus"]))
    movers = list(improvers) + list(reversed(decliners))
    chart_w = deck.content_width * 0.42
    notes = [_("{k} against {p}, for units with at least {m} respondents in both quarters; ▲ ▼ significant.").format(
        k=ctx["q_kpi"], p=review["previous"], m=ctx["q_min_base"])]
    notes_h = deck.notes_height(notes) + 0.1
    room = deck.bottom - deck.top - notes_h
    if movers:
        values = [_gap_value(m["diff"], unit) for m in movers]
        colours = [deck.accent if m["diff"] > 0 else deck.primary for m in movers]
        cats = [f"{m['label']} ({m['segment'].lower()})" for m in movers]
        low, high, step, _zero = value_range(values, zero=True)
        axis = _("Change in {kpi}, {p} against {prev}").format(kpi=ctx["q_kpi"], p=review["period"],
                                                               prev=review["previous"])
        alt = _("{kpi}: {points}").format(kpi=axis, points=_(", ").join(
            f"{c} {gap(m['diff'], unit)}" for c, m in zip(cats, movers)))
        deck.charts.bar(slide, deck.margin, deck.top, chart_w, room, name="Chart movers", alt=alt, categories=cats,
                        series=[Series(ctx["q_kpi"], values, deck.primary, point_colours=colours)],
                        fmt=_gap_format(unit), axis_title=axis, low=low, high=high, step=step, gap_width=45)
    left = deck.margin + chart_w + 0.35
    width = deck.W - deck.margin - left
    top = deck.top
    header = [_("Unit"), review["previous"], review["period"], _("Change")]
    groups = []
    for head, group, sign in ((_("Improvers"), improvers, 1), (_("Decliners"), decliners, -1)):
        rows = [[Cell(m["label"], bold=True, note=m["segment"], align="left"), Cell(figure(m["before"], unit)),
                 Cell(figure(m["now"], unit)), Cell(gap(m["diff"], unit), mark=m["mark"] if m["mark"] == sign else 0)]
                for m in group] or [[Cell(_("None"), align="left"), Cell(""), Cell(""), Cell("")]]
        groups.append((head, rows, deck.m.height([(head, 16, True)], width) + 0.02))
    # Each table's share of the room follows its rows (a header and a heading count as a row
    # and a half), and both are set in one size: the largest at which both fit.
    weights = [len(rows) + 1.5 for _head, rows, _h in groups]
    rooms = [(room - 0.2) * w / sum(weights) for w in weights]
    size = min(deck._fit(header, [list(r) for r in rows], width,
                         _grow_table(deck, width, header, rows, 12, space - h - 0.05, largest=20), 9,
                         space - h - 0.05, True)[0] for (_head, rows, h), space in zip(groups, rooms))
    for (head, rows, _h), space in zip(groups, rooms):
        h = deck.text(slide, left, top, width, 0.4, [(head, 16, True, deck.primary)])
        deck.table(slide, left, top + h + 0.05, width, space - h - 0.05, header, rows, size=size, min_size=9,
                   stretch=2.0)
        top += space + 0.2
    deck.notes(slide, deck.bottom - notes_h + 0.1, notes)


def _scorecard_highlights(deck: _Deck) -> None:
    """Groups of the segment scorecard (segments of at most :data:`MAX_GROUPS` groups) whose
    figure on a KPI moved significantly on the previous quarter, over as many slides as needed."""
    ctx = deck.ctx
    review = ctx["review"]
    specs = ctx["kpi_specs"]
    picked = []
    for sc in ctx["q_scorecards"]:
        if len(sc["rows"]) > MAX_GROUPS:
            continue
        for r in sc["rows"]:
            first = r["cells"].get(specs[0]["key"]) or {} if specs else {}
            if any((r["cells"].get(k["key"]) or {}).get("mark") for k in specs) or (
                    first.get("status") == "red" and first.get("base") != "suppressed"):
                picked.append((sc["name"], r))
    if not picked:
        return
    header = [_("Group"), _("Base")] + [k["label"] for k in specs]
    body = []
    for name, r in picked:
        cells = []
        for k in specs:
            c = r["cells"].get(k["key"])
            note = ""
            if c and c.get("change") is not None and plain_cell(c) != DASH:
                note = _("{change} on {p}").format(change=gap(c["change"], k["unit"]), p=review["previous"])
            if c and c.get("status") == "red" and plain_cell(c) != DASH:
                note = " · ".join(t for t in (note, _("Below target")) if t)
            cells.append(_figure_cell(c, note=note))
        body.append([Cell(r["label"], bold=True, note=name, align="left"), Cell(num(r["base"]))] + cells)
    notes = [_("Groups whose figure on a KPI changed significantly on {p} (▲ ▼, {a}% level) or that are below "
               "target on {kpi}, in segments of at most {n} groups; under each figure its change.").format(
        p=review["previous"], kpi=specs[0]["label"],
                                                                 a=round(ctx["rules"]["alpha"] * 100), n=MAX_GROUPS),
             deck.base_note()]
    notes_h = deck.notes_height(notes) + 0.1
    room = deck.bottom - deck.top - notes_h
    width = deck.content_width
    chunks, k = [], 0
    while k < len(body):
        n = deck.rows_that_fit(width, header, body[k:], 13, room)
        chunks.append(body[k:k + n])
        k += n
    if len(chunks) > 1 and len(chunks[-1]) < 3:              # no page of one or two rows: even them out
        per = math.ceil(len(body) / len(chunks))
        chunks = [body[i:i + per] for i in range(0, len(body), per)]
    base_title = _("Scorecard by segment — %(p)s") % {"p": review["period"]}
    key, unit = specs[0]["key"], specs[0]["unit"]
    below = [(name, r, r["cells"][key]) for name, r in picked
             if (r["cells"].get(key) or {}).get("status") == "red" and r["cells"][key].get("base") != "suppressed"
             and r["cells"][key].get("value") is not None and r["cells"][key].get("target") is not None]
    if below:                                                  # the action title: the group furthest below target
        name, r, c = min(below, key=lambda t: t[2]["value"] - t[2]["target"])
        base_title = _("{group} ({segment}) is furthest below target on {kpi} in {p}: {value} against {target}").format(
            group=r["label"], segment=name.lower(), kpi=specs[0]["label"], p=review["period"],
            value=figure(c["value"], unit), target=figure(c["target"], unit))
    for n, chunk in enumerate(chunks, start=1):
        slide = deck.slide(_paged(base_title, n, len(chunks)), _section(_("Results by segment"), review["versus"]))
        size = _grow_table(deck, width, header, chunk, 13, room, largest=17)
        top = deck.top + deck.table(slide, deck.margin, deck.top, width, room, header, chunk, size=size,
                                    min_size=10, stretch=True) + 0.1
        deck.notes(slide, top, notes)


def _quarterly(deck: _Deck) -> None:
    ctx = deck.ctx
    report, review = ctx["report"], ctx["review"]
    deck.title_slide(report["title"], report["subtitle"], review["period"], _title_lines(ctx))
    if ctx["q_what_changed"]:
        _summary_slide(deck, _("What changed"), _section(_("Quarterly management review"), review["versus"]),
                       _what_changed_tones(ctx),
                       _("Only movements that are statistically significant at the {a}% level are called rises or "
                         "falls.").format(a=round(ctx["rules"]["alpha"] * 100)))
    if ctx["q_changes"]:
        _quarterly_scorecard(deck)
    if ctx["q_trends"] and ctx["trend"]:
        rows = ctx["trend"]["rows"][-review["quarters"]:]
        span = f"{review['trend_from']} – {review['trend_to']}"
        title = _finding(ctx, "change") or _trend_title(deck, rows) or \
            _("Trends over the last {n} quarters").format(n=review["quarters"])
        _trend_slide(deck, title, _section(_("Trends over time"), span), rows, rows[-min(review["quarters"], 6):],
                     prefix="q-trend")
    if ctx["q_improvers"] or ctx["q_decliners"]:
        _movers_slide(deck)
    if ctx.get("q_scorecards"):
        _scorecard_highlights(deck)
    if ctx["drivers"] and ctx["drivers"]["overall"] is not None:
        _drivers_slide(deck, ctx["drivers"])
    if ctx["priorities"]:
        _priorities_slide(deck, ctx["priorities"])
    _actions_slides(deck)
    _methodology_slide(deck)


def _what_changed_tones(ctx: dict) -> list[tuple[str, str]]:
    """The 'what changed' sentences with their tones, rebuilt in the order the review writes
    them (:mod:`cxreport.present.quarterly`): each significant KPI change (a rise positive, a
    fall negative), then the significant improvers, then the significant decliners."""
    sentences = list(ctx["q_what_changed"])
    tones = []
    for row in ctx["q_changes"]:
        for change in (row["d_prev"], row["d_year"]):
            if change is not None and change.mark:
                tones.append("positive" if change.mark > 0 else "negative")
    tones += ["positive" for m in ctx["q_improvers"][:3] if m["mark"] > 0]
    tones += ["negative" for m in ctx["q_decliners"][:3] if m["mark"] < 0]
    if len(tones) != len(sentences):
        tones = ["neutral"] * len(sentences)
    return list(zip(sentences, tones))


def build_deck(study: Study, context: dict) -> bytes:
    """The .pptx bytes of the deck for ``context`` (a client report's, or the quarterly
    review's when it has a ``review`` block)."""
    deck = _Deck(study, context)
    if "review" in context:
        _quarterly(deck)
    else:
        _client(deck)
    return deck.save()
