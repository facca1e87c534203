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
  comments matching none is reported as uncoded.
- Verbatims are chosen deterministically and masked before they leave this module.
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


def compile_frame(frame: dict) -> dict[str, re.Pattern]:
    """One regular expression per theme from its keywords and ``re:`` patterns."""
    out = {}
    for theme, value in frame.items():
        parts = []
        for term in _terms(value):
            if term.startswith("re:"):
                parts.append(term[3:])
            elif _CJK.search(term):
                parts.append(re.escape(term))          # no word boundaries in Chinese
            else:
                words = r"\s+".join(re.escape(w) for w in term.split())
                parts.append(rf"(?<!\w){words}(?!\w)")
        out[theme] = re.compile("|".join(f"(?:{p})" for p in parts), re.IGNORECASE)
    return out


def code_themes(texts: list[str], frame: dict[str, list[str]]) -> dict[str, np.ndarray]:
    """Boolean array per theme: does each comment mention it."""
    patterns = compile_frame(frame)
    return {theme: np.array([bool(p.search(t)) if t else False for t in texts]) for theme, p in patterns.items()}


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


@dataclass
class CommentAnalysis:
    n_comments: int
    uncoded: int
    sentiment_counts: dict[str, int]
    themes: list[ThemeResult]
    pareto: list[dict]            # negative themes: theme, count, %, cumulative %
    by_segment: dict[str, pd.DataFrame]   # segment → theme × group counts


def analyse_comments(comments: pd.DataFrame, frame: dict[str, list[str]], segments: dict[str, np.ndarray] | None = None,
                     extra_names: list[str] | None = None, per_theme: int = 3) -> CommentAnalysis:
    """``comments``: columns text and row (and any segment columns passed in ``segments``)."""
    mask = comments["text"].astype(str).str.len() > 0
    data = comments[mask].reset_index(drop=True)
    texts = data["text"].astype(str).tolist()
    scores = sentiment_scores(texts)
    labels = np.array([label(s, is_chinese(t)) for s, t in zip(scores, texts)])
    coded = code_themes(texts, frame) if frame else {}
    any_theme = np.zeros(len(texts), dtype=bool)
    for hits in coded.values():
        any_theme |= hits
    themes = []
    for theme, hits in coded.items():
        idx = np.flatnonzero(hits)
        sub = labels[idx]
        verbatims = []
        if len(idx):
            # deterministic: the most negative, the most positive, then the next most negative
            order_neg = idx[np.lexsort((data["row"].to_numpy()[idx], scores[idx]))]
            order_pos = idx[np.lexsort((data["row"].to_numpy()[idx], -scores[idx]))]
            picks = []
            for candidate in (order_neg[0], order_pos[0], *order_neg[1:]):
                if candidate not in picks:
                    picks.append(candidate)
                if len(picks) == per_theme:
                    break
            verbatims = [{"text": mask_personal_data(texts[i], extra_names), "sentiment": labels[i],
                          "score": float(scores[i]), "row": int(data["row"].iloc[i])} for i in picks]
        themes.append(ThemeResult(theme, len(idx), 100 * len(idx) / len(texts) if texts else 0.0,
                                  int((sub == "negative").sum()), int((sub == "neutral").sum()),
                                  int((sub == "positive").sum()),
                                  float(scores[idx].mean()) if len(idx) else float("nan"), verbatims))
    themes.sort(key=lambda t: (-t.count, t.theme))
    negatives = sorted(((t.theme, t.negative) for t in themes if t.negative), key=lambda x: (-x[1], x[0]))
    total_neg = sum(c for _t, c in negatives)
    pareto, running = [], 0
    for theme, count in negatives:
        running += count
        pareto.append({"theme": theme, "count": count, "pct": 100 * count / total_neg,
                       "cumulative": 100 * running / total_neg})
    by_segment = {}
    for name, codes in (segments or {}).items():
        kept = np.asarray(codes)[mask.to_numpy()]
        by_segment[name] = pd.DataFrame({theme: pd.Series(kept[hits]).value_counts() for theme, hits in coded.items()}
                                        ).fillna(0).astype(int)
    counts = {k: int((labels == k).sum()) for k in ("positive", "neutral", "negative")}
    return CommentAnalysis(len(texts), int((~any_theme).sum()), counts, themes, pareto, by_segment)
