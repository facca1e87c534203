"""Benchmark: RFM scores on 1,000,000 customers (METHODS.md §12, issue 16).

Measures (1) ``rfm_from_fields`` on 1,000,000 customers' recency, frequency and monetary
fields (text ids, scores, segments, value tier, segment summary); (2) ``rfm_from_transactions``
on ~5,000,000 transactions of the same 1,000,000 customers (text ids, day dates, amounts with
2 % refunds, a 365-day window); (2b) the same over the
whole history (all 5,000,000 grouped), the time of factorizing the text ids alone, and the
whole history with integer ids; (3) for scale, the join of 200,000 respondents to the
customers and NPS/CSAT by RFM segment. Best of 3 runs; the peak memory of the process.
Target: RFM on 1,000,000 customers ≤ 3 s (both routes).

    python benchmarks/bench_rfm.py [CUSTOMERS] [TRANSACTIONS]
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from cxreport.scoring import value
from _measure import peak_mb, timed


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    m = int(sys.argv[2]) if len(sys.argv) > 2 else 5 * n
    rng = np.random.default_rng(16)
    ids = np.array([f"C{k:07d}" for k in range(n)], dtype=object)
    recency = rng.integers(0, 730, n).astype(float)
    frequency = rng.poisson(4, n).astype(float) + 1
    monetary = np.round(rng.lognormal(4.5, 1.0, n), 2)

    t_fields, res = timed(lambda: value.rfm_from_fields(ids, recency, frequency, monetary))
    print(f"RFM from fields, {n:,} customers: {t_fields:.2f} s (target ≤ 3 s); "
          f"top 20 % hold {100 * res.tier.value_share:.1f} % of value; "
          f"segments: {', '.join(f'{s.name} {s.customers:,}' for s in res.segments if s.customers)}")

    # One text object per transaction, as a CSV reader makes them (picking from ``ids`` would
    # share a million objects between rows, which hashes 2× slower through cache misses).
    who = np.array([f"C{k:07d}" for k in rng.integers(0, n, m)], dtype=object)
    days = np.datetime64("2025-01-01") + rng.integers(0, 730, m).astype("timedelta64[D]")
    amounts = np.round(rng.lognormal(3.5, 0.8, m), 2)
    amounts[rng.random(m) < 0.02] *= -1
    t_tx, res_tx = timed(lambda: value.rfm_from_transactions(who, days, amounts, window_days=365))
    print(f"RFM from transactions, {m:,} transactions → {res_tx.n:,} customers scored "
          f"({res_tx.transactions_used:,} in the 365-day window, {res_tx.transactions_outside:,} outside): "
          f"{t_tx:.2f} s (target ≤ 3 s)")

    t_all, res_all = timed(lambda: value.rfm_from_transactions(who, days, amounts))
    print(f"RFM from transactions, whole history (all {m:,} grouped) → {res_all.n:,} customers: {t_all:.2f} s "
          "(target ≤ 3 s)")
    t_fact, _ = timed(lambda: pd.factorize(who, sort=False))
    numbers = rng.integers(0, n, m).astype(np.int64)
    t_int, res_int = timed(lambda: value.rfm_from_transactions(numbers, days, amounts))
    print(f"  of which pandas.factorize of the {m:,} text ids alone: {t_fact:.2f} s; whole history with integer "
          f"ids (customer numbers): {t_int:.2f} s ({res_int.n:,} customers)")

    k = min(200_000, n)
    resp = ids[rng.choice(n, k, replace=False)].copy()
    resp[: k // 20] = "X"                          # 5 % without a customer record
    nps = rng.integers(0, 11, k).astype(float)
    csat = rng.integers(1, 6, k).astype(float)

    def join_and_score():
        j = value.join_customers(resp, res.customer_id)
        seg = j.take(res.segment_names())
        return value.scores_by_segment(seg, nps=nps, csat=csat)

    t_join, by_seg = timed(join_and_score)
    print(f"join {k:,} respondents to {n:,} customers + NPS/CSAT by segment: {t_join:.2f} s "
          f"({len(by_seg.groups)} segments, {by_seg.unmatched.respondents:,} unmatched)")
    print(f"peak memory {peak_mb():,.0f} MB")


if __name__ == "__main__":
    main()
