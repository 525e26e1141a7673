"""Encoders by the name used in settings (``encoder: {kind: e5}``)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from processors.encoders.protocol import Encoder
from tocsin.resources import shipped

ENCODERS = ("e5", "use", "checkpoint", "use+static")
USE_STATIC = "use+static"
"""USE's vector joined to a static one (:mod:`processors.encoders.concat`); the gate's by default."""
SHIPPED_STATIC = ("processors.models", "gate")
"""Where the shipped static table sits (``models/gate``): the gate's own, read by ``use+static``."""


class EncoderSettings(BaseModel):
    """Which encoder, and how it runs."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["e5", "use", "checkpoint", "use+static"] = "e5"
    # Threads the encoder itself runs (1: per-core figures, and steady on shared hosts).
    threads: int = Field(default=1, ge=1, le=64)
    batch_size: int = Field(default=64, ge=1)
    # checkpoint only: the model directory, a prefix put before every text, and its token limit
    model: Path | None = None
    prefix: str = ""
    max_length: int = Field(default=256, ge=8)
    # use+static only: the folder (or .npz) of the static table joined to USE's vector
    # (default: the shipped gate's, models/gate)
    static: Path | None = None

    @model_validator(mode="after")
    def _model_for_checkpoint(self) -> EncoderSettings:
        if self.kind == "checkpoint" and self.model is None:
            raise ValueError("kind 'checkpoint' needs 'model': the directory of a transformers model")
        if self.kind != "checkpoint" and self.model is not None:
            raise ValueError(f"'model' is for kind 'checkpoint' only, not {self.kind!r}")
        if self.kind != USE_STATIC and self.static is not None:
            raise ValueError(f"'static' is for kind {USE_STATIC!r} only, not {self.kind!r}")
        return self


def build_encoder(settings: EncoderSettings) -> Encoder:
    """The encoder ``settings`` describe; raises :class:`~processors.encoders.EncoderError` saying why not."""
    if settings.kind == "e5":
        from processors.encoders.e5 import E5Encoder

        return E5Encoder(threads=settings.threads, batch_size=settings.batch_size)
    if settings.kind == "use":
        from processors.encoders.use import UseEncoder

        return UseEncoder(threads=settings.threads, batch_size=settings.batch_size)
    if settings.kind == USE_STATIC:
        from processors.encoders.concat import ConcatEncoder
        from processors.encoders.static import StaticEmbedding
        from processors.encoders.use import UseEncoder

        table = StaticEmbedding.load(settings.static or shipped(*SHIPPED_STATIC))
        return ConcatEncoder([UseEncoder(threads=settings.threads, batch_size=settings.batch_size), table])
    from processors.encoders.checkpoint import CheckpointEncoder

    assert settings.model is not None  # checked by the validator
    return CheckpointEncoder(
        settings.model,
        prefix=settings.prefix,
        max_length=settings.max_length,
        batch_size=settings.batch_size,
        threads=settings.threads,
    )


_shared: dict[str, Encoder] = {}
_shared_lock = threading.Lock()


def shared_encoder(settings: EncoderSettings) -> Encoder:
    """One loaded encoder per distinct settings in a process (the classifier and incident fusion share it)."""
    key = settings.model_dump_json()
    with _shared_lock:
        encoder = _shared.get(key)
        if encoder is None:
            encoder = _shared[key] = build_encoder(settings)
        return encoder
