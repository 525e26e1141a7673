"""One invalid byte in a UTF-8 feed costs that byte, not the feed's other entries."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from collectors.config import FeedConfig
from collectors.feeds import parse_feed, repair_utf8

ARABIC = "مقتل خمسة في نيالا"
FEED = FeedConfig(name="wire", url="https://news.example.org/feed.xml")


def rss(title: str, declaration: str = ' encoding="utf-8"') -> bytes:
    return (f'<?xml version="1.0"{declaration}?><rss version="2.0"><channel><title>t</title>'
            f"<link>https://news.example.org/</link><description>d</description>"
            f"<item><guid>urn:a</guid><title>{ARABIC}</title><description>قتل مسلحون</description></item>"
            f"<item><guid>urn:b</guid><title>{title}</title><description>x</description></item>"
            f"</channel></rss>").encode("utf-8", "surrogateescape")


def titles(body: bytes, content_type: str | None = None) -> list[str]:
    outcome = parse_feed(body, feed=FEED, collected=datetime.now(UTC), content_type=content_type)
    return [item.title for item in outcome.items]


def test_an_invalid_byte_becomes_a_replacement_character_and_other_entries_keep_their_script() -> None:
    assert titles(rss("Caf\udcff")) == [ARABIC, "Caf\ufffd"]


def test_a_feed_without_an_encoding_declaration_is_utf8_and_is_repaired_too() -> None:
    assert titles(rss("Caf\udcff", declaration=""))[0] == ARABIC


def test_a_feed_declaring_a_legacy_encoding_is_left_to_the_parser() -> None:
    body = rss("x", declaration=' encoding="windows-1252"').replace(ARABIC.encode(), b"Caf\xe9")
    assert repair_utf8(body) == (body, 0)
    assert titles(body)[0] == "Café"


def test_the_http_charset_wins_over_the_declaration() -> None:
    body = rss("Caf\udcff")
    assert repair_utf8(body, "application/rss+xml; charset=ISO-8859-1") == (body, 0)
    assert repair_utf8(body, "application/rss+xml; charset=utf-8")[1] == 1


def test_the_dead_letter_of_a_broken_feed_keeps_the_bytes_as_received() -> None:
    body = b"not a feed \xff at all"
    outcome = parse_feed(body, feed=FEED, collected=datetime.now(UTC))
    assert outcome.status == "failed"
    assert base64.b64decode(outcome.dead_letters[0].payload_b64) == body


@given(st.binary(max_size=300))
def test_repair_always_yields_valid_utf8_for_a_utf8_body(noise: bytes) -> None:
    repaired, replaced = repair_utf8(b'<?xml version="1.0"?><rss>' + noise)
    repaired.decode("utf-8")
    assert (replaced > 0) == (repaired != b'<?xml version="1.0"?><rss>' + noise)
