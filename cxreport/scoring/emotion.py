"""Emotion by touchpoint and journey stage (issue 16, item 4): the tone of the comments
linked to each touchpoint or stage, for the journey map.

Inputs are per comment: its sentiment score (−1 … +1, as
:func:`cxreport.scoring.comments.sentiment_scores` gives: VADER's compound, or 2p − 1 from
the naive Bayes model of :mod:`cxreport.scoring.sentiment_zh` for Chinese; NaN = not scored, left out), the touchpoint and/or stage it is linked to
(a label; blank, NaN or "Not stated" = not linked), optionally the respondent's weight, and
optionally the theme flags of :func:`cxreport.scoring.comments.code_themes`.

- Tone of a comment: positive / neutral / negative with the thresholds of
  :func:`cxreport.scoring.comments.label` (±0.05; ±0.2 for a Chinese comment), or the labels
  passed in.
- Per group (touchpoint or stage): the number of comments, the mean sentiment with a t
  interval, the % positive and % negative with Wilson intervals, and the net tone
  (% positive − % negative, −100 … +100) with the NPS-style Wald interval (its variance has
  the same form). Weighted when weights are given, with Kish's effective n in every interval
  and test (METHODS.md §1).
- Test against the rest: each group against every other scored comment (total minus the
  group, linked or not — the complement test of METHODS.md §2): Welch's t for the mean,
  the two-proportion z-test for each share. All tests of one table (3 per group) are adjusted
  together (METHODS.md §8, Benjamini–Hochberg by default); marked where adjusted p ≤ α.
- Suppression: a group (or a rest) with fewer comments than ``rules.suppress_below`` shows no
  figure and is not tested; 30–49 is shown and flagged small (the project's base rules).
- Dominant theme of a shown group: the theme mentioned by the largest (weighted) share of its
  comments, ties in the code frame's order; the dominant negative theme the same among its
  negative comments. A theme no comment of the group mentions is never dominant.
- Stages: taken from the comments' own stage labels, or from each comment's touchpoint
  through ``stage_of`` (touchpoint → stage, as the journey's config groups them). A
  touchpoint's stage on the map is ``stage_of``'s, or else the stage most of its comments are
  in (ties: the stage first in order), as the journey map places a touchpoint.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from cxreport.errors import ConfigError, DataError
from cxreport.scoring import stats
from cxreport.scoring.comments import NEGATIVE, POSITIVE, ZH_THRESHOLD
from cxreport.scoring.consistency import _weights as check_weights, group_codes
from cxreport.scoring.kpis import BaseFlag, BaseRules

TONES = ("positive", "neutral", "negative")
MEASURES = ("mean", "positive", "negative")


@dataclass(frozen=True)
class Interval:
    """A figure with its 95 % interval: a mean on −1 … +1, a share in %, or the net tone in points."""

    value: float
    low: float
    high: float


@dataclass(frozen=True)
class RestTest:
    """One group's figure against the rest of the comments: ``diff`` = group − rest."""

    diff: float              # sentiment units for the mean, percentage points for a share
    statistic: float
    p_value: float
    p_adjusted: float
    method: str
    significant: bool        # adjusted p ≤ α

    @property
    def mark(self) -> int:
        """+1 significantly above the rest, −1 below, 0 not significant."""
        return 0 if not self.significant or self.diff == 0 else (1 if self.diff > 0 else -1)


@dataclass(frozen=True)
class DominantTheme:
    theme: str
    count: int               # comments mentioning it (unweighted)
    share: float             # weighted % of the comments it is dominant among


@dataclass
class GroupEmotion:
    """The tone of one touchpoint's or stage's comments. Figures are None when suppressed."""

    group: str
    n: int                   # scored comments
    weighted_base: float
    n_eff: float
    base: BaseFlag
    counts: dict[str, int]   # positive / neutral / negative comments (unweighted)
    mean: Interval | None = None
    positive: Interval | None = None      # % positive
    negative: Interval | None = None      # % negative
    net: Interval | None = None           # % positive − % negative, in points
    vs_rest: dict[str, RestTest] = field(default_factory=dict)   # "mean", "positive", "negative"
    top_theme: DominantTheme | None = None
    top_negative_theme: DominantTheme | None = None
    themes: dict[str, float] = field(default_factory=dict)       # theme → weighted % of the comments
    stage: str | None = None              # a touchpoint's stage on the map

    @property
    def shown(self) -> bool:
        return self.base != "suppressed"


@dataclass
class EmotionTable:
    """Every touchpoint (or stage) with its comments' tone, in order, and the total."""

    name: str                # "touchpoint" or "stage"
    groups: list[GroupEmotion]
    total: GroupEmotion      # every scored comment, linked or not
    unlinked: int            # scored comments not linked to any group of the table
    unscored: int            # comments without a score (NaN), left out
    alpha: float
    adjust: str

    @property
    def n_tests(self) -> int:
        return sum(1 for g in self.groups for t in g.vs_rest.values() if math.isfinite(t.p_value))

    @property
    def chance_note(self) -> bool:
        """More than 20 comparisons: about 1 in 20 is flagged by chance (METHODS.md §2)."""
        return self.n_tests > 20


@dataclass
class EmotionMap:
    touchpoints: EmotionTable | None
    stages: EmotionTable | None
    stage_of: dict[str, str]  # touchpoint → its stage on the map


# --------------------------------------------------------------------------- inputs


def tone_labels(scores, chinese=None) -> np.ndarray:
    """positive / neutral / negative for every score, with :func:`cxreport.scoring.comments.label`'s
    thresholds (±0.2 where ``chinese`` is true); "" for a NaN score."""
    s = np.asarray(scores, dtype=float)
    zh = np.zeros(s.shape, dtype=bool) if chinese is None else np.asarray(chinese, dtype=bool)
    if zh.shape != s.shape:
        raise DataError(f"chinese: {zh.size} flags for {s.size} comments")
    upper = np.where(zh, ZH_THRESHOLD, POSITIVE)
    lower = np.where(zh, -ZH_THRESHOLD, NEGATIVE)
    out = np.full(s.shape, "neutral", dtype=object)
    out[s >= upper] = "positive"
    out[s <= lower] = "negative"
    out[np.isnan(s)] = ""
    return out


def _scores(scores) -> np.ndarray:
    try:
        s = np.asarray(scores, dtype=float)
    except (TypeError, ValueError):
        raise DataError("sentiment: the scores must be numbers from −1 to 1 (NaN: not scored)") from None
    if s.ndim != 1:
        raise DataError("sentiment: one score per comment")
    ok = s[~np.isnan(s)]
    if ok.size and (ok.min() < -1 - 1e-12 or ok.max() > 1 + 1e-12 or not np.all(np.isfinite(ok))):
        bad = ok[~((ok >= -1 - 1e-12) & (ok <= 1 + 1e-12))][0]
        raise DataError(f"sentiment: score {bad:g} is outside −1 … 1")
    return np.clip(s, -1.0, 1.0)


def _labels(labels, scores: np.ndarray, chinese) -> np.ndarray:
    if labels is None:
        return tone_labels(scores, chinese)
    out = np.asarray(labels, dtype=object)
    if out.shape != scores.shape:
        raise DataError(f"tone labels: {out.size} labels for {scores.size} comments")
    scored = ~np.isnan(scores)
    bad = [x for x in out[scored] if x not in TONES]
    if bad:
        raise DataError(f"tone labels: '{bad[0]}' is not one of {', '.join(TONES)}")
    return out


def _weights(weights, n: int) -> np.ndarray:
    w = check_weights(weights, n, "comments")
    return np.ones(n) if w is None else w


def _themes(themes: Mapping[str, object] | None, n: int) -> dict[str, np.ndarray]:
    out = {}
    for theme, flags in (themes or {}).items():
        f = np.asarray(flags)
        if f.shape != (n,):
            raise DataError(f"theme '{theme}': {f.size} flags for {n} comments")
        out[str(theme)] = f.astype(bool)
    return out


def _check_settings(alpha: float, adjust: str) -> None:
    if not (0 < alpha < 1):
        raise ConfigError(f"alpha: must be between 0 and 1, not {alpha!r}")
    if adjust not in stats.ADJUSTMENTS:
        raise ConfigError(f"adjust: '{adjust}' is not one of {', '.join(stats.ADJUSTMENTS)}")


# --------------------------------------------------------------------------- sums


@dataclass
class _Sums:
    n: np.ndarray
    sw: np.ndarray
    sw2: np.ndarray
    swx: np.ndarray
    swx2: np.ndarray
    sw_pos: np.ndarray
    sw_neg: np.ndarray
    n_pos: np.ndarray
    n_neg: np.ndarray

    FIELDS = ("n", "sw", "sw2", "swx", "swx2", "sw_pos", "sw_neg", "n_pos", "n_neg")

    def at(self, i: int) -> dict[str, float]:
        return {f: float(getattr(self, f)[i]) for f in self.FIELDS}


def _sums(codes: np.ndarray, size: int, x: np.ndarray, w: np.ndarray, pos: np.ndarray, neg: np.ndarray) -> _Sums:
    def count(weights=None):
        return np.bincount(codes, weights=weights, minlength=size)[:size].astype(float)

    wx = w * x
    return _Sums(count(), count(w), count(w * w), count(wx), count(wx * x), count(w * pos), count(w * neg),
                 count(pos.astype(float)), count(neg.astype(float)))


def _figures(s: dict[str, float]) -> dict:
    """Mean, shares and their spreads from one group's sums."""
    sw, n_eff = s["sw"], stats.neff_from_sums(s["sw"], s["sw2"])
    if sw <= 0:
        return {"n_eff": n_eff, "ok": False}
    mean = min(max(s["swx"] / sw, -1.0), 1.0)
    sd = stats.weighted_sd(sw, s["swx"], s["swx2"], n_eff)
    return {"n_eff": n_eff, "ok": True, "mean": mean, "sd": sd,
            "p_pos": min(s["sw_pos"] / sw, 1.0), "p_neg": min(s["sw_neg"] / sw, 1.0)}


def _group(label: str, s: dict[str, float], rules: BaseRules, counts: dict[str, int]) -> tuple[GroupEmotion, dict]:
    n = int(round(s["n"]))
    f = _figures(s)
    g = GroupEmotion(label, n, s["sw"], f["n_eff"], rules.classify(n), counts)
    if g.shown and f["ok"]:
        low, high = stats.t_interval(f["mean"], f["sd"], f["n_eff"])
        if math.isfinite(low):
            low, high = max(low, -1.0), min(high, 1.0)
        g.mean = Interval(f["mean"], low, high)
        for attr, p in (("positive", f["p_pos"]), ("negative", f["p_neg"])):
            lo, hi = stats.wilson(p, f["n_eff"])
            setattr(g, attr, Interval(100 * p, 100 * lo, 100 * hi))
        net, _se, lo, hi = stats.nps_wald(f["p_pos"], f["p_neg"], f["n_eff"])
        g.net = Interval(net, lo, hi)
    return g, f


def _tests(f: dict, r: dict) -> dict[str, stats.TestResult]:
    out = {"mean": stats.welch_ttest(f["mean"], f["sd"], f["n_eff"], r["mean"], r["sd"], r["n_eff"])}
    for key, share in (("positive", "p_pos"), ("negative", "p_neg")):
        t = stats.two_proportion_ztest(f[share] * f["n_eff"], f["n_eff"], r[share] * r["n_eff"], r["n_eff"])
        out[key] = stats.TestResult(100 * t.diff, t.statistic, t.p_value, t.method)
    return out


# --------------------------------------------------------------------------- tables


def _table(name: str, x: np.ndarray, tone: np.ndarray, codes: np.ndarray, labels: list[str], w: np.ndarray,
           themes: dict[str, np.ndarray], rules: BaseRules, alpha: float, adjust: str, unscored: int) -> EmotionTable:
    size = len(labels)
    safe = np.where(codes >= 0, codes, size)
    pos, neg = tone == "positive", tone == "negative"
    sums = _sums(safe, size + 1, x, w, pos, neg)
    total_s = {f: float(getattr(sums, f).sum()) for f in _Sums.FIELDS}
    total_counts = {"positive": int(pos.sum()), "negative": int(neg.sum())}
    total_counts["neutral"] = len(x) - total_counts["positive"] - total_counts["negative"]
    total, _tf = _group("Total", total_s, rules, total_counts)
    theme_w = {t: np.bincount(safe, weights=w * f, minlength=size + 1) for t, f in themes.items()}
    theme_n = {t: np.bincount(safe, weights=f.astype(float), minlength=size + 1) for t, f in themes.items()}
    theme_neg_w = {t: np.bincount(safe, weights=w * (f & neg), minlength=size + 1) for t, f in themes.items()}
    theme_neg_n = {t: np.bincount(safe, weights=(f & neg).astype(float), minlength=size + 1) for t, f in themes.items()}
    groups, raw = [], []
    for g, label in enumerate(labels):
        s = sums.at(g)
        counts = {"positive": int(round(s["n_pos"])), "negative": int(round(s["n_neg"]))}
        counts["neutral"] = int(round(s["n"])) - counts["positive"] - counts["negative"]
        group, f = _group(label, s, rules, counts)
        if group.shown and f["ok"]:
            rest_s = {k: total_s[k] - s[k] for k in _Sums.FIELDS}
            rest_n = int(round(rest_s["n"]))
            r = _figures(rest_s)
            if rules.classify(rest_n) != "suppressed" and r["ok"]:
                raw.append((group, _tests(f, r)))
            if themes and s["sw"] > 0:
                group.themes = {t: 100 * float(theme_w[t][g]) / s["sw"] for t in themes}
                group.top_theme = _dominant(themes, theme_w, theme_n, g, s["sw"])
                if s["sw_neg"] > 0:
                    group.top_negative_theme = _dominant(themes, theme_neg_w, theme_neg_n, g, s["sw_neg"])
        groups.append(group)
    tests = [(group, key, t) for group, ts in raw for key, t in ts.items()]
    adjusted = stats.adjust_pvalues([t.p_value for _g, _k, t in tests], adjust)
    for (group, key, t), p_adj in zip(tests, adjusted):
        group.vs_rest[key] = RestTest(t.diff, t.statistic, t.p_value, float(p_adj), t.method,
                                      bool(math.isfinite(p_adj) and p_adj <= alpha))
    return EmotionTable(name, groups, total, int((codes < 0).sum()), unscored, alpha, adjust)


def _dominant(themes: dict, weighted: dict, counts: dict, g: int, base: float) -> DominantTheme | None:
    best = None
    for theme in themes:           # frame order breaks ties: only a strictly larger share replaces
        value = float(weighted[theme][g])
        if counts[theme][g] > 0 and (best is None or value > best[1] + 1e-12 * max(base, 1.0)):
            best = (theme, value)
    if best is None:
        return None
    return DominantTheme(best[0], int(round(counts[best[0]][g])), 100 * best[1] / base)


def emotion_by_group(scores, groups, weights=None, *, chinese=None, labels=None,
                     themes: Mapping[str, object] | None = None, order: Sequence[str] | None = None,
                     rules: BaseRules = BaseRules(), alpha: float = 0.05, adjust: str = "bh",
                     name: str = "touchpoint") -> EmotionTable:
    """The tone of the comments of each group (touchpoint or stage): see the module docstring.

    ``scores``: one sentiment score per comment (−1 … 1, NaN: not scored); ``groups``: one
    label per comment; ``weights``: optional, per comment; ``chinese``: optional flags for
    the wider Chinese thresholds, or ``labels`` (positive/neutral/negative) as scored;
    ``themes``: optional theme → flags per comment (code-frame order); ``order``: the groups
    to show, in order (default: every group, natural order)."""
    _check_settings(alpha, adjust)
    x = _scores(scores)
    n = len(x)
    tone = _labels(labels, x, chinese)
    w = _weights(weights, n)
    flags = _themes(themes, n)
    codes, names, _none = group_codes(groups, order, what=name)
    if len(codes) != n:
        raise DataError(f"{name}: {len(codes)} labels for {n} comments")
    scored = ~np.isnan(x)
    unscored = int((~scored).sum())
    return _table(name, x[scored], tone[scored], codes[scored], names, w[scored],
                  {t: f[scored] for t, f in flags.items()}, rules, alpha, adjust, unscored)


def emotion_map(scores, touchpoints=None, stages=None, weights=None, *, stage_of: Mapping[str, str] | None = None,
                chinese=None, labels=None, themes: Mapping[str, object] | None = None,
                touchpoint_order: Sequence[str] | None = None, stage_order: Sequence[str] | None = None,
                rules: BaseRules = BaseRules(), alpha: float = 0.05, adjust: str = "bh") -> EmotionMap:
    """Tone by touchpoint and by journey stage, for the journey map (module docstring).

    Give ``touchpoints`` (a label per comment), ``stages`` (a label per comment), or both; with
    ``stage_of`` (touchpoint → stage) and no ``stages``, a comment's stage is its touchpoint's."""
    if touchpoints is None and stages is None:
        raise ConfigError("emotion map: give the comments' touchpoints, stages or both")
    common = {"weights": weights, "chinese": chinese, "labels": labels, "themes": themes, "rules": rules,
              "alpha": alpha, "adjust": adjust}
    tp_table = st_table = None
    mapping: dict[str, str] = {str(k): str(v) for k, v in (stage_of or {}).items()}
    if touchpoints is not None:
        tp_table = emotion_by_group(scores, touchpoints, order=touchpoint_order, name="touchpoint", **common)
    if stages is None and touchpoints is not None and mapping:
        tp_codes, tp_names, _n = group_codes(touchpoints, None, what="touchpoint")
        unknown = [t for t in tp_names if t not in mapping]
        if unknown:
            raise ConfigError(f"stage_of: touchpoint '{unknown[0]}' has no stage")
        stage_labels = np.array([mapping[t] for t in tp_names] + [None], dtype=object)
        stages = stage_labels[np.where(tp_codes >= 0, tp_codes, len(tp_names))]
    if stages is not None:
        st_table = emotion_by_group(scores, stages, order=stage_order, name="stage", **common)
    if tp_table is not None and st_table is not None and not mapping:
        mapping = _majority_stage(touchpoints, stages, tp_table, st_table)
    if tp_table is not None:
        for g in tp_table.groups:
            g.stage = mapping.get(g.group)
    return EmotionMap(tp_table, st_table, {g.group: mapping[g.group] for g in tp_table.groups if g.group in mapping}
                      if tp_table is not None else {})


def _majority_stage(touchpoints, stages, tp_table: EmotionTable, st_table: EmotionTable) -> dict[str, str]:
    tp_codes, _tp, _a = group_codes(touchpoints, [g.group for g in tp_table.groups], what="touchpoint")
    st_codes, _st, _b = group_codes(stages, [g.group for g in st_table.groups], what="stage")
    if len(tp_codes) != len(st_codes):
        raise DataError(f"stages: {len(st_codes)} labels for {len(tp_codes)} comments")
    both = (tp_codes >= 0) & (st_codes >= 0)
    n_st = len(st_table.groups)
    table = np.bincount(tp_codes[both] * n_st + st_codes[both], minlength=len(tp_table.groups) * n_st)
    table = table.reshape(len(tp_table.groups), n_st)
    return {g.group: st_table.groups[int(table[i].argmax())].group        # argmax: first of equals
            for i, g in enumerate(tp_table.groups) if table[i].sum() > 0}
