"""Priority matrix: impact = importance × gap, gap measured the same way for every driver."""

import pytest

from cxreport.scoring.keydrivers import DriverAnalysis, DriverRow
from cxreport.scoring.priorities import build_priorities


def analysis():
    rows = [DriverRow("Wait", 40.0, 0.2, 50.0, 3.0, ""), DriverRow("Staff", 35.0, 0.17, 80.0, 4.2, ""),
            DriverRow("Fees", 25.0, 0.13, 60.0, 3.4, "")]
    return DriverAnalysis("Total", "NPS", 500, 480.0, 0.5, "relative weights", rows)


def test_impact_is_importance_times_gap_to_the_top_without_targets():
    ranked = build_priorities(analysis(), {}, {"Wait": (1, 5), "Staff": (1, 5), "Fees": (1, 5)}, {}, {})
    by_name = {p.name: p for p in ranked}
    assert by_name["Wait"].gap == pytest.approx(50) and by_name["Wait"].impact == pytest.approx(40 * 50 / 100)
    assert by_name["Staff"].impact == pytest.approx(35 * 20 / 100)
    assert [p.name for p in ranked] == ["Wait", "Fees", "Staff"]
    assert all(p.gap_to == "top of the scale" for p in ranked)


def test_targets_used_only_when_every_driver_has_one():
    scales = {"Wait": (1, 5), "Staff": (1, 5), "Fees": (1, 5)}
    partial = build_priorities(analysis(), {"Wait": 4.0}, scales, {}, {})
    assert all(p.gap_to == "top of the scale" for p in partial)
    full = build_priorities(analysis(), {"Wait": 4.0, "Staff": 4.0, "Fees": 4.0}, scales, {}, {})
    wait = next(p for p in full if p.name == "Wait")
    assert wait.gap_to == "target" and wait.gap == pytest.approx(75 - 50)     # 4.0 on 1–5 is 75/100
    staff = next(p for p in full if p.name == "Staff")
    assert staff.gap == 0 and staff.impact == 0                              # already above target


def test_the_class_is_the_driver_quadrant_and_effort_does_not_rename_it():
    """One naming: a priority's class is its importance–performance quadrant (split at the
    means: importance 33.3, performance 63.3), whatever its effort rating."""
    scales = {"Wait": (1, 5), "Staff": (1, 5), "Fees": (1, 5)}
    expected = {"Wait": "Concentrate here", "Staff": "Keep up the good work", "Fees": "Low priority"}
    for effort in ({}, {"Wait": "low", "Staff": "high", "Fees": "medium"}, {"Wait": "high", "Staff": "low", "Fees": "low"}):
        ranked = build_priorities(analysis(), {}, scales, effort, {})
        assert {p.name: p.quadrant for p in ranked} == expected, effort
        assert {p.name: p.effort for p in ranked} == {n: effort.get(n) for n in expected}
    # Where the driver analysis named a quadrant, the priority takes that very name.
    named = analysis()
    named.rows[2].quadrant = "Possible overkill"
    ranked = build_priorities(named, {}, scales, {}, {})
    assert next(p for p in ranked if p.name == "Fees").quadrant == "Possible overkill"