"""``/alerts/stream`` over a real uvicorn server: live versions, Last-Event-ID replay, heartbeats,
and the slow-client drop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import httpx
import pytest
import uvicorn
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI

from api.app import create_app
from api.stream import QUEUE_SIZE, AlertHub
from tests.api.conftest import HOSTILE, T0, ApiEnv, alert_history, alert_version, make_env
from tocsin import topics
from tocsin.kafka import client_kwargs, ensure_topics
from tocsin.schema import Alert
from tocsin.settings import KafkaSettings, SearchSettings
from tocsin_embedded.broker import LocalBroker
from tocsin_embedded.ports import free_port
from tocsin_launch.api_wiring import stage_config


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, search_settings: SearchSettings,
        own_broker: LocalBroker) -> Iterator[ApiEnv]:
    made = make_env(tmp_path_factory.mktemp("api-stream"), search_settings, own_broker)
    asyncio.run(ensure_topics(made.settings.kafka, (topics.ALERTS,)))
    yield made


@pytest.fixture
async def served(env: ApiEnv) -> AsyncIterator[tuple[str, FastAPI]]:
    app = create_app(env.settings, stage_config=stage_config(), heartbeat_s=0.5)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning"))
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(30):
            while not server.started:
                await asyncio.sleep(0.05)
            await app.state.ctx.hub.ready.wait()
        yield f"http://127.0.0.1:{server.config.port}", app
    finally:
        server.should_exit = True
        await task


async def publish(env: ApiEnv, *alerts: Alert) -> None:
    producer = AIOKafkaProducer(**client_kwargs(env.settings.kafka), acks="all")
    await producer.start()
    try:
        for alert in alerts:
            await producer.send_and_wait(topics.ALERTS, alert.to_bytes(), key=alert.id.encode())
    finally:
        await producer.stop()


class Events:
    """SSE frames off a streaming response: (event, id, data) and comment lines."""

    def __init__(self, response: httpx.Response) -> None:
        self.lines = response.aiter_lines()

    async def next_frame(self) -> dict[str, str]:
        frame: dict[str, str] = {}
        async for line in self.lines:
            if line == "":
                if frame:
                    return frame
                continue
            if line.startswith(":"):
                frame.setdefault("comment", line[1:].strip())
                continue
            name, _, value = line.partition(": ")
            frame[name] = value
        raise AssertionError("the stream ended")

    async def next_alert(self) -> tuple[str, Alert]:
        while True:
            frame = await self.next_frame()
            if frame.get("event") == "alert":
                return frame["id"], Alert.model_validate_json(frame["data"])


async def test_a_version_published_on_alerts_reaches_the_client(served: tuple[str, FastAPI],
                                                                 env: ApiEnv) -> None:
    url, _ = served
    live = alert_version("a-live", 1, title=HOSTILE, updated_at=T0 + timedelta(days=2))
    async with httpx.AsyncClient(base_url=url, timeout=30) as http, http.stream(
            "GET", "/alerts/stream", headers={"X-API-Key": env.keys["viewer"]}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = Events(response)
        assert (await events.next_frame()) == {"comment": "connected"}
        await publish(env, live)
        async with asyncio.timeout(20):
            event_id, alert = await events.next_alert()
        assert event_id == "a-live.v1" and alert == live


async def test_last_event_id_replays_newer_stored_versions_first_without_repeats(
        served: tuple[str, FastAPI], env: ApiEnv) -> None:
    url, _ = served
    already_stored = alert_history()["a-kenya"][1]  # replayed from the index, then published again
    new = alert_version("a-sudan", 4, event="updated", updated_at=T0 + timedelta(days=3))
    headers = {"X-API-Key": env.keys["viewer"], "Last-Event-ID": "a-sudan.v1"}
    async with httpx.AsyncClient(base_url=url, timeout=30) as http, http.stream(
            "GET", "/alerts/stream", headers=headers) as response:
        events = Events(response)
        async with asyncio.timeout(20):
            replayed = [(await events.next_alert())[0] for _ in range(5)]
            assert replayed == ["a-sudan.v2", "a-sudan.v3", "a-kenya.v1", "a-kenya.v2", "a-hostile.v1"]
            await publish(env, already_stored, new)
            assert (await events.next_alert())[0] == "a-sudan.v4"


async def test_heartbeats_keep_an_idle_stream_open(served: tuple[str, FastAPI], env: ApiEnv) -> None:
    url, _ = served
    async with httpx.AsyncClient(base_url=url, timeout=30) as http, http.stream(
            "GET", "/alerts/stream", headers={"Authorization": f"Bearer {env.keys['viewer']}"}) as response:
        events = Events(response)
        async with asyncio.timeout(10):
            assert (await events.next_frame()) == {"comment": "connected"}
            assert (await events.next_frame()) == {"comment": "heartbeat"}


async def test_a_slow_client_is_dropped_and_the_others_get_everything() -> None:
    hub = AlertHub(KafkaSettings())
    slow, fast = hub.subscribe(), hub.subscribe()
    received: list[str] = []
    for n in range(QUEUE_SIZE + 5):
        hub.fan_out(f"a.v{n}", b"frame")
        entry = fast.queue.get_nowait()
        assert entry is not None
        received.append(entry[0])
    assert received == [f"a.v{n}" for n in range(QUEUE_SIZE + 5)]
    assert slow.dropped and slow.queue.get_nowait() is None and slow.queue.empty()
    assert hub.subscribers == 1 and hub.dropped == 1
