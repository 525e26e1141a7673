"""Where a head's 0.5 falls: how its Platt scaling is fitted on the calibration rows (``--hate-calibration``).

``balanced`` (the default, every shipped head): both classes weigh the same, so 0.5 is
where the evidence favours neither class under an even prior; it favours recall where
positives are rare. ``prior``: the rows as they come, so 0.5 is the even odds at the
calibration split's own share of positives. ``macro-f1``: the balanced fit, its intercept
then shifted so that 0.5 falls at the calibration score with the best macro-F1 (ties: the
one nearest the unshifted 0.5), an operating point picked on the calibration rows.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np

from processors.classifiers.ngram import Platt
from processors.training.calibrate import fit_platt


class OperatingPoint(StrEnum):
    BALANCED = "balanced"
    PRIOR = "prior"
    MACRO_F1 = "macro-f1"

    @classmethod
    def parse(cls, value: str) -> OperatingPoint:
        """The option's value, or a :class:`ValueError` naming the choices."""
        try:
            return cls(value)
        except ValueError:
            choices = ", ".join(point.value for point in cls)
            raise ValueError(f"--hate-calibration {value!r}: expected one of {choices}") from None


def fit_operating_point(scores: np.ndarray, positive: np.ndarray, point: OperatingPoint) -> Platt:
    """Platt scaling of raw ``scores`` whose 0.5 is ``point``'s (:class:`OperatingPoint`)."""
    if point is OperatingPoint.PRIOR:
        return fit_platt(scores, positive, balanced=False)
    platt = fit_platt(scores, positive, balanced=True)
    if point is OperatingPoint.MACRO_F1:
        return macro_f1_shift(platt, scores, positive)
    return platt


def macro_f1_shift(platt: Platt, scores: np.ndarray, positive: np.ndarray) -> Platt:
    """``platt`` with its intercept moved so that 0.5 falls at the score of ``scores`` whose threshold
    (``score >= threshold`` is a hit) gives the best macro-F1 on these rows; among equally good
    thresholds, the one whose calibrated score is nearest 0.5. The slope is kept, so the order of
    scores, and every ranking figure, stays as it was."""
    scores = np.asarray(scores, dtype=np.float64)
    positive = np.asarray(positive, dtype=bool)
    candidates = np.unique(scores)  # ascending; each a threshold that makes every score at or above it a hit
    n_pos, n = int(positive.sum()), len(positive)
    order = np.argsort(scores, kind="stable")
    sorted_scores, sorted_positive = scores[order], positive[order]
    # rows at or above candidates[k]: those from the first index with a score >= candidates[k]
    first = np.searchsorted(sorted_scores, candidates, side="left")
    positives_below = np.concatenate([[0], np.cumsum(sorted_positive)])[first]
    tp = n_pos - positives_below
    fp = (n - first) - tp
    fn = n_pos - tp
    tn = (n - n_pos) - fp
    f1_pos = 2 * tp / np.maximum(2 * tp + fp + fn, 1)
    f1_neg = 2 * tn / np.maximum(2 * tn + fn + fp, 1)
    macro = (f1_pos + f1_neg) / 2
    best = np.flatnonzero(np.isclose(macro, macro.max(), rtol=0.0, atol=1e-12))
    distance = np.abs(platt.a * candidates[best] + platt.b)  # |logit|: nearness to 0.5
    threshold = float(candidates[best[int(np.argmin(distance))]])
    return Platt(platt.a, -platt.a * threshold)
