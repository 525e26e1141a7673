"""Fusion as the processors' batch pipeline runs it: the fuser, restored from its index at start
and refreshed from it when a partition of ``items.fusion`` moves to this worker."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from elasticsearch import AsyncElasticsearch

from processors.incidents.embedding import background_for, embedder_for
from processors.incidents.fusion import Fused, Fuser, primary_category
from processors.incidents.store import IncidentStore
from tocsin.schema import EnrichedItem
from tocsin.search import with_retries
from tocsin.settings import IncidentSettings


@dataclass
class IncidentStage:
    fuser: Fuser
    store: IncidentStore
    embedder: str

    @classmethod
    async def start(
        cls,
        settings: IncidentSettings,
        classifiers: Sequence[object],
        es: AsyncElasticsearch,
        index: str,
        *,
        max_chars: int = 20_000,
        stop: asyncio.Event | None = None,
        now: datetime | None = None,
    ) -> IncidentStage:
        """Install the index and take back the incidents seen within twice the window before ``now``."""
        embed, name = embedder_for(classifiers)
        fuser = Fuser(settings, embed, max_chars=max_chars, background=background_for(name))
        stage = cls(fuser, IncidentStore(es, index), name)
        await with_retries(stage.store.install, what="incidents template", stop=stop)
        stage.fuser.restore(
            await with_retries(lambda: stage.store.recent(stage._since(now)), what="incidents restore",
                               stop=stop)
        )
        return stage

    def considers(self, item: EnrichedItem) -> bool:
        """Whether fusion would give the item an incident (a hit in a fused category)."""
        return primary_category(item, self.fuser.settings) is not None

    def fuse(self, items: list[EnrichedItem]) -> Fused:
        return self.fuser.fuse(items)

    async def refresh(self, now: datetime | None = None) -> int:
        """Take in what other workers wrote to the index (after a partition moved here); how many changed.

        The index is refreshed first: the previous owner wrote its incidents a moment ago.
        """
        await self.store.make_visible()
        return self.fuser.refresh(await self.store.recent(self._since(now)))

    def _since(self, now: datetime | None) -> datetime:
        return (now or datetime.now(UTC)) - timedelta(seconds=2 * self.fuser.settings.window)
