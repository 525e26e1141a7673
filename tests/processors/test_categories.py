from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from processors.categories import CategoryConfigError, KeywordCategories, load_categories, score


def compile_one(definition: dict[str, Any], **options: Any) -> KeywordCategories:
    data: dict[str, Any] = {"categories": {"cat": definition}}
    if options:
        data["options"] = options
    return KeywordCategories.compile(data)


VIOLENCE = {
    "min_score": 3,
    "terms": {
        "en": {"killed": 2, "gunmen": 2, "massacre*": 3, "shot dead": 3, "outbreak": -2},
        "any": {"janjaweed": 1.5},
    },
    "none_of": [{"en": ["film", "video game"]}],
}


def test_weights_must_reach_min_score() -> None:
    cats = compile_one(VIOLENCE)
    assert cats.match("Two people were killed on the road.", "en") == {}
    hit = cats.match("Gunmen killed two people.", "en")["cat"]
    assert hit.terms == ["killed", "gunmen"]
    assert hit.classifier == "keywords/1"


def test_score_is_one_half_at_threshold_and_grows() -> None:
    assert score(3, 3) == 0.5
    assert score(6, 3) == 0.75
    assert score(0, 3) == 0.0
    cats = compile_one(VIOLENCE)
    assert cats.match("They were shot dead.", "en")["cat"].score == 0.5


def test_negative_weight_is_counter_evidence() -> None:
    cats = compile_one(VIOLENCE)
    assert cats.match("The outbreak killed dozens; gunmen looted the clinic.", "en") == {}


def test_term_counts_once_however_often_it_occurs() -> None:
    cats = compile_one(VIOLENCE)
    assert cats.match("killed killed killed killed", "en") == {}


def test_suffix_wildcard_matches_word_starts_only() -> None:
    cats = compile_one(VIOLENCE)
    assert cats.match("The massacres continued.", "en")["cat"].terms == ["massacre*"]
    assert cats.match("Antimassacre campaign", "en") == {}


def test_match_is_case_insensitive() -> None:
    cats = compile_one(VIOLENCE)
    assert "cat" in cats.match("GUNMEN KILLED TEN", "en")


def test_whole_words_only_in_latin_script() -> None:
    cats = compile_one({"min_score": 1, "terms": {"en": {"rat": 1}}})
    assert cats.match("Pirates rated the ratio", "en") == {}
    assert "cat" in cats.match("a rat, then", "en")
    assert "cat" in cats.match("(rat)", "en")


def test_phrase_matches_across_punctuation_and_line_breaks() -> None:
    cats = compile_one(VIOLENCE)
    assert "cat" in cats.match("He was shot\ndead.", "en")


def test_none_of_gate_vetoes() -> None:
    cats = compile_one(VIOLENCE)
    assert cats.match("In the film, gunmen killed a family.", "en") == {}


def test_all_of_gate_requires_every_group() -> None:
    cats = compile_one({
        "min_score": 1,
        "terms": {"en": {"killed": 1}},
        "all_of": [{"en": ["soldiers", "militia"]}, {"en": ["village"]}],
    })
    assert cats.match("Soldiers killed three.", "en") == {}
    assert "cat" in cats.match("Militia killed three in a village.", "en")


def test_terms_of_other_languages_do_not_count() -> None:
    cats = compile_one({"min_score": 1, "terms": {"es": {"mata": 1}}})
    assert cats.match("mata", "sw") == {}
    assert "cat" in cats.match("mata", "es")


def test_any_language_terms_count_for_every_language() -> None:
    cats = compile_one(VIOLENCE)
    assert cats.match("Janjaweed gunmen", "fr") == {}     # 'gunmen' is English only
    assert "cat" in cats.match("Janjaweed gunmen", "en")


def test_undetermined_language_matches_every_language() -> None:
    cats = compile_one({"min_score": 2, "terms": {"fr": {"tués": 1}, "en": {"gunmen": 1}}})
    assert "cat" in cats.match("gunmen, 12 tués", "und")


def test_unaccented_spelling_matches_accented_term() -> None:
    cats = compile_one({"min_score": 1, "terms": {"fr": {"tués": 1}}})
    assert "cat" in cats.match("12 civils tues", "fr")


def test_arabic_clitic_prefixes_are_optional() -> None:
    cats = compile_one({"min_score": 1, "terms": {"ar": {"مجزرة": 1}}})
    for text in ("مجزرة", "المجزرة", "والمجزرة", "بمجزرة", "للمجزرة", "وبالمجزرة"):
        assert "cat" in cats.match(f"وقعت {text} امس", "ar"), text
    assert cats.match("مجزرتين", "ar") == {}          # a suffix needs '*'


def test_arabic_clitics_can_be_switched_off() -> None:
    cats = compile_one({"min_score": 1, "terms": {"ar": {"مجزرة": 1}}}, arabic_clitics=False)
    assert cats.match("والمجزرة", "ar") == {}
    assert "cat" in cats.match("مجزرة", "ar")


def test_arabic_diacritics_and_letter_variants_are_ignored() -> None:
    cats = compile_one({"min_score": 1, "terms": {"ar": {"إبادة": 1}}})
    assert "cat" in cats.match("حملة اِبَادَة جماعية", "ar")


def test_ethiopic_word_boundaries_and_prefixes() -> None:
    cats = compile_one({"min_score": 1, "terms": {"am": {"ጥቃት": 1}}})
    assert "cat" in cats.match("በመንደሩ ላይ ጥቃት ተፈጸመ።", "am")
    assert "cat" in cats.match("የጥቃቱ ሰለባዎች፤ በጥቃት፡ተገደሉ", "am")
    assert cats.match("ጥቃቱ", "am") == {}


def test_starter_file_loads_and_fires(categories: KeywordCategories) -> None:
    assert set(categories.names) == {"hate_speech", "violence_report", "xenophobic_hostility"}
    assert "violence_report" in categories.match("Gunmen killed 12 villagers in Zamfara.", "en")
    assert "violence_report" in categories.match("Des hommes armés ont tué 12 civils.", "fr")
    assert "violence_report" in categories.match("مسلحون قتلوا عشرة اشخاص في هجوم على القرية", "ar")
    assert "violence_report" in categories.match("Watu kumi waliuawa na wanamgambo.", "sw")
    assert "violence_report" in categories.match("ታጣቂዎች በመንደሩ ላይ ጥቃት ፈጽመው ሰዎች ተገድለዋል።", "am")
    assert "violence_report" in categories.match("'Yan bindiga sun kashe mutane goma.", "ha")
    assert "violence_report" in categories.match("Hombres armados asesinaron a diez personas.", "es")
    assert "hate_speech" in categories.match("These people are cockroaches, exterminate them.", "en")
    assert "hate_speech" in categories.match("Ce sont des cafards, il faut les tuer.", "fr")


def test_xenophobic_hostility_needs_a_migrant_group_and_enough_hostility(
        categories: KeywordCategories) -> None:
    assert "xenophobic_hostility" in categories.match("Send them back! Illegal aliens are an invasion.", "en")
    assert "xenophobic_hostility" in categories.match("Les clandestins dehors, c'est une invasion.", "fr")
    assert categories.match("The invasion of Normandy began at dawn.", "en") == {}
    assert categories.match("Refugees welcome: the town opened a new shelter.", "en") == {}


def test_starter_file_leaves_profanity_and_fiction_alone(categories: KeywordCategories) -> None:
    assert categories.match("This fucking traffic is shit.", "en") == {}
    assert categories.match("In the new film, gunmen killed a family and burned villages.", "en") == {}
    assert categories.match("The outbreak has killed 40 people, the death toll is rising.", "en") == {}


def write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "categories.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(("definition", "key"), [
    ({"min_score": 1, "terms": {"en": {"x": 1}}, "mni_score": 3}, "mni_score"),
    ({"terms": {"en": {"x": 1}}}, "min_score"),
    ({"min_score": 1, "terms": {"en": {"x": "heavy"}}}, "terms.en.x"),
    ({"min_score": 1, "terms": {"english": {"x": 1}}}, "terms.english"),
    ({"min_score": 1, "terms": {"en": {"ki*ll": 1}}}, "terms.en.ki*ll"),
    ({"min_score": 1, "terms": {"en": {"!!!": 1}}}, "terms.en.!!!"),
    ({"min_score": 1, "terms": {"en": {"x": 1}}, "none_of": [{"en": ["a*b"]}]}, "none_of[0].en.a*b"),
    ({"min_score": 0, "terms": {"en": {"x": 1}}}, "min_score"),
])
def test_loader_errors_name_file_category_and_key(tmp_path: Path, definition: dict[str, Any],
                                                  key: str) -> None:
    path = write(tmp_path, {"categories": {"violence": definition}})
    with pytest.raises(CategoryConfigError) as caught:
        load_categories(path)
    message = str(caught.value)
    assert str(path) in message
    assert "violence" in message
    assert key in message


def test_loader_rejects_unknown_top_level_key(tmp_path: Path) -> None:
    path = write(tmp_path, {"categories": {"c": {"min_score": 1, "terms": {"en": {"x": 1}}}}, "extra": 1})
    with pytest.raises(CategoryConfigError, match="extra"):
        load_categories(path)


def test_loader_reports_missing_file_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(CategoryConfigError, match="cannot read"):
        load_categories(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("categories: [unclosed", encoding="utf-8")
    with pytest.raises(CategoryConfigError, match="not valid YAML"):
        load_categories(bad)


def test_star_is_an_alias_of_any() -> None:
    cats = KeywordCategories.compile({"categories": {"c": {"min_score": 1, "terms": {"*": {"x": 1}}}}})
    assert "c" in cats.match("x", "fr")


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.characters(exclude_categories=(), max_codepoint=sys.maxunicode)),
       lang=st.sampled_from(["en", "fr", "ar", "am", "und", "zz"]))
def test_any_string_is_matched_without_raising(categories: KeywordCategories, text: str, lang: str) -> None:
    for hit in categories.match(text, lang).values():
        assert 0.5 <= hit.score <= 1.0


def test_hate_speech_hits_carry_dehumanising_and_eliminationist_flags(categories: KeywordCategories) -> None:
    hit = categories.match("These people are cockroaches, exterminate them.", "en")["hate_speech"]
    assert hit.flags == ["dehumanising", "eliminationist"]
    plain = categories.match("Kill them all, every one of the traitors in that group.", "en")
    assert plain["hate_speech"].flags == ["eliminationist"]


def test_a_flag_term_alone_raises_no_category() -> None:
    cats = compile_one({"min_score": 2, "terms": {"en": {"vermin": 1}},
                        "flags": {"dehumanising": {"en": ["vermin"]}}})
    assert cats.match("vermin in the kitchen", "en") == {}


def test_flag_terms_are_checked_like_terms(tmp_path: Path) -> None:
    data = {"version": 1, "categories": {"cat": {"min_score": 1, "terms": {"en": {"x": 1}},
                                                 "flags": {"f": {"english": ["y"]}}}}}
    with pytest.raises(CategoryConfigError, match=r"flags\.f\.english"):
        load_categories(write(tmp_path, data))
