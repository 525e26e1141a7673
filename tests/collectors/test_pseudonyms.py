"""collectors.pseudonyms and collectors.provenance: keyed author tokens, canonical hashes."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from collectors.fetch import FetchResult
from collectors.provenance import (
    canonical_json,
    kept_headers,
    provenance_of,
    raw_sha256,
    stream_provenance,
)
from collectors.pseudonyms import MissingPseudonymSecret, author_pseudonym

PSEUDONYM = re.compile(r"^p:[0-9a-f]{24}$")
WHEN = datetime(2024, 5, 15, 12, 0, tzinfo=UTC)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


def test_a_pseudonym_is_the_keyed_hmac_of_source_type_and_author() -> None:
    expected = hmac.new(b"k", b"bluesky\x1fdid:plc:abc", hashlib.sha256).hexdigest()[:24]
    assert author_pseudonym("k", "bluesky", "did:plc:abc") == "p:" + expected


@given(st.text(min_size=1), st.text(), st.text())
def test_pseudonyms_are_stable_and_never_contain_the_author(secret: str, source: str, author: str) -> None:
    first = author_pseudonym(secret, source, author)
    assert first == author_pseudonym(secret, source, author)
    assert PSEUDONYM.match(first)


def test_the_same_handle_on_two_platforms_or_under_two_keys_gets_two_pseudonyms() -> None:
    assert author_pseudonym("k", "telegram", "news") != author_pseudonym("k", "mastodon", "news")
    assert author_pseudonym("k", "telegram", "news") != author_pseudonym("k2", "telegram", "news")


def test_official_accounts_keep_their_handle() -> None:
    assert author_pseudonym("k", "telegram", " unocha ", official=True) == "unocha"


def test_an_empty_secret_is_refused_rather_than_hashing_unkeyed() -> None:
    with pytest.raises(MissingPseudonymSecret):
        author_pseudonym("", "telegram", "news")


def test_canonical_json_sorts_keys_and_keeps_unicode_unescaped() -> None:
    assert canonical_json({"b": 1, "a": "ምስ"}) == '{"a":"ምስ","b":1}'.encode()


@given(JSON)
def test_raw_sha256_ignores_key_order(payload: object) -> None:
    reordered = json.loads(json.dumps(payload, sort_keys=True))
    if isinstance(payload, dict):
        reordered = dict(reversed(list(reordered.items())))
    assert raw_sha256(payload) == raw_sha256(reordered)


def test_raw_sha256_of_a_lone_surrogate_does_not_raise() -> None:
    assert raw_sha256(json.loads('{"text": "\\ud800"}')) != raw_sha256({"text": "\ufffd"})


def test_provenance_keeps_only_the_headers_that_matter() -> None:
    result = FetchResult(status=200, url="https://t.me/s/news", body=b"x",
                         headers={"content-type": "text/html", "date": "Wed, 15 May 2024 12:00:00 GMT",
                                  "set-cookie": "stel_ssid=secret", "etag": '"v1"'})
    provenance = provenance_of(result, WHEN)
    assert provenance.fetch_url == "https://t.me/s/news" and provenance.status == 200
    assert provenance.fetched_at == WHEN
    assert provenance.headers == {"etag": '"v1"', "content-type": "text/html",
                                  "date": "Wed, 15 May 2024 12:00:00 GMT"}


def test_provenance_falls_back_to_the_result_validators() -> None:
    result = FetchResult(status=200, url="https://x.example/", etag='"e"', content_type="text/xml")
    assert provenance_of(result, WHEN).headers == {"etag": '"e"', "content-type": "text/xml"}


def test_kept_headers_match_any_case_and_truncate_long_values() -> None:
    assert kept_headers({"Date": "d" * 600, "Authorization": "Bearer x"}) == {"date": "d" * 512}


def test_stream_provenance_has_the_subscription_url() -> None:
    provenance = stream_provenance("wss://jetstream.example/subscribe", WHEN, status=101)
    assert (provenance.fetch_url, provenance.status, provenance.headers) == (
        "wss://jetstream.example/subscribe", 101, {})
