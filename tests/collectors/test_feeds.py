"""collectors.feeds: the rss source over a real local server, and feed parsing."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from collectors.config import FeedConfig
from collectors.feeds import RssSource, parse_feed
from collectors.fetch import Fetcher
from collectors.protocol import PollContext, Validators, build_source
from tocsin.settings import CollectorSettings

NOW = datetime(2024, 5, 15, tzinfo=UTC)
FEED = FeedConfig(name="wire", url="https://news.example.org/feed")


@pytest.mark.parametrize(("name", "count"), [("rss20.xml", 2), ("atom.xml", 1), ("rss10.xml", 1),
                                             ("rss091.xml", 1)])
def test_every_feed_format_yields_its_entries(data: Callable[[str], bytes], name: str, count: int) -> None:
    outcome = parse_feed(data(name), feed=FEED, collected=NOW)
    assert outcome.status == "changed" and len(outcome.items) == count and not outcome.dead_letters


def test_broken_feed_that_still_has_entries_keeps_them(data: Callable[[str], bytes]) -> None:
    outcome = parse_feed(data("bozo_with_entries.xml"), feed=FEED, collected=NOW)
    assert outcome.status == "changed"
    assert [item.url for item in outcome.items] == ["https://sloppy.example.org/1"]


def test_malformed_body_is_a_failure_with_a_dead_letter_holding_the_body(
        data: Callable[[str], bytes]) -> None:
    body = data("malformed.html")
    outcome = parse_feed(body, feed=FEED, collected=NOW)
    assert outcome.status == "failed" and not outcome.items
    (letter,) = outcome.dead_letters
    assert (letter.stage, letter.reason, letter.key) == ("collector", "malformed_feed", "wire")
    assert base64.b64decode(letter.payload_b64) == body
    assert "not a usable feed" in letter.error and "wire" in letter.error


@pytest.mark.parametrize("body", [b"", b"\xff\xfe\x00\x00garbage", b"plain text, no markup at all"])
def test_empty_or_undecodable_bodies_are_failures(body: bytes) -> None:
    outcome = parse_feed(body, feed=FEED, collected=NOW)
    assert outcome.status == "failed" and len(outcome.dead_letters) == 1


def test_valid_feed_without_entries_is_not_a_failure(rss: Callable[..., bytes]) -> None:
    outcome = parse_feed(rss([]), feed=FEED, collected=NOW)
    assert outcome.status == "changed" and outcome.items == []


def test_body_naming_a_local_file_is_never_read_from_disk(tmp_path: Path, rss: Callable[..., bytes]) -> None:
    secret = tmp_path / "secret.xml"
    secret.write_bytes(rss([{"title": "LOCAL SECRET", "link": "https://x.org/1"}]))
    outcome = parse_feed(str(secret).encode(), feed=FEED, collected=NOW)
    assert outcome.status == "failed" and not outcome.items


def test_rss_is_the_registered_plugin_for_type_rss() -> None:
    assert isinstance(build_source(FEED), RssSource)


# --- polling over HTTP ----------------------------------------------------------------


async def poll(source: RssSource, settings: CollectorSettings, previous: Validators | None = None) -> Any:
    async with Fetcher(settings) as fetcher:
        context = PollContext(fetcher=fetcher, previous=previous or Validators(), collected=NOW)
        return await source.poll(context)


async def test_poll_returns_items_and_validators(feed_server: Any, fast_settings: CollectorSettings,
                                                 feed_config: Callable[..., FeedConfig],
                                                 data: Callable[[str], bytes]) -> None:
    feed_server.route("/f", body=data("rss20.xml"), etag='"v1"')
    outcome = await poll(RssSource(feed_config(feed_server.url("/f"))), fast_settings)
    assert (outcome.status, outcome.http_status, len(outcome.items)) == ("changed", 200, 2)
    assert outcome.validators.etag == '"v1"' and outcome.validators.body_sha256


async def test_conditional_get_304_is_unchanged_and_keeps_the_body_hash(
        feed_server: Any, fast_settings: CollectorSettings, feed_config: Callable[..., FeedConfig],
        data: Callable[[str], bytes]) -> None:
    feed_server.route("/f", body=data("rss20.xml"), etag='"v1"')
    previous = Validators(etag='"v1"', body_sha256="abc")
    outcome = await poll(RssSource(feed_config(feed_server.url("/f"))), fast_settings, previous)
    assert (outcome.status, outcome.http_status, outcome.items) == ("unchanged", 304, [])
    assert outcome.validators == previous


async def test_same_body_under_a_lying_etag_is_unchanged(feed_server: Any, fast_settings: CollectorSettings,
                                                         feed_config: Callable[..., FeedConfig],
                                                         data: Callable[[str], bytes]) -> None:
    feed_server.route("/f", body=data("rss20.xml"), lying_etag=True)
    source = RssSource(feed_config(feed_server.url("/f")))
    first = await poll(source, fast_settings)
    second = await poll(source, fast_settings, first.validators)
    assert first.status == "changed"
    assert (second.status, second.http_status, second.items) == ("unchanged", 200, [])
    assert second.validators.etag != first.validators.etag
    assert feed_server.hits("/f")[1].headers["if-none-match"] == first.validators.etag


async def test_oversize_feed_is_a_failure_with_a_dead_letter(feed_server: Any, tmp_path: Path,
                                                            feed_config: Callable[..., FeedConfig]) -> None:
    feed_server.route("/f", body=b"<rss>" + b"x" * 10_000, send_length=False)
    settings = CollectorSettings(
        allow_private_targets=True, state_path=tmp_path / "s.db", max_feed_bytes=2_000, retries=0)
    outcome = await poll(RssSource(feed_config(feed_server.url("/f"))), settings)
    assert outcome.status == "failed"
    assert [letter.reason for letter in outcome.dead_letters] == ["feed_too_large"]


async def test_http_failure_is_a_failure_without_dead_letters(
        feed_server: Any, fast_settings: CollectorSettings, feed_config: Callable[..., FeedConfig]) -> None:
    feed_server.route("/f", always=feed_server.Reply(500))
    outcome = await poll(RssSource(feed_config(feed_server.url("/f"))), fast_settings)
    assert (outcome.status, outcome.http_status, outcome.dead_letters) == ("failed", 500, [])
    assert "HTTP 500" in (outcome.error or "")


async def test_every_item_carries_the_provenance_of_its_fetch(
        feed_server: Any, fast_settings: CollectorSettings, feed_config: Callable[..., FeedConfig],
        data: Callable[[str], bytes]) -> None:
    feed_server.route("/f", body=data("rss20.xml"), etag='"v1"')
    outcome = await poll(RssSource(feed_config(feed_server.url("/f"))), fast_settings)
    provenance = outcome.items[0].provenance
    assert provenance is not None and all(item.provenance == provenance for item in outcome.items)
    assert provenance.fetch_url == feed_server.url("/f")
    assert (provenance.fetched_at, provenance.status) == (NOW, 200)
    assert provenance.headers["etag"] == '"v1"' and provenance.headers["content-type"].startswith(
        "application/rss+xml")
    assert "date" in provenance.headers and "server" not in provenance.headers
