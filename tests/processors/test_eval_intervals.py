"""Bootstrap intervals of the eval figures: how far a figure on n rows could move by chance."""

from __future__ import annotations

import re

import pytest

from processors.evaluation.classify import binary_report
from processors.evaluation.intervals import MEASURES, bootstrap_intervals, interval_line


def _decisions(n: int, wrong_every: int) -> tuple[list[bool], list[bool]]:
    gold = [i % 2 == 0 for i in range(n)]
    predicted = [g != (i % wrong_every == 0) for i, g in enumerate(gold)]
    return gold, predicted


def test_the_interval_holds_the_measured_figure_and_narrows_as_rows_grow() -> None:
    widths = []
    for n in (60, 600, 6000):
        gold, predicted = _decisions(n, wrong_every=5)
        report = binary_report(gold, predicted)
        intervals = bootstrap_intervals(gold, predicted)
        assert set(intervals) == set(MEASURES)
        low, high = intervals["macro_f1"]
        assert low <= report.macro_f1 <= high
        assert intervals["recall"][0] <= report.positive.recall <= intervals["recall"][1]
        assert intervals["precision"][0] <= report.positive.precision <= intervals["precision"][1]
        widths.append(high - low)
    # ~1/sqrt(n): 60 rows move macro-F1 by about ±0.1, 6,000 by about ±0.01
    assert widths[0] > 0.15 and widths[2] < 0.03 and widths[0] > widths[1] > widths[2]


def test_perfect_decisions_have_no_spread_and_the_same_rows_give_the_same_interval() -> None:
    gold = [True, False] * 20
    assert bootstrap_intervals(gold, gold)["macro_f1"] == (1.0, 1.0)
    gold, predicted = _decisions(200, wrong_every=4)
    assert bootstrap_intervals(gold, predicted) == bootstrap_intervals(gold, predicted), "seeded"
    assert bootstrap_intervals(gold, predicted, seed=1) != bootstrap_intervals(gold, predicted)


def test_a_large_file_is_resampled_in_bounded_steps_with_the_same_result_shape() -> None:
    gold, predicted = _decisions(50_000, wrong_every=10)
    low, high = bootstrap_intervals(gold, predicted, resamples=120)["accuracy"]
    assert low <= 0.9 <= high and high - low < 0.01


def test_no_rows_no_interval_and_mismatched_lengths_are_refused() -> None:
    assert bootstrap_intervals([], []) == {}
    with pytest.raises(ValueError, match="3 gold labels but 2 predictions"):
        bootstrap_intervals([True, False, True], [True, False])


def test_the_printed_line_names_the_level_method_and_each_measure() -> None:
    line = interval_line({"macro_f1": (0.7123, 0.7811), "accuracy": (0.7, 0.8)}, ("macro_f1", "accuracy"))
    assert line == ("95% intervals (bootstrap over the rows, 1,000 resamples): "
                    "macro_f1 0.712-0.781, accuracy 0.700-0.800")
    assert re.search(r"macro_f1 \d\.\d{3}-\d\.\d{3}", line)
