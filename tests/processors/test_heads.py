"""Heads over embeddings: the file round trip, calibration per language, label thresholds, and fitting."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from processors.classifiers.heads import POOLED, CategoryHead, HeadsError, HeadSet, LabelHeads, Network
from processors.classifiers.ngram import Platt
from processors.encoders.sentencepiece import read_vocabulary
from processors.encoders.static import StaticEmbedding
from processors.training.fit import (
    HeadConfig,
    averaged,
    best_f1_threshold,
    fit_head,
    fit_logistic,
    fit_network,
    threshold_for_recall,
)


def head_set(hidden: bool = False) -> HeadSet:
    rng = np.random.default_rng(3)
    if hidden:
        network = Network(
            rng.normal(size=(5, 1)).astype(np.float32),
            np.zeros(1, np.float32),
            rng.normal(size=(4, 5)).astype(np.float32),
            np.zeros(5, np.float32),
        )
    else:
        network = Network(np.array([[2.0], [0.0], [0.0], [0.0]], np.float32), np.array([0.0], np.float32))
    labels = LabelHeads(
        ("a", "b"),
        Network(np.eye(4, 2, dtype=np.float32) * 4, np.zeros(2, np.float32)),
        np.array([0.5, 0.9], np.float32),
    )
    head = CategoryHead(
        "hate_speech", network, {POOLED: Platt(1.0, 0.0), "fr": Platt(1.0, -3.0)}, labels=labels
    )
    return HeadSet(
        encoder="enc",
        dim=4,
        max_chars=100,
        heads={"hate_speech": head},
        version="7",
        escalate_at={"hate_speech": 0.25},
        meta={"note": "x"},
    )


@pytest.mark.parametrize("hidden", [False, True])
def test_a_head_set_survives_its_file(tmp_path: Path, hidden: bool) -> None:
    heads = head_set(hidden)
    heads.save(tmp_path)
    again = HeadSet.load(tmp_path, encoder="enc")
    x = np.random.default_rng(0).normal(size=(6, 4)).astype(np.float32)
    langs = ["en", "fr", "und", "en", "fr", "de"]
    assert np.allclose(
        again.heads["hate_speech"].scores(x, langs), heads.heads["hate_speech"].scores(x, langs)
    )
    assert again.escalate_at == {"hate_speech": 0.25} and again.version == "7" and again.meta == {"note": "x"}
    labels = again.heads["hate_speech"].labels
    assert (
        labels is not None
        and labels.names == ("a", "b")
        and labels.thresholds.tolist() == pytest.approx([0.5, 0.9])
    )


def test_saving_twice_gives_the_same_bytes(tmp_path: Path) -> None:
    head_set().save(tmp_path / "one")
    head_set().save(tmp_path / "two")
    assert (tmp_path / "one" / "heads.npz").read_bytes() == (tmp_path / "two" / "heads.npz").read_bytes()


def test_each_language_has_its_calibration_and_the_others_the_pooled_one() -> None:
    head = head_set().heads["hate_speech"]
    x = np.array([[1.0, 0, 0, 0]] * 3, np.float32)  # margin 2
    en, fr, xx = head.scores(x, ["en", "fr", "xx"])
    assert en == pytest.approx(1 / (1 + np.exp(-2))) and xx == en
    assert fr == pytest.approx(1 / (1 + np.exp(1)))


def test_heads_for_another_encoder_or_format_are_refused(tmp_path: Path) -> None:
    head_set().save(tmp_path)
    with pytest.raises(HeadsError, match="trained on encoder 'enc', not 'other'"):
        HeadSet.load(tmp_path, encoder="other")
    with pytest.raises(HeadsError, match="no such heads file"):
        HeadSet.load(tmp_path / "missing")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "heads.npz").write_bytes(b"not a zip")
    with pytest.raises(HeadsError, match="not a heads file"):
        HeadSet.load(tmp_path / "bad")


def test_logistic_regression_separates_what_is_separable() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(400, 3)).astype(np.float32)
    y = x[:, 0] + 0.5 * x[:, 1] > 0
    network = fit_logistic(x, y, l2=0.1)
    assert ((network.logits(x)[:, 0] > 0) == y).mean() > 0.97
    weighted = fit_logistic(x, y, np.where(y, 10.0, 1.0), l2=0.1)
    assert (weighted.logits(x)[:, 0] > 0).sum() > (network.logits(x)[:, 0] > 0).sum(), "weights shift it"


def test_a_network_head_learns_a_non_linear_rule() -> None:
    rng = np.random.default_rng(6)
    x = rng.normal(size=(600, 2)).astype(np.float32)
    y = (x[:, 0] * x[:, 1]) > 0
    network = fit_network(x, y, None, HeadConfig(hidden=16, epochs=60, learning_rate=1e-2, dropout=0.0))
    assert ((network.logits(x)[:, 0] > 0) == y).mean() > 0.9


def test_an_ensemble_is_one_network_whose_logits_are_the_mean_of_its_members() -> None:
    rng = np.random.default_rng(8)
    x = rng.normal(size=(300, 4)).astype(np.float32)
    y = (x[:, 0] * x[:, 1]) > 0
    config = HeadConfig(hidden=8, epochs=5, learning_rate=1e-2, dropout=0.0)
    members = [fit_network(x, y, None, replace(config, seed=config.seed + k)) for k in range(3)]
    ensemble = fit_head(x, y, None, replace(config, ensemble=3))
    assert ensemble.hidden is not None and ensemble.hidden.shape == (4, 24)
    expected = np.mean([member.logits(x) for member in members], axis=0)
    np.testing.assert_allclose(ensemble.logits(x), expected, rtol=1e-4, atol=1e-5)
    assert not np.allclose(members[0].logits(x), members[1].logits(x)), "each member has its own seed"


def test_only_networks_with_a_hidden_layer_are_averaged() -> None:
    linear = Network(np.ones((3, 1), np.float32), np.zeros(1, np.float32))
    with pytest.raises(ValueError, match="hidden layer"):
        averaged([linear, linear])


def test_thresholds_for_f1_and_for_recall() -> None:
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.4, 0.3, 0.2, 0.1])
    positive = np.array([True, True, False, True, False, False, True, False])
    assert best_f1_threshold(scores, positive) == pytest.approx(0.6)
    assert threshold_for_recall(scores, positive, 0.75) == pytest.approx(0.6)
    assert threshold_for_recall(scores, positive, 1.0) == pytest.approx(0.2)
    assert threshold_for_recall(scores, np.zeros(8, bool), 0.9) == 1.0


def test_a_static_embedding_survives_its_file_and_ignores_unknown_pieces(tmp_path: Path) -> None:
    vocabulary = read_vocabulary()
    keep = ["▁gun", "men", "▁village", "▁attack", "ed", "▁", "a", "e", "<unk>"]
    index = {piece: i for i, piece in enumerate(vocabulary.pieces)}
    scores = np.array([vocabulary.scores[index[p]] for p in keep], np.float32)
    vectors = np.zeros((len(keep), 3), np.int8)
    vectors[:-1] = np.random.default_rng(2).integers(-100, 100, size=(len(keep) - 1, 3))
    scales = np.ones(len(keep), np.float32)
    scales[-1] = 0.0
    static = StaticEmbedding(
        keep, scores, vectors, scales, vocabulary.normalisation, unk_id=len(keep) - 1, name="tiny-static"
    )
    static.save(tmp_path)
    again = StaticEmbedding.load(tmp_path)
    texts = ["gunmen attacked a village", "", "zzz qqq 漢字"]
    first, second = static.embed(texts), again.embed(texts)
    assert np.allclose(first, second) and first.shape == (3, 3)
    assert np.linalg.norm(first[0]) == pytest.approx(1.0, abs=1e-5)
    assert not first[1].any()
    assert static.token_ids(["漢字"])[0] == [keep.index("▁"), len(keep) - 1], "unknown characters: <unk>"
    space = vectors[keep.index("▁")].astype(np.float32)
    assert np.allclose(static.embed(["漢字"])[0], space / np.linalg.norm(space)), "<unk> counts for nothing"
