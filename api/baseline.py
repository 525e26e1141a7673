"""``/baseline``: the counts behind a rule for an alert's group, recently.

A "surge" means little without what came before it: the dashboard draws these counts
as a sparkline beside each alert. They are the archived items the rule would count
(its item filter) in the alert's group (its group values), per hour over two days
when the rule's window is a few hours at most, else per day over thirty days, ending
with the alert's window. The rule comes from the running rules file; a rule renamed
or removed since is matched on the group alone, and the answer says so. The client
sends the rule, group and window end it holds (a version fresh off the stream may
not be indexed yet).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from api.stage_config import RuleView
from tocsin.queries import ITEM_TIME_FIELD, ItemFilters, QueryError, item_query
from tocsin.schema import MISSING_GROUP_VALUE

Interval = Literal["hour", "day"]
HOURLY_UP_TO_S = 6 * 3600.0
_FIELD = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
SPANS: dict[Interval, tuple[timedelta, timedelta]] = {
    "hour": (timedelta(hours=48), timedelta(hours=1)),
    "day": (timedelta(days=30), timedelta(days=1)),
}


@dataclass(frozen=True)
class Baseline:
    interval: Interval
    start: datetime
    end: datetime
    query: dict[str, Any]
    rule_found: bool


def _filters(rule_filter: dict[str, Any]) -> ItemFilters:
    """A rule's item filter (its given conditions, :attr:`RuleView.filter`) as an archive query."""
    categories = rule_filter.get("categories") or []
    min_score = float(rule_filter.get("min_score") or 0.0)
    return ItemFilters(
        categories=categories, langs=rule_filter.get("languages") or [],
        countries=rule_filter.get("countries") or [], admin1=rule_filter.get("admin1") or [],
        sources=rule_filter.get("sources") or [], source_types=rule_filter.get("source_types") or [],
        min_score=min_score if categories and min_score > 0 else None)


def place_clause(rule_filter: dict[str, Any]) -> list[dict[str, Any]]:
    """The rule's ``places`` condition (any of the names, as the rule compares them: case-folded)."""
    names = rule_filter.get("places") or []
    if not names:
        return []
    return [{"bool": {"minimum_should_match": 1, "should": [
        {"term": {"places.name": {"value": name, "case_insensitive": True}}} for name in names]}}]


def group_clauses(group: dict[str, str | None]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(filter, must_not) clauses for the group's values; ``unknown`` means the field is absent."""
    keep: list[dict[str, Any]] = []
    absent: list[dict[str, Any]] = []
    for field, value in sorted(group.items()):
        if value is None or value == MISSING_GROUP_VALUE:
            absent.append({"exists": {"field": field}})
        else:
            keep.append({"term": {field: value}})
    return keep, absent


def parse_group(pairs: list[str]) -> dict[str, str | None]:
    """``field:value`` pairs (``field:`` for a missing value) as a group; ``QueryError`` otherwise."""
    group: dict[str, str | None] = {}
    for pair in pairs:
        field, sep, value = pair.partition(":")
        if not sep or not _FIELD.match(field):
            raise QueryError(f"not field:value: {pair!r}")
        group[field] = value or None
    return group


def baseline(group: dict[str, str | None], until: datetime, rule: RuleView | None) -> Baseline:
    """The plan for the counts of ``rule``'s items in ``group`` up to ``until`` (the alert's window end)."""
    window_s = float(rule.window_s or 0.0) if rule is not None else 0.0
    interval: Interval = "hour" if 0 < window_s <= HOURLY_UP_TO_S or rule is None else "day"
    span = SPANS[interval][0]
    end = _ceil(until, interval)
    start = end - span
    base = item_query(_filters(rule.filter)) if rule is not None else {"match_all": {}}
    keep, absent = group_clauses(group)
    if rule is not None:
        keep += place_clause(rule.filter)
    keep.append({"range": {ITEM_TIME_FIELD: {"gte": start.isoformat(), "lt": end.isoformat()}}})
    query = {"bool": {"must": [base], "filter": keep, "must_not": absent}}
    return Baseline(interval, start, end, query, rule is not None)


def _ceil(moment: datetime, interval: Interval) -> datetime:
    moment = moment.astimezone(UTC)
    floor = moment.replace(minute=0, second=0, microsecond=0)
    if interval == "day":
        floor = floor.replace(hour=0)
    step = SPANS[interval][1]
    return floor if floor == moment else floor + step


def counts(plan: Baseline, buckets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One count per interval from start to end, zeros included (the server leaves empty ones out)."""
    by_start = {int(bucket["key"]): int(bucket["doc_count"]) for bucket in buckets}
    step = SPANS[plan.interval][1]
    out = []
    moment = plan.start
    while moment < plan.end:
        epoch_ms = int(moment.timestamp() * 1000)
        out.append({"ts": epoch_ms, "count": by_start.get(epoch_ms, 0)})
        moment += step
    return out


def aggregation(plan: Baseline) -> dict[str, Any]:
    return {"counts": {"date_histogram": {"field": ITEM_TIME_FIELD, "calendar_interval": plan.interval,
                                          "min_doc_count": 1}}}
