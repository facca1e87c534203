"""Validate a survey table against the project's column mapping (METHODS.md §1).

Turns text cells into clean numeric answers — blank, ``missing_codes`` and the missing
values the file itself declares (SPSS user-missing) are missing, ``na_codes`` are "not
applicable", answers in words are read through the item's word scale, anything not a
point on the item's scale is invalid — and records what happened to every column in a
:class:`ValidationReport`. Segment codes take the file's value labels; multi-punch answers
(``1;3;5;``) become one 0/1 indicator per code.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cxreport.config.schema import MultiPunch, Project, normalise_word
from cxreport.errors import DataError
from cxreport.load.cells import code_text
from cxreport.i18n import _
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
    expects: str = "number"            # number, word (of a word scale) or code (of a multi-punch question)
    allowed: list[str] = field(default_factory=list)   # the words or codes, when not numbers

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
    undated: int = 0                       # rows without a valid date (in the totals, in no period)
    date_column: str = ""
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
                if check.expects == "number":
                    why = f"{check.non_numeric} not numbers, {check.out_of_scale} outside the scale"
                else:
                    shown = _shorten(check.allowed)
                    why = (f"{check.non_numeric} not words of the scale: {shown}" if check.expects == "word"
                           else f"{check.non_numeric} with codes not among: {shown}")
                out.append(f"{self.file}: column '{check.column}' ({check.key}): {check.invalid} invalid "
                           f"value{'s' if check.invalid != 1 else ''} excluded ({why})")
                out.extend(f"{self.file}: {example}" for example in check.examples)
        if self.duplicate_ids:
            shown = ", ".join(self.duplicate_ids[:5]) + (" …" if len(self.duplicate_ids) > 5 else "")
            out.append(f"{self.file}: {len(self.duplicate_ids)} duplicate respondent id"
                       f"{'s' if len(self.duplicate_ids) != 1 else ''} (later copies excluded): {shown}")
        out.extend(f"{self.file}: {note}" for note in self.notes)
        return out


def _shorten(words: list[str], limit: int = 12) -> str:
    shown = [w if len(w) <= 40 else w[:37] + "..." for w in words[:limit]]
    return ", ".join(shown) + (f" … ({len(words)} in all)" if len(words) > limit else "")


@dataclass
class Grouping:
    """A categorical column: a code per row and the category labels."""

    name: str
    column: str
    codes: np.ndarray
    labels: list[str]


@dataclass
class MultiPunchAnswers:
    """A multi-punch question: one 0/1 indicator per code."""

    name: str
    column: str
    question: str
    codes: list[str]               # code texts, in order
    labels: list[str]              # label of each code
    ticked: np.ndarray             # bool, respondents × codes
    answered: np.ndarray           # bool per respondent: ticked at least one valid code
    segment: bool = True
    mentions: bool = True


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
    multi: list[MultiPunchAnswers] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.weights)


def multi_punch_hint(data: SurveyData, name: str) -> str:
    """Why a multi-punch question cannot serve where one answer per respondent is needed."""
    if any(m.name == name for m in data.multi):
        return (f" ('{name}' is a multi-punch question: a respondent can be in several of its groups, "
                "so it cannot be used here; name a single-answer segment)")
    return ""


def item_specs(project: Project, labels: dict[str, str] | None = None) -> list[ItemSpec]:
    """The project's items. ``labels`` (the file's question texts) name an attribute the
    project named only by its column (``attributes: [q5_1, q5_2]``)."""
    cols = project.columns
    labels = labels or {}
    specs: list[ItemSpec] = []
    # Default KPI names are in the build's language (English outside a build: scores JSON).
    if cols.nps:
        specs.append(ItemSpec.nps(cols.nps.column, cols.nps.label or _("NPS")))
    if cols.csat:
        specs.append(ItemSpec.csat(cols.csat.column, project.scale_range(cols.csat)[1], cols.csat.label or _("CSAT")))
    if cols.ces:
        specs.append(ItemSpec.ces(cols.ces.column, cols.ces.label or _("CES"), cols.ces.headline))
    # An attribute named only by its column takes the file's question text, unless another
    # attribute would get the same text (the rows of a matrix question share one).
    from_file = {name: labels.get(attr.column) for name, attr in cols.attributes.items()
                 if name == attr.column and not attr.label and labels.get(attr.column)}
    shared = {text for text in from_file.values() if list(from_file.values()).count(text) > 1}
    for name, attr in cols.attributes.items():
        low, high = project.scale_range(attr)
        text = from_file.get(name)
        label = attr.label or (text if text and text not in shared else None) or name
        specs.append(ItemSpec.rating(f"attr:{name}", label, low, high, attr.column))
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
    for name, multi in cols.multi_punch.items():
        wanted.append((f"columns.multi_punch.{name}.column", multi.column))

    def hint(column: str) -> str:
        if column in table.renamed:
            return f" (the export's column '{column}' is read as '{table.renamed[column]}')"
        return did_you_mean(column, present)

    problems = [f"{key}: column '{column}' not found in {table.name}{hint(column)}"
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


def _worded(series: pd.Series, words: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """(values, blank mask) of answers in words; NaN where the text is not a word of the scale."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    text = [str(u) for u in uniques]
    parsed = np.array([words.get(normalise_word(t), np.nan) for t in text] + [np.nan], dtype=float)
    is_blank = np.array([not t.strip() for t in text] + [True])
    return parsed[codes], is_blank[codes]


def declared_missing(table: Table, column: str, values: np.ndarray | None = None) -> np.ndarray:
    """Rows whose value the file itself declares missing (SPSS user-missing values and ranges)."""
    series = table.frame[column]
    mask = np.zeros(len(series), dtype=bool)
    ranges = table.missing_values.get(column)
    if not ranges:
        return mask
    if values is None:
        values, _blank = _numeric(series)
    text = None
    for low, high in ranges:
        if isinstance(low, (int, float)) and isinstance(high, (int, float)):
            with np.errstate(invalid="ignore"):
                mask |= (values >= low) & (values <= high)
        else:
            if text is None:
                text = series.astype(str).str.strip().to_numpy()
            mask |= (text >= str(low).strip()) & (text <= str(high).strip())
    return mask


def _check_item(table: Table, spec: ItemSpec, key: str, na_codes: list[float], missing_codes: list[float],
                reverse: bool = False, words: dict[str, float] | None = None,
                word_list: list[str] | None = None) -> tuple[np.ndarray, ColumnCheck]:
    series = table.frame[spec.column]
    check = ColumnCheck(key, spec.column, spec.label)
    if words is None:
        values, blank = _numeric(series)
        declared = declared_missing(table, spec.column, values)
    else:
        values, blank = _worded(series, words)
        declared = declared_missing(table, spec.column)
        check.expects, check.allowed = "word", list(word_list or [])
    non_numeric = ~blank & np.isnan(values) & ~declared
    in_na = np.isin(values, na_codes) if na_codes else np.zeros(len(values), bool)
    is_missing_code = np.isin(values, missing_codes) if missing_codes else np.zeros(len(values), bool)
    # A value the file declares missing counts as missing, or as N/A when the item lists it in na_codes.
    is_missing_code |= declared & ~in_na & ~blank
    is_na = in_na & ~is_missing_code
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
        if not non_numeric[position]:
            why = f"is outside the {spec.low}–{spec.high} scale"
        elif words is not None:
            why = "is not a word of the scale" + did_you_mean(raw, check.allowed)
        else:
            why = "is not a number"
        check.examples.append(f"row {table.row_number(index[position])}, column '{spec.column}': '{shown}' {why}")
    clean = np.where(valid, values, np.nan)
    if reverse:
        clean = (spec.low + spec.high) - clean   # 8 − x on a 1–7 scale
    return clean, check


def _code_order(code: str) -> tuple:
    try:
        return (0, float(code), code)
    except ValueError:
        return (1, 0.0, code)


def _groups(series: pd.Series, value_labels: dict[str, str] | None = None) -> tuple[np.ndarray, list[str]]:
    """Category code per row; blanks grouped as "Not stated" (last). Values with a value label
    show the label and come first, in the order of their codes; other values follow, sorted."""
    raw_codes, uniques = pd.factorize(series, use_na_sentinel=True)
    cleaned = [str(u).strip() or NOT_STATED for u in uniques]
    labelled: list[str] = []
    if value_labels:
        order = {label: rank for rank, (code, label) in
                 enumerate(sorted(value_labels.items(), key=lambda item: _code_order(item[0])))}
        for i, text in enumerate(cleaned):
            label = value_labels.get(code_text(text)) if text != NOT_STATED else None
            if label is not None:
                cleaned[i] = label
                labelled.append(label)
        labelled = sorted(set(labelled), key=lambda label: order[label])
    rest = sorted(set(cleaned) - {NOT_STATED} - set(labelled), key=lambda s: (s.casefold(), s))
    labels = labelled + rest
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
        report.undated, report.date_column = check.blank + check.non_numeric, cols.date or ""
        report.notes.append(f"column '{cols.date}': {check.blank + check.non_numeric} rows without a valid date "
                            "are in the totals but in no period")
    return dates.dt.normalize(), check


#: Largest weight accepted. Larger ones are data errors, and their squares would overflow
#: the effective-sample-size sums; population weights (people per respondent) stay far below it.
MAX_WEIGHT = 1e9


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
        bad = blank | ~np.isfinite(weights) | (weights < 0) | (weights > MAX_WEIGHT)
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
    specs = item_specs(project, table.labels)
    for spec in specs:
        key, item_cfg = _item_config(project, spec)
        words = project.words(item_cfg)
        word_list = list(project.word_scales[item_cfg.scale]) if words is not None else None
        clean, check = _check_item(table, spec, key, [float(c) for c in item_cfg.na_codes], missing_codes,
                                   reverse=getattr(item_cfg, "reverse", False), words=words, word_list=word_list)
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
        period_codes, periods = assign_periods(dates, project.periods.unit, project.periods.fiscal_year_start,
                                               project.periods.waves)
        outside = int((dates.notna().to_numpy() & (period_codes < 0)).sum())
        if outside:
            report.notes.append(f"column '{cols.date}': {outside} rows dated outside every wave (periods.waves) "
                                "are in the totals of 'all' but in no period")

    for spec in specs:
        if np.isnan(values[spec.key]).all():
            check = next(c for c in report.columns if c.column == spec.column)
            raise DataError(
                f"{table.name}: column '{spec.column}' ({_item_config(project, spec)[0]}) has no valid answers "
                f"({check.blank} blank, {check.missing_code} missing codes, {check.not_applicable} not applicable, "
                f"{check.invalid} invalid); nothing to score")

    segments = []
    for name, column in cols.segments.items():
        series = frame[column]
        missing = declared_missing(table, column)
        if missing.any():
            series = series.where(~missing, "")      # declared missing: "Not stated"
        codes, labels = _groups(series.iloc[index], table.value_labels.get(column))
        segments.append(Grouping(name, column, codes, labels))

    multi = []
    for name, cfg in cols.multi_punch.items():
        answers, check = _multi_punch(table, name, cfg, missing_codes)
        report.columns.append(check)
        answers.ticked, answers.answered = answers.ticked[index], answers.answered[index]
        multi.append(answers)

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
                      comment_frame, dates, report, multi)


def _split_codes(text: str, separator: str) -> list[str]:
    return [code_text(part) for part in text.split(separator) if part.strip()]


def _multi_punch(table: Table, name: str, cfg: MultiPunch, missing_codes: list[float]
                 ) -> tuple[MultiPunchAnswers, ColumnCheck]:
    """One 0/1 indicator per code of a multi-punch column ("1;3;5;").

    The codes are the project's ``codes``, else the file's value labels for the column, else
    whatever codes the column holds. A cell naming a code outside a given list is invalid
    as a whole (excluded, reported); codes that are project missing codes or declared
    missing in the file are dropped, and a cell left with no code counts as missing.
    """
    series = table.frame[cfg.column]
    key = f"columns.multi_punch.{name}"
    question = cfg.label or table.labels.get(cfg.column) or name
    check = ColumnCheck(key, cfg.column, question, expects="code")
    if cfg.codes:
        label_of = {code_text(k): v for k, v in cfg.codes.items()}
        known = True
    else:
        label_of = dict(sorted(table.value_labels.get(cfg.column, {}).items(), key=lambda kv: _code_order(kv[0])))
        known = bool(label_of)
    missing = {code_text(c) for c in missing_codes}
    for low, high in table.missing_values.get(cfg.column, []):
        if low == high:
            missing.add(code_text(low))
    raw_codes, uniques = pd.factorize(series, use_na_sentinel=True)
    parsed: list[list[str] | None] = []     # codes per distinct cell; None = invalid
    state: list[str] = []                   # blank, missing, invalid or valid
    for text in (str(u) for u in uniques):
        parts = _split_codes(text, cfg.separator)
        kept = [p for p in dict.fromkeys(parts) if p not in missing]
        if not parts:
            parsed.append([]), state.append("blank")
        elif not kept:
            parsed.append([]), state.append("missing")
        elif known and any(p not in label_of for p in kept):
            parsed.append(None), state.append("invalid")
        else:
            parsed.append(kept), state.append("valid")
    if not known:
        found = sorted({p for codes in parsed if codes for p in codes}, key=_code_order)
        label_of = {code: code for code in found}
    codes = list(label_of)
    column_of = {code: j for j, code in enumerate(codes)}
    matrix = np.zeros((len(uniques) + 1, len(codes)), dtype=bool)
    for u, found_codes in enumerate(parsed):
        for code in found_codes or []:
            matrix[u, column_of[code]] = True
    states = np.array(state + ["blank"], dtype=object)[raw_codes]
    ticked = matrix[raw_codes]
    answered = states == "valid"
    check.valid = int(answered.sum())
    check.blank = int((states == "blank").sum())
    check.missing_code = int((states == "missing").sum())
    check.non_numeric = int((states == "invalid").sum())
    check.allowed = codes
    for position in np.flatnonzero(states == "invalid")[:MAX_EXAMPLES]:
        raw = str(series.iloc[position]).strip()
        wrong = [p for p in _split_codes(raw, cfg.separator) if p not in label_of and p not in missing]
        shown = raw if len(raw) <= 30 else raw[:27] + "..."
        check.examples.append(f"row {table.row_number(table.frame.index[position])}, column '{cfg.column}': "
                              f"'{shown}' has code {wrong[0]}, which is not one of the question's codes"
                              + ("" if _code_order(wrong[0])[0] == 0 else did_you_mean(wrong[0], codes)))
    answers = MultiPunchAnswers(name, cfg.column, question, codes, [label_of[c] for c in codes], ticked, answered,
                                cfg.segment, cfg.mentions)
    return answers, check
                      

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
        from cxreport import i18n

        with i18n.use_language(project.language):     # period labels in the report's language
            period_codes, periods = assign_periods(dates, project.periods.unit, project.periods.fiscal_year_start,
                                                   project.periods.waves)
    comments = data.comments.iloc[rows].reset_index(drop=True)
    multi = [dataclasses.replace(m, ticked=m.ticked[rows], answered=m.answered[rows]) for m in data.multi]
    return SurveyData(data.items, values, data.weights[rows], data.weighted, segments, period_codes, periods,
                      comments, dates, data.report, multi)
