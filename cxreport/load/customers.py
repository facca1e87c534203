"""Read a customer file (CSV or XLSX) for the customer-value analysis (issue 16, item 6).

The file is read by :func:`cxreport.load.tabular.read_table` (with its size, cell and
workbook limits), every cell as text; a plain UTF-8 CSV by Arrow's CSV reader instead
(:func:`_fast_csv`: the same cells and row numbers under the same limits; a 1,000,000-customer
file is read and checked in half the time; anything it is not certain to read alike goes to
``read_table``, so every message is ``read_table``'s). Two layouts:

- ``customers``: one row per customer — id, then either recency in days or the date of the
  last purchase, frequency and monetary value, and optionally tenure, a value tier, a
  churned flag and segment columns. A blank or repeated customer id, or a recency,
  frequency or monetary cell that is blank, not a number or negative (monetary may be
  negative), is an error naming the rows: the RFM ranks need every customer.
- ``transactions``: one row per purchase — customer id, date, amount (a negative amount is
  a refund), and optionally the same per-customer columns (a customer's first non-blank
  value is used). A row with a blank id, a date that is not a date or an amount that is
  not a number is excluded, counted and named (:meth:`CustomerFile.warnings`), as the case
  log does; a file with no usable row is an error.

A mapped column that is not in the file is an error naming the column and the closest match.
Dates are read one way for the whole column by :func:`cxreport.load.dates.parse_dates`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from cxreport.errors import DataError
from cxreport.scoring import value as _value

MAX_EXAMPLES = 5

BLANK_ID = "blank customer id"
BAD_DATE = "date not readable"
BAD_AMOUNT = "amount not a number"
REASONS = (BLANK_ID, BAD_DATE, BAD_AMOUNT)


@dataclass(frozen=True)
class CustomerColumns:
    """Which column holds what (column names as in the file's header)."""

    customer_id: str
    date: str | None = None            # transactions: purchase date
    amount: str | None = None          # transactions: amount
    recency: str | None = None         # customers: days since the last purchase
    last_purchase: str | None = None   # customers: date of the last purchase (instead of recency)
    frequency: str | None = None       # customers: purchases in the window
    monetary: str | None = None        # customers: spend in the window
    tenure: str | None = None          # months or years as a customer (a number)
    value_tier: str | None = None      # the client's own tier (text)
    churned: str | None = None         # yes/no, 1/0, true/false
    segments: dict[str, str] = field(default_factory=dict)   # name → column


@dataclass
class CustomerFile:
    """A customer file, cleaned.

    ``customers`` has one row per customer in file order: ``row`` (its first row in the
    file), ``customer_id`` and, where mapped, ``recency_days``, ``frequency``, ``monetary``,
    ``tenure`` (float, NaN blank), ``value_tier`` (text, "" blank), ``churned`` (1/0/NaN)
    and ``seg:<name>`` (text). ``transactions`` (transactions layout) has ``row``,
    ``customer_id``, ``date`` (datetime64[D]) and ``amount``.
    """

    file: str
    layout: Literal["customers", "transactions"]
    rows_read: int
    customers: pd.DataFrame
    transactions: pd.DataFrame | None = None
    excluded: dict[str, list[int]] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)
    #: Set by :func:`read_customers`: the customer ids are stripped text, none blank or repeated
    #: (not checked again by the RFM and the join), and, transactions layout, each transaction's
    #: customer as its position in ``customers`` (the RFM groups these numbers, not the id texts).
    ids_checked: bool = field(default=False, repr=False, compare=False)
    customer_of: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def has_churn(self) -> bool:
        return "churned" in self.customers.columns

    def warnings(self) -> list[str]:
        out = []
        for reason in REASONS:
            rows = self.excluded.get(reason)
            if not rows:
                continue
            shown = ", ".join(map(str, rows[:MAX_EXAMPLES])) + (", …" if len(rows) > MAX_EXAMPLES else "")
            s = "s" if len(rows) != 1 else ""
            out.append(f"{self.file}: {len(rows):,} transaction row{s} excluded ({reason}): row{s} {shown}")
            out.extend(f"{self.file}: {e}" for e in self.examples.get(reason, []))
        return out

    def rfm(self, *, as_of=None, window_days: int | None = None,
            top_share: float = _value.TOP_SHARE) -> _value.RFMResult:
        """RFM scores of the file's customers (see :mod:`cxreport.scoring.value`)."""
        if self.layout == "transactions":
            t = self.transactions
            if self.customer_of is not None and len(self.customer_of) == len(t):
                return _value.rfm_from_transactions(self.customer_of, t["date"].to_numpy(),
                                                    t["amount"].to_numpy(dtype=float), as_of=as_of,
                                                    window_days=window_days, top_share=top_share,
                                                    customer_ids=self.customers["customer_id"].to_numpy(dtype=object))
            return _value.rfm_from_transactions(t["customer_id"].to_numpy(dtype=object), t["date"].to_numpy(),
                                                t["amount"].to_numpy(dtype=float), as_of=as_of,
                                                window_days=window_days, top_share=top_share)
        c = self.customers
        return _value.rfm_from_fields(c["customer_id"].to_numpy(dtype=object), c["recency_days"].to_numpy(),
                                      c["frequency"].to_numpy(), c["monetary"].to_numpy(), top_share=top_share,
                                      checked_ids=self.ids_checked)


def _numbers(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(values, blank mask); NaN where the text is not a number. Each distinct text parsed once."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    text = pd.Series(uniques, dtype=object).astype(str).str.strip()
    parsed = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return np.append(parsed, np.nan)[codes], np.append((text == "").to_numpy(), True)[codes]


def _dates(series: pd.Series, column: str, key: str, name: str, rows: np.ndarray, date_format: str | None,
           dayfirst: bool | None) -> tuple[np.ndarray, np.ndarray]:
    """(days as datetime64[D], NaT where not a date; blank mask)."""
    from cxreport.load.dates import DateOrderError, parse_dates

    codes, uniques = pd.factorize(series.astype(str).str.strip(), use_na_sentinel=True)
    texts = [str(u) for u in uniques]
    try:
        reading = parse_dates(texts, date_format=date_format, dayfirst=dayfirst, timezone="UTC")
    except DateOrderError as exc:
        first = exc.examples[0][0]
        row = int(rows[int(np.argmax(codes == first))])
        raise DataError(f"{name}: column '{column}' ({key}) cannot be read one way as dates (row {row} "
                        f"'{texts[first][:30]}'); give the date format or the day/month order") from None
    except ValueError as exc:
        raise DataError(f"{name}: the date format '{date_format}' cannot be used: {exc}") from None
    values = np.append(reading.values.astype("datetime64[D]"), np.datetime64("NaT", "D"))[codes]
    blank = np.append(np.array([t == "" for t in texts], dtype=bool), True)[codes]
    return values, blank


def _check_columns(columns: CustomerColumns, layout: str, table) -> None:
    from cxreport.util import did_you_mean

    if layout == "transactions":
        need = {"date": columns.date, "amount": columns.amount}
    else:
        need = {"frequency": columns.frequency, "monetary": columns.monetary,
                "recency or last_purchase": columns.recency or columns.last_purchase}
    missing = [k for k, v in need.items() if not v]
    if missing:
        raise DataError(f"{table.name}: the {layout} layout needs the column{'s' if len(missing) > 1 else ''} "
                        f"{', '.join(missing)}")
    present = list(table.frame.columns)
    wanted = [(k, getattr(columns, k)) for k in ("customer_id", "date", "amount", "recency", "last_purchase",
                                                  "frequency", "monetary", "tenure", "value_tier", "churned")
              if getattr(columns, k)]
    wanted += [(f"segments.{n}", c) for n, c in columns.segments.items()]
    problems = [f"customers.columns.{k}: column '{c}' not found in {table.name}{did_you_mean(c, present)}"
                for k, c in wanted if c not in present]
    if problems:
        raise DataError(problems[0] if len(problems) == 1 else
                        f"{table.name}: {len(problems)} mapped customer-file columns not found", problems)


def _rows_text(rows: np.ndarray) -> str:
    return ", ".join(map(str, rows[:MAX_EXAMPLES])) + (", …" if len(rows) > MAX_EXAMPLES else "")


def _extras(frame: pd.DataFrame, columns: CustomerColumns, name: str, rows: np.ndarray) -> dict[str, np.ndarray]:
    """Per-row tenure, tier, churned and segment values (text or numbers)."""
    out: dict[str, np.ndarray] = {}
    if columns.tenure:
        values, blank = _numbers(frame[columns.tenure])
        bad = ~blank & (np.isnan(values) | (values < 0))
        if bad.any():
            raise DataError(f"{name}: column '{columns.tenure}' (tenure) is not a number of at least 0 on "
                            f"row{'s' if bad.sum() > 1 else ''} {_rows_text(rows[bad])}")
        out["tenure"] = values
    if columns.value_tier:
        out["value_tier"] = frame[columns.value_tier].astype(str).str.strip().to_numpy(dtype=object)
    if columns.churned:
        text = frame[columns.churned].astype(str).str.strip()
        wrong = [u for u in pd.unique(text) if not _flag_ok(u)]
        if wrong:
            bad = text.isin(wrong).to_numpy()
            raise DataError(f"{name}: column '{columns.churned}' (churned) is not one of yes/no, 1/0, true/false, y/n, churned/active, 是/否 on "
                            f"row{'s' if bad.sum() > 1 else ''} {_rows_text(rows[bad])} ('{str(wrong[0])[:30]}')")
        out["churned"] = _value.parse_flag(text.to_numpy(dtype=object))
    for seg, column in columns.segments.items():
        out[f"seg:{seg}"] = frame[column].astype(str).str.strip().to_numpy(dtype=object)
    return out


def _frame(data: dict[str, np.ndarray]) -> pd.DataFrame:
    """The columns as given: text stays Python objects, which every reader of the frame asks
    for (``to_numpy(dtype=object)``), instead of going to Arrow strings and back (about 1 s
    on 1,000,000 customers)."""
    return pd.DataFrame({k: pd.Series(v, dtype=object, copy=False) if np.asarray(v).dtype == object else v
                         for k, v in data.items()})


def _flag_ok(word: str) -> bool:
    try:
        _value.parse_flag([word])
        return True
    except DataError:
        return False


#: Files smaller than this are read by ``read_table`` alone: Arrow's reader saves under 0.1 s on
#: them and its import costs about 50 MB of a build's peak memory.
FAST_MIN_BYTES = 8_000_000


def _fast_csv(path: Path, name: str, kind: str | None, encoding: str, sheet):
    """The CSV as :func:`cxreport.load.tabular.read_table` reads it (same cells, same row
    numbers, wholly blank rows dropped with their labels), parsed by Arrow's multithreaded
    CSV reader, about 3× faster than the C parser's text cells on a large file; None whenever the file is not a plain
    UTF-8 CSV that both readers certainly read alike, and then ``read_table`` reads it (and
    gives its own messages). None also for anything ``read_table`` would refuse or report on
    — the size and cell limits, no line end at the end (its cut-off check), a row of another
    length than the header (the C parser pads a short row), a quote left open at the end, a
    repeated column name, a zero byte, a byte that is not UTF-8 — so every message stays
    ``read_table``'s (tests/test_customer_file_speed.py compares the two readers).
    """
    if kind != "csv" or encoding != "auto" or sheet is not None:
        return None
    from cxreport.load import tabular

    try:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.csv as pcsv
    except ImportError:  # pragma: no cover - a dependency
        return None
    try:
        if not path.is_file():
            return None
        size = path.stat().st_size
        if not 0 < size <= tabular.MAX_FILE_BYTES:
            return None
        raw = path.read_bytes()
    except OSError:
        return None
    start = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in raw or not raw.endswith((b"\n", b"\r")):
        return None
    # The delimiter as read_table sniffs it: from the first 20 lines, which must lie whole in
    # the first 64 KB (then its text[:65536] holds the same 20 lines).
    head = raw[start:start + 65536].decode("utf-8", errors="ignore")
    lines = head.splitlines()
    if len(raw) - start > 65536 and len(lines) <= 20:
        return None
    delimiter = tabular.sniff_delimiter(head)
    import csv
    import io

    try:
        width = len(next(csv.reader(io.StringIO(head, newline=""), delimiter=delimiter)))
        data = pcsv.read_csv(
            pa.py_buffer(raw)[start:],
            read_options=pcsv.ReadOptions(autogenerate_column_names=True),
            parse_options=pcsv.ParseOptions(delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pcsv.ConvertOptions(column_types={f"f{i}": pa.string() for i in range(width)},
                                                strings_can_be_null=False, quoted_strings_can_be_null=False,
                                                check_utf8=True))
    except (StopIteration, csv.Error, pa.ArrowException, ValueError, MemoryError):
        return None
    del raw                                      # the cells are Arrow's own copies
    if data.num_columns != width or data.num_rows < 2:
        return None
    # A quote opened in the last field and never closed runs to the end of the file: the C
    # parser refuses that ("EOF inside string"), Arrow keeps the final line end in the cell.
    if str(data.column(width - 1)[data.num_rows - 1].as_py()).endswith(("\n", "\r")):
        return None
    blank = None
    for column in data.columns:
        if column.null_count or (pc.max(pc.utf8_length(column)).as_py() or 0) > tabular.MAX_CELL_CHARS:
            return None
        empty = pc.equal(column, "")
        blank = empty if blank is None else pc.and_(blank, empty)
    header = [str(column[0].as_py()).strip() for column in data.columns]
    try:
        from cxreport.load.formats import check_header

        check_header(header, name)
    except DataError:
        return None
    keep = np.flatnonzero(~blank.to_numpy(zero_copy_only=False)[1:])
    if len(keep) == 0:
        return None
    body = data.slice(1)
    if len(keep) < body.num_rows:
        body = body.take(pa.array(keep))
    names = [h if h else f"Unnamed: {i}" for i, h in enumerate(header)]
    if len(set(names)) < len(names):
        return None
    frame = pd.DataFrame({c: body.column(i).to_pandas() for i, c in enumerate(names)})
    frame.index = pd.Index(keep) if len(keep) < data.num_rows - 1 else pd.RangeIndex(len(keep))
    return tabular.Table(frame, name, path, first_data_row=2)


def read_customers(path: Path, columns: CustomerColumns, *, layout: Literal["customers", "transactions"] = "customers",
                   name: str | None = None, encoding: str = "auto", sheet: str | int | None = None,
                   date_format: str | None = None, dayfirst: bool | None = None,
                   as_of=None) -> CustomerFile:
    """Read and check a customer file. ``as_of`` (customers layout with ``last_purchase``;
    default the latest last-purchase date) is the day recency is counted to."""
    from cxreport.load.kinds import file_kind
    from cxreport.load.tabular import read_table

    if layout not in ("customers", "transactions"):
        raise DataError(f"customer file: unknown layout '{layout}' (use customers or transactions)")
    path = Path(path)
    name = name or path.name
    kind = file_kind(path)
    if kind not in (None, "csv", "excel"):
        raise DataError(f"{name}: a customer file must be CSV or XLSX")
    table = None
    try:
        big = path.stat().st_size >= FAST_MIN_BYTES
    except OSError:
        big = False
    if big:             # a small file reads as fast either way, without loading Arrow (memory)
        table = _fast_csv(path, name, kind, encoding, sheet)
    if table is None:
        table = read_table(path, name=name, encoding=encoding, sheet=sheet,
                           format="excel" if kind == "excel" else "csv")
    _check_columns(columns, layout, table)
    frame = table.frame
    n = len(frame)
    # The file's row numbers (Table.row_number of each index label: wholly blank rows are
    # dropped with their labels), without a Python call per row.
    rows = table.first_data_row + frame.index.to_numpy(dtype=np.int64)
    id_text = frame[columns.customer_id].astype(str).str.strip()
    ids = id_text.to_numpy(dtype=object)
    blank_id = ids == ""
    texts_only = bool(id_text.notna().all())    # every id a text (the RFM and the join need not check again)
    extras = _extras(frame, columns, name, rows)

    if layout == "customers":
        if blank_id.any():
            raise DataError(f"{name}: column '{columns.customer_id}' (customer id) is blank on "
                            f"row{'s' if blank_id.sum() > 1 else ''} {_rows_text(rows[blank_id])}")
        message = _value.duplicate_ids_message(ids, rows)
        if message:
            raise DataError(f"{name}: {message}")
        data = {"row": rows, "customer_id": ids}
        if columns.recency:
            recency, blank = _numbers(frame[columns.recency])
            what, column = "recency (days)", columns.recency
        else:
            days, blank = _dates(frame[columns.last_purchase], columns.last_purchase, "last_purchase", name, rows,
                                 date_format, dayfirst)
            end = (np.datetime64(pd.Timestamp(as_of).date(), "D") if as_of is not None
                   else (days[~np.isnat(days)].max() if (~np.isnat(days)).any() else None))
            recency = np.full(n, np.nan)
            if end is not None:
                ok = ~np.isnat(days)
                recency[ok] = (end - days[ok]).astype(np.int64)
            what, column = "last purchase (a date on or before the as-of day)", columns.last_purchase
        for key, label, col, values in (("recency_days", what, column, recency),
                                        ("frequency", "frequency", columns.frequency, None),
                                        ("monetary", "monetary", columns.monetary, None)):
            if values is None:
                values, blank = _numbers(frame[col])
            bad = ~np.isfinite(values) | ((values < 0) if key != "monetary" else False)
            if np.any(bad):
                raise DataError(f"{name}: column '{col}' ({label}) is blank, not a number or negative on "
                                f"{int(np.sum(bad)):,} row{'s' if np.sum(bad) > 1 else ''}: "
                                f"{_rows_text(rows[np.asarray(bad)])}")
            data[key] = values
        data.update(extras)
        return CustomerFile(name, "customers", n, _frame(data), ids_checked=texts_only)

    # transactions
    reason = np.zeros(n, dtype=np.int8)          # 0 kept, else 1 + the reason's place in REASONS
    examples: dict[str, list[str]] = {}

    def mark(mask: np.ndarray, why: str, describe) -> None:
        new = mask & (reason == 0)
        if new.any():
            reason[new] = 1 + REASONS.index(why)
            examples[why] = [f"row {rows[p]}, {describe(p)}" for p in np.flatnonzero(new)[:MAX_EXAMPLES]]

    def cell(column: str, p: int) -> str:
        t = str(frame[column].iloc[p]).strip()
        return t if len(t) <= 40 else t[:37] + "..."

    mark(blank_id, BLANK_ID, lambda p: f"column '{columns.customer_id}': the customer id is blank")
    days, blank_date = _dates(frame[columns.date], columns.date, "date", name, rows, date_format, dayfirst)
    mark(np.isnat(days), BAD_DATE, lambda p: f"column '{columns.date}': '{cell(columns.date, p)}' is not a date"
         if not blank_date[p] else f"column '{columns.date}': the date is blank")
    amount, blank_amount = _numbers(frame[columns.amount])
    mark(~np.isfinite(amount), BAD_AMOUNT, lambda p: f"column '{columns.amount}': '{cell(columns.amount, p)}' is "
         "not a number" if not blank_amount[p] else f"column '{columns.amount}': the amount is blank")
    keep = reason == 0
    excluded = {why: rows[reason == code].tolist() for code, why in enumerate(REASONS, start=1)
                if (reason == code).any()}
    if not keep.any():
        counts = ", ".join(f"{len(r)} {why}" for why, r in excluded.items())
        raise DataError(f"{name}: no usable transactions ({counts})")
    transactions = _frame({"row": rows[keep], "customer_id": ids[keep], "date": days[keep],
                                 "amount": amount[keep]})
    # One row per customer, in order of first transaction; extras: the first non-blank value.
    # The ids are numbered once (the file's text column, hashed without Python objects) and the
    # customers found by number: the same customers as by their text, several times faster.
    codes = pd.factorize(id_text, use_na_sentinel=False)[0][keep]
    firsts = ~pd.Series(codes).duplicated().to_numpy()
    data = {"row": rows[keep][firsts], "customer_id": ids[keep][firsts]}
    order = codes[firsts]
    for key, values in extras.items():
        v = pd.Series(values[keep])
        text = v.astype(str)
        present = v.notna() & (text != "") & (text != "nan")
        first = v[present].groupby(codes[present.to_numpy()], sort=False).first()
        filled = first.reindex(order)
        data[key] = (filled.to_numpy(dtype=float) if key in ("tenure", "churned")
                     else filled.fillna("").to_numpy(dtype=object))
    # Each transaction's customer as its position in the customers table (in order of first transaction).
    position = np.zeros(int(codes.max()) + 1 if len(codes) else 0, dtype=np.int64)
    position[order] = np.arange(len(order), dtype=np.int64)
    return CustomerFile(name, "transactions", n, _frame(data), transactions, excluded, examples,
                        ids_checked=texts_only, customer_of=position[codes] if texts_only else None)




_CACHE: dict = {}


def load_customers(project) -> CustomerFile | None:
    """The project's customer file (``customers:``), read and checked; None without one.
    Errors name the file as the project names it (relative to the project folder)."""
    cfg = project.customers
    if cfg is None:
        return None
    from cxreport.config.paths import display_path

    columns = CustomerColumns(**cfg.columns.model_dump())
    return read_customers(Path(cfg.file), columns, layout=cfg.layout, name=display_path(cfg.file, project.base_dir),
                          encoding=cfg.encoding, sheet=cfg.sheet, date_format=cfg.date_format, dayfirst=cfg.dayfirst,
                          as_of=cfg.as_of)


def load_customers_cached(project) -> CustomerFile | None:
    """:func:`load_customers`, read once per file version and settings (a ``--per`` build
    joins every unit to the same file)."""
    cfg = project.customers
    if cfg is None:
        return None
    try:
        stat = Path(cfg.file).stat()
        key = (str(cfg.file), stat.st_mtime_ns, stat.st_size, cfg.model_dump_json(), str(project.base_dir))
    except OSError:
        return load_customers(project)
    if key not in _CACHE:
        if len(_CACHE) >= 4:
            _CACHE.clear()
        _CACHE[key] = load_customers(project)
    return _CACHE[key]
