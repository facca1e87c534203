"""Statistical building blocks (METHODS.md §1–2). Pure functions on numbers.

Conventions: shares are fractions (0–1) unless a name says ``pct``; ``n`` in an interval
or test is the Kish effective sample size when the data are weighted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: z for a two-sided 95 % interval, as fixed in METHODS.md.
Z95 = 1.959964


def _special():
    """scipy.special, imported when first needed (its import takes about 0.2 s, and a build that
    reads its scores from the cache never needs it)."""
    from scipy import special

    return special


def kish_neff(weights: np.ndarray) -> float:
    """Kish effective sample size (Σw)² / Σw²."""
    w = np.asarray(weights, dtype=float)
    sw2 = float(np.dot(w, w))
    return float(w.sum()) ** 2 / sw2 if sw2 > 0 else 0.0


def neff_from_sums(sw: float, sw2: float) -> float:
    return sw * sw / sw2 if sw2 > 0 else 0.0


# --------------------------------------------------------------------------- NPS-type


def nps_se(p: float, d: float, n: float) -> float:
    """Standard error of NPS in points: 100·√((p + d − (p − d)²) / n)."""
    if n <= 0:
        return math.nan
    var = p + d - (p - d) ** 2
    return 100.0 * math.sqrt(max(var, 0.0) / n)


def nps_wald(p: float, d: float, n: float, z: float = Z95) -> tuple[float, float, float, float]:
    """NPS, SE and Wald interval from the promoter and detractor shares.

    The interval is cut at −100 and +100: NPS ± z·SE passes the ends of the scale near
    them (29 promoters and a passive: 96.7 ± 6.4), and an NPS cannot exceed 100.
    """
    score = 100.0 * (p - d)
    se = nps_se(p, d, n)
    return score, se, max(score - z * se, -100.0), min(score + z * se, 100.0)


def nps_adjusted_wald(promoters: float, passives: float, detractors: float,
                      z: float = Z95) -> tuple[float, float, float, float]:
    """Adjusted Wald: add 0.75 promoters, 1.5 passives, 0.75 detractors, then Wald.

    For weighted data the counts are the weighted shares times the effective n.
    """
    pr, pa, de = promoters + 0.75, passives + 1.5, detractors + 0.75
    n = pr + pa + de
    return nps_wald(pr / n, de / n, n, z)


# --------------------------------------------------------------------------- proportions


def wilson(p: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion (no continuity correction)."""
    if n <= 0:
        return math.nan, math.nan
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    # The interval always contains p (0 at p = 0); rounding can leave 1e-15 on the wrong side.
    return max(0.0, min(centre - half, p)), min(1.0, max(centre + half, p))


# --------------------------------------------------------------------------- means


def t_interval(mean: float, sd: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """Two-sided t interval for a mean (df = n − 1; n is n_eff when weighted)."""
    if n <= 1 or not math.isfinite(sd):
        return math.nan, math.nan
    t = float(_special().stdtrit(n - 1, 0.5 + confidence / 2))
    half = t * sd / math.sqrt(n)
    return float(mean - half), float(mean + half)


def weighted_sd(sw: float, swx: float, swx2: float, n_eff: float) -> float:
    """Weighted standard deviation with the n_eff/(n_eff − 1) correction.

    With all weights 1 this is the ordinary sample standard deviation.
    """
    if sw <= 0 or n_eff <= 1:
        return math.nan
    mean = swx / sw
    var_pop = swx2 / sw - mean * mean
    # Σwx²/Σw − x̄² cancels: identical answers can leave 1e-16·x̄² instead of 0, which the t
    # quantile of an n_eff just above 1 turns into a visible interval. That is rounding.
    if var_pop <= 1e-13 * mean * mean:
        var_pop = 0.0
    return math.sqrt(var_pop * n_eff / (n_eff - 1))


# --------------------------------------------------------------------------- tests


@dataclass(frozen=True)
class TestResult:
    """A two-sided test of ``a − b``."""

    diff: float
    statistic: float
    p_value: float
    method: str

    def significant(self, alpha: float) -> bool:
        return math.isfinite(self.p_value) and self.p_value < alpha

    @property
    def direction(self) -> int:
        return 0 if self.diff == 0 or not math.isfinite(self.diff) else (1 if self.diff > 0 else -1)


def _two_sided_normal(z: float) -> float:
    return float(2 * _special().ndtr(-abs(z))) if math.isfinite(z) else math.nan


def diff_test_se(a: float, se_a: float, b: float, se_b: float, method: str = "NPS difference z-test") -> TestResult:
    """Difference of two independent estimates with known standard errors (NPS, CES index)."""
    diff = a - b
    se = math.sqrt(se_a ** 2 + se_b ** 2)
    z = diff / se if se > 0 else math.nan
    return TestResult(diff, z, _two_sided_normal(z), method)


def two_proportion_ztest(x1: float, n1: float, x2: float, n2: float) -> TestResult:
    """Two-sample z-test for proportions with the pooled proportion (x = successes)."""
    if n1 <= 0 or n2 <= 0:
        return TestResult(math.nan, math.nan, math.nan, "two-proportion z-test")
    p1, p2 = x1 / n1, x2 / n2
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = (p1 - p2) / se if se > 0 else (0.0 if p1 == p2 else math.nan)
    return TestResult(p1 - p2, z, _two_sided_normal(z) if se > 0 else (1.0 if p1 == p2 else math.nan),
                      "two-proportion z-test")


def welch_ttest(m1: float, sd1: float, n1: float, m2: float, sd2: float, n2: float) -> TestResult:
    """Welch's unequal-variance t-test for two means."""
    if n1 <= 1 or n2 <= 1:
        return TestResult(math.nan, math.nan, math.nan, "Welch t-test")
    v1, v2 = sd1 ** 2 / n1, sd2 ** 2 / n2
    se = math.sqrt(v1 + v2)
    if se == 0:
        return TestResult(m1 - m2, 0.0 if m1 == m2 else math.nan, 1.0 if m1 == m2 else math.nan, "Welch t-test")
    t = (m1 - m2) / se
    df = (v1 + v2) ** 2 / (v1 ** 2 / (n1 - 1) + v2 ** 2 / (n2 - 1))
    return TestResult(m1 - m2, t, float(2 * _special().stdtr(df, -abs(t))), "Welch t-test")


# --------------------------------------------------------------------------- multiple comparisons

#: How the p-values of one table's comparisons are adjusted together (METHODS.md §8).
ADJUSTMENTS = ("bh", "bonferroni", "none")


def adjust_pvalues(p_values, method: str = "bh") -> np.ndarray:
    """The p-values of one table's comparisons adjusted together (METHODS.md §8).

    ``bh``: Benjamini–Hochberg, adjusted p(i) = min over j ≥ i of m·p(j)/j, capped at 1;
    ``bonferroni``: min(1, m·p); ``none``: as they are. NaN (a comparison not made) stays
    NaN and does not count in m. The result keeps the input's order.
    """
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    m = int(ok.sum())
    if m == 0:
        return out
    if method == "none":
        out[ok] = p[ok]
        return out
    if method == "bonferroni":
        out[ok] = np.minimum(1.0, m * p[ok])
        return out
    if method != "bh":
        raise ValueError(f"unknown adjustment '{method}' (use one of {', '.join(ADJUSTMENTS)})")
    values = p[ok]
    order = np.argsort(values, kind="mergesort")
    ranked = values[order] * m / np.arange(1, m + 1)
    ranked = np.minimum(1.0, np.minimum.accumulate(ranked[::-1])[::-1])
    adjusted = np.empty(m)
    adjusted[order] = ranked
    out[ok] = adjusted
    return out
