"""Bootstrap intervals on key-driver importances (drivers.bootstrap, docs/analytics.md): each
replicate equals an independent resampling of the respondents' rows with plain numpy, the
intervals are reproducible with a seed, contain the point estimate, respect weights and the
missing mode, and reach the report, the JSON and the workbook."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from cxreport.cli import cli
from cxreport.scoring.drivers import (BOOTSTRAP_SEED, bootstrap_importance, bootstrap_replicates,
                                      pairwise_correlations, relative_weights, relative_weights_from_corr,
                                      shapley, shapley_from_corr)
from tests.conftest import csv_text, write_project


def _data(n: int = 300, p: int = 4, seed: int = 5, holes: float = 0.0):
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=n)
    X = np.clip(np.round(3 + latent[:, None] * np.linspace(0.9, 0.3, p) + rng.normal(size=(n, p))), 1, 5)
    y = np.clip(np.round(6 + 2 * latent + X @ np.linspace(0.6, 0.1, p) - 2 + rng.normal(0, 1.5, n)), 0, 10)
    if holes:
        X[rng.random(X.shape) < holes] = np.nan
    w = rng.uniform(0.4, 2.5, n)
    return y, X, w


def _independent(y, X, w, seed, replicates, missing="listwise"):
    """The bootstrap written out: draw n rows with replacement (numpy), copy them, and run the
    ordinary analysis on the copy."""
    D = np.column_stack([X, y])
    keep = ~np.isnan(D).any(axis=1) if missing == "listwise" else np.ones(len(y), bool)
    y, X, w = y[keep], X[keep], w[keep]
    n = len(y)
    rng = np.random.default_rng(seed)
    rw, lmg = [], []
    for _ in range(replicates):
        idx = rng.integers(0, n, n)
        if missing == "listwise":
            rw.append(relative_weights(y[idx], X[idx], w[idx], min_n=2).raw)
            lmg.append(shapley(y[idx], X[idx], w[idx], min_n=2).raw)
        else:
            c = pairwise_correlations(y[idx], X[idx], w[idx], min_n=2)
            rw.append(relative_weights_from_corr(c.R, c.rxy).raw)
            lmg.append(shapley_from_corr(c.R, c.rxy).raw)
    return np.array(rw), np.array(lmg)


@pytest.mark.parametrize("missing", ["listwise", "pairwise"])
def test_each_replicate_is_an_independent_resample_of_the_rows(missing):
    y, X, w = _data(holes=0.08 if missing == "pairwise" else 0.0)
    if missing == "listwise":
        y = y.copy()
        y[:7] = np.nan                                   # left out before resampling (complete cases only)
    reps = bootstrap_replicates(y, X, w, missing=missing, replicates=40, seed=11)
    rw, lmg = _independent(y, X, w, 11, 40, missing)
    assert reps.used == 40
    assert reps.rw == pytest.approx(rw, abs=1e-10)
    assert reps.lmg == pytest.approx(lmg, abs=1e-10)
    assert reps.r2 == pytest.approx(rw.sum(axis=1), abs=1e-10)
    # the intervals are the percentiles of those replicates
    result = bootstrap_importance(y, X, w, missing=missing, replicates=40, seed=11)
    low, high = np.percentile(rw, [2.5, 97.5], axis=0)
    assert [lo for lo, _ in result.rw_raw] == pytest.approx(low, abs=1e-10)
    assert [hi for _, hi in result.rw_raw] == pytest.approx(high, abs=1e-10)
    pct = 100 * lmg / lmg.sum(axis=1, keepdims=True)
    assert [hi for _, hi in result.lmg_pct] == pytest.approx(np.percentile(pct, 97.5, axis=0), abs=1e-8)


def test_the_same_seed_gives_the_same_intervals_and_another_seed_others():
    y, X, w = _data()
    first = bootstrap_importance(y, X, w, replicates=60, seed=3)
    again = bootstrap_importance(y, X, w, replicates=60, seed=3)
    other = bootstrap_importance(y, X, w, replicates=60, seed=4)
    assert first == again
    assert first.rw_pct != other.rw_pct
    assert first.seed == 3 and first.replicates == 60 and first.level == 0.95
    assert bootstrap_importance(y, X, w).seed == BOOTSTRAP_SEED
    assert bootstrap_importance(y, X, w, replicates=0) is None


def test_intervals_contain_the_point_estimate_and_narrow_with_the_sample():
    y, X, w = _data(n=1600, seed=8)
    point_rw = relative_weights(y, X, w)
    point_lmg = shapley(y, X, w)
    result = bootstrap_importance(y, X, w, replicates=200)
    for j in range(X.shape[1]):
        assert result.rw_raw[j][0] <= point_rw.raw[j] <= result.rw_raw[j][1]
        assert result.rw_pct[j][0] <= point_rw.percent[j] <= result.rw_pct[j][1]
        assert result.lmg_pct[j][0] <= point_lmg.percent[j] <= result.lmg_pct[j][1]
    assert result.r2[0] <= point_rw.r2 <= result.r2[1]
    small = bootstrap_importance(y[:400], X[:400], w[:400], replicates=200)
    widths = [np.mean([hi - lo for lo, hi in r.rw_pct]) for r in (small, result)]
    assert 1.4 < widths[0] / widths[1] < 3.0          # about √4 = 2: a quarter of the sample, twice as wide


def test_weights_are_kept_by_each_resampled_respondent():
    y, X, w = _data()
    plain = bootstrap_importance(y, X, None, replicates=50, seed=2)
    ones = bootstrap_importance(y, X, np.ones(len(y)), replicates=50, seed=2)
    weighted = bootstrap_importance(y, X, w, replicates=50, seed=2)
    assert np.array(ones.rw_raw) == pytest.approx(np.array(plain.rw_raw), abs=1e-12)
    assert np.array(weighted.rw_raw) != pytest.approx(np.array(plain.rw_raw), abs=1e-6)
    # a respondent with weight 0 (or none) is not drawn: the same as leaving it out
    w0 = w.copy()
    w0[::10] = 0
    keep = w0 > 0
    dropped = bootstrap_importance(y[keep], X[keep], w[keep], replicates=50, seed=2)
    zeroed = bootstrap_importance(y, X, w0, replicates=50, seed=2)
    assert np.array(zeroed.rw_raw) == pytest.approx(np.array(dropped.rw_raw), abs=1e-12)


def test_a_replicate_that_cannot_be_computed_is_left_out_not_fatal():
    rng = np.random.default_rng(0)
    n = 40
    X = rng.integers(1, 6, size=(n, 3)).astype(float)
    X[:, 2] = 3.0
    X[:2, 2] = [4.0, 2.0]                               # varies in only two rows: often constant in a resample
    y = X[:, 0] + rng.normal(size=n)
    reps = bootstrap_replicates(y, X, replicates=100, seed=1)
    assert 0 < reps.used < 100
    assert np.isnan(reps.rw[~np.isfinite(reps.r2)]).all()


# --------------------------------------------------------------------------- in a project


def _rows(n: int = 600, seed: int = 21):
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=n)
    rows = []
    for i in range(n):
        a = [int(np.clip(round(3 + s * latent[i] + rng.normal()), 1, 5)) for s in (0.9, 0.6, 0.3)]
        nps = int(np.clip(round(6 + 1.5 * latent[i] + 0.4 * a[0] - 1 + rng.normal()), 0, 10))
        rows.append([f"R{i:04d}", f"2026-{1 + i % 3:02d}-{1 + i % 28:02d}", "North" if i % 2 else "South", nps,
                     int(rng.integers(1, 6)), "", *a])
    return rows


def _project(folder, **drivers):
    header = ["resp_id", "response_date", "region", "q_nps", "q_csat", "comment", "a1", "a2", "a3"]
    return write_project(folder, csv_text(_rows(), header),
                         columns={"attributes": {"Waiting": {"column": "a1"}, "Staff": {"column": "a2"},
                                                 "Fees": {"column": "a3"}}},
                         drivers={"outcome": "nps", "min_base": 100, **drivers})


def test_the_scores_json_gives_each_method_its_own_keys_and_the_intervals(tmp_path):
    path = _project(tmp_path, bootstrap=120, seed=9)
    out = tmp_path / "scores.json"
    result = CliRunner().invoke(cli, ["score", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    a = json.loads(out.read_text())["drivers"]["overall"]
    assert a["primary"] == "relative_weights"
    assert a["bootstrap"]["replicates"] == 120 and a["bootstrap"]["seed"] == 9 and a["bootstrap"]["used"] == 120
    assert a["bootstrap"]["r2_low"] <= a["r2"] <= a["bootstrap"]["r2_high"]
    for d in a["drivers"]:
        assert "raw" not in d and "lmg_pct" not in d               # no key whose meaning depends on the method
        rw, lmg = d["relative_weight"], d["lmg"]
        assert d["importance_pct"] == rw["pct"]
        assert d["importance_low"] == rw["pct_low"] and d["importance_high"] == rw["pct_high"]
        assert rw["pct_low"] <= rw["pct"] <= rw["pct_high"] and rw["raw_low"] <= rw["raw"] <= rw["raw_high"]
        assert lmg["pct_low"] <= lmg["pct"] <= lmg["pct_high"] and lmg["raw_low"] <= lmg["raw"] <= lmg["raw_high"]
    assert sum(d["relative_weight"]["raw"] for d in a["drivers"]) == pytest.approx(a["r2"], abs=1e-5)
    assert sum(d["lmg"]["raw"] for d in a["drivers"]) == pytest.approx(a["r2"], abs=1e-5)
    # the same project and seed: the same intervals; another seed: others
    again = CliRunner().invoke(cli, ["score", str(path)])
    assert json.loads(again.output)["drivers"]["overall"] == a


def test_shapley_as_the_primary_method_and_bootstrap_off(tmp_path):
    from cxreport.config.loader import load_project
    from cxreport.pipeline import run

    shap = run(load_project(_project(tmp_path / "s", method="shapley"))).drivers.overall
    assert shap.primary == "lmg" and shap.method == "Shapley (LMG)"
    for r in shap.rows:
        assert r.importance == r.lmg and (r.low, r.high) == tuple(r.lmg_pct_ci)
    off = run(load_project(_project(tmp_path / "o", bootstrap=0))).drivers.overall
    assert off.bootstrap is None and all(r.low is None and r.rw_pct_ci is None for r in off.rows)
    from cxreport.export import drivers_dict

    row = drivers_dict(run(load_project(_project(tmp_path / "o2", bootstrap=0))).drivers)["overall"]["drivers"][0]
    assert row["importance_low"] is None and row["relative_weight"]["pct_low"] is None


def test_the_report_table_chart_and_workbook_show_the_intervals(tmp_path):
    import openpyxl
    from bs4 import BeautifulSoup

    path = _project(tmp_path, bootstrap=80)
    result = CliRunner().invoke(cli, ["build", str(path), "-o", str(tmp_path / "out"), "--format", "html,xlsx"])
    assert result.exit_code == 0, result.output
    soup = BeautifulSoup((tmp_path / "out" / "report.html").read_text(), "html.parser")
    table = soup.select_one("#drivers table")
    headers = [th.get_text(" ", strip=True) for th in table.select("thead th")]
    assert headers[:3] == ["Attribute", "Importance (% of R²)", "95 % interval"]
    for tr in table.select("tbody tr"):
        importance = float(tr.select("td")[0].get_text())
        low, high = (float(x) for x in tr.select_one("td.interval").get_text().split("–"))
        assert low <= importance <= high
    note = soup.select_one("#drivers .drivers-interval").get_text(" ", strip=True)
    assert note.startswith("95 % interval: the middle 95 % of the importance in 80 of 80 bootstrap resamples")
    assert "overlap" in note
    alt = soup.select_one("#drivers img, #drivers svg")
    assert alt is not None
    wb = openpyxl.load_workbook(tmp_path / "out" / "report.xlsx")
    sheet = wb["Key drivers"]
    header = [c.value for c in next(sheet.iter_rows(min_row=1, max_row=1))]
    assert header[1:4] == ["Importance % of R²", "Low 95%", "High 95%"]
    for row in sheet.iter_rows(min_row=2, values_only=True):
        if isinstance(row[1], (int, float)):
            assert row[2] <= row[1] <= row[3]


def test_the_deck_title_names_only_drivers_whose_lead_the_intervals_support():
    from types import SimpleNamespace as Row

    from cxreport.present.deck import _clear_lead

    def rows(*intervals):
        return [Row(low=lo, high=hi) for lo, hi in intervals]

    assert _clear_lead(rows((20, 24), (15, 18), (12, 14), (8, 11))) == 3
    assert _clear_lead(rows((20, 24), (15, 18), (12, 14), (13, 15))) == 2     # third and fourth overlap
    assert _clear_lead(rows((20, 24), (19, 23), (18, 21), (17, 20))) == 0     # no clear lead at all
    assert _clear_lead([Row(low=None, high=None)] * 5) == 3                  # no intervals: the top three


@pytest.mark.parametrize("setting, value, message", [
    ("bootstrap", -5, "drivers.bootstrap"), ("bootstrap", 50000, "drivers.bootstrap"),
    ("seed", "lucky", "drivers.seed"), ("seed", -1, "drivers.seed")])
def test_bad_bootstrap_settings_are_one_line_errors(tmp_path, setting, value, message):
    path = _project(tmp_path, **{setting: value})
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output


def test_the_intervals_do_not_depend_on_the_blas_threads():
    """A dask worker runs BLAS on one thread, a process-pool worker on several; the reports
    they write must be byte-identical, so the replicates must be too."""
    import os
    import subprocess
    import sys

    code = ("import hashlib, numpy as np; from tests.test_bootstrap import _data; "
            "from cxreport.scoring.drivers import bootstrap_replicates as b\n"
            "y, X, w = _data(n=40000, p=6, holes=0.05)\n"
            "r = [b(y, X, w, missing=m, replicates=30, seed=5) for m in ('listwise', 'pairwise')]\n"
            "print(hashlib.sha256(b''.join(x.rw.tobytes() + x.lmg.tobytes() for x in r)).hexdigest())")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    digests = set()
    for threads in ("1", "2", "4"):
        env = {**os.environ, "OPENBLAS_NUM_THREADS": threads, "OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads}
        done = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True,
                              check=True)
        digests.add(done.stdout.strip())
    assert len(digests) == 1
