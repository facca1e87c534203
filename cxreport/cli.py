"""The ``cxreport`` command line. Thin: parse options, call one library function, report.

Exit codes: 0 success, 1 a user or data error (message on stderr, no traceback),
2 a usage error. An output that would replace one of the project's own inputs (``score -o``
naming the survey, ``build -o`` into a folder where a report would overwrite an input) is
refused with one line, exit 1.

Everything printed to the terminal that can hold data (warnings, errors, names) passes
through :func:`cxreport.textclean.for_console`: escape sequences in a survey value, a file
name or a label are shown as ``\\x1b[2K``, never obeyed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from cxreport import __version__
from cxreport.errors import CxError
from cxreport.textclean import for_console

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def period_option(f):
    return click.option(
        "--period", metavar="WINDOW", default=None,
        help="The reporting window, overriding report.period: latest, all, a period (2026-Q3, 2026-09, 2026), "
             "'last 4 quarters' or a date range 2026-01-01..2026-06-30.")(f)


def allow_outside_option(f):
    return click.option("--allow-outside-paths", "allow_outside", is_flag=True,
                        help="Let the project file name files outside its own folder.")(f)


def project_argument(f):
    return click.argument("project", type=click.Path(path_type=Path))(f)


def _echo(text: str = "", err: bool = False, **kwargs) -> None:
    """``click.echo`` for a line that may hold data: control characters shown, not obeyed."""
    click.echo(for_console(str(text)), err=err, **kwargs)


def _warn(lines: list[str]) -> None:
    for line in lines:
        _echo(f"Warning: {line}", err=True)


def _analysis_warnings(study) -> list[str]:
    """Analyses that could not run, and scale items that look reverse-worded (key drivers)."""
    return study.drivers.warnings() if study.drivers is not None else []


def _console_safe(exc: click.ClickException) -> None:
    """The message of ``exc`` (and its list of problems) safe to print to a terminal."""
    exc.message = for_console(str(exc.message))
    problems = getattr(exc, "problems", None)
    if problems:
        exc.problems = [for_console(str(p)) for p in problems]


class _Cli(click.Group):
    """The ``cxreport`` group: every error message of every command (its own, a
    subcommand's, a usage error quoting what was typed) is made safe for the terminal
    before click prints it."""

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.ClickException as exc:
            _console_safe(exc)
            raise

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except click.ClickException as exc:
            _console_safe(exc)
            raise


def refuse_own_inputs(project, targets: list[Path], *, option: str = "-o/--output", hint: str = "another file") -> None:
    """Refuse (one line, exit 1) when writing ``targets`` would replace the project file, the
    survey file or any other input the project names (:func:`cxreport.manifest.project_inputs`);
    symbolic links, ``..`` and hard links are seen through."""
    import os

    from cxreport.manifest import project_inputs

    inputs: dict[Path, str] = {}
    if getattr(project, "path", None):
        inputs[Path(project.path)] = "the project file"
    survey = getattr(getattr(project, "survey", None), "file", None)
    if survey is not None:
        inputs[Path(survey)] = "the survey file"
    for path in project_inputs(project):
        inputs.setdefault(Path(path), "a file the project file names")
    for target in targets:
        if not target.is_file():
            continue
        for path, what in inputs.items():
            try:
                same = path.is_file() and os.path.samefile(target, path)
            except OSError:
                same = False
            if same:
                raise CxError(f"{option}: writing {target} would replace an input of the project ({what}: "
                              f"{path}); choose {hint}")


def batch_options(f):
    """-j, --timeout, --executor, --scheduler, --force (docs/batch.md)."""
    options = [
        click.option("-j", "--jobs", type=click.IntRange(min=0), default=0,
                     help="Worker processes for a batch (default 0 = all cores; 1 = in this process)."),
        click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=600, show_default=True,
                     metavar="SECONDS", help="Time limit per report of a batch; a report that takes longer fails."),
        click.option("--executor", type=click.Choice(["process", "dask"]), default="process", show_default=True,
                     help="Render on local worker processes, or on a Dask cluster (with --scheduler)."),
        click.option("--scheduler", metavar="ADDRESS", envvar="DASK_SCHEDULER_ADDRESS", default=None,
                     help="Dask scheduler address for --executor dask, e.g. tcp://10.0.0.5:8786."),
        click.option("--force", is_flag=True, help="Rebuild every report, even those manifest.json shows up to date."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def cache_options(f):
    """--no-cache, --cache-dir (docs/cache.md)."""
    f = click.option("--cache-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
                     envvar="CXREPORT_CACHE_DIR", show_envvar=True,
                     help="Folder of the build cache (default: .cxreport-cache beside the output folder).")(f)
    return click.option("--no-cache", is_flag=True,
                        help="Neither read nor write the build cache (charts, sentiment, scored data).")(f)


def _cache_folder(out: Path, no_cache: bool, cache_dir: Path | None) -> Path | None:
    from cxreport.cache import default_dir

    return None if no_cache else (cache_dir or default_dir(out)).resolve()


def _prune(folder: Path | None) -> None:
    if folder is not None:
        from cxreport.cache import prune

        prune(folder)


def _batch_settings(jobs: int, timeout: float, executor: str, scheduler: str | None, force: bool):
    from cxreport.executor import Options

    if executor == "dask" and not scheduler:
        raise click.UsageError("--executor dask needs --scheduler ADDRESS (or DASK_SCHEDULER_ADDRESS)")
    if executor != "dask" and scheduler and click.get_current_context().get_parameter_source("scheduler").name == "COMMANDLINE":
        raise click.UsageError("--scheduler is used only with --executor dask")
    return Options(jobs=jobs or None, timeout=timeout, executor=executor, scheduler=scheduler, force=force)


@click.group(cls=_Cli, context_settings=CONTEXT)
@click.version_option(__version__, "--version", prog_name="cxreport")
def cli() -> None:
    """Turn customer-experience data into client-ready HTML and PDF reports.

    \b
    Start with the bundled sample:
      cxreport demo -o out/demo
    or a new project of your own:
      cxreport init my-study && cxreport build my-study/cxreport.yaml -o out
    """


@cli.command(context_settings=CONTEXT)
@project_argument
@click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Folder for the reports (default: ./out next to the project file).")
@click.option("--format", "fmt", default="both", show_default=True,
              help="Formats to write: html, pdf, xlsx (the Excel appendix), pptx (the slide deck), "
                   "comma-separated, any combination; 'both' = html,pdf.")
@click.option("--report", type=click.Choice(["client", "quarterly"]), default="client", show_default=True,
              help="Report type: the client report, or the quarterly management review.")
@click.option("--strict", is_flag=True, help="Fail on any invalid value in the data instead of excluding it.")
@click.option("--per", metavar="SEGMENT", default=None,
              help="Also one report per unit of this segment (e.g. Branch), and an index of them.")
@period_option
@batch_options
@cache_options
@allow_outside_option
def build(project: Path, out_dir: Path | None, fmt: str, report: str, strict: bool, per: str | None,
          period: str | None, jobs: int, timeout: float, executor: str, scheduler: str | None, force: bool,
          no_cache: bool, cache_dir: Path | None, allow_outside: bool) -> None:
    """Validate, score and render the reports of PROJECT (a cxreport.yaml).

    Writes manifest.json beside the reports; a repeated build skips reports whose inputs
    did not change (--force rebuilds). With --per, exits 3 when some units failed (the
    others are written).

    \b
    Example:
      cxreport build samples/harbour-bank/cxreport.yaml -o out/harbour-bank --format both
      cxreport build samples/harbour-bank/cxreport.yaml --format html,pdf,xlsx,pptx
      cxreport build samples/harbour-bank/cxreport.yaml --per Branch --format html -j 2
      cxreport build samples/harbour-bank/cxreport.yaml --report quarterly --period 2026-Q2
    """
    from cxreport.batch import build_reports
    from cxreport.config import load_project

    formats = parse_formats(fmt)
    if "pdf" in formats and per is None:
        from cxreport.present.pdf import prestart

        prestart()      # the PDF process imports WeasyPrint while this one reads and scores
    proj = load_project(project, allow_outside=allow_outside)
    out = out_dir or (proj.base_dir / "out")
    refuse_own_inputs(proj, build_outputs(proj, out, formats, report, per), hint="another output folder")
    _echo(f"Building the {report} report for {proj.client.name} …", err=True)
    settings = _batch_settings(jobs, timeout, executor, scheduler, force)
    if period is not None:
        proj = with_period(proj, period)
    cache = _cache_folder(out, no_cache, cache_dir)
    result = build_reports(proj, out, formats=formats, report=report, strict=strict, per=per, options=settings,
                           allow_outside=allow_outside, cache=cache)
    _prune(cache)
    _warn(result.warnings)
    for kind in BUILD_FORMATS:
        if kind in result.paths:
            _echo(f"{kind.upper()}: {result.paths[kind]}")
    _batch_summary(result)


def build_outputs(project, out: Path, formats: tuple[str, ...], report: str, per: str | None) -> list[Path]:
    """The files ``build`` may write into ``out``: the reports, the manifest and, with
    ``--per``, the index and every unit's report (any file there named like one)."""
    name = project.report.output_name + ("-quarterly" if report == "quarterly" else "")
    paths = [out / f"{name}.{fmt}" for fmt in formats] + [out / "manifest.json"]
    if per is not None and out.is_dir():
        paths.append(out / f"{name}-index.html")
        paths += [p for p in out.iterdir() if p.name.startswith(f"{name}-") and p.suffix[1:] in formats]
    return paths


def _batch_summary(result) -> None:
    from cxreport.executor import BatchFailed

    if result.index is not None:
        _echo(f"Index: {result.index}")
    if result.manifest is not None:
        _echo(f"Manifest: {result.manifest}")
    _echo(result.summary(), err=True)
    if result.failures:
        n = len(result.failures)
        raise BatchFailed(f"{n} of {len(result.units) + 1} reports failed; the others were written", result.failures)


BUILD_FORMATS = ("html", "pdf", "xlsx", "pptx")


def with_period(project, period: str):
    """The project with ``--period`` as its reporting window; a malformed window or one this
    project's periods cannot have is a usage error naming --period."""
    from cxreport.window import parse_spec, spec_problem

    try:
        problem = spec_problem(parse_spec(period), project.periods)
    except ValueError as exc:
        problem = str(exc)
    if not problem and project.report.pool and parse_spec(period).kind == "range":
        problem = (f"'{period}' is a date range, but report.pool pools whole periods and cannot extend it "
                   "(use a named period or 'last N', or remove report.pool)")
    if problem:
        raise click.BadParameter(problem, param_hint="--period")
    report = project.report.model_copy(update={"period": " ".join(period.split()), "period_from": "--period"})
    return project.model_copy(update={"report": report})


def parse_formats(text: str) -> tuple[str, ...]:
    """A comma-separated list of html, pdf, xlsx, pptx (any combination); 'both' stands
    for html,pdf, alone or in the list ('both,pptx')."""
    parts = [p.strip().lower() for p in text.split(",") if p.strip()]
    chosen = tuple(dict.fromkeys(f for p in parts for f in (("html", "pdf") if p == "both" else (p,))))
    bad = [f for f in chosen if f not in BUILD_FORMATS]
    if bad or not chosen:
        raise click.BadParameter(f"unknown format '{bad[0] if bad else text}' (choose from "
                                 f"{', '.join(BUILD_FORMATS)}, comma-separated, or both)", param_hint="--format")
    return chosen


@cli.command(context_settings=CONTEXT)
@project_argument
@click.option("--strict", is_flag=True, help="Treat invalid values and duplicates as failures.")
@click.option("--report", type=click.Choice(["client", "quarterly"]), default="client", show_default=True,
              help="Check for this report, as `build --report` builds it (quarterly: its window "
                   "quarterly.period and the periods the review compares).")
@click.option("--stream/--in-memory", "stream", default=None,
              help="Check as `score --stream` scores: the survey read in batches (docs/batch.md). Default: as "
                   "`score` chooses (a folder of Parquet files, or a survey of 1 GB or more).")
@period_option
@allow_outside_option
def validate(project: Path, strict: bool, report: str, stream: bool | None, period: str | None,
             allow_outside: bool) -> None:
    """Check PROJECT's settings and data; list every problem.

    Exits 0 when the project can be built (data warnings are listed), 1 otherwise.
    With --strict any invalid value or duplicate respondent id is a failure. The
    reporting window (report.period, or --period) is checked against the data's periods
    and the project is scored for it, and the report's text, templates, theme and deck
    template are read as `build` reads them, so an error `score` or `build` would raise
    is reported here first.

    \b
    Example:
      cxreport validate samples/harbour-bank/cxreport.yaml --strict
      cxreport validate samples/harbour-bank/cxreport.yaml --period 2026-Q2
      cxreport validate samples/harbour-bank/cxreport.yaml --report quarterly
    """
    from cxreport.build import window_for
    from cxreport.config import load_project
    from cxreport.pipeline import check_build, resolve_window, score_data, validate_project

    proj = load_project(project, allow_outside=allow_outside)
    if period is not None:
        proj = with_period(proj, period)
    proj = window_for(proj, report)
    from cxreport.scoring.stream import chosen

    stream, why = chosen(proj, stream)
    if why:
        _echo(why, err=True)
    if stream:
        _validate_streamed(proj, strict, report)
        return
    table, data = validate_project(proj, strict=strict)
    window = resolve_window(proj, data)
    study = score_data(proj, table, data, window=window)
    check_build(study, report)
    report = data.report
    _echo(f"{table.name}: {report.rows_read:,} rows read, {report.rows_used:,} used")
    if table.source:
        _echo(f"  read as: {table.source}; first response on row {table.first_data_row}")
    _echo_checks(report)
    if report.weighting is not None:
        _echo(report.weighting.summary())
    _echo_window(study)
    if study.actions is not None:
        a = study.actions
        counts = ", ".join(f"{n} {verdict}" for verdict, n in a.counts.items() if n)
        _echo(f"Action register: {a.register}, {len(a.results)} actions measured in {a.window} ({counts}); "
              f"{a.overdue} overdue, {a.due_soon} due within {a.due_soon_days} days of {a.as_of.isoformat()}")
    _warn(report.warnings())
    _warn(_analysis_warnings(study))
    _echo("OK: the project can be built." if report.clean else
               "OK with warnings: invalid values are excluded (use --strict to fail on them).")


@cli.command(context_settings=CONTEXT)
@project_argument
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True,
              help="json: the documented cxreport.scores/2 document; csv: one row per figure.")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="Write to this file instead of standard output.")
@click.option("--strict", is_flag=True, help="Fail on any invalid value in the data.")
@click.option("--stream/--in-memory", "stream", default=None,
              help="Read the survey in batches and score it from counted answers (memory set by the number of "
                   "groups, not rows; docs/batch.md), or read it whole. Default: streamed for a survey of 1 GB "
                   "or more.")
@click.option("--executor", type=click.Choice(["process", "dask"]), default="process", show_default=True,
              help="Streamed scoring here, or on a Dask cluster (with --scheduler): each Parquet file is read and "
                   "counted on a worker.")
@click.option("--scheduler", metavar="ADDRESS", envvar="DASK_SCHEDULER_ADDRESS", default=None,
              help="Dask scheduler address for --executor dask, e.g. tcp://10.0.0.5:8786.")
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=1, show_default=True,
              help="Streamed scoring: processes counting the files of a Parquet folder at once (0: one per core); "
                   "each holds a batch, so memory grows with it (docs/batch.md).")
@period_option
@allow_outside_option
def score(project: Path, fmt: str, output: Path | None, strict: bool, stream: bool | None, executor: str,
          scheduler: str | None, jobs: int, period: str | None, allow_outside: bool) -> None:
    """Compute PROJECT's scores without rendering; JSON (documented, stable) or CSV.

    \b
    Example:
      cxreport score samples/harbour-bank/cxreport.yaml --format json -o scores.json
      cxreport score samples/harbour-bank/cxreport.yaml --period "last 4 quarters"
      cxreport score transactional/cxreport.yaml --stream -o scores.json
      cxreport score transactional/cxreport.yaml --executor dask --scheduler tcp://10.0.0.5:8786
    """
    from cxreport.config import load_project
    from cxreport.export import scores_csv, scores_json

    proj = load_project(project, allow_outside=allow_outside)
    if output is not None:
        refuse_own_inputs(proj, [output])
    if period is not None:
        proj = with_period(proj, period)
    if executor == "dask":
        if stream is False:
            raise click.UsageError("--executor dask scores streamed; leave out --in-memory")
        if not scheduler:
            raise click.UsageError("--executor dask needs --scheduler ADDRESS (or DASK_SCHEDULER_ADDRESS)")
        stream = True
    elif scheduler and click.get_current_context().get_parameter_source("scheduler").name == "COMMANDLINE":
        raise click.UsageError("--scheduler is used only with --executor dask")
    from cxreport.scoring.stream import chosen

    stream, why = chosen(proj, stream)
    if why:
        _echo(why, err=True)
    if stream:
        text = _streamed_scores(proj, fmt, strict, period, scheduler if executor == "dask" else None,
                                jobs or os.cpu_count() or 1)
    else:
        from cxreport.pipeline import run

        study = run(proj, strict=strict)
        _warn(study.validation.warnings())
        _warn(_analysis_warnings(study))
        text = scores_json(study) if fmt == "json" else scores_csv(study)
    if output is None:
        click.echo(text, nl=False)   # the scores themselves (JSON escapes controls; CSV is data)
        return
    from cxreport.util import atomic_write_bytes

    try:
        atomic_write_bytes(output, text.encode("utf-8"))
    except OSError as exc:
        raise CxError(f"cannot write {output}: {exc.strerror}") from None
    _echo(f"{fmt.upper()}: {output}")


def _echo_checks(report) -> None:
    """``validate``'s lines on the exclusions and each column's answers."""
    for reason, n in report.excluded.items():
        _echo(f"  excluded: {n:,} ({reason})")
    for check in report.columns:
        _echo(f"  {check.column:<24} valid {check.valid:>8,}  missing {check.missing:>6,}  "
              f"n/a {check.not_applicable:>6,}  invalid {check.invalid:>5,}")


def _echo_window(study) -> None:
    """``validate``'s line on the reporting window and what it is compared with."""
    comparisons = ", ".join(f"{c.label} ({c.base:,})" for c in study.comparisons if c.base)
    _echo(f"Reporting window: {study.window.label} ({study.results.base:,} respondents)"
          + (f"; compared with {comparisons}" if comparisons else ""))


def _validate_streamed(proj, strict: bool, report: str) -> None:
    """``validate --stream``: what ``score --stream`` does, every check and the scores of the
    window, with the same summary as the in-memory check."""
    from cxreport.scoring.stream import score_streamed

    if report != "client":
        raise click.UsageError("--report quarterly is built from one file; streamed scoring writes the scores only")
    study = score_streamed(proj, strict=strict)
    checked = study.validation
    _echo(f"{checked.file}: {checked.rows_read:,} rows read, {checked.rows_used:,} used "
          f"(streamed: {study.batches:,} batches)")
    _echo_checks(checked)
    _echo_window(study)
    _warn(checked.warnings())
    state = ("OK: the project can be scored streamed (cxreport score --stream)." if checked.clean else
             "OK with warnings: invalid values are excluded (use --strict to fail on them).")
    _echo(state + " Its reports need the survey as one file (docs/batch.md).")


def _streamed_scores(proj, fmt: str, strict: bool, period: str | None, scheduler: str | None,
                     jobs: int = 1) -> str:
    """``cxreport score --stream``: the scores document's core blocks, the others null (docs/batch.md)."""
    from cxreport.export import streamed_json
    from cxreport.scoring.stream import score_streamed

    if fmt != "json":
        raise click.UsageError("--stream writes JSON (--format json)")
    study = score_streamed(proj, strict=strict, period=period, scheduler=scheduler, jobs=jobs)
    _warn(study.validation.warnings())
    return streamed_json(study)


@cli.command(context_settings=CONTEXT)
@click.argument("directory", type=click.Path(path_type=Path))
def init(directory: Path) -> None:
    """Create a new project folder DIRECTORY with a commented cxreport.yaml and example data.

    \b
    Example:
      cxreport init my-study && cxreport build my-study/cxreport.yaml
    """
    from cxreport.scaffold import create_project

    path = create_project(directory)
    _echo(f"Created {path}")
    _echo(f"Next: edit it, then run  cxreport build {path}")


@cli.command(context_settings=CONTEXT)
@click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path), default=Path("out/demo"),
              show_default=True, help="Folder for the reports.")
@click.option("--format", "fmt", default="both", show_default=True,
              help="Formats to write, comma-separated: any of html, pdf, xlsx, pptx (both = html,pdf), "
                   "as for build.")
@cache_options
def demo(out_dir: Path, fmt: str, no_cache: bool, cache_dir: Path | None) -> None:
    """Build the bundled Harbour Bank sample project (shipped with cxreport).

    \b
    Example:
      cxreport demo -o out/demo
      cxreport demo -o out/demo --format html,pdf,xlsx,pptx
    """
    from cxreport.build import build as build_reports
    from cxreport.resources import sample_project

    formats = parse_formats(fmt)
    if "pdf" in formats:
        from cxreport.present.pdf import prestart

        prestart()
    project = sample_project() / "cxreport.yaml"
    _echo(f"Building the sample project {project} …", err=True)
    cache = _cache_folder(out_dir, no_cache, cache_dir)
    result = build_reports(project, out_dir, formats=formats, cache=cache)
    _prune(cache)
    _warn([w for w in result.warnings if "invalid value" in w or "duplicate" in w][:3])
    for kind in BUILD_FORMATS:
        if kind in result.paths:
            _echo(f"{kind.upper()}: {result.paths[kind].resolve()}")


# --------------------------------------------------------------------------- standards


@cli.group(context_settings=CONTEXT)
def standards() -> None:
    """The standards library: published benchmarks with their sources.

    \b
    Example:
      cxreport standards list --metric nps
      cxreport standards show acsi-2019-banks
    """


@standards.command("list", context_settings=CONTEXT)
@click.option("--metric", default=None, help="Only this metric (nps, acsi, csat_top2, ces_mean…).")
@click.option("--industry", default=None, help="Only industries containing this text (banks, retail…).")
@click.option("--project", type=click.Path(path_type=Path), default=None,
              help="Include the standards files of this project (they override shipped entries).")
def standards_list(metric: str | None, industry: str | None, project: Path | None) -> None:
    """List standards: id, metric, value, year, industry and source.

    \b
    Example:
      cxreport standards list --metric acsi --industry banks
    """
    from cxreport.benchmark.standards import load_library

    files = []
    if project is not None:
        from cxreport.config import load_project

        files = list(load_project(project).benchmarks.files)
    lib = load_library(files)
    rows = lib.select(metric, industry)
    if not rows:
        raise CxError("no standards match" + (f" --metric {metric}" if metric else "")
                      + (f" --industry {industry}" if industry else ""))
    width = max(len(s.id) for s in rows)
    for s in rows:
        _echo(f"{s.id:<{width}}  {s.metric:<10} {s.value:>6g}  {s.year}  {s.industry:<24} {s.source[:70]}")


@standards.command("show", context_settings=CONTEXT)
@click.argument("standard_id")
@click.option("--project", type=click.Path(path_type=Path), default=None,
              help="Look in this project's standards files too.")
def standards_show(standard_id: str, project: Path | None) -> None:
    """Everything about one standard, including its source and credit line.

    \b
    Example:
      cxreport standards show acsi-2019-banks
    """
    from cxreport.benchmark.standards import load_library

    files = []
    if project is not None:
        from cxreport.config import load_project

        files = list(load_project(project).benchmarks.files)
    s = load_library(files).get(standard_id)
    for key in ("id", "metric", "scale", "value", "year", "period", "industry", "region", "source", "url",
                "credit", "notes", "origin"):
        value = getattr(s, key)
        if value not in (None, ""):
            _echo(f"{key + ':':<10} {value}")


# --------------------------------------------------------------------------- mystery shopping


@cli.group(context_settings=CONTEXT)
def shop() -> None:
    """Mystery-shopping programmes: take scoresheets in, score them, report.

    \b
    Example:
      cxreport shop submit programme.yaml submissions/wave1/*
      cxreport shop status programme.yaml
      cxreport shop report programme.yaml --scoresheets --locations -o out/shop
    """


def programme_argument(f):
    return click.argument("programme", type=click.Path(path_type=Path))(f)


@shop.command("submit", context_settings=CONTEXT)
@programme_argument
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--replace", is_flag=True, help="Replace visits whose ids were already accepted (the old ones are kept as superseded).")
@click.option("--reason", default=None, help="Why the visits are replaced (required with --replace).")
@click.option("--by", "who", default=None, help="Who is submitting (default: the login name).")
@allow_outside_option
def shop_submit(programme: Path, files: tuple[Path, ...], replace: bool, reason: str | None, who: str | None,
                allow_outside: bool) -> None:
    """Check scoresheet FILES (CSV, XLSX or JSON) and record them in the programme ledger.

    A ZIP holds one scoresheet and its evidence files (photos, receipts, recordings), which
    are stored with it; a filled-in blank scoresheet from `shop template` is read as one.
    Every file is kept, accepted or not; each visit is accepted or rejected with its reasons.
    Exit 0 when every visit was accepted (or the file was already in the ledger), 1 otherwise.

    \b
    Example:
      cxreport shop submit programme.yaml submissions/wave1/*
      cxreport shop submit programme.yaml fix.json --replace --reason "Shopper corrected Q3"
    """
    from cxreport.shop.commands import echo, load, shop_errors, submit_files
    from cxreport.shop.intake import printable

    rejected = 0

    def show(out) -> None:   # each file as soon as it is recorded; data shown, never obeyed
        nonlocal rejected
        name = printable(out.name)
        if out.status == "unchanged":
            echo(f"{name}: unchanged — {out.note}")
            return
        accepted = sum(v.status in ("accepted", "replaced") for v in out.visits)
        echo(f"{name}: {out.status} ({accepted} of {len(out.visits)} visits accepted)")
        if out.note:
            echo(f"  {name}: note: {out.note}", err=True)
        for problem in out.problems:
            echo(f"  {name}: {problem}", err=True)
            rejected += 1
        for visit in out.visits:
            vid = printable(visit.visit_id)
            if visit.status == "replaced":
                echo(f"  {name}: visit {vid}: replaced (the old version is kept as superseded)")
            for problem in visit.problems:
                echo(f"  {name}: visit {vid}: {problem}", err=True)
            for warning in visit.warnings:
                echo(f"  {name}: visit {vid}: {warning}", err=True)
            rejected += visit.status == "rejected"

    with shop_errors() as command:
        prog = command.prog = load(programme, allow_outside)
        submit_files(prog, list(files), replace=replace, reason=reason, who=who, on_outcome=show)
        echo(f"Ledger: {prog.ledger_path}")
        if rejected:
            raise CxError(f"{rejected} visit(s) or file(s) rejected; they are recorded in the ledger "
                          "with the reasons above")


@shop.command("status", context_settings=CONTEXT)
@programme_argument
@allow_outside_option
def shop_status(programme: Path, allow_outside: bool) -> None:
    """Counts per wave, location and status, and every rejection with its reasons.

    \b
    Example:
      cxreport shop status programme.yaml
    """
    from cxreport.shop.commands import echo, load, shop_errors, status
    from cxreport.shop.intake import printable
    from cxreport.shop.ledger import damaged_text

    with shop_errors() as command:
        prog = command.prog = load(programme, allow_outside)
        counts = status(prog)
        echo(f"Ledger: {prog.ledger_path}")
        echo("Files: " + (", ".join(f"{r['n']} {r['status']}" for r in counts["files"]) or "none"))
        echo("Visits by wave and status:")
        for r in counts["visits"]:
            echo(f"  {printable(r['wave'] or '?'):<6} {r['status']:<11} {r['n']:>5}")
        per_wave: dict[str, int] = {}
        for r in counts["locations"]:
            per_wave[r["wave"]] = per_wave.get(r["wave"], 0) + 1
        expected = len(prog.location_list)
        for wave in prog.waves:
            echo(f"  {wave.id}: {per_wave.get(wave.id, 0)} of {expected} locations visited")
        visits = {(r["location_id"], r["wave"]): r["n"] for r in counts["locations"]}
        echo("Accepted visits by location:  " + "  ".join(f"{w.id:>3}" for w in prog.waves))
        for loc in prog.location_list:
            cells = "  ".join(f"{visits.get((loc.id, w.id), 0):>3}" for w in prog.waves)
            echo(f"  {loc.id:<8} {loc.name[:20]:<20} {cells}")
        if counts["file_rejections"] or counts["rejections"]:
            echo("Rejections:")
            for r in counts["file_rejections"]:
                echo(f"  {printable(r['name'])}: {'; '.join(r['problems'])}")
            for r in counts["rejections"]:
                echo(f"  {printable(r['file'])}: visit {printable(r['visit_id'])}: {'; '.join(r['problems'])}")
        if counts["identical"]:
            echo("Identical-content visits (same location, shopper, date, times and answers under different ids):")
            for group in counts["identical"]:
                echo("  " + ", ".join(f"{printable(v['visit_id'])} ({printable(v['file'])})" for v in group))
        if counts["same_id"]:
            echo("One visit id accepted under several spellings (recorded before ids were compared ignoring case, "
                 "invisible characters and the kind of dash; keep one with --replace):")
            for group in counts["same_id"]:
                echo("  " + ", ".join(f"{printable(v['visit_id'])} ({printable(v['file'])})" for v in group))
        echo("Scoring runs: " + (", ".join(f"#{r['id']} ({r['questionnaire_version']}, {r['created_at']})"
                                          for r in counts["runs"]) or "none"))
        from cxreport.shop.followup import status_lines

        for text in status_lines(counts["followup"]):
            echo(text)
        if counts["damage"] is not None:
            raise CxError(damaged_text(prog.ledger_path, counts["damage"], programme=prog.path))


@shop.command("files", context_settings=CONTEXT)
@programme_argument
@click.option("--status", type=click.Choice(["accepted", "rejected", "all"]), default="all", show_default=True,
              help="Which submissions: accepted (including partly accepted), rejected, or all.")
@click.option("--extract", "extract_dir", type=click.Path(path_type=Path), default=None,
              help="Write the files back into this folder, byte for byte, under safe unique names "
                   "(nothing there is overwritten; each SHA-256 is checked).")
@allow_outside_option
def shop_files(programme: Path, status: str, extract_dir: Path | None, allow_outside: bool) -> None:
    """List the scoresheet files kept in the ledger, or get them back with --extract.

    One line per stored submission, tab-separated: id, when, who, status, size in bytes,
    SHA-256 and name (control characters in names shown as escapes); then one line per
    evidence file (id e1, e2 …; status "evidence of VISIT ITEM"), extracted into DIR/evidence/.

    \b
    Example:
      cxreport shop files programme.yaml
      cxreport shop files programme.yaml --status accepted --extract recovered/
    """
    from cxreport.shop.commands import echo, extract_files, load, shop_errors, stored_files
    from cxreport.shop.recover import Incomplete, Unreadable, incomplete_text, printable

    missed: list[Unreadable] = []

    def unreadable(item: Unreadable) -> None:   # a row of a damaged ledger, as soon as it is met
        missed.append(item)
        name = f" {printable(item.stored_name)}" if item.stored_name else ""
        echo(f"  #{item.file_id}{name}: not {'extracted' if extract_dir is not None else 'listed'}: {item.reason}",
             err=True)

    with shop_errors() as command:
        prog = command.prog = load(programme, allow_outside)
        if extract_dir is None:
            rows = stored_files(prog, status, on_unreadable=lambda file_id, why: unreadable(
                Unreadable(file_id, "", f"cannot be read ({why})")))
            echo("\t".join(("id", "submitted", "by", "status", "bytes", "sha256", "name")))
            for r in rows:
                echo("\t".join((str(r["id"]), r["submitted_at"], printable(r["submitted_by"]), r["status"],
                                str(r["size"]), r["sha256"], printable(r["name"]))))
            echo(f"{len(rows)} file(s) in {prog.ledger_path}", err=True)
            if missed:
                raise Incomplete(incomplete_text(prog.ledger_path, missed, len(rows)))
            return

        def show(item) -> None:   # each file as soon as it is in place
            note = "" if item.written else "  (already there, identical)"
            echo(f"{item.path}  ← #{item.file_id} {printable(item.stored_name)}  sha256 {item.sha256}{note}")

        done = extract_files(prog, extract_dir, status, on_file=show, on_unreadable=unreadable)
        written = sum(item.written for item in done)
        echo(f"{len(done)} file(s) in {extract_dir}: {written} written, {len(done) - written} already there "
             "with the same bytes; every SHA-256 checked", err=True)
        if missed:
            raise Incomplete(incomplete_text(prog.ledger_path, missed, len(done), extract_dir))


@shop.command("export", context_settings=CONTEXT)
@programme_argument
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="xlsx", show_default=True,
              help="xlsx: one workbook; csv: six files (visits, answers, locations, actions, action_history, appeals).")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=Path("shop-export"), show_default=True,
              help="Output file (xlsx) or file-name stem (csv: STEM_visits.csv, STEM_answers.csv, STEM_locations.csv, "
                   "STEM_actions.csv, STEM_action_history.csv, STEM_appeals.csv).")
@allow_outside_option
def shop_export(programme: Path, fmt: str, output: Path, allow_outside: bool) -> None:
    """Visits, answers and scores of accepted visits, follow-up actions and appeals to CSV or XLSX.

    \b
    Example:
      cxreport shop export programme.yaml --format xlsx -o visits.xlsx
    """
    from cxreport.shop.commands import echo, export, load, shop_errors

    with shop_errors() as command:
        prog = command.prog = load(programme, allow_outside)
        for path in export(prog, output, fmt):
            echo(f"{fmt.upper()}: {path}")


@shop.command("rescore", context_settings=CONTEXT)
@programme_argument
@click.option("--reason", default="rescore after a questionnaire or settings change", show_default=True,
              help="Why the visits are rescored (kept with the run).")
@allow_outside_option
def shop_rescore(programme: Path, reason: str, allow_outside: bool) -> None:
    """Score every accepted visit again as a new scoring run; earlier runs are kept.

    \b
    Example:
      cxreport shop rescore programme.yaml --reason "Item S2 now caps at 50%"
    """
    from cxreport.shop.commands import echo, load, shop_errors
    from cxreport.shop.ledger import Ledger

    with shop_errors() as command:
        prog = command.prog = load(programme, allow_outside)
        with Ledger(prog) as ledger:
            run_id, n, changed = ledger.rescore(reason)
        echo(f"Scoring run #{run_id}: {n} visits scored with questionnaire {prog.questionnaire.version}; "
             f"{changed} scores differ from the previous run")


from cxreport.shop.cli_template import shop_template  # noqa: E402  (light: click only)

shop.add_command(shop_template)


@shop.command("report", context_settings=CONTEXT)
@programme_argument
@click.option("--wave", default=None, help="Report up to and including this wave (default: all waves).")
@click.option("--scoresheets", is_flag=True, help="Also render a scoresheet for every visit.")
@click.option("--locations", is_flag=True, help="Also render a report for every location.")
@click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path), default=Path("out/shop"), show_default=True,
              help="Folder for the reports.")
@click.option("--format", "fmt", default="both", show_default=True,
              help="Formats to write, comma-separated as for build: html, pdf (both = html,pdf).")
@batch_options
@allow_outside_option
def shop_report(programme: Path, wave: str | None, scoresheets: bool, locations: bool, out_dir: Path, fmt: str,
                jobs: int, timeout: float, executor: str, scheduler: str | None, force: bool,
                allow_outside: bool) -> None:
    """Render the programme summary, and optionally every scoresheet and location report.

    Scoresheets and location reports render on all cores (or a Dask cluster); manifest.json
    records every output and a repeated run skips unchanged ones. Exits 3 when some
    reports failed (the others are written).

    \b
    Example:
      cxreport shop report programme.yaml --wave W3 --scoresheets --locations -o out/shop
      cxreport shop report programme.yaml --format html,pdf -o out/shop
    """
    from cxreport.shop.commands import echo, load, parse_report_formats, shop_errors
    from cxreport.shop.reports import render_all

    formats = parse_report_formats(fmt)
    settings = _batch_settings(jobs, timeout, executor, scheduler, force)
    with shop_errors() as command:
        prog = command.prog = load(programme, allow_outside)
        written = render_all(prog, out_dir, wave=wave, scoresheets=scoresheets, locations=locations,
                             formats=formats, options=settings)
        for label, path in written:
            echo(f"{label}: {path}")


from cxreport.shop.cli_followup import register as _register_followup  # noqa: E402  (shop actions, shop appeal)

_register_followup(shop)


# --------------------------------------------------------------------------- themes


@cli.group(context_settings=CONTEXT)
def themes() -> None:
    """Report themes: installed packages whose templates and CSS replace the built-in ones.

    A project selects one with report.theme in its project file; its own templates/
    folder overrides both (docs/themes.md).

    \b
    Example:
      cxreport themes list
      cxreport themes show northwind
    """


def _echo_theme(info, indent: str = "  ") -> None:
    _echo(f"{indent}from:      {info.origin}")
    _echo(f"{indent}folder:    {info.folder}")
    if info.extends:
        _echo(f"{indent}extends:   {info.extends}")
    if info.description:
        _echo(f"{indent}about:     {info.description}")
    if info.name == "default":
        _echo(f"{indent}files:     {', '.join(info.adds)}")
        return
    _echo(f"{indent}overrides: {', '.join(info.overrides) or 'nothing'}")
    if info.adds:
        _echo(f"{indent}adds:      {', '.join(info.adds)}")


@themes.command("list", context_settings=CONTEXT)
@click.option("--project", type=click.Path(path_type=Path), default=None,
              help="Show the search order of this project: its templates folder, its theme, the built-ins.")
@allow_outside_option
def themes_list(project: Path | None, allow_outside: bool) -> None:
    """List the installed themes: name, the package it comes from, the theme it extends
    and the templates it overrides.

    \b
    Example:
      cxreport themes list
      cxreport themes list --project my-study/cxreport.yaml
    """
    from cxreport.present.themes import describe_layers, describe_theme, installed_themes, project_search

    installed = installed_themes()
    _warn(installed.problems)
    if project is not None:
        from cxreport.config import load_project

        layers = describe_layers(project_search(load_project(project, allow_outside=allow_outside)), installed)
        _echo("Search order (first match wins):")
        for n, info in enumerate(layers, 1):
            _echo(f"{n}. {info.name}")
            _echo_theme(info, "   ")
        return
    _echo("default")
    _echo("  from:      built into cxreport (what every theme extends in the end)")
    _echo(f"  folder:    {describe_theme('default', installed).folder}")
    for name in installed.themes:
        _echo(name)
        _echo_theme(describe_theme(name, installed))
    if not installed.themes:
        _echo("No themes are installed (a theme is a package with a 'cxreport.themes' entry point; "
                   "see docs/themes.md).")


@themes.command("show", context_settings=CONTEXT)
@click.argument("name")
def themes_show(name: str) -> None:
    """Everything about theme NAME ('default' for the built-ins): where it is, what it
    extends, and every file it has.

    \b
    Example:
      cxreport themes show northwind
    """
    from cxreport.present.themes import describe_theme, installed_themes, theme_chain

    installed = installed_themes()
    info = describe_theme(name, installed)
    _echo(name)
    _echo_theme(info)
    if name != "default":
        _echo("  chain:     " + " → ".join([t.name for t in theme_chain(name, installed)] + ["default"]))


def main() -> None:
    try:
        cli.main(prog_name="cxreport", standalone_mode=True)
    except KeyboardInterrupt:  # pragma: no cover
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if exc.code is not None and not isinstance(exc.code, int):
            click.echo(str(exc.code), err=True)
        _finish(code)
    _finish(0)


def _finish(code: int) -> None:
    """End the command's process without tearing the interpreter down: freeing every object of
    a build (data frames, the scored study, matplotlib and pandas modules) takes 0.1–0.2 s and
    changes nothing on disk. What must run still runs: the exit handlers (``atexit``: the PDF
    process ended, temporary folders removed, caches closed) and the flush of both streams.
    With another thread still alive, or ``CXREPORT_CLEAN_EXIT=1``, the exit is Python's own."""
    import atexit
    import os
    import threading

    sys.stdout.flush()
    sys.stderr.flush()
    if threading.active_count() > 1 or os.environ.get("CXREPORT_CLEAN_EXIT") == "1":
        sys.exit(code)
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
