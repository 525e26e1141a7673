from __future__ import annotations

import importlib
import importlib.util
import inspect
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from processors.categories import KeywordCategories
from processors.classifiers import Classifier, ClassifierConfigError, ItemText, build_classifiers
from processors.classifiers.keywords import KeywordClassifier
from processors.classifiers.registry import available, register
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
    with pytest.raises(ClassifierConfigError, match="unknown classifier 'bert'"):
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


def test_default_path_does_not_import_torch() -> None:
    script = (
        "import sys\n"
        "from processors.categories import load_categories\n"
        "from processors.classifiers import build_classifiers\n"
        "import processors.enrich\n"
        "build_classifiers(['keywords'], load_categories('config/categories.yaml'))\n"
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


@pytest.mark.skipif(HAS_TORCH, reason="torch and transformers are installed")
def test_transformers_without_torch_says_what_to_install() -> None:
    settings = {"model": "m", "labels": {"VIOLENCE": "violence_report"}}
    with pytest.raises(ClassifierConfigError, match="pip install transformers torch"):
        build_classifiers(["transformers"], categories_with({"transformers": settings}))


@pytest.mark.skipif(not HAS_TORCH, reason="needs torch and transformers")
def test_transformers_missing_model_is_a_config_error(tmp_path: Path) -> None:
    settings = {"model": str(tmp_path / "no-model"), "labels": {"VIOLENCE": "violence_report"}}
    with pytest.raises(ClassifierConfigError, match="cannot load model"):
        build_classifiers(["transformers"], categories_with({"transformers": settings}))


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny BERT classifier trained here on sentences this test writes."""
    if not HAS_TORCH:
        pytest.skip("needs torch and transformers")
    import torch

    library: Any = importlib.import_module("transformers")   # Any: its lazy exports defeat mypy
    BertConfig, BertTokenizerFast = library.BertConfig, library.BertTokenizerFast
    BertForSequenceClassification = library.BertForSequenceClassification

    directory = tmp_path_factory.mktemp("tiny-model")
    violent = ["gunmen killed villagers", "militia attacked the village", "soldiers shot civilians dead",
               "rebels burned homes and killed people"]
    calm = ["the market opened today", "farmers planted maize", "the school reopened",
            "rain fell on the hills"]
    words = sorted({word for sentence in violent + calm for word in sentence.split()})
    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]
    if "vocab" in inspect.signature(BertTokenizerFast.__init__).parameters:   # transformers 5
        tokenizer = BertTokenizerFast(vocab={token: i for i, token in enumerate(tokens)})
    else:                                                                      # transformers 4
        vocab = directory / "vocab.txt"
        vocab.write_text("\n".join(tokens), encoding="utf-8")
        tokenizer = BertTokenizerFast(vocab_file=str(vocab))
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=16, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=32, max_position_embeddings=64,
                        num_labels=2, id2label={0: "CALM", 1: "VIOLENCE"},
                        label2id={"CALM": 0, "VIOLENCE": 1})
    torch.manual_seed(0)
    model = BertForSequenceClassification(config)
    batch = tokenizer(violent + calm, padding=True, return_tensors="pt")
    labels = torch.tensor([1] * len(violent) + [0] * len(calm))
    optimiser = torch.optim.AdamW(model.parameters(), lr=5e-3)
    model.train()
    for _ in range(60):
        optimiser.zero_grad()
        model(**batch, labels=labels).loss.backward()
        optimiser.step()
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def test_transformers_classifies_in_batches_with_label_mapping(tiny_model: Path) -> None:
    settings = {"model": str(tiny_model), "labels": {"VIOLENCE": "violence_report"}, "threshold": 0.7,
                "batch_size": 2}
    [classifier] = build_classifiers(["transformers"], categories_with({"transformers": settings}))
    results = classifier.classify([ItemText("gunmen killed villagers", "en"),
                                   ItemText("the market opened today", "en"),
                                   ItemText("", "en")])
    assert len(results) == 3
    hit = results[0]["violence_report"]
    assert hit.score >= 0.7
    assert hit.classifier == f"transformers/{tiny_model.name}"
    assert results[1] == {}


def test_transformers_unknown_model_label_is_a_config_error(tiny_model: Path) -> None:
    settings = {"model": str(tiny_model), "labels": {"HATE": "hate_speech"}}
    with pytest.raises(ClassifierConfigError, match=r"labels\.HATE.*has no such label"):
        build_classifiers(["transformers"], categories_with({"transformers": settings}))


def test_keyword_classifier_wraps_categories() -> None:
    classifier = KeywordClassifier(categories_with({}))
    assert classifier.classify([]) == []
