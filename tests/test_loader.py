"""Reading survey files and checking them against the project: bad input must give a clear
DataError naming the file (and the row, line or column), never a traceback or a wrong number.
Also two real-world conventions: a Google-Forms export (real, MIT) and airline-style 0 = N/A
ratings (synthetic imitation).
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import openpyxl
import pytest
import yaml

from cxreport.config.loader import load_project
from cxreport.errors import DataError
from cxreport.load.tabular import read_table
from cxreport.pipeline import run
from cxreport.validate import prepare

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SUDZILLA = FIXTURES / "sudzilla_event_survey"
AIRLINE = FIXTURES / "airline_synthetic"


# --------------------------------------------------------------------------- helpers


def write_bytes(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def data_error(path: Path, **kwargs) -> str:
    with pytest.raises(DataError) as info:
        read_table(path, **kwargs)
    return info.value.message


def make_project(folder: Path, config: dict, data_name: str = "data.csv") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    full = {"client": {"name": "Test client"}, "survey": {"file": data_name}}
    full.update(config)
    path = folder / "cxreport.yaml"
    path.write_text(yaml.safe_dump(full, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def prepare_csv(tmp_path: Path, text: str, columns: dict, **extra):
    folder = tmp_path / "proj"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data.csv").write_text(text, encoding="utf-8")
    project = load_project(make_project(folder, {"columns": columns, **extra}))
    return prepare(project, read_table(project.survey.file))


# --------------------------------------------------------------------------- files that cannot be read


def test_missing_file(tmp_path):
    """A data file that has gone is named in the error."""
    assert data_error(tmp_path / "gone.csv") == "gone.csv: file not found"


def test_missing_file_uses_the_name_the_user_wrote(tmp_path):
    """Messages name the file as written in the project, not an absolute temp path."""
    assert data_error(tmp_path / "gone.csv", name="data/gone.csv") == "data/gone.csv: file not found"


def test_empty_file(tmp_path):
    """A zero-byte export says the file is empty."""
    assert data_error(write_bytes(tmp_path, "empty.csv", b"")) == "empty.csv: the file is empty"


def test_whitespace_only_file(tmp_path):
    """A file of blank lines says the file is empty."""
    assert data_error(write_bytes(tmp_path, "blank.csv", b"  \n\n")) == "blank.csv: the file is empty"


def test_header_only(tmp_path):
    """A file with column names but no responses: say so rather than score nothing."""
    path = write_bytes(tmp_path, "header.csv", b"id,q_nps\n")
    assert data_error(path) == "header.csv: has a header row but no data rows"
    path = write_bytes(tmp_path, "header2.csv", b"id,q_nps\r\n\r\n\r\n")
    assert data_error(path) == "header2.csv: has a header row but no data rows"


def test_cp1252_file_with_auto_encoding_names_file_and_line(tmp_path):
    """An Excel 'CSV' saved in Windows-1252 must give a clear message pointing at the line."""
    text = "id,q_nps,comment\n1,9,fine\n2,3,caf\u00e9 \u2013 slow\n"
    path = write_bytes(tmp_path, "export.csv", text.encode("cp1252"))
    message = data_error(path)
    assert message.startswith("export.csv: not UTF-8 text (byte 0xE9 on line 3)")
    assert "survey.encoding" in message and "cp1252" in message


def test_cp1252_file_reads_with_encoding_cp1252(tmp_path):
    """With survey.encoding: cp1252 accented text and dashes come through intact."""
    text = "id,q_nps,comment\n1,9,fine\n2,3,caf\u00e9 \u2013 slow\n"
    path = write_bytes(tmp_path, "export.csv", text.encode("cp1252"))
    table = read_table(path, encoding="cp1252")
    assert table.frame["comment"].tolist() == ["fine", "caf\u00e9 \u2013 slow"]
    assert table.frame["q_nps"].tolist() == ["9", "3"]


def test_cp1252_project_setting_is_honoured(tmp_path):
    """survey.encoding in the project file reaches the reader (accented header and labels)."""
    folder = tmp_path / "proj"
    folder.mkdir()
    (folder / "data.csv").write_bytes("id,q_nps,r\u00e9gion\n1,10,Nord\n2,0,S\u00fcd\n".encode("cp1252"))
    path = make_project(folder, {"survey": {"file": "data.csv", "encoding": "cp1252"},
                                 "columns": {"respondent_id": "id", "nps": "q_nps",
                                             "segments": {"Region": "r\u00e9gion"}}})
    study = run(path)
    assert [g.label for g in study.results.segments[0].groups] == ["Nord", "S\u00fcd"]
    assert study.results.overall["nps"].nps.value == pytest.approx(0.0)


def test_wrong_explicit_encoding_names_the_line(tmp_path):
    """A wrong explicit encoding names the byte and the line."""
    path = write_bytes(tmp_path, "x.csv", b"id,q\n1,9\n2,\x81\n")
    message = data_error(path, encoding="utf-8")
    assert message.startswith("x.csv: cannot be read as utf-8 (byte 0x81 on line 3)")


def test_utf16_file_reads_with_encoding_utf16(tmp_path):
    """Excel's 'Unicode Text' export is UTF-16; with survey.encoding: utf-16 it must be read, not called binary."""
    path = write_bytes(tmp_path, "unicode.csv", "id,q_nps,city\n1,9,K\u00f6ln\n2,3,Z\u00fcrich\n".encode("utf-16"))
    table = read_table(path, encoding="utf-16")
    assert list(table.frame.columns) == ["id", "q_nps", "city"]
    assert table.frame["city"].tolist() == ["K\u00f6ln", "Z\u00fcrich"]


def test_utf8_with_bom(tmp_path):
    """Excel's 'CSV UTF-8' adds a BOM; the first column must still be called 'id', not '\\ufeffid'."""
    path = write_bytes(tmp_path, "bom.csv", "id,q_nps,city\n1,9,K\u00f6ln\n".encode("utf-8-sig"))
    table = read_table(path)
    assert list(table.frame.columns) == ["id", "q_nps", "city"]
    assert table.frame["city"].tolist() == ["K\u00f6ln"]
    table = read_table(path, encoding="utf-8")
    assert list(table.frame.columns)[0] == "id"


def test_duplicate_header(tmp_path):
    """Two columns called q_nps: which one is the NPS? Refuse, naming both positions."""
    path = write_bytes(tmp_path, "dup.csv", b"id,q_nps,q_nps\n1,9,8\n")
    assert data_error(path) == "dup.csv: duplicate column name 'q_nps' (columns 2 and 3)"


def test_duplicate_header_differing_only_by_spaces(tmp_path):
    """' q_nps' and 'q_nps ' are the same column once trimmed: refused as duplicates."""
    path = write_bytes(tmp_path, "dup.csv", b"id, q_nps,q_nps \n1,9,8\n")
    assert "duplicate column name 'q_nps'" in data_error(path)


def test_ragged_row_with_too_many_fields(tmp_path):
    """A row with an extra comma shifts answers into the wrong columns: refuse, naming the line."""
    path = write_bytes(tmp_path, "ragged.csv", b"id,q_nps\n1,9\n2,3,4\n3,5\n")
    message = data_error(path)
    assert message.startswith("ragged.csv: cannot parse CSV")
    assert "line 3" in message


def test_short_rows_are_padded_with_blanks(tmp_path):
    """A row missing trailing cells is read with blanks (missing answers), not refused."""
    path = write_bytes(tmp_path, "short.csv", b"id,q_nps,region\n1,9\n2,3,North\n")
    table = read_table(path)
    assert table.frame.values.tolist() == [["1", "9", ""], ["2", "3", "North"]]


def test_binary_junk(tmp_path):
    """Random bytes are refused as binary, not parsed into garbage."""
    path = write_bytes(tmp_path, "junk.csv", bytes(range(256)) * 16)
    assert data_error(path) == "junk.csv: looks like a binary file, not CSV text"


def test_image_renamed_to_csv(tmp_path):
    """A picture renamed to .csv gives a DataError naming the file."""
    png = (Path(__file__).resolve().parents[1] / "samples" / "harbour-bank" / "brand" / "logo.png").read_bytes()
    message = data_error(write_bytes(tmp_path, "logo.csv", png))
    assert message.startswith("logo.csv: ")
    assert "binary" in message or "not UTF-8" in message


def test_unsupported_extension(tmp_path):
    """An unsupported extension names the types that work."""
    path = write_bytes(tmp_path, "data.dta", b"<stata_dta><header>")
    assert data_error(path) == ("data.dta: unsupported file type '.dta' "
                                "(use .csv, .txt, .xlsx, .xlsm, .sav, .zsav or .parquet)")


def test_folder_instead_of_file(tmp_path):
    """A folder path is refused clearly."""
    (tmp_path / "data.csv").mkdir()
    assert data_error(tmp_path / "data.csv") == ("data.csv: is a folder, not a data file (a folder of Parquet "
                                                 "partitions is scored with 'cxreport score --stream', docs/batch.md)")


# --------------------------------------------------------------------------- XLSX


@pytest.fixture
def workbook(tmp_path) -> Path:
    book = openpyxl.Workbook()
    intro = book.active
    intro.title = "Intro"
    intro.append(["About"])
    intro.append(["This workbook holds the Q3 survey"])
    sheet = book.create_sheet("Responses")
    sheet.append(["id", "q_nps", "region"])
    sheet.append([1, 10, "North"])
    sheet.append([2, 3, "South"])
    sheet.append([None, None, None])          # a blank row in the middle
    sheet.append([3, 11, "North"])            # out of scale, sheet row 5
    sheet.append([4, 9, None])
    path = tmp_path / "survey.xlsx"
    book.save(path)
    return path


def test_xlsx_named_sheet(workbook):
    """survey.sheet picks the worksheet by name; blank rows drop but row numbers stay the sheet's."""
    table = read_table(workbook, sheet="Responses")
    assert list(table.frame.columns) == ["id", "q_nps", "region"]
    assert table.frame["q_nps"].tolist() == ["10", "3", "11", "9"]
    # the blank row is dropped but row numbers stay the sheet's own
    assert [table.row_number(i) for i in table.frame.index] == [2, 3, 5, 6]


def test_xlsx_sheet_by_index(workbook):
    """survey.sheet as a 0-based index picks the second worksheet."""
    assert read_table(workbook, sheet=1).frame["id"].tolist() == ["1", "2", "3", "4"]


def test_xlsx_default_is_the_first_sheet(workbook):
    """Without survey.sheet the first worksheet is read."""
    table = read_table(workbook)
    assert list(table.frame.columns) == ["About"]
    assert table.frame["About"].tolist() == ["This workbook holds the Q3 survey"]


def test_xlsx_missing_sheet_has_did_you_mean(workbook):
    """A misspelt sheet name suggests the real one and lists all sheets."""
    message = data_error(workbook, sheet="Responces")
    assert message == "survey.xlsx: no sheet named 'Responces' (did you mean 'Responses'?); sheets: Intro, Responses"


def test_xlsx_sheet_index_out_of_range(workbook):
    """A sheet index past the end says how many sheets there are."""
    assert data_error(workbook, sheet=5) == "survey.xlsx: sheet index 5 out of range (the workbook has 2 sheets)"


def test_corrupt_xlsx(tmp_path):
    """A truncated or fake .xlsx is refused with a DataError, not a zipfile traceback."""
    path = write_bytes(tmp_path, "broken.xlsx", b"PK\x03\x04 this zip is cut short")
    assert data_error(path).startswith("broken.xlsx: not a readable XLSX workbook")
    path = write_bytes(tmp_path, "text.xlsx", b"id,q_nps\n1,9\n")
    assert data_error(path).startswith("text.xlsx: not a readable XLSX workbook")


def test_xlsx_duplicate_header(tmp_path):
    """A workbook with two columns of the same name is refused."""
    book = openpyxl.Workbook()
    book.active.append(["id", "q", "q"])
    book.active.append([1, 2, 3])
    book.save(tmp_path / "dup.xlsx")
    assert data_error(tmp_path / "dup.xlsx").startswith("dup.xlsx: duplicate column name 'q'")


def test_xlsx_columns_with_numbered_suffixes_are_not_duplicates(tmp_path):
    """Questionnaire columns 'Q5', 'Q5.1', 'Q5.2' are three different questions, not a duplicated header."""
    book = openpyxl.Workbook()
    book.active.append(["id", "Q5", "Q5.1", "Q5.2"])
    book.active.append([1, 3, 4, 5])
    book.save(tmp_path / "q.xlsx")
    table = read_table(tmp_path / "q.xlsx")
    assert list(table.frame.columns) == ["id", "Q5", "Q5.1", "Q5.2"]
    assert table.frame.iloc[0].tolist() == ["1", "3", "4", "5"]
    # the same header in a CSV is accepted
    csv_path = write_bytes(tmp_path, "q.csv", b"id,Q5,Q5.1,Q5.2\n1,3,4,5\n")
    assert list(read_table(csv_path).frame.columns) == ["id", "Q5", "Q5.1", "Q5.2"]


def test_xlsx_project_reports_sheet_rows(tmp_path, workbook):
    """An invalid cell in a workbook is reported with the row number the user sees in Excel."""
    folder = tmp_path / "proj"
    folder.mkdir()
    shutil.copy(workbook, folder / "survey.xlsx")
    path = make_project(folder, {"survey": {"file": "survey.xlsx", "sheet": "Responses"},
                                 "columns": {"respondent_id": "id", "nps": "q_nps",
                                             "segments": {"Region": "region"}}})
    study = run(path)
    check = next(c for c in study.validation.columns if c.column == "q_nps")
    assert check.out_of_scale == 1
    assert check.examples == ["row 5, column 'q_nps': '11' is outside the 0–10 scale"]
    assert study.results.overall["nps"].n == 3
    labels = {g.label: g.base for g in study.results.segments[0].groups}
    assert labels == {"North": 2, "South": 1, "Not stated": 1}


# --------------------------------------------------------------------------- mapping problems


def test_misspelt_mapped_columns_are_all_listed(tmp_path):
    """Every mapped column that is not in the file is listed at once, with the closest real name."""
    text = "resp_id,q_nps,q_csat,region,weight\n1,9,4,N,1\n"
    with pytest.raises(DataError) as info:
        prepare_csv(tmp_path, text, {"respondent_id": "respid", "weight": "wieght", "nps": "q_nsp",
                                     "csat": "q_csat", "segments": {"Region": "regoin"}})
    err = info.value
    assert err.message == "data.csv: 4 mapped columns not found"
    assert err.problems == [
        "columns.respondent_id: column 'respid' not found in data.csv (did you mean 'resp_id'?)",
        "columns.weight: column 'wieght' not found in data.csv (did you mean 'weight'?)",
        "columns.nps.column: column 'q_nsp' not found in data.csv (did you mean 'q_nps'?)",
        "columns.segments.Region: column 'regoin' not found in data.csv (did you mean 'region'?)",
    ]


def test_single_misspelt_column(tmp_path):
    """One missing column: the message suggests the name that differs only in case."""
    with pytest.raises(DataError) as info:
        prepare_csv(tmp_path, "id,Q_NPS\n1,9\n", {"nps": "q_nps"})
    assert info.value.message == "columns.nps.column: column 'q_nps' not found in data.csv (did you mean 'Q_NPS'?)"


def test_all_values_missing_for_a_kpi(tmp_path):
    """A KPI column with no valid answer at all (blank, 99, text) is an error, not an empty chart."""
    text = "id,q_nps,q_csat\n1,9,99\n2,3,\n3,5,x\n4,7,6\n"
    with pytest.raises(DataError) as info:
        prepare_csv(tmp_path, text, {"nps": "q_nps", "csat": "q_csat"}, missing_codes=[99])
    assert info.value.message == (
        "data.csv: column 'q_csat' (columns.csat) has no valid answers "
        "(1 blank, 1 missing codes, 0 not applicable, 2 invalid); nothing to score")


def test_all_answers_not_applicable_is_an_error(tmp_path):
    """An attribute whose every answer is N/A cannot be scored and says why."""
    text = "id,q_nps,a\n1,9,0\n2,3,0\n"
    with pytest.raises(DataError) as info:
        prepare_csv(tmp_path, text, {"nps": "q_nps", "attributes": {"Wait": {"column": "a", "na_codes": [0]}}})
    assert "column 'a' (columns.attributes.Wait) has no valid answers" in info.value.message
    assert "2 not applicable" in info.value.message


def test_duplicate_respondent_ids_are_excluded_and_counted(tmp_path):
    """A respondent submitted twice counts once (the first copy); the report says how many were dropped."""
    text = "id,q_nps\nA,10\nB,3\nA,0\n,5\n,6\nB,1\nA,2\nC,9\n"
    data = prepare_csv(tmp_path, text, {"respondent_id": "id", "nps": "q_nps"})
    report = data.report
    assert report.rows_read == 8
    assert report.rows_used == 5                    # A, B, two blank ids, C
    assert report.excluded == {"duplicate respondent id": 3}
    assert report.duplicate_ids == ["A", "B"]
    assert data.values["nps"].tolist() == [10.0, 3.0, 5.0, 6.0, 9.0]
    assert any("2 duplicate respondent ids (later copies excluded): A, B" in w for w in report.warnings())


def test_duplicate_ids_ignore_surrounding_spaces(tmp_path):
    """'A1' and ' A1 ' are the same respondent: the second copy is dropped."""
    data = prepare_csv(tmp_path, "id,q_nps\nA1,10\n A1 ,0\n", {"respondent_id": "id", "nps": "q_nps"})
    assert data.report.excluded == {"duplicate respondent id": 1}
    assert data.values["nps"].tolist() == [10.0]


def test_blank_ids_made_of_spaces_are_not_duplicates(tmp_path):
    """Respondents without an id (cells holding only spaces) are all kept, not dropped as 'duplicates'."""
    data = prepare_csv(tmp_path, "id,q_nps\n  ,10\n  ,0\n ,9\nX,8\n", {"respondent_id": "id", "nps": "q_nps"})
    assert data.report.excluded == {}
    assert data.report.duplicate_ids == []
    assert data.values["nps"].tolist() == [10.0, 0.0, 9.0, 8.0]


# --------------------------------------------------------------------------- real data: Google-Forms export


SUDZILLA_NPS = "On a scale of 0-10, how would you rate Sudzilla?"
SUDZILLA_OPENING = "On a scale of 0-10, how would you rate the opening keynote?"


@pytest.fixture(scope="module")
def sudzilla_study(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sudzilla")
    shutil.copy(SUDZILLA / "input_01_first20.csv", folder / "responses.csv")
    path = make_project(folder, {
        "survey": {"file": "responses.csv"},
        "columns": {
            "date": "Timestamp",
            "date_format": "%m/%d/%Y %H:%M:%S",
            "comment": "...why?",
            "nps": {"column": SUDZILLA_NPS, "label": "Recommend Sudzilla"},
            "attributes": {"Opening keynote": {"column": SUDZILLA_OPENING, "scale": "0-10"}},
        },
        "bases": {"suppress_below": 10, "flag_below": 30},
    })
    return run(path)


def test_fixture_licence_is_kept_beside_the_data():
    """The real-data fixture keeps its MIT licence and provenance note beside it."""
    assert (SUDZILLA / "LICENSE.prepbench").read_text(encoding="utf-8").startswith("MIT License")
    assert (SUDZILLA / "README.md").is_file()


def test_sudzilla_nps_matches_a_hand_count(sudzilla_study):
    """A real Google-Forms export (CRLF, quoted commas in headers): NPS as counted by hand.

    The 20 answers are 0 0 5 2 4 3 10 3 4 7 6 8 7 9 5 1 8 2 7 9:
    promoters (9–10) 10, 9, 9 = 3; passives (7–8) 7, 8, 7, 8, 7 = 5; detractors = 12.
    NPS = 100 · (3 − 12) / 20 = −45.
    """
    with open(SUDZILLA / "input_01_first20.csv", newline="", encoding="utf-8") as handle:
        answers = [int(row[SUDZILLA_NPS]) for row in csv.DictReader(handle)]
    assert answers == [0, 0, 5, 2, 4, 3, 10, 3, 4, 7, 6, 8, 7, 9, 5, 1, 8, 2, 7, 9]

    result = sudzilla_study.results.overall["nps"]
    assert result.n == 20
    assert (result.count_hi, result.count_mid, result.count_lo) == (3, 5, 12)
    assert result.nps.value == pytest.approx(-45.0)
    assert result.base == "small"
    assert result.nps.shown
    assert result.spec.label == "Recommend Sudzilla"
    assert sudzilla_study.validation.clean


def test_sudzilla_keynote_rating_and_dates(sudzilla_study):
    """0–10 attribute mean by hand (sum 110 over 20 = 5.5); all answers fall on 1 Nov 2019 → 2019 Q4."""
    attr = sudzilla_study.results.overall["attr:Opening keynote"]
    assert attr.n == 20
    assert attr.mean.value == pytest.approx(5.5)
    periods = sudzilla_study.results.periods
    assert [(g.label, g.base) for g in periods.groups] == [("2019 Q4", 20)]
    comments = sudzilla_study.data.comments
    assert comments["text"].iloc[0] == "Bad service"
    assert comments["row"].iloc[0] == 2


# --------------------------------------------------------------------------- airline-style 0 = N/A


def airline_project(tmp_path: Path, wifi: dict) -> Path:
    folder = tmp_path / "airline"
    folder.mkdir(exist_ok=True)
    shutil.copy(AIRLINE / "passengers.csv", folder / "passengers.csv")
    return make_project(folder, {
        "survey": {"file": "passengers.csv"},
        "columns": {
            "respondent_id": "id",
            "attributes": {
                "Inflight wifi": wifi,
                "Seat comfort": {"column": "Seat comfort", "scale": "1-5", "na_codes": [0]},
                "Check-in": {"column": "Checkin service", "scale": "1-5", "na_codes": [0]},
            },
            "segments": {"Class": "Class"},
        },
        "bases": {"suppress_below": 5, "flag_below": 10},
    })


def test_airline_style_zero_is_not_applicable(tmp_path):
    """0 = 'not applicable' on 1–5 touchpoints: out of the base, reported as N/A, not as a very low score.

    By hand (fixture README): wifi 3 0 2 5 0 1 4 0 5 3 0 4 → four N/A, mean 27/8 = 3.375, top-2 4/8;
    seat 4 5 0 5 3 2 4 1 0 3 2 5 → two N/A, mean 34/10; check-in → three N/A, mean 31/9.
    """
    study = run(airline_project(tmp_path, {"column": "Inflight wifi service", "scale": "1-5", "na_codes": [0]}))
    table = study.table
    assert table.frame.columns[0] == "Unnamed: 0"      # the unnamed index column is read, not fatal
    overall = study.results.overall
    wifi = overall["attr:Inflight wifi"]
    assert wifi.n == 8
    assert wifi.mean.value == pytest.approx(27 / 8)
    assert wifi.top2.value == pytest.approx(50.0)
    assert overall["attr:Seat comfort"].n == 10
    assert overall["attr:Seat comfort"].mean.value == pytest.approx(3.4)
    assert overall["attr:Check-in"].n == 9
    assert overall["attr:Check-in"].mean.value == pytest.approx(31 / 9)
    checks = {c.column: c for c in study.validation.columns}
    assert checks["Inflight wifi service"].not_applicable == 4
    assert checks["Seat comfort"].not_applicable == 2
    assert checks["Checkin service"].not_applicable == 3
    assert study.validation.invalid_values == 0
    business = next(g for g in study.results.segments[0].groups if g.label == "Business")
    # Business wifi: 0 5 4 5 4 → one N/A, mean 18/4
    assert business.items["attr:Inflight wifi"].n == 4
    assert business.items["attr:Inflight wifi"].mean.value == pytest.approx(18 / 4)


def test_airline_style_zero_without_na_codes_would_be_a_low_score(tmp_path):
    """The contrast that na_codes exists for: on a 0–5 scale the zeros would drag the mean to 27/12."""
    study = run(airline_project(tmp_path, {"column": "Inflight wifi service", "scale": "0-5"}))
    wifi = study.results.overall["attr:Inflight wifi"]
    assert wifi.n == 12
    assert wifi.mean.value == pytest.approx(27 / 12)


def test_airline_style_zero_on_a_1_to_5_scale_without_na_codes_is_invalid(tmp_path):
    """Without na_codes the zeros are invalid (counted), still not scored as low answers."""
    study = run(airline_project(tmp_path, {"column": "Inflight wifi service", "scale": "1-5"}))
    check = next(c for c in study.validation.columns if c.column == "Inflight wifi service")
    assert check.out_of_scale == 4 and check.not_applicable == 0
    assert study.results.overall["attr:Inflight wifi"].mean.value == pytest.approx(27 / 8)


import pytest as _pytest


@_pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_delimiter_is_detected(tmp_path, delimiter):
    from cxreport.load.tabular import read_table

    rows = ["id", "nps", "comment"], ["1", "9", "good; really, good"], ["2", "3", "slow"]
    text = "\n".join(delimiter.join(f'"{c}"' if (";" in c or "," in c) else c for c in row) for row in rows) + "\n"
    path = tmp_path / "data.csv"
    path.write_text(text)
    table = read_table(path)
    assert list(table.frame.columns) == ["id", "nps", "comment"]
    assert table.frame["comment"].tolist() == ["good; really, good", "slow"]


def test_gbk_file_is_reported_with_a_hint_and_read_when_set(tmp_path):
    from cxreport.errors import DataError
    from cxreport.load.tabular import read_table

    text = "id,门店,评价\n1,上海店,服务很好\n2,北京店,排队太久\n"
    path = tmp_path / "zh.csv"
    path.write_bytes(text.encode("gbk"))
    with _pytest.raises(DataError) as err:
        read_table(path)
    assert "not UTF-8" in err.value.message and "gb18030" in err.value.message
    table = read_table(path, encoding="gb18030")
    assert table.frame["评价"].tolist() == ["服务很好", "排队太久"]
