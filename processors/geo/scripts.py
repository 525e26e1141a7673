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
* Chinese and Japanese (Han, kana): written without spaces, so a name matches
  wherever it occurs — dictionary longest match: overlapping matches keep the
  longest (南スーダン South Sudan, not スーダン), and names of one character
  are not in the gazetteer. A name inside a longer word that is not a place
  (中国人 "Chinese person" holds 中国) still counts as its place, as a
  demonym would.
* Thai: no spaces between words either; a name must not start or end inside
  a cluster (on a combining vowel or tone mark).
* Korean (Hangul): spaces between words, but particles join the end of a name
  (서울에서 "in Seoul"): a name must start a word and may be followed by more
  Hangul.
* Hebrew: the prepositions and articles ו ה ב ל מ ש כ join the front of a word
  (בסודן "in Sudan", מהסודן "from the Sudan"): a name may follow up to three of
  them at the start of a word, and must end a word.
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
HAN_KANA = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
HANGUL = re.compile("[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
THAI = re.compile("[\u0e00-\u0e7f]")
HEBREW = re.compile("[\u0590-\u05ff]")
ANY = re.compile("[\u0590-\u05ff\u0900-\u0dff\u0e00-\u0e7f\u1000-\u109f\u3040-\u30ff\u3400-\u4dbf"
                 "\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
HEBREW_PREFIXES = frozenset("והבלמשכ")
_BENGALI = re.compile("[\u0980-\u09ff]")
BENGALI_ENDINGS = ("র", "ের", "এর", "য়", "য়", "ে", "তে", "কে", "ই")

_VIRAMA, _ASAT = "\u1039", "\u103a"


def script_of(name: str) -> str | None:
    """'indic', 'myanmar', 'han', 'thai', 'hangul', 'hebrew' or None (a name for the folded matcher)."""
    if name.isascii():
        return None
    if MYANMAR.search(name):
        return "myanmar"
    if INDIC.search(name):
        return "indic"
    if HAN_KANA.search(name):
        return "han"
    if HANGUL.search(name):
        return "hangul"
    if THAI.search(name):
        return "thai"
    if HEBREW.search(name):
        return "hebrew"
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
            if HAN_KANA.match(text, start):
                yield start, end, value
                continue
            if THAI.match(text, start):
                if not _is_mark(text, start) and not _is_mark(text, end):
                    yield start, end, value
                continue
            if HANGUL.match(text, start):
                if start == 0 or not HANGUL.match(text, start - 1):
                    yield start, end, value
                continue
            if HEBREW.match(text, start):
                prefix = _hebrew_prefix(text, start)
                if prefix is not None and _word_edge(text, end):
                    yield start - prefix, end, value
                continue
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


def _is_mark(text: str, i: int) -> bool:
    return 0 <= i < len(text) and unicodedata.category(text[i]).startswith("M")


def _hebrew_prefix(text: str, start: int) -> int | None:
    """How many prefix letters join the name at ``start`` to its word's start (None: inside a word)."""
    k = start
    while k > 0 and start - k < 3 and text[k - 1] in HEBREW_PREFIXES:
        if _word_edge(text, k - 2):
            return start - k + 1
        k -= 1
    return 0 if _word_edge(text, start - 1) else None


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
