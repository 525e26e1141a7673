"""The ``reddit`` source against a local server that pages a recorded /new listing like Reddit.

Reddit's documented behaviour, read 2026-12-06: the Data API rules (support.reddithelp.com,
"Reddit Data API Wiki": OAuth required, the User-Agent form, deleted content must be deleted);
application-only OAuth (reddit-archive wiki "OAuth2": POST /api/v1/access_token with the app's
id and secret as Basic auth and grant_type=client_credentials, a bearer token that expires;
requests then go to oauth.reddit.com with "Authorization: bearer <token>"); an error body is
``{"message": "Unauthorized", "error": 401}``."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from collectors.config import FeedConfig, SourceConfigError, parse_sources
from collectors.provenance import canonical_json
from collectors.reddit import Position, RedditConfig, post_item_id
from collectors.runner import Collector
from tests.collectors.api_replay import ApiServer, Reply, Request, recorded, recorded_bytes
from tests.collectors.test_runner import Clock, RecordingSink
from tocsin.settings import CollectorSettings

LISTING = recorded("reddit/new.json")
CHILDREN: list[dict[str, Any]] = LISTING["data"]["children"]  # newest first
BY_NUMBER = {len(CHILDREN) - index: child for index, child in enumerate(CHILDREN)}  # 1 = oldest
NEW = "/r/Sudan/new.json"
TOKEN = "/api/v1/access_token"
UA = "linux:org.example.tocsin-tests:0.1 (by /u/monitoring-desk)"
CLIENT_ID, CLIENT_SECRET = "p-jcoLKBynTLew", "gko_LXELoV07ZBNUXrvWZfzE3aI"


@pytest.fixture(autouse=True)
def app_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDDIT_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("REDDIT_CLIENT_SECRET", CLIENT_SECRET)


def numbers(items: list[Any]) -> list[int]:
    by_id = {post_item_id(child["data"]["name"]): n for n, child in BY_NUMBER.items()}
    return [by_id[item.id] for item in items]


class FakeReddit:
    """``/r/<sub>/new.json`` newest first: ``limit`` ≤ 100; ``after=`` older and ``before=`` newer,
    each the page adjacent to the anchor; a ``before=`` anchor that is gone lists nothing (as
    Reddit does); budget headers on every answer."""

    def __init__(self, server: ApiServer, posts: list[dict[str, Any]], expires_in: int = 3600) -> None:
        self.posts = list(posts)
        self.remaining = 99.0
        self.reset_s = 420
        self.hidden: set[str] = set()
        """Fullnames of removed posts: counted when a page is cut, then left out of it, as Reddit does."""
        self.expires_in = expires_in
        self.tokens: list[str] = []
        """Tokens granted, oldest first; only the newest is accepted (a renewal revokes the old one)."""
        server.route(NEW, self.new)
        server.route(TOKEN, self.token)

    def token(self, request: Request) -> Reply:
        basic = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if (request.method, request.headers.get("authorization"), request.body) != \
                ("POST", basic, b"grant_type=client_credentials"):
            return Reply.json({"message": "Unauthorized", "error": 401}, status=401)
        self.tokens.append(f"token-{len(self.tokens) + 1}")
        return Reply.json({"access_token": self.tokens[-1], "token_type": "bearer",
                           "expires_in": self.expires_in, "scope": "*"})

    def add(self, *posts: dict[str, Any]) -> None:
        self.posts.extend(posts)

    def delete(self, post: dict[str, Any]) -> None:
        self.posts.remove(post)

    def new(self, request: Request) -> Reply:
        if not self.tokens or request.headers.get("authorization") != f"bearer {self.tokens[-1]}":
            return Reply.json({"message": "Unauthorized", "error": 401}, status=401)
        limit = min(int(request.arg("limit") or 25), 100)
        ordered = sorted(self.posts, key=lambda c: c["data"]["created_utc"], reverse=True)
        names = [c["data"]["name"] for c in ordered]
        if (after := request.arg("after")) is not None:
            start = names.index(after) + 1 if after in names else len(names)
            page = ordered[start:start + limit]
        elif (before := request.arg("before")) is not None:
            end = names.index(before) if before in names else 0
            page = ordered[max(0, end - limit):end]
        else:
            page = ordered[:limit]
        last = names.index(page[-1]["data"]["name"]) if page else len(names)
        page = [child for child in page if child["data"]["name"] not in self.hidden]
        listing = {"kind": "Listing", "data": {
            "after": page[-1]["data"]["name"] if page and last + 1 < len(names) else None,
            "dist": len(page), "modhash": "", "geo_filter": None, "children": page,
            "before": page[0]["data"]["name"] if page and names.index(page[0]["data"]["name"]) > 0 else None}}
        headers = {"x-ratelimit-used": str(100 - int(self.remaining)),
                   "x-ratelimit-remaining": f"{self.remaining:.1f}", "x-ratelimit-reset": str(self.reset_s)}
        self.remaining = max(0.0, self.remaining - 1)
        return Reply.json(listing, headers=headers)


def upto(n: int) -> list[dict[str, Any]]:
    return [BY_NUMBER[k] for k in range(1, n + 1)]


def reddit(name: str = "r-sudan", **options: Any) -> RedditConfig:
    return RedditConfig.model_validate({"name": name, "subreddit": "Sudan", "user_agent": UA, **options})


def on(server: ApiServer, **options: Any) -> RedditConfig:
    return reddit(url=server.base, token_url=server.url(TOKEN), **options)


def collector(feeds: list[FeedConfig], settings: CollectorSettings, sink: RecordingSink,
              clock: Callable[[], datetime] | None = None) -> Collector:
    return Collector(feeds, settings, sink, clock=clock or Clock(), rng=random.Random(0))


# --- configuration ------------------------------------------------------------------


def test_the_default_endpoint_is_reddits_oauth_host_and_the_subreddit_is_normalised() -> None:
    entry = {"name": "r", "type": "reddit", "subreddit": "r/Sudan", "user_agent": UA}
    (feed,) = parse_sources({"feeds": [entry]}, "feeds.yaml")
    assert isinstance(feed, RedditConfig)
    assert (feed.url, feed.token_url, feed.subreddit, feed.page_size, feed.official) == (
        "https://oauth.reddit.com", "https://www.reddit.com/api/v1/access_token", "Sudan", 100, False)
    assert (feed.client_id_env, feed.client_secret_env) == ("REDDIT_CLIENT_ID", "REDDIT_CLIENT_SECRET")


@pytest.mark.parametrize(("entry", "message"), [
    ({"user_agent": UA}, "subreddit: Field required"),
    ({"subreddit": "../../api/v1/me", "user_agent": UA}, "must be a subreddit name"),
    ({"subreddit": "sudan", "user_agent": UA, "password": "x"}, "password: unknown key"),
    ({"subreddit": "sudan", "user_agent": UA, "page_size": 500}, "page_size"),
    ({"subreddit": "sudan"}, "user_agent: Field required"),
    ({"subreddit": "sudan", "user_agent": "two\nlines"}, "Reddit requires the form"),
    ({"subreddit": "sudan", "user_agent": "Tocsin/0.1 (+https://example.org)"}, "Reddit requires the form"),
    ({"subreddit": "sudan", "user_agent": UA, "token_env": "REDDIT_TOKEN"}, "token_env was removed"),
    ({"subreddit": "sudan", "user_agent": UA, "client_secret_env": "not a name"}, "must name an environment"),
])
def test_config_mistakes_name_the_feed_and_the_field(entry: dict[str, Any], message: str) -> None:
    with pytest.raises(SourceConfigError, match=r"feeds\[0\] \(r\): ") as raised:
        parse_sources({"feeds": [{"name": "r", "type": "reddit", **entry}]}, "feeds.yaml")
    assert message in str(raised.value)


# --- items ----------------------------------------------------------------------------


async def test_posts_become_items_with_permalinks_flair_engagement_and_pseudonymous_authors(
        api_server: ApiServer, fast_settings: CollectorSettings) -> None:
    FakeReddit(api_server, upto(14))
    sink = RecordingSink()
    async with collector([on(api_server, country="SD", language="ar")], fast_settings, sink) as running:
        await running.run_once()
    assert numbers(sink.items) == list(range(14, 0, -1))
    by_number = dict(zip(numbers(sink.items), sink.items, strict=True))
    convoy, data = by_number[1], BY_NUMBER[1]["data"]
    assert convoy.id == post_item_id(data["name"])
    assert convoy.url == "https://www.reddit.com" + data["permalink"]
    assert convoy.title == "RSF convoy seen moving south of Kutum this morning"
    assert convoy.text == ("Several pickups with mounted guns, about 30 vehicles.\n"
                           "Posting so people on the road know.")
    assert convoy.published == datetime.fromtimestamp(data["created_utc"], UTC)
    assert convoy.engagement == {"score": 45, "replies": 17, "reposts": 0}
    assert (convoy.tags, convoy.lang_hint, convoy.country_hint) == (["Security"], "ar", "SD")
    assert convoy.authors[0].startswith("p:") and convoy.relations == {} and not convoy.deleted
    assert convoy.raw_sha256 == hashlib.sha256(canonical_json(data)).hexdigest()
    assert convoy.provenance is not None and convoy.provenance.status == 200
    assert convoy.provenance.fetch_url.startswith(api_server.url(NEW + "?limit=100&raw_json=1"))
    assert by_number[3].relations == {"links_to": "https://news.example.org/2024/05/15/sudan-famine-warning"}
    assert by_number[6].relations["repost_of"] == post_item_id("t3_1crzz99")
    for gone in (by_number[5], by_number[12]):  # deleted, removed: nothing of their content is kept
        assert gone.deleted and gone.erase
        content = (gone.title, gone.text, gone.url, gone.authors, gone.tags, gone.relations, gone.engagement)
        assert content == ("", "", None, [], [], {}, {})
    # The same author gets the same pseudonym in every post.
    assert by_number[3].authors == by_number[6].authors == by_number[13].authors
    assert len({item.authors[0] for item in sink.items if item.authors}) == 10  # a removed post names none


async def test_official_sources_keep_the_username_and_the_user_agent_is_sent(
        api_server: ApiServer, fast_settings: CollectorSettings) -> None:
    FakeReddit(api_server, upto(2))
    sink = RecordingSink()
    async with collector([on(api_server, official=True)], fast_settings, sink) as running:
        await running.run_once()
    assert [item.authors for item in sink.items] == [["u/SudanMods"], ["u/field_observer"]]
    assert api_server.hits(NEW)[0].headers["user-agent"] == UA


# --- paging and cursors ---------------------------------------------------------------


async def test_a_poll_within_one_page_of_the_cursor_takes_one_request(
        api_server: ApiServer, fast_settings: CollectorSettings) -> None:
    fake = FakeReddit(api_server, upto(5))
    sink = RecordingSink()
    async with collector([on(api_server, page_size=4)], fast_settings, sink) as running:
        await running.run_once()
        assert Position.load(running.store.load("r-sudan").cursor) == Position(
            BY_NUMBER[5]["data"]["name"], BY_NUMBER[5]["data"]["created_utc"])
        fake.add(BY_NUMBER[6], BY_NUMBER[7])
        await running.run_once()
    assert numbers(sink.items) == [5, 4, 3, 2, 7, 6]
    assert [(r.arg("before"), r.arg("after")) for r in api_server.hits(NEW)] == [(None, None), (None, None)]


async def test_more_than_a_page_is_filled_upwards_from_the_cursor_without_gaps(
        api_server: ApiServer, fast_settings: CollectorSettings) -> None:
    fake = FakeReddit(api_server, upto(2))
    sink = RecordingSink()
    async with collector([on(api_server, page_size=3)], fast_settings, sink) as running:
        await running.run_once()
        fake.add(*upto(14)[2:])
        await running.run_once()
    assert sorted(set(numbers(sink.items))) == list(range(1, 15))
    assert len(sink.items) == 14  # nothing twice
    befores = [r.arg("before") for r in api_server.hits(NEW)]
    assert befores == [None, None, BY_NUMBER[2]["data"]["name"], BY_NUMBER[5]["data"]["name"],
                       BY_NUMBER[8]["data"]["name"]]


async def test_a_short_newest_page_is_not_taken_for_the_end_of_the_listing(
        api_server: ApiServer, fast_settings: CollectorSettings) -> None:
    fake = FakeReddit(api_server, upto(2))
    sink = RecordingSink()
    async with collector([on(api_server, page_size=3)], fast_settings, sink) as running:
        await running.run_once()
        fake.add(*upto(10)[2:])
        fake.hidden.add(BY_NUMBER[9]["data"]["name"])  # removed: the newest page lists two posts, not three
        await running.run_once()
    assert sorted(numbers(sink.items)) == [1, 2, 3, 4, 5, 6, 7, 8, 10]


async def test_a_spent_request_budget_leaves_a_contiguous_cursor_for_the_next_poll(
        api_server: ApiServer, fast_settings: CollectorSettings) -> None:
    fake = FakeReddit(api_server, upto(1))
    sink = RecordingSink()
    async with collector([on(api_server, page_size=2, max_requests=2)], fast_settings, sink) as running:
        await running.run_once()
        fake.add(*upto(14)[1:])
        await running.run_once()
        assert running.store.load("r-sudan").cursor == Position(
            BY_NUMBER[3]["data"]["name"], BY_NUMBER[3]["data"]["created_utc"]).dump()
        for _ in range(5):
            await running.run_once()
    assert sorted(numbers(sink.items)) == list(range(1, 15))


async def test_a_deleted_anchor_is_walked_down_to_from_the_newest_page(
        api_server: ApiServer, fast_settings: CollectorSettings) -> None:
    fake = FakeReddit(api_server, upto(3))
    sink = RecordingSink()
    async with collector([on(api_server, page_size=3, max_requests=5)], fast_settings, sink) as running:
        await running.run_once()
        fake.delete(BY_NUMBER[3])  # the cursor's post is gone: before=<it> lists nothing
        fake.add(*upto(14)[3:])
        report = (await running.run_once()).by_feed["r-sudan"]
    assert report.error is None
    assert sorted(numbers(sink.items)) == list(range(1, 15))
    assert [(r.arg("before"), r.arg("after")) for r in api_server.hits(NEW)][2:] == [
        (BY_NUMBER[3]["data"]["name"], None), (None, BY_NUMBER[12]["data"]["name"]),
        (None, BY_NUMBER[9]["data"]["name"]), (None, BY_NUMBER[6]["data"]["name"])]


async def test_a_deleted_anchor_and_a_burst_beyond_the_budget_is_reported(
        api_server: ApiServer, fast_settings: CollectorSettings) -> None:
    fake = FakeReddit(api_server, upto(1))
    async with collector([on(api_server, page_size=2, max_requests=3)], fast_settings,
                         RecordingSink()) as running:
        await running.run_once()
        fake.delete(BY_NUMBER[1])
        fake.add(*upto(14)[1:])
        report = (await running.run_once()).by_feed["r-sudan"]
    assert report.status == "new" and "may be missed" in (report.error or "")


async def test_a_new_collector_on_the_same_state_file_emits_only_what_is_new(
        api_server: ApiServer, fast_settings: CollectorSettings) -> None:
    fake = FakeReddit(api_server, upto(6))
    feed = on(api_server, page_size=2)
    before_restart, after_restart = RecordingSink(), RecordingSink()
    async with collector([feed], fast_settings, before_restart) as running:
        await running.run_once()
        fake.add(BY_NUMBER[7])
        await running.run_once()
    fake.add(*upto(14)[7:])
    async with collector([feed], fast_settings, after_restart) as running:
        await running.run_once()
        await running.run_once()
    assert numbers(before_restart.items) == [6, 5, 7]
    assert sorted(numbers(after_restart.items)) == list(range(8, 15))
    assert len(after_restart.items) == 7


# --- rate limits, hostile and broken answers --------------------------------------------


async def test_a_spent_rate_limit_stops_paging_and_waits_for_the_reset(
        api_server: ApiServer, fast_settings: CollectorSettings) -> None:
    fake = FakeReddit(api_server, upto(1))
    clock = Clock()
    sink = RecordingSink()
    async with collector([on(api_server, page_size=2, interval=60)], fast_settings, sink, clock) as running:
        await running.run_once()
        fake.add(*upto(14)[1:])
        fake.remaining = 1.0  # at the reserve: this answer is the last one
        report = (await running.run_once()).by_feed["r-sudan"]
    assert len(api_server.hits(NEW)) == 2 and numbers(sink.items) == [1, 14, 13]
    assert report.next_poll is not None and report.next_poll - clock.now >= timedelta(seconds=420)


async def test_a_429_waits_for_the_rate_limit_reset(api_server: ApiServer,
                                                    fast_settings: CollectorSettings) -> None:
    too_many = Reply(429, recorded_bytes("reddit/too_many_requests.html"),
                     {"Content-Type": "text/html", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "540"})
    FakeReddit(api_server, [])  # the token endpoint
    api_server.script(NEW, too_many, too_many)
    clock = Clock()
    async with collector([on(api_server, interval=60)], fast_settings, RecordingSink(), clock) as running:
        report = (await running.run_once()).by_feed["r-sudan"]
    assert report.status == "failed" and report.http_status == 429
    assert report.next_poll is not None and report.next_poll - clock.now >= timedelta(seconds=540)


async def test_hostile_posts_are_sanitised_or_dead_lettered(api_server: ApiServer,
                                                            fast_settings: CollectorSettings) -> None:
    FakeReddit(api_server, [])  # the token endpoint
    api_server.script(NEW, Reply.json(recorded("reddit/hostile_listing.json")))
    sink = RecordingSink()
    async with collector([on(api_server)], fast_settings, sink) as running:
        report = (await running.run_once()).by_feed["r-sudan"]
    assert [letter.reason for letter in sink.dead_letters] == ["unusable_post"] * 4
    scripted, typed, huge = sink.items
    assert scripted.title == "<script>alert(1)</script>Click me"  # titles are plain text: kept, not run
    assert scripted.text == "hello there" and scripted.url is None and scripted.relations == {}
    assert scripted.authors == [] and scripted.engagement == {} and scripted.tags == []
    assert (typed.title, typed.text, typed.published, typed.relations) == ("", "", None, {})
    assert typed.engagement == {"reposts": 2} and not typed.deleted
    assert len(huge.title) == 3000 and huge.text == "plain **markdown** only" and huge.published is None
    assert report.status == "new"


async def test_an_html_page_instead_of_json_is_a_dead_letter(api_server: ApiServer,
                                                             fast_settings: CollectorSettings) -> None:
    FakeReddit(api_server, [])  # the token endpoint
    api_server.script(NEW, Reply(200, recorded_bytes("reddit/too_many_requests.html"),
                                 {"Content-Type": "text/html"}))
    sink = RecordingSink()
    async with collector([on(api_server)], fast_settings, sink) as running:
        report = (await running.run_once()).by_feed["r-sudan"]
    assert report.status == "failed"
    assert [letter.reason for letter in sink.dead_letters] == ["malformed_response"]
    assert "whoa there" in sink.dead_letters[0].error or "<!doctype html>" in sink.dead_letters[0].error


@pytest.mark.parametrize("document", [{"kind": "t3", "data": {}}, [], "Listing", None,
                                      {"kind": "Listing", "data": {"children": 5}}])
async def test_json_that_is_not_a_listing_is_a_dead_letter(
        api_server: ApiServer, fast_settings: CollectorSettings, document: Any) -> None:
    FakeReddit(api_server, [])  # the token endpoint
    api_server.script(NEW, Reply.json(document))
    sink = RecordingSink()
    async with collector([on(api_server)], fast_settings, sink) as running:
        report = (await running.run_once()).by_feed["r-sudan"]
    assert report.status == "failed" and "expected a Listing object" in (report.error or "")
    assert [letter.reason for letter in sink.dead_letters] == ["malformed_response"]


def test_a_stored_cursor_this_version_cannot_read_starts_afresh() -> None:
    assert Position.load('{"name": "t3_abc", "created": 1715752800}') == Position("t3_abc", 1715752800.0)
    for junk in ("", "t3_abc", "[]", '{"name": 5, "created": 1}', '{"name": "t3_<x>", "created": 1}', "{"):
        assert Position.load(junk) is None


# --- isolation --------------------------------------------------------------------------


async def test_a_hanging_api_source_does_not_stall_an_rss_feed(
        api_server: ApiServer, feed_server: Any, tmp_path: Any, feed_config: Callable[..., FeedConfig],
        rss: Callable[..., bytes]) -> None:
    settings = CollectorSettings(
        allow_private_targets=True, state_path=tmp_path / "s.db", timeout_s=5.0, retries=0,
        min_interval_s=0.02)
    FakeReddit(api_server, upto(3))
    api_server.delays[NEW] = 3.0
    route = feed_server.route("/fast", body=rss([{"title": "B", "guid": "urn:b"}]))
    feeds: list[FeedConfig] = [on(api_server, name="hang", interval=0.05),
                               feed_config(feed_server.url("/fast"), name="fast", interval=0.05)]
    sink = RecordingSink()
    stop = asyncio.Event()
    async with Collector(feeds, settings, sink) as running:
        task = asyncio.create_task(running.run(stop))
        for index in range(3):
            await asyncio.sleep(0.3)
            route.body = rss([{"title": f"n{index}", "guid": f"urn:n:{index}"}])
        await asyncio.sleep(0.5)
        stop.set()
        await asyncio.wait_for(task, timeout=2.0)
    assert len(api_server.hits(NEW)) == 1
    assert [item.title for item in sink.items] == ["B", "n0", "n1", "n2"]


def test_recorded_listing_is_reddits_shape() -> None:
    assert LISTING["kind"] == "Listing" and all(child["kind"] == "t3" for child in CHILDREN)
    assert json.dumps(LISTING).count('"created_utc"') == 14


# --- OAuth: an application-only token that renews itself ---------------------------------------


async def test_the_token_is_requested_with_the_apps_credentials_and_reused_while_valid(
        api_server: ApiServer, fast_settings: CollectorSettings) -> None:
    fake = FakeReddit(api_server, upto(3))
    async with collector([on(api_server)], fast_settings, RecordingSink()) as running:
        await running.run_once()
        await running.run_once()
    (grant,) = api_server.hits(TOKEN)
    assert grant.method == "POST" and grant.body == b"grant_type=client_credentials"
    assert grant.headers["content-type"] == "application/x-www-form-urlencoded"
    assert grant.headers["user-agent"] == UA
    assert {hit.headers["authorization"] for hit in api_server.hits(NEW)} == {"bearer token-1"}
    assert fake.tokens == ["token-1"]
    assert all(CLIENT_SECRET not in hit.path + json.dumps(hit.query) for hit in api_server.hits())


async def test_a_token_about_to_expire_is_renewed_before_the_request(
        api_server: ApiServer, fast_settings: CollectorSettings) -> None:
    FakeReddit(api_server, upto(3), expires_in=30)  # within the renewal margin: renewed every poll
    async with collector([on(api_server)], fast_settings, RecordingSink()) as running:
        first = (await running.run_once()).by_feed["r-sudan"]
        second = (await running.run_once()).by_feed["r-sudan"]
    assert first.status == "new" and second.status == "unchanged"
    assert len(api_server.hits(TOKEN)) == 2
    assert [hit.headers["authorization"] for hit in api_server.hits(NEW)] == [
        "bearer token-1", "bearer token-2"]


async def test_a_revoked_token_is_renewed_and_the_request_made_once_more(
        api_server: ApiServer, fast_settings: CollectorSettings) -> None:
    fake = FakeReddit(api_server, upto(3))
    async with collector([on(api_server)], fast_settings, RecordingSink()) as running:
        await running.run_once()
        fake.tokens.append("granted-elsewhere")  # Reddit revoked ours
        fake.add(BY_NUMBER[4])
        report = (await running.run_once()).by_feed["r-sudan"]
    assert report.status == "new" and report.new_items == 1
    assert [hit.headers["authorization"] for hit in api_server.hits(NEW)] == [
        "bearer token-1", "bearer token-1", "bearer token-3"]


async def test_wrong_credentials_fail_the_poll_with_reddits_answer_and_the_variables_to_check(
        api_server: ApiServer, fast_settings: CollectorSettings, monkeypatch: pytest.MonkeyPatch) -> None:
    FakeReddit(api_server, upto(3))
    monkeypatch.setenv("REDDIT_CLIENT_SECRET", "wrong")
    async with collector([on(api_server)], fast_settings, RecordingSink()) as running:
        report = (await running.run_once()).by_feed["r-sudan"]
    assert report.status == "failed" and report.http_status == 401
    assert "HTTP 401: Unauthorized" in (report.error or "")
    assert "check REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET" in (report.error or "")
    assert "wrong" not in (report.error or "") and api_server.hits(NEW) == []


async def test_unset_credentials_name_the_variables(api_server: ApiServer, fast_settings: CollectorSettings,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    FakeReddit(api_server, upto(3))
    monkeypatch.delenv("REDDIT_CLIENT_SECRET")
    async with collector([on(api_server)], fast_settings, RecordingSink()) as running:
        report = (await running.run_once()).by_feed["r-sudan"]
    assert report.status == "failed" and "REDDIT_CLIENT_SECRET" in (report.error or "")
    assert api_server.hits() == []
