"""Standards library, benchmark comparisons, tiers, competitors, year-on-year changes and
the quarterly review."""

from __future__ import annotations

import json
import math
import textwrap

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from cxreport.benchmark.compare import compare_standards, evaluate_tiers, tier_of
from cxreport.benchmark.standards import default_library_path, load_library
from cxreport.cli import cli
from cxreport.config import load_project
from cxreport.errors import ConfigError, DataError
from cxreport.pipeline import run
from cxreport.scoring import stats

# --------------------------------------------------------------------------- the library


def test_every_shipped_standard_has_source_year_scale_and_credit():
    lib = load_library()
    assert len(lib.standards) >= 50
    for std in lib.standards.values():
        assert std.source and std.credit and std.scale
        assert 1990 <= std.year <= 2026
        if std.metric == "acsi":
            assert std.scale == "0-100" and 0 <= std.value <= 100
            assert "ACSI" in std.credit or "American Customer Satisfaction Index" in std.credit
        if std.metric == "nps":
            assert -100 <= std.value <= 100


def test_shipped_figures_match_public_benchmarks():
    lib = load_library()
    assert lib.get("acsi-2019-banks").value == 78
    nps = {s.value for s in lib.select(metric="nps")}
    assert {32, 72, 30.1, -6.1}.issubset(nps)


def test_select_filters_by_metric_and_industry():
    lib = load_library()
    banks = lib.select(industry="banks")
    assert banks and all("banks" in s.industry for s in banks)
    assert all(s.metric == "nps" for s in lib.select(metric="nps"))


def test_project_file_overrides_a_shipped_standard(tmp_path):
    own = tmp_path / "own.yaml"
    own.write_text(textwrap.dedent("""
        standards:
          - {id: acsi-2019-banks, metric: acsi, scale: "0-100", value: 81, year: 2025,
             source: "Own desk research", credit: "Own data"}
          - {id: own-nps-target, metric: nps, scale: "-100-100", value: 40, year: 2026,
             source: "Client board target", credit: "Harbour Bank"}
    """))
    lib = load_library([own])
    assert lib.get("acsi-2019-banks").value == 81
    assert lib.get("acsi-2019-banks").origin.startswith("project file")
    assert lib.get("own-nps-target").value == 40


def test_csv_standards_file_and_bad_value_reported_with_row(tmp_path):
    good = tmp_path / "s.csv"
    good.write_text("id,metric,scale,value,year,source,credit\nx-1,nps,-100-100,12,2025,Src,Cred\n")
    assert load_library([good]).get("x-1").value == 12
    bad = tmp_path / "bad.csv"
    bad.write_text("id,metric,scale,value,year,source,credit\nx-2,nps,-100-100,250,2025,Src,Cred\n")
    with pytest.raises(ConfigError) as err:
        load_library([bad])
    assert "row 2" in err.value.format_message() and "outside" in err.value.format_message()


def test_unknown_standard_gets_a_hint():
    with pytest.raises(ConfigError) as err:
        load_library().get("acsi-2019-bank")
    assert "did you mean 'acsi-2019-banks'" in err.value.message


# --------------------------------------------------------------------------- a small project


def _project(tmp_path, extra: str = "", rows: pd.DataFrame | None = None):
    rng = np.random.default_rng(1)
    if rows is None:
        n = 1600
        quarter_starts = pd.to_datetime(["2025-01-01", "2025-04-01", "2025-07-01", "2025-10-01", "2026-01-01"])
        q = rng.integers(0, 5, n)
        dates = quarter_starts[q] + pd.to_timedelta(rng.integers(0, 80, n), unit="D")
        nps = np.where(q == 4, rng.choice([10, 9, 8, 3], n, p=[0.5, 0.2, 0.2, 0.1]),
                       rng.choice([10, 9, 8, 3], n, p=[0.3, 0.2, 0.3, 0.2]))
        rows = pd.DataFrame({"id": range(n), "date": dates.strftime("%Y-%m-%d"),
                             "branch": rng.choice(["A", "B", "C", "D", "E", "F"], n),
                             "nps": nps, "csat": rng.integers(1, 6, n)})
    (tmp_path / "data.csv").write_text(rows.to_csv(index=False))
    (tmp_path / "cxreport.yaml").write_text(textwrap.dedent("""
        client: {name: Test Bank}
        survey: {file: data.csv}
        columns:
          respondent_id: id
          date: date
          nps: nps
          csat: {column: csat, scale: 5}
          segments: {Branch: branch}
        targets: {nps: 30}
    """) + textwrap.dedent(extra))
    return tmp_path / "cxreport.yaml"


def test_nps_compared_with_an_nps_standard(tmp_path):
    path = _project(tmp_path, """
        benchmarks:
          compare: [{kpi: nps, standard: surveymonkey-nps-global-average}]
    """)
    study = run(path)
    [row] = study.benchmarks
    assert row.standard.value == 32
    assert row.gap == pytest.approx(study.results.overall["nps"].nps.value - 32)


def test_comparing_across_scales_is_an_error_naming_the_comparison(tmp_path):
    path = _project(tmp_path, """
        benchmarks:
          compare: [{kpi: csat, standard: acsi-2019-banks}]
    """)
    with pytest.raises(ConfigError) as err:
        run(path)
    message = err.value.format_message()
    assert "benchmarks.compare[0]" in message and "different scales" in message


def test_an_explicit_conversion_allows_the_comparison(tmp_path):
    path = _project(tmp_path, """
        benchmarks:
          compare:
            - kpi: csat
              standard: acsi-2019-banks
              conversion: {to_metric: acsi, factor: 0.5, offset: 40, note: "illustration"}
    """)
    [row] = run(path).benchmarks
    assert row.compared == pytest.approx(row.value * 0.5 + 40)
    assert row.gap == pytest.approx(row.compared - 78)
    assert row.conversion == "illustration"


def test_tiers_highest_threshold_met(tmp_path):
    class T:
        basic, differentiated, excellent = 10, 25, 40
    assert tier_of(9.9, T) is None
    assert tier_of(10, T) == "basic"
    assert tier_of(39.99, T) == "differentiated"
    assert tier_of(40, T) == "excellent"
    path = _project(tmp_path, """
        tiers: {nps: {basic: -100, differentiated: 0, excellent: 100}}
    """)
    study = run(path)
    tiers = evaluate_tiers(study.project, study.results)
    assert tiers["nps"]["overall"] in ("basic", "differentiated")
    assert len(tiers["nps"]["segments"]) == 6


def test_year_on_year_change_reconciles_with_period_scores(tmp_path):
    study = run(_project(tmp_path))
    groups = study.results.periods.groups
    last = groups[-1]
    assert last.label == "2026 Q1" and last.year_ago == "2025 Q1"
    year_ago = next(g for g in groups if g.label == "2025 Q1")
    change = last.year_on_year["nps"]
    assert change.test.diff == pytest.approx(last.items["nps"].nps.value - year_ago.items["nps"].nps.value)
    # and it is the METHODS difference test on the two periods' own standard errors
    expected = stats.diff_test_se(last.items["nps"].nps.value, last.items["nps"].nps.se,
                                  year_ago.items["nps"].nps.value, year_ago.items["nps"].nps.se)
    assert change.test.p_value == pytest.approx(expected.p_value)
    assert change.mark == 1   # the fake data has many more promoters in the last quarter
    prev = last.changes["nps"]
    assert prev.test.diff == pytest.approx(last.items["nps"].nps.value - groups[-2].items["nps"].nps.value)


def test_json_has_period_change_benchmark_and_tier_blocks(tmp_path):
    path = _project(tmp_path, """
        benchmarks:
          compare: [{kpi: nps, standard: surveymonkey-nps-global-average}]
        tiers: {nps: {basic: 0, differentiated: 20, excellent: 50}}
    """)
    result = CliRunner().invoke(cli, ["score", str(path)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["period_change"]["period"] == "2026 Q1"
    assert data["period_change"]["year_ago"] == "2025 Q1"
    assert "nps" in data["period_change"]["vs_year_ago"]
    assert data["benchmarks"][0]["standard"]["id"] == "surveymonkey-nps-global-average"
    assert data["benchmarks"][0]["standard"]["year"] and data["benchmarks"][0]["standard"]["source"]
    assert data["tiers"]["nps"]["overall"] in ("basic", "differentiated", "excellent", None)


# --------------------------------------------------------------------------- competitors


def _competitor_files(tmp_path):
    rng = np.random.default_rng(4)
    rows = []
    for brand, p in (("Us", [0.4, 0.3, 0.3]), ("Rival", [0.2, 0.3, 0.5]), ("Leader", [0.6, 0.3, 0.1])):
        for i in range(400):
            nps = rng.choice([10, 8, 3], p=p)
            rows.append({"resp": f"{brand}{i}", "brand": brand, "q_nps": nps, "q_csat": rng.integers(1, 6)})
    pd.DataFrame(rows).to_csv(tmp_path / "comp.csv", index=False)
    (tmp_path / "table.csv").write_text(
        "brand,metric,value,n,source,year\n"
        "Us,csat_top2,70,500,Monitor,2026\nRival,csat_top2,60,500,Monitor,2026\n"
        "Leader,csat_top2,75,400,Monitor,2026\nUs,acsi,76,,Desk,2026\nRival,acsi,79,,Desk,2026\n")


def test_competitor_survey_and_table(tmp_path):
    _competitor_files(tmp_path)
    path = _project(tmp_path, """
        competitors:
          own_brand: Us
          survey: {file: comp.csv, brand_column: brand, nps: q_nps, csat: q_csat}
          table: {file: table.csv}
    """)
    comps = {(c.origin, c.metric): c for c in run(path).competitors}
    nps = comps[("survey", "nps")]
    values = {b.brand: b.value for b in nps.brands}
    assert nps.rank == 2 and nps.best.brand == "Leader"
    assert nps.competitor_average == pytest.approx((values["Rival"] + values["Leader"]) / 2)
    assert nps.gap_to_leader == pytest.approx(values["Us"] - values["Leader"])
    rival = next(b for b in nps.brands if b.brand == "Rival")
    assert rival.testable and rival.mark == 1          # Us clearly above Rival
    csat = comps[("table", "csat_top2")]
    rival_t = next(b for b in csat.brands if b.brand == "Rival")
    expected = stats.two_proportion_ztest(0.70 * 500, 500, 0.60 * 500, 500)
    assert rival_t.p_value == pytest.approx(expected.p_value)
    acsi = comps[("table", "acsi")]
    assert not any(b.testable for b in acsi.brands)    # no bases: nothing tested
    assert acsi.rank == 2 and not acsi.leads


def test_competitor_metrics_carry_the_projects_own_kpi_labels(tmp_path):
    from cxreport import i18n

    _competitor_files(tmp_path)
    path = _project(tmp_path, """
        competitors:
          own_brand: Us
          table: {file: table.csv}
    """)
    text = path.read_text(encoding="utf-8").replace("csat: {column: csat, scale: 5}",
                                                    "csat: {column: csat, scale: 5, label: Happiness}")
    path.write_text(text, encoding="utf-8")
    labels = {c.metric: c.label for c in run(path).competitors}
    assert labels["csat_top2"] == "Happiness (top-2-box %)"
    assert labels["acsi"] == "ACSI-style index"            # no KPI of the project: the metric's name
    path.write_text(text.replace("label: Happiness", "label: 省力度"), encoding="utf-8")
    with i18n.use_language("zh-CN"):
        labels = {c.metric: c.label for c in run(path).competitors}
    assert labels["csat_top2"] == "省力度（前两项占比 %）"


def test_competitor_own_brand_missing_is_a_clear_error(tmp_path):
    _competitor_files(tmp_path)
    path = _project(tmp_path, """
        competitors:
          own_brand: Uss
          survey: {file: comp.csv, brand_column: brand, nps: q_nps}
    """)
    with pytest.raises(DataError) as err:
        run(path)
    assert "did you mean 'Us'" in err.value.message


# --------------------------------------------------------------------------- quarterly review


def test_quarterly_review_builds_and_says_what_changed(tmp_path):
    from pypdf import PdfReader

    path = _project(tmp_path, """
        quarterly: {quarters: 5, units: [Branch], min_base: 30}
    """)
    result = CliRunner().invoke(cli, ["build", str(path), "--report", "quarterly", "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    pdf = tmp_path / "out" / "report-quarterly.pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "Quarterly management review" in text
    assert "What changed" in text and "Top improvers and decliners" in text
    assert "2025 Q1" in text and "2026 Q1" in text          # the same quarter last year is shown
    assert "rose significantly" in text                     # the fake data rises in the last quarter
    html = (tmp_path / "out" / "report-quarterly.html").read_text()
    assert "http://" not in html and "https://" not in html


def test_competitor_survey_with_brand_suffixed_columns(tmp_path):
    rng = np.random.default_rng(9)
    n = 300
    frame = pd.DataFrame({"resp": range(n), "nps_Us": rng.choice([10, 8, 3], n, p=[0.5, 0.3, 0.2]),
                          "nps_Them": rng.choice([10, 8, 3], n, p=[0.3, 0.3, 0.4])})
    frame.to_csv(tmp_path / "wide.csv", index=False)
    path = _project(tmp_path, """
        competitors:
          own_brand: Us
          survey: {file: wide.csv, brands: [Us, Them], nps: "nps_{brand}"}
    """)
    [comp] = run(path).competitors
    values = {b.brand: b.value for b in comp.brands}
    expected_us = 100 * ((frame["nps_Us"] >= 9).mean() - (frame["nps_Us"] <= 6).mean())
    assert values["Us"] == pytest.approx(expected_us)
    assert comp.rank == 1 and comp.leads


def test_sample_quarterly_review_pdf(tmp_path, sample_project):
    from pypdf import PdfReader

    from cxreport.build import build

    result = build(sample_project, tmp_path, report="quarterly", formats=("pdf",))
    reader = PdfReader(result.paths["pdf"])
    text = "\n".join(page.extract_text() for page in reader.pages)
    study = result.study
    last = study.results.periods.groups[-1]
    assert last.label == "2026 Q3" and last.year_ago == "2025 Q3"
    assert "2026 Q3" in text and "2025 Q3" in text
    # the year-on-year NPS rise built into the sample is significant and said so
    assert last.year_on_year["nps"].mark == 1
    assert "NPS rose significantly against the same quarter last year" in text
    # the improver and the decliner built into the sample are found
    assert "Esplanade" in text and "Eastbank" in text
    assert "Against competitors" in text and "Quay Digital" in text
    assert "SurveyMonkey" in text                      # benchmark source printed beside it


def test_quarterly_review_includes_a_linked_programme(tmp_path):
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    from pypdf import PdfReader

    shop_src = Path(__file__).resolve().parents[1] / "samples" / "harbour-bank-shop"
    shutil.copytree(shop_src, tmp_path / "shop", ignore=shutil.ignore_patterns("ledger.sqlite*"))
    wave1 = sorted(str(p) for p in (tmp_path / "shop" / "submissions" / "wave1").iterdir())
    done = subprocess.run([sys.executable, "-m", "cxreport", "shop", "submit", "shop/programme.yaml", *wave1],
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    path = _project(tmp_path, """
        quarterly: {programme: shop/programme.yaml}
    """)
    result = CliRunner().invoke(cli, ["build", str(path), "--report", "quarterly", "--format", "pdf",
                                      "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    text = "\n".join(p.extract_text() for p in PdfReader(tmp_path / "out" / "report-quarterly.pdf").pages)
    assert "Mystery shopping: Harbour Bank Service Standards Programme 2026" in text
    assert "Wave 1" in text and "Top locations" in text


def test_journey_map_on_the_sample(sample_project):
    study = run(sample_project)
    jmap = study.journey
    assert jmap.stages == ["Onboarding", "Everyday banking", "Borrowing", "Getting help"]
    names = [t.name for t in jmap.touchpoints]
    assert names.index("Account opening") < names.index("Payments") < names.index("Complaint handling")
    by_name = {t.name: t for t in jmap.touchpoints}
    # scores are the touchpoint segment's own NPS; the lowest is a pain point
    touch = next(b for b in study.results.segments if b.name == "Touchpoint")
    complaint = next(g for g in touch.groups if g.label == "Complaint handling")
    assert by_name["Complaint handling"].value == pytest.approx(complaint.items["nps"].nps.value)
    assert by_name["Complaint handling"].pain
    lowest = min((t for t in jmap.touchpoints if t.value is not None), key=lambda t: t.value)
    assert lowest.pain
    # the gap is that of the figure as shown (NPS in whole points), like every status
    assert by_name["Complaint handling"].gap == pytest.approx(round(complaint.items["nps"].nps.value) - 35)
    # the map describes the window and its change is against the quarter before
    assert jmap.period == "2026 Q3" and jmap.previous_period == "2026 Q2"


def test_journey_from_rating_columns_grouped_into_stages(tmp_path, sample_project):
    import shutil

    project_dir = tmp_path / "hb"
    shutil.copytree(sample_project.parent, project_dir)
    text = (project_dir / "cxreport.yaml").read_text()
    text = text.replace("""journey:
  stage: Journey stage
  touchpoint: Touchpoint
  kpi: nps
  stages: [Onboarding, Everyday banking, Borrowing, Getting help]""", """journey:
  touchpoints:
    Arrive: [Waiting time, Friendliness]
    Get help: [Staff knowledge, Resolved first time]
    Leave: [Fees and value]""")
    # The register names a touchpoint of the sample's journey segments, which this map does not have.
    register = project_dir / "actions.yaml"
    register.write_text(register.read_text().replace('metric: "touchpoint:Complaint handling"',
                                                     'metric: "segment:Channel=Phone"'))
    (project_dir / "cxreport.yaml").write_text(text)
    study = run(project_dir / "cxreport.yaml")
    jmap = study.journey
    assert jmap.stages == ["Arrive", "Get help", "Leave"]
    assert [t.name for t in jmap.touchpoints] == ["Waiting time", "Friendliness", "Staff knowledge",
                                                  "Resolved first time", "Fees and value"]
    wait = jmap.touchpoints[0]
    assert wait.value == pytest.approx(study.results.overall["attr:Waiting time"].mean.value)
    assert wait.target == 3.8 and wait.gap == pytest.approx(round(wait.value, 2) - 3.8)
    lowest = min(jmap.touchpoints, key=lambda t: t.value)
    assert lowest.pain and lowest.name == "Fees and value"


def test_journey_needs_exactly_one_form(tmp_path):
    path = _project(tmp_path, """
        journey: {stage: Branch}
    """)
    with pytest.raises(ConfigError) as err:
        load_project(path)
    assert "journey" in err.value.format_message()
