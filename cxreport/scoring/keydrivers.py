"""Key driver analysis of a project: outcome and attribute drivers from the validated data,
overall and per segment group with enough base, with the importance–performance quadrant
(Martilla & James 1977, METHODS.md §3), bootstrap intervals on the importances
(``drivers.bootstrap``), and Cronbach's α of declared scales with item diagnostics. An
analysis that cannot run, and a scale item that correlates negatively with the rest of its
scale, are :meth:`DriverReport.warnings` (printed by validate and score) and notes in the
report.

Importance comes from the rows the driver section describes (the reporting window, or the
pooled run of periods ``report.pool.drivers`` asks for), with missing answers handled as
``drivers.missing`` says: listwise (complete cases) or pairwise (each correlation on the
respondents who answered both items). Performance is each attribute's mean in the
reporting window, taken from the window's results so that it equals the attribute
section's figure."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from cxreport.config.schema import Project
from cxreport.errors import ConfigError
from cxreport.i18n import _
from cxreport.scoring.kpis import ItemSpec
from cxreport.scoring.drivers import (BOOTSTRAP_LEVEL, BOOTSTRAP_REPLICATES, BOOTSTRAP_SEED, MAX_LMG_DRIVERS,
                                      BootstrapIntervals, Correlations, DriverError, ItemReliability,
                                      Moments, bootstrap_importance, listwise_from, pairwise_from,
                                      reliability_from, relative_weights_from_corr, scale_reliability,
                                      shapley_from_corr)
from cxreport.util import did_you_mean
from cxreport.validate import SurveyData, multi_punch_hint

# The importance–performance quadrants' names (QUADRANTS) live in cxreport.scoring.quadrants, a
# module the charts import without the analysis (and pandas) behind it.
from cxreport.scoring.quadrants import QUADRANTS  # noqa: E402,F401  (re-exported: keydrivers.QUADRANTS)


Interval = tuple[float, float]


@dataclass
class DriverRow:
    name: str
    importance: float            # % of R² (the primary method)
    raw: float                   # contribution to R² (the primary method)
    performance: float           # mean rescaled to 0–100
    mean: float
    quadrant: str
    lmg: float | None = None     # % of R² by Shapley/LMG, when computed
    rw_raw: float | None = None  # relative weight: contribution to R²
    rw_pct: float | None = None  # relative weight: % of R²
    lmg_raw: float | None = None  # Shapley/LMG: contribution to R², when computed
    # Bootstrap percentile intervals (None without drivers.bootstrap): of ``importance`` (the
    # primary method's % of R²) and of each method's raw and % figures.
    low: float | None = None
    high: float | None = None
    rw_raw_ci: Interval | None = None
    rw_pct_ci: Interval | None = None
    lmg_raw_ci: Interval | None = None
    lmg_pct_ci: Interval | None = None


@dataclass
class DriverAnalysis:
    scope: str                   # "Total" or "Region: North"
    outcome: str
    n: int                       # listwise: complete cases; pairwise: the smallest pair's base
    n_eff: float                 # the effective base of ``n`` (Kish) when weighted
    r2: float
    method: str
    rows: list[DriverRow]
    note: str = ""
    missing: str = "listwise"    # how missing answers were handled: "listwise" | "pairwise"
    n_outcome: int | None = None  # respondents in the rows analysed with a valid outcome
    n_rows: int | None = None    # respondents in the rows analysed (the period's, or the group's)
    pair_median: float | None = None   # pairwise: the median pair base
    pair_max: int | None = None  # pairwise: the largest pair base
    repaired: bool = False       # pairwise: the correlation matrix was adjusted to a valid one
    period: str = ""             # the rows' period, e.g. "2026 Q3" or "pooled 2025 Q4 – 2026 Q3"
    pooled: bool = False         # importance pools more periods than the reporting window
    window: str = ""             # the period the performance means describe (the reporting window)
    performance_from: str = "analysed"   # "attributes": the attribute section's means of ``window``;
    #                                      "analysed": means of the rows analysed (no results given)
    primary: str = "relative_weights"    # the method of ``importance``: "relative_weights" | "lmg"
    bootstrap: BootstrapIntervals | None = None   # the intervals' settings and figures, when computed
    bootstrap_note: str = ""     # why the intervals are missing although asked for

    @property
    def n_drivers(self) -> int:
        return len(self.rows)

    @property
    def base_pct(self) -> float | None:
        """``n`` as % of the respondents in the rows analysed."""
        return 100 * self.n / self.n_rows if self.n_rows else None


class ScaleResult(NamedTuple):
    """Cronbach's α of a declared multi-item scale (``alpha`` None, and ``note`` saying why,
    when it cannot be computed), with each item's item-rest correlation and α if deleted,
    and a ``warnings`` line for each item that correlates negatively with the rest."""

    name: str
    alpha: float | None
    n: int
    note: str
    items: list[ItemReliability] = []
    warnings: list[str] = []

    @property
    def members(self) -> list[ItemReliability]:
        """The items' diagnostics (``items`` under a name a template can use)."""
        return self.items


@dataclass
class DriverReport:
    overall: DriverAnalysis | None
    segments: list[DriverAnalysis] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)      # groups without enough base, with why
    scales: list[ScaleResult] = field(default_factory=list)
    configured: bool = False      # a driver analysis was asked for (``drivers:``)

    @property
    def not_computed(self) -> str:
        """The report's note when the whole-sample analysis could not run, else ''."""
        if not self.configured or self.overall is not None:
            return ""
        total = _("Total")
        reasons = [s[len(total) + 2:] if s.startswith(total + ": ") else s for s in self.skipped[:1]]
        return _("Key drivers not computed: {reason}.").format(reason=reasons[0]) if reasons else ""

    def warnings(self) -> list[str]:
        """Console warnings (validate, score, build): each analysis that could not run, and
        each scale item that correlates negatively with the rest of its scale."""
        what = _("Key drivers not computed")
        out = [f"drivers: {what}: {s}" for s in self.skipped]
        for scale in self.scales:
            out.extend(scale.warnings)
            if scale.alpha is None and scale.note:
                what = _("Cronbach's α not computed")
                out.append(f"scales.{scale.name}: {what}: {scale.note}")
        return out


@dataclass(frozen=True)
class _Where:
    """The period of the rows analysed and of the performance means."""

    period: str = ""
    pooled: bool = False
    window: str = ""
    can_pool: bool = False       # pooling more periods (report.pool.drivers) could add respondents


def _base_problem(m: Moments, names: list[str], outcome: str, min_base: int, missing: str,
                  where: _Where) -> str | None:
    """Why the rows (their :class:`~cxreport.scoring.drivers.Moments`) cannot support the
    analysis for lack of answers (with what would help), or None."""
    needed = max(min_base, len(names) + 2)
    bases = m.bases
    upper = np.triu_indices(len(bases), 1)
    k = int(np.argmin(bases[upper]))
    smallest = int(bases[upper][k])
    if missing == "listwise":
        complete = m.nc
        if complete >= needed:
            return None
        if where.period:
            reason = _("only {n} complete cases in {period} (at least {min} needed)").format(
                n=complete, period=where.period, min=needed)
        else:
            reason = _("only {n} complete cases (at least {min} needed)").format(n=complete, min=needed)
        pairwise_helps = smallest >= needed
    else:
        if smallest >= needed:
            return None
        labels = names + [outcome]
        a, b = labels[upper[0][k]], labels[upper[1][k]]
        if where.period:
            reason = _("only {n} respondents answered both {a} and {b} in {period} (at least {min} needed)").format(
                n=smallest, a=a, b=b, period=where.period, min=needed)
        else:
            reason = _("only {n} respondents answered both {a} and {b} (at least {min} needed)").format(
                n=smallest, a=a, b=b, min=needed)
        pairwise_helps = False
    if pairwise_helps and where.can_pool:
        return _("{reason}; set drivers.missing: pairwise or report.pool.drivers to use more").format(reason=reason)
    if pairwise_helps:
        return _("{reason}; set drivers.missing: pairwise to use more").format(reason=reason)
    if where.can_pool:
        return _("{reason}; set report.pool.drivers to pool more periods").format(reason=reason)
    return reason


def _skip(scope: str, reason: str, where: _Where) -> str:
    if where.period:
        return _("{scope} in {period}: {reason}").format(scope=scope, period=where.period, reason=reason)
    return _("{scope}: {reason}").format(scope=scope, reason=reason)


def _analyse(scope: str, outcome_name: str, m: Moments, names, lows, highs, method: str, min_base: int,
             missing: str = "listwise", where: _Where = _Where(), window_means=None,
             replicates: int = 0, seed: int = BOOTSTRAP_SEED, rows=None) -> DriverAnalysis:
    """One driver analysis of the rows whose :class:`~cxreport.scoring.drivers.Moments` are
    ``m`` (drivers, then the outcome). ``window_means``: each driver's mean in the reporting
    window (the attribute section's; NaN where it has none), or None to use the rows analysed.
    ``replicates``: bootstrap replicates for the importances' intervals (0: none), drawn with
    ``seed`` from ``rows`` = (y, X, w); streamed scoring has no rows to resample (None): no
    intervals, and a note says so."""
    if missing == "pairwise":
        corr: Correlations = pairwise_from(m, names, min_n=min_base)
    else:
        corr = listwise_from(m, names, min_n=min_base)
    rw = relative_weights_from_corr(corr.R, corr.rxy, names, n=corr.n, n_eff=corr.n_eff)
    lmg = None
    if method in ("auto", "shapley") and len(names) <= MAX_LMG_DRIVERS:
        lmg = shapley_from_corr(corr.R, corr.rxy, names, n=corr.n, n_eff=corr.n_eff)
    primary = lmg if method == "shapley" and lmg is not None else rw
    boot, boot_note = None, ""
    if replicates > 0 and rows is None:
        boot_note = _("no bootstrap intervals: the survey was scored streamed, without its rows to resample")
    elif replicates > 0:
        y, X, w = rows
        try:
            boot = bootstrap_importance(y, X, w, missing=missing, replicates=replicates, seed=seed,
                                        lmg=lmg is not None, level=BOOTSTRAP_LEVEL)
        except DriverError as exc:
            boot_note = str(exc)
        if boot is None and not boot_note:
            boot_note = _("fewer than half of the {n} bootstrap replicates could be computed").format(n=replicates)
    analysed = m.means(missing)[:-1]
    note = ""
    if window_means is None:
        means = analysed
        source = "analysed"
    else:
        means = np.array(window_means, dtype=float)
        source = "attributes"
        gaps = [names[j] for j in range(len(names)) if not math.isfinite(means[j])]
        if gaps:
            means = np.where(np.isfinite(means), means, analysed)
            note = _("No answers in {period} for {names}: their performance is the mean of the rows analysed.").format(
                period=where.window or where.period, names=_(", ").join(gaps))
    lows, highs = _finite_range(m, lows, highs)
    perf = [100 * (m - lo) / (hi - lo) for m, lo, hi in zip(means, lows, highs)]
    imp = primary.percent
    imp_mean, perf_mean = float(np.mean(imp)), float(np.mean(perf))
    use_lmg = primary is lmg

    def ci(intervals, j):
        return None if intervals is None else intervals[j]

    rows = []
    for j, n in enumerate(names):
        pct_ci = None if boot is None else (boot.lmg_pct if use_lmg else boot.rw_pct)[j]
        rows.append(DriverRow(
            n, imp[j], primary.raw[j], perf[j], float(means[j]), QUADRANTS[(imp[j] >= imp_mean, perf[j] >= perf_mean)],
            lmg.percent[j] if lmg is not None else None, rw.raw[j], rw.percent[j],
            lmg.raw[j] if lmg is not None else None,
            pct_ci[0] if pct_ci else None, pct_ci[1] if pct_ci else None,
            ci(boot and boot.rw_raw, j), ci(boot and boot.rw_pct, j),
            ci(boot and boot.lmg_raw, j), ci(boot and boot.lmg_pct, j)))
    rows.sort(key=lambda r: -r.importance)
    pairwise = corr.missing == "pairwise"
    return DriverAnalysis(scope, outcome_name, primary.n, primary.n_eff, primary.r2, primary.method, rows, note,
                          missing=corr.missing, n_outcome=int(m.bases[-1, -1]), n_rows=m.n,
                          pair_median=corr.pair_median if pairwise else None,
                          pair_max=corr.pair_max if pairwise else None, repaired=corr.repaired,
                          period=where.period, pooled=where.pooled, window=where.window or where.period,
                          performance_from=source, primary="lmg" if use_lmg else "relative_weights",
                          bootstrap=boot, bootstrap_note=boot_note)


def _finite_range(m: Moments, lows, highs) -> tuple[list[float], list[float]]:
    """Each driver's scale ends for the 0–100 performance: its declared bounds, or, for a
    numeric item without one, the lowest or highest answer among the rows analysed."""
    lo_out, hi_out = [], []
    for j, (lo, hi) in enumerate(zip(lows, highs)):
        seen = math.isfinite(m.lo[j])
        lo_out.append(lo if math.isfinite(lo) or not seen else float(m.lo[j]))
        hi_out.append(hi if math.isfinite(hi) or not seen else float(m.hi[j]))
    return lo_out, hi_out


def _where(data: SurveyData, scope, window_base: int | None, window_label: str | None) -> _Where:
    if scope is None:
        return _Where()
    span = getattr(scope, "span", None)
    periodic = span is not None and bool(span.keys) and not span.everything
    if not scope.pooled:
        return _Where(scope.label, False, scope.label, periodic)
    window = window_label or _last_period_label(data, span, window_base)
    return _Where(scope.label, True, window, False)


def _last_period_label(data: SurveyData, span, window_base: int | None) -> str:
    """The reporting window's label when the drivers pool periods and it was not given: the
    pooled run's last period, when that period holds exactly the window's respondents."""
    if span is None or not span.periods or window_base is None or data.period_codes is None:
        return ""
    last = span.periods[-1]
    index = next((i for i, p in enumerate(data.periods) if p.key == last.key), None)
    if index is None or int((data.period_codes == index).sum()) != window_base:
        return ""
    return last.label


def _group_means(results, keys: list[str], segment: str | None = None, group: str | None = None) -> list[float] | None:
    """The attribute section's means of ``keys`` (Total, or one segment group), NaN where missing."""
    if results is None:
        return None
    if segment is None:
        items = results.overall
    else:
        breakdown = next((b for b in results.segments if b.name == segment), None)
        found = None if breakdown is None else next((g for g in breakdown.groups if g.label == group), None)
        items = {} if found is None else found.items
    out = []
    for key in keys:
        item = items.get(key)
        out.append(float(item.mean.value) if item is not None and item.mean is not None else math.nan)
    return out


def _scale(project: Project, name: str, members: list[str], attrs: dict, data: SurveyData,
           moments=None) -> ScaleResult:
    """Cronbach's α of one declared scale, with its items' diagnostics and a warning for each
    item that correlates negatively with the rest of the scale. ``moments``: the items' counted
    :class:`~cxreport.scoring.drivers.Moments` (streamed scoring) instead of ``data``'s rows."""
    labels = [attrs[m].label for m in members]
    try:
        if moments is None:
            rel = scale_reliability(np.column_stack([data.values[attrs[m].key] for m in members]), labels,
                                    data.weights if data.weighted else None)
        else:
            rel = reliability_from(moments, labels)
    except DriverError as exc:
        return ScaleResult(name, None, 0, str(exc))
    warnings = []
    for member, item in zip(members, rel.items):
        if item.item_rest is None or item.item_rest >= 0:
            continue
        cfg = project.columns.attributes.get(member)
        if cfg is not None and getattr(cfg, "reverse", False):
            hint = _("it is already reversed (reverse: true): check its coding")
        else:
            hint = _("is it reverse-worded? Set reverse: true on it")
        warnings.append(_("scales.{scale}: '{item}' correlates negatively with the rest of the scale "
                          "(item-rest r = {r}): {hint}").format(scale=name, item=item.name, r=f"{item.item_rest:.2f}",
                                                                hint=hint))
    return ScaleResult(name, rel.alpha, rel.n, "", rel.items, warnings)


def scale_attributes(items: list[ItemSpec]) -> dict[str, ItemSpec]:
    """The items a ``scales:`` entry can name: attributes by label, composites by name."""
    return {s.label: s for s in items if s.kind == "rating"} | {s.key[5:]: s for s in items if s.key.startswith("attr:")}


def driver_columns(project: Project, items: list[ItemSpec]) -> tuple[ItemSpec, list[ItemSpec]] | None:
    """The outcome and the drivers ``drivers:`` asks for, among ``items`` (None without ``drivers:``)."""
    cfg = project.drivers
    if cfg is None:
        return None
    specs = {s.key: s for s in items}
    outcome_key = cfg.outcome if cfg.outcome in specs else f"attr:{cfg.outcome}"
    if outcome_key not in specs:
        raise ConfigError(f"drivers.outcome: no item '{cfg.outcome}'{did_you_mean(cfg.outcome, list(specs))}")
    driver_specs = [s for s in items if s.kind == "rating" and s.key != outcome_key]
    if not cfg.drivers:
        # A composite scale's score is the mean of its items: by default its items are the
        # drivers, not the score as well (they would be collinear with it).
        driver_specs = [s for s in driver_specs if getattr(s, "origin", "") != "composite"]
    if cfg.drivers:
        by_name = {s.key[5:]: s for s in driver_specs}
        missing = [d for d in cfg.drivers if d not in by_name]
        if missing:
            raise ConfigError(f"drivers.drivers: no attribute '{missing[0]}'{did_you_mean(missing[0], by_name)}")
        driver_specs = [by_name[d] for d in cfg.drivers]
    else:
        # By default not the scale scores: each is the mean of other drivers (name one to use it).
        driver_specs = [s for s in driver_specs if s.origin != "composite"]
    if len(driver_specs) < 2:
        raise ConfigError("drivers: at least two attribute drivers are needed")
    return specs[outcome_key], driver_specs


def centre_of(specs: list[ItemSpec]) -> np.ndarray:
    """The fixed centre of each column's :class:`~cxreport.scoring.drivers.Moments`: its scale's
    middle (0 for a number without bounds)."""
    return np.array([(s.low + s.high) / 2 if math.isfinite(s.low) and math.isfinite(s.high) else 0.0
                     for s in specs])


def key_drivers(project: Project, data: SurveyData, *, results=None, scope=None, window_base=None,
                window_label: str | None = None, moments=None) -> DriverReport | None:
    """The key driver analysis of ``data`` (the rows the driver section describes).

    ``results``: the reporting window's :class:`~cxreport.scoring.survey.SurveyResults`,
    whose attribute means give each driver's performance (without it, the means of the rows
    analysed); ``scope``: the section's :class:`~cxreport.window.Scope`; ``window_base``:
    respondents in the window; ``window_label``: the window's label, when the drivers pool
    more periods (otherwise found from the pooled run's last period when it can be).
    ``moments``: streamed scoring's counted rows, ``moments(segment, g)`` the
    :class:`~cxreport.scoring.drivers.Moments` of the drivers and outcome for the total
    (``segment`` None) or a segment's group ``g``; ``data`` then says only what they are of
    (no rows: no bootstrap intervals); ``moments(("scale", name), None)`` those of a declared
    scale's items."""
    cfg = project.drivers
    report = DriverReport(None)
    specs = {s.key: s for s in data.items}
    if project.item_scales:
        attrs = scale_attributes(data.items)
        for name, members in project.item_scales.items():
            missing = [m for m in members if m not in attrs]
            if missing:
                raise ConfigError(f"scales.{name}: no attribute '{missing[0]}'{did_you_mean(missing[0], attrs)}")
            report.scales.append(_scale(project, name, members, attrs, data,
                                        None if moments is None else moments(("scale", name), None)))
    if cfg is None:
        return report if report.scales else None
    report.configured = True
    outcome_spec, driver_specs = driver_columns(project, data.items)
    outcome_key = outcome_spec.key
    how = getattr(cfg, "missing", "listwise")
    boot = {"replicates": getattr(cfg, "bootstrap", BOOTSTRAP_REPLICATES), "seed": getattr(cfg, "seed", BOOTSTRAP_SEED)}
    where = _where(data, scope, window_base, window_label)
    names = [s.label for s in driver_specs]
    keys = [s.key for s in driver_specs]
    lows = [s.low for s in driver_specs]
    highs = [s.high for s in driver_specs]
    outcome_label = specs[outcome_key].label
    centre = centre_of(driver_specs + [outcome_spec])
    if moments is None:
        y = data.values[outcome_key]
        X = np.column_stack([data.values[s.key] for s in driver_specs])
        w = data.weights if data.weighted else None

        def rows_of(mask):
            return (y, X, w) if mask is None else (y[mask], X[mask], None if w is None else w[mask])

        def counted(segment, g, rows):
            yg, Xg, wg = rows
            return Moments.of(np.column_stack([Xg, yg]), wg, centre)
    else:
        def rows_of(mask):
            return None

        def counted(segment, g, rows):
            return moments(segment, g)
    total = _("Total")
    rows = rows_of(None)
    m = counted(None, None, rows)
    problem = _base_problem(m, names, outcome_label, cfg.min_base, how, where)
    if problem:
        report.skipped.append(_("Total: {reason}").format(reason=problem))
    else:
        try:
            report.overall = _analyse("Total", outcome_label, m, names, lows, highs, cfg.method, cfg.min_base,
                                      how, where, _group_means(results, keys), rows=rows, **boot)
        except DriverError as exc:
            report.skipped.append(_skip(total, str(exc), where))
    for seg_name in cfg.segments:
        seg = next((s for s in data.segments if s.name == seg_name), None)
        if seg is None:
            raise ConfigError(f"drivers.segments: no segment '{seg_name}'"
                              f"{multi_punch_hint(data, seg_name) or did_you_mean(seg_name, [s.name for s in data.segments])}")
        for g, label in enumerate(seg.labels):
            group = _("{segment} {group}").format(segment=seg_name, group=label)
            rows = rows_of(seg.codes == g if moments is None else None)
            m = counted(seg_name, g, rows)
            problem = _base_problem(m, names, outcome_label, cfg.min_base, how, where)
            if problem:
                report.skipped.append(_("{scope}: {reason}").format(scope=group, reason=problem))
                continue
            try:
                report.segments.append(_analyse(_("{segment}: {group}").format(segment=seg_name, group=label),
                                                outcome_label, m, names, lows, highs, cfg.method, cfg.min_base, how,
                                                where, _group_means(results, keys, seg_name, label), rows=rows,
                                                **boot))
            except DriverError as exc:
                report.skipped.append(_skip(group, str(exc), where))
    return report
