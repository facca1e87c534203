"""The sandbox every report template runs in, and the plain data it is given.

Templates can come from the project (its ``templates/`` folder) or from an installed
theme, so they are not trusted: they run in Jinja's ``ImmutableSandboxedEnvironment``
(no ``_private`` attributes, no Python internals, no mutating ``append``/``update``) and
see only plain data (dicts, lists, text, numbers, dates), never the pipeline's objects
with their methods. The built-in templates run the same way: one path, and the cost is
about two milliseconds per report (measured on the Harbour Bank sample, docs/themes.md).

A template that misbehaves fails the build with one line naming the template file and
line (:func:`describe_template_error`), never with a traceback or a partial report. That
includes a template that would exhaust the machine: operations that make a large text or
list from a small one are limited before they run (``MAX_*`` below), and rendering a project
or theme template is bounded in time, memory and output size (:class:`RenderGuard`,
:func:`render_bounded`; the limits are listed in docs/security.md).
"""

from __future__ import annotations

import ctypes
import dataclasses
import datetime as dt
import enum
import functools
import inspect
import numbers
import operator
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import jinja2
from jinja2.compiler import CodeGenerator
from jinja2.sandbox import MAX_RANGE, ImmutableSandboxedEnvironment, SandboxedEscapeFormatter, SandboxedFormatter, \
    SecurityError
from markupsafe import Markup

from cxreport.textclean import for_xml

# --------------------------------------------------------------------------- limits
#
# What one report template may do (docs/security.md, "Limits"). Operations that make a large
# text or list from a small one are checked *before* they run, so a runaway template fails
# in milliseconds with one line naming the template, its line and the limit; the time and
# memory bounds of the render step (:class:`RenderGuard`) catch everything else.

#: Longest text or list a template may make with ``*`` (a runaway ``'x' * 10**9`` fails fast).
MAX_REPEAT = 1_000_000
#: Largest exponent a template may use with ``**``.
MAX_EXPONENT = 1_000
#: Longest text one template operation may make (``~``, ``+``, ``%``, ``format``, ``join``,
#: ``replace``, ``indent``, ``wordwrap``, string methods, any filter).
MAX_TEXT = 10_000_000
#: Largest width or precision in a format (``%``, ``|format``, ``.format()``) and largest
#: ``center``/``ljust``/``rjust``/``zfill``/``indent``/``expandtabs`` width.
MAX_WIDTH = 10_000
#: Largest ``indent`` of ``tojson``.
MAX_JSON_INDENT = 16
#: Most paragraphs and most words a paragraph of ``lipsum()``.
MAX_LIPSUM = (100, 1_000)
#: Longest ``range()`` (Jinja's own sandbox limit, restated here for the documentation).
MAX_RANGE_ITEMS = MAX_RANGE
#: Seconds one rendering of a project or theme template may take (watchdog).
RENDER_SECONDS = 60
#: Memory one rendering of a project or theme template may take on top of what the process
#: held when it started, in MB (address-space limit on the main thread, resident-memory
#: watchdog everywhere).
RENDER_MEMORY_MB = 512
#: Longest HTML a project or theme template may produce, in characters.
MAX_HTML_CHARS = 50_000_000
#: Seconds, and MB of memory on top of what the process held, that making the PDF of a report
#: from project or theme templates may take (the Harbour Bank sample: about 10 s and 150 MB).
PDF_SECONDS = 300
PDF_MEMORY_MB = 1_024
#: How often the watchdog looks at the clock and the memory, in seconds.
WATCHDOG_POLL = 0.02


class TemplateLimit(SecurityError):
    """A template went past one of the limits above."""


class RenderTimeLimit(TemplateLimit):
    def __init__(self, message: str | None = None):
        super().__init__(message or f"rendering took longer than {RENDER_SECONDS:g} s "
                                    "(the limit for a report template)")


class RenderMemoryLimit(TemplateLimit):
    def __init__(self, message: str | None = None):
        super().__init__(message or f"rendering needs more than {RENDER_MEMORY_MB:,} MB of memory "
                                    "(the limit for a report template)")


class PdfLimit(BaseException):
    """Past a bound while making the PDF of a report from project or theme templates. A
    ``BaseException``, so that no ``except Exception`` inside the PDF renderer swallows it."""


class PdfTimeLimit(PdfLimit):
    def __init__(self, message: str | None = None):
        super().__init__(message or f"making the PDF took longer than {PDF_SECONDS:g} s "
                                    "(the limit for a report from project or theme templates)")


class PdfMemoryLimit(PdfLimit):
    def __init__(self, message: str | None = None):
        super().__init__(message or f"making the PDF needs more than {PDF_MEMORY_MB:,} MB of memory "
                                    "(the limit for a report from project or theme templates)")


class OutputLimit(TemplateLimit):
    def __init__(self, message: str | None = None):
        super().__init__(message or f"the report is longer than {MAX_HTML_CHARS:,} characters of HTML "
                                    "(the limit for a report template)")


def _too_long(what: str, size: int) -> TemplateLimit:
    return TemplateLimit(f"{what} makes a text of more than {MAX_TEXT:,} characters ({size:,}; "
                         "the limit in report templates)")


def _check_width(value: Any, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        return
    if abs(int(value)) > MAX_WIDTH:
        raise TemplateLimit(f"{what}: width or precision {value} is larger than {MAX_WIDTH:,} "
                            "(the limit in report templates)")


def _length(value: Any) -> int:
    """What ``value`` adds to a text it is formatted into, as far as it is cheap to know."""
    if isinstance(value, (str, bytes, bytearray)):
        return len(value)
    if isinstance(value, (numbers.Number, type(None))):
        return 32
    return 0          # containers: bounded by the memory limit of the render step


def _check_size(size: int, what: str) -> None:
    if size > MAX_TEXT:
        raise _too_long(what, size)


#: A ``%`` conversion: optional (key), flags, width, precision, length modifier, type.
_PERCENT = re.compile(r"%(?:\((?P<key>[^)]*)\))?[-#0 +]*(?P<width>\*|\d+)?(?:\.(?P<prec>\*|\d*))?[hlL]?(?P<type>.?)",
                      re.S)


def check_percent_format(fmt: str | bytes, values: Any, what: str = "%-formatting") -> None:
    """Refuse a ``fmt % values`` whose widths or result would be too large, before it runs."""
    if isinstance(fmt, (bytes, bytearray)):
        fmt = fmt.decode("latin-1")
    mapping = values if isinstance(values, Mapping) else None
    args = list(values) if isinstance(values, tuple) else [values]
    size, i = len(fmt), 0
    for match in _PERCENT.finditer(fmt):
        if match["type"] == "%":
            continue
        for part in (match["width"], match["prec"]):
            if part == "*":
                n = args[i] if i < len(args) else 0
                i += 1
            elif part:
                n = int(part) if len(part) <= 9 else 10 ** 9
            else:
                n = 0
            _check_width(n, what)
            size += abs(n) if isinstance(n, int) else 0
        if mapping is not None and match["key"] is not None:
            size += _length(mapping.get(match["key"]))
        else:
            size += _length(args[i] if i < len(args) else None)
            i += 1
    _check_size(size, what)


def _check_spec(spec: str) -> None:
    """A ``str.format`` field's format spec: no width or precision above :data:`MAX_WIDTH`."""
    for run in re.findall(r"\d+", spec or ""):
        _check_width(int(run) if len(run) <= 9 else 10 ** 9, f"format spec '{spec[:20]}'")


class _Sized:
    """A ``str.format`` formatter that checks each field's spec and the text it builds."""

    def vformat(self, format_string, args, kwargs):
        self._size = len(format_string)
        return super().vformat(format_string, args, kwargs)

    def format_field(self, value: Any, format_spec: str) -> Any:
        _check_spec(format_spec)
        out = super().format_field(value, format_spec)
        self._size = getattr(self, "_size", 0) + len(out)
        _check_size(self._size, "str.format()")
        return out


class _SizedFormatter(_Sized, SandboxedFormatter):
    pass


class _SizedEscapeFormatter(_Sized, SandboxedEscapeFormatter):
    pass


def _checked_text(value: Any, what: str) -> Any:
    if isinstance(value, (str, bytes, bytearray)) and len(value) > MAX_TEXT:
        raise _too_long(what, len(value))
    return value


# Checks of the filters that make a large text or list from a small one. Each gets the
# filter's bound arguments (by name), may replace some (a generator materialised), and
# raises TemplateLimit when the result would be too large.

def _f_format(a: dict) -> None:
    check_percent_format(str(a["value"]), a["kwargs"] or a["args"], "format")


def _f_center(a: dict) -> None:
    _check_width(a["width"], "center")


def _f_indent(a: dict) -> None:
    width, s = a["width"], str(a["s"])
    if isinstance(width, str):
        if len(width) > MAX_WIDTH:
            raise TemplateLimit(f"indent: an indentation of {len(width):,} characters is longer than {MAX_WIDTH:,} "
                                "(the limit in report templates)")
        step = len(width)
    else:
        _check_width(width, "indent")
        step = abs(int(width)) if isinstance(width, numbers.Integral) else 0
    _check_size(len(s) + (s.count("\n") + 2) * step, "indent")


def _f_wordwrap(a: dict) -> None:
    s, width, wrap = str(a["s"]), a["width"], a["wrapstring"]
    lines = len(s) // max(int(width), 1) + s.count("\n") + 1 if isinstance(width, numbers.Integral) else 1
    _check_size(len(s) + lines * (len(wrap) if isinstance(wrap, str) else 1), "wordwrap")


def _f_replace(a: dict) -> None:
    s, old, new, count = str(a["s"]), str(a["old"]), str(a["new"]), a["count"]
    if len(new) <= len(old):
        return
    n = s.count(old) if old else len(s) + 1
    if isinstance(count, numbers.Integral) and count >= 0:
        n = min(n, int(count))
    _check_size(len(s) + n * (len(new) - len(old)), "replace")


def _f_join(a: dict) -> None:
    if a.get("attribute") is not None:
        return
    items = list(a["value"])
    a["value"] = items
    sep = a.get("d", "")
    _check_size(sum(map(_length, items)) + max(len(items) - 1, 0) * len(str(sep)), "join")


def _f_batch(a: dict) -> None:
    count = a["linecount"]
    if isinstance(count, numbers.Integral) and count > MAX_REPEAT:
        raise TemplateLimit(f"batch: {count} items a batch is more than {MAX_REPEAT:,} (the limit in report templates)")


def _f_slice(a: dict) -> None:
    count = a["slices"]
    if isinstance(count, numbers.Integral) and count > MAX_REPEAT:
        raise TemplateLimit(f"slice: {count} slices is more than {MAX_REPEAT:,} (the limit in report templates)")


def _f_tojson(a: dict) -> None:
    indent = a.get("indent")
    if isinstance(indent, numbers.Integral) and indent > MAX_JSON_INDENT:
        raise TemplateLimit(f"tojson: indent {indent} is larger than {MAX_JSON_INDENT} (the limit in report templates)")
    if isinstance(indent, str) and len(indent) > MAX_JSON_INDENT:
        raise TemplateLimit(f"tojson: an indent of {len(indent)} characters is longer than {MAX_JSON_INDENT} "
                            "(the limit in report templates)")


_FILTER_CHECKS: dict[str, Callable[[dict], None]] = {
    "format": _f_format, "center": _f_center, "indent": _f_indent, "wordwrap": _f_wordwrap,
    "replace": _f_replace, "join": _f_join, "batch": _f_batch, "slice": _f_slice, "tojson": _f_tojson,
}


def _bounded_filter(name: str, func: Callable, check: Callable[[dict], None] | None) -> Callable:
    """``func`` with its text result checked against :data:`MAX_TEXT` and, when ``check`` is
    given, its arguments checked (by name) before it runs."""
    try:
        signature = inspect.signature(func) if check is not None else None
    except (TypeError, ValueError):   # pragma: no cover - a filter without a signature
        signature = None

    @functools.wraps(func)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        if check is not None and signature is not None:
            try:
                bound = signature.bind(*args, **kwargs)
            except TypeError:
                bound = None               # let the filter report its own argument error
            if bound is not None:
                bound.apply_defaults()
                check(bound.arguments)
                args, kwargs = bound.args, bound.kwargs
        return _checked_text(func(*args, **kwargs), name)

    return bounded


def _lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:  # noqa: A002 - Jinja's names
    from jinja2.utils import generate_lorem_ipsum

    most_paragraphs, most_words = MAX_LIPSUM
    if (isinstance(n, numbers.Integral) and n > most_paragraphs) or \
            (isinstance(max, numbers.Integral) and max > most_words) or \
            (isinstance(min, numbers.Integral) and min > most_words):
        raise TemplateLimit(f"lipsum({n}, min={min}, max={max}): at most {most_paragraphs} paragraphs of "
                            f"{most_words:,} words (the limit in report templates)")
    return generate_lorem_ipsum(n=n, html=html, min=min, max=max)


def _check_text_method(owner: str | bytes | bytearray, name: str, args: tuple, kwargs: dict) -> None:
    """Calls of the string (and bytes) methods that make a long text from a short one."""
    def arg(position: int, key: str, default: Any = None) -> Any:
        return args[position] if len(args) > position else kwargs.get(key, default)

    if name in ("center", "ljust", "rjust", "zfill"):
        _check_width(arg(0, "width"), f"{name}()")
    elif name == "expandtabs":
        size = arg(0, "tabsize", 8)
        _check_width(size, "expandtabs()")
        if isinstance(size, numbers.Integral):
            _check_size(len(owner) + owner.count("\t" if isinstance(owner, str) else b"\t") * abs(int(size)),
                        "expandtabs()")
    elif name == "replace":
        old, new, count = arg(0, "old", ""), arg(1, "new", ""), arg(2, "count", -1)
        if isinstance(old, (str, bytes)) and isinstance(new, (str, bytes)) and len(new) > len(old):
            n = owner.count(old) if old else len(owner) + 1
            if isinstance(count, numbers.Integral) and count >= 0:
                n = min(n, int(count))
            _check_size(len(owner) + n * (len(new) - len(old)), "replace()")
    elif name == "join":
        items = arg(0, "iterable", ())
        if isinstance(items, (list, tuple)):
            _check_size(sum(map(_length, items)) + max(len(items) - 1, 0) * len(owner), "join()")
    elif name == "translate":
        table = arg(0, "table")
        if isinstance(table, Mapping):
            longest = max((len(v) for v in table.values() if isinstance(v, str)), default=1)
            _check_size(len(owner) * longest, "translate()")


class _BoundedCodeGenerator(CodeGenerator):
    """Jinja's code generator, with the result of every ``~`` concatenation checked."""

    def visit_Concat(self, node, frame) -> None:  # noqa: N802 - Jinja's name
        self.write("environment.checked_concat(")
        super().visit_Concat(node, frame)
        self.write(")")


_SEQUENCES = (str, bytes, bytearray, list, tuple)
_BINOPS = {"*": operator.mul, "**": operator.pow, "+": operator.add, "%": operator.mod}


class ReportSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with every operation that can make a huge text or list from a
    small one limited (the limits above): ``*`` on text or lists, ``**``, ``+`` and ``~`` on
    texts, ``%`` and ``format`` widths, the filters ``center``, ``indent``, ``wordwrap``,
    ``replace``, ``join``, ``batch``, ``slice``, ``tojson`` and ``lipsum()``, and the string
    methods ``center``, ``ljust``, ``rjust``, ``zfill``, ``expandtabs``, ``replace``, ``join``,
    ``translate`` and ``format``."""

    intercepted_binops = frozenset(_BINOPS)
    code_generator_class = _BoundedCodeGenerator

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, func in list(self.filters.items()):
            self.filters[name] = _bounded_filter(name, func, _FILTER_CHECKS.get(name))
        self.globals["lipsum"] = _lipsum

    def call_binop(self, context: jinja2.runtime.Context, op: str, left: Any, right: Any) -> Any:
        if op == "**" and isinstance(right, numbers.Real) and abs(right) > MAX_EXPONENT:
            raise SecurityError(f"exponent {right} is larger than {MAX_EXPONENT}")
        if op == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, _SEQUENCES) and isinstance(times, int) and len(seq) * times > MAX_REPEAT:
                    raise SecurityError(f"repeating a {type(seq).__name__} {times} times makes more than "
                                        f"{MAX_REPEAT:,} items")
        elif op == "+" and isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
            if isinstance(left, (list, tuple)):
                if len(left) + len(right) > MAX_REPEAT:
                    raise SecurityError(f"adding lists makes more than {MAX_REPEAT:,} items")
            else:
                _check_size(len(left) + len(right), "+")
        elif op == "%" and isinstance(left, (str, bytes, bytearray)):
            check_percent_format(left, right)
        return _checked_text(_BINOPS[op](left, right), op)

    def checked_concat(self, value: Any) -> Any:
        """The result of a ``~`` concatenation, refused when it is too long."""
        return _checked_text(value, "~")

    def call(__self, __context: jinja2.runtime.Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, (str, bytes, bytearray)):
            _check_text_method(owner, getattr(__obj, "__name__", ""), args, kwargs)
        return _checked_text(super().call(__context, __obj, *args, **kwargs), "a call")

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """``str.format``/``format_map`` through a formatter that checks widths and length
        (Jinja's own wrapper, with :class:`_Sized` formatters)."""
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        f_self: str = value.__self__
        str_type = type(f_self)
        is_format_map = value.__name__ == "format_map"
        env = self

        def wrapper(*args: Any, **kwargs: Any) -> str:
            if is_format_map:
                if kwargs:
                    raise TypeError("format_map() takes no keyword arguments")
                if len(args) != 1:
                    raise TypeError(f"format_map() takes exactly one argument ({len(args)} given)")
                kwargs, args = args[0], ()
            formatter = (_SizedEscapeFormatter(env, escape=f_self.escape) if isinstance(f_self, Markup)
                         else _SizedFormatter(env))
            return str_type(formatter.vformat(f_self, args, kwargs))

        return functools.update_wrapper(wrapper, value)


# --------------------------------------------------------------------------- the render step


def _statm(field_index: int) -> int | None:
    try:
        with open("/proc/self/statm", "rb") as handle:
            return int(handle.read().split()[field_index]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def _async_raise(thread_id: int, exc: type[BaseException] | None) -> None:
    """Raise ``exc`` in thread ``thread_id`` at its next bytecode (``None``: cancel a pending one)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id),
                                               ctypes.py_object(exc) if exc is not None else None)


class RenderGuard:
    """The time and memory bound of one render step with project or theme templates.

    ``RenderGuard()`` bounds rendering a template (:data:`RENDER_SECONDS`,
    :data:`RENDER_MEMORY_MB`); ``RenderGuard(pdf=True)`` making its PDF
    (:data:`PDF_SECONDS`, :data:`PDF_MEMORY_MB`).

    - A watchdog thread looks every :data:`WATCHDOG_POLL` s at the clock and at the
      process's resident memory; past the time, or past the memory on top of what the
      process held when the step started, it raises the limit's exception in the working
      thread (at its next bytecode: every single operation a template can do is bounded by
      the limits above), and again every half second should it be swallowed.
    - Rendering a template on the process's main thread also limits the address space
      (``RLIMIT_AS``) to the memory bound above its size, so that one allocation that would
      be too large fails at once with ``MemoryError`` instead of exhausting the machine; the
      limit is restored when the step ends. (Not on other threads, the limit being per
      process; not for the PDF, whose C libraries abort on a failed allocation.)
    """

    def __init__(self, pdf: bool = False):
        self.pdf = pdf

    def __enter__(self) -> RenderGuard:
        if self.pdf:
            self.seconds, megabytes = float(PDF_SECONDS), int(PDF_MEMORY_MB)
            self._kinds = (PdfTimeLimit, PdfMemoryLimit)
        else:
            self.seconds, megabytes = float(RENDER_SECONDS), int(RENDER_MEMORY_MB)
            self._kinds = (RenderTimeLimit, RenderMemoryLimit)
        self.memory = megabytes * 2 ** 20
        self._thread_id = threading.get_ident()
        self._lock = threading.Lock()
        self._done = False
        self.fired: type[BaseException] | None = None
        self._stop = threading.Event()
        self._rss0 = _statm(1)
        self._watchdog = threading.Thread(target=self._watch, name="cxreport-render-watchdog", daemon=True)
        self._watchdog.start()
        on_main = threading.current_thread() is threading.main_thread()
        self._rlimit = self._limit_address_space() if on_main and not self.pdf else None
        return self

    def _limit_address_space(self) -> tuple[int, int] | None:
        try:
            import resource
        except ImportError:   # pragma: no cover - not on Windows
            return None
        size = _statm(0)
        if size is None:
            return None
        try:
            soft, hard = resource.getrlimit(resource.RLIMIT_AS)
            target = size + self.memory
            if hard != resource.RLIM_INFINITY:
                target = min(target, hard)
            if soft != resource.RLIM_INFINITY and soft <= target:
                return None
            resource.setrlimit(resource.RLIMIT_AS, (target, hard))
            return soft, hard
        except (ValueError, OSError):
            return None

    def _watch(self) -> None:
        deadline = time.monotonic() + self.seconds
        kind, again = None, 0.0
        while not self._stop.wait(WATCHDOG_POLL):
            now = time.monotonic()
            if kind is None:
                if now > deadline:
                    kind = self._kinds[0]
                elif self._rss0 is not None:
                    rss = _statm(1)
                    if rss is not None and rss - self._rss0 > self.memory:
                        kind = self._kinds[1]
            if kind is not None and now >= again:
                self._fire(kind)
                again = now + 0.5

    def _fire(self, kind: type[BaseException]) -> None:
        with self._lock:
            if not self._done:
                self.fired = kind
                _async_raise(self._thread_id, kind)

    def _finish(self) -> None:
        with self._lock:
            if not self._done:
                self._done = True
                if self.fired is not None:
                    _async_raise(self._thread_id, None)      # not delivered yet: cancel it
        self._stop.set()
        if self._rlimit is not None:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, self._rlimit)
            self._rlimit = None

    def __exit__(self, exc_type, exc, tb) -> bool:
        try:
            self._finish()
        except (TemplateLimit, PdfLimit):    # the watchdog's exception arrived as the step ended
            self._finish()
        if exc_type is None and self.fired is not None:
            raise self.fired()
        return False


def render_bounded(template: jinja2.Template, variables: dict) -> str:
    """``template`` rendered with ``variables``, at most :data:`MAX_HTML_CHARS` long (the
    caller holds a :class:`RenderGuard`)."""
    parts: list[str] = []
    size = 0
    for chunk in template.generate(**variables):
        size += len(chunk)
        if size > MAX_HTML_CHARS:
            raise OutputLimit()
        parts.append(chunk)
    return "".join(parts)


# --------------------------------------------------------------------------- plain data

_SCALARS = (bool, int, float, type(None), dt.date, dt.datetime, dt.time, dt.timedelta)


def plain_data(value: Any) -> Any:
    """``value`` as plain data: dicts, lists, text, numbers, dates and ``None``.

    Dataclasses become dicts of their fields and their public properties (so a template
    still reads ``chart.png_data_uri`` or ``journey.map.pain_points``); tuples and sets
    become lists; numpy scalars become Python numbers; enums their values. ``Markup``
    (already-escaped HTML the code produced) stays ``Markup``. Every text passes through
    :func:`cxreport.textclean.for_xml` (no control characters in a report: a soft line break
    from Word becomes a line break). Anything else is a
    programming error and raises ``TypeError``.
    """
    if isinstance(value, Markup):
        return Markup(for_xml(str(value)))
    if isinstance(value, str):
        return for_xml(str(value))
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
    if isinstance(key, str):
        return for_xml(str(key))
    if isinstance(key, (int, float, bool, type(None))):
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
    """The innermost template frame of the (Jinja-rewritten) traceback.

    When Jinja could not rewrite it (out of memory while doing so: the ``MemoryError`` then
    comes from Jinja's own code), the exception it was handling still holds the compiled
    template's frames, whose lines are mapped back to the template's.
    """
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        place = None
        tb = exc.__traceback__
        while tb is not None:
            frame = tb.tb_frame
            label = where(frame.f_code.co_filename)
            if label is not None:
                template = frame.f_globals.get("__jinja_template__")
                line = tb.tb_lineno
                if template is not None:            # a compiled frame, not a rewritten one
                    try:
                        line = template.get_corresponding_lineno(line)
                    except Exception:                # pragma: no cover - defensive
                        pass
                place = f"{label}, line {line}"
            tb = tb.tb_next
        if place is not None:
            return place
        exc = exc.__cause__ or exc.__context__
    return None


def _message(exc: BaseException) -> str:
    if isinstance(exc, jinja2.TemplateNotFound):
        names = getattr(exc, "templates", None) or [exc.name]
        text = "template not found: " + ", ".join(str(n) for n in names)
    elif isinstance(exc, jinja2.TemplateSyntaxError):
        text = f"template syntax error: {exc.message}"
    elif isinstance(exc, jinja2.TemplateError):
        text = str(exc.message or exc)
    elif isinstance(exc, RecursionError):
        text = "templates call, include or extend each other without end (a macro that calls itself? " \
               "a template that extends itself? use the default: prefix to reach the built-in one)"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return " ".join(text.split())

