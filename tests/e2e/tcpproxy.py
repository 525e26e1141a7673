"""A TCP proxy the fault tests put between the workers and a peer, to take the peer away.

osmem keeps its data in memory, so stopping it would lose the archive the test
checks; cutting the network in front of it does not. Modes:

- ``up``: bytes flow both ways.
- ``refuse``: the listening socket is closed (new connections get ECONNREFUSED)
  and open connections are reset: the peer is down.
- ``blackhole``: connections are accepted, bytes are read and dropped, nothing
  ever comes back: a partition, where only the client's timeout helps. When the
  partition heals, the connections it swallowed are reset, as a real one leaves
  them dead.
- ``reject_writes``: like ``up``, except that a connection carrying a request
  whose line matches ``write_pattern`` (by default a ``_bulk`` request) is reset:
  the archive answers reads but takes no writes.

The proxy runs its own event loop in a thread, so a test drives it from plain code.
"""

from __future__ import annotations

import asyncio
import re
import threading
from typing import Literal

from tocsin.embedded.ports import free_port

Mode = Literal["up", "refuse", "blackhole", "reject_writes"]
BULK = re.compile(rb"(?:POST|PUT) /(?:[^ \r\n]*/)?_bulk")


class _Link:
    def __init__(self, client: asyncio.StreamWriter, server: asyncio.StreamWriter | None) -> None:
        self.client = client
        self.server = server
        self.swallowed = False

    def reset(self) -> None:
        for writer in (self.client, self.server):
            if writer is not None and not writer.is_closing():
                writer.transport.abort()


class FaultyProxy:
    def __init__(self, upstream_host: str, upstream_port: int, *,
                 write_pattern: re.Pattern[bytes] = BULK) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = free_port()
        self.write_pattern = write_pattern
        self.mode: Mode = "up"
        self.rejected = 0
        self._links: set[_Link] = set()
        self._server: asyncio.base_events.Server | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="faulty-proxy", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FaultyProxy:
        self._thread.start()
        self._call(self._listen())
        return self

    def close(self) -> None:
        self._call(self._shut())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    def __enter__(self) -> FaultyProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def set_mode(self, mode: Mode) -> None:
        self._call(self._switch(mode))

    def _call(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port, reuse_address=True)

    async def _shut(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for link in list(self._links):
            link.reset()

    async def _switch(self, mode: Mode) -> None:
        previous, self.mode = self.mode, mode
        if mode == "refuse":
            await self._shut()
            return
        if previous == "refuse":
            await self._listen()
        if mode == "blackhole":
            for link in self._links:
                link.swallowed = True
        elif previous == "blackhole":
            for link in [link for link in self._links if link.swallowed]:
                link.reset()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        link = _Link(writer, None)
        self._links.add(link)
        try:
            if self.mode == "blackhole":
                link.swallowed = True
                while await reader.read(65536):
                    pass
                return
            try:
                up_reader, up_writer = await asyncio.open_connection(*self.upstream)
            except OSError:
                return
            link.server = up_writer
            await asyncio.gather(self._pump(reader, up_writer, link, requests=True),
                                 self._pump(up_reader, writer, link, requests=False),
                                 return_exceptions=True)
        finally:
            self._links.discard(link)
            link.reset()

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, link: _Link, *,
                    requests: bool) -> None:
        while data := await source.read(65536):
            if link.swallowed:
                continue
            if requests and self.mode == "reject_writes" and self.write_pattern.search(data):
                self.rejected += 1
                link.reset()
                return
            sink.write(data)
            await sink.drain()
        link.reset()
