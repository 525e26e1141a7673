"""Representative points, bounding boxes and the shipped admin names (processors.geo.areas)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from processors.geo.areas import AreaDataError, Extent, bbox_of, load_admin_names, published_points


def test_a_box_is_west_south_east_north_padded() -> None:
    assert bbox_of([1.0, 2.0], [10.0, 20.0]) == (9.9, 0.9, 20.1, 2.1)


def test_a_box_across_the_antimeridian_has_west_greater_than_east() -> None:
    west, south, east, north = bbox_of([60.0, 50.0, 65.0], [170.0, -170.0, 179.0])
    assert (west, east) == (169.9, -169.9)      # 20 degrees wide, not 340
    assert (south, north) == (49.9, 65.1)


def test_a_box_of_one_point_is_the_point_padded() -> None:
    assert bbox_of([5.0], [5.0]) == (4.9, 4.9, 5.1, 5.1)


def test_an_extent_point_is_the_town_nearest_the_middle() -> None:
    extent = Extent()
    for lat, lon in [(0.0, 0.0), (0.0, 2.0), (0.1, 1.1), (2.0, 1.0)]:
        extent.add(lat, lon)
    assert extent.point() == (0.1, 1.1)          # a town: inside the unit even if it is concave


def test_an_extent_without_towns_has_no_point_or_box() -> None:
    assert Extent().point() is None
    assert Extent().bbox() is None
    assert Extent().bbox((1.0, 1.0)) == (0.9, 0.9, 1.1, 1.1)


def test_the_shipped_admin_names_name_admin1_codes_and_towns_admin2() -> None:
    names = load_admin_names()
    assert names.admin1["KE.26"].startswith("Kisumu")
    assert len(names.admin1) > 3_000 and len(names.admin2_of_town) > 100_000


def test_a_broken_admin_names_file_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "admin_names.tsv.gz"
    broken.write_bytes(b"not gzip")
    with pytest.raises(AreaDataError, match=r"admin_names\.tsv\.gz"):
        load_admin_names(broken)


def test_admin_names_lines_are_read_by_kind(tmp_path: Path) -> None:
    table = tmp_path / "names.tsv.gz"
    table.write_bytes(gzip.compress(b"A1\tKE.26\tKisumu County\nA2\t123\tNyando\nA2\tx\tbad\n"))
    names = load_admin_names(table)
    assert names.admin1 == {"KE.26": "Kisumu County"}
    assert names.admin2_of_town == {123: "Nyando"}


def test_published_points_are_geographic_centres_not_capitals() -> None:
    countries, regions = published_points()
    sudan = countries["SD"]
    assert sudan == (15.0, 30.0)                   # Khartoum is at 15.55, 32.53
    assert "SD-DN" in regions and "US-CA" in regions
