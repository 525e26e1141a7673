"""One file per evaluation run holding each row's decision, so two runs can be compared row by row.

``tocsin eval classify|violence FILE --decisions OUT.csv`` writes it; ``tocsin eval compare
BEFORE.csv AFTER.csv`` reads two of them (:mod:`processors.evaluation.compare`). The texts are
not copied: the row number ties a decision back to the labelled file, and a decisions file can be
kept beside a model card without repeating a dev set.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tocsin.errors import InputError

COLUMNS = ("row", "gold", "predicted", "score", "lang", "group")


class DecisionsFileError(InputError, ValueError):
    """A decisions file that cannot be read, or two that do not hold the same rows."""


@dataclass(frozen=True, slots=True)
class Decisions:
    """The decisions of one run: ``gold`` and ``predicted`` per row, with what to break them down by."""

    gold: list[bool]
    predicted: list[bool]
    scores: list[float]
    langs: list[str]
    groups: list[str]


def write_decisions(path: Path, decisions: Decisions) -> None:
    """Write one row per labelled row (``row`` counts from 1, in the labelled file's order)."""
    rows = zip(decisions.gold, decisions.predicted, decisions.scores, decisions.langs, decisions.groups,
               strict=True)
    try:
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            for number, (gold, predicted, score, lang, group) in enumerate(rows, start=1):
                writer.writerow((number, int(gold), int(predicted), f"{score:.6f}", lang, group))
    except OSError as exc:
        raise DecisionsFileError(f"{path}: cannot write: {exc.strerror or exc}") from exc


def read_decisions(path: Path) -> Decisions:
    """A decisions file as :func:`write_decisions` wrote it; raises :class:`DecisionsFileError`."""
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise DecisionsFileError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    read = Decisions([], [], [], [], [])
    with handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise DecisionsFileError(f"{path}: not a decisions file (columns {', '.join(COLUMNS)}; "
                                     f"found {', '.join(reader.fieldnames or ()) or 'none'})")
        for number, row in enumerate(reader, start=1):
            try:
                if row["row"] != str(number):
                    raise ValueError(f"rows are numbered 1, 2, … in order; found {row['row']!r}")
                read.gold.append(_flag(row["gold"], "gold"))
                read.predicted.append(_flag(row["predicted"], "predicted"))
                read.scores.append(float(row["score"]))
            except (TypeError, ValueError) as exc:
                raise DecisionsFileError(f"{path}: line {number + 1}: {exc}") from None
            read.langs.append(row["lang"] or "")
            read.groups.append(row["group"] or "")
    return read


def _flag(value: str | None, column: str) -> bool:
    if value not in ("0", "1"):
        raise ValueError(f"column {column!r}: {value!r} is not 0 or 1")
    return value == "1"


def same_rows(before: Decisions, after: Decisions, names: Sequence[str]) -> None:
    """Refuse two runs that did not read the same labelled rows (a paired comparison needs them)."""
    if len(before.gold) != len(after.gold):
        raise DecisionsFileError(f"{names[0]} holds {len(before.gold):,} rows but {names[1]} "
                                 f"{len(after.gold):,}: not runs on the same file")
    differ = next((i for i, (a, b) in enumerate(zip(before.gold, after.gold, strict=True)) if a != b), None)
    if differ is not None:
        raise DecisionsFileError(f"row {differ + 1}: {names[0]} and {names[1]} disagree on the gold label: "
                                 "not runs on the same file")
