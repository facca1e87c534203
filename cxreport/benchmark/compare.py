"""Compare KPIs with standards from the library (METHODS.md §6), and service-standard tiers.

A KPI is compared with a standard only when both are on the same metric, or when the
project gives an explicit conversion (value × factor + offset onto the standard's
metric). Anything else is a configuration error naming the comparison.

Only the standards ``benchmarks.compare`` lists are compared. Each is compared for the
client's market — ``client.industry`` and ``client.country`` when the project gives them —
so that a standard from another industry or country (or one whose market the project does
not confirm as the client's) is named with its industry and country and marked "for
orientation only" wherever it is shown (:func:`cxreport.benchmark.standards.place_words`).
"""

from __future__ import annotations

from dataclasses import dataclass

from cxreport.benchmark.standards import METRIC_LABELS, Library, Standard, load_library
from cxreport.config.schema import Project
from cxreport.errors import ConfigError
from cxreport.scoring.kpis import ItemSpec
from cxreport.scoring.survey import SurveyResults
from cxreport.util import did_you_mean


def kpi_metric(spec: ItemSpec) -> str:
    """The standards metric a KPI's headline figure is on."""
    if spec.kind == "nps":
        return "nps"
    if spec.kind == "csat":
        return "csat_top2" if spec.headline == "top2" else "csat_mean"
    if spec.kind == "ces":
        return "ces_index" if spec.headline == "index" else "ces_mean"
    if spec.kind == "acsi":
        return "acsi"
    return "rating_mean"


@dataclass(frozen=True)
class BenchmarkRow:
    key: str
    label: str
    unit: str
    value: float | None            # the KPI, on its own scale
    compared: float | None         # the KPI on the standard's metric (after any conversion)
    standard: Standard
    gap: float | None              # compared − standard value
    conversion: str | None         # the project's note, when converted
    base: str

    @property
    def mismatch(self) -> set[str] | None:
        """What differs from the client's market: "industry", "country"; None when unknown."""
        return self.standard.mismatch

    @property
    def position(self) -> str:
        if self.gap is None:
            return "none"
        return "above" if self.gap > 0 else ("below" if self.gap < 0 else "level")


def client_market(project: Project) -> tuple[str | None, str | None]:
    """The client's industry and country (``client.industry``, ``client.country``), None where
    the project does not say."""
    client = getattr(project, "client", None)
    return (getattr(client, "industry", None) or None), (getattr(client, "country", None) or None)


def compare_standards(project: Project, results: SurveyResults, library: Library | None = None) -> list[BenchmarkRow]:
    library = library or load_library(list(project.benchmarks.files))
    industry, country = client_market(project)
    specs = {s.key: s for s in results.items}
    rows, problems = [], []
    for index, comp in enumerate(project.benchmarks.compare):
        where = f"benchmarks.compare[{index}]"
        spec = specs.get(comp.kpi)
        if spec is None:
            problems.append(f"{where}.kpi: no KPI '{comp.kpi}' in this project{did_you_mean(comp.kpi, specs)}")
            continue
        if comp.standard not in library.standards:
            problems.append(f"{where}.standard: no standard '{comp.standard}'"
                            f"{did_you_mean(comp.standard, library.standards)} (see `cxreport standards list`)")
            continue
        std = library.standards[comp.standard].for_client(industry, country)
        metric = kpi_metric(spec)
        conversion = comp.conversion
        if conversion is None and metric != std.metric:
            problems.append(
                f"{where}: cannot compare {spec.label} ({METRIC_LABELS.get(metric, metric)}) with {std.id} "
                f"({METRIC_LABELS.get(std.metric, std.metric)}): different scales; give a conversion if one is justified")
            continue
        if conversion is not None and conversion.to_metric != std.metric:
            problems.append(f"{where}.conversion.to_metric: '{conversion.to_metric}' but {std.id} is on {std.metric}")
            continue
        est = results.overall[spec.key].headline
        value = est.value if est.shown else None
        compared = None if value is None else (value * conversion.factor + conversion.offset if conversion else value)
        gap = None if compared is None else compared - std.value
        rows.append(BenchmarkRow(spec.key, spec.label, est.unit, value, compared, std, gap,
                                 conversion.note if conversion else None, est.base))
    if problems:
        raise ConfigError(problems[0] if len(problems) == 1 else f"{len(problems)} benchmark comparison problems",
                          problems if len(problems) > 1 else None)
    return rows


def tier_of(value: float | None, thresholds, unit: str | None = None) -> str | None:
    """The highest tier whose threshold the value meets (None below basic or without a value).
    With ``unit`` the value is judged as the report shows it, like a target status."""
    if value is None:
        return None
    if unit is not None:
        from cxreport.scoring.kpis import shown_value

        value = shown_value(value, unit)
    for name in ("excellent", "differentiated", "basic"):
        if value >= getattr(thresholds, name) - 1e-9:
            return name
    return None


def evaluate_tiers(project: Project, results: SurveyResults) -> dict[str, dict]:
    """{kpi: {"overall": tier, "segments": {(segment, group): tier}}} for every KPI with tiers."""
    out: dict[str, dict] = {}
    specs = {s.key: s for s in results.items}
    problems = [f"tiers.{k}: no KPI '{k}' in this project{did_you_mean(k, specs)}" for k in project.tiers
                if k not in specs]
    if problems:
        raise ConfigError(problems[0] if len(problems) == 1 else "tier problems", problems if len(problems) > 1 else None)
    for key, thresholds in project.tiers.items():
        est = results.overall[key].headline
        entry = {"thresholds": thresholds.model_dump(), "overall": tier_of(est.value if est.shown else None, thresholds, est.unit),
                 "segments": {}}
        for breakdown in results.segments:
            for group in breakdown.groups:
                g = group.items[key].headline
                entry["segments"][(breakdown.name, group.label)] = tier_of(g.value if g.shown else None, thresholds, g.unit)
        out[key] = entry
    return out
