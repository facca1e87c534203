"""The command line as a user meets it: help and version, validate/score/init/build on the
sample and on small projects, and every bad input ending in a clear message, exit code 1,
no traceback and no half-written report."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from cxreport import __version__
from cxreport.cli import cli
from cxreport.export import CSV_COLUMNS

from conftest import CSV_HEADER, csv_text, default_rows

COMMANDS = ("build", "validate", "score", "init", "demo")


def invoke(*args) -> "click.testing.Result":  # noqa: F821
    return CliRunner().invoke(cli, [str(a) for a in args])


def report_files(folder: Path) -> list[str]:
    """Report-like files in an output folder (finished or temporary)."""
    if not folder.exists():
        return []
    return sorted(p.name for p in folder.iterdir()
                  if p.name.startswith(("report", ".report")) or p.suffix in (".part", ".html", ".pdf"))


def assert_user_error(result, *needles: str, out_dir: Path | None = None) -> str:
    """Exit 1 through a handled error: one 'Error:' line on stderr naming what is wrong."""
    assert result.exit_code == 1, (result.exit_code, result.output, repr(result.exception))
    # An unhandled exception reaches CliRunner as the exception itself (the real CLI would
    # print a traceback); a handled CxError ends in SystemExit.
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    err = result.stderr
    error_lines = [line for line in err.splitlines() if line.startswith("Error:")]
    assert len(error_lines) == 1, err
    # Nothing but progress, warnings, the error and its listed problems.
    for line in err.strip().splitlines():
        assert line.startswith(("Error:", "Warning:", "  - ", "Building")), line
    for needle in needles:
        assert needle in err, f"{needle!r} not in stderr: {err}"
    if out_dir is not None:
        assert report_files(out_dir) == [], report_files(out_dir)
    return err


# --------------------------------------------------------------------------- help, version, usage


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0
    assert "cxreport" in result.output and __version__ in result.output


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help_lists_every_command(flag):
    result = invoke(flag)
    assert result.exit_code == 0
    assert "Usage:" in result.output
    for command in COMMANDS:
        assert re.search(rf"^\s+{command}\b", result.output, re.M), command


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_has_help_with_an_example(command):
    result = invoke(command, "-h")
    assert result.exit_code == 0, result.output
    assert "Example" in result.output
    assert f"cxreport {command}" in result.output


def test_usage_errors_exit_2(tmp_path, make_project):
    project = make_project(tmp_path / "p")
    assert invoke("build").exit_code == 2
    assert invoke("build", project, "--format", "docx").exit_code == 2
    assert invoke("frobnicate").exit_code == 2


# --------------------------------------------------------------------------- validate


def test_validate_sample_lists_warnings_and_exits_0(sample_project):
    result = invoke("validate", sample_project)
    assert result.exit_code == 0, result.output
    assert "rows read" in result.stdout
    assert "OK" in result.stdout.splitlines()[-1]
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning:")]
    assert warnings, result.stderr
    # Each invalid value is named by row and column; duplicates are listed.
    assert any(re.search(r"row \d+, column 'q_nps'", w) for w in warnings), warnings
    assert any("duplicate respondent id" in w for w in warnings), warnings


def test_validate_strict_fails_on_the_sample(sample_project):
    result = invoke("validate", sample_project, "--strict")
    err = assert_user_error(result, "responses.csv")
    assert "invalid" in err and "duplicate" in err


def test_validate_accepts_the_project_folder(sample_project):
    result = invoke("validate", sample_project.parent)
    assert result.exit_code == 0, result.output


# --------------------------------------------------------------------------- score


@pytest.fixture(scope="module")
def sample_json(sample_project) -> dict:
    result = invoke("score", sample_project, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_score_json_structure(sample_json, sample_project):
    d = sample_json
    assert d["schema"] == "cxreport.scores/2"
    assert d["tool_version"] == __version__
    assert d["project"]["client"] == "Harbour Bank"
    for key in ("rows_read", "rows_used", "base", "weighted_base", "n_eff", "weighting_efficiency"):
        assert key in d["sample"], key
    assert d["sample"]["rows_used"] <= d["sample"]["rows_read"]
    assert d["settings"]["weighted"] is True

    config = yaml.safe_load(sample_project.read_text(encoding="utf-8"))
    composites = {name for name, scale in config.get("scales", {}).items() if isinstance(scale, dict) and "items" in scale}
    expected_items = ({"nps", "csat", "ces"} | {f"attr:{a}" for a in config["columns"]["attributes"]}
                      | {f"attr:{c}" for c in composites})
    assert composites == {"Service quality"}          # the sample's scale reports its score
    assert set(d["overall"]) == expected_items

    nps = d["overall"]["nps"]
    assert nps["kind"] == "nps" and nps["scale"] == [0, 10] and nps["headline"] == "nps"
    value, low, high = nps["nps"]["value"], nps["nps"]["low"], nps["nps"]["high"]
    assert -100 <= low < value < high <= 100
    assert isinstance(nps["n"], int) and 0 < nps["n"] <= d["sample"]["base"]
    assert nps["base"] in ("ok", "small", "suppressed")
    # NPS is % promoters − % detractors, and the three groups add up.
    assert value == pytest.approx(nps["promoters"]["pct"] - nps["detractors"]["pct"], abs=1e-4)
    assert nps["promoters"]["count"] + nps["passives"]["count"] + nps["detractors"]["count"] == nps["n"]
    assert d["overall"]["csat"]["top2"]["value"] is not None
    assert d["overall"]["ces"]["mean"]["value"] is not None


def test_score_json_segments(sample_json, sample_project):
    config = yaml.safe_load(sample_project.read_text(encoding="utf-8"))
    segments = sample_json["segments"]
    assert [s["name"] for s in segments] == list(config["columns"]["segments"])
    assert [s["column"] for s in segments] == list(config["columns"]["segments"].values())
    for seg in segments:
        assert seg["groups"], seg["name"]
        for group in seg["groups"]:
            assert isinstance(group["base"], int) and group["base"] >= 0
            assert set(group["items"]) == set(sample_json["overall"])
            for change in group["changes"].values():
                assert change["mark"] in (-1, 0, 1)


def test_segment_bases_add_up_to_the_sample_base(sample_json):
    base = sample_json["sample"]["base"]
    assert base > 0
    for seg in sample_json["segments"]:
        assert sum(g["base"] for g in seg["groups"]) == base, seg["name"]


def _period_key(label: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d{4}) Q([1-4])", label)
    assert m, label
    return int(m.group(1)), int(m.group(2))


def test_score_json_periods_in_order_with_change_marks(sample_json):
    periods = sample_json["periods"]
    assert len(periods) >= 2
    keys = [_period_key(p["label"]) for p in periods]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    assert sum(p["base"] for p in periods) <= sample_json["sample"]["rows_used"]
    # the window is the last period of the trend, with the same base
    assert periods[-1]["label"] == sample_json["window"]["label"]
    assert periods[-1]["base"] == sample_json["sample"]["base"]
    assert periods[0]["changes"] == {}
    alpha = sample_json["settings"]["alpha"]
    marks = []
    for period in periods[1:]:
        assert set(period["changes"]) == set(sample_json["overall"])
        # against the period before, and against the same period a year before; after the
        # adjustment (METHODS.md §8) the sample's marks are on the year-on-year changes
        for change in list(period["changes"].values()) + list(period.get("year_on_year", {}).values()):
            assert change["mark"] in (-1, 0, 1)
            marks.append(change["mark"])
            if change["p_value"] is not None:
                # adjusted with the period's other comparisons (Benjamini–Hochberg by default)
                assert change["p_adjusted"] >= change["p_value"]
            if change["mark"]:
                # A rise is marked +1, a fall −1, and only when significant after adjustment.
                assert math.copysign(1, change["diff"]) == change["mark"]
                assert change["p_adjusted"] <= alpha
            elif change["p_value"] is not None:
                assert change["p_adjusted"] > alpha
    assert any(marks), "the sample has significant period changes"


def test_score_csv(sample_project, sample_json):
    result = invoke("score", sample_project, "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == CSV_COLUMNS
    body = [dict(zip(rows[0], r)) for r in rows[1:]]
    assert body and all(len(r) == len(CSV_COLUMNS) for r in rows[1:])
    total_nps = next(r for r in body if r["breakdown"] == "Total" and r["item"] == "nps" and r["figure"] == "nps")
    assert float(total_nps["value"]) == pytest.approx(sample_json["overall"]["nps"]["nps"]["value"])
    assert int(total_nps["n"]) == sample_json["overall"]["nps"]["n"]
    breakdowns = {r["breakdown"] for r in body}
    assert {"Total", "Period", "Comparison"} | {s["name"] for s in sample_json["segments"]} == breakdowns
    # every row says which period it describes
    assert {r["period"] for r in body if r["breakdown"] == "Total"} == {sample_json["window"]["label"]}
    previous = next(r for r in body if r["breakdown"] == "Comparison" and r["group"] == "previous"
                    and r["item"] == "nps" and r["figure"] == "nps")
    assert previous["period"] == "2026 Q2"
    assert float(previous["value"]) == pytest.approx(sample_json["comparisons"][0]["overall"]["nps"]["nps"]["value"])
    marks = {r["mark"] for r in body if r["breakdown"] != "Total"}
    assert marks <= {"-1", "0", "1", ""}


def test_score_output_file(tmp_path, sample_project):
    target = tmp_path / "scores.json"
    result = invoke("score", sample_project, "--format", "json", "-o", target)
    assert result.exit_code == 0, result.output
    assert str(target) in result.stdout
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["schema"] == "cxreport.scores/2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scores.json"]


def test_score_output_under_a_file_is_a_clean_error(tmp_path, sample_project):
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    result = invoke("score", sample_project, "-o", blocker / "scores.json")
    assert_user_error(result, "blocker")
    assert blocker.read_text() == "not a folder"


# --------------------------------------------------------------------------- init and build


def test_init_creates_a_project_that_validates_and_builds(tmp_path):
    folder = tmp_path / "my-study"
    result = invoke("init", folder)
    assert result.exit_code == 0, result.output
    project = folder / "cxreport.yaml"
    assert project.is_file() and (folder / "data" / "responses.csv").is_file()
    assert str(project) in result.output

    assert invoke("validate", project).exit_code == 0
    out = tmp_path / "out"
    built = invoke("build", project, "-o", out, "--format", "html")
    assert built.exit_code == 0, built.output
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "report.html"]
    assert "Example Bank" in (out / "report.html").read_text(encoding="utf-8")


def test_init_refuses_to_overwrite_a_project(tmp_path):
    folder = tmp_path / "study"
    assert invoke("init", folder).exit_code == 0
    project = folder / "cxreport.yaml"
    project.write_text("# my edited project\n", encoding="utf-8")
    result = invoke("init", folder)
    assert_user_error(result, "already exists")
    assert project.read_text(encoding="utf-8") == "# my edited project\n"


def test_init_does_not_overwrite_existing_data(tmp_path):
    """A folder that already holds the user's survey file must not lose it to the example data."""
    folder = tmp_path / "study"
    data = folder / "data" / "responses.csv"
    data.parent.mkdir(parents=True)
    data.write_text("my,real,survey\n1,2,3\n", encoding="utf-8")
    invoke("init", folder)
    assert data.read_text(encoding="utf-8") == "my,real,survey\n1,2,3\n"


def test_init_refuses_a_path_that_is_a_file(tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("x")
    assert_user_error(invoke("init", target), "file.txt")


def test_build_html_only(tmp_path, make_project):
    project = make_project(tmp_path / "p")
    out = tmp_path / "out"
    result = invoke("build", project, "-o", out, "--format", "html")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "report.html"]   # docs/batch.md
    assert f"HTML: {out / 'report.html'}" in result.stdout
    assert "PDF:" not in result.stdout


def test_build_default_output_folder_is_next_to_the_project(tmp_path, make_project):
    project = make_project(tmp_path / "p")
    result = invoke("build", project, "--format", "html")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "p" / "out" / "report.html").is_file()


# --------------------------------------------------------------------------- bad input


def test_missing_project_file(tmp_path):
    missing = tmp_path / "nowhere" / "cxreport.yaml"
    out = tmp_path / "out"
    assert_user_error(invoke("build", missing, "-o", out), str(missing), "not found", out_dir=out)


def test_project_path_is_a_folder_without_project_file(tmp_path):
    folder = tmp_path / "empty-folder"
    folder.mkdir()
    out = tmp_path / "out"
    assert_user_error(invoke("build", folder, "-o", out), str(folder), "cxreport.yaml", out_dir=out)


def test_missing_data_file(tmp_path, make_project):
    project = make_project(tmp_path / "p", csv_text=None)
    out = tmp_path / "out"
    assert_user_error(invoke("build", project, "-o", out), "survey.file", "data/responses.csv", out_dir=out)


def test_empty_data_file(tmp_path, make_project):
    project = make_project(tmp_path / "p", csv_text="")
    out = tmp_path / "out"
    assert_user_error(invoke("build", project, "-o", out), "data/responses.csv", "empty", out_dir=out)


def test_header_only_data_file(tmp_path, make_project):
    project = make_project(tmp_path / "p", csv_text=",".join(CSV_HEADER) + "\n")
    out = tmp_path / "out"
    assert_user_error(invoke("build", project, "-o", out), "data/responses.csv", "no data rows", out_dir=out)


def test_misspelt_column_suggests_the_closest(tmp_path, make_project):
    project = make_project(tmp_path / "p", columns={"nps": "q_nsp"})
    out = tmp_path / "out"
    err = assert_user_error(invoke("build", project, "-o", out), "columns.nps", "'q_nsp'", "responses.csv",
                            out_dir=out)
    assert "did you mean 'q_nps'" in err


def _rows_with_bad_values() -> list[list]:
    rows = default_rows()
    rows[2][3] = "ten"    # spreadsheet row 4: not a number
    rows[4][3] = "11"     # spreadsheet row 6: outside 0–10
    return rows


def test_invalid_values_are_warnings_by_default(tmp_path, make_project):
    project = make_project(tmp_path / "p", csv_text(_rows_with_bad_values()))
    result = invoke("validate", project)
    assert result.exit_code == 0, result.output
    assert "row 4, column 'q_nps'" in result.stderr and "'ten'" in result.stderr
    assert "row 6, column 'q_nps'" in result.stderr and "'11'" in result.stderr

    out = tmp_path / "out"
    built = invoke("build", project, "-o", out, "--format", "html")
    assert built.exit_code == 0, built.output
    assert "row 4, column 'q_nps'" in built.stderr
    assert (out / "report.html").is_file()


@pytest.mark.parametrize("command", ["validate", "score", "build"])
def test_invalid_values_fail_with_strict(tmp_path, make_project, command):
    project = make_project(tmp_path / "p", csv_text(_rows_with_bad_values()))
    out = tmp_path / "out"
    args = [command, project, "--strict"] + (["-o", out, "--format", "html"] if command == "build" else [])
    err = assert_user_error(invoke(*args), "responses.csv", "--strict", out_dir=out)
    assert "row 4, column 'q_nps'" in err and "row 6, column 'q_nps'" in err


def test_all_values_missing_for_a_kpi(tmp_path, make_project):
    rows = default_rows()
    for row in rows:
        row[4] = ""
    project = make_project(tmp_path / "p", csv_text(rows))
    out = tmp_path / "out"
    assert_user_error(invoke("build", project, "-o", out), "'q_csat'", "columns.csat", "no valid answers",
                      out_dir=out)


def test_invalid_yaml_names_line_and_column(tmp_path, make_project):
    text = ("client:\n"
            "  name: Test Co\n"
            "   bad: [unclosed\n"
            "survey:\n"
            "  file: data/responses.csv\n")
    project = make_project(tmp_path / "p", raw_yaml=text)
    out = tmp_path / "out"
    err = assert_user_error(invoke("build", project, "-o", out), "cxreport.yaml", out_dir=out)
    assert re.search(r"line 3, column \d+", err), err


def test_wrong_type_in_project_file(tmp_path, make_project):
    project = make_project(tmp_path / "p", bases={"suppress_below": "thirty"})
    out = tmp_path / "out"
    err = assert_user_error(invoke("build", project, "-o", out), "bases.suppress_below", "thirty", out_dir=out)
    line = next(i for i, text in enumerate(project.read_text().splitlines(), 1) if "suppress_below" in text)
    assert f"line {line}" in err


def test_logo_that_is_not_an_image(tmp_path, make_project):
    project = make_project(tmp_path / "p", client={"logo": "brand/logo.png"},
                           files={"brand/logo.png": "this is not a PNG"})
    out = tmp_path / "out"
    assert_user_error(invoke("build", project, "-o", out), "client.logo", "logo.png", out_dir=out)


def test_output_folder_is_an_existing_file(tmp_path, make_project):
    project = make_project(tmp_path / "p")
    blocker = tmp_path / "blocker"
    blocker.write_text("keep me")
    result = invoke("build", project, "-o", blocker, "--format", "html")
    assert_user_error(result, str(blocker))
    assert blocker.read_text() == "keep me"


def test_output_folder_under_an_existing_file(tmp_path, make_project):
    project = make_project(tmp_path / "p")
    blocker = tmp_path / "blocker"
    blocker.write_text("keep me")
    result = invoke("build", project, "-o", blocker / "sub", "--format", "html")
    assert_user_error(result, str(blocker / "sub"))
    assert blocker.read_text() == "keep me"


def test_failed_write_of_one_format_leaves_no_report(tmp_path, make_project):
    """A report name taken by a folder: the build fails and leaves neither format behind
    (render.py: outputs are renamed only when every format succeeded)."""
    project = make_project(tmp_path / "p")
    out = tmp_path / "out"
    (out / "report.pdf").mkdir(parents=True)
    result = invoke("build", project, "-o", out, "--format", "both")
    assert_user_error(result, str(out))
    leftovers = sorted(p.name for p in out.iterdir())
    assert leftovers == ["report.pdf"], leftovers
    assert (out / "report.pdf").is_dir()


def test_data_file_outside_the_project_folder(tmp_path, make_project):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "responses.csv").write_text(csv_text(default_rows()), encoding="utf-8")
    project = make_project(tmp_path / "p", survey={"file": "../elsewhere/responses.csv"})
    out = tmp_path / "out"
    assert_user_error(invoke("build", project, "-o", out), "survey.file", "outside the project folder",
                      "--allow-outside-paths", out_dir=out)
    # The user can allow it explicitly.
    assert invoke("validate", project, "--allow-outside-paths").exit_code == 0


def test_absolute_path_outside_the_project_folder(tmp_path, make_project):
    project = make_project(tmp_path / "p", report={"narrative": {"executive_summary": "/etc/hostname"}})
    assert_user_error(invoke("validate", project), "report.narrative.executive_summary",
                      "outside the project folder")


_FINISH = """
import atexit, sys, threading, time
from cxreport.cli import main
marker = sys.argv[1]
atexit.register(lambda: open(marker, "w").write("exit handlers ran"))
if sys.argv[2] == "thread":
    threading.Thread(target=time.sleep, args=(0.5,)).start()
sys.argv = ["cxreport", *sys.argv[3:]]
main()
"""


@pytest.mark.parametrize("thread", ["", "thread"])
def test_the_command_ends_with_its_exit_code_after_the_exit_handlers(tmp_path, thread):
    """`cxreport` ends its process without tearing the interpreter down, but its exit code,
    its messages and the exit handlers are those of a normal exit (and with another thread
    alive, the exit is Python's own, which waits for it)."""
    import subprocess
    import sys

    for args, code in ((["--version"], 0), (["validate", str(tmp_path / "missing.yaml")], None)):
        marker = tmp_path / f"ran-{code}"
        done = subprocess.run([sys.executable, "-c", _FINISH, str(marker), thread, *args], capture_output=True,
                              text=True, timeout=120)
        if code == 0:
            assert done.returncode == 0 and __version__ in done.stdout
        else:
            assert done.returncode != 0 and "missing.yaml" in done.stderr and "Traceback" not in done.stderr
        assert marker.read_text() == "exit handlers ran"
