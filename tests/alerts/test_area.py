from __future__ import annotations

import json
from pathlib import Path

from alerts.area import area_of, group_area
from alerts.rules import load_rules
from alerts.rules.base import match_all
from tests.alerts.factories import enriched
from tests.alerts.test_engine import FREQUENCY, engine_for, feed
from tocsin.schema import Place


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
    engine = engine_for(tmp_path, FREQUENCY)
    raised = [a for i in range(3)
              for a in feed(engine, f"x{i}", i, location={"lat": 15.5 + i / 100, "lon": 32.5})]
    [opened] = raised
    assert opened.area is not None and opened.area.country == "SD" and opened.area.lat == 15.51


SUDAN = Place(name="Sudan", matched="Sudan", kind="country", country="SD", lat=15.0, lon=30.0,
              bbox=[21.7, 8.6, 38.7, 22.1], area_id="SD")
DARFUR = Place(name="North Darfur", matched="North Darfur", kind="region", country="SD", admin1="SD-DN",
               lat=16.0, lon=25.0, bbox=[22.0, 12.5, 27.9, 20.1], area_id="SD-DN")
EL_FASHER = Place(name="El Fasher", matched="El Fasher", kind="city", country="SD", admin1="SD-DN",
                  lat=13.63, lon=25.35)


def test_a_group_is_the_area_its_items_places_name() -> None:
    item = enriched("a", places=[EL_FASHER, DARFUR, SUDAN], country="SD", admin1="SD-DN")
    assert group_area(item, {"country": "SD"}) == {"area_id": "SD", "bbox": [21.7, 8.6, 38.7, 22.1]}
    assert group_area(item, {"country": "SD", "admin1": "SD-DN"}) == {
        "area_id": "SD-DN", "bbox": [22.0, 12.5, 27.9, 20.1]}


def test_a_town_a_missing_value_or_an_area_not_named_has_no_box() -> None:
    item = enriched("a", places=[EL_FASHER, SUDAN], country="SD", admin1="SD-DN", city="El Fasher")
    assert group_area(item, {"country": "SD", "city": "El Fasher"}) is None     # a town: its circle
    assert group_area(item, {"admin1": "SD-DN"}) is None                        # Darfur not named
    assert group_area(item, {"country": "unknown"}) is None
    assert group_area(item, {"lang": "en"}) is None


def test_an_alert_carries_the_box_of_its_samples_and_skips_broken_ones() -> None:
    broken = {"id": "a", "area": {"area_id": "SD", "bbox": [21.7, 30.0, 38.7, 8.6]}}    # south > north
    good = {"id": "b", "area": {"area_id": "SD", "bbox": [21.7, 8.6, 38.7, 22.1]}}
    area = area_of({"country": "SD"}, [broken, good])
    assert area is not None and (area.area_id, area.bbox) == ("SD", [21.7, 8.6, 38.7, 22.1])
    bare = area_of({"country": "SD"}, [broken])
    assert bare is not None and bare.bbox is None
    assert "bbox" not in bare.model_dump() and "area_id" not in bare.model_dump()   # the stored layout


def test_alerts_from_the_engine_draw_their_countrys_box(tmp_path: Path) -> None:
    engine = engine_for(tmp_path, FREQUENCY)      # grouped by country
    [opened] = [a for i in range(3) for a in feed(engine, f"x{i}", i, places=[SUDAN])]
    assert opened.area is not None and opened.area.bbox == [21.7, 8.6, 38.7, 22.1]
    assert opened.area.area_id == "SD"


def test_an_item_signal_without_an_area_is_written_as_the_previous_release_wrote_it(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - {name: any, type: frequency, window: 1h, threshold: 3}\n")
    loaded = load_rules(rules)
    [signal] = match_all(loaded, enriched("a", places=[EL_FASHER]))
    assert "area" not in json.loads(signal.to_bytes())
    [boxed] = match_all(loaded, enriched("a", places=[SUDAN]))
    assert json.loads(boxed.to_bytes())["area"] == {"area_id": "SD", "bbox": [21.7, 8.6, 38.7, 22.1]}
