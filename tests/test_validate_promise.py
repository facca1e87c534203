"""`validate` promises what `build` does: every error `score` or `build` can raise on a project
is reported first by `cxreport validate`, with the same one-line message.

The raise sites are found in the code (AST): every ``raise`` of one of the project's errors in
the modules that run at score or build time, after the loaders' input checks (the scoring,
benchmark and presentation packages, the window, the pipeline, the build and the batch). Each
site must be either

- covered by a registered hostile project (:data:`CASES`): a small project with one mistake
  that triggers exactly that error; `validate` must exit 1 with the same ``Error:`` line as
  `score` (score-time errors) or `build` (build-time errors), and that line must contain the
  site's message; or
- listed in :data:`UNREACHABLE` with the reason a valid, validated project cannot reach it; or
- listed in :data:`KNOWN_GAPS` with the reason it is not covered yet (a user's own template
  failing while it is rendered).

A new raise site that is in neither fails :func:`test_every_raise_site_is_covered_or_explained`,
and so does an entry for a site that no longer exists.
"""

from __future__ import annotations

import ast
import copy
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from cxreport.cli import cli

ROOT = Path(__file__).resolve().parents[1]

#: The modules that run at score or build time, after the loaders' input checks.
SCANNED = ["cxreport/scoring", "cxreport/benchmark", "cxreport/present", "cxreport/window.py",
           "cxreport/pipeline.py", "cxreport/build.py", "cxreport/export.py", "cxreport/batch.py",
           "cxreport/executor.py", "cxreport/cache.py"]
#: The project's errors (cxreport.errors and the modules' own error classes).
ERRORS = {"CxError", "ConfigError", "DataError", "RenderError", "SecurityError", "DriverError", "WindowError",
          "BatchFailed"}


def _message_template(node: ast.expr | None) -> str:
    if node is None:
        return ""
    if isinstance(node, ast.Constant):
        return str(node.value)
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return "{" + ast.unparse(node)[:30] + "}"


def raise_sites() -> list[str]:
    """``path:function:message template`` of every raise of a project error in SCANNED (the
    n-th repeat of the same template in a function gets `` #n``)."""
    sites = []
    for entry in SCANNED:
        path = ROOT / entry
        for file in sorted(path.glob("*.py")) if path.is_dir() else [path]:
            counts: dict[str, int] = {}

            def visit(node, stack, file=file, counts=counts):
                for child in ast.iter_child_nodes(node):
                    if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                        visit(child, [*stack, child.name])
                        continue
                    if isinstance(child, ast.Raise) and isinstance(child.exc, ast.Call):
                        func = child.exc.func
                        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                        if name in ERRORS:
                            text = _message_template(child.exc.args[0] if child.exc.args else None)
                            site = f"{file.relative_to(ROOT)}:{'.'.join(stack)}:{text[:50]}"
                            counts[site] = counts.get(site, 0) + 1
                            sites.append(site if counts[site] == 1 else f"{site} #{counts[site]}")
                    visit(child, stack)

            visit(ast.parse(file.read_text(encoding="utf-8")), [])
    return sites


# --------------------------------------------------------------------------- the small project

HEADER = ["resp_id", "response_date", "region", "stage", "touchpoint", "q_nps", "q_csat", "q_ces",
          "a1", "a2", "a3", "b1", "comment"]
COMMENTS = ["The wait was too long", "Staff were helpful and friendly", "Fees are too high", "Great app",
            "Long queue at the branch", "Helpful staff sorted it", ""]


def _rows(n: int = 240) -> list[list]:
    rng = random.Random(15)
    months = [(2025, m) for m in range(10, 13)] + [(2026, m) for m in range(1, 10)]
    rows = []
    for i in range(n):
        year, month = months[i % len(months)]
        base = rng.randint(1, 5)
        rows.append([f"R{i:04d}", f"{year}-{month:02d}-{1 + i % 27:02d}", ["North", "South"][i % 2],
                     ["Join", "Use"][i % 2 if i % 3 else 0], ["Open account", "Card", "App"][i % 3],
                     min(10, max(0, 2 * base + rng.randint(-1, 1))), base, rng.randint(1, 7),
                     min(5, max(1, base + rng.randint(-1, 1))), rng.randint(1, 5), min(5, max(1, base + rng.randint(-1, 1))),
                     rng.randint(1, 10), COMMENTS[i % len(COMMENTS)]])
    return rows


def _csv(rows: list[list], header: list[str] = HEADER) -> str:
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


DATA = _csv(_rows())

BASE: dict = {
    "client": {"name": "Promise Co"},
    "survey": {"file": "data/responses.csv"},
    "columns": {
        "respondent_id": "resp_id", "date": "response_date", "comment": "comment",
        "nps": "q_nps", "csat": {"column": "q_csat", "scale": 5}, "ces": "q_ces",
        "attributes": {"Speed": "a1", "Staff": "a2", "Clarity": "a3", "Value": {"column": "b1", "scale": "1-10"}},
        "segments": {"Region": "region", "Stage": "stage", "Touchpoint": "touchpoint"},
    },
    "bases": {"suppress_below": 5, "flag_below": 10},
    "report": {"title": "Promise report", "date": "2026-10-15"},
}

ACTION = {"id": "A-1", "title": "Shorter queues", "owner": "Ops", "start": "2026-04-01", "due": "2026-12-31",
          "status": "in progress", "metric": "nps", "baseline": "2026-Q1", "expected": 5}

COMPETITOR_CSV = _csv([[f"C{i}", b, (i * 7) % 11, 1 + i % 5, "2026-08-01"]
                       for i in range(60) for b in ("Promise Co", "Rival")],
                      ["rid", "brand", "nps", "csat", "when"])
COMPETITORS = {"own_brand": "Promise Co",
               "survey": {"file": "data/comp.csv", "brand_column": "brand", "nps": "nps", "csat": "csat",
                          "date": "when"}}


def _merge(base: dict, overrides: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in overrides.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


@dataclass
class Case:
    """A hostile project: BASE with ``config`` merged in (None removes a key) and ``files``
    written beside it; ``message`` is part of the one-line error every command must print."""

    config: dict
    message: str
    files: dict[str, str | bytes] = field(default_factory=dict)
    when: str = "score"            # "score": validate = score; "build": validate = build --format html
    args: tuple[str, ...] = ()     # extra options for every command (--strict, --report quarterly …)
    build_format: str = "html"
    shop: bool = False             # link a mystery-shopping programme (shop/programme.yaml, one visit)


def _actions(*actions: dict, **more) -> dict:
    return {"actions": "actions.yaml", **more}, {"actions.yaml": yaml.safe_dump({"actions": list(actions)})}


def _case_with_actions(message: str, *actions: dict, config: dict | None = None, files: dict | None = None,
                       shop: bool = False) -> Case:
    cfg, extra = _actions(*actions)
    return Case({**cfg, **(config or {})}, message, {**extra, **(files or {})}, shop=shop)


TEMPLATE_DIR = {"report": {"templates": "tpl"}}

CASES: dict[str, Case] = {
    # --- benchmarks, tiers
    "cxreport/benchmark/compare.py:compare_standards:{problems[0] if len(problems) =}": Case(
        {"columns": {"ces": None}, "benchmarks": {"compare": [{"kpi": "ces", "standard": "surveymonkey-nps-global-average"}]}},
        "benchmarks.compare"),
    "cxreport/benchmark/compare.py:evaluate_tiers:{problems[0] if len(problems) =}": Case(
        {"columns": {"ces": None}, "tiers": {"ces": {"basic": 1, "differentiated": 2, "excellent": 3}}}, "tiers"),
    "cxreport/benchmark/standards.py:Library.get:no standard '{}'{} (see `cxreport standards list`)": Case(
        {"benchmarks": {"compare": [{"kpi": "nps", "standard": "no-such-standard"}]}}, "no standard 'no-such-standard'"),
    "cxreport/benchmark/standards.py:_parse:{}{}: invalid YAML in standards file": Case(
        {"benchmarks": {"files": ["own.yaml"]}}, "invalid YAML in standards file", {"own.yaml": "standards: [\n"}),
    "cxreport/benchmark/standards.py:_parse:{}: a standards file has a `standards:` list": Case(
        {"benchmarks": {"files": ["own.yaml"]}}, "a standards file has a `standards:` list", {"own.yaml": "- 1\n"}),
    "cxreport/benchmark/standards.py:_parse:{}: {} invalid standard(s)": Case(
        {"benchmarks": {"files": ["own.yaml"]}}, "invalid standard(s)", {"own.yaml": "standards:\n  - {id: x}\n"}),
    # --- competitors
    "cxreport/benchmark/competitors.py:_survey:competitors.survey.brand_column: column '{}' not f": Case(
        {"competitors": _merge(COMPETITORS, {"survey": {"brand_column": "brnd"}})},
        "competitors.survey.brand_column: column 'brnd' not found", {"data/comp.csv": COMPETITOR_CSV}),
    "cxreport/benchmark/competitors.py:_survey:competitors.own_brand: '{}' is not among the brand": Case(
        {"competitors": _merge(COMPETITORS, {"own_brand": "Promise"})},
        "competitors.own_brand: 'Promise' is not among the brands", {"data/comp.csv": COMPETITOR_CSV}),
    "cxreport/benchmark/competitors.py:_survey:competitors.survey.{}: column '{}' not found in {}": Case(
        {"competitors": _merge(COMPETITORS, {"survey": {"csat": "sat"}})},
        "competitors.survey.csat: column 'sat' not found", {"data/comp.csv": COMPETITOR_CSV}),
    "cxreport/benchmark/competitors.py:_survey:competitors.survey.weight: column '{}' not found i": Case(
        {"competitors": _merge(COMPETITORS, {"survey": {"weight": "w"}})},
        "competitors.survey.weight: column 'w' not found", {"data/comp.csv": COMPETITOR_CSV}),
    # --- the pipeline
    "cxreport/pipeline.py:validate_project:{}: invalid data (--strict)": Case(
        {}, "invalid data (--strict)", {"data/responses.csv": DATA.replace("\nR0003,", "\nR0002,", 1)},
        args=("--strict",)),
    "cxreport/pipeline.py:rank_priorities:priorities: needs a key driver analysis (set `driv": Case(
        {"priorities": {}}, "priorities: needs a key driver analysis"),
    "cxreport/pipeline.py:rank_priorities:priorities: no attribute '{}'{}": Case(
        {"drivers": {"outcome": "nps", "min_base": 30}, "priorities": {"effort": {"Sped": "low"}}},
        "priorities: no attribute 'Sped'"),
    "cxreport/pipeline.py:comment_segment:comments.segment: no segment '{}'{}": Case(
        {"comments": {"segment": "Regions"}}, "comments.segment: no segment 'Regions'"),
    # --- key drivers and scales
    "cxreport/scoring/keydrivers.py:key_drivers:scales.{}: no attribute '{}'{}": Case(
        {"scales": {"Service": ["Speed", "Staf"]}}, "no attribute 'Staf'"),
    "cxreport/scoring/keydrivers.py:driver_columns:drivers.outcome: no item '{}'{}": Case(
        {"drivers": {"outcome": "npss", "min_base": 30}}, "drivers.outcome: no item 'npss'"),
    "cxreport/scoring/keydrivers.py:driver_columns:drivers.drivers: no attribute '{}'{}": Case(
        {"drivers": {"outcome": "nps", "min_base": 30, "drivers": ["Speed", "Stuff"]}},
        "drivers.drivers: no attribute 'Stuff'"),
    "cxreport/scoring/keydrivers.py:driver_columns:drivers: at least two attribute drivers are needed": Case(
        {"drivers": {"outcome": "nps", "min_base": 30, "drivers": ["Speed"]}},
        "drivers: at least two attribute drivers are needed"),
    "cxreport/scoring/keydrivers.py:key_drivers:drivers.segments: no segment '{}'{}": Case(
        {"drivers": {"outcome": "nps", "min_base": 30, "segments": ["Regio"]}}, "drivers.segments: no segment 'Regio'"),
    # --- journey
    "cxreport/scoring/journey.py:_from_segments:journey.{}: no segment '{}'{}": Case(
        {"journey": {"stage": "Stages", "touchpoint": "Touchpoint", "kpi": "nps"}}, "journey.stage: no segment 'Stages'"),
    "cxreport/scoring/journey.py:_from_segments:journey.kpi: no item '{}'{}": Case(
        {"journey": {"stage": "Stage", "touchpoint": "Touchpoint", "kpi": "acsi"}}, "journey.kpi: no item 'acsi'"),
    "cxreport/scoring/journey.py:_from_segments:journey.stages: no stage '{}'{}": Case(
        {"journey": {"stage": "Stage", "touchpoint": "Touchpoint", "kpi": "nps", "stages": ["Join", "Leave"]}},
        "journey.stages: no stage 'Leave'"),
    "cxreport/scoring/journey.py:_from_segments:journey.targets: no touchpoint '{}'{}": Case(
        {"journey": {"stage": "Stage", "touchpoint": "Touchpoint", "kpi": "nps", "targets": {"Cards": 10}}},
        "journey.targets: no touchpoint 'Cards'"),
    "cxreport/scoring/journey.py:_from_ratings:journey.touchpoints.{}: no attribute '{}'{}": Case(
        {"journey": {"touchpoints": {"Join": ["Speed", "Stuff"]}}}, "no attribute 'Stuff'"),
    "cxreport/scoring/journey.py:_from_ratings:journey.touchpoints: the attributes are on differe": Case(
        {"journey": {"touchpoints": {"Join": ["Speed", "Value"]}}}, "the attributes are on different scales"),
    # --- the reporting window
    "cxreport/window.py:resolve:{}: '{}' names a period, but this study has no res": Case(
        {"columns": {"date": None}, "report": {"period": "2026-Q2"}}, "names a period, but this study has no response dates"),
    "cxreport/window.py:resolve:{}: this study has no response dates (columns.date": Case(
        {"columns": {"date": None}, "report": {"period": "all", "baseline": "2026-Q1"}},
        "this study has no response dates"),
    "cxreport/window.py:resolve:{}: no response has a valid date in columns.date, ": Case(
        {}, "no response has a valid date in columns.date",
        {"data/responses.csv": re.sub(r",20\d\d-\d\d-\d\d,", ",someday,", DATA)}),
    "cxreport/window.py:resolve:{}: the baseline is a period to compare with, not ": Case(
        {"report": {"baseline": "all"}}, "the baseline is a period to compare with, not all"),
    "cxreport/window.py:resolve:{}: '{}' overlaps the reporting window ({}); a bas": Case(
        {"report": {"period": "2026-Q3", "baseline": "2026-Q3"}}, "overlaps the reporting window"),
    "cxreport/window.py:resolve:{}: no responses in {}; the periods with responses": Case(
        {"report": {"period": "2024-Q1"}}, "no responses in 2024 Q1"),
    "cxreport/window.py:_span:{}: no responses in {}; the periods with responses": Case(
        {"report": {"baseline": "2024-Q1"}}, "no responses in 2024 Q1"),
    # --- the action register
    "cxreport/scoring/actions.py:_item:{}, {}: this project has no {} (columns.{})": _case_with_actions(
        "this project has no CES", {**ACTION, "metric": "ces"}, config={"columns": {"ces": None}}),
    "cxreport/scoring/actions.py:_item:{}, {}: no attribute '{}'{} (columns.attributes)": _case_with_actions(
        "no attribute 'Sped'", {**ACTION, "metric": "attr:Sped"}),
    "cxreport/scoring/actions.py:_group:{}, metric: no segment '{}'{} (columns.segments)": _case_with_actions(
        "no segment 'Regio'", {**ACTION, "metric": "segment:Regio=North"}),
    "cxreport/scoring/actions.py:_group:{}, metric: no {} '{}'{}": _case_with_actions(
        "'Nort'", {**ACTION, "metric": "segment:Region=Nort"}),
    "cxreport/scoring/actions.py:resolve_metric:{}, metric: a theme metric needs the comments' cod": _case_with_actions(
        "a theme metric needs the comments' code frame", {**ACTION, "metric": "theme:Waiting"}),
    "cxreport/scoring/actions.py:resolve_metric:{}, metric: no theme '{}'{} (comments.code_frame)": _case_with_actions(
        "no theme 'Waitin'", {**ACTION, "metric": "theme:Waitin"},
        config={"comments": {"code_frame": {"Waiting": ["wait", "queue"]}}}),
    "cxreport/scoring/actions.py:_shop_target:{}, metric: '{}' is a mystery-shopping metric; nam": _case_with_actions(
        "is a mystery-shopping metric", {**ACTION, "metric": "shop:item:Q1"}),
    "cxreport/scoring/actions.py:_addressed:{}, addresses: no theme '{}'{} (comments.code_fram": _case_with_actions(
        "addresses: no theme 'Queues'", {**ACTION, "addresses": ["Queues"]},
        config={"comments": {"code_frame": {"Waiting": ["wait", "queue"]}}}),
    "cxreport/scoring/actions.py:_span_of:{}: the study has no dated responses, so there is ": _case_with_actions(
        "the study has no dated responses", ACTION, config={"columns": {"date": None}}),
    "cxreport/scoring/actions.py:evaluate:{}, baseline: {} ends on {}, not before the action": _case_with_actions(
        "not before the action starts", {**ACTION, "baseline": "2026-Q2"}),
    "cxreport/scoring/actions.py:check_markers:{}, line {}: [action: {}] needs an action register": Case(
        {"report": {"narrative": {"executive_summary": "summary.md"}}}, "needs an action register",
        {"summary.md": "We act.\n\n[action: A-1]\n"}),
    "cxreport/scoring/actions.py:check_markers:{}, line {}: no action '{}' in {}{} ({})": _case_with_actions(
        "no action 'A-2'", ACTION, config={"report": {"narrative": {"executive_summary": "summary.md"}}},
        files={"summary.md": "We act.\n\n[action: A-2]\n"}),
    "cxreport/scoring/actions.py:resolve_metric:{}, metric: a touchpoint metric needs the journey'": _case_with_actions(
        "a touchpoint metric needs the journey's touchpoint segment", {**ACTION, "metric": "touchpoint:Card"}),
    "cxreport/scoring/actions.py:_span_of:{}: {}": _case_with_actions(
        "baseline: 'bogus' is not a period", {**ACTION, "baseline": "bogus"}),
    "cxreport/scoring/actions.py:_shop_target:{}, metric: no scored item '{}' in the programme's": _case_with_actions(
        "no scored item 'A9' in the programme's questionnaire", {**ACTION, "metric": "shop:item:A9"}, shop=True),
    "cxreport/scoring/actions.py:_shop_target:{}, metric: no location '{}' in the programme{}": _case_with_actions(
        "no location 'L9' in the programme", {**ACTION, "metric": "shop:location:L9"}, shop=True),
    "cxreport/scoring/actions.py:_shop_waves:{}, baseline: a mystery-shopping metric's baseline": _case_with_actions(
        "a mystery-shopping metric's baseline is a wave", {**ACTION, "metric": "shop:item:A1", "baseline": "Wave nine"},
        shop=True),
    "cxreport/scoring/actions.py:_shop_waves:{}, baseline: wave {} ends on {}, not before the a": _case_with_actions(
        "baseline: wave W3 ends on 2026-03-31, not before the action",
        {**ACTION, "metric": "shop:item:A1", "baseline": "W3", "start": "2026-03-15"}, shop=True),
    # --- build time: the report's text, templates, theme, deck
    "cxreport/present/narrative.py:load_narrative:report.narrative.{}: {} is not UTF-8 text": Case(
        {"report": {"narrative": {"executive_summary": "summary.md"}}}, "summary.md is not UTF-8 text",
        {"summary.md": "Caf\xe9 au lait\n".encode("latin-1")}, when="build"),
    "cxreport/present/quarterly.py:build_quarterly_context:the quarterly review needs response dates covering": Case(
        {"columns": {"date": None}, "report": {"period": None}}, "the quarterly review needs response dates",
        when="build", args=("--report", "quarterly")),
    "cxreport/present/quarterly.py:build_quarterly_context:the quarterly review describes one period against ": Case(
        {}, "the quarterly review describes one period against the one before it", when="build",
        args=("--report", "quarterly", "--period", "all")),
    "cxreport/present/quarterly.py:build_quarterly_context:the quarterly review compares {} with the period b": Case(
        {"periods": {"unit": "wave", "waves": [{"name": "Wave 1", "start": "2025-10-01", "end": "2026-03-31"},
                                               {"name": "Wave 2", "start": "2026-04-01", "end": "2026-09-30"}]},
         "quarterly": {"period": "Wave 1"}}, "the quarterly review compares Wave 1 with the period before it",
        when="build", args=("--report", "quarterly")),
    "cxreport/present/render.py:check_templates:{}: {}": Case(
        TEMPLATE_DIR, "client_report.html", {"tpl/client_report.html": "{% extends 'default:client_report.html' %}{% block x %}"},
        when="build"),
    "cxreport/present/themes.py:theme_chain:{_not_installed(current, instal}": Case(
        {"report": {"theme": "no-such-theme"}}, "no-such-theme", when="build"),
    "cxreport/present/themes.py:TemplateSearch.find:{}{} is a link to a file outside that folder": Case(
        TEMPLATE_DIR, "tpl/theme/report.css is a link to a file outside that folder",
        {"tpl/theme/report.css": "SYMLINK:../../outside.css", "outside.css": "p { color: red }\n"}, when="build"),
    "cxreport/present/themes.py:TemplateSearch.css:{}theme/extra.css is a link to a file outside that": Case(
        TEMPLATE_DIR, "tpl/theme/extra.css is a link to a file outside that folder",
        {"tpl/theme/extra.css": "SYMLINK:../../outside.css", "outside.css": "p { color: red }\n"}, when="build"),
    "cxreport/present/themes.py:FolderLoader.get_source:template {} in {} is a link to a file outside that": Case(
        TEMPLATE_DIR, "template partials/cover.html in", {"tpl/partials/cover.html": "SYMLINK:../../outside.html",
                                                          "outside.html": "<p>x</p>"}, when="build"),
    "cxreport/present/themes.py:_css_file:{}: @import is not supported; put the rules in thi": Case(
        TEMPLATE_DIR, "@import is not supported", {"tpl/theme/extra.css": "@import url(other.css);\n"}, when="build"),
    "cxreport/present/themes.py:_css_file:{}: '</' may not appear in a stylesheet (it would ": Case(
        TEMPLATE_DIR, "may not appear in a stylesheet", {"tpl/theme/extra.css": "p::after { content: '</style>' }\n"},
        when="build"),
    "cxreport/present/themes.py:_css_file.embed:{}: url({}) is not a file in the theme; only files": Case(
        TEMPLATE_DIR, "is not a file in the theme", {"tpl/theme/extra.css": "body { background: url(https://example.com/a.png) }\n"},
        when="build"),
    "cxreport/present/themes.py:_css_file.embed:{}: url({}) is not a file inside {}": Case(
        TEMPLATE_DIR, "url(missing.png) is not a file inside", {"tpl/theme/extra.css": "body { background: url(missing.png) }\n"},
        when="build"),
    "cxreport/present/themes.py:_css_file.embed:{str(exc)}": Case(
        TEMPLATE_DIR, "not an image or font", {"tpl/theme/extra.css": "body { background: url(notes.txt) }\n",
                                               "tpl/theme/notes.txt": "hello\n"}, when="build"),
    "cxreport/present/themes.py:_css_file:{}: cannot read it: {}": Case(
        TEMPLATE_DIR, "extra.css: cannot read it", {"tpl/theme/extra.css": "p { content: '\xe9' }\n".encode("latin-1")},
        when="build"),
    # --- banner tables, weighting
    "cxreport/scoring/banner.py:_selection:banners.segments[{}]: {} has {} groups; a banner's": Case(
        {"columns": {"segments": {"Who": "resp_id"}}, "bases": {"sparse_segments": ["Who"]}, "banners": {"segments": ["Who"]}}, "a banner's columns are lettered"),
    "cxreport/scoring/raking.py:rake_segments:{problems[0] if len(problems) =}": Case(
        {"weighting": {"rake": {"Region": {"North": 0.5, "South": 0.4, "East": 0.1}}}}, "no respondent in data/responses.csv is in group 'East'"),
}

_DRIVER_REASON = ("DriverError is caught where the analysis runs (cxreport/scoring/keydrivers.py): a driver "
                  "analysis or a scale's α that cannot be computed becomes a `drivers.skipped` line or a scale "
                  "note (a warning), never an error of score or build")
_INSTALLED_THEME = ("about an installed theme package (its entry point and cxreport-theme.yaml), not the project; "
                    "raised by project_search, which validate runs as build does")
_RENDER_TIME = ("raised while a user's own template is rendered or laid out as PDF (run-time template limits, "
                "resources it asks for); validate compiles every template of the project's folder and theme "
                "(check_templates) but does not render the report, which would draw every chart: a known limit")
_OUTPUT = "about the output folder (-o) or writing files, not the project; validate writes nothing"
_LOAD = "checked when the project file is loaded (cxreport/config/schema.py), so a loaded project cannot reach it"
_BATCH = "build --per / --executor only (the batch machinery, not the project); validate checks the whole-project report"
_OS = "an operating-system failure reading a file that the project file's check found to exist (permissions, a race)"

UNREACHABLE: dict[str, str] = {
    "cxreport/scoring/banner.py:_selection:banners.items[{}]: no item '{}' in this project (w": _LOAD,
    "cxreport/scoring/banner.py:_selection:banners.segments[{}]: no segment '{}' in columns.s": _LOAD,
    "cxreport/scoring/banner.py:_selection:banners.segments[{}]: '{}' is a multi-punch questi": _LOAD,
    "cxreport/present/deck.py:open_template:report.deck.template: cannot read {} as a PowerPoi": (
        _LOAD + " (the template is opened as a PowerPoint file at load)"),
    "cxreport/benchmark/competitors.py:survey_rows:competitors.survey: {} has no answers with a date ": (
        "the competitor survey's loader rejects rows without a valid date in competitors.survey.date, so a "
        "survey that loads has answers in a period"),
    "cxreport/benchmark/standards.py:_parse:{}: cannot read standards file: {}": _OS,
    "cxreport/benchmark/standards.py:_parse:{}: duplicate standard id(s): {}": (
        "ids are checked one file at a time and then merged by id (an own standard replaces the library's); a "
        "duplicate within one file is reported by the invalid-standards check first"),
    "cxreport/present/narrative.py:load_narrative:report.narrative.{}: cannot read {}: {}": _OS,
    "cxreport/present/deck.py:_Deck.logo:client.logo: cannot place {} in the PowerPoint dec": (
        "client.logo is checked as a readable PNG, JPEG or SVG at load; SVG logos are left out of the deck with a "
        "warning"),
    "cxreport/present/deck.py:template_path:report.deck.template: {} does not exist (a .pptx f": _LOAD,
    "cxreport/present/deck.py:template_path:report.deck.template: {} is not a PowerPoint .pptx": _LOAD,
    "cxreport/present/interactive.py:script_text:{}: the script must not contain '</script' or '<!-": (
        "the packaged report.js, not a project file"),
    "cxreport/present/themes.py:theme_chain:{f\"theme '{name}': themes exten}": _INSTALLED_THEME,
    "cxreport/present/themes.py:TemplateSearch.css:the built-in theme/report.css is missing; reinstal": (
        "a broken installation, not the project"),
    "cxreport/window.py:_named_keys:{spec_problem(spec, cfg) or spe}": _LOAD,
    "cxreport/window.py:_named_keys:{spec_problem(spec, cfg) or spe} #2": _LOAD,
    "cxreport/window.py:resolve:{}: {}": _LOAD + " (report.period is parsed and checked against periods.unit)",
    "cxreport/window.py:resolve:{}: {} #2": _LOAD + " (report.period is parsed and checked against periods.unit)",
    "cxreport/window.py:resolve:{}: {} #3": _LOAD + " (report.baseline is parsed and checked at load)",
    "cxreport/window.py:resolve:{}: {} #4": _LOAD + " (report.baseline is parsed and checked at load)",
}
_STREAM = ("streamed scoring's own checks (what prepare checks, batch by batch): `validate --stream` runs the same "
           "score_streamed and reports them first (tests/test_stream.py)")
#: Reached only by streamed scoring (`score --stream`); `validate --stream` runs the same
#: score_streamed and reports them first (tests/test_stream.py checks the lines are the same).
UNREACHABLE.update({
    "cxreport/scoring/stream.py:score_streamed:{problems[0]}": _STREAM,
    "cxreport/scoring/stream.py:score_streamed:{}: invalid data (--strict)": _STREAM,
    "cxreport/scoring/stream.py:_finish_report:{}: no usable rows ({})": _STREAM,
    "cxreport/scoring/stream.py:_bounded:{}: columns.acsi: no respondent answered all three": _STREAM,
    "cxreport/scoring/stream.py:_bounded:{}: scales.{}: no respondent answered at least {} ": _STREAM,
    "cxreport/scoring/stream.py:_bounded:{}: column '{}' ({}) has no valid answers ({} blan": _STREAM,
    "cxreport/scoring/stream.py:_score:{}: '{}' is a date range; streamed scoring reports": _STREAM,
    "cxreport/scoring/stream.py:_Runner.map:the Dask cluster could not score the survey: {}": (
        "a Dask worker's failure (the cluster, not the project): --executor dask only"),
    "cxreport/scoring/stream.py:_Runner.map:a worker process counting the survey stopped (out ": (
        "a local worker process killed (out of memory; the machine, not the project): score -j N only"),
})
#: Sites a project can reach that no hostile project here triggers, with the reason: the test
#: accepts them, and they are the work left to make the promise complete.
KNOWN_GAPS: dict[str, str] = {}
#: More hostile projects and reasons, one file per area beside this one
#: (tests/promise_cases_<area>.py): each defines ``register(ns)`` returning ``(cases,
#: unreachable)``, where ``ns`` is this module (Case, BASE, DATA, _merge, _csv, _rows …).
def _load_area_cases() -> None:
    import importlib.util
    import sys

    ns = sys.modules[__name__]
    for file in sorted(Path(__file__).parent.glob("promise_cases_*.py")):
        spec = importlib.util.spec_from_file_location(f"_promise_{file.stem}", file)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        cases, unreachable = module.register(ns)
        for site in cases:
            assert site not in CASES, f"{file.name}: {site} is registered twice"
        CASES.update(cases)
        UNREACHABLE.update(unreachable)


_load_area_cases()


for _site in raise_sites():
    if _site.startswith("cxreport/scoring/drivers.py:"):
        UNREACHABLE.setdefault(_site, _DRIVER_REASON)
    elif _site.startswith("cxreport/present/sandbox.py:") or _site.startswith((
            "cxreport/present/render.py:_render_html:", "cxreport/present/render.py:render_report:",
            "cxreport/present/pdf.py:refuse_attachments:", "cxreport/present/pdf.py:_make_pdf:",
            "cxreport/present/themes.py:TemplateSearch.asset:")):
        KNOWN_GAPS.setdefault(_site, _RENDER_TIME)
    elif _site.startswith("cxreport/present/themes.py:_data_url:"):
        KNOWN_GAPS.setdefault(_site, "raised directly by asset() in a template at render time (" + _RENDER_TIME +
                               "); from a stylesheet it is re-raised by _css_file.embed, covered by a case")
    elif _site.startswith(("cxreport/present/render.py:ensure_output_folder:", "cxreport/present/render.py:write_outputs:",
                           "cxreport/batch.py:write_manifest:")):
        UNREACHABLE.setdefault(_site, _OUTPUT)
    elif _site.startswith(("cxreport/present/themes.py:_theme:", "cxreport/present/themes.py:read_manifest:")):
        UNREACHABLE.setdefault(_site, _INSTALLED_THEME)
    elif _site.startswith(("cxreport/batch.py:", "cxreport/executor.py:")):
        UNREACHABLE.setdefault(_site, _BATCH)


def test_every_raise_site_is_covered_or_explained():
    sites = raise_sites()
    assert len(sites) > 100, "the scan found too few raise sites; has the layout changed?"
    registers = (set(CASES), set(UNREACHABLE), set(KNOWN_GAPS))
    twice = [s for i, a in enumerate(registers) for b in registers[i + 1:] for s in a & b]
    assert not twice, f"registered twice: {sorted(twice)}"
    missing = [s for s in sites if not any(s in r for r in registers)]
    assert not missing, ("raise sites with neither a hostile project in CASES nor a reason in UNREACHABLE or "
                         "KNOWN_GAPS (tests/test_validate_promise.py):\n" + "\n".join(missing))
    stale = [s for s in [*CASES, *UNREACHABLE, *KNOWN_GAPS] if s not in sites]
    assert not stale, "entries for raise sites that no longer exist:\n" + "\n".join(stale)


# --------------------------------------------------------------------------- running a case


def write_case(folder: Path, case: Case) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data").mkdir(exist_ok=True)
    (folder / "data" / "responses.csv").write_text(DATA, encoding="utf-8")
    for rel, content in case.files.items():
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str) and content.startswith("SYMLINK:"):
            target.symlink_to(content[len("SYMLINK:"):])
        elif isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    path = folder / "cxreport.yaml"
    path.write_text(yaml.safe_dump(_merge(BASE, case.config), sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _error_line(result) -> str:
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("Error:")]
    return lines[0] if lines else ""


def _invoke(args: list[str]):
    return CliRunner().invoke(cli, args)


def test_the_base_project_validates_scores_and_builds(tmp_path):
    """The hostile projects are one mistake away from a project that works."""
    path = write_case(tmp_path / "ok", Case({"drivers": {"outcome": "nps", "min_base": 30}}, ""))
    for args in (["validate", str(path)], ["score", str(path), "-o", str(tmp_path / "s.json")],
                 ["build", str(path), "-o", str(tmp_path / "out"), "--format", "html"]):
        result = _invoke(args)
        assert result.exit_code == 0, (args[0], result.output)


def _link_programme(folder: Path, monkeypatch) -> None:
    """A programme beside the project (quarterly.programme) with one visit, read from memory
    instead of a ledger (as tests/test_actions.py does): validate and score both see it."""
    import cxreport.scoring.actions as actions_module
    from cxreport.shop.loadprog import load_programme
    from tests.shop_helpers import analyse_visits, section, write_programme, yes_no

    prog = load_programme(write_programme(folder / "shop", [section("S1", [yes_no("A1")])]))
    results = analyse_visits(prog, [{"location_id": "L1", "wave": "W1", "answers": {"A1": "yes"}}])
    monkeypatch.setattr(actions_module, "load_shop", lambda project: (prog, results))


@pytest.mark.parametrize("site", sorted(CASES))
def test_validate_reports_the_error_score_or_build_would_raise(site, tmp_path, monkeypatch):
    case = CASES[site]
    if case.shop:
        _link_programme(tmp_path / "p", monkeypatch)
        case = Case({**case.config, "quarterly": {"programme": "shop/programme.yaml"}}, case.message, case.files,
                    case.when, case.args, case.build_format)
    path = write_case(tmp_path / "p", case)
    validate = _invoke(["validate", str(path), *case.args])
    if case.when == "build":
        other = _invoke(["build", str(path), "-o", str(tmp_path / "out"), "--format", case.build_format, *case.args])
    else:
        other = _invoke(["score", str(path), "-o", str(tmp_path / "scores.json"), *case.args])
    assert other.exit_code == 1, (case.when, other.output)
    line = _error_line(other)
    assert case.message in line, f"{case.when} failed with another error: {line}"
    assert "Traceback" not in other.output + validate.output
    assert validate.exit_code == 1, f"validate passed a project {case.when} fails on: {line}"
    assert _error_line(validate) == line
