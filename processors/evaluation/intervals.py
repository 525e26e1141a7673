"""How far a figure measured on n rows can move by chance: a percentile bootstrap over the rows.

A 63-post dev file moves macro-F1 by about 0.016 a post; whoever compares two heads (or reads a
figure in a model card) should see that before taking a 0.01 difference for a finding. The rows
are resampled with replacement and the measures recomputed on each resample; the interval is
the middle ``level`` of them. Seeded, so a file always prints the same interval.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

RESAMPLES = 1000
LEVEL = 0.95
_CHUNK = 2_000_000  # resampled rows per step: memory stays bounded on a large file

MEASURES = ("macro_f1", "accuracy", "f1", "recall", "precision")
"""``f1``, ``recall`` and ``precision`` are the positive label's (hateful, violent)."""


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, 0.0 where the denominator is 0 (as the point figures define it)."""
    return np.divide(numerator, denominator, out=np.zeros(numerator.shape), where=denominator > 0)


def _measures(gold: np.ndarray, predicted: np.ndarray) -> dict[str, np.ndarray]:
    """Each measure of every row of ``gold`` / ``predicted`` (resamples × rows booleans)."""
    tp = (gold & predicted).sum(axis=1)
    fp = (~gold & predicted).sum(axis=1)
    fn = (gold & ~predicted).sum(axis=1)
    tn = gold.shape[1] - tp - fp - fn
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = _ratio(2 * precision * recall, precision + recall)
    negative_precision, negative_recall = _ratio(tn, tn + fn), _ratio(tn, tn + fp)
    negative_f1 = _ratio(2 * negative_precision * negative_recall, negative_precision + negative_recall)
    return {"macro_f1": (f1 + negative_f1) / 2, "accuracy": (tp + tn) / gold.shape[1],
            "f1": f1, "recall": recall, "precision": precision}


def _picks(rows: int, resamples: int, seed: int) -> Iterator[np.ndarray]:
    """Row indices of every resample (resamples × rows), a bounded chunk at a time."""
    rng = np.random.default_rng(seed)
    per_step = max(1, _CHUNK // rows)
    for start in range(0, resamples, per_step):
        yield rng.integers(0, rows, size=(min(per_step, resamples - start), rows))


def _percentiles(drawn: dict[str, list[np.ndarray]], level: float) -> dict[str, tuple[float, float]]:
    tail = (1 - level) / 2 * 100
    return {
        name: (float(np.percentile(np.concatenate(values), tail)),
               float(np.percentile(np.concatenate(values), 100 - tail)))
        for name, values in drawn.items()
    }


def bootstrap_intervals(
    gold: Sequence[bool], predicted: Sequence[bool], *, resamples: int = RESAMPLES, level: float = LEVEL,
    seed: int = 0,
) -> dict[str, tuple[float, float]]:
    """``{measure: (low, high)}`` for :data:`MEASURES` of a yes/no decision; empty input: no intervals."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")
    if not gold:
        return {}
    gold_rows, predicted_rows = np.asarray(gold, dtype=bool), np.asarray(predicted, dtype=bool)
    drawn: dict[str, list[np.ndarray]] = {name: [] for name in MEASURES}
    for picks in _picks(len(gold), resamples, seed):
        for name, values in _measures(gold_rows[picks], predicted_rows[picks]).items():
            drawn[name].append(values)
    return _percentiles(drawn, level)


def paired_difference_intervals(
    gold: Sequence[bool], before: Sequence[bool], after: Sequence[bool], *, resamples: int = RESAMPLES,
    level: float = LEVEL, seed: int = 0,
) -> dict[str, tuple[float, float]]:
    """``{measure: (low, high)}`` of ``after`` − ``before`` on the same resampled rows.

    Two heads measured on one file make mostly the same errors, so the spread of their
    difference is far narrower than two separate intervals suggest: resampling the rows once
    for both keeps that pairing (a paired bootstrap)."""
    if not len(gold) == len(before) == len(after):
        raise ValueError(f"{len(gold)} gold labels, {len(before)} and {len(after)} predictions")
    if not gold:
        return {}
    gold_rows = np.asarray(gold, dtype=bool)
    before_rows, after_rows = np.asarray(before, dtype=bool), np.asarray(after, dtype=bool)
    drawn: dict[str, list[np.ndarray]] = {name: [] for name in MEASURES}
    for picks in _picks(len(gold), resamples, seed):
        resampled_gold = gold_rows[picks]
        earlier = _measures(resampled_gold, before_rows[picks])
        later = _measures(resampled_gold, after_rows[picks])
        for name in MEASURES:
            drawn[name].append(later[name] - earlier[name])
    return _percentiles(drawn, level)


def interval_line(intervals: dict[str, tuple[float, float]], names: Sequence[str]) -> str:
    """One printed line: ``95 % intervals (bootstrap over rows, 1,000 resamples): macro_f1 0.712-0.781 …``."""
    shown = ", ".join(f"{name} {intervals[name][0]:.3f}-{intervals[name][1]:.3f}" for name in names)
    return f"{LEVEL:.0%} intervals (bootstrap over the rows, {RESAMPLES:,} resamples): {shown}"
