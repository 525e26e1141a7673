"""The archived form keeps which model scored each category (what an analyst's verdict is about)."""

from __future__ import annotations

from datetime import UTC, datetime

from tocsin.documents import from_document, to_document
from tocsin.schema import CategoryHit, EnrichedItem, SourceRef

AT = datetime(2026, 11, 25, tzinfo=UTC)


def scored() -> EnrichedItem:
    return EnrichedItem(
        id="i-1", source=SourceRef(type="rss", name="feed"), title="t", text="x", collected=AT,
        raw_sha256="0" * 64, content_sha256="1" * 64, lang="en", lang_confidence=0.9, processed=AT,
        categories={"hate_speech": CategoryHit(score=0.8, terms=["vermin"], classifier="encoder-head/3"),
                    "violence_report": CategoryHit(score=0.6, terms=["killed"], classifier="keywords/1")})


def test_each_category_keeps_its_model_in_the_archive_and_back() -> None:
    doc = to_document(scored())
    assert doc["models"] == {"hate_speech": "encoder-head/3", "violence_report": "keywords/1"}
    back = from_document(doc)
    assert back.categories["hate_speech"].classifier == "encoder-head/3"
    assert back.categories["violence_report"].classifier == "keywords/1"


def test_a_document_from_before_models_names_every_classifier() -> None:
    doc = to_document(scored())
    del doc["models"]
    assert from_document(doc).categories["hate_speech"].classifier == "encoder-head/3,keywords/1"
