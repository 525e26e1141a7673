"""The ``gdelt`` source against a local server that answers DOC 2.0 ArtList queries from recorded articles."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import random
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from collectors.config import SourceConfigError, parse_sources
from collectors.gdelt import GdeltConfig, country_iso, full_query, language_iso
from collectors.normalise import item_id, story_id
from collectors.provenance import canonical_json
from collectors.runner import Collector
from tests.collectors.api_replay import ApiServer, Reply, Request, recorded, recorded_bytes
from tests.collectors.test_runner import Clock, RecordingSink
from tocsin.settings import CollectorSettings

ARTICLES: list[dict[str, Any]] = recorded("gdelt/artlist.json")["articles"]  # oldest first
DOC = "/api/v2/doc/doc"


def numbers(items: list[Any]) -> list[int]:
    """Which recorded articles these items are (1 = the first), by URL."""
    by_url = {article["url"]: n for n, article in enumerate(ARTICLES, start=1)}
    return [by_url[item.url] for item in items]


def at(hhmm: str) -> datetime:
    return datetime.strptime(f"20240515{hhmm}", "%Y%m%d%H%M").replace(tzinfo=UTC)


class FakeGdelt:
    """ArtList answers: articles whose seendate lies in [startdatetime, enddatetime], sorted by
    date (ascending or descending), at most ``maxrecords``; ``sourcelang:`` and
    ``sourcecountry:`` clauses filter; no match is ``{}``; a wrong mode is plain text."""

    def __init__(self, server: ApiServer, articles: list[dict[str, Any]]) -> None:
        self.articles = list(articles)
        server.route(DOC, self.doc)

    def add(self, *articles: dict[str, Any]) -> None:
        self.articles.extend(articles)

    def doc(self, request: Request) -> Reply:
        if request.arg("mode") != "ArtList" or request.arg("format") != "json":
            return Reply(200, b"Invalid mode.", {"Content-Type": "text/html"})
        start = datetime.strptime(request.arg("startdatetime") or "20000101000000", "%Y%m%d%H%M%S")
        end = datetime.strptime(request.arg("enddatetime") or "20991231000000", "%Y%m%d%H%M%S")
        query = request.arg("query") or ""
        languages = re.findall(r"sourcelang:(\w+)", query)
        countries = re.findall(r"sourcecountry:(\w+)", query)
        chosen = [a for a in self.articles
                  if start <= datetime.strptime(a["seendate"], "%Y%m%dT%H%M%SZ") <= end
                  and (not languages or a["language"].lower() in languages)
                  and (not countries or a["sourcecountry"].replace(" ", "").lower() in countries)]
        chosen.sort(key=lambda a: a["seendate"], reverse=request.arg("sort") == "DateDesc")
        chosen = chosen[:min(int(request.arg("maxrecords") or 75), 250)]
        return Reply.json({"articles": chosen} if chosen else {})


def gdelt(server: ApiServer, name: str = "gdelt-sudan", **options: Any) -> GdeltConfig:
    return GdeltConfig.model_validate({"name": name, "url": server.url(DOC), "query": '"El Fasher" OR Darfur',
                                       "request_gap": 0, **options})


def collector(feeds: list[Any], settings: CollectorSettings, sink: RecordingSink, clock: Clock) -> Collector:
    return Collector(feeds, settings, sink, clock=clock, rng=random.Random(0))


def clock_at(hhmm: str) -> Clock:
    clock = Clock()
    clock.now = at(hhmm)
    return clock


# --- configuration and pure parts ---------------------------------------------------------


def test_defaults_are_the_public_endpoint_and_a_15_minute_cadence() -> None:
    (feed,) = parse_sources({"feeds": [{"name": "g", "type": "gdelt", "query": "genocide", "lookback": "6h",
                                        "languages": ["Arabic", "french"], "countries": ["South Sudan"]}]},
                            "feeds.yaml")
    assert isinstance(feed, GdeltConfig)
    assert (feed.url, feed.interval, feed.lookback, feed.overlap, feed.max_records, feed.request_gap) == (
        "https://api.gdeltproject.org/api/v2/doc/doc", 900.0, 21600.0, 900.0, 250, 5.0)
    assert full_query(feed) == "genocide (sourcelang:arabic OR sourcelang:french) sourcecountry:southsudan"


@pytest.mark.parametrize(("entry", "message"), [
    ({}, "query: Field required"),
    ({"query": "  "}, "one-line GDELT query"),
    ({"query": "x", "languages": ["ar) OR (x"]}, "letters only"),
    ({"query": "x", "max_records": 1000}, "max_records"),
    ({"query": "x", "timespan": "1h"}, "timespan: unknown key"),
    ({"query": "x", "overlap": "soon"}, "overlap"),
])
def test_config_mistakes_name_the_feed_and_the_field(entry: dict[str, Any], message: str) -> None:
    with pytest.raises(SourceConfigError, match=r"feeds\[0\] \(g\): ") as raised:
        parse_sources({"feeds": [{"name": "g", "type": "gdelt", **entry}]}, "feeds.yaml")
    assert message in str(raised.value)


@pytest.mark.parametrize(("name", "code"), [("English", "en"), ("Arabic", "ar"), ("Swahili", "sw"),
                                            ("Greek", "el"), ("Amharic", "am"), ("Klingon", None), (7, None)])
def test_gdelt_language_names_map_to_iso_639_1(name: Any, code: str | None) -> None:
    assert language_iso(name) == code


@pytest.mark.parametrize(("name", "code"), [("Sudan", "SD"), ("South Sudan", "SS"), ("Russia", "RU"),
                                            ("United Kingdom", "GB"), ("Atlantis", None), (None, None)])
def test_gdelt_country_names_map_to_iso_3166(name: Any, code: str | None) -> None:
    assert country_iso(name) == code


# --- polling ------------------------------------------------------------------------------


async def test_the_first_poll_looks_back_and_articles_become_items(
        api_server: ApiServer, fast_settings: CollectorSettings) -> None:
    FakeGdelt(api_server, ARTICLES)
    sink = RecordingSink()
    async with collector([gdelt(api_server, country="SD")], fast_settings, sink, clock_at("0740")) as running:
        await running.run_once()
        cursor = running.store.load("gdelt-sudan").cursor
    assert numbers(sink.items) == [8, 9, 10, 11, 12, 13, 14]
    (request,) = api_server.hits(DOC)
    assert {name: request.arg(name) for name in ("mode", "format", "maxrecords", "sort", "startdatetime",
                                                 "enddatetime", "query")} == {
        "mode": "ArtList", "format": "json", "maxrecords": "250", "sort": "DateAsc",
        "startdatetime": "20240515064000", "enddatetime": "20240515074000", "query": '"El Fasher" OR Darfur'}
    assert cursor == '{"from": "20240515T073000Z", "caught_up": true}'
    tass, article = sink.items[3], ARTICLES[10]
    # The story id an rss entry linking to the same article gets: one story, each source its own item.
    assert tass.story_id == story_id(guid=None, link=article["url"])
    assert tass.id != item_id(guid=None, link=article["url"], title="", published=None, feed_name="rss")
    assert (tass.url, tass.title, tass.text) == (article["url"], article["title"], "")
    assert (tass.lang_hint, tass.country_hint) == ("en", "RU")
    assert tass.published == at("0700") and tass.authors == [] and tass.engagement == {}
    assert tass.raw_sha256 == hashlib.sha256(canonical_json(article)).hexdigest()
    assert tass.provenance is not None
    assert tass.provenance.fetch_url.startswith(api_server.url(DOC + "?query="))
    arabic = sink.items[2]
    assert (arabic.lang_hint, arabic.country_hint) == ("ar", "SD")


async def test_languages_and_countries_narrow_the_query(api_server: ApiServer,
                                                        fast_settings: CollectorSettings) -> None:
    FakeGdelt(api_server, ARTICLES)
    sink = RecordingSink()
    feed = gdelt(api_server, languages=["arabic", "french"], countries=["sudan", "France"], lookback="2h")
    async with collector([feed], fast_settings, sink, clock_at("0740")) as running:
        await running.run_once()
    assert numbers(sink.items) == [3, 4, 10, 13]


async def test_later_polls_overlap_the_cursor_and_emit_only_new_articles(
        api_server: ApiServer, fast_settings: CollectorSettings) -> None:
    fake = FakeGdelt(api_server, ARTICLES[:9])
    clock = clock_at("0650")
    sink = RecordingSink()
    async with collector([gdelt(api_server)], fast_settings, sink, clock) as running:
        await running.run_once()
        # Seen late: an article with the 06:45 seendate, indexed after the first poll.
        late = dict(ARTICLES[9], seendate="20240515T064500Z")
        fake.add(late, *ARTICLES[10:])
        clock.now = at("0745")
        await running.run_once()
    assert numbers(sink.items) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
    assert [r.arg("startdatetime") for r in api_server.hits(DOC)] == ["20240515055000", "20240515063000"]


async def test_full_pages_are_paged_by_seendate_without_gaps_or_repeats(
        api_server: ApiServer, fast_settings: CollectorSettings) -> None:
    FakeGdelt(api_server, ARTICLES)
    sink = RecordingSink()
    feed = gdelt(api_server, max_records=3, max_requests=10, lookback="2h")
    async with collector([feed], fast_settings, sink, clock_at("0740")) as running:
        await running.run_once()
    assert numbers(sink.items) == list(range(1, 15))
    # Three articles share 06:15 and fill a page: the next page starts a second later.
    assert [r.arg("startdatetime") for r in api_server.hits(DOC)] == [
        "20240515054000", "20240515061500", "20240515061501", "20240515064500", "20240515070000",
        "20240515071500", "20240515073000"]


async def test_a_spent_budget_keeps_the_cursor_at_the_last_page_read(
        api_server: ApiServer, fast_settings: CollectorSettings) -> None:
    FakeGdelt(api_server, ARTICLES)
    sink = RecordingSink()
    feed = gdelt(api_server, max_records=3, max_requests=2, lookback="2h", overlap=0)
    async with collector([feed], fast_settings, sink, clock_at("0740")) as running:
        await running.run_once()
        assert running.store.load("gdelt-sudan").cursor == '{"from": "20240515T061501Z", "caught_up": false}'
        for _ in range(3):
            await running.run_once()
    assert sorted(set(numbers(sink.items))) == list(range(1, 15)) and len(sink.items) == 14
    starts = [r.arg("startdatetime") for r in api_server.hits(DOC)]
    assert starts == ["20240515054000", "20240515061500", "20240515061501", "20240515064500",
                      "20240515070000", "20240515071500", "20240515073000"]


async def test_more_articles_with_one_seendate_than_a_page_holds_is_reported_and_passed(
        api_server: ApiServer, fast_settings: CollectorSettings) -> None:
    FakeGdelt(api_server, ARTICLES)
    sink = RecordingSink()
    feed = gdelt(api_server, max_records=2, max_requests=10, lookback="2h")
    async with collector([feed], fast_settings, sink, clock_at("0740")) as running:
        report = (await running.run_once()).by_feed["gdelt-sudan"]
    assert "2 or more articles seen at 2024-05-15 06:00:00, 2024-05-15 06:15:00," in (report.error or "")
    assert 5 not in numbers(sink.items) and numbers(sink.items)[-1] == 14


async def test_a_restarted_collector_resumes_from_the_stored_seendate(
        api_server: ApiServer, fast_settings: CollectorSettings) -> None:
    fake = FakeGdelt(api_server, ARTICLES[:6])
    feed = gdelt(api_server, lookback="2h")
    first, second = RecordingSink(), RecordingSink()
    async with collector([feed], fast_settings, first, clock_at("0635")) as running:
        await running.run_once()
    fake.add(*ARTICLES[6:])
    async with collector([feed], fast_settings, second, clock_at("0740")) as running:
        await running.run_once()
        await running.run_once()
    assert numbers(first.items) == [1, 2, 3, 4, 5, 6]
    assert numbers(second.items) == [7, 8, 9, 10, 11, 12, 13, 14]


# --- GDELT's plain-text answers and hostile payloads -----------------------------------------


async def test_gdelts_rate_limit_answer_defers_the_next_poll_without_a_dead_letter(
        api_server: ApiServer, fast_settings: CollectorSettings) -> None:
    slow_down = recorded_bytes("gdelt/rate_limited.txt")
    api_server.script(DOC, Reply(200, slow_down, {"Content-Type": "text/plain"}))
    sink = RecordingSink()
    clock = clock_at("0740")
    async with collector([gdelt(api_server, interval=10)], fast_settings, sink, clock) as running:
        report = (await running.run_once()).by_feed["gdelt-sudan"]
    assert report.status == "failed" and "asks to limit requests" in (report.error or "")
    assert sink.dead_letters == []
    assert report.next_poll is not None and report.next_poll - clock.now >= timedelta(seconds=60)


async def test_a_query_gdelt_rejects_is_a_dead_letter_quoting_gdelt(
        api_server: ApiServer, fast_settings: CollectorSettings) -> None:
    rejected = recorded_bytes("gdelt/query_too_short.txt")
    api_server.script(DOC, Reply(200, rejected, {"Content-Type": "text/html"}))
    sink = RecordingSink()
    async with collector([gdelt(api_server)], fast_settings, sink, clock_at("0740")) as running:
        report = (await running.run_once()).by_feed["gdelt-sudan"]
    assert report.status == "failed"
    (letter,) = sink.dead_letters
    assert letter.reason == "malformed_response" and "The specified phrase is too short." in letter.error


@pytest.mark.parametrize("body", [b"", b"  \n", b"{}"])
async def test_no_matches_is_a_quiet_poll(api_server: ApiServer, fast_settings: CollectorSettings,
                                          body: bytes) -> None:
    api_server.script(DOC, Reply(200, body, {"Content-Type": "application/json"}))
    sink = RecordingSink()
    async with collector([gdelt(api_server)], fast_settings, sink, clock_at("0740")) as running:
        report = (await running.run_once()).by_feed["gdelt-sudan"]
    assert report.status == "unchanged" and sink.dead_letters == [] and sink.items == []


async def test_hostile_articles_are_sanitised_or_dead_lettered(api_server: ApiServer,
                                                               fast_settings: CollectorSettings) -> None:
    api_server.script(DOC, Reply.json(recorded("gdelt/hostile_artlist.json")))
    sink = RecordingSink()
    async with collector([gdelt(api_server)], fast_settings, sink, clock_at("0740")) as running:
        await running.run_once()
    assert [letter.reason for letter in sink.dead_letters] == ["unusable_post"] * 3
    tagged, untitled, huge = sink.items
    assert tagged.title == "<img src=x onerror=alert(1)>Headline"  # plain text, escaped wherever shown
    assert (tagged.published, tagged.lang_hint, tagged.country_hint) == (None, None, None)
    assert (untitled.title, untitled.lang_hint, untitled.country_hint) == ("", None, None)
    # Dated 20 minutes past the collection time: not believed (tocsin.event_time).
    assert (untitled.published, untitled.claimed_published) == (at("0740"), at("0800"))
    assert len(huge.title) == 50000 and huge.published is None


@pytest.mark.parametrize("document", [[], {"articles": {"url": "x"}}, "articles"])
async def test_json_of_the_wrong_shape_is_a_dead_letter(
        api_server: ApiServer, fast_settings: CollectorSettings, document: Any) -> None:
    api_server.script(DOC, Reply.json(document))
    sink = RecordingSink()
    async with collector([gdelt(api_server)], fast_settings, sink, clock_at("0740")) as running:
        report = (await running.run_once()).by_feed["gdelt-sudan"]
    assert report.status == "failed" and [d.reason for d in sink.dead_letters] == ["malformed_response"]


async def test_requests_of_all_gdelt_sources_are_spaced_by_the_gap(
        api_server: ApiServer, fast_settings: CollectorSettings) -> None:
    FakeGdelt(api_server, ARTICLES)
    feeds = [gdelt(api_server, name=f"g{n}", query=f"query {n}", request_gap=0.3) for n in range(3)]
    async with collector(feeds, fast_settings, RecordingSink(), clock_at("0740")) as running:
        await asyncio.wait_for(running.run_once(), timeout=5)
    times = sorted(request.at for request in api_server.hits(DOC))
    assert len(times) == 3 and all(b - a >= 0.28 for a, b in itertools.pairwise(times))


# --- what the live API does that the format does not say (data/gdelt/SOURCES.md) -------------


async def test_invalid_escapes_in_gdelts_json_are_repaired_not_dead_lettered(
        api_server: ApiServer, fast_settings: CollectorSettings) -> None:
    api_server.script(DOC, Reply(200, recorded_bytes("gdelt/invalid_escape_artlist.json"),
                                 {"Content-Type": "application/json; charset=utf-8"}))
    sink = RecordingSink()
    async with collector([gdelt(api_server)], fast_settings, sink, clock_at("0740")) as running:
        report = (await running.run_once()).by_feed["gdelt-sudan"]
        state = running.store.load("gdelt-sudan")
    assert report.status == "new" and sink.dead_letters == []
    assert [item.title for item in sink.items] == [
        "Darfur\\'s El Fasher: RSF shells the market \\x96 residents flee",
        "Darfur tab and a path C:\\Users\\x"]
    assert state.cursor is not None and '"from": "20240515T072000Z"' in state.cursor


async def test_json_no_repair_saves_is_skipped_so_the_cursor_never_wedges(
        api_server: ApiServer, fast_settings: CollectorSettings) -> None:
    FakeGdelt(api_server, ARTICLES)
    api_server.script(DOC, Reply(200, b'{"articles": [{"url": "https://x.example/1", "title": "cut',
                                 {"Content-Type": "application/json"}))
    sink = RecordingSink()
    clock = clock_at("0740")
    async with collector([gdelt(api_server, lookback="1h", overlap="5m")], fast_settings, sink,
                         clock) as running:
        broken = (await running.run_once()).by_feed["gdelt-sudan"]
        state = running.store.load("gdelt-sudan")
        clock.now = at("0750")
        await running.run_once()
    first, second = api_server.hits(DOC)
    assert broken.status != "failed" and [d.reason for d in sink.dead_letters] == ["malformed_response"]
    assert state.last_error is not None and "skipped the articles seen 2024-05-15 06:40:00 to " \
        "2024-05-15 07:40:00" in state.last_error
    assert first.arg("startdatetime") == "20240515064000"
    assert second.arg("startdatetime") == "20240515073500"  # past the broken window, less the overlap


async def test_a_429_with_gdelts_text_is_not_retried_and_holds_every_gdelt_source(
        api_server: ApiServer, fast_settings: CollectorSettings) -> None:
    FakeGdelt(api_server, ARTICLES)
    api_server.script(DOC, Reply(429, recorded_bytes("gdelt/rate_limited.txt"),
                                 {"Content-Type": "text/plain"}))
    feeds = [gdelt(api_server, name=name, query=name, request_gap=0.2) for name in ("g1", "g2")]
    settings = fast_settings.model_copy(update={"retries": 3})
    clock = clock_at("0740")
    async with collector(feeds, settings, RecordingSink(), clock) as running:
        reports = (await running.run_once()).by_feed
    assert len(api_server.hits(DOC)) == 1  # no retry within seconds, and the other source did not ask
    for report in reports.values():
        assert report.status == "failed"
        assert report.next_poll is not None and report.next_poll - clock.now >= timedelta(seconds=55)
    said = next(r.error for r in reports.values() if r.http_status == 429) or ""
    assert "Please limit requests to one every 5 seconds" in said and "HTTP 429" in said
