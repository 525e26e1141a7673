"""Faust wiring shared by the processors and alerts apps."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import faust

from tocsin.faust_transport import App
from tocsin.kafka import faust_broker_options
from tocsin.settings import Settings

logger = logging.getLogger(__name__)
T = TypeVar("T")


def make_app(settings: Settings, stage: str, *, web_port: int | None = None, **extra: Any) -> faust.App:
    """A Faust app for one stage; every worker of a stage shares its consumer group."""
    datadir = settings.data_dir / "faust" / stage
    datadir.mkdir(parents=True, exist_ok=True)
    options: dict[str, Any] = {
        **faust_broker_options(settings.kafka),
        "store": settings.table_store,
        "datadir": str(datadir),
        "key_serializer": "raw",
        "value_serializer": "raw",
        "autodiscover": False,
        "web_enabled": web_port is not None,
        # The default 2.8 s commit interval is fine: offsets only move past acked events.
        "broker_commit_every": 1000,
        "broker_commit_interval": 1.0,
        "stream_wait_empty": False,
        "topic_allow_declare": True,
    }
    if web_port is not None:
        options["web_port"] = web_port
        options["web_bind"] = settings.alerts.web_host
    options.update(extra)
    return App(f"{settings.app_id_prefix}-{stage}", fetch_max_wait_ms=settings.kafka.fetch_max_wait_ms,
               **options)


def topic(app: faust.App, name: str) -> faust.TopicT:
    return app.topic(name, key_serializer="raw", value_serializer="raw")


async def deliver(app: faust.App, name: str, key: bytes, value: bytes, timestamp: float | None) -> None:
    """Send and wait until the broker acknowledged it (at-least-once needs the wait).

    Goes straight to the app's Kafka producer: records are already bytes, and
    Faust's per-message topic machinery cost a quarter of a worker's time.
    """
    pending = await app.producer.send(name, key or None, value, None, timestamp, None)
    await pending


async def until_done(step: Callable[[], Awaitable[T]], *, what: str, base_delay: float = 1.0,
                     max_delay: float = 60.0) -> T:
    """Run one step of an agent until it succeeds.

    Bad records are dead-lettered inside the step; what is left is trouble with the
    broker or the archive, so the step is retried (it is idempotent) rather than
    acked or allowed to crash the agent, which would stop its partitions.
    """
    delay = base_delay
    while True:
        try:
            return await step()
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("%s failed; retrying in %.0f s", what, delay)
            await asyncio.sleep(delay)
            delay = min(max_delay, delay * 2)


async def ack_concurrently(stream: faust.StreamT, handle: Callable[[faust.EventT], Awaitable[None]], *,
                           limit: int, within: float = 0.05) -> None:
    """Run ``handle`` on up to ``limit`` events at once, acking each when it returns.

    For agents whose steps wait on the outside world (webhooks, late items): one
    slow event never holds up the next, and since Faust commits an offset only
    when every earlier one is acked, nothing is skipped after a crash. More events
    wait on the stream (backpressure).
    """
    slots = asyncio.Semaphore(limit)
    running: set[asyncio.Task[None]] = set()

    async def one(event: faust.EventT) -> None:
        try:
            await handle(event)
            await stream.ack(event)
        finally:
            slots.release()

    async for events in stream.noack_take(limit, within=within):  # type: ignore[attr-defined]
        for event in events:
            await slots.acquire()
            task = asyncio.create_task(one(event))
            running.add(task)
            task.add_done_callback(running.discard)


def run_worker(app: faust.App, loglevel: str = "info") -> None:
    """Run a Faust worker in this process until SIGINT/SIGTERM."""
    from faust.worker import Worker

    asyncio.set_event_loop(asyncio.new_event_loop())
    worker = Worker(app, loglevel=loglevel, quiet=True)
    worker.spinner = None  # it writes terminal escapes even when stdout is not a terminal
    worker.execute_from_commandline()
