"""Encoder routes that defer: a cheap route decides outside its band, the next route inside it."""

from __future__ import annotations

import math
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from processors.categories import load_categories
from processors.classifiers.bands import split_band
from processors.classifiers.cascade import Cascade
from processors.classifiers.encoder import EncoderClassifier, Route, model_path
from processors.classifiers.heads import POOLED, CategoryHead, HeadSet, Network
from processors.classifiers.ngram import Platt
from processors.classifiers.protocol import ClassifierConfigError, ItemText
from processors.classifiers.vector_cache import VectorCache
from tests.processors.conftest import CATEGORIES_FILE
from tocsin.schema import CategoryHit

CATEGORIES = ("hate_speech", "violence_report")


class Dial:
    """An encoder whose vector carries the score each category's head will give: "v=0.3 h=0.9 …"."""

    dim = 2

    def __init__(self, name: str) -> None:
        self.name = name
        self.read: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.read += list(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.split():
                key, _, value = word.partition("=")
                if key in ("h", "v") and value:
                    p = min(max(float(value), 1e-6), 1 - 1e-6)
                    out[row, 0 if key == "h" else 1] = math.log(p / (1 - p))
        return out


def dial_heads(encoder: str) -> HeadSet:
    heads = {}
    for column, category in enumerate(CATEGORIES):
        weight = np.zeros((2, 1), dtype=np.float32)
        weight[column, 0] = 1.0
        heads[category] = CategoryHead(category, Network(weight, np.zeros(1, dtype=np.float32)),
                                       {POOLED: Platt(1.0, 0.0)})
    return HeadSet(encoder=encoder, dim=2, max_chars=300, heads=heads, version="t")


def routes(
    *, defer: dict[str, tuple[float, float]], unscreened: bool = False
) -> tuple[Dial, Dial, EncoderClassifier]:
    cheap, costly = Dial("cheap"), Dial("costly")
    classifier = EncoderClassifier([
        Route(cheap, dial_heads("cheap"), languages=["en"], defer=defer, unscreened=unscreened),
        Route(costly, dial_heads("costly")),
    ])
    return cheap, costly, classifier


def test_split_band_marks_scores_from_low_up_to_high() -> None:
    scores = np.array([0.01, 0.05, 0.5, 0.9, 0.95])
    assert split_band(scores, (0.05, 0.9)).tolist() == [False, True, True, False, False]
    assert split_band(scores, (0.05, 1.0)).tolist() == [False, True, True, True, True], "high 1: no edge"
    assert not split_band(scores, None).any()


def test_a_score_in_the_band_is_decided_by_the_next_route() -> None:
    cheap, costly, classifier = routes(defer={"violence_report": (0.1, 0.9)})
    assert cheap.read == []
    # the costly route reads the same text: the dial gives it the same score, so tell them apart by reader
    texts = [ItemText("v=0.5", "en"), ItemText("v=0.02", "en"), ItemText("v=0.95", "en")]
    results = classifier.rescore(texts, [{"violence_report"}] * 3)
    assert cheap.read == ["v=0.5", "v=0.02", "v=0.95"], "the cheap encoder reads them all"
    assert costly.read == ["v=0.5"], "only the uncertain one costs the costly encoder"
    assert results[0]["violence_report"].classifier.endswith("/costly")
    assert results[1] == {}, "below the band: no, without the costly route"
    assert results[2]["violence_report"].classifier.endswith("/cheap"), "above it: the cheap route's yes"
    assert results[2]["violence_report"].score == pytest.approx(0.95, abs=1e-3)


def test_a_deferred_item_the_next_route_rejects_has_no_hit() -> None:
    _, costly, classifier = routes(defer={"violence_report": (0.1, 0.9)})
    classifier.routes[1].encoder = Scaled(costly, 0.0)  # the costly route says no to everything
    results = classifier.rescore([ItemText("v=0.6", "en")], [{"violence_report"}])
    assert results == [{}]


class Scaled(Dial):
    """A dial read through another name, every score set to ``value``."""

    def __init__(self, inner: Dial, value: float) -> None:
        super().__init__(inner.name)
        self.value = value

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return super().embed([f"v={self.value} h={self.value}" for _ in texts])


def test_without_a_later_route_that_fits_the_band_route_decides_itself() -> None:
    _, costly, classifier = routes(defer={"violence_report": (0.1, 0.9)})
    classifier.routes[1].languages = frozenset({"sw"})  # the costly route no longer fits English
    results = classifier.rescore([ItemText("v=0.6", "en")], [{"violence_report"}])
    assert costly.read == []
    assert results[0]["violence_report"].classifier.endswith("/cheap")


def test_a_category_without_a_band_is_decided_by_the_first_route_that_fits() -> None:
    _, costly, classifier = routes(defer={"violence_report": (0.1, 0.9)})
    results = classifier.rescore([ItemText("h=0.5", "en")], [{"hate_speech"}])
    assert costly.read == []
    assert results[0]["hate_speech"].classifier.endswith("/cheap")


def test_unscreened_routes_name_what_they_read_whatever_the_first_stage_says() -> None:
    _, _, classifier = routes(defer={}, unscreened=True)
    texts = [ItemText("a post", "en"), ItemText("ujumbe", "sw"), ItemText("  ", "en")]
    assert classifier.unscreened(texts) == [set(CATEGORIES), set(), set()], (
        "English fits the unscreened route; Swahili goes to the screened one; an empty text to none")


def test_the_cascade_sends_unscreened_items_to_the_encoder_without_a_first_stage_hit() -> None:
    _, costly, classifier = routes(defer={"violence_report": (0.1, 0.9)}, unscreened=True)

    class Silent:
        name, version = "silent", "1"

        def classify(self, texts: Sequence[ItemText]) -> list[dict[str, CategoryHit]]:
            return [{} for _ in texts]

    cascade = Cascade([Silent()], [classifier], threshold=0.5)
    results = cascade.classify([ItemText("v=0.95 h=0.01", "en"), ItemText("v=0.95 h=0.01", "sw")])
    assert set(results[0]) == {"violence_report"}, "the English post is read although nothing escalated it"
    assert results[1] == {}, "the Swahili one is screened: nothing escalated it, nothing read it"
    assert costly.read == []
    assert cascade.stats["to encoder"] == 1


def test_a_band_for_a_category_the_route_does_not_score_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ClassifierConfigError, match=r"routes\.0\.defer\.violence_report"):
        EncoderClassifier.from_config(
            {"routes": [{"model": "models/encoder-use", "encoder": {"kind": "use"},
                         "categories": ["hate_speech"], "defer": {"violence_report": [0.1, 0.9]}}]},
            load_categories(CATEGORIES_FILE), tmp_path / "c.yaml")


def test_a_band_whose_edges_are_out_of_order_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ClassifierConfigError, match=r"defer\.violence_report.*low <= high"):
        EncoderClassifier.from_config(
            {"routes": [{"model": "models/encoder-use", "encoder": {"kind": "use"},
                         "defer": {"violence_report": [0.9, 0.1]}}]},
            load_categories(CATEGORIES_FILE), tmp_path / "c.yaml")


ROMANISED_HINDI = "ye log desh ke dushman hain, inko yahan se nikalo 😡"
DEVANAGARI_HINDI = "ये लोग देश के दुश्मन हैं, इनको यहाँ से निकालो"


def test_a_romanised_route_fits_its_languages_in_latin_letters_only() -> None:
    route = Route(Dial("cheap"), dial_heads("cheap"), languages=["en"], romanised=["hi"])
    assert route.fits("hate_speech", ItemText(ROMANISED_HINDI, "hi")), "Latin letters (and an emoji)"
    assert not route.fits("hate_speech", ItemText(DEVANAGARI_HINDI, "hi")), "Devanagari: not romanised"
    assert route.fits("hate_speech", ItemText("they are enemies of the nation", "en")), "its languages too"
    assert not route.fits("hate_speech", ItemText("wao ni maadui wa taifa", "sw"))


def test_a_route_with_romanised_languages_alone_reads_nothing_else() -> None:
    route = Route(Dial("cheap"), dial_heads("cheap"), romanised=["hi"])
    assert route.fits("hate_speech", ItemText(ROMANISED_HINDI, "hi"))
    assert not route.fits("hate_speech", ItemText("they are enemies of the nation", "en"))
    assert not route.fits("hate_speech", ItemText(DEVANAGARI_HINDI, "hi"))


@pytest.mark.parametrize(("value", "message"), [
    (["fr"], r"'fr' is not a language usually written in another script"),
    ("hi", r"valid list"),
    ([], r"at least 1 item"),
])
def test_a_bad_romanised_value_is_a_config_error_naming_the_file_and_key(
    tmp_path: Path, value: object, message: str
) -> None:
    source = tmp_path / "c.yaml"
    key = r"c\.yaml: key 'classifiers\.encoder\.routes\.0\.romanised"
    with pytest.raises(ClassifierConfigError, match=rf"{key}.*{message}"):
        EncoderClassifier.from_config(
            {"routes": [{"model": "models/encoder-use", "encoder": {"kind": "use"}, "romanised": value}]},
            load_categories(CATEGORIES_FILE), source)


def test_an_item_read_unscreened_is_deferred_by_the_stricter_band() -> None:
    cheap, costly = Dial("cheap"), Dial("costly")
    classifier = EncoderClassifier([
        Route(cheap, dial_heads("cheap"), languages=["en"], unscreened=True,
              defer={"violence_report": (0.02, 0.95)}, defer_unescalated={"violence_report": (0.4, 0.95)}),
        Route(costly, dial_heads("costly")),
    ])
    texts = [ItemText("v=0.1 h=0.01", "en"), ItemText("v=0.1 h=0.01 escalated", "en")]
    classifier.rescore(texts, [set(), {"violence_report"}])
    assert costly.read == ["v=0.1 h=0.01 escalated"], (
        "0.1 is in the band of an escalated item, below the stricter one of an item read unasked")


def test_the_cascade_gives_unscreened_hits_and_keeps_escalated_ones_merged() -> None:
    _, _, classifier = routes(defer={}, unscreened=True)

    class Gate:
        name, version = "gate", "1"

        def classify(self, texts: Sequence[ItemText]) -> list[dict[str, CategoryHit]]:
            return [{"violence_report": CategoryHit(score=0.6, classifier="gate/1", terms=["shot"])}
                    if "shot" in text.text else {} for text in texts]

    cascade = Cascade([Gate()], [classifier], threshold=0.5)
    results = cascade.classify([ItemText("shot v=0.9 h=0.01", "en"), ItemText("v=0.01 h=0.9", "en")])
    assert results[0]["violence_report"].terms == ["shot"], "the first stage's terms stay"
    assert results[0]["violence_report"].classifier.endswith("/cheap")
    assert set(results[1]) == {"hate_speech"}, "read unasked: its hate hit is reported"


JOINED = "use-multilingual-v3+e5-static-1@337269cb"


def assert_hate_from_the_joined_head(*routes: Route) -> None:
    """Hate speech is scored by models/encoder-use-static on the whole joined vector."""
    joined = HeadSet.load(model_path(Path("models/encoder-use-static")))
    assert list(joined.heads) == ["hate_speech"] and joined.encoder == JOINED
    for route in routes:
        assert route.head_sets["hate_speech"].meta == joined.meta
        assert route.columns["hate_speech"] == slice(0, 640)


def assert_arabic_posts_hate_from_the_arabic_head(classifier: EncoderClassifier) -> None:
    """Posts identified Arabic (either script) get the head trained with hand-written Arabic posts,
    for hate speech only; every other language, news lead and category the routes after it."""
    arabic = classifier.routes[0]
    joined = HeadSet.load(model_path(Path("models/encoder-use-static")))
    arabic_head = HeadSet.load(model_path(Path("models/encoder-use-static-ar")))
    assert arabic_head.encoder == JOINED and list(arabic_head.heads) == ["hate_speech"]
    assert arabic_head.meta != joined.meta
    assert arabic.categories == {"hate_speech"} and arabic.languages == {"ar"} and arabic.unscreened
    assert arabic.head_sets["hate_speech"].meta == arabic_head.meta
    assert arabic.columns["hate_speech"] == slice(0, 640)
    post = "لازم يطردوهم من البلد كلهم"
    texts = [ItemText(post, "ar"), ItemText("lazem yetredouhom men el balad", "ar"),
             ItemText("Il faut tous les chasser du pays", "fr"), ItemText(f"{post}. " * 12, "ar")]
    deciding = [next(route for route in classifier.routes if route.fits("hate_speech", t)) for t in texts]
    assert deciding[:2] == [arabic, arabic] and arabic not in deciding[2:]
    assert not any(arabic.fits("violence_report", t) for t in texts)
    assert classifier.unscreened(texts[:3]) == [set(CATEGORIES)] * 3


def assert_english_posts_hate_from_the_english_head(classifier: EncoderClassifier) -> None:
    """English posts get the head trained with a new writer's English posts besides, for hate speech
    only; English news leads, their violence reports and every other language, the routes after it."""
    english = classifier.routes[1]
    joined = HeadSet.load(model_path(Path("models/encoder-use-static")))
    english_head = HeadSet.load(model_path(Path("models/encoder-use-static-en")))
    assert english_head.encoder == JOINED and list(english_head.heads) == ["hate_speech"]
    assert english_head.meta["retrained"]["hate_speech"]["source_weights"]["written_hate_en2"] == 5.0
    assert english_head.meta != joined.meta
    assert english.categories == {"hate_speech"} and english.languages == {"en"} and english.unscreened
    assert english.head_sets["hate_speech"].meta == english_head.meta
    post = "Send every last one of them back where they came from"
    texts = [ItemText(post, "en"), ItemText(post, "de"), ItemText(f"{post}. " * 8, "en"),
             ItemText(post, "ar")]
    deciding = [next(route for route in classifier.routes if route.fits("hate_speech", t)) for t in texts]
    assert deciding[0] is english and english not in deciding[1:]
    assert not any(english.fits("violence_report", t) for t in texts)


def test_the_shipped_routes_read_posts_with_use_first_and_news_leads_when_escalated() -> None:
    from processors.classifiers.cascade import load_classifier_file
    from tocsin.settings import ProcessingSettings

    source = ProcessingSettings().classifiers_file
    spec = load_classifier_file(source).classifiers["encoder"]
    classifier = EncoderClassifier.from_config(spec, load_categories(CATEGORIES_FILE), source)
    arabic, english, posts, romanised, news, e5 = classifier.routes
    assert {route.encoder.name for route in (arabic, english, posts, romanised, news)} == {JOINED}
    assert arabic.encoder is english.encoder is posts.encoder is romanised.encoder is news.encoder, "one USE"
    assert arabic.cache is english.cache is posts.cache is romanised.cache is news.cache, "read once"
    assert e5.cache is not posts.cache
    assert_arabic_posts_hate_from_the_arabic_head(classifier)
    assert_english_posts_hate_from_the_english_head(classifier)
    use_heads = HeadSet.load(model_path(Path("models/encoder-use")))
    for route in (posts, news):
        assert route.head_sets["violence_report"].meta == use_heads.meta, "the default's USE violence head"
        assert route.columns["violence_report"] == slice(0, 512), "USE's heads read USE's part"
    assert_hate_from_the_joined_head(posts, romanised, news)
    assert e5.encoder.name.startswith("multilingual-e5")
    assert posts.unscreened and romanised.unscreened and not news.unscreened
    assert set(posts.defer) == {"violence_report"}, "USE alone decides hate speech on posts"
    assert set(news.defer) == {"hate_speech", "violence_report"}
    for band in [*posts.defer.values(), *posts.defer_unescalated.values(), *news.defer.values()]:
        assert 0.0 <= band[0] < 0.5 <= band[1], "USE never says no from 0.5, nor yes below it"
    assert posts.defer_unescalated["violence_report"][0] > posts.defer["violence_report"][0]
    post, lead, swahili = (ItemText("Gunmen opened fire at the market", "en"),
                           ItemText("Gunmen opened fire at the market. " * 12, "en"),
                           ItemText("Watu wenye silaha walifyatua risasi sokoni", "sw"))
    assert classifier.unscreened([post, lead, swahili]) == [set(CATEGORIES), set(), set()]
    assert [posts.fits("violence_report", t) for t in (post, lead, swahili)] == [True, False, False]
    assert [news.fits("violence_report", t) for t in (post, lead, swahili)] == [False, True, False]


@pytest.mark.parametrize("profile", ["classifiers.yaml", "classifiers-fast.yaml"])
def test_the_shipped_profiles_read_romanised_hindi_posts_with_use_for_hate_and_devanagari_with_e5(
    profile: str,
) -> None:
    from processors.classifiers.cascade import load_classifier_file
    from tocsin.settings import PACKAGE_CONFIG

    source = PACKAGE_CONFIG / profile
    spec = load_classifier_file(source).classifiers["encoder"]
    classifier = EncoderClassifier.from_config(spec, load_categories(CATEGORIES_FILE), source)
    romanised, e5 = classifier.routes[3], classifier.routes[-1]
    assert romanised.encoder.name == JOINED and romanised.romanised == {"hi"}
    assert_hate_from_the_joined_head(romanised)
    hinglish, devanagari = ItemText(ROMANISED_HINDI, "hi"), ItemText(DEVANAGARI_HINDI, "hi")
    long_hinglish = ItemText(" ".join([ROMANISED_HINDI] * 8), "hi")
    for category, expected in (("hate_speech", [romanised, e5, e5]), ("violence_report", [e5, e5, e5])):
        deciding = [next(route for route in classifier.routes if route.fits(category, t))
                    for t in (hinglish, devanagari, long_hinglish)]
        assert deciding == expected, category
    assert classifier.unscreened([hinglish, devanagari]) == [{"hate_speech"}, set()]


def test_the_high_volume_profile_lets_use_decide_in_its_languages_and_e5_read_the_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from processors.classifiers.cascade import load_classifier_file
    from tocsin.settings import PACKAGE_CONFIG, Settings

    monkeypatch.setenv("TOCSIN_PROCESSING__CLASSIFIERS_FILE", str(PACKAGE_CONFIG / "classifiers-fast.yaml"))
    source = Settings().processing.classifiers_file
    assert source.name == "classifiers-fast.yaml", "selected by the documented setting"
    spec = load_classifier_file(source).classifiers["encoder"]
    classifier = EncoderClassifier.from_config(spec, load_categories(CATEGORIES_FILE), source)
    arabic, english, posts, romanised, news, e5 = classifier.routes
    assert (posts.encoder.name, romanised.encoder.name, news.encoder.name) == (JOINED,) * 3
    assert_hate_from_the_joined_head(posts, romanised, news)
    assert_arabic_posts_hate_from_the_arabic_head(classifier)
    assert_english_posts_hate_from_the_english_head(classifier)
    assert arabic.heads.meta == english.heads.meta == posts.heads.meta, "violence heads unused: the profile's"
    assert e5.encoder.name.startswith("multilingual-e5")
    assert not posts.defer and not posts.defer_unescalated and not news.defer, "USE is never unsure"
    distilled = HeadSet.load(model_path(Path("models/encoder-use-distilled")))
    assert posts.heads.meta == romanised.heads.meta == news.heads.meta == distilled.meta, "its own USE heads"
    assert distilled.meta["retrained"]["violence_report"]["distil_from"], "a violence head distilled from e5"
    default_members = zipfile.ZipFile(model_path(Path("models/encoder-use")) / "heads.npz")
    distilled_members = zipfile.ZipFile(model_path(Path("models/encoder-use-distilled")) / "heads.npz")
    for name in default_members.namelist():
        same = default_members.read(name) == distilled_members.read(name)
        assert same == name.startswith("hate_speech."), f"{name}: only the violence head differs"
    assert posts.unscreened and not news.unscreened
    texts = [ItemText("Gunmen opened fire at the market", "en"),
             ItemText("Gunmen opened fire at the market. " * 12, "en"),
             ItemText("Des hommes armés ont ouvert le feu sur le marché. " * 8, "fr"),
             ItemText("Watu wenye silaha walifyatua risasi sokoni", "sw")]
    for category, first in (("hate_speech", english), ("violence_report", posts)):
        deciding = [next(route for route in classifier.routes if route.fits(category, t)) for t in texts]
        assert deciding == [first, news, news, e5], category
    default = load_classifier_file(PACKAGE_CONFIG / "classifiers.yaml")
    assert load_classifier_file(source).cascade == default.cascade, "only the encoder routes differ"


def arabic_then_posts(size: int) -> tuple[Dial, VectorCache, EncoderClassifier]:
    """An Arabic posts' hate route and a posts route, reading through one encoder and one cache."""
    use, cache = Dial("use"), VectorCache(size)
    return use, cache, EncoderClassifier([
        Route(use, dial_heads("use"), categories=["hate_speech"], languages=["ar"], cache=cache),
        Route(use, dial_heads("use"), cache=cache),
    ])


def test_routes_sharing_an_encoder_read_a_text_once() -> None:
    """The Arabic posts' hate route and the posts' violence route both read an Arabic post: once."""
    use, cache, classifier = arabic_then_posts(16)
    texts = [ItemText("h=0.9 v=0.8", "ar"), ItemText("h=0.6 v=0.7", "en")]
    results = classifier.rescore(texts, [set(CATEGORIES)] * 2)
    assert use.read == ["h=0.9 v=0.8", "h=0.6 v=0.7"], "each text read once by the two routes"
    assert [route.embedded for route in classifier.routes] == [1, 1]
    assert [round(results[0][c].score, 3) for c in CATEGORIES] == [0.9, 0.8]
    assert [round(results[1][c].score, 3) for c in CATEGORIES] == [0.6, 0.7]
    assert len(cache) == 2
    classifier.rescore(texts, [set(CATEGORIES)] * 2)
    assert len(use.read) == 2, "the second time from the cache"


def test_with_no_cache_routes_sharing_an_encoder_still_read_a_text_once_a_call() -> None:
    """``cache_size: 0`` (how the benchmarks run): a call's later routes reuse what it read."""
    use, cache, classifier = arabic_then_posts(0)
    texts = [ItemText("h=0.9 v=0.8", "ar")]
    results = classifier.rescore(texts, [set(CATEGORIES)])
    assert use.read == ["h=0.9 v=0.8"] and [round(results[0][c].score, 3) for c in CATEGORIES] == [0.9, 0.8]
    classifier.rescore(texts, [set(CATEGORIES)])
    assert use.read == ["h=0.9 v=0.8"] * 2 and len(cache) == 0, "nothing kept between calls"


def test_a_vector_cache_keeps_the_most_recent_texts() -> None:
    use = Dial("use")
    cache = VectorCache(2)
    for text in ("h=0.1", "h=0.2", "h=0.1", "h=0.3", "h=0.1", "h=0.2"):
        cache.vectors([text], use.dim, use.embed)
    assert use.read == ["h=0.1", "h=0.2", "h=0.3", "h=0.2"], "0.2 fell out when 0.3 came; 0.1 stayed in use"
    none_kept = VectorCache(0)
    vectors, read = none_kept.vectors(["h=0.4", "h=0.4"], use.dim, use.embed)
    assert read == 1 and len(none_kept) == 0 and np.array_equal(vectors[0], vectors[1])


class CountingEncoder(EncoderClassifier):
    """The encoder plug-in, counting how often its unscreened rows are worked out."""

    calls = 0

    def unscreened(self, texts: Sequence[ItemText]) -> list[set[str]]:
        self.calls += 1
        return super().unscreened(texts)


class LegacyPlugin:
    """A plug-in written before the cascade handed over ``unscreened``: its rescore() takes two arguments."""

    def __init__(self, encoder: EncoderClassifier) -> None:
        self.encoder = encoder
        self.name, self.version, self.categories = encoder.name, encoder.version, encoder.categories

    def classify(self, texts: Sequence[ItemText]) -> list[dict[str, CategoryHit]]:
        return self.encoder.classify(texts)

    def unscreened(self, texts: Sequence[ItemText]) -> list[set[str]]:
        return self.encoder.unscreened(texts)

    def rescore(self, texts: Sequence[ItemText], asked: Sequence[set[str]]) -> list[dict[str, CategoryHit]]:
        return self.encoder.rescore(texts, asked)


def test_the_cascade_works_out_unscreened_rows_once_per_batch_with_the_same_results() -> None:
    class Gate:
        name, version = "gate", "1"

        def classify(self, texts: Sequence[ItemText]) -> list[dict[str, CategoryHit]]:
            return [{"violence_report": CategoryHit(score=0.6, classifier="gate/1", terms=["shot"])}
                    if "shot" in text.text else {} for text in texts]

    batch = [
        ItemText("shot v=0.5 h=0.02", "en"),     # escalated post: band (0.05, 0.9) → the costly route
        ItemText("v=0.3 h=0.9", "en"),           # read unasked: the stricter band (0.4, 0.9) lets USE say no
        ItemText("v=0.6 h=0.9", "en"),           # read unasked, in the stricter band → the costly route
        ItemText("shot v=0.95 h=0.01", "sw"),    # escalated, no unscreened route fits: costly only
        ItemText("v=0.95 h=0.95", "sw"),         # neither escalated nor read unasked: nothing
        ItemText("   ", "en"),                   # an erased post
    ]
    outputs = {}
    for legacy in (False, True):
        cheap, costly = Dial("cheap"), Dial("costly")
        encoder = CountingEncoder([
            Route(cheap, dial_heads("cheap"), languages=["en"], unscreened=True,
                  defer={"violence_report": (0.05, 0.9)}, defer_unescalated={"violence_report": (0.4, 0.9)}),
            Route(costly, dial_heads("costly")),
        ])
        plugin = LegacyPlugin(encoder) if legacy else encoder
        results = Cascade([Gate()], [plugin], threshold=0.5).classify(batch)
        outputs[legacy] = (encoder.calls, results, list(costly.read))
    calls, results, costly_read = outputs[False]
    legacy_calls, legacy_results, legacy_costly_read = outputs[True]
    assert calls == 1, "the cascade hands its answer to rescore() instead of asking twice"
    assert legacy_calls == 2, "a rescore() without the parameter still works, asking for itself"
    assert results == legacy_results and costly_read == legacy_costly_read
    assert costly_read == ["shot v=0.5 h=0.02", "v=0.6 h=0.9", "shot v=0.95 h=0.01"]
    assert [sorted(hits) for hits in results] == [
        ["violence_report"], ["hate_speech"], ["hate_speech", "violence_report"], ["violence_report"], [], []]
    assert results[0]["violence_report"].terms == ["shot"]
