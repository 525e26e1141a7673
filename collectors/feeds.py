"""The ``rss`` source: RSS 0.9x, 1.0 (RDF), 2.0 and Atom, parsed by feedparser.

A body that parses to no entries and is broken or not a feed at all becomes a
dead letter (the body is kept for whoever fixes the feed) and a failed poll. A
broken feed that still yields entries keeps them: feeds are often sloppy, and a
missing entity should not hide a report.
"""

from __future__ import annotations

import asyncio
import codecs
import hashlib
import io
import logging
import re
from datetime import datetime

import feedparser

from collectors.config import FeedConfig
from collectors.fetch import FeedTooLarge, FetchError, FetchResult, HTTPStatusError
from collectors.normalise import EntryAdapter, normalise_entries
from collectors.protocol import PollContext, PollOutcome, Validators, register
from collectors.provenance import provenance_of
from tocsin.schema import DeadLetter

log = logging.getLogger(__name__)

_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._-]+)""", re.IGNORECASE)
_OTHER_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)


def _is_utf8(name: str) -> bool:
    try:
        return codecs.lookup(name).name == "utf-8"
    except LookupError:
        return False


def repair_utf8(body: bytes, content_type: str | None = None) -> tuple[bytes, int]:
    """A UTF-8 feed with invalid bytes, with each bad sequence replaced by U+FFFD.

    Given one invalid byte, feedparser re-decodes the *whole* document in a legacy
    encoding (windows-1252 and the like), turning every Arabic or Amharic entry of
    the feed into mojibake. Only the bad bytes are at fault, so only they are
    replaced. A body declaring another encoding (HTTP charset, else the XML
    declaration; UTF-8 is XML's default) is left alone. Returns the body and the
    number of replacement characters added.
    """
    if body.startswith(_OTHER_BOMS):
        return body, 0
    charset = _CHARSET.search(content_type or "")
    declared = _XML_ENCODING.match(body[:512].lstrip(codecs.BOM_UTF8))
    encoding = charset.group(1) if charset else declared.group(1).decode("ascii") if declared else "utf-8"
    if not _is_utf8(encoding):
        return body, 0
    try:
        body.decode("utf-8")
        return body, 0
    except UnicodeDecodeError:
        text = body.decode("utf-8", "replace")
        return text.encode("utf-8"), text.count("\ufffd") - body.decode("utf-8", "ignore").count("\ufffd")


def parse_feed(body: bytes, *, feed: FeedConfig, collected: datetime, content_type: str | None = None,
               url: str | None = None, adapt: EntryAdapter | None = None) -> PollOutcome:
    """Parse and normalise a fetched body (CPU work: callers run it off the event loop).

    Returns a ``changed`` outcome with items (and dead letters for unusable entries),
    or a ``failed`` one with a dead letter holding the body as received. Never raises. ``adapt``
    is a plug-in's finishing touch on each item (see :class:`RssSource`).
    """
    headers = {"content-type": content_type or "application/xml", "content-location": url or feed.url}
    readable, replaced = repair_utf8(body, content_type)
    if replaced:
        log.warning("feed=%s: %d invalid UTF-8 sequences replaced with U+FFFD", feed.name, replaced)
    try:
        # A stream, never bytes: feedparser opens bytes that name a local file (a body
        # of b"/etc/passwd" would be read from disk) and fetches strings that are URLs.
        parsed = feedparser.parse(io.BytesIO(readable), response_headers=headers, sanitize_html=True)
    except Exception as exc:  # feedparser catches almost everything itself; be sure
        return _malformed(feed, body, "malformed_feed", f"feedparser raised {type(exc).__name__}: {exc}")
    entries = list(parsed.get("entries") or [])
    problem = parsed.get("bozo_exception")
    if not entries and (parsed.get("bozo") or not parsed.get("version")):
        undecodable = isinstance(problem, feedparser.CharacterEncodingUnknown)
        detail = f"{type(problem).__name__}: {problem}" if problem else "no RSS or Atom markup found"
        return _malformed(feed, body, "undecodable_feed" if undecodable else "malformed_feed",
                          f"not a usable feed: {detail}")
    channel = parsed.get("feed") or {}
    items, dead = normalise_entries(entries, feed=feed, collected=collected,
                                    feed_language=channel.get("language"), adapt=adapt)
    return PollOutcome("changed", items=items, dead_letters=dead)


def _malformed(feed: FeedConfig, body: bytes, reason: str, error: str) -> PollOutcome:
    message = f"feed {feed.name!r} ({feed.url}): {error}"
    letter = DeadLetter.of(stage="collector", reason=reason, error=message, payload=body, key=feed.name)
    return PollOutcome("failed", dead_letters=[letter], error=message)


@register("rss", config_model=FeedConfig)
class RssSource:
    """Polls one feed URL. Plug-ins for sites that publish feeds (YouTube, Google News)
    subclass it: they build ``config.url`` from their own keys and may override
    :meth:`entry_adapter` to finish each item from its feedparser entry."""

    def __init__(self, config: FeedConfig) -> None:
        self.config = config

    def entry_adapter(self, context: PollContext) -> EntryAdapter | None:
        """A pure function run on each item with its entry, off the event loop; None for plain feeds."""
        return None

    @property
    def name(self) -> str:
        return self.config.name

    async def poll(self, context: PollContext) -> PollOutcome:
        feed, previous = self.config, context.previous
        try:
            result = await context.fetcher.fetch(feed.url, etag=previous.etag,
                                                 last_modified=previous.last_modified)
        except FeedTooLarge as exc:
            letter = DeadLetter.of(stage="collector", reason="feed_too_large", key=feed.name,
                                   error=f"feed {feed.name!r}: {exc}", payload=exc.partial)
            return PollOutcome("failed", dead_letters=[letter], error=str(exc))
        except HTTPStatusError as exc:
            return PollOutcome("failed", http_status=exc.status, error=str(exc),
                               retry_after_s=exc.retry_after_s)
        except FetchError as exc:
            return PollOutcome("failed", error=str(exc))
        return await self._outcome(result, context)

    async def _outcome(self, result: FetchResult, context: PollContext) -> PollOutcome:
        previous = context.previous
        if result.not_modified:
            # A 304 may carry fresh validators; keep the old ones where it does not.
            kept = Validators(result.etag or previous.etag, result.last_modified or previous.last_modified,
                              previous.body_sha256)
            return PollOutcome("unchanged", validators=kept, http_status=304)
        body_sha256 = hashlib.sha256(result.body).hexdigest()
        validators = Validators(result.etag, result.last_modified, body_sha256)
        if body_sha256 == previous.body_sha256:
            # Same bytes under a new ETag: some servers mint one per response.
            return PollOutcome("unchanged", validators=validators, http_status=result.status)
        parsed = await asyncio.to_thread(parse_feed, result.body, feed=self.config,
                                         collected=context.collected, content_type=result.content_type,
                                         url=result.url, adapt=self.entry_adapter(context))
        if parsed.status == "failed":
            return PollOutcome("failed", dead_letters=parsed.dead_letters, error=parsed.error,
                               http_status=result.status)
        provenance = provenance_of(result, context.collected)
        items = [item.model_copy(update={"provenance": provenance}) for item in parsed.items]
        return PollOutcome("changed", items=items, dead_letters=parsed.dead_letters,
                           validators=validators, http_status=result.status)
