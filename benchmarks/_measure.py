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
