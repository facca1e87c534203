"""Load a project file: YAML → checked :class:`~cxreport.config.schema.Project`.

Every problem is collected and reported at once, each with its key path and line
(``cxreport.yaml, line 12: columns.nps: unknown key 'colum' (did you mean 'column'?)``).
"""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from cxreport.config.schema import Project
from cxreport.errors import ConfigError
from cxreport.util import did_you_mean

#: Upper bound on the number of values a project file may expand to through aliases.
MAX_YAML_VALUES = 100_000
MAX_PROJECT_BYTES = 2_000_000

Loc = tuple[Any, ...]


class _Loader(yaml.SafeLoader):
    """Safe loader that rejects duplicate keys and leaves dates as text for the schema to check."""


class _RecursiveAlias(Exception):
    pass


# Dates stay strings here so that an impossible date is reported by the schema with its key.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a plain value", key_node.start_mark) from None
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}'", key_node.start_mark)
        seen[key] = key_node
    return loader.construct_mapping(node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _expanded_size(node: yaml.Node, memo: dict[int, int], stack: set[int]) -> int:
    key = id(node)
    if key in memo:
        return memo[key]
    if key in stack:
        raise _RecursiveAlias()
    stack.add(key)
    if isinstance(node, yaml.MappingNode):
        size = 1 + sum(_expanded_size(k, memo, stack) + _expanded_size(v, memo, stack) for k, v in node.value)
    elif isinstance(node, yaml.SequenceNode):
        size = 1 + sum(_expanded_size(v, memo, stack) for v in node.value)
    else:
        size = 1
    stack.discard(key)
    memo[key] = size
    return size


def _line_map(node: yaml.Node | None, path: Loc = (), out: dict[Loc, int] | None = None) -> dict[Loc, int]:
    """Map each key path to the 1-based line where it is written."""
    out = {} if out is None else out
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key_path = path + (key_node.value,)
                out.setdefault(key_path, key_node.start_mark.line + 1)
                _line_map(value_node, key_path, out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            out.setdefault(path + (index,), item.start_mark.line + 1)
            _line_map(item, path + (index,), out)
    return out


def read_yaml(path: Path) -> tuple[Any, dict[Loc, int]]:
    """Parse a YAML file safely, returning the data and a key-path → line map."""
    name = path.name
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"project file not found: {path}") from None
    except IsADirectoryError:
        raise ConfigError(f"{path} is a folder; give the project file (cxreport.yaml) inside it") from None
    except OSError as exc:
        raise ConfigError(f"cannot read project file {path}: {exc.strerror}") from None
    if len(raw) > MAX_PROJECT_BYTES:
        raise ConfigError(f"{name}: project file is larger than {MAX_PROJECT_BYTES // 1_000_000} MB; is this the right file?")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{name}: project file is not UTF-8 text (byte {exc.start})") from None
    if not text.strip():
        raise ConfigError(f"{name}: project file is empty")
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                raise ConfigError(f"{name}: project file is empty")
            memo: dict[int, int] = {}
            if _expanded_size(node, memo, set()) > MAX_YAML_VALUES:
                raise ConfigError(
                    f"{name}: the YAML expands to more than {MAX_YAML_VALUES:,} values through aliases; refusing to load it")
            data = loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigError(f"{name}{where}: invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{name}: invalid YAML: {exc}") from None
    except _RecursiveAlias:
        raise ConfigError(f"{name}: recursive YAML alias (an alias refers to itself)") from None
    except RecursionError:
        raise ConfigError(f"{name}: invalid YAML: nested too deeply") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{name}: the project file must be a mapping of settings (key: value), "
                          f"not a {type(data).__name__}")
    return data, _line_map(node)


def load_model(path: str | Path, model: type[BaseModel], *, default_name: str, allow_outside: bool = False):
    """Read a YAML settings file into ``model``; raise :class:`ConfigError` listing every problem."""
    path = Path(path)
    if path.is_dir():
        candidate = path / default_name
        if candidate.is_file():
            path = candidate
    data, lines = read_yaml(path)
    context = {"base_dir": path.resolve().parent, "allow_outside": allow_outside}
    problems: list[tuple[Loc, str]] = []
    obj = None
    try:
        obj = model.model_validate(data, context=context)
    except ValidationError as exc:
        problems = [_describe(err, data, model) for err in exc.errors(include_url=False)]
        problems = [(loc, msg) for loc, msg in dict.fromkeys(problems)]
    if obj is not None:
        problems = obj.cross_reference_problems()
    if problems:
        raise_problems(path.name, problems, lines)
    obj.path = path.resolve()
    return obj


def raise_problems(filename: str, problems: list[tuple[Loc, str]], lines: dict[Loc, int] | None = None) -> None:
    messages = [_format(filename, loc, message, lines or {}) for loc, message in problems]
    if len(messages) == 1:
        raise ConfigError(messages[0])
    raise ConfigError(f"{filename}: {len(messages)} problems in the settings file", messages)


def load_project(path: str | Path, *, allow_outside: bool = False) -> Project:
    """Read and check a project file; raise :class:`ConfigError` listing every problem."""
    return load_model(path, Project, default_name="cxreport.yaml", allow_outside=allow_outside)


# --------------------------------------------------------------------------- messages


def _clean_loc(loc: Loc, data: Any) -> Loc:
    """Drop the branch names pydantic adds to locations inside unions ("str", "function-after[…]")
    by keeping only the parts that are real keys or indexes of the user's data."""
    out: list[Any] = []
    current = data
    for part in loc:
        if isinstance(current, dict) and part in current:
            out.append(part)
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            out.append(part)
            current = current[part]
        elif isinstance(part, str) and ("[" in part or part in _TYPE_TAGS or not isinstance(current, dict)):
            continue  # a union branch tag such as "str" or "constrained-str"
        else:
            out.append(part)
            current = None
    return tuple(out)


def _describe(err: dict[str, Any], data: Any = None, model: type[BaseModel] = Project) -> tuple[Loc, str]:
    loc: Loc = _clean_loc(tuple(err["loc"]), data)
    kind = err["type"]
    if kind == "extra_forbidden":
        parent, key = loc[:-1], loc[-1]
        allowed = _allowed_keys(parent, model)
        return loc, "unknown key" + did_you_mean(str(key), allowed)
    if kind == "missing":
        return loc[:-1], f"missing required key '{loc[-1]}'"
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        return loc, f"{err['input']!r} is not allowed; expected {expected}" + did_you_mean(
            str(err["input"]), [e.strip(" '") for e in str(expected).replace(" or ", ",").split(",")], cutoff=0.7)
    message = err["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        message = f"expected a mapping of settings, got {_type_name(err.get('input'))}"
    elif kind.endswith("_type") or kind.endswith("_parsing"):
        message = f"{message} (got {_short(err.get('input'))})"
    return loc, message


_TYPE_TAGS = {"int", "float", "str", "bool", "list", "dict", "tuple", "none", "date",
              "composite", "words"}   # the tags of a scale entry (config.schema.ScaleEntry)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _type_name(value: Any) -> str:
    return {str: "text", int: "a number", float: "a number", list: "a list", bool: "true/false",
            type(None): "nothing"}.get(type(value), type(value).__name__)


def _format(filename: str, loc: Loc, message: str, lines: dict[Loc, int]) -> str:
    key = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")
    line = None
    probe = tuple(loc)
    while probe and line is None:
        line = lines.get(probe)
        probe = probe[:-1]
    where = f"{filename}, line {line}" if line else filename
    return f"{where}: {key}: {message}" if key else f"{where}: {message}"


def _unwrap(annotation: Any) -> list[Any]:
    """The concrete types an annotation can hold (Optional, Annotated and unions removed)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        out: list[Any] = []
        for arg in typing.get_args(annotation):
            out.extend(_unwrap(arg))
        return out
    return [annotation]


def _allowed_keys(loc: Loc, model: type[BaseModel] = Project) -> list[str]:
    """Field names of the model found at ``loc`` (for "did you mean" hints)."""
    current: list[Any] = [model]
    for part in loc:
        nxt: list[Any] = []
        for typ in current:
            if isinstance(typ, type) and issubclass(typ, BaseModel):
                field = typ.model_fields.get(str(part))
                if field is not None:
                    nxt.extend(_unwrap(field.annotation))
            else:
                origin = typing.get_origin(typ)
                if origin in (dict, list, tuple):
                    args = typing.get_args(typ)
                    if args:
                        nxt.extend(_unwrap(args[-1]))
        current = nxt
    for typ in current:
        if isinstance(typ, type) and issubclass(typ, BaseModel):
            return [name for name, f in typ.model_fields.items()
                    if not (f.json_schema_extra or {}).get("internal")]
    return []
