"""Ed25519 signatures on evidence bundles: who exported it, provably.

Hashes show a bundle is consistent; anyone who edits an item can make it
consistent again (new hashes, a re-chained custody log). A signature over
``manifest.json`` (which lists every item's hash and pins the custody log's
head) can only be made with the deployment's private key, so a bundle that
verifies against the deployment's *published* public key is the one it exported.

Keys are 32 raw bytes, written as base64 (``tocsin evidence keygen``) or PEM
(PKCS#8 private, SubjectPublicKeyInfo public). A key's id is the first 16 hex
digits of the SHA-256 of its raw public key, so a verifier holding several
public keys (rotation) knows which one signed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from tocsin.errors import SettingsError
from tocsin.settings import EvidenceSettings

ALGORITHM = "ed25519"
SIGNATURE = "SIGNATURE.json"
"""The bundle member that holds the signature over ``manifest.json``."""


class SigningKeyError(SettingsError):
    """A signing or public key that cannot be read."""


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    """First 16 hex digits of SHA-256 of the raw public key."""
    return hashlib.sha256(_raw_public(key)).hexdigest()[:16]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str, what: str, length: int | None = None) -> bytes:
    try:
        data = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise SigningKeyError(f"{what} is neither PEM nor base64") from None
    if length is not None and len(data) != length:
        raise SigningKeyError(f"{what} is {len(data)} bytes, an Ed25519 key is {length}")
    return data


@dataclass(frozen=True)
class SigningKey:
    """The deployment's private key; signs manifests."""

    private: Ed25519PrivateKey

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @property
    def key_id(self) -> str:
        return key_id(self.public)

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_text(cls, text: str, what: str = "the evidence signing key") -> SigningKey:
        text = text.strip()
        if text.startswith("-----BEGIN"):
            try:
                key = serialization.load_pem_private_key(text.encode("ascii"), password=None)
            except (ValueError, TypeError):
                raise SigningKeyError(f"{what} is not a readable PEM private key") from None
            if not isinstance(key, Ed25519PrivateKey):
                raise SigningKeyError(f"{what} is not an Ed25519 key")
            return cls(key)
        return cls(Ed25519PrivateKey.from_private_bytes(_unb64(text, what, 32)))

    def private_text(self) -> str:
        raw = self.private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                         serialization.NoEncryption())
        return _b64(raw)

    def public_text(self) -> str:
        return _b64(_raw_public(self.public))

    def sign(self, manifest: bytes) -> bytes:
        """The ``SIGNATURE.json`` member for these manifest bytes."""
        document = {"algorithm": ALGORITHM, "key_id": self.key_id, "public_key": self.public_text(),
                    "signed": "manifest.json", "signature": _b64(self.private.sign(manifest))}
        return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode("ascii")


def signing_key(settings: EvidenceSettings) -> SigningKey | None:
    """The key from ``evidence.signing_key`` (environment or secrets directory) or its file;
    None: bundles go unsigned."""
    if settings.signing_key is not None:
        return SigningKey.from_text(settings.signing_key.get_secret_value())
    if settings.signing_key_file is not None:
        path = settings.signing_key_file
        try:
            text = path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise SigningKeyError(f"evidence.signing_key_file {str(path)!r} cannot be read: {exc}") from None
        return SigningKey.from_text(text, f"evidence.signing_key_file {str(path)!r}")
    return None


def public_key(text: str, what: str) -> Ed25519PublicKey:
    """A public key from PEM or base64 text (``tocsin evidence keygen`` writes both halves)."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(text.encode("ascii"))
        except (ValueError, TypeError):
            raise SigningKeyError(f"{what} is not a readable PEM public key") from None
        if not isinstance(key, Ed25519PublicKey):
            raise SigningKeyError(f"{what} is not an Ed25519 key")
        return key
    return Ed25519PublicKey.from_public_bytes(_unb64(text, what, 32))


@dataclass(frozen=True)
class SignatureCheck:
    signed_by: str | None
    """Key id of a signature that matches the manifest (None: unsigned, or it does not match)."""
    trusted: bool
    """The signing key is one of the trusted keys given."""
    problems: list[str]


def check_signature(member: bytes | None, manifest: bytes,
                    trusted: dict[str, Ed25519PublicKey] | None) -> SignatureCheck:
    """Check ``SIGNATURE.json`` against the manifest bytes; with ``trusted`` keys (id → key), the
    bundle must be signed by one of them. Without, a valid signature is reported, not trusted."""
    if member is None:
        problems = ["the bundle is not signed, but a trusted key was given"] if trusted else []
        return SignatureCheck(None, False, problems)
    try:
        document: Any = json.loads(member)
        algorithm, claimed_id = document["algorithm"], document["key_id"]
        key = public_key(str(document["public_key"]), f"{SIGNATURE} public_key")
        signature = _unb64(str(document["signature"]), f"{SIGNATURE} signature")
    except (ValueError, KeyError, TypeError, SigningKeyError) as exc:
        return SignatureCheck(None, False, [f"{SIGNATURE} is malformed: {exc}"])
    if algorithm != ALGORITHM:
        return SignatureCheck(None, False, [f"{SIGNATURE}: unknown algorithm {algorithm!r}"])
    if claimed_id != key_id(key):
        return SignatureCheck(None, False, [f"{SIGNATURE}: key id {claimed_id!r} is not its key's"])
    try:
        key.verify(signature, manifest)
    except InvalidSignature:
        return SignatureCheck(None, False, [f"{SIGNATURE}: the signature does not match manifest.json"])
    if trusted is None:
        return SignatureCheck(claimed_id, False, [])
    if claimed_id not in trusted:
        return SignatureCheck(claimed_id, False, [
            f"signed by key {claimed_id}, not one of the trusted keys ({', '.join(sorted(trusted))})"])
    return SignatureCheck(claimed_id, True, [])


def trusted_keys(paths: list[Path]) -> dict[str, Ed25519PublicKey]:
    """Key id → key for each public key file (several: the current key and those rotated out)."""
    keys: dict[str, Ed25519PublicKey] = {}
    for path in paths:
        try:
            text = path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise SigningKeyError(f"public key {str(path)!r} cannot be read: {exc}") from None
        key = public_key(text, f"public key {str(path)!r}")
        keys[key_id(key)] = key
    return keys
