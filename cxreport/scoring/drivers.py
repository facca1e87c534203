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
- Bootstrap percentile intervals on both methods' importances (:func:`bootstrap_importance`):
  the respondents analysed are resampled with replacement (seeded), each keeping its weight;
  a replicate's correlations come from each row's draw count times its cross-products
  (:func:`bootstrap_replicates`), without copying the rows.
- Cronbach's α = k/(k−1) · (1 − Σ var(item) / var(total)), listwise, with each item's
  item-rest correlation and α if deleted (:func:`scale_reliability`).
"""

from __future__ import annotations

import contextlib
import math
import threading
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

MAX_LMG_DRIVERS = 15

#: The smallest eigenvalue a repaired pairwise correlation matrix keeps (before rescaling
#: to a unit diagonal).
REPAIR_FLOOR = 1e-4


class DriverError(ValueError):
    """The data cannot support the analysis (too few cases, a constant driver…)."""


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


def _table(y, X) -> np.ndarray:
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[0] != len(y):
        raise DriverError("drivers and outcome must have the same number of rows")
    return np.column_stack([X, y])


def centres(data: np.ndarray) -> np.ndarray:
    """Each column's mean of its valid answers (0 where it has none): a centre for :class:`Moments`."""
    valid = ~np.isnan(data)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(valid, data, 0.0).sum(axis=0) / valid.sum(axis=0)
    return np.where(np.isfinite(mean), mean, 0.0)


def listwise_correlations(y, X, weights=None, names=None, min_n: int = 30) -> Correlations:
    """The correlations of the complete cases (listwise deletion, METHODS.md §3)."""
    D = _table(y, X)
    return listwise_from(Moments.of(D, weights, centres(D)), names, min_n)


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
    if weights is not None and len(np.asarray(weights)) != len(D):
        raise DriverError("weights and data must have the same number of rows")
    return Moments.of(D, weights, centres(D)).pairwise()


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
    D = _table(y, X)
    return pairwise_from(Moments.of(D, weights, centres(D)), names, min_n, floor)


@dataclass
class Moments:
    """Sums of a table of items (rows × k columns, NaN = no valid answer, each row weighted):
    everything the listwise and pairwise correlations, the driver means and the base checks of a
    driver analysis follow from. Moments of batches of rows add up (``+``), so a survey read in
    batches (streamed scoring, docs/batch.md) gives the correlations reading it at once gives,
    up to the order of floating-point additions.

    Values are counted centred at a fixed ``centre`` per column (the scale's middle), which keeps
    the sums' precision whatever the rows' order. Rows whose weight is missing or not positive
    are left out, as the analyses leave them out."""

    centre: np.ndarray                 # (k,) the fixed centre of each column
    weighted: bool
    n: int = 0                         # rows counted (whatever their answers)
    bases: np.ndarray | None = None    # (k, k) rows with both columns valid (usable weight)
    s0: np.ndarray | None = None       # Σw over those rows
    s0w2: np.ndarray | None = None     # Σw²
    s1: np.ndarray | None = None       # [i, j]: Σw z_i over rows where i and j are valid (z = x − centre)
    s2: np.ndarray | None = None       # [i, j]: Σw z_i² over the same rows
    sxy: np.ndarray | None = None      # Σw z_i z_j
    nc: int = 0                        # complete cases (every column valid)
    cw: float = 0.0                    # their Σw, Σw², Σw z, Σw z zᵀ
    cw2: float = 0.0
    cz: np.ndarray | None = None
    czz: np.ndarray | None = None
    lo: np.ndarray | None = None       # lowest and highest valid answer of each column (every row)
    hi: np.ndarray | None = None

    @classmethod
    def of(cls, data, weights=None, centre=None) -> Moments:
        """The moments of ``data`` (rows × k, NaN = no answer) with ``weights`` (None: 1 each)."""
        D = np.asarray(data, dtype=float)
        k = D.shape[1]
        centre = np.zeros(k) if centre is None else np.asarray(centre, dtype=float)
        with np.errstate(invalid="ignore"):
            lo = np.where(np.isnan(D).all(axis=0), np.inf, np.nanmin(np.where(np.isnan(D), np.inf, D), axis=0)) \
                if len(D) else np.full(k, np.inf)
            hi = np.where(np.isnan(D).all(axis=0), -np.inf, np.nanmax(np.where(np.isnan(D), -np.inf, D), axis=0)) \
                if len(D) else np.full(k, -np.inf)
        w = np.ones(len(D)) if weights is None else np.asarray(weights, dtype=float)
        usable = ~np.isnan(w) & (w > 0)
        n = len(D)
        D, w = D[usable], w[usable]
        valid = ~np.isnan(D)
        V = valid.astype(float)
        Z = np.where(valid, D - centre, 0.0)
        Vw = V * w[:, None]
        Zw = Z * w[:, None]
        complete = valid.all(axis=1)
        wc = w[complete]
        Zc = Z[complete]
        return cls(centre, weights is not None, n, (V.T @ V).round().astype(np.int64), Vw.T @ V,
                   (V * (w * w)[:, None]).T @ V, Zw.T @ V, (Zw * Z).T @ V, Zw.T @ Z,
                   int(complete.sum()), float(wc.sum()), float(wc @ wc), wc @ Zc, (Zc * wc[:, None]).T @ Zc, lo, hi)

    @classmethod
    def zeros(cls, centre, weighted: bool) -> Moments:
        k = len(centre)
        z = np.zeros((k, k))
        return cls(np.asarray(centre, dtype=float), weighted, 0, np.zeros((k, k), dtype=np.int64), z, z.copy(),
                   z.copy(), z.copy(), z.copy(), 0, 0.0, 0.0, np.zeros(k), z.copy(), np.full(k, np.inf),
                   np.full(k, -np.inf))

    def __add__(self, other: Moments) -> Moments:
        return Moments(self.centre, self.weighted, self.n + other.n, self.bases + other.bases, self.s0 + other.s0,
                       self.s0w2 + other.s0w2, self.s1 + other.s1, self.s2 + other.s2, self.sxy + other.sxy,
                       self.nc + other.nc, self.cw + other.cw, self.cw2 + other.cw2, self.cz + other.cz,
                       self.czz + other.czz, np.minimum(self.lo, other.lo), np.maximum(self.hi, other.hi))

    def pairwise(self) -> PairwiseCorr:
        """:func:`pairwise_corr` from the sums."""
        bases, s0 = self.bases, self.s0
        with np.errstate(invalid="ignore", divide="ignore"):
            mi = self.s1 / s0
            mj = mi.T
            cov = self.sxy / s0 - mi * mj
            var_i = self.s2 / s0 - mi * mi
            var_i = np.where(var_i > 1e-12 * np.maximum(self.s2 / s0, 1e-300), var_i, np.nan)   # constant in the pair
            var_j = var_i.T
            corr = cov / np.sqrt(var_i * var_j)
            n_eff = s0 * s0 / self.s0w2
        corr = np.where(bases >= 2, corr, np.nan)
        corr = np.clip(corr, -1.0, 1.0)
        np.fill_diagonal(corr, 1.0)
        corr = (corr + corr.T) / 2                        # exactly symmetric
        n_eff = np.where(bases > 0, n_eff, 0.0)
        return PairwiseCorr(corr, bases, n_eff)

    def varies(self) -> np.ndarray:
        """Whether each column takes more than one value among its valid answers (usable weight)."""
        s0, s1, s2 = np.diag(self.s0), np.diag(self.s1), np.diag(self.s2)
        with np.errstate(invalid="ignore", divide="ignore"):
            var = s2 / s0 - (s1 / s0) ** 2
            return (np.diag(self.bases) >= 2) & (var > 1e-12 * np.maximum(s2 / s0, 1e-300))

    def complete_varies(self) -> np.ndarray:
        """The same among the complete cases."""
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = self.cz / self.cw
            second = np.diag(self.czz) / self.cw
            var = second - mean * mean
            return (self.nc >= 2) & (var > 1e-12 * np.maximum(second, 1e-300))

    def listwise_corr(self) -> np.ndarray:
        """The weighted correlation matrix of the complete cases."""
        mean = self.cz / self.cw
        cov = self.czz / self.cw - np.outer(mean, mean)
        sd = np.sqrt(np.diag(cov))
        return cov / np.outer(sd, sd)

    def means(self, missing: str) -> np.ndarray:
        """Each column's weighted mean over the complete cases (listwise) or its valid answers."""
        if missing == "listwise":
            return self.cz / self.cw + self.centre
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(np.diag(self.s0) > 0, np.diag(self.s1) / np.diag(self.s0) + self.centre, math.nan)


def _check_variation(varies: np.ndarray, names: list[str]) -> None:
    """Refuse drivers (then the outcome, last) that take one value only."""
    constant = [names[j] for j in range(len(names)) if not varies[j]]
    if constant:
        raise DriverError(f"driver(s) with no variation: {', '.join(constant)}")
    if not varies[-1]:
        raise DriverError("the outcome has no variation")


def listwise_from(m: Moments, names=None, min_n: int = 30) -> Correlations:
    """:func:`listwise_correlations` from the moments of the drivers and, last, the outcome."""
    p = len(m.centre) - 1
    names = _names(names, p)
    if m.nc < max(min_n, p + 2):
        raise DriverError(f"only {m.nc} complete cases for {p} drivers (at least {max(min_n, p + 2)} needed)")
    _check_variation(m.complete_varies(), names)
    corr = m.listwise_corr()
    n_eff = float(m.cw ** 2 / m.cw2) if m.weighted else float(m.nc)
    return Correlations(corr[:-1, :-1], corr[:-1, -1], names, m.nc, n_eff)


def pairwise_from(m: Moments, names=None, min_n: int = 30, floor: float = REPAIR_FLOOR) -> Correlations:
    """:func:`pairwise_correlations` from the moments of the drivers and, last, the outcome."""
    p = len(m.centre) - 1
    names = _names(names, p)
    labels = names + ["the outcome"]
    pc = m.pairwise()
    needed = max(min_n, p + 2)
    upper = np.triu_indices(p + 1, 1)
    pair_bases = pc.bases[upper]
    k = int(np.argmin(pair_bases))
    smallest = int(pair_bases[k])
    if smallest < needed:
        a, b = labels[upper[0][k]], labels[upper[1][k]]
        raise DriverError(f"only {smallest} respondents answered both {a} and {b} (at least {needed} needed)")
    _check_variation(m.varies(), names)
    bad = np.argwhere(np.isnan(pc.corr))
    if len(bad):
        i, j = bad[0]
        raise DriverError(f"{labels[i]} has no variation among the respondents who also answered {labels[j]}")
    corr, repaired = repair_corr(pc.corr, floor)
    n_eff = float(pc.n_eff[upper][k]) if m.weighted else float(smallest)
    return Correlations(corr[:-1, :-1], corr[:-1, -1], names, smallest, n_eff, "pairwise", pc.bases, repaired)


def _collinear(values: np.ndarray) -> np.ndarray:
    """Whether a correlation matrix with these eigenvalues (last axis) is too close to singular
    (or not positive definite) to analyse: its smallest eigenvalue at most 1e-10 of its largest."""
    return values.min(axis=-1) <= 1e-10 * np.maximum(values.max(axis=-1), 1.0)


def relative_weights_from_corr(R, rxy, names=None, *, n: int = 0, n_eff: float | None = None) -> DriverResult:
    """Johnson's relative weights (METHODS.md §3) from the drivers' correlation matrix ``R``
    and their correlations with the outcome ``rxy``."""
    R = np.asarray(R, dtype=float)
    rxy = np.asarray(rxy, dtype=float)
    names = _names(names, len(rxy))
    values, vectors = np.linalg.eigh(R)
    if _collinear(values):
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


#: Cells of the working arrays :func:`subset_r2` holds at once (about 32 MB, counting a step's
#: input, its result and their temporaries); a larger batch of replicates is taken in parts.
_SWEEP_CELLS = 1 << 22


def subset_r2(R, rxy) -> np.ndarray:
    """R² of every subset of the drivers, indexed by bit mask (bit j set: driver j is in),
    R²_S = r_S' R_SS⁻¹ r_S. ``R`` and ``rxy`` may carry leading batch dimensions (one matrix
    per bootstrap replicate).

    Computed by sweeping the drivers in order on the correlation matrix bordered by the
    outcome, [[R, r], [r', 1]]: after the subsets of drivers 0…j−1 are swept (2^j of them,
    in mask order), sweeping driver j on each gives the subsets that add it, whose masks
    are the old ones plus 2^j. The R² a pivot adds is c_y² / c_j, its column's outcome entry
    squared over its diagonal entry in the Schur complement left by the subset (the
    partial covariances given the subset), and the complement of the drivers not yet swept
    is all a later step needs. Without pivoting this is Gaussian elimination, stable for a
    positive definite ``R`` (which the callers check: a zero or negative pivot gives inf or
    NaN, not an error); it agrees with solving each subset's equations to about 1e-16 for a
    well-conditioned matrix (1e-11 near the collinearity limit that relative weights accept)
    and takes 2^p small steps instead of 2^p solves."""
    R = np.asarray(R, dtype=float)
    rxy = np.asarray(rxy, dtype=float)
    p = rxy.shape[-1]
    batch = np.broadcast_shapes(R.shape[:-2], rxy.shape[:-1])
    if p == 0:
        return np.zeros(batch + (1,))
    R = np.broadcast_to(R, batch + (p, p)).reshape((-1, p, p))
    r = np.broadcast_to(rxy, batch + (p,)).reshape((-1, p))
    out = np.empty((len(r), 1 << p))
    # a step's input, its result (twice as many matrices) and the temporaries: about 4× its input
    widest = 4 * max((1 << j) * (p - j + 1) ** 2 for j in range(p))
    step = max(1, _SWEEP_CELLS // widest)
    for start in range(0, len(r), step):
        part = slice(start, min(len(r), start + step))
        size = part.stop - part.start
        A = np.empty((size, 1, p + 1, p + 1))      # (replicate, subset, matrix): drivers left, outcome last
        A[:, 0, :p, :p] = R[part]
        A[:, 0, :p, p] = r[part]
        A[:, 0, p, :p] = r[part]
        A[:, 0, p, p] = 1.0
        r2 = np.zeros((size, 1))
        with np.errstate(divide="ignore", invalid="ignore"):
            for _ in range(p):
                pivot = A[:, :, 0, 0]
                column = A[:, :, 1:, 0]
                gain = column[..., -1] ** 2 / pivot
                swept = A[:, :, 1:, 1:] - column[..., :, None] * (column[..., None, :] / pivot[..., None, None])
                A = np.concatenate([A[:, :, 1:, 1:], swept], axis=1)
                r2 = np.concatenate([r2, r2 + gain], axis=1)
        out[part] = r2
    return out.reshape(batch + (1 << p,))


def _shapley_contributions(r2: np.ndarray, p: int) -> np.ndarray:
    """Each driver's average R² gain over all orderings, from the R² of every subset."""
    masks = np.arange(1 << p)
    sizes = np.zeros(1 << p, dtype=np.intp)
    for j in range(p):
        sizes += (masks >> j) & 1
    fact = math.factorial
    weight = np.array([fact(s) * fact(p - s - 1) / fact(p) for s in range(p)])
    contrib = np.zeros(r2.shape[:-1] + (p,))
    for j in range(p):
        without = masks[((masks >> j) & 1) == 0]
        contrib[..., j] = (r2[..., without | (1 << j)] - r2[..., without]) @ weight[sizes[without]]
    return contrib


def shapley_from_corr(R, rxy, names=None, *, n: int = 0, n_eff: float | None = None) -> DriverResult:
    """Shapley value / LMG decomposition of R² (METHODS.md §3) from the drivers' correlation
    matrix ``R`` and their correlations with the outcome ``rxy``; at most 15 drivers."""
    R = np.asarray(R, dtype=float)
    rxy = np.asarray(rxy, dtype=float)
    p = len(rxy)
    names = _names(names, p)
    if p > MAX_LMG_DRIVERS:
        raise DriverError(f"Shapley/LMG is limited to {MAX_LMG_DRIVERS} drivers ({p} given); use relative weights")
    if p and _collinear(np.linalg.eigvalsh(R)):
        # relative weights' rule (it also refuses a matrix that is not positive definite, whose
        # subsets the sweep of subset_r2 cannot solve)
        raise DriverError("the drivers are perfectly collinear (one is a combination of others); drop one of them")
    r2 = subset_r2(R, rxy)
    contrib = _shapley_contributions(r2, p)
    total = float(r2[-1])
    return DriverResult(names, "Shapley (LMG)", total, n, float(n if n_eff is None else n_eff),
                        [float(v) for v in contrib], [float(100 * v / total) if total > 0 else math.nan for v in contrib])


def shapley(y, X, weights=None, names=None, min_n: int = 30) -> DriverResult:
    """Shapley value / LMG decomposition of R² (METHODS.md §3), listwise; at most 15 drivers."""
    X = np.asarray(X, dtype=float)
    if X.ndim == 2 and X.shape[1] > MAX_LMG_DRIVERS:
        raise DriverError(f"Shapley/LMG is limited to {MAX_LMG_DRIVERS} drivers ({X.shape[1]} given); "
                          "use relative weights")
    c = listwise_correlations(y, X, weights, names, min_n)
    return shapley_from_corr(c.R, c.rxy, c.names, n=c.n, n_eff=c.n_eff)


# --------------------------------------------------------------------------- bootstrap

#: Replicates, seed and level of the bootstrap intervals when a project does not say
#: (``drivers.bootstrap``, ``drivers.seed``).
BOOTSTRAP_REPLICATES = 200
BOOTSTRAP_SEED = 20260115
BOOTSTRAP_LEVEL = 0.95

#: Replicates resampled together in one pass over the rows: their draw counts are held as a
#: replicates × rows table of small integers of at most this many bytes (every replicate at
#: once up to 1,000,000 rows at 200 replicates); and the most products held per row chunk.
_COUNT_BYTES = 256 << 20
_CHUNK_CELLS = 1 << 20


@dataclass(frozen=True)
class Replicates:
    """The importances of every bootstrap replicate: ``rw`` (relative weights) and ``lmg``
    (Shapley/LMG, or None) as contributions to R² (replicates × drivers), ``r2`` (each
    replicate's R²). A replicate that cannot be computed (a driver without variation among
    the respondents drawn, collinear drivers) is a row of NaN."""

    rw: np.ndarray
    lmg: np.ndarray | None
    r2: np.ndarray

    @property
    def used(self) -> int:
        return int(np.isfinite(self.r2).sum())


@dataclass(frozen=True)
class BootstrapIntervals:
    """Percentile intervals (``level``, default 95 %) of each driver's importance from
    ``replicates`` bootstrap resamples of the respondents (``used`` of them could be
    computed), drawn with ``seed``. Each interval is a (low, high) pair per driver: raw
    contributions to R² (``rw_raw``, ``lmg_raw``) and % of R² (``rw_pct``, ``lmg_pct``);
    the LMG ones are None when Shapley/LMG was not computed. ``r2``: R²'s interval."""

    replicates: int
    used: int
    seed: int
    level: float
    rw_raw: list[tuple[float, float]]
    rw_pct: list[tuple[float, float]]
    lmg_raw: list[tuple[float, float]] | None
    lmg_pct: list[tuple[float, float]] | None
    r2: tuple[float, float]


def _counts(rng: np.random.Generator, n: int, replicates: int):
    """Bootstrap draws, a group of replicates at a time: how often each of the ``n`` rows is
    drawn when ``n`` rows are drawn with replacement (``rng.integers(0, n, n)``, one call per
    replicate, in order)."""
    wide = n < 65536
    group = max(1, min(replicates, _COUNT_BYTES // (n * (2 if wide else 1))))
    for start in range(0, replicates, group):
        size = min(group, replicates - start)
        out = np.empty((size, n), dtype=np.uint16 if wide else np.uint8)
        for b in range(size):
            c = np.bincount(rng.integers(0, n, n), minlength=n)
            if out.dtype == np.uint8 and c.max() > 255:      # practically never: widen the group
                out = out.astype(np.uint16)
            out[b] = c
        yield out


_SLICE = 2.0 ** 26


def _exact_product(counts: np.ndarray, P: np.ndarray) -> np.ndarray:
    """``counts @ P`` (small whole numbers times a chunk of rows' products) computed so that the
    result does not depend on the order of the additions, i.e. on how many threads the BLAS
    library uses (a dask worker runs with one, a process-pool worker with several, and their
    reports must be byte-identical). Each column of ``P`` is scaled by a power of two to at most
    1 and split into two slices of whole numbers below 2²⁶ (to 2⁻⁵² of the column's largest
    value); their products with the counts and the sums of those are exact in float64 as long
    as count × rows < 2²⁷ (the caller's chunks keep to that), so any order gives the same bits."""
    top = np.maximum(P.max(axis=0), -P.min(axis=0))
    scale = np.exp2(np.ceil(np.log2(np.where(top > 0, top, 1.0))))
    U = P * (_SLICE / scale)
    hi = np.round(U)
    U -= hi                                     # the low slice, in place: (U − hi) · 2²⁶ rounded
    U *= _SLICE
    lo = np.round(U, out=U)
    C = counts.astype(float)
    return ((C @ hi) + (C @ lo) / _SLICE) * (scale / _SLICE)


#: OpenBLAS thread controls found in this process (set, get) — see :func:`_one_blas_thread`.
_BLAS_CONTROLS: list | None = None
_BLAS_LOCK = threading.Lock()
_BLAS_STATE = {"depth": 0, "saved": []}


def _blas_controls() -> list:
    """(set_num_threads, get_num_threads) of each OpenBLAS library numpy may use (numpy's
    wheels bundle one in ``numpy.libs`` or ``numpy/.dylibs``; a system numpy links the
    system's, found among the process's libraries on Linux). Empty when there is none (MKL,
    Accelerate…): then nothing is changed."""
    global _BLAS_CONTROLS
    if _BLAS_CONTROLS is not None:
        return _BLAS_CONTROLS
    found: list = []
    try:
        import ctypes
        import glob
        import os

        base = os.path.dirname(np.__file__)
        paths = (glob.glob(os.path.join(base, os.pardir, "numpy.libs", "*openblas*"))
                 + glob.glob(os.path.join(base, ".dylibs", "*openblas*")))
        if os.path.exists("/proc/self/maps"):
            with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
                paths += [line.split(None, 5)[5].strip() for line in maps
                          if "openblas" in line.lower() and len(line.split(None, 5)) == 6]
        seen = set()
        for path in paths:
            real = os.path.realpath(path)
            if real in seen or not os.path.isfile(real):
                continue
            seen.add(real)
            try:
                lib = ctypes.CDLL(real)
            except OSError:
                continue
            for prefix in ("scipy_openblas", "openblas"):
                for suffix in ("64_", "_64_", ""):
                    setter = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
                    getter = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                    if setter is not None and getter is not None:
                        setter.argtypes, setter.restype, getter.restype = [ctypes.c_int], None, ctypes.c_int
                        found.append((setter, getter))
                        break
                else:
                    continue
                break
    except Exception:               # pragma: no cover - an unusual installation: leave the threads alone
        found = []
    _BLAS_CONTROLS = found
    return found


@contextlib.contextmanager
def _one_blas_thread():
    """OpenBLAS on one thread inside the block (restored after; nested and concurrent blocks
    share one setting). The bootstrap's matrix products are exact whatever the threads
    (:func:`_exact_product`), so this changes no result; it changes the time: a product of
    200 replicates × a few thousand rows takes about 5 ms on one thread, while OpenBLAS's
    threads, waiting for a core on a busy machine, made it 5–10 times slower."""
    controls = _blas_controls()
    if not controls:
        yield
        return
    with _BLAS_LOCK:
        if _BLAS_STATE["depth"] == 0:
            _BLAS_STATE["saved"] = [(setter, getter()) for setter, getter in controls]
            for setter, _getter in controls:
                setter(1)
        _BLAS_STATE["depth"] += 1
    try:
        yield
    finally:
        with _BLAS_LOCK:
            _BLAS_STATE["depth"] -= 1
            if _BLAS_STATE["depth"] == 0:
                for setter, threads in _BLAS_STATE["saved"]:
                    setter(max(1, int(threads)))
                _BLAS_STATE["saved"] = []


def _resampled_sums(features, n: int, q: int, rng: np.random.Generator, replicates: int) -> np.ndarray:
    """Σ_rows count_b · f(row) for every replicate b, where ``features(start, stop)`` returns
    the rows' q products (already weighted). The counts of a group of replicates times the
    products of a chunk of rows is one matrix product (:func:`_exact_product`, whose bits do not
    depend on the BLAS library's threads, so it runs on one: :func:`_one_blas_thread`); the rows
    are never copied."""
    out = np.empty((replicates, q))
    done = 0
    with _one_blas_thread():
        for counts in _counts(rng, n, replicates):
            size = len(counts)
            biggest = int(counts.max()) if counts.size else 1
            # exact sums need (largest count) × (rows in a chunk) < 2²⁷
            chunk = max(1, min(max(1024, _CHUNK_CELLS // max(q, 1)), (1 << 27) // max(biggest, 1) - 1))
            acc = np.zeros((size, q))
            for start in range(0, n, chunk):
                stop = min(n, start + chunk)
                acc += _exact_product(counts[:, start:stop], features(start, stop))
            out[done:done + size] = acc
            done += size
    return out


def _listwise_replicate_corr(D: np.ndarray, w: np.ndarray, rng, replicates: int) -> np.ndarray:
    """Correlation matrices (replicates × k × k) of the complete cases ``D`` (rows × k),
    each replicate's respondents keeping their weights ``w``."""
    n, k = D.shape
    Z = np.column_stack([D - (w @ D) / w.sum(), np.ones(n)])      # centred for precision; 1 for Σw
    a, b = np.triu_indices(k + 1)

    def features(start, stop):
        z = Z[start:stop]
        out = z[:, a] * z[:, b]
        out *= w[start:stop, None]
        return out

    sums = _resampled_sums(features, n, len(a), rng, replicates)
    M = np.zeros((replicates, k + 1, k + 1))
    M[:, a, b] = sums
    M[:, b, a] = sums
    s0 = M[:, k, k]
    mean = M[:, :k, k] / s0[:, None]
    cov = M[:, :k, :k] / s0[:, None, None] - mean[:, :, None] * mean[:, None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt(np.clip(np.diagonal(cov, axis1=1, axis2=2), 0, None))
        scale = np.diagonal(M[:, :k, :k], axis1=1, axis2=2) / s0[:, None]
        sd = np.where(sd > 1e-7 * np.sqrt(np.maximum(scale, 1e-300)), sd, np.nan)   # constant in the replicate
        return cov / (sd[:, :, None] * sd[:, None, :])


def _pairwise_replicate_corr(D: np.ndarray, w: np.ndarray, rng, replicates: int, floor: float) -> np.ndarray:
    """Pairwise-complete correlation matrices (replicates × k × k) of ``D`` (rows × k, NaN =
    no answer), as :func:`pairwise_corr` computes them, repaired as :func:`repair_corr` does."""
    n, k = D.shape
    valid = ~np.isnan(D)
    counts = valid.sum(axis=0)
    centre = np.where(valid, D, 0.0).sum(axis=0) / np.maximum(counts, 1)
    V = valid.astype(float)
    Z = np.where(valid, D - centre, 0.0)
    iu, ju = np.triu_indices(k)
    ii, jj = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
    ii, jj = ii.ravel(), jj.ravel()
    q0, q1, q2 = len(iu), k * k, k * k

    def features(start, stop):
        v, z, ww = V[start:stop], Z[start:stop], w[start:stop, None]
        out = np.empty((stop - start, q0 + q1 + q2 + q0))
        vj = v[:, jj]
        np.multiply(v[:, iu], v[:, ju], out=out[:, :q0])
        np.multiply(z[:, ii], vj, out=out[:, q0:q0 + q1])
        np.multiply((z * z)[:, ii], vj, out=out[:, q0 + q1:q0 + q1 + q2])
        np.multiply(z[:, iu], z[:, ju], out=out[:, q0 + q1 + q2:])
        out *= ww
        return out

    sums = _resampled_sums(features, n, q0 + q1 + q2 + q0, rng, replicates)
    B = replicates
    s0 = np.zeros((B, k, k))
    s0[:, iu, ju] = sums[:, :q0]
    s0[:, ju, iu] = sums[:, :q0]
    s1 = sums[:, q0:q0 + q1].reshape(B, k, k)
    s2 = sums[:, q0 + q1:q0 + q1 + q2].reshape(B, k, k)
    sxy = np.zeros((B, k, k))
    sxy[:, iu, ju] = sums[:, q0 + q1 + q2:]
    sxy[:, ju, iu] = sums[:, q0 + q1 + q2:]
    with np.errstate(invalid="ignore", divide="ignore"):
        mi = s1 / s0
        mj = np.swapaxes(mi, 1, 2)
        cov = sxy / s0 - mi * mj
        var_i = s2 / s0 - mi * mi
        var_i = np.where(var_i > 1e-12 * np.maximum(s2 / s0, 1e-300), var_i, np.nan)
        corr = cov / np.sqrt(var_i * np.swapaxes(var_i, 1, 2))
    corr = np.clip(corr, -1.0, 1.0)
    idx = np.arange(k)
    corr[:, idx, idx] = 1.0
    corr = (corr + np.swapaxes(corr, 1, 2)) / 2
    ok = np.isfinite(corr).all(axis=(1, 2))
    out = np.full_like(corr, np.nan)
    if ok.any():
        C = corr[ok]
        values, vectors = np.linalg.eigh(C)
        bad = values.min(axis=1) < floor
        if bad.any():
            fixed = (vectors[bad] * np.maximum(values[bad], floor)[:, None, :]) @ np.swapaxes(vectors[bad], 1, 2)
            d = np.sqrt(np.diagonal(fixed, axis1=1, axis2=2))
            fixed = fixed / (d[:, :, None] * d[:, None, :])
            fixed = (fixed + np.swapaxes(fixed, 1, 2)) / 2
            fixed[:, idx, idx] = 1.0
            C[bad] = fixed
        out[ok] = C
    return out


def _batch_relative_weights(R: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """Raw relative weights of a batch of correlation matrices (NaN where one is collinear)."""
    values, vectors = np.linalg.eigh(R)
    collinear = _collinear(values)
    lam = (vectors * np.sqrt(np.clip(values, 0, None))[:, None, :]) @ np.swapaxes(vectors, 1, 2)
    raw = np.full(rxy.shape, np.nan)
    good = ~collinear
    if good.any():
        beta = np.linalg.solve(lam[good], rxy[good][..., None])[..., 0]
        raw[good] = np.einsum("bjk,bk->bj", lam[good] ** 2, beta ** 2)
    return raw


def bootstrap_replicates(y, X, weights=None, *, missing: str = "listwise", replicates: int = BOOTSTRAP_REPLICATES,
                         seed: int = BOOTSTRAP_SEED, lmg: bool = True, floor: float = REPAIR_FLOOR) -> Replicates:
    """Driver importances in ``replicates`` bootstrap resamples of the respondents.

    Listwise: the complete cases (with a usable weight) are resampled; pairwise: every
    respondent with a usable weight. Each replicate draws as many respondents as there are,
    with replacement (``numpy.random.default_rng(seed).integers(0, n, n)``, one call per
    replicate, in order); a weighted respondent keeps its weight each time it is drawn. The
    replicate's correlations are then those of :func:`listwise_correlations` or
    :func:`pairwise_correlations` on the drawn rows, computed from each row's draw count
    times its weighted cross-products without copying the rows; relative weights and
    Shapley/LMG (when ``lmg`` and at most 15 drivers) follow from them."""
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[0] != len(y):
        raise DriverError("drivers and outcome must have the same number of rows")
    p = X.shape[1]
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    usable = ~np.isnan(w) & (w > 0)
    D = np.column_stack([X, y])
    if missing == "listwise":
        usable &= ~np.isnan(D).any(axis=1)
    D, w = D[usable], w[usable]
    if len(D) < 2:
        raise DriverError(f"only {len(D)} respondents to resample")
    rng = np.random.default_rng(seed)
    if missing == "pairwise":
        corr = _pairwise_replicate_corr(D, w, rng, replicates, floor)
    else:
        corr = _listwise_replicate_corr(D, w, rng, replicates)
    ok = np.isfinite(corr).all(axis=(1, 2))
    rw = np.full((replicates, p), np.nan)
    rw[ok] = _batch_relative_weights(corr[ok, :p, :p], corr[ok, :p, p])
    ok &= np.isfinite(rw).all(axis=1)
    r2 = np.where(ok, rw.sum(axis=1), np.nan)
    rw[~ok] = np.nan
    shap = None
    if lmg and p <= MAX_LMG_DRIVERS:
        shap = np.full((replicates, p), np.nan)
        if ok.any():
            shap[ok] = _shapley_contributions(subset_r2(corr[ok, :p, :p], corr[ok, :p, p]), p)
        # a replicate whose subsets could not all be solved (cannot pass relative weights' rule)
        unsolved = ok & ~np.isfinite(shap).all(axis=1)
        if unsolved.any():
            rw[unsolved], r2[unsolved], shap[unsolved] = np.nan, np.nan, np.nan
    return Replicates(rw, shap, r2)


def percentile_intervals(reps: Replicates, *, seed: int, level: float = BOOTSTRAP_LEVEL) -> BootstrapIntervals:
    """Percentile intervals of the replicates' importances (raw and % of R²)."""
    ok = np.isfinite(reps.r2)
    tail = 100 * (1 - level) / 2
    q = [tail, 100 - tail]

    def bounds(values: np.ndarray) -> list[tuple[float, float]]:
        lo, hi = np.percentile(values[ok], q, axis=0)
        return [(float(a), float(b)) for a, b in zip(lo, hi)]

    def pct(values: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return 100 * values / reps.r2[:, None]

    r2 = np.percentile(reps.r2[ok], q)
    return BootstrapIntervals(len(reps.r2), reps.used, seed, level, bounds(reps.rw), bounds(pct(reps.rw)),
                              None if reps.lmg is None else bounds(reps.lmg),
                              None if reps.lmg is None else bounds(pct(reps.lmg)), (float(r2[0]), float(r2[1])))


def bootstrap_importance(y, X, weights=None, *, missing: str = "listwise", replicates: int = BOOTSTRAP_REPLICATES,
                         seed: int = BOOTSTRAP_SEED, lmg: bool = True, level: float = BOOTSTRAP_LEVEL,
                         floor: float = REPAIR_FLOOR) -> BootstrapIntervals | None:
    """Percentile bootstrap intervals of each driver's importance (:func:`bootstrap_replicates`),
    or None when fewer than half the replicates could be computed."""
    if replicates <= 0:
        return None
    reps = bootstrap_replicates(y, X, weights, missing=missing, replicates=replicates, seed=seed, lmg=lmg,
                                floor=floor)
    if reps.used < max(2, replicates / 2):
        return None
    return percentile_intervals(reps, seed=seed, level=level)


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


@dataclass(frozen=True)
class ItemReliability:
    """One item of a multi-item scale: its correlation with the sum of the scale's other
    items (item-rest, ``None`` when it cannot be computed) and the α of the other items
    (``alpha_if_deleted``; None for a two-item scale, or when it cannot be computed)."""

    name: str
    item_rest: float | None
    alpha_if_deleted: float | None


@dataclass(frozen=True)
class ScaleReliability:
    """Cronbach's α of a scale on ``n`` complete cases, with each item's diagnostics."""

    alpha: float
    n: int
    items: list[ItemReliability]

    @property
    def negative(self) -> list[ItemReliability]:
        """Items that correlate negatively with the rest of the scale."""
        return [i for i in self.items if i.item_rest is not None and i.item_rest < 0]


def scale_reliability(items, names=None, weights=None) -> ScaleReliability:
    """Cronbach's α (METHODS.md §4, listwise) with, for each item, its item-rest correlation
    (with the sum of the other items, weighted when ``weights`` are given) and α if the item
    were deleted, all on the same complete cases (the corrected item-total correlation and
    "alpha if dropped" of ``psych::alpha``'s ``r.drop`` and ``raw_alpha``)."""
    X = np.asarray(items, dtype=float)
    return reliability_from(Moments.of(X, weights, centres(X)), names)


def _alpha_of(C: np.ndarray) -> float:
    """α from the items' covariance matrix (any common scale: the ratio is what counts)."""
    k = len(C)
    total = float(C.sum())
    if not total > 1e-12 * max(float(np.trace(C)), 1e-300):
        raise DriverError("the scale total has no variation")
    return float(k / (k - 1) * (1 - np.trace(C) / total))


def reliability_from(m: Moments, names=None) -> ScaleReliability:
    """:func:`scale_reliability` from the Moments of the scale's items: α, item-rest
    correlations and α if deleted all follow from the complete cases' covariance matrix
    (rows of a survey read in batches add up to it)."""
    k = len(m.centre)
    names = _names(names, k)
    if k < 2:
        raise DriverError("Cronbach's α needs at least two items")
    if m.nc < 3:
        raise DriverError(f"only {m.nc} complete cases for Cronbach's α")
    mean = m.cz / m.cw
    C = m.czz / m.cw - np.outer(mean, mean)
    alpha = _alpha_of(C)
    out = []
    for j in range(k):
        others = [i for i in range(k) if i != j]
        var_j = float(C[j, j])
        var_rest = float(C[np.ix_(others, others)].sum())
        cov = float(C[j, others].sum())
        scale = max(float(np.trace(C)), 1e-300)
        item_rest = cov / math.sqrt(var_j * var_rest) if var_j > 1e-12 * scale and var_rest > 1e-12 * scale else None
        deleted = None
        if k > 2:
            try:
                deleted = _alpha_of(C[np.ix_(others, others)])
            except DriverError:
                deleted = None
        out.append(ItemReliability(names[j], item_rest, deleted))
    return ScaleReliability(alpha, m.nc, out)
