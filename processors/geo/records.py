"""The places an item names as :class:`~tocsin.schema.Place` records: one per mention, or one per place.

Made for every place of every item, so compiled with the rest of the
per-mention path (:mod:`processors.geo.native`). Each record is a copy of the
cached place of its candidate (``place_of``) with the mention's span and
confidence: :func:`copied`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from processors.geo.resolve import COUNTRY, DEMONYM, Mention
from tocsin.schema import Place

_set: Final = object.__setattr__


def places(mentions: list[Mention], original: str, all_mentions: bool,
           place_of: Callable[[int], Place]) -> list[Place]:
    """One place per mention, or per place (its highest confidence; metonymic only if every mention is)."""
    if all_mentions:
        return [place(mention, original, mention.confidence, mention.metonymy, place_of)
                for mention in mentions]
    if len(mentions) == 1:      # (most RSS items name one place)
        mention = mentions[0]
        return [place(mention, original, mention.confidence, mention.metonymy, place_of)]
    merged: dict[tuple[int, int], tuple[Mention, float, bool]] = {}     # identity → first mention, best
    for mention in mentions:
        choice = mention.choice
        kind = choice & 3
        identity = (COUNTRY if kind == DEMONYM else kind, choice >> 2)
        seen = merged.get(identity)
        if seen is None:
            merged[identity] = (mention, mention.confidence, mention.metonymy)
            continue
        first, confidence, metonymy = seen
        if (mention.confidence or 0) > (confidence or 0):
            confidence = mention.confidence
        if not mention.metonymy:      # also named where things happened
            metonymy = False
        merged[identity] = (first, confidence, metonymy)
    return [place(first, original, confidence, metonymy, place_of)
            for first, confidence, metonymy in merged.values()]


def place(mention: Mention, original: str, confidence: float, metonymy: bool,
          place_of: Callable[[int], Place]) -> Place:
    update: dict[str, Any] = {"matched": original[mention.start:mention.end], "start": mention.start,
                              "end": mention.end, "confidence": confidence, "source": mention.source}
    if mention.metonymy:
        update["metonymy"] = metonymy
    return copied(place_of(mention.choice), update)


def copied(place: Place, update: dict[str, Any]) -> Place:
    """``place.model_copy(update=update)`` (the same fields, and fields set), at half its cost.

    ``model_copy`` spends most of its time on generic cases a :class:`Place`
    never has (extra fields, private attributes).
    ``tests/processors/test_places.py`` checks both agree.
    """
    made = Place.__new__(Place)
    values = place.__dict__.copy()
    values.update(update)
    _set(made, "__dict__", values)
    _set(made, "__pydantic_fields_set__", place.__pydantic_fields_set__ | update.keys())
    _set(made, "__pydantic_extra__", None)
    _set(made, "__pydantic_private__", None)
    return made
