"""Where an item's evidence came from: the fetch that carried it and the hash of its raw form.

An analyst citing a post must be able to say which URL was fetched, when, what
the server answered, and that the archived post is the one received. The
:class:`~tocsin.schema.Provenance` keeps the first three; ``raw_sha256`` the last.

API sources hash the post as the API sent it, serialised canonically, so the same
post fetched twice hashes the same whatever order the server put its keys in.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tocsin.schema import Provenance

if TYPE_CHECKING:
    from collectors.fetch import FetchResult

PROVENANCE_HEADERS = ("etag", "last-modified", "content-type", "content-language", "date", "age",
                      "x-cache")
"""Response headers worth keeping as evidence: what identified the version, when the
server says it answered, and whether a cache answered for it. Nothing that can carry
credentials (cookies, authorisation) is kept."""

MAX_HEADER_CHARS = 512
"""A header value longer than this is truncated: provenance must not bloat every item."""


def kept_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The :data:`PROVENANCE_HEADERS` present in ``headers`` (any case), names lower-cased."""
    lowered = {name.lower(): value for name, value in headers.items()}
    return {name: lowered[name][:MAX_HEADER_CHARS] for name in PROVENANCE_HEADERS if name in lowered}


def provenance_of(result: FetchResult, fetched_at: datetime) -> Provenance:
    """Provenance of everything parsed from one fetched response (its final URL, after redirects)."""
    headers = dict(result.headers)
    # Results built without the full header map (tests, older callers) still carry these.
    for name, value in (("etag", result.etag), ("last-modified", result.last_modified),
                        ("content-type", result.content_type)):
        if value is not None:
            headers.setdefault(name, value)
    return Provenance(fetch_url=result.url, fetched_at=fetched_at, status=result.status,
                      headers=kept_headers(headers))


def stream_provenance(url: str, fetched_at: datetime, *, headers: Mapping[str, str] | None = None,
                      status: int | None = None) -> Provenance:
    """Provenance of an item received on a stream (WebSocket, server-sent events): the
    subscription URL, the time the event arrived, and the handshake's headers if any."""
    return Provenance(fetch_url=url, fetched_at=fetched_at, status=status,
                      headers=kept_headers(headers or {}))


def canonical_json(payload: Any) -> bytes:
    """``payload`` as canonical JSON bytes: sorted keys, compact separators, UTF-8, no
    ASCII escaping. Lone surrogates (which JSON escapes can produce) are kept as
    they came, so two different payloads never serialise alike. Raises ``TypeError``
    or ``ValueError`` for what JSON cannot hold (callers pass decoded JSON)."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8", "surrogatepass")


def raw_sha256(payload: Any) -> str:
    """SHA-256 (hex) of :func:`canonical_json` of a decoded JSON post."""
    return hashlib.sha256(canonical_json(payload)).hexdigest()


def bytes_sha256(raw: bytes) -> str:
    """SHA-256 (hex) of a raw payload that is not JSON (an HTML fragment, a frame as received)."""
    return hashlib.sha256(raw).hexdigest()
