"""Key driver analysis and scale reliability (METHODS.md §3–4). Pure functions.

- Johnson's relative weights (any number of drivers): with R the drivers' correlation
  matrix, Λ = R^½ (symmetric square root by eigen-decomposition), β = Λ⁻¹ r_xy and
  raw weight_j = Σ_k Λ_jk² β_k². The raw weights add up to R².
- Shapley value / LMG (up to 15 drivers): the average over all orderings of the R² a
  driver adds when it enters, computed exactly from the R² of every subset
  (R²_S = r_S' R_SS⁻¹ r_S).
- Both work from a correlation matrix (:func:`relative_weights_from_corr`,
  :func:`shapley_from_corr`). The matrix comes from the complete cases (listwise deletion,
  :func:`listwise_correlations`; what :func:`relative_weights` and :func:`shapley` use), or
  pair by pair from the respondents who answered both items (:func:`pairwise_corr`,
  :func:`pairwise_correlations`), repaired to a valid correlation matrix when the pairs do
  not fit together (:func:`repair_corr`).
- Weighted analyses use weighted correlations (equivalent to weighted least squares).
- Cronbach's α = k/(k−1) · (1 − Σ var(item) / var(total)), listwise.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

MAX_LMG_DRIVERS = 15

#: The smallest eigenvalue a repaired pairwise correlation matrix keeps (before rescaling
#: to a unit diagonal).
REPAIR_FLOOR = 1e-4


class DriverError(ValueError):
    """The data cannot support the analysis (too few cases, a constant driver…)."""


def _weighted_corr(data: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    w = np.ones(len(data)) if weights is None else np.asarray(weights, dtype=float)
    w = w / w.sum()
    mean = w @ data
    centred = data - mean
    cov = (centred * w[:, None]).T @ centred
    sd = np.sqrt(np.diag(cov))
    return cov / np.outer(sd, sd)


@dataclass(frozen=True)
class DriverResult:
    drivers: list[str]
    method: str                 # "relative weights" | "Shapley (LMG)"
    r2: float
    n: int
    n_eff: float
    raw: list[float]            # contributions to R², adding up to R²
    percent: list[float]        # as % of R²

    def ranked(self) -> list[tuple[str, float, float]]:
        return sorted(zip(self.drivers, self.raw, self.percent), key=lambda t: -t[1])


@dataclass(frozen=True)
class Correlations:
    """What the importance methods need: the drivers' correlations ``R``, their correlations
    with the outcome ``rxy``, and the base they rest on.

    ``n`` is the number of complete cases (listwise) or the smallest pair's base (pairwise);
    ``n_eff`` the matching effective base (Kish) when weighted. Pairwise: ``bases`` holds the
    pair bases (unweighted counts) of the drivers and, last, the outcome; ``repaired`` says
    whether the pairwise matrix had to be adjusted to a valid correlation matrix."""

    R: np.ndarray
    rxy: np.ndarray
    names: list[str]
    n: int
    n_eff: float
    missing: str = "listwise"                 # "listwise" | "pairwise"
    bases: np.ndarray | None = None
    repaired: bool = False

    def pair_bases(self) -> np.ndarray:
        """The base of every pair (drivers and outcome), each pair once."""
        if self.bases is None:
            return np.array([self.n])
        return self.bases[np.triu_indices(len(self.bases), 1)]

    @property
    def pair_median(self) -> float:
        return float(np.median(self.pair_bases()))

    @property
    def pair_max(self) -> int:
        return int(self.pair_bases().max())


def _names(names, p: int) -> list[str]:
    return list(names) if names is not None else [f"x{i + 1}" for i in range(p)]


def _prepare(y, X, weights, names, min_n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, list[str]]:
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[0] != len(y):
        raise DriverError("drivers and outcome must have the same number of rows")
    names = _names(names, X.shape[1])
    w = None if weights is None else np.asarray(weights, dtype=float)
    keep = ~np.isnan(y) & ~np.isnan(X).any(axis=1)            # listwise deletion
    if w is not None:
        keep &= ~np.isnan(w) & (w > 0)
    y, X = y[keep], X[keep]
    w = None if w is None else w[keep]
    if len(y) < max(min_n, X.shape[1] + 2):
        raise DriverError(f"only {len(y)} complete cases for {X.shape[1]} drivers "
                          f"(at least {max(min_n, X.shape[1] + 2)} needed)")
    sd = X.std(axis=0)
    constant = [names[j] for j in range(X.shape[1]) if sd[j] == 0]
    if constant:
        raise DriverError(f"driver(s) with no variation: {', '.join(constant)}")
    if y.std() == 0:
        raise DriverError("the outcome has no variation")
    return y, X, w, names


def _neff(w: np.ndarray | None, n: int) -> float:
    if w is None:
        return float(n)
    return float(w.sum() ** 2 / (w @ w))


def listwise_correlations(y, X, weights=None, names=None, min_n: int = 30) -> Correlations:
    """The correlations of the complete cases (listwise deletion, METHODS.md §3)."""
    y, X, w, names = _prepare(y, X, weights, names, min_n)
    corr = _weighted_corr(np.column_stack([X, y]), w)
    return Correlations(corr[:-1, :-1], corr[:-1, -1], names, len(y), _neff(w, len(y)))


class PairwiseCorr(NamedTuple):
    """Pairwise-complete correlations: ``corr`` (NaN where a pair has fewer than two
    respondents), ``bases`` (respondents answering both, unweighted) and ``n_eff`` (the
    pair's effective base, Kish; equal to ``bases`` when unweighted)."""

    corr: np.ndarray
    bases: np.ndarray
    n_eff: np.ndarray


def pairwise_corr(data, weights=None) -> PairwiseCorr:
    """Weighted Pearson correlation of every pair of columns of ``data`` (rows × columns,
    NaN = no valid answer), each on the rows where both are valid (and the weight is
    positive). Unweighted, this is ``pandas.DataFrame.corr()``."""
    D = np.asarray(data, dtype=float)
    if D.ndim != 2:
        raise DriverError("pairwise correlations need a table of rows × items")
    w = np.ones(len(D)) if weights is None else np.asarray(weights, dtype=float)
    if len(w) != len(D):
        raise DriverError("weights and data must have the same number of rows")
    usable = ~np.isnan(w) & (w > 0)
    D, w = D[usable], w[usable]
    valid = ~np.isnan(D)
    V = valid.astype(float)
    counts = V.sum(axis=0)
    centre = np.where(valid, D, 0.0).sum(axis=0) / np.maximum(counts, 1)
    Z = np.where(valid, D - centre, 0.0)              # centred by each column's mean, for precision
    Vw = V * w[:, None]
    Zw = Z * w[:, None]
    bases = (V.T @ V).round().astype(int)
    s0 = Vw.T @ V                                     # Σw over the pair's rows
    s0w2 = (V * (w * w)[:, None]).T @ V               # Σw² over the pair's rows
    s1 = Zw.T @ V                                     # [i, j]: Σw x_i over rows where i and j are valid
    s2 = (Zw * Z).T @ V                               # [i, j]: Σw x_i² over the same rows
    sxy = Zw.T @ Z                                    # Σw x_i x_j (zero outside the pair's rows)
    with np.errstate(invalid="ignore", divide="ignore"):
        mi = s1 / s0
        mj = mi.T
        cov = sxy / s0 - mi * mj
        var_i = s2 / s0 - mi * mi
        var_i = np.where(var_i > 1e-12 * np.maximum(s2 / s0, 1e-300), var_i, np.nan)   # constant in the pair
        var_j = var_i.T
        corr = cov / np.sqrt(var_i * var_j)
        n_eff = s0 * s0 / s0w2
    corr = np.where(bases >= 2, corr, np.nan)
    corr = np.clip(corr, -1.0, 1.0)
    np.fill_diagonal(corr, 1.0)
    corr = (corr + corr.T) / 2                        # exactly symmetric
    n_eff = np.where(bases > 0, n_eff, 0.0)
    return PairwiseCorr(corr, bases, n_eff)


def repair_corr(corr, floor: float = REPAIR_FLOOR) -> tuple[np.ndarray, bool]:
    """A valid (positive definite) correlation matrix near ``corr``: eigenvalues below
    ``floor`` are raised to it and the result rescaled to a unit diagonal. Returns the
    matrix and whether it had to be changed (a pairwise matrix need not be positive
    semi-definite; a listwise one always is)."""
    C = np.asarray(corr, dtype=float)
    C = (C + C.T) / 2
    values, vectors = np.linalg.eigh(C)
    if values.min() >= floor:
        return C, False
    fixed = vectors @ np.diag(np.maximum(values, floor)) @ vectors.T
    d = np.sqrt(np.diag(fixed))
    fixed = fixed / np.outer(d, d)
    fixed = (fixed + fixed.T) / 2
    np.fill_diagonal(fixed, 1.0)
    return fixed, True


def pairwise_correlations(y, X, weights=None, names=None, min_n: int = 30,
                          floor: float = REPAIR_FLOOR) -> Correlations:
    """The correlations of drivers and outcome, each pair on the respondents who answered
    both (pairwise deletion), repaired to a valid correlation matrix when needed. ``n`` is
    the smallest pair's base."""
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[0] != len(y):
        raise DriverError("drivers and outcome must have the same number of rows")
    p = X.shape[1]
    names = _names(names, p)
    labels = names + ["the outcome"]
    pc = pairwise_corr(np.column_stack([X, y]), weights)
    needed = max(min_n, p + 2)
    upper = np.triu_indices(p + 1, 1)
    pair_bases = pc.bases[upper]
    k = int(np.argmin(pair_bases))
    smallest = int(pair_bases[k])
    if smallest < needed:
        a, b = labels[upper[0][k]], labels[upper[1][k]]
        raise DriverError(f"only {smallest} respondents answered both {a} and {b} (at least {needed} needed)")
    D = np.column_stack([X, y])
    w = np.ones(len(D)) if weights is None else np.asarray(weights, dtype=float)
    usable = ~np.isnan(w) & (w > 0)
    sd = np.array([np.nanstd(D[usable, j]) for j in range(p + 1)])
    constant = [names[j] for j in range(p) if not sd[j] > 0]
    if constant:
        raise DriverError(f"driver(s) with no variation: {', '.join(constant)}")
    if not sd[-1] > 0:
        raise DriverError("the outcome has no variation")
    bad = np.argwhere(np.isnan(pc.corr))
    if len(bad):
        i, j = bad[0]
        raise DriverError(f"{labels[i]} has no variation among the respondents who also answered {labels[j]}")
    corr, repaired = repair_corr(pc.corr, floor)
    n_eff = float(pc.n_eff[upper][k]) if weights is not None else float(smallest)
    return Correlations(corr[:-1, :-1], corr[:-1, -1], names, smallest, n_eff, "pairwise", pc.bases, repaired)


def relative_weights_from_corr(R, rxy, names=None, *, n: int = 0, n_eff: float | None = None) -> DriverResult:
    """Johnson's relative weights (METHODS.md §3) from the drivers' correlation matrix ``R``
    and their correlations with the outcome ``rxy``."""
    R = np.asarray(R, dtype=float)
    rxy = np.asarray(rxy, dtype=float)
    names = _names(names, len(rxy))
    values, vectors = np.linalg.eigh(R)
    if values.min() <= 1e-10 * max(values.max(), 1.0):
        raise DriverError("the drivers are perfectly collinear (one is a combination of others); drop one of them")
    lam = vectors @ np.diag(np.sqrt(values)) @ vectors.T
    beta = np.linalg.solve(lam, rxy)
    raw = (lam ** 2) @ (beta ** 2)
    r2 = float(raw.sum())
    return DriverResult(names, "relative weights", r2, n, float(n if n_eff is None else n_eff),
                        [float(v) for v in raw], [float(100 * v / r2) if r2 > 0 else math.nan for v in raw])


def relative_weights(y, X, weights=None, names=None, min_n: int = 30) -> DriverResult:
    """Johnson's relative weights (METHODS.md §3), listwise."""
    c = listwise_correlations(y, X, weights, names, min_n)
    return relative_weights_from_corr(c.R, c.rxy, c.names, n=c.n, n_eff=c.n_eff)


def _r2(R: np.ndarray, rxy: np.ndarray, subset: tuple[int, ...]) -> float:
    """R² of the drivers in ``subset``: r_S' R_SS⁻¹ r_S."""
    if not subset:
        return 0.0
    idx = list(subset)
    r = rxy[idx]
    return float(r @ np.linalg.solve(R[np.ix_(idx, idx)], r))


def shapley_from_corr(R, rxy, names=None, *, n: int = 0, n_eff: float | None = None) -> DriverResult:
    """Shapley value / LMG decomposition of R² (METHODS.md §3) from the drivers' correlation
    matrix ``R`` and their correlations with the outcome ``rxy``; at most 15 drivers."""
    R = np.asarray(R, dtype=float)
    rxy = np.asarray(rxy, dtype=float)
    p = len(rxy)
    names = _names(names, p)
    if p > MAX_LMG_DRIVERS:
        raise DriverError(f"Shapley/LMG is limited to {MAX_LMG_DRIVERS} drivers ({p} given); use relative weights")
    if np.linalg.matrix_rank(R) < p:
        raise DriverError("the drivers are perfectly collinear (one is a combination of others); drop one of them")
    r2 = {}
    for size in range(p + 1):
        for subset in itertools.combinations(range(p), size):
            r2[subset] = _r2(R, rxy, subset)
    fact = math.factorial
    contrib = np.zeros(p)
    for j in range(p):
        others = [k for k in range(p) if k != j]
        for size in range(p):
            weight = fact(size) * fact(p - size - 1) / fact(p)
            for subset in itertools.combinations(others, size):
                with_j = tuple(sorted(subset + (j,)))
                contrib[j] += weight * (r2[with_j] - r2[subset])
    total = r2[tuple(range(p))]
    return DriverResult(names, "Shapley (LMG)", float(total), n, float(n if n_eff is None else n_eff),
                        [float(v) for v in contrib], [float(100 * v / total) if total > 0 else math.nan for v in contrib])


def shapley(y, X, weights=None, names=None, min_n: int = 30) -> DriverResult:
    """Shapley value / LMG decomposition of R² (METHODS.md §3), listwise; at most 15 drivers."""
    X = np.asarray(X, dtype=float)
    if X.ndim == 2 and X.shape[1] > MAX_LMG_DRIVERS:
        raise DriverError(f"Shapley/LMG is limited to {MAX_LMG_DRIVERS} drivers ({X.shape[1]} given); "
                          "use relative weights")
    c = listwise_correlations(y, X, weights, names, min_n)
    return shapley_from_corr(c.R, c.rxy, c.names, n=c.n, n_eff=c.n_eff)


def cronbach_alpha(items, weights=None) -> tuple[float, int]:
    """Cronbach's α of a multi-item scale (listwise); returns (α, n)."""
    X = np.asarray(items, dtype=float)
    keep = ~np.isnan(X).any(axis=1)
    X = X[keep]
    k = X.shape[1]
    if k < 2:
        raise DriverError("Cronbach's α needs at least two items")
    if len(X) < 3:
        raise DriverError(f"only {len(X)} complete cases for Cronbach's α")
    if weights is None:
        item_var = X.var(axis=0, ddof=1)
        total_var = X.sum(axis=1).var(ddof=1)
    else:
        w = np.asarray(weights, dtype=float)[keep]
        w = w / w.sum()
        def wvar(v):
            m = w @ v
            return w @ (v - m) ** 2
        item_var = np.array([wvar(X[:, j]) for j in range(k)])
        total_var = wvar(X.sum(axis=1))
    if total_var == 0:
        raise DriverError("the scale total has no variation")
    return float(k / (k - 1) * (1 - item_var.sum() / total_var)), int(len(X))
