"""A user's own transformers encoder (a local model directory), mean-pooled over its tokens.

For a checkpoint the desk trusts more than the bundled ones (a domain-adapted
XLM-R, LaBSE, a bigger e5): point ``model`` at its directory. Nothing is
downloaded (``local_files_only``). torch and transformers are imported only
when such an encoder is built. Heads must be retrained on its vectors
(``python -m processors.training.train_encoder --encoder checkpoint ...``).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from processors.encoders.protocol import EncoderError, normalise_rows


class CheckpointEncoder:
    """Mean of the last hidden states over real (non-padding) tokens, L2-normalised."""

    def __init__(
        self,
        model: Path | str,
        *,
        prefix: str = "",
        max_length: int = 256,
        batch_size: int = 32,
        threads: int | None = None,
    ) -> None:
        try:
            import torch
            from transformers import AutoModel, AutoTokenizer
        except ImportError as exc:
            raise EncoderError(f"encoder 'checkpoint' needs transformers and torch: {exc}") from exc
        directory = Path(model)
        if not directory.is_dir():
            raise EncoderError(f"encoder 'checkpoint': {directory} is not a model directory")
        try:
            self._tokenizer: Any = AutoTokenizer.from_pretrained(directory, local_files_only=True)
            self._model: Any = AutoModel.from_pretrained(directory, local_files_only=True)
        except Exception as exc:  # OSError, ValueError: not a model directory transformers reads
            raise EncoderError(f"encoder 'checkpoint': cannot load {directory}: {exc}") from exc
        self._model.eval()
        if threads:
            torch.set_num_threads(threads)
        self._torch = torch
        self.prefix = prefix
        self.max_length = min(max_length, token_limit(self._tokenizer, self._model.config))
        self.batch_size = batch_size
        self.dim = int(self._model.config.hidden_size)
        self.name = f"checkpoint:{directory.resolve().name}"
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        rows = [i for i, text in enumerate(texts) if text.strip()]
        rows.sort(key=lambda i: len(texts[i]))  # less padding per batch
        torch = self._torch
        with self._lock, torch.inference_mode():
            for begin in range(0, len(rows), self.batch_size):
                chunk = rows[begin : begin + self.batch_size]
                encoded = self._tokenizer(
                    [self.prefix + texts[i] for i in chunk],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                )
                hidden = self._model(**encoded).last_hidden_state
                mask = encoded["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
                out[chunk] = pooled.float().numpy()
        return normalise_rows(out)


def token_limit(tokenizer: Any, config: Any) -> int:
    """The most tokens the model takes: its position table, less the two RoBERTa-style models reserve."""
    limits = [int(tokenizer.model_max_length)] if 0 < int(tokenizer.model_max_length) < 1_000_000 else []
    positions = getattr(config, "max_position_embeddings", None)
    if positions:
        offset = 2 if getattr(config, "model_type", "") in {"roberta", "xlm-roberta", "camembert"} else 0
        limits.append(int(positions) - offset)
    return min(limits) if limits else 512
