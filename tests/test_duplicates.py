"""Duplicate respondent ids found with bounded memory (cxreport.duplicates): the same rows and
ids as the in-memory rule of validate.prepare (validate.duplicate_ids), whatever the batches,
the buckets or colliding hashes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxreport.duplicates import _hashes, find_duplicates, in_batches
from cxreport.validate import duplicate_ids


def _ids(n: int, seed: int) -> list:
    """Ids with repeats near and far apart, surrounding spaces, blanks and missing values."""
    rng = np.random.default_rng(seed)
    base = [f"R{i:06d}" for i in rng.integers(0, n // 2, n)]
    out = []
    for i, text in enumerate(base):
        roll = rng.random()
        if roll < 0.05:
            out.append("")
        elif roll < 0.08:
            out.append(None)
        elif roll < 0.15:
            out.append(f"  {text} ")
        else:
            out.append(text)
    return out


def _expected(values: list) -> tuple[np.ndarray, list[str]]:
    dup, ids = duplicate_ids(pd.Series(values, dtype=object))
    return np.flatnonzero(dup), ids


@pytest.mark.parametrize("size, buckets", [(7, 4), (97, 256), (5000, 16), (100_000, 1)])
def test_the_same_rows_and_ids_as_the_in_memory_rule(size, buckets, tmp_path):
    values = _ids(5000, seed=size)
    rows, ids = _expected(values)
    assert len(rows) > 500 and ids                                  # the data do repeat ids
    found = find_duplicates(in_batches(values, size), buckets=buckets, work_dir=tmp_path)
    np.testing.assert_array_equal(found.excluded, rows)
    assert found.ids == ids and found.count == len(rows)
    assert list(tmp_path.iterdir()) == []                           # the bucket files are gone


def test_colliding_hashes_are_told_apart_by_the_ids_themselves(tmp_path):
    values = ["A", "B", "C", "A", "D", "B", " E", "E "]
    rows, ids = _expected(values)

    def collide(text):
        return (_hashes(text) % np.uint64(2))            # two hash values for every id: many collisions

    found = find_duplicates(in_batches(values, 3), buckets=2, work_dir=tmp_path, hasher=collide)
    np.testing.assert_array_equal(found.excluded, rows)            # rows 3, 5, 7
    assert found.ids == ids == ["A", "B", "E"]


def test_no_ids_repeated_and_no_rows(tmp_path):
    assert find_duplicates(in_batches([f"R{i}" for i in range(1000)], 128), work_dir=tmp_path).count == 0
    assert find_duplicates(in_batches(["", None, "  "], 2), work_dir=tmp_path).ids == []
    assert find_duplicates(lambda: iter(()), work_dir=tmp_path).count == 0
