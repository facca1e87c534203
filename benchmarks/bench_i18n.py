"""Benchmark: the bundled sample built in English and in Simplified Chinese.

The same project (copied, with ``language: zh-CN`` for the Chinese build) is built in one
process, English and Chinese alternately after a warm-up build of each, so imports, font
loading and the catalog compilation are paid before the timed runs. Prints each run's
wall time and steps, the medians and the Chinese / English ratio (target ≤ 1.3).

    python benchmarks/bench_i18n.py [RUNS]
"""

from __future__ import annotations

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


def timed(project: Path, out: Path) -> tuple[float, dict, int]:
    t0 = time.perf_counter()
    result = build(project, out)
    elapsed = time.perf_counter() - t0
    return elapsed, result.timings, result.paths["pdf"].stat().st_size


def main(runs: int = 3) -> None:
    times: dict[str, list[float]] = {"en": [], "zh-CN": []}
    steps: dict[str, dict[str, list[float]]] = {lang: {s: [] for s in STEPS} for lang in times}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        projects = {lang: project_copy(folder, lang) for lang in times}
        for lang, project in projects.items():                       # warm-up, not counted
            elapsed, _t, size = timed(project, folder / f"warm-{lang}")
            print(f"warm-up {lang:5}  {elapsed:5.2f} s   pdf {size / 1024:.0f} KB")
        for i in range(runs):
            for lang, project in projects.items():
                elapsed, timings, size = timed(project, folder / f"out-{lang}-{i}")
                times[lang].append(elapsed)
                for s in STEPS:
                    steps[lang][s].append(timings.get(s, 0.0))
                detail = ", ".join(f"{s} {timings.get(s, 0.0):.2f}" for s in STEPS)
                print(f"run {i + 1} {lang:5}  {elapsed:5.2f} s   ({detail})   pdf {size / 1024:.0f} KB")
    en, zh = statistics.median(times["en"]), statistics.median(times["zh-CN"])
    for lang in times:
        detail = ", ".join(f"{s} {statistics.median(steps[lang][s]):.2f}" for s in STEPS)
        print(f"median {lang:5}  {statistics.median(times[lang]):5.2f} s   ({detail})")
    print(f"Chinese / English: {zh / en:.2f}×   (target ≤ 1.30×)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
