"""Scoring from counted answers (cxreport.scoring.survey.SurveyTally): a survey's rows counted
batch by batch and added up give every figure, interval, test and mark that scoring them at
once gives, to 1e-9 (the groundwork of streamed scoring, issue 18)."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest

from cxreport.config import load_project
from cxreport.pipeline import validate_project
from cxreport.scoring.survey import score_survey, score_tally, tally_survey

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = [ROOT / "samples" / "harbour-bank" / "cxreport.yaml", ROOT / "samples" / "huayue-retail" / "cxreport.yaml"]


def rows_of(data, rows: np.ndarray):
    """``data``'s respondents at ``rows``, with the whole survey's groups and periods (a batch)."""
    return dataclasses.replace(
        data, values={k: v[rows] for k, v in data.values.items()}, weights=data.weights[rows],
        segments=[dataclasses.replace(s, codes=s.codes[rows]) for s in data.segments],
        period_codes=None if data.period_codes is None else data.period_codes[rows],
        multi=[dataclasses.replace(m, ticked=m.ticked[rows], answered=m.answered[rows]) for m in data.multi])


def same(a, b, where: str = "results") -> None:
    """``a`` and ``b`` equal, numbers to 1e-9 (relative, or absolute near 0), NaN with NaN."""
    if isinstance(a, float) or isinstance(b, float):
        if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
            return
        assert a == pytest.approx(b, rel=1e-9, abs=1e-9), where
        return
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        assert type(a) is type(b), where
        for f in dataclasses.fields(a):
            same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
        return
    if isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            same(a[k], b[k], f"{where}[{k!r}]")
        return
    if isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{where}[{i}]")
        return
    if isinstance(a, np.ndarray):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9, err_msg=where)
        return
    assert a == b, where


@pytest.fixture(scope="module", params=SAMPLES, ids=lambda p: p.parent.name)
def sample_data(request):
    project = load_project(request.param)
    _table, data = validate_project(project)
    return project, data


@pytest.mark.parametrize("cuts", ["even", "random", "one row first, an empty batch"])
def test_batches_counted_apart_and_added_give_the_whole_surveys_figures(sample_data, cuts):
    project, data = sample_data
    alpha = project.significance.alpha
    whole = score_survey(data, alpha=alpha)
    n = data.n
    rng = np.random.default_rng(18)
    if cuts == "even":
        edges = np.linspace(0, n, 6).astype(int)
    elif cuts == "random":
        # batch boundaries anywhere, inside groups of every segment and period
        edges = np.unique(np.concatenate([[0, n], rng.integers(1, n, 12)]))
    else:
        edges = np.array([0, 1, 1, n // 3, n])
    order = np.arange(n)
    tally = None
    for start, stop in zip(edges[:-1], edges[1:]):
        part = tally_survey(rows_of(data, order[start:stop]))
        tally = part if tally is None else tally + part
    batched = score_tally(data, tally, alpha=alpha)
    assert batched.base == whole.base == n
    same(batched, whole)


def test_the_sum_does_not_depend_on_the_order_of_the_batches(sample_data):
    project, data = sample_data
    half = data.n // 2
    first, second = tally_survey(rows_of(data, np.arange(half))), tally_survey(rows_of(data, np.arange(half, data.n)))
    same(score_tally(data, second + first), score_tally(data, first + second))


def test_weighted_answers_and_a_multi_punch_segment_add_up(tmp_path, make_project):
    # weights, a multi-punch question used as a segment, a continuous item: every kind of tally
    rng = np.random.default_rng(7)
    lines = ["id,date,nps,csat,spend,weight,region,products,comment"]
    for i in range(400):
        products = ";".join(sorted(rng.choice(["1", "2", "3"], rng.integers(0, 3), replace=False)))
        lines.append(f"{i},2026-0{1 + i % 6}-1{i % 9},{rng.integers(0, 11)},{rng.integers(1, 6)},"
                     f"{rng.uniform(0, 500):.2f},{rng.uniform(0.3, 2.5):.3f},{['N', 'S', 'E'][i % 3]},{products},")
    project_file = make_project(tmp_path, "\n".join(lines) + "\n", columns={
        "respondent_id": "id", "date": "date", "nps": "nps", "csat": {"column": "csat", "scale": 5},
        "comment": "comment",
        "weight": "weight", "segments": {"Region": "region"},
        "attributes": {"Spend": {"column": "spend", "type": "numeric", "min": 0, "max": 1000}},
        "multi_punch": {"Products": {"column": "products", "separator": ";", "segment": True,
                                     "codes": {1: "Current account", 2: "Savings", 3: "Mortgage"}}}})
    project = load_project(project_file)
    _table, data = validate_project(project)
    assert data.weighted and data.multi and any(s.continuous for s in data.items)
    whole = score_survey(data)
    tally = tally_survey(rows_of(data, np.arange(0, 150))) + tally_survey(rows_of(data, np.arange(150, 400)))
    same(score_tally(data, tally), whole)
