"""Where an area is: a representative point, a bounding box and an id for countries and admin units.

A mention of a country or a region means the area, not a pin in its capital:
its place carries a representative interior point (``lat``/``lon``), a
bounding box (``bbox``) and an id (``area_id``) a map can draw it by.

Points, best source first:

* countries: the geographic centre that ``countrystatecity-countries`` gives
  (the CIA World Factbook's "geographic coordinates", which Wikipedia uses too);
* first-level regions: that package's point for the ISO 3166-2 code;
* everything else (GeoNames admin1 units not joined to ISO, second-level
  units, countries missing there): the unit's own towns — the town nearest to
  the mean of its towns' coordinates. The mean of the settled area lands near
  its middle; snapping it to a town keeps it inside the unit even when the
  unit is concave or has islands.

Bounding boxes come from the towns of 1,000+ people in the unit (and its
point), padded by :data:`BBOX_PAD_DEG`: the settled extent, not the legal
border (no shipped wheel has admin polygons we may use). ``[west, south,
east, north]`` in degrees, GeoJSON's order; ``west > east`` means the box
crosses the antimeridian (Russia, Fiji).

Names of GeoNames' admin units come from ``data/admin_names.tsv.gz``
(:mod:`processors.geo.derive_admin_names`).
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from tocsin.errors import ModelError

ADMIN_NAMES = Path(__file__).resolve().parent / "data" / "admin_names.tsv.gz"
BBOX_PAD_DEG = 0.1

Point = tuple[float, float]
BBox = tuple[float, float, float, float]


class AreaDataError(ModelError, RuntimeError):
    """A shipped data file the areas are built from is missing or unreadable (a broken install)."""


@dataclass(slots=True)
class AdminNames:
    """GeoNames' names of admin1 codes ("KE.26" → "Kisumu County") and each town's admin2 name."""

    admin1: dict[str, str] = field(default_factory=dict)
    admin2_of_town: dict[int, str] = field(default_factory=dict)


def load_admin_names(path: Path = ADMIN_NAMES) -> AdminNames:
    try:
        text = gzip.decompress(path.read_bytes()).decode("utf-8")
    except (OSError, EOFError, gzip.BadGzipFile, UnicodeDecodeError) as exc:
        raise AreaDataError(f"{path}: cannot read the admin names table: {exc}") from exc
    names = AdminNames()
    for line in text.splitlines():
        kind, key, _, name = line.partition("\t")[0], *line.split("\t", 1)[1].partition("\t")
        if kind == "A1":
            names.admin1[key] = name
        elif kind == "A2" and key.isdigit():
            names.admin2_of_town[int(key)] = name
    return names


def published_points() -> tuple[dict[str, Point], dict[str, Point]]:
    """(country code → point, ISO 3166-2 code → point) from ``countrystatecity-countries``.

    Empty if the package is absent: every point then comes from the towns.
    """
    try:
        root = resources.files("countrystatecity_countries") / "data"
    except ModuleNotFoundError:
        return {}, {}
    countries: dict[str, Point] = {}
    regions: dict[str, Point] = {}
    try:
        for country in json.loads((root / "countries.json").read_text(encoding="utf-8")):
            point = _point(country)
            if point is not None and country.get("iso2"):
                countries[str(country["iso2"])] = point
            states = root / "by-country" / str(country.get("iso2")) / "states.json"
            if not states.is_file():
                continue
            for state in json.loads(states.read_text(encoding="utf-8")):
                point = _point(state)
                code = state.get("iso3166_2")
                if point is not None and isinstance(code, str) and "-" in code:
                    regions.setdefault(code, point)
    except (OSError, ValueError) as exc:
        raise AreaDataError(f"countrystatecity-countries data unreadable: {exc}") from exc
    return countries, regions


def _point(row: dict[str, object]) -> Point | None:
    try:
        lat, lon = float(str(row.get("latitude"))), float(str(row.get("longitude")))
    except ValueError:
        return None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    if lat == 0.0 and lon == 0.0:
        return None
    return round(lat, 4), round(lon, 4)


class Extent:
    """The towns of one area, gathered to give it a point and a box."""

    __slots__ = ("lats", "lons")

    def __init__(self) -> None:
        self.lats: list[float] = []
        self.lons: list[float] = []

    def add(self, lat: float, lon: float) -> None:
        self.lats.append(lat)
        self.lons.append(lon)

    def point(self) -> Point | None:
        """The town nearest to the mean of the towns (on the sphere); None without towns."""
        if not self.lats:
            return None
        x = y = z = 0.0
        for lat, lon in zip(self.lats, self.lons, strict=True):
            phi, lam = math.radians(lat), math.radians(lon)
            x += math.cos(phi) * math.cos(lam)
            y += math.cos(phi) * math.sin(lam)
            z += math.sin(phi)
        mean_lat = math.degrees(math.atan2(z, math.hypot(x, y)))
        mean_lon = math.degrees(math.atan2(y, x))
        shrink = math.cos(math.radians(mean_lat))
        best = min(range(len(self.lats)), key=lambda i: (
            (self.lats[i] - mean_lat) ** 2 + (((self.lons[i] - mean_lon + 180) % 360 - 180) * shrink) ** 2))
        return round(self.lats[best], 4), round(self.lons[best], 4)

    def bbox(self, also: Point | None = None) -> BBox | None:
        lats, lons = list(self.lats), list(self.lons)
        if also is not None:
            lats.append(also[0])
            lons.append(also[1])
        if not lats:
            return None
        return bbox_of(lats, lons)


def bbox_of(lats: Iterable[float], lons: Iterable[float], pad: float = BBOX_PAD_DEG) -> BBox:
    """[west, south, east, north] of points, the narrowest span of longitudes (west > east: across 180°)."""
    lat_list = list(lats)
    south, north = max(-90.0, min(lat_list) - pad), min(90.0, max(lat_list) + pad)
    ordered = sorted(set(lons))
    # the largest gap between neighbouring longitudes (wrapping round) is what the box leaves out
    gaps = [(ordered[(i + 1) % len(ordered)] - ordered[i]) % 360 for i in range(len(ordered))]
    widest = max(range(len(gaps)), key=gaps.__getitem__)
    if len(ordered) == 1:
        west = east = ordered[0]
    else:
        west, east = ordered[(widest + 1) % len(ordered)], ordered[widest]
    west, east = _wrap(west - pad), _wrap(east + pad)
    return round(west, 3), round(south, 3), round(east, 3), round(north, 3)


def _wrap(lon: float) -> float:
    return (lon + 180.0) % 360.0 - 180.0 if not -180.0 <= lon <= 180.0 else lon
