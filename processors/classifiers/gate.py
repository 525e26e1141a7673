"""The gate: a static embedding distilled from the encoder, with its own heads (``gate``).

It reads every item, at thousands per second on one core, and says which
(item, category) pairs the encoder should read: a hit means "escalate", its
score the gate's calibrated probability. Its thresholds come with its model
(``escalate_at``: the highest that keep 95 % of hate speech and 98 % of violence
reports the encoders find among each language's held-out rows, the violence one on
an event the gate never saw; how they were drawn and the measured recall per
language and dev set are in ``models/gate/MODEL_CARD.md``). The cascade then sends every gate hit to
the encoder, whose verdict replaces it.

Settings (``classifiers.gate`` in ``config/classifiers.yaml``), all optional::

    model: models/gate            # folder with static.npz and heads.npz (default: the shipped gate)
    categories: [hate_speech, violence_report]
    escalate_at: {violence_report: 0.3}   # override the model's thresholds (lower: more recall, more
                                          # items for the encoder)
    max_chars: 1000               # characters the gate reads per item (as it was trained)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from processors.categories import KeywordCategories
from processors.classifiers.encoder import check_heads, model_path, parse
from processors.classifiers.heads import HeadsError, HeadSet
from processors.classifiers.ngram import SHIPPED_MODELS
from processors.classifiers.protocol import ClassifierConfigError, ItemText
from processors.classifiers.registry import register
from processors.encoders.protocol import EncoderError
from processors.encoders.static import StaticEmbedding
from tocsin.resources import shipped
from tocsin.schema import CategoryHit

DEFAULT_GATE = shipped(SHIPPED_MODELS, "gate")


class GateSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    model: Path = DEFAULT_GATE
    categories: list[str] | None = Field(default=None, min_length=1)
    escalate_at: dict[str, float] = Field(default_factory=dict)
    max_chars: int = Field(default=1000, ge=32)


@register("gate")
class GateClassifier:
    """First-stage plug-in: a hit for each category whose score reaches its escalation threshold."""

    name = "gate"
    config_model = GateSettings

    def __init__(
        self,
        static: StaticEmbedding,
        heads: HeadSet,
        *,
        categories: Sequence[str] | None = None,
        escalate_at: Mapping[str, float] | None = None,
    ) -> None:
        if heads.encoder != static.name:
            raise HeadsError(f"gate heads trained on {heads.encoder!r}, static embedding is {static.name!r}")
        self.static = static
        self.heads = heads
        self.categories = list(categories if categories is not None else heads.heads)
        self.escalate_at = {
            category: float(heads.escalate_at.get(category, 0.5)) for category in self.categories
        }
        self.escalate_at.update(escalate_at or {})
        self.version = heads.version
        self._classifier = f"{self.name}/{heads.version}"

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], categories: KeywordCategories, source: Path
    ) -> GateClassifier:
        settings: GateSettings = parse(GateSettings, config, source, cls.name)
        try:
            static = StaticEmbedding.load(model_path(settings.model), max_chars=settings.max_chars)
            heads = HeadSet.load(model_path(settings.model), encoder=static.name)
        except (EncoderError, HeadsError) as exc:
            raise ClassifierConfigError(f"{source}: classifier 'gate': {exc}") from exc
        names = check_heads(
            heads, settings.categories, categories, source, f"classifiers.{cls.name}.categories"
        )
        for category in settings.escalate_at:
            if category not in names:
                raise ClassifierConfigError(
                    f"{source}: key 'classifiers.gate.escalate_at.{category}': the gate "
                    f"does not score it (it scores: {', '.join(names)})"
                )
        return cls(static, heads, categories=names, escalate_at=settings.escalate_at)

    def scores(self, texts: Sequence[ItemText]) -> dict[str, np.ndarray]:
        """Calibrated gate scores per category, ``(n,)`` each."""
        vectors = self.static.embed([text.text for text in texts])
        langs = [text.lang for text in texts]
        return {category: self.heads.heads[category].scores(vectors, langs) for category in self.categories}

    def classify(self, texts: Sequence[ItemText]) -> list[dict[str, CategoryHit]]:
        if not texts:
            return []
        results: list[dict[str, CategoryHit]] = [{} for _ in texts]
        readable = np.array([bool(text.text.strip()) for text in texts])
        for category, scores in self.scores(texts).items():
            # an empty text (an erased post) embeds as the zero vector: nothing to escalate
            for row in np.flatnonzero((scores >= self.escalate_at[category]) & readable).tolist():
                results[row][category] = CategoryHit(
                    score=round(float(scores[row]), 4), classifier=self._classifier
                )
        return results
