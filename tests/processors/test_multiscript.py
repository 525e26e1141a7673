from __future__ import annotations

import pickle

from processors.multiscript import ScriptAutomata


def test_finds_keys_of_every_script() -> None:
    automata = ScriptAutomata([(" sudan ", "latin"), (" soudan ", "fr"), ("سودان ", "ar"), (" ሱዳን ", "am"),
                               (" судан ", "ru"), (" côte ", "accented")])
    found = {value for _end, value in automata.iter(" sudan côte ሱዳን судан والسودان ")}
    assert found == {"latin", "accented", "ar", "am", "ru"}
    assert automata.keys == 6


def test_iter_gives_the_index_of_each_keys_last_character_in_characters() -> None:
    automata = ScriptAutomata([(" sudan ", 1), ("سودان ", 2)])
    text = " ሱዳን sudan والسودان "
    found = list(automata.iter(text))
    assert found == [(text.index(" sudan ") + 6, 1), (len(text) - 1, 2)]


def test_overlapping_keys_all_match_the_longest_first_at_one_end() -> None:
    automata = ScriptAutomata([(" south sudan ", "SS"), (" sudan ", "SD"), (" south ", "S")])
    assert [value for _end, value in automata.iter(" south sudan ")] == ["S", "SS", "SD"]


def test_a_repeated_key_keeps_its_last_value_and_an_empty_key_is_ignored() -> None:
    automata = ScriptAutomata([(" sudan ", 1), ("", 2), (" sudan ", 3)])
    assert [value for _end, value in automata.iter(" sudan ")] == [3]
    assert automata.keys == 1


def test_a_pickled_set_is_searched_after_loading_even_if_never_searched_before() -> None:
    automata = ScriptAutomata([(" sudan ", 1), ("سودان ", 2)])
    loaded = pickle.loads(pickle.dumps(automata))
    assert [value for _end, value in loaded.iter(" sudan والسودان ")] == [1, 2]
    assert list(automata.iter(" sudan ")) == list(loaded.iter(" sudan "))


def test_empty_automata_find_nothing() -> None:
    assert list(ScriptAutomata([]).iter(" anything ")) == []
    assert list(pickle.loads(pickle.dumps(ScriptAutomata([]))).iter(" anything ")) == []
