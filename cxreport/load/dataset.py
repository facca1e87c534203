"""A survey read in batches: one Parquet file, a folder of Parquet files (Hive partitions such
as ``quarter=2026Q1/part-00000.parquet`` included) or one CSV file, as Arrow record batches of
at most :data:`BATCH_ROWS` rows, each with the file it comes from and the file's own row number
of its first row, so a message about a cell names the file, the row and the column as the
in-memory reader's do (``cxreport.load.tabular``).

Every file of a folder must have the columns of the first file (in natural order of their
paths), in the same order and of the same types; a file that differs is refused with one
line naming it, the column and both types, before any data is read. A file without rows (an
empty partition) gives no batch. Partition keys (``quarter=2026Q1``) are the folder names'
own: they are not columns of the survey (the data's own columns say what each response is).

This is the reading half of streamed scoring (issue 18); memory stays that of one batch.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from cxreport.errors import DataError

#: Rows per batch: large enough that per-batch work is vectorised, small enough that a batch of
#: a few dozen columns stays a few tens of megabytes.
BATCH_ROWS = 262_144


@dataclass
class Batch:
    """Consecutive rows of one file."""

    file: str                      # how messages name the file (relative to the project)
    first_row: int                 # the file's own row number of the batch's first row
    data: object                   # pyarrow.RecordBatch

    @property
    def rows(self) -> int:
        return self.data.num_rows


@dataclass
class SurveyFiles:
    """The files of a survey read in batches (:func:`open_survey`)."""

    path: Path
    name: str
    kind: str                                  # "parquet" or "csv"
    files: list[Path] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    types: dict[str, str] = field(default_factory=dict)     # column → Arrow type (Parquet), "string" (CSV)
    rows: int | None = None                    # from the Parquet footers; None for CSV (not known before reading)
    delimiter: str = ","
    encoding: str = "utf-8"

    def label(self, path: Path) -> str:
        """How messages name one of the files."""
        if path == self.path:
            return self.name
        return f"{self.name}/{path.relative_to(self.path).as_posix()}"


def _natural(path: Path) -> tuple:
    from cxreport.validate import natural_key

    return tuple(natural_key(part) for part in path.parts)


def open_survey(path: Path, name: str | None = None, encoding: str = "auto") -> SurveyFiles:
    """The survey at ``path`` (a ``.parquet`` or ``.csv`` file, or a folder of Parquet files),
    its files' columns checked against each other. ``name``: how messages name it;
    ``encoding``: a CSV file's (``survey.encoding``; auto: UTF-8, with or without a byte-order mark)."""
    path = Path(path)
    name = name or path.name
    if path.is_dir():
        files = sorted((p for p in path.rglob("*.parquet") if p.is_file()), key=lambda p: _natural(p.relative_to(path)))
        if not files:
            raise DataError(f"{name}: the folder holds no Parquet file (*.parquet)")
        return _parquet(path, name, files)
    if not path.is_file():
        raise DataError(f"{name}: file not found")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return _parquet(path, name, [path])
    if suffix in (".csv", ".txt", ".tsv"):
        return _csv(path, name, encoding)
    raise DataError(f"{name}: a survey read in batches is a Parquet file, a folder of Parquet files or a CSV "
                    f"file, not '{suffix or path.name}'")


def _parquet(path: Path, name: str, files: list[Path]) -> SurveyFiles:
    import pyarrow.parquet as pq

    survey = SurveyFiles(path, name, "parquet", files)
    total = 0
    first_schema = None
    for f in files:
        label = survey.label(f)
        try:
            meta = pq.read_metadata(f)
            schema = meta.schema.to_arrow_schema()
        except (OSError, ValueError) as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0].replace(str(f), label)
            raise DataError(f"{label}: not a readable Parquet file ({first})") from None
        total += int(meta.num_rows)
        if first_schema is None:
            first_schema = schema
            survey.columns = [str(n) for n in schema.names]
            survey.types = {str(fd.name): _type_name(fd.type) for fd in schema}
            if len(set(survey.columns)) != len(survey.columns):
                seen = [c for i, c in enumerate(survey.columns) if c in survey.columns[:i]]
                raise DataError(f"{label}: column '{seen[0]}' appears twice")
            continue
        types = {str(fd.name): _type_name(fd.type) for fd in schema}
        _same_columns(survey, label, [str(n) for n in schema.names], types, survey.label(files[0]))
        for column, kind in types.items():
            if survey.types[column] == "null":      # the first file had no value of it: the first that has
                survey.types[column] = kind
    survey.rows = total
    return survey


def _type_name(kind) -> str:
    """An Arrow type as compared between files: a dictionary-encoded column as its values' type
    (a writer's choice of encoding is not a different column)."""
    import pyarrow as pa

    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    if pa.types.is_large_string(kind):
        return "string"
    return str(kind)


def _same_columns(survey: SurveyFiles, label: str, columns: list[str], types: dict[str, str], first: str) -> None:
    expected = survey.columns
    missing = [c for c in expected if c not in columns]
    extra = [c for c in columns if c not in expected]
    if missing or extra:
        parts = []
        if missing:
            parts.append("no column " + ", ".join(f"'{c}'" for c in missing[:5]))
        if extra:
            parts.append("a column " + ", ".join(f"'{c}'" for c in extra[:5]) + " that the other files lack")
        raise DataError(f"{label}: {' and '.join(parts)} (every file of the survey has the columns of {first})")
    if columns != expected:
        at = next(i for i, (a, b) in enumerate(zip(columns, expected)) if a != b)
        raise DataError(f"{label}: the columns are in another order than in {first} (column {at + 1} is "
                        f"'{columns[at]}', there '{expected[at]}'); write every file with the same columns in "
                        "the same order")
    for column in expected:
        # A column a writer had no value for may be untyped ("null"): it holds no data to differ.
        if types[column] != survey.types[column] and "null" not in (types[column], survey.types[column]):
            raise DataError(f"{label}: column '{column}' is {types[column]}, in {first} {survey.types[column]}; "
                            "write every file with the same column types")


def _codec(name: str) -> str:
    """A codec's canonical name ('UTF8' → 'utf-8'); the name itself when Python does not know it."""
    import codecs

    try:
        return codecs.lookup(name).name
    except LookupError:
        return name


def _csv(path: Path, name: str, given: str = "auto") -> SurveyFiles:
    """A CSV file read in batches: UTF-8 (with or without a byte-order mark) or the ``given``
    encoding, the delimiter sniffed from its first 64 KB, every column as text."""
    from cxreport.load.tabular import sniff_delimiter

    with path.open("rb") as handle:
        head = handle.read(65_536)
    if not head.strip():
        raise DataError(f"{name}: the file is empty")
    encoding = "utf-8-sig" if head.startswith(b"\xef\xbb\xbf") else "utf-8"
    if given != "auto" and _codec(given) not in ("utf-8", "utf-8-sig"):
        encoding = given
    try:
        text = head.decode(encoding)
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:            # not a character cut at the end of the sample
            raise DataError(f"{name}: byte {exc.start + 1} is not {encoding} text; save the file as UTF-8 CSV "
                            "or set survey.encoding") from None
        text = head[:exc.start].decode(encoding)
    delimiter = sniff_delimiter(text)
    import csv

    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(reader, [])
    columns = [c.strip().lstrip("\ufeff") for c in header]
    import pandas as pd

    from cxreport.load.formats import detect

    grid = pd.DataFrame([header] + [row for _i, row in zip(range(2), reader)], dtype=object).fillna("")
    kind = detect(grid)
    if kind != "plain":
        raise DataError(f"{name}: a {'Qualtrics' if kind == 'qualtrics' else 'SurveyMonkey'} export (more than one "
                        "header row) is not read in batches; score it in memory (--in-memory), or export its "
                        "answers as plain CSV or Parquet")
    if not any(columns):
        raise DataError(f"{name}: the first line (the header) is empty")
    return SurveyFiles(path, name, "csv", [path], columns, {c: "string" for c in columns}, None, delimiter, encoding)


def batches(survey: SurveyFiles, columns: list[str] | None = None, rows: int = BATCH_ROWS,
            files: list[int] | None = None) -> Iterator[Batch]:
    """The survey's rows in batches of at most ``rows``, file after file (``columns``: only these;
    ``files``: only the files at these positions of :attr:`SurveyFiles.files`)."""
    wanted = list(columns) if columns is not None else list(survey.columns)
    unknown = [c for c in wanted if c not in survey.columns]
    if unknown:
        raise DataError(f"{survey.name}: no column '{unknown[0]}'")
    chosen = survey.files if files is None else [survey.files[i] for i in files]
    if survey.kind == "parquet":
        yield from _parquet_batches(survey, wanted, rows, chosen)
    else:
        yield from _csv_batches(survey, wanted, rows)


def file_rows(survey: SurveyFiles) -> list[int] | None:
    """The rows of each file, from the Parquet footers (None for a CSV file: not known before reading)."""
    if survey.kind != "parquet":
        return None
    import pyarrow.parquet as pq

    return [pq.ParquetFile(f).metadata.num_rows for f in survey.files]


def _parquet_batches(survey: SurveyFiles, columns: list[str], rows: int, files: list[Path]) -> Iterator[Batch]:
    import pyarrow.parquet as pq

    for f in files:
        label = survey.label(f)
        row = 1                      # a Parquet file has no header row: its first record is row 1
        try:
            reader = pq.ParquetFile(f)
            for data in reader.iter_batches(batch_size=rows, columns=columns):
                if data.num_rows:
                    yield Batch(label, row, data)
                    row += data.num_rows
        except (OSError, ValueError) as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0].replace(str(f), label)
            raise DataError(f"{label}: cannot read the rows after row {row - 1} ({first})") from None


def _csv_batches(survey: SurveyFiles, columns: list[str], rows: int) -> Iterator[Batch]:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    path = survey.path
    block = max(1 << 20, min(64 << 20, rows * 256))
    utf8 = survey.encoding in ("utf-8", "utf-8-sig")
    read = pcsv.ReadOptions(encoding="utf8" if utf8 else survey.encoding, block_size=block, use_threads=False)
    # Blank lines are rows (blank cells), as the in-memory reader counts them.
    parse = pcsv.ParseOptions(delimiter=survey.delimiter, newlines_in_values=True, ignore_empty_lines=False)
    convert = pcsv.ConvertOptions(column_types={c: pa.string() for c in survey.columns}, include_columns=columns,
                                  strings_can_be_null=False, quoted_strings_can_be_null=False)
    row = 2                          # the header is row 1
    try:
        with path.open("rb") as raw:
            if survey.encoding == "utf-8-sig":
                raw.read(3)
            reader = pcsv.open_csv(raw, read_options=read, parse_options=parse, convert_options=convert)
            for data in reader:
                start = 0
                while start < data.num_rows:
                    part = data.slice(start, rows)
                    yield Batch(survey.name, row, part)
                    row += part.num_rows
                    start += part.num_rows
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        message = " ".join(str(exc).split())[:200]
        raise DataError(f"{survey.name}: cannot read the rows after row {row - 1} ({message})") from None
