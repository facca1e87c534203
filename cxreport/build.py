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
          build_date: dt.date | None = None, study: Study | None = None, name: str | None = None) -> BuildResult:
    """Build the reports into ``out_dir``. A batch passes an already scored ``study`` (one
    unit's respondents) and the output ``name`` (file name without extension)."""
    if study is not None:
        project = study.project
    else:
        if not isinstance(project, Project):
            project = load_project(project, allow_outside=allow_outside)
        project = window_for(project, report)
    # Everything from here, default labels and period names included, is in the project's
    # language; the language is restored when the build ends (no leak into the next build).
    with i18n.use_language(project.language):
        return _build(project, out_dir, formats=formats, report=report, strict=strict, build_date=build_date,
                      study=study, name=name)


def _build(project: Project, out_dir: str | Path, *, formats: tuple[str, ...], report: str, strict: bool,
           build_date: dt.date | None, study: Study | None = None, name: str | None = None) -> BuildResult:
    from cxreport.present.charts import font_available
    from cxreport.present.context import build_context
    from cxreport.present.render import check_templates, logo_data_uri, render_report
    from cxreport.present.themes import project_search

    templates = project_search(project)
    if templates.user_supplied:
        check_templates(templates)
    study = study if study is not None else run(project, strict=strict)
    warnings = study.validation.warnings()
    if study.unit is None and study.drivers is not None:
        warnings += study.drivers.warnings()       # a skipped driver analysis, a reverse-worded item
    if not font_available(project.brand.font):
        warnings.append(f"brand.font: '{project.brand.font}' is not installed on this machine; "
                        "the report falls back to DejaVu Sans (install the font, see the README)")
    if "pdf" in formats:
        from cxreport.present.render import font_subsetting_warning

        slow = font_subsetting_warning(project.language)
        if slow:
            warnings.append(slow)
    import time

    t = time.perf_counter()
    if report == "quarterly":
        from cxreport.present.quarterly import build_quarterly_context

        context = build_quarterly_context(study, build_date=build_date)
    else:
        context = build_context(study, build_date=build_date)
    from cxreport.present.charts import draw_all

    context = draw_all(context, narrow="html" in formats)    # phone-width variants for the HTML
    context["logo"] = logo_data_uri(project.client.logo)
    timings = dict(study.timings)
    timings["context and charts"] = time.perf_counter() - t
    name = name or project.report.output_name + ("-quarterly" if report == "quarterly" else "")
    extra = {}
    if "xlsx" in formats:
        from cxreport.present.workbook import build_workbook

        extra["xlsx"] = build_workbook(study)
    if "pptx" in formats:
        from cxreport.present.deck import build_deck

        t = time.perf_counter()
        extra["pptx"] = build_deck(study, context)
        timings["PPTX"] = time.perf_counter() - t
        logo = project.client.logo
        if logo is not None and logo.suffix.lower() == ".svg":
            warnings.append(f"client.logo: {logo.name} is an SVG image, which a PowerPoint deck cannot hold; "
                            "the deck has no logo (use a PNG or JPEG logo to have one)")
    rendered = render_report(context, template=REPORT_TEMPLATES[report], out_dir=Path(out_dir),
                             name=name, formats=tuple(f for f in formats if f in ("html", "pdf")), extra=extra,
                             allowed_dirs=[project.base_dir], templates=templates)
    timings.update(rendered.timings)
    return BuildResult(study, rendered.paths, warnings + rendered.warnings, timings)
