"""Topic names: the only contract between the stages besides the record schema; and
:class:`Consumed`, what a stage's pure pipeline gets of a record its Faust shell read."""

from __future__ import annotations

from dataclasses import dataclass

ITEMS_RAW = "items.raw"
"""Normalised items from the collectors, keyed by item id."""

ITEMS_ENRICHED = "items.enriched"
"""Items with language, categories and places, after the archive acknowledged them."""

ITEMS_FUSION = "items.fusion"
"""Internal to the processors: enriched items incident fusion considers, keyed by country
(``-`` when none), so one worker fuses all of a country's reports."""

ITEMS_DLQ = "items.dlq"
"""Items no stage could handle, with the reason; nothing is dropped silently."""

ALERT_MATCHES = "alerts.matches"
"""Internal: one record per (rule, group) an item counts towards, keyed by that pair."""

ALERTS = "alerts"
"""Raised alerts, keyed by alert id."""

ALL = (ITEMS_RAW, ITEMS_FUSION, ITEMS_ENRICHED, ITEMS_DLQ, ALERT_MATCHES, ALERTS)


@dataclass(frozen=True)
class Consumed:
    """A consumed record, without the framework: the value, and where it was read (for
    dead letters that say where the bad record is)."""

    value: bytes
    key: bytes | None = None
    topic: str | None = None
    partition: int | None = None
    offset: int | None = None
