"""Key driver analysis and scale reliability (METHODS.md §3–4). Pure functions.

- Johnson's relative weights (any number of drivers): with R the drivers' correlation
  matrix, Λ = R^½ (symmetric square root by eigen-decomposition), β = Λ⁻¹ r_xy and
  raw weight_j = Σ_k Λ_jk² β_k². The raw weights add up to R².
- Shapley value / LMG (up to 15 drivers): the average over all orderings of the R² a
  driver adds when it enters, computed exactly from the R² of every subset.
- Weighted analyses use weighted correlations (equivalent to weighted least squares).
- Cronbach's α = k/(k−1) · (1 − Σ var(item) / var(total)), listwise.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

MAX_LMG_DRIVERS = 15


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


def _prepare(y, X, weights, names, min_n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, list[str]]:
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[0] != len(y):
        raise DriverError("drivers and outcome must have the same number of rows")
    names = list(names) if names is not None else [f"x{i + 1}" for i in range(X.shape[1])]
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


def relative_weights(y, X, weights=None, names=None, min_n: int = 30) -> DriverResult:
    """Johnson's relative weights (METHODS.md §3)."""
    y, X, w, names = _prepare(y, X, weights, names, min_n)
    corr = _weighted_corr(np.column_stack([X, y]), w)
    R = corr[:-1, :-1]
    rxy = corr[:-1, -1]
    values, vectors = np.linalg.eigh(R)
    if values.min() <= 1e-10 * max(values.max(), 1.0):
        raise DriverError("the drivers are perfectly collinear (one is a combination of others); drop one of them")
    lam = vectors @ np.diag(np.sqrt(values)) @ vectors.T
    beta = np.linalg.solve(lam, rxy)
    raw = (lam ** 2) @ (beta ** 2)
    r2 = float(raw.sum())
    return DriverResult(names, "relative weights", r2, len(y), _neff(w, len(y)), [float(v) for v in raw],
                        [float(100 * v / r2) if r2 > 0 else math.nan for v in raw])


def _r2(corr: np.ndarray, subset: tuple[int, ...]) -> float:
    if not subset:
        return 0.0
    idx = list(subset)
    R = corr[np.ix_(idx, idx)]
    r = corr[idx, -1]
    return float(r @ np.linalg.solve(R, r))


def shapley(y, X, weights=None, names=None, min_n: int = 30) -> DriverResult:
    """Shapley value / LMG decomposition of R² (METHODS.md §3); at most 15 drivers."""
    y, X, w, names = _prepare(y, X, weights, names, min_n)
    p = X.shape[1]
    if p > MAX_LMG_DRIVERS:
        raise DriverError(f"Shapley/LMG is limited to {MAX_LMG_DRIVERS} drivers ({p} given); use relative weights")
    corr = _weighted_corr(np.column_stack([X, y]), w)
    if np.linalg.matrix_rank(corr[:-1, :-1]) < p:
        raise DriverError("the drivers are perfectly collinear (one is a combination of others); drop one of them")
    r2 = {}
    for size in range(p + 1):
        for subset in itertools.combinations(range(p), size):
            r2[subset] = _r2(corr, subset)
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
    return DriverResult(names, "Shapley (LMG)", float(total), len(y), _neff(w, len(y)),
                        [float(v) for v in contrib], [float(100 * v / total) if total > 0 else math.nan for v in contrib])


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
