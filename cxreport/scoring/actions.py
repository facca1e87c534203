"""Did the actions work? Each action's metric at its baseline and now (METHODS.md §10).

For every action in the register (:mod:`cxreport.load.actions`):

- **baseline**: the period the register names, or else the last period with responses
  that ends before the action starts;
- **now**: the reporting window; when the window reaches back into the baseline (a pooled
  or yearly window), its last period;
- the change now − baseline with its 95 % interval (± z·SE_diff) and the test the report uses
  everywhere for that figure (§1–2); the minimum detectable effect at these bases,
  MDE = (z₁₋α/₂ + z₀.₈) · SE_diff, SE_diff² = SE₁² + SE₂² (2.801585 · SE_diff at α = 0.05);
- a verdict: **improved** (significant, in the wanted direction), **worsened** (significant,
  the other way), **no detectable change** (not significant; the MDE says how large a change
  these bases could have shown), **too early** (the action starts after the window, there is
  no baseline before it, or a base is below ``bases.suppress_below``);
- flags: **overdue** (planned or in progress, due before the report date) and **due soon**
  (due within ``actions.due_soon_days``).

The wanted direction is up, except where the register's ``expected`` change is negative
(fewer mentions of a complaint theme, a lower effort mean on a reversed scale).

"You said, we did" pairs the leading complaint themes (most negative comments in the
comments section's rows) with the actions that address them: a ``theme:`` metric, a theme
in ``addresses``, or an attribute metric whose theme ``priorities.themes`` names.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cxreport.errors import ConfigError
from cxreport.i18n import _
from cxreport.load.actions import Action, Register
from cxreport.scoring import stats
from cxreport.scoring.kpis import BaseRules, ItemColumns, ItemSpec, compare, result_from_sums, shown_difference, \
    shown_value
from cxreport.util import did_you_mean


def _special():
    """scipy.special, imported when first needed (its import takes about 0.2 s, and a build that
    reads its scores from the cache never needs it)."""
    from scipy import special

    return special


#: z for 80 % power (one-sided), as fixed in METHODS.md §10.
Z_POWER = 0.841621
VERDICTS = ("improved", "no detectable change", "worsened", "too early")
#: An action named in a narrative file: ``[action: A-03]``.
MARKER = re.compile(r"\[\s*action\s*:\s*([^\]\n]{1,80}?)\s*\]", re.IGNORECASE)


def z_two_sided(alpha: float) -> float:
    """z₁₋α/₂: 1.959964 at α = 0.05 (the value METHODS.md fixes)."""
    if abs(alpha - 0.05) < 1e-12:
        return stats.Z95
    return float(-_special().ndtri(alpha / 2))


def mde(se_diff: float, alpha: float = 0.05) -> float:
    """Minimum detectable effect at two-sided ``alpha`` and 80 % power."""
    return (z_two_sided(alpha) + Z_POWER) * se_diff


@dataclass
class Measure:
    """The metric in one span: figure, interval, base."""

    label: str                 # the period, e.g. "2026 Q1"
    value: float
    low: float
    high: float
    se: float
    n: int
    shown: bool                # False: base below bases.suppress_below (or no answers)
    small: bool = False        # base below bases.flag_below


@dataclass
class ActionResult:
    action: Action
    metric_label: str           # "NPS", "Waiting time (mean, 1–5)", "Theme: Waiting and queues (% of comments)"
    unit: str                   # points | percent | mean
    direction: int              # +1: up is better; −1: down is better
    baseline: Measure | None
    now: Measure | None
    change: float | None = None            # now − baseline, exact
    change_shown: float | None = None      # the difference of the printed figures
    change_low: float | None = None
    change_high: float | None = None
    p_value: float | None = None
    test: str | None = None
    mde: float | None = None
    verdict: str = "too early"
    reason: str = ""                        # why too early, in words
    overdue: bool = False
    due_soon: bool = False
    days_to_due: int | None = None
    themes: list[str] = field(default_factory=list)   # comment themes it addresses
    metric_short: str = ""                            # the metric in a sentence

    @property
    def id(self) -> str:
        return self.action.id

    @property
    def flag(self) -> str | None:
        return "overdue" if self.overdue else "due soon" if self.due_soon else None


@dataclass
class ThemeActions:
    theme: str
    negative: int               # negative comments mentioning it (the comments section's rows)
    share: float                # % of all comments that are negative and mention it
    quote: str | None           # a masked verbatim
    actions: list[str]          # action ids


@dataclass
class ActionReport:
    register: str                       # the file as the project names it
    as_of: dt.date                      # the report date flags are counted from
    window: str                         # the reporting window's label
    alpha: float
    due_soon_days: int
    results: list[ActionResult]
    you_said: list[ThemeActions] = field(default_factory=list)
    unaddressed: list[str] = field(default_factory=list)     # leading themes no action addresses
    comments_scope: str = ""

    @property
    def counts(self) -> dict[str, int]:
        out = {v: 0 for v in VERDICTS}
        for r in self.results:
            out[r.verdict] += 1
        return out

    @property
    def overdue(self) -> int:
        return sum(r.overdue for r in self.results)

    @property
    def due_soon(self) -> int:
        return sum(r.due_soon for r in self.results)

    def find(self, action_id: str) -> ActionResult | None:
        key = action_id.casefold()
        return next((r for r in self.results if r.action.id.casefold() == key), None)


# --------------------------------------------------------------------------- resolving metrics


@dataclass
class _Target:
    """A resolved metric: which item, which rows (a group of a segment), or a theme."""

    label: str
    unit: str
    spec: ItemSpec | None = None
    segment: object = None          # Grouping
    group: int | None = None
    theme: str | None = None
    themes: list[str] = field(default_factory=list)
    short: str = ""                  # the metric in a sentence: "Ease of digital banking", "NPS in North"
    shop: tuple[str, str] | None = None      # ("item" | "location", id) of a mystery-shopping metric


def _item(data, name: str, where: str, field_name: str = "metric") -> ItemSpec:
    low = name.casefold()
    if low in ("nps", "csat", "ces", "acsi"):
        spec = next((s for s in data.items if s.key == low), None)
        if spec is None:
            raise ConfigError(f"{where}, {field_name}: this project has no {low.upper()} (columns.{low})")
        return spec
    attr = name[5:].strip() if low.startswith("attr:") else name
    specs = [s for s in data.items if s.key.startswith("attr:")]
    spec = next((s for s in specs if s.key[5:].casefold() == attr.casefold() or s.label.casefold() == attr.casefold()),
                None)
    if spec is None:
        raise ConfigError(f"{where}, {field_name}: no attribute '{attr}'"
                          f"{did_you_mean(attr, [s.key[5:] for s in specs])} (columns.attributes)")
    return spec


def _group(data, segment_name: str, group: str, where: str, setting: str | None = None):
    seg = next((s for s in data.segments if s.name.casefold() == segment_name.casefold()), None)
    if seg is None:
        raise ConfigError(f"{where}, metric: no segment '{segment_name}'"
                          f"{did_you_mean(segment_name, [s.name for s in data.segments])} (columns.segments)")
    idx = next((i for i, label in enumerate(seg.labels) if label.casefold() == group.casefold()), None)
    if idx is None:
        what = f"touchpoint ({setting})" if setting else f"group of {seg.name}"
        raise ConfigError(f"{where}, metric: no {what} '{group}'{did_you_mean(group, seg.labels)}")
    return seg, idx


def _scale_note(spec: ItemSpec) -> str:
    if spec.headline == "mean":
        return _("%(label)s (mean, %(low)s–%(high)s)") % {"label": spec.label, "low": spec.low, "high": spec.high}
    return spec.label


def resolve_metric(project, data, action: Action, shop=None) -> _Target:
    m = action.metric
    frame = (project.comments.code_frame if project.comments else None) or {}
    themes_of_attr = dict(project.priorities.themes) if project.priorities else {}
    if m.kind == "kpi" or m.kind == "attr":
        spec = _item(data, m.name if m.kind == "kpi" else "attr:" + m.name, action.where)
        theme = themes_of_attr.get(spec.key[5:]) if spec.key.startswith("attr:") else None
        return _Target(_scale_note(spec), spec.headline_unit, spec, themes=[theme] if theme else [], short=spec.label)
    if m.kind in ("touchpoint", "segment"):
        if m.kind == "touchpoint":
            if project.journey is None or not project.journey.touchpoint:
                raise ConfigError(f"{action.where}, metric: a touchpoint metric needs the journey's touchpoint "
                                  "segment (journey.touchpoint)")
            seg, idx = _group(data, project.journey.touchpoint, m.name, action.where, "journey.touchpoint")
            default_kpi = project.journey.kpi
        else:
            seg, idx = _group(data, m.segment or "", m.name, action.where)
            default_kpi = "nps" if any(s.key == "nps" for s in data.items) else data.items[0].key
        spec = _item(data, action.kpi or default_kpi, action.where, "kpi")
        return _Target(f"{_scale_note(spec)} · {seg.labels[idx]}", spec.headline_unit, spec, seg, idx,
                       short=_("%(kpi)s in %(group)s") % {"kpi": spec.label, "group": seg.labels[idx]})
    if m.kind == "theme":
        if not frame:
            raise ConfigError(f"{action.where}, metric: a theme metric needs the comments' code frame "
                              "(comments.code_frame)")
        theme = next((t for t in frame if t.casefold() == m.name.casefold()), None)
        if theme is None:
            raise ConfigError(f"{action.where}, metric: no theme '{m.name}'{did_you_mean(m.name, list(frame))} "
                              "(comments.code_frame)")
        return _Target(_("Theme: %(theme)s (%% of comments)") % {"theme": theme}, "percent", theme=theme,
                       themes=[theme], short=_("comments on %(theme)s") % {"theme": theme})
    return _shop_target(project, action, shop)


def _shop_target(project, action: Action, shop) -> _Target:
    """A mystery-shopping metric of the programme the project links (quarterly.programme)."""
    m = action.metric
    if shop is None:
        raise ConfigError(f"{action.where}, metric: '{m.text}' is a mystery-shopping metric; name the programme in "
                          "quarterly.programme to measure it")
    prog, _res = shop
    if m.kind == "shop:item":
        items = {item.id.casefold(): item for _section, item in prog.questionnaire.items() if item.type != "text"}
        item = items.get(m.name.casefold())
        if item is None:
            raise ConfigError(f"{action.where}, metric: no scored item '{m.name}' in the programme's questionnaire"
                              f"{did_you_mean(m.name, [i.id for i in items.values()])}")
        label = _("Mystery shopping: %(item)s (%% of visits passing)") % {"item": f"{item.id} {item.text}"}
        return _Target(label, "percent", short=_("visits passing %(item)s") % {"item": item.id},
                       shop=("item", item.id))
    locations = {loc.id.casefold(): loc for loc in prog.location_list}
    locations.update({loc.name.casefold(): loc for loc in prog.location_list})
    loc = locations.get(m.name.casefold())
    if loc is None:
        raise ConfigError(f"{action.where}, metric: no location '{m.name}' in the programme"
                          f"{did_you_mean(m.name, [x.id for x in prog.location_list])}")
    label = _("Mystery shopping: %(location)s (mean visit score %%)") % {"location": loc.name}
    return _Target(label, "percent", short=_("the mystery-shopping score of %(location)s") % {"location": loc.name},
                   shop=("location", loc.id))


def load_shop(project):
    """(programme, its results) of the programme the project links, or None."""
    path = project.quarterly.programme
    if path is None:
        return None
    from cxreport.shop.commands import results
    from cxreport.shop.loadprog import load_programme

    prog = load_programme(path)
    return prog, results(prog)


def _shop_waves(prog, res, action: Action, window) -> tuple[object, object, str]:
    """The baseline wave and the wave measured now (None when there is none), and why not."""
    waves = [w for w in prog.waves if w.id in res.waves]
    if action.baseline:
        key = action.baseline.casefold()
        base = next((w for w in prog.waves if key in (w.id.casefold(), w.name.casefold())), None)
        if base is None:
            raise ConfigError(f"{action.where}, baseline: a mystery-shopping metric's baseline is a wave; no wave "
                              f"'{action.baseline}'{did_you_mean(action.baseline, [w.id for w in prog.waves])}")
        if base.end >= action.start:
            raise ConfigError(f"{action.where}, baseline: wave {base.id} ends on {base.end.isoformat()}, not before "
                              f"the action starts ({action.start.isoformat()}); name an earlier wave")
    else:
        before = [w for w in waves if w.end < action.start]
        base = before[-1] if before else None
    end = _span_dates(window.span)
    candidates = [w for w in waves if end is None or w.start <= end[1]]
    now = candidates[-1] if candidates else None
    if base is None:
        return None, now, _("no visits before the start")
    if now is None or now.end < action.start:
        return base, None, _("no wave since the start")
    return base, now, ""


def _measure_shop(target: _Target, res, wave, rules: BaseRules):
    kind, key = target.shop
    if kind == "item":
        rows = res.items[(res.items["item"] == key) & (res.items["wave"] == wave.id)]
        n = int(rows["n"].sum()) if len(rows) else 0
        x = n - (int(rows["failed"].sum()) if len(rows) else 0)
        if n == 0:
            return (x, n), Measure(wave.name, math.nan, math.nan, math.nan, math.nan, 0, False)
        p = x / n
        lo, hi = stats.wilson(p, n)
        base = rules.classify(n)
        return (x, n), Measure(wave.name, 100 * p, 100 * lo, 100 * hi, 100 * math.sqrt(p * (1 - p) / n), n,
                               base != "suppressed", base == "small")
    scores = res.visits[(res.visits["location_id"] == key) & (res.visits["wave"] == wave.id)]["score"]
    values = scores.dropna().to_numpy(dtype=float)
    n = len(values)
    if n == 0:
        return (math.nan, math.nan, 0), Measure(wave.name, math.nan, math.nan, math.nan, math.nan, 0, False)
    mean = float(values.mean())
    sd = float(values.std(ddof=1)) if n > 1 else math.nan
    lo, hi = stats.t_interval(mean, sd, n)
    base = rules.classify(n)
    return (mean, sd, n), Measure(wave.name, mean, lo, hi, sd / math.sqrt(n) if n > 1 else math.nan, n,
                                  base != "suppressed" and n > 1, base == "small")


def _addressed(project, action: Action, target: _Target) -> list[str]:
    frame = (project.comments.code_frame if project.comments else None) or {}
    out = list(target.themes)
    for name in action.addresses:
        theme = next((t for t in frame if t.casefold() == name.casefold()), None)
        if theme is None:
            raise ConfigError(f"{action.where}, addresses: no theme '{name}'{did_you_mean(name, list(frame))} "
                              "(comments.code_frame)")
        if theme not in out:
            out.append(theme)
    return out


# --------------------------------------------------------------------------- spans


def _span_of(text: str, project, data, where: str):
    from cxreport.window import _span, parse_spec, spec_problem

    spec = parse_spec(text)
    problem = spec_problem(spec, project.periods)
    if problem:
        raise ConfigError(f"{where}: {problem}")
    periods = list(data.periods)
    if not periods:
        raise ConfigError(f"{where}: the study has no dated responses, so there is no baseline period")
    return _span(spec, project.periods, periods, where, ", ".join(p.label for p in periods))[0]


def _span_dates(span) -> tuple[dt.date, dt.date] | None:
    from cxreport.window import _dates_of

    return _dates_of(span)


def _default_baseline(data, start: dt.date):
    """The last period with responses that ends before ``start``."""
    from cxreport.window import Span

    before = [p for p in data.periods if p.end.date() < start]
    if not before:
        return None
    p = before[-1]
    return Span(p.label, (p.key,), periods=(p,))


def _now_span(window, baseline):
    """The window, or its last period when the window reaches back into the baseline."""
    from cxreport.window import Span, _overlap

    if baseline is None or not _overlap(window.span, baseline):
        return window.span
    if not window.span.periods:
        return None
    last = window.span.periods[-1]
    span = Span(last.label, (last.key,), periods=(last,))
    return None if _overlap(span, baseline) else span


# --------------------------------------------------------------------------- measuring


def _measure_item(spec: ItemSpec, data, mask: np.ndarray, label: str, rules: BaseRules):
    cols = ItemColumns(spec, data.values[spec.key][mask], data.weights[mask])
    result = result_from_sums(spec, cols.sums(), 0, rules)
    est = result.headline
    shown = est.shown and result.base != "suppressed"
    return result, Measure(label, est.value, est.low, est.high, est.se, est.n, shown, result.base == "small")


def _measure_theme(theme: str, frame: dict, data, mask: np.ndarray, label: str, rules: BaseRules, cache: dict):
    """The share of the comments in ``mask`` that mention ``theme`` (only those rows are coded)."""
    from cxreport.scoring.comments import code_themes

    texts_all = cache.get("texts")
    if texts_all is None:
        texts_all = cache["texts"] = data.comments["text"].fillna("").astype(str).tolist()
    rows = [i for i in np.flatnonzero(mask) if texts_all[i].strip()]
    n = len(rows)
    x = int(code_themes([texts_all[i] for i in rows], {theme: frame[theme]})[theme].sum()) if n else 0
    base = rules.classify(n)
    if n == 0:
        return (x, n), Measure(label, math.nan, math.nan, math.nan, math.nan, 0, False)
    p = x / n
    lo, hi = stats.wilson(p, n)
    se = math.sqrt(p * (1 - p) / n)
    return (x, n), Measure(label, 100 * p, 100 * lo, 100 * hi, 100 * se, n, base != "suppressed", base == "small")


def evaluate(project, register: Register, view, rules: BaseRules, alpha: float, voice=None,
             comments_scope: str = "", as_of: dt.date | None = None) -> ActionReport:
    """Every action of ``register`` measured on the study seen through ``view``."""
    data = view.full
    window = view.window
    as_of = as_of or project.report.date or dt.date.today()
    cfg = project.actions
    frame = (project.comments.code_frame if project.comments else None) or {}
    z = z_two_sided(alpha)
    win_dates = _span_dates(window.span)
    cache: dict = {}
    results = []
    shop = None
    if any(a.metric.shop for a in register.actions) and project.quarterly.programme is not None:
        shop = load_shop(project)
    for action in register.actions:
        target = resolve_metric(project, data, action, shop)
        themes = _addressed(project, action, target)
        if target.shop is not None:
            res = _result(action, target, cfg, as_of, themes)
            results.append(res)
            _evaluate_shop(res, target, shop, window, rules, alpha, z)
            continue
        if action.baseline:
            baseline = _span_of(action.baseline, project, data, f"{action.where}, baseline")
            dates = _span_dates(baseline)
            if dates and dates[1] >= action.start:
                raise ConfigError(f"{action.where}, baseline: {baseline.label} ends on {dates[1].isoformat()}, not "
                                  f"before the action starts ({action.start.isoformat()}); name an earlier period")
        else:
            baseline = _default_baseline(data, action.start)
        res = _result(action, target, cfg, as_of, themes)
        results.append(res)
        if win_dates is not None and action.start > win_dates[1]:
            res.reason = _("starts after %(window)s") % {"window": window.label}
            continue
        if baseline is None:
            res.reason = _("no responses before the start")
            continue
        now = _now_span(window, baseline)
        if now is None:
            res.reason = _("the window holds only the baseline")
            continue
        base_mask, now_mask = baseline.mask(data), now.mask(data)
        if target.segment is not None:
            in_group = target.segment.codes == target.group
            base_mask, now_mask = base_mask & in_group, now_mask & in_group
        if target.theme is not None:
            (x1, n1), m1 = _measure_theme(target.theme, frame, data, base_mask, baseline.label, rules, cache)
            (x2, n2), m2 = _measure_theme(target.theme, frame, data, now_mask, now.label, rules, cache)
            res.baseline, res.now = m1, m2
            if not (m1.shown and m2.shown):
                res.reason = _("base below %(n)s") % {"n": rules.suppress_below}
                continue
            test = stats.two_proportion_ztest(x2, n2, x1, n1)
            diff, p_value, method = 100 * test.diff, test.p_value, test.method
        else:
            r1, m1 = _measure_item(target.spec, data, base_mask, baseline.label, rules)
            r2, m2 = _measure_item(target.spec, data, now_mask, now.label, rules)
            res.baseline, res.now = m1, m2
            if not (m1.shown and m2.shown):
                res.reason = _("base below %(n)s") % {"n": rules.suppress_below}
                continue
            test = compare(r2, r1)
            diff, p_value, method = test.diff, test.p_value, test.method
        _conclude(res, m1, m2, diff, p_value, method, alpha, z)
    report = ActionReport(register.name, as_of, window.label, alpha, cfg.due_soon_days, results,
                          comments_scope=comments_scope)
    _you_said(report, project, voice)
    return report


def _result(action: Action, target: _Target, cfg, as_of: dt.date, themes: list[str]) -> ActionResult:
    direction = -1 if (action.expected is not None and action.expected < 0) else 1
    res = ActionResult(action, target.label, target.unit, direction, None, None, themes=themes,
                       metric_short=target.short or target.label)
    res.days_to_due = (action.due - as_of).days
    res.overdue = action.open and res.days_to_due < 0
    res.due_soon = action.open and 0 <= res.days_to_due <= cfg.due_soon_days
    return res


def _conclude(res: ActionResult, m1: Measure, m2: Measure, diff: float, p_value: float, method: str,
              alpha: float, z: float) -> None:
    se_diff = math.sqrt(m1.se ** 2 + m2.se ** 2)
    res.change = diff
    res.change_shown = shown_difference(m2.value, m1.value, res.unit)
    res.change_low, res.change_high = diff - z * se_diff, diff + z * se_diff
    res.p_value, res.test = p_value, method
    res.mde = mde(se_diff, alpha)
    # Each action's change is a planned comparison of its own — one metric, its direction named
    # in the register before the data came in — so it is a table of one: its adjusted p-value is
    # its p-value (METHODS.md §8), and the MDE stays the one at α that §10 states.
    if math.isfinite(p_value) and p_value < alpha:
        res.verdict = "improved" if diff * res.direction > 0 else "worsened"
    else:
        res.verdict = "no detectable change"


def _evaluate_shop(res: ActionResult, target: _Target, shop, window, rules: BaseRules, alpha: float, z: float):
    prog, results_ = shop
    base, now, why = _shop_waves(prog, results_, res.action, window)
    if why:
        res.reason = why
        return
    s1, m1 = _measure_shop(target, results_, base, rules)
    s2, m2 = _measure_shop(target, results_, now, rules)
    res.baseline, res.now = m1, m2
    if not (m1.shown and m2.shown):
        res.reason = _("base below %(n)s") % {"n": rules.suppress_below}
        return
    if target.shop[0] == "item":
        test = stats.two_proportion_ztest(s2[0], s2[1], s1[0], s1[1])
        _conclude(res, m1, m2, 100 * test.diff, test.p_value, test.method, alpha, z)
    else:
        test = stats.welch_ttest(s2[0], s2[1], s2[2], s1[0], s1[1], s1[2])
        _conclude(res, m1, m2, test.diff, test.p_value, test.method, alpha, z)


def _you_said(report: ActionReport, project, voice) -> None:
    if voice is None or not voice.pareto:
        return
    by_theme = {t.theme: t for t in voice.themes}
    for entry in voice.pareto[:project.actions.themes_shown]:
        theme = entry["theme"]
        found = by_theme.get(theme)
        quote = None
        if found is not None:
            quote = next((v["text"] for v in found.verbatims if v.get("sentiment") == "negative"), None)
        ids = [r.action.id for r in report.results if theme in r.themes and r.action.status != "dropped"]
        share = 100 * entry["count"] / voice.n_comments if voice.n_comments else 0.0
        report.you_said.append(ThemeActions(theme, entry["count"], share, quote, ids))
        if not ids:
            report.unaddressed.append(theme)


# --------------------------------------------------------------------------- narrative markers


def check_markers(project, register: Register | None) -> None:
    """Every ``[action: ID]`` in a narrative file names an action of the register."""
    files = [("report.narrative.executive_summary", project.report.narrative.executive_summary),
             ("report.narrative.recommendations", project.report.narrative.recommendations),
             ("quarterly.narrative", project.quarterly.narrative)]
    ids = {a.id.casefold(): a.id for a in register.actions} if register else {}
    for key, path in files:
        if path is None or not Path(path).is_file():
            continue
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            continue               # reported by the narrative loader, with its own message
        for lineno, line in enumerate(text.splitlines(), 1):
            for m in MARKER.finditer(line):
                if not register:
                    raise ConfigError(f"{Path(path).name}, line {lineno}: [action: {m.group(1)}] needs an action "
                                      f"register (actions: in the project file) ({key})")
                if m.group(1).casefold() not in ids:
                    raise ConfigError(f"{Path(path).name}, line {lineno}: no action '{m.group(1)}' in "
                                      f"{register.name}{did_you_mean(m.group(1), list(ids.values()))} ({key})")


def load_register(project) -> Register | None:
    if project.actions is None:
        return None
    from cxreport.config.paths import display_path
    from cxreport.load.actions import read_register

    path = project.actions.file
    return read_register(path, display_path(path, project.base_dir), project.actions.sheet)


# --------------------------------------------------------------------------- plain data


def _r(value, digits: int = 6):
    if value is None or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return round(float(value), digits)


def _measure_dict(m: Measure | None) -> dict | None:
    if m is None:
        return None
    return {"period": m.label, "value": _r(m.value), "low": _r(m.low), "high": _r(m.high), "se": _r(m.se),
            "n": m.n, "base": "suppressed" if not m.shown else "small" if m.small else "ok"}


def report_dict(report: ActionReport | None) -> dict | None:
    """The action register's results as JSON-ready data (the scores JSON's ``actions``)."""
    if report is None:
        return None
    return {
        "register": report.register, "as_of": report.as_of.isoformat(), "window": report.window,
        "alpha": report.alpha, "power": 0.8, "due_soon_days": report.due_soon_days,
        "counts": report.counts, "overdue": report.overdue, "due_soon": report.due_soon,
        "actions": [{
            "id": r.action.id, "title": r.action.title, "owner": r.action.owner,
            "start": r.action.start.isoformat(), "due": r.action.due.isoformat(), "status": r.action.status,
            "metric": r.action.metric.text, "kpi": r.action.kpi, "metric_label": r.metric_label, "unit": r.unit,
            "direction": r.direction, "expected": r.action.expected, "baseline": _measure_dict(r.baseline),
            "now": _measure_dict(r.now), "change": _r(r.change), "change_shown": _r(r.change_shown),
            "change_low": _r(r.change_low), "change_high": _r(r.change_high), "p_value": _r(r.p_value),
            "test": r.test, "mde": _r(r.mde), "verdict": r.verdict, "reason": r.reason or None,
            "overdue": r.overdue, "due_soon": r.due_soon, "days_to_due": r.days_to_due,
            "themes": r.themes, "notes": r.action.notes or None}
            for r in report.results],
        "you_said_we_did": {
            "period": report.comments_scope,
            "themes": [{"theme": t.theme, "negative_comments": t.negative, "share_pct": _r(t.share),
                        "quote": t.quote, "actions": t.actions} for t in report.you_said],
            "unaddressed": report.unaddressed},
    }
