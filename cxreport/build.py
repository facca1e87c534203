"""Build reports for a project: run the pipeline, then present the results."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from cxreport import i18n
from cxreport.config import Project, load_project
from cxreport.pipeline import Study, run

REPORT_TEMPLATES = {"client": "client_report.html", "quarterly": "quarterly_review.html"}


@dataclass
class BuildResult:
    study: Study
    paths: dict[str, Path]
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    #: The PDF was laid out twice: a chart drawn beside its layout differed from its
    #: description (charts.Draft); the PDF holds the drawn charts.
    laid_out_again: bool = False


def window_for(project, report: str):
    """The project with the reporting window of ``report``: the quarterly review describes
    ``quarterly.period`` (default the latest quarter) even when the client report's
    ``report.period`` is a year; ``--period`` sets the window of whichever report is built."""
    if report != "quarterly" or project.report.period_from == "--period":
        return project
    settings = project.report.model_copy(update={"period": project.quarterly.period,
                                                 "period_from": "quarterly.period"})
    return project.model_copy(update={"report": settings})


def build(project: Project | str | Path, out_dir: str | Path, *, formats: tuple[str, ...] = ("html", "pdf"),
          report: str = "client", strict: bool = False, allow_outside: bool = False,
          build_date: dt.date | None = None, study: Study | None = None, name: str | None = None,
          cache: str | Path | None = None) -> BuildResult:
    """Build the reports into ``out_dir``. A batch passes an already scored ``study`` (one
    unit's respondents) and the output ``name`` (file name without extension). ``cache`` is
    the folder of the content-addressed cache (docs/cache.md; None: nothing cached)."""
    from cxreport import cache as cache_store

    if study is not None:
        project = study.project
    else:
        if not isinstance(project, Project):
            project = load_project(project, allow_outside=allow_outside)
        project = window_for(project, report)
    # Everything from here, default labels and period names included, is in the project's
    # language; the language is restored when the build ends (no leak into the next build).
    with i18n.use_language(project.language), cache_store.using(cache):
        return _build(project, out_dir, formats=formats, report=report, strict=strict, build_date=build_date,
                      study=study, name=name)


def _build(project: Project, out_dir: str | Path, *, formats: tuple[str, ...], report: str, strict: bool,
           build_date: dt.date | None, study: Study | None = None, name: str | None = None) -> BuildResult:
    from cxreport.present import pdf as pdf_engine

    if "pdf" in formats and study is None:
        pdf_engine.prestart()       # imports WeasyPrint in the PDF process while this one scores
    # With a PDF process, the charts are drawn while it lays the PDF out from their
    # descriptions (charts.Draft), by workers that import matplotlib while this one scores:
    # started when scoring starts (a study read from the cache has its charts there too).
    workers: dict = {}

    def scoring_starts() -> None:
        if "pdf" in formats and pdf_engine.can_hold():
            from cxreport.present.charts import start_workers

            workers["started"] = start_workers([project.brand.font])

    try:
        return _make(project, out_dir, formats=formats, report=report, strict=strict, build_date=build_date,
                     study=study, name=name, chart_workers=workers, on_scoring=scoring_starts)
    finally:
        if workers.get("started") is not None:
            workers["started"].close()


def _make(project: Project, out_dir: str | Path, *, formats: tuple[str, ...], report: str, strict: bool,
          build_date: dt.date | None, study: Study | None, name: str | None, chart_workers: dict,
          on_scoring) -> BuildResult:
    from cxreport.present.charts import fonts_found
    from cxreport.util import release_free_memory
    from cxreport.present.context import build_context
    from cxreport.present.render import check_templates, logo_data_uri, render_report
    from cxreport.present.themes import project_search

    from cxreport.present import pdf as pdf_engine

    templates = project_search(project)
    if templates.user_supplied:
        check_templates(templates)
    if "html" in formats or "pdf" in formats:
        from cxreport.present.render import precompile

        precompile(templates, REPORT_TEMPLATES[report])     # in a forked process, while this one scores
    # A project's own templates are laid out under the PDF's time limit (sandbox.RenderGuard),
    # which waiting for the charts would count: their charts are drawn first.
    if templates.user_supplied:
        on_scoring = None
    study = study if study is not None else run(project, strict=strict, on_scoring=on_scoring)
    workers = chart_workers.get("started")
    release_free_memory()           # what scoring freed, before charts are forked and drawn
    warnings = study.validation.warnings()
    if study.unit is None and study.drivers is not None:
        warnings += study.drivers.warnings()       # a skipped driver analysis, a reverse-worded item
    if fonts_found([project.brand.font])[project.brand.font] is None:
        warnings.append(f"brand.font: '{project.brand.font}' is not installed on this machine; "
                        "the report falls back to DejaVu Sans (install the font, see the README)")
    import time

    t = time.perf_counter()
    if report == "quarterly":
        from cxreport.present.quarterly import build_quarterly_context

        deferred = build_quarterly_context(study, build_date=build_date)
    else:
        deferred = build_context(study, build_date=build_date)
    from cxreport.present.charts import add_narrow_variants, draft, draw_all

    logo = logo_data_uri(project.client.logo)
    html_context = None
    # With chart workers, the charts are drawn while the PDF process lays the PDF out from
    # their descriptions (charts.Draft); otherwise here, now (the PDF's first, its phone
    # variants later).
    drafted = draft(deferred, workers, extra={"logo": logo}) if workers is not None else None
    context = None
    if drafted is None:
        if workers is not None:
            workers.close()
        context = dict(draw_all(deferred, narrow="html" in formats and "pdf" not in formats), logo=logo)
    if "pdf" in formats and "html" in formats:
        # The PDF's charts first; the HTML report's phone-width variants are drawn while the
        # PDF is made (here, when a PDF process has the other core).
        def html_context(drawn: dict) -> dict:
            processes = 1 if pdf_engine.busy() else None
            return dict(add_narrow_variants(deferred, drawn, processes), logo=logo)
    timings = dict(study.timings)
    timings["context and charts"] = time.perf_counter() - t
    name = name or project.report.output_name + ("-quarterly" if report == "quarterly" else "")

    def alongside(context: dict) -> dict[str, bytes]:
        """The workbook and the deck, made while the PDF is."""
        extra = {}
        if "xlsx" in formats:
            from cxreport.present.workbook import build_workbook

            extra["xlsx"] = build_workbook(study)
        if "pptx" in formats:
            from cxreport.present.deck import build_deck

            t = time.perf_counter()
            extra["pptx"] = build_deck(study, context)
            timings["PPTX"] = time.perf_counter() - t
            logo_file = project.client.logo
            if logo_file is not None and logo_file.suffix.lower() == ".svg":
                warnings.append(f"client.logo: {logo_file.name} is an SVG image, which a PowerPoint deck cannot "
                                "hold; the deck has no logo (use a PNG or JPEG logo to have one)")
        return extra

    rendered = render_report(context, template=REPORT_TEMPLATES[report], out_dir=Path(out_dir),
                             name=name, formats=tuple(f for f in formats if f in ("html", "pdf")),
                             allowed_dirs=[project.base_dir], templates=templates, html_context=html_context,
                             alongside=alongside, draft=drafted)
    timings.update(rendered.timings)
    if "pdf" in formats:
        # Asked of the PDF process, which has WeasyPrint imported (importing it here for that
        # took 0.8 s before a Chinese report's PDF could start).
        from cxreport.present.render import font_subsetting_warning

        slow = font_subsetting_warning(project.language, rendered.libraries)
        if slow:
            warnings.append(slow)
    return BuildResult(study, rendered.paths, warnings + rendered.warnings, timings,
                       laid_out_again=rendered.laid_out_again)
