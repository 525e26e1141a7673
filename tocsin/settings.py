"""Typed settings, read from ``TOCSIN_*`` environment variables and one YAML file.

Defaults run the embedded demo. Nested fields use ``__`` in environment names,
e.g. ``TOCSIN_KAFKA__BOOTSTRAP_SERVERS=kafka-1:9092``. The YAML file is named by
``TOCSIN_CONFIG`` (see ``deploy/tocsin.yaml``); environment variables win over it.
Secrets (passwords, API keys) belong in the environment or in files, never in YAML
committed to a repository.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from tocsin.durations import Duration
from tocsin.errors import SettingsError
from tocsin.resources import DEFAULTS, shipped

PACKAGE_CONFIG = shipped(DEFAULTS)
"""The default configuration files (``config/`` in a checkout), as installed."""


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KafkaSettings(Section):
    """The Kafka cluster: brokers, TLS/SASL, and the topics Tocsin creates."""

    # Comma-separated brokers (host:port).
    bootstrap_servers: str = "127.0.0.1:9092"
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    # A SASL_* protocol needs the mechanism, user name and password (a configuration
    # error otherwise, never a silent fallback); other protocols take none.
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    # TLS trust (the CA bundle that signed the brokers' certificates) …
    ssl_cafile: Path | None = None
    # … and a client certificate and its key, where the brokers ask for one.
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    # Partitions of the topics Tocsin creates. They bound how many workers of a stage
    # can share the load: at least the largest number of workers of a stage.
    topic_partitions: int = Field(default=4, ge=1)
    # Replicas of the topics Tocsin creates: 3 on a real cluster.
    replication_factor: int = Field(default=1, ge=1)
    # How long a worker's fetch may wait for records. Apache Kafka answers as soon as
    # one arrives; the embedded broker only when the wait is up (the demo sets 100).
    fetch_max_wait_ms: int = Field(default=500, ge=0, le=60_000)
    # The embedded broker reports a partition's end as the start of its last batch
    # plus one, so a worker rebuilding a table from its changelog would stop short
    # and forget state. True makes the alerts worker (the one with tables) send each
    # record in a batch of its own. Only for the embedded broker (demo, tests).
    one_record_per_batch: bool = False
    # For the same reason, /metrics reads the last batch of each partition to count the
    # records a topic holds (otherwise up to a batch per partition goes uncounted).
    # Only for the embedded broker: on Apache Kafka the reported end is exact.
    verify_end_offsets: bool = False
    # How long a silent worker keeps its partitions, and how long a rebalance may
    # take. Shorter means faster failover; the local broker in the demo and tests
    # also holds a new group's first join for this long.
    session_timeout_s: float = Field(default=60.0, gt=0)
    rebalance_timeout_s: float = Field(default=60.0, gt=0)

    @model_validator(mode="after")
    def _sasl_matches_the_protocol(self) -> KafkaSettings:
        """A SASL protocol without a mechanism (or the reverse) would silently connect
        without the credentials the operator meant to use (Faust falls back to SSL)."""
        sasl = self.security_protocol.startswith("SASL_")
        if sasl and not (self.sasl_mechanism and self.sasl_username and self.sasl_password):
            raise ValueError(f"security_protocol {self.security_protocol} needs sasl_mechanism, "
                             "sasl_username and sasl_password")
        if not sasl and self.sasl_mechanism:
            raise ValueError(f"sasl_mechanism is set but security_protocol is {self.security_protocol}: "
                             "use SASL_SSL (or SASL_PLAINTEXT)")
        if self.ssl_keyfile and not self.ssl_certfile:
            raise ValueError("ssl_keyfile is set without ssl_certfile")
        return self


class SearchSettings(Section):
    """The Elasticsearch cluster and the indices Tocsin writes."""

    # Elasticsearch URL(s), comma-separated.
    url: str = "http://127.0.0.1:9200"
    # Credentials: an API key, or a user name and password.
    api_key: SecretStr | None = None
    username: str | None = None
    password: SecretStr | None = None
    # TLS: the CA bundle that signed the server's certificate.
    ca_certs: Path | None = None
    verify_certs: bool = True
    # Seconds one request to the search server may take.
    request_timeout: float = 30.0
    # elastic-transport node class: 'aiohttp' in production; the embedded demo and
    # the tests name their media-type shim here (tocsin_embedded.compat).
    node_class: str = "aiohttp"
    # The archive of items. Index templates match ``<name>*``, as for every index here.
    items_index: str = "tocsin-items"
    # The latest version of each alert.
    alerts_index: str = "tocsin-alerts"
    # Every version of every alert (doc id ``<alert id>.v<version>``); the alerts
    # index holds only the latest version of each.
    alert_versions_index: str = "tocsin-alert-versions"
    # Frozen evidence per alert …
    evidence_index: str = "tocsin-evidence"
    # … and the append-only custody log of who froze, saw, exported or verified it.
    custody_index: str = "tocsin-custody"
    # Analysts' verdicts (misclassified / confirmed items, false-positive alerts): the
    # labelled data `tocsin labels export` writes for retraining.
    labels_index: str = "tocsin-labels"
    # Incidents: items fused across sources and languages (docs: Incidents).
    incidents_index: str = "tocsin-incidents"
    # Index lifecycle (Elasticsearch ILM), installed by `tocsin init` when on and the
    # server has ILM: the items archive rolls over behind the write alias
    # ``items_index`` and each rolled-over index is deleted ``retention_days`` after
    # its rollover. Off by default: it changes ``items_index`` into an alias, which a
    # deployment opts into once (docs: Operations, "Index lifecycle").
    lifecycle: bool = False
    # Days a rolled-over archive index is kept after its rollover.
    retention_days: int = Field(default=365, ge=1)
    # The archive's write index rolls over at this age or this primary shard size,
    # whichever comes first.
    rollover_max_age: str = Field(default="30d", pattern=r"^[1-9][0-9]*(d|h|m|s)$")
    rollover_max_primary_shard_size: str = Field(default="50gb", pattern=r"^[1-9][0-9]*(b|kb|mb|gb|tb)$")


class EventTimeSettings(Section):
    """How far an item's claimed time is believed (docs: Reliability, "Event time").

    The collector bounds every item against its collection time, the processors
    again against their own clock, and the alerts engine refuses what is still
    beyond its clock: a source cannot make a bucket in the future the newest of a
    rule's group (which would make every real item late).
    """

    # A publication time further ahead than this is replaced by the collection time
    # and flagged "future-dated". Honest clocks and time zones are off by minutes;
    # a feed that labels local time as UTC is still clamped to something close.
    max_ahead_s: float = Field(default=900.0, ge=0.0)
    # Publication times before this year are flagged "implausibly-old" (kept: the
    # rules drop late items anyway). No online item predates the web, and
    # 1970-01-01, the zero Unix time, is the commonest broken date.
    oldest_year: int = Field(default=1990, ge=1, le=9999)


class EvidenceSettings(Section):
    """Signing of evidence bundles (docs: Evidence, "Signatures").

    The private key comes from the environment (``TOCSIN_EVIDENCE__SIGNING_KEY``),
    the secrets directory or ``signing_key_file``; ``tocsin evidence keygen`` makes
    one. Unset: bundles are exported unsigned (hashes and custody still verify).
    """

    # Ed25519 private key, base64 of its 32 bytes or PEM (PKCS#8). A secret: never in YAML.
    signing_key: SecretStr | None = None
    # Or a file that holds it (readable by the API and the command line only).
    signing_key_file: Path | None = None


class CollectorSettings(Section):
    """The collector: its feeds file, its state, politeness and the limits on what it fetches."""

    # The sources to poll or stream (docs: Sources).
    feeds_file: Path = PACKAGE_CONFIG / "feeds.yaml"
    # ETags, seen ids, cursors and schedule (SQLite); one collector owns it.
    state_path: Path = Path(".tocsin/collector-state.sqlite3")
    # Politeness: never more than this many requests at once to one host.
    per_host_concurrency: int = Field(default=2, ge=1, le=8)
    # Seconds per request.
    timeout_s: float = 20.0
    # A feed larger than this is refused (and reported) rather than parsed.
    max_feed_bytes: int = 10 * 1024 * 1024
    # A compressed body that inflates more than this many times its wire size is a
    # decompression bomb and refused (feeds compress 5-20x; 100 leaves room).
    max_decompression_ratio: float = Field(default=100.0, ge=1.0)
    # SSRF guard: sources may not reach private, loopback or link-local addresses
    # (nor be redirected to them) unless this is on; on only for intranet feeds,
    # the demo's tests.
    allow_private_targets: bool = False
    # Private endpoints ("address:port", e.g. "127.0.0.1:8087") sources may reach
    # while the guard is on: one named feed server, not every private address (the
    # demo names its own).
    private_targets: list[str] = Field(default_factory=list)
    # Retries of a request after a timeout, a 5xx or a 429, with exponential backoff
    # and jitter from backoff_base_s seconds (a Retry-After header wins).
    retries: int = Field(default=3, ge=0)
    backoff_base_s: float = 2.0
    # Adaptive polling bounds; a feed's own interval starts at its configured value.
    min_interval_s: float = 60.0
    # Upper bound of the adaptive poll interval.
    max_interval_s: float = 6 * 3600.0
    # Seen entry ids kept per feed at least; a feed that lists more keeps all it lists
    # (the memory is sized to the feed), so no entry still in it is emitted again.
    seen_ids_per_feed: int = 5000
    # Sent with every request, so that site operators can tell who polls them.
    user_agent: str = "Tocsin/0.1 (+https://github.com/tocsin-project/tocsin; early-warning monitoring)"
    # Key for pseudonymising authors (HMAC-SHA-256). Set it from the environment or
    # a secrets file in production; the same key keeps pseudonyms stable over time.
    pseudonym_secret: SecretStr = SecretStr("tocsin-demo-only-change-me")


class ProcessingSettings(Section):
    """The processors: classification, batching and the limits on what is analysed."""

    # The analysts' keyword categories (docs: Classification).
    categories_file: Path = PACKAGE_CONFIG / "categories.yaml"
    # The classification cascade: which plug-ins run in which stage, the threshold
    # between the stages, and each plug-in's settings (models, labels, batching).
    classifiers_file: Path = PACKAGE_CONFIG / "classifiers.yaml"
    # First-stage plug-ins (score every item). Only when set (env or YAML) does it
    # replace the classifiers file's cascade.first_stage; left unset, the file decides
    # (the default list is what code that reads this field without a file gets).
    classifiers: list[str] = Field(default_factory=lambda: ["keywords"])
    # When set, replaces cascade.second_stage, e.g. [] to switch the transformer off
    # from the environment during an incident.
    second_stage: list[str] | None = None
    # Batching of items.raw: up to batch_size items, waiting at most batch_within_s
    # seconds for a batch to fill.
    batch_size: int = Field(default=500, ge=1)
    batch_within_s: float = 0.5
    # Items larger than this (encoded) are dead-lettered as oversize.
    max_item_bytes: int = 1024 * 1024
    # Only this much text is analysed; the archive keeps it all.
    max_analysed_chars: int = 20_000
    # Not read by any stage: duplicates are found in the archive by item id and
    # content hash, however old the item.
    dedupe_days: float = 7.0
    # When set, the worker serves Faust's web endpoint here (GET / answers once it has
    # joined its group and recovered its tables): the health check of a deployment.
    # Unset by default, so that several workers can share one host (demo, tests, bench).
    web_port: int | None = None


class AlertSettings(Section):
    """The alerts workers: rules, delivery and the Atom feed they serve."""

    # Alert rules (docs: Alerts), reloaded without a restart.
    rules_file: Path = PACKAGE_CONFIG / "rules.yaml"
    # Webhooks (Slack, Teams, generic) raised alerts are pushed to; empty in the demo.
    notifiers_file: Path = PACKAGE_CONFIG / "notifiers.yaml"
    # Where the alerts worker serves /alerts.atom.
    web_host: str = "127.0.0.1"
    web_port: int = 6067
    # Meant for the feed's links behind a proxy, but not read yet: the worker's feed
    # links to the URL it was requested at (api.public_url does work for the API's feed).
    public_url: str | None = None
    # Entries in the Atom feed.
    feed_size: int = 100
    # How often open alerts (and flatline groups) get a clock tick, so that they can
    # resolve, or raise, while no item arrives.
    tick_s: float = Field(default=30.0, gt=0)
    # How often the rules file is checked for changes (reloaded without a restart).
    reload_s: float = Field(default=10.0, gt=0)


class IncidentSettings(Section):
    """Incident fusion in the processors: which items, how close in place, time and meaning."""

    # Off: items carry no incident and the incidents index stays empty.
    enabled: bool = True
    # Items with a hit in one of these categories, at this score or more, are fused.
    categories: list[str] = Field(default_factory=lambda: ["violence_report", "hate_speech"], min_length=1)
    min_score: float = Field(default=0.5, ge=0.0, le=1.0)
    # An item joins an incident last seen at most this long before (or after) it, in event time.
    window: Duration = 48 * 3600.0
    # Cosine similarity, centred on the stream's mean embedding, of an item to the incident's mean
    # needed to join it: the smallest reaching 80% pairwise precision on CrisisLex T26's even-numbered
    # events, all put in one place and day (docs: Incidents, "Measured").
    similarity: float = Field(default=0.30, ge=-1.0, le=1.0)
    # Items with no country (most posts) join an incident only as near-identical copies of a text
    # in it, unless this is set: then also when at least this similar. Unset by default: in the demo's
    # posts, 0.5 joined seventeen unrelated Arabic insults into one "incident".
    unplaced_similarity: float | None = Field(default=None, ge=-1.0, le=1.0)
    # Items in different first-level regions of one country still fuse when this close (km).
    max_km: float = Field(default=150.0, ge=0.0)
    # Near-duplicate text: estimated Jaccard similarity of character 5-grams (MinHash).
    duplicate_similarity: float = Field(default=0.6, ge=0.0, le=1.0)
    # A burst is this many distinct accounts posting near-identical text within amplification_window.
    amplification_accounts: int = Field(default=5, ge=2)
    amplification_window: Duration = 600.0
    # Incidents kept in a worker's memory for fusion (the oldest go first).
    max_open: int = Field(default=20_000, ge=1)


class ApiSettings(Section):
    """The HTTP API and dashboard (``tocsin api``)."""

    # Where the API listens.
    host: str = "127.0.0.1"
    port: int = 8000
    # API keys (names, roles, SHA-256 hashes; never the keys): docs "HTTP API".
    keys_file: Path = Path(".tocsin/api-keys.yaml")
    # The API's address as people reach it, behind a proxy: the Atom feed's self link
    # and the CAP sender and links use it. Unset: the address a request came to.
    public_url: str | None = None
    # Unknown keys a client address may present per window before it gets 429s
    # (with Retry-After) for every keyed request until the window has passed.
    failed_keys_limit: int = Field(default=10, ge=1)
    failed_keys_window_s: float = Field(default=60.0, gt=0)


class SecretFilesSource(PydanticBaseSettingsSource):
    """Secrets mounted as files (Docker and Kubernetes secrets), one per variable, named
    like it: ``$TOCSIN_SECRETS_DIR/TOCSIN_SEARCH__API_KEY``. The environment wins."""

    def __init__(self, settings_cls: type[BaseSettings], directory: Path) -> None:
        super().__init__(settings_cls)
        if not directory.is_dir():
            raise SettingsError(f"TOCSIN_SECRETS_DIR names {str(directory)!r}, which is not a directory")
        self.directory = directory

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ reads the whole directory

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for path in sorted(self.directory.iterdir()):
            if not path.name.upper().startswith("TOCSIN_") or not path.is_file():
                continue  # Kubernetes also mounts ..data links and dot-directories here
            *sections, leaf = path.name[len("TOCSIN_"):].lower().split("__")
            node = values
            for section in sections:
                node = node.setdefault(section, {})
            node[leaf] = path.read_text(encoding="utf-8").strip()
        return values


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TOCSIN_", env_nested_delimiter="__", extra="forbid")

    kafka: KafkaSettings = KafkaSettings()
    search: SearchSettings = SearchSettings()
    collector: CollectorSettings = CollectorSettings()
    processing: ProcessingSettings = ProcessingSettings()
    alerts: AlertSettings = AlertSettings()
    incidents: IncidentSettings = IncidentSettings()
    api: ApiSettings = ApiSettings()
    event_time: EventTimeSettings = EventTimeSettings()
    evidence: EvidenceSettings = EvidenceSettings()
    # Local working data of the workers (Faust's data directories).
    data_dir: Path = Path(".tocsin")
    # Faust table store: in memory (rebuilt from changelog topics at start) or
    # "rocksdb://" (on disk, needs faust-streaming[rocksdict]) for large deployments.
    table_store: str = "memory://"
    # Prefix of the consumer groups and changelog topics.
    app_id_prefix: str = "tocsin"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings, file_secret_settings]
        secrets_dir = os.environ.get("TOCSIN_SECRETS_DIR")
        if secrets_dir:
            sources.append(SecretFilesSource(settings_cls, Path(secrets_dir)))
        yaml_file = os.environ.get("TOCSIN_CONFIG")
        if yaml_file:
            if not Path(yaml_file).is_file():
                raise SettingsError(f"TOCSIN_CONFIG names {yaml_file!r}, which is not a file")
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=yaml_file))
        return tuple(sources)


def load_settings(**overrides: object) -> Settings:
    """The settings, or a :class:`SettingsError` that names each bad field in one line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(describe_invalid_settings(exc)) from None
    except yaml.YAMLError as exc:
        raise SettingsError(f"{os.environ.get('TOCSIN_CONFIG')}: not valid YAML: {exc}") from None


def describe_invalid_settings(exc: ValidationError) -> str:
    """One line per mistake, never the input: pydantic would echo a whole section, passwords too."""
    problems = [f"{'.'.join(str(part) for part in error['loc']) or exc.title}: {error['msg']}"
                for error in exc.errors(include_input=False, include_url=False)]
    return f"{exc.title}: " + "; ".join(problems)
