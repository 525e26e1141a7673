"""Fusion as the processors' batch pipeline runs it: the fuser, restored from its index at start."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from elasticsearch import AsyncElasticsearch

from processors.incidents.embedding import background_for, embedder_for
from processors.incidents.fusion import Fused, Fuser
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
        since = (now or datetime.now(UTC)) - timedelta(seconds=2 * settings.window)
        stage.fuser.restore(
            await with_retries(lambda: stage.store.recent(since), what="incidents restore", stop=stop)
        )
        return stage

    def fuse(self, items: list[EnrichedItem]) -> Fused:
        return self.fuser.fuse(items)
