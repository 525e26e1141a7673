"""collectors.normalise: exact fields, stable ids, and no exceptions on hostile input."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import feedparser
from hypothesis import given, settings
from hypothesis import strategies as st

from collectors.config import FeedConfig
from collectors.normalise import (
    canonical_url,
    content_sha256,
    html_to_text,
    item_id,
    normalise_entries,
    normalise_entry,
    raw_entry_bytes,
    story_id,
)

COLLECTED = datetime(2024, 5, 15, 12, 0, tzinfo=UTC)
WIRE = FeedConfig(name="wire", url="https://news.example.org/feed", country="sd", language="ar")
ID_FORMAT = re.compile(r"^i-[0-9a-f]{32}$")


def parse(body: bytes) -> Any:
    return feedparser.parse(io.BytesIO(body), response_headers={"content-location": WIRE.url})


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# --- exact fields ---------------------------------------------------------------------


def test_rss_entry_normalises_to_exact_fields(data: Callable[[str], bytes]) -> None:
    parsed = parse(data("rss20.xml"))
    entry = parsed.entries[0]
    item = normalise_entry(entry, feed=WIRE, collected=COLLECTED, feed_language=parsed.feed.get("language"))
    title = "Clashes reported near El Fasher & Kutum"
    text = "Residents fled overnight.\nOne town\nTwo"
    assert item.model_dump() == {
        "id": "i-" + sha("guid\x1fwire\x1fwire-2024-0001")[:32],
        "story_id": "i-" + sha("url\x1fhttps://news.example.org/2024/05/clashes?id=7")[:32],
        "source": {"type": "rss", "name": "wire", "url": "https://news.example.org/feed"},
        "url": "https://news.example.org/2024/05/clashes?utm_source=rss&id=7",
        "title": title,
        "text": text,
        "authors": ["Amina Yusuf"],
        "tags": ["Sudan", "Conflict"],
        "published": datetime(2024, 5, 14, 7, 30, tzinfo=UTC),
        "collected": COLLECTED,
        "lang_hint": "en",
        "country_hint": "SD",
        "raw_sha256": hashlib.sha256(raw_entry_bytes(entry)).hexdigest(),
        "content_sha256": sha(f"{title}\n{text}"),
        "geotag": None,
        "provenance": None,
        "engagement": {},
        "relations": {},
        "deleted": False,
        "claimed_published": None,
        "integrity_flags": [],
        "erase": False,
    }


def test_entry_without_guid_gets_id_from_canonical_link(data: Callable[[str], bytes]) -> None:
    item = normalise_entry(parse(data("rss20.xml")).entries[1], feed=WIRE, collected=COLLECTED)
    assert item.id == "i-" + sha("url\x1fwire\x1fhttps://news.example.org/2024/05/convoy")[:32]
    assert item.story_id == "i-" + sha("url\x1fhttps://news.example.org/2024/05/convoy")[:32]
    assert item.text == "Trucks arrived."


def test_atom_entry_keeps_authors_language_and_paragraphs(data: Callable[[str], bytes]) -> None:
    entry = parse(data("atom.xml")).entries[0]
    item = normalise_entry(entry, feed=WIRE, collected=COLLECTED)
    assert item.title == "Déplacements massifs"
    assert item.text == "Des milliers de personnes.\nSecond paragraphe."
    assert item.authors == ["Jean Dupont", "Awa Diallo"] and item.tags == ["Mali"]
    assert item.lang_hint == "fr"
    assert item.published == datetime(2024, 5, 14, 9, 0, tzinfo=UTC)
    assert item.id == "i-" + sha("guid\x1fwire\x1ftag:atom.example.org,2024:1")[:32]
    assert item.story_id == "i-" + sha("guid\x1ftag:atom.example.org,2024:1")[:32]


def test_language_falls_back_to_the_configured_hint(data: Callable[[str], bytes]) -> None:
    item = normalise_entry(parse(data("rss10.xml")).entries[0], feed=WIRE, collected=COLLECTED)
    assert item.lang_hint == "ar"


def test_published_is_none_when_the_entry_has_no_date(data: Callable[[str], bytes]) -> None:
    item = normalise_entry(parse(data("rss091.xml")).entries[0], feed=WIRE, collected=COLLECTED)
    assert item.published is None


def test_javascript_link_is_not_kept_as_url() -> None:
    item = normalise_entry({"title": "x", "link": "javascript:alert(1)"}, feed=WIRE, collected=COLLECTED)
    assert item.url is None


def test_plain_text_title_is_not_parsed_as_markup() -> None:
    entry = {"title": "a <b and c", "title_detail": {"type": "text/plain", "value": "a <b and c"}}
    assert normalise_entry(entry, feed=WIRE, collected=COLLECTED).title == "a <b and c"


def test_empty_entry_becomes_a_dead_letter_and_others_are_kept() -> None:
    items, dead = normalise_entries([{"title": "kept"}, {"summary": ""}], feed=WIRE, collected=COLLECTED)
    assert [item.title for item in items] == ["kept"]
    assert [(letter.stage, letter.reason, letter.key) for letter in dead] == \
        [("collector", "unusable_entry", "wire")]


def test_impossible_dates_give_no_published_time() -> None:
    entry = {"title": "x", "published_parsed": (2024, 2, 31, 0, 0, 0, 0, 0, 0)}
    assert normalise_entry(entry, feed=WIRE, collected=COLLECTED).published is None


def test_content_hash_ignores_markup_differences() -> None:
    a = normalise_entry({"title": "T", "summary": "<p>Same  text</p>"}, feed=WIRE, collected=COLLECTED)
    b = normalise_entry({"title": "T", "summary": "Same text"}, feed=WIRE, collected=COLLECTED)
    assert a.content_sha256 == b.content_sha256 == content_sha256("T", "Same text")


# --- HTML to text ---------------------------------------------------------------------


def test_block_elements_become_line_breaks_and_inline_ones_do_not() -> None:
    assert html_to_text("<h1>Head</h1><p>one <b>bold</b> word</p><div>two<br>three</div>") == \
        "Head\none bold word\ntwo\nthree"


def test_scripts_and_styles_are_dropped() -> None:
    assert html_to_text("<style>p{color:red}</style><p>a</p><script>var x = '<p>';</script>b") == "a\nb"


def test_entities_are_decoded() -> None:
    assert html_to_text("caf&eacute; &amp; &#x263A; &lt;tag&gt;&nbsp;end") == "café & ☺ <tag> end"


def test_broken_markup_still_yields_text() -> None:
    assert html_to_text("<p>open <b>never closed <i>deep</p></div></span>tail <a href='x") == \
        "open never closed deep\ntail"


def test_control_characters_and_lone_surrogates_are_removed() -> None:
    assert html_to_text("a\x00b\x1bc\ud800d") == "a b c\ufffdd"


markup = st.one_of(
    st.text(),
    st.lists(st.sampled_from(["<p>", "</p>", "<script>", "</script>", "<br/>", "<!--", "-->", "<![CDATA[",
                              "]]>", "&amp;", "&#0;", "&#xD800;", "&bogus;", "<", ">", "<!DOCTYPE", "<?x",
                              "<style", "\x00", "\ud800", " ", "\n", "text", "é"]))
    .map("".join),
)


@given(markup)
@settings(max_examples=300, deadline=None)
def test_html_to_text_never_raises_and_yields_clean_utf8(value: str) -> None:
    text = html_to_text(value)
    text.encode("utf-8")  # no lone surrogates left
    assert text == text.strip()
    assert "  " not in text and "\n\n" not in text
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", text)


@given(st.text(alphabet=st.characters(blacklist_characters="<>&/")))
@settings(max_examples=200, deadline=None)
def test_script_content_never_reaches_the_text(secret: str) -> None:
    assert "SECRET" not in html_to_text(f"<p>a</p><script>SECRET{secret}</script><p>b</p>")


@given(st.text(alphabet=st.characters(blacklist_characters="<&\u200b", blacklist_categories=("Cs", "Cc"))))
def test_plain_text_passes_through_with_collapsed_whitespace(value: str) -> None:
    lines = (" ".join(line.split()) for line in value.split("\n"))
    assert html_to_text(value) == "\n".join(line for line in lines if line)


# --- canonical URLs -------------------------------------------------------------------


def test_canonical_url_lowercases_scheme_and_host_and_drops_default_port_and_fragment() -> None:
    assert canonical_url("HTTPS://News.Example.ORG:443/Path/A?x=1#section") == \
        "https://news.example.org/Path/A?x=1"


def test_canonical_url_drops_tracking_parameters_and_sorts_the_rest() -> None:
    assert canonical_url("http://a.org/p?z=2&utm_source=rss&UTM_Medium=x&fbclid=1&gclid=2&a=1&a=0") == \
        "http://a.org/p?a=0&a=1&z=2"


def test_canonical_url_keeps_non_default_ports_and_gives_empty_path_as_slash() -> None:
    assert canonical_url("http://a.org:8080") == "http://a.org:8080/"
    assert canonical_url("https://a.org:80?b=1") == "https://a.org:80/?b=1"


def test_canonical_url_returns_garbage_stripped_and_unchanged() -> None:
    assert canonical_url("  not a url  ") == "not a url"
    assert canonical_url("http://[::1") == "http://[::1"


urls = st.builds(
    lambda scheme, host, port, path, query, fragment: f"{scheme}://{host}{port}{path}{query}{fragment}",
    st.sampled_from(["http", "HTTPS", "Http"]),
    st.from_regex(r"[A-Za-z0-9-]{1,12}(\.[A-Za-z]{2,6}){1,2}", fullmatch=True),
    st.sampled_from(["", ":80", ":443", ":8080"]),
    st.from_regex(r"(/[A-Za-z0-9._~%-]{0,8}){0,3}", fullmatch=True),
    st.lists(st.sampled_from(["a=1", "b=2", "utm_source=x", "fbclid=y", "q=%20", "z", "gclid=3"]))
    .map(lambda params: "?" + "&".join(params) if params else ""),
    st.sampled_from(["", "#", "#frag"]),
)


@given(st.one_of(st.text(), urls))
@settings(max_examples=300, deadline=None)
def test_canonical_url_never_raises_and_is_idempotent(url: str) -> None:
    once = canonical_url(url)
    assert canonical_url(once) == once


@given(urls)
@settings(max_examples=200, deadline=None)
def test_canonical_url_never_keeps_tracking_parameters_or_fragments(url: str) -> None:
    canonical = canonical_url(url)
    assert "utm_" not in canonical and "fbclid" not in canonical and "gclid" not in canonical
    assert "#" not in canonical


# --- ids ------------------------------------------------------------------------------


def test_id_prefers_guid_over_link() -> None:
    assert item_id(guid="tag:x,2024:1", link="https://a.org/1", title="t", published=None, feed_name="f") == \
        item_id(guid="tag:x,2024:1", link="https://other.org/2", title="u", published=None, feed_name="f")


def test_every_guid_is_scoped_to_its_feed_and_a_uri_guid_names_one_story() -> None:
    assert item_id(guid="1234", link=None, title="", published=None, feed_name="a") != \
        item_id(guid="1234", link=None, title="", published=None, feed_name="b")
    assert item_id(guid="urn:x:1", link=None, title="", published=None, feed_name="a") != \
        item_id(guid="urn:x:1", link=None, title="", published=None, feed_name="b")
    assert story_id(guid="urn:x:1", link=None) == story_id(guid="urn:x:1", link="https://elsewhere.org/")
    assert story_id(guid="1234", link=None) is None


def test_a_feed_that_reuses_another_feeds_guid_cannot_replace_its_item() -> None:
    """Issue 14: <guid>urn:tocsin:geovirus-125</guid> with forged text replaced the original."""
    guid = "urn:tocsin:geovirus-125"
    original = normalise_entry({"id": guid, "title": "Clashes in Kutum", "summary": "Ten dead."},
                               feed=WIRE, collected=COLLECTED)
    forger = FeedConfig(name="forger", url="https://forger.example/feed.xml")
    forged = normalise_entry({"id": guid, "title": "Calm in Kutum", "summary": "Nothing happened."},
                             feed=forger, collected=COLLECTED)
    assert original.id != forged.id
    assert original.story_id == forged.story_id == story_id(guid=guid, link=None)


def test_link_id_is_stable_across_tracking_parameters() -> None:
    assert item_id(guid=None, link="https://A.org/x?utm_source=tw&b=1#c", title="", published=None,
                   feed_name="f") == \
        item_id(guid=None, link="https://a.org/x?b=1", title="", published=None, feed_name="f")


def test_without_guid_or_link_the_id_uses_title_time_and_feed() -> None:
    when = datetime(2024, 1, 1, tzinfo=UTC)
    base = item_id(guid=None, link=None, title="t", published=when, feed_name="f")
    assert base != item_id(guid=None, link=None, title="t", published=None, feed_name="f")
    assert base != item_id(guid=None, link=None, title="t", published=when, feed_name="g")
    assert base == item_id(guid=" ", link="", title="t", published=when, feed_name="f")


@given(st.one_of(st.none(), st.text()), st.one_of(st.none(), st.text()), st.text(),
       st.one_of(st.none(), st.datetimes(timezones=st.just(UTC))), st.text())
@settings(max_examples=300, deadline=None)
def test_item_id_never_raises_and_is_deterministic(guid: str | None, link: str | None, title: str,
                                                   published: datetime | None, feed_name: str) -> None:
    first = item_id(guid=guid, link=link, title=title, published=published, feed_name=feed_name)
    assert ID_FORMAT.match(first)
    assert first == item_id(guid=guid, link=link, title=title, published=published, feed_name=feed_name)


entry_values = st.recursive(
    st.one_of(st.none(), st.text(), st.integers(), st.booleans()),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=10,
)


@given(st.dictionaries(st.sampled_from(["id", "link", "title", "title_detail", "summary", "summary_detail",
                                        "content", "authors", "author", "tags", "published_parsed",
                                        "updated_parsed"]), entry_values))
@settings(max_examples=300, deadline=None)
def test_normalise_entries_never_raises_on_odd_entries(entry: dict[str, Any]) -> None:
    items, dead = normalise_entries([entry], feed=WIRE, collected=COLLECTED)
    assert len(items) + len(dead) == 1
    for item in items:
        item.to_bytes()
