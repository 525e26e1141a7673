"""Media-type shim for ``osmem-server``: test and demo wiring only.

elasticsearch-py 9 always sends ``application/vnd.elasticsearch+json;
compatible-with=9``; osmem answers those with 406. This node class rewrites them
to plain ``application/json``. Select it with
``TOCSIN_SEARCH__NODE_CLASS=tocsin_embedded.compat:PlainJsonNode``; production
uses the stock ``aiohttp`` node and talks to a real Elasticsearch 9.
"""

from __future__ import annotations

from typing import Any

from elastic_transport import AiohttpHttpNode, HttpHeaders

_REWRITTEN = ("accept", "content-type")


def plain_json_headers(headers: HttpHeaders | None) -> HttpHeaders | None:
    if headers is None:
        return None
    out = headers.copy()
    for name in _REWRITTEN:
        value = out.get(name)
        if value and "compatible-with" in value:
            out[name] = "application/x-ndjson" if "x-ndjson" in value else "application/json"
    return out


class PlainJsonNode(AiohttpHttpNode):
    async def perform_request(  # type: ignore[override]
            self, method: str, target: str, body: bytes | None = None,
            headers: HttpHeaders | None = None, **kwargs: Any) -> Any:
        return await super().perform_request(method, target, body=body,
                                             headers=plain_json_headers(headers), **kwargs)
