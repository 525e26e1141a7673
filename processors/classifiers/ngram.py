"""The first-stage statistical classifier: hashed character n-grams and a linear model, in numpy.

It scores every item for ``hate_speech`` (with the targeted group as sub-labels)
and ``offensive`` (abusive or profane, but not attacking a group), in any
language, at tens of thousands of tweets per second on one core, so that the
expensive second stage only sees what this one flags.

How a batch is scored, and why it is fast: the texts are normalised with a
handful of C-level string operations on the whole batch joined together
(lower-casing, URL/mention/number replacement, Arabic letter variants, accents),
turned into one array of code points, and every character n-gram (``min_n`` to
``max_n``, across word boundaries, each text padded with a space) is hashed
with a vectorised FNV-1a into one of ``2**buckets_log2`` rows of an int8 weight
table. A text's logits are the mean of its n-grams' rows plus a bias: a
fastText-style linear model with no hidden layer. There is no per-n-gram Python
code, and no dependency beyond numpy.

Scores are calibrated per language (Platt scaling fitted on held-out training
data, stored in the model file), so a score of 0.7 means about the same in
French as in English; a language without its own calibration uses the pooled
one. The model, its calibration and its measured quality are described in
``models/first-stage/MODEL_CARD.md``; ``processors.training.train_first_stage``
rebuilds it.

Settings (``classifiers.ngram`` in ``config/classifiers.yaml``), all optional::

    model: /srv/models/first-stage  # directory holding model.npz (default: the shipped
                                    # models/first-stage; a relative path is from the working directory)
    categories: [hate_speech]       # what to report; add offensive to have it (off by default:
                                    # on news text it fires on nearly everything)
    threshold: 0.2                  # a category is reported from this calibrated score on
    target_min: 0.2                 # targeted groups scoring at least this go into the hit's labels
    max_chars: 1000                 # only the first characters are scored (default: the model's)

The low default ``threshold`` lets the cascade send graded candidates to its
second stage; alert rules and ``tocsin eval classify`` count a hit from 0.5,
as for keyword hits (whose scores start at 0.5).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from processors.categories import KeywordCategories
from processors.classifiers.protocol import ClassifierConfigError, ItemText
from processors.classifiers.registry import register
from processors.npz import write_npz
from tocsin.errors import ModelError
from tocsin.resources import shipped
from tocsin.schema import CategoryHit

SHIPPED_MODELS = "processors.models"
"""``models/`` of the repository, installed as a package (see setup.py)."""
DEFAULT_MODEL = shipped(SHIPPED_MODELS, "first-stage")
MODEL_FILE = "model.npz"
MODEL_FORMAT = 1

HATE = "hate_speech"
OFFENSIVE = "offensive"
NEITHER = "neither"
CLASSES: tuple[str, ...] = (HATE, OFFENSIVE, NEITHER)
"""The model's classes, in the order of its first three logits."""
TARGETS: tuple[str, ...] = ("origin", "gender", "religion", "sexual_orientation", "disability", "other")
"""Targeted groups (MLMA's ``target``), in the order of the logits after the classes."""
CALIBRATED: tuple[str, ...] = (HATE, OFFENSIVE)
"""The classes with a logit column of their own (``neither`` is the reference, logit 0)."""
COLUMNS = len(CALIBRATED) + len(TARGETS)
POOLED = "*"
"""Calibration key used for languages that have none of their own."""


class NgramModelError(ModelError, ValueError):
    """A model file is missing, unreadable or of another format; the message names the file."""


# ---------------------------------------------------------------------------
# normalisation and features


_URL = re.compile(r"(?:https?://|www\.)[^\s\x00]*")
_MENTION = re.compile(r"@[\w.]+")
_ENTITY = re.compile(r"&(?:amp|lt|gt|quot|apos|#\d+);")
_RETWEET = re.compile(r"rt(?<!\wrt)(?!\w)")  # starts with a literal: found by fast search
_SEPARATOR = "\x00"
_SPACE = 0x20
_DROP = 0xFFFFFFFF


def _code_map() -> np.ndarray:
    """Code point → code point for the Basic Multilingual Plane (``_DROP``: remove).

    Digits of every script → 0, white space and controls → space, Latin letters
    with accents → without (é → e, ß → s), Arabic letter variants unified
    (أ إ آ ٱ → ا, ى ی → ي, ک → ك, ة → ه), Arabic diacritics, tatweel,
    combining accents and zero-width characters removed.
    """
    table = np.arange(0x10000, dtype=np.uint32)
    for code in range(0x10000):
        char = chr(code)
        if char.isdecimal():
            table[code] = ord("0")
        elif char.isspace() or code < 0x20 or 0x7F <= code < 0xA0:
            table[code] = _SPACE
    for code in range(0xC0, 0x250):
        decomposed = unicodedata.normalize("NFD", chr(code))
        if len(decomposed) > 1 and decomposed[0].isascii() and decomposed[0].isalpha():
            table[code] = ord(decomposed[0].lower())
    table[ord("ß")] = ord("s")
    for char, replacement in {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ی": "ي", "ک": "ك",
                              "ة": "ه"}.items():
        table[ord(char)] = ord(replacement)
    dropped = [*range(0x300, 0x370), *range(0x610, 0x61B), *range(0x64B, 0x660), 0x670,
               *range(0x6D6, 0x6EE), 0x640, *range(0x200B, 0x2010), 0xAD, 0xFEFF]
    table[dropped] = _DROP
    table[0] = 0  # kept: it separates the texts of a batch
    return table


_CODE_MAP = _code_map()


def encode(texts: Sequence[str], max_chars: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The normalised code points of a batch: ``(codes, starts, lengths)``; pure, never raises.

    Each text is cut to ``max_chars`` characters, lower-cased, URLs become
    ``http``, @mentions ``@user``, HTML entities and retweet markers go, then
    every character is mapped by :func:`_code_map`, runs of white space become
    one space and a character repeated more than twice is kept twice. Each text
    is padded with one space on each side; text ``i`` is
    ``codes[starts[i]:starts[i] + lengths[i]]`` (at least one space). Training
    and inference share this function, so a model sees what it was trained on.
    """
    cut = [text[:max_chars] if isinstance(text, str) else "" for text in texts]
    if not cut:
        empty = np.zeros(0, dtype=np.int64)
        return np.zeros(0, dtype=np.uint32), empty, empty
    joined = _SEPARATOR.join(cut)
    if joined.count(_SEPARATOR) != len(cut) - 1:  # a text holds NUL itself
        joined = _SEPARATOR.join(text.replace(_SEPARATOR, " ") for text in cut)
    joined = joined.lower()
    if "http" in joined or "www." in joined:
        joined = _URL.sub(" http ", joined)
    if "@" in joined:
        joined = _MENTION.sub(" @user ", joined)
    if "&" in joined:
        joined = _ENTITY.sub(" ", joined)
    joined = _RETWEET.sub(" ", joined)
    # "\x00 text one \x00 text two \x00": separators around space-padded texts
    framed = f"{_SEPARATOR} {joined.replace(_SEPARATOR, ' ' + _SEPARATOR + ' ')} {_SEPARATOR}"
    codes = np.frombuffer(framed.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    bmp = codes < 0x10000
    codes = np.where(bmp, _CODE_MAP[codes & 0xFFFF], codes)
    codes = codes[codes != _DROP]
    # runs of spaces → one space; any other character at most twice in a row
    same = codes[1:] == codes[:-1]
    keep = np.ones(len(codes), dtype=bool)
    keep[1:] = ~(same & (codes[1:] == _SPACE))
    keep[2:] &= ~(same[1:] & same[:-1])
    codes = codes[keep]
    separators = np.flatnonzero(codes == 0)
    if len(separators) != len(cut) + 1:  # cannot happen: NUL was replaced above; never misalign
        raise AssertionError(f"encode: {len(cut)} texts, {len(separators) - 1} after normalising")
    starts = separators[:-1] + 1
    lengths = separators[1:] - starts
    # drop the separators: text i moves left by i + 1
    codes = np.delete(codes, separators)
    starts = starts - np.arange(1, len(starts) + 1)
    return codes, starts.astype(np.int64), lengths.astype(np.int64)


def normalise(texts: Sequence[str], max_chars: int = 1000) -> list[str]:
    """What :func:`encode` makes of each text, as strings (pads included): for tests and debugging."""
    codes, starts, lengths = encode(texts, max_chars)
    return [codes[start:start + length].tobytes().decode("utf-32-le", "surrogatepass")
            for start, length in zip(starts.tolist(), lengths.tolist(), strict=True)]


_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)
_MIX = np.uint64(0xFF51AFD7ED558CCD)


@dataclass(frozen=True, slots=True)
class Features:
    """How texts become n-gram rows; part of a model (changing any of it needs retraining)."""

    buckets_log2: int = 18
    min_n: int = 1
    max_n: int = 5
    max_chars: int = 1000

    @property
    def buckets(self) -> int:
        return 1 << self.buckets_log2

    def rows(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """N-gram rows of raw ``texts``: ``(rows, starts, counts)``.

        ``rows`` has shape ``(max_n - min_n + 1, L)`` for the L code points of
        the encoded batch (:func:`encode`); ``rows[k, i]`` is the bucket of the
        n-gram of length ``min_n + k`` starting at position i, or ``buckets``
        (the null row, all zeros) where that n-gram would run past the end of
        its text. ``starts`` are the texts' first positions and ``counts``
        their numbers of real n-grams (at least 1).
        """
        codes, starts, lengths = encode(texts, self.max_chars)
        orders = self.max_n - self.min_n + 1
        out = np.empty((orders, len(codes)), dtype=np.int64)
        if not len(codes):
            return out, starts, lengths
        wide = codes.astype(np.uint64)
        remaining = np.repeat(starts + lengths, lengths) - np.arange(len(codes), dtype=np.int64)
        mask = np.uint64(self.buckets - 1)
        h = np.full(len(codes), _FNV_OFFSET, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for n in range(1, self.max_n + 1):
                # FNV-1a over code points: h_n[i] = (h_{n-1}[i] ^ c[i+n-1]) * prime
                reach = max(len(codes) - n + 1, 0)
                h[:reach] ^= wide[n - 1:n - 1 + reach]
                h *= _FNV_PRIME
                if n < self.min_n:
                    continue
                mixed = h ^ (h >> np.uint64(31))
                mixed *= _MIX
                mixed ^= mixed >> np.uint64(29)
                row = out[n - self.min_n]
                np.bitwise_and(mixed, mask, out=row, casting="unsafe")
                row[remaining < n] = self.buckets
        counts = np.zeros(len(lengths), dtype=np.int64)
        for n in range(self.min_n, self.max_n + 1):
            counts += np.clip(lengths - n + 1, 0, None)
        return out, starts, np.maximum(counts, 1)

    def to_json(self) -> dict[str, int]:
        return {"buckets_log2": self.buckets_log2, "min_n": self.min_n, "max_n": self.max_n,
                "max_chars": self.max_chars}


# ---------------------------------------------------------------------------
# the model


@dataclass(frozen=True, slots=True)
class Platt:
    """``p = 1 / (1 + exp(-(a * s + b)))`` for a raw score s; ``a > 0`` keeps it monotone."""

    a: float
    b: float

    def __call__(self, scores: np.ndarray) -> np.ndarray:
        return _sigmoid(self.a * scores + self.b)


@dataclass(frozen=True, slots=True)
class Prediction:
    """Scores of a batch: calibrated ``hate_speech`` and ``offensive``, and target shares."""

    hate: np.ndarray        # (D,) calibrated P(hate_speech)
    offensive: np.ndarray   # (D,) calibrated P(offensive)
    targets: np.ndarray     # (D, len(TARGETS)) softmax over targeted groups


@dataclass(slots=True)
class NgramModel:
    """Weights, calibration and provenance of a first-stage model. Load with :meth:`load`.

    ``weights`` has ``buckets + 1`` rows (the last, the null row, is zero) and
    eight int8 columns: the logits of ``hate_speech`` and ``offensive`` against
    ``neither`` (whose logit is 0), then one per targeted group; ``scales``
    turns a column back into floats. Eight bytes a row let a whole row be
    gathered as one int64. Thread-safe: scoring writes no shared state.
    """

    features: Features
    weights: np.ndarray
    scales: np.ndarray
    bias: np.ndarray
    calibration: dict[str, dict[str, Platt]]
    version: str
    meta: dict[str, Any] = field(default_factory=dict)
    _packed: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        expected = (self.features.buckets + 1, COLUMNS)
        if self.weights.shape != expected or self.weights.dtype != np.int8:
            raise NgramModelError(f"weights are {self.weights.dtype}{self.weights.shape}, "
                                  f"expected int8{expected}")
        if self.features.max_n - self.features.min_n + 1 > 200 or self.features.min_n < 1:
            raise NgramModelError(f"n-gram orders {self.features.min_n}..{self.features.max_n} unsupported")
        missing = [name for name in CALIBRATED if name not in self.calibration.get(POOLED, {})]
        if missing:
            raise NgramModelError(f"calibration has no pooled entry {POOLED!r} for {missing}")
        self.weights = np.ascontiguousarray(self.weights)
        self.scales = np.asarray(self.scales, dtype=np.float32).reshape(COLUMNS)
        self.bias = np.asarray(self.bias, dtype=np.float32).reshape(COLUMNS)
        self._packed = self.weights.view(np.int64).reshape(-1)

    # -- scoring ---------------------------------------------------------

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        """Raw logits ``(D, 8)`` of raw texts: hate and offensive against neither, then targets."""
        rows, starts, counts = self.features.rows(texts)
        if not len(starts):
            return np.zeros((0, COLUMNS), dtype=np.float32)
        orders, length = rows.shape
        gathered = self._packed.take(rows.reshape(-1)).view(np.int8).reshape(orders, length, COLUMNS)
        per_position = gathered.sum(axis=0, dtype=np.int16)  # at most 200 × 127 in magnitude
        sums = np.add.reduceat(per_position, starts, axis=0, dtype=np.int32).astype(np.float32)
        return sums * (self.scales / counts[:, None].astype(np.float32)) + self.bias

    def margins(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Uncalibrated one-vs-rest log-odds of ``hate_speech`` and ``offensive``: what calibration maps."""
        return _margins(self.logits(texts))

    def predict(self, texts: Sequence[str], langs: Sequence[str]) -> Prediction:
        """Calibrated scores for texts in the given languages ('und' or unknown: pooled calibration)."""
        if len(texts) != len(langs):
            raise ValueError(f"{len(texts)} texts but {len(langs)} languages")
        logits = self.logits(texts)
        margins = _margins(logits)
        calibrated: dict[str, np.ndarray] = {}
        pooled = self.calibration[POOLED]
        for name in CALIBRATED:
            a = np.empty(len(texts))
            b = np.empty(len(texts))
            for i, lang in enumerate(langs):
                platt = self.calibration.get(lang, pooled).get(name) or pooled[name]
                a[i], b[i] = platt.a, platt.b
            calibrated[name] = _sigmoid(a * margins[name] + b)
        targets = logits[:, len(CALIBRATED):].astype(np.float64)
        if len(texts):
            targets = np.exp(targets - targets.max(axis=1, keepdims=True))
            targets /= targets.sum(axis=1, keepdims=True)
        return Prediction(hate=calibrated[HATE], offensive=calibrated[OFFENSIVE], targets=targets)

    # -- files -----------------------------------------------------------

    def save(self, directory: Path) -> Path:
        """Write ``model.npz`` (arrays + JSON header) into ``directory``; returns its path."""
        directory.mkdir(parents=True, exist_ok=True)
        header = {
            "format": MODEL_FORMAT, "version": self.version, "features": self.features.to_json(),
            "classes": list(CLASSES), "targets": list(TARGETS),
            "calibration": {lang: {name: [platt.a, platt.b] for name, platt in per.items()}
                            for lang, per in sorted(self.calibration.items())},
            "meta": self.meta,
        }
        path = directory / MODEL_FILE
        write_npz(path, {"weights": self.weights[:-1], "scales": self.scales, "bias": self.bias,
                         "header": np.frombuffer(json.dumps(header, sort_keys=True).encode("utf-8"),
                                                 dtype=np.uint8)})
        return path

    @classmethod
    def load(cls, location: Path | str) -> NgramModel:
        """Read a model directory (or its ``model.npz``); raises :class:`NgramModelError` saying why not."""
        path = Path(location)
        if path.is_dir() or path.suffix != ".npz":
            path = path / MODEL_FILE
        try:
            with np.load(path, allow_pickle=False) as archive:
                header = json.loads(archive["header"].tobytes().decode("utf-8"))
                weights, scales, bias = archive["weights"], archive["scales"], archive["bias"]
        except FileNotFoundError as exc:
            raise NgramModelError(f"{path}: no such model file (train one with "
                                  "python -m processors.training.train_first_stage)") from exc
        except (OSError, ValueError, KeyError, UnicodeDecodeError) as exc:
            raise NgramModelError(f"{path}: not a first-stage model file: {exc}") from exc
        if header.get("format") != MODEL_FORMAT:
            raise NgramModelError(f"{path}: model format {header.get('format')!r}, this code reads "
                                  f"{MODEL_FORMAT}")
        if tuple(header.get("classes", ())) != CLASSES or tuple(header.get("targets", ())) != TARGETS:
            raise NgramModelError(f"{path}: labels {header.get('classes')} / {header.get('targets')} "
                                  f"differ from {list(CLASSES)} / {list(TARGETS)}")
        try:
            features = Features(**header["features"])
            calibration = {lang: {name: Platt(float(a), float(b)) for name, (a, b) in per.items()}
                           for lang, per in header["calibration"].items()}
            null = np.zeros((1, weights.shape[1]), dtype=np.int8)
            return cls(features=features, weights=np.concatenate([weights, null]), scales=scales,
                       bias=bias, calibration=calibration, version=str(header["version"]),
                       meta=header.get("meta", {}))
        except (KeyError, TypeError, ValueError) as exc:
            raise NgramModelError(f"{path}: malformed model header: {exc}") from exc


def quantise(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Float weights ``(rows, k)`` → int8 weights and per-column scales (max |w| maps to 127)."""
    peak = np.abs(weights).max(axis=0)
    scales = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    return np.round(weights / scales).clip(-127, 127).astype(np.int8), scales


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * x)))


def _margins(logits: np.ndarray) -> dict[str, np.ndarray]:
    """log P(c) − log P(not c) for hate and offensive, from logits (h, o) against neither = 0."""
    hate = logits[:, 0].astype(np.float64)
    offensive = logits[:, 1].astype(np.float64)
    return {HATE: hate - np.logaddexp(offensive, 0.0), OFFENSIVE: offensive - np.logaddexp(hate, 0.0)}


# ---------------------------------------------------------------------------
# the plug-in


Reported = Literal["hate_speech", "offensive"]


def _only_hate() -> list[Reported]:
    return ["hate_speech"]


class NgramSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    model: Path = DEFAULT_MODEL
    # Only hate_speech by default: 'offensive' learnt from tweets scores neutral news
    # about 0.43 (short sentences up to 0.78), so in a news stream it would tag nearly
    # everything; name it here to have it (see the model card).
    categories: list[Reported] = Field(default_factory=_only_hate, min_length=1)
    # Low, like the cascade's escalation threshold, so that graded candidates reach the
    # second stage; alert rules and the evaluation count a hit from 0.5, as for keywords.
    threshold: float = Field(default=0.2, ge=0.0, le=1.0)
    target_min: float = Field(default=0.2, ge=0.0, le=1.0)
    max_chars: int | None = Field(default=None, ge=16)


@register("ngram")
class NgramClassifier:
    """First-stage plug-in: ``hate_speech`` (labels = targeted groups) and, when asked, ``offensive``.

    A category named in ``categories`` is reported when its calibrated score reaches ``threshold``;
    ``hate_speech`` hits carry the targeted groups scoring at least
    ``target_min`` (shares that add up to 1 over all six groups, 'other'
    included). ``terms`` stay empty: the evidence is spread over n-grams.
    """

    name = "ngram"
    config_model = NgramSettings

    def __init__(self, model: NgramModel, settings: NgramSettings | None = None) -> None:
        self.settings = settings or NgramSettings()
        if self.settings.max_chars is not None:
            model = NgramModel(
                features=Features(model.features.buckets_log2, model.features.min_n,
                                  model.features.max_n, self.settings.max_chars),
                weights=model.weights, scales=model.scales, bias=model.bias,
                calibration=model.calibration, version=model.version, meta=model.meta)
        self.model = model
        self.version = model.version
        self._classifier = f"{self.name}/{self.version}"

    @classmethod
    def from_config(cls, config: Mapping[str, Any], categories: KeywordCategories,
                    source: Path) -> NgramClassifier:
        try:
            settings = NgramSettings.model_validate(dict(config))
        except ValidationError as exc:
            error = exc.errors()[0]
            key = ".".join(str(part) for part in error["loc"])
            raise ClassifierConfigError(f"{source}: key 'classifiers.ngram.{key}': {error['msg']}") from exc
        try:
            model = NgramModel.load(settings.model)
        except NgramModelError as exc:
            raise ClassifierConfigError(f"{source}: classifier 'ngram': {exc}") from exc
        return cls(model, settings)

    def classify(self, texts: Sequence[ItemText]) -> list[dict[str, CategoryHit]]:
        if not texts:
            return []
        prediction = self.model.predict([text.text for text in texts], [text.lang for text in texts])
        threshold = self.settings.threshold
        target_min = self.settings.target_min
        report_hate = HATE in self.settings.categories
        report_offensive = OFFENSIVE in self.settings.categories
        hate = prediction.hate.tolist()
        offensive = prediction.offensive.tolist()
        results: list[dict[str, CategoryHit]] = []
        for i in range(len(texts)):
            hits: dict[str, CategoryHit] = {}
            if report_hate and hate[i] >= threshold:
                shares = prediction.targets[i]
                labels = {TARGETS[k]: round(float(shares[k]), 4) for k in np.argsort(-shares)
                          if shares[k] >= target_min}
                hits[HATE] = CategoryHit(score=_unit(hate[i]), classifier=self._classifier, labels=labels)
            if report_offensive and offensive[i] >= threshold:
                hits[OFFENSIVE] = CategoryHit(score=_unit(offensive[i]), classifier=self._classifier)
            results.append(hits)
        return results


def _unit(value: float) -> float:
    return round(min(max(value, 0.0), 1.0), 4) if value == value else 0.0
