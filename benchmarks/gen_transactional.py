"""Generate a transactional survey programme as partitioned Parquet (issue 18's data).

A bank, telco or retailer surveying after every contact: N responses over 8 quarters
(2025 Q1 – 2026 Q4), each with

- ``respondent_id`` (text, unique), ``date`` (a Parquet date),
- ``nps`` (0–10), ``csat`` (1–5), ``ces`` (1–7), ``a01`` … ``a10`` (attribute ratings, 1–5),
  with about 3 % of each left blank (null),
- three segments: ``region`` (8), ``branch`` (200 branches, each in one region) and
  ``channel`` (Branch, Phone, App, Web),
- ``weight`` (positive, mean about 1),
- ``comment`` for 5 % of the responses (short texts from a pool of phrases), null otherwise.

The answers are correlated as in real data: a latent satisfaction per response, shifted by its
branch, channel and quarter, drives every rating (so key drivers find the attributes that
matter). The folder is Hive-partitioned by quarter, ``quarter=2025Q1/part-00000.parquet`` …,
each file at most ``--rows-per-file`` rows (default 1,000,000); the data are generated in
chunks of that size, so memory stays flat whatever N is. Deterministic for a given ``--seed``.

The partitions go under ``OUT/data`` and a project file that maps them, ``OUT/cxreport.yaml``
(scored streamed: ``cxreport score OUT/cxreport.yaml --stream``, docs/batch.md).

    python benchmarks/gen_transactional.py --rows 50000000 --out /tmp/transactional
    python benchmarks/gen_transactional.py --rows 100000 --out /tmp/small --rows-per-file 20000
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import numpy as np

QUARTERS = [(2025, q) for q in range(1, 5)] + [(2026, q) for q in range(1, 5)]
REGIONS = ["North", "South", "East", "West", "Central", "Coast", "Highlands", "Capital"]
CHANNELS = ["Branch", "Phone", "App", "Web"]
BRANCHES = 200
ATTRIBUTES = 10
BLANK = 0.03            # share of each rating left blank
COMMENTS = 0.05         # share of responses with a comment

_GOOD = ["Quick and friendly service", "The advisor solved my problem at once", "Easy to use app",
         "Very helpful staff, thank you", "Clear answers and no waiting", "Great experience overall"]
_BAD = ["Waited far too long on the phone", "The app keeps logging me out", "Fees are too high",
        "Nobody called me back as promised", "Had to explain my issue three times", "Branch was closed early"]
_MIXED = ["Staff were nice but the queue was long", "Good rates, slow transfer", "OK, nothing special"]


def branch_table(rng: np.random.Generator) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The branches' names, their region (index) and their effect on satisfaction."""
    names = [f"Branch {i:03d}" for i in range(1, BRANCHES + 1)]
    region = np.arange(BRANCHES) % len(REGIONS)
    effect = rng.normal(0.0, 0.35, BRANCHES)
    return names, region, effect


def chunk(rng: np.random.Generator, start: int, rows: int, quarter: int, branches) -> "pyarrow.Table":  # noqa: F821
    """``rows`` responses of quarter ``quarter`` (0-based), ids from ``start``."""
    import pyarrow as pa

    names, region_of, effect = branches
    year, q = QUARTERS[quarter]
    first = np.datetime64(f"{year}-{3 * (q - 1) + 1:02d}-01")
    last = np.datetime64(f"{year + (q == 4)}-{(3 * q) % 12 + 1:02d}-01")
    days = int((last - first).astype(int))
    date = first + rng.integers(0, days, rows).astype("timedelta64[D]")

    branch = rng.integers(0, BRANCHES, rows)
    channel = rng.choice(len(CHANNELS), rows, p=[0.35, 0.3, 0.25, 0.1])
    channel_effect = np.array([0.1, -0.25, 0.15, 0.0])[channel]
    trend = 0.04 * quarter
    latent = rng.normal(0.0, 1.0, rows) + effect[branch] + channel_effect + trend

    def rating(low: int, high: int, centre: float, slope: float, noise: float, blank: float = BLANK):
        values = np.clip(np.rint(centre + slope * latent + rng.normal(0, noise, rows)), low, high).astype(np.int8)
        mask = rng.random(rows) < blank
        return pa.array(values, mask=mask)

    weights = np.exp(rng.normal(-0.08, 0.4, rows)).astype(np.float64)
    columns = {
        "respondent_id": pa.array([f"T{i:09d}" for i in range(start, start + rows)]),
        "date": pa.array(date.astype("datetime64[D]"), type=pa.date32()),
        "region": pa.DictionaryArray.from_arrays(pa.array(region_of[branch].astype(np.int32)), pa.array(REGIONS)),
        "branch": pa.DictionaryArray.from_arrays(pa.array(branch.astype(np.int32)), pa.array(names)),
        "channel": pa.DictionaryArray.from_arrays(pa.array(channel.astype(np.int32)), pa.array(CHANNELS)),
        "nps": rating(0, 10, 7.6, 1.9, 1.0),
        "csat": rating(1, 5, 3.9, 0.9, 0.6),
        "ces": rating(1, 7, 5.2, 1.1, 0.9),
    }
    for a in range(ATTRIBUTES):
        # Attributes differ in how much they follow satisfaction (the drivers) and in level.
        columns[f"a{a + 1:02d}"] = rating(1, 5, 3.4 + 0.05 * a, 0.9 - 0.07 * a, 0.7 + 0.03 * a)
    columns["weight"] = pa.array(weights)
    has = rng.random(rows) < COMMENTS
    pools = [_GOOD, _MIXED, _BAD]
    tone = np.where(latent > 0.5, 0, np.where(latent < -0.5, 2, 1))
    pick = rng.integers(0, 6, rows)
    comments = [pools[t][p % len(pools[t])] if h else None for t, p, h in zip(tone.tolist(), pick.tolist(),
                                                                            has.tolist())]
    columns["comment"] = pa.array(comments, type=pa.string())
    return pa.table(columns)


#: The project file written beside the data.
PROJECT = """\
# A transactional survey programme generated by benchmarks/gen_transactional.py.
client:
  name: Transactional Bank
report:
  title: Customer experience after every contact
  period: latest
survey:
  file: data
columns:
  respondent_id: respondent_id
  date: date
  weight: weight
  comment: comment
  nps: {column: nps}
  csat: {column: csat, scale: 5}
  ces: {column: ces}
  attributes:
""" + "".join(f"    Attribute {i:02d}: {{column: a{i:02d}, scale: 1-5}}\n" for i in range(1, ATTRIBUTES + 1)) + """\
  segments:
    Region: region
    Branch: branch
    Channel: channel
periods:
  unit: quarter
bases:
  max_groups: 250
targets:
  nps: 30
  csat: 80
  ces: 5.0
drivers:
  outcome: nps
  segments: [Region]
  min_base: 200
comments:
  segment: Channel
  code_frame:
    Waiting: [waited, waiting, queue, slow, long]
    Staff: [staff, advisor, helpful, friendly, nice]
    App: [app, logging]
    Fees and rates: [fees, rates]
    Call-backs: [called me back, explain]
"""


def generate(rows: int, out: Path, *, rows_per_file: int = 1_000_000, seed: int = 2026) -> dict:
    """Write ``rows`` responses under ``out`` (replaced); returns what was written."""
    import pyarrow.parquet as pq

    if out.exists():
        shutil.rmtree(out)
    (out / "data").mkdir(parents=True)
    (out / "cxreport.yaml").write_text(PROJECT, encoding="utf-8")
    rng = np.random.default_rng(seed)
    branches = branch_table(rng)
    # The quarters grow a little (a programme that surveys more each year).
    shares = np.linspace(1.0, 1.35, len(QUARTERS))
    per_quarter = np.floor(rows * shares / shares.sum()).astype(int)
    per_quarter[-1] += rows - per_quarter.sum()
    files, start = 0, 0
    for quarter, count in enumerate(per_quarter.tolist()):
        year, q = QUARTERS[quarter]
        folder = out / "data" / f"quarter={year}Q{q}"
        folder.mkdir()
        part = 0
        while count > 0:
            size = min(count, rows_per_file)
            pq.write_table(chunk(rng, start, size, quarter, branches), folder / f"part-{part:05d}.parquet",
                           compression="zstd")
            start, count, part, files = start + size, count - size, part + 1, files + 1
    size = sum(f.stat().st_size for f in out.rglob("*.parquet"))
    return {"rows": rows, "files": files, "bytes": size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, required=True, help="folder to write (replaced)")
    parser.add_argument("--rows-per-file", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    if args.rows <= 0 or args.rows_per_file <= 0:
        sys.exit("--rows and --rows-per-file must be positive")
    t = time.perf_counter()
    done = generate(args.rows, args.out, rows_per_file=args.rows_per_file, seed=args.seed)
    print(f"{done['rows']:,} responses in {done['files']} Parquet files under {args.out} "
          f"({done['bytes'] / 1e6:,.1f} MB) in {time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    main()
