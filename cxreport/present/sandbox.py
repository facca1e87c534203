"""The sandbox every report template runs in, and the plain data it is given.

Templates can come from the project (its ``templates/`` folder) or from an installed
theme, so they are not trusted: they run in Jinja's ``ImmutableSandboxedEnvironment``
(no ``_private`` attributes, no Python internals, no mutating ``append``/``update``) and
see only plain data (dicts, lists, text, numbers, dates), never the pipeline's objects
with their methods. The built-in templates run the same way: one path, and the cost is
about two milliseconds per report (measured on the Harbour Bank sample, docs/themes.md).

A template that misbehaves fails the build with one line naming the template file and
line (:func:`describe_template_error`), never with a traceback or a partial report.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import numbers
import operator
from collections.abc import Callable, Mapping
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from markupsafe import Markup

#: Longest text or list a template may make with ``*`` (a runaway ``'x' * 10**9`` fails fast).
MAX_REPEAT = 1_000_000
#: Largest exponent a template may use with ``**``.
MAX_EXPONENT = 1_000


class ReportSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with the two arithmetic operators that can exhaust memory
    (``*`` on text or lists, ``**`` on numbers) limited."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: jinja2.runtime.Context, op: str, left: Any, right: Any) -> Any:
        if op == "**" and isinstance(right, numbers.Real) and abs(right) > MAX_EXPONENT:
            raise SecurityError(f"exponent {right} is larger than {MAX_EXPONENT}")
        if op == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(times, int) and len(seq) * times > MAX_REPEAT:
                    raise SecurityError(f"repeating a {type(seq).__name__} {times} times makes more than "
                                        f"{MAX_REPEAT:,} items")
        return {"*": operator.mul, "**": operator.pow}[op](left, right)


# --------------------------------------------------------------------------- plain data

_SCALARS = (bool, int, float, type(None), dt.date, dt.datetime, dt.time, dt.timedelta)


def plain_data(value: Any) -> Any:
    """``value`` as plain data: dicts, lists, text, numbers, dates and ``None``.

    Dataclasses become dicts of their fields and their public properties (so a template
    still reads ``chart.png_data_uri`` or ``journey.map.pain_points``); tuples and sets
    become lists; numpy scalars become Python numbers; enums their values. ``Markup``
    (already-escaped HTML the code produced) stays ``Markup``. Anything else is a
    programming error and raises ``TypeError``.
    """
    if isinstance(value, Markup):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, enum.Enum):
        return plain_data(value.value)
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        return plain_data(value.item())
    if isinstance(value, bytes):
        return value
    if isinstance(value, Mapping):
        return {_plain_key(k): plain_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_data(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return [plain_data(v) for v in sorted(value, key=repr)]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: plain_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
        for name in _properties(type(value)):
            out[name] = plain_data(getattr(value, name))
        return out
    raise TypeError(f"cannot hand a {type(value).__module__}.{type(value).__name__} to a template; "
                    "convert it to plain data in the context")


def _plain_key(key: Any) -> Any:
    if isinstance(key, (str, int, float, bool, type(None))):
        return key
    return plain_data(key) if not isinstance(key, (list, dict)) else str(key)


def _properties(cls: type) -> list[str]:
    names = []
    for klass in cls.__mro__:
        for name, attr in vars(klass).items():
            if isinstance(attr, property) and not name.startswith("_") and name not in names:
                names.append(name)
    return names


# --------------------------------------------------------------------------- errors


def describe_template_error(exc: BaseException, where: Callable[[str], str | None]) -> tuple[str | None, str]:
    """Which template (and line) failed, and why, on one line each.

    ``where`` turns a template file name into how the user knows it
    (``templates/cover.html``, ``theme 'northwind': cover.html``), or ``None`` for
    names it does not know.
    """
    place = None
    if isinstance(exc, jinja2.TemplateSyntaxError):
        label = where(exc.filename) if exc.filename else None
        place = f"{label or exc.name}, line {exc.lineno}" if (label or exc.name) else None
    if place is None:
        place = _traceback_place(exc, where)
    return place, _message(exc)


def _traceback_place(exc: BaseException, where: Callable[[str], str | None]) -> str | None:
    """The innermost template frame of the (Jinja-rewritten) traceback."""
    place = None
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        label = where(filename)
        if label is not None:
            place = f"{label}, line {tb.tb_lineno}"
        tb = tb.tb_next
    return place


def _message(exc: BaseException) -> str:
    if isinstance(exc, jinja2.TemplateNotFound):
        names = getattr(exc, "templates", None) or [exc.name]
        text = "template not found: " + ", ".join(str(n) for n in names)
    elif isinstance(exc, jinja2.TemplateSyntaxError):
        text = f"template syntax error: {exc.message}"
    elif isinstance(exc, jinja2.TemplateError):
        text = str(exc.message or exc)
    elif isinstance(exc, RecursionError):
        text = "templates include or extend each other without end (a template that extends itself? " \
               "use the default: prefix to reach the built-in one)"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return " ".join(text.split())

