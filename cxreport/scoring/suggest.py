"""Suggested themes: frequent, distinctive phrases among the comments no theme of the code frame matched.

The code frame only finds what someone wrote a keyword for. This module reads the *uncoded* comments and
proposes new themes, so that the frame can be extended. It is deterministic (no sampling, no model training,
stable tie-breaks) and offline (the segmenter ships its dictionary; the stop-word lists are built in).

- **Words.** Every comment is normalised (Unicode NFKC, so full-width letters and digits become ordinary ones;
  case folded; curly apostrophes made straight). A comment with any Chinese character is segmented (one
  mixing English and Chinese too: the segmenter splits Latin words at spaces and punctuation, where the
  English rule would keep a run of Chinese characters as one word) with **rjieba**, the Python binding of
  jieba-rs: the same dictionary and algorithm as jieba (the issue's
  choice; both give the same words on 99.9 % of the waimai comments) but maintained (releases in 2026, where
  jieba's last release is from 2020) and about 15 times faster (200,000 comments in about a second, where
  jieba takes about 20 s), MIT-licensed, with no download. Other comments are split into words (letters,
  digits, inner apostrophes and hyphens). The project's **user words** (brand, product and place names) stay
  whole: in Chinese they are added to the segmenter's dictionary, elsewhere they are matched as whole words
  (a multi-word name is one word), and they are never stop words. Light normalisation of English words: a
  possessive 's is dropped and a plural made singular (``delays`` → ``delay``, ``queries`` → ``query``,
  ``boxes`` → ``box``; not ``-ss``, ``-us``, ``-is``, nor words of three letters or fewer). A phrase is
  shown in its most frequent written form (a user word as the project spells it).
- **Stop words** (dropped before phrases are formed): English — NLTK's English list (the Porter/Glasgow
  list that most tools use) *without* the negations (no, not, nor, never and the n't forms: "not enough" is
  a complaint) plus a few survey fillers (also, really, would, could, get, got, one, us, ...) and generic
  praise and thanks (good, great, excellent, pleased, thank, recommend, experience, ...: a tone, not a
  theme — the tone is the sentiment's job); Chinese — a
  subset of the HIT stop-word list (哈工大停用词表) and Baidu's list: pronouns, particles, conjunctions,
  prepositions, measure words and vague adverbs, again without the negations (不, 没, 没有, 不要, 不会, 不能)
  and without 太 ("太咸"), plus generic praise and thanks (满意, 不错, 很棒, 体验, 没得说, 谢谢, 推荐, ...)
  and fillers such as 想, 基本 ("想买的东西基本都能买到"), 希望 … 保持下去. Digits, single Latin letters and punctuation are not words; punctuation, a line
  break and a space between Chinese words end a phrase, so no phrase spans two clauses (nor two comments).
  The project may add stop words.
- **Phrases**: the 1-, 2- and 3-grams of the words left within a clause (a stop word between two words does
  not break the phrase: "waited for an hour" gives "waited hour"). A phrase repeating one word is left out.
  Counts are **comments** (a comment counts once however often it uses the phrase).
- **Frequent and distinctive**: a phrase is ranked by the number of uncoded comments that use it (then by its
  keyness, then the longer phrase — "slow app" says more than "app" in the same comments — then the phrase
  itself, so ties never depend on the input order). Distinctiveness is Dunning's
  log-likelihood G² (keyness, Rayson & Garside 2000) of the 2 × 2 table [uncoded comments with / without the
  phrase; coded comments with / without it], G² = 2 Σ O ln(O / E), signed − when the phrase is rarer among the
  uncoded comments. A phrase *significantly rarer* among the uncoded comments (G² ≥ 3.84, p < 0.05) belongs to
  what the frame already codes and is left out; so are the frame's own keywords (absent from uncoded comments
  by definition) and a negation (or 太, "too") alone. G² is a filter and a tie-break, not the rank, on purpose: a theme the
  frame lacks is mentioned beside coded themes as often as alone (on the waimai reviews "太慢" is in 6.6 % of
  the uncoded and 5.2 % of the coded comments), so ranking by keyness against the coded comments would hide
  the largest missing themes. With no coded comment (no frame, or it matched nothing) there is no filter.
  A phrase must be in at least ``min_comments`` uncoded comments (by default 2, or 1 in 1,000 uncoded
  comments when that is more); the 1,000 most used (and all tied with the last) are grouped. Phrases written
  with the same characters are one phrase (速度慢 as one word, or 速度 + 慢).
- **Grouping**: the ranked phrases are taken in turn; a phrase joins the first suggestion (in rank order)
  whose leading phrase it is *related* to — one's words contain the other's (``delivery`` / ``slow delivery``),
  one Chinese phrase contains the other's characters (``慢`` / ``太慢``), or they are used in the same comments
  (Jaccard index of their uncoded comments ≥ 1/3, and at least two comments in common: one shared comment
  is no evidence); otherwise it leads a new suggestion while there are fewer
  than ``max_suggestions``. A suggestion lists up to 8 phrases, most used first (a phrase related only to
  suggestions already full is left out, never the start of another suggestion of the same comments); its label is its leading
  phrase. Suggestions are listed by their number of uncoded comments (most first), ties in the order they
  were formed.
- **Counts** of a suggestion: the uncoded comments using any of its phrases, their % of all uncoded comments,
  and the coded comments using any of them (so a reader sees whether the phrase also lives inside coded
  themes).
- **Examples**: the shortest distinct uncoded comments that use the leading phrase (then the other phrases),
  ties broken by the text itself; masked like every quote (:func:`cxreport.masking.mask_personal_data`).

Comments are counted unweighted: the suggestions describe what was written, for the person who maintains the
code frame, not an estimate for the population.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cxreport.errors import ConfigError, DataError
from cxreport.masking import mask_personal_data

#: NLTK's English stop words without negations, plus survey fillers (see the module docstring).
ENGLISH_STOP_WORDS = frozenset("""
i me my myself we our ours ourselves you you're you've you'll you'd your yours yourself yourselves he him his
himself she she's her hers herself it it's its itself they them their theirs themselves what which who whom
this that that'll these those am is are was were be been being have has had having do does did doing a an the
and but if or because as until while of at by for with about against between into through during before after
above below to from up down in out on off over under again further then once here there when where why how all
any both each few more most other some such only own same so than too very s t can will just should should've
now d ll m o re ve y ma i'm i've i'll i'd we're we've we'll we'd they're they've they'll they'd he's he'll
he'd she'll she'd it'll there's here's what's that's let's
also really would could might must shall get got getting one us lot lots bit quite much many even still
just well ever yet thing things something anything way ok okay etc via per
good great excellent brilliant fantastic amazing awesome superb fine nice lovely happy pleased satisfied
thank thanks please recommend recommended overall experience able everything everyone someone anyone keep keeps
""".split())

#: Negations kept as words although most stop lists drop them ("not enough", "didn't arrive").
ENGLISH_NEGATIONS = frozenset("""no not nor never none nothing nobody nowhere without don't doesn't didn't isn't
aren't wasn't weren't won't wouldn't can't cannot couldn't shouldn't haven't hasn't hadn't mustn't needn't""".split())

#: Chinese negations, kept as words (没有吸管) but never a suggestion alone.
CHINESE_NEGATIONS = frozenset("不 没 没有 不要 不会 不能 不是 别 未 无".split())

#: G² at p = 0.05 (one degree of freedom): a phrase this much rarer among uncoded comments belongs to coded themes.
SIGNIFICANT = 3.841458820694124

#: Chinese stop words: a subset of the HIT and Baidu lists (see the module docstring).
CHINESE_STOP_WORDS = frozenset("""
的 地 得 了 着 过 是 在 有 和 与 及 或 而 而且 并 并且 但 但是 可是 不过 然后 所以 因为 如果 虽然 就 都 也 还 又
再 才 只 只是 就是 还是 也是 都是 我 你 您 他 她 它 我们 你们 他们 她们 它们 咱们 自己 大家 人家 这 那 这个 那个
这些 那些 这样 那样 这么 那么 这里 那里 哪 哪里 什么 怎么 怎么样 为什么 谁 吗 呢 吧 啊 呀 哦 哟 嗯 哈 哈哈 啦 嘛
么 呗 噢 喔 哎 唉 个 些 点儿 一个 一些 一下 一点 一点儿 一次 一样 两个 给 让 被 把 对 对于 从 到 向 往 跟 比 用 为
为了 关于 按 按照 以 以及 等 等等 说 觉得 感觉 知道 要 会 能 可以 可能 应该 已经 曾经 正在 将 刚 刚刚 刚才 总是
一直 一起 一定 其实 真的 真是 确实 简直 特别 非常 很 挺 比较 有点 有些 稍微 十分 更 最 更加 还有 结果 时候 上 下
里 里面 中 外 前 后 来 去 这次 那次 每次 今天 昨天 今晚 下次 以后 以前 之前 之后 东西 事 事情 其他 其它 另外 而已
罢了 ok
想 基本 满意 不错 很棒 很好 挺好 还行 还可以 总体 整体 体验 没得说 谢谢 感谢 好评 点赞 推荐 希望 保持 下去 还来 还会
""".split())

#: Words that are never a suggestion alone (they only say something inside a phrase): the negations and 太 ("too").
NOT_ALONE = ENGLISH_NEGATIONS | CHINESE_NEGATIONS | frozenset({"太"})


@dataclass(frozen=True)
class SuggestedPhrase:
    phrase: str               # as shown (most frequent written form)
    words: int                # 1, 2 or 3
    comments: int             # uncoded comments that use it
    share: float              # % of the uncoded comments
    coded_comments: int       # coded comments that use it
    score: float              # signed G² against the coded comments (0 when there is no coded comment)


@dataclass(frozen=True)
class SuggestionExample:
    index: int                # position of the comment in the ``texts`` passed in
    text: str                 # masked


@dataclass
class SuggestedTheme:
    label: str                # the leading phrase
    comments: int             # uncoded comments using any of its phrases
    share: float              # % of the uncoded comments
    coded_comments: int       # coded comments using any of its phrases
    phrases: list[SuggestedPhrase] = field(default_factory=list)
    examples: list[SuggestionExample] = field(default_factory=list)


@dataclass
class ThemeSuggestions:
    n_comments: int           # non-empty comments
    n_uncoded: int
    n_coded: int
    method: str               # "log-likelihood" or "frequency" (no coded comments to compare with)
    min_comments: int         # the threshold used
    segmenter: str | None     # "rjieba x.y.z" when a Chinese comment was segmented
    suggestions: list[SuggestedTheme] = field(default_factory=list)


# --------------------------------------------------------------------------------------------- inputs

def _as_texts(texts) -> list[str]:
    out = []
    for value in list(texts):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            out.append("")
        elif isinstance(value, str):
            out.append(value)
        else:
            try:
                missing = bool(value != value)
            except Exception:       # pragma: no cover - exotic objects
                missing = False
            out.append("" if missing else str(value))
    return out


def _as_mask(uncoded, n: int) -> np.ndarray:
    values = np.asarray(list(uncoded) if not isinstance(uncoded, np.ndarray) else uncoded)
    if values.ndim != 1 or len(values) != n:
        raise DataError(f"uncoded flags: {values.size} values for {n} comments")
    if values.dtype == bool:
        return values
    if values.dtype.kind in "iuf" and np.isin(values, (0, 1)).all():
        return values.astype(bool)
    if values.dtype == object and all(isinstance(v, (bool, np.bool_)) for v in values):
        return values.astype(bool)
    raise DataError("uncoded flags: expected True/False for each comment")


def _word_list(words, what: str) -> list[str]:
    if words is None:
        return []
    if isinstance(words, str):
        raise ConfigError(f"{what}: expected a list of words, got one string")
    out = []
    for k, word in enumerate(words, 1):
        if not isinstance(word, str) or not word.strip():
            raise ConfigError(f"{what}: entry {k} is not a word ({word!r})")
        out.append(word.strip())
    return out


def _normalise_text(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().replace("\u2019", "'").replace("\u2018", "'")


# --------------------------------------------------------------------------------------------- words

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_BOUNDARY_CHARS = ".!?;:,()[]{}\"\n\r\t…。！？；：，、（）【】《》「」『』~～/|·•"
_WORD = r"[^\W\d_](?:[\w'\-]*\w)?|\d[\w'\-]*"
_STOP, _BREAK = -2, -1


def _singular(word: str) -> str:
    if len(word) <= 3 or not word.isascii() or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


class _Vocabulary:
    """Written word → id (ids of written forms; ``norm`` maps them to normalised words)."""

    def __init__(self, user_words: list[str], stop_words: list[str]):
        self.user = {_normalise_text(w): w for w in user_words}
        self.stop = (ENGLISH_STOP_WORDS | CHINESE_STOP_WORDS | {_normalise_text(w) for w in stop_words}) - set(self.user)
        self.ids: dict[str, int] = {}
        self.written: list[str] = []
        self.norm_of: list[int] = []
        self.norm_ids: dict[str, int] = {}
        self.norms: list[str] = []
        latin_user = sorted((w for w in self.user if not _CJK.search(w)), key=lambda w: (-len(w), w))
        alternatives = [r"(?<!\w)" + r"\s+".join(re.escape(p) for p in w.split()) + r"(?!\w)" for w in latin_user]
        boundary = "[" + re.escape(_BOUNDARY_CHARS) + "]"
        self.pattern = re.compile("|".join(alternatives + [_WORD, boundary]))
        self.cache: dict[str, int] = {}

    def classify(self, token: str) -> int:
        """The id of a written token, or _STOP / _BREAK."""
        if token in self.user:
            return self._id(token, token)
        if not any(c.isalnum() for c in token):
            return _BREAK                           # punctuation, a line break, a space between Chinese clauses
        if " " in token or "\t" in token:
            token = " ".join(token.split())
            if token in self.user:
                return self._id(token, token)
        if token in self.stop:
            return _STOP
        if token.isdigit() or (len(token) == 1 and token.isascii()) or not any(c.isalpha() for c in token):
            return _STOP
        base = token[:-2] if token.endswith("'s") and len(token) > 2 else token
        if base in self.stop:
            return _STOP
        return self._id(token, _singular(base))

    def _id(self, written: str, norm: str) -> int:
        if written in self.ids:
            return self.ids[written]
        k = len(self.written)
        self.ids[written] = k
        self.written.append(written)
        if norm not in self.norm_ids:
            self.norm_ids[norm] = len(self.norms)
            self.norms.append(norm)
        self.norm_of.append(self.norm_ids[norm])
        return k

    def lookup(self, tokens) -> list[int]:
        cache, out = self.cache, []
        for t in tokens:
            k = cache.get(t)
            if k is None:
                k = cache[t] = self.classify(t)
            if k != _STOP:
                out.append(k)
        return out


def _segmenter(user_words: list[str]):
    """The Chinese segmenter with the project's Chinese user words added (in their order). One
    per list of words in a process: loading the dictionary takes about 0.2 s, and the suggested
    themes, the emerging phrases and ``segment`` of one build share it (segmenting does not
    change it)."""
    return _segmenter_for(tuple(_normalise_text(word) for word in user_words if _CJK.search(word)))


@functools.lru_cache(maxsize=8)
def _segmenter_for(words: tuple[str, ...]):
    import rjieba

    if not words and callable(getattr(rjieba, "cut", None)):
        # No word to add: rjieba's own segmenter (its dictionary is loaded when rjieba is imported,
        # and the Chinese sentiment segments with it too), which cuts as a new Jieba() does.
        return _DefaultSegmenter(rjieba.cut)
    seg = rjieba.Jieba()
    for word in words:
        seg.add_word(word, None, None)
    return seg


class _DefaultSegmenter:
    """rjieba's module-level segmenter with a Jieba instance's ``cut(text)``."""

    def __init__(self, cut):
        self._cut = cut

    def cut(self, text: str, hmm: bool = True) -> list[str]:
        return self._cut(text, hmm)


def _segmenter_name() -> str:
    from importlib.metadata import version

    try:
        return f"rjieba {version('rjieba')}"
    except Exception:               # pragma: no cover - an unusual installation
        return "rjieba"


def segment(text: str, user_words: list[str] | None = None, stop_words: list[str] | None = None) -> list[str]:
    """The normalised words of one comment, stop words dropped and ``|`` where a clause ends (for tests and
    for showing how a comment is read)."""
    user = _word_list(user_words, "user words")
    vocab = _Vocabulary(user, _word_list(stop_words, "stop words"))
    text = _as_texts([text])[0]
    ids = _comment_ids(text, vocab, _segmenter(user) if _CJK.search(text) else None)
    return ["|" if k == _BREAK else vocab.norms[vocab.norm_of[k]] for k in ids]


def _cut(seg, norm: str) -> list[str]:
    """Segmented words; a space ends a phrase between Chinese words (送餐 太慢) but not between Latin ones."""
    tokens = seg.cut(norm)
    if " " not in norm:
        return tokens
    out = []
    for k, token in enumerate(tokens):
        if (not token.strip() and 0 < k < len(tokens) - 1 and tokens[k - 1][-1:].isascii()
                and tokens[k + 1][:1].isascii() and tokens[k - 1][-1:].isalnum() and tokens[k + 1][:1].isalnum()):
            continue
        out.append(token)
    return out


def _comment_ids(text: str, vocab: _Vocabulary, seg) -> list[int]:
    return _norm_ids(_normalise_text(text), vocab, seg)


def _norm_ids(norm: str, vocab: _Vocabulary, seg) -> list[int]:
    """:func:`_comment_ids` of a text already normalised (:func:`_normalise_text`)."""
    if seg is not None:
        return vocab.lookup(_cut(seg, norm))
    return vocab.lookup(vocab.pattern.findall(norm))


# --------------------------------------------------------------------------------------------- phrases

def log_likelihood(a, b, n1: int, n2: int) -> np.ndarray:
    """Dunning's G² of the 2 × 2 table [[a, n1 − a], [b, n2 − b]] (a of n1 uncoded comments and b of n2 coded
    comments use the phrase)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    n = n1 + n2
    k = a + b
    observed = (a, n1 - a, b, n2 - b)
    expected = (n1 * k / n, n1 * (n - k) / n, n2 * k / n, n2 * (n - k) / n)
    total = np.zeros_like(a)
    from scipy.special import xlogy

    for o, e in zip(observed, expected):
        total += xlogy(o, o) - xlogy(o, np.where(e > 0, e, 1.0))
    return np.maximum(2 * total, 0.0)


def _unique(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (a sort is faster than numpy's hash-based unique on millions of int64)."""
    if not len(values):
        return values
    ordered = np.sort(values)
    return ordered[np.concatenate([[True], ordered[1:] != ordered[:-1]])]


def _unique_inverse(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if not len(values):
        return values, values.astype(np.int64)
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    first = np.concatenate([[True], ordered[1:] != ordered[:-1]])
    inverse = np.empty(len(values), dtype=np.int64)
    inverse[order] = np.cumsum(first) - 1
    return ordered[first], inverse


@dataclass
class _Ngrams:
    n: int
    codes: np.ndarray        # unique phrase codes (local to n)
    pair_code: np.ndarray    # per (phrase, comment) pair: index into codes, sorted
    pair_doc: np.ndarray     # the comment of each pair


def _ngrams(nid: np.ndarray, doc: np.ndarray, n_docs: int, V: int) -> tuple[list[_Ngrams], list[np.ndarray]]:
    """Phrases of 1–3 words per comment; returns their tables and the decoders (code → words)."""
    valid1 = nid >= 0
    levels, decoders = [], []
    previous = None            # per position: id of the (n−1)-gram starting there, −1 when none
    for n in (1, 2, 3):
        if n == 1:
            full = np.where(valid1, nid, -1)
            keep = valid1
            raw = nid[keep]
        else:
            size = len(nid) - (n - 1)
            head, tail, before = previous[:size], nid[n - 1:], nid[n - 2:len(nid) - 1]
            short = (head >= 0) & (tail >= 0) & (tail != before)
            keep = np.concatenate([short, np.zeros(n - 1, dtype=bool)])
            raw = head[short] * V + tail[short]
        codes, inverse = _unique_inverse(raw)
        current = np.full(len(nid), -1, dtype=np.int64)
        current[np.flatnonzero(keep)] = inverse
        docs = doc[keep]
        key = _unique(inverse.astype(np.int64) * n_docs + docs)
        levels.append(_Ngrams(n, codes, key // n_docs, key % n_docs))
        decoders.append(codes)
        previous = current
    return levels, decoders


def _decode(n: int, code: int, decoders: list[np.ndarray], V: int) -> tuple[int, ...]:
    if n == 1:
        return (int(decoders[0][code]),)
    raw = int(decoders[n - 1][code])
    prefix, last = divmod(raw, V)
    if n == 2:
        return (int(decoders[0][prefix]), last)
    return _decode(2, prefix, decoders, V) + (last,)


def _join(words: list[str]) -> str:
    out = words[0]
    for w in words[1:]:
        cjk_edge = _CJK.search(out[-1]) or _CJK.search(w[0])
        out += w if cjk_edge else " " + w
    return out


# --------------------------------------------------------------------------------------------- API

_MAX_PHRASES = 8
_POOL = 1000


def suggest_themes(texts, uncoded=None, *, user_words=None, stop_words=None, max_suggestions: int = 10,
                   min_comments: int | None = None, examples: int = 3,
                   extra_names: list[str] | None = None) -> ThemeSuggestions:
    """Suggested themes among the uncoded comments (the rules are in the module's docstring).

    ``texts``: the comments (strings; None/NaN/"" are no comment). ``uncoded``: for each comment, True when no
    theme of the code frame matched it (None: all are uncoded). ``user_words``: names to keep whole.
    ``stop_words``: more words to ignore. ``extra_names``: names masked in the examples.
    """
    texts = _as_texts(texts)
    n_all = len(texts)
    flags = np.ones(n_all, dtype=bool) if uncoded is None else _as_mask(uncoded, n_all)
    user = _word_list(user_words, "user words")
    extra_stop = _word_list(stop_words, "stop words")
    for name, value, low in (("max_suggestions", max_suggestions, 1), ("examples", examples, 0),
                             ("min_comments", 1 if min_comments is None else min_comments, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ConfigError(f"{name}: expected a whole number ≥ {low}, got {value!r}")

    present = np.array([bool(t.strip()) for t in texts], dtype=bool)
    docs_idx = np.flatnonzero(present)           # comment number → position in texts
    n_docs = len(docs_idx)
    un = flags[docs_idx]
    n_unc, n_cod = int(un.sum()), int(n_docs - un.sum())
    threshold = int(min_comments) if min_comments is not None else max(2, math.ceil(n_unc / 1000))
    method = "log-likelihood" if n_cod else "frequency"
    result = ThemeSuggestions(n_docs, n_unc, n_cod, method, threshold, None)
    if n_unc == 0:
        return result

    vocab = _Vocabulary(user, extra_stop)
    seg = None
    lengths = np.zeros(n_docs, dtype=np.int64)
    tokens: list[str] = []
    for d, i in enumerate(docs_idx):
        text = texts[i]
        chinese = bool(_CJK.search(text))
        if chinese and seg is None:
            seg = _segmenter(user)
            result.segmenter = _segmenter_name()
        norm = _normalise_text(text)
        found = _cut(seg, norm) if chinese else vocab.pattern.findall(norm)
        tokens.extend(found)
        tokens.append("\n")                      # a comment ends a phrase
        lengths[d] = len(found) + 1
    # each distinct written token is classified once
    codes, distinct = pd.factorize(pd.Series(tokens, dtype=object), sort=False)
    kinds = np.array([vocab.classify(t) for t in distinct], dtype=np.int64)
    raw = kinds[codes]
    doc = np.repeat(np.arange(n_docs, dtype=np.int64), lengths)
    kept = raw != _STOP
    raw, doc = raw[kept], doc[kept]
    del tokens, codes
    norm_of = np.asarray(vocab.norm_of, dtype=np.int64)
    nid = np.where(raw >= 0, norm_of[np.maximum(raw, 0)] if len(norm_of) else -1, -1)
    V = max(len(vocab.norms), 1)

    # the written form shown for each normalised word: its most frequent one, then the first alphabetically
    written_counts = np.bincount(raw[raw >= 0], minlength=len(vocab.written))
    shown: dict[int, tuple[int, str]] = {}
    for k, w in enumerate(vocab.written):
        norm = vocab.norm_of[k]
        form = vocab.user.get(w, w)
        best = shown.get(norm)
        if best is None or (-written_counts[k], form) < (-best[0], best[1]):
            shown[norm] = (int(written_counts[k]), form)
    shown_form = {norm: form for norm, (_c, form) in shown.items()}

    levels, decoders = _ngrams(nid, doc, n_docs, V)
    rows = []       # (n, local code, a, b)
    for level in levels:
        c = len(level.codes)
        in_unc = un[level.pair_doc]
        a = np.bincount(level.pair_code[in_unc], minlength=c)
        b = np.bincount(level.pair_code[~in_unc], minlength=c)
        rows.append((np.full(c, level.n), np.arange(c), a, b))
    ns = np.concatenate([r[0] for r in rows])
    local = np.concatenate([r[1] for r in rows])
    a = np.concatenate([r[2] for r in rows])
    b = np.concatenate([r[3] for r in rows])
    ok = a >= threshold
    neg_ids = np.array([vocab.norm_ids[w] for w in NOT_ALONE if w in vocab.norm_ids],
                       dtype=np.int64)
    ok[:len(levels[0].codes)] &= ~np.isin(levels[0].codes, neg_ids)     # a negation (or 太) alone is no theme
    if n_cod:
        g2 = log_likelihood(a, b, n_unc, n_cod)
        under = a * n_cod < b * n_unc
        score = np.where(under, -g2, g2)
        ok &= ~(under & (g2 >= SIGNIFICANT))
    else:
        score = np.zeros(len(a))
    idx = np.flatnonzero(ok)
    if not len(idx):
        return result
    # a pool of the best phrases; everything tied with the last one kept too, so the cut never depends on order
    order = idx[np.lexsort((-score[idx], -a[idx]))]
    if len(order) > _POOL:
        floor = (a[order[_POOL - 1]], score[order[_POOL - 1]])
        order = order[(a[order] > floor[0]) | ((a[order] == floor[0]) & (score[order] >= floor[1]))]

    def words_of(j: int) -> tuple[int, ...]:
        return _decode(int(ns[j]), int(local[j]), decoders, V)

    level_of = {level.n: level for level in levels}

    def postings(j: int) -> tuple[np.ndarray, np.ndarray]:
        level = level_of[int(ns[j])]
        lo, hi = np.searchsorted(level.pair_code, [local[j], local[j] + 1])
        docs = level.pair_doc[lo:hi]
        mask = un[docs]
        return docs[mask], docs[~mask]

    # phrases written with the same characters are one phrase (速度慢 as one word or as 速度 + 慢)
    merged: dict[str, dict] = {}
    for j in order:
        words = _decode(int(ns[j]), int(local[j]), decoders, V)
        norms = [vocab.norms[w] for w in words]
        key = _join(norms)
        same = key.replace(" ", "") if _CJK.search(key) else key
        docs_u, docs_c = postings(int(j))
        if same in merged:
            m = merged[same]
            m["u"] = np.union1d(m["u"], docs_u)
            m["c"] = np.union1d(m["c"], docs_c)
            if (len(words), norms) < (len(m["words"]), m["norms"]):
                m.update(words=words, norms=norms, key=key)
        else:
            merged[same] = {"words": words, "norms": norms, "key": key, "u": docs_u, "c": docs_c}
    candidates = []
    for m in merged.values():
        ca, cb = len(m["u"]), len(m["c"])
        if n_cod:
            g2 = float(log_likelihood([ca], [cb], n_unc, n_cod)[0])
            sc = -g2 if ca * n_cod < cb * n_unc else g2
        else:
            sc = 0.0
        candidates.append((-ca, -sc, -len(m["key"]), m["key"], m["norms"], cb, m["words"], m["u"], m["c"]))
    candidates.sort()

    text_lengths = np.array([len(texts[i].strip()) for i in docs_idx], dtype=np.int64)
    groups: list[dict] = []
    for neg_a, neg_score, _length, key, _norms, cb, words, docs_u, docs_c in candidates:
        if len(groups) >= max_suggestions and all(len(g["members"]) >= _MAX_PHRASES for g in groups):
            break
        home, in_full = None, False
        for g in groups:
            if len(g["members"]) >= _MAX_PHRASES:
                # related to a full suggestion only: left out, never a second suggestion of the same comments
                in_full = in_full or _related(words, key, docs_u, g, n_docs)
                continue
            if _related(words, key, docs_u, g, n_docs):
                home = g
                break
        member = (words, key, docs_u, docs_c, -neg_a, cb, -neg_score)
        if home is not None:
            home["members"].append(member)
        elif not in_full and len(groups) < max_suggestions:
            groups.append({"words": words, "key": key, "docs": docs_u, "members": [member]})

    built = []
    for rank, g in enumerate(groups):
        docs_u = np.unique(np.concatenate([m[2] for m in g["members"]]))
        docs_c = np.unique(np.concatenate([m[3] for m in g["members"]]))
        phrases = [SuggestedPhrase(_join([shown_form[w] for w in m[0]]), len(m[0]), m[4], 100.0 * m[4] / n_unc,
                                   m[5], m[6]) for m in g["members"]]
        built.append((-len(docs_u), rank, SuggestedTheme(phrases[0].phrase, len(docs_u), 100.0 * len(docs_u) / n_unc,
                                                         len(docs_c), phrases, []), g))
    built.sort(key=lambda x: x[:2])
    # Examples in the order shown, a comment (or the same words from another customer) quoted once in all.
    quoted: set[str] = set()
    for _n, _rank, theme, g in built:
        theme.examples = _examples([m[2] for m in g["members"]], texts, docs_idx, examples, extra_names,
                                   text_lengths, quoted)
    result.suggestions = [theme for _n, _rank, theme, _g in built]
    return result


def _related(words, key, docs, group: dict, n_docs: int) -> bool:
    head_words, head_key, head_docs = group["words"], group["key"], group["docs"]
    s, h = set(words), set(head_words)
    if s <= h or h <= s:
        return True
    if (_CJK.search(key) or _CJK.search(head_key)) and (key.replace(" ", "") in head_key.replace(" ", "")
                                                       or head_key.replace(" ", "") in key.replace(" ", "")):
        return True
    small, large = sorted((len(docs), len(head_docs)))
    if not small or 3 * small < large:           # the Jaccard index is at most small / large
        return False
    if "mask" not in group:
        group["mask"] = np.zeros(n_docs, dtype=bool)
        group["mask"][head_docs] = True
    shared = int(group["mask"][docs].sum())
    return shared >= 2 and 3 * shared >= len(docs) + len(head_docs) - shared     # Jaccard ≥ 1/3


def _examples(postings: list[np.ndarray], texts: list[str], docs_idx: np.ndarray, k: int,
              extra_names: list[str] | None, lengths: np.ndarray, seen: set[str] | None = None) -> list[SuggestionExample]:
    """The shortest distinct comments using the leading phrase, then the other phrases (ties: by the text);
    none already in ``seen`` (the texts quoted by themes shown before), which is updated."""
    out: list[SuggestionExample] = []
    seen = set() if seen is None else seen
    for docs in postings:
        if len(out) >= k or not len(docs):
            continue
        docs = docs[np.argsort(lengths[docs], kind="stable")]
        take = min(len(docs), 8 * k)
        while True:
            # every comment as short as the last one taken is in, so the text decides the ties
            cut = int(np.searchsorted(lengths[docs], lengths[docs[take - 1]], side="right"))
            ranked = sorted((int(lengths[d]), texts[docs_idx[d]].strip(), int(docs_idx[d])) for d in docs[:cut])
            picked, names = [], set(seen)
            for _length, text, i in ranked:
                same = " ".join(text.casefold().split())
                if same not in names:
                    names.add(same)
                    picked.append((i, text, same))
                if len(out) + len(picked) >= k:
                    break
            if len(out) + len(picked) >= k or cut >= len(docs):
                break
            take = min(len(docs), 4 * cut)
        for i, text, same in picked:
            seen.add(same)
            out.append(SuggestionExample(i, mask_personal_data(text, extra_names)))
    return out


def suggest_from_frame(texts, frame: dict, **options) -> ThemeSuggestions:
    """:func:`suggest_themes` with the uncoded comments found by the code frame's keywords (the matching of
    :func:`cxreport.scoring.comments.code_themes`)."""
    from cxreport.scoring.comments import code_themes

    texts = _as_texts(texts)
    if not isinstance(frame, dict):
        raise ConfigError("code frame: expected themes with their keywords")
    coded = np.zeros(len(texts), dtype=bool)
    for found in (code_themes(texts, frame) if frame else {}).values():
        coded |= found
    return suggest_themes(texts, ~coded, **options)
