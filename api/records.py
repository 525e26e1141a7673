"""Stored documents back into records, tolerant of fields a newer writer added."""

from __future__ import annotations

from typing import Any

from tocsin.schema import Alert

_ALERT_FIELDS = frozenset(Alert.model_fields)


def alert_from_source(source: dict[str, Any]) -> Alert:
    """An ``Alert`` from an alerts or versions index document.

    Fields the schema does not know (an index may carry extra ones for searching)
    are left out instead of failing the request; missing required ones still fail.
    """
    return Alert.model_validate({k: v for k, v in source.items() if k in _ALERT_FIELDS})


def item_from_hit(hit: dict[str, Any]) -> dict[str, Any]:
    """An archived item as the API returns it: the stored fields, raw, plus ``id``."""
    return {**hit.get("_source", {}), "id": hit["_id"]}
