"""Evidence bundles: one zip an analyst can hand on and anyone can check offline.

Layout::

    manifest.json      alert id and version, every item (id, file, sha256, frozen_at),
                       the custody log so far, tool version, generated_at
    items/<id>.json    exactly the frozen bytes of each item
    SHA256SUMS         ``sha256sum`` format for manifest.json and every item file,
                       so ``unzip bundle.zip && sha256sum -c SHA256SUMS`` checks it
    SIGNATURE.json     where a signing key is configured: Ed25519 over manifest.json
                       (``tocsin.evidence.signing``)

``verify_bundle`` does the same checks and more (manifest against SHA256SUMS, no
unlisted files, the custody chain, every item's hash against the hash the chain's
``frozen`` entries announced, the signature) without extracting anything to disk.
A consistent rewrite (item, manifest and SHA256SUMS edited together) still fails
on the custody log; one that re-chains the log too fails on the signature.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

import tocsin
from tocsin.evidence.custody import announced, verify_custody
from tocsin.evidence.records import CustodyEntry, EvidenceItem
from tocsin.evidence.signing import SIGNATURE, SigningKey, check_signature
from tocsin.evidence.snapshot import CANONICAL_FORM, sha256_hex

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

BUNDLE_FORMAT = "tocsin-evidence-bundle/1"
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_SUM_LINE = re.compile(r"([0-9a-f]{64}) [ *](.+)")
# Refuse members larger than this rather than inflating them (zip bombs).
MAX_MEMBER_BYTES = 256 * 1024 * 1024


def item_file_names(item_ids: list[str]) -> dict[str, str]:
    """A file name per item id that no id can turn into a path outside ``items/``.

    Ids that are plain (letters, digits, ``.-_``) keep their name; any other id,
    or one whose name is taken, is named by the SHA-256 of the id.
    """
    names: dict[str, str] = {}
    used: set[str] = set()
    for item_id in item_ids:
        if item_id in names:
            continue
        name = f"items/{item_id}.json"
        if not _SAFE_ID.fullmatch(item_id) or name in used:
            name = f"items/id-{hashlib.sha256(item_id.encode('utf-8', 'surrogatepass')).hexdigest()}.json"
        names[item_id] = name
        used.add(name)
    return names


def build_bundle(*, alert_id: str, alert_version: int | None, items: list[EvidenceItem],
                 custody: list[CustodyEntry], generated_at: datetime,
                 signer: SigningKey | None = None) -> bytes:
    names = item_file_names([item.item_id for item in items if item.status == "frozen"])
    files: dict[str, bytes] = {names[item.item_id]: item.snapshot_bytes()
                               for item in items if item.status == "frozen"}
    chain = verify_custody(custody, alert_id)
    manifest = {
        "format": BUNDLE_FORMAT,
        "alert_id": alert_id,
        "alert_version": alert_version,
        "generated_at": generated_at.isoformat(),
        "tool": {"name": "tocsin", "version": tocsin.__version__},
        "canonical_form": CANONICAL_FORM,
        "items": [
            {
                "item_id": item.item_id,
                "status": item.status,
                "file": names.get(item.item_id),
                "sha256": item.sha256,
                "size": item.size,
                "frozen_at": item.frozen_at.isoformat() if item.frozen_at else None,
                "missing_since": item.missing_since.isoformat() if item.missing_since else None,
                "alert_version": item.alert_version,
            }
            for item in items
        ],
        "custody": [entry.model_dump(mode="json") for entry in custody],
        "custody_head_sha256": chain.head_sha256,
    }
    text = json.dumps(manifest, indent=2, ensure_ascii=True, sort_keys=True) + "\n"
    files[MANIFEST] = text.encode("ascii")
    sums = "".join(f"{sha256_hex(data)}  {name}\n" for name, data in sorted(files.items()))
    files[SUMS] = sums.encode("ascii")
    if signer is not None:
        files[SIGNATURE] = signer.sign(files[MANIFEST])
    stamp = generated_at.timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in [MANIFEST, SUMS, *([SIGNATURE] if signer else []),
                     *sorted(n for n in files if n.startswith("items/"))]:
            info = zipfile.ZipInfo(name, date_time=max(stamp, (1980, 1, 1, 0, 0, 0)))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])
    return buffer.getvalue()


@dataclass
class BundleReport:
    ok: bool
    problems: list[str] = field(default_factory=list)
    alert_id: str | None = None
    items_verified: int = 0
    """Item files whose bytes match both SHA256SUMS and the manifest."""
    custody_head_sha256: str | None = None
    item_hashes: dict[str, str | None] = field(default_factory=dict)
    """Item id → sha256 as the manifest lists them (None: missing when exported)."""
    signed_by: str | None = None
    """Key id of a valid signature over the manifest (None: unsigned)."""
    signature_trusted: bool = False
    """The signing key is one of the trusted public keys the check was given."""
    custody: list[CustodyEntry] = field(default_factory=list)
    """The bundle's custody log (for a comparison with the server's)."""


def _read_members(archive: zipfile.ZipFile, problems: list[str], max_bytes: int) -> dict[str, bytes]:
    members: dict[str, bytes] = {}
    for info in archive.infolist():
        name = info.filename
        if info.is_dir():
            continue
        if name in members:
            problems.append(f"{name!r} is in the zip more than once")
            continue
        if name.startswith(("/", "\\")) or ".." in name.split("/") or "\\" in name:
            problems.append(f"{name!r} is not a safe path")
            continue
        if info.file_size > max_bytes:
            problems.append(f"{name!r} is larger than {max_bytes} bytes; not read")
            continue
        try:
            with archive.open(info) as member:
                data = member.read(max_bytes + 1)
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
            problems.append(f"{name!r} cannot be read: {exc}")
            continue
        if len(data) > max_bytes:
            problems.append(f"{name!r} is larger than {max_bytes} bytes; not read")
            continue
        members[name] = data
    return members


def _parse_sums(data: bytes, problems: list[str]) -> dict[str, str]:
    sums: dict[str, str] = {}
    for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
        match = _SUM_LINE.fullmatch(line)
        if not match:
            problems.append(f"{SUMS} line {number} is not '<sha256>  <file>': {line[:100]!r}")
            continue
        digest, name = match.groups()
        if name in sums:
            problems.append(f"{SUMS} lists {name!r} twice")
        sums[name] = digest
    return sums


def _check_manifest(manifest: Any, members: dict[str, bytes], sums: dict[str, str],
                    report: BundleReport) -> None:
    problems = report.problems
    if not isinstance(manifest, dict) or manifest.get("format") != BUNDLE_FORMAT:
        problems.append(f"{MANIFEST} is not a {BUNDLE_FORMAT} manifest")
        return
    report.alert_id = manifest.get("alert_id") if isinstance(manifest.get("alert_id"), str) else None
    items = manifest.get("items")
    if not isinstance(items, list):
        problems.append(f"{MANIFEST} has no items list")
        items = []
    listed_files: set[str] = set()
    for position, item in enumerate(items):
        if not isinstance(item, dict):
            problems.append(f"{MANIFEST} items[{position}] is not an object")
            continue
        where = f"item {item.get('item_id')!r}"
        digest = item.get("sha256")
        report.item_hashes[str(item.get("item_id"))] = digest if isinstance(digest, str) else None
        if item.get("status") != "frozen":
            if item.get("file") is not None:
                problems.append(f"{where} is {item.get('status')!r} but names a file")
            continue
        name = item.get("file")
        if not isinstance(name, str) or name not in members:
            problems.append(f"{where}: its file {name!r} is not in the bundle")
            continue
        listed_files.add(name)
        actual = sha256_hex(members[name])
        if item.get("sha256") != actual:
            problems.append(f"{where}: {name} has sha256 {actual}, the manifest says {item.get('sha256')}")
        elif sums.get(name) != actual:
            problems.append(f"{where}: {name} has sha256 {actual}, {SUMS} says {sums.get(name)}")
        else:
            report.items_verified += 1
    for name in members:
        if name.startswith("items/") and name not in listed_files:
            problems.append(f"{name!r} is in the bundle but not in the manifest")
    try:
        custody = [CustodyEntry.model_validate(entry) for entry in manifest.get("custody") or []]
    except ValidationError as exc:
        problems.append(f"{MANIFEST} custody log is malformed: {exc.errors()[0]['msg']}")
        return
    report.custody = custody
    chain = verify_custody(custody, report.alert_id)
    problems.extend(f"custody log: {problem}" for problem in chain.problems)
    _check_against_custody(report, custody)
    report.custody_head_sha256 = chain.head_sha256
    if manifest.get("custody_head_sha256") != chain.head_sha256:
        problems.append(f"custody log: the manifest's head {manifest.get('custody_head_sha256')} "
                        f"is not the log's last entry {chain.head_sha256}")


def _check_against_custody(report: BundleReport, custody: list[CustodyEntry]) -> None:
    """Every item as the custody log's ``frozen`` entries announced it: same hash, none added or
    left out (the manifest's own hashes can be rewritten along with the files)."""
    frozen = announced(custody)
    for item_id, digest in report.item_hashes.items():
        if item_id not in frozen:
            report.problems.append(f"item {item_id!r} is in the manifest but no frozen custody entry "
                                   f"announced it")
        elif frozen[item_id] != digest:
            report.problems.append(f"item {item_id!r}: the manifest's sha256 {digest} is not the one the "
                                   f"custody log recorded when it was frozen ({frozen[item_id]})")
    for item_id in frozen.keys() - report.item_hashes.keys():
        report.problems.append(f"item {item_id!r} was frozen (custody log) but is not in the manifest")


def verify_bundle(zip_bytes: bytes, *, max_member_bytes: int = MAX_MEMBER_BYTES,
                  trusted: dict[str, Ed25519PublicKey] | None = None) -> BundleReport:
    """Check a bundle: every file against SHA256SUMS, every item against the manifest and the
    custody log, nothing unlisted, the custody chain and the signature (which, given ``trusted``
    keys, must be by one of them). Never raises for a bad bundle."""
    report = BundleReport(ok=False)
    try:
        with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
            members = _read_members(archive, report.problems, max_member_bytes)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        report.problems.append(f"not a readable zip: {exc}")
        return report
    if SUMS not in members or MANIFEST not in members:
        report.problems.append(f"the bundle lacks {SUMS if SUMS not in members else MANIFEST}")
        return report
    sums = _parse_sums(members[SUMS], report.problems)
    for name, digest in sums.items():
        if name not in members:
            report.problems.append(f"{SUMS} lists {name!r}, which is not in the bundle")
        elif sha256_hex(members[name]) != digest:
            report.problems.append(f"{name}: sha256 {sha256_hex(members[name])} does not match "
                                   f"{SUMS} ({digest})")
    for name in members:
        if name not in (SUMS, SIGNATURE) and name not in sums:
            report.problems.append(f"{name!r} is in the bundle but not in {SUMS}")
    try:
        manifest = json.loads(members[MANIFEST])
    except ValueError as exc:
        report.problems.append(f"{MANIFEST} is not JSON: {exc}")
        return report
    _check_manifest(manifest, members, sums, report)
    signature = check_signature(members.get(SIGNATURE), members[MANIFEST], trusted)
    report.problems.extend(signature.problems)
    report.signed_by, report.signature_trusted = signature.signed_by, signature.trusted
    report.ok = not report.problems
    return report
