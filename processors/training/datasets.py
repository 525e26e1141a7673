"""The labelled hate-speech files in ``shared/data/hate``, read as published, with one label scheme.

Labels: ``hate_speech`` (attacks a group for what it is), ``offensive``
(abusive, profane or disrespectful, without that), ``neither``.

* Davidson et al. 2017 (``class``): 0 hate speech → ``hate_speech``,
  1 offensive language → ``offensive``, 2 neither → ``neither``.
* MLMA (Ousidhoum et al. 2019, ``sentiment``): each annotator's hostility
  type, joined with ``_`` (``offensive_hateful``). The strongest one present
  wins: ``hateful`` → ``hate_speech``; else ``offensive``, ``abusive`` or
  ``disrespectful`` → ``offensive``; else (``normal``, ``fearful``, or both)
  → ``neither``. ``fearful`` alone says the annotator read fear in the tweet,
  and most such tweets are not hostile ("ah j'l'ai eu aussi !"), so it does
  not make a tweet offensive. The ``target`` column (origin, gender,
  religion, sexual_orientation, disability, other) is kept as the targeted
  group; Davidson has none.

The split into train / calibration / test is by a hash of the normalised
text, so it is the same on every machine and in every run, and copies of a
tweet (retweets, the same text with other mentions) never straddle two parts.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from processors.classifiers.ngram import HATE, NEITHER, OFFENSIVE, TARGETS, normalise
from tocsin.errors import InputError

DAVIDSON = "davidson2017_labeled_data.csv"
MLMA = {"en": "mlma2019_en.csv", "fr": "mlma2019_fr.csv", "ar": "mlma2019_ar.csv"}
_DAVIDSON_CLASSES = {"0": HATE, "1": OFFENSIVE, "2": NEITHER}
_MLMA_OFFENSIVE = frozenset({"offensive", "abusive", "disrespectful"})
_MLMA_KNOWN = frozenset({"hateful", "normal", "fearful", *_MLMA_OFFENSIVE})
SPLITS = ("train", "calibration", "test")


class DatasetError(InputError, ValueError):
    """A labelled file does not look as published; the message names the file, row and column."""


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    lang: str
    source: str
    label: str                 # hate_speech | offensive | neither
    target: str | None = None  # one of TARGETS, MLMA only


def davidson_label(value: str) -> str:
    try:
        return _DAVIDSON_CLASSES[value.strip()]
    except KeyError:
        raise ValueError(f"class {value!r} is not 0, 1 or 2") from None


def mlma_label(sentiment: str) -> str:
    """MLMA ``sentiment`` (e.g. ``abusive_hateful``) → hate_speech / offensive / neither."""
    parts = {part for part in sentiment.strip().lower().split("_") if part}
    unknown = parts - _MLMA_KNOWN
    if unknown or not parts:
        raise ValueError(f"sentiment {sentiment!r}: unknown part(s) {sorted(unknown) or ['(empty)']}")
    if "hateful" in parts:
        return HATE
    if parts & _MLMA_OFFENSIVE:
        return OFFENSIVE
    return NEITHER


def mlma_target(value: str) -> str | None:
    target = value.strip().lower()
    return target if target in TARGETS else None


def _rows(path: Path, needed: Iterable[str]) -> Iterator[tuple[int, dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = sorted(set(needed) - set(reader.fieldnames or ()))
        if missing:
            raise DatasetError(f"{path}: no column(s) {missing} (has {reader.fieldnames})")
        yield from enumerate(reader, start=2)


def read_davidson(path: Path, limit: int | None = None) -> list[Example]:
    examples: list[Example] = []
    for number, row in _rows(path, ("class", "tweet")):
        if limit is not None and len(examples) >= limit:
            break
        try:
            label = davidson_label(row["class"])
        except ValueError as exc:
            raise DatasetError(f"{path}: row {number}, column 'class': {exc}") from None
        examples.append(Example(row["tweet"] or "", "en", "davidson2017", label))
    return examples


def read_mlma(path: Path, lang: str, limit: int | None = None) -> list[Example]:
    examples: list[Example] = []
    for number, row in _rows(path, ("tweet", "sentiment", "target")):
        if limit is not None and len(examples) >= limit:
            break
        try:
            label = mlma_label(row["sentiment"] or "")
        except ValueError as exc:
            raise DatasetError(f"{path}: row {number}, column 'sentiment': {exc}") from None
        examples.append(Example(row["tweet"] or "", lang, f"mlma2019_{lang}", label,
                                mlma_target(row["target"] or "")))
    return examples


def read_training(hate_dir: Path) -> list[Example]:
    """Every training file in ``shared/data/hate`` (never the evaluation files)."""
    examples = read_davidson(hate_dir / DAVIDSON)
    for lang, name in MLMA.items():
        examples += read_mlma(hate_dir / name, lang)
    return examples


def split_of(text: str, calibration: float = 0.15, test: float = 0.15) -> str:
    """'train', 'calibration' or 'test' for a text, from a hash of its normalised form."""
    [normal] = normalise([text])
    digest = hashlib.sha256(normal.strip().encode("utf-8", "surrogatepass")).digest()
    share = int.from_bytes(digest[:8], "big") / 2**64
    if share < test:
        return "test"
    if share < test + calibration:
        return "calibration"
    return "train"


def split(examples: Iterable[Example], calibration: float = 0.15,
          test: float = 0.15) -> dict[str, list[Example]]:
    parts: dict[str, list[Example]] = {name: [] for name in SPLITS}
    for example in examples:
        parts[split_of(example.text, calibration, test)].append(example)
    return parts
