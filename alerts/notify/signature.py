"""Webhook signatures: HMAC-SHA256 over ``f"{timestamp}.{body}"`` (the Stripe scheme).

Signing the timestamp with the body lets a receiver refuse a captured request
replayed later: it checks the signature, then that the timestamp is within a
tolerance of its own clock.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time

SIGNATURE_HEADER = "X-Tocsin-Signature"
TIMESTAMP_HEADER = "X-Tocsin-Timestamp"
_SCHEME = "sha256="
_TIMESTAMP = re.compile(r"\d{1,12}")


def _secret(secret: bytes | str) -> bytes:
    return secret.encode("utf-8") if isinstance(secret, str) else secret


def sign(secret: bytes | str, timestamp: str, body: bytes) -> str:
    """The ``X-Tocsin-Signature`` value: ``sha256=`` + hex HMAC of ``timestamp + "." + body``.

    ``timestamp`` is signed exactly as sent in ``X-Tocsin-Timestamp`` (Unix seconds)."""
    signed = timestamp.encode("ascii") + b"." + body
    return _SCHEME + hmac.new(_secret(secret), signed, hashlib.sha256).hexdigest()


def verify_signature(secret: bytes | str, timestamp: str | int, body: bytes, signature: str,
                     tolerance_s: float = 300, now: float | None = None) -> bool:
    """Whether a request is genuine and fresh: what a receiver runs on each delivery.

    ``timestamp`` and ``signature`` are the two headers as received, ``body`` the raw
    bytes (before any JSON parsing). False when the timestamp is malformed or more
    than ``tolerance_s`` from ``now`` (default: this clock), or the signature does not
    match; the comparison is constant-time.
    """
    stamp = str(timestamp).strip()
    if not _TIMESTAMP.fullmatch(stamp):
        return False
    current = time.time() if now is None else now
    if abs(current - int(stamp)) > tolerance_s:
        return False
    expected = sign(secret, stamp, body).encode("ascii")
    try:
        given = signature.strip().encode("ascii")
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(expected, given)
