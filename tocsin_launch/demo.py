"""``tocsin demo``: the whole stream on one machine, with nothing to install but the project.

Starts a Tansu broker and an osmem search server on free loopback ports, serves
the recorded demo corpus (``demo/corpus``) over local HTTP with its dates shifted
so the corpus ends now, runs collectors → processors → alerts as child processes,
and prints alerts as they are raised, incidents as they open and grow, and where to
read them.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from tocsin.processes import spawn, stop
from tocsin.search import search_client
from tocsin.settings import KafkaSettings, SearchSettings, Settings
from tocsin_embedded.broker import LocalBroker
from tocsin_embedded.corpus import corpus_dir, demo_feeds_yaml
from tocsin_embedded.discovery import DEMO_ENV, remove_demo_env, write_demo_env
from tocsin_embedded.feedserver import FeedServer
from tocsin_embedded.ports import free_port
from tocsin_embedded.search import start_search_server
from tocsin_launch.incident_watch import IncidentTicker, show_incidents
from tocsin_launch.supervisor import supervise

COMPAT_NODE = "tocsin_embedded.compat:PlainJsonNode"


def embedded_env(*, bootstrap: str, search_url: str, workdir: Path, feeds_file: Path,
                 alerts_port: int, rules_file: Path, feed_server: str | None = None) -> dict[str, str]:
    """Settings (as environment) that point every stage at the embedded peers; ``feed_server``
    (its URL) is the one private endpoint the collectors may reach."""
    feed_host = urlsplit(feed_server or "")
    admitted = [f"{feed_host.hostname}:{feed_host.port}"] if feed_host.hostname and feed_host.port else []
    return {
        "TOCSIN_KAFKA__BOOTSTRAP_SERVERS": bootstrap,
        "TOCSIN_KAFKA__TOPIC_PARTITIONS": "2",
        "TOCSIN_KAFKA__SESSION_TIMEOUT_S": "10",
        "TOCSIN_KAFKA__REBALANCE_TIMEOUT_S": "10",
        # Tansu answers a fetch only when the wait is up: keep hops short.
        "TOCSIN_KAFKA__FETCH_MAX_WAIT_MS": "100",
        # Tansu misreports where a batch ends: tables must recover whole after a restart.
        "TOCSIN_KAFKA__ONE_RECORD_PER_BATCH": "true",
        "TOCSIN_KAFKA__VERIFY_END_OFFSETS": "true",
        "TOCSIN_SEARCH__URL": search_url,
        "TOCSIN_SEARCH__NODE_CLASS": COMPAT_NODE,
        "TOCSIN_COLLECTOR__FEEDS_FILE": str(feeds_file),
        "TOCSIN_COLLECTOR__STATE_PATH": str(workdir / "collector-state.sqlite3"),
        # The demo corpus is served on 127.0.0.1: the SSRF guard stays on and admits that
        # one endpoint, not every private address (the search server stays out of reach).
        "TOCSIN_COLLECTOR__PRIVATE_TARGETS": json.dumps(admitted),
        "TOCSIN_COLLECTOR__MIN_INTERVAL_S": "15",
        "TOCSIN_DATA_DIR": str(workdir),
        "TOCSIN_ALERTS__WEB_PORT": str(alerts_port),
        "TOCSIN_ALERTS__RULES_FILE": str(rules_file),
    }


def demo_rules(workdir: Path) -> Path:
    """A copy of ``demo/rules.yaml`` (thresholds scaled to the small corpus) for this run:
    ``PUT /rules`` replaces the running stack's file, never the tracked one."""
    copy = workdir / "rules.yaml"
    shutil.copyfile(corpus_dir().parent / "rules.yaml", copy)
    return copy


@contextlib.contextmanager
def running_api(env: dict[str, str], workdir: Path) -> Iterator[tuple[str, str]]:
    """``tocsin api`` as a child on a free port, with one admin key made for the demo.

    Yields the API's URL and the key (printed once; the keys file holds only its hash).
    """
    from api.keys import add_key

    port = free_port()
    keys_file = workdir / "api-keys.yaml"
    key = add_key(keys_file, "demo", "admin")
    url = f"http://127.0.0.1:{port}"
    env.update({"TOCSIN_API__PORT": str(port), "TOCSIN_API__KEYS_FILE": str(keys_file),
                "TOCSIN_API__PUBLIC_URL": url})
    proc = spawn([sys.executable, "-m", "tocsin_launch.cli", "api"], env={**os.environ, **env},
                 stdout=subprocess.DEVNULL)
    try:
        yield url, key
    finally:
        stop(proc)


async def _report(settings: Settings, every: float = 10.0) -> None:
    """Incidents worth a look as they open and grow, and a status line now and then: how much
    the archive, the alerts and the incidents indices hold."""
    es = search_client(settings.search)
    ticker = IncidentTicker()
    last: tuple[int, ...] = ()
    try:
        while True:
            await asyncio.sleep(every)
            with contextlib.suppress(Exception):
                incidents = await show_incidents(es, settings.search.incidents_index, ticker,
                                                 functools.partial(print, flush=True))
                items = (await es.count(index=settings.search.items_index))["count"]
                alerts = (await es.count(index=settings.search.alerts_index))["count"]
                if (items, alerts, incidents) != last:
                    print(f"[status] archive: {items} items, {alerts} alerts, {incidents} incidents indexed",
                          flush=True)
                    last = (items, alerts, incidents)
    finally:
        await es.close()


def run_demo(*, duration: float | None = None, log_level: str = "warning") -> int:
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tocsin-demo-")))
        print("Starting a local Kafka-protocol broker (Tansu) and search server (osmem)…", flush=True)
        broker = stack.enter_context(LocalBroker.start())
        search = start_search_server()
        stack.callback(search.close)
        feeds = stack.enter_context(FeedServer.start(corpus_dir(), reference=datetime.now(UTC)))
        feeds_file = workdir / "feeds.yaml"
        feeds_file.write_text(demo_feeds_yaml(feeds.url), encoding="utf-8")
        alerts_port = free_port()
        env = embedded_env(bootstrap=broker.bootstrap_servers, search_url=search.url, workdir=workdir,
                           feeds_file=feeds_file, alerts_port=alerts_port, rules_file=demo_rules(workdir),
                           feed_server=feeds.url)
        api_url, api_key = stack.enter_context(running_api(env, workdir))
        # Commands run in this directory (tocsin search, alerts, export, backtest…) find us here.
        write_demo_env(DEMO_ENV, env, pid=os.getpid(), api_url=api_url, api_key=api_key)
        stack.callback(remove_demo_env, DEMO_ENV, os.getpid())
        settings = Settings(
            kafka=KafkaSettings(bootstrap_servers=broker.bootstrap_servers, topic_partitions=2),
            search=SearchSettings(url=search.url, node_class=COMPAT_NODE),
        )
        print(f"""
Tocsin demo is running (Ctrl-C stops it and everything it started).
  demo feeds served at   {feeds.url}/  (recorded corpus, dates shifted to end now)
  Kafka bootstrap        {broker.bootstrap_servers}
  alert feed (Atom)      http://127.0.0.1:{alerts_port}/alerts.atom
  dashboard and API      {api_url}/  (API docs at {api_url}/docs)
  demo API key (admin)   {api_key}
  try the API            curl -H 'X-API-Key: {api_key}' '{api_url}/search?q=killed&size=3'
  search the archive     curl '{search.url}/{settings.search.items_index}/_search?q=text:killed&pretty'
  search the alerts      curl '{search.url}/{settings.search.alerts_index}/_search?pretty'
  list the incidents     tocsin incidents; curl -H 'X-API-Key: {api_key}' '{api_url}/incidents'
  from another terminal  tocsin search killed; tocsin alerts   (in this directory: they read {DEMO_ENV})
Alerts appear below as the rules raise them, and beside them the incidents worth a look
(violence, two items or more, or amplified) as they open and grow.
""", flush=True)

        async def main() -> int:
            reporter = asyncio.create_task(_report(settings))
            try:
                return await supervise(settings, env, duration=duration, log_level=log_level,
                                       alerts_from_start=True)
            finally:
                reporter.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reporter

        code = asyncio.run(main())
        print("Stopping: workers, search server, broker, feed server…", flush=True)
    print("Stopped; nothing left running.", flush=True)
    return code

