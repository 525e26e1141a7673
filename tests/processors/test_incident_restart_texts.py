"""Fusion's near-duplicate memory across a restart: taken back from the archive with the incidents.

A burst of copies that straddles a restart (three accounts before it, two after) must
still reach the five accounts that make it coordinated amplification, and a copy
published after the restart must still count for the source that published first.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from processors.incidents.fusion import Fuser
from processors.incidents.stage import IncidentStage
from processors.incidents.store import IncidentStore
from tests.processors.incident_samples import T0, StoryEmbedder, enriched
from tocsin.documents import to_document
from tocsin.schema import EnrichedItem
from tocsin.search import bulk_index, search_client
from tocsin.settings import IncidentSettings, SearchSettings

pytestmark = pytest.mark.peers

SLUR = "These vermin must be driven out tonight, all of them!"
WIRE = ("Gunmen attacked Kalma camp overnight, killing twelve people and burning forty shelters, "
        "witnesses said.")
STORIES = {"slur": ["vermin"], "kalma": ["kalma"]}


def post(n: int) -> EnrichedItem:
    return enriched(f"s{n}", SLUR, source="mastodon", author=f"acct{n}", category="hate_speech", minutes=n)


def stage(es: object, run: str, *, items_index: str | None) -> IncidentStage:
    fuser = Fuser(IncidentSettings(similarity=0.8), StoryEmbedder(STORIES))
    return IncidentStage(fuser, IncidentStore(es, f"test-incidents-{run}"), "story",  # type: ignore[arg-type]
                         items_index)


async def test_a_burst_and_a_syndicated_story_straddling_a_restart_are_still_seen(
    search_settings: SearchSettings,
) -> None:
    es = search_client(search_settings)
    run = uuid.uuid4().hex[:8]
    items_index = f"test-items-{run}"
    try:
        before = stage(es, run, items_index=items_index)
        await before.store.install()
        fused = before.fuse([post(0), post(1), post(2),
                             enriched("w1", WIRE, source="reuters", minutes=3)])
        assert all(item.amplification is None for item in fused.items), "precondition: three accounts"
        assert await before.store.store(fused.incidents) == []
        await bulk_index(es, items_index, [(i.id, to_document(i)) for i in fused.items], refresh=True)
        await before.store.make_visible()

        now = T0 + timedelta(minutes=5)
        after = [post(3), post(4), enriched("w2", WIRE, source="blogspot", minutes=5)]
        restarted = stage(es, run, items_index=items_index)
        await restarted.restore(now)
        out = {item.id: item for item in restarted.fuse(after).items}
        burst = out["s4"].amplification
        assert burst is not None and burst.accounts == 5 and burst.items == 5
        assert out["w2"].incident is not None and out["w2"].incident.origin == "reuters"

        forgetful = stage(es, run, items_index=None)        # the incidents alone, as before
        await forgetful.restore(now)
        out = {item.id: item for item in forgetful.fuse(after).items}
        assert out["s4"].amplification is None
        assert out["w2"].incident is not None and out["w2"].incident.origin == "blogspot"
    finally:
        await es.close()
