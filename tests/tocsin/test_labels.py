"""Analysts' verdicts: what each says, which one wins, and the CSV the training commands read."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from tocsin.labels import (
    LabelStore,
    alert_label,
    classified_text,
    export_rows,
    item_label,
    latest_item_verdicts,
    write_export,
)
from tocsin.schema import Alert
from tocsin.search import search_client
from tocsin.settings import SearchSettings

AT = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def doc(n: int, *, categories: dict[str, float] | None = None, title: str = "",
        text: str = "") -> dict[str, Any]:
    categories = {"violence_report": 0.8} if categories is None else categories
    return {"id": f"i-{n}", "title": title or f"Title {n}", "text": text or f"Text {n}", "lang": "en",
            "categories": sorted(categories), "scores": categories,
            "models": dict.fromkeys(categories, "keywords/1"), "classifiers": ["keywords/1"]}


def test_misclassified_flips_what_the_model_said_and_keeps_who_when_and_which_model() -> None:
    wrong = item_label(doc(1), "violence_report", "misclassified", actor="ana", alert_id="a-1",
                       reason="a film", at=AT)
    assert (wrong.label, wrong.model, wrong.score, wrong.actor, wrong.at) == (
        False, "keywords/1", 0.8, "ana", AT)
    assert wrong.text == "Title 1\nText 1" and wrong.alert_id == "a-1" and wrong.reason == "a film"
    missed = item_label(doc(2), "hate_speech", "misclassified", actor="ana", at=AT)
    assert (missed.label, missed.score, missed.model) == (True, None, "keywords/1")
    right = item_label(doc(3), "violence_report", "confirmed", actor="bo", at=AT)
    assert right.label is True and right.verdict == "confirmed"


def test_the_text_is_what_the_model_read() -> None:
    assert classified_text({"title": "Shots fired", "text": "Shots fired in the market"}) == \
        "Shots fired in the market"
    assert classified_text({"title": "", "text": "only text"}) == "only text"
    assert classified_text({"title": "only title", "text": ""}) == "only title"


def test_the_latest_verdict_on_an_item_and_category_wins() -> None:
    first = item_label(doc(1), "violence_report", "misclassified", actor="ana", at=AT)
    second = item_label(doc(1), "violence_report", "confirmed", actor="bo", at=AT + timedelta(minutes=5))
    other = item_label(doc(1), "hate_speech", "misclassified", actor="ana", at=AT)
    assert latest_item_verdicts([second, first, other]) == [other, second]


def test_export_is_the_training_format_of_each_category() -> None:
    hostile = doc(4, title='=HYPERLINK("x")', text="line one\nline two, \"quoted\"")
    labels = [item_label(doc(1), "violence_report", "misclassified", actor="ana", at=AT),
              item_label(hostile, "violence_report", "confirmed", actor="ana", at=AT),
              item_label(doc(2, categories={"hate_speech": 0.7}), "hate_speech", "confirmed", actor="bo",
                         at=AT),
              item_label(doc(3, categories={}), "hate_speech", "misclassified", actor="bo", at=AT)]
    out = io.StringIO()
    assert write_export(out, "violence_report", labels) == 2
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(r["text"], r["violent"]) for r in rows] == [
        ("Title 1\nText 1", "0"), ('=HYPERLINK("x")\nline one\nline two, "quoted"', "1")]
    assert rows[0]["model"] == "keywords/1" and rows[0]["labelled_by"] == "ana" and rows[0]["lang"] == "en"
    hate = export_rows("hate_speech", labels)
    assert [(r[0], r[1]) for r in hate] == [("Title 2\nText 2", "hateful"), ("Title 3\nText 3", "hateful")]
    other = io.StringIO()
    write_export(other, "xenophobic_hostility", [item_label(doc(5), "xenophobic_hostility", "misclassified",
                                                             actor="c", at=AT)])
    assert other.getvalue().splitlines()[0].startswith("text,label,lang,") and ",1,en," in other.getvalue()


def test_the_store_keeps_every_verdict_and_finds_them(search_settings: SearchSettings) -> None:
    index = f"labels-{uuid.uuid4().hex[:8]}"
    alert = Alert(id="a-9", rule="burst", rule_type="frequency", title="t", group={}, group_key="",
                  window_start=AT, window_end=AT, count=3, threshold=2, sample_item_ids=["i-1", "i-2"],
                  first_seen=AT, last_seen=AT)

    async def run() -> tuple[list[Any], list[Any], list[Any], list[str]]:
        es = search_client(search_settings)
        try:
            store = LabelStore(es, index)
            assert await store.find(alert_id="a-9") == []  # no index yet: nothing, no error
            await store.add(item_label(doc(1), "violence_report", "misclassified", actor="ana",
                                       alert_id="a-9", at=AT))
            await store.add(item_label(doc(1), "violence_report", "confirmed", actor="bo",
                                       at=AT + timedelta(minutes=1)))
            await store.add(alert_label(alert, actor="ana", reason="a film festival", at=AT))
            await store.add(item_label(doc(7), "hate_speech", "misclassified", actor="cy", at=AT))
            by_alert = await store.find(alert_id="a-9")
            by_item = await store.find(item_ids=["i-1"])
            every = [label async for label in store.item_verdicts("violence_report")]
            return by_alert, by_item, every, await store.categories()
        finally:
            await es.close()

    by_alert, by_item, every, categories = asyncio.run(run())
    assert sorted((lab.kind, lab.verdict) for lab in by_alert) == [("alert", "false_positive"),
                                                                    ("item", "misclassified")]
    assert [lab.actor for lab in by_item] == ["bo", "ana"]  # newest first
    assert [lab.verdict for lab in every] == ["misclassified", "confirmed"]
    assert categories == ["hate_speech", "violence_report"]

