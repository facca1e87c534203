"""Benchmarks for multichannel consistency and emotion by touchpoint (issue 16, items 4–5).

1. Consistency: 200,000 responses × 5 channels × 12 KPIs (NPS, CSAT, CES, 9 attribute
   ratings), weighted, every pair of channels tested and adjusted together.
2. Emotion: 200,000 comments × 20 touchpoints in 5 stages, weighted, with 10 theme flags
   (sentiment scores given: the analyser's own time is in bench_analytics.py).

The issue sets no target for these two; we hold them to ≤ 1 s each (they are a small part
of a report build). Each figure is the best of three runs; channel and touchpoint labels
are text, as they come from the survey file.

    python benchmarks/bench_consistency.py
"""

from __future__ import annotations

import time

import numpy as np

from cxreport.scoring.consistency import consistency_table
from cxreport.scoring.emotion import emotion_map
from cxreport.scoring.kpis import ItemSpec


def best_of(runs: int, fn):
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def main() -> None:
    rng = np.random.default_rng(16)
    n = 200_000
    names = np.array(["App", "Branch", "Chat", "Phone", "Web"])
    channels = names[rng.choice(5, n, p=[0.35, 0.25, 0.1, 0.15, 0.15])].astype(object)
    channels[rng.random(n) < 0.02] = None                       # no channel stated
    lift = np.array([0.4, 0.0, -0.5, -0.2, 0.2])[np.searchsorted(names, np.where(channels == None, "App", channels))]  # noqa: E711
    w = rng.uniform(0.5, 2.0, n)

    def scale(mean, sd, low, high):
        x = np.clip(np.round(rng.normal(mean + lift, sd)), low, high)
        x[rng.random(n) < 0.05] = np.nan                       # missing answers
        return x

    items = [(ItemSpec.nps(), scale(7.5, 2.2, 0, 10)), (ItemSpec.csat(), scale(3.8, 0.9, 1, 5)),
             (ItemSpec.ces(), scale(5.2, 1.3, 1, 7))]
    items += [(ItemSpec.rating(f"attr:a{k}", f"Attribute {k}"), scale(3.5 + k / 20, 0.9, 1, 5)) for k in range(9)]
    t, table = best_of(3, lambda: consistency_table(items, channels, w))
    print(f"consistency: {n:,} responses, {len(table.channels)} channels, {len(items)} KPIs, weighted, "
          f"{table.n_tests} pair tests adjusted together")
    print(f"  consistency_table:      {t:6.3f} s   (target ≤ 1 s)")
    for k in table.kpis[:3]:
        g = k.largest_gap
        print(f"  {k.label:5} index {k.index:5.1f}   largest gap {g.a} − {g.b} = {g.diff:+.2f} ({g.method}, "
              f"adjusted p = {g.p_adjusted:.2g})")

    m = 200_000
    tp_names = np.array([f"Touchpoint {i:02d}" for i in range(20)])
    stage_of = {t: f"Stage {i // 4 + 1}" for i, t in enumerate(tp_names)}
    codes = rng.integers(0, 20, m)
    touchpoints = tp_names[codes].astype(object)
    touchpoints[rng.random(m) < 0.1] = ""                       # comments not linked
    scores = np.clip(rng.normal(0.05 + (codes - 10) / 50, 0.5), -1, 1)
    scores[rng.random(m) < 0.15] = 0.0
    chinese = rng.random(m) < 0.3
    themes = {f"theme {k}": rng.random(m) < 0.05 + k / 100 for k in range(10)}
    cw = rng.uniform(0.5, 2.0, m)
    t, emap = best_of(3, lambda: emotion_map(scores, touchpoints, weights=cw, stage_of=stage_of, chinese=chinese,
                                             themes=themes))
    print(f"emotion: {m:,} comments, {len(emap.touchpoints.groups)} touchpoints in {len(emap.stages.groups)} stages, "
          f"{len(themes)} themes, weighted, {emap.touchpoints.n_tests + emap.stages.n_tests} tests against the rest")
    print(f"  emotion_map:            {t:6.3f} s   (target ≤ 1 s)")


if __name__ == "__main__":
    main()
