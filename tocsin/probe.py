"""Health probes for containers (``tocsin probe``): exit 0 when alive, 1 with a reason.

Docker health checks and Kubernetes exec probes run them inside the container, so
the workers' web endpoints can stay bound to loopback.

- ``url``: an HTTP endpoint answers 2xx in time (the API's ``/health``, a Faust
  worker's ``/``, which answers once the worker has joined its group and
  recovered its tables).
- ``collector``: the collector has no endpoint; it writes its state file after
  every poll, so a file untouched for longer than the longest poll interval
  (``collector.max_interval_s``) plus a margin means a hung collector.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from pathlib import Path

from tocsin.errors import PeerError
from tocsin.settings import CollectorSettings

STATE_MARGIN_S = 300.0


class ProbeFailed(PeerError):
    """What is wrong, in one line."""


def probe_url(url: str, timeout_s: float = 5.0) -> None:
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        raise ProbeFailed(f"{url} answered {exc.code}") from None
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise ProbeFailed(f"{url} did not answer: {exc}") from None
    if not 200 <= status < 300:
        raise ProbeFailed(f"{url} answered {status}")


def probe_collector(settings: CollectorSettings, now: float | None = None) -> None:
    """The state file (or its write-ahead log) changed within ``max_interval_s`` + a margin."""
    now = time.time() if now is None else now
    candidates = [settings.state_path, Path(f"{settings.state_path}-wal")]
    times = [path.stat().st_mtime for path in candidates if path.exists()]
    if not times:
        raise ProbeFailed(f"no collector state at {settings.state_path}")
    age = now - max(times)
    limit = settings.max_interval_s + STATE_MARGIN_S
    if age > limit:
        raise ProbeFailed(f"collector state unchanged for {age:.0f} s (limit {limit:.0f} s)")
