"""Properties of the reporting window (docs/periods.md).

1. Whatever window a project asks for — latest, all, a named quarter, a year, a rolling run,
   a date range — every KPI the scorecard context, the score JSON and the workbook's
   "Overall KPIs" sheet show equals the figure computed independently with pandas on the
   window's rows alone (selected here by their dates), weighted or not; and the JSON's
   previous and year-ago comparisons are the figures of their own rows (as many periods or
   days just before; the same periods or dates a year earlier).
2. A segment whose pooled and latest figures differ in sign shows the latest sign in every
   section of the client report, the quarterly review and the JSON, and the pooled sign
   only when the window is 'all'.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import tempfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conftest import csv_text, write_project
from cxreport.cli import cli
from cxreport.export import scores_dict
from cxreport.pipeline import run
from cxreport.present.context import build_context
from cxreport.present.workbook import build_workbook

HEADER = ["resp_id", "response_date", "region", "q_nps", "q_csat", "q_ces", "w"]
#: item key → (label, the JSON figure that is its headline)
ITEMS = {"nps": ("NPS", "nps"), "csat": ("CSAT", "top2"), "ces": ("CES", "mean")}


# --------------------------------------------------------------------------- 1. every KPI = pandas on the window's rows


def quarter_index(date: dt.date) -> int:
    return date.year * 4 + (date.month - 1) // 3


@st.composite
def studies(draw):
    """A generated project's rows and the window it asks for, with the window's own rows."""
    years = draw(st.integers(2, 3))
    calendar = [2024 * 4 + i for i in range(4 * years)]                       # quarter indices
    present = draw(st.lists(st.booleans(), min_size=len(calendar), max_size=len(calendar)))
    quarters = [q for q, keep in zip(calendar, present) if keep]
    if len(quarters) < 2:
        quarters = calendar[-2:]
    weighted = draw(st.booleans())
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    rows = []
    for q in quarters:
        year, first_month = q // 4, 3 * (q % 4) + 1
        start = dt.date(year, first_month, 1)
        length = (dt.date(year + (first_month == 10), (first_month + 2) % 12 + 1, 1) - start).days
        p_nps = rng.dirichlet(np.ones(11) * 0.7)
        p_csat = rng.dirichlet(np.ones(5))
        p_ces = rng.dirichlet(np.ones(7))
        for _k in range(int(rng.integers(8, 26))):
            date = start + dt.timedelta(days=int(rng.integers(0, length)))
            csat = "" if rng.random() < 0.1 else int(rng.choice(5, p=p_csat)) + 1
            ces = "" if rng.random() < 0.1 else int(rng.choice(7, p=p_ces)) + 1
            weight = round(float(rng.uniform(0.2, 3.0)), 2) if weighted else 1
            rows.append([f"R{len(rows):05d}", date.isoformat(), "North" if rng.random() < 0.5 else "South",
                         int(rng.choice(11, p=p_nps)), csat, ces, weight])
    dates = sorted({dt.date.fromisoformat(r[1]) for r in rows})
    years_with_data = sorted({d.year for d in dates})
    named = sorted({(d.year, (d.month - 1) // 3 + 1) for d in dates})
    choices = ["latest", "all", "quarter", "year", "rolling", "range"]
    kind = draw(st.sampled_from(choices))
    last = quarter_index(dates[-1])
    # the window's rows, and those of its previous run and of the same periods a year earlier
    # (docs/periods.md), each as a test on a response date; None where there is no such comparison
    def quarters(first: int, last_: int):
        return lambda d: first <= quarter_index(d) <= last_

    previous = year_ago = None
    if kind in ("latest", "quarter"):
        if kind == "latest":
            spec, index = "latest", last
        else:
            y, q = draw(st.sampled_from(named))
            form = draw(st.sampled_from(["{y}-Q{q}", "{y} Q{q}", "Q{q} {y}", "{y}Q{q}"]))
            spec, index = form.format(y=y, q=q), y * 4 + q - 1
        keep, previous = quarters(index, index), quarters(index - 1, index - 1)
        year_ago = quarters(index - 4, index - 4)
    elif kind == "all":
        spec, keep = "all", lambda d: True
    elif kind == "year":
        y = draw(st.sampled_from(years_with_data))
        spec, keep, previous = str(y), (lambda d, y=y: d.year == y), (lambda d, y=y: d.year == y - 1)
    elif kind == "rolling":
        n = draw(st.integers(1, 6))
        spec, keep, previous = f"last {n} quarters", quarters(last - n + 1, last), quarters(last - 2 * n + 1, last - n)
        if n < 4:
            year_ago = quarters(last - n + 1 - 4, last - 4)
    else:
        i = draw(st.integers(0, len(dates) - 1))
        j = draw(st.integers(i, len(dates) - 1))
        a, b = dates[i], dates[j]
        sep = draw(st.sampled_from(["..", " to "]))
        spec, keep = f"{a.isoformat()}{sep}{b.isoformat()}", lambda d, a=a, b=b: a <= d <= b
        days = (b - a).days + 1
        previous = lambda d, a=a, days=days: a - dt.timedelta(days=days) <= d < a   # noqa: E731
        # the same dates a year earlier; a range of a year or more is left to test_window.py
        year_ago = (lambda d, a=a, b=b: year_back(a) <= d <= year_back(b)) if days < 365 else ...

    def pick(test):
        if test is None or test is ...:
            return test
        return [r for r in rows if test(dt.date.fromisoformat(r[1]))]

    return {"rows": rows, "weighted": weighted, "period": spec, "window": pick(keep), "kind": kind,
            "previous": pick(previous), "year_ago": pick(year_ago)}


def year_back(day: dt.date) -> dt.date:
    """The same date a year earlier (29 February → 28 February)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def expected_figures(window: list[list]) -> dict[str, tuple[float | None, int]]:
    """Each KPI's headline and base on ``window``'s rows, by hand: weighted NPS, CSAT top-2 %,
    CES mean (None where no one answered)."""
    df = pd.DataFrame(window, columns=HEADER)
    w = df["w"].astype(float)
    out = {}
    nps = pd.to_numeric(df["q_nps"], errors="coerce")
    valid = nps.notna()
    out["nps"] = (100 * (w[valid & (nps >= 9)].sum() - w[valid & (nps <= 6)].sum()) / w[valid].sum()
                  if valid.any() else None, int(valid.sum()))
    csat = pd.to_numeric(df["q_csat"].replace("", None), errors="coerce")
    valid = csat.notna()
    out["csat"] = (100 * w[valid & (csat >= 4)].sum() / w[valid].sum() if valid.any() else None, int(valid.sum()))
    ces = pd.to_numeric(df["q_ces"].replace("", None), errors="coerce")
    valid = ces.notna()
    out["ces"] = ((w[valid] * ces[valid]).sum() / w[valid].sum() if valid.any() else None, int(valid.sum()))
    return out


def write(folder: Path, case: dict) -> Path:
    columns = {"comment": None, "ces": "q_ces"}
    if case["weighted"]:
        columns["weight"] = "w"
    return write_project(folder, csv_text(case["rows"], HEADER), columns=columns,
                         bases={"suppress_below": 1, "flag_below": 1},
                         report={"title": "Window property", "period": case["period"]})


@settings(max_examples=120, deadline=None, derandomize=True, database=None, print_blob=False,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(studies())
def test_every_kpi_in_every_output_is_the_windows_figure(case):
    event(f"window: {case['kind']}{', weighted' if case['weighted'] else ''}")
    with tempfile.TemporaryDirectory() as tmp:
        study = run(write(Path(tmp) / "p", case))
    expected = expected_figures(case["window"])
    note = (case["period"], study.window.label, len(case["window"]))
    assert study.results.base == len(case["window"]), note

    scorecard = {row["key"]: row for row in build_context(study)["scorecard"]}
    data = json.loads(json.dumps(scores_dict(study), allow_nan=False))
    sheet = openpyxl.load_workbook(io.BytesIO(build_workbook(study)))["Overall KPIs"]
    header = [c.value for c in sheet[1]]
    assert header[:2] == ["Item", "Value"] and header[5] == "Base"
    workbook = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True)}

    assert data["window"]["label"] == study.window.label and data["window"]["spec"] == case["period"]
    assert data["sample"]["base"] == data["window"]["base"] == len(case["window"]), note
    assert set(scorecard) == set(ITEMS)
    # the comparisons: the previous run and the same periods a year earlier, on their own rows
    comparisons = {c["kind"]: c for c in data["comparisons"]}
    for kind in ("previous", "year_ago"):
        rows = case[kind]
        if rows is ...:
            continue
        if rows is None:
            assert kind not in comparisons, (*note, kind, comparisons.get(kind, {}).get("period"))
            continue
        block = comparisons[kind]
        assert block["base"] == len(rows), (*note, kind, block["period"])
        if not rows:
            assert block["overall"] == {} and block["changes"] == {}, (*note, kind)
            continue
        other = expected_figures(rows)
        for key, (_label, figure) in ITEMS.items():
            value, n = other[key]
            assert block["overall"][key]["n"] == n, (*note, kind, key)
            if value is not None:
                assert block["overall"][key][figure]["value"] == pytest.approx(value, abs=1e-5), (*note, kind, key)
            now = expected[key][0]
            if value is None or now is None:
                continue
            # Welch's t (the CES mean) needs an effective base above 1 on both sides
            testable = key != "ces" or min(block["overall"][key]["n_eff"], data["overall"][key]["n_eff"]) > 1
            diff = block["changes"][key]["diff"]
            if testable or diff is not None:
                assert diff == pytest.approx(now - value, abs=1e-5), (*note, kind, key)
    for key, (label, figure) in ITEMS.items():
        value, n = expected[key]
        where = (*note, key)
        # the score JSON
        item = data["overall"][key]
        assert item["headline"] == figure and item["n"] == n, where
        if value is None:
            assert item[figure]["value"] is None, where
        else:
            assert item[figure]["value"] == pytest.approx(value, abs=1e-5), where
        # the HTML scorecard
        headline = scorecard[key]["headline"]
        assert scorecard[key]["n"] == n, where
        if value is None:
            assert headline["value"] is None, where
        else:
            assert headline["value"] == pytest.approx(value, abs=1e-9), where
        # the workbook
        row = workbook[label]
        assert row[5] == n, where
        if value is None:
            assert row[1] is None, where
        else:
            assert row[1] == pytest.approx(value, abs=1e-9), where


# --------------------------------------------------------------------------- 2. the latest sign, never the pooled one

SIGN_HEADER = ["resp_id", "response_date", "region", "q_nps", "q_csat", "comment"]
SIGN_QUARTERS = [(2025, 1), (2025, 2), (2025, 3), (2025, 4), (2026, 1), (2026, 2), (2026, 3)]
PER_REGION = 60


def sign_rows() -> list[list]:
    """North: NPS +80 in each of the first six quarters (80 % promoters, 20 % passives),
    −85 in the last (85 % detractors); South: 0 throughout (a third in each group)."""
    rows = []
    for qi, (y, q) in enumerate(SIGN_QUARTERS):
        last = qi == len(SIGN_QUARTERS) - 1
        for k in range(PER_REGION):
            north = [10] * 48 + [8] * 12 if not last else [2] * 51 + [7] * 9
            south = [9] * 20 + [7] * 20 + [4] * 20
            for region, answers in (("North", north), ("South", south)):
                rows.append([f"R{len(rows):05d}", f"{y}-{3 * (q - 1) + 1 + k % 3:02d}-{1 + k % 28:02d}", region,
                             answers[k], 1 + k % 5, f"Comment {len(rows)}"])
    return rows


def pandas_nps(rows: list[list], region: str, quarters=None) -> float:
    df = pd.DataFrame(rows, columns=SIGN_HEADER)
    df["date"] = pd.to_datetime(df["response_date"])
    df = df[df["region"] == region]
    if quarters is not None:
        df = df[[(d.year, (d.month - 1) // 3 + 1) in quarters for d in df["date"]]]
    v = df["q_nps"].astype(int)
    return 100 * ((v >= 9).mean() - (v <= 6).mean())


LATEST_NORTH = pandas_nps(sign_rows(), "North", [SIGN_QUARTERS[-1]])
POOLED_NORTH = pandas_nps(sign_rows(), "North")


def invoke(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 0, (result.output, repr(result.exception))
    return result


def sign_of(text: str) -> int:
    """The sign of the first figure in ``text`` ('+80', '−85', '0')."""
    m = re.search(r"([+\u2212-]?)(\d+(?:\.\d+)?)", text)
    assert m, text
    if float(m.group(2)) == 0:
        return 0
    return -1 if m.group(1) in ("\u2212", "-") else 1


def north_cells(soup: BeautifulSoup) -> list[tuple[str, str]]:
    """(heading, NPS cell text) for every table row headed North."""
    out = []
    for th in soup.find_all("th", scope="row"):
        if th.get_text(" ", strip=True).split(" ")[0] != "North":
            continue
        table = th.find_parent("table")
        head = [c.get_text(" ", strip=True) for c in table.find("thead").find_all("th")]
        cells = [th] + th.find_parent("tr").find_all("td")
        heading = table.find_previous(["h2", "h3"]).get_text(" ", strip=True)
        out.append((heading, cells[head.index("NPS")].get_text(" ", strip=True)))
    return out


def north_findings(soup: BeautifulSoup) -> list[str]:
    return [li.get_text(" ", strip=True) for li in soup.select("ul.findings li") if "North" in li.get_text()]


@pytest.fixture(scope="module")
def sign_project(tmp_path_factory) -> Path:
    assert LATEST_NORTH < -50 and POOLED_NORTH > 40            # the data do what the test needs
    return write_project(tmp_path_factory.mktemp("sign"), csv_text(sign_rows(), SIGN_HEADER))


def test_every_section_shows_the_latest_sign_for_north(sign_project, tmp_path):
    out = tmp_path / "out"
    invoke("build", sign_project, "--format", "html", "-o", out)
    invoke("build", sign_project, "--format", "html", "--report", "quarterly", "-o", out)
    client = BeautifulSoup((out / "report.html").read_text(encoding="utf-8"), "html.parser")
    review = BeautifulSoup((out / "report-quarterly.html").read_text(encoding="utf-8"), "html.parser")

    # the client report: the segment table (and every other table with a North row)
    cells = north_cells(client)
    assert any(h.startswith("Region") for h, _c in cells), cells
    for heading, text in cells:
        assert sign_of(text) == -1, (heading, text)
        assert text.startswith(f"\u2212{abs(round(LATEST_NORTH))}"), (heading, text)
    # the segment section's heading names the window
    region = next(h for h in client.find_all("h2") if h.get_text(" ", strip=True).startswith("Region"))
    assert region.select_one(".h-period").get_text(strip=True) == "2026 Q3"
    # the segment chart's text alternative
    alts = [img.get("alt", "") for img in client.find_all("img") if "North" in img.get("alt", "")]
    for alt in alts:
        figure = re.search(r"North\s+([+\u2212-]?\d+)", alt)
        assert figure and sign_of(figure.group(1)) == -1, alt
    # key findings naming North
    findings = north_findings(client)
    assert findings, [li.get_text(" ", strip=True) for li in client.select("ul.findings li")]
    for text in findings:
        figure = re.search(r"NPS\s+([+\u2212-]?\d+)", text)
        assert figure and sign_of(figure.group(1)) == -1, text
        assert "2026 Q3" in text, text

    # the quarterly review: the segment scorecard (and anything else naming North)
    cells = north_cells(review)
    assert any(h.startswith("Scorecard by segment") for h, _c in cells), cells
    for heading, text in cells:
        assert sign_of(text) == -1, (heading, text)
    for li in review.select("ul.findings li"):
        text = li.get_text(" ", strip=True)
        if "North" in text:
            figure = re.search(r"NPS\s+([+\u2212-]?\d+)", text)
            assert figure and sign_of(figure.group(1)) == -1, text

    # the JSON
    data = json.loads(invoke("score", sign_project).stdout)
    assert data["segments_period"]["label"] == "2026 Q3" and not data["segments_period"]["pooled"]
    north = next(g for b in data["segments"] for g in b["groups"] if g["label"] == "North")
    assert north["items"]["nps"]["nps"]["value"] == pytest.approx(LATEST_NORTH, abs=1e-5)
    assert north["changes"]["nps"]["mark"] == -1


def pooled_segment_table(soup: BeautifulSoup) -> str:
    region = [(h, c) for h, c in north_cells(soup) if h.startswith("Region")]
    assert region, north_cells(soup)
    return region[0][1]


def test_period_all_on_the_command_line_shows_the_pooled_sign(sign_project, tmp_path):
    out = tmp_path / "all"
    invoke("build", sign_project, "--format", "html", "--period", "all", "-o", out)
    soup = BeautifulSoup((out / "report.html").read_text(encoding="utf-8"), "html.parser")
    text = pooled_segment_table(soup)
    assert sign_of(text) == 1, text
    assert text.startswith(f"+{round(POOLED_NORTH)}"), text
    region = next(h for h in soup.find_all("h2") if h.get_text(" ", strip=True).startswith("Region"))
    assert region.select_one(".h-period").get_text(strip=True) == "pooled 2025 Q1 – 2026 Q3"
    for finding in north_findings(soup):
        figure = re.search(r"NPS\s+([+\u2212-]?\d+)", finding)
        assert figure and sign_of(figure.group(1)) == 1, finding
    data = json.loads(invoke("score", sign_project, "--period", "all").stdout)
    north = next(g for b in data["segments"] for g in b["groups"] if g["label"] == "North")
    assert north["items"]["nps"]["nps"]["value"] == pytest.approx(POOLED_NORTH, abs=1e-5)


def test_report_period_all_in_the_project_file_shows_the_pooled_sign(tmp_path):
    path = write_project(tmp_path / "p", csv_text(sign_rows(), SIGN_HEADER), report={"period": "all"})
    out = tmp_path / "out"
    invoke("build", path, "--format", "html", "-o", out)
    soup = BeautifulSoup((out / "report.html").read_text(encoding="utf-8"), "html.parser")
    assert sign_of(pooled_segment_table(soup)) == 1
