"""Exporting the archive: every matching item, page by page, in constant memory.

Pages follow ``search_after`` over a total order (event time, then item id), so
an export of millions of items holds one page at a time and has no gaps or
repeats among items that do not change while it runs. (Elasticsearch's point in
time would also freeze later changes out; the search server of the tests and the
demo has none, and a page cursor on a total order is what both servers share.)
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from tocsin.queries import item_sort
from tocsin.terminal import printable

if TYPE_CHECKING:
    from elasticsearch import AsyncElasticsearch

DEFAULT_PAGE_SIZE = 500

# Spreadsheets run a cell that starts with one of these as a formula (CSV
# injection): ``=HYPERLINK(...)`` in a scraped title would be live in Excel.
# Full-width forms are included because some spreadsheets normalise them.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralise_formula(value: str) -> str:
    """A text cell a spreadsheet shows as text: a leading ``'`` when it could start a formula."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


async def scan(es: AsyncElasticsearch, index: str, query: dict[str, Any], *,
               page_size: int = DEFAULT_PAGE_SIZE) -> AsyncIterator[dict[str, Any]]:
    """Every matching document (``_source`` with ``id``), oldest first, one page in memory at a time."""
    after: list[Any] | None = None
    sort = item_sort("oldest")
    while True:
        kwargs: dict[str, Any] = {"search_after": after} if after is not None else {}
        response = await es.search(index=index, query=query, sort=sort, size=page_size,
                                   track_total_hits=False, **kwargs)
        hits = response["hits"]["hits"]
        for hit in hits:
            yield {**hit["_source"], "id": hit["_source"].get("id") or hit["_id"]}
        if len(hits) < page_size:
            return
        after = hits[-1]["sort"]


class RecordWriter(Protocol):
    """One export format: ``write`` one archived item at a time, ``close`` flushes."""

    def write(self, doc: dict[str, Any]) -> None: ...

    def close(self) -> None: ...


class NdjsonWriter:
    """Each archived document as it is stored, one JSON object per line."""

    def __init__(self, out: TextIO, *, ascii_only: bool = False) -> None:
        self.out = out
        self.ascii_only = ascii_only

    def write(self, doc: dict[str, Any]) -> None:
        self.out.write(json.dumps(doc, ensure_ascii=self.ascii_only, separators=(",", ":")) + "\n")

    def close(self) -> None:
        self.out.flush()


def _joined(values: Iterable[Any] | None) -> str:
    return "; ".join(str(v) for v in values or ())


def _location(doc: dict[str, Any], axis: str) -> float | None:
    location = doc.get("location")
    return location.get(axis) if isinstance(location, dict) else None


CSV_COLUMNS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "id": lambda d: d.get("id"),
    "event_time": lambda d: d.get("event_time"),
    "published": lambda d: d.get("published"),
    "collected": lambda d: d.get("collected"),
    "source_type": lambda d: (d.get("source") or {}).get("type"),
    "source_name": lambda d: (d.get("source") or {}).get("name"),
    "url": lambda d: d.get("url"),
    "title": lambda d: d.get("title"),
    "text": lambda d: d.get("text"),
    "lang": lambda d: d.get("lang"),
    "country": lambda d: d.get("country"),
    "admin1": lambda d: d.get("admin1"),
    "city": lambda d: d.get("city"),
    "lat": lambda d: _location(d, "lat"),
    "lon": lambda d: _location(d, "lon"),
    "categories": lambda d: _joined(d.get("categories")),
    "scores": lambda d: _joined(f"{k}={v}" for k, v in sorted((d.get("scores") or {}).items())),
    "flags": lambda d: _joined(d.get("flags")),
    "authors": lambda d: _joined(d.get("authors")),
    "deleted": lambda d: d.get("deleted"),
    "content_sha256": lambda d: d.get("content_sha256"),
    "raw_sha256": lambda d: d.get("raw_sha256"),
    "fetch_url": lambda d: (d.get("provenance") or {}).get("fetch_url"),
}
"""One row per item: the fields an analyst sorts and filters on in a spreadsheet.
Lists are joined with ``; ``; NDJSON keeps everything else."""


class CsvWriter:
    """One row per item. ``for_terminal`` (CSV sent to a terminal, not a file) also shows
    control characters as visible escapes, as every other terminal output does."""

    def __init__(self, out: TextIO, *, for_terminal: bool = False) -> None:
        self.out = out
        self.for_terminal = for_terminal
        self.rows = csv.writer(out, lineterminator="\r\n")
        self.rows.writerow(CSV_COLUMNS)

    def write(self, doc: dict[str, Any]) -> None:
        self.rows.writerow([self._cell(get(doc)) for get in CSV_COLUMNS.values()])

    def _cell(self, value: Any) -> Any:
        if value is None:
            return ""
        if isinstance(value, bool | int | float):
            return value
        text = neutralise_formula(str(value))
        return printable(text, one_line=False) if self.for_terminal else text

    def close(self) -> None:
        self.out.flush()


FORMATS: dict[str, Callable[[TextIO], RecordWriter]] = {"csv": CsvWriter, "ndjson": NdjsonWriter}


async def export(es: AsyncElasticsearch, index: str, query: dict[str, Any], writer: RecordWriter, *,
                 page_size: int = DEFAULT_PAGE_SIZE, advance: Callable[[int], None] | None = None) -> int:
    """Write every matching item; returns how many. ``advance`` is told after each item."""
    written = 0
    async for doc in scan(es, index, query, page_size=page_size):
        writer.write(doc)
        written += 1
        if advance:
            advance(1)
    writer.close()
    return written


class AtomicFile:
    """A file that appears under its name only when complete: ``<name>.part`` until ``commit``.

    A failed or interrupted export leaves no file that looks like a finished one.
    """

    def __init__(self, path: Path, *, newline: str | None = None) -> None:
        self.path = path
        self.part = path.with_name(path.name + ".part")
        self.handle: TextIO = open(self.part, "w", encoding="utf-8", newline=newline)  # noqa: SIM115

    def commit(self) -> None:
        self.handle.close()
        os.replace(self.part, self.path)

    def discard(self) -> None:
        self.handle.close()
        self.part.unlink(missing_ok=True)
