"""Duplicate respondent ids in a survey too large for memory (issue 18), with the rule of
:func:`cxreport.validate.prepare`: ids compared without surrounding whitespace, blank ids never
duplicates, the first copy of an id counts and every later copy is excluded.

The method keeps memory bounded whatever the number of rows (about 16 bytes a row go to
disk, never more than one bucket's share to memory):

1. **Hash and spill.** Each id (stripped) is hashed to 64 bits (``pandas.util.hash_array``:
   SipHash with a fixed key, so the same on every run and machine); each (hash, row) pair is
   appended to one of :data:`BUCKETS` files in a temporary folder, chosen by the hash's top
   bits.
2. **Candidates, bucket by bucket.** Each bucket is read alone and sorted; rows whose hash
   occurs more than once are candidates. Their number is that of the duplicates plus the rare
   rows whose ids differ but whose hashes collide.
3. **Confirm.** A second pass over the ids keeps the candidates' texts only; rows with the
   same text are duplicates: the first (lowest row) counts, the others are excluded.

Memory: one bucket (rows / :data:`BUCKETS` × 16 bytes: 3 MB for 50 million rows) plus the
candidates. Time: two passes over the id column, one sort per bucket.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

#: Bucket files the (hash, row) pairs are spread over.
BUCKETS = 256
_PAIR = np.dtype([("hash", "<u8"), ("row", "<i8")])


@dataclass
class Duplicates:
    """What :func:`find_duplicates` found."""

    excluded: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))  # later copies' rows, sorted
    ids: list[str] = field(default_factory=list)   # each duplicated id once, in order of its first later copy

    @property
    def count(self) -> int:
        return int(len(self.excluded))


def _stripped(values) -> tuple[np.ndarray, np.ndarray]:
    """(ids as stripped text, blank) for a batch of raw id values (None / NaN: blank), as
    :func:`cxreport.validate.prepare` reads them."""
    import pandas as pd

    series = pd.Series(values, dtype=object)
    missing = series.isna().to_numpy()
    text = series.where(~missing, "").astype(str).str.strip().to_numpy(dtype=object)
    return text, missing | (text == "")


def _hashes(text: np.ndarray) -> np.ndarray:
    import pandas as pd

    return pd.util.hash_array(text, categorize=True).astype(np.uint64, copy=False)


def find_duplicates(batches: Callable[[], Iterable[Iterable]], *, buckets: int = BUCKETS,
                    work_dir: str | Path | None = None, hasher=_hashes) -> Duplicates:
    """The duplicate ids of the id column that ``batches()`` yields in consecutive batches of
    raw values (it is called twice: the ids are read twice). ``work_dir``: where the bucket
    files go (default: the system's temporary folder; removed afterwards)."""
    with tempfile.TemporaryDirectory(prefix="cxreport-ids-", dir=work_dir) as folder:
        paths = [Path(folder) / f"bucket-{b:04d}" for b in range(buckets)]
        shift = np.uint64(64 - max(1, int(buckets - 1).bit_length()))
        handles = [open(p, "ab") for p in paths]     # noqa: SIM115 - closed below
        try:
            row = 0
            for values in batches():
                text, blank = _stripped(values)
                n = len(text)
                if n:
                    keep = np.flatnonzero(~blank)
                    pairs = np.empty(len(keep), dtype=_PAIR)
                    pairs["hash"] = hasher(text[keep])
                    pairs["row"] = keep + row
                    which = (pairs["hash"] >> shift).astype(np.int64) % buckets
                    order = np.argsort(which, kind="stable")
                    which, pairs = which[order], pairs[order]
                    edges = np.flatnonzero(np.diff(which)) + 1
                    for part in np.split(np.arange(len(pairs)), edges):
                        if len(part):
                            pairs[part].tofile(handles[int(which[part[0]])])
                row += n
        finally:
            for handle in handles:
                handle.close()
        candidates = []
        for path in paths:
            if os.path.getsize(path) == 0:
                continue
            pairs = np.fromfile(path, dtype=_PAIR)
            pairs.sort(order=("hash", "row"))
            repeated = np.zeros(len(pairs), dtype=bool)
            same = pairs["hash"][1:] == pairs["hash"][:-1]
            repeated[1:] |= same
            repeated[:-1] |= same
            candidates.append(pairs["row"][repeated])
            path.unlink()
    if not candidates or not sum(len(c) for c in candidates):
        return Duplicates()
    wanted = np.sort(np.concatenate(candidates))
    texts: dict[str, list[int]] = {}
    row = 0
    for values in batches():
        text, _blank = _stripped(values)
        n = len(text)
        lo, hi = np.searchsorted(wanted, [row, row + n])
        for r in wanted[lo:hi].tolist():
            texts.setdefault(text[r - row], []).append(r)
        row += n
    later = []
    for text, rows in texts.items():
        if len(rows) > 1:
            rows.sort()
            later += [(r, text) for r in rows[1:]]
    later.sort()
    excluded = np.array([r for r, _t in later], dtype=np.int64)
    return Duplicates(excluded, list(dict.fromkeys(t for _r, t in later)))


def in_batches(values, size: int) -> Callable[[], Iterator]:
    """``batches`` for :func:`find_duplicates` over an in-memory sequence (tests, small files)."""
    def batches():
        for start in range(0, len(values), size):
            yield values[start:start + size]
    return batches
