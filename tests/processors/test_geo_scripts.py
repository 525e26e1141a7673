"""Word boundaries for Indic scripts and syllable boundaries for Burmese."""

from __future__ import annotations

import pytest

from processors.geo.scripts import MarkedScriptMatcher, burmese_base, burmese_syllables

YANGON = "ရန်ကုန်"
MYANMAR = "မြန်မာ"
DELHI = "दिल्ली"
DHAKA = "ঢাকা"


@pytest.fixture(scope="module")
def matcher() -> MarkedScriptMatcher:
    return MarkedScriptMatcher([(YANGON, "yangon"), (MYANMAR, "myanmar"), (DELHI, "delhi"), (DHAKA, "dhaka")])


def found(matcher: MarkedScriptMatcher, text: str) -> list[tuple[str, str]]:
    return [(text[start:end], value) for start, end, value in matcher.iter(text)]


def test_burmese_names_match_between_words_written_without_spaces(matcher: MarkedScriptMatcher) -> None:
    text = f"{YANGON}မြို့တွင် {MYANMAR}နိုင်ငံ"
    assert found(matcher, text) == [(YANGON, "yangon"), (MYANMAR, "myanmar")]


def test_a_burmese_name_cut_inside_a_syllable_does_not_match(matcher: MarkedScriptMatcher) -> None:
    # Followed by a vowel sign, or by a consonant that asat makes the name's own final: not a boundary.
    assert found(matcher, YANGON + "\u102c") == []
    assert found(matcher, MYANMAR + "က\u103a") == []
    # Preceded by a virama: the first consonant is stacked under the previous syllable.
    assert found(matcher, "က\u1039" + YANGON) == []


def test_burmese_suffixes_are_stripped_from_gazetteer_names() -> None:
    assert burmese_base("ဆူဒန်နိုင်ငံ") == "ဆူဒန်"
    assert burmese_base("ရန်ကုန်မြို့") == YANGON
    assert burmese_base(YANGON) == YANGON


def test_burmese_syllables_are_counted() -> None:
    assert burmese_syllables(YANGON) == 2
    assert burmese_syllables("မွန်") == 1
    assert burmese_syllables("မန္တလေး") == 2    # the stacked တ does not start a syllable


def test_devanagari_names_need_word_boundaries(matcher: MarkedScriptMatcher) -> None:
    assert found(matcher, f"{DELHI} में हिंसा") == [(DELHI, "delhi")]
    assert found(matcher, f"नई{DELHI}") == []
    assert found(matcher, f"{DELHI}ा") == []          # a vowel sign glued on: a longer word


def test_bengali_case_endings_are_allowed(matcher: MarkedScriptMatcher) -> None:
    assert found(matcher, f"{DHAKA}য় বিক্ষোভ") == [(DHAKA, "dhaka")]
    assert found(matcher, f"{DHAKA}র রাস্তায়") == [(DHAKA, "dhaka")]
    assert found(matcher, f"{DHAKA}কাল") == []


def test_latin_text_skips_the_matcher(matcher: MarkedScriptMatcher) -> None:
    assert found(matcher, "Yangon and Delhi") == []
