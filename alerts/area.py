"""Where an alert is, for maps and CAP ``<area>``: the group's place names and
codes, and a circle around the contributing items' coordinates."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pycountry

from tocsin.schema import AlertArea

# A circle never smaller than a town, nor wider than a region: beyond that the
# items are about several places, and the country code says more.
_MIN_RADIUS_KM, _MAX_RADIUS_KM = 10.0, 500.0
_PLACE_FIELDS = ("city", "admin1", "country")


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
                     country=places.get("country"), admin1=places.get("admin1"))
    if points:
        lat = sum(p[0] for p in points) / len(points)
        lon = sum(p[1] for p in points) / len(points)
        radius = max([_MIN_RADIUS_KM, *(_km((lat, lon), p) for p in points)])
        if radius <= _MAX_RADIUS_KM:
            area = area.model_copy(update={"lat": round(lat, 4), "lon": round(lon, 4),
                                           "radius_km": round(radius, 1)})
    return area
