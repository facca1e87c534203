"""A segment column's groups from batches of its rows (validate.spellings + group_order): the
same groups, labels, order and merged spellings as the whole column gives (validate._groups),
so a survey read in batches groups its respondents as the in-memory path does (issue 18)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxreport.validate import _groups, group_key, group_order, spellings


def _column(seed: int) -> pd.Series:
    rng = np.random.default_rng(seed)
    names = ["North", "north", " North ", "South", "SOUTH", "Store 10", "Store 2", "Émile", "emile", "华东", "华北",
             "Ｗest", "West", "", "\u200b"]
    weights = np.array([30, 3, 2, 25, 25, 8, 8, 4, 6, 5, 5, 1, 3, 2, 1], dtype=float)
    values = rng.choice(names, 3000, p=weights / weights.sum())
    series = pd.Series(values, dtype=object)
    series[rng.random(3000) < 0.02] = None
    return series


def _batched(series: pd.Series, size: int, **order):
    """Codes and labels as a survey read in batches gets them: each batch's spellings added up,
    then every row's group found from its spelling's key."""
    total, parts = None, []
    for start in range(0, len(series), size):
        found, raw, key_of = spellings(series.iloc[start:start + size])
        total = found if total is None else total + found
        parts.append((raw, key_of))
    keys, labels, merges = group_order(total, **order)
    lookup = {key: i for i, key in enumerate(keys)}
    missing = lookup.get(group_key("Not stated"), -1)
    codes = np.concatenate([np.array([lookup[k] for k in key_of] + [missing], dtype=np.int64)[raw]
                            for raw, key_of in parts])
    return codes, labels, merges


@pytest.mark.parametrize("size", [1, 7, 500, 3000])
def test_batches_of_a_column_give_its_groups(size):
    series = _column(size)
    codes, labels, merges = _groups(series)
    assert len(labels) < 12 and any(len(m.spellings) > 1 for m in merges)     # spellings were merged
    b_codes, b_labels, b_merges = _batched(series, size)
    assert b_labels == labels and b_merges == merges
    np.testing.assert_array_equal(b_codes, codes)


def test_the_project_files_names_and_order_apply_to_batches_too():
    series = _column(3)
    order = {"preferred": ["NORTH"], "listed": [(["South", "north", "west"], True)]}
    codes, labels, merges = _groups(series, **order)
    assert labels[:3] == ["South", "NORTH", "West"]
    b_codes, b_labels, b_merges = _batched(series, 250, **order)
    assert (b_labels, b_merges) == (labels, merges)
    np.testing.assert_array_equal(b_codes, codes)
