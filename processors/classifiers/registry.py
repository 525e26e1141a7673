"""Classifier plug-ins by the name used in settings (``classifiers: [keywords, transformers]``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from importlib import import_module
from pathlib import Path
from typing import Any

from processors.categories import KeywordCategories
from processors.classifiers.protocol import Classifier, ClassifierConfigError

Factory = Callable[[Mapping[str, Any], KeywordCategories, Path], Classifier]
"""Builds a classifier from its settings (the ``classifiers.<name>`` mapping of the category file)."""

# Built-in plug-ins, imported only when named, so the default path never imports torch.
_BUILTIN: dict[str, str] = {
    "keywords": "processors.classifiers.keywords:KeywordClassifier",
    "transformers": "processors.classifiers.transformers:TransformersClassifier",
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


def build_classifiers(names: Sequence[str], categories: KeywordCategories) -> list[Classifier]:
    """Build the named classifiers, each from its ``classifiers.<name>`` settings in the category file."""
    if not names:
        raise ClassifierConfigError("no classifier configured: name at least one, e.g. ['keywords']")
    configured = categories.spec.classifiers
    unknown = sorted(set(configured) - set(available()))
    if unknown:
        raise ClassifierConfigError(
            f"{categories.source}: key 'classifiers.{unknown[0]}': no such classifier; "
            f"available: {', '.join(available())}")
    built: list[Classifier] = []
    for name in names:
        built.append(_factory(name)(configured.get(name, {}), categories, categories.source))
    return built
