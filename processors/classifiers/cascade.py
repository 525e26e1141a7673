"""The classification cascade: a fast first stage on every item, a transformer on the likely ones.

Keyword matching (and an n-gram model, when installed) costs microseconds per
item; a transformer costs milliseconds. Most items of a news or social stream
are about neither hate speech nor violence, so the cascade runs the expensive
stage only on an (item, category) whose first-stage score reaches a low
threshold, and lets the transformer's verdict replace the first stage's there.

The cascade and the plug-ins' settings live in ``config/classifiers.yaml``
(``ProcessingSettings.classifiers_file``)::

    version: 1
    cascade:
      first_stage: [keywords, ngram]   # score every item; [] = off (the second stage then sees all)
      optional: [ngram]                # skipped, with a warning, when not installed or not buildable
      second_stage: [transformers]     # re-score likely items; [] = off
      threshold: 0.2                   # first-stage score at which a category goes to the second stage
      category_thresholds: {hate_speech: 0.3}
    classifiers:                       # each plug-in's own settings, by name
      transformers: {model: /models/xlmr-hate, labels: {HATE: hate_speech}}

Merge rule, per item and category sent to the second stage: the second stage's
hit replaces the first stage's (its score, its classifier name/version, its
sub-labels, flags added), keeping the first stage's matched terms for the
analyst; when the second stage finds nothing there, the category is dropped. A
category the second stage was not asked about keeps its first-stage hit.
Keyword scores are 0 or at least 0.5 (a category is reported only from its
``min_score`` on), so with keywords alone any threshold up to 0.5 means "any
keyword hit"; a graded first stage (the n-gram model) makes the threshold bite.

``ProcessingSettings.classifiers`` (when set) and ``.second_stage`` override the
file's two stage lists from the environment, e.g. to switch the transformer off
during an incident without editing files.
"""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from processors.categories import KeywordCategories
from processors.classifiers.protocol import Classifier, ClassifierConfigError, ItemText
from processors.classifiers.registry import available, build_one, check_known, known
from processors.classifiers.thresholds import Threshold, Thresholds, check_defined
from tocsin.config_files import read_yaml
from tocsin.schema import CategoryHit
from tocsin.settings import ProcessingSettings

logger = logging.getLogger(__name__)


@runtime_checkable
class Rescorer(Classifier, Protocol):
    """A second-stage classifier: it says which categories it scores, so only those are sent to it.

    Optional, found by name: ``rescore(texts, asked)`` (told which categories each item was
    escalated for), ``unscreened(texts)`` (per item, the categories it reads whatever the first
    stage says; see :class:`~processors.classifiers.encoder.EncoderClassifier`) and, with both,
    a ``rescore`` that takes ``unscreened=`` is handed that answer instead of computing it again.
    """

    categories: frozenset[str]


class CascadeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first_stage: list[str] = Field(default_factory=lambda: ["keywords"])
    second_stage: list[str] = Field(default_factory=list)
    optional: list[str] = Field(default_factory=list)
    # Low on purpose: the first stage is there to find candidates, not to decide.
    threshold: Threshold = 0.2
    category_thresholds: dict[str, Threshold] = Field(default_factory=dict)


class ClassifierFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(default=1, ge=1, le=1)
    cascade: CascadeSettings = Field(default_factory=CascadeSettings)
    classifiers: dict[str, dict[str, Any]] = Field(default_factory=dict)


def load_classifier_file(path: Path | str) -> ClassifierFile:
    """Read and validate ``classifiers.yaml``; errors name the file and the key."""
    path = Path(path)
    data = read_yaml(path, ClassifierConfigError, none="{}")
    if not isinstance(data, Mapping):
        raise ClassifierConfigError(f"{path}: must be a YAML mapping (version, cascade, classifiers)")
    try:
        return ClassifierFile.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(part) for part in error["loc"])
        raise ClassifierConfigError(f"{path}: key '{key}': {error['msg']}") from exc


class Cascade:
    """Two stages of classifiers behaving as one :class:`Classifier`; thread-safe if its stages are.

    ``stats`` counts items seen and, per second-stage plug-in, items sent to it.
    """

    name = "cascade"
    version = "1"

    def __init__(self, first: Sequence[Classifier], second: Sequence[Rescorer], *, threshold: float = 0.2,
                 category_thresholds: Mapping[str, float] | None = None) -> None:
        if not first and not second:
            raise ClassifierConfigError("both cascade stages are off: name at least one classifier")
        self.first = list(first)
        self.second = list(second)
        self._escalate_from = Thresholds(threshold, dict(category_thresholds or {}))
        self._lock = threading.Lock()
        self._seen = 0
        self._sent = {classifier.name: 0 for classifier in self.second}

    @property
    def threshold(self) -> float:
        """The first-stage score from which an item goes on to the second stage."""
        return self._escalate_from.default

    @property
    def category_thresholds(self) -> Mapping[str, float]:
        """Per category, overriding :attr:`threshold`."""
        return self._escalate_from.per_category

    @property
    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"items": self._seen, **{f"to {name}": sent for name, sent in self._sent.items()}}

    def classify(self, texts: Sequence[ItemText]) -> list[dict[str, CategoryHit]]:
        results: list[dict[str, CategoryHit]] = [{} for _ in texts]
        for classifier in self.first:
            for merged, hits in zip(results, classifier.classify(texts), strict=True):
                for category, hit in hits.items():
                    merged[category] = strongest(merged.get(category), hit)
        first_scores = [{category: hit.score for category, hit in hits.items()} for hits in results]
        sent: dict[str, int] = {}
        for classifier in self.second:
            # a plug-in may read some items whatever the first stage says (see EncoderClassifier.unscreened)
            unscreened = getattr(classifier, "unscreened", None)
            always = unscreened(texts) if callable(unscreened) else [set() for _ in texts]
            escalated = [set(self._escalated(classifier.categories, scores)) for scores in first_scores]
            rows = [row for row in range(len(texts)) if escalated[row] or always[row]]
            sent[classifier.name] = len(rows)
            if not rows:
                continue
            chosen = [texts[row] for row in rows]
            rescore = getattr(classifier, "rescore", None)
            # a plug-in that can score some categories alone is told which were escalated (it adds
            # the ones it reads unscreened, and may judge those more strictly); one whose rescore()
            # takes ``unscreened`` is given what it said above rather than asked again
            asked = [escalated[row] for row in rows]
            if not callable(rescore):
                rescored = classifier.classify(chosen)
            elif callable(unscreened) and takes_unscreened(rescore):
                rescored = rescore(chosen, asked, unscreened=[always[row] for row in rows])
            else:
                rescored = rescore(chosen, asked)
            for row, hits in zip(rows, rescored, strict=True):
                for category in sorted(escalated[row] | always[row]):
                    replaced = merge(results[row].get(category), hits.get(category))
                    if replaced is None:
                        results[row].pop(category, None)
                    else:
                        results[row][category] = replaced
        with self._lock:
            self._seen += len(texts)
            for name, count in sent.items():
                self._sent[name] += count
        return results

    def _escalated(self, categories: frozenset[str], scores: dict[str, float]) -> list[str]:
        if not self.first:
            return sorted(categories)
        return sorted(category for category in categories
                      if scores.get(category, 0.0) >= self._escalate_from.of(category))


def takes_unscreened(rescore: Callable[..., object]) -> bool:
    """Whether a plug-in's ``rescore`` accepts ``unscreened=`` (those written before it was added do not)."""
    try:
        return "unscreened" in inspect.signature(rescore).parameters
    except (TypeError, ValueError):  # a builtin or C callable without a readable signature
        return False


def strongest(kept: CategoryHit | None, other: CategoryHit) -> CategoryHit:
    """Two first-stage hits of one category: the higher score, with the matched terms of both.

    The gate reports no terms; the keywords' terms must survive it scoring higher.
    """
    if kept is None:
        return other
    high, low = (other, kept) if other.score > kept.score else (kept, other)
    if not low.terms:
        return high
    return high.model_copy(update={"terms": [*high.terms, *(t for t in low.terms if t not in high.terms)]})


def merge(first: CategoryHit | None, second: CategoryHit | None) -> CategoryHit | None:
    """The second stage's verdict, with the first stage's matched terms kept for the analyst."""
    if second is None or first is None:
        return second
    return CategoryHit(
        score=second.score,
        terms=[*first.terms, *(term for term in second.terms if term not in first.terms)],
        classifier=second.classifier,
        labels={**first.labels, **second.labels},
        flags=[*first.flags, *(flag for flag in second.flags if flag not in first.flags)],
    )


def build_cascade(settings: ProcessingSettings, categories: KeywordCategories) -> Cascade:
    """The cascade of ``settings.classifiers_file``, with the environment's stage overrides applied."""
    source = settings.classifiers_file
    spec = load_classifier_file(source)
    plugin_settings = dict(spec.classifiers)
    legacy = categories.spec.classifiers
    if legacy:
        # Plug-in settings used to live in the category file; still honoured there.
        for name in legacy:
            if name in plugin_settings:
                raise ClassifierConfigError(
                    f"{categories.source}: key 'classifiers.{name}': settings for {name!r} are also in "
                    f"{source}; keep them only there")
        logger.warning("%s: the 'classifiers' section belongs in %s now", categories.source, source)
        check_known(legacy, categories.source)
        plugin_settings.update(legacy)
    cascade = spec.cascade
    check_known({name: value for name, value in spec.classifiers.items() if name not in cascade.optional},
                source)
    first_names = settings.classifiers if "classifiers" in settings.model_fields_set else cascade.first_stage
    second_names = cascade.second_stage if settings.second_stage is None else settings.second_stage
    for key, names in (("first_stage", first_names), ("second_stage", second_names),
                       ("optional", cascade.optional)):
        for index, name in enumerate(names):
            if not known(name) and name not in cascade.optional:
                raise ClassifierConfigError(
                    f"{source}: key 'cascade.{key}.{index}': unknown classifier {name!r}; "
                    f"available: {', '.join(available())}")
    both = sorted(set(first_names) & set(second_names))
    if both:
        raise ClassifierConfigError(f"{source}: key 'cascade.second_stage': {both[0]!r} is in both stages")
    check_defined(cascade.category_thresholds, categories, "cascade.category_thresholds", source)

    def build(name: str) -> Classifier | None:
        if name in cascade.optional:
            if not known(name):
                logger.info("optional classifier %r is not installed; the cascade runs without it", name)
                return None
            try:
                return build_one(name, plugin_settings.get(name, {}), categories, source)
            except ClassifierConfigError as exc:
                logger.warning("optional classifier %r left out: %s", name, exc)
                return None
        return build_one(name, plugin_settings.get(name, {}), categories, source)

    first = [classifier for name in first_names if (classifier := build(name)) is not None]
    if first_names and not first:
        # Running on without a first stage would send every item to the second one.
        raise ClassifierConfigError(
            f"{source}: key 'cascade.first_stage': every classifier in it was left out")
    second: list[Rescorer] = []
    for index, name in enumerate(second_names):
        classifier = build(name)
        if classifier is None:
            continue
        if not isinstance(classifier, Rescorer):
            raise ClassifierConfigError(
                f"{source}: key 'cascade.second_stage.{index}': {name!r} cannot re-score: it does not say "
                "which categories it scores (a 'categories' attribute)")
        second.append(classifier)
    return Cascade(first, second, threshold=cascade.threshold,
                   category_thresholds=cascade.category_thresholds)
