"""Benchmark (issue 17): a rebuild after editing only the narrative, against WeasyPrint alone on
the HTML that rebuild handed to WeasyPrint (target ≤ 1.1×), with the build cache (docs/cache.md).

For each sample project, in a temporary copy of its folder:

1. one build, ``cxreport build <copy> -o <out> --format pdf``: fills the cache beside ``<out>``;
2. N times, alternating: the narrative file (``report.narrative.executive_summary``) gets a new
   last paragraph, then
   (a) the whole command rebuilds, ``cxreport build <copy> -o <out> --format pdf`` (run through
       bench_overhead's capture wrapper, which records the HTML the build gives WeasyPrint);
   (b) WeasyPrint alone makes the PDF from that HTML (bench_overhead's script, same call);
   each rebuild's report must contain the new paragraph;
3. cold against warm for an unchanged rebuild: ``--force`` with the cache folder deleted first
   (cold: everything scored, drawn and stored) and ``--force`` with the cache filled (warm).

Wall time, CPU time (user + sys of the child and its children) and peak RSS of each child are
printed per run, then medians and ratios.

    python benchmarks/bench_rebuild.py                 # both samples, N = 5, 3 cold/warm pairs
    python benchmarks/bench_rebuild.py --project samples/huayue-retail/cxreport.yaml -n 3 --force-runs 2
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import installed_bytecode  # noqa: E402
from bench_overhead import CAPTURE, CHILD_ENV, DEFAULT_PROJECTS, ROOT, WEASY_ALONE, cxreport_exe, page_count, \
    timed  # noqa: E402

TARGET = 1.1      # narrative-only rebuild / WeasyPrint alone (issue 17)


def narrative_file(project: Path) -> Path:
    import yaml

    data = yaml.safe_load(project.read_text(encoding="utf-8"))
    return project.parent / data["report"]["narrative"]["executive_summary"]


def bench_project(source: Path, n: int, force_runs: int, work: Path) -> dict:
    label = source.parent.name
    copy = work / label
    shutil.copytree(source.parent, copy, ignore=shutil.ignore_patterns("out", ".cxreport-cache"))
    project = copy / source.name
    out = work / f"{label}-run" / "out"     # its cache: work/<label>-run/.cxreport-cache
    shown = source.parent.relative_to(ROOT) if source.is_relative_to(ROOT) else source.parent
    print(f"\n== {label}  (a copy of {shown})", flush=True)
    first = timed([cxreport_exe(), "build", str(project), "-o", str(out), "--format", "pdf"])
    from cxreport.cache import default_dir

    cache = default_dir(out)          # .cxreport-cache beside the output folder
    size = sum(p.stat().st_size for p in cache.rglob("*") if p.is_file()) / 1e6
    print(f"first build (cache filled): {first['wall']:.2f} s wall, {first['cpu']:.2f} s CPU; "
          f"cache {size:.1f} MB", flush=True)
    from cxreport.resources import templates_dir

    base_url = str(templates_dir()) + os.sep
    story = narrative_file(project)
    original = story.read_text(encoding="utf-8")
    whole, alone, breakdowns = [], [], []
    print(f"{'run':>3}  {'rebuild wall':>12} {'cpu':>6} {'RSS MB':>7} {'pages':>5}   "
          f"{'alone wall':>10} {'cpu':>6} {'RSS MB':>7} {'pages':>5}", flush=True)
    for i in range(n):
        marker = f"Narrative edit number {i + 1} for the rebuild benchmark."
        story.write_text(original.rstrip() + f"\n\n{marker}\n", encoding="utf-8")
        dump = work / f"{label}-rebuild-{i}"
        a = timed([sys.executable, "-c", CAPTURE, str(dump), "build", str(project), "-o", str(out), "--format", "pdf"])
        pdf = out / "report.pdf"
        a["pages"] = page_count(pdf)
        html = dump.with_suffix(".html").read_text(encoding="utf-8")
        if marker not in html:
            sys.exit(f"the rebuild's report does not show the edited narrative ({label}, run {i + 1})")
        record = json.loads(dump.with_suffix(".json").read_text())
        breakdowns.append(record)
        b_out = work / f"{label}-alone-{i}.pdf"
        b = timed([sys.executable, "-c", WEASY_ALONE, str(dump.with_suffix(".html")), base_url, str(b_out)])
        b["pages"] = page_count(b_out)
        whole.append(a)
        alone.append(b)
        # A miss means cxreport's code changed since the cache was filled (an edited checkout).
        hit = "study (from the cache)" in record.get("timings", {})
        print(f"{i + 1:>3}  {a['wall']:>10.2f} s {a['cpu']:>5.2f}s {a['rss_mb']:>7.0f} {a['pages']:>5}   "
              f"{b['wall']:>8.2f} s {b['cpu']:>5.2f}s {b['rss_mb']:>7.0f} {b['pages']:>5}   "
              f"study {'from the cache' if hit else 'SCORED (cache miss)'}", flush=True)
    steps = breakdowns[-1].get("timings", {})
    print("breakdown of the last rebuild, seconds: start-up and imports before build() "
          f"{breakdowns[-1].get('before build', 0):.2f}; "
          + "; ".join(f"{k} {v:.2f}" for k, v in steps.items())
          + f"; build() {breakdowns[-1].get('build()', 0):.2f}", flush=True)

    def med(runs, key):
        return statistics.median(r[key] for r in runs)

    res = {"label": label, "n": n}
    for name, runs in (("rebuild", whole), ("alone", alone)):
        for key in ("wall", "cpu", "rss_mb"):
            res[f"{name}_{key}"] = med(runs, key)
    res["ratio_wall"] = res["rebuild_wall"] / res["alone_wall"]
    res["ratio_cpu"] = res["rebuild_cpu"] / res["alone_cpu"]
    same = sorted({r["pages"] for r in whole}) == sorted({r["pages"] for r in alone})
    print(f"med  {res['rebuild_wall']:>10.2f} s {res['rebuild_cpu']:>5.2f}s {res['rebuild_rss_mb']:>7.0f}         "
          f"{res['alone_wall']:>8.2f} s {res['alone_cpu']:>5.2f}s {res['alone_rss_mb']:>7.0f}")
    print(f"narrative-only rebuild / WeasyPrint alone: wall {res['ratio_wall']:.2f}×, CPU {res['ratio_cpu']:.2f}×  "
          f"(target ≤ {TARGET}×: {'met' if res['ratio_wall'] <= TARGET else 'NOT met'}); page counts "
          f"{'equal' if same else 'DIFFERENT'}", flush=True)
    story.write_text(original, encoding="utf-8")

    # Cold against warm, nothing edited: --force rebuilds although manifest.json says up to date.
    cold, warm = [], []
    for i in range(force_runs):
        shutil.rmtree(cache, ignore_errors=True)
        c = timed([cxreport_exe(), "build", str(project), "-o", str(out), "--format", "pdf", "--force"])
        w = timed([cxreport_exe(), "build", str(project), "-o", str(out), "--format", "pdf", "--force"])
        cold.append(c)
        warm.append(w)
        print(f"--force {i + 1}: cold (empty cache) {c['wall']:.2f} s wall {c['cpu']:.2f} s CPU; "
              f"warm {w['wall']:.2f} s wall {w['cpu']:.2f} s CPU", flush=True)
    if force_runs:
        for name, runs in (("cold", cold), ("warm", warm)):
            for key in ("wall", "cpu", "rss_mb"):
                res[f"{name}_{key}"] = med(runs, key)
        print(f"--force medians: cold {res['cold_wall']:.2f} s wall, {res['cold_cpu']:.2f} s CPU; "
              f"warm {res['warm_wall']:.2f} s wall, {res['warm_cpu']:.2f} s CPU "
              f"(warm / cold {res['warm_wall'] / res['cold_wall']:.2f}× wall)", flush=True)
    return res


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, action="append",
                        help="a cxreport.yaml (repeatable; default: Harbour Bank and Huayue samples)")
    parser.add_argument("-n", "--runs", type=int, default=5, help="narrative edits and rebuilds (default 5)")
    parser.add_argument("--force-runs", type=int, default=3, help="cold/warm --force pairs (default 3)")
    parser.add_argument("--json", type=Path, help="also write the medians to this JSON file")
    args = parser.parse_args()
    projects = [p.resolve() for p in (args.project or DEFAULT_PROJECTS)]
    CHILD_ENV.update(installed_bytecode())      # cxreport as installed: its bytecode compiled
    print(f"cores {os.cpu_count()}; load average at start {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
          f"N = {args.runs}", flush=True)
    results = []
    # The per-user key that signs cached studies lives outside the project (docs/cache.md).
    with tempfile.TemporaryDirectory(prefix="cx-rebuild-") as tmp:
        for project in projects:
            results.append(bench_project(project, args.runs, args.force_runs, Path(tmp)))
    print(f"load average at end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
