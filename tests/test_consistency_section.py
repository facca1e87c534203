"""Consistency across channels, end to end (issue 16, item 5; docs/methods.md, "Consistency
across channels"): the study step's figures against an independent pandas/scipy calculation,
the client report's section, the quarterly review's block, the scores JSON and the workbook's
sheet agreeing, hostile settings refused alike by validate, score and build, and the section
switched off by report.sections."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from scipy import stats as sps

from cxreport.cli import cli
from cxreport.present.formatting import gap as fmt_gap
from tests import test_validate_promise as ns

CHANNELS = ("App", "Branch", "Phone")
#: Each channel's chance of a promoter and of a detractor, and its CSAT lean.
PROFILE = {"App": (0.55, 0.15, 1), "Branch": (0.45, 0.20, 0), "Phone": (0.25, 0.40, -1)}


def _data(n: int = 900) -> str:
    rng = random.Random(16)
    rows = []
    months = [(2026, m) for m in range(4, 10)]          # 2026 Q2 and Q3
    for i in range(n):
        year, month = months[i % len(months)]
        channel = CHANNELS[(i // 7) % 3] if i % 11 else ""     # some rows without a channel
        p, d, lean = PROFILE[channel or "Branch"]
        u = rng.random()
        nps = rng.randint(9, 10) if u < p else (rng.randint(0, 6) if u < p + d else rng.randint(7, 8))
        csat = min(5, max(1, rng.randint(2, 5) + lean))
        rows.append([f"R{i:04d}", f"{year}-{month:02d}-{1 + i % 27:02d}", ["North", "South"][i % 2], "Use",
                     channel, nps, csat, rng.randint(1, 7), rng.randint(1, 5), rng.randint(1, 5),
                     rng.randint(1, 5), rng.randint(1, 10), ""])
    return ns._csv(rows)


DATA = _data()
CONFIG = {"columns": {"segments": {"Region": "region", "Channel": "touchpoint"}},
          "consistency": {"segment": "Channel", "kpis": ["nps", "csat", "attr:Speed"]},
          "report": {"period": "2026-Q3"}}


def _project(folder: Path, config: dict | None = None) -> Path:
    case = ns.Case(ns._merge(CONFIG, config or {}), "")
    path = ns.write_case(folder, case)
    (folder / "data" / "responses.csv").write_text(DATA, encoding="utf-8")
    return path


def _run(*args) -> object:
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The project scored (JSON), built (HTML, workbook) and its quarterly review built."""
    folder = tmp_path_factory.mktemp("cx")
    path = _project(folder / "p")
    out = {}
    r = _run("score", path, "-o", folder / "scores.json")
    assert r.exit_code == 0, r.output
    out["json"] = json.loads((folder / "scores.json").read_text(encoding="utf-8"))["consistency"]
    r = _run("build", path, "-o", folder / "out", "--format", "html,xlsx")
    assert r.exit_code == 0, r.output
    out["html"] = BeautifulSoup((folder / "out" / "report.html").read_text(encoding="utf-8"), "html.parser")
    out["xlsx"] = next((folder / "out").glob("*.xlsx"))
    r = _run("build", path, "-o", folder / "q", "--format", "html", "--report", "quarterly")
    assert r.exit_code == 0, r.output
    out["quarterly"] = BeautifulSoup(next((folder / "q").glob("*.html")).read_text(encoding="utf-8"), "html.parser")
    return out


# --------------------------------------------------------------------------- independent figures


def _window() -> pd.DataFrame:
    frame = pd.read_csv(pd.io.common.StringIO(DATA), keep_default_na=False)
    dates = pd.to_datetime(frame["response_date"])
    return frame[(dates >= "2026-07-01") & (dates < "2026-10-01")]


def _nps(scores: pd.Series) -> tuple[float, float, int]:
    s = pd.to_numeric(scores, errors="coerce").dropna()
    n = len(s)
    p, d = (s >= 9).mean(), (s <= 6).mean()
    return 100 * (p - d), 100 * math.sqrt((p + d - (p - d) ** 2) / n), n


def _bh(p: list[float]) -> list[float]:
    m = len(p)
    order = np.argsort(p)
    adj = np.empty(m)
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, p[i] * m / rank)
        adj[i] = running
    return list(adj)


def test_channel_nps_gap_test_and_index_equal_an_independent_calculation(built):
    block = built["json"]
    w = _window()
    assert block["period"] == "2026 Q3"
    assert block["channels"] == list(CHANNELS)
    assert block["not_stated"] == int((w["touchpoint"] == "").sum())
    assert block["channel_respondents"] == {c: int((w["touchpoint"] == c).sum()) for c in CHANNELS}
    nps = next(k for k in block["kpis"] if k["key"] == "nps")
    figures = {c: _nps(w.loc[w["touchpoint"] == c, "q_nps"]) for c in CHANNELS}
    for ch in nps["channels"]:
        value, _se, n = figures[ch["channel"]]
        assert ch["n"] == n
        assert ch["value"] == pytest.approx(value, abs=1e-6)
    hi = max(CHANNELS, key=lambda c: figures[c][0])
    lo = min(CHANNELS, key=lambda c: figures[c][0])
    gap = nps["largest_gap"]
    assert (gap["high"], gap["low"]) == (hi, lo)
    z = (figures[hi][0] - figures[lo][0]) / math.hypot(figures[hi][1], figures[lo][1])
    assert gap["diff"] == pytest.approx(figures[hi][0] - figures[lo][0], abs=1e-6)
    assert gap["statistic"] == pytest.approx(z, abs=1e-6)
    assert gap["p"] == pytest.approx(2 * sps.norm.sf(abs(z)), abs=1e-6)
    # Every pair of every KPI adjusted together (Benjamini–Hochberg, METHODS.md §8).
    pairs = [p for k in block["kpis"] for p in k["pairs"]]
    assert block["tests"] == len(pairs) == 9 and block["method"] == "bh"
    for p, adj in zip(pairs, _bh([p["p"] for p in pairs])):
        assert p["p_adjusted"] == pytest.approx(adj, abs=2e-6)
    assert gap["significant"] is (gap["p_adjusted"] <= 0.05)
    assert gap["significant"]                  # Phone's NPS is far below App's
    # Index: weights = each channel's share of the (unweighted) base; span 200 for NPS.
    x = np.array([figures[c][0] for c in CHANNELS])
    v = np.array([figures[c][2] for c in CHANNELS], dtype=float)
    mean = (v * x).sum() / v.sum()
    sd = math.sqrt((v * (x - mean) ** 2).sum() / v.sum())
    assert nps["spread_sd"] == pytest.approx(sd, abs=1e-6)
    assert nps["index"] == pytest.approx(100 * (1 - 2 * sd / 200), abs=1e-6)
    # CSAT top-2 % with its two-proportion test; the attribute's mean (span 4 on 1–5).
    csat = next(k for k in block["kpis"] if k["key"] == "csat")
    for ch in csat["channels"]:
        s = pd.to_numeric(w.loc[w["touchpoint"] == ch["channel"], "q_csat"])
        assert ch["value"] == pytest.approx(100 * (s >= 4).mean(), abs=1e-6)
    speed = next(k for k in block["kpis"] if k["key"] == "attr:Speed")
    assert (speed["scale_low"], speed["scale_high"]) == (1, 5)
    # The previous period (2026 Q2) for context.
    assert block["previous_period"] == "2026 Q2" and [k["key"] for k in block["previous"]] == ["nps", "csat", "attr:Speed"]


# --------------------------------------------------------------------------- outputs agree


def _shown(value: float, decimals: int = 0) -> str:
    return f"{value:.{decimals}f}"


def test_report_quarterly_json_and_workbook_agree(built):
    block = built["json"]
    html, quarterly = built["html"], built["quarterly"]
    section = html.find("section", id="consistency")
    assert section is not None
    assert "2026 Q3" in section.find(class_="chapter-period").get_text()
    table = section.find("table", class_="cx-table")
    assert table.find_previous_sibling() is None and table.parent.get("class") == ["table-wrap"]
    from openpyxl import load_workbook

    sheet = load_workbook(built["xlsx"])["Consistency"]
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=2)]
    for k in block["kpis"]:
        tr = table.find("tr", attrs={"data-kpi": k["key"]})
        cells = tr.find_all("td")
        for ch, td in zip(k["channels"], cells):
            assert float(td["data-value"]) == pytest.approx(ch["value"])
        gap_td = tr.find("td", class_="cx-gap")
        assert float(gap_td["data-value"]) == k["largest_gap"]["shown_diff"]
        assert gap_td["data-significant"] == ("yes" if k["largest_gap"]["significant"] else "no")
        assert ("▲" in gap_td.get_text()) is k["largest_gap"]["significant"]
        assert float(cells[-1]["data-value"]) == pytest.approx(k["index"])
        q = quarterly.find("table", class_="cx-review").find("tr", attrs={"data-kpi": k["key"]})
        assert float(q.find("td", attrs={"data-significant": True})["data-value"]) == k["largest_gap"]["shown_diff"]
        assert q.find_all("td")[3].get_text(strip=True) == _shown(k["index"])
        before = block["previous"][block["kpis"].index(k)]
        assert q.find_all("td")[4].get_text(" ", strip=True).startswith(
            f"{fmt_gap(before['largest_gap']['shown_diff'], k['unit'])} · {round(before['index'])}")
        # The workbook: a row per channel with the figure, then the largest gap with the index.
        mine = [r for r in rows if r[0] == k["label"]]
        assert [r[2] for r in mine[:3]] == pytest.approx([ch["value"] for ch in k["channels"]])
        assert mine[3][7] == k["largest_gap"]["shown_diff"] and mine[3][11] == pytest.approx(k["index"])
        assert mine[3][9] == pytest.approx(k["largest_gap"]["p_adjusted"], abs=1e-6)
    # One sentence per KPI, with the figures of the table.
    nps = block["kpis"][0]
    text = section.find("ul", class_="findings").find_all("li")[0].get_text(" ", strip=True)
    assert text.startswith("NPS ranges from ")
    assert f"({nps['largest_gap']['low']})" in text and f"({nps['largest_gap']['high']})" in text
    assert f"consistency index {round(nps['index'])}" in text
    assert ("not significant" not in text) is nps["largest_gap"]["significant"]
    # The chart: one dot plot, with alt text naming every channel's figure.
    img = section.find("figure", id="fig-consistency").find("img")
    assert all(c in img["alt"] for c in CHANNELS)


def test_section_switched_off_by_report_sections(tmp_path):
    sections = ["scorecard", "segments"]
    path = _project(tmp_path / "p", {"report": {"sections": sections}})
    r = _run("build", path, "-o", tmp_path / "out", "--format", "html")
    assert r.exit_code == 0, r.output
    soup = BeautifulSoup((tmp_path / "out" / "report.html").read_text(encoding="utf-8"), "html.parser")
    assert soup.find(id="consistency") is None and soup.find("section", id="scorecard") is not None


def test_no_consistency_config_no_section_and_null_json(tmp_path):
    path = _project(tmp_path / "p", {"consistency": None})
    r = _run("score", path, "-o", tmp_path / "s.json")
    assert r.exit_code == 0, r.output
    assert json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))["consistency"] is None


@pytest.mark.parametrize("config,line", [
    ({"consistency": {"kpis": ["nps", "nsp"]}}, "consistency.kpis[1]: no KPI 'nsp' (did you mean 'nps'?)"),
    ({"consistency": {"channels": ["App", "Phnoe"]}},
     "consistency.channels[1]: no channel 'Phnoe' in segment 'Channel' (did you mean 'Phone'?)"),
])
def test_hostile_settings_stop_validate_score_and_build_with_one_line(tmp_path, config, line):
    path = _project(tmp_path / "p", config)
    results = [_run("validate", path), _run("score", path, "-o", tmp_path / "s.json"),
               _run("build", path, "-o", tmp_path / "out", "--format", "html")]
    lines = [next((ln for ln in r.stderr.splitlines() if ln.startswith("Error:")), "") for r in results]
    assert [r.exit_code for r in results] == [1, 1, 1]
    assert lines[0] == lines[1] == lines[2] and line in lines[0]
    assert all("Traceback" not in r.output for r in results)


def test_channel_without_respondents_in_the_window_is_named(tmp_path):
    """A listed channel with rows only outside the window is not an error: it is named under the table."""
    data = DATA.replace("2026-04-01,North,Use,Phone", "2026-04-01,North,Use,Fax")
    path = _project(tmp_path / "p", {"consistency": {"channels": ["App", "Phone", "Fax"]}})
    (tmp_path / "p" / "data" / "responses.csv").write_text(data, encoding="utf-8")
    assert "Fax" in data
    r = _run("score", path, "-o", tmp_path / "s.json")
    assert r.exit_code == 0, r.output
    block = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))["consistency"]
    assert block["channels"] == ["App", "Phone"] and block["absent"] == ["Fax"]
