"""Incidents beside alerts in the demo's terminal: those worth a look, as they open and grow.

The processors write incidents to their own index, not to a topic, so the demo
reads that index every few seconds. Every item with a hit belongs to an incident,
and most incidents are one hostile post alone; the terminal shows an incident when
it reports violence, joins two items or more, or carries an amplification flag.
``tocsin incidents`` and ``GET /incidents`` list them all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from elasticsearch import AsyncElasticsearch, NotFoundError

from tocsin.incidents import Incident

WORTH_A_LOOK: dict[str, Any] = {"bool": {"should": [
    {"term": {"category": "violence_report"}},
    {"range": {"item_count": {"gte": 2}}},
    {"range": {"amplified_items": {"gte": 1}}},
], "minimum_should_match": 1}}
"""The index query for :func:`worth_a_look` (the demo's corpus makes a few dozen at most)."""
SHOWN_AT_MOST = 500


def worth_a_look(incident: Incident) -> bool:
    return (incident.category == "violence_report" or incident.item_count >= 2
            or incident.amplified_items >= 1)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def incident_lines(incident: Incident, was: int | None = None) -> list[str]:
    """How the terminal shows an incident; ``was``: its item count when it was last shown.

    Titles are scraped text: ``repr`` shows control characters and terminal escapes as
    escapes, never as what they would do.
    """
    region = incident.admin1_name or incident.admin1
    where = "/".join(p for p in (incident.country, region) if p) or "no place"
    grew = f" (was {was})" if was is not None and was != incident.item_count else ""
    span = f"{incident.first_seen:%Y-%m-%d %H:%M}"
    if incident.last_seen != incident.first_seen:
        span += f" – {incident.last_seen:%Y-%m-%d %H:%M}"
    lines = [
        f"\n[INCIDENT {incident.category}] {where}: {_plural(incident.item_count, 'item')}{grew}, "
        f"{_plural(incident.independent_sources, 'independent source')}, "
        f"{', '.join(incident.languages) or '-'}; {span} UTC  {incident.id}",
        f"    - {incident.title[:110]!r}",
    ]
    if incident.amplification is not None:
        lines.append(f"    amplified: {incident.amplification.describe()}")
    return lines


@dataclass
class IncidentTicker:
    """Remembers what it showed, so an incident is shown when it opens and again when it grows."""

    shown: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)

    @staticmethod
    def _facts(incident: Incident) -> tuple[int, int, int, int]:
        return (incident.item_count, incident.independent_sources, incident.language_count,
                incident.amplified_items)

    def news(self, incidents: Iterable[Incident]) -> list[str]:
        """Lines for the incidents worth a look that are new or changed since the last call."""
        lines: list[str] = []
        for incident in sorted(incidents, key=lambda i: (i.first_seen, i.id)):
            facts = self._facts(incident)
            before = self.shown.get(incident.id)
            if not worth_a_look(incident) or before == facts:
                continue
            self.shown[incident.id] = facts
            lines += incident_lines(incident, None if before is None else before[0])
        return lines


async def incidents_worth_a_look(es: AsyncElasticsearch, index: str) -> list[Incident]:
    """From the index (nothing while the processors have not created it yet)."""
    try:
        response = await es.search(index=index, query=WORTH_A_LOOK, size=SHOWN_AT_MOST,
                                   sort=[{"last_seen": "desc"}], source_excludes=["centroid", "item_ids"])
    except NotFoundError:
        return []
    return [Incident.from_document(hit["_source"]) for hit in response["hits"]["hits"]]


async def show_incidents(es: AsyncElasticsearch, index: str, ticker: IncidentTicker,
                         out: Callable[[str], None] = print) -> int:
    """Print what is new since the last call; the number of incidents in the index."""
    for line in ticker.news(await incidents_worth_a_look(es, index)):
        out(line)
    try:
        return int((await es.count(index=index))["count"])
    except NotFoundError:
        return 0
