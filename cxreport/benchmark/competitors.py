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

import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cxreport.config.paths import display_path
from cxreport.config.schema import Competitors, Project, adjust_method
from cxreport.errors import DataError
from cxreport.i18n import _
from cxreport.load.competitors import CompetitorSurveyFile, TableRow, read_competitor_survey, read_competitor_table
from cxreport.periods import Period, assign_periods
from cxreport.scoring import stats
from cxreport.scoring.kpis import BaseRules, ItemSpec, compare, score_item
from cxreport.util import did_you_mean
from cxreport.window import span_label

METRIC_OF = {"nps": "nps", "csat": "csat_top2", "ces": "ces_mean", "acsi": "acsi"}
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
    # p adjusted with the metric's other brands (one table: own against every competitor,
    # METHODS.md §8); the mark is decided on it
    p_adjusted: float | None = None
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
    period: str = ""                 # the period of the rows described ("2026 Q3", "2025–2026"); "" unknown
    #: a published table's sources, each once with its years (:func:`cite_sources`)
    cited: list[dict] = field(default_factory=list)


def _label(metric: str) -> str:
    return {"nps": _("NPS"), "csat_top2": _("CSAT (top-2-box %)"), "ces_mean": _("CES (mean, 1–7)"),
            "acsi": _("ACSI-style index"), "csat_mean": _("CSAT (mean)"), "ces_index": _("CES index")}.get(metric, metric)


def _summarise(metric: str, origin: str, values: list[BrandValue], own_brand: str, notes: list[str],
               period: str = "") -> MetricComparison:
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
                            own, avg, best, rank, gap, bool(gap is not None and gap > 0), notes, period)


# --------------------------------------------------------------------------- the survey's period


@dataclass
class SurveyCut:
    """The competitor survey's rows a report describes, the label of their period and what was done."""

    rows: np.ndarray                 # positions in the file's frame
    period: str                      # "" when unknown (an undated survey without competitors.survey.period)
    notes: list[str] = field(default_factory=list)


def survey_rows(project: Project, cfg, survey: CompetitorSurveyFile, window=None) -> SurveyCut:
    """The competitor survey's rows in ``window`` (a :class:`cxreport.window.Window`).

    Undated survey, ``window=None`` or the window ``all``: every row. Otherwise the rows in
    the window's periods (or date range); when there are none, those of the survey's latest
    period that ends by the window's end (said in a note); when there is no such period, a
    :class:`DataError` naming ``competitors.survey`` and the survey's periods.
    """
    everything = np.arange(len(survey.frame))
    if survey.dates is None:
        period = cfg.period or ""
        notes = []
        if window is not None:
            notes.append(_("The competitor survey has no response dates; all its answers are used, fielded in "
                           "{period}.").format(period=period) if period else
                         _("The competitor survey has no response dates; all its answers are used, and when it was "
                           "fielded is not stated."))
        return SurveyCut(everything, period, notes)
    settings = project.periods
    dates = survey.dates.reset_index(drop=True)
    codes, periods = assign_periods(dates, settings.unit, settings.fiscal_year_start, settings.waves)
    outside = int((codes < 0).sum())

    def present(rows: np.ndarray) -> list[Period]:
        used = set(codes[rows].tolist())
        return [p for i, p in enumerate(periods) if i in used]

    span = window.span if window is not None else None
    if span is None or window.kind == "all" or span.everything:
        label = span_label(periods, pooled=True)
        notes = []
        if window is not None:
            notes.append(_("Every competitor survey answer is used ({period}), as for the rest of the report.")
                         .format(period=label))
        return SurveyCut(everything, label, notes)
    if span.keys:
        keys = np.array([p.key for p in periods] + [-10**9], dtype=np.int64)[np.where(codes >= 0, codes, len(periods))]
        inside = np.isin(keys, np.array(span.keys, dtype=np.int64))
        end = max((p.end for p in span.periods), default=None)
    else:
        values = dates.to_numpy(dtype="datetime64[ns]")
        inside = (values >= np.datetime64(span.start)) & (values <= np.datetime64(span.end))
        end = pd.Timestamp(span.end)
    notes = []
    if outside and settings.unit == "wave":
        notes.append(_("Competitor survey answers dated outside every wave are left out: {count}.")
                     .format(count=outside))
    if inside.any():
        rows = np.flatnonzero(inside)
        found = present(rows)
        if span.keys and {p.key for p in found} != set(span.keys):
            label = span_label(found, pooled=True)
            notes.insert(0, _("Of the report's period, {window}, the competitor survey has answers in {period} "
                              "only; those are shown.").format(period=span_label(found, pooled=False), window=span.label))
        else:
            label = span.label
            notes.insert(0, _("Only the competitor survey's answers from {period} are used, as for the rest of "
                              "the report.").format(period=label))
        return SurveyCut(rows, label, notes)
    earlier = [i for i, p in enumerate(periods) if end is not None and p.end <= end]
    if not earlier:
        if not periods:
            raise DataError(f"competitors.survey: {survey.name} has no answers with a date in a period")
        # Fielded only after the window: shown as fielded, and said so (a report on an earlier
        # period can still place the brand in the market, but must not pass it off as that period).
        first = min(range(len(periods)), key=lambda i: (periods[i].start, periods[i].key))
        rows = np.flatnonzero(codes == first)
        notes.insert(0, _("The competitor survey was fielded after {window}; its first period, {period}, is "
                          "shown.").format(window=span.label, period=periods[first].label))
        return SurveyCut(rows, periods[first].label, notes)
    last = max(earlier, key=lambda i: (periods[i].end, periods[i].key))
    rows = np.flatnonzero(codes == last)
    notes.insert(0, _("The competitor survey has no answers in {window}; its latest period, {period}, is shown.")
                 .format(window=span.label, period=periods[last].label))
    return SurveyCut(rows, periods[last].label, notes)


# --------------------------------------------------------------------------- survey shape


def _survey(project: Project, cfg, rules: BaseRules, alpha: float, own_brand: str, window=None) -> list[MetricComparison]:
    survey = read_competitor_survey(cfg, display_path(cfg.file, project.base_dir), project.periods.timezone)
    name = survey.name
    full = survey.frame
    columns = list(full.columns)
    brands: list[str]
    if cfg.brand_column:
        if cfg.brand_column not in columns:
            raise DataError(f"competitors.survey.brand_column: column '{cfg.brand_column}' not found in "
                            f"{name}{did_you_mean(cfg.brand_column, columns)}")
        brands = sorted({str(b).strip() for b in full[cfg.brand_column] if str(b).strip()}, key=str.casefold)
    else:
        brands = list(cfg.brands)
    if own_brand not in brands:
        raise DataError(f"competitors.own_brand: '{own_brand}' is not among the brands in {name}"
                        f"{did_you_mean(own_brand, brands)} (brands: {', '.join(brands)})")
    for key in SURVEY_KPIS:
        for where, template in _templates(cfg, key):
            for brand in brands:
                column = template.replace("{brand}", brand) if cfg.brands else template
                if column not in columns:
                    raise DataError(f"competitors.survey.{where}: column '{column}' not found in {name}"
                                    f"{did_you_mean(column, columns)}")
    if cfg.weight and cfg.weight not in columns:
        raise DataError(f"competitors.survey.weight: column '{cfg.weight}' not found in {name}"
                        f"{did_you_mean(cfg.weight, columns)}")
    cut = survey_rows(project, cfg, survey, window)
    frame = full.iloc[cut.rows]
    # Each brand's rows and weights, found once for every KPI.
    brand_text = frame[cfg.brand_column].astype(str).str.strip() if cfg.brand_column else None
    brand_rows: dict = {}
    brand_weights: dict = {}
    missing = [float(c) for c in project.missing_codes]
    out = []
    for key in SURVEY_KPIS:
        template = getattr(cfg, key)
        if not template:
            continue
        spec = {"nps": ItemSpec.nps(), "csat": ItemSpec.csat(scale=cfg.csat_scale), "ces": ItemSpec.ces(),
                "acsi": ItemSpec.acsi()}[key]
        results = {}
        for brand in brands:
            if brand not in brand_rows:
                brand_rows[brand] = brand_text == brand if cfg.brand_column else slice(None)
            rows = brand_rows[brand]
            if key == "acsi":
                values = _acsi_values(project, frame.loc[rows], template, brand if cfg.brands else None, missing)
            else:
                column = template.replace("{brand}", brand) if cfg.brands else template
                raw = frame.loc[rows, column].astype(str).str.strip()
                values = np_numeric(raw, spec.low, spec.high, missing)
            weights = None
            if cfg.weight:
                if brand not in brand_weights:
                    found = np_numeric(frame.loc[rows, cfg.weight].astype(str).str.strip(), 0, 1e9, [])
                    brand_weights[brand] = np.where(np.isnan(found), 0.0, found)
                weights = brand_weights[brand]
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
        adjust_brands(values_out, alpha)
        notes = list(cut.notes) + [
            _("Brands were rated by the same respondents; differences are tested as if the samples were "
              "independent, which is conservative when ratings are positively correlated.")]
        out.append(_summarise(METRIC_OF[key], "survey", values_out, own_brand, notes, cut.period))
    return out


#: The KPIs a competitor survey can map, in report order.
SURVEY_KPIS = ("nps", "csat", "ces", "acsi")


def _templates(cfg, key: str) -> list[tuple[str, str]]:
    """(config key, column template) of a KPI of the competitor survey: one column, or the
    three items of the ACSI-style index."""
    value = getattr(cfg, key, None)
    if not value:
        return []
    if isinstance(value, list):
        return [(f"{key}[{i}]", template) for i, template in enumerate(value)]
    return [(key, value)]


def _acsi_values(project: Project, frame: pd.DataFrame, templates: list[str], brand: str | None,
                 missing: list[float]) -> np.ndarray:
    """Each respondent's ACSI-style index for one brand (METHODS.md §1), on the scale and
    weights of ``columns.acsi`` (1–10, equal weights without it); NaN unless all three items
    have a valid answer."""
    own = project.columns.acsi
    low, high = own.scale if own else (1, 10)
    weights = own.weights if own else [1 / 3] * 3
    total = np.zeros(len(frame))
    for template, weight in zip(templates, weights):
        column = template.replace("{brand}", brand) if brand else template
        x = np_numeric(frame[column].astype(str).str.strip(), low, high, missing)
        x = np.where(np.floor(x) == x, x, np.nan)
        total = total + weight * (x - low) / (high - low)
    return 100.0 * total


def np_numeric(series, low: float, high: float, missing: list[float]) -> np.ndarray:
    values = pd.to_numeric(series.where(series != "", None), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    values = np.where(np.isin(values, missing), np.nan, values)
    with np.errstate(invalid="ignore"):
        ok = (values >= low) & (values <= high)
    return np.where(ok, values, np.nan)


# --------------------------------------------------------------------------- table shape


def split_source(text: str) -> tuple[str, str]:
    """A table row's source and year, as :func:`_table` joins them ("source year", or
    "source (year)")."""
    text = text.strip()
    match = re.match(r"^(.*\S)\s+\(?(\d{4}(?:\s*[–-]\s*\d{4})?)\)?$", text)
    if match:
        return match.group(1), match.group(2)
    return text, ""


def with_year(source: str, year: str) -> str:
    """'source, 2026' in the report's language; the source alone when it has no year or
    already names it."""
    if not year or year in source:
        return source
    if re.fullmatch(r"\d{4}", year):           # a year in the language's words ("2026年")
        return _("%(source)s, %(year)s") % {"source": source, "year": year}
    return _("%(source)s, %(period)s") % {"source": source, "period": year}


def cite_sources(brands: list[BrandValue]) -> list[dict]:
    """A published table's sources, each once with its years ({"text": "UK Retail Banking
    Monitor 2026 (syndicated)", "brands": [...]}), in the order met: the report, the quarterly
    review and the workbook name them from this one list."""
    by_source: dict[str, tuple[set[str], list[str]]] = {}
    for b in brands:
        source, year = split_source(b.source or "")
        if not source:
            continue
        years, named = by_source.setdefault(source, (set(), []))
        if year:
            years.add(year)
        named.append(b.brand)
    return [{"text": with_year(source, years_label(sorted(years))), "brands": named}
            for source, (years, named) in by_source.items()]


def years_label(years: list[str]) -> str:
    """'2026'; '2025–2026' when the rows' years differ; '' when none is given."""
    found = sorted({y.strip() for y in years if y and y.strip()})
    if not found:
        return ""
    if len(found) == 1:
        return found[0]
    try:
        numbers = sorted(int(float(y)) for y in found)
    except ValueError:
        return f"{found[0]}–{found[-1]}"
    return f"{numbers[0]}–{numbers[-1]}"


def _table(project: Project, cfg, alpha: float, own_brand: str, window=None) -> list[MetricComparison]:
    loaded = read_competitor_table(cfg.file, display_path(cfg.file, project.base_dir), UNITS)
    name = loaded.name
    by_metric: dict[str, list[TableRow]] = {}
    for row in loaded.rows:
        by_metric.setdefault(row.metric, []).append(row)
    out = []
    for metric, rows in by_metric.items():
        raw = {r.brand: r for r in rows}
        values = [BrandValue(r.brand, r.value, n=int(r.n) if r.n else None, own=r.brand == own_brand,
                             source=" ".join(x for x in (r.source, r.year) if x)) for r in rows]
        period = years_label([r.year for r in rows])
        own = raw.get(own_brand)
        notes = []
        if window is not None:
            notes.append(_("Published figures are shown as published ({period}), not cut to the report's period, "
                           "{window}.").format(period=period, window=window.label) if period else
                         _("Published figures are shown as published, not cut to the report's period, {window}.")
                         .format(window=window.label))
        if own is None:
            notes.append(_("{brand} has no {metric} value in {file}.").format(brand=own_brand, metric=metric, file=name))
        for bv in values:
            if bv.own or own is None:
                continue
            ov, on, osd = own.value, own.n, own.sd
            other = raw[bv.brand]
            cv, cn, csd = other.value, other.n, other.sd
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
        adjust_brands(values, alpha)
        comparison = _summarise(metric, "table", values, own_brand, notes, period)
        comparison.cited = cite_sources(values)
        out.append(comparison)
    return out


def adjust_brands(values: list[BrandValue], alpha: float) -> None:
    """One metric's table — the own brand against every competitor tested — adjusted together
    by the method ``alpha`` carries (METHODS.md §8): each mark is re-decided on its adjusted p."""
    tested = [b for b in values if b.testable and b.p_value is not None]
    adjusted = stats.adjust_pvalues([b.p_value for b in tested], adjust_method(alpha))
    for b, q in zip(tested, adjusted):
        b.p_adjusted = float(q) if math.isfinite(q) else None
        direction = 0 if not b.diff or not math.isfinite(b.diff) else (1 if b.diff > 0 else -1)
        b.mark = direction if math.isfinite(q) and q <= alpha else 0


def compare_competitors(project: Project, rules: BaseRules, alpha: float, window=None) -> list[MetricComparison]:
    """Every metric of the competitor survey and table. ``window`` (a :class:`cxreport.window.Window`)
    cuts a dated competitor survey to the report's period; None uses every row (as does ``all``)."""
    cfg: Competitors | None = project.competitors
    if cfg is None:
        return []
    out: list[MetricComparison] = []
    if cfg.survey is not None:
        out += _survey(project, cfg.survey, rules, alpha, cfg.own_brand, window)
    if cfg.table is not None:
        out += _table(project, cfg.table, alpha, cfg.own_brand, window)
    for comparison in out:
        comparison.label = project_label(project, comparison.metric, comparison.label)
    return out


def project_label(project: Project, metric: str, default: str) -> str:
    """The metric named with the project's own KPI label where it gives one (a project that
    calls CES 省力度 sees 省力度 in the competitor section too)."""
    kpi = metric.split("_", 1)[0]
    item = getattr(project.columns, kpi, None) if kpi in ("nps", "csat", "ces", "acsi") else None
    label = getattr(item, "label", None)
    if not label:
        return default
    detail = {"csat_top2": _("top-2-box %"), "ces_mean": _("mean, 1–7"), "csat_mean": _("mean"),
              "ces_index": _("index")}.get(metric)
    return _("{kpi} ({detail})").format(kpi=label, detail=detail) if detail else label
