"""Key drivers in a reporting window: pairwise-complete correlations, importance from a
correlation matrix, the repair of an inconsistent pairwise matrix, the base a driver
analysis states, and performance means that equal the attribute section's (METHODS.md §3)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from cxreport.scoring.kpis import round_half_away
from cxreport.scoring.drivers import (DriverError, listwise_correlations, pairwise_corr, pairwise_correlations,
                                      relative_weights, relative_weights_from_corr, repair_corr, shapley,
                                      shapley_from_corr)
from tests.conftest import csv_text, write_project
from tests.test_drivers import MTCARS, cols

# --------------------------------------------------------------------------- pairwise correlations


def _with_holes(seed: int = 3, n: int = 400, p: int = 5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(n, 1))
    data = base + rng.normal(size=(n, p)) * np.linspace(0.5, 2.0, p)
    data = np.round(data * 2) / 2                      # ties, as ratings have
    for j, share in enumerate((0.05, 0.2, 0.5, 0.85, 0.3)[:p]):
        data[rng.random(n) < share, j] = np.nan
    return data


def test_pairwise_correlations_match_pandas():
    data = _with_holes()
    result = pairwise_corr(data)
    frame = pd.DataFrame(data)
    expected = frame.corr(min_periods=2).to_numpy()
    assert result.corr == pytest.approx(expected, abs=1e-12)
    counts = frame.notna().astype(int)
    assert (result.bases == (counts.T @ counts).to_numpy()).all()
    assert (result.n_eff == result.bases).all()              # unweighted: the effective base is the base
    # pandas leaves out pairs with fewer than min_periods respondents: those are the small bases
    strict = frame.corr(min_periods=100).to_numpy()
    assert (np.isnan(strict) == (result.bases < 100)).all()


def test_weighted_pairwise_correlations_against_numpy():
    data = _with_holes(seed=11)
    rng = np.random.default_rng(5)
    w = rng.uniform(0.2, 3.0, size=len(data))
    w[:7] = 0.0                                              # zero weights are left out, also from the bases
    result = pairwise_corr(data, w)
    p = data.shape[1]
    for i, j in itertools.product(range(p), range(p)):
        rows = ~np.isnan(data[:, i]) & ~np.isnan(data[:, j]) & (w > 0)
        assert result.bases[i, j] == rows.sum()
        if i == j:
            assert result.corr[i, j] == 1.0
            continue
        expected = np.cov(data[rows, i], data[rows, j], aweights=w[rows])
        r = expected[0, 1] / np.sqrt(expected[0, 0] * expected[1, 1])
        assert result.corr[i, j] == pytest.approx(r, abs=1e-12)
        ww = w[rows]
        assert result.n_eff[i, j] == pytest.approx(ww.sum() ** 2 / (ww @ ww))
    # weights matter
    assert not np.allclose(result.corr, pairwise_corr(data).corr)


def test_pairwise_equals_listwise_on_complete_data():
    X, y = cols("cyl", "disp", "hp", "gear"), MTCARS[:, 0]
    w = 1 + np.arange(32) % 3
    listwise = listwise_correlations(y, X, w, min_n=10)
    pairwise = pairwise_correlations(y, X, w, min_n=10)
    assert pairwise.R == pytest.approx(listwise.R, abs=1e-12)
    assert pairwise.rxy == pytest.approx(listwise.rxy, abs=1e-12)
    assert pairwise.n == listwise.n == 32
    assert pairwise.n_eff == pytest.approx(listwise.n_eff)
    assert not pairwise.repaired and pairwise.missing == "pairwise"


# --------------------------------------------------------------------------- importance from a matrix


def test_relative_weights_from_a_correlation_matrix_reproduce_the_methods_example():
    X, y = cols("cyl", "disp", "hp", "gear"), MTCARS[:, 0]
    corr = np.corrcoef(np.column_stack([X, y]), rowvar=False)
    result = relative_weights_from_corr(corr[:-1, :-1], corr[:-1, -1], ["cyl", "disp", "hp", "gear"])
    assert result.r2 == pytest.approx(0.7791896, abs=1e-7)
    assert result.raw == pytest.approx([0.2284797, 0.2221469, 0.2321744, 0.0963886], abs=1e-7)
    assert result.percent == pytest.approx([29.32274, 28.50999, 29.79691, 12.37037], abs=1e-5)
    data_based = relative_weights(y, X, min_n=10)
    assert result.raw == pytest.approx(data_based.raw, abs=1e-12)


def test_shapley_from_a_correlation_matrix_reproduces_the_methods_example():
    X, y = cols("am", "vs", "cyl"), MTCARS[:, 0]
    corr = np.corrcoef(np.column_stack([X, y]), rowvar=False)
    result = shapley_from_corr(corr[:-1, :-1], corr[:-1, -1], ["am", "vs", "cyl"])
    assert result.r2 == pytest.approx(0.7619773, abs=1e-7)
    assert result.raw == pytest.approx([0.1774892, 0.2027032, 0.3817849], abs=1e-7)
    assert result.raw == pytest.approx(shapley(y, X, min_n=10).raw, abs=1e-12)
    # R² of a subset is r_S' R_SS⁻¹ r_S: with one driver, its squared correlation
    single = shapley_from_corr(corr[:1, :1], corr[:1, -1])
    assert single.r2 == pytest.approx(corr[0, -1] ** 2)


# --------------------------------------------------------------------------- repair


def test_an_inconsistent_matrix_is_repaired_to_a_valid_correlation_matrix():
    bad = np.array([[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]])
    assert np.linalg.eigvalsh(bad).min() < 0
    fixed, repaired = repair_corr(bad)
    assert repaired
    assert np.diag(fixed) == pytest.approx(np.ones(3), abs=1e-12)
    assert fixed == pytest.approx(fixed.T, abs=0)
    assert np.linalg.eigvalsh(fixed).min() > 0
    assert np.abs(fixed).max() <= 1 + 1e-12
    assert np.sign(fixed) == pytest.approx(np.sign(bad))       # near the input, not something else
    good = np.array([[1.0, 0.3], [0.3, 1.0]])
    same, changed = repair_corr(good)
    assert not changed and same == pytest.approx(good)


def test_pairwise_correlations_that_do_not_fit_together_are_repaired():
    # Three drivers, each pair seen on different respondents: x1 ~ x2, x2 ~ x3 but x1 ~ −x3.
    rng = np.random.default_rng(2)
    m = 300
    blocks = []
    for a, b, sign in ((0, 1, 1), (1, 2, 1), (0, 2, -1)):
        block = np.full((m, 3), np.nan)
        z = rng.normal(size=m)
        block[:, a] = z + 0.2 * rng.normal(size=m)
        block[:, b] = sign * z + 0.2 * rng.normal(size=m)
        blocks.append(block)
    X = np.vstack(blocks)
    y = np.nansum(X, axis=1) + rng.normal(size=len(X))
    corr = pairwise_correlations(y, X, min_n=30)
    assert corr.repaired
    full = np.block([[corr.R, corr.rxy[:, None]], [corr.rxy[None, :], np.ones((1, 1))]])
    assert np.linalg.eigvalsh(full).min() > 0
    result = relative_weights_from_corr(corr.R, corr.rxy)
    assert 0 < result.r2 < 1


def test_pairwise_errors_name_the_reason():
    X, y = cols("hp", "disp").copy(), MTCARS[:, 0]
    X[:25, 0] = np.nan
    with pytest.raises(DriverError, match="only 7 respondents answered both x1 and x2"):
        pairwise_correlations(y, X, min_n=10)
    with pytest.raises(DriverError, match="no variation: const"):
        pairwise_correlations(y, np.column_stack([cols("hp"), np.ones(32)]), names=["hp", "const"], min_n=10)


# --------------------------------------------------------------------------- a project in a window

ATTRS = {"Waiting time": "a_wait", "Staff knowledge": "a_staff", "Fees and value": "a_fees", "Digital": "a_digital"}
SPARSE = "Digital"


def _survey_rows(n: int = 3000, seed: int = 17) -> tuple[list[str], list[list]]:
    """Ratings driven by one factor; the digital rating answered by 15 % only, the others by 75 %."""
    rng = np.random.default_rng(seed)
    factor = rng.normal(size=n)
    strength = {"a_wait": 0.9, "a_staff": 0.7, "a_fees": 0.4, "a_digital": 0.6}
    ratings = {c: np.clip(np.round(3 + s * factor + 0.8 * rng.normal(size=n)), 1, 5) for c, s in strength.items()}
    score = sum(w * ratings[c] for c, w in (("a_wait", 1.0), ("a_staff", 0.8), ("a_fees", 0.3), ("a_digital", 0.5)))
    nps = np.clip(np.round((score - score.mean()) / score.std() * 2 + 7 + rng.normal(size=n)), 0, 10)
    answered = {c: rng.random(n) < (0.15 if c == "a_digital" else 0.75) for c in strength}
    header = ["resp_id", "response_date", "region", "q_nps", "q_csat", "comment", *strength]
    rows = []
    for i in range(n):
        rows.append([f"R{i:05d}", f"2026-{1 + i % 3:02d}-{1 + i % 28:02d}", "North" if i % 2 else "South",
                     int(nps[i]), int(rng.integers(1, 6)), ""]
                    + [int(ratings[c][i]) if answered[c][i] else "" for c in strength])
    return header, rows


@pytest.fixture(scope="module")
def survey(tmp_path_factory):
    from cxreport.config.loader import load_project
    from cxreport.pipeline import validate_project

    header, rows = _survey_rows()
    folder = tmp_path_factory.mktemp("drivers-window")
    path = write_project(folder, csv_text(rows, header),
                         columns={"attributes": {name: {"column": col, "scale": "1-5"} for name, col in ATTRS.items()}},
                         periods={"unit": "quarter"},
                         drivers={"outcome": "nps", "segments": ["Region"], "min_base": 30})
    project = load_project(path)
    _table, data = validate_project(project)
    return project, data


def _drivers(project, data, *, missing="listwise", min_base=30, **kwargs):
    from cxreport.scoring.keydrivers import key_drivers

    changed = project.model_copy(update={"drivers": project.drivers.model_copy(
        update={"missing": missing, "min_base": min_base})})
    return key_drivers(changed, data, **kwargs)


def _scope(label="2026 Q1", pooled=False, keys=(202601,)):
    from cxreport.window import Scope, Span

    return Scope(label, pooled, len(keys), Span(label, tuple(keys)))


def test_one_sparse_attribute_no_longer_discards_most_of_the_sample(survey):
    project, data = survey
    listwise = _drivers(project, data).overall
    pairwise = _drivers(project, data, missing="pairwise").overall
    assert listwise.missing == "listwise" and pairwise.missing == "pairwise"
    assert listwise.n_rows == pairwise.n_rows == data.n == 3000
    assert listwise.n_outcome == pairwise.n_outcome == int((~np.isnan(data.values["nps"])).sum())
    # listwise: the complete cases only — about 15 % × 75 %³ of the sample
    keys = ["nps"] + [f"attr:{a}" for a in ATTRS]
    complete = int(np.all([~np.isnan(data.values[k]) for k in keys], axis=0).sum())
    assert listwise.n == complete < 0.1 * data.n
    assert listwise.pair_median is None and listwise.pair_max is None
    # pairwise: the smallest pair is the sparse attribute with another item, the rest use far more
    assert pairwise.n > 1.5 * listwise.n
    assert pairwise.pair_median > 0.5 * data.n
    assert pairwise.n <= pairwise.pair_median <= pairwise.pair_max <= data.n
    assert 0 < pairwise.r2 < 1 and not pairwise.repaired
    assert {r.name for r in pairwise.rows} == set(ATTRS)


def test_too_few_complete_cases_suggest_what_would_help(survey):
    project, data = survey
    listwise_n = _drivers(project, data).overall.n
    pairwise_n = _drivers(project, data, missing="pairwise").overall.n
    min_base = (listwise_n + pairwise_n) // 2              # enough pairs, too few complete cases
    report = _drivers(project, data, min_base=min_base, scope=_scope())
    assert report.overall is None
    assert report.skipped[0] == (f"Total: only {listwise_n} complete cases in 2026 Q1 (at least {min_base} needed); "
                                 "set drivers.missing: pairwise or report.pool.drivers to use more")
    ok = _drivers(project, data, missing="pairwise", min_base=min_base, scope=_scope())
    assert ok.overall is not None and ok.overall.n == pairwise_n
    # pairwise with too small a pair: the pair is named, pooling suggested (not for a pooled scope)
    short = _drivers(project, data, missing="pairwise", min_base=pairwise_n + 1, scope=_scope())
    assert short.skipped[0].startswith(f"Total: only {pairwise_n} respondents answered both ")
    assert "in 2026 Q1" in short.skipped[0] and short.skipped[0].endswith("report.pool.drivers to pool more periods")
    pooled = _drivers(project, data, missing="pairwise", min_base=pairwise_n + 1,
                      scope=_scope("pooled 2025 Q4 – 2026 Q1", True, (202504, 202601)))
    assert "report.pool.drivers" not in pooled.skipped[0]


@pytest.mark.parametrize("missing", ["listwise", "pairwise"])
def test_means_are_the_attribute_sections(survey, missing):
    from cxreport.scoring.survey import score_survey

    project, data = survey
    results = score_survey(data)
    report = _drivers(project, data, missing=missing, results=results, scope=_scope(), window_base=data.n)
    a = report.overall
    assert a.performance_from == "attributes" and a.period == a.window == "2026 Q1" and not a.pooled
    for row in a.rows:
        mean = results.overall[f"attr:{row.name}"].mean.value
        assert row.mean == pytest.approx(mean, abs=1e-12)
        assert row.performance == pytest.approx(100 * (mean - 1) / 4)
    region = next(b for b in results.segments if b.name == "Region")
    assert {s.scope for s in report.segments} == {"Region: North", "Region: South"}
    for s in report.segments:
        group = next(g for g in region.groups if s.scope.endswith(g.label))
        for row in s.rows:
            assert row.mean == pytest.approx(group.items[f"attr:{row.name}"].mean.value, abs=1e-12)
    # quadrants split at the mean of each axis, on these performance values
    imp_mean = np.mean([r.importance for r in a.rows])
    perf_mean = np.mean([r.performance for r in a.rows])
    for r in a.rows:
        high_imp, high_perf = r.importance >= imp_mean, r.performance >= perf_mean
        assert r.quadrant == {(True, False): "Concentrate here", (True, True): "Keep up the good work",
                              (False, False): "Low priority", (False, True): "Possible overkill"}[(high_imp, high_perf)]


def test_without_results_the_means_are_those_of_the_complete_cases(survey):
    project, data = survey
    a = _drivers(project, data).overall
    assert a.performance_from == "analysed" and a.period == "" and not a.pooled
    keys = ["nps"] + [f"attr:{n}" for n in ATTRS]
    complete = np.all([~np.isnan(data.values[k]) for k in keys], axis=0)
    for row in a.rows:
        assert row.mean == pytest.approx(data.values[f"attr:{row.name}"][complete].mean())


def test_pooled_importance_with_the_windows_performance(survey):
    from cxreport.scoring.survey import score_survey
    from cxreport.validate import subset

    project, data = survey
    window_rows = np.flatnonzero(np.arange(data.n) % 3 == 0)          # "the window": a third of the pooled rows
    window = subset(project, data, window_rows)
    results = score_survey(window)
    scope = _scope("pooled 2025 Q3 – 2026 Q1", True, (202503, 202504, 202601))
    a = _drivers(project, data, missing="pairwise", results=results, scope=scope, window_base=window.n,
                 window_label="2026 Q1").overall
    assert a.pooled and a.period == "pooled 2025 Q3 – 2026 Q1" and a.window == "2026 Q1"
    assert a.n_rows == data.n                                          # importance: the pooled rows
    assert a.performance_from == "attributes"
    for row in a.rows:                                                 # performance: the window's
        assert row.mean == pytest.approx(results.overall[f"attr:{row.name}"].mean.value, abs=1e-12)
    analysed = _drivers(project, data, missing="pairwise").overall
    assert [r.importance for r in a.rows] == pytest.approx(
        [next(x.importance for x in analysed.rows if x.name == r.name) for r in a.rows])


def test_the_caption_states_the_base_and_the_handling_of_missing_answers(survey):
    from cxreport.present.render import make_environment
    from cxreport.present.sandbox import plain_data
    from cxreport.scoring.survey import score_survey

    project, data = survey
    results = score_survey(data)
    env = make_environment()

    def caption(report):
        context = plain_data({"drivers": {"overall": report.overall, "segments": report.segments,
                                          "skipped": report.skipped, "scales": report.scales, "chart": None}})
        html = env.get_template("partials/drivers.html").render(**context)
        start = html.index('<p class="note drivers-base">')
        return html[start:html.index("</p>", start)]

    listwise = _drivers(project, data, results=results, scope=_scope(), window_base=data.n)
    text = caption(listwise)
    a = listwise.overall
    assert f"Base: {a.n:,} respondents who answered NPS and all 4 attributes" in text
    assert f"of the {data.n:,} in 2026 Q1" in text and "listwise deletion" in text
    assert "Performance is each attribute's mean as in the attribute section." in text
    pairwise = _drivers(project, data, missing="pairwise", results=results, scope=_scope(), window_base=data.n)
    b = pairwise.overall
    text = caption(pairwise)
    assert f"between {b.n:,} and {b.pair_max:,} respondents a pair, median {round_half_away(b.pair_median):,.0f}, " \
           f"of {data.n:,} in 2026 Q1." in text
