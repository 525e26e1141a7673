"""Documents the search server refused for good: logged, counted and dead-lettered, never dropped.

A bulk write answers per document; a refusal that retrying cannot fix (a mapping
conflict, a document too large) comes back as :class:`tocsin.search.Rejected`.
Ignoring it loses the document without a trace (issue 14: alerts grouped by
``source.name`` never reached ``/alerts``). Every stage that writes to the search
server hands its refusals here: a warning names the store, the document and the
server's reason; ``tocsin_store_rejections_total{stage, store}`` goes up (served
at each worker's ``/metrics``); and the document itself goes to ``items.dlq``
with the reason ``<store>-rejected``, to be replayed once the cause is fixed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from prometheus_client import REGISTRY, Counter

from tocsin.schema import DeadLetter
from tocsin.search import Rejected

logger = logging.getLogger(__name__)

REJECTIONS = Counter("tocsin_store_rejections",
                     "Documents the search server refused for good (dead-lettered), by stage and store",
                     ["stage", "store"])


def rejected_letters(rejected: Sequence[Rejected], documents: Mapping[str, bytes], *, stage: str,
                     store: str) -> list[DeadLetter]:
    """A dead letter per refused document, carrying the document (``documents``: id → record bytes).

    ``store`` is a fixed name (``archive``, ``alerts``…), never an index name from
    the input, so that the counter's labels stay few.
    """
    letters: list[DeadLetter] = []
    for refusal in rejected:
        REJECTIONS.labels(stage=stage, store=store).inc()
        logger.warning("%s: the search server refused %s document %s for good (%d: %s); dead-lettered",
                       stage, store, refusal.doc_id, refusal.status, refusal.error[:500])
        letters.append(DeadLetter.of(
            stage=stage, reason=f"{store}-rejected", key=refusal.doc_id,
            error=f"{store} refused {refusal.doc_id}: {refusal.status}: {refusal.error}",
            payload=documents.get(refusal.doc_id, b"")))
    return letters


def rejection_count(stage: str, store: str) -> float:
    """How many documents of ``store`` this process has seen refused at ``stage``."""
    value = REGISTRY.get_sample_value("tocsin_store_rejections_total", {"stage": stage, "store": store})
    return value or 0.0
