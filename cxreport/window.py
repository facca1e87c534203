"""The reporting window (METHODS.md §7): which responses a report describes, and what it is
compared with.

A window is asked for in words (``report.period`` or ``--period``):

========================  ==============================================================
``latest``                the last period with responses (the default)
``all``                   every response, pooled (undated ones included)
``2026-Q3``, ``2026-09``  a named period at the project's unit, or a coarser one
``2026``, ``FY2027-Q1``   (``2026`` in a quarterly project is its four quarters)
a wave's name             with ``periods.unit: wave``
``last 4 quarters``       a rolling run of periods ending with the latest
``2026-01-01..2026-06-30`` a date range (both days included)
========================  ==============================================================

It is resolved once per build against the study's periods (:func:`resolve`), then applied
to the validated data once (:func:`apply`): the resulting :class:`View` holds the window's
rows, the rows of each comparison (the previous period or run of periods, the same
periods a year earlier, and an optional baseline) and every row (for trends). Each section
is scored from the view it is handed and names its period through :func:`span_label` —
the one labelling function — and :func:`versus`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np

from cxreport.i18n import _
from cxreport.periods import PER_YEAR, Period, make_period, step

if TYPE_CHECKING:  # pragma: no cover
    from cxreport.config.schema import Periods, Project
    from cxreport.validate import SurveyData

Kind = Literal["all", "latest", "named", "rolling", "range"]

UNIT_WORDS = {"month": "month", "months": "month", "quarter": "quarter", "quarters": "quarter",
              "year": "year", "years": "year", "wave": "wave", "waves": "wave"}
MONTHS = {m: i + 1 for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                          "nov", "dec"))}
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                "October", "November", "December")
FORMS = "latest, all, a period such as 2026-Q3, 2026-09 or 2026, last 4 quarters, or 2026-01-01..2026-06-30"


@dataclass(frozen=True)
class Spec:
    """A window as written, parsed (not yet checked against the project or the data)."""

    text: str
    kind: Kind
    year: int | None = None       # named: the (fiscal) year
    fiscal: bool = False          # named: written with FY
    quarter: int | None = None
    month: int | None = None
    name: str | None = None       # named: a wave's name (anything that is not a date-like name)
    count: int = 0                # rolling: how many
    unit: str | None = None       # rolling: the unit word, when given
    start: dt.date | None = None  # range
    end: dt.date | None = None

    @property
    def grain(self) -> str | None:
        """The unit a named period is written in (month, quarter, year) or None for a wave name."""
        if self.kind != "named" or self.name is not None:
            return None
        return "month" if self.month else "quarter" if self.quarter else "year"


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"'{text}' is not a date (write YYYY-MM-DD)") from None


def parse_spec(text: str) -> Spec:
    """Parse a window; raise ``ValueError`` with a one-line reason for malformed text."""
    raw = " ".join(str(text).split())
    low = raw.lower()
    if not low:
        raise ValueError(f"empty; write {FORMS}")
    if low in ("all", "latest"):
        return Spec(raw, low)  # type: ignore[arg-type]
    m = re.fullmatch(r"last\s*(\d+)(?:\s*([a-z]+))?", low)
    if m:
        count = int(m.group(1))
        word = m.group(2)
        if word is not None and word not in UNIT_WORDS:
            raise ValueError(f"'{raw}': unknown unit '{word}' (months, quarters, years or waves)")
        if count < 1:
            raise ValueError(f"'{raw}': the number of periods must be at least 1")
        return Spec(raw, "rolling", count=count, unit=UNIT_WORDS.get(word) if word else None)
    m = re.fullmatch(r"(\d{4}-\d{1,2}-\d{1,2})\s*(?:\.\.|to|–|—)\s*(\d{4}-\d{1,2}-\d{1,2})", low)
    if m:
        start, end = _date(m.group(1)), _date(m.group(2))
        if end < start:
            raise ValueError(f"'{raw}': the range ends before it starts")
        return Spec(raw, "range", start=start, end=end)
    m = re.fullmatch(r"(fy)?\s*(\d{4})\s*[-/ ]?\s*q([1-4])", low) or re.fullmatch(r"q([1-4])\s*[-/ ]?\s*(fy)?\s*(\d{4})", low)
    if m:
        if low.startswith("q"):
            quarter, fiscal, year = m.group(1), m.group(2), m.group(3)
        else:
            fiscal, year, quarter = m.group(1), m.group(2), m.group(3)
        return Spec(raw, "named", year=int(year), fiscal=bool(fiscal), quarter=int(quarter))
    m = re.fullmatch(r"(\d{4})\s*[-/]\s*(\d{1,2})", low) or re.fullmatch(r"(\d{4})\s*年\s*(\d{1,2})\s*月", low)
    if m:
        month = int(m.group(2))
        if not 1 <= month <= 12:
            raise ValueError(f"'{raw}': month {month} does not exist")
        return Spec(raw, "named", year=int(m.group(1)), month=month)
    m = re.fullmatch(r"([a-z]{3})[a-z]*\.?\s+(\d{4})", low)
    if m and m.group(1) in MONTHS:
        return Spec(raw, "named", year=int(m.group(2)), month=MONTHS[m.group(1)])
    m = re.fullmatch(r"(fy)?\s*(\d{4})\s*年?", low)
    if m:
        return Spec(raw, "named", year=int(m.group(2)), fiscal=bool(m.group(1)))
    if re.fullmatch(r"[\d\s./:-]+", low):
        raise ValueError(f"'{raw}' is not a period; write {FORMS}")
    return Spec(raw, "named", name=raw)


def spec_problem(spec: Spec, periods: Periods) -> str | None:
    """Why ``spec`` cannot describe periods of this project (its unit, fiscal year, waves),
    or None. Checked when the project file is loaded, before any data is read."""
    unit = periods.unit
    fiscal = periods.fiscal_year_start != 1
    if spec.kind == "rolling":
        if spec.unit is not None and _factor(spec.unit, unit) is None:
            return (f"'{spec.text}': this project's periods are {unit}s (periods.unit), which do not add up to "
                    f"{spec.unit}s; write last N {unit}s")
        return None
    if spec.kind != "named":
        return None
    if unit == "wave":
        names = [w.name for w in periods.waves]
        if spec.name is None or spec.name.casefold() not in {n.casefold() for n in names}:
            from cxreport.util import did_you_mean

            return (f"'{spec.text}' is not one of the waves ({', '.join(names)})"
                    f"{did_you_mean(spec.text, names) if spec.name else ''}")
        return None
    if spec.name is not None:
        return f"'{spec.text}' is not a period; write {FORMS}"
    order = {"month": 0, "quarter": 1, "year": 2}
    if order[spec.grain] < order[unit]:
        return (f"'{spec.text}' is a {spec.grain}, but this project's periods are {unit}s (periods.unit); "
                f"name a {unit} or a longer period")
    if fiscal and spec.grain != "month" and not spec.fiscal:
        start = periods.fiscal_year_start
        if spec.quarter:
            first = 3 * (spec.quarter - 1) + 1                 # the calendar quarter's first month
            fy = spec.year + (1 if first >= start else 0)
            if (first - start) % 3 == 0:
                hint = f"{spec.text} is FY{fy}-Q{(first - start) % 12 // 3 + 1}"
            else:
                hint = f"its months fall in two fiscal quarters of FY{fy}; name a fiscal quarter such as FY{fy}-Q1"
        else:
            hint = (f"FY{spec.year + 1} runs from {_MONTH_NAMES[start - 1]} {spec.year} to "
                    f"{_MONTH_NAMES[(start - 2) % 12]} {spec.year + 1}")
        return (f"'{spec.text}': this project counts fiscal years (periods.fiscal_year_start: "
                f"{periods.fiscal_year_start}); write them with FY ({hint})")
    return None


def _factor(written: str, unit: str) -> int | None:
    """How many project periods one ``written`` period holds (None when it does not divide)."""
    if written == unit:
        return 1
    if "wave" in (written, unit):
        return None
    per = PER_YEAR
    if per[unit] % per[written] or per[unit] < per[written]:
        return None
    return per[unit] // per[written]


# --------------------------------------------------------------------------- spans and windows


@dataclass(frozen=True)
class Span:
    """The rows of some periods (by key), of a date range, or of every response."""

    label: str
    keys: tuple[int, ...] = ()
    start: dt.date | None = None
    end: dt.date | None = None
    everything: bool = False
    periods: tuple[Period, ...] = ()       # the calendar periods the span covers, in order

    def mask(self, data: SurveyData) -> np.ndarray:
        n = data.n
        if self.everything:
            return np.ones(n, dtype=bool)
        if self.keys:
            if data.period_codes is None or not data.periods:
                return np.zeros(n, dtype=bool)
            keys = np.array([p.key for p in data.periods] + [-10**9], dtype=np.int64)
            codes = np.where(data.period_codes >= 0, data.period_codes, len(data.periods))
            return np.isin(keys[codes], np.array(self.keys, dtype=np.int64))
        if self.start is not None and data.dates is not None:
            dates = data.dates.to_numpy(dtype="datetime64[ns]")
            with np.errstate(invalid="ignore"):
                return (dates >= np.datetime64(self.start)) & (dates <= np.datetime64(self.end))
        return np.zeros(n, dtype=bool)


@dataclass(frozen=True)
class Window:
    """A resolved window: its span and the spans it is compared with."""

    spec: str
    kind: Kind
    unit: str
    span: Span
    previous: Span | None = None
    year_ago: Span | None = None
    baseline: Span | None = None
    fiscal_year_start: int = 1
    dated: bool = True                  # False: the study has no dates and is one period

    @property
    def label(self) -> str:
        return self.span.label

    @property
    def comparisons(self) -> list[tuple[str, Span]]:
        return [(k, s) for k, s in (("previous", self.previous), ("year_ago", self.year_ago),
                                    ("baseline", self.baseline)) if s is not None]

    @property
    def last_key(self) -> int | None:
        return self.span.periods[-1].key if self.span.periods else None

    def pooled(self, n: int) -> Span:
        """The ``n`` periods ending with the window's last (the window itself when it already
        holds as many, or when it is not made of periods)."""
        if self.kind in ("all", "range") or not self.dated or len(self.span.keys) >= n or self.last_key is None:
            return self.span
        last = self.last_key
        keys = [step(last, self.unit, -i) for i in range(n - 1, -1, -1)]
        periods = tuple(self._period(k) for k in keys)
        return Span(span_label(list(periods), pooled=True), tuple(keys), periods=periods)

    def _period(self, key: int) -> Period:
        return _calendar_period(key, self.unit, self.fiscal_year_start, self.span.periods)


def span_label(periods: list[Period], *, pooled: bool | None = None) -> str:
    """The one way a report names a period: '2026 Q3'; several periods 'pooled 2025 Q4 – 2026 Q3'."""
    if not periods:
        return ""
    if len(periods) == 1:
        return periods[0].label
    text = _("{first} – {last}").format(first=periods[0].label, last=periods[-1].label)
    return _("pooled {periods}").format(periods=text) if pooled is not False else text


def versus(now: str, before: str) -> str:
    """'2026 Q3 vs 2026 Q2'."""
    return _("{now} vs {before}").format(now=now, before=before)


def date_range_label(start: dt.date, end: dt.date) -> str:
    from cxreport.present.render import long_date

    return _("{first} – {last}").format(first=long_date(start), last=long_date(end))


def _calendar_period(key: int, unit: str, fy_start: int, known: tuple[Period, ...] | list[Period] = ()) -> Period:
    for p in known:
        if p.key == key:
            return p
    return make_period(key, unit, fy_start)


class WindowError(ValueError):
    """A window that names no responses or no period of the study."""


def _wave_periods(cfg: Periods) -> list[Period]:
    from cxreport.periods import wave_period

    return [wave_period(i + 1, w) for i, w in enumerate(cfg.waves)]


def _named_keys(spec: Spec, cfg: Periods) -> tuple[list[int], str]:
    """Keys at the project's unit of a named period, and its label."""
    unit, fy = cfg.unit, cfg.fiscal_year_start
    if unit == "wave":
        for i, w in enumerate(cfg.waves):
            if w.name.casefold() == (spec.name or "").casefold():
                return [i + 1], w.name
        raise WindowError(spec_problem(spec, cfg) or spec.text)  # pragma: no cover - checked at load
    grain = spec.grain
    if grain == "month":
        month_key = spec.year * 100 + spec.month
        if unit == "month":
            return [month_key], make_period(month_key, "month", fy).label
        raise WindowError(spec_problem(spec, cfg) or spec.text)  # pragma: no cover - checked at load
    if grain == "quarter":
        key = spec.year * 100 + spec.quarter
        label = make_period(key, "quarter", fy).label
        if unit == "quarter":
            return [key], label
        start = make_period(key, "quarter", fy).start              # unit month: its three months
        first = start.year * 100 + start.month
        return [step(first, "month", i) for i in range(3)], label
    # a year
    key = spec.year * 100
    label = make_period(key, "year", fy).label
    if unit == "year":
        return [key], label
    if unit == "quarter":
        return [key + q for q in range(1, 5)], label
    start = make_period(key, "year", fy).start
    first = start.year * 100 + start.month
    return [step(first, "month", i) for i in range(12)], label


def resolve(spec_text: str, project: Project, data: SurveyData, *, baseline: str | None = None,
            where: str = "report.period", baseline_where: str = "report.baseline") -> Window:
    """Resolve a window against the study's periods. Raises :class:`~cxreport.errors.ConfigError`
    naming ``where`` (the project key or the command-line option) and the periods that exist."""
    from cxreport.errors import ConfigError

    cfg = project.periods
    try:
        spec = parse_spec(spec_text)
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    problem = spec_problem(spec, cfg)
    if problem:
        raise ConfigError(f"{where}: {problem}")
    unit, fy = cfg.unit, cfg.fiscal_year_start
    periods = list(data.periods) if data.period_codes is not None else []
    dated = data.dates is not None

    if not dated:
        if spec.kind not in ("all", "latest"):
            raise ConfigError(f"{where}: '{spec.text}' names a period, but this study has no response dates "
                              "(columns.date), so it is one period; use latest or all")
        if baseline:
            raise ConfigError(f"{baseline_where}: this study has no response dates (columns.date), so there is "
                              "nothing to compare with")
        return Window(spec.text, spec.kind, unit, Span(_undated_label(project), everything=True),
                      fiscal_year_start=fy, dated=False)
    if not periods:
        raise ConfigError(f"{where}: no response has a valid date in columns.date, so no period can be reported; "
                          "use all")

    known = ", ".join(p.label for p in periods)
    window_span, kind = _span(spec, cfg, periods, where, known)
    previous = year_ago = None
    named = None
    if kind == "named" and spec.grain is not None and spec.grain != unit:
        named = (spec.grain, spec.year * 100 + (spec.quarter or 0))
    if kind != "all":
        previous, year_ago = _neighbours(window_span, kind, unit, fy, periods, named)
    base_span = None
    if baseline:
        try:
            base_spec = parse_spec(baseline)
        except ValueError as exc:
            raise ConfigError(f"{baseline_where}: {exc}") from None
        problem = spec_problem(base_spec, cfg)
        if problem:
            raise ConfigError(f"{baseline_where}: {problem}")
        if base_spec.kind == "all":
            raise ConfigError(f"{baseline_where}: the baseline is a period to compare with, not all")
        base_span, _kind = _span(base_spec, cfg, periods, baseline_where, known)
        if kind == "all" or _overlap(base_span, window_span):
            raise ConfigError(f"{baseline_where}: '{baseline}' overlaps the reporting window ({window_span.label}); "
                              "a baseline must lie outside it")
        base_span = Span(base_span.label, base_span.keys, base_span.start, base_span.end, periods=base_span.periods)
    window = Window(spec.text, kind, unit, window_span, previous, year_ago, base_span, fy)
    mask = window_span.mask(data)
    if not mask.any():
        raise ConfigError(f"{where}: no responses in {window_span.label}; the periods with responses are {known}")
    return window


def _dates_of(span: Span) -> tuple[dt.date, dt.date] | None:
    if span.start is not None:
        return span.start, span.end
    if span.periods:
        return span.periods[0].start.date(), span.periods[-1].end.date()
    return None


def _overlap(a: Span, b: Span) -> bool:
    """Whether two spans share a day (period spans by their periods' dates, ranges by theirs)."""
    if set(a.keys) & set(b.keys):
        return True
    da, db = _dates_of(a), _dates_of(b)
    return da is not None and db is not None and da[0] <= db[1] and db[0] <= da[1]


def _undated_label(project: Project) -> str:
    fw = project.report.fieldwork
    if fw.start and fw.end:
        return date_range_label(fw.start, fw.end)
    return _("all responses")


def _span(spec: Spec, cfg: Periods, periods: list[Period], where: str, known: str) -> tuple[Span, Kind]:
    from cxreport.errors import ConfigError

    unit, fy = cfg.unit, cfg.fiscal_year_start
    if spec.kind == "all":
        return Span(span_label(periods, pooled=True), everything=True, periods=tuple(periods)), "all"
    if spec.kind == "latest":
        return Span(periods[-1].label, (periods[-1].key,), periods=(periods[-1],)), "latest"
    if spec.kind == "rolling":
        n = spec.count * (_factor(spec.unit, unit) if spec.unit else 1)
        last = periods[-1].key
        keys = [step(last, unit, -i) for i in range(n - 1, -1, -1)]
        if unit == "wave":
            keys = [k for k in keys if k >= 1]
        covered = tuple(_key_period(k, cfg, periods) for k in keys)
        return Span(span_label(list(covered), pooled=True), tuple(keys), periods=covered), "rolling"
    if spec.kind == "range":
        covered = tuple(p for p in periods if p.start.date() <= spec.end and p.end.date() >= spec.start)
        return Span(date_range_label(spec.start, spec.end), start=spec.start, end=spec.end, periods=covered), "range"
    keys, label = _named_keys(spec, cfg)
    have = {p.key for p in periods}
    if not have & set(keys):
        raise ConfigError(f"{where}: no responses in {label}; the periods with responses are {known}")
    covered = tuple(_key_period(k, cfg, periods) for k in keys)
    return Span(label, tuple(keys), periods=covered), "named"


def _key_period(key: int, cfg: Periods, periods: list[Period]) -> Period:
    if cfg.unit == "wave":
        waves = _wave_periods(cfg)
        return next(p for p in waves if p.key == key)
    return _calendar_period(key, cfg.unit, cfg.fiscal_year_start, periods)


def _neighbours(span: Span, kind: Kind, unit: str, fy: int, periods: list[Period],
                named: tuple[str, int] | None = None) -> tuple[Span | None, Span | None]:
    """The previous run of as many periods (or days), and the same periods a year earlier
    (none for a run of a year or more: it would overlap the window). ``named`` = (grain, key)
    of a window named at a coarser grain than the unit (a quarter of a monthly project, a
    year): its comparisons are named the same way ("2025 Q2", "2025")."""
    if kind == "range":
        days = (span.end - span.start).days + 1
        p_end = span.start - dt.timedelta(days=1)
        p_start = p_end - dt.timedelta(days=days - 1)
        previous = Span(date_range_label(p_start, p_end), start=p_start, end=p_end)
        y_start, y_end = _year_back(span.start), _year_back(span.end)
        if y_end >= span.start:
            return previous, None
        return previous, Span(date_range_label(y_start, y_end), start=y_start, end=y_end)
    keys = list(span.keys)
    n = len(keys)
    first = keys[0]
    if unit == "wave":
        prev_keys = [k for k in (first - n + i for i in range(n)) if k >= 1]
        previous = None
        if prev_keys:
            covered = tuple(p for p in periods if p.key in prev_keys) or ()
            previous = Span(_label_keys(prev_keys, unit, fy, periods), tuple(prev_keys), periods=covered)
        return previous, None
    prev_keys = [step(first, unit, -n + i) for i in range(n)]
    prev_label = _label_keys(prev_keys, unit, fy, periods)
    if named is not None:
        grain, key = named
        prev_label = make_period(step(key, grain, -1), grain, fy).label
    previous = Span(prev_label, tuple(prev_keys),
                    periods=tuple(_calendar_period(k, unit, fy, periods) for k in prev_keys))
    year_ago = None
    if unit != "year" and n < PER_YEAR[unit]:          # a year's run is its own previous period
        ya_keys = [k - 100 for k in keys]
        ya_label = _label_keys(ya_keys, unit, fy, periods)
        if named is not None:
            ya_label = make_period(named[1] - 100, named[0], fy).label
        year_ago = Span(ya_label, tuple(ya_keys),
                        periods=tuple(_calendar_period(k, unit, fy, periods) for k in ya_keys))
    return previous, year_ago


def _label_keys(keys: list[int], unit: str, fy: int, periods: list[Period]) -> str:
    covered = [_calendar_period(k, unit, fy, periods) for k in keys]
    return span_label(covered, pooled=True)


def _year_back(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:              # 29 February
        return day.replace(year=day.year - 1, day=28)


def previous_span(window: Window, span: Span | None) -> Span | None:
    """The run of as many periods just before ``span`` (the window's own previous period when
    ``span`` is the window); None for 'all' and an undated study."""
    if span is None or span is window.span:
        return window.previous
    if window.kind == "all" or not window.dated or not span.keys:
        return None
    previous, _year = _neighbours(span, "rolling", window.unit, window.fiscal_year_start, list(span.periods))
    return previous


# --------------------------------------------------------------------------- the view


@dataclass(frozen=True)
class Scope:
    """Which rows a section describes: its label, and whether it pooled more than the window."""

    label: str
    pooled: bool = False
    periods: int = 1
    span: Span | None = None


@dataclass
class View:
    """The study seen through the window: taken once, handed to every section."""

    window: Window
    full: SurveyData                       # every response (trends)
    data: SurveyData                       # the window's responses
    mask: np.ndarray                       # the window's rows among ``full``
    comparisons: dict[str, tuple[Span, SurveyData, np.ndarray]] = field(default_factory=dict)
    pools: dict[str, int] = field(default_factory=dict)   # report.pool
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def label(self) -> str:
        return self.window.label

    def comparison(self, kind: str) -> tuple[Span, SurveyData, np.ndarray] | None:
        return self.comparisons.get(kind)

    def scope(self, section: str) -> Scope:
        """The scope of ``section``: the window, or the pooled run ``report.pool`` asks for."""
        n = self.pools.get(section)
        if not n:
            return Scope(self.label, False, max(1, len(self.window.span.keys)), self.window.span)
        span = self.window.pooled(n)
        return Scope(span.label, span is not self.window.span, max(1, len(span.keys)), span)

    def section_data(self, section: str, project: Project) -> SurveyData:
        """The rows ``section`` is computed from (the window's, or its pooled run's)."""
        scope = self.scope(section)
        if not scope.pooled:
            return self.data
        key = scope.span.keys
        if key not in self._cache:
            from cxreport.validate import subset

            self._cache[key] = subset(project, self.full, np.flatnonzero(scope.span.mask(self.full)))
        return self._cache[key]


def apply(window: Window, project: Project, data: SurveyData) -> View:
    """Cut the validated data to the window and to each comparison, once."""
    from cxreport.validate import subset

    mask = window.span.mask(data)
    if mask.all():
        view_data = data
    else:
        view_data = subset(project, data, np.flatnonzero(mask))
    comparisons = {}
    for kind, span in window.comparisons:
        rows = span.mask(data)
        if rows.any():
            comparisons[kind] = (span, subset(project, data, np.flatnonzero(rows)), rows)
    return View(window, data, view_data, mask, comparisons, dict(project.report.pool))
