"""Session-wide real peers: a Tansu broker and an osmem search server on free loopback ports."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tocsin.settings import SearchSettings
from tocsin_embedded.broker import LocalBroker
from tocsin_embedded.search import start_search_server

COMPAT_NODE = "tocsin_embedded.compat:PlainJsonNode"


@pytest.fixture(scope="session")
def broker() -> Iterator[LocalBroker]:
    with LocalBroker.start() as running:
        yield running


@pytest.fixture(scope="module")
def own_broker() -> Iterator[LocalBroker]:
    """A broker for one module, so no other test's records are in its topics."""
    with LocalBroker.start() as running:
        yield running


@pytest.fixture(scope="session")
def search_server() -> Iterator[object]:
    server = start_search_server()
    yield server
    server.close()


@pytest.fixture(scope="session")
def search_settings(search_server: object) -> SearchSettings:
    return SearchSettings(url=search_server.url, node_class=COMPAT_NODE)  # type: ignore[attr-defined]
