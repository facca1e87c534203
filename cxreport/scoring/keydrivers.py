"""Key driver analysis of a project: outcome and attribute drivers from the validated data,
overall and per segment group with enough base, with the importance–performance quadrant
(Martilla & James 1977, METHODS.md §3) and Cronbach's α of declared scales."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cxreport.config.schema import Project
from cxreport.errors import ConfigError
from cxreport.i18n import _
from cxreport.scoring.drivers import MAX_LMG_DRIVERS, DriverError, cronbach_alpha, relative_weights, shapley
from cxreport.util import did_you_mean
from cxreport.validate import SurveyData, multi_punch_hint

QUADRANTS = {
    (True, False): "Concentrate here",
    (True, True): "Keep up the good work",
    (False, False): "Low priority",
    (False, True): "Possible overkill",
}


@dataclass
class DriverRow:
    name: str
    importance: float            # % of R² (the primary method)
    raw: float                   # contribution to R²
    performance: float           # mean rescaled to 0–100
    mean: float
    quadrant: str
    lmg: float | None = None     # % of R² by Shapley/LMG, when computed


@dataclass
class DriverAnalysis:
    scope: str                   # "Total" or "Region: North"
    outcome: str
    n: int
    n_eff: float
    r2: float
    method: str
    rows: list[DriverRow]
    note: str = ""


@dataclass
class DriverReport:
    overall: DriverAnalysis | None
    segments: list[DriverAnalysis] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)      # groups without enough base, with why
    scales: list[tuple[str, float | None, int, str]] = field(default_factory=list)  # name, α, n, note


def _analyse(scope: str, outcome_name: str, y, X, w, names, lows, highs, method: str, min_base: int) -> DriverAnalysis:
    rw = relative_weights(y, X, w, names, min_n=min_base)
    lmg = None
    if method in ("auto", "shapley") and len(names) <= MAX_LMG_DRIVERS:
        lmg = shapley(y, X, w, names, min_n=min_base)
    primary = lmg if method == "shapley" and lmg is not None else rw
    keep = ~np.isnan(y) & ~np.isnan(X).any(axis=1)
    ww = np.ones(keep.sum()) if w is None else w[keep]
    means = (ww @ X[keep]) / ww.sum()
    perf = [100 * (m - lo) / (hi - lo) for m, lo, hi in zip(means, lows, highs)]
    imp = primary.percent
    imp_mean, perf_mean = float(np.mean(imp)), float(np.mean(perf))
    rows = [DriverRow(n, imp[j], primary.raw[j], perf[j], float(means[j]),
                      QUADRANTS[(imp[j] >= imp_mean, perf[j] >= perf_mean)],
                      lmg.percent[j] if lmg is not None else None) for j, n in enumerate(names)]
    rows.sort(key=lambda r: -r.importance)
    return DriverAnalysis(scope, outcome_name, primary.n, primary.n_eff, primary.r2, primary.method, rows)


def key_drivers(project: Project, data: SurveyData) -> DriverReport | None:
    cfg = project.drivers
    report = DriverReport(None)
    specs = {s.key: s for s in data.items}
    if project.item_scales:
        attrs = {s.label: s for s in data.items if s.kind == "rating"} | {
            s.key[5:]: s for s in data.items if s.key.startswith("attr:")}
        for name, members in project.item_scales.items():
            missing = [m for m in members if m not in attrs]
            if missing:
                raise ConfigError(f"scales.{name}: no attribute '{missing[0]}'{did_you_mean(missing[0], attrs)}")
            try:
                alpha, n = cronbach_alpha(np.column_stack([data.values[attrs[m].key] for m in members]),
                                          data.weights if data.weighted else None)
                report.scales.append((name, alpha, n, ""))
            except DriverError as exc:
                report.scales.append((name, None, 0, str(exc)))
    if cfg is None:
        return report if report.scales else None
    outcome_key = cfg.outcome if cfg.outcome in specs else f"attr:{cfg.outcome}"
    if outcome_key not in specs:
        raise ConfigError(f"drivers.outcome: no item '{cfg.outcome}'{did_you_mean(cfg.outcome, list(specs))}")
    driver_specs = [s for s in data.items if s.kind == "rating" and s.key != outcome_key]
    if cfg.drivers:
        by_name = {s.key[5:]: s for s in driver_specs}
        missing = [d for d in cfg.drivers if d not in by_name]
        if missing:
            raise ConfigError(f"drivers.drivers: no attribute '{missing[0]}'{did_you_mean(missing[0], by_name)}")
        driver_specs = [by_name[d] for d in cfg.drivers]
    if len(driver_specs) < 2:
        raise ConfigError("drivers: at least two attribute drivers are needed")
    names = [s.label for s in driver_specs]
    lows = [s.low for s in driver_specs]
    highs = [s.high for s in driver_specs]
    y = data.values[outcome_key]
    X = np.column_stack([data.values[s.key] for s in driver_specs])
    w = data.weights if data.weighted else None
    outcome_label = specs[outcome_key].label
    try:
        report.overall = _analyse("Total", outcome_label, y, X, w, names, lows, highs, cfg.method, cfg.min_base)
    except DriverError as exc:
        report.skipped.append(_("Total: {reason}").format(reason=exc))
    for seg_name in cfg.segments:
        seg = next((s for s in data.segments if s.name == seg_name), None)
        if seg is None:
            raise ConfigError(f"drivers.segments: no segment '{seg_name}'"
                              f"{multi_punch_hint(data, seg_name) or did_you_mean(seg_name, [s.name for s in data.segments])}")
        for g, label in enumerate(seg.labels):
            mask = seg.codes == g
            complete = int((mask & ~np.isnan(y) & ~np.isnan(X).any(axis=1)).sum())
            if complete < cfg.min_base:
                report.skipped.append(_("{segment} {group}: {n} complete cases, fewer than {min}").format(
                    segment=seg_name, group=label, n=complete, min=cfg.min_base))
                continue
            try:
                report.segments.append(_analyse(f"{seg_name}: {label}", outcome_label, y[mask], X[mask],
                                                None if w is None else w[mask], names, lows, highs, cfg.method,
                                                cfg.min_base))
            except DriverError as exc:
                report.skipped.append(f"{seg_name} {label}: {exc}")
    return report
