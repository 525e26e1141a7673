"""The alerts worker on a real broker: an alert's whole life — opened, acknowledged
through an action signal, resolved by clock ticks after the hold — as versions on
the ``alerts`` topic and in both indices; and rules reloaded while it runs."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.alerts.factories import enriched
from tests.alerts.test_app import produce, read_topic
from tests.stack import Stack, es_query, wait_for
from tocsin import topics
from tocsin.actions import action_signal
from tocsin.kafka import ensure_topics
from tocsin.schema import Alert, AlertAction
from tocsin.settings import SearchSettings
from tocsin_embedded.broker import LocalBroker

pytestmark = pytest.mark.peers

RULES = """
rules:
  - name: burst
    type: frequency
    filter: {categories: [violence_report], min_score: 0.5}
    group_by: [country]
    window: 20s
    step: 5s
    threshold: 3
    realert: 1h
    resolve: {below: 1, hold: 3s}
"""

NEW_RULE = """
  - name: hate-now
    type: frequency
    filter: {categories: [hate_speech], min_score: 0.5}
    group_by: [country]
    window: 1h
    threshold: 2
"""


def now_item(item_id: str, category: str, country: str = "SD") -> tuple[bytes, bytes, float]:
    made = enriched(item_id, categories={category: 0.9}, country=country)
    when = datetime.now(UTC)
    made = made.model_copy(update={"published": when, "collected": when})
    return item_id.encode(), made.to_bytes(), when.timestamp()


def test_an_alert_opens_is_acknowledged_and_resolves_and_rules_reload_live(
        tmp_path: Path, own_broker: LocalBroker, search_settings: SearchSettings) -> None:
    stack = Stack(tmp_path, own_broker, search_settings, rules=RULES)
    stack.env.update({"TOCSIN_ALERTS__TICK_S": "1", "TOCSIN_ALERTS__RELOAD_S": "1"})
    settings = stack.settings()
    bootstrap = own_broker.bootstrap_servers
    asyncio.run(ensure_topics(settings.kafka))
    stack.start_workers("alert")
    try:
        asyncio.run(produce(bootstrap, [now_item(f"v{i}", "violence_report") for i in range(3)]))
        [opened] = [Alert.from_bytes(v) for v in asyncio.run(read_topic(bootstrap, topics.ALERTS, want=1,
                                                                           timeout=90))][:1]
        assert (opened.event, opened.version, opened.count) == ("opened", 1, 3)

        action = AlertAction(alert_id=opened.id, type="acknowledge", actor="ana")
        key, value = action_signal(opened, action)
        asyncio.run(produce(bootstrap, [(key, value, time.time())], topic=topics.ALERT_MATCHES))

        # The window (20 s) empties, the level stays below 1 for 3 s: resolved.
        def versions() -> list[Alert]:
            return [Alert.from_bytes(v) for v in asyncio.run(read_topic(bootstrap, topics.ALERTS, want=3,
                                                                         timeout=5))]
        wait_for(lambda: len(versions()) >= 3, "opened, acknowledged, resolved", timeout=90,
                 workers=stack.workers)
        lifecycle = versions()
        assert [(a.version, a.event, a.status) for a in lifecycle] == [
            (1, "opened", "open"), (2, "acknowledged", "open"), (3, "resolved", "resolved")]
        assert lifecycle[2].acknowledged_by == "ana" and lifecycle[2].resolved_at is not None
        assert {a.id for a in lifecycle} == {opened.id}

        wait_for(lambda: len(es_query(settings, settings.search.alert_versions_index)) == 3,
                 "three versions indexed", workers=stack.workers)
        [latest] = es_query(settings, settings.search.alerts_index)
        assert (latest["_id"], latest["_source"]["version"], latest["_source"]["status"]) == (
            opened.id, 3, "resolved")

        # A rule added to the file is picked up without a restart …
        (tmp_path / "rules.yaml").write_text(RULES + NEW_RULE)
        time.sleep(3)
        asyncio.run(produce(bootstrap, [now_item(f"h{i}", "hate_speech", "KE") for i in range(2)]))
        wait_for(lambda: any(a.rule == "hate-now" for a in
                             (Alert.from_bytes(v) for v in asyncio.run(
                                 read_topic(bootstrap, topics.ALERTS, want=4, timeout=5)))),
                 "the new rule's alert", timeout=60, workers=stack.workers)
        # … and a broken edit is refused, keeping the rules that run.
        (tmp_path / "rules.yaml").write_text(RULES.replace("threshold: 3", "threshold: many"))
        wait_for(lambda: "rules not reloaded" in stack.logs(), "the refused reload", timeout=30,
                 workers=stack.workers)
    except BaseException:
        print(stack.logs())
        raise
    finally:
        stack.stop_workers()


LONG = """
rules:
  - name: burst
    type: frequency
    filter: {categories: [violence_report], min_score: 0.5}
    group_by: [country]
    window: 1h
    step: 10m
    threshold: 3
    realert: 1h
"""


def test_a_killed_worker_restarts_with_its_alerts_and_windows(
        tmp_path: Path, own_broker: LocalBroker, search_settings: SearchSettings) -> None:
    """State lives in changelogged tables: after SIGKILL the new worker still knows the
    open alert (an action on it makes version 2) and the window's count (a 4th item
    updates the alert rather than opening a new one)."""
    stack = Stack(tmp_path, own_broker, search_settings, rules=LONG)
    stack.env.update({"TOCSIN_ALERTS__TICK_S": "1"})
    settings = stack.settings()
    bootstrap = own_broker.bootstrap_servers
    asyncio.run(ensure_topics(settings.kafka))
    stack.start_workers("alert")
    try:
        # The module's broker holds the other test's alerts too: this one is about Mali.
        asyncio.run(produce(bootstrap, [now_item(f"ml{i}", "violence_report", "ML") for i in range(3)]))

        def versions() -> list[Alert]:
            return [a for a in (Alert.from_bytes(v) for v in asyncio.run(
                read_topic(bootstrap, topics.ALERTS, want=100, timeout=3))) if a.group_key == "country=ML"]
        wait_for(lambda: bool(versions()), "the alert about Mali", timeout=90, workers=stack.workers)
        [opened] = versions()
        time.sleep(5)  # offsets committed: the new worker must rebuild state from the changelog
        stack.workers[0].kill()
        stack.workers[0].wait()
        stack.workers.clear()
        stack.start_workers("alert")
        action = AlertAction(alert_id=opened.id, type="note", actor="ana", text="after the crash")
        key, value = action_signal(opened, action)
        asyncio.run(produce(bootstrap, [(key, value, time.time())], topic=topics.ALERT_MATCHES))

        wait_for(lambda: any(v.event == "noted" for v in versions()), "the note after the restart",
                 timeout=120, workers=stack.workers)
        seen = versions()
        # Offsets not yet committed at the kill are read again: the same version 1
        # (same id, same content) may be published twice — at-least-once, idempotent.
        assert {(v.id, v.version, v.event) for v in seen} == {(opened.id, 1, "opened"),
                                                             (opened.id, 2, "noted")}
        [noted] = [v for v in seen if v.event == "noted"]
        assert (noted.count, [n.text for n in noted.notes]) == (3, ["after the crash"])
    except BaseException:
        print(stack.logs())
        raise
    finally:
        stack.stop_workers()
