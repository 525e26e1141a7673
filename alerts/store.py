"""The alerts index: every raised alert, by alert id, newest first for the feeds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from elasticsearch import AsyncElasticsearch, NotFoundError

from tocsin.schema import Alert
from tocsin.search import Rejected, bulk_index, install_index

TEMPLATE_FILE = Path(__file__).with_name("templates") / "alerts.json"


class AlertStore:
    def __init__(self, es: AsyncElasticsearch, index: str) -> None:
        self.es = es
        self.index = index

    async def install(self) -> None:
        await install_index(self.es, self.index, TEMPLATE_FILE)

    async def store(self, alerts: list[Alert]) -> list[Rejected]:
        return await bulk_index(self.es, self.index,
                                [(alert.id, alert.model_dump(mode="json")) for alert in alerts])

    async def latest(self, size: int, *, rule: str | None = None, severity: str | None = None,
                     group: dict[str, str] | None = None) -> list[Alert]:
        """Newest first, optionally filtered (the Atom feed's query parameters)."""
        filters: list[dict[str, Any]] = []
        if rule:
            filters.append({"term": {"rule": rule}})
        if severity:
            filters.append({"term": {"severity": severity}})
        for key, value in (group or {}).items():
            filters.append({"term": {f"group.{key}": value}})
        try:
            response = await self.es.search(
                index=self.index, size=size, query={"bool": {"filter": filters}},
                sort=[{"raised_at": {"order": "desc"}}, {"id": {"order": "asc"}}])
        except NotFoundError:
            return []
        return [Alert.model_validate(hit["_source"]) for hit in response["hits"]["hits"]]
