"""cxreport.beside: a step run in a forked process while the build goes on gives the value (or
raises the error) the same call here would (issue 17: the comments beside the scores and the key
drivers), and what the child read is recorded here (a cached study is keyed by its files)."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from cxreport import beside
from cxreport.errors import ConfigError


@pytest.fixture(autouse=True)
def beside_on(monkeypatch):
    """The suite runs with CXREPORT_BESIDE=0 (tests/conftest.py); these tests switch it on."""
    monkeypatch.setenv(beside.ENV_SWITCH, "1")


def _where_and(value):
    return os.getpid(), value * 2


def _fails(message):
    raise ConfigError(message)


def _unsendable():
    return threading.Lock()          # cannot be pickled


def test_the_value_comes_from_a_forked_process():
    job = beside.start(_where_and, 21)
    pid, value = job.result()
    assert value == 42 and pid != os.getpid()
    assert job.seconds >= 0


def test_the_error_is_raised_here_unchanged():
    job = beside.start(_fails, "drivers.outcome: 'q_nps2' is not a column")
    with pytest.raises(ConfigError, match="drivers.outcome: 'q_nps2' is not a column"):
        job.result()


def test_a_value_that_cannot_travel_is_computed_here():
    assert type(beside.start(_unsendable).result()) is type(threading.Lock())


def test_switched_off_it_runs_here(monkeypatch):
    monkeypatch.setenv(beside.ENV_SWITCH, "0")
    pid, value = beside.start(_where_and, 1).result()
    assert pid == os.getpid() and value == 2


def test_the_scores_are_the_same_with_the_comments_beside_or_here(monkeypatch):
    from cxreport import i18n
    from cxreport.config import load_project
    from cxreport.export import scores_dict
    from cxreport.pipeline import run

    project = load_project(Path(__file__).resolve().parents[1] / "samples" / "harbour-bank" / "cxreport.yaml")
    out = {}
    for switch in ("1", "0"):
        monkeypatch.setenv(beside.ENV_SWITCH, switch)
        with i18n.use_language(project.language):
            study = run(project)
        assert study.drivers is not None and study.drivers.overall is not None
        assert study.voice is not None and study.insights is not None
        out[switch] = json.dumps(scores_dict(study), sort_keys=True, default=str)
    assert out["1"] == out["0"]


def _read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="a single core: nothing runs beside")
def test_what_the_child_reads_is_recorded_here(tmp_path):
    from cxreport import cache

    word_list = tmp_path / "themes.txt"
    word_list.write_text("queue, wait", encoding="utf-8")
    with cache.recording_reads() as files:
        job = beside.start(_read, word_list)
        assert job.process is not None                  # read in the child
        assert job.result() == "queue, wait"
    assert str(word_list) in files


def _sleeps():
    import time

    time.sleep(60)


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="a single core: nothing runs beside")
def test_a_child_whose_result_is_not_wanted_is_ended():
    job = beside.start(_sleeps)
    process = job.process
    assert process is not None and process.is_alive()
    job.cancel()
    assert not process.is_alive()
