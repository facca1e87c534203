"""Batch builds (docs/batch.md): ``build --per SEGMENT`` on a process pool and on a Dask
LocalCluster, failures and time limits, manifest.json and skipping of up-to-date outputs,
and the executor itself (recycled workers, a crashed worker, a stuck task)."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from conftest import csv_text, write_project

from cxreport import executor
from cxreport.batch import unit_slugs
from cxreport.executor import Options, Task, run_tasks
from cxreport.cli import cli
from cxreport.util import sha256_file

HEADER = ["resp_id", "response_date", "region", "branch", "q_nps", "q_csat", "comment"]
#: Branch → number of respondents. "A/B" and "a b" share the slug "a-b"; one name is Chinese.
BRANCHES = {"Harbour Street": 14, "北京路": 12, "A/B": 9, "a b": 8, "Quay <Side>": 11}


def rows() -> list[list]:
    out, i = [], 0
    for branch, n in BRANCHES.items():
        for _k in range(n):
            out.append([f"R{i:04d}", f"2026-{1 + i % 6:02d}-{1 + i % 27:02d}", "North" if i % 3 else "South",
                        branch, (i * 7) % 11, 1 + (i * 3) % 5, f"Comment {i}"])
            i += 1
    return out


def window_bases() -> dict[str, int]:
    """Each branch's respondents in the reporting window (the latest quarter, 2026 Q2)."""
    out = {b: 0 for b in BRANCHES}
    for r in rows():
        if r[1][5:7] in ("04", "05", "06"):
            out[r[3]] += 1
    return out


def project(folder: Path, **extra) -> Path:
    columns = {"respondent_id": "resp_id", "date": "response_date", "comment": "comment", "nps": "q_nps",
               "csat": {"column": "q_csat", "scale": 5}, "segments": {"Region": "region", "Branch": "branch"}}
    return write_project(folder, csv_text(rows(), HEADER), columns=columns,
                         files={"narrative/summary.md": "The **branches** improved."},
                         report={"title": "Branch review", "date": "2026-03-31",
                                 "narrative": {"executive_summary": "narrative/summary.md"}}, **extra)


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def manifest_of(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def base_in(html_path: Path) -> int:
    """The base the methodology section states: 'based on N completed survey responses'."""
    text = " ".join(BeautifulSoup(html_path.read_text(encoding="utf-8"), "html.parser").get_text(" ").split())
    return int(re.search(r"based on ([\d,]+) completed survey responses", text).group(1).replace(",", ""))


@pytest.fixture(scope="module")
def per_branch(tmp_path_factory):
    """One --per Branch build (HTML, two worker processes) shared by several tests."""
    root = tmp_path_factory.mktemp("batch")
    path = project(root / "p")
    out = root / "out"
    result = invoke("build", path, "-o", out, "--format", "html", "--per", "Branch", "-j", "2")
    return path, out, result


# --------------------------------------------------------------------------- per unit


def test_per_branch_writes_a_report_per_unit_and_the_total(per_branch):
    _path, out, result = per_branch
    assert result.exit_code == 0, result.output
    slugs = unit_slugs(list(BRANCHES), reserved={"index"})
    assert slugs["Harbour Street"] == "harbour-street" and slugs["北京路"] == "北京路"
    assert slugs["Quay <Side>"] == "quay-side"
    assert slugs["A/B"] != slugs["a b"] and slugs["A/B"].startswith("a-b-") and slugs["a b"].startswith("a-b-")
    expected = {"report.html", "report-index.html", "manifest.json"} | {f"report-{s}.html" for s in slugs.values()}
    assert {p.name for p in out.iterdir()} == expected
    # Each unit report is the client report on that unit's respondents, titled with the unit.
    bases = {}
    for label, s in slugs.items():
        page = out / f"report-{s}.html"
        bases[label] = base_in(page)
        title = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").title.get_text()
        assert title.startswith(f"Branch review — {label}"), title
    assert bases == window_bases()                   # every report describes the window, 2026 Q2
    assert sum(bases.values()) == base_in(out / "report.html") == sum(window_bases().values())
    assert f"Index: {out / 'report-index.html'}" in result.stdout
    assert "6 files: 6 written, 0 up to date" in result.stderr


def test_unit_names_are_escaped_and_linked_in_the_index(per_branch):
    _path, out, _result = per_branch
    html = (out / "report-index.html").read_text(encoding="utf-8")
    assert "Quay <Side>" not in html and "Quay &lt;Side&gt;" in html
    soup = BeautifulSoup(html, "html.parser")
    rows_ = {tr.find("td").get_text(): tr for tr in soup.select("tbody tr")}
    from cxreport.validate import natural_key

    assert list(rows_) == sorted(BRANCHES, key=natural_key)       # natural order, Chinese by pinyin
    for label, tr in rows_.items():
        href = tr.find("a")["href"]
        from urllib.parse import unquote

        assert (out / unquote(href)).is_file(), href
        assert int(tr.select("td")[1].get_text().replace(",", "")) == window_bases()[label]
    assert soup.select("thead th")[1].get_text() == "Respondents, 2026 Q2"
    unit_page = (out / f"report-{unit_slugs(list(BRANCHES))['Quay <Side>']}.html").read_text(encoding="utf-8")
    assert "Quay <Side>" not in unit_page and "Quay &lt;Side&gt;" in unit_page


def test_manifest_records_inputs_settings_and_outputs(per_branch):
    path, out, _result = per_branch
    m = manifest_of(out)
    assert m["tool"]["name"] == "cxreport" and m["tool"]["version"]
    assert m["project"] == {"file": str(path.resolve()), "sha256": sha256_file(path)}
    assert m["inputs"] == {"data/responses.csv": sha256_file(path.parent / "data" / "responses.csv"),
                           "narrative/summary.md": sha256_file(path.parent / "narrative" / "summary.md")}
    assert m["settings"] == {"report": "client", "formats": ["html"], "per": "Branch", "language": "en",
                             "strict": False, "build_date": None, "period": "latest"}
    outputs = {o["file"]: o for o in m["outputs"]}
    assert set(outputs) == {p.name for p in out.iterdir()} - {"manifest.json"}
    for name, entry in outputs.items():
        assert entry["sha256"] == sha256_file(out / name), name
        assert entry["bytes"] == (out / name).stat().st_size
    slugs = unit_slugs(list(BRANCHES), reserved={"index"})
    unit = outputs[f"report-{slugs['北京路']}.html"]
    assert unit["unit"] == "北京路" and unit["segment"] == "Branch" and unit["format"] == "html"
    assert unit["inputs"] == ["cxreport.yaml", "data/responses.csv", "narrative/summary.md"]
    assert outputs["report.html"]["unit"] is None
    assert {u["label"]: u["base"] for u in m["units"]} == window_bases()
    assert {u["period"] for u in m["units"]} == {"2026 Q2"} and m["settings"]["period"] == "latest"
    assert m["failures"] == []


def test_repeated_build_skips_everything_without_reading_the_data(per_branch, monkeypatch):
    path, out, _result = per_branch
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.name != "manifest.json"}

    def no_reading(*args, **kwargs):
        raise AssertionError("the survey was read although nothing changed")

    monkeypatch.setattr("cxreport.pipeline.validate_project", no_reading)
    t = time.perf_counter()
    result = invoke("build", path, "-o", out, "--format", "html", "--per", "Branch", "-j", "2")
    elapsed = time.perf_counter() - t
    assert result.exit_code == 0, result.output
    assert "6 files: 0 written, 6 up to date" in result.stderr
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.name != "manifest.json"} == before
    assert elapsed < 10, elapsed    # no worker is started: hashing and a manifest only


def test_changed_survey_or_deleted_output_rebuilds_and_force_rebuilds_all(tmp_path):
    path = project(tmp_path / "p")
    out = tmp_path / "out"
    assert invoke("build", path, "-o", out, "--format", "html", "--per", "Branch", "-j", "1").exit_code == 0
    slugs = unit_slugs(list(BRANCHES), reserved={"index"})
    # A deleted unit report is rebuilt, alone.
    (out / f"report-{slugs['A/B']}.html").unlink()
    result = invoke("build", path, "-o", out, "--format", "html", "--per", "Branch", "-j", "1")
    assert result.exit_code == 0, result.output
    assert "6 files: 1 written, 5 up to date" in result.stderr
    # An edited report (not what the manifest recorded) is rebuilt too.
    (out / "report.html").write_text("tampered", encoding="utf-8")
    result = invoke("build", path, "-o", out, "--format", "html", "--per", "Branch", "-j", "1")
    assert "6 files: 1 written, 5 up to date" in result.stderr, result.output
    assert "tampered" not in (out / "report.html").read_text(encoding="utf-8")
    # A changed survey file: every report depends on it.
    data = path.parent / "data" / "responses.csv"
    data.write_text(data.read_text(encoding="utf-8").replace("Comment 3\n", "Comment three\n"), encoding="utf-8")
    result = invoke("build", path, "-o", out, "--format", "html", "--per", "Branch", "-j", "1")
    assert "6 files: 6 written, 0 up to date" in result.stderr, result.output
    assert manifest_of(out)["inputs"]["data/responses.csv"] == sha256_file(data)
    result = invoke("build", path, "-o", out, "--format", "html", "--per", "Branch", "-j", "1", "--force")
    assert "6 files: 6 written, 0 up to date" in result.stderr, result.output


def test_single_build_writes_a_manifest_and_skips_when_up_to_date(tmp_path):
    path = project(tmp_path / "p")
    out = tmp_path / "out"
    first = invoke("build", path, "-o", out, "--format", "html")
    assert first.exit_code == 0, first.output
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "report.html"]
    assert f"Manifest: {out / 'manifest.json'}" in first.stdout
    assert manifest_of(out)["settings"]["per"] is None
    again = invoke("build", path, "-o", out, "--format", "html")
    assert "1 file: 0 written, 1 up to date" in again.stderr
    assert f"HTML: {out / 'report.html'}" in again.stdout
    # The narrative is an input too.
    (path.parent / "narrative" / "summary.md").write_text("Changed.", encoding="utf-8")
    third = invoke("build", path, "-o", out, "--format", "html")
    assert "1 file: 1 written, 0 up to date" in third.stderr
    assert "Changed." in (out / "report.html").read_text(encoding="utf-8")


def test_unknown_segment_is_a_usage_error_with_a_suggestion(tmp_path):
    path = project(tmp_path / "p")
    result = invoke("build", path, "-o", tmp_path / "out", "--per", "Brnach")
    assert result.exit_code == 2
    assert "no segment 'Brnach'" in result.stderr and "did you mean 'Branch'" in result.stderr
    assert "Region, Branch" in result.stderr
    assert not (tmp_path / "out").exists()


def test_dask_without_a_scheduler_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    path = project(tmp_path / "p")
    result = invoke("build", path, "--per", "Branch", "--executor", "dask")
    assert result.exit_code == 2 and "--scheduler" in result.stderr
    result = invoke("build", path, "--per", "Branch", "--scheduler", "tcp://127.0.0.1:8786")
    assert result.exit_code == 2 and "--scheduler is used only with --executor dask" in result.stderr


# --------------------------------------------------------------------------- failures and time limits


def test_a_failed_unit_is_summarised_and_the_others_are_written(tmp_path, monkeypatch):
    path = project(tmp_path / "p")
    out = tmp_path / "out"
    slugs = unit_slugs(list(BRANCHES), reserved={"index"})
    bad = f"report-{slugs['Harbour Street']}"
    monkeypatch.setenv(executor.TEST_HOOK_ENV, json.dumps({"fail": {bad: "the renderer ran out of ink"}}))
    result = invoke("build", path, "-o", out, "--format", "html", "--per", "Branch", "-j", "2")
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    assert "Error: 1 of 6 reports failed; the others were written" in result.stderr
    assert f"  - {bad} (Branch 'Harbour Street'): the renderer ran out of ink" in result.stderr
    assert not (out / f"{bad}.html").exists()
    written = {p.name for p in out.iterdir()}
    assert {"report.html", f"report-{slugs['北京路']}.html", "report-index.html", "manifest.json"} <= written
    m = manifest_of(out)
    assert m["failures"] == [{"item": bad, "what": "Branch 'Harbour Street'", "reason": "the renderer ran out of ink"}]
    assert f"{bad}.html" not in {o["file"] for o in m["outputs"]}
    index = (out / "report-index.html").read_text(encoding="utf-8")
    assert "Failed" in index and "ran out of ink" in index
    # The next build retries only the failed unit.
    monkeypatch.delenv(executor.TEST_HOOK_ENV)
    again = invoke("build", path, "-o", out, "--format", "html", "--per", "Branch", "-j", "2")
    assert again.exit_code == 0, again.output
    assert "6 files: 1 written, 5 up to date" in again.stderr
    assert (out / f"{bad}.html").is_file()


def test_a_stuck_unit_times_out_and_its_worker_is_replaced(tmp_path, monkeypatch):
    path = project(tmp_path / "p")
    out = tmp_path / "out"
    slugs = unit_slugs(list(BRANCHES), reserved={"index"})
    stuck = f"report-{slugs['北京路']}"
    monkeypatch.setenv(executor.TEST_HOOK_ENV, json.dumps({"sleep": {stuck: 120}}))
    t = time.perf_counter()
    result = invoke("build", path, "-o", out, "--format", "html", "--per", "Branch", "-j", "2", "--timeout", "20")
    assert time.perf_counter() - t < 110
    assert result.exit_code == 3, result.output
    assert f"{stuck} (Branch '北京路'): timed out after 20 s" in result.stderr
    assert not (out / f"{stuck}.html").exists()
    assert (out / f"report-{slugs['A/B']}.html").is_file() and (out / "report.html").is_file()


def test_in_process_time_limit(tmp_path, monkeypatch):
    """-j 1 renders in this process; the time limit still applies."""
    path = project(tmp_path / "p")
    out = tmp_path / "out"
    stuck = f"report-{unit_slugs(list(BRANCHES), reserved={'index'})['Quay <Side>']}"
    monkeypatch.setenv(executor.TEST_HOOK_ENV, json.dumps({"sleep": {stuck: 120}}))
    result = invoke("build", path, "-o", out, "--format", "html", "--per", "Branch", "-j", "1", "--timeout", "3")
    assert result.exit_code == 3, result.output
    assert f"{stuck} (Branch 'Quay <Side>'): timed out after 3 s" in result.stderr


# --------------------------------------------------------------------------- the executor


def test_pool_recycles_workers_and_survives_a_crash_and_a_stuck_task(monkeypatch):
    monkeypatch.setattr(executor, "TASKS_PER_WORKER", 2)
    tasks = [Task(f"len-{i}", len, "x" * i) for i in range(6)]
    tasks += [Task("stuck", time.sleep, 120), Task("crash", os._exit, 7), Task("after", len, "abc")]
    t = time.perf_counter()
    outcomes = run_tasks(tasks, Options(jobs=2, timeout=5))
    assert time.perf_counter() - t < 60
    by_key = {o.task.key: o for o in outcomes}
    assert [by_key[f"len-{i}"].value for i in range(6)] == list(range(6))
    assert by_key["after"].value == 3
    assert by_key["stuck"].error.startswith("timed out after 5 s")
    assert by_key["crash"].error == "the worker process stopped (exit code 7)"
    # Two tasks per worker: six quick tasks need at least three worker processes.
    assert len({by_key[f"len-{i}"].worker for i in range(6)}) >= 3
    assert all(by_key[f"len-{i}"].worker != str(os.getpid()) for i in range(6))


def test_a_task_error_is_one_line_with_its_place():
    [outcome] = run_tasks([Task("bad", int, "seven")], Options(jobs=1))
    assert outcome.error.startswith("ValueError: invalid literal for int()") and "\n" not in outcome.error


# --------------------------------------------------------------------------- Dask


@pytest.fixture(scope="module")
def cluster():
    import distributed

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as local:
        yield local


def test_dask_local_cluster_gives_the_same_reports_as_the_process_pool(per_branch, cluster, tmp_path):
    path, pool_out, _result = per_branch
    out = tmp_path / "dask"
    result = invoke("build", path, "-o", out, "--format", "html", "--per", "Branch",
                    "--executor", "dask", "--scheduler", cluster.scheduler_address)
    assert result.exit_code == 0, result.output
    assert "6 files: 6 written, 0 up to date" in result.stderr
    reports = sorted(p.name for p in pool_out.glob("report*.html"))
    assert sorted(p.name for p in out.glob("report*.html")) == reports
    for name in reports:
        assert (out / name).read_bytes() == (pool_out / name).read_bytes(), name
    dask_outputs = {o["file"]: o["sha256"] for o in manifest_of(out)["outputs"]}
    pool_outputs = {o["file"]: o["sha256"] for o in manifest_of(pool_out)["outputs"]}
    assert dask_outputs == pool_outputs


def test_dask_time_limit_and_failures(cluster):
    tasks = [Task("stuck", time.sleep, 120), Task("bad", int, "x")] + [Task(f"ok-{i}", len, "ab") for i in range(3)]
    t = time.perf_counter()
    outcomes = {o.task.key: o for o in run_tasks(tasks, Options(executor="dask", scheduler=cluster.scheduler_address,
                                                                 timeout=5))}
    assert time.perf_counter() - t < 90
    assert outcomes["stuck"].error.startswith("timed out after 5 s")
    assert outcomes["bad"].error.startswith("ValueError")
    assert [outcomes[f"ok-{i}"].value for i in range(3)] == [2, 2, 2]


def test_unreachable_scheduler_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(executor, "DASK_CONNECT_TIMEOUT", 3)
    path = project(tmp_path / "p")
    result = invoke("build", path, "-o", tmp_path / "out", "--per", "Branch", "--format", "html",
                    "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9")
    assert result.exit_code == 1, result.output
    assert "cannot connect to the Dask scheduler at tcp://127.0.0.1:9" in result.stderr


# --------------------------------------------------------------------------- mystery-shop scoresheets


def test_shop_scoresheets_manifest_failure_summary_and_skipping(tmp_path, monkeypatch, cluster):
    from shop_helpers import copy_sample

    programme = copy_sample(tmp_path)
    wave1 = sorted((programme.parent / "submissions" / "wave1").iterdir())
    assert invoke("shop", "submit", programme, *wave1).exit_code == 0
    out = tmp_path / "shop-out"
    args = ("shop", "report", programme, "--wave", "W1", "--scoresheets", "--format", "html", "-j", "2", "-o", out)
    monkeypatch.setenv(executor.TEST_HOOK_ENV, json.dumps({"fail": {"scoresheet-V-W1-0003": "paper jam"}}))
    result = invoke(*args)
    assert result.exit_code == 3, result.output
    assert "Error: 1 report(s) failed; the others were written" in result.stderr
    assert "  - scoresheet-V-W1-0003: paper jam" in result.stderr
    sheets = sorted(p.name for p in (out / "scoresheets").iterdir())
    assert "scoresheet-V-W1-0008.html" in sheets and "scoresheet-V-W1-0003.html" not in sheets
    m = manifest_of(out)
    assert m["kind"] == "shop report"
    assert m["programme"]["sha256"] == sha256_file(programme)
    assert {"locations.csv", "integrity.csv", "ledger.sqlite"} <= set(m["inputs"])
    assert m["settings"] == {"wave": "W1", "scoresheets": True, "locations": False, "formats": ["html"]}
    outputs = {o["file"]: o["sha256"] for o in m["outputs"]}
    assert set(outputs) == {f"scoresheets/{s}" for s in sheets} | {"programme-summary.html"}
    assert all(sha256_file(out / f) == h for f, h in outputs.items())
    assert m["failures"] == [{"item": "scoresheet-V-W1-0003", "what": "Scoresheets", "reason": "paper jam"}]
    # Again, without the fault: only the failed scoresheet is rendered.
    monkeypatch.delenv(executor.TEST_HOOK_ENV)
    again = invoke(*args)
    assert again.exit_code == 0, again.output
    assert f"{len(sheets) + 2} files: 1 written, {len(sheets) + 1} up to date" in again.stderr
    assert (out / "scoresheets" / "scoresheet-V-W1-0003.html").is_file()
    # The same scoresheets on a Dask cluster.
    on_dask = tmp_path / "shop-dask"
    result = invoke("shop", "report", programme, "--wave", "W1", "--scoresheets", "--format", "html", "-o", on_dask,
                    "--executor", "dask", "--scheduler", cluster.scheduler_address)
    assert result.exit_code == 0, result.output
    for sheet in sheets:
        assert (on_dask / "scoresheets" / sheet).read_bytes() == (out / "scoresheets" / sheet).read_bytes(), sheet


def test_unit_reports_of_a_chinese_project_are_wholly_in_chinese(tmp_path):
    """Period labels of a unit are made in the parent process: they must follow the
    project's language like the rest of the unit's report."""
    out = tmp_path / "out"
    result = invoke("build", project(tmp_path / "p", language="zh-CN"), "-o", out, "--format", "html",
                    "--per", "Region", "-j", "1")
    assert result.exit_code == 0, result.output
    for page in (out / "report-north.html", out / "report.html"):
        text = page.read_text(encoding="utf-8")
        assert "2026年第1季度" in text, page.name
        assert "2026 Q1" not in text, page.name
    index = (out / "report-index.html").read_text(encoding="utf-8")
    assert "每个" in index and 'lang="zh-CN"' in index
