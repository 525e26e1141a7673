"""Plug-ins by the name a YAML file gives them: one typed registry per kind.

Sources, classifiers, rule types and notifiers are each a :class:`Registry` of
:class:`Plugin` entries: the name used in YAML, the plug-in's own config model, and
what builds it. A registry finds a name in this order, first match wins:

1. a plug-in registered already: a module that registered itself when it was
   imported, or a deployment's own code calling :meth:`Registry.add`;
2. a built-in: the module ``<package>.<name>`` of the registry's plug-in package if
   there is one, else every module of the package (imported once). A module
   registers what it defines when imported, so a new built-in is a new file, with
   no list to edit;
3. an entry point of an installed distribution, in the group ``tocsin.<kind>s``
   (``tocsin.sources``, ``tocsin.classifiers``, ``tocsin.rule_types``,
   ``tocsin.notifiers``), naming the plug-in class::

       [project.entry-points."tocsin.rule_types"]
       burst = "acme_tocsin.burst:BurstRule"

   A class that registers itself under that name with its kind's decorator, as a
   built-in does, is simply that plug-in: one module serves in the tree and out;
4. a dotted path, ``package.module:Attribute``, written where the name goes
   (``type: acme_tocsin.burst:BurstRule``), where the caller allows it: a dotted path
   imports code, so files that reach Tocsin through its API do not get to use one.

A name is taken once per kind: registering it again is a :class:`PluginError`,
whichever way it came. Only the modules a lookup needs are imported, so a kind
whose plug-ins pull in heavy libraries (classifiers and torch) stays lazy as long
as each module imports them when it builds, not when it is imported.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import logging
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from tocsin.errors import PluginError, UnknownPluginType

logger = logging.getLogger(__name__)

T = TypeVar("T")

ENTRY_POINT_PREFIX = "tocsin."


@dataclass(frozen=True)
class Plugin(Generic[T]):
    """One registered plug-in."""

    name: str
    config_model: type[BaseModel] | None
    """The model its YAML entry validates against (``extra="forbid"``: unknown keys are
    errors); None for a plug-in that validates its own settings (classifiers)."""
    target: T
    """What the kind builds instances with: a class or a factory."""


Adopt = Callable[[str, Any], Plugin[T]]
"""Turns an object loaded by entry point or dotted path into a plug-in of the kind, or
raises :class:`PluginError` saying why it is not one."""
Implicit = Callable[[ModuleType, str], Any]
"""Finds, in a built-in module that registered nothing, the object that is the plug-in
called like the module (or None): for plug-ins written before registration existed."""


class Registry(Generic[T]):
    """The plug-ins of one kind. ``kind`` names it in errors (``"rule"`` → "unknown rule type")."""

    def __init__(self, kind: str, *, package: str, group: str, adopt: Adopt[T],
                 implicit: Implicit | None = None) -> None:
        self.kind = kind
        self.package = package
        self.group = group
        self._adopt = adopt
        self._implicit = implicit
        self._plugins: dict[str, Plugin[T]] = {}
        self._discovered = False

    def add(self, plugin: Plugin[T]) -> Plugin[T]:
        """Register ``plugin``; its name must be free."""
        if plugin.name in self._plugins:
            raise PluginError(f"{self.kind} type {plugin.name!r} is registered twice "
                              f"({_origin(self._plugins[plugin.name].target)} and {_origin(plugin.target)})")
        self._plugins[plugin.name] = plugin
        return plugin

    def get(self, name: str, *, dotted_paths: bool = True) -> Plugin[T]:
        """The plug-in called ``name``; :class:`UnknownPluginType` (naming the known ones) if none is."""
        found = self._plugins.get(name)
        if found is not None:
            return found
        if ":" in name:
            return self._from_path(name, dotted_paths)
        if name.isidentifier():
            self._import_builtin(name)
            if name in self._plugins:
                return self._plugins[name]
        self.discover()
        if name in self._plugins:
            return self._plugins[name]
        entry_point = self._entry_points().get(name)
        if entry_point is not None:
            return self._load(name, entry_point.value, entry_point.load)
        raise UnknownPluginType(self.kind, name, self.names())

    def __contains__(self, name: str) -> bool:
        """Known by name (built-in, registered, entry point); a dotted path only once loaded."""
        if ":" in name:
            return name in self._plugins
        try:
            self.get(name)
        except UnknownPluginType:
            return False
        return True

    def names(self) -> list[str]:
        """Every name known without a dotted path: registered, built-in and by entry point."""
        self.discover()
        return sorted({*self._plugins, *self._entry_points()})

    def builtins(self) -> dict[str, Plugin[T]]:
        """The plug-ins the package itself defines (what Tocsin ships), by name: not those a
        deployment registered, nor entry points, nor dotted paths. The manual lists these."""
        self.discover()
        return {name: plugin for name, plugin in sorted(self._plugins.items())
                if _module_of(plugin.target).startswith(f"{self.package}.")}

    def discover(self) -> None:
        """Import every module of the plug-in package (once), registering what they define.

        A module whose own imports fail (an optional dependency not installed) is
        skipped with a warning, so it costs only its own plug-in: naming that one
        still raises the import error.
        """
        if self._discovered:
            return
        package = importlib.import_module(self.package)
        for info in pkgutil.iter_modules(package.__path__):
            if info.name.startswith("_"):
                continue
            try:
                self._import_builtin(info.name)
            except ImportError as exc:
                logger.warning("%s plug-ins: %s.%s not loaded: %s", self.kind, self.package, info.name, exc)
        self._discovered = True
        for name, entry_point in self._entry_points().items():
            if name in self._plugins:
                raise PluginError(f"entry point {entry_point.value!r} ({self.group}) takes the name of the "
                                  f"built-in {self.kind} type {name!r}; give it another name")

    def _import_builtin(self, name: str) -> None:
        module_name = f"{self.package}.{name}"
        if importlib.util.find_spec(module_name) is None:
            return
        module = importlib.import_module(module_name)
        if name not in self._plugins and self._implicit is not None:
            candidate = self._implicit(module, name)
            if candidate is not None:
                self.add(self._adopt(name, candidate))

    def _entry_points(self) -> dict[str, importlib.metadata.EntryPoint]:
        return {entry_point.name: entry_point
                for entry_point in importlib.metadata.entry_points(group=self.group)}

    def _from_path(self, path: str, allowed: bool) -> Plugin[T]:
        if not allowed:
            raise PluginError(f"{self.kind} type {path!r}: a dotted path is not accepted here; "
                              f"install the plug-in with an entry point in {self.group!r}")
        module_name, _, attribute = path.partition(":")

        def load() -> Any:
            target: Any = importlib.import_module(module_name)
            for part in attribute.split("."):
                target = getattr(target, part)
            return target

        return self._load(path, path, load)

    def _load(self, name: str, where: str, load: Callable[[], Any]) -> Plugin[T]:
        try:
            loaded = load()
        except Exception as exc:  # an import error in someone else's package: say which
            raise PluginError(f"{self.kind} type {name!r}: cannot load {where!r}: "
                              f"{type(exc).__name__}: {exc}") from exc
        registered = self._plugins.get(name)
        if registered is not None and _defines(loaded, registered.target):
            return registered  # its module registered it under this name as it was imported
        return self.add(self._adopt(name, loaded))


def _defines(loaded: object, target: object) -> bool:
    """Whether ``target`` is ``loaded`` or a method bound to it (a class's ``from_config``)."""
    return target is loaded or getattr(target, "__self__", None) is loaded


def _module_of(target: object) -> str:
    """The module that defines ``target`` (a class, a function, or a bound ``from_config``)."""
    return getattr(target, "__module__", None) or "?"


def _origin(target: object) -> str:
    module = _module_of(target)
    return f"{module}.{getattr(target, '__qualname__', type(target).__name__)}"


def entry_point_group(kind: str) -> str:
    """``tocsin.<kind>``: where installed distributions declare plug-ins of a kind."""
    return f"{ENTRY_POINT_PREFIX}{kind}"


def config_model_of(target: object, kind: str, name: str) -> type[BaseModel]:
    """A plug-in class's ``config_model``, or a :class:`PluginError` saying it has none."""
    model = getattr(target, "config_model", None)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise PluginError(f"{kind} type {name!r}: {_origin(target)} has no 'config_model' "
                          "(a pydantic model of its YAML keys)")
    return model
