"""A polite HTTP fetcher for feeds, shared by every source.

Politeness and safety live here so no plug-in can forget them: at most
``per_host_concurrency`` requests in flight per host, conditional GET, retries
with backoff that honour ``Retry-After``, a cap on the decoded body size and on
its decompression ratio (``collectors.decode``), and an SSRF guard: no request
goes to a private, loopback or link-local address unless
``allow_private_targets`` is on, and redirects are followed by hand so that a
public feed cannot bounce us onto a private address even then.

The guard resolves the host itself, then lets httpx connect, which resolves
again: a DNS answer that changes in between (rebinding) is not caught.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import random
import socket
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType

import httpx

from collectors.decode import (
    ACCEPT_ENCODING,
    BoundedDecoder,
    DecodedTooLarge,
    DecodeError,
    DecompressionBomb,
    parse_encodings,
)
from tocsin.errors import PeerError
from tocsin.settings import CollectorSettings

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5
RETRY_AFTER_INLINE_CAP_S = 60.0
"""Longer ``Retry-After`` waits are not slept inside a poll: the poll fails and the
scheduler defers the next one, so a rate-limited feed never holds a task or a slot."""
BACKOFF_CAP_S = 30.0
"""Upper bound of one in-poll retry wait; longer waits are the scheduler's job."""
ACCEPT = ("application/rss+xml, application/atom+xml, application/rdf+xml, "
          "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1")
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUS = frozenset({301, 302, 303, 307, 308})


class FetchError(PeerError):
    """A feed could not be fetched; ``url`` is the one that failed."""

    def __init__(self, url: str, message: str) -> None:
        super().__init__(f"{url}: {message}")
        self.url = url


class HTTPStatusError(FetchError):
    """The server answered with a status we cannot use (after any retries).

    ``headers`` are the response's (lower-cased names), for APIs that explain a
    refusal in headers of their own (``X-Ratelimit-Reset``)."""

    def __init__(self, url: str, status: int, retry_after_s: float | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        message = f"HTTP {status}"
        if retry_after_s is not None:
            message += f" (Retry-After {retry_after_s:.0f} s)"
        super().__init__(url, message)
        self.status = status
        self.retry_after_s = retry_after_s
        self.headers: Mapping[str, str] = headers or {}


class TransportError(FetchError):
    """Connecting or reading failed (refused, reset, timed out) after any retries."""


class FeedTooLarge(FetchError):
    """The body exceeds ``max_feed_bytes``; ``partial`` holds what was read before aborting."""

    def __init__(self, url: str, limit: int, partial: bytes, declared: int | None = None) -> None:
        what = f"declares {declared} bytes" if declared is not None else "sent more"
        super().__init__(url, f"feed too large: {what}, the limit is {limit} bytes")
        self.limit = limit
        self.partial = partial
        self.declared = declared


class DecompressionBombError(FeedTooLarge):
    """A compressed body that inflates more than ``max_decompression_ratio`` times its size."""

    def __init__(self, url: str, limit: int, bomb: DecompressionBomb) -> None:
        FetchError.__init__(self, url, f"decompression bomb refused: {bomb}")
        self.limit = limit
        self.partial = b""
        self.declared = None


class UnsafeTarget(FetchError):
    """A request to a private, loopback or link-local address while ``allow_private_targets``
    is off (SSRF guard)."""


class RedirectError(FetchError):
    """Too many redirects, a redirect without a usable Location, or to a non-HTTP scheme."""


class UnsafeRedirect(RedirectError):
    """A redirect from a public host to a private, loopback or link-local address (SSRF guard)."""


@dataclass(frozen=True)
class FetchResult:
    status: int
    url: str
    """The final URL, after redirects."""
    body: bytes = b""
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    retry_after: str | None = None
    location: str | None = None
    """The raw ``Location`` of a redirect; the fetcher follows it itself."""
    headers: Mapping[str, str] = field(default_factory=dict)
    """Every response header, names lower-cased (rate-limit budgets, ``Date`` for provenance)."""

    @property
    def not_modified(self) -> bool:
        return self.status == 304


# --- pure helpers -------------------------------------------------------------------


def is_private_address(address: str | ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for addresses a public feed must not send us to: private, loopback, link-local,
    multicast, reserved, unspecified, and IPv6 forms that embed one of those."""
    try:
        ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    except ValueError:
        return True  # not an address we understand: refuse rather than guess
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return is_private_address(ip.ipv4_mapped)
        embedded = ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None and is_private_address(embedded):
            return True
    return bool(ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
                or ip.is_reserved or ip.is_unspecified or not ip.is_global)


def redirect_allowed(source_addresses: Iterable[str], target_addresses: Iterable[str]) -> bool:
    """A redirect may lead anywhere from a host whose addresses are all private (an
    operator configured it), but from any other host only to hosts whose every
    address is public. Unresolvable hosts count as public sources and unsafe targets."""
    sources = list(source_addresses)
    targets = list(target_addresses)
    source_private = bool(sources) and all(is_private_address(a) for a in sources)
    if source_private:
        return True
    return bool(targets) and not any(is_private_address(a) for a in targets)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date); None if unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def backoff_delay(attempt: int, base_s: float, rng: random.Random, cap_s: float = BACKOFF_CAP_S) -> float:
    """Exponential backoff with jitter for retry ``attempt`` (0-based): the wait lies in
    [half, full] of ``base * 2**attempt``, so retries of many feeds spread out."""
    full = min(cap_s, base_s * (2 ** attempt))
    return full * (0.5 + 0.5 * rng.random())


def host_key(url: httpx.URL) -> str:
    """Politeness is per host name, whatever the port: one server, one budget."""
    return url.host.lower()


# --- the fetcher --------------------------------------------------------------------

Resolver = Callable[[str, int], Awaitable[list[str]]]


async def resolve(host: str, port: int) -> list[str]:
    """Addresses ``host`` resolves to; a literal IP resolves to itself."""
    try:
        return [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return []
    return sorted({str(info[4][0]) for info in infos})


class Fetcher:
    """One shared ``httpx.AsyncClient`` with per-host limits. Use as an async context manager.

    ``resolver`` and ``rng`` are injectable so tests can exercise the SSRF guard and
    the jitter deterministically.
    """

    def __init__(self, settings: CollectorSettings, *, client: httpx.AsyncClient | None = None,
                 resolver: Resolver = resolve, rng: random.Random | None = None) -> None:
        self.settings = settings
        self._own_client = client is None
        self._client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(settings.timeout_s),
            follow_redirects=False,
            headers={"User-Agent": settings.user_agent, "Accept": ACCEPT},
        )
        self._resolver = resolver
        self._rng = rng or random.Random()
        self._host_slots: dict[str, asyncio.Semaphore] = {}

    @property
    def client(self) -> httpx.AsyncClient:
        """The shared client, for long-lived requests the fetcher does not wrap (server-sent
        events); it follows no redirects, so the redirect guard cannot be sidestepped."""
        return self._client

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._own_client:
            await self._client.aclose()

    async def check_target(self, url: str | httpx.URL) -> None:
        """Refuse a URL whose host resolves to a non-public address, unless allowed.

        Every request the fetcher makes passes here; sources that open long-lived
        connections themselves (server-sent events, WebSockets) call it first.
        """
        if self.settings.allow_private_targets:
            return
        target = httpx.URL(str(url))
        if not target.host:
            raise UnsafeTarget(str(url), "no host to connect to")
        addresses = await self._resolver(target.host, target.port or _default_port(target))
        if not addresses:
            raise TransportError(str(url), f"cannot resolve {target.host!r}")
        private = [address for address in addresses if is_private_address(address)]
        if private:
            raise UnsafeTarget(str(url), f"refusing a request to {target.host!r}, which resolves to the "
                               f"non-public address {private[0]} (collector.allow_private_targets is off)")

    async def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
                    headers: Mapping[str, str] | None = None, json_body: bytes | None = None) -> FetchResult:
        """GET a feed, or POST ``json_body`` (an already serialised JSON document) to an API.

        ``headers`` are added to the request (an API's ``Accept``, ``Authorization``,
        ``User-Agent``) and override the fetcher's defaults. A 304 comes back as a
        result with ``not_modified``; any other failure raises a :class:`FetchError`
        subclass after the configured retries. A POST redirected with 301/302/303
        continues as a GET without the body, as browsers do; 307/308 repeat the POST.
        """
        request_headers: dict[str, str] = dict(headers or {})
        if etag:
            request_headers["If-None-Match"] = etag
        if last_modified:
            request_headers["If-Modified-Since"] = last_modified
        if json_body is not None:
            request_headers["Content-Type"] = "application/json"
        current = httpx.URL(url)
        await self.check_target(current)
        for _ in range(MAX_REDIRECTS + 1):
            result = await self._fetch_with_retries(current, request_headers, json_body)
            if result.status in REDIRECT_STATUS:
                current = await self._next_hop(current, result)
                if json_body is not None and result.status not in (307, 308):
                    json_body = None
                    request_headers.pop("Content-Type", None)
                continue
            if result.status == 304 or 200 <= result.status < 300:
                return result
            raise HTTPStatusError(str(current), result.status, headers=result.headers)
        raise RedirectError(url, f"more than {MAX_REDIRECTS} redirects")

    async def _next_hop(self, current: httpx.URL, redirect: FetchResult) -> httpx.URL:
        location = redirect.location or ""
        try:
            target = current.join(location)
        except (httpx.InvalidURL, ValueError) as exc:
            raise RedirectError(str(current), f"unusable redirect Location {location!r}: {exc}") from None
        if target.scheme not in ("http", "https") or not target.host:
            raise RedirectError(str(current), f"refusing redirect to {str(target)!r}: not an http(s) URL")
        source_addresses = await self._resolver(current.host, current.port or _default_port(current))
        target_addresses = await self._resolver(target.host, target.port or _default_port(target))
        if not self.settings.allow_private_targets:
            source_addresses = []  # nothing counts as an operator's private host: targets must be public
        if not redirect_allowed(source_addresses, target_addresses):
            raise UnsafeRedirect(str(current), f"refusing redirect from a public host to {str(target)!r} "
                                 f"(resolves to {', '.join(target_addresses) or 'nothing'})")
        return target

    async def _fetch_with_retries(self, url: httpx.URL, headers: dict[str, str],
                                  body: bytes | None = None) -> FetchResult:
        attempts = self.settings.retries + 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                result = await self._attempt(url, headers, body)
            except (httpx.TransportError, TimeoutError) as exc:
                if last:
                    raise TransportError(str(url), _describe_transport(exc, self.settings.timeout_s)) from exc
                delay = backoff_delay(attempt, self.settings.backoff_base_s, self._rng)
                log.debug("%s: %s; retry in %.2f s", url, _describe_transport(exc, 0), delay)
                await asyncio.sleep(delay)
                continue
            except httpx.HTTPError as exc:  # e.g. a body that fails to decompress: retrying won't help
                raise FetchError(str(url), f"{type(exc).__name__}: {exc}") from exc
            if result.status not in RETRYABLE_STATUS:
                return result
            retry_after = parse_retry_after(result.retry_after, datetime.now(UTC))
            if last or (retry_after is not None and retry_after > RETRY_AFTER_INLINE_CAP_S):
                raise HTTPStatusError(str(url), result.status, retry_after, result.headers)
            delay = backoff_delay(attempt, self.settings.backoff_base_s, self._rng)
            if retry_after is not None:
                delay = max(delay, retry_after)
            log.debug("%s: HTTP %d; retry in %.2f s", url, result.status, delay)
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _attempt(self, url: httpx.URL, headers: dict[str, str], body: bytes | None) -> FetchResult:
        """One request, holding the host's slot only while bytes move."""
        host = host_key(url)
        slot = self._host_slots.setdefault(host, asyncio.Semaphore(self.settings.per_host_concurrency))
        async with slot:
            # The total deadline stops a server that trickles bytes from holding the slot.
            async with asyncio.timeout(self.settings.timeout_s):
                return await self._request(url, headers, body)

    async def _request(self, url: httpx.URL, headers: dict[str, str], body: bytes | None) -> FetchResult:
        limit = self.settings.max_feed_bytes
        method = "GET" if body is None else "POST"
        headers = {"Accept-Encoding": ACCEPT_ENCODING, **headers}
        async with self._client.stream(method, url, headers=headers, content=body) as response:
            status = response.status_code
            if status in REDIRECT_STATUS:
                return FetchResult(status=status, url=str(url), location=response.headers.get("location"))
            if not 200 <= status < 300:
                return _result(response, str(url))
            declared = _content_length(response)
            if declared is not None and declared > limit:
                raise FeedTooLarge(str(url), limit, b"", declared)
            # Decoded here, with a cap on every inflate step, not by httpx (which is unbounded).
            try:
                decoder = BoundedDecoder(parse_encodings(response.headers.get("content-encoding")),
                                         max_bytes=limit, max_ratio=self.settings.max_decompression_ratio)
                async for chunk in response.aiter_raw():
                    decoder.feed(chunk)
                decoded = decoder.finish()
            except DecodedTooLarge as exc:
                raise FeedTooLarge(str(url), limit, exc.partial) from None
            except DecompressionBomb as exc:
                raise DecompressionBombError(str(url), limit, exc) from None
            except DecodeError as exc:
                raise FetchError(str(url), str(exc)) from None
            return _result(response, str(response.url), decoded)


def _default_port(url: httpx.URL) -> int:
    return 443 if url.scheme in ("https", "wss") else 80


def _content_length(response: httpx.Response) -> int | None:
    value = response.headers.get("content-length")
    if value is None or response.headers.get("content-encoding"):
        return None  # a compressed length says nothing about the decoded size
    try:
        return int(value)
    except ValueError:
        return None


def _result(response: httpx.Response, url: str, body: bytes = b"") -> FetchResult:
    headers = response.headers
    return FetchResult(status=response.status_code, url=url, body=body, etag=headers.get("etag"),
                       last_modified=headers.get("last-modified"), content_type=headers.get("content-type"),
                       retry_after=headers.get("retry-after"),
                       headers={name.lower(): value for name, value in headers.items()})


def _describe_transport(exc: BaseException, timeout_s: float) -> str:
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return f"timed out after {timeout_s:.0f} s" if timeout_s else "timed out"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
