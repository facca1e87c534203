"""Number formatting for reports: the few Jinja filters every template uses.

Formatting lives here and only here, so a figure reads the same in a table, a chart
label and a generated sentence. Missing or suppressed figures print as an em dash.
"""

from __future__ import annotations

import math
from typing import Any

from markupsafe import Markup, escape

DASH = "—"
MINUS = "\u2212"


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def num(value: Any, decimals: int = 0) -> str:
    """1234.5 → '1,235'; None/NaN → '—'."""
    if _missing(value):
        return DASH
    text = f"{float(value):,.{decimals}f}"
    return text.replace("-", MINUS)


def signed(value: Any, decimals: int = 0) -> str:
    """A change or NPS with its sign: '+6', '−3', '0'."""
    if _missing(value):
        return DASH
    rounded = round(float(value), decimals)
    if rounded == 0:
        return f"{0:.{decimals}f}"
    return ("+" if rounded > 0 else MINUS) + f"{abs(rounded):,.{decimals}f}"


def pct(value: Any, decimals: int = 0) -> str:
    """75.4 → '75%' (value already in percent)."""
    if _missing(value):
        return DASH
    return num(value, decimals) + "%"


#: Decimals shown for each unit of a headline figure.
DECIMALS = {"points": 0, "percent": 0, "mean": 2}


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
        return signed(value, 1) + " pts"
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
        return Markup('<span class="suppressed" title="base too small">—</span>')
    text = escape(figure(c["value"], c["unit"], c.get("decimals")))
    if c.get("base") == "small":
        text += Markup('<span class="small-base" title="small base">*</span>')
    mark = c.get("mark", 0)
    if mark:
        cls = "up" if mark > 0 else "down"
        word = "significantly higher" if mark > 0 else "significantly lower"
        text += Markup(f' <span class="sig {cls}" title="{word}">{MARKS[mark]}</span>')
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
