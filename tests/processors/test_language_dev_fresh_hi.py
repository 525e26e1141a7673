"""The held-out language-ID file of short romanised-Hindi posts and their look-alikes: never tuned on.

``processors/evaluation/data/language_dev_fresh_hi.csv`` holds 210 short posts in romanised Hindi,
Hinglish and romanised Urdu (``hi``) and 79 short Latin-letter posts in languages a romanised-Hindi
rule could take them for (English naming Indian and Pakistani people, food and festivals;
Indonesian, Malay, Tagalog, Swahili, Hausa, Somali, Turkish, Portuguese, Spanish, Italian and
Arabizi), written on 2026-12-07 by a writer who saw no word list, training or dev row (350 were
written; the 61 within the near-duplicate bar of a row of the language-ID dev file, whose tuning half
the word lists were chosen on, or of a romanised-Hindi training post, were dropped before any
change was measured on it, so that no post the lists were tuned on is counted here again). A change to
romanised-Hindi detection on short posts is judged here, so the file must stay as written: posts of
at most 60 characters, each once, in Latin letters.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import Counter
from pathlib import Path

from processors.encoders import prepare_text
from processors.writing_systems import mostly_latin

PATH = Path(__file__).resolve().parents[2] / "processors/evaluation/data/language_dev_fresh_hi.csv"
# rows per ISO 639-1 tag, as kept (see the module docstring)
COUNTS = {"hi": 210, "en": 29, "id": 6, "ms": 2, "tl": 7, "sw": 5, "ha": 6, "so": 4, "tr": 5,
          "pt": 3, "es": 5, "it": 2, "ar": 5}
LONGEST = 60


def _records() -> list[dict[str, str]]:
    with PATH.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_columns_and_rows_per_language_are_as_written() -> None:
    records = _records()
    assert list(records[0]) == ["text", "lang"]
    assert Counter(record["lang"] for record in records) == COUNTS
    assert PATH.read_bytes().count(b"\r") == 0, "LF line ends only"


def test_every_post_is_short_and_written_once() -> None:
    texts = [record["text"] for record in _records()]
    assert all(text.strip() == text and 0 < len(text) <= LONGEST for text in texts)
    keys = [prepare_text(text, 10_000).lower() for text in texts]
    assert len(set(keys)) == len(keys), "a post written twice"


def test_romanised_hindi_posts_are_in_latin_letters() -> None:
    hindi = [record["text"] for record in _records() if record["lang"] == "hi"]
    assert hindi and all(mostly_latin(text) for text in hindi)


def _grams(text: str) -> set[str]:
    """Character 4-grams of the text, lower-cased, with runs of non-word characters as one space."""
    folded = " ".join(re.sub(r"\W+", " ", unicodedata.normalize("NFKC", text).lower()).split())
    return {folded[i : i + 4] for i in range(max(1, len(folded) - 3))}


def test_no_post_is_a_near_duplicate_of_a_row_the_word_lists_were_tuned_on() -> None:
    tuned = PATH.with_name("language_dev_written.csv")
    with tuned.open(encoding="utf-8", newline="") as handle:
        references = [_grams(record["text"]) for record in csv.DictReader(handle)]
    for record in _records():
        grams = _grams(record["text"])
        closest = max(len(grams & other) / len(grams | other) for other in references)
        assert closest < 0.5, record["text"]
