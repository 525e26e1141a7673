"""Failed API keys, limited per client address: guessing keys costs time.

Each address may present ``api.failed_keys_limit`` unknown keys per
``api.failed_keys_window_s``; past that, every request from it that carries a key
is answered 429 with ``Retry-After`` until the oldest failure leaves the window,
*without checking the key* (a right guess during the block would otherwise still
tell the guesser it was right). A request without a key is not limited here (it
is a plain 401). Addresses are remembered in a bounded table, the quietest
forgotten first, so a flood of addresses cannot exhaust memory.

The address is the connection's peer, as uvicorn reports it: behind a reverse
proxy, start uvicorn with ``--proxy-headers --forwarded-allow-ips <proxy>`` so
that it is the client's, not the proxy's (docs: HTTP API, "Keys").
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict, deque


class FailedKeys:
    def __init__(self, limit: int, window_s: float, max_addresses: int = 10_000) -> None:
        self.limit = limit
        self.window_s = window_s
        self.max_addresses = max_addresses
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, address: str, now: float) -> int | None:
        """Seconds until ``address`` may try a key again; None if it may now."""
        with self._lock:
            failures = self._failures.get(address)
            if failures is None:
                return None
            while failures and failures[0] <= now - self.window_s:
                failures.popleft()
            if not failures:
                del self._failures[address]
                return None
            if len(failures) < self.limit:
                return None
            return max(1, math.ceil(failures[0] + self.window_s - now))

    def failed(self, address: str, now: float) -> None:
        with self._lock:
            failures = self._failures.pop(address, None) or deque()
            failures.append(now)
            while len(failures) > self.limit:
                failures.popleft()
            self._failures[address] = failures  # most recent last
            while len(self._failures) > self.max_addresses:
                self._failures.popitem(last=False)
