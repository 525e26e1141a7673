"""A learnt second opinion on romanised Hindi: hashed character n-grams and naive Bayes.

Why: the lexicon in :mod:`processors.writing_systems` only knows the words someone listed, and
short held-out posts keep using other everyday words. Character n-grams (1-5, over the post's
words with a space at each end) carry the spelling and morphology no list enumerates ("-enge",
"-iye", "bh", "kh", "aa"). The model is a table of per-bucket log-likelihood ratios, so scoring a
post is a hash and a mean (numpy only). It is built by
``python -m processors.training.train_romanised_hindi`` (see models/romanised-hindi/MODEL_CARD.md).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import numpy.typing as npt

from tocsin.errors import ModelError
from tocsin.resources import shipped

MODEL_PATH = shipped("processors.models", "romanised-hindi", "model.npz")
MAX_N = 5
_TOKEN = re.compile(r"[^\W_]+")
_FNV_OFFSET = np.uint32(2166136261)
_FNV_PRIME = np.uint32(16777619)


class RomanisedHindiModelError(ModelError, RuntimeError):
    """The romanised-Hindi model file is missing or not a model this code can read."""


def normalised(text: str) -> str:
    """Lowercased words (letters and digits) with one space between and around them."""
    return " " + " ".join(_TOKEN.findall(text.lower())) + " "


def ngram_buckets(text: str, bits: int) -> npt.NDArray[np.int64]:
    """Bucket of every character 1- to 5-gram of ``normalised(text)``'s UTF-8 bytes (FNV-1a hash)."""
    data = np.frombuffer(normalised(text).encode("utf-8"), dtype=np.uint8).astype(np.uint32)
    size = len(data)
    mask = np.uint32((1 << bits) - 1)
    out = []
    with np.errstate(over="ignore"):
        for n in range(1, min(MAX_N, size) + 1):
            hashed = np.full(size - n + 1, _FNV_OFFSET ^ np.uint32(n), dtype=np.uint32)
            for k in range(n):
                hashed = (hashed ^ data[k:size - n + 1 + k]) * _FNV_PRIME
            out.append(hashed & mask)
    return np.concatenate(out).astype(np.int64)


class RomanisedHindiModel:
    """How much a Latin-script text looks like romanised Hindi (or Urdu) rather than another language."""

    def __init__(self, weights: npt.NDArray[np.float32], bias: float, threshold: float) -> None:
        bits = int(np.log2(len(weights))) if len(weights) else 0
        if len(weights) == 0 or 1 << bits != len(weights):
            raise RomanisedHindiModelError(f"weights must have a power-of-two length, not {len(weights)}")
        if not np.all(np.isfinite(weights)) or not np.isfinite(bias) or not np.isfinite(threshold):
            raise RomanisedHindiModelError("the model's weights, bias and threshold must be finite")
        self.weights = weights
        self.bits = bits
        self.bias = float(bias)
        self.threshold = float(threshold)

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> RomanisedHindiModel:
        """Read a model written by the training script; a clear error if it is missing or corrupt."""
        if not path.is_file():
            raise RomanisedHindiModelError(f"romanised-Hindi model not found: {path} "
                                           "(rebuild: python -m processors.training.train_romanised_hindi)")
        try:
            with np.load(path, allow_pickle=False) as archive:
                weights = np.asarray(archive["weights"], dtype=np.float32)
                bias = float(archive["bias"])
                threshold = float(archive["threshold"])
                version = int(archive["max_n"])
        except Exception as exc:  # zipfile.BadZipFile, KeyError, ValueError, OSError...
            raise RomanisedHindiModelError(f"cannot read romanised-Hindi model {path}: {exc}") from exc
        if version != MAX_N:
            raise RomanisedHindiModelError(f"{path} holds {version}-grams; this code reads {MAX_N}-grams")
        return cls(weights, bias, threshold)

    def score(self, text: str) -> float:
        """Mean log-likelihood ratio (natural log) per n-gram that ``text`` is romanised Hindi.

        The mean, not naive Bayes' sum: the sum grows with length, and a 60-letter Swahili news
        sentence outscored the short Hindi posts the lexicon misses.
        """
        return self.bias + float(self.weights[ngram_buckets(text, self.bits)].mean())

    def is_hindi(self, text: str) -> bool:
        """True only when the model is very sure (its threshold keeps false Hindi on training folds tiny)."""
        return self.score(text) >= self.threshold
