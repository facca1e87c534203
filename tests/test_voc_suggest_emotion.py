"""Suggested themes (issue 16, item 3) and emotion on the journey map (item 4) at the study level:
project file → study step → report section (HTML), scores JSON and workbook.

The suggestions are checked on the real event-survey comments in ../shared/realdata (read in place; the
module's own tests, tests/test_suggest.py, check the phrase rules there) and on constructed Chinese
comments; the emotion figures against an independent pandas calculation on a constructed, weighted project."""

from __future__ import annotations

import io
import random
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from bs4 import BeautifulSoup
from click.testing import CliRunner

from cxreport.cli import cli
from cxreport.errors import ConfigError
from cxreport.export import scores_dict
from cxreport.pipeline import run
from cxreport.scoring.comments import sentiment_scores

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
EVENT = REALDATA / "sudzilla_event_survey" / "input_01.csv"
EVENT_FRAME = {"Speakers": ["keynote", "speaker", "speakers", "talks"], "Content": ["content", "sessions"]}


# ------------------------------------------------------------------------------------------- projects

def _write(tmp_path: Path, config: dict, frame: pd.DataFrame) -> Path:
    (tmp_path / "data").mkdir(exist_ok=True)
    frame.to_csv(tmp_path / "data" / "responses.csv", index=False)
    path = tmp_path / "cxreport.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _event_project(tmp_path: Path, **comments) -> Path:
    raw = pd.read_csv(EVENT)
    frame = pd.DataFrame({"rid": [f"E{i:03d}" for i in range(len(raw))], "nps": raw[raw.columns[1]],
                          "why": raw[raw.columns[2]]})
    config = {
        "client": {"name": "Sudzilla"}, "survey": {"file": "data/responses.csv"},
        "columns": {"respondent_id": "rid", "nps": "nps", "comment": "why"},
        "bases": {"suppress_below": 5, "flag_below": 10},
        "comments": {"code_frame": EVENT_FRAME, **comments},
        "report": {"title": "Event", "date": "2026-10-15", "sections": ["comments", "suggested_themes"]},
    }
    return _write(tmp_path, config, frame)


TOUCHPOINTS = {"Open account": "Join", "Card": "Use", "App": "Use", "Branch": "Help"}
POOLS = {
    "Open account": ["Quick and easy to open, great staff", "Staff were friendly and helpful",
                     "The paperwork was confusing", "Opening took ages and nobody called back",
                     "Parcel with my card arrived damaged", ""],
    "Card": ["My card parcel arrived damaged", "Card works fine", "Card blocked abroad, terrible",
             "Lovely staff, very helpful", "Parcel arrived damaged and late", ""],
    "App": ["The app keeps crashing, awful", "App is slow and crashes", "Great app, easy to use",
            "Login fails every time, useless app", "The app is ok", ""],
    "Branch": ["Long queue at the branch, awful wait", "Staff sorted it quickly, excellent",
               "Branch closed early, very annoying", "Helpful advisor", "", "Queue was terrible"],
}
FRAME = {"App": ["app", "login", "crash", "crashes", "crashing"], "Staff": ["staff", "helpful", "advisor"],
         "Waiting": ["queue", "wait", "ages"]}


def _journey_frame(n: int = 480, seed: int = 16) -> pd.DataFrame:
    rng = random.Random(seed)
    rows = []
    names = list(TOUCHPOINTS)
    for i in range(n):
        tp = names[i % len(names)]
        stage = TOUCHPOINTS[tp] if i % 11 else "Use"          # a few respondents name another stage
        rows.append({"rid": f"R{i:04d}", "date": f"2026-{1 + i % 6:02d}-{1 + i % 27:02d}", "tp": tp, "stage": stage,
                     "nps": rng.randint(0, 10), "w": rng.choice([0.5, 1.0, 1.5, 2.0]),
                     "comment": rng.choice(POOLS[tp])})
    return pd.DataFrame(rows)


def _journey_project(tmp_path: Path, *, journey: dict | None = None, comments: dict | None = None,
                     report: dict | None = None, frame: pd.DataFrame | None = None) -> Path:
    config = {
        "client": {"name": "Tone Bank"}, "survey": {"file": "data/responses.csv"},
        "columns": {"respondent_id": "rid", "date": "date", "nps": "nps", "comment": "comment", "weight": "w",
                    "segments": {"Stage": "stage", "Touchpoint": "tp"}},
        "bases": {"suppress_below": 20, "flag_below": 60},
        "comments": {"code_frame": FRAME, **(comments or {})},
        "journey": {"stage": "Stage", "touchpoint": "Touchpoint", "kpi": "nps",
                    "stages": ["Join", "Use", "Help"], **(journey or {})},
        # the sections these tests read (a build draws only their charts)
        "report": {"title": "Tone", "date": "2026-10-15", "period": "all",
                   "sections": ["journey", "suggested_themes"], **(report or {})},
    }
    return _write(tmp_path, config, _journey_frame() if frame is None else frame)


def _blank_chart(job, narrow=False):
    from cxreport.present import charts

    return charts.Chart("c", "chart", "chart", b"")


@pytest.fixture
def no_charts(monkeypatch):
    """Builds that only read tables: every chart is a blank stand-in (drawing them is most of a build)."""
    from cxreport.present import charts

    monkeypatch.setattr(charts, "_draw", _blank_chart)


def _build_html(project: Path, out: Path) -> BeautifulSoup:
    result = CliRunner().invoke(cli, ["build", str(project), "-o", str(out), "--format", "html"])
    assert result.exit_code == 0, result.output
    return BeautifulSoup((out / "report.html").read_text(encoding="utf-8"), "html.parser")


def _num(text: str) -> float:
    text = text.replace("−", "-").replace("%", "").replace("*", "").replace("▲", "").replace("▼", "").strip()
    return float(text.replace(",", ""))


# ------------------------------------------------------------------------------------ suggested themes

def test_event_survey_suggestions_from_the_project_file_to_section_json_and_workbook(tmp_path, no_charts):
    study = run(_event_project(tmp_path, suggestions={"min_comments": 2, "max": 6, "examples": 2}))
    s = study.suggestions
    from cxreport.scoring.suggest import ThemeSuggestions

    assert isinstance(s.suggestions, ThemeSuggestions)           # the attribute the emerging phrases read
    raw = pd.read_csv(EVENT)[pd.read_csv(EVENT).columns[2]]
    texts = [t for t in raw if isinstance(t, str) and t.strip()]
    keywords = re.compile(r"\b(" + "|".join(w for ws in EVENT_FRAME.values() for w in ws) + r")\b", re.I)
    uncoded = [t for t in texts if not keywords.search(t)]
    data = scores_dict(study)["suggested_themes"]
    assert (data["comments"], data["uncoded"], data["coded"]) == (len(texts), len(uncoded), len(texts) - len(uncoded))
    assert data["min_comments"] == 2 and data["max"] == 6 and len(data["themes"]) == 6
    assert data["uncoded_pct"] == pytest.approx(100 * len(uncoded) / len(texts))
    phrases = {p["phrase"]: (t, p) for t in data["themes"] for p in t["phrases"]}
    enough = [t for t in uncoded if re.search(r"\benough\b", t, re.I)]     # counted independently
    theme, phrase = phrases["enough"]
    assert phrase["comments"] == len(enough) == 4
    assert phrase["share_pct"] == pytest.approx(100 * 4 / len(uncoded))
    assert 1 <= len(theme["examples"]) <= 2 and all("enough" in e.lower() for e in theme["examples"][:1])
    for word in ("the", "was", "not", "keynote", "talks"):              # stop words, a negation alone, frame words
        assert word not in phrases
    # the appendix shows the same suggestions, in the same order, with the same counts
    soup = _build_html(tmp_path / "cxreport.yaml", tmp_path / "out")
    section = soup.find("section", id="suggested_themes")
    assert section is not None
    rows = section.find("table", class_="suggested-themes").find("tbody").find_all("tr")
    assert [r.th.get_text(strip=True) for r in rows] == [t["label"] for t in data["themes"]]
    assert [int(_num(r.find_all("td")[1].get_text())) for r in rows] == [t["comments"] for t in data["themes"]]
    intro = section.find("p").get_text(" ", strip=True)
    assert f"Of the {len(texts)} comments" in intro and f"{len(uncoded)} (" in intro
    # the workbook's sheet: one row per phrase, the suggestion's counts on its first row
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(__import__("cxreport.present.workbook", fromlist=["x"]).build_workbook(study)))
    ws = wb["Suggested themes"]
    values = list(ws.iter_rows(min_row=2, values_only=True))
    leads = [v for v in values if v[1]]
    assert [(v[1], v[2]) for v in leads] == [(t["label"], t["comments"]) for t in data["themes"]]
    assert sum(1 for v in values if v[5]) == sum(len(t["phrases"]) for t in data["themes"])


def test_stop_words_user_words_and_max_zero(tmp_path, no_charts):
    (tmp_path / "a").mkdir()
    stopped = scores_dict(run(_event_project(tmp_path / "a", suggestions={"min_comments": 2},
                                             stop_words=["enough", "Bubbly"])))["suggested_themes"]
    words = {w for t in stopped["themes"] for p in t["phrases"] for w in p["phrase"].lower().split()}
    assert "enough" not in words and "bubbly" not in words and stopped["stop_words"] == ["enough", "Bubbly"]
    # a user word is kept whole (a two-word name is one word) and never a stop word
    (tmp_path / "b").mkdir()
    kept = scores_dict(run(_event_project(tmp_path / "b", suggestions={"min_comments": 2},
                                          user_words=["not enough"], stop_words=["not enough"])))
    phrases = {p["phrase"] for t in kept["suggested_themes"]["themes"] for p in t["phrases"]}
    assert "not enough" in phrases
    # max 0: no suggestions anywhere, and the appendix is left out
    (tmp_path / "c").mkdir()
    project = _event_project(tmp_path / "c", suggestions={"max": 0})
    study = run(project)
    assert study.suggestions is None and scores_dict(study)["suggested_themes"] is None
    soup = _build_html(project, tmp_path / "c" / "out")
    assert soup.find("section", id="suggested_themes") is None
    from cxreport.present.workbook import build_workbook
    from openpyxl import load_workbook

    assert "Suggested themes" not in load_workbook(io.BytesIO(build_workbook(study))).sheetnames


def test_the_examples_are_masked_with_the_projects_names(tmp_path):
    texts = ["Parcel arrived damaged, Jane Smith saw it", "Parcel damaged again, write to jane@example.com",
             "Parcel damaged, call 07700 900123", "Great staff", "Staff were rude"] * 8
    frame = pd.DataFrame({"rid": [f"M{i:03d}" for i in range(len(texts))], "nps": [i % 11 for i in range(len(texts))],
                          "why": texts})
    config = {"client": {"name": "Mask"}, "survey": {"file": "data/responses.csv"},
              "columns": {"respondent_id": "rid", "nps": "nps", "comment": "why"},
              "comments": {"code_frame": {"Staff": ["staff"]}, "mask_names": ["Jane Smith"],
                           "suggestions": {"examples": 5}},
              "report": {"title": "Mask", "date": "2026-10-15"}}
    data = scores_dict(run(_write(tmp_path, config, frame)))["suggested_themes"]
    examples = [e for t in data["themes"] for e in t["examples"]]
    assert len(examples) >= 3 and all("damaged" in e for e in examples)
    for raw in ("Jane Smith", "jane@example.com", "07700 900123"):
        assert not any(raw in e for e in examples)


def test_an_empty_user_or_stop_word_is_an_error_naming_its_key(tmp_path):
    with pytest.raises(ConfigError, match=r"comments\.stop_words\[1\]: an empty word"):
        run(_event_project(tmp_path, stop_words=["fine", "  "]))


def test_the_appendix_is_switched_off_by_report_sections(tmp_path, no_charts):
    project = _journey_project(tmp_path, comments={"suggestions": {"min_comments": 5}},
                               report={"sections": ["journey", "comments"]})
    study = run(project)
    assert study.suggestions is not None and study.suggestions.themes       # computed, JSON carries it
    soup = _build_html(project, tmp_path / "out")
    assert soup.find("section", id="suggested_themes") is None and soup.find("section", id="journey") is not None


CHINESE = ["次日达真的做到了，很方便", "次日达很快，点赞", "送来的鸡蛋碎了好几个，包装太随便", "鸡蛋碎了，包装太随便了",
           "自提柜很方便", "店员态度很好", "价格太贵了", "线上买的不能在门店退，太不方便"]


def test_chinese_suggestions_keep_the_user_words_whole(tmp_path):
    rng = random.Random(3)
    frame = pd.DataFrame({"rid": [f"Z{i:03d}" for i in range(120)], "nps": [rng.randint(0, 10) for _ in range(120)],
                          "why": [CHINESE[i % len(CHINESE)] for i in range(120)]})
    base = {"client": {"name": "华悦"}, "survey": {"file": "data/responses.csv"}, "language": "zh-CN",
            "columns": {"respondent_id": "rid", "nps": "nps", "comment": "why"},
            "comments": {"code_frame": {"店员服务": {"zh": ["店员", "态度"]}, "价格": {"zh": ["价格", "贵"]}},
                         "suggestions": {"min_comments": 5}},
            "report": {"title": "评论", "date": "2026-10-15"}}
    (tmp_path / "a").mkdir()
    plain = scores_dict(run(_write(tmp_path / "a", base, frame)))["suggested_themes"]
    (tmp_path / "b").mkdir()
    with_words = dict(base, comments={**base["comments"], "user_words": ["次日达"]})
    named = scores_dict(run(_write(tmp_path / "b", with_words, frame)))["suggested_themes"]
    assert plain["segmenter"].startswith("rjieba")
    # 次日达 ("next-day delivery"): one word with the user dictionary; without it the segmenter splits it into
    # 次日 + 达, and those pieces come up as phrases of their own
    def words(block):
        return {p["phrase"] for t in block["themes"] for p in t["phrases"]}
    assert {"次日", "达"} <= words(plain)
    assert "次日达" in words(named) and not {"次日", "达"} & words(named)
    next_day = sum("次日达" in t for t in frame["why"])
    assert next((p for t in named["themes"] for p in t["phrases"] if p["phrase"] == "次日达"))["comments"] == next_day
    # real words: the broken eggs (鸡蛋 碎) surface; filler (很, 了, 的) and the coded 店员 never do
    assert any("鸡蛋" in w for w in words(named))
    assert not words(named) & {"很", "了", "的", "店员", "太"}


# ------------------------------------------------------------------------------------------- emotion

def _independent(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """Per group of ``key``: comments, weighted % positive / negative, net tone and mean sentiment,
    from the raw file (VADER scores recomputed here, English thresholds ±0.05)."""
    c = frame[frame["comment"].fillna("").str.len() > 0].copy()
    c["x"] = sentiment_scores(c["comment"].tolist())
    c["pos"] = (c["x"] >= 0.05).astype(float)
    c["neg"] = (c["x"] <= -0.05).astype(float)
    g = c.assign(wx=c.w * c.x, wpos=c.w * c.pos, wneg=c.w * c.neg).groupby(key)
    out = pd.DataFrame({"n": g.size(), "sw": g.w.sum(), "mean": g.wx.sum() / g.w.sum(),
                        "positive": 100 * g.wpos.sum() / g.w.sum(), "negative": 100 * g.wneg.sum() / g.w.sum()})
    out["net"] = out.positive - out.negative
    return out


def test_emotion_by_touchpoint_and_stage_equals_an_independent_calculation(tmp_path):
    frame = _journey_frame()
    study = run(_journey_project(tmp_path, frame=frame))
    e = study.emotion
    assert e is not None and e.weighted
    expected = _independent(frame, "tp")
    assert [g.group for g in e.touchpoints.groups] == [t.name for t in study.journey.touchpoints]
    for g in e.touchpoints.groups:
        row = expected.loc[g.group]
        assert g.n == row.n and g.stage == TOUCHPOINTS[g.group]
        assert g.net.value == pytest.approx(row.net, abs=1e-9)
        assert g.mean.value == pytest.approx(row["mean"], abs=1e-9)
        assert g.negative.value == pytest.approx(row.negative, abs=1e-9)
    by_stage = _independent(frame, "stage")
    assert [g.group for g in e.stages.groups] == ["Join", "Use", "Help"]
    for g in e.stages.groups:
        assert (g.n, round(g.net.value, 9)) == (by_stage.loc[g.group].n, round(by_stage.loc[g.group].net, 9))
    # the App's negative comments are about the app
    app = next(g for g in e.touchpoints.groups if g.group == "App")
    assert app.top_negative_theme.theme == "App"
    # against the rest: the difference of the weighted shares, and the table's p-values adjusted together
    # (Benjamini–Hochberg over every touchpoint's three tests), marked where the adjusted p ≤ α
    from scipy.stats import false_discovery_control

    total = _independent(frame.assign(all="all"), "all").loc["all"]
    tests = []
    for g in e.touchpoints.groups:
        row = expected.loc[g.group]
        rest_neg = (total.negative * total.sw - row.negative * row.sw) / (total.sw - row.sw)
        assert g.vs_rest["negative"].diff == pytest.approx(row.negative - rest_neg, abs=1e-9)
        tests += list(g.vs_rest.values())
    assert len(tests) == 3 * len(e.touchpoints.groups)
    adjusted = false_discovery_control([t.p_value for t in tests], method="bh")
    assert [t.p_adjusted for t in tests] == pytest.approx(list(adjusted), abs=1e-12)
    assert [t.mark for t in tests] == [int(np.sign(t.diff)) if p <= 0.05 else 0 for t, p in zip(tests, adjusted)]
    assert any(t.mark for t in tests)
    # JSON carries the same figures
    data = scores_dict(study)["emotion"]
    assert data["weighted"] is True and data["adjust"] == "bh"
    for g, j in zip(e.touchpoints.groups, data["touchpoints"]):
        assert (j["label"], j["n"], j["stage"]) == (g.group, g.n, g.stage)
        assert j["net_tone"] == pytest.approx(expected.loc[g.group].net, abs=1e-3)
    assert data["total"]["n"] == int(expected.n.sum()) == data["linked"]


def test_emotion_html_json_and_workbook_agree(tmp_path):
    project = _journey_project(tmp_path)
    study = run(project)
    data = scores_dict(study)["emotion"]
    soup = _build_html(project, tmp_path / "out")
    section = soup.find("section", id="journey")
    tables = section.find_all("table", class_="tone")
    assert len(tables) == 2
    rows = tables[0].find("tbody").find_all("tr")
    by_label = {r.th.get_text(strip=True): r for r in rows}
    for j in data["touchpoints"]:
        cells = by_label[j["label"]].find_all("td")
        assert int(_num(cells[1].get_text())) == j["n"]
        assert _num(cells[2].get_text()) == round(j["net_tone"])
        assert _num(cells[3].get_text()) == pytest.approx(round(j["mean_sentiment"], 2))
        assert ("▲" in cells[5].get_text()) == (j["vs_rest"].get("negative", {}).get("mark") == 1)
        theme = j["top_negative_theme"]
        assert (theme["theme"] in cells[6].get_text()) if theme else cells[6].get_text(strip=True) == "—"
    # the tone is a neutral mark, never the status colours of the ▲ ▼ of targets
    assert not tables[0].find("span", class_="sig")
    stage_rows = tables[1].find("tbody").find_all("tr")
    assert [r.th.get_text(strip=True) for r in stage_rows] == [s["label"] for s in data["stages"]]
    # the net tone chart, drawn for real here: its alt text lists every touchpoint's net tone as printed
    alt = next(img["alt"] for img in section.find_all("img") if img.get("alt", "").startswith("Tone of the comments"))
    for j in data["touchpoints"]:
        assert f"{j['label']} {'+' if round(j['net_tone']) > 0 else ''}{round(j['net_tone'])}".replace("-", "−") in alt
    text = section.get_text(" ", strip=True)
    assert "Tone of the comments by touchpoint" in text and f"({data['linked']} of {data['comments']} comments)" in text
    # the workbook's journey sheet has the same net tone beside each touchpoint
    from cxreport.present.workbook import build_workbook
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(build_workbook(study)))["Journey"]
    header = [c.value for c in ws[1]]
    net = header.index("Net tone")
    sheet = {r[1]: r for r in ws.iter_rows(min_row=2, values_only=True) if r[1]}
    for j in data["touchpoints"]:
        assert sheet[j["label"]][net] == pytest.approx(j["net_tone"], abs=1e-3)
        assert sheet[j["label"]][header.index("Comments")] == j["n"]


def test_no_emotion_when_turned_off_or_without_touchpoint_segments(tmp_path, no_charts):
    (tmp_path / "a").mkdir()
    project = _journey_project(tmp_path / "a", journey={"emotion": False})
    study = run(project)
    assert study.emotion is None and scores_dict(study)["emotion"] is None
    assert study.journey is not None
    soup = _build_html(project, tmp_path / "a" / "out")
    assert soup.find("section", id="journey") is not None and not soup.find("table", class_="tone")
    # the touchpoints: form rates attributes; no comment is linked to a touchpoint
    frame = _journey_frame().assign(a1=lambda f: 1 + np.arange(len(f)) % 5, a2=lambda f: 1 + np.arange(len(f)) % 4)
    (tmp_path / "b").mkdir()
    config = yaml.safe_load(_journey_project(tmp_path / "b", frame=frame).read_text(encoding="utf-8"))
    config["columns"]["attributes"] = {"Speed": "a1", "Staff": "a2"}
    config["journey"] = {"touchpoints": {"Join": ["Speed"], "Use": ["Staff"]}}
    study = run(_write(tmp_path / "b", config, frame))
    assert study.journey is not None and study.emotion is None
    # without comments
    (tmp_path / "c").mkdir()
    config = yaml.safe_load(_journey_project(tmp_path / "c").read_text(encoding="utf-8"))
    config.pop("comments")
    study = run(_write(tmp_path / "c", config, _journey_frame()))
    assert study.emotion is None and study.suggestions is None
