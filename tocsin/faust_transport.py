"""Faust's Kafka transport with the one knob Faust lacks: the consumer's fetch wait.

Faust builds its consumer with ``fetch_max_wait_ms=1500`` and no setting. Apache
Kafka answers a fetch as soon as a record arrives, so there the wait costs
nothing; Tansu (the embedded broker of the demo and tests) answers a fetch of
several partitions only when the wait is up, so every Faust hop there could
wait 1.5 s — most of an alert's latency. ``kafka.fetch_max_wait_ms`` sets it.
"""

from __future__ import annotations

from typing import Any

import faust
from faust.transport.drivers import aiokafka as driver


class _ConsumerThread(driver.AIOKafkaConsumerThread):
    fetch_max_wait_ms = 1500

    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        # aiokafka hands this to its fetcher when the consumer starts.
        consumer._fetch_max_wait_ms = self.fetch_max_wait_ms
        return consumer


def transport_class(fetch_max_wait_ms: int) -> type[driver.Transport]:
    """Faust's aiokafka transport, its consumers waiting at most ``fetch_max_wait_ms``."""
    thread = type("ConsumerThread", (_ConsumerThread,), {"fetch_max_wait_ms": fetch_max_wait_ms})

    class Consumer(driver.Consumer):
        def _new_consumer_thread(self) -> Any:
            return thread(self, loop=self.loop, beacon=self.beacon)

    return type("Transport", (driver.Transport,), {"Consumer": Consumer})


class App(faust.App):
    """A Faust app whose transport comes from ``transport_class``."""

    def __init__(self, *args: Any, fetch_max_wait_ms: int = 1500, **kwargs: Any) -> None:
        self._transport_class = transport_class(fetch_max_wait_ms)
        super().__init__(*args, **kwargs)

    def _new_transport(self) -> Any:
        return self._transport_class(self.conf.broker_consumer, self)
