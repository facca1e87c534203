"""Generate the reference docs (``python -m cxreport.docgen docs``): docs/project-file.md and
docs/programme-file.md from the schemas, docs/commands.md from the commands' ``--help``,
docs/scores-json.md and docs/scores-json.schema.json from the scores JSON's description
(cxreport/jsonschema.py).

A test checks that the committed reference matches, so a setting cannot go undocumented.
"""

from __future__ import annotations

import sys
import typing
from pathlib import Path

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from cxreport.config.loader import _unwrap
from cxreport.config.schema import Project

HEADER = """# Project file reference (`cxreport.yaml`)

Generated from the schema by `python -m cxreport.docgen`; do not edit by hand.
Paths are relative to the project file and must stay inside its folder (unless
`--allow-outside-paths` is given). Unknown keys are errors, with a "did you mean" hint.

"""


def _type_name(annotation) -> str:
    names = []
    for t in _unwrap(annotation):
        origin = typing.get_origin(t)
        if t is type(None):
            continue
        if isinstance(t, type) and issubclass(t, BaseModel):
            names.append("mapping")
        elif origin is typing.Literal:
            names.append(" \\| ".join(repr(a) for a in typing.get_args(t)))
        elif origin is dict:
            names.append("mapping")
        elif origin is list:
            inner = [a for a in typing.get_args(t) if isinstance(a, type) and issubclass(a, BaseModel)]
            names.append("list of mappings" if inner else "list")
        elif origin is tuple:
            names.append("range")
        elif isinstance(t, type):
            names.append({"str": "text", "int": "integer", "float": "number", "bool": "true/false",
                          "date": "date", "PosixPath": "path", "Path": "path"}.get(t.__name__, t.__name__))
        else:
            names.append(str(t))
    return " or ".join(dict.fromkeys(names)) or "—"


def _default(field) -> str:
    if field.is_required():
        return "required"
    if field.default_factory is not None:
        value = field.default_factory()
        if isinstance(value, BaseModel):
            return "see below"
        return f"`{value!r}`" if value not in ({}, []) else "empty"
    if field.default is None or field.default is PydanticUndefined:
        return "none"
    return f"`{field.default!r}`"


def _models(model: type[BaseModel], prefix: str, out: list[tuple[str, type[BaseModel]]]) -> None:
    out.append((prefix, model))
    for name, field in model.model_fields.items():
        if (field.json_schema_extra or {}).get("internal"):
            continue
        for t in _unwrap(field.annotation):
            origin = typing.get_origin(t)
            if isinstance(t, type) and issubclass(t, BaseModel):
                _models(t, f"{prefix}.{name}" if prefix else name, out)
            elif origin is list:
                for v in typing.get_args(t):
                    if isinstance(v, type) and issubclass(v, BaseModel):
                        _models(v, f"{prefix}.{name}[]" if prefix else f"{name}[]", out)
            elif origin is dict:
                value = typing.get_args(t)[-1]
                for v in _unwrap(value):
                    if isinstance(v, type) and issubclass(v, BaseModel):
                        _models(v, f"{prefix}.{name}.<name>" if prefix else f"{name}.<name>", out)


def settings(root: type[BaseModel] = Project) -> list[str]:
    """Every documented key path (for tests)."""
    keys = []
    models: list[tuple[str, type[BaseModel]]] = []
    _models(root, "", models)
    for prefix, model in models:
        for name, field in model.model_fields.items():
            if not (field.json_schema_extra or {}).get("internal"):
                keys.append(f"{prefix}.{name}" if prefix else name)
    return keys


PROGRAMME_HEADER = """# Programme file reference (`programme.yaml`)

Generated from the schema by `python -m cxreport.docgen`; do not edit by hand. The
mystery-shopping programme file follows the project file's conventions: paths relative
to the file and inside its folder, unknown keys reported with a "did you mean" hint,
every problem reported at once. See docs/mystery-shopping.md for the workflow.

"""


def generate(root: type[BaseModel] = Project, header: str = HEADER) -> str:
    models: list[tuple[str, type[BaseModel]]] = []
    _models(root, "", models)
    lines = [header]
    seen = set()
    for prefix, model in models:
        if (prefix, model) in seen:
            continue
        seen.add((prefix, model))
        title = f"`{prefix}`" if prefix else "Top level"
        lines.append(f"## {title}\n")
        doc = (model.__doc__ or "").strip().splitlines()
        if doc and prefix == "":
            lines.append(doc[0] + "\n")
        lines.append("| key | type | default | meaning |")
        lines.append("|---|---|---|---|")
        for name, field in model.model_fields.items():
            if (field.json_schema_extra or {}).get("internal"):
                continue
            key = f"{prefix}.{name}" if prefix else name
            desc = (field.description or "").replace("|", "\\|")
            lines.append(f"| `{key}` | {_type_name(field.annotation)} | {_default(field)} | {desc} |")
        lines.append("")
    return "\n".join(lines)


COMMANDS_HEADER = """# Command reference

Generated from the commands' own `--help` by `python -m cxreport.docgen`; do not edit by
hand. Exit codes: 0 success, 1 a user or data error (one-line message on stderr), 2 a usage
error, 3 a batch that finished with some failed items. Progress and messages go to stderr;
paths of written files and machine-readable output go to stdout.

"""


def _walk(command, path: list[str]):
    """(name path, command) for ``command`` and every sub-command, depth first, sorted."""
    import click

    yield path, command
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            yield from _walk(command.commands[name], [*path, name])


def command_reference() -> str:
    """Every command's ``--help`` text, as it prints at a fixed width of 100 columns."""
    import click

    from cxreport.cli import cli

    lines = [COMMANDS_HEADER]
    entries = list(_walk(cli, ["cxreport"]))
    links = [f"[`{' '.join(p)}`](#{'-'.join(p)})" for p, _ in entries[1:]]
    lines.append("Commands: " + ", ".join(links) + "\n")
    for path, command in entries:
        name = " ".join(path)
        settings = {**command.context_settings, "terminal_width": 100, "max_content_width": 100}
        # The command's own context settings (-h as well as --help): Click caches the help
        # option it builds from the first context it sees.
        context = click.Context(command, info_name=name, **settings)
        text = command.get_help(context)
        anchor = "-".join(path)
        lines.append(f'<a id="{anchor}"></a>\n\n## `{name}`\n')
        lines.append("```text\n" + text.rstrip() + "\n```\n")
    return "\n".join(lines)


def documents() -> dict[str, str]:
    import json

    from cxreport.jsonschema import json_schema, reference
    from cxreport.shop.programme import ProgrammeFile

    return {"scores-json.md": reference(),
            "scores-json.schema.json": json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n",
            "project-file.md": generate(Project, HEADER),
            "programme-file.md": generate(ProgrammeFile, PROGRAMME_HEADER),
            "commands.md": command_reference()}


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs")
    for name, text in documents().items():
        (folder / name).write_text(text, encoding="utf-8")
        print(folder / name)


if __name__ == "__main__":
    main()
