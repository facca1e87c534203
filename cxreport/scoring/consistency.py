"""Multichannel consistency (issue 16, item 5; docs/methods.md, "Consistency across channels"): for each KPI,
its figure in every channel, every pair of channels tested, the largest gap between two
channels with its test, and a consistency index.

- Figures: each channel's headline figure of the KPI (NPS, CSAT top-2 %, CES mean or index,
  an attribute's mean), computed as everywhere else (:mod:`cxreport.scoring.kpis`: weighted,
  Kish effective n in intervals and tests).
- Suppression: a channel whose base (unweighted n of valid answers) is below
  ``rules.suppress_below`` shows no figure, takes part in no test and does not count in the
  index (METHODS.md §1 "Small bases"). Rows without a channel (blank, or "Not stated") belong
  to no channel.
- Tests: every pair of shown channels, with the KPI's own test
  (:func:`cxreport.scoring.kpis.compare`: NPS and CES-index difference z-test, two-proportion
  z-test for a top-2 %, Welch's t for a mean). The p-values are adjusted together
  (:func:`cxreport.scoring.stats.adjust_pvalues`, Benjamini–Hochberg by default) — by default
  all pairs of all KPIs of one table at once, as METHODS.md §8 adjusts one table's
  comparisons (``family="kpi"`` adjusts each KPI's pairs on their own); a gap is significant
  where the adjusted p ≤ α.
- Largest gap: the highest shown channel minus the lowest (ties: the first channel in the
  table's order), with that pair's test.
- Consistency index (our own definition; docs/methods.md, "Consistency across channels"): with the shown
  channels' figures x_c, weights v_c (each channel's share of the weighted base by default,
  or equal) and the KPI's scale span S (200 for NPS and the CES index, 100 for a top-2 %,
  high − low for a mean)::

      index = 100 · (1 − 2 · SD_v(x) / S),   SD_v(x) = √(Σ v_c (x_c − x̄_v)² / Σ v_c)

  Any figures inside a span S have SD ≤ S / 2 (Popoviciu's inequality on variances), so the
  index lies in [0, 100]: 100 when every channel has the same figure, 0 when the channels
  split between the two ends of the scale. With two channels of equal weight it is exactly
  100 minus their gap as a % of the span.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Literal, Sequence

import numpy as np
import pandas as pd

from cxreport.errors import ConfigError, DataError
from cxreport.scoring.kpis import BaseFlag, BaseRules, Estimate, ItemColumns, ItemResult, ItemSpec, compare, \
    result_from_sums, shown_difference
from cxreport.scoring.stats import ADJUSTMENTS, adjust_pvalues

Family = Literal["table", "kpi"]
Weighting = Literal["customers", "equal"]
FAMILIES = ("table", "kpi")
WEIGHTINGS = ("customers", "equal")


@dataclass(frozen=True)
class ChannelFigure:
    """One KPI in one channel: its headline (``value`` None when suppressed) and every figure."""

    channel: str
    n: int                   # valid answers (unweighted)
    weighted_base: float
    base: BaseFlag           # ok, small or suppressed
    value: float | None      # the headline in display units (points, percent, mean); None when suppressed
    low: float | None        # its 95 % interval
    high: float | None
    result: ItemResult       # every figure of the KPI in the channel (kpis.result_from_sums)

    @property
    def shown(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class ChannelGap:
    """The test of one pair of channels: ``diff`` = figure of ``a`` − figure of ``b``."""

    a: str
    b: str
    diff: float              # in the headline's units (NPS points, percentage points, mean)
    shown_diff: float | None  # the difference of the two figures as printed (kpis.shown_difference)
    statistic: float
    p_value: float
    p_adjusted: float
    method: str
    significant: bool        # adjusted p ≤ α


@dataclass
class KpiConsistency:
    """One KPI across the channels."""

    key: str
    label: str
    unit: str                # points, percent, mean or index (the headline's unit)
    scale: tuple[float, float]   # the headline's range; its span is the index's denominator
    channels: list[ChannelFigure]
    pairs: list[ChannelGap] = field(default_factory=list)   # every pair of shown channels, table order
    largest_gap: ChannelGap | None = None   # highest shown channel − lowest (None: fewer than 2 shown)
    spread_sd: float | None = None          # SD_v of the shown channels' figures
    gap_pct_of_span: float | None = None    # largest gap as a % of the span
    index: float | None = None              # consistency index 0–100 (None: fewer than 2 shown)

    @property
    def span(self) -> float:
        return self.scale[1] - self.scale[0]

    @property
    def shown(self) -> list[ChannelFigure]:
        return [c for c in self.channels if c.shown]

    @property
    def suppressed(self) -> list[str]:
        return [c.channel for c in self.channels if not c.shown]


@dataclass
class ConsistencyTable:
    """Every KPI across the channels, tested and adjusted together (``family``)."""

    channels: list[str]       # in the table's order
    kpis: list[KpiConsistency]
    not_stated: int           # rows without a channel (or of a channel left out of ``order``)
    alpha: float
    adjust: str
    family: str
    weighting: str

    @property
    def n_tests(self) -> int:
        return sum(1 for k in self.kpis for p in k.pairs if math.isfinite(p.p_value))

    @property
    def chance_note(self) -> bool:
        """More than 20 comparisons in one table: the report says about 1 in 20 is flagged by chance
        (METHODS.md §2). Only meaningful for ``family="table"`` or ``adjust="none"``."""
        return self.n_tests > 20


# --------------------------------------------------------------------------- inputs


def _missing(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return False


def group_codes(channels, order: Sequence[str] | None = None, what: str = "channel") -> tuple[np.ndarray, list[str], int]:
    """Group code per row (−1: no group), the groups' labels and the rows without one.

    Labels are compared as text; blank, NaN, None and "Not stated" mean no group. Without
    ``order`` the groups are in natural order (as segment groups everywhere else); with it,
    only the listed groups, in that order (rows of an unlisted group count as no group), and a
    listed group that never occurs is an error. ``what`` names the grouping in messages.
    """
    from cxreport.validate import NOT_STATED, natural_key

    series = pd.Series(channels, dtype=object) if not isinstance(channels, pd.Series) else channels.astype(object)
    raw_codes, raw = pd.factorize(series, use_na_sentinel=True)     # NaN and None: −1
    # Labels are compared as text: clean each distinct value once, then merge equal texts.
    cleaned = [None if _missing(v) else str(v).strip() for v in raw]
    found: list[str] = []
    index: dict[str, int] = {}
    merge = np.full(len(raw) + 1, -1, dtype=np.int64)
    for k, text in enumerate(cleaned):
        if text is None or text in ("", NOT_STATED):
            continue
        if text not in index:
            index[text] = len(found)
            found.append(text)
        merge[k] = index[text]
    codes = merge[np.where(raw_codes >= 0, raw_codes, len(raw))]
    if order is None:
        labels = sorted(found, key=natural_key)
    else:
        labels = [str(o) for o in order]
        if len(set(labels)) != len(labels):
            dup = next(x for x in labels if labels.count(x) > 1)
            raise ConfigError(f"{what} order: '{dup}' is listed twice")
        missing = [x for x in labels if x not in found]
        if missing:
            raise DataError(f"{what} '{missing[0]}' has no rows (found: {', '.join(sorted(found, key=natural_key)) or 'none'})")
    position = {label: i for i, label in enumerate(labels)}
    remap = np.array([position.get(u, -1) for u in found] + [-1], dtype=np.int64)
    out = remap[np.where(codes >= 0, codes, len(found))]
    return out, labels, int((out < 0).sum())


def _weights(weights, n: int, rows: str = "rows") -> np.ndarray | None:
    """The weights as an array of ``n`` numbers ≥ 0 (None stays None); ``rows`` names what
    they weight in the message (rows, comments)."""
    if weights is None:
        return None
    w = np.asarray(weights, dtype=float)
    if w.shape != (n,):
        raise DataError(f"weights: {w.size} values for {n} {rows}")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise DataError("weights: every weight must be a number ≥ 0")
    return w


def _values(spec: ItemSpec, values, n: int) -> np.ndarray:
    try:
        x = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise DataError(f"{spec.key}: the values must be numbers (NaN for no valid answer)") from None
    if x.shape != (n,):
        raise DataError(f"{spec.key}: {x.size} values for {n} rows")
    ok = x[~np.isnan(x)]
    if ok.size and (ok.min() < spec.low or ok.max() > spec.high):
        bad = ok[(ok < spec.low) | (ok > spec.high)][0]
        raise DataError(f"{spec.key}: value {bad:g} is outside the scale {spec.low:g}–{spec.high:g}")
    if not spec.continuous and ok.size and np.any(ok != np.round(ok)):
        bad = ok[ok != np.round(ok)][0]
        raise DataError(f"{spec.key}: value {bad:g} is not a point of the {spec.low:g}–{spec.high:g} scale")
    return x


# --------------------------------------------------------------------------- one KPI


def _figures(spec: ItemSpec, x: np.ndarray, codes: np.ndarray, labels: list[str], w: np.ndarray | None,
             rules: BaseRules) -> list[ChannelFigure]:
    size = len(labels)
    safe = np.where(codes >= 0, codes, size)          # rows without a channel: an extra bin, dropped
    sums = ItemColumns(spec, x, w).sums(safe, size + 1)
    out = []
    for g, label in enumerate(labels):
        result = result_from_sums(spec, sums, g, rules)
        est: Estimate = result.headline
        shown = est.shown
        out.append(ChannelFigure(label, result.n, result.weighted_base, result.base,
                                 est.value if shown else None, est.low if shown else None,
                                 est.high if shown else None, result))
    return out


def _spread(values: np.ndarray, weights: np.ndarray) -> float:
    """Weighted population SD; exactly 0 when every figure is the same (Σv·x/Σv can miss x by 1e-16)."""
    if np.ptp(values) == 0:
        return 0.0
    mean = float(np.dot(weights, values) / weights.sum())
    return math.sqrt(max(float(np.dot(weights, (values - mean) ** 2) / weights.sum()), 0.0))


def consistency_index(values, span: float, weights=None) -> float:
    """100 · (1 − 2 · SD_v / span) of the figures ``values`` (module docstring); equal weights
    when ``weights`` is None. Needs two figures or more and a positive span."""
    x = np.asarray(values, dtype=float)
    if x.size < 2:
        raise DataError("consistency index: needs the figures of at least two channels")
    if not (span > 0 and math.isfinite(span)):
        raise DataError(f"consistency index: the scale's span must be a positive number, not {span!r}")
    v = np.ones(x.size) if weights is None else np.asarray(weights, dtype=float)
    if v.shape != x.shape or np.any(v < 0) or not np.all(np.isfinite(v)) or v.sum() <= 0:
        raise DataError("consistency index: one weight ≥ 0 per figure, not all 0")
    return min(100.0, max(0.0, 100.0 * (1.0 - 2.0 * _spread(x, v) / span)))


def _kpi(spec: ItemSpec, figures: list[ChannelFigure], weighting: str) -> KpiConsistency:
    est_unit = figures[0].result.headline.unit if figures else spec.headline_unit
    out = KpiConsistency(spec.key, spec.label, est_unit, spec.headline_scale, figures)
    shown = [(i, f) for i, f in enumerate(figures) if f.shown]
    for (_i, fa), (_j, fb) in itertools.combinations(shown, 2):
        test = compare(fa.result, fb.result)
        if test is None:      # both shown, so never; kept for safety
            continue
        out.pairs.append(ChannelGap(fa.channel, fb.channel, test.diff,
                                    shown_difference(fa.value, fb.value, est_unit), test.statistic,
                                    test.p_value, test.p_value, test.method, False))
    if len(shown) >= 2:
        values = np.array([f.value for _i, f in shown])
        weights = (np.array([f.weighted_base for _i, f in shown]) if weighting == "customers"
                   else np.ones(len(shown)))
        if weights.sum() <= 0:
            weights = np.ones(len(shown))
        out.spread_sd = _spread(values, weights)
        if math.isfinite(out.span) and out.span > 0:     # an unbounded numeric item has no span: no index
            out.index = consistency_index(values, out.span, weights)
    return out


def _orient(kpi: KpiConsistency) -> None:
    """The largest gap as highest − lowest, from the pair's (adjusted) test."""
    shown = [(i, f) for i, f in enumerate(kpi.channels) if f.shown]
    if len(shown) < 2:
        return
    hi = max(shown, key=lambda t: (t[1].value, -t[0]))[1]
    lo = min(shown, key=lambda t: (t[1].value, t[0]))[1]
    if hi is lo:
        hi, lo = shown[0][1], shown[1][1]
    pair = next(p for p in kpi.pairs if {p.a, p.b} == {hi.channel, lo.channel})
    if pair.a == hi.channel:
        kpi.largest_gap = pair
    else:
        kpi.largest_gap = ChannelGap(hi.channel, lo.channel, -pair.diff + 0.0,
                                     None if pair.shown_diff is None else -pair.shown_diff + 0.0,
                                     -pair.statistic + 0.0, pair.p_value, pair.p_adjusted, pair.method,
                                     pair.significant)
    if math.isfinite(kpi.span) and kpi.span > 0:
        kpi.gap_pct_of_span = 100.0 * kpi.largest_gap.diff / kpi.span


def _check_settings(alpha: float, adjust: str, family: str, weighting: str) -> None:
    if not (0 < alpha < 1):
        raise ConfigError(f"alpha: must be between 0 and 1, not {alpha!r}")
    if adjust not in ADJUSTMENTS:
        raise ConfigError(f"adjust: '{adjust}' is not one of {', '.join(ADJUSTMENTS)}")
    if family not in FAMILIES:
        raise ConfigError(f"family: '{family}' is not one of {', '.join(FAMILIES)}")
    if weighting not in WEIGHTINGS:
        raise ConfigError(f"weighting: '{weighting}' is not one of {', '.join(WEIGHTINGS)}")


def _adjust(kpis: list[KpiConsistency], alpha: float, adjust: str, family: str) -> None:
    groups = [kpis] if family == "table" else [[k] for k in kpis]
    for group in groups:
        pairs = [(k, i) for k in group for i in range(len(k.pairs))]
        adjusted = adjust_pvalues([k.pairs[i].p_value for k, i in pairs], adjust)
        for (k, i), p_adj in zip(pairs, adjusted):
            p = k.pairs[i]
            k.pairs[i] = ChannelGap(p.a, p.b, p.diff, p.shown_diff, p.statistic, p.p_value, float(p_adj), p.method,
                                    bool(math.isfinite(p_adj) and p_adj <= alpha))
    for k in kpis:
        _orient(k)


def channel_consistency(spec: ItemSpec, values, channels, weights=None, *, order: Sequence[str] | None = None,
                        rules: BaseRules = BaseRules(), alpha: float = 0.05, adjust: str = "bh",
                        weighting: str = "customers") -> KpiConsistency:
    """One KPI across the channels: ``values`` one answer per row (NaN: no valid answer),
    ``channels`` one channel label per row, optional ``weights``. Its pairs are adjusted together."""
    return consistency_table([(spec, values)], channels, weights, order=order, rules=rules, alpha=alpha,
                             adjust=adjust, family="kpi", weighting=weighting).kpis[0]


def consistency_table(items: Sequence[tuple[ItemSpec, object]], channels, weights=None, *,
                      order: Sequence[str] | None = None, rules: BaseRules = BaseRules(), alpha: float = 0.05,
                      adjust: str = "bh", family: str = "table", weighting: str = "customers") -> ConsistencyTable:
    """Every KPI of ``items`` — (spec, values) pairs, values one per row with NaN for no valid
    answer — across the channels of ``channels`` (one label per row). See the module docstring."""
    _check_settings(alpha, adjust, family, weighting)
    if not items:
        raise ConfigError("consistency: no KPI to compare")
    keys = [spec.key for spec, _v in items]
    if len(set(keys)) != len(keys):
        raise ConfigError(f"consistency: KPI '{next(k for k in keys if keys.count(k) > 1)}' is listed twice")
    codes, labels, not_stated = group_codes(channels, order)
    n = len(codes)
    w = _weights(weights, n)
    kpis = []
    for spec, values in items:
        x = _values(spec, values, n)
        kpis.append(_kpi(spec, _figures(spec, x, codes, labels, w, rules), weighting))
    _adjust(kpis, alpha, adjust, family)
    return ConsistencyTable(labels, kpis, not_stated, alpha, adjust, family, weighting)


# --------------------------------------------------------------------------- the study step

#: The headline KPIs compared by default, in this order, when the project has them.
HEADLINE_KPIS = ("nps", "csat", "ces", "acsi")


@dataclass
class StudyConsistency:
    """The study's multichannel consistency: the window's table, and the same table for the
    period before the window when the data reach it (its largest gaps and indices for context)."""

    segment: str                 # the segment holding the channel (consistency.segment)
    period: str                  # the window's label
    respondents: int             # respondents in the window
    in_channels: int             # of them, those in one of the table's channels
    channel_base: dict[str, int]  # respondents per channel in the window (every answer, unweighted)
    absent: list[str]            # configured channels without a respondent in the window
    table: ConsistencyTable
    weighted: bool
    previous_period: str | None = None
    previous: ConsistencyTable | None = None

    @property
    def kpis(self) -> list[KpiConsistency]:
        return self.table.kpis

    def previous_kpi(self, key: str) -> KpiConsistency | None:
        if self.previous is None:
            return None
        return next((k for k in self.previous.kpis if k.key == key), None)


def _consistency_items(project, items) -> list:
    """The ItemSpecs ``consistency.kpis`` names (default: every headline KPI), checked."""
    from cxreport.util import did_you_mean

    cfg = project.consistency
    specs = {s.key: s for s in items}
    if not cfg.kpis:
        chosen = [specs[k] for k in HEADLINE_KPIS if k in specs]
        if not chosen:
            raise ConfigError("consistency.kpis: this project has no headline KPIs (nps, csat, ces or acsi) "
                              "to compare across channels; name attributes as attr:<name>")
        return chosen
    chosen, seen = [], set()
    for i, name in enumerate(cfg.kpis):
        key = str(name).strip()
        if key not in specs and f"attr:{key}" in specs:       # an attribute named without its prefix
            key = f"attr:{key}"
        if key not in specs:
            raise ConfigError(f"consistency.kpis[{i}]: no KPI '{name}'{did_you_mean(name, list(specs))}; "
                              f"choose from {', '.join(specs)}")
        if key in seen:
            raise ConfigError(f"consistency.kpis[{i}]: '{name}' is listed twice")
        seen.add(key)
        chosen.append(specs[key])
    return chosen


def _channel_order(project, full_grouping) -> list[str]:
    """The channels in the table's order: ``consistency.channels`` (checked against the
    segment's groups in the whole file), or every group of the segment in its order."""
    from cxreport.util import did_you_mean
    from cxreport.validate import NOT_STATED

    cfg = project.consistency
    known = [label for label in full_grouping.labels if label != NOT_STATED]
    if not cfg.channels:
        return known
    order, seen = [], set()
    for i, name in enumerate(cfg.channels):
        label = str(name).strip()
        if label not in known:
            raise ConfigError(f"consistency.channels[{i}]: no channel '{name}' in segment '{cfg.segment}'"
                              f"{did_you_mean(label, known)} (found: {', '.join(known) or 'none'})")
        if label in seen:
            raise ConfigError(f"consistency.channels[{i}]: '{name}' is listed twice")
        seen.add(label)
        order.append(label)
    return order


def _grouping(data, name: str):
    return next(g for g in data.segments if g.name == name)


def _channel_labels(data, segment: str, order: list[str]) -> tuple[np.ndarray, list[str]]:
    """One channel label per row of ``data`` (None: no channel, or one left out of ``order``)
    and the channels of ``order`` that occur in it."""
    group = _grouping(data, segment)
    wanted = set(order)
    labels = np.array([lab if lab in wanted else None for lab in group.labels] + [None], dtype=object)
    codes = np.asarray(group.codes)
    per_row = labels[np.where(codes >= 0, codes, len(group.labels))]
    present = set(per_row[per_row != None].tolist())      # noqa: E711 (an object array)
    return per_row, [c for c in order if c in present]


def _table_for(project, data, specs, segment: str, order: list[str], rules, alpha) -> tuple[ConsistencyTable, np.ndarray, list[str]]:
    cfg = project.consistency
    per_row, shown = _channel_labels(data, segment, order)
    items = [(spec, data.values[spec.key]) for spec in specs]
    weights = data.weights if data.weighted else None
    table = consistency_table(items, per_row, weights, order=shown, rules=rules, alpha=alpha,
                              adjust=project.significance.adjust, family="table", weighting=cfg.weighting)
    return table, per_row, shown


def study_consistency(project, view, rules, alpha) -> StudyConsistency | None:
    """The study's multichannel consistency (``consistency:`` in the project), or None: every
    KPI of ``consistency.kpis`` across the channels of ``consistency.segment`` in the window
    (``view.data``), and the same for the previous period when the data reach it. Raises
    ConfigError naming the key for an unknown or repeated KPI or channel."""
    cfg = project.consistency
    if cfg is None:
        return None
    specs = _consistency_items(project, view.data.items)
    order = _channel_order(project, _grouping(view.full, cfg.segment))
    table, per_row, shown = _table_for(project, view.data, specs, cfg.segment, order, rules, alpha)
    in_channel = per_row != None                                  # noqa: E711
    base = {c: int(np.sum(per_row == c)) for c in shown}
    study = StudyConsistency(cfg.segment, view.label, int(view.data.n), int(in_channel.sum()), base,
                             [c for c in order if c not in shown], table, bool(view.data.weighted))
    previous = view.comparison("previous")
    if previous is not None:
        span, data, _rows = previous
        if any(c in order for c in _grouping(data, cfg.segment).labels):
            study.previous, _per_row, _shown = _table_for(project, data, specs, cfg.segment, order, rules, alpha)
            study.previous_period = span.label
    return study
