"""The ``mastodon`` source against a local server that pages recorded statuses like Mastodon does."""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from collectors.config import SourceConfigError, parse_sources
from collectors.mastodon import MastodonConfig, id_order, instance_key, status_item_id
from collectors.provenance import canonical_json
from collectors.runner import Collector
from tests.collectors.api_replay import ApiServer, Reply, Request, recorded, recorded_bytes
from tests.collectors.test_runner import Clock, RecordingSink
from tocsin.settings import CollectorSettings

STATUSES: list[dict[str, Any]] = recorded("mastodon/statuses.json")  # newest first, as served
BY_NUMBER = {int(status["id"][-6:-3]): status for status in STATUSES}  # statuses 1..12, oldest first


def item_id_on(server: ApiServer, status_id: str) -> str:
    """The item id of a status of the instance that ``server`` plays."""
    return status_item_id(instance_key(server.base), status_id)


def numbers(server: ApiServer, items: list[Any]) -> list[int]:
    """Which recorded statuses these items are (1 = oldest), by their item id."""
    by_id = {item_id_on(server, status["id"]): n for n, status in BY_NUMBER.items()}
    return [by_id[item.id] for item in items]


class FakeMastodon:
    """Timelines newest first; ``limit`` ≤ 40; ``max_id``, ``since_id`` and ``min_id`` as Mastodon
    pages (``min_id`` gives the page adjacent to it); Link and rate-limit headers.

    The public timeline leaves out reblogs and posts that are not public; an account's
    statuses include its reblogs, and private posts only for an authorised reader."""

    def __init__(self, server: ApiServer, statuses: list[dict[str, Any]]) -> None:
        self.server = server
        self.statuses = list(statuses)
        self.remaining = 299
        self.reset = "2024-05-15T12:05:00.000Z"
        server.route("/api/v1/timelines/public", self.public)
        server.route_prefix("/api/v1/timelines/tag/", self.tag)
        server.route("/api/v1/accounts/lookup", self.lookup)
        server.route_prefix("/api/v1/accounts/", self.account_statuses)

    def add(self, *statuses: dict[str, Any]) -> None:
        self.statuses.extend(statuses)

    def public(self, request: Request) -> Reply:
        chosen = [s for s in self.statuses if s["visibility"] == "public" and s["reblog"] is None]
        if request.arg("local") == "true":
            chosen = [s for s in chosen if "@" not in s["account"]["acct"]]
        return self.page(request, chosen)

    def tag(self, request: Request) -> Reply:
        tag = request.path.rsplit("/", 1)[1].lower()
        chosen = [s for s in self.statuses if s["visibility"] == "public" and s["reblog"] is None
                  and any(t["name"].lower() == tag for t in s["tags"])]
        return self.page(request, chosen)

    def lookup(self, request: Request) -> Reply:
        account = recorded("mastodon/account_lookup.json")
        if request.arg("acct") in (account["acct"], f"{account['acct']}@mastodon.example"):
            return Reply.json(account)
        return Reply.json({"error": "Record not found"}, status=404)

    def account_statuses(self, request: Request) -> Reply:
        account_id = request.path.split("/")[4]
        authorised = request.headers.get("authorization") == "Bearer s3cret-token"
        visible = ("public", "unlisted", "private") if authorised else ("public", "unlisted")
        chosen = [s for s in self.statuses if s["account"]["id"] == account_id and s["visibility"] in visible]
        return self.page(request, chosen)

    def page(self, request: Request, chosen: list[dict[str, Any]]) -> Reply:
        limit = min(int(request.arg("limit") or 20), 40)
        ordered = sorted(chosen, key=lambda s: id_order(s["id"]), reverse=True)
        if (max_id := request.arg("max_id")) is not None:
            ordered = [s for s in ordered if id_order(s["id"]) < id_order(max_id)]
        if (since_id := request.arg("since_id")) is not None:
            ordered = [s for s in ordered if id_order(s["id"]) > id_order(since_id)]
        if (min_id := request.arg("min_id")) is not None:
            newer = [s for s in ordered if id_order(s["id"]) > id_order(min_id)]
            page = newer[-limit:]
        else:
            page = ordered[:limit]
        headers = {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": str(self.remaining),
                   "X-RateLimit-Reset": self.reset}
        self.remaining = max(0, self.remaining - 1)
        if page:
            base = self.server.url(request.path)
            headers["Link"] = (f'<{base}?max_id={page[-1]["id"]}>; rel="next", '
                               f'<{base}?min_id={page[0]["id"]}>; rel="prev"')
        return Reply.json(page, headers=headers)


def upto(n: int) -> list[dict[str, Any]]:
    """Recorded statuses 1..n, as a server would have them when status n was the newest."""
    return [BY_NUMBER[k] for k in range(1, n + 1)]


def mastodon(server: ApiServer, name: str = "masto", **options: Any) -> MastodonConfig:
    return MastodonConfig.model_validate({"name": name, "url": server.base, "timeline": "public", **options})


def collector(feeds: list[Any], settings: CollectorSettings, sink: RecordingSink,
              clock: Callable[[], datetime] | None = None) -> Collector:
    return Collector(feeds, settings, sink, clock=clock or Clock(), rng=random.Random(0))


# --- configuration ------------------------------------------------------------------


def test_a_feeds_file_entry_selects_the_mastodon_model_and_its_keys() -> None:
    entry = {"name": "m", "type": "mastodon", "url": "https://mastodon.example/", "timeline": "tag",
             "hashtag": "#Sudan", "token_env": "MASTO_TOKEN"}
    (feed,) = parse_sources({"feeds": [entry]}, "feeds.yaml")
    assert isinstance(feed, MastodonConfig)
    assert (feed.url, feed.hashtag, feed.token_env, feed.official) == (
        "https://mastodon.example", "Sudan", "MASTO_TOKEN", False)


@pytest.mark.parametrize(("entry", "message"), [
    ({"timeline": "tag"}, "timeline 'tag' needs 'hashtag'"),
    ({"timeline": "account"}, "needs 'account'"),
    ({"timeline": "public", "hashtag": "x"}, "only for timeline 'tag'"),
    ({"timeline": "home"}, "timeline: Input should be"),
    ({"timeline": "public", "token": "abc"}, "token: unknown key"),
    ({"timeline": "public", "token_env": "Bearer abc.def"}, "must name an environment variable"),
    ({"timeline": "tag", "hashtag": "two words"}, "must be a hashtag"),
    ({"timeline": "public", "page_size": 80}, "page_size"),
])
def test_config_mistakes_name_the_feed_and_the_field(entry: dict[str, Any], message: str) -> None:
    with pytest.raises(SourceConfigError, match=r"feeds\[0\] \(m\): ") as raised:
        parse_sources({"feeds": [{"name": "m", "type": "mastodon", "url": "https://mastodon.example",
                                  **entry}]}, "feeds.yaml")
    assert message in str(raised.value)


# --- paging and cursors ---------------------------------------------------------------


async def test_the_first_poll_takes_the_newest_page_and_later_polls_page_forward_without_gaps(
        api_server: ApiServer, fast_settings: CollectorSettings) -> None:
    fake = FakeMastodon(api_server, upto(4))
    sink = RecordingSink()
    async with collector([mastodon(api_server, page_size=2)], fast_settings, sink) as running:
        await running.run_once()
        assert numbers(api_server, sink.items) == [4, 3]  # the newest page only: no backfill of history
        fake.add(*[BY_NUMBER[n] for n in range(5, 12)])  # 7 new; 5 (a reblog) and 6 (private) not public
        await running.run_once()
    assert numbers(api_server, sink.items) == [4, 3, 8, 7, 10, 9, 11]
    pages = [(r.arg("min_id"), r.arg("limit")) for r in api_server.hits("/api/v1/timelines/public")]
    assert pages == [(None, "2"), (BY_NUMBER[4]["id"], "2"), (BY_NUMBER[8]["id"], "2"),
                     (BY_NUMBER[10]["id"], "2")]


async def test_a_spent_request_budget_leaves_the_rest_for_the_next_poll(
        api_server: ApiServer, fast_settings: CollectorSettings) -> None:
    fake = FakeMastodon(api_server, upto(1))
    sink = RecordingSink()
    async with collector([mastodon(api_server, page_size=2, max_requests=2)], fast_settings, sink) as running:
        await running.run_once()
        fake.add(*[BY_NUMBER[n] for n in range(2, 13)])
        await running.run_once()
        after_budget = numbers(api_server, sink.items)
        await running.run_once()
    assert after_budget == [1, 3, 2, 7, 4]
    assert numbers(api_server, sink.items) == [1, 3, 2, 7, 4, 9, 8, 11, 10]


async def test_a_restarted_collector_resumes_from_the_stored_cursor_without_gaps_or_repeats(
        api_server: ApiServer, tmp_path: Any) -> None:
    settings = CollectorSettings(
        allow_private_targets=True, state_path=tmp_path / "state.sqlite3", timeout_s=2.0, retries=0,
                                 min_interval_s=0.02)
    fake = FakeMastodon(api_server, upto(3))
    feed = mastodon(api_server, page_size=2, interval=0.05)
    first, second = RecordingSink(), RecordingSink()
    stop = asyncio.Event()
    async with Collector([feed], settings, first) as running:
        task = asyncio.create_task(running.run(stop))
        await asyncio.sleep(0.3)
        fake.add(BY_NUMBER[4])
        await asyncio.sleep(0.3)
        stop.set()
        await asyncio.wait_for(task, timeout=2.0)
    fake.add(*[BY_NUMBER[n] for n in range(5, 13)])  # arrive while no collector runs
    stop = asyncio.Event()
    async with Collector([feed], settings, second) as running:
        task = asyncio.create_task(running.run(stop))
        await asyncio.sleep(0.5)
        stop.set()
        await asyncio.wait_for(task, timeout=2.0)
    assert numbers(api_server, first.items) == [3, 2, 4]
    assert numbers(api_server, second.items) == [8, 7, 10, 9, 12, 11]
    assert api_server.hits("/api/v1/timelines/public")[0].arg("min_id") is None


async def test_the_cursor_does_not_move_when_the_broker_does_not_acknowledge(
        api_server: ApiServer, fast_settings: CollectorSettings) -> None:
    fake = FakeMastodon(api_server, upto(2))
    sink = RecordingSink()
    async with collector([mastodon(api_server)], fast_settings, sink) as running:
        await running.run_once()
        fake.add(BY_NUMBER[3])
        sink.refuse = True
        refused = await running.run_once()
        assert running.store.load("masto").cursor == BY_NUMBER[2]["id"]
        sink.refuse = False
        await running.run_once()
    assert refused.by_feed["masto"].status == "failed"
    assert numbers(api_server, sink.items) == [2, 1, 3]


# --- items ----------------------------------------------------------------------------


async def test_statuses_become_items_with_pseudonymous_authors_engagement_relations_and_provenance(
        api_server: ApiServer, fast_settings: CollectorSettings) -> None:
    FakeMastodon(api_server, upto(9))
    sink = RecordingSink()
    async with collector([mastodon(api_server, timeline="tag", hashtag="ElFasher", country="SD")],
                         fast_settings, sink) as running:
        await running.run_once()
    assert numbers(api_server, sink.items) == [2, 1]
    shelling = sink.items[0]
    original = BY_NUMBER[2]
    assert shelling.id == item_id_on(api_server, original["id"])
    assert shelling.id.startswith("i-") and len(shelling.id) == 34
    assert shelling.url == original["url"]
    assert shelling.title == ("Heavy shelling reported near the eastern market since dawn. Families moving "
                             "towards…")
    assert shelling.text == ("Heavy shelling reported near the eastern market since dawn. Families moving "
                             "towards the university compound.\n#Sudan #ElFasher")
    assert shelling.published == datetime(2024, 5, 15, 6, 40, 52, 318000, tzinfo=UTC)
    assert (shelling.lang_hint, shelling.country_hint, shelling.tags) == ("en", "SD", ["sudan", "elfasher"])
    assert shelling.engagement == {"replies": 7, "reposts": 58, "likes": 40}
    assert shelling.raw_sha256 == hashlib.sha256(canonical_json(original)).hexdigest()
    assert shelling.authors[0].startswith("p:") and "amina" not in shelling.authors[0]
    assert shelling.source.type == "mastodon" and shelling.source.url == api_server.base
    assert shelling.provenance is not None
    assert shelling.provenance.fetch_url.startswith(api_server.url("/api/v1/timelines/tag/ElFasher?"))
    assert shelling.provenance.status == 200
    assert "date" in shelling.provenance.headers
    assert "x-ratelimit-remaining" not in shelling.provenance.headers


async def test_replies_quotes_and_content_warnings(api_server: ApiServer,
                                                     fast_settings: CollectorSettings) -> None:
    FakeMastodon(api_server, upto(9))
    sink = RecordingSink()
    async with collector([mastodon(api_server)], fast_settings, sink) as running:
        await running.run_once()
    by_number = dict(zip(numbers(api_server, sink.items), sink.items, strict=True))
    assert by_number[3].relations == {"reply_to": item_id_on(api_server, BY_NUMBER[2]["id"])}
    assert by_number[9].relations == {"quote_of": item_id_on(api_server, BY_NUMBER[3]["id"])}
    assert by_number[7].title == "CW: graphic injuries, El Fasher"
    assert by_number[7].text.startswith("CW: graphic injuries, El Fasher\nGraphic: images")
    assert by_number[4].lang_hint == "ar" and by_number[4].text.startswith("نزوح")
    assert 5 not in by_number and 6 not in by_number  # the public timeline has no reblogs, no private posts


async def test_an_account_timeline_looks_the_account_up_once_and_keeps_official_handles(
        api_server: ApiServer, fast_settings: CollectorSettings) -> None:
    FakeMastodon(api_server, upto(12))
    sink = RecordingSink()
    feed = mastodon(api_server, timeline="account", account="@CivWatch", official=True)
    async with collector([feed], fast_settings, sink) as running:
        await running.run_once()
        await running.run_once()
    assert numbers(api_server, sink.items) == [12, 7, 3]
    assert {author for item in sink.items for author in item.authors} == {"civwatch@127.0.0.1"}
    assert len(api_server.hits("/api/v1/accounts/lookup")) == 1
    assert api_server.hits("/api/v1/accounts/lookup")[0].arg("acct") == "CivWatch"


async def test_the_token_comes_from_the_named_variable_and_private_posts_are_still_dropped(
        api_server: ApiServer, fast_settings: CollectorSettings, monkeypatch: pytest.MonkeyPatch) -> None:
    FakeMastodon(api_server, upto(12))
    monkeypatch.setenv("TOCSIN_TEST_MASTO_TOKEN", "s3cret-token")
    sink = RecordingSink()
    feed = mastodon(api_server, timeline="account", account_id=BY_NUMBER[2]["account"]["id"],
                    token_env="TOCSIN_TEST_MASTO_TOKEN")
    async with collector([feed], fast_settings, sink) as running:
        await running.run_once()
    assert [r.headers["authorization"] for r in api_server.hits()] == ["Bearer s3cret-token"]
    # 6 is followers-only: the token shows it, the source drops it.
    assert numbers(api_server, sink.items) == [10, 2]
    assert "s3cret" not in "".join(item.to_bytes().decode() for item in sink.items)
    assert api_server.hits("/api/v1/accounts/lookup") == []


async def test_a_reblog_carries_the_original_text_and_points_at_it(
        api_server: ApiServer, fast_settings: CollectorSettings) -> None:
    FakeMastodon(api_server, upto(12))
    sink = RecordingSink()
    feed = mastodon(api_server, timeline="account", account_id=BY_NUMBER[5]["account"]["id"])
    async with collector([feed], fast_settings, sink) as running:
        await running.run_once()
    reblog = dict(zip(numbers(api_server, sink.items), sink.items, strict=True))[5]
    assert reblog.relations == {"repost_of": item_id_on(api_server, BY_NUMBER[2]["id"])}
    assert reblog.text.startswith("Heavy shelling") and reblog.url == BY_NUMBER[2]["url"]
    assert reblog.published == datetime(2024, 5, 15, 7, 30, tzinfo=UTC)  # when it was boosted


async def test_a_missing_token_variable_fails_the_poll_without_a_request(
        api_server: ApiServer, fast_settings: CollectorSettings, monkeypatch: pytest.MonkeyPatch) -> None:
    FakeMastodon(api_server, upto(2))
    monkeypatch.delenv("TOCSIN_TEST_UNSET", raising=False)
    async with collector([mastodon(api_server, token_env="TOCSIN_TEST_UNSET")], fast_settings,
                         RecordingSink()) as running:
        report = (await running.run_once()).by_feed["masto"]
    assert report.status == "failed" and "TOCSIN_TEST_UNSET" in (report.error or "")
    assert api_server.hits() == []


# --- hostile and broken answers -------------------------------------------------------


async def test_hostile_statuses_are_sanitised_or_dead_lettered_and_the_rest_kept(
        api_server: ApiServer, fast_settings: CollectorSettings) -> None:
    hostile = recorded("mastodon/hostile_statuses.json")
    hostile[3]["content"] = "<p>" + "A" * 2_000_000 + " tail</p>"  # one 2 MB "word"
    api_server.script("/api/v1/timelines/public", Reply.json(hostile))
    sink = RecordingSink()
    async with collector([mastodon(api_server)], fast_settings, sink) as running:
        report = (await running.run_once()).by_feed["masto"]
    assert report.status == "new"
    assert sorted(letter.reason for letter in sink.dead_letters) == ["unusable_post"] * 3
    assert all("masto" in letter.error for letter in sink.dead_letters)
    assert len(sink.items) == 4  # the direct message is dropped
    typed = next(item for item in sink.items if item.id == item_id_on(api_server, "113000000000000002"))
    assert (typed.url, typed.text, typed.tags, typed.authors, typed.engagement, typed.lang_hint) == (
        None, "", [], [], {}, None)
    assert typed.relations == {}
    assert typed.published == datetime(2024, 5, 15, 10, 0, tzinfo=UTC)  # Unix seconds are accepted
    scripted = next(item for item in sink.items if item.id == item_id_on(api_server, "113000000000000003"))
    assert scripted.text == "Hello world" and scripted.published is None
    assert scripted.url == "https://mastodon.example/users/x/statuses/113000000000000003"
    assert scripted.tags == [] and scripted.authors == []  # "<b>ok</b>" is no hashtag
    huge = next(item for item in sink.items if item.id == item_id_on(api_server, "113000000000000004"))
    assert len(huge.title) <= 201 and huge.title.endswith("…") and huge.published is None
    assert huge.lang_hint == "en"
    assert any(item.relations == {"quote_of": item_id_on(api_server, "5")} for item in sink.items)


async def test_a_body_that_is_not_json_is_a_dead_letter_and_a_failed_poll(
        api_server: ApiServer, fast_settings: CollectorSettings) -> None:
    api_server.script("/api/v1/timelines/public", Reply(200, recorded_bytes("mastodon/error_page.html"),
                                                        {"Content-Type": "text/html"}))
    sink = RecordingSink()
    async with collector([mastodon(api_server)], fast_settings, sink) as running:
        report = (await running.run_once()).by_feed["masto"]
        state = running.store.load("masto")
    assert report.status == "failed" and state.failures == 1 and state.cursor is None
    (letter,) = sink.dead_letters
    assert letter.reason == "malformed_response" and letter.stage == "collector" and letter.key == "masto"
    assert "not JSON" in letter.error and "<!DOCTYPE html>" in letter.error


@pytest.mark.parametrize(("document", "expected"), [
    ({"error": "This method requires an authenticated user"}, "an object with keys 'error'"),
    ("[" * 100_000 + "]" * 100_000, "not JSON"),
    ([1, 2], None),
])
async def test_json_of_the_wrong_shape_is_a_dead_letter_not_a_crash(
        api_server: ApiServer, fast_settings: CollectorSettings, document: Any, expected: str | None) -> None:
    body = document.encode() if isinstance(document, str) else json.dumps(document).encode()
    api_server.script("/api/v1/timelines/public", Reply(200, body, {"Content-Type": "application/json"}))
    sink = RecordingSink()
    async with collector([mastodon(api_server)], fast_settings, sink) as running:
        report = (await running.run_once()).by_feed["masto"]
    if expected is None:  # a list of non-objects: each one is a dead letter, the poll itself succeeds
        assert report.status == "unchanged" and [d.reason for d in sink.dead_letters] == ["unusable_post"] * 2
    else:
        assert report.status == "failed" and expected in (report.error or "")
        assert [letter.reason for letter in sink.dead_letters] == ["malformed_response"]


async def test_a_401_on_a_public_timeline_says_a_token_may_be_needed(
        api_server: ApiServer, fast_settings: CollectorSettings) -> None:
    api_server.script("/api/v1/timelines/public",
                      Reply.json({"error": "This method requires an authenticated user"}, status=401))
    async with collector([mastodon(api_server, timeline="local")], fast_settings, RecordingSink()) as running:
        report = (await running.run_once()).by_feed["masto"]
    assert report.status == "failed" and report.http_status == 401
    assert "closed this timeline to unauthenticated callers" in (report.error or "")


async def test_a_429_with_retry_after_defers_the_next_poll(
        api_server: ApiServer, fast_settings: CollectorSettings) -> None:
    api_server.script("/api/v1/timelines/public", Reply(429, b"", {"Retry-After": "900"}))
    clock = Clock()
    feed = mastodon(api_server, interval=60)
    async with collector([feed], fast_settings, RecordingSink(), clock) as running:
        report = (await running.run_once()).by_feed["masto"]
    assert report.status == "failed" and report.http_status == 429
    assert report.next_poll is not None and report.next_poll - clock.now >= timedelta(seconds=900)
    assert len(api_server.hits()) == 1


async def test_a_spent_rate_limit_stops_paging_and_defers_the_next_poll_until_the_reset(
        api_server: ApiServer, fast_settings: CollectorSettings) -> None:
    fake = FakeMastodon(api_server, upto(1))
    clock = Clock()  # 12:00; the fake's budget resets at 12:05
    sink = RecordingSink()
    async with collector([mastodon(api_server, page_size=2, interval=60)], fast_settings, sink,
                         clock) as running:
        await running.run_once()
        fake.add(*[BY_NUMBER[n] for n in range(2, 13)])
        fake.remaining = 0
        report = (await running.run_once()).by_feed["masto"]
    assert numbers(api_server, sink.items) == [1, 3, 2]
    assert len(api_server.hits()) == 2
    assert report.next_poll is not None and report.next_poll - clock.now >= timedelta(minutes=5)


def test_status_ids_order_by_length_then_text() -> None:
    ids = ["99", "100", "112450000000001017", "112450000000010017", "9"]
    assert sorted(ids, key=id_order) == ["9", "99", "100", "112450000000001017", "112450000000010017"]


def test_the_same_status_from_another_instance_has_another_id() -> None:
    status = copy.deepcopy(BY_NUMBER[1])
    assert status_item_id("a.example", status["id"]) != status_item_id("b.example", status["id"])


async def test_an_answer_over_the_size_cap_is_a_dead_letter(api_server: ApiServer, tmp_path: Any) -> None:
    settings = CollectorSettings(
        allow_private_targets=True, state_path=tmp_path / "s.db", retries=0, max_feed_bytes=4096)
    FakeMastodon(api_server, upto(12))  # twelve statuses are ~30 KB
    sink = RecordingSink()
    async with collector([mastodon(api_server)], settings, sink) as running:
        report = (await running.run_once()).by_feed["masto"]
    assert report.status == "failed"
    (letter,) = sink.dead_letters
    assert letter.reason == "response_too_large" and "the limit is 4096 bytes" in letter.error
