"""collectors.state: the SQLite state file survives restarts and failed writes."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from collectors.state import FeedState, StateStore

WHEN = datetime(2024, 5, 15, 12, 0, tzinfo=UTC)


def test_a_feed_never_polled_has_a_fresh_state(tmp_path: Path) -> None:
    with StateStore(tmp_path / "s.db", seen_limit=10) as store:
        assert store.load("wire") == FeedState("wire")


def test_parent_directories_are_created(tmp_path: Path) -> None:
    with StateStore(tmp_path / "a" / "b" / "s.db", seen_limit=10):
        pass
    assert (tmp_path / "a" / "b" / "s.db").is_file()


def test_state_and_seen_ids_survive_reopening(tmp_path: Path) -> None:
    state = FeedState("wire", etag='"v1"', last_modified="Tue, 14 May 2024 09:00:00 GMT", body_sha256="ab",
                      interval_s=450.0, failures=2, next_poll=WHEN, last_success=WHEN, last_error="HTTP 500",
                      last_error_at=WHEN)
    with StateStore(tmp_path / "s.db", seen_limit=10) as store:
        store.save(state, ["i-1", "i-2"])
    with StateStore(tmp_path / "s.db", seen_limit=10) as store:
        assert store.load("wire") == state
        assert store.unseen("wire", ["i-2", "i-3", "i-1"]) == ["i-3"]


def test_seen_ids_are_kept_per_feed(tmp_path: Path) -> None:
    with StateStore(tmp_path / "s.db", seen_limit=10) as store:
        store.save(FeedState("a"), ["i-1"])
        assert store.unseen("b", ["i-1"]) == ["i-1"]


def test_unseen_keeps_order_and_drops_repeats(tmp_path: Path) -> None:
    with StateStore(tmp_path / "s.db", seen_limit=10) as store:
        assert store.unseen("wire", ["c", "a", "c", "b"]) == ["c", "a", "b"]


def test_unseen_handles_more_ids_than_one_query_takes(tmp_path: Path) -> None:
    ids = [f"i-{n}" for n in range(1200)]
    with StateStore(tmp_path / "s.db", seen_limit=5000) as store:
        store.save(FeedState("wire"), ids[:700])
        assert store.unseen("wire", ids) == ids[700:]


def test_seen_ids_are_bounded_and_the_oldest_are_evicted(tmp_path: Path) -> None:
    with StateStore(tmp_path / "s.db", seen_limit=3) as store:
        store.save(FeedState("wire"), ["i-2", "i-1"])        # feed order: newest first
        store.save(FeedState("wire"), ["i-4", "i-3"])
        assert store.seen_count("wire") == 3
        assert store.unseen("wire", ["i-1", "i-2", "i-3", "i-4"]) == ["i-1"]


def test_the_memory_is_sized_to_the_feed_so_a_long_feed_is_not_re_emitted(tmp_path: Path) -> None:
    """Issue 14: a feed of 100,000 entries re-emitted 95,001 when one was added (5,000 remembered)."""
    listing = [f"i-{n}" for n in range(100_000, 0, -1)]  # newest first
    with StateStore(tmp_path / "s.db", seen_limit=5000) as store:
        store.save(FeedState("long"), listing)
        assert store.seen_count("long") == 100_000
        assert store.unseen("long", ["i-100001", *listing]) == ["i-100001"]
        store.save(FeedState("long"), ["i-100001", *listing[:-1]])  # one added, the oldest left the feed
        assert store.seen_count("long") == 100_000
        assert store.unseen("long", ["i-1", "i-2", "i-100001"]) == ["i-1"]


def test_ids_still_listed_are_refreshed_and_not_evicted(tmp_path: Path) -> None:
    with StateStore(tmp_path / "s.db", seen_limit=3) as store:
        store.save(FeedState("wire"), ["i-3", "i-2", "i-1"])
        store.save(FeedState("wire"), ["i-4", "i-1"])  # i-1 is still in the feed
        assert store.unseen("wire", ["i-1", "i-2", "i-3", "i-4"]) == ["i-2"]


def test_a_write_interrupted_inside_the_transaction_is_rolled_back(tmp_path: Path) -> None:
    with StateStore(tmp_path / "s.db", seen_limit=10) as store:
        store.save(FeedState("wire", etag='"v1"'), ["i-1"])
        store.seen_limit = "not a number"  # type: ignore[assignment]  # makes the eviction query fail
        with pytest.raises(Exception):  # noqa: B017
            store.save(FeedState("wire", etag='"v2"'), ["i-2"])
    with StateStore(tmp_path / "s.db", seen_limit=10) as store:
        assert store.load("wire").etag == '"v1"'
        assert store.unseen("wire", ["i-2"]) == ["i-2"]


def test_a_cursor_survives_reopening_and_none_removes_it(tmp_path: Path) -> None:
    with StateStore(tmp_path / "s.db", seen_limit=10) as store:
        store.save(FeedState("api", cursor="110"))
        store.save(FeedState("other", cursor="7"))
    with StateStore(tmp_path / "s.db", seen_limit=10) as store:
        assert store.load("api").cursor == "110" and store.load("other").cursor == "7"
        store.save(FeedState("api"))
        assert store.load("api").cursor is None and store.load("other").cursor == "7"


def test_a_state_file_written_before_cursors_existed_opens_and_keeps_its_state(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:  # the version-1 layout as first shipped, without the cursors table
        db.execute("CREATE TABLE feeds (name TEXT PRIMARY KEY, etag TEXT, last_modified TEXT,"
                   " body_sha256 TEXT, interval_s REAL, failures INTEGER NOT NULL DEFAULT 0,"
                   " next_poll REAL, last_success REAL, last_error TEXT, last_error_at REAL)")
        db.execute("CREATE TABLE seen (seq INTEGER PRIMARY KEY, feed TEXT NOT NULL, item_id TEXT NOT NULL,"
                   " UNIQUE (feed, item_id))")
        db.execute("INSERT INTO feeds (name, etag) VALUES ('wire', '\"v1\"')")
        db.execute("INSERT INTO seen (feed, item_id) VALUES ('wire', 'i-1')")
        db.execute("PRAGMA user_version=1")
    with StateStore(path, seen_limit=10) as store:
        assert store.load("wire") == FeedState("wire", etag='"v1"')
        assert store.unseen("wire", ["i-1", "i-2"]) == ["i-2"]
        store.save(FeedState("wire", etag='"v1"', cursor="c"))
        assert store.load("wire").cursor == "c"
