"""Where the hate head's 0.5 falls (``--hate-calibration``): balanced, at the prior, or best macro-F1."""

from __future__ import annotations

import numpy as np
import pytest

from processors.classifiers.ngram import Platt
from processors.evaluation.classify import binary_report
from processors.training.calibrate import fit_platt
from processors.training.operating_point import OperatingPoint, fit_operating_point, macro_f1_shift


def overlapping(n_pos: int, n_neg: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    scores = np.concatenate([rng.normal(1.0, 1.0, n_pos), rng.normal(-1.0, 1.0, n_neg)])
    return scores, np.arange(n_pos + n_neg) < n_pos


def test_balanced_is_today_s_fit() -> None:
    scores, positive = overlapping(30, 170)
    assert fit_operating_point(scores, positive, OperatingPoint.BALANCED) == fit_platt(
        scores, positive, balanced=True
    )


@pytest.mark.parametrize(("n_pos", "n_neg", "rarer"), [(30, 170, True), (170, 30, False)])
def test_the_prior_fit_moves_0_5_towards_the_rarer_class_s_side(n_pos: int, n_neg: int, rarer: bool) -> None:
    scores, positive = overlapping(n_pos, n_neg)
    balanced = fit_operating_point(scores, positive, OperatingPoint.BALANCED)
    prior = fit_operating_point(scores, positive, OperatingPoint.PRIOR)
    assert prior == fit_platt(scores, positive, balanced=False)
    # rare positives: a lower intercept, fewer hits at 0.5; common positives: the other way round
    assert (prior.b < balanced.b - 0.5) if rarer else (prior.b > balanced.b + 0.5)
    hits = {name: int((fit(scores) >= 0.5).sum()) for name, fit in (("balanced", balanced), ("prior", prior))}
    assert (hits["prior"] < hits["balanced"]) if rarer else (hits["prior"] > hits["balanced"])


def macro_f1(positive: np.ndarray, hit: np.ndarray) -> float:
    return binary_report(positive.tolist(), hit.tolist()).macro_f1


def test_the_macro_f1_shift_lands_0_5_on_the_best_calibration_score() -> None:
    scores, positive = overlapping(40, 160, seed=3)
    balanced = fit_platt(scores, positive, balanced=True)
    shifted = fit_operating_point(scores, positive, OperatingPoint.MACRO_F1)
    assert shifted.a == balanced.a, "the slope, and so every ranking, is kept"
    best = max(np.unique(scores), key=lambda t: macro_f1(positive, scores >= t))
    assert shifted(np.array([best]))[0] == 0.5
    below = scores[scores < best].max()
    assert shifted(np.array([below]))[0] < 0.5
    assert macro_f1(positive, shifted(scores) >= 0.5) == pytest.approx(macro_f1(positive, scores >= best))
    assert macro_f1(positive, shifted(scores) >= 0.5) > macro_f1(positive, balanced(scores) >= 0.5)


def test_among_equally_good_thresholds_the_shift_takes_the_one_nearest_the_unshifted_0_5() -> None:
    # thresholds 1.0 and 3.0 each misclassify one row (a false alarm or a miss): the same macro-F1
    scores = np.array([0.0, 1.0, 2.0, 3.0])
    positive = np.array([False, True, False, True])
    assert macro_f1(positive, scores >= 1.0) == macro_f1(positive, scores >= 3.0)
    assert all(macro_f1(positive, scores >= t) <= macro_f1(positive, scores >= 1.0) for t in scores)
    near_three = macro_f1_shift(Platt(1.0, -2.9), scores, positive)
    near_one = macro_f1_shift(Platt(1.0, -1.2), scores, positive)
    assert (near_three.a, near_three.b) == (1.0, -3.0)
    assert (near_one.a, near_one.b) == (1.0, -1.0)


def test_an_unknown_operating_point_is_refused_naming_the_choices() -> None:
    assert OperatingPoint.parse("macro-f1") is OperatingPoint.MACRO_F1
    message = "--hate-calibration 'even': expected one of balanced, prior, macro-f1"
    with pytest.raises(ValueError, match=message):
        OperatingPoint.parse("even")
