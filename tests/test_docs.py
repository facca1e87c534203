"""The reference docs are generated from the code; a setting or command cannot go undocumented."""

from pathlib import Path

import click

from cxreport.cli import cli
from cxreport.config.schema import Project
from cxreport.docgen import documents, settings
from cxreport.shop.programme import ProgrammeFile

ROOT = Path(__file__).resolve().parents[1]


def test_generated_references_are_committed_and_current():
    for name, text in documents().items():
        committed = (ROOT / "docs" / name).read_text(encoding="utf-8")
        assert committed == text, f"docs/{name} is out of date: run `python -m cxreport.docgen docs`"


def test_every_setting_has_a_description_in_the_reference():
    for root, name in ((Project, "project-file.md"), (ProgrammeFile, "programme-file.md")):
        text = (ROOT / "docs" / name).read_text(encoding="utf-8")
        for key in settings(root):
            line = next((ln for ln in text.splitlines() if ln.startswith(f"| `{key}` |")), None)
            assert line is not None, f"{key} missing from docs/{name}"
            assert not line.rstrip().endswith("|  |"), f"{key} has no description in docs/{name}"


def _commands(group: click.Group, prefix: str = "cxreport") -> list[str]:
    out = []
    for name, command in group.commands.items():
        full = f"{prefix} {name}"
        out.append(full)
        if isinstance(command, click.Group):
            out.extend(_commands(command, full))
    return out


def test_every_command_is_in_the_readme_or_docs_and_has_an_example():
    docs = (ROOT / "README.md").read_text(encoding="utf-8") + "".join(
        p.read_text(encoding="utf-8") for p in (ROOT / "docs").glob("*.md"))
    for full in _commands(cli):
        assert full in docs, f"`{full}` is not documented in README.md or docs/"
    for name, command in cli.commands.items():
        if isinstance(command, click.Group):
            for sub in command.commands.values():
                assert "Example" in (sub.help or ""), f"cxreport {name} {sub.name} help has no example"
        else:
            assert "Example" in (command.help or ""), f"cxreport {name} help has no example"


def test_every_command_option_has_help_text_in_the_command_reference():
    from cxreport.docgen import _walk

    text = (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")
    for path, command in _walk(cli, ["cxreport"]):
        assert f"## `{' '.join(path)}`" in text, f"{' '.join(path)} missing from docs/commands.md"
        for param in command.params:
            if isinstance(param, click.Option) and param.name != "help":
                assert param.help, f"{' '.join(path)} {param.opts[0]} has no help text"
                assert param.opts[-1] in text


def test_the_scores_json_reference_is_the_exporters_own_description():
    """docs/scores-json.md quotes cxreport/export.py's layout verbatim, and every top-level key
    the sample's JSON has is in it (a new block cannot go undocumented)."""
    import json
    import re

    import cxreport.export as export
    from cxreport.pipeline import run

    text = (ROOT / "docs" / "scores-json.md").read_text(encoding="utf-8")
    quoted = re.search(r"```text\n(.*?)```", text, re.S).group(1)
    assert quoted.strip() == export.__doc__.strip()
    scores = json.loads(export.scores_json(run(ROOT / "samples" / "harbour-bank" / "cxreport.yaml")))
    assert scores["schema"] == export.SCHEMA and export.SCHEMA in quoted
    for key in scores:
        assert f'"{key}"' in quoted, key
    for key in scores["window"]:
        assert f'"{key}"' in quoted, f"window.{key}"


def test_every_window_form_in_the_periods_guide_parses():
    """The forms docs/periods.md lists under 'you write' are all accepted as written."""
    import re

    from cxreport.window import parse_spec

    text = (ROOT / "docs" / "periods.md").read_text(encoding="utf-8")
    table = text.split("| you write |", 1)[1].split("\n\n", 1)[0]
    forms = [f for row in table.splitlines()[2:] for f in re.findall(r"`([^`]+)`", row.split("|")[1])]
    assert len(forms) >= 12, forms
    for form in forms:
        parse_spec(form)
