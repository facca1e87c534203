"""Comments counted batch by batch (streamed scoring, issue 18; docs/batch.md).

Each batch's comments are scored and coded by :func:`cxreport.scoring.comments.analyse_comments`
(the in-memory analysis, on the batch), and what the comments section shows is counted per
period cell: comments, uncoded ones, the sentiment counts, per theme its comments, their tone,
the sum of their scores and how many are Chinese, and per segment group the comments and each
theme's. Tallies of batches add up, so every count, share and mean is the whole survey's.

Verbatims: the in-memory rule (:func:`~cxreport.scoring.comments._choose_verbatims`) needs
every comment of a theme; streamed, each theme keeps its :data:`CANDIDATES` most negative and
most positive distinct texts (score, then file row, each text once with its earliest row: a
deterministic rule, the same picks whatever the batches and on a Dask cluster), and the rule
picks among them. The quotes are then those of the
in-memory rule unless it would have had to look further down a theme's list (a comment wanted
by several themes, or rejected for its tone, more than :data:`CANDIDATES` times).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Comments kept per theme, period cell and direction (most negative, most positive) for the quotes.
CANDIDATES = 64
TONES = ("positive", "neutral", "negative")


class VoiceTally:
    """Counted comments: per period cell (``p`` cells) and theme (``themes``, the code frame's
    order), per segment group key × period cell, and the quote candidates."""

    def __init__(self, themes: list[str], p: int, keys: dict[str, int]):
        t = len(themes)
        self.themes, self.p = list(themes), p
        self.n = np.zeros(p, dtype=np.int64)
        self.uncoded = np.zeros(p, dtype=np.int64)
        self.tones = np.zeros((p, 3), dtype=np.int64)
        self.zh = np.zeros(p, dtype=np.int64)
        self.count = np.zeros((p, t), dtype=np.int64)
        self.theme_tones = np.zeros((p, t, 3), dtype=np.int64)
        self.score_sum = np.zeros((p, t))
        self.theme_zh = np.zeros((p, t), dtype=np.int64)
        self.seg_base = {name: np.zeros(k * p, dtype=np.int64) for name, k in keys.items()}
        self.seg_count = {name: np.zeros((k * p, t), dtype=np.int64) for name, k in keys.items()}
        # (cell, theme) → the CANDIDATES lowest (score, row, text) and the highest (−score, row, text)
        self.low: dict[tuple[int, int], list] = {}
        self.high: dict[tuple[int, int], list] = {}

    def add(self, analysis, period: np.ndarray, keys: dict[str, np.ndarray]) -> None:
        """One batch's :class:`~cxreport.scoring.comments.CommentAnalysis`; ``period``: the period
        cell of each of its comments, ``keys``: each comment's group key per segment."""
        n = len(analysis.texts)
        if not n:
            return
        tone = np.select([analysis.labels == k for k in TONES], [0, 1, 2], -1)
        np.add.at(self.n, period, 1)
        np.add.at(self.tones, (period, tone), 1)
        np.add.at(self.zh, period, analysis.chinese.astype(np.int64))
        np.add.at(self.uncoded, period, analysis.uncoded_mask.astype(np.int64))
        for name, key in keys.items():
            np.add.at(self.seg_base[name], key * self.p + period, 1)
        for j, theme in enumerate(self.themes):
            found = analysis.coded.get(theme)
            if found is None or not found.any():
                continue
            idx = np.flatnonzero(found)
            cells = period[idx]
            np.add.at(self.count[:, j], cells, 1)
            np.add.at(self.theme_tones, (cells, j, tone[idx]), 1)
            np.add.at(self.score_sum[:, j], cells, analysis.scores[idx])
            np.add.at(self.theme_zh[:, j], cells, analysis.chinese[idx].astype(np.int64))
            for name, key in keys.items():
                np.add.at(self.seg_count[name][:, j], key[idx] * self.p + cells, 1)
        self._candidates(analysis, period)

    def _candidates(self, analysis, period: np.ndarray) -> None:
        """Each (cell, theme)'s most negative and most positive comments among those whose
        strongest theme it is (the in-memory rule's pools, :func:`~cxreport.scoring.comments._strengths`:
        a theme's strength is the sum of the weights of its distinct keywords in the comment)."""
        found = analysis.matches
        if found is None or not len(found.text):
            return
        position = {theme: j for j, theme in enumerate(self.themes)}
        theme_of = np.array([position.get(t.theme, -1) for t in analysis.terms], dtype=np.int64)
        weight_of = np.array([t.weight for t in analysis.terms], dtype=float)
        pairs = pd.DataFrame({"text": found.text, "term": found.term}).drop_duplicates()
        pairs["theme"] = theme_of[pairs["term"].to_numpy()]
        pairs["weight"] = weight_of[pairs["term"].to_numpy()]
        strength = pairs[pairs["theme"] >= 0].groupby(["text", "theme"], sort=False)["weight"].sum().reset_index()
        top = strength.groupby("text")["weight"].transform("max")
        pool = strength[strength["weight"] >= top - 1e-9]
        text = pool["text"].to_numpy()
        pool = pd.DataFrame({"cell": period[text], "theme": pool["theme"].to_numpy(),
                             "score": analysis.scores[text], "row": analysis.rows[text], "text": text})
        pool["words"] = np.asarray(analysis.texts, dtype=object)[text]
        for sign, store in ((1.0, self.low), (-1.0, self.high)):
            ranked = pool.assign(key=sign * pool["score"]).sort_values(["cell", "theme", "key", "row"], kind="stable")
            # the same words from several customers are one quote (the earliest row): one candidate
            ranked = ranked.drop_duplicates(["cell", "theme", "words"], keep="first")
            best = ranked.groupby(["cell", "theme"], sort=False).head(CANDIDATES)
            for cell, theme, key, row, i in zip(best["cell"].tolist(), best["theme"].tolist(), best["key"].tolist(),
                                                best["row"].tolist(), best["text"].tolist()):
                _keep(store.setdefault((int(cell), int(theme)), []), (float(key), int(row), analysis.texts[i]))

    def merge(self, other: VoiceTally) -> None:
        """Add the tally of the batches read after this one's."""
        for name in ("n", "uncoded", "tones", "zh", "count", "theme_tones", "score_sum", "theme_zh"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in self.seg_base:
            self.seg_base[name] = self.seg_base[name] + other.seg_base[name]
            self.seg_count[name] = self.seg_count[name] + other.seg_count[name]
        for mine, theirs in ((self.low, other.low), (self.high, other.high)):
            for cell, items in theirs.items():
                kept = mine.setdefault(cell, [])
                for item in items:
                    _keep(kept, item)


def _keep(kept: list, item: tuple) -> None:
    """Keep the CANDIDATES smallest (key, row, text) items of ``kept`` (sorted; short lists), one
    per text: the same words from several customers are one candidate, the earliest row."""
    same = next((i for i, k in enumerate(kept) if k[2] == item[2]), None)
    if same is not None:
        if item < kept[same]:
            kept[same] = item
            kept.sort()
        return
    if len(kept) < CANDIDATES:
        kept.append(item)
        kept.sort()
    elif item < kept[-1]:
        kept[-1] = item
        kept.sort()


def voice_from(tally: VoiceTally, cells: list[int], frame: dict, segment: tuple[str, list[list[int]], list[str]]
               | None, extra_names: list[str] | None, per_theme: int):
    """The comments section (a :class:`~cxreport.scoring.comments.CommentAnalysis` without its
    per-comment arrays) of the period ``cells``; ``segment``: (name, each group's keys, labels)
    for the theme × segment table."""
    from cxreport.scoring.comments import BAYES_ZH, VADER, CommentAnalysis, ThemeResult, _hit_dicts, _match_all, \
        compile_terms, is_chinese, label, negative_pareto, quote, theme_segments
    from cxreport.validate import natural_key

    cells = list(cells)
    n = int(tally.n[cells].sum())
    tones = tally.tones[cells].sum(axis=0)
    themes = []
    for j, theme in enumerate(tally.themes):
        count = int(tally.count[cells, j].sum())
        tone = tally.theme_tones[cells, j].sum(axis=0)
        zh = int(tally.theme_zh[cells, j].sum())
        themes.append(ThemeResult(theme, count, 100 * count / n if n else 0.0, int(tone[2]), int(tone[1]),
                                  int(tone[0]), float(tally.score_sum[cells, j].sum() / count) if count else
                                  float("nan"), analysers={VADER: count - zh, BAYES_ZH: zh}))
    themes.sort(key=lambda t: (-t.count, t.theme))
    # Quotes: the rule of the in-memory analysis among each theme's candidates.
    pool: dict[int, tuple[float, str]] = {}
    for j in range(len(tally.themes)):
        for lists, sign in ((tally.low, 1.0), (tally.high, -1.0)):
            merged: list = []
            for item in sorted(item for c in cells for item in lists.get((c, j), [])):
                _keep(merged, item)
            for key, row, text in merged:
                pool[row] = (sign * key, text)
    rows = np.array(sorted(pool), dtype=np.int64)
    texts = [pool[r][1] for r in rows.tolist()]
    scores = np.array([pool[r][0] for r in rows.tolist()], dtype=float)
    chinese = np.array([is_chinese(t) for t in texts], dtype=bool)
    labels = np.array([label(s, c) for s, c in zip(scores, chinese)], dtype=object)
    terms = compile_terms(frame) if frame else []
    hits = _hit_dicts(_match_all(texts, terms), terms, len(texts)) if texts else []
    quote(themes, hits, texts, scores, labels, rows, chinese, extra_names, per_theme)
    pareto = negative_pareto(themes)
    by_segment = {}
    if segment is not None:
        name, groups, labels_of = segment
        p = tally.p
        base, counts = {}, {}
        for keys, group_label in zip(groups, labels_of):
            slots = [k * p + c for k in keys for c in cells]
            b = int(tally.seg_base[name][slots].sum())
            if b:
                base[group_label] = b
                counts[group_label] = tally.seg_count[name][slots].sum(axis=0)
        order = sorted(base, key=natural_key)
        table = pd.DataFrame({theme: [int(counts[g][j]) for g in order] for j, theme in enumerate(tally.themes)},
                             index=order).fillna(0).astype(int)
        by_segment[name] = table
        theme_segments(themes, name, table, base)
    zh_total = int(tally.zh[cells].sum())
    return CommentAnalysis(n, int(tally.uncoded[cells].sum()), {k: int(tones[i]) for i, k in enumerate(TONES)},
                           themes, pareto, by_segment, {VADER: n - zh_total, BAYES_ZH: zh_total})
