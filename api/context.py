"""What every route needs, built once per app: settings, clients, keys, the stream hub."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from elasticsearch import AsyncElasticsearch
from fastapi import Request

from api.keys import KeyRing
from api.ratelimit import FailedKeys
from api.signals import SignalPublisher
from api.stage_config import RuleView, StageConfig
from api.stream import AlertHub
from tocsin.category_names import KnownCategories
from tocsin.labels import LabelStore
from tocsin.settings import Settings

if TYPE_CHECKING:
    from api.metrics import ApiMetrics


@dataclass
class ApiContext:
    settings: Settings
    es: AsyncElasticsearch
    keys: KeyRing
    signals: SignalPublisher
    hub: AlertHub
    metrics: ApiMetrics
    stage_config: StageConfig
    heartbeat_s: float = 15.0
    _evidence: Any = field(default=None, repr=False)
    _failed_keys: FailedKeys | None = field(default=None, repr=False)
    _categories: KnownCategories | None = field(default=None, repr=False)
    _labels: LabelStore | None = field(default=None, repr=False)

    async def running_rule(self, name: str) -> RuleView | None:
        """The named rule of the running rules file (``alerts.rules_file``); None if it is gone."""
        return await asyncio.to_thread(self.stage_config.rule, Path(self.settings.alerts.rules_file), name)

    def labels(self) -> LabelStore:
        """Analysts' verdicts (``tocsin.labels``), made on first use."""
        if self._labels is None:
            self._labels = LabelStore(self.es, self.settings.search.labels_index)
        return self._labels

    @property
    def categories(self) -> KnownCategories:
        """The category names filters may use (``tocsin.category_names``), made on first use."""
        if self._categories is None:
            self._categories = KnownCategories(self.settings.processing.categories_file,
                                               self.settings.search.items_index)
        return self._categories

    def evidence(self) -> Any:
        """The evidence store (``tocsin.evidence.EvidenceStore``), made on first use."""
        if self._evidence is None:
            from tocsin.evidence import EvidenceStore
            from tocsin.evidence.signing import signing_key

            signer = signing_key(self.settings.evidence)
            self._evidence = EvidenceStore(self.es, self.settings.search, signer=signer)
        return self._evidence

    def failed_keys(self) -> FailedKeys:
        """Unknown keys per client address (``api.ratelimit``), made on first use."""
        if self._failed_keys is None:
            self._failed_keys = FailedKeys(self.settings.api.failed_keys_limit,
                                           self.settings.api.failed_keys_window_s)
        return self._failed_keys

    def public_url(self, request: Request) -> str:
        """The base URL people reach this API at: ``api.public_url``, else the request's own."""
        configured = self.settings.api.public_url
        return (configured or str(request.base_url)).rstrip("/")


def context(request: Request) -> ApiContext:
    ctx: ApiContext = request.app.state.ctx
    return ctx
