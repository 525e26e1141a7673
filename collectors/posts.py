"""The pure pieces of turning a post from a JSON API into an :class:`~tocsin.schema.Item`.

Every field of a post is what a remote server chose to send, so each reader here
checks the type it gets and gives ``None`` (or nothing) rather than raising: a
string where a number belongs, a ``javascript:`` link or a date in the year 30000
must cost at most that field, and only a post with nothing to identify it is
refused (:class:`UnusablePost`, which the source turns into a dead letter).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from collectors.config import FeedConfig
from collectors.normalise import scrub
from collectors.provenance import canonical_json
from tocsin.errors import InputError
from tocsin.schema import DeadLetter

TITLE_WORDS = 12
"""Posts have no title; their first line, cut to this many words, stands in for one."""
TITLE_MAX_CHARS = 200
"""A "word" can be a 100,000-character string without spaces; titles stay short."""
MAX_URL_CHARS = 4096
MAX_COUNT = 2**53
"""Engagement counts beyond this are not counts (and would not survive JSON readers)."""


class UnusablePost(InputError, ValueError):
    """A post without the fields that identify it (an id of the right type)."""


def title_from_text(text: str, *, max_words: int = TITLE_WORDS) -> str:
    """The first line of normalised ``text``, cut after ``max_words`` words (marked ``…``)."""
    first = text.strip().split("\n", 1)[0].strip()
    words = first.split()
    if len(words) <= max_words and len(first) <= TITLE_MAX_CHARS:
        return first
    cut = " ".join(words[:max_words])
    if len(cut) > TITLE_MAX_CHARS:
        cut = cut[:TITLE_MAX_CHARS].rstrip()
    return cut + "…"


def text_field(value: Any) -> str:
    """``value`` if it is a string, else ``""``: a number or a list where text belongs is no text."""
    return value if isinstance(value, str) else ""


def id_field(value: Any, *, max_chars: int = 200) -> str | None:
    """An API id: a short string without control characters or spaces (integers are accepted
    as their decimal form). Anything else is None, so a caller can refuse the post."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or len(value) > max_chars or scrub(value) != value or any(c.isspace() for c in value):
        return None
    return value


def http_url(value: Any) -> str | None:
    """``value`` if it is an absolute http(s) URL of sane length; ``javascript:``, ``data:``
    and relative or broken URLs never reach an analyst's browser."""
    if not isinstance(value, str) or len(value) > MAX_URL_CHARS:
        return None
    url = scrub(value).strip()
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host or any(c.isspace() for c in url):
        return None
    return url


def parse_datetime(value: Any) -> datetime | None:
    """A UTC datetime from an ISO 8601 string (``Z`` or an offset; naive means UTC) or from
    Unix seconds (int or float). Anything else, or a date out of range, is None."""
    if isinstance(value, bool):
        return None
    try:
        if isinstance(value, int | float):
            return datetime.fromtimestamp(value, UTC)
        if isinstance(value, str) and 0 < len(value) <= 64:
            parsed = datetime.fromisoformat(value.strip())
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            return parsed.astimezone(UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return None


def counts(post: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, int]:
    """Engagement counts: ``names`` maps the API's field to ours; only non-negative
    integers are kept (a count sent as a string, a float or a boolean is dropped)."""
    found: dict[str, int] = {}
    for field, ours in names.items():
        value = post.get(field)
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_COUNT:
            found[ours] = value
    return found


def payload_bytes(post: Any) -> bytes:
    """The post as canonical JSON (see :func:`collectors.provenance.canonical_json`), for
    dead letters; ``repr`` for what JSON cannot hold."""
    try:
        return canonical_json(post)
    except (TypeError, ValueError, RecursionError):
        return repr(post).encode("utf-8", "backslashreplace")


def post_dead_letter(feed: FeedConfig, where: str, exc: BaseException, post: Any) -> DeadLetter:
    """A dead letter for one post a source could not use; ``where`` says where it was
    (``"page 2, post 7"``) so whoever reads the queue can find it in the API."""
    reason = "unusable_post" if isinstance(exc, UnusablePost) else "post_not_normalisable"
    return DeadLetter.of(stage="collector", reason=reason, key=feed.name, payload=payload_bytes(post),
                         error=f"{feed.type} source {feed.name!r} ({feed.url}), {where}: "
                               f"{type(exc).__name__}: {exc}")
