"""``/health``: is the pipeline around this API alive? No key needed for the verdict.

Without a key the answer is the verdict alone (``{"status": "ok"}``, ``degraded`` or
``down``, and the status code): enough for a load balancer, nothing for a prober.
With any valid key it also gives the reasons and each check (feed names, their last
errors and addresses), which an unauthenticated caller must not read.

503 when the broker or the search server cannot be reached, or when the collector
state shows that no source has succeeded lately (the collector is down or cut
off); 200 otherwise. Single feeds failing make it ``degraded`` (200) with reasons:
one broken feed out of fifty is a job for the source list, not for a load balancer.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Annotated, Any

from aiokafka.admin import AIOKafkaAdminClient
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from api.auth import optional_caller
from api.context import ApiContext, context
from api.keys import Principal
from tocsin.kafka import client_kwargs
from tocsin.settings import CollectorSettings, KafkaSettings

router = APIRouter(tags=["operations"])
CHECK_TIMEOUT_S = 5.0


async def check_broker(settings: KafkaSettings) -> dict[str, Any]:
    admin = AIOKafkaAdminClient(**client_kwargs(settings), request_timeout_ms=int(CHECK_TIMEOUT_S * 1000))
    try:
        await asyncio.wait_for(admin.start(), CHECK_TIMEOUT_S)
        topics = await asyncio.wait_for(admin.list_topics(), CHECK_TIMEOUT_S)
        return {"ok": True, "topics": len(topics)}
    except Exception as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    finally:
        await admin.close()


async def check_search(ctx: ApiContext) -> dict[str, Any]:
    try:
        info = await asyncio.wait_for(ctx.es.info(), CHECK_TIMEOUT_S)
        return {"ok": True, "version": info["version"]["number"]}
    except Exception as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}


def feed_states(path: Path) -> list[dict[str, Any]]:
    """The collector's per-feed state, read-only (the collector owns the file)."""
    uri = f"{path.resolve().as_uri()}?mode=ro"
    db = sqlite3.connect(uri, uri=True, timeout=2.0)
    try:
        rows = db.execute("SELECT name, last_success, failures, last_error, last_error_at, interval_s "
                          "FROM feeds ORDER BY name").fetchall()
    finally:
        db.close()
    return [{"name": name, "last_success": last_success, "failures": failures, "last_error": last_error,
             "last_error_at": last_error_at, "interval_s": interval_s}
            for name, last_success, failures, last_error, last_error_at, interval_s in rows]


def feed_notes(path: Path) -> dict[tuple[str, str], int]:
    """What each source reported besides its polls, counted by kind (a refused stream, lost
    stream history); empty without a state file or in one older than the counts."""
    if not path.is_file():
        return {}
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=2.0)
    try:
        rows = db.execute("SELECT feed, kind, count FROM notes").fetchall()
    except sqlite3.OperationalError:  # a state file from before the counts
        return {}
    finally:
        db.close()
    return {(feed, kind): count for feed, kind, count in rows}


def check_collectors(settings: CollectorSettings, now: float | None = None) -> dict[str, Any]:
    """Each feed's last success. A feed is stale when its last success is older than twice
    ``collector.max_interval_s`` (the longest the collector ever waits between polls), or when it
    has only ever failed; a collector that stopped leaves every feed stale."""
    now = time.time() if now is None else now
    if not settings.state_path.is_file():
        return {"ok": None, "error": f"no collector state at {settings.state_path} (not on this host?)",
                "feeds": []}
    try:
        rows = feed_states(settings.state_path)
    except sqlite3.Error as exc:
        return {"ok": None, "error": f"cannot read the collector state: {exc}", "feeds": []}
    feeds = []
    for row in rows:
        last = row["last_success"]
        stale = bool(row["failures"]) if last is None else now - last > 2 * settings.max_interval_s
        feeds.append({"name": row["name"], "last_success": _iso(last), "failures": row["failures"],
                      "last_error": row["last_error"], "last_error_at": _iso(row["last_error_at"]),
                      "stale": stale})
    fresh = [f for f in feeds if not f["stale"]]
    return {"ok": bool(fresh) or not feeds, "feeds": feeds}


def _iso(ts: float | None) -> str | None:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts, UTC).isoformat() if ts is not None else None


def verdict(broker: dict[str, Any], search: dict[str, Any],
            collectors: dict[str, Any]) -> tuple[str, list[str]]:
    """``ok`` / ``degraded`` / ``down`` and the reasons, from the three checks."""
    reasons = []
    if not broker["ok"]:
        reasons.append(f"broker unreachable: {broker['error']}")
    if not search["ok"]:
        reasons.append(f"search server unreachable: {search['error']}")
    if collectors["ok"] is False:
        reasons.append("no source has succeeded within twice collector.max_interval_s")
    if reasons:
        return "down", reasons
    degraded = [f"source {f['name']} failing since {f['last_success'] or 'its first poll'}: {f['last_error']}"
                for f in collectors["feeds"] if f["stale"]]
    if collectors["ok"] is None:
        degraded.append(collectors["error"])
    return ("degraded" if degraded else "ok"), degraded


@router.get("/health", summary="Broker, search server and collectors: 200 when usable, 503 otherwise")
async def health(ctx: Annotated[ApiContext, Depends(context)],
                 caller: Annotated[Principal | None, Depends(optional_caller)]) -> JSONResponse:
    broker, search = await asyncio.gather(check_broker(ctx.settings.kafka), check_search(ctx))
    collectors = await asyncio.to_thread(check_collectors, ctx.settings.collector)
    status, reasons = verdict(broker, search, collectors)
    body = {"status": status, "reasons": reasons,
            "checks": {"broker": broker, "search": search, "collectors": collectors,
                       "stream": {"ok": ctx.hub.ready.is_set(), "clients": ctx.hub.subscribers}}}
    code = 503 if status == "down" else 200
    return JSONResponse(body if caller is not None else {"status": status}, status_code=code)


@router.head("/health", summary="As GET /health, without the body (uptime checkers send HEAD)")
async def health_head(ctx: Annotated[ApiContext, Depends(context)]) -> JSONResponse:
    """A route of its own, so each operation keeps its own id in the OpenAPI document."""
    return await health(ctx, None)
