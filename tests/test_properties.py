"""Scoring invariants: intervals end at the ends of their scales.

Property-based tests of these invariants follow in this file.
"""

from __future__ import annotations

import pytest

from cxreport.scoring import kpis, stats
from cxreport.scoring.kpis import BaseRules, ItemSpec, score_item

RULES = BaseRules(suppress_below=0, flag_below=0)   # properties hold whatever the base


# --------------------------------------------------------------------------- cases the properties found


def test_nps_interval_ends_at_100():
    """29 promoters and a passive: Wald 96.7 ± 6.4 would reach 103.1 (docs/methods.md)."""
    r = kpis.nps([10] * 29 + [8], None, RULES)
    assert r.nps.value == pytest.approx(96.6667, abs=1e-4)
    assert r.nps.low == pytest.approx(96.6667 - stats.Z95 * r.nps.se, abs=1e-4)
    assert r.nps.high == 100.0 and r.nps_adjusted.high == 100.0
    two_detractors = kpis.nps([0, 0], None, RULES)
    assert two_detractors.nps_adjusted.low == -100.0      # adjusted Wald would give −104.4
    assert two_detractors.nps_adjusted.high == pytest.approx(24.41, abs=0.01)


def test_ces_index_interval_ends_at_100():
    r = score_item(ItemSpec.ces(headline="index"), [7] * 29 + [5], None, RULES)
    assert r.index.high == 100.0 and r.index.low < r.index.value < 100.0


def test_mean_interval_ends_at_the_scale():
    """29 answers of 5 and one 4 on 1–5: the t interval 4.90 to 5.04 ends at 5."""
    r = score_item(ItemSpec.rating("attr:x", "X", 1, 5), [5] * 29 + [4], None, RULES)
    assert r.mean.high == 5.0 and isinstance(r.mean.high, float)
    assert r.mean.low == pytest.approx(4.8985, abs=1e-4)


def test_a_weighted_group_of_detractors_scores_exactly_minus_100():
    r = kpis.nps([3, 0, 0, 2], [1, 0.6, 0.6, 126.1], RULES)
    assert r.nps.value == -100.0 and r.nps.low == r.nps.high == -100.0
    assert r.share_lo == 100.0


def test_weighted_figures_of_identical_answers_stay_on_the_scale():
    assert score_item(ItemSpec.ces(), [7, 7], [0.01, 0.01], RULES).mean.value == 7.0
    csat = score_item(ItemSpec.csat(), [1, 1], [1.5, 14.25], RULES).top2
    assert csat.value == 0.0 and csat.low == 0.0           # not 5.6e-15 above the figure
    assert stats.wilson(1.0, 3.7)[1] == 1.0
    assert kpis.nps([0], [41.28700975146371], RULES).distribution[0] == (0, 1, 100.0)
