"""Training on tiny data: readers, splits, heads, calibration, the gate, and the files the plug-ins load.

The encoder here is the tiny test checkpoint (tests/processors/tiny_models.py)
behind the ``checkpoint`` encoder kind, so a whole training run takes seconds;
what is checked is the machinery, not the quality (that is the model card's).
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

from processors.categories import load_categories
from processors.classifiers.encoder import EncoderClassifier, model_path
from processors.classifiers.gate import GateClassifier
from processors.classifiers.heads import POOLED, CategoryHead, HeadSet, Network
from processors.classifiers.ngram import Platt
from processors.classifiers.protocol import ItemText
from processors.encoders import EncoderSettings, build_encoder
from processors.encoders.protocol import prepare_text
from processors.encoders.static import StaticEmbedding
from processors.training import train_encoder
from processors.training.datasets import DatasetError
from processors.training.distil_static import distil
from processors.training.embedding_cache import EmbeddingCache
from processors.training.examples import (
    WRITTEN_HATE_AR,
    WRITTEN_HATE_EN2,
    WRITTEN_HATE_LOW_RESOURCE,
    WRITTEN_HATE_SOURCES,
    Row,
    all_rows,
    read_written_hate,
)
from processors.training.hate_corpora import (
    DEFAULT_CAPS,
    FORMS,
    PREPARED_CHARS,
    TARGETS,
    Cap,
    read_all,
    scaled_caps,
    split_of,
    subsample,
)
from processors.training.head_weighting import HeadWeighting
from processors.training.row_selection import RowSelection
from processors.training.train_encoder import calibrate, gate_thresholds
from processors.training.violence_corpora import (
    WRITTEN_TRAIN,
    WRITTEN_TRAIN_MORE,
    ViolenceExample,
    calibration_split,
    dev_set,
    event_split,
    read_crisislex_train,
    read_written,
    training_set,
)
from tests.processors import tiny_models
from tests.processors.conftest import CATEGORIES_FILE
from tests.processors.training_data import write_shared

DEFAULT_GATE_RECALL = {"hate_speech": 0.95, "violence_report": 0.98}
WRITTEN_SOURCES = (*WRITTEN_HATE_SOURCES.values(), "written_violence")
HATE_DEV_WRITTEN = Path(__file__).resolve().parents[2] / "processors/evaluation/data/hate_dev_written.csv"
HATE_DEV_ARABIZI = HATE_DEV_WRITTEN.with_name("hate_dev_arabizi.csv")
HATE_DEV_FILES = sorted(HATE_DEV_WRITTEN.parent.glob("hate_dev_*.csv"))


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_shared(tmp_path_factory.mktemp("shared"))


@pytest.fixture(scope="module")
def trained(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A whole run: distil a small static table, train encoder and gate heads."""
    root = tmp_path_factory.mktemp("trained")
    encoder = build_encoder(EncoderSettings(kind="checkpoint", model=tiny_models.sequence_model()))
    cache = EmbeddingCache(root / "cache", encoder.name, encoder.dim)
    static = distil(cache, encoder, pieces=3000, dims=16, sif=1e-4, version="t")
    static.save(root / "gate")
    code = train_encoder.main(
        [
            "--shared",
            str(shared),
            "--cache",
            str(root / "cache"),
            "--out",
            str(root / "encoder"),
            "--encoder",
            "checkpoint",
            "--model",
            str(tiny_models.sequence_model()),
            "--gate",
            str(root / "gate"),
        ]
    )
    assert code == 0
    return root


def test_readers_label_each_file_as_documented(shared: Path) -> None:
    examples = read_all(shared / "hate")
    by_source = {e.source for e in examples}
    assert by_source == {
        "davidson2017",
        "mlma2019_en",
        "mlma2019_fr",
        "mlma2019_ar",
        "germeval2018",
        "told_br",
        "cold",
        "swsr",
        "implicit_hate",
        "stormfront",
    }
    told = [e for e in examples if e.source == "told_br" and e.hateful]
    assert told and all(e.targets == ("origin",) for e in told), "racism 3 votes, xenophobia 2 → origin"
    implicit = [e for e in examples if e.source == "implicit_hate" and e.hateful]
    assert all(e.forms == ("threat",) and e.targets == ("origin",) for e in implicit)
    assert {
        e.split
        for e in examples
        if e.source == "cold" and e.text in {x.text for x in examples if x.split == "dev"}
    } >= {"dev"}


def test_scaled_caps_grow_the_train_split_only(shared: Path) -> None:
    doubled = scaled_caps(2.0)
    assert doubled["train"]["cold"] == Cap(2 * DEFAULT_CAPS["train"]["cold"].hateful,
                                           2 * DEFAULT_CAPS["train"]["cold"].other)
    assert doubled["dev"] == DEFAULT_CAPS["dev"] and doubled["calibration"] == DEFAULT_CAPS["calibration"]
    examples = read_all(shared / "hate")
    tiny = {split: {source: Cap(1, 1) for source in DEFAULT_CAPS["train"]} for split in DEFAULT_CAPS}
    every = subsample(examples, {**tiny, "train": scaled_caps(float("inf"))["train"]})
    assert sum(e.split == "train" for e in every) == sum(e.split == "train" for e in examples)
    assert sum(e.split == "dev" for e in every) < sum(e.split == "dev" for e in examples)
    with pytest.raises(ValueError, match="positive"):
        scaled_caps(0)


def test_accident_events_have_their_own_cap(shared: Path) -> None:
    events = shared / "events" / "crisislex_t26"

    def count(examples: list[ViolenceExample], kind: str) -> int:
        return sum(1 for e in examples if e.kind == kind)

    one_each = read_crisislex_train(events, per_negative_event=1, per_accident_event=1)
    every_accident = read_crisislex_train(events, per_negative_event=1, per_accident_event=None)
    # the training events of the fixture: the NY train crash (an accident), the Alberta and Queensland floods
    assert count(one_each, "accident") == 1 and count(one_each, "disaster") == 2
    assert count(every_accident, "accident") > 1 and count(every_accident, "disaster") == 2


def test_splits_are_fixed_by_the_text() -> None:
    assert split_of("Gunmen attacked the village") == split_of("  Gunmen   attacked the village ")
    shares = [split_of(f"text number {n}") for n in range(3000)]
    assert 0.12 < shares.count("dev") / 3000 < 0.18 and 0.12 < shares.count("calibration") / 3000 < 0.18


def test_the_event_split_is_a_fixed_function_of_the_event_key() -> None:
    assert event_split("crisislex/2013_Boston_bombings") == "train"  # the one violent training event
    assert event_split("crisislex/2013_Queensland_floods") == "calibration"
    keys = [f"crisislex/event {n}" for n in range(3000)]
    assert [event_split(key) for key in keys] == [event_split(key) for key in keys]
    share = sum(event_split(key) == "calibration" for key in keys) / len(keys)
    assert 0.17 < share < 0.23
    assert sum(event_split(key, share=0.5) == "calibration" for key in keys) > share * len(keys)


def test_no_event_straddles_train_and_calibration(shared: Path) -> None:
    examples = training_set(shared)
    split_of_event: dict[str, set[str]] = {}
    for example in examples:
        assert example.event, example
        split_of_event.setdefault(example.event, set()).add(example.split)
    assert all(len(splits) == 1 for splits in split_of_event.values())
    crisislex = {e.event: e.split for e in read_crisislex_train(shared / "events" / "crisislex_t26")}
    assert crisislex == {
        "crisislex/2013_Boston_bombings": "train",
        "crisislex/2013_Alberta_floods": "train",
        "crisislex/2013_NY_train_crash": "train",
        "crisislex/2013_Queensland_floods": "calibration",
    }
    written = [e for e in examples if e.source == "written"]
    assert {e.split for e in written} == {"train", "calibration"}
    assert all(e.split == event_split(e.event) and e.event.startswith("written/") for e in written)


def test_split_by_text_restores_the_hash_split_the_default_bands_were_drawn_on(shared: Path) -> None:
    by_text = training_set(shared, split_by="text")
    assert [(e.text, e.event) for e in by_text] == [(e.text, e.event) for e in training_set(shared)]
    for example in by_text:
        assert example.split == ("calibration" if split_of(example.text) == "calibration" else "train")
    split_of_event: dict[str, set[str]] = {}
    for example in by_text:
        split_of_event.setdefault(example.event, set()).add(example.split)
    straddling = [event for event, splits in split_of_event.items() if len(splits) == 2]
    assert any(event.startswith("crisislex/") for event in straddling), "the hash parts an event's tweets"
    rows = all_rows(shared, RowSelection(split_by="text"))
    by_event = all_rows(shared)
    assert [row.text for row in rows] == [row.text for row in by_event]
    assert any(a.split != b.split for a, b in zip(rows, by_event, strict=True)), "all_rows passes it on"
    with pytest.raises(ValueError, match="split by 'date'"):
        calibration_split("crisislex/x", "text", "date")


def test_a_row_selection_refuses_an_unknown_split_naming_the_option() -> None:
    with pytest.raises(ValueError, match="--split 'date': expected one of event, text"):
        RowSelection(split_by="date")


def test_a_held_out_training_event_is_neither_trained_on_nor_calibrated_on(shared: Path) -> None:
    events = shared / "events" / "crisislex_t26"
    fold = read_crisislex_train(events, held_out_events=["2013_Boston_bombings"])
    boston = [e for e in fold if e.event == "crisislex/2013_Boston_bombings"]
    assert boston and {e.split for e in boston} == {"held_out"}
    others = {e.event: e.split for e in fold if e not in boston}
    assert others == {e.event: e.split for e in read_crisislex_train(events) if e.event in others}
    with pytest.raises(DatasetError, match="2013_Atlantis_flood"):
        read_crisislex_train(events, held_out_events=["2013_Atlantis_flood"])


def test_the_violence_dev_set_shares_nothing_with_training(shared: Path) -> None:
    dev = {e.text for e in dev_set(shared)}
    train = {e.text for e in training_set(shared)}
    assert dev and train and not dev & train
    kinds = {e.source for e in dev_set(shared)}
    assert kinds == {"written", "crisislex", "geovirus"}


def test_every_hand_written_training_file_is_trained_on(shared: Path) -> None:
    train = {e.text for e in training_set(shared) if e.source == "written"}
    for path in (WRITTEN_TRAIN, *WRITTEN_TRAIN_MORE):
        rows = read_written(path, "written")
        assert {row.violent for row in rows} == {True, False}, f"{path.name}: reports and hard negatives"
        assert {row.text for row in rows} <= train, path.name


def test_calibration_is_per_language_with_enough_rows_and_pooled_always() -> None:
    rng = np.random.default_rng(1)
    rows = [Row("x", "en", "s", "calibration", bool(i % 2), False) for i in range(60)] + [
        Row("y", "de", "s", "calibration", bool(i % 2), False) for i in range(8)
    ]
    margins = np.array([(2.0 if row.hate else -2.0) + rng.normal() for row in rows])
    calibration = calibrate(margins, rows, "hate_speech")
    assert set(calibration) == {POOLED, "en"}, "8 German rows are too few for their own"
    assert calibration["en"].a > 0


def test_a_language_calibrated_on_hand_written_rows_only_gets_the_pooled_fit() -> None:
    rng = np.random.default_rng(2)
    sources = {"en": ["davidson2017"] * 60, "hi": [*WRITTEN_SOURCES] * 15, "fr": ["mlma2019_fr"] * 30}
    sources["fr"] += ["written_hate_context"] * 10
    rows = [
        Row("x", lang, source, "calibration", bool(i % 2), False)
        for lang, names in sources.items()
        for i, source in enumerate(names)
    ]
    margins = np.array([(2.0 if row.hate else -2.0) + rng.normal() for row in rows])
    calibration = calibrate(margins, rows, "hate_speech")
    assert "hi" not in calibration, "hand-written rows alone are no evidence of how real posts score"
    assert {"en", "fr"} <= set(calibration), "30 corpus rows (beside hand-written ones) still get their own"


def test_gate_thresholds_keep_what_the_encoder_finds(trained: Path, shared: Path) -> None:
    gate = HeadSet.load(trained / "gate")
    assert set(gate.escalate_at) == {"hate_speech", "violence_report"}
    rows = all_rows(shared)
    heads = HeadSet.load(trained / "encoder")
    encoder = build_encoder(EncoderSettings(kind="checkpoint", model=tiny_models.sequence_model()))
    vectors = encoder.embed([row.text for row in rows])
    found = {
        category: head.scores(vectors, [row.lang for row in rows]) >= 0.5
        for category, head in heads.heads.items()
    }
    static = StaticEmbedding.load(trained / "gate")
    static_vectors = static.embed([row.text for row in rows])
    # the run's default shares: 0.95 of the finds, 0.98 for violence reports
    expected = {
        category: gate_thresholds(gate, static_vectors, rows, share, found)[category]
        for category, share in DEFAULT_GATE_RECALL.items()
    }
    assert expected == pytest.approx(gate.escalate_at)
    calibration = np.array([row.split == "calibration" for row in rows])
    for category, threshold in gate.escalate_at.items():
        kept = gate.heads[category].scores(static_vectors, [row.lang for row in rows]) >= threshold
        wanted = (
            found[category] & calibration & np.array([train_encoder.label_of(row, category) for row in rows])
        )
        if wanted.sum() >= 10:
            assert kept[wanted].mean() >= 0.9


def _copy_of_the_gate(trained: Path, tmp_path: Path) -> tuple[Path, HeadSet]:
    """The trained gate copied where a test may rewrite it, and its heads as loaded."""
    gate_dir = tmp_path / "gate"
    shutil.copytree(trained / "gate", gate_dir)
    return gate_dir, HeadSet.load(gate_dir)


def test_keeping_the_gate_heads_recomputes_only_its_thresholds(
    trained: Path, shared: Path, tmp_path: Path
) -> None:
    gate_dir, stale = _copy_of_the_gate(trained, tmp_path)
    stale.escalate_at = {category: 0.999 for category in stale.escalate_at}  # must be recomputed
    stale.save(gate_dir)
    model = tiny_models.sequence_model()
    code = train_encoder.main(
        ["--shared", str(shared), "--cache", str(trained / "cache"), "--out", str(tmp_path / "encoder"),
         "--encoder", "checkpoint", "--model", str(model), "--gate", str(gate_dir), "--keep-gate-heads",
         "--hidden", "8", "--epochs", "2", "--ensemble", "2"]
    )
    assert code == 0
    kept = HeadSet.load(gate_dir)
    for category, head in stale.heads.items():
        np.testing.assert_array_equal(kept.heads[category].network.weight, head.network.weight)
    rows = all_rows(shared)
    heads = HeadSet.load(tmp_path / "encoder")
    hidden = heads.heads["violence_report"].network.hidden
    assert hidden is not None and hidden.shape[1] == 16, "two networks of 8 units"
    vectors = build_encoder(EncoderSettings(kind="checkpoint", model=model)).embed([row.text for row in rows])
    langs = [row.lang for row in rows]
    found = {category: head.scores(vectors, langs) >= 0.5 for category, head in heads.heads.items()}
    static_vectors = StaticEmbedding.load(gate_dir).embed([row.text for row in rows])
    expected = {
        category: gate_thresholds(kept, static_vectors, rows, share, found)[category]
        for category, share in DEFAULT_GATE_RECALL.items()
    }
    assert kept.escalate_at == pytest.approx(expected)
    # recomputed, not the stale 0.999 (hate speech may come out 1.0: the tiny encoder, trained two
    # epochs, can find none of the calibration rows' hate, and then the gate keeps nothing back)
    assert all(threshold != 0.999 for threshold in kept.escalate_at.values()), kept.escalate_at
    assert kept.escalate_at["violence_report"] < 0.999


def _score_heads() -> HeadSet:
    """Heads whose calibrated score of a row is the first component of its vector (a logit)."""
    heads = {}
    for category in ("hate_speech", "violence_report"):
        weight = np.array([[1.0]], dtype=np.float32)
        heads[category] = CategoryHead(category, Network(weight, np.zeros(1, dtype=np.float32)),
                                       {POOLED: Platt(1.0, 0.0)})
    return HeadSet(encoder="score", dim=1, max_chars=300, heads=heads, version="t")


def test_gate_thresholds_count_a_held_out_events_rows_with_the_calibration_rows() -> None:
    # calibration: 20 violent rows the gate scores 0.9; a fold's held-out event: 20 it scores 0.2
    scores = [0.9] * 20 + [0.2] * 20 + [0.05] * 20
    splits = ["calibration"] * 20 + ["held_out"] * 20 + ["calibration"] * 20
    rows = [Row(f"r{i}", "en", "crisislex_violence", split, False, i < 40) for i, split in enumerate(splits)]
    vectors = np.log(np.array(scores) / (1 - np.array(scores)))[:, None].astype(np.float32)
    drawn = gate_thresholds(_score_heads(), vectors, rows, 0.98)
    assert drawn["violence_report"] == pytest.approx(0.2, abs=1e-4), (
        "the held-out event's reports must be kept too: 0.2, not the calibration rows' 0.9")
    without = [Row(r.text, r.lang, r.source, "dev" if r.split == "held_out" else r.split, r.hate, r.violent)
               for r in rows]
    redrawn = gate_thresholds(_score_heads(), vectors, without, 0.98)
    assert redrawn["violence_report"] == pytest.approx(0.9, abs=1e-4), "dev rows never count"


def test_gate_only_reads_the_encoder_heads_and_sets_the_named_threshold(
    trained: Path, shared: Path, tmp_path: Path
) -> None:
    gate_dir, before = _copy_of_the_gate(trained, tmp_path)
    encoder_files = {path.name: path.read_bytes() for path in (trained / "encoder").iterdir()}
    code = train_encoder.main(
        ["--shared", str(shared), "--cache", str(trained / "cache"), "--out", str(trained / "encoder"),
         "--encoder", "checkpoint", "--model", str(tiny_models.sequence_model()), "--gate", str(gate_dir),
         "--gate-only", "--keep-gate-heads", "--gate-escalate-at", "violence_report=0.2"]
    )
    assert code == 0
    assert {path.name: path.read_bytes() for path in (trained / "encoder").iterdir()} == encoder_files, (
        "--gate-only reads the encoder heads (their finds) and writes nothing there")
    after = HeadSet.load(gate_dir)
    for category, head in before.heads.items():
        np.testing.assert_array_equal(after.heads[category].network.weight, head.network.weight)
    assert after.escalate_at["violence_report"] == 0.2
    assert after.escalate_at["hate_speech"] == pytest.approx(before.escalate_at["hate_speech"]), (
        "the other category is drawn by the rule against the same heads' finds, as the run that trained it")
    assert after.meta["thresholds_drawn_on"]["set"] == {"violence_report": 0.2}
    assert after.meta["thresholds_drawn_on"]["drawn"] == ["hate_speech"]


@pytest.mark.parametrize("value", ["violence_report=1.5", "violence=0.2", "violence_report"])
def test_a_bad_gate_threshold_is_refused_naming_it(value: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        train_encoder.main(["--gate", str(tmp_path / "gate"), "--gate-escalate-at", value])
    assert f"--gate-escalate-at {value!r}" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("option", "value"),
    [("--gate-recall", "violence=0.98"), ("--gate-recall", "1.5"), ("--gate-recall", "hate_speech=most"),
     ("--source-weight", "told_br=-1"), ("--source-weight", "=2")],
)
def test_a_bad_named_number_is_refused_naming_its_option(option: str, value: str, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        train_encoder.main(["--gate", str(tmp_path / "gate"), option, value])
    assert f"{option} {value!r}: expected" in capsys.readouterr().err


def test_recall_shares_take_a_bare_default_and_named_categories() -> None:
    shares = train_encoder.parse_recall(["0.9", "violence_report=0.98"], ["hate_speech", "violence_report"])
    assert shares == {"hate_speech": 0.9, "violence_report": 0.98}
    assert train_encoder.parse_recall([], ["hate_speech"]) == {"hate_speech": 0.95}
    with pytest.raises(ValueError, match=r"--keep 'violence=1\.0': expected"):  # was silently ignored
        train_encoder.parse_recall(["violence=1.0"], ["violence_report"], "--keep")


def test_gate_only_without_a_gate_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        train_encoder.main(["--out", str(tmp_path / "encoder"), "--gate-only"])


def test_a_run_writes_heads_metrics_and_a_gate_the_plugins_load(trained: Path) -> None:
    metrics = json.loads((trained / "encoder" / "metrics.json").read_text(encoding="utf-8"))
    assert set(metrics["dev"]) == {"hate_speech", "violence_report"}
    assert "by_language" in metrics["dev"]["hate_speech"] and "escalate_at" in metrics["gate"]
    categories = load_categories(CATEGORIES_FILE)
    settings = {
        "model": str(trained / "encoder"),
        "encoder": {"kind": "checkpoint", "model": str(tiny_models.sequence_model())},
    }
    encoder = EncoderClassifier.from_config(settings, categories, Path("test.yaml"))
    gate = GateClassifier.from_config({"model": str(trained / "gate")}, categories, Path("test.yaml"))
    texts = [ItemText("Gunmen killed 12 villagers in a night attack", "en"), ItemText("Lovely weather", "en")]
    for classifier in (encoder, gate):
        results = classifier.classify(texts)
        assert len(results) == 2
        for hits in results:
            assert set(hits) <= {"hate_speech", "violence_report"}
            assert all(0.0 <= hit.score <= 1.0 for hit in hits.values())
    assert encoder.embeddings([t.text for t in texts]).shape == (2, 32)


def test_heads_of_another_encoder_are_refused(trained: Path) -> None:
    from processors.classifiers.protocol import ClassifierConfigError

    categories = load_categories(CATEGORIES_FILE)
    with pytest.raises(ClassifierConfigError, match=r"trained on encoder 'checkpoint:.*retrain"):
        EncoderClassifier.from_config({"model": str(trained / "encoder")}, categories, Path("c.yaml"))


def test_routes_send_each_category_and_language_to_its_encoder(trained: Path) -> None:
    categories = load_categories(CATEGORIES_FILE)
    tiny = {"kind": "checkpoint", "model": str(tiny_models.sequence_model())}
    encoder = EncoderClassifier.from_config(
        {
            "routes": [
                {
                    "model": str(trained / "encoder"),
                    "encoder": tiny,
                    "categories": ["hate_speech"],
                    "languages": ["en"],
                },
                {"model": str(trained / "encoder"), "encoder": tiny},
            ],
            "threshold": 0.0,
        },
        categories,
        Path("c.yaml"),
    )
    english, other = encoder.routes
    texts = [
        ItemText("They are vermin", "en"),
        ItemText("Ni wadudu hao", "sw"),
        ItemText("Gunmen attacked the town", "en"),
    ]
    results = encoder.rescore(texts, [{"hate_speech"}, {"hate_speech"}, {"violence_report"}])
    assert (english.embedded, other.embedded) == (1, 2), "English hate to the first route, the rest on"
    assert [set(hits) for hits in results] == [{"hate_speech"}, {"hate_speech"}, {"violence_report"}]
    assert results[0]["hate_speech"].classifier.startswith("encoder/")


def test_a_category_no_route_scores_is_a_config_error(trained: Path) -> None:
    from processors.classifiers.protocol import ClassifierConfigError

    tiny = {"kind": "checkpoint", "model": str(tiny_models.sequence_model())}
    with pytest.raises(ClassifierConfigError, match=r"no route scores 'violence_report'"):
        EncoderClassifier.from_config(
            {
                "routes": [
                    {"model": str(trained / "encoder"), "encoder": tiny, "categories": ["hate_speech"]}
                ],
                "categories": ["hate_speech", "violence_report"],
            },
            load_categories(CATEGORIES_FILE),
            Path("c.yaml"),
        )


def _members(path: Path, prefix: str) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist() if name.startswith(prefix)}


@pytest.mark.parametrize("option", ["--source-weight", "--exclude"])
def test_a_source_no_row_comes_from_is_refused_naming_it(
    option: str, trained: Path, shared: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    value = "writen_hate_context=3" if option == "--source-weight" else "writen_hate_context"
    with pytest.raises(SystemExit):  # was: trained on, the misspelt source weighing or dropping nothing
        train_encoder.main(
            ["--shared", str(shared), "--cache", str(trained / "cache"), "--out", str(tmp_path / "encoder"),
             "--encoder", "checkpoint", "--model", str(tiny_models.sequence_model()), option, value]
        )
    err = capsys.readouterr().err
    assert f"{option}: no training rows come from writen_hate_context" in err
    assert "written_hate_context" in err, "the message lists the sources there are"
    assert not (tmp_path / "encoder").exists()


def test_only_retrains_the_named_categories_and_keeps_the_others_byte_for_byte(
    trained: Path, shared: Path, tmp_path: Path
) -> None:
    out = tmp_path / "encoder"
    shutil.copytree(trained / "encoder", out)
    before = HeadSet.load(out)
    model = tiny_models.sequence_model()
    code = train_encoder.main(
        ["--shared", str(shared), "--cache", str(trained / "cache"), "--out", str(out),
         "--encoder", "checkpoint", "--model", str(model), "--only", "hate_speech",
         "--hidden", "8", "--epochs", "2", "--source-weight", "written_hate_context=3"]
    )
    assert code == 0
    old, new = trained / "encoder" / "heads.npz", out / "heads.npz"
    assert _members(new, "violence_report.") == _members(old, "violence_report.")
    assert _members(new, "hate_speech.") != _members(old, "hate_speech.")
    after = HeadSet.load(out)
    assert after.heads["violence_report"].calibration == before.heads["violence_report"].calibration
    hidden = after.heads["hate_speech"].network.hidden
    assert hidden is not None and hidden.shape[1] == 8, "the retrained head is the new config's"
    assert after.meta["retrained"]["hate_speech"]["source_weights"] == {"written_hate_context": 3.0}
    assert after.meta["config"] == before.meta["config"]


def test_a_whole_run_records_its_source_weights_as_a_retraining_does(
    trained: Path, shared: Path, tmp_path: Path
) -> None:
    """The heads file says how it was trained: a whole run dropped --source-weight from its metadata."""
    out = tmp_path / "encoder"
    code = train_encoder.main(
        ["--shared", str(shared), "--cache", str(trained / "cache"), "--out", str(out),
         "--encoder", "checkpoint", "--model", str(tiny_models.sequence_model()),
         "--hidden", "8", "--epochs", "2", "--source-weight", "written_hate_context=3"]
    )
    assert code == 0
    meta = HeadSet.load(out).meta
    assert meta["source_weights"] == {"written_hate_context": 3.0}
    assert meta["distil_from"] is None and meta["distil_weight"] is None


def test_only_with_a_gate_whose_heads_would_be_retrained_is_refused(trained: Path, tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        train_encoder.main(["--out", str(trained / "encoder"), "--only", "hate_speech",
                            "--gate", str(tmp_path / "gate")])


def test_a_source_weight_multiplies_that_source_only() -> None:
    rows = [Row(f"t{i}", "en", "a" if i < 4 else "b", "train", i % 2 == 0, False) for i in range(8)]
    plain = train_encoder.balanced_weights(rows, "hate_speech")
    heavier = train_encoder.balanced_weights(
        rows, "hate_speech", weighting=HeadWeighting(source_weights={"b": 3.0})
    )
    assert plain.sum() == pytest.approx(heavier.sum()) == pytest.approx(8)
    assert heavier[4] / heavier[0] == pytest.approx(3 * plain[4] / plain[0])
    with pytest.raises(ValueError, match="SOURCE=FACTOR"):
        train_encoder.parse_source_weights(["written_hate_context"])
    with pytest.raises(ValueError, match="positive"):
        train_encoder.parse_source_weights(["b=0"])


def test_hand_written_hate_files_are_trained_on_never_dev_and_apart_from_the_dev_set(shared: Path) -> None:
    rows = [row for row in all_rows(shared) if row.source.startswith("written_hate")]
    assert {row.source for row in rows} == {
        "written_hate", "written_hate_context", "written_hate_low_resource", "written_hate_ar",
        "written_hate_en2",
    }
    assert {row.split for row in rows} == {"train", "calibration"}
    context = [row for row in rows if row.source == "written_hate_context"]
    assert {row.hate for row in context} == {True, False}
    assert {"en", "fr", "es", "ar", "hi"} <= {row.lang for row in context}
    assert {HATE_DEV_WRITTEN, HATE_DEV_ARABIZI} < set(HATE_DEV_FILES)
    for path in HATE_DEV_FILES:
        with path.open(encoding="utf-8", newline="") as handle:
            dev = {prepare_text(record["text"], PREPARED_CHARS).lower() for record in csv.DictReader(handle)}
        assert dev and not dev & {row.text.lower() for row in rows}, path.name


def _latin(text: str) -> bool:
    return not any(ord(char) > 0x24F for char in text if char.isalpha())


def _words(text: str) -> set[str]:
    return set(re.findall(r"[\w']+", text.lower()))


def test_hand_written_arabizi_training_rows_are_many_and_no_near_copy_of_a_dev_row() -> None:
    """The Arabizi rows (2026-12-07: 36 + 180) are written apart from both dev files, not edited from them."""
    low_resource = read_written_hate(WRITTEN_HATE_LOW_RESOURCE, "written_hate_low_resource")
    arabizi = [row for row in low_resource if row.lang == "ar" and _latin(row.text)]
    hateful = sum(row.hate for row in arabizi)
    assert len(arabizi) >= 200 and min(hateful, len(arabizi) - hateful) >= 90
    dev: list[set[str]] = []
    assert {HATE_DEV_WRITTEN, HATE_DEV_ARABIZI} < set(HATE_DEV_FILES)
    for path in HATE_DEV_FILES:
        with path.open(encoding="utf-8", newline="") as handle:
            dev += [_words(record["text"]) for record in csv.DictReader(handle) if _latin(record["text"])]
    assert len(dev) > 100
    for row in arabizi:
        words = _words(row.text)
        overlap = max(len(words & other) / len(words | other) for other in dev)
        assert overlap < 0.5, row.text


def test_hand_written_arabizi_and_romanised_hindi_rows_hold_both_classes_in_training_and_dev() -> None:
    """The corpora hold almost no Arabic in Latin letters or Hinglish: these rows are all there is."""
    low_resource = read_written_hate(WRITTEN_HATE_LOW_RESOURCE, "written_hate_low_resource")
    assert {row.lang for row in low_resource} == {"ar", "hi"}
    for lang in ("ar", "hi"):
        latin = [row for row in low_resource if row.lang == lang and _latin(row.text)]
        assert {row.hate for row in latin} == {True, False}, lang
    with HATE_DEV_WRITTEN.open(encoding="utf-8", newline="") as handle:
        dev = list(csv.DictReader(handle))
    for lang in ("ar-latn", "hi-latn"):
        records = [record for record in dev if record["lang"] == lang]
        assert {record["label"] for record in records} == {"hateful", "non-hateful"}, lang
        assert all(_latin(record["text"]) for record in records), lang


def test_hand_written_arabic_rows_are_a_source_of_their_own_in_both_classes() -> None:
    """The Arabic rows of the training half of the 726 posts of 2026-12-07, weighed apart (8 for the
    joined hate head of the Arabic route: models/encoder-use-static-ar/MODEL_CARD.md)."""
    rows = read_written_hate(WRITTEN_HATE_AR, WRITTEN_HATE_SOURCES[WRITTEN_HATE_AR])
    assert len(rows) == 168 and {row.source for row in rows} == {"written_hate_ar"}
    assert len({row.text.lower() for row in rows}) == len(rows)
    assert {row.lang for row in rows} == {"ar"} and {row.hate for row in rows} == {True, False}
    assert not any(_latin(row.text) for row in rows), "Arabic script; Arabizi has its own dev file"
    assert all(bool(row.targets) == bool(row.forms) == row.hate for row in rows)


def test_hand_written_english_rows_are_a_source_of_their_own_read_by_the_english_head() -> None:
    """340 English posts of a writer who saw no dev row (2026-12-07 night): the English posts' hate
    head reads them (weight 5, models/encoder-use-static-en/MODEL_CARD.md), no other head does."""
    rows = read_written_hate(WRITTEN_HATE_EN2, WRITTEN_HATE_SOURCES[WRITTEN_HATE_EN2])
    assert len(rows) == 340 and {row.source for row in rows} == {"written_hate_en2"}
    assert len({row.text.lower() for row in rows}) == len(rows)
    assert {row.lang for row in rows} == {"en"} and {row.hate for row in rows} == {True, False}
    assert all(_latin(row.text) for row in rows)
    assert all(bool(row.targets) == bool(row.forms) == row.hate for row in rows)
    assert set().union(*(row.targets for row in rows)) <= set(TARGETS)
    assert set().union(*(row.forms for row in rows)) <= set(FORMS)
    # the shipped heads' recipes (a head retrained with --only records its own under "retrained")
    english = HeadSet.load(model_path(Path("models/encoder-use-static-en"))).meta["retrained"]["hate_speech"]
    assert english["source_weights"]["written_hate_en2"] == 5.0 and english["ensemble"] == 5
    assert "written_hate_ar" not in english["sources"], "Arabic posts have their own head"
    for folder in ("encoder-use-static", "encoder-use-static-ar"):
        meta = HeadSet.load(model_path(Path("models", folder))).meta
        recipe = meta.get("retrained", {}).get("hate_speech", meta)
        assert "written_hate_en2" not in recipe["sources"], folder


def _tiny_rows(n: int = 60) -> tuple[np.ndarray, list[Row]]:
    rng = np.random.default_rng(3)
    rows = [
        Row(f"t{i}", "en", "crisislex_violence", "train" if i < 40 else "calibration", False, i % 2 == 0)
        for i in range(n)
    ]
    x = rng.normal(size=(n, 4)).astype(np.float32)
    x[:, 0] += np.array([2.0 if row.violent else -2.0 for row in rows], dtype=np.float32)
    return x, rows


def test_a_teacher_agreeing_with_the_labels_changes_nothing_and_an_unsure_one_flattens_the_head() -> None:
    x, rows = _tiny_rows()

    def heads(teacher: np.ndarray | None = None, weight: float = 0.5) -> HeadSet:
        return train_encoder.train_heads(
            x, rows, train_encoder.HeadConfig(), encoder="e", dim=4, max_chars=300, sublabels=False,
            categories=["violence_report"],
            weighting=HeadWeighting(
                teacher=None if teacher is None else {"violence_report": teacher}, teacher_weight=weight
            ),
        )

    plain = heads()
    same = heads(np.array([row.violent for row in rows], dtype=np.float64))
    unsure = heads(np.full(len(rows), 0.5), 0.9)
    weight = plain.heads["violence_report"].network.weight
    assert np.allclose(same.heads["violence_report"].network.weight, weight)
    assert np.abs(unsure.heads["violence_report"].network.weight).sum() < np.abs(weight).sum() / 2


def test_distil_from_reads_the_teachers_scores_and_records_it(
    trained: Path, shared: Path, tmp_path: Path
) -> None:
    out = tmp_path / "encoder"
    shutil.copytree(trained / "encoder", out)
    code = train_encoder.main(
        ["--shared", str(shared), "--cache", str(trained / "cache"), "--out", str(out),
         "--encoder", "checkpoint", "--model", str(tiny_models.sequence_model()),
         "--only", "violence_report", "--distil-from", str(trained / "encoder"), "--distil-weight", "0.7"]
    )
    assert code == 0
    old, new = trained / "encoder" / "heads.npz", out / "heads.npz"
    assert _members(new, "hate_speech.") == _members(old, "hate_speech.")
    retrained = HeadSet.load(out).meta["retrained"]["violence_report"]
    assert retrained["distil_from"] == str(trained / "encoder") and retrained["distil_weight"] == 0.7
    assert retrained["split"] == "event"


def test_vectors_for_reads_the_cache_and_builds_an_encoder_only_for_a_text_it_lacks(
    trained: Path, shared: Path
) -> None:
    heads = HeadSet.load(trained / "encoder")
    store = EmbeddingCache(trained / "cache", heads.encoder, heads.dim)
    cached = [row.text for row in all_rows(shared) if row.text in store][:3]
    assert len(cached) == 3
    assert np.array_equal(train_encoder.vectors_for(heads, cached, trained / "cache"), store.get(cached))
    # a text not cached needs the heads' encoder: a local checkpoint is no built-in one to build
    with pytest.raises(ValueError, match="no built-in encoder"):
        train_encoder.vectors_for(heads, [*cached, "a text the cache has never seen"], trained / "cache")


def test_training_with_identity_balance_changes_the_hate_head_only(trained: Path, shared: Path,
                                                                   tmp_path: Path) -> None:
    model = tiny_models.sequence_model()
    outs = {}
    for name, extra in (("plain", []), ("balanced", ["--identity-balance", "balance"])):
        out = tmp_path / name
        shutil.copytree(trained / "encoder", out)
        code = train_encoder.main(
            ["--shared", str(shared), "--cache", str(trained / "cache"), "--out", str(out),
             "--encoder", "checkpoint", "--model", str(model), "--only", "hate_speech",
             "--hidden", "8", "--epochs", "2", *extra]
        )
        assert code == 0
        outs[name] = out / "heads.npz"
    assert _members(outs["balanced"], "violence_report.") == _members(outs["plain"], "violence_report.")
    assert _members(outs["balanced"], "hate_speech.main") != _members(outs["plain"], "hate_speech.main")
    meta = HeadSet.load(outs["balanced"].parent).meta["retrained"]["hate_speech"]
    assert meta["identity_balance"] == "balance"
    assert "identity_balance" not in HeadSet.load(outs["plain"].parent).meta["retrained"]["hate_speech"]


def _with_offensive_rows(shared: Path, root: Path) -> Path:
    """``shared`` plus Davidson class-1 tweets (offensive, not hateful) and a ToLD-Br row both hateful and
    insulting."""
    copy = root / "shared"
    shutil.copytree(shared, copy)
    insults = [f"shut up you absolute clown, nobody asked ({n})" for n in range(8)]
    with (copy / "hate" / "davidson2017_labeled_data.csv").open("a", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(
            [[str(100 + i), "3", "0", "3", "0", "1", t] for i, t in enumerate(insults)]
        )
    with (copy / "hate" / "told_br.csv").open("a", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerow(["esses imigrantes nojentos, seus idiotas", "0.0", "0.0", "3.0", "3.0",
                                     "0.0", "0.0"])
    return copy


def test_offensive_rows_are_the_corpora_s_offensive_non_hateful_ones(shared: Path, tmp_path: Path) -> None:
    rows = all_rows(_with_offensive_rows(shared, tmp_path), RowSelection(split_by="text"))
    offensive = {row.text for row in rows if row.offensive}
    assert offensive == {prepare_text(f"shut up you absolute clown, nobody asked ({n})", PREPARED_CHARS)
                         for n in range(8)}, "Davidson class 1 only: the rest of the tiny files say neither"
    told = [row for row in rows if row.text.startswith("esses imigrantes")]
    assert len(told) == 1 and told[0].hate and not told[0].offensive, (
        "a hateful row is never a negative to weigh"
    )


def test_an_offensive_weight_multiplies_the_offensive_negatives_of_the_hate_head_only() -> None:
    rows = [
        Row("h0", "en", "a", "train", True, False),
        Row("h1", "en", "a", "train", True, False),
        Row("n0", "en", "a", "train", False, False),
        Row("o0", "en", "a", "train", False, False, offensive=True),
        Row("o1", "en", "a", "train", False, False, offensive=True),
        Row("v0", "en", "b_violence", "train", False, True),
        Row("v1", "en", "b_violence", "train", False, False),
    ]
    plain = train_encoder.balanced_weights(rows, "hate_speech")
    heavier = train_encoder.balanced_weights(
        rows, "hate_speech", weighting=HeadWeighting(offensive_weight=3.0)
    )
    assert heavier.sum() == pytest.approx(plain.sum()) == pytest.approx(len(rows))
    assert heavier[3] / heavier[2] == pytest.approx(3 * plain[3] / plain[2])
    assert heavier[4] / heavier[2] == pytest.approx(3 * plain[4] / plain[2])
    assert heavier[0] / heavier[2] == pytest.approx(plain[0] / plain[2]), (
        "hateful and plain negatives keep their ratio"
    )
    assert heavier[5] / heavier[2] == pytest.approx(plain[5] / plain[2])
    violence = train_encoder.balanced_weights(
        rows, "violence_report", weighting=HeadWeighting(offensive_weight=3.0)
    )
    np.testing.assert_array_equal(violence, train_encoder.balanced_weights(rows, "violence_report"))
    unchanged = train_encoder.balanced_weights(
        rows, "hate_speech", weighting=HeadWeighting(offensive_weight=1.0)
    )
    np.testing.assert_array_equal(unchanged, plain)
    for bad in (0.0, -2.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="positive factor"):
            HeadWeighting(offensive_weight=bad)


_BAD_OPTIONS = [
    *[("--offensive-weight", v, f"--offensive-weight {float(v)!r}: expected a positive factor")
      for v in ("0", "-2", "nan", "inf")],
    # a share outside [0, 1] gave targets outside [0, 1]
    *[("--distil-weight", v, f"--distil-weight {v}: expected a share from 0 to 1")
      for v in ("1.5", "-0.1", "nan")],
    # a negative count kept all but that many tweets
    ("--accident-tweets", "-3", "--accident-tweets -3: expected a count of tweets, 0 or more (0: all)"),
    # it built the encoder, then crashed with a traceback
    *[("--train-scale", v, f"train_scale must be positive, not {float(v)}") for v in ("0", "-1")],
    ("--hate-calibration", "even", "--hate-calibration 'even': expected one of balanced, prior, macro-f1"),
]


@pytest.mark.parametrize(("option", "value", "message"), _BAD_OPTIONS)
def test_a_bad_training_option_is_refused_before_anything_is_read(
    option: str, value: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        train_encoder.main(["--shared", str(tmp_path / "nowhere"), "--out", str(tmp_path / "encoder"),
                            option, value])
    assert message in capsys.readouterr().err
    assert not (tmp_path / "encoder").exists()


def test_training_with_an_offensive_weight_changes_the_hate_head_only_and_records_it(
    trained: Path, shared: Path, tmp_path: Path
) -> None:
    data = _with_offensive_rows(shared, tmp_path)
    cache = tmp_path / "cache"
    shutil.copytree(trained / "cache", cache)
    model = tiny_models.sequence_model()
    outs = {}
    for name, extra in (("plain", []), ("weighed", ["--offensive-weight", "3"])):
        out = tmp_path / name
        shutil.copytree(trained / "encoder", out)
        code = train_encoder.main(
            ["--shared", str(data), "--cache", str(cache), "--out", str(out), "--encoder", "checkpoint",
             "--model", str(model), "--only", "hate_speech", "--hidden", "8", "--epochs", "2", *extra]
        )
        assert code == 0
        outs[name] = out / "heads.npz"
    assert _members(outs["weighed"], "violence_report.") == _members(outs["plain"], "violence_report.")
    assert _members(outs["weighed"], "hate_speech.main") != _members(outs["plain"], "hate_speech.main")
    assert HeadSet.load(outs["weighed"].parent).meta["retrained"]["hate_speech"]["offensive_weight"] == 3.0
    assert "offensive_weight" not in HeadSet.load(outs["plain"].parent).meta["retrained"]["hate_speech"]


@pytest.mark.parametrize("point", ["prior", "macro-f1"])
def test_a_hate_calibration_option_moves_the_hate_head_s_platt_scaling_only_and_records_it(
    point: str, trained: Path, shared: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    shutil.copytree(trained / "cache", cache)
    model = tiny_models.sequence_model()
    heads = {}
    for name, extra in (("balanced", []), (point, ["--hate-calibration", point])):
        out = tmp_path / name
        code = train_encoder.main(
            ["--shared", str(shared), "--cache", str(cache), "--out", str(out), "--encoder", "checkpoint",
             "--model", str(model), "--hidden", "8", "--epochs", "2", *extra]
        )
        assert code == 0
        heads[name] = HeadSet.load(out)
    plain, moved = heads["balanced"].heads, heads[point].heads
    np.testing.assert_array_equal(moved["hate_speech"].network.weight, plain["hate_speech"].network.weight)
    assert moved["hate_speech"].calibration != plain["hate_speech"].calibration
    assert moved["violence_report"].calibration == plain["violence_report"].calibration
    np.testing.assert_array_equal(
        moved["violence_report"].network.weight, plain["violence_report"].network.weight
    )
    assert heads[point].meta["hate_calibration"] == point
    assert "hate_calibration" not in heads["balanced"].meta


def test_heads_train_on_use_joined_to_the_static_table_and_load_only_on_those_vectors(
    shared: Path, tmp_path: Path
) -> None:
    code = train_encoder.main(
        ["--shared", str(shared), "--cache", str(tmp_path / "cache"), "--out", str(tmp_path / "joined"),
         "--encoder", "use+static"]
    )
    assert code == 0
    heads = HeadSet.load(tmp_path / "joined")
    assert (heads.encoder, heads.dim) == ("use-multilingual-v3+e5-static-1@337269cb", 640)
    assert train_encoder.encoder_kind(heads.encoder) == "use+static", "a teacher of these vectors is built"
    categories = load_categories(CATEGORIES_FILE)
    route = {"model": str(tmp_path / "joined"), "encoder": {"kind": "use+static"}}
    classifier = EncoderClassifier.from_config({"routes": [route]}, categories, Path("c.yaml"))
    texts = [ItemText("Gunmen killed 12 villagers in a night attack", "en"), ItemText("Lovely weather", "en")]
    assert len(classifier.classify(texts)) == 2 and classifier.embeddings(["x"]).shape == (1, 640)
    from processors.classifiers.protocol import ClassifierConfigError

    with pytest.raises(ClassifierConfigError, match="retrain them for this encoder"):
        EncoderClassifier.from_config(
            {"routes": [{**route, "encoder": {"kind": "use"}}]}, categories, Path("c.yaml")
        )


def test_an_only_hate_run_records_its_hate_calibration_under_retrained(
    trained: Path, shared: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    shutil.copytree(trained / "cache", cache)
    out = tmp_path / "encoder"
    shutil.copytree(trained / "encoder", out)
    code = train_encoder.main(
        ["--shared", str(shared), "--cache", str(cache), "--out", str(out), "--encoder", "checkpoint",
         "--model", str(tiny_models.sequence_model()), "--only", "hate_speech",
         "--hidden", "8", "--epochs", "2", "--hate-calibration", "prior"]
    )
    assert code == 0
    meta = HeadSet.load(out).meta
    assert meta["retrained"]["hate_speech"]["hate_calibration"] == "prior"
    assert "hate_calibration" not in meta
