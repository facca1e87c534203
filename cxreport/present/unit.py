"""Plain data for a ``--per`` unit's comparison with its network (templates/partials/unit_comparison.html).

The unit's KPIs beside its parent unit's (a branch's region) and the network's, the
differences with the marks of the tests against the rest of each (never against a total
that contains the unit), its rank among its peers, and a generated paragraph about the
unit only. As in the key findings, a difference is called higher, lower, above or below
only when the test is significant; otherwise it is "not significantly different".
"""

from __future__ import annotations

import math

from cxreport import i18n
from cxreport.i18n import _
from cxreport.present.context import est_cell
from cxreport.present.findings import _points
from cxreport.present.formatting import figure, num, shown_difference
from cxreport.scoring.units import UnitFigure, UnitReport


def ordinal(n: int) -> str:
    """'1st', '2nd', '3rd', '11th', '22nd' in English; the plain number in other languages."""
    if i18n.current().code != "en":
        return num(n)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{num(n)}{suffix}"


def rank_text(rank: int | None, peers: int) -> str | None:
    """'3rd of 24'; '3 / 24' in a language without a translation of the phrase; None
    without a rank (the unit's figure is not shown)."""
    if rank is None or not peers:
        return None
    # Translators: a unit's rank among its peers, e.g. "3rd of 24" ({rank} is a plain number outside English).
    template = _("{rank} of {n}")
    if i18n.current().code != "en" and template == "{rank} of {n}":
        return f"{num(rank)} / {num(peers)}"
    return template.format(rank=ordinal(rank), n=num(peers))


def _shown(result) -> bool:
    return result is not None and result.headline.shown


def _diff(own, other, change) -> dict | None:
    """The displayed difference — the unit's figure as shown minus the other's as shown, so it
    is the difference of the two figures printed beside it — and the mark of the test against
    the rest (``exact``: the unrounded difference)."""
    if not (_shown(own) and _shown(other)):
        return None
    unit = own.headline.unit
    return {"value": shown_difference(own.headline.value, other.headline.value, unit),
            "exact": own.headline.value - other.headline.value, "mark": change.mark if change else 0,
            "tested": change is not None, "rest_diff": change.test.diff if change is not None else None,
            "p": change.test.p_value if change is not None and math.isfinite(change.test.p_value) else None}


def _row(f: UnitFigure, has_parent: bool) -> dict:
    return {
        "key": f.key, "label": f.label, "unit": f.unit,
        "own": est_cell(f.own.headline), "n": f.own.n,
        "parent": est_cell(f.parent.headline) if has_parent and f.parent is not None else None,
        "network": est_cell(f.network.headline),
        "vs_parent": _diff(f.own, f.parent, f.vs_parent) if has_parent else None,
        "vs_network": _diff(f.own, f.network, f.vs_network),
        "rank": rank_text(f.rank, f.peers), "peers": f.peers, "rank_value": f.rank,
        "parent_rank": rank_text(f.parent_rank, f.parent_peers) if has_parent else None,
    }


def _sentences(u: UnitReport, f: UnitFigure, first: bool) -> list[str]:
    """What the paragraph says about one KPI (the first KPI also gets the unit's rank)."""
    unit = f.unit
    own, net = f.own.headline, f.network.headline
    if not own.shown:
        if f.own.n == 0:
            return []
        return [_("{unit} has too few responses in {period} ({n}) to report its {kpi}.").format(
            unit=u.label, period=u.period, n=num(f.own.n), kpi=f.label)]
    args = dict(unit=u.label, kpi=f.label, period=u.period, value=figure(own.value, unit),
                network=figure(net.value, unit),
                diff=_points(shown_difference(own.value, net.value, unit), unit) if net.shown else "")
    change = f.vs_network
    if change is None or not net.shown:
        text = _("{unit}'s {kpi} in {period} is {value}; it cannot be tested against the rest of the network, "
                 "whose base is too small.")
    elif change.mark > 0:
        text = _("{unit}'s {kpi} in {period} is {value}, significantly above the network ({network}): "
                 "{diff} higher.")
    elif change.mark < 0:
        text = _("{unit}'s {kpi} in {period} is {value}, significantly below the network ({network}): "
                 "{diff} lower.")
    else:
        text = _("{unit}'s {kpi} in {period} is {value}, not significantly different from the network "
                 "({network}).")
    out = [text.format(**args)]
    if u.has_parent and f.parent is not None:
        par = f.parent.headline
        pargs = dict(parent=u.parent_label, value=figure(par.value, unit),
                     diff=_points(shown_difference(own.value, par.value, unit), unit) if par.shown else "")
        pchange = f.vs_parent
        if not par.shown or pchange is None:
            pass   # a base too small to test: the table shows it
        elif pchange.mark > 0:
            out.append(_("It is significantly above {parent} ({value}): {diff} higher.").format(**pargs))
        elif pchange.mark < 0:
            out.append(_("It is significantly below {parent} ({value}): {diff} lower.").format(**pargs))
        else:
            out.append(_("It is not significantly different from {parent} ({value}).").format(**pargs))
    if first:
        rank = rank_text(f.rank, f.peers)
        prank = rank_text(f.parent_rank, f.parent_peers) if u.has_parent else None
        if rank and prank:
            out.append(_("On {kpi} it ranks {rank} in the network and {prank} in {parent}.").format(
                kpi=f.label, rank=rank, prank=prank, parent=u.parent_label))
        elif rank:
            out.append(_("On {kpi} it ranks {rank} in the network.").format(kpi=f.label, rank=rank))
    return out


def unit_context(study) -> dict | None:
    """``study.unit`` (a :class:`UnitReport`, in a ``--per`` unit's study) as plain data for
    templates; None in any other study."""
    u = getattr(study, "unit", None)
    if not isinstance(u, UnitReport):
        return None
    alpha = study.results.alpha if getattr(study, "results", None) is not None else 0.05
    figures = list(u.figures.values())
    sentences: list[str] = []
    if u.base == 0:
        sentences.append(_("{unit} has no responses in {period}.").format(unit=u.label, period=u.period))
    for i, f in enumerate(figures):
        sentences += _sentences(u, f, i == 0)
    notes = []
    if u.spans and u.parent_label is not None:
        where = _(", ").join(_("{group} ({n})").format(group=p, n=num(n)) for p, n in u.spans.items())
        notes.append(_("{unit} has responses in several {segment} groups: {where}; it is compared with "
                       "{parent}, which holds most of them.").format(unit=u.label, segment=u.parent_segment,
                                                                      where=where, parent=u.parent_label))
    a = round(alpha * 100)
    if u.has_parent:
        test_note = _("Tested against the rest of the network and the rest of {parent}; ▲ ▼ significant at the "
                      "{a}% level.").format(parent=u.parent_label, a=a)
    else:
        test_note = _("Tested against the rest of the network; ▲ ▼ significant at the {a}% level.").format(a=a)
    return {
        "heading": _("How {unit} compares — {period}").format(unit=u.label, period=u.period),
        "label": u.label, "segment": u.segment, "slug": u.slug, "period": u.period,
        "network": u.network, "base": u.base, "network_base": u.network_base,
        "parent": {"label": u.parent_label, "segment": u.parent_segment, "base": u.parent_base}
        if u.has_parent else None,
        "rows": [_row(f, u.has_parent) for f in figures],
        "paragraph": " ".join(sentences),
        "sentences": sentences,
        "notes": notes,
        "test_note": test_note,
        "alpha": alpha,
        "own_narrative": u.narrative is not None,
    }
