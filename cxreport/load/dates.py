"""Reading a date column: one reading for the whole column, in the project's time zone.

A column of ``01/04/2026 … 30/04/2026`` must not be read month first where it can be
(1 January … 12 December) and day first where it cannot (13 April …): every value of a
column is read the same way, decided from the whole column.

The rules (documented in docs/inputs.md, "Dates and time zones"):

1. ``date_format`` (strftime) given: every value is read with it; anything else is not a date.
2. ISO dates and timestamps (``2026-04-13``, ``2026-04-13T09:30:00+01:00``, also
   ``2026/04/13`` and ``2026-4-13``) are year, month, day: never ambiguous.
3. Numeric dates with the year last (``13/04/2026``, ``13.04.2026``, ``04-13-26``, with or
   without a time) are day first or month first: ``dayfirst`` decides when it is set;
   otherwise the column does. A value whose first number is above 12 can only be day
   first, one whose second number is above 12 only month first. One kind decides the
   whole column; both kinds in one column is an error (:class:`DateOrderError`, kind
   ``both``); a column whose values all read both ways (every day ≤ 12) is an error too
   (kind ``ambiguous``), because nothing in it says which reading is right.
4. Dates with a month name (``31-Dec-2026``, ``Dec 31, 2026``) are read as written; a text
   that lacks the year, the month or the day is not a date.

Time zones: a timestamp with a UTC offset (``Z``, ``+01:00``) is converted to the
project's zone (``periods.timezone``); one without is taken as already in that zone.
Either way the result is naive local time: periods need the local calendar date, so an
answer given at 23:30 UTC on 31 March belongs to April in a zone at +01:00.

Only the distinct texts are parsed (the caller factorises the column), with vectorised
readers: pandas' ISO reader, pyarrow's regular expressions for numeric dates, numpy for
the calendar. The element-wise ``dateutil`` reader is used only for texts with letters
(month names, AM/PM) and for times with an offset after a numeric date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

DAY_FIRST = "day-first"
MONTH_FIRST = "month-first"

#: The unit of parsed dates (pandas' own for parsed text).
UNIT = "datetime64[us]"
NAT = np.datetime64("NaT", "us")

# The patterns are RE2 (pyarrow.compute: vectorised, no back-references or look-arounds).
# A numeric date with the year last: day/month or month/day, then a 4- or 2-digit year,
# then, after a space or T, an optional time. The two separators must be the same.
_YEAR_LAST = (r"^(?P<a>\d{1,2})(?P<s1>[/.\- ])(?P<b>\d{1,2})(?P<s2>[/.\- ])(?P<y>\d{4}|\d{2})"
              r"(?P<tail>(?:[\sT].*)?)$")
# A numeric date with the year first that the ISO reader does not take.
_YEAR_FIRST = (r"^(?P<y>\d{4})(?P<s1>[/.\- ])(?P<a>\d{1,2})(?P<s2>[/.\- ])(?P<b>\d{1,2})"
               r"(?P<tail>(?:[\sT].*)?)$")
# The time after a numeric date, when it is plain: 14:30, 14:30:15, 14:30:15.250.
_TIME = r"^[\sT]\s*(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d{1,6}))?)?$"
# A timestamp that carries a UTC offset or zone letter after its time.
_OFFSET = r"(?i):\d{2}(?:[.,]\d+)?\s*(?:z|utc|gmt|[+-]\d{2}(?::?\d{2})?)$"
_LETTER = r"\pL"


class DateOrderError(ValueError):
    """The column cannot be read one way: ``kind`` is ``both`` (some values only read day
    first, others only month first) or ``ambiguous`` (every value reads both ways).
    ``examples`` are (position in the texts, reading) pairs: for ``both`` a day-first-only
    value then a month-first-only one; for ``ambiguous`` one value that reads both ways."""

    def __init__(self, kind: str, examples: list[tuple[int, str]]):
        super().__init__(kind)
        self.kind = kind
        self.examples = examples


@dataclass
class DateReading:
    values: np.ndarray            # naive datetime64 per text, local time of the project's zone; NaT = not a date
    order: str | None = None      # DAY_FIRST or MONTH_FIRST when numeric dates were read one of these ways


def zone(name: str | None) -> ZoneInfo:
    return ZoneInfo(name or "UTC")


def is_numeric_date(text: str) -> bool:
    """Whether ``text`` is a numeric date with the year last (13/04/2026), whose reading
    depends on the day/month order."""
    return _numeric(pa.array([str(text).strip()], type=pa.string()), _YEAR_LAST) is not None


def parse_dates(texts: Iterable[str], *, date_format: str | None = None, dayfirst: bool | None = None,
                timezone: str | None = "UTC") -> DateReading:
    """Read ``texts`` (the distinct texts of a date column) as naive local datetimes.

    Raises :class:`DateOrderError` when numeric dates cannot be read one way, and
    ``ValueError`` for a ``date_format`` that is not a strftime format.
    """
    # str.strip returns the text itself when there is nothing to strip: no copies
    values = np.array([t.strip() if isinstance(t, str) else ("" if t is None or t != t else str(t).strip())
                       for t in texts], dtype=object)
    tz = zone(timezone)
    out = np.full(len(values), NAT, dtype=UNIT)
    present = values != ""
    if not present.any():
        return DateReading(out)
    if date_format:
        out[present] = _with_format(values[present], date_format, tz)
        return DateReading(out)

    # 1. ISO
    out[present] = _iso(values[present], tz)
    rest = np.flatnonzero(present & np.isnat(out))
    if not len(rest):
        return DateReading(out)
    # The rest in blocks, so that the copies made to read them stay small on a million texts.
    blocks = [rest[i:i + BLOCK] for i in range(0, len(rest), BLOCK)]
    order = _order(values, blocks, dayfirst)
    for where in blocks:
        left = pa.array(values[where], type=pa.string())
        # 2. year first, in a form the ISO reader does not take
        year_first = np.zeros(len(left), bool)
        found = _numeric(left, _YEAR_FIRST)
        if found is not None:
            year_first, y, a, b, tail = found
            out[where[year_first]] = _assemble(y, a, b, tail, tz)
        # 3. year last, in the column's order (a text never matches both numeric patterns:
        # the year is four digits, the day and month at most two)
        year_last = np.zeros(len(left), bool)
        found = _numeric(left, _YEAR_LAST)
        if found is not None:
            year_last, y, a, b, tail = found
            day, month = (a, b) if order == DAY_FIRST else (b, a)
            out[where[year_last]] = _assemble(y, month, day, tail, tz)
        # 4. anything else with letters in it (a month name): read as written
        worded = ~year_first & ~year_last & _mask(pc.match_substring_regex(left, _LETTER))
        if worded.any():
            day_first = (order or (DAY_FIRST if dayfirst else MONTH_FIRST)) == DAY_FIRST
            out[where[worded]] = [_words(t, tz, dayfirst=day_first) for t in left.filter(worded).to_pylist()]
        del left, found
    pa.default_memory_pool().release_unused()
    return DateReading(out, order)


#: Texts read at a time after the ISO reader (a million distinct timestamps take 8 blocks).
BLOCK = 131_072


def _order(values: np.ndarray, blocks: list[np.ndarray], dayfirst: bool | None) -> str | None:
    """The order of the column's numeric dates with the year last: ``dayfirst`` when set,
    else decided on all of them (:func:`_decide`); None when there are none."""
    if dayfirst is not None:
        return DAY_FIRST if dayfirst else MONTH_FIRST
    firsts, seconds, positions = [], [], []
    for where in blocks:
        found = _numeric(pa.array(values[where], type=pa.string()), _YEAR_LAST)
        if found is not None:
            matched, _y, a, b, _tail = found
            firsts.append(a.astype(np.int16))
            seconds.append(b.astype(np.int16))
            positions.append(where[matched])
    if not firsts:
        return None
    return _decide(np.concatenate(firsts), np.concatenate(seconds), np.concatenate(positions), None)


def _mask(array: pa.Array) -> np.ndarray:
    return np.asarray(array.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


def _ints(array: pa.Array) -> np.ndarray:
    """Whole numbers of digit texts; a missing optional group (null or empty) is 0."""
    array = array.fill_null("")
    return pc.cast(pc.if_else(pc.equal(array, ""), "0", array), pa.int64()).to_numpy()


def _numeric(text: pa.Array, pattern: str):
    """(matched mask, year, a, b as int arrays of the matched texts, the rest of them) for a
    numeric date pattern, or None when nothing matches."""
    parts = pc.extract_regex(text, pattern)
    matched = _mask(pc.is_valid(parts))
    if matched.any():
        matched &= _mask(pc.equal(parts.field("s1"), parts.field("s2")))
    if not matched.any():
        return None

    def field(name: str) -> pa.Array:
        return parts.field(name) if matched.all() else parts.field(name).filter(matched)

    year = _ints(field("y"))
    short = _mask(pc.equal(pc.utf8_length(field("y")), 2))
    year = np.where(short, np.where(year < 69, 2000 + year, 1900 + year), year)     # strptime's %y
    return matched, year, _ints(field("a")), _ints(field("b")), field("tail")


def _decide(a: np.ndarray, b: np.ndarray, positions: np.ndarray, dayfirst: bool | None) -> str:
    if dayfirst is not None:
        return DAY_FIRST if dayfirst else MONTH_FIRST
    day_only = (a > 12) & (a <= 31) & (b >= 1) & (b <= 12)
    month_only = (b > 12) & (b <= 31) & (a >= 1) & (a <= 12)
    if day_only.any() and month_only.any():
        raise DateOrderError("both", [(int(positions[day_only][0]), DAY_FIRST),
                                      (int(positions[month_only][0]), MONTH_FIRST)])
    if day_only.any():
        return DAY_FIRST
    if month_only.any():
        return MONTH_FIRST
    both = (a >= 1) & (a <= 12) & (b >= 1) & (b <= 12) & (a != b)
    if both.any():
        raise DateOrderError("ambiguous", [(int(positions[both][0]), "")])
    return DAY_FIRST          # every value reads the same either way (05/05/2026) or is no date


def _calendar(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """The dates of year, month, day; NaT where there is no such day (31 February)."""
    ok = (month >= 1) & (month <= 12) & (day >= 1) & (year >= 1) & (year <= 9999)
    months = np.where(ok, (year - 1970) * 12 + (month - 1), 0).astype("datetime64[M]")
    first = months.astype("datetime64[D]")
    length = ((months + 1).astype("datetime64[D]") - first).astype(np.int64)
    ok &= day <= length
    return np.where(ok, (first + np.where(ok, day - 1, 0)).astype(UNIT), NAT)


def _assemble(year: np.ndarray, month: np.ndarray, day: np.ndarray, tail: pa.Array, tz: ZoneInfo) -> np.ndarray:
    """Dates from their numbers, plus the time after them: a plain time is added here; a
    time with an offset or AM/PM is read by the ISO reader, then as written."""
    out = _calendar(year, month, day)
    tail = tail.fill_null("")
    bare = _mask(pc.equal(tail, ""))
    if bare.all():
        return out
    times = pc.extract_regex(tail, _TIME)
    plain = _mask(pc.is_valid(times)) & ~bare
    if plain.any():
        t = times.filter(plain)
        h, m, s = _ints(t.field("h")), _ints(t.field("m")), _ints(t.field("s"))
        micro = _ints(pc.utf8_rpad(t.field("f").fill_null(""), width=6, padding="0"))
        ok = (h < 24) & (m < 60) & (s < 60)
        offset = ((h * 60 + m) * 60 + s) * 1_000_000 + micro
        out[plain] = np.where(ok, out[plain] + offset.astype("timedelta64[us]"), NAT)
    other = ~bare & ~plain & ~np.isnat(out)
    if other.any():
        date = pd.Series(out[other]).dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
        texts = date + np.array(tail.filter(other).to_pylist(), dtype=object)
        parsed = _iso(texts, tz)
        retry = np.isnat(parsed)
        if retry.any():
            parsed[retry] = [_words(t, tz, dayfirst=False) for t in texts[retry]]
        out[other] = parsed
    return out


def _iso(text: np.ndarray, tz: ZoneInfo) -> np.ndarray:
    """ISO dates and timestamps (an object array of texts); NaT for anything else. Offsets are
    converted to ``tz``."""
    try:
        parsed = pd.to_datetime(pd.Series(text, dtype=object), format="ISO8601", errors="coerce")
    except (ValueError, TypeError, OverflowError):
        # Several UTC offsets, or timestamps with and without one: read each kind apart.
        aware = _mask(pc.match_substring_regex(pa.array(text, type=pa.string()), _OFFSET))
        out = np.full(len(text), NAT, dtype=UNIT)
        for mask, utc in ((aware, True), (~aware, False)):
            if mask.any():
                try:
                    part = pd.to_datetime(pd.Series(text[mask], dtype=object), format="ISO8601", errors="coerce",
                                          utc=utc)
                    out[mask] = _local(part, tz)
                except (ValueError, TypeError, OverflowError):
                    out[mask] = [_one_iso(t, tz) for t in text[mask]]
        return out
    return _local(parsed, tz)


def _one_iso(text: str, tz: ZoneInfo) -> np.datetime64:
    try:
        stamp = pd.Timestamp(pd.to_datetime(text, format="ISO8601"))
    except (ValueError, TypeError, OverflowError):
        return NAT
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(tz).tz_localize(None)
    return np.datetime64(stamp.to_datetime64(), "us")


def _local(parsed: pd.Series, tz: ZoneInfo) -> np.ndarray:
    """Naive local times of ``parsed``: aware ones converted to ``tz`` first."""
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert(tz).dt.tz_localize(None)
    return np.array(parsed.to_numpy(dtype=UNIT), dtype=UNIT, copy=True)


_DEFAULTS = (dt.datetime(2000, 1, 1), dt.datetime(2004, 2, 2))


def _words(text: str, tz: ZoneInfo, dayfirst: bool) -> np.datetime64:
    """A date written with words (31-Dec-2026, Dec 31, 2026 2:30 PM); NaT when a part of the
    date is missing (it would otherwise be filled in from today)."""
    from dateutil import parser

    try:
        first, second = (parser.parse(text, dayfirst=dayfirst, default=d) for d in _DEFAULTS)
    except (ValueError, OverflowError, TypeError):
        return NAT
    if first.date() != second.date():
        return NAT        # the year, month or day came from the default
    if first.tzinfo is not None:
        first = first.astimezone(tz).replace(tzinfo=None)
    return np.datetime64(first, "us")


def _with_format(text: np.ndarray, date_format: str, tz: ZoneInfo) -> np.ndarray:
    aware = "%z" in date_format or "%Z" in date_format
    parsed = pd.to_datetime(pd.Series(text, dtype=object), format=date_format, errors="coerce", utc=aware)
    return _local(parsed, tz)
