"""The consumer fetch wait reaches the aiokafka consumer Faust builds."""

from __future__ import annotations

from tocsin.faust_transport import App


async def test_workers_consumer_waits_as_configured() -> None:
    app = App("fetch-wait-test", broker="kafka://127.0.0.1:9", fetch_max_wait_ms=123)
    thread = app.consumer._thread  # type: ignore[attr-defined]
    consumer = thread._create_worker_consumer(app.transport)
    assert consumer._fetch_max_wait_ms == 123


async def test_default_is_fausts_own_wait() -> None:
    app = App("fetch-wait-default", broker="kafka://127.0.0.1:9")
    consumer = app.consumer._thread._create_worker_consumer(app.transport)  # type: ignore[attr-defined]
    assert consumer._fetch_max_wait_ms == 1500


def test_aiokafka_still_reads_the_attribute_when_it_starts() -> None:
    """The knob sets a private attribute: this fails loudly if aiokafka stops reading it."""
    import inspect

    from aiokafka import AIOKafkaConsumer

    assert "self._fetch_max_wait_ms" in inspect.getsource(AIOKafkaConsumer.start)
