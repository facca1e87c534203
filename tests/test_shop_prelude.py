"""What ``cxreport shop report`` does before its first report (issue 17, seventh pass).

- The contexts read a visit's fields through :class:`cxreport.shop.analysis.Rows`, column by
  column, instead of ``frame.iloc[i]`` (a Series of every column, each time): the values must be
  the very ones ``iloc`` gives, of the same types, for every row and column of the sample's
  frames, and the contexts the same whether the frame or its rows are passed.
- The workers' fork server imports the charts without the key-driver analysis, and so without
  pandas (the quadrants' names live in their own module).
"""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from cxreport.cli import cli
from shop_helpers import copy_sample


@pytest.fixture(scope="module")
def submitted(tmp_path_factory):
    programme = copy_sample(tmp_path_factory.mktemp("prelude"))
    runner = CliRunner()
    for wave in ("wave1", "wave2", "wave3"):
        files = sorted(str(p) for p in (programme.parent / "submissions" / wave).iterdir())
        result = runner.invoke(cli, ["shop", "submit", str(programme), *files])
        assert result.exit_code == 0, result.output
    from cxreport.shop.commands import results
    from cxreport.shop.ledger import Ledger
    from cxreport.shop.loadprog import load_programme

    prog = load_programme(programme)
    res = results(prog)
    with Ledger(prog) as ledger:
        frame = ledger.accepted_visits()
    frame = frame.set_index("row").loc[res.visits["row"].to_numpy()].reset_index()
    return prog, res, frame


def _same(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    if a is pd.NA or a is pd.NaT:
        return b is a
    return bool(a == b)


@pytest.mark.parametrize("which, met", [("answers", {"str", "int64", "float"}),          # text, row numbers, NaN
                                         ("visits", {"str", "float64", "bool", "int64"})])
def test_rows_give_the_values_iloc_gives(submitted, which, met):
    from cxreport.shop.analysis import Rows

    _prog, res, frame = submitted
    df = frame if which == "answers" else res.visits
    assert len(df.columns) > 10 and len(df) > 300
    rows = Rows(df)
    assert len(rows) == len(df)
    kinds = set()
    for i in range(len(df)):
        expected, row = df.iloc[i], rows[i]
        for name in df.columns:
            kinds.add(type(expected[name]).__name__)
            assert _same(row[name], expected[name]), (i, name, row[name], expected[name])
            assert _same(row.get(name), expected.get(name))
    assert row.get("no such column") is None and row.get("no such column", "x") == "x"
    assert rows[-1]["visit_id"] == df.iloc[-1]["visit_id"]
    with pytest.raises(IndexError):
        rows[len(df)]
    # The frames hold text, numbers, missing values and truth values: the check met them all.
    assert met <= kinds, kinds


def test_rows_refuse_a_frame_with_duplicate_columns():
    from cxreport.shop.analysis import Rows

    with pytest.raises(ValueError):
        Rows(pd.DataFrame(np.zeros((2, 2)), columns=["a", "a"]))


def test_the_contexts_are_the_same_from_the_frame_or_its_rows(submitted):
    from cxreport import manifest
    from cxreport.present.charts import ChartStyle
    from cxreport.shop import reports
    from cxreport.shop.analysis import Rows

    prog, res, frame = submitted
    cs = ChartStyle("#0B3C5D", "#1C8C8C", "Lato")
    rows = Rows(frame)
    for i in (0, 17, len(frame) - 1):
        assert manifest.digest(reports.scoresheet_context(prog, res, frame, i)) == \
            manifest.digest(reports.scoresheet_context(prog, res, rows, i))
    for loc in prog.location_list[:4]:
        a = reports.location_context(prog, res, frame, loc.id, cs, later=True)
        b = reports.location_context(prog, res, rows, loc.id, cs, later=True)
        assert manifest.digest(a) == manifest.digest(b)
        assert a["visits"] and a["waves"] and a["sections"]


def test_the_location_history_is_worked_out_once_per_results(submitted, monkeypatch):
    _prog, res, _frame = submitted
    first = res.location_history
    monkeypatch.setattr(res, "location_waves", None)           # worked out again: fails
    assert res.location_history is first


def test_the_shop_workers_modules_import_no_pandas():
    from cxreport import executor
    from cxreport.shop import reports

    modules = [m for m in (*executor.PRELOAD, *reports.PRELOAD) if m != "cxreport.shop.warm"]
    code = ("import sys\n" + "".join(f"import {m}\n" for m in modules)
            + "print(sorted(m for m in ('pandas', 'scipy', 'cxreport.scoring.keydrivers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    from cxreport.scoring import keydrivers, quadrants

    assert keydrivers.QUADRANTS is quadrants.QUADRANTS
