"""Benchmark: score 1,000,000 synthetic survey responses.

NPS, CSAT (1–5), CES (1–7), 10 attribute ratings, 3 segment columns, weights, dates over
4 quarters. Measures (1) validation + scoring from an in-memory text table, which is what
`cxreport score` does after reading the file, (2) scoring alone, (3) reading the CSV file.
Prints wall times and the peak memory (max RSS) of this process.

    python benchmarks/bench_scoring.py [N]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from cxreport.config.loader import load_project
from cxreport.load.tabular import Table, read_table
from cxreport.scoring.kpis import BaseRules
from cxreport.scoring.survey import score_survey
from cxreport.validate import prepare
from _measure import peak_mb

ATTRS = [f"a{i}" for i in range(1, 11)]


def synthetic(n: int, seed: int = 7, branches: int = 200, branch_name: str = "B{:03d}") -> pd.DataFrame:
    """``n`` responses over four quarters of 2025, ``branches`` branches (also used by
    bench_batch.py, with 1,000 branches)."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(0, 1, n)
    def scale(lo, hi, noise=0.8):
        x = latent + rng.normal(0, noise, n)
        q = np.clip(np.round((x + 2.5) / 5 * (hi - lo) + lo), lo, hi)
        return q.astype(int)
    frame = pd.DataFrame({
        "id": np.arange(n).astype(str),
        "date": pd.to_datetime("2025-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D"),
        "region": rng.choice(["North", "South", "East", "West"], n),
        "branch": np.array([branch_name.format(i) for i in range(branches)])[rng.integers(0, branches, n)],
        "channel": rng.choice(["Branch", "Phone", "App", "Web"], n),
        "nps": scale(0, 10), "csat": scale(1, 5), "ces": scale(1, 7),
        **{a: scale(1, 5, 1.2) for a in ATTRS},
        "weight": np.round(rng.uniform(0.4, 2.5, n), 4),
    })
    frame["date"] = frame["date"].dt.strftime("%Y-%m-%d")
    return frame.astype(str)


PROJECT = """
client: {name: Bench}
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
"""


def main() -> None:
    N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        frame = synthetic(N)
        t_gen = time.perf_counter() - t0
        frame.to_csv(folder / "data.csv", index=False)
        (folder / "cxreport.yaml").write_text(PROJECT % ", ".join(f"{a}: {a}" for a in ATTRS))
        project = load_project(folder / "cxreport.yaml")
        rules = BaseRules()

        table = Table(frame, "data.csv", folder / "data.csv")
        t0 = time.perf_counter()
        data = prepare(project, table)
        t_validate = time.perf_counter() - t0
        t0 = time.perf_counter()
        results = score_survey(data, rules, 0.05)
        t_score = time.perf_counter() - t0
        del table, frame
        t0 = time.perf_counter()
        read_table(folder / "data.csv")
        t_read = time.perf_counter() - t0
        groups = sum(len(b.groups) for b in results.segments) + len(results.periods.groups)
        print(f"responses: {N:,}   items: {len(data.items)}   groups scored: {groups}")
        print(f"generate synthetic data:     {t_gen:6.2f} s (not part of the measurement)")
        print(f"validate (text → answers):   {t_validate:6.2f} s")
        print(f"score (all KPIs, breakdowns): {t_score:6.2f} s")
        print(f"validate + score:            {t_validate + t_score:6.2f} s   (target ≤ 3 s)")
        print(f"read CSV from disk:          {t_read:6.2f} s")
        print(f"peak memory (max RSS):       {peak_mb():6.0f} MB  (target ≤ 1,500 MB)")


if __name__ == "__main__":
    main()
