"""What a classifier plug-in is, and what it is given."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from processors.folding import Folded, fold
from tocsin.errors import ConfigError
from tocsin.schema import CategoryHit


class ClassifierConfigError(ConfigError, ValueError):
    """A classifier cannot be built from its settings (bad key, missing package, unloadable model)."""


class ItemText:
    """The text of one item as classifiers see it: title and body, cut to the analysed length.

    ``folded`` (the matching form) is computed on first use and shared, so the
    keyword classifier and the gazetteer fold each item once.
    """

    __slots__ = ("_folded", "lang", "lang_confidence", "text", "title_chars")

    def __init__(self, text: str, lang: str, *, lang_confidence: float = 0.0, title_chars: int = 0,
                 folded: Folded | None = None) -> None:
        self.text = text
        self.lang = lang
        self.lang_confidence = lang_confidence
        self.title_chars = title_chars
        self._folded = folded

    @property
    def folded(self) -> Folded:
        if self._folded is None:
            self._folded = fold(self.text)
        return self._folded


@runtime_checkable
class Classifier(Protocol):
    """Scores a batch of texts; returns, per text, the categories that hit."""

    name: str
    version: str

    def classify(self, texts: Sequence[ItemText]) -> list[dict[str, CategoryHit]]:
        """One dict per text, in order; a category absent from a dict did not hit."""
        ...
