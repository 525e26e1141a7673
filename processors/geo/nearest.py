"""The nearest gazetteer city to a point, for items that come with a geotag.

A grid of quarter-degree cells holds the cities; a query reads the cells
within a radius (50 km, doubling until a city is found inside it), so a point
among cities costs a few dozen cells and distances, and a point at sea more
cells, never a scan of all 30,000 cities.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence

EARTH_KM = 6371.0088
_KM_PER_DEGREE = math.pi * EARTH_KM / 180
CELLS_PER_DEGREE = 4
_NONE: array[int] = array("i")


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(a)))


class NearestCity:
    """Cities bucketed by grid cell; :meth:`nearest` is pure and thread-safe."""

    def __init__(self, lats: Sequence[float], lons: Sequence[float]) -> None:
        self._lats, self._lons = lats, lons
        rows: dict[int, dict[int, array[int]]] = {}
        for index, (lat, lon) in enumerate(zip(lats, lons, strict=True)):
            rows.setdefault(_row(lat), {}).setdefault(_column(lon), array("i")).append(index)
        self._rows = rows

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
        rows = math.ceil(radius * CELLS_PER_DEGREE / _KM_PER_DEGREE) + 1
        row = _row(lat)
        low, high = max(0, row - rows), min(180 * CELLS_PER_DEGREE - 1, row + rows)
        widest = min(abs(lat) + rows / CELLS_PER_DEGREE, 89.0)
        columns = min(180 * CELLS_PER_DEGREE,
                      math.ceil(radius * CELLS_PER_DEGREE / (_KM_PER_DEGREE * math.cos(math.radians(widest))))
                      + 1)
        best: tuple[int, float] | None = None
        base = _column(lon)
        ring = 360 * CELLS_PER_DEGREE
        lats, lons = self._lats, self._lons
        for each_row in range(low, high + 1):
            cells = self._rows.get(each_row)
            if not cells:
                continue
            if 2 * columns + 1 >= min(ring, len(cells) * 4):   # a whole (or sparse) row: read what it holds
                found = (members for column, members in cells.items()
                         if min((column - base) % ring, (base - column) % ring) <= columns)
            else:
                found = (cells.get((base + offset) % ring, _NONE) for offset in range(-columns, columns + 1))
            for members in found:
                for index in members:
                    distance = haversine_km(lat, lon, lats[index], lons[index])
                    if best is None or distance < best[1]:
                        best = (index, distance)
        return best


def _row(lat: float) -> int:
    return min(180 * CELLS_PER_DEGREE - 1, math.floor((lat + 90) * CELLS_PER_DEGREE))


def _column(lon: float) -> int:
    return math.floor(((lon + 180) % 360) * CELLS_PER_DEGREE) % (360 * CELLS_PER_DEGREE)


