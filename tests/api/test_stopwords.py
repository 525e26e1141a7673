"""Which words ``significant_terms`` leaves out of title and text."""

from __future__ import annotations

from api.stopwords import stop_words, watched_words
from tocsin.settings import PACKAGE_CONFIG


def test_only_the_languages_of_the_selection_count() -> None:
    """German's "die" is not an English stop word, and English is all this selection holds."""
    english = stop_words({"en": 95, "de": 1})
    assert {"the", "that", "to"} <= english and "die" not in english
    assert {"la", "les", "une"} <= stop_words({"en": 50, "fr": 50})
    assert "في" in stop_words({"ar": 10})
    assert stop_words({"xx": 10}) == frozenset() and stop_words({}) == frozenset()


def test_words_the_categories_watch_for_are_never_dropped() -> None:
    watched = watched_words(PACKAGE_CONFIG / "categories.yaml")
    assert {"killed", "massacre", "shelling"} <= watched and "opened fire" not in watched
    assert "the" not in stop_words({"en": 1}, keep={"the"})
