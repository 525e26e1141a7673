"""Frozen evidence per alert and its custody log, in two Elasticsearch indices.

Every document here is written with ``op_type=create`` and never updated:

- evidence index: one snapshot per (alert, item), id derived from both, holding
  the archived item's ``_source`` in canonical JSON and its SHA-256; a 409 means
  it is frozen already, so a replay after a crash changes nothing. An item the
  archive did not hold gets a separate ``missing`` marker, and a later freeze
  still snapshots it once it arrives.
- custody index: entry ``seq`` of an alert's log lives at id ``<alert>.<seq>``,
  so two writers racing for the same slot cannot both win; the loser re-reads the
  log and tries the next slot. A frozen entry is appended only for items no
  earlier entry announced, so replays add nothing.

All reads are by id (``mget``), which is real-time: a record read right after a
freeze sees it, with no refresh.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from elastic_transport import TransportError
from elasticsearch import ApiError, AsyncElasticsearch, ConflictError, NotFoundError
from pydantic import ValidationError

from tocsin.errors import StorageError
from tocsin.evidence.bundle import BundleReport, build_bundle, verify_bundle
from tocsin.evidence.custody import GENESIS, seal
from tocsin.evidence.records import CustodyAction, CustodyEntry, EvidenceItem, EvidenceRecord
from tocsin.evidence.snapshot import canonical_json, sha256_hex
from tocsin.schema import Alert
from tocsin.search import SearchUnavailable, install_index, sources_by_id
from tocsin.settings import SearchSettings

logger = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent / "templates"
SYSTEM_ACTOR = "tocsin"
_PAGE = 100
_APPEND_ATTEMPTS = 50
# Well under Elasticsearch's default 100 MB request limit.
_BULK_BYTES = 16 * 1024 * 1024


class EvidenceError(StorageError, RuntimeError):
    """Evidence that cannot be read or written for a reason retrying will not fix."""


class EvidenceNotFound(EvidenceError):
    """Nothing has been frozen for this alert."""


def _now() -> datetime:
    return datetime.now(UTC)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def snapshot_id(alert_id: str, item_id: str) -> str:
    return f"s-{_digest(alert_id, item_id)[:48]}"


def missing_id(alert_id: str, item_id: str) -> str:
    return f"m-{_digest(alert_id, item_id)[:48]}"


def custody_id(alert_id: str, seq: int) -> str:
    return f"c-{_digest(alert_id)[:48]}.{seq}"


@dataclass(frozen=True)
class _Draft:
    action: CustodyAction
    actor: str
    detail: str = ""
    items: dict[str, str | None] | None = None


def announced(chain: Iterable[CustodyEntry]) -> dict[str, str | None]:
    """Item id → snapshot hash (None: missing) as the frozen entries of a log announce them."""
    items: dict[str, str | None] = {}
    for entry in chain:
        if entry.action == "frozen":
            for item_id, digest in entry.items.items():
                if digest is not None or item_id not in items:
                    items[item_id] = digest
    return items


def _unavailable(what: str, exc: Exception) -> SearchUnavailable:
    return SearchUnavailable(f"{what}: {exc}")


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, TransportError):
        return True
    return isinstance(exc, ApiError) and (exc.meta.status >= 500 or exc.meta.status == 429)


class EvidenceStore:
    """Freezes alerts' contributing items, serves them, and logs who saw them."""

    def __init__(self, es: AsyncElasticsearch, search: SearchSettings) -> None:
        self.es = es
        self.evidence_index = search.evidence_index
        self.custody_index = search.custody_index
        self.items_index = search.items_index
        self.alerts_index = search.alerts_index
        self._installed = False

    async def install(self) -> None:
        """Both index templates and indices (idempotent); writes call it once themselves."""
        await install_index(self.es, self.evidence_index, TEMPLATES / "evidence.json")
        await install_index(self.es, self.custody_index, TEMPLATES / "custody.json")
        self._installed = True

    async def _ensure_installed(self) -> None:
        if not self._installed:
            await self.install()

    # -- reading -----------------------------------------------------------------

    async def _mget(self, index: str, ids: list[str]) -> dict[str, dict[str, Any]]:
        """``_source`` by id for the documents found (a missing index holds nothing)."""
        if not ids:
            return {}
        try:
            response = await self.es.mget(index=index, ids=ids)
        except NotFoundError:
            return {}
        except (TransportError, ApiError) as exc:
            raise _unavailable(f"reading {index!r}", exc) from exc
        found: dict[str, dict[str, Any]] = {}
        for doc in response["docs"]:
            error = doc.get("error")
            if error is not None:
                if isinstance(error, dict) and error.get("type") == "index_not_found_exception":
                    continue
                raise SearchUnavailable(f"reading {doc.get('_id')!r} from {index!r}: {error}")
            if doc.get("found"):
                found[doc["_id"]] = doc["_source"]
        return found

    async def custody(self, alert_id: str) -> list[CustodyEntry]:
        """The alert's custody log, oldest first (a gap left by a deleted entry stays a gap)."""
        entries: list[CustodyEntry] = []
        start = 1
        while True:
            ids = [custody_id(alert_id, seq) for seq in range(start, start + _PAGE)]
            found = await self._mget(self.custody_index, ids)
            if not found:
                break
            for doc_id in ids:
                if doc_id in found:
                    try:
                        entries.append(CustodyEntry.model_validate(found[doc_id]))
                    except ValidationError as exc:
                        raise EvidenceError(f"custody entry {doc_id} of alert {alert_id!r} is malformed: "
                                            f"{exc.errors()[0]['msg']}") from exc
            start += _PAGE
        return entries

    async def _items(self, alert_id: str, chain: list[CustodyEntry]) -> list[EvidenceItem]:
        listed = announced(chain)
        ids = list(listed)
        snapshots = await self._mget(self.evidence_index, [snapshot_id(alert_id, i) for i in ids])
        markers = await self._mget(self.evidence_index, [missing_id(alert_id, i) for i in ids])
        items: list[EvidenceItem] = []
        for item_id in ids:
            snap = snapshots.get(snapshot_id(alert_id, item_id))
            marker = markers.get(missing_id(alert_id, item_id))
            missing_since = marker["missing_since"] if marker else None
            if snap is not None:
                items.append(EvidenceItem(
                    item_id=item_id, status="frozen", sha256=snap["sha256"], size=snap["size"],
                    frozen_at=snap["frozen_at"], missing_since=missing_since,
                    alert_version=snap["alert_version"], snapshot=snap["snapshot"]))
            else:
                items.append(EvidenceItem(
                    item_id=item_id, status="missing", missing_since=missing_since,
                    alert_version=marker["alert_version"] if marker else None))
        return items

    async def _record(self, alert_id: str, chain: list[CustodyEntry]) -> EvidenceRecord:
        return EvidenceRecord(alert_id=alert_id, items=await self._items(alert_id, chain), custody=chain)

    # -- writing -----------------------------------------------------------------

    async def _create(self, index: str, docs: list[tuple[str, dict[str, Any]]]) -> None:
        """Create documents that do not exist yet; existing ones are left untouched."""
        batch: list[tuple[str, dict[str, Any]]] = []
        size = 0
        for doc_id, doc in docs:  # requests of about _BULK_BYTES at most: snapshots can be large
            doc_size = len(doc.get("snapshot", ""))
            if batch and size + doc_size > _BULK_BYTES:
                await self._create_batch(index, batch)
                batch, size = [], 0
            batch.append((doc_id, doc))
            size += doc_size
        if batch:
            await self._create_batch(index, batch)

    async def _create_batch(self, index: str, docs: list[tuple[str, dict[str, Any]]]) -> None:
        operations: list[dict[str, Any]] = []
        for doc_id, doc in docs:
            operations += [{"create": {"_index": index, "_id": doc_id}}, doc]
        try:
            response = await self.es.bulk(operations=operations)
        except (TransportError, ApiError) as exc:
            raise _unavailable(f"writing to {index!r}", exc) from exc
        for entry in response["items"] if response.get("errors") else []:
            result = entry["create"]
            status = int(result.get("status", 500))
            if status < 300 or status == 409:  # 409: frozen before, kept as it was
                continue
            if status >= 500 or status == 429:
                raise SearchUnavailable(f"writing {result.get('_id')} to {index!r}: {status}")
            raise EvidenceError(f"{index!r} refused {result.get('_id')}: {status} {result.get('error')}")

    async def _append(self, alert_id: str,
                      draft: Callable[[list[CustodyEntry]], _Draft | None]) -> list[CustodyEntry]:
        """Append ``draft(log)`` to the log (nothing if it returns None); the log after."""
        await self._ensure_installed()
        for _ in range(_APPEND_ATTEMPTS):
            chain = await self.custody(alert_id)
            wanted = draft(chain)
            if wanted is None:
                return chain
            seq = chain[-1].seq + 1 if chain else 1
            entry = seal(alert_id=alert_id, seq=seq, prev_sha256=chain[-1].sha256 if chain else GENESIS,
                         action=wanted.action, actor=wanted.actor, at=_now(), detail=wanted.detail,
                         items=wanted.items)
            try:
                await self.es.create(index=self.custody_index, id=custody_id(alert_id, seq),
                                     document=entry.model_dump(mode="json"))
            except ConflictError:  # another writer took this slot; read the log again
                await asyncio.sleep(random.uniform(0, 0.05))
                continue
            except (TransportError, ApiError) as exc:
                if _retryable(exc):
                    raise _unavailable(f"appending to the custody log of {alert_id!r}", exc) from exc
                raise
            return [*chain, entry]
        raise SearchUnavailable(f"custody log of {alert_id!r}: lost the race for a slot "
                                f"{_APPEND_ATTEMPTS} times in a row")

    async def _fetch_archived(self, item_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The archived ``_source`` of those items the archive holds."""
        return await sources_by_id(self.es, self.items_index, item_ids)

    async def freeze(self, alert: Alert, *, record_missing: bool = True) -> EvidenceRecord:
        """Snapshot the alert's contributing items not frozen for it yet; idempotent.

        Items the archive does not hold are recorded as missing (unless
        ``record_missing`` is False: the caller will try again soon) and are
        snapshotted by a later freeze once they arrive.
        """
        await self._ensure_installed()
        alert_id = alert.id
        item_ids = list(dict.fromkeys(alert.sample_item_ids))
        frozen = await self._mget(self.evidence_index, [snapshot_id(alert_id, i) for i in item_ids])
        marked = await self._mget(self.evidence_index, [missing_id(alert_id, i) for i in item_ids])
        pending = [i for i in item_ids if snapshot_id(alert_id, i) not in frozen]
        archived = await self._fetch_archived(pending)
        now = _now()
        docs: list[tuple[str, dict[str, Any]]] = []
        hashes: dict[str, str | None] = {i: frozen[snapshot_id(alert_id, i)]["sha256"]
                                         for i in item_ids if snapshot_id(alert_id, i) in frozen}
        for item_id in pending:
            source = archived.get(item_id)
            if source is not None:
                data = canonical_json(source)
                digest = sha256_hex(data)
                docs.append((snapshot_id(alert_id, item_id), {
                    "alert_id": alert_id, "item_id": item_id, "kind": "snapshot",
                    "alert_version": alert.version, "items_index": self.items_index,
                    "sha256": digest, "size": len(data), "frozen_at": now.isoformat(),
                    "snapshot": data.decode("ascii")}))
                hashes[item_id] = digest
            elif record_missing:
                if missing_id(alert_id, item_id) not in marked:
                    docs.append((missing_id(alert_id, item_id), {
                        "alert_id": alert_id, "item_id": item_id, "kind": "missing",
                        "alert_version": alert.version, "items_index": self.items_index,
                        "missing_since": now.isoformat()}))
                hashes[item_id] = None
        await self._create(self.evidence_index, docs)
        # A racing freezer may have won a snapshot's slot: the stored hash is the truth.
        stored = await self._mget(self.evidence_index, [snapshot_id(alert_id, i) for i in hashes])
        for item_id in hashes:
            if (doc := stored.get(snapshot_id(alert_id, item_id))) is not None:
                hashes[item_id] = doc["sha256"]

        def frozen_entry(chain: list[CustodyEntry]) -> _Draft | None:
            known = announced(chain)
            new = {i: h for i, h in hashes.items() if i not in known or (known[i] is None and h is not None)}
            if not new:
                return None
            got = sum(1 for h in new.values() if h is not None)
            return _Draft("frozen", SYSTEM_ACTOR, items=new,
                          detail=f"version {alert.version} ({alert.event}): {got} item(s) frozen, "
                                 f"{len(new) - got} missing from {self.items_index}")

        chain = await self._append(alert_id, frozen_entry)
        return await self._record(alert_id, chain)

    # -- analysts ----------------------------------------------------------------

    async def record(self, alert_id: str, *, actor: str) -> EvidenceRecord | None:
        """The alert's evidence and custody log; logs ``viewed``. None if nothing was frozen."""
        if not announced(await self.custody(alert_id)):
            return None
        chain = await self._append(alert_id, lambda _: _Draft("viewed", actor))
        return await self._record(alert_id, chain)

    async def _latest_version(self, alert_id: str) -> int | None:
        try:
            doc = await self.es.get(index=self.alerts_index, id=alert_id, source_includes=["version"])
        except NotFoundError:
            return None
        except (TransportError, ApiError) as exc:
            raise _unavailable(f"reading alert {alert_id!r}", exc) from exc
        version = doc["_source"].get("version")
        return version if isinstance(version, int) else None

    async def export_bundle(self, alert_id: str, *, actor: str) -> bytes:
        """A zip of the frozen items, manifest and SHA256SUMS; logs ``exported`` with its hash."""
        chain = await self.custody(alert_id)
        if not announced(chain):
            raise EvidenceNotFound(f"no evidence has been frozen for alert {alert_id!r}")
        items = await self._items(alert_id, chain)
        bundle = build_bundle(alert_id=alert_id, alert_version=await self._latest_version(alert_id),
                              items=items, custody=chain, generated_at=_now())
        digest = sha256_hex(bundle)
        detail = f"bundle sha256 {digest}, {sum(i.status == 'frozen' for i in items)} item(s)"
        await self._append(alert_id, lambda _: _Draft("exported", actor, detail=detail))
        return bundle

    async def verify(self, alert_id: str, bundle: bytes, *, actor: str) -> BundleReport:
        """``verify_bundle`` plus: the bundle is this alert's and its items are the ones frozen
        here; logs ``verified`` with the bundle's hash and the outcome."""
        report = verify_bundle(bundle)
        if report.alert_id is not None and report.alert_id != alert_id:
            report.problems.append(f"the bundle is for alert {report.alert_id!r}, not {alert_id!r}")
        chain = await self.custody(alert_id)
        stored = {item.item_id: item.sha256 for item in await self._items(alert_id, chain)}
        for item_id, digest in report.item_hashes.items():
            if digest is not None and stored.get(item_id) != digest:
                report.problems.append(f"item {item_id!r}: the bundle's sha256 {digest} is not the one "
                                       f"frozen here ({stored.get(item_id)})")
        report.ok = not report.problems
        outcome = "ok" if report.ok else f"FAILED ({len(report.problems)} problem(s))"
        detail = f"bundle sha256 {sha256_hex(bundle)}: {outcome}"
        await self._append(alert_id, lambda _: _Draft("verified", actor, detail=detail))
        return report
