"""A ``--per`` unit against its network: the unit's KPIs in the reporting window beside the
network's and its parent unit's (a branch's region), tested, with its rank among its peers.

Tests follow METHODS.md §2: a unit is tested against the rest of the network (the network
without the unit) and against the rest of its parent unit, never against a total that
contains it.

Every unit of a segment is computed at once (:func:`unit_reports`), from the network's
window: the unit's figures and its test against the rest of the network are those of the
segment breakdown (:func:`cxreport.scoring.survey._breakdown`), so a unit report and the
network report's segment table agree; the test against the rest of the parent unit takes
the parent's sufficient statistics minus the unit's (:meth:`Sums.complement`).

The parent segment is ``hierarchy[per]`` when the project names one, otherwise the segment
the unit segment nests in (:func:`detect_parent`). Nesting is read from every response (the
structure is that of the units, not of one period); a unit whose responses lie in several
parent groups is compared with the one holding most of them, and says so in ``notes``.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cxreport.scoring.kpis import SUM_FIELDS, BaseRules, ItemColumns, ItemResult, ItemSpec, Sums, compare, \
    result_from_sums
from cxreport.scoring.survey import Change, _breakdown, _mark, _tables, adjust_table, kpi_keys
from cxreport.validate import NOT_STATED, Grouping, SurveyData


@dataclass
class UnitFigure:
    """One KPI of a unit, beside the network and the parent unit."""

    key: str
    label: str
    unit: str                          # points | percent | mean
    own: ItemResult
    network: ItemResult
    vs_network: Change | None          # unit − rest of the network, tested (None: a base is suppressed)
    parent: ItemResult | None = None
    vs_parent: Change | None = None    # unit − rest of the parent unit, tested
    rank: int | None = None            # 1 = best among the peers with a shown figure
    peers: int = 0
    parent_rank: int | None = None     # among the peers within the same parent
    parent_peers: int = 0


@dataclass
class UnitReport:
    """What a unit's report says about the unit in relation to the others."""

    segment: str                       # e.g. Branch
    label: str                         # e.g. Bayside
    slug: str                          # file-name part, e.g. bayside
    period: str                        # the window's label
    network: str                       # how the whole is called (the client's name)
    parent_segment: str | None = None  # e.g. Region
    parent_label: str | None = None    # e.g. West
    figures: dict[str, UnitFigure] = field(default_factory=dict)
    narrative: Path | None = None      # the unit's own narrative file, when the project names one and it exists
    base: int = 0                      # the unit's respondents in the window
    parent_base: int = 0               # the parent unit's respondents in the window
    network_base: int = 0              # the network's respondents in the window
    spans: dict[str, int] = field(default_factory=dict)   # parent group → responses, when the unit spans several
    notes: list[str] = field(default_factory=list)       # build warnings (one line each)

    @property
    def has_parent(self) -> bool:
        return self.parent_label is not None


# --------------------------------------------------------------------------- hierarchy


def _stated(group: Grouping) -> np.ndarray:
    """Per row: the row has a real group (not missing, not "Not stated")."""
    codes = group.codes
    ok = codes >= 0
    if NOT_STATED in group.labels:
        ok &= codes != group.labels.index(NOT_STATED)
    return ok


def _n_stated(group: Grouping) -> int:
    return len([label for label in group.labels if label != NOT_STATED])


def crosstab(child: Grouping, parent: Grouping) -> np.ndarray:
    """Responses per (child group, parent group), counting rows where both are stated."""
    ok = _stated(child) & _stated(parent)
    size_c, size_p = len(child.labels), len(parent.labels)
    pairs = child.codes[ok] * size_p + parent.codes[ok]
    return np.bincount(pairs, minlength=size_c * size_p).reshape(size_c, size_p)


def nests_in(child: Grouping, parent: Grouping) -> bool:
    """Every stated group of ``child`` has all its (parent-stated) rows in one group of
    ``parent``, and ``parent`` has fewer groups (at least two)."""
    if not 2 <= _n_stated(parent) < _n_stated(child):
        return False
    table = crosstab(child, parent)
    spread = (table > 0).sum(axis=1)
    return bool((spread <= 1).all() and (spread == 1).any())


def detect_parent(data: SurveyData, per: str) -> str | None:
    """The segment ``per`` nests in (the one with most groups when several do), or None."""
    child = next(g for g in data.segments if g.name == per)
    found = [g for g in data.segments if g.name != per and nests_in(child, g)]
    if not found:
        return None
    return max(found, key=_n_stated).name


def parent_segment(data: SurveyData, per: str, hierarchy: dict[str, str] | None = None) -> str | None:
    """``hierarchy[per]`` when the project names it, else the detected parent segment."""
    if hierarchy and per in hierarchy:
        return hierarchy[per]
    return detect_parent(data, per)


def assign_parents(child: Grouping, parent: Grouping) -> tuple[dict[str, str], dict[str, dict[str, int]]]:
    """Each stated child group's parent group (the one holding most of its responses; ties:
    the first), and for the child groups whose responses lie in several parent groups the
    responses in each (largest first)."""
    table = crosstab(child, parent)
    parents: dict[str, str] = {}
    spans: dict[str, dict[str, int]] = {}
    for c, label in enumerate(child.labels):
        row = table[c]
        if label == NOT_STATED or row.sum() == 0:
            continue
        parents[label] = parent.labels[int(np.argmax(row))]
        if (row > 0).sum() > 1:
            order = sorted(np.flatnonzero(row), key=lambda p: (-row[p], p))
            spans[label] = {parent.labels[p]: int(row[p]) for p in order}
    return parents, spans


def span_note(segment: str, label: str, parent_segment: str, spans: dict[str, int], chosen: str) -> str:
    """One warning line for a unit whose responses lie in several parent groups."""
    where = ", ".join(f"{p} {n}" for p, n in spans.items())
    return (f"hierarchy: {segment} '{label}' has responses in {len(spans)} {parent_segment} groups ({where}); "
            f"its report compares it with {chosen}, which holds most of them")


# --------------------------------------------------------------------------- figures


def kpi_specs(data: SurveyData) -> list[ItemSpec]:
    """The figures a unit is compared on: the headline KPIs, or (a study without any) its
    first attributes, as the report's tables do."""
    kpis = [s for s in data.items if s.kind != "rating"]
    return kpis or [s for s in data.items if s.kind == "rating"][:6]


def _empty(spec: ItemSpec, rules: BaseRules) -> ItemResult:
    zero = Sums(*(np.zeros(1) for _f in SUM_FIELDS))
    return result_from_sums(spec, zero, 0, rules)


def _ranks(values: dict[str, float]) -> dict[str, int]:
    """Competition ranks (1 = highest; equal figures share a rank)."""
    descending = sorted(-v for v in values.values())
    return {label: bisect.bisect_left(descending, -v) + 1 for label, v in values.items()}


def unit_reports(data: SurveyData, per: str, *, rules: BaseRules = BaseRules(), alpha: float = 0.05,
                 period: str = "", network: str = "", slugs: dict[str, str] | None = None,
                 hierarchy: dict[str, str] | None = None, structure: SurveyData | None = None
                 ) -> dict[str, UnitReport]:
    """Every unit of segment ``per``: its figures in ``data`` (the network's window) beside the
    network's and its parent unit's, tested against the rest of each, ranked among its peers.

    ``structure`` (default ``data``) holds every response: the units (a unit without
    responses in the window still gets a report, its figures empty) and the hierarchy are
    read from it. ``hierarchy`` is the project's (child segment → parent segment); without
    an entry for ``per`` the parent is detected. ``slugs``: label → file-name part.
    Returns label → :class:`UnitReport`, in the segment's order.
    """
    structure = structure if structure is not None else data
    slugs = slugs or {}
    all_units = next(g for g in structure.segments if g.name == per)
    window_units = next(g for g in data.segments if g.name == per)
    parent_name = parent_segment(structure, per, hierarchy)
    parents: dict[str, str] = {}
    spans: dict[str, dict[str, int]] = {}
    window_parent = None
    if parent_name is not None:
        parents, spans = assign_parents(all_units, next(g for g in structure.segments if g.name == parent_name))
        window_parent = next(g for g in data.segments if g.name == parent_name)

    specs = kpi_specs(data)
    columns = [ItemColumns(spec, data.values[spec.key], data.weights) for spec in specs]
    overall_sums = {c.spec.key: c.sums() for c in columns}
    network_results = {c.spec.key: result_from_sums(c.spec, overall_sums[c.spec.key], 0, rules) for c in columns}
    # The units: own figures and the test against the rest of the network (the segment breakdown).
    units = _breakdown(per, window_units.column, "segment", window_units.codes, window_units.labels, columns,
                       data.weights, rules, alpha, overall_sums)
    in_window = {g.label: g for g in units.groups}

    parent_groups = {}
    vs_parent: dict[str, dict[str, Change]] = {}
    if window_parent is not None:
        p_break = _breakdown(parent_name, window_parent.column, "segment", window_parent.codes, window_parent.labels,
                             columns, data.weights, rules, alpha, overall_sums)
        parent_groups = {g.label: g for g in p_break.groups}
        vs_parent = _parent_tests(window_units, window_parent, parents, in_window, columns, rules, alpha)

    # Ranks among the peers with a shown figure (not the "Not stated" group).
    ranks: dict[str, dict[str, int]] = {}
    parent_ranks: dict[str, dict[str, int]] = {}
    peers: dict[str, int] = {}
    parent_peers: dict[str, dict[str, int]] = {}
    for spec in specs:
        shown = {g.label: g.items[spec.key].headline.value for g in units.groups
                 if g.label != NOT_STATED and g.items[spec.key].headline.shown}
        ranks[spec.key] = _ranks(shown)
        peers[spec.key] = len(shown)
        parent_ranks[spec.key], parent_peers[spec.key] = {}, {}
        for p in set(parents.values()):
            within = {label: v for label, v in shown.items() if parents.get(label) == p}
            parent_ranks[spec.key].update(_ranks(within))
            parent_peers[spec.key][p] = len(within)

    out: dict[str, UnitReport] = {}
    for label in all_units.labels:
        group = in_window.get(label)
        parent_label = parents.get(label)
        parent_group = parent_groups.get(parent_label) if parent_label is not None else None
        report = UnitReport(per, label, slugs.get(label, label), period, network,
                            parent_segment=parent_name if parent_label is not None else None,
                            parent_label=parent_label, base=group.base if group else 0,
                            parent_base=parent_group.base if parent_group else 0, network_base=data.n)
        if label in spans:
            report.spans = spans[label]
            report.notes.append(span_note(per, label, parent_name, spans[label], parent_label))
        for spec in specs:
            key = spec.key
            own = group.items[key] if group else _empty(spec, rules)
            parent_result = None
            if parent_label is not None:
                parent_result = parent_group.items[key] if parent_group else _empty(spec, rules)
            figure = UnitFigure(key, spec.label, spec.headline_unit, own, network_results[key],
                                group.changes.get(key) if group else None, parent_result,
                                vs_parent.get(label, {}).get(key), ranks[key].get(label), peers[key])
            if parent_label is not None:
                figure.parent_rank = parent_ranks[key].get(label)
                figure.parent_peers = parent_peers[key].get(parent_label, 0)
            report.figures[key] = figure
        out[label] = report
    return out


def _parent_tests(units: Grouping, parent: Grouping, parents: dict[str, str], groups: dict, columns, rules,
                  alpha) -> dict[str, dict[str, Change]]:
    """Each unit against the rest of its parent unit: the parent's sums minus those of the
    unit's responses within it (a unit spanning several parent groups is tested against the
    rest of the one it is assigned to)."""
    p_code = {label: i for i, label in enumerate(parent.labels)}
    size = len(units.labels)
    # Per unit code, its parent's code in this data (-1: no parent, or none in the window).
    assigned = np.array([p_code.get(parents.get(label, ""), -1) for label in units.labels] + [-1], dtype=np.int64)
    safe_units = np.where(units.codes >= 0, units.codes, size)
    inside = (assigned[safe_units] >= 0) & (parent.codes == assigned[safe_units])
    codes_inside = np.where(inside, safe_units, size)
    p_size = len(parent.labels)
    p_safe = np.where(parent.codes >= 0, parent.codes, p_size)
    members: dict[int, list[int]] = {}
    for u in range(size):
        if assigned[u] >= 0 and units.labels[u] in groups:
            members.setdefault(int(assigned[u]), []).append(u)
    out: dict[str, dict[str, Change]] = {}
    for c in columns:
        key = c.spec.key
        unit_sums = c.sums(codes_inside, size + 1)
        parent_sums = c.sums(p_safe, p_size + 1)
        for p, within in members.items():
            one = Sums(*(getattr(parent_sums, f)[p:p + 1] for f in SUM_FIELDS))
            rest = unit_sums.complement(one)      # for each unit: the parent minus the unit
            for u in within:
                change = _mark(compare(groups[units.labels[u]].items[key], result_from_sums(c.spec, rest, u, rules)),
                               alpha)
                if change is not None:
                    out.setdefault(units.labels[u], {})[key] = change
    # One table: every unit against the rest of its parent, its KPIs apart from its attributes
    # (METHODS.md §8), as in the segment tables.
    for _name, part in _tables([c.spec.key for c in columns], kpi_keys([c.spec for c in columns])):
        adjust_table([(changes, k) for changes in out.values() for k in part], alpha)
    return out
