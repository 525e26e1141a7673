"""Index lifecycle (Elasticsearch ILM) for the items archive, installed by ``tocsin init``.

The archive rolls over behind a write alias named ``items_index``: the backing
indices are ``<items_index>-000001``, ``-000002``…, each rolled over at
``rollover_max_age`` or ``rollover_max_primary_shard_size`` and deleted
``retention_days`` after its rollover. Writers and readers keep using the name
``items_index`` (bulk writes go to the write index, searches span them all).

Only the archive is managed. The alerts index holds one document per incident that
is overwritten as the incident changes: rolled over, an incident would be split
over two indices. Alerts, their versions, evidence and custody are the record an
analyst may have to produce years later; they are small and are kept.

A server without ``_ilm`` (OpenSearch, the osmem stand-in of the demo and the
tests) is detected and skipped with a log line, as is an archive that already
exists as a concrete index (which cannot become an alias in place; README
"Operations" shows the reindex).
"""

from __future__ import annotations

import json
import logging
from enum import Enum
from pathlib import Path
from typing import Any

from elastic_transport import TransportError
from elasticsearch import ApiError, AsyncElasticsearch, BadRequestError

from tocsin.search import SearchUnavailable
from tocsin.settings import SearchSettings

logger = logging.getLogger(__name__)

# Above the shipped template (200) that every worker re-installs for ``<index>*``,
# so backing indices get their lifecycle settings whatever a worker installed.
LIFECYCLE_TEMPLATE_PRIORITY = 300
FIRST_BACKING_SUFFIX = "-000001"


class LifecycleOutcome(Enum):
    OFF = "off"                    # settings.search.lifecycle is false
    UNSUPPORTED = "unsupported"    # the server has no _ilm API
    INSTALLED = "installed"        # policy and template in place, write alias already there
    BOOTSTRAPPED = "bootstrapped"  # ... and the first backing index with the write alias created
    CONCRETE_INDEX = "concrete"    # policy and template in place, but items_index is a concrete index


def policy_name(settings: SearchSettings) -> str:
    return f"{settings.items_index}-policy"


def template_name(settings: SearchSettings) -> str:
    return f"{settings.items_index}-lifecycle-template"


def build_policy(settings: SearchSettings) -> dict[str, Any]:
    """The ILM policy body: roll over in the hot phase, delete ``retention_days`` later.

    ILM counts a rolled-over index's ``min_age`` from its rollover, so an item is
    kept at least ``retention_days`` and at most that plus ``rollover_max_age``.
    """
    return {
        "_meta": {"managed_by": "tocsin", "index": settings.items_index},
        "phases": {
            "hot": {
                "min_age": "0ms",
                "actions": {
                    "rollover": {
                        "max_age": settings.rollover_max_age,
                        "max_primary_shard_size": settings.rollover_max_primary_shard_size,
                    },
                },
            },
            "delete": {"min_age": f"{settings.retention_days}d", "actions": {"delete": {}}},
        },
    }


def build_template(settings: SearchSettings, items_template: Path) -> dict[str, Any]:
    """The shipped items template for the backing indices, with the lifecycle settings added."""
    body: dict[str, Any] = json.loads(items_template.read_text(encoding="utf-8"))
    body["index_patterns"] = [f"{settings.items_index}-*"]
    body["priority"] = LIFECYCLE_TEMPLATE_PRIORITY
    template = body.setdefault("template", {})
    index_settings = template.setdefault("settings", {})
    index_settings["index.lifecycle.name"] = policy_name(settings)
    index_settings["index.lifecycle.rollover_alias"] = settings.items_index
    return body


async def ilm_supported(es: AsyncElasticsearch) -> bool:
    """Whether the server answers ``GET _ilm/status`` (Elasticsearch does; OpenSearch does not)."""
    try:
        await es.ilm.get_status()
    except ApiError as exc:
        if exc.meta.status in (400, 404, 405, 501):
            return False
        raise
    except TransportError as exc:
        raise SearchUnavailable(f"asking for _ilm/status failed: {exc}") from exc
    return True


async def install_lifecycle(es: AsyncElasticsearch, settings: SearchSettings,
                            items_template: Path) -> LifecycleOutcome:
    """Install the policy and template and bootstrap the write alias (all idempotent)."""
    if not settings.lifecycle:
        return LifecycleOutcome.OFF
    if not await ilm_supported(es):
        logger.info("the search server has no index lifecycle API (_ilm); lifecycle for %r skipped",
                    settings.items_index)
        return LifecycleOutcome.UNSUPPORTED
    try:
        await es.ilm.put_lifecycle(name=policy_name(settings), policy=build_policy(settings))
        await es.indices.put_index_template(name=template_name(settings),
                                            **build_template(settings, items_template))
        alias = settings.items_index
        if await es.indices.exists_alias(name=alias):
            return LifecycleOutcome.INSTALLED
        if await es.indices.exists(index=alias):
            logger.warning(
                "%r is a concrete index, so it cannot roll over: the lifecycle policy applies only "
                "once it is reindexed behind a write alias (README 'Operations')", alias)
            return LifecycleOutcome.CONCRETE_INDEX
        await es.indices.create(index=f"{alias}{FIRST_BACKING_SUFFIX}",
                                aliases={alias: {"is_write_index": True}})
    except BadRequestError as exc:
        if "already_exists" not in str(exc):
            raise
        return LifecycleOutcome.INSTALLED  # another init won the race
    except TransportError as exc:
        raise SearchUnavailable(
            f"installing the lifecycle of {settings.items_index!r} failed: {exc}") from exc
    logger.info("created %s%s behind the write alias %r (policy %r)", settings.items_index,
                FIRST_BACKING_SUFFIX, settings.items_index, policy_name(settings))
    return LifecycleOutcome.BOOTSTRAPPED
