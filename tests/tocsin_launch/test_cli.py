from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from tocsin import topics
from tocsin.search import search_client
from tocsin.settings import SearchSettings
from tocsin_embedded.broker import LocalBroker

pytestmark = pytest.mark.peers


def test_init_creates_topics_templates_and_indices_idempotently(
        own_broker: LocalBroker, search_settings: SearchSettings) -> None:
    env = {**os.environ, "TOCSIN_KAFKA__BOOTSTRAP_SERVERS": own_broker.bootstrap_servers,
           "TOCSIN_SEARCH__URL": search_settings.url, "TOCSIN_SEARCH__NODE_CLASS": search_settings.node_class,
           "TOCSIN_SEARCH__ITEMS_INDEX": "cli-items", "TOCSIN_SEARCH__ALERTS_INDEX": "cli-alerts"}
    for _ in range(2):
        done = subprocess.run([sys.executable, "-m", "tocsin_launch.cli", "init"], env=env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert "topics, templates and indices are in place" in done.stdout

    async def inspect() -> tuple[set[str], dict, dict]:
        admin = AIOKafkaAdminClient(bootstrap_servers=own_broker.bootstrap_servers)
        await admin.start()
        try:
            names = set(await admin.list_topics())
        finally:
            await admin.close()
        es = search_client(search_settings)
        try:
            items = await es.indices.get_mapping(index="cli-items")
            alerts = await es.indices.get_mapping(index="cli-alerts")
        finally:
            await es.close()
        return names, items.body, alerts.body

    names, items, alerts = asyncio.run(inspect())
    assert set(topics.ALL) <= names
    assert items["cli-items"]["mappings"]["properties"]["location"]["type"] == "geo_point"
    assert alerts["cli-alerts"]["mappings"]["properties"]["raised_at"]["type"] == "date"


def test_bad_config_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "TOCSIN_CONFIG": str(tmp_path / "missing.yaml")}
    done = subprocess.run([sys.executable, "-m", "tocsin_launch.cli", "init"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert "missing.yaml" in done.stderr and "Traceback" not in done.stderr


def test_bad_notifiers_file_is_a_one_line_error_not_a_traceback(broker: LocalBroker, tmp_path: Path) -> None:
    notifiers = tmp_path / "notifiers.yaml"
    notifiers.write_text("notifiers:\n  - {name: ops, type: pager}\n", encoding="utf-8")
    env = {**os.environ, "TOCSIN_KAFKA__BOOTSTRAP_SERVERS": broker.bootstrap_servers,
           "TOCSIN_ALERTS__NOTIFIERS_FILE": str(notifiers)}
    done = subprocess.run([sys.executable, "-m", "tocsin_launch.cli", "alert"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    [line] = [line for line in done.stderr.splitlines() if line.startswith("tocsin:")]
    assert line == (f"tocsin: configuration error: {notifiers}: notifiers[0] (ops): type: "
                    "unknown notifier type 'pager'; known types: email, webhook")


def test_a_bad_input_file_on_the_command_line_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    missing = tmp_path / "labelled.csv"
    done = subprocess.run([sys.executable, "-m", "tocsin_launch.cli", "eval", "classify", str(missing)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == f"tocsin: {missing}: cannot read: No such file or directory"
