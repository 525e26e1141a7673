"""The encoder classifier: multilingual sentence encoders with trained heads (``encoder``).

Scores ``hate_speech`` (sub-labels: targeted groups; flags: its forms —
dehumanisation, threat or call to violence, derogation, slur) and
``violence_report`` (sub-labels: the eleven subtypes) from one embedding per
item, with scores calibrated per language. It is the cascade's second stage:
the gate (:mod:`processors.classifiers.gate`) and the keyword categories
decide which items it reads, and for which categories (but see ``unscreened``).

Routes say which encoder reads what. Each route is an encoder with heads
trained on its vectors, for some categories, languages and text lengths; the
first route that fits an (item, category) scores it, unless its score falls in
the route's ``defer`` band ([low, high)): then the next route that fits
decides, so a cheap encoder settles what it can and a costly one reads the
rest (:mod:`processors.classifiers.bands`). An ``unscreened`` route reads every
item it fits, whether the first stage escalated it or not (the cascade asks
:meth:`EncoderClassifier.unscreened`), with ``defer_unescalated`` bands for the
items it was not asked about. The shipped configuration, in short
(``config/classifiers.yaml``, figures in ``models/encoder/MODEL_CARD.md``)::

    routes:
      - model: models/encoder-use        # Arabic posts (either script), hate speech: a head of their own
        encoder: {kind: use+static}
        model_for: {hate_speech: models/encoder-use-static-ar}
        categories: [hate_speech]
        languages: [ar]
        max_text_chars: 280
        unscreened: true
      - model: models/encoder-use        # English posts, hate speech: likewise (models/encoder-use-static-en)
        ...
      - model: models/encoder-use        # USE multilingual v3, posts of its 16 languages: every one
        encoder: {kind: use+static}      # USE's vector joined to the gate's static one
        model_for: {hate_speech: models/encoder-use-static}   # violence: USE's heads on USE's part
        categories: [hate_speech, violence_report]
        languages: [ar, de, en, es, fr, it, ja, ko, nl, pl, pt, ru, th, tr, zh]
        max_text_chars: 280
        unscreened: true
        defer: {violence_report: [0.0214, 0.9791]}
        defer_unescalated: {violence_report: [0.3928, 0.9791]}
      - model: models/encoder-use        # romanised Hindi posts, hate speech only
        encoder: {kind: use+static}
        model_for: {hate_speech: models/encoder-use-static}
        categories: [hate_speech]
        romanised: [hi]
        max_text_chars: 280
        unscreened: true
      - model: models/encoder-use        # news leads of its languages, when escalated
        encoder: {kind: use+static}
        model_for: {hate_speech: models/encoder-use-static}
        languages: [...]
        min_text_chars: 280
        defer: {hate_speech: [0.2629, 1.0], violence_report: [0.0018, 1.0]}
      - model: models/encoder            # multilingual-e5: what USE passed on, every other language
        encoder: {kind: e5}

A route's ``languages`` are the item's identified language; ``romanised`` adds
languages usually written in another script when the text is mostly Latin
letters (:func:`processors.writing_systems.mostly_latin`): Hinglish is
identified as ``hi``, but reads to an encoder nothing like Devanagari Hindi.
With ``romanised`` and no ``languages`` a route reads only those romanised
texts, so they can have a route, and categories, of their own.

A route's ``model_for`` names, per category, a heads folder other than
``model``'s, trained on the route's vectors or on one named part of them (a
joined encoder's, :mod:`processors.encoders.concat`): with ``encoder: {kind:
use+static}``, ``model: models/encoder-use`` and ``model_for: {hate_speech:
models/encoder-use-static}``, USE reads each text once; the hate head reads the
joined vector and USE's violence head reads its USE part, re-normalised (USE's
own vector). Every head still reads exactly the vectors whose name it records.
Routes reading through the same encoder share its cache of vectors
(:mod:`processors.classifiers.vector_cache`), so a post two routes read (an
Arabic post's hate speech and its violence report) is embedded once.

A single encoder needs no routes (``model:`` and ``encoder:`` at the top).
Other settings, all optional::

    categories: [hate_speech, violence_report]   # what the plug-in scores at all
    threshold: 0.5          # a category is a hit from this calibrated score
    category_thresholds: {hate_speech: 0.6}   # per category, overriding threshold (a desk's choice)
    max_chars: 300          # an encoder reads the first characters (title, lead); per route too
    cache_size: 4096        # recent embeddings kept per encoder, by text, shared by its routes

Embeddings for other stages: :meth:`EncoderClassifier.embeddings` returns the
vectors of item texts from the last route (the catch-all, multilingual-e5 in
the shipped configuration: one space for every language), from a small cache
when the classifier has just read them.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from processors.categories import KeywordCategories
from processors.classifiers.bands import Band, split_band
from processors.classifiers.heads import HeadsError, HeadSet
from processors.classifiers.ngram import SHIPPED_MODELS
from processors.classifiers.protocol import ClassifierConfigError, ItemText
from processors.classifiers.registry import register
from processors.classifiers.thresholds import Threshold, Thresholds, check_defined
from processors.classifiers.vector_cache import Batch, VectorCache
from processors.encoders import Encoder, EncoderError, EncoderSettings, prepare_text
from processors.encoders.concat import part_columns, read_part
from processors.encoders.registry import shared_encoder
from processors.writing_systems import NOT_LATIN_LANGUAGES, mostly_latin
from tocsin.resources import shipped
from tocsin.schema import CategoryHit

DEFAULT_HEADS = shipped(SHIPPED_MODELS, "encoder")


class RouteConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    model: Path = DEFAULT_HEADS
    encoder: EncoderSettings = Field(default_factory=EncoderSettings)
    categories: list[str] | None = Field(default=None, min_length=1)
    languages: list[str] | None = Field(default=None, min_length=1)
    # also these languages, when the text is mostly Latin letters (romanised Hindi); alone (no
    # `languages`), the route reads only them, so romanised text can have a route of its own
    romanised: list[str] | None = Field(default=None, min_length=1)
    max_chars: int | None = Field(default=None, ge=32)
    by_sentence: list[str] = Field(default_factory=list)
    # texts longer than this (prepared) go on to the next route: e.g. a route whose heads know posts only
    max_text_chars: int | None = Field(default=None, ge=1)
    # texts up to this long go on to the next route: e.g. a route for news leads after one for posts
    min_text_chars: int = Field(default=0, ge=0)
    # per category, [low, high): a score in it goes on to the next route that fits, which decides
    defer: dict[str, Band] = Field(default_factory=dict)
    # read every item that fits, whether or not the cascade's first stage escalated it
    unscreened: bool = False
    # with unscreened: the band for the items the first stage did not escalate (default: defer's)
    defer_unescalated: dict[str, Band] = Field(default_factory=dict)
    # per category, heads from another folder than `model`'s, trained on this route's vectors or on
    # one named part of them (a joined encoder's: see processors/encoders/concat.py)
    model_for: dict[str, Path] = Field(default_factory=dict)

    @field_validator("romanised")
    @classmethod
    def _written_in_another_script(cls, languages: list[str] | None) -> list[str] | None:
        for lang in languages or ():
            if lang not in NOT_LATIN_LANGUAGES:
                raise ValueError(
                    f"{lang!r} is not a language usually written in another script than Latin "
                    "(romanised takes codes such as hi, ar, ru; a Latin-script one goes under languages)"
                )
        return languages


class EncoderClassifierSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    routes: list[RouteConfig] | None = Field(default=None, min_length=1)
    model: Path = DEFAULT_HEADS
    encoder: EncoderSettings = Field(default_factory=EncoderSettings)
    categories: list[str] | None = Field(default=None, min_length=1)
    threshold: Threshold = 0.5
    # per category, overriding threshold: where a desk wants more recall (violence) or fewer false hits
    category_thresholds: dict[str, Threshold] = Field(default_factory=dict)
    # Measured on the violence dev set and GeoVirus news: see the model card ("Input length").
    max_chars: int = Field(default=300, ge=32)
    cache_size: int = Field(default=4096, ge=0)


def model_path(path: Path) -> Path:
    """A model folder: as given when it exists; ``models/NAME``, when it does not, is the shipped one.

    So the shipped configuration names its models as they sit in the repository
    (``models/encoder``) and finds them from any working directory, in a checkout
    or an installed wheel (where ``models/`` is the package ``processors.models``).
    """
    if path.is_absolute() or path.exists() or not path.parts or path.parts[0] != "models":
        return path
    return shipped(SHIPPED_MODELS, *path.parts[1:])


def parse(kind: type[BaseModel], config: Mapping[str, Any], source: Path, plugin: str) -> Any:
    try:
        return kind.model_validate(dict(config))
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(part) for part in error["loc"])
        raise ClassifierConfigError(f"{source}: key 'classifiers.{plugin}.{key}': {error['msg']}") from exc


def load_heads(path: Path, encoder: Encoder) -> HeadSet:
    """The heads in ``path``, refused unless trained on ``encoder``'s vectors or on one named part of them."""
    heads = HeadSet.load(path)
    if part_columns(encoder, heads.encoder) is None:
        parts = getattr(encoder, "part_names", None)
        also = f" nor on one of its parts ({', '.join(parts)})" if parts else ""
        raise HeadsError(
            f"{path}: heads were trained on encoder {heads.encoder!r}, not {encoder.name!r}{also}: "
            "retrain them for this encoder"
        )
    return heads


def check_heads(
    heads: HeadSet, wanted: Sequence[str] | None, categories: KeywordCategories, source: Path, key: str
) -> list[str]:
    if wanted is None:
        # unasked, the heads score what the category file defines (a file without
        # violence_report turns that head off); named categories must exist
        return [name for name in heads.heads if name in categories.names]
    names = list(wanted)
    for name in names:
        if name not in heads.heads:
            raise ClassifierConfigError(
                f"{source}: key '{key}': the heads have no {name!r} (they have: {', '.join(heads.heads)})"
            )
        if name not in categories.names:
            raise ClassifierConfigError(
                f"{source}: key '{key}': category {name!r} is not defined "
                f"(defined: {', '.join(categories.names)})"
            )
    return names


_SENTENCE_END = re.compile(r"(?<=[.!?。！？؟])\s+")
PASSAGE_CHARS = 120
"""Sentences are read in passages of about this many characters (see :func:`passages`)."""


def without_repeated_title(text: str) -> str:
    """An item's text without its first line when the body goes on to repeat it (a lead used as title).

    Many feeds title an entry with its lead sentence, cut short ("Gunmen killed …"), and
    the body starts with the whole sentence; read twice, it would fill the encoder's
    character budget and leave the next sentences unread.
    """
    title, newline, body = text.partition("\n")
    stem = title.rstrip(" .…").removesuffix("...").strip()
    if newline and stem and body.lstrip().startswith(stem):
        return body
    return text


def passages(text: str, size: int = PASSAGE_CHARS) -> list[str]:
    """``text`` cut at sentence ends into passages of about ``size`` characters (a long sentence alone)."""
    out: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        if out and len(out[-1]) + len(sentence) < size:
            out[-1] = f"{out[-1]} {sentence}"
        elif sentence:
            out.append(sentence)
    return out or [text]


class Route:
    """One encoder and the heads trained on its vectors, for some categories and languages. Thread-safe.

    ``by_sentence`` categories are scored passage by passage, the item taking its
    best passage's score and sub-labels: a wire report often says what happened
    in its second sentence, after one naming who said so, and the heads, trained
    on posts and single sentences, judge a sentence better than a paragraph. The
    item's own vector (for other categories and :meth:`embeddings`) is then the
    mean of its passages' vectors. It costs no more encoder time: the encoder's
    cost follows the number of tokens read.
    """

    def __init__(
        self,
        encoder: Encoder,
        heads: HeadSet,
        *,
        heads_for: Mapping[str, HeadSet] | None = None,
        categories: Sequence[str] | None = None,
        languages: Sequence[str] | None = None,
        romanised: Sequence[str] | None = None,
        max_chars: int = 300,
        cache_size: int = 4096,
        by_sentence: Sequence[str] = (),
        max_text_chars: int | None = None,
        min_text_chars: int = 0,
        defer: Mapping[str, tuple[float, float]] | None = None,
        unscreened: bool = False,
        defer_unescalated: Mapping[str, tuple[float, float]] | None = None,
        cache: VectorCache | None = None,
    ) -> None:
        self.encoder = encoder
        self.heads = heads
        self.categories = frozenset(categories if categories is not None else heads.heads)
        # per category, its heads (``heads_for``'s or ``heads``) and where their vectors lie in the encoder's
        self.head_sets = {name: (heads_for or {}).get(name, heads) for name in self.categories}
        self.columns: dict[str, slice] = {}
        for name, head_set in {"": heads, **self.head_sets}.items():
            columns = part_columns(encoder, head_set.encoder)
            if columns is None:
                raise HeadsError(f"heads trained on {head_set.encoder!r}, encoder is {encoder.name!r}")
            if name and name not in head_set.heads:
                raise HeadsError(f"the heads trained on {head_set.encoder!r} have no {name!r}")
            if name:
                self.columns[name] = columns
        self.romanised = frozenset(romanised or ())
        # romanised alone: those languages only, in Latin letters; neither: every language
        self.languages = frozenset(languages or ()) if languages is not None or self.romanised else None
        self.max_chars = max_chars
        self.by_sentence = frozenset(by_sentence) & self.categories
        self.max_text_chars = max_text_chars
        self.min_text_chars = min_text_chars
        self.defer = {name: band for name, band in (defer or {}).items() if name in self.categories}
        self.unscreened = unscreened
        self.defer_unescalated = {
            name: band for name, band in (defer_unescalated or {}).items() if name in self.categories
        }
        # what a hit names: the heads' version and the vectors they read
        self.classifiers = {
            name: f"{EncoderClassifier.name}/{head_set.version}/{head_set.encoder}"
            for name, head_set in self.head_sets.items()
        }
        # shared with the other routes reading through the same encoder (see from_config);
        # ``cache_size`` sizes a cache of the route's own when none is given
        self.cache = cache if cache is not None else VectorCache(cache_size)
        self._lock = threading.Lock()
        self.embedded = 0
        """Texts (or passages) this route's encoder has read (cache misses), for benchmarks and metrics."""

    def fits(self, category: str, text: ItemText) -> bool:
        return (
            category in self.categories
            and (self.max_text_chars is None or len(text.text) <= self.max_text_chars)
            and len(text.text) > self.min_text_chars
            and self.reads_language(text)
        )

    def reads_language(self, text: ItemText) -> bool:
        """Whether the route reads ``text``'s language: one of its ``languages``, or one of its
        ``romanised`` ones written mostly in Latin letters (see :func:`mostly_latin`)."""
        if self.languages is None or text.lang in self.languages:
            return True
        return text.lang in self.romanised and mostly_latin(text.text)

    def _vectors(self, prepared: Sequence[str], batch: Batch | None = None) -> np.ndarray:
        """Unit vectors of prepared texts, from the cache its encoder shares or from the encoder."""
        vectors, read = self.cache.vectors(prepared, self.encoder.dim, self.encoder.embed, batch)
        if read:
            with self._lock:
                self.embedded += read
        return vectors

    def _read(self, texts: Sequence[str], batch: Batch | None = None) -> tuple[np.ndarray, list[np.ndarray]]:
        """Item vectors and, per item, its passage vectors (one row: the item itself)."""
        prepared = [prepare_text(without_repeated_title(text), self.max_chars) for text in texts]
        if not self.by_sentence:
            vectors = self._vectors(prepared, batch)
            return vectors, [vectors[i : i + 1] for i in range(len(texts))]
        pieces = [passages(text) for text in prepared]
        flat = self._vectors([piece for parts in pieces for piece in parts], batch)
        bounds = np.cumsum([0, *(len(parts) for parts in pieces)])
        per_item = [flat[bounds[i] : bounds[i + 1]] for i in range(len(texts))]
        items = np.stack([rows.mean(axis=0) for rows in per_item]) if per_item else flat[:0]
        norms = np.linalg.norm(items, axis=1, keepdims=True)
        return np.divide(items, norms, out=np.zeros_like(items), where=norms > 1e-12), per_item

    def embeddings(self, texts: Sequence[str]) -> np.ndarray:
        """``(n, dim)`` unit vectors of raw texts, as the heads see them; recent ones from the cache."""
        return self._read(texts)[0]

    def score(
        self,
        texts: Sequence[ItemText],
        wanted: Sequence[set[str]],
        hit_from: Thresholds,
        results: list[dict[str, CategoryHit]],
        deferrable: Sequence[set[str]] | None = None,
        unescalated: Sequence[set[str]] | None = None,
        batch: Batch | None = None,
    ) -> list[tuple[int, str]]:
        """Add this route's hits for ``wanted[i]`` (its categories for text i) into ``results[i]``:
        a hit from ``hit_from.of(category)``.

        Returns the (text, category) pairs left to the next route: those of
        ``deferrable[i]`` whose score lies in this route's band for the category
        (``defer_unescalated``'s band for those of ``unescalated[i]``). ``batch``: the vectors
        other routes of the same encoder read in this call (see :class:`VectorCache`).
        """
        rows = [i for i, categories in enumerate(wanted) if categories]
        deferred: list[tuple[int, str]] = []
        if not rows:
            return deferred
        items, per_item = self._read([texts[i].text for i in rows], batch)
        langs = [texts[i].lang for i in rows]
        for category in sorted(set().union(*(wanted[i] for i in rows))):
            head = self.head_sets[category].heads[category]
            columns = self.columns[category]
            if category in self.by_sentence:
                passages_read = [read_part(passage_rows, columns) for passage_rows in per_item]
                best = [
                    head.scores(passage_rows, [lang] * len(passage_rows))
                    for passage_rows, lang in zip(passages_read, langs, strict=True)
                ]
                scores = np.array([float(b.max()) for b in best])
                vectors = np.stack(
                    [rows_[int(b.argmax())] for rows_, b in zip(passages_read, best, strict=True)]
                )
            else:
                vectors = read_part(items, columns)
                scores = head.scores(vectors, langs)
            band = self.defer.get(category)
            in_band = split_band(scores, band)
            strict = self.defer_unescalated.get(category)
            if strict is not None and unescalated is not None:
                read_unasked = np.array([category in unescalated[i] for i in rows], dtype=bool)
                in_band = np.where(read_unasked, split_band(scores, strict), in_band)
            passed_on = {
                k
                for k, i in enumerate(rows)
                if in_band[k] and deferrable is not None and category in deferrable[i] & wanted[i]
            }
            deferred += [(rows[k], category) for k in sorted(passed_on)]
            chosen = [
                k for k, i in enumerate(rows)
                if category in wanted[i] and scores[k] >= hit_from.of(category) and k not in passed_on
            ]
            if not chosen:
                continue
            labels = head.labels.probabilities(vectors[chosen]) if head.labels is not None else None
            forms = head.forms.probabilities(vectors[chosen]) if head.forms is not None else None
            for n, k in enumerate(chosen):
                results[rows[k]][category] = CategoryHit(
                    score=round(float(min(max(scores[k], 0.0), 1.0)), 4),
                    classifier=self.classifiers[category],
                    # a hit always names its likeliest subtype or targeted group
                    labels=_on(head.labels.names, labels[n], head.labels.thresholds, at_least_one=True)
                    if head.labels is not None and labels is not None
                    else {},
                    flags=list(_on(head.forms.names, forms[n], head.forms.thresholds))
                    if head.forms is not None and forms is not None
                    else [],
                )
        return deferred


@register("encoder")
class EncoderClassifier:
    """Second-stage plug-in; ``categories`` says what it re-scores. Thread-safe."""

    name = "encoder"
    config_model = EncoderClassifierSettings

    def __init__(
        self,
        routes: Sequence[Route],
        *,
        categories: Sequence[str] | None = None,
        threshold: float = 0.5,
        category_thresholds: Mapping[str, float] | None = None,
    ) -> None:
        if not routes:
            raise ClassifierConfigError("the encoder classifier needs at least one route")
        self.routes = list(routes)
        covered = set().union(*(route.categories for route in self.routes))
        self.categories = frozenset(categories if categories is not None else covered)
        self._hit_from = Thresholds(threshold, dict(category_thresholds or {}))
        self.version = "+".join(
            dict.fromkeys(
                head_set.version
                for route in self.routes
                for head_set in (route.heads, *(route.head_sets[name] for name in sorted(route.head_sets)))
            )
        )

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], categories: KeywordCategories, source: Path
    ) -> EncoderClassifier:
        settings: EncoderClassifierSettings = parse(EncoderClassifierSettings, config, source, cls.name)
        check_defined(
            settings.category_thresholds, categories, f"classifiers.{cls.name}.category_thresholds", source
        )
        hit_from = Thresholds(settings.threshold, settings.category_thresholds)

        specs = settings.routes or [
            RouteConfig(model=settings.model, encoder=settings.encoder, categories=settings.categories)
        ]
        routes = []
        caches: dict[int, VectorCache] = {}  # one per encoder: its routes share what it has read
        for index, spec in enumerate(specs):
            key = f"classifiers.{cls.name}" + (f".routes.{index}" if settings.routes else "")
            try:
                encoder = shared_encoder(spec.encoder)
                heads = load_heads(model_path(spec.model), encoder)
                heads_for = {
                    name: load_heads(model_path(path), encoder) for name, path in spec.model_for.items()
                }
            except (EncoderError, HeadsError) as exc:
                raise ClassifierConfigError(f"{source}: key '{key}': {exc}") from exc
            names = check_heads(heads, spec.categories, categories, source, f"{key}.categories")
            for category, other in heads_for.items():
                if category not in names or category not in other.heads:
                    raise ClassifierConfigError(
                        f"{source}: key '{key}.model_for.{category}': "
                        + (
                            f"the route does not score it (it scores: {', '.join(names)})"
                            if category not in names
                            else f"those heads have no {category!r} (they have: {', '.join(other.heads)})"
                        )
                    )
            for category in spec.defer:
                if category not in names:
                    raise ClassifierConfigError(
                        f"{source}: key '{key}.defer.{category}': the route does not score it "
                        f"(it scores: {', '.join(names)})"
                    )
            for band_key, bands in (("defer", spec.defer), ("defer_unescalated", spec.defer_unescalated)):
                for category, (low, _) in bands.items():
                    # below low is a "no": a hit threshold under it would let the cheap route say yes there
                    if category in names and low > hit_from.of(category):
                        raise ClassifierConfigError(
                            f"{source}: key '{key}.{band_key}.{category}': the band's low edge {low} is "
                            f"above the category's hit threshold {hit_from.of(category)}: "
                            "lower the edge or raise the threshold"
                        )
            routes.append(
                Route(
                    encoder,
                    heads,
                    heads_for=heads_for,
                    categories=names,
                    languages=spec.languages,
                    romanised=spec.romanised,
                    max_chars=spec.max_chars or settings.max_chars,
                    cache=caches.setdefault(id(encoder), VectorCache(settings.cache_size)),
                    by_sentence=spec.by_sentence,
                    max_text_chars=spec.max_text_chars,
                    min_text_chars=spec.min_text_chars,
                    defer=spec.defer,
                    unscreened=spec.unscreened,
                    defer_unescalated=spec.defer_unescalated,
                )
            )
        wanted = settings.categories
        scored = set().union(*(route.categories for route in routes))
        for category in settings.category_thresholds:
            if category not in scored or (wanted is not None and category not in wanted):
                raise ClassifierConfigError(
                    f"{source}: key 'classifiers.{cls.name}.category_thresholds.{category}': the encoder "
                    f"stage does not score it (it scores: {', '.join(sorted(wanted or scored))})"
                )
        if wanted is not None:
            for category in wanted:
                if not any(category in route.categories for route in routes):
                    raise ClassifierConfigError(
                        f"{source}: key 'classifiers.{cls.name}.categories': no route scores {category!r}"
                    )
        return cls(
            routes, categories=wanted, threshold=settings.threshold,
            category_thresholds=settings.category_thresholds,
        )

    def embeddings(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of raw item texts from the last (catch-all) route; see the module's docstring."""
        return self.routes[-1].embeddings(texts)

    def classify(self, texts: Sequence[ItemText]) -> list[dict[str, CategoryHit]]:
        return self.rescore(texts, [set(self.categories)] * len(texts))

    def rescore(
        self,
        texts: Sequence[ItemText],
        asked: Sequence[set[str]],
        unscreened: Sequence[set[str]] | None = None,
    ) -> list[dict[str, CategoryHit]]:
        """Score the categories ``asked[i]`` of each text (the cascade says which it escalated), and
        those an ``unscreened`` route reads anyway (judged by its ``defer_unescalated`` bands).

        ``unscreened``: :meth:`unscreened` of these texts, when the caller has it already (the
        cascade asks it first, to know which items to send); ``None``: computed here.
        """
        results: list[dict[str, CategoryHit]] = [{} for _ in texts]
        per_route: list[list[set[str]]] = [[set() for _ in texts] for _ in self.routes]
        read_anyway = self.unscreened(texts) if unscreened is None else unscreened
        unasked = [more - categories for more, categories in zip(read_anyway, asked, strict=True)]
        for i, (text, categories) in enumerate(zip(texts, asked, strict=True)):
            if not text.text.strip():  # an erased post: nothing to read, no category
                continue
            for category in (categories & self.categories) | unasked[i]:
                first = self._route_for(category, text)
                if first is not None:
                    per_route[first][i].add(category)
        batches: dict[int, Batch] = {}  # per cache: what its encoder read in this call, read once
        for n, (route, wanted) in enumerate(zip(self.routes, per_route, strict=True)):
            # a route defers only where a later route fits; the last that fits decides
            deferrable = [
                {name for name in categories if self._route_for(name, texts[i], n + 1) is not None}
                if categories and route.defer
                else set()
                for i, categories in enumerate(wanted)
            ]
            for i, category in route.score(
                texts, wanted, self._hit_from, results, deferrable, unasked,
                batches.setdefault(id(route.cache), {}),
            ):
                later = self._route_for(category, texts[i], n + 1)
                if later is not None:
                    per_route[later][i].add(category)
        return results

    def unscreened(self, texts: Sequence[ItemText]) -> list[set[str]]:
        """Per text, the categories this plug-in reads whatever the first stage says (``unscreened`` routes).

        The cascade sends such items too, and :meth:`rescore` reads these
        categories whether asked or not: a route that reads every post of its
        languages at ~1.6 ms a post loses none of them to the gate.
        """
        out: list[set[str]] = []
        for text in texts:
            wanted = set()
            if text.text.strip():
                for category in self.categories:
                    first = self._route_for(category, text)
                    if first is not None and self.routes[first].unscreened:
                        wanted.add(category)
            out.append(wanted)
        return out

    def _route_for(self, category: str, text: ItemText, start: int = 0) -> int | None:
        """The index of the first route from ``start`` that fits (category, text), if any."""
        for n in range(start, len(self.routes)):
            if self.routes[n].fits(category, text):
                return n
        return None


def _on(
    names: Sequence[str], probabilities: np.ndarray, thresholds: np.ndarray, *, at_least_one: bool = False
) -> dict[str, float]:
    """Labels at or above their thresholds, most likely first; ``at_least_one``: else the likeliest."""
    chosen = [(float(p), name) for name, p, t in zip(names, probabilities, thresholds, strict=True) if p >= t]
    if not chosen and at_least_one and len(names):
        best = int(np.argmax(probabilities))
        chosen = [(float(probabilities[best]), names[best])]
    return {name: round(p, 4) for p, name in sorted(chosen, reverse=True)}


def encoder_of(classifiers: Sequence[object]) -> EncoderClassifier | None:
    """The encoder plug-in among ``classifiers`` (searching cascades' stages), e.g. ``Enricher.classifiers``.

    For stages after classification that compare items by meaning (incident
    fusion): ``encoder_of(enricher.classifiers).embeddings(texts)`` reuses the
    loaded model and the vectors it has just computed.
    """
    for classifier in classifiers:
        if isinstance(classifier, EncoderClassifier):
            return classifier
        stages = [getattr(classifier, "first", None), getattr(classifier, "second", None)]
        found = encoder_of([c for stage in stages if isinstance(stage, list) for c in stage])
        if found is not None:
            return found
    return None
