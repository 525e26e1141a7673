"""Online incident fusion: each item with a hit joins the incident it reports, or opens one.

An item is a candidate for an incident of its category and country (the
candidate search is a bucket per category and country, so each item compares
itself with the few incidents open there, not with all of them) when

* it is close in event time: within ``window`` of the incident's first and last item;
* it is in the same place: the same first-level region, or, across regions, within
  ``max_km`` of the incident's location (an item with no region fits any);
* it means the same: the cosine similarity of its embedding (the multilingual
  encoder's, so an Arabic and an English report of one attack meet) to the
  incident's mean embedding reaches ``similarity``, or it is a near-identical
  copy of a text already in the incident.

It joins the most similar candidate, else it opens an incident named after
itself. Fusion is deterministic and idempotent: an item already in an incident
(a batch replayed after a crash) changes nothing and gets the same incident.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from processors.incidents.duplicates import DuplicateIndex, Seen
from tocsin.incidents import Incident, TimelinePoint
from tocsin.schema import Amplification, EnrichedItem, IncidentRef
from tocsin.settings import IncidentSettings

Embedder = Callable[[Sequence[str]], np.ndarray]
"""Unit vectors (n, dim) of item texts."""

MAX_IDS = 5000
"""Item ids an incident document lists (its count goes on)."""
CENTRAL_CANDIDATES = 64
"""Members whose vectors are kept to choose the incident's most central item as its title."""


def analysed_text(item: EnrichedItem, max_chars: int = 20_000) -> str:
    """The text the classifiers read (title, newline, body), as the encoder caches it."""
    body = f"{item.title}\n{item.text}" if item.title else item.text
    return body[:max_chars]


def primary_category(item: EnrichedItem, settings: IncidentSettings) -> str | None:
    """The fused category the item scores highest in, if any reaches ``min_score``."""
    scored = [
        (hit.score, name)
        for name, hit in item.categories.items()
        if name in settings.categories and hit.score >= settings.min_score
    ]
    return max(scored)[1] if scored else None


def account_of(item: EnrichedItem) -> str:
    """Who posted it: the source, and the (pseudonymised) author when the source names one."""
    return f"{item.source.name}/{item.authors[0]}" if item.authors else item.source.name


def km_between(a: dict[str, float], b: dict[str, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a["lat"], a["lon"], b["lat"], b["lon"]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


@dataclass
class OpenIncident:
    """An incident as fusion holds it in memory."""

    id: str
    category: str
    country: str | None
    admin1: str | None
    admin1_name: str | None
    location: dict[str, float] | None
    first_seen: float
    last_seen: float
    vector_sum: np.ndarray
    item_count: int = 0
    title: str = ""
    title_item_id: str = ""
    title_similarity: float = -1.0
    item_ids: dict[str, None] = field(default_factory=dict)
    languages: Counter[str] = field(default_factory=Counter)
    sources: Counter[str] = field(default_factory=Counter)
    origins: dict[str, None] = field(default_factory=dict)
    places: Counter[str] = field(default_factory=Counter)
    subtypes: Counter[str] = field(default_factory=Counter)
    hours: Counter[float] = field(default_factory=Counter)
    clusters: set[str] = field(default_factory=set)
    amplified_items: int = 0
    amplification: Amplification | None = None
    central: list[tuple[str, str, np.ndarray]] = field(default_factory=list)

    @property
    def mean(self) -> np.ndarray:
        """The mean of its items' embeddings (before centring)."""
        return self.vector_sum / max(self.item_count, 1)

    def fits_place(self, item: EnrichedItem, max_km: float) -> bool:
        if item.country != self.country:
            return False
        if item.admin1 is None or self.admin1 is None or item.admin1 == self.admin1:
            return True
        return (
            item.location is not None
            and self.location is not None
            and km_between(item.location, self.location) <= max_km
        )

    def add(
        self,
        item: EnrichedItem,
        vector: np.ndarray,
        seen: Seen,
        category: str,
        center: Callable[[np.ndarray], np.ndarray],
    ) -> None:
        ts = item.event_time.timestamp()
        self.first_seen = min(self.first_seen, ts)
        self.last_seen = max(self.last_seen, ts)
        self.vector_sum = self.vector_sum + vector
        self.item_count += 1
        if len(self.item_ids) < MAX_IDS:
            self.item_ids[item.id] = None
        self.languages[item.lang] += 1
        self.sources[item.source.name] += 1
        amplification = seen.amplification
        if amplification is not None:
            self.amplified_items += 1
            if self.amplification is None or amplification.accounts >= self.amplification.accounts:
                self.amplification = amplification
        else:
            self.origins.setdefault(seen.origin)
        if seen.cluster is not None:
            self.clusters.add(seen.cluster.id)
        for place in item.places:
            self.places[place.name] += 1
        hit = item.categories.get(category)
        if hit is not None:
            self.subtypes.update(hit.labels.keys())
        self.hours[ts - ts % 3600] += 1
        if self.location is None and item.location is not None:
            self.location = item.location
        if self.admin1 is None and item.admin1 is not None:
            self.admin1 = item.admin1
        if self.admin1_name is None and self.admin1 is not None:
            self.admin1_name = next(
                (p.admin1_name for p in item.places if p.admin1 == self.admin1 and p.admin1_name), None
            )
        if len(self.central) < CENTRAL_CANDIDATES:
            self.central.append((item.id, item.title or item.text[:200], center(vector)))
        self._choose_title(center)

    def _choose_title(self, center: Callable[[np.ndarray], np.ndarray]) -> None:
        """The member closest to the mean (among the first ``CENTRAL_CANDIDATES``, centred as they came)."""
        similarities = np.stack([vector for _, _, vector in self.central]) @ center(self.mean)
        for (item_id, title, _), similarity in zip(self.central, similarities.tolist(), strict=True):
            if item_id == self.title_item_id:
                self.title_similarity = similarity
            elif similarity > self.title_similarity + 1e-6:
                self.title, self.title_item_id, self.title_similarity = title, item_id, similarity

    def record(self) -> Incident:
        return Incident(
            id=self.id,
            category=self.category,
            title=self.title[:500],
            title_item_id=self.title_item_id,
            country=self.country,
            admin1=self.admin1,
            admin1_name=self.admin1_name,
            place=self.places.most_common(1)[0][0] if self.places else None,
            location=self.location,
            first_seen=datetime.fromtimestamp(self.first_seen, UTC),
            last_seen=datetime.fromtimestamp(self.last_seen, UTC),
            languages=[lang for lang, _ in self.languages.most_common()],
            sources=[source for source, _ in self.sources.most_common()],
            origins=list(self.origins),
            independent_sources=len(self.origins),
            item_count=self.item_count,
            language_count=len(self.languages),
            amplified_items=self.amplified_items,
            subtypes=dict(self.subtypes.most_common()),
            timeline=[
                TimelinePoint(at=datetime.fromtimestamp(hour, UTC), items=n)
                for hour, n in sorted(self.hours.items())
            ][-500:],
            amplification=self.amplification,
            item_ids=list(self.item_ids),
            centroid=np.round(self.mean.astype(np.float64), 6).tolist(),
        )

    @classmethod
    def restored(cls, incident: Incident) -> OpenIncident:
        """Back from the index after a restart (the title's rivals are the items that come next)."""
        mean = np.asarray(incident.centroid, dtype=np.float32)
        opened = cls(
            id=incident.id,
            category=incident.category,
            country=incident.country,
            admin1=incident.admin1,
            admin1_name=incident.admin1_name,
            location=incident.location,
            first_seen=incident.first_seen.timestamp(),
            last_seen=incident.last_seen.timestamp(),
            vector_sum=mean * incident.item_count,
            item_count=incident.item_count,
            title=incident.title,
            title_item_id=incident.title_item_id,
            title_similarity=1.0 if incident.item_count == 1 else 0.0,
            item_ids=dict.fromkeys(incident.item_ids),
            languages=Counter(dict.fromkeys(incident.languages, 1)),
            sources=Counter(dict.fromkeys(incident.sources, 1)),
            origins=dict.fromkeys(incident.origins),
            subtypes=Counter(incident.subtypes),
            amplified_items=incident.amplified_items,
            amplification=incident.amplification,
        )
        if incident.place:
            opened.places[incident.place] += 1
        for point in incident.timeline:
            opened.hours[point.at.timestamp()] += point.items
        return opened


class Background:
    """The mean embedding of recent items, which fusion subtracts before it compares two.

    Sentence encoders put every text in a narrow cone (two unrelated tweets score
    0.8 on multilingual-e5): raw cosine cannot tell a flood from a bombing, and
    the mean of a large incident ends up close to everything. Centred on the
    stream's own mean, similarity measures what sets texts apart. The mean starts
    from a prior (``backgrounds.json``, per encoder, worth ``PRIOR_WEIGHT`` items)
    and follows the stream, the older items weighing less past ``MEMORY`` items.
    The mean is updated with a batch's vectors before the batch is fused, so a
    replayed batch is compared exactly as before only up to that drift: fusion
    stays idempotent because replayed items are recognised by id, not re-compared.
    """

    PRIOR_WEIGHT = 200.0
    ZERO_PRIOR_WEIGHT = 50.0
    """Without a prior the mean starts at zero, worth this many items: the first items are compared raw."""
    MEMORY = 50_000.0

    def __init__(self, prior: np.ndarray | None) -> None:
        self.total: np.ndarray | None = (
            None if prior is None else prior.astype(np.float64) * self.PRIOR_WEIGHT
        )
        self.weight = 0.0 if prior is None else self.PRIOR_WEIGHT

    def add(self, vector: np.ndarray) -> None:
        if self.total is None:
            self.total = np.zeros(vector.shape, dtype=np.float64)
            self.weight = self.ZERO_PRIOR_WEIGHT
        self.total += vector
        self.weight += 1.0
        if self.weight > self.MEMORY:
            self.total *= self.MEMORY / self.weight
            self.weight = self.MEMORY

    def center(self, vector: np.ndarray) -> np.ndarray:
        """``vector`` less the mean, as a unit vector."""
        moved = vector if self.total is None else vector - (self.total / self.weight).astype(np.float32)
        norm = float(np.linalg.norm(moved))
        return moved / norm if norm > 1e-9 else moved


@dataclass
class Fused:
    """A batch after fusion: the items with their incident (in input order) and the incidents it changed."""

    items: list[EnrichedItem]
    incidents: list[Incident]


class Fuser:
    """Online fusion over one worker's recent incidents. Thread-safe (one batch at a time)."""

    def __init__(
        self,
        settings: IncidentSettings,
        embed: Embedder,
        *,
        max_chars: int = 20_000,
        background: np.ndarray | None = None,
    ) -> None:
        self.settings = settings
        self.embed = embed
        self.max_chars = max_chars
        self.background = Background(background)
        self.duplicates = DuplicateIndex(
            threshold=settings.duplicate_similarity,
            window=settings.amplification_window,
            accounts=settings.amplification_accounts,
            keep=settings.window,
        )
        self.incidents: dict[str, OpenIncident] = {}
        self._buckets: dict[tuple[str, str | None], dict[str, None]] = {}
        self._member: dict[str, str] = {}
        self._origin: dict[str, str] = {}
        self._cluster_incident: dict[str, str] = {}
        self._lock = threading.Lock()
        self._watermark = float("-inf")
        self._centered: dict[str, np.ndarray] = {}
        """Incidents' centred means, kept while neither they nor the background change (one batch)."""

    def restore(self, incidents: Iterable[Incident]) -> None:
        """Take back the incidents a worker archived before it stopped, so replays and new items find them."""
        with self._lock:
            self._restore(incidents)

    def _restore(self, incidents: Iterable[Incident]) -> None:
        for incident in sorted(incidents, key=lambda i: i.last_seen):
            opened = OpenIncident.restored(incident)
            self._open(opened)
            for item_id in opened.item_ids:
                self._member[item_id] = opened.id
            self._watermark = max(self._watermark, opened.last_seen)

    def remember_texts(self, items: Iterable[EnrichedItem]) -> int:
        """Take back the texts of archived items fused before (by this worker before a restart, or
        by another before a partition moved here); how many were new here.

        Without them a burst of copies or a syndicated story that straddles a restart starts
        over: the posts before it count for no account and the first publisher is forgotten.
        """
        with self._lock:
            added = 0
            for item in sorted(items, key=lambda i: i.event_time):
                if item.incident is None or item.id in self._origin:
                    continue            # not fused, or its text is known here already
                seen = self._record_text(item)
                self._origin[item.id] = item.incident.origin or seen.origin
                if seen.cluster is not None:
                    self._cluster_incident.setdefault(seen.cluster.id, item.incident.id)
                added += 1
            return added

    def refresh(self, incidents: Iterable[Incident]) -> int:
        """Take in the index's incidents that another worker opened or grew; how many there were.

        Incidents only grow, so one whose item count and last item match the one held is
        unchanged, and is kept as held (restoring loses its title rivals and counts' order).
        """
        with self._lock:
            changed = [
                incident
                for incident in incidents
                if (held := self.incidents.get(incident.id)) is None
                or held.item_count != incident.item_count
                or held.last_seen != incident.last_seen.timestamp()
            ]
            self._restore(changed)
            return len(changed)

    def fuse(self, items: Sequence[EnrichedItem]) -> Fused:
        """Each item with a hit in a fused category gets its incident; the changed incidents, once each."""
        with self._lock:
            chosen = [
                (i, category)
                for i, item in enumerate(items)
                if (category := primary_category(item, self.settings)) is not None
            ]
            fresh = [(i, category) for i, category in chosen if items[i].id not in self._member]
            vectors = (
                self.embed([analysed_text(items[i], self.max_chars) for i, _ in fresh])
                if fresh
                else np.zeros((0, 1), dtype=np.float32)
            )
            vector_of = {i: np.asarray(vectors[n], dtype=np.float32) for n, (i, _) in enumerate(fresh)}
            for vector in vector_of.values():
                self.background.add(vector)
            self._centered.clear()
            touched: dict[str, None] = {}
            out = list(items)
            for i, category in sorted(chosen, key=lambda pair: items[pair[0]].event_time):
                item = items[i]
                if i in vector_of and item.id not in self._member:
                    incident, seen = self._assign(item, category, vector_of[i])
                    touched[incident.id] = None
                    self._origin[item.id] = seen.origin
                    out[i] = item.model_copy(
                        update={
                            "incident": IncidentRef(id=incident.id, origin=seen.origin),
                            "amplification": seen.amplification,
                        }
                    )
                else:
                    incident_id = self._member[item.id]
                    out[i] = item.model_copy(
                        update={
                            "incident": IncidentRef(
                                id=incident_id, origin=self._origin.get(item.id, item.source.name)
                            )
                        }
                    )
            self._expire()
            return Fused(out, [self.incidents[i].record() for i in touched if i in self.incidents])

    def _assign(self, item: EnrichedItem, category: str, vector: np.ndarray) -> tuple[OpenIncident, Seen]:
        ts = item.event_time.timestamp()
        seen = self._record_text(item)
        incident = self._copy_of(seen, item, category) or self._nearest(item, category, vector)
        if incident is None:
            incident = OpenIncident(
                id="inc-" + hashlib.sha1(item.id.encode()).hexdigest()[:20],
                category=category,
                country=item.country,
                admin1=item.admin1,
                admin1_name=None,
                location=item.location,
                first_seen=ts,
                last_seen=ts,
                vector_sum=np.zeros_like(vector),
            )
            self._open(incident)
        incident.add(item, vector, seen, category, self.background.center)
        self._centered.pop(incident.id, None)
        self._member[item.id] = incident.id
        if seen.cluster is not None:
            self._cluster_incident.setdefault(seen.cluster.id, incident.id)
        self._watermark = max(self._watermark, ts)
        return incident, seen

    def _record_text(self, item: EnrichedItem) -> Seen:
        """The item's text in the near-duplicate memory: its cluster and the source it counts for."""
        return self.duplicates.add(item.id, analysed_text(item, self.max_chars), source=item.source.name,
                                   account=account_of(item), ts=item.event_time.timestamp())

    def _copy_of(self, seen: Seen, item: EnrichedItem, category: str) -> OpenIncident | None:
        """The incident a near-identical text went to, when it is of this category and place."""
        if seen.cluster is None:
            return None
        incident = self.incidents.get(self._cluster_incident.get(seen.cluster.id, ""))
        if incident is None or incident.category != category or not self._fits(incident, item):
            return None
        return incident

    def _fits(self, incident: OpenIncident, item: EnrichedItem) -> bool:
        """Close enough in event time and place to be the same incident."""
        ts, window = item.event_time.timestamp(), self.settings.window
        return incident.first_seen - window <= ts <= incident.last_seen + window and incident.fits_place(
            item, self.settings.max_km
        )

    def _nearest(self, item: EnrichedItem, category: str, vector: np.ndarray) -> OpenIncident | None:
        needed = self.settings.similarity if item.country else self.settings.unplaced_similarity
        if needed is None:
            return None  # an unplaced item joins only as a copy (``_copy_of``)
        candidates = [
            incident
            for incident_id in self._buckets.get((category, item.country), {})
            if self._fits(incident := self.incidents[incident_id], item)
        ]
        if not candidates:
            return None
        center = self.background.center
        means = []
        for candidate in candidates:
            centered = self._centered.get(candidate.id)
            if centered is None:
                centered = self._centered[candidate.id] = center(candidate.mean)
            means.append(centered)
        similarities = np.stack(means) @ center(vector)
        best = int(np.argmax(similarities))
        return candidates[best] if float(similarities[best]) >= needed else None

    def _open(self, incident: OpenIncident) -> None:
        self.incidents[incident.id] = incident
        self._buckets.setdefault((incident.category, incident.country), {})[incident.id] = None

    def _expire(self) -> None:
        """Forget incidents quiet for longer than the window, and the oldest past ``max_open``."""
        horizon = self._watermark - 2 * self.settings.window
        stale = [i for i in self.incidents.values() if i.last_seen < horizon]
        excess = len(self.incidents) - len(stale) - self.settings.max_open
        if excess > 0:
            live = sorted(
                (i for i in self.incidents.values() if i.last_seen >= horizon), key=lambda i: i.last_seen
            )
            stale += live[:excess]
        for incident in stale:
            del self.incidents[incident.id]
            bucket = self._buckets.get((incident.category, incident.country), {})
            bucket.pop(incident.id, None)
            for item_id in incident.item_ids:
                self._member.pop(item_id, None)
                self._origin.pop(item_id, None)
        if stale:
            self._cluster_incident = {
                cluster: incident
                for cluster, incident in self._cluster_incident.items()
                if incident in self.incidents
            }
