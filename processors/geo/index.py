"""The gazetteer's tables: every country, region, district, town and continent it knows, by candidate.

A candidate is an int that encodes a kind (city, country, demonym, region) and
a row (:func:`encode`); the matcher's automata hold candidates, and resolution
asks this index the facts about them (:class:`~processors.geo.resolve.Facts`).
The region table holds every area below or above a country, told apart by
``region_level``: first-level regions (:data:`ADMIN1`), second-level units
(:data:`ADMIN2`), named regions that are neither (Darfur, :data:`NAMED`) and
continents (:data:`CONTINENT`, country ""). Built by :mod:`processors.geo.build`;
read-only afterwards, so lookups are thread-safe.
"""

from __future__ import annotations

import math
from array import array
from functools import lru_cache
from typing import Any

from processors.geo.areas import BBox
from processors.geo.nearest import NearestCity
from processors.geo.resolve import (
    ADMIN1_CLASS,
    ADMIN2_CLASS,
    CITY,
    CONTINENT_CLASS,
    COUNTRY,
    COUNTRY_CLASS,
    NAMED_CLASS,
    REGION,
    TOWN_CLASS,
    Fact,
    Group,
    candidate_fact,
    candidate_group,
)
from tocsin.schema import Place

# region_level values
CONTINENT, NAMED, ADMIN1, ADMIN2 = -1, 0, 1, 2
_CLASS_OF_LEVEL = {CONTINENT: CONTINENT_CLASS, NAMED: NAMED_CLASS, ADMIN1: ADMIN1_CLASS, ADMIN2: ADMIN2_CLASS}
_KIND_OF_LEVEL = {CONTINENT: "continent", NAMED: "region", ADMIN1: "region", ADMIN2: "district"}


def encode(kind: int, index: int) -> int:
    return index * 4 + kind


def decode(candidate: int) -> tuple[int, int]:
    return candidate & 3, candidate >> 2


# Bounds of the per-process caches of names' candidate groups and of places (cleared when full).
GROUPS_KEPT = 1 << 15
PLACES_KEPT = 1 << 12


class PlaceIndex:
    """Columns of countries, regions and cities (arrays: about 20 MB for 170,000 towns)."""

    nearest: NearestCity

    def __init__(self) -> None:
        self.country_codes: list[str] = []
        self.country_index: dict[str, int] = {}
        self.country_names: list[str] = []
        self.country_population: list[int] = []
        self.country_lat = array("d")
        self.country_lon = array("d")
        self.country_capital: list[str | None] = []
        self.country_bbox: list[BBox | None] = []
        self.language_countries: dict[str, frozenset[str]] = {}
        self.city_name: list[str] = []
        self.city_country: list[str] = []
        self.city_admin1: list[str | None] = []
        self.city_admin2: list[str | None] = []
        self.city_lat = array("d")
        self.city_lon = array("d")
        self.city_population = array("q")
        self.region_name: list[str] = []
        self.region_country: list[str] = []
        self.region_level = array("b")
        self.region_admin1: list[str | None] = []   # its own (ADMIN1), its parent's (ADMIN2)
        self.region_area_id: list[str | None] = []
        self.region_lat = array("d")
        self.region_lon = array("d")
        self.region_population = array("q")
        self.region_bbox: list[BBox | None] = []
        self.admin1_names: dict[str, str] = {}
        self.admin2_names: dict[str, str] = {}
        self.named_regions_from = 0
        self.continents_from = 0
        self._groups: dict[tuple[int, ...], Group] = {}
        self._places: dict[int, Place] = {}

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_groups"], state["_places"] = {}, {}     # caches of this process, not of the gazetteer
        return state

    def country_of(self, candidate: int) -> str:
        kind, index = decode(candidate)
        if kind == CITY:
            return self.city_country[index]
        if kind == REGION:
            return self.region_country[index]
        return self.country_codes[index]

    def admin1_of(self, candidate: int) -> str | None:
        kind, index = decode(candidate)
        if kind == CITY:
            return self.city_admin1[index]
        if kind == REGION:
            return self.region_admin1[index]
        return None

    def admin2_of(self, candidate: int) -> str | None:
        kind, index = decode(candidate)
        if kind == CITY:
            return self.city_admin2[index]
        if kind == REGION and self.region_level[index] == ADMIN2:
            return self.region_area_id[index]
        return None

    def feature_of(self, candidate: int) -> int:
        """The feature class (``*_CLASS`` of :mod:`processors.geo.resolve`)."""
        kind, index = decode(candidate)
        if kind == CITY:
            return TOWN_CLASS
        if kind == REGION:
            return _CLASS_OF_LEVEL[self.region_level[index]]
        return COUNTRY_CLASS

    @lru_cache(maxsize=1 << 16)  # noqa: B019  (one gazetteer per process; bounded)
    def fact(self, candidate: int) -> Fact:
        return candidate_fact(candidate, self)

    def group(self, candidates: tuple[int, ...]) -> Group:
        """:func:`candidate_group`, cached (a Group is immutable, so items can share it).

        A plain dict, emptied when full, not ``lru_cache``: a hit is asked for
        every name of every item, and a method's ``lru_cache`` costs 0.4 µs a hit.
        """
        found = self._groups.get(candidates)
        if found is None:
            if len(self._groups) >= GROUPS_KEPT:
                self._groups.clear()
            found = self._groups[candidates] = candidate_group(candidates, self)
        return found

    def point_of(self, candidate: int) -> tuple[float, float] | None:
        kind, index = decode(candidate)
        if kind == CITY:
            return self.city_lat[index], self.city_lon[index]
        lats, lons = (self.region_lat, self.region_lon) if kind == REGION else (
            self.country_lat, self.country_lon)
        lat = lats[index]
        return None if math.isnan(lat) else (lat, lons[index])

    def population_of(self, candidate: int) -> int:
        kind, index = decode(candidate)
        if kind == CITY:
            return self.city_population[index]
        if kind == REGION:
            return self.region_population[index]
        return self.country_population[index]

    def country_point(self, code: str) -> tuple[float, float] | None:
        """A country's representative point, as its places carry; None for an unknown code."""
        index = self.country_index.get(code.upper())
        return None if index is None else self.point_of(encode(COUNTRY, index))

    def nearest_city(self, lat: float, lon: float) -> tuple[str, str, float] | None:
        """(name, country, km) of the gazetteer city nearest to a point; None for an invalid point."""
        found = self.nearest.nearest(lat, lon)
        if found is None:
            return None
        city, distance = found
        return self.city_name[city], self.city_country[city], distance

    def place_of(self, candidate: int) -> Place:
        """The place a candidate is, without a mention's span (copied for each mention: 2 µs, not 4).

        Cached like :meth:`group`; callers copy it and never change it.
        """
        found = self._places.get(candidate)
        if found is None:
            if len(self._places) >= PLACES_KEPT:
                self._places.clear()
            found = self._places[candidate] = self._place(candidate)
        return found

    def _place(self, candidate: int) -> Place:
        kind, i = decode(candidate)
        where: dict[str, Any] = {"matched": "", "confidence": 1.0}
        if kind == CITY:
            admin1, admin2 = self.city_admin1[i], self.city_admin2[i]
            return Place(name=self.city_name[i], kind="city", country=self.city_country[i],
                         admin1=admin1, admin1_name=self.admin1_names.get(admin1 or ""),
                         admin2=admin2, admin2_name=self.admin2_names.get(admin2 or ""),
                         lat=self.city_lat[i], lon=self.city_lon[i],
                         population=self.city_population[i], **where)
        if kind == REGION:
            lat, lon = self.region_lat[i], self.region_lon[i]
            level = self.region_level[i]
            admin1 = self.region_admin1[i]
            area = self.region_area_id[i]
            admin2 = area if level == ADMIN2 else None
            bbox = self.region_bbox[i]
            return Place(name=self.region_name[i], kind=_KIND_OF_LEVEL[level],
                         country=self.region_country[i] or None,
                         admin1=admin1, admin1_name=self.admin1_names.get(admin1 or ""),
                         admin2=admin2, admin2_name=self.region_name[i] if admin2 else None,
                         lat=None if math.isnan(lat) else lat, lon=None if math.isnan(lon) else lon,
                         bbox=list(bbox) if bbox else None, area_id=area,
                         population=self.region_population[i] or None, **where)
        lat, lon = self.country_lat[i], self.country_lon[i]
        bbox = self.country_bbox[i]
        return Place(name=self.country_names[i], kind="country", country=self.country_codes[i],
                     lat=None if math.isnan(lat) else lat, lon=None if math.isnan(lon) else lon,
                     bbox=list(bbox) if bbox else None, area_id=self.country_codes[i],
                     capital=self.country_capital[i],
                     population=self.country_population[i] or None, **where)
