"""SPSS ``.sav`` / ``.zsav`` files through pyreadstat.

What the file says about its variables is kept in the :class:`~cxreport.load.tabular.Table`:

- variable labels become ``labels`` (question texts);
- value labels become ``value_labels`` (``{"1": "North", …}``), so a segment coded 1/2/3
  shows its labels in reports;
- user-defined missing values (discrete values and ranges, e.g. 98, 99 or 900 thru 999)
  become ``missing_values``; validation counts them as missing, or as not applicable where
  the project lists them in the item's ``na_codes`` (see docs/inputs.md).

Cells are the values as text (``cells.text_cells``); cases are numbered from 1.
"""

from __future__ import annotations

from pathlib import Path

from cxreport.errors import DataError
from cxreport.load.cells import code_text, text_cells


def read_sav(path: Path, name: str):
    from cxreport.load.tabular import Table

    try:
        import pyreadstat
    except ImportError:  # pragma: no cover - a dependency
        raise DataError("reading .sav files needs the pyreadstat package") from None
    from cxreport.load import limits

    try:
        # The header first: a .zsav packs its cases, so rows and columns are checked before
        # they are read (cxreport.load.limits); row_limit holds even when the header does not
        # say how many cases there are.
        _, head = pyreadstat.read_sav(str(path), metadataonly=True)
        rows = head.number_rows if isinstance(head.number_rows, int) and head.number_rows >= 0 else None
        limits.check_table_shape(rows, int(head.number_columns or 0), "cases")
        frame, meta = pyreadstat.read_sav(str(path), user_missing=True, row_limit=limits.MAX_TABLE_ROWS + 1)
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError, OSError, ValueError, UnicodeError) as exc:
        if isinstance(exc, limits.InputLimitError):
            raise
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{name}: not a readable SPSS file ({reason})") from None
    if len(frame) > limits.MAX_TABLE_ROWS:
        raise limits.InputLimitError(f"more than {limits.MAX_TABLE_ROWS:,} cases; at most {limits.MAX_TABLE_ROWS:,} "
                                     f"are read ({limits.WHERE}): split the file, for example by period")
    labels = {column: str(label).strip() for column, label in zip(meta.column_names, meta.column_labels or [])
              if label and str(label).strip()}
    value_labels = {column: {code_text(value): str(label) for value, label in mapping.items()}
                    for column, mapping in (meta.variable_value_labels or {}).items() if mapping}
    missing: dict[str, list[tuple]] = {}
    for column, ranges in (meta.missing_ranges or {}).items():
        spans = [(r["lo"], r["hi"]) for r in ranges if isinstance(r, dict) and "lo" in r and "hi" in r]
        if spans:
            missing[column] = sorted(spans, key=lambda span: (str(type(span[0])), span))
    return Table(text_cells(frame), name, path, first_data_row=1, labels=labels, value_labels=value_labels,
                 missing_values=missing, source="SPSS file")
