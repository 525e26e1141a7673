"""``tocsin eval incidents FILE``: pairwise precision and recall of "same incident".

Reads a CSV with columns ``id``, ``incident`` (the gold incident), ``text`` and
``time`` (ISO 8601), and optionally ``lang``, ``source``, ``author``, ``country``,
``admin1``, ``lat``, ``lon``, ``category`` (default ``violence_report``) and
``kind`` (a free tag: ``copy``, ``rewrite``, ``translation``, ``other-event`` …).
A row without ``lang`` gets the stream's language identification.
Every row is taken as a hit of its category — this measures fusion, not the
classifiers — and fused in event-time order by the configured fusion
(``incidents`` settings) with the embeddings of the configured cascade's
encoder, as ``tocsin process`` does.

Printed: over every pair of rows, precision and recall of "the two are in one
incident"; recall of same-language and cross-language pairs; the false merges
among pairs of different incidents in one country and day; incidents made
against gold; the fusion speed (embedding apart); with ``--sweep``, the same at
other similarity thresholds. The last line is
``pairwise_f1=… precision=… recall=… incidents=… gold=… n=…``.

Build sets with ``python -m processors.evaluation.incident_sets`` (CrisisLex T26);
``processors/evaluation/data/incidents.csv`` is a small hand-written one.
"""

from __future__ import annotations

import csv
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path

import numpy as np

from processors.evaluation.classify import EvalFileError
from processors.incidents.fusion import Embedder, Fuser
from tocsin.schema import CategoryHit, EnrichedItem, Place, SourceRef
from tocsin.settings import IncidentSettings, Settings

REQUIRED = {"id", "incident", "text", "time"}
SWEEP = (0.20, 0.25, 0.30, 0.35, 0.40, 0.45, 0.50, 0.60)


@dataclass(frozen=True)
class Case:
    item: EnrichedItem
    gold: str
    kind: str


def _float(value: str | None) -> float | None:
    return float(value) if value not in (None, "") else None


def read_cases(path: Path, limit: int | None = None) -> list[Case]:
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise EvalFileError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    from processors.language import shared_identifier

    identify = shared_identifier().identify
    cases: list[Case] = []
    with handle:
        reader = csv.DictReader(handle)
        columns = set(reader.fieldnames or ())
        if not columns >= REQUIRED:
            raise EvalFileError(
                f"{path}: needs columns {', '.join(sorted(REQUIRED))}; columns: {sorted(columns)}"
            )
        for number, row in enumerate(reader, start=2):
            if limit is not None and len(cases) >= limit:
                break
            try:
                when = datetime.fromisoformat(row["time"])
                lat, lon = _float(row.get("lat")), _float(row.get("lon"))
            except ValueError as exc:
                raise EvalFileError(f"{path}: row {number}: {exc}") from None
            when = when if when.tzinfo else when.replace(tzinfo=UTC)
            country = (row.get("country") or "").strip().upper() or None
            admin1 = (row.get("admin1") or "").strip() or None
            location = {"lat": lat, "lon": lon} if lat is not None and lon is not None else None
            places = (
                [
                    Place(
                        name=admin1 or country or "",
                        matched="",
                        kind="region" if admin1 else "country",
                        country=country,
                        admin1=admin1,
                        lat=lat,
                        lon=lon,
                    )
                ]
                if country
                else []
            )
            category = (row.get("category") or "").strip() or "violence_report"
            item = EnrichedItem(
                id=row["id"],
                source=SourceRef(type="eval", name=(row.get("source") or "").strip() or "eval"),
                text=row["text"],
                authors=[a] if (a := (row.get("author") or "").strip()) else [],
                published=when,
                collected=when,
                raw_sha256="0" * 64,
                content_sha256="0" * 64,
                lang=(row.get("lang") or "").strip() or identify(row["text"], None)[0],
                lang_confidence=1.0,
                categories={category: CategoryHit(score=1.0, classifier="gold")},
                places=places,
                country=country,
                admin1=admin1,
                location=location,
                processed=when,
            )
            cases.append(Case(item, row["incident"], (row.get("kind") or "").strip()))
    if not cases:
        raise EvalFileError(f"{path}: no rows")
    return cases


class CachedEmbedder:
    """Each distinct text embedded once, so a sweep re-fuses without re-embedding."""

    def __init__(self, embed: Embedder) -> None:
        self.embed = embed
        self.vectors: dict[str, np.ndarray] = {}
        self.seconds = 0.0

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self.vectors))
        if missing:
            started = time.perf_counter()
            for text, vector in zip(missing, self.embed(missing), strict=True):
                self.vectors[text] = np.asarray(vector, dtype=np.float32)
            self.seconds += time.perf_counter() - started
        return np.stack([self.vectors[t] for t in texts]) if texts else np.zeros((0, 1), dtype=np.float32)


@dataclass(frozen=True)
class Pairs:
    precision: float
    recall: float
    f1: float
    same_language_recall: float
    cross_language_recall: float
    false_merges: tuple[int, int]  # merged, of pairs of different incidents in one country and day
    incidents: int
    gold: int


def _ratio(a: int, b: int) -> float:
    return a / b if b else float("nan")


def score_pairs(cases: Sequence[Case], predicted: Sequence[str]) -> Pairs:
    tp = fp = fn = 0
    same_lang, cross_lang = [0, 0], [0, 0]
    merged_apart = [0, 0]
    for (a, pa), (b, pb) in combinations(zip(cases, predicted, strict=True), 2):
        gold, guess = a.gold == b.gold, pa == pb
        tp += gold and guess
        fp += guess and not gold
        fn += gold and not guess
        if gold:
            bucket = same_lang if a.item.lang == b.item.lang else cross_lang
            bucket[0] += guess
            bucket[1] += 1
        elif a.item.country == b.item.country and a.item.event_time.date() == b.item.event_time.date():
            merged_apart[0] += guess
            merged_apart[1] += 1
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return Pairs(
        precision,
        recall,
        f1,
        _ratio(*same_lang),
        _ratio(*cross_lang),
        (merged_apart[0], merged_apart[1]),
        len(set(predicted)),
        len({c.gold for c in cases}),
    )


def fuse_all(
    cases: Sequence[Case],
    settings: IncidentSettings,
    embed: Embedder,
    background: np.ndarray | None,
    batch: int = 200,
) -> tuple[list[str], float]:
    """Each case's predicted incident, and the seconds fusion took beside embedding."""
    fuser = Fuser(settings, embed, background=background)
    ordered = sorted(range(len(cases)), key=lambda i: cases[i].item.event_time)
    predicted = [""] * len(cases)
    started = time.perf_counter()
    for begin in range(0, len(ordered), batch):
        rows = ordered[begin : begin + batch]
        fused = fuser.fuse([cases[i].item for i in rows])
        for i, item in zip(rows, fused.items, strict=True):
            predicted[i] = item.incident.id if item.incident else f"none:{i}"
    return predicted, time.perf_counter() - started


def encoder_embedder(settings: Settings) -> tuple[Embedder, str]:
    """The configured cascade's embeddings (the encoder's, else hashed n-grams), as ``tocsin process``."""
    from processors.categories import load_categories
    from processors.classifiers.cascade import build_cascade
    from processors.incidents.embedding import embedder_for

    return embedder_for(
        [build_cascade(settings.processing, load_categories(settings.processing.categories_file))]
    )


def _pct(value: float) -> str:
    return "n/a" if value != value else f"{100 * value:.1f}%"


def report_line(pairs: Pairs) -> str:
    merged, apart = pairs.false_merges
    return (
        f"precision {_pct(pairs.precision)}  recall {_pct(pairs.recall)}  F1 {_pct(pairs.f1)}  "
        f"same-language recall {_pct(pairs.same_language_recall)}  "
        f"cross-language recall {_pct(pairs.cross_language_recall)}  "
        f"false merges same country+day {merged}/{apart}  incidents {pairs.incidents} (gold {pairs.gold})"
    )


def run_incidents_eval(
    path: Path,
    settings: Settings,
    *,
    limit: int | None = None,
    sweep: bool = False,
    embedder: str = "encoder",
) -> int:
    cases = read_cases(path, limit)
    from processors.incidents.embedding import background_for, hashed_ngrams

    base: Embedder
    if embedder == "hashed":
        base, name = hashed_ngrams, "hashed-ngrams"
    else:
        base, name = encoder_embedder(settings)

    background = background_for(name)
    embed = CachedEmbedder(base)
    embed([c.item.title + "\n" + c.item.text if c.item.title else c.item.text for c in cases])
    kinds = Counter(c.kind for c in cases if c.kind)
    print(
        f"{path.name}: {len(cases)} items, {len({c.gold for c in cases})} gold incidents, "
        f"{len({c.item.lang for c in cases})} languages; embeddings: {name} "
        f"({len(cases) / embed.seconds if embed.seconds else 0:,.0f} texts/s), "
        f"background prior: {'shipped' if background is not None else 'none'}"
        + (f"; kinds: {dict(kinds)}" if kinds else "")
    )
    if sweep:
        for threshold in SWEEP:
            tried = settings.incidents.model_copy(update={"similarity": threshold})
            pairs = score_pairs(cases, fuse_all(cases, tried, embed, background)[0])
            print(f"  similarity {threshold:.2f}: {report_line(pairs)}")
    predicted, seconds = fuse_all(cases, settings.incidents, embed, background)
    pairs = score_pairs(cases, predicted)
    for kind in sorted(kinds):
        subset = [(c, p) for c, p in zip(cases, predicted, strict=True) if c.kind == kind]
        mates = [
            sum(
                1
                for c2, p2 in zip(cases, predicted, strict=True)
                if c2.gold == c.gold and c2 is not c and c2.kind != kind and p2 == p
            )
            > 0
            for c, p in subset
        ]
        print(f"  kind {kind}: {sum(mates)}/{len(mates)} joined an item of their incident of another kind")
    print(f"similarity {settings.incidents.similarity:.2f}: {report_line(pairs)}")
    print(f"fusion speed: {len(cases) / seconds if seconds else 0:,.0f} items/s (embeddings apart)")
    print(
        f"pairwise_f1={pairs.f1:.4f} precision={pairs.precision:.4f} recall={pairs.recall:.4f} "
        f"incidents={pairs.incidents} gold={pairs.gold} n={len(cases)}"
    )
    return 0
