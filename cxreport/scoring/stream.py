"""Streamed scoring (issue 18, docs/batch.md): a survey larger than memory read in batches and
scored from counted answers, with memory that depends on the number of groups, not of rows.

Two passes over the files (:mod:`cxreport.load.dataset`):

1. the column domains: duplicate respondent ids (:mod:`cxreport.duplicates`, bounded memory),
   every distinct date text (read once for the whole column, one day/month order, as the
   in-memory reader does) and so every period, and every group key of each segment column;
2. the answers: each batch is validated by the same functions as a file read at once
   (:mod:`cxreport.validate`) and counted into cells of segment group × period
   (:class:`~cxreport.scoring.survey.GroupTally`); the checks of the batches add up (counts)
   and their examples are kept up to the usual number.

The cells then give every figure of the window (the window's periods summed), each segment's
groups in the window, the trend (one group per period), the comparison periods, the pooled
sections and the banner tables, through the same functions as the in-memory path
(:func:`~cxreport.scoring.survey.score_tally`, :func:`~cxreport.scoring.survey.history_from`,
:func:`~cxreport.scoring.survey.compare_overall`, :func:`~cxreport.scoring.banner.banner_tables`),
so the figures are the same up to the order of floating-point additions. The key drivers and
the scales' reliability come from weighted cross-products counted the same way
(:class:`~cxreport.scoring.drivers.Moments`), the comments section from comments counted per cell
(:mod:`cxreport.scoring.voice_tally`).

Files are counted one by one and their counts put together in file order, here, on local worker
processes or on a Dask cluster alike: the same additions in the same order, the same document.

What needs every row at once (multi-punch questions, raking, windows that are date ranges rather
than periods) is refused with the key to change; the blocks of the scores document that need the
rows themselves (bootstrap intervals, theme impact, customer value…) are null and named in its
``streamed`` block (:data:`NOT_STREAMED`).
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cxreport.config.schema import Project
from cxreport.errors import ConfigError, DataError
from cxreport.load.dataset import BATCH_ROWS, SurveyFiles, batches, open_survey
from cxreport.scoring.kpis import BaseRules, ItemColumns, ItemSpec, result_from_sums
from cxreport.scoring.survey import GroupTally, PeriodComparison, SurveyResults, SurveyTally, compare_overall, \
    history_from, score_tally
from cxreport.validate import MAX_EXAMPLES, NOT_STATED, ColumnCheck, Grouping, SurveyData, ValidationReport

#: Survey files (a folder: all its Parquet files together) at least this large are scored
#: streamed by ``cxreport score`` unless ``--in-memory`` is given (docs/batch.md).
STREAM_ABOVE_BYTES = 1_000_000_000

#: Blocks of the scores document a streamed run leaves null (they need the rows themselves).
NOT_STREAMED = ["mentions", "sources", "priorities", "actions", "response_times",
                "journey", "theme_impact", "theme_trends", "suggested_themes", "emotion", "consistency",
                "customer_value"]


def survey_bytes(path: Path) -> int:
    """The size of the survey's data: a file's, or a folder's Parquet files' together."""
    path = Path(path)
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*.parquet") if p.is_file())
    return path.stat().st_size if path.is_file() else 0


def chosen(project: Project, stream: bool | None) -> tuple[bool, str]:
    """Whether ``score`` or ``validate`` stream (``stream``: --stream / --in-memory, None: by
    itself) and, when by itself, the line that says why: a folder of Parquet files is always
    streamed (only streaming reads one), a survey of :data:`STREAM_ABOVE_BYTES` or more when
    the project can be streamed."""
    if stream is not None:
        return stream, ""
    path = Path(project.survey.file)
    if path.is_dir():
        return True, f"Streamed scoring: {project.survey.file.name} is a folder of Parquet files"
    size = survey_bytes(path)
    if size >= STREAM_ABOVE_BYTES and not unsupported(project):
        return True, f"Streamed scoring: the survey is {size / 1e9:.1f} GB (--in-memory reads it whole)"
    return False, ""


def unsupported(project: Project) -> list[str]:
    """Why ``project`` cannot be scored streamed (empty: it can), each naming its key."""
    out = []
    survey = project.survey
    suffix = Path(survey.file).suffix.lower()
    if not Path(survey.file).is_dir() and suffix not in (".parquet", ".csv", ".txt", ".tsv"):
        out.append(f"survey.file: streamed scoring reads Parquet (a file or a folder of partitions) or UTF-8 CSV, "
                   f"not '{suffix}'")
    if survey.format not in ("auto", "csv", "parquet"):
        out.append(f"survey.format: streamed scoring reads plain CSV or Parquet, not {survey.format} exports")
    if survey.header_row != 1 or survey.meta is not None:
        out.append("survey.header_row / survey.meta: streamed scoring reads files whose first row is the header, "
                   "without a .meta.json")
    if project.columns.multi_punch:
        out.append("columns.multi_punch: multi-punch questions are not streamed yet")
    if project.weighting is not None:
        out.append("weighting: raking needs every row at once; it is not streamed")
    if project.periods.unit == "wave":
        out.append("periods.unit: waves are not streamed yet; use month, quarter or year")
    return out


@dataclass
class _Check:
    """A column's check over every batch: counts added, examples kept up to the usual number."""

    check: ColumnCheck

    def add(self, part: ColumnCheck, where: str) -> None:
        c = self.check
        for name in ("valid", "blank", "missing_code", "not_applicable", "non_numeric", "out_of_scale"):
            setattr(c, name, getattr(c, name) + getattr(part, name))
        room = MAX_EXAMPLES - len(c.examples)
        c.examples.extend(where + e for e in part.examples[:max(0, room)])


@dataclass
class Domains:
    """What pass 1 found: the later copies of duplicated ids (global row positions), the date
    reading (distinct text → position among the distinct dates, their period codes) and the
    group keys met in each segment column."""

    duplicate_rows: np.ndarray
    duplicate_ids: list[str]
    dates: np.ndarray | None = None                # distinct dates (datetime64), NaT where unreadable
    date_periods: np.ndarray | None = None          # period position of each distinct date (−1: none)
    periods: list = field(default_factory=list)     # every period any row is dated in
    reading: object = None
    keys: dict[str, dict[str, int]] = field(default_factory=dict)   # segment → group key → position
    date_lookup: object = None                      # pandas Index of the distinct date texts (positions)
    centres: dict[str, float] = field(default_factory=dict)   # numeric item without bounds → its first answer


def _where(survey: SurveyFiles, file: str) -> str:
    """How an example line names a partition (nothing for a single file: the report names it)."""
    return "" if file == survey.name else f"{file}: "


def _text(batch, column: str) -> pd.Series:
    """A column of a batch as text cells, as the in-memory reader makes them."""
    import pyarrow as pa

    from cxreport.load.cells import arrow_column_text

    array = batch.data.column(column)
    return pd.Series(arrow_column_text(pa.chunked_array([array], type=array.type)), dtype=object)


@dataclass
class FileDomains:
    """Pass 1 on one file: its distinct date texts (stripped) with where each is first met, and
    each segment column's group keys, in the order met, with their rows."""

    dates: dict[str, str] = field(default_factory=dict)
    keys: dict[str, dict[str, int]] = field(default_factory=dict)     # segment → group key → rows
    firsts: dict[str, float] = field(default_factory=dict)             # open-ended item → its first answer


def scan_file(project: Project, survey: SurveyFiles, index: int | None, rows: int = BATCH_ROWS) -> FileDomains:
    """Pass 1 on the file at ``index`` of ``survey.files`` (None: every file, one after the other)."""
    from cxreport.validate import group_key, spellings

    cols = project.columns
    found = FileDomains(keys={name: {} for name in cols.segments})
    open_items = _open_items(project)
    wanted = list(dict.fromkeys(([cols.date] if cols.date else []) + list(cols.segments.values())
                                + list(open_items.values())))
    if not wanted:
        return found
    from cxreport.validate import _numeric

    for b in batches(survey, wanted, rows, None if index is None else [index]):
        for key, column in open_items.items():
            if key not in found.firsts:
                values, _blank = _numeric(_text(b, column))
                finite = values[np.isfinite(values)]
                if len(finite):
                    found.firsts[key] = float(finite[0])
        if cols.date:
            codes, uniques = pd.factorize(_text(b, cols.date), use_na_sentinel=True)
            first = np.full(len(uniques), len(codes), dtype=np.int64)     # each distinct text's first row
            met = codes >= 0
            np.minimum.at(first, codes[met], np.flatnonzero(met))
            where = "" if b.file == survey.name else f" of {b.file}"
            for u, position in zip(uniques, first.tolist()):
                t = str(u).strip()
                if t and t not in found.dates:
                    found.dates[t] = f"{b.first_row + position}{where}"
        for name, column in cols.segments.items():
            seen, _raw, key_of = spellings(_text(b, column))
            registry = found.keys[name]
            for key in key_of:
                registry.setdefault(key, 0)
            for key, spelled in seen.spelled.items():
                registry[key] += sum(spelled.values())
            if seen.not_stated:
                registry.setdefault(group_key(NOT_STATED), 0)
    return found


def scan_domains(project: Project, survey: SurveyFiles, parts: list[FileDomains], rows: int = BATCH_ROWS
                 ) -> Domains:
    """Pass 1's files put together in file order, the duplicate ids found over every file and the
    dates read once for the whole column (see the module's notes)."""
    from cxreport.duplicates import find_duplicates
    from cxreport.periods import assign_periods
    from cxreport.validate import read_dates

    cols = project.columns
    found = Domains(np.empty(0, dtype=np.int64), [])
    if cols.respondent_id:
        def ids():
            for b in batches(survey, [cols.respondent_id], rows):
                yield _text(b, cols.respondent_id).to_numpy(dtype=object)

        dup = find_duplicates(ids)
        found.duplicate_rows, found.duplicate_ids = dup.excluded, dup.ids
    first_seen: dict[str, str] = {}
    keys: dict[str, dict[str, int]] = {name: {} for name in cols.segments}
    rows: dict[str, dict[str, int]] = {name: {} for name in cols.segments}
    for part in parts:
        for text, where in part.dates.items():
            first_seen.setdefault(text, where)
        for name, met in part.keys.items():
            registry = keys[name]
            for key, n in met.items():
                registry.setdefault(key, len(registry))
                rows[name][key] = rows[name].get(key, 0) + n
    found.keys = keys
    for part in parts:
        for key, value in part.firsts.items():
            found.centres.setdefault(key, value)
    _refuse_sparse(project, survey, rows)
    found.date_lookup = pd.Index(list(first_seen), dtype=object)
    if cols.date:
        texts = pd.Series(list(first_seen), dtype=object)
        reading = read_dates(texts, project, survey.name, lambda i: first_seen[texts.iloc[i]])
        found.reading = reading
        found.dates = np.asarray(reading.values, dtype="datetime64[ns]")
        days = pd.Series(found.dates).dt.normalize()
        codes, periods = assign_periods(days, project.periods.unit, project.periods.fiscal_year_start,
                                        project.periods.waves)
        found.date_periods, found.periods = codes, periods
    return found


def _open_items(project: Project) -> dict[str, str]:
    """The key drivers' and scales' numeric items without both bounds (item key → column): their
    cross-products are counted around their first answer in the file, a centre every worker knows
    after pass 1 (the middle of the scale, for the others), which keeps the sums precise."""
    from cxreport.scoring.keydrivers import driver_columns, scale_attributes
    from cxreport.validate import item_specs

    specs = item_specs(project, {})
    chosen = []
    found = driver_columns(project, specs)
    if found is not None:
        chosen += [found[0], *found[1]]
    attrs = scale_attributes(specs)
    for members in project.item_scales.values():
        chosen += [attrs[m] for m in members if m in attrs]
    return {s.key: s.column for s in chosen
            if not (math.isfinite(s.low) and math.isfinite(s.high)) and s.column}


def _refuse_sparse(project: Project, survey: SurveyFiles, rows: dict[str, dict[str, int]]) -> None:
    """A segment column that is mostly tiny groups (an id or free-text column mapped as a segment)
    is refused after pass 1, as :func:`~cxreport.validate.prepare` refuses it, before its groups
    are counted: counting a million groups × periods × scale points would not fit in memory. The
    rows counted here are every row; the full check runs again on the kept rows."""
    from cxreport.validate import SPARSE_MIN_GROUPS, check_group_count, group_key

    not_stated = group_key(NOT_STATED)
    for name, column in project.columns.segments.items():
        sizes = [n for key, n in rows[name].items() if key != not_stated]
        if len(sizes) >= SPARSE_MIN_GROUPS and name not in project.bases.sparse_segments:
            check_group_count(project, survey.name, f"columns.segments.{name}", column, np.array(sizes),
                              ["?"] * len(sizes), ValidationReport(survey.name), name)


def count_file(project: Project, survey: SurveyFiles, domains: Domains, specs: list[ItemSpec], index: int | None,
               offset: int = 0, rows: int = BATCH_ROWS) -> Counted:
    """Pass 2 on the file at ``index`` (None: every file), whose first row is row ``offset`` of
    the survey (0-based, over every file): its answers validated and counted."""
    counted = Counted(project, survey, domains, specs, offset)
    for b in batches(survey, _wanted(project, ids=False), rows, None if index is None else [index]):
        counted.add(b)
    counted._weighted = bool(project.columns.weight)
    counted.project = counted.survey = counted.domains = None    # a Dask worker sends back only the counts
    return counted


class Counted:
    """Pass 2's state: the validation report and the answers counted into cells."""

    def __init__(self, project: Project, survey: SurveyFiles, domains: Domains, specs: list[ItemSpec],
                 offset: int = 0):
        self.project, self.survey, self.domains, self.specs = project, survey, domains, specs
        self.batches = 0
        self.report = ValidationReport(survey.name)
        self.checks: list[_Check] = []
        self.excluded: dict[str, int] = {}
        self.weight_rows: list[str] = []           # the first rows dropped for their weight
        self.weight_dropped = 0
        self.hints = {s.key: np.zeros(int(s.high - s.low) + 1, dtype=np.int64) for s in specs
                      if not s.continuous and math.isfinite(s.high)}
        self.low = {s.key: math.inf for s in specs}
        self.high = {s.key: -math.inf for s in specs}
        self.outside = 0
        self.acsi_counts: dict[str, np.ndarray] = {}   # the ACSI items' answers per scale point
        self.p = len(domains.periods) + 1          # cells: the periods, then the rows in none
        self.keys = {name: len(k) for name, k in domains.keys.items()}
        self.found: dict[str, object] = {}        # segment → Spellings of the kept rows
        self.periods: GroupTally | None = None
        self.segments: dict[str, GroupTally] = {}
        self.sw2 = np.zeros(self.p)
        self.row = offset                          # rows read so far end at ``row`` (0-based, every file)
        # Key drivers: the drivers' and outcome's Moments per period cell (segment None) and per
        # drivers.segments group key × period cell (key × P + period).
        self.moments: dict[tuple[str | None, int], object] = {}
        self.driver_keys: list[str] = []
        self.centre = None
        # Scales (Cronbach's α): each declared scale's items' Moments per period cell.
        self.scales: dict[str, tuple[list[str], np.ndarray]] = {}
        if project.item_scales:
            from cxreport.scoring.keydrivers import centre_of, scale_attributes

            attrs = scale_attributes(specs)
            for name, members in project.item_scales.items():
                if all(m in attrs for m in members):      # else key_drivers names the missing one
                    chosen = [attrs[m] for m in members]
                    self.scales[name] = ([s.key for s in chosen], self._centred(chosen, centre_of(chosen)))
        # Comments: counted per period cell and segment group key (cxreport/scoring/voice_tally.py).
        self.voice = None
        if project.comments is not None and project.columns.comment:
            from cxreport.scoring.voice_tally import VoiceTally

            self.voice = VoiceTally(list(project.comments.code_frame), self.p,
                                    {name: len(k) for name, k in domains.keys.items()})
        found = _driver_specs(project, specs)
        if found is not None:
            outcome, drivers = found
            from cxreport.scoring.keydrivers import centre_of

            self.driver_keys = [d.key for d in drivers] + [outcome.key]
            self.centre = self._centred(drivers + [outcome], centre_of(drivers + [outcome]))

    def _centred(self, specs: list[ItemSpec], centre: np.ndarray) -> np.ndarray:
        """``centre`` with each open-ended item's first answer (pass 1) instead of 0."""
        known = self.domains.centres if self.domains is not None else {}
        return np.array([known.get(spec.key, c) for spec, c in zip(specs, centre)], dtype=float)

    @property
    def weighted(self) -> bool:
        return bool(self.project.columns.weight) if self.project is not None else self._weighted

    def _count_moments(self, values: dict, rows: np.ndarray, w: np.ndarray, period: np.ndarray,
                       keys_of: dict[str, np.ndarray]) -> None:
        """The key drivers' Moments of the kept rows, by period cell and by drivers.segments
        group key × period cell."""
        D = np.column_stack([values[k][rows] for k in self.driver_keys])
        weights = w if self.weighted else None
        _add_moments(self.moments, None, period, D, weights, self.centre)
        for name in self.project.drivers.segments:
            if name in keys_of:                # not a segment: key_drivers says so when scoring
                _add_moments(self.moments, name, keys_of[name] * self.p + period, D, weights, self.centre)

    def _count_comments(self, frame, rows: np.ndarray, start: int, period: np.ndarray,
                        keys_of: dict[str, np.ndarray]) -> None:
        """The kept rows' comments scored, coded and counted. A comment's row is its row in the
        survey: the file's own for one file; for a folder, its position over every file
        (1-based), which tells the partitions' rows apart."""
        from cxreport.cache import sentiment_scores
        from cxreport.scoring.comments import analyse_comments

        cfg = self.project.comments
        text = frame[self.project.columns.comment].iloc[rows].astype(str).str.strip().to_numpy()
        first = 2 if self.survey.kind == "csv" else 1
        comments = pd.DataFrame({"row": start + rows + first, "text": text})
        said = comments[comments["text"].str.len() > 0]
        if said.empty:
            return
        unique = pd.unique(said["text"].to_numpy())
        score_of = dict(zip(unique.tolist(), sentiment_scores(unique.tolist()).tolist()))
        scores = pd.Series([score_of[t] for t in said["text"].tolist()], index=said["row"].to_numpy())
        analysis = analyse_comments(comments, cfg.code_frame, None, cfg.mask_names, 0, scores_by_row=scores,
                                    keep_hits=True)
        positions = analysis.positions
        self.voice.add(analysis, period[positions], {name: key[positions] for name, key in keys_of.items()})

    def merge(self, other: Counted) -> None:
        """Add the counts of the file read after this one's (files are put together in order)."""
        if not self.checks:
            self.checks = other.checks
        else:
            for mine, theirs in zip(self.checks, other.checks):
                mine.add(theirs.check, "")
        for why, n in other.excluded.items():
            self.excluded[why] = self.excluded.get(why, 0) + n
        self.weight_rows += other.weight_rows[:max(0, MAX_EXAMPLES + 1 - len(self.weight_rows))]
        self.weight_dropped += other.weight_dropped
        for key, counts in other.hints.items():
            self.hints[key] = self.hints[key] + counts
        for key, counts in other.acsi_counts.items():
            self.acsi_counts[key] = self.acsi_counts[key] + counts if key in self.acsi_counts else counts
        for key in self.low:
            self.low[key] = min(self.low[key], other.low[key])
            self.high[key] = max(self.high[key], other.high[key])
        self.outside += other.outside
        for name, found in other.found.items():
            self.found[name] = found if name not in self.found else self.found[name] + found
        if other.periods is not None:
            self.periods = other.periods if self.periods is None else self.periods + other.periods
        for name, tally in other.segments.items():
            self.segments[name] = tally if name not in self.segments else self.segments[name] + tally
        self.sw2 = self.sw2 + other.sw2
        if other.voice is not None:
            if self.voice is None:
                self.voice = other.voice
            else:
                self.voice.merge(other.voice)
        for cell, m in other.moments.items():
            self.moments[cell] = m if cell not in self.moments else self.moments[cell] + m
        self.row = other.row
        self.batches += other.batches

    def add(self, batch) -> None:
        from cxreport.load.cells import arrow_text_cells
        from cxreport.load.tabular import Table
        from cxreport.validate import _check_item, _item_config, _acsi_scores, check_weights, composite_scores, \
            date_check, derived_keys, group_key, spellings

        import pyarrow as pa

        project, cols = self.project, self.project.columns
        data = pa.Table.from_batches([batch.data])
        numbers = None
        if cols.weight and pa.types.is_floating(data.schema.field(cols.weight).type):
            # A floating-point weight column is checked as numbers: formatting a million distinct
            # weights as text and parsing them again costs more than the rest of the batch.
            numbers = data.column(cols.weight).to_numpy().astype(float)
            if cols.weight not in _wanted(project, ids=False, weight=False):   # not mapped as anything else
                data = data.drop_columns([cols.weight])
        frame = arrow_text_cells(data)
        table = Table(frame, batch.file, self.survey.path, first_data_row=batch.first_row)
        n = len(frame)
        self.batches += 1
        part = ValidationReport(batch.file, rows_read=n)
        keep = np.ones(n, dtype=bool)
        dup = self.domains.duplicate_rows
        start = self.row
        lo, hi = np.searchsorted(dup, [self.row, self.row + n])
        if hi > lo:
            keep[dup[lo:hi] - self.row] = False
            self.excluded["duplicate respondent id"] = self.excluded.get("duplicate respondent id", 0) + int(hi - lo)
        self.row += n
        checks: list[ColumnCheck] = []
        if cols.weight:
            weights, bad, zero, check = check_weights(table, cols.weight, numbers)
            checks.append(check)
            for why, mask in (("missing or invalid weight", bad & keep), ("zero weight", zero & keep & ~bad)):
                if mask.any():
                    self.excluded[why] = self.excluded.get(why, 0) + int(mask.sum())
            dropped = (bad | zero) & keep
            if dropped.any():
                where = np.flatnonzero(dropped)
                self.weight_dropped += len(where)
                room = MAX_EXAMPLES + 1 - len(self.weight_rows)
                self.weight_rows += [f"{batch.first_row + int(p)}" + ("" if batch.file == self.survey.name
                                                                       else f" of {batch.file}")
                                     for p in where[:max(0, room)]]
            keep &= ~bad & ~zero
            weights = np.where(keep, weights, 0.0)
        else:
            weights = np.ones(n)
        missing_codes = [float(c) for c in project.missing_codes]
        values: dict[str, np.ndarray] = {}
        derived = derived_keys(project)
        for spec in self.specs:
            if spec.key in derived:
                continue
            key, item_cfg = _item_config(project, spec)
            words = project.words(item_cfg)
            word_list = list(project.word_scales[item_cfg.scale]) if words is not None else None
            reverse = getattr(item_cfg, "reverse", False)
            clean, check = _check_item(table, spec, key, [float(c) for c in item_cfg.na_codes], missing_codes,
                                       reverse=reverse, words=words, word_list=word_list, hint=False)
            checks.append(check)
            values[spec.key] = clean
            if words is None and spec.key in self.hints:
                raw = clean[~np.isnan(clean)]
                if reverse:
                    raw = (spec.low + spec.high) - raw
                self.hints[spec.key] += np.bincount((raw - spec.low).astype(np.int64),
                                                    minlength=len(self.hints[spec.key]))
        if cols.acsi:
            values["acsi"] = _acsi_scores(project, table, missing_codes, part, self.acsi_counts)
            checks += part.columns          # the items' checks, in the in-memory order (before the date's)
            part.columns = []
        for name, scale in project.composites.items():
            values[f"attr:{name}"] = composite_scores([values[f"attr:{m}"] for m in scale.items], scale.needed)
        # Dates: the reading of pass 1, spread to the rows.
        if cols.date:
            text = _text(batch, cols.date).astype(str).str.strip()
            index = self.domains.date_lookup.get_indexer(text.to_numpy()).astype(np.int64)    # −1: blank
            dates = pd.Series(np.append(self.domains.dates, np.datetime64("NaT"))[index])
            checks.append(date_check(table, text.reset_index(drop=True), dates, self.domains.reading, project))
            period = np.append(self.domains.date_periods, -1)[index]
            dated = dates.notna().to_numpy()
            self.outside += int((dated & (period < 0) & keep).sum())
            period = np.where(period >= 0, period, self.p - 1)
        else:
            period = np.full(n, self.p - 1, dtype=np.int64)
        checks += part.columns
        if not self.checks:
            self.checks = [_Check(ColumnCheck(c.key, c.column, c.label, expects=c.expects, allowed=list(c.allowed)))
                           for c in checks]
        where = _where(self.survey, batch.file)
        for mine, theirs in zip(self.checks, checks):
            mine.add(theirs, where)
        # The kept rows counted into cells.
        rows = np.flatnonzero(keep)
        w = weights[rows]
        period = period[rows]
        for spec in self.specs:
            x = values[spec.key][rows]
            valid = x[~np.isnan(x)]
            if len(valid):
                self.low[spec.key] = min(self.low[spec.key], float(valid.min()))
                self.high[spec.key] = max(self.high[spec.key], float(valid.max()))
        columns = [ItemColumns(spec, values[spec.key][rows], w) for spec in self.specs]
        tally = GroupTally.of(columns, period, self.p, w)
        self.periods = tally if self.periods is None else self.periods + tally
        self.sw2 += np.bincount(period, weights=w * w, minlength=self.p)
        not_stated = group_key(NOT_STATED)
        keys_of: dict[str, np.ndarray] = {}      # segment → each kept row's group key position
        for name, column in cols.segments.items():
            found, raw, key_of = spellings(frame[column].iloc[rows])
            self.found[name] = found if name not in self.found else self.found[name] + found
            registry = self.domains.keys[name]
            lookup = np.array([registry[k] for k in key_of] + [registry.get(not_stated, -1)], dtype=np.int64)
            keys_of[name] = lookup[raw]
            codes = lookup[raw] * self.p + period
            size = self.keys[name] * self.p
            seg = GroupTally.of(columns, codes, size, w)
            self.segments[name] = seg if name not in self.segments else self.segments[name] + seg
        if self.driver_keys:
            self._count_moments(values, rows, w, period, keys_of)
        if self.voice is not None:
            self._count_comments(frame, rows, start, period, keys_of)
        for name, (keys, centre) in self.scales.items():
            D = np.column_stack([values[k][rows] for k in keys])
            _add_moments(self.moments, ("scale", name), period, D, w if self.weighted else None, centre)


def _driver_specs(project: Project, specs: list[ItemSpec]):
    """The outcome and drivers of ``drivers:`` among ``specs``, or None (no ``drivers:``)."""
    from cxreport.scoring.keydrivers import driver_columns

    return driver_columns(project, specs)


def _add_moments(store: dict, segment: str | None, codes: np.ndarray, D: np.ndarray, w: np.ndarray | None,
                 centre: np.ndarray) -> None:
    """The rows' Moments added to ``store`` cell by cell (``codes``: the cell of each row)."""
    from cxreport.scoring.drivers import Moments

    if not len(codes):
        return
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    edges = np.flatnonzero(np.diff(sorted_codes)) + 1
    for part in np.split(order, edges):
        cell = (segment, int(codes[part[0]]))
        m = Moments.of(D[part], None if w is None else w[part], centre)
        store[cell] = m if cell not in store else store[cell] + m


def _counted_moments(counted, keep_cells: np.ndarray, segment=None, keys=()) -> object:
    """The Moments of the period cells ``keep_cells`` (raw period positions) — of one segment's
    group keys ``keys`` when ``segment`` is a segment's name, of a scale's items when it is
    ``("scale", name)``."""
    from cxreport.scoring.drivers import Moments

    if isinstance(segment, tuple):
        total = Moments.zeros(counted.scales[segment[1]][1], counted.weighted)
        cells = [(segment, p) for p in keep_cells]
    else:
        total = Moments.zeros(counted.centre, counted.weighted)
        cells = [(None, p) for p in keep_cells] if segment is None else \
            [(segment, k * counted.p + p) for k in keys for p in keep_cells]
    for cell in sorted(cells, key=lambda c: c[1]):
        m = counted.moments.get(cell)
        if m is not None:
            total = total + m
    return total


@dataclass
class StreamedStudy:
    """A streamed study: what the scores document's core blocks (``cxreport.export.core_dict``)
    read, as a :class:`~cxreport.pipeline.Study` has it."""

    project: Project
    validation: ValidationReport
    results: SurveyResults
    window: object
    comparisons: list
    targets: object
    benchmarks: list
    tiers: dict
    competitors: list
    scopes: dict
    rows_read: int
    batches: int
    timings: dict = field(default_factory=dict)
    drivers: object = None                 # DriverReport (key drivers from the counted Moments) or None
    banners: object = None                 # BannerTables (from the segments' counted groups) or None
    voice: object = None                   # CommentAnalysis (counted comments; voice_tally.py) or None

    def scope(self, section: str):
        return self.scopes[section]

    def comparison(self, kind: str):
        return next((c for c in self.comparisons if c.kind == kind), None)


def score_streamed(project: Project, *, strict: bool = False, period: str | None = None,
                   rows: int = BATCH_ROWS, scheduler: str | None = None, jobs: int = 1) -> StreamedStudy:
    """Score ``project``'s survey in batches (see the module's notes). ``scheduler``: a Dask
    scheduler's address; each file of a Parquet folder is then read and counted on a worker
    (a ``dask.bag`` over the files), and their counts put together here in file order, as the
    local run puts its files' counts together, so both give the same document. ``jobs``: local
    worker processes counting the files (the same document again)."""
    from functools import partial

    from cxreport.benchmark.compare import compare_standards, evaluate_tiers
    from cxreport.benchmark.targets import evaluate_targets
    from cxreport.config.paths import display_path
    from cxreport.load.dataset import file_rows
    from cxreport.validate import derived_keys, item_specs

    problems = unsupported(project)
    if problems:
        raise ConfigError(problems[0], problems[1:])
    clock = time.perf_counter
    timings: dict[str, float] = {}
    t = clock()
    survey = open_survey(project.survey.file, display_path(project.survey.file, project.base_dir),
                         project.survey.encoding)
    _check_columns(project, survey)
    specs = item_specs(project, {})
    sizes = file_rows(survey)
    units: list[int | None] = list(range(len(survey.files))) if sizes is not None else [None]
    offsets = [0] if sizes is None else [int(x) for x in np.cumsum([0] + sizes[:-1])]
    run = _Runner(scheduler, jobs)
    try:
        parts = run.map(partial(scan_file, project, survey, rows=rows), units)
        domains = scan_domains(project, survey, parts, rows)
        timings["pass 1 (ids, dates, groups)"] = clock() - t
        t = clock()
        counts = run.map(partial(_count_unit, project, survey, domains, specs, rows), list(zip(units, offsets)))
    finally:
        run.close()
    counted = Counted(project, survey, domains, specs)
    for part in counts:
        counted.merge(part)
    timings["pass 2 (validate, count)"] = clock() - t
    t = clock()
    report = _finish_report(project, counted, survey)
    if strict and not report.clean:
        raise DataError(f"{survey.name}: invalid data (--strict)", report.warnings())
    specs = _bounded(specs, counted, derived_keys(project), survey.name, report)
    data, cells = _assemble(project, counted, specs, report, survey.name)
    study = _score(project, data, cells, period)
    study.batches, study.rows_read = counted.batches, counted.row
    timings["score"] = clock() - t
    study.timings = timings
    study.targets = evaluate_targets(project, study.results, None)
    study.benchmarks = compare_standards(project, study.results)
    study.tiers = evaluate_tiers(project, study.results)
    return study


def _count_unit(project: Project, survey: SurveyFiles, domains: Domains, specs: list[ItemSpec], rows: int,
                unit: tuple[int | None, int]) -> Counted:
    index, offset = unit
    return count_file(project, survey, domains, specs, index, offset, rows)


class _Runner:
    """Runs one function over the files: here, one after the other or on ``jobs`` worker
    processes, or on a Dask cluster (a ``dask.bag`` with one partition per file, computed by the
    cluster's scheduler); the results come back in file order in every case."""

    def __init__(self, scheduler: str | None, jobs: int = 1):
        self.client = None
        self.pool = None
        self.jobs = max(1, jobs)
        if scheduler:
            from cxreport.executor import _check_workers, dask_client

            self.client = dask_client(scheduler)
            try:
                _check_workers(self.client)
            except BaseException:
                self.client.close()
                raise

    def map(self, fn, items: list) -> list:
        if self.client is None and (self.jobs == 1 or len(items) < 2):
            return [fn(item) for item in items]
        if self.client is None:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor
            from concurrent.futures.process import BrokenProcessPool

            from cxreport.errors import CxError

            if self.pool is None:
                # spawn: a worker imports only what counting needs (not the parent's WeasyPrint or threads)
                self.pool = ProcessPoolExecutor(max_workers=min(self.jobs, len(items)),
                                                mp_context=mp.get_context("spawn"))
            try:
                return list(self.pool.map(fn, items))
            except BrokenProcessPool:
                raise CxError("a worker process counting the survey stopped (out of memory?); "
                              "run with fewer processes (-j)") from None
        import dask.bag as db

        from cxreport.errors import CxError

        bag = db.from_sequence(items, npartitions=max(1, len(items))).map(fn)
        try:
            return list(bag.compute(scheduler=self.client.get))
        except CxError:
            raise
        except Exception as exc:  # noqa: BLE001 - a worker's failure, as one line
            from cxreport.executor import reason

            raise CxError(f"the Dask cluster could not score the survey: {reason(exc)}") from None

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)


def _wanted(project: Project, ids: bool = True, weight: bool = True) -> list[str]:
    """The columns scoring reads (``ids``: with the respondent id, which pass 2 needs only when
    it is mapped as something else too: its duplicates are known from pass 1; ``weight``: with
    the weight column)."""
    from cxreport.validate import derived_keys, item_specs

    cols = project.columns
    out = [c for c in (cols.respondent_id if ids else None, cols.date, cols.weight if weight else None) if c]
    derived = derived_keys(project)
    out += [s.column for s in item_specs(project) if s.key not in derived]
    if cols.acsi:
        out += list(cols.acsi.items)
    out += list(cols.segments.values())
    if project.comments is not None and cols.comment:
        out.append(cols.comment)
    return list(dict.fromkeys(out))


def _check_columns(project: Project, survey: SurveyFiles) -> None:
    from cxreport.load.tabular import Table
    from cxreport.validate import check_columns

    check_columns(project, Table(pd.DataFrame(columns=survey.columns), survey.name, survey.path))


def _finish_report(project: Project, counted: Counted, survey: SurveyFiles) -> ValidationReport:
    from cxreport.validate import date_notes, scale_hint

    report = counted.report
    report.rows_read = counted.row
    order = ["duplicate respondent id", "missing or invalid weight", "zero weight"]
    report.excluded = {k: counted.excluded[k] for k in order if counted.excluded.get(k)}
    report.duplicate_ids = list(counted.domains.duplicate_ids)
    report.columns = [c.check for c in counted.checks]
    report.rows_used = int(counted.periods.counts.sum()) if counted.periods is not None else 0
    cols = project.columns
    for check in report.columns:
        if check.key == "columns.weight" and counted.weight_dropped:
            from cxreport.validate import weight_summary

            check.summary = weight_summary(cols.weight, counted.weight_dropped, counted.weight_rows)
        if check.key == "columns.date":
            date_notes(report, check, project)
    for spec in counted.specs:
        if spec.key in counted.hints:
            check = next((c for c in report.columns if c.column == spec.column and c.label == spec.label), None)
            if check is not None and check.expects == "number":
                check.hint = scale_hint(spec, check.key, counted.hints[spec.key])
                if check.hint:
                    report.cautions.append(check.hint)
    if cols.acsi:
        from cxreport.validate import acsi_hints

        acsi_hints(project, counted.acsi_counts, report)
    if report.rows_used == 0:
        raise DataError(f"{survey.name}: no usable rows ({', '.join(f'{v} {k}' for k, v in report.excluded.items())})")
    if counted.outside:
        report.notes.append(f"column '{cols.date}': {counted.outside} rows dated outside every wave (periods.waves) "
                            "are in the totals of 'all' but in no period")
    return report


def _bounded(specs: list[ItemSpec], counted: Counted, derived: dict, name: str, report: ValidationReport
             ) -> list[ItemSpec]:
    """The items checked as :func:`cxreport.validate.prepare` checks them once every row is
    read: each needs a valid answer; a numeric item without bounds takes its answers' range."""
    from cxreport.validate import _item_config

    out = []
    for spec in specs:
        valid = int(counted.periods.items[spec.key].sums().n.sum())
        if not valid:
            project = counted.project
            if spec.key == "acsi":
                raise DataError(f"{name}: columns.acsi: no respondent answered all three items of the index "
                                f"({', '.join(project.columns.acsi.items)}) with a valid answer; nothing to score")
            if spec.key in derived:
                scale = project.composites[spec.key[5:]]
                raise DataError(f"{name}: scales.{spec.key[5:]}: no respondent answered at least {scale.needed} "
                                f"of its {len(scale.items)} items; nothing to score")
            check = next(c for c in report.columns if c.column == spec.column)
            raise DataError(
                f"{name}: column '{spec.column}' ({_item_config(project, spec)[0]}) has no valid answers "
                f"({check.blank} blank, {check.missing_code} missing codes, {check.not_applicable} not applicable, "
                f"{check.invalid} invalid); nothing to score")
        if spec.continuous and not (math.isfinite(spec.low) and math.isfinite(spec.high)):
            low = spec.low if math.isfinite(spec.low) else counted.low[spec.key]
            high = spec.high if math.isfinite(spec.high) else counted.high[spec.key]
            spec = dataclasses.replace(spec, low=low, high=high if high > low else low + 1.0)
        out.append(spec)
    return out


def _with_specs(tally: GroupTally, specs: list[ItemSpec]) -> GroupTally:
    """The tally with its items' specs replaced (bounds found once every row is read)."""
    for spec in specs:
        tally.items[spec.key].spec = spec
    return tally


@dataclass
class _Cells:
    """The counted cells: one group per period (then the rows in none), and per segment one per
    group key × period (key × P + period)."""

    periods: GroupTally
    sw2: np.ndarray
    segments: dict[str, tuple[GroupTally, str, list[str]]]   # tally (group × P + period), column, labels
    remap: np.ndarray | None = None        # raw period position (pass 1's periods, then none) → cell
    key_group: dict = field(default_factory=dict)             # segment → group of each group key (−1: none)
    counted: object = None                 # the Counted (its key drivers' Moments)


def _assemble(project: Project, counted: Counted, specs: list[ItemSpec], report: ValidationReport, name: str):
    """The groups of every segment (from the kept rows' spellings, as :func:`~cxreport.validate.prepare`
    orders and merges them), the periods that have rows, and a :class:`SurveyData` that says
    what the figures are of — one row per period cell, so a window's span
    (:meth:`cxreport.window.Span.mask`) says which cells it covers."""
    from cxreport.validate import _listed_orders, _merge_lines, _named_values, check_group_count, group_order

    cols = project.columns
    periods_tally = _with_specs(counted.periods, specs)
    p = counted.p
    # Periods with kept rows, in date order (as assign_periods on the kept rows gives them).
    used = [i for i in range(p - 1) if periods_tally.counts[i] > 0]
    remap = np.full(p, -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    remap[p - 1] = len(used)
    periods_tally = periods_tally.regroup(remap, len(used) + 1)
    sw2 = np.zeros(len(used) + 1)
    np.add.at(sw2, remap, counted.sw2)
    periods = [counted.domains.periods[i] for i in used]
    segments = {}
    groups_of = {}
    for seg_name, column in cols.segments.items():
        found = counted.found.get(seg_name)
        registry = counted.domains.keys[seg_name]
        keys, labels, merges = group_order(found, _named_values(project, seg_name),
                                           _listed_orders(project, seg_name))
        position = {k: i for i, k in enumerate(keys)}
        key_group = np.array([position.get(k, -1) for k in registry], dtype=np.int64)
        tally = _with_specs(counted.segments[seg_name], specs)
        # cell (key, period) → (group, period) with the periods renumbered
        size_old = len(registry) * p
        mapping = np.full(size_old, -1, dtype=np.int64)
        k_idx, p_idx = np.divmod(np.arange(size_old), p)
        ok = key_group[k_idx] >= 0
        mapping[ok] = key_group[k_idx[ok]] * (len(used) + 1) + remap[p_idx[ok]]
        tally = tally.regroup(mapping, len(labels) * (len(used) + 1))
        key = f"columns.segments.{seg_name}"
        report.cautions.extend(_merge_lines(column, key, merges))
        sizes = tally.counts.reshape(len(labels), len(used) + 1).sum(axis=1)
        check_group_count(project, name, key, column, sizes, labels, report, seg_name)
        segments[seg_name] = (tally, column, labels)
        groups_of[seg_name] = key_group
    cells = _Cells(periods_tally, sw2, segments, remap, groups_of, counted)
    data = SurveyData(specs, {}, np.ones(len(used) + 1), bool(cols.weight), [],
                      np.append(np.arange(len(used)), -1) if cols.date else None, periods,
                      pd.DataFrame(), pd.Series([pd.NaT] * (len(used) + 1)) if cols.date else None, report)
    return data, cells


def _drivers(project: Project, data: SurveyData, cells: _Cells, scope, results, window):
    """The key driver analysis of the drivers' scope (the window, or its pooled run) from the
    counted Moments, through :func:`~cxreport.scoring.keydrivers.key_drivers` as in memory."""
    counted = cells.counted
    if project.drivers is None and not project.item_scales:
        return None
    from cxreport.scoring.keydrivers import key_drivers

    keep = _span_cells(scope.span, data)
    raw = _raw_cells(cells, keep)
    view = _present(cells, data, keep)
    groups: dict[str, list[list[int]]] = {}
    for name in project.drivers.segments if project.drivers is not None else []:
        if name not in cells.key_group:
            continue
        labels = cells.segments[name][2]
        present = [labels.index(label) for label in next(g.labels for g in view.segments if g.name == name)]
        key_group = cells.key_group[name]
        groups[name] = [[k for k in range(len(key_group)) if key_group[k] == g] for g in present]

    def moments(segment, g):
        if segment is None or isinstance(segment, tuple):
            return _counted_moments(counted, raw, segment)
        return _counted_moments(counted, raw, segment, groups[segment][g])

    return key_drivers(project, view, results=results, scope=scope, window_base=results.base,
                       window_label=window.label, moments=moments)


def _voice(project: Project, data: SurveyData, cells: _Cells, scope):
    """The comments section of its scope (the window, or the pooled run) from the counted comments."""
    counted = cells.counted
    if counted.voice is None:
        return None
    from cxreport.scoring.voice_tally import voice_from

    from cxreport.pipeline import comment_segment

    cfg = project.comments
    keep = _span_cells(scope.span, data)
    raw = _raw_cells(cells, keep)
    chosen = comment_segment(project, _present(cells, data, keep))
    segment = None
    if chosen is not None:
        labels = cells.segments[chosen.name][2]
        key_group = cells.key_group[chosen.name]
        groups = [[k for k in range(len(key_group)) if key_group[k] == labels.index(label)] for label in chosen.labels]
        segment = (chosen.name, groups, chosen.labels)
    return voice_from(counted.voice, raw, cfg.code_frame, segment, cfg.mask_names, cfg.verbatims_per_theme)


def _span_cells(span, data: SurveyData) -> np.ndarray:
    """The period cells a span covers (boolean per cell; a span of dates is refused before)."""
    return span.mask(data)


def _raw_cells(cells: _Cells, keep: np.ndarray) -> list[int]:
    """Pass 1's period positions (the counted cells' own) of the cells ``keep``."""
    return [p for p in range(len(cells.remap)) if cells.remap[p] >= 0 and keep[cells.remap[p]]]


def _group_mapping(g: int, keep: np.ndarray) -> np.ndarray:
    """Cell (group × cells + period cell) → its group when its period cell is kept, else −1."""
    grp, cell = np.divmod(np.arange(g * len(keep)), len(keep))
    return np.where(keep[cell], grp, -1)


def _present(cells: _Cells, data: SurveyData, keep: np.ndarray) -> SurveyData:
    """What the rows of the cells ``keep`` are of: each segment's groups with rows there, their
    periods (as :func:`~cxreport.validate.subset` gives them in memory)."""
    groupings = []
    for name, (tally, column, labels) in cells.segments.items():
        mapping = _group_mapping(len(labels), keep)
        counts = np.bincount(mapping[mapping >= 0], weights=tally.counts[mapping >= 0], minlength=len(labels))
        groupings.append(Grouping(name, column, np.empty(0, dtype=np.int64),
                                  [labels[i] for i in np.flatnonzero(counts > 0)]))
    periods = [data.periods[i] for i in range(len(keep) - 1) if keep[i] and cells.periods.counts[i] > 0]
    return dataclasses.replace(data, segments=groupings, periods=periods)


def _window_tally(cells: _Cells, data: SurveyData, keep: np.ndarray) -> tuple[SurveyTally, SurveyData]:
    """The counted answers of the cells ``keep`` (boolean per period cell) as one survey: its
    tally and what it is of (:func:`_present`)."""
    view = _present(cells, data, keep)
    overall = cells.periods.regroup(np.where(keep, 0, -1), 1)
    segments = []
    for (tally, _column, labels), grouping in zip(cells.segments.values(), view.segments):
        per_group = tally.regroup(_group_mapping(len(labels), keep), len(labels))
        position = {label: i for i, label in enumerate(grouping.labels)}
        shrink = np.array([position.get(label, -1) for label in labels], dtype=np.int64)
        segments.append(per_group.regroup(shrink, len(grouping.labels)))
    tally = SurveyTally(int(overall.counts[0]), float(overall.wbase[0]), float(cells.sw2[keep].sum()),
                        dict(overall.items), segments, [], None)
    return tally, view


def _score(project: Project, data: SurveyData, cells: _Cells, period: str | None) -> StreamedStudy:
    from cxreport.pipeline import resolve_window
    from cxreport.window import Scope

    from cxreport.window import parse_spec

    asked = (period, "--period") if period is not None else (project.report.period, project.report.period_from)
    for text, where in (asked, (project.report.baseline, "report.baseline")):
        if text is None:
            continue
        try:
            kind = parse_spec(text).kind
        except ValueError:
            kind = None          # resolve_window says what is wrong with it
        if kind == "range":
            raise ConfigError(f"{where}: '{text}' is a date range; streamed scoring reports whole periods "
                              "(a quarter, a month, a year, latest, last 4 quarters, all)")
    window = resolve_window(project, data, period)
    rules = BaseRules(project.bases.suppress_below, project.bases.flag_below)
    alpha = project.significance.alpha
    keep = _span_cells(window.span, data)
    tally, view = _window_tally(cells, data, keep)
    results = score_tally(view, tally, rules, alpha)
    results.periods = None
    last = window.last_key
    if data.period_codes is not None and data.periods:
        per = cells.periods.regroup(np.append(np.arange(len(data.periods)), -1), len(data.periods))
        results.periods = history_from(per, data.periods, data.items, rules, alpha, last)
        results.period_info = [p for p in data.periods if last is None or p.key <= last]
    else:
        results.period_info = list(data.periods)
    comparisons = []
    for kind, span in window.comparisons:
        other = _span_cells(span, data)
        if not other.any() or not cells.periods.counts[other].sum():
            comparisons.append(PeriodComparison(kind, span.label, 0, {}, {}))
            continue
        sums_tally = cells.periods.regroup(np.where(other, 0, -1), 1)
        overall = {spec.key: result_from_sums(spec, sums_tally.items[spec.key].sums(), 0, rules)
                   for spec in data.items}
        comparisons.append(compare_overall(kind, span.label, results.overall, overall,
                                           int(sums_tally.counts[0]), alpha))
    pools = dict(project.report.pool)
    scopes = {}
    for section in ("drivers", "segments", "journey", "comments"):
        n = pools.get(section)
        if not n:
            scopes[section] = Scope(window.label, False, max(1, len(window.span.keys)), window.span)
        else:
            span = window.pooled(n)
            scopes[section] = Scope(span.label, span is not window.span, max(1, len(span.keys)), span)
    banner_overall, banner_base, banner_wbase = results.overall, results.base, results.weighted_base
    if scopes["segments"].pooled:
        pooled_tally, pooled_view = _window_tally(cells, data, _span_cells(scopes["segments"].span, data))
        pooled = score_tally(pooled_view, pooled_tally, rules, alpha)
        results.segments = pooled.segments
        banner_overall = {spec.key: result_from_sums(spec, pooled_tally.overall[spec.key].sums(), 0, rules)
                          for spec in data.items}
        banner_base, banner_wbase = pooled.base, pooled.weighted_base
    from types import SimpleNamespace

    from cxreport.scoring.banner import banner_tables

    scope = scopes["segments"]
    rows = SimpleNamespace(items=data.items, n=banner_base, weights=np.array([banner_wbase]))
    banners = banner_tables(project.banners, rows, results.segments, banner_overall, results.alpha,
                            getattr(project.significance, "adjust", "bh"), scope.label, scope.pooled)
    drivers = _drivers(project, data, cells, scopes["drivers"], results, window)
    from cxreport.benchmark.competitors import compare_competitors

    competitors = compare_competitors(project, rules, alpha, window=window)
    study = StreamedStudy(project, data.report, results, window, comparisons, None, [], {}, competitors, scopes,
                          0, 0)
    study.drivers, study.banners = drivers, banners
    study.voice = _voice(project, data, cells, scopes["comments"])
    return study

