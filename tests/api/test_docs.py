"""The OpenAPI docs work offline: every asset comes from this server."""

from __future__ import annotations

import re

import httpx


async def test_docs_page_and_its_assets_are_served_locally(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    assets = re.findall(r"""(?:src|href)=['"]([^'"]+)['"]""", page.text)
    assert assets and all(a.startswith("/") and not a.startswith("//") for a in assets), assets
    for asset in assets:
        assert (await client.get(asset)).status_code == 200, asset
    assert "/openapi.json" in page.text
    spec = (await client.get("/openapi.json")).json()
    assert "/search" in spec["paths"] and "/alerts/{alert_id}.cap" in spec["paths"]


async def test_every_operation_has_its_own_id(client: httpx.AsyncClient) -> None:
    """One route for GET and HEAD /health gave both the same operationId (FastAPI warned,
    and clients generated from the spec clash on it)."""
    spec = (await client.get("/openapi.json")).json()
    ids = [operation["operationId"] for methods in spec["paths"].values() for operation in methods.values()]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert set(spec["paths"]["/health"]) == {"get", "head"}
