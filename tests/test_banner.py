"""Banner tables (docs/banners.md): column-letter pairwise tests against an independent
calculation (scipy), the project's multiple-comparison adjustment, suppressed cells never
tested, bases that add up, every config error a clear one-line message, and the HTML
appendix, the workbook sheet and the scores JSON agreeing with each other and with the
segment tables."""

from __future__ import annotations

import itertools
import json
import math
import random
from pathlib import Path

import numpy as np
import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from scipy import stats as sps

from cxreport.cli import cli
from cxreport.pipeline import run
from cxreport.present.formatting import figure
from cxreport.scoring.banner import study_banners

from conftest import csv_text, write_project

HEADER = ["resp_id", "response_date", "region", "channel", "q_nps", "q_csat", "a_staff", "tier"]

#: Region sizes: a "Tiny" group below bases.suppress_below (20), a "Small" one below flag_below (40),
#: and 25 blanks ("Not stated").
SIZES = {"North": 220, "South": 200, "East": 160, "West": 150, "Small": 30, "Tiny": 12, "": 25}
#: Chance of a promoter / detractor, of a top-2 CSAT, and the mean staff rating shift, by region.
LEAN = {"North": 0.10, "South": -0.12, "East": 0.02, "West": -0.03, "Small": 0.0, "Tiny": 0.3, "": 0.0}


def rows(seed: int = 11) -> list[list]:
    rng = random.Random(seed)
    out = []
    i = 0
    for region, n in SIZES.items():
        lean = LEAN[region]
        for _ in range(n):
            u = rng.random()
            nps = rng.randint(9, 10) if u < 0.40 + lean else (rng.randint(7, 8) if u < 0.75 + lean / 2 else
                                                               rng.randint(0, 6))
            csat = 5 if rng.random() < 0.35 + lean else rng.randint(1, 4)
            staff = min(5, max(1, round(rng.gauss(3.4 + 2 * lean, 1.0))))
            out.append([f"R{i:05d}", f"2026-0{1 + i % 3}-{1 + i % 27:02d}", region,
                        rng.choice(["App", "Branch", "Phone"]), nps, csat, staff,
                        f"T{i % 27:02d}"])
            i += 1
    return out


def project(folder: Path, **overrides) -> Path:
    settings = {
        "columns": {"respondent_id": "resp_id", "date": "response_date", "nps": "q_nps",
                    "csat": {"column": "q_csat", "scale": 5}, "comment": None,
                    "attributes": {"Staff": {"column": "a_staff", "scale": "1-5"}},
                    "segments": {"Region": "region", "Channel": "channel", "Tier": "tier"},
                    "segment_order": {"Region": ["North", "South", "East", "West", "Small", "Tiny"]}},
        "bases": {"suppress_below": 20, "flag_below": 40},
        "report": {"title": "Banner test", "period": "all"},
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(settings.get(key), dict):
            settings[key] = {**settings[key], **value}
        else:
            settings[key] = value
    return write_project(folder, csv_text(rows(), HEADER), **settings)


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


# --------------------------------------------------------------------------- independent calculation


def _groups():
    data = rows()
    by: dict[str, list[list]] = {}
    for r in data:
        by.setdefault(r[2] or "Not stated", []).append(r)
    return by


def _independent_tests(adjust: str) -> dict[tuple[str, str, str], tuple[float, float]]:
    """(item, group a, group b) → (raw p, adjusted p) for every pair of tested Region groups,
    computed from the rows with scipy (not with cxreport.scoring)."""
    by = _groups()
    tested = [g for g in ("North", "South", "East", "West", "Small")]      # Tiny suppressed, Not stated untested
    raw = {}
    for a, b in itertools.combinations(tested, 2):
        xa = np.array([r[4] for r in by[a]], float)
        xb = np.array([r[4] for r in by[b]], float)
        def nps(x):
            p, d = np.mean(x >= 9), np.mean(x <= 6)
            return 100 * (p - d), 100 * math.sqrt((p + d - (p - d) ** 2) / len(x))
        (va, sa), (vb, sb) = nps(xa), nps(xb)
        z = (va - vb) / math.hypot(sa, sb)
        raw[("nps", a, b)] = 2 * sps.norm.sf(abs(z))
        ca = np.array([r[5] for r in by[a]], float) >= 4
        cb = np.array([r[5] for r in by[b]], float) >= 4
        pooled = (ca.sum() + cb.sum()) / (len(ca) + len(cb))
        z = (ca.mean() - cb.mean()) / math.sqrt(pooled * (1 - pooled) * (1 / len(ca) + 1 / len(cb)))
        raw[("csat", a, b)] = 2 * sps.norm.sf(abs(z))
        ta = np.array([r[6] for r in by[a]], float)
        tb = np.array([r[6] for r in by[b]], float)
        raw[("attr:Staff", a, b)] = sps.ttest_ind(ta, tb, equal_var=False).pvalue
    keys = list(raw)
    p = np.array([raw[k] for k in keys])
    if adjust == "bh":
        adj = sps.false_discovery_control(p, method="bh")
    elif adjust == "bonferroni":
        adj = np.minimum(1, p * len(p))
    else:
        adj = p
    return {k: (float(raw[k]), float(a)) for k, a in zip(keys, adj)}


def _letters_expected(adjust: str, alpha: float = 0.05) -> dict[tuple[str, str], str]:
    """(item, group) → letters it should show, from the independent tests and the group means."""
    by = _groups()
    letter = {"North": "A", "South": "B", "East": "C", "West": "D", "Small": "E", "Tiny": "F"}
    def headline(item, g):
        col = {"nps": 4, "csat": 5, "attr:Staff": 6}[item]
        x = np.array([r[col] for r in by[g]], float)
        if item == "nps":
            return np.mean(x >= 9) - np.mean(x <= 6)
        return np.mean(x >= 4) if item == "csat" else x.mean()
    out: dict[tuple[str, str], list[str]] = {}
    for (item, a, b), (_raw, adj) in _independent_tests(adjust).items():
        if adj <= alpha:
            hi, lo = (a, b) if headline(item, a) > headline(item, b) else (b, a)
            out.setdefault((item, hi), []).append(letter[lo])
    return {k: "".join(sorted(v)) for k, v in out.items()}


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    path = project(tmp_path_factory.mktemp("banner") / "p", banners={"segments": ["Region"]})
    return run(path)


def _region(study):
    tables = study_banners(study)
    assert tables is not None
    return tables.banners[0]


def test_order_and_letters_of_columns(study):
    b = _region(study)
    assert [c.label for c in b.columns] == ["North", "South", "East", "West", "Small", "Tiny", "Not stated"]
    assert [c.letter for c in b.columns] == ["A", "B", "C", "D", "E", "F", None]


@pytest.mark.parametrize("adjust", ["bh", "bonferroni", "none"])
def test_pairwise_letters_match_scipy(tmp_path, adjust):
    s = run(project(tmp_path / adjust, banners={"segments": ["Region"]}, significance={"adjust": adjust}))
    b = study_banners(s).banners[0]
    label = {i: c.label for i, c in enumerate(b.columns)}
    expected = _independent_tests(adjust)
    got = {(t.item, label[t.a], label[t.b]): (t.p_value, t.p_adjusted) for t in b.tests}
    assert set(got) == set(expected)
    for key, (raw, adj) in expected.items():
        assert got[key][0] == pytest.approx(raw, rel=1e-6, abs=1e-12), key
        assert got[key][1] == pytest.approx(adj, rel=1e-6, abs=1e-12), key
    letters = _letters_expected(adjust)
    for row in b.rows:
        for i, c in enumerate(b.columns):
            assert row.letters[i] == letters.get((row.key, c.label), ""), (adjust, row.key, c.label)


def test_adjustment_changes_the_marks():
    """The fixture has comparisons significant on their own that BH (and more so Bonferroni)
    does not mark: the adjustment is really applied."""
    none = _letters_expected("none")
    bh = _letters_expected("bh")
    bonf = _letters_expected("bonferroni")
    count = lambda d: sum(len(v) for v in d.values())  # noqa: E731
    assert count(none) > count(bh) >= count(bonf) > 0


def test_suppressed_and_not_stated_columns_are_never_tested(study):
    b = _region(study)
    tiny = next(i for i, c in enumerate(b.columns) if c.label == "Tiny")
    blank = next(i for i, c in enumerate(b.columns) if c.label == "Not stated")
    assert all(tiny not in (t.a, t.b) and blank not in (t.a, t.b) for t in b.tests)
    for row in b.rows:
        assert row.cells[tiny].headline.base == "suppressed"
        assert row.letters[tiny] == "" and row.letters[blank] == ""
        assert not any("F" in letters for letters in row.letters)
    # 5 tested groups → 10 pairs per row, 3 rows
    assert b.n_tests == 30


def test_column_bases_add_up_to_the_total(study):
    b = _region(study)
    assert sum(c.base for c in b.columns) == b.total_base == sum(SIZES.values())
    for row in b.rows:
        assert sum(c.n for c in row.cells) == row.total.n


def test_figures_equal_the_segment_tables(study):
    b = _region(study)
    seg = next(s for s in study.results.segments if s.name == "Region")
    for row in b.rows:
        assert row.total is study.results.overall[row.key]
        for cell, group in zip(row.cells, seg.groups):
            assert cell.headline.value == group.items[row.key].headline.value or (
                math.isnan(cell.headline.value) and math.isnan(group.items[row.key].headline.value))


def test_side_by_side_letters_stay_within_their_segment(tmp_path):
    s = run(project(tmp_path / "p", banners={"segments": [["Region", "Channel"]], "items": ["nps", "Staff"]}))
    b = study_banners(s).banners[0]
    assert b.segments == ["Region", "Channel"]
    assert [r.key for r in b.rows] == ["nps", "attr:Staff"]
    letters = {seg: {c.letter for c in b.columns if c.segment == seg} for seg in b.segments}
    assert [c.letter for c in b.columns if c.segment == "Channel"] == ["G", "H", "I"]
    for t in b.tests:
        assert b.columns[t.a].segment == b.columns[t.b].segment
    for row in b.rows:
        for i, c in enumerate(b.columns):
            assert set(row.letters[i]) <= letters[c.segment]


def test_default_banners_skip_segments_with_too_many_groups(tmp_path):
    s = run(project(tmp_path / "p"))
    names = [b.name for b in study_banners(s).banners]
    assert names == ["Region", "Channel"]          # Tier has 27 groups > max_groups 12
    s = run(project(tmp_path / "q", banners={"max_groups": 3}))
    assert [b.name for b in study_banners(s).banners] == ["Channel"]


def test_banners_false_turns_everything_off(tmp_path):
    path = project(tmp_path / "p", banners=False)
    assert study_banners(run(path)) is None
    out = tmp_path / "out"
    result = invoke("build", path, "-o", out, "--format", "html,xlsx")
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "table class=\"banner\"" not in html
    from openpyxl import load_workbook

    assert "Banner tables" not in load_workbook(out / "report.xlsx").sheetnames
    result = invoke("score", path, "--format", "json")
    assert json.loads(result.stdout)["banners"] is None


# --------------------------------------------------------------------------- config errors


@pytest.mark.parametrize("banners, needle", [
    ({"segments": ["Regoin"]}, "banners.segments.0: no segment 'Regoin' in columns.segments (did you mean 'Region'?)"),
    ({"segments": [["Region", "Region"]]}, "banners.segments.0: a segment is listed twice"),
    ({"segments": [[]]}, "banners.segments.0: an empty list"),
    ({"items": ["nps", "Stuff"]}, "banners.items.1: no item 'Stuff'"),
    ({"items": ["ces"]}, "banners.items.0: 'ces': columns.ces is not mapped"),
    ({"items": ["nps", "attr:Staff", "Staff"]}, "banners.items.2: 'Staff' is listed twice"),
    ({"items": []}, "banners.items: an empty list"),
    ({"columns_per_table": 2}, "banners.columns_per_table"),
    ({"colour": "red"}, "banners.colour"),
])
@pytest.mark.parametrize("command", ["validate", "score", "build"])
def test_config_errors_are_one_line(tmp_path, banners, needle, command):
    path = project(tmp_path / "p", banners=banners)
    args = [command, path] + (["-o", tmp_path / "out"] if command == "build" else [])
    result = invoke(*args)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert needle in result.output


def test_multi_punch_segment_is_refused(tmp_path):
    path = project(tmp_path / "p", banners={"segments": ["Reasons"]})
    text = path.read_text(encoding="utf-8").replace(
        "  segments:\n", "  multi_punch:\n    Reasons: {column: channel, codes: {1: App}}\n  segments:\n", 1)
    path.write_text(text, encoding="utf-8")
    result = invoke("validate", path)
    assert result.exit_code == 1
    assert "banners.segments.0: 'Reasons' is a multi-punch question" in result.output


@pytest.mark.parametrize("command", ["validate", "score", "build"])
def test_more_than_26_groups_is_a_clear_error(tmp_path, command):
    path = project(tmp_path / "p", banners={"segments": ["Tier"]},
                   bases={"suppress_below": 5, "flag_below": 10})
    args = {"validate": ["validate", path], "score": ["score", path, "--format", "json"],
            "build": ["build", path, "-o", tmp_path / "out", "--format", "xlsx"]}[command]
    result = invoke(*args)
    assert result.exit_code == 1
    assert "banners.segments[0]: Tier has 27 groups; a banner's columns are lettered A–Z" in result.output
    assert "Traceback" not in result.output


# --------------------------------------------------------------------------- outputs agree


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("banner-build")
    path = project(folder / "p", banners={"segments": ["Region", ["Channel"]], "columns_per_table": 5})
    out = folder / "out"
    result = invoke("build", path, "-o", out, "--format", "html,xlsx")
    assert result.exit_code == 0, result.output
    scored = invoke("score", path, "--format", "json")
    assert scored.exit_code == 0, scored.output
    return out, json.loads(scored.stdout)


def _html_tables(out: Path) -> list:
    soup = BeautifulSoup((out / "report.html").read_text(encoding="utf-8"), "html.parser")
    return soup.select("table.banner")


def test_wide_banner_is_split_with_row_labels_repeated(built):
    out, scores = built
    tables = _html_tables(out)
    region = [t for t in tables if t["data-banner"] == "Region"]
    # 7 Region columns, at most 5 columns a table (Total + 4 groups): two tables of 4 and 3 groups
    assert len(region) == 2
    seen = []
    for t in region:
        heads = t.select("tr.banner-groups th")
        assert 1 + len(heads) <= 5
        seen += [h.contents[0].strip() for h in heads]
        assert [th.contents[0].strip() for th in t.select("tbody th[scope=row]")] == ["NPS", "CSAT", "Staff"]
        assert t.select("thead th.banner-total")
        # the table scrolls in its own wrapper on a phone: the wrapper is directly before <table
        assert t.parent.name == "div" and "table-wrap" in t.parent["class"] and t.parent.contents[0] is t
    assert seen == ["North", "South", "East", "West", "Small", "Tiny", "Not stated"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count('<div class="table-wrap"><table class="banner"') == len(tables)


def test_html_json_and_workbook_agree(built):
    out, scores = built
    block = scores["banners"]
    assert block["adjust"] == "bh" and block["alpha"] == 0.05
    assert [t["name"] for t in block["tables"]] == ["Region", "Channel"]
    tables = _html_tables(out)
    from openpyxl import load_workbook

    ws = load_workbook(out / "report.xlsx")["Banner tables"]
    sheet = [[c.value for c in row] for row in ws.iter_rows()]
    for banner in block["tables"]:
        parts = [t for t in tables if t["data-banner"] == banner["name"]]
        html_cells = {}
        for t in parts:
            labels = [h.contents[0].strip() for h in t.select("tr.banner-groups th")]
            for tr in t.select("tbody tr"):
                tds = tr.find_all("td")[1:]
                for label, td in zip(labels, tds):
                    shown = td.select_one("span.letters")
                    assert (shown.get_text() if shown else "") == td["data-letters"]
                    for extra in td.select("span.letters, span.bn"):
                        extra.extract()
                    html_cells[(tr["data-item"], label)] = (td.get_text().strip(), td["data-letters"])
        start = next(i for i, r in enumerate(sheet) if r[0] == banner["name"])
        head = sheet[start + 1]
        for row in banner["rows"]:
            unit = row["unit"]
            xl = next(r for r in sheet[start:] if r[0] == row["label"])
            for col, cell in zip(banner["columns"], row["cells"]):
                text, letters = html_cells[(row["item"], col["label"])]
                assert letters == cell["letters"]
                k = head.index(col["label"])
                if cell["value"] is None:
                    assert cell["base"] == "suppressed" and text == "—" and xl[k] is None
                else:
                    assert text.endswith("*") == (cell["base"] == "small"), (text, cell)
                    assert text.rstrip("*") == figure(cell["value"], unit)
                    assert xl[k] == pytest.approx(cell["value"])
                assert (xl[k + 1] or "") == cell["letters"]
    small = [c for t in block["tables"] for r in t["rows"] for c in r["cells"] if c["base"] == "small"]
    assert small, "the fixture's Small group (30 respondents) is a small base"
    # The letters explained under every banner, with the adjustment named.
    soup = BeautifulSoup((out / "report.html").read_text(encoding="utf-8"), "html.parser")
    notes = [p.get_text() for p in soup.select("p.note") if "A letter marks" in p.get_text()]
    assert len(notes) == 2 and all("Benjamini–Hochberg" in n for n in notes)


def test_json_letters_agree_with_its_tests(built):
    _out, scores = built
    for banner in scores["banners"]["tables"]:
        letter_of = {c["letter"]: i for i, c in enumerate(banner["columns"]) if c["letter"]}
        expected: dict[tuple[str, int], set[str]] = {}
        for t in banner["tests"]:
            assert t["significant"] == (t["p_adjusted"] <= 0.05)
            if t["significant"]:
                hi, lo = (t["a"], t["b"]) if t["diff"] > 0 else (t["b"], t["a"])
                expected.setdefault((t["item"], letter_of[hi]), set()).add(lo)
        for row in banner["rows"]:
            for i, cell in enumerate(row["cells"]):
                assert set(cell["letters"]) == expected.get((row["item"], i), set())


def test_weighted_nps_letters_use_effective_bases(tmp_path):
    """Weighted data: the NPS pairs are tested on weighted shares with Kish effective n
    (n_eff = (Σw)² / Σw²), computed here from the rows."""
    rng = random.Random(5)
    data = rows()
    weights = [round(rng.uniform(0.4, 2.5), 3) for _ in data]
    path = write_project(tmp_path / "w", csv_text([r + [w] for r, w in zip(data, weights)], HEADER + ["wt"]),
                         columns={"respondent_id": "resp_id", "date": "response_date", "nps": "q_nps",
                                  "weight": "wt", "comment": None, "csat": None,
                                  "segments": {"Region": "region"},
                                  "segment_order": {"Region": ["North", "South", "East", "West", "Small", "Tiny"]}},
                         bases={"suppress_below": 20, "flag_below": 40},
                         report={"title": "Weighted", "period": "all"}, banners={"items": ["nps"]})
    b = study_banners(run(path)).banners[0]
    label = {i: c.label for i, c in enumerate(b.columns)}
    got = {(label[t.a], label[t.b]): t.p_value for t in b.tests}

    def nps(region):
        x = np.array([r[4] for r in data if r[2] == region], float)
        w = np.array([wt for r, wt in zip(data, weights) if r[2] == region])
        p, d = w[x >= 9].sum() / w.sum(), w[x <= 6].sum() / w.sum()
        n_eff = w.sum() ** 2 / (w ** 2).sum()
        return 100 * (p - d), 100 * math.sqrt((p + d - (p - d) ** 2) / n_eff)

    tested = ["North", "South", "East", "West", "Small"]
    assert set(got) == set(itertools.combinations(tested, 2))
    for a, c in itertools.combinations(tested, 2):
        (va, sa), (vc, sc) = nps(a), nps(c)
        assert got[(a, c)] == pytest.approx(2 * sps.norm.sf(abs(va - vc) / math.hypot(sa, sc)), rel=1e-6)
