"""Evidence bundles that prove themselves (issue 14, item 4): the custody log against the
manifest, Ed25519 signatures, key rotation."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from tocsin.evidence import verify_bundle
from tocsin.evidence.bundle import MANIFEST, SUMS, build_bundle
from tocsin.evidence.custody import GENESIS, seal
from tocsin.evidence.records import CustodyEntry, EvidenceItem
from tocsin.evidence.signing import SIGNATURE, SigningKey, SigningKeyError, signing_key, trusted_keys
from tocsin.evidence.snapshot import canonical_json, sha256_hex
from tocsin.settings import EvidenceSettings

AT = datetime(2026, 12, 1, tzinfo=UTC)


def frozen_item(item_id: str, text: str) -> EvidenceItem:
    data = canonical_json({"id": item_id, "text": text})
    return EvidenceItem(item_id=item_id, status="frozen", sha256=sha256_hex(data), size=len(data),
                        frozen_at=AT, alert_version=1, snapshot=data.decode("ascii"))


def chain_for(items: list[EvidenceItem]) -> list[CustodyEntry]:
    frozen = seal(alert_id="a-1", seq=1, prev_sha256=GENESIS, action="frozen", actor="tocsin", at=AT,
                  items={item.item_id: item.sha256 for item in items})
    viewed = seal(alert_id="a-1", seq=2, prev_sha256=frozen.sha256, action="viewed", actor="ana", at=AT)
    return [frozen, viewed]


def bundle(signer: SigningKey | None = None) -> bytes:
    items = [frozen_item("i-1", "Ten dead in Kutum."), frozen_item("i-2", "Convoy attacked.")]
    return build_bundle(alert_id="a-1", alert_version=1, items=items, custody=chain_for(items),
                        generated_at=AT, signer=signer)


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rezip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def consistent_tamper(data: bytes, *, item_id: str = "i-1", file: str | None = None,
                      rechain: bool = False) -> bytes:
    """Edit an item's text, then make manifest.json and SHA256SUMS agree with it (the issue's
    repro); with ``rechain``, rewrite the custody log's frozen entry and every later link too."""
    files = members(data)
    manifest = json.loads(files[MANIFEST])
    entry = next(e for e in manifest["items"] if e["item_id"] == item_id)
    forged = canonical_json({"id": item_id, "text": "Nothing happened in Kutum."})
    files[file or entry["file"]] = forged
    entry["sha256"], entry["size"] = sha256_hex(forged), len(forged)
    if rechain:
        old = [CustodyEntry.model_validate(e) for e in manifest["custody"]]
        prev, chain = GENESIS, []
        for e in old:
            items = {k: (entry["sha256"] if k == item_id else v) for k, v in e.items.items()}
            sealed = seal(alert_id=e.alert_id, seq=e.seq, prev_sha256=prev, action=e.action, actor=e.actor,
                          at=e.at, detail=e.detail, items=items)
            chain.append(sealed)
            prev = sealed.sha256
        manifest["custody"] = [e.model_dump(mode="json") for e in chain]
        manifest["custody_head_sha256"] = prev
    files[MANIFEST] = (json.dumps(manifest, indent=2, ensure_ascii=True, sort_keys=True) + "\n").encode()
    files[SUMS] = "".join(f"{sha256_hex(v)}  {k}\n" for k, v in sorted(files.items())
                          if k not in (SUMS, SIGNATURE)).encode()
    return rezip(files)


def test_an_untouched_bundle_verifies() -> None:
    report = verify_bundle(bundle())
    assert report.ok, report.problems
    assert (report.items_verified, report.signed_by) == (2, None)


def test_a_consistent_tamper_fails_on_the_custody_log() -> None:
    """Issue 14: item, manifest and SHA256SUMS edited together passed verify."""
    report = verify_bundle(consistent_tamper(bundle()))
    assert not report.ok
    assert any("item 'i-1'" in p and "custody log recorded when it was frozen" in p for p in report.problems)


def test_an_item_added_to_the_manifest_that_no_custody_entry_froze_fails() -> None:
    files = members(bundle())
    manifest = json.loads(files[MANIFEST])
    manifest["custody"] = manifest["custody"][1:]  # drop the frozen entry, re-chain nothing
    files[MANIFEST] = json.dumps(manifest).encode()
    files[SUMS] = "".join(f"{sha256_hex(v)}  {k}\n" for k, v in sorted(files.items()) if k != SUMS).encode()
    problems = verify_bundle(rezip(files)).problems
    assert any("no frozen custody entry announced it" in p for p in problems)


def test_a_signed_bundle_verifies_against_its_public_key_and_names_it() -> None:
    key = SigningKey.generate()
    data = bundle(key)
    assert SIGNATURE in members(data)
    untrusted = verify_bundle(data)
    assert untrusted.ok and (untrusted.signed_by, untrusted.signature_trusted) == (key.key_id, False)
    trusted = verify_bundle(data, trusted={key.key_id: key.public})
    assert trusted.ok and trusted.signature_trusted


def test_a_tamper_that_rechains_the_custody_log_fails_on_the_signature() -> None:
    key = SigningKey.generate()
    forged = consistent_tamper(bundle(key), rechain=True)
    report = verify_bundle(forged, trusted={key.key_id: key.public})
    assert report.problems == [f"{SIGNATURE}: the signature does not match manifest.json"]
    # Re-signed with the forger's own key: valid, but not by a trusted key.
    forger = SigningKey.generate()
    files = members(forged)
    files[SIGNATURE] = forger.sign(files[MANIFEST])
    report = verify_bundle(rezip(files), trusted={key.key_id: key.public})
    assert not report.ok and report.signed_by == forger.key_id
    assert any("not one of the trusted keys" in p for p in report.problems)


def test_an_unsigned_bundle_fails_when_a_trusted_key_is_required() -> None:
    key = SigningKey.generate()
    report = verify_bundle(bundle(), trusted={key.key_id: key.public})
    assert report.problems == ["the bundle is not signed, but a trusted key was given"]


def test_rotation_old_bundles_verify_with_the_old_public_key_kept(tmp_path: Path) -> None:
    old, new = SigningKey.generate(), SigningKey.generate()
    (tmp_path / "old.pub").write_text(old.public_text())
    (tmp_path / "new.pub").write_text(new.public_text())
    keys = trusted_keys([tmp_path / "old.pub", tmp_path / "new.pub"])
    assert set(keys) == {old.key_id, new.key_id}
    assert verify_bundle(bundle(old), trusted=keys).ok
    assert verify_bundle(bundle(new), trusted=keys).ok
    assert not verify_bundle(bundle(old), trusted=trusted_keys([tmp_path / "new.pub"])).ok


def test_the_signing_key_comes_from_the_setting_or_its_file_as_base64_or_pem(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    key = SigningKey.generate()
    assert signing_key(EvidenceSettings()) is None
    from_env = signing_key(EvidenceSettings(signing_key=SecretStr(key.private_text())))
    assert from_env is not None and from_env.key_id == key.key_id
    pem = key.private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    (tmp_path / "k.pem").write_bytes(pem)
    from_file = signing_key(EvidenceSettings(signing_key_file=tmp_path / "k.pem"))
    assert from_file is not None and from_file.key_id == key.key_id
    with pytest.raises(SigningKeyError, match="an Ed25519 key is 32"):
        signing_key(EvidenceSettings(signing_key=SecretStr("c2hvcnQ=")))
    with pytest.raises(SigningKeyError, match="cannot be read"):
        signing_key(EvidenceSettings(signing_key_file=tmp_path / "absent"))
