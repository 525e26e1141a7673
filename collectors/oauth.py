"""OAuth 2 client credentials (RFC 6749 §4.4) for API sources: a bearer token that renews itself.

An "application only" token is what an API grants a registered app for reading public
data without a user: ``POST <token_url>`` with the app's id and secret as HTTP Basic
auth and ``grant_type=client_credentials``, answered by ``{"access_token", "token_type":
"bearer", "expires_in": <seconds>}``. Reddit documents exactly this (reddit-archive
wiki "OAuth2", section "Application Only OAuth", read 2026-12-06; its tokens live one
hour). The id and secret are read from the environment at each renewal, so a rotated
secret needs no restart, and never appear in a URL, an item or a log line.
"""

from __future__ import annotations

import asyncio
import base64
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from collectors.config import FeedConfig
from collectors.fetch import Fetcher
from collectors.jsonapi import ApiFailure, fetch_json
from tocsin.errors import ConfigError

RENEW_MARGIN_S = 60.0
"""A token is renewed this long before it expires, so no request carries one that just lapsed."""
DEFAULT_LIFETIME_S = 3600.0
"""Assumed when the answer has no usable ``expires_in``."""


class MissingCredentials(ConfigError, LookupError):
    """An environment variable that should hold the app's id or secret is not set."""


@dataclass
class ClientCredentials:
    """One app's token for one token endpoint; shared by every request of a source."""

    token_url: str
    client_id_env: str
    client_secret_env: str
    clock: Callable[[], float] = time.monotonic
    _token: str | None = field(default=None, repr=False)
    _expires: float = float("-inf")
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    def credentials(self) -> tuple[str, str]:
        """The id and secret from the environment; :class:`MissingCredentials` names what is unset."""
        names = (self.client_id_env, self.client_secret_env)
        values = {name: os.environ.get(name, "").strip() for name in names}
        unset = [name for name, value in values.items() if not value]
        if unset:
            plural = "s" if len(unset) > 1 else ""
            raise MissingCredentials(f"environment variable{plural} {', '.join(unset)} "
                                     "(the app's OAuth client id and secret) not set or empty")
        return values[self.client_id_env], values[self.client_secret_env]

    def forget(self) -> None:
        """Drop the token (the API refused it), so the next request gets a new one."""
        self._token, self._expires = None, float("-inf")

    async def bearer(self, fetcher: Fetcher, feed: FeedConfig, headers: Mapping[str, str]) -> str:
        """A valid access token, requested anew when none is held or it is about to expire.

        Raises :class:`MissingCredentials`, or :class:`~collectors.jsonapi.ApiFailure`
        with the token endpoint's own explanation."""
        async with self._lock:
            if self._token is not None and self.clock() < self._expires - RENEW_MARGIN_S:
                return self._token
            client_id, secret = self.credentials()
            basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode("ascii")
            try:
                response = await fetch_json(fetcher, feed, self.token_url, retries=0,
                                            headers={**headers, "Authorization": f"Basic {basic}"},
                                            form_body={"grant_type": "client_credentials"})
            except ApiFailure as failure:
                hint = (f"; check {self.client_id_env} and {self.client_secret_env}"
                        if failure.http_status in (400, 401, 403) else "")
                raise ApiFailure(f"token request failed: {failure}{hint}", http_status=failure.http_status,
                                 retry_after_s=failure.retry_after_s, headers=failure.headers,
                                 detail=failure.detail) from None
            document = response.document
            token = document.get("access_token") if isinstance(document, dict) else None
            if not isinstance(token, str) or not token or len(token) > 4096 or not token.isprintable():
                said = document.get("error") if isinstance(document, dict) else None
                raise ApiFailure(f"{feed.type} source {feed.name!r}: {self.token_url} gave no access token"
                                 + (f" ({str(said)[:200]!r})" if said else ""),
                                 http_status=response.result.status)
            lifetime = document.get("expires_in")
            if not isinstance(lifetime, int | float) or isinstance(lifetime, bool) or lifetime <= 0:
                lifetime = DEFAULT_LIFETIME_S
            self._token, self._expires = token, self.clock() + float(lifetime)
            return token
