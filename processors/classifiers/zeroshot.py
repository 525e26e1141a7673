"""Zero-shot classification with a natural-language-inference model, as a plug-in (``zeroshot``).

An NLI model says whether a premise (the item's text) entails a hypothesis
("This text reports an armed clash."). Categories and their sub-labels are
written as hypotheses, so a violence typology can change without training a
model. Settings (``classifiers.zeroshot`` in ``config/classifiers.yaml``)::

    model: /models/mdeberta-v3-base-xnli   # an NLI model: local directory or cached hub id
    threshold: 0.5                 # category score for a hit
    categories:
      violence_report:
        hypothesis: This text reports violence that actually happened.
        against:                   # competing readings of the same text
          - This text is an opinion or a commentary.
          - This text is fiction, a film, a game or a joke.
        template: This text reports {}.
        labels:                    # sub-label → what fills the template's {}
          armed_clash: an armed clash between armed groups
          killing: a killing or a massacre
        label_threshold: 0.5
    # and every key of the transformers plug-in that says how to run a model:
    # batch_size, max_length, device, torch_threads, runtime, quantize, calibration...

Scores, as in the Hugging Face zero-shot pipeline: a hypothesis alone scores
P(entailment) against P(contradiction) (neutral is ignored). The category
score is that of ``hypothesis``, multiplied, when ``against`` is given, by the
hypothesis's share of the entailment among it and its competitors, so a text
must both entail "violence happened" and entail it more than "this is opinion"
or "this is fiction". Sub-labels are multi-label: each scores its own
entailment, and only for items whose category is a hit (which keeps the cost
down: each hypothesis is one more forward pass per item).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from processors.categories import KeywordCategories
from processors.classifiers.protocol import ClassifierConfigError, ItemText
from processors.classifiers.registry import register
from processors.classifiers.transformers import (
    ModelSettings,
    TransformerModel,
    check_categories,
    parse_settings,
    softmax,
)
from tocsin.schema import CategoryHit


class Hypotheses(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hypothesis: str = Field(min_length=1)
    against: list[str] = Field(default_factory=list)
    template: str = "This text reports {}."
    labels: dict[str, str] = Field(default_factory=dict)
    label_threshold: float = Field(default=0.5, ge=0.0, le=1.0)

    @field_validator("template")
    @classmethod
    def _one_slot(cls, value: str) -> str:
        if value.count("{}") != 1:
            raise ValueError("needs exactly one '{}' where a label's text goes")
        return value


class ZeroShotSettings(ModelSettings):
    categories: dict[str, Hypotheses] = Field(min_length=1)
    entailment_label: str | None = Field(default=None, description="default: the label starting 'entail'")
    contradiction_label: str | None = Field(default=None, description="default: the label starting 'contra'")


@register("zeroshot")
class ZeroShotClassifier:
    name = "zeroshot"
    config_model = ZeroShotSettings

    def __init__(self, settings: ZeroShotSettings, model: TransformerModel, entailment: int,
                 contradiction: int) -> None:
        self.settings = settings
        self.model = model
        self.version = model.name
        self._classifier = f"{self.name}/{self.version}"
        self._entailment = entailment
        self._contradiction = contradiction
        self.categories = frozenset(settings.categories)

    @classmethod
    def from_config(cls, config: Mapping[str, Any], categories: KeywordCategories,
                    source: Path) -> ZeroShotClassifier:
        settings: ZeroShotSettings = parse_settings(ZeroShotSettings, config, source, cls.name)
        check_categories({f"classifiers.{cls.name}.categories.{name}": name for name in settings.categories},
                         categories, source)
        model = TransformerModel(settings, source, cls.name)
        entailment = _label_index(model, settings.entailment_label, "entail", "entailment_label", source)
        contradiction = _label_index(model, settings.contradiction_label, "contra", "contradiction_label",
                                     source)
        return cls(settings, model, entailment, contradiction)

    def classify(self, texts: Sequence[ItemText]) -> list[dict[str, CategoryHit]]:
        results: list[dict[str, CategoryHit]] = [{} for _ in texts]
        if not texts:
            return results
        settings = self.settings
        for category, spec in settings.categories.items():
            hypotheses = [spec.hypothesis, *spec.against]
            logits = self._pairs(texts, hypotheses)                     # (texts, hypotheses, labels)
            scores = self._entailed(logits[:, 0, :])
            if spec.against:
                scores = scores * softmax(logits[:, :, self._entailment])[:, 0]
            hit_rows = []
            for row, (text, raw) in enumerate(zip(texts, scores, strict=True)):
                score = min(max(settings.calibrated(float(raw), text.lang), 0.0), 1.0)
                if score >= settings.threshold:
                    results[row][category] = CategoryHit(score=round(score, 4), classifier=self._classifier)
                    hit_rows.append(row)
            if spec.labels and hit_rows:
                names = list(spec.labels)
                label_logits = self._pairs([texts[row] for row in hit_rows],
                                           [spec.template.format(spec.labels[name]) for name in names])
                for row, label_row in zip(hit_rows, label_logits, strict=True):
                    entailed = self._entailed(label_row)
                    results[row][category].labels = {
                        name: round(float(score), 4) for name, score in zip(names, entailed, strict=True)
                        if score >= spec.label_threshold}
        return results

    def _pairs(self, texts: Sequence[ItemText], hypotheses: list[str]) -> np.ndarray:
        premises = [text.text for text in texts for _ in hypotheses]
        logits = self.model.logits(premises, hypotheses * len(texts))
        return logits.reshape(len(texts), len(hypotheses), -1)

    def _entailed(self, logits: np.ndarray) -> np.ndarray:
        """P(entailment) against P(contradiction), per row of the last axis."""
        pair = softmax(logits[..., [self._entailment, self._contradiction]])
        result: np.ndarray = pair[..., 0]
        return result


def _label_index(model: TransformerModel, configured: str | None, prefix: str, key: str, source: Path) -> int:
    labels = model.id2label
    if configured is not None:
        found = [index for index, label in labels.items() if label == configured]
    else:
        found = [index for index, label in labels.items() if label.lower().startswith(prefix)]
    if len(found) != 1:
        raise ClassifierConfigError(
            f"{source}: key 'classifiers.zeroshot.{key}': the model {model.settings.model!r} is not an NLI "
            f"model with one such label (its labels: {', '.join(labels.values())}); name it with {key}")
    return found[0]
