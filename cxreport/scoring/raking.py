"""Raking (RIM weighting, iterative proportional fitting) to population margins (METHODS.md §9).

:func:`rake` is the pure algorithm: each respondent's weight starts at its design weight
(1 without one) and, margin by margin, is multiplied by target share / current weighted
share of its group, pass after pass, until every group is within ``tolerance`` of its
target. Raking only ever multiplies a respondent's weight by factors of its groups, so it
runs on the table of group combinations (cells), which has a few hundred entries whatever
the number of respondents; only trimming works on each respondent's weight. With ``trim``
the weights are capped to [lower, upper] × the mean weight and raked again, until the
raked weights stay inside the bounds. The total weight is kept (n without design weights).

:func:`rake_segments` maps the project's ``weighting`` onto validated segments, refuses
margins the data cannot meet (one line naming ``weighting.rake.<segment>.<group>``) and
returns the weights with a :class:`Weighting` summary for validate, the report and JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from cxreport.errors import DataError

#: The label of the rows in no period (no date, or outside every wave) when raking per period.
NO_PERIOD = "rows in no period"

#: Relative slack on the trim bounds when checking whether raked weights stay inside them.
TRIM_SLACK = 1e-6


@dataclass
class MarginShare:
    """One group of a raked margin: its target, the sample's own share and the weighted share."""

    segment: str
    group: str
    target: float
    sample: float           # share of respondents (design-weighted when a design weight is set)
    achieved: float         # share after raking
    respondents: int


@dataclass
class RakeResult:
    """What :func:`rake` computed."""

    weights: np.ndarray
    iterations: int         # raking passes in all (each adjusts every margin once)
    rounds: int             # rake-then-trim rounds (1 without trim)
    converged: bool
    max_gap: float          # largest |weighted share − target| over every group at the end
    trimmed: int            # respondents whose weight was capped in the last trim

    @property
    def n(self) -> int:
        return len(self.weights)

    @property
    def n_eff(self) -> float:
        w = self.weights
        return float(w.sum() ** 2 / np.dot(w, w))

    @property
    def efficiency(self) -> float:
        return self.n_eff / self.n


@dataclass
class Weighting:
    """The project's raking, as validate, the report, the JSON and the workbook show it."""

    margins: list[str]                      # segment names, in the project's order
    shares: list[MarginShare]
    iterations: int
    rounds: int
    converged: bool
    max_gap: float
    tolerance: float
    max_iterations: int
    trim: tuple[float, float] | None
    trimmed: int
    n: int
    n_eff: float
    efficiency: float
    min_weight: float                       # relative to the mean weight
    max_weight: float
    design_weight: str | None               # columns.weight, when raking started from it
    warnings: list[str] = field(default_factory=list)
    periods: list = field(default_factory=list)     # PeriodRaking per period (weighting.per_period)

    def summary(self) -> str:
        """One line for ``cxreport validate``."""
        state = (f"converged in {self.iterations} iteration{'s' if self.iterations != 1 else ''}" if self.converged
                 else f"NOT converged after {self.iterations} iteration{'s' if self.iterations != 1 else ''} "
                      f"(largest gap {self.max_gap:.2g})")
        trim = ""
        if self.trim:
            capped = f"{self.trimmed:,} weight{'s' if self.trimmed != 1 else ''} capped" if self.trimmed else "none capped"
            trim = f"; trimmed to [{self.trim[0]:g}, {self.trim[1]:g}] × mean ({capped})"
        within = ""
        if self.periods:
            real = [p for p in self.periods if p.label != NO_PERIOD]
            within = (f" within each of {len(real)} period{'s' if len(real) != 1 else ''}"
                      + (" and the rows in no period" if len(real) < len(self.periods) else ""))
        return (f"Weighting: raked to {', '.join(self.margins)}{within}; {state}{trim}; efficiency {self.efficiency:.1%}, "
                f"effective n {self.n_eff:,.0f} of {self.n:,}; weights {self.min_weight:.2f}–{self.max_weight:.2f} "
                "× mean")


def _cell_table(codes: Sequence[np.ndarray], sizes: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """(cell of each respondent, group of each cell per margin: margins × cells)."""
    if int(np.prod([float(s) for s in sizes])) <= 4_000_000:
        flat = np.ravel_multi_index(tuple(codes), tuple(sizes))
        present = np.flatnonzero(np.bincount(flat, minlength=int(np.prod(sizes))))
        lookup = np.full(int(np.prod(sizes)), -1, dtype=np.int64)
        lookup[present] = np.arange(len(present))
        cell = lookup[flat]
        groups = np.array(np.unravel_index(present, tuple(sizes)), dtype=np.int64).reshape(len(sizes), -1)
        return cell, groups
    # very many groups: only the combinations that occur
    combos, cell = np.unique(np.stack(codes, axis=1), axis=0, return_inverse=True)
    return cell.ravel(), combos.T.astype(np.int64)


def _rake_cells(base: np.ndarray, groups: np.ndarray, targets: Sequence[np.ndarray], sizes: Sequence[int],
                total: float, tolerance: float, max_iterations: int) -> tuple[np.ndarray, int, bool, float]:
    """Factor per cell that rakes cell totals ``base`` to ``targets`` (shares of ``total``)."""
    goal = [t * total for t in targets]
    cells = base.copy()
    gap = np.inf
    for sweep in range(1, max_iterations + 1):
        for m, size in enumerate(sizes):
            sums = np.bincount(groups[m], weights=cells, minlength=size)
            cells *= (goal[m] / sums)[groups[m]]
        gap = max(float(np.abs(np.bincount(groups[m], weights=cells, minlength=size) / total - targets[m]).max())
                  for m, size in enumerate(sizes))
        if gap <= tolerance:
            return cells / base, sweep, True, gap
    return cells / base, max_iterations, False, gap


def rake(codes: Sequence[np.ndarray], targets: Sequence[np.ndarray], base: np.ndarray | None = None, *,
         tolerance: float = 1e-6, max_iterations: int = 100,
         trim: tuple[float, float] | None = None) -> RakeResult:
    """Rake weights so that, for every margin ``m``, the weighted share of group ``g``
    (respondents with ``codes[m] == g``) is ``targets[m][g]``.

    ``codes``: one array of group numbers (0 … k−1) per margin, every respondent in a group;
    ``targets``: the shares of each margin's groups (summing to 1); ``base``: design weights
    (positive), default 1. Weights keep the base's total. ``trim`` caps weights to
    [lower, upper] × the mean weight between rakings.
    """
    n = len(codes[0])
    sizes = [len(t) for t in targets]
    targets = [np.asarray(t, dtype=float) / float(np.sum(t)) for t in targets]
    weights = np.ones(n) if base is None else np.asarray(base, dtype=float).copy()
    cell, groups = _cell_table([np.asarray(c, dtype=np.int64) for c in codes], sizes)
    total = weights.sum()
    mean = total / n
    iterations = rounds = trimmed = 0
    converged = False
    gap = np.inf
    rounds_allowed = max_iterations if trim else 1
    current = weights
    while rounds < rounds_allowed:
        rounds += 1
        cell_base = np.bincount(cell, weights=current, minlength=groups.shape[1])
        factor, sweeps, converged, gap = _rake_cells(cell_base, groups, targets, sizes, total, tolerance,
                                                     max_iterations)
        iterations += sweeps
        weights = current * factor[cell]
        if not converged or trim is None:
            break
        low, high = trim[0] * mean, trim[1] * mean
        outside = (weights < low * (1 - TRIM_SLACK)) | (weights > high * (1 + TRIM_SLACK))
        if not outside.any():
            break
        trimmed = int(outside.sum())
        current = np.clip(weights, low, high)
    else:
        converged = False      # the trim bounds could not be held with the margins
    return RakeResult(weights, iterations, rounds, converged, gap, trimmed)


def _shares(codes: np.ndarray, weights: np.ndarray, size: int) -> np.ndarray:
    sums = np.bincount(codes, weights=weights, minlength=size)
    return sums / sums.sum()


@dataclass
class PeriodRaking:
    """The raking of one period (``weighting.per_period``)."""

    label: str
    n: int
    iterations: int
    converged: bool
    n_eff: float
    efficiency: float
    min_weight: float                       # relative to the period's mean weight
    max_weight: float


def _row_list(table, index: np.ndarray, positions: np.ndarray, limit: int = 3) -> str:
    shown = ", ".join(str(table.row_number(table.frame.index[index[p]])) for p in positions[:limit])
    return shown + (", …" if len(positions) > limit else "")


def rake_segments(project, table, index: np.ndarray, segments: list, weights: np.ndarray,
                  period_codes: np.ndarray | None = None, periods: Sequence = ()) -> tuple[np.ndarray, Weighting]:
    """Rake ``weights`` (the design weights of the used rows, or ones) to ``project.weighting``
    on the validated ``segments`` (:class:`cxreport.validate.Grouping`); ``index`` maps the
    used rows to the table's rows (for row numbers in messages). With ``per_period`` each
    period of ``period_codes`` (rows in no period together) is raked on its own."""
    from cxreport.validate import NOT_STATED, group_key

    cfg = project.weighting
    by_name = {s.name: s for s in segments}
    codes: list[np.ndarray] = []
    targets: list[np.ndarray] = []
    listed: list[list[str]] = []                  # per margin: the groups' labels, in code order
    problems: list[str] = []
    for name, shares in cfg.rake.items():
        grouping = by_name[name]
        key = f"weighting.rake.{name}"
        given = {group_key(g): g for g in shares}
        counts = np.bincount(grouping.codes, minlength=len(grouping.labels))
        label_keys = [group_key(label) for label in grouping.labels]
        for group, share_key in ((g, group_key(g)) for g in shares):
            if share_key not in label_keys or counts[label_keys.index(share_key)] == 0:
                shown = ", ".join(f"'{label}'" for label, n in zip(grouping.labels, counts) if n)
                problems.append(f"{key}.{group}: no respondent in {table.name} is in group '{group}' of "
                                f"'{grouping.column}' (columns.segments.{name}), so it cannot be weighted up to "
                                f"{shares[group]:g}; the groups are {shown}")
        for i in [i for i, k in enumerate(label_keys) if counts[i] and k not in given]:
            label, n = grouping.labels[i], int(counts[i])
            where = _row_list(table, index, np.flatnonzero(grouping.codes == i))
            rows = f"row{'s' if n != 1 else ''} {where}"
            if label == NOT_STATED:
                problems.append(
                    f"{key}: {n:,} respondent{'s' if n != 1 else ''} of {table.name} {'have' if n != 1 else 'has'} "
                    f"no value in '{grouping.column}' ({rows}); give the group '{NOT_STATED}' a share "
                    f"({n / counts.sum():.1%} of the sample) or fill in the blanks")
            else:
                problems.append(f"{key}: group '{label}' of '{grouping.column}' in {table.name} ({n:,} respondent"
                                f"{'s' if n != 1 else ''}, {rows}) has no share; every group in the data needs one")
        order = [i for i, k in enumerate(label_keys) if counts[i] and k in given]
        remap = np.full(len(grouping.labels), -1, dtype=np.int64)
        remap[order] = np.arange(len(order))
        codes.append(remap[grouping.codes])
        target = np.array([shares[given[label_keys[i]]] for i in order], dtype=float)
        targets.append(target / target.sum())
        listed.append([grouping.labels[i] for i in order])
    parts: list[tuple[str, np.ndarray]] = [("", np.arange(len(weights)))]
    if cfg.per_period and period_codes is not None:
        labels = [p.label for p in periods]
        parts = [(labels[c] if c >= 0 else NO_PERIOD, np.flatnonzero(period_codes == c))
                 for c in sorted(set(np.unique(period_codes).tolist()), key=lambda c: (c < 0, c))]
        for label, rows in parts:
            for (name, shares), code, groups in zip(cfg.rake.items(), codes, listed):
                present = np.bincount(code[rows], minlength=len(groups))
                for j in np.flatnonzero(present == 0):
                    given = {group_key(g): g for g in shares}[group_key(groups[j])]
                    who = label if label != NO_PERIOD else "the rows in no period"
                    problems.append(
                        f"weighting.rake.{name}.{given}: no respondent of {who} in {table.name} is in group "
                        f"'{groups[j]}' of '{by_name[name].column}' (columns.segments.{name}), so {who} cannot "
                        f"be raked on its own (weighting.per_period); merge periods or groups, or rake the whole "
                        f"file")
    if problems:
        raise DataError(problems[0] if len(problems) == 1 else
                        f"{table.name}: {len(problems)} problems with the weighting margins", problems)
    raked = np.empty_like(weights, dtype=float)
    results: list[tuple[str, RakeResult]] = []
    for label, rows in parts:
        result = rake([code[rows] for code in codes], targets, weights[rows], tolerance=cfg.tolerance,
                      max_iterations=cfg.max_iterations, trim=cfg.trim)
        raked[rows] = result.weights
        results.append((label, result))
    whole = RakeResult(raked, max(r.iterations for _l, r in results), max(r.rounds for _l, r in results),
                       all(r.converged for _l, r in results), max(r.max_gap for _l, r in results),
                       sum(r.trimmed for _l, r in results))
    shares_out: list[MarginShare] = []
    for name, code, target, groups in zip(cfg.rake, codes, targets, listed):
        before = _shares(code, weights, len(target))
        after = _shares(code, raked, len(target))
        counts = np.bincount(code, minlength=len(target))
        for j, label in enumerate(groups):
            shares_out.append(MarginShare(name, label, float(target[j]), float(before[j]), float(after[j]),
                                          int(counts[j])))
    mean = raked.mean()
    summary = Weighting(list(cfg.rake), shares_out, whole.iterations, whole.rounds, whole.converged,
                        float(whole.max_gap), cfg.tolerance, cfg.max_iterations, cfg.trim, whole.trimmed,
                        whole.n, whole.n_eff, whole.efficiency, float(raked.min() / mean),
                        float(raked.max() / mean), project.columns.weight)
    if cfg.per_period and period_codes is not None:
        summary.periods = [PeriodRaking(label, r.n, r.iterations, r.converged, r.n_eff, r.efficiency,
                                        float(r.weights.min() / r.weights.mean()),
                                        float(r.weights.max() / r.weights.mean())) for label, r in results]
    for label, result in results:
        if result.converged:
            continue
        gaps = []
        for name, code, target, groups in zip(cfg.rake, codes, targets, listed):
            rows = parts[[l for l, _r in results].index(label)][1]
            got = _shares(code[rows], result.weights, len(target))
            gaps += [(abs(got[j] - target[j]), name, groups[j], got[j], target[j]) for j in range(len(target))]
        _gap, name, group, got, target = max(gaps)
        held = cfg.trim is not None and result.rounds >= cfg.max_iterations
        why = (f"the trim bounds [{cfg.trim[0]:g}, {cfg.trim[1]:g}] cannot be held while the margins are met; "
               "widen weighting.trim" if held else "raise weighting.max_iterations, or merge small groups")
        n = result.iterations
        summary.warnings.append(
            f"weighting: raking{f' of {label}' if label else ''} did not converge in {n} iteration"
            f"{'s' if n != 1 else ''}: the weighted share of {name} '{group}' is {got:.4%} against a target of "
            f"{target:.4%}; the weights are used as they are ({why})")
    return raked, summary
