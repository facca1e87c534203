"""Key findings: the few sentences a client can act on, generated from a study.

Candidates are the status of each KPI against its target, significant changes against
the previous period, the same period a year earlier and the baseline, the largest
segment gaps, the biggest movers among the units, the own brand's rank among its
competitors, the unit against its network (in a unit's report) and the best and worst
rated attributes. Each candidate carries its *materiality* (the size of the gap or
change relative to the range of the KPI's headline figure) and whether it is
statistically *significant*.

At most :data:`LIMIT` findings are chosen (:func:`rank`): the headline KPI's status
against target, one finding of each kind so no kind crowds the others out, then the
other candidates by significance and materiality. They are listed headline first, then
significant findings by materiality, then the rest by materiality, the attributes last.
Comparisons that are not significant take no place in the list: they are summarised in
one "stable" sentence (:attr:`Findings.stable`).

Rules every sentence keeps: only statistically significant differences are called rises,
falls, higher or lower; nothing is said about a figure whose base is suppressed; every
figure names its period ("one figure, one period, one rule"). Every sentence goes through
gettext, with named placeholders, so reports can be translated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator

from cxreport.i18n import _
from cxreport.present.formatting import DECIMALS, display_unit, figure, gap, half_width, num, round_half_away, shown_difference
from cxreport.scoring.kpis import ItemResult, ItemSpec, compare
from cxreport.validate import NOT_STATED

if TYPE_CHECKING:  # pragma: no cover
    from cxreport.pipeline import Study
    from cxreport.scoring.survey import Breakdown, Change, GroupResult

#: At most this many findings.
LIMIT = 8
#: A gap or change of at least this share of the KPI's scale is material (5 %: 10 NPS
#: points, 5 percentage points, 0.3 on a 1–7 mean — the default target tolerance).
MATERIAL = 0.05
#: Segments with more groups than this (branches) are for the tables, not the summary.
MAX_GROUPS = 12
#: Two groups sharing this share of the smaller one's respondents tell the same story.
SAME_CUSTOMERS = 0.8


@dataclass(frozen=True)
class Finding:
    text: str
    kind: str   # headline | target | change | segment | mover | competitor | unit | action | emerging | value | attribute
    tone: str = "neutral"  # positive | negative | neutral
    materiality: float = 0.0   # size of the gap or change / range of the KPI's headline figure
    significant: bool = False  # the difference it states is statistically significant


@dataclass
class Findings:
    """The ranked key findings and one sentence on what did not change significantly."""

    items: list[Finding] = field(default_factory=list)
    stable: str | None = None

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


@dataclass(frozen=True)
class _Stable:
    """A figure that did not differ significantly from ``against`` (a period or the rest of a network)."""

    subject: str      # 'CSAT (75%)'
    against: str      # '2026 Q2', 'the rest of Harbour Bank'
    relation: str = "period"   # period: did not change on ``against``; unit: did not differ from it


# --------------------------------------------------------------------------- small helpers


def _name(result: ItemResult) -> str:
    return result.spec.label


def _span(spec: ItemSpec) -> float:
    low, high = spec.headline_scale
    return float(high - low) or 1.0


def _size(diff: float | None, span: float) -> float:
    if diff is None or not math.isfinite(diff):
        return 0.0
    return abs(diff) / span


def _value_phrase(result: ItemResult) -> str:
    est = result.headline
    unit = est.unit
    value = figure(est.value, unit)
    hw = half_width(est.low, est.high, unit)
    if result.spec.headline == "top2":
        return _("{value} (top-2-box, {hw})").format(value=value, hw=hw)
    if result.spec.headline == "mean" and result.spec.kind != "rating":
        return _("{value} on the {low}–{high} scale ({hw})").format(
            value=value, low=result.spec.low, high=result.spec.high, hw=hw)
    return _("{value} ({hw})").format(value=value, hw=hw)


def _points(diff: float, unit: str) -> str:
    """The size of a difference in words, at the unit's precision and with the one rounding
    (:func:`cxreport.present.formatting.round_half_away`): '3 points', '1 percentage point',
    '0.18'. A difference that rounds to nothing is 'less than 1 point' (never '0 points').
    Beside two printed figures, pass their :func:`shown_difference`."""
    decimals = DECIMALS.get(unit, 1)
    size = round_half_away(abs(diff), decimals)
    if size == 0:
        # Translators: a difference smaller than the figures show, e.g. "less than 1 point".
        return _("less than {n}").format(n=_size_words(10.0 ** -decimals, unit, decimals))
    return _size_words(size, unit, decimals)


def _size_words(size: float, unit: str, decimals: int) -> str:
    if unit == "percent":
        return _("1 percentage point") if size == 1 else _("{n} percentage points").format(n=num(size, decimals))
    if unit in ("points", "index"):
        return _("1 point") if size == 1 else _("{n} points").format(n=num(size, decimals))
    return num(size, decimals)


def _ordinal(n: int) -> str:
    if 10 <= n % 100 <= 20 or n % 10 not in (1, 2, 3):
        # Translators: an ordinal rank, e.g. "4th" (also 11th, 12th, 13th).
        return _("{n}th").format(n=n)
    if n % 10 == 1:
        # Translators: an ordinal rank ending in 1, e.g. "1st", "21st".
        return _("{n}st").format(n=n)
    if n % 10 == 2:
        # Translators: an ordinal rank ending in 2, e.g. "2nd", "22nd".
        return _("{n}nd").format(n=n)
    # Translators: an ordinal rank ending in 3, e.g. "3rd", "23rd".
    return _("{n}rd").format(n=n)


def _join(parts: list[str], last: str) -> str:
    """'a', 'a and b', 'a, b and c' (``last`` is the translated ' and ' / ' or ' template)."""
    if len(parts) <= 1:
        return "".join(parts)
    return last.format(first=_(", ").join(parts[:-1]), last=parts[-1])


def _and(parts: list[str]) -> str:
    # Translators: joins the last item of a list: "CSAT (75%), CES (5.02) and NPS (+28)".
    return _join(parts, _("{first} and {last}"))


def _or(parts: list[str]) -> str:
    # Translators: joins the last item of a list of periods: "on 2026 Q2 or 2025 Q3".
    return _join(parts, _("{first} or {last}"))


def _shown(result: ItemResult | None) -> bool:
    return result is not None and result.headline.shown


def _first_kpi(study: Study) -> ItemSpec | None:
    kpis = study.results.kpis
    return kpis[0] if kpis else None


def _comparison_ref(comp) -> str:
    if comp.kind == "baseline":
        return _("the baseline {period}").format(period=comp.label)
    return comp.label


# --------------------------------------------------------------------------- status against target


def target_findings(study: Study) -> list[Finding]:
    """The window's figure of each KPI against its target; the first KPI's (the headline)
    even without a target. Significant: the target lies outside the figure's interval."""
    results, period = study.results, study.window.label
    out: list[Finding] = []
    for i, spec in enumerate(results.kpis):
        result = results.overall[spec.key]
        est = result.headline
        if not est.shown:
            continue
        kind = "headline" if i == 0 else "target"
        args = dict(kpi=_name(result), value=_value_phrase(result), period=period)
        status = study.targets.overall.get(spec.key)
        if status is None or status.gap is None or status.status == "none":
            if i == 0:
                out.append(Finding(_("{kpi} is {value} in {period}.").format(**args), kind))
            continue
        # The gap in words is the figure as shown minus the target as shown.
        args.update(target=figure(status.target, est.unit),
                    diff=_points(shown_difference(status.value, status.target, est.unit), est.unit))
        if status.status == "green" and abs(status.gap) < 1e-9:
            sentence, tone = _("{kpi} is {value} in {period}, on target ({target})").format(**args), "positive"
        elif status.status == "green":
            sentence = _("{kpi} is {value} in {period}, on target: {diff} above the target of {target}").format(**args)
            tone = "positive"
        elif status.status == "amber":
            sentence = _("{kpi} is {value} in {period}, near target: {diff} below the target of {target}").format(
                **args)
            tone = "neutral"
        else:
            sentence = _("{kpi} is {value} in {period}, below target: {diff} short of the target of {target}").format(
                **args)
            tone = "negative"
        significant = not (est.low <= status.target <= est.high)
        if significant or abs(status.gap) < 1e-9:
            # Translators: ends a finding on the status against target (built from the parts above).
            text = _("{sentence}.").format(sentence=sentence)
        else:
            # Translators: ends a finding on the status against target when the target lies within the
            # figure's 95 % interval.
            text = _("{sentence}, within the margin of error.").format(sentence=sentence)
        out.append(Finding(text, kind, tone, _size(status.gap, _span(spec)), significant))
    out.sort(key=lambda f: (f.kind != "headline", -f.materiality))
    return out


# --------------------------------------------------------------------------- changes against other periods


def change_findings(study: Study) -> tuple[list[Finding], list[_Stable]]:
    """Each KPI of the window against the previous period, the same period a year earlier
    and the baseline: significant changes are findings, the others stable."""
    results, period = study.results, study.window.label
    out: list[Finding] = []
    stable: list[_Stable] = []
    for comp in study.comparisons:
        for spec in results.kpis:
            now, before = results.overall.get(spec.key), comp.overall.get(spec.key)
            change = comp.changes.get(spec.key)
            if change is None or not (_shown(now) and _shown(before)):
                continue
            unit = now.headline.unit
            args = dict(kpi=spec.label, period=period, prev=_comparison_ref(comp),
                        now=figure(now.headline.value, unit), before=figure(before.headline.value, unit),
                        diff=_points(shown_difference(now.headline.value, before.headline.value, unit), unit))
            size = _size(change.test.diff, _span(spec))
            if change.mark > 0:
                out.append(Finding(_("{kpi} rose significantly in {period} to {now}, up {diff} on {prev} ({before}).")
                                   .format(**args), "change", "positive", size, True))
            elif change.mark < 0:
                out.append(Finding(_("{kpi} fell significantly in {period} to {now}, down {diff} on {prev} "
                                     "({before}).").format(**args), "change", "negative", size, True))
            else:
                stable.append(_Stable(_("{kpi} ({now})").format(**args), args["prev"]))
    out.sort(key=lambda f: -f.materiality)
    return out, stable


# --------------------------------------------------------------------------- segment gaps


def _members(data, breakdown: Breakdown, group: GroupResult):
    """Boolean mask of ``group``'s respondents in ``data`` (None when it cannot be found)."""
    if data is None:
        return None
    try:
        if breakdown.overlapping:
            answers = next(m for m in data.multi if m.name == breakdown.name)
            if group.label == NOT_STATED and group.label not in answers.labels:
                return ~answers.answered
            return answers.ticked[:, answers.labels.index(group.label)]
        grouping = next(s for s in data.segments if s.name == breakdown.name)
        return grouping.codes == grouping.labels.index(group.label)
    except (StopIteration, ValueError, IndexError):
        return None


def _same_customers(a, b) -> bool:
    if a is None or b is None or len(a) != len(b):
        return False
    smaller = min(int(a.sum()), int(b.sum()))
    return smaller > 0 and int((a & b).sum()) / smaller >= SAME_CUSTOMERS


def segment_findings(study: Study, limit: int = 2) -> list[Finding]:
    """The largest significant difference of a segment group against the rest of the sample
    on the first KPI; the next largest too when material and not mostly the same customers."""
    spec = _first_kpi(study)
    if spec is None:
        return []
    key, span = spec.key, _span(spec)
    scope = study.scope("segments") if study.view is not None else None
    period = scope.label if scope is not None else study.window.label
    candidates = []
    for breakdown in study.results.segments:
        if len(breakdown.groups) > MAX_GROUPS:
            continue  # long lists (branches) are for the tables, not the summary
        for group in breakdown.groups:
            change = group.changes.get(key)
            result = group.items.get(key)
            if change is None or change.mark == 0 or group.label == NOT_STATED or not _shown(result):
                continue
            candidates.append((_size(change.test.diff, span), breakdown, group, change))
    candidates.sort(key=lambda c: -c[0])
    data = None
    if study.view is not None:
        try:
            data = study.view.section_data("segments", study.project)
        except Exception:  # pragma: no cover - the view always has its data
            data = None
    out: list[Finding] = []
    chosen = []
    for size, breakdown, group, change in candidates:
        if len(out) >= limit:
            break
        if out and size < MATERIAL:
            break
        members = _members(data, breakdown, group)
        if any(_same_customers(members, other) for other in chosen):
            continue
        chosen.append(members)
        result = group.items[key]
        unit = result.headline.unit
        # The rest of the sample's figure is printed beside the group's, and the gap in words is
        # the difference of the two as shown (−24 and +35: 59 points), so the sentence adds up.
        value = result.headline.value
        rest = value - change.test.diff
        args = dict(kpi=result.spec.label, group=group.label, segment=breakdown.name.lower(), period=period,
                    value=figure(value, unit), rest=figure(rest, unit),
                    diff=_points(shown_difference(value, rest, unit), unit))
        if change.mark > 0:
            text = _("{group} ({segment}) stands out in {period} with {kpi} {value}, {diff} above the rest of the "
                     "sample ({rest}).")
        else:
            text = _("{group} ({segment}) lags in {period} with {kpi} {value}, {diff} below the rest of the sample "
                     "({rest}).")
        out.append(Finding(text.format(**args), "segment", "positive" if change.mark > 0 else "negative", size, True))
    return out


# --------------------------------------------------------------------------- movers


def _mover_diff(u, key: str) -> float:
    """A unit's change as printed: its figure now as shown minus its figure before as shown."""
    now, before = u.now[key].headline, u.before[key].headline
    return shown_difference(now.value, before.value, now.unit)


#: The comparisons whose movers the key findings name.
MOVER_KINDS = ("previous", "year_ago")


def make_tests(study: Study) -> None:
    """Make the tests the key findings need (:meth:`Study.tested`): the scoring calls this, so
    the tests are made with the scores and kept with the study in the build cache."""
    mover_findings(study)
    attribute_findings(study)


def mover_findings(study: Study, kinds: tuple[str, ...] = MOVER_KINDS) -> list[Finding]:
    """The largest significant improvement and decline on the first KPI among the units with
    enough base in both periods, against the previous period and the same period a year
    earlier (a unit named for one comparison is not repeated for the next)."""
    spec = _first_kpi(study)
    if spec is None or study.view is None:
        return []
    key, span = spec.key, _span(spec)
    results, project = study.results, study.project
    min_base = project.quarterly.min_base or results.rules.flag_below
    segments = study.unit_segments()
    if not segments:
        return []
    period = study.window.label
    out: list[Finding] = []
    named: set[tuple[str, str, int]] = set()
    for kind in kinds:
        comp = study.comparison(kind)
        units = study.unit_changes(kind, [key], segments) if comp is not None else None
        if units is None:
            continue
        movers = []
        for seg_name, rows in units.items():
            for u in rows:
                now, before, change = u.now.get(key), u.before.get(key), u.changes.get(key)
                if change is None or change.mark == 0 or u.label == NOT_STATED:
                    continue
                if not (_shown(now) and _shown(before)) or now.n < min_base or before.n < min_base:
                    continue
                movers.append((seg_name, u, change))
        for direction in (1, -1):
            picks = [m for m in movers if m[2].mark == direction]
            if not picks:
                continue
            # The largest change as printed (then exact), as the review's movers tables rank them.
            seg_name, u, change = max(picks, key=lambda m: (abs(_mover_diff(m[1], key)), abs(m[2].test.diff)))
            if (seg_name, u.label, direction) in named:
                continue
            named.add((seg_name, u.label, direction))
            unit = u.now[key].headline.unit
            args = dict(unit=u.label, segment=seg_name.lower(), kpi=spec.label, period=period,
                        prev=_comparison_ref(comp), now=figure(u.now[key].headline.value, unit),
                        before=figure(u.before[key].headline.value, unit), diff=_points(_mover_diff(u, key), unit))
            # "most" against one comparison: a unit that improved most on the year may not be the
            # one that improved most since the last quarter, so the sentence names which.
            if direction > 0:
                text = _("{unit} ({segment}) improved most since {prev}: {kpi} {now} in {period}, up {diff} "
                         "({before} in {prev}).")
            else:
                text = _("{unit} ({segment}) declined most since {prev}: {kpi} {now} in {period}, down {diff} "
                         "({before} in {prev}).")
            out.append(Finding(text.format(**args), "mover", "positive" if direction > 0 else "negative",
                               _size(change.test.diff, span), True))
    out.sort(key=lambda f: -f.materiality)
    return out


# --------------------------------------------------------------------------- competitors

#: Competitor metrics and the KPI whose scale they share.
_COMPETITOR_KPI = {"nps": "nps", "csat_top2": "csat", "ces_mean": "ces", "acsi": "acsi"}


def _competitor_span(comp, study: Study | None) -> float:
    key = _COMPETITOR_KPI.get(comp.metric)
    if study is not None and key in study.results.overall:
        spec = study.results.overall[key].spec
        if spec.headline_unit == comp.unit:
            return _span(spec)
    if comp.unit == "points":
        return 200.0
    if comp.unit in ("percent", "index"):
        return 100.0
    return 6.0 if comp.metric == "ces_mean" else 4.0


def competitor_findings(competitors: list, study: Study | None = None) -> list[Finding]:
    """The own brand's rank on each competitor metric (one per metric, the competitor
    survey's when it has one), with the leader. Significant: the own brand against the
    leader (or, when it leads, against the runner-up) is a significant difference. The
    headline KPI's metric comes first, then the others by materiality."""
    ordered = sorted(competitors, key=lambda c: c.origin != "survey")
    seen: set[str] = set()
    spec = _first_kpi(study) if study is not None else None
    lead = spec.key if spec is not None else None
    out: list[tuple[bool, Finding]] = []
    for comp in ordered:
        own = comp.own
        if comp.rank is None or own is None or own.value is None or own.base == "suppressed":
            continue
        shown = [b for b in comp.brands if b.value is not None and b.base != "suppressed"]
        others = [b for b in shown if not b.own]
        if not others or comp.metric in seen:
            continue
        seen.add(comp.metric)
        unit = display_unit(comp.unit)
        period = getattr(comp, "period", "") or ""
        if comp.origin == "survey":
            where = (_("in the competitor survey ({period})").format(period=period) if period
                     else _("in the competitor survey"))
        else:
            where = (_("in published and syndicated data ({period})").format(period=period) if period
                     else _("in published and syndicated data"))
        args = dict(own=own.brand, metric=comp.label, where=where, value=figure(own.value, unit),
                    rank=_ordinal(comp.rank), count=len(shown))
        if comp.rank == 1:
            other = max(others, key=lambda b: b.value)
            args.update(other=other.brand, second=figure(other.value, unit))
            significant = other.mark > 0
            if significant:
                text, tone = _("{own} leads on {metric} {where} with {value}, ahead of {other} ({second})."), "positive"
            elif other.testable:
                text, tone = _("{own} has the highest {metric} {where}, {value}, but the lead over {other} "
                               "({second}) is within the margin of error."), "neutral"
            else:
                text, tone = _("{own} has the highest {metric} {where}, {value}; {other} follows with {second} "
                               "(the difference cannot be tested)."), "neutral"
        else:
            leader = comp.best if comp.best is not None and not comp.best.own else max(others, key=lambda b: b.value)
            args.update(other=leader.brand, second=figure(leader.value, unit))
            significant = leader.mark != 0
            if significant:
                text, tone = _("{own} ranks {rank} of {count} on {metric} {where}, at {value}; {other} leads with "
                               "{second}."), "negative"
            elif leader.testable:
                text, tone = _("{own} ranks {rank} of {count} on {metric} {where}, at {value}; the gap to the "
                               "leader, {other} ({second}), is within the margin of error."), "neutral"
            else:
                text, tone = _("{own} ranks {rank} of {count} on {metric} {where}, at {value}; {other} leads with "
                               "{second} (the difference cannot be tested)."), "neutral"
        size = _size(comp.gap_to_leader, _competitor_span(comp, study))
        out.append((_COMPETITOR_KPI.get(comp.metric) != lead, Finding(text.format(**args), "competitor", tone, size,
                                                                      significant)))
    out.sort(key=lambda p: (p[0], -p[1].materiality))
    return [f for _lead, f in out]


# --------------------------------------------------------------------------- a unit against its network


def unit_findings(report, spec: ItemSpec, period: str) -> tuple[list[Finding], list[_Stable]]:
    """In a unit's report: the unit against the rest of the network and of its parent unit
    on ``spec`` (significant differences are findings, the others stable), and its rank."""
    fig = report.figures.get(spec.key) if report is not None else None
    if fig is None or not _shown(fig.own):
        return [], []
    span = _span(spec)
    unit = fig.own.headline.unit
    value = figure(fig.own.headline.value, unit)
    out: list[Finding] = []
    stable: list[_Stable] = []
    # The difference stated is the unit's figure minus the whole network's (or parent's), as in the
    # comparison table beside it; whether it is called a difference is the test against the rest.
    refs = [(fig.vs_network, fig.network, _("the network ({value})").format(
        value=figure(fig.network.headline.value, unit)) if _shown(fig.network) else _("the network"))]
    if report.parent_label and fig.parent is not None:
        refs.append((fig.vs_parent, fig.parent, _("{parent} ({value})").format(
            parent=report.parent_label, value=figure(fig.parent.headline.value, unit))
            if _shown(fig.parent) else report.parent_label))
    for change, other, ref in refs:
        if change is None:
            continue
        exact = fig.own.headline.value - other.headline.value if _shown(other) else change.test.diff
        # As printed beside the two figures: the shown figure minus the shown figure.
        diff = shown_difference(fig.own.headline.value, other.headline.value, unit) if _shown(other) else exact
        if change.mark and (exact > 0) != (change.mark > 0):
            diff = change.test.diff        # never state a gap in the opposite direction to the test
        args = dict(kpi=spec.label, unit=report.label, value=value, period=period, ref=ref,
                    diff=_points(diff, unit))
        if change.mark > 0:
            out.append(Finding(_("{kpi} in {unit} is {value} in {period}, {diff} above {ref}.").format(**args),
                               "unit", "positive", _size(change.test.diff, span), True))
        elif change.mark < 0:
            out.append(Finding(_("{kpi} in {unit} is {value} in {period}, {diff} below {ref}.").format(**args),
                               "unit", "negative", _size(change.test.diff, span), True))
        else:
            stable.append(_Stable(_("{kpi} in {unit} ({value})").format(**args), ref, "unit"))
    if fig.rank is not None and fig.peers > 1:
        args = dict(unit=report.label, rank=_ordinal(fig.rank), peers=fig.peers, segment=report.segment.lower(),
                    kpi=spec.label, period=period, value=value)
        if fig.parent_rank is not None and fig.parent_peers > 1 and report.parent_label:
            args.update(prank=_ordinal(fig.parent_rank), ppeers=fig.parent_peers, parent=report.parent_label)
            text = _("{unit} ranks {rank} of {peers} {segment} units on {kpi} in {period} ({value}), and {prank} "
                     "of {ppeers} in {parent}.")
        else:
            text = _("{unit} ranks {rank} of {peers} {segment} units on {kpi} in {period} ({value}).")
        size = _size(fig.vs_network.test.diff, span) if fig.vs_network is not None else 0.0
        out.append(Finding(text.format(**args), "unit", "neutral", size, False))
    return out, stable


# --------------------------------------------------------------------------- attributes


def attribute_findings(study: Study) -> list[Finding]:
    """The best and the worst rated attribute of the window, when they differ significantly."""
    results = study.results
    shown = [results.overall[s.key] for s in results.attributes if results.overall[s.key].mean.shown]
    if len(shown) < 2:
        return []

    def position(r: ItemResult) -> float:
        return (r.mean.value - r.spec.low) / ((r.spec.high - r.spec.low) or 1)

    ranked = sorted(shown, key=position, reverse=True)
    best, worst = ranked[0], ranked[-1]
    if (best.spec.low, best.spec.high) != (worst.spec.low, worst.spec.high):
        return []
    # Welch's t; the same respondents rate both, so conservative
    test = study.tested(("attribute gap", best.spec.key, worst.spec.key), lambda: compare(best, worst))
    # One comparison, a table of one: its adjusted p-value is its p-value (METHODS.md §8).
    if test is None or not test.significant(results.alpha):
        return []
    text = _("In {period}, customers rate {best} highest ({bv} out of {bs}) and {worst} lowest ({wv} out of "
             "{ws}).").format(period=study.window.label, best=best.spec.label.lower(), bv=num(best.mean.value, 2),
                              bs=best.spec.high, worst=worst.spec.label.lower(), wv=num(worst.mean.value, 2),
                              ws=worst.spec.high)
    return [Finding(text, "attribute", "neutral", _size(test.diff, float(best.spec.high - best.spec.low) or 1.0),
                    True)]


# --------------------------------------------------------------------------- the stable line


def stable_sentence(entries: list[_Stable], period: str) -> str | None:
    """One sentence on every comparison that is not significant, grouped by what it was compared with:
    'Stable in 2026 Q3: CSAT (75%) and CES (5.02) did not change significantly on 2026 Q2; NPS (+28)
    did not change significantly on 2025 Q3.'"""
    if not entries:
        return None
    against: dict[tuple[str, str], list[str]] = {}
    for entry in entries:
        refs = against.setdefault((entry.relation, entry.subject), [])
        if entry.against not in refs:
            refs.append(entry.against)
    groups: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for (relation, subject), refs in against.items():
        groups.setdefault((relation, tuple(refs)), []).append(subject)
    clauses = []
    for (relation, refs), subjects in groups.items():
        if relation == "unit":
            text = _("{items} did not differ significantly from {others}")
        else:
            text = _("{items} did not change significantly on {others}")
        clauses.append(text.format(items=_and(subjects), others=_or(list(refs))))
    # Translators: the one line on what did not change; {clauses} are joined with "; ".
    return _("Stable in {period}: {clauses}.").format(period=period, clauses=_("; ").join(clauses))


# --------------------------------------------------------------------------- ranking


def _order(pair: tuple[int, Finding]) -> tuple:
    index, f = pair
    return (f.kind != "headline", f.kind == "attribute", not f.significant, -f.materiality, index)


def rank(candidates: list[Finding], limit: int = LIMIT) -> list[Finding]:
    """Choose and order at most ``limit`` findings.

    The headline first of all. Then one finding of each kind (target, change, segment,
    mover, competitor, unit, action, value, emerging) so that no kind crowds the others out
    (kept all, when there are more kinds than ``limit``): the first significant
    one in the order its producer prefers (the largest gap or change; for competitors the
    headline KPI's metric), else its first. The places left go to the other candidates by
    significance and materiality, the attributes last. The chosen findings are listed
    headline first, then significant ones by materiality, then the others by materiality,
    the attributes last.
    """
    pairs = list(enumerate(candidates))
    chosen = [p for p in pairs if p[1].kind == "headline"]
    kinds: list[str] = []
    for _i, f in pairs:
        if f.kind not in ("headline", "attribute") and f.kind not in kinds:
            kinds.append(f.kind)
    picks = []
    for kind in kinds:
        of_kind = [p for p in pairs if p[1].kind == kind]
        picks.append(next((p for p in of_kind if p[1].significant), of_kind[0]))
    # One of each kind is kept even when there are more kinds than places (a study with
    # customer value and emerging themes has ten): the limit bounds the extra ones.
    limit = max(limit, len(chosen) + len(picks))
    chosen += sorted(picks, key=_order)
    chosen = chosen[:limit]
    taken = {i for i, _f in chosen}
    rest = sorted((p for p in pairs if p[0] not in taken), key=_order)
    chosen += rest[:max(0, limit - len(chosen))]
    return [f for _i, f in sorted(chosen, key=_order)]


def action_findings(study: Study) -> list[Finding]:
    """One finding on the action register: which actions moved their metric, and the late ones."""
    report = getattr(study, "actions", None)
    if report is None or not report.results:
        return []
    from cxreport.present.formatting import gap as gap_text

    measured = [r for r in report.results if r.verdict != "too early"]
    moved = [r for r in measured if r.verdict == "improved"]
    worse = [r for r in measured if r.verdict == "worsened"]
    overdue = [r.id for r in report.results if r.overdue]
    if not measured and not overdue:
        return []
    parts = []
    if measured:
        named = _and([_("{id} ({metric} {change})").format(id=r.id, metric=r.metric_short,
                                                            change=gap_text(r.change_shown, r.unit)) for r in moved])
        if moved:
            parts.append(_("{k} of {n} measured actions moved their metric in {period}: {named}.").format(
                k=len(moved), n=len(measured), period=report.window, named=named))
        else:
            parts.append(_("None of the {n} measured actions has moved its metric significantly yet ({period}).").format(
                n=len(measured), period=report.window))
        if worse:
            parts.append(_("The metric of {ids} worsened significantly.").format(ids=_and([r.id for r in worse])))
    if overdue:
        parts.append((_("{ids} is overdue.") if len(overdue) == 1 else _("{ids} are overdue.")).format(ids=_and(overdue)))
    tone = "negative" if worse or (overdue and not moved) else "positive" if moved else "neutral"
    size = max((abs(r.change) / (r.mde or 1) for r in moved + worse if r.change is not None), default=0.0) * MATERIAL
    return [Finding(" ".join(parts), "action", tone, size, bool(moved or worse))]


def key_findings(study: Study, limit: int = LIMIT) -> Findings:
    """The key findings of ``study``'s reporting window, ranked, and the stable line."""
    period = study.window.label
    changes, stable = change_findings(study)
    candidates = target_findings(study) + changes + segment_findings(study) + mover_findings(study)
    if study.unit is None:          # the market position is the network's, not a unit's finding
        candidates += competitor_findings(study.competitors, study)
    spec = _first_kpi(study)
    if study.unit is not None and spec is not None:
        found, unit_stable = unit_findings(study.unit, spec, period)
        candidates += found
        stable = unit_stable + stable
    candidates += action_findings(study)
    from cxreport.present.voc import emerging_findings      # emerging comment themes (docs/voice.md)

    candidates += emerging_findings(study)
    from cxreport.present.value import value_findings       # the value tier's satisfied-but-not-loyal share

    candidates += value_findings(study)
    candidates += attribute_findings(study)
    return Findings(rank(candidates, limit), stable_sentence(stable, period))


__all__ = ["Finding", "Findings", "key_findings", "rank", "gap"]
