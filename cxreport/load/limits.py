"""Resource limits checked before a compressed input is materialised.

A few kilobytes of XLSX or Parquet can describe gigabytes of cells: a worksheet with one
cell at ``XFD1048576`` makes every reader fill a rectangle of 17 billion cells, a Parquet
file of one repeated value run-length encoded 30 million times becomes 30 million rows.
CSV has no such leverage (a cell costs at least one byte of the file), so the limits here
apply to the formats that compress: XLSX/XLSM (:func:`check_xlsx`), Parquet
(:func:`check_parquet`) and SPSS (:func:`check_table_shape`, from the file's header).
Each check reads only the zip directory, the XML prologs, one worksheet streamed in
pieces, or the Parquet footer — never materialising the cells — and raises
:class:`InputLimitError` with a one-line message that does not name the file (the caller
does: ``f"{name}: {exc}"``).

The limits (documented in docs/security.md, "Limits"):

=================================  ==============  =============================================
``MAX_TABLE_ROWS``                 5,000,000       data rows of a Parquet or SPSS file
``MAX_TABLE_COLUMNS``              16,384          columns of a Parquet or SPSS file (Excel's width)
``MAX_TABLE_CELLS``                100,000,000     rows × columns of a Parquet or SPSS file
``MAX_PARQUET_UNPACKED``           2,000,000,000   bytes of a Parquet file's pages, decompressed
``MAX_XLSX_CELLS``                 20,000,000      rows × columns of a worksheet's declared or used range
``MAX_XLSX_UNCOMPRESSED``          1,000,000,000   bytes of all the parts of a workbook, unpacked
``MAX_XLSX_RATIO``                 200             unpacked ÷ packed size of a part over 1 MB unpacked
``MAX_XLSX_PARTS``                 10,000          files inside the workbook's zip
=================================  ==============  =============================================

and no part of a workbook may have a ``<!DOCTYPE …>`` (document type definitions are how
entity-expansion bombs are written; Excel never writes one).

Why these values (measured on the project's 2-core VM, see docs/performance.md): the rest
of the pipeline costs about 0.5 KB per row of a realistic survey (2 million rows × 6
columns validated in 12 s at 1.1 GB), so 5 million rows is five times the 1-million-row
benchmark and about what a 8–16 GB workstation can still score. A worksheet's used range
is materialised by openpyxl and pandas at about 0.4 µs and 25 bytes per cell even when it
is empty, so 20 million cells (a full-height sheet of 19 columns, or 20,000 rows × 1,000
columns) stays under about 8 s and 0.6 GB. Workbooks that Excel and openpyxl write pack
their sheets 10 to 20 to one; 200 to one leaves room for very repetitive data.
"""

from __future__ import annotations

import io
import operator
import os
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import BinaryIO
from xml.parsers import expat

#: Data rows of a Parquet or SPSS file.
MAX_TABLE_ROWS = 5_000_000
#: Columns of a Parquet or SPSS file: Excel's own width, so every column fits an appendix workbook.
MAX_TABLE_COLUMNS = 16_384
#: Rows × columns of a Parquet or SPSS file (and leaf values of its nested columns).
MAX_TABLE_CELLS = 100_000_000
#: Bytes of a Parquet file's pages once decompressed (its row groups' ``total_byte_size``):
#: the largest survey file read (tabular.MAX_FILE_BYTES).
MAX_PARQUET_UNPACKED = 2_000_000_000
#: Rows × columns of the declared or used range of a worksheet.
MAX_XLSX_CELLS = 20_000_000
#: Bytes of all the parts of a workbook, unpacked.
MAX_XLSX_UNCOMPRESSED = 1_000_000_000
#: Unpacked ÷ packed size of one part of a workbook (checked for parts over :data:`RATIO_FLOOR` bytes).
MAX_XLSX_RATIO = 200
RATIO_FLOOR = 1_000_000
#: Files inside a workbook's zip.
MAX_XLSX_PARTS = 10_000
#: Excel's grid: a reference beyond it is not a worksheet cell.
EXCEL_ROWS, EXCEL_COLUMNS = 1_048_576, 16_384

WHERE = "see docs/security.md, Limits"
CHUNK = 1 << 16


class InputLimitError(ValueError):
    """A file is refused before it is read: over a limit, or not a readable workbook.

    The message is one line and does not name the file.
    """


@dataclass
class XlsxShape:
    """What :func:`check_xlsx` found out about the worksheet that will be read."""

    sheet: str                          # the sheet's name ("" when no sheet was checked)
    part: str                           # its part in the zip, e.g. xl/worksheets/sheet1.xml
    declared: str = ""                  # its <dimension ref>, as written
    rows: int = 0                       # used range: highest row of a cell or <row>
    columns: int = 0                    # used range: highest column of a cell
    cells: int = 0                      # cell elements in the sheet
    unpacked: int = 0                   # bytes of all parts, unpacked


def _count(n: int) -> str:
    return f"{n:,}"


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1000
    return f"{n:,.1f} GB"  # pragma: no cover


# --------------------------------------------------------------------------- cell references

_REF = re.compile(r"^\$?([A-Za-z]{1,7})\$?([0-9]{1,10})$")


def column_number(letters: str) -> int:
    number = 0
    for ch in letters.upper():
        number = number * 26 + ord(ch) - 64
    return number


def column_letters(number: int) -> str:
    out = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        out = chr(65 + rest) + out
    return out or "A"


def parse_ref(ref: str) -> tuple[int, int] | None:
    """(row, column) of an A1 reference, or None when it is not one."""
    m = _REF.match(ref.strip())
    if not m:
        return None
    return int(m.group(2)), column_number(m.group(1))


def parse_range(ref: str) -> tuple[int, int] | None:
    """(rows, columns) spanned from A1 to the far corner of ``A1:XFD1048576`` (or of ``B2``)."""
    far = ref.strip().split(":")[-1]
    return parse_ref(far) if far else None


# --------------------------------------------------------------------------- XML streaming


class _Stop(Exception):
    """Ends an expat parse early (the part has been read far enough)."""


class _Refused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _parser(part: str) -> expat.XMLParserType:
    parser = expat.ParserCreate()

    def doctype(*_args):
        raise _Refused(f"part {part} has a <!DOCTYPE> declaration; document type definitions and entities "
                       "are refused in a workbook (Excel never writes them)")

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    # Never fetch or expand anything external.
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.ExternalEntityRefHandler = lambda *args: 0
    return parser


def _feed(parser, stream: BinaryIO, part: str, limit: int) -> int:
    """Feed the part to ``parser`` in chunks; the number of bytes read."""
    read = 0
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            break
        read += len(chunk)
        if read > limit:
            raise _Refused(f"part {part} unpacks to more than its declared size")
        parser.Parse(chunk, False)
    parser.Parse(b"", True)
    return read


def _check_prolog(book: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Refuse a part whose prolog declares a DOCTYPE; stop at its root element.

    A part that is not XML (an image, vbaProject.bin) stops the parser with a syntax error,
    which is not this check's business.
    """
    parser = _parser(info.filename)

    def root(*_args):
        raise _Stop

    parser.StartElementHandler = root
    try:
        with book.open(info) as stream:
            _feed(parser, stream, info.filename, info.file_size)
    except (_Stop, expat.ExpatError):
        return


# --------------------------------------------------------------------------- which sheet


def _attr(attrs: dict, local: str) -> str | None:
    for key, value in attrs.items():
        if key == local or key.rpartition(":")[2] == local:
            return value
    return None


def _elements(book: zipfile.ZipFile, name: str, wanted: set[str]) -> list[tuple[str, dict]]:
    """(local name, attributes) of the ``wanted`` elements of a small XML part."""
    found: list[tuple[str, dict]] = []
    try:
        info = book.getinfo(name)
    except KeyError:
        return found
    if info.file_size > 50_000_000:
        return found
    parser = _parser(name)

    def start(tag, attrs):
        local = tag.rpartition(":")[2]
        if local in wanted:
            found.append((local, attrs))

    parser.StartElementHandler = start
    try:
        with book.open(info) as stream:
            _feed(parser, stream, name, info.file_size)
    except expat.ExpatError:
        pass
    return found


def _resolve(base: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    parts: list[str] = []
    for piece in (str(PurePosixPath(base).parent / target)).split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece not in ("", "."):
            parts.append(piece)
    return "/".join(parts)


def _rels_of(part: str) -> str:
    path = PurePosixPath(part)
    return str(path.parent / "_rels" / f"{path.name}.rels").lstrip("./")


def worksheets(book: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, part) of every worksheet, in the workbook's order (chart sheets left out,
    as openpyxl and pandas leave them out of their sheet list)."""
    workbook = "xl/workbook.xml"
    for _local, attrs in _elements(book, "_rels/.rels", {"Relationship"}):
        if (attrs.get("Type") or "").endswith("/officeDocument") and attrs.get("Target"):
            workbook = _resolve("", attrs["Target"])
            break
    rels = {attrs.get("Id"): attrs for _local, attrs in _elements(book, _rels_of(workbook), {"Relationship"})}
    out = []
    for _local, attrs in _elements(book, workbook, {"sheet"}):
        rel = rels.get(_attr(attrs, "id") or "")
        if not rel or not (rel.get("Type") or "").endswith("/worksheet") or not rel.get("Target"):
            continue
        out.append((attrs.get("name") or "", _resolve(workbook, rel["Target"])))
    return out


# --------------------------------------------------------------------------- the used range


def _label(shape: XlsxShape, info: zipfile.ZipInfo) -> str:
    return f"sheet '{shape.sheet}'" if shape.sheet else f"worksheet {info.filename}"


def _refuse_range(label: str, what: str, rows: int, columns: int, max_cells: int) -> None:
    raise _Refused(
        f"{label} {what} ({_count(rows)} rows × {_count(columns)} columns = {_count(rows * columns)} cells); "
        f"at most {_count(max_cells)} cells are read from a worksheet ({WHERE}): delete the rows and "
        "columns beyond the data (Ctrl+End in Excel shows the last cell), or save the sheet as CSV")


def _check_dimension(shape: XlsxShape, label: str, ref: str, max_cells: int) -> None:
    shape.declared = ref[:40]
    span = parse_range(ref)
    if span is not None:
        rows, columns = span
        if rows * columns > max_cells or rows > EXCEL_ROWS or columns > EXCEL_COLUMNS:
            _refuse_range(label, f"declares the range {ref[:40]}", rows, columns, max_cells)


def _check_corner(shape: XlsxShape, label: str, max_cells: int) -> None:
    if shape.columns > EXCEL_COLUMNS:
        raise _Refused(f"{label} has a cell in column {_count(shape.columns)}, beyond Excel's last column "
                       f"XFD ({_count(EXCEL_COLUMNS)})")
    if shape.rows > EXCEL_ROWS:
        raise _Refused(f"{label} has row {_count(shape.rows)}, beyond Excel's last row ({_count(EXCEL_ROWS)})")
    if shape.rows * shape.columns > max_cells:
        corner = f"{column_letters(shape.columns)}{shape.rows}"
        _refuse_range(label, f"has cells as far as {corner}, so its used range is A1:{corner}", shape.rows,
                      shape.columns, max_cells)


# Worksheet XML as Excel, openpyxl and LibreOffice lay it out: the default namespace (no
# prefix on tags), every <row> and <c> with ``r="…"`` as its first attribute after one space.
# The fast scan counts every <row>/<c> start tag and the ones of that form; when the counts
# differ (a cell without ``r``, attributes in another order), a tag has a prefix (``<x:c>``,
# as some generators write) or the text is UTF-16, the sheet is streamed through expat instead.
_CELL_ANY = re.compile(rb"<c[\s/>]")
_CELL_LETTERS = re.compile(rb'<c r="([A-Za-z]{1,3})[0-9]')
_CELL_DIGITS = re.compile(rb'<c r="[A-Za-z]{1,3}([0-9]{1,7})"')
_ROW_ANY = re.compile(rb"<row[\s/>]")
_ROW_DIGITS = re.compile(rb'<row r="([0-9]{1,7})"')
_DIMENSION = re.compile(rb'<dimension ref="([^"]{0,60})"')
_DIMENSION_ANY = re.compile(rb"<dimension[\s/>]")
_PREFIXED = (b":c", b":row", b":dimension")
_PREFIXED_TAG = re.compile(rb"<[A-Za-z_][\w.\-]*:(?:c|row|dimension)[\s/>]")
_PAD = operator.methodcaller("rjust", 3, b"@")    # "@" sorts before "A": "@@Z" < "@AA"


def _scan_sheet_fast(book: zipfile.ZipFile, info: zipfile.ZipInfo, shape: XlsxShape, max_cells: int) -> bool:
    """The highest row and column of the sheet's cells from a regular-expression scan of its
    XML in 1 MB pieces (about five times faster than expat with a Python handler per element);
    False when the sheet is not laid out as the scan expects (then nothing is concluded)."""
    label = _label(shape, info)
    carry = b""
    first = True
    with book.open(info) as stream:
        while True:
            chunk = stream.read(1 << 20)
            data = carry + chunk
            if first:
                first = False
                if b"\x00" in data[:4096] or data[:2] in (b"\xff\xfe", b"\xfe\xff"):
                    return False            # UTF-16: the byte patterns do not apply
            if chunk:
                # The last tag may be cut in two: keep its start for the next piece. The
                # patterns need its first 80 bytes at most, and no tag starts after it.
                cut = data.rfind(b"<")
                if cut < 0:
                    piece, carry = b"", b""
                else:
                    piece, carry = data[:cut], data[cut:cut + 256]
            else:
                piece, carry = data, b""
            if any(tag in piece for tag in _PREFIXED) and _PREFIXED_TAG.search(piece):
                return False
            dims = _DIMENSION.findall(piece)
            if len(dims) != len(_DIMENSION_ANY.findall(piece)):
                return False
            for ref in dims:
                _check_dimension(shape, label, ref.decode("ascii", "replace"), max_cells)
            cells = len(_CELL_ANY.findall(piece))
            digits = _CELL_DIGITS.findall(piece)
            rows = _ROW_DIGITS.findall(piece)
            if len(digits) != cells or len(rows) != len(_ROW_ANY.findall(piece)):
                return False
            if digits:
                letters = _CELL_LETTERS.findall(piece)
                shape.cells += cells
                shape.rows = max(shape.rows, max(map(int, digits)))
                shape.columns = max(shape.columns, column_number(max(map(_PAD, map(bytes.upper, letters)))
                                                                 .lstrip(b"@").decode("ascii")))
            if rows:
                shape.rows = max(shape.rows, max(map(int, rows)))
            _check_corner(shape, label, max_cells)
            if not chunk:
                return True


def _scan_sheet(book: zipfile.ZipFile, info: zipfile.ZipInfo, shape: XlsxShape, max_cells: int) -> None:
    """The worksheet's declared dimension, and the highest row and column of any cell (as
    openpyxl counts them: a row or cell without ``r`` follows the previous one). Stops as
    soon as a limit is passed."""
    if _scan_sheet_fast(book, info, shape, max_cells):
        return
    shape.declared, shape.rows, shape.columns, shape.cells = "", 0, 0, 0
    _scan_sheet_expat(book, info, shape, max_cells)


def _scan_sheet_expat(book: zipfile.ZipFile, info: zipfile.ZipInfo, shape: XlsxShape, max_cells: int) -> None:
    """:func:`_scan_sheet` for any well-formed worksheet XML, streamed through expat."""
    label = _label(shape, info)
    parser = _parser(info.filename)
    state = {"row": 0, "col": 0}

    def start(tag, attrs):
        local = tag.rpartition(":")[2]
        if local == "c":
            ref = attrs.get("r")
            if ref:
                where = parse_ref(ref)
                if where is None:
                    raise _Refused(f"{label} has a cell with the invalid reference '{ref[:20]}'")
                row, col = where
                state["col"] = col
                if row > shape.rows:
                    shape.rows = row
            else:
                state["col"] += 1
                col = state["col"]
                row = state["row"]
                if row > shape.rows:
                    shape.rows = row
            shape.cells += 1
            if col > shape.columns:
                shape.columns = col
            if shape.rows * shape.columns > max_cells or col > EXCEL_COLUMNS or shape.rows > EXCEL_ROWS:
                _check_corner(shape, label, max_cells)
        elif local == "row":
            ref = attrs.get("r")
            if ref:
                try:
                    state["row"] = int(float(ref))
                except (ValueError, OverflowError):
                    raise _Refused(f"{label} has a row with the invalid number '{ref[:20]}'") from None
            else:
                state["row"] += 1
            state["col"] = 0
            if state["row"] > shape.rows:
                shape.rows = state["row"]
                if shape.rows > EXCEL_ROWS:
                    _check_corner(shape, label, max_cells)
        elif local == "dimension":
            _check_dimension(shape, label, attrs.get("ref") or "", max_cells)

    parser.StartElementHandler = start
    try:
        with book.open(info) as stream:
            _feed(parser, stream, info.filename, info.file_size)
    except expat.ExpatError as exc:
        raise _Refused(f"{label} is not well-formed XML (line {exc.lineno}, column {exc.offset})") from None


# --------------------------------------------------------------------------- the check


def _parts_in_directory(fileobj: BinaryIO) -> int | None:
    """Entries the zip's end-of-central-directory record announces (before zipfile reads them all)."""
    try:
        end = zipfile._EndRecData(fileobj)  # noqa: SLF001 - the same parser zipfile uses
    except (AttributeError, OSError, ValueError, struct.error):
        return None
    finally:
        fileobj.seek(0)
    if not end:
        return None
    return int(end[zipfile._ECD_ENTRIES_TOTAL])  # noqa: SLF001


def check_xlsx(source: str | os.PathLike | bytes | BinaryIO, sheet: str | int | None = 0, *,
               max_cells: int | None = None, max_uncompressed: int | None = None,
               max_ratio: float | None = None, max_parts: int | None = None) -> XlsxShape:
    """Check an XLSX/XLSM workbook before openpyxl or pandas opens it.

    ``source`` is a path, the file's bytes or a seekable binary file; ``sheet`` the worksheet
    that will be read: a name, an index among the worksheets (0 = the first, as
    ``pandas.read_excel`` and ``openpyxl``'s ``book.worksheets[0]`` count), None for the
    first. Refuses, with :class:`InputLimitError`:

    - a file that is not a zip (``not a readable XLSX workbook (BadZipFile)``);
    - more than ``max_parts`` files in the zip, more than ``max_uncompressed`` bytes unpacked
      in all, or a part over 1 MB that unpacks more than ``max_ratio`` times its packed size;
    - a ``<!DOCTYPE``/``<!ENTITY`` in any XML part (entity expansion);
    - a worksheet whose declared ``<dimension ref>`` or whose used range (the highest row
      × the highest column of any cell or row, found by streaming the sheet's XML in 1 MB
      pieces through regular expressions, or through expat when the XML is not laid out
      as Excel writes it) exceeds ``max_cells``, or that goes beyond Excel's grid.

    A sheet name or index that does not exist is not refused here (the reader says which
    sheets there are); then only the zip and the prologs are checked. Returns what was
    found (:class:`XlsxShape`). Memory: a few chunks; time: linear in the sheet's XML.
    The limits default to :data:`MAX_XLSX_CELLS`, :data:`MAX_XLSX_UNCOMPRESSED`,
    :data:`MAX_XLSX_RATIO` and :data:`MAX_XLSX_PARTS`; a caller may pass tighter ones.
    """
    max_cells = MAX_XLSX_CELLS if max_cells is None else max_cells
    max_uncompressed = MAX_XLSX_UNCOMPRESSED if max_uncompressed is None else max_uncompressed
    max_ratio = MAX_XLSX_RATIO if max_ratio is None else max_ratio
    max_parts = MAX_XLSX_PARTS if max_parts is None else max_parts
    if isinstance(source, (bytes, bytearray, memoryview)):
        fileobj: BinaryIO = io.BytesIO(bytes(source))
        owned = False
    elif isinstance(source, (str, os.PathLike)):
        fileobj = open(source, "rb")  # noqa: SIM115 - closed below
        owned = True
    else:
        fileobj, owned = source, False
    try:
        return _check(fileobj, sheet, max_cells, max_uncompressed, max_ratio, max_parts)
    finally:
        if owned:
            fileobj.close()
        else:
            try:
                fileobj.seek(0)
            except (OSError, ValueError):
                pass


def _check(fileobj: BinaryIO, sheet, max_cells, max_uncompressed, max_ratio, max_parts) -> XlsxShape:
    announced = _parts_in_directory(fileobj)
    if announced is not None and announced > max_parts:
        raise InputLimitError(f"the workbook's zip holds {_count(announced)} files; at most {_count(max_parts)} "
                              f"are accepted ({WHERE})")
    try:
        book = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise InputLimitError(f"not a readable XLSX workbook ({type(exc).__name__})") from None
    with book:
        infos = book.infolist()
        if len(infos) > max_parts:
            raise InputLimitError(f"the workbook's zip holds {_count(len(infos))} files; at most "
                                  f"{_count(max_parts)} are accepted ({WHERE})")
        total = sum(max(i.file_size, 0) for i in infos)
        if total > max_uncompressed:
            raise InputLimitError(f"the workbook unpacks to {_size(total)}; at most {_size(max_uncompressed)} "
                                  f"is read ({WHERE})")
        for info in infos:
            if info.file_size > RATIO_FLOOR and info.file_size > max_ratio * max(info.compress_size, 1):
                ratio = info.file_size / max(info.compress_size, 1)
                raise InputLimitError(
                    f"part {info.filename[:80]} unpacks from {_size(info.compress_size)} to {_size(info.file_size)} "
                    f"({ratio:,.0f} to 1; at most {max_ratio:,.0f} to 1 is accepted, {WHERE})")
        shape = XlsxShape("", "", unpacked=total)
        try:
            for info in infos:
                if not info.is_dir():
                    _check_prolog(book, info)
            sheets = worksheets(book)
            target = None
            if sheet is None:
                sheet = 0
            if isinstance(sheet, int):
                if 0 <= sheet < len(sheets):
                    target = sheets[sheet]
            else:
                target = next((s for s in sheets if s[0] == sheet), None)
            if target is not None:
                shape.sheet, shape.part = target
                try:
                    info = book.getinfo(shape.part)
                except KeyError:
                    info = None
                if info is not None:
                    _scan_sheet(book, info, shape, max_cells)
        except _Refused as exc:
            raise InputLimitError(exc.message) from None
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError, RuntimeError) as exc:
            # A damaged or encrypted part, an unsupported compression method, a CRC mismatch.
            raise InputLimitError(f"not a readable XLSX workbook ({type(exc).__name__})") from None
    return shape


# --------------------------------------------------------------------------- tables


def check_table_shape(rows: int | None, columns: int, what: str, *, values: int | None = None,
                      max_rows: int | None = None, max_columns: int | None = None,
                      max_cells: int | None = None) -> None:
    """Refuse a table of ``rows`` × ``columns`` (as its metadata says) over the limits
    (default: :data:`MAX_TABLE_ROWS`, :data:`MAX_TABLE_COLUMNS`, :data:`MAX_TABLE_CELLS`).
    ``what`` names the rows ("records", "cases"); ``values`` counts nested leaf values
    when there are any."""
    max_rows = MAX_TABLE_ROWS if max_rows is None else max_rows
    max_columns = MAX_TABLE_COLUMNS if max_columns is None else max_columns
    max_cells = MAX_TABLE_CELLS if max_cells is None else max_cells
    if rows is not None and rows > max_rows:
        raise InputLimitError(f"{_count(rows)} {what}; at most {_count(max_rows)} are read ({WHERE}): "
                              "split the file, for example by period")
    if columns > max_columns:
        raise InputLimitError(f"{_count(columns)} columns; at most {_count(max_columns)} are read ({WHERE})")
    cells = max(values or 0, (rows or 0) * columns)
    if cells > max_cells:
        raise InputLimitError(f"{_count(rows or 0)} {what} × {_count(columns)} columns = {_count(cells)} values; "
                              f"at most {_count(max_cells)} are read ({WHERE}): leave out the columns "
                              "the project does not use, or split the file")


def check_parquet(metadata) -> None:
    """Check a Parquet file's footer (``pyarrow.parquet.FileMetaData``) before its data is read:
    rows, columns and values (:func:`check_table_shape`), and the size of its pages once
    decompressed (:data:`MAX_PARQUET_UNPACKED`, which catches a dictionary of long distinct
    values packed small)."""
    unpacked = sum(max(int(metadata.row_group(g).total_byte_size), 0) for g in range(metadata.num_row_groups))
    if unpacked > MAX_PARQUET_UNPACKED:
        raise InputLimitError(f"its data unpacks to {_size(unpacked)}; at most {_size(MAX_PARQUET_UNPACKED)} "
                              f"is read, as for any survey file ({WHERE})")
    rows = int(metadata.num_rows)
    schema = metadata.schema
    columns = len(schema.to_arrow_schema()) if hasattr(schema, "to_arrow_schema") else int(metadata.num_columns)
    values = None
    if int(metadata.num_columns) != columns or _nested(schema):
        # Nested columns: count the leaf values the row groups hold.
        if metadata.num_row_groups * metadata.num_columns <= 1_000_000:
            values = sum(metadata.row_group(g).column(c).num_values
                         for g in range(metadata.num_row_groups) for c in range(metadata.num_columns))
        else:
            values = rows * int(metadata.num_columns)
    check_table_shape(rows, columns, "records", values=values)


def _nested(schema) -> bool:
    try:
        return any(schema.column(i).max_repetition_level > 0 for i in range(len(schema)))
    except (AttributeError, IndexError):  # pragma: no cover - older pyarrow
        return False
