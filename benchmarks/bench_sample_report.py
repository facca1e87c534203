"""Benchmark: build the bundled sample report (HTML + PDF), end to end, in-process.

Runs the build three times after one warm-up import and prints each wall time.

    python benchmarks/bench_sample_report.py
"""

from __future__ import annotations

import tempfile
import time

from cxreport.build import build
from cxreport.resources import sample_project


def main() -> None:
    project = sample_project() / "cxreport.yaml"
    t0 = time.perf_counter()
    import weasyprint  # noqa: F401  (import cost reported separately)
    print(f"import weasyprint:       {time.perf_counter() - t0:5.2f} s")
    for i in range(3):
        with tempfile.TemporaryDirectory() as out:
            t0 = time.perf_counter()
            result = build(project, out)
            elapsed = time.perf_counter() - t0
            pages = result.paths["pdf"].stat().st_size
        print(f"build {i + 1} (HTML + PDF):  {elapsed:5.2f} s   (target ≤ 5 s)   pdf {pages / 1024:.0f} KB")


if __name__ == "__main__":
    main()
