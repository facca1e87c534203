"""Voice of the customer in numbers: what each comment theme costs in NPS, how themes and
sentiment move from period to period, and which themes are emerging (issue 16, items 1–2).

Pure functions on plain inputs (numpy arrays, pandas Series or DataFrames, weights); every
result is a dataclass. The figures and tests are cxreport's own (``kpis.result_from_sums``,
``stats``): weighted shares and means with the Kish effective n in every interval and test
(METHODS.md §1), the small-base rules of ``kpis.BaseRules`` (a suppressed base shows no
figure and is never tested), and the p-values of one table adjusted together with
``stats.adjust_pvalues`` (METHODS.md §8); a difference is significant where its adjusted
p ≤ α and it is not zero.

Inputs are per **respondent** (one row each, as ``SurveyData``): ``mentions`` is a mapping
theme → boolean array (what ``comments.code_themes`` returns) or a DataFrame of boolean
columns. Theme flags coded per *comment* are turned into respondent flags by
:func:`respondent_flags` (a respondent mentions a theme when any of their comments does).

Theme impact (METHODS.md §11), :func:`theme_impact`
    For each theme T: NPS_T of the respondents with an NPS answer whose comment mentions T,
    NPS_notT of all other respondents with an NPS answer (commenters or not), their difference
    NPS_T − NPS_notT with SE² = SE_T² + SE_notT², its 95 % interval Δ ± z·SE and the z-test's
    p-value; and the **NPS impact** = overall NPS − NPS_notT, the points the overall score
    loses to T. Since overall NPS = s·NPS_T + (1 − s)·NPS_notT (s = T's weighted share of the
    NPS answerers), the impact is exactly s·Δ; its interval is s·(Δ ± z·SE), the interval of Δ
    scaled by the observed share (the share taken as fixed), so it excludes 0 exactly when Δ
    is significant before adjustment. With CSAT: top-2-box % of the two groups (each on its own
    valid CSAT base), the difference in percentage points with the two-proportion z-test of
    METHODS.md §1 (pooled proportion) for the p-value and the unpooled Wald SE
    √(p₁(1−p₁)/n₁ + p₂(1−p₂)/n₂) for the interval, and the CSAT impact defined like the NPS
    one. All NPS and CSAT tests of the table are adjusted together (one table). Themes are
    ranked by NPS impact, the largest loss first (most negative impact); themes whose NPS_T or
    NPS_notT base is suppressed come last, in the same order, with ``shown`` False.

Themes and sentiment over time, :func:`theme_trends`
    Per period (in the order given; a period's rows are the respondents whose period is it):
    each theme's share of the period's comments (the base: respondents with a comment) with its
    Wilson interval, and its share of all the period's respondents (with its Wilson interval,
    descriptive); the share named by ``base`` ("comments" by default, or "respondents") is
    tested against the previous period in the order with the two-proportion z-test (weighted:
    share × n_eff successes of n_eff, as ``kpis.compare`` does), the K tests of one period
    adjusted together. The theme's mean sentiment among its comments in each period is given
    (descriptive). Mean sentiment of all the period's comments with a score: weighted mean,
    t interval on n_eff, Welch's t-test against the previous period; the tests of the sentiment
    row (one per period) are adjusted together. A period whose base is suppressed, or whose
    previous period's is, gets no test.

Emerging themes, :func:`emerging_themes`
    A theme is emerging in the latest period of the trends (the last in the order) when all of:
    (1) its share rose against the previous period and the rise is significant after the
    adjustment within the latest period's table (the trends' own test); (2) at least
    ``min_count`` comments (default 10) mention it in the latest period, so that a jump from
    1 to 3 mentions is never emerging however small the bases; (3) the rise is at least
    ``min_rise`` percentage points (default 0); and (4) when there are two or more earlier
    periods and ``against_baseline`` is on (the default), its share is also significantly
    higher than the pooled earlier periods (every period before the latest, pooled: Σ mentions
    ÷ Σ base, weighted alike; these K baseline tests are adjusted together). Condition (4)
    keeps a theme that only dipped in the previous period and came back to its usual level from
    being called new. Works for any set of flags (code-frame themes or suggested phrases).
    Flagged themes are listed by their rise, largest first.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from cxreport.errors import ConfigError, DataError
from cxreport.scoring import stats
from cxreport.scoring.kpis import BaseFlag, BaseRules, Estimate, ItemColumns, ItemSpec, result_from_sums
from cxreport.scoring.stats import Z95


def _special():
    """scipy.special, imported when first needed (its import takes about 0.2 s, and a build that
    reads its scores from the cache never needs it)."""
    from scipy import special

    return special


BASES = ("comments", "respondents")


# --------------------------------------------------------------------------- inputs


def _settings(alpha: float, adjust: str) -> None:
    if adjust not in stats.ADJUSTMENTS:
        raise ConfigError(f"adjust: unknown adjustment '{adjust}' (use one of {', '.join(stats.ADJUSTMENTS)})")
    if not (isinstance(alpha, (int, float)) and 0 < alpha < 1):
        raise ConfigError(f"alpha: {alpha!r} is not a significance level between 0 and 1")


def _show(value) -> str:
    """A value as a user wrote it (2, 'x', -1.0), not numpy's repr (np.int64(2))."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _flags(values, name: str, n: int | None) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise DataError(f"{name}: expected one flag per row, got an array of shape {arr.shape}")
    if n is not None and len(arr) != n:
        raise DataError(f"{name}: {len(arr)} values for {n} rows")
    if arr.dtype == bool:
        return arr
    if arr.dtype == object:
        ok = np.array([isinstance(v, (bool, np.bool_)) or (isinstance(v, (int, np.integer)) and v in (0, 1))
                       for v in arr], dtype=bool)
    elif np.issubdtype(arr.dtype, np.number):
        ok = np.isin(arr, (0, 1))
    else:
        ok = np.zeros(len(arr), dtype=bool)
    if not ok.all():
        bad = int(np.flatnonzero(~ok)[0])
        raise DataError(f"{name}: value {_show(arr[bad])} at position {bad} is not a true/false flag")
    return arr.astype(bool)


def _mention_matrix(mentions, n: int | None) -> tuple[list[str], np.ndarray]:
    """(theme names, n × K boolean matrix) from a mapping or a DataFrame of flags."""
    if isinstance(mentions, pd.DataFrame):
        names = [str(c) for c in mentions.columns]
        columns = [mentions.iloc[:, k].to_numpy() for k in range(mentions.shape[1])]
    elif isinstance(mentions, Mapping):
        names = [str(k) for k in mentions]
        columns = [mentions[k] for k in mentions]
    else:
        raise DataError("mentions: expected a mapping theme → flags or a DataFrame of flag columns")
    if not names:
        raise DataError("mentions: no themes")
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise DataError(f"mentions: theme '{name}' appears twice")
        seen.add(name)
    if n is None:
        n = len(np.asarray(columns[0]))
    matrix = np.empty((n, len(names)), dtype=bool)
    for k, (name, col) in enumerate(zip(names, columns)):
        matrix[:, k] = _flags(col, f"mentions['{name}']", n)
    return names, matrix


def _weights(weights, n: int) -> np.ndarray:
    if weights is None:
        return np.ones(n)
    try:
        w = np.asarray(weights, dtype=float)
    except (TypeError, ValueError):
        raise DataError("weights: not numbers") from None
    if w.ndim != 1 or len(w) != n:
        raise DataError(f"weights: {w.size} values for {n} rows")
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(f"weights: value {_show(w[i])} at position {i} is not a finite weight ≥ 0")
    return w


def _scale_values(values, name: str, low: int, high: int, n: int | None = None) -> np.ndarray:
    """Answers as floats, NaN = no answer; every other value must be a point low…high."""
    try:
        x = pd.to_numeric(pd.Series(values), errors="raise").astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        raise DataError(f"{name}: not numbers") from None
    if n is not None and len(x) != n:
        raise DataError(f"{name}: {len(x)} values for {n} rows")
    valid = ~np.isnan(x)
    bad = valid & ((x < low) | (x > high) | (x != np.round(x)))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(f"{name}: value {x[i]:g} at position {i} is not a point of the {low}–{high} scale")
    return x


def respondent_flags(flags, rows, n: int) -> np.ndarray:
    """Flags per comment (a boolean array, or an n_comments × K matrix) as flags per respondent:
    ``rows`` gives each comment's respondent (0 … n − 1); a respondent is flagged when any of
    their comments is."""
    f = np.asarray(flags, dtype=bool)
    r = np.asarray(rows)
    if len(r) != len(f):
        raise DataError(f"rows: {len(r)} respondents for {len(f)} comments")
    if len(r) and (not np.issubdtype(r.dtype, np.integer) or r.min() < 0 or r.max() >= n):
        raise DataError(f"rows: every comment's respondent must be a row number 0–{n - 1}")
    out = np.zeros((n,) + f.shape[1:], dtype=bool)
    np.logical_or.at(out, r, f)
    return out


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Difference:
    """``a − b`` with its SE, 95 % interval and two-sided test (p adjusted with its table)."""

    value: float
    se: float
    low: float
    high: float
    statistic: float
    p_value: float
    method: str
    p_adjusted: float = math.nan
    significant: bool = False

    @property
    def direction(self) -> int:
        return 0 if not self.significant else (1 if self.value > 0 else -1)


@dataclass(frozen=True)
class ThemeImpact:
    """One theme's row of the impact table (NPS in points, CSAT in % and %-points)."""

    theme: str
    rank: int                       # 1 = the largest NPS loss; shown themes first
    mentions: int                   # respondents whose comment mentions the theme (any NPS answer)
    count: int                      # … of them with a valid NPS answer
    share: float                    # weighted share (0–1) of the NPS answerers mentioning the theme
    nps_theme: Estimate             # NPS_T
    nps_other: Estimate             # NPS_notT
    nps_diff: Difference | None     # NPS_T − NPS_notT; None when either base is suppressed
    impact: float                   # overall NPS − NPS_notT (= share × difference), points
    impact_low: float
    impact_high: float
    csat_theme: Estimate | None = None      # top-2-box % of the theme's CSAT answerers
    csat_other: Estimate | None = None
    csat_diff: Difference | None = None     # %-points
    csat_share: float = math.nan            # weighted share of the CSAT answerers mentioning it
    csat_impact: float = math.nan           # overall top-2 % − top-2 % of the others, %-points

    @property
    def shown(self) -> bool:
        return self.nps_theme.shown and self.nps_other.shown


@dataclass
class ThemeImpactTable:
    overall_nps: Estimate
    overall_csat: Estimate | None
    themes: list[ThemeImpact]       # ranked
    alpha: float
    adjust: str
    n_tests: int                    # comparisons adjusted together (NPS and CSAT)

    @property
    def n_significant(self) -> int:
        return sum(1 for t in self.themes for d in (t.nps_diff, t.csat_diff) if d is not None and d.significant)


@dataclass(frozen=True)
class TrendCell:
    """A theme in one period. Shares and changes in % and %-points."""

    period: str
    count: int                      # comments mentioning the theme (unweighted)
    base: int                       # the period's comments
    share: float                    # weighted % of the period's comments
    low: float
    high: float                     # Wilson interval on n_eff
    respondents: int                # the period's respondents
    share_respondents: float        # weighted % of the period's respondents
    low_respondents: float
    high_respondents: float
    base_flag: BaseFlag             # of the tested base
    mean_sentiment: float           # weighted mean sentiment of the theme's comments (NaN: none)
    change: Difference | None = None        # against the previous period, on the tested share

    @property
    def shown(self) -> bool:
        return self.base_flag != "suppressed"


@dataclass(frozen=True)
class ThemeTrend:
    theme: str
    cells: list[TrendCell]          # one per period, in order


@dataclass(frozen=True)
class SentimentPeriod:
    period: str
    n: int                          # comments with a sentiment score
    n_eff: float
    mean: float
    low: float
    high: float                     # t interval on n_eff
    sd: float
    base_flag: BaseFlag
    change: Difference | None = None        # Welch's t against the previous period


@dataclass
class _PeriodSums:
    """Per period (P) and theme (K) sums kept for the emerging-theme tests."""

    n_base: np.ndarray              # P
    sw_base: np.ndarray
    sw2_base: np.ndarray
    count: np.ndarray               # P × K
    sw_hit: np.ndarray              # P × K


@dataclass
class ThemeTrends:
    periods: list[str]
    base: str                       # the tested share: "comments" or "respondents"
    themes: list[ThemeTrend]        # in the input's order
    sentiment: list[SentimentPeriod]        # empty when no sentiment was given
    alpha: float
    adjust: str
    rules: BaseRules
    sums: _PeriodSums = field(repr=False)


@dataclass(frozen=True)
class EmergingTheme:
    theme: str
    period: str                     # the latest period
    previous: str
    count: int                      # mentions in the latest period
    share: float                    # % in the latest period
    previous_share: float
    change: Difference              # vs the previous period (adjusted within the latest period's table)
    baseline_share: float = math.nan        # % in the pooled earlier periods
    baseline: Difference | None = None      # vs the pooled earlier periods (adjusted across themes)
    emerging: bool = False
    #: why not, when not (a code the report translates): "suppressed" (a base too small to
    #: test), "no_rise" (no significant rise on the previous period), "few_mentions" (under
    #: min_count), "small_rise" (under min_rise), "not_above_earlier" (not significantly above
    #: the pooled earlier periods); "" when emerging
    reason: str = ""


@dataclass
class EmergingThemes:
    period: str | None
    previous: str | None
    min_count: int
    min_rise: float
    against_baseline: bool
    candidates: list[EmergingTheme]         # every theme tested, input order

    @property
    def emerging(self) -> list[EmergingTheme]:
        flagged = [c for c in self.candidates if c.emerging]
        return sorted(flagged, key=lambda c: (-c.change.value, c.theme))


# --------------------------------------------------------------------------- theme impact


def _group_results(cols: ItemColumns, spec: ItemSpec, flags: np.ndarray, rules: BaseRules):
    sums = cols.sums(flags.astype(np.int64), 2)
    return result_from_sums(spec, sums, 1, rules), result_from_sums(spec, sums, 0, rules)


def _nps_difference(a: Estimate, b: Estimate, z: float) -> Difference | None:
    if not (a.shown and b.shown):
        return None
    test = stats.diff_test_se(a.value, a.se, b.value, b.se)
    se = math.sqrt(a.se ** 2 + b.se ** 2)
    return Difference(test.diff, se, test.diff - z * se, test.diff + z * se, test.statistic, test.p_value,
                      test.method)


def _proportion_difference(p1: float, n1: float, p2: float, n2: float, z: float) -> Difference:
    """Two shares (0–1) on effective bases: difference in %-points, unpooled Wald interval, pooled z-test."""
    test = stats.two_proportion_ztest(p1 * n1, n1, p2 * n2, n2)
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2) if n1 > 0 and n2 > 0 else math.nan
    diff = float(100 * (p1 - p2))
    se = float(se)
    return Difference(diff, 100 * se, diff - z * 100 * se, diff + z * 100 * se, test.statistic, test.p_value,
                      test.method)


def _top2_difference(a: Estimate, b: Estimate, z: float) -> Difference | None:
    if not (a.shown and b.shown):
        return None
    return _proportion_difference(a.share, a.n_eff, b.share, b.n_eff, z)


def _adjusted(diff: Difference | None, p_adj: float, alpha: float) -> Difference | None:
    if diff is None:
        return None
    sig = bool(math.isfinite(p_adj) and p_adj <= alpha and diff.value != 0)
    return Difference(diff.value, diff.se, diff.low, diff.high, diff.statistic, diff.p_value, diff.method,
                      float(p_adj), sig)


def theme_impact(nps, mentions, weights=None, csat=None, csat_scale: int = 5,
                 rules: BaseRules = BaseRules(), alpha: float = 0.05, adjust: str = "bh",
                 z: float = Z95) -> ThemeImpactTable:
    """Theme impact on NPS (and CSAT top-2 %) — METHODS.md §11; see the module docstring.

    ``nps``: 0–10 answers per respondent (NaN = no valid answer); ``mentions``: theme → flags
    per respondent (or a DataFrame of flag columns); ``weights``: per respondent (None: all 1);
    ``csat``: optional 1–``csat_scale`` answers per respondent (top 2 = the two highest points).
    """
    _settings(alpha, adjust)
    x = _scale_values(nps, "nps", 0, 10)
    n = len(x)
    names, matrix = _mention_matrix(mentions, n)
    w = _weights(weights, n)
    nps_spec = ItemSpec.nps()
    nps_cols = ItemColumns(nps_spec, x, w)
    overall = result_from_sums(nps_spec, nps_cols.sums(), 0, rules)
    if overall.n == 0:
        raise DataError("nps: no valid answer")
    csat_spec = csat_cols = overall_csat = None
    if csat is not None:
        if not isinstance(csat_scale, (int, np.integer)) or csat_scale < 3:
            raise ConfigError(f"csat_scale: {csat_scale!r} is not a scale of 3 points or more")
        c = _scale_values(csat, "csat", 1, int(csat_scale), n)
        csat_spec = ItemSpec.csat(scale=int(csat_scale))
        csat_cols = ItemColumns(csat_spec, c, w)
        overall_csat = result_from_sums(csat_spec, csat_cols.sums(), 0, rules).top2
    nps_valid = ~np.isnan(x)
    sw_valid = float(w[nps_valid].sum())
    rows = []
    for k, theme in enumerate(names):
        flags = matrix[:, k]
        in_t, out_t = _group_results(nps_cols, nps_spec, flags, rules)
        share = float(w[flags & nps_valid].sum()) / sw_valid if sw_valid > 0 else math.nan
        diff = _nps_difference(in_t.nps, out_t.nps, z)
        impact = overall.nps.value - out_t.nps.value if out_t.n else math.nan
        if diff is not None:
            lo, hi = share * diff.low, share * diff.high
        else:
            lo = hi = math.nan
        row = dict(theme=theme, mentions=int(flags.sum()), count=int(in_t.n), share=share,
                   nps_theme=in_t.nps, nps_other=out_t.nps, nps_diff=diff, impact=impact, impact_low=lo,
                   impact_high=hi)
        if csat_cols is not None:
            c_in, c_out = _group_results(csat_cols, csat_spec, flags, rules)
            c_valid = ~np.isnan(csat_cols.x)
            c_sw = float(w[c_valid].sum())
            row.update(csat_theme=c_in.top2, csat_other=c_out.top2,
                       csat_diff=_top2_difference(c_in.top2, c_out.top2, z),
                       csat_share=float(w[flags & c_valid].sum()) / c_sw if c_sw > 0 else math.nan,
                       csat_impact=overall_csat.value - c_out.top2.value if c_out.n else math.nan)
        rows.append(row)
    # adjust every test of the table together: the NPS differences, then the CSAT ones
    diffs = [(i, key) for key in ("nps_diff", "csat_diff") for i, r in enumerate(rows) if r.get(key) is not None]
    p_adj = stats.adjust_pvalues([rows[i][key].p_value for i, key in diffs], adjust) if diffs else []
    for (i, key), p in zip(diffs, p_adj):
        rows[i][key] = _adjusted(rows[i][key], float(p), alpha)
    n_tests = int(np.isfinite([rows[i][key].p_value for i, key in diffs]).sum()) if diffs else 0

    def order(r: dict) -> tuple:
        shown = r["nps_theme"].shown and r["nps_other"].shown
        impact = r["impact"] if math.isfinite(r["impact"]) else math.inf
        return (not shown, impact, r["theme"])

    rows.sort(key=order)
    themes = [ThemeImpact(rank=i + 1, **r) for i, r in enumerate(rows)]
    return ThemeImpactTable(overall.nps, overall_csat, themes, alpha, adjust, n_tests)


# --------------------------------------------------------------------------- trends


def _period_codes(periods, n: int, order: Sequence | None) -> tuple[np.ndarray, list]:
    """Code 0 … P − 1 per row (−1: no period), and the periods in order."""
    raw = periods.to_numpy() if isinstance(periods, pd.Series) else np.asarray(periods)
    if raw.ndim != 1 or len(raw) != n:
        raise DataError(f"periods: {raw.size} values for {n} rows")
    values = pd.Series(raw)
    missing = values.isna().to_numpy()
    if np.issubdtype(raw.dtype, np.integer):
        missing = missing | (raw < 0)          # cxreport.periods' codes: a negative code is a row without a period
    if order is None:
        try:
            order = sorted(pd.unique(values[~missing]))
        except TypeError:
            raise DataError("periods: values of different kinds cannot be put in order; pass order") from None
    order = list(order)
    if len(set(order)) != len(order):
        raise ConfigError("order: a period is listed twice")
    codes = pd.Index(order, dtype=object).get_indexer(values.astype(object)).astype(np.int64)
    codes[missing] = -1
    return codes, order


def _wilson_pct(p: float, n_eff: float) -> tuple[float, float]:
    lo, hi = stats.wilson(p, n_eff)
    return 100 * lo, 100 * hi


def _welch_difference(a: SentimentPeriod, b: SentimentPeriod, z: float) -> Difference:
    """Mean of ``a`` − mean of ``b``: Welch's t-test, and the interval with the t quantile at
    Welch–Satterthwaite df (at the confidence that ``z`` gives for a normal interval)."""
    t = stats.welch_ttest(a.mean, a.sd, a.n_eff, b.mean, b.sd, b.n_eff)
    va, vb = a.sd ** 2 / a.n_eff, b.sd ** 2 / b.n_eff
    se = math.sqrt(va + vb)
    if se > 0 and a.n_eff > 1 and b.n_eff > 1:
        df = (va + vb) ** 2 / (va ** 2 / (a.n_eff - 1) + vb ** 2 / (b.n_eff - 1))
        q = float(_special().stdtrit(df, _special().ndtr(z)))
    else:
        q = z
    diff = float(t.diff)
    return Difference(diff, se, diff - q * se, diff + q * se, float(t.statistic), float(t.p_value), t.method)


def theme_trends(mentions, periods, commented=None, sentiment=None, weights=None, order: Sequence | None = None,
                 labels: Sequence[str] | None = None, base: str = "comments", rules: BaseRules = BaseRules(),
                 alpha: float = 0.05, adjust: str = "bh", z: float = Z95) -> ThemeTrends:
    """Each theme's share and the mean sentiment per period, tested against the previous period.

    Per respondent: ``mentions`` (theme → flags), ``periods`` (a period per row: labels, or
    cxreport.periods codes where a negative code means none), ``commented`` (has a comment;
    None: every row is a comment), ``sentiment`` (score of the row's comment, NaN: none),
    ``weights``. ``order``: the periods in time order (default: the sorted distinct values);
    rows whose period is not in it are left out. ``labels``: a display label per period of
    ``order``. ``base``: the share that is tested, of "comments" or of "respondents".
    """
    _settings(alpha, adjust)
    if base not in BASES:
        raise ConfigError(f"base: '{base}' is not one of {', '.join(BASES)}")
    names, matrix = _mention_matrix(mentions, None)
    n = matrix.shape[0]
    codes, order = _period_codes(periods, n, order)
    P, K = len(order), len(names)
    if P == 0:
        raise DataError("periods: no row has a period")
    if labels is not None:
        labels = [str(x) for x in labels]
        if len(labels) != P:
            raise ConfigError(f"labels: {len(labels)} labels for {P} periods")
    else:
        labels = [str(p) for p in order]
    w = _weights(weights, n)
    has = np.ones(n, dtype=bool) if commented is None else _flags(commented, "commented", n)
    stray = matrix.any(axis=1) & ~has
    if stray.any():
        i = int(np.flatnonzero(stray)[0])
        raise DataError(f"mentions: row {i} mentions a theme but has no comment")
    s = None
    if sentiment is not None:
        try:
            s = np.asarray(sentiment, dtype=float)
        except (TypeError, ValueError):
            raise DataError("sentiment: not numbers") from None
        if s.ndim != 1 or len(s) != n:
            raise DataError(f"sentiment: {s.size} values for {n} rows")
        if np.isinf(s).any():
            raise DataError("sentiment: infinite score")

    inp = codes >= 0
    c = codes[inp]
    wi, hasi, mi = w[inp], has[inp], matrix[inp]

    def bc(mask, weights_=None):
        return np.bincount(c[mask], weights=None if weights_ is None else weights_[mask], minlength=P)[:P]

    every = np.ones(len(c), dtype=bool)
    n_resp, sw_resp, sw2_resp = bc(every), bc(every, wi), bc(every, wi * wi)
    n_com, sw_com, sw2_com = bc(hasi), bc(hasi, wi), bc(hasi, wi * wi)
    count = np.zeros((P, K), dtype=np.int64)
    sw_hit = np.zeros((P, K))
    sent_theme = np.full((P, K), np.nan)
    if s is not None:
        si = s[inp]
        scored = hasi & np.isfinite(si)
        s0 = np.where(scored, si, 0.0)
    for k in range(K):
        hit = mi[:, k]
        count[:, k] = bc(hit)
        sw_hit[:, k] = bc(hit, wi)
        if s is not None:
            hs = hit & scored
            sw_s = bc(hs, wi)
            with np.errstate(invalid="ignore", divide="ignore"):
                sent_theme[:, k] = np.where(sw_s > 0, bc(hs, wi * s0) / np.where(sw_s > 0, sw_s, 1), np.nan)

    if base == "comments":
        t_n, t_sw, t_sw2 = n_com, sw_com, sw2_com
    else:
        t_n, t_sw, t_sw2 = n_resp, sw_resp, sw2_resp
    neff_t = np.array([stats.neff_from_sums(a, b) for a, b in zip(t_sw, t_sw2)])
    neff_c = np.array([stats.neff_from_sums(a, b) for a, b in zip(sw_com, sw2_com)])
    neff_r = np.array([stats.neff_from_sums(a, b) for a, b in zip(sw_resp, sw2_resp)])
    flags = [rules.classify(int(x)) for x in t_n]
    with np.errstate(invalid="ignore", divide="ignore"):
        share_c = np.minimum(sw_hit / sw_com[:, None], 1.0)
        share_r = np.minimum(sw_hit / sw_resp[:, None], 1.0)
    share_t = share_c if base == "comments" else share_r

    # tests against the previous period, adjusted within each period's table
    changes: dict[tuple[int, int], Difference] = {}
    for p in range(1, P):
        if flags[p] == "suppressed" or flags[p - 1] == "suppressed":
            continue
        raw = {k: _proportion_difference(share_t[p, k], neff_t[p], share_t[p - 1, k], neff_t[p - 1], z)
               for k in range(K)}
        keys = [k for k in range(K) if math.isfinite(raw[k].p_value)]
        adj = stats.adjust_pvalues([raw[k].p_value for k in keys], adjust) if keys else []
        for k, pa in zip(keys, adj):
            changes[(p, k)] = _adjusted(raw[k], float(pa), alpha)  # type: ignore[assignment]
        for k in set(range(K)) - set(keys):
            changes[(p, k)] = raw[k]

    themes = []
    for k, theme in enumerate(names):
        cells = []
        for p in range(P):
            lo_c, hi_c = _wilson_pct(share_c[p, k], neff_c[p]) if n_com[p] else (math.nan, math.nan)
            lo_r, hi_r = _wilson_pct(share_r[p, k], neff_r[p]) if n_resp[p] else (math.nan, math.nan)
            cells.append(TrendCell(labels[p], int(count[p, k]), int(n_com[p]), 100 * float(share_c[p, k]),
                                   lo_c, hi_c, int(n_resp[p]), 100 * float(share_r[p, k]), lo_r, hi_r,
                                   flags[p], float(sent_theme[p, k]), changes.get((p, k))))
        themes.append(ThemeTrend(theme, cells))

    sentiment_rows: list[SentimentPeriod] = []
    if s is not None:
        n_s = bc(scored)
        sw_s, sw2_s = bc(scored, wi), bc(scored, wi * wi)
        swx, swx2 = bc(scored, wi * s0), bc(scored, wi * s0 * s0)
        for p in range(P):
            n_eff = stats.neff_from_sums(sw_s[p], sw2_s[p])
            mean = swx[p] / sw_s[p] if sw_s[p] > 0 else math.nan
            sd = stats.weighted_sd(sw_s[p], swx[p], swx2[p], n_eff)
            lo, hi = stats.t_interval(mean, sd, n_eff) if math.isfinite(mean) else (math.nan, math.nan)
            sentiment_rows.append(SentimentPeriod(labels[p], int(n_s[p]), float(n_eff), float(mean), float(lo),
                                                  float(hi), float(sd), rules.classify(int(n_s[p]))))
        tests = {p: _welch_difference(sentiment_rows[p], sentiment_rows[p - 1], z) for p in range(1, P)
                 if sentiment_rows[p].base_flag != "suppressed" and sentiment_rows[p - 1].base_flag != "suppressed"}
        keys = [p for p in tests if math.isfinite(tests[p].p_value)]
        adj = stats.adjust_pvalues([tests[p].p_value for p in keys], adjust) if keys else []
        for p, pa in zip(keys, adj):
            tests[p] = _adjusted(tests[p], float(pa), alpha)  # type: ignore[assignment]
        sentiment_rows = [replace(row, change=tests.get(p)) for p, row in enumerate(sentiment_rows)]

    sums = _PeriodSums(t_n.astype(np.int64), t_sw.astype(float), t_sw2.astype(float), count, sw_hit)
    return ThemeTrends(labels, base, themes, sentiment_rows, alpha, adjust, rules, sums)


# --------------------------------------------------------------------------- emerging themes


def emerging_themes(trends: ThemeTrends, min_count: int = 10, min_rise: float = 0.0,
                    against_baseline: bool = True, z: float = Z95) -> EmergingThemes:
    """The themes emerging in the latest period of ``trends`` (rules in the module docstring)."""
    if not isinstance(min_count, (int, np.integer)) or min_count < 1:
        raise ConfigError(f"min_count: {min_count!r} is not a whole number ≥ 1")
    if not (isinstance(min_rise, (int, float)) and math.isfinite(min_rise) and min_rise >= 0):
        raise ConfigError(f"min_rise: {min_rise!r} is not a number of %-points ≥ 0")
    P = len(trends.periods)
    if P < 2:
        return EmergingThemes(trends.periods[-1] if P else None, None, int(min_count), float(min_rise),
                              against_baseline, [])
    last, prev = P - 1, P - 2
    sums = trends.sums
    use_baseline = against_baseline and P >= 3
    baseline: dict[int, Difference] = {}
    base_share = np.full(len(trends.themes), np.nan)
    pooled_n = int(sums.n_base[:last].sum())
    if use_baseline and trends.rules.classify(pooled_n) != "suppressed" \
            and trends.rules.classify(int(sums.n_base[last])) != "suppressed":
        sw0, sw20 = float(sums.sw_base[:last].sum()), float(sums.sw2_base[:last].sum())
        neff0 = stats.neff_from_sums(sw0, sw20)
        neff1 = stats.neff_from_sums(float(sums.sw_base[last]), float(sums.sw2_base[last]))
        raw = {}
        for k in range(len(trends.themes)):
            p0 = min(float(sums.sw_hit[:last, k].sum()) / sw0, 1.0) if sw0 > 0 else math.nan
            p1 = min(float(sums.sw_hit[last, k]) / float(sums.sw_base[last]), 1.0)
            base_share[k] = 100 * p0
            raw[k] = _proportion_difference(p1, neff1, p0, neff0, z)
        keys = [k for k in raw if math.isfinite(raw[k].p_value)]
        adj = stats.adjust_pvalues([raw[k].p_value for k in keys], trends.adjust) if keys else []
        for k, pa in zip(keys, adj):
            baseline[k] = _adjusted(raw[k], float(pa), trends.alpha)  # type: ignore[assignment]
    candidates = []
    for k, trend in enumerate(trends.themes):
        cell, before = trend.cells[last], trend.cells[prev]
        change = cell.change
        share_now = cell.share if trends.base == "comments" else cell.share_respondents
        share_then = before.share if trends.base == "comments" else before.share_respondents
        if change is None:
            reason = "suppressed"
            change = Difference(share_now - share_then, math.nan, math.nan, math.nan, math.nan, math.nan, "")
        elif not (change.significant and change.value > 0):
            reason = "no_rise"
        elif cell.count < min_count:
            reason = "few_mentions"
        elif change.value < min_rise:
            reason = "small_rise"
        elif use_baseline and not (k in baseline and baseline[k].significant and baseline[k].value > 0):
            reason = "not_above_earlier"
        else:
            reason = ""
        candidates.append(EmergingTheme(trend.theme, trends.periods[last], trends.periods[prev], cell.count,
                                        share_now, share_then, change, float(base_share[k]), baseline.get(k),
                                        reason == "", reason))
    return EmergingThemes(trends.periods[last], trends.periods[prev], int(min_count), float(min_rise),
                          against_baseline, candidates)
