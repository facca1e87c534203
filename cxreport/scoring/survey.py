"""Score a validated survey: overall KPIs, breakdowns by segment and by period.

Segments are tested against the rest of the sample (complement test), periods against
the previous period (METHODS.md §2). A multi-punch question is a segment whose groups
overlap: each code's group is the respondents who ticked it, tested against everyone
who did not. Significance marks are decided here, once, so that
tables, charts and sentences agree; nothing is marked where a base is suppressed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from cxreport.scoring.kpis import BaseFlag, BaseRules, ItemColumns, ItemResult, ItemSpec, compare, result_from_sums
from cxreport.scoring.stats import TestResult, neff_from_sums
from cxreport.validate import NOT_STATED, MultiPunchAnswers, SurveyData


@dataclass(frozen=True)
class Change:
    """A tested difference of one headline figure (against the complement or the previous period)."""

    test: TestResult
    mark: int  # +1 significant rise (▲), −1 significant fall (▼), 0 not significant


@dataclass
class GroupResult:
    label: str
    base: int                  # respondents in the group
    weighted_base: float
    base_flag: BaseFlag
    items: dict[str, ItemResult]
    changes: dict[str, Change] = field(default_factory=dict)   # item key → test against the reference
    year_on_year: dict[str, Change] = field(default_factory=dict)  # periods: against the same period a year before
    year_ago: str | None = None                                 # label of that period


@dataclass
class Breakdown:
    name: str
    column: str
    kind: Literal["segment", "period"]
    groups: list[GroupResult]
    reference: str            # what each group is tested against
    overlapping: bool = False   # a multi-punch segment: a respondent can be in several groups
    respondents: int | None = None   # respondents in the breakdown, when groups overlap

    @property
    def n_tests(self) -> int:
        """Every test made on the breakdown (all items; for periods, year on year too)."""
        return sum(len(g.changes) + len(g.year_on_year) for g in self.groups)

    def tests_shown(self, keys: list[str]) -> int:
        """The comparisons a table of ``keys`` shows: one per group and item tested against
        the reference (the rest of the sample, or the previous period) — its groups × its
        KPIs, less the cells whose base is too small to test. The note on chance findings
        under a table counts these, not the tests on items the table does not show."""
        return sum(1 for g in self.groups for key in keys if key in g.changes)

    @property
    def total_base(self) -> int:
        if self.respondents is not None:
            return self.respondents
        return sum(g.base for g in self.groups)


@dataclass
class SurveyResults:
    items: list[ItemSpec]
    overall: dict[str, ItemResult]
    base: int
    weighted_base: float
    n_eff: float
    weighted: bool
    rules: BaseRules
    alpha: float
    segments: list[Breakdown]
    periods: Breakdown | None
    period_info: list = field(default_factory=list)   # Period objects, in order

    @property
    def weighting_efficiency(self) -> float:
        return 100.0 * self.n_eff / self.base if self.base else float("nan")

    def item(self, key: str) -> ItemSpec:
        return next(s for s in self.items if s.key == key)

    @property
    def kpis(self) -> list[ItemSpec]:
        return [s for s in self.items if s.kind != "rating"]

    @property
    def attributes(self) -> list[ItemSpec]:
        return [s for s in self.items if s.kind == "rating"]


def _mark(test: TestResult | None, alpha: float) -> Change | None:
    if test is None:
        return None
    return Change(test, test.direction if test.significant(alpha) else 0)


def _breakdown(name: str, column: str, kind: str, codes: np.ndarray, labels: list[str],
               columns: list[ItemColumns], weights: np.ndarray, rules: BaseRules, alpha: float,
               overall_sums: dict, keys: list[int] | None = None) -> Breakdown:
    size = len(labels)
    in_group = codes >= 0
    safe = np.where(in_group, codes, size)   # rows without a group go to an extra bin, then dropped
    counts = np.bincount(safe, minlength=size + 1)[:size]
    wbase = np.bincount(safe, weights=weights, minlength=size + 1)[:size]
    per_item = {c.spec.key: c.sums(safe, size + 1) for c in columns}
    groups = []
    for g, label in enumerate(labels):
        items = {key: result_from_sums(c.spec, per_item[key], g, rules) for key, c in
                 ((c.spec.key, c) for c in columns)}
        groups.append(GroupResult(label, int(counts[g]), float(wbase[g]), rules.classify(int(counts[g])), items))
    if kind == "segment":
        for g, group in enumerate(groups):
            for c in columns:
                key = c.spec.key
                sums = per_item[key]
                rest = sums.complement(overall_sums[key])
                other = result_from_sums(c.spec, rest, g, rules)
                change = _mark(compare(group.items[key], other), alpha)
                if change is not None:
                    group.changes[key] = change
        reference = "rest of sample"
    else:
        for g in range(1, len(groups)):
            for c in columns:
                key = c.spec.key
                change = _mark(compare(groups[g].items[key], groups[g - 1].items[key]), alpha)
                if change is not None:
                    groups[g].changes[key] = change
        # Same period a year before: period keys are year·100 + number within the year.
        position = {k: i for i, k in enumerate(keys or [])}
        for g, period_key in enumerate(keys or []):
            before = position.get(period_key - 100)
            if before is None:
                continue
            groups[g].year_ago = groups[before].label
            for c in columns:
                key = c.spec.key
                change = _mark(compare(groups[g].items[key], groups[before].items[key]), alpha)
                if change is not None:
                    groups[g].year_on_year[key] = change
        reference = "previous period"
    return Breakdown(name, column, kind, groups, reference)  # type: ignore[arg-type]


def _multi_breakdown(answers: MultiPunchAnswers, columns: list[ItemColumns], weights: np.ndarray,
                     rules: BaseRules, alpha: float, overall_sums: dict) -> Breakdown:
    """One group per code ticked by anyone (respondents who ticked it), then those who did not
    answer; each group tested against the rest of the sample."""
    groups = []
    members = [(label, answers.ticked[:, k]) for k, label in enumerate(answers.labels) if answers.ticked[:, k].any()]
    if (~answers.answered).any():
        members.append((NOT_STATED, ~answers.answered))
    for label, mask in members:
        one = _breakdown(answers.name, answers.column, "segment", np.where(mask, 0, -1), [label], columns, weights,
                         rules, alpha, overall_sums)
        groups.append(one.groups[0])
    return Breakdown(answers.name, answers.column, "segment", groups, "rest of sample", overlapping=True,
                     respondents=len(weights))


def score_survey(data: SurveyData, rules: BaseRules = BaseRules(), alpha: float = 0.05) -> SurveyResults:
    """All survey figures for the total, each segment and each period."""
    columns = [ItemColumns(spec, data.values[spec.key], data.weights) for spec in data.items]
    overall_sums = {c.spec.key: c.sums() for c in columns}
    overall = {c.spec.key: result_from_sums(c.spec, overall_sums[c.spec.key], 0, rules, c.distribution())
               for c in columns}
    w = data.weights
    n_eff = neff_from_sums(float(w.sum()), float(np.dot(w, w)))
    segments = [_breakdown(s.name, s.column, "segment", s.codes, s.labels, columns, w, rules, alpha, overall_sums)
                for s in data.segments]
    segments += [_multi_breakdown(m, columns, w, rules, alpha, overall_sums) for m in data.multi if m.segment]
    periods = None
    if data.period_codes is not None and data.periods:
        periods = _breakdown("Period", "", "period", data.period_codes, [p.label for p in data.periods],
                             columns, w, rules, alpha, overall_sums, keys=[p.key for p in data.periods])
    return SurveyResults(data.items, overall, data.n, float(w.sum()), n_eff, data.weighted, rules, alpha,
                         segments, periods, list(data.periods))


@dataclass
class PeriodComparison:
    """The window's headline figures against another period (previous, a year earlier, baseline)."""

    kind: str                          # previous | year_ago | baseline
    label: str                         # the other period, e.g. "2026 Q2"
    base: int                          # respondents in the other period
    overall: dict[str, ItemResult]     # the other period's figures
    changes: dict[str, Change]         # window − other, tested (absent where a base is suppressed)


def score_overall(data: SurveyData, rules: BaseRules) -> dict[str, ItemResult]:
    """Every item's figures on all of ``data`` (no breakdowns)."""
    out = {}
    for spec in data.items:
        cols = ItemColumns(spec, data.values[spec.key], data.weights)
        out[spec.key] = result_from_sums(spec, cols.sums(), 0, rules)
    return out


def compare_period(kind: str, label: str, now: dict[str, ItemResult], other: SurveyData | None,
                   rules: BaseRules, alpha: float) -> PeriodComparison:
    """The window's figures ``now`` tested against the rows ``other`` (None: no responses)."""
    if other is None:
        return PeriodComparison(kind, label, 0, {}, {})
    overall = score_overall(other, rules)
    changes = {}
    for key, result in now.items():
        change = _mark(compare(result, overall[key]), alpha)
        if change is not None:
            changes[key] = change
    return PeriodComparison(kind, label, other.n, overall, changes)


def history(data: SurveyData, rules: BaseRules, alpha: float, last_key: int | None = None) -> Breakdown | None:
    """Every period up to ``last_key`` (all when None), each tested against the previous period
    with responses and the same period a year before: the trend behind the window."""
    if data.period_codes is None or not data.periods:
        return None
    columns = [ItemColumns(spec, data.values[spec.key], data.weights) for spec in data.items]
    overall_sums = {c.spec.key: c.sums() for c in columns}
    per = _breakdown("Period", "", "period", data.period_codes, [p.label for p in data.periods],
                     columns, data.weights, rules, alpha, overall_sums, keys=[p.key for p in data.periods])
    if last_key is not None:
        keep = [i for i, p in enumerate(data.periods) if p.key <= last_key]
        per.groups = [per.groups[i] for i in keep]
    return per


@dataclass
class UnitChange:
    """One unit (segment group) in the window against a comparison period."""

    segment: str
    label: str
    now: dict[str, ItemResult]
    before: dict[str, ItemResult]
    changes: dict[str, Change]


def segment_changes(data: SurveyData, now: np.ndarray, before: np.ndarray | None, rules: BaseRules, alpha: float,
                    keys: list[str] | None = None, segments: list[str] | None = None) -> dict[str, list[UnitChange]]:
    """Every segment group's figures on the rows ``now`` and ``before`` (boolean masks over
    ``data``, which holds every response), tested. Computed for all groups of a segment at
    once (codes = group × 2 + slot)."""
    specs = [s for s in data.items if keys is None or s.key in keys]
    columns = [ItemColumns(spec, data.values[spec.key], data.weights) for spec in specs]
    out: dict[str, list[UnitChange]] = {}
    slot = np.where(now, 0, np.where(before if before is not None else False, 1, -1))
    for seg in data.segments:
        if segments is not None and seg.name not in segments:
            continue
        size = len(seg.labels)
        codes = np.where((slot >= 0) & (seg.codes >= 0), seg.codes * 2 + slot, size * 2)
        sums = {c.spec.key: c.sums(codes, size * 2 + 1) for c in columns}
        units = []
        for g, label in enumerate(seg.labels):
            now_items = {c.spec.key: result_from_sums(c.spec, sums[c.spec.key], 2 * g, rules) for c in columns}
            before_items = {c.spec.key: result_from_sums(c.spec, sums[c.spec.key], 2 * g + 1, rules)
                            for c in columns} if before is not None else {}
            changes = {}
            for key in now_items:
                if before is None:
                    continue
                change = _mark(compare(now_items[key], before_items[key]), alpha)
                if change is not None:
                    changes[key] = change
            units.append(UnitChange(seg.name, label, now_items, before_items, changes))
        out[seg.name] = units
    return out
