"""Place mentions proposed by a transformers token-classification (NER) model.

When ``config/places.yaml`` names a model, its entities with a place label
(LOC, GPE...) replace the gazetteer's own name matching as the source of
mentions; the gazetteer then resolves each proposed span to a place (the
longest gazetteer name inside it) or drops it. A model finds names the
gazetteer's capitalisation and stop-word rules would miss or wrongly take,
at the cost of a forward pass per item.

transformers and torch are imported only when a model is configured, so the
default path never pays for them; a missing package or an unloadable model
raises :class:`~processors.geo.config.PlacesConfigError` naming the cause.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from processors.geo.config import NerSettings, PlacesConfigError


@dataclass(frozen=True, slots=True)
class Proposal:
    """An entity the model calls a place: [start, end) in the text, its label and score."""

    start: int
    end: int
    label: str
    score: float


class NerProposer:
    """Runs a ``token-classification`` pipeline in batches and keeps entities with a place label."""

    def __init__(self, settings: NerSettings, pipe: Any) -> None:
        self.settings = settings
        self._pipe = pipe
        self._labels = frozenset(settings.labels)
        self.version = Path((settings.model or "").rstrip("/")).name

    @classmethod
    def from_settings(cls, settings: NerSettings, source: Path | str = "places.yaml") -> NerProposer:
        if not settings.model:
            raise PlacesConfigError(f"{source}: key 'ner.model': no model configured")
        return cls(settings, _load_pipeline(settings, source))

    def propose(self, texts: Sequence[str]) -> list[list[Proposal]]:
        """Place entities of each text, in order; a text without words gives none (and is not run)."""
        results: list[list[Proposal]] = [[] for _ in texts]
        todo = [i for i, text in enumerate(texts) if any(ch.isalnum() for ch in text)]
        if not todo:
            return results
        settings = self.settings
        outputs = self._pipe([texts[i] for i in todo], batch_size=settings.batch_size)
        if outputs and isinstance(outputs[0], dict):   # one text: a flat list
            outputs = [outputs]
        for i, entities in zip(todo, outputs, strict=True):
            text = texts[i]
            for entity in entities:
                label = str(entity.get("entity_group") or entity.get("entity") or "")
                label = label.split("-", 1)[1] if label[:2] in ("B-", "I-") else label
                score = float(entity.get("score", 0.0))
                start, end = entity.get("start"), entity.get("end")
                if (label not in self._labels or score < settings.min_score
                        or not isinstance(start, int) or not isinstance(end, int)
                        or not 0 <= start < end <= len(text)):
                    continue
                results[i].append(Proposal(start, end, label, score))
        return results


def _load_pipeline(settings: NerSettings, source: Path | str) -> Any:
    try:
        import torch  # noqa: F401  (transformers' pipelines need a backend)
        from transformers import AutoModelForTokenClassification, AutoTokenizer, pipeline
    except ImportError as exc:
        raise PlacesConfigError(
            f"{source}: key 'ner.model': NER needs the packages transformers and torch "
            f"(pip install transformers torch): {exc}") from exc
    name = str(settings.model)
    try:
        options = {"local_files_only": settings.local_files_only}
        tokenizer = AutoTokenizer.from_pretrained(name, **options)
        model = AutoModelForTokenClassification.from_pretrained(name, **options)
        model.eval()
        # The pipeline truncates at the tokenizer's model_max_length: cap it.
        limit = int(getattr(tokenizer, "model_max_length", 0) or settings.max_length)
        tokenizer.model_max_length = min(limit, settings.max_length)
        return pipeline("token-classification", model=model, tokenizer=tokenizer,
                        aggregation_strategy="simple", device=settings.device)
    except Exception as exc:  # OSError (not found), ValueError (not a token classifier), RuntimeError
        raise PlacesConfigError(
            f"{source}: key 'ner.model': cannot load model {settings.model!r}: {exc}") from exc

