"""Who may call what: ``X-API-Key: <key>`` (or ``Authorization: Bearer <key>``) and a role.

Refusals carry only a reason, never data: 401 for a missing or unknown key, 403 for
a role below the endpoint's, 429 (with ``Retry-After``) for a client address that
presented too many unknown keys lately (``api.ratelimit``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from api.keys import KeysConfigError, Principal, Role

logger = logging.getLogger(__name__)

_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="an API key (see README)")
_bearer = HTTPBearer(auto_error=False, description="the same key as a bearer token")
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="tocsin"'}


def identify(request: Request, key: str) -> Principal:
    """The key's holder; 429 while the client's address is blocked, 401 for an unknown key
    (counted against the address), 503 when the keys file is unusable."""
    ctx = request.app.state.ctx
    address = request.client.host if request.client else "unknown"
    now = time.monotonic()
    wait = ctx.failed_keys().retry_after(address, now)
    if wait is not None:
        raise HTTPException(429, "too many unknown API keys from this address; try again later",
                            headers={"Retry-After": str(wait)})
    try:
        caller: Principal | None = ctx.keys.identify(key)
    except KeysConfigError as exc:
        logger.error("API keys file unusable: %s", exc)
        raise HTTPException(503, "the API keys file is unusable; see the server log") from None
    if caller is None:
        ctx.failed_keys().failed(address, now)
        logger.warning("unknown API key from %s", address)
        raise HTTPException(401, "unknown API key", headers=_CHALLENGE)
    return caller


def presented_key(header_key: str | None, bearer: HTTPAuthorizationCredentials | None) -> str | None:
    return header_key or (bearer.credentials if bearer else None)


async def optional_caller(
        request: Request, header_key: Annotated[str | None, Depends(_header)],
        bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Principal | None:
    """The caller if a key was presented (any role), else None; a bad key is still refused."""
    key = presented_key(header_key, bearer)
    return identify(request, key) if key else None


def require(role: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency that admits keys of ``role`` or above and returns the caller."""

    async def principal(
            request: Request, header_key: Annotated[str | None, Depends(_header)],
            bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Principal:
        key = presented_key(header_key, bearer)
        if not key:
            raise HTTPException(401, "an API key is required (X-API-Key header)", headers=_CHALLENGE)
        caller = identify(request, key)
        if caller.role < role:
            raise HTTPException(403, f"this needs the {role.name} role")
        return caller

    return principal


viewer = require(Role.viewer)
analyst = require(Role.analyst)
admin = require(Role.admin)
