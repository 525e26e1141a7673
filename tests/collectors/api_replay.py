"""A real local HTTP server for JSON APIs, on a free 127.0.0.1 port per test.

Each source's test module registers a handler per path that answers the way the
real API does (paging parameters, filters, rate-limit headers) from recorded
payloads under ``data/<source>/``. Scripted replies (429, 500, a body that is not
JSON) are served first, one per request; every request is recorded with its query,
headers and body.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

DATA = Path(__file__).parent / "data"


def recorded(name: str) -> Any:
    """A recorded payload, e.g. ``recorded("mastodon/tag_timeline.json")``."""
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def recorded_bytes(name: str) -> bytes:
    return (DATA / name).read_bytes()


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, document: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
        return cls(status, json.dumps(document).encode("utf-8"),
                   {"Content-Type": "application/json; charset=utf-8", **(headers or {})})


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def json(self) -> Any:
        return json.loads(self.body)


Handler = Callable[[Request], Reply]


class ApiServer:
    def __init__(self) -> None:
        self.handlers: dict[str, Handler] = {}
        self.prefixes: list[tuple[str, Handler]] = []
        self.scripts: dict[str, list[Reply]] = {}
        self.delays: dict[str, float] = {}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def route(self, path: str, handler: Handler) -> None:
        self.handlers[path] = handler

    def route_prefix(self, prefix: str, handler: Handler) -> None:
        self.prefixes.append((prefix, handler))

    def script(self, path: str, *replies: Reply) -> None:
        """Serve these replies first on ``path``, one per request, whatever the handler says."""
        self.scripts.setdefault(path, []).extend(replies)

    def hits(self, path: str | None = None) -> list[Request]:
        with self._lock:
            return [request for request in self.requests if path is None or request.path == path]

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _answer(self, request: Request) -> Reply:
        with self._lock:
            script = self.scripts.get(request.path)
            if script:
                return script.pop(0)
        handler = self.handlers.get(request.path)
        if handler is None:
            handler = next((h for prefix, h in self.prefixes if request.path.startswith(prefix)), None)
        if handler is None:
            return Reply.json({"error": "Record not found"}, status=404)
        return handler(request)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class HTTPHandler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def _serve(self, method: str) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Request(method, parts.path, parse_qs(parts.query, keep_blank_values=True),
                                  {key.lower(): value for key, value in self.headers.items()}, body,
                                  time.monotonic())
                with server._lock:
                    server.requests.append(request)
                try:
                    delay = server.delays.get(parts.path, 0.0)
                    if delay:
                        time.sleep(delay)
                    reply = server._answer(request)
                    self.send_response(reply.status)
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return HTTPHandler


@pytest.fixture
def api_server() -> Iterator[ApiServer]:
    server = ApiServer()
    yield server
    server.close()
