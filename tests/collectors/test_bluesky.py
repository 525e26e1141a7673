"""collectors.bluesky: Jetstream events to items, and the stream against a local WebSocket server.

The server replays ``data/bluesky/jetstream.jsonl`` (frames as Jetstream sends them,
malformed ones included) from the ``cursor`` a client asks for, honours
``wantedDids``, can drop a connection after a number of frames, and can hold back
frames not yet "live", so restarts and reconnects are tested against real sockets.
"""

from __future__ import annotations

import asyncio
import base64
import json
import math
import random
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from websockets.asyncio.server import ServerConnection, serve

from collectors.bluesky import (
    BlueskyConfig,
    Filters,
    KeywordMatcher,
    MalformedEvent,
    decode_event,
    post_item_id,
    read_frame,
    subscribe_url,
)
from collectors.config import FeedConfig, SourceConfigError, parse_sources
from collectors.pseudonyms import author_pseudonym
from collectors.runner import Collector
from collectors.state import FeedState, StateStore
from tocsin.schema import DeadLetter, Item
from tocsin.settings import CollectorSettings

FIXTURE = Path(__file__).parent / "data" / "bluesky" / "jetstream.jsonl"
FRAMES = FIXTURE.read_text(encoding="utf-8").splitlines()
T0 = 1715680000000000
A = "did:plc:aaaa2bbbb3cccc4dddd5eeee"
D = "did:plc:dddd2eeee3ffff4gggg5hhhh"
NOW = datetime(2024, 5, 15, 12, 0, tzinfo=UTC)
SECRET = "test-key"
KEYWORDS = ["shelling", "massacre*", "El Fasher", "الفاشر"]
P1 = post_item_id(f"at://{A}/app.bsky.feed.post/3ksoaaa00001")
# What the fixture must yield with KEYWORDS and languages [en, ar], in stream order: (frame, deleted).
EXPECTED = [(1, False), (5, False), (8, False), (9, False), (12, True), (14, False), (17, False), (18, False)]
MALFORMED_FRAMES = 5


def time_of(frame: int) -> int:
    return T0 + frame * 1_000_000


def config(url: str = "wss://jetstream.example/subscribe", name: str = "bsky",
           **options: Any) -> BlueskyConfig:
    entry = {"name": name, "type": "bluesky", "url": url, "keywords": KEYWORDS, "languages": ["en", "ar"],
             "batch_wait": 0.05, **options}
    (feed,) = parse_sources({"feeds": [entry]}, "feeds.yaml")
    assert isinstance(feed, BlueskyConfig)
    return feed


def read(frame: str | bytes, feed: BlueskyConfig | None = None) -> Any:
    feed = feed or config()
    return read_frame(frame, feed=feed, filters=Filters.of(feed), collected=NOW, secret=SECRET)


def frame_number(item: Item) -> int:
    """The fixture's frame of an item: posts are created 0.4 s before the relay stamps them."""
    assert item.published is not None
    return math.ceil((item.published.timestamp() * 1_000_000 - T0) / 1_000_000 - 1e-6)


# --- config ---------------------------------------------------------------------------


@pytest.mark.parametrize(("options", "message"), [
    ({"keywords": []}, "give keywords or accounts"),
    ({"keywords": ["*"]}, "may not be empty"),
    ({"accounts": ["@someone.bsky.social"]}, "accounts must be DIDs"),
    ({"official": True}, "official: true needs accounts"),
    ({"url": "https://jetstream.example/subscribe"}, "ws(s)://"),
    ({"url": "wss://jetstream.example/subscribe?cursor=1"}, "without a query"),
    ({"languages": ["english"]}, "ISO 639"),
    ({"batch_size": 0}, "batch_size"),
])
def test_config_mistakes_name_the_feed_and_the_problem(options: dict[str, Any], message: str) -> None:
    entry = {"name": "bsky", "type": "bluesky", "keywords": ["x"], **options}
    with pytest.raises(SourceConfigError, match=r"feeds\[0\] \(bsky\)") as error:
        parse_sources({"feeds": [entry]}, "feeds.yaml")
    assert message in str(error.value)


def test_the_subscription_names_the_collection_the_accounts_and_the_cursor() -> None:
    url = subscribe_url(config(accounts=[A, D]), 1715680000000000)
    parts = urlsplit(url)
    assert parts.netloc == "jetstream.example" and parts.path == "/subscribe"
    assert parse_qs(parts.query) == {"wantedCollections": ["app.bsky.feed.post"], "wantedDids": [A, D],
                                     "cursor": ["1715680000000000"]}
    assert "cursor" not in subscribe_url(config(), None)


# --- filters --------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("Heavy SHELLING overnight", True),
    ("shellings", False),
    ("the massacres of 2023", True),
    ("a massacre.", True),
    ("El   Fasher residents", True),
    ("ElFasher", False),
    ("قصف على الفاشر", True),
    ("nothing relevant", False),
])
def test_keywords_match_whole_words_phrases_and_endings(text: str, expected: bool) -> None:
    assert KeywordMatcher(KEYWORDS).matches(text) is expected


@given(st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=5), st.text(max_size=200))
def test_keyword_matching_never_raises_and_finds_each_keyword_standing_alone(
        keywords: list[str], text: str) -> None:
    matcher = KeywordMatcher(keywords)
    matcher.matches(text)
    for keyword in keywords:
        words = keyword.rstrip("*").split()
        if words and all(word[0].isalnum() and word[-1].isalnum() for word in words):
            assert matcher.matches(f"x {' '.join(words)} y")


# --- frames to items ------------------------------------------------------------------


def test_a_matching_post_becomes_an_item() -> None:
    item = read(FRAMES[0]).item
    assert item.id == P1 and item.url == f"https://bsky.app/profile/{A}/post/3ksoaaa00001"
    assert item.text == "Reports of shelling in El Fasher this morning, at least 3 killed."
    assert item.title == item.text and item.lang_hint == "en" and item.source.type == "bluesky"
    assert item.authors == [author_pseudonym(SECRET, "bluesky", A)]
    assert item.published == datetime(2024, 5, 14, 9, 46, 40, 600000, tzinfo=UTC)
    assert len(item.raw_sha256) == 64 and not item.deleted


def test_replies_quotes_and_tags_are_kept() -> None:
    reply = read(FRAMES[7]).item
    assert reply.relations == {"reply_to": P1} and reply.lang_hint == "en"
    quote = read(FRAMES[8]).item
    assert quote.relations == {"quote_of": P1}
    assert quote.tags == ["darfur", "Sudan"]


def test_a_creation_date_in_the_future_gives_way_to_the_relay_time() -> None:
    item = read(FRAMES[13]).item
    assert item.published == datetime.fromtimestamp(time_of(14) / 1e6, UTC)
    assert item.authors == [author_pseudonym(SECRET, "bluesky", "did:web:monitor.example.org")]


def test_a_link_card_is_searched_and_kept_as_text_but_never_as_a_link() -> None:
    item = read(FRAMES[16]).item
    assert item.text == ("<script>alert(1)</script> look\n\nEl Fasher: shelling <b>kills</b> three\n"
                         "Camp committee says")
    assert item.url is not None and item.url.startswith("https://bsky.app/")


def test_a_deletion_is_an_item_with_the_posts_id_and_no_text() -> None:
    result = read(FRAMES[11])
    assert result.item.id == P1 and result.item.deleted and result.deletion_by == A
    assert (result.item.text, result.item.title) == ("", "")
    assert result.item.published == datetime.fromtimestamp(time_of(12) / 1e6, UTC)


@pytest.mark.parametrize("index", [1, 2, 3, 9, 10, 19])
def test_filter_misses_and_other_events_advance_the_cursor_only(index: int) -> None:
    result = read(FRAMES[index])
    assert result.item is None and result.dead_letter is None and result.time_us == time_of(index + 1)


@pytest.mark.parametrize(("index", "fragment"), [(5, "record.text is int"), (6, "not JSON"),
                                                 (14, "expected a JSON object"), (15, "time_us must be"),
                                                 (18, "did is not a DID")])
def test_malformed_frames_are_dead_letters(index: int, fragment: str) -> None:
    result = read(FRAMES[index])
    assert result.item is None and result.dead_letter is not None
    assert result.dead_letter.reason == "malformed_event" and fragment in result.dead_letter.error


def test_posts_without_a_declared_language_pass_only_when_asked() -> None:
    assert read(FRAMES[10]).item is None
    assert read(FRAMES[10], config(keep_unlabelled=True)).item is not None


def test_an_official_account_keeps_its_did() -> None:
    feed = config(accounts=[A], official=True)
    assert read(FRAMES[0], feed).item.authors == [A]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300) | st.binary(max_size=300))
def test_any_frame_that_is_not_an_event_is_a_malformed_event_dead_letter_with_its_bytes(
        frame: str | bytes) -> None:
    """``read_frame`` catches everything, so "never raises" proves nothing: what comes out must be."""
    try:
        decode_event(frame)
    except MalformedEvent:
        pass
    else:
        return  # hypothesis wrote a valid event: the next test's business
    out = read(frame)
    assert out.item is None and out.deletion_by is None
    assert out.dead_letter.reason == "malformed_event"
    assert base64.b64decode(out.dead_letter.payload_b64) == (
        frame if isinstance(frame, bytes) else frame.encode("utf-8", "surrogatepass"))


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner,
                                                                                 max_size=4), max_leaves=15)


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries({"did": st.sampled_from([A, "did:plc:x", 5]), "time_us": st.integers(),
                              "kind": st.sampled_from(["commit", "identity", None]),
                              "commit": st.fixed_dictionaries(
                                  {"operation": st.sampled_from(["create", "update", "delete", 1]),
                                   "collection": st.sampled_from(["app.bsky.feed.post", "x"]),
                                   "rkey": st.sampled_from(["3ksoaaa00001", "../x", None]),
                                   "record": JSON | st.fixed_dictionaries({"text": st.just("shelling"),
                                                                           "langs": JSON, "reply": JSON,
                                                                           "embed": JSON, "facets": JSON,
                                                                           "createdAt": JSON})})}))
@example(json.loads(FRAMES[0]))
def test_any_shaped_event_is_read_by_the_parser_itself_not_by_its_catch_all(event: dict[str, Any]) -> None:
    """An item, nothing, or a dead letter for a reason the parser found; never the catch-all's
    ``event_not_normalisable``, which would mean a shape the code does not expect."""
    out = read(json.dumps(event))
    assert out.item is None or out.dead_letter is None
    if out.dead_letter is not None:
        assert out.dead_letter.reason == "malformed_event", out.dead_letter.error
    if out.item is not None:
        commit = event["commit"]
        assert out.item.id == post_item_id(f"at://{event['did']}/{commit['collection']}/{commit['rkey']}")
        assert out.item.source.type == "bluesky"
        if commit["operation"] == "delete":     # a deletion carries no text, whatever the record held
            assert out.item.deleted and out.item.text == "" and out.deletion_by == event["did"]
        else:
            assert not out.item.deleted and out.item.text == commit["record"]["text"]


# --- a local Jetstream ------------------------------------------------------------------


class LocalJetstream:
    def __init__(self, frames: Sequence[str]) -> None:
        self.frames = list(self._timed(frames))
        self.available = len(self.frames)
        """Frames beyond this are not "live" yet: a connection waits for them."""
        self.drop_after: list[int | None] = []
        """Per connection, in order: close it after this many frames (None: never)."""
        self.queries: list[dict[str, list[str]]] = []
        self.url = ""

    @staticmethod
    def _timed(frames: Sequence[str]) -> list[tuple[int, str, str | None]]:
        """(time, frame, did): a frame without a readable time_us keeps its predecessor's."""
        timed, last = [], 0
        for frame in frames:
            try:
                event = json.loads(frame)
                last = event["time_us"] if isinstance(event, dict) and "time_us" in event else last
                did = event.get("did") if isinstance(event, dict) else None
            except ValueError:
                did = None
            timed.append((last, frame, did))
        return timed

    async def handler(self, connection: ServerConnection) -> None:
        assert connection.request is not None
        query = parse_qs(urlsplit(connection.request.path).query)
        self.queries.append(query)
        cursor = int(query["cursor"][0]) if "cursor" in query else None
        wanted = set(query.get("wantedDids", []))
        drop = self.drop_after.pop(0) if self.drop_after else None
        sent = 0
        for index, (time_us, frame, did) in enumerate(self.frames):
            while index >= self.available:
                await asyncio.sleep(0.01)
            if cursor is not None and time_us < cursor:
                continue
            if wanted and did is not None and did not in wanted:
                continue
            if drop is not None and sent >= drop:
                await connection.close(1011, "relay restarting")
                return
            await connection.send(frame)
            sent += 1
        await connection.wait_closed()


@pytest.fixture
async def jetstream() -> AsyncIterator[LocalJetstream]:
    local = LocalJetstream(FRAMES)
    async with serve(local.handler, "127.0.0.1", 0) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        local.url = f"ws://127.0.0.1:{port}/subscribe"
        yield local


class RecordingSink:
    def __init__(self) -> None:
        self.items: list[Item] = []
        self.dead_letters: list[DeadLetter] = []
        self.refusals = 0

    async def publish(self, items: Sequence[Item], dead_letters: Sequence[DeadLetter]) -> None:
        if self.refusals:
            self.refusals -= 1
            raise ConnectionError("broker unreachable")
        self.items.extend(items)
        self.dead_letters.extend(dead_letters)


@pytest.fixture
def bsky_settings(tmp_path: Path) -> CollectorSettings:
    return CollectorSettings(
        allow_private_targets=True, state_path=tmp_path / "state.db", timeout_s=2.0, backoff_base_s=0.01,
                             pseudonym_secret=SECRET)  # type: ignore[arg-type]


async def run_until(feeds: Sequence[FeedConfig], settings: CollectorSettings, sink: RecordingSink,
                    done: Callable[[Collector], bool], timeout: float = 10.0) -> None:
    stop = asyncio.Event()
    async with Collector(feeds, settings, sink, rng=random.Random(0)) as running:
        task = asyncio.create_task(running.run(stop))
        try:
            async with asyncio.timeout(timeout):
                while not done(running):
                    await asyncio.sleep(0.02)
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=10.0)


def cursor_at(frame: int, name: str = "bsky") -> Callable[[Collector], bool]:
    return lambda running: running.store.load(name).cursor == str(time_of(frame))


def stream_order(items: Sequence[Item]) -> list[tuple[int, bool]]:
    return [(frame_number(item), item.deleted) for item in items]


async def test_the_stream_publishes_matches_deletions_and_dead_letters_and_stores_the_cursor(
        jetstream: LocalJetstream, bsky_settings: CollectorSettings) -> None:
    sink = RecordingSink()
    await run_until([config(jetstream.url)], bsky_settings, sink, cursor_at(20))
    assert stream_order(sink.items) == EXPECTED
    assert len(sink.dead_letters) == MALFORMED_FRAMES
    update = sink.items[-1]
    assert update.id == sink.items[2].id and "Kordofan" in update.text  # an update is an edit
    provenance = sink.items[0].provenance
    assert provenance is not None and provenance.fetch_url.startswith(jetstream.url)
    assert provenance.status == 101
    assert jetstream.queries[0]["wantedCollections"] == ["app.bsky.feed.post"]
    assert "cursor" not in jetstream.queries[0]


async def test_a_dropped_connection_resumes_from_the_cursor_without_gap_or_duplicate(
        jetstream: LocalJetstream, bsky_settings: CollectorSettings) -> None:
    jetstream.drop_after = [9, 4]
    sink = RecordingSink()
    await run_until([config(jetstream.url)], bsky_settings, sink, cursor_at(20))
    assert stream_order(sink.items) == EXPECTED
    assert len(sink.dead_letters) == MALFORMED_FRAMES  # replayed malformed frames are not sent twice
    assert len(jetstream.queries) == 3
    resumed = [int(query["cursor"][0]) for query in jetstream.queries[1:]]
    assert resumed[0] == time_of(9) - 5_000_000  # acknowledged up to frame 9, rewound 5 s


async def test_a_restart_resumes_from_the_stored_cursor_without_gap_or_duplicate(
        jetstream: LocalJetstream, bsky_settings: CollectorSettings) -> None:
    jetstream.available = 9
    before = RecordingSink()
    await run_until([config(jetstream.url)], bsky_settings, before, cursor_at(9))
    jetstream.available = len(FRAMES)
    after = RecordingSink()
    await run_until([config(jetstream.url)], bsky_settings, after, cursor_at(20))
    assert stream_order(before.items) == EXPECTED[:4]
    assert stream_order(after.items) == EXPECTED[4:]
    assert jetstream.queries[1]["cursor"] == [str(time_of(9) - 5_000_000)]


async def test_an_unacknowledged_batch_is_read_again_after_the_runner_restarts_the_stream(
        jetstream: LocalJetstream, bsky_settings: CollectorSettings) -> None:
    sink = RecordingSink()
    sink.refusals = 1
    await run_until([config(jetstream.url)], bsky_settings, sink, cursor_at(20))
    assert stream_order(sink.items) == EXPECTED
    assert len(jetstream.queries) >= 2


async def test_a_feed_of_accounts_alone_subscribes_to_them_and_keeps_all_their_deletions(
        jetstream: LocalJetstream, bsky_settings: CollectorSettings) -> None:
    feed = config(jetstream.url, keywords=[], languages=[], accounts=[A], official=True)
    with StateStore(bsky_settings.state_path, seen_limit=10) as store:
        store.save(FeedState("bsky", cursor=str(time_of(10))))  # the post itself is long gone
    sink = RecordingSink()
    await run_until([feed], bsky_settings, sink, cursor_at(17))
    assert jetstream.queries[0]["wantedDids"] == [A]
    assert [(item.id, item.deleted) for item in sink.items] == [
        (P1, True), (post_item_id(f"at://{A}/app.bsky.feed.post/3ksoaaa00017"), False)]
    assert sink.items[0].authors == [A]


async def test_a_429_on_the_handshake_is_retried_no_sooner_than_retry_after(
        bsky_settings: CollectorSettings) -> None:
    attempts: list[float] = []
    local = LocalJetstream(FRAMES)

    def rate_limit(connection: ServerConnection, request: Any) -> Any:
        attempts.append(asyncio.get_running_loop().time())
        if len(attempts) == 1:
            response = connection.respond(429, "slow down\n")
            response.headers["Retry-After"] = "1"
            return response
        return None

    async with serve(local.handler, "127.0.0.1", 0, process_request=rate_limit) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        sink = RecordingSink()
        await run_until([config(f"ws://127.0.0.1:{port}/subscribe")], bsky_settings, sink, cursor_at(20))
    assert stream_order(sink.items) == EXPECTED
    assert attempts[1] - attempts[0] >= 1.0


async def test_an_unreachable_stream_does_not_stall_a_polled_feed(
        feed_server: Any, rss: Callable[..., bytes], bsky_settings: CollectorSettings) -> None:
    feed_server.route("/f", body=rss([{"title": "A", "guid": "urn:a"}]))
    polled = FeedConfig(name="polled", url=feed_server.url("/f"), interval=60)
    sink = RecordingSink()
    dead = config("ws://127.0.0.1:9/subscribe")  # discard port: refused
    await run_until([dead, polled], bsky_settings, sink, lambda running: len(sink.items) == 1)
    assert [item.title for item in sink.items] == ["A"]


# --- a cursor older than the instance's history -----------------------------------------------
# Jetstream answers a cursor older than its history (JETSTREAM_EVENT_TTL, 24 h by default in the
# server: bluesky-social/jetstream-legacy cmd/jetstream/main.go, flag event-ttl; read 2026-12-06)
# from its oldest event, silently. This server keeps only the frames from `oldest` on.


def post_frame(time_us: int, rkey: str, text: str) -> str:
    return json.dumps({"did": A, "time_us": time_us, "kind": "commit", "commit": {
        "rev": rkey, "operation": "create", "collection": "app.bsky.feed.post", "rkey": rkey,
        "record": {"$type": "app.bsky.feed.post", "text": text, "createdAt": "2024-05-15T10:00:00Z",
                   "langs": ["en"]}, "cid": "bafyrei" + rkey}})


async def test_a_cursor_older_than_jetstreams_history_is_reported_with_the_span_lost(
        bsky_settings: CollectorSettings) -> None:
    hours = 3_600_000_000
    _early, late = post_frame(T0, "3ksoearly0001", "shelling at dawn"), \
        post_frame(T0 + 3 * hours, "3ksolate00001", "shelling at noon")
    local = LocalJetstream([late])  # the instance no longer holds `early`
    with StateStore(bsky_settings.state_path, seen_limit=100) as store:
        store.save(FeedState("bsky", cursor=str(T0 + 1_000_000)))
    sink = RecordingSink()
    async with serve(local.handler, "127.0.0.1", 0) as server:
        url = f"ws://127.0.0.1:{next(iter(server.sockets)).getsockname()[1]}/subscribe"
        await run_until([config(url, history="24h")], bsky_settings, sink,
                        lambda running: running.store.load("bsky").cursor == str(T0 + 3 * hours))
    assert [item.text for item in sink.items] == ["shelling at noon"]
    with StateStore(bsky_settings.state_path, seen_limit=100) as store:
        notes, error = store.notes(), store.load("bsky").last_error
    # Reported twice: before connecting (the cursor is older than 24 h: the test data is from
    # 2024) and after (the first event came three hours after the cursor asked for).
    assert notes == {("bsky", "history_gap"): 2}
    assert error is not None and "2024-05-14 09:46:36 UTC" in error and "3.0 h of posts are lost" in error
