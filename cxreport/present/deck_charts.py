"""Native, editable PowerPoint charts for the deck (python-pptx chart objects).

Every chart carries its data (PowerPoint's "Edit data" opens it in a worksheet), in the
brand colours and font, with axis titles and data labels. The values are the figures as
the report prints them (:func:`cxreport.scoring.kpis.shown_value`: NPS 28, CSAT 74, CES
5.20), and the labels' number formats are built from the report's own formatting
(:mod:`cxreport.present.formatting`: the decimals of each unit, the sign, the typographic
minus, the locale's percent sign), so a label reads exactly like the same figure in a table.

Labels sit outside the bars' ends (on the slide's white, never on a bar), and a value
axis of a bar chart always starts at zero; a line chart whose axis does not start at zero
says so in its axis title.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from cxreport.present.formatting import DECIMALS, MINUS, _symbols
from cxreport.textclean import for_xml

INK, MUTED, GRID = "1D232A", "5B6470", "D9DEE3"


def _quote(text: str) -> str:
    """Literal text in an Excel number format."""
    return '"' + text.replace('"', "") + '"' if text else ""


def number_format(unit: str, *, signed: bool | None = None, decimals: int | None = None,
                  suffix: str = "") -> str:
    """The Excel number format that prints a value as :func:`~cxreport.present.formatting.figure`
    does for ``unit``: '+28' (points, signed), '74%' (percent, the locale's sign), '5.20'
    (mean); negative figures with the typographic minus. ``signed`` for differences
    ('+3', '−0.12'); ``suffix`` is literal text after the number (' pts')."""
    from cxreport import i18n

    d = DECIMALS.get(unit, 1) if decimals is None else decimals
    digits = "#,##0" + ("." + "0" * d if d else "")
    prefix = after = ""
    if unit == "percent" and not suffix:
        _g, _d, _p1, _p2, prefix, after = _symbols(i18n.current().locale)
    after = after + suffix
    plus = unit == "points" if signed is None else signed
    body = _quote(prefix) + digits + _quote(after)
    positive = (_quote("+") if plus else "") + body
    negative = _quote(MINUS) + body
    zero = body
    return f"{positive};{negative};{zero}"


def nice_step(span: float, ticks: int = 5) -> float:
    """A round tick step (1, 2, 2.5, 5 × 10ⁿ) giving about ``ticks`` intervals over ``span``."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * power:
            return m * power
    return 10 * power


def format_decimals(fmt: str) -> int:
    """Decimals an Excel number format prints ('#,##0.00' → 2, '"+"#,##0' → 0)."""
    import re

    found = re.search(r"0\.(0+)", fmt.split(";")[0])
    return len(found.group(1)) if found else 0


def whole_format(fmt: str) -> str:
    """``fmt`` without decimals (for an axis whose ticks are whole numbers)."""
    import re

    return re.sub(r"0\.0+", "0", fmt)


def shown_ticks(low: float | None, high: float | None, step: float, fmt: str) -> tuple[float | None, float | None, float]:
    """Axis limits and step whose every tick the format prints exactly: a step of 2.5 on a
    whole-number axis would print 67.5 as '68%' and 72.5 as '73%' (two ticks apart reading
    as five), so the step becomes the next round one the format can show (1, 2, 5 × 10ⁿ) and
    the limits move out to multiples of it."""
    decimals = format_decimals(fmt)
    unit = 10.0 ** -decimals

    def exact(value: float) -> bool:
        return abs(value / unit - round(value / unit)) < 1e-6

    if exact(step) and (low is None or exact(low)) and (high is None or exact(high)):
        return low, high, step
    power = 10 ** math.floor(math.log10(max(step, unit)))
    new = step
    for m in (1, 2, 5, 10, 20):
        candidate = m * power
        if candidate >= step - 1e-12 and exact(candidate):
            new = candidate
            break
    else:
        new = max(unit, 10 * power)
    if low is not None:
        low = math.floor(round(low / new, 9)) * new
    if high is not None:
        high = math.ceil(round(high / new, 9)) * new
    return low, high, new


@dataclass
class Series:
    name: str
    values: list[float | None]
    colour: str
    labels: bool = True
    dashed: bool = False
    markers: bool = True
    point_colours: list[str | None] = field(default_factory=list)


class ChartMaker:
    """Adds native charts to slides in one deck's font, language and colours."""

    def __init__(self, font: str, cjk_font: str, lang: str, size: float = 12):
        self.font, self.cjk_font, self.lang, self.size = font, cjk_font, lang, size

    # ------------------------------------------------------------------ common

    def _frame(self, slide, kind, left, top, width, height, data, name: str, title: str = ""):
        from pptx.util import Inches

        frame = slide.shapes.add_chart(kind, Inches(left), Inches(top), Inches(width), Inches(height), data)
        frame.name = name
        chart = frame.chart
        chart.font.size = _pt(self.size)
        chart.font.color.rgb = _rgb(INK)
        if title:
            chart.has_title = True
            tf = chart.chart_title.text_frame
            tf.text = for_xml(title)
            for p in tf.paragraphs:
                for r in p.runs:
                    r.font.size = _pt(self.size + 1)
                    r.font.bold = True
                    r.font.color.rgb = _rgb(INK)
        else:
            chart.has_title = False
            from pptx.oxml.ns import qn

            c = chart._chartSpace.find(qn("c:chart"))
            auto = c.find(qn("c:autoTitleDeleted"))
            if auto is not None:
                auto.set("val", "1")
        return frame, chart

    def _finish(self, frame, alt: str) -> None:
        """The chart's text in the deck's fonts (Latin and East Asian) and language, and its alt text."""
        from pptx.oxml.ns import qn

        frame._element.nvGraphicFramePr.cNvPr.set("descr", for_xml(alt))
        space = frame.chart._chartSpace
        for rpr in list(space.iter(qn("a:defRPr"), qn("a:rPr"), qn("a:endParaRPr"))):
            latin = rpr.find(qn("a:latin"))
            if latin is None:
                latin = rpr.makeelement(qn("a:latin"), {})
                # a:latin follows the line and fill properties
                anchor = None
                for tag in ("a:ln", "a:noFill", "a:solidFill", "a:gradFill", "a:blipFill", "a:pattFill",
                            "a:grpFill", "a:effectLst", "a:effectDag", "a:highlight", "a:uLnTx", "a:uLn",
                            "a:uFillTx", "a:uFill"):
                    found = rpr.find(qn(tag))
                    if found is not None:
                        anchor = found
                if anchor is None:
                    rpr.insert(0, latin)
                else:
                    anchor.addnext(latin)
            latin.set("typeface", self.font)
            ea = rpr.find(qn("a:ea"))
            if ea is None:
                ea = rpr.makeelement(qn("a:ea"), {})
                latin.addnext(ea)
            ea.set("typeface", self.cjk_font)
            if self.lang != "en" and rpr.tag != qn("a:endParaRPr"):
                rpr.set("lang", self.lang)

    def _axis_title(self, axis, text: str, size: float | None = None) -> None:
        if not text:
            return
        axis.has_title = True
        frame = axis.axis_title.text_frame
        frame.text = for_xml(text)
        for p in frame.paragraphs:
            for r in p.runs:
                r.font.size = _pt(size or self.size - 1)
                r.font.bold = False
                r.font.color.rgb = _rgb(MUTED)

    def _value_axis(self, axis, fmt: str, low: float | None, high: float | None, step: float | None,
                    title: str, gridlines: bool = True) -> None:
        from pptx.enum.chart import XL_TICK_MARK

        axis.tick_labels.font.size = _pt(self.size - 1)
        axis.tick_labels.font.color.rgb = _rgb(MUTED)
        if step:
            low, high, step = shown_ticks(low, high, step, fmt)
            if float(step).is_integer() and (low is None or float(low).is_integer()):
                fmt = whole_format(fmt)                       # 0, 10, 20, not 0.0, 10.0, 20.0
        if low is not None:
            axis.minimum_scale = low
        if high is not None:
            axis.maximum_scale = high
        if step:
            axis.major_unit = step
        axis.tick_labels.number_format = fmt
        axis.tick_labels.number_format_is_linked = False
        axis.has_major_gridlines = gridlines
        if gridlines:
            axis.major_gridlines.format.line.color.rgb = _rgb(GRID)
            axis.major_gridlines.format.line.width = _pt(0.75)
        axis.format.line.fill.background()
        axis.major_tick_mark = XL_TICK_MARK.NONE
        self._axis_title(axis, title)

    def _category_axis(self, axis, title: str = "", size: float | None = None) -> None:
        from pptx.enum.chart import XL_TICK_MARK

        axis.tick_labels.font.size = _pt(size or self.size - 1)
        axis.tick_labels.font.color.rgb = _rgb(INK)
        axis.format.line.color.rgb = _rgb("A7B0BA")
        axis.major_tick_mark = XL_TICK_MARK.NONE
        axis.has_major_gridlines = False
        self._axis_title(axis, title)

    def _labels(self, target, fmt: str, position, size: float | None = None, colour: str = INK) -> None:
        labels = target.data_labels
        labels.number_format = fmt
        labels.number_format_is_linked = False
        labels.show_value = True
        labels.position = position
        labels.font.size = _pt(size or self.size)
        labels.font.color.rgb = _rgb(colour)

    # ------------------------------------------------------------------ kinds

    def line(self, slide, left, top, width, height, *, name: str, alt: str, categories: list[str],
             series: list[Series], fmt: str, axis_title: str, low: float, high: float,
             step: float | None = None, legend: bool = False, title: str = ""):
        """A line chart over periods: each series a line with markers (dashed, without
        markers or labels for a reference such as the target). Returns the graphic frame."""
        from pptx.chart.data import CategoryChartData
        from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION, XL_LEGEND_POSITION, XL_MARKER_STYLE
        from pptx.enum.dml import MSO_LINE_DASH_STYLE

        data = CategoryChartData(number_format=fmt)
        data.categories = [for_xml(c) for c in categories]
        for s in series:
            data.add_series(for_xml(s.name), s.values, number_format=fmt)
        frame, chart = self._frame(slide, XL_CHART_TYPE.LINE_MARKERS, left, top, width, height, data, name, title)
        chart.has_legend = legend
        if legend:
            chart.legend.position = XL_LEGEND_POSITION.TOP
            chart.legend.include_in_layout = False
            chart.legend.font.size = _pt(self.size - 1)
        self._value_axis(chart.value_axis, fmt, low, high, step, axis_title)
        self._category_axis(chart.category_axis)
        if _wraps_in(categories, width * 0.8 / max(len(categories), 1), self.size - 1):
            _horizontal_labels(chart.category_axis)           # periods wrap ('2026' over 'Q3') when they fit
        for s, plotted in zip(series, chart.plots[0].series):
            plotted.smooth = False
            line = plotted.format.line
            line.color.rgb = _rgb(s.colour)
            line.width = _pt(1.5 if s.dashed else 2.5)
            if s.dashed:
                line.dash_style = MSO_LINE_DASH_STYLE.DASH
            if s.markers:
                plotted.marker.style = XL_MARKER_STYLE.CIRCLE
                plotted.marker.size = 7
                plotted.marker.format.fill.solid()
                plotted.marker.format.fill.fore_color.rgb = _rgb(s.colour)
                plotted.marker.format.line.color.rgb = _rgb("FFFFFF")
                for k, colour in enumerate(s.point_colours):
                    if colour:
                        point = plotted.points[k]
                        point.marker.style = XL_MARKER_STYLE.CIRCLE
                        point.marker.size = 8
                        point.marker.format.fill.solid()
                        point.marker.format.fill.fore_color.rgb = _rgb(colour)
                        point.marker.format.line.color.rgb = _rgb("FFFFFF")
            else:
                plotted.marker.style = XL_MARKER_STYLE.NONE
            if s.labels:
                self._labels(plotted, fmt, XL_LABEL_POSITION.ABOVE)
                for k in below_line(s.values, [r.values for r in series if r.dashed], low, high,
                                    height, self.size):
                    label = plotted.points[k].data_label
                    label.position = XL_LABEL_POSITION.BELOW
                    label.font.size = _pt(self.size)
                    label.font.color.rgb = _rgb(INK)
                    _label_format(label, fmt)
                for k in crowded_labels(s.values, width, self.size, fmt):
                    _hide_label(plotted, k)
        self._finish(frame, alt)
        return frame

    def bar(self, slide, left, top, width, height, *, name: str, alt: str, categories: list[str],
            series: list[Series], fmt: str, axis_title: str, low: float | None = None, high: float | None = None,
            step: float | None = None, horizontal: bool = True, legend: bool = False, stacked: bool = False,
            label_size: float | None = None, category_size: float | None = None, gap_width: int = 60,
            title: str = "", value_axis: bool = True):
        """A bar chart (horizontal by default, the first category on top), bars in each
        series' colour or per point, labels outside the bars' ends (inside the segments when
        stacked). Returns the graphic frame."""
        from pptx.chart.data import CategoryChartData
        from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION, XL_LEGEND_POSITION

        data = CategoryChartData(number_format=fmt)
        data.categories = [for_xml(c) for c in categories]
        for s in series:
            data.add_series(for_xml(s.name), s.values, number_format=fmt)
        if stacked:
            kind = XL_CHART_TYPE.BAR_STACKED if horizontal else XL_CHART_TYPE.COLUMN_STACKED
        else:
            kind = XL_CHART_TYPE.BAR_CLUSTERED if horizontal else XL_CHART_TYPE.COLUMN_CLUSTERED
        frame, chart = self._frame(slide, kind, left, top, width, height, data, name, title)
        chart.has_legend = legend
        if legend:
            chart.legend.position = XL_LEGEND_POSITION.TOP
            chart.legend.include_in_layout = False
            chart.legend.font.size = _pt(self.size - 1)
        plot = chart.plots[0]
        plot.gap_width = gap_width
        if stacked:
            plot.overlap = 100
        self._value_axis(chart.value_axis, fmt, low, high, step, axis_title, gridlines=value_axis)
        if not value_axis:                                    # the labels say the values
            from pptx.enum.chart import XL_TICK_LABEL_POSITION as POSITION

            chart.value_axis.tick_label_position = POSITION.NONE
        self._category_axis(chart.category_axis, size=category_size)
        if horizontal:
            chart.category_axis.reverse_order = True          # the first category on top
        from pptx.enum.chart import XL_TICK_LABEL_POSITION

        chart.category_axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW   # labels clear of negative bars
        for s, plotted in zip(series, plot.series):
            plotted.invert_if_negative = False
            plotted.format.fill.solid()
            plotted.format.fill.fore_color.rgb = _rgb(s.colour)
            plotted.format.line.fill.background()
            for k, colour in enumerate(s.point_colours):
                if colour:
                    point = plotted.points[k]
                    point.format.fill.solid()
                    point.format.fill.fore_color.rgb = _rgb(colour)
                    point.format.line.fill.background()
            if s.labels:
                if stacked:
                    self._labels(plotted, fmt, XL_LABEL_POSITION.CENTER, label_size,
                                 colour=_label_ink(s.colour))
                    span = (high - low) if high is not None and low is not None else None
                    for k, value in enumerate(s.values):
                        if span and value is not None and not _label_fits(
                                value, span, width * 0.62 if horizontal else height * 0.6,
                                label_size or self.size, fmt):
                            _hide_label(plotted, k)
                else:
                    self._labels(plotted, fmt, XL_LABEL_POSITION.OUTSIDE_END, label_size)
        self._finish(frame, alt)
        return frame





def crowded_labels(values: list[float | None], width: float, size: float, fmt: str) -> list[int]:
    """The points whose labels are left out when a line's labels would run into each other
    (their widths together more than the plot's width): all but the last, the first, the
    highest and the lowest (those two unless beside a label already kept); the axis and
    the table beside the chart give the rest."""
    shown = [k for k, v in enumerate(values) if v is not None]
    if not shown:
        return []
    decimals = format_decimals(fmt)
    literal = len(re.sub(r'[#,0.]|"', "", fmt.split(";")[0]))      # sign, percent sign, suffix
    each = max(len(f"{abs(values[k]):,.{decimals}f}") + literal for k in shown) * size * 0.5 / 72 + 0.04
    plot_w = max(width - 1.2, 0.5)                     # less the axis title and tick labels
    if len(values) * each <= plot_w * 1.15:            # labels may touch: they sit at their points' heights
        return []
    keep = [shown[-1], shown[0]]
    for k in (max(shown, key=lambda k: values[k]), min(shown, key=lambda k: values[k])):
        if all(abs(k - j) >= 2 for j in keep):              # not beside a label already kept
            keep.append(k)
    return [k for k in shown if k not in keep]


def _label_format(label, fmt: str) -> None:
    """A point's own data label printing its value in ``fmt`` (like the series' labels)."""
    from pptx.oxml.ns import qn

    dlbl = label._get_or_add_dLbl()
    old = dlbl.find(qn("c:numFmt"))
    if old is not None:
        dlbl.remove(old)
    num = dlbl.makeelement(qn("c:numFmt"), {"formatCode": fmt, "sourceLinked": "0"})
    dlbl.find(qn("c:idx")).addnext(num)


def below_line_clearance(low: float, high: float, height: float, size: float) -> float:
    """A data label's height in the value axis's units (the plot taken as the chart's height
    less the legend and the period labels)."""
    plot_h = max(height - 0.9, 0.5)
    return (size * 1.35 / 72) * (high - low) / plot_h


def below_line(values: list[float | None], lines: list[list[float | None]], low: float, high: float,
               height: float, size: float) -> list[int]:
    """The points whose label goes below them: a label above would sit on a reference line
    (the target) running just above the point, within a label's height (the plot taken
    as the chart's height less the legend and the period labels)."""
    clear = below_line_clearance(low, high, height, size)
    out = []
    for k, v in enumerate(values):
        if v is None:
            continue
        for line in lines:
            t = line[k] if k < len(line) else None
            if t is not None and 0 < t - v <= clear:
                out.append(k)
                break
    return out


def _wraps_in(labels: list[str], room: float, size: float) -> bool:
    """Whether every label fits ``room`` inches on two lines (broken at a space or between
    CJK characters; Latin characters about half an em wide, CJK a full em) and there are at
    most six of them; otherwise the labels are left to slant (eight periods of '2024 Q4' in
    a third of a slide would wrap inside '2024')."""
    def cjk(ch: str) -> bool:
        return ord(ch) > 0x2E80

    def width(text: str) -> float:
        return sum(1.0 if cjk(ch) else 0.55 for ch in text.strip()) * size / 72

    def two_lines(text: str) -> float:
        cuts = [i for i in range(1, len(text)) if text[i] == " " or cjk(text[i]) or cjk(text[i - 1])]
        if not cuts:
            return width(text)
        return min(max(width(text[:i]), width(text[i:])) for i in cuts)

    return len(labels) <= 6 and all(two_lines(t) <= room for t in labels)


def _horizontal_labels(axis) -> None:
    """Tick labels kept horizontal (they wrap at spaces instead of being rotated, which
    takes the plot's height)."""
    from pptx.oxml.ns import qn

    txpr = axis._element.find(qn("c:txPr"))
    if txpr is None:
        return
    body = txpr.find(qn("a:bodyPr"))
    body.set("rot", "0")
    body.set("vert", "horz")


def _label_fits(value: float, span: float, length: float, size: float, fmt: str) -> bool:
    """Whether a label fits inside its stacked segment: the segment's length on the slide
    (its share of the axis span × the plot's length, inches) against the label's width."""
    digits = len(f"{abs(value):,.{format_decimals(fmt)}f}") + (1 if value < 0 else 0)
    needed = digits * size * 0.55 / 72 + 0.08
    return abs(value) / span * length >= needed


def _hide_label(plotted, k: int) -> None:
    """Delete the data label of point ``k`` (a segment too narrow to hold it)."""
    from pptx.oxml.ns import qn

    dlbl = plotted.points[k].data_label._get_or_add_dLbl()
    for child in list(dlbl):
        if child.tag != qn("c:idx"):
            dlbl.remove(child)
    dlbl.append(dlbl.makeelement(qn("c:delete"), {"val": "1"}))


def _label_ink(fill: str) -> str:
    """White or ink, whichever contrasts more with ``fill`` (WCAG relative luminance)."""
    def lum(hex_colour: str) -> float:
        channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (0, 2, 4)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    bg = lum(fill)
    white = 1.05 / (bg + 0.05)
    ink = (bg + 0.05) / (lum(INK) + 0.05)
    return "FFFFFF" if white >= ink else INK


def _rgb(colour: str):
    from pptx.dml.color import RGBColor

    return RGBColor.from_string(colour.lstrip("#").upper())


def _pt(size: float):
    from pptx.util import Pt

    return Pt(size)


def value_range(values: list[float], *, floor: float | None = None, ceiling: float | None = None,
                zero: bool = False, pad: float = 0.12) -> tuple[float, float, float, bool]:
    """Axis limits and step for ``values``: from zero when ``zero`` (bars) or when zero is
    near, otherwise around the values with room for labels above; clamped to the scale
    (``floor``, ``ceiling``). Returns (low, high, step, starts_at_zero)."""
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return 0.0, 1.0, 0.2, True
    lo, hi = min(finite), max(finite)
    if zero:
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    span = (hi - lo) or max(abs(hi), 1.0)
    lo_pad, hi_pad = lo - span * pad, hi + span * pad * 2
    if zero and lo < 0:
        lo_pad = lo - span * pad * 2                         # a negative bar's label sits beyond its end too
    if zero:
        lo_pad = lo_pad if lo < 0 else 0.0
        hi_pad = hi_pad if hi > 0 else 0.0
    step = nice_step(hi_pad - lo_pad)
    low, high = math.floor(lo_pad / step) * step, math.ceil(hi_pad / step) * step
    if floor is not None:
        low = max(low, floor)
    if ceiling is not None:
        high = min(high, ceiling)
    if not zero and low > 0 and low <= 2 * step:
        low = 0.0                                            # close to zero: start there
    return low, high, step, low <= 0 <= high


__all__ = ["ChartMaker", "Series", "number_format", "value_range", "nice_step", "shown_ticks", "below_line", "below_line_clearance", "crowded_labels"]
