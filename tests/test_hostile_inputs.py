"""The hostile-input corpus: broken and malicious files through every loader, end to end.

Each case writes a project (or a programme and a scoresheet) into a temporary folder, runs
the real command line, and expects: exit code 1, one clear message naming the file (and
the row and column, line, or project-file key) that matches the case's pattern, no
traceback, and no report written. The cases are data (:data:`CASES`); a new loader adds
its broken files here.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest
from click.testing import CliRunner

from cxreport.cli import cli
from tests.conftest import BASE_CONFIG, DEFAULT_CSV, csv_text, default_rows, write_project

HEADER = "resp_id,response_date,region,q_nps,q_csat,comment\n"
GOOD_ROW = "R1,2026-01-05,North,9,4,fine\n"


@dataclass
class Case:
    id: str
    #: Writes the inputs into the folder; returns the command-line arguments (without -o).
    setup: Callable[[Path], list[str]]
    #: Regular expression the error output must match.
    expect: str
    #: Whether the command renders reports (then nothing may be written to the output folder).
    renders: bool = True
    marks: list = field(default_factory=list)


CASES: list[Case] = []


def case(id: str, expect: str, renders: bool = True):
    def register(setup):
        CASES.append(Case(id, setup, expect, renders))
        return setup
    return register


def survey_case(id: str, data: bytes | str, expect: str, command: str = "build", name: str = "responses.csv",
                strict: bool = False, **overrides):
    """A project whose survey file is ``data`` (written as data/``name``)."""

    def setup(folder: Path) -> list[str]:
        raw = data.encode("utf-8") if isinstance(data, str) else data
        settings = dict(overrides)
        survey = {"file": f"data/{name}", **settings.pop("survey", {})}
        files = {f"data/{name}": raw, **settings.pop("files", {})}
        project = write_project(folder, None, files=files, survey=survey, **settings)
        return [command, str(project), *(["--strict"] if strict else [])]

    CASES.append(Case(id, setup, expect, command == "build"))


def project_case(id: str, expect: str, raw_yaml: str | bytes | None = None, files: dict | None = None,
                 command: str = "build", **overrides):
    """A project whose project file is broken (``raw_yaml``) or has broken settings (``overrides``)."""

    def setup(folder: Path) -> list[str]:
        if isinstance(raw_yaml, bytes):
            project = write_project(folder, DEFAULT_CSV, files=files)
            project.write_bytes(raw_yaml)
        else:
            project = write_project(folder, DEFAULT_CSV, files=files, raw_yaml=raw_yaml, **overrides)
        return [command, str(project)]

    CASES.append(Case(id, setup, expect, command == "build"))


def xlsx_bytes(rows: list[list], sheet: str = "Sheet1") -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


GOOD_XLSX_ROWS = [HEADER.strip().split(",")] + [r[:] for r in default_rows(20)]

# --------------------------------------------------------------------------- survey CSV files

survey_case("csv-empty", b"", r"responses\.csv: the file is empty")
survey_case("csv-only-bom", b"\xef\xbb\xbf", r"responses\.csv: the file is empty")
survey_case("csv-only-blank-lines", "\n\n\n", r"responses\.csv: .*(empty|no header)")
survey_case("csv-header-only", HEADER, r"responses\.csv: has a header row but no data rows")
survey_case("csv-truncated-in-quoted-field", HEADER + GOOD_ROW + 'R2,2026-01-06,North,9,4,"an unfinished comm',
            r"responses\.csv: .*(EOF|quot|unfinished|unterminated)")
survey_case("csv-ragged-row", HEADER + GOOD_ROW + "R2,2026-01-06,North,9,4,fine,extra,more\n",
            r"responses\.csv: cannot parse CSV: .*line 3")
survey_case("csv-wrong-delimiter-pipe", HEADER.replace(",", "|") + GOOD_ROW.replace(",", "|"),
            r"q_nps.*not (found|in)|column")
survey_case("csv-binary-junk", bytes(range(256)) * 40, r"responses\.csv: .*binary")
survey_case("csv-png-renamed", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, r"responses\.csv: .*binary")
survey_case("csv-zip-renamed", b"PK\x03\x04" + b"\x00" * 200, r"responses\.csv: .*binary")
survey_case("csv-cp1252", (HEADER + "R1,2026-01-05,North,9,4,caf\xe9 tr\xe8s bien\n" * 40).encode("cp1252"),
            r"responses\.csv: not UTF-8 text \(byte 0xE9 on line 2\).*survey\.encoding")
survey_case("csv-utf16-truncated", (HEADER + GOOD_ROW * 40).encode("utf-16")[:-1],
            r"responses\.csv: cannot be read as utf-16")
survey_case("csv-wrong-explicit-encoding", (HEADER + "R1,2026-01-05,North,9,4,é\n" * 40).encode("utf-8"),
            r"responses\.csv: cannot be read as ascii .*survey\.encoding", survey={"encoding": "ascii"})
survey_case("csv-duplicate-header", "resp_id,response_date,region,q_nps,q_nps,comment\n" + GOOD_ROW * 40,
            r"responses\.csv: duplicate column name 'q_nps' \(columns 4 and 5\)")
survey_case("csv-missing-configured-column", "resp_id,response_date,region,q_csat,comment\n"
            + "R1,2026-01-05,North,4,fine\n" * 40, r"q_nps")
survey_case("csv-huge-field", HEADER + GOOD_ROW * 40 + "R99,2026-01-05,North,9,4," + "x" * 2_000_000 + "\n",
            r"responses\.csv: row 42, column 'comment': .*characters")
survey_case("csv-formula-in-score-strict", HEADER + GOOD_ROW * 40 + "R99,2026-01-05,North,=1+9,4,fine\n",
            r"responses\.csv.*row 42.*q_nps.*=1\+9", strict=True)
survey_case("csv-nps-out-of-range-strict", HEADER + GOOD_ROW * 40 + "R99,2026-01-05,North,11,4,fine\n",
            r"row 42.*q_nps.*11", strict=True)
survey_case("csv-absurd-number-strict", HEADER + GOOD_ROW * 40 + "R99,2026-01-05,North,1e308,4,fine\n",
            r"row 42.*q_nps", strict=True)
survey_case("csv-nan-text-strict", HEADER + GOOD_ROW * 40 + "R99,2026-01-05,North,NaN,4,fine\n",
            r"row 42.*q_nps.*NaN", strict=True)
survey_case("csv-infinity-strict", HEADER + GOOD_ROW * 40 + "R99,2026-01-05,North,inf,4,fine\n",
            r"row 42.*q_nps.*inf", strict=True)
survey_case("csv-bad-date-strict", HEADER + GOOD_ROW * 40 + "R99,2026-13-45,North,9,4,fine\n",
            r"row 42.*response_date.*2026-13-45", strict=True)
survey_case("csv-duplicate-respondent-strict", HEADER + "".join(
    f"R{i},2026-01-05,North,9,4,fine\n" for i in range(40)) + "R7,2026-01-06,North,3,2,again\n",
            r"R7", strict=True)
survey_case("csv-every-row-invalid", HEADER + "R1,2026-01-05,North,x,y,fine\n" * 40,
            r"(no valid|no usable|every|all).*(respon|row|answer)")
survey_case("csv-negative-weight", "resp_id,response_date,region,q_nps,q_csat,comment,w\n"
            + "R1,2026-01-05,North,9,4,fine,1\n" * 40 + "R99,2026-01-05,North,9,4,fine,-3\n",
            r"row 42.*'w'.*-3", strict=True,
            columns={**BASE_CONFIG["columns"], "weight": "w"})
survey_case("csv-absurd-weight", "resp_id,response_date,region,q_nps,q_csat,comment,w\n"
            + "R1,2026-01-05,North,9,4,fine,1\n" * 40 + "R99,2026-01-05,North,9,4,fine,1e300\n",
            r"row 42.*'w'", strict=True,
            columns={**BASE_CONFIG["columns"], "weight": "w"})
survey_case("csv-unsupported-extension", "whatever", r"(unsupported|\.dat)", name="responses.dat")
survey_case("csv-validate-binary", bytes(range(256)) * 40, r"responses\.csv: .*binary", command="validate")
survey_case("csv-score-ragged", HEADER + GOOD_ROW + "R2,2026-01-06,North,9,4,fine,extra\n",
            r"responses\.csv: cannot parse CSV", command="score")

# --------------------------------------------------------------------------- survey XLSX files

survey_case("xlsx-text-renamed", "not a workbook at all", r"responses\.xlsx: not a readable XLSX workbook",
            name="responses.xlsx")
survey_case("xlsx-truncated", xlsx_bytes(GOOD_XLSX_ROWS)[:700], r"responses\.xlsx: not a readable XLSX workbook",
            name="responses.xlsx")
survey_case("xlsx-empty-zip", b"PK\x05\x06" + b"\x00" * 18, r"responses\.xlsx: not a readable XLSX workbook",
            name="responses.xlsx")
survey_case("xlsx-empty-sheet", xlsx_bytes([]), r"responses\.xlsx: .*(empty|no header)", name="responses.xlsx")
survey_case("xlsx-header-only", xlsx_bytes(GOOD_XLSX_ROWS[:1]), r"responses\.xlsx: has a header row but no data",
            name="responses.xlsx")
survey_case("xlsx-missing-sheet", xlsx_bytes(GOOD_XLSX_ROWS, sheet="Data"),
            r"responses\.xlsx: no sheet named 'Responses'.*Data", name="responses.xlsx",
            survey={"sheet": "Responses"})
survey_case("xlsx-sheet-index-out-of-range", xlsx_bytes(GOOD_XLSX_ROWS),
            r"responses\.xlsx: sheet index 4 out of range", name="responses.xlsx", survey={"sheet": 4})
survey_case("xlsx-duplicate-header", xlsx_bytes([["resp_id", "q_nps", "q_nps"], ["R1", 9, 9]]),
            r"responses\.xlsx: duplicate column name 'q_nps'", name="responses.xlsx")


def _zip_with(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


survey_case("xlsx-zip-without-workbook", _zip_with({"hello.txt": b"hi"}),
            r"responses\.xlsx: not a readable XLSX workbook", name="responses.xlsx")

# --------------------------------------------------------------------------- other survey formats

QUALTRICS_HEADER = ('ResponseId,StartDate,Region,Q1,Q2\n"Response ID","Start Date","Region",'
                    '"How likely are you to recommend us?","How satisfied are you?"\n'
                    '"{""ImportId"":""_recordId""}","{""ImportId"":""startDate""}","{""ImportId"":""QID3""}",'
                    '"{""ImportId"":""QID1""}","{""ImportId"":""QID2""}"\n')
QUALTRICS_COLUMNS = {"respondent_id": "ResponseId", "date": "StartDate", "nps": "Q1",
                     "csat": {"column": "Q2", "scale": 5}, "segments": {"Region": "Region"}, "comment": None}

survey_case("sav-text-renamed", "not an SPSS file", r"responses\.sav: .*(SPSS|sav)", name="responses.sav")
survey_case("sav-truncated", b"$FL2@(#) IBM SPSS STATISTICS 64-bit" + b"\x00" * 40, r"responses\.sav: .*(SPSS|sav)",
            name="responses.sav")
survey_case("parquet-text-renamed", "not parquet", r"responses\.parquet: .*(Parquet|parquet)",
            name="responses.parquet")
survey_case("parquet-truncated", b"PAR1" + b"\x00" * 64 + b"PAR1", r"responses\.parquet: .*(Parquet|parquet)",
            name="responses.parquet")
survey_case("qualtrics-header-rows-only", QUALTRICS_HEADER, r"responses\.csv: .*no (data|response)",
            survey={"format": "qualtrics"}, columns=QUALTRICS_COLUMNS)
survey_case("qualtrics-bad-nps-strict", QUALTRICS_HEADER + "".join(
    f"R_{i},2026-01-05 10:00:00,North,9,4\n" for i in range(40)) + "R_x,2026-01-05 10:00:00,North,eleven,4\n",
            r"row 44.*Q1.*eleven", strict=True, survey={"format": "qualtrics"}, columns=QUALTRICS_COLUMNS)
survey_case("header-row-beyond-file", HEADER + GOOD_ROW, r"survey\.header_row is 9",
            survey={"header_row": 9})
survey_case("word-scale-unknown-word-strict", HEADER + GOOD_ROW.replace(",4,", ",Good,") * 40
            + "R99,2026-01-05,North,9,Superb,fine\n", r"row 42.*q_csat.*Superb", strict=True,
            columns={**BASE_CONFIG["columns"], "csat": {"column": "q_csat", "scale": "sat"}},
            scales={"sat": {"Very poor": 1, "Poor": 2, "Fair": 3, "Good": 4, "Very good": 5}})
survey_case("multi-punch-unknown-code-strict", "resp_id,response_date,region,q_nps,q_csat,comment,why\n"
            + "R1,2026-01-05,North,9,4,fine,1;2;\n" * 40 + "R99,2026-01-05,North,9,4,fine,1;77;\n",
            r"row 42.*why.*77", strict=True,
            columns={**BASE_CONFIG["columns"], "multi_punch": {"Why": {"column": "why", "codes": {1: "A", 2: "B"}}}})
survey_case("meta-json-broken", DEFAULT_CSV, r"meta\.json", survey={"meta": "data/meta.json"},
            files={"data/meta.json": "{not json"})

# --------------------------------------------------------------------------- project files

project_case("yaml-empty", r"cxreport\.yaml.*empty", raw_yaml="")
project_case("yaml-a-list", r"cxreport\.yaml.*(mapping|list)", raw_yaml="- a\n- b\n")
project_case("yaml-syntax", r"cxreport\.yaml, line 3, column 7: invalid YAML", raw_yaml="client:\n  name: [unclosed\nsurvey: x\n")
project_case("yaml-tabs", r"cxreport\.yaml.*line 2", raw_yaml="client:\n\tname: X\n")
project_case("yaml-alias-bomb", r"cxreport\.yaml.*(alias|anchor)", raw_yaml=(
    "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"))
project_case("yaml-duplicate-key", r"cxreport\.yaml, line 3, column 1: invalid YAML: duplicate key 'client'",
             raw_yaml="client: {name: A}\nsurvey: {file: data/responses.csv}\nclient: {name: B}\n")
project_case("yaml-deep-nesting", r"cxreport\.yaml.*(nest|deep)", raw_yaml="client: " + "[" * 5000 + "]" * 5000 + "\n")
project_case("yaml-binary", r"cxreport\.yaml.*(UTF-8|binary|not a text)", raw_yaml=bytes(range(256)) * 4)
project_case("yaml-cp1252", r"cxreport\.yaml.*UTF-8", raw_yaml="client: {name: Caf\xe9}\n".encode("cp1252"))
project_case("config-unknown-key", r"clinet.*did you mean 'client'", client=None, clinet={"name": "X"})
project_case("config-wrong-type", r"targets\.nps", targets={"nps": "high"})
project_case("config-absurd-target", r"targets\.nps", targets={"nps": 1e9})
project_case("config-bad-colour", r"brand\.primary", brand={"primary": "red; background:url(http://x)"})
project_case("config-font-injection", r"brand\.font", brand={"font": "Lato'; } body { background: url(http://x"})
project_case("config-path-escape", r"survey\.file.*outside", survey={"file": "../../../etc/passwd"})
project_case("config-absolute-path", r"survey\.file.*outside", survey={"file": "/etc/passwd"})
project_case("config-missing-file", r"survey\.file.*(not found|does not exist)", survey={"file": "data/nope.csv"})
project_case("config-survey-is-folder", r"survey\.file", survey={"file": "data"})
project_case("config-logo-not-image", r"client\.logo", files={"brand/logo.png": "not an image"},
             client={"name": "X", "logo": "brand/logo.png"})
project_case("config-logo-svg-external", r"(client\.logo|logo\.svg).*(external|http|refer)",
             files={"brand/logo.svg": '<svg xmlns="http://www.w3.org/2000/svg" '
                    'xmlns:xlink="http://www.w3.org/1999/xlink"><image xlink:href="http://example.invalid/x.png" '
                    'width="10" height="10"/></svg>'},
             client={"name": "X", "logo": "brand/logo.svg"})
project_case("config-logo-svg-entities", r"client\.logo.*DOCTYPE",
             files={"brand/logo.svg": '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">'
                    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><svg xmlns="http://www.w3.org/2000/svg">'
                    '<text>&b;</text></svg>'},
             client={"name": "X", "logo": "brand/logo.svg"})
project_case("config-logo-svg-css-import", r"client\.logo.*external",
             files={"brand/logo.svg": '<svg xmlns="http://www.w3.org/2000/svg"><style>@import url(file:///etc/passwd);'
                    '</style><rect width="5" height="5"/></svg>'},
             client={"name": "X", "logo": "brand/logo.svg"})
project_case("config-narrative-not-utf8", r"executive_summary\.md.*UTF-8",
             files={"narrative/executive_summary.md": "Caf\xe9".encode("cp1252")},
             report={"title": "T", "narrative": {"executive_summary": "narrative/executive_summary.md"}})
project_case("config-narrative-binary", r"executive_summary\.md",
             files={"narrative/executive_summary.md": bytes(range(256)) * 8},
             report={"title": "T", "narrative": {"executive_summary": "narrative/executive_summary.md"}})
project_case("config-unknown-segment-column", r"columns\.segments.*'regoin'",
             columns={**BASE_CONFIG["columns"], "segments": {"Region": "regoin"}})
project_case("config-competitor-table-missing-columns", r"competitor",
             files={"data/competitors.csv": "brand,score\nA,1\n"},
             competitors={"own_brand": "Test Co", "table": {"file": "data/competitors.csv"}})
project_case("config-benchmarks-file-broken", r"bench\.yaml, line 3: invalid YAML",
             files={"bench.yaml": "- id: x\n  metric: [unclosed\n"}, benchmarks={"files": ["bench.yaml"]})


# --------------------------------------------------------------------------- mystery-shopping scoresheets


def _programme(folder: Path) -> Path:
    from tests.shop_helpers import scale, section, write_programme, yes_no

    return write_programme(folder, [section("S", [yes_no("A1"), scale("A2", [("Good", 1), ("Poor", 0)])])])


GOOD_VISIT = {"visit_id": "V1", "location_id": "L01", "shopper_id": "SH-1", "wave": "2026-W1",
              "channel": "branch", "visit_date": "2026-01-12", "answers": {"A1": "yes", "A2": "Good"}}


def scoresheet_case(id: str, name: str, content: bytes | str, expect: str):
    def setup(folder: Path) -> list[str]:
        programme = _programme(folder / "prog")
        path = folder / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return ["shop", "submit", str(programme), str(path)]

    CASES.append(Case(id, setup, expect, renders=False))


scoresheet_case("json-malformed", "v.json", '{"visit_id": "V1", ', r"v\.json: .*(JSON|json).*line 1")
scoresheet_case("json-trailing-comma", "v.json", json.dumps(GOOD_VISIT)[:-1] + ",}", r"v\.json: .*JSON")
scoresheet_case("json-not-an-object", "v.json", "[1, 2, 3]", r"v\.json: .*(object|visit)")
scoresheet_case("json-a-string", "v.json", '"hello"', r"v\.json: .*(object|visit)")
scoresheet_case("json-deep-nesting", "v.json", "[" * 100_000 + "]" * 100_000, r"v\.json: .*(nest|deep|JSON)")
scoresheet_case("json-nan", "v.json", json.dumps({**GOOD_VISIT, "answers": {"A1": "yes", "A2": float("nan")}}),
                r"v\.json: .*(NaN|A2)")
scoresheet_case("json-huge-number", "v.json", json.dumps(GOOD_VISIT).replace('"V1"', "1" + "0" * 5000),
                r"v\.json: a number with 5,001 digits")
scoresheet_case("json-binary", "v.json", bytes(range(256)) * 8, r"v\.json: .*(UTF-8|binary|JSON)")
scoresheet_case("json-unknown-item", "v.json", json.dumps({**GOOD_VISIT, "answers": {"A1": "yes", "A2": "Good",
                                                                                       "ZZ": "yes"}}),
                r"v\.json: visit V1: .*ZZ")
scoresheet_case("json-answer-not-an-option", "v.json",
                json.dumps({**GOOD_VISIT, "answers": {"A1": "yes", "A2": "<script>alert(1)</script>"}}),
                r"v\.json: visit V1: .*A2")
scoresheet_case("json-unknown-location", "v.json", json.dumps({**GOOD_VISIT, "location_id": "L99"}),
                r"v\.json: visit V1: .*L99")
scoresheet_case("csv-scoresheet-empty", "v.csv", "", r"v\.csv: .*empty")
scoresheet_case("csv-scoresheet-binary", "v.csv", bytes(range(256)) * 8, r"v\.csv: .*(binary|UTF-8)")
scoresheet_case("xlsx-scoresheet-corrupt", "v.xlsx", "not a workbook", r"v\.xlsx: .*(XLSX|workbook)")
scoresheet_case("scoresheet-unsupported-type", "v.exe", "MZ", r"v\.exe: .*(unsupported|type)")


# --------------------------------------------------------------------------- issue 12: hardening

# Dates that read two ways, look-alike ids mapped as segments, bad time zones and formats.
survey_case("csv-dates-read-both-ways",
            HEADER + "".join(f"R{d},{d:02d}/04/2026,North,9,4,x\n" for d in range(1, 31)) + "R99,04/13/2026,North,9,4,x\n",
            r"responses\.csv: column 'response_date' \(columns\.date\) reads dates both ways: row 14 '13/04/2026'"
            r".*row 32 '04/13/2026'")
survey_case("csv-dates-all-ambiguous",
            HEADER + "".join(f"R{m}{d},{d:02d}/{m:02d}/2026,North,9,4,x\n" for m in range(1, 13) for d in (1, 5, 9)),
            r"responses\.csv: column 'response_date' \(columns\.date\): every date reads both day first and month "
            r"first \(row 3 '05/01/2026'\); set columns\.dayfirst")
survey_case("csv-segment-is-an-id", HEADER + "".join(f"R{i},2026-01-05,C-{i:05d},9,4,x\n" for i in range(250)),
            r"responses\.csv: column 'region' \(columns\.segments\.Region\) has 250 different values and 250 of "
            r"them have fewer than bases\.suppress_below")
survey_case("csv-cut-off-mid-row", HEADER + GOOD_ROW + "R2,2026-01-06,No",
            r"responses\.csv: row 3 has 3 of the 6 fields and the file ends there")
project_case("project-unknown-time-zone", r"periods\.timezone: unknown time zone 'Europe/Londn'.*Europe/London",
             periods={"timezone": "Europe/Londn"})
project_case("project-bad-date-format", r"columns\.date_format: '%Q' cannot be used", columns={"date_format": "%Q"})


def _hardening_xlsx(kind: str) -> bytes:
    from tests.test_hardening_loaders import XLSX_BOMB, XLSX_FAR_CELL, XLSX_LAUGHS

    return {"bomb": XLSX_BOMB, "far": XLSX_FAR_CELL, "laughs": XLSX_LAUGHS}[kind]


# Memory bombs in a survey workbook: refused before anything is materialised.
survey_case("xlsx-declares-the-whole-grid", _hardening_xlsx("bomb"), r"responses\.xlsx: .*A1:XFD1048576",
            name="responses.xlsx")
survey_case("xlsx-one-cell-far-away", _hardening_xlsx("far"), r"responses\.xlsx: .*(cells|XFD1048576)",
            name="responses.xlsx")
survey_case("xlsx-billion-laughs", _hardening_xlsx("laughs"), r"responses\.xlsx: .*DOCTYPE", name="responses.xlsx")

# Competitor figures that can only be wrong.
for _bad in ("inf", "1e400", "1e308"):
    project_case(f"competitor-table-{_bad}", r"competitor_table\.csv.*row 2.*value",
                 competitors={"own_brand": "Us", "table": {"file": "data/competitor_table.csv"}},
                 files={"data/competitor_table.csv": f"brand,metric,value,n\nUs,nps,{_bad},100\nThem,nps,10,100\n"})

# Scoresheets from untrusted senders: duplicate keys, too much, workbook bombs.
LAUGHS = '<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'


def _scoresheet_xlsx(corner=None, prolog=""):
    """A one-visit wide scoresheet; corner: one more cell there; prolog: text before the sheet's root."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(GOOD_VISIT)[:-1] + ["A1", "A2"])
    sheet.append([v for k, v in GOOD_VISIT.items() if k != "answers"] + ["yes", "Good"])
    if corner:
        sheet[corner] = "x"
    buf = io.BytesIO()
    book.save(buf)
    if not prolog:
        return buf.getvalue()
    src, out = zipfile.ZipFile(io.BytesIO(buf.getvalue())), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for n in src.namelist():
            d = src.read(n)
            dst.writestr(n, prolog.encode() + d if n == "xl/worksheets/sheet1.xml" else d)
    return out.getvalue()


scoresheet_case("json-duplicate-key", "v.json", '{"visit_id": "V1", "visit_id": "V2"}',
                r"v\.json: duplicate key 'visit_id'")
scoresheet_case("json-duplicate-answer", "v.json", json.dumps(GOOD_VISIT)[:-2] + ', "A1": "no"}}',
                r"v\.json: duplicate key 'A1'")
scoresheet_case("json-too-many-answers", "v.json",
                json.dumps({**GOOD_VISIT, "answers": {f"Q{i}": "yes" for i in range(20_000)}}),
                r"v\.json: 20,000 answers; a visit may have at most 10,000")
scoresheet_case("csv-scoresheet-all-commas", "v.csv", "visit_id,location_id\n" + "," * 300_000 + "\n",
                r"v\.csv: more than 250,000 cells")
scoresheet_case("xlsx-scoresheet-dimension-bomb", "v.xlsx", _scoresheet_xlsx("XFD1048576"), r"v\.xlsx: .*A1:XFD1048576")
scoresheet_case("xlsx-scoresheet-entity-expansion", "v.xlsx", _scoresheet_xlsx(prolog=LAUGHS), r"v\.xlsx: .*DOCTYPE")


# --------------------------------------------------------------------------- issue 14: evidence ZIPs, blank scoresheets


def _evidence_zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("v.json", json.dumps({**GOOD_VISIT, "answers": {"A1": {"answer": "yes", "evidence": "kfd.jpg"}}}))
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


scoresheet_case("zip-evidence-traversal", "v.zip", _evidence_zip({"../../kfd.jpg": b"\xff\xd8\xff" + bytes(99)}),
                r"v\.zip: member '\.\./\.\./kfd\.jpg' climbs out of the ZIP")
scoresheet_case("zip-evidence-wrong-type", "v.zip", _evidence_zip({"kfd.jpg": b"MZ\x90\x00" + bytes(99)}),
                r"v\.zip: evidence file 'kfd\.jpg' is not a JPEG, PNG, PDF, MP3, M4A or WAV file")
scoresheet_case("zip-evidence-bomb", "v.zip", _evidence_zip({"kfd.jpg": b"\xff\xd8\xff" + bytes(30_000_000)}),
                r"v\.zip: .*kfd\.jpg.*(at most 200 to 1|at most 25\.0 MB)")
scoresheet_case("zip-without-scoresheet", "v.zip", _zip_with({"kfd.jpg": b"\xff\xd8\xff"}),
                r"v\.zip: a ZIP must hold exactly one scoresheet")
scoresheet_case("zip-not-a-zip", "v.zip", "PK but not really", r"v\.zip: not a readable ZIP")


def _template_case(id: str, answer: str, expect: str):
    def setup(folder: Path) -> list[str]:
        import openpyxl

        from cxreport.shop.loadprog import load_programme
        from cxreport.shop.template import templates

        programme = _programme(folder / "prog")
        blank = next(iter(templates(load_programme(programme), "W1", ["L1"]).values()))
        book = openpyxl.load_workbook(io.BytesIO(blank))
        rows = {k.split(":", 1)[1]: int(v) for k, v in book["cxreport"].iter_rows(values_only=True) if ":" in k}
        book["Scoresheet"].cell(rows["A2"], 3).value = answer
        path = folder / "blank.xlsx"
        book.save(path)
        return ["shop", "submit", str(programme), str(path)]

    CASES.append(Case(id, setup, expect, renders=False))


_template_case("xlsx-template-free-text", "Goood", r"blank\.xlsx: Scoresheet!C\d+: 'Goood' is not an answer to item "
               r"A2 \(Good, Poor\)")
_template_case("xlsx-template-formula-text", "=HYPERLINK(\"http://x\")", r"blank\.xlsx: Scoresheet!C\d+: .* is not an "
               r"answer to item A2")


# --------------------------------------------------------------------------- programme files

def programme_case(id: str, text: str, expect: str):
    def setup(folder: Path) -> list[str]:
        path = folder / "programme.yaml"
        path.write_text(text, encoding="utf-8")
        return ["shop", "status", str(path)]

    CASES.append(Case(id, setup, expect, renders=False))


programme_case("programme-empty", "", r"programme\.yaml.*empty")
programme_case("programme-syntax", "programme: {name: [x\n", r"programme\.yaml.*line")
programme_case("programme-alias-bomb", "".join(
    f"l{k}: &l{k} [{', '.join([f'*l{k - 1}' if k else 'x'] * 9)}]\n" for k in range(8)),
               r"programme\.yaml.*(alias|anchor)")


# --------------------------------------------------------------------------- case logs (cases:)

CASE_LOG_HEADER = "id,chan,received,first\n"
CASE_LOG_COLUMNS = {"case_id": "id", "channel": "chan", "received": "received", "first_response": "first"}


def case_log_case(id: str, data: bytes | str, expect: str, name: str = "cases.csv", **settings):
    """A project whose case log (cases.file) is ``data``, written as data/``name``."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    cases = {"file": f"data/{name}", "columns": dict(CASE_LOG_COLUMNS), "standards": {"Email": "1h"}, **settings}
    project_case(id, expect, files={f"data/{name}": raw}, cases=cases)


case_log_case("cases-empty", b"", r"cases\.csv: the file is empty")
case_log_case("cases-header-only", CASE_LOG_HEADER, r"cases\.csv: has a header row but no data rows")
case_log_case("cases-binary-junk", bytes(range(256)) * 40, r"cases\.csv: .*binary")
case_log_case("cases-missing-column", "id,channel,received,first\nC1,Email,2026-01-05 10:00,\n",
              r"cases\.columns\.channel: column 'chan' not found in data/cases\.csv")
case_log_case("cases-no-usable-row", CASE_LOG_HEADER + "C1,Fax,2026-01-05 10:00,\nC2,Email,soon,\n",
              r"cases\.csv: no usable cases \(1 channel without a standard, 1 timestamp not readable\)")
case_log_case("cases-xlsx-whole-grid", _hardening_xlsx("bomb"), r"cases\.xlsx: .*A1:XFD1048576", name="cases.xlsx")
case_log_case("cases-huge-field", CASE_LOG_HEADER + "C1,Email,2026-01-05 10:00," + "x" * 2_000_000 + "\n",
              r"cases\.csv: row 2, column 'first': .*characters")
case_log_case("cases-standard-without-unit", CASE_LOG_HEADER + "C1,Email,2026-01-05 10:00,\n",
              r"cases\.standards.*write a duration with its unit", standards={"Email": 60})


# --------------------------------------------------------------------------- action registers (actions:)

GOOD_ACTION = "{id: A1, title: T, owner: O, start: 2026-02-01, due: 2026-12-01, status: done, metric: nps}"


def register_case(id: str, data: bytes | str, expect: str, name: str = "actions.yaml"):
    """A project whose action register (actions.file) is ``data``, written as ``name``."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    project_case(id, expect, files={name: raw}, actions={"file": name})


register_case("actions-empty", b"", r"actions\.yaml: action register is empty")
register_case("actions-binary-junk", bytes(range(256)) * 40, r"actions\.yaml: action register is not UTF-8")
register_case("actions-alias-bomb", "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
    for i in range(8)), r"actions\.yaml: the YAML expands to more than")
register_case("actions-python-tag", "- !!python/object/apply:os.system [echo hi]\n",
              r"actions\.yaml, line 1, column 3: invalid YAML")
register_case("actions-duplicate-key", "- {id: A1, id: A2, title: T}\n", r"actions\.yaml.*duplicate key 'id'")
register_case("actions-not-a-list", "actions: {id: A1}\n", r"actions\.yaml: the register must be a list of actions")
register_case("actions-script-in-id", "- " + GOOD_ACTION.replace("A1", "\"<script>x</script>\"") + "\n"
              "- " + GOOD_ACTION.replace("A1", "\"<SCRIPT>x</SCRIPT>\"") + "\n",
              r"actions\.yaml, action 2 \(line 2\), id: '<SCRIPT>x</SCRIPT>' is already the id of")
register_case("actions-huge-title", "- " + GOOD_ACTION.replace("title: T", "title: " + "x" * 5000) + "\n",
              r"actions\.yaml, action 1 \(line 1\), title: longer than 2,000 characters")
register_case("actions-too-many", "".join(f"- {GOOD_ACTION.replace('A1', f'A{i}')}\n" for i in range(2001)),
              r"actions\.yaml: 2,001 actions; a register holds at most 2,000")
register_case("actions-wrong-extension", "x", r"actions\.file: actions\.json: an action register is YAML",
              name="actions.json")
register_case("actions-xlsx-whole-grid", _hardening_xlsx("bomb"), r"actions\.xlsx: .*A1:XFD1048576", name="actions.xlsx")
register_case("actions-csv-binary", b"\x00\x01\x02" * 3000, r"actions\.csv: .*binary", name="actions.csv")
register_case("actions-csv-no-status", "id,title,owner,start,due,metric\nA1,T,O,2026-02-01,2026-12-01,nps\n",
              r"actions\.csv: no column 'status'", name="actions.csv")
register_case("actions-csv-bad-date", "id,title,owner,start,due,status,metric\nA1,T,O,2026-02-30,2026-12-01,done,nps\n",
              r"actions\.csv, row 2, start: '2026-02-30' is not a date", name="actions.csv")
register_case("actions-unknown-attribute", "- " + GOOD_ACTION.replace("metric: nps", "metric: 'attr:Speed'") + "\n",
              r"actions\.yaml, action 1 \(line 1\), metric: no attribute 'Speed'")
project_case("actions-file-outside-project", r"actions\.file.*outside the project folder",
             actions={"file": "../actions.yaml"})
project_case("actions-narrative-unknown-id", r"recs\.md, line 1: no action 'ZZ' in actions\.yaml",
             files={"actions.yaml": "- " + GOOD_ACTION + "\n", "recs.md": "[action: ZZ]\n"},
             actions={"file": "actions.yaml"}, report={"narrative": {"recommendations": "recs.md"}})


# --------------------------------------------------------------------------- the runner


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 110, len(CASES)
    assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_broken_input_gives_one_clear_error_and_no_output(case: Case, tmp_path):
    args = case.setup(tmp_path)
    out = tmp_path / "out"
    if case.renders:
        args += ["-o", str(out), "--format", "html"]
    result = CliRunner().invoke(cli, args)
    text = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), (
        f"crashed with {type(result.exception).__name__}: {result.exception}")
    assert "Traceback" not in text
    assert result.exit_code == 1, text
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert errors, result.stderr
    assert re.search(case.expect, result.stderr, re.S), f"{case.expect!r} not in: {result.stderr}"
    for line in result.stderr.splitlines():
        assert len(line) < 600, f"message too long: {line[:200]}…"
    if case.renders and out.exists():
        written = [p.name for p in out.iterdir()]
        assert not written, f"a failed build left files behind: {written}"
