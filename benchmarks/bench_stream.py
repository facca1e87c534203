"""Streamed scoring of a transactional programme (issue 18): time and memory against rows.

For each size, writes the survey with ``gen_transactional.py`` (partitioned Parquet, key drivers
by region and a comment code frame in its project file), then times the whole command

    cxreport score DATA/cxreport.yaml --stream -j J -o scores.json

for each ``--jobs`` value, sampling the memory of the whole process tree (the sum of the
processes' proportional set sizes, every 50 ms). With ``--dask``, the same on a Dask
``LocalCluster`` of two single-threaded worker processes (``--executor dask``); every run's JSON
must be byte-identical to the first's.

    python benchmarks/bench_stream.py --rows 10000000 25000000 50000000 --jobs 1 2
    python benchmarks/bench_stream.py --rows 1000000 --jobs 1 2 --dask
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _measure import TreeMemory  # noqa: E402


def run(args: list[str], env: dict) -> tuple[float, float, float]:
    """(seconds, peak MB of the process tree, largest process MB) of one command."""
    t = time.perf_counter()
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    memory = TreeMemory(process.pid).start()
    _out, err = process.communicate()
    memory.stop()
    seconds = time.perf_counter() - t
    if process.returncode:
        sys.exit(f"{' '.join(args)} failed:\n{err}")
    return seconds, memory.peak_mb, memory.largest_mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--jobs", type=int, nargs="+", default=[1])
    parser.add_argument("--dask", action="store_true", help="also on a LocalCluster of 2 workers")
    parser.add_argument("--work", type=Path, default=None, help="folder for the data (default: a temporary one)")
    args = parser.parse_args()
    env = {**os.environ}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    cxreport = [sys.executable, "-m", "cxreport"]
    work = Path(args.work or tempfile.mkdtemp(prefix="cxreport-stream-"))
    cluster = None
    if args.dask:
        import distributed

        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    print(f"cores {os.cpu_count()}; process tree memory sampled every 50 ms (PSS)")
    print(f"{'rows':>12} {'run':>10} {'seconds':>9} {'s per 1M':>9} {'tree MB':>8} {'largest MB':>10}  same JSON")
    try:
        for rows in args.rows:
            data = work / f"tx{rows}"
            t = time.perf_counter()
            subprocess.run([sys.executable, str(HERE / "gen_transactional.py"), "--rows", str(rows), "--out",
                            str(data)], check=True, stdout=subprocess.DEVNULL)
            print(f"{rows:>12,} {'generate':>10} {time.perf_counter() - t:9.1f}")
            first = None
            runs = [(f"-j {j}", ["--stream", "-j", str(j)]) for j in args.jobs]
            if cluster is not None:
                runs.append(("dask x2", ["--executor", "dask", "--scheduler", cluster.scheduler_address]))
            for name, options in runs:
                out = data / f"scores-{name.replace(' ', '')}.json"
                seconds, peak, largest = run([*cxreport, "score", str(data / "cxreport.yaml"), *options, "-o",
                                              str(out)], env)
                body = out.read_bytes()
                same = "" if first is None else ("yes" if body == first else "NO")
                first = body if first is None else first
                print(f"{rows:>12,} {name:>10} {seconds:9.1f} {seconds / rows * 1e6:9.2f} {peak:8.0f} {largest:10.0f}"
                      f"  {same}", flush=True)
            shutil.rmtree(data)
    finally:
        if cluster is not None:
            cluster.close()
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
