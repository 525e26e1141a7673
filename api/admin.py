"""Admin routes: the alert rules (read, replace) and the configured sources (read).

``PUT /rules`` validates the new file with the rules loader itself, then swaps it in
atomically (``os.replace`` in the same directory): the alerts workers reload it on
their own (``alerts.reload_s``), and a rejected file leaves the old one untouched. A
file sent here may not name a rule type by dotted path (``type: module:Class``):
that would import code of the sender's choosing; installed rule types are fine. The
files are read with the stages' own loaders, handed to the app by the entry point
(``ApiContext.stage_config``): the API imports no other stage.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request

from api.auth import admin
from api.context import ApiContext, context
from api.health import check_collectors, feed_notes
from api.keys import Principal
from api.stage_config import RulesReader
from tocsin.errors import ConfigError

router = APIRouter(tags=["admin"])
Ctx = Annotated[ApiContext, Depends(context)]
MAX_RULES_BYTES = 1024 * 1024


@router.get("/rules", summary="The alert rules file: its YAML and the rules it defines")
async def get_rules(ctx: Ctx, _: Annotated[Principal, Depends(admin)]) -> dict[str, Any]:
    path = Path(ctx.settings.alerts.rules_file)
    try:
        text = path.read_text(encoding="utf-8")
        rules = [rule.summary() for rule in await asyncio.to_thread(ctx.stage_config.read_rules, path, True)]
    except (OSError, ConfigError) as exc:
        raise HTTPException(500, f"the rules file cannot be read: {exc}") from None
    return {"file": path.name, "yaml": text, "rules": rules}


def replace_rules(path: Path, text: str, read_rules: RulesReader) -> list[dict[str, Any]]:
    """Validate ``text`` as a rules file with ``read_rules``, then atomically make it ``path``;
    raise :class:`ConfigError` naming the file being edited, never the temporary copy."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".yaml", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            # A rule type by dotted path imports code: only an operator's own edit may name one.
            rules = [rule.summary() for rule in read_rules(tmp, False)]
        except ConfigError as exc:
            # Name the file the person is editing, not our temporary copy.
            raise ConfigError(str(exc).replace(str(tmp), path.name)) from None
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
        return rules
    finally:
        tmp.unlink(missing_ok=True)


@router.put("/rules", summary="Replace the rules file (body: the YAML); rejected files change nothing",
            openapi_extra={"requestBody": {"required": True,
                                           "content": {"application/yaml": {"schema": {"type": "string"}}}}})
async def put_rules(request: Request, ctx: Ctx, _: Annotated[Principal, Depends(admin)]) -> dict[str, Any]:
    body = await request.body()
    if len(body) > MAX_RULES_BYTES:
        raise HTTPException(413, f"a rules file over {MAX_RULES_BYTES} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPException(400, "the rules file must be UTF-8") from None
    path = Path(ctx.settings.alerts.rules_file)
    try:
        rules = await asyncio.to_thread(replace_rules, path, text, ctx.stage_config.read_rules)
    except ConfigError as exc:
        raise HTTPException(422, str(exc)) from None
    return {"file": path.name, "rules": rules}


@router.get("/sources", summary="The configured sources and how each is faring (its last error in the "
                                 "service's own words)")
async def get_sources(ctx: Ctx, _: Annotated[Principal, Depends(admin)]) -> dict[str, Any]:
    """Each source's configuration and ``health``: last success, consecutive failures, the last
    error (a refused request quotes the service: ReliefWeb's ``error.message``, GDELT's text,
    Mastodon's ``error``) and the counts of what it reported besides its polls. The details
    live here, behind an admin key, not in the unauthenticated ``/health``."""
    try:
        feeds_file = Path(ctx.settings.collector.feeds_file)
        sources = await asyncio.to_thread(ctx.stage_config.read_sources, feeds_file)
    except ConfigError as exc:
        raise HTTPException(500, f"the sources file cannot be read: {exc}") from None
    state, notes = await asyncio.gather(asyncio.to_thread(check_collectors, ctx.settings.collector),
                                        asyncio.to_thread(feed_notes, ctx.settings.collector.state_path))
    by_name = {feed["name"]: feed for feed in state["feeds"]}
    return {"file": Path(ctx.settings.collector.feeds_file).name,
            "sources": [source | {"health": source_health(
                by_name.get(source["name"]), {kind: count for (feed, kind), count in notes.items()
                                              if feed == source["name"]})} for source in sources]}


def source_health(row: dict[str, Any] | None, reports: dict[str, int]) -> dict[str, Any]:
    """A source's state as the collector left it; ``polled: false`` before its first poll."""
    if row is None:
        return {"polled": False, "reports": reports}
    return {"polled": True, "last_success": row["last_success"], "failures": row["failures"],
            "last_error": row["last_error"], "last_error_at": row["last_error_at"], "stale": row["stale"],
            "reports": reports}
