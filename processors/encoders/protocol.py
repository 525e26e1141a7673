"""What an encoder is, and the one text clean-up every encoder input goes through."""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from tocsin.errors import ModelError

_URL = re.compile(r"(?:https?://|www\.)\S+")
_MENTION = re.compile(r"(?<!\w)@\w[\w.]*")


class EncoderError(ModelError, RuntimeError):
    """An encoder cannot be built or loaded (missing package, unreadable model directory)."""


@runtime_checkable
class Encoder(Protocol):
    """Embeds texts; rows are L2-normalised, so a dot product is a cosine similarity.

    ``name`` identifies the vectors (heads trained on one encoder's vectors are
    meaningless on another's, and a model file records the name it expects).
    Implementations are thread-safe: the pipeline calls them from executor threads.
    """

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """``(len(texts), dim)`` float32, each row of unit length (a zero row for an empty text)."""
        ...


def prepare_text(text: str, max_chars: int) -> str:
    """The form every encoder sees: entities decoded, URLs and @handles made generic, spaces collapsed.

    Training and inference share it, so a model sees what it was trained on. The
    cut to ``max_chars`` comes last; titles and leads carry most of a news item.
    """
    if "&" in text:
        text = html.unescape(text)
    if "http" in text or "www." in text:
        text = _URL.sub("http", text)
    if "@" in text:
        text = _MENTION.sub("@user", text)
    text = " ".join(text.split())
    return text[:max_chars].rstrip()


def normalise_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero); float32."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 1e-12)


def embed_in_batches(texts: Sequence[str], dim: int, batch_size: int, lock: threading.Lock,
                     encode: Callable[[list[str]], np.ndarray]) -> np.ndarray:
    """Unit rows for ``texts`` from an engine read ``batch_size`` at a time, one caller at a time;
    empty texts get zero rows without reaching the engine."""
    out = np.zeros((len(texts), dim), dtype=np.float32)
    rows = [i for i, text in enumerate(texts) if text.strip()]
    with lock:
        for begin in range(0, len(rows), batch_size):
            chunk = rows[begin : begin + batch_size]
            out[chunk] = encode([texts[i] for i in chunk])
    return normalise_rows(out)
