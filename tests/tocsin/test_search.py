from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from elastic_transport import HttpHeaders

from processors.archive import Archive
from processors.incidents.store import IncidentStore, fused_items
from tocsin.search import SearchUnavailable, bulk_index, search_client, search_hits
from tocsin.settings import SearchSettings
from tocsin_embedded.compat import plain_json_headers

pytestmark = pytest.mark.peers


def test_shim_rewrites_only_compatible_with_media_types() -> None:
    headers = HttpHeaders({"accept": "application/vnd.elasticsearch+json; compatible-with=9",
                           "content-type": "application/vnd.elasticsearch+x-ndjson; compatible-with=9",
                           "x-opaque-id": "keep"})
    rewritten = plain_json_headers(headers)
    assert rewritten is not None
    assert rewritten["accept"] == "application/json"
    assert rewritten["content-type"] == "application/x-ndjson"
    assert rewritten["x-opaque-id"] == "keep"


def test_production_client_sends_compatible_with_and_osmem_refuses_it(
        search_settings: SearchSettings) -> None:
    """Why the shim exists, and that the production path does not carry it."""
    import asyncio

    from elasticsearch import ApiError

    async def run() -> int:
        es = search_client(SearchSettings(url=search_settings.url))
        try:
            await es.index(index="shim-probe", id="1", document={"a": 1})
        except ApiError as exc:
            return int(exc.meta.status)
        finally:
            await es.close()
        return 200

    assert asyncio.run(run()) == 406


async def test_bulk_index_is_idempotent_by_id(search_settings: SearchSettings) -> None:
    es = search_client(search_settings)
    try:
        docs = [("d1", {"title": "a"}), ("d2", {"title": "b"})]
        assert await bulk_index(es, "idem-test", docs, refresh=True) == []
        assert await bulk_index(es, "idem-test", docs, refresh=True) == []
        assert (await es.count(index="idem-test"))["count"] == 2
    finally:
        await es.close()


async def test_unreachable_search_server_is_unavailable_not_lost() -> None:
    from tocsin_embedded.ports import free_port

    es = search_client(SearchSettings(url=f"http://127.0.0.1:{free_port()}", request_timeout=2))
    try:
        with pytest.raises(SearchUnavailable):
            await bulk_index(es, "nowhere", [("d1", {"title": "a"})])
        with pytest.raises(SearchUnavailable):
            await Archive(es, "nowhere").known_hashes(["d1"])
    finally:
        await es.close()


async def test_search_hits_reads_hits_and_a_missing_index_as_none(search_settings: SearchSettings) -> None:
    es = search_client(search_settings)
    index = f"hits-test-{uuid.uuid4().hex[:8]}"
    try:
        assert await search_hits(es, index, what="things", query={"match_all": {}}) == []
        await bulk_index(es, index, [("d1", {"title": "a"}), ("d2", {"title": "b"})], refresh=True)
        hits = await search_hits(es, index, what="things", query={"match": {"title": "b"}}, size=5)
        assert [(hit["_id"], hit["_source"]) for hit in hits] == [("d2", {"title": "b"})]
    finally:
        await es.close()


async def test_restoring_incidents_from_an_unreachable_server_is_unavailable_not_empty() -> None:
    from tocsin_embedded.ports import free_port

    es = search_client(SearchSettings(url=f"http://127.0.0.1:{free_port()}", request_timeout=2))
    since = datetime(2026, 1, 1, tzinfo=UTC)
    try:
        with pytest.raises(SearchUnavailable, match="reading incidents from 'nowhere'"):
            await IncidentStore(es, "nowhere").recent(since)
        with pytest.raises(SearchUnavailable, match="reading fused items from 'nowhere'"):
            await fused_items(es, "nowhere", since)
    finally:
        await es.close()
