"""Banner tables (docs/banners.md): every KPI and attribute (rows) by the groups of one or
more segments (columns), with column-letter significance marks as market-research table
tools print them (SPSS Custom Tables, Q, WinCross).

A banner is one segment, or several printed side by side. Its columns are "Total" and then
every group of each segment; each group gets a letter (A, B, C … across the banner). A cell
lists the letters of the columns *of the same segment* it is significantly higher than: every
pair of groups of a segment is tested on each row's headline figure with the test the rest of
the report uses for that figure (:func:`cxreport.scoring.kpis.compare`: NPS difference z-test,
two-proportion z-test for a top-2 %, Welch's t for a mean, effective n when weighted). The
p-values of one banner are adjusted together (:func:`cxreport.scoring.stats.adjust_pvalues`,
the project's ``significance.adjust``, Benjamini–Hochberg by default) and a difference is
marked where the adjusted p ≤ α (METHODS.md §8).

Not tested, and without a letter: the Total (it contains every group) and the "Not stated"
group of respondents who left the segment blank (shown so the column bases add up to the
total). A cell whose base is suppressed (``bases.suppress_below``) is never tested.

The figures are the segment tables' own (:class:`cxreport.scoring.survey.Breakdown` groups,
computed once on the rows of the report's segments scope: the window, or the pooled run of
``report.pool``), so a banner cell always equals the same figure in the segment tables.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from cxreport.errors import ConfigError
from cxreport.scoring.kpis import BaseFlag, ItemResult, ItemSpec, compare
from cxreport.scoring.stats import adjust_pvalues
from cxreport.validate import NOT_STATED

if TYPE_CHECKING:  # pragma: no cover
    from cxreport.config.schema import Banners
    from cxreport.scoring.survey import Breakdown

#: Column letters: one per tested group of a banner.
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True)
class BannerColumn:
    """One group of a banner: its segment, label, letter (None: not tested) and base."""

    segment: str
    label: str
    letter: str | None
    base: int
    weighted_base: float
    base_flag: BaseFlag


@dataclass(frozen=True)
class PairTest:
    """One pairwise test of a row's headline figure between two columns of the same segment."""

    item: str
    a: int                   # column index (in Banner.columns)
    b: int
    diff: float              # a − b, in the headline's units (points, percentage points, mean)
    statistic: float
    p_value: float
    p_adjusted: float
    method: str
    significant: bool        # adjusted p ≤ α


@dataclass
class BannerRow:
    """One item: its total, its figure in every column and the letters each cell shows."""

    spec: ItemSpec
    total: ItemResult
    cells: list[ItemResult]
    letters: list[str]       # per column: letters of the columns it is significantly higher than

    @property
    def key(self) -> str:
        return self.spec.key

    @property
    def unit(self) -> str:
        return self.total.headline.unit


@dataclass
class Banner:
    name: str                # the segments' names, joined
    segments: list[str]
    columns: list[BannerColumn]
    rows: list[BannerRow]
    tests: list[PairTest]
    total_base: int
    total_weighted_base: float

    @property
    def n_tests(self) -> int:
        return len(self.tests)

    @property
    def n_significant(self) -> int:
        return sum(1 for t in self.tests if t.significant)


@dataclass
class BannerTables:
    banners: list[Banner]
    adjust: str              # bh | bonferroni | none
    alpha: float
    columns_per_table: int   # most columns one printed table shows, Total included
    label: str = ""          # the period the figures describe
    pooled: bool = False
    appendix: bool = True
    workbook: bool = True
    items: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- settings


def item_key(name: str, attributes) -> str:
    """A banner item as written (``nps``, ``attr:Waiting time`` or ``Waiting time``) as an item key."""
    if name in ("nps", "csat", "ces", "acsi") or name.startswith("attr:"):
        return name
    return f"attr:{name}" if name in attributes else name


def default_segments(segments: list[tuple[str, list[str]]], max_groups: int) -> list[list[str]]:
    """One banner per single-answer segment with 2 to ``max_groups`` groups ("Not stated" not counted)."""
    out = []
    for name, labels in segments:
        real = [x for x in labels if x != NOT_STATED]
        if 2 <= len(real) <= max_groups:
            out.append([name])
    return out


def _selection(settings: Banners, data, breakdowns: list[Breakdown]) -> tuple[list[list[str]], list[ItemSpec]]:
    single = {b.name: b for b in breakdowns if not b.overlapping}
    overlapping = {b.name for b in breakdowns if b.overlapping}
    if settings.segments is None:
        chosen = default_segments([(b.name, [g.label for g in b.groups]) for b in single.values()],
                                  settings.max_groups)
    else:
        chosen = []
        for i, entry in enumerate(settings.segments):
            names = [entry] if isinstance(entry, str) else list(entry)
            for name in names:
                if name in overlapping:
                    raise ConfigError(f"banners.segments[{i}]: '{name}' is a multi-punch question; its groups "
                                      "overlap, so its columns cannot be tested against each other")
                if name not in single:
                    raise ConfigError(f"banners.segments[{i}]: no segment '{name}' in columns.segments")
            chosen.append(names)
    specs = {s.key: s for s in data.items}
    if settings.items is None:
        items = list(data.items)
    else:
        attributes = [s.key[5:] for s in data.items if s.key.startswith("attr:")]
        items = []
        for i, name in enumerate(settings.items):
            key = item_key(name, attributes)
            if key not in specs:
                raise ConfigError(f"banners.items[{i}]: no item '{name}' in this project "
                                  "(write nps, csat, ces, acsi or attr:<attribute name>)")
            items.append(specs[key])
    for i, names in enumerate(chosen):
        lettered = sum(1 for name in names for g in single[name].groups if g.label != NOT_STATED)
        if lettered > len(LETTERS):
            raise ConfigError(f"banners.segments[{i}]: {', '.join(names)} has {lettered} groups; a banner's columns "
                              f"are lettered A–Z, so it takes at most {len(LETTERS)} (list fewer or smaller segments)")
    return chosen, items


# --------------------------------------------------------------------------- scoring


def make_banner(names: list[str], breakdowns: dict[str, Breakdown], items: list[ItemSpec],
                overall: dict[str, ItemResult], total_base: int, total_weighted_base: float,
                alpha: float, adjust: str) -> Banner:
    """One banner: its columns, every row's cells and the pairwise tests, adjusted together."""
    columns: list[BannerColumn] = []
    groups = []
    letter = 0
    for name in names:
        for g in breakdowns[name].groups:
            tested = g.label != NOT_STATED
            columns.append(BannerColumn(name, g.label, LETTERS[letter] if tested else None, g.base,
                                        g.weighted_base, g.base_flag))
            letter += tested
            groups.append(g)
    pairs = [(a, b) for a in range(len(columns)) for b in range(a + 1, len(columns))
             if columns[a].letter and columns[b].letter and columns[a].segment == columns[b].segment]
    rows, raw = [], []
    for spec in items:
        cells = [g.items[spec.key] for g in groups]
        rows.append(BannerRow(spec, overall[spec.key], cells, [""] * len(columns)))
        for a, b in pairs:
            test = compare(cells[a], cells[b])      # None where either base is suppressed
            if test is not None and math.isfinite(test.p_value):
                raw.append((spec.key, a, b, test))
    adjusted = adjust_pvalues([t.p_value for *_x, t in raw], adjust) if raw else np.array([])
    tests = []
    higher: dict[tuple[str, int], list[str]] = {}
    for (key, a, b, test), p_adj in zip(raw, adjusted):
        significant = bool(p_adj <= alpha) and test.diff != 0
        tests.append(PairTest(key, a, b, test.diff, test.statistic, test.p_value, float(p_adj), test.method,
                              significant))
        if significant:
            hi, lo = (a, b) if test.diff > 0 else (b, a)
            higher.setdefault((key, hi), []).append(columns[lo].letter)   # type: ignore[arg-type]
    for row in rows:
        row.letters = ["".join(sorted(higher.get((row.key, c), []))) for c in range(len(columns))]
    return Banner(" | ".join(names), list(names), columns, rows, tests, total_base, total_weighted_base)


def banner_tables(settings: Banners, data, breakdowns: list[Breakdown], overall: dict[str, ItemResult],
                  alpha: float, adjust: str = "bh", label: str = "", pooled: bool = False) -> BannerTables | None:
    """Every banner the project prints, from the segment breakdowns of ``data`` (the rows the
    segment tables describe) and the total ``overall`` of the same rows; None when banners
    are turned off."""
    if not settings.enabled:
        return None
    chosen, items = _selection(settings, data, breakdowns)
    by_name = {b.name: b for b in breakdowns if not b.overlapping}
    w = data.weights
    banners = [make_banner(names, by_name, items, overall, int(data.n), float(w.sum()), alpha, adjust)
               for names in chosen]
    return BannerTables(banners, adjust, alpha, settings.columns_per_table, label, pooled,
                        settings.appendix, settings.workbook, [s.key for s in items])


def study_banners(study) -> BannerTables | None:
    """The banner tables of a study, computed once (report, workbook and scores JSON share them)."""
    cache = study.view._cache if study.view is not None else {}
    if ("banners",) in cache:
        return cache[("banners",)]
    project = study.project
    settings = project.banners
    result = None
    if settings.enabled:
        scope = study.scope("segments")
        results = study.results
        if scope.pooled:
            from cxreport.scoring.survey import score_overall

            data = study.view.section_data("segments", project)
            overall = score_overall(data, results.rules)
        else:
            data, overall = study.data, results.overall
        result = banner_tables(settings, data, results.segments, overall, results.alpha,
                               getattr(project.significance, "adjust", "bh"), scope.label, scope.pooled)
    cache[("banners",)] = result
    return result
