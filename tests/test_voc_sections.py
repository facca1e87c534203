"""Theme impact, themes over time and emerging themes, end to end (issue 16 items 1–2; docs/voice.md).

A constructed project (four quarters, 2025 Q4 – 2026 Q3, the window 2026 Q3) where every customer who
mentions fees is a detractor and a card-reader complaint is planted in the latest quarter: the figures are
checked against independent pandas calculations, and the report's section, the key findings, the scores
JSON and the workbook against each other.
"""

from __future__ import annotations

import io
import math
import re

import pandas as pd
import pytest
from scipy.stats import norm

from conftest import csv_text, write_project
from cxreport.pipeline import run

HEADER = ["resp_id", "response_date", "region", "q_nps", "q_csat", "comment"]
QUARTERS = [(2025, 4), (2026, 1), (2026, 2), (2026, 3)]
FRAME = {"Fees": ["fee", "fees"], "Staff": ["staff"], "Card reader": ["card reader"]}
Z = norm.ppf(0.975)


def rows_for(planted: int = 30, per_quarter: int = 200) -> list[list]:
    """200 respondents a quarter: fees comments all from detractors, staff comments from promoters and
    passives, a fifth without a comment; ``planted`` card-reader complaints in 2026 Q3 (one a quarter before)."""
    rows = []
    for y, q in QUARTERS:
        latest = (y, q) == QUARTERS[-1]
        for k in range(per_quarter):
            i = len(rows)
            month = 3 * (q - 1) + 1 + k % 3
            kind = k % 5
            if kind == 0:
                nps, text = k % 7, "The fees are far too high"
            elif kind == 1:
                nps, text = 7 + k % 4, "Staff were friendly and helpful"
            elif kind == 2:
                nps, text = (k * 3) % 11, ""
            elif (latest and k % 5 == 3 and k < 5 * planted) or (not latest and k == 3):
                nps, text = k % 5, "The card reader failed again, terrible and annoying"
            else:
                nps, text = (k * 7) % 11, "Normal visit nothing special"
            csat = 1 + nps // 2 if nps < 10 else 5
            rows.append([f"R{i:04d}", f"{y}-{month:02d}-{1 + k % 27:02d}", "North" if k % 2 else "South",
                         nps, min(csat, 5), text])
    return rows


def project(tmp_path, rows=None, comments=None, **overrides):
    cfg = {"code_frame": FRAME, "verbatims_per_theme": 1}
    cfg.update(comments or {})
    return write_project(tmp_path, csv_text(rows or rows_for(), HEADER), comments=cfg, **overrides)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The study, its context (charts drawn only where a test asks), HTML, JSON and workbook."""
    from cxreport.export import scores_dict
    from cxreport.present.context import build_context
    from cxreport.present.render import render_html
    from cxreport.present.workbook import build_workbook

    path = project(tmp_path_factory.mktemp("voc"))
    study = run(path)
    ctx = build_context(study, client_charts=False)
    html = render_html("client_report.html", drawn(ctx), "html")
    return {"path": path, "study": study, "ctx": ctx, "html": html, "json": scores_dict(study),
            "xlsx": build_workbook(study)}


def drawn(ctx: dict) -> dict:
    """The context with its charts drawn (the comments' own chart is drawn even without client charts)."""
    from cxreport.present import charts

    out = charts.draw_all(ctx, processes=1)
    out["logo"] = None
    return out


def frame() -> pd.DataFrame:
    df = pd.DataFrame(rows_for(), columns=HEADER)
    dates = pd.to_datetime(df["response_date"])
    df["period"] = dates.dt.year.astype(str) + " Q" + dates.dt.quarter.astype(str)
    return df


def nps_and_se(x: pd.Series) -> tuple[float, float]:
    p, d = (x >= 9).mean(), (x <= 6).mean()
    return 100 * (p - d), 100 * math.sqrt((p + d - (p - d) ** 2) / len(x))


# --------------------------------------------------------------------------- figures against pandas


def test_theme_impact_equals_an_independent_calculation(built):
    df = frame()
    now = df[df["period"] == "2026 Q3"]
    table = built["study"].insights.impact
    overall = nps_and_se(now["q_nps"])[0]
    for theme, word in (("Fees", "fee"), ("Card reader", "card reader"), ("Staff", "staff")):
        mention = now["comment"].str.lower().str.contains(word)
        (with_, se1), (without, se2) = nps_and_se(now.loc[mention, "q_nps"]), nps_and_se(now.loc[~mention, "q_nps"])
        row = next(t for t in table.themes if t.theme == theme)
        share = mention.mean()
        assert row.count == int(mention.sum())
        assert row.share == pytest.approx(share)
        assert row.nps_theme.value == pytest.approx(with_) and row.nps_other.value == pytest.approx(without)
        diff, se = with_ - without, math.hypot(se1, se2)
        assert row.nps_diff.value == pytest.approx(diff)
        assert (row.nps_diff.low, row.nps_diff.high) == pytest.approx((diff - Z * se, diff + Z * se))
        assert row.impact == pytest.approx(overall - without)
        assert row.impact == pytest.approx(share * diff)
        assert (row.impact_low, row.impact_high) == pytest.approx((share * (diff - Z * se), share * (diff + Z * se)))
        top2 = lambda c: 100 * (c >= 4).mean()                              # noqa: E731
        assert row.csat_theme.value == pytest.approx(top2(now.loc[mention, "q_csat"]))
        assert row.csat_other.value == pytest.approx(top2(now.loc[~mention, "q_csat"]))
    fees = next(t for t in table.themes if t.theme == "Fees")
    assert fees.nps_theme.value == -100 and fees.rank == 1 and fees.nps_diff.direction == -1


def test_trend_shares_and_sentiment_equal_pandas(built):
    from cxreport.scoring.comments import sentiment_scores

    df = frame()
    trends = built["study"].insights.trends
    assert trends.periods == ["2025 Q4", "2026 Q1", "2026 Q2", "2026 Q3"]
    commented = df[df["comment"] != ""]
    for theme, word in (("Fees", "fee"), ("Card reader", "card reader"), ("Staff", "staff")):
        expected = commented.groupby("period")["comment"].apply(lambda s: 100 * s.str.lower().str.contains(word).mean())
        got = next(t for t in trends.themes if t.theme == theme)
        assert [c.share for c in got.cells] == pytest.approx(expected.loc[trends.periods].tolist())
        assert [c.base for c in got.cells] == commented.groupby("period").size().loc[trends.periods].tolist()
    scores = pd.Series(sentiment_scores(commented["comment"].tolist()), index=commented.index)
    means = scores.groupby(commented["period"]).mean()
    assert [s.mean for s in trends.sentiment] == pytest.approx(means.loc[trends.periods].tolist())


# --------------------------------------------------------------------------- emerging themes


def test_the_planted_complaint_is_flagged_in_findings_section_and_json(built):
    ins = built["study"].insights
    flagged = [e.theme for kind, e in ins.flagged()]
    assert flagged == ["Card reader"]
    findings = [f.text for f in built["ctx"]["findings"]]
    text = next(t for t in findings if "Card reader" in t)
    df = frame()
    q3 = df[(df["period"] == "2026 Q3") & (df["comment"] != "")]
    q2 = df[(df["period"] == "2026 Q2") & (df["comment"] != "")]
    share = lambda d: 100 * d["comment"].str.contains("card reader").mean()   # noqa: E731
    assert text == (f"New complaint emerging: “Card reader” in {share(q3):.1f}% of comments in 2026 Q3, up from "
                    f"{share(q2):.1f}% in 2026 Q2 (significant).")
    assert re.search(r'data-emerging="Card reader"', built["html"])
    assert text in built["html"]
    block = built["json"]["theme_trends"]["emerging"]
    assert (block["period"], block["previous"]) == ("2026 Q3", "2026 Q2")
    assert [f["theme"] for f in block["flagged"]] == ["Card reader"]
    assert block["flagged"][0]["share_pct"] == pytest.approx(share(q3)) and block["flagged"][0]["complaint"] is True
    assert block["flagged"][0]["rise_pts"] == pytest.approx(share(q3) - share(q2))


@pytest.mark.parametrize("setting, reason", [({"min_rise": 50.0}, "small_rise"), ({"min_count": 40}, "few_mentions"),
                                             (False, None)])
def test_no_flag_below_min_rise_min_count_or_with_emerging_off(tmp_path, setting, reason):
    from cxreport.export import scores_dict
    from cxreport.present.findings import key_findings

    study = run(project(tmp_path, comments={"emerging": setting}))
    assert study.insights.flagged() == []
    assert not any("Card reader" in f.text for f in key_findings(study))
    block = scores_dict(study)["theme_trends"]["emerging"]
    if setting is False:
        assert block is None and study.insights.emerging is None
    else:
        assert block["flagged"] == []
        card = next(c for c in study.insights.emerging.candidates if c.theme == "Card reader")
        assert card.reason == reason


def test_a_small_rise_is_not_emerging(tmp_path):
    """Three card-reader complaints in the latest quarter (one a quarter before): under min_count."""
    study = run(project(tmp_path, rows_for(planted=3)))
    assert study.insights.flagged() == []
    card = next(c for c in study.insights.emerging.candidates if c.theme == "Card reader")
    assert card.reason in ("no_rise", "few_mentions")


def test_phrase_matching_follows_the_suggestions_words_english_and_chinese():
    from cxreport.scoring.voc import _phrase_flags

    texts = ["The card reader failed", "card. Reader", "my CARD readers broke", "送餐速度太慢了", "速度慢", "速度很好，慢慢来",
             ""]
    flags, words = _phrase_flags(texts, ["card reader", "速度慢"], [], [])
    assert flags["card reader"].tolist() == [True, False, True, False, False, False, False]
    # 速度 + 慢 in one clause (stop words such as 太 are kept, so 速度太慢 is not 速度慢), never across a comma
    assert flags["速度慢"].tolist() == [False, False, False, False, True, False, False]
    assert words["card reader"] == ["card", "reader"]


def test_emerging_phrases_from_the_suggestions_are_tested_like_themes(tmp_path):
    """A project with no card-reader theme: the suggestions find the phrase, and it is flagged."""
    frame_ = {k: v for k, v in FRAME.items() if k != "Card reader"}
    study = run(project(tmp_path, comments={"code_frame": frame_}))
    kinds = {(kind, study.insights.phrase_group.get(e.theme, e.theme))
             for kind, e in study.insights.flagged()}
    phrase = [e for kind, e in study.insights.flagged() if kind == "phrase"]
    assert phrase, kinds
    assert any("card" in e.theme or "reader" in e.theme for e in phrase)
    df = frame()
    words = study.insights.phrase_words[phrase[0].theme]
    q3 = df[(df["period"] == "2026 Q3") & (df["comment"] != "")]
    expect = 100 * q3["comment"].str.lower().apply(lambda t: all(w in t for w in words)).mean()
    assert phrase[0].share == pytest.approx(expect)


# --------------------------------------------------------------------------- one figure everywhere


def test_html_json_and_workbook_show_the_same_impact(built):
    import openpyxl
    from bs4 import BeautifulSoup

    table = built["study"].insights.impact
    soup = BeautifulSoup(built["html"], "html.parser")
    section = soup.find("section", id="theme_impact")
    assert section is not None and "2026 Q3" in section.get_text(" ")
    html_rows = {tr["data-theme"]: tr for tr in section.select("tr[data-theme]")}
    json_rows = {t["theme"]: t for t in built["json"]["theme_impact"]["themes"]}
    ws = openpyxl.load_workbook(io.BytesIO(built["xlsx"]))["Theme impact"]
    header = [c.value for c in ws[1]]
    sheet = {r[0]: dict(zip(header, r)) for r in ws.iter_rows(min_row=2, values_only=True) if r[0]}
    for t in table.themes:
        tr = html_rows[t.theme]
        assert float(tr["data-impact"]) == pytest.approx(t.impact)
        assert int(tr["data-mark"]) == t.nps_diff.direction
        assert json_rows[t.theme]["impact"] == pytest.approx(t.impact, abs=1e-6)
        assert json_rows[t.theme]["nps_difference"]["mark"] == t.nps_diff.direction
        assert sheet[t.theme]["NPS impact"] == pytest.approx(t.impact)
        assert sheet[t.theme]["Difference"] == pytest.approx(t.nps_diff.value)
        shown = f"{t.impact:+.1f}".replace("-", "−")
        assert shown in tr.get_text(" ")
    # the themes over time: the JSON's shares are the section's and the sheet's
    trends = built["study"].insights.trends
    ws2 = openpyxl.load_workbook(io.BytesIO(built["xlsx"]))["Themes over time"]
    sheet2 = {r[0]: r for r in ws2.iter_rows(min_row=2, values_only=True) if r[0]}
    trows = {tr["data-theme"]: tr for tr in soup.find("section", id="theme_trends").select("tr[data-theme]")}
    for t, j in zip(trends.themes, built["json"]["theme_trends"]["themes"]):
        assert [p["share_pct"] for p in j["periods"]] == pytest.approx([c.share for c in t.cells], abs=1e-6)
        assert list(sheet2[t.theme][2:2 + len(t.cells)]) == pytest.approx([c.share for c in t.cells])
        cells = [td.get_text(strip=True) for td in trows[t.theme].find_all("td")][:len(t.cells)]
        assert cells == [f"{c.share:.1f}%" for c in t.cells]


def test_every_table_has_its_wrap_and_user_text_is_escaped(tmp_path):
    from cxreport.present.context import build_context
    from cxreport.present.render import render_html

    frame_ = {"<b>Fees</b> & co": ["fee", "fees"], "Staff": ["staff"]}
    study = run(project(tmp_path, comments={"code_frame": frame_}))
    html = render_html("client_report.html", drawn(build_context(study, client_charts=False)), "html")
    for sid in ("theme_impact", "theme_trends"):
        part = html.split(f'id="{sid}"', 1)[1].split("</section>", 1)[0]
        assert "<b>Fees</b>" not in part and "&lt;b&gt;Fees&lt;/b&gt; &amp; co" in part
        for m in re.finditer(r"<table", part):
            assert part[:m.start()].rstrip().endswith('<div class="table-wrap">')
        assert "<sup" not in part


def test_the_sections_vanish_when_left_out_of_report_sections(tmp_path):
    from cxreport.config.schema import SECTIONS
    from cxreport.present.context import build_context
    from cxreport.present.render import render_html

    sections = [s for s in SECTIONS if s not in ("theme_impact", "theme_trends")]
    study = run(project(tmp_path, report={"title": "T", "sections": sections}))
    html = render_html("client_report.html", drawn(build_context(study, client_charts=False)), "html")
    assert 'id="theme_impact"' not in html and 'id="theme_trends"' not in html
    assert 'id="comments"' in html


def test_sections_say_nothing_without_a_code_frame_or_dates(tmp_path):
    from cxreport.present.context import build_context

    study = run(project(tmp_path, comments={"code_frame": {}}))
    ctx = build_context(study, client_charts=False)
    assert ctx["theme_impact"] is None
    assert ctx["theme_trends"] is not None and ctx["theme_trends"]["themes"] == []      # the tone per period only
    assert len(ctx["theme_trends"]["sentiment"]) == 4


def test_charts_draw_and_keep_labels_apart(built):
    from cxreport.present import charts
    from cxreport.present.context import build_context

    ctx = build_context(built["study"])
    for key in ("theme_impact", "theme_trends"):
        job = ctx[key]["chart"]
        chart = charts._draw(job, narrow=True)
        assert chart.png.startswith(b"\x89PNG") and chart.narrow.startswith(b"\x89PNG")
        assert chart.alt.startswith(job.args[1])


# --------------------------------------------------------------------------- the priority list


def test_priorities_carry_the_theme_impact_as_evidence_and_keep_their_rank(built):
    from cxreport.scoring.keydrivers import DriverAnalysis, DriverRow
    from cxreport.scoring.priorities import build_priorities

    rows = [DriverRow("Wait", 40.0, 0.2, 50.0, 3.0, ""), DriverRow("Staff", 35.0, 0.17, 80.0, 4.2, ""),
            DriverRow("Fees", 25.0, 0.13, 60.0, 3.4, "")]
    analysis = DriverAnalysis("Total", "NPS", 500, 480.0, 0.5, "relative weights", rows)
    scales = {"Wait": (1, 5), "Staff": (1, 5), "Fees": (1, 5)}
    themes = {"Fees": "Fees", "Staff": "Staff"}
    table = built["study"].insights.impact
    plain = build_priorities(analysis, {}, scales, {}, themes)
    with_impact = build_priorities(analysis, {}, scales, {}, themes, impact=table)
    assert [p.name for p in plain] == [p.name for p in with_impact]          # the ranking does not change
    fees = next(p for p in with_impact if p.name == "Fees")
    row = next(t for t in table.themes if t.theme == "Fees")
    assert (fees.theme_nps_impact, fees.theme_impact_low, fees.theme_impact_high) == pytest.approx(
        (row.impact, row.impact_low, row.impact_high))
    assert fees.theme_impact_mark == -1
    wait = next(p for p in with_impact if p.name == "Wait")
    assert wait.theme_nps_impact is None and wait.theme_impact_mark == 0


def test_the_quarterly_review_lists_the_emerging_theme_under_what_changed(built):
    from cxreport.present.quarterly import build_quarterly_context

    ctx = build_quarterly_context(built["study"])
    emerging = [s for s in ctx["q_what_changed"] if "Card reader" in s]
    assert emerging == [f.text for f in built["ctx"]["findings"] if "Card reader" in f.text]


def test_trends_score_every_period_even_when_only_the_json_asks(tmp_path):
    """Without the trends section and with emerging themes off the study scores only the window's
    comments; the trends (in the JSON) still carry every period's tone, scored the same way."""
    from cxreport.config.schema import SECTIONS

    sections = [s for s in SECTIONS if s != "theme_trends"]
    study = run(project(tmp_path, comments={"emerging": False}, report={"title": "T", "sections": sections}))
    assert all(s.n > 0 and s.base_flag != "suppressed" for s in study.insights.trends.sentiment)
