"""Suggested themes from uncoded comments (issue 16, item 3): on the real event-survey comments and the real
Chinese food-delivery reviews in ../shared/realdata (read in place), and on made-up cases for the user
dictionary, normalisation, determinism and errors. Expected figures are counted independently here (regular
expressions and substring counts over the raw texts), not with the module's own tokeniser."""

import random
import re
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency

from cxreport.errors import ConfigError, DataError
from cxreport.scoring.suggest import log_likelihood, segment, suggest_from_frame, suggest_themes

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
EVENT = REALDATA / "sudzilla_event_survey" / "input_01.csv"
WAIMAI = REALDATA / "waimai_10k" / "waimai_10k.csv"

EVENT_FRAME = {"Speakers": ["keynote", "speaker", "speakers", "talks"], "Content": ["content", "sessions"]}
WAIMAI_FRAME = {"口味": ["味道", "好吃", "难吃"], "价格": ["贵", "价格"], "服务": ["态度"]}


def event_comments() -> list:
    frame = pd.read_csv(EVENT)
    return frame[frame.columns[2]].tolist()          # "...why?" (two blanks)


def waimai_negative() -> list[str]:
    frame = pd.read_csv(WAIMAI)
    return frame.loc[frame["label"] == 0, "review"].astype(str).tolist()


def english_uncoded(texts) -> list[str]:
    words = [w for terms in EVENT_FRAME.values() for w in terms]
    pattern = re.compile(r"\b(" + "|".join(words) + r")\b", re.IGNORECASE)
    return [t for t in texts if isinstance(t, str) and t.strip() and not pattern.search(t)]


def phrase_map(result) -> dict:
    return {p.phrase: (s, p) for s in result.suggestions for p in s.phrases}


# ----------------------------------------------------------------------------------------- English, real

def test_event_survey_suggestions_count_what_the_comments_say():
    texts = event_comments()
    result = suggest_from_frame(texts, EVENT_FRAME, max_suggestions=8)
    uncoded = english_uncoded(texts)
    assert result.n_comments == sum(isinstance(t, str) and bool(t.strip()) for t in texts) == 37
    assert result.n_uncoded == len(uncoded) == 29
    assert result.method == "log-likelihood" and result.min_comments == 2
    phrases = phrase_map(result)
    # "enough" (and "not enough") — counted here with plain regular expressions over the uncoded comments
    enough = [t for t in uncoded if re.search(r"\benough\b", t, re.I)]
    not_enough = [t for t in uncoded if re.search(r"\bnot\s+enough\b", t, re.I)]
    assert len(enough) == 4 and len(not_enough) == 3
    group, phrase = phrases["enough"]
    assert phrase.comments == len(enough) and phrases["not enough"][1].comments == len(not_enough)
    assert phrases["not enough"][0] is group                        # nested phrases make one suggestion
    assert group.comments == len(enough) and group.share == pytest.approx(100 * len(enough) / len(uncoded))
    # examples: the shortest uncoded comments using the leading phrase
    assert [e.text for e in group.examples] == sorted((t.strip() for t in enough), key=lambda t: (len(t), t))[:3]
    assert all(texts[e.index].strip() == e.text for e in group.examples)
    # "bubbly": three uncoded comments, none coded
    bubbly = [t for t in uncoded if re.search(r"\bbubbly\b", t, re.I)]
    assert phrases["bubbly"][1].comments == len(bubbly) == 3 and phrases["bubbly"][1].coded_comments == 0
    # the frame's own keywords never come back; a negation alone is no suggestion; stop words are gone
    for word in [w for terms in EVENT_FRAME.values() for w in terms] + ["not", "the", "was", "i"]:
        assert word not in phrases
    # listed by their uncoded comments; each suggestion's phrases most used first
    counts = [s.comments for s in result.suggestions]
    assert counts == sorted(counts, reverse=True)
    for s in result.suggestions:
        assert [p.comments for p in s.phrases] == sorted((p.comments for p in s.phrases), reverse=True)
    assert len(result.suggestions) == 8


def test_keyness_matches_scipy_log_likelihood_and_filters_phrases_of_coded_themes():
    for a, b, n1, n2 in [(4, 0, 29, 8), (30, 23, 5751, 2236), (378, 117, 5751, 2236), (0, 5, 10, 10), (7, 7, 7, 9)]:
        table = np.array([[a, n1 - a], [b, n2 - b]])
        expected = chi2_contingency(table, correction=False, lambda_="log-likelihood")[0] if (a + b) % (n1 + n2) else 0.0
        assert log_likelihood([a], [b], n1, n2)[0] == pytest.approx(expected, abs=1e-9)
    # "food" is in 1 of 10 uncoded comments but 9 of 10 coded ones: significantly rarer, so not suggested
    coded = ["delivery late, food cold"] * 9 + ["delivery late"]
    uncoded = ["the food smelled"] + [f"the car park was full {k}" for k in range(9)]
    texts = coded + uncoded
    flags = [False] * 10 + [True] * 10
    result = suggest_themes(texts, flags, min_comments=1)
    phrases = phrase_map(result)
    assert "food" not in phrases and "car park" in phrases
    assert phrases["car park"][1].comments == 9 and phrases["car park"][1].score > 3.84


# ----------------------------------------------------------------------------------------- Chinese, real

def test_waimai_negative_reviews_surface_the_real_delivery_complaints():
    texts = waimai_negative()
    result = suggest_from_frame(texts, WAIMAI_FRAME, max_suggestions=10)
    keywords = [w for terms in WAIMAI_FRAME.values() for w in terms]
    uncoded = [t for t in texts if t.strip() and not any(k in t for k in keywords)]   # Chinese: anywhere
    assert result.n_uncoded == len(uncoded) and result.n_coded == len(texts) - len(uncoded)
    assert result.segmenter.startswith("rjieba")
    assert result.min_comments == -(-len(uncoded) // 1000)
    phrases = phrase_map(result)
    # 太慢 ("too slow"): the segmenter's count can only miss the rare text where 太慢 is not a word of its own
    too_slow = sum("太慢" in t for t in uncoded)
    assert too_slow > 300
    group, phrase = phrases["太慢"]
    assert 0.95 * too_slow <= phrase.comments <= too_slow
    assert "慢" in phrases and phrases["慢"][0] is group                 # 慢 / 太慢 / 送餐太慢 in one suggestion
    assert phrases["送餐太慢"][0] is group
    # hours of waiting (小时), delivered cold (凉), delivery (送到 …) are suggestions of their own
    labels = [s.label for s in result.suggestions]
    assert {"小时", "凉", "送"} <= set(labels)
    hours = sum("小时" in t for t in uncoded)
    assert phrases["小时"][1].comments <= hours and phrases["小时"][1].comments >= 0.9 * hours
    cold = [t for t in uncoded if "凉" in t]                           # also 凉菜, 凉拌, 冰凉 …
    went_cold = [t for t in uncoded if re.search("凉[了的]", t)]       # 凉 as a word of its own
    assert 0.9 * len(went_cold) <= phrases["凉"][1].comments <= phrases["凉"][0].comments <= len(cold)
    # every suggestion's examples use one of its phrases and are the shortest ones of the leading phrase
    slow = group.examples[0].text
    assert "太慢" in slow and len(slow) == min(len(t.strip()) for t in uncoded if "太慢" in t)
    for s in result.suggestions:
        assert 2 <= len(s.examples) <= 3
        assert s.comments >= s.phrases[0].comments and s.share == pytest.approx(100 * s.comments / len(uncoded))
    for word in keywords + ["的", "了", "不", "没有", "我"]:
        assert word not in phrases


def test_user_dictionary_keeps_a_name_whole():
    text = "送餐太慢了，黄焖鸡米饭不好吃"
    assert "黄焖鸡米饭" not in segment(text)                      # the dictionary alone splits the dish
    assert segment(text, user_words=["黄焖鸡米饭"]) == ["送餐", "太慢", "|", "黄焖鸡米饭", "不", "好吃"]
    comments = ["黄焖鸡米饭太咸了", "黄焖鸡米饭送错了", "黄焖鸡米饭凉了", "米饭很硬"]
    plain = phrase_map(suggest_themes(comments, min_comments=2))
    named = phrase_map(suggest_themes(comments, user_words=["黄焖鸡米饭"], min_comments=2))
    assert plain["黄焖"][1].comments == 3 and "黄焖" not in named          # the name cut in two, or whole
    assert plain.get("黄焖鸡米饭", (None, None))[1] is None or plain["黄焖鸡米饭"][1].words > 1
    assert named["黄焖鸡米饭"][1].words == 1 and named["黄焖鸡米饭"][1].comments == 3
    # in English a multi-word name is one word, shown as the project spells it, never a stop word
    english = ["Chin & Beard Suds Co was late", "chin & beard suds co was rude", "I love Chin &  Beard Suds Co"]
    found = phrase_map(suggest_themes(english, user_words=["Chin & Beard Suds Co"]))
    assert found["Chin & Beard Suds Co"][1].comments == 3 and found["Chin & Beard Suds Co"][1].words == 1
    assert segment("The Will be there", user_words=["Will"]) == ["Will".casefold()]


def test_light_normalisation_counts_plural_and_case_as_one_phrase():
    texts = ["Delays at the gate", "delay at boarding", "Long DELAYS again", "queries unanswered", "query ignored",
             "the staff's attitude", "staff attitude poor"]
    phrases = phrase_map(suggest_themes(texts))
    assert phrases["delays"][1].comments == 3                      # shown in its most frequent written form
    assert phrases["queries"][1].comments == 2 and "query" not in phrases   # a tie: the first alphabetically
    assert phrases["staff attitude"][1].comments == 2              # possessive dropped
    assert segment("Ｆｕｌｌ－ｗｉｄｔｈ ＴＥＸＴ, ok") == ["full-width", "text", "|"]
    # a comment mixing the languages is segmented: Latin words stay words, a space parts Chinese clauses
    assert segment("the app crashes 送餐 太慢") == ["app", "crash", "|", "送餐", "|", "太慢"]


def test_a_phrase_never_spans_two_comments_two_clauses_or_two_lines():
    texts = ["late", "parcel"] * 3 + ["late\nparcel", "late; parcel", "送餐 太慢", "送餐，太慢"] * 2
    phrases = phrase_map(suggest_themes(texts))
    assert phrases["late"][1].comments == 7 and phrases["parcel"][1].comments == 7
    assert "late parcel" not in phrases and "parcel late" not in phrases and "送餐太慢" not in phrases
    assert phrases["送餐"][1].comments == 4


# ----------------------------------------------------------------------------------------- determinism

def _shape(result):
    return [(s.label, s.comments, s.coded_comments, [(p.phrase, p.comments, p.coded_comments, round(p.score, 9))
                                                     for p in s.phrases], [e.text for e in s.examples])
            for s in result.suggestions]


def test_same_input_same_output_and_input_order_does_not_matter():
    texts = waimai_negative()[:3000] + [t for t in event_comments() if isinstance(t, str)]
    keywords = [w for terms in WAIMAI_FRAME.values() for w in terms]
    flags = [not any(k in t for k in keywords) for t in texts]
    first = suggest_themes(texts, flags, max_suggestions=12)
    again = suggest_themes(texts, flags, max_suggestions=12)
    assert asdict(first) == asdict(again)
    order = list(range(len(texts)))
    random.Random(16).shuffle(order)
    shuffled = suggest_themes([texts[i] for i in order], [flags[i] for i in order], max_suggestions=12)
    assert _shape(shuffled) == _shape(first)
    assert len(first.suggestions) == 12


def test_examples_are_masked_and_distinct():
    texts = ["parcel lost, mail me at jo.bloggs@example.com", "parcel lost", "Parcel lost", "parcel lost again"]
    result = suggest_themes(texts, extra_names=["Bloggs"])
    lost = phrase_map(result)["parcel lost"][0]
    assert [e.text for e in lost.examples][:2] == ["Parcel lost", "parcel lost again"]
    assert all("example.com" not in e.text for e in lost.examples)
    assert lost.comments == 4


def test_no_coded_comments_no_uncoded_comments_and_blanks():
    result = suggest_themes(["slow app", None, float("nan"), "", "slow app again", "  "])
    assert result.method == "frequency" and result.n_comments == 2 and result.n_uncoded == 2
    assert result.suggestions[0].label == "slow app" and result.suggestions[0].comments == 2
    none_left = suggest_themes(["slow app", "slow app"], [False, False])
    assert none_left.n_uncoded == 0 and none_left.suggestions == []
    assert suggest_themes([]).suggestions == []


@pytest.mark.parametrize("call, error, words", [
    (lambda: suggest_themes(["a b", "c d"], [True]), DataError, "uncoded flags"),
    (lambda: suggest_themes(["a b"], ["yes"]), DataError, "True/False"),
    (lambda: suggest_themes(["a b"], max_suggestions=0), ConfigError, "max_suggestions"),
    (lambda: suggest_themes(["a b"], min_comments=0), ConfigError, "min_comments"),
    (lambda: suggest_themes(["a b"], examples=-1), ConfigError, "examples"),
    (lambda: suggest_themes(["a b"], user_words="Brand"), ConfigError, "user words"),
    (lambda: suggest_themes(["a b"], stop_words=["ok", ""]), ConfigError, "stop words: entry 2"),
    (lambda: suggest_from_frame(["a b"], ["not", "a", "frame"]), ConfigError, "code frame"),
])
def test_bad_input_is_a_one_line_error(call, error, words):
    with pytest.raises(error) as caught:
        call()
    assert words in str(caught.value) and "\n" not in str(caught.value)


def test_phrases_used_in_the_same_comments_make_one_suggestion():
    texts = ["driver rude", "the driver was rude", "rude driver again", "driver lost", "rude cashier",
             "refund slow", "refund took weeks"]
    result = suggest_themes(texts, max_suggestions=5)
    phrases = phrase_map(result)
    # driver (4 comments) and rude (4) share 3: Jaccard 3/5 ≥ 1/3, one suggestion counting 5 comments
    assert phrases["driver"][0] is phrases["rude"][0]
    assert phrases["driver"][0].comments == sum(("driver" in t) or ("rude" in t) for t in texts) == 5
    # refund (2) stands alone: it shares no comment with the others
    assert phrases["refund"][0] is not phrases["driver"][0] and phrases["refund"][0].comments == 2
    # one comment in common is no evidence: late (2) and parcel (2) share one (Jaccard 1/3) and stay apart
    once = phrase_map(suggest_themes(["late parcel", "late again", "parcel damaged"], min_comments=2))
    assert once["late"][1].comments == once["parcel"][1].comments == 2
    assert once["late"][0] is not once["parcel"][0]
