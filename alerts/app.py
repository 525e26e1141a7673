"""The alerts stage as a Faust app.

``items.enriched`` → (route) → ``alerts.matches`` keyed by rule and group, so each
group's windows and alert lifecycle live on one worker → (evaluate: the rules
engine) → ``alerts``, one record per alert version → (archive) → alerts and
alert-versions indices, served as an Atom feed at ``/alerts.atom``; and
``alerts`` → (notify) → the channels in ``config/notifiers.yaml``.

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
from collections.abc import Awaitable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faust
from pydantic import ValidationError

from alerts.actions import signal_key
from alerts.atom import render_atom
from alerts.engine import Engine
from alerts.evidence.agent import add_evidence_agent
from alerts.notify import Notifier, load_notifiers
from alerts.notify.dispatch import Dispatcher
from alerts.reload import RulesFile
from alerts.rules import load_rules
from alerts.rules.base import Rule, match_all
from alerts.state import MappingStore
from alerts.store import AlertStore
from tocsin import topics
from tocsin.schema import Alert, DeadLetter, EnrichedItem, parse_signal
from tocsin.search import search_client, with_retries
from tocsin.settings import Settings
from tocsin.streams import ack_concurrently, deliver, make_app, topic, until_done

logger = logging.getLogger(__name__)

STAGE = "alerts"
_GROUP_PARAMS = ("country", "lang", "city")


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
    engine = Engine(rules, MappingStore(app.Table("alerts-state")), MappingStore(app.Table("alerts-watch")))
    es = search_client(settings.search)
    store = AlertStore(es, settings.search.alerts_index, settings.search.alert_versions_index)
    batch_size, within = settings.processing.batch_size, settings.processing.batch_within_s

    @app.on_before_shutdown.connect  # type: ignore[arg-type]
    async def close_search(app: faust.App, **_: Any) -> None:
        await es.close()

    def dead_letter(event: faust.EventT, exc: ValidationError) -> Awaitable[None]:
        letter = DeadLetter.of(stage=STAGE, reason="invalid", error=str(exc), payload=event.value or b"",
                               topic=event.message.topic, partition=event.message.partition,
                               offset=event.message.offset)
        return deliver(app, topics.ITEMS_DLQ, event.key or b"", letter.to_bytes(), None)

    @app.agent(topic(app, topics.ITEMS_ENRICHED))
    async def route(stream: faust.StreamT) -> None:
        """Fan each item out to the (rule, group) pairs it counts towards."""
        async for events in stream.noack_take(  # type: ignore[attr-defined]
                batch_size, within=within):

            async def fan_out(events: list[faust.EventT] = events) -> None:
                sends = []
                for event in events:
                    try:
                        item = EnrichedItem.from_bytes(event.value or b"")
                    except ValidationError as exc:
                        sends.append(dead_letter(event, exc))
                        continue
                    for match in match_all(engine.rules, item):
                        key = signal_key(match.rule, match.group_key)
                        sends.append(deliver(app, topics.ALERT_MATCHES, key, match.to_bytes(),
                                             match.event_time.timestamp()))
                await asyncio.gather(*sends)

            await until_done(fan_out, what="routing a batch")
            for event in events:
                await stream.ack(event)

    @app.agent(topic(app, topics.ALERT_MATCHES))
    async def evaluate(stream: faust.StreamT) -> None:
        """Run each signal through the rules engine; publish the alert versions it makes."""
        async for event in stream.events():
            try:
                signal = parse_signal(event.value or b"")
            except ValidationError as exc:
                await until_done(functools.partial(dead_letter, event, exc), what="dead letter")
                continue
            for version in engine.handle(signal, time.time()):
                logger.info("alert %s v%d %s: %s", version.id, version.version, version.event, version.title)
                publish = functools.partial(deliver, app, topics.ALERTS, version.id.encode(),
                                            version.to_bytes(), version.updated_at.timestamp())
                await until_done(publish, what="publishing an alert")

    @app.timer(settings.alerts.tick_s)
    async def tick() -> None:
        """A tick for every open alert and flatline group this worker holds."""
        now = datetime.now(UTC)
        sends = []
        for watched in list(engine.watched()):
            signal = watched.tick(now)
            sends.append(deliver(app, topics.ALERT_MATCHES, signal_key(watched.rule, watched.group_key),
                                 signal.to_bytes(), now.timestamp()))
        try:
            await asyncio.gather(*sends)
        except Exception:  # the next tick comes soon; a lost one only delays a resolution
            logger.exception("sending clock ticks failed")

    if watcher is not None:
        @app.timer(settings.alerts.reload_s)
        async def reload_rules() -> None:
            changed = watcher.changed()
            if changed is not None:
                engine.replace(changed)

    @app.agent(topic(app, topics.ALERTS))
    async def archive(stream: faust.StreamT) -> None:
        """Index raised alerts (idempotent by alert id) before acking them."""
        await with_retries(store.install, what="alerts index template")
        async for events in stream.noack_take(  # type: ignore[attr-defined]
                batch_size, within=within):
            alerts: list[Alert] = []
            for event in events:
                try:
                    alerts.append(Alert.from_bytes(event.value or b""))
                except ValidationError as exc:
                    await until_done(functools.partial(dead_letter, event, exc), what="dead letter")
            await with_retries(functools.partial(store.store, alerts), what="alerts index")
            for event in events:
                await stream.ack(event)

    if notifiers:
        _add_notify_agent(app, notifiers)
    add_evidence_agent(app, es, settings)

    @app.page("/alerts.atom")
    async def atom_feed(web: Any, request: Any) -> Any:
        query = request.query
        group = {name: query[name] for name in _GROUP_PARAMS if query.get(name)}
        try:
            size = min(int(query.get("limit", settings.alerts.feed_size)), 1000)
        except ValueError:
            size = settings.alerts.feed_size
        latest = await store.latest(size, rule=query.get("rule"), severity=query.get("severity"),
                                    status=query.get("status"), group=group)
        feed_url = str(request.url)
        return web.bytes(render_atom(latest, feed_url=feed_url),
                         content_type="application/atom+xml")

    return app


# Alerts being delivered at once by one worker; more wait on the stream (backpressure).
_MAX_IN_FLIGHT = 64


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
