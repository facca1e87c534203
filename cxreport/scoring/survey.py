"""Score a validated survey: overall KPIs, breakdowns by segment and by period.

Segments are tested against the rest of the sample (complement test), periods against
the previous period (METHODS.md §2). A multi-punch question is a segment whose groups
overlap: each code's group is the respondents who ticked it, tested against everyone
who did not. Significance marks are decided here, once, so that
tables, charts and sentences agree; nothing is marked where a base is suppressed.

Multiple comparisons (METHODS.md §8): the p-values of one table are adjusted together
(Benjamini–Hochberg by default, Bonferroni, or none: ``significance.adjust``, carried by
the level α, see :class:`cxreport.config.schema.Level`) and a cell is marked when its
adjusted p ≤ α. One table is:

- a segment breakdown: every group × every headline KPI tested against the rest of the
  sample (the segment table of the report, the workbook's "By segment" sheet); its groups ×
  attributes are a second table;
- the window against one comparison period (a scorecard column): every KPI; attributes apart;
- the period breakdown (the trend): each period's KPIs against the previous period, the same
  table as the scorecard's column when that period is the window (so both mark the same
  changes); against the same period a year before another; attributes again apart;
- the window against the period before, by segment (units' improvers and decliners, the
  quarterly scorecards, the journey's changes): one segment's groups × every KPI, whichever
  KPI a caller asks for; attributes apart.

Each :class:`Change` keeps the raw test and its adjusted p-value, so the JSON shows both
and every output reads the same mark. A table of one comparison is left as it is (the
adjustment of a single p-value is the identity).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from types import SimpleNamespace
from typing import Literal

import numpy as np

from cxreport.config.schema import adjust_method
from cxreport.scoring.kpis import BaseFlag, BaseRules, ItemColumns, ItemResult, ItemSpec, ItemTally, compare, \
    result_from_sums
from cxreport.scoring.stats import TestResult, adjust_pvalues, neff_from_sums
from cxreport.validate import NOT_STATED, MultiPunchAnswers, SurveyData


@dataclass(frozen=True)
class Change:
    """A tested difference of one headline figure (against the complement or the previous period)."""

    test: TestResult
    mark: int  # +1 significant rise (▲), −1 significant fall (▼), 0 not significant
    # The test's p-value adjusted with the other comparisons of its table (METHODS.md §8),
    # the number of comparisons in that table and the method; the mark is decided on it.
    p_adjusted: float = math.nan
    m: int = 1
    method: str = "none"


def adjust_table(cells: list[tuple[dict, str]], alpha: float, method: str | None = None) -> int:
    """Adjust the p-values of one table together and re-decide its marks (METHODS.md §8).

    ``cells`` are ``(changes, key)`` pairs, each naming a :class:`Change` in a dict; every
    one is replaced by a copy with ``p_adjusted``, ``m``, ``method`` and its mark (adjusted
    p ≤ α). The raw test is kept, so adjusting a table again (a wider one) starts from the raw
    p-values. A test without a p-value (NaN) is not counted in m and never marked. Returns m.
    """
    method = method or adjust_method(alpha)
    cells = [(changes, key) for changes, key in cells if key in changes]
    p = np.array([changes[key].test.p_value for changes, key in cells], dtype=float)
    adjusted = adjust_pvalues(p, method)
    m = int(np.isfinite(p).sum())
    for (changes, key), q in zip(cells, adjusted):
        test = changes[key].test
        mark = test.direction if math.isfinite(q) and q <= alpha else 0
        changes[key] = replace(changes[key], mark=mark, p_adjusted=float(q), m=m, method=method)
    return m


def kpi_keys(specs: list[ItemSpec]) -> set[str]:
    """The headline KPIs among ``specs`` — by the one rule of :attr:`SurveyResults.kpis`."""
    return {s.key for s in SurveyResults.kpis.fget(SimpleNamespace(items=list(specs)))}


def _tables(keys: list[str], kpis: set[str]) -> list[tuple[str, list[str]]]:
    """The item keys split into the KPIs' table and the attributes' table."""
    return [(name, part) for name, part in (("kpis", [k for k in keys if k in kpis]),
                                            ("attributes", [k for k in keys if k not in kpis])) if part]


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
    # Comparisons in each of its tables, adjusted together ("kpis", "attributes"; periods also
    # "kpis year_on_year", "attributes year_on_year"), and the adjustment used.
    tables: dict[str, int] = field(default_factory=dict)
    method: str = "bh"

    def adjust(self, alpha: float, kpis: set[str], method: str | None = None) -> None:
        """Adjust each of the breakdown's tables together (see the module's notes). A segment:
        its groups × KPIs, and × attributes. Periods: each period's KPIs against the period
        before (and, apart, against the same period a year before) — the same table as the
        scorecard's column for that comparison, so the trend's last row and the scorecard mark
        the same changes; ``tables`` then holds the most comparisons of one period."""
        self.method = method or adjust_method(alpha)
        keys = list(dict.fromkeys(k for g in self.groups for k in list(g.changes) + list(g.year_on_year)))
        self.tables = {}
        for name, part in _tables(keys, kpis):
            if self.kind == "segment":
                self.tables[name] = adjust_table([(g.changes, k) for g in self.groups for k in part], alpha,
                                                 self.method)
                continue
            for what, tag in (("changes", name), ("year_on_year", f"{name} year_on_year")):
                self.tables[tag] = max([adjust_table([(getattr(g, what), k) for k in part], alpha, self.method)
                                        for g in self.groups] or [0])

    @property
    def n_tests(self) -> int:
        """Every test made on the breakdown (all items; for periods, year on year too)."""
        return sum(len(g.changes) + len(g.year_on_year) for g in self.groups)

    def tests_shown(self, keys: list[str]) -> int:
        """The comparisons a table of ``keys`` shows: one per group and item tested against
        the reference (the rest of the sample, or the previous period) — its groups × its
        KPIs, less the cells whose base is too small to test. The 1-in-20 note of a project
        that adjusts nothing (``significance.adjust: none``) counts these, not the tests on
        items the table does not show."""
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
    adjust: str = "bh"        # how the p-values of one table are adjusted together (METHODS.md §8)

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
    """The test on its own (a table of one: adjusted p = p); :func:`adjust_table` then adjusts
    the comparisons of a table together."""
    if test is None:
        return None
    return Change(test, test.direction if test.significant(alpha) else 0, test.p_value, 1, "none")


@dataclass
class GroupTally:
    """The answers of one grouping counted (G groups): respondents and Σw per group, and every
    item's :class:`~cxreport.scoring.kpis.ItemTally` (with one more group: the rows in none).
    Tallies of the same grouping add up (``+``): rows counted batch by batch give the
    breakdown counting them at once gives."""

    counts: np.ndarray
    wbase: np.ndarray
    items: dict[str, ItemTally]

    @classmethod
    def of(cls, columns: list[ItemColumns], codes: np.ndarray, size: int, weights: np.ndarray) -> GroupTally:
        safe = np.where(codes >= 0, codes, size)   # rows without a group go to an extra bin, then dropped
        counts = np.bincount(safe, minlength=size + 1)[:size]
        wbase = np.bincount(safe, weights=weights, minlength=size + 1)[:size]
        return cls(counts, wbase, {c.spec.key: c.tally(safe, size + 1) for c in columns})

    def __add__(self, other: GroupTally) -> GroupTally:
        return GroupTally(self.counts + other.counts, self.wbase + other.wbase,
                          {k: t + other.items[k] for k, t in self.items.items()})

    def regroup(self, mapping: np.ndarray, size: int) -> GroupTally:
        """The tally of ``size`` new groups, old group ``g`` counted in ``mapping[g]`` (−1: left out)."""
        mapping = np.asarray(mapping, dtype=np.int64)
        keep = mapping >= 0
        counts = np.zeros(size, dtype=self.counts.dtype)
        wbase = np.zeros(size)
        np.add.at(counts, mapping[keep], self.counts[keep])
        np.add.at(wbase, mapping[keep], self.wbase[keep])
        # the items' extra group (rows in none) stays the extra group
        extra = np.append(mapping, -1)
        return GroupTally(counts, wbase, {k: t.regroup(extra, size + 1) for k, t in self.items.items()})


def _breakdown(name: str, column: str, kind: str, codes: np.ndarray, labels: list[str],
               columns: list[ItemColumns], weights: np.ndarray, rules: BaseRules, alpha: float,
               overall_sums: dict, keys: list[int] | None = None) -> Breakdown:
    tally = GroupTally.of(columns, codes, len(labels), weights)
    return breakdown_from(name, column, kind, labels, tally, [c.spec for c in columns], rules, alpha, overall_sums,
                          keys)


def breakdown_from(name: str, column: str, kind: str, labels: list[str], tally: GroupTally, specs: list[ItemSpec],
                   rules: BaseRules, alpha: float, overall_sums: dict, keys: list[int] | None = None) -> Breakdown:
    """A segment's or the periods' breakdown from its groups' tally: each group's figures,
    tested (a segment's groups against the rest of the sample, ``overall_sums`` minus the
    group; periods against the period before and the same period a year before)."""
    counts, wbase = tally.counts, tally.wbase
    per_item = {key: t.sums() for key, t in tally.items.items()}
    groups = []
    for g, label in enumerate(labels):
        items = {spec.key: result_from_sums(spec, per_item[spec.key], g, rules) for spec in specs}
        groups.append(GroupResult(label, int(counts[g]), float(wbase[g]), rules.classify(int(counts[g])), items))
    if kind == "segment":
        for g, group in enumerate(groups):
            for spec in specs:
                key = spec.key
                sums = per_item[key]
                rest = sums.complement(overall_sums[key])
                other = result_from_sums(spec, rest, g, rules)
                change = _mark(compare(group.items[key], other), alpha)
                if change is not None:
                    group.changes[key] = change
        reference = "rest of sample"
    else:
        for g in range(1, len(groups)):
            for spec in specs:
                key = spec.key
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
            for spec in specs:
                key = spec.key
                change = _mark(compare(groups[g].items[key], groups[before].items[key]), alpha)
                if change is not None:
                    groups[g].year_on_year[key] = change
        reference = "previous period"
    out = Breakdown(name, column, kind, groups, reference)  # type: ignore[arg-type]
    out.adjust(alpha, kpi_keys(specs))
    return out


def _multi_breakdown(answers: MultiPunchAnswers, members: list[tuple[str, GroupTally]], specs: list[ItemSpec],
                     respondents: int, rules: BaseRules, alpha: float, overall_sums: dict) -> Breakdown:
    """One group per code ticked by anyone (respondents who ticked it), then those who did not
    answer; each group tested against the rest of the sample. ``members``: every code's and the
    non-answerers' tally (:func:`_multi_tallies`), those with no respondent left out here."""
    groups = []
    for label, tally in members:
        if tally.counts[0] == 0:
            continue
        one = breakdown_from(answers.name, answers.column, "segment", [label], tally, specs, rules, alpha,
                             overall_sums)
        groups.append(one.groups[0])
    out = Breakdown(answers.name, answers.column, "segment", groups, "rest of sample", overlapping=True,
                    respondents=respondents)
    out.adjust(alpha, kpi_keys(specs))     # all its groups together, as one table
    return out


def _multi_tallies(answers: MultiPunchAnswers, columns: list[ItemColumns], weights: np.ndarray
                   ) -> list[tuple[str, GroupTally]]:
    """A multi-punch question's groups, each counted apart (they overlap): every code's
    respondents who ticked it, then those who did not answer."""
    members = [(label, answers.ticked[:, k]) for k, label in enumerate(answers.labels)]
    members.append((NOT_STATED, ~answers.answered))
    return [(label, GroupTally.of(columns, np.where(mask, 0, -1), 1, weights)) for label, mask in members]


@dataclass
class SurveyTally:
    """A survey's answers counted: everything :func:`score_survey` computes its figures from
    (respondents, Σw, Σw², every item's tally overall, by each segment, by each multi-punch
    question's codes and by period). Tallies of the same survey's batches of rows add up
    (``+``), with the segments' and periods' codes the same in every batch; the figures of the
    sum are those of the whole survey, up to the order of the floating-point additions."""

    n: int
    sw: float
    sw2: float
    overall: dict[str, ItemTally]
    segments: list[GroupTally]
    multi: list[list[tuple[str, GroupTally]]]
    periods: GroupTally | None

    def __add__(self, other: SurveyTally) -> SurveyTally:
        return SurveyTally(
            self.n + other.n, self.sw + other.sw, self.sw2 + other.sw2,
            {k: t + other.overall[k] for k, t in self.overall.items()},
            [a + b for a, b in zip(self.segments, other.segments)],
            [[(label, a + b) for (label, a), (_, b) in zip(mine, theirs)] for mine, theirs in zip(self.multi, other.multi)],
            None if self.periods is None else self.periods + other.periods)


def tally_survey(data: SurveyData) -> SurveyTally:
    """Count ``data``'s answers (:class:`SurveyTally`)."""
    columns = [ItemColumns(spec, data.values[spec.key], data.weights) for spec in data.items]
    w = data.weights
    periods = None
    if data.period_codes is not None and data.periods:
        periods = GroupTally.of(columns, data.period_codes, len(data.periods), w)
    return SurveyTally(
        data.n, float(w.sum()), float(np.dot(w, w)), {c.spec.key: c.tally() for c in columns},
        [GroupTally.of(columns, s.codes, len(s.labels), w) for s in data.segments],
        [_multi_tallies(m, columns, w) for m in data.multi if m.segment], periods)


def score_survey(data: SurveyData, rules: BaseRules = BaseRules(), alpha: float = 0.05) -> SurveyResults:
    """All survey figures for the total, each segment and each period."""
    return score_tally(data, tally_survey(data), rules, alpha)


def score_tally(data: SurveyData, tally: SurveyTally, rules: BaseRules = BaseRules(),
                alpha: float = 0.05) -> SurveyResults:
    """All survey figures from a :class:`SurveyTally` of ``data``'s answers: ``data`` gives
    what the figures are of (items, segments' and periods' labels, multi-punch questions,
    weighted or not), the tally what they are."""
    specs = data.items
    overall_sums = {key: t.sums() for key, t in tally.overall.items()}
    overall = {spec.key: result_from_sums(spec, overall_sums[spec.key], 0, rules,
                                          tally.overall[spec.key].distribution(0)) for spec in specs}
    n_eff = neff_from_sums(tally.sw, tally.sw2)
    segments = [breakdown_from(s.name, s.column, "segment", s.labels, t, specs, rules, alpha, overall_sums)
                for s, t in zip(data.segments, tally.segments)]
    multi = [m for m in data.multi if m.segment]
    segments += [_multi_breakdown(m, members, specs, tally.n, rules, alpha, overall_sums)
                 for m, members in zip(multi, tally.multi)]
    periods = None
    if tally.periods is not None:
        periods = breakdown_from("Period", "", "period", [p.label for p in data.periods], tally.periods, specs,
                                 rules, alpha, overall_sums, keys=[p.key for p in data.periods])
    return SurveyResults(specs, overall, tally.n, tally.sw, n_eff, data.weighted, rules, alpha,
                         segments, periods, list(data.periods), adjust_method(alpha))


@dataclass
class PeriodComparison:
    """The window's headline figures against another period (previous, a year earlier, baseline)."""

    kind: str                          # previous | year_ago | baseline
    label: str                         # the other period, e.g. "2026 Q2"
    base: int                          # respondents in the other period
    overall: dict[str, ItemResult]     # the other period's figures
    changes: dict[str, Change]         # window − other, tested (absent where a base is suppressed)
    tables: dict[str, int] = field(default_factory=dict)   # comparisons adjusted together: kpis, attributes


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
    return compare_overall(kind, label, now, score_overall(other, rules), other.n, alpha)


def compare_overall(kind: str, label: str, now: dict[str, ItemResult], overall: dict[str, ItemResult], base: int,
                    alpha: float) -> PeriodComparison:
    """The window's figures ``now`` tested against another period's ``overall`` (``base``
    respondents): :func:`compare_period` once that period's figures are known."""
    changes = {}
    for key, result in now.items():
        change = _mark(compare(result, overall[key]), alpha)
        if change is not None:
            changes[key] = change
    # One table: this comparison's KPIs (a scorecard column); its attributes another.
    tables = {name: adjust_table([(changes, k) for k in part], alpha)
              for name, part in _tables(list(changes), kpi_keys([r.spec for r in now.values()]))}
    return PeriodComparison(kind, label, base, overall, changes, tables)


def history(data: SurveyData, rules: BaseRules, alpha: float, last_key: int | None = None) -> Breakdown | None:
    """Every period up to ``last_key`` (all when None), each tested against the previous period
    with responses and the same period a year before: the trend behind the window."""
    if data.period_codes is None or not data.periods:
        return None
    columns = [ItemColumns(spec, data.values[spec.key], data.weights) for spec in data.items]
    tally = GroupTally.of(columns, data.period_codes, len(data.periods), data.weights)
    return history_from(tally, data.periods, data.items, rules, alpha, last_key)


def history_from(tally: GroupTally, periods: list, specs: list[ItemSpec], rules: BaseRules, alpha: float,
                 last_key: int | None = None) -> Breakdown:
    """:func:`history` from the periods' tally (one group per period of ``periods``)."""
    per = breakdown_from("Period", "", "period", [p.label for p in periods], tally, specs, rules, alpha, {},
                         keys=[p.key for p in periods])
    if last_key is not None:
        keep = [i for i, p in enumerate(periods) if p.key <= last_key]
        per.groups = [per.groups[i] for i in keep]
        per.adjust(alpha, kpi_keys(specs))    # counts its tables over the periods shown
    return per


@dataclass
class UnitChange:
    """One unit (segment group) in the window against a comparison period."""

    segment: str
    label: str
    now: dict[str, ItemResult]
    before: dict[str, ItemResult]
    changes: dict[str, Change]      # adjusted with the segment's other groups (see the module's notes)


def segment_changes(data: SurveyData, now: np.ndarray, before: np.ndarray | None, rules: BaseRules, alpha: float,
                    keys: list[str] | None = None, segments: list[str] | None = None) -> dict[str, list[UnitChange]]:
    """Every segment group's figures on the rows ``now`` and ``before`` (boolean masks over
    ``data``, which holds every response), tested. Computed for all groups of a segment at
    once (codes = group × 2 + slot).

    A unit's change is one decision wherever it is printed: its table is the segment's groups ×
    every KPI (or × every attribute), whichever ``keys`` a caller asks for, so the items of that
    table are scored too (the journey's one KPI, the key findings' first KPI and the quarterly
    scorecard's KPIs all read the same marks)."""
    kpis = kpi_keys(data.items)
    wanted = {k in kpis for k in keys} if keys is not None else {True, False}
    specs = [s for s in data.items if (s.key in kpis) in wanted]
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
        # One table: the segment's groups × its KPIs; × its attributes another.
        for _name, part in _tables([c.spec.key for c in columns], kpi_keys(specs)):
            adjust_table([(u.changes, k) for u in units for k in part], alpha)
        out[seg.name] = units
    return out
