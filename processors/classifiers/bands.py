"""Deferral bands: where a cheap route's score is too uncertain to decide, and a costlier one is asked.

A route of the encoder plug-in may defer a category: scores in ``[low, high)``
go on to the next route that fits the item, whose verdict stands; a score below
``low`` is a "no" and one at ``high`` or above a "yes" without that route. So a
cheap encoder (USE, ~1 ms a post) reads everything and multilingual-e5 (~30 ms
a post, ~100 ms a news lead) only what USE cannot settle. The bands of the
shipped configuration are chosen on the calibration split by
``python -m processors.training.defer_bands`` (kept: a share of e5's own
calibration finds per language), never on dev.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import AfterValidator


def _ordered(band: tuple[float, float]) -> tuple[float, float]:
    low, high = band
    if not 0.0 <= low <= high <= 1.0:
        raise ValueError(f"a band is [low, high) with 0 <= low <= high <= 1, got [{low}, {high}]")
    return band


Band = Annotated[tuple[float, float], AfterValidator(_ordered)]
"""``[low, high)`` on the calibrated score; ``high`` 1.0 or more: every score from ``low`` is deferred."""


def split_band(scores: np.ndarray, band: tuple[float, float] | None) -> np.ndarray:
    """Which of ``scores`` fall in ``band`` (to be deferred); none when there is no band."""
    if band is None:
        return np.zeros(len(scores), dtype=bool)
    low, high = band
    return (scores >= low) & ((scores < high) if high < 1.0 else True)
