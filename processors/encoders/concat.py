"""Two encoders' vectors side by side, read as one (``encoder: {kind: use+static}``).

USE's sentence vector and the gate's static one (:mod:`processors.encoders.static`,
distilled from multilingual-e5) see a text differently: USE reads it as a
sentence, the static table keeps some of e5's sense of words at almost no cost
(microseconds a text, beside USE's milliseconds). Heads trained on both at once
can use either. Each part is a unit vector; the parts are put side by side and
the whole is scaled back to unit length, so each part weighs the same and the
result is an :class:`~processors.encoders.Encoder` row like any other (a text
one part cannot read, e.g. empty, keeps the other part's direction).

The name records the parts, a static table's with its content fingerprint
(``use-multilingual-v3+e5-static-1@<8 hex>``, :func:`part_name`): a table
rebuilt under the same ``--version`` keeps its own name but not its
fingerprint, so heads trained on these vectors refuse any other encoder, any
other table, and the other encoders' heads refuse these. A head trained on one
part's vectors (USE's violence head) can read that part of the joined vector
(:func:`part_columns`): re-normalised, it is the part's own vector, so one
route computes USE once for heads of both kinds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from processors.encoders.protocol import Encoder, EncoderError, normalise_rows


def part_name(part: Encoder) -> str:
    """A part's name in a joined encoder's: its own, with ``@`` and its ``fingerprint`` when it has one
    (a static table: its name outlives a rebuild, the fingerprint does not)."""
    fingerprint = getattr(part, "fingerprint", None)
    return f"{part.name}@{fingerprint}" if fingerprint else part.name


def part_columns(encoder: Encoder, name: str) -> slice | None:
    """Where vectors named ``name`` lie in ``encoder``'s rows: all columns when that is its name, one
    part's columns when it is a joined encoder with a part of that name (:func:`part_name`: a static
    table's with its fingerprint); ``None``: not there.

    A part's columns are not unit rows: re-normalised (:func:`read_part`), they are the part's own
    vectors, to float tolerance.
    """
    if encoder.name == name:
        return slice(0, encoder.dim)
    if isinstance(encoder, ConcatEncoder):
        start = 0
        for part, part_id in zip(encoder.parts, encoder.part_names, strict=True):
            if part_id == name:
                return slice(start, start + part.dim)
            start += part.dim
    return None


def read_part(vectors: np.ndarray, columns: slice) -> np.ndarray:
    """The rows of ``vectors`` in ``columns`` as unit rows (all the columns: the rows as they are)."""
    if columns.start == 0 and columns.stop == vectors.shape[1]:
        return vectors
    return normalise_rows(vectors[:, columns])


def concat_name(names: Sequence[str]) -> str:
    """The name of the vectors that join vectors named ``names``, in that order."""
    return "+".join(names)


class ConcatEncoder:
    """The parts' unit vectors joined, then normalised; each part reads each text once per call."""

    def __init__(self, parts: Sequence[Encoder]) -> None:
        if len(parts) < 2:
            raise EncoderError(f"a joined encoder needs at least two parts, got {len(parts)}")
        self.parts = list(parts)
        self.part_names = [part_name(part) for part in self.parts]
        self.name = concat_name(self.part_names)
        self.dim = sum(part.dim for part in self.parts)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """``(len(texts), dim)`` unit rows: each part's rows, joined and scaled back to unit length."""
        return join_rows(self.parts, [part.embed(texts) for part in self.parts], len(texts))


def join_rows(parts: Sequence[Encoder], blocks: Sequence[np.ndarray], count: int) -> np.ndarray:
    """The joined rows of ``count`` texts from each part's rows (``blocks``, in the parts' order): each
    block scaled to unit rows, put side by side, the whole scaled back to unit length.

    :meth:`ConcatEncoder.embed` and the training cache (which reads a part's rows from that part's
    own cache) both join here, so a joined vector is the same whichever way its parts came.
    """
    units = []
    for part, block in zip(parts, blocks, strict=True):
        vectors = np.asarray(block, dtype=np.float32)
        if vectors.shape != (count, part.dim):
            raise EncoderError(
                f"encoder {part.name!r} gave vectors of shape {vectors.shape} for {count} texts, "
                f"expected ({count}, {part.dim})"
            )
        units.append(normalise_rows(vectors))
    return normalise_rows(np.concatenate(units, axis=1))
