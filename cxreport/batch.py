"""Batch builds of survey reports: many reports from one command (design notes in docs/batch.md).

:func:`build_reports` makes the client report (or quarterly review) of a project and,
optionally, one per unit of a segment (``--per``) with an index of them, skipping outputs
that are up to date according to ``manifest.json`` (:mod:`cxreport.manifest`). The reports
render as tasks of the executor (:mod:`cxreport.executor`: a process pool or a Dask
cluster); workers return the rendered files, the parent writes them atomically and records
them. Also here: the units of a segment and their file-name slugs (:func:`unit_slugs`).
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import hashlib
import re
import time
import unicodedata
from pathlib import Path
from typing import Any

import click

from cxreport import manifest
from cxreport.errors import CxError
from cxreport.executor import Options, Outcome, Task, reason, run_tasks

# --------------------------------------------------------------------------- names


#: Windows device names: never a file name's stem, whatever the extension ("NUL.txt" is NUL too).
_RESERVED = {"con", "prn", "aux", "nul", "conin$", "conout$", *(f"com{i}" for i in "0123456789¹²³"),
             *(f"lpt{i}" for i in "0123456789¹²³")}
#: Longest unit slug, in UTF-8 bytes (hash included): with the report's name and extension
#: the file name stays far below the 255 bytes every file system allows.
SLUG_BYTES = 80
#: Characters of the label's SHA-256 appended to a slug that is capped, empty, reserved,
#: taken twice, or looks like one that has a hash.
HASH_CHARS = 8
_HASHED = re.compile(rf"-[0-9a-f]{{{HASH_CHARS}}}$")


def slug(text: str) -> str:
    """A file-name-safe form of a unit name: letters and digits of any script kept
    (Chinese names stay Chinese), lower-cased, anything else (punctuation, spaces, invisible
    and control characters, lone surrogates) a single hyphen; never longer than
    :data:`SLUG_BYTES` bytes; ``unit`` when nothing is left. :func:`unit_slugs` makes them
    unique."""
    return _cap(_slug_text(text), SLUG_BYTES) or "unit"


def _slug_text(text: str) -> str:
    """NFKC, case-folded, every run of anything but letters and digits one hyphen (uncapped)."""
    text = unicodedata.normalize("NFKC", str(text).encode("utf-8", "replace").decode("utf-8")).casefold()
    return re.sub(r"[^\w]+|_+", "-", text, flags=re.UNICODE).strip("-")


def _cap(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes (at a character boundary), no hyphen at the end."""
    data = text.encode("utf-8")
    if len(data) > limit:
        text = data[:limit].decode("utf-8", "ignore")
    return text.strip("-")


def _label_hash(label: str, chars: int = HASH_CHARS) -> str:
    return hashlib.sha256(str(label).encode("utf-8", "surrogatepass")).hexdigest()[:chars]


def unit_slugs(labels: list[str], reserved: set[str] = frozenset()) -> dict[str, str]:
    """A unique slug per label, stable from one build to the next and whatever the order of
    the labels. A slug gets a short hash of its label appended (``-1a2b3c4d``) when the
    label's own slug was capped at :data:`SLUG_BYTES`, came out empty, is reserved (or a
    Windows device name), is shared by another label, or itself ends like a hash; so slugs
    without a hash are unique among themselves and can never equal one with a hash. File
    names are unique by construction, also on file systems that ignore case."""
    labels = list(dict.fromkeys(labels))
    base = {}
    for label in labels:
        full = _slug_text(label)
        capped = _cap(full, SLUG_BYTES)
        base[label] = (capped, not capped or capped != full)      # (slug, capped or empty)
    counts = collections.Counter(s for s, _cut in base.values())
    out: dict[str, str] = {}
    for label, (s, cut) in base.items():
        if cut or counts[s] > 1 or s in reserved or s in _RESERVED or _HASHED.search(s):
            s = f"{_cap(s or 'unit', SLUG_BYTES - HASH_CHARS - 1) or 'unit'}-{_label_hash(label)}"
        out[label] = s
    # Two hashes alike (one chance in four billion per pair): longer hashes for those labels.
    taken = collections.Counter(out.values())
    for label, s in out.items():
        if taken[s] > 1:
            out[label] = f"{_cap(s[:-HASH_CHARS - 1], SLUG_BYTES - 33) or 'unit'}-{_label_hash(label, 32)}"
    return out


# --------------------------------------------------------------------------- batch builds


@dataclasses.dataclass
class Unit:
    label: str
    slug: str
    base: int                     # respondents in the reporting window
    status: str = "written"       # written | up to date | failed
    period: str = ""              # the reporting window's label
    error: str | None = None
    files: dict[str, str] = dataclasses.field(default_factory=dict)   # format → file name


@dataclasses.dataclass
class BatchResult:
    out_dir: Path
    paths: dict[str, Path]                           # the total report: format → path
    warnings: list[str]
    units: list[Unit]
    written: int = 0
    skipped: int = 0
    failures: list[str] = dataclasses.field(default_factory=list)
    index: Path | None = None
    manifest: Path | None = None
    seconds: float = 0.0

    def summary(self) -> str:
        n = self.written + self.skipped
        failed = len(self.failures)
        failed_text = f"; {failed} report{'s' if failed != 1 else ''} failed" if failed else ""
        return (f"{n} file{'s' if n != 1 else ''}: {self.written} written, {self.skipped} up to date"
                f"{failed_text} ({self.seconds:.1f} s)")


def check_segment(project, per: str) -> str:
    """The segment named by ``--per``, or a usage error with a suggestion."""
    from cxreport.util import did_you_mean

    names = list(project.columns.segments)
    if per in names:
        return per
    folded = {n.casefold(): n for n in names}
    if per.casefold() in folded:
        return folded[per.casefold()]
    listed = ", ".join(names) if names else "none (add columns.segments to the project file)"
    raise click.BadParameter(f"no segment '{per}' in the project{did_you_mean(per, names)}; its segments: {listed}",
                             param_hint="--per")


_PROJECTS: dict[tuple, Any] = {}


def _project(payload: dict):
    """The project of a task, loaded once per worker (and checked to be the parent's)."""
    from cxreport.config import load_project
    from cxreport.util import sha256_file

    path = Path(payload["project"])
    if sha256_file(path) != payload["project_sha256"]:
        raise CxError(f"{path}: the project file changed during the build (or differs on this worker)")
    key = (str(path), payload["project_sha256"], payload["allow_outside"])
    if key not in _PROJECTS:
        _PROJECTS.clear()
        _PROJECTS[key] = load_project(path, allow_outside=payload["allow_outside"])
    project = _PROJECTS[key]
    if payload.get("period"):
        # The window the parent chose (the project file's, the review's or --period).
        period, origin = payload["period"]
        report = project.report.model_copy(update={"period": period, "period_from": origin})
        project = project.model_copy(update={"report": report})
    return project


def _build_files(project, payload: dict, study=None) -> dict:
    """Build into a private temporary folder and return the files' bytes."""
    import shutil
    import tempfile

    from cxreport.build import build

    tmp = Path(tempfile.mkdtemp(prefix="cxreport-"))
    try:
        result = build(project, tmp, formats=tuple(payload["formats"]), report=payload["report"],
                       strict=payload["strict"], build_date=payload["build_date"], study=study, name=payload["name"],
                       cache=payload.get("cache"))
        files = {p.name: p.read_bytes() for p in sorted(tmp.iterdir()) if p.is_file()}
        return {"files": files, "warnings": result.warnings}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def render_total(payload: dict) -> dict:
    """Task: the whole project's report, exactly as ``cxreport build`` makes it."""
    return _build_files(_project(payload), payload)


def unit_narrative(project, slug: str, allow_outside: bool = False) -> Path | None:
    """The unit's own narrative file (``report.narrative.per_unit`` with ``{unit}`` filled in
    by the unit's slug), when the project names a pattern and the file exists; a path that
    leaves the project folder is an error (unless outside paths are allowed)."""
    from cxreport.config.paths import resolve_in_project
    from cxreport.errors import ConfigError

    pattern = project.report.narrative.per_unit
    if not pattern:
        return None
    text = pattern.replace("{unit}", slug)
    try:
        path = resolve_in_project(text, {"base_dir": project.base_dir, "allow_outside": allow_outside},
                                  must_exist=False)
    except ValueError as exc:
        raise ConfigError(f"report.narrative.per_unit: {exc}") from None
    return path if path.is_file() else None


def unit_project(project, label: str, narrative_file: Path | None):
    """The project as a unit's report sees it: titled with the unit, and with none of the
    network's prose: the executive summary (and the quarterly review's commentary) is the
    unit's own narrative file or nothing, and there are no recommendations."""
    narrative = project.report.narrative.model_copy(update={"executive_summary": narrative_file,
                                                            "recommendations": None})
    report = project.report.model_copy(update={"title": f"{project.report.title} — {label}", "narrative": narrative})
    quarterly = project.quarterly.model_copy(update={"narrative": narrative_file})
    return project.model_copy(update={"report": report, "quarterly": quarterly})


def render_unit(payload: dict) -> dict:
    """Task: one unit's report, from the unit's validated respondents (every response, so
    that trends and comparisons work), for the network's reporting window, compared with the
    network and its parent unit (the payload's :class:`~cxreport.scoring.units.UnitReport`)."""
    import pandas as pd

    from cxreport.load.tabular import Table
    from cxreport.pipeline import score_unit

    project = _project(payload)
    unit = payload["unit"]
    unit_report = unit["report"]
    unit_report = dataclasses.replace(
        unit_report, narrative=unit_narrative(project, unit_report.slug, payload["allow_outside"]))
    project = unit_project(project, unit["label"], unit_report.narrative)
    table = Table(pd.DataFrame(), unit["file"], Path(project.survey.file))
    from cxreport import i18n

    from cxreport import cache

    # In the report's language (words made while scoring are the report's), through the build's cache.
    with i18n.use_language(project.language), cache.using(payload.get("cache")):
        study = score_unit(project, table, unit["data"], window=unit["window"], competitors=unit["competitors"],
                           unit=unit_report, strict=payload["strict"])
    result = _build_files(project, payload, study)
    result["warnings"] = [*result["warnings"], *unit_report.notes]
    return result


def _output_files(name: str, formats: tuple[str, ...]) -> dict[str, str]:
    return {fmt: f"{name}.{fmt}" for fmt in formats}


def build_reports(project, out_dir: Path, *, formats: tuple[str, ...] = ("html", "pdf"), report: str = "client",
                  strict: bool = False, per: str | None = None, options: Options | None = None,
                  build_date: dt.date | None = None, allow_outside: bool = False,
                  cache: Path | None = None) -> BatchResult:
    """Build the report of ``project`` (a loaded Project) into ``out_dir`` and, with
    ``per``, one per unit of that segment plus an index; record everything in
    ``manifest.json``. Outputs that are up to date are skipped unless ``options.force``.

    A single build (no ``per``) raises the build's own error (exit 1) when it fails; a
    batch collects failures and raises :class:`~cxreport.executor.BatchFailed` (exit 3) at the end, after
    writing everything else, the index and the manifest.
    """
    from cxreport.present.render import write_outputs
    from cxreport.util import sha256_file

    t0 = time.perf_counter()
    options = options or Options()
    from cxreport.build import window_for

    project = window_for(project, report)
    out_dir = Path(out_dir)
    started = manifest.now()
    if per is not None:
        per = check_segment(project, per)
    project_file = Path(project.path)
    project_sha = sha256_file(project_file)
    base = project.base_dir
    inputs = manifest.hash_inputs(manifest.project_inputs(project), base)
    name = project.report.output_name + ("-quarterly" if report == "quarterly" else "")
    settings = {"report": report, "formats": list(formats), "per": per, "language": project.language,
                "strict": strict, "build_date": build_date.isoformat() if build_date else None,
                "period": project.report.period}
    # What an output's content depends on (not: strict, the other formats, per for the total).
    # The window is part of it: `--period` changes the reports without changing the project file.
    key_base = {"tool": manifest.tool_fingerprint(), "project": project_sha, "inputs": inputs,
                "report": report, "build_date": settings["build_date"], "period": project.report.period}

    def key(fmt: str, unit: str | None) -> str:
        return manifest.digest({**key_base, "format": fmt, "unit": [per, unit] if unit is not None else None})

    previous, warning = manifest.read(out_dir)
    warnings = [warning] if warning else []
    entries: list[dict] = []
    failures: list[dict] = []
    replaces: set[str] = set()
    counts = {"written": 0, "skipped": 0}

    def fresh(file: str, k: str) -> bool:
        return not options.force and previous.up_to_date(out_dir, file, k)

    def keep(file: str) -> None:
        entries.append(previous.outputs[file])
        counts["skipped"] += 1

    payload_base = {"project": str(project_file.resolve()), "project_sha256": project_sha,
                    "allow_outside": allow_outside, "report": report, "strict": strict, "build_date": build_date,
                    "period": [project.report.period, project.report.period_from],
                    "cache": str(cache) if cache is not None else None}   # docs/cache.md; shared by the workers
    # The project is loaded already: a task run in this process (or a forked worker) reuses it
    # instead of validating the project file again; _project re-applies the window from the payload.
    _PROJECTS.clear()
    _PROJECTS[(payload_base["project"], project_sha, allow_outside)] = project

    # ---- the total
    total_files = _output_files(name, formats)
    total_todo = [fmt for fmt, f in total_files.items() if not fresh(f, key(fmt, None))]
    for fmt, f in total_files.items():
        if fmt not in total_todo:
            keep(f)

    # ---- the units
    units: list[Unit] = []
    unit_tasks: list[Task] = []
    if per is not None:
        same = previous.data.get("settings", {})
        previous_units = previous.data.get("units") if (same.get("per") == per
                                                        and same.get("period") == project.report.period) else None
        can_skip_reading = (not options.force and previous_units is not None
                            and previous.data.get("inputs") == inputs
                            and previous.data.get("project", {}).get("sha256") == project_sha)
        if can_skip_reading:
            listed = [Unit(u["label"], u["slug"], u["base"], period=u.get("period", "")) for u in previous_units]
            can_skip_reading = all(fresh(f, key(fmt, u.label))
                                   for u in listed for fmt, f in _output_files(f"{name}-{u.slug}", formats).items())
        if can_skip_reading:
            # Nothing changed: the unit list is the previous build's; no data is read.
            for u in listed:
                u.status = "up to date"
                u.files = _output_files(f"{name}-{u.slug}", formats)
                for f in u.files.values():
                    keep(f)
            units = listed
        else:
            from cxreport import cache as cache_store

            with cache_store.using(cache):
                units, unit_tasks = _plan_units(project, per, name, formats, payload_base, strict, key, fresh, keep)
        # Outputs of units that no longer exist are dropped from the manifest.
        current = {f for u in units for f in _output_files(f"{name}-{u.slug}", formats).values()}
        replaces |= {f for f, o in previous.outputs.items()
                     if o.get("segment") == per and o.get("unit") is not None and f not in current}

    tasks: list[Task] = []
    if total_todo:
        # The whole project: the longest task, first; its worker is replaced afterwards.
        tasks.append(Task(name, render_total, {**payload_base, "formats": total_todo, "name": name}, heavy=True))
    tasks += unit_tasks
    by_key = {u.slug: u for u in units}
    total_paths: dict[str, Path] = {}

    def on_done(outcome: Outcome) -> None:
        task = outcome.task
        unit = by_key.get(task.key[len(name) + 1:]) if task.key != name else None
        label = f"{per} '{unit.label}'" if unit else "the total report"
        if outcome.ok:
            files = outcome.value["files"]
            try:
                write_outputs(files, out_dir)
            except CxError as exc:
                outcome.error = reason(exc)
            else:
                for w in outcome.value["warnings"]:
                    if w not in warnings:
                        warnings.append(w)
                for file in files:
                    fmt = Path(file).suffix[1:]
                    entries.append(manifest.output_entry(
                        out_dir, file, key(fmt, unit.label if unit else None), format=fmt, report=report,
                        segment=per if unit else None, unit=unit.label if unit else None,
                        inputs=[manifest.rel(project_file, base), *inputs]))
                    counts["written"] += 1
                    if unit:
                        unit.files[fmt] = file
                return
        failures.append({"item": task.key, "what": label, "reason": outcome.error})
        if unit:
            unit.status, unit.error = "failed", outcome.error
            replaces.update(_output_files(task.key, formats).values())
        else:
            replaces.update(total_files.values())

    if tasks and per is not None:
        from cxreport.present.render import ensure_output_folder

        ensure_output_folder(out_dir)    # before a batch starts
    if tasks:
        where = ("in this process" if options.executor != "dask" and (options.workers == 1 or len(tasks) == 1)
                 else f"on the Dask cluster at {options.scheduler}" if options.executor == "dask"
                 else f"on {min(options.workers, len(tasks))} worker processes")
        if per is not None:
            click.echo(f"Rendering {len(tasks)} report{'s' if len(tasks) != 1 else ''} {where} …", err=True)
        if per is None and options.executor != "dask":
            # A single report: built here, its errors are the command's errors (exit 1).
            payload = tasks[0].payload
            result = render_total(payload)
            on_done(Outcome(tasks[0], result))
        else:
            run_tasks(tasks, options, label="Reports", on_done=on_done,
                      preload=("cxreport.batch", "cxreport.build", "cxreport.present.context"))
    if per is None and failures:
        raise CxError(failures[0]["reason"])

    for fmt, f in total_files.items():
        if (out_dir / f).is_file() and not any(x["item"] == name for x in failures):
            total_paths[fmt] = out_dir / f
    index = None
    if per is not None:
        for u in units:
            for fmt, f in _output_files(f"{name}-{u.slug}", formats).items():
                if u.status != "failed" and (out_dir / f).is_file():
                    u.files[fmt] = f
        index = _write_index(project, out_dir, name, per, units, total_paths, report)
        entries.append(manifest.output_entry(out_dir, index.name, manifest.digest(index.read_bytes()),
                                             format="html", report=report, segment=per, unit=None, kind="index"))
    source = {"project": {"file": str(project_file.resolve()), "sha256": project_sha}}
    if per is not None:
        source["units"] = [{"label": u.label, "slug": u.slug, "base": u.base, "period": u.period} for u in units]
    manifest_path = None
    if entries or failures:
        manifest_path = manifest.write(out_dir, kind="build", source=source, inputs=inputs, settings=settings,
                                       outputs=entries, failures=failures, previous=previous, replaces=replaces,
                                       started=started)
    result = BatchResult(out_dir, total_paths, warnings, units, counts["written"], counts["skipped"],
                         [f"{x['item']} ({x['what']}): {x['reason']}" for x in failures], index, manifest_path,
                         time.perf_counter() - t0)
    return result


def _plan_units(project, per: str, name: str, formats, payload_base: dict, strict: bool, key, fresh, keep):
    """Score the whole project once; one task per unit whose outputs are not up to date,
    carrying that unit's validated respondents (every response: trends and comparisons),
    the network's reporting window and the unit's comparison with the network
    (:func:`cxreport.scoring.units.unit_reports`, computed for all units at once)."""
    import numpy as np

    from cxreport import i18n
    from cxreport.pipeline import run
    from cxreport.scoring.kpis import BaseRules
    from cxreport.scoring.units import unit_reports
    from cxreport.validate import subset

    # In the report's language: period labels and default KPI names made here are the units'.
    with i18n.use_language(project.language):
        study = run(project, strict=strict)       # a project that cannot be built fails here (exit 1)
        full, window = study.full, study.window
        competitors, file_name = study.competitors, study.table.name
        group = next(g for g in full.segments if g.name == per)
        slugs = unit_slugs(group.labels, reserved={"index"})
        reports = unit_reports(study.data, per, rules=BaseRules(project.bases.suppress_below, project.bases.flag_below),
                               alpha=project.significance.alpha, period=window.label, network=project.client.name,
                               slugs=slugs, hierarchy=project.hierarchy, structure=full)
    del study                                  # the raw text table is no longer needed
    order = np.argsort(group.codes, kind="stable")
    counts = np.bincount(group.codes, minlength=len(group.labels))
    starts = np.concatenate([[0], np.cumsum(counts)])
    units: list[Unit] = []
    tasks: list[Task] = []
    for code, label in enumerate(group.labels):
        unit = Unit(label, slugs[label], int(reports[label].base), period=window.label)
        units.append(unit)
        unit_name = f"{name}-{unit.slug}"
        files = _output_files(unit_name, formats)
        todo = [fmt for fmt, f in files.items() if not fresh(f, key(fmt, label))]
        for fmt, f in files.items():
            if fmt not in todo:
                keep(f)
                unit.files[fmt] = f
        if not todo:
            unit.status = "up to date"
            continue

        def make(rows=order[starts[code]:starts[code + 1]], label=label, todo=todo, unit_name=unit_name):
            return {**payload_base, "formats": todo, "name": unit_name,
                    "unit": {"segment": per, "label": label, "file": file_name,
                             "data": subset(project, full, rows), "competitors": competitors,
                             "window": window, "report": reports[label]}}

        tasks.append(Task(unit_name, render_unit, make_payload=make))
    return units, tasks


def _write_index(project, out_dir: Path, name: str, per: str, units: list[Unit], total: dict[str, Path],
                 report: str) -> Path:
    """``<name>-index.html``: every unit with its base and links to its reports."""
    from cxreport import __version__, i18n

    with i18n.use_language(project.language):    # the index page in the report's language
        return _index_page(project, out_dir, name, report, per, units, total, __version__)


def _index_page(project, out_dir: Path, name: str, report: str, per: str, units: list[Unit],
                total: dict[str, Path], version: str) -> Path:
    import urllib.parse

    from cxreport.i18n import _
    from cxreport.present.render import brand_css, make_environment

    rows = [{"label": u.label, "base": u.base, "status": u.status, "error": u.error,
             "links": [{"format": fmt.upper(), "href": urllib.parse.quote(f)} for fmt, f in sorted(u.files.items())]}
            for u in units]
    title = project.report.title + (" — " + _("Quarterly management review") if report == "quarterly" else "")
    context = {
        "lang": project.language, "version": version, "segment": per,
        "client": {"name": project.client.name},
        "report": {"title": title, "subtitle": None, "prepared_by": project.report.prepared_by,
                   "date": project.report.date or dt.date.today(), "confidentiality": project.report.confidentiality},
        "total": [{"format": fmt.upper(), "href": urllib.parse.quote(p.name)} for fmt, p in sorted(total.items())],
        "units": rows, "total_base": sum(u.base for u in units),
        "period": next((u.period for u in units if u.period), ""),
    }
    env = make_environment()
    html = env.get_template("batch_index.html").render(
        **context, brand_css=brand_css({"primary": project.brand.primary, "accent": project.brand.accent,
                                                "font": project.brand.font}, project.language))
    path = out_dir / f"{name}-index.html"
    data = html.encode("utf-8")
    if not (path.is_file() and path.read_bytes() == data):
        from cxreport.present.render import write_outputs

        write_outputs({path.name: data}, out_dir)
    return path
