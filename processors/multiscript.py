"""One Aho-Corasick automaton over keys in every script, searched in one pass.

pyahocorasick, used here before, finds a node's child by scanning the node's
list of children: an automaton of 330,000 place names in a dozen scripts took
75 µs per news article (1,700 characters), half the geoparser's own work, and
needed one automaton per script group so that ASCII text walked only its own.
``ahocorasick_rs`` (the Rust ``aho-corasick`` crate's contiguous NFA) walks
the same keys in about 30 µs per article, in one automaton of about 30 MB
instead of 85 MB. It cannot be pickled, so a pickle carries the keys and the
automaton is built again when it is loaded (about a second for the gazetteer's).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from threading import Lock
from typing import Any

import ahocorasick_rs

_SEPARATOR = "\x00"     # keys are matching forms (folded text), which never hold NUL


class ScriptAutomata:
    """A set of ``(key, value)`` pairs; a repeated key keeps its last value, an empty one is ignored.

    The automaton is built on first search (a gazetteer built in a child
    process is only pickled there, so it never builds one) or when unpickled.
    """

    def __init__(self, pairs: Iterable[tuple[str, Any]]) -> None:
        table = {key: value for key, value in pairs if key and _SEPARATOR not in key}
        self.values: list[Any] = list(table.values())
        self.keys = len(self.values)
        self._keys = _SEPARATOR.join(table)
        self._automaton: ahocorasick_rs.AhoCorasick | None = None
        self._lock = Lock()

    def matches(self, text: str) -> list[tuple[int, int, int]]:
        """(index into :attr:`values`, start, end) of every key in ``text``, overlapping ones too.

        Ordered by end, and at one end the longest key first (as Aho-Corasick
        reports them); ``end`` is exclusive, in characters.
        """
        automaton = self._automaton
        if automaton is None:
            if not self._keys:
                return []
            automaton = self._built()
        return automaton.find_matches_as_indexes(text, overlapping=True)

    def iter(self, text: str) -> Iterator[tuple[int, Any]]:
        """(index of the key's last character, value) for every key occurring in ``text``."""
        values = self.values
        for index, _start, end in self.matches(text):
            yield end - 1, values[index]

    def _built(self) -> ahocorasick_rs.AhoCorasick:
        with self._lock:
            if self._automaton is None:
                self._automaton = ahocorasick_rs.AhoCorasick(
                    self._keys.split(_SEPARATOR), implementation=ahocorasick_rs.Implementation.ContiguousNFA)
            return self._automaton

    def __getstate__(self) -> dict[str, Any]:
        return {"values": self.values, "keys": self._keys}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.values = state["values"]
        self.keys = len(self.values)
        self._keys = state["keys"]
        self._automaton = None
        self._lock = Lock()
        if self._keys:      # loaded to be used: build now, not on an item's time
            self._built()
