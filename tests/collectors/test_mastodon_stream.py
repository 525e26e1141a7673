"""collectors.mastodon_stream: server-sent events parsed, and the stream against a local server.

The server plays a Mastodon instance: a tag timeline over REST (``min_id`` paging) and
the hashtag stream, which replays recorded events (written from Mastodon's streaming
API documentation: ``event: update`` / ``data: <status JSON>``, ``delete`` with a
status id, ``status.update`` for an edit, ``:thump`` heartbeats) per connection and
then drops the connection or holds it open.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from collectors.config import SourceConfigError, parse_sources
from collectors.mastodon import instance_key, status_item_id
from collectors.mastodon_stream import MastodonStreamConfig, SseEvent, SseParser, stream_url
from collectors.runner import Collector
from tests.collectors.test_runner import Clock, RecordingSink
from tocsin.settings import CollectorSettings

TOKEN = "s3cret-stream-token"
TOKEN_ENV = "MASTO_STREAM_TOKEN"


def status(number: int, text: str | None = None, visibility: str = "public") -> dict[str, Any]:
    return {"id": f"1124{number:04d}000000", "created_at": f"2024-05-15T11:{number % 60:02d}:00.000Z",
            "visibility": visibility, "content": f"<p>{text or f'Shelling reported, post {number}'}</p>",
            "spoiler_text": "", "language": "en", "url": f"https://mastodon.example/@alice/{number}",
            "account": {"id": "7", "acct": "alice"}, "tags": [{"name": "sudan"}], "reblog": None,
            "in_reply_to_id": None, "replies_count": 0, "reblogs_count": 0, "favourites_count": 0}


def sse(name: str, data: str) -> bytes:
    return (f"event: {name}\n" + "".join(f"data: {line}\n" for line in data.split("\n")) + "\n").encode()


# --- pure parts -------------------------------------------------------------------------


def parse(text: str) -> list[SseEvent]:
    parser = SseParser()
    return [event for line in text.split("\n") if (event := parser.feed(line)) is not None]


def test_sse_fields_comments_and_multi_line_data_are_read_as_the_standard_says() -> None:
    text = ":thump\nevent: update\ndata: {\"a\":\ndata:1}\n\n:thump\n\nevent:delete\r\ndata:42\r\n\n"
    assert parse(text) == [SseEvent("update", '{"a":\n1}'), SseEvent("delete", "42")]


LINE = st.text(st.characters(exclude_characters="\r\n", exclude_categories=["Cs"]), max_size=30)
FIELD_VALUE = LINE.filter(lambda s: not s.startswith(" "))


@given(st.lists(st.tuples(FIELD_VALUE.filter(bool), st.lists(FIELD_VALUE, min_size=1, max_size=3)),
                max_size=8),
       st.lists(LINE.map(lambda s: ":" + s), max_size=3))
def test_any_events_written_as_sse_are_read_back_whole_between_comments(
        events: list[tuple[str, list[str]]], comments: list[str]) -> None:
    """What comes out is asserted, not merely that nothing raised: each event, its name and
    its data lines joined, in order, whatever comment lines stand between them."""
    text = "".join("\n".join(comments) + "\n" + sse(name, "\n".join(data)).decode() for name, data in events)
    assert parse(text) == [SseEvent(name, "\n".join(data)) for name, data in events]


@given(st.lists(LINE, max_size=30))
def test_any_lines_give_events_only_at_blank_lines(lines: list[str]) -> None:
    parser = SseParser()
    emitted = [parser.feed(line) for line in [*lines, ""]]
    for line, event in zip([*lines, ""], emitted, strict=True):
        assert event is None or line == ""
    assert parser.feed("") is None  # the final blank line left nothing pending


def stream_config(**options: Any) -> MastodonStreamConfig:
    entry = {"name": "live", "type": "mastodon_stream", "url": "https://mastodon.example", "timeline": "tag",
             "hashtag": "sudan", "token_env": TOKEN_ENV, **options}
    (feed,) = parse_sources({"feeds": [entry]}, "feeds.yaml")
    assert isinstance(feed, MastodonStreamConfig)
    return feed


@pytest.mark.parametrize(("options", "message"), [
    ({"token_env": None}, "a stream needs 'token_env'"),
    ({"timeline": "account", "hashtag": None, "account": "alice@mastodon.example"}, "has no stream"),
])
def test_stream_config_mistakes_name_the_feed_and_the_problem(options: dict[str, Any], message: str) -> None:
    with pytest.raises(SourceConfigError, match=r"feeds\[0\] \(live\)") as error:
        stream_config(**options)
    assert message in str(error.value)


def test_each_timeline_streams_from_its_endpoint() -> None:
    assert stream_url(stream_config()) == "https://mastodon.example/api/v1/streaming/hashtag?tag=sudan"
    local = stream_url(stream_config(timeline="local", hashtag=None))
    assert local.endswith("/api/v1/streaming/public/local")
    assert stream_url(stream_config(timeline="public", hashtag=None)).endswith("/api/v1/streaming/public")


# --- the stream against a local instance ------------------------------------------------


class LocalInstance:
    """REST tag timeline plus the hashtag stream; ``connections[n]`` is what the n-th stream
    connection is sent (bytes, or a callable run at that point), then it is dropped, except
    the last, which stays open with heartbeats until the server closes."""

    def __init__(self, statuses: Sequence[dict[str, Any]]) -> None:
        self.statuses = list(statuses)
        self.connections: list[list[bytes | Callable[[], None]]] = []
        self.requests: list[tuple[str, dict[str, list[str]], str | None]] = []
        self.streams = 0
        self.instance_document: dict[str, Any] | None = None
        """Served at /api/v2/instance; None answers 404, as instances before 4.0 do."""
        self.stream_redirect: str | None = None
        """Base URL the stream paths are 301-redirected to (a separate streaming host)."""
        self.stream_refusal: tuple[int, bytes] | None = None
        self.tag_refusal: tuple[int, bytes] | None = None
        self.closing = threading.Event()
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def close(self) -> None:
        self.closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def after_backfills(self, count: int) -> Callable[[], None]:
        """A script step: wait until ``count`` REST requests came in (the client's backfill)."""
        def wait() -> None:
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                with self._lock:
                    if sum(path.startswith("/api/v1/timelines/") for path, _, _ in self.requests) >= count:
                        return
                time.sleep(0.01)
        return wait

    def page(self, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        limit = int(query.get("limit", ["20"])[0])
        with self._lock:
            ordered = sorted(self.statuses, key=lambda s: (len(s["id"]), s["id"]), reverse=True)
        if "min_id" in query:
            floor = query["min_id"][0]
            return [s for s in ordered if (len(s["id"]), s["id"]) > (len(floor), floor)][-limit:]
        return ordered[:limit]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        instance = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                with instance._lock:
                    instance.requests.append((parts.path, query, self.headers.get("Authorization")))
                try:
                    if parts.path == "/api/v2/instance" and instance.instance_document is not None:
                        self._json(200, json.dumps(instance.instance_document).encode())
                    elif parts.path == "/api/v1/timelines/tag/sudan":
                        if instance.tag_refusal is not None:
                            self._json(*instance.tag_refusal)
                        else:
                            self._json(200, json.dumps(instance.page(query)).encode())
                    elif parts.path.startswith("/api/v1/streaming/") and instance.stream_redirect:
                        self.send_response(301)
                        self.send_header("Location", instance.stream_redirect + self.path)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                    elif parts.path == "/api/v1/streaming/hashtag" and instance.stream_refusal is not None:
                        self._json(*instance.stream_refusal)
                    elif parts.path == "/api/v1/streaming/hashtag" and query.get("tag") == ["sudan"]:
                        self._stream()
                    else:
                        self._json(404, b'{"error": "Record not found"}')
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _json(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _stream(self) -> None:
                with instance._lock:
                    number = instance.streams
                    instance.streams += 1
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                script = instance.connections[number] if number < len(instance.connections) else []
                for part in script:
                    if callable(part):
                        part()
                    else:
                        self.wfile.write(part)
                        self.wfile.flush()
                        time.sleep(0.01)
                if number < len(instance.connections) - 1:
                    return  # drop the connection mid-stream
                while not instance.closing.wait(0.1):
                    self.wfile.write(b":thump\n")
                    self.wfile.flush()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


@pytest.fixture
def instance() -> Iterator[LocalInstance]:
    server = LocalInstance([status(1), status(2)])
    yield server
    server.close()


async def run_until(feed: MastodonStreamConfig, settings: CollectorSettings, sink: RecordingSink,
                    done: Callable[[Collector], bool], timeout: float = 10.0) -> None:
    stop = asyncio.Event()
    async with Collector([feed], settings, sink, clock=Clock(), rng=random.Random(0)) as running:
        task = asyncio.create_task(running.run(stop))
        try:
            async with asyncio.timeout(timeout):
                while not done(running):
                    await asyncio.sleep(0.02)
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=10.0)


async def test_the_stream_backfills_publishes_edits_and_deletions_and_reconnects_without_gap_or_duplicate(
        instance: LocalInstance, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    s3, s4, s5 = status(3), status(4), status(5)
    edited = status(1, "Shelling reported, post 1 (edited: 12 killed)")
    instance.connections = [
        [instance.after_backfills(2), b":thump\n\n", sse("update", json.dumps(s3)),
         lambda: instance.statuses.append(s3), b":thump\n",
         sse("status.update", json.dumps(edited)), sse("delete", status(2)["id"]),
         sse("delete", "999999"),  # a status this feed never published
         sse("update", "{not json"), sse("notification", "{}"),
         lambda: instance.statuses.append(s4)],  # posted while the stream is down
        [instance.after_backfills(4), sse("update", json.dumps(s4)), sse("update", json.dumps(s5))],
    ]
    settings = CollectorSettings(
        allow_private_targets=True, state_path=tmp_path / "state.db", timeout_s=2.0, backoff_base_s=0.01,
                                 pseudonym_secret="k")  # type: ignore[arg-type]
    feed = stream_config(url=instance.base)
    sink = RecordingSink()

    await run_until(feed, settings, sink, lambda running: running.store.load("live").cursor == s5["id"])

    host = instance_key(instance.base)
    ids = {status_item_id(host, s["id"]): n for n, s in enumerate((status(1), status(2), s3, s4, s5), 1)}
    published = [(ids[item.id], item.deleted) for item in sink.items]
    assert sorted(published[:2]) == [(1, False), (2, False)]  # the first backfill, as the page lists it
    assert published[2:] == [(3, False), (1, False), (2, True), (4, False), (5, False)]
    first, edit = next(item for item in sink.items if ids[item.id] == 1), sink.items[3]
    assert edit.id == first.id and edit.content_sha256 != first.content_sha256 and "12 killed" in edit.text
    deletion = sink.items[4]
    assert deletion.text == "" and deletion.authors == []
    assert [letter.reason for letter in sink.dead_letters] == ["post_not_normalisable"]
    backfills = [query for path, query, _ in instance.requests if path.startswith("/api/v1/timelines/")]
    # Connect: the newest page, then caught up; reconnect: from the cursor (status 3), then caught up.
    assert [query.get("min_id") for query in backfills] == [None, [status(2)["id"]], [s3["id"]], [s4["id"]]]
    assert instance.streams >= 2
    assert {auth for _, _, auth in instance.requests} == {f"Bearer {TOKEN}"}
    assert all(TOKEN not in path + json.dumps(query) for path, query, _ in instance.requests)


async def test_a_missing_token_is_recorded_as_the_streams_error(
        instance: LocalInstance, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    settings = CollectorSettings(
        allow_private_targets=True, state_path=tmp_path / "state.db", timeout_s=2.0, backoff_base_s=0.01,
                                 pseudonym_secret="k")  # type: ignore[arg-type]
    errors: list[str] = []

    def failed(running: Collector) -> bool:
        error = running.store.load("live").last_error
        if error:
            errors.append(error)
        return bool(error)

    await run_until(stream_config(url=instance.base), settings, RecordingSink(), failed)
    assert TOKEN_ENV in errors[0] and "not set" in errors[0]
    assert instance.streams == 0


# --- where the stream lives, and what a refusal says ------------------------------------------
# Mastodon's documented behaviour, read 2026-12-06:
# - docs.joinmastodon.org/methods/streaming ("Hostname discovery"): streaming may be served from
#   another host, named by configuration.urls.streaming of /api/v2/instance, or reached by a
#   redirect of api/v1/streaming; hashtag and public streams need a user token since 4.2.
# - docs.joinmastodon.org/methods/timelines (#tag): 404 {"error": "Record not found"} for a hashtag
#   the instance does not know; 401 {"error": "The access token is invalid"} when the instance
#   disables unauthenticated access to hashtag timelines (4.5 access control settings).


@pytest.fixture
def streaming_host() -> Iterator[LocalInstance]:
    server = LocalInstance([status(1), status(2)])
    yield server
    server.close()


def quick_settings(tmp_path: Path) -> CollectorSettings:
    return CollectorSettings(allow_private_targets=True, state_path=tmp_path / "state.db", timeout_s=2.0,
                             backoff_base_s=0.01, pseudonym_secret="k")  # type: ignore[arg-type]


@pytest.mark.parametrize(("value", "base"), [
    ("wss://streaming.mastodon.example", "https://streaming.mastodon.example"),
    ("ws://127.0.0.1:4000/", "http://127.0.0.1:4000"),
    ("https://mastodon.example/stream", "https://mastodon.example/stream"),
    ("javascript:alert(1)", None), ("wss://", None), (7, None), ("wss://x.example/?a=1", None),
])
def test_the_streaming_host_comes_from_the_instances_configuration(value: Any, base: str | None) -> None:
    from collectors.mastodon_stream import streaming_host as host_of
    assert host_of({"configuration": {"urls": {"streaming": value}}}) == base
    assert host_of({"configuration": {}}) is None and host_of([]) is None


async def test_the_stream_is_read_from_the_host_the_instance_names(
        instance: LocalInstance, streaming_host: LocalInstance, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    streaming = streaming_host.base.replace("http", "ws")
    instance.instance_document = {"domain": "mastodon.example",
                                  "configuration": {"urls": {"streaming": streaming}}}
    instance.stream_refusal = (404, b'{"error": "Not found"}')  # the API host serves no stream
    s3 = status(3)
    streaming_host.connections = [[sse("update", json.dumps(s3))]]
    sink = RecordingSink()
    await run_until(stream_config(url=instance.base), quick_settings(tmp_path), sink,
                    lambda running: running.store.load("live").cursor == s3["id"])
    assert streaming_host.streams == 1
    assert not any(path.startswith("/api/v1/streaming/") for path, _, _ in instance.requests)
    assert [path for path, _, _ in streaming_host.requests] == ["/api/v1/streaming/hashtag"]
    assert {auth for _, _, auth in streaming_host.requests} == {f"Bearer {TOKEN}"}


async def test_a_redirect_of_the_stream_to_the_streaming_host_is_followed(
        instance: LocalInstance, streaming_host: LocalInstance, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    instance.stream_redirect = streaming_host.base  # and no /api/v2/instance: an older instance
    s3 = status(3)
    streaming_host.connections = [[sse("update", json.dumps(s3))]]
    await run_until(stream_config(url=instance.base), quick_settings(tmp_path), RecordingSink(),
                    lambda running: running.store.load("live").cursor == s3["id"])
    assert streaming_host.streams == 1
    assert [path for path, _, _ in instance.requests if path.startswith("/api/v1/streaming/")] == \
        ["/api/v1/streaming/hashtag"]


async def test_a_refused_token_is_reported_with_mastodons_words_and_not_retried_every_minute(
        instance: LocalInstance, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, "an-app-token")
    instance.stream_refusal = (401, b'{"error": "The access token is invalid"}')
    seen: dict[str, Any] = {}

    def reported(running: Collector) -> bool:
        seen["error"] = running.store.load("live").last_error
        seen["notes"] = running.store.notes()
        return bool(seen["error"])

    await run_until(stream_config(url=instance.base), quick_settings(tmp_path), RecordingSink(), reported)
    await asyncio.sleep(0.3)  # backoff_base_s is 0.01: without the refusal wait it would ask again
    assert "HTTP 401: The access token is invalid" in seen["error"]
    assert "since Mastodon 4.2 public and hashtag streams need a user token" in seen["error"]
    assert seen["notes"] == {("live", "refused"): 1}
    assert [path for path, _, _ in instance.requests].count("/api/v1/streaming/hashtag") == 1


async def test_a_hashtag_the_instance_does_not_know_is_reported_as_such(
        instance: LocalInstance, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    instance.tag_refusal = (404, b'{"error": "Record not found"}')
    errors: list[str] = []

    def reported(running: Collector) -> bool:
        error = running.store.load("live").last_error
        errors.extend([error] if error else [])
        return bool(error)

    await run_until(stream_config(url=instance.base), quick_settings(tmp_path), RecordingSink(), reported)
    assert "HTTP 404: Record not found" in errors[0] and "knows no hashtag #sudan" in errors[0]
