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
from processors.incidents.store import IncidentStore, fused_items
from tocsin.schema import EnrichedItem
from tocsin.search import with_retries
from tocsin.settings import IncidentSettings


@dataclass
class IncidentStage:
    fuser: Fuser
    store: IncidentStore
    embedder: str
    items_index: str | None = None
    """The archive: where the texts of fused items are taken back from (None: not taken back)."""

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
        items_index: str | None = None,
    ) -> IncidentStage:
        """Install the index and take back the incidents seen within twice the window before ``now``,
        and their archived items' texts (from ``items_index``, when given)."""
        embed, name = embedder_for(classifiers)
        fuser = Fuser(settings, embed, max_chars=max_chars, background=background_for(name))
        stage = cls(fuser, IncidentStore(es, index), name, items_index)
        await with_retries(stage.store.install, what="incidents template", stop=stop)
        await with_retries(lambda: stage.restore(now), what="incidents restore", stop=stop)
        return stage

    async def restore(self, now: datetime | None = None) -> None:
        """Take back the incidents seen within twice the window before ``now``, then their items' texts."""
        self.fuser.restore(await self.store.recent(self._since(now)))
        await self._remember_texts(now)

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
        changed = self.fuser.refresh(await self.store.recent(self._since(now)))
        if self.items_index is not None:
            await self.store.make_visible(self.items_index)
        await self._remember_texts(now)
        return changed

    async def _remember_texts(self, now: datetime | None) -> int:
        if self.items_index is None:
            return 0
        return self.fuser.remember_texts(await fused_items(self.store.es, self.items_index, self._since(now)))

    def _since(self, now: datetime | None) -> datetime:
        return (now or datetime.now(UTC)) - timedelta(seconds=2 * self.fuser.settings.window)
