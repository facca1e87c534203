"""Key-findings sentences generated from the results.

Only differences that are statistically significant are called rises, falls, higher or
lower; nothing is said about a figure whose base is suppressed. Every sentence goes
through gettext so reports can be translated.
"""

from __future__ import annotations

from dataclasses import dataclass

from cxreport.benchmark.targets import TargetReport
from cxreport.i18n import _
from cxreport.present.formatting import figure, gap, half_width, num
from cxreport.scoring.kpis import ItemResult
from cxreport.scoring.survey import SurveyResults


@dataclass(frozen=True)
class Finding:
    text: str
    kind: str   # headline | target | change | segment | attribute
    tone: str = "neutral"  # positive | negative | neutral


def _name(result: ItemResult) -> str:
    return result.spec.label


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
    if unit == "percent":
        return _("{n} percentage points").format(n=num(abs(diff), 1))
    if unit == "points":
        n = round(abs(diff))
        return _("1 point") if n == 1 else _("{n} points").format(n=num(n))
    return num(abs(diff), 2)


def headline_findings(results: SurveyResults, targets: TargetReport) -> list[Finding]:
    out: list[Finding] = []
    for spec in results.kpis:
        result = results.overall[spec.key]
        est = result.headline
        if not est.shown:
            continue
        sentence = _("{kpi} is {value}").format(kpi=_name(result), value=_value_phrase(result))
        status = targets.overall.get(spec.key)
        tone = "neutral"
        if status and status.gap is not None:
            target = figure(status.target, est.unit)
            if abs(status.gap) < 1e-9:
                sentence += _(", exactly on the target of {target}").format(target=target)
                tone = "positive"
            elif status.gap > 0:
                sentence += _(", {diff} above the target of {target}").format(
                    diff=_points(status.gap, est.unit), target=target)
                tone = "positive"
            else:
                sentence += _(", {diff} below the target of {target}").format(
                    diff=_points(status.gap, est.unit), target=target)
                tone = "negative" if status.status == "red" else "neutral"
        # Translators: ends a headline finding (the sentence is built from the parts above).
        out.append(Finding(_("{sentence}.").format(sentence=sentence), "headline", tone))
    return out


def change_findings(results: SurveyResults) -> list[Finding]:
    periods = results.periods
    if periods is None or len(periods.groups) < 2:
        return []
    last, prev = periods.groups[-1], periods.groups[-2]
    out: list[Finding] = []
    for spec in results.kpis:
        now, before = last.items[spec.key], prev.items[spec.key]
        change = last.changes.get(spec.key)
        if change is None or not (now.headline.shown and before.headline.shown):
            continue
        unit = now.headline.unit
        args = dict(kpi=spec.label, period=last.label, prev=prev.label,
                    now=figure(now.headline.value, unit), before=figure(before.headline.value, unit),
                    diff=_points(change.test.diff, unit))
        if change.mark > 0:
            out.append(Finding(_("{kpi} rose significantly in {period} to {now}, up {diff} on {prev} ({before}).")
                               .format(**args), "change", "positive"))
        elif change.mark < 0:
            out.append(Finding(_("{kpi} fell significantly in {period} to {now}, down {diff} on {prev} ({before}).")
                               .format(**args), "change", "negative"))
        else:
            out.append(Finding(_("{kpi} in {period} ({now}) is not significantly different from {prev} ({before}).")
                               .format(**args), "change"))
    return out


def segment_findings(results: SurveyResults, limit: int = 4) -> list[Finding]:
    """The largest significant segment differences on the first KPI (usually NPS)."""
    if not results.kpis:
        return []
    key = results.kpis[0].key
    candidates = []
    for breakdown in results.segments:
        if len(breakdown.groups) > 12:
            continue  # long lists (branches) are for the tables, not the summary
        for group in breakdown.groups:
            change = group.changes.get(key)
            if change is None or change.mark == 0:
                continue
            candidates.append((abs(change.test.diff), breakdown, group, change))
    candidates.sort(key=lambda c: -c[0])
    out = []
    for _size, breakdown, group, change in candidates[:limit]:
        result = group.items[key]
        unit = result.headline.unit
        args = dict(kpi=result.spec.label, group=group.label, segment=breakdown.name.lower(),
                    value=figure(result.headline.value, unit), diff=_points(change.test.diff, unit))
        if change.mark > 0:
            text = _("{group} ({segment}) stands out with {kpi} {value}, {diff} above the rest of the sample.")
        else:
            text = _("{group} ({segment}) lags with {kpi} {value}, {diff} below the rest of the sample.")
        out.append(Finding(text.format(**args), "segment", "positive" if change.mark > 0 else "negative"))
    return out


def attribute_findings(results: SurveyResults) -> list[Finding]:
    shown = [results.overall[s.key] for s in results.attributes if results.overall[s.key].mean.shown]
    if len(shown) < 2:
        return []
    ranked = sorted(shown, key=lambda r: r.mean.value, reverse=True)
    best, worst = ranked[0], ranked[-1]
    return [Finding(_("Customers rate {best} highest ({bv} out of {bs}) and {worst} lowest ({wv} out of {ws}).").format(
        best=best.spec.label.lower(), bv=num(best.mean.value, 2), bs=best.spec.high,
        worst=worst.spec.label.lower(), wv=num(worst.mean.value, 2), ws=worst.spec.high), "attribute")]


def key_findings(results: SurveyResults, targets: TargetReport) -> list[Finding]:
    return (headline_findings(results, targets) + change_findings(results)
            + segment_findings(results) + attribute_findings(results))


__all__ = ["Finding", "key_findings", "gap"]
