"""One KPI, several sources: the client's own figure from the tracker (the window), the
competitor survey and a syndicated or published table, listed side by side with source,
period and base, and which one the report's headline uses.

A reader who meets NPS +28 in the scorecard and +24 and +18 in the competitor section
should not have to guess why; the note says which figure is which.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cxreport.benchmark.compare import kpi_metric
from cxreport.i18n import _


@dataclass(frozen=True)
class SourceFigure:
    source: str            # "this survey", "competitor survey", "UK Retail Banking Monitor 2026 (syndicated)"
    period: str            # "2026 Q3", "2026", "" when unknown
    value: float | None
    base: int | None
    headline: bool = False


@dataclass
class KpiSources:
    key: str               # the tracker's KPI key (nps, csat, ces)
    label: str
    unit: str              # points | percent | mean
    figures: list[SourceFigure] = field(default_factory=list)

    @property
    def headline(self) -> SourceFigure | None:
        return next((f for f in self.figures if f.headline), None)


def reconcile(study) -> list[KpiSources]:
    """Every KPI of the tracker that the competitor data also gives for the client's brand."""
    out = []
    results = study.results
    for spec in results.kpis:
        metric = kpi_metric(spec)
        others = [c for c in study.competitors if c.metric == metric and c.own is not None and c.own.value is not None]
        if not others:
            continue
        est = results.overall[spec.key].headline
        entry = KpiSources(spec.key, spec.label, est.unit)
        entry.figures.append(SourceFigure(_("this survey"), study.window.label,
                                          est.value if est.shown else None, results.overall[spec.key].n, True))
        for comp in others:
            own = comp.own
            if comp.origin == "survey":
                source = _("competitor survey")
            else:
                source = own.source or _("published and syndicated data")
            period = getattr(comp, "period", "") or ""
            if period and source.endswith(" " + period):      # "Monitor 2026 (syndicated) 2026": the year once
                source = source[: -len(period) - 1]
            entry.figures.append(SourceFigure(source, period, own.value, own.n))
        out.append(entry)
    return out
