"""The processors' batch pipeline against a real search server (osmem).

Publishing is captured in a list: the order of sends and archive writes is
what at-least-once delivery depends on.
"""

from __future__ import annotations

import asyncio
import base64
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from processors.archive import Archive
from processors.enrich import Enricher
from processors.pipeline import BatchProcessor, RawMessage
from tocsin import topics
from tocsin.rejections import rejection_count
from tocsin.schema import DeadLetter, EnrichedItem, Item, SourceRef
from tocsin.search import SearchUnavailable, search_client
from tocsin.settings import ProcessingSettings, SearchSettings

pytestmark = pytest.mark.peers


def raw_item(item_id: str, text: str = "Gunmen killed 12 villagers in Darfur, Sudan.") -> Item:
    when = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    return Item(id=item_id, source=SourceRef(type="rss", name="wire", url="http://127.0.0.1/x.xml"),
                url=f"https://news.example.org/{item_id}", title="Report", text=text, published=when,
                collected=when, lang_hint="en", country_hint="SD", raw_sha256="a" * 64,
                content_sha256=("b" if "Gunmen" in text else "c") * 64)


@pytest.fixture(scope="module")
def enricher() -> Enricher:
    return Enricher.from_settings(ProcessingSettings())


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self.values: list[tuple[str, bytes]] = []
        self.records: list[tuple[str, bytes, bytes]] = []
        self.timestamps: dict[str, float | None] = {}

    async def send(self, topic: str, key: bytes, value: bytes, timestamp: float | None) -> None:
        self.events.append(("send", topic))
        if topic == topics.ITEMS_ENRICHED:
            self.timestamps[key.decode()] = timestamp
        self.values.append((topic, value))
        self.records.append((topic, key, value))

    def sent(self, topic: str) -> list[bytes]:
        return [value for name, value in self.values if name == topic]


class RecordingArchive(Archive):
    """The real archive, noting when it was written and failing on demand."""

    def __init__(self, *args: Any, recorder: Recorder, failures: int = 0) -> None:
        super().__init__(*args)
        self.recorder = recorder
        self.failures = failures

    async def store(self, items: list[EnrichedItem]):
        if self.failures:
            self.failures -= 1
            self.recorder.events.append(("archive-failed", ""))
            raise SearchUnavailable("injected outage")
        result = await super().store(items)
        self.recorder.events.append(("archived", ""))
        return result


async def make(search_settings: SearchSettings, enricher: Enricher, failures: int = 0):
    es = search_client(search_settings)
    recorder = Recorder()
    archive = RecordingArchive(es, f"test-items-{uuid.uuid4().hex[:8]}", recorder=recorder, failures=failures)
    await archive.install()
    return es, recorder, archive, BatchProcessor(enricher, archive, recorder.send, max_item_bytes=64 * 1024)


async def test_good_items_are_published_then_archived_by_id(search_settings: SearchSettings,
                                                           enricher: Enricher) -> None:
    es, recorder, archive, processor = await make(search_settings, enricher)
    try:
        outcome = await processor.process([RawMessage(raw_item("i-1").to_bytes())])
        assert [e.id for e in outcome.enriched] == ["i-1"]
        assert recorder.events == [("send", topics.ITEMS_ENRICHED), ("archived", "")]
        doc = await es.get(index=archive.index, id="i-1")
        assert doc["_source"]["categories"] == ["violence_report"]
        assert doc["_source"]["country"] == "SD"
    finally:
        await es.close()


async def test_bad_records_go_to_the_dead_letter_topic_with_their_reason(
        search_settings: SearchSettings, enricher: Enricher) -> None:
    es, recorder, _, processor = await make(search_settings, enricher)
    bad = {
        "unparseable": b"{not json",
        "bad-encoding": b'{"id": "\xff\xfe"}',
        "invalid": b'{"id": "x"}',
        "oversize": b"x" * (64 * 1024 + 1),
    }
    try:
        batch = [RawMessage(value, key=name.encode(), partition=0, offset=n)
                 for n, (name, value) in enumerate(bad.items())]
        outcome = await processor.process([*batch, RawMessage(raw_item("i-ok").to_bytes())])
        assert [e.id for e in outcome.enriched] == ["i-ok"]
        letters = [DeadLetter.from_bytes(v) for v in recorder.sent(topics.ITEMS_DLQ)]
        assert [(letter.key, letter.reason) for letter in letters] == [(name, name) for name in bad]
        assert all(letter.stage == "processors" and letter.topic == topics.ITEMS_RAW for letter in letters)
        assert [letter.offset for letter in letters] == [0, 1, 2, 3]
        assert base64.b64decode(letters[0].payload_b64) == b"{not json"
    finally:
        await es.close()


async def test_exact_duplicates_are_dropped_in_the_batch_and_against_the_archive(
        search_settings: SearchSettings, enricher: Enricher) -> None:
    es, recorder, archive, processor = await make(search_settings, enricher)
    try:
        first = raw_item("i-dup").to_bytes()
        outcome = await processor.process([RawMessage(first), RawMessage(first)])
        assert (len(outcome.enriched), outcome.duplicates) == (1, 1)
        await es.indices.refresh(index=archive.index)
        replay = await processor.process([RawMessage(first)])
        assert (len(replay.enriched), replay.duplicates) == (0, 1)
        assert len(recorder.sent(topics.ITEMS_ENRICHED)) == 1
    finally:
        await es.close()


async def test_an_edited_item_is_processed_again(search_settings: SearchSettings, enricher: Enricher) -> None:
    es, _, archive, processor = await make(search_settings, enricher)
    try:
        await processor.process([RawMessage(raw_item("i-ed").to_bytes())])
        await es.indices.refresh(index=archive.index)
        edited = raw_item("i-ed", text="Farmers began the harvest in Gezira, Sudan.")
        outcome = await processor.process([RawMessage(edited.to_bytes())])
        assert [e.id for e in outcome.enriched] == ["i-ed"]
        doc = await es.get(index=archive.index, id="i-ed")
        # the archive holds the edit's verdict, not the first text's (a violence report); which
        # categories a harvest story gets is the classifiers' business, not the pipeline's
        assert "violence_report" not in doc["_source"]["categories"]
        assert doc["_source"]["categories"] == sorted(outcome.enriched[0].categories)
        assert doc["_source"]["text"] == edited.text
        assert (await es.count(index=archive.index))["count"] == 1
    finally:
        await es.close()


async def test_batch_is_not_done_until_the_archive_took_it(search_settings: SearchSettings,
                                                           enricher: Enricher) -> None:
    es, recorder, archive, processor = await make(search_settings, enricher, failures=2)
    try:
        outcome = await asyncio.wait_for(processor.process([RawMessage(raw_item("i-late").to_bytes())]), 30)
        assert [e.id for e in outcome.enriched] == ["i-late"]
        assert [e for e, _ in recorder.events] == ["send", "archive-failed", "archive-failed", "archived"]
        assert (await es.get(index=archive.index, id="i-late"))["found"]
    finally:
        await es.close()


async def test_a_deletion_the_sources_terms_require_erasing_replaces_the_archived_post(
        search_settings: SearchSettings, enricher: Enricher) -> None:
    """Reddit's Data API terms: content deleted from Reddit must be deleted (title, body, URLs)."""
    es, _, archive, processor = await make(search_settings, enricher)
    try:
        await processor.process([RawMessage(raw_item("i-gone").to_bytes())])
        await es.indices.refresh(index=archive.index)
        erased = raw_item("i-gone", text="").model_copy(update={
            "deleted": True, "erase": True, "title": "", "url": None, "content_sha256": "e" * 64})
        await processor.process([RawMessage(erased.to_bytes())])
        kept = (await es.get(index=archive.index, id="i-gone"))["_source"]
        assert kept["deleted"] is True and kept["deleted_seen"]
        assert (kept["text"], kept["title"], kept["url"], kept["categories"]) == ("", "", None, [])
    finally:
        await es.close()


async def test_a_deletion_marks_the_archived_post_and_keeps_its_text(
        search_settings: SearchSettings, enricher: Enricher) -> None:
    es, _, archive, processor = await make(search_settings, enricher)
    try:
        await processor.process([RawMessage(raw_item("i-del").to_bytes())])
        await es.indices.refresh(index=archive.index)
        deletion = raw_item("i-del", text="").model_copy(update={"deleted": True, "content_sha256": "d" * 64})
        unseen = raw_item("i-never", text="").model_copy(update={"deleted": True, "content_sha256": "d" * 64})
        await processor.process([RawMessage(deletion.to_bytes()), RawMessage(unseen.to_bytes())])
        kept = (await es.get(index=archive.index, id="i-del"))["_source"]
        assert kept["deleted"] is True and kept["deleted_seen"]
        assert kept["text"].startswith("Gunmen killed 12 villagers")
        assert kept["categories"] == ["violence_report"]
        recorded = (await es.get(index=archive.index, id="i-never"))["_source"]
        assert recorded["deleted"] is True and recorded["text"] == ""
    finally:
        await es.close()


async def test_event_times_are_bounded_again_whatever_produced_the_raw_item(
        search_settings: SearchSettings, enricher: Enricher) -> None:
    """``items.raw`` may have producers other than the collector: 9999 and year 1 must not pass as is."""
    es, recorder, archive, processor = await make(search_settings, enricher)
    now = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    processor.clock = lambda: now
    future = raw_item("i-future").model_copy(update={
        "published": datetime(9999, 12, 31, tzinfo=UTC), "collected": datetime(2300, 1, 1, tzinfo=UTC)})
    ancient = raw_item("i-ancient").model_copy(update={"published": datetime(1, 1, 1, tzinfo=UTC)})
    try:
        outcome = await processor.process([RawMessage(future.to_bytes()), RawMessage(ancient.to_bytes())])
        by_id = {item.id: item for item in outcome.enriched}
        assert (by_id["i-future"].event_time, by_id["i-future"].claimed_published) == (
            now, datetime(9999, 12, 31, tzinfo=UTC))
        assert by_id["i-future"].integrity_flags == ["future-collected", "future-dated"]
        assert by_id["i-ancient"].integrity_flags == ["implausibly-old"]
        assert recorder.timestamps == {"i-future": now.timestamp(), "i-ancient": None}
        doc = await es.get(index=archive.index, id="i-future")
        assert doc["_source"]["integrity_flags"] == ["future-collected", "future-dated"]
    finally:
        await es.close()


async def test_a_document_the_archive_refuses_is_dead_lettered_logged_and_counted(
        search_settings: SearchSettings, enricher: Enricher, caplog: pytest.LogCaptureFixture) -> None:
    es = search_client(search_settings)
    recorder = Recorder()
    index = f"test-items-{uuid.uuid4().hex[:8]}"
    # An index whose mapping cannot take a country code: the server refuses the document for good.
    await es.indices.create(index=index, mappings={"properties": {"country": {"type": "integer"}}})
    archive = RecordingArchive(es, index, recorder=recorder)
    processor = BatchProcessor(enricher, archive, recorder.send, max_item_bytes=64 * 1024)
    before = rejection_count("processors", "archive")
    try:
        outcome = await processor.process([RawMessage(raw_item("i-refused").to_bytes())])
        assert outcome.enriched == []
        [letter] = [DeadLetter.from_bytes(v) for v in recorder.sent(topics.ITEMS_DLQ)]
        assert (letter.reason, letter.key) == ("archive-rejected", "i-refused")
        assert EnrichedItem.from_bytes(base64.b64decode(letter.payload_b64)).id == "i-refused"
        assert rejection_count("processors", "archive") == before + 1
        assert any("refused archive document i-refused" in r.getMessage() for r in caplog.records)
    finally:
        await es.close()
