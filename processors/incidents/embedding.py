"""What fusion compares items with: the encoder's embeddings, or hashed character n-grams without one.

The encoder classifier (``processors.classifiers.encoder``) has just read the
items fusion sees, and keeps their vectors in a small cache: its
``embeddings()`` are multilingual (one space for every language) and cost
nothing more for an item it has scored. A cascade without the encoder (a
user's own checkpoint, the tests' tiny models) falls back to hashed character
3-grams: lexical, so it fuses copies and close rewrites in one language only.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from processors.classifiers.encoder import encoder_of
from processors.incidents.duplicates import normalise
from processors.incidents.fusion import Embedder

NGRAM_DIM = 1024
BACKGROUNDS = Path(__file__).with_name("backgrounds.json")
"""The mean embedding of training text per encoder: the prior of ``fusion.Background``."""


def background_for(name: str) -> np.ndarray | None:
    """The shipped mean embedding for the embedder ``name`` (see ``embedder_for``), if there is one."""
    try:
        known = json.loads(BACKGROUNDS.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    vector = known.get(name, {}).get("mean")
    return None if vector is None else np.asarray(vector, dtype=np.float32)


def hashed_ngrams(texts: Sequence[str], dim: int = NGRAM_DIM) -> np.ndarray:
    """Unit vectors of character 3-gram counts hashed into ``dim`` buckets (CRC-32)."""
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for row, text in enumerate(texts):
        folded = f" {normalise(text)[:2000]} "
        for i in range(len(folded) - 2):
            out[row, zlib.crc32(folded[i : i + 3].encode("utf-8", "surrogatepass")) % dim] += 1.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return np.divide(out, norms, out=np.zeros_like(out), where=norms > 0)


def embedder_for(classifiers: Sequence[object]) -> tuple[Embedder, str]:
    """The encoder's embeddings when the cascade has the encoder, else hashed n-grams; and its name."""
    encoder = encoder_of(classifiers)
    if encoder is not None:
        return encoder.embeddings, f"encoder/{encoder.routes[-1].encoder.name}"
    return hashed_ngrams, "hashed-ngrams"
