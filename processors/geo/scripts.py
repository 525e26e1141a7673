"""Place names in scripts that folding cannot give word boundaries to.

:mod:`processors.folding` turns every character that is not a letter or digit
into a space, which is right for Latin, Arabic, Ethiopic, Cyrillic... but
Indic scripts write vowels as combining marks inside words (दिल्ली, ঢাকা), so
folding would cut their words apart, and Burmese writes no spaces between
words at all. Names in these scripts are matched here instead, on the original
text (the span is then already in original offsets), with a rule per script:

* Indic scripts with spaces between words (Devanagari, Bengali, Gurmukhi,
  Gujarati, Oriya, Tamil, Telugu, Kannada, Malayalam, Sinhala): a name
  matches when the characters on either side are not letters, digits or marks.
  Bengali joins case endings to names (ঢাকায় "in Dhaka", ভারতের "of India"),
  so a Bengali name may be followed by one of :data:`BENGALI_ENDINGS`.
* Burmese (Myanmar script): a name matches when it starts and ends on
  syllable boundaries (the best unit a text without spaces offers). A syllable
  starts at a consonant or independent vowel that is neither stacked under the
  previous one (after ္ U+1039) nor killed by asat (် U+103A, it is then the
  previous syllable's final consonant). Names of one syllable are not matched
  at all ("မွန်" Mon is also a common syllable), only with a suffix such as
  ပြည်နယ် "State". Words Burmese writes after names (နိုင်ငံ "country",
  မြို့ "city"...) are stripped from gazetteer names so that both "ဆူဒန်"
  and "ဆူဒန်နိုင်ငံ" match Sudan. Text in the Zawgyi font encoding (still
  common in Myanmar) is not Unicode Burmese and does not match.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any

import ahocorasick

from processors.geo.placenames import BURMESE_SUFFIXES

INDIC = re.compile("[\u0900-\u0dff]")
MYANMAR = re.compile("[\u1000-\u109f]")
ANY = re.compile("[\u0900-\u0dff\u1000-\u109f]")
_BENGALI = re.compile("[\u0980-\u09ff]")
BENGALI_ENDINGS = ("র", "ের", "এর", "য়", "য়", "ে", "তে", "কে", "ই")

_VIRAMA, _ASAT = "\u1039", "\u103a"


def script_of(name: str) -> str | None:
    """'indic', 'myanmar' or None (a name for the folded matcher)."""
    if MYANMAR.search(name):
        return "myanmar"
    if INDIC.search(name):
        return "indic"
    return None


def burmese_base(name: str) -> str:
    """A Burmese name without the word for what it is: 'ဆူဒန်နိုင်ငံ' → 'ဆူဒန်'."""
    name = name.strip()
    for suffix in BURMESE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)].strip()
    return name


def burmese_syllables(text: str) -> int:
    """Number of syllables (see the module docstring for where one starts)."""
    return sum(1 for i in range(len(text)) if _syllable_start(text, i))


class MarkedScriptMatcher:
    """An automaton over original text for Indic and Burmese names, with the boundary rules above."""

    def __init__(self, pairs: Iterable[tuple[str, Any]]) -> None:
        self._automaton = ahocorasick.Automaton()
        for key, value in pairs:
            self._automaton.add_word(key, (len(key), value))
        self.keys = len(self._automaton)
        if self.keys:
            self._automaton.make_automaton()

    def iter(self, text: str) -> Iterator[tuple[int, int, Any]]:
        """(start, end, value) of every whole-word name in ``text`` (original offsets)."""
        if not self.keys or not ANY.search(text):
            return
        for last, (length, value) in self._automaton.iter(text):
            start, end = last - length + 1, last + 1
            if MYANMAR.match(text, start):
                if _syllable_start(text, start) and _syllable_end(text, end):
                    yield start, end, value
                continue
            if _word_edge(text, start - 1):
                if _word_edge(text, end):
                    yield start, end, value
                elif _BENGALI.match(text, start):
                    for ending in BENGALI_ENDINGS:
                        if text.startswith(ending, end) and _word_edge(text, end + len(ending)):
                            yield start, end, value
                            break

    def size_bytes(self) -> int:
        return int(self._automaton.get_stats()["total_size"]) if self.keys else 0


def _word_edge(text: str, i: int) -> bool:
    """True if position ``i`` is outside the text or not part of a word (letter, digit, mark, joiner)."""
    if i < 0 or i >= len(text):
        return True
    ch = text[i]
    if ch.isalnum() or ch in "\u200c\u200d":
        return False
    return not unicodedata.category(ch).startswith("M")


def _is_myanmar_base(ch: str) -> bool:
    """A consonant or independent vowel: the letters a Burmese syllable can start with."""
    code = ord(ch)
    return 0x1000 <= code <= 0x102A or code == 0x103F or 0x1050 <= code <= 0x1055 or 0x105A <= code <= 0x105D


def _syllable_start(text: str, i: int) -> bool:
    if i < 0 or i >= len(text):
        return True
    ch = text[i]
    if not MYANMAR.match(ch):
        return True
    if not _is_myanmar_base(ch):
        return 0x1040 <= ord(ch) <= 0x104F   # digits and punctuation stand alone
    if i > 0 and text[i - 1] == _VIRAMA:
        return False
    following = text[i + 1:i + 3]
    # killed by asat (written after a dot below in some texts): a final consonant
    return not (following[:1] in (_ASAT, _VIRAMA) or following == "\u1037" + _ASAT)


def _syllable_end(text: str, end: int) -> bool:
    """True if a syllable ends just before ``end``: the next character starts one (or is not Burmese)."""
    return _syllable_start(text, end)
