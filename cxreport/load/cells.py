"""Typed columns (SPSS, Parquet) as the text cells every other reader produces.

Validation reads text so that it can name the exact cell that is not a number; a typed
file is put into the same shape, written the way a person would type it: whole numbers
without a decimal point (``3``, not ``3.0``), other numbers in their shortest exact form,
dates as ISO ``2024-03-31`` (with `` 14:05:00`` when there is a time of day) and missing
values as blank cells. Each distinct value is formatted once and spread back to the rows,
as survey columns hold few distinct values.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd


def code_text(value: Any) -> str:
    """A code as text: ``1.0`` → ``"1"``, ``" 2 "`` → ``"2"``, ``2.5`` → ``"2.5"``."""
    if isinstance(value, str):
        text = value.strip()
        try:
            number = float(text)
        except ValueError:
            return text
        return cell_text(number) if math.isfinite(number) else text
    return cell_text(value)


def cell_text(value: Any) -> str:
    """One typed value as the text a person would type."""
    if type(value) is str:           # the most common cell first
        return value
    if value is None or value is pd.NaT or value is pd.NA:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if math.isnan(number):
            return ""
        if number.is_integer() and abs(number) < 1e15:
            return str(int(number))
        return repr(number)
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        if pd.isna(value):
            return ""
        if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0) and value.tzinfo is None:
            return value.strftime("%Y-%m-%d")
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, np.datetime64):
        return cell_text(pd.Timestamp(value)) if not np.isnat(value) else ""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, str):
        return value
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


def column_text(series: pd.Series) -> np.ndarray:
    """The column as an array of text cells (object dtype)."""
    if series.dtype.kind == "f":
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        texts = np.append(float_texts(np.asarray(uniques, dtype=float)), "")
        return texts[codes]
    codes, uniques = pd.factorize(series.astype(object), use_na_sentinel=True)
    texts = np.array([cell_text(u) for u in uniques] + [""], dtype=object)
    return texts[codes]   # -1 (missing) takes the appended blank


def float_texts(values: np.ndarray) -> np.ndarray:
    """:func:`cell_text` of each number of a float array (object dtype), the whole numbers
    formatted at once: 2.0 → '2', 0.25 → '0.25', NaN → ''."""
    out = np.empty(len(values), dtype=object)
    finite = np.isfinite(values)
    whole = finite & (np.floor(np.where(finite, values, 0)) == values) & (np.abs(np.where(finite, values, 0)) < 1e15)
    out[whole] = values[whole].astype(np.int64).astype(str).astype(object)
    nan = np.isnan(values)
    out[nan] = ""
    rest = ~whole & ~nan
    out[rest] = [repr(float(x)) for x in values[rest]]
    return out


def text_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column of a typed frame as text cells; the index becomes 0, 1, 2, …"""
    data = {str(column): column_text(frame[column]) for column in frame.columns}
    return pd.DataFrame(data, index=pd.RangeIndex(len(frame)), dtype=object)


def arrow_column_text(chunked) -> np.ndarray:
    """A pyarrow column as an array of text cells (object dtype), as :func:`column_text` makes
    them from the pandas column.

    A dictionary column is turned into text from its dictionary: each distinct value is
    formatted once and the rows take it by index, so a value repeated on every row stays one
    Python string (a Parquet file whose text columns are read as dictionaries never has its
    repeated values copied out, see :func:`cxreport.load.tabular._read_parquet`). Other
    columns go through pandas as before.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = chunked.type
    if not pa.types.is_dictionary(kind) and (pa.types.is_integer(kind) or pa.types.is_string(kind)
                                             or pa.types.is_large_string(kind) or pa.types.is_temporal(kind)
                                             or pa.types.is_boolean(kind)):
        # Encoded by Arrow first (in C): each distinct value is then formatted once, without
        # boxing every row as a Python object (a million-row batch of 0–10 answers: 11 values).
        chunked = pc.dictionary_encode(chunked)
    if not pa.types.is_dictionary(chunked.type):
        return column_text(chunked.to_pandas())
    parts = []
    formatted: dict[tuple, np.ndarray] = {}
    for chunk in chunked.chunks:
        dictionary = chunk.dictionary
        # The batches of one row group share its dictionary (the same memory): format it once.
        key = (tuple(b.address if b is not None else 0 for b in dictionary.buffers()), dictionary.offset,
               len(dictionary))
        texts = formatted.get(key)
        if texts is None:
            values = dictionary.to_pandas().astype(object)
            texts = formatted[key] = np.array([cell_text(v) for v in values] + [""], dtype=object)
        index = pc.fill_null(pc.cast(chunk.indices, pa.int64()), -1).to_numpy()
        parts.append(texts[index])   # -1 (null) takes the appended blank
    if not parts:
        return np.array([], dtype=object)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def arrow_text_cells(table) -> pd.DataFrame:
    """Every column of a pyarrow table as text cells, column by column (the index is 0, 1, 2, …)."""
    data = {str(name): arrow_column_text(column) for name, column in zip(table.column_names, table.columns)}
    return pd.DataFrame(data, index=pd.RangeIndex(table.num_rows), dtype=object)
