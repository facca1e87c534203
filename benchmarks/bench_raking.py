"""Benchmark: rake 1,000,000 responses to 3 margins (METHODS.md §9, docs/weighting.md).

Three margins (Region 4 groups, Age 5, Channel 4), a sample skewed against the targets.
Measures (1) the algorithm alone on group codes, with and without trimming to [0.3, 3], and
with design weights; (2) the raking step of validation (`rake_segments`: margins matched to the validated
segments, checked, raked with trimming, summarised) on a project's validated data, beside the
whole validation (`prepare`, from an in-memory text table) for scale.
Target: raking 1,000,000 responses on 3 margins ≤ 3 s.

    python benchmarks/bench_raking.py [N]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from cxreport.config.loader import load_project
from cxreport.load.tabular import Table
from cxreport.scoring.raking import rake, rake_segments
from cxreport.validate import prepare
from _measure import peak_mb, timed

MARGINS = {
    "Region": {"North": 0.25, "South": 0.30, "East": 0.25, "West": 0.20},
    "Age": {"18-24": 0.12, "25-34": 0.18, "35-49": 0.26, "50-64": 0.24, "65+": 0.20},
    "Channel": {"Branch": 0.30, "Phone": 0.20, "App": 0.35, "Web": 0.15},
}
SAMPLE = {                                   # the sample's own shares (skewed against the targets)
    "Region": [0.35, 0.20, 0.25, 0.20],
    "Age": [0.05, 0.15, 0.30, 0.30, 0.20],
    "Channel": [0.20, 0.15, 0.50, 0.15],
}


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rng = np.random.default_rng(15)
    codes = [rng.choice(len(p), n, p=p) for p in SAMPLE.values()]
    targets = [np.array(list(m.values())) for m in MARGINS.values()]
    design = np.round(rng.uniform(0.4, 2.5, n), 4)

    print(f"responses: {n:,}   margins: {len(codes)} ({', '.join(f'{k} {len(v)}' for k, v in MARGINS.items())})")
    for label, kwargs in (("rake", {}), ("rake + trim [0.3, 3]", {"trim": (0.3, 3.0)}),
                          ("rake from design weights", {"base": design})):
        seconds, result = timed(lambda: rake(codes, targets, **kwargs))
        w = result.weights / result.weights.mean()
        print(f"{label:<28} {seconds:6.3f} s   iterations {result.iterations:>3}, rounds {result.rounds:>2}, "
              f"converged {result.converged}, efficiency {result.efficiency:.3f}, weights {w.min():.2f}–{w.max():.2f}")

    frame = pd.DataFrame({
        "id": np.arange(n).astype(str),
        "nps": rng.integers(0, 11, n).astype(str),
        **{name.lower(): np.array(list(MARGINS[name]))[code] for name, code in zip(MARGINS, codes)},
    })
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "data.csv").write_text("id,nps,region,age,channel\n")
        config = {"client": {"name": "Bench"}, "survey": {"file": "data.csv"},
                  "columns": {"respondent_id": "id", "nps": "nps",
                              "segments": {name: name.lower() for name in MARGINS}}}
        (folder / "plain.yaml").write_text(yaml.safe_dump(config))
        (folder / "raked.yaml").write_text(yaml.safe_dump({**config, "weighting": {"rake": MARGINS,
                                                                                 "trim": [0.3, 3]}}))
        plain, raked = load_project(folder / "plain.yaml"), load_project(folder / "raked.yaml")
        table = Table(frame, "data.csv", folder / "data.csv")
        t_plain, data = timed(lambda: prepare(plain, table), 2)
        index = np.arange(n)
        t_rake, (_, w) = timed(lambda: rake_segments(raked, table, index, data.segments, data.weights))
        t_raked, _ = timed(lambda: prepare(raked, table), 2)
    print(f"raking step of validation:   {t_rake:6.2f} s   (target ≤ 3 s)")
    print(f"  {w.summary()}")
    print(f"validate without weighting:  {t_plain:6.2f} s")
    print(f"validate with weighting:     {t_raked:6.2f} s")
    print(f"peak memory (max RSS):       {peak_mb():6.0f} MB")


if __name__ == "__main__":
    main()
