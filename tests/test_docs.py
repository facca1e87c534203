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
