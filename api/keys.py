"""API keys: names and roles in a YAML file, each key stored only as its SHA-256.

A key is 32 random bytes (``secrets.token_urlsafe``), so a plain SHA-256 is enough
(nothing to brute-force, unlike a password); comparison is constant-time. The file
is re-read when it changes, so ``tocsin api-key add`` takes effect without a restart.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import tempfile
import threading
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tocsin.config_files import describe, read_yaml
from tocsin.errors import ConfigError


class Role(IntEnum):
    """Ordered: each role may do everything the ones below it may."""

    viewer = 1
    analyst = 2
    admin = 3


class KeysConfigError(ConfigError, ValueError):
    """The keys file is wrong; the message names the file, the entry and the field."""


_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@:-]{0,99}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class KeyEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="who holds the key; recorded as the actor of actions and evidence views")
    role: Role
    sha256: str = Field(description="hex SHA-256 of the key; the key itself is never stored")

    @field_validator("role", mode="before")
    @classmethod
    def _role(cls, value: Any) -> Role:
        if isinstance(value, Role):
            return value
        if isinstance(value, str) and value in Role.__members__:
            return Role[value]
        raise ValueError(f"must be one of {', '.join(Role.__members__)}; got {value!r}")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("must be 1-100 characters: letters, digits, '.', '_', '@', ':' or '-'; "
                             f"got {value!r}")
        return value

    @field_validator("sha256")
    @classmethod
    def _sha256(cls, value: str) -> str:
        value = value.strip().lower()
        if not _HEX64.match(value):
            raise ValueError("must be 64 hex digits (the SHA-256 of the key)")
        return value

    def as_yaml(self) -> dict[str, str]:
        return {"name": self.name, "role": self.role.name, "sha256": self.sha256}


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    return secrets.token_urlsafe(32)


def parse_keys(document: Any, origin: str) -> list[KeyEntry]:
    if document is None:
        return []
    if not isinstance(document, dict) or set(document) - {"keys"}:
        raise KeysConfigError(f"{origin}: expected a mapping with only a 'keys:' list")
    raw_entries = document.get("keys") or []
    if not isinstance(raw_entries, list):
        raise KeysConfigError(f"{origin}: 'keys' must be a list")
    entries: list[KeyEntry] = []
    for index, raw in enumerate(raw_entries):
        where = f"{origin}: keys[{index}]"
        try:
            entry = KeyEntry.model_validate(raw)
        except ValidationError as exc:
            raise KeysConfigError(f"{where}: {describe(exc)}") from None
        if any(e.name == entry.name for e in entries):
            raise KeysConfigError(f"{where}: name: duplicate key name {entry.name!r}")
        entries.append(entry)
    return entries


def load_keys(path: Path) -> list[KeyEntry]:
    """The entries of the keys file; a missing file means no keys (every request is refused),
    an empty one is an error like every empty config file (``keys: []`` holds none)."""
    if not path.exists():
        return []
    return parse_keys(read_yaml(path, KeysConfigError, none="keys: []"), str(path))


def write_keys(path: Path, entries: list[KeyEntry]) -> None:
    """Replace the file atomically (owner-only permissions: hashes are not secrets, but names are)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = yaml.safe_dump({"keys": [e.as_yaml() for e in entries]}, sort_keys=False, allow_unicode=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def add_key(path: Path, name: str, role: str) -> str:
    """Create a key for ``name`` (replacing that name's old key) and return it: shown once, never stored."""
    entries = load_keys(path)
    key = new_key()
    [entry] = parse_keys({"keys": [{"name": name, "role": role, "sha256": hash_key(key)}]}, "the new key")
    write_keys(path, [e for e in entries if e.name != name] + [entry])
    return key


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's name and role."""

    name: str
    role: Role


class KeyRing:
    """The keys file, re-read when its modification time or size changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._entries: list[KeyEntry] = []

    def _refresh(self) -> list[KeyEntry]:
        try:
            stat = self.path.stat()
            stamp: tuple[int, int] | None = (stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            stamp = None
        with self._lock:
            if stamp != self._stamp:
                self._entries = load_keys(self.path) if stamp is not None else []
                self._stamp = stamp
            return self._entries

    def check(self) -> None:
        """Raise ``KeysConfigError`` now if the file is wrong (at start, not on the first request)."""
        self._refresh()

    def identify(self, key: str) -> Principal | None:
        """The holder of ``key``, or None. Every entry is compared, in constant time each."""
        digest = hash_key(key)
        found: KeyEntry | None = None
        for entry in self._refresh():
            if hmac.compare_digest(digest, entry.sha256):
                found = entry
        return Principal(found.name, found.role) if found else None
