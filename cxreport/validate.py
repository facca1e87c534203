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
import functools
import math
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Iterable, Sequence

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
    summary: str = ""                  # a line said instead of the invalid-values count (columns.weight)
    hint: str = ""                     # the answers look like another scale (a warning, see _scale_hint)

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
    #: Warnings about data that is used as it is (spellings merged into one group, segments
    #: with mostly suppressed groups, answers that look like another scale): printed with
    #: the other warnings, but neither exclusions nor failures under --strict.
    cautions: list[str] = field(default_factory=list)
    #: Warnings about the project's other input files (the case log's excluded rows), by file:
    #: each line names its own file. Printed with the others; not failures under --strict.
    inputs: dict[str, list[str]] = field(default_factory=dict)
    #: The raking (weighting:), a cxreport.scoring.raking.Weighting, or None.
    weighting: object = None

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
            if check.summary:
                out.append(f"{self.file}: {check.summary}")
                out.extend(f"{self.file}: {example}" for example in check.examples)
            elif check.invalid:
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
        out.extend(f"{self.file}: {caution}" for caution in self.cautions)
        for lines in self.inputs.values():
            out.extend(lines)
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
    if cols.acsi:
        specs.append(ItemSpec.acsi(cols.acsi.label or _("ACSI-style index")))
    # An attribute named only by its column takes the file's question text, unless another
    # attribute would get the same text (the rows of a matrix question share one).
    from_file = {name: labels.get(attr.column) for name, attr in cols.attributes.items()
                 if name == attr.column and not attr.label and labels.get(attr.column)}
    shared = {text for text in from_file.values() if list(from_file.values()).count(text) > 1}
    for name, attr in cols.attributes.items():
        text = from_file.get(name)
        label = attr.label or (text if text and text not in shared else None) or name
        if attr.numeric:
            low = attr.min if attr.min is not None else -math.inf
            high = attr.max if attr.max is not None else math.inf
            specs.append(ItemSpec.numeric(f"attr:{name}", label, low, high, attr.column))
        else:
            low, high = project.scale_range(attr)
            specs.append(ItemSpec.rating(f"attr:{name}", label, low, high, attr.column))
    for name, scale in project.composites.items():
        first = cols.attributes.get(scale.items[0])
        low, high = project.scale_range(first) if first is not None else (1, 5)
        specs.append(ItemSpec.numeric(f"attr:{name}", scale.label or name, low, high, origin="composite"))
    return specs


def derived_keys(project: Project) -> dict[str, str]:
    """Items computed from other items, not read from one column: item key → the project-file
    key that defines it (the ACSI-style index, composite scale scores)."""
    out = {f"attr:{name}": f"scales.{name}" for name in project.composites}
    if project.columns.acsi:
        out["acsi"] = "columns.acsi"
    return out


def _item_config(project: Project, spec: ItemSpec):
    if spec.key in derived_keys(project):
        key = derived_keys(project)[spec.key]
        return key, (project.columns.acsi if spec.key == "acsi" else project.scales[key[len("scales."):]])
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
    derived = derived_keys(project)
    for spec in item_specs(project):
        if spec.key in derived:
            continue
        key, _ = _item_config(project, spec)
        wanted.append((f"{key}.column", spec.column))
    if cols.acsi:
        wanted += [(f"columns.acsi.items[{i}]", column) for i, column in enumerate(cols.acsi.items)]
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
                word_list: list[str] | None = None, hint: bool = True) -> tuple[np.ndarray, ColumnCheck]:
    """An item's column read and checked: (valid answers, NaN elsewhere; its check). ``hint``:
    look for answers of another scale (:func:`_scale_hint`; the streamed path counts them over
    every batch instead)."""
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
        on_scale = (values >= spec.low) & (values <= spec.high)
        if not spec.continuous:
            on_scale &= np.floor(values) == values      # a rating is a point of its scale
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
        if not non_numeric[position] and spec.continuous:
            why = (f"is below the item's min ({spec.low:g})" if float(values[position]) < spec.low
                   else f"is above the item's max ({spec.high:g})")
        elif not non_numeric[position]:
            why = f"is outside the {spec.low}–{spec.high} scale"
        elif words is not None:
            why = "is not a word of the scale" + did_you_mean(raw, check.allowed)
        else:
            why = "is not a number"
        check.examples.append(f"row {table.row_number(index[position])}, column '{spec.column}': '{shown}' {why}")
    clean = np.where(valid, values, np.nan)
    if hint and words is None and not spec.continuous:
        check.hint = _scale_hint(spec, key, values[valid])
    if reverse:
        clean = (spec.low + spec.high) - clean   # 8 − x on a 1–7 scale
    return clean, check


#: Valid answers needed before a scale that is never used at its bottom (0 on 0–10), or never
#: above 5 on a longer scale, is taken as a sign that the question was asked on another scale.
SCALE_HINT_BOTTOM = 100
SCALE_HINT_TOP = 200


def _scale_hint(spec: ItemSpec, key: str, answers: np.ndarray) -> str:
    """A warning when the valid answers (before reflection) look as if the question was asked on
    another scale than the item's:

    - a 0–10 item with at least :data:`SCALE_HINT_BOTTOM` answers, not one of them 0, while
      both 1 and 10 are used: asked on 1–10 (the 1s are the 0s);
    - an item whose scale reaches 7 or more with at least :data:`SCALE_HINT_TOP` answers,
      none above 5: asked on 1–5 (a CES on 1–5 under 1–7, a CSAT on 1–5 under 1–10).
    """
    n = len(answers)
    if not n:
        return ""
    counts = np.bincount((answers - spec.low).astype(np.int64), minlength=int(spec.high - spec.low) + 1)
    return scale_hint(spec, key, counts)


def scale_hint(spec: ItemSpec, key: str, counts: np.ndarray) -> str:
    """:func:`_scale_hint` from the valid answers counted per point of the scale (``counts[i]``:
    answers ``spec.low + i``), which batches of rows add up to."""
    n = int(counts.sum())
    if not n:
        return ""
    prefix = f"column '{spec.column}' ({key}): "
    if spec.low == 0 and spec.high == 10 and n >= SCALE_HINT_BOTTOM:
        if counts[0] == 0 and counts[1] and counts[10]:
            fix = "NPS needs 0–10" if spec.kind == "nps" else f"if so, set {key}.scale: 1-10"
            return f"{prefix}no answer is 0 and 10 is used ({n:,} answers): was the question asked on 1–10? {fix}"
    if spec.high >= 7 and n >= SCALE_HINT_TOP and spec.low + int(np.flatnonzero(counts)[-1]) <= 5:
        low = spec.low
        if spec.kind == "ces":
            fix = ("CES 2.0 is scored on 1–7; a 1–5 effort question can be mapped as an attribute "
                   "(columns.attributes, scale: 1-5) instead")
            what = "CES"
        elif spec.kind == "csat":
            fix, what = "set columns.csat.scale: 5", "CSAT"
        elif spec.kind == "nps":
            fix, what = "NPS needs 0–10", "the question"
        else:
            fix, what = f"if so, set {key}.scale: 1-5", "the question"
        return (f"{prefix}every answer is {low}–5 ({n:,} answers on a {spec.low}–{spec.high} scale): was {what} "
                f"asked on a {low}–5 scale? {fix}")
    return ""


def _code_order(code: str) -> tuple:
    """Codes in numeric order (2 before 10), then other codes in natural order (A2 before A10)."""
    try:
        return (0, float(code), code)
    except ValueError:
        return (1, 0.0, natural_key(code))


_DIGITS = re.compile(r"(\d+)")
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")


#: Place names pypinyin's general dictionary reads otherwise (朝阳 as zhāoyáng, "morning sun"):
#: group labels are mostly stores, districts and cities.
_PLACE_READINGS = {"朝阳": [["cháo"], ["yáng"]], "单县": [["shàn"], ["xiàn"]]}


@functools.lru_cache(maxsize=1)
def _pinyin():
    """pypinyin's phrase-aware reading (重庆 chong qing, 厦门 xia men), or None without it."""
    try:
        from pypinyin import Style, lazy_pinyin, load_phrases_dict
    except ImportError:          # pragma: no cover - a dependency; without it Chinese sorts by code point
        return None
    _add_phrases(_PLACE_READINGS, load_phrases_dict)
    return lambda text: lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True)


def _add_phrases(phrases: dict, load_phrases_dict) -> None:
    """``load_phrases_dict(phrases)``, whose segmenter "retrain" feeds every one of pypinyin's
    phrases (about 400,000) to the segmenter's prefix set again, which already holds theirs (a
    tenth of a second); adding the new phrases' prefixes alone leaves the segmenter in the same
    state. Where pypinyin is not laid out as expected, ``load_phrases_dict`` itself."""
    try:
        from pypinyin.constants import PHRASES_DICT
        from pypinyin.seg import mmseg

        prefixes = mmseg.seg._prefix_set
        if not isinstance(getattr(prefixes, "_set", None), set) or not callable(getattr(mmseg.seg, "train", None)):
            raise AttributeError("pypinyin's segmenter")
    except (ImportError, AttributeError):     # pragma: no cover - another pypinyin
        load_phrases_dict(phrases)
        return
    PHRASES_DICT.update(phrases)
    mmseg.seg.train(phrases.keys())


def _plain(text: str) -> str:
    """Letters as compared first: accents off, any case (É as e)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def _words(text: str) -> tuple[str, str]:
    """(letters, tones) of a run of text without digits: Chinese characters by their pinyin
    (tones apart, so 华北 hua bei comes before 华东 hua dong), other letters without accents."""
    reading = _pinyin() if _HAN.search(text) else None
    if reading is None:
        return _plain(text), ""
    letters, tones = [], []
    for syllable in reading(text):
        if _HAN.search(syllable):                  # no reading known: keep the character
            letters.append(syllable), tones.append("")
        elif syllable[-1:].isdigit() and syllable[:-1].isascii():
            letters.append(syllable[:-1]), tones.append(syllable[-1])
        else:
            letters.append(_plain(syllable)), tones.append("")
    return " ".join(letters), "".join(tones)


@functools.lru_cache(maxsize=4096)
def natural_key(text: str) -> tuple:
    """The sort key of a group's label in natural order, as a reader looks a name up: numbers
    by value ('Store 2' before 'Store 10'), letters regardless of case and accents ('Émile'
    with the Es), Chinese by pinyin (北京 bei jing before 上海 shang hai, 重庆 as chong qing),
    which is the order of a Chinese index or directory; ties by accents and tones, then the
    text itself, so the order is total and stable."""
    primary, secondary = [], []
    for i, part in enumerate(_DIGITS.split(text)):
        if i % 2:
            primary.append((0, int(part), ""))
        elif part:
            letters, tones = _words(part)
            primary.append((1, 0, letters))
            secondary.append(tones)
    return (tuple(primary), tuple(secondary), unicodedata.normalize("NFC", text).casefold(), text)


def group_key(text: str) -> str:
    """A segment value as compared: invisible format characters (Unicode category Cf: zero-width
    spaces, byte-order marks, soft hyphens …) removed, NFKC compatibility forms (full-width
    letters, ligatures, no-break spaces) folded, runs of whitespace as one space, no spaces
    at the ends, any case."""
    if text.isascii():
        return " ".join(text.split()).casefold()
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()


def _visible(text: str) -> str:
    """A spelling with its invisible characters shown (<U+200B>), for a warning."""
    if text.isascii():
        return text
    return "".join(f"<U+{ord(ch):04X}>" if unicodedata.category(ch) == "Cf" else ch for ch in text)


def _tidy(text: str) -> str:
    """A spelling as a label: invisible characters dropped, runs of whitespace as one space."""
    if not text.isascii():
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return " ".join(text.split())


@dataclass
class Merge:
    """Spellings of a segment value read as one group."""

    label: str
    spellings: list[tuple[str, int]]          # (spelling, rows), most rows first


@dataclass
class Spellings:
    """How a segment column spells its groups: per group key (:func:`group_key`) the rows of
    each spelling, in the order met (:attr:`spelled`), the rank of the key's value label when
    it has one (:attr:`labelled`) and whether any row is blank (not stated). Spellings of
    consecutive batches of a column add up (``+``) to the whole column's."""

    spelled: dict[str, dict[str, int]] = field(default_factory=dict)
    labelled: dict[str, int] = field(default_factory=dict)
    not_stated: bool = False

    def __add__(self, other: Spellings) -> Spellings:
        spelled = {key: dict(counts) for key, counts in self.spelled.items()}
        for key, counts in other.spelled.items():
            mine = spelled.setdefault(key, {})
            for shown, n in counts.items():
                mine[shown] = mine.get(shown, 0) + n
        labelled = dict(self.labelled)
        for key, rank in other.labelled.items():
            labelled[key] = min(labelled.get(key, rank), rank)
        return Spellings(spelled, labelled, self.not_stated or other.not_stated)


def spellings(series: pd.Series, value_labels: dict[str, str] | None = None
              ) -> tuple[Spellings, np.ndarray, list[str]]:
    """The :class:`Spellings` of ``series``, with each row's position among its distinct values
    (-1: missing) and each distinct value's group key."""
    raw_codes, uniques = pd.factorize(series, use_na_sentinel=True)
    rows = np.bincount(raw_codes[raw_codes >= 0], minlength=len(uniques))
    texts = [str(u).strip() for u in uniques]
    order = {}
    if value_labels:
        order = {label: rank for rank, (code, label) in
                 enumerate(sorted(value_labels.items(), key=lambda item: _code_order(item[0])))}
    not_stated_key = group_key(NOT_STATED)
    key_of: list[str] = []                       # per distinct text
    found = Spellings(not_stated=bool((raw_codes < 0).any()))
    for text, n in zip(texts, rows):
        label = value_labels.get(code_text(text)) if value_labels and text else None
        shown = label if label is not None else text
        key = group_key(shown) if shown else not_stated_key
        if not key:
            key = not_stated_key                 # only invisible characters: not stated
        key_of.append(key)
        if key == not_stated_key:
            found.not_stated = True
            continue
        counts = found.spelled.setdefault(key, {})
        counts[shown] = counts.get(shown, 0) + int(n)
        if label is not None:
            found.labelled[key] = min(found.labelled.get(key, len(order)), order[label])
    return found, raw_codes, key_of


def group_order(found: Spellings, preferred: Iterable[str] = (),
                listed: Sequence[tuple[Sequence[str], bool]] = ()) -> tuple[list[str], list[str], list[Merge]]:
    """The groups of a segment column spelled as ``found`` says, in order (see :func:`_groups`):
    their keys, their labels ("Not stated" last when any row is blank) and the merged spellings."""
    not_stated_key = group_key(NOT_STATED)
    spelled, labelled = found.spelled, found.labelled
    named = {group_key(p): _tidy(p) for p in preferred if group_key(p)}
    display: dict[str, str] = {}
    merges: list[Merge] = []
    for key, counts in spelled.items():
        # most rows first; on a tie the spelling met first (dicts keep that order)
        ranked = sorted(counts.items(), key=lambda item: -item[1])
        display[key] = named.get(key) or _tidy(ranked[0][0]) or ranked[0][0]
        if len(ranked) > 1:
            merges.append(Merge(display[key], ranked))
    order: dict[str, int] = {}
    for names, partial in listed:
        named_keys = list(dict.fromkeys(k for k in (group_key(n) for n in names) if k in display))
        if named_keys and (partial or set(named_keys) == set(display)):
            order = {k: i for i, k in enumerate(named_keys)}
            break
    in_file = sorted((k for k in display if k in order), key=lambda k: order[k])
    first = sorted((k for k in display if k in labelled and k not in order), key=lambda k: labelled[k])
    rest = sorted((k for k in display if k not in labelled and k not in order), key=lambda k: natural_key(display[k]))
    keys = in_file + first + rest
    labels = [display[k] for k in keys]
    if found.not_stated:
        keys.append(not_stated_key)
        labels.append(NOT_STATED)
    position = {label: i for i, label in enumerate(labels)}
    merges.sort(key=lambda m: position[m.label])
    return keys, labels, merges


def _groups(series: pd.Series, value_labels: dict[str, str] | None = None, preferred: Iterable[str] = (),
            listed: Sequence[tuple[Sequence[str], bool]] = ()) -> tuple[np.ndarray, list[str], list[Merge]]:
    """Category code per row; blanks grouped as "Not stated" (last). Groups in a natural order:
    first as the project file lists them (``listed``: the first list that applies, a
    ``(names, partial)`` pair — journey stages apply even when they name only some groups, a
    per-segment target list only when it names every group); then values with a value label,
    in the order of their codes; then the other values in natural order (:func:`natural_key`:
    numbers by value, letters regardless of case and accents, Chinese by pinyin).

    Values that differ only in case, spacing, invisible characters or compatibility forms
    (:func:`group_key`) are one group, shown in the spelling the project file gives it
    (``preferred``: the values its targets and journey name) or else in its most frequent
    spelling (on a tie the one met first); the merges are returned to be reported.
    (:func:`spellings` and :func:`group_order`: the same for a column read in batches.)"""
    found, raw_codes, key_of = spellings(series, value_labels)
    keys, labels, merges = group_order(found, preferred, listed)
    lookup = {key: i for i, key in enumerate(keys)}
    not_stated_key = group_key(NOT_STATED)
    mapping = np.array([lookup[k] for k in key_of] + [lookup.get(not_stated_key, -1)], dtype=np.int64)
    codes = mapping[raw_codes]   # -1 (missing) indexes the last entry: "Not stated"
    return codes, labels, merges


#: Merged groups listed per segment in the warnings; spellings listed per merged group.
MAX_MERGES_SHOWN = 5
MAX_SPELLINGS_SHOWN = 6


def _merge_lines(column: str, key: str, merges: list[Merge]) -> list[str]:
    out = []
    for merge in merges[:MAX_MERGES_SHOWN]:
        listed = ", ".join(f"'{_visible(spelling)}' ({n:,})" for spelling, n in merge.spellings[:MAX_SPELLINGS_SHOWN])
        if len(merge.spellings) > MAX_SPELLINGS_SHOWN:
            listed += f" … ({len(merge.spellings)} spellings)"
        out.append(f"column '{column}' ({key}): {listed} merged into one group '{merge.label}' (they differ only "
                   "in case, spacing, invisible characters or character forms)")
    if len(merges) > MAX_MERGES_SHOWN:
        out.append(f"column '{column}' ({key}): {len(merges) - MAX_MERGES_SHOWN} more groups merged from "
                   "spellings that differ only in case, spacing, invisible characters or character forms")
    return out


def _parse_dates(series: pd.Series, project: Project, table: Table, report: ValidationReport
                 ) -> tuple[pd.Series, ColumnCheck]:
    """The response dates, one reading for the whole column (:mod:`cxreport.load.dates`),
    as local dates of ``periods.timezone``; each distinct text is parsed once."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    unique_text = pd.Series(uniques, dtype=object).astype(str).str.strip()

    def row_of(unique: int) -> str:
        return str(table.row_number(table.frame.index[int(np.argmax(codes == unique))]))

    reading = read_dates(unique_text, project, table.name, row_of)
    # each distinct text was parsed once; spread the dates back to the rows
    text = pd.Series(np.append(unique_text.to_numpy(dtype=object), "")[codes], index=series.index)
    dates = pd.Series(np.append(reading.values, np.datetime64("NaT"))[codes], index=series.index)
    check = date_check(table, text, dates, reading, project)
    date_notes(report, check, project)
    return dates.dt.normalize(), check


def read_dates(unique_text: pd.Series, project: Project, name: str, row_of):
    """The reading of a date column's distinct texts (stripped), one day/month order for all of
    them (:func:`cxreport.load.dates.parse_dates`); ``row_of(i)`` says where text ``i`` is first
    met ("12", or "12 of part-0.parquet"), for the error of a column read both ways."""
    from cxreport.load.dates import DateOrderError, parse_dates

    cols = project.columns

    def shown(unique: int) -> str:
        value = unique_text.iloc[unique]
        return value if len(value) <= 30 else value[:27] + "..."

    try:
        return parse_dates(unique_text, date_format=cols.date_format, dayfirst=cols.dayfirst,
                           timezone=project.periods.timezone)
    except DateOrderError as exc:
        where = f"{name}: column '{cols.date}' (columns.date)"
        if exc.kind == "both":
            (day, _), (month, _) = exc.examples
            raise DataError(
                f"{where} reads dates both ways: row {row_of(day)} '{shown(day)}' can only be day/month/year, "
                f"row {row_of(month)} '{shown(month)}' only month/day/year; correct the rows or set "
                "columns.date_format (e.g. '%d/%m/%Y')") from None
        first = exc.examples[0][0]
        raise DataError(
            f"{where}: every date reads both day first and month first (row {row_of(first)} '{shown(first)}'); "
            "set columns.dayfirst: true (day/month/year) or false (month/day/year), or columns.date_format") from None
    except ValueError as exc:       # a date_format that is not a strftime format
        if not cols.date_format:
            raise
        raise DataError(f"columns.date_format: '{cols.date_format}' cannot be used: {exc}") from None


def date_check(table: Table, text: pd.Series, dates: pd.Series, reading, project: Project) -> ColumnCheck:
    """The date column's check: ``text`` (stripped) and ``dates`` per row of ``table``."""
    from cxreport.load.dates import DAY_FIRST, is_numeric_date

    cols = project.columns
    blank = text == ""
    bad = ~blank & dates.isna()
    check = ColumnCheck("columns.date", cols.date or "", "Response date", valid=int(dates.notna().sum()),
                        blank=int(blank.sum()), non_numeric=int(bad.sum()))
    for position in np.flatnonzero(bad.to_numpy())[:MAX_EXAMPLES]:
        value = text.iloc[position]
        if cols.date_format:
            how = f" in the format {cols.date_format}"
        elif cols.dayfirst is not None and is_numeric_date(value):
            how = (f" read {'day/month/year' if reading.order == DAY_FIRST else 'month/day/year'} "
                   f"(columns.dayfirst: {'true' if cols.dayfirst else 'false'})")
        else:
            how = ""
        check.examples.append(f"row {table.row_number(table.frame.index[position])}, column '{cols.date}': "
                              f"'{value[:30]}' is not a date{how}")
    return check


def date_notes(report: ValidationReport, check: ColumnCheck, project: Project) -> None:
    """The note on rows without a valid date (in the totals, in no period)."""
    if check.blank or check.non_numeric:
        report.undated, report.date_column = check.blank + check.non_numeric, project.columns.date or ""
        report.notes.append(f"column '{project.columns.date}': {check.blank + check.non_numeric} rows without a "
                            "valid date are in the totals but in no period")


#: Largest weight accepted. Larger ones are data errors, and their squares would overflow
#: the effective-sample-size sums; population weights (people per respondent) stay far below it.
MAX_WEIGHT = 1e9


def duplicate_ids(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """The rows whose respondent id repeats an earlier row's (ids compared without surrounding
    whitespace; a blank id is never a duplicate): the first copy counts, later ones are
    excluded. Returns that mask and each duplicated id once, in order of its first later copy.
    (:mod:`cxreport.duplicates` finds the same in a survey read in batches.)"""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    stripped = pd.Series(uniques, dtype=object).astype(str).str.strip()
    canonical, _labels = pd.factorize(stripped)          # " A1 " and "A1" are the same id
    is_blank = np.append((stripped == "").to_numpy(), True)[codes]
    ids_code = np.append(canonical, -1)[codes]
    dup = pd.Series(ids_code).duplicated(keep="first").to_numpy() & ~is_blank
    ids = pd.Series(np.append(stripped.to_numpy(dtype=object), "")[codes])
    return dup, list(dict.fromkeys(ids[dup].tolist()))


def check_weights(table: Table, column: str, numbers: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, ColumnCheck]:
    """The weight column read: (weights, bad: blank or invalid, zero, its check with examples).
    ``numbers``: the column already as numbers (a floating-point Parquet column read in batches,
    NaN where empty), instead of its text in ``table``."""
    from cxreport.load.cells import cell_text

    if numbers is None:
        series = table.frame[column]
        weights, blank = _numeric(series)

        def shown(position: int) -> str:
            return str(series.iloc[position])
    else:
        weights, blank = numbers, np.isnan(numbers)

        def shown(position: int) -> str:
            return cell_text(float(numbers[position]))
    check = ColumnCheck("columns.weight", column, "Weight")
    bad = blank | ~np.isfinite(weights) | (weights < 0) | (weights > MAX_WEIGHT)
    zero = ~bad & (weights == 0)
    check.valid = int((~bad & ~zero).sum())
    check.blank = int(blank.sum())
    check.non_numeric = int((~blank & np.isnan(weights)).sum())
    check.out_of_scale = int((~blank & ~np.isnan(weights) & bad).sum())
    for position in np.flatnonzero(bad & ~blank)[:MAX_EXAMPLES]:
        check.examples.append(f"row {table.row_number(table.frame.index[position])}, column '{column}': "
                              f"'{shown(position)[:30]}' is not a valid weight")
    return weights, bad, zero, check


def weight_summary(column: str, n: int, rows: list) -> str:
    """The weight column's line: ``n`` rows excluded, the first of them ``rows``."""
    shown = ", ".join(str(r) for r in rows[:MAX_EXAMPLES])
    return (f"column '{column}' (columns.weight): {n:,} row{'s' if n != 1 else ''} with a "
            f"blank, invalid or zero weight {'are' if n != 1 else 'is'} excluded from every figure "
            f"(row{'s' if n != 1 else ''} {shown}{', …' if n > MAX_EXAMPLES else ''})")


def prepare(project: Project, table: Table) -> SurveyData:
    """Validate ``table`` against the project and return clean, scoreable data."""
    check_columns(project, table)
    frame = table.frame
    cols = project.columns
    report = ValidationReport(table.name, rows_read=len(frame))
    keep = np.ones(len(frame), dtype=bool)

    # Duplicate respondent ids: the first copy counts, later ones are excluded.
    if cols.respondent_id:
        dup, duplicated = duplicate_ids(frame[cols.respondent_id])
        if dup.any():
            report.duplicate_ids = duplicated
            report.excluded["duplicate respondent id"] = int(dup.sum())
            keep &= ~dup

    # Weights.
    if cols.weight:
        weights, bad, zero, check = check_weights(table, cols.weight)
        report.columns.append(check)
        if (bad & keep).any():
            report.excluded["missing or invalid weight"] = int((bad & keep).sum())
        if (zero & keep).any():
            report.excluded["zero weight"] = int((zero & keep & ~bad).sum())
        dropped = (bad | zero) & keep
        if dropped.any():
            where = np.flatnonzero(dropped)
            check.summary = weight_summary(cols.weight, int(dropped.sum()),
                                           [table.row_number(frame.index[p]) for p in where[:MAX_EXAMPLES]])
        keep &= ~bad & ~zero
        weights = np.where(keep, weights, 0.0)
    else:
        weights = np.ones(len(frame))

    # Items.
    missing_codes = [float(c) for c in project.missing_codes]
    values: dict[str, np.ndarray] = {}
    specs = item_specs(project, table.labels)
    derived = derived_keys(project)
    for spec in specs:
        if spec.key in derived:
            continue
        key, item_cfg = _item_config(project, spec)
        words = project.words(item_cfg)
        word_list = list(project.word_scales[item_cfg.scale]) if words is not None else None
        clean, check = _check_item(table, spec, key, [float(c) for c in item_cfg.na_codes], missing_codes,
                                   reverse=getattr(item_cfg, "reverse", False), words=words, word_list=word_list)
        report.columns.append(check)
        if check.hint:
            report.cautions.append(check.hint)
        values[spec.key] = clean
    if cols.acsi:
        values["acsi"] = _acsi_scores(project, table, missing_codes, report)
    for name, scale in project.composites.items():
        values[f"attr:{name}"] = composite_scores([values[f"attr:{m}"] for m in scale.items], scale.needed)

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
        if spec.key in derived and np.isnan(values[spec.key]).all():
            if spec.key == "acsi":
                raise DataError(f"{table.name}: columns.acsi: no respondent answered all three items of the index "
                                f"({', '.join(cols.acsi.items)}) with a valid answer; nothing to score")
            scale = project.composites[spec.key[5:]]
            raise DataError(f"{table.name}: scales.{spec.key[5:]}: no respondent answered at least {scale.needed} of "
                            f"its {len(scale.items)} items; nothing to score")
        if np.isnan(values[spec.key]).all():
            check = next(c for c in report.columns if c.column == spec.column)
            raise DataError(
                f"{table.name}: column '{spec.column}' ({_item_config(project, spec)[0]}) has no valid answers "
                f"({check.blank} blank, {check.missing_code} missing codes, {check.not_applicable} not applicable, "
                f"{check.invalid} invalid); nothing to score")

    specs = [_observed_bounds(spec, values[spec.key]) for spec in specs]

    segments = []
    for name, column in cols.segments.items():
        series = frame[column]
        missing = declared_missing(table, column)
        if missing.any():
            series = series.where(~missing, "")      # declared missing: "Not stated"
        codes, labels, merges = _groups(series.iloc[index], table.value_labels.get(column),
                                        _named_values(project, name), _listed_orders(project, name))
        key = f"columns.segments.{name}"
        report.cautions.extend(_merge_lines(column, key, merges))
        check_group_count(project, table.name, key, column, np.bincount(codes[codes >= 0], minlength=len(labels)),
                          labels, report, name)
        segments.append(Grouping(name, column, codes, labels))

    if project.weighting is not None:      # raking to population margins (METHODS.md §9)
        from cxreport.scoring.raking import rake_segments

        weights, report.weighting = rake_segments(project, table, index, segments, weights, period_codes, periods)
        report.cautions.extend(report.weighting.warnings)

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
    if cols.respondent_id:          # the customer file and the case log join on it (kept through subsets)
        comment_frame["respondent_id"] = frame[cols.respondent_id].iloc[index].astype(str).str.strip().to_numpy()
    for spec in specs:
        if spec.kind in ("nps", "csat"):
            comment_frame[spec.key] = values[spec.key]
    if dates is not None:
        comment_frame["date"] = dates.to_numpy()

    return SurveyData(specs, values, weights, bool(cols.weight) or project.weighting is not None, segments,
                      period_codes, periods,
                      comment_frame, dates, report, multi)


def _acsi_scores(project: Project, table: Table, missing_codes: list[float], report: ValidationReport,
                 counts: dict | None = None) -> np.ndarray:
    """Each respondent's ACSI-style index (METHODS.md §1): 100 · Σ Wᵢ (xᵢ − low) / (high − low)
    over the three items, for respondents with a valid answer to all three (NaN otherwise).
    The mean of these scores is the index of the three items' means on the same respondents:
    with equal weights and 1–10 items, 100 · (X̄₁ + X̄₂ + X̄₃ − 3) / 27. ``counts``: streamed
    scoring's answers per scale point of each item (by its key), added to instead of looking for
    answers of another scale in this batch alone (:func:`acsi_hints`)."""
    total = np.zeros(len(table.frame))
    for i, spec, key in acsi_items(project):
        cfg = project.columns.acsi
        low, high, weight = spec.low, spec.high, cfg.weights[i]
        clean, check = _check_item(table, spec, key, [float(c) for c in cfg.na_codes], missing_codes,
                                   hint=counts is None)
        report.columns.append(check)
        if check.hint:
            report.cautions.append(check.hint)
        if counts is not None:
            valid = clean[~np.isnan(clean)]
            found = np.bincount((valid - low).astype(np.int64), minlength=int(high - low) + 1)
            counts[key] = counts[key] + found if key in counts else found
        total = total + weight * (clean - low) / (high - low)     # NaN stays NaN: all three are needed
    return 100.0 * total


def acsi_items(project: Project) -> list[tuple[int, ItemSpec, str]]:
    """The ACSI items: (position, spec, key)."""
    cfg = project.columns.acsi
    low, high = cfg.scale
    return [(i, ItemSpec.rating(f"acsi:{i}", column, low, high, column), f"columns.acsi.items[{i}]")
            for i, column in enumerate(cfg.items)]


def acsi_hints(project: Project, counts: dict, report: ValidationReport) -> None:
    """The ACSI items' scale warnings from their answers counted per point (streamed scoring)."""
    for _i, spec, key in acsi_items(project):
        if key not in counts:
            continue
        hint = scale_hint(spec, key, counts[key])
        check = next((c for c in report.columns if c.key == key), None)
        if hint and check is not None:
            check.hint = hint
            report.cautions.append(hint)


def composite_scores(items: list[np.ndarray], needed: int) -> np.ndarray:
    """A composite scale's score per respondent: the mean of the items answered, for
    respondents who answered at least ``needed`` of them (NaN otherwise)."""
    stack = np.column_stack(items)
    answered = (~np.isnan(stack)).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.nansum(stack, axis=1) / answered
    return np.where(answered >= needed, score, np.nan)


def _observed_bounds(spec: ItemSpec, values: np.ndarray) -> ItemSpec:
    """A numeric item without declared bounds takes its answers' range (for charts and the
    scale shown beside its mean)."""
    if not spec.continuous or (math.isfinite(spec.low) and math.isfinite(spec.high)):
        return spec
    valid = values[~np.isnan(values)]
    if not len(valid):
        return spec
    low = spec.low if math.isfinite(spec.low) else float(valid.min())
    high = spec.high if math.isfinite(spec.high) else float(valid.max())
    if high <= low:
        high = low + 1.0
    return dataclasses.replace(spec, low=low, high=high)


def _named_values(project: Project, segment: str) -> list[str]:
    """The values of ``segment`` that the project file names: per-segment targets, journey
    stages and touchpoint targets. A merged group is shown in their spelling."""
    names: list[str] = []
    targets = project.targets
    for target in [targets.nps, targets.csat, targets.ces, targets.acsi, *targets.attributes.values()]:
        if target is not None:
            names += list(target.segments.get(segment, {}))
    journey = project.journey
    if journey is not None:
        if journey.stage == segment:
            names += list(journey.stages)
        if journey.touchpoint == segment:
            names += list(journey.targets)
    if project.weighting is not None:
        names += list(project.weighting.rake.get(segment, {}))
    return names


def _listed_orders(project: Project, segment: str) -> list[tuple[list[str], bool]]:
    """The lists of ``segment``'s values the project file gives, in its order, each with
    whether it orders the groups when it names only some: ``columns.segment_order`` does (and
    comes first); journey stages do (the journey's
    order; other stages follow); a per-segment target list (``targets.<kpi>.segments``,
    ``journey.targets``) orders them only when it names every group."""
    out: list[tuple[list[str], bool]] = []
    if project.columns.segment_order.get(segment):
        out.append((list(project.columns.segment_order[segment]), True))
    journey = project.journey
    if journey is not None and journey.stage == segment and journey.stages:
        out.append((list(journey.stages), True))
    targets = project.targets
    for target in [targets.nps, targets.csat, targets.ces, targets.acsi, *targets.attributes.values()]:
        if target is not None and target.segments.get(segment):
            out.append((list(target.segments[segment]), False))
    if journey is not None and journey.touchpoint == segment and journey.targets:
        out.append((list(journey.targets), False))
    return out


#: A segment is refused as sparse only from this many groups on (a pilot's three regions, two of
#: them small, are not an id mapped as a segment).
SPARSE_MIN_GROUPS = 20


def check_group_count(project: Project, file: str, key: str, column: str, sizes: np.ndarray, labels: list[str],
                      report: ValidationReport, name: str = "") -> None:
    """A segment of :data:`SPARSE_MIN_GROUPS` or more groups, most of which fall under
    ``bases.suppress_below``, is refused (an id or free-text column mapped as a segment by
    mistake) unless ``bases.sparse_segments`` names it; one with more groups than
    ``bases.max_groups`` is a warning (long tables, many ``--per`` reports). ``sizes``: the
    respondents of each of ``labels``."""
    real = [i for i, label in enumerate(labels) if label != NOT_STATED]
    if not real:
        return
    limit = project.bases.max_groups
    below = project.bases.suppress_below
    sizes = np.asarray(sizes)[real]
    small = int((sizes < below).sum())
    allowed = name in project.bases.sparse_segments
    if small * 2 > len(real) and len(real) >= SPARSE_MIN_GROUPS and not allowed:
        raise DataError(f"{file}: column '{column}' ({key}) has {len(real):,} different values and {small:,} of them "
                        f"have fewer than bases.suppress_below ({below}) respondents, so most could never be shown; "
                        "is it an id or free-text column mapped as a segment by mistake? Remove it from "
                        f"columns.segments, or list '{name}' in bases.sparse_segments to keep it")
    if len(real) > limit:
        report.cautions.append(
            f"column '{column}' ({key}) has {len(real):,} groups, more than bases.max_groups ({limit}): its tables and "
            "charts will be long, and a --per build makes a report for each")
    elif small * 2 > len(real):
        report.cautions.append(
            f"column '{column}' ({key}): most of its groups cannot be shown: {small} of {len(real)} have fewer than "
            f"bases.suppress_below ({below}) respondents in the whole file (fewer still in one period)")


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
