"""Classifier plug-ins by the name used in ``config/classifiers.yaml`` (``first_stage: [keywords]``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from importlib import import_module
from pathlib import Path
from typing import Any

from processors.categories import KeywordCategories
from processors.classifiers.protocol import Classifier, ClassifierConfigError

Factory = Callable[[Mapping[str, Any], KeywordCategories, Path], Classifier]
"""Builds a classifier from its settings (the ``classifiers.<name>`` mapping), the categories, and the
path of the file the settings came from (for error messages)."""

# Built-in plug-ins, imported only when named, so the default path never imports torch.
_BUILTIN: dict[str, str] = {
    "keywords": "processors.classifiers.keywords:KeywordClassifier",
    "ngram": "processors.classifiers.ngram:NgramClassifier",
    "transformers": "processors.classifiers.transformers:TransformersClassifier",
    "zeroshot": "processors.classifiers.zeroshot:ZeroShotClassifier",
    "gate": "processors.classifiers.gate:GateClassifier",
    "encoder": "processors.classifiers.encoder:EncoderClassifier",
}
_registered: dict[str, Factory] = {}


def register(name: str, factory: Factory) -> None:
    """Add a plug-in under ``name`` (e.g. from a deployment's own package)."""
    _registered[name] = factory


def available() -> list[str]:
    return sorted({*_BUILTIN, *_registered})


def _factory(name: str) -> Factory:
    if name in _registered:
        return _registered[name]
    target = _BUILTIN.get(name)
    if target is None:
        raise ClassifierConfigError(f"unknown classifier {name!r}; available: {', '.join(available())}")
    module_name, _, attribute = target.partition(":")
    factory: Factory = getattr(import_module(module_name), attribute).from_config
    return factory


def build_classifiers(names: Sequence[str], categories: KeywordCategories,
                      settings: Mapping[str, Mapping[str, Any]] | None = None,
                      source: Path | None = None) -> list[Classifier]:
    """Build the named classifiers, each from its ``settings[name]`` mapping.

    ``settings`` is the ``classifiers:`` section of ``source`` (the classifiers
    file); without it, the category file's own ``classifiers:`` section is used,
    as before that section moved to ``config/classifiers.yaml``.
    """
    if not names:
        raise ClassifierConfigError("no classifier configured: name at least one, e.g. ['keywords']")
    if settings is None:
        settings, source = categories.spec.classifiers, categories.source
    source = source or categories.source
    check_known(settings, source)
    return [build_one(name, settings.get(name, {}), categories, source) for name in names]


def check_known(settings: Mapping[str, Any], source: Path) -> None:
    """Settings for a plug-in nobody registered are a typo, not something to ignore."""
    unknown = sorted(set(settings) - set(available()))
    if unknown:
        raise ClassifierConfigError(
            f"{source}: key 'classifiers.{unknown[0]}': no such classifier; "
            f"available: {', '.join(available())}")


def build_one(name: str, settings: Mapping[str, Any], categories: KeywordCategories,
              source: Path) -> Classifier:
    return _factory(name)(settings or {}, categories, source)
