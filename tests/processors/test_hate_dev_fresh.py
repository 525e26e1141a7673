"""The hand-written hate dev files of writers who wrote no training row: never trained on.

``processors/evaluation/data/hate_dev_fresh_ar.csv`` and ``hate_dev_fresh_ar2.csv`` (Arabic as
posted, by two different writers: the second doubles the rows, so a smaller change stands out from
chance and no one writer's style decides a figure), ``hate_dev_fresh_hi.csv`` (romanised Hindi /
Hinglish), ``hate_dev_fresh_arabizi.csv`` (Arabizi: Maghrebi, Levantine, Egyptian, Gulf and
Iraqi Arabic in Latin letters and digits, so an Arabizi-only change is judged on a writer it never
trained on), ``hate_dev_fresh_en.csv`` (English as posted on X, Reddit, news and YouTube
comments, Telegram / WhatsApp forwards and game chat, in American, British, Indian, Nigerian,
Kenyan and Australian English, so the English heads are judged on a writer who wrote no training
row) and ``hate_dev_fresh_fr.csv`` (French as posted in France, Belgium, Switzerland, Quebec and
francophone Africa, slang, SMS spelling and emoji included, naming the groups of conflict settings
too: Peuls, Tutsi and Banyamulenge, anglophone Cameroonians, Touareg) hold posts written on
2026-12-07 without sight of any dev, evaluation or training row, by other writers than the
hand-written training files': a head retrained on those files that gains here learnt the
language's hate, not their writers' style (docs/classification.md, "More hand-written Arabic and
romanised-Hindi posts"). A dev file must share no row with any training file (candidates included)
or another dev file, or its figures would flatter the heads.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from processors.encoders import prepare_text
from processors.training import hate_corpora
from processors.writing_systems import mostly_latin, script_languages

ROOT = Path(__file__).resolve().parents[2]
DEV_DIR = ROOT / "processors/evaluation/data"
TRAINING = sorted((ROOT / "processors/training/data").rglob("*.csv"))
TARGETS, FORMS = set(hate_corpora.TARGETS), set(hate_corpora.FORMS)  # what the heads learn to name


def _arabic_script(text: str) -> bool:
    """Most letters in Arabic script (emoji, digits and a stray Latin word aside)."""
    script = script_languages(text)
    return not mostly_latin(text) and script is not None and script[1] == "ar"


# (file, its one language tag, how its text is written, rows per class at least)
FILES = [
    ("hate_dev_fresh_ar.csv", "ar", _arabic_script, 100),
    ("hate_dev_fresh_ar2.csv", "ar", _arabic_script, 100),
    ("hate_dev_fresh_hi.csv", "hi-latn", mostly_latin, 170),
    ("hate_dev_fresh_arabizi.csv", "ar-latn", mostly_latin, 110),
    ("hate_dev_fresh_en.csv", "en", mostly_latin, 120),
    ("hate_dev_fresh_fr.csv", "fr", mostly_latin, 120),
]


def _records(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _key(text: str) -> str:
    return prepare_text(text, 10_000).lower()


@pytest.mark.parametrize(("name", "lang", "written", "per_class"), FILES)
def test_rows_are_in_one_language_and_script_in_both_classes(
        name: str, lang: str, written: Callable[[str], bool], per_class: int) -> None:
    records = _records(DEV_DIR / name)
    assert list(records[0]) == ["text", "label", "group", "lang", "targets", "forms"]
    labels = Counter(record["label"] for record in records)
    assert set(labels) == {"hateful", "non-hateful"} and min(labels.values()) >= per_class
    assert {record["lang"] for record in records} == {lang}
    assert len({_key(record["text"]) for record in records}) == len(records), "a post written twice"
    assert all(record["text"].strip() and written(record["text"]) for record in records)


@pytest.mark.parametrize("name", [name for name, *_ in FILES])
def test_hateful_rows_and_only_they_name_whom_they_target_and_how(name: str) -> None:
    for record in _records(DEV_DIR / name):
        if record["label"] == "hateful":
            targets, forms = set(record["targets"].split(";")), record["forms"].split(";")
            assert targets <= TARGETS and set(forms) <= FORMS and len(set(forms)) == len(forms), record
            # the group is the post's first form, so a figure per group reads per form
            assert record["group"] == forms[0], record
        else:
            assert record["group"] == "non-hateful" and not record["targets"] and not record["forms"], record


@pytest.mark.parametrize("name", [name for name, *_ in FILES])
def test_rows_are_in_no_training_file_nor_another_dev_file(name: str) -> None:
    dev = {_key(record["text"]) for record in _records(DEV_DIR / name)}
    trained = {_key(record["text"]) for path in TRAINING for record in _records(path) if "text" in record}
    other = {_key(record["text"]) for path in DEV_DIR.glob("hate_dev_*.csv") if path.name != name
             for record in _records(path)}
    assert ROOT / "processors/training/data/candidates/hate_written_hi.csv" in TRAINING
    assert ROOT / "processors/training/data/hate_written_ar.csv" in TRAINING
    assert dev and trained and other
    assert not dev & trained and not dev & other
