"""``/health`` (real broker, search server, collector state) and ``/metrics`` (Prometheus text)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from api.health import check_collectors
from tests.api.conftest import ApiEnv, auth, make_env
from tocsin import topics
from tocsin.kafka import client_kwargs, ensure_topics
from tocsin.settings import SearchSettings
from tocsin_embedded.broker import LocalBroker
from tocsin_embedded.ports import free_port
from tocsin_launch.api_wiring import stage_config


async def test_health_reports_each_part_and_a_stale_source_as_degraded(client: httpx.AsyncClient,
                                                                      env: ApiEnv) -> None:
    response = await client.get("/health", headers=auth(env, "viewer"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["broker"]["ok"] and body["checks"]["search"]["ok"]
    feeds = {f["name"]: f for f in body["checks"]["collectors"]["feeds"]}
    assert not feeds["feed-a"]["stale"] and feeds["feed-broken"]["stale"]
    assert feeds["feed-broken"]["last_error"] == "HTTP 503 <b>down</b>"
    assert any("feed-broken" in reason for reason in body["reasons"])


async def test_health_answers_head_as_uptime_checkers_send_it(client: httpx.AsyncClient) -> None:
    response = await client.head("/health")
    assert response.status_code == 200
    assert response.content == b"" and response.headers["content-type"] == "application/json"


async def test_health_is_503_with_the_reason_when_the_broker_is_unreachable(env: ApiEnv) -> None:
    dead = env.settings.model_copy(update={"kafka": env.settings.kafka.model_copy(
        update={"bootstrap_servers": f"127.0.0.1:{free_port()}"})})
    app = create_app(dead, stage_config=stage_config())
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://tocsin.test") as http:
        response = await http.get("/health", headers=auth(env, "viewer"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down" and body["checks"]["search"]["ok"]
    assert any(reason.startswith("broker unreachable") for reason in body["reasons"])


async def test_health_without_a_key_says_only_up_degraded_or_down(client: httpx.AsyncClient,
                                                                  env: ApiEnv) -> None:
    """Issue 14: unauthenticated /health showed each source's last error with its full feed URL."""
    response = await client.get("/health")
    assert (response.status_code, response.json()) == (200, {"status": "degraded"})
    assert "feed-broken" not in response.text and "503" not in response.text
    refused = await client.get("/health", headers={"X-API-Key": "not-a-key"})
    assert refused.status_code == 401 and set(refused.json()) == {"detail"}


def test_collectors_down_when_no_source_succeeded_lately(env: ApiEnv) -> None:
    import time

    later = time.time() + 30 * 86400
    assert check_collectors(env.settings.collector, now=later)["ok"] is False
    assert check_collectors(env.settings.collector)["ok"] is True
    missing = env.settings.collector.model_copy(update={"state_path": env.tmp / "nope.sqlite3"})
    assert check_collectors(missing)["ok"] is None


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


@pytest.fixture
def own_env(tmp_path: Path, search_settings: SearchSettings, own_broker: LocalBroker) -> ApiEnv:
    """Its own broker: the records this test writes must not reach other tests' topics."""
    return make_env(tmp_path, search_settings, own_broker)


async def test_metrics_count_topics_lag_dlq_alerts_archive_and_requests(own_env: ApiEnv) -> None:
    env = own_env
    app = create_app(env.settings, stage_config=stage_config())
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://tocsin.test") as client:
        await _check_metrics(client, env)


async def test_metrics_count_records_written_in_one_batch_on_the_embedded_broker(own_env: ApiEnv) -> None:
    """Tansu reports a partition's end as its last batch's start + 1: 670 on items.raw beside 679 archived."""
    env = own_env
    settings = env.settings.model_copy(update={"kafka": env.settings.kafka.model_copy(
        update={"verify_end_offsets": True})})
    await ensure_topics(settings.kafka, (topics.ITEMS_RAW,))
    raw = ("tocsin_topic_records_total", (("topic", "items.raw"),))
    app = create_app(settings, stage_config=stage_config())
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://tocsin.test") as client:
        before = samples((await client.get("/metrics")).text)[raw]
        producer = AIOKafkaProducer(**client_kwargs(settings.kafka), acks="all", linger_ms=200)
        await producer.start()
        try:
            sent = [await producer.send(topics.ITEMS_RAW, b"raw %d" % n, partition=0) for n in range(7)]
            await asyncio.gather(*sent)
        finally:
            await producer.stop()
        got = samples((await client.get("/metrics")).text)
        again = samples((await client.get("/metrics")).text)
    assert got[raw] == before + 7 and again[raw] == before + 7


async def _check_metrics(client: httpx.AsyncClient, env: ApiEnv) -> None:
    kafka = env.settings.kafka
    await ensure_topics(kafka, (topics.ITEMS_RAW, topics.ITEMS_DLQ))
    producer = AIOKafkaProducer(**client_kwargs(kafka), acks="all")
    await producer.start()
    try:
        for _ in range(5):
            await producer.send_and_wait(topics.ITEMS_DLQ, b"bad", key=b"k", partition=0)
        for _ in range(4):
            await producer.send_and_wait(topics.ITEMS_RAW, b"raw", key=b"k", partition=0)
    finally:
        await producer.stop()
    group = AIOKafkaConsumer(**client_kwargs(kafka), group_id="api-metrics-test", enable_auto_commit=False)
    await group.start()
    try:
        tp = TopicPartition(topics.ITEMS_RAW, 0)
        group.assign([tp])
        await group.commit({tp: 1})
    finally:
        await group.stop()
    await client.get("/alerts", headers={"X-API-Key": env.keys["viewer"]})
    await client.get("/alerts", headers={"X-API-Key": "wrong"})
    first = await client.get("/metrics")
    assert first.status_code == 200 and first.headers["content-type"].startswith("text/plain")
    got = samples(first.text)
    assert got[("tocsin_metrics_part_up", (("part", "topics"),))] == 1
    assert got[("tocsin_dlq_records_total", ())] == 5
    assert got[("tocsin_topic_records_total", (("topic", "items.raw"),))] == 4
    assert got[("tocsin_consumer_lag", (("group", "api-metrics-test"), ("topic", "items.raw")))] == 3
    assert got[("tocsin_archive_items", ())] == 41
    assert got[("tocsin_alerts", (("severity", "severe"), ("status", "open")))] == 1
    assert got[("tocsin_alerts", (("severity", "warning"), ("status", "resolved")))] == 1
    assert got[("tocsin_collector_reports_total", (("kind", "history_gap"), ("source", "feed-a")))] == 1
    for status in ("200", "401"):
        labels = (("method", "GET"), ("route", "/alerts"), ("status", status))
        assert got[("tocsin_api_requests_total", labels)] == 1
    second = samples((await client.get("/metrics")).text)
    assert ("tocsin_stage_items_per_second", (("stage", "archive"),)) in second
