"""``incidents``: at least ``threshold`` incidents in a window, per group — each corroborated
by ``min_sources`` independent sources in ``min_languages`` languages.

It counts incidents, not items: nine reports of one massacre are one incident,
nine reports of nine attacks are nine. An item counts only once fused into an
incident (``processors.incidents``); its independent source is its *origin* (a
syndicated copy counts for the source that published the text first), so twenty
sites carrying one wire story are one source. Items in a burst of near-identical
text from many accounts (``amplification``) are by default no corroboration at
all (``amplified: exclude``); ``amplified: only`` turns the rule around and counts
the incidents that carry such a burst — a coordinated-campaign alert.

Windows hop like ``frequency``'s. A window keeps at most ``max_incidents``
incidents, each with at most 50 sources and languages, so state stays bounded.
"""

from __future__ import annotations

from typing import Literal, TypedDict

from pydantic import Field

from alerts.rules.base import Reading, Rule, register
from alerts.rules.counts import CountBucket, add_match, merge_counts
from alerts.rules.raising import human, raise_alert
from alerts.rules.windowed import WindowedConfig, WindowedEvaluator
from alerts.state import StateStore
from tocsin.schema import Alert, EnrichedItem, ItemSignal

PER_INCIDENT = 50
"""Origins and languages kept per incident in a window (past the thresholds anyone sets)."""


class IncidentsConfig(WindowedConfig):
    state_fields = (*WindowedConfig.state_fields, "amplified")

    type: Literal["incidents"] = "incidents"
    threshold: int = Field(default=1, ge=1)
    min_sources: int = Field(default=1, ge=1, le=PER_INCIDENT)
    min_languages: int = Field(default=1, ge=1, le=PER_INCIDENT)
    # exclude: amplified items corroborate nothing; count: they count like any item;
    # only: count the incidents that carry a burst of near-identical text.
    amplified: Literal["exclude", "count", "only"] = "exclude"
    samples: int = Field(default=10, ge=1, le=100)
    max_incidents: int = Field(default=200, ge=1, le=1000)

    def match(self, item: EnrichedItem) -> ItemSignal | None:
        found = self.group_match(item)
        if found is None or item.incident is None:
            return None
        return found.model_copy(
            update={
                "incident": item.incident.id,
                "origin": item.incident.origin,
                "lang": item.lang,
                "amplification": item.amplification.describe() if item.amplification else None,
            }
        )


class IncidentState(TypedDict):
    """One incident within a bucket or a window."""

    title: str
    items: int
    origins: list[str]
    langs: list[str]
    amplified: int
    burst: str


class IncidentBucket(CountBucket, total=False):
    incidents: dict[str, IncidentState]


def _union(a: list[str], b: list[str]) -> list[str]:
    return list(dict.fromkeys([*a, *b]))[:PER_INCIDENT]


def _merge_incident(a: IncidentState, b: IncidentState) -> IncidentState:
    return {
        "title": a["title"] or b["title"],
        "items": a["items"] + b["items"],
        "origins": _union(a["origins"], b["origins"]),
        "langs": _union(a["langs"], b["langs"]),
        "amplified": a["amplified"] + b["amplified"],
        "burst": max(a["burst"], b["burst"], key=len),
    }


def _merge_into(into: dict[str, IncidentState], incident_id: str, state: IncidentState, limit: int) -> None:
    if incident_id in into:
        into[incident_id] = _merge_incident(into[incident_id], state)
    elif len(into) < limit:
        into[incident_id] = state


class IncidentsEvaluator(WindowedEvaluator[IncidentBucket]):
    config: IncidentsConfig

    def observe(self, match: ItemSignal, store: StateStore) -> Reading | None:
        return None if match.incident is None else super().observe(match, store)

    def fold(self, state: IncidentBucket | None, match: ItemSignal) -> IncidentBucket:
        folded: IncidentBucket = {**add_match(state, match, self.config.samples)}
        amplified = match.amplification is not None
        corroborates = not (amplified and self.config.amplified == "exclude")
        one: IncidentState = {
            "title": match.title,
            "items": 1,
            "amplified": int(amplified),
            "burst": match.amplification or "",
            "origins": [match.origin] if corroborates and match.origin else [],
            "langs": [match.lang] if corroborates and match.lang else [],
        }
        incidents = dict(folded.get("incidents", {}))
        _merge_into(incidents, str(match.incident), one, self.config.max_incidents)
        folded["incidents"] = incidents
        return folded

    def merge(self, states: list[IncidentBucket]) -> IncidentBucket:
        merged: IncidentBucket = {**merge_counts(states, self.config.samples)}
        incidents: dict[str, IncidentState] = {}
        for state in states:
            for incident_id, incident in state.get("incidents", {}).items():
                _merge_into(incidents, incident_id, incident, self.config.max_incidents)
        merged["incidents"] = incidents
        return merged

    def qualifying(self, window: IncidentBucket) -> dict[str, IncidentState]:
        """The incidents of a window that count, most corroborated first."""
        config = self.config
        kept = {
            incident_id: incident
            for incident_id, incident in window.get("incidents", {}).items()
            if len(incident["origins"]) >= config.min_sources
            and len(incident["langs"]) >= config.min_languages
            and (config.amplified != "only" or incident["amplified"] > 0)
        }
        return dict(sorted(kept.items(), key=lambda kv: (-len(kv[1]["origins"]), -kv[1]["items"], kv[0])))

    def level(self, window: IncidentBucket) -> float:
        return float(len(self.qualifying(window)))

    def raise_level(self) -> float:
        return float(self.config.threshold)

    def build(
        self, group_key: str, group: dict[str, str | None], window: IncidentBucket, start: float
    ) -> Alert:
        config = self.config
        incidents = self.qualifying(window)
        corroborated = (
            f", each from {config.min_sources}+ independent sources" if config.min_sources > 1 else ""
        )
        corroborated += f" in {config.min_languages}+ languages" if config.min_languages > 1 else ""
        kind = "amplified incidents" if config.amplified == "only" else "incidents"
        named = [
            f"{incident_id} ({len(i['origins'])} sources, {len(i['langs'])} languages, {i['items']} items"
            + (f"; amplified: {i['burst']}" if i["burst"] else "")
            + f"): {i['title'][:120]}"
            for incident_id, i in incidents.items()
        ]
        bursts = [i["burst"] for i in incidents.values() if i["burst"]]
        details: dict[str, float | int | str] = {
            "incidents": " | ".join(named[:20])[:4000],
            "incident_ids": ",".join(list(incidents)[:100]),
            "items": int(window.get("count", 0)),
        }
        if bursts:
            details["amplification"] = max(bursts, key=lambda b: int(b.split(" ", 1)[0]))
        return raise_alert(
            config,
            group_key,
            group,
            what=f"{len(incidents)} {kind} in {human(config.window)}{corroborated}",
            window=(start, start + config.window),
            count=len(incidents),
            threshold=config.threshold,
            seen=(window["first"], window["last"]),
            samples=window.get("samples", []),
            details=details,
        )


@register("incidents")
class IncidentsRule(Rule):
    config_model = IncidentsConfig
    evaluator_class = IncidentsEvaluator
