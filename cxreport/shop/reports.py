"""Mystery-shop reports: a scoresheet per visit, a report per location, the programme
summary. Contexts are plain data built here; templates only lay them out.

Scoresheets and location reports render in parallel on the batch executor
(:mod:`cxreport.batch`: a process pool whose workers import WeasyPrint once and are
recycled after a number of tasks so memory stays flat, or a Dask cluster), with a
progress bar on stderr, a time limit per item, ``manifest.json`` and skipping of
unchanged reports.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from cxreport import __version__, i18n
from cxreport.batch import TASKS_PER_WORKER  # noqa: F401  (the benchmarks report it)
from cxreport.errors import CxError
from cxreport.i18n import N_, _
from cxreport.masking import mask_personal_data
from cxreport.shop.intake import visit_file_stem
from cxreport.shop.analysis import ProgrammeResults
from cxreport.shop.commands import results as programme_results
from cxreport.shop.ledger import Ledger
from cxreport.shop.programme import ProgrammeFile
from cxreport.shop.scoring import NA_WORDS, NO_WORDS, YES_WORDS

#: Scoring methods and response-time units (fixed words of the programme file), in words.
METHOD_WORDS = {"pooled": N_("pooled points"), "section_weighted": N_("section-weighted")}
TIME_UNITS = (N_("seconds"), N_("minutes"), N_("hours"))


def _num(value) -> float | None:
    if value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def visit_date(value) -> dt.date | str:
    """A visit's date (the ledger keeps it as ISO text) as a date, for the report's long
    date format; text that is not an ISO date is shown as written."""
    text = _text(value)
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return text


def _text(value) -> str:
    """A cell as text; missing (None/NaN) is empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def points_text(earned: float, possible: float) -> str:
    def short(x: float) -> str:
        return f"{x:g}" if float(x).is_integer() else f"{x:.1f}"
    return f"{short(earned)} / {short(possible)}"


def mask_shopper(shopper_id: str) -> str:
    """Shopper ids are masked on everything a location sees: 'SH-104' → 'SH-••4'.

    A leading non-digit prefix of up to four characters stays; of the rest only the last
    character shows.
    """
    text = str(shopper_id)
    match = re.match(r"^([^\d]{0,4})(.*)$", text)
    prefix, rest = (match.group(1), match.group(2)) if match else ("", text)
    if len(rest) < 2:
        prefix, rest = "", text
    if len(rest) <= 1:
        return "•" * len(rest)
    return prefix + "•" * (len(rest) - 1) + rest[-1]


def heat_class(score: float | None) -> str:
    """A colour step for heatmap cells (decided here, not in the template)."""
    if score is None:
        return "h-none"
    for limit in (95, 90, 85, 80, 70, 60):
        if score >= limit:
            return f"h-{limit}"
    return "h-0"


def _slug(text: str) -> str:
    """A file-name part for a visit or location id, unique by construction: a plain id as it
    is; any other a bounded slug and a hash of the id (``V 1`` never meets ``V-1``)."""
    from cxreport.shop.intake import visit_file_stem

    return visit_file_stem(str(text))


def base_context(prog: ProgrammeFile, title: str, subtitle: str | None = None) -> dict:
    from cxreport.present.render import logo_data_uri

    return {
        "version": __version__,
        "lang": prog.programme.language,
        "client": {"name": prog.programme.client.name},
        "brand": {"primary": prog.programme.brand.primary, "accent": prog.programme.brand.accent,
                  "font": prog.programme.brand.font},
        "report": {"title": title, "subtitle": subtitle, "prepared_by": prog.programme.prepared_by,
                   "date": dt.date.today(), "confidentiality": prog.programme.confidentiality},
        "programme": {"name": prog.programme.name, "pass_mark": prog.scoring.pass_mark,
                      "method": _(METHOD_WORDS.get(prog.scoring.method, prog.scoring.method)),
                      "version": prog.questionnaire.version,
                      "bands": [{"name": b.name, "min": b.min} for b in prog.scoring.bands],
                      "tiers": prog.service_standards.tiers.model_dump()},
        "logo": logo_data_uri(prog.programme.client.logo),
    }


# --------------------------------------------------------------------------- scoresheet


def _answer_display(item, value: str) -> str:
    """An answer as the scoresheet shows it: option labels for ticked boxes, the unit after a
    number, and the fixed words (yes, no, N/A) in the report's language."""
    low = value.lower()
    if low in NA_WORDS:
        return _("N/A")
    if item.type == "yes_no" and low in YES_WORDS | NO_WORDS:
        return _("yes") if low in YES_WORDS else _("no")
    if item.type == "multi_check" and value:
        labels = []
        for part in value.split(";"):
            part = part.strip()
            match = next((o for o in item.options if (o.id or "").lower() == part.lower()
                          or o.label.lower() == part.lower()), None)
            labels.append(match.label if match else part)
        return "; ".join(labels)
    if item.type == "numeric" and value and item.unit:
        return f"{value} {item.unit}"
    return value


def scoresheet_context(prog: ProgrammeFile, res: ProgrammeResults, frame: pd.DataFrame, i: int) -> dict:
    scores = res.scores
    visit = res.visits.iloc[i]
    rec = frame.iloc[i]
    locations = {loc.id: loc for loc in prog.location_list}
    loc = locations.get(visit["location_id"])
    wave = prog.wave(visit["wave"])
    ctx = base_context(prog, _("Mystery shop scoresheet"), loc.name if loc else visit["location_id"])
    sections = []
    pairs = prog.questionnaire.items()
    by_section: dict[str, list] = {}
    for j, (section, item) in enumerate(pairs):
        value = _text(rec.get(item.id))
        live = not item.channels or visit["channel"] in [c.lower() for c in item.channels]
        if not live:
            continue
        if scores.na[i, j]:
            state = "na"
        elif item.type == "text":
            state = "info"
        elif not value:
            state = "unanswered"
        elif item.bonus:
            state = "bonus" if scores.earned[i, j] > 0 else "nobonus"
        elif scores.failed[i, j]:
            state = "fail"
        else:
            state = "pass"
        by_section.setdefault(section.id, []).append({
            "id": item.id, "text": item.text, "answer": _answer_display(item, value) or "—",
            "earned": float(scores.earned[i, j]), "possible": float(scores.possible[i, j]),
            "points": points_text(float(scores.earned[i, j]), float(scores.possible[i, j])),
            "state": state, "bonus": item.bonus, "critical": item.critical is not None,
            "critical_failed": item.id in scores.critical_items[i],
            "comment": mask_personal_data(_text(rec.get(f"{item.id}__comment")), prog.programme.mask_names),
            "evidence": mask_personal_data(_text(rec.get(f"{item.id}__evidence")), prog.programme.mask_names),
        })
    for k, section in enumerate(prog.questionnaire.sections):
        sections.append({"id": section.id, "title": section.title,
                         "points": points_text(float(scores.section_earned[i, k]), float(scores.section_possible[i, k])),
                         "score": _num(scores.section_score[i, k]), "rows": by_section.get(section.id, [])})
    critical = []
    for item_id in scores.critical_items[i]:
        item = prog.questionnaire.item(item_id)
        critical.append({"id": item_id, "text": item.text, "action": item.critical.action,
                         "cap": item.critical.cap})
    ctx.update({
        "visit": {
            "id": visit["visit_id"], "location": loc.name if loc else visit["location_id"],
            "location_id": visit["location_id"], "region": loc.region if loc else "",
            "channel": visit["channel"], "wave": wave.name if wave else visit["wave"],
            "date": visit_date(visit["visit_date"]), "start": _text(rec.get("start_time")),
            "end": _text(rec.get("end_time")),
            "shopper": mask_shopper(visit["shopper_id"]), "manager": loc.manager if loc else "",
            "score": _num(visit["score"]), "raw_score": _num(visit["raw_score"]), "status": visit["status"],
            "passed": bool(visit["passed"]), "band": visit["band"], "tier": visit["tier"],
            "capped": bool(scores.critical_capped[i]),
            "comments": mask_personal_data(_text(rec.get("comments")), prog.programme.mask_names),
        },
        "sections": sections,
        "critical": critical,
    })
    return ctx


# --------------------------------------------------------------------------- location


def location_context(prog: ProgrammeFile, res: ProgrammeResults, frame: pd.DataFrame, location_id: str,
                     charts_style) -> dict:
    from cxreport.shop import charts as shop_charts

    loc = next(l for l in prog.location_list if l.id == location_id)
    ctx = base_context(prog, _("Location report"), loc.name)
    lw = res.location_waves[res.location_waves["location_id"] == location_id]
    latest = res.latest_wave()
    region_rows = res.groups["region"]
    prog_rows = res.groups["programme"]
    waves = []
    for wave_id in res.waves:
        row = lw[lw["wave"] == wave_id]
        reg = region_rows[(region_rows["region"] == loc.region) & (region_rows["wave"] == wave_id)]
        pr = prog_rows[prog_rows["wave"] == wave_id]
        waves.append({"id": wave_id, "name": res.wave_name(wave_id),
                      "visits": int(row["visits"].iloc[0]) if len(row) else 0,
                      "score": _num(row["score"].iloc[0]) if len(row) else None,
                      "pass_rate": _num(row["pass_rate"].iloc[0]) if len(row) else None,
                      "change": _num(row["change"].iloc[0]) if len(row) else None,
                      "flag": bool(row["consecutive_fail"].iloc[0]) if len(row) else False,
                      "region": _num(reg["score"].iloc[0]) if len(reg) else None,
                      "programme": _num(pr["score"].iloc[0]) if len(pr) else None})
    # Sections in the latest wave against the region and the programme.
    v = res.visits
    in_latest = v["wave"] == latest
    sections = []
    for section in prog.questionnaire.sections:
        col = f"section:{section.id}"
        own = v.loc[in_latest & (v["location_id"] == location_id), col].mean()
        reg = v.loc[in_latest & (v["region"] == loc.region), col].mean()
        allv = v.loc[in_latest, col].mean()
        sections.append({"title": section.title, "own": _num(own), "region": _num(reg), "programme": _num(allv)})
    # Item failures across the location's visits in the latest wave.
    mask = (in_latest & (v["location_id"] == location_id)).to_numpy()
    failures = []
    for j, (_section, item) in enumerate(prog.questionnaire.items()):
        n = int((res.scores.scored[:, j] & mask).sum())
        failed = int((res.scores.failed[:, j] & mask).sum())
        if failed:
            failures.append({"id": item.id, "text": item.text, "failed": failed, "n": n,
                             "critical": item.critical is not None})
    failures.sort(key=lambda f: (-f["failed"], f["id"]))
    comments = []
    for idx in np.flatnonzero(mask):
        rec = frame.iloc[idx]
        text = _text(rec.get("comments"))
        if text:
            comments.append({"visit": rec["visit_id"], "date": visit_date(rec["visit_date"]),
                             "text": mask_personal_data(text, prog.programme.mask_names)})
    visits = [{"id": r.visit_id, "wave": r.wave, "date": visit_date(r.visit_date), "iso": _text(r.visit_date)[:10],
               "channel": r.channel,
               "score": _num(r.score), "status": r.status, "band": r.band}
              for r in v[v["location_id"] == location_id].sort_values(["wave_order", "visit_date"]).itertuples()]
    chart = shop_charts.location_trend(loc.name, waves, prog.scoring.pass_mark, charts_style)
    ctx.update({"location": {"id": loc.id, "name": loc.name, "region": loc.region, "channel": loc.channel,
                             "manager": loc.manager},
                "latest": res.wave_name(latest) if latest else "", "waves": waves, "sections": sections,
                "failures": failures, "comments": comments, "visits": visits, "chart": chart})
    return ctx


# --------------------------------------------------------------------------- programme


def programme_context(prog: ProgrammeFile, res: ProgrammeResults, charts_style) -> dict:
    from cxreport.shop import charts as shop_charts

    latest = res.latest_wave()
    ctx = base_context(prog, prog.programme.name, _("Programme summary — {wave}").format(wave=res.wave_name(latest)))
    lw = res.location_waves
    cur = lw[lw["wave"] == latest].sort_values(["score", "location"], ascending=[False, True])
    league = []
    for rank, r in enumerate(cur.itertuples(), start=1):
        league.append({"rank": rank, "id": r.location_id, "name": r.location, "region": r.region,
                       "channel": r.channel, "visits": int(r.visits), "score": _num(r.score),
                       "pass_rate": _num(r.pass_rate), "change": _num(r.change), "flag": bool(r.consecutive_fail),
                       "failed": bool(r.failed), "heat": heat_class(_num(r.score)),
                       "sections": [{"score": _num(cur.loc[r.Index, f"section:{sec.id}"]),
                                     "heat": heat_class(_num(cur.loc[r.Index, f"section:{sec.id}"]))}
                                    for sec in prog.questionnaire.sections]})
    p = res.groups["programme"]
    cur_p = p[p["wave"] == latest].iloc[0]
    headline = {"score": _num(cur_p["score"]), "change": _num(cur_p["change"]), "pass_rate": _num(cur_p["pass_rate"]),
                "visits": int(cur_p["visits"]), "critical": int(cur_p["critical"]),
                "locations": int((lw["wave"] == latest).sum()),
                "flagged": [r["name"] for r in league if r["flag"]]}
    waves = [{"id": w, "name": res.wave_name(w)} for w in res.waves]

    def group_table(key: str) -> list[dict]:
        g = res.groups[key]
        out = []
        for name in sorted(g[key].unique(), key=str):
            row = {"name": name or "—", "cells": []}
            for w in res.waves:
                cell = g[(g[key] == name) & (g["wave"] == w)]
                row["cells"].append({"score": _num(cell["score"].iloc[0]) if len(cell) else None,
                                     "pass_rate": _num(cell["pass_rate"].iloc[0]) if len(cell) else None,
                                     "visits": int(cell["visits"].iloc[0]) if len(cell) else 0})
            out.append(row)
        return out

    programme_rows = [{"wave": res.wave_name(r.wave), "visits": int(r.visits), "score": _num(r.score),
                       "pass_rate": _num(r.pass_rate), "change": _num(r.change), "critical": int(r.critical)}
                      for r in p.itertuples()]
    s = res.sections
    section_rows = []
    for section in prog.questionnaire.sections:
        cells = []
        for w in res.waves:
            c = s[(s["section"] == section.id) & (s["wave"] == w)]
            cells.append({"score": _num(c["score"].iloc[0]) if len(c) else None,
                          "pass_rate": _num(c["pass_rate"].iloc[0]) if len(c) else None})
        section_rows.append({"title": section.title, "cells": cells})
    it = res.items[res.items["wave"] == latest].copy()
    it = it[(it["n"] > 0) & ~it["bonus"]]
    ranked = it.sort_values(["pass_rate", "item"])
    worst_items = [{"id": r.item, "text": r.text, "pass_rate": _num(r.pass_rate), "n": int(r.n),
                    "critical": bool(r.critical)} for r in ranked.head(5).itertuples()]
    best_items = [{"id": r.item, "text": r.text, "pass_rate": _num(r.pass_rate), "n": int(r.n),
                   "critical": bool(r.critical)} for r in ranked.iloc[::-1].head(5).itertuples()]
    bands = res.bands[res.bands["wave"] == latest]
    band_rows = [{"band": r.band, "visits": int(r.visits), "pct": _num(r.pct)} for r in bands.itertuples()]
    rt = res.response_times
    rt_rows = [{"label": r.label, "channel": r.channel, "standard": f"≤ {r.max:g} {r.unit}", "n": int(r.n),
                "met": int(r.met), "pct": _num(r.pct_met), "median": _num(r.median),
                "unit": _(r.unit) if r.unit in TIME_UNITS else r.unit,
                "wave": res.wave_name(r.wave) if r.wave != "all" else _("All waves")}
               for r in rt[rt["wave"].isin([latest, "all"])].itertuples()] if len(rt) else []
    latest_scores = res.visits.loc[res.visits["wave"] == latest, "score"].to_numpy(dtype=float)
    charts = {
        "distribution": shop_charts.distribution(latest_scores, prog.scoring.pass_mark,
                                                 [(b.name, b.min) for b in prog.scoring.bands], charts_style),
        "trend": shop_charts.programme_trend(programme_rows, prog.scoring.pass_mark, charts_style),
    }
    ctx.update({"latest": res.wave_name(latest), "headline": headline, "league": league, "waves": waves,
                "section_titles": [sec.title for sec in prog.questionnaire.sections],
                "regions": group_table("region"), "channels": group_table("channel"),
                "programme_rows": programme_rows, "section_rows": section_rows,
                "best_locations": league[:5], "worst_locations": list(reversed(league[-5:])),
                "best_items": best_items, "worst_items": worst_items, "bands": band_rows,
                "response_times": rt_rows, "charts": charts})
    return ctx


# --------------------------------------------------------------------------- rendering


def _task(template: str, context: dict, folder: str, name: str, formats, allowed) -> dict:
    return {"template": template, "context": context, "folder": folder, "name": name, "formats": list(formats),
            "allowed": [str(p) for p in allowed]}


def render_batch(tasks: list[tuple], jobs: int | None, label: str) -> list[tuple[str, str, str | None]]:
    """Render (template, context, out_dir, name, formats, allowed) tuples on the batch
    executor and write them; returns (name, first path, error) per task."""
    from cxreport.batch import Options, Task, render_context, run_tasks
    from cxreport.present.render import write_outputs

    batch = [Task(t[3], render_context, _task(t[0], t[1], "", t[3], t[4], t[5])) for t in tasks]
    folders = {t[3]: Path(t[2]) for t in tasks}
    out = []
    for o in run_tasks(batch, Options(jobs=jobs), label=label):
        if o.ok:
            paths = write_outputs(o.value["files"], folders[o.task.key])
            out.append((o.task.key, str(next(iter(paths.values()))), None))
        else:
            out.append((o.task.key, "", o.error))
    return out


def render_all(prog: ProgrammeFile, out_dir: Path, *, wave: str | None = None, scoresheets: bool = False,
               locations: bool = False, formats: tuple[str, ...] = ("html", "pdf"), jobs: int | None = None,
               options=None) -> list[tuple[str, Path]]:
    """Render the programme summary and, optionally, every location report and scoresheet
    (on the batch executor: ``options`` gives -j, --timeout, --executor, --force). Writes
    ``manifest.json``; items whose report context, template and format are unchanged since
    the last build, and whose files are intact, are skipped. Raises
    :class:`~cxreport.batch.BatchFailed` (exit 3) when some items failed."""
    # Contexts and charts are made in the programme's language; each worker renders in the
    # language its context names (render_html reads context["lang"]).
    with i18n.use_language(prog.programme.language):
        return _render_all(prog, out_dir, wave=wave, scoresheets=scoresheets, locations=locations,
                           formats=formats, jobs=jobs, options=options)


def _render_all(prog: ProgrammeFile, out_dir: Path, *, wave: str | None, scoresheets: bool, locations: bool,
                formats: tuple[str, ...], jobs: int | None, options=None) -> list[tuple[str, Path]]:
    import time

    from cxreport import manifest
    from cxreport.batch import BatchFailed, Options, Task, render_context, run_tasks
    from cxreport.present.charts import ChartStyle
    from cxreport.present.render import write_outputs
    from cxreport.util import sha256_file

    t0 = time.perf_counter()
    options = options or Options(jobs=jobs)
    started = manifest.now()
    res = programme_results(prog, wave)
    with Ledger(prog) as ledger:
        frame = ledger.accepted_visits()
    # Keep the frame aligned with the scored visits (same order, same filter).
    frame = frame.set_index("row").loc[res.visits["row"].to_numpy()].reset_index()
    cs = ChartStyle(prog.programme.brand.primary, prog.programme.brand.accent, prog.programme.brand.font)
    allowed = [prog.base_dir]
    out_dir = Path(out_dir)
    previous, warning = manifest.read(out_dir)
    if warning:
        import click

        click.echo(f"Warning: {warning}", err=True)
    tool = manifest.tool_fingerprint()
    entries: list[dict] = []
    failures: list[dict] = []
    replaces: set[str] = set()
    counts = {"written": 0, "skipped": 0}

    def plan(task: dict) -> tuple[list[str], dict[str, str]]:
        """Formats still to render, and the key of each output file (relative to out_dir)."""
        keys = {f"{task['folder']}{task['name']}.{fmt}": manifest.digest(
            {"tool": tool, "template": task["template"], "format": fmt, "context": task["context"]})
            for fmt in task["formats"]}
        todo = []
        for fmt, (file, key) in zip(task["formats"], keys.items()):
            if not options.force and previous.up_to_date(out_dir, file, key):
                entries.append(previous.outputs[file])
                counts["skipped"] += 1
            else:
                todo.append(fmt)
        return todo, keys

    def record(task: dict, keys: dict[str, str], files: dict[str, bytes]) -> None:
        write_outputs(files, out_dir / task["folder"] if task["folder"] else out_dir)
        for name in files:
            file = f"{task['folder']}{name}"
            entries.append(manifest.output_entry(out_dir, file, keys[file], format=Path(name).suffix[1:],
                                                 template=task["template"]))
            counts["written"] += 1

    written: list[tuple[str, Path]] = []
    summary = _task("shop_programme.html", programme_context(prog, res, cs), "", "programme-summary", formats, allowed)
    todo, keys = plan(summary)
    if todo:
        record(summary, keys, render_context({**summary, "formats": todo})["files"])
    for fmt in formats:
        written.append((f"Programme summary ({fmt.upper()})", out_dir / f"programme-summary.{fmt}"))

    def run_group(items: list[dict], label: str) -> int:
        tasks, keys_of = [], {}
        for item in items:
            todo, keys = plan(item)
            keys_of[item["name"]] = (item, keys)
            if todo:
                tasks.append(Task(item["name"], render_context, {**item, "formats": todo}))
        ok = len(items) - len(tasks)

        def on_done(outcome) -> None:
            nonlocal ok
            item, keys = keys_of[outcome.task.key]
            if outcome.ok:
                try:
                    record(item, keys, outcome.value["files"])
                    ok += 1
                    return
                except CxError as exc:
                    outcome.error = " ".join(exc.format_message().split())
            failures.append({"item": item["name"], "what": label, "reason": outcome.error})
            replaces.update(keys)

        run_tasks(tasks, options, label=label, on_done=on_done)
        return ok

    if locations:
        items = [_task("shop_location.html", location_context(prog, res, frame, loc.id, cs), "locations/",
                       f"location-{_slug(loc.id)}", formats, allowed)
                 for loc in prog.location_list if (res.visits["location_id"] == loc.id).any()]
        ok = run_group(items, "Location reports")
        written.append((f"Location reports ({ok})", out_dir / "locations"))
    if scoresheets:
        # Every visit (up to --wave), or only that wave's visits when --wave is given.
        waves = res.visits["wave"].to_numpy()
        idx = [i for i in range(len(res.visits)) if wave is None or waves[i] == wave]
        items = [_task("shop_scoresheet.html", scoresheet_context(prog, res, frame, i), "scoresheets/",
                       f"scoresheet-{visit_file_stem(res.visits.iloc[i]['visit_id'])}", formats, allowed) for i in idx]
        ok = run_group(items, "Scoresheets")
        written.append((f"Scoresheets ({ok})", out_dir / "scoresheets"))
    base = prog.base_dir
    inputs = manifest.hash_inputs(manifest.model_paths(prog) + [prog.ledger_path], base)
    from cxreport.batch import write_manifest

    path = write_manifest(
        out_dir, kind="shop report",
        source={"programme": {"file": str(Path(prog.path).resolve()), "sha256": sha256_file(prog.path)}},
        inputs=inputs, settings={"wave": wave, "scoresheets": scoresheets, "locations": locations,
                                 "formats": list(formats)},
        outputs=entries, failures=failures, previous=previous, replaces=replaces, started=started)
    written.append(("Manifest", path))
    import click

    n = counts["written"] + counts["skipped"]
    click.echo(f"{n} file{'s' if n != 1 else ''}: {counts['written']} written, {counts['skipped']} up to date, "
               f"{len(failures)} report{'s' if len(failures) != 1 else ''} failed "
               f"({time.perf_counter() - t0:.1f} s)", err=True)
    if failures:
        raise BatchFailed(f"{len(failures)} report(s) failed; the others were written",
                          [f"{f['item']}: {f['reason']}" for f in failures])
    return written
