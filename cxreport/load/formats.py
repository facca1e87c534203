"""Header layouts of survey-platform exports (CSV or XLSX): which rows are headers, what the
columns are called and which question text belongs to each.

A reader hands over the sheet as a grid of text cells whose first row is the header row;
:func:`apply_layout` returns the data rows with their column names, the question texts
(``labels``) and the number of header rows, so that row numbers in messages stay the
file's own. Layouts:

``plain``
    One header row.
``qualtrics``
    Current Qualtrics export: column names; question texts; a row of ``{"ImportId": …}``
    JSON. The first response is the fourth row. Legacy export ("Use legacy format"):
    names ``V1…V10`` for the metadata columns and ``Q…`` for questions; the second row
    holds the metadata names (``ResponseID``, ``StartDate`` …) and the question texts.
    The ``V<n>`` columns take their second-row name (``V8`` becomes ``StartDate``), as
    Qualtrics' own legacy readers do; the first response is the third row.
``surveymonkey``
    Two header rows: the question, then the sub-header ("Response", "Open-Ended
    Response", a choice's text or a matrix row). See :func:`surveymonkey_names`.

Detection (``survey.format: auto``) recognises the Qualtrics forms by their unmistakable
rows and SurveyMonkey by a "Respondent ID" column with "Response" / "Open-Ended Response"
sub-headers under it in the second row; anything else is ``plain``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import pandas as pd

from cxreport.errors import DataError

LAYOUTS = ("plain", "qualtrics", "surveymonkey")

_V_NAME = re.compile(r"^V\d+$")
SM_SINGLE = ("response", "open-ended response")


@dataclass
class Laid:
    """The data rows of a grid and what the header rows said about them."""

    frame: pd.DataFrame                 # data rows; index 0 = first data row (gaps where blank rows were)
    header_rows: int                    # rows above the first data row that were headers (≥ 1)
    labels: dict[str, str] = field(default_factory=dict)
    renamed: dict[str, str] = field(default_factory=dict)   # name in the file → name used
    description: str = ""


def _cells(grid: pd.DataFrame, row: int) -> list[str]:
    if row >= len(grid):
        return []
    return ["" if v is None else str(v) for v in grid.iloc[row].tolist()]


def _is_import_id(cell: str) -> bool:
    cell = cell.strip()
    if not cell.startswith("{"):
        return False
    try:
        value = json.loads(cell)
    except ValueError:
        return False
    return isinstance(value, dict) and "ImportId" in value


def is_qualtrics(grid: pd.DataFrame) -> bool:
    """Three-row Qualtrics export: most non-blank cells of the third row are ImportId JSON."""
    third = [c for c in _cells(grid, 2) if c.strip()]
    return bool(third) and sum(map(_is_import_id, third)) >= 0.8 * len(third)


def is_qualtrics_legacy(grid: pd.DataFrame) -> bool:
    header, second = _cells(grid, 0), _cells(grid, 1)
    return (len(header) >= 2 and [h.strip() for h in header[:2]] == ["V1", "V2"]
            and bool(second) and second[0].strip() == "ResponseID")


def is_surveymonkey(grid: pd.DataFrame) -> bool:
    header, second = _cells(grid, 0), _cells(grid, 1)
    names = {h.strip().lower() for h in header}
    subs = {s.strip().lower() for s in second}
    return "respondent id" in names and bool(subs & set(SM_SINGLE))


def detect(grid: pd.DataFrame) -> str:
    if is_qualtrics(grid) or is_qualtrics_legacy(grid):
        return "qualtrics"
    if is_surveymonkey(grid):
        return "surveymonkey"
    return "plain"


def _unnamed(names: list[str]) -> list[str]:
    return [n if n else f"Unnamed: {i}" for i, n in enumerate(names)]


def check_header(names: list[str], name: str) -> None:
    seen: dict[str, int] = {}
    for position, column in enumerate(names, start=1):
        key = column.strip()
        if not key:
            continue
        if key in seen:
            raise DataError(f"{name}: duplicate column name '{key}' (columns {seen[key]} and {position})")
        seen[key] = position


def surveymonkey_names(questions: list[str], subs: list[str]) -> tuple[list[str], list[str]]:
    """Column names and labels from SurveyMonkey's two header rows.

    The rule: a blank question cell continues the question on its left (a question with
    several answer columns). A column's name is the question alone when its sub-header is
    blank (Respondent ID, Start Date …) or when it is the question's only column with
    sub-header "Response" or "Open-Ended Response"; otherwise ``"<question> - <sub-header>"``
    (a choice of a multiple-choice question, a matrix row, an "Other (please specify)"
    box). A name met again gets `` (2)``, `` (3)`` … in order. The label is the question.
    """
    width = max(len(questions), len(subs))
    questions = [q.strip() for q in questions] + [""] * (width - len(questions))
    subs = [s.strip() for s in subs] + [""] * (width - len(subs))
    filled, group, current, number = [], [], "", 0
    for q, s in zip(questions, subs):
        if q:
            current, number = q, number + 1
        filled.append(q or (current if s else ""))
        group.append(number if (q or s) else -1)
    span: dict[int, int] = {}
    for g in group:
        span[g] = span.get(g, 0) + 1
    names, labels, seen = [], [], {}
    for i, (q, s) in enumerate(zip(filled, subs)):
        if not q:
            base = s or f"Unnamed: {i}"
        elif not s or (s.lower() in SM_SINGLE and span[group[i]] == 1):
            base = q
        else:
            base = f"{q} - {s}"
        count = seen.get(base, 0) + 1
        seen[base] = count
        names.append(base if count == 1 else f"{base} ({count})")
        labels.append(q)
    return names, labels


def apply_layout(grid: pd.DataFrame, name: str, layout: str = "auto") -> Laid:
    """Split ``grid`` (row 0 = the header row) into header rows and data rows."""
    if len(grid.columns) == 0 or len(grid) == 0:
        raise DataError(f"{name}: no header row found")
    if layout == "auto":
        layout = detect(grid)
    header = [h.strip() for h in _cells(grid, 0)]
    labels: dict[str, str] = {}
    renamed: dict[str, str] = {}
    if layout == "qualtrics":
        second = [s.strip() for s in _cells(grid, 1)]
        if is_qualtrics(grid):
            rows, description = 3, "Qualtrics export (3 header rows)"
        else:
            rows = 2
            description = ("Qualtrics legacy export (2 header rows)" if is_qualtrics_legacy(grid)
                           else "Qualtrics export (2 header rows: names, question texts)")
        check_header(header, name)
        names = list(header)
        if is_qualtrics_legacy(grid):
            taken = set(header)
            for i, (column, text) in enumerate(zip(header, second)):
                if _V_NAME.match(column) and text and text not in taken:
                    names[i] = text
                    renamed[column] = text
                    taken.add(text)
        names = _unnamed(names)
        for column, text in zip(names, second):
            if text and text != column:
                labels[column] = text
    elif layout == "surveymonkey":
        rows, description = 2, "SurveyMonkey export (2 header rows)"
        names, questions = surveymonkey_names(_cells(grid, 0), _cells(grid, 1))
        labels = {n: q for n, q in zip(names, questions) if q and q != n}
    else:
        rows, description = 1, ""
        check_header(header, name)
        names = _unnamed(header)
    if len(grid) <= rows:
        what = "a header row" if rows == 1 else f"{rows} header rows"
        raise DataError(f"{name}: has {what} but no data rows")
    frame = grid.iloc[rows:].copy()
    frame.columns = names
    frame.index = pd.RangeIndex(len(frame))
    # Drop wholly blank rows but keep the index, so row numbers stay the file's own.
    blank = (frame == "").all(axis=1)
    if blank.any():
        frame = frame.loc[~blank]
    return Laid(frame, rows, labels, renamed, description)
