"""The fast theme coding (``comments._match_all``: every comment joined, one search per keyword in a
case-folded copy) finds exactly what the plain coding finds — a regular-expression search per
keyword per comment, kept below as the reference (the code of ``compile_terms`` / ``theme_hits`` /
``_strengths`` / ``code_themes`` before the speed-up, verbatim).

Compared match by match (start, end, theme, keyword) in the same order, with each comment's theme
strengths and the theme flags, on:
- real comment sets read in place from ../shared/realdata (never copied): the Sudzilla event
  survey's free-text answers (MIT), the Quantipy example's open ends (MIT) and the 11,987 waimai_10k
  Chinese reviews (local measurement only), each with the sample code frames and with a frame built
  from the set's own frequent words and phrases (so that keywords nest across themes);
- the two sample projects' comments with their own code frames;
- hand-made comments on the edges of the rules (letters IGNORECASE matches that str.lower() does
  not, a character whose folding changes what counts as a word character, separators in the text,
  overlapping repeats, nested keywords in one theme and across themes, ``re:`` patterns with and
  without a literal part, anchors and empty matches);
- 3,000 random comments and frames over an alphabet of such characters.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxreport.scoring import comments as C
from cxreport.scoring.comments import analyse_comments, code_themes, compile_terms, theme_hits, theme_hits_many

REPO = Path(__file__).resolve().parents[1]
REALDATA = REPO.parent / "shared" / "realdata"
SAMPLES = {"en": REPO / "samples" / "harbour-bank" / "cxreport.yaml",
           "zh": REPO / "samples" / "huayue-retail" / "cxreport.yaml"}


# --------------------------------------------------------------------------- the reference: the plain coding

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _ref_terms_of(value) -> list[str]:
    if isinstance(value, dict):
        return [t for terms in value.values() for t in terms]
    return list(value)


def _ref_term_pattern(term: str) -> tuple[str, float]:
    if term.startswith("re:"):
        return term[3:], 1.0
    if _CJK.search(term):
        return re.escape(term), max(len(term.strip()), 1) / 2
    words = term.split()
    return r"(?<!\w)" + r"\s+".join(re.escape(w) for w in words) + r"(?!\w)", float(max(len(words), 1))


class _RefTerm:
    def __init__(self, theme: str, index: int, pattern: re.Pattern, weight: float):
        self.theme, self.index, self.pattern, self.weight = theme, index, pattern, weight


def ref_compile_terms(frame: dict) -> list[_RefTerm]:
    out = []
    for theme, value in frame.items():
        for index, term in enumerate(_ref_terms_of(value)):
            pattern, weight = _ref_term_pattern(term)
            out.append(_RefTerm(theme, index, re.compile(pattern, re.IGNORECASE), weight))
    return out


def ref_theme_hits(text: str, terms: list[_RefTerm]) -> dict[str, list]:
    found = [(m.start(), m.end(), t) for t in terms for m in t.pattern.finditer(text) if m.end() > m.start()]
    out: dict[str, list] = {}
    for start, end, term in found:
        if any(o is not term and o.theme != term.theme and s <= start and end <= e and e - s > end - start
               for s, e, o in found):
            continue
        out.setdefault(term.theme, []).append((start, end, term))
    return out


def ref_strengths(hits: dict[str, list]) -> dict[str, float]:
    return {theme: sum({(t.index): t.weight for _s, _e, t in found}.values()) for theme, found in hits.items()}


def ref_code_themes(texts: list[str], frame: dict) -> dict[str, np.ndarray]:
    terms = ref_compile_terms(frame)
    hits = [ref_theme_hits(t, terms) if t else {} for t in texts]
    return {theme: np.array([theme in h for h in hits], dtype=bool) for theme in frame}


# --------------------------------------------------------------------------- comparing

def _plain_hits(hits: dict[str, list]) -> dict[str, list[tuple]]:
    return {theme: [(s, e, t.theme, t.index, t.weight) for s, e, t in found] for theme, found in hits.items()}


def assert_same_coding(texts: list[str], frame: dict) -> int:
    """The fast coding equals the reference on ``texts``; returns how many matches were compared."""
    ref_terms = ref_compile_terms(frame)
    expected = [ref_theme_hits(t, ref_terms) if t else {} for t in texts]
    got = theme_hits_many(texts, compile_terms(frame))
    assert len(got) == len(expected)
    for i, (e, g) in enumerate(zip(expected, got)):
        assert list(g) == list(e), (i, texts[i])                      # themes in the same order
        assert _plain_hits(g) == _plain_hits(e), (i, texts[i])        # spans, keywords, order
        assert C._strengths(g) == ref_strengths(e), (i, texts[i])
    flags = code_themes(texts, frame)
    ref_flags = ref_code_themes(texts, frame)
    assert list(flags) == list(ref_flags)
    for theme in frame:
        np.testing.assert_array_equal(flags[theme], ref_flags[theme], err_msg=theme)
    return sum(len(v) for h in expected for v in h.values())


def _frame_from_words(texts: list[str], seed: int) -> dict:
    """A frame of the set's own frequent words and two-word phrases spread over six themes, so that a
    word and a phrase containing it often fall in different themes (the nesting rule)."""
    words = Counter(w for t in texts for w in re.findall(r"[A-Za-z][A-Za-z'-]+", t.lower()) if len(w) > 2)
    pairs = Counter(" ".join(p) for t in texts
                    for p in zip(re.findall(r"\w+", t.lower()), re.findall(r"\w+", t.lower())[1:]))
    terms = [w for w, _n in words.most_common(40)] + [p for p, _n in pairs.most_common(25)]
    rng = random.Random(seed)
    frame: dict[str, list[str]] = {f"T{k}": [] for k in range(6)}
    for term in terms:
        frame[f"T{rng.randrange(6)}"].append(term.upper() if rng.random() < 0.2 else term)
    frame["T5"] += [r"re:\bnot\s+\w+", "re:(?<![A-Za-z])good(?![A-Za-z])", "re:^\\w+", "re:e?"]
    return frame


def _frame_from_chinese(texts: list[str]) -> dict:
    """Frequent two- and three-character strings of the reviews over five themes, a three-character
    one in another theme than the two-character string it contains ("不好吃" against "好吃")."""
    grams = Counter(t[i:i + n] for t in texts for n in (2, 3) for i in range(len(t) - n + 1)
                    if all(_CJK.match(c) for c in t[i:i + n]))
    common = [g for g, _n in grams.most_common(120)]
    frame: dict[str, list[str]] = {f"主题{k}": [] for k in range(5)}
    for k, gram in enumerate(common):
        frame[f"主题{(k + len(gram)) % 5}"].append(gram)
    frame["主题4"] += ["re:(?<![A-Za-z])app(?![A-Za-z])", "re:[0-9]+分钟"]
    return frame


# --------------------------------------------------------------------------- real comment sets

@pytest.fixture(scope="module")
def sample_frames():
    import yaml

    return {lang: yaml.safe_load(path.read_text(encoding="utf-8"))["comments"]["code_frame"]
            for lang, path in SAMPLES.items()}


def test_event_survey_answers(sample_frames):
    texts = []
    for name in ("input_01.csv", "input_02.csv"):
        frame = pd.read_csv(REALDATA / "sudzilla_event_survey" / name)
        for column in frame.columns[1:]:
            texts += [str(v) for v in frame[column].dropna()]
    texts += [t.upper() for t in texts]
    assert len(texts) > 500
    assert assert_same_coding(texts, _frame_from_words(texts, 1)) > 300
    assert_same_coding(texts, sample_frames["en"])


def test_quantipy_open_ends(sample_frames):
    data = pd.read_csv(REALDATA / "quantipy_example_a" / "example_data_a.csv", usecols=["q8a", "q9a"])
    texts = [str(v) for column in data for v in data[column].dropna()]
    assert len(texts) > 2500
    assert assert_same_coding(texts, _frame_from_words(texts, 2)) > 3000
    assert_same_coding(texts, sample_frames["en"])


def test_waimai_reviews(sample_frames):
    texts = pd.read_csv(REALDATA / "waimai_10k" / "waimai_10k.csv")["review"].astype(str).tolist()
    assert len(texts) == 11987
    assert assert_same_coding(texts, _frame_from_chinese(texts)) > 20000
    assert assert_same_coding(texts, sample_frames["zh"]) > 2000


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_sample_comments(lang, sample_frames):
    from cxreport.config.loader import load_project
    from cxreport.pipeline import validate_project

    _table, data = validate_project(load_project(SAMPLES[lang]))
    texts = data.comments["text"].astype(str).tolist()
    assert sum(1 for t in texts if t) > 2000
    assert assert_same_coding(texts, sample_frames[lang]) > 2000


# --------------------------------------------------------------------------- edges of the rules

EDGE_FRAME = {
    "Staff": ["staff", "cashier", "收银员", "ha ha", "i like", "σοφος", "straße", "k9", "Log-In", "a\0b"],
    "Checkout": ["收银", "on hold", "staff room", "internet", "re:(?-i:STAFF) ROOM"],
    "Music": ["hold music", "music", "re:^the\\b", "re:x*", "re:app|web", "re:(?<![A-Za-z])app(?![A-Za-z])"],
    "Empty": ["", "   "],
}
EDGE_TEXTS = [
    "ſtaff were rude", "STAFF ROOM was shut", "The staff room", "İnternet banking down", "ı lıke it", "I LIKE IT",
    "Kelvin: K9 unit", "STRAẞE and strasse and STRASSE", "ΣΟΦΟΣ ΣΟΦΟΣ σοφοσ", "\u0345staff", "x\u0345staff here",
    "staff\0staff", "\0", "ha ha ha ha", "on\n\thold  music", "on hold music", "log-in failed; LOG-IN; login",
    "happy app; app-only; apps", "收银员很好，收银很快", "收银收银员收银", "", "the app", "The web", "a\0b", "xxxx",
    "cashier's desk", "_staff staff_ staff", "Staff… staff! staff?", "ＳＴＡＦＦ", "ǅ ǆ Ǆ", "ﬅ ﬆ st",
]


def test_edge_comments():
    assert assert_same_coding(EDGE_TEXTS, EDGE_FRAME) > 30


def test_one_text_at_a_time_and_empty_inputs():
    terms = compile_terms(EDGE_FRAME)
    ref_terms = ref_compile_terms(EDGE_FRAME)
    for text in EDGE_TEXTS:
        assert _plain_hits(theme_hits(text, terms)) == _plain_hits(ref_theme_hits(text, ref_terms))
    assert theme_hits_many([], terms) == []
    assert theme_hits_many(["staff", ""], []) == [{}, {}]
    assert {t: f.tolist() for t, f in code_themes([], EDGE_FRAME).items()} == {t: [] for t in EDGE_FRAME}


def test_folding_joins_exactly_the_letters_that_ignorecase_matches():
    """Over every character: two characters fold alike exactly when re.IGNORECASE matches them, and
    folding keeps word and space characters what they were except the listed ones."""
    import _sre

    everything = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    folded = C._fold(everything)
    assert len(folded) == len(everything)
    codes = np.frombuffer(everything.encode("utf-32-le"), dtype=np.uint32)
    changed = np.flatnonzero(codes != np.frombuffer(folded.encode("utf-32-le"), dtype=np.uint32))
    # folding alike → IGNORECASE matches
    groups: dict[str, set[str]] = {}
    for i in changed.tolist():
        groups.setdefault(folded[i], {folded[i]}).add(everything[i])
    assert len(groups) > 1000
    for members in groups.values():
        for a in members:
            for b in members:
                assert re.fullmatch(re.escape(a), b, re.IGNORECASE), (a, b)
    # IGNORECASE matches → folding alike (every character a cased one can match is in the pool)
    cased = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF and _sre.unicode_iscased(c)]
    pool = "".join(sorted(set(cased) | {C._fold(c) for c in cased} | {chr(c) for c in C._FOLD_TABLE}))
    for ch in cased:
        for m in re.finditer(re.escape(ch), pool, re.IGNORECASE):
            assert C._fold(m.group()) == C._fold(ch), (ch, m.group())
    # word and space characters
    for cls in (r"\w", r"\s"):
        before = {m.start() for m in re.finditer(cls, everything)}
        after = {m.start() for m in re.finditer(cls, folded)}
        changers = {everything[i] for i in before ^ after}
        assert all(C._CLASS_CHANGERS.match(c) for c in changers), changers
    assert C._CLASS_CHANGERS.match("\u0345")


def test_random_comments_and_frames():
    rng = random.Random(16)
    alphabet = list("abs iIkKσςΣ-'_") + ["ſ", "ı", "İ", "K", "\u0345", "ι", "\0", "\n",
                                         "收", "银", "员", "ß", "ẞ", "Ⅰ", "ⅰ"]
    for _round in range(30):
        frame = {}
        for k in range(4):
            keywords = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 4)))
                        for _ in range(rng.randint(1, 5))]
            if rng.random() < 0.3:
                keywords.append("re:" + re.escape(rng.choice(alphabet)) + "+" + re.escape(rng.choice("ab")))
            frame[f"T{k}"] = keywords
        texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for _ in range(100)]
        assert_same_coding(texts, frame)


def test_repeated_comments_get_their_first_copys_matches():
    texts = ["Staff were rude", "", "the staff room", "Staff were rude", "", "STAFF", "the staff room",
             "Staff were rude"]
    assert assert_same_coding(texts, EDGE_FRAME) == 8            # staff ×4, staff room + ^the ×2
    assert assert_same_coding(texts * 50, EDGE_FRAME) == 400


def test_analysis_keeps_its_figures(sample_frames):
    """The comment analysis built on the fast coding: counts and uncoded share as the reference codes them."""
    texts = pd.read_csv(REALDATA / "waimai_10k" / "waimai_10k.csv")["review"].astype(str).tolist()[:3000]
    frame = sample_frames["zh"]
    comments = pd.DataFrame({"row": np.arange(len(texts)) + 2, "text": texts})
    scores = pd.Series(np.linspace(-1, 1, len(texts)), index=comments["row"].to_numpy())
    result = analyse_comments(comments, frame, scores_by_row=scores, per_theme=0)
    ref = ref_code_themes(texts, frame)
    assert {t.theme: t.count for t in result.themes} == {t: int(f.sum()) for t, f in ref.items()}
    assert result.uncoded == int((~np.any(np.column_stack(list(ref.values())), axis=1)).sum())
    for theme, flags in ref.items():
        np.testing.assert_array_equal(result.coded[theme], flags)


def test_a_pattern_is_searched_only_where_its_literal_part_is():
    assert C._required_literal(r"team (member|leader)") == "team "
    assert C._required_literal(r"(have|has|had) closed") == " closed"
    assert C._required_literal(r"(?<![A-Za-z])APP(?![A-Za-z])") == "app"
    assert C._required_literal(r"a+b|c") == ""
    assert C._required_literal(r"x*y?") == ""
