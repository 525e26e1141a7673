"""The first-stage n-gram model: features, model file, calibration, the plug-in, and training."""

from __future__ import annotations

import importlib.util
import socket
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from processors.categories import KeywordCategories
from processors.classifiers import Classifier, ClassifierConfigError, ItemText
from processors.classifiers.ngram import (
    CALIBRATED,
    COLUMNS,
    DEFAULT_MODEL,
    HATE,
    OFFENSIVE,
    POOLED,
    TARGETS,
    Features,
    NgramClassifier,
    NgramModel,
    NgramModelError,
    NgramSettings,
    Platt,
    normalise,
    quantise,
)
from processors.classifiers.registry import build_one
from processors.training.calibrate import CalibrationError, fit_platt
from processors.training.datasets import Example, davidson_label, mlma_label, split_of

HAS_TORCH = importlib.util.find_spec("torch") is not None
needs_torch = pytest.mark.skipif(not HAS_TORCH, reason="training needs torch (the ml extra)")


def random_model(features: Features | None = None, seed: int = 0,
                 calibration: dict[str, dict[str, Platt]] | None = None) -> NgramModel:
    features = features or Features(buckets_log2=10, min_n=1, max_n=4)
    rng = np.random.default_rng(seed)
    weights = rng.integers(-127, 128, size=(features.buckets + 1, COLUMNS), dtype=np.int8)
    weights[-1] = 0
    return NgramModel(features=features, weights=weights, scales=np.full(COLUMNS, 0.02),
                      bias=np.zeros(COLUMNS), version="test",
                      calibration=calibration or {POOLED: {HATE: Platt(1.0, 0.0),
                                                           OFFENSIVE: Platt(1.0, 0.0)}})


def categories() -> KeywordCategories:
    return KeywordCategories.compile(
        {"categories": {"hate_speech": {"min_score": 1, "terms": {"en": ["vermin"]}}}}, "cats.yaml")


# -- normalisation and features ------------------------------------------------


def test_normalise_folds_case_urls_mentions_digits_accents_and_repeats() -> None:
    [text] = normalise(["RT @Bob_1: Héllo   WORLD!!!!! see https://t.co/x1 in 2024 &amp; ÇA"])
    assert text == " @user : hello world!! see http in 00 ca "


def test_normalise_unifies_arabic_letters_and_drops_diacritics() -> None:
    assert normalise(["أَهلاً بِكُم في إِفريقيا ـــ ٣٤"]) == [" اهلا بكم في افريقيا 00 "]


def test_normalise_keeps_one_text_per_input_even_with_nul_and_empty_texts() -> None:
    assert normalise(["a\x00b", "", "  ", "x\ud800y"]) == [" a b ", " ", " ", " x\ud800y "]


def test_max_chars_cuts_each_text() -> None:
    assert normalise(["abcdef", "gh"], max_chars=3) == [" abc ", " gh "]


def test_ngrams_never_cross_texts() -> None:
    model = random_model()
    texts = ["kill them all", "", "قتل", "a", "the weather is fine today " * 3]
    together = model.logits(texts)
    alone = np.vstack([model.logits([text]) for text in texts])
    np.testing.assert_allclose(together, alone, rtol=1e-5, atol=1e-6)


def test_counts_are_the_number_of_real_ngrams() -> None:
    features = Features(buckets_log2=8, min_n=1, max_n=3)
    rows, starts, counts = features.rows(["ab", ""])
    # " ab " has 4 + 3 + 2 n-grams; " " has 1
    assert counts.tolist() == [9, 1]
    assert starts.tolist() == [0, 4]
    assert int((rows != features.buckets).sum()) == 10


# -- the model file ------------------------------------------------------------


def test_model_file_round_trip(tmp_path: Path) -> None:
    model = random_model(calibration={POOLED: {HATE: Platt(2.0, -1.0), OFFENSIVE: Platt(0.5, 0.1)},
                                      "fr": {HATE: Platt(1.5, -2.0), OFFENSIVE: Platt(1.0, 0.0)}})
    model.meta = {"note": "round trip"}
    model.save(tmp_path)
    loaded = NgramModel.load(tmp_path)
    texts, langs = ["sale race", "bonjour à tous"], ["fr", "de"]
    assert loaded.version == "test" and loaded.meta == {"note": "round trip"}
    assert loaded.calibration == model.calibration
    np.testing.assert_array_equal(loaded.weights, model.weights)
    np.testing.assert_allclose(loaded.predict(texts, langs).hate, model.predict(texts, langs).hate)


def test_missing_model_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(NgramModelError, match=r"nothing-here/model\.npz: no such model file"):
        NgramModel.load(tmp_path / "nothing-here")


def test_corrupt_model_file_is_a_model_error(tmp_path: Path) -> None:
    (tmp_path / "model.npz").write_bytes(b"not a zip")
    with pytest.raises(NgramModelError, match="not a first-stage model file"):
        NgramModel.load(tmp_path)


def test_weights_of_the_wrong_shape_are_refused() -> None:
    with pytest.raises(NgramModelError, match="expected int8"):
        NgramModel(features=Features(buckets_log2=4), weights=np.zeros((17, 3), dtype=np.int8),
                   scales=np.ones(COLUMNS), bias=np.zeros(COLUMNS), version="x",
                   calibration={POOLED: {HATE: Platt(1, 0), OFFENSIVE: Platt(1, 0)}})


def test_quantise_keeps_sign_and_scale() -> None:
    weights = np.array([[1.0, -0.5], [-2.0, 0.0], [0.0, 0.25]], dtype=np.float32)
    packed, scales = quantise(weights)
    assert packed.dtype == np.int8 and packed[1, 0] == -127 and packed[0, 1] == -127
    np.testing.assert_allclose(packed * scales, weights, atol=scales.max() / 2)


# -- calibration -----------------------------------------------------------------


def test_fit_platt_recovers_the_generating_parameters() -> None:
    rng = np.random.default_rng(3)
    scores = rng.normal(0.0, 2.0, 20_000)
    positive = rng.random(20_000) < 1 / (1 + np.exp(-(1.5 * scores - 1.0)))
    platt = fit_platt(scores, positive)
    assert platt.a == pytest.approx(1.5, abs=0.1)
    assert platt.b == pytest.approx(-1.0, abs=0.1)


def test_fit_platt_is_monotone_even_when_the_score_ranks_backwards() -> None:
    scores = np.linspace(-3, 3, 200)
    platt = fit_platt(scores, scores < 0)
    assert platt.a > 0
    assert np.all(np.diff(platt(scores)) >= 0)


def test_fit_platt_needs_both_classes() -> None:
    with pytest.raises(CalibrationError, match="positive and negative"):
        fit_platt(np.zeros(5), np.zeros(5, dtype=bool))


def test_calibration_is_per_language_with_pooled_fallback() -> None:
    model = random_model(calibration={POOLED: {HATE: Platt(1.0, 0.0), OFFENSIVE: Platt(1.0, 0.0)},
                                      "fr": {HATE: Platt(1.0, -3.0), OFFENSIVE: Platt(1.0, 0.0)}})
    text = ["un texte quelconque"]
    fr, pooled, unknown = (model.predict(text, [lang]).hate[0] for lang in ("fr", POOLED, "sw"))
    assert fr < pooled
    assert unknown == pooled


# -- the shipped model -------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped() -> NgramModel:
    return NgramModel.load(DEFAULT_MODEL)


def test_shipped_model_loads_without_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the model tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    model = NgramModel.load(DEFAULT_MODEL)
    assert model.version
    assert DEFAULT_MODEL.joinpath("model.npz").stat().st_size < 5_000_000


def test_shipped_model_is_calibrated_for_its_training_languages(shipped: NgramModel) -> None:
    assert {"en", "fr", "ar", POOLED} <= set(shipped.calibration)
    margins = np.linspace(-8, 8, 101)
    for per in shipped.calibration.values():
        for name in CALIBRATED:
            assert per[name].a > 0
            assert np.all(np.diff(per[name](margins)) >= 0)


CLEAR = {
    "neutral_en": ("en", "The city council approved the new budget for schools and roads on Tuesday."),
    "neutral_fr": ("fr", "Le conseil municipal a voté mardi le budget des écoles et des routes."),
    "neutral_ar": ("ar", "وافق المجلس البلدي يوم الثلاثاء على ميزانية المدارس والطرق."),
    "abuse_en": ("en", "shut up you stupid fucking bitch"),
    "abuse_fr": ("fr", "espèce de connard ferme ta gueule"),
    "hate_en": ("en", "fucking faggots and niggers should all be killed"),
    "hate_fr": ("fr", "sale arabe rentre chez toi, les noirs sont des singes"),
    "hate_ar": ("ar", "اليهود كلاب يجب قتلهم"),
}


def test_shipped_model_scores_clear_examples_sensibly(shipped: NgramModel) -> None:
    """Sanity, not quality (that is in the model card): clear cases land on the right side."""
    langs, texts = zip(*CLEAR.values(), strict=True)
    prediction = shipped.predict(list(texts), list(langs))
    hate = {name: prediction.hate[i] for i, name in enumerate(CLEAR)}
    offensive = {name: prediction.offensive[i] for i, name in enumerate(CLEAR)}
    for lang in ("en", "fr", "ar"):
        assert hate[f"neutral_{lang}"] < 0.25, lang
        assert hate[f"hate_{lang}"] > hate[f"neutral_{lang}"] + 0.1, lang
    assert hate["hate_en"] > 0.5 and hate["hate_ar"] > 0.5
    assert offensive["abuse_en"] > 0.5 > offensive["neutral_en"]
    assert offensive["abuse_en"] > hate["abuse_en"]
    assert offensive["abuse_fr"] > hate["abuse_fr"]


@pytest.mark.xfail(reason="known weakness (MODEL_CARD.md): French 'offensive' is near chance on held-out "
                          "MLMA (average precision 0.74 at a prevalence of 0.65), and neutral French "
                          "news scores about 0.57", strict=False)
def test_shipped_model_separates_french_abuse_from_neutral_news(shipped: NgramModel) -> None:
    texts = [CLEAR["abuse_fr"][1], CLEAR["neutral_fr"][1]]
    abuse, neutral = shipped.predict(texts, ["fr", "fr"]).offensive
    assert abuse > neutral and neutral < 0.5


# -- the plug-in -----------------------------------------------------------------


@pytest.fixture(scope="module")
def classifier() -> NgramClassifier:
    return NgramClassifier.from_config({"categories": ["hate_speech", "offensive"]}, categories(),
                                       Path("classifiers.yaml"))


def test_plugin_is_a_classifier_named_with_its_version(classifier: NgramClassifier) -> None:
    assert isinstance(classifier, Classifier)
    assert classifier.name == "ngram"
    assert classifier.model.version == classifier.version


def test_registry_builds_the_plugin_by_name() -> None:
    built = build_one("ngram", {"threshold": 0.4}, categories(), Path("classifiers.yaml"))
    assert isinstance(built, NgramClassifier)
    assert built.settings.threshold == 0.4


def test_classify_keeps_order_and_matches_one_by_one(classifier: NgramClassifier) -> None:
    texts = [ItemText(text, lang) for lang, text in CLEAR.values()] * 3
    batch = classifier.classify(texts)
    assert len(batch) == len(texts)
    assert batch == [classifier.classify([text])[0] for text in texts]
    assert classifier.classify([]) == []


def test_hate_hits_carry_target_groups_and_the_classifier_name(classifier: NgramClassifier) -> None:
    lang, text = CLEAR["hate_en"]
    [hits] = classifier.classify([ItemText(text, lang)])
    hit = hits[HATE]
    assert hit.classifier == f"ngram/{classifier.version}"
    assert hit.labels, "a targeted group"
    assert set(hit.labels) <= set(TARGETS)
    assert all(score >= classifier.settings.target_min for score in hit.labels.values())
    assert sum(hit.labels.values()) <= 1.0 + 1e-6
    assert list(hit.labels.values()) == sorted(hit.labels.values(), reverse=True)


def test_offensive_hits_have_no_target_labels(classifier: NgramClassifier) -> None:
    lang, text = CLEAR["abuse_en"]
    [hits] = classifier.classify([ItemText(text, lang)])
    assert hits[OFFENSIVE].labels == {}
    assert hits[OFFENSIVE].classifier.startswith("ngram/")


def test_only_hate_speech_is_reported_by_default(classifier: NgramClassifier) -> None:
    default = NgramClassifier.from_config({}, categories(), Path("classifiers.yaml"))
    texts = [ItemText(text, lang) for lang, text in CLEAR.values()]
    assert all(set(hits) <= {HATE} for hits in default.classify(texts))
    assert any(OFFENSIVE in hits for hits in classifier.classify(texts))
    assert [hits.get(HATE) for hits in default.classify(texts)] == [
        hits.get(HATE) for hits in classifier.classify(texts)]


def test_threshold_decides_what_is_reported(classifier: NgramClassifier) -> None:
    strict = NgramClassifier(classifier.model, NgramSettings.model_validate(
        {"threshold": 1.0, "categories": [HATE, OFFENSIVE]}))
    assert strict.classify([ItemText(text, lang) for lang, text in CLEAR.values()]) == [{}] * len(CLEAR)


@pytest.mark.parametrize(("config", "key"), [
    ({"treshold": 0.5}, "treshold"),
    ({"threshold": 2}, "threshold"),
    ({"max_chars": 3}, "max_chars"),
    ({"categories": ["violence_report"]}, "categories.0"),
])
def test_bad_settings_name_the_key(config: dict[str, Any], key: str) -> None:
    with pytest.raises(ClassifierConfigError, match=rf"classifiers\.yaml: key 'classifiers\.ngram\.{key}'"):
        NgramClassifier.from_config(config, categories(), Path("classifiers.yaml"))


def test_a_missing_model_is_a_config_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ClassifierConfigError, match=r"classifier 'ngram': .*absent/model\.npz"):
        NgramClassifier.from_config({"model": str(tmp_path / "absent")}, categories(), Path("c.yaml"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(alphabet=st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF)),
                max_size=8),
       st.sampled_from(["en", "fr", "ar", "und", "", "xx-YY"]))
def test_hostile_strings_never_raise(classifier: NgramClassifier, texts: list[str], lang: str) -> None:
    results = classifier.classify([ItemText(text, lang) for text in texts])
    assert len(results) == len(texts)
    for hits in results:
        for hit in hits.values():
            assert 0.0 <= hit.score <= 1.0


def test_very_long_and_odd_texts_score(classifier: NgramClassifier) -> None:
    texts = ["x" * 100_000, "\x00" * 50, "\ud800\udfff", "🙂" * 3000, "\u0640" * 10, "\u064b\u064c"]
    assert len(classifier.classify([ItemText(text, "und") for text in texts])) == len(texts)


# -- data mapping ----------------------------------------------------------------


@pytest.mark.parametrize(("sentiment", "label"), [
    ("hateful", HATE), ("offensive_hateful", HATE), ("hateful_normal", HATE),
    ("abusive", OFFENSIVE), ("disrespectful_normal", OFFENSIVE), ("fearful_offensive", OFFENSIVE),
    ("normal", "neither"), ("fearful", "neither"), ("fearful_normal", "neither"),
])
def test_mlma_sentiment_mapping(sentiment: str, label: str) -> None:
    assert mlma_label(sentiment) == label


def test_unknown_mlma_sentiment_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown part"):
        mlma_label("angry")


def test_davidson_classes() -> None:
    assert [davidson_label(value) for value in "012"] == [HATE, OFFENSIVE, "neither"]


def test_split_is_by_normalised_text() -> None:
    assert split_of("@alice You are GREAT https://t.co/1") == split_of("@bob you are great http://x.y/2")


# -- training ---------------------------------------------------------------------


TINY_HATE = [
    ("en", "all {g} are vermin and must be exterminated", "origin"),
    ("en", "{g} are filthy animals, kill every one of them", "origin"),
    ("fr", "les {g} sont de la vermine, il faut les exterminer", "origin"),
    ("fr", "tous les {g} sont des animaux sales, tuez les", "origin"),
]
TINY_OFFENSIVE = [
    ("en", "shut up you stupid idiot {g}", None),
    ("en", "what a moron, you {g} clown", None),
    ("fr", "ferme ta gueule espece d'imbecile {g}", None),
    ("fr", "quel abruti ce {g} de clown", None),
]
TINY_NEITHER = [
    ("en", "the {g} festival opens in the park on sunday", None),
    ("en", "lovely weather for a walk with the {g} today", None),
    ("fr", "le festival {g} ouvre au parc dimanche", None),
    ("fr", "beau temps pour une promenade avec les {g} aujourd'hui", None),
]
FILLERS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"]


def tiny_examples(fillers: list[str]) -> list[Example]:
    examples = []
    for label, templates in ((HATE, TINY_HATE), (OFFENSIVE, TINY_OFFENSIVE), ("neither", TINY_NEITHER)):
        for lang, template, target in templates:
            for filler in fillers:
                examples.append(Example(template.format(g=filler), lang, "tiny", label, target))
    return examples


@needs_torch
def test_training_a_tiny_model_separates_obvious_cases(tmp_path: Path) -> None:
    from processors.training.train_first_stage import TrainConfig, build

    parts = {"train": tiny_examples(FILLERS[:6]), "calibration": tiny_examples(FILLERS[6:8]),
             "test": tiny_examples(FILLERS[8:])}
    result = build(parts, Features(buckets_log2=12, min_n=1, max_n=4),
                   TrainConfig(epochs=30, batch_size=8, learning_rate=0.1), version="tiny")
    result.model.save(tmp_path)
    model = NgramModel.load(tmp_path)
    assert {"en", "fr", POOLED} <= set(model.calibration)
    texts = ["all kilo are vermin and must be exterminated", "shut up you stupid idiot kilo",
             "the kilo festival opens in the park on sunday",
             "les kilo sont de la vermine, il faut les exterminer"]
    prediction = model.predict(texts, ["en", "en", "en", "fr"])
    assert prediction.hate[0] > 0.5 and prediction.hate[3] > 0.5
    assert prediction.offensive[1] > 0.5
    assert prediction.hate[2] < 0.5 and prediction.offensive[2] < 0.5
    assert TARGETS[int(prediction.targets[0].argmax())] == "origin"
    assert result.metrics["test"]["all"][HATE]["f1"] > 0.9


@needs_torch
def test_training_is_reproducible() -> None:
    from processors.training.train_first_stage import TrainConfig, train_weights

    examples = tiny_examples(FILLERS[:3])
    features = Features(buckets_log2=10, min_n=1, max_n=3)
    config = TrainConfig(epochs=2, batch_size=4)
    first, first_bias = train_weights(examples, features, config)
    second, second_bias = train_weights(examples, features, config)
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(first_bias, second_bias)
