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
from typing import TYPE_CHECKING, Literal, Protocol, TypeVar, runtime_checkable

from tocsin.schema import DeadLetter, Item

if TYPE_CHECKING:
    from collectors.config import FeedConfig
    from collectors.fetch import Fetcher


class UnknownSourceType(LookupError):
    """A feed names a ``type`` no plug-in registered."""

    def __init__(self, type_name: str, known: list[str]) -> None:
        super().__init__(f"unknown source type {type_name!r}; known types: {', '.join(known) or 'none'}")
        self.type_name = type_name
        self.known = known


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


Report = Callable[[str, str], Awaitable[None]]
"""``report(kind, message)``: something an operator must hear about that is not a failure of
the run (a refused reconnect, events lost past the service's history). The runner logs it,
keeps ``message`` as the source's last error and counts ``kind`` for ``/metrics``."""


async def ignore_report(kind: str, message: str) -> None:
    """The default :data:`Report`, for a context built outside the runner (tests, the probe)."""


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
    report: Report = ignore_report


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


@dataclass(frozen=True)
class Plugin:
    """A registered source type: its config model and how to build a source from it."""

    type_name: str
    config_model: type[FeedConfig]
    build: Callable[[FeedConfig], Source | StreamingSource]


_REGISTRY: dict[str, Plugin] = {}

S = TypeVar("S")


def register(type_name: str, *, config_model: type[FeedConfig]) -> Callable[[type[S]], type[S]]:
    """Class decorator: make a source class available under ``type: <type_name>``.

    The class is called with the validated config (an instance of ``config_model``).
    """

    def decorate(cls: type[S]) -> type[S]:
        if type_name in _REGISTRY:
            raise ValueError(f"source type {type_name!r} is registered twice")
        _REGISTRY[type_name] = Plugin(type_name, config_model, cls)  # type: ignore[arg-type]
        return cls

    return decorate


def plugin(type_name: str) -> Plugin:
    try:
        return _REGISTRY[type_name]
    except KeyError:
        raise UnknownSourceType(type_name, source_types()) from None


def source_types() -> list[str]:
    return sorted(_REGISTRY)


def build_source(config: FeedConfig) -> Source | StreamingSource:
    return plugin(config.type).build(config)
