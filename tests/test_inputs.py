"""Real-world survey inputs (issue 6): platform exports, SPSS, Parquet, Excel title rows,
encodings, answers in words and multi-punch questions — each read into the same table,
with question texts and value labels kept, and every bad cell reported by the file's own
row number.

Fixtures under tests/fixtures/inputs/: real Qualtrics samples (ropensci/qualtRics, MIT) and
a trimmed Quantipy example (MIT), each with its licence; a synthetic SurveyMonkey export
(made up by make_fixture.py beside it). The Sudzilla Google-Forms export is the existing
trimmed fixture in tests/fixtures/sudzilla_event_survey/. SPSS, Parquet, Excel and encoded
CSV files are written by the tests themselves.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml
from bs4 import BeautifulSoup
from click.testing import CliRunner

from cxreport.cli import cli
from cxreport.config.loader import load_project
from cxreport.errors import ConfigError, DataError
from cxreport.load.formats import surveymonkey_names
from cxreport.load.tabular import read_table
from cxreport.pipeline import run

FIXTURES = Path(__file__).resolve().parent / "fixtures"
INPUTS = FIXTURES / "inputs"
QUALTRICS = INPUTS / "qualtrics"
SURVEYMONKEY = INPUTS / "surveymonkey" / "responses.csv"
QUANTIPY = INPUTS / "quantipy"
SUDZILLA = FIXTURES / "sudzilla_event_survey" / "input_01_first20.csv"


# --------------------------------------------------------------------------- helpers


def project(folder: Path, config: dict, files: dict[str, str | bytes | Path] | None = None) -> Path:
    """A project folder: cxreport.yaml from ``config`` (client added) and the given files."""
    folder.mkdir(parents=True, exist_ok=True)
    for rel, content in (files or {}).items():
        target = folder / rel
        if isinstance(content, Path):
            shutil.copy(content, target)
        elif isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    full = {"client": {"name": "Test client"}, **config}
    path = folder / "cxreport.yaml"
    path.write_text(yaml.safe_dump(full, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def data_error(path: Path, **kwargs) -> str:
    with pytest.raises(DataError) as info:
        read_table(path, **kwargs)
    return info.value.message


def config_problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_project(path)
    return info.value.problems or [info.value.message]


def csv_bytes(rows: list[list], encoding: str = "utf-8") -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue().encode(encoding)


def check_of(study, column: str):
    return next(c for c in study.validation.columns if c.column == column)


# --------------------------------------------------------------------------- Qualtrics (real samples)


def test_qualtrics_fixture_keeps_its_licence():
    """The real Qualtrics samples are MIT (ropensci/qualtRics); the licence travels with them."""
    assert "MIT License" in (QUALTRICS / "LICENSE.qualtRics.md").read_text(encoding="utf-8")
    assert (QUALTRICS / "README.md").is_file()


def test_qualtrics_three_row_export_is_detected():
    """Current export: names, question texts, ImportId row. The response is the file's row 4 and the
    German question texts become labels."""
    table = read_table(QUALTRICS / "sample.csv")
    assert table.source == "Qualtrics export (3 header rows)"
    assert len(table.frame) == 1
    assert table.first_data_row == 4 and table.row_number(table.frame.index[0]) == 4
    assert list(table.frame.columns)[:3] == ["StartDate", "EndDate", "Status"]
    assert table.labels["Q1"] == "This is a multiple choice question."
    assert table.labels["RecipientLastName"] == "Nachname des Empfängers"
    assert "Q2 - Topics" not in table.labels            # the text only repeats the name
    row = table.frame.iloc[0]
    assert (row["ResponseId"], row["Q1"], row["Q2"]) == ("R_2YPOQ602ER1jkf1", "2", "Hello World!")
    assert not any("ImportId" in str(v) for v in table.frame.iloc[0])


def test_qualtrics_legacy_export_is_detected_and_v_columns_renamed():
    """Legacy export: V1…V10 take their second-row names (ResponseID, StartDate …); first response on row 3."""
    table = read_table(QUALTRICS / "sample_legacy.csv")
    assert table.source == "Qualtrics legacy export (2 header rows)"
    assert table.first_data_row == 3
    assert table.renamed["V1"] == "ResponseID" and table.renamed["V8"] == "StartDate"
    assert list(table.frame.columns)[:3] == ["ResponseID", "ResponseSet", "Name"]
    assert table.labels == {"Q1": "This is a multiple choice question.", "Q2": "This is a free text question."}
    assert table.frame.iloc[0]["StartDate"] == "2017-07-18 08:28:09"


def test_qualtrics_legacy_mapping_by_v_name_explains_the_rename(tmp_path):
    """A project mapping `date: V8` is told that V8 is read as StartDate."""
    path = project(tmp_path / "p", {"survey": {"file": "s.csv"}, "columns": {"date": "V8", "nps": "Q1"}},
                   {"s.csv": QUALTRICS / "sample_legacy.csv"})
    with pytest.raises(DataError) as info:
        run(path)
    assert info.value.message == ("columns.date: column 'V8' not found in s.csv "
                                  "(the export's column 'V8' is read as 'StartDate')")


QUALTRICS_NPS = "How likely are you to recommend us to a friend or colleague?"
QUALTRICS_SPEED = "How would you rate our service? - Speed"
QUALTRICS_STAFF = "How would you rate our service? - Friendliness of staff"


def qualtrics_export(n: int = 40, bad: dict[tuple[int, str], str] | None = None) -> bytes:
    """A SYNTHETIC three-row Qualtrics export in the real sample's shape (names; question texts;
    ImportId JSON), with ``n`` made-up responses; ``bad`` overrides cells (data index, column)."""
    names = ["StartDate", "EndDate", "Status", "ResponseId", "Q1", "Q2_1", "Q2_2", "Q3", "Q4"]
    texts = ["Start Date", "End Date", "Response Type", "Response ID", QUALTRICS_NPS, QUALTRICS_SPEED,
             QUALTRICS_STAFF, "Which region do you live in?", "Anything else you would like to tell us?"]
    ids = ["startDate", "endDate", "status", "_recordId", "QID1", "QID2_1", "QID2_2", "QID3", "QID4_TEXT"]
    rows = [names, texts, [json.dumps({"ImportId": i}) for i in ids]]
    for i in range(n):
        day = f"2024-0{1 + i % 6}-{10 + i % 15} 09:{i % 60:02d}:00"
        rows.append([day, day, "0", f"R_{i:04d}", str(i % 11), str(1 + i % 5), str(1 + (i * 3) % 5),
                     ["North", "South"][i % 2], "Great" if i % 4 == 0 else ""])
    for (index, column), value in (bad or {}).items():
        rows[3 + index][names.index(column)] = value
    return csv_bytes(rows)


def test_qualtrics_row_numbers_in_messages_are_the_files_own(tmp_path):
    """A bad answer in the third response sits on line 6 of the file (three header rows), and says so."""
    path = project(tmp_path / "p", {"survey": {"file": "export.csv"},
                                    "columns": {"respondent_id": "ResponseId", "nps": "Q1", "attributes": ["Q2_1"]}},
                   {"export.csv": qualtrics_export(bad={(2, "Q1"): "ten", (5, "Q2_1"): "7"})})
    study = run(path)
    assert check_of(study, "Q1").examples == ["row 6, column 'Q1': 'ten' is not a number"]
    assert check_of(study, "Q2_1").examples == ["row 9, column 'Q2_1': '7' is outside the 1–5 scale"]
    assert study.results.overall["nps"].n == 39


def test_qualtrics_question_texts_name_attributes_listed_by_column(tmp_path):
    """attributes: [Q2_1, Q2_2] — the report names them by the export's question texts; KPIs keep their names."""
    path = project(tmp_path / "p", {"survey": {"file": "export.csv"},
                                    "columns": {"nps": "Q1", "attributes": ["Q2_1", "Q2_2"]}},
                   {"export.csv": qualtrics_export()})
    study = run(path)
    labels = {s.key: s.label for s in study.results.items}
    assert labels == {"nps": "NPS", "attr:Q2_1": QUALTRICS_SPEED, "attr:Q2_2": QUALTRICS_STAFF}


def test_qualtrics_end_to_end_validate_score_build(tmp_path):
    """validate → score → build on a Qualtrics export: header rows dropped, labels in the report."""
    path = project(tmp_path / "p", {
        "survey": {"file": "export.csv"},
        "columns": {"respondent_id": "ResponseId", "date": "StartDate", "comment": "Q4", "nps": "Q1",
                    "attributes": ["Q2_1", "Q2_2"], "segments": {"Region": "Q3"}},
        "bases": {"suppress_below": 5, "flag_below": 10},
        "report": {"period": "all"}},                 # every response, whatever its date
        {"export.csv": qualtrics_export()})
    result = invoke("validate", path)
    assert result.exit_code == 0, result.output
    assert "export.csv: 40 rows read, 40 used" in result.output
    assert "read as: Qualtrics export (3 header rows); first response on row 4" in result.output
    result = invoke("score", path, "--format", "json")
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)
    assert scores["overall"]["nps"]["n"] == 40
    # Q1 = i % 11 for i = 0…39 is 0…10 three times, then 0…6: promoters (9, 10) 6, detractors (0–6)
    # 7 · 3 + 7 = 28 → NPS = 100 · (6 − 28) / 40
    assert scores["overall"]["nps"]["nps"]["value"] == pytest.approx(-55.0)
    result = invoke("build", path, "-o", tmp_path / "out", "--format", "html")
    assert result.exit_code == 0, result.output
    soup = BeautifulSoup((tmp_path / "out" / "report.html").read_text(encoding="utf-8"), "html.parser")
    assert QUALTRICS_SPEED in soup.get_text()
    assert "ImportId" not in soup.get_text()


def test_qualtrics_format_can_be_forced_and_detection_switched_off(tmp_path):
    """format: qualtrics on an export without the ImportId row drops the question-text row;
    format: csv reads any file plainly (header rows then show up as invalid answers)."""
    rows = [["ResponseId", "Q1"], ["Response ID", QUALTRICS_NPS], ["R1", "9"], ["R2", "3"]]
    path = tmp_path / "two_rows.csv"
    path.write_bytes(csv_bytes(rows))
    assert read_table(path).frame["Q1"].tolist() == [QUALTRICS_NPS, "9", "3"]     # not recognisable
    forced = read_table(path, format="qualtrics")
    assert forced.frame["Q1"].tolist() == ["9", "3"] and forced.first_data_row == 3
    assert forced.labels["Q1"] == QUALTRICS_NPS
    plain = read_table(QUALTRICS / "sample.csv", format="csv")
    assert plain.source == "" and len(plain.frame) == 3 and plain.first_data_row == 2


def test_qualtrics_xlsx_export_is_detected(tmp_path):
    """Qualtrics' Excel download has the same three header rows."""
    book = openpyxl.Workbook()
    for row in csv.reader(io.StringIO(qualtrics_export(5).decode("utf-8"))):
        book.active.append(row)
    book.save(tmp_path / "export.xlsx")
    table = read_table(tmp_path / "export.xlsx")
    assert table.source.startswith("Qualtrics export") and table.first_data_row == 4
    assert table.frame["Q1"].tolist() == ["0", "1", "2", "3", "4"]
    assert table.labels["Q2_1"] == QUALTRICS_SPEED


# --------------------------------------------------------------------------- SurveyMonkey (synthetic)

SM_NPS = "How likely is it that you would recommend Harbour Bank to a friend or colleague?"
SM_SAT = "Overall, how satisfied or dissatisfied are you with your visit?"
SM_RATE = "How would you rate the branch on each of the following?"
SM_USED = "Which of the following did you use during your visit? (Select all that apply)"
SATISFACTION = {"Very dissatisfied": 1, "Somewhat dissatisfied": 2, "Neither satisfied nor dissatisfied": 3,
                "Somewhat satisfied": 4, "Very satisfied": 5}
RATING = {"Very poor": 1, "Poor": 2, "Fair": 3, "Good": 4, "Excellent": 5}


def test_surveymonkey_naming_rule():
    """Blank question cells continue the question on their left; single 'Response' columns keep the
    question; choices and matrix rows become '<question> - <sub-header>'; repeats get ' (2)'."""
    questions = ["Respondent ID", "Q: recommend?", "Q: used", "", "", "Comments", "Comments", "Rate", ""]
    subs = ["", "Response", "App", "Phone", "Other (please specify)", "Open-Ended Response",
            "Open-Ended Response", "Response", "Response"]
    names, labels = surveymonkey_names(questions, subs)
    assert names == ["Respondent ID", "Q: recommend?", "Q: used - App", "Q: used - Phone",
                     "Q: used - Other (please specify)", "Comments", "Comments (2)", "Rate - Response",
                     "Rate - Response (2)"]
    assert labels == ["Respondent ID", "Q: recommend?", "Q: used", "Q: used", "Q: used", "Comments", "Comments",
                      "Rate", "Rate"]


def test_surveymonkey_export_is_detected():
    """Two header rows combined into names; the question text is the label; first response on row 3."""
    table = read_table(SURVEYMONKEY)
    assert table.source == "SurveyMonkey export (2 header rows)"
    assert table.first_data_row == 3 and len(table.frame) == 40
    columns = list(table.frame.columns)
    assert columns[:3] == ["Respondent ID", "Collector ID", "Start Date"]
    assert SM_NPS in columns and SM_SAT in columns
    assert f"{SM_USED} - Mobile app" in columns and f"{SM_RATE} - Waiting time" in columns
    assert table.labels[f"{SM_RATE} - Waiting time"] == SM_RATE
    assert table.frame[SM_NPS].iloc[0] == "9"


def test_surveymonkey_is_not_guessed_without_its_markers(tmp_path):
    """A file whose second row merely contains 'Response' is not taken for SurveyMonkey without a
    Respondent ID column; format: surveymonkey reads it so when the user says it is."""
    path = tmp_path / "x.csv"
    path.write_bytes(csv_bytes([["id", "Q1"], ["", "Response"], ["1", "9"]]))
    assert len(read_table(path).frame) == 2
    forced = read_table(path, format="surveymonkey")
    assert forced.frame["Q1"].tolist() == ["9"] and forced.first_data_row == 3


def surveymonkey_project(folder: Path, extra_rows: list[list[str]] | None = None) -> Path:
    data = SURVEYMONKEY.read_bytes()
    if extra_rows:
        data += csv_bytes(extra_rows).replace(b"\n", b"\r\n")
    return project(folder, {
        "survey": {"file": "responses.csv"},
        "columns": {
            "respondent_id": "Respondent ID", "date": "Start Date", "date_format": "%m/%d/%Y %I:%M:%S %p",
            "comment": "What could we do better?", "nps": SM_NPS,
            "csat": {"column": SM_SAT, "scale": "satisfaction"},
            "attributes": {"Waiting time": {"column": f"{SM_RATE} - Waiting time", "scale": "rating"},
                           "Staff": {"column": f"{SM_RATE} - Staff friendliness", "scale": "rating"}},
            "segments": {"Branch": "Which branch did you visit?"}},
        "scales": {"satisfaction": SATISFACTION, "rating": RATING},
        "bases": {"suppress_below": 5, "flag_below": 10}},
        {"responses.csv": data})


def test_surveymonkey_end_to_end_with_answers_in_words(tmp_path):
    """Satisfaction and the matrix are answered in words; CSAT top-2-box and the means are counted by hand."""
    path = surveymonkey_project(tmp_path / "p")
    with open(SURVEYMONKEY, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))[2:]
    header = next(csv.reader(io.StringIO(SURVEYMONKEY.read_text(encoding="utf-8-sig"))))
    sat = [SATISFACTION[r[header.index(SM_SAT)]] for r in rows]
    waits = [RATING[r[16]] for r in rows if r[16]]
    result = invoke("validate", path)
    assert result.exit_code == 0, result.output
    assert "read as: SurveyMonkey export (2 header rows); first response on row 3" in result.output
    study = run(path)
    csat = study.results.overall["csat"]
    assert csat.n == 40 and csat.top2.value == pytest.approx(100 * sum(s >= 4 for s in sat) / 40)
    wait = study.results.overall["attr:Waiting time"]
    assert wait.n == len(waits) == 39            # one respondent skipped the matrix row
    assert wait.mean.value == pytest.approx(sum(waits) / len(waits))
    assert study.validation.clean
    assert [p.label for p in study.results.periods.groups] == ["2024 Q4"]


def test_surveymonkey_unknown_word_is_reported_on_its_row(tmp_path):
    """A word not on the scale is excluded and reported: file, row (the file's own), column, did you mean."""
    extra = [["11899999999", "431234567", "11/30/2024 10:00:00 AM", "11/30/2024 10:05:00 AM", "", "", "", "", "",
              "8", "Very  SATISFIED ", "", "", "", "", "", "Excelent", "good", "Good", "", "Old Town"]]
    study = run(surveymonkey_project(tmp_path / "p", extra))
    check = check_of(study, f"{SM_RATE} - Waiting time")
    assert check.non_numeric == 1
    assert check.examples == [f"row 43, column '{SM_RATE} - Waiting time': 'Excelent' is not a word of the scale "
                              "(did you mean 'Excellent'?)"]
    warnings = study.validation.warnings()
    assert any("1 invalid value excluded (1 not words of the scale: Very poor, Poor, Fair, Good, Excellent)" in w
               for w in warnings), warnings
    # "Very  SATISFIED " and "good" match regardless of case and spacing
    assert check_of(study, SM_SAT).valid == 41 and check_of(study, SM_SAT).invalid == 0
    assert check_of(study, f"{SM_RATE} - Staff friendliness").valid == 41


# --------------------------------------------------------------------------- SPSS


def write_sav(path: Path, **overrides) -> pd.DataFrame:
    import pyreadstat

    n = 40
    frame = pd.DataFrame({
        "id": np.arange(1, n + 1, dtype=float),
        "region": [float([1, 2, 3][i % 3]) for i in range(n)],
        "nps": [float(i % 11) for i in range(n)],
        "csat": [float(1 + i % 5) for i in range(n)],
        "visit": [dt.datetime(2024, 1 + i % 6, 1 + i % 27) for i in range(n)],
        "comment": ["" if i % 3 else f"comment {i}" for i in range(n)],
    })
    frame.loc[4, "nps"] = 11.0          # case 5: out of scale
    frame.loc[[6, 7], "nps"] = 98.0     # user-missing "Don't know"
    frame.loc[8, "nps"] = 99.5          # inside the user-missing range 99–100
    frame.loc[[10, 11, 12], "csat"] = 9.0   # user-missing "Not applicable"
    frame.loc[[13, 14], "region"] = 9.0     # user-missing "Refused"
    frame.loc[15, "region"] = 4.0           # a code without a label
    pyreadstat.write_sav(
        frame, str(path),
        column_labels={"region": "Region of residence", "nps": "How likely are you to recommend us?",
                       "csat": "How satisfied are you overall?"},
        variable_value_labels={"region": {1: "North", 2: "South", 3: "East", 9: "Refused"},
                               "nps": {0: "Not at all likely", 10: "Extremely likely", 98: "Don't know"},
                               "csat": {9: "Not applicable"}},
        missing_ranges={"nps": [98, {"lo": 99, "hi": 100}], "csat": [9], "region": [9]},
        **overrides)
    return frame


def test_spss_labels_value_labels_and_missing_are_read(tmp_path):
    """Variable labels, value labels and user-missing values come through pyreadstat into the table."""
    write_sav(tmp_path / "survey.sav")
    table = read_table(tmp_path / "survey.sav")
    assert table.source == "SPSS file" and table.first_data_row == 1
    assert table.labels["nps"] == "How likely are you to recommend us?"
    assert table.value_labels["region"] == {"1": "North", "2": "South", "3": "East", "9": "Refused"}
    assert table.missing_values["nps"] == [(98.0, 98.0), (99.0, 100.0)]
    # whole numbers without ".0", dates as ISO text, blanks for empty strings
    assert table.frame["id"].tolist()[:3] == ["1", "2", "3"]
    assert table.frame["visit"].iloc[0] == "2024-01-01"
    assert table.frame["nps"].iloc[8] == "99.5"


def test_spss_project_end_to_end(tmp_path):
    """Value labels name the segment groups in code order; user-missing values are missing, or N/A where
    the item lists them in na_codes; bad values are reported by case number."""
    (tmp_path / "p").mkdir()
    write_sav(tmp_path / "p" / "survey.sav")
    path = project(tmp_path / "p", {
        "survey": {"file": "survey.sav"},
        "columns": {"respondent_id": "id", "date": "visit", "comment": "comment", "nps": "nps",
                    "csat": {"column": "csat", "na_codes": [9]}, "segments": {"Region": "region"}},
        "bases": {"suppress_below": 3, "flag_below": 10},
        "report": {"period": "all"}})                 # every response, whatever its date
    result = invoke("validate", path)
    assert result.exit_code == 0, result.output
    assert "read as: SPSS file; first response on row 1" in result.output
    study = run(path)
    nps = check_of(study, "nps")
    assert (nps.missing_code, nps.out_of_scale) == (3, 1)            # 98, 98, 99.5 declared missing; 11
    assert nps.examples == ["row 5, column 'nps': '11' is outside the 0–10 scale"]
    csat = check_of(study, "csat")
    assert (csat.not_applicable, csat.missing_code, csat.valid) == (3, 0, 37)
    groups = {g.label: g.base for g in study.results.segments[0].groups}
    assert list(groups) == ["North", "South", "East", "4", "Not stated"]    # code order, then unlabelled
    assert groups["Not stated"] == 2                                       # the two "Refused" (declared missing)
    assert study.results.overall["nps"].n == 36


def test_spss_user_missing_without_na_codes_is_missing(tmp_path):
    """Without na_codes the declared missing values count as missing (out of the base), not as answers."""
    (tmp_path / "p").mkdir()
    write_sav(tmp_path / "p" / "survey.sav")
    path = project(tmp_path / "p", {"survey": {"file": "survey.sav"}, "columns": {"csat": "csat"}})
    check = check_of(run(path), "csat")
    assert (check.missing_code, check.not_applicable, check.valid, check.invalid) == (3, 0, 37, 0)


def test_unreadable_sav_is_a_data_error(tmp_path):
    path = tmp_path / "broken.sav"
    path.write_bytes(b"$FL2@(#) SPSS DATA FILE but cut short")
    assert data_error(path).startswith("broken.sav: not a readable SPSS file")


# --------------------------------------------------------------------------- Excel title rows, Parquet


def titled_workbook(path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Intro"
    sheet.append(["Read me first"])
    data = book.create_sheet("Responses")
    data.append(["Customer survey Q3 2024"])
    data.append(["Exported 2024-10-01"])
    data.append(["id", "q_nps", "region"])        # header on sheet row 3
    data.append([1, 10, "North"])                 # row 4
    data.append([2, 3, "South"])
    data.append([None, None, None])               # blank row 6
    data.append([3, "ten", "North"])              # row 7
    data.append([4, 9, None])
    book.save(path)


def test_excel_named_sheet_with_title_rows(tmp_path):
    """header_row: 3 skips two title rows; row numbers stay the sheet's own."""
    titled_workbook(tmp_path / "survey.xlsx")
    table = read_table(tmp_path / "survey.xlsx", sheet="Responses", header_row=3)
    assert list(table.frame.columns) == ["id", "q_nps", "region"]
    assert table.frame["q_nps"].tolist() == ["10", "3", "ten", "9"]
    assert [table.row_number(i) for i in table.frame.index] == [4, 5, 7, 8]
    assert table.source == "header on row 3"


def test_excel_title_rows_project_reports_sheet_rows(tmp_path):
    (tmp_path / "p").mkdir()
    titled_workbook(tmp_path / "p" / "survey.xlsx")
    path = project(tmp_path / "p", {"survey": {"file": "survey.xlsx", "sheet": "Responses", "header_row": 3},
                                    "columns": {"respondent_id": "id", "nps": "q_nps", "segments": {"Region": "region"}}})
    study = run(path)
    assert check_of(study, "q_nps").examples == ["row 7, column 'q_nps': 'ten' is not a number"]
    assert study.results.overall["nps"].n == 3


def test_csv_title_rows_and_a_header_row_past_the_end(tmp_path):
    path = tmp_path / "titled.csv"
    path.write_text("Branch survey export\n\nid,q_nps\n1,9\n2,x\n", encoding="utf-8")
    table = read_table(path, header_row=3)
    assert table.frame["q_nps"].tolist() == ["9", "x"] and table.row_number(table.frame.index[1]) == 5
    assert data_error(path, header_row=9) == "titled.csv: survey.header_row is 9, but the file has only 5 lines"


def test_parquet_is_read_as_text_cells(tmp_path):
    """Integers, floats with gaps, categories, timestamps and booleans become the text a person would type."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({
        "id": pa.array([1, 2, 3, 4], pa.int64()),
        "nps": pa.array([10, None, 0, 7], pa.int64()),
        "csat": pa.array([4.0, 5.0, float("nan"), 2.5]),
        "channel": pa.array(["App", "Branch", "App", None]).dictionary_encode(),
        "when": pa.array([dt.datetime(2024, 3, 1), dt.datetime(2024, 3, 2, 14, 5), None, dt.datetime(2024, 3, 4)]),
        "consent": pa.array([True, False, True, None]),
    })
    pq.write_table(table, tmp_path / "survey.parquet")
    read = read_table(tmp_path / "survey.parquet")
    assert read.first_data_row == 1 and read.source == "Parquet file"
    assert read.frame.to_dict("list") == {
        "id": ["1", "2", "3", "4"], "nps": ["10", "", "0", "7"], "csat": ["4", "5", "", "2.5"],
        "channel": ["App", "Branch", "App", ""], "when": ["2024-03-01", "2024-03-02 14:05:00", "", "2024-03-04"],
        "consent": ["true", "false", "true", ""]}


def test_parquet_project_scores(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "p").mkdir()
    n = 30
    pq.write_table(pa.table({"id": list(range(n)), "nps": [i % 11 for i in range(n)],
                             "region": [["North", "South"][i % 2] for i in range(n)]}), tmp_path / "p" / "s.parquet")
    path = project(tmp_path / "p", {"survey": {"file": "s.parquet"},
                                    "columns": {"respondent_id": "id", "nps": "nps", "segments": {"Region": "region"}},
                                    "bases": {"suppress_below": 5, "flag_below": 10}})
    result = invoke("score", path, "--format", "json")
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)
    # 0…10, 0…10, 0…7: promoters 9, 10, 9, 10 = 4; detractors 0–6 three times = 21 (7 + 7 + 7)
    assert scores["overall"]["nps"]["nps"]["value"] == pytest.approx(100 * (4 - 21) / 30)
    assert [g["label"] for g in scores["segments"][0]["groups"]] == ["North", "South"]


def test_unreadable_parquet_is_a_data_error(tmp_path):
    path = tmp_path / "x.parquet"
    path.write_bytes(b"PAR1 not really")
    assert data_error(path).startswith("x.parquet: not a readable Parquet file")


@pytest.mark.parametrize("survey, needle", [
    ({"file": "data.csv", "format": "spss"}, "format 'spss' needs a spss file, not '.csv'"),
    ({"file": "data.csv", "format": "excel"}, "format 'excel' needs a excel file, not '.csv'"),
    ({"file": "data.sav", "header_row": 2}, "header_row applies to CSV and Excel files, not to '.sav'"),
    ({"file": "data.parquet", "encoding": "cp1252"}, "encoding applies to CSV files only"),
    ({"file": "data.csv", "sheet": "Responses"}, "sheet applies to Excel workbooks, not to '.csv'"),
    ({"file": "data.csv", "header_row": 0}, "greater than or equal to 1"),
    ({"file": "data.csv", "meta": "labels.txt"}, "meta must be a Quantipy .meta.json file"),
    ({"file": "data.csv", "format": "qualtrix"}, "did you mean 'qualtrics'"),
])
def test_survey_settings_that_do_not_fit_the_file(tmp_path, survey, needle):
    """Settings that cannot apply to the file are config errors naming survey.<key>, not silently ignored."""
    files = {name: "x" for name in ("data.csv", "data.sav", "data.parquet", "labels.txt")}
    path = project(tmp_path / "p", {"survey": survey, "columns": {"nps": "q"}}, files)
    problems = config_problems(path)
    assert len(problems) == 1 and "survey" in problems[0] and needle in problems[0], problems


# --------------------------------------------------------------------------- encodings

ZH_ROWS = [["编号", "门店", "推荐", "评价"], ["1", "上海店", "9", "服务很好"], ["2", "北京店", "3", "排队太久"],
           ["3", "上海店", "10", "𠀀字也能读"]]    # 𠀀 (U+20000) exists in GB18030, not in GBK


def test_gb18030_is_reported_with_a_hint_when_not_set(tmp_path):
    path = tmp_path / "zh.csv"
    path.write_bytes(csv_bytes(ZH_ROWS, "gb18030"))
    message = data_error(path)
    assert message.startswith("zh.csv: not UTF-8 text (byte 0xB1 on line 1)")
    assert "gb18030" in message and "cannot be told for certain" in message and "survey.encoding" in message


def test_gb18030_project_with_chinese_labels(tmp_path):
    """survey.encoding: gb18030 reads Chinese names, segments and a character outside GBK."""
    path = project(tmp_path / "p", {"survey": {"file": "zh.csv", "encoding": "gb18030"},
                                    "columns": {"respondent_id": "编号", "comment": "评价", "nps": "推荐",
                                                "segments": {"门店": "门店"}},
                                    "bases": {"suppress_below": 1, "flag_below": 2}},
                   {"zh.csv": csv_bytes(ZH_ROWS, "gb18030")})
    study = run(path)
    assert [g.label for g in study.results.segments[0].groups] == ["北京店", "上海店"]     # by pinyin: bei, shang
    assert study.data.comments["text"].tolist() == ["服务很好", "排队太久", "𠀀字也能读"]


def test_utf8_file_read_with_a_wrong_explicit_encoding_is_caught(tmp_path):
    """UTF-8 read as cp1252 decodes without error into mojibake; the bytes being valid UTF-8 gives it away."""
    path = tmp_path / "u.csv"
    path.write_bytes(csv_bytes([["id", "city"], ["1", "Köln"], ["2", "上海"]]))
    message = data_error(path, encoding="cp1252")
    assert message == ("u.csv: survey.encoding is cp1252, but the file is UTF-8 text (line 2 reads '1,KÃ¶ln' as "
                       "cp1252 and '1,Köln' as UTF-8); remove survey.encoding or set it to auto")
    assert "is UTF-8 text" in data_error(path, encoding="gb18030")
    assert "is UTF-8 text" in data_error(path, encoding="latin-1")


def test_gb18030_read_as_latin1_is_caught(tmp_path):
    """Chinese GB18030 read as latin-1 decodes into pairs of accented letters; the message shows both readings."""
    path = tmp_path / "zh.csv"
    path.write_bytes(csv_bytes(ZH_ROWS[:3], "gb18030"))
    message = data_error(path, encoding="latin-1")
    assert message.startswith("zh.csv: survey.encoding is latin-1, but the text looks like Chinese (GB18030)")
    assert "'编号,门店,推荐,评价' as gb18030" in message and message.endswith("set survey.encoding: gb18030")


def test_western_text_read_as_gb18030_is_caught(tmp_path):
    """cp1252 French read as gb18030 gives lone Chinese characters between Latin letters."""
    path = tmp_path / "fr.csv"
    path.write_bytes("id,ville\n1,Élancourt\n2,Vélizy\n".encode("cp1252"))
    message = data_error(path, encoding="gb18030")
    assert message.startswith("fr.csv: survey.encoding is gb18030, but the Chinese characters it gives stand alone")
    assert "perhaps cp1252" in message
    assert read_table(path, encoding="cp1252").frame["ville"].tolist() == ["Élancourt", "Vélizy"]


def test_western_text_in_latin1_still_reads(tmp_path):
    """The checks do not refuse real one-byte Western text, even with accented letters side by side."""
    path = tmp_path / "de.csv"
    path.write_bytes("id,stadt\n1,Köln\n2,Düsseldorf süß\n".encode("latin-1"))
    assert read_table(path, encoding="latin-1").frame["stadt"].tolist() == ["Köln", "Düsseldorf süß"]


def test_utf16_with_and_without_bom_is_detected(tmp_path):
    """Excel's 'Unicode Text' (UTF-16, tab-separated) is read with encoding auto, BOM or not."""
    text = "id\tq_nps\tcity\n1\t9\tKöln\n2\t3\tZürich\n"
    for name, data in (("bom.txt", text.encode("utf-16")), ("le.txt", text.encode("utf-16-le")),
                       ("be.txt", text.encode("utf-16-be"))):
        path = tmp_path / name
        path.write_bytes(data)
        table = read_table(path)
        assert table.frame["city"].tolist() == ["Köln", "Zürich"], name


def test_explicit_utf16_on_a_utf8_file_is_caught(tmp_path):
    path = tmp_path / "u.csv"
    path.write_bytes(b"id,q_nps\n1,9\n")
    assert data_error(path, encoding="utf-16") == (
        "u.csv: survey.encoding is utf-16, but the file has no zero bytes, so it is not utf-16 text; "
        "remove survey.encoding (UTF-8 is read by default)")


# --------------------------------------------------------------------------- word scales (Sudzilla, real)

FOOD = {"Horrendous": 1, "Just about edible but I was hungry": 2, "Some good, some not so good": 3,
        "Yum!": 4, "Give the team a Michelin star!!": 5}
FOOD_Q = "How would you rate the food at Sudzilla ({meal})?"


def sudzilla_project(folder: Path, data: bytes | Path = SUDZILLA, **extra) -> Path:
    return project(folder, {
        "survey": {"file": "responses.csv"},
        "columns": {"nps": "On a scale of 0-10, how would you rate Sudzilla?",
                    "attributes": {meal.capitalize(): {"column": FOOD_Q.format(meal=meal), "scale": "food"}
                                   for meal in ("breakfast", "lunch", "dinner")}},
        "scales": {"food": FOOD},
        "bases": {"suppress_below": 10, "flag_below": 30}, **extra},
        {"responses.csv": data})


def test_sudzilla_food_ratings_in_words(tmp_path):
    """The real export's food ratings are words; mapped to 1–5 the means match a hand count.

    Breakfast: Some good ×6, Just about edible ×5, Yum! ×4, Michelin ×3, Horrendous ×2
    → (18 + 10 + 16 + 15 + 2) / 20 = 3.05. Lunch: 55 / 20 = 2.75. Dinner: 75 / 20 = 3.75.
    """
    study = run(sudzilla_project(tmp_path / "p"))
    overall = study.results.overall
    assert overall["attr:Breakfast"].mean.value == pytest.approx(3.05)
    assert overall["attr:Lunch"].mean.value == pytest.approx(2.75)
    assert overall["attr:Dinner"].mean.value == pytest.approx(3.75)
    assert overall["attr:Dinner"].spec.low == 1 and overall["attr:Dinner"].spec.high == 5
    assert study.validation.clean


def test_word_matching_ignores_case_and_spacing_and_reports_the_rest(tmp_path):
    """'  yum! ' and 'HORRENDOUS' count; 'Yumm' is excluded and reported with its row, column and the words."""
    with open(SUDZILLA, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    breakfast = rows[0].index(FOOD_Q.format(meal="breakfast"))
    rows[1][breakfast] = "  yum!  "
    rows[2][breakfast] = "HORRENDOUS"
    rows[3][breakfast] = "Yumm"
    study = run(sudzilla_project(tmp_path / "p", csv_bytes(rows)))
    check = check_of(study, FOOD_Q.format(meal="breakfast"))
    assert (check.valid, check.non_numeric) == (19, 1)
    column = FOOD_Q.format(meal="breakfast")
    assert check.examples == [f"row 4, column '{column}': 'Yumm' is not a word of the scale (did you mean 'Yum!'?)"]
    summary = next(w for w in study.validation.warnings() if "invalid value" in w)
    assert summary == (f"responses.csv: column '{column}' (columns.attributes.Breakfast): 1 invalid value excluded "
                       "(1 not words of the scale: Horrendous, Just about edible but I was hungry, "
                       "Some good, some not so good, Yum!, Give the team a Michelin star!!)")
    result = invoke("validate", tmp_path / "p" / "cxreport.yaml", "--strict")
    assert result.exit_code == 1 and "'Yumm' is not a word of the scale" in result.output


def test_word_scale_with_a_not_applicable_word(tmp_path):
    """A word mapped to one of the item's na_codes is N/A and stays out of the scale's range."""
    food = {**FOOD, "Didn't eat": 0}
    with open(SUDZILLA, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    lunch = rows[0].index(FOOD_Q.format(meal="lunch"))
    rows[1][lunch] = "didn't eat"
    path = project(tmp_path / "p", {"survey": {"file": "r.csv"},
                                    "columns": {"attributes": {"Lunch": {"column": FOOD_Q.format(meal="lunch"),
                                                                         "scale": "food", "na_codes": [0]}}},
                                    "scales": {"food": food}, "bases": {"suppress_below": 5, "flag_below": 10}},
                   {"r.csv": csv_bytes(rows)})
    study = run(path)
    lunch_result = study.results.overall["attr:Lunch"]
    assert (lunch_result.spec.low, lunch_result.spec.high) == (1, 5)
    assert check_of(study, FOOD_Q.format(meal="lunch")).not_applicable == 1
    assert lunch_result.n == 19


def test_multi_item_scales_and_word_scales_live_side_by_side(tmp_path):
    """scales: keeps its Cronbach's alpha lists next to word scales."""
    study = run(sudzilla_project(tmp_path / "p", scales={"food": FOOD, "meals": ["Breakfast", "Lunch", "Dinner"]}))
    assert [name for name, *_ in study.drivers.scales] == ["meals"]


@pytest.mark.parametrize("columns, scales, needle", [
    ({"attributes": {"Food": {"column": "x", "scale": "fod"}}}, {"food": FOOD},
     "columns.attributes.Food.scale: no word scale 'fod' in scales: (did you mean 'food'?)"),
    ({"attributes": {"Food": {"column": "x", "scale": "meals"}}}, {"meals": ["A", "B"]},
     "it is a list of attributes, a multi-item scale"),
    ({"csat": {"column": "x", "scale": "food"}}, {"food": {"Bad": 0, "Good": 1, "Great": 2}},
     "columns.csat.scale: word scale 'food' runs 0–2; CSAT needs 1–5 or 1–10"),
    ({"ces": {"column": "x", "scale": "food"}}, {"food": FOOD}, "columns.ces.scale: word scale 'food' runs 1–5; CES needs 1–7"),
    ({"nps": "x"}, {"food": {"Good": 1, " good ": 2}}, "'Good' are the same word"),
    ({"nps": "x"}, {"food": {1: "Bad", 2: "Good"}}, "write a word scale as word: number ('Bad': 1)"),
    ({"nps": "x"}, {"food": {"Bad": 1.5, "Good": 2}}, "must be a whole number"),
    ({"csat": {"column": "x", "scale": 7}}, {}, "columns.csat.scale: scale must be 5 or 10, or the name of a word scale"),
])
def test_word_scale_config_errors(tmp_path, columns, scales, needle):
    path = project(tmp_path / "p", {"survey": {"file": "d.csv"}, "columns": columns, "scales": scales},
                   {"d.csv": "x\n1\n"})
    problems = config_problems(path)
    assert any(needle in p for p in problems), problems


def test_csat_in_words(tmp_path):
    """CSAT asked in words: 'Very satisfied' … on a 1–5 word scale; top-2-box by hand (2 of 4 = 50 %)."""
    path = project(tmp_path / "p", {"survey": {"file": "d.csv"},
                                    "columns": {"csat": {"column": "sat", "scale": "satisfaction"}},
                                    "scales": {"satisfaction": SATISFACTION},
                                    "bases": {"suppress_below": 1, "flag_below": 2}},
                   {"d.csv": "sat\nVery satisfied\nvery dissatisfied\nSomewhat satisfied\nNeither satisfied nor dissatisfied\n"})
    csat = run(path).results.overall["csat"]
    assert csat.top2.value == pytest.approx(50.0) and csat.mean.value == pytest.approx((5 + 1 + 4 + 3) / 4)


# --------------------------------------------------------------------------- multi-punch (Quantipy, real)

QP_CSV = QUANTIPY / "example_data_a_first400.csv"
QP_META = QUANTIPY / "example_data_a_first400.meta.json"


def quantipy_project(folder: Path, **columns) -> Path:
    return project(folder, {
        "survey": {"file": "data.csv", "meta": "data.meta.json"},
        "columns": {"respondent_id": "unique_id", "attributes": ["q14r01c01", "q14r02c01"],
                    "segments": {"Gender": "gender"}, "multi_punch": {"Sports": "q2"}, **columns},
        "missing_codes": [99]},
        {"data.csv": QP_CSV, "data.meta.json": QP_META})


def quantipy_rows() -> list[dict]:
    with open(QP_CSV, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_quantipy_fixture_keeps_its_licence():
    assert "YouGov" in (QUANTIPY / "LICENSE.quantipy").read_text(encoding="utf-8")
    assert (QUANTIPY / "README.md").is_file()


def test_meta_file_gives_question_texts_and_value_labels(tmp_path):
    """survey.meta: the Quantipy .meta.json labels columns (lib@values references resolved)."""
    table = read_table(QP_CSV, meta=QP_META)
    assert table.labels["q2"] == "Which, if any, of these other sports have you ever participated in?"
    assert table.value_labels["gender"] == {"1": "Male", "2": "Female"}
    assert table.value_labels["q14r01c01"]["5"] == "Strongly agree"          # from lib["values"]
    assert table.value_labels["q2"]["98"] == "None of these"


def test_broken_meta_file_is_a_data_error(tmp_path):
    path = tmp_path / "x.meta.json"
    path.write_text('{"columns": {"q1": ', encoding="utf-8")
    with pytest.raises(DataError) as info:
        read_table(QP_CSV, meta=path)
    assert info.value.message.startswith("x.meta.json: invalid JSON on line 1")
    path.write_text('{"something": 1}', encoding="utf-8")
    with pytest.raises(DataError) as info:
        read_table(QP_CSV, meta=path)
    assert info.value.message == 'x.meta.json: not a Quantipy meta file (no "columns" mapping)'


def test_multi_punch_indicators_match_a_hand_count(tmp_path):
    """'1;2;3;5;' becomes one 0/1 indicator per code; counts match counting the cells by hand."""
    study = run(quantipy_project(tmp_path / "p"))
    answers = study.data.multi[0]
    rows = quantipy_rows()
    ticked = [set(filter(None, r["q2"].split(";"))) for r in rows]
    assert answers.codes == ["1", "2", "3", "4", "5", "6", "97", "98"]
    assert answers.labels[:3] == ["Sky diving", "Base jumping", "Mountain biking"]
    for k, code in enumerate(answers.codes):
        assert int(answers.ticked[:, k].sum()) == sum(code in t for t in ticked), code
    assert int(answers.answered.sum()) == sum(bool(t) for t in ticked)


def test_multi_punch_as_a_segment(tmp_path):
    """Each code is a group of the respondents who ticked it (groups overlap); a group's mean is the
    mean of exactly those respondents, by hand."""
    study = run(quantipy_project(tmp_path / "p"))
    breakdown = next(b for b in study.results.segments if b.name == "Sports")
    assert breakdown.overlapping and breakdown.total_base == 400
    rows = quantipy_rows()
    sky = [int(r["q14r01c01"]) for r in rows if "1" in r["q2"].split(";")]
    group = next(g for g in breakdown.groups if g.label == "Sky diving")
    assert group.base == len(sky)
    assert group.items["attr:q14r01c01"].mean.value == pytest.approx(sum(sky) / len(sky))
    assert breakdown.groups[-1].label == "Not stated"
    assert breakdown.groups[-1].base == sum(not r["q2"] for r in rows)
    assert sum(g.base for g in breakdown.groups) > 400                       # overlapping groups
    gender = next(b for b in study.results.segments if b.name == "Gender")
    assert [g.label for g in gender.groups] == ["Male", "Female"]           # value labels from the meta file


def test_multi_punch_mentions_table(tmp_path):
    """Mentions: respondents ticking each code, % of those who answered (weighted), most mentioned first."""
    path = quantipy_project(tmp_path / "p", weight="weight_a")
    study = run(path)
    table = study.mentions[0]
    rows = quantipy_rows()
    answered = [r for r in rows if r["q2"]]
    base_w = sum(float(r["weight_a"]) for r in answered)
    biking_w = sum(float(r["weight_a"]) for r in answered if "3" in r["q2"].split(";"))
    assert table.base == len(answered) and table.not_answered == 400 - len(answered)
    top = table.rows[0]
    assert (top.label, top.count) == ("Mountain biking", sum("3" in r["q2"].split(";") for r in answered))
    assert top.pct == pytest.approx(100 * biking_w / base_w)
    assert table.total_pct > 100


def test_multi_punch_codes_from_the_project_and_invalid_codes(tmp_path):
    """Project codes replace the file's labels; a cell with a code outside them is excluded and reported."""
    study = run(quantipy_project(tmp_path / "p", multi_punch={
        "Reasons": {"column": "q9", "codes": {1: "For myself", 2: "For someone else", 3: "Advice", 4: "Prices"},
                    "segment": False}}))
    rows = quantipy_rows()
    check = check_of(study, "q9")
    with_other = [i for i, r in enumerate(rows) if {"96", "98"} & set(r["q9"].split(";"))]
    assert check.non_numeric == len(with_other)
    first = with_other[0]
    bad = next(c for c in rows[first]["q9"].split(";") if c in ("96", "98"))
    assert check.examples[0] == (f"row {first + 2}, column 'q9': '{rows[first]['q9']}' has code {bad}, "
                                 "which is not one of the question's codes")
    assert check.missing_code == sum(r["q9"] == "99;" for r in rows)       # 99 is a project missing code
    assert [b.name for b in study.results.segments] == ["Gender"]            # segment: false
    assert study.mentions[0].name == "Reasons" and study.mentions[0].question.startswith("For what reasons")


def test_multi_punch_without_labels_shows_its_codes(tmp_path):
    path = project(tmp_path / "p", {"survey": {"file": "d.csv"},
                                    "columns": {"nps": "nps", "multi_punch": {"Used": {"column": "used", "separator": "|"}}},
                                    "bases": {"suppress_below": 1, "flag_below": 2}},
                   {"d.csv": "nps,used\n9,App|Web\n3,Web\n7,\n10,App\n"})
    study = run(path)
    assert study.mentions[0].rows[0].label in ("App", "Web")
    assert {m.label: m.count for m in study.mentions[0].rows} == {"App": 2, "Web": 2}
    assert study.mentions[0].base == 3


def test_multi_punch_cannot_be_a_driver_segment(tmp_path):
    """Places that need one group per respondent say why a multi-punch question does not fit."""
    path = quantipy_project(tmp_path / "p", attributes=["q14r01c01", "q14r02c01", "q14r03c01"])
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["drivers"] = {"outcome": "q14r01c01", "segments": ["Sports"], "min_base": 30}
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        run(path)
    assert "'Sports' is a multi-punch question" in info.value.message


def test_multi_punch_name_clash_and_segment_targets(tmp_path):
    path = quantipy_project(tmp_path / "p", segments={"Sports": "gender"})
    assert any("columns.multi_punch.Sports: a segment of the same name" in p for p in config_problems(path))
    ok = quantipy_project(tmp_path / "q")
    config = yaml.safe_load(ok.read_text(encoding="utf-8"))
    config["targets"] = {"attributes": {"q14r01c01": {"value": 3, "segments": {"Sports": {"Sky diving": 4}}}}}
    ok.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    study = run(ok)
    assert study.targets.for_group("Sports", "Sky diving", "attr:q14r01c01").target == 4


def test_multi_punch_end_to_end_report(tmp_path):
    """build: the mentions table sits with the customer comments, notes that percentages can add up to more
    than 100 %, and the segment table says the groups overlap; score JSON carries both."""
    path = quantipy_project(tmp_path / "p")
    result = invoke("build", path, "-o", tmp_path / "out", "--format", "html")
    assert result.exit_code == 0, result.output
    soup = BeautifulSoup((tmp_path / "out" / "report.html").read_text(encoding="utf-8"), "html.parser")
    comments = soup.find("section", id="comments")
    table = next(t for t in comments.find_all("table") if t.caption and t.caption.get_text() == "Sports")
    first = table.find("tbody").find("tr")
    assert first.find("th").get_text() == "Mountain biking"
    assert "can add up to more than 100%" in comments.get_text()
    segments = soup.find("section", id="segments")
    assert "the groups overlap" in segments.get_text()
    assert "Sky diving" in segments.get_text()
    scores = json.loads(invoke("score", path).stdout)
    sports = next(s for s in scores["segments"] if s["name"] == "Sports")
    assert sports["overlapping"] is True
    assert scores["mentions"][0]["rows"][0]["label"] == "Mountain biking"


def test_spss_string_multi_punch_uses_the_files_value_labels(tmp_path):
    """An SPSS string column of codes takes its code labels from the file's value labels."""
    import pyreadstat

    (tmp_path / "p").mkdir()
    frame = pd.DataFrame({"nps": [9.0, 3.0, 10.0, 7.0], "used": ["1;2;", "2;", "", "1;"]})
    pyreadstat.write_sav(frame, str(tmp_path / "p" / "s.sav"), column_labels={"used": "Channels used"},
                         variable_value_labels={"used": {"1": "App", "2": "Branch"}})
    path = project(tmp_path / "p", {"survey": {"file": "s.sav"},
                                    "columns": {"nps": "nps", "multi_punch": {"Channels": "used"}},
                                    "bases": {"suppress_below": 1, "flag_below": 2}})
    study = run(path)
    mentions = study.mentions[0]
    assert mentions.question == "Channels used"
    assert {m.label: m.count for m in mentions.rows} == {"App": 2, "Branch": 2}


def test_labels_from_files_are_escaped_in_the_report(tmp_path):
    """Question texts and code labels come from the data files: HTML in them is shown as text, never run."""
    import pyreadstat

    (tmp_path / "p").mkdir()
    frame = pd.DataFrame({"nps": [9.0, 3.0, 10.0, 7.0, 8.0], "used": ["1;2;", "2;", "1;", "1;", "2;"],
                          "q5": [4.0, 5.0, 3.0, 4.0, 2.0]})
    pyreadstat.write_sav(frame, str(tmp_path / "p" / "s.sav"),
                         column_labels={"used": "Used <script>alert(1)</script>?", "q5": "<img src=x onerror=alert(2)>"},
                         variable_value_labels={"used": {"1": "<b>App</b>", "2": "Branch & co"}})
    path = project(tmp_path / "p", {"survey": {"file": "s.sav"},
                                    "columns": {"nps": "nps", "attributes": ["q5"], "multi_punch": {"Channels": "used"}},
                                    "bases": {"suppress_below": 1, "flag_below": 2}})
    result = invoke("build", path, "-o", tmp_path / "out", "--format", "html")
    assert result.exit_code == 0, result.output
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")
    from cxreport.present.interactive import script_text

    # The only script is the report's own (sortable tables); nothing from the labels.
    assert [s.string for s in soup.find_all("script")] == [script_text()]
    assert not soup.find_all("b") and not soup.find("img", src="x")
    text = soup.get_text()
    assert "Used <script>alert(1)</script>?" in text and "<b>App</b>" in text and "Branch & co" in text


def test_meta_file_outside_the_project_folder_is_refused(tmp_path):
    shutil.copy(QP_META, tmp_path / "outside.meta.json")
    path = project(tmp_path / "p", {"survey": {"file": "data.csv", "meta": "../outside.meta.json"},
                                    "columns": {"nps": "q"}}, {"data.csv": "q\n1\n"})
    problems = config_problems(path)
    assert len(problems) == 1 and "survey.meta: '../outside.meta.json' is outside the project folder" in problems[0]
