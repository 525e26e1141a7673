"""The hand-written violence posts and hard negatives waiting in candidates/violence_written_hard.csv.

Tried as training rows for the high-volume profile's violence head and not kept (docs/classification.md,
"Hand-written short posts for the high-volume violence head"): no head reads them, so a later try
starts from a file that is still clean. Rows are compared with the dev files by key, never printed.
"""

from __future__ import annotations

import csv
from collections import Counter

import pytest

from processors.training.violence_corpora import (
    HARD_NEGATIVES,
    SUBTYPES,
    WRITTEN_DEV,
    WRITTEN_TRAIN,
    WRITTEN_TRAIN_MORE,
    _key,
    read_written,
    training_set,
)
from tests.processors.training_data import write_shared

WRITTEN_TRAIN_HARD = WRITTEN_TRAIN.parent / "candidates" / "violence_written_hard.csv"


def _raw_rows() -> list[dict[str, str]]:
    with WRITTEN_TRAIN_HARD.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == ["text", "lang", "violent", "subtype"]
        return list(reader)


def test_the_file_has_the_columns_subtypes_and_both_classes_of_the_other_written_files() -> None:
    rows = _raw_rows()
    with WRITTEN_TRAIN_MORE[-1].open(encoding="utf-8", newline="") as handle:
        assert csv.DictReader(handle).fieldnames == ["text", "lang", "violent", "subtype"]
    assert len(rows) >= 250
    for row in rows:
        assert row["violent"] in {"0", "1"}
        assert row["subtype"] in (SUBTYPES if row["violent"] == "1" else HARD_NEGATIVES)
        assert row["text"].strip() and row["lang"].strip()
    violent = sum(row["violent"] == "1" for row in rows)
    assert 0.3 < violent / len(rows) < 0.5, "about 40 % reports, 60 % hard negatives"
    assert {row["subtype"] for row in rows if row["violent"] == "1"} == set(SUBTYPES), "every subtype"
    assert {"accident", "disaster", "figurative", "fiction", "commentary"} <= {
        row["subtype"] for row in rows if row["violent"] == "0"
    }
    langs = Counter(row["lang"] for row in rows)
    assert len(langs) >= 15 and max(langs.values()) < len(rows) / 3, "many of USE's languages"
    examples = read_written(WRITTEN_TRAIN_HARD, "written_hard")
    assert len(examples) == len(rows) and {e.split for e in examples} == {"train", "calibration"}


def test_no_row_is_repeated_or_shared_with_the_dev_file_or_another_written_file() -> None:
    keys = [_key(row["text"]) for row in _raw_rows()]
    assert len(set(keys)) == len(keys), "a row written twice"
    dev = {_key(e.text) for e in read_written(WRITTEN_DEV, "written", split="dev")}
    assert dev and not dev & set(keys), "a training row is in the violence dev file"
    others = {_key(e.text) for path in (WRITTEN_TRAIN, *WRITTEN_TRAIN_MORE) for e in read_written(path, "w")}
    assert not others & set(keys)


def test_no_head_trains_on_the_candidates(tmp_path_factory: pytest.TempPathFactory) -> None:
    trained = {example.text for example in training_set(write_shared(tmp_path_factory.mktemp("shared")))}
    assert trained, "the training set was read"
    assert not trained & {row["text"] for row in _raw_rows()}
