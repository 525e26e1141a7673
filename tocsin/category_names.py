"""Which category names exist, so that a misspelt one is an error and not an empty answer.

``category=violence`` matched nothing and said nothing: the categories are
``violence_report``, ``hate_speech``…  The names a filter may use are those of the
keyword categories file (``processing.categories_file``) and those the archive holds
(a transformer's or a retired category's). The HTTP API and the command line both
check with ``check_categories``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from elasticsearch import AsyncElasticsearch, NotFoundError

from tocsin.queries import QueryError

# Names in the archive change rarely (a new classifier); a minute keeps the check off the hot path.
ARCHIVE_TTL_S = 60.0
_MAX_NAMES = 500


def configured_categories(path: Path) -> set[str]:
    """The category names in a keyword categories file (empty if it cannot be read: the
    processors report that file's problems; here it only widens what is accepted)."""
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return set()
    categories = data.get("categories") if isinstance(data, dict) else None
    return {str(name) for name in categories} if isinstance(categories, dict) else set()


async def archived_categories(es: AsyncElasticsearch, index: str) -> set[str]:
    try:
        response = await es.search(index=index, size=0,
                                   aggs={"names": {"terms": {"field": "categories", "size": _MAX_NAMES}}})
    except NotFoundError:
        return set()
    return {str(bucket["key"]) for bucket in response["aggregations"]["names"]["buckets"]}


def check_categories(given: Iterable[str], known: set[str]) -> None:
    """``QueryError`` naming the known categories when one given is not among them.
    Nothing is checked while nothing is known (no file, an empty archive)."""
    unknown = [name for name in given if name not in known]
    if unknown and known:
        raise QueryError(f"unknown category {unknown[0]!r}; the categories are {', '.join(sorted(known))}")


class KnownCategories:
    """The names for one process: the file's once, the archive's refreshed every minute."""

    def __init__(self, categories_file: Path, items_index: str) -> None:
        self.configured = configured_categories(categories_file)
        self.items_index = items_index
        self._archived: set[str] = set()
        self._read_at = float("-inf")

    async def names(self, es: AsyncElasticsearch) -> set[str]:
        if time.monotonic() - self._read_at > ARCHIVE_TTL_S:
            self._archived = await archived_categories(es, self.items_index)
            self._read_at = time.monotonic()
        return self.configured | self._archived

    async def check(self, es: AsyncElasticsearch, given: Iterable[str]) -> None:
        given = list(given)
        if given:
            check_categories(given, await self.names(es))
