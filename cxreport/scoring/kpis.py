"""Survey KPIs (METHODS.md §1): NPS, CSAT, CES and attribute ratings.

Scoring works on *sufficient statistics*: for every item and group the weighted sums
Σw, Σw², Σw·x, Σw·x² and the weighted counts of the top and bottom categories. They are
computed for all groups at once with ``numpy.bincount`` (fast on a million rows), a
complement group is the total minus the group, and every KPI, interval and test is a
function of them. ``score_item`` is the plain entry point for one set of values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Literal

import numpy as np

from cxreport.scoring import stats
from cxreport.scoring.stats import TestResult

Kind = Literal["nps", "csat", "ces", "acsi", "rating"]
BaseFlag = Literal["ok", "small", "suppressed"]


@dataclass(frozen=True)
class BaseRules:
    """Small-base rules: suppress n < ``suppress_below``, flag n < ``flag_below``."""

    suppress_below: int = 30
    flag_below: int = 50

    def classify(self, n: int) -> BaseFlag:
        if n < self.suppress_below:
            return "suppressed"
        if n < self.flag_below:
            return "small"
        return "ok"


@dataclass(frozen=True)
class ItemSpec:
    """What an item is: its key, label, kind, scale and headline figure."""

    key: str
    label: str
    kind: Kind
    low: int
    high: int
    column: str = ""
    headline: Literal["nps", "top2", "mean", "index", "score"] = "mean"
    #: Where a continuous attribute comes from: "numeric" (a numeric item, ``bounds`` the bounds
    #: it declares as text: "0–100", "≥ 0", "" for none) or "composite" (a scale's score).
    origin: Literal["", "numeric", "composite"] = ""
    bounds: str = ""

    @property
    def continuous(self) -> bool:
        """Answers are any number between ``low`` and ``high`` (a numeric item, a composite
        scale score, the ACSI-style index), not points of a scale: no distribution, no top-2-box."""
        return self.kind == "acsi" or bool(self.origin)

    @classmethod
    def nps(cls, column: str = "", label: str = "NPS") -> ItemSpec:
        return cls("nps", label, "nps", 0, 10, column, "nps")

    @classmethod
    def csat(cls, column: str = "", scale: int = 5, label: str = "CSAT") -> ItemSpec:
        return cls("csat", label, "csat", 1, scale, column, "top2")

    @classmethod
    def ces(cls, column: str = "", label: str = "CES", headline: str = "mean") -> ItemSpec:
        return cls("ces", label, "ces", 1, 7, column, headline)  # type: ignore[arg-type]

    @classmethod
    def rating(cls, key: str, label: str, low: int = 1, high: int = 5, column: str = "") -> ItemSpec:
        return cls(key, label, "rating", low, high, column, "mean")

    @classmethod
    def numeric(cls, key: str, label: str, low: float, high: float, column: str = "",
                origin: str = "numeric") -> ItemSpec:
        """An attribute answered with any number (decimals allowed) between ``low`` and ``high``:
        a numeric item (the bounds it declares, or the answers' own range) or a composite scale."""
        def text(v: float) -> str:
            return f"{v:g}"
        if origin == "composite":
            bounds = f"{text(low)}–{text(high)}"
        elif math.isfinite(low) and math.isfinite(high):
            bounds = f"{text(low)}–{text(high)}"
        elif math.isfinite(low):
            bounds = f"≥ {text(low)}"
        elif math.isfinite(high):
            bounds = f"≤ {text(high)}"
        else:
            bounds = ""
        return cls(key, label, "rating", low, high, column, "mean",  # type: ignore[arg-type]
                   origin=origin, bounds=bounds)  # type: ignore[arg-type]

    @classmethod
    def acsi(cls, label: str = "ACSI-style index") -> ItemSpec:
        """The ACSI-style satisfaction index (METHODS.md §1): a 0–100 score per respondent,
        reported as its mean, in whole index points."""
        return cls("acsi", label, "acsi", 0, 100, "", "score")

    # Category bounds (inclusive) of the "high" and "low" groups.
    @property
    def hi_range(self) -> tuple[int, int]:
        if self.kind == "nps":
            return (9, 10)
        if self.kind == "ces":
            return (6, 7)
        return (self.high - 1, self.high)

    @property
    def lo_range(self) -> tuple[int, int]:
        if self.kind == "nps":
            return (0, 6)
        if self.kind == "ces":
            return (1, 3)
        return (self.low, self.low + 1)

    @property
    def hi_label(self) -> str:
        return {"nps": "Promoters", "ces": "Easy (6–7)"}.get(self.kind, f"Top 2 box ({self.high - 1}–{self.high})")

    @property
    def lo_label(self) -> str:
        return {"nps": "Detractors", "ces": "Difficult (1–3)"}.get(self.kind, f"Bottom 2 box ({self.low}–{self.low + 1})")

    @property
    def mid_label(self) -> str:
        return {"nps": "Passives", "ces": "Neutral (4–5)"}.get(self.kind, "Middle")

    @property
    def headline_unit(self) -> str:
        return {"nps": "points", "index": "points", "top2": "percent", "mean": "mean", "score": "index"}[self.headline]

    @property
    def headline_scale(self) -> tuple[float, float]:
        """The range of the headline figure (for tolerances and charts)."""
        if self.headline in ("nps", "index"):
            return (-100.0, 100.0)
        if self.headline == "top2":
            return (0.0, 100.0)
        return (float(self.low), float(self.high))


#: Decimals a report shows for each unit of a headline figure, and for a difference of two
#: such figures (NPS +28 and +3; 75% and −1 pts; a mean 5.17 and +0.04; an ACSI-style
#: index 75 and +4, as the index is published). One precision per measure, in every output;
#: a status against a target is judged on the figure as shown (cxreport.benchmark.targets).
DISPLAY_DECIMALS = {"points": 0, "percent": 0, "mean": 2, "index": 0}


def decimal_digits(value: float, decimals: int = 0) -> Decimal:
    """``value`` rounded to ``decimals`` places as a :class:`~decimal.Decimal`, halves away
    from zero, on the float's shortest decimal form (``repr``: 2.675 is '2.675', not the
    binary 2.67499999…), so the rounding is the one a reader does on the digits: 72.5 → 73,
    −0.5 → −1, 2.675 → 2.68, 0.125 → 0.13. Zero is never negative. ``value`` must be finite."""
    exact = Decimal(repr(float(value)))
    step = Decimal(1).scaleb(-decimals)
    context = Context(prec=max(28, exact.adjusted() + decimals + 2), rounding=ROUND_HALF_UP)
    rounded = exact.quantize(step, context=context)
    return rounded.copy_abs() if rounded.is_zero() else rounded


def round_half_away(value: float, decimals: int = 0) -> float:
    """The one rounding of every figure cxreport prints (tables, charts, sentences, the
    status rule, workbook and deck): ``value`` to ``decimals`` places, halves away from
    zero on its shortest decimal form (:func:`decimal_digits`). Python's ``round`` and
    f-strings round halves to even on the binary value (72.5 → 72, 2.675 → 2.67); this
    gives 73 and 2.68, as a reader expects. NaN and infinities are returned unchanged."""
    value = float(value)
    if not math.isfinite(value):
        return value
    return float(decimal_digits(value, decimals)) + 0.0


def shown_value(value: float, unit: str) -> float:
    """``value`` rounded as the report prints it: 27.66 NPS → 28, 74.5 % → 75, a mean
    4.996 → 5.0. The same rounding as cxreport.present.formatting (:func:`round_half_away`),
    so the status of a figure always agrees with the digits printed beside it."""
    return round_half_away(value, DISPLAY_DECIMALS.get(unit, 1))


def shown_difference(value: float | None, other: float | None, unit: str) -> float | None:
    """The difference of two figures as the report prints them: shown ``value`` minus shown
    ``other`` (74.4 % − 75.2 % → 74 − 75 = −1), exact at the unit's precision. Every
    difference printed beside the two figures it compares is this one, so it always adds
    up; the significance test behind its mark uses the exact figures. None when either
    figure is missing."""
    if value is None or other is None or not (math.isfinite(value) and math.isfinite(other)):
        return None
    return round_half_away(shown_value(value, unit) - shown_value(other, unit), DISPLAY_DECIMALS.get(unit, 1))


# --------------------------------------------------------------------------- sums

SUM_FIELDS = ("n", "sw", "sw2", "swx", "swx2", "n_hi", "sw_hi", "n_lo", "sw_lo")


@dataclass
class Sums:
    """Sufficient statistics of one item for G groups (arrays of length G)."""

    n: np.ndarray
    sw: np.ndarray
    sw2: np.ndarray
    swx: np.ndarray
    swx2: np.ndarray
    n_hi: np.ndarray
    sw_hi: np.ndarray
    n_lo: np.ndarray
    sw_lo: np.ndarray

    def __len__(self) -> int:
        return len(self.n)

    def total(self) -> Sums:
        return Sums(*(np.array([getattr(self, f).sum()]) for f in SUM_FIELDS))

    def complement(self, total: Sums) -> Sums:
        """Everyone not in each group: the total minus the group."""
        return Sums(*(getattr(total, f)[0] - getattr(self, f) for f in SUM_FIELDS))


class ItemColumns:
    """An item's answers, prepared once and reused for every grouping.

    Answers are points on a small integer scale, so every sum a KPI needs follows from a
    per-group histogram of the answers: counts, Σw and Σw² per scale point. That is three
    ``numpy.bincount`` calls per grouping, whatever the number of groups.
    ``x`` holds valid answers and NaN elsewhere (missing, N/A and invalid values).
    """

    def __init__(self, spec: ItemSpec, x: np.ndarray, w: np.ndarray | None = None):
        self.spec = spec
        x = np.asarray(x, dtype=float)
        valid = ~np.isnan(x)
        if spec.continuous:
            # Any number, not points of a scale: the sums come straight from the answers.
            self.valid = valid
            self.w = np.where(valid, 1.0 if w is None else np.asarray(w, dtype=float), 0.0)
            self.w2 = self.w * self.w
            self.x = np.where(valid, x, np.nan)
            self._x0 = np.where(valid, x, 0.0)
            return
        self.size = spec.high - spec.low + 1          # scale points; one more bin for "not valid"
        self.bins = self.size + 1
        point = np.full(len(x), self.size, dtype=np.int64)
        point[valid] = (x[valid] - spec.low).astype(np.int64)
        self.point = point
        self.w = np.ones(len(x)) if w is None else np.asarray(w, dtype=float)
        self.w2 = self.w * self.w
        self.x = np.where(valid, x, np.nan)

    def histograms(self, codes: np.ndarray | None, n_groups: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(count, Σw, Σw²) per group and scale point, each of shape (groups, points)."""
        key = self.point if codes is None else codes * self.bins + self.point
        length = n_groups * self.bins
        shape = (n_groups, self.bins)
        count = np.bincount(key, minlength=length).reshape(shape)[:, :self.size]
        sw = np.bincount(key, weights=self.w, minlength=length).reshape(shape)[:, :self.size]
        sw2 = np.bincount(key, weights=self.w2, minlength=length).reshape(shape)[:, :self.size]
        return count, sw, sw2

    def _continuous_sums(self, codes: np.ndarray | None, n_groups: int) -> Sums:
        wx = self.w * self._x0
        if codes is None:
            def total(weights):
                return np.array([float(np.sum(weights))])
        else:
            def total(weights):
                return np.bincount(codes, weights=weights, minlength=n_groups)[:n_groups]
        zero = np.zeros(n_groups)
        return Sums(n=total(self.valid.astype(float)), sw=total(self.w), sw2=total(self.w2), swx=total(wx),
                    swx2=total(wx * self._x0), n_hi=zero, sw_hi=zero.copy(), n_lo=zero.copy(), sw_lo=zero.copy())

    def sums(self, codes: np.ndarray | None = None, n_groups: int = 1) -> Sums:
        return self.tally(codes, n_groups).sums()

    def tally(self, codes: np.ndarray | None = None, n_groups: int = 1) -> ItemTally:
        """The answers counted for ``n_groups`` groups (:class:`ItemTally`): what their sums
        and distributions follow from, and what batches of rows add up to."""
        if self.spec.continuous:
            return ItemTally(self.spec, sums=self._continuous_sums(codes, n_groups))
        count, sw, sw2 = self.histograms(codes, n_groups)
        return ItemTally(self.spec, count, sw, sw2)

    def distribution(self) -> list[tuple[int, int, float]]:
        """(value, count, weighted %) for every scale point; the % add up to 100. A continuous
        item has no scale points: an empty list."""
        return self.tally().distribution(0)


def _scale_points(spec: ItemSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An item's scale points, and which of them are its top (hi) and bottom (lo) categories."""
    v = np.arange(spec.low, spec.high + 1, dtype=float)
    hi_a, hi_b = spec.hi_range
    lo_a, lo_b = spec.lo_range
    return v, (v >= hi_a) & (v <= hi_b), (v >= lo_a) & (v <= lo_b)


class ItemTally:
    """One item's answers counted for G groups: per group and scale point the respondents, Σw
    and Σw² (an item on a scale), or its :class:`Sums` straight away (a continuous item).
    Tallies of the same groups add up (``+``), so rows can be counted batch by batch
    (streamed scoring, docs/performance.md) and give the figures counting them at once gives,
    up to the order of the floating-point additions."""

    def __init__(self, spec: ItemSpec, count: np.ndarray | None = None, sw: np.ndarray | None = None,
                 sw2: np.ndarray | None = None, *, sums: Sums | None = None):
        self.spec = spec
        self.count, self.sw, self.sw2 = count, sw, sw2
        self._sums = sums

    @property
    def groups(self) -> int:
        return len(self._sums) if self._sums is not None else int(self.count.shape[0])

    def __add__(self, other: ItemTally) -> ItemTally:
        if self._sums is not None:
            return ItemTally(self.spec, sums=Sums(*(getattr(self._sums, f) + getattr(other._sums, f)
                                                    for f in SUM_FIELDS)))
        return ItemTally(self.spec, self.count + other.count, self.sw + other.sw, self.sw2 + other.sw2)

    def regroup(self, mapping: np.ndarray, size: int) -> ItemTally:
        """The tally of ``size`` new groups: old group ``g`` counted in ``mapping[g]`` (−1: left
        out). Cells of a finer grouping (segment group × period) give any coarser one."""
        mapping = np.asarray(mapping, dtype=np.int64)
        keep = mapping >= 0

        def add(a: np.ndarray) -> np.ndarray:
            out = np.zeros((size,) + a.shape[1:], dtype=a.dtype)
            np.add.at(out, mapping[keep], a[keep])
            return out

        if self._sums is not None:
            return ItemTally(self.spec, sums=Sums(*(add(np.asarray(getattr(self._sums, f))) for f in SUM_FIELDS)))
        return ItemTally(self.spec, add(self.count), add(self.sw), add(self.sw2))

    def sums(self) -> Sums:
        if self._sums is not None:
            return self._sums
        count, sw, sw2 = self.count, self.sw, self.sw2
        v, hi, lo = _scale_points(self.spec)
        return Sums(n=count.sum(axis=1).astype(float), sw=sw.sum(axis=1), sw2=sw2.sum(axis=1),
                    swx=sw @ v, swx2=sw @ (v * v),
                    n_hi=count[:, hi].sum(axis=1).astype(float), sw_hi=sw[:, hi].sum(axis=1),
                    n_lo=count[:, lo].sum(axis=1).astype(float), sw_lo=sw[:, lo].sum(axis=1))

    def distribution(self, g: int = 0) -> list[tuple[int, int, float]]:
        """(value, count, weighted %) of group ``g`` for every scale point; the % add up to 100.
        A continuous item has no scale points: an empty list."""
        if self._sums is not None:
            return []
        count, sw = self.count[g], self.sw[g]
        total = sw.sum()
        return [(int(p), int(count[i]), float(100 * (sw[i] / total)) if total > 0 else math.nan)
                for i, p in enumerate(_scale_points(self.spec)[0])]


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Estimate:
    """One figure with its 95 % interval and base.

    ``value`` is in display units: NPS and index points, percent, or a mean on the item's
    scale. ``share`` (0–1) is set for proportions and ``sd`` for means; tests use them.
    """

    value: float
    low: float
    high: float
    se: float
    n: int
    n_eff: float
    base: BaseFlag
    unit: Literal["points", "percent", "mean", "index"]
    share: float | None = None
    sd: float | None = None

    @property
    def shown(self) -> bool:
        return self.base != "suppressed" and math.isfinite(self.value)

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2


@dataclass(frozen=True)
class ItemResult:
    """Every figure for one item in one group."""

    spec: ItemSpec
    n: int
    n_eff: float
    weighted_base: float
    base: BaseFlag
    mean: Estimate
    share_hi: float  # weighted % in the top category (promoters, top 2, easy)
    share_mid: float
    share_lo: float
    count_hi: int
    count_mid: int
    count_lo: int
    top2: Estimate | None = None
    nps: Estimate | None = None
    nps_adjusted: Estimate | None = None
    index: Estimate | None = None
    distribution: list[tuple[int, int, float]] = field(default_factory=list)

    @property
    def headline(self) -> Estimate:
        return {"nps": self.nps, "top2": self.top2, "index": self.index, "mean": self.mean,
                "score": self.mean}[self.spec.headline]


def _nan_estimate(unit: str, n: int, n_eff: float, base: BaseFlag) -> Estimate:
    return Estimate(math.nan, math.nan, math.nan, math.nan, n, n_eff, base, unit)  # type: ignore[arg-type]


def result_from_sums(spec: ItemSpec, s: Sums, i: int = 0, rules: BaseRules = BaseRules(),
                     distribution: list[tuple[int, int, float]] | None = None) -> ItemResult:
    """Build the figures of group ``i`` from its sufficient statistics."""
    n = int(round(s.n[i]))
    sw, sw2 = float(s.sw[i]), float(s.sw2[i])
    n_eff = stats.neff_from_sums(sw, sw2)
    base = rules.classify(n)
    mean_unit = "index" if spec.headline == "score" else "mean"
    if n == 0 or sw <= 0:
        empty = _nan_estimate(mean_unit, n, n_eff, base)
        return ItemResult(spec, n, n_eff, sw, base, empty, math.nan, math.nan, math.nan, 0, 0, 0,
                          top2=(_nan_estimate("percent", n, n_eff, base)
                                if spec.kind in ("csat", "rating") and not spec.continuous else None),
                          nps=_nan_estimate("points", n, n_eff, base) if spec.kind == "nps" else None,
                          nps_adjusted=_nan_estimate("points", n, n_eff, base) if spec.kind == "nps" else None,
                          index=_nan_estimate("points", n, n_eff, base) if spec.kind == "ces" else None,
                          distribution=distribution or [])
    # Σw of a category and of the group are summed in different orders: keep a share of a
    # group that is all promoters (or all detractors) at exactly 1, not 1 + 2e-16.
    p_hi = min(float(s.sw_hi[i]) / sw, 1.0)
    p_lo = min(float(s.sw_lo[i]) / sw, 1.0)
    p_mid = max(0.0, 1.0 - p_hi - p_lo)
    n_hi, n_lo = int(round(s.n_hi[i])), int(round(s.n_lo[i]))

    mean = min(max(float(s.swx[i]) / sw, float(spec.low)), float(spec.high))   # all 7s: 7, not 7.000000000000001
    sd = stats.weighted_sd(sw, float(s.swx[i]), float(s.swx2[i]), n_eff)
    low, high = stats.t_interval(mean, sd, n_eff)
    low, high = max(low, float(spec.low)), min(high, float(spec.high))   # a mean cannot leave its scale
    se = sd / math.sqrt(n_eff) if n_eff > 0 and math.isfinite(sd) else math.nan
    mean_est = Estimate(mean, low, high, se, n, n_eff, base, mean_unit, sd=sd)  # type: ignore[arg-type]

    top2 = nps = nps_adj = index = None
    if spec.kind in ("csat", "rating") and not spec.continuous:
        lo_p, hi_p = stats.wilson(p_hi, n_eff)
        se_p = math.sqrt(p_hi * (1 - p_hi) / n_eff) if n_eff > 0 else math.nan
        top2 = Estimate(100 * p_hi, 100 * lo_p, 100 * hi_p, 100 * se_p, n, n_eff, base, "percent", share=p_hi)
    if spec.kind in ("nps", "ces"):
        score, se_s, lo_s, hi_s = stats.nps_wald(p_hi, p_lo, n_eff)
        est = Estimate(score, lo_s, hi_s, se_s, n, n_eff, base, "points")
        if spec.kind == "nps":
            nps = est
            a_score, a_se, a_lo, a_hi = stats.nps_adjusted_wald(p_hi * n_eff, p_mid * n_eff, p_lo * n_eff)
            nps_adj = Estimate(a_score, a_lo, a_hi, a_se, n, n_eff, base, "points")
        else:
            index = est
    return ItemResult(spec, n, n_eff, sw, base, mean_est, 100 * p_hi, 100 * p_mid, 100 * p_lo,
                      n_hi, n - n_hi - n_lo, n_lo, top2=top2, nps=nps, nps_adjusted=nps_adj, index=index,
                      distribution=distribution or [])


def score_item(spec: ItemSpec, values, weights=None, rules: BaseRules = BaseRules()) -> ItemResult:
    """Score one item from its valid values (NaN = not a valid answer) and optional weights."""
    cols = ItemColumns(spec, np.asarray(values, dtype=float), weights)
    return result_from_sums(spec, cols.sums(), 0, rules, cols.distribution())


def nps(values, weights=None, rules: BaseRules = BaseRules()) -> ItemResult:
    """NPS of 0–10 answers (convenience wrapper)."""
    return score_item(ItemSpec.nps(), values, weights, rules)


# --------------------------------------------------------------------------- comparisons


def compare(a: ItemResult, b: ItemResult) -> TestResult | None:
    """Test ``a``'s headline against ``b``'s; ``None`` when either base is suppressed.

    NPS and the CES index: difference z-test with SE = √(SE₁² + SE₂²); proportions:
    two-sample z-test with pooled proportion; means: Welch's t. Effective n throughout.
    """
    ea, eb = a.headline, b.headline
    if not (ea.shown and eb.shown):
        return None
    headline = a.spec.headline
    if headline in ("nps", "index"):
        return stats.diff_test_se(ea.value, ea.se, eb.value, eb.se,
                                  "NPS difference z-test" if headline == "nps" else "index difference z-test")
    if headline == "top2":
        result = stats.two_proportion_ztest(ea.share * ea.n_eff, ea.n_eff, eb.share * eb.n_eff, eb.n_eff)
        return TestResult(100 * result.diff, result.statistic, result.p_value, result.method)
    return stats.welch_ttest(ea.value, ea.sd, ea.n_eff, eb.value, eb.sd, eb.n_eff)
