"""cxreport.scoring.vader gives VADER's own four scores, to the bit, faster."""

from pathlib import Path

import pandas as pd
import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from cxreport.scoring import vader

ROOT = Path(__file__).resolve().parents[1]
REALDATA = ROOT.parent / "shared" / "realdata"

# Each rule the two overridden checks and the emoji copy carry: negation one, two and three words
# back, "never so/this", "without doubt", "no" before a lexicon word, "least", idioms and
# booster n-grams, capitals, "but", punctuation, "kind of", contractions, emojis.
CRAFTED = [
    "", "   ", "ok", "The staff were not helpful.", "It was not really that helpful at all.",
    "Never so good as today", "never this bad", "It was never so very good", "without doubt the best branch",
    "Without a doubt great", "no problems at all", "no", "No good", "not bad", "at least it was fine",
    "least helpful person", "very least bad", "the service was the bomb", "They cut the mustard",
    "that was kind of good", "sort of helpful", "kind of bad service", "GREAT service but SLOW queue",
    "Great service but the queue was slow!!!", "Why so slow???", "Is this good?", "isn't good", "wasn't bad",
    "ain't nothing great", "cannot complain", "I can't say it was good", "nor good nor bad", "no or nor good",
    "The advisor was kinda rude", "extremely good", "barely acceptable", "hardly helpful :(", "great :)",
    "😀 lovely staff", "great😀service", "😡😡 awful", "terrible 👎 but ok 👍", "🙂", "a\u00a0good visit",
    "Good. Bad. Ugly.", "GOOD", "good GOOD good", "so good", "this good", "the shit", "bad ass service",
    "yeah right", "kiss of death", "hand to mouth", "back handed compliment", "upper hand",
    "Not only good but also fast", "It's not the worst", "no doubt good", "never not good", "zero good",
    "it ya'lln't good", "they'dn't be helpful", "we han't a good time",       # "n't" outside VADER's list
]


def _english_texts() -> list[str]:
    texts = list(CRAFTED)
    for path in sorted((ROOT / "samples").glob("*/data/*.csv")):
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        except UnicodeDecodeError:              # the Chinese sample is GB18030 (its comments are Chinese)
            continue
        for column in frame.columns:
            if any(word in column.lower() for word in ("comment", "why", "text", "verbatim")):
                texts += [t for t in frame[column].tolist() if t]
    return texts


def _realdata_texts() -> list[str]:
    texts = []
    for path in sorted((REALDATA / "sudzilla_event_survey").glob("*.csv")):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        for column in frame.columns[2:]:
            texts += [t for t in frame[column].tolist() if t]
    quantipy = REALDATA / "quantipy_example_a" / "example_data_a.csv"
    if quantipy.exists():
        frame = pd.read_csv(quantipy, dtype=str, keep_default_na=False, usecols=lambda c: c in ("q8a", "q9a"))
        for column in frame.columns:
            texts += [t for t in frame[column].tolist() if t]
    return texts


def _same(texts):
    plain, fast = SentimentIntensityAnalyzer(), vader.Analyser()
    for text in texts:
        assert fast.polarity_scores(text) == plain.polarity_scores(text), text


def test_the_samples_comments_and_the_crafted_rules_score_the_same():
    texts = _english_texts()
    assert len(texts) > 5000                      # the Harbour Bank sample's comments are among them
    emojis = vader.Analyser()._emoji_keys
    assert sum(1 for t in texts if not emojis.isdisjoint(t)) >= 5
    _same(texts)


def test_the_public_survey_files_comments_score_the_same():
    texts = _realdata_texts()
    assert len(texts) > 100, f"no text read from {REALDATA}"
    _same(texts)


def test_one_analyser_scores_comment_after_comment_as_vader_does():
    """The lower-cased words kept for one comment are never read for the next."""
    fast, plain = vader.Analyser(), SentimentIntensityAnalyzer()
    texts = ["not good", "good", "never so bad", "bad", "without doubt good", "good", "NOT GOOD", "good"]
    assert [fast.polarity_scores(t) for t in texts] == [plain.polarity_scores(t) for t in texts]
    assert fast._comment.words is None and fast._comment.lower is None


def test_threads_sharing_one_analyser_get_vaders_scores():
    """A Dask worker with several threads shares one analyser (comments._vader): each thread's
    comment and its lower-cased words are its own."""
    import sys
    import threading

    texts = _english_texts()[:200]
    expected = [SentimentIntensityAnalyzer().polarity_scores(t) for t in texts]
    fast = vader.Analyser()
    results, errors = {}, []

    def score(k):
        try:
            order = list(range(len(texts)))[k::1] if k % 2 == 0 else list(range(len(texts)))[::-1]
            results[k] = {i: fast.polarity_scores(texts[i]) for i in order}
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)                 # switch threads as often as possible
    try:
        threads = [threading.Thread(target=score, args=(k,)) for k in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert not errors
    for k, got in results.items():
        assert all(got[i] == expected[i] for i in got), k


def test_the_comment_being_scored_is_each_threads_own():
    import threading

    fast = vader.Analyser()
    words = ["Good", "DAY"]
    assert fast._lowered(words) == ["good", "day"]
    seen = []
    other = threading.Thread(target=lambda: seen.append(getattr(fast._comment, "words", None)))
    other.start()
    other.join()
    assert seen == [None]                       # another thread does not see this thread's comment
    assert fast._lowered(words) == ["good", "day"]


def test_anything_but_a_string_is_read_as_vader_reads_it():
    plain, fast = SentimentIntensityAnalyzer(), vader.Analyser()
    words = ["good", " ", "day"]
    assert fast.polarity_scores(words) == plain.polarity_scores(words)
    assert fast.polarity_scores(words)["compound"] > 0


def test_another_vader_version_gets_vaders_own_analyser(monkeypatch):
    from importlib import metadata

    assert type(vader.analyser()) is vader.Analyser
    monkeypatch.setattr(metadata, "version", lambda name: "3.4.0")
    assert type(vader.analyser()) is SentimentIntensityAnalyzer


@pytest.mark.parametrize("text", ["😀", "great😀service", " 😀 ok "])
def test_emojis_are_described_as_vader_does(text):
    plain, fast = SentimentIntensityAnalyzer(), vader.Analyser()
    assert fast.polarity_scores(text) == plain.polarity_scores(text)
    assert fast.polarity_scores(text)["compound"] != 0.0 or text == " 😀 ok "
