"""The collector process: every enabled feed on its own schedule, at least once.

Order of a poll: fetch and parse (the source), drop entries already published
(the seen set), journal the new ones, publish and wait for the broker's
acknowledgement, and only then record the new ids, validators and schedule in the
state file. A crash anywhere before that last step repeats the poll after restart,
and nothing is skipped; the journal is settled first (the items it lists that
reached ``items.raw`` are marked seen), so the repeat re-emits nothing the broker
already took.

A streaming source (a WebSocket subscription) runs in a task of its own and hands
over small batches; each is published, acknowledged, and then stored with the
stream's cursor in one transaction, so a restart resumes where the broker's
acknowledgements end. A stream that fails is restarted with backoff; no feed, polled
or streamed, can stall another.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
import signal
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from types import TracebackType
from typing import Literal

from collectors.config import FeedConfig, load_sources
from collectors.fetch import Fetcher, backoff_delay
from collectors.protocol import (
    PollContext,
    PollOutcome,
    Source,
    StreamBatch,
    StreamContext,
    StreamingSource,
    build_source,
)
from collectors.publisher import JournaledSink, KafkaPublisher, Sink
from collectors.schedule import adapt_interval, failure_delay, success_delay
from collectors.state import FeedState, PendingItem, StateStore
from tocsin.event_time import bound_event_time
from tocsin.kafka import ensure_topics
from tocsin.schema import Item, utcnow
from tocsin.settings import CollectorSettings, EventTimeSettings, Settings

log = logging.getLogger(__name__)

ReportStatus = Literal["new", "unchanged", "failed"]

STREAM_BACKOFF_CAP_S = 300.0
"""Longest wait before restarting a failed stream: a live stream is worth retrying often."""
STREAM_STOP_GRACE_S = 5.0
"""How long streams may take to emit what they hold once ``stop`` is set."""


@dataclass(frozen=True)
class FeedReport:
    """One poll of one feed, as the log line and ``run_once`` report it."""

    feed: str
    status: ReportStatus
    new_items: int = 0
    dead_letters: int = 0
    http_status: int | None = None
    error: str | None = None
    interval_s: float | None = None
    next_poll: datetime | None = None


@dataclass(frozen=True)
class RunSummary:
    reports: list[FeedReport] = field(default_factory=list)

    @property
    def by_feed(self) -> dict[str, FeedReport]:
        return {report.feed: report for report in self.reports}

    @property
    def new_items(self) -> int:
        return sum(report.new_items for report in self.reports)

    def count(self, status: ReportStatus) -> int:
        return sum(1 for report in self.reports if report.status == status)

    def __str__(self) -> str:
        return (f"{len(self.reports)} feeds: {self.count('new')} new, {self.count('unchanged')} unchanged, "
                f"{self.count('failed')} failed; {self.new_items} new items")


def seen_keys(item: Item, *, edits_by_content: bool = False) -> tuple[str, ...]:
    """The keys under which an item is remembered as published; the last decides if it is new.

    A deletion is remembered apart from its post (``<id>#deleted``), so it is published
    even though the post was. With ``edits_by_content`` an item is also remembered
    under ``<id>@<content_sha256>``, so a new version of a seen post is published while
    the bare id still answers "was this post published?".
    """
    if item.deleted:
        return (f"{item.id}#deleted",)
    if edits_by_content:
        return (item.id, f"{item.id}@{item.content_sha256}")
    return (item.id,)


def fresh_by_key(items: Sequence[Item], unseen_keys: Sequence[str], *,
                 edits_by_content: bool = False) -> list[Item]:
    """The items whose deciding seen key is unseen, first occurrence only, in order."""
    wanted = set(unseen_keys)
    fresh: list[Item] = []
    for item in items:
        key = seen_keys(item, edits_by_content=edits_by_content)[-1]
        if key in wanted:
            wanted.discard(key)
            fresh.append(item)
    return fresh


class Collector:
    """Polls the enabled feeds and publishes their new items to ``sink``.

    Opens the state file and an HTTP fetcher unless given; ``clock`` and ``rng``
    are injectable for tests. Use as an async context manager.
    """

    def __init__(self, feeds: Sequence[FeedConfig], settings: CollectorSettings, sink: Sink, *,
                 store: StateStore | None = None, fetcher: Fetcher | None = None,
                 clock: Callable[[], datetime] = utcnow, rng: random.Random | None = None,
                 event_time: EventTimeSettings | None = None) -> None:
        self.settings = settings
        self.event_time = event_time or EventTimeSettings()
        self.feeds = [feed for feed in feeds if feed.enabled]
        self.sources: dict[str, Source | StreamingSource] = {
            feed.name: build_source(feed) for feed in self.feeds}
        self.sink = sink
        self._store = store
        self._own_store = store is None
        self._fetcher = fetcher
        self._own_fetcher = fetcher is None
        self._clock = clock
        self._rng = rng or random.Random()

    async def __aenter__(self) -> Collector:
        if self._store is None:
            self._store = StateStore(self.settings.state_path, seen_limit=self.settings.seen_ids_per_feed)
        if self._fetcher is None:
            self._fetcher = Fetcher(self.settings, rng=self._rng)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        if self._own_fetcher and self._fetcher is not None:
            await self._fetcher.aclose()
            self._fetcher = None
        if self._own_store and self._store is not None:
            self._store.close()
            self._store = None

    @property
    def store(self) -> StateStore:
        if self._store is None:
            raise RuntimeError("use the Collector as an async context manager")
        return self._store

    @property
    def fetcher(self) -> Fetcher:
        if self._fetcher is None:
            raise RuntimeError("use the Collector as an async context manager")
        return self._fetcher

    def is_streaming(self, feed: FeedConfig) -> bool:
        return isinstance(self.sources[feed.name], StreamingSource)

    async def run_once(self) -> RunSummary:
        """Poll every enabled polled feed now, concurrently, whatever its schedule says.

        Streams have no "once": they are left out (and logged) here; ``run`` runs them."""
        polled = [feed for feed in self.feeds if not self.is_streaming(feed)]
        for feed in self.feeds:
            if self.is_streaming(feed):
                log.info("feed=%s is a stream; run once does not run streams", feed.name)
        reports = await asyncio.gather(*(self.poll(feed) for feed in polled))
        return RunSummary(list(reports))

    async def run(self, stop: asyncio.Event) -> None:
        """Poll each feed on its own schedule, and run each stream, until ``stop`` is set.

        Polls in flight when ``stop`` is set are cancelled; their items are re-emitted
        after the next start, since their state was not recorded. Streams get
        ``STREAM_STOP_GRACE_S`` to emit what they hold, then are cancelled too.
        """
        polls = [asyncio.create_task(self._keep_polling(feed, stop), name=f"collect:{feed.name}")
                 for feed in self.feeds if not self.is_streaming(feed)]
        streams = [asyncio.create_task(self._keep_streaming(feed, stop), name=f"stream:{feed.name}")
                   for feed in self.feeds if self.is_streaming(feed)]
        try:
            await stop.wait()
        finally:
            for task in polls:
                task.cancel()
            if streams:
                await asyncio.wait(streams, timeout=STREAM_STOP_GRACE_S)
            for task in streams:
                task.cancel()
            await asyncio.gather(*polls, *streams, return_exceptions=True)

    async def _keep_streaming(self, feed: FeedConfig, stop: asyncio.Event) -> None:
        """Run one stream until ``stop``; restart it with backoff whenever it raises or ends."""
        source = self.sources[feed.name]
        assert isinstance(source, StreamingSource)
        while not stop.is_set():
            state = await asyncio.to_thread(self.store.load, feed.name)
            context = StreamContext(
                fetcher=self.fetcher, cursor=state.cursor, clock=self._clock,
                seen=lambda keys: self._already_seen(feed.name, keys),
                pseudonym_secret=self.settings.pseudonym_secret.get_secret_value(),
                report=functools.partial(self._note, feed.name))
            try:
                await source.run(context, self._emitter(feed), stop)
                if stop.is_set():
                    return
                error = "the stream ended"
            except Exception as exc:  # a plug-in bug or a broker outage: this stream only
                log.warning("feed=%s stream failed: %s: %s", feed.name, type(exc).__name__, exc,
                            exc_info=not isinstance(exc, ConnectionError | OSError))
                error = f"stream failed: {type(exc).__name__}: {exc}"
            try:
                state = await asyncio.to_thread(self.store.load, feed.name)
                failures = state.failures + 1
                await asyncio.to_thread(self.store.save, replace(
                    state, failures=failures, last_error=error[:2000], last_error_at=self._clock()))
            except Exception:
                log.exception("feed=%s could not record the stream failure", feed.name)
                failures = 1
            delay = backoff_delay(min(failures - 1, 30), self.settings.backoff_base_s, self._rng,
                                  cap_s=STREAM_BACKOFF_CAP_S)
            log.info("feed=%s restarting the stream in %.1f s (failure %d)", feed.name, delay, failures)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)

    async def _fresh(self, name: str, items: Sequence[Item], *, edits_by_content: bool) -> list[Item]:
        """The items not published before, their event times bounded (``tocsin.event_time``).

        A state file from before feed-scoped ids remembers an entry by what is now its
        ``story_id``: such an entry is not new either, or upgrading would publish every
        listed entry again (and the rules would count it twice).
        """
        deciding = [seen_keys(item, edits_by_content=edits_by_content)[-1] for item in items]
        unseen = await asyncio.to_thread(self.store.unseen, name, deciding) if deciding else []
        fresh = fresh_by_key(items, unseen, edits_by_content=edits_by_content)
        legacy = {item.id: item.story_id for item in fresh
                  if item.story_id and item.story_id != item.id and not edits_by_content}
        if legacy:
            never_seen = set(await asyncio.to_thread(self.store.unseen, name, list(legacy.values())))
            fresh = [item for item in fresh if item.id not in legacy or legacy[item.id] in never_seen]
        now = self._clock()
        return [bound_event_time(item, now, self.event_time) for item in fresh]

    async def _note(self, name: str, kind: str, message: str) -> None:
        """A stream's report (:data:`~collectors.protocol.Report`): logged, kept, counted."""
        log.warning("feed=%s %s: %s", name, kind, message)
        try:
            await asyncio.to_thread(self.store.note, name, kind, message, self._clock())
        except Exception:  # the state file; the warning above still told the operator
            log.exception("feed=%s could not record a %s report", name, kind)

    async def _already_seen(self, name: str, keys: Sequence[str]) -> set[str]:
        unseen = set(await asyncio.to_thread(self.store.unseen, name, list(keys)))
        return {key for key in keys if key not in unseen}

    def _emitter(self, feed: FeedConfig) -> Callable[[StreamBatch], Awaitable[int]]:
        async def emit(batch: StreamBatch) -> int:
            """Publish the unseen items, wait for the broker, then store seen keys and cursor."""
            await self._settle(feed.name)
            keys = [key for item in batch.items
                    for key in seen_keys(item, edits_by_content=batch.edits_by_content)]
            new = await self._fresh(feed.name, batch.items, edits_by_content=batch.edits_by_content)
            if new or batch.dead_letters:
                await self._journal(feed.name, new, edits_by_content=batch.edits_by_content)
                await self.sink.publish(new, batch.dead_letters)  # raises: nothing below is stored
            state = await asyncio.to_thread(self.store.load, feed.name)
            now = self._clock()
            updated = replace(state, failures=0, last_success=now,
                              cursor=batch.cursor if batch.cursor is not None else state.cursor)
            keys.reverse()  # the store wants newest first; a stream delivers oldest first
            await asyncio.to_thread(functools.partial(self.store.save, updated, keys, published=True))
            if new or batch.dead_letters:
                log.info("feed=%s status=new new=%d dead_letters=%d cursor=%s", feed.name, len(new),
                         len(batch.dead_letters), updated.cursor or "-")
            return len(new)

        return emit

    async def _keep_polling(self, feed: FeedConfig, stop: asyncio.Event) -> None:
        state = await asyncio.to_thread(self.store.load, feed.name)
        next_poll = state.next_poll
        while not stop.is_set():
            wait = (next_poll - self._clock()).total_seconds() if next_poll else 0.0
            if wait > 0:
                try:
                    await asyncio.wait_for(stop.wait(), timeout=wait)
                    return
                except TimeoutError:
                    pass
            try:
                next_poll = (await self.poll(feed)).next_poll
            except Exception:  # the state file or a bug; keep this feed alive, and the others
                log.exception("feed=%s poll crashed; retrying after its interval", feed.name)
                next_poll = None
            if next_poll is None:
                next_poll = self._clock() + timedelta(seconds=success_delay(feed.interval, self._rng))

    async def poll(self, feed: FeedConfig) -> FeedReport:
        """One poll of one feed, recorded in the state file once its records are acknowledged."""
        await self._settle(feed.name)
        state = await asyncio.to_thread(self.store.load, feed.name)
        context = PollContext(fetcher=self.fetcher, previous=state.validators, collected=self._clock(),
                              cursor=state.cursor,
                              pseudonym_secret=self.settings.pseudonym_secret.get_secret_value())
        source = self.sources[feed.name]
        try:
            if isinstance(source, StreamingSource):
                raise TypeError(f"feed {feed.name!r} is a stream; it is run, not polled")
            outcome = await source.poll(context)
        except Exception as exc:  # a plug-in bug fails this feed only
            log.exception("feed=%s source raised", feed.name)
            outcome = PollOutcome("failed", error=f"source raised {type(exc).__name__}: {exc}")

        listed: list[str] = []
        new: list[Item] = []
        if outcome.status == "changed":
            by_content = outcome.edits_by_content
            listed = [key for item in outcome.items for key in seen_keys(item, edits_by_content=by_content)]
            new = await self._fresh(feed.name, outcome.items, edits_by_content=by_content)
        published = False
        try:
            if new or outcome.dead_letters:
                await self._journal(feed.name, new, edits_by_content=outcome.edits_by_content)
                await self.sink.publish(new, outcome.dead_letters)
            published = True
        except Exception as exc:
            # Nothing recorded: validators and seen ids stay, and the journal with them, so
            # the next poll settles what did reach the broker and emits the rest again.
            outcome = PollOutcome("failed", error=f"publishing failed: {exc}",
                                  http_status=outcome.http_status)
            new, listed = [], []

        now = self._clock()
        if outcome.status == "failed":
            updated = self._failed(state, feed, outcome, now)
            status: ReportStatus = "failed"
        else:
            updated = self._succeeded(state, feed, outcome, now, new_entries=bool(new))
            status = "new" if new else "unchanged"
        await asyncio.to_thread(functools.partial(self.store.save, updated, listed, published=published))

        report = FeedReport(feed=feed.name, status=status, new_items=len(new),
                            dead_letters=len(outcome.dead_letters), http_status=outcome.http_status,
                            error=outcome.error, interval_s=updated.interval_s, next_poll=updated.next_poll)
        level = logging.WARNING if status == "failed" or outcome.error else logging.INFO
        log.log(level, "feed=%s status=%s http=%s new=%d dead_letters=%d next_poll=%s%s", feed.name, status,
                outcome.http_status or "-", len(new), len(outcome.dead_letters),
                updated.next_poll.isoformat(timespec="seconds") if updated.next_poll else "-",
                f" error={outcome.error}" if outcome.error else "")
        return report

    async def _journal(self, name: str, items: Sequence[Item], *, edits_by_content: bool) -> None:
        """Note what is about to be published, and where ``items.raw`` ends before it."""
        if not items or not isinstance(self.sink, JournaledSink):
            return
        offsets = await self.sink.end_offsets()
        pending = [PendingItem(item.id, item.content_sha256, item.deleted,
                               seen_keys(item, edits_by_content=edits_by_content)) for item in items]
        await asyncio.to_thread(self.store.begin_publish, name, pending, offsets)

    async def _settle(self, name: str) -> None:
        """After a crash (or a failed publish): mark seen what the journal lists and the topic holds."""
        pending = await asyncio.to_thread(self.store.pending, name)
        if pending is None:
            return
        found: set[tuple[str, str, bool]] = set()
        if isinstance(self.sink, JournaledSink):
            found = await self.sink.published_since(pending.offsets)
        arrived = [item for item in pending.items if item.version in found]
        await asyncio.to_thread(self.store.settle, name,
                                [key for item in arrived for key in item.seen_keys])
        log.info("feed=%s settled an unacknowledged publish: %d of %d items had reached the broker",
                 name, len(arrived), len(pending.items))

    def _succeeded(self, state: FeedState, feed: FeedConfig, outcome: PollOutcome, now: datetime, *,
                   new_entries: bool) -> FeedState:
        interval = adapt_interval(state.interval_s, feed.interval, new_entries=new_entries,
                                  min_s=self.settings.min_interval_s, max_s=self.settings.max_interval_s)
        delay = success_delay(interval, self._rng)
        if outcome.retry_after_s is not None:  # e.g. a rate-limit budget spent mid-poll
            delay = max(delay, min(outcome.retry_after_s, self.settings.max_interval_s))
        validators = outcome.validators
        cursor = outcome.cursor if outcome.cursor is not None else state.cursor
        # A poll that succeeded in part (a page skipped, a budget spent) still says why, in the health.
        last_error = (outcome.error[:2000], now) if outcome.error else (state.last_error, state.last_error_at)
        return replace(state, etag=validators.etag, last_modified=validators.last_modified,
                       body_sha256=validators.body_sha256, interval_s=interval, failures=0,
                       next_poll=now + timedelta(seconds=delay), last_success=now, cursor=cursor,
                       last_error=last_error[0], last_error_at=last_error[1])

    def _failed(self, state: FeedState, feed: FeedConfig, outcome: PollOutcome, now: datetime) -> FeedState:
        failures = state.failures + 1
        delay = failure_delay(failures, state.interval_s or feed.interval, max_s=self.settings.max_interval_s,
                              rng=self._rng, retry_after_s=outcome.retry_after_s)
        return replace(state, failures=failures, next_poll=now + timedelta(seconds=delay),
                       last_error=(outcome.error or "failed")[:2000], last_error_at=now)


async def run_collector(settings: Settings, *, once: bool = False,
                        stop: asyncio.Event | None = None) -> RunSummary | None:
    """What ``tocsin collect`` runs: load the feeds file, make sure the topics exist,
    then poll once (returning the summary) or until ``stop`` is set.

    Without ``stop``, SIGTERM (what a supervisor sends) stops the collector cleanly.
    """
    feeds = load_sources(settings.collector.feeds_file)
    await ensure_topics(settings.kafka)
    if once or stop is not None:
        return await _collect(settings, feeds, once=once, stop=stop or asyncio.Event())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # Not possible off the main thread or on platforms without signals; then run until cancelled.
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        loop.add_signal_handler(signal.SIGTERM, stop.set)
    try:
        return await _collect(settings, feeds, once=False, stop=stop)
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.remove_signal_handler(signal.SIGTERM)


async def _collect(settings: Settings, feeds: list[FeedConfig], *, once: bool,
                   stop: asyncio.Event) -> RunSummary | None:
    async with KafkaPublisher(settings.kafka) as publisher, \
            Collector(feeds, settings.collector, publisher, event_time=settings.event_time) as collector:
        log.info("collecting %d enabled feeds of %d from %s", len(collector.feeds), len(feeds),
                 settings.collector.feeds_file)
        if once:
            summary = await collector.run_once()
            log.info("run once: %s", summary)
            return summary
        await collector.run(stop)
        return None
