"""Faults on the way, and still every item archived exactly once.

Each test ends with an exact count: the ids in the archive are the ids
published, each once. The search server is taken away by a TCP proxy in front of
it (osmem keeps its data in memory, so stopping it would lose what the test
checks); workers and collectors are killed with SIGKILL, which allows no cleanup.
"""

from __future__ import annotations

import asyncio
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import COMPAT_NODE
from tests.e2e.ledger import (
    archive_count,
    assert_archived_exactly,
    duplicates,
    group_lag,
    produce_items,
    read_topic,
)
from tests.e2e.tcpproxy import FaultyProxy
from tests.stack import Stack, wait_for
from tocsin import topics
from tocsin.embedded.broker import LocalBroker
from tocsin.kafka import ensure_topics
from tocsin.schema import DeadLetter, Item, SourceRef
from tocsin.settings import SearchSettings, Settings

pytestmark = pytest.mark.peers

OUTAGE_S = 60.0


def make_items(prefix: str, count: int, *, start: int = 0) -> list[Item]:
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    return [Item(id=f"{prefix}-{n:05d}", source=SourceRef(type="rss", name="wire"), title=f"Report {n}",
                 text=f"Gunmen killed {n % 40 + 2} villagers near El Fasher, Sudan, witnesses said.",
                 published=base + timedelta(seconds=n), collected=base + timedelta(seconds=n),
                 raw_sha256="a" * 64, content_sha256=f"{n:064d}") for n in range(start, start + count)]


def proxied_stack(tmp: Path, broker: LocalBroker, search: SearchSettings, proxy: FaultyProxy,
                  **env: str) -> tuple[Stack, Settings]:
    """A stack whose workers reach the search server through ``proxy``, and settings
    for the test itself that go straight to it."""
    stack = Stack(tmp, broker, SearchSettings(url=proxy.url, node_class=COMPAT_NODE), rules="rules: []\n")
    stack.env.update(env)
    settings = stack.settings()
    asyncio.run(ensure_topics(settings.kafka))
    direct = settings.model_copy(update={"search": settings.search.model_copy(update={"url": search.url})})
    return stack, direct


def search_proxy(search: SearchSettings) -> FaultyProxy:
    address = urlsplit(search.url)
    return FaultyProxy(address.hostname or "127.0.0.1", address.port or 9200)


def dead_letters(bootstrap: str) -> list[DeadLetter]:
    return [DeadLetter.from_bytes(record.value) for record in read_topic(bootstrap, topics.ITEMS_DLQ)]


def test_a_minute_without_the_search_server_stalls_the_stream_and_then_it_catches_up(
        tmp_path: Path, own_broker: LocalBroker, search_settings: SearchSettings) -> None:
    with search_proxy(search_settings) as proxy:
        stack, settings = proxied_stack(tmp_path, own_broker, search_settings, proxy,
                                        TOCSIN_PROCESSING__BATCH_SIZE="500")
        bootstrap = own_broker.bootstrap_servers
        before = make_items("outage", 1000)
        stack.start_workers("process")
        try:
            produce_items(bootstrap, topics.ITEMS_RAW, before)
            wait_for(lambda: archive_count(settings) == len(before), "the first items archived",
                     workers=stack.workers)

            # 30 s refused (the server is down), then 30 s swallowed (a partition);
            # items keep coming all the while.
            during: list[Item] = []
            cut = time.monotonic()
            proxy.set_mode("refuse")
            while (elapsed := time.monotonic() - cut) < OUTAGE_S:
                if elapsed >= OUTAGE_S / 2 and proxy.mode == "refuse":
                    proxy.set_mode("blackhole")
                chunk = make_items("outage", 250, start=len(before) + len(during))
                produce_items(bootstrap, topics.ITEMS_RAW, chunk)
                during.extend(chunk)
                time.sleep(5)
            assert archive_count(settings) == len(before), "the archive changed while it was unreachable"
            lag = group_lag(bootstrap, f"{settings.app_id_prefix}-processors", [topics.ITEMS_RAW])
            assert lag is not None and lag >= len(during), "the worker acked items it could not archive"
            assert stack.workers[0].poll() is None, "the worker died during the outage"

            proxy.set_mode("up")
            healed = time.monotonic()
            after = make_items("outage", 500, start=len(before) + len(during))
            produce_items(bootstrap, topics.ITEMS_RAW, after)
            everything = before + during + after
            wait_for(lambda: archive_count(settings) == len(everything), "the backlog archived",
                     timeout=180, workers=stack.workers)
            catch_up = time.monotonic() - healed
            assert assert_archived_exactly(settings, (item.id for item in everything)) == len(everything)
            assert dead_letters(bootstrap) == []
            retries = (tmp_path / "process.log").read_text(errors="replace").count("retrying in")
            print(f"outage: {len(during)} items held back over {OUTAGE_S:.0f} s; {len(everything)} archived "
                  f"{catch_up:.1f} s after the server came back; {retries} retries logged")
            assert 2 <= retries <= 40, f"{retries} retries in a minute: not backing off"
        except BaseException:
            print(stack.logs())
            raise
        finally:
            stack.stop_workers()


def test_worker_killed_between_publishing_and_archiving_a_batch_loses_and_copies_nothing(
        tmp_path: Path, own_broker: LocalBroker, search_settings: SearchSettings) -> None:
    """The kill lands at the worst moment on purpose: the batch is on ``items.enriched``
    but the archive has not taken it (it refuses writes, and the worker is retrying)."""
    with search_proxy(search_settings) as proxy:
        stack, settings = proxied_stack(tmp_path, own_broker, search_settings, proxy,
                                        TOCSIN_PROCESSING__BATCH_SIZE="200")
        bootstrap = own_broker.bootstrap_servers
        first, second = make_items("midbatch", 600), make_items("midbatch", 600, start=600)
        stack.start_workers("process")
        try:
            produce_items(bootstrap, topics.ITEMS_RAW, first)
            wait_for(lambda: archive_count(settings) == len(first), "the first items archived",
                     workers=stack.workers)
            proxy.set_mode("reject_writes")
            produce_items(bootstrap, topics.ITEMS_RAW, second)
            wait_for(lambda: proxy.rejected >= 2 and len(read_topic(bootstrap, topics.ITEMS_ENRICHED)) > 600,
                     "a batch published and its archive write refused", workers=stack.workers)
            worker = stack.workers.pop()
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
            in_flight = len(read_topic(bootstrap, topics.ITEMS_ENRICHED)) - len(first)
            assert archive_count(settings) == len(first)

            proxy.set_mode("up")
            stack.start_workers("process")
            wait_for(lambda: archive_count(settings) == len(first) + len(second), "the rest archived",
                     timeout=150, workers=stack.workers)
            assert_archived_exactly(settings, (item.id for item in first + second))
            assert dead_letters(bootstrap) == []
            # At least once downstream: the killed batch was enriched (and published) again.
            enriched = [record.key.decode() for record in read_topic(bootstrap, topics.ITEMS_ENRICHED)
                        if record.key]
            copies = duplicates(enriched)
            assert set(enriched) == {item.id for item in first + second}
            assert set(copies) <= {item.id for item in second} and len(copies) <= in_flight <= 200
            print(f"mid-batch kill: {in_flight} items in flight, {len(copies)} published twice "
                  f"on items.enriched, archive exact")
        except BaseException:
            print(stack.logs())
            raise
        finally:
            stack.stop_workers()
