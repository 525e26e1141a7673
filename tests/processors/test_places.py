from __future__ import annotations

import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from processors.folding import fold
from processors.places import Gazetteer, GazetteerError, build_compact


def countries(gazetteer: Gazetteer, text: str) -> list[str]:
    return [p.country for p in gazetteer.locate(text).places if p.kind == "country"]


@pytest.mark.parametrize(("text", "country"), [
    ("Fighting resumed in Sudan.", "SD"),
    ("Les combats ont repris au Soudan.", "SD"),
    ("La violencia continúa en Sudán.", "SD"),
    ("استؤنف القتال في السودان", "SD"),
    ("ውጊያው በሱዳን እንደገና ቀጥሏል።", "SD"),
    ("Mapigano yameanza tena nchini Ethiopia.", "ET"),
    ("በኢትዮጵያ ውጊያ ቀጥሏል።", "ET"),
    ("Бої тривають в Україні та в Україна.", "UA"),
    ("Violence in Myanmar, formerly Burma.", "MM"),
    ("Des violences en République démocratique du Congo.", "CD"),
    ("Fighting in the DRC and the Democratic Republic of Congo.", "CD"),
    ("Armed groups in Burkina Faso.", "BF"),
    ("Une attaque au Mali.", "ML"),
])
def test_country_names_in_many_languages_and_scripts(gazetteer: Gazetteer, text: str, country: str) -> None:
    assert gazetteer.locate(text).country == country


@pytest.mark.parametrize(("text", "country"), [
    ("Sudanese refugees crossed the border.", "SD"),
    ("les réfugiés soudanais", "SD"),
    ("قال مسؤول سوداني", "SD"),
    ("السودانيون يفرون", "SD"),
    ("Ethiopian troops", "ET"),
    ("Congolese soldiers", "CD"),
    ("Burmese military", "MM"),
    ("Nigerian police", "NG"),
    ("Somali forces", "SO"),
    ("des soldats maliens", "ML"),
    ("Syrian families", "SY"),
    ("Yemeni fishermen", "YE"),
    ("Ukrainian drones", "UA"),
    ("Afghan women", "AF"),
    ("Haitian gangs", "HT"),
])
def test_demonyms_count_as_the_country(gazetteer: Gazetteer, text: str, country: str) -> None:
    assert gazetteer.locate(text).country == country


def test_longer_match_wins(gazetteer: Gazetteer) -> None:
    location = gazetteer.locate("Clashes in South Sudan and among South Sudanese refugees.")
    assert location.country == "SS"
    assert "SD" not in [p.country for p in location.places]


@pytest.mark.parametrize("text", [
    "Of course, we hope the march in Reading will be nice.",
    "Police said the same split was seen in the bar.",
    "Mobile phones were on sale.",
    "She said the man was male.",
])
def test_common_words_are_not_places(gazetteer: Gazetteer, text: str) -> None:
    assert gazetteer.locate(text).places == []


def test_lower_case_city_names_are_not_places(gazetteer: Gazetteer) -> None:
    assert gazetteer.locate("we will goma later, said the boma herder").places == []
    assert gazetteer.locate("Fighting near Goma.").city == "Goma"


def test_lower_case_demonyms_still_count(gazetteer: Gazetteer) -> None:
    assert gazetteer.locate("des civils congolais").country == "CD"


def test_city_gives_coordinates_and_country(gazetteer: Gazetteer) -> None:
    location = gazetteer.locate("Shelling hit Kharkiv overnight.")
    assert (location.country, location.city) == ("UA", "Kharkiv")
    assert location.lat is not None and 49 < location.lat < 51
    assert location.geo_point == {"lat": location.lat, "lon": location.lon}


def test_arabic_city_with_clitics(gazetteer: Gazetteer) -> None:
    location = gazetteer.locate("اشتباكات في الخرطوم وبالخرطوم")
    assert (location.country, location.city) == ("SD", "Khartoum")


def test_same_named_city_resolved_by_mentioned_country(gazetteer: Gazetteer) -> None:
    # There are places called Hyderabad in India (bigger) and in Pakistan.
    assert gazetteer.locate("Floods in Hyderabad.").places[0].country == "IN"
    assert gazetteer.locate("Floods in Hyderabad, Pakistan.").city == "Hyderabad"
    assert gazetteer.locate("Floods in Hyderabad, Pakistan.").country == "PK"


def test_same_named_city_resolved_by_feed_country(gazetteer: Gazetteer) -> None:
    assert gazetteer.locate("Floods in Hyderabad.", country_hint="PK").places[0].country == "PK"


def test_title_mentions_weigh_double(gazetteer: Gazetteer) -> None:
    text = "Attack in Mali\nThe attack was condemned by Niger. Niger sent envoys."
    assert gazetteer.locate(text, title_chars=len("Attack in Mali") + 1).country == "ML"
    assert gazetteer.locate(text).country == "NE"


def test_votes_pick_the_main_country(gazetteer: Gazetteer) -> None:
    text = "Sudanese army shelled Omdurman. Chad closed its border. Fighting in Khartoum and El Obeid."
    location = gazetteer.locate(text)
    assert location.country == "SD"
    assert location.city in {"Omdurman", "Khartoum", "El Obeid"}


def test_no_place_falls_back_to_hint(gazetteer: Gazetteer) -> None:
    location = gazetteer.locate("Nothing here names a place.", country_hint="ke")
    assert (location.country, location.places, location.city) == ("KE", [], None)


def test_unknown_hint_is_ignored(gazetteer: Gazetteer) -> None:
    assert gazetteer.locate("nothing", country_hint="XX").country is None
    assert gazetteer.locate("nothing", country_hint="Kenya").country is None


def test_places_are_listed_once_with_matched_text(gazetteer: Gazetteer) -> None:
    places = gazetteer.locate("Sudan, Sudan and the Sudanese.").places
    assert [(p.kind, p.country, p.matched) for p in places] == [("country", "SD", "Sudan")]


def test_matched_text_maps_back_through_dropped_diacritics(gazetteer: Gazetteer) -> None:
    text = "قَصْفٌ عَلَى الْخَرْطُومِ"
    place = gazetteer.locate(fold(text)).places[0]
    assert place.name == "Khartoum"
    assert place.matched == "الْخَرْطُومِ"


def test_region_votes_for_its_country(gazetteer: Gazetteer) -> None:
    location = gazetteer.locate("Fighting in Tigray continued.")
    assert location.country == "ET"
    assert location.places[0].kind == "region"


@pytest.mark.parametrize("text", [
    "\ud800\udfff lone surrogates Sudan \udc00",
    "\x00Sudan\x00",
    "Sudan " * 50_000,
    "\u0651" * 1000 + "السودان",
])
def test_hostile_text_does_not_raise(gazetteer: Gazetteer, text: str) -> None:
    gazetteer.locate(text, country_hint="SD")


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.characters(exclude_categories=(), max_codepoint=sys.maxunicode)),
       hint=st.one_of(st.none(), st.text(max_size=3)))
def test_any_string_is_located_without_raising(gazetteer: Gazetteer, text: str, hint: str | None) -> None:
    location = gazetteer.locate(text, country_hint=hint)
    for place in location.places:
        assert place.matched


@settings(max_examples=200, deadline=None)
@given(prefix=st.text(max_size=40), suffix=st.text(max_size=40))
def test_a_country_in_any_context_is_found(gazetteer: Gazetteer, prefix: str, suffix: str) -> None:
    text = f"{prefix} Ethiopia {suffix}"
    assert "ET" in [p.country for p in gazetteer.locate(text).places] or _glued(prefix, suffix)


def _glued(prefix: str, suffix: str) -> bool:
    """Hypothesis may glue a letter or combining mark onto the name; then it is not a whole word."""
    return any(ch.isalnum() or ch == "_" for ch in (prefix[-1:] + suffix[:1]))


def test_compact_build_equals_in_process_build() -> None:
    compact = build_compact(min_population=1_000_000)
    direct = Gazetteer(min_population=1_000_000)
    text = "Shelling in Kharkiv and Khartoum; Sudanese and Ukrainian officials met in Cairo."
    assert compact.locate(text) == direct.locate(text)
    assert compact.keys == direct.keys


def test_compact_build_falls_back_in_process(monkeypatch: pytest.MonkeyPatch,
                                             caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    gazetteer = build_compact(min_population=1_000_000)
    assert gazetteer.locate("Fighting in Khartoum").city == "Khartoum"
    assert "building in-process" in caplog.text


def test_min_population_below_shipped_data_is_an_error() -> None:
    with pytest.raises(GazetteerError, match="at least 500"):
        Gazetteer(min_population=10)
