"""Train models/romanised-hindi/model.npz: romanised Hindi against other Latin-script text.

Positives: the ``hi`` rows of the language-ID dev file's TUNING half, the hand-written
candidates file hate_written_hi.csv and the Latin-script ``hi`` rows of the low-resource training
file. Negatives: the tuning half's other languages, the Latin-script rows of the hate training
corpora (Davidson, Latent Hatred stage 1, Stormfront, GermEval, ToLD-Br, MLMA en/fr) and
CrisisLex T26 tweets. Nothing held out or from an evaluation suite is read.

Smoothing and the threshold are chosen by seeded five-fold cross-validation on these rows only:
the threshold is the lowest score at which the out-of-fold negatives the identifier would ask the
model about (short, mostly Latin, not Hindi by the lexicon) are given Hindi at most
``--max-false-rate`` of the time, and never below ``--min-threshold``.

    python -m processors.training.train_romanised_hindi --shared ../shared/data
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt

from processors.evaluation.language_files import TRAINING, texts, written_halves
from processors.language import MIN_LETTERS, ROMANISED_HINDI_SHARE, SAMPLE_CHARS, SHORT_LETTERS, _sample
from processors.romanised_hindi_model import MAX_N, MODEL_PATH, ngram_buckets
from processors.training.violence_corpora import crisislex_texts
from processors.writing_systems import NOT_LATIN_LANGUAGES, mostly_latin, romanised_hindi, weighted_letters

HERE = Path(__file__).resolve().parent
POSITIVE_FILES = (HERE / "data" / "candidates" / "hate_written_hi.csv",
                  HERE / "data" / "hate_written_low_resource.csv")
NEGATIVE_FILES = tuple(labelled for labelled in TRAINING if labelled.lang not in NOT_LATIN_LANGUAGES)
"""The hate training corpora in Latin letters (English, Portuguese, French, German)."""


def rows(data: Path) -> tuple[list[str], list[str]]:
    """(positives, negatives): samples as the identifier reads them, Latin-script ones only."""
    tuning = written_halves()["tuning"]
    positives = [text for text, lang in tuning if lang == "hi"]
    negatives = [text for text, lang in tuning if lang != "hi"]
    csv.field_size_limit(sys.maxsize)
    for path in POSITIVE_FILES:
        with path.open(encoding="utf-8", newline="") as handle:
            positives.extend(row["text"] for row in csv.DictReader(handle) if row["lang"] == "hi")
    for labelled in NEGATIVE_FILES:
        negatives.extend(texts(data, labelled))
    negatives.extend(crisislex_texts(data / "events" / "crisislex_t26"))

    def latin(items: list[str]) -> list[str]:
        samples = (_sample(text, SAMPLE_CHARS) for text in items)
        return [sample for sample in samples if sample and mostly_latin(sample)]

    return latin(positives), latin(negatives)


def asked(sample: str) -> bool:
    """Whether the identifier would ask the model about ``sample`` (see processors.language)."""
    letters = weighted_letters(sample)
    return MIN_LETTERS <= letters < SHORT_LETTERS and romanised_hindi(sample) < ROMANISED_HINDI_SHARE


def fit(counts: npt.NDArray[np.float64], alpha: float) -> npt.NDArray[np.float32]:
    """Per-bucket log-likelihood ratio, Hindi (row 0) against the rest (row 1), add-alpha smoothing."""
    smoothed = counts + alpha
    logp = np.log(smoothed) - np.log(smoothed.sum(axis=1, keepdims=True))
    return (logp[0] - logp[1]).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=Path("../shared/data"),
                        help="the data folder holding hate/ and events/")
    parser.add_argument("--bits", type=int, default=18, help="2**bits hash buckets")
    parser.add_argument("--alphas", default="0.1,0.3,1.0",
                        help="smoothing values compared by cross-validation")
    parser.add_argument("--max-false-rate", type=float, default=0.0,
                        help="share of asked out-of-fold negatives allowed above the threshold (0: none)")
    parser.add_argument("--min-threshold", type=float, default=0.0)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20261207)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args()
    data: Path = args.shared
    if not (data / "hate").is_dir() or not (data / "events").is_dir():
        raise SystemExit(f"{data}: no hate/ and events/ folders here (see --shared)")
    positives, negatives = rows(data)
    samples = positives + negatives
    label = np.array([0] * len(positives) + [1] * len(negatives))
    buckets = [ngram_buckets(sample, args.bits) for sample in samples]
    is_asked = np.array([asked(sample) for sample in samples])
    fold = np.random.default_rng(args.seed).integers(0, args.folds, len(samples))
    size = 1 << args.bits
    counts = np.zeros((args.folds, 2, size))
    for k in range(args.folds):
        for cls in (0, 1):
            chosen = [buckets[i] for i in np.flatnonzero((fold == k) & (label == cls))]
            counts[k, cls] = np.bincount(np.concatenate(chosen), minlength=size)
    total = counts.sum(axis=0)
    print(f"positives {len(positives)}, negatives {len(negatives)}; asked: positives "
          f"{int(is_asked[label == 0].sum())}, negatives {int(is_asked[label == 1].sum())}")
    best: tuple[float, float, float] | None = None
    for alpha in (float(value) for value in args.alphas.split(",")):
        scores = np.zeros(len(samples))
        for k in range(args.folds):
            weights = fit(total - counts[k], alpha)
            for i in np.flatnonzero(fold == k):
                scores[i] = weights[buckets[i]].mean()
        negative = np.sort(scores[(label == 1) & is_asked])[::-1]
        allowed = int(args.max_false_rate * len(negative))
        threshold = max(args.min_threshold, float(negative[allowed]) + 1e-4)
        gained = int(((scores >= threshold) & (label == 0) & is_asked).sum())
        false = int(((scores >= threshold) & (label == 1) & is_asked).sum())
        print(f"alpha {alpha}: threshold {threshold:.4f}; out-of-fold asked positives made hi {gained} of "
              f"{int(((label == 0) & is_asked).sum())}, asked negatives made hi {false} of {len(negative)}")
        if best is None or gained > best[2]:
            best = (alpha, threshold, gained)
    assert best is not None
    alpha, threshold, _ = best
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, weights=fit(total, alpha),
                        bias=np.float32(0.0), threshold=np.float32(threshold), max_n=np.int32(MAX_N),
                        alpha=np.float32(alpha), bits=np.int32(args.bits))
    print(f"wrote {args.out} (alpha {alpha}, threshold {threshold:.4f}, {args.out.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
