"""``tocsin incidents`` against the real local search server: filters, JSON lines, escaped table."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator

import pytest

from processors.incidents.store import IncidentStore
from tests.api.test_incidents import fused_corpus
from tests.tocsin_launch.test_archive_commands import HOSTILE_TITLE, run
from tocsin.search import search_client
from tocsin.settings import SearchSettings

pytestmark = pytest.mark.peers
Capture = pytest.CaptureFixture[str]
INDEX = f"cli-incidents-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def seeded(search_settings: SearchSettings) -> SearchSettings:
    async def seed() -> None:
        _, incidents = fused_corpus()
        incidents[0] = incidents[0].model_copy(update={"title": HOSTILE_TITLE})
        es = search_client(search_settings)
        try:
            store = IncidentStore(es, INDEX)
            await store.install()
            assert await store.store(incidents) == []
            await es.indices.refresh(index=INDEX)
        finally:
            await es.close()

    asyncio.run(seed())
    return search_settings


@pytest.fixture
def env(seeded: SearchSettings, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in {
        "TOCSIN_SEARCH__URL": seeded.url,
        "TOCSIN_SEARCH__NODE_CLASS": seeded.node_class,
        "TOCSIN_SEARCH__INCIDENTS_INDEX": INDEX,
        "COLUMNS": "250",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("TOCSIN_CONFIG", raising=False)
    yield


def test_incidents_are_listed_newest_first_and_filtered(env: None, capsys: Capture) -> None:
    code, out, err = run(capsys, "incidents", "--json")
    assert code == 0, err
    listed = [json.loads(line) for line in out.splitlines()]
    assert [i["item_count"] for i in listed] == [6, 1, 3]
    code, out, _ = run(capsys, "incidents", "--json", "--min-sources", "3", "--category", "violence_report")
    assert [json.loads(line)["id"] for line in out.splitlines()] == [listed[2]["id"]]
    code, out, _ = run(capsys, "incidents", "--json", "--not-amplified", "--country", "sd")
    assert len(out.splitlines()) == 2


def test_the_table_says_amplified_and_escapes_hostile_titles(env: None, capsys: Capture) -> None:
    code, out, err = run(capsys, "incidents")
    assert code == 0, err
    assert "6 accounts, 5 minutes, same text" in out
    assert "\x1b" not in out and "\u202e" not in out
    assert out.rstrip().endswith("3 incidents")


def test_bad_options_exit_2(env: None, capsys: Capture) -> None:
    code, _, err = run(capsys, "incidents", "--since", "someday")
    assert code == 2 and "not a time" in err
    code, _, err = run(capsys, "incidents", "--min-sources", "0")
    assert code == 2 and "min_sources" in err
