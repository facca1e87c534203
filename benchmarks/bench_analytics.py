"""Benchmarks for insight analytics.

1. Key drivers on 1,000,000 responses with 12 drivers: relative weights (target ≤ 3 s),
   and Shapley/LMG (4,096 subsets) for comparison.
2. Sentiment and themes on 200,000 comments (target ≤ 30 s).

    python benchmarks/bench_analytics.py
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from cxreport.scoring.comments import analyse_comments
from cxreport.scoring.drivers import relative_weights, shapley

PHRASES = [
    "The queue was far too long and nobody helped", "Staff were friendly and knowledgeable",
    "The app keeps crashing when I log in", "Fees are too high for what you get",
    "My complaint was resolved first time, thank you", "Branch closed early again, very annoying",
    "Fraud team blocked my card but sorted it quickly", "Great service, would recommend",
    "Waited on hold for forty minutes", "Clear information about the mortgage",
]
FRAME = {
    "Waiting": ["queue", "waited", "on hold", "wait"], "Staff": ["staff", "friendly", "knowledgeable"],
    "Digital": ["app", "log in", "online"], "Fees": ["fee", "fees", "charges"],
    "Resolution": ["resolved", "sorted", "complaint"], "Branch": ["branch", "closed"],
    "Fraud": ["fraud", "blocked", "card"],
}


def main() -> None:
    rng = np.random.default_rng(1)
    n, k = 1_000_000, 12
    latent = rng.normal(size=n)
    X = np.column_stack([np.clip(np.round(3 + latent * rng.uniform(0.3, 0.9) + rng.normal(0, 1, n)), 1, 5)
                         for _ in range(k)])
    y = np.clip(np.round(6 + 2 * latent + rng.normal(0, 2, n)), 0, 10)
    w = rng.uniform(0.5, 2, n)
    t0 = time.perf_counter()
    rw = relative_weights(y, X, w)
    t_rw = time.perf_counter() - t0
    t0 = time.perf_counter()
    lmg = shapley(y, X, w)
    t_lmg = time.perf_counter() - t0
    print(f"drivers: {n:,} responses, {k} drivers, weighted")
    print(f"  relative weights:       {t_rw:6.2f} s   (target ≤ 3 s)   R² = {rw.r2:.4f}")
    print(f"  Shapley/LMG:            {t_lmg:6.2f} s   R² = {lmg.r2:.4f}")

    m = 200_000
    texts = [f"{PHRASES[i % 10]}. {PHRASES[(i * 7 + 3) % 10]}" if i % 3 else PHRASES[i % 10] for i in range(m)]
    comments = pd.DataFrame({"row": np.arange(m) + 2, "text": texts})
    segments = {"Region": rng.choice(["North", "South", "East", "West"], m)}
    t0 = time.perf_counter()
    result = analyse_comments(comments, FRAME, segments, ["Jo Smith"])
    t_c = time.perf_counter() - t0
    print(f"comments: {m:,} comments, {len(FRAME)} themes")
    print(f"  sentiment + themes + verbatims + theme × segment: {t_c:6.2f} s   (target ≤ 30 s)")
    print(f"  uncoded: {result.uncoded:,}; negative: {result.sentiment_counts['negative']:,}")


if __name__ == "__main__":
    main()
