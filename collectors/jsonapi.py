"""Requests to a JSON API within one poll, and how a poll of several pages ends.

An API source pages: several requests per poll, each of which may fail. The rules
every such source follows live here:

* :func:`fetch_json` makes one request through the polite :class:`~collectors.fetch.Fetcher`
  (so per-host limits, retries and ``Retry-After`` apply) and decodes the body off
  the event loop. Whatever goes wrong becomes an :class:`ApiFailure` saying why; a
  body that is not JSON, or too large, carries a dead letter with the bytes.
* A :class:`Harvest` collects a poll's pages. If the first request fails, the poll
  failed (the runner backs the source off). If a later one fails, or the poll's
  request budget runs out, the pages already read still count: their items are
  published and the cursor moves to the end of them, so the next poll resumes there.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from collectors.config import FeedConfig
from collectors.fetch import FeedTooLarge, Fetcher, FetchError, FetchResult, HTTPStatusError
from collectors.posts import parse_datetime
from collectors.protocol import PollOutcome
from tocsin.errors import InputError, PeerError
from tocsin.schema import DeadLetter, Item

ACCEPT_JSON = "application/json"
SNIPPET_CHARS = 200
"""How much of a non-JSON body an error message quotes (APIs explain themselves in plain text)."""


class ApiFailure(PeerError):
    """One request of a poll failed; the message names the source, the URL and the cause."""

    def __init__(self, message: str, *, http_status: int | None = None, retry_after_s: float | None = None,
                 dead_letter: DeadLetter | None = None, headers: Mapping[str, str] | None = None,
                 body: bytes | None = None) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.retry_after_s = retry_after_s
        self.dead_letter = dead_letter
        self.headers: Mapping[str, str] = headers or {}
        self.body = body
        """The body of a 2xx answer that was not JSON (APIs that explain errors in plain text)."""


class MalformedResponse(InputError, ValueError):
    """A body that does not decode as JSON."""


@dataclass(frozen=True)
class ApiResponse:
    result: FetchResult
    document: Any


def decode_json(body: bytes) -> Any:
    """The decoded JSON document; :class:`MalformedResponse` says why not (never another error)."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        snippet = body[:SNIPPET_CHARS].decode("utf-8", "replace")
        detail = f"{type(exc).__name__}: {str(exc)[:SNIPPET_CHARS]}"
        raise MalformedResponse(f"not JSON ({detail}); the body starts {snippet!r}") from None


def malformed_letter(feed: FeedConfig, reason: str, error: str, payload: bytes) -> DeadLetter:
    return DeadLetter.of(stage="collector", reason=reason, error=error, payload=payload, key=feed.name)


async def fetch_json(fetcher: Fetcher, feed: FeedConfig, url: str, *,
                     headers: Mapping[str, str] | None = None, json_body: bytes | None = None) -> ApiResponse:
    """GET ``url`` (or POST ``json_body``) and decode the answer; raise :class:`ApiFailure`."""
    where = f"{feed.type} source {feed.name!r}"
    try:
        result = await fetcher.fetch(url, headers={"Accept": ACCEPT_JSON, **(headers or {})},
                                     json_body=json_body)
    except FeedTooLarge as exc:
        message = f"{where}: {exc}"
        raise ApiFailure(message, dead_letter=malformed_letter(feed, "response_too_large", message,
                                                               exc.partial)) from None
    except HTTPStatusError as exc:
        raise ApiFailure(f"{where}: {exc}", http_status=exc.status, retry_after_s=exc.retry_after_s,
                         headers=exc.headers) from None
    except FetchError as exc:
        raise ApiFailure(f"{where}: {exc}") from None
    if result.not_modified:  # we never send validators, but a confused cache might answer 304
        raise ApiFailure(f"{where}: {url}: unexpected 304 Not Modified", http_status=304)
    try:
        document = await asyncio.to_thread(decode_json, result.body)
    except MalformedResponse as exc:
        message = f"{where}: {result.url}: HTTP {result.status}, {exc}"
        letter = malformed_letter(feed, "malformed_response", message, result.body)
        raise ApiFailure(message, http_status=result.status, headers=result.headers,
                         dead_letter=letter, body=result.body) from None
    return ApiResponse(result, document)


def wrong_shape(feed: FeedConfig, response: ApiResponse, expected: str) -> ApiFailure:
    """The failure for JSON of the wrong shape (an object where a list belongs, a missing key)."""
    message = (f"{feed.type} source {feed.name!r}: {response.result.url}: HTTP {response.result.status}, "
               f"expected {expected}, got {_describe(response.document)}")
    return ApiFailure(message, http_status=response.result.status, headers=response.result.headers,
                      dead_letter=malformed_letter(feed, "malformed_response", message, response.result.body))


def _describe(document: Any) -> str:
    if isinstance(document, dict):
        keys = ", ".join(repr(key)[:40] for key in list(document)[:8])
        return f"an object with keys {keys}" if keys else "an empty object"
    if isinstance(document, list):
        return f"a list of {len(document)}"
    return f"{type(document).__name__} {repr(document)[:80]}"


def rate_limit_wait(headers: Mapping[str, str], now: datetime, *, reserve: float = 0.0) -> float | None:
    """Seconds to wait before the next request when an API's budget headers say it is spent.

    Reads ``X-RateLimit-Remaining`` / ``X-Ratelimit-Remaining`` (names are
    case-insensitive; Reddit sends a float) and ``X-RateLimit-Reset``: seconds until
    the reset (Reddit), Unix seconds, or an ISO 8601 time (Mastodon). None while more
    than ``reserve`` requests remain, or when the headers are absent or unusable.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    try:
        remaining = float(lowered["x-ratelimit-remaining"])
    except (KeyError, ValueError):
        return None
    if not math.isfinite(remaining) or remaining > reserve:
        return None
    reset = lowered.get("x-ratelimit-reset", "").strip()
    try:
        seconds = float(reset)
    except ValueError:
        when = parse_datetime(reset)
        return max(0.0, (when - now).total_seconds()) if when is not None else None
    if not math.isfinite(seconds) or seconds < 0:
        return None
    if seconds > 1e9:  # Unix seconds, not a delta
        return max(0.0, seconds - now.timestamp())
    return seconds


@dataclass
class Harvest:
    """The pages one poll has read so far; :meth:`outcome` turns them into its result."""

    cursor: str | None = None
    """The position after the last page read (None: keep the stored cursor)."""
    items: list[Item] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    pages: int = 0
    http_status: int | None = None
    error: str | None = None
    retry_after_s: float | None = None

    def page(self, response: ApiResponse) -> None:
        self.pages += 1
        self.http_status = response.result.status

    def stop(self, failure: ApiFailure) -> None:
        """A request failed: keep what was read, note why the poll ends here."""
        if failure.dead_letter is not None:
            self.dead_letters.append(failure.dead_letter)
        self.error = str(failure)
        self.http_status = failure.http_status or self.http_status
        if failure.retry_after_s is not None:
            self.wait_at_least(failure.retry_after_s)

    def wait_at_least(self, seconds: float) -> None:
        self.retry_after_s = max(self.retry_after_s or 0.0, seconds)

    def outcome(self) -> PollOutcome:
        if self.pages == 0 and self.error is not None:
            return PollOutcome("failed", dead_letters=self.dead_letters, http_status=self.http_status,
                               error=self.error, retry_after_s=self.retry_after_s)
        return PollOutcome("changed", items=self.items, dead_letters=self.dead_letters,
                           http_status=self.http_status, error=self.error, retry_after_s=self.retry_after_s,
                           cursor=self.cursor)
