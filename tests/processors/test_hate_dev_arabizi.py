"""The hand-written Arabizi hate dev file: Arabic in Latin letters, both classes, never trained on.

``processors/evaluation/data/hate_dev_arabizi.csv`` measures what the encoder stage makes of
Arabizi (docs/classification.md, "Arabizi in Arabic script: tried, not kept"); a dev file must
hold no row of the hand-written training files, or its figures would flatter the heads. Its first
63 rows were written first; the 192 after them were added on 2026-12-07 by another writer who did
not read them nor the training rows, so that a retrain's change on Arabizi can be told from chance.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

from processors.encoders import prepare_text
from processors.language import ARABIZI_SHARE
from processors.training.examples import WRITTEN_HATE_SOURCES
from processors.writing_systems import arabizi, mostly_latin

ROOT = Path(__file__).resolve().parents[2]
ARABIZI_DEV = ROOT / "processors/evaluation/data/hate_dev_arabizi.csv"
HATE_DEV_WRITTEN = ROOT / "processors/evaluation/data/hate_dev_written.csv"
TRAINING = sorted((ROOT / "processors/training/data").glob("hate_written*.csv"))


def _texts(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [record["text"] for record in csv.DictReader(handle)]


def _key(text: str) -> str:
    return prepare_text(text, 10_000).lower()


def test_arabizi_dev_rows_are_latin_script_arabic_in_both_classes() -> None:
    with ARABIZI_DEV.open(encoding="utf-8", newline="") as handle:
        records = list(csv.DictReader(handle))
    assert list(records[0]) == ["text", "label", "group", "lang"]
    labels = Counter(record["label"] for record in records)
    assert set(labels) == {"hateful", "non-hateful"} and min(labels.values()) >= 30
    assert {record["lang"] for record in records} == {"ar-latn"}
    assert len({_key(record["text"]) for record in records}) == len(records)
    assert all(mostly_latin(record["text"]) for record in records)
    # Arabizi by the language identifier's own rule: 61 of the first 63 rows (2 have one piece of
    # evidence) and 178 of the 192 added (14 Egyptian, Levantine, Iraqi and Maghrebi posts without
    # a sound-digit word or dialect marker the rule knows: kept, the stream sees such posts)
    first, added = records[:63], records[63:]
    assert len(added) == 192
    assert sum(arabizi(record["text"]) >= ARABIZI_SHARE for record in first) >= len(first) - 2
    assert sum(arabizi(record["text"]) >= ARABIZI_SHARE for record in added) >= len(added) - 14


def test_arabizi_dev_rows_are_in_no_training_file_nor_the_other_dev_set() -> None:
    assert set(TRAINING) == set(WRITTEN_HATE_SOURCES), "every hand-written file a head reads, and only those"
    dev = {_key(text) for text in _texts(ARABIZI_DEV)}
    trained = {_key(text) for path in TRAINING for text in _texts(path)}
    assert dev and trained and not dev & trained
    assert not dev & {_key(text) for text in _texts(HATE_DEV_WRITTEN)}
