from __future__ import annotations

from processors.multiscript import ScriptAutomata


def test_finds_keys_of_every_script() -> None:
    automata = ScriptAutomata([(" sudan ", "latin"), (" soudan ", "fr"), ("سودان ", "ar"), (" ሱዳን ", "am"),
                               (" судан ", "ru"), (" côte ", "accented")])
    found = {value for _end, value in automata.iter(" sudan côte ሱዳን судан والسودان ")}
    assert found == {"latin", "accented", "ar", "am", "ru"}
    assert automata.keys == 6


def test_ascii_text_walks_only_the_ascii_automaton() -> None:
    automata = ScriptAutomata([(" sudan ", 1), ("سودان ", 2)])
    assert [value for _end, value in automata.iter(" sudan ")] == [1]


def test_empty_automata_find_nothing() -> None:
    assert list(ScriptAutomata([]).iter(" anything ")) == []
