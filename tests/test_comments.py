"""Comment analytics: sentiment, themes, Pareto, verbatims and masking — on real comments
(the Sudzilla event survey fixture, MIT) and on made-up tricky cases."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxreport.masking import mask_personal_data
from cxreport.scoring.comments import analyse_comments, code_themes, label, sentiment_scores

FIXTURE = Path(__file__).parent / "fixtures" / "sudzilla_event_survey" / "input_01_first20.csv"


def real_comments() -> pd.DataFrame:
    frame = pd.read_csv(FIXTURE)
    score, why = frame.columns[1], frame.columns[2]
    out = pd.DataFrame({"row": range(2, 2 + len(frame)), "text": frame[why].fillna("").astype(str),
                        "score": frame[score]})
    return out


def test_vader_on_real_comments_agrees_with_the_scores_they_came_with():
    data = real_comments()
    data = data[data["text"] != ""]
    scores = sentiment_scores(data["text"].tolist())
    labels = [label(s) for s in scores]
    by_text = dict(zip(data["text"], labels))
    assert by_text["Bad service"] == "negative"
    assert by_text["It was just soaptastic"] != "negative"
    # comments from detractors (0–6) are more negative on average than from the rest
    low = scores[(data["score"] <= 6).to_numpy()]
    high = scores[(data["score"] >= 7).to_numpy()]
    assert low.mean() < high.mean()


def test_themes_match_whole_words_phrases_and_patterns_in_any_case():
    texts = ["The QUEUE was long", "queued for ages", "Waited on hold", "holdings are fine", "App crashed", ""]
    frame = {"Waiting": ["queue", "on hold", "re:queu(e|ed|ing)"], "Digital": ["app"]}
    hits = code_themes(texts, frame)
    assert hits["Waiting"].tolist() == [True, True, True, False, False, False]
    assert hits["Digital"].tolist() == [False, False, False, False, True, False]


def test_analysis_counts_multi_theme_comments_in_each_and_reports_uncoded():
    comments = pd.DataFrame({"row": [2, 3, 4, 5, 6],
                             "text": ["Terrible queue and rude staff", "Lovely staff, great service",
                                      "The queue was awful", "Nothing to add here", ""]})
    result = analyse_comments(comments, {"Queue": ["queue"], "Staff": ["staff"]}, per_theme=2)
    themes = {t.theme: t for t in result.themes}
    assert result.n_comments == 4                       # blank comments are not comments
    assert themes["Queue"].count == 2 and themes["Staff"].count == 2
    assert result.uncoded == 1
    assert themes["Queue"].negative == 2
    assert sum(r["count"] for r in result.pareto) == sum(t.negative for t in result.themes)
    assert result.pareto[-1]["cumulative"] == pytest.approx(100)
    # deterministic verbatims: the most negative first, then the most positive
    staff = themes["Staff"].verbatims
    assert staff[0]["text"] == "Terrible queue and rude staff" and staff[1]["text"] == "Lovely staff, great service"
    again = analyse_comments(comments.sample(frac=1, random_state=3), {"Queue": ["queue"], "Staff": ["staff"]},
                             per_theme=2)
    assert [v["text"] for v in {t.theme: t for t in again.themes}["Staff"].verbatims] == [v["text"] for v in staff]


def test_verbatims_are_masked():
    comments = pd.DataFrame({"row": [2], "text": ["Awful queue, call me on 07700 900123 or mail jo@example.com - Jo Smith"]})
    result = analyse_comments(comments, {"Queue": ["queue"]}, extra_names=["Jo Smith"])
    text = result.themes[0].verbatims[0]["text"]
    assert "07700" not in text and "example.com" not in text and "Jo Smith" not in text
    assert "[phone]" in text and "[email]" in text and "[name]" in text


@pytest.mark.parametrize("raw, hidden", [
    ("card 4929123456789012 please", "4929123456789012"),
    ("card 4929-1234-5678-9012 please", "4929-1234-5678-9012"),
    ("A/C 12345678 frozen", "12345678"),
    ("ring 020 7946 0018 today", "7946 0018"),
    ("email J.O'Neil+cx@sub.example.co.uk now", "example.co.uk"),
    ("staff member priya was great", "priya"),
])
def test_masking_tricky_cases(raw, hidden):
    assert hidden not in mask_personal_data(raw, ["Priya"])


@pytest.mark.parametrize("raw", ["waited 45 minutes", "in 2026 it got better", "branch 12 on level 3",
                                  "scored 9 out of 10", "the 3rd time this year"])
def test_masking_leaves_ordinary_numbers(raw):
    assert mask_personal_data(raw) == raw


def test_chinese_comments_use_the_chinese_model_and_chinese_keywords():
    comments = pd.DataFrame({"row": [2, 3, 4, 5],
                             "text": ["排队太久了，非常失望", "服务很好，员工很热情", "APP经常闪退，很烦", "The queue was awful"]})
    frame = {"Queue": {"en": ["queue"], "zh": ["排队"]}, "Staff": {"zh": ["员工"]}, "App": {"zh": ["app", "闪退"]}}
    result = analyse_comments(comments, frame, per_theme=1)
    themes = {t.theme: t for t in result.themes}
    assert themes["Queue"].count == 2 and themes["Queue"].negative == 2
    assert themes["Staff"].count == 1 and themes["Staff"].positive == 1
    assert themes["App"].count == 1 and themes["App"].negative == 1
    assert result.uncoded == 0
    assert result.analysers == {"VADER": 1, "Bayes-zh": 3}
