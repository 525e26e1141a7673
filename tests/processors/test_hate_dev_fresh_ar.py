"""The third hand-written hate dev file: Arabic as posted, by a writer of no training row, never trained on.

``processors/evaluation/data/hate_dev_fresh_ar.csv`` holds 219 posts written on 2026-12-07 without
sight of any dev, evaluation or training row, by another writer than the hand-written training
files': a head retrained on those files that gains here learnt Arabic hate, not their writers'
style. A dev file must share no row with any training file (candidates included) or another dev
file, or its figures would flatter the heads.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

from processors.encoders import prepare_text
from processors.writing_systems import mostly_latin, script_languages

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT / "processors/evaluation/data/hate_dev_fresh_ar.csv"
OTHER_DEV = sorted(path for path in DEV.parent.glob("hate_dev_*.csv") if path != DEV)
TRAINING = sorted((ROOT / "processors/training/data").rglob("*.csv"))
TARGETS = {"origin", "religion", "gender", "sexual_orientation", "disability", "other"}
FORMS = {"dehumanisation", "threat", "derogation", "slur"}


def _records(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _key(text: str) -> str:
    return prepare_text(text, 10_000).lower()


def test_rows_are_arabic_script_arabic_in_both_classes() -> None:
    records = _records(DEV)
    assert list(records[0]) == ["text", "label", "group", "lang", "targets", "forms"]
    labels = Counter(record["label"] for record in records)
    assert set(labels) == {"hateful", "non-hateful"} and min(labels.values()) >= 60
    assert {record["lang"] for record in records} == {"ar"}
    assert len({_key(record["text"]) for record in records}) == len(records)
    for record in records:
        # Arabic script: most letters in it (emoji, digits and a stray Latin word aside)
        script = script_languages(record["text"])
        assert not mostly_latin(record["text"]) and script is not None and script[1] == "ar", record


def test_hateful_rows_and_only_they_name_whom_they_target_and_how() -> None:
    for record in _records(DEV):
        if record["label"] == "hateful":
            targets, forms = set(record["targets"].split(";")), record["forms"].split(";")
            assert targets <= TARGETS and set(forms) <= FORMS and len(set(forms)) == len(forms), record
            # the group is the row's main form, one of its forms
            assert record["group"] in forms, record
        else:
            assert record["group"] == "non-hateful" and not record["targets"] and not record["forms"], record


def test_rows_are_in_no_training_file_nor_another_dev_file() -> None:
    dev = {_key(record["text"]) for record in _records(DEV)}
    trained = {_key(record["text"]) for path in TRAINING for record in _records(path) if "text" in record}
    other = {_key(record["text"]) for path in OTHER_DEV for record in _records(path)}
    assert len(TRAINING) >= 7 and len(OTHER_DEV) >= 3 and dev and trained and other
    assert not dev & trained and not dev & other
