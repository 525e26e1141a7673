"""Stored documents back into what the API returns (alerts: ``Alert.from_document``)."""

from __future__ import annotations

from typing import Any


def item_from_hit(hit: dict[str, Any]) -> dict[str, Any]:
    """An archived item as the API returns it: the stored fields, raw, plus ``id``."""
    return {**hit.get("_source", {}), "id": hit["_id"]}
