"""The encoder classifier: a multilingual sentence encoder with trained heads (``encoder``).

Scores ``hate_speech`` (sub-labels: targeted groups; flags: its forms —
dehumanisation, threat or call to violence, derogation, slur) and
``violence_report`` (sub-labels: the eleven subtypes) from one embedding per
item, in any of the encoder's languages, with scores calibrated per language.
It is the cascade's second stage: the gate (:mod:`processors.classifiers.gate`)
and the keyword categories decide which items it reads, since at ~30 items/s
a core it cannot read all of a news stream.

Settings (``classifiers.encoder`` in ``config/classifiers.yaml``), all optional::

    model: models/encoder           # folder with heads.npz (default: the shipped heads)
    encoder: {kind: e5, threads: 1} # e5 (default) | use | checkpoint (+ model: /dir); heads are
                                    # trained for one encoder: the file says which, a mismatch fails at start
    categories: [hate_speech, violence_report]
    threshold: 0.5                  # a category is a hit from this calibrated score
    max_chars: 600                  # the encoder reads the first characters (title, lead)
    cache_size: 4096                # recent embeddings kept, by text (see embeddings())

Embeddings for other stages: :meth:`EncoderClassifier.embeddings` returns the
vectors of item texts, from a small cache when the classifier has just read
them, so incident fusion can compare items by meaning without a second pass.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from processors.categories import KeywordCategories
from processors.classifiers.heads import HeadsError, HeadSet
from processors.classifiers.protocol import ClassifierConfigError, ItemText
from processors.encoders import Encoder, EncoderError, EncoderSettings, prepare_text
from processors.encoders.registry import shared_encoder
from tocsin.schema import CategoryHit

REPO = Path(__file__).resolve().parents[2]
DEFAULT_HEADS = REPO / "models" / "encoder"


class EncoderClassifierSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    model: Path = DEFAULT_HEADS
    encoder: EncoderSettings = Field(default_factory=EncoderSettings)
    categories: list[str] | None = Field(default=None, min_length=1)
    threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    # Measured on the violence dev set and GeoVirus news: see the model card ("Input length").
    max_chars: int = Field(default=600, ge=32)
    cache_size: int = Field(default=4096, ge=0)


def parse(kind: type[BaseModel], config: Mapping[str, Any], source: Path, plugin: str) -> Any:
    try:
        return kind.model_validate(dict(config))
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(part) for part in error["loc"])
        raise ClassifierConfigError(f"{source}: key 'classifiers.{plugin}.{key}': {error['msg']}") from exc


def check_heads(
    heads: HeadSet, wanted: Sequence[str] | None, categories: KeywordCategories, source: Path, plugin: str
) -> list[str]:
    names = list(wanted) if wanted is not None else list(heads.heads)
    for name in names:
        if name not in heads.heads:
            raise ClassifierConfigError(
                f"{source}: key 'classifiers.{plugin}.categories': the heads have no "
                f"{name!r} (they have: {', '.join(heads.heads)})"
            )
        if name not in categories.names:
            raise ClassifierConfigError(
                f"{source}: key 'classifiers.{plugin}.categories': category {name!r} "
                f"is not defined (defined: {', '.join(categories.names)})"
            )
    return names


class EncoderClassifier:
    """Second-stage plug-in; ``categories`` says what it re-scores. Thread-safe."""

    name = "encoder"

    def __init__(
        self,
        encoder: Encoder,
        heads: HeadSet,
        *,
        categories: Sequence[str] | None = None,
        threshold: float = 0.5,
        max_chars: int = 600,
        cache_size: int = 4096,
    ) -> None:
        if heads.encoder != encoder.name:
            raise HeadsError(f"heads trained on {heads.encoder!r}, encoder is {encoder.name!r}")
        self.encoder = encoder
        self.heads = heads
        self.threshold = threshold
        self.max_chars = max_chars
        self.cache_size = cache_size
        self.categories = frozenset(categories if categories is not None else heads.heads)
        self.version = heads.version
        self._classifier = f"{self.name}/{heads.version}"
        self._cache: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], categories: KeywordCategories, source: Path
    ) -> EncoderClassifier:
        settings: EncoderClassifierSettings = parse(EncoderClassifierSettings, config, source, cls.name)
        try:
            encoder = shared_encoder(settings.encoder)
            heads = HeadSet.load(settings.model, encoder=encoder.name)
        except (EncoderError, HeadsError) as exc:
            raise ClassifierConfigError(f"{source}: classifier 'encoder': {exc}") from exc
        names = check_heads(heads, settings.categories, categories, source, cls.name)
        return cls(
            encoder,
            heads,
            categories=names,
            threshold=settings.threshold,
            max_chars=settings.max_chars,
            cache_size=settings.cache_size,
        )

    # -- embeddings ------------------------------------------------------------

    def embeddings(self, texts: Sequence[str]) -> np.ndarray:
        """``(n, dim)`` unit vectors of raw item texts (title + body), as the heads see them.

        Texts read recently (by this classifier or an earlier call) come from a
        bounded cache, keyed by the hash of the prepared text; the rest go
        through the encoder in one batch.
        """
        prepared = [prepare_text(text, self.max_chars) for text in texts]
        keys = [hashlib.sha1(text.encode("utf-8", "surrogatepass")).digest() for text in prepared]
        out = np.zeros((len(texts), self.encoder.dim), dtype=np.float32)
        missing: dict[bytes, list[int]] = {}
        with self._lock:
            for row, key in enumerate(keys):
                vector = self._cache.get(key)
                if vector is None:
                    missing.setdefault(key, []).append(row)
                else:
                    self._cache.move_to_end(key)
                    out[row] = vector
        if missing:
            rows = [indices[0] for indices in missing.values()]
            vectors = self.encoder.embed([prepared[row] for row in rows])
            with self._lock:
                for (key, indices), vector in zip(missing.items(), vectors, strict=True):
                    out[indices] = vector
                    if self.cache_size:
                        self._cache[key] = vector
                        if len(self._cache) > self.cache_size:
                            self._cache.popitem(last=False)
        return out

    # -- classification ----------------------------------------------------------

    def classify(self, texts: Sequence[ItemText]) -> list[dict[str, CategoryHit]]:
        if not texts:
            return []
        vectors = self.embeddings([text.text for text in texts])
        langs = [text.lang for text in texts]
        results: list[dict[str, CategoryHit]] = [{} for _ in texts]
        for category in sorted(self.categories):
            head = self.heads.heads[category]
            scores = head.scores(vectors, langs)
            hit_rows = np.flatnonzero(scores >= self.threshold)
            if not len(hit_rows):
                continue
            labels = head.labels.probabilities(vectors[hit_rows]) if head.labels is not None else None
            forms = head.forms.probabilities(vectors[hit_rows]) if head.forms is not None else None
            for k, row in enumerate(hit_rows.tolist()):
                results[row][category] = CategoryHit(
                    score=round(float(min(max(scores[row], 0.0), 1.0)), 4),
                    classifier=self._classifier,
                    labels=_on(head.labels.names, labels[k], head.labels.thresholds)
                    if head.labels is not None and labels is not None
                    else {},
                    flags=list(_on(head.forms.names, forms[k], head.forms.thresholds))
                    if head.forms is not None and forms is not None
                    else [],
                )
        return results


def _on(names: Sequence[str], probabilities: np.ndarray, thresholds: np.ndarray) -> dict[str, float]:
    """Labels at or above their thresholds, most likely first."""
    chosen = [(float(p), name) for name, p, t in zip(names, probabilities, thresholds, strict=True) if p >= t]
    return {name: round(p, 4) for p, name in sorted(chosen, reverse=True)}


def encoder_of(classifiers: Sequence[object]) -> EncoderClassifier | None:
    """The encoder plug-in among ``classifiers`` (searching cascades' stages), e.g. ``Enricher.classifiers``.

    For stages after classification that compare items by meaning (incident
    fusion): ``encoder_of(enricher.classifiers).embeddings(texts)`` reuses the
    loaded model and the vectors it has just computed.
    """
    for classifier in classifiers:
        if isinstance(classifier, EncoderClassifier):
            return classifier
        stages = [getattr(classifier, "first", None), getattr(classifier, "second", None)]
        found = encoder_of([c for stage in stages if isinstance(stage, list) for c in stage])
        if found is not None:
            return found
    return None
