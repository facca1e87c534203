"""Benchmarks for mystery shopping.

1. Score 100,000 synthetic visits of the sample questionnaire (target ≤ 2 s).
2. Render 500 scoresheet PDFs on all cores (target ≤ 60 s on 2 cores, issue 17), sampling
   the resident memory of every worker process once a second to show it stays flat.

    python benchmarks/bench_shop.py [--visits N] [--sheets N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "harbour-bank-shop"


def synthetic_answers(prog, n: int, seed: int = 3) -> tuple[pd.DataFrame, list[str]]:
    rng = np.random.default_rng(seed)
    channels = rng.choice(["branch", "phone", "email", "chat"], n)
    columns = {}
    for _s, item in prog.questionnaire.items():
        if item.type == "yes_no":
            choices = ["yes", "no"] + (["N/A"] if item.na_allowed else [])
            values = rng.choice(choices, n, p=[0.8, 0.15, 0.05] if item.na_allowed else [0.85, 0.15])
        elif item.type == "scale":
            values = rng.choice([o.label for o in item.options], n)
        elif item.type == "multi_check":
            ids = [o.id or o.label for o in item.options]
            values = np.array([";".join(ids[: k]) or "none" for k in rng.integers(0, len(ids) + 1, n)])
        elif item.type == "numeric":
            values = rng.integers(1, 60, n).astype(str)
        else:
            values = np.array([""] * n)
        if item.channels:
            values = np.where(np.isin(channels, item.channels), values, "")
        columns[item.id] = values
    return pd.DataFrame(columns), list(channels)


def bench_scoring(n: int) -> None:
    from cxreport.shop.analysis import analyse
    from cxreport.shop.loadprog import load_programme
    from cxreport.shop.scoring import score_visits

    prog = load_programme(SAMPLE / "programme.yaml")
    answers, channels = synthetic_answers(prog, n)
    ids = [f"V{i:06d}" for i in range(n)]
    t0 = time.perf_counter()
    scores = score_visits(prog, answers, channels, ids)
    t_score = time.perf_counter() - t0
    rng = np.random.default_rng(5)
    frame = answers.assign(visit_id=ids, channel=channels,
                           location_id=rng.choice([loc.id for loc in prog.location_list], n),
                           wave=rng.choice([w.id for w in prog.waves], n), visit_date="2026-03-10", shopper_id="S1")
    t0 = time.perf_counter()
    analyse(prog, frame, scores)
    t_analyse = time.perf_counter() - t0
    print(f"visits scored:            {n:,}  ({len(answers.columns)} items each)")
    print(f"score_visits:             {t_score:6.2f} s   (target ≤ 2 s)")
    print(f"programme analysis:       {t_analyse:6.2f} s   (locations × waves, regions, items, bands)")
    print(f"mean score / pass rate:   {np.nanmean(scores.score):.1f}% / {100 * scores.passed.mean():.1f}%")


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    """Every descendant process (pool workers are children of the fork server)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    parents[int(entry)] = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    out, frontier = [], {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        out += sorted(frontier)
    return out


def bench_render(n_sheets: int, jobs: int | None) -> None:
    from cxreport.shop import reports
    from cxreport.shop.commands import results
    from cxreport.shop.ledger import Ledger
    from cxreport.shop.loadprog import load_programme

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "shop"
        shutil.copytree(SAMPLE, work, ignore=shutil.ignore_patterns("ledger.sqlite*"))
        for wave in ("wave1", "wave2", "wave3"):
            subprocess.run([sys.executable, "-m", "cxreport", "shop", "submit", "programme.yaml",
                            *sorted(str(p) for p in (work / "submissions" / wave).iterdir())],
                           cwd=work, check=True, capture_output=True)
        prog = load_programme(work / "programme.yaml")
        res = results(prog)
        with Ledger(prog) as ledger:
            frame = ledger.accepted_visits()
        frame = frame.set_index("row").loc[res.visits["row"].to_numpy()].reset_index()
        tasks = []
        for k in range(n_sheets):
            i = k % len(res.visits)
            ctx = reports.scoresheet_context(prog, res, frame, i)
            tasks.append(("shop_scoresheet.html", ctx, str(Path(tmp) / "out"), f"sheet-{k:04d}", ("pdf",), [str(work)]))
        samples: list[tuple[float, int, int]] = []
        stop = threading.Event()

        def sample() -> None:
            start = time.perf_counter()
            while not stop.is_set():
                for pid in _children(os.getpid()):
                    rss = _rss_kb(pid)
                    if rss:
                        samples.append((time.perf_counter() - start, pid, rss))
                time.sleep(1.0)

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        t0 = time.perf_counter()
        done = reports.render_batch(tasks, jobs, "Scoresheets")
        elapsed = time.perf_counter() - t0
        stop.set()
        thread.join()
        failed = [d for d in done if d[2]]
        pdfs = list((Path(tmp) / "out").glob("*.pdf"))
    workers = sorted({pid for _t, pid, _r in samples})
    print(f"scoresheet PDFs:          {len(pdfs)} written, {len(failed)} failed, jobs={jobs or os.cpu_count()}")
    print(f"wall time:                {elapsed:6.1f} s   (target ≤ 60 s)   {elapsed / max(len(pdfs), 1):.3f} s per sheet")
    rss = [r for _t, _p, r in samples]
    if rss:
        thirds = np.array_split(np.array(sorted(samples)), 3)
        parts = [f"{np.max([r for _t, _p, r in part]) / 1024:.0f}" for part in thirds if len(part)]
        print(f"worker processes seen:    {len(workers)} (recycled every {reports.TASKS_PER_WORKER} tasks)")
        print(f"worker RSS max by third of the batch (MB): {' / '.join(parts)}   (flat = no growth)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--visits", type=int, default=100_000)
    parser.add_argument("--sheets", type=int, default=500)
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()
    bench_scoring(args.visits)
    bench_render(args.sheets, args.jobs)


if __name__ == "__main__":
    main()
