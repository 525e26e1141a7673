"""The alerts indices: the latest version of every alert (by alert id; the feeds read it
with ``tocsin.search.search_alerts``), and every version (by version id) as the alert's history."""

from __future__ import annotations

from pathlib import Path

from elasticsearch import AsyncElasticsearch, NotFoundError

from tocsin.schema import Alert
from tocsin.search import Rejected, bulk_index, install_index

TEMPLATE_FILE = Path(__file__).with_name("templates") / "alerts.json"


def latest_versions(alerts: list[Alert]) -> list[Alert]:
    """The newest version of each alert in a batch (versions of one alert arrive in order)."""
    newest: dict[str, Alert] = {}
    for alert in alerts:
        if alert.id not in newest or alert.version >= newest[alert.id].version:
            newest[alert.id] = alert
    return list(newest.values())


class AlertStore:
    def __init__(self, es: AsyncElasticsearch, index: str, versions_index: str) -> None:
        self.es = es
        self.index = index
        self.versions_index = versions_index

    async def install(self) -> None:
        await install_index(self.es, self.index, TEMPLATE_FILE)
        await install_index(self.es, self.versions_index, TEMPLATE_FILE)

    async def store(self, alerts: list[Alert]) -> list[Rejected]:
        """Every version into the history, the newest into the alerts index; idempotent."""
        rejected = await bulk_index(self.es, self.versions_index,
                                    [(a.version_id, a.model_dump(mode="json")) for a in alerts])
        rejected += await bulk_index(self.es, self.index,
                                     [(a.id, a.model_dump(mode="json")) for a in latest_versions(alerts)])
        return rejected

    async def versions(self, alert_id: str) -> list[Alert]:
        """Every version of one alert, oldest first."""
        try:
            response = await self.es.search(index=self.versions_index, size=1000,
                                            query={"term": {"id": alert_id}},
                                            sort=[{"version": {"order": "asc"}}])
        except NotFoundError:
            return []
        return [Alert.model_validate(hit["_source"]) for hit in response["hits"]["hits"]]
