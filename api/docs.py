"""OpenAPI docs at ``/docs``, with Swagger UI's files served by this process, not a CDN:
Tocsin is often run where the internet is cut or watched.

The files come from the ``fastapi-offline`` wheel, which ships Swagger UI 5: FastAPI
emits OpenAPI 3.1, which Swagger UI 4 (the ``swagger-ui-bundle`` wheel) cannot read
("does not specify a valid version field"), and declaring the spec 3.0 instead would
misdescribe its 3.1 schemas (``null`` in ``anyOf``, ``examples``).
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs/assets"
SWAGGER_UI = Path(fastapi_offline.__file__).resolve().parent / "static"


def mount_docs(app: FastAPI) -> None:
    """Call with ``FastAPI(docs_url=None)``; adds ``/docs`` and its assets."""
    app.mount(ASSETS, StaticFiles(directory=SWAGGER_UI), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} — docs",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js", swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png",
            # No badge from validator.swagger.io: the page loads nothing from elsewhere.
            swagger_ui_parameters={"validatorUrl": None})
