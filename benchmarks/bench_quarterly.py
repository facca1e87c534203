"""Benchmark: the quarterly management review on 1,000,000 responses over 8 quarters and
200 branches, end to end (read CSV → validate → score → review context → HTML + PDF).

Target: ≤ 10 s end to end, of which rendering ≤ 5 s.

    python benchmarks/bench_quarterly.py [N]
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000


def synthetic(n: int, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    branch = rng.integers(0, 200, n)
    quality = rng.normal(0, 0.4, 200)[branch]
    day = rng.integers(0, 730, n)
    latent = rng.normal(0, 1, n) + quality + day / 730 * 0.3

    def scale(lo, hi, noise=0.8):
        x = latent + rng.normal(0, noise, n)
        return np.clip(np.round((x + 2.5) / 5 * (hi - lo) + lo), lo, hi).astype(int)

    frame = pd.DataFrame({
        "id": np.arange(n),
        "date": (pd.Timestamp("2024-10-01") + pd.to_timedelta(day, unit="D")).strftime("%Y-%m-%d"),
        "region": np.array(["North", "South", "East", "West"])[branch % 4],
        "branch": np.char.add("Branch ", (branch + 1).astype(str)),
        "channel": rng.choice(["Branch", "Phone", "App", "Web"], n),
        "nps": scale(0, 10), "csat": scale(1, 5), "ces": scale(1, 7),
        **{f"a{i}": scale(1, 5, 1.2) for i in range(1, 11)},
        "weight": np.round(rng.uniform(0.4, 2.5, n), 3),
    })
    return frame


PROJECT = """
client: {name: Bench Bank}
survey: {file: data.csv}
columns:
  respondent_id: id
  date: date
  weight: weight
  nps: nps
  csat: {column: csat, scale: 5}
  ces: ces
  attributes: {%s}
  segments: {Region: region, Branch: branch, Channel: channel}
targets: {nps: 30, csat: 75, ces: 5.0}
tiers: {nps: {basic: 10, differentiated: 25, excellent: 40}}
benchmarks:
  compare: [{kpi: nps, standard: surveymonkey-nps-global-average}]
quarterly: {quarters: 5}
report: {title: Benchmark tracker}
"""


def main() -> None:
    from cxreport.build import build
    from cxreport.config.loader import load_project

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        synthetic(N).to_csv(folder / "data.csv", index=False)
        (folder / "cxreport.yaml").write_text(PROJECT % ", ".join(f"A{i}: a{i}" for i in range(1, 11)))
        import weasyprint  # noqa: F401  (import time is not part of the figure)
        import matplotlib  # noqa: F401

        t0 = time.perf_counter()
        project = load_project(folder / "cxreport.yaml")
        result = build(project, folder / "out", report="quarterly")
        total = time.perf_counter() - t0
        timings = result.timings
    print(f"responses: {N:,}   quarters: 8   branches: 200")
    for step, seconds in timings.items():
        print(f"  {step:<28} {seconds:6.2f} s")
    render = sum(v for k, v in timings.items() if k in ("context and charts", "HTML", "PDF"))
    print(f"rendering (context, charts, HTML, PDF): {render:6.2f} s   (target ≤ 5 s)")
    print(f"end to end:                             {total:6.2f} s   (target ≤ 10 s)")
    print(f"peak memory (max RSS):                  {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:6.0f} MB")


if __name__ == "__main__":
    main()
