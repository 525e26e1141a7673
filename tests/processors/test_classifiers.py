from __future__ import annotations

import importlib.util
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from processors.categories import KeywordCategories
from processors.classifiers import Classifier, ClassifierConfigError, ItemText, build_classifiers
from processors.classifiers.keywords import KeywordClassifier
from processors.classifiers.registry import CLASSIFIERS, available, register
from tests.processors import tiny_models
from tests.processors.conftest import REPO
from tocsin.schema import CategoryHit

HAS_TORCH = all(importlib.util.find_spec(name) is not None for name in ("torch", "transformers"))


def categories_with(classifiers: dict[str, Any]) -> KeywordCategories:
    return KeywordCategories.compile({
        "categories": {
            "violence_report": {"min_score": 2, "terms": {"en": {"killed": 1, "gunmen": 1}}},
            "hate_speech": {"min_score": 1, "terms": {"en": {"vermin": 1}}},
        },
        "classifiers": classifiers,
    }, "cats.yaml")


def test_keywords_is_the_default_and_batched() -> None:
    [classifier] = build_classifiers(["keywords"], categories_with({}))
    assert isinstance(classifier, Classifier)
    assert (classifier.name, classifier.version) == ("keywords", "1")
    results = classifier.classify([ItemText("Gunmen killed two.", "en"), ItemText("Nothing.", "en")])
    assert list(results[0]) == ["violence_report"]
    assert results[1] == {}


def test_keywords_takes_no_settings() -> None:
    with pytest.raises(ClassifierConfigError, match=r"classifiers\.keywords\.threshold"):
        build_classifiers(["keywords"], categories_with({"keywords": {"threshold": 1}}))


def test_unknown_classifier_name_is_an_error() -> None:
    with pytest.raises(ClassifierConfigError, match="unknown classifier type 'bert'"):
        build_classifiers(["bert"], categories_with({}))


def test_settings_for_an_unknown_classifier_name_the_key() -> None:
    with pytest.raises(ClassifierConfigError, match=r"cats\.yaml: key 'classifiers\.transformer'"):
        build_classifiers(["keywords"], categories_with({"transformer": {"model": "x"}}))


def test_no_classifier_is_an_error() -> None:
    with pytest.raises(ClassifierConfigError):
        build_classifiers([], categories_with({}))


def test_plugins_register_by_name() -> None:
    class Always:
        name = "always"
        version = "0"

        def classify(self, texts: Any) -> list[dict[str, CategoryHit]]:
            return [{"hate_speech": CategoryHit(score=1.0, classifier="always/0")} for _ in texts]

    register("always", lambda config, categories, source: Always())
    assert "always" in available()
    [classifier] = build_classifiers(["always"], categories_with({}))
    assert classifier.classify([ItemText("x", "en")])[0]["hate_speech"].score == 1.0


ECHO_MODULE = """
from processors.classifiers.protocol import ClassifierConfigError
from tocsin.schema import CategoryHit


class EchoClassifier:
    name = "echo_plugin"
    version = "1"

    def __init__(self, score):
        self.score = score

    @classmethod
    def from_config(cls, settings, categories, source_path):
        if set(settings) - {"score"}:
            raise ClassifierConfigError(f"{source_path}: key 'classifiers.echo_plugin.{sorted(settings)[0]}'")
        return cls(settings.get("score", 0.5))

    def classify(self, texts):
        return [{"hate_speech": CategoryHit(score=self.score, classifier="echo_plugin/1")} for _ in texts]
"""


def test_a_new_module_in_the_package_is_a_plugin_without_any_registry_edit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The shape the built-ins had before they registered themselves: a class named like its
    module with ``from_config(settings, categories, source_path)``, and nothing else."""
    import processors.classifiers as package

    (tmp_path / "echo_plugin.py").write_text(ECHO_MODULE, encoding="utf-8")
    monkeypatch.setattr(package, "__path__", [*package.__path__, str(tmp_path)])
    monkeypatch.delitem(sys.modules, "processors.classifiers.echo_plugin", raising=False)
    [classifier] = build_classifiers(["echo_plugin"], categories_with({"echo_plugin": {"score": 0.7}}))
    assert classifier.classify([ItemText("x", "en")])[0]["hate_speech"].score == 0.7
    assert "echo_plugin" in available()
    with pytest.raises(ClassifierConfigError, match=r"classifiers\.echo_plugin\.scor"):
        build_classifiers(["echo_plugin"], categories_with({"echo_plugin": {"scor": 1}}))


def test_a_classifier_can_be_named_by_dotted_path() -> None:
    path = "processors.classifiers.keywords:KeywordClassifier"
    [classifier] = build_classifiers([path], categories_with({}))
    assert classifier.name == "keywords"


def test_default_path_does_not_import_torch() -> None:
    script = (
        "import sys\n"
        "from processors.categories import load_categories\n"
        "from processors.classifiers.cascade import build_cascade\n"
        "from tocsin.settings import ProcessingSettings\n"
        "import processors.enrich\n"
        "build_cascade(ProcessingSettings(), load_categories('config/categories.yaml'))\n"
        "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(("settings", "key"), [
    ({"labels": {"VIOLENCE": "violence_report"}}, "model"),
    ({"model": "m", "labels": {"VIOLENCE": "violence_report"}, "treshold": 0.5}, "treshold"),
    ({"model": "m", "labels": {"VIOLENCE": "violence_report"}, "threshold": 2}, "threshold"),
    ({"model": "m", "labels": {"VIOLENCE": "riots"}}, "labels.VIOLENCE"),
])
def test_transformers_settings_errors_name_the_key(settings: dict[str, Any], key: str) -> None:
    with pytest.raises(ClassifierConfigError, match=rf"key 'classifiers\.transformers\.{key}"):
        build_classifiers(["transformers"], categories_with({"transformers": settings}))


def test_transformers_without_torch_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # as on an install without the ml extra
    settings = {"model": "m", "labels": {"VIOLENCE": "violence_report"}}
    with pytest.raises(ClassifierConfigError, match="pip install transformers torch"):
        build_classifiers(["transformers"], categories_with({"transformers": settings}))


@pytest.mark.skipif(not HAS_TORCH, reason="needs torch and transformers")
def test_transformers_missing_model_is_a_config_error(tmp_path: Path) -> None:
    settings = {"model": str(tmp_path / "no-model"), "labels": {"VIOLENCE": "violence_report"}}
    with pytest.raises(ClassifierConfigError, match="cannot load model"):
        build_classifiers(["transformers"], categories_with({"transformers": settings}))


@pytest.fixture(scope="module")
def tiny_model() -> Path:
    """A tiny BERT classifier trained here on sentences the test helpers write (cached per session)."""
    if not HAS_TORCH:
        pytest.skip("needs torch and transformers")
    return tiny_models.sequence_model()


@pytest.fixture(scope="module")
def tiny_nli() -> Path:
    if not HAS_TORCH:
        pytest.skip("needs torch and transformers")
    return tiny_models.nli_model()


LABELS: dict[str, Any] = {
    "violence": "violence_report",
    "hate_religion": {"category": "hate_speech", "label": "religion"},
    "hate_origin": {"category": "hate_speech", "label": "origin"},
}


def transformers_with(model: Path, **settings: Any) -> Any:
    [classifier] = build_classifiers(["transformers"], categories_with(
        {"transformers": {"model": str(model), "labels": LABELS, **settings}}))
    return classifier


def texts(*sentences: str, lang: str = "en") -> list[ItemText]:
    return [ItemText(sentence, lang) for sentence in sentences]


def test_transformers_classifies_in_batches_with_label_mapping(tiny_model: Path) -> None:
    classifier = transformers_with(tiny_model, threshold=0.7, batch_size=2)
    results = classifier.classify(texts("Gunmen killed 12 villagers in Darfur, Sudan.",
                                        "Farmers began the harvest in Gezira, Sudan.", ""))
    assert len(results) == 3
    hit = results[0]["violence_report"]
    assert hit.score >= 0.7 and hit.labels == {} and hit.terms == []
    assert hit.classifier == f"transformers/{tiny_model.name}"
    assert results[1] == {}
    assert classifier.categories == {"violence_report", "hate_speech"}


def test_transformers_sums_labels_of_a_category_and_keeps_sub_labels(tiny_model: Path) -> None:
    classifier = transformers_with(tiny_model, label_threshold=0.5)
    religion, origin = classifier.classify(texts(tiny_models.HATE_RELIGION[0], tiny_models.HATE_ORIGIN[0]))
    assert list(religion["hate_speech"].labels) == ["religion"]
    assert list(origin["hate_speech"].labels) == ["origin"]
    # single-label model: the category scores the sum of its labels' probabilities
    assert religion["hate_speech"].score > religion["hate_speech"].labels["religion"]


def test_transformers_batch_size_and_order_do_not_change_scores(tiny_model: Path) -> None:
    sentences = [*tiny_models.VIOLENT, *tiny_models.CALM, *tiny_models.HATE_ORIGIN]
    one_by_one = transformers_with(tiny_model, batch_size=1, threshold=0.0).classify(texts(*sentences))
    batched = transformers_with(tiny_model, batch_size=64, threshold=0.0).classify(texts(*sentences))
    for single, many in zip(one_by_one, batched, strict=True):
        assert single.keys() == many.keys()
        for category in single:
            assert abs(single[category].score - many[category].score) < 1e-3


def test_transformers_calibrates_per_language(tiny_model: Path) -> None:
    sentence = "Gunmen killed 12 villagers in Darfur, Sudan."
    plain = transformers_with(tiny_model).classify(texts(sentence))[0]["violence_report"].score
    classifier = transformers_with(tiny_model, calibration={"fr": {"slope": 1.0, "intercept": -20.0},
                                                            "any": {"slope": 0.0, "intercept": 0.0}})
    english, french = classifier.classify([ItemText(sentence, "en"), ItemText(sentence, "fr")])
    assert english["violence_report"].score == 0.5          # 'any': slope 0 → σ(0)
    assert french == {}                                     # pushed far below the threshold
    assert plain > 0.9


def test_transformers_int8_quantisation_keeps_the_verdicts(tiny_model: Path) -> None:
    sentences = [*tiny_models.VIOLENT, *tiny_models.CALM]
    float_results = transformers_with(tiny_model).classify(texts(*sentences))
    int8 = transformers_with(tiny_model, quantize="int8")
    assert int8.version == f"{tiny_model.name}+int8"
    for plain, quantised in zip(float_results, int8.classify(texts(*sentences)), strict=True):
        assert plain.keys() == quantised.keys()
        for category in plain:
            assert abs(plain[category].score - quantised[category].score) < 0.05


HAS_ONNX = all(importlib.util.find_spec(name) is not None for name in ("onnx", "onnxruntime"))


@pytest.mark.skipif(not HAS_ONNX, reason="needs onnx and onnxruntime (the onnx extra)")
def test_transformers_onnx_runtime_matches_torch(tiny_model: Path, tmp_path: Path) -> None:
    sentences = [*tiny_models.VIOLENT, *tiny_models.CALM]
    expected = transformers_with(tiny_model, threshold=0.0).classify(texts(*sentences))
    onnx = transformers_with(tiny_model, threshold=0.0, runtime="onnx", onnx_cache=str(tmp_path))
    assert onnx.version == f"{tiny_model.name}+onnx"
    assert list(tmp_path.glob("*/model.onnx"))
    for plain, exported in zip(expected, onnx.classify(texts(*sentences)), strict=True):
        for category in plain:
            assert abs(plain[category].score - exported[category].score) < 1e-3


def test_transformers_int8_is_cpu_only(tiny_model: Path) -> None:
    with pytest.raises(ClassifierConfigError, match=r"classifiers\.transformers\.quantize.*CPU only"):
        transformers_with(tiny_model, quantize="int8", device="cuda")


def test_transformers_is_thread_safe(tiny_model: Path) -> None:
    classifier = transformers_with(tiny_model, batch_size=3, threshold=0.0)
    batch = texts(*tiny_models.VIOLENT, *tiny_models.HATE_RELIGION, *tiny_models.CALM)
    expected = [{name: hit.score for name, hit in hits.items()} for hits in classifier.classify(batch)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = list(pool.map(lambda _: [{name: hit.score for name, hit in hits.items()}
                                        for hits in classifier.classify(batch)], range(8)))
    assert all(run == expected for run in runs)


def test_transformers_unknown_model_label_is_a_config_error(tiny_model: Path) -> None:
    settings = {"model": str(tiny_model), "labels": {"HATE": "hate_speech"}}
    with pytest.raises(ClassifierConfigError, match=r"labels\.HATE.*has no such label.*hate_origin"):
        build_classifiers(["transformers"], categories_with({"transformers": settings}))


def test_transformers_hub_id_not_in_the_local_cache_is_a_config_error() -> None:
    if not HAS_TORCH:
        pytest.skip("needs torch and transformers")
    settings = {"model": "tocsin-tests/no-such-model", "labels": {"HATE": "hate_speech"}}
    with pytest.raises(ClassifierConfigError,
                       match="cannot load model 'tocsin-tests/no-such-model' from local files only"):
        build_classifiers(["transformers"], categories_with({"transformers": settings}))


ZERO_SHOT: dict[str, Any] = {
    "categories": {
        "violence_report": {
            "hypothesis": tiny_models.VIOLENCE_HYPOTHESIS,
            "against": [tiny_models.OPINION_HYPOTHESIS, tiny_models.FICTION_HYPOTHESIS],
            "template": tiny_models.TEMPLATE,
            "labels": tiny_models.SUBTYPES,
        },
    },
}


def zeroshot_with(model: Path, **settings: Any) -> Any:
    [classifier] = build_classifiers(["zeroshot"], categories_with(
        {"zeroshot": {"model": str(model), **ZERO_SHOT, **settings}}))
    return classifier


def test_zeroshot_scores_reports_and_their_subtypes(tiny_nli: Path) -> None:
    classifier = zeroshot_with(tiny_nli, batch_size=4)
    assert classifier.categories == {"violence_report"}
    reports = [(kind, premise) for kind, premises in tiny_models.REPORTS.items() for premise in premises]
    results = classifier.classify(texts(*(premise for _, premise in reports)))
    for (kind, premise), hits in zip(reports, results, strict=True):
        hit = hits["violence_report"]
        assert hit.score >= 0.5, premise
        assert max(hit.labels, key=hit.labels.__getitem__) == kind, premise
        assert hit.classifier == f"zeroshot/{tiny_nli.name}"


def test_zeroshot_opinion_fiction_and_calm_text_are_not_reports(tiny_nli: Path) -> None:
    classifier = zeroshot_with(tiny_nli)
    others = [*tiny_models.OPINIONS, *tiny_models.FICTION, *tiny_models.CALM_PREMISES]
    assert classifier.classify(texts(*others)) == [{} for _ in others]


def test_zeroshot_against_hypotheses_lower_the_score(tiny_nli: Path) -> None:
    fiction = tiny_models.FICTION[0]
    alone = zeroshot_with(tiny_nli, threshold=0.0, categories={"violence_report": {
        "hypothesis": tiny_models.VIOLENCE_HYPOTHESIS}}).classify(texts(fiction))[0]
    contrasted = zeroshot_with(tiny_nli, threshold=0.0).classify(texts(fiction))[0]
    assert contrasted["violence_report"].score <= alone["violence_report"].score


def test_zeroshot_needs_an_nli_model(tiny_model: Path) -> None:
    with pytest.raises(ClassifierConfigError, match=r"classifiers\.zeroshot\.entailment_label.*not an NLI"):
        zeroshot_with(tiny_model)


@pytest.mark.parametrize(("settings", "key"), [
    ({"categories": {"riots": {"hypothesis": "x"}}}, "categories.riots"),
    ({"categories": {"violence_report": {"hypothesis": "x", "template": "no slot"}}},
     "categories.violence_report.template"),
    ({"categories": {"violence_report": {"hypothesis": "x", "agianst": ["y"]}}},
     "categories.violence_report.agianst"),
    ({"categories": {}}, "categories"),
])
def test_zeroshot_settings_errors_name_the_key(settings: dict[str, Any], key: str) -> None:
    with pytest.raises(ClassifierConfigError, match=rf"key 'classifiers\.zeroshot\.{key}"):
        build_classifiers(["zeroshot"], categories_with({"zeroshot": {"model": "m", **settings}}))


def test_keyword_classifier_wraps_categories() -> None:
    classifier = KeywordClassifier(categories_with({}))
    assert classifier.classify([]) == []


def test_every_builtin_classifier_declares_its_config_model() -> None:
    models = {name: CLASSIFIERS.get(name).config_model for name in ("ngram", "transformers", "zeroshot")}
    assert all(model is not None and model.model_config.get("extra") == "forbid" for model in models.values())
    assert CLASSIFIERS.get("keywords").config_model is None  # takes no settings
