"""The alerts stage as a Faust app: a thin shell over :mod:`alerts.pipeline`.

``items.enriched`` → (route) → ``alerts.matches`` keyed by rule and group, so each
group's windows and alert lifecycle live on one worker → (evaluate: the rules
engine) → ``alerts``, one record per alert version → (archive) → alerts and
alert-versions indices, served as an Atom feed at ``/alerts.atom``; and
``alerts`` → (notify) → the channels in ``config/notifiers.yaml``, and (evidence)
→ the frozen contributing items.

Clock ticks (for resolving open alerts and noticing silent groups) and analysts'
actions travel on ``alerts.matches`` too, under the group's key, so that every
change to a group's state happens in order on the worker that owns it.

Run with ``tocsin alert``. Counting is event-time: each match carries the item's
publication time as its Kafka timestamp, and the windows follow it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faust
from pydantic import ValidationError

from alerts.engine import Engine
from alerts.evidence.agent import add_evidence_agent
from alerts.notify import Notifier, load_notifiers
from alerts.notify.dispatch import Dispatcher
from alerts.pipeline import STAGE, AlertsPipeline, Outgoing, read_alerts
from alerts.reload import RulesFile
from alerts.rules import load_rules
from alerts.rules.base import Rule
from alerts.state import MappingStore
from alerts.store import AlertStore
from tocsin import topics
from tocsin.errors import QueryError
from tocsin.formats.atom import atom_feed
from tocsin.schema import Alert, DeadLetter
from tocsin.search import search_client, with_retries
from tocsin.settings import Settings
from tocsin.streams import ack_concurrently, deliver, make_app, topic, until_done
from tocsin.topics import Consumed

logger = logging.getLogger(__name__)

# Alerts being delivered at once by one worker; more wait on the stream (backpressure).
_MAX_IN_FLIGHT = 64


def consumed(event: faust.EventT) -> Consumed:
    return Consumed(value=event.value or b"", key=event.key, topic=event.message.topic,
                    partition=event.message.partition, offset=event.message.offset)


def create_app(settings: Settings, rules: list[Rule] | None = None,
               notifiers: list[Notifier] | None = None) -> faust.App:
    rules_file = Path(settings.alerts.rules_file)
    watcher = RulesFile(rules_file) if rules is None else None
    rules = rules if rules is not None else load_rules(rules_file)
    notifiers = notifiers if notifiers is not None else load_notifiers(
        Path(settings.alerts.notifiers_file), known_rules=[rule.config.name for rule in rules])
    unbatched = {"producer_max_batch_size": 1} if settings.kafka.one_record_per_batch else {}
    app = make_app(settings, STAGE, web_port=settings.alerts.web_port, **unbatched)
    # One table for every rule's windows and every group's alert lifecycle, one for
    # the groups that need clock ticks: rules can then change while the worker runs.
    pipeline = AlertsPipeline(Engine(rules, MappingStore(app.Table("alerts-state")),
                                     MappingStore(app.Table("alerts-watch"))))
    es = search_client(settings.search)
    store = AlertStore(es, settings.search.alerts_index, settings.search.alert_versions_index)
    batch_size, within = settings.processing.batch_size, settings.processing.batch_within_s

    async def send(records: Sequence[Outgoing]) -> None:
        """Publish and wait for the broker, retrying until it takes them (the records are idempotent)."""
        async def once() -> None:
            await asyncio.gather(*(deliver(app, r.topic, r.key, r.value, r.timestamp) for r in records))
        if records:
            await until_done(once, what=f"publishing {len(records)} record(s)")

    @app.on_before_shutdown.connect  # type: ignore[arg-type]
    async def close_search(app: faust.App, **_: Any) -> None:
        await es.close()

    @app.agent(topic(app, topics.ITEMS_ENRICHED))
    async def route(stream: faust.StreamT) -> None:
        """Fan each item out to the (rule, group) pairs it counts towards."""
        async for events in stream.noack_take(batch_size, within=within):  # type: ignore[attr-defined]
            await send(pipeline.route([consumed(event) for event in events]))
            for event in events:
                await stream.ack(event)

    @app.agent(topic(app, topics.ALERT_MATCHES))
    async def evaluate(stream: faust.StreamT) -> None:
        """Run each signal through the rules engine; publish the alert versions it makes."""
        async for event in stream.events():
            for record in pipeline.evaluate(consumed(event), time.time()):
                await send([record])

    @app.timer(settings.alerts.tick_s)
    async def tick() -> None:
        """A tick for every open alert and flatline group this worker holds."""
        ticks = pipeline.ticks(datetime.now(UTC))
        try:
            await asyncio.gather(*(deliver(app, r.topic, r.key, r.value, r.timestamp) for r in ticks))
        except Exception:  # the next tick comes soon; a lost one only delays a resolution
            logger.exception("sending clock ticks failed")

    if watcher is not None:
        @app.timer(settings.alerts.reload_s)
        async def reload_rules() -> None:
            changed = watcher.changed()
            if changed is not None:
                pipeline.engine.replace(changed)

    @app.agent(topic(app, topics.ALERTS))
    async def archive(stream: faust.StreamT) -> None:
        """Index raised alerts (idempotent by alert id) before acking them."""
        await with_retries(store.install, what="alerts index template")
        async for events in stream.noack_take(batch_size, within=within):  # type: ignore[attr-defined]
            alerts, letters = read_alerts([consumed(event) for event in events])
            for letter in letters:
                await send([letter])
            await with_retries(functools.partial(store.store, alerts), what="alerts index")
            for event in events:
                await stream.ack(event)

    if notifiers:
        _add_notify_agent(app, notifiers)
    add_evidence_agent(app, es, settings)

    @app.page("/alerts.atom")
    async def atom(web: Any, request: Any) -> Any:
        """The same feed as the API's ``/alerts.atom`` (no key: the port is the worker's own)."""
        try:
            body = await atom_feed(es, settings.search.alerts_index, request.query, feed_url=str(request.url),
                                   default_size=settings.alerts.feed_size)
        except QueryError as exc:
            return web.text(f"{exc}\n", status=400)
        return web.bytes(body, content_type="application/atom+xml")

    return app


def _add_notify_agent(app: faust.App, notifiers: list[Notifier]) -> None:
    async def to_dlq(letter: DeadLetter) -> None:
        publish = functools.partial(deliver, app, topics.ITEMS_DLQ, (letter.key or "").encode(),
                                    letter.to_bytes(), None)
        await until_done(publish, what="delivery dead letter")

    dispatcher = Dispatcher(notifiers, to_dlq)

    @app.on_before_shutdown.connect  # type: ignore[arg-type]
    async def close_notifiers(app: faust.App, **_: Any) -> None:
        for notifier in notifiers:
            if (aclose := getattr(notifier, "aclose", None)) is not None:
                await aclose()

    @app.agent(topic(app, topics.ALERTS))
    async def notify(stream: faust.StreamT) -> None:
        """Deliver each alert to every notifier, acking only once that is settled;
        alerts are handled concurrently, so one slow channel never holds up the next."""

        async def handle(event: faust.EventT) -> None:
            try:
                alert = Alert.from_bytes(event.value or b"")
            except ValidationError:  # the archive agent dead-letters it
                logger.warning("not delivering an invalid alert record")
                return
            await dispatcher.dispatch(alert)

        await ack_concurrently(stream, handle, limit=_MAX_IN_FLIGHT)
