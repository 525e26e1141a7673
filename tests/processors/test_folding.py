from __future__ import annotations

import re
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from processors.folding import (
    _ARABIC_VARIANTS,
    _ASCII_NON_WORD,
    _DROP,
    Folded,
    arabic_clitic_variants,
    fold,
    fold_term,
    strip_latin_accents,
)


def test_fold_pads_lowercases_and_blanks_punctuation() -> None:
    assert fold("Sudan's WAR, (2023)!").padded == " sudan s war   2023   "


def test_fold_is_one_for_one_without_drops() -> None:
    folded = fold("İstanbul — Côte d'Ivoire")
    assert folded.offsets is None
    assert len(folded.padded) == len("İstanbul — Côte d'Ivoire") + 2
    assert folded.padded == " istanbul   côte d ivoire "


def test_fold_unifies_arabic_variants_and_drops_diacritics() -> None:
    assert fold_term("أَحْمَد") == fold_term("احمد")
    assert fold_term("مدرسة") == fold_term("مدرسه")
    assert fold_term("ـالـسـودان") == "السودان"


def test_span_maps_back_to_the_original() -> None:
    text = "في الْخَرْطُومِ اليوم"
    folded = fold(text)
    start = folded.padded.index("الخرطوم")
    first, last = folded.span(start, start + len("الخرطوم"))
    assert text[first:last] == "الْخَرْطُومِ"


def test_ethiopic_punctuation_separates_words() -> None:
    assert fold("ሰላም፡ለሁሉም።").padded == " ሰላም ለሁሉም  "


def test_arabic_clitic_variants() -> None:
    variants = arabic_clitic_variants("السودان")
    assert {"السودان", "والسودان", "بالسودان", "للسودان", "وللسودان"} <= set(variants)
    assert "سودان" not in variants
    assert "السودان" in arabic_clitic_variants("سودان")
    assert arabic_clitic_variants("sudan") == []


def test_strip_latin_accents() -> None:
    assert strip_latin_accents("tués à Bogotá") == "tues a Bogota"


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=(), max_codepoint=sys.maxunicode)))
def test_fold_never_raises_and_spans_stay_inside(text: str) -> None:
    folded = fold(text)
    assert folded.padded.startswith(" ") and folded.padded.endswith(" ")
    inner = len(folded.padded) - 2
    if inner:
        first, last = folded.span(1, inner + 1)
        assert 0 <= first <= last <= len(text)


@pytest.mark.parametrize("text", ["Côte_d'Ivoire", "naïve_test", "al-Khartoum_x", "الخرطوم_و",
                                  "São\u0301 Tomé"])
def test_underscores_fold_to_spaces_in_any_script(text: str) -> None:
    folded = fold(text)
    assert "_" not in folded.padded
    assert fold_term(text) == folded.padded[1:-1]


def test_fold_term_is_the_matching_form_of_fold_when_marks_are_dropped() -> None:
    assert fold_term("Ḩalab\u0300") == fold("Ḩalab\u0300").padded[1:-1] == "ḩalab"
    assert fold_term("الْخَرْطُوم") == fold("الْخَرْطُوم").padded[1:-1] == "الخرطوم"


def _plain_fold(text: str) -> Folded:
    """fold() as first written, without its fast paths (what they must keep giving)."""
    original, offsets = text, None
    if _DROP.search(text):
        offsets = tuple(i for i, ch in enumerate(text) if not _DROP.match(ch))
        text = _DROP.sub("", text)
    text = text.replace("\u0130", "I").lower()
    if text.isascii():
        text = text.translate(_ASCII_NON_WORD)
    else:
        if re.search("[\u0600-\u06ff]", text):
            text = text.translate(_ARABIC_VARIANTS)
        text = re.sub(r"[^\w ]|_", " ", text)
    return Folded(original, f" {text} ", offsets)


@given(st.text(alphabet=st.sampled_from("aZ _-.,’é\u0301\u200bİ\u00adسأةى\u064e\u0640ክ1٣"), max_size=40)
       | st.text(max_size=40))
@settings(max_examples=400, deadline=None)
def test_fold_and_fold_term_give_what_plain_folding_gives(text: str) -> None:
    assert fold(text) == _plain_fold(text)
    assert fold_term(text) == _plain_fold(text).padded[1:-1]
