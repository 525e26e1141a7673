"""The ``mastodon_stream`` source: a Mastodon timeline, live, through the streaming API.

The same feed as ``type: mastodon`` (same keys, same items), read from Server-Sent
Events instead of polled: ``GET /api/v1/streaming/hashtag?tag=…`` for ``timeline:
tag``, ``/api/v1/streaming/public/local`` for ``local`` and ``/api/v1/streaming/public``
for ``public``. Most instances stream only to an authorised client, so ``token_env``
is required; the token is sent as ``Authorization: Bearer`` and never in the URL.
Accounts have no stream of their own: ``timeline: account`` stays a polled feed.

Events: ``update`` (a status, turned into an item by the polling source's
:func:`~collectors.mastodon.status_to_item`), ``status.update`` (an edit: the same id
again with a new content hash, published again) and ``delete`` (a status id: an item
with the same id, ``deleted: true`` and no text, emitted only for a status this feed
published, since instances send every deletion they hear of). Other events
(notifications, announcements) are ignored; a malformed one becomes a dead letter and
the stream goes on.

No post falls between connections: on every (re)connect the stream is opened first,
then one REST backfill (the polling code, from the stored cursor with ``min_id``)
publishes what was posted while disconnected, and only then are the buffered events
read; posts seen by both are dropped by id and content hash. The cursor is the newest
status id seen. Reconnects back off exponentially. Each event is published as it
arrives: hashtag and local timelines are a few posts a minute.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlencode

import httpx
from pydantic import model_validator

from collectors.fetch import FetchResult, backoff_delay, parse_retry_after
from collectors.mastodon import SOURCE_TYPE as ITEM_SOURCE_TYPE
from collectors.mastodon import MastodonConfig, MastodonSource, id_order, status_item_id, status_to_item
from collectors.normalise import content_sha256
from collectors.posts import id_field, post_dead_letter
from collectors.protocol import Emit, PollContext, StreamBatch, StreamContext, Validators, register
from collectors.provenance import provenance_of, raw_sha256
from tocsin.errors import InputError, PeerError
from tocsin.schema import DeadLetter, Item, SourceRef

log = logging.getLogger(__name__)

SOURCE_TYPE = "mastodon_stream"
HEARTBEAT_TIMEOUT_S = 90.0
"""Mastodon sends a ``:thump`` comment every few seconds; this long without a line is a dead connection."""
RECONNECT_CAP_S = 60.0
RETRY_AFTER_CAP_S = 3600.0
MAX_BACKFILL_POLLS = 20
"""REST polls per (re)connect at most (each up to ``max_requests`` pages) before streaming."""
MAX_EVENT_CHARS = 1_000_000
"""An event's data longer than this is dropped as malformed rather than held in memory."""
STREAM_PATHS = {"local": "/api/v1/streaming/public/local", "public": "/api/v1/streaming/public"}


class MastodonStreamConfig(MastodonConfig):
    """A ``mastodon`` feed read live; ``token_env`` is required, ``interval`` does not apply."""

    type: str = SOURCE_TYPE

    @model_validator(mode="after")
    def _streamable(self) -> MastodonStreamConfig:
        if self.token_env is None:
            raise ValueError("a stream needs 'token_env' (the environment variable holding an access "
                             "token); without one use type 'mastodon'")
        if self.timeline == "account":
            raise ValueError("timeline 'account' has no stream; use type 'mastodon'")
        return self


def stream_url(feed: MastodonConfig) -> str:
    if feed.timeline == "tag":
        return f"{feed.url}/api/v1/streaming/hashtag?{urlencode({'tag': feed.hashtag or ''})}"
    return f"{feed.url}{STREAM_PATHS[feed.timeline]}"


# --- server-sent events (pure) --------------------------------------------------------


@dataclass(frozen=True)
class SseEvent:
    name: str
    data: str


@dataclass
class SseParser:
    """Server-Sent Events, one line at a time (the ``text/event-stream`` rules that Mastodon uses:
    ``event:`` and ``data:`` fields, a blank line ends an event, ``:`` starts a comment)."""

    name: str = ""
    data: list[str] = field(default_factory=list)
    size: int = 0
    oversized: bool = False

    def feed(self, line: str) -> SseEvent | None:
        """The event a blank line completes, else None."""
        line = line.rstrip("\r\n")
        if not line:
            if not self.data and not self.name:
                return None
            event = SseEvent(self.name or "message",
                             "\x00oversized" if self.oversized else "\n".join(self.data))
            self.name, self.data, self.size, self.oversized = "", [], 0, False
            return event
        if line.startswith(":"):
            return None  # a heartbeat or comment
        key, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if key == "event":
            self.name = value
        elif key == "data":
            self.size += len(value)
            if self.size > MAX_EVENT_CHARS:
                self.oversized = True
            else:
                self.data.append(value)
        return None  # id, retry and unknown fields are not used


# --- events to items (pure) -----------------------------------------------------------


class MalformedEvent(InputError, ValueError):
    """An event whose data is not what Mastodon sends for its kind."""


@dataclass(frozen=True)
class Reading:
    item: Item | None = None
    dead_letter: DeadLetter | None = None
    status_id: str | None = None
    """For a new status (kept or not): its id, which moves the cursor."""


def read_event(event: SseEvent, *, feed: MastodonConfig, instance: str, context: PollContext,
               fetched: FetchResult) -> Reading:
    """One event as an item (a status, an edit, a deletion), a dead letter, or nothing. Never raises."""
    if event.name not in ("update", "status.update", "delete"):
        return Reading()
    try:
        if event.name == "delete":
            status_id = id_field(event.data.strip())
            if status_id is None:
                raise MalformedEvent(f"a delete event's data must be a status id, got {event.data!r:.80}")
            return Reading(item=deletion(status_id, feed=feed, instance=instance, context=context,
                                         fetched=fetched))
        try:
            status = json.loads(event.data)
        except (ValueError, RecursionError) as exc:
            raise MalformedEvent(f"{event.name} data is not JSON: {exc}") from None
        item = status_to_item(status, feed=feed, instance=instance, context=context, fetched=fetched)
        new_id = id_field(status.get("id")) if event.name == "update" else None
        return Reading(item=item, status_id=new_id)
    except Exception as exc:  # one odd event costs only itself
        return Reading(dead_letter=post_dead_letter(feed, f"stream event {event.name!r}", exc, event.data))


def deletion(status_id: str, *, feed: MastodonConfig, instance: str, context: PollContext,
             fetched: FetchResult) -> Item:
    """A deleted status: its item id, ``deleted: true``, no text (a removal is itself a signal)."""
    return Item(id=status_item_id(instance, status_id),
                source=SourceRef(type=ITEM_SOURCE_TYPE, name=feed.name, url=feed.url),
                published=context.collected, collected=context.collected, lang_hint=feed.language,
                country_hint=feed.country, raw_sha256=raw_sha256({"event": "delete", "id": status_id}),
                content_sha256=content_sha256("", ""), provenance=provenance_of(fetched, context.collected),
                deleted=True)


def newer(cursor: str | None, status_id: str | None) -> str | None:
    if status_id is None:
        return cursor
    if cursor is None or id_order(status_id) > id_order(cursor):
        return status_id
    return cursor


# --- the stream -----------------------------------------------------------------------


class StreamRefused(PeerError, ConnectionError):
    """The instance answered the stream request with something other than 200."""

    def __init__(self, feed: str, url: str, status: int, retry_after_s: float | None) -> None:
        hint = "; the access token was refused or lacks the read scope" if status in (401, 403) else ""
        super().__init__(f"mastodon stream {feed!r}: {url} answered HTTP {status}{hint}")
        self.retry_after_s = retry_after_s


class BackfillFailed(PeerError, ConnectionError):
    """The REST backfill before streaming failed; the stream reconnects (and backfills) later."""


class PublishFailed(PeerError, RuntimeError):
    """The runner could not publish; the stream stops and is restarted from the stored cursor."""


@register(SOURCE_TYPE, config_model=MastodonStreamConfig)
class MastodonStreamSource:
    """A :class:`~collectors.protocol.StreamingSource` over Mastodon's streaming API."""

    def __init__(self, config: MastodonStreamConfig) -> None:
        self.config = config
        self.poller = MastodonSource(config)
        self.instance = self.poller.instance
        self._rng = random.Random()
        self._cursor: str | None = None
        self._received = False

    @property
    def name(self) -> str:
        return self.config.name

    async def run(self, context: StreamContext, emit: Emit, stop: asyncio.Event) -> None:
        """Backfill, then stream, until ``stop``; reconnect after transport errors. A missing
        token or a failed publish raises, and the runner restarts from the stored cursor."""
        settings = context.fetcher.settings
        self._cursor = context.cursor
        failures = 0
        while not stop.is_set():
            self._received = False
            retry_after: float | None = None
            connection = asyncio.create_task(self._connect(context, emit))
            stopping = asyncio.create_task(stop.wait())
            try:
                await asyncio.wait({connection, stopping}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in (connection, stopping):
                    task.cancel()
            if stop.is_set():
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await connection
                return
            try:
                connection.result()
                log.info("feed=%s stream ended", self.name)
            except (httpx.TransportError, OSError, TimeoutError) as exc:
                log.warning("feed=%s stream interrupted: %s: %s", self.name, type(exc).__name__, exc)
                if isinstance(exc, StreamRefused):
                    retry_after = exc.retry_after_s
            failures = 0 if self._received else failures + 1
            delay = backoff_delay(min(failures, 30), settings.backoff_base_s, self._rng,
                                  cap_s=RECONNECT_CAP_S)
            if retry_after is not None:
                delay = max(delay, min(retry_after, RETRY_AFTER_CAP_S))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)

    async def _connect(self, context: StreamContext, emit: Emit) -> None:
        headers = self.poller._headers()  # raises MissingToken: the runner records it and retries
        url = stream_url(self.config)
        await context.fetcher.check_target(url)  # the SSRF guard, as for every fetch
        timeout = httpx.Timeout(context.fetcher.settings.timeout_s, read=HEARTBEAT_TIMEOUT_S)
        async with context.fetcher.client.stream(
                "GET", url, headers={**headers, "Accept": "text/event-stream"}, timeout=timeout) as response:
            if response.status_code != 200:
                retry_after = parse_retry_after(response.headers.get("Retry-After"), datetime.now(UTC))
                raise StreamRefused(self.name, url, response.status_code, retry_after)
            log.info("feed=%s connected to %s", self.name, url)
            # The stream is open (and buffering) before the backfill, so nothing falls between.
            await self._backfill(context, emit)
            fetched = FetchResult(status=200, url=url,
                                  headers={key.lower(): value for key, value in response.headers.items()})
            parser = SseParser()
            async for line in response.aiter_lines():
                event = parser.feed(line)
                if event is not None:
                    self._received = True
                    await self._handle(event, context, emit, fetched)

    async def _backfill(self, context: StreamContext, emit: Emit) -> None:
        """REST polls from the cursor until caught up: what was posted while disconnected."""
        for _ in range(MAX_BACKFILL_POLLS):
            poll_context = PollContext(fetcher=context.fetcher, previous=Validators(),
                                       collected=context.clock(), cursor=self._cursor,
                                       pseudonym_secret=context.pseudonym_secret)
            outcome = await self.poller.poll(poll_context)
            if outcome.status == "failed":
                raise BackfillFailed(f"mastodon stream {self.name!r}: backfill failed: {outcome.error}")
            await self._emit(emit, StreamBatch(items=outcome.items, dead_letters=outcome.dead_letters,
                                               cursor=outcome.cursor, edits_by_content=True))
            advanced = newer(self._cursor, outcome.cursor)
            if advanced == self._cursor or outcome.error:
                return
            self._cursor = advanced

    async def _handle(self, event: SseEvent, context: StreamContext, emit: Emit,
                      fetched: FetchResult) -> None:
        collected = context.clock()
        poll_context = PollContext(fetcher=context.fetcher, previous=Validators(), collected=collected,
                                   pseudonym_secret=context.pseudonym_secret)
        reading = read_event(event, feed=self.config, instance=self.instance, context=poll_context,
                             fetched=fetched)
        items = [reading.item] if reading.item is not None else []
        if reading.item is not None and reading.item.deleted:
            published = await context.seen([reading.item.id])
            items = items if reading.item.id in published else []
        cursor = newer(self._cursor, reading.status_id)
        if not items and reading.dead_letter is None and cursor == self._cursor:
            return
        await self._emit(emit, StreamBatch(
            items=items, dead_letters=[reading.dead_letter] if reading.dead_letter else [],
            cursor=cursor if cursor != self._cursor else None, edits_by_content=True))
        self._cursor = cursor

    async def _emit(self, emit: Emit, batch: StreamBatch) -> None:
        try:
            await emit(batch)
        except Exception as exc:
            raise PublishFailed(f"feed {self.name!r}: publishing a batch failed: {type(exc).__name__}: "
                                f"{exc}") from exc

