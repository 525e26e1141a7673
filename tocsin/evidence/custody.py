"""The custody log's hash chain: sealing an entry and checking a log.

Each entry's ``sha256`` is the SHA-256 of its canonical JSON (see ``snapshot``)
without the ``sha256`` field, and each entry names the ``sha256`` of the one
before, so editing or deleting an entry breaks every later link unless all of
them are rewritten too; an exported bundle pins the head, which makes even that
visible against a bundle already handed out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tocsin.evidence.records import CustodyAction, CustodyEntry
from tocsin.evidence.snapshot import canonical_json, sha256_hex

GENESIS = "0" * 64
"""``prev_sha256`` of an alert's first entry."""


def entry_hash(fields: Mapping[str, Any]) -> str:
    """SHA-256 of an entry's JSON form, leaving out its own ``sha256``."""
    return sha256_hex(canonical_json({k: v for k, v in fields.items() if k != "sha256"}))


def seal(*, alert_id: str, seq: int, prev_sha256: str, action: CustodyAction, actor: str, at: datetime,
         detail: str = "", items: Mapping[str, str | None] | None = None) -> CustodyEntry:
    draft = CustodyEntry(alert_id=alert_id, seq=seq, action=action, actor=actor, at=at, detail=detail,
                         items=dict(items or {}), prev_sha256=prev_sha256, sha256=GENESIS)
    return draft.model_copy(update={"sha256": entry_hash(draft.model_dump(mode="json"))})


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    problems: list[str] = field(default_factory=list)
    head_sha256: str = GENESIS
    """sha256 of the last entry (GENESIS for an empty log): pin it to detect truncation."""


def verify_custody(entries: Iterable[CustodyEntry], alert_id: str | None = None) -> ChainReport:
    """Check a log, oldest first: contiguous seqs from 1, one alert, every hash and link."""
    problems: list[str] = []
    prev = GENESIS
    expected_alert = alert_id
    for position, entry in enumerate(entries, start=1):
        where = f"entry {position} (seq {entry.seq}, {entry.action})"
        if expected_alert is None:
            expected_alert = entry.alert_id
        if entry.alert_id != expected_alert:
            problems.append(f"{where}: belongs to alert {entry.alert_id!r}, not {expected_alert!r}")
        if entry.seq != position:
            problems.append(f"{where}: expected seq {position} (an entry is missing or out of order)")
        if entry.prev_sha256 != prev:
            problems.append(f"{where}: prev_sha256 {entry.prev_sha256} does not match the previous "
                            f"entry's sha256 {prev}")
        actual = entry_hash(entry.model_dump(mode="json"))
        if entry.sha256 != actual:
            problems.append(f"{where}: sha256 {entry.sha256} does not match its content ({actual})")
        prev = entry.sha256
    return ChainReport(ok=not problems, problems=problems, head_sha256=prev)


def announced(chain: Iterable[CustodyEntry]) -> dict[str, str | None]:
    """Item id → snapshot hash (None: missing) as the frozen entries of a log announce them."""
    items: dict[str, str | None] = {}
    for entry in chain:
        if entry.action == "frozen":
            for item_id, digest in entry.items.items():
                if digest is not None or item_id not in items:
                    items[item_id] = digest
    return items
