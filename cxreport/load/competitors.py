"""Read the competitor data files: the competitor survey (``competitors.survey``) and the
brand × metric × value table (``competitors.table``).

Both are read through :func:`cxreport.load.tabular.read_table`, so CSV (UTF-8 or UTF-16,
comma, semicolon or tab) and XLSX work alike. Every problem in a file is collected and
raised together, one line each, naming the file, the row (the file's own: the header is
row 1, the first data row row 2) and the column. Nothing here scores; that is
:mod:`cxreport.benchmark.competitors`.

Figures that can only be wrong are refused here rather than scored: a value, base or
standard deviation that is not a finite number (``inf``, ``-inf``, ``nan``, ``1e400``,
which overflows), a table value outside its metric's scale (NPS −100 to 100, percentages
and indices 0 to 100) or absurdly large (a mean, base or standard deviation past
:data:`MAX_MEAN`, :data:`MAX_BASE`, :data:`MAX_SD`), and a non-finite cell in a rating or
weight column of the competitor survey. Such values used to pass and end in an overflow or
in "Axis limits cannot be NaN or Inf" when the charts were drawn.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cxreport.errors import DataError
from cxreport.load.kinds import ROW_KINDS, file_kind
from cxreport.load.tabular import Table, read_table
from cxreport.util import did_you_mean

#: Most problem lines listed in one error (the rest are counted).
MAX_PROBLEMS = 50

#: Largest size of a mean (csat_mean, ces_mean, rating_mean: metrics without a fixed scale),
#: of a standard deviation, and of a base in the competitor table. Any real figure is far
#: smaller; these keep squares and products in the significance tests finite.
MAX_MEAN = 1_000_000
MAX_SD = 1_000_000
MAX_BASE = 1_000_000_000

TABLE_COLUMNS = ("brand", "metric", "value")
TABLE_OPTIONAL = ("n", "sd", "source", "year")


def _text(cell: object) -> str:
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return ""
    return str(cell).strip()


def _read(path: Path, name: str) -> Table:
    """The file as text cells (plain layout for CSV and worksheets: one header row)."""
    kind = file_kind(Path(path))
    try:
        return read_table(Path(path), name=name, format=kind if kind in ROW_KINDS else "auto")
    except DataError as exc:
        # read_table's hint names the main survey's setting; competitor files have none.
        message = exc.message.replace("set survey.encoding in the project file", "save the file as UTF-8 or XLSX")
        if message == exc.message:
            raise
        raise DataError(message, exc.problems) from None


def _raise(name: str, problems: list[str], what: str = "problem(s)") -> None:
    if not problems:
        return
    if len(problems) == 1:
        raise DataError(problems[0])
    shown = problems[:MAX_PROBLEMS]
    if len(problems) > MAX_PROBLEMS:
        shown.append(f"… and {len(problems) - MAX_PROBLEMS} more")
    raise DataError(f"{name}: {len(problems)} {what}", shown)


# --------------------------------------------------------------------------- the competitor survey


@dataclass
class CompetitorSurveyFile:
    """The competitor survey's cells, with its parsed response dates when it has a date column."""

    name: str                       # how messages name the file
    table: Table
    dates: pd.Series | None = None  # one normalised date per row of ``frame`` (same index); None: undated

    @property
    def frame(self) -> pd.DataFrame:
        return self.table.frame


def parse_dates(table: Table, column: str, date_format: str | None = None, timezone: str | None = "UTC",
                dayfirst: bool | None = None) -> tuple[pd.Series, list[str]]:
    """The dates in ``column``, read like the survey's (cxreport.load.dates: the column decides
    day or month first, ``date_format`` in strftime codes when given, timestamps with an offset
    converted to ``timezone``), normalised to days, and one problem line per row whose cell is
    blank or not a date."""
    from cxreport.load.dates import DateOrderError
    from cxreport.load.dates import parse_dates as read_dates

    cells = table.frame[column]
    codes, uniques = pd.factorize(cells, use_na_sentinel=True)
    unique_text = pd.Series([_text(u) for u in uniques], dtype=object)
    try:
        reading = read_dates(unique_text.tolist(), date_format=date_format, dayfirst=dayfirst, timezone=timezone)
    except DateOrderError as exc:
        shown = "; ".join(f"'{unique_text.iloc[i][:30]}'" for i, _how in exc.examples)
        why = ("reads dates both ways" if exc.kind == "both" else "has only dates that read both day first and "
               "month first")
        raise DataError(f"{table.name}: column '{column}' (competitors.survey.date) {why} ({shown}); "
                        "set competitors.survey.date_format (e.g. '%d/%m/%Y')") from None
    except ValueError as exc:
        raise DataError(f"competitors.survey.date_format: {exc}") from None
    # each distinct text was parsed once; spread the dates back to the rows
    values = np.append(reading.values.astype("datetime64[ns]"), np.datetime64("NaT"))[codes]
    dates = pd.Series(values, index=cells.index).dt.normalize()
    text = np.append(unique_text.to_numpy(dtype=object), "")[codes]
    problems = []
    for position in np.flatnonzero(dates.isna().to_numpy()):
        row = table.row_number(cells.index[position])
        shown = text[position]
        if not shown:
            problems.append(f"{table.name} row {row}, column {column}: blank (every answer needs a date)")
        else:
            how = (f"in the format {date_format}" if date_format
                   else "(write YYYY-MM-DD, or set competitors.survey.date_format)")
            problems.append(f"{table.name} row {row}, column {column}: '{shown[:30]}' is not a date {how}")
    return dates, problems


def _infinite(text: str) -> bool:
    """A cell that reads as a number but not a finite one: inf, -Infinity, nan, 1e400."""
    try:
        return not math.isfinite(float(text))
    except ValueError:
        return False


def survey_number_columns(cfg, columns: list[str]) -> list[str]:
    """The competitor survey's rating and weight columns that are in the file (the
    ``{brand}`` templates filled in with ``cfg.brands`` in the wide shape)."""
    wanted: list[str] = []
    for key in ("nps", "csat", "ces", "acsi"):
        value = getattr(cfg, key, None)
        if not value:
            continue
        for template in (value if isinstance(value, list) else [value]):
            if getattr(cfg, "brands", None) and "{brand}" in template:
                wanted += [template.replace("{brand}", brand) for brand in cfg.brands]
            else:
                wanted.append(template)
    if getattr(cfg, "weight", None):
        wanted.append(cfg.weight)
    present = set(columns)
    return [c for c in dict.fromkeys(wanted) if c in present]


def non_finite_cells(table: Table, columns: list[str]) -> list[str]:
    """One problem line per cell of ``columns`` that is a number but not a finite one."""
    problems = []
    for column in columns:
        cells = table.frame[column]
        codes, uniques = pd.factorize(cells, use_na_sentinel=True)
        bad = [i for i, u in enumerate(uniques) if _infinite(_text(u))]
        if not bad:
            continue
        for position in np.flatnonzero(np.isin(codes, bad)):
            shown = _text(cells.iloc[position])[:30]
            problems.append(f"{table.name} row {table.row_number(cells.index[position])}, column {column}: "
                            f"'{shown}' is not a finite number (leave the cell blank when there is no answer)")
    return problems


def read_competitor_survey(cfg, name: str, timezone: str | None = "UTC") -> CompetitorSurveyFile:
    """Read ``competitors.survey`` (a :class:`~cxreport.config.schema.CompetitorSurvey`);
    with ``cfg.date`` its dates are parsed, and any row without a valid date is an error.
    A rating or weight cell that is not a finite number (``inf``, ``nan``, ``1e400``) is an error."""
    table = _read(cfg.file, name)
    survey = CompetitorSurveyFile(table.name, table)
    _raise(table.name, non_finite_cells(table, survey_number_columns(cfg, list(table.frame.columns))),
           "cells that are not finite numbers")
    if cfg.date:
        columns = list(table.frame.columns)
        if cfg.date not in columns:
            raise DataError(f"competitors.survey.date: column '{cfg.date}' not found in {table.name}"
                            f"{did_you_mean(cfg.date, columns)}")
        dates, problems = parse_dates(table, cfg.date, cfg.date_format, timezone)
        _raise(table.name, problems, f"rows without a valid date in column {cfg.date} (competitors.survey.date)")
        survey.dates = dates
    return survey


# --------------------------------------------------------------------------- the brand × metric table


@dataclass
class TableRow:
    """One valid row of the competitor table."""

    row: int                 # the file's row number
    brand: str
    metric: str
    value: float
    n: float | None = None
    sd: float | None = None
    source: str = ""
    year: str = ""


@dataclass
class CompetitorTableFile:
    name: str
    rows: list[TableRow]


def _number(text: str) -> float | None:
    """The number in ``text``; None when blank; NaN when not a (finite) number."""
    if text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        return math.nan
    return value if math.isfinite(value) else math.nan


def _not_a_number(text: str) -> str:
    return f"'{text[:30]}' is not a finite number" if _infinite(text) else f"'{text[:30]}' is not a number"


def _value_problem(metric: str, value: float, text: str) -> str | None:
    """Why a finite table value cannot be a ``metric`` figure, or None."""
    from cxreport.benchmark.standards import METRIC_SCALES

    scale = METRIC_SCALES.get(metric)
    if scale is not None:
        low, high = scale
        if not low <= value <= high:
            return f"'{text[:30]}' is outside the {metric} scale ({low:g} to {high:g})"
    elif abs(value) > MAX_MEAN:
        return f"'{text[:30]}' is not a plausible mean (at most {MAX_MEAN:,} either side of 0)"
    return None


def read_competitor_table(path: Path, name: str, metrics: Iterable[str]) -> CompetitorTableFile:
    """Read ``competitors.table``: columns brand, metric, value and optional n, sd, source, year.
    ``metrics`` are the metric names the table may use. Every bad cell is one problem line."""
    known = list(metrics)
    table = _read(path, name)
    frame = table.frame
    name = table.name
    missing = [c for c in TABLE_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"{name}: missing column(s) {', '.join(missing)} "
                        f"(need {', '.join(TABLE_COLUMNS)}; optional {', '.join(TABLE_OPTIONAL)})")
    cells = {c: [_text(v) for v in frame[c]] if c in frame.columns else [""] * len(frame)
             for c in TABLE_COLUMNS + TABLE_OPTIONAL}
    problems: list[str] = []
    rows: list[TableRow] = []
    seen: dict[tuple[str, str], int] = {}
    for i, index in enumerate(frame.index):
        number = table.row_number(index)
        at = f"{name} row {number}"
        bad = len(problems)
        brand, metric, value_text = cells["brand"][i], cells["metric"][i], cells["value"][i]
        if not brand:
            problems.append(f"{at}, column brand: blank (every row needs a brand)")
        if not metric:
            problems.append(f"{at}, column metric: blank (every row needs a metric)")
        elif metric not in known:
            problems.append(f"{at}, column metric: unknown metric '{metric}'{did_you_mean(metric, known)} "
                            f"(one of {', '.join(known)})")
        value = _number(value_text)
        if value is None:
            problems.append(f"{at}, column value: blank (every row needs a numeric value)")
        elif math.isnan(value):
            problems.append(f"{at}, column value: {_not_a_number(value_text)}")
        elif metric in known and (why := _value_problem(metric, value, value_text)):
            problems.append(f"{at}, column value: {why}")
        n = _number(cells["n"][i])
        if n is not None and (math.isnan(n) or n <= 0):
            problems.append(f"{at}, column n: '{cells['n'][i][:30]}' is not a positive number (the base)")
        elif n is not None and n > MAX_BASE:
            problems.append(f"{at}, column n: '{cells['n'][i][:30]}' is not a plausible base (at most {MAX_BASE:,})")
        sd = _number(cells["sd"][i])
        if sd is not None and (math.isnan(sd) or sd < 0):
            problems.append(f"{at}, column sd: '{cells['sd'][i][:30]}' is not a number of 0 or more")
        elif sd is not None and sd > MAX_SD:
            problems.append(f"{at}, column sd: '{cells['sd'][i][:30]}' is not a plausible standard deviation "
                            f"(at most {MAX_SD:,})")
        if len(problems) > bad:
            continue
        if (brand, metric) in seen:
            problems.append(f"{at}, column metric: {brand} has two values for {metric} "
                            f"(the other on row {seen[(brand, metric)]})")
            continue
        seen[(brand, metric)] = number
        rows.append(TableRow(number, brand, metric, float(value), n, sd, cells["source"][i], cells["year"][i]))
    _raise(name, problems)
    return CompetitorTableFile(name, rows)
