"""The alerts stage, independent of Faust: what each agent and timer makes of what it read.

* ``route``: a batch of ``items.enriched`` → one signal per (rule, group) an item
  counts towards, on ``alerts.matches`` under the key ``rule|group_key``;
* ``evaluate``: one signal → the alert versions the engine makes of it, on ``alerts``;
* ``ticks``: a clock tick for every group that needs one;
* ``alerts``: a batch of ``alerts`` records → the alerts to index or deliver.

Each returns what to publish (:class:`Outgoing`), bad records included as dead
letters with the reason, and publishes nothing itself: the Faust shell
(``alerts.app``) sends it, waits for the broker, and only then acks what it read.
So a crash anywhere replays the input, and the engine's state (rule windows fold
each item once; actions apply once) makes the replay harmless.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from alerts.engine import Engine
from alerts.rules.base import match_all
from tocsin import topics
from tocsin.actions import signal_key
from tocsin.schema import Alert, DeadLetter, EnrichedItem, parse_signal
from tocsin.topics import Consumed

logger = logging.getLogger(__name__)

STAGE = "alerts"


@dataclass(frozen=True)
class Outgoing:
    """A record to publish: topic, key, value and the Kafka timestamp (None: now)."""

    topic: str
    key: bytes
    value: bytes
    timestamp: float | None = None


def dead_letter(message: Consumed, exc: ValidationError) -> Outgoing:
    """An invalid record, kept on the dead-letter topic with the reason."""
    letter = DeadLetter.of(stage=STAGE, reason="invalid", error=str(exc), payload=message.value,
                           topic=message.topic, partition=message.partition, offset=message.offset)
    return Outgoing(topics.ITEMS_DLQ, message.key or b"", letter.to_bytes())


class AlertsPipeline:
    """The alerts stage's logic over one :class:`~alerts.engine.Engine`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def route(self, batch: Sequence[Consumed]) -> list[Outgoing]:
        """Fan each item out to the (rule, group) pairs it counts towards, in event time."""
        out: list[Outgoing] = []
        for message in batch:
            try:
                item = EnrichedItem.from_bytes(message.value)
            except ValidationError as exc:
                out.append(dead_letter(message, exc))
                continue
            out += [Outgoing(topics.ALERT_MATCHES, signal_key(match.rule, match.group_key), match.to_bytes(),
                             match.event_time.timestamp())
                    for match in match_all(self.engine.rules, item)]
        return out

    def evaluate(self, message: Consumed, clock: float) -> list[Outgoing]:
        """Run one signal through the engine at ``clock``; its alert versions, keyed by alert id."""
        try:
            signal = parse_signal(message.value)
        except ValidationError as exc:
            return [dead_letter(message, exc)]
        out: list[Outgoing] = []
        for version in self.engine.handle(signal, clock):
            logger.info("alert %s v%d %s: %s", version.id, version.version, version.event, version.title)
            out.append(Outgoing(topics.ALERTS, version.id.encode(), version.to_bytes(),
                                version.updated_at.timestamp()))
        return out

    def ticks(self, now: datetime) -> list[Outgoing]:
        """A tick for every open alert and flatline group this worker holds."""
        return [Outgoing(topics.ALERT_MATCHES, signal_key(watched.rule, watched.group_key),
                         watched.tick(now).to_bytes(), now.timestamp())
                for watched in list(self.engine.watched())]


def read_alerts(batch: Sequence[Consumed]) -> tuple[list[Alert], list[Outgoing]]:
    """The alerts of a batch of ``alerts`` records, and dead letters for the invalid ones."""
    alerts: list[Alert] = []
    letters: list[Outgoing] = []
    for message in batch:
        try:
            alerts.append(Alert.from_bytes(message.value))
        except ValidationError as exc:
            letters.append(dead_letter(message, exc))
    return alerts, letters
