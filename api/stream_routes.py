"""The ``/alerts/stream`` route (the hub and the replay are in ``api.stream``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header
from fastapi.responses import StreamingResponse

from api.auth import viewer
from api.context import ApiContext, context
from api.keys import Principal
from api.stream import replay_after, sse_frame

router = APIRouter(tags=["alerts"])


@router.get("/alerts/stream", summary="Alert versions as server-sent events (event: alert, id: version id)",
            response_class=StreamingResponse, responses={200: {"content": {"text/event-stream": {}}}})
async def alerts_stream(
        ctx: Annotated[ApiContext, Depends(context)], _: Annotated[Principal, Depends(viewer)],
        last_event_id: Annotated[str | None, Header(alias="Last-Event-ID",
                                                    description="replay the versions after this one")] = None,
) -> StreamingResponse:
    subscriber = ctx.hub.subscribe()  # before the replay, so nothing falls between the two

    async def frames() -> AsyncIterator[bytes]:
        # One get() outlives heartbeats (never cancelled by a timeout), so no version is lost.
        getter: asyncio.Task[tuple[str, bytes] | None] | None = None
        try:
            yield b": connected\n\n"
            replayed: set[str] = set()
            if last_event_id:
                versions = ctx.settings.search.alert_versions_index
                async for alert in replay_after(ctx.es, versions, last_event_id):
                    replayed.add(alert.version_id)
                    yield sse_frame(alert)
            while True:
                if getter is None:
                    getter = asyncio.ensure_future(subscriber.queue.get())
                done, _ = await asyncio.wait({getter}, timeout=ctx.heartbeat_s)
                if not done:
                    yield b": heartbeat\n\n"
                    continue
                entry, getter = getter.result(), None
                if entry is None:  # dropped for reading too slowly
                    return
                version_id, frame = entry
                if version_id not in replayed:
                    yield frame
        finally:
            if getter is not None:
                getter.cancel()
            ctx.hub.unsubscribe(subscriber)

    return StreamingResponse(frames(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
