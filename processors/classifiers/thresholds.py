"""Score thresholds: one for every category, overridden per category.

The cascade's escalation threshold and the encoder stage's hit threshold both work this
way, so a desk can move one category (more recall for violence, fewer false hate hits)
without touching the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from pydantic import Field

from processors.categories import KeywordCategories
from processors.classifiers.protocol import ClassifierConfigError

# A calibrated score lies in [0, 1]: a threshold outside it would silently mean "always" or "never".
Threshold = Annotated[float, Field(ge=0.0, le=1.0)]


@dataclass(frozen=True)
class Thresholds:
    default: float
    per_category: Mapping[str, float] = field(default_factory=dict)

    def of(self, category: str) -> float:
        """The category's own threshold where one is set, else the default."""
        return self.per_category.get(category, self.default)


def check_defined(per_category: Iterable[str], categories: KeywordCategories, key: str, source: Path) -> None:
    """Refuse a per-category threshold for a category the category file does not define (a typo)."""
    for category in per_category:
        if category not in categories.names:
            raise ClassifierConfigError(
                f"{source}: key '{key}.{category}': no such category (defined: {', '.join(categories.names)})"
            )
