"""Publishing analysts' actions: one producer per API process, started on first use.

An action is a signal on ``alerts.matches`` keyed like the alert's group, so the
worker that owns the group applies it and publishes the next version in order
(``tocsin.actions.action_signal``). The API never writes an alert itself.
"""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from tocsin import topics
from tocsin.actions import action_signal
from tocsin.errors import PeerError
from tocsin.kafka import client_kwargs
from tocsin.schema import Alert, AlertAction
from tocsin.settings import KafkaSettings


class BrokerUnavailable(PeerError, RuntimeError):
    """The broker did not take the signal; nothing was applied, the caller may retry."""


class SignalPublisher:
    def __init__(self, settings: KafkaSettings, *, timeout_s: float = 15.0) -> None:
        self.settings = settings
        self.timeout_s = timeout_s
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def _started(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                # Not idempotent: the embedded broker refuses InitProducerId, and a duplicate
                # action is harmless (acknowledging twice changes nothing; a note may repeat).
                producer = AIOKafkaProducer(**client_kwargs(self.settings), acks="all",
                                            request_timeout_ms=int(self.timeout_s * 1000))
                try:
                    await asyncio.wait_for(producer.start(), self.timeout_s)
                except BaseException:
                    await producer.stop()
                    raise
                self._producer = producer
            return self._producer

    async def publish(self, alert: Alert, action: AlertAction) -> None:
        key, value = action_signal(alert, action)
        try:
            producer = await self._started()
            await asyncio.wait_for(producer.send_and_wait(topics.ALERT_MATCHES, value, key=key),
                                   self.timeout_s)
        except (KafkaError, TimeoutError, OSError) as exc:
            raise BrokerUnavailable(
                f"the broker did not take the action: {type(exc).__name__}: {exc}") from exc

    async def close(self) -> None:
        async with self._lock:
            if self._producer is not None:
                await self._producer.stop()
                self._producer = None
