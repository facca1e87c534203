"""Multiple-comparison control (METHODS.md §8, issue 15): ``significance.adjust``.

The p-values of one table are adjusted together (Benjamini–Hochberg by default, Bonferroni,
or none) and every mark — the HTML table, the key findings, the scores JSON, the workbook —
follows the adjusted decision.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from scipy.stats import false_discovery_control

from cxreport.cli import cli
from cxreport.config.schema import Level, Significance, adjust_method
from cxreport.pipeline import run
from cxreport.scoring.stats import TestResult as Result, adjust_pvalues
from cxreport.scoring.survey import Change, adjust_table, segment_changes

from table_project import write_project

# METHODS.md §8's worked example.
EXAMPLE = [0.001, 0.008, 0.039, 0.041, 0.042, 0.060, 0.074, 0.205, 0.212, 0.216]
EXAMPLE_BH = [0.010, 0.040, 0.084, 0.084, 0.084, 0.100, 0.10571, 0.216, 0.216, 0.216]


def test_worked_example_bh_and_bonferroni():
    bh = adjust_pvalues(EXAMPLE, "bh")
    assert bh == pytest.approx(EXAMPLE_BH, abs=5e-6)
    assert int((bh <= 0.05).sum()) == 2
    bonferroni = adjust_pvalues(EXAMPLE, "bonferroni")
    assert bonferroni[:2] == pytest.approx([0.01, 0.08])
    assert int((bonferroni <= 0.05).sum()) == 1
    assert int((adjust_pvalues(EXAMPLE, "none") <= 0.05).sum()) == 5


def _changes(p_values, diffs=None) -> dict[str, Change]:
    diffs = diffs or [1.0] * len(p_values)
    return {f"k{i}": Change(Result(d, 2.0, p, "test"), 0) for i, (p, d) in enumerate(zip(p_values, diffs))}


@pytest.mark.parametrize("method, marked", [("bh", 2), ("bonferroni", 1), ("none", 5)])
def test_worked_example_marks_through_adjust_table(method, marked):
    changes = _changes(EXAMPLE, [1.0, -1.0] * 5)
    m = adjust_table([(changes, k) for k in changes], Level(0.05, method))
    assert m == 10
    marks = [c.mark for c in changes.values()]
    assert sum(1 for x in marks if x) == marked
    # the marks keep the direction of the difference, the raw test is untouched
    assert marks[:2] == ([1, -1] if marked >= 2 else [1, 0])
    assert [c.test.p_value for c in changes.values()] == EXAMPLE
    assert all(c.m == 10 and c.method == method for c in changes.values())


@pytest.mark.parametrize("seed", range(6))
def test_bh_matches_scipy(seed):
    rng = np.random.default_rng(seed)
    m = int(rng.integers(1, 400))
    p = rng.uniform(0, 1, m) ** rng.uniform(1, 6)     # skewed towards 0, as real tables are
    p[rng.integers(0, m, m // 5)] = p[0]               # ties
    assert adjust_pvalues(p, "bh") == pytest.approx(false_discovery_control(p, method="bh"), rel=1e-12, abs=1e-15)
    assert adjust_pvalues(p, "bonferroni") == pytest.approx(np.minimum(1, m * p), rel=1e-12)


def test_a_test_without_p_value_is_not_counted_and_never_marked():
    changes = _changes([0.01, math.nan, 0.02])
    assert adjust_table([(changes, k) for k in changes], 0.05) == 2
    assert changes["k1"].mark == 0 and math.isnan(changes["k1"].p_adjusted)
    assert changes["k0"].p_adjusted == pytest.approx(0.02) and changes["k2"].p_adjusted == pytest.approx(0.02)


def test_one_comparison_is_left_as_it_is():
    changes = _changes([0.049])
    adjust_table([(changes, "k0")], 0.05)
    assert changes["k0"].p_adjusted == pytest.approx(0.049) and changes["k0"].mark == 1 and changes["k0"].m == 1


def test_adjusting_again_starts_from_the_raw_p_values():
    changes = _changes(EXAMPLE)
    adjust_table([(changes, k) for k in list(changes)[:3]], 0.05)      # a smaller table first
    adjust_table([(changes, k) for k in changes], 0.05)                # then the whole table
    assert [c.p_adjusted for c in changes.values()] == pytest.approx(EXAMPLE_BH, abs=5e-6)


def test_level_carries_the_method():
    assert adjust_method(Significance().alpha) == "bh"
    sig = Significance(alpha=0.01, adjust="bonferroni")
    assert sig.alpha == 0.01 and adjust_method(sig.alpha) == "bonferroni"
    assert adjust_method(0.05) == "bh"          # a plain float: the default


# --------------------------------------------------------------------------- a constructed project

# Region groups: (respondents, promoters, detractors); the rest are passives. Five groups differ
# from the rest of the sample at p < 0.05 on their own (Alpha, Charlie, Delta, Echo, Foxtrot);
# adjusted together over the table's 10 comparisons, Benjamini–Hochberg keeps four (Foxtrot,
# p = 0.028, goes) and Bonferroni three (Charlie, p = 0.010, goes too).
DESIGN = {
    "Alpha": (400, 220, 60), "Bravo": (150, 74, 27), "Charlie": (50, 28, 5), "Delta": (50, 12, 16),
    "Echo": (400, 120, 110), "Foxtrot": (50, 36, 12), "Golf": (250, 100, 50), "Hotel": (250, 98, 52),
    "India": (250, 100, 48), "Juliet": (250, 102, 50),
}


def _rows() -> list[list]:
    rows, i = [], 0
    for group, (n, promoters, detractors) in DESIGN.items():
        for k in range(n):
            i += 1
            rows.append([f"R{i:05d}", group, 10 if k < promoters else 0 if k < promoters + detractors else 8])
    return rows


def _project(folder: Path, adjust: str | None) -> Path:
    extra = {} if adjust is None else {"significance": {"adjust": adjust}}
    return write_project(folder, {"respondent_id": "id", "nps": "q", "segments": {"Region": "region"}},
                         ["id", "region", "q"], _rows(), **extra)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The project built (HTML, workbook) and scored (JSON) under each adjustment."""
    out = {}
    runner = CliRunner()
    for adjust in (None, "bh", "bonferroni", "none"):
        folder = tmp_path_factory.mktemp(f"mc-{adjust}")
        path = _project(folder, adjust)
        result = runner.invoke(cli, ["build", str(path), "-o", str(folder / "out"), "--format", "html,xlsx,pptx"])
        assert result.exit_code == 0, result.output
        result = runner.invoke(cli, ["score", str(path), "-o", str(folder / "scores.json")])
        assert result.exit_code == 0, result.output
        out[adjust] = folder
    return out


def _html_marks(folder: Path) -> dict[str, int]:
    soup = BeautifulSoup((folder / "out" / "report.html").read_text(encoding="utf-8"), "html.parser")
    table = next(t for t in soup.find_all("table") if t.caption and t.caption.get_text(strip=True) == "Region")
    marks = {}
    for row in table.tbody.find_all("tr"):
        label = row.th.get_text(strip=True)
        if label == "Total":
            continue
        cell = row.find_all("td")[-1]
        marks[label] = 1 if cell.select_one(".sig.up") else -1 if cell.select_one(".sig.down") else 0
    return marks


def _json(folder: Path) -> dict:
    return json.loads((folder / "scores.json").read_text(encoding="utf-8"))


def _json_changes(folder: Path) -> dict[str, dict]:
    region = _json(folder)["segments"][0]
    return {g["label"]: g["changes"]["nps"] for g in region["groups"]}


def _workbook_marks(folder: Path) -> dict[str, int]:
    ws = openpyxl.load_workbook(folder / "out" / "report.xlsx")["By region"]
    rows = list(ws.iter_rows(values_only=True))
    sig = rows[0].index("NPS sig")
    return {r[0]: {"higher": 1, "lower": -1}.get(r[sig], 0) for r in rows[1:] if r[0] in DESIGN}


def _deck(folder: Path) -> tuple[dict[str, int], list[str]]:
    """The deck's Region table marks and its sentences naming a region."""
    from pptx import Presentation

    marks, sentences = {}, []
    for slide in Presentation(str(folder / "out" / "report.pptx")).slides:
        for shape in slide.shapes:
            if shape.has_table:
                rows = [[c.text for c in r.cells] for r in shape.table.rows]
                if rows[0][0] == "Region":
                    nps = rows[0].index("NPS")
                    marks = {r[0]: 1 if "▲" in r[nps] else -1 if "▼" in r[nps] else 0 for r in rows[1:]
                             if r[0] in DESIGN}
            elif shape.has_text_frame and "(region)" in shape.text_frame.text:
                sentences += [p.text for p in shape.text_frame.paragraphs if "(region)" in p.text]
    return marks, sentences


def _segment_sentences(folder: Path) -> list[str]:
    soup = BeautifulSoup((folder / "out" / "report.html").read_text(encoding="utf-8"), "html.parser")
    return [li.get_text(" ", strip=True) for li in soup.select(".findings li") if "(region)" in li.get_text()]


def _named(sentences: list[str]) -> set[str]:
    return {s.split(" (region)")[0] for s in sentences}


def test_raw_p_values_flag_five_groups(built):
    changes = _json_changes(built["none"])
    raw = {g for g, c in changes.items() if c["p_value"] < 0.05}
    assert raw == {"Alpha", "Charlie", "Delta", "Echo", "Foxtrot"}
    # the raw p-values do not depend on the adjustment
    for adjust in ("bh", "bonferroni"):
        assert {g: c["p_value"] for g, c in _json_changes(built[adjust]).items()} == \
            {g: c["p_value"] for g, c in changes.items()}


@pytest.mark.parametrize("adjust, expected", [
    (None, {"Alpha": 1, "Charlie": 1, "Delta": -1, "Echo": -1}),
    ("bh", {"Alpha": 1, "Charlie": 1, "Delta": -1, "Echo": -1}),
    ("bonferroni", {"Alpha": 1, "Delta": -1, "Echo": -1}),
    ("none", {"Alpha": 1, "Charlie": 1, "Delta": -1, "Echo": -1, "Foxtrot": 1}),
])
def test_every_output_follows_the_adjusted_decision(built, adjust, expected):
    folder = built[adjust]
    want = {g: expected.get(g, 0) for g in DESIGN}
    assert _html_marks(folder) == want
    assert _workbook_marks(folder) == want
    changes = _json_changes(folder)
    assert {g: c["mark"] for g, c in changes.items()} == want
    method = adjust or "bh"
    # the JSON shows both p-values; the mark is the adjusted one's
    p = [changes[g]["p_value"] for g in DESIGN]
    adjusted = adjust_pvalues(p, method)
    for g, q in zip(DESIGN, adjusted):
        assert changes[g]["p_adjusted"] == pytest.approx(q, abs=1e-7)   # p_value is rounded to 1e-8
        assert changes[g]["comparisons"] == 10
        assert (changes[g]["mark"] != 0) == (q <= 0.05)
    assert _json(folder)["settings"]["adjust"] == method
    deck_marks, deck_sentences = _deck(folder)
    assert deck_marks == want
    # key findings (report and deck) name only groups the table marks, in the direction it marks them
    sentences = _segment_sentences(folder)
    assert sentences and deck_sentences
    for sentence in sentences + deck_sentences:
        group = sentence.split(" (region)")[0]
        assert want[group] == (1 if "stands out" in sentence or "leads" in sentence else
                               -1 if "lags" in sentence or "trails" in sentence else 0), sentence


def test_findings_change_with_the_adjustment(built):
    # unadjusted, the two largest differences are Delta and Foxtrot; adjusted, Foxtrot is no
    # longer significant and the next marked group (Charlie) is named instead
    assert _named(_segment_sentences(built["none"])) == {"Delta", "Foxtrot"}
    assert _named(_segment_sentences(built["bh"])) == {"Delta", "Charlie"}


def test_bonferroni_marks_no_more_than_bh(built):
    bh = {g for g, m in _html_marks(built["bh"]).items() if m}
    bonferroni = {g for g, m in _html_marks(built["bonferroni"]).items() if m}
    none = {g for g, m in _html_marks(built["none"]).items() if m}
    assert bonferroni <= bh <= none
    assert len(bonferroni) < len(bh) < len(none) == 5


def test_report_names_the_method(built):
    def text(folder):
        return BeautifulSoup((folder / "out" / "report.html").read_text(encoding="utf-8"),
                             "html.parser").get_text(" ", strip=True)
    bh = text(built["bh"])
    assert "p-values adjusted for the 10 comparisons in this table (Benjamini–Hochberg)." in bh
    assert "adjusted together (Benjamini–Hochberg)" in bh and "at most 0.05" in bh     # the methodology
    assert "1 in 20" not in bh
    bonferroni = text(built["bonferroni"])
    assert "p-values adjusted for the 10 comparisons in this table (Bonferroni)." in bonferroni
    none = text(built["none"])
    assert "p-values adjusted for" not in none
    assert "The p-values are not adjusted for the number of comparisons" in none
    defs = {r[0]: r[1] for r in openpyxl.load_workbook(built["bh"] / "out" / "report.xlsx")["Definitions"]
            .iter_rows(values_only=True)}
    assert "Benjamini–Hochberg" in defs["Multiple comparisons"]


def test_unknown_adjustment_is_refused(tmp_path):
    path = _project(tmp_path / "p", "holm")
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 1
    assert "significance.adjust" in result.output and "Traceback" not in result.output


def test_a_units_change_is_one_decision_whatever_keys_are_asked_for(tmp_path):
    """The window against the period before, by segment: the table is the segment's groups ×
    every KPI, so asking for one KPI (key findings, journey) marks what the scorecard marks."""
    rng = np.random.default_rng(7)
    rows = []
    for i in range(3000):
        region = ["North", "South", "East", "West", "Central"][i % 5]
        quarter = "2026-04-15" if i < 1500 else "2026-07-15"
        lift = {"North": 2, "South": -2, "East": 1}.get(region, 0) if quarter > "2026-06" else 0
        nps = int(np.clip(rng.normal(7 + lift * 0.6, 2.2), 0, 10))
        csat = int(np.clip(rng.normal(3.8 + lift * 0.25, 0.9), 1, 5))
        rows.append([f"R{i}", region, quarter, nps, csat])
    path = write_project(tmp_path / "p", {"respondent_id": "id", "nps": "q_nps", "csat": "q_csat", "date": "d",
                                          "segments": {"Region": "region"}},
                         ["id", "region", "d", "q_nps", "q_csat"], rows, periods={"unit": "quarter"})
    study = run(path)
    data = study.view.full
    now = data.period_codes == 1
    before = data.period_codes == 0
    both = segment_changes(data, now, before, study.results.rules, study.results.alpha, keys=["nps", "csat"])
    one = segment_changes(data, now, before, study.results.rules, study.results.alpha, keys=["nps"])
    marks_both = {u.label: (u.changes["nps"].mark, u.changes["nps"].m) for u in both["Region"]}
    marks_one = {u.label: (u.changes["nps"].mark, u.changes["nps"].m) for u in one["Region"]}
    assert marks_one == marks_both
    assert all(m == 10 for _, m in marks_both.values())


# --------------------------------------------------------------------------- other tables


@pytest.mark.parametrize("method, marked", [("bh", 2), ("bonferroni", 1), ("none", 5)])
def test_competitor_table_is_adjusted_per_metric(method, marked):
    from cxreport.benchmark.competitors import BrandValue, adjust_brands

    own = BrandValue("Us", 30.0, own=True)
    rivals = [BrandValue(f"B{i}", 20.0, diff=(5.0 if i % 2 else -5.0), p_value=p, testable=True)
              for i, p in enumerate(EXAMPLE)]
    untested = BrandValue("No base", 25.0)
    adjust_brands([own, *rivals, untested], Level(0.05, method))
    assert sum(1 for b in rivals if b.mark) == marked
    assert [b.p_adjusted for b in rivals] == pytest.approx(list(adjust_pvalues(EXAMPLE, method)))
    assert rivals[0].mark == -1 and rivals[1].mark in (0, 1)
    assert own.p_adjusted is None and untested.p_adjusted is None and untested.mark == 0


@pytest.mark.parametrize("method, marked", [("bh", 2), ("bonferroni", 1), ("none", 5)])
def test_response_time_channels_are_one_table(method, marked):
    from cxreport.scoring.response import Compliance, _adjust_channels

    rows = [Compliance(f"C{i}", None, change=(-4.0 if i else 4.0), p_value=p) for i, p in enumerate(EXAMPLE)]
    rows.append(Compliance("untested", None))
    _adjust_channels(rows, Level(0.05, method))
    assert sum(1 for c in rows if c.mark) == marked
    assert rows[0].mark == 1 and rows[-1].mark == 0 and rows[-1].p_adjusted is None


def test_sample_trend_and_scorecard_make_one_decision():
    """The window against the previous period is one table in the scorecard and the trend's
    last row: the same adjusted p-values and marks in both."""
    root = Path(__file__).resolve().parents[1]
    study = run(root / "samples" / "harbour-bank" / "cxreport.yaml")
    last = study.results.periods.groups[-1]
    for kind, changes in (("previous", last.changes), ("year_ago", last.year_on_year)):
        comparison = study.comparison(kind)
        assert comparison is not None and set(comparison.changes) == set(changes)
        for key, change in changes.items():
            other = comparison.changes[key]
            assert (other.mark, other.m) == (change.mark, change.m), (kind, key)
            assert other.p_adjusted == pytest.approx(change.p_adjusted, rel=1e-9), (kind, key)
    # the segment tables: every group × KPI of a breakdown adjusted together
    kpis = [s.key for s in study.results.kpis]
    for breakdown in study.results.segments:
        cells = [g.changes[k] for g in breakdown.groups for k in kpis if k in g.changes]
        m = sum(1 for c in cells if math.isfinite(c.test.p_value))
        assert all(c.m == m for c in cells) and breakdown.tables["kpis"] == m
        adjusted = adjust_pvalues([c.test.p_value for c in cells], "bh")
        assert [c.p_adjusted for c in cells] == pytest.approx(list(adjusted), nan_ok=True)
        assert [c.mark for c in cells] == [c.test.direction if q <= 0.05 else 0 for c, q in zip(cells, adjusted)]
