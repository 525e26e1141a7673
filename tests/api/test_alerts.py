"""Alert routes against the real search server; actions against the real broker."""

from __future__ import annotations

import asyncio
import io
import zipfile
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer
from lxml import etree

from tests.api.conftest import HOSTILE, ApiEnv, auth
from tocsin import topics
from tocsin.formats.cap import validate_cap
from tocsin.kafka import client_kwargs, ensure_topics
from tocsin.schema import ActionSignal, parse_signal


async def get(client: httpx.AsyncClient, env: ApiEnv, path: str, role: str = "viewer",
              **params: Any) -> dict:
    response = await client.get(path, params=params, headers=auth(env, role))
    assert response.status_code == 200, response.text
    return response.json()


async def test_list_is_latest_versions_most_recently_changed_first(client: httpx.AsyncClient,
                                                                  env: ApiEnv) -> None:
    alerts = (await get(client, env, "/alerts"))["alerts"]
    assert [(a["id"], a["version"]) for a in alerts] == [("a-hostile", 1), ("a-kenya", 2), ("a-sudan", 3)]


async def test_list_filters(client: httpx.AsyncClient, env: ApiEnv) -> None:
    async def ids(**params: Any) -> list[str]:
        return [a["id"] for a in (await get(client, env, "/alerts", **params))["alerts"]]

    assert await ids(status="resolved") == ["a-kenya"]
    assert await ids(status="open") == ["a-hostile", "a-sudan"]
    assert await ids(severity="extreme,severe") == ["a-hostile", "a-sudan"]
    assert await ids(rule="hate-surge") == ["a-hostile", "a-kenya"]
    assert await ids(country="sd") == ["a-sudan"]
    assert await ids(country="KE") == ["a-kenya"]  # from its area: the rule groups by language
    assert await ids(size=1) == ["a-hostile"]
    response = await client.get("/alerts", params={"severity": "loud"}, headers=auth(env, "viewer"))
    assert response.status_code == 400 and "not a severity" in response.json()["detail"]


async def test_detail_has_every_version_in_order_and_the_items(client: httpx.AsyncClient,
                                                                env: ApiEnv) -> None:
    body = await get(client, env, "/alerts/a-sudan")
    assert body["alert"]["version"] == 3
    assert body["alert"]["notes"][0]["text"] == "checking with the field team"
    assert [v["version"] for v in body["versions"]] == [1, 2, 3]
    assert [v["event"] for v in body["versions"]] == ["opened", "acknowledged", "noted"]
    assert sorted(i["id"] for i in body["items"]) == ["item-000", "item-002", "item-004"]
    assert (await client.get("/alerts/a-nope", headers=auth(env, "viewer"))).status_code == 404


async def test_hostile_alert_text_round_trips_as_json(client: httpx.AsyncClient, env: ApiEnv) -> None:
    body = await get(client, env, "/alerts/a-hostile")
    assert body["alert"]["title"] == HOSTILE and body["alert"]["sample_titles"] == [HOSTILE]
    assert body["items"][0]["title"] == HOSTILE


async def test_atom_feed_escapes_and_filters(client: httpx.AsyncClient, env: ApiEnv) -> None:
    response = await client.get("/alerts.atom", params={"rule": "hate-surge"}, headers=auth(env, "viewer"))
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/atom+xml")
    assert b"<script>" not in response.content and b"javascript:" not in response.content
    feed = etree.fromstring(response.content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = feed.xpath("//a:entry/a:title/text()", namespaces=ns)
    assert len(titles) == 2 and any(t.endswith(HOSTILE) for t in titles)
    assert feed.xpath("/a:feed/a:link[@rel='self']/@href", namespaces=ns) == [
        "https://tocsin.example.org/alerts.atom?rule=hate-surge"]


async def test_atom_feed_takes_every_filter_the_workers_feed_took(client: httpx.AsyncClient,
                                                                   env: ApiEnv) -> None:
    ns = {"a": "http://www.w3.org/2005/Atom"}

    async def ids(**params: str) -> list[str]:
        response = await client.get("/alerts.atom", params=params, headers=auth(env, "viewer"))
        assert response.status_code == 200, response.text
        return [i.removeprefix("urn:tocsin:alert:")
                for i in etree.fromstring(response.content).xpath("//a:entry/a:id/text()", namespaces=ns)]

    assert await ids(lang="en") == ["a-hostile", "a-kenya"]
    assert await ids(lang="en", limit="1") == ["a-hostile"]
    assert await ids(lang="fr") == []
    assert await ids(country="KE") == ["a-kenya"]            # by the alert's area
    assert await ids(status="resolved", rule="hate-surge,violence-by-country") == ["a-kenya"]
    for bad in ({"limit": "0"}, {"severity": "critical"}):
        response = await client.get("/alerts.atom", params=bad, headers=auth(env, "viewer"))
        assert response.status_code in (400, 422), response.text


async def test_cap_is_valid_with_references_to_earlier_versions(client: httpx.AsyncClient,
                                                                 env: ApiEnv) -> None:
    response = await client.get("/alerts/a-sudan.cap", headers=auth(env, "viewer"))
    assert response.status_code == 200, response.text
    validate_cap(response.content)
    cap = etree.fromstring(response.content)
    ns = {"c": "urn:oasis:names:tc:emergency:cap:1.2"}
    assert cap.xpath("c:identifier/text()", namespaces=ns) == ["a-sudan.v3"]
    assert cap.xpath("c:sender/text()", namespaces=ns) == ["tocsin@tocsin.example.org"]
    references = cap.xpath("c:references/text()", namespaces=ns)[0]
    assert "a-sudan.v1" in references and "a-sudan.v2" in references
    first = await client.get("/alerts/a-sudan.cap", params={"version": 1}, headers=auth(env, "viewer"))
    assert etree.fromstring(first.content).xpath("c:identifier/text()", namespaces=ns) == ["a-sudan.v1"]
    missing = await client.get("/alerts/a-sudan.cap", params={"version": 9}, headers=auth(env, "viewer"))
    assert missing.status_code == 404


async def test_cap_escapes_hostile_text(client: httpx.AsyncClient, env: ApiEnv) -> None:
    response = await client.get("/alerts/a-hostile.cap", headers=auth(env, "viewer"))
    assert response.status_code == 200, response.text
    validate_cap(response.content)
    assert b"<script>" not in response.content


async def test_evidence_is_frozen_viewed_and_exported_by_the_key_holder(client: httpx.AsyncClient,
                                                                       env: ApiEnv) -> None:
    response = await client.get("/alerts/a-kenya/evidence", headers=auth(env, "analyst"))
    assert response.status_code == 200, response.text
    record = response.json()
    assert sorted(i["item_id"] for i in record["items"]) == ["item-001", "item-003"]
    assert record["custody"][-1]["action"] == "viewed" and record["custody"][-1]["actor"] == "analyst-person"
    bundle = await client.get("/alerts/a-kenya/evidence.zip", headers=auth(env, "analyst"))
    assert bundle.status_code == 200 and bundle.headers["content-type"] == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(bundle.content)).namelist()
    custody = (await client.get("/alerts/a-kenya/evidence", headers=auth(env, "analyst"))).json()["custody"]
    assert [e["action"] for e in custody][-2:] == ["exported", "viewed"]
    assert (await client.get("/alerts/a-nope/evidence", headers=auth(env, "analyst"))).status_code == 404


async def test_actions_publish_signals_for_the_alerts_worker(client: httpx.AsyncClient, env: ApiEnv) -> None:
    await ensure_topics(env.settings.kafka, (topics.ALERT_MATCHES,))
    consumer = AIOKafkaConsumer(topics.ALERT_MATCHES, **client_kwargs(env.settings.kafka), group_id=None,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    try:
        headers = auth(env, "analyst")
        ack = await client.post("/alerts/a-sudan/ack", headers=headers)
        assert ack.status_code == 202, ack.text
        assert ack.json()["action"]["type"] == "acknowledge"
        assert ack.json()["action"]["actor"] == "analyst-person"
        assign = await client.post("/alerts/a-sudan/assign", json={"assignee": "field team"}, headers=headers)
        note = await client.post("/alerts/a-sudan/note", json={"text": HOSTILE}, headers=headers)
        assert assign.status_code == note.status_code == 202
        empty = await client.post("/alerts/a-sudan/note", json={"text": ""}, headers=headers)
        assert empty.status_code == 422
        assert (await client.post("/alerts/a-nope/ack", headers=headers)).status_code == 404
        signals: list[tuple[bytes, ActionSignal]] = []
        async with asyncio.timeout(30):
            while len(signals) < 3:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    signals += [(r.key, signal) for r in records
                                if r.value and isinstance(signal := parse_signal(r.value), ActionSignal)
                                and signal.action.alert_id == "a-sudan"]
        assert [(s.action.type, s.action.text) for _, s in signals] == [
            ("acknowledge", ""), ("assign", "field team"), ("note", HOSTILE)]
        assert {key for key, _ in signals} == {b"violence-by-country|country=SD"}
        assert all(s.rule == "violence-by-country" and s.kind == "action" for _, s in signals)
    finally:
        await consumer.stop()
