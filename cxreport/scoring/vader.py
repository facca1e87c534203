"""VADER's analyser (vaderSentiment 3.3.2) giving the same scores in about two thirds of the time.

For every lexicon word of a comment, VADER looks at the three words before it; each look calls
``_negation_check`` and, at the third, ``_special_idioms_check``, and each of those lower-cases
the whole comment again (``[str(w).lower() for w in words_and_emoticons]``): a comment of n
words with k sentiment words is lower-cased about 4k times, a third of the analyser's time on
the sample's comments. :class:`Analyser` overrides those two checks only, with their code as
VADER 3.3.2 has it (MIT licence, C.J. Hutto), reading the comment's lower-cased words made once
per comment; ``negated([word])`` of one lower-cased word is ``word in NEGATE or "n't" in word``.
Its ``polarity_scores`` is VADER's, except that a text with no emoji skips the copy VADER makes
of it one character at a time (replacing emojis by their descriptions): the copy is the text.

The override depends on VADER's internals, so it is used only with the version it was written
for (:func:`analyser`); any other version gets VADER's own analyser. ``tests/test_vader.py``
checks that both give the same four scores, to the bit, on every English comment of the samples,
the open texts of the public Sudzilla and Quantipy files and crafted cases of each rule, one
comment after another and from several threads sharing one analyser.
"""

from __future__ import annotations

import threading

from vaderSentiment import vaderSentiment as _vader

#: The vaderSentiment release whose two checks :class:`Analyser` reproduces.
VERSION = "3.3.2"

_NEGATE = frozenset(_vader.NEGATE)


def _negated(word: str) -> bool:
    """``vaderSentiment.negated([word])`` for a lower-cased ``word``."""
    return word in _NEGATE or "n't" in word


class Analyser(_vader.SentimentIntensityAnalyzer):
    """:class:`vaderSentiment.SentimentIntensityAnalyzer` lower-casing each comment's words once.

    One analyser may serve several threads at once, as VADER's does: the comment being scored
    and its lower-cased words are kept per thread. The emoji descriptions are read when the
    analyser is made (``emojis`` changed afterwards is not seen by the test for emojis)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._emoji_keys = frozenset(self.emojis)
        self._comment = threading.local()

    def _lowered(self, words_and_emoticons) -> list[str]:
        # The list is the comment's own (SentiText.words_and_emoticons), kept referenced here, so
        # the identity test cannot match another comment's list.
        comment = self._comment
        if getattr(comment, "words", None) is not words_and_emoticons:
            lower = [str(w).lower() for w in words_and_emoticons]
            comment.words, comment.lower = words_and_emoticons, lower
        return comment.lower

    def polarity_scores(self, text):
        """VADER 3.3.2's ``polarity_scores``; a text without an emoji skips its character-by-character
        copy (the copy of such a text is the text). Anything but a string goes to VADER's own
        (which reads any sequence of strings as a text)."""
        if not isinstance(text, str):
            try:
                return super().polarity_scores(text)
            finally:
                self._comment.words = self._comment.lower = None
        if not self._emoji_keys.isdisjoint(text):
            text_no_emoji = ""
            prev_space = True
            for chr in text:
                if chr in self.emojis:
                    description = self.emojis[chr]
                    if not prev_space:
                        text_no_emoji += ' '
                    text_no_emoji += description
                    prev_space = False
                else:
                    text_no_emoji += chr
                    prev_space = chr == ' '
            text = text_no_emoji
        text = text.strip()
        try:
            sentitext = _vader.SentiText(text)
            sentiments = []
            words_and_emoticons = sentitext.words_and_emoticons
            for i, item in enumerate(words_and_emoticons):
                valence = 0
                if item.lower() in _vader.BOOSTER_DICT:
                    sentiments.append(valence)
                    continue
                if (i < len(words_and_emoticons) - 1 and item.lower() == "kind" and
                        words_and_emoticons[i + 1].lower() == "of"):
                    sentiments.append(valence)
                    continue
                sentiments = self.sentiment_valence(valence, sentitext, item, i, sentiments)
            sentiments = self._but_check(words_and_emoticons, sentiments)
            return self.score_valence(sentiments, text)
        finally:
            self._comment.words = self._comment.lower = None

    def _negation_check(self, valence, words_and_emoticons, start_i, i):
        low = self._lowered(words_and_emoticons)
        if start_i == 0:
            if _negated(low[i - (start_i + 1)]):
                valence = valence * _vader.N_SCALAR
        if start_i == 1:
            if low[i - 2] == "never" and (low[i - 1] == "so" or low[i - 1] == "this"):
                valence = valence * 1.25
            elif low[i - 2] == "without" and low[i - 1] == "doubt":
                valence = valence
            elif _negated(low[i - (start_i + 1)]):
                valence = valence * _vader.N_SCALAR
        if start_i == 2:
            if low[i - 3] == "never" and (low[i - 2] == "so" or low[i - 2] == "this") or \
                    (low[i - 1] == "so" or low[i - 1] == "this"):
                valence = valence * 1.25
            elif low[i - 3] == "without" and (low[i - 2] == "doubt" or low[i - 1] == "doubt"):
                valence = valence
            elif _negated(low[i - (start_i + 1)]):
                valence = valence * _vader.N_SCALAR
        return valence

    def _special_idioms_check(self, valence, words_and_emoticons, i):
        low = self._lowered(words_and_emoticons)
        special, booster = _vader.SPECIAL_CASES, _vader.BOOSTER_DICT
        onezero = f"{low[i - 1]} {low[i]}"
        twoonezero = f"{low[i - 2]} {low[i - 1]} {low[i]}"
        twoone = f"{low[i - 2]} {low[i - 1]}"
        threetwoone = f"{low[i - 3]} {low[i - 2]} {low[i - 1]}"
        threetwo = f"{low[i - 3]} {low[i - 2]}"
        for seq in (onezero, twoonezero, twoone, threetwoone, threetwo):
            if seq in special:
                valence = special[seq]
                break
        if len(low) - 1 > i:
            zeroone = f"{low[i]} {low[i + 1]}"
            if zeroone in special:
                valence = special[zeroone]
        if len(low) - 1 > i + 1:
            zeroonetwo = f"{low[i]} {low[i + 1]} {low[i + 2]}"
            if zeroonetwo in special:
                valence = special[zeroonetwo]
        for n_gram in (threetwoone, threetwo, twoone):
            if n_gram in booster:
                valence = valence + booster[n_gram]
        return valence


def analyser() -> _vader.SentimentIntensityAnalyzer:
    """:class:`Analyser` with vaderSentiment 3.3.2, VADER's own analyser with any other version."""
    from importlib import metadata

    try:
        version = metadata.version("vaderSentiment")
    except metadata.PackageNotFoundError:     # pragma: no cover - imported above, so installed
        version = None
    return Analyser() if version == VERSION else _vader.SentimentIntensityAnalyzer()
