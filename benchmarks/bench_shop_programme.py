"""Benchmark (issue 17): the sample mystery-shopping programme's full report set, as a user runs it.

The sample (``samples/harbour-bank-shop``) is copied into a temporary folder and brought to the
state of its README's step 7: the three waves, the faulty files, the correction and the
follow-up of step 6 submitted (not timed). Then, ``--rounds`` times, the documented command

    cxreport shop report programme.yaml --scoresheets --locations -o out/shop

runs as a subprocess into a fresh output folder (programme summary, 48 location reports and
358 scoresheets, each in HTML and PDF). For each run it prints the wall time, the CPU time of
the whole process tree (user + sys of the command, its fork server and every worker: this
process is made the "child subreaper" of the tree, so orphaned workers are reaped here and
counted), the peak memory of the tree (the sum of every process's proportional set size,
PSS, which counts the pages that forked workers share with their fork server once; sampled
every 0.2 s) and the largest single process's peak resident memory (VmHWM); then the
medians and the load average.

    python benchmarks/bench_shop_programme.py [--rounds N] [--jobs N] [--code DIR]

``--code DIR`` runs another checkout of cxreport (its ``cxreport`` package and ``templates``
folder, e.g. one made with ``git worktree add``) for a before/after comparison on the same
machine, in the same run.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "harbour-bank-shop"
REPORT = ["shop", "report", "programme.yaml", "--scoresheets", "--locations", "-o", "out/shop"]
TARGET = 60.0      # seconds, issue 17


def _env(code: Path | None) -> dict:
    env = dict(os.environ)
    if code is not None:
        env["PYTHONPATH"] = str(code) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def readme_commands(readme: Path) -> list[list[str]]:
    """The ``cxreport shop submit | appeal | actions update`` commands of README steps 1–6, in order."""
    text = readme.read_text(encoding="utf-8").split("### 7. Report", 1)[0]
    out = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words[:2] == ["cxreport", "shop"] and words[2] in ("submit", "appeal", "actions") and (
                    words[2] == "submit" or words[3] in ("file", "decide", "update")):
                out.append(words[1:])
    return out


def prepare(work: Path, code: Path | None) -> None:
    shutil.copytree(SAMPLE, work, ignore=shutil.ignore_patterns("ledger.sqlite*", "out"))
    import glob

    for words in readme_commands(work / "README.md"):
        args = []
        for w in words:                         # the shell's globs (submissions/wave1/*)
            if "*" in w:
                args += [os.path.relpath(p, work) for p in sorted(glob.glob(str(work / w)))]
            else:
                args.append(w)
        subprocess.run([sys.executable, "-m", "cxreport", *args], cwd=work, env=_env(code),
                       capture_output=True)     # step 3 exits 1 by design (rejected files)


def _tree(pid: int) -> list[int]:
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    parents[int(entry)] = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    out, frontier = [pid], {pid}
    while frontier:
        frontier = {c for c, p in parents.items() if p in frontier}
        out += sorted(frontier)
    return out


def _status_kb(pid: int, field: str, name: str = "status") -> int:
    try:
        with open(f"/proc/{pid}/{name}") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_once(work: Path, code: Path | None, jobs: int | None) -> dict:
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    args = [sys.executable, "-m", "cxreport", *REPORT] + (["-j", str(jobs)] if jobs else [])
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    peaks = {"tree": 0, "process": 0}
    stop = threading.Event()
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, cwd=work, env=_env(code), stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def sample() -> None:
        while not stop.is_set():
            pids = _tree(proc.pid)
            peaks["tree"] = max(peaks["tree"], sum(_status_kb(p, "Pss", "smaps_rollup") for p in pids))
            peaks["process"] = max([peaks["process"], *(_status_kb(p, "VmHWM") for p in pids)])
            time.sleep(0.2)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - t0
    stop.set()
    thread.join()
    # Reap the fork server and any worker left behind (they were re-parented to this process).
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            break
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        sys.exit(f"the command failed ({proc.returncode}):\n{stderr.decode()[-2000:]}")
    files = {sub: len(list((out / "shop" / sub).glob("*.pdf"))) for sub in ("scoresheets", "locations")}
    return {"wall": wall, "cpu": cpu, "tree_mb": peaks["tree"] / 1024, "process_mb": peaks["process"] / 1024,
            "files": files, "summary": stderr.decode().strip().splitlines()[-1:]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=None, help="-j for the command (default: all cores)")
    parser.add_argument("--code", type=Path, default=None, help="another checkout of cxreport to run")
    args = parser.parse_args()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(36, 1, 0, 0, 0)                  # PR_SET_CHILD_SUBREAPER: orphans of the tree come here
    code = args.code.resolve() if args.code else None
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "harbour-bank-shop"
        t = time.perf_counter()
        prepare(work, code)
        print(f"sample prepared (README steps 1–6) in {time.perf_counter() - t:.1f} s; code: {code or ROOT}")
        print(f"command: cxreport {' '.join(REPORT)}" + (f" -j {args.jobs}" if args.jobs else "")
              + f"   ({os.cpu_count()} cores)")
        runs = []
        for k in range(args.rounds):
            r = run_once(work, code, args.jobs)
            runs.append(r)
            load = " ".join(f"{x:.2f}" for x in os.getloadavg())
            print(f"  run {k + 1}: wall {r['wall']:6.1f} s   CPU {r['cpu']:6.1f} s   peak PSS of the tree "
                  f"{r['tree_mb']:5.0f} MB, largest process RSS {r['process_mb']:4.0f} MB   "
                  f"PDFs {r['files']}   load average {load}")
    wall = statistics.median(r["wall"] for r in runs)
    cpu = statistics.median(r["cpu"] for r in runs)
    print(f"median: wall {wall:.1f} s (target ≤ {TARGET:.0f} s)   CPU {cpu:.1f} s   "
          f"peak PSS of the tree {statistics.median(r['tree_mb'] for r in runs):.0f} MB")
    print(f"the command said: {runs[-1]['summary'][0] if runs[-1]['summary'] else ''}")


if __name__ == "__main__":
    main()
