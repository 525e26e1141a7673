"""Readers of the labelled text files language identification is measured and trained on.

Why here: the benchmark (``bench.language_short``), the tests and the romanised-Hindi trainer
(``processors.training.train_romanised_hindi``) read the same files the same way, and the trainer
must not import the benchmark or the tests.
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

WRITTEN_DEV = Path(__file__).resolve().parent / "data" / "language_dev_written.csv"
"""The hand-written language-ID dev file: romanised-Hindi posts and their look-alikes."""


@dataclass(frozen=True)
class LabelledFile:
    """A file of texts in one language; ``column`` is a header name, or an index when there is no header."""

    path: str
    column: str | int
    lang: str
    delimiter: str = ","


def texts(data: Path, labelled: LabelledFile) -> Iterator[str]:
    """The texts of ``labelled`` (a path under ``data``), in file order; a missing cell is ""."""
    csv.field_size_limit(sys.maxsize)
    with (data / labelled.path).open(encoding="utf-8-sig", newline="") as handle:
        if isinstance(labelled.column, int):
            for line in handle:
                yield line.rstrip("\n").split(labelled.delimiter)[labelled.column]
        else:
            for row in csv.DictReader(handle, delimiter=labelled.delimiter):
                yield row[labelled.column] or ""


def written_halves(path: Path = WRITTEN_DEV) -> dict[str, list[tuple[str, str]]]:
    """``{"tuning": [(text, lang)...], "held-out": [...]}``: the n-th row of each language, in file
    order, goes to the tuning half when n is odd and to the held-out half when n is even (fixed
    before any rule was tuned on the file; settings were tuned on the tuning half only)."""
    halves: dict[str, list[tuple[str, str]]] = {"tuning": [], "held-out": []}
    seen: Counter[str] = Counter()
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            seen[row["lang"]] += 1
            halves["tuning" if seen[row["lang"]] % 2 else "held-out"].append((row["text"], row["lang"]))
    return halves


TRAINING = (  # the hate training corpora, one language each: where short cases are measured

    LabelledFile("hate/cold_train.csv", "TEXT", "zh"),
    LabelledFile("hate/swsr_sexcomment.csv", "comment_text", "zh"),
    LabelledFile("hate/mlma2019_ar.csv", "tweet", "ar"),
    LabelledFile("hate/davidson2017_labeled_data.csv", "tweet", "en"),
    LabelledFile("hate/mlma2019_en.csv", "tweet", "en"),
    LabelledFile("hate/implicit_hate_v1_stg1_posts.tsv", "post", "en", "\t"),
    LabelledFile("hate/stormfront_combined.csv", "text", "en"),
    LabelledFile("hate/told_br.csv", "text", "pt"),
    LabelledFile("hate/mlma2019_fr.csv", "tweet", "fr"),
    LabelledFile("hate/germeval2018_training.txt", 0, "de", "\t"),
)
