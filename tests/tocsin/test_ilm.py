"""Index lifecycle: the policy as a pure function, the install against a server that
records what it was sent, and the skip on a server without ``_ilm`` (osmem)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from pydantic import ValidationError

from processors.archive import TEMPLATE_FILE as ITEMS_TEMPLATE
from processors.archive import Archive
from tocsin.ilm import (
    LIFECYCLE_TEMPLATE_PRIORITY,
    LifecycleOutcome,
    build_policy,
    build_template,
    install_lifecycle,
)
from tocsin.search import search_client
from tocsin.settings import SearchSettings


def lifecycle_settings(**overrides: Any) -> SearchSettings:
    return SearchSettings.model_validate({"lifecycle": True, "items_index": "tocsin-items"} | overrides)


def test_policy_rolls_over_by_age_and_size_and_deletes_after_the_retention() -> None:
    policy = build_policy(lifecycle_settings(retention_days=90, rollover_max_age="7d",
                                             rollover_max_primary_shard_size="20gb"))
    assert policy["phases"]["hot"]["actions"] == {
        "rollover": {"max_age": "7d", "max_primary_shard_size": "20gb"}}
    assert policy["phases"]["delete"] == {"min_age": "90d", "actions": {"delete": {}}}
    assert set(policy["phases"]) == {"hot", "delete"}


def test_template_for_backing_indices_keeps_the_mappings_and_adds_the_lifecycle() -> None:
    shipped = json.loads(ITEMS_TEMPLATE.read_text(encoding="utf-8"))
    body = build_template(lifecycle_settings(items_index="archive"), ITEMS_TEMPLATE)
    assert body["index_patterns"] == ["archive-*"]
    assert body["priority"] == LIFECYCLE_TEMPLATE_PRIORITY > shipped["priority"]
    assert body["template"]["mappings"] == shipped["template"]["mappings"]
    assert body["template"]["settings"]["index.lifecycle.name"] == "archive-policy"
    assert body["template"]["settings"]["index.lifecycle.rollover_alias"] == "archive"
    shards = shipped["template"]["settings"]["number_of_shards"]
    assert body["template"]["settings"]["number_of_shards"] == shards


@pytest.mark.parametrize("field_name, value", [("rollover_max_age", "30 days"), ("rollover_max_age", "0d"),
                                               ("rollover_max_primary_shard_size", "50GB!"),
                                               ("retention_days", 0)])
def test_malformed_lifecycle_settings_are_refused(field_name: str, value: object) -> None:
    with pytest.raises(ValidationError, match=field_name):
        SearchSettings.model_validate({field_name: value})


# --- a tiny Elasticsearch stand-in that records the requests ----------------------


@dataclass
class RecordingServer:
    url: str = ""
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    has_ilm: bool = True
    aliases: set[str] = field(default_factory=set)
    indices: set[str] = field(default_factory=set)

    def paths(self, method: str) -> list[str]:
        return [path for m, path, _ in self.requests if m == method]

    def body(self, method: str, path: str) -> Any:
        return next(body for m, p, body in self.requests if m == method and p == path)


def _answer(status: int, body: Any) -> web.Response:
    return web.json_response(body, status=status, headers={"X-Elastic-Product": "Elasticsearch"})


@pytest.fixture
async def recording_es() -> AsyncIterator[RecordingServer]:
    server = RecordingServer()

    async def handle(request: web.Request) -> web.Response:
        raw = await request.read()
        server.requests.append((request.method, request.path, json.loads(raw) if raw else None))
        path, method = request.path, request.method
        if path == "/_ilm/status":
            return (_answer(200, {"operation_mode": "RUNNING"}) if server.has_ilm else
                    _answer(400, {"error": "no handler found for uri [/_ilm/status]", "status": 400}))
        if path.startswith(("/_ilm/policy/", "/_index_template/")):
            return _answer(200, {"acknowledged": True})
        if path.startswith("/_alias/"):
            return _answer(200 if path.removeprefix("/_alias/") in server.aliases else 404, {})
        name = path.strip("/")
        if method == "HEAD":
            return _answer(200 if name in server.indices | server.aliases else 404, {})
        if method == "PUT":
            server.indices.add(name)
            body = json.loads(raw) if raw else {}
            server.aliases.update(body.get("aliases", {}))
            return _answer(200, {"acknowledged": True, "shards_acknowledged": True, "index": name})
        return _answer(404, {"error": f"unexpected {method} {path}", "status": 404})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    server.url = f"http://127.0.0.1:{port}"
    yield server
    await runner.cleanup()


Install = Callable[[SearchSettings], Any]


@pytest.fixture
def install(recording_es: RecordingServer) -> Install:
    async def run(settings: SearchSettings) -> LifecycleOutcome:
        es = search_client(settings.model_copy(update={"url": recording_es.url}))
        try:
            return await install_lifecycle(es, settings, ITEMS_TEMPLATE)
        finally:
            await es.close()
    return run


async def test_install_puts_policy_template_and_first_backing_index_with_write_alias(
        recording_es: RecordingServer, install: Install) -> None:
    settings = lifecycle_settings(retention_days=30)
    assert await install(settings) is LifecycleOutcome.BOOTSTRAPPED
    assert recording_es.body("PUT", "/_ilm/policy/tocsin-items-policy") == {"policy": build_policy(settings)}
    template = recording_es.body("PUT", "/_index_template/tocsin-items-lifecycle-template")
    assert template["index_patterns"] == ["tocsin-items-*"]
    assert template["template"]["settings"]["index.lifecycle.rollover_alias"] == "tocsin-items"
    assert recording_es.body("PUT", "/tocsin-items-000001") == {
        "aliases": {"tocsin-items": {"is_write_index": True}}}


async def test_install_again_keeps_the_existing_alias(recording_es: RecordingServer,
                                                      install: Install) -> None:
    assert await install(lifecycle_settings()) is LifecycleOutcome.BOOTSTRAPPED
    assert await install(lifecycle_settings()) is LifecycleOutcome.INSTALLED
    assert recording_es.paths("PUT").count("/tocsin-items-000001") == 1


async def test_a_concrete_items_index_is_left_alone_with_a_warning(
        recording_es: RecordingServer, install: Install, caplog: pytest.LogCaptureFixture) -> None:
    recording_es.indices.add("tocsin-items")
    assert await install(lifecycle_settings()) is LifecycleOutcome.CONCRETE_INDEX
    assert "/tocsin-items-000001" not in recording_es.paths("PUT")
    assert "concrete index" in caplog.text


async def test_server_without_ilm_is_skipped_with_a_log_line(
        recording_es: RecordingServer, install: Install, caplog: pytest.LogCaptureFixture) -> None:
    recording_es.has_ilm = False
    caplog.set_level("INFO", logger="tocsin.ilm")
    assert await install(lifecycle_settings()) is LifecycleOutcome.UNSUPPORTED
    assert recording_es.paths("PUT") == []
    assert "no index lifecycle API" in caplog.text


async def test_lifecycle_off_sends_nothing(recording_es: RecordingServer, install: Install) -> None:
    assert await install(lifecycle_settings(lifecycle=False)) is LifecycleOutcome.OFF
    assert recording_es.requests == []


# --- against the local search server -------------------------------------------------


@pytest.mark.peers
async def test_osmem_has_no_ilm_and_is_skipped(search_settings: SearchSettings) -> None:
    es = search_client(search_settings)
    try:
        outcome = await install_lifecycle(es, search_settings.model_copy(update={"lifecycle": True}),
                                          ITEMS_TEMPLATE)
    finally:
        await es.close()
    assert outcome is LifecycleOutcome.UNSUPPORTED


@pytest.mark.peers
async def test_dedupe_lookup_finds_items_in_every_backing_index_behind_the_alias(
        search_settings: SearchSettings) -> None:
    """After a rollover the archive name is an alias over two indices: mget fails per item there."""
    es = search_client(search_settings)
    try:
        await es.indices.create(index="rolled-000001", aliases={"rolled": {"is_write_index": False}})
        await es.indices.create(index="rolled-000002", aliases={"rolled": {"is_write_index": True}})
        await es.index(index="rolled-000001", id="old", document={"content_sha256": "h-old"}, refresh=True)
        await es.index(index="rolled-000002", id="new", document={"content_sha256": "h-new"}, refresh=True)
        known = await Archive(es, "rolled").known_hashes(["old", "new", "absent"])
    finally:
        await es.close()
    assert known == {"old": "h-old", "new": "h-new"}


@pytest.mark.peers
def test_init_with_lifecycle_on_still_sets_up_a_server_without_ilm(broker: Any,
                                                                   search_settings: SearchSettings) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "TOCSIN_KAFKA__BOOTSTRAP_SERVERS": broker.bootstrap_servers,
           "TOCSIN_SEARCH__URL": search_settings.url, "TOCSIN_SEARCH__NODE_CLASS": search_settings.node_class,
           "TOCSIN_SEARCH__ITEMS_INDEX": "ilm-cli-items", "TOCSIN_SEARCH__ALERTS_INDEX": "ilm-cli-alerts",
           "TOCSIN_SEARCH__LIFECYCLE": "true"}
    done = subprocess.run([sys.executable, "-m", "tocsin_launch.cli", "--log-level", "info", "init"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "no index lifecycle API (_ilm); lifecycle for 'ilm-cli-items' skipped" in done.stderr
    assert "topics, templates and indices are in place" in done.stdout
