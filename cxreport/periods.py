"""Reporting periods derived from response dates: months, quarters, (fiscal) years or named waves.

Every period has a sortable ``key``. For months, quarters and years it is
``year·100 + number within the year`` (fiscal years for quarters and years), so the same
period a year earlier is ``key − 100`` and :func:`step` walks the calendar (a quarter with
no responses still has a key and a label). Waves are numbered 1, 2, 3… in the order the
project lists them and have no "year earlier".
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cxreport import i18n
from cxreport.i18n import _


@dataclass(frozen=True)
class Period:
    key: int           # sortable: year*100 + number within the year (waves: 1, 2, 3…)
    label: str         # "2026 Q1", "FY2027 Q1", "Mar 2026", "FY2027", "Wave 3"
    start: pd.Timestamp
    end: pd.Timestamp  # last day


def assign_periods(dates: pd.Series, unit: str = "quarter", fiscal_year_start: int = 1,
                   waves: list | None = None) -> tuple[np.ndarray, list[Period]]:
    """Period code per row (-1 where the date is missing, or outside every wave) and the
    periods that have rows, in date order.

    Fiscal years are named by the calendar year in which they end (FY2027 runs from
    April 2026 to March 2027 when ``fiscal_year_start`` is 4). ``waves`` (for the unit
    ``wave``) are objects with ``name``, ``start`` and ``end`` dates.
    """
    if unit == "wave":
        return _assign_waves(dates, waves or [])
    valid = dates.notna().to_numpy()
    years = dates.dt.year.to_numpy(dtype=float, na_value=np.nan)
    months = dates.dt.month.to_numpy(dtype=float, na_value=np.nan)
    fy_shift = 0 if fiscal_year_start == 1 else 1
    fiscal_year = years + np.where(months >= fiscal_year_start, fy_shift, fy_shift - 1 if fy_shift else 0)
    month_in_year = (months - fiscal_year_start) % 12  # 0-based month within the fiscal year
    if unit == "month":
        keys = years * 100 + months
    elif unit == "quarter":
        keys = fiscal_year * 100 + (month_in_year // 3 + 1)
    elif unit == "year":
        keys = fiscal_year * 100
    else:  # pragma: no cover - the schema allows only these
        raise ValueError(unit)
    keys = np.where(valid, keys, np.nan)
    unique = np.unique(keys[valid]).astype(int) if valid.any() else np.array([], dtype=int)
    codes = np.full(len(dates), -1, dtype=np.int64)
    codes[valid] = np.searchsorted(unique, keys[valid].astype(int))
    periods = [make_period(int(k), unit, fiscal_year_start) for k in unique]
    return codes, periods


def _assign_waves(dates: pd.Series, waves: list) -> tuple[np.ndarray, list[Period]]:
    codes = np.full(len(dates), -1, dtype=np.int64)
    values = dates.to_numpy(dtype="datetime64[ns]")
    found = []
    for number, wave in enumerate(waves, start=1):
        start, end = np.datetime64(pd.Timestamp(wave.start)), np.datetime64(pd.Timestamp(wave.end))
        inside = (values >= start) & (values <= end)
        if inside.any():
            codes[inside] = len(found)
            found.append(wave_period(number, wave))
    return codes, found


def wave_period(number: int, wave) -> Period:
    return Period(number, str(wave.name), pd.Timestamp(wave.start), pd.Timestamp(wave.end))


def month_label(year: int, month: int) -> str:
    """'Mar 2026' in English, the locale's year-and-month elsewhere ('2026年3月')."""
    lang = i18n.current()
    if lang.code == "en":
        return f"{calendar.month_abbr[month]} {year}"
    from babel.dates import format_skeleton

    return format_skeleton("yMMM", dt.date(year, month, 1), locale=lang.locale)


def make_period(key: int, unit: str, fy_start: int = 1) -> Period:
    """The period of ``key`` (months, quarters and years); its label is in the language of
    the build (cxreport.i18n)."""
    year, number = divmod(key, 100)
    fiscal = fy_start != 1
    if unit == "month":
        start = pd.Timestamp(year=year, month=number, day=1)
        return Period(key, month_label(year, number), start, start + pd.offsets.MonthEnd(0))
    first_year = year - 1 if fiscal else year
    if unit == "quarter":
        month0 = (fy_start - 1 + 3 * (number - 1)) % 12 + 1
        start_year = first_year if month0 >= fy_start else first_year + 1
        start = pd.Timestamp(year=start_year, month=month0, day=1)
        label = (_("FY{year} Q{quarter}") if fiscal else _("{year} Q{quarter}")).format(year=year, quarter=number)
        return Period(key, label, start, start + pd.offsets.MonthEnd(3))
    start = pd.Timestamp(year=first_year, month=fy_start, day=1)
    # Translators: a calendar year as a period name ("2026"; 2026年 in Chinese).
    label = _("FY{year}").format(year=year) if fiscal else _("{year}").format(year=year)
    return Period(key, label, start, start + pd.offsets.MonthEnd(12))


#: Periods in a year, by unit.
PER_YEAR = {"month": 12, "quarter": 4, "year": 1}


def step(key: int, unit: str, n: int) -> int:
    """The key ``n`` periods after ``key`` (before, for negative ``n``) on the calendar."""
    if unit == "wave":
        return key + n
    year, number = divmod(key, 100)
    if unit == "year":
        return (year + n) * 100
    per = PER_YEAR[unit]
    index = year * per + (number - 1) + n
    return (index // per) * 100 + index % per + 1
