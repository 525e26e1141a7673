"""The learnt romanised-Hindi second opinion: its file, the posts it adds, the look-alikes it leaves.

The posts were written for these tests from knowledge of how people post (never from a dev or
evaluation file); each "adds" post is one the lexicon misses.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from processors.language import LanguageIdentifier, LanguageModelError
from processors.romanised_hindi_model import (
    MAX_N,
    MODEL_PATH,
    RomanisedHindiModel,
    RomanisedHindiModelError,
    ngram_buckets,
    normalised,
)


@pytest.fixture(scope="module")
def lexicon_only() -> LanguageIdentifier:
    return LanguageIdentifier(romanised_hindi_model=None)


def test_the_shipped_model_loads_and_is_small() -> None:
    model = RomanisedHindiModel.load()
    assert len(model.weights) == 1 << model.bits == 1 << 18
    assert 0.5 < model.threshold < 5.0
    assert MODEL_PATH.stat().st_size < 3_000_000
    assert (MODEL_PATH.parent / "MODEL_CARD.md").is_file()


def test_buckets_are_a_stable_hash_of_the_words_with_their_boundaries() -> None:
    # a fixed FNV-1a hash, not Python's salted hash(): the shipped weights depend on it
    assert normalised("Hi!  THERE, 7x") == " hi there 7x "
    assert ngram_buckets("Hi!", 18).tolist() == [36332, 13764, 14167, 36332, 202935, 224636, 91646, 23333,
                                                 223579, 178184]
    # " hi " has 4 one-grams, 3 two-grams, 2 three-grams, 1 four-gram
    assert len(ngram_buckets("hi", 18)) == 4 + 3 + 2 + 1
    assert len(ngram_buckets("abcdefgh", 18)) == sum(10 - n + 1 for n in range(1, MAX_N + 1))


@pytest.mark.parametrize(("content", "message"), [
    (None, "romanised-Hindi model not found"),            # no file at all
    (b"PK\x03\x04 not really a zip", "cannot read"),    # a corrupt one
])
def test_a_missing_or_corrupt_model_file_is_a_clear_error(tmp_path: Path, content: bytes | None,
                                                          message: str) -> None:
    path = tmp_path / "model.npz"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(RomanisedHindiModelError, match=message):
        RomanisedHindiModel.load(path)
    with pytest.raises(LanguageModelError, match=message):
        LanguageIdentifier(romanised_hindi_model=path)


def test_a_model_file_without_its_threshold_or_of_other_ngrams_is_refused(tmp_path: Path) -> None:
    partial = tmp_path / "partial.npz"
    np.savez(partial, weights=np.zeros(8, dtype=np.float32), bias=0.0, max_n=MAX_N)
    with pytest.raises(RomanisedHindiModelError, match="threshold"):
        RomanisedHindiModel.load(partial)
    other = tmp_path / "other.npz"
    np.savez(other, weights=np.zeros(8, dtype=np.float32), bias=0.0, threshold=1.0, max_n=3)
    with pytest.raises(RomanisedHindiModelError, match="3-grams"):
        RomanisedHindiModel.load(other)


@pytest.mark.parametrize("weights", [np.zeros(6, dtype=np.float32),
                                     np.array([0.0, np.nan], dtype=np.float32)])
def test_weights_of_a_wrong_size_or_not_finite_are_refused(weights: np.ndarray) -> None:
    with pytest.raises(RomanisedHindiModelError):
        RomanisedHindiModel(weights, 0.0, 1.0)


@pytest.mark.parametrize("text", [
    "jhumke dhoondhte dhoondhte thak gayi",
    "bhabhiji ke pakodon ki khushboo",
    "chhath puja ki taiyaariyan shuru",
])
def test_short_posts_the_lexicon_misses_are_hindi(identifier: LanguageIdentifier,
                                                   lexicon_only: LanguageIdentifier, text: str) -> None:
    assert lexicon_only.identify(text)[0] != "hi"
    assert identifier.identify(text)[0] == "hi"


@pytest.mark.parametrize(("text", "lang"), [
    ("mvua kubwa imenyesha usiku kucha", "sw"),
    ("nimechoka sana leo kazini", "sw"),
    ("waxaan joogaa suuqa magaalada", "so"),
    ("magaalada waa nabad maanta", "so"),
    ("kumain ka na ba, anak?", "tl"),
    ("kal ko ako pupunta sa palengke", "tl"),
    ("ina kwana, ya aiki?", "ha"),
    ("saya mau makan bakso nanti malam", "id"),
    ("enta feen ya 3am, msh bt2ol", "ar"),
    ("Priyanka and Rahul at the Mumbai airport", "en"),
    ("Namaste from Jaipur, lovely trip", "en"),
])
def test_look_alikes_are_not_taken_for_hindi(identifier: LanguageIdentifier, text: str, lang: str) -> None:
    model = RomanisedHindiModel.load()
    assert not model.is_hindi(text)
    assert identifier.identify(text)[0] == lang


def test_a_long_post_is_left_to_the_lexicon(identifier: LanguageIdentifier,
                                            lexicon_only: LanguageIdentifier) -> None:
    # the model is asked about short posts only: 60 letters or more read as before
    text = "jhumke dhoondhte dhoondhte thak gayi, bhabhiji ke pakodon ki khushboo aayi"
    assert identifier.identify(text) == lexicon_only.identify(text)


def test_training_gives_each_bucket_its_smoothed_log_likelihood_ratio() -> None:
    from processors.training.train_romanised_hindi import fit

    # bucket 0 seen 3 times in Hindi and once elsewhere, bucket 1 the other way round
    counts = np.array([[3.0, 1.0], [1.0, 3.0]])
    ratios = fit(counts, alpha=1.0)
    # (3+1)/(4+2) against (1+1)/(4+2): log 2, and its mirror
    assert ratios == pytest.approx([np.log(2.0), -np.log(2.0)])
    assert ratios.dtype == np.float32


def test_training_asks_about_the_samples_the_identifier_would_ask_about() -> None:
    from processors.training.train_romanised_hindi import asked

    assert asked("toss jeet ke batting lenge")            # short, and the lexicon does not call it Hindi
    assert not asked("sahi hai")                           # under the 12-letter minimum
    assert not asked("yaar kya baat hai, bahut badhiya")   # the lexicon already calls it Hindi
    assert not asked("a" * 10 + " word" * 20)              # 60 letters or more: not a short sample


def test_the_model_is_not_asked_about_text_in_other_scripts() -> None:
    """It costs ~40 us a post: a short Arabic or Cyrillic post must not pay it."""
    identifier = LanguageIdentifier()
    asked: list[str] = []

    class Spy:
        def is_hindi(self, text: str) -> bool:
            asked.append(text)
            return False

    identifier._hindi_model = Spy()  # type: ignore[assignment]
    assert identifier.identify("الله يرحمه ويغفر له يا رب")[0] == "ar"
    assert identifier.identify("Привет, как дела у тебя?")[0] == "ru"
    assert asked == []
    identifier.identify("toss jeet ke batting lenge")
    assert asked == ["toss jeet ke batting lenge"]
