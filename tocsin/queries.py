"""Search requests over the archive and the alerts index, as pure functions.

One place builds the Elasticsearch query for "items matching these filters" and
"alerts matching these filters", so the command line, the HTTP API and exports
ask the same question the same way. Nothing here talks to a server.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from tocsin.durations import parse_duration
from tocsin.errors import QueryError
from tocsin.schema import SEVERITIES

ITEM_TIME_FIELD = "event_time"
"""The item's event time (publication, else collection): ranges and sorting use it."""

ALERT_STATUSES = ("open", "resolved")
ItemSort = Literal["relevance", "newest", "oldest"]
ITEM_SORTS: tuple[ItemSort, ...] = ("relevance", "newest", "oldest")

# Category names become part of a field path (``scores.<name>``): keep them plain.
_CATEGORY = re.compile(r"^[a-z0-9_]{1,64}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


def parse_time(value: str, *, now: datetime | None = None) -> datetime:
    """An instant from ISO 8601 (a date, or a date and time; naive means UTC),
    ``now``, or a duration back from now (``24h``, ``7d``)."""
    text = value.strip()
    now = now or datetime.now(UTC)
    if text.lower() == "now":
        return now
    try:
        return now - timedelta(seconds=parse_duration(text))
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise QueryError(
            f"not a time: {value!r} (use an ISO date or time such as 2026-11-01 or "
            f"2026-11-01T08:00Z, 'now', or a duration back from now such as 24h or 7d)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Near:
    lat: float
    lon: float
    km: float

    def __post_init__(self) -> None:
        if not (-90 <= self.lat <= 90 and -180 <= self.lon <= 180):
            raise QueryError(f"not a place on Earth: {self.lat},{self.lon}")
        if not self.km > 0:
            raise QueryError(f"the radius must be positive, got {self.km} km")

    @classmethod
    def parse(cls, value: str) -> Near:
        """``lat,lon,km`` as the API's ``near`` parameter takes it."""
        parts = value.split(",")
        try:
            lat, lon, km = (float(part) for part in parts)
        except ValueError:
            raise QueryError(f"not lat,lon,km: {value!r}") from None
        return cls(lat, lon, km)


@dataclass(frozen=True)
class ItemFilters:
    """What a person asks of the archive. Lists mean "any of"; every given filter must hold."""

    text: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    langs: Sequence[str] = ()
    countries: Sequence[str] = ()
    admin1: Sequence[str] = ()
    categories: Sequence[str] = ()
    min_score: float | None = None
    sources: Sequence[str] = ()
    source_types: Sequence[str] = ()
    near: Near | None = None
    ids: Sequence[str] = field(default=())

    def __post_init__(self) -> None:
        if self.start and self.end and self.start >= self.end:
            raise QueryError(
                f"the start {self.start.isoformat()} is not before the end {self.end.isoformat()}")
        for name in self.categories:
            if not _CATEGORY.match(name):
                raise QueryError(f"not a category name: {name!r} (lower-case letters, digits, _)")
        for code in self.countries:
            if not _COUNTRY.match(code):
                raise QueryError(f"not an ISO 3166 alpha-2 country code: {code!r} (e.g. SD)")
        if self.min_score is not None:
            if not 0.0 <= self.min_score <= 1.0:
                raise QueryError(f"the minimum score must be between 0 and 1, got {self.min_score}")
            if not self.categories:
                raise QueryError("a minimum score needs a category to apply to")


def item_query(filters: ItemFilters) -> dict[str, Any]:
    """The ``query`` of a search over the items index."""
    must: list[dict[str, Any]] = []
    if filters.text and filters.text.strip():
        # simple_query_string never fails on syntax: hostile or sloppy input is just words.
        must.append({"simple_query_string": {"query": filters.text, "fields": ["title^2", "text"],
                                             "default_operator": "and"}})
    clauses: list[dict[str, Any]] = []
    if filters.start or filters.end:
        bounds: dict[str, str] = {}
        if filters.start:
            bounds["gte"] = filters.start.isoformat()
        if filters.end:
            bounds["lt"] = filters.end.isoformat()
        clauses.append({"range": {ITEM_TIME_FIELD: bounds}})
    for name, values in (("id", filters.ids), ("lang", filters.langs), ("country", filters.countries),
                         ("admin1", filters.admin1), ("source.name", filters.sources),
                         ("source.type", filters.source_types)):
        if values:
            clauses.append({"terms": {name: list(values)}})
    if filters.categories:
        if filters.min_score is None:
            clauses.append({"terms": {"categories": list(filters.categories)}})
        else:
            clauses.append({"bool": {"minimum_should_match": 1, "should": [
                {"range": {f"scores.{name}": {"gte": filters.min_score}}} for name in filters.categories]}})
    if filters.near:
        clauses.append({"geo_distance": {"distance": f"{filters.near.km}km",
                                         "location": {"lat": filters.near.lat, "lon": filters.near.lon}}})
    if not must and not clauses:
        return {"match_all": {}}
    return {"bool": {"must": must, "filter": clauses}}


def item_sort(order: ItemSort = "newest") -> list[dict[str, Any]]:
    """A total order (event time, then id), so ``search_after`` pages have no gaps or repeats."""
    if order == "relevance":
        return [{"_score": {"order": "desc"}}, {ITEM_TIME_FIELD: {"order": "desc"}}, {"id": {"order": "asc"}}]
    direction = "desc" if order == "newest" else "asc"
    return [{ITEM_TIME_FIELD: {"order": direction}}, {"id": {"order": direction}}]


@dataclass(frozen=True)
class AlertFilters:
    """What a person asks of the alerts (the API's list and feed, the command line). Lists
    mean "any of"; every given filter must hold. ``langs`` and ``cities`` match the alert's
    group (rules grouped by language or city)."""

    statuses: Sequence[str] = ()
    severities: Sequence[str] = ()
    rules: Sequence[str] = ()
    countries: Sequence[str] = ()
    langs: Sequence[str] = ()
    cities: Sequence[str] = ()

    @classmethod
    def from_params(cls, params: Mapping[str, str | None]) -> AlertFilters:
        """From query parameters ``status``, ``severity``, ``rule``, ``country``, ``lang``,
        ``city``, each comma-separated (any of); :class:`QueryError` for a bad value."""

        def many(name: str) -> tuple[str, ...]:
            return tuple(part.strip() for part in (params.get(name) or "").split(",") if part.strip())

        return cls(statuses=many("status"), severities=many("severity"), rules=many("rule"),
                   countries=tuple(code.upper() for code in many("country")), langs=many("lang"),
                   cities=many("city"))

    def __post_init__(self) -> None:
        for status in self.statuses:
            if status not in ALERT_STATUSES:
                raise QueryError(f"not an alert status: {status!r} (one of {', '.join(ALERT_STATUSES)})")
        for severity in self.severities:
            if severity not in SEVERITIES:
                raise QueryError(f"not a severity: {severity!r} (one of {', '.join(SEVERITIES)})")
        for code in self.countries:
            if not _COUNTRY.match(code):
                raise QueryError(f"not an ISO 3166 alpha-2 country code: {code!r} (e.g. SD)")


def alert_query(filters: AlertFilters) -> dict[str, Any]:
    """The ``query`` of a search over the alerts index (latest version of each alert)."""
    clauses: list[dict[str, Any]] = []
    for name, values in (("status", filters.statuses), ("severity", filters.severities),
                         ("rule", filters.rules), ("group.lang", filters.langs),
                         ("group.city", filters.cities)):
        if values:
            clauses.append({"terms": {name: list(values)}})
    if filters.countries:
        # A rule grouped by country carries it in its group; any alert may carry an area.
        clauses.append({"bool": {"minimum_should_match": 1, "should": [
            {"terms": {"group.country": list(filters.countries)}},
            {"terms": {"area.country": list(filters.countries)}}]}})
    return {"bool": {"filter": clauses}} if clauses else {"match_all": {}}


ALERT_SORT: list[dict[str, Any]] = [
    {"updated_at": {"order": "desc", "unmapped_type": "date"}},
    {"raised_at": {"order": "desc", "unmapped_type": "date"}},
    {"id": {"order": "asc"}},
]
"""Most recently changed first; ``unmapped_type`` keeps an empty or older index searchable."""


def encode_after(sort_values: Sequence[Any]) -> str:
    """An opaque page token from a hit's ``sort`` values (the API's ``next``)."""
    raw = json.dumps(list(sort_values), separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_after(token: str) -> list[Any]:
    """The ``search_after`` values back from a token; a forged or broken token is a ``QueryError``."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError):
        raise QueryError("not a page token from this server") from None
    if not isinstance(values, list) or not all(
            (isinstance(v, str | int | float) and not isinstance(v, bool)) or v is None for v in values):
        raise QueryError("not a page token from this server")
    return values
