"""Who may call what: ``X-API-Key: <key>`` (or ``Authorization: Bearer <key>``) and a role.

Refusals carry only a reason, never data: 401 for a missing or unknown key, 403 for
a role below the endpoint's.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from api.keys import KeysConfigError, Principal, Role

logger = logging.getLogger(__name__)

_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="an API key (see README)")
_bearer = HTTPBearer(auto_error=False, description="the same key as a bearer token")
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="tocsin"'}


def require(role: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency that admits keys of ``role`` or above and returns the caller."""

    async def principal(
            request: Request, header_key: Annotated[str | None, Depends(_header)],
            bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Principal:
        key = header_key or (bearer.credentials if bearer else None)
        if not key:
            raise HTTPException(401, "an API key is required (X-API-Key header)", headers=_CHALLENGE)
        try:
            caller = request.app.state.ctx.keys.identify(key)
        except KeysConfigError as exc:
            logger.error("API keys file unusable: %s", exc)
            raise HTTPException(503, "the API keys file is unusable; see the server log") from None
        if caller is None:
            raise HTTPException(401, "unknown API key", headers=_CHALLENGE)
        if caller.role < role:
            raise HTTPException(403, f"this needs the {role.name} role")
        return caller

    return principal


viewer = require(Role.viewer)
analyst = require(Role.analyst)
admin = require(Role.admin)
