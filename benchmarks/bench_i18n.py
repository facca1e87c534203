"""Benchmark: the bundled sample built in English and in Simplified Chinese.

The same project (copied, with ``language: zh-CN`` for the Chinese build) is built in one
process, English and Chinese alternately after a warm-up build of each, so imports, font
loading and the catalog compilation are paid before the timed runs. Prints each run's
wall time, CPU time (this process and its chart workers: steadier than wall time when
other work shares the machine) and steps, the medians and the Chinese / English ratios
(target ≤ 1.3).

    python benchmarks/bench_i18n.py [RUNS]
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from cxreport.build import build
from cxreport.resources import sample_project

STEPS = ("context and charts", "HTML", "PDF")


def project_copy(folder: Path, language: str) -> Path:
    target = folder / language
    shutil.copytree(sample_project(), target)
    path = target / "cxreport.yaml"
    text = path.read_text(encoding="utf-8")
    text, n = re.subn(r"(?m)^language: .*$", f"language: {language}", text)
    if not n:
        text = f"language: {language}\n" + text
    path.write_text(text, encoding="utf-8")
    return path


def cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def timed(project: Path, out: Path) -> tuple[float, float, dict, int]:
    t0, c0 = time.perf_counter(), cpu_seconds()
    result = build(project, out)
    elapsed, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    return elapsed, cpu, result.timings, result.paths["pdf"].stat().st_size


def main(runs: int = 3) -> None:
    times: dict[str, list[float]] = {"en": [], "zh-CN": []}
    cpu: dict[str, list[float]] = {"en": [], "zh-CN": []}
    steps: dict[str, dict[str, list[float]]] = {lang: {s: [] for s in STEPS} for lang in times}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        projects = {lang: project_copy(folder, lang) for lang in times}
        for lang, project in projects.items():                       # warm-up, not counted
            elapsed, _c, _t, size = timed(project, folder / f"warm-{lang}")
            print(f"warm-up {lang:5}  {elapsed:5.2f} s   pdf {size / 1024:.0f} KB")
        for i in range(runs):
            for lang, project in projects.items():
                elapsed, seconds, timings, size = timed(project, folder / f"out-{lang}-{i}")
                times[lang].append(elapsed)
                cpu[lang].append(seconds)
                for s in STEPS:
                    steps[lang][s].append(timings.get(s, 0.0))
                detail = ", ".join(f"{s} {timings.get(s, 0.0):.2f}" for s in STEPS)
                print(f"run {i + 1} {lang:5}  {elapsed:5.2f} s  cpu {seconds:5.2f} s   ({detail})   "
                      f"pdf {size / 1024:.0f} KB")
    en, zh = statistics.median(times["en"]), statistics.median(times["zh-CN"])
    for lang in times:
        detail = ", ".join(f"{s} {statistics.median(steps[lang][s]):.2f}" for s in STEPS)
        print(f"median {lang:5}  {statistics.median(times[lang]):5.2f} s  cpu {statistics.median(cpu[lang]):5.2f} s"
              f"   ({detail})")
    cpu_ratio = statistics.median(cpu["zh-CN"]) / statistics.median(cpu["en"])
    print(f"Chinese / English: wall {zh / en:.2f}×, cpu {cpu_ratio:.2f}×   (target ≤ 1.30×)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
