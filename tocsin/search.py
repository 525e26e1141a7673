"""The Elasticsearch client every stage uses, built from settings alone."""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from elastic_transport import TransportError
from elasticsearch import ApiError, AsyncElasticsearch, BadRequestError, NotFoundError
from pydantic import ValidationError

from tocsin.errors import SearchUnavailable
from tocsin.queries import ALERT_SORT, AlertFilters, alert_query
from tocsin.schema import Alert
from tocsin.settings import SearchSettings

logger = logging.getLogger(__name__)
T = TypeVar("T")


def resolve_node_class(name: str) -> Any:
    """'aiohttp' / 'httpxasync' are elastic-transport's own; 'module:Class' is imported."""
    if ":" not in name:
        return name
    module, _, attr = name.partition(":")
    return getattr(importlib.import_module(module), attr)


def search_client(settings: SearchSettings) -> AsyncElasticsearch:
    kwargs: dict[str, Any] = {
        "hosts": [u.strip() for u in settings.url.split(",") if u.strip()],
        "request_timeout": settings.request_timeout,
        "node_class": resolve_node_class(settings.node_class),
        "verify_certs": settings.verify_certs,
        "retry_on_timeout": True,
        "max_retries": 3,
    }
    if settings.ca_certs:
        kwargs["ca_certs"] = str(settings.ca_certs)
    if settings.api_key:
        kwargs["api_key"] = settings.api_key.get_secret_value()
    elif settings.username:
        password = settings.password.get_secret_value() if settings.password else ""
        kwargs["basic_auth"] = (settings.username, password)
    return AsyncElasticsearch(**kwargs)


@dataclass(frozen=True)
class Rejected:
    """A document the search server refused for itself (e.g. a mapping conflict)."""

    doc_id: str
    status: int
    error: str


# Per-document statuses that retrying cannot fix; anything else is the server's trouble.
_PERMANENT_STATUSES = frozenset({400, 404, 409, 413})


async def install_template(es: AsyncElasticsearch, name: str, template_file: Path, pattern: str) -> None:
    """Install (or update) a composable index template shipped with the code."""
    body = json.loads(template_file.read_text(encoding="utf-8"))
    body["index_patterns"] = [pattern]
    try:
        await es.indices.put_index_template(name=name, **body)
    except TransportError as exc:
        raise SearchUnavailable(f"installing template {name!r} failed: {exc}") from exc


async def install_index(es: AsyncElasticsearch, index: str, template_file: Path) -> None:
    """The shipped template for ``<index>*``, then the index itself (both idempotent)."""
    await install_template(es, f"{index}-template", template_file, f"{index}*")
    await ensure_index(es, index)


async def ensure_index(es: AsyncElasticsearch, index: str) -> None:
    """Create the index unless it exists (its template gives it its mappings)."""
    try:
        if not await es.indices.exists(index=index):
            await es.indices.create(index=index)
    except BadRequestError as exc:
        if "already_exists" not in str(exc):
            raise
    except TransportError as exc:
        raise SearchUnavailable(f"creating index {index!r} failed: {exc}") from exc


async def bulk_index(es: AsyncElasticsearch, index: str, docs: list[tuple[str, dict[str, Any]]],
                     *, refresh: bool | str = False,
                     merges: Sequence[tuple[str, dict[str, Any], dict[str, Any]]] = ()) -> list[Rejected]:
    """Index documents by id (idempotent: a replay overwrites the same documents).

    ``merges`` are (id, partial document, document if absent): fields set on a
    document that is already there, e.g. marking a post deleted without losing
    its archived text. Returns the documents the server rejected for good. Raises
    ``SearchUnavailable`` when the server could not take the batch, so the caller
    keeps its offsets.
    """
    if not docs and not merges:
        return []
    operations: list[dict[str, Any]] = []
    for doc_id, doc in docs:
        operations.append({"index": {"_index": index, "_id": doc_id}})
        operations.append(doc)
    for doc_id, partial, upsert in merges:
        operations.append({"update": {"_index": index, "_id": doc_id}})
        operations.append({"doc": partial, "upsert": upsert})
    try:
        response = await es.bulk(operations=operations, refresh=refresh)
    except (TransportError, ApiError) as exc:
        raise SearchUnavailable(f"bulk to {index!r} failed: {exc}") from exc
    if not response.get("errors"):
        return []
    rejected: list[Rejected] = []
    for entry in response["items"]:
        result = next(iter(entry.values()))
        status = int(result.get("status", 500))
        if status < 300:
            continue
        if status not in _PERMANENT_STATUSES:
            raise SearchUnavailable(f"bulk to {index!r}: document {result.get('_id')} got {status}")
        rejected.append(Rejected(str(result.get("_id")), status, json.dumps(result.get("error"))[:2000]))
    return rejected


async def with_retries(write: Callable[[], Awaitable[T]], *, what: str, stop: asyncio.Event | None = None,
                       base_delay: float = 0.5, max_delay: float = 30.0) -> T:
    """Retry a write until the search server takes it.

    A stream must not move past items the archive has not acknowledged, so an
    outage stalls the stage (and its lag grows) instead of losing data.
    """
    delay = base_delay
    while True:
        try:
            return await write()
        except SearchUnavailable as exc:
            if stop is not None and stop.is_set():
                raise
            logger.warning("%s: %s; retrying in %.1f s", what, exc, delay)
            await asyncio.sleep(delay)
            delay = min(max_delay, delay * 2)


async def search_hits(es: AsyncElasticsearch, index: str, *, what: str,
                      **request: Any) -> list[dict[str, Any]]:
    """The hits of one search (``request``: query, sort, size...); none when the index does not
    exist yet. Raises ``SearchUnavailable`` naming ``what`` was read when the server could not
    answer, so a caller restoring state never takes "unreachable" for "nothing to restore"."""
    try:
        response = await es.search(index=index, **request)
    except NotFoundError:
        return []
    except (TransportError, ApiError) as exc:
        raise SearchUnavailable(f"reading {what} from {index!r} failed: {exc}") from exc
    return list(response["hits"]["hits"])


async def sources_by_id(es: AsyncElasticsearch, index: str, ids: Sequence[str], *,
                        source_includes: Sequence[str] | None = None) -> dict[str, dict[str, Any]]:
    """``_source`` of the documents with those ids (absent ones are left out).

    ``mget`` first: it is real-time, so it sees a document before a refresh. With
    index lifecycle on, ``index`` is an alias over several backing indices, where
    mget fails document by document; those ids are looked up with an ``ids``
    query instead (which sees documents once refreshed; the newest backing index
    wins). A missing index holds nothing. Raises ``SearchUnavailable`` when the
    server could not answer, so a caller never takes "unreachable" for "absent".
    """
    wanted = [i for i in dict.fromkeys(ids) if i]
    if not wanted:
        return {}
    extra: dict[str, Any] = {"source_includes": list(source_includes)} if source_includes else {}
    try:
        response = await es.mget(index=index, ids=wanted, **extra)
    except NotFoundError:
        return {}
    except (TransportError, ApiError) as exc:
        raise SearchUnavailable(f"mget on {index!r} failed: {exc}") from exc
    found = {doc["_id"]: doc.get("_source") or {} for doc in response["docs"] if doc.get("found")}
    unresolved = [doc["_id"] for doc in response["docs"]
                  if isinstance(doc.get("error"), dict)
                  and doc["error"].get("type") != "index_not_found_exception"]
    if unresolved:
        try:
            hits = await es.search(index=index, query={"ids": {"values": unresolved}},
                                   size=min(10 * len(unresolved), 10_000), **extra)
        except (TransportError, ApiError) as exc:
            raise SearchUnavailable(f"looking up ids in {index!r} failed: {exc}") from exc
        for hit in sorted(hits["hits"]["hits"], key=lambda hit: str(hit["_index"]), reverse=True):
            found.setdefault(hit["_id"], hit.get("_source") or {})
    return found


async def search_alerts(es: AsyncElasticsearch, index: str, filters: AlertFilters, size: int) -> list[Alert]:
    """The latest version of each alert ``filters`` select, most recently changed first (up to
    ``size``); none when the index does not exist yet. Stored fields the schema does not know
    are ignored; a stored alert that is not valid is logged and left out."""
    try:
        response = await es.search(index=index, query=alert_query(filters), sort=ALERT_SORT, size=size)
    except NotFoundError:
        return []
    return alerts_from_hits(response["hits"]["hits"])


def alerts_from_hits(hits: Sequence[dict[str, Any]]) -> list[Alert]:
    """The alerts of search hits over an alerts or versions index; one that is not valid is
    logged and left out, so one bad document does not hide the others."""
    alerts = []
    for hit in hits:
        try:
            alerts.append(Alert.from_document(hit["_source"]))
        except ValidationError as exc:
            logger.warning("skipping an invalid stored alert %s: %s", hit["_id"], exc)
    return alerts
