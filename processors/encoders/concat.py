"""Two encoders' vectors side by side, read as one (``encoder: {kind: use+static}``).

USE's sentence vector and the gate's static one (:mod:`processors.encoders.static`,
distilled from multilingual-e5) see a text differently: USE reads it as a
sentence, the static table keeps some of e5's sense of words at almost no cost
(microseconds a text, beside USE's milliseconds). Heads trained on both at once
can use either. Each part is a unit vector; the parts are put side by side and
the whole is scaled back to unit length, so each part weighs the same and the
result is an :class:`~processors.encoders.Encoder` row like any other (a text
one part cannot read, e.g. empty, keeps the other part's direction).

The name records the parts (``use-multilingual-v3+e5-static-1``), so heads
trained on these vectors refuse any other encoder and the other encoders'
heads refuse these.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from processors.encoders.protocol import Encoder, EncoderError, normalise_rows


def concat_name(names: Sequence[str]) -> str:
    """The name of the vectors that join vectors named ``names``, in that order."""
    return "+".join(names)


class ConcatEncoder:
    """The parts' unit vectors joined, then normalised; each part reads each text once per call."""

    def __init__(self, parts: Sequence[Encoder]) -> None:
        if len(parts) < 2:
            raise EncoderError(f"a joined encoder needs at least two parts, got {len(parts)}")
        self.parts = list(parts)
        self.name = concat_name([part.name for part in self.parts])
        self.dim = sum(part.dim for part in self.parts)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """``(len(texts), dim)`` unit rows: each part's rows, joined and scaled back to unit length."""
        blocks = []
        for part in self.parts:
            vectors = np.asarray(part.embed(texts), dtype=np.float32)
            if vectors.shape != (len(texts), part.dim):
                raise EncoderError(
                    f"encoder {part.name!r} gave vectors of shape {vectors.shape} for {len(texts)} texts, "
                    f"expected ({len(texts)}, {part.dim})"
                )
            blocks.append(normalise_rows(vectors))
        return normalise_rows(np.concatenate(blocks, axis=1))
