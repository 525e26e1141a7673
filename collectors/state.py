"""What the collector remembers between polls and restarts, in one SQLite file.

Per feed: HTTP validators, the last body's hash, the adaptive interval, the failure
streak and the next poll time; the ids of entries already published; and, for API
sources that page from a position (a ``since_id``, a date), that position: the
cursor. Each save is one transaction in WAL mode with full sync, so a crash leaves
the previous save intact: a poll is repeated, never skipped.

So that a repeated poll does not re-emit what the broker already took, the items
about to be published are journaled first (``begin_publish``: their ids and the
end offsets of ``items.raw`` before the send). A save after the broker's
acknowledgement clears the journal; a crash leaves it, and the next poll settles
it (``settle``) by marking as seen those journaled items found on the topic.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from collectors.protocol import Validators
from tocsin.errors import StorageError

SCHEMA_VERSION = 1
_CHUNK = 500  # ids per IN (...) query, well under SQLite's variable limit

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS feeds (
        name TEXT PRIMARY KEY,
        etag TEXT,
        last_modified TEXT,
        body_sha256 TEXT,
        interval_s REAL,
        failures INTEGER NOT NULL DEFAULT 0,
        next_poll REAL,
        last_success REAL,
        last_error TEXT,
        last_error_at REAL
    )""",
    # seq orders ids by when a poll last listed them: the smallest are evicted first.
    # An INTEGER PRIMARY KEY keeps its values through VACUUM, unlike a bare rowid.
    """CREATE TABLE IF NOT EXISTS seen (
        seq INTEGER PRIMARY KEY,
        feed TEXT NOT NULL,
        item_id TEXT NOT NULL,
        UNIQUE (feed, item_id)
    )""",
    "CREATE INDEX IF NOT EXISTS seen_by_feed ON seen (feed, seq)",
    # Added after version 1 shipped, in its own table, so the layout stays version 1:
    # an older collector ignores the table, a newer one creates it in an older file.
    """CREATE TABLE IF NOT EXISTS cursors (
        feed TEXT PRIMARY KEY,
        cursor TEXT NOT NULL
    )""",
    # The publish journal (same rule: added tables, layout version 1).
    """CREATE TABLE IF NOT EXISTS pending (
        feed TEXT NOT NULL,
        item_id TEXT NOT NULL,
        content_sha256 TEXT NOT NULL,
        deleted INTEGER NOT NULL,
        seen_keys TEXT NOT NULL,
        PRIMARY KEY (feed, item_id, content_sha256, deleted)
    )""",
    """CREATE TABLE IF NOT EXISTS pending_offsets (
        feed TEXT NOT NULL,
        partition INTEGER NOT NULL,
        start INTEGER NOT NULL,
        PRIMARY KEY (feed, partition)
    )""",
)


class StateError(StorageError, RuntimeError):
    """The state file cannot be opened or has an unknown layout."""


@dataclass(frozen=True)
class FeedState:
    name: str
    etag: str | None = None
    last_modified: str | None = None
    body_sha256: str | None = None
    interval_s: float | None = None
    """The adaptive interval; None until the first successful poll."""
    failures: int = 0
    """Consecutive failed polls; 0 after any success."""
    next_poll: datetime | None = None
    last_success: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    cursor: str | None = None
    """Where an API source resumes (opaque to the store); None for feeds and before the first poll."""

    @property
    def validators(self) -> Validators:
        return Validators(self.etag, self.last_modified, self.body_sha256)


@dataclass(frozen=True)
class PendingItem:
    """An item of a publish that was not acknowledged yet, and the keys to mark it seen by."""

    item_id: str
    content_sha256: str
    deleted: bool
    seen_keys: tuple[str, ...]

    @property
    def version(self) -> tuple[str, str, bool]:
        return (self.item_id, self.content_sha256, self.deleted)


@dataclass(frozen=True)
class PendingPublish:
    items: list[PendingItem]
    offsets: dict[int, int]
    """``items.raw`` partition → end offset before the send: where to look for the items."""


def _ts(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def _dt(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None


class StateStore:
    """Thread-safe (one lock), so the async runner can call it from worker threads."""

    def __init__(self, path: Path | str, *, seen_limit: int) -> None:
        self.path = Path(path)
        self.seen_limit = seen_limit
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                       timeout=30.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, SCHEMA_VERSION):
                raise StateError(f"{self.path}: state schema version {version}, this collector "
                                 f"knows version {SCHEMA_VERSION}")
            with self._transaction():
                for statement in _SCHEMA:
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.Error as exc:
            raise StateError(f"{self.path}: cannot open the collector state: {exc}") from exc

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)

    def load(self, name: str) -> FeedState:
        """The stored state of a feed, or a fresh one for a feed never polled."""
        with self._lock:
            row = self._db.execute(
                "SELECT etag, last_modified, body_sha256, interval_s, failures, next_poll, last_success,"
                " last_error, last_error_at FROM feeds WHERE name = ?", (name,)).fetchone()
            cursor_row = self._db.execute("SELECT cursor FROM cursors WHERE feed = ?", (name,)).fetchone()
        cursor = cursor_row[0] if cursor_row else None
        if row is None:
            return FeedState(name, cursor=cursor)
        return FeedState(name, row[0], row[1], row[2], row[3], row[4], _dt(row[5]), _dt(row[6]), row[7],
                         _dt(row[8]), cursor)

    def unseen(self, name: str, ids: Sequence[str]) -> list[str]:
        """The ids not yet published for this feed, in the given order, without repeats."""
        unique = list(dict.fromkeys(ids))
        seen: set[str] = set()
        with self._lock:
            for start in range(0, len(unique), _CHUNK):
                chunk = unique[start:start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                seen.update(row[0] for row in self._db.execute(
                    f"SELECT item_id FROM seen WHERE feed = ? AND item_id IN ({marks})", (name, *chunk)))
        return [item_id for item_id in unique if item_id not in seen]

    def seen_count(self, name: str) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM seen WHERE feed = ?", (name,)).fetchone()[0])

    def begin_publish(self, name: str, items: Sequence[PendingItem], offsets: Mapping[int, int]) -> None:
        """Journal the items about to be published (replacing any earlier journal of the feed)."""
        with self._lock, self._transaction():
            self._clear_pending(name)
            self._db.executemany(
                "INSERT OR REPLACE INTO pending (feed, item_id, content_sha256, deleted, seen_keys)"
                " VALUES (?, ?, ?, ?, ?)",
                [(name, item.item_id, item.content_sha256, int(item.deleted), json.dumps(item.seen_keys))
                 for item in items])
            self._db.executemany("INSERT INTO pending_offsets (feed, partition, start) VALUES (?, ?, ?)",
                                 [(name, partition, start) for partition, start in offsets.items()])

    def pending(self, name: str) -> PendingPublish | None:
        """The journal of a publish that was never acknowledged, if there is one."""
        with self._lock:
            rows = self._db.execute("SELECT item_id, content_sha256, deleted, seen_keys FROM pending"
                                    " WHERE feed = ?", (name,)).fetchall()
            offsets = dict(self._db.execute("SELECT partition, start FROM pending_offsets WHERE feed = ?",
                                            (name,)).fetchall())
        if not rows:
            return None
        return PendingPublish([PendingItem(row[0], row[1], bool(row[2]), tuple(json.loads(row[3])))
                               for row in rows], offsets)

    def settle(self, name: str, seen_keys: Iterable[str]) -> None:
        """Mark the journaled items found on the topic as seen, and drop the journal, atomically."""
        ordered = list(dict.fromkeys(seen_keys))
        with self._lock, self._transaction():
            self._clear_pending(name)
            self._db.executemany("INSERT OR REPLACE INTO seen (feed, item_id) VALUES (?, ?)",
                                 [(name, key) for key in ordered])

    def _clear_pending(self, name: str) -> None:
        self._db.execute("DELETE FROM pending WHERE feed = ?", (name,))
        self._db.execute("DELETE FROM pending_offsets WHERE feed = ?", (name,))

    def save(self, state: FeedState, seen_ids: Iterable[str] = (), *, published: bool = False) -> None:
        """Write the feed's state (its cursor included) and mark ``seen_ids`` as published, atomically.

        Pass every id the poll listed, newest first as feeds list them: ids still in
        the feed are refreshed, so eviction removes those that left the feed first.
        ``published``: the journaled publish was acknowledged, so its journal goes too.
        """
        ordered = list(dict.fromkeys(seen_ids))
        ordered.reverse()  # the newest entry gets the highest seq, so it is evicted last
        with self._lock, self._transaction():
            if published:
                self._clear_pending(state.name)
            self._db.execute(
                "INSERT INTO feeds (name, etag, last_modified, body_sha256, interval_s, failures, next_poll,"
                " last_success, last_error, last_error_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET etag = excluded.etag,"
                " last_modified = excluded.last_modified, body_sha256 = excluded.body_sha256,"
                " interval_s = excluded.interval_s, failures = excluded.failures,"
                " next_poll = excluded.next_poll, last_success = excluded.last_success,"
                " last_error = excluded.last_error, last_error_at = excluded.last_error_at",
                (state.name, state.etag, state.last_modified, state.body_sha256, state.interval_s,
                 state.failures, _ts(state.next_poll), _ts(state.last_success), state.last_error,
                 _ts(state.last_error_at)))
            if state.cursor is None:
                self._db.execute("DELETE FROM cursors WHERE feed = ?", (state.name,))
            else:
                self._db.execute("INSERT INTO cursors (feed, cursor) VALUES (?, ?)"
                                 " ON CONFLICT (feed) DO UPDATE SET cursor = excluded.cursor",
                                 (state.name, state.cursor))
            if ordered:
                self._db.executemany("INSERT OR REPLACE INTO seen (feed, item_id) VALUES (?, ?)",
                                     [(state.name, item_id) for item_id in ordered])
                self._db.execute(
                    "DELETE FROM seen WHERE feed = ? AND seq <= (SELECT seq FROM seen WHERE feed = ?"
                    " ORDER BY seq DESC LIMIT 1 OFFSET ?)", (state.name, state.name, self.seen_limit))


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, or ``ROLLBACK`` on any exception."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            self._db.execute("COMMIT")
        else:
            self._db.execute("ROLLBACK")
