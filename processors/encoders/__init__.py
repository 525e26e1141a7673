"""Sentence encoders behind one small interface: texts in, L2-normalised vectors out.

The classifier heads (:mod:`processors.classifiers.encoder`), the gate's static
embedding and anything else that compares items by meaning (incident fusion)
see only :class:`Encoder`, so the multilingual-e5 engine, USE, a distilled
static table or a user's own checkpoint can stand behind them. Build one from
settings with :func:`build_encoder`.
"""

from processors.encoders.protocol import Encoder, EncoderError, prepare_text
from processors.encoders.registry import ENCODERS, EncoderSettings, build_encoder, shared_encoder

__all__ = [
    "ENCODERS",
    "Encoder",
    "EncoderError",
    "EncoderSettings",
    "build_encoder",
    "prepare_text",
    "shared_encoder",
]
