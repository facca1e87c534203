"""Mystery-shopping reports a consultancy would sign off (issue 13), on the Harbour Bank
sample built as its README says (three waves and the corrected visit V-W1-0107, in a
temporary copy): rankings with their bases and a caveat, the consecutive-failure flag and
failed waves wherever a location is praised, comments from failing visits, caps and
critical failures explained where they change a score, band and tier following a critical
failure, half-away-from-zero rounding, plurals, "no change", bonus points, one rule for
partial answers and channel labels."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from shop_helpers import copy_sample

from cxreport.cli import cli

pytestmark = pytest.mark.slow

FISHERGATE, WESTCLIFF = "BR10", "BR24"
#: README: N3 = no on these five visits, each "failed — critical" whatever its score.
CRITICAL_VISITS = ["V-W1-0021", "V-W1-0029", "V-W2-0070", "V-W2-0122", "V-W3-0045"]
CHANNELS = {"Branch", "Phone", "E-mail", "Chat"}


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    root = tmp_path_factory.mktemp("shop-craft")
    programme = copy_sample(root)
    folder = programme.parent
    for wave in ("wave1", "wave2", "wave3"):
        result = run("shop", "submit", programme, *sorted((folder / "submissions" / wave).iterdir()))
        assert result.exit_code == 0, result.output
    result = run("shop", "submit", programme, folder / "submissions" / "invalid" / "replace_V-W1-0107.json",
                 "--replace", "--reason", "Shopper corrected the wave 1 visit")
    assert result.exit_code == 0, result.output
    return programme


@pytest.fixture(scope="module")
def built(sample):
    """The programme's results, the ledger frame aligned with them, and a chart style."""
    from cxreport.present.charts import ChartStyle
    from cxreport.shop.commands import results
    from cxreport.shop.ledger import Ledger
    from cxreport.shop.loadprog import load_programme

    prog = load_programme(sample)
    res = results(prog)
    with Ledger(prog) as ledger:
        frame = ledger.accepted_visits()
    frame = frame.set_index("row").loc[res.visits["row"].to_numpy()].reset_index()
    cs = ChartStyle(prog.programme.brand.primary, prog.programme.brand.accent, prog.programme.brand.font)
    return prog, res, frame, cs


def _html(template: str, ctx: dict) -> BeautifulSoup:
    from cxreport.present.render import render_html

    return BeautifulSoup(render_html(template, ctx, "html"), "html.parser")


def _text(node) -> str:
    return re.sub(r"\s+", " ", node.get_text(" ")).strip()


def _cell(node) -> str:
    """A table cell's text as it reads (inline elements not spaced apart)."""
    return re.sub(r"\s+", " ", node.get_text()).strip()


@pytest.fixture(scope="module")
def summary(built):
    from cxreport.shop.reports import programme_context

    prog, res, _frame, cs = built
    ctx = programme_context(prog, res, cs)
    return ctx, _html("shop_programme.html", ctx)


def _location(built, location_id):
    from cxreport.shop.reports import location_context

    prog, res, frame, cs = built
    ctx = location_context(prog, res, frame, location_id, cs)
    return ctx, _html("shop_location.html", ctx)


def _visit_index(built, visit_id) -> int:
    _prog, res, _frame, _cs = built
    return int(res.visits.index[res.visits["visit_id"] == visit_id][0])


def _scoresheet(built, visit_id):
    from cxreport.shop.reports import scoresheet_context

    prog, res, frame, _cs = built
    ctx = scoresheet_context(prog, res, frame, _visit_index(built, visit_id))
    return ctx, _html("shop_scoresheet.html", ctx)


def _row(table, name: str):
    return next(tr for tr in table.select("tbody tr") if tr.find("th") and name in tr.find("th").get_text())


def _heading(soup, text: str):
    return next(h for h in soup.find_all(["h2", "h3"]) if text in h.get_text())


# --------------------------------------------------------------------------- rankings: bases and a caveat


def test_league_table_shows_each_locations_visits_and_a_caveat(summary):
    ctx, soup = summary
    table = soup.select_one("table.league")
    header = [_text(th) for th in table.select("thead th")]
    column = header.index("Visits")
    rows = table.select("tbody tr")
    assert len(rows) == 48
    visits = [_cell(tr.find_all(["th", "td"])[column]) for tr in rows]
    assert set(visits) == {"2*", "3"}, set(visits)            # fewer than 3 visits are marked
    caveat = _text(table.find_parent(class_="table-wrap").find_previous_sibling("p"))
    assert "2–3 visits" in caveat, caveat
    match = re.search(r"less than (\d+) points", caveat)
    assert match, caveat
    # The threshold is the spread of single visits: 1.96 × the pooled within-location SD × √(2/2).
    assert 15 <= int(match.group(1)) <= 30, caveat
    assert "* fewer than 3 visits" in caveat


def test_best_and_worst_locations_carry_the_caveat_and_bases(summary):
    _ctx, soup = summary
    for title in ("Best locations", "Locations most in need of attention"):
        heading = _heading(soup, title)
        table = heading.find_next("table")
        assert all(re.fullmatch(r"[23]\*? visits?", _cell(tr.find_all("td")[-1])) for tr in table.select("tbody tr")), _text(table)
    note = _text(_heading(soup, "Best locations").find_parent("div").find_parent(class_="two-col")
                 .find_next_sibling("p"))
    assert "2–3 visits" in note and re.search(r"less than \d+ points", note), note


# --------------------------------------------------------------------------- praise with its history


def test_fishergate_failed_waves_and_flag_wherever_it_is_praised(summary, built):
    ctx, soup = summary
    best = _heading(soup, "Best locations").find_next("table")
    row = _text(_row(best, "Fishergate"))
    assert "⚑" in row and "W1" in row and "W2" in row, row
    league = _text(_row(soup.select_one("table.league"), "Fishergate"))
    assert "⚑" in league and "W1" in league and "W2" in league, league
    # The summary names the flag although Fishergate passed the latest wave.
    flags = [_text(p) for p in soup.select("p.warn")]
    assert any("Fishergate" in f and "Wave 1" in f and "Wave 2" in f for f in flags), flags
    assert all(f.count("Fishergate") <= 1 for f in flags), flags          # named once, with its history
    # Its own report says so above the fold, beside the 100 % of wave 3.
    _lctx, loc = _location(built, FISHERGATE)
    note = _text(loc.select_one("p.warn"))
    assert "⚑" in note and "Wave 1 — Spring 2026" in note and "Wave 2 — Summer 2026" in note, note
    assert loc.select_one("p.warn").find_previous("h2") is None or \
        _text(loc.select_one("p.warn").find_previous("h2")) == "Scores across waves"


def test_location_report_quotes_failing_visits_first_positive_and_negative(built):
    ctx, soup = _location(built, FISHERGATE)
    quotes = [_text(q) for q in soup.select("blockquote.comment")]
    assert any("Felt like an inconvenience" in q for q in quotes), quotes       # W1, below the pass mark
    assert any("Not a good visit" in q for q in quotes), quotes                  # W2, below the pass mark
    assert any("Excellent visit" in q for q in quotes), quotes                   # W3, passed
    first_positive = min(k for k, q in enumerate(quotes) if "Excellent visit" in q)
    assert all("Excellent visit" not in q for q in quotes[:first_positive])
    assert first_positive >= 2
    # A failing visit without general comments is quoted by the comments on its failed items.
    assert any("early repayment charge" in q for q in quotes), quotes


def test_every_location_report_quotes_the_comments_of_its_failing_visits(built):
    prog, res, frame, _cs = built
    failing = res.visits[~res.visits["passed"]]
    checked = 0
    for location_id in sorted(set(failing["location_id"]))[:8]:
        ctx, _soup = _location(built, location_id)
        quoted = {c["visit"] for c in ctx["comments"]}
        for r in failing[failing["location_id"] == location_id].itertuples():
            text = str(frame.loc[r.Index, "comments"] or "").strip()
            if text:
                assert r.visit_id in quoted, (location_id, r.visit_id)
                checked += 1
        # Failing visits come first.
        states = [c["passed"] for c in ctx["comments"]]
        assert states == sorted(states), (location_id, states)
    assert checked


# --------------------------------------------------------------------------- caps and critical failures


def test_a_capped_score_is_explained_in_the_league_and_heatmap(summary):
    _ctx, soup = summary
    for table in (soup.select_one("table.league"), soup.select_one("table.heatmap")):
        row = _text(_row(table, "Westcliff"))
        assert "capped at 60%" in row and "critical item S2" in row, row
    heat = _row(soup.select_one("table.heatmap"), "Westcliff")
    assert _text(heat.find_all("td")[-1]).startswith("73"), _text(heat)       # 72.5 rounds half away from zero


def test_a_critically_failed_visit_has_no_score_band(built):
    for visit_id in CRITICAL_VISITS:
        ctx, soup = _scoresheet(built, visit_id)
        verdict = _text(soup.select_one("section.result"))
        assert "Band: Failed — critical" in verdict, verdict
        assert not re.search(r"Band: (Excellent|Good|Fair|Poor)", verdict), verdict
        assert "Service tier: none" in verdict, verdict
    _ctx, loc = _location(built, "BR24")
    row = _text(_row(loc.find("table", class_="visits"), "V-W1-0021"))
    assert "Failed — critical" in row and "Fair" not in row, row


def test_the_summary_band_table_counts_critical_failures_apart(summary):
    ctx, soup = summary
    table = _heading(soup, "Score distribution").find_next("table")
    bands = {_text(tr.find("th")): _text(tr.find_all("td")[0]) for tr in table.select("tbody tr")}
    assert bands.get("Failed — critical") == "1", bands                     # V-W3-0045
    assert sum(int(v) for v in bands.values()) == 115
    # The lowest band reads "below the next", not "≥ 0%".
    method = _text(_heading(soup, "How the scores are computed").find_next("table"))
    assert "Poor < 70%" in method and "≥ 0%" not in method, method


# --------------------------------------------------------------------------- numbers and words


def _half_away(x: float, places: int) -> float:
    """A reference rounding, independent of the code under test: decimal ROUND_HALF_UP (half
    away from zero) of the number as it prints."""
    from decimal import ROUND_HALF_UP, Decimal

    return float(Decimal(repr(float(x))).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def test_round_half_away_from_zero(summary, built):
    """Every league and heatmap score is its location's score rounded half away from zero
    (72.5 → 73, never to even), and the change beside it the difference of printed scores."""
    ctx, soup = summary
    _prog, res, _frame, _cs = built
    latest = res.latest_wave()
    raw = res.location_waves[res.location_waves["wave"] == latest].set_index("location_id")
    heat = {_cell(tr.find("th").contents[0]): _cell(tr.find_all("td")[-1])
            for tr in soup.select("table.heatmap tbody tr")}
    halves = 0
    for row in ctx["league"]:
        score = float(raw.loc[row["id"], "score"])
        assert row["score"] == pytest.approx(_half_away(score, 1)), (row["name"], score, row["score"])
        assert heat[row["name"]] == f"{_half_away(score, 0):.0f}", (row["name"], score, heat[row["name"]])
        halves += abs(score * 2 - round(score * 2)) < 1e-9 and not float(score).is_integer()
        previous = raw.loc[row["id"], "previous_score"]
        if row["change"] is not None:
            assert row["change"] == pytest.approx(_half_away(row["score"] - _half_away(float(previous), 1), 1)), row
    assert halves, "the sample has scores ending in .5 (Westcliff 72.5)"
    from cxreport.shop.reports import round_half_away

    assert round_half_away(72.5, 0) == 73 and round_half_away(-72.5, 0) == -73
    assert round_half_away(84.05, 1) == pytest.approx(84.1) and round_half_away(0.125, 2) == pytest.approx(0.13)


def test_plural_and_no_change_wording(summary):
    _ctx, soup = summary
    kpis = _text(soup.select_one(".kpis"))
    assert "1 critical failure" in kpis and "critical fails" not in kpis, kpis
    assert "no change on the previous wave" in kpis and "0.0 points" not in kpis, kpis


def test_bonus_points_never_shown_over_the_possible(built):
    from cxreport.shop.reports import scoresheet_context

    prog, res, frame, _cs = built
    for i in range(len(res.visits)):
        ctx = scoresheet_context(prog, res, frame, i)
        for s in ctx["sections"]:
            earned, possible = (float(x) for x in re.match(r"([\d.]+) / ([\d.]+)", s["points"]).groups())
            assert earned <= possible, (res.visits.iloc[i]["visit_id"], s["points"])
            for row in s["rows"]:
                m = re.match(r"([\d.]+) / ([\d.]+)$", row["points"])
                if m:
                    assert float(m.group(1)) <= float(m.group(2)), row
    ctx, soup = _scoresheet(built, "V-W1-0021")
    solution = next(s for s in ctx["sections"] if s["id"] == "solution")
    assert solution["points"] == "5 / 5 + 1 bonus", solution["points"]
    s4 = next(r for r in solution["rows"] if r["id"] == "S4")
    assert s4["points"] == "+1", s4["points"]


def test_partial_answers_follow_one_rule(built):
    """Pass = all the item's points, Partial = some, Fail = none (or a failed critical item)."""
    from cxreport.shop.reports import scoresheet_context

    prog, res, frame, _cs = built
    seen = set()
    for i in range(len(res.visits)):
        ctx = scoresheet_context(prog, res, frame, i)
        for s in ctx["sections"]:
            for row in s["rows"]:
                if row["state"] not in ("pass", "partial", "fail"):
                    continue
                e, p = row["earned"], row["possible"]
                expected = "fail" if row["critical_failed"] or e == 0 else "pass" if e >= p else "partial"
                assert row["state"] == expected, (res.visits.iloc[i]["visit_id"], row["id"], e, p, row["state"])
                if row["state"] == "partial":
                    seen.add((row["id"], e, p))
    # C3 "Quite likely" (1 of 2, pass points 1) and N1 "Partly" (1 of 3, pass points 3) read alike.
    assert ("C3", 1.0, 2.0) in seen and ("N1", 1.0, 3.0) in seen, seen


def test_channel_labels(summary, built):
    _ctx, soup = summary
    table = _heading(soup, "Results by channel").find_next("table")
    assert {_text(tr.find("th")) for tr in table.select("tbody tr")} == CHANNELS
    league = soup.select_one("table.league")
    column = [_text(th) for th in league.select("thead th")].index("Channel")
    assert {_text(tr.find_all(["th", "td"])[column]) for tr in league.select("tbody tr")} == CHANNELS
    _c, sheet = _scoresheet(built, "V-W1-0021")
    facts = {_text(dt): _text(dt.find_next("dd")) for dt in sheet.select("dl.facts dt")}
    assert facts["Channel"] == "Branch", facts
    _c, loc = _location(built, "EM01")
    facts = {_text(dt): _text(dt.find_next("dd")) for dt in loc.select("dl.facts dt")}
    assert facts["Channel"] == "E-mail", facts
    from cxreport.shop.reports import channel_label

    assert channel_label("email") == "E-mail" and channel_label("video_call") == "Video call"


def test_summary_pdf_ends_on_a_filled_page(sample, tmp_path):
    """The last page of the summary is not a stub of a few lines (it was three). Built with
    ``--format pdf,html``: shop report takes a comma-separated list as build does."""
    import pypdf

    out = tmp_path / "out"
    result = run("shop", "report", sample, "--format", "pdf,html", "-o", out)
    assert result.exit_code == 0, result.output
    assert (out / "programme-summary.html").is_file() and (out / "programme-summary.pdf").is_file()
    pages = pypdf.PdfReader(out / "programme-summary.pdf").pages
    lines = [ln for ln in (pages[-1].extract_text() or "").splitlines() if ln.strip()]
    assert len(lines) > 8, lines


def test_shop_report_format_takes_a_comma_list_as_build_does(sample, tmp_path):
    from cxreport.shop.commands import parse_report_formats

    assert parse_report_formats("both") == ("html", "pdf")
    assert parse_report_formats("html, PDF") == ("html", "pdf")
    assert parse_report_formats("pdf,html,pdf") == ("pdf", "html")
    assert parse_report_formats("both,html") == ("html", "pdf")
    out = tmp_path / "out"
    result = run("shop", "report", sample, "--format", "html", "-o", out)
    assert result.exit_code == 0, result.output
    assert (out / "programme-summary.html").is_file() and not (out / "programme-summary.pdf").exists()
    for bad in ("html,xlsx", "docx", ","):
        result = run("shop", "report", sample, "--format", bad, "-o", tmp_path / "bad")
        assert result.exit_code == 2, (bad, result.output)
        assert "--format" in result.output and "comma-separated" in result.output, result.output
    assert not (tmp_path / "bad").exists()
    help_text = run("shop", "report", "--help").output
    assert "comma-separated" in help_text
