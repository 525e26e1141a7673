"""Per-category hit thresholds of the encoder stage: a desk chooses where each category becomes a hit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from processors.categories import load_categories
from processors.classifiers.encoder import EncoderClassifier, Route
from processors.classifiers.protocol import ClassifierConfigError, ItemText
from tests.processors.conftest import CATEGORIES_FILE
from tests.processors.test_encoder_routes import Dial, dial_heads

BOTH = {"hate_speech", "violence_report"}


def dial_classifier(**thresholds: Any) -> EncoderClassifier:
    return EncoderClassifier([Route(Dial("one"), dial_heads("one"))], **thresholds)


def test_a_category_threshold_above_the_score_removes_that_hit_and_leaves_the_other() -> None:
    texts = [ItemText("h=0.62 v=0.55", "en")]
    before = dial_classifier().rescore(texts, [BOTH])
    after = dial_classifier(category_thresholds={"hate_speech": 0.7}).rescore(texts, [BOTH])
    assert set(before[0]) == BOTH
    assert set(after[0]) == {"violence_report"}, "0.62 is under hate speech's 0.7"
    assert after[0]["violence_report"] == before[0]["violence_report"], "violence keeps the global 0.5"


def test_a_category_threshold_below_the_global_one_adds_a_hit() -> None:
    texts = [ItemText("h=0.3 v=0.42", "en"), ItemText("h=0.3 v=0.38", "en")]
    results = dial_classifier(category_thresholds={"violence_report": 0.4}).rescore(texts, [BOTH, BOTH])
    assert set(results[0]) == {"violence_report"}, "0.42 is a hit from 0.4; hate's 0.3 stays under 0.5"
    assert results[0]["violence_report"].score == pytest.approx(0.42, abs=1e-3)
    assert results[1] == {}, "0.38 is under 0.4"


def test_a_category_threshold_applies_to_a_deferring_route_and_to_the_route_it_defers_to() -> None:
    cheap, costly = Dial("cheap"), Dial("costly")
    classifier = EncoderClassifier(
        [Route(cheap, dial_heads("cheap"), languages=["en"], defer={"violence_report": (0.1, 0.5)}),
         Route(costly, dial_heads("costly"))],
        category_thresholds={"violence_report": 0.4},
    )
    texts = [ItemText("v=0.45", "en"), ItemText("v=0.6", "en")]
    results = classifier.rescore(texts, [{"violence_report"}] * 2)
    assert costly.read == ["v=0.45"], "inside the band: the costly route decides"
    assert results[0]["violence_report"].classifier.endswith("/costly"), "and its 0.45 is a hit from 0.4"
    assert results[1]["violence_report"].classifier.endswith("/cheap")


def from_config(tmp_path: Path, **settings: Any) -> EncoderClassifier:
    return EncoderClassifier.from_config(
        {"model": "models/encoder-use", "encoder": {"kind": "use"}, **settings},
        load_categories(CATEGORIES_FILE), tmp_path / "c.yaml")


def test_thresholds_equal_to_the_global_one_give_the_same_hits_and_scores(tmp_path: Path) -> None:
    texts = [ItemText(text, lang) for text, lang in [
        ("Gunmen killed twelve villagers and burned their homes overnight", "en"),
        ("They are vermin and should all be driven out of this country", "en"),
        ("Lovely weather at the market this morning", "en"),
        ("Des hommes armés ont tué huit civils près de la frontière", "fr"),
    ]]
    plain = from_config(tmp_path).classify(texts)
    same = from_config(
        tmp_path, category_thresholds={"hate_speech": 0.5, "violence_report": 0.5}).classify(texts)
    assert same == plain
    assert any(plain), "the texts give some hits, so the comparison means something"


@pytest.mark.parametrize(("value", "message"), [
    (-0.1, r"category_thresholds\.hate_speech': Input should be greater than or equal to 0"),
    (1.5, r"category_thresholds\.hate_speech': Input should be less than or equal to 1"),
    ("high", r"category_thresholds\.hate_speech': Input should be a valid number"),
])
def test_a_bad_category_threshold_is_a_config_error_naming_the_key(
    tmp_path: Path, value: object, message: str
) -> None:
    with pytest.raises(ClassifierConfigError, match=rf"c\.yaml: key 'classifiers\.encoder\.{message}"):
        from_config(tmp_path, category_thresholds={"hate_speech": value})


def test_an_unknown_category_is_a_config_error_listing_the_defined_ones(tmp_path: Path) -> None:
    with pytest.raises(ClassifierConfigError,
                       match=r"category_thresholds\.hate_spech': no such category \(defined: .*hate_speech"):
        from_config(tmp_path, category_thresholds={"hate_spech": 0.6})


def test_a_category_the_stage_does_not_score_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ClassifierConfigError,
                       match=r"category_thresholds\.violence_report': the encoder stage does not score it "
                             r"\(it scores: hate_speech\)"):
        from_config(tmp_path, categories=["hate_speech"], category_thresholds={"violence_report": 0.4})


def test_a_band_whose_low_edge_is_above_the_hit_threshold_is_a_config_error(tmp_path: Path) -> None:
    routes = [{"model": "models/encoder-use", "encoder": {"kind": "use"},
               "defer_unescalated": {"violence_report": [0.39, 0.98]}, "unscreened": True}]
    with pytest.raises(ClassifierConfigError,
                       match=r"routes\.0\.defer_unescalated\.violence_report': the band's low edge 0\.39 is "
                             r"above the category's hit threshold 0\.3"):
        EncoderClassifier.from_config(
            {"routes": routes, "category_thresholds": {"violence_report": 0.3}},
            load_categories(CATEGORIES_FILE), tmp_path / "c.yaml")
