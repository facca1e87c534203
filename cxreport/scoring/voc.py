"""Theme impact, themes and sentiment over time, emerging themes: the study step (issue 16, items 1–2;
docs/voice.md, METHODS.md §11).

:func:`comment_insights` runs the computations of :mod:`cxreport.scoring.themes_impact` on the study:

- **Theme impact** on the rows the comment analysis read (``voice``: the window's, or the comments
  section's pooled run ``report.pool.comments``): each respondent's NPS answer, the themes their comment
  mentions (``voice.respondent_flags``), the weights, and CSAT top-2 when the project has CSAT.
- **Themes and sentiment over time** on every response up to the window's end (``view.full``), the last
  :data:`MAX_PERIODS` periods at most: the full data's comments coded with the same code frame
  (a comment the comment analysis already coded keeps its flags; the others are coded once here), each
  comment's sentiment from the study's one sentiment run (``sentiment``: file row → score).
- **Emerging themes**: ``emerging_themes`` on those trends with ``comments.emerging`` (``min_count``,
  ``min_rise``); with ``comments.emerging.phrases`` also the suggested themes' phrases (the suggested-themes
  step's :class:`~cxreport.scoring.suggest.ThemeSuggestions`), counted per period by matching the phrase's
  words in each comment, split into words as the suggestions split them (Chinese segmented), and tested
  like a theme. The comparison is the trends' last period against the one before: for a window of one
  period that is the window against the previous period; for a window of several periods (a year of
  quarters), its last period against the one before.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from cxreport.config.schema import adjust_method

#: At most this many periods (the latest, up to the window's end) in the themes over time.
MAX_PERIODS = 8


@dataclass
class CommentInsights:
    """What the study's comments say in numbers (see the module docstring)."""

    period: str                         # the rows of the theme impact (the comments section's scope)
    impact: object = None               # themes_impact.ThemeImpactTable or None (no code frame, no NPS answer)
    csat: bool = False                  # the impact table has CSAT
    trends: object = None               # themes_impact.ThemeTrends of the code frame's themes, or None
    sentiment_only: bool = False        # trends carry the sentiment rows only (no code frame)
    phrases: object = None              # themes_impact.ThemeTrends of the suggested phrases, or None
    emerging: object = None             # themes_impact.EmergingThemes of the themes, or None (off / < 2 periods)
    emerging_phrases: object = None     # … of the suggested phrases, or None
    min_count: int = 0                  # comments.emerging.min_count (0: emerging themes are off)
    min_rise: float = 0.0
    window_periods: int = 1             # periods the window covers (> 1: the latest period of a longer window)
    window: str = ""                    # the window's label
    phrase_words: dict[str, list[str]] = field(default_factory=dict)   # phrase → its words as matched
    phrase_group: dict[str, str] = field(default_factory=dict)         # phrase → its suggested theme's label

    @property
    def trend_periods(self) -> list[str]:
        source = self.trends if self.trends is not None else self.phrases
        return list(source.periods) if source is not None else []

    def flagged(self) -> list[tuple[str, object]]:
        """Every emerging theme and phrase: ("theme" | "phrase", EmergingTheme), themes first, each by its rise.
        Of the phrases of one suggested theme only the first emerging one in the suggestion's order is
        listed (its other phrases are mostly the same comments: "contactless", "contactless card")."""
        out = [("theme", e) for e in (self.emerging.emerging if self.emerging is not None else [])]
        if self.emerging_phrases is not None:
            seen: set[str] = set()
            for c in self.emerging_phrases.candidates:          # the suggestions' order
                group = self.phrase_group.get(c.theme, c.theme)
                if c.emerging and group not in seen:
                    seen.add(group)
                    out.append(("phrase", c))
            phrases = sorted(out[len(out) - len(seen):], key=lambda pair: (-pair[1].change.value, pair[1].theme))
            out = out[:len(out) - len(seen)] + phrases
        return out

    def theme_impact(self, theme: str):
        """The impact row of ``theme`` (None when the table has no such theme)."""
        if self.impact is None:
            return None
        return next((t for t in self.impact.themes if t.theme == theme), None)


def comment_insights(project, view, voice, sentiment, rules, alpha, suggestions=None) -> CommentInsights | None:
    """The study's theme impact (window), theme trends (every period up to the window's end)
    and emerging themes, or None when the project has no comments."""
    if voice is None or project.comments is None or not project.columns.comment:
        return None
    cfg = project.comments
    adjust = adjust_method(alpha)
    scope = view.scope("comments")
    insights = CommentInsights(period=scope.label, window=view.label,
                               window_periods=max(1, len(view.window.span.periods or ())))
    frame = dict(cfg.code_frame or {})
    data = view.section_data("comments", project)
    insights.impact, insights.csat = _impact(data, voice, frame, rules, alpha, adjust)
    _trends(insights, project, view, voice, sentiment, frame, rules, alpha, adjust, suggestions)
    return insights


# --------------------------------------------------------------------------- theme impact


def _impact(data, voice, frame: dict, rules, alpha, adjust):
    from cxreport.scoring.themes_impact import theme_impact

    if not frame or "nps" not in data.values or not voice.coded:
        return None, False
    nps = np.asarray(data.values["nps"], dtype=float)
    if not np.isfinite(nps).any():
        return None, False
    flags = voice.respondent_flags(data.n)
    csat = data.values.get("csat")
    spec = next((s for s in data.items if s.key == "csat"), None)
    has_csat = csat is not None and spec is not None and np.isfinite(np.asarray(csat, dtype=float)).any()
    table = theme_impact(nps, {t: flags[t] for t in frame if t in flags}, data.weights,
                         csat if has_csat else None, int(spec.high) if has_csat else 5, rules, float(alpha), adjust)
    return table, has_csat


# --------------------------------------------------------------------------- trends and emerging themes


def _trend_rows(view):
    """(rows of ``view.full`` in the trend's periods, their period code 0 … P − 1, the period labels)."""
    full = view.full
    if full.period_codes is None or not full.periods:
        return None
    last = view.window.last_key
    keep = [i for i, p in enumerate(full.periods) if last is None or p.key <= last][-MAX_PERIODS:]
    if len(keep) < 2:
        return None
    remap = np.full(len(full.periods), -1, dtype=np.int64)
    remap[keep] = np.arange(len(keep))
    codes = np.asarray(full.period_codes)
    mapped = np.where(codes >= 0, remap[codes.clip(0)], -1)
    rows = np.flatnonzero(mapped >= 0)
    return rows, mapped[rows], [full.periods[i].label for i in keep]


def _code(texts: list[str], file_rows: np.ndarray, voice, frame: dict) -> dict[str, np.ndarray]:
    """Theme → flag per text: the comment analysis's own flags for the comments it coded (by file
    row), the others coded here with the same frame."""
    from cxreport.scoring.comments import code_themes

    flags = {t: np.zeros(len(texts), dtype=bool) for t in frame}
    known = {int(r): k for k, r in enumerate(voice.rows)}
    todo = []
    for i, (text, row) in enumerate(zip(texts, file_rows)):
        if not text:
            continue
        k = known.get(int(row))
        if k is None:
            todo.append(i)
        else:
            for t in flags:
                if t in voice.coded:
                    flags[t][i] = bool(voice.coded[t][k])
    if todo:
        coded = code_themes([texts[i] for i in todo], frame)
        idx = np.asarray(todo)
        for t in flags:
            flags[t][idx] = coded[t]
    return flags


def _trends(insights: CommentInsights, project, view, voice, sentiment, frame, rules, alpha, adjust,
            suggestions) -> None:
    from cxreport.scoring.themes_impact import emerging_themes, theme_trends

    found = _trend_rows(view)
    if found is None:
        return
    rows, codes, labels = found
    full = view.full
    comments = full.comments.iloc[rows]
    texts = comments["text"].fillna("").astype(str).tolist()
    file_rows = comments["row"].to_numpy()
    has = np.array([len(t) > 0 for t in texts], dtype=bool)
    if not has.any():
        return
    scores = None
    if sentiment is not None:
        scores = sentiment.reindex(file_rows).to_numpy(dtype=float, copy=True)
        scores[~has] = np.nan
        # The study scores the earlier periods' comments only when the trends section or emerging
        # themes ask for them; any comment it did not score is scored here, the same way.
        missing = np.flatnonzero(has & np.isnan(scores))
        if len(missing):
            from cxreport.cache import sentiment_scores     # through the build's cache, when it has one

            scores[missing] = sentiment_scores([texts[i] for i in missing])
    weights = np.asarray(full.weights)[rows]
    common = dict(periods=codes, commented=has, sentiment=scores, weights=weights, order=list(range(len(labels))),
                  labels=labels, rules=rules, alpha=float(alpha), adjust=adjust)
    if frame:
        insights.trends = theme_trends(_code(texts, file_rows, voice, frame), **common)
    else:
        # No code frame: the sentiment rows alone (a placeholder theme nobody mentions is not shown).
        insights.trends = theme_trends({"": np.zeros(len(texts), dtype=bool)}, **common)
        insights.sentiment_only = True
    setting = project.comments.emerging
    if setting is False:
        return
    insights.min_count, insights.min_rise = int(setting.min_count), float(setting.min_rise)
    if frame:
        insights.emerging = emerging_themes(insights.trends, setting.min_count, setting.min_rise)
    if setting.phrases:
        phrases = _phrases(suggestions)
        if phrases:
            flags, words = _phrase_flags(texts, list(phrases), project.comments.user_words,
                                         project.comments.stop_words)
            flags = {p: f for p, f in flags.items() if f.any()}
            if flags:
                insights.phrase_words = {p: words[p] for p in flags}
                insights.phrase_group = {p: phrases[p] for p in flags}
                insights.phrases = theme_trends(flags, **common)
                insights.emerging_phrases = emerging_themes(insights.phrases, setting.min_count, setting.min_rise)


def _phrases(suggestions) -> dict[str, str]:
    """The suggested themes' phrases, each once, in the suggestions' order: phrase → its theme's label."""
    found = getattr(suggestions, "suggestions", None)
    themes = getattr(found, "suggestions", None) or []
    out: dict[str, str] = {}
    for theme in themes:
        for phrase in getattr(theme, "phrases", []):
            out.setdefault(phrase.phrase, theme.label)
    return out


def _phrase_flags(texts: list[str], phrases: list[str], user_words, stop_words):
    """Phrase → flag per text: the phrase's words follow one another in the comment's words (split as the
    suggested themes split them: stop words dropped, no match across a clause's end); a Chinese phrase
    also matches where its characters are written as one word or split otherwise (速度慢 / 速度 + 慢)."""
    from cxreport.scoring import suggest

    user = list(user_words or [])
    vocab = suggest._Vocabulary(user, list(stop_words or []))
    seg = None

    def words_of(text: str) -> list[str]:
        nonlocal seg
        if suggest._CJK.search(text) and seg is None:
            seg = suggest._segmenter(user)
        ids = suggest._comment_ids(text, vocab, seg if suggest._CJK.search(text) else None)
        return ["|" if k == suggest._BREAK else vocab.norms[vocab.norm_of[k]] for k in ids]

    wanted = {}
    for p in phrases:
        w = [x for x in words_of(p) if x != "|"]
        if w:
            wanted[p] = (tuple(w), bool(suggest._CJK.search(p)), "".join(w))
    flags = {p: np.zeros(len(texts), dtype=bool) for p in wanted}
    if not wanted:
        return flags, {}
    by_length: dict[int, dict[tuple, list[str]]] = {}
    for p, (w, _zh, _joined) in wanted.items():
        by_length.setdefault(len(w), {}).setdefault(w, []).append(p)
    chinese = [(p, joined) for p, (_w, zh, joined) in wanted.items() if zh]
    # A comment can only use a phrase whose every word is written in it: a normalised word less its
    # last letter ("query" of "queries", "reader" of "readers") is in the comment's normalised text,
    # so only the comments holding every such stem of some phrase are split into words (each distinct
    # stem looked for in all the comments at once: _stem_candidates).
    stems = [[(w[:-1] if len(w) > 1 else w).split()[0] for w in v[0]] for v in wanted.values()]
    norms = [suggest._normalise_text(text) if text else "" for text in texts]
    candidates = _stem_candidates(norms, stems)
    # Every candidate comment split into word ids (written forms, −1 at a clause's end; a repeated
    # comment split once), then each phrase length's windows of the comments' words coded as one
    # number and matched against the phrases' codes at once.
    pieces: list[list[int]] = []
    owners: list[int] = []
    chinese_rows: list[tuple[int, list[int]]] = []
    known: dict[str, list[int]] = {}
    for i in candidates:
        text, norm = texts[i], norms[i]
        if not text:
            continue
        zh = bool(suggest._CJK.search(text))
        if zh:
            if seg is None:
                seg = suggest._segmenter(user)
            ids = suggest._norm_ids(norm, vocab, seg)
            if chinese:
                chinese_rows.append((i, ids))
        else:
            ids = known.get(norm)
            if ids is None:
                ids = known[norm] = suggest._norm_ids(norm, vocab, None)
        pieces.append(ids)
        owners.append(i)
    hits: dict[str, set[int]] = {p: set() for p in wanted}
    if pieces:
        lengths = np.fromiter((len(ids) + 1 for ids in pieces), dtype=np.int64, count=len(pieces))
        written = np.fromiter(itertools.chain.from_iterable(ids + [suggest._BREAK] for ids in pieces),
                              dtype=np.int64, count=int(lengths.sum()))
        norm_of = np.asarray(vocab.norm_of + [0], dtype=np.int64)
        word = np.where(written >= 0, norm_of[written.clip(0)], -1)     # normalised word id, −1 a break
        owner = np.repeat(np.asarray(owners, dtype=np.int64), lengths)
        V = max(len(vocab.norms), 1)
        for size, table in by_length.items():
            keys = {}
            for key, names in table.items():
                code = 0
                for w in key:
                    code = code * V + vocab.norm_ids[w]
                keys[code] = names
            if V ** size >= 1 << 62:            # a vocabulary too large to code the windows: one text at a time
                for ids, i in zip(pieces, owners):
                    words = ["|" if k == suggest._BREAK else vocab.norms[vocab.norm_of[k]] for k in ids]
                    for key in set(zip(*(words[j:] for j in range(size)))).intersection(table):
                        for p in table[key]:
                            hits[p].add(i)
                continue
            count = len(word) - size + 1
            if count <= 0:
                continue
            valid = np.ones(count, dtype=bool)
            code = np.zeros(count, dtype=np.int64)
            for j in range(size):
                part = word[j:j + count]
                valid &= part >= 0
                code = code * V + part
            where = np.flatnonzero(valid & np.isin(code, np.fromiter(keys, dtype=np.int64, count=len(keys))))
            for position in where:
                for p in keys[int(code[position])]:
                    hits[p].add(int(owner[position]))
        # The characters of a Chinese phrase within one clause: in the comment's words joined, not across a "|".
        for i, ids in chinese_rows:
            joined_text = "".join("|" if k == suggest._BREAK else vocab.norms[vocab.norm_of[k]] for k in ids)
            for p, joined in chinese:
                if i not in hits[p] and "|" not in joined and joined in joined_text:
                    hits[p].add(i)
    for p, rows in hits.items():
        if rows:
            flags[p][np.fromiter(rows, dtype=np.intp, count=len(rows))] = True
    return flags, {p: list(v[0]) for p, v in wanted.items()}


def _stem_candidates(norms: list[str], stems: list[list[str]]) -> np.ndarray:
    """Positions of the normalised texts that hold every stem of some phrase (``stems``: a list per
    phrase), in order: each distinct stem is looked for in every text at once (Arrow's substring
    search on the UTF-8 text finds exactly where ``stem in text`` is true), then a text passes when
    one phrase's stems are all in it. Without Arrow, or for a text Arrow cannot hold (a lone
    surrogate), the same test one text at a time."""
    distinct = list(dict.fromkeys(stem for group in stems for stem in group))
    groups = [[distinct.index(stem) for stem in dict.fromkeys(group)] for group in dict.fromkeys(
        tuple(group) for group in stems)]
    try:
        import pyarrow as pa
        import pyarrow.compute as pc

        array = pa.array(norms, type=pa.large_string())
        found = np.vstack([pc.match_substring(array, stem).to_numpy(zero_copy_only=False) for stem in distinct]) \
            if distinct else np.zeros((0, len(norms)), dtype=bool)
    except Exception:
        found = np.array([[stem in norm for norm in norms] for stem in distinct], dtype=bool).reshape(
            len(distinct), len(norms))
    passes = np.zeros(len(norms), dtype=bool)
    for group in groups:
        passes |= found[group].all(axis=0)
    return np.flatnonzero(passes)
