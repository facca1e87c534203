"""Hostile projects and reasons for the suggested themes (cxreport/scoring/suggest.py, its study step
cxreport/scoring/voc_suggest.py) and the emotion on the journey map (cxreport/scoring/emotion.py, its study
step cxreport/scoring/journey_emotion.py), registered by tests/test_validate_promise.py."""

from __future__ import annotations

S = "cxreport/scoring/suggest.py:"
E = "cxreport/scoring/emotion.py:"
V = "cxreport/scoring/voc_suggest.py:"

_VOICE = ("the study step (study_suggestions) passes the comment analysis' own texts and its uncoded flags: one "
          "boolean per comment")
_WORDS = ("the study step checks comments.user_words and comments.stop_words first (an empty entry stops it with "
          "the key's place: the comments.user_words and comments.stop_words cases); the schema makes them lists of "
          "strings")
_SCORES = ("the study step (journey_emotion) passes the comment analysis' own sentiment scores (VADER compound or "
           "2p − 1 from the Chinese naive Bayes model, within −1 … 1), one per comment")
_LABELS = ("the study step passes the comment analysis' own tone labels (positive/neutral/negative from "
           "cxreport.scoring.comments.label), one per comment, and no Chinese flags")
_LINKS = ("the study step passes one touchpoint and one stage label per comment, read from the journey's segments "
          "at the comments' positions")


def register(ns):
    Case = ns.Case
    cases = {
        V + "study_suggestions:comments.{}[{}]: an empty word (give a word or lea": Case(
            {"comments": {"user_words": ["Promise Co", " "]}},
            "comments.user_words[1]: an empty word"),
    }
    unreachable = {
        # suggest.py: the study step's inputs
        S + "_as_mask:uncoded flags: {} values for {} comments": _VOICE,
        S + "_as_mask:uncoded flags: expected True/False for each commen": _VOICE,
        S + "_word_list:{}: expected a list of words, got one string": _WORDS,
        S + "_word_list:{}: entry {} is not a word ({})": _WORDS,
        S + "suggest_themes:{}: expected a whole number ≥ {}, got {}": (
            "the study step passes comments.suggestions.max (≥ 1 here: 0 returns before), .examples (≥ 0) and "
            "min_comments (the schema's ≥ 1, or a default ≥ 5), all whole numbers the schema checks"),
        S + "suggest_from_frame:code frame: expected themes with their keywords": (
            "not called by score or build (the study step passes the comment analysis' uncoded flags)"),
        # emotion.py: the study step's inputs
        E + "tone_labels:chinese: {} flags for {} comments": _LABELS,
        E + "_scores:sentiment: the scores must be numbers from −1 to 1": _SCORES,
        E + "_scores:sentiment: one score per comment": _SCORES,
        E + "_scores:sentiment: score {} is outside −1 … 1": _SCORES,
        E + "_labels:tone labels: {} labels for {} comments": _LABELS,
        E + "_labels:tone labels: '{}' is not one of {}": _LABELS,
        E + "_themes:theme '{}': {} flags for {} comments": (
            "the study step passes the comment analysis' theme flags, one per comment for every theme"),
        E + "_check_settings:alpha: must be between 0 and 1, not {}": (
            "the study step passes the project's alpha, which the schema keeps between 0 and 1"),
        E + "_check_settings:adjust: '{}' is not one of {}": (
            "the study step passes significance.adjust, a choice the schema checks"),
        E + "emotion_by_group:{}: {} labels for {} comments": _LINKS,
        E + "emotion_map:emotion map: give the comments' touchpoints, stage": (
            "the study step always passes both the touchpoints and the stages"),
        E + "emotion_map:stage_of: touchpoint '{}' has no stage": (
            "the study step passes the stages, so stage_of only names each touchpoint's stage on the map"),
        E + "_majority_stage:stages: {} labels for {} comments": (
            "not reached: the study step passes stage_of (the map's stages), so no majority is computed"),
    }
    return cases, unreachable
