"""Raking (RIM weighting, ``weighting:``) — METHODS.md §9, docs/weighting.md.

The algorithm against METHODS.md's worked example and a published example; trimming; the
Kish efficiency; every hostile setting as a one-line error of validate and build; and a
project whose reported NPS equals a weighted NPS computed here from METHODS.md's weights.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from bs4 import BeautifulSoup
from click.testing import CliRunner

from cxreport.cli import cli
from cxreport.scoring.raking import rake
from table_project import write_project

# --------------------------------------------------------------------------- the algorithm

#: METHODS.md §9: Region × Age counts and the converged weight of each cell.
CELLS = {("North", "young"): (30, 4 / 3), ("North", "old"): (20, 0.5),
         ("South", "young"): (10, 2.0), ("South", "old"): (40, 0.75)}


def _methods_codes():
    region = np.repeat([0, 0, 1, 1], [30, 20, 10, 40])
    age = np.repeat([0, 1, 0, 1], [30, 20, 10, 40])
    return region, age


def test_methods_worked_example():
    region, age = _methods_codes()
    result = rake([region, age], [np.array([0.5, 0.5]), np.array([0.6, 0.4])])
    assert result.converged
    for cell, (r, a) in zip(CELLS.values(), [(0, 0), (0, 1), (1, 0), (1, 1)]):
        got = result.weights[(region == r) & (age == a)]
        assert np.allclose(got, cell[1], atol=1e-5), (cell, got[:3])
    assert result.n_eff == pytest.approx(82.7586, abs=1e-4)
    assert result.efficiency == pytest.approx(0.827586, abs=1e-6)
    assert result.weights.sum() == pytest.approx(100)            # the total is kept (n without design weights)


#: The example of Wikipedia's "Iterative proportional fitting" article (§ Example), which the
#: ipfn package's README also solves: a 4 × 4 seed table, row targets 150, 300, 400, 150 and
#: column targets 200, 300, 400, 100. The article prints the table after three passes (row
#: adjustment then column adjustment) to two decimals, reproduced here.
WIKI_SEED = np.array([[40, 30, 20, 10], [35, 50, 100, 75], [30, 80, 70, 120], [20, 30, 40, 50]], dtype=float)
WIKI_ROWS = np.array([150, 300, 400, 150], dtype=float)
WIKI_COLS = np.array([200, 300, 400, 100], dtype=float)
WIKI_AFTER_3 = np.array([[64.61, 46.28, 35.42, 3.83],
                         [49.95, 68.15, 156.49, 25.37],
                         [56.70, 144.40, 145.06, 53.76],
                         [28.74, 41.18, 63.03, 17.03]])


def _wiki(max_iterations: int, tolerance: float = 1e-6):
    rows, cols = np.indices(WIKI_SEED.shape)
    # each cell of the seed table as one respondent whose design weight is the cell's count
    result = rake([rows.ravel(), cols.ravel()], [WIKI_ROWS / 1000, WIKI_COLS / 1000], WIKI_SEED.ravel(),
                  tolerance=tolerance, max_iterations=max_iterations)
    table = result.weights.reshape(WIKI_SEED.shape)
    return result, table * 1000 / table.sum()           # the article's tables add up to the targets' 1,000


def test_published_example_wikipedia_ipf():
    result, table = _wiki(3)
    assert result.iterations == 3 and not result.converged
    assert np.array_equal(np.round(table, 2), WIKI_AFTER_3)
    result, table = _wiki(100)
    assert result.converged and result.iterations > 3
    assert np.allclose(table.sum(axis=1), WIKI_ROWS, atol=1e-3)
    assert np.allclose(table.sum(axis=0), WIKI_COLS, atol=1e-3)
    # a biproportional fit: every fitted cell is seed × row factor × column factor
    ratio = table / WIKI_SEED
    assert np.allclose(ratio / ratio[:, :1], (ratio / ratio[:, :1])[0], rtol=1e-6)


def _skewed(seed: int = 7, n: int = 2000):
    rng = np.random.default_rng(seed)
    a = rng.choice(3, n, p=[0.6, 0.3, 0.1])
    b = rng.choice(2, n, p=[0.7, 0.3])
    c = rng.choice(4, n, p=[0.4, 0.3, 0.2, 0.1])
    targets = [np.array([0.4, 0.35, 0.25]), np.array([0.5, 0.5]), np.array([0.25, 0.25, 0.25, 0.25])]
    return [a, b, c], targets


def _margins_within(result, codes, targets, tolerance):
    for code, target in zip(codes, targets):
        shares = np.bincount(code, weights=result.weights, minlength=len(target)) / result.weights.sum()
        assert np.abs(shares - target).max() <= tolerance


def test_trimming_converges_inside_the_bounds_and_keeps_the_margins():
    codes, targets = _skewed()
    free = rake(codes, targets)
    mean = free.weights.mean()
    assert free.weights.max() / mean > 6 and free.weights.min() / mean < 0.3     # trimming has work to do
    trimmed = rake(codes, targets, trim=(0.3, 6.0))
    assert trimmed.converged and trimmed.rounds > 1 and trimmed.trimmed > 0
    _margins_within(trimmed, codes, targets, 1e-6)
    w = trimmed.weights / trimmed.weights.mean()
    assert w.max() <= 6.0 * (1 + 1e-5) and w.min() >= 0.3 * (1 - 1e-5)
    assert trimmed.efficiency > free.efficiency
    assert trimmed.weights.sum() == pytest.approx(len(w))


def test_trim_bounds_that_cannot_hold_are_reported_not_converged():
    codes, targets = _skewed()
    # the smallest cell needs a weight near 5 × the mean to meet the margins
    result = rake(codes, targets, trim=(0.5, 3), max_iterations=20)
    assert not result.converged and result.rounds == 20


def test_efficiency_is_kish():
    codes, targets = _skewed()
    result = rake(codes, targets, trim=(0.4, 4))
    w = result.weights
    assert result.n_eff == pytest.approx(w.sum() ** 2 / (w ** 2).sum(), rel=1e-12)
    assert result.efficiency == pytest.approx(result.n_eff / len(w), rel=1e-12)


def test_margins_with_very_many_group_combinations():
    # 200 × 200 × 200 possible cells: only the combinations that occur are raked
    rng = np.random.default_rng(5)
    codes = [rng.integers(0, 200, 20_000) for _ in range(3)]
    targets = [np.linspace(1, 2, 200) / np.linspace(1, 2, 200).sum() for _ in range(3)]
    result = rake(codes, targets)
    assert result.converged
    _margins_within(result, codes, targets, 1e-6)


def test_design_weights_are_the_starting_point():
    codes, targets = _skewed(3, 500)
    design = np.random.default_rng(1).uniform(0.5, 2.0, 500)
    result = rake(codes, targets, design)
    _margins_within(result, codes, targets, 1e-6)
    assert result.weights.sum() == pytest.approx(design.sum())
    # raking multiplies each design weight by one factor per cell (combination of groups)
    cell = codes[0] * 100 + codes[1] * 10 + codes[2]
    ratio = result.weights / design
    for value in np.unique(cell):
        assert np.ptp(ratio[cell == value]) < 1e-9


# --------------------------------------------------------------------------- projects

HEADER = ["id", "region", "age", "q_nps"]
COLUMNS = {"respondent_id": "id", "nps": "q_nps", "segments": {"Region": "region", "Age": "age"}}
#: NPS answers of each METHODS.md cell: (promoters, passives, detractors).
ANSWERS = {("North", "young"): (15, 10, 5), ("North", "old"): (5, 5, 10),
           ("South", "young"): (8, 1, 1), ("South", "old"): (10, 20, 10)}
MARGINS = {"Region": {"North": 0.5, "South": 0.5}, "Age": {"young": 0.6, "old": 0.4}}


def _rows() -> list[list]:
    rows, i = [], 0
    for (region, age), (p, m, d) in ANSWERS.items():
        for score, count in ((10, p), (8, m), (3, d)):
            for _ in range(count):
                i += 1
                rows.append([f"R{i:03d}", region, age, score])
    return rows


def _project(tmp_path: Path, weighting=None, rows=None, columns=None, header=None) -> Path:
    extra = {"weighting": weighting if weighting is not None else {"rake": MARGINS}}
    return write_project(tmp_path / "p", columns or COLUMNS, header or HEADER, rows or _rows(), **extra)


def _run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_report_nps_equals_an_independent_weighted_nps(tmp_path):
    # The NPS with METHODS.md's converged weights, computed here from the answers alone.
    weight_sum = promoters = detractors = 0.0
    for cell, (p, m, d) in ANSWERS.items():
        w = CELLS[cell][1]
        weight_sum += w * (p + m + d)
        promoters += w * p
        detractors += w * d
    expected = 100 * (promoters - detractors) / weight_sum
    assert expected == pytest.approx(24.8333, abs=1e-3)          # unweighted it would be 12
    project = _project(tmp_path)
    result = _run("score", project)
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)
    assert scores["overall"]["nps"]["nps"]["value"] == pytest.approx(expected, abs=1e-3)
    assert scores["settings"]["weighted"] is True
    w = scores["weighting"]
    assert w["converged"] and w["margins"] == ["Region", "Age"] and w["n"] == 100
    assert w["n_eff"] == pytest.approx(82.7586, abs=1e-3) and w["efficiency"] == pytest.approx(0.827586, abs=1e-6)
    # the whole file is the window here, so the sample's Kish n_eff is the raking's
    assert scores["sample"]["n_eff"] == pytest.approx(w["n_eff"], abs=1e-3)
    north = next(s for s in w["shares"] if s["segment"] == "Region" and s["group"] == "North")
    assert north["sample"] == pytest.approx(0.5) and north["target"] == 0.5
    young = next(s for s in w["shares"] if s["group"] == "young")
    assert young["sample"] == pytest.approx(0.4) and young["achieved"] == pytest.approx(0.6, abs=1e-6)

    out = tmp_path / "out"
    result = _run("build", project, "-o", out, "--format", "html,xlsx")
    assert result.exit_code == 0, result.output
    soup = BeautifulSoup((out / "report.html").read_text(encoding="utf-8"), "html.parser")
    value = soup.select_one("div.kpis div.kpi div.value").get_text(strip=True)
    assert value.replace("−", "-").lstrip("+") == "25"
    table = soup.select_one("table.raking")
    rows = [[c.get_text(strip=True) for c in tr.find_all(["th", "td"])] for tr in table.tbody.find_all("tr")]
    young_row = next(r for r in rows if "young" in r)
    assert young_row[-4:] == ["40", "40.0%", "60.0%", "60.0%"]
    text = soup.get_text(" ", strip=True)
    assert "raking (iterative proportional fitting)" in text and "converged in" in text
    assert "weighting efficiency 82.8%" in text

    from openpyxl import load_workbook

    sheet = load_workbook(out / "report.xlsx")["Weighting"]
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0][:3] == ["Segment", "Group", "Respondents"]
    young = next(r for r in values if r[1] == "young")
    assert young[:3] == ["Age", "young", 40] and young[3:6] == pytest.approx([40, 60, 60], abs=1e-3)


def test_validate_prints_one_summary_line(tmp_path):
    result = _run("validate", _project(tmp_path, {"rake": MARGINS, "trim": [0.3, 3]}))
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.startswith("Weighting:")]
    assert len(lines) == 1
    assert "raked to Region, Age; converged in" in lines[0]
    assert "efficiency 82.8%, effective n 83 of 100" in lines[0] and "0.50–2.00 × mean" in lines[0]
    assert "trimmed to [0.3, 3] × mean (none capped)" in lines[0]


def test_groups_match_in_any_case_and_not_stated_can_have_a_share(tmp_path):
    rows = _rows()
    rows[0][1] = ""                                   # one respondent without a region
    rows[1][1] = "  north "
    weighting = {"rake": {"Region": {"NORTH": 0.49, "south": 0.5, "Not stated": 0.01},
                          "Age": {"Young": 0.6, "OLD": 0.4}}}
    result = _run("score", _project(tmp_path, weighting, rows))
    assert result.exit_code == 0, result.output
    shares = {(s["segment"], s["group"]): s for s in json.loads(result.stdout)["weighting"]["shares"]}
    assert shares[("Region", "Not stated")]["respondents"] == 1
    assert shares[("Region", "Not stated")]["achieved"] == pytest.approx(0.01, abs=1e-6)
    assert ("Region", "NORTH") in shares           # shown in the project file's spelling
    regions = json.loads(result.stdout)["segments"][0]
    assert [g["label"] for g in regions["groups"]][:2] == ["NORTH", "south"]


def test_non_convergence_is_a_warning_and_a_note_in_the_report(tmp_path):
    codes, targets = _skewed()
    rows = [[f"R{i}", "ABC"[a], "XY"[b], 9] for i, (a, b) in enumerate(zip(codes[0], codes[1]))]
    weighting = {"rake": {"Region": {"A": 0.4, "B": 0.35, "C": 0.25}, "Age": {"X": 0.5, "Y": 0.5}},
                 "max_iterations": 1}
    project = _project(tmp_path, weighting, rows)
    result = _run("validate", project)
    assert result.exit_code == 0
    assert "NOT converged after 1 iteration (largest gap" in result.stdout
    assert "weighting: raking did not converge in 1 iteration: the weighted share of Region 'C' is " in result.stderr
    assert "raise weighting.max_iterations" in result.stderr
    out = tmp_path / "out"
    assert _run("build", project, "-o", out, "--format", "html").exit_code == 0
    text = BeautifulSoup((out / "report.html").read_text(encoding="utf-8"), "html.parser").get_text(" ")
    assert "The raking did not converge in 1 iteration: a weighted share still differs from its target by" \
        in " ".join(text.split())


# --------------------------------------------------------------------------- hostile settings

HOSTILE = [
    ({"rake": {"Region": {"North": 0.4, "South": 0.4, "East": 0.2}, "Age": MARGINS["Age"]}},
     "weighting.rake.Region.East: no respondent in data.csv is in group 'East' of 'region'"),
    ({"rake": {"Region": {"North": 1.0}, "Age": MARGINS["Age"]}},
     "weighting.rake.Region: group 'South' of 'region' in data.csv (50 respondents, rows 52, 53, 54, …) has no "
     "share; every group in the data needs one"),
    ({"rake": {"Region": {"North": 0.5, "South": 0.6}}},
     "weighting.rake.Region: the shares sum to 1.1, not 1 (±0.001)"),
    ({"rake": {"Region": {"North": 50, "South": 50}}},
     "weighting.rake.Region.North: share 50 is above 1; give shares (0.25), not percentages"),
    ({"rake": {"Region": {"North": -0.5, "South": 1.5}}},
     "weighting.rake.Region.North: share -0.5 must be above 0"),
    ({"rake": {"Region": {"North": 0, "South": 1}}},
     "weighting.rake.Region.North: share 0 must be above 0"),
    ({"rake": {"region": MARGINS["Region"]}},
     "weighting.rake.region: no segment 'region' in columns.segments (did you mean 'Region'?)"),
    ({"rake": {"Region": {"North": 0.5, "north ": 0.5}}},
     "weighting.rake.Region.north: 'north' and 'North' are the same group"),
    ({"rake": {"Region": {}}}, "weighting.rake.Region: a margin needs the share of each group"),
    ({"rake": {}}, "weighting.rake: name at least one segment and the population share of each of its groups"),
    ({"rake": MARGINS, "trim": [2, 3]}, "weighting.trim: [2, 3] must be [lower, upper] with 0 < lower ≤ 1 ≤ upper"),
    ({"rake": MARGINS, "trim": [0, 3]}, "weighting.trim: [0, 3] must be [lower, upper]"),
    ({"rake": MARGINS, "trim": [1, 1]}, "weighting.trim: lower and upper are both 1"),
    ({"rake": MARGINS, "trim": [0.5]}, "weighting.trim: give the bounds as [lower, upper] multiples of the mean"),
    ({"rake": MARGINS, "tolerance": 0}, "weighting.tolerance: Input should be greater than 0"),
    ({"rake": MARGINS, "max_iterations": 0}, "weighting.max_iterations: Input should be greater than or equal to 1"),
    ({"rake": {"Region": {"North": "half", "South": 0.5}}}, "weighting.rake.Region.North: Input should be a valid number"),
    ({"rake": MARGINS, "trimm": [0.3, 3]}, "weighting.trimm: unknown key (did you mean 'trim'?)"),
    ({"rake": {"Region": "North 0.5"}}, "weighting.rake.Region: expected a mapping of settings, got text"),
]


@pytest.mark.parametrize("command", ["validate", "build"])
@pytest.mark.parametrize("weighting, message", HOSTILE, ids=[m[:48] for _w, m in HOSTILE])
def test_hostile_settings_exit_1_with_one_line(tmp_path, command, weighting, message):
    project = _project(tmp_path, weighting)
    args = [command, project] + (["-o", tmp_path / "out", "--format", "html"] if command == "build" else [])
    result = _run(*args)
    assert result.exit_code == 1, result.output
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "out" / "report.html").exists()


def test_blank_answers_need_a_not_stated_share(tmp_path):
    rows = _rows()
    rows[4][1] = ""
    rows[7][1] = " "
    result = _run("validate", _project(tmp_path, None, rows))
    assert result.exit_code == 1
    assert ("weighting.rake.Region: 2 respondents of data.csv have no value in 'region' (rows 6, 9); give the "
            "group 'Not stated' a share (2.0% of the sample) or fill in the blanks") in result.stderr


def test_every_margin_problem_is_listed_at_once(tmp_path):
    weighting = {"rake": {"Region": {"North": 0.3, "South": 0.3, "East": 0.4}, "Age": {"young": 1.0}}}
    result = _run("score", _project(tmp_path, weighting))
    assert result.exit_code == 1
    assert "data.csv: 2 problems with the weighting margins" in result.stderr
    assert "weighting.rake.Region.East:" in result.stderr and "group 'old' of 'age'" in result.stderr


def test_a_multi_punch_question_cannot_be_raked(tmp_path):
    columns = dict(COLUMNS, multi_punch={"Products": {"column": "products"}})
    rows = [r + ["1;2"] for r in _rows()]
    project = _project(tmp_path, {"rake": {"Products": {"1": 0.5, "2": 0.5}}}, rows, columns, HEADER + ["products"])
    result = _run("validate", project)
    assert result.exit_code == 1
    assert "weighting.rake.Products: no segment 'Products' in columns.segments ('Products' is a multi-punch" \
        in result.stderr


def test_numbers_as_group_names(tmp_path):
    rows = [[r[0], {"North": 1, "South": 2}[r[1]], r[2], r[3]] for r in _rows()]
    weighting = {"rake": {"Region": {1: 0.5, 2: 0.5}, "Age": MARGINS["Age"]}}
    project = _project(tmp_path, weighting, rows)
    assert yaml.safe_load(project.read_text())["weighting"]["rake"]["Region"] == {1: 0.5, 2: 0.5}
    result = _run("score", project)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["overall"]["nps"]["nps"]["value"] == pytest.approx(24.8333, abs=1e-3)


# --------------------------------------------------------------------------- per period

def _dated(split) -> tuple[list[list], dict, list[str]]:
    rows = [r + ["2026-01-15" if split(i, r) else "2026-04-15"] for i, r in enumerate(_rows())]
    return rows, dict(COLUMNS, date="date"), HEADER + ["date"]


def test_per_period_rakes_each_period_to_the_margins(tmp_path):
    from cxreport.config import load_project
    from cxreport.pipeline import validate_project

    # two quarters of different make-up: Q1 has half the North and a quarter of the South
    rows, columns, header = _dated(lambda i, r: i % (2 if r[1] == "North" else 4) == 0)
    project = _project(tmp_path, {"rake": MARGINS, "per_period": True}, rows, columns, header)
    _table, data = validate_project(load_project(project))
    region = next(s for s in data.segments if s.name == "Region")
    north = region.labels.index("North")
    for code in (0, 1):
        rows_in = data.period_codes == code
        w = data.weights[rows_in]
        assert (w * (region.codes[rows_in] == north)).sum() / w.sum() == pytest.approx(0.5, abs=1e-6)
        assert w.sum() == pytest.approx(rows_in.sum())          # each period keeps its own total
    # raked as one file instead, each quarter is off the targets
    whole = _project(tmp_path / "whole", {"rake": MARGINS}, rows, columns, header)
    _table, data = validate_project(load_project(whole))
    w = data.weights[data.period_codes == 0]
    assert abs((w * (region.codes[data.period_codes == 0] == north)).sum() / w.sum() - 0.5) > 0.01

    result = _run("score", project)
    assert result.exit_code == 0, result.output
    w = json.loads(result.stdout)["weighting"]
    assert w["per_period"] is True and [p["period"] for p in w["periods"]] == ["2026 Q1", "2026 Q2"]
    q1 = sum(1 for r in rows if r[-1] == "2026-01-15")
    assert [p["n"] for p in w["periods"]] == [q1, 100 - q1] and all(p["converged"] for p in w["periods"])
    result = _run("validate", project)
    assert "Weighting: raked to Region, Age within each of 2 periods; converged in" in result.stdout
    out = tmp_path / "out"
    assert _run("build", project, "-o", out, "--format", "html").exit_code == 0
    soup = BeautifulSoup((out / "report.html").read_text(encoding="utf-8"), "html.parser")
    table = soup.select_one("table.raking-periods")
    assert [tr.th.get_text(strip=True) for tr in table.tbody.find_all("tr")] == ["2026 Q1", "2026 Q2"]


def test_per_period_needs_every_group_in_every_period(tmp_path):
    rows, columns, header = _dated(lambda i, r: i < 50)          # the first quarter is all North
    project = _project(tmp_path, {"rake": MARGINS, "per_period": True}, rows, columns, header)
    for command in ("validate", "build"):
        result = _run(command, project, *(["-o", tmp_path / "out"] if command == "build" else []))
        assert result.exit_code == 1
        assert ("weighting.rake.Region.South: no respondent of 2026 Q1 in data.csv is in group 'South' of "
                "'region' (columns.segments.Region), so 2026 Q1 cannot be raked on its own (weighting.per_period)"
                in result.stderr), result.stderr


def test_per_period_needs_dates(tmp_path):
    result = _run("validate", _project(tmp_path, {"rake": MARGINS, "per_period": True}))
    assert result.exit_code == 1
    assert "weighting.per_period: needs response dates: columns.date is not mapped" in result.stderr


def test_trim_from_the_project_file_caps_the_weights(tmp_path):
    codes, targets = _skewed()
    rows = [[f"R{i}", "ABC"[a], "XY"[b], "PQRS"[c], 9] for i, (a, b, c) in enumerate(zip(*codes))]
    columns = dict(COLUMNS, segments={"Region": "region", "Age": "age", "Channel": "channel"})
    margins = {name: dict(zip(letters, target.tolist()))
               for name, letters, target in zip(["Region", "Age", "Channel"], ["ABC", "XY", "PQRS"], targets)}
    project = _project(tmp_path, {"rake": margins, "trim": [0.3, 6]}, rows, columns,
                       ["id", "region", "age", "channel", "q_nps"])
    result = _run("score", project)
    assert result.exit_code == 0, result.output
    w = json.loads(result.stdout)["weighting"]
    assert w["converged"] and w["rounds"] > 1 and w["trimmed"] > 0 and w["trim"] == [0.3, 6]
    assert 0.3 * (1 - 1e-5) <= w["min_weight"] and w["max_weight"] <= 6 * (1 + 1e-5)
    assert all(abs(s["achieved"] - s["target"]) <= 1e-6 for s in w["shares"])
    free = rake(codes, targets)
    assert w["efficiency"] > free.efficiency                    # trimming bought precision
    result = _run("validate", project)
    assert f"trimmed to [0.3, 6] × mean ({w['trimmed']:,} weights capped)" in result.stdout
