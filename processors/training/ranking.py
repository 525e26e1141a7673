"""Ranking quality of a score, shared by the first-stage and encoder-head training reports."""

from __future__ import annotations

import numpy as np


def average_precision(scores: np.ndarray, positive: np.ndarray) -> float:
    """Area under the precision-recall curve (step-wise, as in information retrieval)."""
    if not positive.any():
        return 0.0
    order = np.argsort(-scores, kind="stable")
    hits = positive[order]
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float(precision[hits].mean())
