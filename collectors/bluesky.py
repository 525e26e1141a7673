"""The ``bluesky`` source: posts from the Bluesky network, live, through a Jetstream WebSocket.

Jetstream (``wss://jetstream2.us-east.bsky.network/subscribe``) relays every commit
of the network as JSON. We subscribe to ``app.bsky.feed.post`` only (and to the
configured accounts only, when there are few enough to name in the URL) and keep
the posts that pass every configured filter: ``keywords`` (whole words or phrases,
case-insensitive, ``*`` at the end of a word for any ending), ``languages`` (the
post's declared ``langs``) and ``accounts`` (DIDs). At least one of ``keywords`` and
``accounts`` must be given: the unfiltered network is hundreds of posts a second.

Deletions are recorded, not dropped: a deleted post comes out as an item with the
same id, ``deleted: true`` and no text, since a removed post is itself a signal.
Jetstream's delete events carry no text, so content filters cannot judge them: a
deletion is emitted when this feed published the post (its id is in the seen set,
which holds ``collector.seen_ids_per_feed`` ids), or, for a feed filtered by
accounts alone, whenever a listed account deletes a post.

The stream's position is Jetstream's ``time_us`` of the last event whose batch the
broker acknowledged (the runner stores it with the seen ids). After a restart or a
dropped connection we reconnect with ``cursor`` a few seconds (``rewind``) earlier,
so nothing falls between; the events seen twice are dropped by id. Reconnects back
off exponentially. Jetstream keeps about a day of history: a collector down longer
than that loses the difference.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import random
import re
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import websockets
from pydantic import Field, field_validator, model_validator
from websockets.asyncio.client import ClientConnection, connect

from collectors.config import FeedConfig
from collectors.fetch import backoff_delay, parse_retry_after
from collectors.normalise import content_sha256, item_id, language_code, plain_text
from collectors.posts import parse_datetime, title_from_text
from collectors.protocol import Emit, StreamBatch, StreamContext, register
from collectors.provenance import canonical_json, raw_sha256, stream_provenance
from collectors.pseudonyms import author_pseudonym
from tocsin.errors import InputError, PeerError
from tocsin.schema import DeadLetter, Item, Provenance, SourceRef

log = logging.getLogger(__name__)

SOURCE_TYPE = "bluesky"
POST_COLLECTION = "app.bsky.feed.post"
DEFAULT_JETSTREAM = "wss://jetstream2.us-east.bsky.network/subscribe"
MAX_DIDS_IN_URL = 100
"""More accounts than this are filtered here rather than named in the subscription URL."""
MAX_FRAME_BYTES = 1024 * 1024
RECONNECT_CAP_S = 60.0
RETRY_AFTER_CAP_S = 3600.0
"""A relay's ``Retry-After`` on the handshake is honoured up to an hour."""
FUTURE_SLACK = timedelta(minutes=10)
"""A ``createdAt`` later than the relay's own time plus this is a client's clock (or a
lie): the relay time stands in, so a post cannot land in a future alert window."""
MALFORMED_MEMORY = 1000
"""Dead-lettered frames remembered per run, so a replay after a reconnect does not
dead-letter them twice."""

_DID = re.compile(r"^did:(?:plc:[a-z2-7]{24}|web:[A-Za-z0-9.%:-]{1,253})$")
_RKEY = re.compile(r"^[A-Za-z0-9._:~-]{1,512}$")
_AT_POST = re.compile(r"^at://(did:[a-z]+:[A-Za-z0-9.%:-]{1,253})/app\.bsky\.feed\.post/([A-Za-z0-9._:~-]{1,512})$")
_TAG = re.compile(r"^[^\s#]{1,100}$")


# --- config ---------------------------------------------------------------------------


class BlueskyConfig(FeedConfig):
    """A Jetstream subscription and its filters. ``interval`` does not apply to a stream."""

    url: str = DEFAULT_JETSTREAM
    type: str = SOURCE_TYPE
    keywords: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    """ISO 639-1 codes; a post passes if one of its declared ``langs`` is listed."""
    keep_unlabelled: bool = False
    """With ``languages``: also keep posts that declare no language at all."""
    accounts: list[str] = Field(default_factory=list)
    """DIDs (``did:plc:…``, ``did:web:…``); handles change, DIDs do not."""
    official: bool = False
    """The listed accounts are official voices: keep their DIDs as authors."""
    rewind: float = Field(default=5.0, ge=0.0, le=600.0)
    """Seconds replayed before the stored cursor on every (re)connect."""
    batch_size: int = Field(default=100, ge=1, le=5000)
    batch_wait: float = Field(default=1.0, gt=0.0, le=60.0)
    """Seconds a batch may wait for more events before it is published."""

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        value = value.strip()
        parts = urlsplit(value)
        if parts.scheme.lower() not in ("ws", "wss") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError(f"must be a ws(s):// Jetstream subscribe URL without a query, got {value!r}")
        return value

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, value: list[str]) -> list[str]:
        cleaned = [" ".join(keyword.split()) for keyword in value]
        if any(not keyword.strip("*") for keyword in cleaned):
            raise ValueError("keywords may not be empty or only '*'")
        return cleaned

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: list[str]) -> list[str]:
        for code in value:
            if not re.fullmatch(r"[A-Za-z]{2,3}", code):
                raise ValueError(f"languages must be ISO 639 codes like 'ar', got {code!r}")
        return [code.lower() for code in value]

    @field_validator("accounts")
    @classmethod
    def _accounts(cls, value: list[str]) -> list[str]:
        for did in value:
            if not _DID.match(did):
                raise ValueError(f"accounts must be DIDs like 'did:plc:…' (24 base32 characters) or "
                                 f"'did:web:…', got {did!r}")
        return list(dict.fromkeys(value))

    @model_validator(mode="after")
    def _filtered(self) -> BlueskyConfig:
        if not self.keywords and not self.accounts:
            raise ValueError("give keywords or accounts (or both): the unfiltered network is "
                             "hundreds of posts a second")
        if self.official and not self.accounts:
            raise ValueError("official: true needs accounts (it says the listed accounts are official)")
        return self


# --- filters (pure) -------------------------------------------------------------------


class KeywordMatcher:
    """Whole-word, case-insensitive matching of words and phrases; ``word*`` matches any
    ending. Word boundaries are Unicode's, so Arabic and Amharic words match whole too
    (attached clitics are not stripped: list the forms you want, or use ``*``)."""

    def __init__(self, keywords: Sequence[str]) -> None:
        patterns = []
        for keyword in keywords:
            wildcard = keyword.endswith("*")
            words = keyword.rstrip("*").casefold().split()
            if not words:
                continue
            body = r"\s+".join(re.escape(word) for word in words)
            ending = r"\w*" if wildcard else ""
            patterns.append(rf"(?<!\w){body}{ending}(?!\w)")
        self._regex = re.compile("|".join(patterns)) if patterns else None

    def __bool__(self) -> bool:
        return self._regex is not None

    def matches(self, text: str) -> bool:
        return self._regex is not None and self._regex.search(text.casefold()) is not None


def declared_languages(langs: Any) -> list[str]:
    """ISO 639 codes of a post's ``langs`` (``["en-US", 3, "ar"]`` → ``["en", "ar"]``)."""
    if not isinstance(langs, list):
        return []
    return [code for code in (language_code(lang) for lang in langs[:10]) if code]


def language_passes(langs: Any, wanted: Sequence[str], *, keep_unlabelled: bool) -> bool:
    if not wanted:
        return True
    codes = declared_languages(langs)
    if not codes:
        return keep_unlabelled
    return any(code in wanted for code in codes)


# --- events to items (pure) -----------------------------------------------------------


def post_uri(did: str, rkey: str) -> str:
    return f"at://{did}/{POST_COLLECTION}/{rkey}"


def post_item_id(uri: str) -> str:
    """The item id of a post, from its ``at://`` URI: the same for its creation, its
    deletion, and every reply or quote that points at it."""
    return item_id(guid=uri, link=None, title="", published=None, feed_name="")


def related_id(reference: Any) -> str | None:
    """The item id of a post a strong reference (``{"uri", "cid"}``) points at, if a post."""
    uri = reference.get("uri") if isinstance(reference, Mapping) else None
    return post_item_id(uri) if isinstance(uri, str) and _AT_POST.match(uri) else None


def quoted_reference(embed: Any) -> Any:
    if not isinstance(embed, Mapping):
        return None
    kind = embed.get("$type")
    if kind == "app.bsky.embed.record":
        return embed.get("record")
    if kind == "app.bsky.embed.recordWithMedia":
        inner = embed.get("record")
        return inner.get("record") if isinstance(inner, Mapping) else None
    return None


def card_text(embed: Any) -> str:
    """Title and description of a link card (``app.bsky.embed.external``), as lines."""
    if isinstance(embed, Mapping) and embed.get("$type") == "app.bsky.embed.recordWithMedia":
        embed = embed.get("media")
    if not isinstance(embed, Mapping) or embed.get("$type") != "app.bsky.embed.external":
        return ""
    external = embed.get("external")
    if not isinstance(external, Mapping):
        return ""
    parts = [external.get("title"), external.get("description")]
    return plain_text("\n".join(part for part in parts if isinstance(part, str)))


def post_tags(record: Mapping[str, Any]) -> list[str]:
    tags: list[str] = []
    if isinstance(record.get("tags"), list):
        tags += [tag for tag in record["tags"] if isinstance(tag, str)]
    facets = record.get("facets")
    if isinstance(facets, list):
        for facet in facets:
            features = facet.get("features") if isinstance(facet, Mapping) else None
            for feature in features if isinstance(features, list) else []:
                tag = feature.get("tag") if isinstance(feature, Mapping) else None
                if isinstance(tag, str) and feature.get("$type") == "app.bsky.richtext.facet#tag":
                    tags.append(tag)
    cleaned = (plain_text(tag).lstrip("#") for tag in tags)
    return list(dict.fromkeys(tag for tag in cleaned if _TAG.match(tag)))[:50]


class MalformedEvent(InputError, ValueError):
    """A frame that is not a Jetstream event, or an event whose fields have the wrong shape."""


@dataclass(frozen=True)
class Frame:
    """What one frame amounts to; at most one of ``item`` and ``dead_letter``."""

    time_us: int | None = None
    item: Item | None = None
    dead_letter: DeadLetter | None = None
    deletion_by: str | None = None
    """For a deletion: the DID that deleted (for the accounts rule)."""


@dataclass(frozen=True)
class Filters:
    matcher: KeywordMatcher
    languages: tuple[str, ...]
    keep_unlabelled: bool
    accounts: frozenset[str]

    @classmethod
    def of(cls, feed: BlueskyConfig) -> Filters:
        return cls(KeywordMatcher(feed.keywords), tuple(feed.languages), feed.keep_unlabelled,
                   frozenset(feed.accounts))


def decode_event(frame: str | bytes) -> dict[str, Any]:
    """The event of one frame; raises :class:`MalformedEvent`."""
    if isinstance(frame, bytes):
        try:
            frame = frame.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedEvent(f"binary frame that is not UTF-8: {exc}") from None
    try:
        event = json.loads(frame)
    except (ValueError, RecursionError) as exc:
        raise MalformedEvent(f"not JSON: {exc}") from None
    if not isinstance(event, dict):
        raise MalformedEvent(f"expected a JSON object, got {type(event).__name__}")
    time_us = event.get("time_us")
    if not isinstance(time_us, int) or isinstance(time_us, bool) or not 0 < time_us < 2**62:
        raise MalformedEvent(f"time_us must be a positive integer, got {time_us!r}")
    return event


def _relay_time(time_us: int) -> datetime:
    return datetime.fromtimestamp(time_us / 1_000_000, UTC)


def read_frame(frame: str | bytes, *, feed: BlueskyConfig, filters: Filters, collected: datetime,
               secret: str, provenance: Provenance | None = None) -> Frame:
    """One Jetstream frame: a post item, a deletion, a dead letter, or nothing (another
    kind, another collection, a filter miss). Never raises."""
    try:
        event = decode_event(frame)
    except MalformedEvent as exc:
        payload = frame if isinstance(frame, bytes) else frame.encode("utf-8", "surrogatepass")
        return Frame(dead_letter=_letter(feed, "malformed_event", exc, payload))
    time_us: int = event["time_us"]
    try:
        return _read_event(event, time_us, feed=feed, filters=filters, collected=collected, secret=secret,
                           provenance=provenance)
    except Exception as exc:  # a hostile event costs only itself
        try:
            payload = canonical_json(event)
        except (TypeError, ValueError, RecursionError):
            payload = repr(event).encode("utf-8", "backslashreplace")
        reason = "malformed_event" if isinstance(exc, MalformedEvent) else "event_not_normalisable"
        return Frame(time_us=time_us, dead_letter=_letter(feed, reason, exc, payload))


def _letter(feed: BlueskyConfig, reason: str, exc: BaseException, payload: bytes) -> DeadLetter:
    return DeadLetter.of(stage="collector", reason=reason, key=feed.name, payload=payload,
                         error=f"bluesky source {feed.name!r} ({feed.url}): {type(exc).__name__}: {exc}")


def _read_event(event: dict[str, Any], time_us: int, *, feed: BlueskyConfig, filters: Filters,
                collected: datetime, secret: str, provenance: Provenance | None) -> Frame:
    commit = event.get("commit")
    if event.get("kind") != "commit" or not isinstance(commit, dict):
        return Frame(time_us)  # identity and account events, or not a commit at all
    if commit.get("collection") != POST_COLLECTION:
        return Frame(time_us)
    operation = commit.get("operation")
    did, rkey = event.get("did"), commit.get("rkey")
    if not isinstance(did, str) or not _DID.match(did):
        raise MalformedEvent(f"did is not a DID: {did!r}")
    if not isinstance(rkey, str) or not _RKEY.match(rkey):
        raise MalformedEvent(f"rkey is not a record key: {rkey!r}")
    if filters.accounts and did not in filters.accounts:
        return Frame(time_us)
    uri = post_uri(did, rkey)
    author = author_pseudonym(secret, SOURCE_TYPE, did, official=feed.official and did in filters.accounts)
    base: dict[str, Any] = {
        "id": post_item_id(uri),
        "source": SourceRef(type=feed.type, name=feed.name, url=feed.url),
        "url": f"https://bsky.app/profile/{did}/post/{rkey}",
        "authors": [author],
        "collected": collected,
        "country_hint": feed.country,
        "raw_sha256": raw_sha256(event),
        "provenance": provenance,
    }
    if operation == "delete":
        return Frame(time_us, Item(**base, published=_relay_time(time_us), lang_hint=feed.language,
                                   content_sha256=content_sha256("", ""), deleted=True), deletion_by=did)
    if operation not in ("create", "update"):
        raise MalformedEvent(f"unknown operation {operation!r}")
    record = commit.get("record")
    if not isinstance(record, dict):
        raise MalformedEvent("a create or update without a record object")
    raw_text = record.get("text", "")
    if not isinstance(raw_text, str):
        raise MalformedEvent(f"record.text is {type(raw_text).__name__}, not a string")
    text = plain_text(raw_text)
    card = card_text(record.get("embed"))
    searchable = f"{text}\n{card}" if card else text
    if filters.matcher and not filters.matcher.matches(searchable):
        return Frame(time_us)
    langs = record.get("langs")
    if not language_passes(langs, filters.languages, keep_unlabelled=filters.keep_unlabelled):
        return Frame(time_us)
    full_text = f"{text}\n\n{card}" if card and text else (text or card)
    title = title_from_text(full_text)
    relay_time = _relay_time(time_us)
    published = parse_datetime(record.get("createdAt"))
    if published is None or published > relay_time + FUTURE_SLACK:
        published = relay_time
    relations: dict[str, str] = {}
    reply = record.get("reply")
    parent = related_id(reply.get("parent")) if isinstance(reply, Mapping) else None
    if parent:
        relations["reply_to"] = parent
    quoted = related_id(quoted_reference(record.get("embed")))
    if quoted:
        relations["quote_of"] = quoted
    declared = declared_languages(langs)
    item = Item(**base, title=title, text=full_text, tags=post_tags(record), published=published,
                lang_hint=declared[0] if declared else feed.language,
                content_sha256=content_sha256(title, full_text), relations=relations)
    return Frame(time_us, item)


def subscribe_url(feed: BlueskyConfig, cursor_us: int | None) -> str:
    query: list[tuple[str, str]] = [("wantedCollections", POST_COLLECTION)]
    if 0 < len(feed.accounts) <= MAX_DIDS_IN_URL:
        query += [("wantedDids", did) for did in feed.accounts]
    if cursor_us is not None:
        query.append(("cursor", str(cursor_us)))
    return f"{feed.url}?{urlencode(query)}"


def parse_cursor(value: str | None) -> int | None:
    try:
        cursor = int(value) if value else None
    except ValueError:
        return None
    return cursor if cursor is not None and cursor > 0 else None


# --- the stream -----------------------------------------------------------------------


class PublishFailed(PeerError, RuntimeError):
    """The runner could not publish a batch; the stream stops and is restarted from the stored cursor."""


@dataclass
class _Pending:
    entries: list[tuple[Item, str | None]] = field(default_factory=list)
    """Items in stream order, each with the deleting DID for a deletion (else None)."""
    dead_letters: list[DeadLetter] = field(default_factory=list)
    cursor: int | None = None
    since: float | None = None

    def __len__(self) -> int:
        return len(self.entries) + len(self.dead_letters)


@register(SOURCE_TYPE, config_model=BlueskyConfig)
class BlueskySource:
    """A :class:`~collectors.protocol.StreamingSource` over Jetstream."""

    def __init__(self, config: BlueskyConfig) -> None:
        self.config = config
        self.filters = Filters.of(config)
        self._rng = random.Random()
        self._malformed: OrderedDict[str, None] = OrderedDict()

    @property
    def name(self) -> str:
        return self.config.name

    async def run(self, context: StreamContext, emit: Emit, stop: asyncio.Event) -> None:
        """Read until ``stop``; reconnect after transport errors. Raises :class:`PublishFailed`
        when a batch could not be published, so the runner restarts from the stored cursor."""
        settings = context.fetcher.settings
        cursor = parse_cursor(context.cursor)
        failures = 0
        while not stop.is_set():
            rewound = max(1, cursor - int(self.config.rewind * 1_000_000)) if cursor is not None else None
            url = subscribe_url(self.config, rewound)
            await context.fetcher.check_target(url)  # SSRF guard; the runner retries a refusal with backoff
            received = False
            retry_after: float | None = None
            try:
                async with connect(url, open_timeout=settings.timeout_s, ping_interval=20, ping_timeout=20,
                                   close_timeout=2, max_size=MAX_FRAME_BYTES,
                                   user_agent_header=settings.user_agent) as connection:
                    log.info("feed=%s connected to %s", self.name, url)
                    cursor, received = await self._read(connection, url, context, emit, stop, cursor)
            except (OSError, TimeoutError, websockets.exceptions.WebSocketException) as exc:
                log.warning("feed=%s stream interrupted: %s: %s", self.name, type(exc).__name__, exc)
                if isinstance(exc, _Interrupted):
                    cursor, received = exc.cursor, exc.received
                elif isinstance(exc, websockets.exceptions.InvalidStatus):  # e.g. 429 on the handshake
                    retry_after = parse_retry_after(exc.response.headers.get("Retry-After"),
                                                    datetime.now(UTC))
            if stop.is_set():
                return
            failures = 0 if received else failures + 1
            delay = backoff_delay(min(failures, 30), settings.backoff_base_s, self._rng,
                                  cap_s=RECONNECT_CAP_S)
            if retry_after is not None:
                delay = max(delay, min(retry_after, RETRY_AFTER_CAP_S))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)

    async def _read(self, connection: ClientConnection, url: str, context: StreamContext, emit: Emit,
                    stop: asyncio.Event, cursor: int | None) -> tuple[int | None, bool]:
        """Frames into batches until ``stop`` (returns) or the connection drops (flushes, then
        raises :class:`_Interrupted` with the cursor acknowledged so far)."""
        loop = asyncio.get_running_loop()
        headers = dict(connection.response.headers.raw_items()) if connection.response is not None else {}
        pending = _Pending()
        received = False
        while True:
            if stop.is_set():
                return await self._flush(pending, context, emit, cursor), received
            wait = self.config.batch_wait
            if pending.since is not None:
                wait = max(0.0, pending.since + self.config.batch_wait - loop.time())
            try:
                frame = await asyncio.wait_for(connection.recv(), timeout=min(wait, 0.5) or 0.001)
            except TimeoutError:
                if pending.since is not None and loop.time() >= pending.since + self.config.batch_wait:
                    cursor = await self._flush(pending, context, emit, cursor)
                    pending = _Pending()
                continue
            except websockets.exceptions.ConnectionClosed as exc:
                cursor = await self._flush(pending, context, emit, cursor)
                raise _Interrupted(str(exc) or "connection closed", cursor, received) from exc
            received = True
            collected = context.clock()
            result = read_frame(frame, feed=self.config, filters=self.filters, collected=collected,
                                secret=context.pseudonym_secret,
                                provenance=stream_provenance(url, collected, headers=headers, status=101))
            self._add(pending, frame, result)
            if pending.since is None:
                pending.since = loop.time()
            if len(pending) >= self.config.batch_size:
                cursor = await self._flush(pending, context, emit, cursor)
                pending = _Pending()

    def _add(self, pending: _Pending, frame: str | bytes, result: Frame) -> None:
        if result.time_us is not None:
            pending.cursor = max(result.time_us, pending.cursor or 0)
        if result.item is not None:
            pending.entries.append((result.item, result.deletion_by))
        if result.dead_letter is not None:
            raw = frame if isinstance(frame, bytes) else frame.encode("utf-8", "surrogatepass")
            digest = hashlib.sha256(raw).hexdigest()
            if digest not in self._malformed:
                self._malformed[digest] = None
                if len(self._malformed) > MALFORMED_MEMORY:
                    self._malformed.popitem(last=False)
                pending.dead_letters.append(result.dead_letter)

    async def _flush(self, pending: _Pending, context: StreamContext, emit: Emit,
                     cursor: int | None) -> int | None:
        """Emit what is pending; returns the new acknowledged cursor."""
        if not len(pending) and pending.cursor is None:
            return cursor
        items = await self._publishable(pending, context)
        new_cursor = max(pending.cursor or 0, cursor or 0) or None
        batch = StreamBatch(items=items, dead_letters=pending.dead_letters,
                            cursor=str(new_cursor) if new_cursor is not None else None, edits_by_content=True)
        try:
            await emit(batch)
        except Exception as exc:
            raise PublishFailed(f"feed {self.name!r}: publishing a batch failed: {type(exc).__name__}: "
                                f"{exc}") from exc
        return new_cursor

    async def _publishable(self, pending: _Pending, context: StreamContext) -> list[Item]:
        """The pending items in stream order, less the deletions of posts this feed never published."""
        filters = self.filters
        by_accounts_alone = bool(filters.accounts) and not filters.matcher and not filters.languages
        posted: set[str] = set()
        keep: list[tuple[Item, str | None]] = []
        unknown: list[str] = []
        for item, deleted_by in pending.entries:
            if deleted_by is None:
                posted.add(item.id)
            elif not (item.id in posted or (by_accounts_alone and deleted_by in filters.accounts)):
                unknown.append(item.id)
            keep.append((item, deleted_by))
        published = await context.seen(unknown) if unknown else set()
        return [item for item, deleted_by in keep
                if deleted_by is None or item.id not in unknown or item.id in published]


class _Interrupted(websockets.exceptions.WebSocketException):
    """The connection dropped after the pending batch was flushed; carries the acknowledged cursor."""

    def __init__(self, message: str, cursor: int | None, received: bool) -> None:
        super().__init__(message)
        self.cursor = cursor
        self.received = received
