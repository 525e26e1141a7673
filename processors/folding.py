"""Matching form of text, shared by keyword categories and the gazetteer.

Both matchers look names up with an Aho-Corasick automaton whose keys are
padded with spaces (`` sudan ``). Folding maps every character that cannot be
part of a word to a space, one character for one character, so a key can only
match whole words, in any script that separates words with spaces or
punctuation (Latin, Arabic, Ethiopic, Cyrillic...). No per-hit boundary test is
needed, which keeps a news article under ~30 µs.

Folding also lower-cases, unifies Arabic letter variants that writers use
interchangeably (أ إ آ ٱ → ا, ى → ي, ة → ه, Persian ک ی → ك ي) and drops Arabic
diacritics, tatweel, Latin combining accents (decomposed text) and zero-width
characters. Drops shorten the text, so :class:`Folded` keeps a map back to the
original offsets when (and only when) something was dropped.

Scripts written without spaces (Chinese, Japanese, Thai) get no word
boundaries here; none of the monitored languages is written that way.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Characters removed before matching: Arabic harakat, Quranic marks, tatweel,
# Latin combining accents, zero-width (non-)joiners and marks, soft hyphen.
_DROP = re.compile(
    "[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640\u0300-\u036f\u200b-\u200f\u00ad\ufeff]")
# Anything that cannot be part of a word becomes a space (one for one); "_" too, replaced first
# (one character class scans twice as fast as the alternation ``[^\w ]|_``).
_NON_WORD = re.compile(r"[^\w ]")
_ARABIC = re.compile("[\u0600-\u06ff]")
# Either of the two above (every character _DROP drops is Arabic or in these ranges): one scan
# tells most non-ASCII text (Latin with accents or typographic quotes) it needs neither.
_DROP_OR_ARABIC = re.compile("[\u0600-\u06ff\u0300-\u036f\u200b-\u200f\u00ad\ufeff]")
_COMBINING = re.compile("[\u0300-\u036f]")
_ARABIC_VARIANTS = str.maketrans({
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا",
    "ى": "ي", "ی": "ي", "ک": "ك", "ة": "ه",
})
# ASCII fast path: str.translate with an ASCII-only table is a C loop for ASCII text.
_ASCII_NON_WORD = {i: " " for i in range(128) if not (chr(i).isalnum() or chr(i) == " ")}


@dataclass(frozen=True, slots=True)
class Folded:
    """Original text and its matching form (``padded`` starts and ends with a space).

    ``offsets[i]`` is the index in ``original`` of ``padded[i + 1]``; it is None
    when nothing was dropped, so that index is simply ``i``.
    """

    original: str
    padded: str
    offsets: tuple[int, ...] | None = None

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) span of ``padded`` (without its pads) to ``original``."""
        offsets = self.offsets
        if offsets is None:
            return start - 1, end - 1
        first = offsets[start - 1]
        # up to the next kept character, so dropped marks after the last letter stay inside
        last = offsets[end - 1] if end - 1 < len(offsets) else len(self.original)
        return first, last


def fold_term(text: str) -> str:
    """Matching form of a dictionary entry (term or place name), without pads."""
    if text.isascii():      # what fold() does to ASCII, without a Folded: a gazetteer build folds 10⁶ names
        return text.lower().translate(_ASCII_NON_WORD)
    return _matching_form(_DROP.sub("", text))


def fold(text: str) -> Folded:
    """Fold ``text`` for matching; never raises on any ``str`` (lone surrogates included)."""
    original = text
    offsets: tuple[int, ...] | None = None
    special = not text.isascii() and _DROP_OR_ARABIC.search(text) is not None
    if special and _DROP.search(text):
        offsets = tuple(i for i, ch in enumerate(text) if not _DROP.match(ch))
        text = _DROP.sub("", text)
    return Folded(original, f" {_matching_form(text, special)} ", offsets)


def _matching_form(text: str, arabic: bool = True) -> str:
    """Lower case, Arabic letter variants unified, every non-word character a space (one for one).

    ``arabic``: False when the text is known to hold no Arabic letter.
    """
    if "\u0130" in text:  # 'İ'.lower() is two characters; keep folding one for one
        text = text.replace("\u0130", "I")
    text = text.lower()
    if text.isascii():
        return text.translate(_ASCII_NON_WORD)
    if arabic and _ARABIC.search(text):
        text = text.translate(_ARABIC_VARIANTS)
    return _NON_WORD.sub(" ", text.replace("_", " "))


_ARTICLE = "ال"
_ARABIC_CONJUNCTIONS = ("", "و", "ف")
_ARABIC_PREPOSITIONS = ("", "ب", "ك", "ل")
ETHIOPIC_PREFIXES = ("የ", "በ", "ከ", "ለ", "ወደ", "እንደ", "ስለ")
_ARABIC_START = re.compile("[\u0600-\u06ff]")
_ETHIOPIC_START = re.compile("[\u1200-\u139f\u2d80-\u2ddf]")


def arabic_clitic_variants(folded: str) -> list[str]:
    """A folded Arabic word or phrase with the proclitics writers join to it.

    و / ف 'and', then ب / ك / ل 'in, like, for', then the article ال (ل + ال is
    written لل). A form that already has ال keeps it; a bare form also gets it.
    Returns [] for text that does not start with an Arabic letter.
    """
    if not _ARABIC_START.match(folded):
        return []
    articles: tuple[str, ...]
    if folded.startswith(_ARTICLE):
        bare, articles = folded[len(_ARTICLE):], (_ARTICLE,)
    else:
        bare, articles = folded, ("", _ARTICLE)
    variants: list[str] = []
    for conjunction in _ARABIC_CONJUNCTIONS:
        for preposition in _ARABIC_PREPOSITIONS:
            for article in articles:
                if preposition == "ل" and article:
                    variants.append(f"{conjunction}لل{bare}")
                else:
                    variants.append(f"{conjunction}{preposition}{article}{bare}")
    return variants


def ethiopic_prefix_variants(folded: str) -> list[str]:
    """A folded Ethiopic word with the prepositions Amharic and Tigrinya join to it."""
    if not _ETHIOPIC_START.match(folded):
        return []
    return [prefix + folded for prefix in ETHIOPIC_PREFIXES]


def strip_latin_accents(text: str) -> str:
    """'tués' → 'tues': writers (and tweets) often drop accents; used for dictionary variants."""
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", _COMBINING.sub("", decomposed))
