"""Comment analytics: sentiment per comment and themes from the project's code frame.

- English sentiment: VADER (Hutto & Gilbert 2014), a lexicon-and-rules analyser made for
  short social and customer text; its package ships its lexicon, so nothing is
  downloaded. A comment is positive at compound ≥ 0.05, negative at ≤ −0.05 (VADER's
  published thresholds), neutral otherwise.
- Chinese sentiment: SnowNLP, whose package ships its trained sentiment model (no
  download). Its probability p of a positive comment is put on VADER's scale as
  2p − 1 and labelled with the same thresholds widened to ±0.2 (p ≥ 0.6 positive,
  p ≤ 0.4 negative), because SnowNLP's probabilities crowd towards the ends.
  A comment is Chinese when at least a third of its letters are CJK characters.
- Themes: the code frame maps each theme to keywords (whole words or phrases, any case)
  or regular expressions (``re:`` prefix), for all languages or per language
  (``{en: [...], zh: [...]}``); Chinese keywords match anywhere in the text, as Chinese
  has no spaces between words. A comment counts in every theme it matches; the share of
  comments matching none is reported as uncoded. A match inside a longer match of another
  keyword ("收银" inside "收银员") is not a match.
- Strength of a theme in a comment: the sum over the theme's distinct keywords found in it
  of each keyword's weight — its number of words (a phrase says more than a word), a
  Chinese keyword half its number of characters (two characters make a word), a ``re:``
  pattern 1. A comment's strongest themes are those of the highest strength.
- Verbatims: a comment is quoted at most once (also when other customers wrote the same
  words), and only under one of its strongest themes. For each theme, in rounds: the most
  negative comment, the most positive, then the next most negative… — leaving out, as the
  most positive, a comment whose sentences naming the theme are negative in tone, and as a
  most negative one a comment whose sentences naming it are positive; when themes tied for a
  comment's strength want it in the same round, it goes to the theme with fewest other
  comments of its tone left to quote, then with fewest comments to quote, then to the theme
  the comment mentions first, then in report order. Ties between comments are broken by
  row, so the same data always quote the same comments. Quotes are masked before they leave
  this module.
- Themes by segment: for each group, the % of its comments that mention each theme, with the
  group's number of comments as the base (a comment counts in every theme it mentions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cxreport.masking import mask_personal_data

POSITIVE, NEGATIVE = 0.05, -0.05


def _vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
ZH_THRESHOLD = 0.2


def is_chinese(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(1 for c in letters if _CJK.match(c)) * 3 >= len(letters)


#: The analyser behind each comment's tone (named in the report's methodology).
VADER, SNOWNLP = "VADER", "SnowNLP"


def analyser(text: str) -> str:
    return SNOWNLP if is_chinese(text) else VADER


def sentiment_scores(texts: list[str]) -> np.ndarray:
    """Compound score (−1 … +1) of each text: VADER for English, SnowNLP (2p − 1) for Chinese."""
    analyser = None
    out = np.zeros(len(texts))
    for i, text in enumerate(texts):
        if not text:
            continue
        if is_chinese(text):
            from snownlp import SnowNLP

            out[i] = 2 * SnowNLP(text).sentiments - 1
        else:
            analyser = analyser or _vader()
            out[i] = analyser.polarity_scores(text)["compound"]
    return out


def label(score: float, chinese: bool = False) -> str:
    upper, lower = (ZH_THRESHOLD, -ZH_THRESHOLD) if chinese else (POSITIVE, NEGATIVE)
    if score >= upper:
        return "positive"
    if score <= lower:
        return "negative"
    return "neutral"


def _terms(value) -> list[str]:
    if isinstance(value, dict):
        return [t for terms in value.values() for t in terms]
    return list(value)


def _term_pattern(term: str) -> tuple[str, float]:
    """A keyword's regular expression and its weight (see the module's docstring)."""
    if term.startswith("re:"):
        return term[3:], 1.0
    if _CJK.search(term):
        return re.escape(term), max(len(term.strip()), 1) / 2       # no word boundaries in Chinese
    words = term.split()
    return r"(?<!\w)" + r"\s+".join(re.escape(w) for w in words) + r"(?!\w)", float(max(len(words), 1))


def compile_frame(frame: dict) -> dict[str, re.Pattern]:
    """One regular expression per theme from its keywords and ``re:`` patterns."""
    return {theme: re.compile("|".join(f"(?:{_term_pattern(t)[0]})" for t in _terms(value)), re.IGNORECASE)
            for theme, value in frame.items()}


@dataclass(frozen=True)
class _Term:
    theme: str
    index: int
    pattern: re.Pattern
    weight: float


def compile_terms(frame: dict) -> list[_Term]:
    """Every keyword of the frame, compiled, with its theme and weight."""
    out = []
    for theme, value in frame.items():
        for index, term in enumerate(_terms(value)):
            pattern, weight = _term_pattern(term)
            out.append(_Term(theme, index, re.compile(pattern, re.IGNORECASE), weight))
    return out


def theme_hits(text: str, terms: list[_Term]) -> dict[str, list[tuple[int, int, _Term]]]:
    """Theme → its keyword matches in ``text`` (start, end, term), leaving out a match that lies
    inside a longer match of another theme's keyword."""
    found = [(m.start(), m.end(), t) for t in terms for m in t.pattern.finditer(text) if m.end() > m.start()]
    out: dict[str, list] = {}
    for start, end, term in found:
        if any(o is not term and o.theme != term.theme and s <= start and end <= e and e - s > end - start
               for s, e, o in found):
            continue
        out.setdefault(term.theme, []).append((start, end, term))
    return out


def _strengths(hits: dict[str, list]) -> dict[str, float]:
    return {theme: sum({(t.index): t.weight for _s, _e, t in found}.values()) for theme, found in hits.items()}


def theme_strengths(text: str, frame: dict) -> dict[str, float]:
    """Strength of every theme ``text`` mentions (themes it does not mention are left out)."""
    return _strengths(theme_hits(text, compile_terms(frame)))


def code_themes(texts: list[str], frame: dict[str, list[str]]) -> dict[str, np.ndarray]:
    """Boolean array per theme: does each comment mention it."""
    terms = compile_terms(frame)
    hits = [theme_hits(t, terms) if t else {} for t in texts]
    return {theme: np.array([theme in h for h in hits], dtype=bool) for theme in frame}


@dataclass
class ThemeResult:
    theme: str
    count: int
    share: float                  # % of comments
    negative: int
    neutral: int
    positive: int
    mean_sentiment: float
    verbatims: list[dict] = field(default_factory=list)
    #: segment → group → {"count": comments of the group mentioning the theme, "base": the
    #: group's comments, "share": count as a % of base}
    segments: dict[str, dict[str, dict]] = field(default_factory=dict)
    #: how many of the theme's comments each sentiment analyser scored ({"VADER": n, "SnowNLP": n})
    analysers: dict[str, int] = field(default_factory=dict)


@dataclass
class CommentAnalysis:
    n_comments: int
    uncoded: int
    sentiment_counts: dict[str, int]
    themes: list[ThemeResult]
    pareto: list[dict]            # negative themes: theme, count, %, cumulative %
    by_segment: dict[str, pd.DataFrame]   # segment → group × theme counts
    #: how many comments each sentiment analyser scored ({"VADER": n, "SnowNLP": n})
    analysers: dict[str, int] = field(default_factory=dict)
    #: Per comment (the non-empty ones, in the order of the comments frame): its position in
    #: the frame (= the respondent's index in the data analysed), file row, sentiment score,
    #: label, Chinese flag and the themes it mentions (theme → flags), for the sections
    #: built on single comments (theme impact, trends, emotion, suggestions).
    positions: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64), repr=False)
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64), repr=False)
    scores: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    labels: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object), repr=False)
    chinese: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool), repr=False)
    coded: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    texts: list[str] = field(default_factory=list, repr=False)

    def respondent_flags(self, n: int) -> dict[str, np.ndarray]:
        """Theme → flag per respondent of the data analysed (``n`` respondents): does their comment mention it."""
        out = {}
        for theme, found in self.coded.items():
            flags = np.zeros(n, dtype=bool)
            flags[self.positions[found]] = True
            out[theme] = flags
        return out

    @property
    def uncoded_mask(self) -> np.ndarray:
        """Per comment: no theme of the code frame matched it."""
        hit = np.zeros(len(self.texts), dtype=bool)
        for found in self.coded.values():
            hit |= found
        return ~hit


def analyse_comments(comments: pd.DataFrame, frame: dict[str, list[str]], segments: dict[str, np.ndarray] | None = None,
                     extra_names: list[str] | None = None, per_theme: int = 3,
                     scores_by_row: pd.Series | None = None) -> CommentAnalysis:
    """``comments``: columns text and row (and any segment columns passed in ``segments``).
    ``scores_by_row``: sentiment scores already computed, indexed by file row (a row not in it is scored here)."""
    mask = comments["text"].astype(str).str.len() > 0
    data = comments[mask].reset_index(drop=True)
    texts = data["text"].astype(str).tolist()
    rows = data["row"].to_numpy()
    if scores_by_row is not None:
        known = scores_by_row.reindex(rows).to_numpy(dtype=float)
        missing = np.flatnonzero(np.isnan(known))
        if len(missing):
            known[missing] = sentiment_scores([texts[i] for i in missing])
        scores = known
    else:
        scores = sentiment_scores(texts)
    chinese = np.array([is_chinese(t) for t in texts], dtype=bool)
    labels = np.array([label(s, c) for s, c in zip(scores, chinese)])
    terms = compile_terms(frame) if frame else []
    hits = [theme_hits(t, terms) if terms else {} for t in texts]
    coded = {theme: np.array([theme in h for h in hits], dtype=bool) for theme in (frame or {})}
    any_theme = np.zeros(len(texts), dtype=bool)
    for found in coded.values():
        any_theme |= found
    themes = []
    for theme, found in coded.items():
        idx = np.flatnonzero(found)
        sub = labels[idx]
        zh = int(chinese[idx].sum())
        themes.append(ThemeResult(theme, len(idx), 100 * len(idx) / len(texts) if texts else 0.0,
                                  int((sub == "negative").sum()), int((sub == "neutral").sum()),
                                  int((sub == "positive").sum()),
                                  float(scores[idx].mean()) if len(idx) else float("nan"),
                                  analysers={VADER: len(idx) - zh, SNOWNLP: zh}))
    themes.sort(key=lambda t: (-t.count, t.theme))
    picks = _choose_verbatims([t.theme for t in themes], hits, texts, scores, labels, rows, extra_names, per_theme)
    for t in themes:
        t.verbatims = [{"text": text, "sentiment": labels[i], "score": float(scores[i]), "row": int(rows[i]),
                        "analyser": SNOWNLP if chinese[i] else VADER} for i, text in picks.get(t.theme, [])]
    negatives = sorted(((t.theme, t.negative) for t in themes if t.negative), key=lambda x: (-x[1], x[0]))
    total_neg = sum(c for _t, c in negatives)
    pareto, running = [], 0
    for theme, count in negatives:
        running += count
        pareto.append({"theme": theme, "count": count, "pct": 100 * count / total_neg,
                       "cumulative": 100 * running / total_neg})
    by_segment = {}
    for name, codes in (segments or {}).items():
        kept = pd.Series(np.asarray(codes, dtype=object)[mask.to_numpy()])
        known = kept.notna() & (kept.astype(str) != "")
        from cxreport.validate import natural_key       # the groups' order everywhere else

        groups = sorted({str(g) for g in kept[known]}, key=natural_key)
        group_of = kept.where(known).map(lambda g: None if g is None or g != g else str(g))
        bases = group_of.value_counts().reindex(groups, fill_value=0)
        table = pd.DataFrame({theme: group_of[found].value_counts().reindex(groups, fill_value=0)
                              for theme, found in coded.items()}, index=groups).fillna(0).astype(int)
        by_segment[name] = table
        for t in themes:
            t.segments[name] = {g: {"count": int(table.at[g, t.theme]), "base": int(bases[g]),
                                    "share": 100 * int(table.at[g, t.theme]) / int(bases[g]) if bases[g] else 0.0}
                                for g in groups}
    counts = {k: int((labels == k).sum()) for k in ("positive", "neutral", "negative")}
    zh_total = int(chinese.sum())
    return CommentAnalysis(len(texts), int((~any_theme).sum()), counts, themes, pareto, by_segment,
                           {VADER: len(texts) - zh_total, SNOWNLP: zh_total},
                           positions=np.flatnonzero(mask.to_numpy()), rows=rows, scores=scores, labels=labels,
                           chinese=chinese, coded=coded, texts=texts)


_SENTENCE_END = re.compile(r"[.!?。！？；;]+")


def _sentences_naming(text: str, spans: list[tuple[int, int]]) -> str:
    """The sentences of ``text`` that contain one of ``spans``."""
    bounds, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        bounds.append((start, m.end()))
        start = m.end()
    if start < len(text):
        bounds.append((start, len(text)))
    return " ".join(text[a:b].strip() for a, b in bounds if any(a <= s < b for s, _e in spans)) or text


def _choose_verbatims(order: list[str], hits: list[dict], texts: list[str], scores: np.ndarray, labels: np.ndarray,
                      rows: np.ndarray, extra_names: list[str] | None, per_theme: int) -> dict[str, list[tuple[int, str]]]:
    """Theme → [(comment index, masked text)]: each comment at most once, under one of its
    strongest themes (the rule in the module's docstring)."""
    if per_theme <= 0 or not order:
        return {}
    rank = {theme: k for k, theme in enumerate(order)}
    masked: dict[int, str] = {}
    seen_text: dict[str, int] = {}
    pools: dict[str, list[int]] = {theme: [] for theme in order}
    first_hit: dict[tuple[int, str], int] = {}
    for i, found in enumerate(hits):
        if not found:
            continue
        strength = _strengths(found)
        top = max(strength.values())
        text = mask_personal_data(texts[i], extra_names)
        # the same words from several customers are one quote: the earliest row speaks for them
        if text in seen_text and rows[seen_text[text]] <= rows[i]:
            continue
        if text in seen_text:
            for theme in pools:
                pools[theme] = [j for j in pools[theme] if j != seen_text[text]]
        seen_text[text] = i
        masked[i] = text
        for theme, value in strength.items():
            if value >= top - 1e-9 and theme in pools:
                pools[theme].append(i)
                first_hit[(i, theme)] = min(s for s, _e, _t in found[theme])
    negative_first = {t: sorted(p, key=lambda i: (scores[i], rows[i])) for t, p in pools.items()}
    positive_first = {t: sorted(p, key=lambda i: (-scores[i], rows[i])) for t, p in pools.items()}
    tone: dict[tuple[int, str], str] = {}

    def fits(i: int, theme: str, slot: int) -> bool:
        """Not the most positive example of a theme when what it says about the theme is
        negative, nor the most negative one when that is positive (the tone of the sentences
        that name the theme). The further rounds take the next comments as they come."""
        if slot > 1:
            return True
        if (i, theme) not in tone:
            local = _sentences_naming(texts[i], [(s, e) for s, e, _t in hits[i][theme]])
            tone[(i, theme)] = label(float(sentiment_scores([local])[0]), is_chinese(local))
        return tone[(i, theme)] != ("negative" if slot == 1 else "positive")

    used: set[int] = set()
    chosen: dict[str, list[int]] = {t: [] for t in order}
    for slot in range(per_theme):
        ordering = positive_first if slot == 1 else negative_first
        waiting = [t for t in order if len(chosen[t]) == slot]
        while waiting:
            wants: dict[int, list[str]] = {}
            for theme in waiting:
                candidate = next((i for i in ordering[theme] if i not in used and fits(i, theme, slot)), None)
                if candidate is not None:
                    wants.setdefault(candidate, []).append(theme)
            if not wants:
                break
            settled = []
            for candidate, themes in sorted(wants.items(), key=lambda kv: min(rank[t] for t in kv[1])):
                if candidate in used:
                    continue

                def scarcity(theme: str, i: int = candidate) -> tuple:
                    left = [j for j in pools[theme] if j not in used and j != i]
                    same_tone = sum(1 for j in left if labels[j] == labels[i])
                    return (same_tone, len(left), first_hit[(i, theme)], rank[theme])

                winner = min(themes, key=scarcity)
                chosen[winner].append(candidate)
                used.add(candidate)
                settled.append(winner)
            waiting = [t for t in waiting if t not in settled
                       and any(i not in used and fits(i, t, slot) for i in ordering[t])]
    return {t: [(i, masked[i]) for i in picks] for t, picks in chosen.items() if picks}
