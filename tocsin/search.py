"""The Elasticsearch client every stage uses, built from settings alone."""

from __future__ import annotations

import importlib
from typing import Any

from elasticsearch import AsyncElasticsearch

from tocsin.settings import SearchSettings


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
