"""The web dashboard: a static single-page app served by the API process.

The files hold no data (every datum comes from the API with the analyst's key), so
they are served without auth. Every response carries a strict Content-Security-
Policy: scraped text is hostile, and even if something slipped past the page's
text-only rendering, the browser would run no inline or foreign script. The app is
built from ``api/web/`` into ``api/static/`` by ``make dashboard``; see README
"Web dashboard".
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from tocsin.errors import ConfigError

STATIC_DIR = Path(__file__).resolve().parent / "static"

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


class DashboardMissing(ConfigError, RuntimeError):
    """The built dashboard is not where it should be (run ``make dashboard``)."""


def _secured(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response


class SecuredStaticFiles(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = _secured(await super().get_response(path, scope))
        # The bundle's names carry no hash: revalidate (a cheap 304) so an upgrade is seen at once.
        response.headers["Cache-Control"] = "no-cache"
        return response


def mount_dashboard(app: FastAPI, static_dir: Path = STATIC_DIR) -> None:
    """Serve ``index.html`` at ``/`` and the bundle under ``/static/``, with the security headers."""
    index = static_dir / "index.html"
    if not index.is_file():
        raise DashboardMissing(f"{index} is missing: build the dashboard with `make dashboard`")
    @app.get("/", include_in_schema=False)
    async def dashboard_index() -> Response:
        # no-cache: a new release's index must name its new bundle at once.
        return _secured(FileResponse(index, media_type="text/html; charset=utf-8",
                                     headers={"Cache-Control": "no-cache"}))

    app.mount("/static", SecuredStaticFiles(directory=static_dir), name="dashboard-static")
