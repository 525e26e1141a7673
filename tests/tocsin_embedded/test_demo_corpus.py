"""The committed demo corpus: valid feeds, the promised counts and surges, served time-shifted."""

from __future__ import annotations

import calendar
import json
import statistics
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser
import httpx
import pytest
import yaml

from tocsin_embedded.corpus import corpus_dir, demo_feeds_yaml, timeline
from tocsin_embedded.feedserver import FeedServer

EXPECTED = {
    "wikinews-africa.xml": ("rss20", "en", 47),
    "wikinews-americas.xml": ("atom10", "en", 77),
    "wikinews-eurasia.xml": ("rss20", "en", 105),
    "social-en.xml": ("atom10", "en", 150),
    "social-fr.xml": ("rss20", "fr", 150),
    "social-ar.xml": ("atom10", "ar", 150),
}
GEOVIRUS_ARTICLES = 229


def when(entry: Any) -> datetime:
    return datetime.fromtimestamp(calendar.timegm(entry.published_parsed), UTC)


@pytest.fixture(scope="module")
def parsed() -> dict[str, Any]:
    return {name: feedparser.parse((corpus_dir() / name).read_bytes()) for name in EXPECTED}


@pytest.fixture(scope="module")
def reference() -> datetime:
    return datetime.fromisoformat(timeline()["reference"])


def test_every_feed_parses_without_bozo(parsed: dict[str, Any]) -> None:
    for name, feed in parsed.items():
        assert not feed.bozo, f"{name}: {feed.get('bozo_exception')!r}"
        assert feed.version == EXPECTED[name][0], name


def test_entry_counts_per_feed(parsed: dict[str, Any]) -> None:
    assert {name: len(feed.entries) for name, feed in parsed.items()} == {
        name: n for name, (_, _, n) in EXPECTED.items()
    }
    assert timeline()["feeds"] == {name: n for name, (_, _, n) in EXPECTED.items()}
    assert sum(len(parsed[n].entries) for n in EXPECTED if n.startswith("wikinews")) == GEOVIRUS_ARTICLES


def test_every_entry_has_guid_date_title_text_and_local_link(parsed: dict[str, Any]) -> None:
    for name, feed in parsed.items():
        for entry in feed.entries:
            assert entry.get("id", "").startswith("urn:tocsin:"), (name, entry.get("title"))
            assert entry.get("published_parsed"), (name, entry.id)
            assert entry.get("title"), (name, entry.id)
            assert entry.get("summary") or entry.get("content"), (name, entry.id)
            assert entry.link.startswith("http://demo.tocsin.invalid/"), (name, entry.id)


def test_guids_are_unique_across_the_corpus(parsed: dict[str, Any]) -> None:
    counts = Counter(e.id for feed in parsed.values() for e in feed.entries)
    assert [guid for guid, n in counts.items() if n > 1] == []


def test_entries_lie_in_the_three_days_before_the_reference(
    parsed: dict[str, Any], reference: datetime
) -> None:
    window = timedelta(seconds=timeline()["window_s"])
    for name, feed in parsed.items():
        times = [when(e) for e in feed.entries]
        assert reference - window <= min(times) and max(times) <= reference, name


def test_feed_languages_match_feeds_yaml(parsed: dict[str, Any]) -> None:
    config = yaml.safe_load(demo_feeds_yaml("http://127.0.0.1:1"))
    languages = {feed["url"].rsplit("/", 1)[1]: feed["language"] for feed in config["feeds"]}
    assert languages == {name: lang for name, (_, lang, _) in EXPECTED.items()}
    for name, feed in parsed.items():
        assert feed.feed.get("language", "").startswith(EXPECTED[name][1]), name


def test_surges_are_where_timeline_says(parsed: dict[str, Any], reference: datetime) -> None:
    surges = timeline()["surges"]
    assert {(s["name"], s["feed"]) for s in surges} == {
        ("violence-news", "wikinews-africa.xml"), ("hate-speech", "social-en.xml"),
    }
    for surge in surges:
        start = reference + timedelta(seconds=surge["start_offset_s"])
        end = reference + timedelta(seconds=surge["end_offset_s"])
        assert end - start == timedelta(hours=1)
        by_id = {e.id: e for e in parsed[surge["feed"]].entries}
        assert len(surge["guids"]) == surge["count"]
        for guid in surge["guids"]:
            assert start <= when(by_id[guid]) < end, (surge["name"], guid)


def test_hate_speech_surge_hour_stands_out(parsed: dict[str, Any], reference: datetime) -> None:
    entries = parsed["social-en.xml"].entries
    hours = Counter(int((when(e) - reference).total_seconds() // 3600) for e in entries)
    busiest, peak = hours.most_common(1)[0]
    assert busiest == timeline()["surges"][1]["start_offset_s"] // 3600
    assert 30 <= peak <= 60
    assert peak > 10 * statistics.median(hours.values())


def test_corpus_is_small(parsed: dict[str, Any]) -> None:
    assert sum(p.stat().st_size for p in corpus_dir().iterdir() if p.is_file()) < 2_000_000


def test_sources_name_the_licences() -> None:
    text = (corpus_dir() / "SOURCES.md").read_text(encoding="utf-8")
    for needle in ("CC BY 2.5", "Gritta", "MIT License", "Copyright (c) 2019 HKUST-KnowComp", "Ousidhoum",
                   "staged"):
        assert needle in text


def test_demo_feeds_yaml_fills_in_the_base_url() -> None:
    text = demo_feeds_yaml("http://127.0.0.1:8123/")
    assert "{base}" not in text
    config = yaml.safe_load(text)
    assert [f["url"] for f in config["feeds"]] == [f"http://127.0.0.1:8123/{n}" for n in EXPECTED]
    for feed in config["feeds"]:
        assert set(feed) == {"name", "url", "country", "language", "interval"}
        assert feed["country"] is None and feed["interval"] == 60


def test_served_time_shifted_the_corpus_looks_current() -> None:
    start = datetime.now(UTC).replace(microsecond=0)
    with FeedServer.start(corpus_dir(), reference=start) as server:
        config = yaml.safe_load(demo_feeds_yaml(server.url))
        for feed in config["feeds"]:
            response = httpx.get(feed["url"], timeout=10.0)
            assert response.status_code == 200, feed["url"]
            served = feedparser.parse(response.content)
            assert not served.bozo, feed["url"]
            times = [when(e) for e in served.entries]
            assert start - timedelta(days=3) <= min(times) and max(times) <= start, feed["url"]
            assert len(served.entries) == EXPECTED[feed["url"].rsplit("/", 1)[1]][2]


def test_released_up_to_the_surge_the_hate_posts_are_not_served_yet() -> None:
    start = datetime.now(UTC).replace(microsecond=0)
    surge = timeline()["surges"][1]
    clock = start + timedelta(seconds=surge["start_offset_s"] - 1)
    with FeedServer.start(corpus_dir(), reference=start, release=True, clock=lambda: clock) as server:
        served = feedparser.parse(httpx.get(server.feed_url(surge["feed"]), timeout=10.0).content)
    ids = {e.id for e in served.entries}
    assert ids.isdisjoint(surge["guids"])
    assert all(when(e) <= clock for e in served.entries)
    assert len(ids) > 0


def test_timeline_reference_is_utc() -> None:
    data = json.loads((corpus_dir() / "timeline.json").read_text(encoding="utf-8"))
    assert datetime.fromisoformat(data["reference"]).utcoffset() == timedelta(0)
