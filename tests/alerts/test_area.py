from __future__ import annotations

from pathlib import Path

from alerts.area import area_of
from tests.alerts.test_engine import engine_for, feed


def test_a_country_group_without_coordinates_gets_a_named_geocode_only() -> None:
    area = area_of({"country": "SD"}, [{"id": "a"}])
    assert area is not None
    assert (area.description, area.country, area.lat, area.radius_km) == ("Sudan", "SD", None, None)


def test_nearby_items_make_a_circle_around_their_mean() -> None:
    samples = [{"id": "a", "loc": {"lat": 15.5, "lon": 32.5}}, {"id": "b", "loc": {"lat": 15.7, "lon": 32.5}}]
    area = area_of({"country": "SD", "city": "Khartoum"}, samples)
    assert area is not None
    assert area.description == "Khartoum, Sudan"
    assert (area.lat, area.lon) == (15.6, 32.5)
    assert area.radius_km == 11.1


def test_scattered_items_give_no_circle_and_a_language_group_no_area() -> None:
    far = [{"id": "a", "loc": {"lat": 15.5, "lon": 32.5}}, {"id": "b", "loc": {"lat": 4.8, "lon": 31.6}}]
    area = area_of({"country": "SD"}, far)
    assert area is not None and area.lat is None
    assert area_of({"lang": "en"}, [{"id": "a", "loc": None}]) is None
    assert area_of({"country": "unknown"}, []) is None


def test_alerts_from_the_engine_carry_their_area(tmp_path: Path) -> None:
    from tests.alerts.test_engine import FREQUENCY

    engine = engine_for(tmp_path, FREQUENCY)
    raised = [a for i in range(3)
              for a in feed(engine, f"x{i}", i, location={"lat": 15.5 + i / 100, "lon": 32.5})]
    [opened] = raised
    assert opened.area is not None and opened.area.country == "SD" and opened.area.lat == 15.51
