"""Read a case or ticket export (``cases:`` in the project file) into clean, timed cases.

The file is read by :func:`cxreport.load.tabular.read_table` (CSV or XLSX, with its size,
cell and workbook limits), every cell as text. Each row is one case: id, channel, received,
first response, closed, and optionally a survey respondent id, a category and segment
columns. A mapped column that is not in the file, or a file that cannot be read, is an
error naming the file and the column.

Timestamps (docs/cases.md, "Timestamps and time zones"):

- Each timestamp column is read one way, decided from the whole column, by the rules of the
  survey's date column (:mod:`cxreport.load.dates`): ``cases.timestamp_format`` when given,
  else ISO stamps, numeric dates in one day/month order (``cases.dayfirst`` or the column),
  dates with month names.
- A stamp with a UTC offset (``Z``, ``+01:00``) is an instant; a stamp without one is local
  time of ``cases.timezone`` (default ``periods.timezone``). A log mixing both is ambiguous:
  the kind most stamps have is kept and the rows using the other kind are excluded
  ("time-zone mix"). Different offsets (summer and winter time) are fine: each stamp is
  converted. A local time that a clock change skips is moved forward by the gap; one it
  repeats is read as its first occurrence.
- Durations are measured between instants (UTC); a case's date and period are those of its
  received time in ``periods.timezone``.

Rows with a bad timestamp are never used silently: each is excluded for the first of these
reasons, counted, and the first rows of each reason are named with their cell
(:meth:`CaseLog.warnings`): a repeated case id (the first row of an id is kept), a blank
case id, a channel that has no standard, a received stamp that is blank or not a timestamp,
a first-response or closed stamp that is not a timestamp, a stamp of the minority zone kind,
a stamp in the future (after the time of the build), a first response or a closure before
the case was received.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cxreport.errors import DataError
from cxreport.i18n import N_

#: Rows named per kind of problem in a warning.
MAX_EXAMPLES = 5

#: Reasons a row is excluded, in the order they are checked (a row counts under the first).
# (English in messages; marked for the catalog, as the report's data-check table shows them.)
DUPLICATE = N_("repeated case id")
BLANK_ID = N_("blank case id")
UNKNOWN_CHANNEL = N_("channel without a standard")
UNPARSEABLE = N_("timestamp not readable")
ZONE_MIX = N_("time-zone mix")
FUTURE = N_("timestamp in the future")
RESPONSE_BEFORE = N_("first response before received")
CLOSED_BEFORE = N_("closed before received")
REASONS = (DUPLICATE, BLANK_ID, UNKNOWN_CHANNEL, UNPARSEABLE, ZONE_MIX, FUTURE, RESPONSE_BEFORE, CLOSED_BEFORE)

STAMPS = ("received", "first_response", "closed")

# A time followed by a UTC offset or zone letters: 09:30Z, 09:30:00+01:00, 09:30 +0800, 09:30 UTC.
_OFFSET = re.compile(r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:z|utc|gmt|[+-]\d{2}(?::?\d{2})?)$", re.I)


@dataclass
class CaseLog:
    """The usable cases of a log and what was excluded.

    ``frame`` has one row per usable case: ``row`` (the file's row number), ``case_id``,
    ``channel`` (the standard's name as the project file writes it), ``received``,
    ``first_response``, ``closed`` (UTC instants, naive ``datetime64``; NaT while not yet
    answered or closed), ``local`` (received, local time of ``periods.timezone``),
    ``respondent_id`` (text, "" when not linked), ``category`` and one column per segment
    (text, "" when blank)."""

    file: str
    rows_read: int
    frame: pd.DataFrame
    standards: dict[str, float]                     # channel → seconds
    closure: float | None
    segments: list[str]                             # segment names (frame columns "seg:<name>")
    has_closed: bool
    has_category: bool
    linked: bool                                    # cases.columns.respondent_id is mapped
    as_of: pd.Timestamp                             # the latest stamp in the log (UTC, naive)
    zone: str                                       # periods.timezone
    excluded: dict[str, list[int]] = field(default_factory=dict)   # reason → row numbers
    examples: dict[str, list[str]] = field(default_factory=dict)   # reason → "row 12, column 'x': …"
    notes: list[str] = field(default_factory=list)

    @property
    def rows_used(self) -> int:
        return len(self.frame)

    @property
    def excluded_count(self) -> int:
        return sum(len(rows) for rows in self.excluded.values())

    def warnings(self) -> list[str]:
        """One line per kind of excluded row (its count and first rows), then each example."""
        out: list[str] = []
        for reason in REASONS:
            rows = self.excluded.get(reason)
            if not rows:
                continue
            shown = ", ".join(str(r) for r in rows[:MAX_EXAMPLES]) + (", …" if len(rows) > MAX_EXAMPLES else "")
            out.append(f"{self.file}: {len(rows):,} case row{'s' if len(rows) != 1 else ''} excluded ({reason}): "
                       f"row{'s' if len(rows) != 1 else ''} {shown}")
            out.extend(f"{self.file}: {example}" for example in self.examples.get(reason, []))
        out.extend(f"{self.file}: {note}" for note in self.notes)
        return out


def _stamp_texts(series: pd.Series) -> tuple[np.ndarray, np.ndarray, pd.Index]:
    codes, uniques = pd.factorize(series.astype(str).str.strip(), use_na_sentinel=True)
    return codes, np.asarray(uniques, dtype=object), uniques


def _read_stamps(series: pd.Series, column: str, key: str, cfg, naive_zone: str, name: str,
                 row_numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(UTC instants as naive datetime64[ns] — NaT when blank or unreadable —, blank mask,
    has-offset mask) of one timestamp column, each distinct text parsed once."""
    from cxreport.load.dates import DateOrderError, parse_dates

    codes, texts, _u = _stamp_texts(series)
    texts = np.array([t if isinstance(t, str) else "" for t in texts], dtype=object)
    try:
        reading = parse_dates(list(texts), date_format=cfg.timestamp_format, dayfirst=cfg.dayfirst, timezone="UTC")
    except DateOrderError as exc:
        def row_of(unique: int) -> int:
            return int(row_numbers[int(np.argmax(codes == unique))])

        where = f"{name}: column '{column}' ({key})"
        if exc.kind == "both":
            (day, _a), (month, _b) = exc.examples
            raise DataError(f"{where} reads dates both ways: row {row_of(day)} '{texts[day][:30]}' can only be "
                            f"day/month/year, row {row_of(month)} '{texts[month][:30]}' only month/day/year; correct "
                            "the rows or set cases.timestamp_format (e.g. '%d/%m/%Y %H:%M')") from None
        first = exc.examples[0][0]
        raise DataError(f"{where}: every date reads both day first and month first (row {row_of(first)} "
                        f"'{texts[first][:30]}'); set cases.dayfirst: true or false, or cases.timestamp_format") from None
    except ValueError as exc:
        if not cfg.timestamp_format:
            raise
        raise DataError(f"cases.timestamp_format: '{cfg.timestamp_format}' cannot be used: {exc}") from None
    aware = np.array([bool(_OFFSET.search(t)) for t in texts], dtype=bool)
    values = pd.Series(reading.values.astype("datetime64[ns]"))
    naive = ~aware & values.notna().to_numpy()
    if naive.any():
        local = values[naive].dt.tz_localize(naive_zone, ambiguous=np.ones(int(naive.sum()), dtype=bool),
                                             nonexistent="shift_forward")
        values[naive] = local.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
    instants = np.append(values.to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT", "ns"))[codes]
    blank = np.append(texts == "", True)[codes]
    offset = np.append(aware, False)[codes]
    return instants, blank, offset


def check_case_columns(cfg, table) -> None:
    """Every mapped column must be in the file: list each missing one with the closest match."""
    from cxreport.util import did_you_mean

    present = list(table.frame.columns)
    cols = cfg.columns
    wanted = [(f"cases.columns.{k}", getattr(cols, k)) for k in ("case_id", "channel", "received", "first_response",
                                                                  "closed", "respondent_id", "category")
              if getattr(cols, k)]
    wanted += [(f"cases.columns.segments.{n}", c) for n, c in cols.segments.items()]
    problems = [f"{key}: column '{column}' not found in {table.name}{did_you_mean(column, present)}"
                for key, column in wanted if column not in present]
    if problems:
        raise DataError(problems[0] if len(problems) == 1 else
                        f"{table.name}: {len(problems)} mapped case-log columns not found", problems)


def load_cases(project, *, now: dt.datetime | None = None) -> CaseLog | None:
    """The project's case log (None without ``cases:``). ``now`` (UTC; default the clock) is
    the moment after which a stamp is in the future."""
    cfg = project.cases
    if cfg is None:
        return None
    from cxreport.config.paths import display_path
    from cxreport.config.schema import normalise_word
    from cxreport.load.kinds import file_kind
    from cxreport.load.tabular import read_table

    name = display_path(cfg.file, project.base_dir)
    kind = file_kind(Path(cfg.file))
    table = read_table(Path(cfg.file), name=name, encoding=cfg.encoding, sheet=cfg.sheet,
                       format="excel" if kind == "excel" else "csv")
    check_case_columns(cfg, table)
    frame = table.frame
    cols = cfg.columns
    n = len(frame)
    rows = table.first_data_row + np.asarray(frame.index, dtype=np.int64)     # Table.row_number of each row
    zone = project.periods.timezone
    naive_zone = cfg.timezone or zone
    reason = np.full(n, "", dtype=object)
    examples: dict[str, list[str]] = {}

    def mark(mask: np.ndarray, why: str, describe) -> None:
        """Exclude the rows of ``mask`` not yet excluded, for ``why``; name the first ones."""
        new = mask & (reason == "")
        if not new.any():
            return
        reason[new] = why
        for position in np.flatnonzero(new)[:MAX_EXAMPLES]:
            examples.setdefault(why, []).append(f"row {rows[position]}, {describe(position)}")

    def cell(column: str, position: int) -> str:
        text = str(frame[column].iloc[position]).strip()
        return text if len(text) <= 40 else text[:37] + "..."

    # Case ids: blank, then repeats (the first row of an id is kept).
    ids = frame[cols.case_id].astype(str).str.strip()
    blank_id = (ids == "").to_numpy()
    repeated = ids.duplicated(keep="first").to_numpy() & ~blank_id
    first_row = {}
    if repeated.any():
        firsts = ~blank_id & ~ids.duplicated(keep="first").to_numpy()
        first_row = dict(zip(ids.to_numpy(dtype=object)[firsts], rows[firsts]))
    mark(repeated, DUPLICATE, lambda p: f"column '{cols.case_id}': '{cell(cols.case_id, p)}' is also on row "
                                        f"{first_row[ids.iloc[p]]} (the first row is kept)")
    mark(blank_id, BLANK_ID, lambda p: f"column '{cols.case_id}': the case id is blank")

    # Channels: matched to the standards' names, any case and spacing.
    by_key = {normalise_word(k): k for k in cfg.standards}
    codes, texts = pd.factorize(frame[cols.channel].astype(str), use_na_sentinel=True)
    named = np.array([by_key.get(normalise_word(t), "") for t in texts] + [""], dtype=object)
    channel = named[codes]
    known = ", ".join(cfg.standards)
    mark(channel == "", UNKNOWN_CHANNEL,
         lambda p: f"column '{cols.channel}': '{cell(cols.channel, p)}' has no standard in cases.standards "
                   f"({known})")

    # Timestamps.
    stamps: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for key in STAMPS:
        column = getattr(cols, key)
        if column is None:
            stamps[key] = (np.full(n, np.datetime64("NaT", "ns")), np.ones(n, bool), np.zeros(n, bool))
            continue
        stamps[key] = _read_stamps(frame[column], column, f"cases.columns.{key}", cfg, naive_zone, name, rows)
    received, blank_received, _o = stamps["received"]
    mark(blank_received, UNPARSEABLE, lambda p: f"column '{cols.received}': the received time is blank")
    for key in STAMPS:
        values, blank, _o = stamps[key]
        column = getattr(cols, key)
        if column is None:
            continue
        bad = ~blank & np.isnat(values)
        how = f" in the format {cfg.timestamp_format}" if cfg.timestamp_format else ""
        mark(bad, UNPARSEABLE, lambda p, c=column: f"column '{c}': '{cell(c, p)}' is not a timestamp{how}")

    # Zone kinds: stamps with an offset and stamps without, counted over the rows still in.
    usable = reason == ""
    with_offset = sum(int((stamps[k][2] & usable).sum()) for k in STAMPS)
    without = sum(int((~stamps[k][1] & ~stamps[k][2] & usable).sum()) for k in STAMPS)
    if with_offset and without:
        keep_aware = with_offset > without
        for key in STAMPS:
            values, blank, offset = stamps[key]
            column = getattr(cols, key)
            if column is None:
                continue
            minority = (~blank & ~offset) if keep_aware else offset
            what = ("has no UTC offset, but most stamps in the log have one" if keep_aware else
                    "has a UTC offset, but most stamps in the log have none")
            mark(minority, ZONE_MIX, lambda p, c=column, w=what: f"column '{c}': '{cell(c, p)}' {w}")

    # The future: after the time of the build, or after the report's date when that is later
    # (a report dated ahead of the build may hold cases up to its date).
    clock = pd.Timestamp(now if now is not None else dt.datetime.now(dt.timezone.utc))
    if clock.tzinfo is not None:
        clock = clock.tz_convert("UTC").tz_localize(None)
    if project.report.date is not None:
        dated = (pd.Timestamp(project.report.date) + pd.Timedelta(days=1)).tz_localize(zone).tz_convert("UTC")
        clock = max(clock, dated.tz_localize(None))
    limit = np.datetime64(clock.to_datetime64(), "ns")
    for key in STAMPS:
        values, blank, _o = stamps[key]
        column = getattr(cols, key)
        if column is None:
            continue
        with np.errstate(invalid="ignore"):
            future = ~np.isnat(values) & (values > limit)
        mark(future, FUTURE, lambda p, c=column: f"column '{c}': '{cell(c, p)}' is after the time of the build "
                                                 "and the report's date")

    # Order: an answer or a closure before the case arrived.
    first, _b, _o = stamps["first_response"]
    closed, _b, _o = stamps["closed"]
    before = ~np.isnat(first) & ~np.isnat(received) & (first < received)
    mark(before, RESPONSE_BEFORE, lambda p: f"column '{cols.first_response}': '{cell(cols.first_response, p)}' is "
                                            f"before the received time '{cell(cols.received, p)}'")
    closed_before = ~np.isnat(closed) & ~np.isnat(received) & (closed < received)
    mark(closed_before, CLOSED_BEFORE, lambda p: f"column '{cols.closed}': '{cell(cols.closed, p)}' is before the "
                                                 f"received time '{cell(cols.received, p)}'")

    keep = reason == ""
    excluded = {why: rows[reason == why].tolist() for why in REASONS if (reason == why).any()}
    if not keep.any():
        counts = ", ".join(f"{len(r)} {why}" for why, r in excluded.items())
        raise DataError(f"{name}: no usable cases ({counts}); see `cxreport validate`")
    idx = np.flatnonzero(keep)
    out = pd.DataFrame({
        "row": rows[idx],
        "case_id": ids.to_numpy(dtype=object)[idx],
        "channel": channel[idx],
        "received": received[idx],
        "first_response": first[idx],
        "closed": closed[idx],
    })
    out["local"] = (pd.Series(out["received"]).dt.tz_localize("UTC").dt.tz_convert(zone).dt.tz_localize(None)
                    .to_numpy(dtype="datetime64[ns]"))
    text = lambda column: frame[column].astype(str).str.strip().to_numpy(dtype=object)[idx]  # noqa: E731
    out["respondent_id"] = text(cols.respondent_id) if cols.respondent_id else ""
    out["category"] = text(cols.category) if cols.category else ""
    for seg, column in cols.segments.items():
        out[f"seg:{seg}"] = text(column)
    every = np.concatenate([out[k].to_numpy(dtype="datetime64[ns]") for k in ("received", "first_response", "closed")])
    every = every[~np.isnat(every)]
    as_of = pd.Timestamp(every.max()) if len(every) else clock
    return CaseLog(name, n, out.reset_index(drop=True), dict(cfg.standards), cfg.closure, list(cols.segments),
                   cols.closed is not None, cols.category is not None, cols.respondent_id is not None, as_of, zone,
                   excluded, examples)


_CACHE: dict[tuple, CaseLog] = {}


def load_cases_cached(project) -> CaseLog | None:
    """:func:`load_cases`, read once per file version and settings (a ``--per`` build scores
    every unit from the same log)."""
    cfg = project.cases
    if cfg is None:
        return None
    try:
        stat = Path(cfg.file).stat()
        key = (str(cfg.file), stat.st_mtime_ns, stat.st_size, cfg.model_dump_json(), project.periods.timezone)
    except OSError:
        return load_cases(project)
    if key not in _CACHE:
        if len(_CACHE) >= 4:
            _CACHE.clear()
        _CACHE[key] = load_cases(project)
    return _CACHE[key]
