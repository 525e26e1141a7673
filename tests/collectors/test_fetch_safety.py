"""The fetcher's safety caps against a real local server: the SSRF guard (one switch,
``allow_private_targets``), the decoded-size cap and the decompression-ratio cap
(a real gzip bomb), and the bounded decoder on its own."""

from __future__ import annotations

import gzip
import os
import tracemalloc
import zlib
from typing import Any

import pytest

from collectors.decode import BoundedDecoder, DecodedTooLarge, DecodeError, DecompressionBomb, parse_encodings
from collectors.fetch import (
    DecompressionBombError,
    FeedTooLarge,
    Fetcher,
    FetchError,
    UnsafeRedirect,
    UnsafeTarget,
)
from tocsin.settings import CollectorSettings
from tocsin_embedded.ports import free_port

BODY = b"<rss version='2.0'><channel><title>t</title></channel></rss>"
MiB = 1024 * 1024


def settings(**overrides: Any) -> CollectorSettings:
    return CollectorSettings.model_validate({"timeout_s": 5.0, "retries": 0} | overrides)


def resolving(table: dict[str, list[str]]) -> Any:
    async def resolver(host: str, port: int) -> list[str]:
        return table.get(host, [host])
    return resolver


# --- SSRF: one switch --------------------------------------------------------------


def test_private_targets_are_refused_by_default() -> None:
    assert CollectorSettings().allow_private_targets is False


async def test_a_loopback_feed_is_refused_and_never_requested(feed_server: Any) -> None:
    feed_server.route("/f", body=BODY)
    async with Fetcher(settings()) as fetcher:
        with pytest.raises(UnsafeTarget, match="allow_private_targets is off"):
            await fetcher.fetch(feed_server.url("/f"))
    assert feed_server.hits("/f") == []


async def test_the_switch_lets_a_loopback_feed_through(feed_server: Any) -> None:
    feed_server.route("/f", body=BODY)
    async with Fetcher(settings(allow_private_targets=True)) as fetcher:
        assert (await fetcher.fetch(feed_server.url("/f"))).body == BODY


@pytest.mark.parametrize("address", ["10.1.2.3", "192.168.0.10", "172.16.5.5", "169.254.169.254",
                                     "127.0.0.53", "::1", "fe80::1", "fd00::5", "::ffff:10.0.0.1", "0.0.0.0"])
async def test_a_host_resolving_to_a_non_public_address_is_refused(address: str) -> None:
    async with Fetcher(settings(), resolver=resolving({"feeds.example.org": [address]})) as fetcher:
        with pytest.raises(UnsafeTarget, match=address.replace(".", r"\.")):
            await fetcher.fetch("https://feeds.example.org/rss")


async def test_one_private_address_among_public_ones_is_enough_to_refuse() -> None:
    resolver = resolving({"feeds.example.org": ["93.184.216.34", "10.0.0.7"]})
    async with Fetcher(settings(), resolver=resolver) as fetcher:
        with pytest.raises(UnsafeTarget):
            await fetcher.fetch("https://feeds.example.org/rss")


async def test_streams_check_their_own_connections(feed_server: Any) -> None:
    """Server-sent events and WebSockets bypass fetch(); they call check_target first."""
    async with Fetcher(settings()) as fetcher:
        with pytest.raises(UnsafeTarget):
            await fetcher.check_target("wss://127.0.0.1:9/subscribe")
    async with Fetcher(settings(allow_private_targets=True)) as fetcher:
        await fetcher.check_target("wss://127.0.0.1:9/subscribe")


async def test_a_public_feed_cannot_redirect_to_loopback_even_with_the_switch_on(feed_server: Any) -> None:
    feed_server.route("/internal", body=BODY)
    feed_server.route("/public", redirect_to=feed_server.url("/internal"))
    answers = [["93.184.216.34"], ["127.0.0.1"]]  # the feed's host looks public, the target is loopback

    async def first_public_then_loopback(host: str, port: int) -> list[str]:
        return answers.pop(0)

    async with Fetcher(settings(allow_private_targets=True), resolver=first_public_then_loopback) as fetcher:
        with pytest.raises(UnsafeRedirect):
            await fetcher.fetch(feed_server.url("/public"))
    assert feed_server.hits("/internal") == []


# --- the guard in the connection: DNS rebinding, named exceptions (issue 14, item 7) ---


class CountingResolver:
    """A DNS server whose answers change between lookups (rebinding)."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.lookups = 0

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups += 1
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


async def test_the_connection_goes_to_the_address_the_guard_checked_with_one_lookup(feed_server: Any) -> None:
    """Before, the guard resolved the host, then httpx resolved it again to connect: a DNS
    server answering a public address, then loopback, reached 127.0.0.1."""
    feed_server.route("/f", body=BODY)
    resolver = CountingResolver(["127.0.0.1"], ["10.0.0.7"])  # checked, then rebound
    own = settings(private_targets=[f"127.0.0.1:{feed_server.port}"])
    async with Fetcher(own, resolver=resolver) as fetcher:
        result = await fetcher.fetch(f"http://feeds.rebind.test:{feed_server.port}/f")
    assert result.body == BODY and resolver.lookups == 1
    async with Fetcher(own, resolver=resolver) as fetcher:  # a new connection: the rebound answer
        with pytest.raises(UnsafeTarget, match=r"non-public address 10\.0\.0\.7"):
            await fetcher.fetch(f"http://feeds.rebind.test:{feed_server.port}/f")
    assert len(feed_server.hits("/f")) == 1


async def test_a_named_exception_admits_one_endpoint_not_every_private_address(feed_server: Any) -> None:
    """Before, the demo turned the guard off: a redirect from its feed server reached the
    search server, whose answer landed in items.dlq."""
    other = free_port()
    feed_server.route("/f", body=BODY)
    feed_server.route("/hop", redirect_to=f"http://127.0.0.1:{other}/_search")
    own = settings(private_targets=[f"127.0.0.1:{feed_server.port}"])
    async with Fetcher(own) as fetcher:
        assert (await fetcher.fetch(feed_server.url("/f"))).body == BODY
        with pytest.raises(UnsafeRedirect, match=f"127\\.0\\.0\\.1:{other}"):
            await fetcher.fetch(feed_server.url("/hop"))
        with pytest.raises(UnsafeTarget):
            await fetcher.fetch(f"http://127.0.0.1:{other}/_search")


# --- decompression caps, with real compressed bodies ---------------------------------


def gzip_reply(feed_server: Any, path: str, body: bytes, encoding: str = "gzip") -> None:
    feed_server.route(path, always=feed_server.Reply(200, body, {"Content-Type": "application/rss+xml",
                                                                 "Content-Encoding": encoding}))


async def test_a_gzip_bomb_is_refused_without_inflating_it(feed_server: Any) -> None:
    bomb = gzip.compress(b"\0" * (256 * MiB), compresslevel=9)  # ~250 KiB on the wire
    assert len(bomb) < MiB
    gzip_reply(feed_server, "/bomb", bomb)
    limit = CollectorSettings().max_feed_bytes
    async with Fetcher(settings(allow_private_targets=True)) as fetcher:
        tracemalloc.start()
        try:
            with pytest.raises(DecompressionBombError, match="decompression bomb") as caught:
                await fetcher.fetch(feed_server.url("/bomb"))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert isinstance(caught.value, FeedTooLarge)  # handled like any oversized feed
    # Inflating one 64 KiB network read whole (as httpx does) would already hold 64 MiB.
    assert peak < 2 * limit, f"held {peak / MiB:.0f} MiB while refusing a 256 MiB bomb"


async def test_a_deflate_bomb_is_refused_too(feed_server: Any) -> None:
    gzip_reply(feed_server, "/bomb", zlib.compress(b"A" * (64 * MiB), 9), encoding="deflate")
    async with Fetcher(settings(allow_private_targets=True)) as fetcher:
        with pytest.raises(DecompressionBombError):
            await fetcher.fetch(feed_server.url("/bomb"))


async def test_an_incompressible_body_over_the_cap_is_too_large_not_a_bomb(feed_server: Any) -> None:
    gzip_reply(feed_server, "/big", gzip.compress(os.urandom(3 * MiB)))
    async with Fetcher(settings(allow_private_targets=True, max_feed_bytes=2 * MiB)) as fetcher:
        with pytest.raises(FeedTooLarge) as caught:
            await fetcher.fetch(feed_server.url("/big"))
    assert not isinstance(caught.value, DecompressionBombError)
    assert len(caught.value.partial) == 2 * MiB


@pytest.mark.parametrize("encoding, compress", [
    ("gzip", gzip.compress),
    ("deflate", zlib.compress),
    ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some servers send it
])
async def test_ordinary_compressed_feeds_decode(feed_server: Any, encoding: str, compress: Any) -> None:
    body = BODY * 2000
    gzip_reply(feed_server, "/f", compress(body), encoding=encoding)
    async with Fetcher(settings(allow_private_targets=True)) as fetcher:
        assert (await fetcher.fetch(feed_server.url("/f"))).body == body
    assert feed_server.hits("/f")[0].headers["accept-encoding"] == "gzip, deflate"


async def test_an_encoding_we_did_not_ask_for_is_refused(feed_server: Any) -> None:
    gzip_reply(feed_server, "/f", b"\x1b\x00\x00", encoding="br")
    async with Fetcher(settings(allow_private_targets=True)) as fetcher:
        with pytest.raises(FetchError, match="unsupported Content-Encoding br"):
            await fetcher.fetch(feed_server.url("/f"))


async def test_a_corrupt_gzip_body_is_a_fetch_error(feed_server: Any) -> None:
    gzip_reply(feed_server, "/f", b"\x1f\x8b\x08\x00garbage-not-gzip")
    async with Fetcher(settings(allow_private_targets=True)) as fetcher:
        with pytest.raises(FetchError, match="invalid gzip data"):
            await fetcher.fetch(feed_server.url("/f"))


# --- the decoder on its own -----------------------------------------------------------


def feed_in_chunks(decoder: BoundedDecoder, data: bytes, size: int = 4096) -> bytes:
    for start in range(0, len(data), size):
        decoder.feed(data[start:start + size])
    return decoder.finish()


def test_decoder_undoes_stacked_codings_in_reverse_order() -> None:
    body = os.urandom(1000) * 50
    wire = zlib.compress(gzip.compress(body))  # gzip applied first, then deflate
    decoder = BoundedDecoder(parse_encodings("gzip, deflate"), max_bytes=MiB, max_ratio=100)
    assert feed_in_chunks(decoder, wire) == body


def test_decoder_never_returns_more_than_the_cap() -> None:
    body = os.urandom(MiB)
    decoder = BoundedDecoder(["gzip"], max_bytes=100_000, max_ratio=100)
    with pytest.raises(DecodedTooLarge) as caught:
        feed_in_chunks(decoder, gzip.compress(body))
    assert caught.value.partial == body[:100_000]


def test_ratio_is_judged_only_past_a_megabyte() -> None:
    small = b"a" * 500_000  # compresses ~1000x, but is harmless
    decoder = BoundedDecoder(["gzip"], max_bytes=10 * MiB, max_ratio=10)
    assert feed_in_chunks(decoder, gzip.compress(small)) == small
    decoder = BoundedDecoder(["gzip"], max_bytes=10 * MiB, max_ratio=10)
    with pytest.raises(DecompressionBomb):
        feed_in_chunks(decoder, gzip.compress(b"a" * (2 * MiB)))


def test_identity_passes_through_with_only_the_size_cap() -> None:
    assert parse_encodings("identity") == [] and parse_encodings(None) == []
    decoder = BoundedDecoder([], max_bytes=10, max_ratio=1)
    decoder.feed(b"0123456789")
    assert decoder.finish() == b"0123456789"
    with pytest.raises(DecodedTooLarge):
        BoundedDecoder([], max_bytes=10, max_ratio=1).feed(b"0123456789X")


def test_unknown_codings_are_refused_up_front() -> None:
    with pytest.raises(DecodeError, match="zstd"):
        BoundedDecoder(parse_encodings("gzip, zstd"), max_bytes=10, max_ratio=1)
