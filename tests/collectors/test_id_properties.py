"""Properties of item ids (hypothesis): stable, equal exactly when the source says
"same document", different otherwise. test_normalise.py covers determinism and the
idempotence of URL canonicalisation; these cover equality and difference."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Literal

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from collectors.normalise import ID_HEX_CHARS, ID_PREFIX, canonical_url, item_id, story_id

SURROGATES: tuple[Literal["Cs"]] = ("Cs",)  # not encodable on their own
ID = re.compile(rf"^{re.escape(ID_PREFIX)}[0-9a-f]{{{ID_HEX_CHARS}}}$")
bare_guids = st.text(alphabet=st.characters(exclude_categories=SURROGATES), min_size=1, max_size=40).filter(
    lambda g: bool(g.strip()) and not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:\S", g.strip()))
uri_guids = st.builds(lambda scheme, rest: f"{scheme}:{rest}", st.sampled_from(["tag", "urn", "https"]),
                      st.from_regex(r"[A-Za-z0-9./:-]{1,30}", fullmatch=True))
feeds = st.from_regex(r"[a-z][a-z0-9-]{0,15}", fullmatch=True)
hosts = st.from_regex(r"[a-z0-9]{1,10}\.(org|com|net)", fullmatch=True)
paths = st.from_regex(r"(/[A-Za-z0-9._-]{1,8}){0,3}", fullmatch=True)
titles = st.text(max_size=60)
times = st.one_of(st.none(), st.datetimes(timezones=st.just(UTC)))


def by_guid(guid: str, feed: str) -> str:
    return item_id(guid=guid, link=None, title="t", published=None, feed_name=feed)


def by_link(link: str, feed: str = "f") -> str:
    return item_id(guid=None, link=link, title="t", published=None, feed_name=feed)


@given(st.one_of(bare_guids, uri_guids), feeds, titles, times)
@settings(max_examples=200, deadline=None)
def test_ids_have_one_shape_and_ignore_title_and_time_when_there_is_a_guid(
        guid: str, feed: str, title: str, published: datetime | None) -> None:
    derived = item_id(guid=guid, link="https://x.org/a", title=title, published=published, feed_name=feed)
    assert ID.match(derived)
    assert derived == by_guid(guid, feed)
    assert derived == by_guid(f"  {guid}\n", feed)  # surrounding whitespace is not part of a guid


@given(bare_guids, bare_guids, feeds)
@settings(max_examples=200, deadline=None)
def test_different_guids_give_different_ids(first: str, second: str, feed: str) -> None:
    assume(first.strip() != second.strip())
    assert by_guid(first, feed) != by_guid(second, feed)


@given(bare_guids, feeds, feeds)
@settings(max_examples=200, deadline=None)
def test_a_bare_guid_is_scoped_to_its_feed(guid: str, feed: str, other: str) -> None:
    assume(feed != other)
    assert by_guid(guid, feed) != by_guid(guid, other)


@given(uri_guids, feeds, feeds)
@settings(max_examples=200, deadline=None)
def test_a_uri_guid_is_one_story_but_each_feeds_own_item(guid: str, feed: str, other: str) -> None:
    assume(feed != other)
    assert by_guid(guid, feed) != by_guid(guid, other)
    assert story_id(guid=guid, link=None) == story_id(guid=f" {guid} ", link="https://x.org/")


@given(hosts, paths, st.lists(st.sampled_from(["utm_source=x", "utm_medium=y", "fbclid=z", "gclid=1"])),
       st.sampled_from(["", "#top", "#"]), st.sampled_from(["https", "HTTPS"]), feeds)
@settings(max_examples=200, deadline=None)
def test_tracking_parameters_fragments_and_case_do_not_change_the_id(
        host: str, path: str, tracking: list[str], fragment: str, scheme: str, feed: str) -> None:
    plain = f"https://{host}{path}?a=1"
    decorated = f"{scheme}://{host.upper()}{path}?{'&'.join(['a=1', *tracking])}{fragment}"
    assert by_link(plain, feed) == by_link(decorated, feed)
    assert story_id(guid=None, link=plain) == story_id(guid=None, link=decorated)


@given(hosts, paths, paths)
@settings(max_examples=200, deadline=None)
def test_different_documents_by_link_give_different_ids(host: str, path: str, other: str) -> None:
    first, second = f"https://{host}{path}", f"https://{host}{other}"
    assume(canonical_url(first) != canonical_url(second))
    assert by_link(first) != by_link(second)


@given(st.text(max_size=40), st.text(max_size=40), times, feeds)
@settings(max_examples=200, deadline=None)
def test_guid_and_link_ids_never_meet_title_ids(guid: str, title: str, published: datetime | None,
                                                feed: str) -> None:
    """The three kinds of key are hashed with different tags, so they cannot collide by construction."""
    assume(guid.strip())
    from_guid = by_guid(guid, feed)
    from_title = item_id(guid=None, link=None, title=guid, published=published, feed_name=feed)
    assert from_guid != from_title
    assert by_link(guid.strip(), feed) != from_title
