"""Read a survey file (CSV or XLSX) into a canonical table of text cells.

Every cell is read as text so that validation can say exactly which cell in which row
was not a number. Row numbers follow spreadsheet convention: the header is row 1 and
the first response is row 2. Nothing downstream knows which format a file came in.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cxreport.errors import DataError

#: Largest survey file read without complaint (bytes).
MAX_FILE_BYTES = 2_000_000_000

#: Longest cell accepted: Excel's own limit, so every accepted cell fits an appendix workbook.
#: A longer cell is a broken export (a missing quote swallowing the rest of the file) or junk.
MAX_CELL_CHARS = 32_767


@dataclass
class Table:
    """A survey file as text cells, with where it came from."""

    frame: pd.DataFrame
    name: str                      # how messages name the file (relative to the project)
    path: Path
    first_data_row: int = 2        # spreadsheet row number of the first data row
    labels: dict[str, str] = field(default_factory=dict)   # column → question text, when known

    def row_number(self, index: int) -> int:
        """Spreadsheet row number of the 0-based data row ``index``."""
        return self.first_data_row + int(index)


def read_table(path: Path, *, name: str | None = None, encoding: str = "auto",
               sheet: str | int | None = None) -> Table:
    name = name or path.name
    if not path.exists():
        raise DataError(f"{name}: file not found")
    if path.is_dir():
        raise DataError(f"{name}: is a folder, not a data file")
    size = path.stat().st_size
    if size == 0:
        raise DataError(f"{name}: the file is empty")
    if size > MAX_FILE_BYTES:
        raise DataError(f"{name}: the file is larger than {MAX_FILE_BYTES // 1_000_000_000} GB")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        frame = _read_xlsx(path, name, sheet)
    elif suffix in (".csv", ".txt"):
        frame = _read_csv(path, name, encoding)
    else:
        raise DataError(f"{name}: unsupported file type '{suffix}' (use .csv or .xlsx)")
    if len(frame.columns) == 0:
        raise DataError(f"{name}: no header row found")
    if len(frame) == 0:
        raise DataError(f"{name}: has a header row but no data rows")
    return Table(frame, name, path)


#: Encodings suggested (never guessed silently) when a file is not UTF-8.
CANDIDATE_ENCODINGS = ("cp1252", "gb18030")


def _decodes(raw: bytes, encoding: str) -> bool:
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    # cp1252 text read as gb18030 yields Chinese; accept gb18030 only when the result has
    # runs of Chinese characters rather than isolated ones among Latin text.
    if encoding == "gb18030":
        import re

        return bool(re.search(r"[\u4e00-\u9fff]{2,}", text))
    return True


def _decode(raw: bytes, name: str, encoding: str) -> str:
    if encoding == "auto":
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            fits = [c for c in CANDIDATE_ENCODINGS if _decodes(raw, c)]
            hint = (f"it decodes as {' or '.join(fits)}, but which is right cannot be told for certain"
                    if fits else "for example cp1252, latin-1 or gb18030")
            raise DataError(
                f"{name}: not UTF-8 text (byte 0x{raw[exc.start]:02X} on line {line}); "
                f"set survey.encoding in the project file ({hint})") from None
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise DataError(f"{name}: cannot be read as {encoding} (byte 0x{raw[exc.start]:02X} on line {line}); "
                        "check survey.encoding") from None
    return text.removeprefix("\ufeff")


def _check_header(names: list[str], name: str) -> None:
    seen: dict[str, int] = {}
    for position, column in enumerate(names, start=1):
        key = column.strip()
        if not key:
            continue
        if key in seen:
            raise DataError(f"{name}: duplicate column name '{key}' (columns {seen[key]} and {position})")
        seen[key] = position


def sniff_delimiter(text: str) -> str:
    """',', ';' or tab: the one that splits the header and the next lines into the same,
    largest number of fields (quoted fields respected). Comma when in doubt."""
    sample = text[:65536].splitlines()[:20]
    best, best_fields = ",", 1
    for delimiter in (",", ";", "\t"):
        try:
            counts = [len(row) for row in csv.reader(sample, delimiter=delimiter)]
        except csv.Error:
            continue
        if not counts:
            continue
        consistent = len(set(counts[: max(2, len(counts) - 1)])) == 1   # the last line may be cut short
        if consistent and counts[0] > best_fields:
            best, best_fields = delimiter, counts[0]
    return best


def _read_csv(path: Path, name: str, encoding: str) -> pd.DataFrame:
    raw = path.read_bytes()
    if encoding == "auto" and raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        encoding = "utf-16"
    if encoding == "auto" and b"\x00" in raw[:4096]:
        raise DataError(f"{name}: looks like a binary file, not CSV text")
    text = _decode(raw, name, encoding)
    if not text.strip():
        raise DataError(f"{name}: the file is empty")
    delimiter = sniff_delimiter(text)
    import re

    long_line = re.search(r"[^\n]{%d}" % (MAX_CELL_CHARS + 1), text) is not None
    header_line = next(csv.reader(io.StringIO(text.split("\n", 1)[0]), delimiter=delimiter), [])
    _check_header(header_line, name)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False,
                            skip_blank_lines=True, engine="c", sep=delimiter)
    except pd.errors.ParserError as exc:
        raise DataError(f"{name}: cannot parse CSV: {_parser_message(exc)}") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{name}: the file is empty") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if long_line:
        _check_cell_lengths(frame, name, first_data_row=2)
    return frame


def _check_cell_lengths(frame: pd.DataFrame, name: str, first_data_row: int) -> None:
    for column in frame.columns:
        lengths = frame[column].str.len()
        if len(lengths) and lengths.max() > MAX_CELL_CHARS:
            position = int(lengths.to_numpy().argmax())
            raise DataError(f"{name}: row {first_data_row + position}, column '{column}': the cell is "
                            f"{int(lengths.iloc[position]):,} characters long (at most {MAX_CELL_CHARS:,}); "
                            "is a closing quote missing?")


def _parser_message(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[-1]
    text = text.replace("Error tokenizing data. C error: ", "")
    # "Expected 20 fields in line 57, saw 21": the line numbers are the file's lines.
    return text


def _read_xlsx(path: Path, name: str, sheet: str | int | None) -> pd.DataFrame:
    try:
        import openpyxl  # noqa: F401  (pandas needs it for .xlsx)
    except ImportError:  # pragma: no cover - a dependency
        raise DataError("reading .xlsx files needs the openpyxl package") from None
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise DataError(f"{name}: not a readable XLSX workbook ({type(exc).__name__})") from None
    with book:
        sheets = book.sheet_names
        if sheet is None:
            target: str | int = 0
        elif isinstance(sheet, int):
            if not 0 <= sheet < len(sheets):
                raise DataError(f"{name}: sheet index {sheet} out of range (the workbook has {len(sheets)} sheets)")
            target = sheet
        else:
            if sheet not in sheets:
                from cxreport.util import did_you_mean

                raise DataError(f"{name}: no sheet named '{sheet}'{did_you_mean(sheet, sheets)}; "
                                f"sheets: {', '.join(sheets)}")
            target = sheet
        try:
            frame = pd.read_excel(book, sheet_name=target, dtype=str, keep_default_na=False, na_filter=False,
                                  header=0)
        except ValueError as exc:
            raise DataError(f"{name}: cannot read the sheet: {exc}") from None
        sheet_name = target if isinstance(target, str) else sheets[target]
        first = next(book.book[sheet_name].iter_rows(min_row=1, max_row=1, values_only=True), ())
        header = ["" if h is None else str(h) for h in first]
    if frame.shape[1] == 0:
        raise DataError(f"{name}: the sheet is empty")
    names = [str(c) for c in frame.columns]
    _check_header(header, name)
    frame.columns = [c.strip() for c in names]
    # Drop wholly blank rows but keep the index, so row numbers stay the sheet's own.
    frame = frame.loc[~(frame == "").all(axis=1)] if len(frame) else frame
    return frame
