"""Cronbach's α diagnostics (METHODS.md §4, docs/analytics.md): α, each item's item-rest
correlation and α if the item were deleted, reproduced against a published five-item scale
with a negatively worded item; a negatively correlating item is flagged on the console and
beside the α table; `reverse: true` on the attribute recodes it before α."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from cxreport.cli import cli
from cxreport.scoring.drivers import cronbach_alpha, scale_reliability
from tests.conftest import csv_text, write_project

# The agreeableness items A1–A5 of the bfi data (Revelle, psych package for R; 25 IPIP
# personality items, 6-point scale, from the SAPA project): the covariance matrix and means of
# the 2,709 respondents who answered all five (computed from the data; only these summary
# figures are kept here, not the data). A1 "Am indifferent to the feelings of others" is
# negatively worded. psych::alpha(bfi[1:5], check.keys = TRUE) publishes raw α 0.70 with A1
# reversed ("A1-"), r.drop (item-rest) 0.31 for A1-, and α if an item is dropped 0.72, 0.62,
# 0.60, 0.69, 0.64; without reversing A1, α is 0.43 and psych warns that an item correlates
# negatively with the scale.
BFI_A_COV = np.array([
    [1.972832, -0.564487, -0.491584, -0.309817, -0.32371],
    [-0.564487, 1.383952, 0.747014, 0.58623, 0.575542],
    [-0.491584, 0.747014, 1.70186, 0.702303, 0.831434],
    [-0.309817, 0.58623, 0.702303, 2.209508, 0.575155],
    [-0.32371, 0.575542, 0.831434, 0.575155, 1.591643],
])
BFI_A_MEAN = np.array([2.412329, 4.797342, 4.599114, 4.682171, 4.551126])
BFI_N = 2709


def _with_covariance(cov: np.ndarray, mean: np.ndarray, n: int, seed: int = 1) -> np.ndarray:
    """``n`` rows whose sample covariance (ddof 1) and means are exactly ``cov`` and ``mean``:
    α, item-rest correlations and α if deleted depend on nothing else."""
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(n, len(mean)))
    Z -= Z.mean(axis=0)
    Z = Z @ np.linalg.inv(np.linalg.cholesky(np.cov(Z, rowvar=False)).T)    # sample covariance = I
    return Z @ np.linalg.cholesky(cov).T + mean


def test_the_published_alpha_with_and_without_reversing_the_negative_item():
    items = _with_covariance(BFI_A_COV, BFI_A_MEAN, BFI_N)
    assert np.cov(items, rowvar=False) == pytest.approx(BFI_A_COV, abs=1e-9)
    raw = scale_reliability(items, ["A1", "A2", "A3", "A4", "A5"])
    assert round(raw.alpha, 2) == 0.43 and raw.n == BFI_N
    assert [i.name for i in raw.negative] == ["A1"]               # flagged: correlates negatively with the rest
    assert raw.items[0].item_rest == pytest.approx(-0.31, abs=0.005)
    reversed_ = items.copy()
    reversed_[:, 0] = 7 - reversed_[:, 0]                         # 1–6 scale: low + high − x
    rel = scale_reliability(reversed_, ["A1-", "A2", "A3", "A4", "A5"])
    assert round(rel.alpha, 2) == 0.70
    assert rel.alpha == pytest.approx(0.7037559, abs=1e-6)        # the 2,709 complete cases' α, unrounded
    assert rel.negative == []
    assert round(rel.items[0].item_rest, 2) == 0.31
    assert [round(i.alpha_if_deleted, 2) for i in rel.items] == [0.72, 0.62, 0.60, 0.69, 0.64]
    assert rel.alpha == pytest.approx(cronbach_alpha(reversed_)[0])


def test_item_rest_and_alpha_if_deleted_by_hand():
    rng = np.random.default_rng(4)
    latent = rng.normal(size=200)
    items = np.column_stack([np.round(3 + latent * s + rng.normal(size=200)) for s in (1.0, 0.8, 0.5, 0.2)])
    items[5, 2] = np.nan                                          # listwise: that respondent is left out
    rel = scale_reliability(items, list("abcd"))
    complete = items[~np.isnan(items).any(axis=1)]
    assert rel.n == 199
    for j, item in enumerate(rel.items):
        rest = np.delete(complete, j, axis=1)
        assert item.item_rest == pytest.approx(np.corrcoef(complete[:, j], rest.sum(axis=1))[0, 1])
        assert item.alpha_if_deleted == pytest.approx(cronbach_alpha(rest)[0])
    two = scale_reliability(complete[:, :2], ["a", "b"])
    assert [i.alpha_if_deleted for i in two.items] == [None, None]   # one item left: no α


def _scale_rows(n: int = 400, seed: int = 6):
    """Four 1–5 service items driven by one factor; 'Staff were rude' is negatively worded."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=n)
    rows = []
    for i in range(n):
        good = [int(np.clip(round(3 + s * latent[i] + 0.8 * rng.normal()), 1, 5)) for s in (0.9, 0.8, 0.7)]
        rude = int(np.clip(round(3 - 0.8 * latent[i] + 0.8 * rng.normal()), 1, 5))
        rows.append([f"R{i:04d}", f"2026-{1 + i % 3:02d}-{1 + i % 28:02d}", "North" if i % 2 else "South",
                     int(rng.integers(0, 11)), int(rng.integers(1, 6)), "", *good, rude])
    return rows


def _scale_project(folder, reverse: bool):
    header = ["resp_id", "response_date", "region", "q_nps", "q_csat", "comment", "s1", "s2", "s3", "s4"]
    rude = {"column": "s4", "label": "Staff were rude"}
    if reverse:
        rude["reverse"] = True
    return write_project(folder, csv_text(_scale_rows(), header),
                         columns={"attributes": {"Helpful": {"column": "s1"}, "Knowledgeable": {"column": "s2"},
                                                 "Quick": {"column": "s3"}, "Rude": rude}},
                         scales={"Service": ["Helpful", "Knowledgeable", "Quick", "Rude"]})


def test_a_negatively_correlating_item_is_a_warning_and_a_note(tmp_path):
    from bs4 import BeautifulSoup

    path = _scale_project(tmp_path, reverse=False)
    out = tmp_path / "scores.json"
    result = CliRunner().invoke(cli, ["score", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    warning = next(line for line in result.stderr.splitlines() if "correlates negatively" in line)
    assert warning.startswith("Warning: scales.Service: 'Staff were rude' correlates negatively with the rest "
                              "of the scale (item-rest r = -0.")
    assert warning.endswith("is it reverse-worded? Set reverse: true on it")
    scale = json.loads(out.read_text())["drivers"]["scales"][0]
    assert scale["name"] == "Service" and scale["n"] == 400
    assert [i["name"] for i in scale["items"]] == ["Helpful", "Knowledgeable", "Quick", "Staff were rude"]
    assert scale["items"][3]["item_rest"] < 0 < min(i["item_rest"] for i in scale["items"][:3])
    assert scale["items"][3]["alpha_if_deleted"] > scale["alpha"]        # dropping it would raise α
    assert len(scale["warnings"]) == 1
    built = CliRunner().invoke(cli, ["build", str(path), "-o", str(tmp_path / "out"), "--format", "html"])
    assert built.exit_code == 0, built.output
    soup = BeautifulSoup((tmp_path / "out" / "report.html").read_text(), "html.parser")
    rows = [[c.get_text(strip=True) for c in tr.find_all(["th", "td"])] for tr in soup.select("table.scales tbody tr")]
    assert rows[0][0] == "Service" and rows[0][1] == f"{scale['alpha']:.3f}".replace("-", "−")
    assert rows[4][0] == "Staff were rude" and rows[4][2].startswith("−0.")
    note = soup.select_one(".scale-negative").get_text(" ", strip=True)
    assert note.startswith("“Staff were rude” correlates negatively with the rest of the scale “Service”")
    assert "reverse: true" in note


def test_reverse_true_recodes_the_item_before_alpha(tmp_path):
    plain = CliRunner().invoke(cli, ["score", str(_scale_project(tmp_path / "a", reverse=False))])
    fixed = CliRunner().invoke(cli, ["score", str(_scale_project(tmp_path / "b", reverse=True))])
    assert fixed.exit_code == 0, fixed.output
    assert "correlates negatively" not in fixed.stderr
    before = json.loads(plain.stdout)["drivers"]["scales"][0]
    after = json.loads(fixed.stdout)["drivers"]["scales"][0]
    rows = np.array([r[6:] for r in _scale_rows()], dtype=float)
    rows[:, 3] = 6 - rows[:, 3]                                            # 1–5: 6 − x
    assert after["alpha"] == pytest.approx(cronbach_alpha(rows)[0], abs=1e-6)
    assert after["alpha"] > before["alpha"] + 0.2
    assert after["items"][3]["item_rest"] == pytest.approx(-before["items"][3]["item_rest"], abs=1e-6)
    assert after["warnings"] == []
