"""The analyst's loop over the API: why items counted, the baseline behind a rule, the custody
log, resolving and dismissing alerts, and verdicts on items exported as labelled CSV."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from tests.api.conftest import T0, ApiEnv, auth, make_env
from tocsin import topics
from tocsin.kafka import client_kwargs, ensure_topics
from tocsin.schema import ActionSignal, parse_signal
from tocsin.settings import SearchSettings

pytestmark = pytest.mark.peers

RULE = """
  - name: violence-by-country
    type: frequency
    filter: {categories: [violence_report], min_score: 0.3}
    group_by: [country]
    window: 1h
    threshold: 3
  - name: violence-at-place
    type: frequency
    filter: {categories: [violence_report], min_score: 0.3, places: [PLACE]}
    group_by: [country]
    window: 1h
    threshold: 3
  - name: violence-in-nowhere
    type: frequency
    filter: {categories: [violence_report], min_score: 0.3, places: [Nowhere]}
    group_by: [country]
    window: 1h
    threshold: 3
"""


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, search_settings: SearchSettings,
        broker) -> Iterator[ApiEnv]:
    made = make_env(tmp_path_factory.mktemp("loop"), search_settings, broker)
    rules = made.settings.alerts.rules_file
    rules.write_text(rules.read_text(encoding="utf-8") + RULE, encoding="utf-8")
    yield made


async def test_detail_says_why_each_item_counted(client: httpx.AsyncClient, env: ApiEnv) -> None:
    body = (await client.get("/alerts/a-sudan", headers=auth(env, "viewer"))).json()
    assert body["rule"]["filter"] == {"categories": ["violence_report"], "min_score": 0.3}
    assert body["rule"]["group_by"] == ["country"] and body["rule"]["window_s"] == 3600
    first = next(item for item in body["items"] if item["id"] == "item-000")
    assert first["scores"] == {"violence_report": 0.3}
    assert first["matched_terms"] == {"violence_report": ["violence_report"]}
    assert first["models"] == {"violence_report": "keywords/1"}
    assert body["labels"] == []
    gone = (await client.get("/alerts/a-kenya", headers=auth(env, "viewer"))).json()
    assert gone["rule"] is None  # hate-surge is not in the running rules file


async def test_baseline_counts_what_the_rule_counts_for_the_group(client: httpx.AsyncClient,
                                                                  env: ApiEnv) -> None:
    """As the dashboard asks for it: the rule, group and window end of the alert it holds."""
    params = {"rule": "violence-by-country", "group": ["country:SD"],
              "until": (T0 + timedelta(hours=6)).isoformat()}
    body = (await client.get("/baseline", params=params, headers=auth(env, "viewer"))).json()
    assert body["interval"] == "hour" and body["rule_found"] is True
    assert len(body["counts"]) == 48
    assert datetime.fromisoformat(body["to"]) == T0 + timedelta(hours=6)
    nonzero = {datetime.fromtimestamp(c["ts"] / 1000, T0.tzinfo): c["count"]
               for c in body["counts"] if c["count"]}
    # The violent Sudan items at hours 0, 2, 4 (Kenya's and the market reports are not counted).
    assert nonzero == {T0: 1, T0 + timedelta(hours=2): 1, T0 + timedelta(hours=4): 1}
    other = (await client.get("/baseline", params={**params, "rule": "gone", "group": ["lang:en"]},
                              headers=auth(env, "viewer"))).json()
    # Unknown rule: the group alone (the English items at hours 0 and 3).
    assert other["rule_found"] is False and sum(c["count"] for c in other["counts"]) == 2
    # A rule's place names count too, case-folded as the rule compares them (the seeded items' place is
    # "Place"): the baseline counts what the rule would, not the whole group.
    at_place = (await client.get("/baseline", params={**params, "rule": "violence-at-place"},
                                 headers=auth(env, "viewer"))).json()
    assert at_place["counts"] == body["counts"]
    nowhere = (await client.get("/baseline", params={**params, "rule": "violence-in-nowhere"},
                                headers=auth(env, "viewer"))).json()
    assert nowhere["rule_found"] is True and sum(c["count"] for c in nowhere["counts"]) == 0
    for bad in ({**params, "group": ["no colon"]}, {**params, "until": "soon"}):
        response = await client.get("/baseline", params=bad, headers=auth(env, "viewer"))
        assert response.status_code == 400, response.text


async def test_the_custody_log_reads_without_adding_to_it(client: httpx.AsyncClient, env: ApiEnv) -> None:
    headers = auth(env, "analyst")
    assert (await client.get("/alerts/a-sudan/custody", headers=headers)).json() == {"custody": []}
    assert (await client.get("/alerts/a-sudan/evidence", headers=headers)).status_code == 200
    first = (await client.get("/alerts/a-sudan/custody", headers=headers)).json()["custody"]
    again = (await client.get("/alerts/a-sudan/custody", headers=headers)).json()["custody"]
    assert [e["action"] for e in first] == ["frozen", "viewed"] and again == first
    assert first[1]["actor"] == "analyst-person"
    assert (await client.get("/alerts/a-sudan/custody", headers=auth(env, "viewer"))).status_code == 403
    assert (await client.get("/alerts/a-nope/custody", headers=headers)).status_code == 404


async def test_verdicts_on_items_become_the_training_csv(client: httpx.AsyncClient, env: ApiEnv) -> None:
    headers = auth(env, "analyst")
    wrong = await client.post("/items/item-000/verdict", headers=headers, json={
        "category": "violence_report", "verdict": "misclassified", "alert_id": "a-sudan",
        "reason": "a report on a film"})
    assert wrong.status_code == 201, wrong.text
    label = wrong.json()["label"]
    assert (label["label"], label["model"], label["score"], label["actor"]) == (
        False, "keywords/1", 0.3, "analyst-person")
    assert label["text"] == "militia attack on the village 0\nmilitia attack on the village: report number 0"
    right = await client.post("/items/item-002/verdict", headers=headers,
                              json={"category": "violence_report", "verdict": "confirmed"})
    assert right.status_code == 201
    for body, status in (({"category": "violence", "verdict": "confirmed"}, 400),
                         ({"category": "violence_report", "verdict": "maybe"}, 422),
                         ({"category": "<b>", "verdict": "confirmed"}, 422)):
        got = await client.post("/items/item-000/verdict", headers=headers, json=body)
        assert got.status_code == status, (body, got.text)
    missing = await client.post("/items/item-nope/verdict", headers=headers,
                                json={"category": "violence_report", "verdict": "confirmed"})
    assert missing.status_code == 404
    names = (await client.get("/categories", headers=headers)).json()["categories"]
    assert {"hate_speech", "violence_report", "xenophobic_hostility"} <= set(names)
    viewer = await client.post("/items/item-000/verdict", headers=auth(env, "viewer"),
                               json={"category": "violence_report", "verdict": "confirmed"})
    assert viewer.status_code == 403

    exported = await client.get("/labels.csv", params={"category": "violence_report"}, headers=headers)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert 'filename="labels-violence_report.csv"' in exported.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["item_id"], r["violent"], r["verdict"]) for r in rows] == [
        ("item-000", "0", "misclassified"), ("item-002", "1", "confirmed")]
    on_alert = (await client.get("/labels", params={"alert_id": "a-sudan"}, headers=headers)).json()
    assert [lab["item_id"] for lab in on_alert["labels"]] == ["item-000"]
    detail = (await client.get("/alerts/a-sudan", headers=auth(env, "viewer"))).json()
    assert {lab["item_id"] for lab in detail["labels"]} == {"item-000", "item-002"}


async def test_resolve_and_dismiss_go_to_the_worker_and_dismissal_is_a_label(client: httpx.AsyncClient,
                                                                            env: ApiEnv) -> None:
    await ensure_topics(env.settings.kafka, (topics.ALERT_MATCHES,))
    consumer = AIOKafkaConsumer(topics.ALERT_MATCHES, **client_kwargs(env.settings.kafka), group_id=None,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    try:
        headers = auth(env, "analyst")
        assert (await client.post("/alerts/a-kenya/resolve", headers=headers)).status_code == 202
        resolved = await client.post("/alerts/a-kenya/resolve", headers=headers, json={"text": "handled"})
        assert resolved.status_code == 202
        assert (await client.post("/alerts/a-kenya/dismiss", headers=headers, json={})).status_code == 422
        dismissed = await client.post("/alerts/a-kenya/dismiss", headers=headers,
                                      json={"reason": "one story, copied by twenty accounts"})
        assert dismissed.status_code == 202, dismissed.text
        assert dismissed.json()["label"]["verdict"] == "false_positive"
        assert (await client.post("/alerts/a-kenya/dismiss", headers=auth(env, "viewer"),
                                  json={"reason": "x"})).status_code == 403
        signals: list[ActionSignal] = []
        async with asyncio.timeout(30):
            while len(signals) < 3:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    signals += [signal for r in records if r.value
                                and isinstance(signal := parse_signal(r.value), ActionSignal)
                                and signal.action.alert_id == "a-kenya"]
        assert [(s.action.type, s.action.text) for s in signals] == [
            ("resolve", ""), ("resolve", "handled"), ("dismiss", "one story, copied by twenty accounts")]
    finally:
        await consumer.stop()
    labels = (await client.get("/labels", params={"alert_id": "a-kenya"}, headers=headers)).json()["labels"]
    assert [(lab["kind"], lab["reason"], lab["rule"], lab["item_ids"]) for lab in labels] == [
        ("alert", "one story, copied by twenty accounts", "hate-surge", ["item-001", "item-003"])]
