"""A local webhook receiver that timestamps every delivery, for the alert latency bench.

It runs in a thread of its own (stdlib ``ThreadingHTTPServer``), not on the
bench's event loop, so a delivery is timestamped when it arrives even while the
bench is busy producing items. Each path is one system (``/tocsin``,
``/elastalert``); the group an alert is for is read from the JSON body by a
function per path.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

GroupOf = Callable[[Any], str | None]


@dataclass
class Deliveries:
    """What arrived on one path: first arrival per group, and how often each group came."""

    first: dict[str, float] = field(default_factory=dict)
    times: dict[str, int] = field(default_factory=dict)
    unreadable: int = 0

    def add(self, group: str | None, at: float) -> None:
        if group is None:
            self.unreadable += 1
            return
        self.first.setdefault(group, at)
        self.times[group] = self.times.get(group, 0) + 1


class Receiver:
    """``with Receiver({"/tocsin": group_of, ...}) as receiver: receiver.url("/tocsin")``."""

    def __init__(self, paths: dict[str, GroupOf]) -> None:
        self.paths = paths
        self.deliveries = {path: Deliveries() for path in paths}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                at = time.monotonic()  # the whole delivery is in
                group_of = receiver.paths.get(self.path)
                if group_of is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                try:
                    group = group_of(json.loads(body))
                except (ValueError, TypeError, KeyError, AttributeError):
                    group = None
                with receiver.lock:
                    receiver.deliveries[self.path].add(group, at)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="webhook-receiver", daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def snapshot(self, path: str) -> Deliveries:
        with self.lock:
            got = self.deliveries[path]
            return Deliveries(dict(got.first), dict(got.times), got.unreadable)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
