"""The third hand-written hate dev file: romanised Hindi / Hinglish from a writer new to the project.

``processors/evaluation/data/hate_dev_fresh_hi.csv`` holds posts written on 2026-12-07 by a writer
who wrote none of the training rows, without sight of any dev, training or evaluation file. It is
dev only: a head trained on the earlier hand-written posts is measured on it to tell what it learnt
about the speech from what it learnt about its two writers' style. It must share no row with any
training file (candidates included) or another dev file, or its figures would flatter the heads.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

from processors.encoders import prepare_text
from processors.writing_systems import mostly_latin

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT / "processors/evaluation/data/hate_dev_fresh_hi.csv"
OTHER_DEV = sorted(set((ROOT / "processors/evaluation/data").glob("hate_dev_*.csv")) - {DEV})
TRAINING = sorted((ROOT / "processors/training/data").glob("**/*.csv"))
TARGETS = {"origin", "religion", "gender", "sexual_orientation", "disability", "other"}
FORMS = {"dehumanisation", "threat", "derogation", "slur"}


def _records(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _key(text: str) -> str:
    return prepare_text(text, 10_000).lower()


def test_rows_are_romanised_hindi_in_both_classes_without_duplicates() -> None:
    records = _records(DEV)
    assert list(records[0]) == ["text", "label", "group", "lang", "targets", "forms"]
    counts = Counter(record["label"] for record in records)
    assert set(counts) == {"hateful", "non-hateful"}
    assert min(counts.values()) >= 100
    assert {record["lang"] for record in records} == {"hi-latn"}
    assert len({_key(record["text"]) for record in records}) == len(records)
    for record in records:
        assert record["text"].strip() and mostly_latin(record["text"]), record["text"]


def test_targets_and_forms_are_filled_exactly_on_hateful_rows() -> None:
    for record in _records(DEV):
        if record["label"] == "hateful":
            forms = record["forms"].split(";")
            assert set(record["targets"].split(";")) <= TARGETS, record
            assert set(forms) <= FORMS, record
            # the group is the post's (first) form, so a figure per group reads per form
            assert record["group"] == forms[0], record
        else:
            assert record["label"] == "non-hateful", record
            assert record["group"] == "non-hateful", record
            assert record["targets"] == record["forms"] == "", record


def test_rows_are_in_no_training_file_nor_another_dev_file() -> None:
    dev = {_key(record["text"]) for record in _records(DEV)}
    trained = {_key(record["text"]) for path in TRAINING for record in _records(path)}
    other = {_key(record["text"]) for path in OTHER_DEV for record in _records(path)}
    assert ROOT / "processors/training/data/candidates/hate_written_hi.csv" in TRAINING
    assert dev and trained and other
    assert not dev & trained
    assert not dev & other
