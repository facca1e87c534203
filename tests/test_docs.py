"""The reference docs are generated from the code; a setting or command cannot go undocumented."""

from pathlib import Path

import click
import pytest

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


def test_the_scores_json_reference_is_generated_from_its_schema():
    """docs/scores-json.md is cxreport/jsonschema.py rendered (test_generated_references… checks
    it is current), names the exporter's schema version, and has a section for every block;
    tests/test_scores_schema.py checks the JSON itself against the schema, key by key."""
    import cxreport.export as export
    from cxreport import jsonschema

    text = (ROOT / "docs" / "scores-json.md").read_text(encoding="utf-8")
    assert text == jsonschema.reference()
    assert f"`{export.SCHEMA}`" in text
    for block in jsonschema.ROOT:
        assert f"`{block.name}`" in text, block.name
        if block.type not in jsonschema.SCALARS:
            assert f"## `{block.name}`" in text, block.name
    assert "jsonschema.py" in export.__doc__


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


def _required_settings(model, prefix: str = "") -> list[str]:
    """The schema's required settings: required fields, and those of required nested models."""
    from pydantic import BaseModel

    from cxreport.config.loader import _unwrap

    out = []
    for name, field in model.model_fields.items():
        if not field.is_required():
            continue
        nested = [t for t in _unwrap(field.annotation) if isinstance(t, type) and issubclass(t, BaseModel)]
        inner = _required_settings(nested[0], f"{prefix}{name}.") if nested else []
        out += inner or [f"{prefix}{name}"]
    return out


def _guide_requirements() -> dict[str, str]:
    text = (ROOT / "docs" / "user-guide.md").read_text(encoding="utf-8")
    block = text.split("A project file requires only these settings", 1)[1].split("\n\n", 2)[1]
    items = [line[2:] for line in block.splitlines() if line.startswith("- ")]
    return {item.split("`")[1]: item for item in items}


def test_the_user_guide_lists_what_the_schema_requires(tmp_path):
    """docs/user-guide.md's list of required settings is the schema's: its required fields
    (nested ones included) and the KPIs one of which `columns` needs; a project with exactly
    those validates, and leaving out any one of them is an error."""
    import re

    import pydantic
    import yaml
    from click.testing import CliRunner

    from cxreport.config.schema import Columns

    guide = _guide_requirements()
    assert sorted(guide) == sorted(_required_settings(Project))
    with pytest.raises(pydantic.ValidationError) as info:
        Columns.model_validate({})
    one_of = re.search(r"at least one of ([^)]*?) to a column", str(info.value)).group(1)
    needed = re.split(r", | or ", one_of)
    assert set(needed) <= set(Columns.model_fields)
    assert re.findall(r"`([a-z_]+)`", guide["columns"].split(":", 1)[1]) == needed
    assert "respondent_id" not in guide

    (tmp_path / "data.csv").write_text("sat\n" + "\n".join(str(1 + i % 5) for i in range(40)) + "\n", encoding="utf-8")
    minimal = {"client": {"name": "Minimal"}, "survey": {"file": "data.csv"}, "columns": {"csat": "sat"}}
    runner = CliRunner()

    def validate(config: dict):
        path = tmp_path / "cxreport.yaml"
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        return runner.invoke(cli, ["validate", str(path)])

    result = validate(minimal)
    assert result.exit_code == 0, result.output
    for leaf in ("client.name", "survey.file", "columns.csat"):
        block, name = leaf.split(".")
        broken = {**minimal, block: {k: v for k, v in minimal[block].items() if k != name}}
        result = validate(broken)
        assert result.exit_code == 1 and "Traceback" not in result.output, (leaf, result.output)
