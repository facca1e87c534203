"""Number formatting for reports: the few Jinja filters every template uses.

Formatting lives here and only here, so a figure reads the same in a table, a chart
label and a generated sentence. Missing or suppressed figures print as an em dash.

One rounding, everywhere: :func:`round_half_away` (defined beside ``shown_value`` in
:mod:`cxreport.scoring.kpis` and re-exported here) rounds halves away from zero on the
figure's shortest decimal form — 72.5 → 73, −0.5 → −1, 2.675 → 2.68 — as a reader rounds
the digits; Python's ``round`` and f-strings, which round halves to even on the binary
value (72.5 → 72), are never used for a printed figure. ``num``, ``signed``, ``pct``,
``figure``, ``gap``, ``half_width``, the status rule (through ``shown_value``) and every
chart label (through ``figure``) print with it; the workbook and the deck call the same
functions. One precision per measure (:data:`DECIMALS`): NPS and index points whole,
percentages whole, means to two decimals, and a difference in the same terms as the
figures it compares. A difference printed beside two figures is
:func:`shown_difference` of them (the difference of the printed figures), so
"75% → 74%" is always "−1 pts".

Figures follow the locale of the build's language (:func:`cxreport.i18n.current`): its
digit grouping (sizes and separator), decimal sign and where the percent sign goes, all
from Babel's CLDR data. The digits are rounded before the locale is applied, so a figure
is the same number in every language. Negative figures use the typographic minus
(U+2212) in every language: it is the house style, and every report font has it. Zero is
never negative ("0", not "−0").
"""

from __future__ import annotations

import functools
import math
from typing import Any

from markupsafe import Markup, escape

from cxreport import i18n
from cxreport.scoring.kpis import DISPLAY_DECIMALS as DECIMALS  # decimals shown per unit
from cxreport.scoring.kpis import (  # noqa: F401  (round_half_away, shown_*: re-exported for charts, workbook, deck)
    decimal_digits, round_half_away, shown_difference, shown_value)

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


def digits(value: float, decimals: int = 0) -> str:
    """``value`` rounded half away from zero (:func:`round_half_away`) as plain digits, '-'
    for a negative figure, no grouping: 1234.5 → '1235', −0.004 with 2 decimals → '0.00'."""
    return format(decimal_digits(value, decimals), "f")


def num(value: Any, decimals: int = 0) -> str:
    """1234.5 → '1,235'; None/NaN → '—'."""
    if _missing(value):
        return DASH
    text = digits(float(value), decimals)
    if text.startswith("-"):
        return MINUS + localise(text[1:])
    return localise(text)


def signed(value: Any, decimals: int = 0) -> str:
    """A change or NPS with its sign: '+6', '−3', '0' (a figure that rounds to zero has none)."""
    if _missing(value):
        return DASH
    text = digits(float(value), decimals)
    if text.startswith("-"):
        return MINUS + localise(text[1:])
    if not text.strip("0."):
        return localise(text)
    return "+" + localise(text)


def pct(value: Any, decimals: int = 0) -> str:
    """75.4 → '75%' (value already in percent), the sign placed as the locale does."""
    if _missing(value):
        return DASH
    _g, _d, _p1, _p2, prefix, suffix = _symbols(i18n.current().locale)
    text = num(value, decimals)
    if text.startswith(MINUS):
        return MINUS + prefix + text[1:] + suffix
    return prefix + text + suffix


def display_unit(unit: str) -> str:
    """The unit a figure is printed in: a unit with a precision (:data:`DECIMALS`: points,
    percent, mean, index) as itself, anything else as a mean. Charts, tables, workbook and
    deck map a comparison's unit through this one function, so an index prints "75"
    everywhere (never "75.00" because one output did not know the unit)."""
    return unit if unit in DECIMALS else "mean"


def figure(value: Any, unit: str, decimals: int | None = None) -> str:
    """A KPI value in its unit: NPS '+25', percent '75%', mean '5.17', index '75'."""
    d = DECIMALS.get(unit, 1) if decimals is None else decimals
    if unit == "points":
        return signed(value, d)
    if unit == "percent":
        return pct(value, d)
    return num(value, d)


def gap(value: Any, unit: str) -> str:
    """A difference in the unit's terms, at the unit's precision: '+6' NPS points, '−1 pts'
    for percentages (percentage points), '+4' index points, '+0.12' on a mean. Beside two
    figures, pass their :func:`shown_difference`."""
    if _missing(value):
        return DASH
    d = DECIMALS.get(unit, 1)
    if unit == "percent":
        # Translators: a difference of percentages in percentage points, as short as a table cell allows.
        return i18n._("{n} pts").format(n=signed(value, d))
    return signed(value, d)


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
