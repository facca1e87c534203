"""A driver analysis that cannot run is a warning on the console (validate, score) and a note
in the report's driver section and the deck, besides the JSON; a scale item that correlates
negatively with the rest of its scale is a warning too (issue 15)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from cxreport.cli import cli
from tests.test_bootstrap import _project

REASON = ("Total: only 600 complete cases in 2026 Q1 (at least 1000 needed); "
          "set report.pool.drivers to pool more periods")
NOTE = ("Key drivers not computed: only 600 complete cases in 2026 Q1 (at least 1000 needed); "
        "set report.pool.drivers to pool more periods.")


def test_score_and_validate_warn_when_the_drivers_cannot_run(tmp_path):
    path = _project(tmp_path, min_base=1000, segments=["Region"])
    out = tmp_path / "scores.json"
    result = CliRunner().invoke(cli, ["score", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if "Key drivers not computed" in line]
    assert warnings[0] == f"Warning: drivers: Key drivers not computed: {REASON}"
    assert any(w.startswith("Warning: drivers: Key drivers not computed: Region North: only 300 complete cases in 2026 Q1")
               for w in warnings)
    drivers = json.loads(out.read_text())["drivers"]
    assert drivers["overall"] is None
    assert drivers["not_computed"] == NOTE
    assert drivers["skipped"][0] == REASON
    checked = CliRunner().invoke(cli, ["validate", str(path)])
    assert checked.exit_code == 0, checked.output
    assert f"Warning: drivers: Key drivers not computed: {REASON}" in checked.stderr


def test_a_driver_analysis_that_runs_prints_no_such_warning(tmp_path):
    result = CliRunner().invoke(cli, ["score", str(_project(tmp_path, bootstrap=0))])
    assert result.exit_code == 0, result.output
    assert "Key drivers not computed" not in result.stderr


def test_the_report_section_and_the_deck_say_why_there_are_no_drivers(tmp_path):
    from bs4 import BeautifulSoup
    from pptx import Presentation

    path = _project(tmp_path, min_base=1000, segments=["Region"])
    result = CliRunner().invoke(cli, ["build", str(path), "-o", str(tmp_path / "out"), "--format", "html,pptx"])
    assert result.exit_code == 0, result.output
    soup = BeautifulSoup((tmp_path / "out" / "report.html").read_text(), "html.parser")
    section = soup.select_one("section#drivers")
    assert section is not None                                  # the section is there, not silently gone
    note = section.select_one(".drivers-not-computed").get_text(" ", strip=True)
    assert note == NOTE
    listed = [li.get_text(" ", strip=True) for li in section.select(".drivers-skipped li")]
    assert REASON not in listed                                 # said once, in the note
    assert any(item.startswith("Region North: only 300 complete cases in 2026 Q1") for item in listed)
    assert section.select_one("table.sortable") is None
    deck = Presentation(str(tmp_path / "out" / "report.pptx"))
    texts = [" ".join(shape.text_frame.text for shape in slide.shapes if shape.has_text_frame)
             for slide in deck.slides]
    slide = next(t for t in texts if "What drives the experience" in t)
    assert NOTE in slide
