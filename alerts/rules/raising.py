"""An alert as every rule type raises it: a deterministic id, its window, its wording,
the items that made it and the area they are in.

The rule type says what it measured (``count``, ``threshold``, a ``what`` for the
title, ``details``); the rest is the same for all, so feeds, CAP and e-mail read
every rule type's alerts alike.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from alerts.area import area_of
from alerts.rules.base import RuleConfig
from alerts.rules.counts import Sample
from tocsin.schema import Alert


def alert_id(rule: str, group_key: str, window_start: float) -> str:
    """Same rule, group and window → same id, so a replay re-raises nothing new."""
    digest = hashlib.sha256(f"{rule}\x1f{group_key}\x1f{window_start:.0f}".encode()).hexdigest()
    return f"a-{digest[:32]}"


def at(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def human(seconds: float) -> str:
    """``3600`` → ``1h``: a duration as a person would write it in a rules file."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def where(group: dict[str, str | None]) -> str:
    return ", ".join(f"{k} {v}" for k, v in group.items())


def raise_alert(config: RuleConfig, group_key: str, group: dict[str, str | None], *, what: str,
                window: tuple[float, float], count: int, threshold: int, seen: tuple[float, float],
                samples: Sequence[Sample], **measured: Any) -> Alert:
    """The alert for one group and window; ``what`` words the measure for the title
    (``"3 items in 1h"``), ``seen`` is (first, last) event time, ``measured`` the rule
    type's own fields (``expected``, ``z_score``, ``details``)."""
    return Alert(
        id=alert_id(config.name, group_key, window[0]),
        rule=config.name, rule_type=config.type, severity=config.severity,
        title=f"{config.name}: {what} ({where(group)})", description=config.description,
        group=group, group_key=group_key, window_start=at(window[0]), window_end=at(window[1]),
        count=count, threshold=threshold, first_seen=at(seen[0]), last_seen=at(seen[1]),
        sample_item_ids=[s["id"] for s in samples], sample_titles=[s["title"] for s in samples],
        sample_urls=[s["url"] for s in samples], area=area_of(group, samples),
        **measured,
    )
