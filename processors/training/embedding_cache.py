"""Embeddings computed once: vectors kept on disk by the hash of the exact text embedded, per encoder.

At ~30 texts/s a core, embedding the training sets is the slow part of
training; this cache makes every later run (other heads, other splits, the
evaluation of a candidate) read vectors instead of recomputing them. Shards
are ``.npz`` files of ``keys`` (SHA-1 of the UTF-8 text, 20 bytes) and
``vectors`` (float32), appended as work proceeds, so an interrupted run keeps
what it did. Only training reads it; the stream never does.

A joined encoder's vectors (``use+static``) missing from its own cache are
built from its parts: each part's rows come through that part's own cache
(USE's, filled by earlier runs of USE alone, is read, and grows by what USE
must embed), a lookup table's are computed, and they are joined as the encoder
joins them (:func:`~processors.encoders.concat.join_rows`).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from processors.encoders.concat import ConcatEncoder, join_rows
from processors.encoders.protocol import Encoder


def text_key(text: str) -> bytes:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).digest()


class EmbeddingCache:
    """Vectors of one encoder under ``root/<encoder name>/``; not for concurrent writers."""

    def __init__(self, root: Path, encoder_name: str, dim: int) -> None:
        self.root = root
        self.directory = root / encoder_name.replace("/", "_").replace(":", "_")
        self.dim = dim
        self._index: dict[bytes, tuple[int, int]] = {}
        self._part_caches: dict[str, EmbeddingCache] = {}  # a joined encoder's parts' own, read once
        self._shards: list[np.ndarray] = []
        self._load()

    def _load(self) -> None:
        if not self.directory.is_dir():
            return
        for path in sorted(self.directory.glob("shard-*.npz")):
            with np.load(path) as shard:
                keys, vectors = shard["keys"], shard["vectors"]
            if vectors.shape[1] != self.dim:
                raise ValueError(f"{path}: vectors are {vectors.shape[1]} wide, expected {self.dim}")
            number = len(self._shards)
            self._shards.append(vectors)
            for row, key in enumerate(keys.tolist()):
                self._index[bytes(key)] = (number, row)

    def __len__(self) -> int:
        return len(self._index)

    def __contains__(self, text: str) -> bool:
        return text_key(text) in self._index

    def missing(self, texts: Sequence[str]) -> list[str]:
        """Texts not cached yet, each once, in first-seen order."""
        seen: set[bytes] = set()
        out = []
        for text in texts:
            key = text_key(text)
            if key not in self._index and key not in seen:
                seen.add(key)
                out.append(text)
        return out

    def get(self, texts: Sequence[str]) -> np.ndarray:
        """Cached vectors of ``texts`` (``KeyError`` for one that is not cached)."""
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            shard, row = self._index[text_key(text)]
            out[i] = self._shards[shard][row]
        return out

    def add(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Store vectors as one new shard (written atomically)."""
        if not len(texts):
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        keys = np.frombuffer(b"".join(text_key(text) for text in texts), dtype=np.uint8).reshape(-1, 20)
        vectors = np.asarray(vectors, dtype=np.float32)
        path = self.directory / f"shard-{time.time_ns():020d}-{os.getpid()}.npz"
        temporary = path.with_suffix(".tmp.npz")
        np.savez(temporary, keys=keys, vectors=vectors)
        temporary.replace(path)
        number = len(self._shards)
        self._shards.append(vectors)
        for row, key in enumerate(keys):
            self._index[key.tobytes()] = (number, row)

    def embed(
        self,
        texts: Sequence[str],
        encoder: Encoder,
        *,
        chunk: int = 512,
        progress: Callable[[int, int], None] | None = None,
    ) -> np.ndarray:
        """Vectors of ``texts``, embedding (and storing) only those not cached yet."""
        todo = self.missing(texts)
        fresh = self._fresh_vectors(encoder) if todo else encoder.embed
        for begin in range(0, len(todo), chunk):
            part = todo[begin : begin + chunk]
            self.add(part, fresh(part))
            if progress is not None:
                progress(begin + len(part), len(todo))
        return self.get(texts)

    def _fresh_vectors(self, encoder: Encoder) -> Callable[[Sequence[str]], np.ndarray]:
        """How texts not cached get their vectors: ``encoder.embed``; for a joined encoder, its parts'
        rows (each through its own cache, :meth:`_part_rows`) joined as the encoder joins them."""
        if not isinstance(encoder, ConcatEncoder):
            return encoder.embed
        sources = [
            self._part_rows(part, name) for part, name in zip(encoder.parts, encoder.part_names, strict=True)
        ]
        return lambda texts: join_rows(encoder.parts, [rows(texts) for rows in sources], len(texts))

    def cached(self, texts: Sequence[str], encoder: Encoder) -> list[bool]:
        """Per text: whether its vector comes without running an encoder (``--cached-only``): it is
        in this cache or, for a joined encoder, in the own cache of each part that has one."""
        parts: list[EmbeddingCache] = []
        if isinstance(encoder, ConcatEncoder):
            named = zip(encoder.parts, encoder.part_names, strict=True)
            parts = [store for part, name in named if (store := self._part_store(part, name)) is not None]
        return [text in self or (bool(parts) and all(text in store for store in parts)) for text in texts]

    def _part_rows(self, part: Encoder, name: str) -> Callable[[Sequence[str]], np.ndarray]:
        """A joined encoder's part's rows: through the part's own cache (:meth:`_part_store`), or
        computed for a lookup table."""
        store = self._part_store(part, name)
        if store is None:
            return part.embed
        return lambda texts: store.embed(texts, part)

    def _part_store(self, part: Encoder, name: str) -> EmbeddingCache | None:
        """A joined encoder's part's own cache under ``name``; none for a lookup table's (it has a
        ``fingerprint``): computing those takes microseconds a text, less than reading them, and a
        cache of each rebuilt table would pile up."""
        if getattr(part, "fingerprint", None):
            return None
        if name not in self._part_caches:
            self._part_caches[name] = EmbeddingCache(self.root, name, part.dim)
        return self._part_caches[name]
