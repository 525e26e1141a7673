"""Classifier plug-ins by the name used in ``config/classifiers.yaml`` (``first_stage: [keywords]``).

One :class:`~tocsin.plugins.Registry` like every plug-in kind. A built-in is a module of
this package named like the plug-in (``ngram.py`` → ``ngram``), imported only when a
file names it, so the default path never imports torch. The module registers its
class with ``@register("ngram")``; a module that does not is still found when it
defines a class whose ``name`` is the module's name and that has ``from_config``.
Others come by entry point (``tocsin.classifiers``) or dotted path.

A plug-in is built with ``from_config(settings, categories, source_path)``: the
``classifiers.<name>`` mapping (validated by the plug-in itself, naming
``source_path`` and the key in its errors), the categories, and the file's path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar, overload

from processors.categories import KeywordCategories
from processors.classifiers.protocol import Classifier, ClassifierConfigError
from tocsin.errors import PluginError, UnknownPluginType
from tocsin.plugins import Plugin, Registry, entry_point_group

Factory = Callable[[Mapping[str, Any], KeywordCategories, Path], Classifier]
"""Builds a classifier from its settings (the ``classifiers.<name>`` mapping), the categories, and the
path of the file the settings came from (for error messages)."""

C = TypeVar("C", bound=type)


def _adopt(name: str, target: Any) -> Plugin[Factory]:
    """A class with ``from_config`` (its optional ``config_model`` documents its settings), or a factory."""
    factory = getattr(target, "from_config", None)
    if factory is None and isinstance(target, type):
        raise PluginError(f"classifier type {name!r}: {target.__qualname__} has no from_config"
                          "(settings, categories, source_path)")
    if factory is None and not callable(target):
        raise PluginError(f"classifier type {name!r}: {target!r} is neither a class nor a factory")
    return Plugin(name, getattr(target, "config_model", None), factory or target)


def _declared_in(module: ModuleType, name: str) -> type | None:
    """The class of ``module`` that calls itself ``name`` and has ``from_config``, if any."""
    for value in vars(module).values():
        if (isinstance(value, type) and value.__module__ == module.__name__
                and getattr(value, "name", None) == name and callable(getattr(value, "from_config", None))):
            return value
    return None


CLASSIFIERS: Registry[Factory] = Registry(
    "classifier", package="processors.classifiers", group=entry_point_group("classifiers"),
    adopt=_adopt, implicit=_declared_in)


@overload
def register(name: str) -> Callable[[C], C]: ...


@overload
def register(name: str, factory: Factory) -> None: ...


def register(name: str, factory: Factory | None = None) -> Callable[[C], C] | None:
    """Add a plug-in under ``name``: ``@register("ngram")`` on a class with ``from_config``,
    or ``register("mine", factory)`` from a deployment's own code."""
    if factory is not None:
        CLASSIFIERS.add(Plugin(name, None, factory))
        return None

    def decorate(cls: C) -> C:
        CLASSIFIERS.add(_adopt(name, cls))
        return cls

    return decorate


def available() -> list[str]:
    return CLASSIFIERS.names()


def known(name: str) -> bool:
    """Whether ``name`` (or a ``module:Class`` path, loaded here) is a classifier plug-in."""
    try:
        CLASSIFIERS.get(name)
    except UnknownPluginType:
        return False
    except PluginError as exc:
        raise ClassifierConfigError(str(exc)) from None
    return True


def _factory(name: str) -> Factory:
    try:
        return CLASSIFIERS.get(name).target
    except PluginError as exc:
        raise ClassifierConfigError(str(exc)) from None


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
    unknown = sorted(name for name in settings if not known(name))
    if unknown:
        raise ClassifierConfigError(
            f"{source}: key 'classifiers.{unknown[0]}': no such classifier; "
            f"available: {', '.join(available())}")


def build_one(name: str, settings: Mapping[str, Any], categories: KeywordCategories,
              source: Path) -> Classifier:
    return _factory(name)(settings or {}, categories, source)
