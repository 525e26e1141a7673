"""The spike, cardinality and percentage rules in one alerts worker on a real broker."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from tests.alerts.factories import T0, enriched
from tests.alerts.test_app import produce, read_topic
from tests.stack import Stack, es_query, wait_for
from tocsin import topics
from tocsin.kafka import ensure_topics
from tocsin.schema import Alert
from tocsin.settings import SearchSettings
from tocsin_embedded.broker import LocalBroker

pytestmark = pytest.mark.peers

RULES = """
rules:
  - name: violence-spike
    type: spike
    filter: {categories: [violence_report], min_score: 0.5}
    window: 1h
    baseline_windows: 3
    ratio: 2
    min_count: 3
    late: 1d
  - name: corroborated-hate
    type: cardinality
    filter: {categories: [hate_speech], min_score: 0.5}
    distinct: domain
    threshold: 3
    window: 1h
    step: 10m
    late: 1d
  - name: displacement-share
    type: percentage
    filter: {categories: [displacement], min_score: 0.5, countries: [CD, CF]}
    threshold_pct: 50
    min_total: 4
    window: 1h
    step: 10m
    late: 1d
"""


def item(item_id: str, country: str, minutes: float, category: str | None,
         host: str = "news.example") -> tuple[bytes, bytes, float]:
    made = enriched(item_id, minutes=minutes, country=country,
                    categories={category: 0.8} if category else {})
    made = made.model_copy(update={"url": f"https://{host}/{item_id}"})
    return item_id.encode(), made.to_bytes(), (T0 + timedelta(minutes=minutes)).timestamp()


def test_spike_cardinality_and_percentage_raise_exactly_the_expected_alerts(
        tmp_path: Path, own_broker: LocalBroker, search_settings: SearchSettings) -> None:
    stack = Stack(tmp_path, own_broker, search_settings, rules=RULES)
    asyncio.run(ensure_topics(stack.settings().kafka))
    records = []
    # Spike: Sudan had one report an hour for three hours, then three in one hour
    # (3 >= 2 × 1); Mali had two an hour, then three (3 < 2 × 2).
    for hour in (-3, -2, -1):
        records.append(item(f"sd{hour}", "SD", hour * 60 + 5, "violence_report"))
        records += [item(f"ml{hour}-{i}", "ML", hour * 60 + 5 + i, "violence_report") for i in range(2)]
    records += [item(f"sd-now-{m}", "SD", m, "violence_report") for m in (10, 20, 30)]
    records += [item(f"ml-now-{m}", "ML", m, "violence_report") for m in (10, 20, 30)]
    # Cardinality: Ethiopia from three domains (www. is the same site); Kenya
    # four times from one.
    for i, host in enumerate(["a.example", "b.example", "www.b.example", "c.example"]):
        records.append(item(f"et-{i}", "ET", 5 + i, "hate_speech", host))
        records.append(item(f"ke-{i}", "KE", 5 + i, "hate_speech"))
    # Percentage: DR Congo two of four items on displacement; CAR one of four.
    for i, category in enumerate(["displacement", "displacement", None, None]):
        records.append(item(f"cd-{i}", "CD", 5 + i, category))
    for i, category in enumerate(["displacement", None, None, None]):
        records.append(item(f"cf-{i}", "CF", 5 + i, category))
    stack.start_workers("alert")
    try:
        asyncio.run(produce(own_broker.bootstrap_servers, records))
        raised = [Alert.from_bytes(v) for v in
                  asyncio.run(read_topic(own_broker.bootstrap_servers, topics.ALERTS, want=3))]
        by_rule = {a.rule: a for a in raised}
        assert sorted((a.rule, a.group_key) for a in raised) == [
            ("corroborated-hate", "country=ET"), ("displacement-share", "country=CD"),
            ("violence-spike", "country=SD")], [a.title for a in raised]

        spike = by_rule["violence-spike"]
        assert (spike.count, spike.expected, spike.z_score) == (3, 1.0, 2.0)
        assert spike.window_start == T0 and spike.window_end == T0 + timedelta(hours=1)
        assert sorted(spike.sample_item_ids) == ["sd-now-10", "sd-now-20", "sd-now-30"]

        corroborated = by_rule["corroborated-hate"]
        assert corroborated.count == 3
        assert corroborated.details["values"] == "a.example, b.example, c.example"

        share = by_rule["displacement-share"]
        assert (share.count, share.details["total"], share.details["percentage"]) == (2, 4, 50.0)
        assert sorted(share.sample_item_ids) == ["cd-0", "cd-1"]

        # The new fields index, and the numbers stay numbers.
        settings = stack.settings()
        wait_for(lambda: len(es_query(settings, settings.search.alerts_index)) == 3, "three indexed alerts",
                 workers=stack.workers)
        hits = es_query(settings, settings.search.alerts_index,
                        query={"range": {"z_score": {"gte": 2}}})
        assert [h["_source"]["rule"] for h in hits] == ["violence-spike"]
    except BaseException:
        print(stack.logs())
        raise
    finally:
        stack.stop_workers()
