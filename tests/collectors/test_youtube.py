"""collectors.youtube: channel and playlist Atom feeds through the rss source, on a local server."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from collectors.config import SourceConfigError, parse_sources
from collectors.pseudonyms import author_pseudonym
from collectors.runner import Collector
from collectors.youtube import YouTubeConfig, YouTubeSource, count, youtube_feed_url
from tocsin.schema import DeadLetter, Item
from tocsin.settings import CollectorSettings

DATA = Path(__file__).parent / "data" / "youtube"
CHANNEL = "UCx6M3dnRNHTRHcN1jg5hJ5w"
NOW = datetime(2024, 5, 15, 12, 0, tzinfo=UTC)


class RecordingSink:
    def __init__(self) -> None:
        self.items: list[Item] = []
        self.dead_letters: list[DeadLetter] = []

    async def publish(self, items: Sequence[Item], dead_letters: Sequence[DeadLetter]) -> None:
        self.items.extend(items)
        self.dead_letters.extend(dead_letters)


def config(base_url: str, **options: Any) -> YouTubeConfig:
    entry = {"name": "yt", "type": "youtube", "channel_id": CHANNEL, "base_url": base_url, **options}
    (feed,) = parse_sources({"feeds": [entry]}, "feeds.yaml")
    assert isinstance(feed, YouTubeConfig)
    return feed


def collector(feed: YouTubeConfig, settings: CollectorSettings, sink: RecordingSink) -> Collector:
    return Collector([feed], settings, sink, clock=lambda: NOW, rng=random.Random(0))


# --- config ---------------------------------------------------------------------------


def test_the_feed_url_is_built_from_a_channel_or_a_playlist() -> None:
    assert youtube_feed_url("https://www.youtube.com/", channel_id=CHANNEL) == (
        f"https://www.youtube.com/feeds/videos.xml?channel_id={CHANNEL}")
    assert youtube_feed_url("https://www.youtube.com", playlist_id="PLrAXtmErZgOeiKm4sgNOknGvNjby9efdf") == (
        "https://www.youtube.com/feeds/videos.xml?playlist_id=PLrAXtmErZgOeiKm4sgNOknGvNjby9efdf")


@pytest.mark.parametrize(("options", "message"), [
    ({}, "exactly one of channel_id or playlist_id"),
    ({"channel_id": CHANNEL, "playlist_id": "PLabcdefghij"}, "exactly one"),
    ({"channel_id": "UC&x=1"}, "channel_id must be"),
    ({"channel_id": CHANNEL, "url": "https://elsewhere.example/"}, "url is derived"),
    ({"channel_id": CHANNEL, "base_url": "javascript:alert(1)"}, "absolute http(s) URL"),
    ({"channel_id": CHANNEL, "colour": "red"}, "colour: unknown key"),
])
def test_config_mistakes_name_the_feed_and_the_problem(options: dict[str, Any], message: str) -> None:
    with pytest.raises(SourceConfigError, match=r"feeds\.yaml: feeds\[0\] \(yt\)") as error:
        parse_sources({"feeds": [{"name": "yt", "type": "youtube", **options}]}, "feeds.yaml")
    assert message in str(error.value)


@pytest.mark.parametrize(("value", "expected"), [("18234", 18234), ("0", 0), ("-5", None), ("1.5", None),
                                                 ("not-a-number", None), (None, None), (True, None),
                                                 ("9" * 40, None)])
def test_counts_are_non_negative_integers_or_nothing(value: Any, expected: int | None) -> None:
    assert count(value) == expected


# --- polling a local server -----------------------------------------------------------


async def test_videos_become_items_with_counts_pseudonymised_channel_and_provenance(
        feed_server: Any, fast_settings: CollectorSettings) -> None:
    feed_server.route("/feeds/videos.xml", body=(DATA / "channel.xml").read_bytes(),
                      content_type="application/atom+xml; charset=UTF-8")
    sink = RecordingSink()
    feed = config(feed_server.url(""))
    async with collector(feed, fast_settings, sink) as running:
        summary = await running.run_once()
    assert summary.by_feed["yt"].new_items == 2 and not sink.dead_letters
    first, second = sink.items
    secret = fast_settings.pseudonym_secret.get_secret_value()
    assert first.source.type == "youtube" and first.source.url == feed.url
    assert first.url == "https://www.youtube.com/watch?v=Qm9vZ1JhaWQx"
    assert first.title == "El Fasher: residents describe night of shelling"
    assert "Three people were killed" in first.text
    assert first.authors == [author_pseudonym(secret, "youtube", CHANNEL)]
    assert first.engagement == {"views": 18234, "likes": 412}
    assert first.published == datetime(2024, 5, 14, 21, 3, 11, tzinfo=UTC)
    assert first.provenance is not None and first.provenance.fetch_url == feed.url
    assert first.provenance.status == 200 and len(first.raw_sha256) == 64
    # Hostile entry: a javascript: link is dropped, bogus counts are left out, markup is not text.
    assert second.url is None and second.engagement == {}
    assert second.text == "Traders returned to the market today."


async def test_an_official_channel_keeps_its_name(feed_server: Any, fast_settings: CollectorSettings) -> None:
    feed_server.route("/feeds/videos.xml", body=(DATA / "channel.xml").read_bytes())
    sink = RecordingSink()
    async with collector(config(feed_server.url(""), official=True), fast_settings, sink) as running:
        await running.run_once()
    assert {tuple(item.authors) for item in sink.items} == {("Darfur Witness",)}


async def test_seen_videos_are_not_emitted_again_after_a_restart(
        feed_server: Any, fast_settings: CollectorSettings) -> None:
    body = (DATA / "channel.xml").read_bytes()
    route = feed_server.route("/feeds/videos.xml", body=body)
    feed = config(feed_server.url(""))
    async with collector(feed, fast_settings, RecordingSink()) as running:
        await running.run_once()
    # The views moved, so the body changed: the same two videos must still not be re-emitted.
    route.body = body.replace(b'views="18234"', b'views="20001"')
    after = RecordingSink()
    async with collector(feed, fast_settings, after) as running:
        report = (await running.run_once()).by_feed["yt"]
    assert (report.status, after.items) == ("unchanged", [])


async def test_a_429_with_retry_after_defers_the_next_poll(
        feed_server: Any, fast_settings: CollectorSettings) -> None:
    feed_server.route("/feeds/videos.xml", always=feed_server.Reply(429, headers={"Retry-After": "1800"}))
    async with collector(config(feed_server.url("")), fast_settings, RecordingSink()) as running:
        report = (await running.run_once()).by_feed["yt"]
    assert report.status == "failed" and report.next_poll is not None
    assert report.next_poll - NOW >= timedelta(seconds=1800)


async def test_a_malformed_feed_is_a_dead_letter_and_a_failure(
        feed_server: Any, fast_settings: CollectorSettings) -> None:
    feed_server.route("/feeds/videos.xml", body=b"<html><body>consent.youtube.com wall</body></html>",
                      content_type="text/html")
    sink = RecordingSink()
    async with collector(config(feed_server.url("")), fast_settings, sink) as running:
        report = (await running.run_once()).by_feed["yt"]
    assert report.status == "failed" and [letter.reason for letter in sink.dead_letters] == ["malformed_feed"]


def test_the_plugin_is_registered_as_youtube() -> None:
    assert isinstance(YouTubeSource(config("https://www.youtube.com")), YouTubeSource)

