"""Indices and scales (issue 15): the ACSI-style index (METHODS.md §1), reverse-coded items,
composite scale scores and numeric (continuous) items — each figure against an independent
calculation in the test, and every hostile setting refused by validate, score and build alike."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from scipy import stats as sps

from cxreport.cli import cli
from tests.table_project import write_project

N = 240
RNG_SEED = 1515


def _data(seed: int = RNG_SEED, n: int = N):
    """Respondents with three 1–10 index items, a 0–10 NPS, four 1–5 ratings (one reverse
    worded), a decimal amount, a region and a quarter; some blanks."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(0, 1, n)
    def ten(shift):
        return np.clip(np.round(6.5 + shift + 1.8 * latent + rng.normal(0, 1.1, n)), 1, 10).astype(int)
    sat, exp, ideal = ten(0.4), ten(0.0), ten(-0.6)
    nps = np.clip(np.round(7 + 2 * latent + rng.normal(0, 1.3, n)), 0, 10).astype(int)
    five = [np.clip(np.round(3.4 + 0.9 * latent + rng.normal(0, 0.7, n)), 1, 5).astype(int) for _ in range(3)]
    rude = 6 - np.clip(np.round(3.4 + 0.9 * latent + rng.normal(0, 0.7, n)), 1, 5).astype(int)   # worded the other way
    spend = np.round(rng.gamma(2.0, 35.0, n), 2)
    region = np.where(rng.random(n) < 0.5, "North", "South")
    quarter = np.where(np.arange(n) < n // 2, "2026-04-15", "2026-08-15")
    rows = []
    for i in range(n):
        row = [f"R{i:04d}", quarter[i], region[i], nps[i], sat[i], exp[i], ideal[i], five[0][i], five[1][i],
               five[2][i], rude[i], f"{spend[i]:.2f}"]
        if i % 23 == 0:
            row[6] = ""          # an index item left blank: no index for this respondent
        if i % 31 == 0:
            row[8] = ""          # a rating left blank: the scale score uses the other items
        rows.append(row)
    header = ["id", "date", "region", "q_nps", "q_sat", "q_exp", "q_ideal", "a1", "a2", "a3", "a_rude", "spend"]
    return header, rows


BASE_COLUMNS = {
    "respondent_id": "id", "date": "date", "nps": "q_nps",
    "acsi": {"items": ["q_sat", "q_exp", "q_ideal"]},
    "attributes": {
        "Helpful": {"column": "a1", "scale": "1-5"},
        "Clear": {"column": "a2", "scale": "1-5"},
        "Quick": {"column": "a3", "scale": "1-5"},
        "Staff rude": {"column": "a_rude", "scale": "1-5", "reverse": True},
        "Spend": {"column": "spend", "type": "numeric", "min": 0},
    },
    "segments": {"Region": "region"},
}


def _project(tmp_path: Path, columns: dict | None = None, **extra) -> Path:
    header, rows = _data()
    extra.setdefault("periods", {"unit": "quarter"})
    extra.setdefault("report", {"period": "all"})
    return write_project(tmp_path / "proj", json.loads(json.dumps(columns or BASE_COLUMNS)), header, rows, **extra)


def _invoke(*args) -> "object":
    return CliRunner().invoke(cli, [str(a) for a in args])


def _scores(path: Path, *args) -> dict:
    result = _invoke("score", path, *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _columns(path: Path) -> dict[str, np.ndarray]:
    import csv

    with open(path.parent / "data.csv", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    return {h: np.array([float(r[i]) if r[i] != "" else np.nan for r in body]) if h not in ("id", "date", "region")
            else np.array([r[i] for r in body]) for i, h in enumerate(header)}


# --------------------------------------------------------------------------- the ACSI-style index


def test_acsi_equals_the_methods_formula_on_complete_respondents(tmp_path):
    path = _project(tmp_path)
    scores = _scores(path)
    data = _columns(path)
    x = np.column_stack([data["q_sat"], data["q_exp"], data["q_ideal"]])
    complete = ~np.isnan(x).any(axis=1)
    means = x[complete].mean(axis=0)
    expected = 100 * (means.sum() - 3) / 27           # METHODS.md §1, equal weights
    per_respondent = 100 * (x[complete] - 1).sum(axis=1) / 27
    t = sps.t.ppf(0.975, complete.sum() - 1)
    half = t * per_respondent.std(ddof=1) / math.sqrt(complete.sum())
    acsi = scores["overall"]["acsi"]
    assert acsi["kind"] == "acsi" and acsi["n"] == int(complete.sum())
    assert acsi["mean"]["value"] == pytest.approx(expected, abs=1e-5)
    assert acsi["mean"]["low"] == pytest.approx(expected - half, abs=1e-5)
    assert acsi["mean"]["high"] == pytest.approx(expected + half, abs=1e-5)


def test_acsi_with_weights_and_a_weight_column(tmp_path):
    header, rows = _data()
    header = header + ["w"]
    rows = [r + [1 + (i % 3)] for i, r in enumerate(rows)]
    columns = json.loads(json.dumps(BASE_COLUMNS))
    columns["acsi"] = {"items": ["q_sat", "q_exp", "q_ideal"], "weights": [0.5, 0.3, 0.2]}
    columns["weight"] = "w"
    path = write_project(tmp_path / "p", columns, header, rows, report={"period": "all"}, periods={"unit": "quarter"})
    scores = _scores(path)
    x = np.array([[float(r[4]), float(r[5]) if r[5] != "" else np.nan, float(r[6]) if r[6] != "" else np.nan]
                  for r in rows])
    w = np.array([float(r[-1]) for r in rows])
    ok = ~np.isnan(x).any(axis=1)
    means = (x[ok] * w[ok, None]).sum(axis=0) / w[ok].sum()
    expected = 100 * (0.5 * (means[0] - 1) + 0.3 * (means[1] - 1) + 0.2 * (means[2] - 1)) / 9
    n_eff = w[ok].sum() ** 2 / (w[ok] ** 2).sum()
    acsi = scores["overall"]["acsi"]
    assert acsi["mean"]["value"] == pytest.approx(expected, abs=1e-5)
    assert acsi["n_eff"] == pytest.approx(n_eff, abs=1e-3)


def test_acsi_is_a_kpi_with_target_benchmark_tier_segments_and_trend(tmp_path):
    path = _project(tmp_path, targets={"acsi": 60}, tiers={"acsi": {"basic": 40, "differentiated": 55,
                                                                    "excellent": 70}},
                    benchmarks={"compare": [{"kpi": "acsi", "standard": "acsi-2019-banks"}]})
    scores = _scores(path)
    value = scores["overall"]["acsi"]["mean"]["value"]
    target = next(t for t in _target_list(scores) if t["key"] == "acsi")
    shown = round(value)
    assert target["status"] == ("green" if shown >= 60 else "amber" if shown >= 55 else "red")
    bench = next(b for b in scores["benchmarks"] if b["kpi"] == "acsi")
    assert bench["standard"]["metric"] == "acsi" and bench["value"] == pytest.approx(value, abs=1e-5)
    assert "acsi" in scores["tiers"]
    region = next(s for s in scores["segments"] if s["name"] == "Region")
    data = _columns(path)
    x = np.column_stack([data["q_sat"], data["q_exp"], data["q_ideal"]])
    for group in region["groups"]:
        rows = (data["region"] == group["label"]) & ~np.isnan(x).any(axis=1)
        assert group["items"]["acsi"]["mean"]["value"] == pytest.approx(100 * (x[rows].mean(axis=0).sum() - 3) / 27,
                                                                       abs=1e-5)
    periods = scores["periods"]
    assert [p["label"] for p in periods] == ["2026 Q2", "2026 Q3"]
    for period, half in zip(periods, (slice(0, N // 2), slice(N // 2, N))):
        sub = x[half][~np.isnan(x[half]).any(axis=1)]
        assert period["items"]["acsi"]["mean"]["value"] == pytest.approx(100 * (sub.mean(axis=0).sum() - 3) / 27,
                                                                        abs=1e-5)


def _target_list(scores: dict) -> list[dict]:
    targets = scores["targets"]
    if isinstance(targets, dict):
        return [dict(value, key=key) for key, value in targets.items() if isinstance(value, dict)]
    return targets


def test_acsi_in_the_report_is_called_acsi_style(tmp_path):
    path = _project(tmp_path, targets={"acsi": 60})
    out = tmp_path / "out"
    result = _invoke("build", path, "-o", out, "--format", "html")
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "ACSI-style index" in html
    text = html.replace("ACSI-style", "")
    assert "ACSI index" not in text and ">ACSI<" not in text


def test_competitor_survey_scores_the_index_per_brand(tmp_path):
    header, rows = _data()
    path = _project(tmp_path, competitors={
        "own_brand": "Us",
        "survey": {"file": "comp.csv", "brands": ["Us", "Them"], "acsi": ["sat_{brand}", "exp_{brand}", "ideal_{brand}"]}})
    rng = np.random.default_rng(3)
    lines = ["sat_Us,exp_Us,ideal_Us,sat_Them,exp_Them,ideal_Them"]
    values = rng.integers(1, 11, size=(150, 6))
    lines += [",".join(str(v) for v in row) for row in values]
    (path.parent / "comp.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    scores = _scores(path)
    comp = next(c for c in scores["competitors"] if c["metric"] == "acsi")
    brands = {b["brand"]: b for b in comp["brands"]}
    for brand, cols in (("Us", slice(0, 3)), ("Them", slice(3, 6))):
        assert brands[brand]["value"] == pytest.approx(100 * (values[:, cols].mean(axis=0).sum() - 3) / 27, abs=1e-5)


# --------------------------------------------------------------------------- reverse-coded items


def test_a_reversed_attribute_is_reflected_before_anything_else(tmp_path):
    path = _project(tmp_path)
    scores = _scores(path)
    raw = _columns(path)["a_rude"]
    recoded = 6 - raw
    rude = scores["overall"]["attr:Staff rude"]
    assert rude["mean"]["value"] == pytest.approx(np.nanmean(recoded), abs=1e-5)
    assert rude["top2"]["value"] == pytest.approx(100 * np.mean(recoded[~np.isnan(recoded)] >= 4), abs=1e-4)


def test_a_reversed_csat_is_reflected(tmp_path):
    columns = json.loads(json.dumps(BASE_COLUMNS))
    columns["csat"] = {"column": "a_rude", "scale": 5, "reverse": True}
    scores = _scores(_project(tmp_path, columns))
    raw = _columns(tmp_path / "proj" / "cxreport.yaml")["a_rude"]
    assert scores["overall"]["csat"]["top2"]["value"] == pytest.approx(100 * np.mean((6 - raw) >= 4), abs=1e-4)


# --------------------------------------------------------------------------- composite scale scores


def test_composite_score_is_the_mean_of_the_answered_items(tmp_path):
    scales = {"Service": {"items": ["Helpful", "Clear", "Quick", "Staff rude"]}}
    path = _project(tmp_path, scales=scales, targets={"attributes": {"Service": 3.5}})
    scores = _scores(path)
    data = _columns(path)
    items = np.column_stack([data["a1"], data["a2"], data["a3"], 6 - data["a_rude"]])
    answered = (~np.isnan(items)).sum(axis=1)
    per = np.where(answered >= 2, np.nanmean(items, axis=1), np.nan)      # default: half the items, rounded up
    service = scores["overall"]["attr:Service"]
    assert service["origin"] == "composite" and service["top2"] is None
    assert service["n"] == int((~np.isnan(per)).sum())
    assert service["mean"]["value"] == pytest.approx(np.nanmean(per), abs=1e-5)
    assert any(t["key"] == "attr:Service" for t in _target_list(scores))


def test_min_items_excludes_partly_answered_respondents(tmp_path):
    scales = {"Service": {"items": ["Helpful", "Clear", "Quick"], "min_items": 3}}
    path = _project(tmp_path, scales=scales)
    data = _columns(path)
    items = np.column_stack([data["a1"], data["a2"], data["a3"]])
    complete = ~np.isnan(items).any(axis=1)
    service = _scores(path)["overall"]["attr:Service"]
    assert service["n"] == int(complete.sum()) < N
    assert service["mean"]["value"] == pytest.approx(items[complete].mean(), abs=1e-5)


def test_a_composite_can_be_the_drivers_outcome_and_is_not_a_default_driver(tmp_path):
    scales = {"Service": {"items": ["Helpful", "Clear", "Quick"]}}
    path = _project(tmp_path, scales=scales, drivers={"outcome": "nps", "min_base": 30})
    drivers = _scores(path)["drivers"]
    names = [d["name"] for d in drivers["overall"]["drivers"]]
    assert "Service" not in names and {"Helpful", "Clear", "Quick"} <= set(names)
    path = _project(tmp_path / "b", scales=scales, drivers={"outcome": "attr:Service", "drivers": ["Spend", "Staff rude"],
                                                             "min_base": 30})
    overall = _scores(path)["drivers"]["overall"]
    assert overall["outcome"] == "Service"
    assert {d["name"] for d in overall["drivers"]} == {"Spend", "Staff rude"}


# --------------------------------------------------------------------------- numeric items


def test_numeric_items_take_decimals_and_report_a_mean(tmp_path):
    path = _project(tmp_path)
    scores = _scores(path)
    spend = _columns(path)["spend"]
    item = scores["overall"]["attr:Spend"]
    assert item["origin"] == "numeric" and item["top2"] is None
    assert item["mean"]["value"] == pytest.approx(spend.mean(), abs=1e-5)
    half = sps.t.ppf(0.975, N - 1) * spend.std(ddof=1) / math.sqrt(N)
    assert item["mean"]["high"] - item["mean"]["value"] == pytest.approx(half, abs=1e-5)
    check = [c for c in scores["validation"]["columns"] if c["column"] == "spend"][0]
    assert check["valid"] == N and check["non_numeric"] == check["out_of_scale"] == 0


def test_numeric_bounds_exclude_and_name_the_cell(tmp_path):
    header, rows = _data()
    rows[4][11] = "100.5"
    columns = json.loads(json.dumps(BASE_COLUMNS))
    columns["attributes"]["Spend"] = {"column": "spend", "type": "numeric", "min": 0, "max": 100}
    path = write_project(tmp_path / "p", columns, header, rows, report={"period": "all"})
    result = _invoke("validate", path)
    assert "row 6, column 'spend': '100.5' is above the item's max (100)" in result.output
    assert "'80.2' is outside" not in result.output


def test_a_numeric_driver_runs(tmp_path):
    path = _project(tmp_path, drivers={"outcome": "nps", "drivers": ["Helpful", "Clear", "Spend"], "min_base": 30})
    drivers = _scores(path)["drivers"]
    assert not drivers["overall"].get("skipped"), drivers
    assert "Spend" in json.dumps(drivers["overall"])


# --------------------------------------------------------------------------- hostile settings


HOSTILE = {
    "acsi with two items": (lambda c, e: c.update(acsi=["q_sat", "q_exp"]),
                            "columns.acsi: the index needs three items"),
    "acsi item not in the file": (lambda c, e: c.update(acsi=["q_sat", "q_exp", "q_ideel"]),
                                  "columns.acsi.items[2]: column 'q_ideel' not found"),
    "acsi weights": (lambda c, e: c.update(acsi={"items": ["q_sat", "q_exp", "q_ideal"], "weights": [0.5, 0.5, 0.5]}),
                     "the weights must sum to 1"),
    "reverse on an unbounded numeric": (
        lambda c, e: c["attributes"]["Spend"].update(reverse=True), "reverse on a numeric item needs both min and max"),
    "reverse on NPS": (lambda c, e: c.update(nps={"column": "q_nps", "reverse": True}), "columns.nps.reverse: unknown key"),
    "scale on a numeric": (lambda c, e: c["attributes"]["Spend"].update(scale="1-5"),
                           "a numeric item has no rating scale"),
    "composite naming no attribute": (lambda c, e: e.update(scales={"S": {"items": ["Helpful", "Nope"]}}),
                                      "scales.S.items[1]: no attribute 'Nope'"),
    "composite on two scales": (
        lambda c, e: (c["attributes"]["Clear"].update(scale="1-10"), e.update(scales={"S": {"items": ["Helpful", "Clear"]}})),
        "the items of a composite score must share one scale"),
    "composite with a numeric item": (lambda c, e: e.update(scales={"S": {"items": ["Helpful", "Spend"]}}),
                                      "'Spend' is a numeric item"),
    "composite named like an attribute": (lambda c, e: e.update(scales={"Helpful": {"items": ["Clear", "Quick"]}}),
                                          "an attribute of the same name is in columns.attributes"),
    "min_items above the items": (lambda c, e: e.update(scales={"S": {"items": ["Clear", "Quick"], "min_items": 3}}),
                                  "min_items (3) is more than the scale's 2 items"),
    "acsi target off the scale": (lambda c, e: e.update(targets={"acsi": 120}), "outside the ACSI-style index's 0–100"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_settings_fail_validate_score_and_build_alike(tmp_path, case):
    mutate, message = HOSTILE[case]
    columns = json.loads(json.dumps(BASE_COLUMNS))
    extra: dict = {"report": {"period": "all"}}
    mutate(columns, extra)
    header, rows = _data()
    path = write_project(tmp_path / "p", columns, header, rows, **extra)
    for command in (["validate", path], ["score", path], ["build", path, "-o", tmp_path / "out", "--format", "html"]):
        result = _invoke(*command)
        assert result.exit_code == 1, (command[0], result.output)
        assert message in result.output, (command[0], result.output)
        assert "Traceback" not in result.output
    assert not (tmp_path / "out" / "report.html").exists()


def test_an_index_nobody_answered_in_full_is_an_error(tmp_path):
    header, rows = _data()
    for row in rows:
        row[5] = ""
    path = write_project(tmp_path / "p", BASE_COLUMNS, header, rows, report={"period": "all"})
    for command in ("validate", "score"):
        result = _invoke(command, path)
        assert result.exit_code == 1
        assert "columns.acsi: no respondent answered all three items of the index" in result.output


# --------------------------------------------------------------------------- real data


REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "airline" / "test.csv"


def test_numeric_delays_on_the_airline_file_match_pandas(tmp_path):
    """Real public data (../shared/realdata/airline, read in place): delays in minutes written
    with decimals ("44.0") are a numeric item, and can drive a rating in the driver analysis."""
    import pandas as pd
    import yaml

    assert REALDATA.is_file(), f"{REALDATA} is needed (the shared folder beside the checkout)"
    folder = tmp_path / "airline"
    folder.mkdir()
    config = {
        "client": {"name": "Airline"},
        "survey": {"file": str(REALDATA)},
        "columns": {"respondent_id": "id", "attributes": {
            "Arrival delay": {"column": "Arrival Delay in Minutes", "type": "numeric", "min": 0},
            "Departure delay": {"column": "Departure Delay in Minutes", "type": "numeric", "min": 0},
            "Seat comfort": {"column": "Seat comfort", "scale": "0-5", "na_codes": [0]},
            "Cleanliness": {"column": "Cleanliness", "scale": "0-5", "na_codes": [0]},
            "Inflight service": {"column": "Inflight service", "scale": "0-5", "na_codes": [0]}}},
        "drivers": {"outcome": "attr:Inflight service",
                    "drivers": ["Arrival delay", "Seat comfort", "Cleanliness"]},
    }
    path = folder / "cxreport.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    scores = _scores(path, "--allow-outside-paths")
    frame = pd.read_csv(REALDATA)
    delay = frame["Arrival Delay in Minutes"].dropna()
    item = scores["overall"]["attr:Arrival delay"]
    assert item["n"] == len(delay) == len(frame) - 83
    assert item["mean"]["value"] == pytest.approx(delay.mean(), abs=1e-5)
    assert item["mean"]["sd"] == pytest.approx(delay.std(ddof=1), rel=1e-6)
    overall = scores["drivers"]["overall"]
    assert {d["name"] for d in overall["drivers"]} == {"Arrival delay", "Seat comfort", "Cleanliness"}
    assert overall["r2"] > 0


def test_the_scores_json_of_indices_scales_and_numeric_items_is_documented(tmp_path):
    """Every key the ACSI-style index, composite scores and numeric items add to the scores
    JSON is in its schema (cxreport/jsonschema.py, docs/scores-json.md)."""
    from cxreport.jsonschema import Checker

    scales = {"Service": {"items": ["Helpful", "Clear", "Quick", "Staff rude"]}}
    path = _project(tmp_path, scales=scales, targets={"acsi": 60}, tiers={"acsi": {"basic": 40, "differentiated": 55,
                                                                                   "excellent": 70}})
    document = _scores(path)
    assert "acsi" in document["overall"] and document["overall"]["attr:Spend"]["origin"] == "numeric"
    assert Checker().check(document) == []
