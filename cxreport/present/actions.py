"""The action register as the reports, the deck and the workbook show it.

One set of words for every output: the verdict, the status and the flags are named here
(through gettext), and every figure is printed with the report's formatting (the change is
the difference of the two printed figures, as in the scorecard)."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from cxreport.i18n import _
from cxreport.present.formatting import DASH, figure, gap, num

#: verdict → (words, status class: the colour the report's status rule gives it)
VERDICT_CLASS = {"improved": "green", "worsened": "red", "no detectable change": "neutral", "too early": "muted"}


def verdict_label(verdict: str) -> str:
    return {"improved": _("Improved"), "worsened": _("Worsened"),
            "no detectable change": _("No detectable change"), "too early": _("Too early")}[verdict]


def status_label(status: str) -> str:
    return {"planned": _("Planned"), "in progress": _("In progress"), "done": _("Done"),
            "dropped": _("Dropped")}[status]


def flag_label(flag: str | None) -> str | None:
    return {"overdue": _("Overdue"), "due soon": _("Due soon"), None: None}[flag]


def _measure(m, unit: str) -> dict | None:
    if m is None:
        return None
    return {"period": m.label,
            "value": figure(m.value, unit) if m.shown else DASH, "n": num(m.n), "small": m.small,
            "shown": m.shown}


def verdict_text(r) -> str:
    """The verdict in words, with what a reader needs to weigh it."""
    if r.verdict == "too early":
        return _("Too early: %(reason)s") % {"reason": r.reason} if r.reason else _("Too early")
    if r.verdict == "no detectable change":
        return _("No detectable change (these bases detect %(mde)s or more)") % {"mde": gap(r.mde, r.unit).lstrip("+")}
    return verdict_label(r.verdict)


def row(r) -> dict:
    a = r.action
    interval = None
    if r.change_low is not None:
        interval = _("%(low)s to %(high)s") % {"low": gap(r.change_low, r.unit), "high": gap(r.change_high, r.unit)}
    return {
        "id": a.id, "title": a.title, "owner": a.owner, "start": a.start, "due": a.due,
        "status": a.status, "status_label": status_label(a.status),
        "metric": r.metric_label, "unit": r.unit, "expected": gap(a.expected, r.unit) if a.expected is not None else None,
        "baseline": _measure(r.baseline, r.unit), "now": _measure(r.now, r.unit),
        "change": gap(r.change_shown, r.unit) if r.change_shown is not None else None,
        "interval": interval, "mde": gap(r.mde, r.unit).lstrip("+") if r.mde is not None else None,
        "p_value": r.p_value, "verdict": r.verdict, "verdict_label": verdict_label(r.verdict),
        "verdict_text": verdict_text(r), "verdict_class": VERDICT_CLASS[r.verdict], "reason": r.reason,
        "flag": r.flag, "flag_label": flag_label(r.flag), "days_to_due": r.days_to_due,
        "themes": r.themes, "notes": a.notes,
    }


def summary(report) -> str:
    """One sentence: how many actions, their verdicts and flags."""
    counts = report.counts
    n = len(report.results)
    parts = []
    one = counts["improved"] == 1, counts["no detectable change"] == 1, counts["worsened"] == 1, counts["too early"] == 1
    words = {
        "improved": _("%(n)s improved its metric") if one[0] else _("%(n)s improved their metric"),
        "no detectable change": _("%(n)s shows no detectable change") if one[1] else _("%(n)s show no detectable change"),
        "worsened": _("%(n)s saw its metric worsen") if one[2] else _("%(n)s saw their metric worsen"),
        "too early": _("%(n)s is too early to judge") if one[3] else _("%(n)s are too early to judge"),
    }
    for verdict in ("improved", "no detectable change", "worsened", "too early"):
        if counts[verdict]:
            parts.append(words[verdict] % {"n": counts[verdict]})
    text = (_("%(n)s action in the register") if n == 1 else _("%(n)s actions in the register")) % {"n": n}
    if parts:
        text += _(": ") + _(", ").join(parts)
    text += _(".")
    flags = []
    if report.overdue:
        flags.append((_("%(n)s is overdue") if report.overdue == 1 else _("%(n)s are overdue")) % {"n": report.overdue})
    if report.due_soon:
        flags.append(_("%(n)s due within %(days)s days") % {"n": report.due_soon, "days": report.due_soon_days})
    if flags:
        text += " " + _(", ").join(flags)[:1].upper() + _(", ").join(flags)[1:] + _(".")
    return text


def actions_context(report) -> dict | None:
    """The template data of the actions section and the 'You said, we did' page."""
    if report is None:
        return None
    rows = [row(r) for r in report.results]
    by_id = {r["id"]: r for r in rows}
    you_said = [{"theme": t.theme, "negative": num(t.negative), "share": figure(t.share, "percent"),
                 "quote": t.quote, "actions": [by_id[i] for i in t.actions]} for t in report.you_said]
    return {
        "rows": rows, "summary": summary(report), "as_of": report.as_of, "window": report.window,
        "register": report.register, "counts": report.counts, "overdue": report.overdue,
        "due_soon": report.due_soon, "due_soon_days": report.due_soon_days,
        "you_said": you_said, "unaddressed": report.unaddressed, "comments_period": report.comments_scope,
        "confidence": 95, "alpha": report.alpha,
    }


# --------------------------------------------------------------------------- narrative markers

_TOKEN = "CXACTIONREF{}X"


def protect_markers(text: str) -> tuple[str, list[str]]:
    """Replace every ``[action: ID]`` by a plain token before the Markdown is rendered (and
    cleaned); :func:`restore_markers` puts the action's owner, due date and status there."""
    from cxreport.scoring.actions import MARKER

    found: list[str] = []

    def sub(m: re.Match) -> str:
        found.append(m.group(1).strip())
        return _TOKEN.format(len(found) - 1)

    return MARKER.sub(sub, text), found


def restore_markers(html: str, ids: list[str], report) -> Markup:
    from cxreport.present.render import long_date

    for i, action_id in enumerate(ids):
        r = report.find(action_id) if report is not None else None
        if r is None:
            text = escape(action_id)
        else:
            a = r.action
            bits = [_("Action %(id)s") % {"id": a.id}, _("owner: %(owner)s") % {"owner": a.owner},
                    _("due %(date)s") % {"date": long_date(a.due)}, status_label(a.status).lower()]
            if r.flag:
                bits.append(flag_label(r.flag).lower())
            if r.verdict != "too early":
                bits.append(_("measured: %(verdict)s") % {"verdict": verdict_label(r.verdict).lower()})
            text = escape(" · ".join(bits))
        html = html.replace(_TOKEN.format(i), f'<span class="action-ref">{text}</span>')
    return Markup(html)
