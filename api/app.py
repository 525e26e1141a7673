"""The HTTP API app: ``create_app(settings, stage_config=...)``, and ``serve`` for ``tocsin api``.

One process holds one search client, one producer (for actions, started on first
use), one consumer of ``alerts`` (for ``/alerts/stream``) and the keys file. The
web dashboard, when its module is installed (``api.dashboard``), is served by the
same app.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from elastic_transport import TransportError
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from api import admin, alerts, archive, health, incidents, metrics, stream_routes, verdicts
from api.context import ApiContext
from api.dashboard import mount_dashboard
from api.docs import mount_docs
from api.keys import KeyRing
from api.metrics import ApiMetrics, RequestCounter
from api.signals import SignalPublisher
from api.stage_config import StageConfig
from api.stream import AlertHub
from tocsin.search import SearchUnavailable, search_client
from tocsin.settings import Settings

logger = logging.getLogger(__name__)

DESCRIPTION = """\
Search the Tocsin archive, read and act on alerts, stream them, and watch the pipeline.

Send an API key in `X-API-Key` (or `Authorization: Bearer <key>`); make one with
`tocsin api-key add NAME --role viewer|analyst|admin`. Viewers read alerts (JSON, Atom,
CAP, stream); analysts also search, aggregate, see evidence, act on alerts and give verdicts
on items (misclassified / confirmed, exported as labelled CSV for retraining); admins
also read and replace the rules and read the sources. Text is returned raw: escape it
where you show it.
"""


def create_app(settings: Settings, *, stage_config: StageConfig, heartbeat_s: float = 15.0) -> FastAPI:
    """The app; ``stage_config`` reads the rules and sources files with the stages' own loaders
    (the entry point builds it: ``tocsin_launch.api_wiring.stage_config``)."""
    keys = KeyRing(settings.api.keys_file)
    keys.check()  # a broken keys file stops the start, with the file and key named

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ctx = ApiContext(settings=settings, es=search_client(settings.search), keys=keys,
                         signals=SignalPublisher(settings.kafka), hub=AlertHub(settings.kafka),
                         metrics=api_metrics, stage_config=stage_config, heartbeat_s=heartbeat_s)
        app.state.ctx = ctx
        ctx.hub.start()
        try:
            yield
        finally:
            await ctx.hub.stop()
            await ctx.signals.close()
            await ctx.metrics.close()
            await ctx.es.close()

    api_metrics = ApiMetrics()
    app = FastAPI(title="Tocsin API", version="1", description=DESCRIPTION, lifespan=lifespan,
                  docs_url=None, redoc_url=None)
    mount_docs(app)
    app.add_middleware(RequestCounter, metrics=api_metrics)
    app.add_exception_handler(TransportError, search_unavailable)
    app.add_exception_handler(SearchUnavailable, search_unavailable)
    app.include_router(stream_routes.router)  # before /alerts/{alert_id}
    app.include_router(alerts.router)
    app.include_router(archive.router)
    app.include_router(verdicts.router)
    app.include_router(incidents.router)
    app.include_router(admin.router)
    app.include_router(health.router)
    app.include_router(metrics.router)
    mount_dashboard(app)
    return app


async def search_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """The search server is down or refused to answer: retry later (never a traceback, never data)."""
    logger.warning("search server unavailable for %s: %s", request.url.path, exc)
    return JSONResponse({"detail": "the search server is unavailable; try again later"}, status_code=503)


def serve(settings: Settings, *, stage_config: StageConfig, log_level: str = "info") -> None:
    """Run the API with uvicorn on ``api.host``:``api.port`` until interrupted."""
    import uvicorn

    app = create_app(settings, stage_config=stage_config)
    print(f"Tocsin API on http://{settings.api.host}:{settings.api.port}/ (OpenAPI docs at /docs)",
          flush=True)
    uvicorn.run(app, host=settings.api.host, port=settings.api.port, log_level=log_level, proxy_headers=True)
