from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from processors.geo.matching import last_letters


def _walked_back(text: str) -> str:
    """The plain definition: walk back from the end over letters."""
    k = len(text)
    while k > 0 and text[k - 1].isalpha():
        k -= 1
    return text[k:]


@given(st.text(alphabet=st.sampled_from("aZé ب\t\n\u00a0.'’-1_ßİ"), max_size=30) | st.text(max_size=30))
def test_last_letters_are_the_letters_that_end_the_text(text: str) -> None:
    assert last_letters(text) == _walked_back(text)


def test_last_letters_of_words_with_and_without_a_title() -> None:
    assert last_letters("said President") == "President"
    assert last_letters("l'Est") == "Est"
    assert last_letters("the 1st") == "st"
    assert last_letters("ends with a space ") == ""
    assert last_letters("") == ""
