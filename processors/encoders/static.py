"""A static multilingual embedding distilled from the encoder: one vector per vocabulary piece.

Model2Vec's recipe (Tulkens & van Dongen 2024) on multilingual-e5: every piece
of the encoder's own SentencePiece vocabulary is embedded once through the
encoder, the vectors are reduced by PCA and weighted (SIF, from the piece's
unigram log-probability), and a text's vector is the mean of its pieces'
vectors. It keeps much of the encoder's cross-lingual sense (a Swahili and an
English report of a massacre land near each other) at thousands of texts per
second, which is what a gate in front of the encoder needs.

The shipped table keeps the pieces with the highest unigram scores (the
tokenizer's own frequency estimate); a word whose piece was pruned is split by
the unigram model into kept pieces, as SentencePiece does with any rare word.
Vectors are int8 with one float scale per piece.

File ``static.npz``: ``pieces`` (UTF-8 blob) and ``offsets``, ``scores``,
``vectors`` (int8, n × d), ``scales`` (float32, n), ``norm_from`` /
``norm_offsets`` / ``norm_to`` (the encoder's code-point normalisation), and a
JSON ``header`` (format, name, unk id, provenance).

The name (``e5-static-<version>``) says which recipe made a table, not which
table: a rebuild under the same ``--version`` keeps it. :attr:`StaticEmbedding.fingerprint`
hashes what decides a text's vector, so vectors read beside another encoder's
(:mod:`processors.encoders.concat`) name the very table they came from.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from processors.encoders.protocol import EncoderError, normalise_rows, prepare_text
from processors.encoders.sentencepiece import build_tokenizer, translation_table
from processors.npz import write_npz

STATIC_FILE = "static.npz"
STATIC_FORMAT = 1


class StaticEmbedding:
    """The piece table and the tokenizer that indexes it; an :class:`~processors.encoders.Encoder`."""

    def __init__(
        self,
        pieces: list[str],
        scores: np.ndarray,
        vectors: np.ndarray,
        scales: np.ndarray,
        normalisation: dict[int, str],
        *,
        unk_id: int,
        name: str,
        meta: dict[str, Any] | None = None,
        max_chars: int = 2000,
    ) -> None:
        if vectors.dtype != np.int8 or vectors.shape[0] != len(pieces) or scales.shape != (len(pieces),):
            raise EncoderError(
                f"static embedding: {len(pieces)} pieces but vectors {vectors.dtype}"
                f"{vectors.shape} and scales {scales.shape}"
            )
        self.pieces = pieces
        self.scores = scores
        self.vectors = vectors
        self.scales = scales.astype(np.float32)
        self.normalisation = normalisation
        self.unk_id = unk_id
        self.name = name
        self.dim = int(vectors.shape[1])
        self.meta = meta or {}
        self.max_chars = max_chars
        self._table = translation_table(normalisation)
        self._tokenizer = build_tokenizer(pieces, scores, unk_id)
        self._lock = threading.Lock()

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        normal = [
            " ".join(prepare_text(text, self.max_chars).translate(self._table).split()) for text in texts
        ]
        with self._lock:  # tokenizers' Tokenizer is not documented as thread-safe
            encodings = self._tokenizer.encode_batch(normal, add_special_tokens=False)
        return [encoding.ids for encoding in encodings]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Mean of the pieces' weighted vectors, L2-normalised; ``<unk>`` pieces count for nothing."""
        ids = self.token_ids(texts)
        lengths = np.fromiter((len(row) for row in ids), dtype=np.int64, count=len(ids))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not lengths.sum():
            return out
        flat = np.fromiter((i for row in ids for i in row), dtype=np.int64, count=int(lengths.sum()))
        rows = self.vectors[flat].astype(np.float32) * self.scales[flat, None]
        filled = lengths > 0
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])[filled]
        out[filled] = np.add.reduceat(rows, starts, axis=0)
        return normalise_rows(out)

    @cached_property
    def fingerprint(self) -> str:
        """8 hex digits of a SHA-256 of what decides a text's vector: pieces, scores, vectors, scales,
        normalisation and ``<unk>`` (not the name or provenance); computed once, on first use."""
        codes = sorted(self.normalisation)
        arrays = (
            np.frombuffer("\0".join(self.pieces).encode("utf-8"), dtype=np.uint8),
            np.ascontiguousarray(self.scores, dtype=np.float32),
            np.ascontiguousarray(self.vectors),
            np.ascontiguousarray(self.scales, dtype=np.float32),
            np.frombuffer(
                "\0".join(f"{code}:{self.normalisation[code]}" for code in codes).encode("utf-8"),
                dtype=np.uint8,
            ),
            np.array([self.unk_id], dtype=np.int64),
        )
        digest = hashlib.sha256()
        for array in arrays:  # each with its type and shape, so no two contents hash alike
            digest.update(f"{array.dtype.str}{array.shape};".encode("ascii"))
            digest.update(array.tobytes())
        return digest.hexdigest()[:8]

    # -- files -------------------------------------------------------------

    def save(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        encoded = [piece.encode("utf-8") for piece in self.pieces]
        offsets = np.concatenate([[0], np.cumsum([len(piece) for piece in encoded])]).astype(np.uint32)
        codes = sorted(self.normalisation)
        replacements = [[ord(char) for char in self.normalisation[code]] for code in codes]
        header = {"format": STATIC_FORMAT, "name": self.name, "unk_id": self.unk_id, "meta": self.meta}
        arrays: dict[str, np.ndarray] = {
            "pieces": np.frombuffer(b"".join(encoded), dtype=np.uint8),
            "offsets": offsets,
            "scores": self.scores.astype(np.float32),
            "vectors": self.vectors,
            "scales": self.scales,
            "norm_from": np.array(codes, dtype=np.uint32),
            "norm_offsets": np.concatenate([[0], np.cumsum([len(r) for r in replacements])]).astype(
                np.uint32
            ),
            "norm_to": np.array([c for r in replacements for c in r], dtype=np.uint32),
            "header": np.frombuffer(json.dumps(header, sort_keys=True).encode("utf-8"), dtype=np.uint8),
        }
        path = directory / STATIC_FILE
        write_npz(path, arrays)
        return path

    @classmethod
    def load(cls, location: Path | str, *, max_chars: int = 2000) -> StaticEmbedding:
        path = Path(location)
        if path.is_dir() or path.suffix != ".npz":
            path = path / STATIC_FILE
        try:
            with np.load(path, allow_pickle=False) as archive:
                arrays = {name: archive[name] for name in archive.files}
            header = json.loads(arrays["header"].tobytes().decode("utf-8"))
            if header.get("format") != STATIC_FORMAT:
                raise EncoderError(
                    f"{path}: static embedding format {header.get('format')!r}, "
                    f"this code reads {STATIC_FORMAT}"
                )
            blob = arrays["pieces"].tobytes()
            offsets = arrays["offsets"].tolist()
            pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(len(offsets) - 1)]
            codes, bounds, targets = (arrays[k].tolist() for k in ("norm_from", "norm_offsets", "norm_to"))
            normalisation = {
                code: "".join(chr(c) for c in targets[bounds[i] : bounds[i + 1]])
                for i, code in enumerate(codes)
            }
            return cls(
                pieces,
                arrays["scores"],
                arrays["vectors"],
                arrays["scales"],
                normalisation,
                unk_id=int(header["unk_id"]),
                name=str(header["name"]),
                meta=header.get("meta", {}),
                max_chars=max_chars,
            )
        except EncoderError:
            raise
        except FileNotFoundError as exc:
            raise EncoderError(
                f"{path}: no such static embedding file (build one with "
                "python -m processors.training.distil_static)"
            ) from exc
        except (OSError, ValueError, KeyError, UnicodeDecodeError) as exc:
            raise EncoderError(f"{path}: not a static embedding file: {exc}") from exc
