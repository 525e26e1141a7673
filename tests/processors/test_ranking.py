import numpy as np
import pytest

from processors.training.ranking import average_precision


def test_average_precision_is_the_mean_precision_at_each_hit() -> None:
    scores = np.array([0.9, 0.8, 0.7, 0.1])
    positive = np.array([True, False, True, False])
    assert average_precision(scores, positive) == pytest.approx((1 / 1 + 2 / 3) / 2)


def test_average_precision_without_positives_is_zero() -> None:
    assert average_precision(np.array([0.5, 0.4]), np.array([False, False])) == 0.0
