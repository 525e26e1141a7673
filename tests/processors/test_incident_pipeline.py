"""Incidents in the processors' batch pipeline against a real search server (osmem).

At-least-once delivery: a batch replayed after a crash (before or after a
worker restart) must leave every incident as it was.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from processors.enrich import Enricher
from processors.incidents.stage import IncidentStage
from processors.pipeline import BatchProcessor, RawMessage
from tests.processors.test_pipeline import Recorder, RecordingArchive
from tocsin import topics
from tocsin.incidents import Incident
from tocsin.schema import EnrichedItem, Item, SourceRef
from tocsin.search import SearchUnavailable, search_client
from tocsin.settings import IncidentSettings, ProcessingSettings, SearchSettings

pytestmark = pytest.mark.peers

NOW = datetime(2026, 3, 1, 14, 0, tzinfo=UTC)
REPORTS = [
    ("r-1", "wire", "Gunmen killed 12 villagers in an attack on a village in North Darfur, Sudan."),
    ("r-2", "radio", "Witnesses said gunmen stormed a North Darfur village, Sudan, leaving twelve dead."),
    ("r-3", "daily", "Twelve villagers were killed by gunmen attacking a village in North Darfur, Sudan."),
]


def raw(item_id: str, source: str, text: str) -> Item:
    when = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    return Item(
        id=item_id,
        source=SourceRef(type="rss", name=source),
        url=f"https://example.org/{item_id}",
        title="",
        text=text,
        published=when,
        collected=when,
        lang_hint="en",
        country_hint="SD",
        raw_sha256="a" * 64,
        content_sha256=item_id.ljust(64, "0"),
    )


@pytest.fixture(scope="module")
def enricher() -> Enricher:
    return Enricher.from_settings(ProcessingSettings())


async def make(search_settings: SearchSettings, enricher: Enricher, index: str, *, failures: int = 0) -> Any:
    es = search_client(search_settings)
    recorder = Recorder()
    archive = RecordingArchive(es, f"test-items-{uuid.uuid4().hex[:8]}", recorder=recorder, failures=failures)
    await archive.install()
    stage = await IncidentStage.start(
        IncidentSettings(similarity=0.8), enricher.classifiers, es, index, now=NOW
    )
    processor = BatchProcessor(enricher, archive, recorder.send, max_item_bytes=64 * 1024, incidents=stage)
    return es, recorder, archive, stage, processor


async def incidents_in(es: Any, index: str) -> list[Incident]:
    await es.indices.refresh(index=index)
    hits = (await es.search(index=index, query={"match_all": {}}, size=100))["hits"]["hits"]
    return [Incident.from_document(hit["_source"]) for hit in hits]


async def test_reports_of_one_attack_become_one_incident_in_the_index_and_on_the_items(
    search_settings: SearchSettings, enricher: Enricher
) -> None:
    index = f"test-incidents-{uuid.uuid4().hex[:8]}"
    es, recorder, archive, _, processor = await make(search_settings, enricher, index)
    try:
        batch = [RawMessage(raw(*report).to_bytes()) for report in REPORTS]
        outcome = await processor.process(batch)
        assert all("violence_report" in item.categories for item in outcome.enriched), "precondition: hits"
        published = [EnrichedItem.from_bytes(v) for v in recorder.sent(topics.ITEMS_ENRICHED)]
        ids = {item.incident.id for item in published if item.incident}
        assert len(ids) == 1 and all(item.incident for item in published)
        (incident,) = await incidents_in(es, index)
        assert incident.id in ids and incident.item_count == 3 and incident.independent_sources == 3
        assert sorted(incident.item_ids) == ["r-1", "r-2", "r-3"] and incident.country == "SD"
        archived = await es.get(index=archive.index, id="r-2")
        assert archived["_source"]["incident"]["id"] == incident.id
    finally:
        await es.close()


async def test_a_batch_replayed_after_a_crash_and_a_restart_changes_no_incident(
    search_settings: SearchSettings, enricher: Enricher
) -> None:
    index = f"test-incidents-{uuid.uuid4().hex[:8]}"
    # the archive fails after the incidents were written and the worker stops: a new one replays the batch
    es, _, archive, _, processor = await make(search_settings, enricher, index)
    first, batch = [
        [RawMessage(raw(*report).to_bytes()) for report in part] for part in (REPORTS[:2], REPORTS[2:])
    ]
    try:
        await processor.process(first)
        archive.failures = 1
        processor.stop = asyncio.Event()
        processor.stop.set()
        with pytest.raises(SearchUnavailable):
            await processor.process(batch)
        await es.indices.refresh(index=archive.index)
        assert (await es.count(index=archive.index))["count"] == 2
        (before,) = await incidents_in(es, index)
        es2, recorder2, _, stage2, restarted = await make(search_settings, enricher, index)
        try:
            assert stage2.fuser.incidents.keys() == {before.id}
            await restarted.process(batch)
            (after,) = await incidents_in(es2, index)
            assert after.item_count == before.item_count == 3
            assert after.model_dump(exclude={"updated_at"}) == before.model_dump(exclude={"updated_at"})
            replayed = [EnrichedItem.from_bytes(v) for v in recorder2.sent(topics.ITEMS_ENRICHED)]
            assert {i.incident.id for i in replayed if i.incident} == {before.id}
            assert [i.id for i in replayed] == ["r-3"]
        finally:
            await es2.close()
    finally:
        await es.close()
