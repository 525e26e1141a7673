"""The nearest gazetteer city to a point, for items that come with a geotag.

A grid of one-degree cells holds the cities; a query reads the cells within a
radius that doubles until a city is found inside it, so a point among cities
costs a few cells and a point in the ocean a few more, never a scan of all
30,000 cities.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence

EARTH_KM = 6371.0088
_KM_PER_DEGREE = math.pi * EARTH_KM / 180


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(a)))


class NearestCity:
    """Cities bucketed by one-degree cell; :meth:`nearest` is pure and thread-safe."""

    def __init__(self, lats: Sequence[float], lons: Sequence[float]) -> None:
        self._lats, self._lons = lats, lons
        cells: dict[int, array[int]] = {}
        for index, (lat, lon) in enumerate(zip(lats, lons, strict=True)):
            cells.setdefault(_cell(math.floor(lat), math.floor(lon)), array("i")).append(index)
        self._cells = cells

    def nearest(self, lat: float, lon: float, *, max_km: float = 20_000.0) -> tuple[int, float] | None:
        """(city index, distance in km) of the nearest city within ``max_km``, or None."""
        if not (math.isfinite(lat) and math.isfinite(lon)) or not -90 <= lat <= 90:
            return None
        lon = (lon + 180) % 360 - 180
        radius = 50.0
        while True:
            best = self._within(lat, lon, radius)
            if best is not None and best[1] <= radius:
                return best if best[1] <= max_km else None
            if radius >= min(max_km, 20_100.0):
                return best if best is not None and best[1] <= max_km else None
            radius *= 2

    def _within(self, lat: float, lon: float, radius: float) -> tuple[int, float] | None:
        rows = math.ceil(radius / _KM_PER_DEGREE) + 1
        low, high = max(-90, math.floor(lat) - rows), min(89, math.floor(lat) + rows)
        widest = max(abs(lat) + rows, 0.0)
        cosine = math.cos(math.radians(min(widest, 89.0)))
        columns = min(180, math.ceil(radius / (_KM_PER_DEGREE * cosine)) + 1)
        best: tuple[int, float] | None = None
        base = math.floor(lon)
        for row in range(low, high + 1):
            for offset in range(-columns, columns + 1):
                column = (base + offset + 180) % 360 - 180
                for index in self._cells.get(_cell(row, column), ()):
                    distance = haversine_km(lat, lon, self._lats[index], self._lons[index])
                    if best is None or distance < best[1]:
                        best = (index, distance)
        return best


def _cell(row: int, column: int) -> int:
    return (row + 90) * 360 + (column + 180)
