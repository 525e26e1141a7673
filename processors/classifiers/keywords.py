"""The default classifier: the analyst's keyword categories (``config/categories.yaml``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from processors.categories import KEYWORDS_CLASSIFIER, KeywordCategories
from processors.classifiers.protocol import ClassifierConfigError, ItemText
from processors.classifiers.registry import register
from tocsin.schema import CategoryHit


@register("keywords")
class KeywordClassifier:
    """Wraps :class:`~processors.categories.KeywordCategories`; needs no settings of its own."""

    name = "keywords"
    version = KEYWORDS_CLASSIFIER.split("/", 1)[1]

    def __init__(self, categories: KeywordCategories) -> None:
        self.categories = categories

    @classmethod
    def from_config(cls, config: Mapping[str, Any], categories: KeywordCategories,
                    source: Path) -> KeywordClassifier:
        if config:
            raise ClassifierConfigError(
                f"{source}: key 'classifiers.keywords.{next(iter(config))}': the keywords classifier "
                "takes no settings (its terms are the categories themselves)")
        return cls(categories)

    def classify(self, texts: Sequence[ItemText]) -> list[dict[str, CategoryHit]]:
        return [self.categories.match(text.folded, text.lang) for text in texts]
