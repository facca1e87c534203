"""The customer value section end to end (issue 16, item 6; docs/customer-value.md): a
constructed project with a customer file (both layouts) scored by the pipeline, its figures
checked against independent pandas calculations, and the report's section, the scores JSON
and the workbook sheet checked against each other."""

from __future__ import annotations

import io
import math
import random
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from cxreport.cli import cli
from cxreport.export import scores_dict
from cxreport.jsonschema import Checker
from cxreport.pipeline import run
from cxreport.present.formatting import figure

HEADER = ["resp_id", "response_date", "touchpoint", "q_nps", "q_csat", "comment"]
COMMENTS = ["The wait was too long", "Staff were helpful", "Fees are too high", "Great app", "",
            "Long queue again", "Helpful staff, fees fine"]
#: Segment boxes as docs/customer-value.md lists them (an independent copy).
BOXES = [("Champions", 5, 5, 5, 5, 5, 5), ("Potential Loyalist", 3, 5, 3, 5, 2, 5),
         ("Loyal Customers", 2, 4, 2, 4, 2, 4), ("Promising", 3, 4, 1, 3, 3, 5), ("New Customers", 4, 5, 1, 3, 1, 5),
         ("Can't Lose Them", 1, 2, 3, 4, 4, 5), ("At Risk", 1, 2, 2, 5, 4, 5), ("Need Attention", 1, 3, 3, 5, 3, 5),
         ("About To Sleep", 2, 3, 1, 3, 1, 4), ("Lost", 1, 1, 1, 5, 1, 5)]


def _responses(n: int = 900) -> pd.DataFrame:
    rng = random.Random(16)
    rows = []
    for i in range(n):
        month = 1 + i % 9                      # 2026-01 … 2026-09: the window is 2026 Q3
        nps = rng.choice([10, 9, 9, 8, 8, 7, 6, 5, 3, 10, 9, 2])
        csat = min(5, max(1, round(nps / 2) + rng.choice([-1, 0, 0, 1])))
        rows.append([f"R{i:04d}", f"2026-{month:02d}-{1 + i % 27:02d}", ["Branch", "App", "Phone"][i % 3], nps, csat,
                     COMMENTS[i % len(COMMENTS)]])
    return pd.DataFrame(rows, columns=HEADER)


def _customers(resp: pd.DataFrame) -> pd.DataFrame:
    """One row per customer: most respondents (every 7th is missing: unmatched) and customers
    who never answered; values with ties (recency from a small range)."""
    rng = random.Random(7)
    rows = []
    for i, r in resp.iterrows():
        if i % 7 == 4:
            continue
        rows.append([r.resp_id, rng.randint(1, 40) * 3, rng.randint(1, 12), round(rng.uniform(5, 900) * (1 + r.q_nps / 5)),
                     rng.randint(0, 15), ["Gold", "Silver", "Bronze"][i % 3],
                     "yes" if rng.random() < (0.45 if r.q_nps <= 6 else 0.12) else "no"])
    for k in range(400):
        rows.append([f"C{k:04d}", rng.randint(1, 40) * 3, rng.randint(1, 12), round(rng.uniform(5, 900)),
                     rng.randint(0, 15), "Bronze", "no"])
    rng.shuffle(rows)
    return pd.DataFrame(rows, columns=["cust", "days", "n_tx", "spend", "tenure", "tier", "churned"])


def _config(customers: dict, **more) -> dict:
    config = {
        "client": {"name": "Value Co"},
        "survey": {"file": "data/responses.csv"},
        "columns": {"respondent_id": "resp_id", "date": "response_date", "comment": "comment", "nps": "q_nps",
                    "csat": {"column": "q_csat", "scale": 5}, "segments": {"Touchpoint": "touchpoint"}},
        "bases": {"suppress_below": 10, "flag_below": 20},
        "comments": {"code_frame": {"Waiting": ["wait", "queue"], "Staff": ["staff", "helpful"], "Fees": ["fees"]}},
        "customers": customers,
        "report": {"title": "Value report", "date": "2026-10-15", "period": "2026-Q3"},
    }
    config.update(more)
    return config


CUSTOMERS = {"file": "data/customers.csv", "touchpoint": "Touchpoint",
             "columns": {"customer_id": "cust", "recency": "days", "frequency": "n_tx", "monetary": "spend",
                         "tenure": "tenure", "value_tier": "tier", "churned": "churned"}}


def _write(folder: Path, config: dict, files: dict[str, str]) -> Path:
    (folder / "data").mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        (folder / rel).write_text(text, encoding="utf-8")
    path = folder / "cxreport.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("value")
    resp = _responses()
    cust = _customers(resp)
    path = _write(folder, _config(CUSTOMERS), {"data/responses.csv": resp.to_csv(index=False),
                                              "data/customers.csv": cust.to_csv(index=False)})
    return path, resp, cust, run(path)


def ref_scores(values, higher_is_better: bool) -> np.ndarray:
    """METHODS.md §12 by pandas: rank with ties in order of appearance, ceil(5·rank/n)."""
    s = pd.Series(values, dtype=float)
    rank = (s if higher_is_better else -s).rank(method="first").to_numpy()
    return np.ceil(5 * rank / len(s)).astype(int)


def ref_segment(r: int, f: int, m: int) -> str:
    for name, r0, r1, f0, f1, m0, m1 in BOXES:
        if r0 <= r <= r1 and f0 <= f <= f1 and m0 <= m <= m1:
            return name
    return "Others"


def _joined(resp: pd.DataFrame, cust: pd.DataFrame) -> pd.DataFrame:
    """The window's respondents (2026 Q3) with their customer's RFM segment and tier, by pandas."""
    c = cust.rename(columns={"cust": "resp_id", "tier": "client_tier"})
    c["R"] = ref_scores(c["days"], False)
    c["F"] = ref_scores(c["n_tx"], True)
    c["M"] = ref_scores(c["spend"], True)
    c["segment"] = [ref_segment(*x) for x in zip(c.R, c.F, c.M)]
    top = pd.Series(c["spend"].to_numpy()).rank(method="first").to_numpy() > len(c) - math.ceil(0.2 * len(c))
    c["tier"] = np.where(top, "top", "rest")
    window = resp[pd.to_datetime(resp["response_date"]).dt.month.isin([7, 8, 9])]
    return window.merge(c, on="resp_id", how="left")


def _nps(frame: pd.DataFrame) -> float:
    return 100 * ((frame.q_nps >= 9).mean() - (frame.q_nps <= 6).mean())


# --------------------------------------------------------------------------- figures


def test_rfm_scores_and_segments_equal_an_independent_calculation(project):
    _path, _resp, cust, study = project
    v = study.value
    rfm = v.rfm
    assert list(rfm.customer_id) == cust["cust"].tolist()          # file order: the tie order
    assert (rfm.r == ref_scores(cust["days"], False)).all()
    assert (rfm.f == ref_scores(cust["n_tx"], True)).all()
    assert (rfm.m == ref_scores(cust["spend"], True)).all()
    assert cust["days"].duplicated().any()                         # ties really are broken by file order
    names = [ref_segment(*x) for x in zip(rfm.r, rfm.f, rfm.m)]
    assert list(rfm.segment_names()) == names
    k = math.ceil(0.2 * len(cust))
    top = cust["spend"].sort_values(kind="stable").index[-k:]
    assert rfm.tier.customers == k
    assert rfm.tier.value_share == pytest.approx(cust.loc[top, "spend"].sum() / cust["spend"].sum())


def test_scores_by_segment_snl_and_churn_equal_pandas_on_the_joined_frame(project):
    _path, resp, cust, study = project
    v = study.value
    j = _joined(resp, cust)
    matched = j[j["segment"].notna()]
    assert v.join.respondents == len(j) and v.join.unmatched == int(j["segment"].isna().sum()) > 0
    assert v.join.matched == len(matched)
    by = {g.group: g for g in v.by_segment.groups}
    assert set(by) == set(matched["segment"])
    for name, group in matched.groupby("segment"):
        assert by[name].respondents == len(group)
        assert by[name].nps.nps == pytest.approx(_nps(group))
        assert by[name].csat.share == pytest.approx((group.q_csat >= 4).mean())
    assert v.by_segment.unmatched.nps.nps == pytest.approx(_nps(j[j["segment"].isna()]))
    tiers = {g.group: g for g in v.by_tier.groups}
    for name, group in matched.groupby("tier"):
        assert tiers[name].nps.nps == pytest.approx(_nps(group))
    client = {g.group: g for g in v.by_client_tier.groups}
    for name, group in matched.groupby("client_tier"):
        assert client[name].nps.nps == pytest.approx(_nps(group))
    # satisfied but not loyal: CSAT 4–5 and NPS 0–8, of everyone answering both
    snl = (j.q_csat >= 4) & (j.q_nps <= 8)
    assert v.snl.overall.of_all.share == pytest.approx(snl.mean())
    assert v.snl.overall.of_satisfied.share == pytest.approx(snl[j.q_csat >= 4].mean())
    touch = {g.group: g for g in v.snl_touchpoint.groups}
    for name, group in j.groupby("touchpoint"):
        assert touch[name].of_all.share == pytest.approx(((group.q_csat >= 4) & (group.q_nps <= 8)).mean())
    # the themes behind it: share of SNL commenters mentioning "Fees" against satisfied promoters
    fees = j["comment"].fillna("").str.lower().str.contains("fees")
    said = j["comment"].fillna("") != ""
    theme = next(t for t in v.snl.themes if t.theme == "Fees")
    assert theme.sbnl.share == pytest.approx(fees[snl & said].mean())
    assert theme.loyal.share == pytest.approx(fees[(j.q_csat >= 4) & (j.q_nps >= 9) & said].mean())
    # churn by NPS group, among matched respondents
    churned = matched["churned"] == "yes"
    groups = {g.group: g for g in v.churn.groups}
    for name, mask in (("promoter", matched.q_nps >= 9), ("passive", matched.q_nps.between(7, 8)),
                       ("detractor", matched.q_nps <= 6)):
        assert groups[name].rate.share == pytest.approx(churned[mask].mean())
        assert groups[name].rate.n == int(mask.sum())
    assert v.churn.unknown_churn == v.join.unmatched
    assert v.tenure.mean == pytest.approx(cust["tenure"].mean())


def test_unmatched_respondents_are_warned_about(project):
    path, _resp, _cust, study = project
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    line = f"data/customers.csv: {study.value.join.unmatched} of {study.value.join.respondents} respondents in 2026 Q3 " \
           "match no customer"
    assert line in result.output


# --------------------------------------------------------------------------- report, JSON, workbook


class _Cells(HTMLParser):
    """The text of each row of the section's tables: {data-segment/tier: [cell texts]}."""

    def __init__(self):
        super().__init__()
        self.rows: dict[str, list[str]] = {}
        self.section = False
        self.key = None
        self.cell = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section" and a.get("id") == "customer_value":
            self.section = True
        elif tag == "section":
            self.section = False
        if self.section and tag == "tr" and ("data-segment" in a or "data-tier" in a):
            self.key = a.get("data-segment") or a.get("data-tier")
            self.rows[self.key] = []
        if self.key and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if self.key and tag in ("td", "th") and self.cell is not None:
            self.rows[self.key].append(" ".join("".join(self.cell).split()))
            self.cell = None
        if tag == "tr":
            self.key = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def test_report_json_and_workbook_agree(project, tmp_path):
    path, _resp, _cust, study = project
    result = CliRunner().invoke(cli, ["build", str(path), "-o", str(tmp_path / "out"), "--format", "html,xlsx"])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    parser = _Cells()
    parser.feed(html)
    doc = scores_dict(study)
    block = doc["customer_value"]
    # HTML: customers, NPS and CSAT of each segment as in the JSON
    assert parser.rows, "no value segment rows in the report"
    for seg in block["segments"]:
        cells = parser.rows[seg["name"]]
        assert cells[1] == f"{seg['customers']:,}"
        nps = seg["nps"]
        if nps["base"] != "suppressed":
            text = figure(nps["value"], "points") + ("*" if nps["base"] == "small" else "")
            text += {1: " ▲", -1: " ▼"}.get(seg["nps_mark"], "")
            assert cells[5] == text, (seg["name"], cells)
        else:
            assert cells[5] == "—"
    for tier in block["tiers"]:
        assert parser.rows[tier["tier"]][1] == f"{tier['customers']:,}"
    assert f"{block['join']['unmatched']} respondents in 2026 Q3 match no customer" in " ".join(html.split())
    top = block["value_tier"]
    assert f"bring {figure(top['value_pct'], 'percent')} of the value" in html
    # the workbook: the same NPS per segment
    wb = openpyxl.load_workbook(tmp_path / "out" / "report.xlsx")
    ws = next(wb[n] for n in wb.sheetnames if n.startswith("Customer value"))
    values = [[c.value for c in row] for row in ws.iter_rows()]
    header = next(i for i, r in enumerate(values) if r[0] == "Breakdown")
    by_group = {r[1]: r for r in values[header + 1:] if r[0] == "RFM segment"}
    for seg in block["segments"]:
        row = by_group[seg["name"]]
        assert row[2] == seg["customers"] and row[5] == seg["respondents"]
        if seg["nps"]["base"] != "suppressed":
            assert row[6] == pytest.approx(seg["nps"]["value"])
    # the JSON: its figures are the study's
    assert block["join"]["unmatched"] == study.value.join.unmatched
    assert block["satisfied_not_loyal"]["overall"]["of_all"]["pct"] == pytest.approx(
        100 * study.value.snl.overall.of_all.share, abs=1e-6)


def test_the_json_block_matches_its_description(project):
    _path, _resp, _cust, study = project
    checker = Checker()
    problems = [p for p in checker.check(scores_dict(study)) if "customer_value" in p]
    assert not problems, problems
    assert "customer_value.satisfied_not_loyal.themes[].sbnl.pct" in checker.seen
    assert "customer_value.churn.groups[].rate.pct" in checker.seen


def test_the_section_is_switched_off_by_report_sections(project, tmp_path):
    from cxreport.config.schema import SECTIONS
    from cxreport.present.context import build_context

    path, _resp, _cust, study = project
    context = build_context(study, client_charts=False)
    assert "customer_value" in context["sections"] and context["customer_value"]["segments"]
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["report"]["sections"] = [s for s in SECTIONS if s != "customer_value"]
    off = path.parent / "off.yaml"
    off.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    other = run(off)
    context = build_context(other, client_charts=False)
    assert "customer_value" not in context["sections"] and context["customer_value"] is None


# --------------------------------------------------------------------------- the transactions layout


def test_transactions_layout_rfm_and_excluded_rows(tmp_path):
    resp = _responses(360)
    rng = random.Random(5)
    lines = ["member,day,amount"]
    for i in range(360):
        if i % 10 == 7:
            continue
        for _ in range(1 + i % 4):
            lines.append(f"R{i:04d},2026-{1 + rng.randint(0, 8):02d}-{1 + rng.randint(0, 27):02d},"
                         f"{rng.choice([-20, 15, 40, 80, 120, 300])}")
    lines += ["R0001,someday,10", ",2026-03-01,10", "R0002,2026-03-02,ten"]
    tx = "\n".join(lines) + "\n"
    customers = {"file": "data/tx.csv", "layout": "transactions", "as_of": "2026-09-30", "window_days": 200,
                 "columns": {"customer_id": "member", "date": "day", "amount": "amount"}}
    path = _write(tmp_path, _config(customers), {"data/responses.csv": resp.to_csv(index=False), "data/tx.csv": tx})
    study = run(path)
    v = study.value
    assert v.excluded == {"blank customer id": 1, "date not readable": 1, "amount not a number": 1}
    t = pd.read_csv(io.StringIO(tx), dtype=str).dropna()
    t["date"] = pd.to_datetime(t["day"], errors="coerce")
    t["amount"] = pd.to_numeric(t["amount"], errors="coerce")
    t = t.dropna()
    end = pd.Timestamp("2026-09-30")
    t = t[(t["date"] <= end) & (t["date"] > end - pd.Timedelta(days=200))]
    buys = t[t["amount"] >= 0]
    per = pd.DataFrame({"last": buys.groupby("member", sort=False)["date"].max(),
                        "freq": buys.groupby("member", sort=False).size(),
                        "mon": t.groupby("member", sort=False)["amount"].sum()})
    order = pd.unique(t["member"])                    # customers in order of their first transaction
    per = per.reindex([m for m in order if m in per.index and per.loc[m, "freq"] > 0])
    assert list(v.rfm.customer_id) == per.index.tolist()
    assert (v.rfm.recency_days == (end - per["last"]).dt.days.to_numpy()).all()
    assert (v.rfm.r == ref_scores((end - per["last"]).dt.days, False)).all()
    assert (v.rfm.f == ref_scores(per["freq"], True)).all()
    assert (v.rfm.m == ref_scores(per["mon"], True)).all()
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "data/tx.csv: 1 transaction row excluded (date not readable): row" in result.output
    assert re.search(r"data/tx\.csv: \d+ of \d+ respondents in 2026 Q3 match no customer", result.output)


# --------------------------------------------------------------------------- hostile files


def _error(result) -> str:
    return next((ln for ln in result.stderr.splitlines() if ln.startswith("Error:")), "")


@pytest.mark.parametrize("change, files, message", [
    ({"columns": {"monetary": "spendd"}}, {}, "customers.columns.monetary: column 'spendd' not found in "
                                              "data/customers.csv"),
    ({}, {"dup": True}, "data/customers.csv: 1 customer id appear"),
    ({}, {"bad_spend": True}, "data/customers.csv: column 'spend' (monetary) is blank, not a number or negative on "
                              "1 row: 3"),
    ({}, {"bad_churn": True}, "data/customers.csv: column 'churned' (churned) is not one of yes/no"),
])
def test_hostile_customer_files_fail_validate_as_score_does(tmp_path, change, files, message):
    resp = _responses(180)
    cust = _customers(resp)
    if files.get("dup"):
        cust.loc[5, "cust"] = cust.loc[4, "cust"]
    if files.get("bad_spend"):
        cust["spend"] = cust["spend"].astype(object)
        cust.loc[1, "spend"] = "lots"
    if files.get("bad_churn"):
        cust.loc[2, "churned"] = "maybe"
    customers = {**CUSTOMERS, "columns": {**CUSTOMERS["columns"], **change.get("columns", {})}}
    path = _write(tmp_path, _config(customers), {"data/responses.csv": resp.to_csv(index=False),
                                                "data/customers.csv": cust.to_csv(index=False)})
    score = CliRunner().invoke(cli, ["score", str(path), "-o", str(tmp_path / "s.json")])
    validate = CliRunner().invoke(cli, ["validate", str(path)])
    assert score.exit_code == 1 and validate.exit_code == 1, (score.output, validate.output)
    assert message in _error(score), _error(score)
    assert _error(validate) == _error(score)
    assert "Traceback" not in score.output + validate.output
    if "not found" in message:
        assert "did you mean 'spend'" in _error(score)


def test_a_significant_value_tier_gap_is_a_key_finding_and_nothing_else_is(project):
    import copy

    from cxreport.present.findings import key_findings
    from cxreport.present.value import value_findings
    from cxreport.scoring import stats

    _path, _resp, _cust, study = project
    v = study.value
    halves = {g.group: g.of_all for g in v.snl_tier.groups}
    test = v.snl_tier_test
    assert test.diff == pytest.approx(halves["top"].share - halves["rest"].share)
    expected = stats.two_proportion_ztest(halves["top"].share * halves["top"].n_eff, halves["top"].n_eff,
                                          halves["rest"].share * halves["rest"].n_eff, halves["rest"].n_eff)
    assert test.p_value == pytest.approx(expected.p_value)
    found = value_findings(study)
    assert bool(found) == (test.p_value <= v.alpha)
    # the same study with a significant gap: one finding, with the section's figures
    other = copy.copy(study)
    other.value = copy.copy(v)
    other.value.snl_tier_test = stats.TestResult(test.diff or 0.1, 3.0, 0.001, test.method)
    (finding,) = value_findings(other)
    assert finding.significant and finding.kind == "value"
    assert figure(100 * halves["top"].share, "percent") in finding.text
    assert figure(100 * halves["rest"].share, "percent") in finding.text
    assert finding.text in [f.text for f in key_findings(other, limit=100)]


@pytest.mark.parametrize("drop", ["nps", "csat"])
def test_one_kpi_alone_gives_the_section_without_what_needs_the_other(tmp_path, drop):
    from cxreport.present.context import build_context
    from cxreport.present.value import value_table

    resp = _responses(450)
    cust = _customers(resp)
    config = _config(CUSTOMERS)
    config["columns"].pop(drop)
    path = _write(tmp_path, config, {"data/responses.csv": resp.to_csv(index=False),
                                     "data/customers.csv": cust.to_csv(index=False)})
    study = run(path)
    v = study.value
    assert v.snl is None                                  # satisfied but not loyal needs both
    assert (v.churn is None) == (drop == "nps")           # churn by NPS group needs NPS
    context = build_context(study)
    cv = context["customer_value"]
    assert cv["has_nps"] == (drop != "nps") and cv["has_csat"] == (drop != "csat") and cv["chart"] is not None
    block = scores_dict(study)["customer_value"]
    assert block["satisfied_not_loyal"] is None
    assert all((s["nps"] is None) == (drop == "nps") for s in block["segments"])
    assert value_table(study)[4]
