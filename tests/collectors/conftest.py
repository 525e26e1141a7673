"""A real local HTTP server for feeds, on a free 127.0.0.1 port per test.

Each path is a :class:`Route` the test controls: a body with ETag/Last-Modified and
304 support, a lying-ETag mode, scripted replies (429 + Retry-After, 500s),
delays, oversize bodies without Content-Length, and redirects. The server records
every request and the most requests it ever had in flight at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest

from collectors.config import FeedConfig
from tests.collectors.api_replay import api_server  # noqa: F401  (JSON API sources' tests)
from tocsin.settings import CollectorSettings

DATA = Path(__file__).parent / "data"


@dataclass
class ScriptedReply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Route:
    body: bytes = b""
    content_type: str = "application/rss+xml; charset=utf-8"
    etag: str | None = None
    """Sent with 200s; a matching If-None-Match gets a 304."""
    last_modified: str | None = None
    """Sent with 200s; an equal If-Modified-Since gets a 304."""
    lying_etag: bool = False
    """A fresh ETag on every response, and conditional headers ignored."""
    delay_s: float = 0.0
    script: list[ScriptedReply] = field(default_factory=list)
    """Replies served first, one per request, before the normal behaviour."""
    always: ScriptedReply | None = None
    redirect_to: str | None = None
    send_length: bool = True


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    at: float


class FeedServer:
    Reply = ScriptedReply  # so tests can script replies without importing this conftest

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Seen] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._etag_counter = 0
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def route(self, path: str, **options: Any) -> Route:
        self.routes[path] = Route(**options)
        return self.routes[path]

    def hits(self, path: str) -> list[Seen]:
        return [seen for seen in self.requests if seen.path == path]

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _reply(self, route: Route, headers: dict[str, str]) -> ScriptedReply:
        if route.script:
            return route.script.pop(0)
        if route.always is not None:
            return route.always
        if route.redirect_to is not None:
            return ScriptedReply(302, headers={"Location": route.redirect_to})
        out = {"Content-Type": route.content_type}
        if route.lying_etag:
            with self._lock:
                self._etag_counter += 1
                out["ETag"] = f'"lie-{self._etag_counter}"'
            return ScriptedReply(200, route.body, out)
        if route.etag:
            out["ETag"] = route.etag
            if headers.get("if-none-match") == route.etag:
                return ScriptedReply(304, headers=out)
        if route.last_modified:
            out["Last-Modified"] = route.last_modified
            if headers.get("if-modified-since") == route.last_modified and not route.etag:
                return ScriptedReply(304, headers=out)
        return ScriptedReply(200, route.body, out)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                headers = {key.lower(): value for key, value in self.headers.items()}
                with server._lock:
                    server.requests.append(Seen(path, headers, time.monotonic()))
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    route = server.routes.get(path)
                    if route is None:
                        self._send(ScriptedReply(404, b"no such feed"), True)
                        return
                    if route.delay_s:
                        time.sleep(route.delay_s)
                    self._send(server._reply(route, headers), route.send_length)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    with server._lock:
                        server.in_flight -= 1

            def _send(self, reply: ScriptedReply, send_length: bool) -> None:
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                if send_length:
                    self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if reply.body:
                    self.wfile.write(reply.body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer()
    yield server
    server.close()


@pytest.fixture
def fast_settings(tmp_path: Path) -> CollectorSettings:
    """Settings with retries and waits shrunk so failure paths run in milliseconds."""
    return CollectorSettings(
        allow_private_targets=True,
        state_path=tmp_path / "state" / "collector.sqlite3",
        timeout_s=2.0, retries=1, backoff_base_s=0.01, min_interval_s=1.0, max_interval_s=3600.0,
    )


def build_rss(entries: list[dict[str, str]], *, title: str = "Test feed", extra: str = "") -> bytes:
    """A small RSS 2.0 body; each entry may have title, link, guid, description, pubDate."""
    parts = [f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{escape(title)}'
             f"</title><link>https://test.example.org/</link><description>t</description>{extra}"]
    for entry in entries:
        parts.append("<item>" + "".join(f"<{key}>{escape(value)}</{key}>" for key, value in entry.items())
                     + "</item>")
    parts.append("</channel></rss>")
    return "".join(parts).encode("utf-8")


@pytest.fixture
def rss() -> Callable[..., bytes]:
    return build_rss


@pytest.fixture
def data() -> Callable[[str], bytes]:
    return lambda name: (DATA / name).read_bytes()


@pytest.fixture
def feed_config() -> Callable[..., FeedConfig]:
    def make(url: str, name: str = "test-feed", **options: Any) -> FeedConfig:
        return FeedConfig.model_validate({"name": name, "url": url, **options})

    return make
