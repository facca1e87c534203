"""Benchmark: suggested themes from uncoded comments on 200,000 comments (issue 16 target ≤ 30 s).

1. English: 200,000 synthetic comments — one to three clauses from a pool of customer-service clauses (the
   37 real Sudzilla event-survey answers among them) with filler words drawn from a Zipf distribution over
   5,000 made-up words, so the vocabulary is as large as real free text; a code frame of a few themes codes
   part of them.
2. Chinese: the 11,987 real waimai_10k reviews (read in place from ../shared/realdata, never copied) sampled
   with replacement to 200,000, coded with a frame of three themes; segmented with rjieba.

The uncoded flags are found with plain substring/regex tests here (the code frame's matching is measured by
bench_analytics.py); the time is that of :func:`cxreport.scoring.suggest.suggest_themes` alone.

    python benchmarks/bench_suggest.py [N]
"""

from __future__ import annotations

import re
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from cxreport.scoring.suggest import suggest_themes

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"

CLAUSES = [
    "the queue was far too long", "nobody answered the phone", "staff were friendly and helpful",
    "the app keeps crashing when I log in", "fees are too high for what you get", "my card was blocked twice",
    "the parking was full again", "the car park lights were broken", "the lift was out of order",
    "I could not find the opening hours online", "the new statement layout is confusing",
    "the chatbot never understood my question", "cash machine out of money", "they lost my paperwork",
    "the branch was cold and dirty", "great service as always", "waited on hold for forty minutes",
    "the letter arrived after the deadline", "interest rate changed without notice", "the website timed out",
]
FRAME_WORDS = ["queue", "staff", "app", "fees", "card", "hold", "website", "service"]


def english(n: int, seed: int = 16) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    real = pd.read_csv(REALDATA / "sudzilla_event_survey" / "input_01.csv").iloc[:, 2].dropna().tolist()
    pool = CLAUSES + [t.strip().rstrip(".") for t in real]
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    made_up = ["".join(rng.choice(letters, rng.integers(3, 9))) for _ in range(5000)]
    fillers = rng.zipf(1.3, size=n * 3) % len(made_up)
    k = rng.integers(1, 4, size=n)
    picks = rng.integers(0, len(pool), size=(n, 3))
    out = []
    for i in range(n):
        parts = [pool[j] for j in picks[i, :k[i]]]
        parts[-1] = parts[-1] + " " + " ".join(made_up[f] for f in fillers[3 * i:3 * i + k[i]])
        out.append(", ".join(parts) + ".")
    pattern = re.compile(r"\b(" + "|".join(FRAME_WORDS) + r")\b", re.IGNORECASE)
    return out, np.array([not pattern.search(t) for t in out])


def chinese(n: int, seed: int = 16) -> tuple[list[str], np.ndarray]:
    reviews = pd.read_csv(REALDATA / "waimai_10k" / "waimai_10k.csv")["review"].astype(str).to_numpy()
    texts = reviews[np.random.default_rng(seed).integers(0, len(reviews), n)].tolist()
    keywords = ["味道", "好吃", "难吃", "贵", "价格", "态度"]
    return texts, np.array([not any(k in t for k in keywords) for t in texts])


def run(name: str, texts: list[str], flags: np.ndarray) -> None:
    start = time.perf_counter()
    result = suggest_themes(texts, flags)
    elapsed = time.perf_counter() - start
    print(f"{name}: {len(texts):,} comments, {result.n_uncoded:,} uncoded → {len(result.suggestions)} suggestions "
          f"in {elapsed:.2f} s (target ≤ 30 s); min_comments {result.min_comments}, segmenter {result.segmenter}")
    for s in result.suggestions[:5]:
        print(f"    {s.label}: {s.comments:,} comments ({s.share:.1f} %), phrases "
              + ", ".join(p.phrase for p in s.phrases[:4]))


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    run("English", *english(n))
    run("Chinese", *chinese(n))
    print(f"peak memory (max RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
