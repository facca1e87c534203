"""Number formatting for reports: the few Jinja filters every template uses.

Formatting lives here and only here, so a figure reads the same in a table, a chart
label and a generated sentence. Missing or suppressed figures print as an em dash.

Figures follow the locale of the build's language (:func:`cxreport.i18n.current`): its
digit grouping (sizes and separator), decimal sign and where the percent sign goes, all
from Babel's CLDR data. The digits themselves are rounded by Python exactly as before, so
a figure is the same number in every language. Negative figures use the typographic
minus (U+2212) in every language: it is the house style, and every report font has it.
"""

from __future__ import annotations

import functools
import math
from typing import Any

from markupsafe import Markup, escape

from cxreport import i18n

DASH = "—"
MINUS = "\u2212"


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


@functools.lru_cache(maxsize=None)
def _symbols(locale) -> tuple[str, str, int, int, str, str]:
    """(group sign, decimal sign, primary and secondary grouping, percent prefix and suffix)."""
    from babel import numbers

    pattern = locale.percent_formats[None]
    table = locale.number_symbols
    table = table["latn"] if "latn" in table else table      # Babel ≥ 2.14 keys them by numbering system
    sign = table.get("percentSign", "%")
    prefix, suffix = (part.replace("%", sign) for part in (pattern.prefix[0], pattern.suffix[0]))
    primary, secondary = locale.decimal_formats[None].grouping
    return (numbers.get_group_symbol(locale), numbers.get_decimal_symbol(locale), primary, secondary,
            prefix, suffix)


def localise(text: str, locale=None) -> str:
    """Digits from Python's ``f"{x:,.nf}"`` (no sign) regrouped and punctuated for ``locale``."""
    group, decimal, primary, secondary, _p, _s = _symbols(locale or i18n.current().locale)
    whole, _dot, fraction = text.replace(",", "").partition(".")
    parts = [whole[-primary:]] if len(whole) > primary else [whole]
    rest = whole[:-primary] if len(whole) > primary else ""
    while rest:
        parts.insert(0, rest[-secondary:])
        rest = rest[:-secondary]
    return group.join(parts) + (decimal + fraction if fraction else "")


def num(value: Any, decimals: int = 0) -> str:
    """1234.5 → '1,235'; None/NaN → '—'."""
    if _missing(value):
        return DASH
    text = f"{float(value):.{decimals}f}"
    if text.startswith("-"):
        return MINUS + localise(text[1:])
    return localise(text)


def signed(value: Any, decimals: int = 0) -> str:
    """A change or NPS with its sign: '+6', '−3', '0'."""
    if _missing(value):
        return DASH
    rounded = round(float(value), decimals)
    if rounded == 0:
        return localise(f"{0:.{decimals}f}")
    return ("+" if rounded > 0 else MINUS) + localise(f"{abs(rounded):.{decimals}f}")


def pct(value: Any, decimals: int = 0) -> str:
    """75.4 → '75%' (value already in percent), the sign placed as the locale does."""
    if _missing(value):
        return DASH
    _g, _d, _p1, _p2, prefix, suffix = _symbols(i18n.current().locale)
    text = num(value, decimals)
    if text.startswith(MINUS):
        return MINUS + prefix + text[1:] + suffix
    return prefix + text + suffix


from cxreport.scoring.kpis import DISPLAY_DECIMALS as DECIMALS  # noqa: E402  (decimals shown per unit)


def figure(value: Any, unit: str, decimals: int | None = None) -> str:
    """A KPI value in its unit: NPS '+25', percent '75%', mean '5.17'."""
    d = DECIMALS.get(unit, 1) if decimals is None else decimals
    if unit == "points":
        return signed(value, d)
    if unit == "percent":
        return pct(value, d)
    return num(value, d)


def gap(value: Any, unit: str) -> str:
    """A difference in the unit's terms: '+6 pts', '−2.1 pts' for percent, '+0.12'."""
    if _missing(value):
        return DASH
    if unit == "points":
        return signed(value, 0)
    if unit == "percent":
        # Translators: a difference of percentages in percentage points, as short as a table cell allows.
        return i18n._("{n} pts").format(n=signed(value, 1))
    return signed(value, 2)


def half_width(low: Any, high: Any, unit: str) -> str:
    """'±4' from an interval (one more decimal than the figure for percents and points below 1)."""
    if _missing(low) or _missing(high):
        return DASH
    half = (float(high) - float(low)) / 2
    d = DECIMALS.get(unit, 1)
    if unit in ("points", "percent") and half < 1:
        d = 1
    return "±" + num(half, d)


MARKS = {1: "▲", -1: "▼"}


def cell(c: dict | None) -> Markup:
    """A table cell from a context dict {value, unit, base, mark}: the figure, its small-base
    asterisk and its significance arrow, or '—' when the base is suppressed."""
    if not c:
        return Markup(DASH)
    if c.get("base") == "suppressed" or _missing(c.get("value")):
        return Markup('<span class="suppressed" title="{}">—</span>').format(i18n._("base too small"))
    text = escape(figure(c["value"], c["unit"], c.get("decimals")))
    if c.get("base") == "small":
        text += Markup('<span class="small-base" title="{}">*</span>').format(i18n._("small base"))
    mark = c.get("mark", 0)
    if mark:
        cls = "up" if mark > 0 else "down"
        word = i18n._("significantly higher") if mark > 0 else i18n._("significantly lower")
        text += Markup(' <span class="sig {}" title="{}">{}</span>').format(cls, word, MARKS[mark])
    return Markup(text)


def plain_cell(c: dict | None, marks: bool = True) -> str:
    """The text of :func:`cell` without HTML (for the PowerPoint deck): '+22*', '+22 ▲',
    '—' when the base is suppressed; ``marks=False`` leaves the significance arrow off."""
    if not c or c.get("base") == "suppressed" or _missing(c.get("value")):
        return DASH
    text = figure(c["value"], c["unit"], c.get("decimals"))
    if c.get("base") == "small":
        text += "*"
    if marks and c.get("mark", 0):
        text += " " + MARKS[c["mark"]]
    return text


FILTERS = {
    "num": num,
    "signed": signed,
    "pct": pct,
    "figure": figure,
    "gap": gap,
    "cell": cell,
}
