"""Record schema shared by every stage.

Records travel as UTF-8 JSON. They are pydantic models, not ``faust.Record``,
because the collectors publish with plain aiokafka and because a consumer must
be able to reject a malformed record with a reason (dead-letter) instead of
having the framework drop it.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    SerializerFunctionWrapHandler,
    Tag,
    TypeAdapter,
    model_serializer,
    model_validator,
)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def to_bytes(self) -> bytes:
        return self.model_dump_json(exclude_none=False).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> Any:
        return cls.model_validate_json(data)


class SourceRef(Record):
    """Where an item came from: the collector type and the configured source."""

    type: str = Field(description="collector plug-in, e.g. 'rss'")
    name: str = Field(description="configured source name, e.g. 'wikinews-health'")
    url: str | None = Field(default=None, description="the feed or API endpoint polled")


class Provenance(Record):
    """How an item was fetched: enough to show an analyst where the evidence came from."""

    fetch_url: str
    fetched_at: datetime
    status: int | None = None
    headers: dict[str, str] = Field(
        default_factory=dict, description="the headers that matter: etag, last-modified, content-type, date")


class Item(Record):
    """A normalised item as the collectors publish it to ``items.raw``."""

    id: str = Field(description="stable id derived from the guid or canonical URL, scoped to the source")
    story_id: str | None = Field(
        default=None, description="the same in every source that names the same story (URI guid or "
                                  "canonical URL): copies of one story share it, never their id")
    source: SourceRef
    url: str | None = None
    title: str = ""
    text: str = ""
    authors: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    published: datetime | None = None
    collected: datetime
    lang_hint: str | None = Field(default=None, description="the source's declared language, if any")
    geotag: dict[str, float] | None = Field(default=None, description="{'lat':..,'lon':..} from the source")
    country_hint: str | None = Field(default=None, description="source's default country (ISO 3166-1 a2)")
    raw_sha256: str = Field(description="SHA-256 of the raw entry as fetched (provenance)")
    content_sha256: str = Field(description="SHA-256 of title+text: equal hashes are exact copies")
    provenance: Provenance | None = None
    engagement: dict[str, int] = Field(
        default_factory=dict, description="counts the source gives: replies, reposts, likes, views…")
    relations: dict[str, str] = Field(
        default_factory=dict, description="ids/URLs of related posts: reply_to, repost_of, quote_of")
    deleted: bool = Field(default=False, description="the source removed it (itself a signal)")
    claimed_published: datetime | None = Field(
        default=None, description="the publication time the source claimed, when it was not believed "
                                  "(see integrity_flags and tocsin.event_time)")
    integrity_flags: list[str] = Field(
        default_factory=list,
        description="what the integrity checks noticed: 'future-dated', 'future-collected', "
                    "'implausibly-old'")
    erase: bool = Field(default=False, description=(
        "a deletion whose source's terms require removing the content already held (Reddit's Data API "
        "terms): the archive replaces the item instead of flagging it"))

    @property
    def event_time(self) -> datetime:
        """The time the item speaks for: publication time, else collection time."""
        return self.published or self.collected


class Place(Record):
    """One place an item mentions (or its geotag), resolved to the gazetteer."""

    name: str
    matched: str = Field(description="the text that matched")
    kind: str = Field(description="'country', 'region' (first-level or named region), 'district' "
                                  "(second-level unit), 'city' (a town of any size) or 'continent'")
    country: str | None = Field(default=None, description="ISO 3166 alpha-2; None for a continent")
    admin1: str | None = Field(default=None, description="first-level region: ISO 3166-2 'SD-DN' where "
                                                         "joined, else GeoNames 'SD.55'")
    admin1_name: str | None = None
    admin2: str | None = Field(default=None, description="second-level unit id: GeoNames admin1 code and "
                                                         "the unit's name, 'KE.17/Nyando'")
    admin2_name: str | None = None
    lat: float | None = Field(default=None, description="the point: a town's own; for a country, region or "
                                                        "district a representative interior point")
    lon: float | None = None
    bbox: list[float] | None = Field(default=None, description="[west, south, east, north] of an area "
                                                               "(its towns' extent); west > east: over 180°")
    area_id: str | None = Field(default=None, description="the area a map draws: the country code, admin1 "
                                                          "or admin2 id of a country, region or district")
    capital: str | None = Field(default=None, description="a country's capital (its point is not the "
                                                          "country's)")
    population: int | None = None
    start: int | None = Field(default=None, description="span in title + '\\n' + text, if from text")
    end: int | None = None
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    source: str = Field(default="gazetteer", description="'gazetteer', 'ner' or 'geotag'")
    metonymy: bool = Field(default=False, description="names who acted, not where ('Washington said', "
                                                      "'the Sudanese government'): never the primary place")


class CategoryHit(Record):
    score: float = Field(ge=0.0, le=1.0)
    terms: list[str] = Field(default_factory=list, description="matched terms, for the analyst")
    classifier: str = Field(description="name/version of what scored it")
    labels: dict[str, float] = Field(
        default_factory=dict,
        description="sub-labels with scores: targeted groups for hate speech, subtypes for violence")
    flags: list[str] = Field(default_factory=list, description="e.g. 'dehumanising'")


class Amplification(Record):
    """A burst of near-identical text from many distinct accounts: a possible coordinated campaign.

    Copies count once as a source of an incident; rules can leave them out.
    """

    cluster: str = Field(description="the near-duplicate text cluster, named after its first item")
    accounts: int = Field(description="distinct accounts (source and author) in the burst")
    items: int
    first_seen: datetime
    last_seen: datetime

    def describe(self) -> str:
        """``62 accounts, 4 minutes, same text``: what an analyst reads in an alert."""
        minutes = max(1, round((self.last_seen - self.first_seen).total_seconds() / 60))
        return f"{self.accounts} accounts, {minutes} minute{'s' if minutes > 1 else ''}, same text"


class IncidentRef(Record):
    """The incident an item was fused into (``processors.incidents``)."""

    id: str
    origin: str = Field(
        description="the independent source it counts for: its own source, or for a near-duplicate of an "
                    "earlier text, the source that published that text first")


class EnrichedItem(Item):
    """An item after language, classification and places; what the archive holds."""

    lang: str
    lang_confidence: float
    categories: dict[str, CategoryHit] = Field(default_factory=dict)
    places: list[Place] = Field(default_factory=list)
    country: str | None = None
    admin1: str | None = None
    admin2: str | None = None
    city: str | None = None
    location: dict[str, float] | None = Field(default=None, description="{'lat':..,'lon':..} geo_point")
    processed: datetime
    incident: IncidentRef | None = None
    amplification: Amplification | None = Field(
        default=None, description="set when the item is part of a burst of near-identical text")


class DeadLetter(Record):
    """Something a stage could not handle, kept with the reason so nothing is lost."""

    stage: str
    reason: str
    error: str
    topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    key: str | None = None
    payload_b64: str = Field(description="the offending payload, base64, truncated to the DLQ limit")
    payload_truncated: bool = False
    at: datetime = Field(default_factory=utcnow)

    @classmethod
    def of(cls, *, stage: str, reason: str, error: str, payload: bytes, limit: int = 256 * 1024,
           **where: Any) -> DeadLetter:
        return cls(stage=stage, reason=reason, error=error[:2000],
                   payload_b64=base64.b64encode(payload[:limit]).decode("ascii"),
                   payload_truncated=len(payload) > limit, **where)


AlertStatus = Literal["open", "resolved"]
AlertEvent = Literal["opened", "updated", "escalated", "resolved", "acknowledged", "assigned", "noted",
                     "dismissed"]
SEVERITIES = ("info", "warning", "severe", "extreme")

MISSING_GROUP_VALUE = "unknown"
"""An alert's group value for items that lack the group field (rules with ``keep_missing``)."""
"""Severity levels, least to most (CAP's Minor/Moderate/Severe/Extreme)."""


class AlertAction(Record):
    """An analyst's action on an alert, applied by the worker that owns the alert's group."""

    alert_id: str
    type: Literal["acknowledge", "assign", "note", "resolve", "dismiss"]
    actor: str = Field(description="who did it: the API key's name")
    text: str = Field(default="", max_length=10_000,
                      description="the note, the assignee, why it was resolved or is a false positive")
    at: datetime = Field(default_factory=utcnow)


class AlertNote(Record):
    author: str
    text: str
    at: datetime


class AlertArea(Record):
    """Where an alert is: the place its items share, for maps and CAP ``<area>``."""

    description: str
    country: str | None = None
    admin1: str | None = None
    lat: float | None = None
    lon: float | None = None
    radius_km: float | None = None
    area_id: str | None = Field(default=None, description="the area the group is (country code, admin1 or "
                                                          "admin2 id), as the items' places name it")
    bbox: list[float] | None = Field(default=None, description="[west, south, east, north] of that area "
                                                               "(GeoJSON's order; west > east: over 180°)")

    @model_serializer(mode="wrap")
    def _without_blank_box(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Without a box, the layout alerts were stored in before areas had one (state, archive)."""
        data: dict[str, Any] = handler(self)
        for key in ("area_id", "bbox"):
            if data.get(key) is None:
                data.pop(key, None)
        return data


class Signal(Record):
    """What every signal on ``alerts.matches`` carries: the rule and the group it is for.

    Items, clock ticks and analysts' actions for one group share the key
    ``rule|group_key``, so they reach, in order, the worker that holds the group's state.
    """

    rule: str
    group_key: str
    group: dict[str, str | None]
    event_time: datetime


class ItemSignal(Signal):
    """An item counts towards one rule and group."""

    kind: Literal["item"] = "item"
    item_id: str
    title: str = ""
    url: str | None = None
    # The item's primary place ({'lat','lon'}), so an alert can say where it is.
    location: dict[str, float] | None = None
    # The area the group is, from the item's places ({'area_id', 'bbox'}), so a map can draw it.
    area: dict[str, Any] | None = None
    # False when a rule that needs every item of a group (``percentage``) is
    # routed one that fails its filter: it counts in the total, not the share.
    matched: bool = True
    # The field value a rule counts distinct values of (``cardinality``).
    value: str | None = None
    # For rules over incidents (``incidents``): the item's incident, the independent source it
    # counts for, its language, and the burst of near-identical text it belongs to, if any.
    incident: str | None = None
    origin: str | None = None
    lang: str | None = None
    amplification: str | None = None

    def to_bytes(self) -> bytes:
        # Left out when unset: the release before them forbids unknown fields, and reads
        # every item signal but those of ``incidents`` rules while both share the topic.
        unset = {name for name in _INCIDENT_FIELDS if getattr(self, name) is None}
        return self.model_dump_json(exclude=unset).encode("utf-8")

    @model_validator(mode="before")
    @classmethod
    def _legacy(cls, data: Any) -> Any:
        """Records of the release before the union carried a blank ``action`` on items."""
        if isinstance(data, dict) and "action" in data and data["action"] is None:
            data = {key: value for key, value in data.items() if key != "action"}
        return data

    @model_serializer(mode="wrap")
    def _without_blank_area(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Without an area, the record is the previous release's (which forbids unknown fields)."""
        data: dict[str, Any] = handler(self)
        if data.get("area") is None:
            data.pop("area", None)
        return data


_INCIDENT_FIELDS = ("incident", "origin", "lang", "amplification")

# The fields an item signal has and the other kinds lack: the release before the
# union wrote them blank on ticks and actions, and still requires ``item_id``.
_ITEM_ONLY_BLANKS: dict[str, Any] = {"item_id": "", "title": "", "url": None, "location": None,
                                      "matched": False, "value": None}


class _NotAnItem(Signal):
    @model_validator(mode="before")
    @classmethod
    def _legacy(cls, data: Any) -> Any:
        """Drop the blank item fields (and the blank ``action`` of a tick) older records carry."""
        if not isinstance(data, dict):
            return data
        return {key: value for key, value in data.items()
                if not (key in _ITEM_ONLY_BLANKS and value == _ITEM_ONLY_BLANKS[key])
                and not (key == "action" and value is None and data.get("kind") == "tick")}

    def to_bytes(self) -> bytes:
        # The previous release requires item_id on every signal; a blank one keeps this
        # record readable by it while workers of both releases share the topic.
        return json.dumps({**self.model_dump(mode="json"), "item_id": ""}).encode("utf-8")


class TickSignal(_NotAnItem):
    """A clock tick: lets the group's open alert resolve, or a silent group raise (``flatline``)."""

    kind: Literal["tick"] = "tick"


class ActionSignal(_NotAnItem):
    """An analyst's action on one of the group's alerts."""

    kind: Literal["action"] = "action"
    action: AlertAction


def _signal_kind(data: Any) -> str:
    if isinstance(data, dict):
        return str(data.get("kind", "item"))
    return str(getattr(data, "kind", "item"))


AlertMatch = Annotated[
    Annotated[ItemSignal, Tag("item")] | Annotated[TickSignal, Tag("tick")]
    | Annotated[ActionSignal, Tag("action")],
    Discriminator(_signal_kind),
]
"""Internal: a signal on ``alerts.matches`` — an item, a clock tick or an analyst's action,
told apart by ``kind``."""

_SIGNAL: TypeAdapter[ItemSignal | TickSignal | ActionSignal] = TypeAdapter(AlertMatch)


def parse_signal(data: bytes) -> ItemSignal | TickSignal | ActionSignal:
    """A signal from its record on ``alerts.matches``; a ``ValidationError`` if it is not one.
    Reads the records of the release before the union too."""
    return _SIGNAL.validate_json(data)


def _unset(value: object) -> bool:
    return value is None


class Alert(Record):
    """One version of an alert: what a monitoring team receives."""

    id: str = Field(description="deterministic: rule + group + window, so re-raising is idempotent")
    rule: str
    rule_type: str
    title: str
    description: str = ""
    severity: str = "warning"
    group: dict[str, str | None]
    group_key: str
    window_start: datetime
    window_end: datetime
    count: int
    threshold: int
    sample_item_ids: list[str]
    sample_titles: list[str] = Field(default_factory=list)
    sample_urls: list[str | None] = Field(default_factory=list)
    first_seen: datetime
    last_seen: datetime
    raised_at: datetime = Field(default_factory=utcnow)
    expected: float | None = Field(default=None, description="what the baseline led one to expect")
    z_score: float | None = Field(default=None, description="(count - expected) / max(std, 1)")
    details: dict[str, float | int | str] = Field(
        default_factory=dict, description="rule-type specifics: ratio, distinct values, share …")
    # Lifecycle. One id per incident (rule + group + the window it opened in); each
    # change is a new version of it, published on ``alerts`` and kept in the versions index.
    status: AlertStatus = "open"
    event: AlertEvent = Field(default="opened", description="what this version changed")
    version: int = Field(default=1, ge=1)
    opened_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow, description="when this version was made")
    resolved_at: datetime | None = None
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    assigned_to: str | None = None
    notes: list[AlertNote] = Field(default_factory=list)
    area: AlertArea | None = None
    # An analyst closed it (resolve or dismiss): the same incident is not reopened by its rule.
    # Left out of the record while unset, so a version no analyst closed reads exactly as the
    # release before them wrote it: its workers and API (``extra="forbid"``) still read it
    # during a rolling upgrade, and stored lifecycle state keeps its layout.
    resolved_by: str | None = Field(default=None, exclude_if=_unset,
                                    description="the analyst who resolved or dismissed it")
    dismissed_reason: str | None = Field(default=None, exclude_if=_unset,
                                         description="set when dismissed as a false positive")

    @property
    def version_id(self) -> str:
        """Document id of this version in the versions index (and CAP identifier)."""
        return f"{self.id}.v{self.version}"

    @classmethod
    def from_document(cls, source: dict[str, Any]) -> Alert:
        """An alert from an alerts or versions index document.

        Fields the schema does not know (an index may carry extra ones for searching)
        are left out instead of failing the reader; missing required ones still fail.
        """
        return cls.model_validate({k: v for k, v in source.items() if k in cls.model_fields})
