"""Where an alert is, for maps and CAP ``<area>``: the group's place names and
codes, the area the group is (its id and box, from the items' places) and a
circle around the contributing items' coordinates."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pycountry

from tocsin.schema import MISSING_GROUP_VALUE, AlertArea, EnrichedItem

# A circle never smaller than a town, nor wider than a region: beyond that the
# items are about several places, and the country code says more.
_MIN_RADIUS_KM, _MAX_RADIUS_KM = 10.0, 500.0
_PLACE_FIELDS = ("city", "admin1", "country")
# Group fields that name an area, most specific first; a town is a point (its circle), not an area.
_AREA_FIELDS = ("admin2", "admin1", "country")


def group_area(item: EnrichedItem, group: dict[str, str | None]) -> dict[str, Any] | None:
    """``{'area_id', 'bbox'}`` of the area a rule's group is, as the item's places give it; else None.

    A group by ``country`` is the place whose ``area_id`` is that country code, a
    group by ``admin1`` (or ``admin2``) the region (district) with that id. None when
    the group is a town, names no area, or the item has no place with a box for it.
    """
    if group.get("city") not in (None, MISSING_GROUP_VALUE):
        return None
    for field in _AREA_FIELDS:
        value = group.get(field)
        if value in (None, MISSING_GROUP_VALUE):
            continue
        for place in item.places:
            if place.area_id == value and place.bbox is not None and len(place.bbox) == 4:
                return {"area_id": value, "bbox": [float(v) for v in place.bbox]}
        return None
    return None


def _country_name(code: str) -> str:
    found = pycountry.countries.get(alpha_2=code.upper()) if len(code) == 2 else None
    return getattr(found, "common_name", None) or getattr(found, "name", None) or code


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


def area_of(group: dict[str, str | None], samples: Sequence[Mapping[str, Any]]) -> AlertArea | None:
    """None when the group is not a place (e.g. a language) and no item had coordinates."""
    places = {name: value for name in _PLACE_FIELDS
              if (value := group.get(name)) and value != "unknown"}
    points = [(float(loc["lat"]), float(loc["lon"])) for s in samples
              if isinstance(loc := s.get("loc"), dict) and "lat" in loc and "lon" in loc]
    if not places and not points:
        return None
    names = [places[k] for k in ("city", "admin1") if k in places]
    if "country" in places:
        names.append(_country_name(places["country"]))
    area = AlertArea(description=", ".join(names) or "where the contributing items are",
                     country=places.get("country"), admin1=places.get("admin1"), **_box(samples))
    if points:
        lat = sum(p[0] for p in points) / len(points)
        lon = sum(p[1] for p in points) / len(points)
        radius = max([_MIN_RADIUS_KM, *(_km((lat, lon), p) for p in points)])
        if radius <= _MAX_RADIUS_KM:
            area = area.model_copy(update={"lat": round(lat, 4), "lon": round(lon, 4),
                                           "radius_km": round(radius, 1)})
    return area


def _box(samples: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The group's area id and box, from the first sample that carries them (they are the group's)."""
    for sample in samples:
        area = sample.get("area")
        if isinstance(area, dict) and isinstance(area.get("area_id"), str) and _valid_bbox(area.get("bbox")):
            return {"area_id": area["area_id"], "bbox": [float(v) for v in area["bbox"]]}
    return {}


def _valid_bbox(bbox: object) -> bool:
    """[west, south, east, north] in range (west > east is a box over the antimeridian)."""
    if not isinstance(bbox, list) or len(bbox) != 4:
        return False
    if not all(isinstance(v, int | float) and math.isfinite(v) for v in bbox):
        return False
    west, south, east, north = bbox
    return -180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= north <= 90
