"""The nearest city to a point, by grid, equals the nearest by brute force."""

from __future__ import annotations

import math
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from processors.geo.nearest import NearestCity, haversine_km

random.seed(7)
LATS = [random.uniform(-60, 75) for _ in range(400)] + [0.5, 0.5, 89.9]
LONS = [random.uniform(-180, 180) for _ in range(400)] + [179.9, -179.9, 10.0]
GRID = NearestCity(LATS, LONS)


def brute(lat: float, lon: float) -> float:
    return min(haversine_km(lat, lon, a, b) for a, b in zip(LATS, LONS, strict=True))


@settings(max_examples=200, deadline=None)
@given(lat=st.floats(-90, 90), lon=st.floats(-180, 180))
def test_grid_finds_the_nearest_city(lat: float, lon: float) -> None:
    found = GRID.nearest(lat, lon)
    assert found is not None
    assert math.isclose(found[1], brute(lat, lon), abs_tol=1e-6)


def test_across_the_antimeridian() -> None:
    index, distance = GRID.nearest(0.5, -179.95) or (-1, 0.0)
    assert index in (401, 402) and distance < 10


def test_max_km_and_invalid_points() -> None:
    assert NearestCity([0.0], [0.0]).nearest(0.0, 10.0, max_km=100) is None
    assert GRID.nearest(math.nan, 0.0) is None
    assert GRID.nearest(91.0, 0.0) is None


def test_haversine_is_symmetric_and_bounded() -> None:
    assert math.isclose(haversine_km(0, 0, 0, 180), math.pi * 6371.0088, rel_tol=1e-9)
    assert haversine_km(10, 20, 30, 40) == haversine_km(30, 40, 10, 20)
