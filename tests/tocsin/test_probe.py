"""``tocsin probe``: what the containers' health checks run."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tocsin.probe import STATE_MARGIN_S, ProbeFailed, probe_collector, probe_url
from tocsin.settings import CollectorSettings
from tocsin_launch.cli import main


@pytest.fixture
def http() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status = {"/ok": 200, "/down": 503}.get(self.path, 404)
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_2xx_endpoint_is_healthy(http: str) -> None:
    probe_url(f"{http}/ok")
    assert main(["probe", "url", f"{http}/ok"]) == 0


def test_a_503_is_unhealthy_with_the_status(http: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ProbeFailed, match="answered 503"):
        probe_url(f"{http}/down")
    assert main(["probe", "url", f"{http}/down"]) == 1
    assert "unhealthy:" in capsys.readouterr().err


def test_nothing_listening_is_unhealthy() -> None:
    from tocsin_embedded.ports import free_port

    with pytest.raises(ProbeFailed, match="did not answer"):
        probe_url(f"http://127.0.0.1:{free_port()}/", timeout_s=2)


def test_a_fresh_collector_state_is_healthy_and_a_stale_one_is_not(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite3"
    settings = CollectorSettings(state_path=state, max_interval_s=600)
    with pytest.raises(ProbeFailed, match="no collector state"):
        probe_collector(settings)
    state.write_bytes(b"")
    probe_collector(settings)
    old = time.time() - 600 - STATE_MARGIN_S - 10
    os.utime(state, (old, old))
    with pytest.raises(ProbeFailed, match="unchanged for"):
        probe_collector(settings)
    Path(f"{state}-wal").write_bytes(b"")  # WAL mode: recent writes land here first
    probe_collector(settings)
