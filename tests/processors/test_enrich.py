from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from processors.enrich import BadItem, Enricher, decode_item
from tests.processors.conftest import CATEGORIES_FILE
from tocsin.schema import CategoryHit, EnrichedItem, Item, SourceRef
from tocsin.settings import ProcessingSettings

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def item(**fields: Any) -> Item:
    values: dict[str, Any] = {
        "id": "rss:radio-dabanga:1",
        "source": SourceRef(type="rss", name="radio-dabanga", url="https://example.org/feed"),
        "url": "https://example.org/news/1",
        "title": "Gunmen kill 12 in North Darfur village",
        "text": ("Armed men on camels attacked the village of Tawila in North Darfur on Tuesday, killing "
                 "12 people and burning dozens of homes, witnesses told Radio Dabanga. Thousands of "
                 "people were displaced to El Fasher, the state capital."),
        "collected": datetime(2026, 11, 25, 11, 0, tzinfo=UTC),
        "lang_hint": "en",
        "raw_sha256": "0" * 64,
        "content_sha256": "1" * 64,
    }
    values.update(fields)
    return Item(**values)


@pytest.fixture(scope="module")
def enricher() -> Enricher:
    return Enricher.from_settings(ProcessingSettings(categories_file=CATEGORIES_FILE))


def test_enriches_a_realistic_item_end_to_end(enricher: Enricher) -> None:
    enriched = enricher.enrich(item(), NOW)
    assert (enriched.lang, enriched.country, enriched.city) == ("en", "SD", "El Fasher")
    assert enriched.lang_confidence > 0.8
    assert set(enriched.categories) == {"violence_report"}
    assert enriched.categories["violence_report"].score > 0.5
    assert enriched.location is not None and 13 < enriched.location["lat"] < 14.5
    assert {p.name for p in enriched.places} >= {"North Darfur", "El Fasher"}
    assert enriched.admin1 == "SD-DN"
    assert enriched.processed == NOW
    assert enriched.id == "rss:radio-dabanga:1" and enriched.source.name == "radio-dabanga"


def test_enriched_item_survives_the_wire(enricher: Enricher) -> None:
    enriched = enricher.enrich(item(), NOW)
    again = EnrichedItem.from_bytes(enriched.to_bytes())
    assert again == EnrichedItem.model_validate(enriched.model_dump())
    assert again.categories["violence_report"].classifier.startswith("encoder/"), "the encoder's verdict"
    assert again.categories["violence_report"].terms == enriched.categories["violence_report"].terms


def test_enrich_many_keeps_order_and_languages(enricher: Enricher) -> None:
    items = [
        item(id="a"),
        item(id="b", title="Des hommes armés tuent 12 civils près de Goma",
             text="Des hommes armés ont attaqué un village du Nord-Kivu, en RDC, tuant 12 civils.",
             lang_hint=None),
        item(id="c", title="", text="قتل عشرة أشخاص في هجوم شنه مسلحون على قرية قرب الخرطوم", lang_hint=None),
        item(id="d", title="Sports", text="The match ended in a draw.", country_hint="KE"),
    ]
    enriched = enricher.enrich_many(items, NOW)
    assert [e.id for e in enriched] == ["a", "b", "c", "d"]
    assert [e.lang for e in enriched] == ["en", "fr", "ar", "en"]
    assert [e.country for e in enriched] == ["SD", "CD", "SD", "KE"]
    assert "violence_report" in enriched[1].categories
    assert "violence_report" in enriched[2].categories
    assert enriched[3].categories == {} and enriched[3].places == []


def test_short_item_uses_the_hints(enricher: Enricher) -> None:
    enriched = enricher.enrich(item(title="", text="Breaking", lang_hint="sw", country_hint="TZ"), NOW)
    assert (enriched.lang, enriched.lang_confidence, enriched.country) == ("sw", 0.0, "TZ")


def test_only_max_analysed_chars_are_analysed(enricher: Enricher) -> None:
    long_text = "Nothing happened today. " * 2000 + " Gunmen killed villagers in Sudan."
    enriched = enricher.enrich(item(title="", text=long_text), NOW)
    assert enriched.categories == {} and enriched.country is None
    assert enriched.text == long_text          # the archive keeps it all


def test_classifier_hits_merge_keeping_the_best_score(enricher: Enricher) -> None:
    # fixed scores (the shipped cascade's own score for this item may itself be 1.0)
    class Fixed:
        version = "1"

        def __init__(self, name: str, score: float) -> None:
            self.name, self.score = name, score

        def classify(self, texts: Any) -> list[dict[str, CategoryHit]]:
            hit = CategoryHit(score=self.score, classifier=f"{self.name}/1")
            return [{"violence_report": hit} for _ in texts]

    for order in ([Fixed("weak", 0.6), Fixed("strong", 0.9)], [Fixed("strong", 0.9), Fixed("weak", 0.6)]):
        both = Enricher(categories=enricher.categories, classifiers=order,
                        language=enricher.language, gazetteer=enricher.gazetteer)
        assert both.enrich(item(), NOW).categories["violence_report"].classifier == "strong/1"


def test_bad_settings_fail_at_construction(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown classifier"):
        Enricher.from_settings(ProcessingSettings(categories_file=CATEGORIES_FILE, classifiers=["nope"]))


GOOD = item().to_bytes()


def test_decode_item_round_trips() -> None:
    assert decode_item(GOOD, 1024 * 1024) == item()


@pytest.mark.parametrize(("payload", "limit", "reason"), [
    (GOOD, 100, "oversize"),
    (b'{"id": "\xff\xfe"}', 1000, "bad-encoding"),
    (b"\xc3\x28", 1000, "bad-encoding"),
    (GOOD.replace(b'"Gunmen', b'"\\ud800Gunmen'), 10_000, "bad-encoding"),
    (b"not json at all", 1000, "unparseable"),
    (b"", 1000, "unparseable"),
    (b'{"id": "x",', 1000, "unparseable"),
    (b"[" * 100_000 + b"]" * 100_000, 10**6, "unparseable"),
    (b"[1, 2]", 1000, "invalid"),
    (b'"a string"', 1000, "invalid"),
    (b'{"id": "x"}', 1000, "invalid"),
    (json.dumps({**json.loads(GOOD), "surprise": 1}).encode(), 10_000, "invalid"),
    (json.dumps({**json.loads(GOOD), "collected": "yesterday"}).encode(), 10_000, "invalid"),
])
def test_decode_item_reasons(payload: bytes, limit: int, reason: str) -> None:
    with pytest.raises(BadItem) as caught:
        decode_item(payload, limit)
    assert caught.value.reason == reason
    assert str(caught.value).startswith(reason)


def test_invalid_reason_carries_pydantic_message() -> None:
    with pytest.raises(BadItem) as caught:
        decode_item(b'{"id": "x"}', 1000)
    assert "source" in caught.value.detail and "Field required" in caught.value.detail


def test_decode_item_refuses_non_bytes() -> None:
    with pytest.raises(BadItem):
        decode_item(None, 10)  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(payload=st.binary(max_size=2000))
def test_decode_item_raises_only_bad_item(payload: bytes) -> None:
    try:
        decode_item(payload, 1000)
    except BadItem as exc:
        assert exc.reason in {"oversize", "bad-encoding", "unparseable", "invalid"}


@settings(max_examples=100, deadline=None)
@given(title=st.text(alphabet=st.characters(codec="utf-8", max_codepoint=sys.maxunicode)),
       text=st.text(alphabet=st.characters(codec="utf-8", max_codepoint=sys.maxunicode)))
def test_any_decodable_item_enriches_and_encodes(enricher: Enricher, title: str, text: str) -> None:
    enriched = enricher.enrich(item(title=title, text=text), NOW)
    assert EnrichedItem.from_bytes(enriched.to_bytes()).id == enriched.id


def test_enrich_many_is_thread_safe(enricher: Enricher) -> None:
    items = [item(id=str(i), title=title) for i, title in enumerate(
        ["Gunmen kill 12 in North Darfur", "Floods in Hyderabad, Pakistan", "Des hommes armés près de Goma",
         "قتلى في الخرطوم", "በኢትዮጵያ ጥቃት ተፈጸመ"])]
    expected = [e.model_dump() for e in enricher.enrich_many(items, NOW)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = list(pool.map(lambda _: [e.model_dump() for e in enricher.enrich_many(items, NOW)], range(16)))
    assert all(run == expected for run in runs)
