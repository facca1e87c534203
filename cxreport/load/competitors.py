"""Read the competitor data files: the competitor survey (``competitors.survey``) and the
brand × metric × value table (``competitors.table``).

Both are read through :func:`cxreport.load.tabular.read_table`, so CSV (UTF-8 or UTF-16,
comma, semicolon or tab) and XLSX work alike. Every problem in a file is collected and
raised together, one line each, naming the file, the row (the file's own: the header is
row 1, the first data row row 2) and the column. Nothing here scores; that is
:mod:`cxreport.benchmark.competitors`.
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


def parse_dates(table: Table, column: str, date_format: str | None = None) -> tuple[pd.Series, list[str]]:
    """The dates in ``column`` (ISO dates, or ``date_format`` in strftime codes), normalised to
    days, and one problem line per row whose cell is blank or not a date."""
    cells = table.frame[column]
    codes, uniques = pd.factorize(cells, use_na_sentinel=True)
    unique_text = pd.Series([_text(u) for u in uniques], dtype=object)
    present = unique_text.where(unique_text != "", None)
    parsed = pd.to_datetime(present, format=date_format or "ISO8601", errors="coerce")
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    # each distinct text was parsed once; spread the dates back to the rows
    values = np.append(parsed.to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT"))[codes]
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


def read_competitor_survey(cfg, name: str) -> CompetitorSurveyFile:
    """Read ``competitors.survey`` (a :class:`~cxreport.config.schema.CompetitorSurvey`);
    with ``cfg.date`` its dates are parsed, and any row without a valid date is an error."""
    table = _read(cfg.file, name)
    survey = CompetitorSurveyFile(table.name, table)
    if cfg.date:
        columns = list(table.frame.columns)
        if cfg.date not in columns:
            raise DataError(f"competitors.survey.date: column '{cfg.date}' not found in {table.name}"
                            f"{did_you_mean(cfg.date, columns)}")
        dates, problems = parse_dates(table, cfg.date, cfg.date_format)
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
            problems.append(f"{at}, column value: '{value_text[:30]}' is not a number")
        n = _number(cells["n"][i])
        if n is not None and (math.isnan(n) or n <= 0):
            problems.append(f"{at}, column n: '{cells['n'][i][:30]}' is not a positive number (the base)")
        sd = _number(cells["sd"][i])
        if sd is not None and (math.isnan(sd) or sd < 0):
            problems.append(f"{at}, column sd: '{cells['sd'][i][:30]}' is not a number of 0 or more")
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
