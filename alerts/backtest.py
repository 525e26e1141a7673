"""``tocsin backtest RULE --from --to``: replay the archive through a rule.

The archive's items between two times, in event-time order, go through the same
rules engine and lifecycle the worker runs, with dict-backed state and the
event time as the clock; clock ticks are made every ``tick_s`` of event time so
alerts resolve (and flatlines raise) as they would have live. The result is the
alert versions the rule would have published.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from elasticsearch import AsyncElasticsearch

from alerts.engine import Engine
from alerts.rules.base import Rule, match_all
from alerts.state import MappingStore
from tocsin.documents import from_document
from tocsin.errors import InputError
from tocsin.schema import Alert, EnrichedItem

PAGE = 1000


class BacktestError(InputError, ValueError):
    """The rule or the time range cannot be backtested (the message says why)."""


def pick_rule(rules: list[Rule], name: str) -> Rule:
    for rule in rules:
        if rule.config.name == name:
            return rule
    known = ", ".join(rule.config.name for rule in rules) or "none"
    raise BacktestError(f"no rule named {name!r} in the rules file; known: {known}")


class Replay:
    """Feed items in event-time order; get the versions each makes, then the rest at ``finish``."""

    def __init__(self, rule: Rule, start: datetime, end: datetime, tick_s: float = 60.0) -> None:
        if end <= start:
            raise BacktestError(f"--to ({end.isoformat()}) must be after --from ({start.isoformat()})")
        if tick_s <= 0:
            raise BacktestError("--tick must be positive")
        # A rule switched off in the file can still be tried out.
        self.rule = type(rule)(rule.config.model_copy(update={"enabled": True}))
        self.engine = Engine([self.rule], MappingStore(), MappingStore())
        self.start, self.end, self.tick_s = start, end, tick_s
        self.next_tick = start + timedelta(seconds=tick_s)
        self.items = 0

    def _ticks_until(self, moment: datetime) -> Iterator[Alert]:
        while self.next_tick <= moment:
            for watched in list(self.engine.watched()):
                yield from self.engine.handle(watched.tick(self.next_tick), self.next_tick.timestamp())
            self.next_tick += timedelta(seconds=self.tick_s)

    def feed(self, item: EnrichedItem) -> list[Alert]:
        when = item.event_time
        if not self.start <= when < self.end:
            return []
        self.items += 1
        made = list(self._ticks_until(when))
        for match in match_all([self.rule], item):
            made += self.engine.handle(match, when.timestamp())
        return made

    def finish(self) -> list[Alert]:
        return list(self._ticks_until(self.end))


def replay(rule: Rule, items: Iterable[EnrichedItem], start: datetime, end: datetime,
           tick_s: float = 60.0) -> list[Alert]:
    """Alert versions, in order, that ``rule`` makes from ``items`` (sorted by event time)."""
    run = Replay(rule, start, end, tick_s)
    made = [version for item in items for version in run.feed(item)]
    return made + run.finish()


async def archived_items(es: AsyncElasticsearch, index: str, start: datetime,
                         end: datetime) -> AsyncIterator[EnrichedItem]:
    """Every archived item with event time in [start, end), oldest first, page by page."""
    after: list[Any] | None = None
    while True:
        body: dict[str, Any] = {
            "size": PAGE,
            "query": {"range": {"event_time": {"gte": start.isoformat(), "lt": end.isoformat()}}},
            "sort": [{"event_time": {"order": "asc"}}, {"id": {"order": "asc"}}],
        }
        if after is not None:
            body["search_after"] = after
        hits = (await es.search(index=index, **body))["hits"]["hits"]
        for hit in hits:
            yield from_document(hit["_source"])
        if len(hits) < PAGE:
            return
        after = hits[-1]["sort"]


def describe(alert: Alert) -> str:
    """One line per version, for a terminal: no control characters from scraped text."""
    from tocsin.terminal import printable

    when = alert.updated_at.isoformat(timespec="seconds")
    return printable(f"{when}  {alert.event:<12} v{alert.version:<3} {alert.severity:<8} "
                     f"{alert.group_key}  count={alert.count}  {alert.id}")


def as_json(alert: Alert) -> str:
    return json.dumps(alert.model_dump(mode="json"), ensure_ascii=False)
