"""One status rule (docs/methods.md, "Targets"): every status a report shows against a target
is decided from the figure as the report prints it — NPS and percentages to whole numbers,
means to two decimals — green when the shown figure meets the target, amber when it is below
by no more than the tolerance (default 5 % of the headline's scale span), red otherwise; a
per-segment target replaces the overall one for its group.

The rule is re-implemented here, small and on exact decimals, from the project file alone
(targets, tolerances, segment targets, scales) — nothing of cxreport's own judging is
imported — and every status in the sample reports is walked and checked against it: each
``data-status`` element of the client report and of the quarterly review (English and Chinese
samples), the trend chart points and the markers drawn for them, the deck's status cells and
the workbook's status words. A small synthetic project puts figures exactly on the edges
(target − tolerance; 29.6 printed as +30 against a target of 30)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import openpyxl
import pytest
import yaml
from bs4 import BeautifulSoup
from click.testing import CliRunner
from matplotlib.colors import to_hex
from pptx import Presentation

from cxreport.cli import cli

from conftest import csv_text, write_project

REPO = Path(__file__).resolve().parents[1]
SAMPLES = {"en": REPO / "samples" / "harbour-bank" / "cxreport.yaml",
           "zh": REPO / "samples" / "huayue-retail" / "cxreport.yaml"}
REPORTS = [("en", "client"), ("en", "quarterly"), ("zh", "client"), ("zh", "quarterly")]

# --------------------------------------------------------------------------- the rule, restated

#: Decimals a figure is printed with, per unit (docs/methods.md: whole NPS points and percents,
#: means to two decimals).
PRINTED_DECIMALS = {"points": 0, "percent": 0, "mean": 2}
STATUSES = ("green", "amber", "red")
#: Report colours (templates/theme/report.css --green/--amber/--red and their -bg fills).
INK = {"green": "#2e7d32", "amber": "#b26a00", "red": "#c62828"}
FILL = {"green": "E6F2E7", "amber": "FFF3D6", "red": "FBE4E4"}
BADGE_WORDS = {"green": "On target", "amber": "Near target", "red": "Below target"}

#: Fixed words of the report per language, to find the columns (not the statuses: those are
#: read from classes and data attributes, and the words only checked in English).
WORDS = {
    "en": {"period": "Period", "figure": {"Score", "Mean", "Within standard"}, "gap": "Gap"},
    "zh": {"period": "期间", "figure": {"得分", "平均分", "标准内"}, "gap": "差距"},
}


def as_shown(value, unit: str) -> Decimal:
    """``value`` rounded as printed (the digits Python's formatting prints: the exact binary
    value, ties to even)."""
    places = PRINTED_DECIMALS[unit]
    return Decimal(float(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


def rule(shown: Decimal, target: Decimal, tolerance: Decimal) -> str:
    if shown >= target:
        return "green"
    if shown >= target - tolerance:
        return "amber"
    return "red"


def dec(x) -> Decimal:
    return Decimal(str(x))


@dataclass(frozen=True)
class Rule:
    """A KPI's target as the project file states it."""

    key: str
    label: str
    unit: str
    target: Decimal
    tolerance: Decimal
    groups: dict = field(default_factory=dict, hash=False)

    def target_for(self, segment: str | None = None, group: str | None = None) -> Decimal:
        if segment is not None and group in self.groups.get(segment, {}):
            return dec(self.groups[segment][group])
        return self.target

    def status(self, shown: Decimal, segment: str | None = None, group: str | None = None) -> str:
        return rule(shown, self.target_for(segment, group), self.tolerance)


def _rule(key: str, label: str, unit: str, low: float, high: float, cfg) -> Rule:
    cfg = cfg if isinstance(cfg, dict) else {"value": cfg}
    tolerance = cfg.get("tolerance")
    tolerance = dec(tolerance) if tolerance is not None else Decimal("0.05") * (dec(high) - dec(low))
    return Rule(key, label, unit, dec(cfg["value"]), tolerance, cfg.get("segments") or {})


def rulebook(project: Path) -> dict[str, Rule]:
    """KPI label → its rule, read from the project file (not from cxreport)."""
    cfg = yaml.safe_load(project.read_text(encoding="utf-8"))
    columns, targets = cfg["columns"], cfg.get("targets") or {}
    scales = {"nps": ("points", -100, 100), "csat": ("percent", 0, 100), "ces": ("mean", 1, 7)}
    rules = {}
    for key, (unit, low, high) in scales.items():
        if key not in columns or targets.get(key) is None:
            continue
        column = columns[key]
        if isinstance(column, dict):
            assert column.get("headline", "mean") == "mean", "CES index headlines are not restated here"
        label = column.get("label", key.upper()) if isinstance(column, dict) else key.upper()
        rules[label] = _rule(key, label, unit, low, high, targets[key])
    for name, target in (targets.get("attributes") or {}).items():
        low, high = (float(x) for x in str(columns["attributes"][name].get("scale", "1-5")).split("-"))
        rules[name] = _rule(f"attr:{name}", name, "mean", low, high, target)
    cases = cfg.get("cases") or {}
    if cases.get("target") is not None:      # the case log's share answered within the standard
        rules[CASES] = Rule("cases", CASES, "percent", dec(cases["target"]), dec(cases.get("tolerance", 5.0)))
    return rules


#: The rule of the response-time compliance figures (a channel's share answered within its standard).
CASES = "cases within the standard"
CASE_WORD = {"en": "Within standard", "zh": "标准内"}


def segment_names(project: Path) -> set[str]:
    return set(yaml.safe_load(project.read_text(encoding="utf-8"))["columns"].get("segments") or {})


NUMBER = re.compile(r"[+-]?\d[\d,]*(?:\.\d+)?")


def printed(text: str) -> Decimal:
    """The first figure in a cell's text: '+28 ▲' → 28, '−13' → -13, '74%' → 74, '5.30' → 5.30."""
    match = NUMBER.search(text.replace("\u2212", "-"))
    assert match, f"no figure in {text!r}"
    return Decimal(match.group().replace(",", ""))


def printed_all(text: str) -> list[Decimal]:
    return [Decimal(m.replace(",", "")) for m in NUMBER.findall(text.replace("\u2212", "-"))]


def decimals(number: Decimal) -> int:
    return max(0, -number.as_tuple().exponent)


# --------------------------------------------------------------------------- builds


def cli_build(project: Path, out: Path, report: str = "client") -> Path:
    args = ["build", str(project), "-o", str(out), "--format", "html,xlsx,pptx"]
    if report == "quarterly":
        args += ["--report", "quarterly"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return out


def output(folder: Path, report: str, ext: str) -> Path:
    path = folder / (("report-quarterly" if report == "quarterly" else "report") + "." + ext)
    assert path.is_file(), path
    return path


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """(language, report) → output folder; each sample report built once, when first asked for."""
    done: dict[tuple[str, str], Path] = {}

    def get(lang: str, report: str) -> Path:
        if (lang, report) not in done:
            done[lang, report] = cli_build(SAMPLES[lang], tmp_path_factory.mktemp(f"{lang}-{report}"), report)
        return done[lang, report]

    return get


@pytest.fixture(scope="module")
def studies():
    """(language, report) → the scored sample (cxreport.pipeline.run) with that report's
    window, scored once."""
    from cxreport import build, i18n
    from cxreport.config import load_project
    from cxreport.pipeline import run

    done = {}

    def get(lang: str, report: str = "client"):
        if (lang, report) not in done:
            project = load_project(SAMPLES[lang])
            window_for = getattr(build, "window_for", None)     # the quarterly review's own window
            if window_for is not None:
                project = window_for(project, report)
            with i18n.use_language(project.language):
                done[lang, report] = run(project)
        return done[lang, report]

    return get


def soup_of(folder: Path, report: str) -> BeautifulSoup:
    return BeautifulSoup(output(folder, report, "html").read_text(encoding="utf-8"), "html.parser")


# --------------------------------------------------------------------------- walking the HTML


@dataclass
class Found:
    where: str            # what and where, for messages
    kind: str             # badge | cell
    kpi: str
    segment: str | None   # the segment whose target applies (None: the overall target)
    group: str | None
    period: str | None    # a trend table's period
    status: str
    value: Decimal        # data-value as shown
    shown: Decimal        # the figure printed for it
    element: object


def _cells(tr) -> list:
    return tr.find_all(["th", "td"], recursive=False)


def _headers(table) -> list[str]:
    return [th.get_text(" ", strip=True) for th in table.select("thead th")]


def walk_statuses(soup: BeautifulSoup, lang: str, rules: dict[str, Rule], segments: set[str]) -> list[Found]:
    """Every element with a data-status, located (KPI, segment, group) and checked against the
    rule; returns what it found. Assertion messages name the element."""
    found = []
    for el in soup.select("[data-status]"):
        status = el["data-status"]
        for attr in ("data-value", "data-target", "data-tolerance", "data-unit"):
            assert el.get(attr) not in (None, ""), f"{el}: no {attr}"
        segment = group = period = None
        if el.name == "td":
            kind = "cell"
            tr = el.find_parent("tr")
            table = el.find_parent("table")
            cells = _cells(tr)
            kpi = _headers(table)[cells.index(el)]
            caption = table.caption.get_text(" ", strip=True) if table.caption else None
            label = cells[0].get_text(" ", strip=True)
            if caption in segments:
                segment, group = caption, label
            else:
                # The only other table of coloured cells: the headline KPIs by period.
                assert _headers(table)[0] == WORDS[lang]["period"], f"coloured cell in an unknown table: {el}"
                period = label
            figure_text = el.get_text(" ", strip=True)
        else:
            kind = "badge"
            assert el.name == "span" and "status" in el.get("class", []), f"a status on an unexpected element: {el}"
            tr = el.find_parent("tr")
            if tr is not None and el.find_parent("table", class_="rt-compliance") is not None:
                kpi = CASES                  # every channel's compliance against the one target
                heads = _headers(el.find_parent("table"))
                figure_text = _cells(tr)[next(i for i, h in enumerate(heads) if h in WORDS[lang]["figure"])].get_text(
                    " ", strip=True)
            elif tr is not None:
                kpi = next(_cells(tr)[0].stripped_strings)
                heads = _headers(el.find_parent("table"))
                col = next((i for i, h in enumerate(heads) if h in WORDS[lang]["figure"]), 1)
                figure_text = _cells(tr)[col].get_text(" ", strip=True)
            else:
                box = el.find_parent("div", class_="kpi")
                assert box is not None, f"a status badge outside a table row or a KPI box: {el}"
                kpi = box.select_one(".name").get_text(strip=True)
                figure_text = box.select_one(".value").get_text(" ", strip=True)
        where = f"{kind} {kpi!r}" + (f" of {segment}={group!r}" if segment else "") + \
            (f" in period {period!r}" if period else "") + f": {el}"
        assert kpi in rules, f"a status on a KPI without a target in the project file: {where}"
        r = rules[kpi]
        # The data describe the figure against the target that applies, with the rule's tolerance.
        assert el["data-unit"] == r.unit, where
        assert dec(el["data-target"]) == r.target_for(segment, group), f"wrong target: {where}"
        assert abs(dec(el["data-tolerance"]) - r.tolerance) < Decimal("1e-9"), f"wrong tolerance: {where}"
        value = as_shown(el["data-value"], r.unit)
        shown = printed(figure_text)
        # The figure printed is the data-value as shown, to the unit's decimals.
        assert shown == value, f"printed {figure_text!r} but data-value {el['data-value']}: {where}"
        assert decimals(printed(figure_text)) == PRINTED_DECIMALS[r.unit], f"printed to other decimals: {where}"
        expected = r.status(shown, segment, group)
        assert status == expected, f"status {status}, the rule says {expected} ({shown} vs target " \
                                   f"{r.target_for(segment, group)}, tolerance {r.tolerance}): {where}"
        # The colour class says the same as data-status.
        classes = el.get("class", [])
        if kind == "cell":
            assert classes == [f"st-{status}"], where
        else:
            assert [c for c in classes if c in STATUSES] == [status], where
            if lang == "en":
                assert el.get_text(strip=True) == BADGE_WORDS[status], where
        found.append(Found(where, kind, kpi, segment, group, period, status, value, shown, el))
    return found


def check_badge_words(found: list[Found]) -> dict[str, str]:
    """One word per status, three different words (any language): word → status."""
    words: dict[str, set[str]] = {}
    for f in found:
        if f.kind == "badge":
            words.setdefault(f.status, set()).add(f.element.get_text(strip=True))
    assert all(len(w) == 1 for w in words.values()), words
    by_word = {next(iter(w)): s for s, w in words.items()}
    assert len(by_word) == len(words), words
    return by_word


def status_words(builds, lang: str) -> dict[str, str]:
    """word → status, from the badges of both HTML reports of the language."""
    rules, segments = rulebook(SAMPLES[lang]), segment_names(SAMPLES[lang])
    found = [f for report in ("client", "quarterly")
             for f in walk_statuses(soup_of(builds(lang, report), report), lang, rules, segments)]
    words = check_badge_words(found)
    assert len(words) == 3, words
    return words


# --------------------------------------------------------------------------- HTML


@pytest.mark.parametrize("lang,report", REPORTS)
def test_every_status_in_the_html_follows_the_one_rule(builds, lang, report):
    soup = soup_of(builds(lang, report), report)
    rules = rulebook(SAMPLES[lang])
    found = walk_statuses(soup, lang, rules, segment_names(SAMPLES[lang]))
    check_badge_words(found)
    # Not vacuous: many statuses, all three colours, badges and cells, the per-segment target used.
    assert len(found) > 100, len(found)
    assert {f.status for f in found} == set(STATUSES)
    assert {f.kind for f in found} == {"badge", "cell"}
    assert len([f for f in found if f.kind == "badge"]) >= (7 if report == "client" else 3)
    segment_targets = [(seg, grp) for r in rules.values() for seg, groups in r.groups.items() for grp in groups]
    assert segment_targets and any((f.segment, f.group) in segment_targets for f in found)
    if report == "client":
        assert any(f.period for f in found), "the trend table's cells carry no status"


@pytest.mark.parametrize("lang,report", REPORTS)
def test_no_coloured_cell_without_its_data_and_no_figure_left_uncoloured(builds, lang, report):
    soup = soup_of(builds(lang, report), report)
    rules = rulebook(SAMPLES[lang])
    # Every coloured element carries the status data (so the walk above saw it).
    for el in soup.find_all(class_=re.compile(r"^st-")):
        assert el.has_attr("data-status"), f"coloured without data-status: {el}"
    for el in soup.select("span.status"):
        assert el.has_attr("data-status"), f"badge without data-status: {el}"
    for el in soup.select("[data-status]"):
        assert el["data-status"] in STATUSES, el
    # In every table of coloured cells, each figure of a KPI with a target has a status
    # (a dash — a suppressed base — has none; the pinned total row shows no status).
    tables = [t for t in soup.find_all("table") if t.select("td[data-status]")]
    assert tables
    checked = 0
    for table in tables:
        heads = _headers(table)
        for tr in table.select("tbody tr"):
            if "total" in (tr.get("class") or []):
                continue
            for i, cell in enumerate(_cells(tr)):
                if heads[i] not in rules or cell.name != "td":
                    continue
                text = cell.get_text(strip=True)
                if text.startswith("—"):
                    assert not cell.has_attr("data-status"), cell
                else:
                    assert cell.has_attr("data-status"), f"{heads[i]} figure without a status: {cell}"
                    checked += 1
    assert checked > 100


def _badges(found: list[Found]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in found:
        if f.kind == "badge":
            out.setdefault(f.kpi, set()).add(f.status)
    return out


def _window_label(soup: BeautifulSoup) -> str:
    return soup.select_one(".kpi .kpi-period").get_text(strip=True)


def _quarterly_window(soup: BeautifulSoup) -> str:
    """The quarter the review describes: the headline table's first figure column."""
    table = soup.find("table")
    return _headers(table)[1]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_same_figure_has_the_same_status_everywhere(builds, lang):
    """The window's KPI: the scorecard box and table; the trend table's row of the same period;
    the quarterly review's headline table against the client's trend row of its quarter; a
    segment's figure in the client segment table and the quarterly segment scorecard (when both
    reports describe the same period)."""
    rules = rulebook(SAMPLES[lang])
    segments = segment_names(SAMPLES[lang])
    client_soup = soup_of(builds(lang, "client"), "client")
    quarterly_soup = soup_of(builds(lang, "quarterly"), "quarterly")
    client = walk_statuses(client_soup, lang, rules, segments)
    quarterly = walk_statuses(quarterly_soup, lang, rules, segments)
    window = _window_label(client_soup)
    q_window = _quarterly_window(quarterly_soup)
    trend = {(f.period, f.kpi): f for f in client if f.period}
    assert q_window in {p for p, _k in trend}, (q_window, sorted(trend))

    def badge_figures(found, kpi):
        return {(f.shown, f.status) for f in found if f.kind == "badge" and f.kpi == kpi}

    headline_kpis = [r.label for r in rules.values() if r.key != "cases" and not r.key.startswith("attr:")]
    for kpi in headline_kpis:
        in_client = badge_figures(client, kpi)          # the KPI box and the scorecard table
        assert len(in_client) == 1 and len([f for f in client if f.kind == "badge" and f.kpi == kpi]) == 2, kpi
        in_quarterly = badge_figures(quarterly, kpi)
        assert len(in_quarterly) == 1, kpi
        row = trend[q_window, kpi]
        assert in_quarterly == {(row.shown, row.status)}, (kpi, in_quarterly, row.where)
        if (window, kpi) in trend:
            row = trend[window, kpi]
            assert in_client == {(row.shown, row.status)}, (kpi, in_client, row.where)
        if window == q_window:
            assert in_client == in_quarterly, kpi

    if window == q_window:
        def by_group(found):
            return {(f.segment, f.group, f.kpi): f for f in found if f.segment}

        a, b = by_group(client), by_group(quarterly)
        common = set(a) & set(b)
        assert len(common) > 50
        for key in common:
            assert (a[key].shown, a[key].status) == (b[key].shown, b[key].status), (a[key].where, b[key].where)


def test_the_printed_gap_is_the_shown_figure_minus_the_target(builds):
    """'NPS +28, 7 below the target of +35, near target' adds up: the scorecard's gap."""
    soup = soup_of(builds("en", "client"), "client")
    rules = rulebook(SAMPLES["en"])
    table = next(t for t in soup.find_all("table") if t.select("span.status") and WORDS["en"]["gap"] in _headers(t))
    col = _headers(table).index(WORDS["en"]["gap"])
    n = 0
    for tr in table.select("tbody tr"):
        badge = tr.select_one("span.status")
        if badge is None:
            continue
        r = rules[next(_cells(tr)[0].stripped_strings)]
        assert printed(_cells(tr)[col].get_text(" ", strip=True)) == as_shown(badge["data-value"], r.unit) - r.target
        n += 1
    for box in soup.select(".kpi"):
        badge = box.select_one("span.status")
        if badge is None:
            continue
        r = rules[box.select_one(".name").get_text(strip=True)]
        target, gap = printed_all(box.select_one(".target").get_text(" ", strip=True))[:2]
        assert target == r.target and gap == as_shown(badge["data-value"], r.unit) - r.target, box
        n += 1
    assert n == 2 * len([r for r in rules.values() if r.key != "cases" and not r.key.startswith("attr:")])


FINDING = re.compile(r"^(?P<kpi>.+?) is (?P<figure>\S+) .*?, (?P<word>on target|near target|below target)\b")


def test_the_findings_state_the_status_of_the_rule(builds):
    soup = soup_of(builds("en", "client"), "client")
    rules = rulebook(SAMPLES["en"])
    found = walk_statuses(soup, "en", rules, segment_names(SAMPLES["en"]))
    badges = _badges(found)
    words = {w.lower(): s for s, w in BADGE_WORDS.items()}
    n = 0
    for li in soup.find_all("li"):
        m = FINDING.match(li.get_text(" ", strip=True))
        if not m or m["kpi"] not in rules:
            continue
        r = rules[m["kpi"]]
        assert words[m["word"]] == r.status(printed(m["figure"])), li
        assert {words[m["word"]]} == badges[m["kpi"]], li
        n += 1
    assert n >= 2


# --------------------------------------------------------------------------- trend charts


def _rules_by_key(lang: str) -> dict[str, Rule]:
    return {r.key: r for r in rulebook(SAMPLES[lang]).values()}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_trend_points_follow_the_rule(studies, builds, lang):
    """Every period of the study, every KPI with a target: the trend point's status is the rule
    on the period's headline figure as shown, and the trend table says the same."""
    from cxreport.present.context import trend_points

    study = studies(lang)
    rules = _rules_by_key(lang)
    groups = study.results.periods.groups
    assert len(groups) >= 4
    soup = soup_of(builds(lang, "client"), "client")
    table = {(f.period, f.kpi): f for f in walk_statuses(soup, lang, rulebook(SAMPLES[lang]),
                                                         segment_names(SAMPLES[lang])) if f.period}
    n = 0
    for spec in study.results.kpis:
        if spec.key not in rules:
            continue
        r = rules[spec.key]
        points = trend_points(groups, spec, study.targets)
        assert [p["label"] for p in points] == [g.label for g in groups]
        for g, p in zip(groups, points):
            est = g.items[spec.key].headline
            if not est.shown:
                assert p["status"] in (None, "none"), (g.label, spec.key)
                continue
            expected = r.status(as_shown(est.value, r.unit))
            assert p["status"] == expected, (g.label, spec.key, est.value, p["status"], expected)
            assert table[g.label, r.label].status == expected, (g.label, spec.key)
            n += 1
    assert n == len(groups) * 3


def _capture_figures(monkeypatch) -> list:
    from cxreport.present import charts

    figures = []
    original = charts._render

    def render(fig, chart_id, *args, **kwargs):
        figures.append((chart_id, fig))
        return original(fig, chart_id, *args, **kwargs)

    monkeypatch.setattr(charts, "_render", render)
    return figures


def _status_markers(fig) -> dict[float, list[str]]:
    """x → colours of the single-point round markers drawn over a trend line."""
    out: dict[float, list[str]] = {}
    for ax in fig.axes:
        for line in ax.get_lines():
            xs = list(line.get_xdata())
            if len(xs) == 1 and line.get_marker() == "o":
                out.setdefault(float(xs[0]), []).append(to_hex(line.get_markerfacecolor()))
    return out


def test_a_trend_marker_is_drawn_in_its_status_colour(monkeypatch):
    from cxreport.present import charts
    from cxreport.scoring.kpis import ItemSpec

    figures = _capture_figures(monkeypatch)
    spec = ItemSpec.nps("q_nps")
    target, tolerance = Decimal(35), Decimal(10)
    values = [27.66, 24.4, 35.2, 34.6, 40.0]        # +28 amber, +24 red, +35 green, +35 green, +40 green
    points = []
    for i, v in enumerate(values):
        status = rule(as_shown(v, "points"), target, tolerance)
        points.append({"label": f"Q{i + 1}", "value": v, "low": v - 4, "high": v + 4, "base": "ok",
                       "status": status})
    points.append({"label": "Q6", "value": 30.0, "low": 26.0, "high": 34.0, "base": "ok", "status": None})
    assert [p["status"] for p in points] == ["amber", "red", "green", "green", "green", None]
    charts.trend("t", "NPS", points, spec, charts.ChartStyle("#0B3C5D", "#1C8C8C", "DejaVu Sans"), target=35)
    [(_id, fig)] = figures
    markers = _status_markers(fig)
    for x, p in enumerate(points):
        if p["status"] is None:
            assert x not in markers, "a point without a status got a status marker"
        else:
            assert markers.get(x) == [INK[p["status"]]], (x, p, markers.get(x))


@pytest.mark.parametrize("lang,report", REPORTS)
def test_the_reports_trend_charts_colour_every_point_by_the_rule(studies, monkeypatch, lang, report):
    """The trend charts of the sample reports as built: each deferred chart's points, and the
    markers actually drawn, against the rule on each period's figure."""
    from cxreport import i18n
    from cxreport.present import charts
    from cxreport.present.context import build_context
    from cxreport.present.quarterly import build_quarterly_context

    study = studies(lang, report)
    rules = _rules_by_key(lang)
    periods = {g.label: g for g in study.results.periods.groups}
    with i18n.use_language(study.project.language):
        if report == "quarterly":
            jobs = build_quarterly_context(study)["q_trends"]
        else:
            jobs = build_context(study)["trend"]["charts"]
        assert jobs and all(job.fn is charts.trend for job in jobs)
        figures = _capture_figures(monkeypatch)
        for job in jobs:
            job.fn(*job.args, **job.kwargs)
    assert len(figures) == len(jobs)
    n = 0
    for job, (_id, fig) in zip(jobs, figures):
        _chart_id, _title, points, spec = job.args[:4]
        markers = _status_markers(fig)
        r = rules.get(spec.key)
        if r is not None:
            assert job.kwargs.get("target") == float(r.target)
        for x, p in enumerate(points):
            est = periods[p["label"]].items[spec.key].headline
            assert p["value"] == est.value
            if r is None or not est.shown:
                assert not p["status"] or p["status"] == "none"
                assert x not in markers
                continue
            expected = r.status(as_shown(est.value, r.unit))
            assert p["status"] == expected, (spec.key, p["label"], est.value)
            assert markers.get(x) == [INK[expected]], (spec.key, p["label"], markers.get(x))
            n += 1
    assert n >= 12


# --------------------------------------------------------------------------- deck and workbook


def _fill(cell) -> str | None:
    try:
        return str(cell.fill.fore_color.rgb) if cell.fill.type is not None else None
    except (AttributeError, TypeError):
        return None


def check_deck(path: Path, rules: dict[str, Rule], lang: str, words: dict[str, str] | None = None) -> dict[str, str]:
    """Every status cell of the deck (any table cell filled in a status colour) against the rule
    on the figure in the same row; the one status table holds every KPI with a target.
    Returns KPI label → status."""
    fills = {v: k for k, v in FILL.items()}
    prs = Presentation(str(path))
    statuses: dict[str, str] = {}
    status_tables = 0
    for slide in prs.slides:
        for shape in slide.shapes:
            if not shape.has_table:
                continue
            rows = list(shape.table.rows)
            coloured = [(i, j) for i, row in enumerate(rows) for j, c in enumerate(row.cells) if _fill(c) in fills]
            if not coloured:
                continue
            last = len(rows[0].cells) - 1
            assert all(j == last for _i, j in coloured), "a status colour outside the status column"
            header = [c.text.replace("\n", " ").replace("\x0b", " ") for c in rows[0].cells]
            if CASE_WORD[lang] in header:           # response times: each channel against the case target
                col = header.index(CASE_WORD[lang])
                for row in rows[1:]:
                    cells = list(row.cells)
                    status = fills.get(_fill(cells[last]))
                    if status is None:
                        assert cells[last].text in ("", "—"), cells[last].text
                        continue
                    assert status == rules[CASES].status(printed(cells[col].text)), (cells[0].text, cells[col].text)
                continue
            status_tables += 1
            for row in rows[1:]:
                cells = list(row.cells)
                kpi = cells[0].text.split("\n")[0]
                status_cell = cells[last]
                if kpi not in rules:
                    assert _fill(status_cell) not in fills, kpi
                    continue
                r = rules[kpi]
                status = fills.get(_fill(status_cell))
                assert status is not None, f"{kpi}: no status colour in the deck ({status_cell.text!r})"
                shown = printed(cells[1].text)
                assert decimals(shown) == PRINTED_DECIMALS[r.unit], cells[1].text
                assert status == r.status(shown), (kpi, cells[1].text, status)
                assert printed(cells[last - 1].text) == r.target, (kpi, cells[last - 1].text)
                if lang == "en":
                    assert status_cell.text == BADGE_WORDS[status], status_cell.text
                elif words is not None:
                    assert words.get(status_cell.text) == status, status_cell.text
                ink = {str(run.font.color.rgb) for p in status_cell.text_frame.paragraphs for run in p.runs}
                assert ink == {INK[status][1:].upper()}, (kpi, ink)
                statuses[kpi] = status
    assert status_tables == 1
    assert set(statuses) == {r.label for r in rules.values() if r.key != "cases" and not r.key.startswith("attr:")}
    return statuses


@pytest.mark.parametrize("lang,report", REPORTS)
def test_deck_status_cells_follow_the_rule(builds, lang, report):
    folder = builds(lang, report)
    rules = rulebook(SAMPLES[lang])
    found = walk_statuses(soup_of(folder, report), lang, rules, segment_names(SAMPLES[lang]))
    deck = check_deck(output(folder, report, "pptx"), rules, lang, status_words(builds, lang))
    # The deck's status of each KPI is the HTML's.
    assert {k: {s} for k, s in deck.items()} == {k: v for k, v in _badges(found).items() if k in deck}


def check_workbook(path: Path, rules: dict[str, Rule], lang: str, words: dict[str, str] | None = None) -> dict[str, str]:
    """The Overall KPIs sheet (second sheet): each row's Status word against the rule on its
    Value as the report shows it; rows without a target have no status. KPI → status."""
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[1]
    header = [c.value for c in ws[1]]
    if lang == "en":
        assert ws.title == "Overall KPIs"
        assert header[1] == "Value" and header[7] == "Target" and header[8] == "Status", header
    statuses = {}
    for row in ws.iter_rows(min_row=2, values_only=True):
        if row[0] is None:
            break
        label, value, target, word = row[0], row[1], row[7], row[8]
        if label not in rules:
            assert target is None and word is None, row
            continue
        r = rules[label]
        assert dec(target) == r.target, row
        assert word is not None, f"{label}: no status in the workbook"
        status = {v: k for k, v in BADGE_WORDS.items()}.get(word) if lang == "en" else (words or {}).get(word)
        assert status is not None, f"{label}: unknown status word {word!r}"
        expected = r.status(as_shown(value, r.unit))
        assert status == expected, (label, value, word, expected)
        statuses[label] = status
    assert set(statuses) == set(rules) - {CASES}
    return statuses


@pytest.mark.parametrize("lang,report", REPORTS)
def test_workbook_status_words_follow_the_rule(builds, lang, report):
    folder = builds(lang, report)
    rules = rulebook(SAMPLES[lang])
    found = walk_statuses(soup_of(folder, report), lang, rules, segment_names(SAMPLES[lang]))
    book = check_workbook(output(folder, report, "xlsx"), rules, lang, status_words(builds, lang))
    badges = _badges(found)
    for kpi, status in book.items():
        if kpi in badges:
            assert badges[kpi] == {status}, kpi


# --------------------------------------------------------------------------- tiers and journey


def _tier(shown: Decimal, thresholds: dict) -> str | None:
    for name in ("excellent", "differentiated", "basic"):
        if shown >= dec(thresholds[name]):
            return name
    return None


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_tiers_are_judged_on_the_shown_figure(studies, lang):
    study = studies(lang)
    cfg = yaml.safe_load(SAMPLES[lang].read_text(encoding="utf-8"))["tiers"]
    units = {"nps": "points", "csat": "percent", "ces": "mean"}
    assert study.tiers
    for key, thresholds in cfg.items():
        entry = study.tiers[key]
        est = study.results.overall[key].headline
        assert entry["overall"] == _tier(as_shown(est.value, units[key]), thresholds)
        n = 0
        for breakdown in study.results.segments:
            for g in breakdown.groups:
                h = g.items[key].headline
                expected = _tier(as_shown(h.value, units[key]), thresholds) if h.shown else None
                assert entry["segments"][breakdown.name, g.label] == expected, (breakdown.name, g.label, h.value)
                n += 1
        assert n > 20


def test_journey_pain_points_include_every_touchpoint_the_rule_calls_red(studies):
    study = studies("en")
    journey = study.journey
    r = _rules_by_key("en")["nps"]
    assert journey is not None and journey.touchpoints
    for t in journey.touchpoints:
        if t.value is None:
            continue
        shown = as_shown(t.value, "points")
        assert dec(t.gap) == shown - dec(t.target), t
        if rule(shown, dec(t.target), r.tolerance) == "red":
            assert t.pain, f"{t.name} is below target by more than the tolerance but not a pain point"


# --------------------------------------------------------------------------- figures on the edges

#: The latest quarter (2026 Q2) of the synthetic project: region → (n, promoters, detractors,
#: CSAT top-2 answers). NPS: North 20 (= 30 − 10, the amber edge), East 19 (red), South 45
#: (= its own target 55 − 10, amber); overall 74/250 = 29.6, printed +30 against a target of
#: 30: green. CSAT (target 80, tolerance 3): North 80 % green, East 77 % (the amber edge),
#: South 75 % red; overall 192/250 = 76.8 %, printed 77 %: amber, not red.
EDGE_Q2 = {"North": (50, 20, 10, 40), "East": (100, 39, 20, 77), "South": (100, 55, 10, 75)}
#: 2026 Q1: NPS 49/250 = 19.6, printed +20: amber (judged raw it would be red); CSAT 80 %.
EDGE_Q1 = {"North": (80, 30, 20, 60), "East": (90, 35, 16, 75), "South": (80, 35, 15, 65)}
EDGE_EXPECTED = {
    # (segment group or period or None for the window) → {KPI: (printed figure, status)}
    None: {"NPS": (30, "green"), "CSAT": (77, "amber")},
    "North": {"NPS": (20, "amber"), "CSAT": (80, "green")},
    "East": {"NPS": (19, "red"), "CSAT": (77, "amber")},
    "South": {"NPS": (45, "amber"), "CSAT": (75, "red")},
    "2026 Q1": {"NPS": (20, "amber"), "CSAT": (80, "green")},
    "2026 Q2": {"NPS": (30, "green"), "CSAT": (77, "amber")},
}


def _edge_rows() -> list[list]:
    rows = []
    i = 0
    for months, groups in (((1, 2, 3), EDGE_Q1), ((4, 5, 6), EDGE_Q2)):
        for region, (n, promoters, detractors, top2) in groups.items():
            nps = [10] * promoters + [3] * detractors + [8] * (n - promoters - detractors)
            csat = [5] * top2 + [2] * (n - top2)
            for k in range(n):
                rows.append([f"R{i:04d}", f"2026-{months[k % 3]:02d}-{1 + k % 28:02d}", region, nps[k], csat[k],
                             f"Comment {i}"])
                i += 1
    return rows


@pytest.fixture(scope="module")
def edge_project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("edge")
    project = write_project(
        folder / "project", csv_text(_edge_rows()),
        targets={"nps": {"value": 30, "segments": {"Region": {"South": 55}}}, "csat": {"value": 80, "tolerance": 3}},
        tiers={"nps": {"basic": 20, "differentiated": 30, "excellent": 45}},
        report={"title": "Edge report", "date": dt.date(2026, 7, 15), "period": "latest"})
    return project, {report: cli_build(project, folder / report, report) for report in ("client", "quarterly")}


def test_edge_figures_are_judged_as_printed(edge_project):
    project, folders = edge_project
    rules = rulebook(project)
    assert rules["NPS"].tolerance == 10 and rules["CSAT"].tolerance == 3
    for report, folder in folders.items():
        soup = soup_of(folder, report)
        found = walk_statuses(soup, "en", rules, {"Region"})
        seen = set()
        for f in found:
            where = f.group if f.segment else f.period if f.period else None
            if where not in EDGE_EXPECTED:
                continue
            figure, status = EDGE_EXPECTED[where][f.kpi]
            assert (f.shown, f.status) == (figure, status), f.where
            seen.add((where, f.kpi, f.kind))
        expected = {(None, k, "badge") for k in ("NPS", "CSAT")} | \
                   {(g, k, "cell") for g in ("North", "East", "South") for k in ("NPS", "CSAT")}
        if report == "client":
            expected |= {(p, k, "cell") for p in ("2026 Q1", "2026 Q2") for k in ("NPS", "CSAT")}
        assert seen == expected, expected ^ seen
        # Printed +30 is never "near target"; 77 % against 80 − 3 is near, not below.
        nps = [f for f in found if f.kind == "badge" and f.kpi == "NPS"]
        assert nps and all(f.element.get_text(strip=True) == "On target" for f in nps)
        # The deck and the workbook agree.
        assert check_deck(output(folder, report, "pptx"), rules, "en") == {"NPS": "green", "CSAT": "amber"}
        assert check_workbook(output(folder, report, "xlsx"), rules, "en") == {"NPS": "green", "CSAT": "amber"}
        if report == "client":
            tiers = next(t for t in soup.find_all("table") if "Basic" in _headers(t))
            row = tiers.select_one("tbody tr")
            cells = [c.get_text(" ", strip=True) for c in _cells(row)]
            assert cells[4] == "differentiated", cells     # +30 meets the differentiated threshold of 30
            assert cells[5] == "1 / 0 / 1 / 1", cells      # South 45 excellent, North 20 basic, East 19 below


def test_the_workbook_prints_a_judged_figure_as_the_report_does(edge_project):
    """The workbook shows the figure beside its status with the report's decimals, so the
    status is judged on the figure the sheet shows: CSAT 76.8 % must not read '76.8%' beside
    'Near target' when the target is 80 % and the tolerance 3 (the report prints 77 %)."""
    project, folders = edge_project
    rules = rulebook(project)
    wb = openpyxl.load_workbook(output(folders["client"], "client", "xlsx"))
    ws = wb.worksheets[1]
    for row in ws.iter_rows(min_row=2):
        label = row[0].value
        if label is None:
            break
        if label not in rules or row[8].value is None:
            continue
        fmt = row[1].number_format
        digits = re.search(r"0(?:\.(0+))?", fmt)
        shown_decimals = len(digits.group(1) or "") if digits else None
        assert shown_decimals == PRINTED_DECIMALS[rules[label].unit], \
            f"{label}: the sheet shows {row[1].value!r} as {fmt!r} beside the status {row[8].value!r}, " \
            f"judged on the figure to {PRINTED_DECIMALS[rules[label].unit]} decimals"
