"""`cxreport shop template`: blank scoresheets to hand to shoppers (registered on the
`shop` group in cxreport/cli.py; the work is in :mod:`cxreport.shop.template`)."""

from __future__ import annotations

from pathlib import Path

import click

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.command("template", context_settings=CONTEXT)
@click.argument("programme", type=click.Path(path_type=Path))
@click.option("--wave", default=None, help="The wave (default: one workbook for every wave).")
@click.option("--location", "locations", multiple=True,
              help="A location id; repeat for several (default: every location).")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=Path("shop-templates"), show_default=True,
              help="Folder for the workbooks, or a .xlsx file name when there is only one.")
@click.option("--allow-outside-paths", "allow_outside", is_flag=True,
              help="Let the programme file name files outside its own folder.")
def shop_template(programme: Path, wave: str | None, locations: tuple[str, ...], output: Path,
                  allow_outside: bool) -> None:
    """Write blank scoresheets (XLSX) to fill in and send back with `shop submit`.

    One workbook per wave and location: a row per item that applies to the location's
    channel, a drop-down list of the allowed answers (N/A only where the item allows it),
    required cells in amber, and the wave, location and channel filled in. `shop submit`
    takes the filled-in workbook as it is (docs/scoresheets.md); to send photos, receipts
    or recordings with it, put the workbook and the files in one ZIP.

    \b
    Example:
      cxreport shop template programme.yaml --wave W3 --location BR01 -o BR01-W3.xlsx
      cxreport shop template programme.yaml --wave W3 -o templates/
    """
    from cxreport.errors import CxError
    from cxreport.present.render import write_outputs
    from cxreport.shop.commands import echo, load, shop_errors
    from cxreport.shop.template import templates

    with shop_errors() as command:
        prog = command.prog = load(programme, allow_outside)
        books = templates(prog, wave, list(locations) or None)
        if output.suffix.lower() == ".xlsx":
            if len(books) != 1:
                raise CxError(f"-o {output} names one file, but {len(books)} workbooks are made; give a folder, or "
                              "one --wave and one --location")
            folder, books = output.parent, {output.name: next(iter(books.values()))}
        else:
            folder = output
        written = write_outputs(books, folder)
        for path in written.values():
            echo(f"Template: {path}")
        echo(f"{len(written)} blank scoresheet(s), questionnaire version {prog.questionnaire.version}", err=True)
