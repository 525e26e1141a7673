"""Where rule and lifecycle state lives: a key-value store of small JSON-able dicts.

The alerts worker backs it with one Faust table (changelogged, partitioned like
``alerts.matches``, so a group's state lives on the worker that gets its
signals); backtests and unit tests back it with a dict. Keeping every rule's
state in one table, under keys that start with the rule's name, is what lets
rules be added or changed while the worker runs: Faust tables cannot be created
after a worker has started.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any, Protocol


class StateStore(Protocol):
    """Small JSON objects by key. Each kind of value has its TypedDict where it is made
    (``alerts.rules.counts``, ``alerts.lifecycle``, ``alerts.engine``) and is read back
    through it; the layouts are those stored by every release so far."""

    def get(self, key: str) -> dict[str, Any] | None: ...

    def put(self, key: str, value: Mapping[str, Any]) -> None: ...

    def delete(self, key: str) -> None: ...

    def names(self) -> Iterator[str]: ...


class MappingStore:
    """A store over any mutable mapping: a dict, or a Faust table.

    On a Faust table, ``put``/``delete`` must run inside the agent that consumes
    the table's source topic (the changelog partition follows the current event).
    ``get`` never uses ``table[key]``, which on a table with a default would create
    (and changelog) an empty entry.
    """

    def __init__(self, mapping: MutableMapping[str, Any] | None = None) -> None:
        self.mapping: MutableMapping[str, Any] = {} if mapping is None else mapping

    def get(self, key: str) -> dict[str, Any] | None:
        if key in self.mapping:
            value: dict[str, Any] | None = self.mapping[key]
            return value
        return None

    def put(self, key: str, value: Mapping[str, Any]) -> None:
        self.mapping[key] = value

    def delete(self, key: str) -> None:
        if key in self.mapping:
            del self.mapping[key]

    def names(self) -> Iterator[str]:
        return iter(list(self.mapping.keys()))
