"""The Excel appendix: one sheet per table, contents and definitions, frozen headers,
formatted numbers, and no formula from user text."""

import textwrap

import openpyxl
from click.testing import CliRunner

from cxreport.cli import cli


def test_sample_workbook(tmp_path, sample_project):
    result = CliRunner().invoke(cli, ["build", str(sample_project), "-o", str(tmp_path), "--format", "xlsx"])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "report.pdf").exists()
    wb = openpyxl.load_workbook(tmp_path / "report.xlsx")
    assert wb.sheetnames[0] == "Contents" and wb.sheetnames[-1] == "Definitions"
    assert {"Overall KPIs", "By region", "By period", "Attributes", "Key drivers"} <= set(wb.sheetnames)
    contents = wb["Contents"]
    linked = [c.value for c in contents["A"] if c.hyperlink is not None]
    assert set(linked) == set(wb.sheetnames[1:-1])
    region = wb["By region"]
    assert region.freeze_panes == "B2"
    header = [c.value for c in region[1]]
    assert header[:3] == ["Region", "Base", "NPS"]
    bases = [row[1] for row in region.iter_rows(min_row=2, values_only=True)]
    overall = wb["Overall KPIs"]
    nps_base = next(r[5] for r in overall.iter_rows(min_row=2, values_only=True) if r[0] == "NPS")
    assert sum(bases) >= nps_base                # every respondent is in one region group
    assert region["C2"].number_format == "+0;-0;0"
    # Every figure formatted in its own unit, row by row where the unit changes.
    formats = {r[0].value: (r[1].number_format, r[7].number_format) for r in overall.iter_rows(min_row=2)}
    assert formats["NPS"] == ("+0;-0;0", "+0;-0;0")
    assert formats["CSAT"] == ('0"%"', '0"%"')                  # whole percent, as the report prints it
    assert formats["CES"] == ("0.00", "0.00")
    assert region["H2"].number_format == '0"%"'                 # CSAT by region, a percentage
    # The report's other tables have their sheets, with bases.
    assert {"Priorities", "NPS distribution", "Benchmarks", "Journey"} <= set(wb.sheetnames)
    drivers = wb["Key drivers"]
    assert [c.value for c in drivers[1]][-1] == "Base (smallest pair)"      # the sample's drivers are pairwise
    assert all(isinstance(r[-1], int) and r[-1] > 200 for r in drivers.iter_rows(min_row=2, values_only=True))
    dist = list(wb["NPS distribution"].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in dist[:11]] == list(range(11)) and dist[-1][0] == "Total"
    assert dist[-1][1] == sum(r[1] for r in dist[:11]) and round(dist[-1][2]) == 100
    assert [r[0] for r in wb["Priorities"].iter_rows(min_row=2, max_row=2, values_only=True)] == ["Resolved first time"]
    assert contents.freeze_panes == "A4"


def test_formula_text_is_neutralised(tmp_path):
    formula, other = '"=HYPERLINK(""http://x"")"', "@SUM(A1)"
    lines = [f"{i},{formula if i % 2 else other},{i % 11}" for i in range(80)]
    (tmp_path / "data.csv").write_text("id,seg,nps\n" + "\n".join(lines) + "\n")
    (tmp_path / "cxreport.yaml").write_text(textwrap.dedent("""
        client: {name: "=cmd"}
        survey: {file: data.csv}
        columns: {respondent_id: id, nps: {column: nps, label: "=1+1"}, segments: {"Bob's seg": seg}}
        report: {title: "+Title"}
    """))
    result = CliRunner().invoke(cli, ["build", str(tmp_path / "cxreport.yaml"), "-o", str(tmp_path / "out"),
                                      "--format", "xlsx"])
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(tmp_path / "out" / "report.xlsx")
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula"
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(("=", "+", "@")), f"{ws.title}!{cell.coordinate}: {cell.value}"
    assert ["'=1+1", "'=cmd"] == [wb["Definitions"]["A2"].value, wb["Contents"]["B1"].value]
    # A sheet name with an apostrophe is quoted in the contents link, so the link works.
    link = next(c for c in wb["Contents"]["A"] if c.value == "By bob's seg")
    assert link.hyperlink.location == "'By bob''s seg'!A1" or link.hyperlink.target == "#'By bob''s seg'!A1"


def test_unknown_format_is_a_usage_error(sample_project):
    result = CliRunner().invoke(cli, ["build", str(sample_project), "--format", "html,docx"])
    assert result.exit_code == 2 and "unknown format 'docx'" in result.output
