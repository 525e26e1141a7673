"""Incident routes against the real search server: the list with its filters, and one incident
with its items grouped by source and language; hostile text comes back as data."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import httpx
import pytest

from api.app import create_app
from processors.archive import Archive
from processors.incidents.fusion import Fuser
from processors.incidents.store import IncidentStore
from tests.api.conftest import HOSTILE, ApiEnv, auth, make_env
from tests.processors.incident_samples import KHARTOUM, StoryEmbedder, enriched
from tocsin.documents import to_document
from tocsin.search import bulk_index, search_client
from tocsin.settings import IncidentSettings, SearchSettings
from tocsin_embedded.broker import LocalBroker
from tocsin_launch.api_wiring import stage_config

pytestmark = pytest.mark.peers

STORIES = {"kalma": ["kalma"], "market": ["market"], "slur": ["vermin"]}


def fused_corpus() -> tuple[list, list]:
    fuser = Fuser(IncidentSettings(similarity=0.8), StoryEmbedder(STORIES))
    items = [
        enriched("k1", "Gunmen attacked Kalma camp, killing twelve.", source="reuters", lang="en"),
        enriched("k2", "هاجم مسلحون مخيم kalma", source="aljazeera", lang="ar", minutes=20),
        enriched("k3", "Attaque du camp de Kalma.", source="rfi", lang="fr", minutes=30),
        enriched("m1", f"Market shelled in Khartoum {HOSTILE}", source="reuters", place=KHARTOUM, minutes=40),
        *[
            enriched(
                f"s{n}",
                "These vermin must be driven out tonight, all of them!",
                source="mastodon",
                author=f"acct{n}",
                category="hate_speech",
                minutes=50 + n,
            )
            for n in range(6)
        ],
    ]
    fused = fuser.fuse(items)
    return fused.items, fused.incidents


async def seed(search: SearchSettings) -> None:
    items, incidents = fused_corpus()
    es = search_client(search)
    try:
        await Archive(es, search.items_index).install()
        await bulk_index(es, search.items_index, [(i.id, to_document(i)) for i in items], refresh=True)
        store = IncidentStore(es, search.incidents_index)
        await store.install()
        assert await store.store(incidents) == []
        await es.indices.refresh(index=search.incidents_index)
    finally:
        await es.close()


@pytest.fixture(scope="module")
def env(
    tmp_path_factory: pytest.TempPathFactory, search_settings: SearchSettings, broker: LocalBroker
) -> Iterator[ApiEnv]:
    made = make_env(tmp_path_factory.mktemp("api-incidents"), search_settings, broker)
    made.settings.search.items_index = f"api-incident-items-{uuid.uuid4().hex[:8]}"
    made.settings.search.incidents_index = f"api-incidents-{uuid.uuid4().hex[:8]}"
    asyncio.run(seed(made.settings.search))
    yield made


@pytest.fixture
async def client(env: ApiEnv) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(env.settings, stage_config=stage_config())
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tocsin.test") as http,
    ):
        yield http


async def test_the_list_is_newest_first_and_filters(env: ApiEnv, client: httpx.AsyncClient) -> None:
    headers = auth(env, "viewer")
    listed = (await client.get("/incidents", headers=headers)).json()["incidents"]
    assert [i["item_count"] for i in listed] == [6, 1, 3]
    assert "centroid" not in listed[0] and "item_ids" not in listed[0]
    kalma = listed[2]
    assert kalma["independent_sources"] == 3 and sorted(kalma["languages"]) == ["ar", "en", "fr"]
    several = (await client.get("/incidents", params={"min_sources": 2}, headers=headers)).json()
    assert [i["id"] for i in several["incidents"]] == [kalma["id"]]
    amplified = (await client.get("/incidents", params={"amplified": "true"}, headers=headers)).json()
    (campaign,) = amplified["incidents"]
    assert campaign["category"] == "hate_speech" and campaign["amplification"]["accounts"] == 6
    langs = (
        await client.get(
            "/incidents", params={"min_languages": 3, "category": "violence_report"}, headers=headers
        )
    ).json()
    assert [i["id"] for i in langs["incidents"]] == [kalma["id"]]
    market = (await client.get("/incidents", params={"q": "market"}, headers=headers)).json()["incidents"]
    assert market[0]["title"].startswith("Market shelled") and HOSTILE in market[0]["title"]
    assert (await client.get("/incidents", params={"since": "soon"}, headers=headers)).status_code == 400
    assert (await client.get("/incidents")).status_code == 401


async def test_one_incident_groups_its_items_by_source_and_language(
    env: ApiEnv, client: httpx.AsyncClient
) -> None:
    headers = auth(env, "viewer")
    listed = (await client.get("/incidents", params={"min_sources": 3}, headers=headers)).json()["incidents"]
    detail = (await client.get(f"/incidents/{listed[0]['id']}", headers=headers)).json()
    assert [item["id"] for item in detail["items"]] == ["k1", "k2", "k3"]
    assert detail["items"][0]["text"] == "Gunmen attacked Kalma camp, killing twelve."   # the page's snippets
    assert [group["source"] for group in detail["by_source"]] == ["aljazeera", "reuters", "rfi"]
    assert detail["by_language"] == {"en": ["k1"], "ar": ["k2"], "fr": ["k3"]}
    assert (await client.get("/incidents/inc-none", headers=headers)).status_code == 404


def test_first_seen_and_last_seen_span_the_reports() -> None:
    _, incidents = fused_corpus()
    kalma = next(i for i in incidents if i.item_count == 3)
    assert kalma.last_seen - kalma.first_seen == timedelta(minutes=30)
