"""Admin routes: the alert rules (read, replace) and the configured sources (read).

``PUT /rules`` validates the new file with the rules loader itself, then swaps it in
atomically (``os.replace`` in the same directory): the alerts workers reload it on
their own (``alerts.reload_s``), and a rejected file leaves the old one untouched. A
file sent here may not name a rule type by dotted path (``type: module:Class``):
that would import code of the sender's choosing; installed rule types are fine.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request

from alerts.rules import RuleConfigError, load_rules
from api.auth import admin
from api.context import ApiContext, context
from api.keys import Principal

router = APIRouter(tags=["admin"])
Ctx = Annotated[ApiContext, Depends(context)]
MAX_RULES_BYTES = 1024 * 1024


def _summary(path: Path, *, dotted_paths: bool = True) -> list[dict[str, Any]]:
    return [{"name": rule.config.name, "type": rule.config.type, "severity": rule.config.severity,
             "description": rule.config.description} for rule in load_rules(path, dotted_paths=dotted_paths)]


@router.get("/rules", summary="The alert rules file: its YAML and the rules it defines")
async def get_rules(ctx: Ctx, _: Annotated[Principal, Depends(admin)]) -> dict[str, Any]:
    path = Path(ctx.settings.alerts.rules_file)
    try:
        text = path.read_text(encoding="utf-8")
        rules = _summary(path)
    except (OSError, RuleConfigError) as exc:
        raise HTTPException(500, f"the rules file cannot be read: {exc}") from None
    return {"file": path.name, "yaml": text, "rules": rules}


def replace_rules(path: Path, text: str) -> list[dict[str, Any]]:
    """Validate ``text`` as a rules file, then atomically make it ``path``; raise ``RuleConfigError``."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".yaml", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            # A rule type by dotted path imports code: only an operator's own edit may name one.
            rules = _summary(tmp, dotted_paths=False)
        except RuleConfigError as exc:
            # Name the file the person is editing, not our temporary copy.
            raise RuleConfigError(str(exc).replace(str(tmp), path.name)) from None
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
        rules = await asyncio.to_thread(replace_rules, path, text)
    except RuleConfigError as exc:
        raise HTTPException(422, str(exc)) from None
    return {"file": path.name, "rules": rules}


@router.get("/sources", summary="The configured sources (feeds and APIs) the collectors poll")
async def get_sources(ctx: Ctx, _: Annotated[Principal, Depends(admin)]) -> dict[str, Any]:
    from collectors.config import SourceConfigError, load_sources

    try:
        sources = load_sources(ctx.settings.collector.feeds_file)
    except SourceConfigError as exc:
        raise HTTPException(500, f"the sources file cannot be read: {exc}") from None
    return {"file": Path(ctx.settings.collector.feeds_file).name,
            "sources": [source.model_dump(mode="json") for source in sources]}
