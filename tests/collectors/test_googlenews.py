"""collectors.googlenews: search feeds per language and edition through the rss source."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from collectors.config import SourceConfigError, parse_sources
from collectors.googlenews import GoogleNewsConfig, google_news_url, strip_outlet
from collectors.pseudonyms import author_pseudonym
from collectors.runner import Collector
from tocsin.schema import DeadLetter, Item
from tocsin.settings import CollectorSettings

DATA = Path(__file__).parent / "data" / "googlenews"
NOW = datetime(2024, 5, 15, 12, 0, tzinfo=UTC)


class RecordingSink:
    def __init__(self) -> None:
        self.items: list[Item] = []
        self.dead_letters: list[DeadLetter] = []

    async def publish(self, items: Sequence[Item], dead_letters: Sequence[DeadLetter]) -> None:
        self.items.extend(items)
        self.dead_letters.extend(dead_letters)


def config(base_url: str, name: str = "gn", **options: Any) -> GoogleNewsConfig:
    entry = {"name": name, "type": "googlenews", "query": '"El Fasher"', "language": "en", "edition": "us",
             "base_url": base_url, **options}
    (feed,) = parse_sources({"feeds": [entry]}, "feeds.yaml")
    assert isinstance(feed, GoogleNewsConfig)
    return feed


# --- config ---------------------------------------------------------------------------


def test_the_search_url_carries_query_language_and_edition() -> None:
    url = google_news_url("https://news.google.com", query='"El Fasher" when:1d', hl="ar", edition="sd")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "news.google.com", "/rss/search")
    assert parse_qs(parts.query) == {"q": ['"El Fasher" when:1d'], "hl": ["ar"], "gl": ["SD"],
                                     "ceid": ["SD:ar"]}


def test_hl_may_be_a_regional_language_and_ceid_takes_its_primary_tag() -> None:
    url = google_news_url("https://news.google.com", query="Cabo Delgado", hl="pt-BR", edition="MZ")
    assert parse_qs(urlsplit(url).query)["ceid"] == ["MZ:pt"]


def test_a_query_cannot_smuggle_parameters() -> None:
    url = google_news_url("https://news.google.com", query="x&gl=RU#y", hl="en", edition="US")
    assert parse_qs(urlsplit(url).query) == {"q": ["x&gl=RU#y"], "hl": ["en"], "gl": ["US"],
                                             "ceid": ["US:en"]}


def test_the_edition_is_not_the_items_country_hint() -> None:
    feed = config("https://news.google.com")
    assert feed.country is None and "gl=US" in feed.url


@pytest.mark.parametrize(("options", "message"), [
    ({"language": None}, "query, language and edition are required"),
    ({"edition": "USA"}, "edition must be"),
    ({"query": "  "}, "query must be"),
    ({"url": "https://news.google.com/rss"}, "url is derived"),
    ({"hl": "english please"}, "hl must be"),
])
def test_config_mistakes_name_the_feed_and_the_problem(options: dict[str, Any], message: str) -> None:
    entry = {"name": "gn", "type": "googlenews", "query": "x", "language": "en", "edition": "US", **options}
    with pytest.raises(SourceConfigError, match=r"feeds\[0\] \(gn\)") as error:
        parse_sources({"feeds": [{k: v for k, v in entry.items() if v is not None}]}, "feeds.yaml")
    assert message in str(error.value)


@pytest.mark.parametrize(("title", "outlet", "expected"), [
    ("Headline - Reuters", "Reuters", "Headline"),
    ("Headline - Reuters", "AP", "Headline - Reuters"),
    (" - Reuters", "Reuters", " - Reuters"),
    ("Headline", "", "Headline"),
])
def test_strip_outlet_only_removes_the_exact_suffix(title: str, outlet: str, expected: str) -> None:
    assert strip_outlet(title, outlet) == expected


# --- polling a local server -----------------------------------------------------------


async def test_articles_become_items_with_their_outlet_and_provenance(
        feed_server: Any, fast_settings: CollectorSettings) -> None:
    feed_server.route("/rss/search", body=(DATA / "search_en.xml").read_bytes())
    sink = RecordingSink()
    feed = config(feed_server.url(""))
    async with Collector([feed], fast_settings, sink, clock=lambda: NOW) as running:
        await running.run_once()
    reuters, un, bare = sink.items
    assert reuters.title == "Sudan's RSF shells El Fasher camp, killing three"
    assert reuters.authors == ["Reuters"] and reuters.lang_hint == "en"
    assert reuters.source.type == "googlenews"
    assert reuters.url is not None and reuters.url.startswith("https://news.google.com/rss/articles/")
    assert reuters.provenance is not None and reuters.provenance.fetch_url == feed.url
    # A cluster description: the other outlets' headlines are text, the script and javascript: link are not.
    assert "El Fasher: fears of a massacre grow" in un.text and "steal" not in un.text
    assert un.authors == ["UN News"]
    # No <source> and no " - Outlet" suffix: no author, title untouched.
    assert (bare.authors, bare.title) == ([], "El Fasher residents flee as fighting nears")


async def test_the_same_article_found_by_two_searches_has_one_id(
        feed_server: Any, fast_settings: CollectorSettings) -> None:
    feed_server.route("/rss/search", body=(DATA / "search_en.xml").read_bytes())
    sink = RecordingSink()
    feeds = [config(feed_server.url(""), name="gn-a"), config(feed_server.url(""), name="gn-b", query="RSF")]
    async with Collector(feeds, fast_settings, sink, clock=lambda: NOW) as running:
        await running.run_once()
    by_feed: dict[str, list[str]] = {}
    for item in sink.items:
        by_feed.setdefault(item.source.name, []).append(item.id)
    assert by_feed["gn-a"] == by_feed["gn-b"] and len(set(by_feed["gn-a"])) == 3


async def test_outlets_are_pseudonymised_when_not_official(
        feed_server: Any, fast_settings: CollectorSettings) -> None:
    feed_server.route("/rss/search", body=(DATA / "search_ar.xml").read_bytes())
    sink = RecordingSink()
    feed = config(feed_server.url(""), language="ar", edition="EG", official=False)
    async with Collector([feed], fast_settings, sink, clock=lambda: NOW) as running:
        await running.run_once()
    (item,) = sink.items
    secret = fast_settings.pseudonym_secret.get_secret_value()
    assert item.authors == [author_pseudonym(secret, "googlenews", "الجزيرة نت")]
    assert item.title == "مقتل ثلاثة في قصف على معسكر أبو شوك بالفاشر" and item.lang_hint == "ar"


async def test_seen_articles_are_not_emitted_again_after_a_restart_and_new_ones_are(
        feed_server: Any, fast_settings: CollectorSettings) -> None:
    english, arabic = (DATA / "search_en.xml").read_bytes(), (DATA / "search_ar.xml").read_bytes()
    route = feed_server.route("/rss/search", body=english)
    feed = config(feed_server.url(""))
    async with Collector([feed], fast_settings, RecordingSink(), clock=lambda: NOW) as running:
        await running.run_once()
    # Google rebuilds the feed on every request; here one article is added.
    (new_item,) = arabic.split(b"<item>")[1:]
    route.body = english.replace(b"<item>", b"<item>" + new_item.split(b"</item>")[0] + b"</item><item>", 1)
    after = RecordingSink()
    async with Collector([feed], fast_settings, after, clock=lambda: NOW) as running:
        await running.run_once()
    assert [item.title for item in after.items] == ["مقتل ثلاثة في قصف على معسكر أبو شوك بالفاشر"]


async def test_a_rate_limited_search_fails_and_does_not_stall_another(
        feed_server: Any, fast_settings: CollectorSettings) -> None:
    feed_server.route("/rss/search", always=feed_server.Reply(429, headers={"Retry-After": "600"}))
    feed_server.route("/feeds/videos.xml", body=(DATA.parent / "youtube" / "channel.xml").read_bytes())
    youtube = parse_sources({"feeds": [{"name": "yt", "type": "youtube", "base_url": feed_server.url(""),
                                        "channel_id": "UCx6M3dnRNHTRHcN1jg5hJ5w"}]}, "feeds.yaml")
    sink = RecordingSink()
    async with Collector([config(feed_server.url("")), *youtube], fast_settings, sink,
                         clock=lambda: NOW, rng=random.Random(0)) as running:
        summary = await running.run_once()
    assert summary.by_feed["gn"].status == "failed" and summary.by_feed["gn"].http_status == 429
    assert summary.by_feed["yt"].new_items == 2
