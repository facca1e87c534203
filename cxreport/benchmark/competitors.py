"""Own brand against competitors (issue: benchmarking), from two kinds of data.

1. A competitor survey in which respondents rate several brands — one row per respondent
   and brand (``brand_column``) or brand-suffixed columns (``nps_{brand}``). Every brand
   is scored like the main survey, with intervals, and own-vs-competitor differences are
   tested (NPS difference z-test, two-proportion z-test, Welch's t). The same respondents
   may rate several brands; the tests treat the brands' samples as independent, which
   overstates the variance of a difference when ratings are positively correlated
   (conservative), and the report says so.
2. A table of brand × metric × value (syndicated study, desk research) with optional base
   ``n`` and ``sd``. Differences are tested where the base is known: proportions exactly;
   NPS with the largest variance its value allows (1 − NPS²), which never overstates
   significance; means only when ``sd`` is given.

For every metric: own value, each competitor, the competitor average (unweighted mean of
competitors), best in class, own rank (1 = best), gap to the leader, and where the brand
leads or trails. Higher is better for every metric here.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cxreport.config.paths import display_path
from cxreport.config.schema import Competitors, Project
from cxreport.errors import DataError
from cxreport.i18n import _
from cxreport.load.tabular import read_table
from cxreport.scoring import stats
from cxreport.scoring.kpis import BaseRules, ItemSpec, compare, score_item
from cxreport.util import did_you_mean

METRIC_OF = {"nps": "nps", "csat": "csat_top2", "ces": "ces_mean"}
UNITS = {"nps": "points", "csat_top2": "percent", "ces_mean": "mean", "acsi": "index", "ces_index": "points",
         "csat_mean": "mean", "rating_mean": "mean", "score_pct": "percent"}


@dataclass
class BrandValue:
    brand: str
    value: float | None
    low: float | None = None
    high: float | None = None
    n: int | None = None
    base: str = "ok"
    own: bool = False
    diff: float | None = None        # own − this brand (competitors only)
    p_value: float | None = None
    mark: int = 0                    # +1 own significantly higher, −1 lower, 0 not / not testable
    testable: bool = False
    source: str = ""


@dataclass
class MetricComparison:
    metric: str
    label: str
    unit: str
    origin: str                      # "survey" | "table"
    brands: list[BrandValue]
    own: BrandValue | None
    competitor_average: float | None
    best: BrandValue | None
    rank: int | None
    gap_to_leader: float | None      # own − the best other brand (negative = trails)
    leads: bool
    notes: list[str] = field(default_factory=list)


def _label(metric: str) -> str:
    return {"nps": _("NPS"), "csat_top2": _("CSAT (top-2-box %)"), "ces_mean": _("CES (mean, 1–7)"),
            "acsi": _("ACSI-style index"), "csat_mean": _("CSAT (mean)"), "ces_index": _("CES index")}.get(metric, metric)


def _summarise(metric: str, origin: str, values: list[BrandValue], own_brand: str, notes: list[str]) -> MetricComparison:
    own = next((b for b in values if b.own), None)
    shown = [b for b in values if b.value is not None and b.base != "suppressed"]
    others = [b for b in shown if not b.own]
    ranked = sorted(shown, key=lambda b: -(b.value or 0))
    best = ranked[0] if ranked else None
    rank = next((i + 1 for i, b in enumerate(ranked) if b.own), None)
    avg = float(np.mean([b.value for b in others])) if others else None
    best_other = max(others, key=lambda b: b.value) if others else None
    gap = (own.value - best_other.value) if own and own.value is not None and best_other else None
    return MetricComparison(metric, _label(metric), UNITS.get(metric, "mean"), origin,
                            sorted(values, key=lambda b: (not b.own, -(b.value if b.value is not None else -1e9))),
                            own, avg, best, rank, gap, bool(gap is not None and gap > 0), notes)


# --------------------------------------------------------------------------- survey shape


def _survey(project: Project, cfg, rules: BaseRules, alpha: float, own_brand: str) -> list[MetricComparison]:
    table = read_table(cfg.file, name=display_path(cfg.file, project.base_dir))
    frame = table.frame
    columns = list(frame.columns)
    brands: list[str]
    if cfg.brand_column:
        if cfg.brand_column not in columns:
            raise DataError(f"competitors.survey.brand_column: column '{cfg.brand_column}' not found in "
                            f"{table.name}{did_you_mean(cfg.brand_column, columns)}")
        brands = sorted({str(b).strip() for b in frame[cfg.brand_column] if str(b).strip()}, key=str.casefold)
    else:
        brands = list(cfg.brands)
    if own_brand not in brands:
        raise DataError(f"competitors.own_brand: '{own_brand}' is not among the brands in {table.name}"
                        f"{did_you_mean(own_brand, brands)} (brands: {', '.join(brands)})")
    out = []
    for key in ("nps", "csat", "ces"):
        template = getattr(cfg, key)
        if not template:
            continue
        spec = {"nps": ItemSpec.nps(), "csat": ItemSpec.csat(scale=cfg.csat_scale), "ces": ItemSpec.ces()}[key]
        results = {}
        for brand in brands:
            column = template.replace("{brand}", brand) if cfg.brands else template
            if column not in columns:
                raise DataError(f"competitors.survey.{key}: column '{column}' not found in {table.name}"
                                f"{did_you_mean(column, columns)}")
            rows = frame[cfg.brand_column].astype(str).str.strip() == brand if cfg.brand_column else slice(None)
            raw = frame.loc[rows, column].astype(str).str.strip()
            values = np_numeric(raw, spec.low, spec.high, [float(c) for c in project.missing_codes])
            weights = None
            if cfg.weight:
                weights = np_numeric(frame.loc[rows, cfg.weight].astype(str).str.strip(), 0, 1e9, [])
                weights = np.where(np.isnan(weights), 0.0, weights)
            results[brand] = score_item(spec, values, weights, rules)
        own_result = results[own_brand]
        values_out = []
        for brand in brands:
            res = results[brand]
            est = res.headline
            bv = BrandValue(brand, est.value if est.shown else None, est.low, est.high, est.n, est.base,
                            own=brand == own_brand, source="competitor survey")
            if brand != own_brand:
                test = compare(own_result, res)
                if test is not None:
                    bv.diff, bv.p_value, bv.testable = test.diff, test.p_value, True
                    bv.mark = test.direction if test.significant(alpha) else 0
            values_out.append(bv)
        notes = [_("Brands were rated by the same respondents; differences are tested as if the samples were "
                   "independent, which is conservative when ratings are positively correlated.")]
        out.append(_summarise(METRIC_OF[key], "survey", values_out, own_brand, notes))
    return out


def np_numeric(series, low: float, high: float, missing: list[float]) -> np.ndarray:
    import pandas as pd

    values = pd.to_numeric(series.where(series != "", None), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    values = np.where(np.isin(values, missing), np.nan, values)
    with np.errstate(invalid="ignore"):
        ok = (values >= low) & (values <= high)
    return np.where(ok, values, np.nan)


# --------------------------------------------------------------------------- table shape


def _float(text: str | None) -> float | None:
    if text is None or str(text).strip() == "":
        return None
    try:
        value = float(text)
    except ValueError:
        return math.nan
    return value


def _table(project: Project, cfg, alpha: float, own_brand: str) -> list[MetricComparison]:
    name = display_path(cfg.file, project.base_dir)
    try:
        text = Path(cfg.file).read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(f"{name}: not UTF-8 text") from None
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows:
        raise DataError(f"{name}: no rows")
    missing = [c for c in ("brand", "metric", "value") if c not in rows[0]]
    if missing:
        raise DataError(f"{name}: missing column(s) {', '.join(missing)} (need brand, metric, value; optional n, sd, source, year)")
    by_metric: dict[str, list[BrandValue]] = {}
    raw: dict[tuple[str, str], tuple[float, float | None, float | None]] = {}
    problems = []
    for number, row in enumerate(rows, start=2):
        brand, metric = (row.get("brand") or "").strip(), (row.get("metric") or "").strip()
        value, n, sd = _float(row.get("value")), _float(row.get("n")), _float(row.get("sd"))
        if not brand or not metric or value is None or math.isnan(value):
            problems.append(f"{name} row {number}: needs a brand, a metric and a numeric value")
            continue
        if (n is not None and (math.isnan(n) or n <= 0)) or (sd is not None and (math.isnan(sd) or sd < 0)):
            problems.append(f"{name} row {number}, column n/sd: not a positive number")
            continue
        if metric not in UNITS:
            problems.append(f"{name} row {number}, column metric: unknown metric '{metric}'"
                            f"{did_you_mean(metric, UNITS)}")
            continue
        if (brand, metric) in raw:
            problems.append(f"{name} row {number}: {brand} has two values for {metric}")
            continue
        raw[(brand, metric)] = (value, n, sd)
        by_metric.setdefault(metric, []).append(
            BrandValue(brand, value, n=int(n) if n else None, own=brand == own_brand,
                       source=" ".join(x for x in ((row.get("source") or "").strip(), (row.get("year") or "").strip()) if x)))
    if problems:
        raise DataError(f"{name}: {len(problems)} problem(s)" if len(problems) > 1 else problems[0],
                        problems if len(problems) > 1 else None)
    out = []
    for metric, values in by_metric.items():
        own = raw.get((own_brand, metric))
        notes = []
        if own is None:
            notes.append(_("{brand} has no {metric} value in {file}.").format(brand=own_brand, metric=metric, file=name))
        for bv in values:
            if bv.own or own is None:
                continue
            ov, on, osd = own
            cv, cn, csd = raw[(bv.brand, metric)]
            test = None
            if on and cn:
                if metric in ("csat_top2", "score_pct"):
                    test = stats.two_proportion_ztest(ov / 100 * on, on, cv / 100 * cn, cn)
                    test = stats.TestResult(100 * test.diff, test.statistic, test.p_value, test.method)
                elif metric in ("nps", "ces_index"):
                    se1 = 100 * math.sqrt(max(1 - (ov / 100) ** 2, 0) / on)
                    se2 = 100 * math.sqrt(max(1 - (cv / 100) ** 2, 0) / cn)
                    test = stats.diff_test_se(ov, se1, cv, se2, "NPS difference z-test (largest possible variance)")
                elif osd is not None and csd is not None:
                    test = stats.welch_ttest(ov, osd, on, cv, csd, cn)
            if test is not None and math.isfinite(test.p_value):
                bv.diff, bv.p_value, bv.testable = test.diff, test.p_value, True
                bv.mark = test.direction if test.significant(alpha) else 0
            else:
                bv.diff = ov - cv
        if any(b.n is None for b in values):
            notes.append(_("Differences are tested only where both bases are given."))
        out.append(_summarise(metric, "table", values, own_brand, notes))
    return out


def compare_competitors(project: Project, rules: BaseRules, alpha: float) -> list[MetricComparison]:
    cfg: Competitors | None = project.competitors
    if cfg is None:
        return []
    out: list[MetricComparison] = []
    if cfg.survey is not None:
        out += _survey(project, cfg.survey, rules, alpha, cfg.own_brand)
    if cfg.table is not None:
        out += _table(project, cfg.table, alpha, cfg.own_brand)
    for comparison in out:
        comparison.label = project_label(project, comparison.metric, comparison.label)
    return out


def project_label(project: Project, metric: str, default: str) -> str:
    """The metric named with the project's own KPI label where it gives one (a project that
    calls CES 省力度 sees 省力度 in the competitor section too)."""
    kpi = metric.split("_", 1)[0]
    item = getattr(project.columns, kpi, None) if kpi in ("nps", "csat", "ces") else None
    label = getattr(item, "label", None)
    if not label:
        return default
    detail = {"csat_top2": _("top-2-box %"), "ces_mean": _("mean, 1–7"), "csat_mean": _("mean"),
              "ces_index": _("index")}.get(metric)
    return _("{kpi} ({detail})").format(kpi=label, detail=detail) if detail else label
