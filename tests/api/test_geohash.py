"""Map cells keyed the standard way, whatever order the search server interleaves bits in."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api import geohash
from api.aggregations import buckets

NEW_YORK = (40.7128, -74.0060)
NAIROBI = (-1.2864, 36.8172)


def test_known_points_get_their_standard_cells() -> None:
    assert geohash.encode(*NEW_YORK, 3) == "dr5"
    assert geohash.encode(*NEW_YORK, 6) == "dr5reg"
    assert geohash.encode(*NAIROBI, 3) == "kzf"
    (south, west), (north, east) = geohash.bounds("dr5")
    assert south <= NEW_YORK[0] <= north and west <= NEW_YORK[1] <= east


def test_a_latitude_first_key_is_rekeyed_from_its_centroid() -> None:
    """osmem-server answers New York as mc3; the centroid it returns beside it is right."""
    response = {"result": {"buckets": [
        {"key": "mc3", "doc_count": 65, "centre": {"location": {"lat": 40.73, "lon": -73.99}}},
        {"key": "kzf", "doc_count": 4, "centre": {"location": {"lat": -1.29, "lon": 36.82}}},
    ]}}
    cells = buckets("geohash", response)
    assert [(c["key"], c["count"]) for c in cells] == [("dr5", 65), ("kzf", 4)]


def test_a_key_without_a_centroid_is_left_as_it_came() -> None:
    cells = buckets("geohash", {"result": {"buckets": [{"key": "dr5", "doc_count": 1}]}})
    assert cells == [{"key": "dr5", "count": 1}]


@pytest.mark.parametrize("bad", ["", "dra", "DR5", "a"])
def test_bounds_refuses_what_is_not_a_geohash(bad: str) -> None:
    with pytest.raises(ValueError, match="not a geohash"):
        geohash.bounds(bad)


@given(st.floats(-90, 90), st.floats(-180, 180), st.integers(1, 8))
def test_every_point_lies_in_the_cell_of_its_own_key(lat: float, lon: float, precision: int) -> None:
    key = geohash.encode(lat, lon, precision)
    assert len(key) == precision and geohash.contains(key, lat, lon)
    assert geohash.standard_key(key, lat, lon) == key


async def test_the_search_servers_cells_come_back_standard(search_settings) -> None:
    """Against the real server of the demo and tests: New York's items land in dr5."""
    import uuid

    from api.aggregations import aggregation
    from processors.archive import TEMPLATE_FILE
    from tocsin.search import bulk_index, install_index, search_client

    index = f"geo-{uuid.uuid4().hex[:8]}"
    es = search_client(search_settings)
    try:
        await install_index(es, index, TEMPLATE_FILE)
        near_ny = [{"lat": NEW_YORK[0] + n / 1000, "lon": NEW_YORK[1]} for n in range(3)]
        docs = [(f"ny-{n}", {"id": f"ny-{n}", "location": point}) for n, point in enumerate(near_ny)]
        docs.append(("nbo", {"id": "nbo", "location": {"lat": NAIROBI[0], "lon": NAIROBI[1]}}))
        await bulk_index(es, index, docs, refresh=True)
        response = await es.search(index=index, size=0, aggs=aggregation("geohash", precision=3))
    finally:
        await es.close()
    cells = buckets("geohash", response.body["aggregations"])
    assert [(c["key"], c["count"]) for c in cells] == [("dr5", 3), ("kzf", 1)]
