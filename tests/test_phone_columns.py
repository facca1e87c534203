"""At phone width the key columns of the key tables are on screen without scrolling sideways.

The client report's KPI scorecard (Score, Gap, Status) and the quarterly review's headline
KPIs (this quarter, the change on the previous one, Target, Status) are opened in Chromium at
390 × 844 (an iPhone 12–15). For every row, the text of each key cell must lie inside the
window, with no table container scrolled and the page not wider than the window: the
stylesheet shows these tables as one card a row at phone width (class ``stack``,
templates/theme/report.css, "phones"), each figure under its column's name.

The check itself is tested: on the same report with the tables left as plain tables (the
old behaviour), it finds the Gap and Status cells off screen.

Needs chromium, like tests/test_browser.py (whose browser fixtures are reused here).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from test_browser import browser, open_page, quarterly_html  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}

#: report → (the table, the headers of its key columns; a header given as an int is taken
#: by its position, for headers that name a period).
KEY_TABLES = {
    "client": ("#scorecard table", ["Score", "Gap", "Status"]),
    "quarterly": ("#kpis + .table-wrap table", [1, 3, "Target", "Status"]),
}

CHECK = """([selector, keys]) => {
  const table = document.querySelector(selector);
  if (!table) return {error: 'no table ' + selector};
  const heads = [...table.querySelectorAll('thead th')].map(th => th.textContent.trim());
  const problems = [];
  let cells = 0;
  for (const key of keys) {
    const index = typeof key === 'number' ? key : heads.indexOf(key);
    if (index < 0) { problems.push('no column ' + key + ' in ' + heads.join(' | ')); continue; }
    for (const tr of table.querySelectorAll('tbody tr')) {
      const cell = tr.children[index];
      const row = tr.children[0].textContent.trim();
      const box = cell.getBoundingClientRect();
      window.scrollTo(0, window.scrollY + box.top - window.innerHeight / 2);
      const range = document.createRange();
      range.selectNodeContents(cell);
      const r = range.getBoundingClientRect();
      cells += 1;
      const what = `${row} / ${heads[index]} “${cell.textContent.trim()}”`;
      if (r.width === 0 || r.height === 0) { problems.push(what + ': not shown'); continue; }
      if (r.left < 0 || r.right > window.innerWidth + 0.5)
        problems.push(`${what}: at x ${Math.round(r.left)}–${Math.round(r.right)}, window ${window.innerWidth}`);
      const hit = document.elementFromPoint(Math.min(r.left + r.width / 2, window.innerWidth - 1), r.top + r.height / 2);
      if (!hit || !(cell === hit || cell.contains(hit)))
        problems.push(what + ': covered or clipped');
    }
  }
  const scrolled = [...document.querySelectorAll('.table-wrap')].filter(w => w.scrollLeft !== 0).length;
  if (scrolled) problems.push(scrolled + ' table container(s) scrolled sideways');
  if (document.documentElement.scrollWidth > window.innerWidth)
    problems.push('the page is ' + document.documentElement.scrollWidth + ' px wide');
  return {problems, cells};
}"""


def key_column_problems(page, report: str) -> tuple[list[str], int]:
    selector, keys = KEY_TABLES[report]
    out = page.evaluate(CHECK, [selector, keys])
    assert "error" not in out, out
    return out["problems"], out["cells"]


@pytest.fixture(scope="module")
def phone_reports(built_sample, quarterly_html) -> dict[str, Path]:  # noqa: F811
    return {"client": built_sample.paths["html"], "quarterly": quarterly_html}


@pytest.mark.parametrize("report", list(KEY_TABLES))
def test_key_columns_are_on_screen_at_phone_width(report, phone_reports, open_page):  # noqa: F811
    opened = open_page(phone_reports[report], PHONE)
    problems, cells = key_column_problems(opened.page, report)
    assert cells >= 9, f"{report}: only {cells} key cells found"
    assert problems == [], f"{report} at {PHONE['width']} px:\n" + "\n".join(problems)


def test_the_check_finds_key_columns_scrolled_away_in_plain_tables(phone_reports, open_page, tmp_path):  # noqa: F811
    """The old behaviour: the scorecard as a plain table in a scrolling container, its Gap
    and Status columns beyond the window's right edge."""
    html = phone_reports["client"].read_text(encoding="utf-8")
    assert '<table class="stack">' in html
    plain = tmp_path / "plain.html"
    plain.write_text(html.replace('<table class="stack">', "<table>"), encoding="utf-8")
    opened = open_page(plain, PHONE)
    problems, _cells = key_column_problems(opened.page, "client")
    assert any("/ Gap" in p for p in problems) and any("/ Status" in p for p in problems), problems


# --------------------------------------------------------------------------- a scoresheet's items

SHEET_CHECK = """() => {
  const table = document.querySelector('table.items');
  if (!table) return {error: 'no items table'};
  const problems = [];
  let cells = 0;
  for (const cell of table.querySelectorAll('tbody td, tbody th')) {
    const range = document.createRange();
    range.selectNodeContents(cell);
    const r = range.getBoundingClientRect(), box = cell.getBoundingClientRect();
    if (r.width === 0) continue;
    cells += 1;
    if (r.right > box.right + 0.5 || r.right > window.innerWidth + 0.5)
      problems.push(`“${cell.textContent.trim()}” ends at x ${Math.round(r.right)}: its cell ends at ` +
                    `${Math.round(box.right)}, the window at ${window.innerWidth}`);
  }
  if (document.documentElement.scrollWidth > window.innerWidth)
    problems.push('the page is ' + document.documentElement.scrollWidth + ' px wide');
  return {problems, cells};
}"""


@pytest.fixture(scope="module")
def scoresheet_html(tmp_path_factory) -> Path:
    from shop_helpers import copy_sample
    from test_browser import run

    root = tmp_path_factory.mktemp("phone-scoresheet")
    programme = copy_sample(root)
    run("shop", "submit", programme, *sorted((programme.parent / "submissions" / "wave1").iterdir()))
    run("shop", "report", programme, "--wave", "W1", "--scoresheets", "--format", "html", "-o", root / "out")
    sheets = sorted((root / "out" / "scoresheets").glob("*.html"))
    # a sheet whose section rows carry a bonus ("5 / 5 + 1 bonus") and a full score ("100.0%")
    with_bonus = [p for p in sheets if "bonus" in p.read_text(encoding="utf-8").split('class="items"')[1]]
    return with_bonus[0]


def test_a_scoresheets_items_fit_their_cells_at_phone_width(scoresheet_html, open_page, tmp_path):  # noqa: F811
    opened = open_page(scoresheet_html, PHONE)
    out = opened.page.evaluate(SHEET_CHECK)
    assert "error" not in out, out
    assert out["cells"] >= 20
    assert out["problems"] == [], "\n".join(out["problems"])
    # The check itself: with the desktop column widths (the result column 13 %), a section's
    # "100.0%" runs out of its cell.
    html = scoresheet_html.read_text(encoding="utf-8")
    desktop = tmp_path / "desktop-widths.html"
    desktop.write_text(html.replace("</head>", "<style>table.items thead th:first-child { width: 55% !important }"
                                    " table.items thead th:nth-child(2) { width: 21% !important }"
                                    " table.items thead th:nth-child(3) { width: 11% !important }"
                                    " table.items thead th:nth-child(4) { width: 13% !important }</style></head>"),
                       encoding="utf-8")
    old = open_page(desktop, PHONE).page.evaluate(SHEET_CHECK)
    assert any("100.0%" in p for p in old["problems"]), old
