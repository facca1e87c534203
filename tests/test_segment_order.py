"""``columns.segment_order``: a segment's groups in the order the project gives (tiers, age
bands), the others after them in natural order; a name that is not a segment is one line
naming the key, from ``validate`` as from ``build``."""

from __future__ import annotations

from click.testing import CliRunner

from cxreport.cli import cli
from cxreport.pipeline import run
from tests.conftest import csv_text, default_rows, write_project

TIERS = ["Standard", "Silver", "Gold", "Platinum"]


def tier_project(folder, **columns):
    rows = default_rows(80)
    for i, row in enumerate(rows):
        row[2] = TIERS[i % 4]
    return write_project(folder, csv_text(rows), columns={"segments": {"Tier": "region"}, **columns})


def groups(path) -> list[str]:
    study = run(path)
    return [g.label for g in next(s for s in study.results.segments if s.name == "Tier").groups]


def test_without_an_order_tiers_are_alphabetical(tmp_path):
    assert groups(tier_project(tmp_path / "p")) == ["Gold", "Platinum", "Silver", "Standard"]


def test_the_project_order_comes_first_and_the_rest_follow_naturally(tmp_path):
    full = tier_project(tmp_path / "a", segment_order={"Tier": ["Standard", "Silver", "Gold", "Platinum"]})
    assert groups(full) == ["Standard", "Silver", "Gold", "Platinum"]
    # Spelled differently in the project file: the same groups; unnamed ones follow.
    partial = tier_project(tmp_path / "b", segment_order={"Tier": ["platinum ", "GOLD"]})
    assert groups(partial) == ["Platinum", "Gold", "Silver", "Standard"]


def test_an_order_for_an_unknown_segment_is_one_line_naming_the_key(tmp_path):
    path = tier_project(tmp_path / "p", segment_order={"Tiers": ["Gold"]})
    for command in (["validate", str(path)], ["build", str(path), "-o", str(tmp_path / "out")]):
        result = CliRunner().invoke(cli, command)
        assert result.exit_code != 0
        lines = [ln for ln in result.output.splitlines() if ln.startswith("Error")]
        assert len(lines) == 1 and "columns.segment_order.Tiers" in lines[0] and "Tier" in lines[0], result.output
        assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()
