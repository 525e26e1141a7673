"""Bounded decoding of compressed HTTP bodies (gzip, deflate), chunk by chunk.

httpx inflates each chunk it reads in one call without a limit, so 64 KiB of a
gzip bomb become 64 MiB in memory before any size check sees them. Here every
``decompress`` call is given the bytes still allowed (``max_length``), so no more
than the cap is ever held, and a body that inflates more than ``max_ratio`` times
its wire size is refused as a bomb. Encodings other than gzip and deflate are not
asked for (``ACCEPT_ENCODING``) and are refused if sent anyway.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

from tocsin.errors import InputError

ACCEPT_ENCODING = "gzip, deflate"
RATIO_GRACE_BYTES = 1024 * 1024
"""Below this decoded size the ratio is not judged: small, repetitive bodies compress
very well and are harmless."""


class DecodeError(InputError):
    """The body is not valid data in the encoding it declares, or uses one we refuse."""


class DecodedTooLarge(InputError):
    """Decoding would exceed ``max_bytes``; ``partial`` is what was decoded up to the cap."""

    def __init__(self, partial: bytes) -> None:
        super().__init__("decoded body exceeds the cap")
        self.partial = partial


class DecompressionBomb(InputError):
    """The body inflates more than ``max_ratio`` times its compressed size."""

    def __init__(self, decoded: int, wire: int, max_ratio: float) -> None:
        super().__init__(f"{wire} compressed bytes inflate to more than {decoded} "
                         f"(over {max_ratio:g} times)")
        self.decoded = decoded
        self.wire = wire


def parse_encodings(header: str | None) -> list[str]:
    """The codings of a ``Content-Encoding`` header, in the order they were applied."""
    if not header:
        return []
    codings = [value.strip().lower() for value in header.split(",")]
    return [coding for coding in codings if coding and coding != "identity"]


class _Inflater:
    """One zlib stage; ``deflate`` accepts both zlib-wrapped and raw streams (as browsers do)."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self.raw_fallback = coding == "deflate"
        wbits = zlib.MAX_WBITS | 16 if coding in ("gzip", "x-gzip") else zlib.MAX_WBITS
        self._zlib = zlib.decompressobj(wbits)
        self._started = False

    def inflate(self, data: bytes, max_length: int) -> tuple[bytes, bool]:
        """Decoded bytes (at most ``max_length``) and whether input is left over."""
        try:
            out = self._zlib.decompress(data, max_length)
        except zlib.error as exc:
            if self.raw_fallback and not self._started:
                self.raw_fallback = False
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                return self.inflate(data, max_length)
            raise DecodeError(f"invalid {self.coding} data: {exc}") from None
        self._started = True
        return out, bool(self._zlib.unconsumed_tail)

    def flush(self) -> bytes:
        return self._zlib.flush()


class BoundedDecoder:
    """Feed wire bytes, get decoded bytes; never holds more than ``max_bytes`` decoded."""

    def __init__(self, encodings: Sequence[str], *, max_bytes: int, max_ratio: float) -> None:
        unknown = [coding for coding in encodings if coding not in ("gzip", "x-gzip", "deflate")]
        if unknown:
            raise DecodeError(f"unsupported Content-Encoding {', '.join(unknown)}")
        # Applied in order, so undone in reverse.
        self._stages = [_Inflater(coding) for coding in reversed(encodings)]
        self.max_bytes = max_bytes
        self.max_ratio = max_ratio
        self.wire = 0
        self.decoded = 0
        self._out: list[bytes] = []

    @property
    def compressed(self) -> bool:
        return bool(self._stages)

    def feed(self, chunk: bytes) -> None:
        self.wire += len(chunk)
        data = chunk
        for stage in self._stages:
            data, left_over = stage.inflate(data, self._budget())
            if left_over:  # this stage alone would pass a cap
                self._refuse(data)
        self._take(data)

    def finish(self) -> bytes:
        """Everything decoded; call once, after the last chunk."""
        data = b""
        for stage in self._stages:
            if data:
                data, left_over = stage.inflate(data, self._budget())
                if left_over:
                    self._refuse(data)
            data += stage.flush()
        self._take(data)
        return b"".join(self._out)

    def _budget(self) -> int:
        """Bytes one inflate step may yield: one past the lower of the size and ratio caps."""
        limit = self.max_bytes
        if self._stages:
            limit = min(limit, int(max(self.max_ratio * self.wire, RATIO_GRACE_BYTES)))
        return max(0, limit - self.decoded) + 1

    def _take(self, data: bytes) -> None:
        if not data:
            return
        if self.decoded + len(data) > self.max_bytes or self._is_bomb(self.decoded + len(data)):
            self._refuse(data)
        self.decoded += len(data)
        self._out.append(data)

    def _is_bomb(self, decoded: int) -> bool:
        return bool(self._stages) and decoded > RATIO_GRACE_BYTES and decoded > self.max_ratio * self.wire

    def _refuse(self, data: bytes) -> None:
        """Over the size cap: a bomb if the ratio says so, else just too large."""
        decoded = self.decoded + len(data)
        if self._is_bomb(decoded):
            raise DecompressionBomb(decoded, self.wire, self.max_ratio)
        raise DecodedTooLarge((b"".join(self._out) + data)[:self.max_bytes])
