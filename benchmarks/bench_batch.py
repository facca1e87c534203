"""Benchmark: per-branch batch builds (``cxreport build --per Branch``), docs/performance.md.

A synthetic 1,000,000-response project with 1,000 branches (NPS, CSAT, CES, 10 attributes,
region, branch, channel, weights, four quarters; the data generator of bench_scoring.py).

1. Score the whole project once in the parent (what every --per build does first).
2. Render the same UNITS branch reports (HTML + PDF) three ways, timing the executor only:
   in this process (one worker), on the process pool with 2 workers, and on a Dask
   LocalCluster with 2 single-threaded worker processes (pool and Dask alternate for
   ROUNDS rounds; the fastest run of each counts, the machine being shared). Throughput,
   speed-up over one worker, the Dask overhead against the pool, CPU seconds per report
   (independent of other load) and the workers' peak resident memory by third of the
   batch (pool workers are replaced after 50 reports).
3. The full batch, HTML only: ``build_reports(--per Branch)`` for all 1,000 branches plus the
   total, then the same build again with nothing changed (every output up to date).

    python benchmarks/bench_batch.py [--rows N] [--branches N] [--units N] [--rounds N] [--skip-single] [--skip-full]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bench_scoring import ATTRS
from bench_scoring import PROJECT as SCORING_PROJECT
from bench_scoring import synthetic as scoring_synthetic


def synthetic(n: int, branches: int, seed: int = 7) -> pd.DataFrame:
    """bench_scoring.py's generator, with ``branches`` branches."""
    return scoring_synthetic(n, seed, branches=branches, branch_name="Branch {:04d}")


def peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


PROJECT = SCORING_PROJECT + """targets: {nps: 20, csat: 70}
report: {title: Branch experience review, date: 2026-03-31}
"""


def make_project(folder: Path, rows: int, branches: int) -> Path:
    frame = synthetic(rows, branches)
    frame.to_csv(folder / "data.csv", index=False)
    (folder / "cxreport.yaml").write_text(PROJECT % ", ".join(f"{a}: {a}" for a in ATTRS), encoding="utf-8")
    return folder / "cxreport.yaml"


def unit_tasks(project, n: int, formats: tuple[str, ...]):
    """The first ``n`` branch tasks of a --per Branch build (nothing up to date)."""
    from cxreport import batch
    from cxreport.util import sha256_file

    payload = {"project": str(Path(project.path).resolve()), "project_sha256": sha256_file(project.path),
               "allow_outside": False, "report": "client", "strict": False, "build_date": None}
    t = time.perf_counter()
    units, tasks = batch._plan_units(project, "Branch", "report", formats, payload, False,
                                     key=lambda fmt, unit: "", fresh=lambda f, k: False, keep=lambda f: None)
    return units, tasks[:n], time.perf_counter() - t


def timed(tasks, options) -> tuple[float, list]:
    from cxreport.executor import run_tasks

    t = time.perf_counter()
    outcomes = run_tasks(tasks, options, label="Reports")
    elapsed = time.perf_counter() - t
    failed = [o for o in outcomes if not o.ok]
    if failed:
        print(f"  {len(failed)} failed, e.g. {failed[0].task.key}: {failed[0].error}")
    return elapsed, outcomes


def cpu_per_report(outcomes) -> float:
    return sum(o.cpu_seconds for o in outcomes) / max(len(outcomes), 1)


def load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def memory_by_third(outcomes) -> str:
    """Largest worker peak RSS (MB) in each third of the batch, in completion order."""
    rss = [o.rss_mb for o in outcomes if o.rss_mb]
    parts = [max(part) for part in np.array_split(np.array(rss), 3) if len(part)]
    return " / ".join(f"{p:.0f}" for p in parts)


def part2(args, units, tasks, t_plan) -> None:
    from cxreport.executor import Options

    n = len(tasks)
    print(f"2. {n} branch reports, HTML + PDF")
    if not args.skip_single:
        t1, o1 = timed(tasks, Options(jobs=1))
        print(f"   one worker (in this process):  {t1:6.1f} s   {n / t1:5.2f} reports/s   {t1 / n:5.2f} s per report   "
              f"CPU {cpu_per_report(o1):4.2f} s per report   {load()}")
    from distributed import LocalCluster

    # The machine is shared: pool and Dask runs alternate, and the fastest of each counts.
    pool_runs, dask_runs = [], []
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        for r in range(args.rounds):
            t2, o2 = timed(tasks, Options(jobs=2))
            pool_runs.append((t2, o2))
            print(f"   round {r + 1}: process pool, 2 workers:  {t2:6.1f} s   CPU {cpu_per_report(o2):4.2f} s per report"
                  f"   worker peak RSS by third (MB): {memory_by_third(o2)}   {load()}")
            t3, o3 = timed(tasks, Options(executor="dask", scheduler=cluster.scheduler_address))
            dask_runs.append((t3, o3))
            print(f"   round {r + 1}: Dask LocalCluster, 2 workers: {t3:6.1f} s   CPU {cpu_per_report(o3):4.2f} s per report"
                  f"   worker peak RSS by third (MB): {memory_by_third(o3)}   {load()}")
    t2 = min(t for t, _o in pool_runs)
    t3 = min(t for t, _o in dask_runs)
    print(f"   process pool (fastest run):    {t2:6.1f} s   {n / t2:5.2f} reports/s"
          + (f"   speed-up over one worker {t1 / t2:4.2f}x (target >= 1.8x)" if not args.skip_single else ""))
    print(f"   Dask (fastest run):            {t3:6.1f} s   {n / t3:5.2f} reports/s   "
          f"overhead against the pool {100 * (t3 / t2 - 1):+5.1f} % (target <= 15 %)")
    full = t_plan + (len(units) + 1) * t2 / n
    print(f"   estimate for all {len(units) + 1:,} reports (HTML + PDF) on the pool: {full / 60:5.1f} min")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--branches", type=int, default=1_000)
    parser.add_argument("--units", type=int, default=60, help="branch reports rendered in part 2 (0: skip it)")
    parser.add_argument("--skip-full", action="store_true", help="skip part 3 (the full HTML batch)")
    parser.add_argument("--skip-single", action="store_true", help="skip the one-worker run of part 2")
    parser.add_argument("--rounds", type=int, default=2, help="alternating pool and Dask runs in part 2")
    args = parser.parse_args()

    from cxreport.batch import build_reports
    from cxreport.executor import Options
    from cxreport.config import load_project

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_project(folder, args.rows, args.branches)
        project = load_project(folder / "cxreport.yaml")
        units, tasks, t_plan = unit_tasks(project, args.units, ("html", "pdf"))
        bases = [u.base for u in units]
        print(f"responses: {args.rows:,}   branches: {len(units):,} (base {min(bases)}–{max(bases)})   "
              f"cores: {os.cpu_count()}   {load()}")
        print(f"1. read, validate and score the whole project once: {t_plan:6.1f} s   "
              f"(parent peak memory {peak_mb():,.0f} MB)")

        n = len(tasks)
        if n:
            part2(args, units, tasks, t_plan)

        if not args.skip_full:
            out = folder / "out"
            print(f"3. the full batch, HTML only: {len(units):,} branch reports + the total")
            t = time.perf_counter()
            first = build_reports(project, out, formats=("html",), per="Branch", options=Options(jobs=2))
            t_first = time.perf_counter() - t
            print(f"   first build:    {t_first:7.1f} s   {first.summary()}")
            t = time.perf_counter()
            again = build_reports(project, out, formats=("html",), per="Branch", options=Options(jobs=2))
            t_again = time.perf_counter() - t
            print(f"   repeated build: {t_again:7.1f} s   {again.summary()}   "
                  f"{100 * t_again / t_first:4.1f} % of the first (target <= 5 %)")


if __name__ == "__main__":
    main()
