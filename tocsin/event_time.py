"""Event time a source cannot push out of reach, bounded at the collector and again in the processors.

An item's event time (its publication time, else its collection time) places it
in the rules' windows. One entry dated 31 Dec 9999 would become the newest bucket
of its group and make every real item late; a date in the year 1000 is a broken
date, not news. So, against ``now`` (collection time at the collector, processing
time in the processors):

- published later than ``now + max_ahead_s``: replaced by the collection time
  (never later than ``now``), flagged ``future-dated``, the claim kept in
  ``claimed_published`` for the analyst;
- collected later than ``now + max_ahead_s`` (only a producer that bypassed the
  collector can send that): set to ``now``, flagged ``future-collected``;
- published before ``oldest_year``: kept, flagged ``implausibly-old`` (a late
  item is dropped by the rules anyway, and the date may be what an analyst needs).

Bounding is idempotent: the processors bound again what the collector bounded,
and a second pass changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TypeVar

from tocsin.schema import Item
from tocsin.settings import EventTimeSettings

FUTURE_DATED = "future-dated"
FUTURE_COLLECTED = "future-collected"
IMPLAUSIBLY_OLD = "implausibly-old"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

I = TypeVar("I", bound=Item)  # noqa: E741  (the item type, Item or EnrichedItem)


def bound_event_time(item: I, now: datetime, limits: EventTimeSettings) -> I:
    """``item`` with its times bounded as the module says; the same object if nothing changed."""
    ceiling = now + timedelta(seconds=limits.max_ahead_s)
    flags = list(item.integrity_flags)
    changes: dict[str, object] = {}
    collected = item.collected
    if collected > ceiling:
        collected = now
        changes["collected"] = now
        flags.append(FUTURE_COLLECTED)
    published = item.published
    if published is not None and published > ceiling:
        changes["published"] = min(collected, now)
        if item.claimed_published is None:
            changes["claimed_published"] = published
        flags.append(FUTURE_DATED)
    elif published is not None and published.year < limits.oldest_year:
        flags.append(IMPLAUSIBLY_OLD)
    flags = list(dict.fromkeys(flags))
    if flags != item.integrity_flags:
        changes["integrity_flags"] = flags
    return item.model_copy(update=changes) if changes else item


def record_timestamp(moment: datetime) -> float | None:
    """A Kafka record timestamp (seconds) for ``moment``; None (the broker's "now") before 1970,
    which Kafka's millisecond timestamps cannot hold."""
    return moment.timestamp() if moment >= _EPOCH else None
