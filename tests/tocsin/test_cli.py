from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from tocsin import topics
from tocsin.embedded.broker import LocalBroker
from tocsin.search import search_client
from tocsin.settings import SearchSettings

pytestmark = pytest.mark.peers


def test_init_creates_topics_templates_and_indices_idempotently(
        own_broker: LocalBroker, search_settings: SearchSettings) -> None:
    env = {**os.environ, "TOCSIN_KAFKA__BOOTSTRAP_SERVERS": own_broker.bootstrap_servers,
           "TOCSIN_SEARCH__URL": search_settings.url, "TOCSIN_SEARCH__NODE_CLASS": search_settings.node_class,
           "TOCSIN_SEARCH__ITEMS_INDEX": "cli-items", "TOCSIN_SEARCH__ALERTS_INDEX": "cli-alerts"}
    for _ in range(2):
        done = subprocess.run([sys.executable, "-m", "tocsin.cli", "init"], env=env, capture_output=True,
                              text=True, timeout=60)
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


def test_bad_config_is_a_clear_error_not_a_traceback(tmp_path) -> None:
    env = {**os.environ, "TOCSIN_CONFIG": str(tmp_path / "missing.yaml")}
    done = subprocess.run([sys.executable, "-m", "tocsin.cli", "init"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert "missing.yaml" in done.stderr and "Traceback" not in done.stderr
