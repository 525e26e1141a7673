"""The second hand-written hate dev file: Arabic as posted and romanised Hindi, never trained on.

``processors/evaluation/data/hate_dev_written_ar_hi.csv`` holds every second row (per language) of 726
posts written on 2026-12-07 without sight of any dev or evaluation file; the other half is split by
language: its Arabic rows are the training file ``processors/training/data/hate_written_ar.csv``
(the joined hate head reads them), its romanised-Hindi rows the candidate
``processors/training/data/candidates/hate_written_hi.csv`` (no shipped head reads it:
docs/classification.md). A dev file must share no row with the training files, that candidate or
the other dev files, or its figures would flatter the heads.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

from processors.encoders import prepare_text
from processors.writing_systems import mostly_latin

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT / "processors/evaluation/data/hate_dev_written_ar_hi.csv"
OTHER_DEV = [ROOT / "processors/evaluation/data/hate_dev_written.csv",
             ROOT / "processors/evaluation/data/hate_dev_arabizi.csv"]
TRAINING = sorted((ROOT / "processors/training/data").glob("hate_written*.csv"))
TRAINING_AR = ROOT / "processors/training/data/hate_written_ar.csv"
CANDIDATE = ROOT / "processors/training/data/candidates/hate_written_hi.csv"


def _records(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _key(text: str) -> str:
    return prepare_text(text, 10_000).lower()


def test_rows_are_arabic_script_arabic_and_romanised_hindi_in_both_classes() -> None:
    records = _records(DEV)
    assert list(records[0]) == ["text", "label", "group", "lang", "targets", "forms"]
    counts = Counter((record["lang"], record["label"]) for record in records)
    classes = ("hateful", "non-hateful")
    assert set(counts) == {(lang, label) for lang in ("ar", "hi-latn") for label in classes}
    assert min(counts.values()) >= 75
    assert len({_key(record["text"]) for record in records}) == len(records)
    for record in records:
        assert mostly_latin(record["text"]) == (record["lang"] == "hi-latn"), record["text"]
        # a hateful row names whom it targets and how; a non-hateful one neither
        assert bool(record["targets"]) == bool(record["forms"]) == (record["label"] == "hateful")


def test_rows_are_in_no_training_file_nor_another_dev_file() -> None:
    dev = {_key(record["text"]) for record in _records(DEV)}
    trained = {_key(record["text"]) for path in [*TRAINING, CANDIDATE] for record in _records(path)}
    other = {_key(record["text"]) for path in OTHER_DEV for record in _records(path)}
    assert TRAINING_AR in TRAINING and dev and trained and other and _records(CANDIDATE)
    assert not dev & trained and not dev & other


def test_the_other_half_is_the_arabic_training_file_and_the_hindi_candidate() -> None:
    arabic, hindi = _records(TRAINING_AR), _records(CANDIDATE)
    for records, lang in ((arabic, "ar"), (hindi, "hi")):
        assert list(records[0]) == ["text", "lang", "hateful", "targets", "forms"]
        assert Counter((record["lang"], record["hateful"]) for record in records).keys() == {
            (lang, "0"), (lang, "1")}
    assert (len(arabic), len(hindi)) == (168, 196)
    assert abs(len(arabic) + len(hindi) - len(_records(DEV))) <= 2
