"""What a service said when it refused a request, in one short, safe line.

APIs explain a refusal in the body of the answer: ReliefWeb in ``error.message``
("You are not using an approved appname…"), Mastodon in ``error`` ("The access
token is invalid"), Reddit in ``message``, GDELT in plain text ("Please limit
requests to one every 5 seconds…"), a proxy in an HTML page. The fetcher reads at
most :data:`MAX_ERROR_BODY_BYTES` of a non-2xx body and this module turns it into
the text an operator needs in the source's health (``/sources``, the log, the live
probe). The body is the remote side's words: control characters are dropped,
whitespace collapsed and the length capped, and it is never followed or rendered.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from collectors.normalise import html_to_text, plain_text

MAX_ERROR_BODY_BYTES = 8 * 1024
"""How much of a refusal's body is read: enough for any API's error object, never a page of data."""
MAX_MESSAGE_CHARS = 300

_MESSAGE_KEYS = ("message", "error_description", "error", "detail", "title", "reason")


def service_message(body: bytes, content_type: str | None = None) -> str | None:
    """The service's own explanation in ``body``, or None when it gave none."""
    if not body.strip():
        return None
    text = body.decode("utf-8", "replace")
    kind = (content_type or "").split(";")[0].strip().lower()
    stripped = text.lstrip()
    message: str | None = None
    if kind.endswith("json") or stripped[:1] in ("{", "["):
        message = _from_json(text)
    if message is None:
        looks_html = "html" in kind or stripped[:1] == "<"
        message = html_to_text(text) if looks_html else plain_text(text)
    return _cap(message)


def _from_json(text: str) -> str | None:
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return None  # a truncated or broken JSON body: quote it as text
    return _message_in(document, depth=0)


def _message_in(value: Any, depth: int) -> str | None:
    """The first explanation found: ``error.message`` before ``error``, a list's first entry."""
    if depth > 3:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value:
        return _message_in(value[0], depth + 1)
    if not isinstance(value, Mapping):
        return None
    error = value.get("error")
    if isinstance(error, Mapping):
        found = _message_in(error, depth + 1)
        if found:
            return found
    for key in _MESSAGE_KEYS:
        candidate = value.get(key)
        if isinstance(candidate, str) and candidate.strip():
            return candidate
    errors = value.get("errors")
    return _message_in(errors, depth + 1) if errors else None


def _cap(message: str | None) -> str | None:
    if message is None:
        return None
    line = plain_text(message)
    if not line:
        return None
    return line if len(line) <= MAX_MESSAGE_CHARS else line[:MAX_MESSAGE_CHARS - 1] + "…"
