"""Every hate-speech training file of ``shared/data/hate``, read as published, under one label scheme.

Each row becomes a :class:`HateExample`: ``hateful`` (attacks people for who
they are: origin, religion, gender, sexuality, disability), the targeted groups
where the file says, and the form where it says. How each file maps:

=============================  ====  ==========================================================
file                           lang  hateful / not / left out
=============================  ====  ==========================================================
davidson2017                   en    class 0 hate / 1 offensive, 2 neither → not hateful
mlma2019 en, fr, ar            *     sentiment containing ``hateful`` / the rest; ``target``
germeval2018 training          de    ABUSE (identity-based abuse) / INSULT, PROFANITY, OTHER
told_br                        pt    ≥ 2 of 3 annotators on homophobia, racism, misogyny or
                                     xenophobia / no identity vote; 1 vote: left out
cold train, dev                zh    label 1 (offensive about race, region, gender) / 0; ``topic``
swsr_sexcomment                zh    label 1 (sexist) / 0; target gender
implicit_hate stage 1 (+2, 3)  en    explicit or implicit hate / not_hate; stage 2 implicit type
                                     → form, stage 3 target → targeted group
stormfront_combined            en    hate / noHate; relation and idk/skip left out
=============================  ====  ==========================================================

Splits (fixed, documented in the model card): a row's split is decided by a
hash of its prepared text (:func:`split_of`): 70 % ``train``, 15 %
``calibration`` (per-language Platt scaling and the gate's thresholds), 15 %
``dev`` (the figures we report). COLD ships its own dev file: ``cold_dev``
is the ``dev`` split, and ``cold_train`` is cut 85 / 15 into train and
calibration. Copies of a text never straddle two splits.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from processors.encoders.protocol import prepare_text
from processors.training.datasets import DatasetError, davidson_label, mlma_label, mlma_target

TARGETS: tuple[str, ...] = ("origin", "religion", "gender", "sexual_orientation", "disability", "other")
"""Targeted-group sub-labels of ``hate_speech``."""
FORMS: tuple[str, ...] = ("dehumanisation", "threat", "derogation", "slur")
"""Forms of hate speech; ``threat`` is a threat of or call to violence."""
SPLITS = ("train", "calibration", "dev")
PREPARED_CHARS = 1000
"""Texts are prepared (and cached) at this length; see :func:`processors.encoders.prepare_text`."""


@dataclass(frozen=True, slots=True)
class HateExample:
    text: str
    lang: str
    source: str
    hateful: bool
    split: str
    targets: tuple[str, ...] = ()
    forms: tuple[str, ...] = ()
    offensive: bool = False  # abusive or profane without attacking a group (where the file says)


def _share(text: str) -> float:
    digest = hashlib.sha256(prepare_text(text, PREPARED_CHARS).lower().encode("utf-8", "surrogatepass"))
    return int.from_bytes(digest.digest()[:8], "big") / 2**64


def split_of(text: str) -> str:
    """'train' (70 %), 'calibration' (15 %) or 'dev' (15 %), from a hash of the prepared, lower-cased text."""
    share = _share(text)
    return "dev" if share < 0.15 else "calibration" if share < 0.30 else "train"


def order_key(text: str) -> float:
    """A fixed pseudo-random order (for subsampling) independent of the split."""
    digest = hashlib.sha256(b"order:" + prepare_text(text, PREPARED_CHARS).encode("utf-8", "surrogatepass"))
    return int.from_bytes(digest.digest()[:8], "big") / 2**64


def _rows(path: Path, needed: Iterable[str], delimiter: str = ",") -> Iterator[tuple[int, dict[str, str]]]:
    if not path.is_file():
        raise DatasetError(f"{path}: no such file (see shared/data/README.md)")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle, delimiter=delimiter)
        missing = sorted(set(needed) - set(reader.fieldnames or ()))
        if missing:
            raise DatasetError(f"{path}: no column(s) {missing} (has {reader.fieldnames})")
        yield from enumerate(reader, start=2)


def read_davidson(path: Path) -> list[HateExample]:
    out = []
    for number, row in _rows(path, ("class", "tweet")):
        try:
            label = davidson_label(row["class"])
        except ValueError as exc:
            raise DatasetError(f"{path}: row {number}, column 'class': {exc}") from None
        text = row["tweet"] or ""
        out.append(
            HateExample(
                text,
                "en",
                "davidson2017",
                label == "hate_speech",
                split_of(text),
                offensive=label == "offensive",
            )
        )
    return out


def read_mlma(path: Path, lang: str) -> list[HateExample]:
    out = []
    for number, row in _rows(path, ("tweet", "sentiment", "target")):
        try:
            label = mlma_label(row["sentiment"] or "")
        except ValueError as exc:
            raise DatasetError(f"{path}: row {number}, column 'sentiment': {exc}") from None
        text = row["tweet"] or ""
        hateful = label == "hate_speech"
        target = mlma_target(row["target"] or "")
        out.append(
            HateExample(
                text,
                lang,
                f"mlma2019_{lang}",
                hateful,
                split_of(text),
                targets=(target,) if hateful and target else (),
                offensive=label == "offensive",
            )
        )
    return out


def read_germeval(path: Path) -> list[HateExample]:
    if not path.is_file():
        raise DatasetError(f"{path}: no such file (see shared/data/README.md)")
    out = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 3 or parts[2] not in {"ABUSE", "INSULT", "PROFANITY", "OTHER"}:
                raise DatasetError(f"{path}: line {number}: expected text, coarse and fine label")
            text = parts[0].replace("|LBR|", " ")
            out.append(
                HateExample(
                    text,
                    "de",
                    "germeval2018",
                    parts[2] == "ABUSE",
                    split_of(text),
                    offensive=parts[2] in {"INSULT", "PROFANITY"},
                )
            )
    return out


_TOLD_TARGETS = {
    "homophobia": "sexual_orientation",
    "racism": "origin",
    "misogyny": "gender",
    "xenophobia": "origin",
}


def read_told_br(path: Path) -> list[HateExample]:
    out = []
    columns = ("text", "insult", "obscene", *_TOLD_TARGETS)
    for number, row in _rows(path, columns):
        try:
            votes = {name: float(row[name] or 0) for name in columns[1:]}
        except ValueError:
            raise DatasetError(f"{path}: row {number}: vote counts must be numbers") from None
        identity = max(votes[name] for name in _TOLD_TARGETS)
        if identity == 1:
            continue  # one annotator of three: too uncertain either way
        text = row["text"] or ""
        targets = tuple(sorted({_TOLD_TARGETS[name] for name in _TOLD_TARGETS if votes[name] >= 2}))
        out.append(
            HateExample(
                text,
                "pt",
                "told_br",
                identity >= 2,
                split_of(text),
                targets=targets,
                offensive=max(votes["insult"], votes["obscene"]) >= 2,
            )
        )
    return out


_COLD_TARGETS = {"race": "origin", "region": "origin", "gender": "gender"}


def read_cold(path: Path, *, dev: bool) -> list[HateExample]:
    out = []
    for number, row in _rows(path, ("TEXT", "label", "topic")):
        if row["label"] not in {"0", "1"}:
            raise DatasetError(f"{path}: row {number}, column 'label': {row['label']!r} is not 0 or 1")
        text = row["TEXT"] or ""
        hateful = row["label"] == "1"
        target = _COLD_TARGETS.get(row["topic"])
        split = "dev" if dev else ("calibration" if _share(text) < 0.15 else "train")
        out.append(
            HateExample(text, "zh", "cold", hateful, split, targets=(target,) if hateful and target else ())
        )
    return out


def read_swsr(path: Path) -> list[HateExample]:
    out = []
    for number, row in _rows(path, ("comment_text", "label")):
        if row["label"] not in {"0", "1"}:
            raise DatasetError(f"{path}: row {number}, column 'label': {row['label']!r} is not 0 or 1")
        text = row["comment_text"] or ""
        hateful = row["label"] == "1"
        out.append(
            HateExample(text, "zh", "swsr", hateful, split_of(text), targets=("gender",) if hateful else ())
        )
    return out


_IMPLICIT_FORMS = {
    "threatening": "threat",
    "incitement": "threat",
    "inferiority": "dehumanisation",
    "stereotypical": "derogation",
    "white_grievance": "derogation",
    "irony": "derogation",
}
_TARGET_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("religion", re.compile(r"jew|muslim|islam|christian|catholic|hindu|sikh|zionist|semit", re.I)),
    ("sexual_orientation", re.compile(r"gay|lesbian|lgbt|homosexual|trans|queer|bisexual", re.I)),
    ("gender", re.compile(r"wom[ae]n|female|girl|feminis|\bmen\b|males?\b", re.I)),
    ("disability", re.compile(r"disab|retard|autis|mentally", re.I)),
    (
        "origin",
        re.compile(
            r"black|white|minorit|immigra|refugee|mexican|asian|hispanic|latin|arab|"
            r"african|indian|chinese|race|racial|ethnic|non-white|foreigner|migrant|"
            r"people of colou?r|\bpoc\b|aliens?\b|nationalit",
            re.I,
        ),
    ),
)


def implicit_target(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    for target, pattern in _TARGET_WORDS:
        if pattern.search(value):
            return target
    return "other"


def read_implicit(directory: Path) -> list[HateExample]:
    """Latent Hatred stage 1, with stage 2 types (→ form) and stage 3 targets joined by post text."""
    forms: dict[str, str] = {}
    for _, row in _rows(directory / "implicit_hate_v1_stg2_posts.tsv", ("post", "implicit_class"), "\t"):
        form = _IMPLICIT_FORMS.get(row["implicit_class"])
        if form:
            forms[(row["post"] or "").strip()] = form
    targets: dict[str, str] = {}
    for _, row in _rows(directory / "implicit_hate_v1_stg3_posts.tsv", ("post", "target"), "\t"):
        target = implicit_target(row["target"] or "")
        if target:
            targets[(row["post"] or "").strip()] = target
    out = []
    path = directory / "implicit_hate_v1_stg1_posts.tsv"
    for number, row in _rows(path, ("post", "class"), "\t"):
        label = row["class"]
        if label not in {"explicit_hate", "implicit_hate", "not_hate"}:
            raise DatasetError(f"{path}: row {number}, column 'class': unknown class {label!r}")
        key = (row["post"] or "").strip()
        hateful = label != "not_hate"
        target = targets.get(key) if hateful else None
        form = forms.get(key) if hateful else None
        out.append(
            HateExample(
                key,
                "en",
                "implicit_hate",
                hateful,
                split_of(key),
                targets=(target,) if target else (),
                forms=(form,) if form else (),
            )
        )
    return out


def read_stormfront(path: Path) -> list[HateExample]:
    out = []
    for number, row in _rows(path, ("text", "label")):
        label = row["label"]
        if label not in {"hate", "noHate", "relation", "idk/skip"}:
            raise DatasetError(f"{path}: row {number}, column 'label': unknown label {label!r}")
        if label in {"relation", "idk/skip"}:
            continue
        text = row["text"] or ""
        out.append(HateExample(text, "en", "stormfront", label == "hate", split_of(text)))
    return out


def read_all(hate_dir: Path) -> list[HateExample]:
    """Every training file (never HateCheck or MHC, which are evaluation files)."""
    examples = read_davidson(hate_dir / "davidson2017_labeled_data.csv")
    for lang in ("en", "fr", "ar"):
        examples += read_mlma(hate_dir / f"mlma2019_{lang}.csv", lang)
    examples += read_germeval(hate_dir / "germeval2018_training.txt")
    examples += read_told_br(hate_dir / "told_br.csv")
    examples += read_cold(hate_dir / "cold_train.csv", dev=False)
    examples += read_cold(hate_dir / "cold_dev.csv", dev=True)
    examples += read_swsr(hate_dir / "swsr_sexcomment.csv")
    examples += read_implicit(hate_dir)
    examples += read_stormfront(hate_dir / "stormfront_combined.csv")
    return [example for example in examples if example.text.strip()]


@dataclass(frozen=True, slots=True)
class Cap:
    """At most this many hateful and not-hateful examples of a source in a split."""

    hateful: int
    other: int


DEFAULT_CAPS: dict[str, dict[str, Cap]] = {
    # Every text costs an encoder pass (~35 ms a core; far more on a shared machine), so every
    # source is sampled, in a fixed hash order: most hateful rows of the sources that have few,
    # and a share of the rest. Calibration and dev: a few hundred rows a source, the hateful ones
    # of small sources complete, so each language has its own Platt scaling and its own figures.
    "train": {
        "davidson2017": Cap(400, 1400), "implicit_hate": Cap(480, 790), "stormfront": Cap(400, 580),
        "cold": Cap(960, 930), "swsr": Cap(220, 370), "told_br": Cap(200, 1150),
        "mlma2019_en": Cap(300, 280), "mlma2019_fr": Cap(150, 200), "mlma2019_ar": Cap(250, 150),
        "germeval2018": Cap(300, 250),
    },
    "calibration": {
        "davidson2017": Cap(60, 290), "implicit_hate": Cap(90, 180), "stormfront": Cap(40, 110),
        "cold": Cap(165, 165), "swsr": Cap(30, 80), "told_br": Cap(60, 280),
        "mlma2019_en": Cap(50, 55), "mlma2019_fr": Cap(55, 38), "mlma2019_ar": Cap(50, 36),
        "germeval2018": Cap(60, 58),
    },
    "dev": {
        "davidson2017": Cap(60, 290), "implicit_hate": Cap(105, 145), "stormfront": Cap(50, 115),
        "cold": Cap(290, 290), "swsr": Cap(58, 90), "told_br": Cap(46, 277),
        "mlma2019_en": Cap(60, 66), "mlma2019_fr": Cap(60, 38), "mlma2019_ar": Cap(60, 23),
        "germeval2018": Cap(80, 62),
    },
}
"""Subsampling of the large sources (embedding costs ~35 ms a text on one core); others are kept whole."""


def scaled_caps(train_scale: float) -> dict[str, dict[str, Cap]]:
    """The default caps with the train split's multiplied by ``train_scale`` (``inf``: every train row).

    Calibration and dev keep theirs, so figures stay comparable between runs. A
    cheap encoder (USE reads ~300 posts a second) can afford the whole training split.
    """
    if train_scale <= 0:
        raise ValueError(f"train_scale must be positive, not {train_scale}")
    scaled = {
        source: Cap(*(min(int(n * train_scale), 10**9) if train_scale != float("inf") else 10**9
                      for n in (cap.hateful, cap.other)))
        for source, cap in DEFAULT_CAPS["train"].items()
    }
    return {**DEFAULT_CAPS, "train": scaled}


def subsample(
    examples: Iterable[HateExample], caps: dict[str, dict[str, Cap]] | None = None
) -> list[HateExample]:
    """Deterministic: within a source and split, hateful and other examples in :func:`order_key` order."""
    caps = DEFAULT_CAPS if caps is None else caps
    groups: dict[tuple[str, str, bool], list[HateExample]] = {}
    for example in examples:
        groups.setdefault((example.source, example.split, example.hateful), []).append(example)
    out: list[HateExample] = []
    for (source, split, hateful), group in sorted(groups.items()):
        cap = caps.get(split, {}).get(source)
        limit = None if cap is None else (cap.hateful if hateful else cap.other)
        group.sort(key=lambda example: order_key(example.text))
        out += group if limit is None else group[:limit]
    return out
