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


def test_one_analyser_scores_comment_after_comment_as_a_new_one_would():
    """The lower-cased words kept for one comment are never read for the next."""
    fast = vader.Analyser()
    texts = ["not good", "good", "never so bad", "bad", "without doubt good", "good"]
    assert [fast.polarity_scores(t) for t in texts] == [vader.Analyser().polarity_scores(t) for t in texts]
    assert fast._words is None and fast._lower is None


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
