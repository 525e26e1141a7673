from __future__ import annotations

import sys
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from processors.language import LanguageIdentifier, amharic_or_tigrinya, normalise_lang_code
from tests.processors import samples
from tests.processors.conftest import csv_column


def accuracy(identifier: LanguageIdentifier, texts: list[str], lang: str) -> float:
    return sum(identifier.identify(text)[0] == lang for text in texts) / len(texts)


@pytest.mark.parametrize(("file", "column", "lang", "minimum"), [
    ("mlma2019_en.csv", "tweet", "en", 0.85),   # stop-word-stripped tweets: hard
    ("mlma2019_fr.csv", "tweet", "fr", 0.9),
    ("mlma2019_ar.csv", "tweet", "ar", 0.95),
    ("mhc_french.csv", "test_case", "fr", 0.97),
    ("mhc_spanish.csv", "test_case", "es", 0.97),
    ("mhc_arabic.csv", "test_case", "ar", 0.9),
])
def test_identifies_real_text_per_language(identifier: LanguageIdentifier, file: str, column: str,
                                           lang: str, minimum: float) -> None:
    texts = csv_column(file, column, 300)
    assert accuracy(identifier, texts, lang) >= minimum


@pytest.mark.parametrize(("texts", "lang"), [
    (samples.SW, "sw"), (samples.AM, "am"), (samples.TI, "ti"), (samples.HA, "ha"), (samples.SO, "so"),
])
def test_identifies_written_samples(identifier: LanguageIdentifier, texts: list[str], lang: str) -> None:
    assert accuracy(identifier, texts, lang) == 1.0


def test_tigrinya_told_from_amharic_by_function_words() -> None:
    assert amharic_or_tigrinya("እዚ ዜና እዚ ንብዙሓት ሰባት ዘሕዝን እዩ።")[0] == "ti"
    assert amharic_or_tigrinya("ይህ ዜና ለብዙ ሰዎች አሳዛኝ ነው።")[0] == "am"


def test_confidence_is_a_probability(identifier: LanguageIdentifier) -> None:
    lang, confidence = identifier.identify("The government said on Tuesday that talks would resume.")
    assert lang == "en"
    assert 0.5 < confidence <= 1.0


@pytest.mark.parametrize("text", ["", "   ", "ok", "12:30 !!!", "🙂🙂🙂"])
def test_short_text_falls_back_to_hint(identifier: LanguageIdentifier, text: str) -> None:
    assert identifier.identify(text, "fr-FR") == ("fr", 0.0)


def test_short_text_without_hint_is_undetermined(identifier: LanguageIdentifier) -> None:
    assert identifier.identify("ok", None) == ("und", 0.0)


def test_only_the_first_sample_chars_are_read(identifier: LanguageIdentifier) -> None:
    text = "Le gouvernement a annoncé mardi la reprise des négociations avec les syndicats. " * 5
    assert identifier.identify(text + "the " * 100_000)[0] == "fr"


def test_uppercase_text_is_identified(identifier: LanguageIdentifier) -> None:
    assert identifier.identify("GUNMEN KILL TWELVE VILLAGERS IN NIGHT ATTACK, OFFICIALS SAY")[0] == "en"


@pytest.mark.parametrize(("code", "expected"), [
    ("en-US", "en"), ("FR", "fr"), ("fr_FR", "fr"), ("eng", "en"), ("arz", "ar"), ("swa", "sw"),
    ("", None), (None, None), ("x", None), ("zzz", None), ("12", None),
])
def test_normalise_lang_code(code: str | None, expected: str | None) -> None:
    assert normalise_lang_code(code) == expected


def test_identify_is_thread_safe(identifier: LanguageIdentifier) -> None:
    texts = [*samples.SW, *samples.AM, "The army said the rebels had withdrawn from the town."]
    expected = [identifier.identify(text) for text in texts]
    results: list[list[tuple[str, float]]] = []

    def work() -> None:
        results.append([identifier.identify(text) for text in texts * 20][: len(texts)])

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 8


@pytest.mark.parametrize("text", [
    "\ud800\udfff lone surrogates \udc00 everywhere \ud83d",
    "\x00\x01\x02 control \x1b[31m characters \x7f\x9f",
    "\u202e\u200f\ufeff bidi and zero width \u2028\u2029",
    "a" * 5_000_000,
    "\n" * 10_000 + "word",
    "ᄀ\ud7a4",  # an unassigned code point of a Hangul block: two "Hangul" characters, one letter
])
def test_hostile_text_does_not_raise(identifier: LanguageIdentifier, text: str) -> None:
    lang, confidence = identifier.identify(text, "en")
    assert isinstance(lang, str) and 0.0 <= confidence <= 1.0


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.characters(exclude_categories=(), max_codepoint=sys.maxunicode)),
       hint=st.one_of(st.none(), st.text(max_size=8)))
def test_any_string_gives_a_code_and_a_probability(identifier: LanguageIdentifier, text: str,
                                                   hint: str | None) -> None:
    lang, confidence = identifier.identify(text, hint)
    assert lang == "und" or 2 <= len(lang) <= 3
    assert 0.0 <= confidence <= 1.0
