"""What the evidence store hands out: frozen items, the custody log, the record of both."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

CustodyAction = Literal["frozen", "viewed", "exported", "verified"]
ItemStatus = Literal["frozen", "missing"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EvidenceItem(_Model):
    """One contributing item of an alert as it was frozen, or the fact that it was missing."""

    item_id: str
    status: ItemStatus
    sha256: str | None = Field(default=None, description="SHA-256 (hex) of the snapshot bytes")
    size: int | None = Field(default=None, description="length of the snapshot in bytes")
    frozen_at: datetime | None = None
    missing_since: datetime | None = Field(
        default=None, description="when the archive was first found not to hold the item")
    alert_version: int | None = Field(default=None, description="the alert version that brought the item")
    snapshot: str | None = Field(
        default=None, description="the archived document in canonical JSON (ASCII); its bytes are hashed")

    def snapshot_bytes(self) -> bytes:
        if self.snapshot is None:
            raise ValueError(f"item {self.item_id!r} is {self.status}, it has no snapshot")
        return self.snapshot.encode("ascii")


class CustodyEntry(_Model):
    """One line of an alert's append-only custody log, chained to the one before by hash."""

    alert_id: str
    seq: int = Field(ge=1, description="1, 2, 3 … per alert; the entry's slot in the log")
    action: CustodyAction
    actor: str
    at: datetime
    detail: str = ""
    items: dict[str, str | None] = Field(
        default_factory=dict, description="frozen entries: item id → snapshot SHA-256, None if missing")
    prev_sha256: str = Field(description="sha256 of the previous entry; 64 zeros for the first")
    sha256: str = Field(description="SHA-256 of this entry's canonical JSON without this field")


class EvidenceRecord(_Model):
    alert_id: str
    items: list[EvidenceItem]
    custody: list[CustodyEntry]

    def item(self, item_id: str) -> EvidenceItem | None:
        return next((item for item in self.items if item.item_id == item_id), None)

    @property
    def frozen(self) -> list[EvidenceItem]:
        return [item for item in self.items if item.status == "frozen"]

    @property
    def missing(self) -> list[EvidenceItem]:
        return [item for item in self.items if item.status == "missing"]
