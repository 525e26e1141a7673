"""What a source plug-in is, and the registry that finds one by its YAML ``type``.

A source turns one configured feed into items. It does not know about Kafka, the
state file or the schedule: the runner publishes what it returns, remembers what
was seen, and decides when to call it again. That keeps a plug-in to one method.

A :class:`Source` is polled; a :class:`StreamingSource` holds a subscription open
and hands the runner small batches, each stored with its cursor once acknowledged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar, runtime_checkable

from tocsin.errors import PluginError
from tocsin.plugins import Plugin, Registry, config_model_of, entry_point_group
from tocsin.schema import DeadLetter, Item

if TYPE_CHECKING:
    from collectors.config import FeedConfig
    from collectors.fetch import Fetcher


@dataclass(frozen=True)
class Validators:
    """What lets the next poll skip an unchanged feed: HTTP validators and the body hash."""

    etag: str | None = None
    last_modified: str | None = None
    body_sha256: str | None = None


@dataclass(frozen=True)
class PollContext:
    """What the runner lends a source for one poll."""

    fetcher: Fetcher
    previous: Validators
    collected: datetime
    """The collection time stamped on every item of this poll (UTC)."""
    cursor: str | None = None
    """The ``cursor`` of the last successful poll whose items the broker acknowledged
    (None before the first): where an API source resumes paging."""
    pseudonym_secret: str = field(default="", repr=False)
    """The key for :func:`collectors.pseudonyms.author_pseudonym` (``collector.pseudonym_secret``)."""


PollStatus = Literal["changed", "unchanged", "failed"]


@dataclass(frozen=True)
class PollOutcome:
    """The result of one poll.

    ``changed`` means a new body was parsed; its items may still all be seen
    ones (the runner filters them). ``validators`` are stored only after the
    broker acknowledged the items, so a crash never skips a body.
    """

    status: PollStatus
    items: list[Item] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    validators: Validators = Validators()
    http_status: int | None = None
    error: str | None = None
    retry_after_s: float | None = None
    """A server's request to wait at least this long before the next poll (a floor on
    the next delay after a success too, e.g. a rate-limit budget spent mid-poll)."""
    cursor: str | None = None
    """Where the next poll should resume (an API's ``since_id``, a date), opaque to the
    runner; None keeps the stored one. Like ``validators`` it is stored only after the
    broker acknowledged the items and only for a poll that did not fail, so it must
    not run ahead of the items returned: a source that stops paging early returns the
    position of the last item it returns."""
    edits_by_content: bool = False
    """True when an item listed again under a seen id but with a new ``content_sha256``
    is an edit to publish again (a re-listed page of posts), not a repeat to drop."""


class Source(Protocol):
    """One configured feed, ready to poll. Built once per feed by its plug-in."""

    @property
    def name(self) -> str: ...

    async def poll(self, context: PollContext) -> PollOutcome:
        """Fetch and normalise; never raise for a bad feed, report it in the outcome."""
        ...


@dataclass(frozen=True)
class StreamContext:
    """What the runner lends a streaming source for one run (until it returns or raises)."""

    fetcher: Fetcher
    cursor: str | None
    """The cursor of the last batch the broker acknowledged (None before the first):
    where the stream resumes after a restart or a reconnect."""
    clock: Callable[[], datetime]
    """The collection time to stamp on items (UTC)."""
    seen: Callable[[Sequence[str]], Awaitable[set[str]]]
    """Which of these item ids (or seen keys) this feed has already published; bounded
    by ``collector.seen_ids_per_feed`` like the rest of the seen set."""
    pseudonym_secret: str = field(default="", repr=False)


@dataclass(frozen=True)
class StreamBatch:
    """Items from a stream, published together and acknowledged before ``cursor`` is stored."""

    items: list[Item] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    cursor: str | None = None
    """The position after the last event this batch covers (None keeps the stored one).
    It may run ahead of the items: events that matched no filter need no publishing."""
    edits_by_content: bool = False
    """As :attr:`PollOutcome.edits_by_content`."""


Emit = Callable[[StreamBatch], Awaitable[int]]
"""Publishes a batch (new items only; seen ones are dropped), waits for the broker, then
stores the seen ids and the cursor in one transaction; returns how many items were new.
Raises if publishing failed: a source lets that propagate, and the runner restarts it
from the stored cursor, so nothing is skipped."""


@runtime_checkable
class StreamingSource(Protocol):
    """A long-lived subscription (WebSocket, server-sent events) rather than a poll.

    The runner gives each one its own task. ``run`` reads until ``stop`` is set and then
    returns, after emitting what it holds; it reconnects by itself after transport
    errors (with backoff). If it raises, the runner logs the error, backs off and calls
    it again with a fresh context, so a bug or a broker outage costs only time.
    """

    @property
    def name(self) -> str: ...

    async def run(self, context: StreamContext, emit: Emit, stop: asyncio.Event) -> None: ...


SourceFactory = Callable[["FeedConfig"], "Source | StreamingSource"]
"""Builds a source from its validated config: usually the source class itself."""


def _adopt(name: str, target: Any) -> Plugin[SourceFactory]:
    """A source class from an entry point or a dotted path: it names its ``config_model``."""
    from collectors.config import FeedConfig

    model = config_model_of(target, "source", name)
    if not issubclass(model, FeedConfig):
        raise PluginError(f"source type {name!r}: its config_model must subclass FeedConfig")
    return Plugin(name, model, target)

SOURCES: Registry[SourceFactory] = Registry(
    "source", package="collectors", group=entry_point_group("sources"), adopt=_adopt)
"""Source plug-ins by their ``type:`` in the feeds file; built-ins are the modules of
``collectors`` that use :func:`register`."""

S = TypeVar("S")


def register(type_name: str, *, config_model: type[FeedConfig]) -> Callable[[type[S]], type[S]]:
    """Class decorator: make a source class available under ``type: <type_name>``.

    The class is called with the validated config (an instance of ``config_model``).
    """

    def decorate(cls: type[S]) -> type[S]:
        SOURCES.add(Plugin(type_name, config_model, cls))  # type: ignore[arg-type]
        return cls

    return decorate


def plugin(type_name: str) -> Plugin[SourceFactory]:
    return SOURCES.get(type_name)


def source_types() -> list[str]:
    return SOURCES.names()


def build_source(config: FeedConfig) -> Source | StreamingSource:
    return plugin(config.type).target(config)
