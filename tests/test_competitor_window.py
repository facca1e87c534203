"""The competitor section in the reporting window: a dated competitor survey is cut to the
report's period (or its latest earlier period, said in a note), an undated one is labelled
with ``competitors.survey.period``, and the brand × metric table is read through the common
reader (CSV or XLSX) with one error line per bad cell naming the file, row and column."""

from __future__ import annotations

import types

import numpy as np
import pandas as pd
import pytest

from conftest import write_project
from cxreport.benchmark.competitors import compare_competitors, years_label
from cxreport.config import load_project
from cxreport.errors import DataError
from cxreport.pipeline import validate_project
from cxreport.scoring.kpis import BaseRules
from cxreport.window import resolve

BRANDS = ("Us", "Rival", "Leader")

#: NPS answer mix per (brand, quarter): the quarters differ, so a wrong cut shows.
MIX = {
    ("Us", 1): [0.2, 0.3, 0.5], ("Us", 2): [0.6, 0.3, 0.1],
    ("Rival", 1): [0.5, 0.3, 0.2], ("Rival", 2): [0.3, 0.3, 0.4],
    ("Leader", 1): [0.4, 0.4, 0.2], ("Leader", 2): [0.7, 0.2, 0.1],
}


def _survey_rows(quarters=(1, 2), per=120, seed=3, date_format="%Y-%m-%d") -> pd.DataFrame:
    """Long shape: one row per respondent and brand, dated in 2026 Q``quarters``."""
    rng = np.random.default_rng(seed)
    rows = []
    for q in quarters:
        for brand in BRANDS:
            p = MIX[(brand, 1 + (q - 1) % 2)]
            for i in range(per):
                day = pd.Timestamp(2026, 3 * (q - 1) + 1 + i % 3, 1 + i % 28)
                rows.append({"resp": f"{brand}-{q}-{i}", "brand": brand, "when": day.strftime(date_format),
                             "q_nps": int(rng.choice([10, 7, 3], p=p)), "q_csat": int(rng.integers(1, 6))})
    return pd.DataFrame(rows)


def _project(tmp_path, survey: pd.DataFrame | None = None, table: str | None = None, **survey_cfg):
    """A small project (main survey: 2026 Q1 and Q2, see conftest) with competitor files."""
    files = {}
    competitors: dict = {"own_brand": "Us"}
    if survey is not None:
        files["data/comp.csv"] = survey.to_csv(index=False)
        competitors["survey"] = {"file": "data/comp.csv", "brand_column": "brand", "nps": "q_nps", **survey_cfg}
    if table is not None:
        files["data/competitor_table.csv"] = table
        competitors["table"] = {"file": "data/competitor_table.csv"}
    path = write_project(tmp_path / "p", files=files, competitors=competitors)
    return load_project(path)


def _compare(project, spec: str | None):
    rules = BaseRules(project.bases.suppress_below, project.bases.flag_below)
    window = None
    if spec is not None:
        _table, data = validate_project(project)
        window = resolve(spec, project, data)
    return compare_competitors(project, rules, project.significance.alpha, window=window)


def _nps(scores: pd.Series) -> float:
    """NPS by hand: % promoters (9–10) minus % detractors (0–6)."""
    return 100 * ((scores >= 9).mean() - (scores <= 6).mean())


def _quarter(frame: pd.DataFrame, q: int) -> pd.DataFrame:
    month = pd.to_datetime(frame["when"]).dt.month
    return frame[(month - 1) // 3 + 1 == q]


def _values(comparison) -> dict[str, float]:
    return {b.brand: b.value for b in comparison.brands}


# --------------------------------------------------------------------------- the survey in the window


def test_dated_survey_is_cut_to_a_named_quarter(tmp_path):
    frame = _survey_rows()
    project = _project(tmp_path, frame, date="when")
    [nps] = _compare(project, "2026-Q1")
    q1 = _quarter(frame, 1)
    expected = {b: _nps(q1.loc[q1["brand"] == b, "q_nps"]) for b in BRANDS}
    assert _values(nps) == pytest.approx(expected)
    assert {b.brand: b.n for b in nps.brands} == {b: 120 for b in BRANDS}
    assert nps.period == "2026 Q1"
    assert any("2026 Q1" in n for n in nps.notes)
    # the cut matters: the pooled figures differ
    pooled = {b: _nps(frame.loc[frame["brand"] == b, "q_nps"]) for b in BRANDS}
    assert _values(nps)["Us"] != pytest.approx(pooled["Us"])

    [nps2] = _compare(project, "2026-Q2")
    q2 = _quarter(frame, 2)
    expected2 = {b: _nps(q2.loc[q2["brand"] == b, "q_nps"]) for b in BRANDS}
    assert _values(nps2) == pytest.approx(expected2)
    assert nps2.period == "2026 Q2"
    assert nps2.rank == 1 + sum(v > expected2["Us"] for v in expected2.values())
    assert nps2.best.brand == max(expected2, key=expected2.get)


def test_latest_window_and_a_date_format(tmp_path):
    frame = _survey_rows(date_format="%d/%m/%Y")
    project = _project(tmp_path, frame, date="when", date_format="%d/%m/%Y")
    [nps] = _compare(project, "latest")                   # the main survey's latest quarter: 2026 Q2
    frame["when"] = pd.to_datetime(frame["when"], format="%d/%m/%Y").dt.strftime("%Y-%m-%d")
    q2 = _quarter(frame, 2)
    assert _values(nps) == pytest.approx({b: _nps(q2.loc[q2["brand"] == b, "q_nps"]) for b in BRANDS})
    assert nps.period == "2026 Q2"


def test_a_date_range_window_keeps_the_rows_dated_in_it(tmp_path):
    frame = _survey_rows()
    project = _project(tmp_path, frame, date="when")
    [nps] = _compare(project, "2026-02-01..2026-04-30")
    days = pd.to_datetime(frame["when"])
    inside = frame[(days >= "2026-02-01") & (days <= "2026-04-30")]
    assert _values(nps) == pytest.approx({b: _nps(inside.loc[inside["brand"] == b, "q_nps"]) for b in BRANDS})
    assert {b.brand: b.n for b in nps.brands} == {b: int((inside["brand"] == b).sum()) for b in BRANDS}


def test_no_answers_in_the_window_falls_back_to_the_latest_earlier_period(tmp_path):
    frame = _survey_rows(quarters=(1,))
    project = _project(tmp_path, frame, date="when")
    [nps] = _compare(project, "2026-Q2")
    assert nps.period == "2026 Q1"
    assert "The competitor survey has no answers in 2026 Q2; its latest period, 2026 Q1, is shown." in nps.notes
    assert _values(nps) == pytest.approx({b: _nps(frame.loc[frame["brand"] == b, "q_nps"]) for b in BRANDS})


def test_a_survey_fielded_after_the_window_is_shown_as_fielded_and_said_so(tmp_path):
    frame = _survey_rows(quarters=(3, 4))                  # fielded after the window
    project = _project(tmp_path, frame, date="when")
    [nps] = _compare(project, "2026-Q1")
    assert nps.period == "2026 Q3"
    assert "The competitor survey was fielded after 2026 Q1; its first period, 2026 Q3, is shown." in nps.notes
    q3 = frame[pd.to_datetime(frame["when"]).dt.quarter == 3]
    assert _values(nps) == pytest.approx({b: _nps(q3.loc[q3["brand"] == b, "q_nps"]) for b in BRANDS})


def test_invalid_dates_name_file_row_and_column(tmp_path):
    frame = _survey_rows(quarters=(1,), per=10)
    frame.loc[4, "when"] = "31/02/2026"
    frame.loc[7, "when"] = ""
    project = _project(tmp_path, frame, date="when")
    with pytest.raises(DataError) as err:
        _compare(project, "2026-Q1")
    problems = err.value.problems
    assert len(problems) == 2
    assert problems[0].startswith("data/comp.csv row 6, column when: '31/02/2026' is not a date")
    assert problems[1].startswith("data/comp.csv row 9, column when: blank")


def test_a_missing_date_column_is_named(tmp_path):
    project = _project(tmp_path, _survey_rows(per=10), date="wehn")
    with pytest.raises(DataError, match=r"competitors\.survey\.date: column 'wehn' not found.*did you mean 'when'"):
        _compare(project, "2026-Q1")


def test_undated_survey_uses_every_row_and_the_period_label(tmp_path):
    frame = _survey_rows()
    project = _project(tmp_path, frame, period="2026 Q3")
    [nps] = _compare(project, "2026-Q1")
    assert nps.period == "2026 Q3"
    assert _values(nps) == pytest.approx({b: _nps(frame.loc[frame["brand"] == b, "q_nps"]) for b in BRANDS})
    assert any("2026 Q3" in n for n in nps.notes)
    [unlabelled] = _compare(_project(tmp_path / "u", frame), "2026-Q1")
    assert unlabelled.period == ""
    assert _values(unlabelled) == pytest.approx(_values(nps))


def test_window_none_keeps_the_pooled_behaviour(tmp_path):
    frame = _survey_rows()
    table = "brand,metric,value,n,year\nUs,nps,20,500,2026\nRival,nps,10,500,2026\n"
    project = _project(tmp_path, frame, table=table, date="when")
    survey, published = _compare(project, None)
    assert _values(survey) == pytest.approx({b: _nps(frame.loc[frame["brand"] == b, "q_nps"]) for b in BRANDS})
    assert {b.brand: b.n for b in survey.brands} == {b: 240 for b in BRANDS}
    assert survey.period == "pooled 2026 Q1 – 2026 Q2"
    assert len(survey.notes) == 1 and "same respondents" in survey.notes[0]   # as before windows
    assert published.period == "2026" and published.notes == []
    # and the window 'all' pools every row too
    [everything, _t] = _compare(project, "all")
    assert _values(everything) == pytest.approx(_values(survey))


# --------------------------------------------------------------------------- the table


TABLE = ("brand,metric,value,n,sd,source,year\n"
         "Us,csat_top2,70,500,,Monitor,2026\n"
         "Rival,csat_top2,60,500,,Monitor,2025\n"
         "Leader,csat_top2,75,400,,Monitor,2026\n"
         "Us,csat_mean,4.1,300,0.9,Desk,\n"
         "Rival,csat_mean,3.8,250,1.1,Desk,\n")


def test_table_period_comes_from_its_year_column(tmp_path):
    project = _project(tmp_path, table=TABLE)
    comps = {c.metric: c for c in _compare(project, "2026-Q1")}
    assert comps["csat_top2"].period == "2025–2026"
    assert comps["csat_mean"].period == ""
    assert comps["csat_top2"].origin == "table"
    assert any("not cut to the report's period" in n for n in comps["csat_top2"].notes)
    assert years_label(["2026", "2026"]) == "2026" and years_label(["", " "]) == ""


def test_table_errors_name_file_row_and_column(tmp_path):
    bad = ("brand,metric,value,n,sd,year\n"
           "Us,nps,20,500,,2026\n"          # row 2: fine
           ",nps,10,500,,2026\n"            # row 3: no brand
           "Rival,nsp,10,500,,2026\n"       # row 4: unknown metric
           "Rival,nps,ten,500,,2026\n"      # row 5: value not a number
           "Leader,nps,30,-4,,2026\n"       # row 6: bad base
           "Us,nps,21,500,,2026\n")         # row 7: a second value
    project = _project(tmp_path, table=bad)
    with pytest.raises(DataError) as err:
        _compare(project, "2026-Q1")
    assert err.value.message == "data/competitor_table.csv: 5 problem(s)"
    problems = err.value.problems
    assert problems[0] == "data/competitor_table.csv row 3, column brand: blank (every row needs a brand)"
    assert problems[1].startswith("data/competitor_table.csv row 4, column metric: unknown metric 'nsp'")
    assert "did you mean 'nps'" in problems[1]
    assert problems[2] == "data/competitor_table.csv row 5, column value: 'ten' is not a number"
    assert problems[3].startswith("data/competitor_table.csv row 6, column n: '-4' is not a positive number")
    assert problems[4].startswith("data/competitor_table.csv row 7, column metric: Us has two values for nps")
    assert "row 2" in problems[4]


def test_table_missing_columns(tmp_path):
    project = _project(tmp_path, table="brand,score\nA,1\n")
    with pytest.raises(DataError, match=r"competitor_table\.csv: missing column\(s\) metric, value"):
        _compare(project, None)


def test_an_xlsx_table_loads_the_same_as_the_csv(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    csv_project = _project(tmp_path / "csv", table=TABLE)
    book = openpyxl.Workbook()
    sheet = book.active
    for line in TABLE.strip().splitlines():
        cells = []
        for cell in line.split(","):
            try:
                cells.append(float(cell) if "." in cell else int(cell))
            except ValueError:
                cells.append(cell or None)
        sheet.append(cells)
    folder = tmp_path / "xlsx" / "p"
    (folder / "data").mkdir(parents=True)
    book.save(folder / "data" / "competitor_table.xlsx")
    path = write_project(folder, competitors={"own_brand": "Us", "table": {"file": "data/competitor_table.xlsx"}})
    xlsx_project = load_project(path)

    def summary(comps):
        return [(c.metric, c.period, c.rank, c.competitor_average,
                 [(b.brand, b.value, b.n, b.diff, b.p_value, b.mark, b.source) for b in c.brands]) for c in comps]

    assert summary(_compare(xlsx_project, "2026-Q1")) == summary(_compare(csv_project, "2026-Q1"))


def test_xlsx_table_errors_use_spreadsheet_rows(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["brand", "metric", "value"])
    sheet.append(["Us", "nps", 20])
    sheet.append(["Rival", "nps", "n/a"])
    folder = tmp_path / "p"
    (folder / "data").mkdir(parents=True)
    book.save(folder / "data" / "t.xlsx")
    project = load_project(write_project(folder, competitors={"own_brand": "Us", "table": {"file": "data/t.xlsx"}}))
    with pytest.raises(DataError, match=r"^data/t\.xlsx row 3, column value: 'n/a' is not a number$"):
        _compare(project, None)


# --------------------------------------------------------------------------- the template


def _context(comp) -> dict:
    chart = types.SimpleNamespace(png_data_uri="data:image/png;base64,", alt="chart")
    return {"label": comp.label, "unit": "points", "origin": comp.origin, "brands": comp.brands, "own": comp.own,
            "average": comp.competitor_average, "best": comp.best, "rank": comp.rank,
            "n_brands": sum(1 for b in comp.brands if b.value is not None), "gap": comp.gap_to_leader,
            "leads": comp.leads, "notes": comp.notes, "dot": chart, "gap_chart": None, "period": comp.period,
            "cited": comp.cited}


def test_the_heading_names_source_and_period(tmp_path):
    from cxreport.present.render import make_environment

    frame = _survey_rows()
    project = _project(tmp_path, frame, table="brand,metric,value,n,year\nUs,nps,20,500,2026\nRival,nps,10,500,2026\n",
                       date="when")
    template = make_environment().get_template("partials/competitors.html")
    html = template.render(sources=[], competitors=[_context(c) for c in _compare(project, "2026-Q1")])
    assert "— competitor survey, 2026 Q1</span>" in html
    assert "— published and syndicated data, 2026</span>" in html
    undated = _compare(_project(tmp_path / "u", frame), "2026-Q1")
    assert "— competitor survey, undated</span>" in template.render(sources=[], competitors=[_context(undated[0])])
    # without a period in the context (older callers) the heading names the source only
    ctx = _context(undated[0])
    del ctx["period"]
    assert "— competitor survey</span>" in template.render(sources=[], competitors=[ctx])


def test_a_window_the_survey_covers_in_part_is_labelled_with_the_periods_it_has(tmp_path):
    frame = _survey_rows(quarters=(1,))
    project = _project(tmp_path, frame, date="when")
    [nps] = _compare(project, "2026")                      # the year: four quarters, the survey has one
    assert nps.period == "2026 Q1"
    assert nps.notes[0] == "Of the report's period, 2026, the competitor survey has answers in 2026 Q1 only; those are shown."
    assert _values(nps) == pytest.approx({b: _nps(frame.loc[frame["brand"] == b, "q_nps"]) for b in BRANDS})
