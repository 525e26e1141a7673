"""Train the encoder heads (and the gate's) from the shared training data; measure them on the dev splits.

    python -m processors.training.train_encoder --shared ../shared/data --cache .tocsin/embeddings

1. Rows: :func:`processors.training.examples.all_rows` — hate-speech files,
   CrisisLex, hand-written examples — each with its fixed split (train /
   calibration / dev, see the model card).
2. Vectors: every prepared text through the encoder once, kept in
   ``--cache`` (:class:`~processors.training.embedding_cache.EmbeddingCache`);
   a rerun reads them back.
3. Heads: for ``hate_speech`` and ``violence_report`` a logistic regression (or
   ``--hidden`` units of one ReLU layer) on the train split, every source
   weighing the same and each source's classes balanced; per-language Platt
   scaling on the calibration split (balanced, so 0.5 means "the evidence
   favours a hit"; for hate speech ``--hate-calibration`` can move it; a
   language's own fit needs 30 corpus rows there, else the pooled fit serves
   it: :func:`calibrate`); sub-label and form heads on the positives, their
   thresholds at the best F1 on the calibration split.
4. Gate (``--gate``): the same heads on the static embedding
   (:mod:`processors.encoders.static`), and per category the escalation
   threshold: the highest calibrated score that keeps ``--gate-recall`` of the
   calibration positives of *every* language. With
   ``--keep-gate-heads`` the gate's heads stay as they are and only its
   thresholds are recomputed, against the new heads' finds; with
   ``--gate-only`` the heads in ``--out`` are read, not retrained; with
   ``--held-out-events`` the held-out event's rows count with the calibration
   rows (a fold); ``--gate-escalate-at`` sets a threshold drawn elsewhere.
5. Figures on the dev splits (never used for any choice above) and on the
   violence dev set: ``metrics.json`` beside the heads, and printed.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np

from processors.classifiers.heads import POOLED, CategoryHead, HeadSet, LabelHeads
from processors.classifiers.ngram import Platt
from processors.encoders import ENCODERS, Encoder
from processors.evaluation.classify import binary_report
from processors.training.calibrate import CalibrationError
from processors.training.embedding_cache import EmbeddingCache
from processors.training.examples import LONG_SOURCE, Row, all_rows, check_sources, long_rows, without_sources
from processors.training.fit import HeadConfig, best_f1_threshold, fit_head, fit_labels, threshold_for_recall
from processors.training.hate_corpora import FORMS, PREPARED_CHARS, TARGETS, scaled_caps
from processors.training.head_weighting import DEFAULT_WEIGHTING, HeadWeighting
from processors.training.identity_terms import groups_named
from processors.training.identity_weights import IdentityBalance, reweigh
from processors.training.operating_point import OperatingPoint, fit_operating_point
from processors.training.ranking import average_precision
from processors.training.row_selection import RowSelection
from processors.training.violence_corpora import HELD_OUT, SPLITS_BY, SUBTYPES

HATE = "hate_speech"
VIOLENCE = "violence_report"
CATEGORIES = (HATE, VIOLENCE)
VERSION = "1"
MIN_CALIBRATION = 30
"""A language needs this many calibration rows from corpora (and both classes among all its rows)
for a calibration of its own."""
HAND_WRITTEN_PREFIX = "written"
"""Sources of the hand-written files: ``written_hate*`` (examples.WRITTEN_HATE_SOURCES) and the
violence files' ``written_violence``."""


def label_of(row: Row, category: str) -> bool:
    return row.hate if category == HATE else row.violent


def is_corpus_row(row: Row) -> bool:
    """From a published corpus: neither hand-written nor a synthetic long text."""
    return not row.source.startswith(HAND_WRITTEN_PREFIX) and row.source != LONG_SOURCE


def is_own_source(row: Row, category: str) -> bool:
    """Rows labelled for the category itself (the others are negatives borrowed from the other task)."""
    return row.source == LONG_SOURCE or row.source.endswith("_violence") == (category == VIOLENCE)


def balanced_weights(
    rows: Sequence[Row],
    category: str,
    borrowed_share: float = 0.5,
    weighting: HeadWeighting = DEFAULT_WEIGHTING,
) -> np.ndarray:
    """Each source weighs the same, its classes balanced; borrowed negatives share ``borrowed_share``.

    ``weighting`` (:class:`~processors.training.head_weighting.HeadWeighting`; its
    teacher is not read here) then reweighs, within each source, the hate-speech rows
    that name an identity group, multiplies a source's share, and multiplies the
    hate-speech weight of offensive, not hateful, rows, so insults and swearing weigh
    more as negatives; the total stays one per row.
    """
    identity, offensive_weight = weighting.identity, weighting.offensive_weight
    groups: dict[tuple[str, bool], list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        groups[(row.source, label_of(row, category))].append(index)
    own = {row.source for row in rows if is_own_source(row, category)}
    borrowed = {row.source for row in rows} - own
    weights = np.zeros(len(rows))
    for (source, _), indices in groups.items():
        if source == LONG_SOURCE:  # synthetic long texts: one source's weight, classes as they fall
            weights[indices] = 1.0 / sum(1 for row in rows if row.source == LONG_SOURCE)
        elif source in own:
            classes = sum(1 for (s, _) in groups if s == source)
            weights[indices] = (1.0 / classes) / len(indices)
        else:
            weights[indices] = borrowed_share / max(len(borrowed), 1) / len(indices)
    if identity is not None and category == HATE:
        chosen = np.array([row.source in own and row.source != LONG_SOURCE for row in rows])
        named = [groups_named(row.text) if c else frozenset() for row, c in zip(rows, chosen, strict=True)]
        hateful = np.array([row.hate for row in rows], dtype=bool)
        weights = reweigh(weights, hateful, [row.source for row in rows], named, chosen, identity)
    for source, factor in weighting.source_weights.items():
        weights[[i for i, row in enumerate(rows) if row.source == source]] *= factor
    if category == HATE and offensive_weight != 1.0:
        weights[[i for i, row in enumerate(rows) if row.offensive and not row.hate]] *= offensive_weight
    return weights * (len(rows) / weights.sum())


def calibrate(
    margins: np.ndarray,
    rows: Sequence[Row],
    category: str,
    point: OperatingPoint = OperatingPoint.BALANCED,
) -> dict[str, Platt]:
    """Platt scaling pooled, and per language where its corpora give enough held-out rows.

    ``point`` (:class:`~processors.training.operating_point.OperatingPoint`) is how
    each fit is made: balanced by default, so that 0.5 means "the evidence favours a hit".

    A language gets its own fit with at least :data:`MIN_CALIBRATION` calibration
    rows from corpora and five of each class among all its rows; otherwise the
    pooled fit serves it. A few dozen hand-written rows, which the heads separate
    easily, are no evidence of how real posts of a language score: fitted on them
    alone, ``hi`` got a steep, shifted curve (e5) or a flat one (USE).
    """
    labels = np.array([label_of(row, category) for row in rows])
    langs = np.array([row.lang for row in rows])
    from_corpus = np.array([is_corpus_row(row) for row in rows], dtype=bool)
    out = {POOLED: fit_operating_point(margins, labels, point)}
    own_langs = {row.lang for row in rows if is_own_source(row, category)}
    for lang in sorted(own_langs):
        chosen = langs == lang
        if (
            (chosen & from_corpus).sum() < MIN_CALIBRATION
            or labels[chosen].sum() < 5
            or (~labels[chosen]).sum() < 5
        ):
            continue
        try:
            out[lang] = fit_operating_point(margins[chosen], labels[chosen], point)
        except CalibrationError:
            continue
    return out


def label_matrix(rows: Sequence[Row], names: Sequence[str], field: str) -> np.ndarray:
    return np.array(
        [
            [name in (getattr(row, field) if field != "kind" else (row.kind,)) for name in names]
            for row in rows
        ],
        dtype=bool,
    )


def fit_label_heads(
    x_train: np.ndarray,
    train: Sequence[Row],
    x_cal: np.ndarray,
    calibration: Sequence[Row],
    names: Sequence[str],
    field: str,
    keep: Callable[[Row], bool],
) -> LabelHeads | None:
    """Multi-label heads for ``names`` on the rows ``keep`` selects; thresholds at best calibration F1."""
    chosen = np.array([keep(row) for row in train])
    if chosen.sum() < 10:
        return None
    y = label_matrix([row for row, c in zip(train, chosen, strict=True) if c], names, field)
    network = fit_labels(x_train[chosen], y)
    chosen_cal = np.array([keep(row) for row in calibration])
    thresholds = np.full(len(names), 0.5, dtype=np.float32)
    if chosen_cal.sum() >= 10:
        probabilities = LabelHeads(tuple(names), network, thresholds).probabilities(x_cal[chosen_cal])
        y_cal = label_matrix([row for row, c in zip(calibration, chosen_cal, strict=True) if c], names, field)
        for k in range(len(names)):
            if y_cal[:, k].sum() >= 3:
                thresholds[k] = best_f1_threshold(probabilities[:, k], y_cal[:, k], floor=0.2)
    return LabelHeads(tuple(names), network, thresholds)


def train_heads(
    vectors: np.ndarray,
    rows: Sequence[Row],
    config: HeadConfig,
    *,
    encoder: str,
    dim: int,
    max_chars: int,
    version: str = VERSION,
    sublabels: bool = True,
    categories: Sequence[str] = CATEGORIES,
    keep: HeadSet | None = None,
    weighting: HeadWeighting = DEFAULT_WEIGHTING,
    hate_point: OperatingPoint = OperatingPoint.BALANCED,
) -> HeadSet:
    """Heads for ``categories``; with ``keep``, its heads of the other categories are kept unchanged.

    ``hate_point`` is how the hate-speech head's Platt scaling is fitted
    (:func:`calibrate`; ``--hate-calibration``); every other head's is balanced.

    ``weighting`` weighs the training rows (:func:`balanced_weights`); its ``teacher``
    (one calibrated score per row, e.g. e5's heads on these rows) is mixed into the
    targets, so the cheap encoder learns where the costly one is sure and where it is
    not (calibration stays on the labels).
    """
    teacher, teacher_weight = weighting.teacher, weighting.teacher_weight
    split = np.array([row.split for row in rows])
    train_idx, cal_idx = np.flatnonzero(split == "train"), np.flatnonzero(split == "calibration")
    train = [rows[i] for i in train_idx.tolist()]
    calibration = [rows[i] for i in cal_idx.tolist()]
    x_train, x_cal = vectors[train_idx], vectors[cal_idx]
    heads: dict[str, CategoryHead] = {} if keep is None else dict(keep.heads)
    for category in categories:
        y: np.ndarray = np.array([label_of(row, category) for row in train])
        if teacher is not None and category in teacher:
            y = (1.0 - teacher_weight) * y + teacher_weight * teacher[category][train_idx]
        weights = balanced_weights(train, category, weighting=weighting)
        network = fit_head(x_train, y, weights, config)
        margins = network.logits(x_cal)[:, 0].astype(np.float64)
        point = hate_point if category == HATE else OperatingPoint.BALANCED
        head = CategoryHead(category, network, calibrate(margins, calibration, category, point))
        if sublabels and category == HATE:
            head.labels = fit_label_heads(
                x_train,
                train,
                x_cal,
                calibration,
                TARGETS,
                "targets",
                lambda row: row.hate and bool(row.targets),
            )
            head.forms = fit_label_heads(
                x_train, train, x_cal, calibration, FORMS, "forms", lambda row: row.hate and bool(row.forms)
            )
        if sublabels and category == VIOLENCE:
            head.labels = fit_label_heads(
                x_train, train, x_cal, calibration, SUBTYPES, "kind", lambda row: row.violent
            )
        heads[category] = head
    if keep is not None:
        retrained = {**keep.meta.get("retrained", {}), **{name: asdict(config) for name in categories}}
        return HeadSet(
            encoder=keep.encoder,
            dim=keep.dim,
            max_chars=keep.max_chars,
            heads={name: heads[name] for name in dict.fromkeys([*keep.heads, *categories])},
            version=keep.version,
            escalate_at=dict(keep.escalate_at),
            meta={**keep.meta, "retrained": retrained},
        )
    return HeadSet(
        encoder=encoder,
        dim=dim,
        max_chars=max_chars,
        heads=heads,
        version=version,
        meta={"config": asdict(config)},
    )


def gate_thresholds(
    heads: HeadSet,
    vectors: np.ndarray,
    rows: Sequence[Row],
    recall: float,
    found: dict[str, np.ndarray] | None = None,
) -> dict[str, float]:
    """Per category, the highest gate score that keeps ``recall`` of every language's calibration positives.

    ``found`` (per category, one flag per row) narrows the positives to those the
    encoder itself finds: what the gate must not lose is what the cascade would
    report, not a weak label the encoder misses anyway. Synthetic long rows are
    not used here. A fold's held-out event (``--held-out-events``: rows neither
    trained on nor calibrated on) counts with the calibration rows, so a
    threshold can be drawn on an event the gate never saw.
    """
    measured = ("calibration", HELD_OUT)
    chosen = [i for i, row in enumerate(rows) if row.split in measured and row.source != LONG_SOURCE]
    subset = [rows[i] for i in chosen]
    langs = np.array([row.lang for row in subset])
    out = {}
    for category, head in heads.heads.items():
        scores = head.scores(vectors[chosen], [row.lang for row in subset])
        labels = np.array([label_of(row, category) for row in subset])
        if found is not None:
            labels &= found[category][chosen]
        thresholds = [threshold_for_recall(scores, labels, recall)]
        for lang in sorted(set(langs[labels].tolist())):
            if ((langs == lang) & labels).sum() >= 10:
                thresholds.append(threshold_for_recall(scores[langs == lang], labels[langs == lang], recall))
        out[category] = round(min(thresholds), 6)
    return out


def vectors_for(heads: HeadSet, texts: Sequence[str], cache: Path) -> np.ndarray:
    """The vectors ``heads`` read for ``texts``, through the embedding cache; their encoder is
    built (seconds for e5) only when a text is not cached yet."""
    store = EmbeddingCache(cache, heads.encoder, heads.dim)
    if not store.missing(texts):
        return store.get(texts)
    from processors.encoders import EncoderSettings, build_encoder

    encoder = build_encoder(EncoderSettings.model_validate({"kind": encoder_kind(heads.encoder)}))
    return store.embed(texts, encoder)


def teacher_scores(directory: Path, rows: Sequence[Row], cache: Path) -> dict[str, np.ndarray]:
    """Per category, the calibrated scores of the heads in ``directory`` on ``rows`` (a teacher)."""
    heads = HeadSet.load(directory)
    vectors = vectors_for(heads, [row.text for row in rows], cache)
    langs = [row.lang for row in rows]
    return {name: head.scores(vectors, langs).astype(np.float64) for name, head in heads.heads.items()}


def parse_named_numbers(
    values: Sequence[str],
    option: str,
    expected: str,
    *,
    names: Sequence[str] | None = None,
    accept: Callable[[float], bool] = lambda number: True,
    bare: bool = False,
) -> dict[str, float]:
    """``["NAME=NUMBER", …]`` → ``{NAME: NUMBER}``: the one parser of the NAME=NUMBER options,
    so each refuses a missing ``=``, an unknown name or a bad number with one clear message.
    With ``bare``, a number without a name is kept under ``""`` (an option's default)."""
    out = {}
    for value in values:
        name, sep, text = value.rpartition("=")
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        known = (name in names if names is not None else bool(name)) if sep else bare
        if not known or math.isnan(number) or not accept(number):
            raise ValueError(f"{option} {value!r}: expected {expected}")
        out[name] = number
    return out


def parse_source_weights(values: Sequence[str]) -> dict[str, float]:
    """``["written_hate_context=3"]`` → ``{"written_hate_context": 3.0}``."""
    return parse_named_numbers(
        values, "--source-weight", "SOURCE=FACTOR with a positive factor", accept=lambda factor: factor > 0
    )


def parse_recall(
    values: Sequence[str], categories: Sequence[str], option: str = "--gate-recall"
) -> dict[str, float]:
    """``["0.95", "violence_report=0.98"]`` → a share per category (the bare number for the rest)."""
    shares = parse_named_numbers(
        values,
        option,
        f"[CATEGORY=]SHARE, a share above 0 and at most 1, for one of {', '.join(categories)}",
        names=categories,
        accept=lambda share: 0.0 < share <= 1.0,
        bare=True,
    )
    default = shares.pop("", 0.95)
    return {category: shares.get(category, default) for category in categories}


def parse_thresholds(values: Sequence[str], categories: Sequence[str]) -> dict[str, float]:
    """``["violence_report=0.155"]`` → ``{"violence_report": 0.155}``, for categories of ``categories``."""
    return parse_named_numbers(
        values,
        "--gate-escalate-at",
        f"CATEGORY=SCORE, a score between 0 and 1 for one of {', '.join(categories)}",
        names=categories,
        accept=lambda score: 0.0 < score < 1.0,
    )


def encoder_kind(name: str) -> str:
    """The encoder kind that produces vectors named ``name`` (as a heads file records it)."""
    from processors.encoders.concat import concat_name, part_name
    from processors.encoders.e5 import NAME as E5
    from processors.encoders.registry import SHIPPED_STATIC, USE_STATIC
    from processors.encoders.static import StaticEmbedding
    from processors.encoders.use import NAME as USE
    from tocsin.resources import shipped

    kinds = {E5: "e5", USE: "use"}
    if name.startswith(f"{USE}+"):  # the shipped static table's name and fingerprint are in its file
        kinds[concat_name([USE, part_name(StaticEmbedding.load(shipped(*SHIPPED_STATIC)))])] = USE_STATIC
    if name not in kinds:
        raise ValueError(f"no built-in encoder makes {name!r} vectors")
    return kinds[name]


def measure(scores: np.ndarray, labels: np.ndarray, threshold: float = 0.5) -> dict[str, Any]:
    report = binary_report(labels.tolist(), (scores >= threshold).tolist())
    negatives = (~labels).sum()
    return {
        "n": len(labels),
        "positives": int(labels.sum()),
        "macro_f1": round(report.macro_f1, 4),
        "precision": round(report.positive.precision, 4),
        "recall": round(report.positive.recall, 4),
        "f1": round(report.positive.f1, 4),
        "fpr": round(float(((scores >= threshold) & ~labels).sum() / negatives), 4) if negatives else 0.0,
        "average_precision": round(average_precision(scores, labels), 4),
    }


def evaluate(
    heads: HeadSet, vectors: np.ndarray, rows: Sequence[Row], *, escalate_at: dict[str, float] | None = None
) -> dict[str, Any]:
    """Figures on the dev rows, per category, by source and by language.

    With ``escalate_at`` (a gate's thresholds) the figures are the gate's recall at them.
    """
    chosen = [i for i, row in enumerate(rows) if row.split == "dev"]
    dev = [rows[i] for i in chosen]
    x = vectors[chosen]
    langs = [row.lang for row in dev]
    out: dict[str, Any] = {}
    for category, head in heads.heads.items():
        scores = head.scores(x, langs)
        labels = np.array([label_of(row, category) for row in dev])
        own = np.array([is_own_source(row, category) for row in dev])
        threshold = 0.5 if escalate_at is None else escalate_at[category]
        result: dict[str, Any] = {
            "all": measure(scores[own], labels[own], threshold),
            "by_source": {},
            "by_language": {},
        }
        for key, values in (("by_source", [row.source for row in dev]), ("by_language", langs)):
            for value in sorted(set(np.array(values)[own].tolist())):
                mask = own & (np.array(values) == value)
                result[key][value] = measure(scores[mask], labels[mask], threshold)
        borrowed = ~own
        if borrowed.any():
            result["other_task_rows_flagged"] = round(float((scores[borrowed] >= threshold).mean()), 4)
        if head.labels is not None and category == VIOLENCE:
            probabilities = head.labels.probabilities(x)
            per: dict[str, Any] = {}
            for k, name in enumerate(head.labels.names):
                mask = labels & np.array([row.kind == name for row in dev])
                if mask.any():
                    found = (scores[mask] >= 0.5) & (probabilities[mask, k] >= head.labels.thresholds[k])
                    per[name] = {
                        "n": int(mask.sum()),
                        "recall": round(float((scores[mask] >= 0.5).mean()), 4),
                        "subtype_recall": round(float(found.mean()), 4),
                    }
            result["by_subtype"] = per
        if head.labels is not None and category == HATE:
            result["targets"] = label_figures(
                head.labels, x, dev, "targets", lambda r: r.hate and bool(r.targets)
            )
        if head.forms is not None:
            result["forms"] = label_figures(head.forms, x, dev, "forms", lambda r: r.hate and bool(r.forms))
        out[category] = result
    return out


def label_figures(
    heads: LabelHeads, x: np.ndarray, rows: Sequence[Row], field: str, keep: Callable[[Row], bool]
) -> dict[str, Any]:
    chosen = np.array([keep(row) for row in rows])
    if not chosen.any():
        return {}
    probabilities = heads.probabilities(x[chosen]) >= heads.thresholds
    gold = label_matrix([row for row, c in zip(rows, chosen, strict=True) if c], heads.names, field)
    out = {}
    for k, name in enumerate(heads.names):
        if gold[:, k].any():
            report = binary_report(gold[:, k].tolist(), probabilities[:, k].tolist())
            out[name] = {
                "n": int(gold[:, k].sum()),
                "precision": round(report.positive.precision, 4),
                "recall": round(report.positive.recall, 4),
                "f1": round(report.positive.f1, 4),
            }
    return out


def embed_rows(
    rows: Sequence[Row], encoder: Encoder, cache: EmbeddingCache | None, *, cached_only: bool = False
) -> tuple[list[Row], np.ndarray]:
    texts = [row.text for row in rows]
    if cache is None:
        return list(rows), encoder.embed(texts)
    if cached_only:
        rows = [row for row, ready in zip(rows, cache.cached(texts, encoder), strict=True) if ready]
        return list(rows), cache.embed([row.text for row in rows], encoder)
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        rate = done / max(time.perf_counter() - started, 1e-9)
        print(f"  embedded {done:,}/{total:,} ({rate:.1f}/s)", file=sys.stderr, flush=True)

    return list(rows), cache.embed(texts, encoder, progress=progress)


def summary(metrics: dict[str, Any]) -> str:
    lines = [
        "| category | part | n | positives | macro-F1 | precision | recall | AP |",
        "|---|---|" + "---:|" * 6,
    ]
    for category, result in metrics.items():
        for part in ("all", *(f"{k}:{v}" for k in ("by_source", "by_language") for v in result[k])):
            if part == "all":
                m = result["all"]
            else:
                key, value = part.split(":", 1)
                m = result[key][value]
            lines.append(
                f"| {category} | {part} | {m['n']:,} | {m['positives']:,} | {m['macro_f1']:.3f} | "
                f"{m['precision']:.3f} | {m['recall']:.3f} | {m['average_precision']:.3f} |"
            )
    return "\n".join(lines)


def train_gate(
    args: argparse.Namespace,
    config: HeadConfig,
    rows: list[Row],
    vectors: np.ndarray,
    heads: HeadSet,
    counts: dict[str, int],
    sources: list[str],
) -> dict[str, Any]:
    """The ``--gate`` path: the gate's heads (or, with ``--keep-gate-heads``, the shipped ones) and
    their escalation thresholds against the finds of ``heads`` and ``--found-with``; its dev figures."""
    from processors.encoders.static import StaticEmbedding

    static = StaticEmbedding.load(args.gate)
    # the gate reads whole articles: it also learns from news-length texts built from rows
    gate_rows = rows + long_rows(rows, args.long_rows)
    static_vectors = static.embed([row.text for row in gate_rows])
    gate = (
        HeadSet.load(args.gate)
        if args.keep_gate_heads
        else train_heads(
            static_vectors,
            gate_rows,
            config,
            encoder=static.name,
            dim=static.dim,
            max_chars=PREPARED_CHARS,
            version=args.version,
            sublabels=False,
        )
    )
    shipped_thresholds = dict(gate.escalate_at)
    langs = [row.lang for row in rows]
    found = {category: head.scores(vectors, langs) >= 0.5 for category, head in heads.heads.items()}
    for directory in args.found_with:
        other = HeadSet.load(directory)
        other_vectors = vectors_for(other, [row.text for row in rows], args.cache)
        for category, head in other.heads.items():
            found[category] |= head.scores(other_vectors, langs) >= 0.5
    padding = np.zeros(len(gate_rows) - len(rows), dtype=bool)
    found = {category: np.concatenate([mask, padding]) for category, mask in found.items()}
    recall = parse_recall(args.gate_recall, list(gate.heads))
    fixed = parse_thresholds(args.gate_escalate_at, list(gate.heads))
    gate.escalate_at = {
        category: fixed[category]
        if category in fixed
        else gate_thresholds(gate, static_vectors, gate_rows, share, found)[category]
        for category, share in recall.items()
    }
    drawn_on = {
        "split": args.split,
        "held_out_events": list(args.held_out_events),
        "drawn": sorted(set(recall) - set(fixed)),
        "set": fixed,
    }
    if not args.keep_gate_heads:
        gate.meta.update(rows=counts, sources=sources, gate_recall=recall, thresholds_drawn_on=drawn_on)
        gate.save(args.gate)
    elif gate.escalate_at != shipped_thresholds:
        gate.meta.update(thresholds_rows=counts, gate_recall=recall, thresholds_drawn_on=drawn_on)
        gate.save(args.gate)
    return {
        "escalate_at": gate.escalate_at,
        "dev_at_escalation": evaluate(gate, static_vectors, gate_rows, escalate_at=gate.escalate_at),
        "dev": evaluate(gate, static_vectors, gate_rows),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m processors.training.train_encoder", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--shared",
        type=Path,
        default=Path("../shared/data"),
        help="the data folder holding hate/, events/ and places/",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(".tocsin/embeddings"),
        help="where embeddings are kept between runs",
    )
    parser.add_argument("--out", type=Path, default=Path("models/encoder"))
    parser.add_argument(
        "--encoder",
        choices=ENCODERS,
        default="e5",
        help="use+static: USE's vector joined to the shipped gate's static one (one USE read a text)",
    )
    parser.add_argument("--model", type=Path, help="checkpoint encoder: a transformers model directory")
    parser.add_argument("--hidden", type=int, default=0, help="units of one hidden layer (0: linear heads)")
    parser.add_argument("--l2", type=float, default=HeadConfig().l2)
    parser.add_argument("--epochs", type=int, default=HeadConfig().epochs)
    parser.add_argument(
        "--ensemble",
        type=int,
        default=1,
        help="with --hidden: average this many networks trained from successive seeds "
        "(stored as one wider network)",
    )
    parser.add_argument(
        "--gate",
        type=Path,
        help="also train the gate's heads, into this folder; its static "
        "embedding (static.npz) must be there already",
    )
    parser.add_argument(
        "--gate-recall",
        nargs="*",
        default=["0.95", "violence_report=0.98"],
        metavar="[CATEGORY=]SHARE",
        help="share of the encoders' calibration finds the gate keeps in every language "
        "(default 0.95; 0.98 for violence reports, whose calibration rows are Boston "
        "tweets and written reports, unlike the LA tweets and news of the dev set)",
    )
    parser.add_argument(
        "--keep-gate-heads",
        action="store_true",
        help="with --gate: keep the gate's trained heads and only recompute its escalation "
        "thresholds against these heads' finds (new encoder heads, same gate)",
    )
    parser.add_argument(
        "--gate-only",
        action="store_true",
        help="with --gate: read the heads in --out (their finds) instead of retraining them; "
        "only the gate is trained (or, with --keep-gate-heads, re-thresholded)",
    )
    parser.add_argument(
        "--gate-escalate-at",
        nargs="*",
        default=[],
        metavar="CATEGORY=SCORE",
        help="with --gate: set these categories' escalation thresholds instead of drawing them, e.g. "
        "one drawn on a fold whose gate never saw the held-out event (see models/gate/MODEL_CARD.md)",
    )
    parser.add_argument(
        "--found-with",
        type=Path,
        nargs="*",
        default=[],
        metavar="HEADS",
        help="other heads (e.g. models/encoder-use) whose finds the gate must keep too",
    )
    parser.add_argument(
        "--long-rows",
        type=int,
        default=4000,
        help="news-length texts built from rows for the gate (train; a fifth as many for calibration)",
    )
    parser.add_argument(
        "--cached-only",
        action="store_true",
        help="use only rows whose vectors need no encoder run: cached, or for use+static in USE's cache "
        "(quick experiments)",
    )
    parser.add_argument(
        "--train-scale",
        type=float,
        default=1.0,
        help="multiply the hate-speech sources' train caps (inf: every train row; "
        "calibration and dev stay as they are)",
    )
    parser.add_argument(
        "--accident-tweets",
        type=int,
        default=150,
        help="CrisisLex tweets of each accident event (crashes, explosions, fires) in "
        "training and calibration; 0: all",
    )
    parser.add_argument(
        "--distil-from",
        type=Path,
        metavar="HEADS",
        help="another encoder's heads (e.g. models/encoder) whose scores on the training rows "
        "are mixed into the targets (knowledge distillation; its vectors come from --cache)",
    )
    parser.add_argument(
        "--distil-weight", type=float, default=0.5, help="the teacher's share of each training target"
    )
    parser.add_argument(
        "--held-out-events",
        nargs="*",
        default=[],
        metavar="EVENT",
        help="CrisisLex training events (folder names) left out of training and calibration: a "
        "fold whose heads defer_bands measures on an event they never saw (2013_Boston_bombings)",
    )
    parser.add_argument(
        "--split",
        choices=SPLITS_BY,
        default="event",
        help="how the violence rows part train from calibration: by CrisisLex event (default) or by "
        "a hash of the text (the split before 2026-12-07, on which the default bands were drawn)",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=CATEGORIES,
        metavar="CATEGORY",
        help="retrain only these categories' heads; the other categories' heads of the "
        "heads file already in --out are kept as they are (byte for byte)",
    )
    parser.add_argument(
        "--source-weight",
        nargs="*",
        default=[],
        metavar="SOURCE=FACTOR",
        help="multiply a training source's weight, e.g. written_hate_context=3",
    )
    parser.add_argument(
        "--identity-balance",
        metavar="balance|FACTOR",
        help="hate speech: reweigh the training rows that name an identity group "
        "(processors/training/identity_terms.py): 'balance' gives each group, within each source, the "
        "source's hateful share (Zhang et al. 2020); a factor above 1 multiplies the weight of the "
        "non-hateful ones (default: neither)",
    )
    parser.add_argument(
        "--offensive-weight",
        type=float,
        default=1.0,
        metavar="FACTOR",
        help="hate speech: multiply the weight of the training rows a corpus marks abusive or profane "
        "without attacking a group (Davidson class 1, MLMA offensive / abusive / disrespectful, "
        "GermEval INSULT / PROFANITY, ToLD-Br insult / obscene), a positive factor (default 1)",
    )
    parser.add_argument(
        "--hate-calibration",
        default=OperatingPoint.BALANCED.value,
        metavar="|".join(point.value for point in OperatingPoint),
        help="hate speech: how Platt scaling places 0.5 (processors/training/operating_point.py): balanced "
        "(default: even prior), prior (the calibration split's own share of hateful rows) or macro-f1 "
        "(balanced, shifted to the calibration rows' best macro-F1)",
    )
    parser.add_argument("--version", default=VERSION)
    parser.add_argument(
        "--exclude",
        nargs="*",
        default=[],
        metavar="SOURCE",
        help="leave these sources out, e.g. told_br stormfront: heads without the "
        "share-alike data (see the model card)",
    )
    args = parser.parse_args(argv)
    try:  # every bad option is refused here, before minutes of embedding
        weighting = HeadWeighting(
            source_weights=parse_source_weights(args.source_weight),
            identity=None if args.identity_balance is None else IdentityBalance.parse(args.identity_balance),
            offensive_weight=args.offensive_weight,
            teacher_weight=args.distil_weight,
        )
        hate_point = OperatingPoint.parse(args.hate_calibration)
        parse_thresholds(args.gate_escalate_at, CATEGORIES)
        parse_recall(args.gate_recall, CATEGORIES)
        selection = RowSelection(
            caps=None if args.train_scale == 1.0 else scaled_caps(args.train_scale),
            per_accident_event=args.accident_tweets or None,
            held_out_events=tuple(args.held_out_events),
            split_by=args.split,
        )
    except ValueError as exc:
        parser.error(str(exc))
    if args.gate_only and args.gate is None:
        parser.error("--gate-only needs --gate")
    if args.only and args.gate is not None and not args.keep_gate_heads:
        parser.error("--only with --gate needs --keep-gate-heads (the gate's heads read every category)")

    from processors.encoders import EncoderSettings, build_encoder

    settings = EncoderSettings(kind=args.encoder, model=args.model)
    encoder = build_encoder(settings)
    every_row = all_rows(args.shared, selection)
    for option, named in (("--source-weight", weighting.source_weights), ("--exclude", args.exclude)):
        try:
            check_sources(every_row, list(named))
        except ValueError as exc:
            parser.error(f"{option}: {exc}")
    rows = without_sources(every_row, args.exclude)
    cache = EmbeddingCache(args.cache, encoder.name, encoder.dim)
    rows, vectors = embed_rows(rows, encoder, cache, cached_only=args.cached_only)
    counts = {
        split: sum(1 for row in rows if row.split == split) for split in ("train", "calibration", "dev")
    }
    print(f"{len(rows):,} rows: {counts}", flush=True)
    config = HeadConfig(hidden=args.hidden, l2=args.l2, epochs=args.epochs, ensemble=args.ensemble)
    sources = sorted({row.source for row in rows})
    if args.gate_only:
        heads = HeadSet.load(args.out, encoder=encoder.name)
        gate_metrics = train_gate(args, config, rows, vectors, heads, counts, sources)
        print(f"\ngate, escalating from {gate_metrics['escalate_at']}:")
        print(summary(gate_metrics["dev_at_escalation"]))
        return 0
    if args.distil_from is not None:
        weighting = replace(weighting, teacher=teacher_scores(args.distil_from, rows, args.cache))
    keep = None if args.only is None else HeadSet.load(args.out, encoder=encoder.name)
    heads = train_heads(
        vectors,
        rows,
        config,
        encoder=encoder.name,
        dim=encoder.dim,
        max_chars=PREPARED_CHARS,
        version=args.version,
        categories=args.only or CATEGORIES,
        keep=keep,
        weighting=weighting,
        hate_point=hate_point,
    )
    metrics: dict[str, Any] = {
        "encoder": encoder.name,
        "rows": counts,
        "sources": sources,
        "dev": evaluate(heads, vectors, rows),
    }
    if keep is None:
        heads.meta.update(
            rows=counts,
            sources=sources,
            train_scale=str(args.train_scale),
            accident_tweets=args.accident_tweets,
            source_weights=dict(weighting.source_weights),
            split=args.split,
            held_out_events=args.held_out_events,
            distil_from=None if weighting.teacher is None else str(args.distil_from),
            distil_weight=None if weighting.teacher is None else weighting.teacher_weight,
        )
        if weighting.identity is not None:
            heads.meta["identity_balance"] = {HATE: str(weighting.identity)}
        if weighting.offensive_weight != 1.0:
            heads.meta["offensive_weight"] = {HATE: weighting.offensive_weight}
        if hate_point is not OperatingPoint.BALANCED:
            heads.meta["hate_calibration"] = hate_point.value
    else:
        for category in args.only:
            heads.meta["retrained"][category].update(
                rows=counts,
                sources=sources,
                train_scale=str(args.train_scale),
                source_weights=dict(weighting.source_weights),
                split=args.split,
                held_out_events=args.held_out_events,
                distil_from=None if weighting.teacher is None else str(args.distil_from),
                distil_weight=None if weighting.teacher is None else weighting.teacher_weight,
            )
            if weighting.identity is not None and category == HATE:
                heads.meta["retrained"][category]["identity_balance"] = str(weighting.identity)
            if weighting.offensive_weight != 1.0 and category == HATE:
                heads.meta["retrained"][category]["offensive_weight"] = weighting.offensive_weight
            if hate_point is not OperatingPoint.BALANCED and category == HATE:
                heads.meta["retrained"][category]["hate_calibration"] = hate_point.value
    heads.save(args.out)
    print(summary(metrics["dev"]))
    if args.gate is not None:
        metrics["gate"] = train_gate(args, config, rows, vectors, heads, counts, sources)
        print(f"\ngate, escalating from {metrics['gate']['escalate_at']}:")
        print(summary(metrics["gate"]["dev_at_escalation"]))
    (args.out / "metrics.json").write_text(
        json.dumps(metrics, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
