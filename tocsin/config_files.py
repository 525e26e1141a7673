"""The YAML config files, read one way: the same errors, and one meaning of an empty file.

**An empty file is an error.** A file that holds nothing (or only comments) is far
more often a truncated write, a mount gone wrong or a path mix-up than a wish, and a
monitoring tool that silently watches nothing is the worst way to fail. To configure
none on purpose, say so: ``feeds: []``, ``rules: []``, ``notifiers: []``, or ``{}``
for a settings file whose every key has a default. A list key written with no value
(``notifiers:`` over entries all commented out) means an empty list, like ``[]``.

The plug-in lists (``feeds:``, ``rules:``, ``notifiers:``) are read by
:func:`parse_plugin_list`: every entry names its plug-in by ``type`` and is validated
by that plug-in's own config model, so an unknown key is an error that names the
file, the entry and the key; names must be unique within the file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from tocsin.errors import ConfigError, PluginError
from tocsin.plugins import Plugin, Registry

T = TypeVar("T")


def read_yaml(path: Path | str, error: Callable[[str], ConfigError], *, none: str) -> Any:
    """The YAML document in ``path``; ``error`` (called with a message that begins with the
    path) for an unreadable, invalid or empty file.

    ``none`` is how to say "nothing" on purpose in this file (``feeds: []``); an empty
    file's error tells the reader to write it.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML: {exc}") from None
    if document is None:
        raise error(f"{path}: the file is empty; write '{none}' to configure nothing on purpose")
    return document


def describe(exc: ValidationError, whole: str = "entry") -> str:
    """``field: problem`` for each error, ``;``-separated; never the input, which may be a secret.
    A problem with no field (a rule across fields) is put on ``(<whole>)``."""
    parts = []
    for error in exc.errors(include_input=False, include_url=False):
        where = ".".join(str(part) for part in error["loc"]) or f"({whole})"
        parts.append(f"{where}: {'unknown key' if error['type'] == 'extra_forbidden' else error['msg']}")
    return "; ".join(parts)


@dataclass(frozen=True)
class Entry(Generic[T]):
    """One validated entry of a plug-in list."""

    where: str
    """``<file>: feeds[3] (name)``: how errors about this entry begin."""
    config: Any
    """An instance of the plug-in's config model."""
    plugin: Plugin[T]


def parse_plugin_list(document: Any, origin: str, *, key: str, registry: Registry[T],
                      error: type[ConfigError], default_type: str | None = None,
                      dotted_paths: bool = True) -> list[Entry[T]]:
    """Validate ``{key: [entries]}``, each entry by its plug-in's config model.

    ``origin`` names the document in errors (the file's path). ``default_type`` is the
    ``type`` of an entry that gives none (``rss`` for feeds); without it, ``type`` is
    required. ``dotted_paths`` allows ``type: package.module:Class``.
    """
    if not isinstance(document, dict):
        raise error(f"{origin}: expected a mapping with a '{key}' list, got {type(document).__name__}")
    unknown = sorted(str(name) for name in document if name != key)
    if unknown:
        raise error(f"{origin}: unknown top-level key(s): {', '.join(unknown)}")
    raw_entries = document.get(key)
    if raw_entries is None:
        raw_entries = []
    if not isinstance(raw_entries, list):
        raise error(f"{origin}: '{key}' must be a list, got {type(raw_entries).__name__}")
    entries: list[Entry[T]] = []
    first_index: dict[str, int] = {}
    for index, raw in enumerate(raw_entries):
        where = f"{origin}: {key}[{index}]"
        if not isinstance(raw, dict):
            raise error(f"{where}: expected a mapping, got {type(raw).__name__}")
        if isinstance(raw.get("name"), str):
            where += f" ({raw['name']})"
        type_name = raw.get("type", default_type)
        if not isinstance(type_name, str):
            raise error(f"{where}: type: required, the name of a {registry.kind} type "
                        f"({', '.join(registry.names())})")
        try:
            plugin = registry.get(type_name, dotted_paths=dotted_paths)
        except PluginError as exc:
            raise error(f"{where}: type: {exc}") from None
        entry = _validated(plugin, raw, where, error, registry.kind)
        name = getattr(entry, "name", None)
        if isinstance(name, str):
            if name in first_index:
                raise error(f"{where}: name: duplicate {registry.kind} name {name!r} "
                            f"(first used by {key}[{first_index[name]}])")
            first_index[name] = index
        entries.append(Entry(where, entry, plugin))
    return entries


def _validated(plugin: Plugin[Any], raw: dict[str, Any], where: str, error: type[ConfigError],
               kind: str) -> BaseModel:
    if plugin.config_model is None:
        raise error(f"{where}: type: {plugin.name!r} declares no config model")
    try:
        return plugin.config_model.model_validate(raw)
    except ValidationError as exc:
        raise error(f"{where}: {describe(exc, kind)}") from None
