"""The action register: what the client is doing about the findings (docs/actions.md).

A register is YAML (a list of actions, or a mapping whose ``actions`` key holds the list),
CSV or Excel (a row per action, a column per field). Every problem is reported at once,
each naming the file, the row (or the action's number and line in YAML) and the field:
``actions.csv, row 4, due: '31/09/2026' is not a date (write YYYY-MM-DD)``.

Only the file is checked here (fields, types, dates, unique ids, the metric's form);
whether a metric names something the study has is checked when the study is scored
(:mod:`cxreport.scoring.actions`), with the same file-and-row naming.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cxreport.errors import ConfigError, DataError
from cxreport.util import did_you_mean

#: Statuses of an action, as written in the register (after normalising case, - and _).
STATUSES = ("planned", "in progress", "done", "dropped")
OPEN_STATUSES = ("planned", "in progress")
FIELDS = ("id", "title", "owner", "start", "due", "status", "metric", "kpi", "baseline", "expected",
          "addresses", "notes")
REQUIRED = ("id", "title", "owner", "start", "due", "status", "metric")
#: Forms of a metric: a KPI, an attribute, a touchpoint, a comment theme, a segment's group,
#: or a mystery-shopping item or location (programme named in quarterly.programme).
METRIC_KINDS = ("kpi", "attr", "touchpoint", "theme", "segment", "shop:item", "shop:location")
METRIC_FORMS = ("nps, csat, ces, acsi, attr:<attribute>, touchpoint:<touchpoint>, theme:<theme>, "
                "segment:<segment>=<group>, shop:item:<item id> or shop:location:<location id>")
MAX_ACTIONS = 2_000
MAX_TEXT = 2_000


@dataclass(frozen=True)
class Metric:
    """What an action should move. ``kind`` is one of :data:`METRIC_KINDS`; ``name`` the KPI
    (nps, csat, ces), attribute, touchpoint, theme, segment group or shop id; ``segment`` the
    segment of a ``segment`` metric."""

    kind: str
    name: str
    segment: str | None = None
    text: str = ""

    @property
    def shop(self) -> bool:
        return self.kind.startswith("shop:")


@dataclass
class Action:
    id: str
    title: str
    owner: str
    start: dt.date
    due: dt.date
    status: str
    metric: Metric
    where: str                                  # "actions.yaml, action 3 (line 12)" / "actions.csv, row 4"
    kpi: str | None = None                      # the KPI of a touchpoint or segment metric
    baseline: str | None = None                 # a period, as report.period is written
    expected: float | None = None               # the expected change on the metric's scale (signed)
    addresses: list[str] = field(default_factory=list)   # comment themes it answers
    notes: str = ""

    @property
    def open(self) -> bool:
        return self.status in OPEN_STATUSES


@dataclass
class Register:
    name: str                                   # the file as the project names it
    actions: list[Action]


def parse_metric(text: str) -> Metric:
    """A metric as written; ``ValueError`` with the forms when it is none of them."""
    raw = " ".join(str(text).split())
    low = raw.casefold()
    if low in ("nps", "csat", "ces", "acsi"):
        return Metric("kpi", low, text=raw)
    for prefix in ("shop:item:", "shop:location:", "attr:", "touchpoint:", "theme:", "segment:"):
        if low.startswith(prefix):
            rest = raw[len(prefix):].strip()
            if not rest:
                break
            kind = prefix[:-1]
            if kind == "segment":
                segment, sep, group = rest.partition("=")
                if not sep or not segment.strip() or not group.strip():
                    raise ValueError(f"'{raw}': write segment:<segment>=<group>, e.g. segment:Region=North")
                return Metric("segment", group.strip(), segment.strip(), raw)
            return Metric(kind, rest, text=raw)
    raise ValueError(f"'{raw}' is not a metric; write {METRIC_FORMS}")


def normalise_status(text: str) -> str | None:
    key = re.sub(r"[\s_-]+", " ", str(text).strip().casefold())
    aliases = {"in progress": "in progress", "inprogress": "in progress", "ongoing": "in progress",
               "complete": "done", "completed": "done", "cancelled": "dropped", "canceled": "dropped"}
    key = aliases.get(key, key)
    return key if key in STATUSES else None


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}(?:[ T]00:00(?::00)?)?", text):
        try:
            return dt.date.fromisoformat(text[:10])
        except ValueError:
            pass
    raise ValueError(f"'{text}' is not a date (write YYYY-MM-DD)")


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(f"'{value}' is not a number")
    if isinstance(value, (int, float)):
        out = float(value)
    else:
        text = str(value).strip().replace("−", "-").replace("pts", "").replace("points", "").strip()
        text = text.rstrip("%").strip()
        try:
            out = float(text)
        except ValueError:
            raise ValueError(f"'{value}' is not a number (write the expected change, e.g. +5 or -0.3)") from None
    if not math.isfinite(out):
        raise ValueError(f"'{value}' is not a finite number")
    return out


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _entry(raw: dict, where: str, problems: list[str]) -> Action | None:
    """One action from its fields; problems are appended as ``where, field: reason``."""
    values: dict[str, Any] = {}
    unknown = [k for k in raw if str(k).strip().casefold() not in FIELDS]
    for key in unknown:
        problems.append(f"{where}: unknown field '{key}'{did_you_mean(str(key), FIELDS)}")
    for key, value in raw.items():
        name = str(key).strip().casefold()
        if name in FIELDS:
            values[name] = value
    before = len(problems)
    for name in REQUIRED:
        if _blank(values.get(name)):
            problems.append(f"{where}, {name}: missing (every action needs {', '.join(REQUIRED)})")
    for name in ("id", "title", "owner", "notes", "baseline", "kpi"):
        if not _blank(values.get(name)) and not isinstance(values[name], (str, int, float)):
            problems.append(f"{where}, {name}: write text, not a {type(values[name]).__name__}")
            values[name] = None
        elif not _blank(values.get(name)) and len(str(values[name])) > MAX_TEXT:
            problems.append(f"{where}, {name}: longer than {MAX_TEXT:,} characters")
            values[name] = None
    start = due = None
    for name in ("start", "due"):
        if not _blank(values.get(name)):
            try:
                parsed = _date(values[name])
            except ValueError as exc:
                problems.append(f"{where}, {name}: {exc}")
                continue
            if name == "start":
                start = parsed
            else:
                due = parsed
    if start and due and due < start:
        problems.append(f"{where}, due: {due.isoformat()} is before the start ({start.isoformat()})")
    status = None
    if not _blank(values.get("status")):
        status = normalise_status(values["status"])
        if status is None:
            problems.append(f"{where}, status: '{_text(values['status'])}' is not a status "
                            f"(write {', '.join(STATUSES)}){did_you_mean(str(values['status']), STATUSES)}")
    metric = None
    if not _blank(values.get("metric")):
        try:
            metric = parse_metric(values["metric"])
        except ValueError as exc:
            problems.append(f"{where}, metric: {exc}")
    kpi = None
    if not _blank(values.get("kpi")):
        kpi = _text(values["kpi"])
        if metric is not None and metric.kind not in ("touchpoint", "segment"):
            problems.append(f"{where}, kpi: only a touchpoint or segment metric takes a kpi "
                            f"(the metric '{metric.text}' is its own measure)")
        elif kpi.casefold() not in ("nps", "csat", "ces", "acsi") and not kpi.casefold().startswith("attr:"):
            problems.append(f"{where}, kpi: '{kpi}' is not a KPI (write nps, csat, ces, acsi or attr:<attribute>)")
    expected = None
    if not _blank(values.get("expected")):
        try:
            expected = _number(values["expected"])
        except ValueError as exc:
            problems.append(f"{where}, expected: {exc}")
    if metric is not None and metric.kind == "theme" and expected is None and not _blank(values.get("metric")):
        problems.append(f"{where}, expected: a theme metric needs the expected change in its share of comments "
                        "(e.g. -5 for five points fewer mentions), which says which way is better")
    baseline = None
    if not _blank(values.get("baseline")):
        from cxreport.window import parse_spec

        baseline = _text(values["baseline"])
        try:
            spec = parse_spec(baseline)
        except ValueError as exc:
            problems.append(f"{where}, baseline: {exc}")
        else:
            if spec.kind in ("all", "latest", "rolling"):
                problems.append(f"{where}, baseline: '{baseline}' is not a fixed period; name one "
                                "(e.g. 2026-Q1, 2026-03, 2025) or a date range")
    addresses: list[str] = []
    value = values.get("addresses")
    if not _blank(value):
        if isinstance(value, list):
            items = value
        elif isinstance(value, str):
            items = [p for p in re.split(r"[;\n]", value)]
        else:
            items = None
            problems.append(f"{where}, addresses: write a list of comment themes (in a table: separated by ;)")
        for item in items or []:
            if not isinstance(item, (str, int, float)):
                problems.append(f"{where}, addresses: write theme names, not a {type(item).__name__}")
            elif _text(item):
                addresses.append(_text(item))
    if len(problems) > before or metric is None or status is None or start is None or due is None:
        return None
    return Action(_text(values["id"]), _text(values["title"]), _text(values["owner"]), start, due, status, metric,
                  where, kpi, baseline, expected, addresses, _text(values.get("notes") or ""))


def _yaml_entries(path: Path, name: str) -> list[tuple[dict, str]]:
    from cxreport.config.loader import read_yaml

    try:
        data, lines = _read_yaml_list(path, read_yaml)
    except ConfigError as exc:
        message = exc.message.replace("project file", "action register")
        raise ConfigError(message.replace(path.name, name, 1) if name != path.name else message) from None
    entries = data.get("actions") if isinstance(data, dict) else data
    prefix = ("actions",) if isinstance(data, dict) else ()
    if isinstance(data, dict):
        extra = [k for k in data if k != "actions"]
        if extra:
            raise ConfigError(f"{name}: unknown key '{extra[0]}' (the register is a list of actions, or `actions:` "
                              "holding one)")
    if not isinstance(entries, list):
        raise ConfigError(f"{name}: the register must be a list of actions (each with {', '.join(REQUIRED)}), "
                          f"not a {type(entries).__name__}")
    out = []
    for i, entry in enumerate(entries):
        line = lines.get(prefix + (i,))
        where = f"{name}, action {i + 1}" + (f" (line {line})" if line else "")
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: an action is a mapping of fields (id: …, title: …), "
                              f"not a {type(entry).__name__}")
        out.append((entry, where))
    return out


def _read_yaml_list(path: Path, read_yaml) -> tuple[Any, dict]:
    """read_yaml insists on a mapping at the top; a register may be a plain list."""
    try:
        return read_yaml(path)
    except ConfigError as exc:
        if "must be a mapping of settings" not in exc.message:
            raise
    # read_yaml has already parsed it safely (size, aliases, duplicate keys): build it again.
    from cxreport.config.loader import _Loader, _line_map

    loader = _Loader(path.read_text(encoding="utf-8-sig"))
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node)
    finally:
        loader.dispose()
    return data, _line_map(node)


def _table_entries(path: Path, name: str, sheet) -> list[tuple[dict, str]]:
    from cxreport.load.tabular import read_table

    table = read_table(path, name=name, sheet=sheet, format="auto")
    frame = table.frame
    columns = {str(c).strip().casefold(): c for c in frame.columns}
    missing = [f for f in REQUIRED if f not in columns]
    if missing:
        known = ", ".join(str(c) for c in frame.columns)
        raise DataError(f"{name}: no column '{missing[0]}'{did_you_mean(missing[0], [str(c) for c in frame.columns])} "
                        f"(a register needs {', '.join(REQUIRED)}; the file has {known})")
    out = []
    for i, record in enumerate(frame.to_dict("records")):
        if all(_blank(v) for v in record.values()):
            continue
        out.append((record, f"{name}, row {table.row_number(i)}"))
    return out


def read_register(path: Path, name: str, sheet: str | int | None = None) -> Register:
    """Read and check the register at ``path`` (``name``: how messages name it)."""
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        entries = _yaml_entries(path, name)
    elif suffix in (".csv", ".xlsx", ".txt", ".tsv"):
        entries = _table_entries(path, name, sheet)
    else:
        raise ConfigError(f"actions.file: {name}: an action register is YAML (.yaml), CSV or Excel (.xlsx), "
                          f"not '{suffix or 'no extension'}'")
    if len(entries) > MAX_ACTIONS:
        raise DataError(f"{name}: {len(entries):,} actions; a register holds at most {MAX_ACTIONS:,}")
    problems: list[str] = []
    actions: list[Action] = []
    seen: dict[str, str] = {}
    for raw, where in entries:
        action = _entry(raw, where, problems)
        if action is None:
            continue
        key = action.id.casefold()
        if key in seen:
            problems.append(f"{where}, id: '{action.id}' is already the id of {seen[key]}")
            continue
        seen[key] = where
        actions.append(action)
    if problems:
        if len(problems) == 1:
            raise DataError(problems[0])
        shown = problems[:20] + ([f"… and {len(problems) - 20} more"] if len(problems) > 20 else [])
        raise DataError(f"{name}: {len(problems)} problems in the action register", shown)
    return Register(name, actions)
