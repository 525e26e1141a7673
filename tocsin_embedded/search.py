"""A local search server with the Elasticsearch REST API: ``osmem-server``.

It runs in a session of its own, so a Ctrl-C in the terminal reaches the demo
(which stops the workers first) and not the server under them; it still exits
with us, because it watches our pid and the pipe we hold on its stdin.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading

from osmem_server import OsmemError, OsmemServer, resolve_binary

from tocsin_embedded.ports import free_port


def start_search_server(startup_timeout: float = 30.0) -> OsmemServer:
    args = [resolve_binary(), "--parent-pid", str(os.getpid()), "--no-ja",
            "--addr", f"127.0.0.1:{free_port()}"]
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            start_new_session=True)
    ready: dict[str, object] = {}

    def read_ready_line() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if isinstance(message, dict) and "url" in message:
                ready.update(message)
                return

    reader = threading.Thread(target=read_ready_line, daemon=True)
    reader.start()
    reader.join(startup_timeout)
    if not ready:
        proc.kill()
        raise OsmemError(f"osmem-server did not start within {startup_timeout:.0f} s")
    return OsmemServer(proc, str(ready["url"]), int(ready.get("pid", proc.pid)),  # type: ignore[call-overload]
                       str(ready.get("version", "")), False, list(ready.get("indices", [])))  # type: ignore[call-overload]
