"""The Faust agent that freezes each alert's contributing items as it is raised.

It reads the ``alerts`` topic beside the archive and notify agents and acks an
alert version only once its evidence is stored: while the search server is down
it retries, and the offset stays where it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Sequence

import faust
from elasticsearch import AsyncElasticsearch
from pydantic import ValidationError

from tocsin import topics
from tocsin.evidence.records import EvidenceRecord
from tocsin.evidence.store import EvidenceStore
from tocsin.schema import Alert
from tocsin.search import with_retries
from tocsin.settings import Settings
from tocsin.streams import ack_concurrently, topic, until_done

logger = logging.getLogger(__name__)

FREEZE_EVENTS = frozenset({"opened", "updated", "escalated"})
"""Versions that may bring contributing items; the others repeat the last version's."""

# The processors publish an item and archive it in the same batch, so an alert can
# arrive before its items are searchable: wait this long (in steps) before
# recording one as missing.
MISSING_RETRY_S: tuple[float, ...] = (1.0, 4.0, 15.0)
# Alert versions being frozen at once by one worker (waits for late items overlap).
_MAX_IN_FLIGHT = 64


def wants_evidence(alert: Alert) -> bool:
    return alert.event in FREEZE_EVENTS and bool(alert.sample_item_ids)


def unfrozen(record: EvidenceRecord, alert: Alert) -> list[str]:
    frozen = {item.item_id for item in record.frozen}
    return [item_id for item_id in alert.sample_item_ids if item_id not in frozen]


async def collect_evidence(store: EvidenceStore, alert: Alert, *,
                           missing_retry_s: Sequence[float] = MISSING_RETRY_S) -> EvidenceRecord:
    """Freeze an alert version, giving late items time to reach the archive.

    Search outages are retried here until the write goes through; the caller acks after.
    """
    what = f"freezing evidence of {alert.version_id}"
    for delay in missing_retry_s:
        record = await with_retries(functools.partial(store.freeze, alert, record_missing=False), what=what)
        if not unfrozen(record, alert):
            return record
        await asyncio.sleep(delay)
    return await with_retries(functools.partial(store.freeze, alert), what=what)


class _PerKey:
    """One FIFO lock per key, dropped once nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def lock(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


def add_evidence_agent(app: faust.App, es: AsyncElasticsearch, settings: Settings, *,
                       missing_retry_s: Sequence[float] = MISSING_RETRY_S) -> None:
    """Add the ``evidence`` agent on topic ``alerts`` to a Faust app (the alerts worker)."""
    store = EvidenceStore(es, settings.search)

    @app.agent(topic(app, topics.ALERTS))
    async def evidence(stream: faust.StreamT) -> None:
        """Freeze each alert version's new contributing items, acking once stored.

        Alerts are handled concurrently, so one waiting for a late item does not hold
        up the rest; versions of one alert in turn, so its log follows their order.
        Faust commits an offset only when every earlier one is acked.
        """
        await with_retries(store.install, what="evidence indices")
        in_turn = _PerKey()

        async def handle(event: faust.EventT) -> None:
            try:
                alert = Alert.from_bytes(event.value or b"")
            except ValidationError:  # the archive agent dead-letters it
                logger.warning("no evidence for an invalid alert record")
                return
            if wants_evidence(alert):
                async with in_turn.lock(alert.id):
                    await until_done(functools.partial(collect_evidence, store, alert,
                                                       missing_retry_s=missing_retry_s),
                                     what=f"evidence of {alert.version_id}")

        await ack_concurrently(stream, handle, limit=_MAX_IN_FLIGHT)
