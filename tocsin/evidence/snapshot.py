"""The canonical form of a frozen item: the bytes whose SHA-256 is the evidence.

Canonical JSON here is Python's ``json.dumps(value, sort_keys=True,
separators=(",", ":"), ensure_ascii=True, allow_nan=False)``: keys sorted by code
point at every level, no whitespace, every non-ASCII character written as a
``\\uXXXX`` escape (astral characters as surrogate pairs), so the bytes are plain
ASCII and therefore UTF-8. Escaping everything keeps hostile text inert when a
snapshot is opened in a terminal (no bidi overrides, no escape sequences) and lets
a lone surrogate from a source be written without producing invalid UTF-8. It is
the form ``collectors.normalise.raw_entry_bytes`` uses for ``raw_sha256``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

CANONICAL_FORM = ("JSON: keys sorted by code point, no whitespace, non-ASCII as \\uXXXX escapes "
                  "(Python json.dumps(value, sort_keys=True, separators=(',', ':'), ensure_ascii=True))")


def canonical_json(value: Any) -> bytes:
    """The one byte string ``value`` freezes to; raises ValueError for NaN/Infinity."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False).encode("ascii")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
