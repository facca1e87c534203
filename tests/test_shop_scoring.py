"""Mystery-shop scoring, METHODS.md §5, one hand-worked example per rule.

Every programme here is a small programme.yaml (plus locations.csv) written into tmp_path
and loaded with the real loader; visits are scored with ``score_visits`` (one answer
column per item id) and aggregated with ``analyse``. Expected values are worked out by
hand in the comments.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from shop_helpers import analyse_visits, load, multi, numeric, scale, score, section, yes_no

from cxreport.shop.scoring import AnswerError, band_of, parse_answer


@pytest.fixture
def prog_of(tmp_path):
    """prog_of(sections, **programme options) → a loaded programme in its own folder."""
    counter = itertools.count()

    def make(sections, **kwargs):
        return load(tmp_path / f"p{next(counter)}", sections, **kwargs)
    return make


def col(scores, item_id):
    return scores.item_ids.index(item_id)


# --------------------------------------------------------------------------- items


def test_yes_no_scores_one_of_one(prog_of):
    prog = prog_of([section("s", [yes_no("Q1"), yes_no("Q2")])])
    s = score(prog, [{"Q1": "yes", "Q2": "no"}])
    assert s.earned[0].tolist() == [1.0, 0.0]
    assert s.possible[0].tolist() == [1.0, 1.0]
    assert s.score[0] == pytest.approx(50.0)          # 1 / 2
    assert s.failed[0].tolist() == [False, True]


@pytest.mark.parametrize("text, earned", [("yes", 1), ("Y", 1), ("true", 1), ("1", 1),
                                          ("no", 0), ("N", 0), ("FALSE", 0), ("0", 0)])
def test_yes_no_spellings(prog_of, text, earned):
    prog = prog_of([section("s", [yes_no("Q1")])])
    points = parse_answer(prog.questionnaire.item("Q1"), text)
    assert (points.earned, points.possible) == (earned, 1)


def test_yes_no_with_points(prog_of):
    prog = prog_of([section("s", [yes_no("Q1", points=2), yes_no("Q2")])])
    s = score(prog, [{"Q1": "yes", "Q2": "no"}])
    # 2 of 2 + 0 of 1 = 2 / 3
    assert s.possible[0].tolist() == [2.0, 1.0]
    assert s.score[0] == pytest.approx(200 / 3)


def test_scale_scores_option_points_out_of_best_option(prog_of):
    # The best option is not the first one listed: possible = 4 (the best), not 0 or the sum.
    prog = prog_of([section("s", [scale("Q1", [("Poor", 0), ("Excellent", 4), ("Fair", 2)])])])
    s = score(prog, [{"Q1": "Fair"}, {"Q1": "excellent"}, {"Q1": "Poor"}])
    assert s.earned[:, 0].tolist() == [2.0, 4.0, 0.0]
    assert s.possible[:, 0].tolist() == [4.0, 4.0, 4.0]
    assert s.score.tolist() == pytest.approx([50.0, 100.0, 0.0])


def test_scale_option_by_id(prog_of):
    prog = prog_of([section("s", [{"id": "Q1", "text": "?", "type": "scale",
                                    "options": [{"id": "t", "label": "Thoroughly", "points": 3},
                                                {"id": "p", "label": "Partly", "points": 1},
                                                {"id": "n", "label": "Not at all", "points": 0}]}])])
    s = score(prog, [{"Q1": "P"}])
    assert (s.earned[0, 0], s.possible[0, 0]) == (1.0, 3.0)


def test_multi_check_sum_of_ticked_out_of_sum_of_all(prog_of):
    prog = prog_of([section("s", [multi("Q1", [("a", "Alpha", 1), ("b", "Bravo", 2), ("c", "Charlie", 3)])])])
    s = score(prog, [{"Q1": "a;c"}, {"Q1": "Alpha; Charlie"}, {"Q1": "a;b;c"}, {"Q1": "none"}, {"Q1": "b"}])
    # possible = 1 + 2 + 3 = 6; a;c = 1 + 3 = 4
    assert s.possible[:, 0].tolist() == [6.0] * 5
    assert s.earned[:, 0].tolist() == [4.0, 4.0, 6.0, 0.0, 2.0]
    assert s.score.tolist() == pytest.approx([400 / 6, 400 / 6, 100.0, 0.0, 200 / 6])
    # 'none' is an answer (nothing ticked): it scores 0 of 6, it is not "unanswered".
    assert s.failed[3, 0]


def test_multi_check_option_ticked_twice_is_invalid(prog_of):
    prog = prog_of([section("s", [multi("Q1", [("a", "Alpha", 1), ("b", "Bravo", 1)])])])
    with pytest.raises(AnswerError, match="twice"):
        parse_answer(prog.questionnaire.item("Q1"), "a;Alpha")


# --------------------------------------------------------------------------- N/A, unanswered, channel


def test_na_leaves_numerator_and_denominator_methods_example(prog_of):
    # METHODS §5: three 1-point items, one N/A, two Yes → 2/2 = 100 %.
    prog = prog_of([section("s", [yes_no("Q1"), yes_no("Q2"), yes_no("Q3", na_allowed=True)])])
    s = score(prog, [{"Q1": "yes", "Q2": "yes", "Q3": "N/A"}])
    assert s.earned[0].sum() == 2 and s.possible[0].sum() == 2
    assert s.score[0] == pytest.approx(100.0)
    assert s.na[0].tolist() == [False, False, True]
    assert not s.scored[0, 2]


@pytest.mark.parametrize("word", ["N/A", "na", "n/a", "Not applicable"])
def test_na_spellings(prog_of, word):
    prog = prog_of([section("s", [yes_no("Q1"), yes_no("Q2", na_allowed=True)])])
    s = score(prog, [{"Q1": "no", "Q2": word}])
    assert s.possible[0].sum() == 1 and s.score[0] == 0.0


def test_na_only_where_allowed(prog_of):
    prog = prog_of([section("s", [yes_no("Q1")])])
    with pytest.raises(AnswerError, match="N/A"):
        parse_answer(prog.questionnaire.item("Q1"), "N/A")


def test_unanswered_optional_item_scores_nothing(prog_of):
    prog = prog_of([section("s", [yes_no("Q1"), yes_no("Q2"), yes_no("Q3", required=False)])])
    s = score(prog, [{"Q1": "yes", "Q2": "no", "Q3": ""}])
    # 1 / 2, not 1 / 3
    assert s.possible[0].tolist() == [1.0, 1.0, 0.0]
    assert s.score[0] == pytest.approx(50.0)


def test_item_not_applying_to_channel_scores_nothing(prog_of):
    prog = prog_of([section("s", [yes_no("Q1"), yes_no("Q2"), yes_no("P1", channels=["phone"])])])
    rows = [{"Q1": "yes", "Q2": "yes", "P1": "no"}] * 2
    s = score(prog, rows, channels=["branch", "Phone"])
    # branch: P1 is not asked → 2 / 2; phone: 2 / 3
    assert s.possible[0, 2] == 0 and s.earned[0, 2] == 0
    assert s.score[0] == pytest.approx(100.0)
    assert s.score[1] == pytest.approx(200 / 3)
    assert not s.failed[0, 2] and s.failed[1, 2]


def test_text_items_are_not_scored(prog_of):
    prog = prog_of([section("s", [yes_no("Q1"), {"id": "T1", "text": "Hours?", "type": "text", "required": False}])])
    s = score(prog, [{"Q1": "no", "T1": "9:00-12:00"}])
    assert s.possible[0].tolist() == [1.0, 0.0]
    assert not s.scored[0, 1] and not s.failed[0, 1]


# --------------------------------------------------------------------------- bonus


def test_bonus_adds_to_earned_only(prog_of):
    prog = prog_of([section("s", [yes_no("Q1"), yes_no("Q2"), yes_no("B1", bonus=True, required=False)])])
    s = score(prog, [{"Q1": "yes", "Q2": "no", "B1": "yes"},
                     {"Q1": "yes", "Q2": "no", "B1": "no"}])
    # (1 + 0 + 1) / (1 + 1) = 100 %; without the bonus 1 / 2 = 50 %
    assert s.possible[:, 2].tolist() == [0.0, 0.0]
    assert s.earned[:, 2].tolist() == [1.0, 0.0]
    assert s.score.tolist() == pytest.approx([100.0, 50.0])


def test_bonus_score_capped_at_100(prog_of):
    prog = prog_of([section("s", [yes_no("Q1"), yes_no("B1", bonus=True, points=2, required=False)])])
    s = score(prog, [{"Q1": "yes", "B1": "yes"}])
    # (1 + 2) / 1 = 300 % before the cap
    assert s.raw_score[0] == pytest.approx(300.0)
    assert s.score[0] == pytest.approx(100.0)
    assert s.section_score[0, 0] == pytest.approx(100.0)
    assert s.band[0] == "Excellent"


def test_bonus_no_is_not_a_failure(prog_of):
    prog = prog_of([section("s", [yes_no("Q1"), yes_no("B1", bonus=True, required=False)])])
    s = score(prog, [{"Q1": "yes", "B1": "no"}])
    j = col(s, "B1")
    assert not s.failed[0, j]
    assert s.scored[0, j]          # it was asked and answered: it counts in the item's pass rate
    assert parse_answer(prog.questionnaire.item("B1"), "no").failed is False
    assert s.score[0] == pytest.approx(100.0) and s.status(0) == "pass"


# --------------------------------------------------------------------------- sections and methods


def test_section_with_no_possible_points_drops_out_pooled(prog_of):
    prog = prog_of([section("s1", [yes_no("Q1"), yes_no("Q2")]),
                    section("s2", [yes_no("Q3", na_allowed=True), yes_no("Q4", na_allowed=True)])])
    s = score(prog, [{"Q1": "yes", "Q2": "no", "Q3": "N/A", "Q4": "n/a"}])
    assert s.section_possible[0].tolist() == [2.0, 0.0]
    assert s.section_score[0, 0] == pytest.approx(50.0)
    assert math.isnan(s.section_score[0, 1])
    assert s.score[0] == pytest.approx(50.0)


def test_section_weighted_methods_example(prog_of):
    # METHODS §5: weights 4, 9, 5; section scores 100 %, 80 %, 100 % → (4 + 7.2 + 5) / 18 = 90.00 %.
    sections = [section("s1", [yes_no("A1")], weight=4),
                section("s2", [yes_no(f"B{k}") for k in range(5)], weight=9),
                section("s3", [yes_no("C1"), yes_no("C2")], weight=5)]
    answers = {"A1": "yes", "B0": "yes", "B1": "yes", "B2": "yes", "B3": "yes", "B4": "no", "C1": "yes", "C2": "yes"}
    weighted = prog_of(sections, scoring={"method": "section_weighted"})
    s = score(weighted, [answers])
    assert s.section_score[0].tolist() == pytest.approx([100.0, 80.0, 100.0])
    assert s.score[0] == pytest.approx(90.0)
    assert f"{s.score[0]:.2f}" == "90.00"
    assert s.band[0] == "Excellent"
    # The same answers pooled: 7 / 8 = 87.5 %.
    pooled = prog_of(sections)
    assert score(pooled, [answers]).score[0] == pytest.approx(87.5)


def test_section_weighted_empty_section_weight_removed(prog_of):
    sections = [section("s1", [yes_no("A1")], weight=4),
                section("s2", [yes_no(f"B{k}") for k in range(5)], weight=9),
                section("s3", [yes_no("C1")], weight=5),
                section("s4", [yes_no("D1", na_allowed=True)], weight=10)]
    prog = prog_of(sections, scoring={"method": "section_weighted"})
    answers = {"A1": "yes", "B0": "yes", "B1": "yes", "B2": "yes", "B3": "yes", "B4": "no", "C1": "yes", "D1": "N/A"}
    s = score(prog, [answers])
    assert math.isnan(s.section_score[0, 3])
    # s4 (weight 10) has no score: still (4·1 + 9·0.8 + 5·1) / 18 = 90 %, not 16.2 / 28 = 57.9 %
    assert s.score[0] == pytest.approx(90.0)


def test_section_weighted_needs_weights(tmp_path):
    from cxreport.errors import ConfigError

    with pytest.raises(ConfigError, match="weight"):
        load(tmp_path, [section("s1", [yes_no("A1")], weight=1), section("s2", [yes_no("B1")])],
             scoring={"method": "section_weighted"})


def test_visit_with_nothing_possible_has_no_score(prog_of):
    prog = prog_of([section("s", [yes_no("Q1", na_allowed=True)])])
    s = score(prog, [{"Q1": "N/A"}])
    assert math.isnan(s.score[0]) and s.band[0] is None and not s.passed[0]


# --------------------------------------------------------------------------- critical items


def ten_items(**critical_item):
    return [section("s", [yes_no("K1", **critical_item)] + [yes_no(f"Q{k}") for k in range(1, 10)])]


def test_critical_cap_caps_score_and_status_by_pass_mark(prog_of):
    prog = prog_of(ten_items(critical={"action": "cap", "cap": 50}))
    s = score(prog, [{"K1": "no", **{f"Q{k}": "yes" for k in range(1, 10)}}])
    # raw 9 / 10 = 90 %, capped at 50 % → below the 80 % pass mark: a plain fail
    assert s.raw_score[0] == pytest.approx(90.0)
    assert s.score[0] == pytest.approx(50.0)
    assert s.critical_capped[0] and not s.critical_fail[0]
    assert s.critical_items[0] == ["K1"]
    assert s.status(0) == "fail"
    assert s.band[0] == "Poor"


def test_critical_cap_above_pass_mark_still_passes(prog_of):
    prog = prog_of(ten_items(critical={"action": "cap", "cap": 85}))
    s = score(prog, [{"K1": "no", **{f"Q{k}": "yes" for k in range(1, 10)}}])
    # min(90, 85) = 85 ≥ 80: the status is decided by the pass mark, so "pass"
    assert s.score[0] == pytest.approx(85.0)
    assert s.status(0) == "pass" and s.passed[0]


def test_critical_cap_does_not_raise_a_lower_score(prog_of):
    prog = prog_of(ten_items(critical={"action": "cap", "cap": 50}))
    s = score(prog, [{"K1": "no", **{f"Q{k}": ("yes" if k <= 3 else "no") for k in range(1, 10)}}])
    # 3 / 10 = 30 % < cap 50 %: min(30, 50) = 30
    assert s.score[0] == pytest.approx(30.0)
    assert not s.critical_capped[0]


def test_critical_cap_not_triggered_by_pass_or_na(prog_of):
    prog = prog_of(ten_items(critical={"action": "cap", "cap": 50}, na_allowed=True))
    s = score(prog, [{"K1": "N/A", **{f"Q{k}": "yes" for k in range(1, 10)}},
                     {"K1": "yes", **{f"Q{k}": "yes" for k in range(1, 10)}}])
    assert s.score.tolist() == pytest.approx([100.0, 100.0])
    assert s.critical_items == [[], []]


def test_critical_fail_reports_score_with_failed_status(prog_of):
    prog = prog_of(ten_items(critical={"action": "fail"}))
    s = score(prog, [{"K1": "no", **{f"Q{k}": "yes" for k in range(1, 10)}}])
    # the score is still reported (9 / 10 = 90 %) but the visit fails outright
    assert s.score[0] == pytest.approx(90.0)
    assert s.critical_fail[0] and not s.passed[0]
    assert s.status(0) == "failed — critical"


# --------------------------------------------------------------------------- numeric items


def test_numeric_threshold_at_most(prog_of):
    prog = prog_of([section("s", [numeric("T1", threshold=20, unit="seconds")])])
    s = score(prog, [{"T1": "14"}, {"T1": "20"}, {"T1": "20.5"}, {"T1": "0"}])
    assert s.earned[:, 0].tolist() == [1.0, 1.0, 0.0, 1.0]
    assert s.possible[:, 0].tolist() == [1.0] * 4


def test_numeric_threshold_at_least(prog_of):
    prog = prog_of([section("s", [numeric("T1", threshold=4, direction="at_least", points=2)])])
    s = score(prog, [{"T1": "5"}, {"T1": "4"}, {"T1": "3.9"}])
    assert s.earned[:, 0].tolist() == [2.0, 2.0, 0.0]
    assert s.possible[:, 0].tolist() == [2.0] * 3


def test_numeric_against_service_standard(prog_of):
    standards = {"response_times": {
        "phone_answer": {"channel": "phone", "max": 20, "unit": "seconds"},
        "email_reply": {"channel": "email", "max": 24, "unit": "hours"},
        "social_reply": {"channel": "social", "max": 1, "unit": "hours"}}}
    prog = prog_of([section("s", [numeric("A2", standard="phone_answer", points=2),
                                  numeric("A3", standard="email_reply"),
                                  numeric("A7", standard="social_reply")])], standards=standards)
    assert prog.threshold(prog.questionnaire.item("A2")) == (20, "at_most")
    s = score(prog, [{"A2": "20", "A3": "24", "A7": "1"}, {"A2": "35", "A3": "30", "A7": "1.5"}])
    # phone within 20 s, e-mail within 24 h, social media within 1 h
    assert s.earned[0].tolist() == [2.0, 1.0, 1.0]
    assert s.earned[1].tolist() == [0.0, 0.0, 0.0]
    assert s.possible[1].tolist() == [2.0, 1.0, 1.0]
    assert s.failed[1].tolist() == [True, True, True]


def test_numeric_unknown_standard_is_a_programme_error(tmp_path):
    from cxreport.errors import ConfigError

    with pytest.raises(ConfigError, match="phone_answr"):
        load(tmp_path, [section("s", [numeric("A2", standard="phone_answr")])],
             standards={"response_times": {"phone_answer": {"channel": "phone", "max": 20, "unit": "seconds"}}})


@pytest.mark.parametrize("text", ["fast", "-3", "nan", "inf", "35 s"])
def test_numeric_invalid_answers(prog_of, text):
    prog = prog_of([section("s", [numeric("T1", threshold=20)])])
    with pytest.raises(AnswerError):
        parse_answer(prog.questionnaire.item("T1"), text)


# --------------------------------------------------------------------------- pass mark, bands, tiers


def n_of_ten(n: int) -> dict:
    return {f"Q{k}": ("yes" if k < n else "no") for k in range(10)}


def ten_plain():
    return [section("s", [yes_no(f"Q{k}") for k in range(10)])]


def test_pass_mark_default_80(prog_of):
    prog = prog_of(ten_plain())
    assert prog.scoring.pass_mark == 80
    s = score(prog, [n_of_ten(8), n_of_ten(7)])
    assert s.score.tolist() == pytest.approx([80.0, 70.0])
    assert s.passed.tolist() == [True, False]
    assert [s.status(0), s.status(1)] == ["pass", "fail"]


def test_pass_mark_configurable(prog_of):
    prog = prog_of(ten_plain(), scoring={"pass_mark": 70})
    s = score(prog, [n_of_ten(7), n_of_ten(6)])
    assert s.passed.tolist() == [True, False]


def test_default_bands_and_boundaries(prog_of):
    prog = prog_of(ten_plain())
    s = score(prog, [n_of_ten(10), n_of_ten(9), n_of_ten(8), n_of_ten(7), n_of_ten(6)])
    assert s.score.tolist() == pytest.approx([100, 90, 80, 70, 60])
    assert s.band == ["Excellent", "Excellent", "Good", "Fair", "Poor"]
    assert band_of(prog, 89.9) == "Good"
    assert band_of(prog, 79.99) == "Fair"
    assert band_of(prog, 69.9) == "Poor"
    assert band_of(prog, 0.0) == "Poor"


def test_bands_boundary_reached_with_fractional_points(prog_of):
    # Points need not be whole: items worth 0.1, 0.2 and 0.7 points. Earning the 0.2 and 0.7
    # is 0.9 of 1.0 points = exactly 90 %: "≥ 90 Excellent", and it reaches a 90 % pass mark.
    prog = prog_of([section("s", [yes_no("Q1", points=0.1), yes_no("Q2", points=0.2), yes_no("Q3", points=0.7)])],
                   scoring={"pass_mark": 90})
    s = score(prog, [{"Q1": "no", "Q2": "yes", "Q3": "yes"}])
    assert f"{s.score[0]:.1f}" == "90.0"          # what every report prints
    assert s.band[0] == "Excellent"
    assert s.passed[0]


def test_custom_bands_any_order(prog_of):
    bands = [{"name": "Low", "min": 0}, {"name": "Top", "min": 95}, {"name": "Mid", "min": 60}]
    prog = prog_of(ten_plain(), scoring={"bands": bands})
    assert [b.name for b in prog.scoring.bands] == ["Top", "Mid", "Low"]
    s = score(prog, [n_of_ten(10), n_of_ten(9), n_of_ten(6), n_of_ten(5)])
    assert s.band == ["Top", "Mid", "Mid", "Low"]


def test_bands_must_start_at_zero(tmp_path):
    from cxreport.errors import ConfigError

    with pytest.raises(ConfigError, match="lowest band"):
        load(tmp_path, ten_plain(), scoring={"bands": [{"name": "A", "min": 50}, {"name": "B", "min": 80}]})


def test_tiers_highest_met(prog_of):
    prog = prog_of([section("s", [yes_no(f"Q{k}") for k in range(20)])])
    tiers = prog.service_standards.tiers
    assert (tiers.basic, tiers.differentiated, tiers.excellent) == (70, 85, 95)

    def ans(n):
        return {f"Q{k}": ("yes" if k < n else "no") for k in range(20)}
    s = score(prog, [ans(20), ans(19), ans(18), ans(17), ans(14), ans(13)])
    # 100, 95, 90, 85, 70, 65 %
    assert s.score.tolist() == pytest.approx([100, 95, 90, 85, 70, 65])
    assert s.tier == ["excellent", "excellent", "differentiated", "differentiated", "basic", None]


def test_tiers_configurable(prog_of):
    prog = prog_of(ten_plain(), standards={"tiers": {"basic": 50, "differentiated": 60, "excellent": 90}})
    s = score(prog, [n_of_ten(9), n_of_ten(6), n_of_ten(5), n_of_ten(4)])
    assert s.tier == ["excellent", "differentiated", "basic", None]


def test_pass_points_on_scale(prog_of):
    opts = [("Thoroughly", 3), ("Partly", 1), ("Not at all", 0)]
    prog = prog_of([section("s", [scale("N1", opts), scale("N2", opts, pass_points=1)])])
    s = score(prog, [{"N1": "Partly", "N2": "Partly"}, {"N1": "Thoroughly", "N2": "Not at all"}])
    # Partly earns 1 of 3 either way; it fails N1 (pass at all 3 points) but passes N2 (pass at 1).
    assert s.earned[0].tolist() == [1.0, 1.0]
    assert s.failed[0].tolist() == [True, False]
    assert s.failed[1].tolist() == [False, True]


def test_pass_points_on_multi_check(prog_of):
    prog = prog_of([section("s", [multi("M1", [("a", "A", 1), ("b", "B", 1), ("c", "C", 1), ("d", "D", 1)],
                                        pass_points=3)])])
    s = score(prog, [{"M1": "a;b;c"}, {"M1": "a;b"}])
    assert s.failed[:, 0].tolist() == [False, True]


def test_critical_with_pass_points_only_fails_below_them(prog_of):
    opts = [("Thoroughly", 3), ("Partly", 1), ("Not at all", 0)]
    prog = prog_of([section("s", [scale("N1", opts, pass_points=1, critical={"action": "fail"}),
                                  yes_no("Q1")])])
    s = score(prog, [{"N1": "Partly", "Q1": "yes"}, {"N1": "Not at all", "Q1": "yes"}])
    assert s.status(0) == "fail"          # (1 + 1) / 4 = 50 %, but no critical failure
    assert s.status(1) == "failed — critical"


# --------------------------------------------------------------------------- aggregates (analyse)

AGG_STANDARDS = {"response_times": {"phone_answer": {"channel": "phone", "max": 20, "unit": "seconds",
                                                     "label": "Phone within 20 s"}}}


def agg_programme(prog_of):
    return prog_of([section("s", [yes_no("Q1"), yes_no("Q2"), yes_no("Q3", na_allowed=True),
                                  yes_no("Q4"),
                                  numeric("P1", standard="phone_answer", channels=["phone"])])],
                   standards=AGG_STANDARDS)


def v(loc, wave, answers, channel="branch", day="10"):
    month = {"W1": "01", "W2": "02", "W3": "03"}[wave]
    return {"location_id": loc, "wave": wave, "channel": channel, "answers": answers,
            "visit_date": f"2026-{month}-{day}"}


ALL_YES = {"Q1": "yes", "Q2": "yes", "Q3": "yes", "Q4": "yes"}            # 100 %
HALF = {"Q1": "yes", "Q2": "yes", "Q3": "no", "Q4": "no"}                 # 50 %
THREE_Q = {"Q1": "yes", "Q2": "yes", "Q3": "yes", "Q4": "no"}             # 75 %
NA_Q3 = {"Q1": "yes", "Q2": "yes", "Q3": "N/A", "Q4": "no"}               # 2 / 3


def test_location_score_is_mean_of_visits_and_pass_rate(prog_of):
    prog = agg_programme(prog_of)
    res = analyse_visits(prog, [v("L1", "W1", ALL_YES), v("L1", "W1", HALF), v("L1", "W1", THREE_Q),
                                v("L3", "W1", ALL_YES)])
    lw = res.location_waves.set_index(["location_id", "wave"])
    # L1: (100 + 50 + 75) / 3 = 75; one visit of three passes
    assert lw.loc[("L1", "W1"), "score"] == pytest.approx(75.0)
    assert lw.loc[("L1", "W1"), "visits"] == 3
    assert lw.loc[("L1", "W1"), "pass_rate"] == pytest.approx(100 / 3)
    assert bool(lw.loc[("L1", "W1"), "failed"])
    assert lw.loc[("L3", "W1"), "score"] == pytest.approx(100.0)
    assert lw.loc[("L3", "W1"), "pass_rate"] == pytest.approx(100.0)


def test_region_channel_programme_means(prog_of):
    prog = agg_programme(prog_of)
    visits = [v("L1", "W1", ALL_YES), v("L1", "W1", HALF),                     # North branch: 100, 50
              v("L2", "W1", {**THREE_Q, "P1": "10"}, channel="phone"),       # North phone: 4/5 = 80
              v("L3", "W1", THREE_Q)]                                          # South branch: 75
    res = analyse_visits(prog, visits)
    region = res.groups["region"].set_index(["region", "wave"])
    assert region.loc[("North", "W1"), "score"] == pytest.approx((100 + 50 + 80) / 3)
    assert region.loc[("North", "W1"), "visits"] == 3
    assert region.loc[("North", "W1"), "pass_rate"] == pytest.approx(200 / 3)
    assert region.loc[("South", "W1"), "score"] == pytest.approx(75.0)
    channel = res.groups["channel"].set_index(["channel", "wave"])
    assert channel.loc[("branch", "W1"), "score"] == pytest.approx((100 + 50 + 75) / 3)
    assert channel.loc[("phone", "W1"), "score"] == pytest.approx(80.0)
    programme = res.groups["programme"].set_index("wave")
    # the programme mean is over visits, not over locations: (100 + 50 + 80 + 75) / 4
    assert programme.loc["W1", "score"] == pytest.approx(76.25)
    assert programme.loc["W1", "pass_rate"] == pytest.approx(50.0)
    assert programme.loc["W1", "visits"] == 4


def test_change_against_previous_wave(prog_of):
    prog = agg_programme(prog_of)
    res = analyse_visits(prog, [v("L1", "W1", HALF), v("L1", "W1", ALL_YES), v("L1", "W2", ALL_YES),
                                v("L3", "W1", ALL_YES), v("L3", "W2", THREE_Q)])
    lw = res.location_waves.set_index(["location_id", "wave"])
    assert math.isnan(lw.loc[("L1", "W1"), "change"])
    assert lw.loc[("L1", "W2"), "change"] == pytest.approx(25.0)      # 100 − 75
    assert lw.loc[("L3", "W2"), "change"] == pytest.approx(-25.0)     # 75 − 100
    assert lw.loc[("L1", "W2"), "previous_score"] == pytest.approx(75.0)
    programme = res.groups["programme"].set_index("wave")
    # W1: (50 + 100 + 100) / 3; W2: (100 + 75) / 2
    assert programme.loc["W2", "change"] == pytest.approx(87.5 - 250 / 3)


def test_consecutive_failure_flag(prog_of):
    prog = agg_programme(prog_of)
    res = analyse_visits(prog, [
        v("L1", "W1", HALF), v("L1", "W2", HALF), v("L1", "W3", ALL_YES),     # fails W1 and W2
        v("L3", "W1", HALF), v("L3", "W2", ALL_YES), v("L3", "W3", HALF),     # fails W1 and W3 only
    ])
    lw = res.location_waves.set_index(["location_id", "wave"])
    assert not lw.loc[("L1", "W1"), "consecutive_fail"]
    assert lw.loc[("L1", "W2"), "consecutive_fail"]
    assert not lw.loc[("L1", "W3"), "consecutive_fail"]
    assert not lw.loc[("L3", "W1"), "consecutive_fail"]
    assert not lw.loc[("L3", "W2"), "consecutive_fail"]
    assert not lw.loc[("L3", "W3"), "consecutive_fail"]


def test_consecutive_failure_flag_needs_consecutive_waves_even_when_a_wave_has_no_visits(prog_of):
    # L1 fails W1 and W3. W2 is a wave of the programme but has no visits at all (its
    # scoresheets are not in yet). W1 and W3 are not consecutive waves, so no flag — the
    # same answer as when other locations were visited in W2 (previous test).
    prog = agg_programme(prog_of)
    res = analyse_visits(prog, [v("L1", "W1", HALF), v("L1", "W3", HALF),
                                v("L3", "W1", ALL_YES), v("L3", "W3", ALL_YES)])
    lw = res.location_waves.set_index(["location_id", "wave"])
    assert not lw.loc[("L1", "W3"), "consecutive_fail"]
    # …and W3 has no "previous wave" result to change from (W2 has none).
    assert math.isnan(lw.loc[("L1", "W3"), "change"])


def test_location_not_visited_in_previous_wave_is_not_flagged(prog_of):
    prog = agg_programme(prog_of)
    res = analyse_visits(prog, [v("L1", "W1", HALF), v("L3", "W2", ALL_YES), v("L1", "W3", HALF)])
    lw = res.location_waves.set_index(["location_id", "wave"])
    assert not lw.loc[("L1", "W3"), "consecutive_fail"]


def test_bands_distribution_sums_to_visits(prog_of):
    prog = agg_programme(prog_of)
    visits = [v("L1", "W1", ALL_YES), v("L1", "W1", HALF), v("L3", "W1", THREE_Q), v("L3", "W1", NA_Q3),
              v("L1", "W2", HALF)]
    res = analyse_visits(prog, visits)
    bands = res.bands
    w1 = bands[bands["wave"] == "W1"].set_index("band")
    # 100 → Excellent; 50 → Poor; 75 → Fair; 66.7 → Poor
    assert w1["visits"].to_dict() == {"Excellent": 1, "Good": 0, "Fair": 1, "Poor": 2}
    assert w1["visits"].sum() == 4
    assert w1["pct"].sum() == pytest.approx(100.0)
    w2 = bands[bands["wave"] == "W2"]
    assert w2["visits"].sum() == 1


def test_item_pass_rates_exclude_na_and_not_applicable(prog_of):
    prog = agg_programme(prog_of)
    visits = [v("L1", "W1", {**ALL_YES}),                                  # Q3 yes
              v("L1", "W1", {**NA_Q3}),                                    # Q3 N/A
              v("L3", "W1", {**HALF}),                                     # Q3 no
              v("L2", "W1", {**ALL_YES, "P1": "25"}, channel="phone"),     # P1 fails (25 > 20)
              v("L2", "W1", {**ALL_YES, "P1": "12"}, channel="phone")]     # P1 passes
    res = analyse_visits(prog, visits)
    items = res.items[res.items["wave"] == "W1"].set_index("item")
    # Q3: the N/A visit is left out → 4 visits, 1 fail (the HALF one) → 75 %
    assert items.loc["Q3", "n"] == 4
    assert items.loc["Q3", "failed"] == 1
    assert items.loc["Q3", "pass_rate"] == pytest.approx(75.0)
    # P1 applies only to phone visits → 2 visits, 1 fail → 50 %
    assert items.loc["P1", "n"] == 2
    assert items.loc["P1", "pass_rate"] == pytest.approx(50.0)
    # Q4 is answered on every visit: fails on NA_Q3 and HALF → 3 of 5
    assert items.loc["Q4", "n"] == 5 and items.loc["Q4", "pass_rate"] == pytest.approx(60.0)


def test_response_time_compliance_counts(prog_of):
    prog = agg_programme(prog_of)
    visits = [v("L2", "W1", {**ALL_YES, "P1": x}, channel="phone") for x in ("5", "20", "21", "60")]
    visits += [v("L2", "W2", {**ALL_YES, "P1": "8"}, channel="phone"), v("L1", "W2", ALL_YES)]
    res = analyse_visits(prog, visits)
    rt = res.response_times.set_index("wave")
    assert rt.loc["W1", "standard"] == "phone_answer"
    assert rt.loc["W1", "label"] == "Phone within 20 s"
    # W1: 5 and 20 meet "within 20 s"; 21 and 60 do not
    assert (rt.loc["W1", "n"], rt.loc["W1", "met"]) == (4, 2)
    assert rt.loc["W1", "pct_met"] == pytest.approx(50.0)
    assert rt.loc["W1", "median"] == pytest.approx(20.5)
    # W2: the branch visit has no phone time and is not counted
    assert (rt.loc["W2", "n"], rt.loc["W2", "met"]) == (1, 1)
    assert (rt.loc["all", "n"], rt.loc["all", "met"]) == (5, 3)


def test_critical_failures_counted_and_fail_pass_rate(prog_of):
    prog = prog_of([section("s", [yes_no("K1", critical={"action": "fail"}), yes_no("Q1")])])
    res = analyse_visits(prog, [v("L1", "W1", {"K1": "no", "Q1": "yes"}),
                                v("L1", "W1", {"K1": "yes", "Q1": "yes"})])
    lw = res.location_waves.set_index(["location_id", "wave"])
    assert lw.loc[("L1", "W1"), "critical"] == 1
    assert lw.loc[("L1", "W1"), "pass_rate"] == pytest.approx(50.0)
    assert res.groups["programme"].set_index("wave").loc["W1", "critical"] == 1
    assert list(res.visits["status"]) == ["failed — critical", "pass"]
    assert np.isclose(res.visits["score"].iloc[0], 50.0)
