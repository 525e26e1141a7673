"""The dashboard as files: the committed bundle matches its sources, the headers are strict, no HTML sinks."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.dashboard import CSP, STATIC_DIR, DashboardMissing, mount_dashboard

WEB = Path(__file__).resolve().parents[2] / "api" / "web"
FIXED_SOURCES = ["build.mjs", "favicon.svg", "index.html", "package-lock.json", "package.json",
                 "tsconfig.json"]


def source_digest() -> str:
    """The same digest as build.mjs's sourceDigest(): sorted relative paths, each path NUL content NUL."""
    files = FIXED_SOURCES + [p.relative_to(WEB).as_posix() for p in (WEB / "src").rglob("*") if p.is_file()]
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + (WEB / name).read_bytes() + b"\0")
    return digest.hexdigest()


def test_committed_bundle_was_built_from_the_current_sources() -> None:
    built = (STATIC_DIR / "SOURCES.sha256").read_text().strip()
    assert built == source_digest(), "api/static is stale: run `make dashboard` and commit api/static"


def test_bundle_ships_leaflet_licence_notice() -> None:
    notices = (STATIC_DIR / "LICENSES.txt").read_text()
    assert "Leaflet" in notices and "Volodymyr Agafonkin" in notices and "BSD 2-Clause" in notices
    assert "Natural Earth" in notices
    assert "Leaflet 1.9" in (STATIC_DIR / "app.js").read_text()


def test_the_dashboards_iso_table_matches_iso_3166() -> None:
    """Country alerts are drawn with the borders of the country whose numeric id this table gives."""
    import pycountry

    text = (WEB / "src" / "iso3166.ts").read_text(encoding="utf-8")
    table = dict(re.findall(r'\b([A-Z]{2}): "(\d{3})"', text))
    assert table == {country.alpha_2: country.numeric for country in pycountry.countries}
    assert table["SD"] == "729" and table["US"] == "840" and table["KE"] == "404"


def test_sources_never_write_html_strings() -> None:
    sinks = re.compile(r"\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|"
                       r"createContextualFragment|\beval\(|new Function\(")
    offenders = [f"{p.relative_to(WEB)}:{n}" for p in (WEB / "src").rglob("*.ts")
                 for n, line in enumerate(p.read_text().splitlines(), 1) if sinks.search(line)]
    assert offenders == []


def test_index_and_assets_are_served_with_the_security_headers_and_no_key() -> None:
    app = FastAPI()
    mount_dashboard(app)
    client = TestClient(app)
    index = client.get("/")
    assert index.status_code == 200
    assert "/static/app.js" in index.text
    assert index.headers["content-security-policy"] == CSP
    assert "default-src 'self'" in CSP and "unsafe-inline" not in CSP
    assert index.headers["x-content-type-options"] == "nosniff"
    script = client.get("/static/app.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert script.headers["content-security-policy"] == CSP
    assert script.headers["cache-control"] == "no-cache"
    assert client.get("/static/app.js", headers={"If-None-Match": script.headers["etag"]}).status_code == 304
    assert client.get("/static/../dashboard.py").status_code == 404


def test_mount_refuses_a_missing_build(tmp_path: Path) -> None:
    with pytest.raises(DashboardMissing, match="make dashboard"):
        mount_dashboard(FastAPI(), tmp_path)
