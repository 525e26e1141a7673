"""collectors.fetch against a real local HTTP server, plus its pure helpers."""

from __future__ import annotations

import asyncio
import gzip
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from collectors.fetch import (
    FeedTooLarge,
    Fetcher,
    HTTPStatusError,
    RedirectError,
    TransportError,
    UnsafeRedirect,
    backoff_delay,
    is_private_address,
    parse_retry_after,
    redirect_allowed,
)
from collectors.service_errors import MAX_ERROR_BODY_BYTES, MAX_MESSAGE_CHARS, service_message
from tocsin.settings import CollectorSettings
from tocsin_embedded.ports import free_port

BODY = b"<rss version='2.0'><channel><title>t</title></channel></rss>"


def settings(**overrides: Any) -> CollectorSettings:
    values: dict[str, Any] = {"timeout_s": 2.0, "retries": 1, "backoff_base_s": 0.01,
                              "allow_private_targets": True}
    return CollectorSettings(**(values | overrides))


# --- requests -------------------------------------------------------------------------


async def test_plain_get_returns_body_validators_and_content_type(feed_server: Any) -> None:
    feed_server.route("/f", body=BODY, etag='"v1"', last_modified="Tue, 14 May 2024 09:00:00 GMT")
    async with Fetcher(settings()) as fetcher:
        result = await fetcher.fetch(feed_server.url("/f"))
    assert (result.status, result.body, result.etag, result.last_modified) == \
        (200, BODY, '"v1"', "Tue, 14 May 2024 09:00:00 GMT")
    assert result.content_type == "application/rss+xml; charset=utf-8"
    assert result.url == feed_server.url("/f") and not result.not_modified


async def test_requests_carry_a_descriptive_user_agent(feed_server: Any) -> None:
    feed_server.route("/f", body=BODY)
    async with Fetcher(settings()) as fetcher:
        await fetcher.fetch(feed_server.url("/f"))
    assert feed_server.hits("/f")[0].headers["user-agent"] == CollectorSettings().user_agent


async def test_matching_etag_gives_not_modified(feed_server: Any) -> None:
    feed_server.route("/f", body=BODY, etag='"v1"')
    async with Fetcher(settings()) as fetcher:
        result = await fetcher.fetch(feed_server.url("/f"), etag='"v1"')
    assert result.not_modified and result.body == b""
    assert feed_server.hits("/f")[0].headers["if-none-match"] == '"v1"'


async def test_matching_last_modified_gives_not_modified(feed_server: Any) -> None:
    stamp = "Tue, 14 May 2024 09:00:00 GMT"
    feed_server.route("/f", body=BODY, last_modified=stamp)
    async with Fetcher(settings()) as fetcher:
        result = await fetcher.fetch(feed_server.url("/f"), last_modified=stamp)
    assert result.not_modified
    assert feed_server.hits("/f")[0].headers["if-modified-since"] == stamp


async def test_no_more_than_two_requests_in_flight_per_host(feed_server: Any) -> None:
    for index in range(6):
        feed_server.route(f"/slow{index}", body=BODY, delay_s=0.25)
    async with Fetcher(settings(per_host_concurrency=2)) as fetcher:
        await asyncio.gather(*(fetcher.fetch(feed_server.url(f"/slow{index}")) for index in range(6)))
    assert feed_server.max_in_flight == 2


async def test_retry_after_seconds_is_honoured_before_retrying(feed_server: Any) -> None:
    feed_server.route("/f", body=BODY, script=[feed_server.Reply(429, headers={"Retry-After": "1"})])
    async with Fetcher(settings()) as fetcher:
        result = await fetcher.fetch(feed_server.url("/f"))
    first, second = feed_server.hits("/f")
    assert result.status == 200
    assert second.at - first.at >= 0.95


async def test_retry_after_beyond_the_inline_cap_fails_the_poll_with_the_wait(feed_server: Any) -> None:
    feed_server.route("/f", body=BODY, script=[feed_server.Reply(503, headers={"Retry-After": "3600"})])
    async with Fetcher(settings(retries=3)) as fetcher:
        with pytest.raises(HTTPStatusError) as caught:
            await fetcher.fetch(feed_server.url("/f"))
    assert (caught.value.status, caught.value.retry_after_s) == (503, 3600.0)
    assert len(feed_server.hits("/f")) == 1


async def test_server_error_is_retried_then_succeeds(feed_server: Any) -> None:
    feed_server.route("/f", body=BODY, script=[feed_server.Reply(500)])
    async with Fetcher(settings(retries=1)) as fetcher:
        result = await fetcher.fetch(feed_server.url("/f"))
    assert result.status == 200 and len(feed_server.hits("/f")) == 2


async def test_persistent_server_error_fails_after_the_configured_retries(feed_server: Any) -> None:
    feed_server.route("/f", always=feed_server.Reply(502))
    async with Fetcher(settings(retries=2)) as fetcher:
        with pytest.raises(HTTPStatusError, match="HTTP 502"):
            await fetcher.fetch(feed_server.url("/f"))
    assert len(feed_server.hits("/f")) == 3


async def test_not_found_is_not_retried(feed_server: Any) -> None:
    async with Fetcher(settings(retries=3)) as fetcher:
        with pytest.raises(HTTPStatusError, match="HTTP 404"):
            await fetcher.fetch(feed_server.url("/missing"))
    assert len(feed_server.hits("/missing")) == 1


async def test_slow_response_times_out(feed_server: Any) -> None:
    feed_server.route("/f", body=BODY, delay_s=1.5)
    async with Fetcher(settings(timeout_s=0.3, retries=0)) as fetcher:
        with pytest.raises(TransportError, match="timed out"):
            await fetcher.fetch(feed_server.url("/f"))


async def test_refused_connection_is_a_transport_error() -> None:
    async with Fetcher(settings(retries=0)) as fetcher:
        with pytest.raises(TransportError):
            await fetcher.fetch(f"http://127.0.0.1:{free_port()}/f")


async def test_declared_oversize_body_is_refused_before_reading(feed_server: Any) -> None:
    feed_server.route("/big", body=b"x" * 5000)
    async with Fetcher(settings(max_feed_bytes=1000)) as fetcher:
        with pytest.raises(FeedTooLarge, match="declares 5000 bytes, the limit is 1000") as caught:
            await fetcher.fetch(feed_server.url("/big"))
    assert caught.value.partial == b""


async def test_streamed_oversize_body_is_aborted_at_the_limit(feed_server: Any) -> None:
    feed_server.route("/big", body=b"x" * 200_000, send_length=False)
    async with Fetcher(settings(max_feed_bytes=1000)) as fetcher:
        with pytest.raises(FeedTooLarge, match="sent more, the limit is 1000") as caught:
            await fetcher.fetch(feed_server.url("/big"))
    assert caught.value.partial == b"x" * 1000


async def test_redirect_is_followed_to_the_final_url(feed_server: Any) -> None:
    feed_server.route("/old", redirect_to="/new")
    feed_server.route("/new", body=BODY)
    async with Fetcher(settings()) as fetcher:
        result = await fetcher.fetch(feed_server.url("/old"))
    assert (result.status, result.body, result.url) == (200, BODY, feed_server.url("/new"))


async def test_more_than_five_redirects_fail(feed_server: Any) -> None:
    for index in range(7):
        feed_server.route(f"/r{index}", redirect_to=f"/r{index + 1}")
    async with Fetcher(settings()) as fetcher:
        with pytest.raises(RedirectError, match="more than 5 redirects"):
            await fetcher.fetch(feed_server.url("/r0"))
    assert len(feed_server.requests) == 6


async def test_redirect_to_a_non_http_scheme_is_refused(feed_server: Any) -> None:
    feed_server.route("/f", redirect_to="file:///etc/passwd")
    async with Fetcher(settings()) as fetcher:
        with pytest.raises(RedirectError, match="not an http"):
            await fetcher.fetch(feed_server.url("/f"))


async def test_redirect_from_a_public_host_to_a_link_local_address_is_refused(feed_server: Any) -> None:
    async def pretend_test_server_is_public(host: str, port: int) -> list[str]:
        return ["93.184.216.34"] if host == "127.0.0.1" else [host]

    feed_server.route("/f", redirect_to="http://169.254.169.254/latest/meta-data/")
    async with Fetcher(settings(), resolver=pretend_test_server_is_public) as fetcher:
        with pytest.raises(UnsafeRedirect, match=r"169\.254\.169\.254"):
            await fetcher.fetch(feed_server.url("/f"))


async def test_redirect_between_loopback_hosts_is_allowed(feed_server: Any) -> None:
    feed_server.route("/f", redirect_to=f"http://localhost:{feed_server.port}/g")
    feed_server.route("/g", body=BODY)
    async with Fetcher(settings()) as fetcher:
        assert (await fetcher.fetch(feed_server.url("/f"))).body == BODY


# --- pure helpers ---------------------------------------------------------------------


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
                                     "100.64.0.1", "0.0.0.0", "224.0.0.1", "::1", "fe80::1", "fc00::1",
                                     "::ffff:127.0.0.1", "::ffff:10.0.0.1", "2002:0a00:0001::1", "not-an-ip"])
def test_private_loopback_and_link_local_addresses_are_private(address: str) -> None:
    assert is_private_address(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111",
                                     "::ffff:93.184.216.34"])
def test_global_addresses_are_not_private(address: str) -> None:
    assert not is_private_address(address)


@pytest.mark.parametrize(("source", "target", "allowed"), [
    (["93.184.216.34"], ["8.8.8.8"], True),
    (["93.184.216.34"], ["10.0.0.5"], False),
    (["93.184.216.34"], ["8.8.8.8", "127.0.0.1"], False),
    (["93.184.216.34"], [], False),
    (["127.0.0.1"], ["10.0.0.5"], True),
    (["127.0.0.1", "93.184.216.34"], ["10.0.0.5"], False),
    ([], ["10.0.0.5"], False),
])
def test_redirect_allowed_only_from_private_sources_or_to_public_targets(
        source: list[str], target: list[str], allowed: bool) -> None:
    assert redirect_allowed(source, target) is allowed


def test_retry_after_parses_seconds_and_http_dates() -> None:
    now = datetime(2024, 5, 14, 12, 0, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == 90.0
    assert parse_retry_after(format_datetime(now - timedelta(seconds=90), usegmt=True), now) == 0.0


@pytest.mark.parametrize("value", [None, "", "soon", "-5", "1.5e3"])
def test_unusable_retry_after_is_ignored(value: str | None) -> None:
    assert parse_retry_after(value, datetime.now(UTC)) is None


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    rng = random.Random(1)
    for attempt in range(8):
        full = min(30.0, 2.0 * 2 ** attempt)
        assert full / 2 <= backoff_delay(attempt, 2.0, rng) <= full



# --- refusals: the service's own words reach the operator ----------------------------------


RELIEFWEB_403 = (b'{"status": 403, "time": 1, "error": {"type": "AccessDeniedHttpException", '
                 b'"message": "You are not using an approved appname."}}')


async def test_a_refusals_body_is_read_and_its_message_quoted(feed_server: Any) -> None:
    feed_server.route("/f", always=feed_server.Reply(403, RELIEFWEB_403,
                                                     {"Content-Type": "application/json"}))
    async with Fetcher(settings()) as fetcher:
        with pytest.raises(HTTPStatusError) as caught:
            await fetcher.fetch(feed_server.url("/f"))
    assert caught.value.status == 403
    assert caught.value.detail == "You are not using an approved appname."
    assert str(caught.value).endswith("HTTP 403: You are not using an approved appname.")
    assert caught.value.body == RELIEFWEB_403


async def test_a_huge_error_page_is_read_only_up_to_the_cap(feed_server: Any) -> None:
    page = b"<html><head><title>Blocked</title></head><body>" + b"x" * 500_000 + b"</body></html>"
    feed_server.route("/f", always=feed_server.Reply(403, page, {"Content-Type": "text/html"}))
    async with Fetcher(settings(retries=0)) as fetcher:
        with pytest.raises(HTTPStatusError) as caught:
            await fetcher.fetch(feed_server.url("/f"))
    assert len(caught.value.body) == MAX_ERROR_BODY_BYTES
    assert caught.value.detail is not None and len(caught.value.detail) <= MAX_MESSAGE_CHARS


async def test_a_gzipped_error_body_is_decoded(feed_server: Any) -> None:
    body = gzip.compress(b"Please limit requests to one every 5 seconds.")
    feed_server.route("/f", always=feed_server.Reply(
        429, body, {"Content-Type": "text/plain", "Content-Encoding": "gzip"}))
    async with Fetcher(settings(retries=0)) as fetcher:
        with pytest.raises(HTTPStatusError) as caught:
            await fetcher.fetch(feed_server.url("/f"))
    assert caught.value.detail == "Please limit requests to one every 5 seconds."


async def test_retries_zero_makes_one_request_whatever_the_settings(feed_server: Any) -> None:
    feed_server.route("/f", always=feed_server.Reply(429))
    async with Fetcher(settings(retries=3)) as fetcher:
        with pytest.raises(HTTPStatusError):
            await fetcher.fetch(feed_server.url("/f"), retries=0)
    assert len(feed_server.hits("/f")) == 1


@pytest.mark.parametrize(("body", "content_type", "expected"), [
    (RELIEFWEB_403, "application/json", "You are not using an approved appname."),
    (b'{"error": "The access token is invalid"}', "application/json", "The access token is invalid"),
    (b'{"message": "Forbidden", "error": 403}', "application/json; charset=UTF-8", "Forbidden"),
    (b'{"error": "invalid_grant", "error_description": "bad secret"}', None, "bad secret"),
    (b"Please limit requests to one every 5 seconds\r\n", "text/plain",
     "Please limit requests to one every 5 seconds"),
    (b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html", "502 Bad Gateway"),
    (b"", "text/plain", None),
    (b"{\"broken", "application/json", "{\"broken"),
    (b"evil\x1b[31m\x00text", "text/plain", "evil [31m text"),
])
def test_service_message_finds_each_apis_explanation(body: bytes, content_type: str | None,
                                                     expected: str | None) -> None:
    assert service_message(body, content_type) == expected
