"""Validate a survey table against the project's column mapping (METHODS.md §1).

Turns text cells into clean numeric answers — blank and ``missing_codes`` are missing,
``na_codes`` are "not applicable", anything not a point on the item's scale is invalid —
and records what happened to every column in a :class:`ValidationReport`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cxreport.config.schema import Project
from cxreport.errors import DataError
from cxreport.load.tabular import Table
from cxreport.periods import Period, assign_periods
from cxreport.scoring.kpis import ItemSpec
from cxreport.util import did_you_mean

NOT_STATED = "Not stated"
MAX_EXAMPLES = 5


@dataclass
class ColumnCheck:
    """What validation found in one column."""

    key: str            # the project-file key that maps it, e.g. columns.nps
    column: str
    label: str
    valid: int = 0
    blank: int = 0
    missing_code: int = 0
    not_applicable: int = 0
    non_numeric: int = 0
    out_of_scale: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def invalid(self) -> int:
        return self.non_numeric + self.out_of_scale

    @property
    def missing(self) -> int:
        return self.blank + self.missing_code


@dataclass
class ValidationReport:
    file: str
    rows_read: int = 0
    rows_used: int = 0
    excluded: dict[str, int] = field(default_factory=dict)
    columns: list[ColumnCheck] = field(default_factory=list)
    duplicate_ids: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def invalid_values(self) -> int:
        return sum(c.invalid for c in self.columns)

    @property
    def clean(self) -> bool:
        return self.invalid_values == 0 and not self.duplicate_ids and not self.excluded

    def warnings(self) -> list[str]:
        """One line per data problem, naming the file, row and column."""
        out: list[str] = []
        for check in self.columns:
            if check.invalid:
                out.append(f"{self.file}: column '{check.column}' ({check.key}): {check.invalid} invalid "
                           f"value{'s' if check.invalid != 1 else ''} excluded "
                           f"({check.non_numeric} not numbers, {check.out_of_scale} outside the scale)")
                out.extend(f"{self.file}: {example}" for example in check.examples)
        if self.duplicate_ids:
            shown = ", ".join(self.duplicate_ids[:5]) + (" …" if len(self.duplicate_ids) > 5 else "")
            out.append(f"{self.file}: {len(self.duplicate_ids)} duplicate respondent id"
                       f"{'s' if len(self.duplicate_ids) != 1 else ''} (later copies excluded): {shown}")
        out.extend(f"{self.file}: {note}" for note in self.notes)
        return out


@dataclass
class Grouping:
    """A categorical column: a code per row and the category labels."""

    name: str
    column: str
    codes: np.ndarray
    labels: list[str]


@dataclass
class SurveyData:
    """Validated survey answers, ready to score."""

    items: list[ItemSpec]
    values: dict[str, np.ndarray]          # item key → answers (NaN = not a valid answer)
    weights: np.ndarray
    weighted: bool
    segments: list[Grouping]
    period_codes: np.ndarray | None
    periods: list[Period]
    comments: pd.DataFrame                 # columns: row, text, plus item values for selection
    dates: pd.Series | None
    report: ValidationReport

    @property
    def n(self) -> int:
        return len(self.weights)


def item_specs(project: Project) -> list[ItemSpec]:
    cols = project.columns
    specs: list[ItemSpec] = []
    if cols.nps:
        specs.append(ItemSpec.nps(cols.nps.column, cols.nps.label or "NPS"))
    if cols.csat:
        specs.append(ItemSpec.csat(cols.csat.column, cols.csat.scale, cols.csat.label or "CSAT"))
    if cols.ces:
        specs.append(ItemSpec.ces(cols.ces.column, cols.ces.label or "CES", cols.ces.headline))
    for name, attr in cols.attributes.items():
        specs.append(ItemSpec.rating(f"attr:{name}", attr.label or name, attr.scale[0], attr.scale[1], attr.column))
    return specs


def _item_config(project: Project, spec: ItemSpec):
    if spec.key.startswith("attr:"):
        name = spec.key[5:]
        return f"columns.attributes.{name}", project.columns.attributes[name]
    return f"columns.{spec.key}", getattr(project.columns, spec.key)


def check_columns(project: Project, table: Table) -> None:
    """Every mapped column must exist; list every missing one with the closest match."""
    present = list(table.frame.columns)
    wanted: list[tuple[str, str]] = []
    cols = project.columns
    for key in ("respondent_id", "date", "weight", "comment"):
        if getattr(cols, key):
            wanted.append((f"columns.{key}", getattr(cols, key)))
    for spec in item_specs(project):
        key, _ = _item_config(project, spec)
        wanted.append((f"{key}.column", spec.column))
    for name, column in cols.segments.items():
        wanted.append((f"columns.segments.{name}", column))
    problems = [f"{key}: column '{column}' not found in {table.name}{did_you_mean(column, present)}"
                for key, column in wanted if column not in present]
    if problems:
        raise DataError(problems[0] if len(problems) == 1 else
                        f"{table.name}: {len(problems)} mapped columns not found", problems)


def _numeric(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(values, blank mask); values are NaN where the text is not a number.

    Survey columns hold few distinct texts, so each distinct text is parsed once
    (``pandas.factorize``) and the result spread back to the rows.
    """
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    text = pd.Series(uniques, dtype=object).astype(str).str.strip()
    parsed = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    is_blank = (text == "").to_numpy()
    # index -1 (a missing cell) takes the appended "blank" entry
    values = np.append(parsed, np.nan)[codes]
    blank = np.append(is_blank, True)[codes]
    return values, blank


def _check_item(table: Table, spec: ItemSpec, key: str, na_codes: list[float], missing_codes: list[float],
                reverse: bool = False) -> tuple[np.ndarray, ColumnCheck]:
    series = table.frame[spec.column]
    values, blank = _numeric(series)
    check = ColumnCheck(key, spec.column, spec.label)
    non_numeric = ~blank & np.isnan(values)
    is_missing_code = np.isin(values, missing_codes) if missing_codes else np.zeros(len(values), bool)
    is_na = np.isin(values, na_codes) & ~is_missing_code if na_codes else np.zeros(len(values), bool)
    candidate = ~blank & ~non_numeric & ~is_missing_code & ~is_na
    with np.errstate(invalid="ignore"):
        on_scale = (values >= spec.low) & (values <= spec.high) & (np.floor(values) == values)
    out_of_scale = candidate & ~on_scale
    valid = candidate & on_scale
    check.blank = int(blank.sum())
    check.missing_code = int(is_missing_code.sum())
    check.not_applicable = int(is_na.sum())
    check.non_numeric = int(non_numeric.sum())
    check.out_of_scale = int(out_of_scale.sum())
    check.valid = int(valid.sum())
    bad = np.flatnonzero(non_numeric | out_of_scale)[:MAX_EXAMPLES]
    index = table.frame.index
    for position in bad:
        raw = str(series.iloc[position]).strip()
        shown = raw if len(raw) <= 30 else raw[:27] + "..."
        why = "is not a number" if non_numeric[position] else f"is outside the {spec.low}–{spec.high} scale"
        check.examples.append(f"row {table.row_number(index[position])}, column '{spec.column}': '{shown}' {why}")
    clean = np.where(valid, values, np.nan)
    if reverse:
        clean = (spec.low + spec.high) - clean   # 8 − x on a 1–7 scale
    return clean, check


def _groups(series: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Category code per row; labels sorted, blanks grouped as "Not stated" (last)."""
    raw_codes, uniques = pd.factorize(series, use_na_sentinel=True)
    cleaned = [str(u).strip() or NOT_STATED for u in uniques]
    labels = sorted(set(cleaned) - {NOT_STATED}, key=lambda s: (s.casefold(), s))
    if NOT_STATED in cleaned or (raw_codes < 0).any():
        labels.append(NOT_STATED)
    lookup = {label: i for i, label in enumerate(labels)}
    mapping = np.array([lookup[c] for c in cleaned] + [lookup.get(NOT_STATED, -1)], dtype=np.int64)
    codes = mapping[raw_codes]   # -1 (missing) indexes the last entry: "Not stated"
    return codes, labels


def _parse_dates(series: pd.Series, project: Project, table: Table, report: ValidationReport
                 ) -> tuple[pd.Series, ColumnCheck]:
    cols = project.columns
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    unique_text = pd.Series(uniques, dtype=object).astype(str).str.strip()
    text = pd.Series(np.append(unique_text.to_numpy(dtype=object), "")[codes], index=series.index)
    blank = text == ""
    present = unique_text.where(unique_text != "", None)
    if cols.date_format:
        parsed = pd.to_datetime(present, format=cols.date_format, errors="coerce")
    else:
        # ISO dates parse fast; anything else gets a second, element-wise pass.
        parsed = pd.to_datetime(present, format="ISO8601", errors="coerce")
        retry = present.notna() & parsed.isna()
        if retry.any():
            parsed = parsed.copy()
            parsed[retry] = pd.to_datetime(present[retry], format="mixed", dayfirst=cols.dayfirst, errors="coerce")
    # each distinct text was parsed once; spread the dates back to the rows
    dates = pd.Series(np.append(parsed.to_numpy(), np.datetime64("NaT"))[codes], index=series.index)
    bad = ~blank & dates.isna()
    check = ColumnCheck("columns.date", cols.date or "", "Response date", valid=int(dates.notna().sum()),
                        blank=int(blank.sum()), non_numeric=int(bad.sum()))
    for position in np.flatnonzero(bad.to_numpy())[:MAX_EXAMPLES]:
        check.examples.append(f"row {table.row_number(table.frame.index[position])}, column '{cols.date}': "
                              f"'{text.iloc[position][:30]}' is not a date"
                              + (f" in the format {cols.date_format}" if cols.date_format else ""))
    if check.blank or check.non_numeric:
        report.notes.append(f"column '{cols.date}': {check.blank + check.non_numeric} rows without a valid date "
                            "are in the totals but in no period")
    return dates.dt.normalize(), check


def prepare(project: Project, table: Table) -> SurveyData:
    """Validate ``table`` against the project and return clean, scoreable data."""
    check_columns(project, table)
    frame = table.frame
    cols = project.columns
    report = ValidationReport(table.name, rows_read=len(frame))
    keep = np.ones(len(frame), dtype=bool)

    # Duplicate respondent ids: the first copy counts, later ones are excluded.
    if cols.respondent_id:
        codes, uniques = pd.factorize(frame[cols.respondent_id], use_na_sentinel=True)
        stripped = pd.Series(uniques, dtype=object).astype(str).str.strip()
        canonical, _labels = pd.factorize(stripped)          # " A1 " and "A1" are the same id
        is_blank = np.append((stripped == "").to_numpy(), True)[codes]
        ids_code = np.append(canonical, -1)[codes]
        dup = pd.Series(ids_code).duplicated(keep="first").to_numpy() & ~is_blank
        ids = pd.Series(np.append(stripped.to_numpy(dtype=object), "")[codes])
        if dup.any():
            report.duplicate_ids = list(dict.fromkeys(ids[dup].tolist()))
            report.excluded["duplicate respondent id"] = int(dup.sum())
            keep &= ~dup

    # Weights.
    if cols.weight:
        weights, blank = _numeric(frame[cols.weight])
        check = ColumnCheck("columns.weight", cols.weight, "Weight")
        bad = blank | ~np.isfinite(weights) | (weights < 0)
        zero = ~bad & (weights == 0)
        check.valid = int((~bad & ~zero).sum())
        check.blank = int(blank.sum())
        check.non_numeric = int((~blank & np.isnan(weights)).sum())
        check.out_of_scale = int((~blank & ~np.isnan(weights) & bad).sum())
        for position in np.flatnonzero(bad & ~blank)[:MAX_EXAMPLES]:
            check.examples.append(f"row {table.row_number(frame.index[position])}, column '{cols.weight}': "
                                  f"'{str(frame[cols.weight].iloc[position])[:30]}' is not a valid weight")
        report.columns.append(check)
        if bad.any():
            report.excluded["missing or invalid weight"] = int((bad & keep).sum())
        if zero.any():
            report.excluded["zero weight"] = int((zero & keep & ~bad).sum())
        keep &= ~bad & ~zero
        weights = np.where(keep, weights, 0.0)
    else:
        weights = np.ones(len(frame))

    # Items.
    missing_codes = [float(c) for c in project.missing_codes]
    values: dict[str, np.ndarray] = {}
    specs = item_specs(project)
    for spec in specs:
        key, item_cfg = _item_config(project, spec)
        clean, check = _check_item(table, spec, key, [float(c) for c in item_cfg.na_codes], missing_codes,
                                   reverse=getattr(item_cfg, "reverse", False))
        report.columns.append(check)
        values[spec.key] = clean

    # Dates and periods.
    dates = None
    period_codes = None
    periods: list[Period] = []
    if cols.date:
        dates, date_check = _parse_dates(frame[cols.date], project, table, report)
        report.columns.append(date_check)

    # Apply row exclusions.
    index = np.flatnonzero(keep)
    report.rows_used = int(keep.sum())
    if report.rows_used == 0:
        raise DataError(f"{table.name}: no usable rows ({', '.join(f'{v} {k}' for k, v in report.excluded.items())})")
    values = {k: v[index] for k, v in values.items()}
    weights = weights[index]
    if dates is not None:
        dates = dates.iloc[index].reset_index(drop=True)
        period_codes, periods = assign_periods(dates, project.periods.unit, project.periods.fiscal_year_start)

    for spec in specs:
        if np.isnan(values[spec.key]).all():
            check = next(c for c in report.columns if c.column == spec.column)
            raise DataError(
                f"{table.name}: column '{spec.column}' ({_item_config(project, spec)[0]}) has no valid answers "
                f"({check.blank} blank, {check.missing_code} missing codes, {check.not_applicable} not applicable, "
                f"{check.invalid} invalid); nothing to score")

    segments = []
    for name, column in cols.segments.items():
        codes, labels = _groups(frame[column].iloc[index])
        segments.append(Grouping(name, column, codes, labels))

    comment_frame = pd.DataFrame({"row": table.first_data_row + frame.index.to_numpy()[index]})
    if cols.comment:
        comment_frame["text"] = frame[cols.comment].iloc[index].astype(str).str.strip().to_numpy()
    else:
        comment_frame["text"] = ""
    for spec in specs:
        if spec.kind in ("nps", "csat"):
            comment_frame[spec.key] = values[spec.key]
    if dates is not None:
        comment_frame["date"] = dates.to_numpy()

    return SurveyData(specs, values, weights, bool(cols.weight), segments, period_codes, periods,
                      comment_frame, dates, report)


def subset(project: Project, data: SurveyData, rows: np.ndarray) -> SurveyData:
    """The validated ``data`` of the respondents at positions ``rows`` (one unit of a batch
    build), as :func:`prepare` would return it for a file holding only those respondents:
    segment labels that do not occur are dropped and periods are those of the unit's dates.
    Exclusions (duplicates, invalid weights) stay those of the whole file, and so does the
    validation report, which describes the file. An item without valid answers in the unit
    is not an error (it is for a whole file): its figures are simply not shown."""
    rows = np.asarray(rows, dtype=np.int64)
    values = {key: v[rows] for key, v in data.values.items()}
    segments = []
    for group in data.segments:
        codes = group.codes[rows]
        present = np.unique(codes)
        remap = np.full(len(group.labels), -1, dtype=np.int64)
        remap[present] = np.arange(len(present))
        segments.append(Grouping(group.name, group.column, remap[codes], [group.labels[i] for i in present]))
    dates = period_codes = None
    periods: list[Period] = []
    if data.dates is not None:
        dates = data.dates.iloc[rows].reset_index(drop=True)
        period_codes, periods = assign_periods(dates, project.periods.unit, project.periods.fiscal_year_start)
    comments = data.comments.iloc[rows].reset_index(drop=True)
    return SurveyData(data.items, values, data.weights[rows], data.weighted, segments, period_codes, periods,
                      comments, dates, data.report)
