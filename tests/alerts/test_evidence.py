"""Evidence: frozen snapshots, the custody log and export bundles, on the real search server."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import subprocess
import sys
import uuid
import zipfile
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alerts.evidence import EvidenceNotFound, EvidenceStore, verify_bundle, verify_custody
from alerts.evidence.agent import collect_evidence, wants_evidence
from alerts.evidence.bundle import item_file_names
from alerts.evidence.custody import GENESIS
from alerts.evidence.snapshot import canonical_json
from processors.archive import to_document
from tests.alerts.factories import T0, enriched
from tests.stack import Stack, wait_for
from tocsin import topics
from tocsin.embedded.broker import LocalBroker
from tocsin.kafka import ensure_topics
from tocsin.processes import spawn
from tocsin.schema import Alert
from tocsin.search import SearchUnavailable, search_client
from tocsin.settings import SearchSettings

pytestmark = pytest.mark.peers


def unique(search: SearchSettings) -> SearchSettings:
    run = uuid.uuid4().hex[:8]
    return search.model_copy(update={
        "items_index": f"ev-items-{run}", "alerts_index": f"ev-alerts-{run}",
        "evidence_index": f"ev-evidence-{run}", "custody_index": f"ev-custody-{run}"})


@pytest.fixture
async def search(search_settings: SearchSettings) -> SearchSettings:
    return unique(search_settings)


@pytest.fixture
async def es(search: SearchSettings) -> AsyncIterator[Any]:
    client = search_client(search)
    yield client
    await client.close()


@pytest.fixture
def store(es: Any, search: SearchSettings) -> EvidenceStore:
    return EvidenceStore(es, search)


async def archive(es: Any, search: SearchSettings, item_id: str, **fields: Any) -> dict[str, Any]:
    """Put an item in the archive as the processors do; its archived ``_source``."""
    doc = to_document(enriched(item_id).model_copy(update=fields))
    await es.index(index=search.items_index, id=item_id, document=doc, refresh=True)
    return (await es.get(index=search.items_index, id=item_id))["_source"]


def alert(*item_ids: str, version: int = 1, event: str = "opened", alert_id: str = "a-1") -> Alert:
    return Alert(id=alert_id, rule="burst", rule_type="frequency", title="burst in SD",
                 group={"country": "SD"}, group_key="SD", window_start=T0,
                 window_end=T0 + timedelta(hours=1), count=len(item_ids), threshold=2,
                 sample_item_ids=list(item_ids), first_seen=T0, last_seen=T0,
                 version=version, event=event)  # type: ignore[arg-type]


async def evidence_docs(es: Any, search: SearchSettings) -> list[dict[str, Any]]:
    await es.indices.refresh(index=search.evidence_index)
    hits = (await es.search(index=search.evidence_index, size=100))["hits"]["hits"]
    return [hit["_source"] for hit in hits]


# -- freezing ------------------------------------------------------------------------------


async def test_freeze_stores_the_archived_source_as_canonical_json_with_its_sha256(
        es: Any, search: SearchSettings, store: EvidenceStore) -> None:
    sources = {i: await archive(es, search, i, title=f"title {i}") for i in ("i-1", "i-2")}
    record = await store.freeze(alert("i-1", "i-2"))
    assert [item.item_id for item in record.items] == ["i-1", "i-2"]
    for item in record.items:
        data = item.snapshot_bytes()
        assert item.status == "frozen"
        assert data == canonical_json(sources[item.item_id])
        assert json.loads(data) == sources[item.item_id]
        assert item.sha256 == hashlib.sha256(data).hexdigest() and item.size == len(data)
        assert item.frozen_at is not None and item.alert_version == 1
    [entry] = record.custody
    assert (entry.action, entry.actor, entry.seq, entry.prev_sha256) == ("frozen", "tocsin", 1, GENESIS)
    assert entry.items == {item.item_id: item.sha256 for item in record.items}


def test_canonical_json_is_sorted_compact_ascii() -> None:
    assert canonical_json({"b": 1, "a": {"d": [1, 2.5, None], "c": "é<>\u202e"}}) == (
        b'{"a":{"c":"\\u00e9<>\\u202e","d":[1,2.5,null]},"b":1}')
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20)


@given(_json)
def test_canonical_json_round_trips_hostile_values_to_the_same_bytes(value: Any) -> None:
    data = canonical_json(value)
    assert data.isascii()
    assert canonical_json(json.loads(data)) == data


async def test_refreeze_is_idempotent_even_when_freezes_race(
        es: Any, search: SearchSettings, store: EvidenceStore) -> None:
    for i in ("i-1", "i-2"):
        await archive(es, search, i)
    first = await store.freeze(alert("i-1", "i-2"))
    await asyncio.gather(*(EvidenceStore(es, search).freeze(alert("i-1", "i-2")) for _ in range(4)))
    again = await store.freeze(alert("i-1", "i-2"))
    assert [(i.item_id, i.sha256, i.frozen_at) for i in again.items] == \
        [(i.item_id, i.sha256, i.frozen_at) for i in first.items]
    assert len(await evidence_docs(es, search)) == 2
    assert [e.action for e in again.custody] == ["frozen"]


async def test_changing_the_archived_item_later_does_not_change_its_snapshot(
        es: Any, search: SearchSettings, store: EvidenceStore) -> None:
    await archive(es, search, "i-1", title="what was said")
    before = (await store.freeze(alert("i-1"))).items[0]
    await archive(es, search, "i-1", title="what was edited afterwards")
    after = (await store.freeze(alert("i-1", version=2, event="updated"))).items[0]
    assert after.snapshot == before.snapshot and after.sha256 == before.sha256
    assert json.loads(after.snapshot_bytes())["title"] == "what was said"


async def test_missing_items_are_recorded_and_frozen_once_they_arrive(
        es: Any, search: SearchSettings, store: EvidenceStore) -> None:
    await archive(es, search, "i-1")
    record = await store.freeze(alert("i-1", "ghost"))
    ghost = record.item("ghost")
    assert ghost is not None and ghost.status == "missing" and ghost.sha256 is None
    assert ghost.missing_since is not None
    assert record.custody[0].items["ghost"] is None
    assert [i.item_id for i in record.missing] == ["ghost"]

    await archive(es, search, "ghost")
    later = await store.freeze(alert("i-1", "ghost", version=2, event="updated"))
    ghost = later.item("ghost")
    assert ghost is not None and ghost.status == "frozen" and ghost.missing_since is not None
    assert [(e.action, sorted(e.items)) for e in later.custody] == [
        ("frozen", ["ghost", "i-1"]), ("frozen", ["ghost"])]


async def test_freeze_without_record_missing_leaves_no_trace_of_the_absent_item(
        es: Any, search: SearchSettings, store: EvidenceStore) -> None:
    await archive(es, search, "i-1")
    record = await store.freeze(alert("i-1", "ghost"), record_missing=False)
    assert [i.item_id for i in record.items] == ["i-1"]
    assert [d["kind"] for d in await evidence_docs(es, search)] == ["snapshot"]


async def test_a_later_version_adds_its_new_items_and_keeps_the_old(
        es: Any, search: SearchSettings, store: EvidenceStore) -> None:
    for i in ("i-1", "i-2", "i-3"):
        await archive(es, search, i)
    first = await store.freeze(alert("i-1", "i-2"))
    later = await store.freeze(alert("i-2", "i-3", version=2, event="escalated"))
    assert [(i.item_id, i.alert_version) for i in later.items] == [("i-1", 1), ("i-2", 1), ("i-3", 2)]
    assert later.items[:2] == first.items
    assert [sorted(e.items) for e in later.custody] == [["i-1", "i-2"], ["i-3"]]
    assert verify_custody(later.custody, "a-1").ok


async def test_freeze_splits_large_snapshots_over_several_bulk_requests(
        es: Any, search: SearchSettings, store: EvidenceStore, monkeypatch: pytest.MonkeyPatch) -> None:
    import alerts.evidence.store as store_module

    monkeypatch.setattr(store_module, "_BULK_BYTES", 1)
    for i in ("i-1", "i-2", "i-3"):
        await archive(es, search, i)
    record = await store.freeze(alert("i-1", "i-2", "i-3"))
    assert [i.status for i in record.items] == ["frozen"] * 3
    assert len(await evidence_docs(es, search)) == 3


async def test_freeze_finds_items_behind_a_lifecycle_alias_over_several_indices(
        es: Any, search: SearchSettings, store: EvidenceStore) -> None:
    old, new = f"{search.items_index}-000001", f"{search.items_index}-000002"
    for index, item_id in ((old, "i-old"), (new, "i-new")):
        doc = to_document(enriched(item_id))
        await es.index(index=index, id=item_id, document=doc, refresh=True)
    await es.indices.update_aliases(actions=[
        {"add": {"index": old, "alias": search.items_index, "is_write_index": False}},
        {"add": {"index": new, "alias": search.items_index, "is_write_index": True}}])
    record = await store.freeze(alert("i-old", "i-new"))
    assert [(i.item_id, i.status) for i in record.items] == [("i-old", "frozen"), ("i-new", "frozen")]
    assert json.loads(record.items[0].snapshot_bytes())["id"] == "i-old"


async def test_freeze_raises_search_unavailable_when_the_server_is_down(search: SearchSettings) -> None:
    from tocsin.embedded.ports import free_port

    down = search.model_copy(update={"url": f"http://127.0.0.1:{free_port()}", "request_timeout": 2.0})
    client = search_client(down)
    try:
        with pytest.raises(SearchUnavailable):
            await EvidenceStore(client, down).freeze(alert("i-1"))
    finally:
        await client.close()


# -- custody -------------------------------------------------------------------------------


async def test_viewing_and_exporting_append_custody_entries_whose_chain_verifies(
        es: Any, search: SearchSettings, store: EvidenceStore) -> None:
    await archive(es, search, "i-1")
    await store.freeze(alert("i-1"))
    viewed = await store.record("a-1", actor="ana")
    assert viewed is not None and viewed.items[0].item_id == "i-1"
    bundle = await store.export_bundle("a-1", actor="bo")
    log = await store.custody("a-1")
    assert [(e.seq, e.action, e.actor) for e in log] == [
        (1, "frozen", "tocsin"), (2, "viewed", "ana"), (3, "exported", "bo")]
    assert hashlib.sha256(bundle).hexdigest() in log[2].detail
    assert all(log[n].prev_sha256 == log[n - 1].sha256 for n in (1, 2))
    report = verify_custody(log, "a-1")
    assert report.ok, report.problems
    assert report.head_sha256 == log[-1].sha256


async def test_concurrent_viewers_each_get_their_own_slot_in_the_chain(
        es: Any, search: SearchSettings, store: EvidenceStore) -> None:
    await archive(es, search, "i-1")
    await store.freeze(alert("i-1"))
    await asyncio.gather(*(EvidenceStore(es, search).record("a-1", actor=f"v{n}") for n in range(8)))
    log = await store.custody("a-1")
    assert [e.seq for e in log] == list(range(1, 10))
    assert sorted(e.actor for e in log[1:]) == [f"v{n}" for n in range(8)]
    assert verify_custody(log, "a-1").ok


async def test_record_of_an_alert_without_evidence_is_none_and_logs_nothing(store: EvidenceStore) -> None:
    assert await store.record("a-unknown", actor="ana") is None
    assert await store.custody("a-unknown") == []
    with pytest.raises(EvidenceNotFound):
        await store.export_bundle("a-unknown", actor="ana")


async def test_an_entry_edited_in_the_index_breaks_the_chain(
        es: Any, search: SearchSettings, store: EvidenceStore) -> None:
    from alerts.evidence.store import custody_id

    await archive(es, search, "i-1")
    await store.freeze(alert("i-1"))
    await store.record("a-1", actor="ana")
    await store.record("a-1", actor="bo")
    doc = (await es.get(index=search.custody_index, id=custody_id("a-1", 2)))["_source"]
    await es.index(index=search.custody_index, id=custody_id("a-1", 2), document={**doc, "actor": "someone"})
    report = verify_custody(await store.custody("a-1"), "a-1")
    assert not report.ok
    assert any("entry 2" in p and "does not match its content" in p for p in report.problems)


async def test_an_entry_deleted_from_the_index_leaves_a_gap_the_check_reports(
        es: Any, search: SearchSettings, store: EvidenceStore) -> None:
    from alerts.evidence.store import custody_id

    await archive(es, search, "i-1")
    await store.freeze(alert("i-1"))
    for actor in ("ana", "bo", "cy"):
        await store.record("a-1", actor=actor)
    await es.delete(index=search.custody_index, id=custody_id("a-1", 2))
    log = await store.custody("a-1")
    assert [e.seq for e in log] == [1, 3, 4]
    report = verify_custody(log, "a-1")
    assert not report.ok and any("seq" in p for p in report.problems)
    # an append after the gap goes after the last entry, never into the hole
    await store.record("a-1", actor="dee")
    assert [e.seq for e in await store.custody("a-1")] == [1, 3, 4, 5]


def test_a_reordered_or_rewritten_log_fails_verify_custody() -> None:
    from alerts.evidence.custody import seal

    now = T0
    first = seal(alert_id="a", seq=1, prev_sha256=GENESIS, action="frozen", actor="tocsin", at=now,
                 items={"i": "0" * 64})
    second = seal(alert_id="a", seq=2, prev_sha256=first.sha256, action="viewed", actor="ana", at=now)
    assert verify_custody([first, second]).ok
    assert not verify_custody([second, first]).ok
    forged = first.model_copy(update={"items": {"i": "1" * 64}})
    assert not verify_custody([forged, second]).ok
    resealed = seal(alert_id="a", seq=1, prev_sha256=GENESIS, action="frozen", actor="tocsin", at=now,
                    items={"i": "1" * 64})
    report = verify_custody([resealed, second])
    assert not report.ok and "prev_sha256" in report.problems[0]
    assert not verify_custody([first, second], alert_id="b").ok


# -- bundles -------------------------------------------------------------------------------


async def bundle_for(es: Any, search: SearchSettings, store: EvidenceStore) -> bytes:
    for i in ("i-1", "i-2"):
        await archive(es, search, i)
    latest = alert("i-1", "i-2", "ghost", version=3, event="escalated")
    await es.index(index=search.alerts_index, id=latest.id, document=latest.model_dump(mode="json"),
                   refresh=True)
    await store.freeze(latest)
    return await store.export_bundle("a-1", actor="ana")


def members(bundle: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive_:
        return {name: archive_.read(name) for name in archive_.namelist()}


def rezip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive_:
        for name, data in files.items():
            archive_.writestr(name, data)
    return buffer.getvalue()


def sums_of(files: dict[str, bytes]) -> bytes:
    return "".join(f"{hashlib.sha256(d).hexdigest()}  {n}\n"
                   for n, d in sorted(files.items()) if n != "SHA256SUMS").encode()


async def test_bundle_holds_manifest_frozen_bytes_and_sha256sums(
        es: Any, search: SearchSettings, store: EvidenceStore) -> None:
    bundle = await bundle_for(es, search, store)
    files = members(bundle)
    assert sorted(files) == ["SHA256SUMS", "items/i-1.json", "items/i-2.json", "manifest.json"]
    record = await store.record("a-1", actor="ana")
    assert record is not None
    for item in record.frozen:
        assert files[f"items/{item.item_id}.json"] == item.snapshot_bytes()
    manifest = json.loads(files["manifest.json"])
    assert (manifest["alert_id"], manifest["alert_version"], manifest["tool"]["name"]) == ("a-1", 3, "tocsin")
    assert [(i["item_id"], i["status"], i["file"]) for i in manifest["items"]] == [
        ("i-1", "frozen", "items/i-1.json"), ("i-2", "frozen", "items/i-2.json"), ("ghost", "missing", None)]
    assert manifest["items"][0]["sha256"] == record.items[0].sha256
    assert manifest["items"][0]["frozen_at"] is not None and manifest["generated_at"]
    assert [e["action"] for e in manifest["custody"]] == ["frozen"]  # the log before this export
    report = verify_bundle(bundle)
    assert report.ok, report.problems
    assert (report.alert_id, report.items_verified) == ("a-1", 2)


async def test_sha256sum_c_verifies_an_unzipped_bundle(
        es: Any, search: SearchSettings, store: EvidenceStore, tmp_path: Path) -> None:
    with zipfile.ZipFile(io.BytesIO(await bundle_for(es, search, store))) as archive_:
        archive_.extractall(tmp_path)
    result = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(": OK") == 3
    (tmp_path / "items" / "i-1.json").write_bytes(b"{}")
    tampered = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path, capture_output=True)
    assert tampered.returncode != 0


async def test_tampered_bundles_fail_verify_bundle(
        es: Any, search: SearchSettings, store: EvidenceStore) -> None:
    files = members(await bundle_for(es, search, store))
    edited = {**files, "items/i-1.json": files["items/i-1.json"].replace(b'"t"', b'"T"')}
    assert not verify_bundle(rezip(edited)).ok
    # the item edited and SHA256SUMS recomputed: the manifest still names the frozen hash
    resummed = {**edited, "SHA256SUMS": sums_of(edited)}
    report = verify_bundle(rezip(resummed))
    assert not report.ok and any("the manifest says" in p for p in report.problems)
    # a file slipped in
    assert not verify_bundle(rezip({**files, "items/extra.json": b"{}"})).ok
    # an item file removed
    assert not verify_bundle(rezip({n: d for n, d in files.items() if n != "items/i-2.json"})).ok
    # the custody log in the manifest edited, manifest re-summed
    manifest = json.loads(files["manifest.json"])
    manifest["custody"][0]["actor"] = "someone"
    forged = {**files, "manifest.json": json.dumps(manifest).encode()}
    forged["SHA256SUMS"] = sums_of(forged)
    report = verify_bundle(rezip(forged))
    assert not report.ok and any(p.startswith("custody log") for p in report.problems)
    # a path outside the bundle, and bytes that are not a zip at all
    assert not verify_bundle(rezip({**files, "../evil.json": b"{}"})).ok
    assert not verify_bundle(b"PK\x03\x04 not really").ok


async def test_store_verify_checks_against_what_was_frozen_and_logs_verified(
        es: Any, search: SearchSettings, store: EvidenceStore) -> None:
    bundle = await bundle_for(es, search, store)
    assert (await store.verify("a-1", bundle, actor="judge")).ok
    assert not (await store.verify("a-other", bundle, actor="judge")).ok
    log = await store.custody("a-1")
    assert (log[-1].action, log[-1].actor) == ("verified", "judge") and log[-1].detail.endswith(": ok")


def test_item_ids_cannot_name_a_path_outside_items() -> None:
    names = item_file_names(["i-1", "../../etc/passwd", "a/b", ".hidden", "i-1"])
    assert names["i-1"] == "items/i-1.json"
    for hostile in ("../../etc/passwd", "a/b", ".hidden"):
        assert names[hostile].startswith("items/id-") and names[hostile].count("/") == 1


async def test_hostile_item_text_survives_byte_exactly(
        es: Any, search: SearchSettings, store: EvidenceStore) -> None:
    hostile = ('<script>alert(1)</script><img src=x onerror=alert(2)> &amp; "quotes" \\ '
               '\x00\x07\x1b[31mred\x1b[0m \u202eevil\u202c \u200b \ufeff 😀 𝔘 \u0085 '
               'ሰላም مرحبا')
    huge = ("\U0001f600<>&\n\t" + "x" * 997) * 2000  # ~2 MB
    source = await archive(es, search, "hostile", title=hostile, text=huge,
                           tags=["<b>", "\x00"], authors=["\u202eadmin"])
    assert source["title"] == hostile and source["text"] == huge
    record = await store.freeze(alert("hostile"))
    item = record.items[0]
    data = item.snapshot_bytes()
    assert data.isascii() and b"\x1b" not in data and b"<script>" in data
    assert json.loads(data) == source
    again = await store.record("a-1", actor="ana")
    assert again is not None and again.items[0].snapshot_bytes() == data
    bundle = await store.export_bundle("a-1", actor="ana")
    assert members(bundle)["items/hostile.json"] == data
    assert verify_bundle(bundle).ok


# -- the agent -----------------------------------------------------------------------------


def test_only_versions_that_can_bring_items_are_frozen() -> None:
    assert wants_evidence(alert("i-1"))
    assert wants_evidence(alert("i-1", version=2, event="escalated"))
    assert wants_evidence(alert("i-1", version=2, event="updated"))
    for event in ("resolved", "acknowledged", "assigned", "noted"):
        assert not wants_evidence(alert("i-1", version=2, event=event))
    assert not wants_evidence(alert())


async def test_collect_evidence_waits_for_an_item_the_archive_has_not_indexed_yet(
        es: Any, search: SearchSettings, store: EvidenceStore) -> None:
    await archive(es, search, "i-1")

    async def late() -> None:
        await asyncio.sleep(0.4)
        await archive(es, search, "late")

    arriving = asyncio.create_task(late())
    record = await collect_evidence(store, alert("i-1", "late"), missing_retry_s=(0.3, 0.3, 0.3, 0.3))
    await arriving
    item = record.item("late")
    assert item is not None and item.status == "frozen" and item.missing_since is None
    assert [e.action for e in record.custody] == ["frozen", "frozen"]


async def test_collect_evidence_records_an_item_still_missing_after_the_waits(
        es: Any, search: SearchSettings, store: EvidenceStore) -> None:
    await archive(es, search, "i-1")
    record = await collect_evidence(store, alert("i-1", "ghost"), missing_retry_s=(0.1, 0.1))
    assert [(i.item_id, i.status) for i in record.items] == [("i-1", "frozen"), ("ghost", "missing")]


async def produce_alerts(bootstrap: str, alerts: list[bytes]) -> None:
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for value in alerts:
            await producer.send_and_wait(topics.ALERTS, value, key=b"a-1")
    finally:
        await producer.stop()


def test_a_faust_worker_freezes_alert_versions_from_the_alerts_topic(
        tmp_path: Path, own_broker: LocalBroker, search_settings: SearchSettings) -> None:
    stack = Stack(tmp_path, own_broker, search_settings, rules="rules: []\n")
    search = unique(search_settings)
    stack.env.update({"TOCSIN_SEARCH__ITEMS_INDEX": search.items_index,
                      "TOCSIN_SEARCH__EVIDENCE_INDEX": search.evidence_index,
                      "TOCSIN_SEARCH__CUSTODY_INDEX": search.custody_index})
    settings = stack.settings()
    asyncio.run(ensure_topics(settings.kafka))

    async def seed() -> None:
        client = search_client(search)
        try:
            for i in ("i-1", "i-2", "i-3"):
                await archive(client, search, i)
        finally:
            await client.close()

    async def read_custody() -> list[Any]:
        client = search_client(search)
        try:
            return await EvidenceStore(client, search).custody("a-1")
        except SearchUnavailable:
            return []
        finally:
            await client.close()

    asyncio.run(seed())
    versions = [alert("i-1", "i-2"), alert("i-1", "i-2", version=2, event="acknowledged"),
                alert("i-2", "i-3", "ghost", version=3, event="escalated")]
    log = tmp_path / "evidence.log"
    with log.open("wb") as out:
        stack.workers.append(spawn([sys.executable, "-m", "tests.alerts.evidence_worker"],
                                   env={**os.environ, **stack.env}, stdout=out, stderr=out))
    try:
        asyncio.run(produce_alerts(own_broker.bootstrap_servers,
                                   [b'{"not": "an alert"}', *(v.to_bytes() for v in versions)]))
        # v1 freezes i-1 and i-2; v2 (acknowledged) brings nothing; v3 freezes i-3 at
        # once and records ghost as missing after waiting for it; in this order.
        entries = wait_for(lambda: (lambda c: c if len(c) >= 3 else None)(asyncio.run(read_custody())),
                           "three frozen custody entries", workers=stack.workers)
        assert [(e.action, sorted(e.items)) for e in entries] == [
            ("frozen", ["i-1", "i-2"]), ("frozen", ["i-3"]), ("frozen", ["ghost"])]
        assert entries[2].items["ghost"] is None
        assert verify_custody(entries, "a-1").ok
    except BaseException:
        print(log.read_text(errors="replace")[-6000:])
        raise
    finally:
        stack.stop_workers()
