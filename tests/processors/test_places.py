from __future__ import annotations

import logging
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from processors.folding import fold
from processors.geo.gazetteer import Gazetteer, GazetteerError, LocateRequest
from processors.geo.records import copied
from processors.geo.shared import build_compact
from tocsin.swallowed import swallowed_count


def countries(gazetteer: Gazetteer, text: str) -> list[str | None]:
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


@pytest.mark.parametrize(("text", "matched", "start"), [
    ("\ud800\udfff lone surrogates Sudan \udc00", "Sudan", 19),
    ("\x00Sudan\x00", "Sudan", 1),
    ("Sudan " * 50_000, "Sudan", 0),
    ("\u0651" * 1000 + "السودان", "السودان", 1000),
])
def test_hostile_text_is_located_without_a_swallowed_exception(gazetteer: Gazetteer, text: str, matched: str,
                                                               start: int) -> None:
    """``locate`` catches everything, so "it did not raise" proves nothing: the place must be
    found, and nothing may have been caught on the way."""
    before = swallowed_count("places.locate")
    location = gazetteer.locate(text, country_hint="SD")
    found = [(p.name, p.kind, p.matched, p.start) for p in location.places]
    assert found == [("Sudan", "country", matched, start)]
    assert location.country == "SD"
    assert swallowed_count("places.locate") == before


def test_an_exception_while_locating_is_counted_and_logged(
        gazetteer: Gazetteer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("resolution bug")

    monkeypatch.setattr("processors.geo.gazetteer.resolve", broken)
    before = swallowed_count("places.locate")
    with caplog.at_level(logging.WARNING, logger="processors.geo.gazetteer"):
        location = gazetteer.locate("Fighting in Khartoum, Sudan", country_hint="SD")
    assert location.places == [] and location.country == "SD"  # the item goes on, with its feed's country
    assert swallowed_count("places.locate") == before + 1
    warned = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("places.locate failed (RuntimeError: resolution bug)" in r.getMessage() for r in warned)


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.characters(exclude_categories=(), max_codepoint=sys.maxunicode)),
       hint=st.one_of(st.none(), st.text(max_size=3)))
def test_any_string_is_located_without_a_swallowed_exception(gazetteer: Gazetteer, text: str,
                                                             hint: str | None) -> None:
    before = swallowed_count("places.locate")
    location = gazetteer.locate(text, country_hint=hint)
    for place in location.places:
        assert place.matched and text[place.start:place.end] == place.matched
    assert swallowed_count("places.locate") == before


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
    gazetteer = build_compact(min_population=1_000_000, cache=False)
    assert gazetteer.locate("Fighting in Khartoum").city == "Khartoum"
    assert "building in-process" in caplog.text


def test_min_population_below_shipped_data_is_an_error() -> None:
    with pytest.raises(GazetteerError, match="at least 500"):
        Gazetteer(min_population=10)


# -- first-level regions -------------------------------------------------------------------------


def test_a_region_word_makes_a_seat_name_the_region(gazetteer: Gazetteer) -> None:
    state, city = gazetteer.locate("Clashes in Kano State and in Kano.").places
    assert (state.kind, state.admin1, state.admin1_name, state.matched) == ("region", "NG-KN", "Kano",
                                                                           "Kano State")
    assert (city.kind, city.name, city.admin1, city.admin1_name) == ("city", "Kano", "NG-KN", "Kano")


@pytest.mark.parametrize(("text", "admin1"), [
    ("Fighting in Tigray continued.", "ET-TI"),
    ("Shelling across the Kharkiv region.", "UA-63"),
    ("Des frappes dans la région de Kharkiv.", "UA-63"),
    ("Обстріли в Харківська область.", "UA-63"),
    ("اشتباكات في ولاية الخرطوم", "SD-KH"),
    ("Displaced people in North Darfur.", "SD-DN"),
    ("Violence in Lakes State.", "SS-LK"),
])
def test_first_level_regions_in_several_languages(gazetteer: Gazetteer, text: str, admin1: str) -> None:
    location = gazetteer.locate(text)
    assert [(p.kind, p.admin1) for p in location.places] == [("region", admin1)]
    assert location.admin1 == admin1


def test_a_region_has_a_representative_point_inside_it(gazetteer: Gazetteer) -> None:
    [tigray] = gazetteer.locate("Fighting in Tigray.").places
    assert tigray.lat is not None and tigray.lon is not None
    assert 12.5 < tigray.lat < 14.9 and 36.5 < tigray.lon < 40.0
    assert gazetteer.locate("Fighting in Tigray.").geo_point == {"lat": tigray.lat, "lon": tigray.lon}


@pytest.mark.parametrize("text", [
    "People fled to northern areas and the lakes.",
    "Northern areas were flooded.",
    "The Red Sea coast.",
])
def test_generic_region_names_need_a_region_word(gazetteer: Gazetteer, text: str) -> None:
    assert [p for p in gazetteer.locate(text).places if p.kind == "region"] == []


def test_cities_carry_iso_admin1_where_joined(gazetteer: Gazetteer) -> None:
    [fasher] = gazetteer.locate("Shelling in El Fasher.").places
    assert (fasher.admin1, fasher.admin1_name) == ("SD-DN", "North Darfur")


# -- spans, confidence, false positives ---------------------------------------------------------------


def test_spans_index_title_newline_text(gazetteer: Gazetteer) -> None:
    title, body = "Attack in Mali", "Gunmen struck near Gao on Tuesday."
    text = f"{title}\n{body}"
    location = gazetteer.locate(text, title_chars=len(title) + 1)
    for place in location.places:
        assert place.start is not None and place.end is not None
        assert text[place.start:place.end] == place.matched
    assert [p.matched for p in location.places] == ["Mali", "Gao"]


def test_every_mention_when_asked(gazetteer: Gazetteer) -> None:
    text = "Sudan, then Sudan again, and the Sudanese."
    assert len(gazetteer.locate(text).places) == 1
    spans = [(p.start, p.end) for p in gazetteer.locate(text, all_mentions=True).places]
    assert spans == [(0, 5), (12, 17), (33, 41)]


def test_confidence_reflects_ambiguity_and_position(gazetteer: Gazetteer) -> None:
    [sudan] = gazetteer.locate("Fighting resumed in Sudan.").places
    assert sudan.confidence == 1.0
    [hyderabad] = gazetteer.locate("Floods in Hyderabad.").places
    assert hyderabad.confidence is not None and 0.3 < hyderabad.confidence < 0.95
    [goma] = gazetteer.locate("Goma is calm.").places
    assert goma.confidence == 0.75                           # first word: capitals prove nothing
    [demonym] = gazetteer.locate("Ethiopian refugees").places
    assert demonym.confidence == 0.9


def test_a_title_before_a_name_makes_it_a_person(gazetteer: Gazetteer) -> None:
    assert gazetteer.locate("Mr Jordan met President Kenya on Monday.").places == []


def test_phrases_that_are_not_places_block_their_place_name(gazetteer: Gazetteer) -> None:
    places = gazetteer.locate("The New York Times reported it. Then New York reacted.").places
    assert [(p.name, p.start) for p in places] == [("New York City", 37)]
    assert gazetteer.locate("صرح البيت الأبيض").places == []


@pytest.mark.parametrize("text", ["كيف حالك يا صديقي", "انا كنت هناك", "God come okay", "Lil Wayne"])
def test_common_words_in_arabic_and_slang_are_not_cities(gazetteer: Gazetteer, text: str) -> None:
    assert gazetteer.locate(text).places == []


# -- disambiguation in context ---------------------------------------------------------------------------


def test_a_nearby_city_resolves_an_ambiguous_one(gazetteer: Gazetteer) -> None:
    places = gazetteer.locate("Shelling in Tripoli and Tartus.").places
    assert [p.country for p in places] == ["LB", "SY"]
    assert gazetteer.locate("Shelling in Tripoli.").places[0].country == "LY"


def test_a_container_after_a_comma_resolves_a_city(gazetteer: Gazetteer) -> None:
    location = gazetteer.locate("Floods in Alexandria, Virginia.")
    assert (location.country, location.admin1, location.city) == ("US", "US-VA", "Alexandria")
    assert gazetteer.locate("Floods in Alexandria.").country == "EG"


def test_american_context_makes_georgia_a_state(gazetteer: Gazetteer) -> None:
    assert gazetteer.locate("Georgia and Armenia").places[0].kind == "country"
    places = gazetteer.locate("Atlanta police said Georgia officials").places
    assert [(p.kind, p.country, p.admin1) for p in places] == [("city", "US", "US-GA"),
                                                               ("region", "US", "US-GA")]


def test_primary_location_groups_country_region_and_city(gazetteer: Gazetteer) -> None:
    text = "Gunmen kill 12 in North Darfur village\nThousands fled to El Fasher, the state capital."
    location = gazetteer.locate(text, title_chars=39)
    assert (location.country, location.admin1, location.city) == ("SD", "SD-DN", "El Fasher")
    assert location.geo_point is not None and 13 < location.geo_point["lat"] < 14.5


def test_a_country_alone_has_no_location(gazetteer: Gazetteer) -> None:
    location = gazetteer.locate("Fighting resumed in Sudan.")
    assert (location.country, location.admin1, location.city, location.geo_point) == ("SD", None, None, None)


def test_locate_many_equals_locate(gazetteer: Gazetteer) -> None:
    texts = ["Floods in Hyderabad.", "Clashes in Kano State.", ""]
    requests = [LocateRequest(fold(t), 0, "PK", "en", None) for t in texts]
    expected = [gazetteer.locate(t, country_hint="PK", lang="en") for t in texts]
    assert gazetteer.locate_many(requests) == expected


# -- geotags ----------------------------------------------------------------------------------------------


def test_a_geotag_locates_the_item_at_the_nearest_city(gazetteer: Gazetteer) -> None:
    location = gazetteer.locate("Protest today", geotag={"lat": -1.68, "lon": 29.22})
    tag = location.places[0]
    assert (tag.source, tag.kind, tag.name, tag.country, tag.admin1) == ("geotag", "city", "Goma", "CD",
                                                                        "CD-NK")
    assert (tag.lat, tag.lon, tag.confidence, tag.start) == (-1.68, 29.22, 1.0, None)
    assert (location.country, location.admin1, location.city) == ("CD", "CD-NK", "Goma")
    assert location.geo_point == {"lat": -1.68, "lon": 29.22}


def test_a_geotag_wins_over_the_text_for_the_primary_place(gazetteer: Gazetteer) -> None:
    location = gazetteer.locate("Solidarity with Kharkiv", geotag={"lat": 52.52, "lon": 13.40})
    assert location.country == "DE"
    assert [p.source for p in location.places] == ["geotag", "gazetteer"]


def test_a_geotag_at_sea_keeps_the_point_but_names_no_country(gazetteer: Gazetteer) -> None:
    location = gazetteer.locate("Rescue in Kharkiv", geotag={"lat": 0.0, "lon": -140.0})
    assert location.geo_point == {"lat": 0.0, "lon": -140.0}
    assert location.country == "UA"             # from the text
    assert [p.source for p in location.places] == ["gazetteer"]


@pytest.mark.parametrize("geotag", [{"lat": float("nan"), "lon": 3.0}, {"lat": 95.0, "lon": 3.0},
                                    {"lat": "x", "lon": 1}, {"lon": 3.0}, {}])
def test_invalid_geotags_are_ignored(gazetteer: Gazetteer, geotag: dict[str, Any]) -> None:
    location = gazetteer.locate("Fighting in Goma", geotag=geotag)
    assert location.city == "Goma" and all(p.source == "gazetteer" for p in location.places)


# -- scripts without folding: Indic and Burmese --------------------------------------------------------


@pytest.mark.parametrize(("text", "names"), [
    ("ရန်ကုန်မြို့တွင် ဆန္ဒပြသူများ", ["Yangon"]),
    ("မြန်မာနိုင်ငံ ရခိုင်ပြည်နယ်", ["Myanmar", "Rakhine"]),
    ("ဆူဒန်နိုင်ငံတွင် တိုက်ပွဲ", ["Sudan"]),
    ("म्यांमार में हिंसा और दिल्ली में विरोध", ["Myanmar", "Delhi"]),
    ("ঢাকায় বিক্ষোভ", ["Dhaka"]),
])
def test_burmese_and_indic_names(gazetteer: Gazetteer, text: str, names: list[str]) -> None:
    location = gazetteer.locate(text)
    assert [p.name for p in location.places] == names
    for place in location.places:
        assert place.start is not None and text[place.start:place.end] == place.matched


def test_one_syllable_burmese_names_are_not_matched_alone(gazetteer: Gazetteer) -> None:
    assert gazetteer.locate("မွန်").places == []
    assert [p.admin1 for p in gazetteer.locate("မွန်ပြည်နယ်").places] == ["MM-15"]


@pytest.mark.parametrize(("text", "names"), [
    ("Бої тривають в Україні, обстріли Харкова.", ["Ukraine", "Kharkiv"]),
    ("Война в Украине и обстрелы Киева.", ["Ukraine", "Kyiv"]),
    ("Біженці з Сирії та Іраку.", ["Syria", "Iraq"]),
])
def test_declined_cyrillic_names(gazetteer: Gazetteer, text: str, names: list[str]) -> None:
    assert [p.name for p in gazetteer.locate(text).places] == names


def test_cyrillic_names_need_a_capital_like_latin_ones(gazetteer: Gazetteer) -> None:
    assert gazetteer.locate("україна").places == []


@settings(max_examples=200, deadline=None)
@given(lat=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=5), st.none()),
       lon=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(), st.none()))
def test_any_geotag_is_used_or_ignored_without_raising(gazetteer: Gazetteer, lat: Any, lon: Any) -> None:
    location = gazetteer.locate("Fighting in Goma", geotag={"lat": lat, "lon": lon})
    assert location.country in ("CD", None) or location.places[0].source == "geotag"


def test_a_cached_name_carries_nothing_from_one_item_to_the_next(gazetteer: Gazetteer) -> None:
    """Candidate facts and groups are cached per name: what one item decides must not stick to them."""
    alone = gazetteer.locate("Floods in Hyderabad.")
    assert alone.places[0].country == "IN"
    # items that push the same name to Pakistan (a container, a feed country) and mark it metonymic
    for text, hint in (("Floods in Hyderabad, Pakistan.", None), ("Floods in Hyderabad.", "PK"),
                       ("Hyderabad said the floods were over.", "PK")):
        assert gazetteer.locate(text, country_hint=hint).places[0].country == "PK"
    again = gazetteer.locate("Floods in Hyderabad.")
    assert again.places == alone.places
    assert (again.country, again.city, again.lat, again.lon) == (alone.country, alone.city, alone.lat,
                                                                 alone.lon)
    assert not again.places[0].metonymy


def test_a_cached_group_is_immutable(gazetteer: Gazetteer) -> None:
    mentions = gazetteer.matcher.mentions(fold("Floods in Hyderabad."), 0)
    group = gazetteer.index.group(mentions[0].candidates)
    assert len(group.pairs) > 1 and all(isinstance(pair, tuple) for pair in group.pairs)
    with pytest.raises(AttributeError):
        group.country = "PK"  # type: ignore[misc]


def test_places_of_one_item_are_not_shared_with_the_next(gazetteer: Gazetteer) -> None:
    """Each item's places are its own objects: changing one (as a caller may) changes no other item's."""
    first = gazetteer.locate("Fighting in Sudan and in Khartoum.")
    second = gazetteer.locate("Fighting in Sudan and in Khartoum.")
    assert first.places == second.places
    assert all(a is not b for a, b in zip(first.places, second.places, strict=True))
    first.places[0].confidence = 0.01
    assert second.places[0].confidence != 0.01
    assert gazetteer.locate("Fighting in Sudan and in Khartoum.").places == second.places


def test_a_place_copy_matches_pydantic_model_copy(gazetteer: Gazetteer) -> None:
    base = gazetteer.index.place_of(gazetteer.matcher.mentions(fold("in Khartoum"), 0)[0].candidates[0])
    update = {"matched": "Khartoum", "start": 3, "end": 11, "confidence": 0.9, "source": "gazetteer",
              "metonymy": True}
    made, expected = copied(base, update), base.model_copy(update=update)
    assert made == expected
    assert made.model_fields_set == expected.model_fields_set
    assert made.model_dump_json() == expected.model_dump_json()
    assert base.matched == "" and base.start is None      # the cached place is left as it was


def test_emptied_caches_change_no_result(gazetteer: Gazetteer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The per-process caches (names' groups, places, resolution contexts) are bounded by emptying them
    when full; an item located after they were emptied gets what it got before."""
    from processors.geo import gazetteer as gazetteer_module
    from processors.geo import index as index_module

    asks = [("Floods in Hyderabad and Karachi.", None, "ur"), ("Floods in Hyderabad.", "PK", None),
            ("Fighting in Tripoli, Libya.", None, "ar"), ("Floods in Hyderabad.", None, "en")]
    before = [gazetteer.locate(text, country_hint=hint, lang=lang) for text, hint, lang in asks]
    monkeypatch.setattr(index_module, "GROUPS_KEPT", 1)
    monkeypatch.setattr(index_module, "PLACES_KEPT", 1)
    monkeypatch.setattr(gazetteer_module, "_CONTEXTS_KEPT", 1)
    gazetteer.locate("Fighting in Goma and Bukavu.", country_hint="CD", lang="fr")     # new names: full
    after = [gazetteer.locate(text, country_hint=hint, lang=lang) for text, hint, lang in reversed(asks)]
    assert after[::-1] == before
    assert len(gazetteer.index._groups) <= 1 and len(gazetteer.index._places) <= 1
    assert len(gazetteer._contexts) <= 1


def test_a_resolution_context_is_per_feed_country_and_language(gazetteer: Gazetteer) -> None:
    """Contexts are made once per (feed country, language): one pair's must never serve another."""
    text = "Floods in Hyderabad."
    fresh = {(hint, lang): gazetteer.locate(text, country_hint=hint, lang=lang).places[0]
             for hint, lang in [(None, None), (None, "ur"), ("PK", None), ("PK", "ur")]}
    assert len({(p.country, p.confidence) for p in fresh.values()}) == 4      # each pair counts
    for (hint, lang), place in reversed(list(fresh.items())):
        assert gazetteer.locate(text, country_hint=hint, lang=lang).places[0] == place


def test_a_pickled_index_carries_no_cache(gazetteer: Gazetteer) -> None:
    import pickle

    gazetteer.locate("Floods in Hyderabad.")
    assert gazetteer.index._groups and gazetteer.index._places
    copy = pickle.loads(pickle.dumps(gazetteer.index))
    assert copy._groups == {} and copy._places == {}
    assert copy.group(next(iter(gazetteer.index._groups))) == next(iter(gazetteer.index._groups.values()))
