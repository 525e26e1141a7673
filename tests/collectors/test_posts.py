"""collectors.posts and collectors.jsonapi: readers of hostile JSON never raise what they should not."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collectors.fetch import FetchResult
from collectors.gdelt import GdeltConfig, article_to_item
from collectors.jsonapi import MalformedResponse, decode_json, rate_limit_wait
from collectors.mastodon import MastodonConfig, status_to_item
from collectors.posts import (
    TITLE_MAX_CHARS,
    UnusablePost,
    counts,
    http_url,
    id_field,
    parse_datetime,
    title_from_text,
)
from collectors.protocol import PollContext, Validators
from collectors.reddit import RedditConfig, post_to_item
from collectors.reliefweb import ReliefWebConfig, report_to_item
from tocsin.schema import Item

NOW = datetime(2024, 5, 15, 12, tzinfo=UTC)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=6),
    max_leaves=25,
)
KEYS = ["id", "name", "url", "uri", "content", "title", "created_at", "created_utc", "account", "reblog",
        "seendate", "fields", "language", "tags", "selftext_html", "permalink", "visibility", "date",
        "source"]
POSTLIKE = st.dictionaries(st.sampled_from(KEYS), JSON, max_size=10)
CONTEXT = PollContext(fetcher=None, previous=Validators(), collected=NOW,  # type: ignore[arg-type]
                      pseudonym_secret="k")
FETCHED = FetchResult(status=200, url="https://api.example.org/x")


def test_a_short_first_line_is_the_title() -> None:
    assert title_from_text("Convoy attacked near Kutum\nmore text") == "Convoy attacked near Kutum"


def test_a_long_first_line_is_cut_after_twelve_words() -> None:
    text = "one two three four five six seven eight nine ten eleven twelve thirteen"
    assert title_from_text(text) == "one two three four five six seven eight nine ten eleven twelve…"


@given(st.text())
def test_titles_are_short_single_lines_taken_from_the_text(text: str) -> None:
    title = title_from_text(text)
    first_line = text.strip().split("\n", 1)[0].strip()
    assert "\n" not in title and len(title) <= TITLE_MAX_CHARS + 1
    assert title == first_line or (title.endswith("…") and first_line.startswith(title[:-1].split(" ")[0]))


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JAVASCRIPT:x", "data:text/html,x", "vbscript:x",
                                 "//evil/x", "/relative", "https://", "http://[::1", "https://a b/c", 7, None,
                                 "ftp://x.example"])
def test_only_absolute_http_urls_survive(url: Any) -> None:
    assert http_url(url) is None


@given(st.text())
def test_http_url_returns_http_or_nothing(value: str) -> None:
    url = http_url(value)
    assert url is None or url.lower().startswith(("http://", "https://"))


@pytest.mark.parametrize(("value", "expected"), [
    ("2019-12-08T03:48:33.901Z", datetime(2019, 12, 8, 3, 48, 33, 901000, tzinfo=UTC)),
    ("2024-05-15T10:20:00+02:00", datetime(2024, 5, 15, 8, 20, tzinfo=UTC)),
    ("2024-05-15T10:20:00", datetime(2024, 5, 15, 10, 20, tzinfo=UTC)),
    (1715767200, datetime(2024, 5, 15, 10, tzinfo=UTC)),
    (1715767200.5, datetime(2024, 5, 15, 10, 0, 0, 500000, tzinfo=UTC)),
    (True, None), ("99999-01-01", None), (1e300, None), (float("nan"), None), ("x" * 100, None), ([], None),
])
def test_dates_are_iso_strings_or_unix_seconds(value: Any, expected: datetime | None) -> None:
    assert parse_datetime(value) == expected


@given(JSON)
def test_readers_of_single_fields_never_raise(value: Any) -> None:
    parse_datetime(value)
    http_url(value)
    id_field(value)
    assert all(isinstance(n, int) and n >= 0 for n in counts({"n": value}, {"n": "n"}).values())


@pytest.mark.parametrize(("value", "expected"), [
    ("110", "110"), (110, "110"), (" 7 ", "7"), (True, None), ("a b", None), ("", None), ("x\u0000", None),
    ("9" * 201, None)])
def test_ids_are_short_strings_without_spaces(value: Any, expected: str | None) -> None:
    assert id_field(value) == expected


@pytest.mark.parametrize(("headers", "expected"), [
    ({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2024-05-15T12:05:00.000Z"}, 300.0),  # Mastodon
    ({"x-ratelimit-remaining": "0.0", "x-ratelimit-reset": "42"}, 42.0),  # Reddit
    ({"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(NOW.timestamp() + 60)}, 60.0),  # Unix seconds
    ({"x-ratelimit-remaining": "5", "x-ratelimit-reset": "42"}, None),
    ({"x-ratelimit-remaining": "nan", "x-ratelimit-reset": "42"}, None),
    ({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "-3"}, None),
    ({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "soon"}, None),
    ({}, None),
])
def test_rate_limit_headers_say_how_long_to_wait(headers: dict[str, str], expected: float | None) -> None:
    assert rate_limit_wait(headers, NOW) == expected


@given(st.dictionaries(st.sampled_from(["x-ratelimit-remaining", "x-ratelimit-reset"]), st.text(max_size=30)))
def test_rate_limit_headers_never_raise(headers: dict[str, str]) -> None:
    wait = rate_limit_wait(headers, NOW)
    assert wait is None or wait >= 0


@pytest.mark.parametrize("body", [b"", b"<html>", b"\xff\xfe\x00", b"[" * 100_000, b"1" * 5000, b'{"a": NaN'])
def test_bodies_that_are_not_json_raise_malformed_response_only(body: bytes) -> None:
    with pytest.raises(MalformedResponse, match="not JSON"):
        decode_json(body)


def test_json_bodies_decode() -> None:
    assert decode_json(json.dumps({"articles": []}).encode("utf-16")) == {"articles": []}


MASTODON = MastodonConfig(name="m", url="https://mastodon.example", timeline="public")
REDDIT = RedditConfig(name="r", subreddit="sudan",
                      user_agent="linux:org.example.tocsin:0.1 (by /u/monitoring-desk)")
GDELT = GdeltConfig(name="g", query="sudan")
RELIEFWEB = ReliefWebConfig(name="rw", appname="tocsin-tests")


@settings(max_examples=300)
@given(POSTLIKE | JSON)
def test_any_json_is_an_item_or_an_unusable_post(post: Any) -> None:
    readers = [
        lambda: status_to_item(post, feed=MASTODON, instance="mastodon.example", context=CONTEXT,
                               fetched=FETCHED),
        lambda: post_to_item(post, feed=REDDIT, context=CONTEXT, fetched=FETCHED) if isinstance(post, dict)
        else None,
        lambda: article_to_item(post, feed=GDELT, context=CONTEXT, fetched=FETCHED),
        lambda: report_to_item(post, feed=RELIEFWEB, context=CONTEXT, fetched=FETCHED),
    ]
    for read in readers:
        try:
            item = read()
        except UnusablePost:
            continue
        if item is not None:
            assert isinstance(item, Item)
            Item.from_bytes(item.to_bytes())  # it travels as JSON
            assert item.url is None or item.url.startswith(("http://", "https://"))
