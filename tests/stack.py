"""A Tocsin stack for integration tests: settings for the session's peers and
Faust workers run as child processes, as in production."""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid
from pathlib import Path
from subprocess import Popen

from tocsin.processes import spawn, stop
from tocsin.search import search_client
from tocsin.settings import SearchSettings, Settings
from tocsin_embedded.broker import LocalBroker
from tocsin_embedded.ports import free_port


def wait_for(predicate, what: str, timeout: float = 90.0, workers=()):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        for worker in workers:
            if worker.poll() is not None:
                raise AssertionError(f"a worker exited ({worker.returncode}) while waiting for {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.5)


class Stack:
    def __init__(self, tmp: Path, broker: LocalBroker, search: SearchSettings, *, rules: str) -> None:
        run = uuid.uuid4().hex[:8]
        self.tmp = tmp
        self.feeds_dir = tmp / "feeds"
        self.feeds_dir.mkdir()
        self.alerts_port = free_port()
        self.env = {
            "TOCSIN_APP_ID_PREFIX": f"e2e-{run}",
            "TOCSIN_KAFKA__BOOTSTRAP_SERVERS": broker.bootstrap_servers,
            "TOCSIN_KAFKA__TOPIC_PARTITIONS": "2",
            "TOCSIN_KAFKA__SESSION_TIMEOUT_S": "10",
            "TOCSIN_KAFKA__REBALANCE_TIMEOUT_S": "10",
            "TOCSIN_KAFKA__FETCH_MAX_WAIT_MS": "100",
            "TOCSIN_KAFKA__ONE_RECORD_PER_BATCH": "true",
            "TOCSIN_SEARCH__URL": search.url,
            "TOCSIN_SEARCH__NODE_CLASS": search.node_class,
            "TOCSIN_SEARCH__ITEMS_INDEX": f"e2e-items-{run}",
            "TOCSIN_SEARCH__ALERTS_INDEX": f"e2e-alerts-{run}",
            "TOCSIN_SEARCH__ALERT_VERSIONS_INDEX": f"e2e-alert-versions-{run}",
            "TOCSIN_SEARCH__EVIDENCE_INDEX": f"e2e-evidence-{run}",
            "TOCSIN_SEARCH__CUSTODY_INDEX": f"e2e-custody-{run}",
            # Workers take in the incidents the index holds: another test's must not be among them.
            "TOCSIN_SEARCH__INCIDENTS_INDEX": f"e2e-incidents-{run}",
            "TOCSIN_ALERTS__RULES_FILE": str(tmp / "rules.yaml"),
            "TOCSIN_ALERTS__WEB_PORT": str(self.alerts_port),
            "TOCSIN_COLLECTOR__FEEDS_FILE": str(tmp / "feeds.yaml"),
            "TOCSIN_COLLECTOR__STATE_PATH": str(tmp / "state.sqlite3"),
            # The test feeds are served on 127.0.0.1: the SSRF guard must let them through.
            "TOCSIN_COLLECTOR__ALLOW_PRIVATE_TARGETS": "true",
            "TOCSIN_PROCESSING__BATCH_WITHIN_S": "0.2",
            "TOCSIN_DATA_DIR": str(tmp / "data"),
        }
        (tmp / "rules.yaml").write_text(rules, encoding="utf-8")
        self.workers: list[Popen[bytes]] = []

    def settings(self) -> Settings:
        saved = {k: os.environ.get(k) for k in self.env}
        os.environ.update(self.env)
        try:
            return Settings()
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    def start_workers(self, *stages: str) -> None:
        env = {**os.environ, **self.env}
        for stage in stages:
            log = (self.tmp / f"{stage}.log").open("ab")  # a restarted worker appends
            command = [sys.executable, "-m", "tocsin_launch.cli", "--log-level", "info", stage]
            self.workers.append(spawn(command,
                                      env=env, stdout=log, stderr=log))

    def stop_workers(self) -> None:
        for worker in self.workers:
            stop(worker, grace=15)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-4000:]}"
                         for p in self.tmp.glob("*.log"))


def es_query(settings: Settings, index: str, **body):
    async def run():
        es = search_client(settings.search)
        try:
            await es.indices.refresh(index=index)
            return (await es.search(index=index, size=100, **body))["hits"]["hits"]
        except Exception:
            return []
        finally:
            await es.close()

    return asyncio.run(run())
