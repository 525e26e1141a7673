"""Lead time of a backtest: would the rule have warned before the reference events, and how early?

``tocsin backtest RULE --from --to --events EVENTS.csv`` reads reference events — a
CSV with ``date`` (ISO date or time, UTC unless it says otherwise), ``country`` (ISO
3166 alpha-2) and optionally ``admin1``, ``type`` and ``name`` — and matches each with
the alerts the replay opened in its area: the same country (and first-level region,
when the event names one and the alert has one) opened from ``lookback`` before the
event to ``grace`` after it. An alert's time is the event time of the item that
raised it (its ``last_seen`` when it opened). Per event: matched or missed, and how
many hours before the event the earliest matching alert opened (negative: after);
then the alerts that matched no event.
"""

from __future__ import annotations

import csv
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tocsin.errors import InputError
from tocsin.schema import Alert


class EventsFileError(InputError, ValueError):
    """The reference events file cannot be read; the message names the file, row and column."""


@dataclass(frozen=True)
class ReferenceEvent:
    when: datetime
    country: str
    admin1: str | None = None
    type: str = ""
    name: str = ""


@dataclass(frozen=True)
class EventLead:
    event: ReferenceEvent
    alerts: list[Alert]

    @property
    def lead_hours(self) -> float | None:
        """Hours from the earliest matching alert to the event (negative: the alert came after)."""
        if not self.alerts:
            return None
        return (self.event.when - min(opened_at(a) for a in self.alerts)).total_seconds() / 3600


def read_events(path: Path) -> list[ReferenceEvent]:
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise EventsFileError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    events: list[ReferenceEvent] = []
    with handle:
        reader = csv.DictReader(handle)
        if not {"date", "country"} <= set(reader.fieldnames or ()):
            raise EventsFileError(f"{path}: needs columns date and country (optionally admin1, type, name); "
                                  f"columns: {sorted(reader.fieldnames or ())}")
        for number, row in enumerate(reader, start=2):
            try:
                when = datetime.fromisoformat((row["date"] or "").strip())
            except ValueError:
                raise EventsFileError(f"{path}: row {number}: column 'date': {row['date']!r} is not an ISO "
                                      "date or time") from None
            country = (row["country"] or "").strip().upper()
            if len(country) != 2 or not country.isalpha():
                raise EventsFileError(f"{path}: row {number}: column 'country': {row['country']!r} is not an "
                                      "ISO 3166 alpha-2 code")
            events.append(ReferenceEvent(
                when=when if when.tzinfo else when.replace(tzinfo=UTC), country=country,
                admin1=(row.get("admin1") or "").strip() or None, type=(row.get("type") or "").strip(),
                name=(row.get("name") or "").strip()))
    return events


def opened_at(alert: Alert) -> datetime:
    """When, in event time, the alert opened: the event time of the item that raised it."""
    return alert.last_seen


def alert_place(alert: Alert) -> tuple[str | None, str | None]:
    country = alert.group.get("country") or (alert.area.country if alert.area else None)
    admin1 = alert.group.get("admin1") or (alert.area.admin1 if alert.area else None)
    return (country.upper() if country else None), admin1


def in_area(alert: Alert, event: ReferenceEvent) -> bool:
    country, admin1 = alert_place(alert)
    if country != event.country:
        return False
    return event.admin1 is None or admin1 is None or admin1 == event.admin1


def lead_times(events: list[ReferenceEvent], versions: list[Alert], *,
               lookback: timedelta = timedelta(days=7),
               grace: timedelta = timedelta(days=1)) -> tuple[list[EventLead], list[Alert]]:
    """Each event with the alerts that warned of it, and the opened alerts that matched no event."""
    opened = [v for v in versions if v.event == "opened"]
    leads = [EventLead(event, [a for a in opened if in_area(a, event)
                               and event.when - lookback <= opened_at(a) <= event.when + grace])
             for event in events]
    matched = {id(a) for lead in leads for a in lead.alerts}
    return leads, [a for a in opened if id(a) not in matched]


def describe_lead(lead: EventLead) -> str:
    event = lead.event
    where = event.country + (f"/{event.admin1}" if event.admin1 else "")
    label = " ".join(p for p in (event.when.isoformat(), where, event.type, event.name) if p)
    hours = lead.lead_hours
    if hours is None:
        return f"MISSED  {label}"
    timing = f"{hours:.1f} h before" if hours >= 0 else f"{-hours:.1f} h after"
    return f"WARNED  {label}: {timing} ({len(lead.alerts)} alert{'s' if len(lead.alerts) != 1 else ''})"


def summary(leads: list[EventLead], unmatched: list[Alert]) -> str:
    warned = [lead.lead_hours for lead in leads if lead.lead_hours is not None]
    before = sorted(h for h in warned if h >= 0)
    median = statistics.median(before) if before else 0.0
    return (f"events={len(leads)} warned={len(warned)} warned_before={len(before)} "
            f"median_lead_h={median:.1f} unmatched_alerts={len(unmatched)}")
