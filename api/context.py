"""What every route needs, built once per app: settings, clients, keys, the stream hub."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from elasticsearch import AsyncElasticsearch
from fastapi import Request

from api.keys import KeyRing
from api.ratelimit import FailedKeys
from api.signals import SignalPublisher
from api.stream import AlertHub
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
    heartbeat_s: float = 15.0
    _evidence: Any = field(default=None, repr=False)
    _failed_keys: FailedKeys | None = field(default=None, repr=False)

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
