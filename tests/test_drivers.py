"""Key driver analysis and Cronbach's α against METHODS.md §3–4 (R's mtcars examples)."""

import numpy as np
import pytest

from cxreport.scoring.drivers import DriverError, cronbach_alpha, relative_weights, shapley

# R's built-in mtcars data set (Motor Trend, 1974): mpg, cyl, disp, hp, gear, am, vs.
MTCARS = np.array([
    [21.0, 6, 160.0, 110, 4, 1, 0], [21.0, 6, 160.0, 110, 4, 1, 0], [22.8, 4, 108.0, 93, 4, 1, 1],
    [21.4, 6, 258.0, 110, 3, 0, 1], [18.7, 8, 360.0, 175, 3, 0, 0], [18.1, 6, 225.0, 105, 3, 0, 1],
    [14.3, 8, 360.0, 245, 3, 0, 0], [24.4, 4, 146.7, 62, 4, 0, 1], [22.8, 4, 140.8, 95, 4, 0, 1],
    [19.2, 6, 167.6, 123, 4, 0, 1], [17.8, 6, 167.6, 123, 4, 0, 1], [16.4, 8, 275.8, 180, 3, 0, 0],
    [17.3, 8, 275.8, 180, 3, 0, 0], [15.2, 8, 275.8, 180, 3, 0, 0], [10.4, 8, 472.0, 205, 3, 0, 0],
    [10.4, 8, 460.0, 215, 3, 0, 0], [14.7, 8, 440.0, 230, 3, 0, 0], [32.4, 4, 78.7, 66, 4, 1, 1],
    [30.4, 4, 75.7, 52, 4, 1, 1], [33.9, 4, 71.1, 65, 4, 1, 1], [21.5, 4, 120.1, 97, 3, 0, 1],
    [15.5, 8, 318.0, 150, 3, 0, 0], [15.2, 8, 304.0, 150, 3, 0, 0], [13.3, 8, 350.0, 245, 3, 0, 0],
    [19.2, 8, 400.0, 175, 3, 0, 0], [27.3, 4, 79.0, 66, 4, 1, 1], [26.0, 4, 120.3, 91, 5, 1, 0],
    [30.4, 4, 95.1, 113, 5, 1, 1], [15.8, 8, 351.0, 264, 5, 1, 0], [19.7, 6, 145.0, 175, 5, 1, 0],
    [15.0, 8, 301.0, 335, 5, 1, 0], [21.4, 4, 121.0, 109, 4, 1, 1],
])
COL = {"mpg": 0, "cyl": 1, "disp": 2, "hp": 3, "gear": 4, "am": 5, "vs": 6}


def cols(*names):
    return MTCARS[:, [COL[n] for n in names]]


def test_relative_weights_reproduce_the_methods_example():
    result = relative_weights(MTCARS[:, 0], cols("cyl", "disp", "hp", "gear"), names=["cyl", "disp", "hp", "gear"],
                              min_n=10)
    assert result.r2 == pytest.approx(0.7791896, abs=1e-7)
    assert result.raw == pytest.approx([0.2284797, 0.2221469, 0.2321744, 0.0963886], abs=1e-7)
    assert result.percent == pytest.approx([29.32274, 28.50999, 29.79691, 12.37037], abs=1e-5)
    assert sum(result.raw) == pytest.approx(result.r2)
    assert result.n == 32


def test_shapley_lmg_reproduces_the_methods_example():
    result = shapley(MTCARS[:, 0], cols("am", "vs", "cyl"), names=["am", "vs", "cyl"], min_n=10)
    assert result.r2 == pytest.approx(0.7619773, abs=1e-7)
    assert result.raw == pytest.approx([0.1774892, 0.2027032, 0.3817849], abs=1e-7)
    assert sum(result.raw) == pytest.approx(result.r2)


def test_weights_of_one_give_the_unweighted_result_and_weights_matter():
    X, y = cols("cyl", "disp", "hp", "gear"), MTCARS[:, 0]
    plain = relative_weights(y, X, min_n=10)
    ones = relative_weights(y, X, weights=np.ones(32), min_n=10)
    assert ones.raw == pytest.approx(plain.raw)
    w = 1 + np.arange(32) % 3
    weighted = relative_weights(y, X, weights=w, min_n=10)
    assert weighted.raw != pytest.approx(plain.raw)
    # weighted = the same rows repeated w times (frequency weights)
    repeated = relative_weights(np.repeat(y, w), np.repeat(X, w, axis=0), min_n=10)
    assert weighted.raw == pytest.approx(repeated.raw)
    assert weighted.n_eff < weighted.n


def test_listwise_deletion_reports_the_base():
    X, y = cols("cyl", "disp", "hp").copy(), MTCARS[:, 0].copy()
    X[0, 1] = np.nan
    y[5] = np.nan
    assert relative_weights(y, X, min_n=10).n == 30


def test_degenerate_cases_are_clear_errors():
    y = MTCARS[:, 0]
    with pytest.raises(DriverError, match="no variation: const"):
        relative_weights(y, np.column_stack([cols("hp"), np.ones(32)]), names=["hp", "const"], min_n=10)
    collinear = np.column_stack([cols("hp", "disp"), cols("hp")[:, 0] * 2 + cols("disp")[:, 0]])
    with pytest.raises(DriverError, match="collinear"):
        relative_weights(y, collinear, min_n=10)
    with pytest.raises(DriverError, match="collinear"):
        shapley(y, collinear, min_n=10)
    with pytest.raises(DriverError, match="complete cases"):
        relative_weights(y, cols("hp", "disp"), min_n=200)
    with pytest.raises(DriverError, match="limited to 15"):
        shapley(np.arange(100.0), np.random.default_rng(0).normal(size=(100, 16)))


def test_cronbach_alpha_by_hand():
    items = np.array([[1, 2, 2], [2, 3, 3], [3, 3, 4], [4, 5, 4], [5, 4, 5]], dtype=float)
    k = 3
    item_var = items.var(axis=0, ddof=1).sum()
    total_var = items.sum(axis=1).var(ddof=1)
    alpha, n = cronbach_alpha(items)
    assert alpha == pytest.approx(k / (k - 1) * (1 - item_var / total_var))
    assert n == 5
    with_missing = np.vstack([items, [np.nan, 1, 1]])
    assert cronbach_alpha(with_missing) == (pytest.approx(alpha), 5)


def _solved_r2(R, r, mask):
    idx = [j for j in range(len(r)) if mask >> j & 1]
    if not idx:
        return 0.0
    return float(r[idx] @ np.linalg.solve(R[np.ix_(idx, idx)], r[idx]))


@pytest.mark.parametrize("p", [1, 2, 4, 7])
def test_subset_r2_is_each_subsets_solved_r2(p):
    """The sweep gives, for every mask, r_S' R_SS⁻¹ r_S solved on its own (METHODS.md §3),
    with leading batch dimensions kept."""
    from cxreport.scoring.drivers import subset_r2

    rng = np.random.default_rng(p)
    mats, rs = [], []
    for _ in range(3):
        data = rng.normal(size=(60, p + 1))
        data[:, 0] += data[:, -1]                       # a real driver among noise
        C = np.corrcoef(data, rowvar=False)
        mats.append(C[:p, :p])
        rs.append(C[:p, p])
    R, r = np.array(mats).reshape(3, 1, p, p), np.array(rs).reshape(3, 1, p)
    got = subset_r2(R, r)
    assert got.shape == (3, 1, 1 << p)
    for b in range(3):
        expected = [_solved_r2(mats[b], rs[b], mask) for mask in range(1 << p)]
        assert got[b, 0] == pytest.approx(expected, abs=1e-12)


def test_subset_r2_in_parts_equals_one_pass(monkeypatch):
    """A batch larger than the working arrays' budget is taken in parts, with the same bits."""
    from cxreport.scoring import drivers

    rng = np.random.default_rng(9)
    data = rng.normal(size=(7, 80, 6))
    R = np.array([np.corrcoef(d, rowvar=False) for d in data])
    whole = drivers.subset_r2(R[:, :5, :5], R[:, :5, 5])
    monkeypatch.setattr(drivers, "_SWEEP_CELLS", 1)
    parts = drivers.subset_r2(R[:, :5, :5], R[:, :5, 5])
    assert np.array_equal(whole, parts)
    assert whole[:, -1] == pytest.approx([_solved_r2(R[b, :5, :5], R[b, :5, 5], 31) for b in range(7)], abs=1e-12)


def test_subset_r2_of_no_driver_and_broadcast_batches():
    from cxreport.scoring import drivers

    assert drivers.subset_r2(np.zeros((0, 0)), np.zeros(0)).tolist() == [0.0]
    assert drivers.subset_r2(np.zeros((3, 0, 0)), np.zeros((3, 0))).shape == (3, 1)
    R = np.array([[1.0, 0.3], [0.3, 1.0]])
    rs = np.array([[0.5, 0.2], [0.1, 0.4], [0.3, 0.3]])
    many = drivers.subset_r2(R, rs)                       # one R for three outcomes' correlations
    assert many.shape == (3, 4)
    for b in range(3):
        assert many[b] == pytest.approx([_solved_r2(R, rs[b], m) for m in range(4)], abs=1e-15)


def test_shapley_refuses_a_matrix_that_is_not_positive_definite():
    """Full rank but indefinite (two identical drivers correlating differently with a third): the
    sweep's pivot would be zero; the same clear error as for collinear drivers, not NaN."""
    from cxreport.scoring.drivers import shapley_from_corr

    R = np.array([[1.0, 1.0, 0.2], [1.0, 1.0, 0.6], [0.2, 0.6, 1.0]])
    assert np.linalg.matrix_rank(R) == 3
    with pytest.raises(DriverError, match="collinear"):
        shapley_from_corr(R, np.array([0.3, 0.3, 0.3]))
