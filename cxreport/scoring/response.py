"""Feedback response times and closed-loop follow-up (docs/cases.md): pure functions on a
loaded :class:`~cxreport.load.cases.CaseLog` and the study's reporting window.

Definitions (the same in the report, the scores JSON, the workbook and the deck):

- **Response time**: first response − received, between instants. A case is **due** when it
  was answered, or when it is still unanswered and its channel's standard has passed at the
  log's last timestamp (``as_of``); an unanswered case still inside its standard is
  **pending** and left out of compliance. **Compliance** = cases answered within their
  channel's standard ÷ due cases, with a Wilson 95 % interval (METHODS.md, proportions);
  a base (due cases) below ``bases.suppress_below`` is not shown, below ``flag_below`` flagged.
- **Median and P90** of the response time are of the answered cases; the P90 is the nearest
  rank (the smallest time within which at least 90 % were answered), as is the median of an
  odd count (an even count takes the mean of the two middle times).
- **Closure time**: closed − received of the closed cases; closure compliance against
  ``cases.closure`` like response compliance.
- **Window**: cases received in the window's dates (their received time in
  ``periods.timezone``); the change is against the window's previous period, tested with the
  two-proportion z-test; the trend is every period up to the window's end.
- **Backlog**: cases received by the window's end (or by ``as_of`` when earlier) and not yet
  closed then (not yet answered, when the log has no closed column), with their age bands.
- **Detractor follow-up**: of the window's survey respondents with NPS 0–6 (unweighted), the
  share with a linked case received on or after the day of their response, and the share
  whose linked case was answered within its channel's standard, each with its interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np
import pandas as pd

from cxreport.config.schema import adjust_method
from cxreport.scoring.stats import adjust_pvalues, two_proportion_ztest, wilson

#: The label of blank category or segment values.
NOT_STATED = "Not stated"


@dataclass
class Compliance:
    """Response-time figures of one group of cases (a channel, a period, a segment group)."""

    label: str
    standard: float | None          # seconds; None for a mix of channels
    cases: int = 0                  # received in the span
    answered: int = 0
    due: int = 0                    # the base of compliance
    within: int = 0
    pending: int = 0
    share: float | None = None      # % of due cases answered within the standard
    low: float | None = None
    high: float | None = None
    base: str = "ok"                # ok, small, suppressed (by bases.suppress_below / flag_below on ``due``)
    median: float | None = None     # seconds, of answered cases
    p90: float | None = None
    closed: int = 0
    closure_median: float | None = None
    closure_p90: float | None = None
    closure_due: int = 0
    closure_within: int = 0
    closure_share: float | None = None
    closure_low: float | None = None
    closure_high: float | None = None
    previous: float | None = None   # the previous period's share
    previous_due: int = 0
    change: float | None = None     # share − previous (percentage points)
    p_value: float | None = None
    mark: int = 0                   # +1 / −1 significant rise / fall
    status: str | None = None       # green / amber / red / none against cases.target
    p_adjusted: float | None = None  # adjusted with the other channels' changes (METHODS.md §8)


@dataclass
class Breakdown:
    name: str
    rows: list[Compliance]


@dataclass
class AgeBand:
    label_low: float                # seconds
    label_high: float | None        # None: open-ended
    count: int
    share: float | None


@dataclass
class Backlog:
    at: pd.Timestamp                # local time of periods.timezone
    basis: str                      # "closed" or "first_response": what makes a case no longer open
    open: int
    by_channel: dict[str, int]
    bands: list[AgeBand]
    overdue: int | None             # open past the closure standard (or past the channel's standard)
    overdue_rule: str               # "closure" or "response"


@dataclass
class FollowUp:
    detractors: int
    contacted: int
    within: int
    contacted_share: float | None
    contacted_low: float | None
    contacted_high: float | None
    share: float | None             # % contacted within the standard
    low: float | None
    high: float | None
    base: str
    unmatched: int                  # case respondent ids not found among the survey's respondents


@dataclass
class ResponseReport:
    file: str
    period: str                             # the window's label
    previous: str | None                    # the previous period's label
    standards: dict[str, float]
    closure: float | None
    target: float | None
    tolerance: float
    channels: list[Compliance]
    total: Compliance
    trend: list[dict] = field(default_factory=list)         # {label, key, total, channels: {name: Compliance}}
    breakdowns: list[Breakdown] = field(default_factory=list)
    backlog: Backlog | None = None
    follow_up: FollowUp | None = None
    rows_read: int = 0
    rows_used: int = 0
    excluded: dict[str, int] = field(default_factory=dict)
    as_of: pd.Timestamp | None = None       # the latest stamp in the log, local time
    alpha: float = 0.05
    suppress_below: int = 30
    flag_below: int = 50


def percentile_rank(values: np.ndarray, q: float) -> float | None:
    """The nearest-rank percentile: the smallest value with at least ``q`` % of values at or below it."""
    values = np.sort(np.asarray(values, dtype=float))
    if not len(values):
        return None
    k = max(1, math.ceil(q / 100 * len(values)))
    return float(values[k - 1])


def _base(n: int, suppress_below: int, flag_below: int) -> str:
    return "suppressed" if n < suppress_below else ("small" if n < flag_below else "ok")


def compliance(label: str, frame: pd.DataFrame, standards: dict[str, float], closure: float | None,
               as_of: np.datetime64, rules: tuple[int, int], standard: float | None = None) -> Compliance:
    """The figures of the cases in ``frame`` (each judged against its own channel's standard)."""
    return _compliance(label, _Cases.of(frame, standards), closure, as_of, rules, standard)


@dataclass
class _Cases:
    """The columns :func:`compliance` reads, as arrays: received, first response and closed
    (datetime64[ns]) and each case's standard (seconds, from its channel)."""

    received: np.ndarray
    first: np.ndarray
    closed: np.ndarray
    limit: np.ndarray

    @classmethod
    def of(cls, frame: pd.DataFrame, standards: dict[str, float]) -> "_Cases":
        return cls(frame["received"].to_numpy(dtype="datetime64[ns]"),
                   frame["first_response"].to_numpy(dtype="datetime64[ns]"),
                   frame["closed"].to_numpy(dtype="datetime64[ns]"),
                   frame["channel"].map(standards).to_numpy(dtype=float))

    def __len__(self) -> int:
        return len(self.received)

    def take(self, mask: np.ndarray) -> "_Cases":
        return _Cases(self.received[mask], self.first[mask], self.closed[mask], self.limit[mask])


def _compliance(label: str, cases: _Cases, closure: float | None, as_of: np.datetime64, rules: tuple[int, int],
                standard: float | None = None) -> Compliance:
    """:func:`compliance` of cases already read into arrays (a study scores some 70 groups of one
    log: its columns are read once and each group's rows taken from the arrays)."""
    out = Compliance(label, standard, cases=len(cases))
    if not len(cases):
        out.base = "suppressed"
        return out
    received, first, closed, limit = cases.received, cases.first, cases.closed, cases.limit
    answered = ~np.isnat(first)
    seconds = (first - received).astype("timedelta64[ns]").astype(np.int64) / 1e9
    waited = (as_of - received).astype("timedelta64[ns]").astype(np.int64) / 1e9
    within = answered & (seconds <= limit)
    due = answered | (waited > limit)
    out.answered = int(answered.sum())
    out.due, out.within = int(due.sum()), int(within.sum())
    out.pending = out.cases - out.due
    out.base = _base(out.due, *rules)
    if out.due:
        p = out.within / out.due
        low, high = wilson(p, out.due)
        out.share, out.low, out.high = 100 * p, 100 * low, 100 * high
    times = seconds[answered]
    if len(times) and standard is not None:      # times of one channel; a mix of channels has none
        out.median = float(np.median(times))
        out.p90 = percentile_rank(times, 90)
    is_closed = ~np.isnat(closed)
    out.closed = int(is_closed.sum())
    closure_times = ((closed - received).astype("timedelta64[ns]").astype(np.int64) / 1e9)[is_closed]
    if len(closure_times):
        out.closure_median = float(np.median(closure_times))
        out.closure_p90 = percentile_rank(closure_times, 90)
    if closure is not None:
        c_due = is_closed | (waited > closure)
        c_within = is_closed & (((closed - received).astype("timedelta64[ns]").astype(np.int64) / 1e9) <= closure)
        out.closure_due, out.closure_within = int(c_due.sum()), int(c_within.sum())
        if out.closure_due:
            p = out.closure_within / out.closure_due
            low, high = wilson(p, out.closure_due)
            out.closure_share, out.closure_low, out.closure_high = 100 * p, 100 * low, 100 * high
    return out


def _compare(now: Compliance, before: Compliance | None, alpha: float) -> None:
    if before is None or not before.due or not now.due:
        return
    now.previous, now.previous_due = before.share, before.due
    now.change = now.share - before.share
    if now.base == "suppressed" or before.base == "suppressed":
        return
    test = two_proportion_ztest(now.within, now.due, before.within, before.due)
    now.p_value = test.p_value if math.isfinite(test.p_value) else None
    now.p_adjusted = now.p_value       # a comparison on its own; _adjust_channels adjusts a table
    if test.significant(alpha):
        now.mark = test.direction


def _adjust_channels(rows: list[Compliance], alpha: float) -> None:
    """The channels' changes against the previous period are one table (METHODS.md §8): their
    p-values are adjusted together and each mark re-decided. The total and each step of the
    trend are single comparisons, left as they are (so the total's change and the trend's last
    step agree)."""
    tested = [c for c in rows if c.p_value is not None]
    for c, q in zip(tested, adjust_pvalues([c.p_value for c in tested], adjust_method(alpha))):
        c.p_adjusted = float(q)
        c.mark = (1 if c.change > 0 else -1) if q <= alpha and c.change else 0


def _groups(values: np.ndarray) -> list[str]:
    from cxreport.validate import natural_key

    labels = {v for v in values if v}
    return sorted(labels, key=natural_key) + ([""] if (values == "").any() else [])


def _local_instant(day, zone: str) -> np.datetime64:
    """Local midnight starting ``day`` in ``zone``, as a UTC instant."""
    stamp = pd.Timestamp(day).normalize().tz_localize(zone, ambiguous=True, nonexistent="shift_forward")
    return np.datetime64(stamp.tz_convert("UTC").tz_localize(None).to_datetime64(), "ns")


def score_response_times(log, project, window, *, survey=None, survey_ids: np.ndarray | None = None,
                         known_ids: set[str] | None = None,
                         segment: tuple[str, str] | None = None) -> ResponseReport | None:
    """Response-time figures of ``log`` for ``window`` (a :class:`~cxreport.window.Window`).

    ``survey`` (the window's :class:`~cxreport.validate.SurveyData`) and ``survey_ids`` (its
    respondent ids, one per row) give the detractor follow-up when the log links cases to
    respondents; ``known_ids`` (every respondent id of the survey file) counts the linked ids
    that match no respondent. ``segment`` = (name, group) keeps the cases of one group of a case-log
    segment (a ``--per`` unit's report); None when the log has no such segment."""
    from cxreport import i18n
    from cxreport.benchmark.targets import status as rule_status
    from cxreport.periods import assign_periods

    cfg = project.cases
    frame = log.frame
    if segment is not None:
        column = f"seg:{segment[0]}"
        if column not in frame.columns:
            return None
        frame = frame[frame[column].map(lambda t: t.casefold()) == str(segment[1]).casefold()].reset_index(drop=True)
    rules = (project.bases.suppress_below, project.bases.flag_below)
    alpha = project.significance.alpha
    as_of = np.datetime64(log.as_of.to_datetime64(), "ns")
    local_days = pd.Series(frame["local"].to_numpy(dtype="datetime64[ns]")).dt.normalize()
    with i18n.use_language(project.language):
        codes, periods = assign_periods(local_days, project.periods.unit, project.periods.fiscal_year_start,
                                        project.periods.waves)
    cases_view = SimpleNamespace(n=len(frame), period_codes=codes, periods=periods, dates=local_days)
    if window.dated:
        in_window = window.span.mask(cases_view)
    else:
        in_window = np.ones(len(frame), dtype=bool)
    previous_span = window.previous if window.dated else None
    in_previous = previous_span.mask(cases_view) if previous_span is not None else None

    cases = _Cases.of(frame, log.standards)

    def score(label: str, mask: np.ndarray, standard: float | None = None) -> Compliance:
        return _compliance(label, cases.take(np.asarray(mask, dtype=bool)), log.closure, as_of, rules, standard)

    def judge(c: Compliance) -> None:
        if cfg.target is not None and c.base != "suppressed" and c.share is not None:
            c.status = rule_status(c.share, cfg.target, cfg.tolerance, "percent")
        elif cfg.target is not None:
            c.status = "none"

    channel = frame["channel"].to_numpy(dtype=object)
    channels = []
    for name, seconds in log.standards.items():
        c = score(name, in_window & (channel == name), seconds)
        if in_previous is not None:
            _compare(c, score(name, in_previous & (channel == name), seconds), alpha)
        judge(c)
        channels.append(c)
    _adjust_channels(channels, alpha)
    total = score("", in_window)
    if in_previous is not None:
        _compare(total, score("", in_previous), alpha)
    judge(total)

    trend = []
    last = window.last_key
    for k, period in enumerate(periods):
        if last is not None and period.key > last:
            continue
        mask = codes == k
        trend.append({"label": period.label, "key": period.key, "total": score(period.label, mask),
                      "channels": {name: score(name, mask & (channel == name), s)
                                   for name, s in log.standards.items()}})
    for before, now in zip(trend, trend[1:]):
        _compare(now["total"], before["total"], alpha)

    breakdowns = []
    named = [("category", "category")] if log.has_category else []
    named += [(seg, f"seg:{seg}") for seg in log.segments]
    for name, column in named:
        values = frame[column].to_numpy(dtype=object)
        rows = []
        for group in _groups(values[in_window]):
            c = score(group or NOT_STATED, in_window & (values == group))
            judge(c)
            rows.append(c)
        breakdowns.append(Breakdown("category" if column == "category" else name, rows))

    backlog = _backlog(frame, log, cfg, window, as_of)
    follow_up = None
    if log.linked and survey is not None and survey_ids is not None:
        follow_up = _follow_up(frame, log, survey, survey_ids, as_of, rules, known_ids)
    as_of_local = pd.Timestamp(log.as_of).tz_localize("UTC").tz_convert(log.zone).tz_localize(None)
    return ResponseReport(log.file, window.label, previous_span.label if previous_span is not None else None,
                          dict(log.standards), log.closure, cfg.target, cfg.tolerance, channels, total, trend,
                          breakdowns, backlog, follow_up, log.rows_read, log.rows_used,
                          {k: len(v) for k, v in log.excluded.items()}, as_of_local, alpha, *rules)


def _window_end(window, log, as_of: np.datetime64) -> np.datetime64:
    """The end of the window as a UTC instant (local midnight after its last day), at most ``as_of``."""
    span = window.span if window.dated else None
    end = None
    if span is not None and span.start is not None and span.end is not None:
        end = _local_instant(pd.Timestamp(span.end) + pd.Timedelta(days=1), log.zone)
    elif span is not None and span.periods and not span.everything:
        end = _local_instant(span.periods[-1].end + pd.Timedelta(days=1), log.zone)
    return as_of if end is None or end > as_of else end


def _backlog(frame: pd.DataFrame, log, cfg, window, as_of: np.datetime64) -> Backlog:
    moment = _window_end(window, log, as_of)
    basis = "closed" if log.has_closed else "first_response"
    received = frame["received"].to_numpy(dtype="datetime64[ns]")
    done = frame[basis].to_numpy(dtype="datetime64[ns]")
    with np.errstate(invalid="ignore"):
        open_ = (received <= moment) & (np.isnat(done) | (done > moment))
    age = (moment - received[open_]).astype("timedelta64[ns]").astype(np.int64) / 1e9
    channel = frame["channel"].to_numpy(dtype=object)[open_]
    by_channel = {name: int((channel == name).sum()) for name in log.standards}
    edges = [0.0, *cfg.ageing]
    bands = []
    total = int(open_.sum())
    for k, low in enumerate(edges):
        high = edges[k + 1] if k + 1 < len(edges) else None
        count = int(((age >= low) & (age < high)).sum()) if high is not None else int((age >= low).sum())
        bands.append(AgeBand(low, high, count, 100 * count / total if total else None))
    if log.closure is not None and log.has_closed:
        overdue, rule = int((age > log.closure).sum()), "closure"
    else:
        limit = pd.Series(channel, dtype=object).map(log.standards).to_numpy(dtype=float)
        overdue, rule = int((age > limit).sum()), "response"
    at = pd.Timestamp(moment).tz_localize("UTC").tz_convert(log.zone).tz_localize(None)
    return Backlog(at, basis, total, by_channel, bands, overdue, rule)


def _follow_up(frame: pd.DataFrame, log, survey, survey_ids: np.ndarray, as_of: np.datetime64,
               rules: tuple[int, int], known_ids: set[str] | None = None) -> FollowUp | None:
    if "nps" not in survey.values:
        return None
    nps = survey.values["nps"]
    with np.errstate(invalid="ignore"):
        detractor = nps <= 6
    ids = np.asarray(survey_ids, dtype=object)
    dates = survey.dates.to_numpy(dtype="datetime64[ns]") if survey.dates is not None else None
    linked = frame[frame["respondent_id"] != ""]
    received = linked["received"].to_numpy(dtype="datetime64[ns]")
    first = linked["first_response"].to_numpy(dtype="datetime64[ns]")
    limit = linked["channel"].map(log.standards).to_numpy(dtype=float)
    seconds = (first - received).astype("timedelta64[ns]").astype(np.int64) / 1e9
    in_time = ~np.isnat(first) & (seconds <= limit)
    local_day = pd.Series(linked["local"].to_numpy(dtype="datetime64[ns]")).dt.normalize().to_numpy()
    by_id: dict[str, list[int]] = {}
    for k, rid in enumerate(linked["respondent_id"].to_numpy(dtype=object)):
        by_id.setdefault(rid, []).append(k)
    contacted = within = 0
    positions = np.flatnonzero(detractor)
    for position in positions:
        cases = by_id.get(str(ids[position]).strip(), [])
        if dates is not None and not np.isnat(dates[position]):
            cases = [k for k in cases if local_day[k] >= dates[position]]
        if cases:
            contacted += 1
            if any(in_time[k] for k in cases):
                within += 1
    n = len(positions)
    known = known_ids if known_ids is not None else {str(i).strip() for i in ids}
    unmatched = len({rid for rid in by_id if rid not in known})

    def share(x: int) -> tuple[float | None, float | None, float | None]:
        if not n:
            return None, None, None
        low, high = wilson(x / n, n)
        return 100 * x / n, 100 * low, 100 * high

    c_share, c_low, c_high = share(contacted)
    w_share, w_low, w_high = share(within)
    return FollowUp(n, contacted, within, c_share, c_low, c_high, w_share, w_low, w_high,
                    _base(n, *rules), unmatched)


def study_response_times(project, table, view, log, unit=None) -> ResponseReport | None:
    """The response-time figures of a study: ``log`` (a loaded case log, or None) scored for
    the view's window, with the detractor follow-up of the window's survey respondents.
    ``unit`` (a ``--per`` unit's :class:`~cxreport.scoring.units.UnitReport`) keeps the cases
    of the case-log segment of the same name; without one the unit's report has no section."""
    if log is None:
        return None
    segment = (unit.segment, unit.label) if unit is not None else None
    ids = known = None
    id_column = project.columns.respondent_id
    if log.linked and id_column and id_column in table.frame.columns:
        every = table.frame[id_column].astype(str).str.strip()
        rows = view.data.comments["row"].to_numpy(dtype=np.int64) - table.first_data_row
        ids = every.to_numpy(dtype=object)[table.frame.index.get_indexer(rows)]
        known = set(every)
    return score_response_times(log, project, view.window, survey=view.data, survey_ids=ids, known_ids=known,
                                segment=segment)


def _r(value, digits: int = 6):
    if value is None:
        return None
    value = float(value)
    return round(value, digits) if math.isfinite(value) else None


def compliance_dict(c: Compliance) -> dict:
    """One group's figures for the scores JSON (times in seconds, shares in %)."""
    return {"label": c.label, "standard_seconds": _r(c.standard), "cases": c.cases, "answered": c.answered,
            "due": c.due, "within": c.within, "pending": c.pending, "within_pct": _r(c.share),
            "low": _r(c.low), "high": _r(c.high), "base": c.base, "median_seconds": _r(c.median),
            "p90_seconds": _r(c.p90), "closed": c.closed, "closure_median_seconds": _r(c.closure_median),
            "closure_p90_seconds": _r(c.closure_p90), "closure_due": c.closure_due,
            "closure_within": c.closure_within, "closure_within_pct": _r(c.closure_share),
            "closure_low": _r(c.closure_low), "closure_high": _r(c.closure_high),
            "previous_pct": _r(c.previous), "previous_due": c.previous_due, "change_pts": _r(c.change),
            "p_value": _r(c.p_value), "p_adjusted": _r(c.p_adjusted), "mark": c.mark, "status": c.status}


def report_dict(r: ResponseReport | None) -> dict | None:
    """The ``response_times`` block of the scores JSON (docs/scores-json.md); None without a case log."""
    if r is None:
        return None
    b, f = r.backlog, r.follow_up
    return {
        "file": r.file, "period": r.period, "previous_period": r.previous,
        "rows_read": r.rows_read, "rows_used": r.rows_used, "excluded": dict(r.excluded),
        "as_of": r.as_of.isoformat() if r.as_of is not None else None,
        "standards_seconds": {k: _r(v) for k, v in r.standards.items()},
        "closure_standard_seconds": _r(r.closure), "target_pct": _r(r.target), "tolerance_pts": _r(r.tolerance),
        "channels": [compliance_dict(c) for c in r.channels],
        "total": compliance_dict(r.total),
        "trend": [{"period": t["label"], "key": t["key"], "total": compliance_dict(t["total"]),
                   "channels": [compliance_dict(c) for c in t["channels"].values()]} for t in r.trend],
        "breakdowns": [{"name": bd.name, "groups": [compliance_dict(c) for c in bd.rows]} for bd in r.breakdowns],
        "backlog": None if b is None else {
            "at": b.at.isoformat(), "basis": b.basis, "open": b.open, "by_channel": b.by_channel,
            "overdue": b.overdue, "overdue_rule": b.overdue_rule,
            "ageing": [{"from_seconds": _r(a.label_low), "to_seconds": _r(a.label_high), "count": a.count,
                        "pct": _r(a.share)} for a in b.bands]},
        "detractor_follow_up": None if f is None else {
            "detractors": f.detractors, "contacted": f.contacted, "contacted_pct": _r(f.contacted_share),
            "contacted_low": _r(f.contacted_low), "contacted_high": _r(f.contacted_high),
            "within": f.within, "within_pct": _r(f.share), "low": _r(f.low), "high": _r(f.high),
            "base": f.base, "unmatched_ids": f.unmatched},
    }
