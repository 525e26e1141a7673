"""alerts.pipeline without servers: what the worker publishes for items, signals, ticks and
alert records, dead letters included; the Faust shell only sends it."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from alerts.engine import Engine
from alerts.pipeline import AlertsPipeline, Outgoing, read_alerts
from alerts.rules import load_rules
from alerts.state import MappingStore
from tests.alerts.factories import T0, enriched
from tocsin import topics
from tocsin.schema import Alert, DeadLetter, ItemSignal, TickSignal, parse_signal
from tocsin.topics import Consumed

RULES = """
rules:
  - name: burst
    type: frequency
    filter: {categories: [violence_report]}
    group_by: [country]
    window: 1h
    step: 10m
    threshold: 2
    resolve: {hold: 10m}
  - name: by-lang
    type: frequency
    filter: {categories: [violence_report]}
    group_by: [lang]
    window: 1h
    threshold: 5
"""
VIOLENT = {"violence_report": 0.9}


@pytest.fixture
def pipeline(tmp_path: Path) -> AlertsPipeline:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES, encoding="utf-8")
    return AlertsPipeline(Engine(load_rules(path), MappingStore(), MappingStore()))


def item(item_id: str, minutes: float, country: str = "SD") -> Consumed:
    return Consumed(enriched(item_id, minutes=minutes, country=country, categories=VIOLENT).to_bytes(),
                    key=item_id.encode(), topic=topics.ITEMS_ENRICHED, partition=0, offset=7)


def evaluate_all(pipeline: AlertsPipeline, routed: list[Outgoing], clock: float) -> list[Outgoing]:
    return [out for record in routed for out in pipeline.evaluate(Consumed(record.value), clock)]


def test_route_makes_one_signal_per_rule_and_group_keyed_and_stamped_in_event_time(
        pipeline: AlertsPipeline) -> None:
    calm = Consumed(enriched("calm", minutes=6, categories={}).to_bytes())
    routed = pipeline.route([item("i-1", 5), calm])
    assert [(r.topic, r.key) for r in routed] == [
        (topics.ALERT_MATCHES, b"burst|country=SD"), (topics.ALERT_MATCHES, b"by-lang|lang=en")]
    assert all(r.timestamp == (T0 + timedelta(minutes=5)).timestamp() for r in routed)
    signal = parse_signal(routed[0].value)
    assert isinstance(signal, ItemSignal) and (signal.item_id, signal.group) == ("i-1", {"country": "SD"})


def test_an_invalid_item_is_dead_lettered_with_where_it_was_read(pipeline: AlertsPipeline) -> None:
    [letter] = pipeline.route([Consumed(b'{"not": "an item"}', key=b"k", topic=topics.ITEMS_ENRICHED,
                                        partition=1, offset=42)])
    assert (letter.topic, letter.key, letter.timestamp) == (topics.ITEMS_DLQ, b"k", None)
    dead = DeadLetter.from_bytes(letter.value)
    assert (dead.stage, dead.reason, dead.topic, dead.partition, dead.offset) == (
        "alerts", "invalid", topics.ITEMS_ENRICHED, 1, 42)
    assert "validation error" in dead.error


def test_evaluate_publishes_each_alert_version_keyed_by_alert_id(pipeline: AlertsPipeline) -> None:
    clock = (T0 + timedelta(minutes=20)).timestamp()
    assert evaluate_all(pipeline, pipeline.route([item("i-1", 5)]), clock) == []
    [out] = evaluate_all(pipeline, pipeline.route([item("i-2", 15)]), clock)
    alert = Alert.from_bytes(out.value)
    assert (out.topic, out.key, out.timestamp) == (topics.ALERTS, alert.id.encode(), clock)
    assert (alert.rule, alert.event, alert.count, alert.version) == ("burst", "opened", 2, 1)


def test_a_replayed_batch_changes_nothing(pipeline: AlertsPipeline) -> None:
    clock = (T0 + timedelta(minutes=20)).timestamp()
    batch = pipeline.route([item("i-1", 5), item("i-2", 15)])
    assert len(evaluate_all(pipeline, batch, clock)) == 1
    assert evaluate_all(pipeline, batch, clock) == []  # redelivered after a crash: folded once


def test_an_invalid_signal_is_dead_lettered(pipeline: AlertsPipeline) -> None:
    [letter] = pipeline.evaluate(Consumed(b'{"kind": "tick"}', topic=topics.ALERT_MATCHES), 0.0)
    assert letter.topic == topics.ITEMS_DLQ
    assert DeadLetter.from_bytes(letter.value).topic == topics.ALERT_MATCHES


def test_ticks_go_to_open_alerts_only_and_let_them_resolve(pipeline: AlertsPipeline) -> None:
    assert pipeline.ticks(T0) == []
    opened_at = (T0 + timedelta(minutes=20)).timestamp()
    evaluate_all(pipeline, pipeline.route([item("i-1", 5), item("i-2", 15)]), opened_at)
    later = T0 + timedelta(hours=3)
    [tick] = pipeline.ticks(later)
    signal = parse_signal(tick.value)
    assert isinstance(signal, TickSignal) and (tick.key, tick.timestamp) == (b"burst|country=SD",
                                                                             later.timestamp())
    assert pipeline.evaluate(Consumed(tick.value), later.timestamp()) == []  # below since now
    much_later = later + timedelta(minutes=11)
    [resolved] = pipeline.evaluate(Consumed(pipeline.ticks(much_later)[0].value), much_later.timestamp())
    assert json.loads(resolved.value)["event"] == "resolved"
    assert pipeline.ticks(much_later + timedelta(minutes=1)) == []


def test_read_alerts_keeps_the_valid_and_dead_letters_the_rest() -> None:
    alert = Alert(id="a-1", rule="burst", rule_type="frequency", title="t", group={"country": "SD"},
                  group_key="country=SD", window_start=T0, window_end=T0, count=2, threshold=2,
                  sample_item_ids=[], first_seen=T0, last_seen=T0, raised_at=T0)
    alerts, letters = read_alerts([Consumed(alert.to_bytes()), Consumed(b"[]", topic=topics.ALERTS)])
    assert alerts == [alert]
    assert [DeadLetter.from_bytes(letter.value).topic for letter in letters] == [topics.ALERTS]
