"""Trained heads over sentence embeddings: a calibrated score per category, sub-labels and forms.

A :class:`HeadSet` is what ``python -m processors.training.train_encoder``
writes and the ``encoder`` and ``gate`` plug-ins read: for each category
(``hate_speech``, ``violence_report``) a small network on the embedding — a
linear layer, or one ReLU hidden layer and a linear output — whose logit is
mapped to a probability by Platt scaling fitted per language on held-out data
(``*``: pooled, for languages without their own), and multi-label sub-label
heads (targeted groups, subtypes) and form heads (dehumanisation, threat, …),
each with its own decision threshold. numpy only; scoring a batch is a few
matrix products, thread-safe (no state is written).

File: ``heads.npz``, arrays plus a JSON ``header`` (format, encoder name and
width, the text length the heads were trained on, categories, label names,
calibration, thresholds, provenance). :meth:`HeadSet.load` refuses a file of
another format or for another encoder, saying which.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from processors.classifiers.ngram import Platt
from processors.npz import write_npz
from tocsin.errors import ModelError

HEADS_FILE = "heads.npz"
HEADS_FORMAT = 1
POOLED = "*"


class HeadsError(ModelError, ValueError):
    """A heads file is missing, unreadable, of another format or for another encoder."""


def sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * x)))


@dataclass(slots=True)
class Network:
    """``x → [relu(x W1 + b1)] → x W2 + b2``: logits ``(n, k)``; no hidden layer when ``hidden`` is None."""

    weight: np.ndarray  # (h or d, k)
    bias: np.ndarray  # (k,)
    hidden: np.ndarray | None = None  # (d, h)
    hidden_bias: np.ndarray | None = None

    def logits(self, x: np.ndarray) -> np.ndarray:
        if self.hidden is not None:
            x = np.maximum(x @ self.hidden + self.hidden_bias, 0.0)
        return np.asarray(x @ self.weight + self.bias, dtype=np.float32)

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        out = {f"{prefix}.weight": self.weight, f"{prefix}.bias": self.bias}
        if self.hidden is not None and self.hidden_bias is not None:
            out[f"{prefix}.hidden"] = self.hidden
            out[f"{prefix}.hidden_bias"] = self.hidden_bias
        return out

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], prefix: str) -> Network:
        hidden = arrays.get(f"{prefix}.hidden")
        return cls(
            np.asarray(arrays[f"{prefix}.weight"], dtype=np.float32),
            np.asarray(arrays[f"{prefix}.bias"], dtype=np.float32),
            None if hidden is None else np.asarray(hidden, dtype=np.float32),
            None if hidden is None else np.asarray(arrays[f"{prefix}.hidden_bias"], dtype=np.float32),
        )


@dataclass(slots=True)
class LabelHeads:
    """Independent yes/no heads (multi-label); a label is on from its threshold."""

    names: tuple[str, ...]
    network: Network
    thresholds: np.ndarray  # (k,)

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        return sigmoid(self.network.logits(x))


@dataclass(slots=True)
class CategoryHead:
    category: str
    network: Network  # one logit column
    calibration: dict[str, Platt]  # language → Platt; POOLED always present
    labels: LabelHeads | None = None  # targeted groups / subtypes → CategoryHit.labels
    forms: LabelHeads | None = None  # forms → CategoryHit.flags

    def margins(self, x: np.ndarray) -> np.ndarray:
        """Uncalibrated logits, ``(n,)``."""
        return self.network.logits(x)[:, 0].astype(np.float64)

    def scores(self, x: np.ndarray, langs: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities, each text by its language's calibration (pooled if it has none)."""
        margins = self.margins(x)
        pooled = self.calibration[POOLED]
        a = np.array([self.calibration.get(lang, pooled).a for lang in langs], dtype=np.float64)
        b = np.array([self.calibration.get(lang, pooled).b for lang in langs], dtype=np.float64)
        return sigmoid(a * margins + b)


@dataclass(slots=True)
class HeadSet:
    """The heads trained on one encoder's vectors, with what they need to know about their input."""

    encoder: str
    dim: int
    max_chars: int
    heads: dict[str, CategoryHead]
    version: str
    escalate_at: dict[str, float] = field(default_factory=dict)
    """For a gate: the calibrated score from which an item goes on to the encoder, per category."""
    meta: dict[str, Any] = field(default_factory=dict)

    def save(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {}
        categories: dict[str, Any] = {}
        for name, head in self.heads.items():
            arrays.update(head.network.arrays(f"{name}.main"))
            entry: dict[str, Any] = {
                "calibration": {lang: [p.a, p.b] for lang, p in sorted(head.calibration.items())}
            }
            for part, heads in (("labels", head.labels), ("forms", head.forms)):
                if heads is not None:
                    arrays.update(heads.network.arrays(f"{name}.{part}"))
                    entry[part] = {
                        "names": list(heads.names),
                        "thresholds": [round(float(t), 6) for t in heads.thresholds],
                    }
            categories[name] = entry
        header = {
            "format": HEADS_FORMAT,
            "encoder": self.encoder,
            "dim": self.dim,
            "max_chars": self.max_chars,
            "version": self.version,
            "categories": categories,
            "escalate_at": self.escalate_at,
            "meta": self.meta,
        }
        arrays["header"] = np.frombuffer(json.dumps(header, sort_keys=True).encode("utf-8"), dtype=np.uint8)
        path = directory / HEADS_FILE
        write_npz(path, arrays)
        return path

    @classmethod
    def load(cls, location: Path | str, *, encoder: str | None = None) -> HeadSet:
        path = Path(location)
        if path.is_dir() or path.suffix != ".npz":
            path = path / HEADS_FILE
        try:
            with np.load(path, allow_pickle=False) as archive:
                arrays = {name: archive[name] for name in archive.files}
            header = json.loads(arrays.pop("header").tobytes().decode("utf-8"))
        except FileNotFoundError as exc:
            raise HeadsError(
                f"{path}: no such heads file (train one with python -m processors.training.train_encoder)"
            ) from exc
        except (OSError, ValueError, KeyError, UnicodeDecodeError) as exc:
            raise HeadsError(f"{path}: not a heads file: {exc}") from exc
        if header.get("format") != HEADS_FORMAT:
            raise HeadsError(f"{path}: heads format {header.get('format')!r}, this code reads {HEADS_FORMAT}")
        if encoder is not None and header.get("encoder") != encoder:
            raise HeadsError(
                f"{path}: heads were trained on encoder {header.get('encoder')!r}, "
                f"not {encoder!r}: retrain them for this encoder"
            )
        try:
            heads = {}
            for name, entry in header["categories"].items():
                calibration = {
                    lang: Platt(float(a), float(b)) for lang, (a, b) in entry["calibration"].items()
                }
                if POOLED not in calibration:
                    raise KeyError(f"{name}: no pooled calibration")
                parts: dict[str, LabelHeads | None] = {}
                for part in ("labels", "forms"):
                    spec = entry.get(part)
                    parts[part] = (
                        None
                        if spec is None
                        else LabelHeads(
                            tuple(spec["names"]),
                            Network.from_arrays(arrays, f"{name}.{part}"),
                            np.asarray(spec["thresholds"], dtype=np.float32),
                        )
                    )
                heads[name] = CategoryHead(
                    name,
                    Network.from_arrays(arrays, f"{name}.main"),
                    calibration,
                    parts["labels"],
                    parts["forms"],
                )
            return cls(
                encoder=str(header["encoder"]),
                dim=int(header["dim"]),
                max_chars=int(header["max_chars"]),
                heads=heads,
                version=str(header["version"]),
                escalate_at={k: float(v) for k, v in header.get("escalate_at", {}).items()},
                meta=header.get("meta", {}),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise HeadsError(f"{path}: malformed heads file: {exc}") from exc
