"""Benchmark: theme impact, themes and sentiment over time, emerging themes (issue 16 items 1–2).

Issue 16 asks for theme impact and trends on 200,000 comments in ≤ 5 s after sentiment
(the sentiment scores and theme flags are inputs here, as the comment analysis makes them).
Synthetic data: N respondents with NPS, CSAT (1–5) and weights, a comment from 80 % of them
(N = 250,000 gives 200,000 comments), 15 themes, 8 quarters, one theme emerging in the last.
Times (1) per-comment flags to respondent flags, (2) theme impact on NPS and CSAT,
(3) trends with sentiment, (4) emerging themes; best of three runs each.

    python benchmarks/bench_theme_impact.py [N_RESPONDENTS]
"""

from __future__ import annotations

import sys

import numpy as np

from cxreport.scoring.themes_impact import emerging_themes, respondent_flags, theme_impact, theme_trends
from _measure import timed

THEMES = 15
PERIODS = 8


def synthetic(n: int, seed: int = 7):
    rng = np.random.default_rng(seed)
    latent = rng.normal(0, 1, n)
    nps = np.clip(np.round(6.5 + 2.2 * latent + rng.normal(0, 1.2, n)), 0, 10)
    csat = np.clip(np.round(3.4 + 0.9 * latent + rng.normal(0, 0.6, n)), 1, 5)
    weights = rng.uniform(0.4, 2.5, n)
    period = rng.integers(0, PERIODS, n)
    commented = rng.random(n) < 0.8
    rows = np.flatnonzero(commented)                       # one comment per commenting respondent
    m = len(rows)
    base = rng.uniform(0.02, 0.15, THEMES)
    tilt = rng.normal(0, 1.0, THEMES)
    logits = np.log(base / (1 - base))[None, :] + tilt[None, :] * latent[rows, None]
    flags = rng.random((m, THEMES)) < 1 / (1 + np.exp(-logits))
    flags[:, 0] |= (period[rows] == PERIODS - 1) & (rng.random(m) < 0.05)   # emerging in the last quarter
    sentiment = np.full(n, np.nan)
    sentiment[rows] = np.clip(0.3 * latent[rows] + rng.normal(0, 0.4, m), -1, 1)
    return nps, csat, weights, period, commented, rows, flags, sentiment


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 250_000
    nps, csat, weights, period, commented, rows, flags, sentiment = synthetic(n)
    print(f"{n:,} respondents, {len(rows):,} comments, {THEMES} themes, {PERIODS} periods")
    t_flags, resp = timed(lambda: respondent_flags(flags, rows, n))
    mentions = {f"Theme {k + 1:02d}": resp[:, k] for k in range(THEMES)}
    t_impact, table = timed(lambda: theme_impact(nps, mentions, weights=weights, csat=csat))
    t_trends, trends = timed(lambda: theme_trends(mentions, period, commented=commented, sentiment=sentiment,
                                                 weights=weights))
    t_emerging, emerging = timed(lambda: emerging_themes(trends))
    total = t_flags + t_impact + t_trends + t_emerging
    print(f"respondent flags     {t_flags:7.3f} s")
    print(f"theme impact         {t_impact:7.3f} s   ({table.n_tests} tests, {table.n_significant} significant)")
    print(f"trends + sentiment   {t_trends:7.3f} s")
    print(f"emerging themes      {t_emerging:7.3f} s   ({', '.join(e.theme for e in emerging.emerging) or 'none'})")
    print(f"total                {total:7.3f} s   (target ≤ 5 s)")


if __name__ == "__main__":
    main()
