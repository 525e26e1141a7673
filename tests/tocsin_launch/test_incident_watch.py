"""The demo's incident lines, read from the real search server: which incidents, when, and how."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from elasticsearch import AsyncElasticsearch

from processors.incidents.fusion import Fuser
from processors.incidents.store import IncidentStore
from tests.processors.incident_samples import KHARTOUM, StoryEmbedder, enriched
from tocsin.schema import EnrichedItem
from tocsin.search import search_client
from tocsin.settings import IncidentSettings, SearchSettings
from tocsin_launch.incident_watch import IncidentTicker, show_incidents

pytestmark = pytest.mark.peers

STORIES = {"kalma": ["kalma"], "market": ["market"], "slur": ["vermin"], "insult": ["idiots"]}
ESCAPE = "\x1b[2J\x1b]0;owned\x07"


@pytest.fixture
async def es(search_settings: SearchSettings) -> AsyncIterator[AsyncElasticsearch]:
    client = search_client(search_settings)
    yield client
    await client.close()


async def stored(es: AsyncElasticsearch, index: str, fuser: Fuser,
                 items: list[EnrichedItem]) -> dict[str, str]:
    """Fuse ``items``, index the incidents; each item's incident id."""
    fused = fuser.fuse(items)
    store = IncidentStore(es, index)
    await store.install()
    assert await store.store(fused.incidents) == []
    await es.indices.refresh(index=index)
    return {item.id: item.incident.id for item in fused.items if item.incident}


async def test_incidents_worth_a_look_are_shown_when_they_open_and_again_when_they_grow(
        es: AsyncElasticsearch) -> None:
    index = f"watch-incidents-{uuid.uuid4().hex[:8]}"
    fuser = Fuser(IncidentSettings(similarity=0.8), StoryEmbedder(STORIES))
    await stored(es, index, fuser, [
        enriched("k1", "Gunmen attacked Kalma camp, killing twelve.", source="reuters", lang="en"),
        enriched("k2", "هاجم مسلحون مخيم kalma", source="aljazeera", lang="ar", minutes=20),
        enriched("k3", "Attaque du camp de Kalma.", source="rfi", lang="fr", minutes=30),
        enriched("m1", f"Market shelled {ESCAPE}", source="reuters", place=KHARTOUM, minutes=40),
        enriched("h1", "Those idiots again", source="social", category="hate_speech", place={}),
        *[enriched(f"s{n}", "These vermin must be driven out tonight, all of them!", source="mastodon",
                   author=f"acct{n}", category="hate_speech", place={}, minutes=50 + n) for n in range(6)],
    ])
    ticker = IncidentTicker()
    shown: list[str] = []

    assert await show_incidents(es, index, ticker, shown.append) == 4
    text = "\n".join(shown)
    assert text.count("[INCIDENT") == 3  # the lone insult is an incident, not one worth a look
    assert "Those idiots" not in text
    assert ("[INCIDENT violence_report] SD/SD.55: 3 items, 3 independent sources, en, ar, fr; "
            "2026-11-03 06:00 – 2026-11-03 06:30 UTC") in text
    assert ("[INCIDENT violence_report] SD/SD.29: 1 item, 1 independent source, en; "
            "2026-11-03 06:40 UTC") in text
    assert "[INCIDENT hate_speech] no place: 6 items, 1 independent source, en;" in text
    assert "    amplified: 6 accounts, 5 minutes, same text" in text
    assert "\x1b" not in text and "\\x1b[2J" in text  # a scraped title cannot drive the terminal

    shown.clear()
    assert await show_incidents(es, index, ticker, shown.append) == 4
    assert shown == []

    kalma = (await stored(es, index, fuser, [enriched("k4", "Kalma camp: the toll rises", source="bbc",
                                                      minutes=90)]))["k4"]
    assert await show_incidents(es, index, ticker, shown.append) == 4
    assert shown[0] == ("\n[INCIDENT violence_report] SD/SD.55: 4 items (was 3), 4 independent sources, "
                        f"en, ar, fr; 2026-11-03 06:00 – 2026-11-03 07:30 UTC  {kalma}")
    assert len(shown) == 2 and shown[1].startswith("    - ")


async def test_nothing_is_shown_before_the_processors_made_the_index(es: AsyncElasticsearch) -> None:
    shown: list[str] = []
    assert await show_incidents(es, f"watch-none-{uuid.uuid4().hex[:8]}", IncidentTicker(), shown.append) == 0
    assert shown == []
