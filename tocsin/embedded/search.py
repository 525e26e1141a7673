"""A local search server with the Elasticsearch REST API: ``osmem-server``.

It watches our pid and exits with us, so a killed demo leaves nothing behind.
"""

from __future__ import annotations

from osmem_server import OsmemServer

from tocsin.embedded.ports import free_port


def start_search_server() -> OsmemServer:
    return OsmemServer.start(addr=f"127.0.0.1:{free_port()}", japanese=False)
