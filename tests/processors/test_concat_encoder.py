"""The joined encoder (``use+static``): USE's vector beside the gate's static one, read as one."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from processors.categories import load_categories
from processors.classifiers.encoder import EncoderClassifier, Route
from processors.classifiers.heads import POOLED, CategoryHead, HeadSet, Network
from processors.classifiers.ngram import Platt
from processors.classifiers.protocol import ClassifierConfigError, ItemText
from processors.encoders import Encoder, EncoderError, EncoderSettings, shared_encoder
from processors.encoders.concat import ConcatEncoder
from tests.processors.conftest import CATEGORIES_FILE
from tocsin.schema import CategoryHit

JOINED = "use-multilingual-v3+e5-static-1"


class Counting:
    """An encoder that counts its calls and gives each text a fixed, unnormalised vector."""

    def __init__(self, name: str, dim: int, scale: float) -> None:
        self.name, self.dim, self.scale = name, dim, scale
        self.calls: list[int] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            if text:
                out[row] = self.scale * (1.0 + np.arange(self.dim) * (len(text) % 5))
        return out


def test_each_part_weighs_the_same_and_the_whole_is_a_unit_row() -> None:
    big, small = Counting("a", 3, 100.0), Counting("b", 2, 0.01)
    encoder = ConcatEncoder([big, small])
    assert isinstance(encoder, Encoder) and (encoder.name, encoder.dim) == ("a+b", 5)
    vectors = encoder.embed(["gunmen attacked", "", "x"])
    assert vectors.shape == (3, 5) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors[[0, 2]], axis=1), 1.0, atol=1e-6)
    assert np.allclose(np.linalg.norm(vectors[[0, 2], :3], axis=1), np.sqrt(0.5), atol=1e-6)
    assert np.allclose(np.linalg.norm(vectors[[0, 2], 3:], axis=1), np.sqrt(0.5), atol=1e-6)
    assert not vectors[1].any(), "an empty text keeps a zero row"


def test_a_part_that_gives_the_wrong_shape_is_an_encoder_error() -> None:
    class Short(Counting):
        def embed(self, texts: Sequence[str]) -> np.ndarray:
            return np.ones((len(texts), self.dim - 1), dtype=np.float32)

    with pytest.raises(EncoderError, match=r"'b' gave vectors of shape \(2, 1\)"):
        ConcatEncoder([Counting("a", 3, 1.0), Short("b", 2, 1.0)]).embed(["one", "two"])
    with pytest.raises(EncoderError, match="at least two parts"):
        ConcatEncoder([Counting("a", 3, 1.0)])


def test_a_route_reads_each_part_once_a_batch_for_both_categories() -> None:
    use, static = Counting("use", 4, 1.0), Counting("static", 2, 1.0)
    encoder = ConcatEncoder([use, static])
    heads = HeadSet(
        encoder=encoder.name,
        dim=encoder.dim,
        max_chars=300,
        heads={
            category: CategoryHead(
                category,
                Network(np.ones((encoder.dim, 1), dtype=np.float32), np.zeros(1, dtype=np.float32)),
                {POOLED: Platt(1.0, 0.0)},
            )
            for category in ("hate_speech", "violence_report")
        },
        version="t",
    )
    route = Route(encoder, heads)
    texts = [ItemText(f"post number {n}", "en") for n in range(7)]
    results: list[dict[str, CategoryHit]] = [{} for _ in texts]
    route.score(texts, [{"hate_speech", "violence_report"}] * len(texts), 0.5, results)
    assert use.calls == [7] and static.calls == [7], "one call a part for the batch, both categories"
    assert all(set(hits) == {"hate_speech", "violence_report"} for hits in results)


def test_the_settings_build_use_joined_to_the_shipped_gate_table() -> None:
    encoder = shared_encoder(EncoderSettings(kind="use+static"))
    assert (encoder.name, encoder.dim) == (JOINED, 640)
    vectors = encoder.embed(
        [
            "Gunmen killed twelve villagers in an attack on Sunday.",
            "Des hommes armés ont tué douze villageois lors d'une attaque dimanche.",
            "The bakery on the corner sells fresh bread every morning.",
            "",
        ]
    )
    assert vectors.shape == (4, 640)
    assert np.allclose(np.linalg.norm(vectors[:3], axis=1), 1.0, atol=1e-5)
    assert not vectors[3].any()
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.1


def test_static_is_a_setting_of_the_joined_kind_only() -> None:
    with pytest.raises(ValueError, match="'static' is for kind 'use\\+static' only"):
        EncoderSettings(kind="use", static=Path("models/gate"))
    with pytest.raises(EncoderError, match="no such static embedding"):
        shared_encoder(EncoderSettings(kind="use+static", static=Path("/nowhere/gate")))


def test_heads_of_use_alone_are_refused_on_joined_vectors_naming_both(tmp_path: Path) -> None:
    named = r"routes\.0.*'use-multilingual-v3', not " + re.escape(repr(JOINED))
    with pytest.raises(ClassifierConfigError, match=named):
        EncoderClassifier.from_config(
            {"routes": [{"model": "models/encoder-use-distilled", "encoder": {"kind": "use+static"}}]},
            load_categories(CATEGORIES_FILE),
            tmp_path / "c.yaml",
        )
