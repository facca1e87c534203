"""What the benchmark scripts share: the best of a few timed runs and the process's peak memory.

Imported by the scripts run from this folder (``python benchmarks/bench_x.py`` puts the folder on
the path), not part of the package.
"""

from __future__ import annotations

import resource
import time


def peak_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn, repeat: int = 3, cpu: dict | None = None):
    """(fastest wall time in seconds, the last result) of ``repeat`` calls of ``fn``. With ``cpu``,
    each run's CPU time is recorded under its wall time (on a shared machine the CPU time is
    closer to what an idle machine takes)."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        wall = time.perf_counter() - t0
        if cpu is not None:
            cpu[wall] = time.process_time() - c0
        best = min(best, wall)
    return best, out


def _children(pid: int) -> list[int]:
    out = []
    try:
        import os

        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                out += [int(c) for c in handle.read().split()]
    except OSError:
        pass
    return out


def _rss_kb(pid: int, field: str = "VmRSS:") -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith(field):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _pss_kb(pid: int) -> int:
    """Proportional set size: each page shared by n processes (a forked chart worker's copy of
    its parent) counts 1/n in each, so the sum over processes is what the machine holds."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return _rss_kb(pid)


class TreeMemory:
    """Samples, every ``interval`` s on a thread, the memory of process ``pid`` and all its
    descendants (Linux /proc): ``peak_mb`` is the largest sum of their proportional set sizes
    seen (the whole process tree at one moment, shared pages counted once), ``largest_mb`` the
    largest single process's resident set. Start with ``start()``, stop with ``stop()``."""

    def __init__(self, pid: int, interval: float = 0.05):
        import threading

        self.pid, self.interval = pid, interval
        self.peak_mb = self.largest_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            todo, seen, total, largest = [self.pid], set(), 0, 0
            while todo:
                pid = todo.pop()
                if pid in seen:
                    continue
                seen.add(pid)
                total += _pss_kb(pid)
                largest = max(largest, _rss_kb(pid))
                todo += _children(pid)
            self.peak_mb = max(self.peak_mb, total / 1024)
            self.largest_mb = max(self.largest_mb, largest / 1024)
            self._stop.wait(self.interval)

    def start(self) -> "TreeMemory":
        self._thread.start()
        return self

    def stop(self) -> "TreeMemory":
        self._stop.set()
        self._thread.join()
        return self


def installed_bytecode() -> dict:
    """The environment for a timed child process, with cxreport's bytecode compiled first.

    ``pip install`` compiles a package's modules; an editable checkout compiles them on its first
    run, unless ``PYTHONDONTWRITEBYTECODE`` is set (some sandboxes and CI images set it), and then
    every run compiles cxreport's modules from source (about 0.5 s of a build's start-up, which
    WeasyPrint, installed with its bytecode, never pays). The benchmarks measure the tool as
    installed: this compiles the package the children import and returns their environment
    without that variable."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-c", "import compileall, os, cxreport; "
                    "compileall.compile_dir(os.path.dirname(cxreport.__file__), quiet=1)"], check=True, env=env)
    return env

