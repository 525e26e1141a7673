from __future__ import annotations

from datetime import UTC, datetime, timedelta

import feedparser
import pytest

from tocsin.errors import QueryError
from tocsin.formats.atom import alert_summary, feed_size, render_atom
from tocsin.schema import Alert

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def alert(alert_id: str, minutes: int, title: str = "hs: 3 items", url: str | None = "https://x/1") -> Alert:
    at = T0 + timedelta(minutes=minutes)
    return Alert(id=alert_id, rule="hs", rule_type="frequency", title=title, group={"country": "SD"},
                 group_key="country=SD", window_start=at, window_end=at, count=3, threshold=3,
                 sample_item_ids=["i-1"], sample_titles=["<script>alert(1)</script> & more"],
                 sample_urls=[url], first_seen=at, last_seen=at, raised_at=at)


def test_entries_are_newest_first() -> None:
    feed = feedparser.parse(render_atom([alert("a2", 10), alert("a1", 0)], feed_url="http://h/alerts.atom"))
    assert [e.id for e in feed.entries] == ["urn:tocsin:alert:a2", "urn:tocsin:alert:a1"]


def test_scraped_text_is_escaped_not_markup() -> None:
    body = render_atom([alert("a1", 0, title="<b>x</b>\x07")], feed_url="http://h/alerts.atom")
    assert b"<script>" not in body and b"&lt;script&gt;" in body
    assert b"<b>x</b>" not in body
    assert not feedparser.parse(body).bozo


def test_only_http_links_are_emitted() -> None:
    body = render_atom([alert("a1", 0, url="javascript:alert(1)")], feed_url="http://h/alerts.atom")
    assert b"javascript:" not in body


def test_summary_shows_expected_z_score_and_details_when_set() -> None:
    plain = alert_summary(alert("a1", 0))
    assert "Expected" not in plain and "Details" not in plain
    spike = alert("a2", 0).model_copy(update={"expected": 1.5, "z_score": 2.25, "details": {"ratio": 2.0}})
    text = alert_summary(spike)
    assert "Expected 1.50, z-score 2.25." in text and "Details: ratio: 2.0." in text


@pytest.mark.parametrize(("limit", "size"), [(None, 100), ("", 100), ("7", 7), (" 1000 ", 1000)])
def test_feed_size_is_the_limit_or_the_configured_size(limit: str | None, size: int) -> None:
    assert feed_size(limit, 100) == size


@pytest.mark.parametrize("limit", ["0", "1001", "ten", "-1"])
def test_a_bad_limit_is_a_query_error(limit: str) -> None:
    with pytest.raises(QueryError, match="limit"):
        feed_size(limit, 100)
