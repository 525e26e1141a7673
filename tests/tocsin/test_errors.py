"""tocsin.errors: every exception class of every package is in the one tree, and in its list."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import pytest

import tocsin.errors
from tocsin.errors import ConfigError, InputError, PeerError, TocsinError

PACKAGES = ("tocsin", "tocsin_launch", "tocsin_embedded", "collectors", "processors", "alerts", "api")
# Modules that need what a plain install may lack, or that run something when imported.
SKIPPED = {"processors.training.train_first_stage"}


def exception_classes() -> list[type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        for info in pkgutil.walk_packages(package.__path__, f"{package_name}."):
            if info.name in SKIPPED:
                continue
            module = importlib.import_module(info.name)
            for _, value in inspect.getmembers(module, inspect.isclass):
                if issubclass(value, BaseException) and value.__module__ == info.name:
                    found[f"{value.__module__}.{value.__qualname__}"] = value
    return list(found.values())


MODULE = rf"(?:{'|'.join(PACKAGES)})(?:\.\w+)*"


def listed() -> dict[str, set[str]]:
    """Class name → the modules the tree in tocsin.errors' docstring gives for it: where a
    stage class is defined, or where the core raises one of the classes defined in tocsin.errors."""
    doc = tocsin.errors.__doc__ or ""
    entries: dict[str, set[str]] = {}
    for line in doc.splitlines():
        modules = rf"{MODULE}(?:, {MODULE})*"
        found = re.search(rf"(?:[─└├]─ |^ {{4}})([A-Z]\w+)(?:\s+({modules})\b)?", line)
        if found:
            entries[found[1]] = set(found[2].split(", ")) if found[2] else set()
    return entries


def where(cls: type[BaseException]) -> set[str]:
    """The modules a listing must give: the defining one, or any for the core's own classes."""
    return set() if cls.__module__ == "tocsin.errors" else {cls.__module__}


@pytest.fixture(scope="module")
def classes() -> list[type[BaseException]]:
    return exception_classes()


def test_every_public_exception_class_is_a_tocsin_error(classes: list[type[BaseException]]) -> None:
    outside = [f"{cls.__module__}.{cls.__qualname__}" for cls in classes
               if not cls.__name__.startswith("_") and not issubclass(cls, TocsinError)]
    assert outside == []


def test_every_class_is_listed_in_the_tree_with_its_module(classes: list[type[BaseException]]) -> None:
    entries = listed()
    missing = [f"{cls.__module__}.{cls.__qualname__}" for cls in classes
               if not cls.__name__.startswith("_")
               and (cls.__name__ not in entries or not where(cls) <= entries[cls.__name__])]
    assert missing == []


def test_the_tree_lists_no_class_that_does_not_exist(classes: list[type[BaseException]]) -> None:
    real = {(cls.__name__, cls.__module__) for cls in classes}
    core = {name for name, module in real if module == "tocsin.errors"}
    ghosts = [(name, module) for name, modules in listed().items() for module in modules or {"tocsin.errors"}
              if (name, module) not in real and name not in core]
    assert ghosts == []


def test_a_class_keeps_its_builtin_base_so_old_handlers_still_catch_it() -> None:
    from alerts.notify.protocol import NotifierConfigError
    from collectors.fetch import FetchError, UnsafeRedirect
    from collectors.state import StateError

    assert issubclass(NotifierConfigError, ConfigError) and issubclass(NotifierConfigError, ValueError)
    assert issubclass(UnsafeRedirect, FetchError) and issubclass(UnsafeRedirect, PeerError)
    assert issubclass(StateError, RuntimeError)
    assert not issubclass(InputError, ValueError)  # the branches themselves add no built-in base
