"""Analysts' verdicts on what the classifiers said, kept to retrain them: the labels index.

An analyst reading an alert marks an item's category as misclassified (the model
was wrong about it) or confirmed, and may dismiss the whole alert as a false
positive. Each verdict is a document of its own, never updated (who, when, about
which model and score, and the text the model read), so the record of what each
person said stays whole; a later verdict on the same item and category wins in the
export. ``export_rows`` turns the item verdicts of one category into the CSV the
evaluation and training commands read: ``text,label`` (``hateful`` /
``non-hateful``) for hate speech, ``text,violent`` (1 / 0) for violence reports,
``text,label`` (1 / 0) for any other category, each with ``lang`` and provenance
columns those readers pass over.
"""

from __future__ import annotations

import csv
import hashlib
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Literal

from elastic_transport import TransportError
from elasticsearch import ApiError, AsyncElasticsearch, NotFoundError
from pydantic import BaseModel, ConfigDict, Field

from tocsin.schema import Alert
from tocsin.search import SearchUnavailable, install_index

TEMPLATE_FILE = Path(__file__).with_name("templates") / "labels.json"
ItemVerdict = Literal["misclassified", "confirmed"]
Verdict = Literal["misclassified", "confirmed", "false_positive"]
_PAGE = 500
# The text a model reads is capped the same way (processing.max_analysed_chars); a label keeps no more.
MAX_TEXT = 20_000


class AnalystLabel(BaseModel):
    """One verdict: on an item's category (``kind='item'``) or on a whole alert (``'alert'``)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    kind: Literal["item", "alert"]
    verdict: Verdict
    actor: str = Field(description="who said so: the API key's name, or the OS user")
    at: datetime
    reason: str = ""
    item_id: str | None = None
    category: str | None = None
    label: bool | None = Field(default=None, description="item verdicts: the item is of the category")
    model: str | None = Field(default=None, description="name/version of what scored the category")
    score: float | None = Field(default=None, description="its score then; None when it did not report it")
    text: str = Field(default="", description="title and text, as the model read them")
    lang: str | None = None
    alert_id: str | None = None
    alert_version: int | None = None
    rule: str | None = None
    item_ids: list[str] = Field(default_factory=list, description="alert verdicts: its contributing items")


def _new_id(*parts: str) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"l-{digest}-{uuid.uuid4().hex[:12]}"


def classified_text(doc: dict[str, Any]) -> str:
    """Title and text of an archived item, as one string (the title alone when the text repeats it)."""
    title = str(doc.get("title") or "").strip()
    text = str(doc.get("text") or "").strip()
    joined = text if not title or text.startswith(title) else f"{title}\n{text}" if text else title
    return joined[:MAX_TEXT]


def item_label(doc: dict[str, Any], category: str, verdict: ItemVerdict, *, actor: str,
               alert_id: str | None = None, reason: str = "", at: datetime | None = None) -> AnalystLabel:
    """The verdict on an archived item (its ``_source``): ``misclassified`` flips what the
    model said about ``category`` (reported → not of it; not reported → of it, a miss),
    ``confirmed`` keeps it."""
    reported = category in (doc.get("categories") or [])
    model = (doc.get("models") or {}).get(category) or ",".join(doc.get("classifiers") or []) or None
    item_id = str(doc["id"])
    return AnalystLabel(
        id=_new_id(item_id, category), kind="item", verdict=verdict, actor=actor, at=at or datetime.now(UTC),
        reason=reason, item_id=item_id, category=category,
        label=reported if verdict == "confirmed" else not reported, model=model,
        score=(doc.get("scores") or {}).get(category), text=classified_text(doc), lang=doc.get("lang"),
        alert_id=alert_id)


def alert_label(alert: Alert, *, actor: str, reason: str, at: datetime | None = None) -> AnalystLabel:
    return AnalystLabel(
        id=_new_id(alert.id), kind="alert", verdict="false_positive", actor=actor, at=at or datetime.now(UTC),
        reason=reason, alert_id=alert.id, alert_version=alert.version, rule=alert.rule,
        item_ids=list(alert.sample_item_ids))


def latest_item_verdicts(labels: Iterable[AnalystLabel]) -> list[AnalystLabel]:
    """The newest item verdict per (item, category), oldest first."""
    newest: dict[tuple[str, str], AnalystLabel] = {}
    for label in labels:
        if label.kind != "item" or label.item_id is None or label.category is None:
            continue
        key = (label.item_id, label.category)
        if key not in newest or (label.at, label.id) > (newest[key].at, newest[key].id):
            newest[key] = label
    return sorted(newest.values(), key=lambda label: (label.at, label.id))


# category → (label column, value when of it, value when not)
EXPORT_FORMATS: dict[str, tuple[str, str, str]] = {
    "hate_speech": ("label", "hateful", "non-hateful"),
    "violence_report": ("violent", "1", "0"),
}
_DEFAULT_FORMAT = ("label", "1", "0")
PROVENANCE = ("lang", "item_id", "model", "score", "verdict", "labelled_by", "labelled_at")


def export_header(category: str) -> list[str]:
    column, _, _ = EXPORT_FORMATS.get(category, _DEFAULT_FORMAT)
    return ["text", column, *PROVENANCE]


def export_rows(category: str, labels: Iterable[AnalystLabel]) -> list[list[str]]:
    """One row per item, its latest verdict on ``category``, in the training commands' format."""
    _, yes, no = EXPORT_FORMATS.get(category, _DEFAULT_FORMAT)
    rows = []
    for label in latest_item_verdicts(label for label in labels if label.category == category):
        rows.append([label.text, yes if label.label else no, label.lang or "", label.item_id or "",
                     label.model or "", "" if label.score is None else f"{label.score:.4f}", label.verdict,
                     label.actor, label.at.isoformat()])
    return rows


def write_export(handle: IO[str], category: str, labels: Iterable[AnalystLabel]) -> int:
    """Write the CSV (header first); the number of rows written. Text is written as it is:
    a training file must hold what the model read, so it is not for a spreadsheet."""
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(export_header(category))
    rows = export_rows(category, labels)
    writer.writerows(rows)
    return len(rows)


class LabelStore:
    """The labels index: verdicts are created, never changed."""

    def __init__(self, es: AsyncElasticsearch, index: str) -> None:
        self.es = es
        self.index = index
        self._installed = False

    async def install(self) -> None:
        await install_index(self.es, self.index, TEMPLATE_FILE)
        self._installed = True

    async def add(self, label: AnalystLabel) -> AnalystLabel:
        if not self._installed:
            await self.install()
        try:
            await self.es.create(index=self.index, id=label.id, document=label.model_dump(mode="json"),
                                 refresh=True)
        except (TransportError, ApiError) as exc:
            raise SearchUnavailable(f"storing a verdict in {self.index!r} failed: {exc}") from exc
        return label

    async def find(self, *, alert_id: str | None = None, item_ids: Sequence[str] = (),
                   category: str | None = None, size: int = 200) -> list[AnalystLabel]:
        """Newest first: verdicts on an alert or made from its page, or on these items."""
        should: list[dict[str, Any]] = []
        if alert_id:
            should.append({"term": {"alert_id": alert_id}})
        if item_ids:
            should.append({"terms": {"item_id": list(item_ids)}})
        clauses: list[dict[str, Any]] = (
            [{"bool": {"should": should, "minimum_should_match": 1}}] if should else [])
        if category:
            clauses.append({"term": {"category": category}})
        try:
            response = await self.es.search(index=self.index, query={"bool": {"filter": clauses}},
                                            sort=[{"at": {"order": "desc"}}, {"id": {"order": "desc"}}],
                                            size=size)
        except NotFoundError:
            return []
        return [AnalystLabel.model_validate(hit["_source"]) for hit in response["hits"]["hits"]]

    async def item_verdicts(self, category: str | None = None) -> AsyncIterator[AnalystLabel]:
        """Every item verdict (of one category), oldest first, page by page."""
        clauses: list[dict[str, Any]] = [{"term": {"kind": "item"}}]
        if category:
            clauses.append({"term": {"category": category}})
        after: list[Any] | None = None
        while True:
            body: dict[str, Any] = {"query": {"bool": {"filter": clauses}}, "size": _PAGE,
                                    "sort": [{"at": {"order": "asc"}}, {"id": {"order": "asc"}}]}
            if after is not None:
                body["search_after"] = after
            try:
                hits = (await self.es.search(index=self.index, **body))["hits"]["hits"]
            except NotFoundError:
                return
            for hit in hits:
                yield AnalystLabel.model_validate(hit["_source"])
            if len(hits) < _PAGE:
                return
            after = hits[-1]["sort"]

    async def categories(self) -> list[str]:
        """The categories that item verdicts were given on."""
        try:
            response = await self.es.search(index=self.index, size=0, query={"term": {"kind": "item"}},
                                            aggs={"names": {"terms": {"field": "category", "size": 500}}})
        except NotFoundError:
            return []
        return sorted(str(b["key"]) for b in response["aggregations"]["names"]["buckets"])
