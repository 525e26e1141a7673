"""The classification cascade: stage logic (pure), its config file, and the whole path to the archive."""

from __future__ import annotations

import importlib.util
import logging
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from processors.archive import Archive
from processors.categories import KeywordCategories
from processors.classifiers import ClassifierConfigError, ItemText, register
from processors.classifiers.cascade import Cascade, build_cascade, load_classifier_file, merge
from processors.enrich import Enricher
from processors.geo.gazetteer import Gazetteer
from processors.language import LanguageIdentifier
from processors.pipeline import BatchProcessor, RawMessage
from tests.processors import tiny_models
from tocsin.schema import CategoryHit, Item, SourceRef
from tocsin.search import search_client
from tocsin.settings import ProcessingSettings, SearchSettings, Settings

HAS_TORCH = all(importlib.util.find_spec(name) is not None for name in ("torch", "transformers"))


class Scripted:
    """A classifier whose hits are written per text; records what it was asked."""

    def __init__(self, name: str, script: Mapping[str, dict[str, CategoryHit]],
                 categories: Sequence[str] | None = None) -> None:
        self.name, self.version = name, "1"
        self.script = script
        self.seen: list[str] = []
        if categories is not None:
            self.categories = frozenset(categories)

    def classify(self, texts: Sequence[ItemText]) -> list[dict[str, CategoryHit]]:
        self.seen += [text.text for text in texts]
        return [dict(self.script.get(text.text, {})) for text in texts]


def hit(score: float, classifier: str, terms: Sequence[str] = (), **extra: Any) -> CategoryHit:
    return CategoryHit(score=score, classifier=classifier, terms=list(terms), **extra)


FIRST = {
    "massacre report": {"violence_report": hit(0.6, "keywords/1", ["massacre"])},
    "faint violence": {"violence_report": hit(0.15, "ngram/1")},
    "slur": {"hate_speech": hit(0.25, "ngram/1", ["vermin"])},
    "nothing": {},
}


def rescorer(script: Mapping[str, dict[str, CategoryHit]] | None = None,
             categories: Sequence[str] = ("violence_report", "hate_speech")) -> Scripted:
    return Scripted("deep", script or {}, categories)


def run(cascade: Cascade, *sentences: str) -> list[dict[str, CategoryHit]]:
    return cascade.classify([ItemText(sentence, "en") for sentence in sentences])


def test_second_stage_sees_only_items_whose_first_stage_score_reaches_the_threshold() -> None:
    second = rescorer()
    run(Cascade([Scripted("kw", FIRST)], [second], threshold=0.2), *FIRST)
    assert second.seen == ["massacre report", "slur"]


def test_category_thresholds_override_the_default() -> None:
    second = rescorer()
    run(Cascade([Scripted("kw", FIRST)], [second], threshold=0.2,
                category_thresholds={"violence_report": 0.1, "hate_speech": 0.5}), *FIRST)
    assert second.seen == ["massacre report", "faint violence"]


def test_second_stage_score_replaces_the_first_and_keeps_its_terms() -> None:
    second = rescorer({"massacre report": {"violence_report": hit(
        0.93, "transformers/xlmr", labels={"killing": 0.9}, flags=["mass-casualty"])}})
    [result] = run(Cascade([Scripted("kw", FIRST)], [second]), "massacre report")
    assert result["violence_report"] == hit(0.93, "transformers/xlmr", ["massacre"], labels={"killing": 0.9},
                                            flags=["mass-casualty"])


def test_a_category_the_second_stage_does_not_confirm_is_dropped() -> None:
    [result] = run(Cascade([Scripted("kw", FIRST)], [rescorer()]), "massacre report")
    assert result == {}


def test_categories_the_second_stage_was_not_asked_about_are_left_alone() -> None:
    # sent for hate speech only; the second stage's violence verdict is not asked for
    second = rescorer({"slur": {"hate_speech": hit(0.8, "deep/1"), "violence_report": hit(0.9, "deep/1")}})
    [result] = run(Cascade([Scripted("kw", FIRST)], [second]), "slur")
    assert set(result) == {"hate_speech"}
    assert result["hate_speech"].terms == ["vermin"] and result["hate_speech"].classifier == "deep/1"


def test_a_second_stage_is_only_asked_about_its_own_categories() -> None:
    violence_only = rescorer(categories=["violence_report"])
    [slur] = run(Cascade([Scripted("kw", FIRST)], [violence_only]), "slur")
    assert violence_only.seen == [] and slur["hate_speech"].classifier == "ngram/1"


def test_later_second_stage_classifiers_score_last() -> None:
    first = rescorer({"massacre report": {"violence_report": hit(0.7, "transformers/a")}})
    last = Scripted("zeroshot", {"massacre report": {"violence_report": hit(0.8, "zeroshot/b")}},
                    ["violence_report"])
    [result] = run(Cascade([Scripted("kw", FIRST)], [first, last]), "massacre report")
    assert result["violence_report"].classifier == "zeroshot/b"


def test_without_a_first_stage_the_second_scores_every_item() -> None:
    second = rescorer({"nothing": {"hate_speech": hit(0.7, "deep/1")}})
    results = run(Cascade([], [second]), *FIRST)
    assert second.seen == list(FIRST)
    assert results[3] == {"hate_speech": hit(0.7, "deep/1")}


def test_without_a_second_stage_the_first_decides() -> None:
    results = run(Cascade([Scripted("kw", FIRST)], []), *FIRST)
    assert results == list(FIRST.values())


def test_first_stage_classifiers_merge_keeping_the_best_score() -> None:
    stronger = Scripted("ngram", {"massacre report": {"violence_report": hit(0.9, "ngram/1")}})
    [result] = run(Cascade([Scripted("kw", FIRST), stronger], []), "massacre report")
    assert result["violence_report"].classifier == "ngram/1"


def test_threshold_zero_sends_everything() -> None:
    second = rescorer()
    run(Cascade([Scripted("kw", FIRST)], [second], threshold=0.0), *FIRST)
    assert second.seen == list(FIRST)


def test_both_stages_off_is_an_error() -> None:
    with pytest.raises(ClassifierConfigError, match="both cascade stages are off"):
        Cascade([], [])


def test_stats_count_items_and_escalations() -> None:
    cascade = Cascade([Scripted("kw", FIRST)], [rescorer()])
    run(cascade, *FIRST)
    run(cascade, "slur")
    assert cascade.stats == {"items": 5, "to deep": 3}


def test_merge_without_a_first_stage_hit_is_the_second_stage_hit() -> None:
    assert merge(None, hit(0.5, "a/1")) == hit(0.5, "a/1")
    assert merge(hit(0.5, "a/1"), None) is None


# --- the config file ---------------------------------------------------------------------------

CATEGORIES = {
    "violence_report": {"min_score": 2, "terms": {"en": {"killed": 1, "gunmen": 1}}},
    "hate_speech": {"min_score": 1, "terms": {"en": {"vermin": 1}}},
}


def categories(classifiers: dict[str, Any] | None = None) -> KeywordCategories:
    return KeywordCategories.compile({"categories": CATEGORIES, "classifiers": classifiers or {}},
                                     "cats.yaml")


def write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "classifiers.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def cascade_of(tmp_path: Path, data: Any, cats: KeywordCategories | None = None, **settings: Any) -> Cascade:
    return build_cascade(ProcessingSettings(classifiers_file=write(tmp_path, data), **settings),
                         cats or categories())


class Rescoring:
    """A registered second-stage plug-in that needs no model."""

    name, version = "rescoring", "1"
    categories = frozenset({"violence_report"})

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = dict(config)

    def classify(self, texts: Sequence[ItemText]) -> list[dict[str, CategoryHit]]:
        return [{"violence_report": hit(float(self.config.get("score", 0.9)), "rescoring/1")} for _ in texts]


class Broken:
    name, version = "broken", "1"

    @classmethod
    def build(cls, config: Mapping[str, Any], cats: KeywordCategories, source: Path) -> Broken:
        raise ClassifierConfigError(f"{source}: key 'classifiers.broken.model': no model at /nowhere")

    def classify(self, texts: Sequence[ItemText]) -> list[dict[str, CategoryHit]]:
        return [{} for _ in texts]


register("rescoring", lambda config, cats, source: Rescoring(config))
register("broken", Broken.build)
register("flat", lambda config, cats, source: Scripted("flat", {}))   # no 'categories'


def test_the_shipped_file_builds_keywords_and_gate_then_the_encoder() -> None:
    spec = load_classifier_file(ProcessingSettings().classifiers_file)
    assert spec.cascade.first_stage == ["keywords", "gate"] and spec.cascade.second_stage == ["encoder"]
    cascade = build_cascade(ProcessingSettings(), categories())
    assert [classifier.name for classifier in cascade.first] == ["keywords", "gate"]
    assert [classifier.name for classifier in cascade.second] == ["encoder"]


def test_stages_thresholds_and_plugin_settings_come_from_the_file(tmp_path: Path) -> None:
    cascade = cascade_of(tmp_path, {
        "version": 1,
        "cascade": {"first_stage": ["keywords"], "second_stage": ["rescoring"], "threshold": 0.3,
                    "category_thresholds": {"hate_speech": 0.6}},
        "classifiers": {"rescoring": {"score": 0.75}},
    })
    assert [c.name for c in cascade.first] == ["keywords"]
    assert [c.name for c in cascade.second] == ["rescoring"]
    assert (cascade.threshold, cascade.category_thresholds) == (0.3, {"hate_speech": 0.6})
    [gunmen, calm] = run(cascade, "gunmen killed two", "a calm day")
    assert gunmen["violence_report"] == hit(0.75, "rescoring/1", ["killed", "gunmen"])
    assert calm == {}


@pytest.mark.parametrize(("data", "key"), [
    ({"cascades": {}}, "cascades"),
    ({"cascade": {"treshold": 0.2}}, "cascade.treshold"),
    ({"cascade": {"threshold": 2}}, "cascade.threshold"),
    ({"version": 2}, "version"),
    ({"cascade": {"second_stage": ["bert"]}}, "cascade.second_stage.0"),
    ({"cascade": {"first_stage": ["keywords", "bert"]}}, "cascade.first_stage.1"),
    ({"cascade": {"category_thresholds": {"riots": 0.2}}}, "cascade.category_thresholds.riots"),
    # a first-stage score is in [0, 1]: 1.5 would silently never escalate the category
    ({"cascade": {"category_thresholds": {"hate_speech": 1.5}}}, "cascade.category_thresholds.hate_speech"),
    ({"cascade": {"category_thresholds": {"hate_speech": -0.1}}}, "cascade.category_thresholds.hate_speech"),
    ({"cascade": {"second_stage": ["keywords"]}}, "cascade.second_stage"),
    ({"cascade": {"second_stage": ["flat"]}}, "cascade.second_stage.0"),
    ({"classifiers": {"transformer": {"model": "x"}}}, "classifiers.transformer"),
    ({"classifiers": {"keywords": {"threshold": 1}}}, "classifiers.keywords.threshold"),
])
def test_mistakes_name_the_file_and_the_key(tmp_path: Path, data: dict[str, Any], key: str) -> None:
    with pytest.raises(ClassifierConfigError, match=rf"classifiers\.yaml: key '{key}'"):
        cascade_of(tmp_path, data)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ClassifierConfigError, match=r"nowhere\.yaml: cannot read"):
        build_cascade(ProcessingSettings(classifiers_file=tmp_path / "nowhere.yaml"), categories())


def test_an_optional_plugin_that_is_not_installed_is_left_out(tmp_path: Path) -> None:
    cascade = cascade_of(tmp_path, {"cascade": {"first_stage": ["keywords", "not-installed"],
                                                "optional": ["not-installed"]},
                                    "classifiers": {"not-installed": {"model": "x"}}})
    assert [c.name for c in cascade.first] == ["keywords"]


def test_an_optional_plugin_that_cannot_be_built_is_left_out_with_a_warning(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        cascade = cascade_of(tmp_path, {"cascade": {"first_stage": ["keywords", "broken"],
                                                    "optional": ["broken"]}})
    assert [c.name for c in cascade.first] == ["keywords"]
    assert "no model at /nowhere" in caplog.text


def test_a_plugin_that_cannot_be_built_stops_the_start(tmp_path: Path) -> None:
    with pytest.raises(ClassifierConfigError, match="no model at /nowhere"):
        cascade_of(tmp_path, {"cascade": {"first_stage": ["keywords", "broken"]}})


def test_a_first_stage_left_entirely_out_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ClassifierConfigError, match="every classifier in it was left out"):
        cascade_of(tmp_path, {"cascade": {"first_stage": ["broken"], "optional": ["broken"],
                                          "second_stage": ["rescoring"]}})


def test_the_environment_switches_stages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, {"cascade": {"first_stage": ["keywords"], "second_stage": ["rescoring"]}})
    monkeypatch.setenv("TOCSIN_PROCESSING__CLASSIFIERS_FILE", str(path))
    monkeypatch.setenv("TOCSIN_PROCESSING__SECOND_STAGE", "[]")
    cascade = build_cascade(Settings().processing, categories())
    assert [c.name for c in cascade.first] == ["keywords"] and cascade.second == []
    monkeypatch.setenv("TOCSIN_PROCESSING__CLASSIFIERS", "[]")
    monkeypatch.delenv("TOCSIN_PROCESSING__SECOND_STAGE")
    cascade = build_cascade(Settings().processing, categories())
    assert cascade.first == [] and [c.name for c in cascade.second] == ["rescoring"]


def test_settings_left_in_the_category_file_still_count(tmp_path: Path) -> None:
    cascade = cascade_of(tmp_path, {"cascade": {"second_stage": ["rescoring"]}},
                         categories({"rescoring": {"score": 0.66}}))
    assert run(cascade, "gunmen killed two")[0]["violence_report"].score == 0.66


def test_settings_in_both_files_are_an_error(tmp_path: Path) -> None:
    with pytest.raises(ClassifierConfigError,
                       match=r"cats\.yaml: key 'classifiers\.rescoring'.*keep them only"):
        cascade_of(tmp_path, {"cascade": {"second_stage": ["rescoring"]},
                              "classifiers": {"rescoring": {"score": 0.5}}},
                   categories({"rescoring": {"score": 0.66}}))


# --- the whole path: cascade with tiny local models → pipeline → archive -----------------------

def transformer_stage_file(tmp_path: Path) -> Path:
    return write(tmp_path, {
        "version": 1,
        "cascade": {"first_stage": ["keywords"], "second_stage": ["transformers", "zeroshot"],
                    "threshold": 0.2},
        "classifiers": {
            "transformers": {
                "model": str(tiny_models.sequence_model()), "batch_size": 2, "max_length": 64,
                "labels": {"violence": "violence_report",
                           "hate_religion": {"category": "hate_speech", "label": "religion"},
                           "hate_origin": {"category": "hate_speech", "label": "origin"}},
            },
            "zeroshot": {
                "model": str(tiny_models.nli_model()), "batch_size": 8, "max_length": 64,
                "categories": {"violence_report": {
                    "hypothesis": tiny_models.VIOLENCE_HYPOTHESIS,
                    "against": [tiny_models.OPINION_HYPOTHESIS, tiny_models.FICTION_HYPOTHESIS],
                    "template": tiny_models.TEMPLATE, "labels": tiny_models.SUBTYPES,
                }},
            },
        },
    })


def raw_item(item_id: str, text: str) -> Item:
    when = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    return Item(id=item_id, source=SourceRef(type="rss", name="wire"), url=f"https://news.example.org/{item_id}",
                title="", text=text, published=when, collected=when, lang_hint="en",
                raw_sha256="a" * 64, content_sha256=uuid.uuid4().hex * 2)


@pytest.mark.peers
async def test_cascade_with_tiny_models_scores_what_the_archive_keeps(
        tmp_path: Path, search_settings: SearchSettings, categories_file_categories: KeywordCategories,
        identifier: LanguageIdentifier, gazetteer: Gazetteer) -> None:
    if not HAS_TORCH:
        pytest.skip("needs torch and transformers")
    settings = ProcessingSettings(classifiers_file=transformer_stage_file(tmp_path))
    cascade = build_cascade(settings, categories_file_categories)
    enricher = Enricher(categories=categories_file_categories, classifiers=[cascade], language=identifier,
                        gazetteer=gazetteer)
    es = search_client(search_settings)
    archive = Archive(es, f"test-cascade-{uuid.uuid4().hex[:8]}")

    async def send(topic: str, key: bytes, value: bytes, timestamp: float | None) -> None:
        return None

    try:
        await archive.install()
        processor = BatchProcessor(enricher, archive, send, max_item_bytes=64 * 1024)
        items = {
            "report": "Gunmen killed 12 villagers in Darfur, Sudan.",     # keywords → both models confirm
            "hate": "Muslims are vermin, exterminate them all.",            # keywords → hate model confirms
            # keywords hit; the sequence model agrees, the NLI model (which scores last) does not
            "opinion": "I think gunmen killed nobody; in my opinion the war must end.",
            "calm": "Farmers began the harvest in Gezira, Sudan.",          # no keyword: never escalated
        }
        batch = [RawMessage(raw_item(i, text).to_bytes()) for i, text in items.items()]
        outcome = await processor.process(batch)
        assert [item.id for item in outcome.enriched] == list(items), [d.error for d in outcome.dead_letters]
        docs = {i: (await es.get(index=archive.index, id=i))["_source"] for i in items}
    finally:
        await es.close()

    report = docs["report"]
    assert report["categories"] == ["violence_report"]
    assert report["classifiers"] == [f"zeroshot/{tiny_models.nli_model().name}"]   # scored it last
    assert report["scores"]["violence_report"] >= 0.5
    assert max(report["labels"]["violence_report"].items(), key=lambda kv: kv[1])[0] == "killing"
    assert set(report["matched_terms"]["violence_report"]) >= {"killed", "gunmen"}

    hate = docs["hate"]
    assert hate["categories"] == ["hate_speech"]
    assert hate["classifiers"] == [f"transformers/{tiny_models.sequence_model().name}"]
    assert list(hate["labels"]["hate_speech"]) == ["religion"]
    assert "are vermin" in hate["matched_terms"]["hate_speech"]

    assert docs["opinion"]["categories"] == [] and docs["calm"]["categories"] == []
    assert cascade.stats == {"items": 4, "to transformers": 3, "to zeroshot": 2}


@pytest.fixture(scope="module")
def categories_file_categories(categories: KeywordCategories) -> KeywordCategories:
    """The shipped categories (the conftest's), which the tiny models' sentences were written against."""
    return categories


class AskedRescorer:
    """A second stage that scores categories one by one: the cascade tells it which were escalated."""

    name, version = "asked", "1"
    categories = frozenset({"violence_report", "hate_speech"})

    def __init__(self) -> None:
        self.asked: list[tuple[str, set[str]]] = []

    def classify(self, texts: Sequence[ItemText]) -> list[dict[str, CategoryHit]]:
        raise AssertionError("a plug-in with rescore() is asked through it")

    def rescore(self, texts: Sequence[ItemText], asked: Sequence[set[str]]) -> list[dict[str, CategoryHit]]:
        self.asked += [(text.text, set(categories)) for text, categories in zip(texts, asked, strict=True)]
        return [{category: hit(0.8, "asked/1") for category in categories} for categories in asked]


def test_a_rescoring_plugin_is_told_which_categories_were_escalated() -> None:
    second = AskedRescorer()
    results = run(Cascade([Scripted("kw", FIRST)], [second], threshold=0.2), "massacre report", "slur",
                  "nothing")
    assert second.asked == [("massacre report", {"violence_report"}), ("slur", {"hate_speech"})]
    assert results[0]["violence_report"].score == 0.8 and "hate_speech" not in results[0]
    assert results[2] == {}
