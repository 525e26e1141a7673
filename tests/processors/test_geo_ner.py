"""The optional NER path: a tiny token classifier built here proposes mentions, the gazetteer resolves."""

from __future__ import annotations

import copy
import importlib
import importlib.util
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from processors.geo.config import NerSettings, PlacesConfigError, load_places_config
from processors.geo.gazetteer import Gazetteer, LocateRequest
from processors.geo.ner import NerProposer, Proposal
from tests.processors.conftest import REPO

HAS_TORCH = all(importlib.util.find_spec(name) is not None
                for name in ("torch", "transformers", "tokenizers"))
LABELS = ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]
PLACES = ["goma", "kharkiv", "khartoum", "bunia", "mosul", "el fasher", "port sudan", "aleppo"]
PEOPLE = ["ahmed", "maria", "john smith", "fatima"]
TEMPLATES = ["fighting in {p} today", "{p} was shelled overnight", "refugees fled {p} on monday",
             "{n} said the army left {p}", "{n} arrived yesterday", "the market in {p} reopened"]


def sentences() -> list[tuple[list[str], list[str]]]:
    """Word-labelled training sentences: every template with every place and person."""
    out: list[tuple[list[str], list[str]]] = []
    for template in TEMPLATES:
        for place in PLACES:
            for person in PEOPLE[: 2 if "{n}" in template else 1]:
                words, labels = [], []
                for token in template.split():
                    if token in ("{p}", "{n}"):
                        value, tag = (place, "LOC") if token == "{p}" else (person, "PER")
                        for i, word in enumerate(value.split()):
                            words.append(word)
                            labels.append(("B-" if i == 0 else "I-") + tag)
                    else:
                        words.append(token)
                        labels.append("O")
                out.append((words, labels))
    return out


@pytest.fixture(scope="module")
def tiny_ner(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny BERT token classifier and a WordPiece tokenizer, both trained here on sentences written here."""
    if not HAS_TORCH:
        pytest.skip("needs torch, transformers and tokenizers")
    import torch
    from tokenizers import BertWordPieceTokenizer

    library: Any = importlib.import_module("transformers")   # Any: its lazy exports defeat mypy
    directory = tmp_path_factory.mktemp("tiny-ner")
    data = sentences()
    wordpiece = BertWordPieceTokenizer(lowercase=True)
    wordpiece.train_from_iterator([" ".join(words) for words, _ in data], vocab_size=200, min_frequency=1,
                                  show_progress=False)
    tokenizer = library.PreTrainedTokenizerFast(
        tokenizer_object=wordpiece._tokenizer, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
        sep_token="[SEP]", mask_token="[MASK]", model_max_length=64)
    config = library.BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=1,
                                num_attention_heads=2, intermediate_size=64, max_position_embeddings=64,
                                num_labels=len(LABELS), id2label=dict(enumerate(LABELS)),
                                label2id={label: i for i, label in enumerate(LABELS)})
    torch.manual_seed(0)
    random.seed(0)
    model = library.BertForTokenClassification(config)
    encoded = tokenizer([words for words, _ in data], is_split_into_words=True, padding=True,
                        return_tensors="pt")
    targets = torch.full(encoded["input_ids"].shape, -100)
    for row, (_words, labels) in enumerate(data):
        previous = None
        for column, word in enumerate(encoded.word_ids(row)):
            if word is not None:
                label = labels[word]
                if word == previous and label.startswith("B-"):
                    label = "I-" + label[2:]
                targets[row, column] = LABELS.index(label)
            previous = word
    optimiser = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(150):
        optimiser.zero_grad()
        model(**encoded, labels=targets).loss.backward()
        optimiser.step()
    model.eval()
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


@pytest.fixture(scope="module")
def proposer(tiny_ner: Path) -> NerProposer:
    return NerProposer.from_settings(NerSettings(model=str(tiny_ner), labels=["LOC"], batch_size=2))


def test_the_model_loads_and_proposes_places_in_batches(proposer: NerProposer) -> None:
    texts = ["fighting in goma today", "ahmed arrived yesterday", "", "refugees fled el fasher on monday"]
    results = proposer.propose(texts)
    assert len(results) == 4
    assert [texts[0][p.start:p.end] for p in results[0]] == ["goma"]
    assert results[1] == [] and results[2] == []                 # a person is not a place; empty is nothing
    assert [texts[3][p.start:p.end] for p in results[3]] == ["el fasher"]
    assert all(p.label == "LOC" and 0.5 <= p.score <= 1.0 for p in results[0] + results[3])


def test_proposed_mentions_are_resolved_by_the_gazetteer(gazetteer: Gazetteer,
                                                          proposer: NerProposer) -> None:
    with_ner = copy.copy(gazetteer)
    with_ner.ner = proposer
    text = "fighting in goma today"      # lower case: the matcher alone takes no place here
    assert gazetteer.locate(text).places == []
    location = with_ner.locate(text)
    [place] = location.places
    facts = (place.source, place.kind, place.name, place.country, place.admin1)
    assert facts == ("ner", "city", "Goma", "CD", "CD-NK")
    assert (place.start, place.end, place.matched) == (12, 16, "goma")
    assert place.confidence is not None and 0.5 <= place.confidence <= 1.0
    assert (location.country, location.city) == ("CD", "Goma")


def test_locate_many_runs_the_model_once_per_batch(gazetteer: Gazetteer, proposer: NerProposer) -> None:
    calls: list[int] = []

    class Counting:
        def propose(self, texts: list[str]) -> list[list[Proposal]]:
            calls.append(len(texts))
            return proposer.propose(texts)

    with_ner = copy.copy(gazetteer)
    with_ner.ner = Counting()  # type: ignore[assignment]
    texts = ["fighting in kharkiv today", "mosul was shelled overnight", "ahmed arrived yesterday"]
    locations = with_ner.locate_many([LocateRequest(t) for t in texts])
    assert calls == [3]
    assert [location.city for location in locations] == ["Kharkiv", "Mosul", None]
    assert all(p.source == "ner" for location in locations for p in location.places)


def test_a_span_without_a_gazetteer_name_is_dropped(gazetteer: Gazetteer) -> None:
    text = "rain fell on nowhereland and goma"
    location = gazetteer.locate(text, proposals=[Proposal(13, 24, "LOC", 0.99), Proposal(29, 33, "LOC", 0.8)])
    assert [(p.name, p.source, p.confidence) for p in location.places] == [("Goma", "ner", 0.8)]


def test_the_gazetteer_is_never_pickled_with_its_model(gazetteer: Gazetteer, proposer: NerProposer) -> None:
    import pickle

    with_ner = copy.copy(gazetteer)
    with_ner.ner = proposer
    assert with_ner.__getstate__()["ner"] is None
    assert pickle.loads(pickle.dumps(Gazetteer.__new__(Gazetteer))) is not None


def test_config_file_names_the_model(tmp_path: Path, tiny_ner: Path) -> None:
    path = tmp_path / "places.yaml"
    path.write_text(f"ner:\n  model: {tiny_ner}\n  labels: [LOC]\n  batch_size: 4\n", encoding="utf-8")
    config = load_places_config(path)
    assert (config.ner.model, config.ner.labels, config.ner.batch_size) == (str(tiny_ner), ["LOC"], 4)


@pytest.mark.parametrize(("yaml", "key"), [
    ("ner:\n  modle: x\n", "ner.modle"),
    ("ner:\n  batch_size: 0\n", "ner.batch_size"),
    ("nre: {}\n", "nre"),
])
def test_config_errors_name_the_file_and_key(tmp_path: Path, yaml: str, key: str) -> None:
    path = tmp_path / "places.yaml"
    path.write_text(yaml, encoding="utf-8")
    with pytest.raises(PlacesConfigError, match=rf"places\.yaml: key '{key}'"):
        load_places_config(path)


def test_the_shipped_config_has_no_model() -> None:
    config = load_places_config()
    assert config.ner.model is None and config.ner.labels == ["LOC", "GPE"]


@pytest.mark.skipif(not HAS_TORCH, reason="needs torch and transformers")
def test_an_unloadable_model_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(PlacesConfigError, match=r"ner\.model.*cannot load model"):
        NerProposer.from_settings(NerSettings(model=str(tmp_path / "none")), "places.yaml")


def test_the_default_path_does_not_import_torch() -> None:
    script = ("import sys\n"
              "from processors.geo.shared import shared_gazetteer\n"
              "shared_gazetteer().locate('Fighting in Goma')\n"
              "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"
