"""The HTML reports in a real browser: Debian's chromium driven by Playwright.

The sample client report, its quarterly review and the mystery-shopping programme summary
are built once per module into temporary folders and opened through ``file://`` in one
browser. Each must load without console errors or warnings and without a single request
beyond the file itself and ``data:`` URLs; its KPI values (taken from ``cxreport score``
and the shop analysis, never typed in here) must be on screen, unclipped; a full-page
screenshot must not be blank. Sortable tables sort both ways when a header is clicked or
pressed, and at phone width (375 × 812) nothing scrolls sideways but the wide tables,
inside their own containers, and no text is smaller than 12 px.

These tests need chromium (``.ci/system-packages.sh`` installs it) and fail, never skip,
without it. ``CXREPORT_CHROMIUM`` points them at another Chromium binary.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from conftest import SAMPLE_BUILD_DATE
from shop_helpers import copy_sample

from cxreport.cli import cli
from cxreport.present.formatting import figure, num, pct
from cxreport.present.interactive import html_extras

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = os.environ.get("CXREPORT_CHROMIUM", "/usr/bin/chromium")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
#: Which figure of a scores-JSON item is its headline, in which unit (docs/scores-json.md).
HEADLINE_UNIT = {"nps": "points", "index": "points", "top2": "percent", "mean": "mean"}
REPORTS = ["client", "quarterly", "shop"]


def run(*args) -> None:
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output


# --------------------------------------------------------------------------- builds (once per module)


@pytest.fixture(scope="module")
def scores(sample_project, tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("browser-scores") / "scores.json"
    run("score", sample_project, "--format", "json", "-o", out)
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def quarterly_html(sample_project, tmp_path_factory) -> Path:
    from cxreport.build import build

    out = tmp_path_factory.mktemp("browser-quarterly")
    return build(sample_project, out, formats=("html",), report="quarterly", build_date=SAMPLE_BUILD_DATE).paths["html"]


@pytest.fixture(scope="module")
def shop_build(tmp_path_factory) -> dict:
    from cxreport.shop import commands
    from cxreport.shop.loadprog import load_programme

    root = tmp_path_factory.mktemp("browser-shop")
    programme = copy_sample(root)
    for wave in ("wave1", "wave2", "wave3"):
        run("shop", "submit", programme, *sorted((programme.parent / "submissions" / wave).iterdir()))
    run("shop", "report", programme, "--format", "html", "-o", root / "out")
    res = commands.results(load_programme(programme))
    return {"html": root / "out" / "programme-summary.html", "results": res}


@pytest.fixture(scope="module")
def report_paths(built_sample, quarterly_html, shop_build) -> dict[str, Path]:
    return {"client": built_sample.paths["html"], "quarterly": quarterly_html, "shop": shop_build["html"]}


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("browser-screenshots")


# --------------------------------------------------------------------------- the browser


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"chromium not found at {CHROMIUM}: the browser tests need it; "
                    "run .ci/system-packages.sh (or set CXREPORT_CHROMIUM)", pytrace=False)
    from playwright.sync_api import Error, sync_playwright

    with sync_playwright() as p:
        try:
            chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        except Error as exc:
            pytest.fail(f"cannot start chromium at {CHROMIUM} ({exc}); run .ci/system-packages.sh", pytrace=False)
        yield chromium
        chromium.close()


class Opened:
    """A page with everything it logged and every request it tried to make."""

    def __init__(self, browser, path: Path, viewport: dict, javascript: bool = True):
        self.context = browser.new_context(viewport=viewport, java_script_enabled=javascript)
        self.page = self.context.new_page()
        self.url = path.resolve().as_uri()
        self.console: list[str] = []
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.route("**/*", self._route)
        self.page.goto(self.url, wait_until="load")

    def _console(self, message) -> None:
        if message.type in ("error", "warning"):
            self.console.append(f"{message.type}: {message.text}")

    def _route(self, route) -> None:
        url = route.request.url
        if url == self.url or url.startswith("data:"):
            route.continue_()
        else:
            self.requests.append(url)
            route.abort()

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def open_page(browser):
    opened: list[Opened] = []

    def _open(path: Path, viewport: dict = DESKTOP, javascript: bool = True) -> Opened:
        opened.append(Opened(browser, path, viewport, javascript))
        return opened[-1]

    yield _open
    for o in opened:
        o.close()


# --------------------------------------------------------------------------- helpers


def assert_shown(page, locator, what: str) -> None:
    """Visible, inside the viewport once scrolled to, within the page width and not covered
    or clipped (the element itself is what the browser finds at its centre)."""
    locator.scroll_into_view_if_needed()
    assert locator.is_visible(), f"{what} is not visible"
    box = locator.bounding_box()
    width, height = page.evaluate("[window.innerWidth, window.innerHeight]")
    assert box and box["width"] > 0 and box["height"] > 0, f"{what} has no size"
    assert 0 <= box["x"] and box["x"] + box["width"] <= width + 0.5, f"{what} is cut off sideways: {box}"
    assert 0 <= box["y"] and box["y"] + box["height"] <= height + 0.5, f"{what} is outside the viewport: {box}"
    on_top = locator.evaluate("""el => { const r = el.getBoundingClientRect();
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return hit === el || el.contains(hit); }""")
    assert on_top, f"{what} is covered or clipped"


def value_locator(page, selector: str, text: str, what: str):
    """The element among ``selector`` whose text is exactly ``text``."""
    texts = [t.strip() for t in page.locator(selector).all_inner_texts()]
    assert text in texts, f"{what}: {text!r} not among {texts}"
    return page.locator(selector).nth(texts.index(text))


def kpi_values(name: str, scores: dict, shop_build: dict) -> list[tuple[str, str, str]]:
    """(what, selector, expected text) for each headline KPI of a report, from the scores."""
    if name == "shop":
        res = shop_build["results"]
        p = res.groups["programme"]
        cur = p[p["wave"] == res.latest_wave()].iloc[0]
        sel = ".kpis .kpi .value"
        return [("programme score", sel, num(cur["score"], 1) + "%"), ("pass rate", sel, pct(cur["pass_rate"])),
                ("visits", sel, num(cur["visits"]))]
    out = []
    for key in ("nps", "csat", "ces"):
        if name == "client":
            item, sel = scores["overall"][key], "#scorecard .kpi .value"
        else:  # the quarterly review's headline table: the latest quarter, second column
            item, sel = scores["periods"][-1]["items"][key], "#kpis + .table-wrap tbody tr td:nth-child(2)"
        head = item["headline"]
        out.append((item["label"], sel, figure(item[head]["value"], HEADLINE_UNIT[head])))
    return out


def number(text: str) -> float | None:
    """A table cell as the report prints it → a number (None for '—')."""
    t = re.sub(r"[▲▼⚑*%+\s]|pts", "", text).replace("\u2212", "-").replace(",", "")
    return None if t in ("", "—") else float(t)


def table_rows(table) -> list[dict]:
    return table.evaluate("""t => [...t.tBodies[0].rows].map(r => ({
        pinned: r.classList.contains('sort-pin'), cells: [...r.cells].map(c => c.textContent.trim())}))""")


def click_header(table, header: str) -> str:
    """Click a column header; returns its aria-sort afterwards."""
    th = table.locator("thead th", has_text=re.compile(rf"^\s*{re.escape(header)}\s*$"))
    assert th.count() == 1, f"header {header!r}"
    th.locator("button.sort").click()
    return th.get_attribute("aria-sort")


def column_index(table, header: str) -> int:
    heads = [h.strip() for h in table.locator("thead th").all_inner_texts()]
    return heads.index(header)


def check_sorted(rows: list[dict], col: int, descending: bool, numeric: bool = True) -> list:
    data = [r for r in rows if not r["pinned"]]
    values = [number(r["cells"][col]) if numeric else r["cells"][col] for r in data]
    present = [v for v in values if v is not None]
    assert values == present + [None] * (len(values) - len(present)), f"missing values not last: {values}"
    if numeric:
        assert present == sorted(present, reverse=descending), values
    else:
        assert present == sorted(present, key=str.casefold, reverse=descending), values
    first_pinned = next((i for i, r in enumerate(rows) if r["pinned"]), len(rows))
    assert all(r["pinned"] for r in rows[first_pinned:]), "pinned rows must stay at the bottom"
    return values


# --------------------------------------------------------------------------- every report


@pytest.mark.parametrize("name", REPORTS)
def test_loads_without_console_errors_or_requests(name, report_paths, open_page):
    o = open_page(report_paths[name])
    assert o.console == [] and o.errors == [], (o.console, o.errors)
    assert o.requests == [], f"the report tried to fetch {o.requests}"
    # The script ran (under the page's Content-Security-Policy): sortable headers are buttons.
    if o.page.locator("table.sortable").count():
        assert o.page.locator("table.sortable thead th > button.sort").count() > 0


@pytest.mark.parametrize("name", REPORTS)
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_kpi_values_are_visible(name, viewport, report_paths, scores, shop_build, open_page):
    o = open_page(report_paths[name], viewport)
    values = kpi_values(name, scores, shop_build)
    assert len(values) == 3
    for what, selector, text in values:
        assert_shown(o.page, value_locator(o.page, selector, text, what), f"{name}: {what} {text}")


def assert_not_blank(path: Path, width: int, min_height: int) -> None:
    with Image.open(path) as im:
        assert im.width == width, f"the page is wider than the window: {path}"
        assert im.height >= min_height, f"the page is too short: {path}"
        rgb = im.convert("RGB").reduce(2)
    colours = rgb.getcolors(maxcolors=rgb.width * rgb.height)
    assert len(colours) > 500, f"only {len(colours)} colours: {path}"
    assert max(n for n, _c in colours) / (rgb.width * rgb.height) < 0.99, f"one colour covers the page: {path}"


@pytest.mark.parametrize("name", REPORTS)
def test_screenshots_are_not_blank(name, report_paths, open_page, shots):
    """A full-page desktop screenshot and the first phone screen, kept in the tmp folder."""
    o = open_page(report_paths[name], DESKTOP)
    path = shots / f"{name}-desktop.png"
    o.page.screenshot(path=str(path), full_page=True)
    assert_not_blank(path, DESKTOP["width"], 3 * DESKTOP["height"])
    o = open_page(report_paths[name], PHONE)
    path = shots / f"{name}-phone.png"
    o.page.screenshot(path=str(path))
    assert_not_blank(path, PHONE["width"], PHONE["height"])


@pytest.mark.parametrize("name", REPORTS)
def test_phone_width_no_sideways_scroll_and_legible_text(name, report_paths, open_page):
    o = open_page(report_paths[name], PHONE)
    page = o.page
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), \
        page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    # Every table sits in its own horizontally scrolling container inside the window.
    tables = page.evaluate("""() => [...document.querySelectorAll('main table')].map(t => {
        const w = t.parentElement, r = w.getBoundingClientRect();
        return {wrap: w.classList.contains('table-wrap'), overflow: getComputedStyle(w).overflowX,
                right: r.right, left: r.left, wider: w.scrollWidth > w.clientWidth + 1}; })""")
    assert tables
    for t in tables:
        assert t["wrap"] and t["overflow"] in ("auto", "scroll"), t
        assert t["left"] >= 0 and t["right"] <= PHONE["width"], t
    # Charts scale down to the column (max-width: 100%); no image (logos too) sticks out.
    images = page.evaluate("""() => [...document.querySelectorAll("img")].map(i => {
        const r = i.getBoundingClientRect();
        return {chart: !!i.closest("figure"), max: getComputedStyle(i).maxWidth, left: r.left, right: r.right,
                width: r.width, room: (i.parentElement.tagName === "PICTURE" ? i.parentElement.parentElement
                                                                  : i.parentElement).clientWidth}; })""")
    assert any(i["chart"] for i in images)
    for i in images:
        assert i["left"] >= 0 and i["right"] <= PHONE["width"] and i["width"] <= i["room"] + 0.5, i
        assert not i["chart"] or i["max"] == "100%", i
    # No visible text below 12 px.
    small = page.evaluate("""() => [...document.body.querySelectorAll('*')].filter(el =>
            [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()) &&
            el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden' &&
            parseFloat(getComputedStyle(el).fontSize) < 12)
        .map(el => `${el.tagName.toLowerCase()}.${el.className} ${getComputedStyle(el).fontSize}: `
                   + el.textContent.trim().slice(0, 40))""")
    assert small == [], small[:10]


def test_phone_wide_tables_scroll_inside_their_container(report_paths, open_page):
    o = open_page(report_paths["shop"], PHONE)
    wrap = o.page.locator(".table-wrap:has(table.league)")
    sizes = wrap.evaluate("w => [w.scrollWidth, w.clientWidth]")
    assert sizes[0] > sizes[1], "the league table should be wider than a phone"
    wrap.evaluate("w => { w.scrollLeft = w.scrollWidth; }")
    assert wrap.evaluate("w => w.scrollLeft") > 0
    assert o.page.evaluate("window.scrollX") == 0
    # Its last column is reachable by scrolling the table, not the page.
    last = o.page.locator("table.league thead th").last
    assert_shown(o.page, last, "the league table's last header")


# --------------------------------------------------------------------------- sortable tables


def test_client_segment_table_sorts_both_ways(report_paths, open_page):
    o = open_page(report_paths["client"])
    table = o.page.locator("#segments table.sortable").first
    before = table_rows(table)
    col = column_index(table, "NPS")
    assert click_header(table, "NPS") == "descending"
    desc = table_rows(table)
    check_sorted(desc, col, descending=True)
    assert click_header(table, "NPS") == "ascending"
    asc = table_rows(table)
    check_sorted(asc, col, descending=False)
    assert [r["cells"][0] for r in desc if not r["pinned"]] != [r["cells"][0] for r in asc if not r["pinned"]]
    assert sorted(map(str, before)) == sorted(map(str, asc)), "sorting lost or changed rows"
    assert asc[-1]["pinned"] and asc[-1]["cells"][0] == "Total"
    # Only one header carries aria-sort; a text column starts A to Z.
    assert table.locator("thead th[aria-sort]").count() == 1
    first = table.locator("thead th").first.inner_text().strip()
    assert click_header(table, first) == "ascending"
    check_sorted(table_rows(table), 0, descending=False, numeric=False)
    assert click_header(table, first) == "descending"
    check_sorted(table_rows(table), 0, descending=True, numeric=False)


def test_thousands_separators_sort_as_numbers(report_paths, open_page):
    o = open_page(report_paths["client"])
    tables = o.page.locator("#appendix table.sortable")

    def mixed(table) -> bool:  # bases on both sides of 1,000: '1,213' must sort above '742'
        bases = [number(r["cells"][1]) for r in table_rows(table)]
        return any(b >= 1000 for b in bases) and any(b < 1000 for b in bases)

    table = next(t for t in tables.all() if mixed(t))
    col = column_index(table, "Respondents")
    assert click_header(table, "Respondents") == "descending"
    check_sorted(table_rows(table), col, descending=True)
    assert click_header(table, "Respondents") == "ascending"
    check_sorted(table_rows(table), col, descending=False)


def test_competitor_average_stays_last(report_paths, open_page):
    o = open_page(report_paths["client"])
    table = o.page.locator("#competitors table.sortable").first
    assert click_header(table, "Brand") == "ascending"
    rows = table_rows(table)
    check_sorted(rows, 0, descending=False, numeric=False)
    assert rows[-1]["pinned"] and rows[-1]["cells"][0] == "Competitor average"


def test_quarterly_scorecard_sorts(report_paths, open_page):
    o = open_page(report_paths["quarterly"])
    table = o.page.locator("#scorecard ~ .table-wrap table.sortable").first
    col = column_index(table, "CSAT")
    assert click_header(table, "CSAT") == "descending"
    check_sorted(table_rows(table), col, descending=True)
    assert click_header(table, "CSAT") == "ascending"
    check_sorted(table_rows(table), col, descending=False)


def test_shop_league_table_sorts_by_change_and_region(report_paths, open_page):
    o = open_page(report_paths["shop"])
    table = o.page.locator("table.league")
    col = column_index(table, "Change")
    assert click_header(table, "Change") == "descending"
    values = check_sorted(table_rows(table), col, descending=True)
    assert min(v for v in values if v is not None) < 0 < max(v for v in values if v is not None)
    assert click_header(table, "Change") == "ascending"
    check_sorted(table_rows(table), col, descending=False)
    region = column_index(table, "Region")
    assert click_header(table, "Region") == "ascending"
    rows = table_rows(table)
    check_sorted(rows, region, descending=False, numeric=False)
    # Ties keep their original order: within a region, locations stay ranked by score.
    for reg in {r["cells"][region] for r in rows}:
        ranks = [int(r["cells"][0].rstrip("=")) for r in rows if r["cells"][region] == reg]
        assert ranks == sorted(ranks), (reg, ranks)


def test_sorting_with_the_keyboard(report_paths, open_page):
    o = open_page(report_paths["shop"])
    table = o.page.locator("table.heatmap")
    button = table.locator("thead th").nth(1).locator("button.sort")
    button.focus()
    assert o.page.evaluate("document.activeElement.classList.contains('sort')")
    o.page.keyboard.press("Enter")
    check_sorted(table_rows(table), 1, descending=True)
    o.page.keyboard.press("Space")
    check_sorted(table_rows(table), 1, descending=False)
    assert table.locator("thead th").nth(1).get_attribute("aria-sort") == "ascending"
    o.page.keyboard.press("Tab")
    assert o.page.evaluate("document.activeElement.closest('th') === document.querySelectorAll("
                           "'table.heatmap thead th')[2]"), "Tab moves to the next header"


def test_without_javascript_tables_stay_in_report_order(report_paths, open_page):
    on = open_page(report_paths["shop"])
    off = open_page(report_paths["shop"], PHONE, javascript=False)
    assert off.page.locator("button.sort").count() == 0
    heads = off.page.locator("table.league thead th").all_inner_texts()
    assert "Location" in [h.strip() for h in heads]
    assert table_rows(off.page.locator("table.league")) == table_rows(on.page.locator("table.league"))
    ranks = [int(r["cells"][0].rstrip("=")) for r in table_rows(off.page.locator("table.league"))]
    assert ranks == sorted(ranks)
    assert off.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert off.console == [] and off.requests == []


SORT_PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}"><title>t</title></head><body>
<table class="sortable"><thead><tr><th>Name</th><th>Figure</th><th>Interval</th></tr></thead><tbody>
<tr><th>b</th><td>1,234</td><td>10 to 20</td></tr>
<tr><th>a2</th><td>−5 ▼</td><td>—</td></tr>
<tr><th>B</th><td>—</td><td>1 to 3</td></tr>
<tr><th>a10</th><td>12%*</td><td>−4 to 0</td></tr>
<tr><th>c</th><td>+12.0 pts</td><td>2 to 4</td></tr>
<tr class="sort-pin"><th>Total</th><td>99</td><td>0 to 1</td></tr>
</tbody></table>
<script data-number-sample="{sample}">{script}</script></body></html>"""


def test_number_formats_missing_values_and_ties(tmp_path, open_page):
    extras = html_extras("html")
    page_file = tmp_path / "sort.html"
    page_file.write_text(SORT_PAGE.format(csp=extras["csp"], script=extras["script"], sample=num(1234567.5, 1)),
                         encoding="utf-8")
    o = open_page(page_file)
    table = o.page.locator("table")

    def names():
        return [r["cells"][0] for r in table_rows(table)]

    click_header(table, "Figure")          # largest first; '—' last; ties (12 and 12.0) keep their order
    assert names() == ["b", "a10", "c", "a2", "B", "Total"]
    click_header(table, "Figure")
    assert names() == ["a2", "a10", "c", "b", "B", "Total"]
    click_header(table, "Interval")        # by the interval's centre
    assert names() == ["b", "c", "B", "a10", "a2", "Total"]
    click_header(table, "Name")            # natural, case-insensitive: a2 before a10, b and B tie
    assert names() == ["a2", "a10", "b", "B", "c", "Total"]
    assert o.console == [] and o.errors == []


# --------------------------------------------------------------------------- the checks themselves


def _inject(source: Path, target: Path, markup: str, keep_csp: bool) -> Path:
    html = source.read_text(encoding="utf-8")
    if not keep_csp:
        html, n = re.subn(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html)
        assert n == 1
    target.write_text(html.replace("</main>", markup + "</main>", 1), encoding="utf-8")
    return target


def test_network_check_catches_an_outside_request(report_paths, open_page, tmp_path):
    """Without the page's policy an injected image reaches the network layer, where the
    route records it: proof that an empty request list means something."""
    copy = _inject(report_paths["shop"], tmp_path / "leaky.html", '<img src="http://example.invalid/x.png" alt="">',
                   keep_csp=False)
    o = open_page(copy)
    assert o.requests == ["http://example.invalid/x.png"]


def test_content_security_policy_blocks_injected_content(report_paths, open_page, tmp_path):
    """With the policy in place, an injected image is refused before any request and an
    injected script does not run; the refusals show up as console errors."""
    copy = _inject(report_paths["shop"], tmp_path / "hostile.html",
                   '<img src="http://example.invalid/x.png" alt=""><script>document.title = "pwned";</script>',
                   keep_csp=True)
    o = open_page(copy)
    assert o.requests == []
    assert o.page.title() != "pwned"
    assert any("Content Security Policy" in m for m in o.console), o.console
    assert o.page.locator("table.league thead th > button.sort").count() > 0, "the report's own script still runs"


def test_number_helper_reads_report_formats():
    assert number("\u22123 ▼") == -3 and number("1,234") == 1234 and number("+7.5 pts") == 7.5
    assert number("72%*") == 72 and number("—") is None and not math.isnan(number("0"))
