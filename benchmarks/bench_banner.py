"""Benchmark for banner tables (docs/banners.md; target: the sample's banners ≤ 0.5 s).

Scores the Harbour Bank sample once, then times, five times each (after one warm-up run):
1. the sample's default banners (every single-answer segment with ≤ 12 groups, every KPI and
   attribute, all pairwise tests adjusted per banner);
2. the same plus the appendix context and the workbook rows (what a build adds);
3. a stress case: every segment as a banner, Branch's 24 groups included (276 pairs a row).

    python benchmarks/bench_banner.py
"""

from __future__ import annotations

import time
from pathlib import Path

from cxreport.config import load_project
from cxreport.pipeline import run

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "harbour-bank" / "cxreport.yaml"


def timed(study, fn, runs: int = 5) -> tuple[float, float, object]:
    times, out = [], None
    fn(study)                       # warm-up: module imports and the catalog load once per process
    for _ in range(runs):
        study.view._cache.pop(("banners",), None)
        t0 = time.perf_counter()
        out = fn(study)
        times.append(time.perf_counter() - t0)
    return min(times), max(times), out


def main() -> None:
    from cxreport.present.banner import banner_context, banner_rows
    from cxreport.scoring.banner import study_banners

    study = run(SAMPLE)
    lo, hi, tables = timed(study, study_banners)
    tests = sum(b.n_tests for b in tables.banners)
    cells = sum(len(b.rows) * len(b.columns) for b in tables.banners)
    print(f"sample ({study.results.base:,} respondents in {study.window.label}): {len(tables.banners)} banners, "
          f"{cells} cells, {tests:,} pairwise tests")
    print(f"  banner tables (scoring):                 {lo:6.3f} – {hi:6.3f} s   (target ≤ 0.5 s)")
    lo, hi, _ = timed(study, lambda s: (banner_context(s), banner_rows(s)))
    print(f"  + appendix context and workbook rows:    {lo:6.3f} – {hi:6.3f} s")

    project = load_project(SAMPLE)
    names = list(project.columns.segments)
    stress = project.model_copy(update={"banners": project.banners.model_copy(update={"segments": names})})
    study = run(stress)
    lo, hi, tables = timed(study, study_banners)
    tests = sum(b.n_tests for b in tables.banners)
    print(f"stress: every segment ({', '.join(names)}): {tests:,} pairwise tests")
    print(f"  banner tables (scoring):                 {lo:6.3f} – {hi:6.3f} s")


if __name__ == "__main__":
    main()
