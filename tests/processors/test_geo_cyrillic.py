"""Declined forms of Cyrillic place names."""

from __future__ import annotations

import pytest

from processors.geo.cyrillic import case_forms


@pytest.mark.parametrize(("name", "form"), [
    ("Україна", "Україні"), ("Україна", "України"), ("Украина", "Украине"), ("Украина", "Украиной"),
    ("Сирія", "Сирії"), ("Сирия", "Сирии"), ("Судан", "Судані"), ("Судан", "Судане"), ("Ірак", "Іраку"),
    ("Харків", "Харкові"), ("Київ", "Києві"),
])
def test_common_case_endings(name: str, form: str) -> None:
    assert form in case_forms(name)


@pytest.mark.parametrize("name", ["Конго", "Чилі", "Південний Судан", "Ла", "Гвінея-Бісау"])
def test_indeclinable_short_and_multi_word_names_get_none(name: str) -> None:
    assert case_forms(name) == []
