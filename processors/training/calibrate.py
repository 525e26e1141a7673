"""Platt scaling: a raw score → a probability, fitted on held-out examples of one language.

Why Platt and not isotonic: two numbers per class and language, monotone by
construction (``a > 0`` is enforced), and stable on the few hundred held-out
tweets a language has; isotonic regression would need many more to avoid
steps. Targets are smoothed as Platt (1999) proposes — positives count as
(N₊ + 1) / (N₊ + 2), negatives as 1 / (N₋ + 2) — so a perfectly separated
calibration set does not produce infinite slopes.
"""

from __future__ import annotations

import numpy as np

from processors.classifiers.ngram import Platt
from tocsin.errors import ModelError

MIN_SLOPE = 1e-3
"""A fitted slope below this (the score ranks the wrong way round) is raised to it."""


class CalibrationError(ModelError, ValueError):
    """Calibration is impossible for these examples (no positives or no negatives)."""


def _loss(a: float, b: float, scores: np.ndarray, targets: np.ndarray, weights: np.ndarray) -> float:
    z = a * scores + b
    # −[t log σ(z) + (1 − t) log(1 − σ(z))] = log(1 + e^z) − t z
    return float(np.sum(weights * (np.logaddexp(0.0, z) - targets * z)))


def fit_platt(scores: np.ndarray, positive: np.ndarray, *, iterations: int = 100,
              balanced: bool = False) -> Platt:
    """Fit ``p = σ(a · score + b)`` by Newton's method with backtracking; deterministic.

    ``balanced`` weighs both classes equally, so that 0.5 is where the evidence
    favours neither (the score a text gets under an even prior), whatever the
    share of positives in the calibration data of that language.
    """
    scores = np.asarray(scores, dtype=np.float64)
    positive = np.asarray(positive, dtype=bool)
    if scores.shape != positive.shape or scores.ndim != 1:
        raise CalibrationError(f"scores {scores.shape} and labels {positive.shape} differ")
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        raise CalibrationError(f"needs positive and negative examples, got {n_pos} and {n_neg}")
    targets = np.where(positive, (n_pos + 1.0) / (n_pos + 2.0), 1.0 / (n_neg + 2.0))
    if balanced:
        weights = np.where(positive, len(positive) / (2.0 * n_pos), len(positive) / (2.0 * n_neg))
        a, b = 1.0, 0.0
    else:
        weights = np.ones(len(positive))
        a, b = 1.0, float(np.log((n_pos + 1.0) / (n_neg + 1.0)))
    a, b = _newton(a, b, scores, targets, weights, iterations, fit_slope=True)
    if a < MIN_SLOPE:
        a, b = _newton(MIN_SLOPE, b, scores, targets, weights, iterations, fit_slope=False)
    return Platt(a, b)


def _newton(a: float, b: float, scores: np.ndarray, targets: np.ndarray, weights: np.ndarray,
            iterations: int, *, fit_slope: bool) -> tuple[float, float]:
    loss = _loss(a, b, scores, targets, weights)
    for _ in range(iterations):
        p = 0.5 * (1.0 + np.tanh(0.5 * (a * scores + b)))
        residual = weights * (p - targets)
        weight = np.maximum(weights * p * (1.0 - p), 1e-12)
        if fit_slope:
            gradient = np.array([np.dot(residual, scores), residual.sum()])
            hessian = np.array([[np.dot(weight, scores * scores), np.dot(weight, scores)],
                                [np.dot(weight, scores), weight.sum()]]) + 1e-9 * np.eye(2)
            step = np.linalg.solve(hessian, gradient)
        else:
            step = np.array([0.0, residual.sum() / weight.sum()])
        if np.max(np.abs(step)) < 1e-10:
            break
        scale = 1.0
        while scale > 1e-8:
            new_a, new_b = a - scale * step[0], b - scale * step[1]
            new_loss = _loss(new_a, new_b, scores, targets, weights)
            if new_loss <= loss:
                break
            scale /= 2.0
        else:
            break
        a, b, loss = new_a, new_b, new_loss
    return a, b
