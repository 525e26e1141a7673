"""tocsin.event_time: what a source may claim as an item's time, and what it may not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tocsin.event_time import (
    FUTURE_COLLECTED,
    FUTURE_DATED,
    IMPLAUSIBLY_OLD,
    bound_event_time,
    record_timestamp,
)
from tocsin.schema import Item, SourceRef
from tocsin.settings import EventTimeSettings

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LIMITS = EventTimeSettings()


def item(published: datetime | None, collected: datetime = NOW) -> Item:
    return Item(id="i-1", source=SourceRef(type="rss", name="feed-a"), title="t", published=published,
                collected=collected, raw_sha256="0" * 64, content_sha256="1" * 64)


def test_an_entry_dated_9999_is_clamped_to_its_collection_time_and_flagged() -> None:
    claimed = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    bounded = bound_event_time(item(claimed), NOW, LIMITS)
    assert (bounded.published, bounded.claimed_published) == (NOW, claimed)
    assert bounded.integrity_flags == [FUTURE_DATED]
    assert bounded.event_time == NOW


def test_a_clock_a_few_minutes_fast_is_left_alone() -> None:
    slightly = NOW + timedelta(seconds=LIMITS.max_ahead_s - 1)
    bounded = bound_event_time(item(slightly), NOW, LIMITS)
    assert (bounded.published, bounded.claimed_published, bounded.integrity_flags) == (slightly, None, [])


def test_years_1000_and_0001_are_kept_but_flagged_implausibly_old() -> None:
    for year in (1000, 1, LIMITS.oldest_year - 1):
        claimed = datetime(year, 1, 1, tzinfo=UTC)
        bounded = bound_event_time(item(claimed), NOW, LIMITS)
        assert (bounded.published, bounded.integrity_flags) == (claimed, [IMPLAUSIBLY_OLD])


def test_a_collection_time_in_the_future_is_brought_back_to_now() -> None:
    """Only a producer that bypassed the collector can send one: the processors bound it too."""
    later = datetime(2300, 1, 1, tzinfo=UTC)
    bounded = bound_event_time(item(None, collected=later), NOW, LIMITS)
    assert (bounded.collected, bounded.event_time) == (NOW, NOW)
    assert bounded.integrity_flags == [FUTURE_COLLECTED]


def test_bounding_twice_changes_nothing_more_and_keeps_the_first_claim() -> None:
    claimed = datetime(2300, 1, 1, tzinfo=UTC)
    once = bound_event_time(item(claimed), NOW, LIMITS)
    twice = bound_event_time(once, NOW + timedelta(minutes=5), LIMITS)
    assert twice == once


def test_a_record_timestamp_never_goes_before_the_epoch() -> None:
    """Kafka timestamps are milliseconds since 1970; a negative one is refused by brokers."""
    assert record_timestamp(datetime(1, 1, 1, tzinfo=UTC)) is None
    assert record_timestamp(NOW) == NOW.timestamp()


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                    timezones=st.just(UTC)) | st.none(),
       st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)))
def test_no_bounded_event_time_is_ever_beyond_now_plus_the_skew(published: datetime | None,
                                                                collected: datetime) -> None:
    bounded = bound_event_time(item(published, collected), NOW, LIMITS)
    assert bounded.event_time <= NOW + timedelta(seconds=LIMITS.max_ahead_s)
    assert bounded.collected <= NOW + timedelta(seconds=LIMITS.max_ahead_s)
