"""Read a survey file into a canonical table of text cells: the one entry point for every format.

Every cell is read as text so that validation can say exactly which cell in which row
was not a number. Row numbers are the file's own: in a CSV or a worksheet the header is
row 1 (or ``header_row``) and the first response the row after the header rows; in an
SPSS or Parquet file the first case is row 1. Besides the cells a :class:`Table` carries
what the file says about its columns — question texts, value labels, declared missing
values — in the same shape whatever the format, so nothing downstream knows which format
a file came in.

Formats: CSV (encoding, delimiter and header layout detected, see :mod:`.formats`),
XLSX, SPSS ``.sav`` (:mod:`.spss`) and Parquet. A Quantipy ``.meta.json`` can add labels
to any of them (:mod:`.meta`).

The formats that compress are checked against :mod:`.limits` before anything is
materialised (a workbook's zip, XML prologs and used range; a Parquet or SPSS file's row
and column counts); no cell of any format may be longer than :data:`MAX_CELL_CHARS`; a CSV
whose last row stops short without a line end (a cut-off export) is refused.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from xml.etree.ElementTree import ParseError
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cxreport.errors import DataError
from cxreport.load.formats import apply_layout
from cxreport.load.kinds import SUPPORTED, file_kind, format_problem
from cxreport.load.limits import InputLimitError

#: Largest survey file read without complaint (bytes).
MAX_FILE_BYTES = 2_000_000_000

#: Longest cell accepted: Excel's own limit, so every accepted cell fits an appendix workbook.
#: A longer cell is a broken export (a missing quote swallowing the rest of the file) or junk.
#: Checked in every format, on the parsed cells (vectorised: linear in the file).
MAX_CELL_CHARS = 32_767


@dataclass
class Table:
    """A survey file as text cells, with where it came from and what it says about its columns."""

    frame: pd.DataFrame
    name: str                      # how messages name the file (relative to the project)
    path: Path
    first_data_row: int = 2        # row number (the file's own) of the first data row
    labels: dict[str, str] = field(default_factory=dict)   # column → question text, when known
    value_labels: dict[str, dict[str, str]] = field(default_factory=dict)   # column → {code text → label}
    missing_values: dict[str, list[tuple]] = field(default_factory=dict)   # column → declared missing (low, high)
    renamed: dict[str, str] = field(default_factory=dict)   # name in the file → column name used
    source: str = ""               # how the file was read ("Qualtrics export (3 header rows)"), for summaries

    def row_number(self, index: int) -> int:
        """Row number (the file's own) of the 0-based data row ``index``."""
        return self.first_data_row + int(index)

    def label(self, column: str) -> str | None:
        return self.labels.get(column)


def read_table(path: Path, *, name: str | None = None, encoding: str = "auto", sheet: str | int | None = None,
               format: str = "auto", header_row: int = 1, meta: Path | None = None,
               meta_name: str | None = None) -> Table:
    """Read ``path`` as a :class:`Table`. ``format`` is ``survey.format`` (auto, csv, excel,
    qualtrics, surveymonkey, spss, parquet); ``header_row`` the 1-based row of the header in
    a CSV or worksheet; ``meta`` a Quantipy ``.meta.json`` whose labels are added."""
    path = Path(path)
    name = name or path.name
    if not path.exists():
        raise DataError(f"{name}: file not found")
    if path.is_dir():
        raise DataError(f"{name}: is a folder, not a data file (a folder of Parquet partitions is scored with "
                        "'cxreport score --stream', docs/batch.md)")
    size = path.stat().st_size
    if size == 0:
        raise DataError(f"{name}: the file is empty")
    if size > MAX_FILE_BYTES:
        raise DataError(f"{name}: the file is larger than {MAX_FILE_BYTES // 1_000_000_000} GB")
    kind = file_kind(path)
    if kind is None:
        raise DataError(f"{name}: unsupported file type '{path.suffix.lower()}' (use {SUPPORTED})")
    problem = format_problem(path, format, header_row, encoding, sheet)
    if problem:
        raise DataError(f"{name}: {problem}")
    try:
        table = _read(path, name, kind, encoding, sheet, format, header_row)
    except InputLimitError as exc:
        raise DataError(f"{name}: {exc}") from None
    except MemoryError:
        # pyarrow's ArrowMemoryError is a MemoryError too.
        raise DataError(f"{name}: not enough memory to read the file; see docs/security.md, Limits, "
                        "and docs/performance.md") from None
    if len(table.frame.columns) == 0:
        raise DataError(f"{name}: no header row found")
    if len(table.frame) == 0:
        raise DataError(f"{name}: has a header row but no data rows")
    if meta is not None:
        from cxreport.load.meta import read_quantipy_meta

        labels, value_labels = read_quantipy_meta(Path(meta), meta_name or Path(meta).name)
        table.labels.update({c: t for c, t in labels.items() if c in table.frame.columns})
        table.value_labels.update({c: v for c, v in value_labels.items() if c in table.frame.columns})
    return table


def _read(path: Path, name: str, kind: str, encoding: str, sheet, format: str, header_row: int) -> Table:
    if kind == "spss":
        from cxreport.load.spss import read_sav

        return read_sav(path, name)
    if kind == "parquet":
        return _read_parquet(path, name)
    if kind == "excel":
        grid = _read_xlsx_grid(path, name, sheet, header_row)
    else:
        grid = _read_csv_grid(path, name, encoding, header_row)
    layout = format if format in ("qualtrics", "surveymonkey") else ("plain" if format in ("csv", "excel") else "auto")
    laid = apply_layout(grid, name, layout)
    source = laid.description or (f"header on row {header_row}" if header_row > 1 else "")
    return Table(laid.frame, name, path, first_data_row=header_row + laid.header_rows, labels=laid.labels,
                 renamed=laid.renamed, source=source)


# --------------------------------------------------------------------------- encodings

#: Encodings suggested (never guessed silently) when a file is not UTF-8.
CANDIDATE_ENCODINGS = ("cp1252", "gb18030")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}")
SAMPLE_BYTES = 1 << 16


def _decodes(raw: bytes, encoding: str) -> bool:
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    # cp1252 text read as gb18030 yields Chinese; accept gb18030 only when the result has
    # runs of Chinese characters rather than isolated ones among Latin text.
    if encoding == "gb18030":
        return bool(_CJK_RUN.search(text))
    return True


def _utf16_without_bom(raw: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' when the zero bytes fall in every other position, as in
    UTF-16 text that is mostly Latin letters, digits and commas."""
    sample = raw[: 4096 - 4096 % 2]
    pairs = len(sample) // 2
    if pairs < 4:
        return None
    even = sum(1 for b in sample[0::2] if b == 0)
    odd = sum(1 for b in sample[1::2] if b == 0)
    if odd >= 0.4 * pairs and even <= 0.02 * pairs:
        return "utf-16-le"
    if even >= 0.4 * pairs and odd <= 0.02 * pairs:
        return "utf-16-be"
    return None


def _sample(raw: bytes) -> bytes:
    """The first 64 KB, cut after a line end so no character is split."""
    if len(raw) <= SAMPLE_BYTES:
        return raw
    cut = raw.rfind(b"\n", 0, SAMPLE_BYTES)
    return raw[: cut + 1] if cut > 0 else raw[:SAMPLE_BYTES]


def _single_byte(codec: str) -> bool:
    if codec.startswith(("utf", "gb", "big5", "shift", "euc", "iso2022", "cp932", "cp936", "cp949", "cp950")):
        return False
    try:
        return len(bytes(range(0x80, 0x100)).decode(codec, errors="replace")) == 128
    except LookupError:  # pragma: no cover - checked by the schema
        return False


def _excerpt(text: str, at: int) -> str:
    start = max(0, at - 12)
    return text[start: at + 12].replace("\r", " ").replace("\n", " ").strip()


def _first_non_ascii_line(raw: bytes) -> tuple[int, bytes] | None:
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if any(b >= 0x80 for b in line):
            return number, line
    return None


def _check_plausible(raw: bytes, text: str, name: str, encoding: str) -> None:
    """Catch an explicit encoding that decodes without error but gives the wrong letters.

    Detectable: a UTF-8 file read as anything else (its bytes form valid UTF-8, which text in
    another encoding practically never does); Chinese GB18030 read as a one-byte Western
    encoding (every accented character comes in pairs and the bytes read as runs of Chinese
    characters in GB18030); Western text read as GB18030 (Chinese characters only ever
    alone between Latin letters); a file without a single zero byte read as UTF-16. Not
    detectable: one one-byte encoding for another (cp1252 for cp1250, say), see docs/inputs.md. (A file
    without zero bytes read as UTF-16 is refused before decoding, in :func:`_decode`.)
    """
    codec = codecs.lookup(encoding).name
    sample = _sample(raw)
    if codec.startswith(("utf-16", "utf-32", "utf-8")):
        return
    found = _first_non_ascii_line(sample)
    if found is None:
        return
    number, line = found
    wrong = line.decode(codec, errors="replace")
    at = next(i for i, c in enumerate(wrong) if ord(c) >= 0x80)
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        right = line.decode("utf-8")
        at_right = next(i for i, c in enumerate(right) if ord(c) >= 0x80)
        raise DataError(
            f"{name}: survey.encoding is {encoding}, but the file is UTF-8 text (line {number} reads "
            f"'{_excerpt(wrong, at)}' as {encoding} and '{_excerpt(right, at_right)}' as UTF-8); "
            "remove survey.encoding or set it to auto")
    decoded = sample.decode(codec, errors="replace")
    if _single_byte(codec):
        runs = re.findall(r"[^\x00-\x7f]+", decoded)
        if runs and all(len(r) % 2 == 0 for r in runs) and _decodes(sample, "gb18030"):
            right = line.decode("gb18030", errors="replace")
            at_right = next((i for i, c in enumerate(right) if _CJK.match(c)), 0)
            raise DataError(
                f"{name}: survey.encoding is {encoding}, but the text looks like Chinese (GB18030) read as "
                f"{encoding}: line {number} reads '{_excerpt(wrong, at)}' as {encoding} and "
                f"'{_excerpt(right, at_right)}' as gb18030; set survey.encoding: gb18030")
    elif codec in ("gb18030", "gbk", "gb2312") and _CJK.search(decoded) and not _CJK_RUN.search(decoded):
        at_cjk = next((i for i, c in enumerate(wrong) if _CJK.match(c)), at)
        fits = [c for c in ("cp1252", "latin-1") if _decodes(sample, c)]
        raise DataError(
            f"{name}: survey.encoding is {encoding}, but the Chinese characters it gives stand alone between "
            f"Latin letters (line {number}: '{_excerpt(wrong, at_cjk)}'), as when Western text is read as "
            f"{encoding}; check survey.encoding (perhaps {fits[0] if fits else 'cp1252'})")


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
    if codecs.lookup(encoding).name.startswith(("utf-16", "utf-32")) and b"\x00" not in _sample(raw):
        raise DataError(f"{name}: survey.encoding is {encoding}, but the file has no zero bytes, so it is not "
                        f"{encoding} text; remove survey.encoding (UTF-8 is read by default)")
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise DataError(f"{name}: cannot be read as {encoding} (byte 0x{raw[exc.start]:02X} on line {line}); "
                        "check survey.encoding") from None
    _check_plausible(raw, text, name, encoding)
    return text.removeprefix("\ufeff")


# --------------------------------------------------------------------------- CSV


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


def _read_csv_grid(path: Path, name: str, encoding: str, header_row: int = 1) -> pd.DataFrame:
    """The CSV as a grid of text cells from the header row down (blank lines kept as blank rows)."""
    raw = path.read_bytes()
    if encoding == "auto":
        if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
            encoding = "utf-16"
        elif b"\x00" in raw[:4096]:
            encoding = _utf16_without_bom(raw) or ""
            if not encoding:
                raise DataError(f"{name}: looks like a binary file, not CSV text")
    text = _decode(raw, name, encoding or "auto")
    if not text.strip():
        raise DataError(f"{name}: the file is empty")
    skip = header_row - 1
    body = text
    if skip:
        lines = io.StringIO(text, newline="").readlines()
        if len(lines) <= skip:
            raise DataError(f"{name}: survey.header_row is {header_row}, but the file has only {len(lines)} lines")
        body = "".join(lines[skip:])
    delimiter = sniff_delimiter(body)
    try:
        grid = pd.read_csv(io.StringIO(text), dtype=str, header=None, keep_default_na=False, na_filter=False,
                           skip_blank_lines=False, engine="c", sep=delimiter, skiprows=skip)
    except pd.errors.ParserError as exc:
        raise DataError(f"{name}: cannot parse CSV: {_parser_message(exc)}") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{name}: the file is empty") from None
    _check_cell_lengths(grid, name, header_row, "); is a closing quote missing?")
    _check_cut_off(body, grid, name, header_row, delimiter)
    return grid


def _check_cell_lengths(grid: pd.DataFrame, name: str, header_row: int, hint: str) -> None:
    """A cell longer than :data:`MAX_CELL_CHARS` in the grid (row 0 = the header row).

    One vectorised length per cell (``str.len``), so the check is linear in the file: the
    earlier scan for a line of more than 32,767 characters (``[^\\n]{32768}``) restarted
    at every character of a long line and took 23 s for 200 comments of 30,000 characters.
    It also missed a long cell made of short lines.
    """
    for column in grid.columns:
        lengths = grid[column].fillna("").str.len()
        if len(lengths) and lengths.max() > MAX_CELL_CHARS:
            position = int(lengths.to_numpy().argmax())
            title = str(grid[column].iloc[0])[:40] if position else f"#{int(column) + 1}"
            raise DataError(f"{name}: row {header_row + position}, column '{title}': the cell is "
                            f"{int(lengths.iloc[position]):,} characters long (at most {MAX_CELL_CHARS:,}{hint}")


def _check_cut_off(body: str, grid: pd.DataFrame, name: str, header_row: int, delimiter: str) -> None:
    """Refuse a CSV whose last row has fewer fields than the header and no line end after it.

    That is how an export cut off mid-row (a download interrupted, a file truncated by a
    full disk or a size limit) ends, and such a row would count as a respondent with blank
    answers, while the rows after it are simply missing: the file must be exported again.
    A short row followed by a line end is read with blanks, as before, because some writers
    leave out trailing empty fields (tests/test_loader.py). A row with more fields than the
    header is refused by the parser already.
    """
    if not body or body[-1] in "\r\n" or len(grid) < 2:
        return
    last = grid.iloc[-1]
    if str(last.iloc[-1]) != "":
        return      # the last field is there: complete (or longer, which the parser refuses)
    # Only now (a file without a final line end whose last cell is blank) count the fields of
    # the last record, with the csv module, which keeps quoted line breaks inside a record.
    record: list[str] = []
    for record in csv.reader(io.StringIO(body, newline=""), delimiter=delimiter):
        pass
    if len(record) >= grid.shape[1] or not any(field.strip() for field in record):
        return
    row = header_row + len(grid) - 1
    raise DataError(f"{name}: row {row} has {len(record)} of the {grid.shape[1]} fields and the file ends there, "
                    "without a line end: the file looks cut off; export it again (or delete the incomplete row)")


def _parser_message(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[-1]
    text = text.replace("Error tokenizing data. C error: ", "")
    # "Expected 20 fields in line 57, saw 21": the line numbers are the file's lines.
    return text


# --------------------------------------------------------------------------- XLSX


def _read_xlsx_grid(path: Path, name: str, sheet: str | int | None, header_row: int = 1) -> pd.DataFrame:
    try:
        import openpyxl  # noqa: F401  (pandas needs it for .xlsx)
    except ImportError:  # pragma: no cover - a dependency
        raise DataError("reading .xlsx files needs the openpyxl package") from None
    from cxreport.load.limits import check_xlsx

    # Before openpyxl sees it: zip sizes and ratios, no DTD in any part, the sheet's declared
    # and used range (cxreport.load.limits). Raises InputLimitError (read_table names the file).
    check_xlsx(path, 0 if sheet is None else sheet)
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, ParseError) as exc:
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
            grid = pd.read_excel(book, sheet_name=target, dtype=str, keep_default_na=False, na_filter=False,
                                 header=None, skiprows=header_row - 1)
        except ValueError as exc:
            raise DataError(f"{name}: cannot read the sheet: {exc}") from None
        except (ParseError, zipfile.BadZipFile, KeyError, OSError) as exc:
            raise DataError(f"{name}: not a readable XLSX workbook ({type(exc).__name__})") from None
    if grid.shape[1] == 0 or grid.shape[0] == 0:
        if header_row > 1:
            raise DataError(f"{name}: survey.header_row is {header_row}, but the sheet has nothing from that row down")
        raise DataError(f"{name}: the sheet is empty")
    _check_cell_lengths(grid, name, header_row, ", Excel's own limit)")
    return grid


# --------------------------------------------------------------------------- Parquet


def _read_parquet(path: Path, name: str) -> Table:
    from cxreport.load.cells import arrow_text_cells
    from cxreport.load.formats import check_header
    from cxreport.load.limits import check_parquet

    try:
        import pyarrow as pa
        import pyarrow.parquet as pq

        # The footer first: rows and columns are refused before any data page is decoded.
        check_parquet(pq.read_metadata(path))
        schema = pq.read_schema(path)
        # Text columns are read as dictionaries, so a value repeated a million times stays one
        # value (and one Python string after conversion) instead of a million copies.
        texts = [f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
                 or pa.types.is_binary(f.type) or pa.types.is_large_binary(f.type)]
        data = pq.read_table(path, read_dictionary=texts or None)
    except InputLimitError:
        raise
    except (OSError, ValueError) as exc:   # pyarrow's ArrowInvalid is a ValueError
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        # pyarrow's message repeats the absolute path; the error names the file already.
        first = first.replace(f"Could not open Parquet input source '{path}': ", "").replace(str(path), name)
        raise DataError(f"{name}: not a readable Parquet file ({first})") from None
    except pa.lib.ArrowCapacityError as exc:
        raise DataError(f"{name}: too large to read ({str(exc).strip().splitlines()[0][:200]})") from None
    names = [str(n) for n in data.column_names]
    check_header(names, name)
    _check_arrow_lengths(data, names, name)
    try:
        frame = arrow_text_cells(data)
    # pyarrow raises ArrowNotImplementedError (a NotImplementedError) for column types pandas cannot hold.
    except (ValueError, TypeError, NotImplementedError) as exc:
        raise DataError(f"{name}: cannot convert the Parquet columns ({exc})") from None
    frame.columns = names
    return Table(frame, name, path, first_data_row=1, source="Parquet file")


def _check_arrow_lengths(data, names: list[str], name: str) -> None:
    """A text value longer than :data:`MAX_CELL_CHARS`, found with Arrow's vectorised
    lengths (of each dictionary's values, then of the rows that use a long one)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def lengths(array):
        kind = array.type
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            return pc.utf8_length(array)
        if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
            return pc.binary_length(array)
        return None

    for column, chunked in zip(names, data.columns):
        offset = 0
        for chunk in chunked.chunks:
            if pa.types.is_dictionary(chunk.type):
                sizes = lengths(chunk.dictionary)
                if sizes is not None and len(sizes) and (pc.max(sizes).as_py() or 0) > MAX_CELL_CHARS:
                    sizes = pc.take(sizes, chunk.indices)
                else:
                    sizes = None
            else:
                sizes = lengths(chunk)
            if sizes is not None and len(sizes):
                longest = pc.max(sizes).as_py() or 0
                if longest > MAX_CELL_CHARS:
                    position = pc.index(sizes, longest).as_py()
                    raise DataError(f"{name}: row {offset + position + 1}, column '{column[:40]}': the cell is "
                                    f"{longest:,} characters long (at most {MAX_CELL_CHARS:,}, Excel's own limit)")
            offset += len(chunk)
