"""collectors.telegram: channel preview pages, paging back to the cursor, edits, hostile HTML.

Pages are served by a real local HTTP server that answers ``/s/<channel>`` and
``?before=<id>`` the way t.me does, from the recorded pages in ``data/telegram/``.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collectors.config import SourceConfigError, parse_sources
from collectors.pseudonyms import author_pseudonym
from collectors.runner import Collector
from collectors.state import FeedState, StateStore
from collectors.telegram import (
    Gap,
    TelegramConfig,
    TelegramCursor,
    geotag_of,
    message_item_id,
    parse_page,
    parse_views,
    related_post,
)
from tocsin.schema import DeadLetter, Item
from tocsin.settings import CollectorSettings

DATA = Path(__file__).parent / "data" / "telegram"
NOW = datetime(2024, 5, 15, 12, 0, tzinfo=UTC)
SECRET = "test-key"


def page(name: str) -> bytes:
    return (DATA / name).read_bytes()


# --- a t.me stand-in ------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class PreviewServer:
    """Serves ``/s/<channel>`` from ``pages``: key None for the latest page, else the
    ``before`` id; an unknown ``before`` gets the empty history t.me shows past the
    first message. ``script`` replies are served first, one per request."""

    def __init__(self) -> None:
        self.pages: dict[int | None, bytes] = {}
        self.script: list[Reply] = []
        self.requests: list[tuple[str, int | None]] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def befores(self) -> list[int | None]:
        return [before for _, before in self.requests]

    def _answer(self, path: str, before: int | None) -> Reply:
        with self._lock:
            self.requests.append((path, before))
            if self.script:
                return self.script.pop(0)
        if not path.startswith("/s/"):
            return Reply(404, b"not found")
        body = self.pages.get(before, page("empty.html"))
        return Reply(200, body, {"Content-Type": "text/html; charset=utf-8"})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                values = parse_qs(parts.query).get("before")
                before = int(values[0]) if values and values[0].isdigit() else None
                reply = server._answer(parts.path, before)
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


@pytest.fixture
def tme() -> Iterator[PreviewServer]:
    server = PreviewServer()
    yield server
    server.close()


class RecordingSink:
    def __init__(self) -> None:
        self.items: list[Item] = []
        self.dead_letters: list[DeadLetter] = []

    async def publish(self, items: Sequence[Item], dead_letters: Sequence[DeadLetter]) -> None:
        self.items.extend(items)
        self.dead_letters.extend(dead_letters)


def config(base_url: str = "https://t.me", name: str = "tg", **options: Any) -> TelegramConfig:
    entry = {"name": name, "type": "telegram", "channel": "sudanmonitor", "base_url": base_url,
             "page_delay": 0, "language": "en", "country": "SD", **options}
    (feed,) = parse_sources({"feeds": [entry]}, "feeds.yaml")
    assert isinstance(feed, TelegramConfig)
    return feed


@pytest.fixture
def tg_settings(tmp_path: Path) -> CollectorSettings:
    return CollectorSettings(
        allow_private_targets=True, state_path=tmp_path / "state.db", timeout_s=2.0, retries=0,
        backoff_base_s=0.01,
                             min_interval_s=1.0, max_interval_s=3600.0, pseudonym_secret=SECRET)  # type: ignore[arg-type]


def collector(feeds: list[TelegramConfig], settings: CollectorSettings, sink: RecordingSink) -> Collector:
    return Collector(feeds, settings, sink, clock=lambda: NOW, rng=random.Random(0))


def numbers(items: Sequence[Item]) -> list[int]:
    return [int((item.url or "").rsplit("/", 1)[-1]) for item in items]


# --- config ---------------------------------------------------------------------------


def test_the_page_url_is_derived_from_the_channel() -> None:
    feed = config(channel="@SudanMonitor")
    assert (feed.channel, feed.url) == ("SudanMonitor", "https://t.me/s/SudanMonitor")


@pytest.mark.parametrize(("options", "message"), [
    ({"channel": "x/../../admin"}, "channel must be a public username"),
    ({"channel": None}, "channel is required"),
    ({"url": "https://t.me/s/other"}, "url is derived"),
    ({"max_pages": 0}, "max_pages"),
    ({"base_url": "file:///etc"}, "absolute http(s) URL"),
])
def test_config_mistakes_name_the_feed_and_the_problem(options: dict[str, Any], message: str) -> None:
    entry = {"name": "tg", "type": "telegram", "channel": "sudanmonitor", **options}
    with pytest.raises(SourceConfigError, match=r"feeds\[0\] \(tg\)") as error:
        parse_sources({"feeds": [{k: v for k, v in entry.items() if v is not None}]}, "feeds.yaml")
    assert message in str(error.value)


# --- pure parsing ---------------------------------------------------------------------


def test_a_page_becomes_items_with_text_counts_relations_and_place() -> None:
    parsed = parse_page(page("latest.html"), feed=config(), collected=NOW, secret=SECRET)
    assert parsed.is_preview and not parsed.dead_letters and parsed.ids == [1201, 1202, 1203, 1204, 1205]
    items = {number: item for number, item in parsed.messages}
    first = items[1201]
    assert first.id == message_item_id("SudanMonitor", 1201)
    assert first.url == "https://t.me/sudanmonitor/1201"
    assert first.text == "Shelling reported in Abu Shouk camp this morning.\nAt least 3 killed, full report."
    assert first.title == "Shelling reported in Abu Shouk camp this morning."
    assert first.published == datetime(2024, 5, 14, 6, 12, 45, tzinfo=UTC)
    assert first.engagement == {"views": 12400}
    channel = author_pseudonym(SECRET, "telegram", "sudanmonitor")
    assert first.authors == [channel, author_pseudonym(SECRET, "telegram", "sudanmonitor/Amal")]
    assert (first.lang_hint, first.country_hint, first.source.type) == ("en", "SD", "telegram")
    assert items[1202].relations == {"reply_to": first.id}
    assert items[1203].relations == {"repost_of": message_item_id("rsf_official", 4410)}
    assert items[1203].engagement == {"views": 1_500_000}
    assert items[1204].geotag == {"lat": 13.6279, "lon": 25.3494}
    assert items[1204].tags == ["ElFasher", "Darfur"]
    assert items[1205].text == "مقتل ثلاثة مدنيين في قصف على معسكر أبو شوك 🕊"


def test_scripts_handlers_and_javascript_links_never_reach_the_text() -> None:
    parsed = parse_page(page("latest.html"), feed=config(), collected=NOW, secret=SECRET)
    hostile = dict(parsed.messages)[1202]
    assert hostile.text == "Update on the shelling click and the market."
    assert "evil" not in hostile.text and "alert" not in hostile.text and hostile.url is not None
    # The quoted reply is the parent's text, not this message's.
    assert "Abu Shouk" not in hostile.text


def test_hostile_messages_are_dead_letters_and_odd_fields_are_left_out() -> None:
    parsed = parse_page(page("hostile.html"), feed=config(), collected=NOW, secret=SECRET)
    assert sorted(number for number, _ in parsed.messages) == [1302, 1303, 1304]
    errors = [letter.error for letter in parsed.dead_letters]
    assert len(errors) == 3 and all(letter.reason == "unusable_message" for letter in parsed.dead_letters)
    assert "someoneelse" in errors[0] and "etc" in errors[1] and "None" in errors[2]
    items = dict(parsed.messages)
    assert (items[1302].published, items[1302].engagement) == (None, {})
    assert items[1302].text == "Bad date and views"
    assert items[1303].geotag is None
    assert items[1304].text == "<script>alert(1)</script> escaped markup is text"  # escaped text stays text


def test_a_page_that_is_not_a_channel_preview_says_so() -> None:
    parsed = parse_page(page("not_a_channel.html"), feed=config(), collected=NOW, secret=SECRET)
    assert (parsed.is_preview, parsed.messages) == (False, [])


def test_a_message_cut_off_by_a_truncated_page_is_a_dead_letter() -> None:
    parsed = parse_page(page("truncated.html"), feed=config(), collected=NOW, secret=SECRET)
    assert parsed.messages == [] and "cut off" in parsed.dead_letters[0].error


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000) | st.text(max_size=2000).map(str.encode))
def test_any_body_that_is_not_a_preview_page_gives_nothing(body: bytes) -> None:
    """``parse_page`` catches everything, so "never raises" proves nothing: what comes out must."""
    parsed = parse_page(body, feed=config(), collected=NOW, secret=SECRET)
    assert (parsed.is_preview, parsed.messages, parsed.dead_letters, parsed.ids) == (False, [], [], [])


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_markup_inside_a_message_never_raises(inner: str) -> None:
    # Whatever it does to the parse (an unclosed comment may swallow the rest of the page,
    # exactly as in a browser), a message's markup costs at most messages, never the poll.
    body = page("latest.html").replace(b"Displaced families gathering here.",
                                       inner.encode("utf-8", "surrogatepass"))
    parsed = parse_page(body, feed=config(), collected=NOW, secret=SECRET)
    assert parsed.is_preview
    # Read by the parser's own rules, never by its catch-all ("message_not_normalisable").
    assert [d.reason for d in parsed.dead_letters if d.reason != "unusable_message"] == []
    assert {message_id for message_id, _ in parsed.messages} <= set(parsed.ids)
    assert all(item.source.type == "telegram" and item.id for _, item in parsed.messages)


@pytest.mark.parametrize(("value", "expected"), [("987", 987), ("12.4K", 12400), ("1.5M", 1_500_000),
                                                 ("3k", 3000), ("1,2K", 1200), ("lots", None), ("", None),
                                                 ("-5", None), ("9" * 30, None)])
def test_view_counts_are_read_with_their_suffixes(value: str, expected: int | None) -> None:
    assert parse_views(value) == expected


@pytest.mark.parametrize(("href", "expected"), [
    ("https://maps.google.com/maps?q=13.6279,25.3494&ll=13.6279,25.3494&z=16",
     {"lat": 13.6279, "lon": 25.3494}),
    ("https://maps.google.com/maps?ll=-1.5,30", {"lat": -1.5, "lon": 30.0}),
    ("https://maps.google.com/maps?q=999,999", None),
    ("javascript:alert(1)?q=1,2", None),
    ("https://maps.google.com/maps?q=nan,inf", None),
    (None, None),
])
def test_geotags_come_only_from_sane_map_links(href: str | None, expected: dict[str, float] | None) -> None:
    assert geotag_of(href) == expected


def test_related_posts_are_t_me_links_only() -> None:
    assert related_post("https://t.me/rsf_official/4410") == message_item_id("RSF_official", 4410)
    assert related_post("https://t.me/s/rsf_official/4410?single") == message_item_id("rsf_official", 4410)
    assert related_post("https://evil.example/rsf_official/4410") is None
    assert related_post("javascript:alert(1)") is None


@pytest.mark.parametrize(("stored", "parsed"), [
    (None, TelegramCursor()), ("", TelegramCursor()), ("1205", TelegramCursor(1205)),
    ("1205:1196:1185", TelegramCursor(1205, Gap(1196, 1185))),
    ("1205:1186:1185", TelegramCursor()), ("x", TelegramCursor()), ("-3", TelegramCursor()),
])
def test_cursors_are_read_back_and_garbage_is_a_first_poll(stored: str | None,
                                                            parsed: TelegramCursor) -> None:
    assert TelegramCursor.parse(stored) == parsed
    if parsed.newest is not None:
        assert str(parsed) == stored


@given(st.text(max_size=40) | st.from_regex(r"\A[0-9]{1,6}(:[0-9]{1,6}:-?[0-9]{1,6})?\Z"))
def test_any_stored_cursor_reads_back_as_itself_or_as_no_cursor(value: str) -> None:
    """Unreadable means a first poll (no cursor); anything read must be valid and round-trip."""
    cursor = TelegramCursor.parse(value)
    if cursor == TelegramCursor():
        return
    assert cursor.newest is not None and cursor.newest >= 0
    if cursor.gap is not None:
        assert cursor.gap.floor + 1 < cursor.gap.before
    assert TelegramCursor.parse(str(cursor)) == cursor


# --- polling a local server -----------------------------------------------------------


async def test_the_first_poll_reads_one_page_and_stores_the_newest_id(
        tme: PreviewServer, tg_settings: CollectorSettings) -> None:
    tme.pages = {None: page("latest.html"), 1201: page("before_1201.html")}
    sink = RecordingSink()
    async with collector([config(tme.base_url)], tg_settings, sink) as running:
        report = (await running.run_once()).by_feed["tg"]
        state = running.store.load("tg")
    assert report.new_items == 5 and numbers(sink.items) == [1205, 1204, 1203, 1202, 1201]
    assert tme.befores() == [None] and state.cursor == "1205"
    item = sink.items[-1]
    assert item.provenance is not None and item.provenance.fetch_url == f"{tme.base_url}/s/sudanmonitor"
    assert item.provenance.status == 200 and item.provenance.headers["content-type"].startswith("text/html")


async def test_after_a_restart_only_new_messages_are_emitted_and_paging_stops_at_the_cursor(
        tme: PreviewServer, tg_settings: CollectorSettings) -> None:
    tme.pages = {None: page("before_1196.html")}
    async with collector([config(tme.base_url)], tg_settings, RecordingSink()) as running:
        await running.run_once()
        assert running.store.load("tg").cursor == "1195"
    tme.requests.clear()
    tme.pages = {None: page("latest.html"), 1201: page("before_1201.html"), 1196: page("before_1196.html")}
    after = RecordingSink()
    async with collector([config(tme.base_url)], tg_settings, after) as running:
        await running.run_once()
        assert running.store.load("tg").cursor == "1205"
    assert tme.befores() == [None, 1201]  # page 1196..1200 reaches the cursor: no third request
    assert numbers(after.items) == list(range(1205, 1195, -1))


async def test_an_edited_message_is_emitted_again_and_an_unchanged_page_emits_nothing(
        tme: PreviewServer, tg_settings: CollectorSettings) -> None:
    tme.pages = {None: page("latest.html")}
    sink = RecordingSink()
    async with collector([config(tme.base_url)], tg_settings, sink) as running:
        await running.run_once()
        tme.pages = {None: page("latest_edited.html")}
        await running.run_once()
        await running.run_once()
    edits = sink.items[5:]
    assert numbers(edits) == [1201]
    assert edits[0].id == sink.items[4].id and edits[0].content_sha256 != sink.items[4].content_sha256
    assert "At least 5 killed" in edits[0].text and edits[0].engagement == {"views": 15000}


async def test_new_messages_after_an_edit_are_emitted_once(
        tme: PreviewServer, tg_settings: CollectorSettings) -> None:
    tme.pages = {None: page("latest.html")}
    sink = RecordingSink()
    async with collector([config(tme.base_url)], tg_settings, sink) as running:
        await running.run_once()
        tme.pages = {None: page("latest_newer.html")}
        await running.run_once()
        await running.run_once()
    assert numbers(sink.items[5:]) == [1207, 1206]


async def test_a_gap_left_by_the_page_budget_is_filled_by_later_polls(
        tme: PreviewServer, tg_settings: CollectorSettings) -> None:
    with StateStore(tg_settings.state_path, seen_limit=100) as store:
        store.save(FeedState("tg", cursor="1185"))
    tme.pages = {None: page("latest.html"), 1201: page("before_1201.html"), 1196: page("before_1196.html")}
    sink = RecordingSink()
    cursors = []
    async with collector([config(tme.base_url, max_pages=2)], tg_settings, sink) as running:
        for _ in range(3):
            await running.run_once()
            cursors.append(running.store.load("tg").cursor)
    assert cursors == ["1205:1196:1185", "1205:1190:1185", "1205"]
    assert tme.befores() == [None, 1201, None, 1196, None, 1190]
    assert sorted(numbers(sink.items)) == list(range(1191, 1206))  # 1190 is a service message


async def test_a_429_on_the_first_page_fails_and_defers_the_next_poll(
        tme: PreviewServer, tg_settings: CollectorSettings) -> None:
    tme.script = [Reply(429, b"Too Many Requests", {"Retry-After": "900"})]
    async with collector([config(tme.base_url)], tg_settings, RecordingSink()) as running:
        report = (await running.run_once()).by_feed["tg"]
    assert (report.status, report.http_status) == ("failed", 429)
    assert report.next_poll is not None and report.next_poll - NOW >= timedelta(seconds=900)


async def test_a_429_while_paging_keeps_the_first_page_and_remembers_the_gap(
        tme: PreviewServer, tg_settings: CollectorSettings) -> None:
    with StateStore(tg_settings.state_path, seen_limit=100) as store:
        store.save(FeedState("tg", cursor="1190"))
    tme.pages = {None: page("latest.html")}
    tme.script = [Reply(200, page("latest.html"), {"Content-Type": "text/html"}),
                  Reply(429, b"", {"Retry-After": "600"})]
    sink = RecordingSink()
    async with collector([config(tme.base_url)], tg_settings, sink) as running:
        report = (await running.run_once()).by_feed["tg"]
        state = running.store.load("tg")
    assert report.status == "new" and numbers(sink.items) == [1205, 1204, 1203, 1202, 1201]
    assert state.cursor == "1205:1201:1190"
    assert report.next_poll is not None and report.next_poll - NOW >= timedelta(seconds=600)


async def test_a_private_or_missing_channel_is_a_failure_with_a_dead_letter(
        tme: PreviewServer, tg_settings: CollectorSettings) -> None:
    tme.pages = {None: page("not_a_channel.html")}
    sink = RecordingSink()
    async with collector([config(tme.base_url)], tg_settings, sink) as running:
        report = (await running.run_once()).by_feed["tg"]
    assert report.status == "failed" and [letter.reason for letter in sink.dead_letters] == [
        "not_a_channel_preview"]


async def test_a_broken_channel_does_not_stall_another(
        tme: PreviewServer, tg_settings: CollectorSettings) -> None:
    tme.pages = {None: page("latest.html")}
    broken = config(tme.base_url + "/nowhere", name="broken")
    sink = RecordingSink()
    async with collector([broken, config(tme.base_url)], tg_settings, sink) as running:
        summary = await running.run_once()
    assert summary.by_feed["broken"].status == "failed" and summary.by_feed["broken"].http_status == 404
    assert summary.by_feed["tg"].new_items == 5


async def test_an_official_channel_keeps_its_name(tme: PreviewServer, tg_settings: CollectorSettings) -> None:
    tme.pages = {None: page("latest.html")}
    sink = RecordingSink()
    async with collector([config(tme.base_url, official=True)], tg_settings, sink) as running:
        await running.run_once()
    assert sink.items[0].authors == ["sudanmonitor"]
