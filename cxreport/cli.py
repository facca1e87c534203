"""The ``cxreport`` command line. Thin: parse options, call one library function, report.

Exit codes: 0 success, 1 a user or data error (message on stderr, no traceback),
2 a usage error.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cxreport import __version__
from cxreport.errors import CxError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def allow_outside_option(f):
    return click.option("--allow-outside-paths", "allow_outside", is_flag=True,
                        help="Let the project file name files outside its own folder.")(f)


def project_argument(f):
    return click.argument("project", type=click.Path(path_type=Path))(f)


def _warn(lines: list[str]) -> None:
    for line in lines:
        click.echo(f"Warning: {line}", err=True)


@click.group(context_settings=CONTEXT)
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
@click.option("--format", "fmt", type=click.Choice(["html", "pdf", "both"]), default="both", show_default=True,
              help="Which report formats to write.")
@click.option("--report", type=click.Choice(["client"]), default="client", show_default=True,
              help="Report type.")
@click.option("--strict", is_flag=True, help="Fail on any invalid value in the data instead of excluding it.")
@allow_outside_option
def build(project: Path, out_dir: Path | None, fmt: str, report: str, strict: bool, allow_outside: bool) -> None:
    """Validate, score and render the reports of PROJECT (a cxreport.yaml).

    \b
    Example:
      cxreport build samples/harbour-bank/cxreport.yaml -o out/harbour-bank --format both
    """
    from cxreport.build import build as build_reports
    from cxreport.config import load_project

    proj = load_project(project, allow_outside=allow_outside)
    out = out_dir or (proj.base_dir / "out")
    formats = ("html", "pdf") if fmt == "both" else (fmt,)
    click.echo(f"Building the {report} report for {proj.client.name} …", err=True)
    result = build_reports(proj, out, formats=formats, report=report, strict=strict)
    _warn(result.warnings)
    for kind in ("html", "pdf"):
        if kind in result.paths:
            click.echo(f"{kind.upper()}: {result.paths[kind]}")


@cli.command(context_settings=CONTEXT)
@project_argument
@click.option("--strict", is_flag=True, help="Treat invalid values and duplicates as failures.")
@allow_outside_option
def validate(project: Path, strict: bool, allow_outside: bool) -> None:
    """Check PROJECT's settings and data; list every problem.

    Exits 0 when the project can be built (data warnings are listed), 1 otherwise.
    With --strict any invalid value or duplicate respondent id is a failure.

    \b
    Example:
      cxreport validate samples/harbour-bank/cxreport.yaml --strict
    """
    from cxreport.config import load_project
    from cxreport.pipeline import validate_project

    proj = load_project(project, allow_outside=allow_outside)
    table, data = validate_project(proj, strict=strict)
    report = data.report
    click.echo(f"{table.name}: {report.rows_read:,} rows read, {report.rows_used:,} used")
    for reason, n in report.excluded.items():
        click.echo(f"  excluded: {n:,} ({reason})")
    for check in report.columns:
        click.echo(f"  {check.column:<24} valid {check.valid:>8,}  missing {check.missing:>6,}  "
                   f"n/a {check.not_applicable:>6,}  invalid {check.invalid:>5,}")
    _warn(report.warnings())
    click.echo("OK: the project can be built." if report.clean else
               "OK with warnings: invalid values are excluded (use --strict to fail on them).")


@cli.command(context_settings=CONTEXT)
@project_argument
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="Write to this file instead of standard output.")
@click.option("--strict", is_flag=True, help="Fail on any invalid value in the data.")
@allow_outside_option
def score(project: Path, fmt: str, output: Path | None, strict: bool, allow_outside: bool) -> None:
    """Compute PROJECT's scores without rendering; JSON (documented, stable) or CSV.

    \b
    Example:
      cxreport score samples/harbour-bank/cxreport.yaml --format json -o scores.json
    """
    from cxreport.export import scores_csv, scores_json
    from cxreport.pipeline import run

    study = run(project, strict=strict, allow_outside=allow_outside)
    _warn(study.validation.warnings())
    text = scores_json(study) if fmt == "json" else scores_csv(study)
    if output is None:
        click.echo(text, nl=False)
        return
    from cxreport.util import atomic_write_bytes

    try:
        atomic_write_bytes(output, text.encode("utf-8"))
    except OSError as exc:
        raise CxError(f"cannot write {output}: {exc.strerror}") from None
    click.echo(f"{fmt.upper()}: {output}")


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
    click.echo(f"Created {path}")
    click.echo(f"Next: edit it, then run  cxreport build {path}")


@cli.command(context_settings=CONTEXT)
@click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path), default=Path("out/demo"),
              show_default=True, help="Folder for the reports.")
@click.option("--format", "fmt", type=click.Choice(["html", "pdf", "both"]), default="both", show_default=True)
def demo(out_dir: Path, fmt: str) -> None:
    """Build the bundled Harbour Bank sample project (shipped with cxreport).

    \b
    Example:
      cxreport demo -o out/demo
    """
    from cxreport.build import build as build_reports
    from cxreport.resources import sample_project

    project = sample_project() / "cxreport.yaml"
    formats = ("html", "pdf") if fmt == "both" else (fmt,)
    click.echo(f"Building the sample project {project} …", err=True)
    result = build_reports(project, out_dir, formats=formats)
    _warn([w for w in result.warnings if "invalid value" in w or "duplicate" in w][:3])
    for kind in ("html", "pdf"):
        if kind in result.paths:
            click.echo(f"{kind.upper()}: {result.paths[kind].resolve()}")


def main() -> None:
    try:
        cli.main(prog_name="cxreport", standalone_mode=True)
    except KeyboardInterrupt:  # pragma: no cover
        click.echo("Interrupted.", err=True)
        sys.exit(130)
