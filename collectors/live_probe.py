"""``tocsin probe sources --live``: is every configured source reachable, and does it accept us?

Run by an operator on a machine with internet, never in CI: one polite request per
enabled source (a polled source is polled once with a budget of one request, after its
token request where it has one; a stream is opened until its first batch or the
timeout), through the same fetcher, SSRF guard and plug-ins the collector uses. Nothing
is published and no state is written. Each source gets one line: ``OK`` with what came
back, or ``FAIL`` with the HTTP status, whether credentials were missing or refused,
and the service's own explanation (ReliefWeb's ``error.message``, GDELT's text,
Mastodon's ``error``), as the collector would record it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from collectors.config import FeedConfig
from collectors.fetch import Fetcher
from collectors.protocol import (
    PollContext,
    Source,
    StreamBatch,
    StreamContext,
    StreamingSource,
    Validators,
    build_source,
)
from tocsin.schema import utcnow
from tocsin.settings import CollectorSettings, Settings

Verdict = Literal["OK", "FAIL", "SKIP"]
AUTH_MISSING = ("not set or empty", "needs 'token_env'")


@dataclass(frozen=True)
class ProbeResult:
    feed: str
    type: str
    verdict: Verdict
    http_status: int | None = None
    summary: str = ""
    """What came back (``12 items``) or why not, in the service's words where it gave any."""
    auth: str | None = None
    """``missing`` (a credential variable is unset) or ``refused`` (401/403), else None."""

    def line(self) -> str:
        status = f"HTTP {self.http_status}" if self.http_status is not None else "-"
        auth = f" [credentials {self.auth}]" if self.auth else ""
        return f"{self.verdict:<4}  {self.type:<15} {self.feed:<28} {status:<9} {self.summary}{auth}"


@dataclass
class _Collected:
    batches: list[StreamBatch] = field(default_factory=list)
    reports: list[str] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)


def _auth(status: int | None, error: str) -> str | None:
    if any(marker in error for marker in AUTH_MISSING):
        return "missing"
    return "refused" if status in (401, 403) else None


def one_request(feed: FeedConfig) -> FeedConfig:
    """The feed with its per-poll request budget at one, where it has one."""
    return feed.model_copy(update={"max_requests": 1}) if "max_requests" in type(feed).model_fields else feed


async def probe_poll(source: Source, feed: FeedConfig, fetcher: Fetcher, secret: str) -> ProbeResult:
    context = PollContext(fetcher=fetcher, previous=Validators(), collected=utcnow(), pseudonym_secret=secret)
    try:
        outcome = await source.poll(context)
    except Exception as exc:  # a plug-in bug: say so, probe the others
        return ProbeResult(feed.name, feed.type, "FAIL", summary=f"source raised {type(exc).__name__}: {exc}")
    if outcome.status == "failed":
        error = outcome.error or "failed"
        return ProbeResult(feed.name, feed.type, "FAIL", outcome.http_status, error,
                           _auth(outcome.http_status, error))
    letters = f", {len(outcome.dead_letters)} dead letters" if outcome.dead_letters else ""
    said = f" (note: {outcome.error})" if outcome.error else ""
    count = "unchanged" if outcome.status == "unchanged" else f"{len(outcome.items)} items"
    return ProbeResult(feed.name, feed.type, "OK", outcome.http_status, f"{count}{letters}{said}")


async def probe_stream(source: StreamingSource, feed: FeedConfig, fetcher: Fetcher, secret: str,
                       timeout_s: float) -> ProbeResult:
    collected = _Collected()
    stop = asyncio.Event()

    async def emit(batch: StreamBatch) -> int:
        collected.batches.append(batch)
        collected.arrived.set()
        return len(batch.items)

    async def report(kind: str, message: str) -> None:
        collected.reports.append(f"{kind}: {message}")
        if kind == "refused":
            collected.arrived.set()

    async def seen(keys: Sequence[str]) -> set[str]:
        return set()

    context = StreamContext(fetcher=fetcher, cursor=None, clock=utcnow, seen=seen, pseudonym_secret=secret,
                            report=report)
    task = asyncio.create_task(source.run(context, emit, stop))
    arrived = asyncio.create_task(collected.arrived.wait())
    error: str | None = None
    await asyncio.wait({task, arrived}, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
    arrived.cancel()
    stop.set()
    try:
        await asyncio.wait_for(task, timeout=5.0)
    except TimeoutError:
        task.cancel()
    except Exception as exc:  # a missing token, a failed publish: what the runner would record
        error = f"{type(exc).__name__}: {exc}"
    if collected.batches and not collected.reports:
        items = sum(len(batch.items) for batch in collected.batches)
        return ProbeResult(feed.name, feed.type, "OK", None, f"stream open, {items} items in the first batch")
    error = "; ".join(collected.reports) or error or f"no event within {timeout_s:.0f} s"
    status = next((code for code in (401, 403, 404, 410, 429) if f"HTTP {code}" in error), None)
    return ProbeResult(feed.name, feed.type, "FAIL", status, error, _auth(status, error))


async def probe_sources(feeds: Sequence[FeedConfig], settings: CollectorSettings, *,
                        timeout_s: float = 20.0) -> list[ProbeResult]:
    """One request per enabled source, concurrently (the fetcher's per-host limits still hold)."""
    secret = settings.pseudonym_secret.get_secret_value()

    async def probe(feed: FeedConfig, fetcher: Fetcher) -> ProbeResult:
        if not feed.enabled:
            return ProbeResult(feed.name, feed.type, "SKIP", summary="disabled")
        source = build_source(one_request(feed))
        if isinstance(source, StreamingSource):
            return await probe_stream(source, feed, fetcher, secret, timeout_s)
        try:
            return await asyncio.wait_for(probe_poll(source, feed, fetcher, secret), timeout_s)
        except TimeoutError:
            return ProbeResult(feed.name, feed.type, "FAIL", summary=f"no answer within {timeout_s:.0f} s")

    async with Fetcher(settings) as fetcher:
        return list(await asyncio.gather(*(probe(feed, fetcher) for feed in feeds)))


def report(results: Sequence[ProbeResult]) -> str:
    """The lines to print, and a closing count."""
    counts = {verdict: sum(result.verdict == verdict for result in results) for verdict in ("OK", "FAIL")}
    lines = [result.line() for result in results]
    skipped = len(results) - counts["OK"] - counts["FAIL"]
    lines.append(f"{len(results)} sources: {counts['OK']} OK, {counts['FAIL']} failed, {skipped} skipped")
    return "\n".join(lines)


def main(settings: Settings, *, timeout_s: float) -> int:
    """What ``tocsin probe sources --live`` runs: 0 when every enabled source answered, else 1."""
    from collectors.config import load_sources

    results = asyncio.run(probe_sources(load_sources(settings.collector.feeds_file), settings.collector,
                                        timeout_s=timeout_s))
    print(report(results))
    return 1 if any(result.verdict == "FAIL" for result in results) else 0
