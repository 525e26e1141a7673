"""ISO 3166-2 regions and their join to GeoNames admin1 codes."""

from __future__ import annotations

import pytest

from processors.geo.admin1 import (
    CityRow,
    Subdivision,
    clean_names,
    core_name,
    first_level_subdivisions,
    join_admin1,
)


def sub(code: str, *names: str, kind: str = "state") -> Subdivision:
    return Subdivision(code, code[:2], names[0], kind, names)


def city(country: str, admin1: str, name: str, population: int, *alternates: str) -> CityRow:
    return CityRow(country, admin1, name, alternates, population)


def test_a_hand_written_seat_joins_a_region_whatever_its_name() -> None:
    # SD-DN (North Darfur) has the seat El Fasher in processors.geo.placenames.ADMIN1_SEATS.
    join = join_admin1([sub("SD-DN", "North Darfur")], [city("SD", "55", "El Fasher", 250_000)])
    assert join.iso == {"SD.55": "SD-DN"}
    assert "SD-DN" not in join.seat   # "North Darfur" is not named after El Fasher


def test_letter_codes_that_match_are_trusted() -> None:
    join = join_admin1([sub("US-CA", "California")], [city("US", "CA", "Los Angeles", 3_900_000)])
    assert join.iso == {"US.CA": "US-CA"}


def test_number_codes_that_match_are_not_trusted() -> None:
    # GeoNames MM.01 is Rakhine; ISO MM-01 is Sagaing.
    join = join_admin1([sub("XX-01", "Sagaing")], [city("XX", "01", "Kyaukpyu", 50_000)])
    assert join.iso == {}


def test_a_region_named_after_its_largest_city_is_joined() -> None:
    join = join_admin1([sub("XX-KA", "Kassala")], [city("XX", "52", "Kassala", 400_000),
                                                   city("XX", "52", "Aroma", 30_000)])
    assert join.iso == {"XX.52": "XX-KA"}
    assert join.seat == {"XX-KA": "Kassala"}


def test_an_adjectival_name_joins_its_city() -> None:
    join = join_admin1([sub("XX-63", "Kharkivska oblast", kind="region")],
                       [city("XX", "07", "Kharkiv", 1_400_000)])
    assert join.iso == {"XX.07": "XX-63"}
    assert join.seat == {"XX-63": "Kharkiv"}


def test_a_small_namesake_far_down_the_region_is_not_evidence() -> None:
    cities = [city("XX", "19", "Monterrey", 1_100_000), city("XX", "19", "Guadalupe", 600_000),
              city("XX", "19", "Apodaca", 500_000), city("XX", "19", "Hidalgo", 20_000)]
    assert join_admin1([sub("XX-HID", "Hidalgo")], cities).iso == {}


def test_each_region_is_used_once_best_evidence_first() -> None:
    subs = [sub("XX-AA", "Alpha"), sub("XX-BB", "Alphaville")]
    cities = [city("XX", "1", "Alpha", 900_000), city("XX", "2", "Beta", 800_000),
              city("XX", "2", "Alphaville", 100_000)]
    join = join_admin1(subs, cities)
    assert join.iso == {"XX.1": "XX-AA", "XX.2": "XX-BB"}


@pytest.mark.parametrize(("raw", "names"), [
    ("Madrid, Comunidad de", ["Madrid", "Comunidad de Madrid"]),
    ("Davao (Region XI)", ["Davao"]),
    ("Wales [Cymru GB-CYM]", ["Wales", "Cymru"]),
    ("Al Anbār", ["Al Anbār", "Al Anbar", "Anbār"]),
    ("Haute-Sangha / Mambéré-Kadéï", ["Haute-Sangha", "Mambéré-Kadéï", "Mambere-Kadei"]),
])
def test_iso_names_are_cleaned(raw: str, names: list[str]) -> None:
    assert list(dict.fromkeys(clean_names(raw))) == names


def test_core_names_drop_type_words_and_accents() -> None:
    assert core_name("Kharkivska oblast") == "kharkivska"
    assert core_name("Khartoum State") == "khartoum"
    assert core_name("Ḩalab") == "halab"


def test_pycountry_gives_first_level_regions_with_translations() -> None:
    subs = {s.code: s for s in first_level_subdivisions()}
    assert len(subs) > 3000
    assert subs["SD-KH"].name == "Khartoum" and subs["SD-KH"].kind == "state"
    assert "Харківська область" in subs["UA-63"].names          # Ukrainian catalogue
    assert "Tigray" in subs["ET-TI"].names                       # hand-written alias
    assert all(s.country == s.code[:2] for s in subs.values())
