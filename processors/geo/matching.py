"""Finding the gazetteer's names in a text: the lookup half of the gazetteer.

The automata (built by :mod:`processors.geo.build`) run over folded text; a match
is kept as a mention when the original text's capitals, the words around it and
the Arabic clitics in front of it say it is a place name (see
:mod:`processors.geo.gazetteer` for the rules). Pure and thread-safe.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from operator import itemgetter
from typing import TYPE_CHECKING, Final

from processors.folding import Folded, fold
from processors.geo.placenames import ACTOR_PHRASES, ACTOR_WORDS, AUXILIARIES, HONORIFICS
from processors.geo.resolve import CITY, DEMONYM, Mention
from processors.geo.scripts import MarkedScriptMatcher
from processors.multiscript import ScriptAutomata

if TYPE_CHECKING:
    from processors.geo.ner import Proposal

# Scripts with capitals: a name in them must be capitalised in the text.
CASED_SCRIPTS: Final = frozenset({"LATIN", "CYRILLIC", "GREEK", "ARMENIAN"})
# A key's capitals rule: a word of it capitalised (CASED), or every letter a capital (acronyms: "US").
CASED: Final = 1
EXACT_CAPITALS: Final = 2
_SENTENCE_END: Final = frozenset(".!?\n\"“”«»:;—–-•|")
_CAPITAL_AFTER: Final = re.compile(r"[ \t]+[A-Z][a-z]")
_BLANKS: Final = frozenset(" \t")
_TITLE_WORD: Final = re.compile(r"[^\W\d_]{4,}")
_BARE_PREFIXES: Final = frozenset(c + p for c in ("", "و", "ف") for p in ("", "ب", "ك", "ل"))
ARTICLE_PREFIXES: Final = frozenset({c + p + "ال" for c in ("", "و", "ف") for p in ("", "ب", "ك")}
                             | {c + "لل" for c in ("", "و", "ف")})

_WORD_AFTER: Final = re.compile(r"(?:['’]s)?[ \t]+([^\W\d_]+)")
_WORD_AFTER_STARTS: Final = frozenset(" \t'’")     # what _WORD_AFTER can start with
_PHRASE_STARTS: Final = frozenset(first for first, _second in ACTOR_PHRASES)
METONYMY_RELIABILITY: Final = 0.6

Match = tuple[int, int, tuple[int, ...], int]
"""(first, last, candidates, capitals rule) of a name in the original text."""


CITIES_ONLY: Final = 1 << CITY
DEMONYMS_ONLY: Final = 1 << DEMONYM


@lru_cache(maxsize=1 << 15)
def _kinds(candidates: tuple[int, ...]) -> int:
    """The kinds among a name's candidates, one bit each (``CITIES_ONLY``: all are towns)."""
    mask = 0
    for candidate in candidates:
        mask |= 1 << (candidate & 3)
    return mask


_START: Final = itemgetter(0)


class NameMatcher:
    """The automata of folded names and the matcher of Indic and Burmese ones."""

    def __init__(self, automaton: ScriptAutomata, marked: MarkedScriptMatcher) -> None:
        self.automaton = automaton
        self.marked = marked
        self.keys = automaton.keys + marked.keys

    def __reduce__(self) -> tuple[type[NameMatcher], tuple[ScriptAutomata, MarkedScriptMatcher]]:
        # by its arguments: compiled (a native class, no __dict__) and pure pickles are one format
        return NameMatcher, (self.automaton, self.marked)

    def raw_matches(self, folded: Folded, *, require_capital: bool = True,
                    lowered: set[tuple[int, ...]] | None = None) -> list[Match]:
        """(start, end, candidates, cased) of every name in the text, before overlaps are resolved.

        ``lowered`` collects the candidates of names the text also writes in lower case
        (there, not names: "many", "industry").
        """
        # (typed locals: compiled, str and int operations on them are native, not generic calls)
        original: str = folded.original
        raw: list[Match] = []
        padded: str = folded.padded
        mapped = folded.offsets is not None
        values: list[tuple[int, int, tuple[int, ...], tuple[int, ...] | None]] = self.automaton.values
        found: list[tuple[int, int, int]] = self.automaton.matches(padded)
        first: int
        last: int
        for index, start, end in found:
            _length, cased, candidates, article_candidates = values[index]
            end -= 1                           # the key's last character (its trailing pad)
            if article_candidates is None:
                start += 1                     # first character of the name, in padded
            else:
                prefix = arabic_prefix(padded, start)
                if prefix is None:
                    continue
                if prefix in ARTICLE_PREFIXES:
                    # geonames often writes Arabic names bare (خرطوم) where news writes الخرطوم
                    candidates = article_candidates + candidates
                start -= len(prefix)
            if mapped:
                first, last = folded.span(start, end)
            else:
                first, last = start - 1, end - 1
            if cased:
                if cased == EXACT_CAPITALS and not _all_capitals(original, first, last):
                    continue
                if (require_capital and candidates and not original[first].isupper()
                        and not _capitalised(original, first, last)
                        and _kinds(candidates) != DEMONYMS_ONLY):
                    if lowered is not None:
                        lowered.add(candidates)
                    continue
            raw.append((first, last, candidates, cased))
        if not padded.isascii():        # folding keeps the letters of the marked scripts: ASCII means none
            for first, last, candidates in self.marked.iter(original):
                raw.append((first, last, candidates, 0))
        return raw

    def mentions(self, folded: Folded, title_chars: int) -> list[Mention]:
        lowered: set[tuple[int, ...]] = set()
        raw = self.raw_matches(folded, lowered=lowered)
        if not raw:
            return []
        # Overlapping matches keep the longest; one sweep in text order (not all
        # pairs: an item repeating a name 10,000 times must stay linear). Sorted by start
        # only: of matches that start together the sweep keeps the longest (the first
        # of equal ones) in any order.
        raw.sort(key=_START)
        kept: list[Match] = []
        kept_end = -1
        for match in raw:
            if match[0] < kept_end:
                if match[1] - match[0] > kept_end - kept[-1][0]:
                    kept[-1] = match
                    kept_end = match[1]
                continue
            kept.append(match)
            kept_end = match[1]
        original: str = folded.original
        title_case = _title_case(original[:title_chars]) if title_chars else False
        mentions: list[Mention] = []
        for first, last, candidates, cased in kept:
            if not candidates:      # a phrase that is not a place (NOT_PLACES): it only blocks
                continue
            reliability = 1.0
            doubtful = not cased     # a script without capitals: nothing says it is a name
            if cased:
                doubtful = candidates in lowered
                candidates, reliability, weak = _context_cues(original, first, last, candidates, title_chars,
                                                            title_case)
                if not candidates:
                    continue
                doubtful = doubtful or weak
                if last - first - original.count(" ", first, last) <= 3:
                    reliability *= 0.8
            if _kinds(candidates) == DEMONYMS_ONLY:
                reliability *= 0.9
            metonymy = is_metonymy(original, last)
            if metonymy:
                reliability *= METONYMY_RELIABILITY
            mentions.append(Mention(first, last, candidates, 2.0 if first < title_chars else 1.0,
                                    reliability, "gazetteer", metonymy, doubtful))
        return mentions

    def proposed_mentions(self, original: str, proposals: Sequence[Proposal],
                           title_chars: int) -> list[Mention]:
        """A mention for each proposed span that holds a gazetteer name (the longest one in it)."""
        mentions: list[Mention] = []
        for proposal in proposals:
            start, end = max(0, proposal.start), min(len(original), proposal.end)
            if start >= end:
                continue
            matches = [m for m in self.raw_matches(fold(original[start:end]), require_capital=False) if m[2]]
            if not matches:
                continue
            first, last, candidates, _cased = max(matches, key=lambda m: (m[1] - m[0], -m[0]))
            mentions.append(Mention(start + first, start + last, candidates,
                                    2.0 if start < title_chars else 1.0,
                                    min(1.0, max(0.0, float(proposal.score))), source="ner"))
        mentions.sort(key=lambda m: m.start)
        return mentions


def is_metonymy(original: str, last: int) -> bool:
    """The words after a place name say it names who acted, not where ("Washington said")."""
    if original[last:last + 1] not in _WORD_AFTER_STARTS:
        return False
    following = _WORD_AFTER.match(original, last)
    if following is None:
        return False
    word = following.group(1).lower()
    if word in ACTOR_WORDS:
        return True
    if word not in AUXILIARIES and word not in _PHRASE_STARTS:
        return False
    second = _WORD_AFTER.match(original, following.end())
    if second is None:
        return False
    after = second.group(1).lower()
    return after in ACTOR_WORDS if word in AUXILIARIES else (word, after) in ACTOR_PHRASES


def _all_capitals(original: str, first: int, last: int) -> bool:
    """Every letter of the match is a capital, and the words around it are not all capitals too.

    ("US" in "the US army", not "us" nor "LET US PRAY".)
    """
    span = original[first:last]
    if not span.isupper():
        return False
    around = original[max(0, first - 20):first] + original[last:last + 20]
    letters = [ch for ch in around if ch.isalpha()]
    return len(letters) < 4 or not all(ch.isupper() for ch in letters)


def _capitalised(original: str, first: int, last: int) -> bool:
    """Some word of the match starts with a capital ("région de Kharkiv" counts)."""
    if original[first].isupper():
        return True
    return any(word[:1].isupper() for word in original[first:last].split()[1:])


def _title_case(title: str) -> bool:
    """A Title Case headline: capitals there prove nothing about names."""
    words = _TITLE_WORD.findall(title)
    return len(words) >= 3 and sum(word[0].isupper() for word in words) >= 0.7 * len(words)


def _context_cues(original: str, first: int, last: int, candidates: tuple[int, ...], title_chars: int,
                  title_case: bool) -> tuple[tuple[int, ...], float, bool]:
    """Candidates left after the person-title cue, the reliability the context leaves the match,
    and whether its capitals prove nothing (sentence start, Title Case, next to another capitalised word)."""
    before = original[max(0, first - 24):first].rstrip(" \t")
    starts_sentence = not before or before[-1] in _SENTENCE_END or first == title_chars
    word = ""
    if not starts_sentence or before[-1:] == ".":
        word = last_letters(before[:-1] if before[-1:] == "." else before)
    if word and word.lower() in HONORIFICS:
        return tuple(c for c in candidates if c & 3 == DEMONYM), 1.0, True
    sentence_start = starts_sentence and original.find(" ", first, last) < 0
    in_title_case = title_case and first < title_chars
    capital_before = not starts_sentence and len(word) > 1 and word[0].isupper() and word[1:].islower()
    beside_capital = capital_before or (original[last:last + 1] in _BLANKS
                                        and _CAPITAL_AFTER.match(original, last) is not None)
    doubtful = sentence_start or in_title_case or beside_capital
    reliability = 1.0
    if _kinds(candidates) != CITIES_ONLY:
        return candidates, reliability, doubtful
    if sentence_start:
        reliability *= 0.75
    if in_title_case:
        reliability *= 0.85
    if beside_capital:
        reliability *= 0.7
    return candidates, reliability, doubtful


def last_letters(text: str) -> str:
    """The run of letters (``str.isalpha``) that ends ``text``; "" if it ends otherwise.

    Usually its last whitespace-separated word (whitespace is never a letter),
    found in C; only a word ending in letters after a non-letter ("l'Est") is walked back.
    """
    word = text.rsplit(None, 1)[-1] if text[-1:].isalpha() else ""
    if word.isalpha() or not word:
        return word
    k = len(text)
    while k > 0 and text[k - 1].isalpha():
        k -= 1
    return text[k:]


def arabic_prefix(padded: str, key_start: int) -> str | None:
    """The clitics joined in front of an Arabic name (``None``: part of a longer word)."""
    space = padded.rfind(" ", max(0, key_start - 6), key_start)
    if space < 0:
        return None
    prefix = padded[space + 1:key_start]
    return prefix if prefix in _BARE_PREFIXES or prefix in ARTICLE_PREFIXES else None
