"""Numbers that agree with themselves (issue 13).

One rounding function, half away from zero on the figure's shortest decimal form, used by
every filter, the status rule and the charts; one precision per measure; every difference
printed beside the two figures it compares equals the difference of the printed figures
(scorecard, quarterly headline table and segment scorecard, movers, unit comparison, journey,
competitors, the segment finding with the rest of the sample's figure beside it); an index
prints whole wherever its unit is mapped (display_unit); a source's year is given once; the
scorecard says why its bases (answers) differ from the period's respondents; the
"comparisons" note counts the comparisons its table shows; movers sorted by the size of
the change and only significant ones; segment groups and touchpoints in journey order or
in a natural order (numbers by value, Chinese by pinyin).

The sample reports are built once per module (HTML only) and read with BeautifulSoup.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from cxreport import i18n
from cxreport.present import formatting as fmt
from cxreport.scoring.kpis import shown_value

REPO = Path(__file__).resolve().parents[1]
HARBOUR = REPO / "samples" / "harbour-bank" / "cxreport.yaml"
HUAYUE = REPO / "samples" / "huayue-retail" / "cxreport.yaml"
BUILD_DATE = dt.date(2026, 10, 15)

MARKS = "▲▼*⚑"


# --------------------------------------------------------------------------- reading figures back


def value_of(text: str) -> float | None:
    """The number a cell or phrase prints: '+27', '−1 pts ▼', '74%', '5.20*', '1,702' → float;
    '—' (or nothing) → None."""
    text = text.strip()
    for ch in MARKS:
        text = text.replace(ch, "")
    text = text.replace("\u2212", "-").replace(",", "").replace("%", "").replace("pts", "")
    text = re.sub(r"\(.*?\)", "", text).strip()
    if not text or text in ("—", "-"):
        return None
    match = re.fullmatch(r"[+-]?\d+(\.\d+)?", text)
    assert match, f"not a figure: {text!r}"
    return float(text)


def decimals_of(text: str) -> int:
    match = re.search(r"\d(?:\.(\d+))?", text)
    return len(match.group(1) or "") if match else 0


def cells(row) -> list[str]:
    return [c.get_text(" ", strip=True) for c in row.find_all(["th", "td"])]


def table_rows(table) -> tuple[list[str], list[list[str]]]:
    head = cells(table.find("thead").find("tr")) if table.find("thead") else cells(table.find("tr"))
    body = table.find("tbody") or table
    rows = [cells(tr) for tr in body.find_all("tr") if tr.find_parent("thead") is None]
    return head, rows


def difference(a: str, b: str) -> float | None:
    """The difference of two printed figures, at their printed precision."""
    x, y = value_of(a), value_of(b)
    if x is None or y is None:
        return None
    return round(x - y, max(decimals_of(a), decimals_of(b)))


def assert_printed_difference(printed: str, now: str, before: str, where: str) -> None:
    expected = difference(now, before)
    got = value_of(printed)
    if expected is None or got is None:
        return
    assert got == pytest.approx(expected, abs=1e-9), \
        f"{where}: {printed!r} printed beside {now!r} and {before!r} (difference {expected:+g})"


# --------------------------------------------------------------------------- builds


@pytest.fixture(scope="module")
def harbour(tmp_path_factory) -> Path:
    """The Harbour Bank sample: the client report and a report per region (HTML)."""
    from cxreport.cli import cli

    out = tmp_path_factory.mktemp("numbers-harbour")
    result = CliRunner().invoke(cli, ["build", str(HARBOUR), "-o", str(out), "--format", "html", "--per", "Region",
                                      "-j", "1"])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def client_soup(harbour) -> BeautifulSoup:
    return BeautifulSoup((harbour / "report.html").read_text(encoding="utf-8"), "html.parser")


@pytest.fixture(scope="module")
def unit_soups(harbour) -> dict[str, BeautifulSoup]:
    return {p.stem: BeautifulSoup(p.read_text(encoding="utf-8"), "html.parser")
            for p in harbour.glob("report-*.html") if p.stem != "report-index"}


@pytest.fixture(scope="module")
def quarterly_study():
    from cxreport.build import window_for
    from cxreport.config.loader import load_project
    from cxreport.pipeline import run

    return run(window_for(load_project(HARBOUR), "quarterly"))


@pytest.fixture(scope="module")
def quarterly_ctx(quarterly_study):
    from cxreport.present.quarterly import build_quarterly_context

    with i18n.use_language("en"):
        return build_quarterly_context(quarterly_study, build_date=BUILD_DATE)


@pytest.fixture(scope="module")
def quarterly_soup(tmp_path_factory) -> BeautifulSoup:
    from cxreport.build import build

    out = tmp_path_factory.mktemp("numbers-quarterly")
    result = build(HARBOUR, out, formats=("html",), report="quarterly", build_date=BUILD_DATE)
    return BeautifulSoup(result.paths["html"].read_text(encoding="utf-8"), "html.parser")


@pytest.fixture(scope="module")
def client_study():
    from cxreport.config.loader import load_project
    from cxreport.pipeline import run

    return run(load_project(HARBOUR))


@pytest.fixture(scope="module")
def client_ctx(client_study):
    from cxreport.present.context import build_context

    with i18n.use_language("en"):
        return build_context(client_study, build_date=BUILD_DATE, client_charts=False)


@pytest.fixture(scope="module")
def chinese_soup(tmp_path_factory) -> BeautifulSoup:
    from cxreport.build import build

    out = tmp_path_factory.mktemp("numbers-huayue")
    result = build(HUAYUE, out, formats=("html",), build_date=BUILD_DATE)
    return BeautifulSoup(result.paths["html"].read_text(encoding="utf-8"), "html.parser")


# --------------------------------------------------------------------------- one rounding function


@pytest.mark.parametrize(("value", "decimals", "expected"), [
    (72.5, 0, 73.0), (-0.5, 0, -1.0), (-2.5, 0, -3.0), (0.5, 0, 1.0), (1.5, 0, 2.0), (2.5, 0, 3.0),
    (0.125, 2, 0.13), (2.675, 2, 2.68), (1.005, 2, 1.01), (-1.005, 2, -1.01), (26.45, 1, 26.5),
    (1e-17, 0, 0.0), (-1e-17, 2, 0.0), (72.4999, 0, 72.0), (-72.4999, 0, -72.0), (1234567.5, 0, 1234568.0),
])
def test_round_half_away_from_zero_on_the_shortest_decimal(value, decimals, expected):
    got = fmt.round_half_away(value, decimals)
    assert got == expected
    assert str(got) != "-0.0"


def test_round_half_away_keeps_what_is_not_a_number():
    import math

    assert math.isnan(fmt.round_half_away(float("nan")))
    assert fmt.round_half_away(float("inf")) == float("inf")


def test_every_filter_rounds_half_away_from_zero():
    assert fmt.num(72.5) == "73" and fmt.num(-0.5) == "\u22121" and fmt.num(2.675, 2) == "2.68"
    assert fmt.num(0.125, 2) == "0.13" and fmt.num(1234567.5) == "1,234,568"
    assert fmt.num(-1e-17) == "0" and fmt.num(-0.4) == "0" and fmt.num(-0.004, 2) == "0.00"
    assert fmt.signed(72.5) == "+73" and fmt.signed(-2.5) == "\u22123" and fmt.signed(1e-17) == "0"
    assert fmt.signed(-0.4) == "0"
    assert fmt.pct(72.5) == "73%" and fmt.pct(-0.5) == "\u22121%"
    assert fmt.figure(72.5, "points") == "+73" and fmt.figure(72.5, "percent") == "73%"
    assert fmt.figure(4.125, "mean") == "4.13" and fmt.figure(0.125, "mean") == "0.13"
    assert fmt.half_width(0.0, 9.0, "points") == "±5"          # 4.5 → 5
    with i18n.use_language("zh-CN"):
        assert fmt.num(72.5) == "73" and fmt.figure(-2.5, "points") == "\u22123"


def test_one_precision_per_measure():
    assert fmt.DECIMALS == {"points": 0, "percent": 0, "mean": 2, "index": 0}
    assert fmt.figure(75.0, "index") == "75" and fmt.figure(75.5, "index") == "76"
    assert fmt.gap(-0.8, "percent") == "\u22121 pts" and fmt.gap(2.5, "points") == "+3"
    assert fmt.gap(4.0, "index") == "+4" and fmt.gap(0.175, "mean") == "+0.18"


def test_shown_value_and_the_status_rule_round_half_away():
    from types import SimpleNamespace

    from cxreport.benchmark.targets import judge, status

    assert shown_value(72.5, "points") == 73 and shown_value(74.5, "percent") == 75
    assert shown_value(4.995, "mean") == 5.0 and shown_value(-0.5, "points") == -1
    assert status(34.5, 35, 10, "points") == "green"          # shown +35: on target
    assert status(79.5, 80, 5, "percent") == "green"
    est = SimpleNamespace(value=34.5, unit="points", shown=True)
    result = SimpleNamespace(headline=est, spec=SimpleNamespace(key="nps"))
    verdict = judge(result, 35, 10)
    assert verdict.value == 35 and verdict.gap == 0 and verdict.status == "green"


def test_shown_difference_is_the_difference_of_the_shown_figures():
    assert fmt.shown_difference(74.4, 75.2, "percent") == -1          # 74% − 75%
    assert fmt.shown_difference(27.66, 25.4, "points") == 3           # +28 − +25
    assert fmt.shown_difference(5.2, 5.16, "mean") == 0.04            # no float noise
    assert fmt.shown_difference(None, 5.0, "mean") is None


def test_difference_sentences_never_say_zero_and_use_the_same_rounding():
    from cxreport.present.findings import _points

    with i18n.use_language("en"):
        assert _points(0.0, "points") == "less than 1 point"
        assert _points(0.0, "percent") == "less than 1 percentage point"
        assert _points(0.0, "mean") == "less than 0.01"
        assert _points(-1.0, "percent") == "1 percentage point"
        assert _points(2.5, "points") == "3 points"
        assert _points(0.125, "mean") == "0.13"


# --------------------------------------------------------------------------- printed differences


def test_scorecard_changes_equal_the_difference_of_the_printed_figures(client_soup):
    section = client_soup.find("section", id="scorecard")
    table = section.find("table")
    head, rows = table_rows(table)
    trend_table = client_soup.find("section", id="trend").find("table")
    trend_head, trend_rows = table_rows(trend_table)
    by_period = {r[0]: dict(zip(trend_head, r)) for r in trend_rows}
    vs = [(i, h[3:]) for i, h in enumerate(head) if h.startswith("vs ")]
    assert vs, head
    checked = 0
    for row in rows:
        kpi, score = row[0], row[1]
        for i, period in vs:
            before = by_period[period][kpi]
            assert_printed_difference(row[i], score, before, f"scorecard {kpi} vs {period}")
            checked += 1
        gap = row[head.index("Gap")]
        assert_printed_difference(gap, score, row[head.index("Target")], f"scorecard {kpi} gap")
    assert checked == len(rows) * len(vs)
    # the KPI cards say the same
    for card in section.select("div.kpi"):
        kpi = card.select_one(".name").get_text(strip=True)
        score = card.select_one(".value").get_text(" ", strip=True)
        for change in card.select(".change"):
            label, _sep, printed = change.get_text(" ", strip=True).partition(":")
            period = label.strip()[3:]
            assert_printed_difference(printed, score, by_period[period][kpi], f"card {kpi} vs {period}")


def test_quarterly_headline_changes_equal_the_difference_of_the_printed_figures(quarterly_soup):
    table = quarterly_soup.find("h2", id="kpis").find_next("table")
    head, rows = table_rows(table)
    assert head[3] == "Change" and head[5] == "Change", head
    for row in rows:
        assert_printed_difference(row[3], row[1], row[2], f"quarterly {row[0]} vs {head[2]}")
        assert_printed_difference(row[5], row[1], row[4], f"quarterly {row[0]} vs {head[4]}")
    csat = next(r for r in rows if r[0] == "CSAT")
    assert "." not in csat[3] and "." not in csat[5], csat       # whole percentage points beside whole percents


def test_quarterly_what_changed_sentences_use_the_printed_differences(quarterly_ctx):
    rows = {r["key"]: r for r in quarterly_ctx["q_changes"]}
    for row in rows.values():
        for change, other in ((row["d_prev"], row["prev"]), (row["d_year"], row["year"])):
            if change is None or other is None:
                continue
            assert change.test.diff == fmt.shown_difference(row["now"]["value"], other["value"], row["unit"])
    for sentence in quarterly_ctx["q_what_changed"]:
        assert not re.search(r"\b0(\.0+)? (percentage )?points?\b", sentence), sentence


def test_movers_are_significant_sorted_by_the_printed_change_and_add_up(quarterly_soup, quarterly_ctx):
    section = quarterly_soup.find("h2", id="movers")
    tables = section.find_all_next("table", limit=2)
    for table, sign in zip(tables, (1, -1)):
        _head, rows = table_rows(table)
        changes = []
        for row in rows:
            if len(row) < 4:
                continue                               # "None"
            unit, before, now, change = row[:4]
            assert_printed_difference(change, now, before, f"mover {unit}")
            assert ("▲" if sign > 0 else "▼") in change, f"{unit}: {change} listed but not significant"
            changes.append(value_of(change))
        assert all(c * sign > 0 for c in changes), changes
        assert changes == sorted(changes, key=lambda c: -abs(c)), f"not sorted by the size of the change: {changes}"
    for key, sign in (("q_improvers", 1), ("q_decliners", -1)):
        movers = quarterly_ctx[key]
        assert all(m["mark"] == sign for m in movers), key
        assert all(m["diff"] == fmt.shown_difference(m["now"], m["before"], quarterly_ctx["q_movers_unit"])
                   for m in movers)
        note = quarterly_ctx[key + "_note"]
        if len(movers) < 5:
            assert note and "significantly" in note, (key, note)
        else:
            assert note is None


def test_quarterly_segment_changes_are_printed_differences_and_match_the_journey(quarterly_ctx):
    """The change under each figure of the review's segment scorecard (and its deck slide) is
    the difference of the figures as shown, as the journey table's change for the same
    touchpoint: Account opening +41 on +40 is "+1" in both, not "0" in one (exact +0.4)."""
    checked = 0
    for card in quarterly_ctx["q_scorecards"]:
        for row in card["rows"]:
            for key, cell in row["cells"].items():
                if cell.get("change") is None:
                    continue
                unit = cell["unit"]
                assert cell["change"] == fmt.round_half_away(cell["change"], fmt.DECIMALS[unit]), (row["label"], key)
                checked += 1
    assert checked
    jmap = quarterly_ctx["journey"]["map"]
    card = next(c for c in quarterly_ctx["q_scorecards"] if c["name"] == "Touchpoint")
    rows = {r["label"]: r for r in card["rows"]}
    compared = 0
    for t in jmap.touchpoints:
        cell = rows[t.name]["cells"]["nps"] if t.name in rows else None
        if t.change is None or cell is None or cell.get("change") is None:
            continue
        assert cell["change"] == t.change, (t.name, cell["change"], t.change)
        compared += 1
    assert compared


def test_unit_comparison_differences_equal_the_difference_of_the_printed_figures(unit_soups):
    assert unit_soups, "no unit reports built"
    checked = 0
    for name, soup in unit_soups.items():
        block = soup.find(id="unit-comparison")
        head, rows = table_rows(block.find("table"))
        net = head.index("Network")
        parent = net - 1 if "vs network" in head and head[net - 1] != head[1] else None
        for row in rows:
            assert_printed_difference(row[head.index("vs network")], row[1], row[net], f"{name} {row[0]} vs network")
            checked += 1
            if parent is not None and parent != 1:
                vs_parent = next(i for i, h in enumerate(head) if h.startswith("vs ") and h != "vs network")
                assert_printed_difference(row[vs_parent], row[1], row[parent], f"{name} {row[0]} vs parent")
        paragraph = block.select_one(".unit-summary").get_text(" ", strip=True)
        assert not re.search(r"\b0(\.0+)? (percentage )?points?\b", paragraph), paragraph
        assert not re.search(r"\d\.\d percentage point", paragraph), paragraph
    assert checked


def test_journey_gap_equals_the_difference_of_the_printed_figures(client_soup):
    table = client_soup.find("section", id="journey").find("table")
    head, rows = table_rows(table)
    value, standard, gap = 2, head.index("Standard"), head.index("Gap")
    for row in rows:
        assert_printed_difference(row[gap], row[value], row[standard], f"journey {row[1]}")


def test_journey_changes_are_differences_of_shown_figures(client_ctx):
    jmap = client_ctx["journey"]["map"]
    assert any(t.change is not None for t in jmap.touchpoints)
    for t in jmap.touchpoints:
        if t.change is not None:
            decimals = fmt.DECIMALS[jmap.unit]
            assert t.change == fmt.round_half_away(t.change, decimals), t


def test_competitor_differences_are_differences_of_the_shown_figures(client_ctx):
    """Own minus each brand, and the gap to the leader, in the table, its sentence and the gap
    chart (which is drawn from the same comparison) are differences of the figures as shown:
    +24 and −3 are 27 apart, not 26.5."""
    checked = 0
    for c in client_ctx["competitors"]:
        own, unit = c["own"], c["unit"]
        for b in c["brands"]:
            if b.own or b.diff is None:
                continue
            assert b.diff == fmt.shown_difference(own.value, b.value, unit), (c["label"], b.brand)
            checked += 1
        if c["gap"] is not None:
            leader = max((b for b in c["brands"] if not b.own and b.value is not None), key=lambda b: b.value)
            assert c["gap"] == fmt.shown_difference(own.value, leader.value, unit)
        if c["gap_chart"] is not None:
            drawn = c["gap_chart"].args[1]
            assert [b.diff for b in drawn.brands] == [b.diff for b in c["brands"]]
    assert checked
    northern = next(b for c in client_ctx["competitors"] if c["label"] == "NPS" and c["origin"] == "survey"
                    for b in c["brands"] if b.brand == "Northern Trust Bank")
    assert northern.diff == 27


def test_competitor_tables_print_no_index_with_decimals(client_soup):
    section = client_soup.find("section", id="competitors")
    assert "75.00" not in section.get_text() and "79.00" not in section.get_text()


def test_an_index_is_shown_whole(client_ctx):
    acsi = [c for c in client_ctx["competitors"] if c["label"].startswith("ACSI")]
    assert acsi and all(c["unit"] == "index" for c in acsi)
    with i18n.use_language("en"):
        assert fmt.figure(acsi[0]["own"].value, "index") == "75"


def test_benchmark_gaps_are_the_difference_of_the_shown_figures(client_ctx):
    assert client_ctx["benchmarks"]
    for b in client_ctx["benchmarks"]:
        if b["gap"] is None:
            continue
        unit = b["standard_unit"]
        assert b["gap"] == fmt.shown_difference(b["compared"], b["standard_value"], unit), b


def test_scorecard_context_changes_are_shown_differences(client_ctx):
    for k in client_ctx["scorecard"]:
        for c in k["changes"]:
            if c["diff"] is not None:
                assert c["diff"] == fmt.shown_difference(k["headline"]["value"], c["other"]["value"], k["unit"])


def test_an_index_keeps_its_own_precision_in_every_output():
    """The one mapping of a comparison's unit to the unit it prints in: an index is whole
    ("75", never "75.00" because an output did not know the unit); anything unknown a mean."""
    assert fmt.display_unit("index") == "index" and fmt.figure(75.0, fmt.display_unit("index")) == "75"
    for unit in ("points", "percent", "mean"):
        assert fmt.display_unit(unit) == unit
    assert fmt.display_unit("ratio") == "mean"
    assert set(fmt.DECIMALS) == {u for u in ("points", "percent", "mean", "index", "other")
                                  if fmt.display_unit(u) == u}


_REST = re.compile(r"with (?P<kpi>.+?) (?P<value>[+\u2212]?\d[\d.,]*%?), (?:less than )?(?P<diff>[\d.,]+) "
                   r"(?:percentage )?points? (?:above|below) the rest of the sample \((?P<rest>[^)]+)\)")


def test_segment_findings_print_the_rest_of_the_sample_and_add_up(client_soup, client_study):
    """"Complaint handling lags with NPS −24, 59 points below the rest of the sample" named a
    figure printed nowhere: the sentence now prints the rest's figure, and the gap in words is
    the difference of the two figures as printed."""
    from cxreport.present.findings import segment_findings

    items = [li.get_text(" ", strip=True) for li in client_soup.select("ul.findings li")]
    with i18n.use_language("en"):
        sentences = [f.text for f in segment_findings(study=client_study)]
    printed = [i for i in items if "the rest of the sample" in i]
    assert sentences and printed and set(printed) <= set(sentences), (sentences, items)
    for sentence in sentences:
        match = _REST.search(sentence)
        assert match, sentence
        expected = difference(match["value"], match["rest"])
        assert abs(expected) == pytest.approx(value_of(match["diff"])), sentence


def test_the_sources_sentence_gives_a_year_once(client_study):
    """A source whose title names its year is not followed by the year again ("UK Retail
    Banking Monitor 2026 (syndicated), 2026")."""
    from cxreport.present.context import sources_sentence

    with i18n.use_language("en"):
        text = sources_sentence(client_study)
    assert text and "(syndicated)" in text
    for entry in client_study.sources:
        for f in entry.figures:
            if f.period and f.period in f.source:
                assert f"{f.source}, {f.period}" not in text, text
    assert "(syndicated), 2026" not in text


# --------------------------------------------------------------------------- the comparisons note


def _note_after(table) -> str | None:
    for sibling in table.find_parent("div").find_next_siblings():
        if sibling.name == "h2":
            return None
        text = sibling.get_text(" ", strip=True)
        if "comparisons" in text:
            return text
    return None


def test_the_comparisons_note_counts_the_comparisons_its_table_shows(client_soup):
    section = client_soup.find("section", id="segments")
    seen = 0
    for heading in section.find_all("h2"):
        table = heading.find_next("table")
        head, rows = table_rows(table)
        kpis = len(head) - 2
        shown = sum(1 for r in rows if r[0] != "Total" for c in r[2:2 + kpis] if value_of(c) is not None)
        note = _note_after(table)
        # The marks are decided on p-values adjusted together within the table (significance.adjust,
        # Benjamini–Hochberg by default): the note names the method and the comparisons it shows.
        if shown > 1:
            assert note is not None, heading.get_text()
            found = re.search(r"adjusted for the ([\d,]+) comparisons in this table \(Benjamini–Hochberg\)", note)
            assert found, note
            n = int(found.group(1).replace(",", ""))
            assert n == shown, (heading.get_text(" ", strip=True), n, shown)
            seen += shown > 20
        else:
            assert note is None, (heading.get_text(" ", strip=True), note, shown)
        assert "1 in 20" not in (note or "")
    assert seen, "no table large enough to need the note"


def test_comparison_counts_in_the_context_follow_the_kpis_shown(client_ctx):
    keys = [k["key"] for k in client_ctx["kpi_specs"]]
    for seg in client_ctx["segments"]:
        shown = sum(1 for r in seg["rows"] for k in keys if r["cells"][k]["base"] != "suppressed"
                    and r["cells"][k]["value"] is not None)
        assert seg["n_tests"] == shown, (seg["name"], seg["n_tests"], shown)
        assert seg["many_tests"] == (shown > 20)
    trend = client_ctx["trend"]
    assert trend["n_tests"] == (len(trend["rows"]) - 1) * len(keys)


# --------------------------------------------------------------------------- order


def _segment_rows(soup, caption: str, total: str) -> list[str]:
    table = next(t for t in soup.find_all("table") if t.caption and t.caption.get_text(strip=True) == caption)
    _head, rows = table_rows(table)
    return [r[0] for r in rows if r[0] != total]


def test_journey_touchpoints_follow_the_stages_and_the_segment_tables_agree(client_soup):
    stages = ["Onboarding", "Everyday banking", "Borrowing", "Getting help"]
    _head, rows = table_rows(client_soup.find("section", id="journey").find("table"))
    order = [stages.index(r[0]) for r in rows]
    assert order == sorted(order), [r[0] for r in rows]
    names = [re.sub(r"\s*pain point$", "", r[1]) for r in rows]
    assert _segment_rows(client_soup, "Journey stage", "Total") == stages
    touchpoints = _segment_rows(client_soup, "Touchpoint", "Total")
    assert [t for t in touchpoints if t in names] == names      # the touchpoint table in journey order


def test_journey_base_is_the_kpis_answers_and_says_so(client_ctx):
    journey = client_ctx["journey"]
    assert journey["base_label"] == "Answers"
    touchpoint = next(s for s in client_ctx["segments"] if s["name"] == "Touchpoint")
    answers = {r["label"]: r["cells"]["nps"]["n_item"] for r in touchpoint["rows"]}
    for t in journey["map"].touchpoints:
        assert t.n == answers[t.name], t.name
    assert touchpoint["base_label"] == "Respondents"


def test_one_period_has_one_respondent_count_and_the_kpi_bases_say_what_they_count(client_ctx):
    """The scorecard's bases are the answers to each KPI (1,702 for NPS) and the segment and
    trend tables count the period's respondents (1,742): the note under the scorecard says
    so and gives the same respondent count as those tables."""
    n = client_ctx["sample"]["base"]
    trend_last = client_ctx["trend"]["rows"][-1]
    assert trend_last["base"] == n
    assert all(seg["total_base"] == n for seg in client_ctx["segments"] if not seg["overlapping"])
    assert client_ctx["trend"]["base_label"] == "Respondents"
    note = client_ctx["scorecard_base_note"]
    assert note and fmt.num(n) in note and client_ctx["period"]["window"] in note
    assert all(k["n"] <= n for k in client_ctx["scorecard"])


def test_segment_groups_in_natural_order():
    from cxreport.validate import natural_key

    labels = ["Store 10", "store 2", "Store 1", "Émile", "Zebra", "apple"]
    assert sorted(labels, key=natural_key) == ["apple", "Émile", "Store 1", "store 2", "Store 10", "Zebra"]


def test_chinese_groups_in_pinyin_order(chinese_soup):
    stores = _segment_rows(chinese_soup, "门店", "总体")
    assert stores == ["北京朝阳店", "北京海淀店", "成都春熙路店", "重庆解放碑店", "东莞南城店", "广州天河店",
                      "贵阳观山湖店", "杭州西湖店", "昆明五华店", "南京新街口店", "上海浦东店", "上海徐汇店",
                      "深圳南山店", "石家庄长安店", "天津和平店", "厦门思明店"]
    assert _segment_rows(chinese_soup, "区域", "总体") == ["华北", "华东", "华南", "西南"]
    assert _segment_rows(chinese_soup, "旅程阶段", "总体") == ["选购", "结账支付", "收货", "售后"]
