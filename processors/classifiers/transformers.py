"""A Hugging Face text-classification model as a classifier plug-in.

Settings (``classifiers.transformers`` in the category file)::

    model: /models/xlmr-violence   # local directory, or a hub id already in the local cache
    labels: {VIOLENCE: violence_report, HATE: hate_speech}   # model label → category
    threshold: 0.7                 # a label scoring at least this is a hit
    batch_size: 32
    max_length: 256                # tokens; longer texts are truncated
    device: cpu                    # or cuda, cuda:0, mps
    local_files_only: true         # never download at run time (set false to allow the hub)

transformers (and torch) are imported only when this plug-in is built, so the
default keyword path never pays for them; if they are missing, or the model
cannot be loaded, building fails with :class:`ClassifierConfigError` naming
the cause, before the stream starts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from processors.categories import KeywordCategories
from processors.classifiers.protocol import ClassifierConfigError, ItemText
from tocsin.schema import CategoryHit


class TransformersSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    model: str = Field(min_length=1)
    labels: dict[str, str] = Field(min_length=1)
    threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    batch_size: int = Field(default=32, ge=1)
    max_length: int = Field(default=256, ge=8)
    device: str = "cpu"
    local_files_only: bool = True
    revision: str | None = None


class TransformersClassifier:
    """Runs a ``text-classification`` pipeline in batches and maps its labels to categories."""

    name = "transformers"

    def __init__(self, settings: TransformersSettings, pipe: Any) -> None:
        self.settings = settings
        self._pipe = pipe
        revision = f"@{settings.revision}" if settings.revision else ""
        self.version = Path(settings.model.rstrip("/")).name + revision
        self._classifier = f"{self.name}/{self.version}"

    @classmethod
    def from_config(cls, config: Mapping[str, Any], categories: KeywordCategories,
                    source: Path) -> TransformersClassifier:
        settings = _settings(config, source)
        for label, category in settings.labels.items():
            if category not in categories.names:
                raise ClassifierConfigError(
                    f"{source}: key 'classifiers.transformers.labels.{label}': category {category!r} "
                    f"is not defined (defined: {', '.join(categories.names)})")
        pipe = _load_pipeline(settings, source)
        known = set(getattr(pipe.model.config, "label2id", {}) or {})
        missing = sorted(set(settings.labels) - known)
        if missing:
            raise ClassifierConfigError(
                f"{source}: key 'classifiers.transformers.labels.{missing[0]}': the model "
                f"{settings.model!r} has no such label (it has: {', '.join(sorted(known))})")
        return cls(settings, pipe)

    def classify(self, texts: Sequence[ItemText]) -> list[dict[str, CategoryHit]]:
        if not texts:
            return []
        settings = self.settings
        outputs = self._pipe([text.text or " " for text in texts], batch_size=settings.batch_size,
                             truncation=True, max_length=settings.max_length, top_k=None)
        results: list[dict[str, CategoryHit]] = []
        for scored in outputs:
            hits: dict[str, CategoryHit] = {}
            for entry in scored if isinstance(scored, list) else [scored]:
                category = settings.labels.get(entry["label"])
                score = float(entry["score"])
                if category is None or score < settings.threshold:
                    continue
                if category not in hits or hits[category].score < score:
                    hits[category] = CategoryHit(score=round(min(max(score, 0.0), 1.0), 4),
                                                 terms=[], classifier=self._classifier)
            results.append(hits)
        return results


def _settings(config: Mapping[str, Any], source: Path) -> TransformersSettings:
    try:
        return TransformersSettings.model_validate(dict(config))
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(part) for part in error["loc"])
        raise ClassifierConfigError(
            f"{source}: key 'classifiers.transformers.{key}': {error['msg']}") from exc


def _load_pipeline(settings: TransformersSettings, source: Path) -> Any:
    try:
        import torch  # noqa: F401  (transformers' pipelines need a backend)
        from transformers import AutoModelForSequenceClassification, AutoTokenizer, pipeline
    except ImportError as exc:
        raise ClassifierConfigError(
            f"{source}: classifier 'transformers' needs the packages transformers and torch "
            f"(pip install transformers torch): {exc}") from exc
    try:
        options = {"local_files_only": settings.local_files_only, "revision": settings.revision}
        tokenizer = AutoTokenizer.from_pretrained(settings.model, **options)
        model = AutoModelForSequenceClassification.from_pretrained(settings.model, **options)
        model.eval()
        return pipeline("text-classification", model=model, tokenizer=tokenizer, device=settings.device)
    except Exception as exc:  # OSError (not found), ValueError (not a classifier), RuntimeError (device)
        raise ClassifierConfigError(
            f"{source}: classifier 'transformers' cannot load model {settings.model!r}"
            f"{' from local files only' if settings.local_files_only else ''}: {exc}") from exc
