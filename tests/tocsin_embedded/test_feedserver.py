"""The local feed server, against a real HTTP client on a free loopback port."""

from __future__ import annotations

import calendar
import http.client
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

import feedparser
import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tocsin_embedded.feedserver import FeedServer, FeedServerError, _Refused, _Site, replay_clock, retime

STORED = datetime(2024, 1, 1, tzinfo=UTC)


def rss(*items: tuple[str, datetime | None]) -> str:
    parts = []
    for guid, when in items:
        date = f"<pubDate>{format_datetime(when, usegmt=True)}</pubDate>" if when else ""
        parts.append(f"<item><title>{guid}</title><guid isPermaLink='false'>{guid}</guid>{date}</item>")
    return (
        "<?xml version='1.0' encoding='UTF-8'?>\n<rss version='2.0'><channel><title>t</title>"
        "<link>http://demo.tocsin.invalid/</link><description>d</description>"
        f"<lastBuildDate>{format_datetime(STORED, usegmt=True)}</lastBuildDate>"
        + "".join(parts) + "</channel></rss>\n"
    )


def atom(*entries: tuple[str, datetime]) -> str:
    def stamp(moment: datetime) -> str:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    body = "".join(
        f"<entry><id>{guid}</id><title>{guid}</title><published>{stamp(when)}</published>"
        f"<updated>{stamp(when)}</updated></entry>"
        for guid, when in entries
    )
    return (
        "<?xml version='1.0' encoding='UTF-8'?>\n<feed xmlns='http://www.w3.org/2005/Atom'>"
        f"<id>urn:t</id><title>t</title><updated>{stamp(STORED)}</updated>"
        f"<author><name>a</name></author>{body}</feed>\n"
    )


@pytest.fixture
def site(tmp_path: Path) -> Path:
    news = rss(("a", STORED - timedelta(hours=3)), ("b", STORED - timedelta(hours=1)))
    (tmp_path / "news.xml").write_text(news)
    (tmp_path / "social.xml").write_text(atom(("x", STORED - timedelta(hours=2)), ("y", STORED)))
    (tmp_path / "timeline.json").write_text('{"reference": "2024-01-01T00:00:00Z"}')
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "inner.xml").write_text(rss())
    return tmp_path


@pytest.fixture
def server(site: Path) -> Iterator[FeedServer]:
    with FeedServer.start(site) as running:
        yield running


def get(url: str, **headers: str) -> httpx.Response:
    return httpx.get(url, headers=headers, timeout=5.0)


def raw_get(server: FeedServer, path: str) -> int:
    """Send ``path`` exactly as written: clients such as httpx would normalise the dots away."""
    conn = http.client.HTTPConnection(server.host, server.port, timeout=5.0)
    try:
        conn.putrequest("GET", path, skip_accept_encoding=True)
        conn.endheaders()
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


# --- plain serving -------------------------------------------------------------------


def test_serves_the_file_bytes_with_feed_content_type(server: FeedServer, site: Path) -> None:
    response = get(server.feed_url("news.xml"))
    assert response.status_code == 200
    assert response.content == (site / "news.xml").read_bytes()
    assert response.headers["content-type"] == "application/rss+xml"
    assert get(server.feed_url("social.xml")).headers["content-type"] == "application/atom+xml"


def test_etag_is_strong_and_last_modified_is_the_mtime(server: FeedServer, site: Path) -> None:
    mtime = datetime(2023, 6, 1, 12, 0, 0, tzinfo=UTC).timestamp()
    os.utime(site / "news.xml", (mtime, mtime))
    response = get(server.feed_url("news.xml"))
    assert response.headers["etag"].startswith('"') and not response.headers["etag"].startswith("W/")
    assert parsedate_to_datetime(response.headers["last-modified"]).timestamp() == mtime


def test_matching_etag_gets_304(server: FeedServer) -> None:
    etag = get(server.feed_url("news.xml")).headers["etag"]
    again = get(server.feed_url("news.xml"), **{"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag


def test_if_modified_since_at_last_modified_gets_304(server: FeedServer) -> None:
    last_modified = get(server.feed_url("news.xml")).headers["last-modified"]
    assert get(server.feed_url("news.xml"), **{"If-Modified-Since": last_modified}).status_code == 304


def test_if_modified_since_before_last_modified_gets_200(server: FeedServer) -> None:
    last_modified = parsedate_to_datetime(get(server.feed_url("news.xml")).headers["last-modified"])
    earlier = format_datetime(last_modified - timedelta(seconds=1), usegmt=True)
    assert get(server.feed_url("news.xml"), **{"If-Modified-Since": earlier}).status_code == 200


def test_edit_changes_etag_and_old_etag_gets_new_body(server: FeedServer, site: Path) -> None:
    first = get(server.feed_url("news.xml"))
    (site / "news.xml").write_text(rss(("a", STORED), ("b", STORED), ("c", STORED)))
    second = get(server.feed_url("news.xml"), **{"If-None-Match": first.headers["etag"]})
    assert second.status_code == 200
    assert second.headers["etag"] != first.headers["etag"]
    assert [e.id for e in feedparser.parse(second.content).entries] == ["a", "b", "c"]


def test_edit_within_the_same_second_still_defeats_if_modified_since(server: FeedServer, site: Path) -> None:
    path = site / "news.xml"
    stat = path.stat()
    first = get(server.feed_url("news.xml"))
    path.write_text(rss(("new", STORED)))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same mtime: an edit inside one second
    second = get(server.feed_url("news.xml"), **{"If-Modified-Since": first.headers["last-modified"]})
    assert second.status_code == 200
    assert parsedate_to_datetime(second.headers["last-modified"]) > parsedate_to_datetime(
        first.headers["last-modified"]
    )


def test_head_sends_headers_without_body(server: FeedServer, site: Path) -> None:
    response = httpx.head(server.feed_url("news.xml"), timeout=5.0)
    assert response.status_code == 200
    assert int(response.headers["content-length"]) == len((site / "news.xml").read_bytes())
    assert response.content == b""


def test_unknown_path_gets_404(server: FeedServer) -> None:
    assert get(server.feed_url("nope.xml")).status_code == 404


def test_directories_are_not_listed(server: FeedServer) -> None:
    assert get(server.url + "/").status_code == 404
    assert get(server.feed_url("sub")).status_code == 404
    assert get(server.feed_url("sub/inner.xml")).status_code == 200


@pytest.mark.parametrize("path", ["/../secret.txt", "/sub/../../secret.txt", "/%2e%2e/secret.txt",
                                  "/sub/%2E%2E/%2e%2e/secret.txt", "/..%2fsecret.txt"])
def test_path_traversal_is_refused(server: FeedServer, site: Path, path: str) -> None:
    (site.parent / "secret.txt").write_text("secret")
    assert raw_get(server, path) == 403


def test_symlink_out_of_the_directory_is_refused(server: FeedServer, site: Path, tmp_path_factory) -> None:
    outside = tmp_path_factory.mktemp("outside") / "secret.xml"
    outside.write_text(rss())
    (site / "link.xml").symlink_to(outside)
    assert get(server.feed_url("link.xml")).status_code == 403


def test_close_frees_the_port(site: Path) -> None:
    server = FeedServer.start(site)
    server.close()
    server.close()
    with pytest.raises(httpx.ConnectError):
        get(server.feed_url("news.xml"))


def test_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FeedServerError, match="does not exist"):
        FeedServer.start(tmp_path / "absent")


# --- time shifting and release ---------------------------------------------------------


def dates(body: bytes) -> dict[str, datetime]:
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return {e.id: datetime.fromtimestamp(calendar.timegm(e.published_parsed), UTC) for e in parsed.entries}


def test_shift_moves_rss_and_atom_dates_relative_to_the_reference(site: Path) -> None:
    reference = datetime(2030, 5, 17, 9, 30, tzinfo=UTC)
    with FeedServer.start(site, reference=reference) as server:  # stored reference from timeline.json
        news = dates(get(server.feed_url("news.xml")).content)
        social_body = get(server.feed_url("social.xml")).content
    assert news == {"a": reference - timedelta(hours=3), "b": reference - timedelta(hours=1)}
    assert dates(social_body) == {"x": reference - timedelta(hours=2), "y": reference}
    assert feedparser.parse(social_body).feed.updated == "2030-05-17T09:30:00Z"


def test_shift_with_explicit_stored_reference_needs_no_timeline(site: Path) -> None:
    (site / "timeline.json").unlink()
    reference = datetime(2030, 1, 1, tzinfo=UTC)
    with FeedServer.start(site, reference=reference, stored_reference=STORED - timedelta(hours=1)) as server:
        news = dates(get(server.feed_url("news.xml")).content)
    assert news["b"] == reference


def test_shift_without_timeline_is_an_error_naming_the_file(site: Path) -> None:
    (site / "timeline.json").unlink()
    with pytest.raises(FeedServerError, match=r"timeline\.json"):
        FeedServer.start(site, reference=datetime.now(UTC))


def test_release_withholds_entries_dated_after_the_clock(site: Path) -> None:
    reference = datetime(2030, 1, 1, tzinfo=UTC)
    now = [reference - timedelta(hours=2)]
    with FeedServer.start(site, reference=reference, release=True, clock=lambda: now[0]) as server:
        news = get(server.feed_url("news.xml"))
        social = get(server.feed_url("social.xml"))
        assert set(dates(news.content)) == {"a"}
        assert set(dates(social.content)) == {"x"}  # x is dated exactly at the clock
        assert parsedate_to_datetime(feedparser.parse(news.content).feed.updated) == now[0]

        now[0] = reference
        later = get(server.feed_url("news.xml"), **{"If-None-Match": news.headers["etag"]})
        assert later.status_code == 200
        assert set(dates(later.content)) == {"a", "b"}
        again = get(server.feed_url("news.xml"), **{"If-Modified-Since": news.headers["last-modified"]})
        assert again.status_code == 200


def test_release_without_shift_uses_stored_dates(site: Path) -> None:
    with FeedServer.start(site, release=True, clock=lambda: STORED - timedelta(minutes=90)) as server:
        assert set(dates(get(server.feed_url("news.xml")).content)) == {"a"}


def test_release_rejects_a_naive_clock(site: Path) -> None:
    with pytest.raises(FeedServerError, match="timezone-aware"):
        FeedServer.start(site, release=True, clock=lambda: datetime(2024, 1, 1))


def test_broken_feed_is_served_unchanged_in_shifted_mode(site: Path) -> None:
    (site / "broken.xml").write_bytes(b"<rss><channel><item>")
    with FeedServer.start(site, reference=datetime.now(UTC), release=True) as server:
        assert get(server.feed_url("broken.xml")).content == b"<rss><channel><item>"
        assert get(server.feed_url("timeline.json")).content == (site / "timeline.json").read_bytes()


def test_retime_keeps_entries_without_dates_and_leaves_bad_dates_alone() -> None:
    document = rss(("dated", STORED), ("undated", None)).replace(
        "</channel>", "<item><guid>bad</guid><pubDate>not a date</pubDate></item></channel>"
    )
    result = retime(document.encode(), shift=timedelta(days=1), until=STORED)
    assert result is not None
    parsed = feedparser.parse(result.body)
    assert [e.id for e in parsed.entries] == ["undated", "bad"]
    assert parsed.entries[1].published == "not a date"
    assert result.withheld == 1


def test_retime_ignores_documents_that_are_not_feeds() -> None:
    assert retime(b"<html><body/></html>") is None
    assert retime(b"not xml at all") is None


def test_replay_clock_runs_faster_from_its_start() -> None:
    real = [datetime(2030, 1, 1, tzinfo=UTC)]
    clock = replay_clock(STORED, speed=60, now=lambda: real[0])
    assert clock() == STORED
    real[0] += timedelta(seconds=10)
    assert clock() == STORED + timedelta(minutes=10)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["..", ".", "%2e%2e", "%2E.", "%2f", "/", "%00", "\\", "sub", "news.xml",
                                 "%5c", "..%2f", "//", "?q=/..", "#x"]), max_size=8))
def test_no_request_path_reaches_outside_the_directory(tmp_path_factory, parts: list[str]) -> None:
    root = tmp_path_factory.getbasetemp() / "hypothesis-site"
    (root / "sub").mkdir(parents=True, exist_ok=True)
    (root / "news.xml").write_text(rss())
    site = _Site(root.resolve(), None, False, lambda: STORED)
    try:
        found = site.locate("/" + "".join(parts))
    except _Refused:
        return
    assert found.is_relative_to(root.resolve()) and found.is_file()
