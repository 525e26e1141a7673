"""Raw item → enriched item: language, categories, places. Pure; no I/O after construction.

:class:`Enricher` loads everything once (categories, classifiers, language
models, gazetteer: about two seconds) and is then safe to share between the
threads of an executor. :func:`decode_item` turns a consumed payload into an
:class:`~tocsin.schema.Item` or raises :class:`BadItem` with a reason the
caller dead-letters under.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from pydantic import ValidationError

from processors.categories import KeywordCategories, load_categories
from processors.classifiers.cascade import build_cascade
from processors.classifiers.protocol import Classifier, ItemText
from processors.geo.gazetteer import Gazetteer, LocateRequest, Location
from processors.geo.shared import shared_gazetteer
from processors.language import LanguageIdentifier, shared_identifier
from tocsin.errors import InputError
from tocsin.schema import CategoryHit, EnrichedItem, Item
from tocsin.settings import ProcessingSettings

OVERSIZE = "oversize"
BAD_ENCODING = "bad-encoding"
UNPARSEABLE = "unparseable"
INVALID = "invalid"


class BadItem(InputError, ValueError):
    """A payload that is not an item; ``reason`` is one of oversize, bad-encoding, unparseable, invalid."""

    def __init__(self, reason: str, detail: str) -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}")


def decode_item(payload: bytes, max_bytes: int) -> Item:
    """Parse one ``items.raw`` payload, or raise :class:`BadItem` saying why not.

    The common case is one pass of pydantic's JSON parser; only a failure pays
    for finding out which reason applies.
    """
    if not isinstance(payload, bytes | bytearray | memoryview):
        raise BadItem(UNPARSEABLE, f"expected bytes, got {type(payload).__name__}")
    size = len(payload)
    if size > max_bytes:
        raise BadItem(OVERSIZE, f"{size} bytes, more than the {max_bytes} allowed")
    try:
        item: Item = Item.model_validate_json(payload)
        return item
    except ValidationError as exc:
        failure = exc
    try:
        text = bytes(payload).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadItem(BAD_ENCODING, f"not valid UTF-8 at byte {exc.start}: {exc.reason}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadItem(UNPARSEABLE, f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise BadItem(UNPARSEABLE, "not JSON: nested too deeply") from None
    if not isinstance(data, dict):
        raise BadItem(INVALID, f"expected a JSON object, got {type(data).__name__}")
    if any(error["type"] == "json_invalid" for error in failure.errors()):
        # Python's json took it but pydantic's did not: a \ud800-style escape of a
        # lone surrogate, which no UTF-8 text can carry.
        raise BadItem(BAD_ENCODING, str(failure)[:2000]) from None
    raise BadItem(INVALID, str(failure)[:2000]) from None


class Enricher:
    """Adds language, categories and places to items; build with :meth:`from_settings`."""

    def __init__(self, *, categories: KeywordCategories, classifiers: Sequence[Classifier],
                 language: LanguageIdentifier, gazetteer: Gazetteer,
                 max_analysed_chars: int = 20_000) -> None:
        self.categories = categories
        self.classifiers = list(classifiers)
        self.language = language
        self.gazetteer = gazetteer
        self.max_analysed_chars = max_analysed_chars

    @classmethod
    def from_settings(cls, settings: ProcessingSettings) -> Enricher:
        """Load categories, the classifier cascade, language models and gazetteer (raises on bad config)."""
        categories = load_categories(settings.categories_file)
        classifiers: list[Classifier] = [build_cascade(settings, categories)]
        # Text is cut to max_analysed_chars before it reaches the identifier, which
        # samples far less anyway, so the shared default identifier always fits.
        return cls(categories=categories, classifiers=classifiers, language=shared_identifier(),
                   gazetteer=shared_gazetteer(), max_analysed_chars=settings.max_analysed_chars)

    def enrich(self, item: Item, now: datetime | None = None) -> EnrichedItem:
        return self.enrich_many([item], now)[0]

    def enrich_many(self, items: Sequence[Item], now: datetime | None = None) -> list[EnrichedItem]:
        """Enrich a batch (classifiers see the whole batch at once); order is kept."""
        processed = now or datetime.now(UTC)
        texts = [self._text(item) for item in items]
        categories: list[dict[str, CategoryHit]] = [{} for _ in items]
        for classifier in self.classifiers:
            for merged, hits in zip(categories, classifier.classify(texts), strict=True):
                for name, hit in hits.items():
                    if name not in merged or merged[name].score < hit.score:
                        merged[name] = hit
        locations = self.gazetteer.locate_many([
            LocateRequest(text.folded, text.title_chars, item.country_hint, text.lang, item.geotag)
            for item, text in zip(items, texts, strict=True)])
        return [self._enriched(item, text, hits, location, processed)
                for item, text, hits, location in zip(items, texts, categories, locations, strict=True)]

    def _text(self, item: Item) -> ItemText:
        title = item.title or ""
        body = f"{title}\n{item.text}" if title else item.text
        body = body[: self.max_analysed_chars]
        lang, confidence = self.language.identify(body, item.lang_hint)
        return ItemText(body, lang, lang_confidence=confidence, title_chars=len(title) + 1 if title else 0)

    def _enriched(self, item: Item, text: ItemText, hits: dict[str, CategoryHit], location: Location,
                  processed: datetime) -> EnrichedItem:
        # Nested models are passed as instances, which pydantic does not revalidate:
        # validating is cheaper here than model_construct (6.5 µs against 7.8 µs).
        return EnrichedItem(
            **dict(item), lang=text.lang, lang_confidence=text.lang_confidence, categories=hits,
            places=location.places, country=location.country, admin1=location.admin1, city=location.city,
            location=location.geo_point, processed=processed)
