"""What the larger gazetteer finds: areas with points and boxes, small towns, districts, continents,
scripts without spaces, acronyms, metonymy (the shared gazetteer)."""

from __future__ import annotations

import pytest

from processors.geo.gazetteer import Gazetteer
from processors.geo.matching import is_metonymy

# -- countries and regions are areas, not pins in their capitals ------------------------------------


def test_a_country_is_at_a_representative_point_with_its_capital_apart(gazetteer: Gazetteer) -> None:
    [sudan] = gazetteer.locate("Fighting resumed in Sudan.").places
    assert (sudan.lat, sudan.lon) == (15.0, 30.0)            # not Khartoum (15.55, 32.53)
    assert sudan.capital == "Khartoum" and sudan.area_id == "SD"
    assert sudan.bbox is not None
    west, south, east, north = sudan.bbox
    assert west < 24 < 37 < east and south < 10 < 21 < north


def test_the_united_states_is_at_the_centre_of_the_contiguous_states(gazetteer: Gazetteer) -> None:
    # the published (Factbook) point, 38°N 97°W, is near Wichita, 250 km from the centre
    [us] = gazetteer.locate("Cases rose in the United States.").places
    assert (us.lat, us.lon) == (39.8283, -98.5795)            # NGS marker near Lebanon, Kansas
    assert us.capital == "Washington" and us.area_id == "US"


def test_a_region_has_an_area_id_and_a_box_around_its_point(gazetteer: Gazetteer) -> None:
    [darfur] = gazetteer.locate("Displaced people in North Darfur.").places
    assert darfur.area_id == "SD-DN" and darfur.bbox is not None
    west, south, east, north = darfur.bbox
    assert darfur.lat is not None and darfur.lon is not None
    assert west <= darfur.lon <= east and south <= darfur.lat <= north


def test_a_town_is_a_point_without_an_area(gazetteer: Gazetteer) -> None:
    [goma] = gazetteer.locate("Fighting in Goma.").places
    assert goma.kind == "city" and goma.area_id is None and goma.bbox is None


# -- small towns and second-level units ------------------------------------------------------------


def test_a_small_town_is_found_where_its_country_is_named(gazetteer: Gazetteer) -> None:
    location = gazetteer.locate("Gunmen attacked Sotik, a town in western Kenya.")
    sotik = [p for p in location.places if p.kind == "city"]
    assert [(p.name, p.country) for p in sotik] == [("Sotik", "KE")]
    assert sotik[0].population is not None and sotik[0].population < 15_000


def test_a_small_town_nothing_points_to_is_not_a_place(gazetteer: Gazetteer) -> None:
    # Sotik (Kenya, about 4,000 people): without Kenya in the text, only a capitalised word
    assert [p.name for p in gazetteer.locate("Gunmen attacked Sotik at night.").places] == []


def test_a_town_beside_a_capitalised_word_needs_its_country_named(gazetteer: Gazetteer) -> None:
    # Mandela is a town of 77,000 people in Ghana; here, a man's name
    assert gazetteer.locate("The outbreak is over, said Nelson Mandela.").places == []
    assert [p.country for p in gazetteer.locate("In Ghana, the town of Mandela.").places] == ["GH", "GH"]


def test_a_second_level_unit_is_a_district_with_its_region(gazetteer: Gazetteer) -> None:
    location = gazetteer.locate("Floods hit Scott County, Iowa.")
    county, iowa = location.places
    assert (county.kind, county.name, county.admin1) == ("district", "Scott County", "US-IA")
    assert county.admin2 == county.area_id and county.admin2 is not None
    assert (iowa.kind, iowa.area_id) == ("region", "US-IA")
    assert location.admin2 == county.admin2 and location.geo_point is not None


def test_towns_carry_their_district(gazetteer: Gazetteer) -> None:
    location = gazetteer.locate("Floods in Davenport, Iowa.")
    [davenport] = [p for p in location.places if p.kind == "city"]
    assert (davenport.admin2, davenport.admin2_name) == ("US.IA/Scott County", "Scott County")
    assert location.admin2 == "US.IA/Scott County"


def test_nyanza_province_is_in_kenya(gazetteer: Gazetteer) -> None:
    # seen in the demo corpus: it resolved to Nyanza, Rwanda
    text = "An outbreak in Kenya. Nyanza Province, with 750 infections, has felt the brunt."
    location = gazetteer.locate(text)
    nyanza = [p for p in location.places if p.matched == "Nyanza Province"]
    assert [(p.kind, p.country) for p in nyanza] == [("region", "KE")]
    assert location.country == "KE"


# -- continents and regions of several countries ---------------------------------------------------


def test_a_continent_is_a_place_without_a_country(gazetteer: Gazetteer) -> None:
    asia, africa = gazetteer.locate("Flights from Asia to West Africa.").places
    assert (asia.kind, asia.name, asia.country) == ("continent", "Asia", None)
    assert (africa.kind, africa.name, africa.country) == ("continent", "West Africa", None)
    assert asia.bbox is not None


def test_a_continent_is_never_the_primary_place(gazetteer: Gazetteer) -> None:
    location = gazetteer.locate("Across Africa, and in Mali above all.")
    assert location.country == "ML"


# -- acronyms ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "country"), [
    ("The US and the UK sent aid.", "US"),
    ("U.S. officials arrived.", "US"),
    ("Aid reached the DRC.", "CD"),
    ("Floods in NSW.", "AU"),
])
def test_acronyms_written_in_capitals_are_countries(gazetteer: Gazetteer, text: str, country: str) -> None:
    assert gazetteer.locate(text).places[0].country == country


@pytest.mark.parametrize("text", ["Let us pray.", "Us and them.", "LET US PRAY FOR PEACE", "a car bomb"])
def test_acronyms_not_in_capitals_or_in_a_capitals_headline_are_words(gazetteer: Gazetteer,
                                                                      text: str) -> None:
    assert gazetteer.locate(text).places == []


# -- scripts without spaces, Hebrew prefixes -------------------------------------------------------


@pytest.mark.parametrize(("text", "names"), [
    ("苏丹和南苏丹的冲突", ["Sudan", "South Sudan"]),
    ("スーダンで戦闘が続く", ["Sudan"]),
    ("수단에서 전투가 계속되고 있다", ["Sudan"]),
    ("การสู้รบในซูดาน", ["Sudan"]),
    ("הלחימה בסודן נמשכת", ["Sudan"]),
    ("ירי בירושלים ובחיפה", ["Jerusalem", "Haifa"]),
])
def test_names_in_han_kana_hangul_thai_and_hebrew(gazetteer: Gazetteer, text: str, names: list[str]) -> None:
    assert [p.name for p in gazetteer.locate(text).places] == names


def test_a_hebrew_name_inside_a_longer_word_is_not_matched(gazetteer: Gazetteer) -> None:
    # "חיפהאי" is not a word; a name must end a word and start one (after its prefixes)
    assert gazetteer.locate("אחיפה").places == []


# -- metonymy ------------------------------------------------------------------------------------------


def test_who_spoke_is_a_lower_confidence_reference_and_not_the_primary_place(gazetteer: Gazetteer) -> None:
    location = gazetteer.locate("Washington said on Monday that the attack in Mogadishu killed 12.")
    washington, mogadishu = location.places
    assert washington.metonymy and washington.country == "US"
    assert washington.confidence is not None and washington.confidence < 0.7
    assert not mogadishu.metonymy
    assert (location.country, location.city) == ("SO", "Mogadishu")


def test_a_government_named_by_its_demonym_is_not_where_things_happened(gazetteer: Gazetteer) -> None:
    location = gazetteer.locate("The Sudanese government denied the attack in Bor, South Sudan.")
    sudan = [p for p in location.places if p.country == "SD"]
    assert sudan and all(p.metonymy for p in sudan)
    assert location.country == "SS"


def test_a_place_also_named_literally_is_not_metonymic(gazetteer: Gazetteer) -> None:
    [kenya] = gazetteer.locate("Kenya said the floods in Kenya were the worst in years.").places
    assert not kenya.metonymy


@pytest.mark.parametrize(("text", "name", "expected"), [
    ("Washington said", "Washington", True),
    ("Moscow's officials", "Moscow", True),
    ("Sudan has said", "Sudan", True),
    ("la France a déclaré", "la France", True),
    ("Britain's prime minister", "Britain", True),
    ("Sudan prime suspect", "Sudan", False),
    ("Sudanese refugees", "Sudanese", False),
    ("Paris, France", "Paris", False),
    ("Kenya", "Kenya", False),
])
def test_the_words_after_a_name_tell_metonymy(text: str, name: str, expected: bool) -> None:
    assert is_metonymy(text, len(name)) is expected


def test_a_news_agency_is_not_its_country(gazetteer: Gazetteer) -> None:
    # seen in the demo corpus: "According to Agence France-Presse" made France a place of a Kenyan story
    places = gazetteer.locate("Cholera in Kenya, according to Agence France-Presse.").places
    assert [p.country for p in places] == ["KE"]
