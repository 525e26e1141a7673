"""``spike`` with a seasonal baseline: the same hour of the week before, a robust z-score."""

from __future__ import annotations

from pathlib import Path

import pytest

from alerts.rules import RuleConfigError
from alerts.rules.spike import robust_stats, seasonal_level
from tests.alerts.test_engine import engine_for, feed
from tocsin.schema import Alert

HOUR, DAY, WEEK = 60, 24 * 60, 7 * 24 * 60  # minutes
SEASONAL = """
rules:
  - name: weekly
    type: spike
    window: 1h
    baseline: seasonal
    seasons: 4
    min_z: 3
    min_count: 3
    filter: {categories: [violence_report]}
"""


def burst(engine, at_minutes: float, count: int, tag: str) -> list[Alert]:
    return [alert for n in range(count) for alert in feed(engine, f"{tag}-{n}", at_minutes + n)]


def test_a_weekly_rhythm_raises_nothing_and_an_unusual_hour_raises_with_the_expected(tmp_path: Path) -> None:
    engine = engine_for(tmp_path, SEASONAL)
    friday_evening = 5 * DAY + 6 * HOUR  # T0 is a Sunday noon
    for week in range(4):
        burst(engine, friday_evening + week * WEEK, 10 + week % 2, f"w{week}")
    assert burst(engine, friday_evening + 4 * WEEK, 11, "w4") == []  # as busy as every Friday
    raised = burst(engine, 4 * WEEK + 2 * DAY + 15 * HOUR, 4, "tuesday")  # a quiet hour
    alert = raised[-1]
    assert alert.expected == 0 and alert.count == 3 and alert.z_score == 3.0
    assert "expected 0 at this time of the week" in alert.title
    assert alert.details["seasonal_counts"] == "0,0,0"  # the fourth week back is before the first item


def test_the_recent_baseline_would_have_raised_on_the_same_friday(tmp_path: Path) -> None:
    engine = engine_for(tmp_path, SEASONAL.replace("    baseline: seasonal\n", ""))
    friday_evening = 5 * DAY + 6 * HOUR
    for week in range(4):
        burst(engine, friday_evening + week * WEEK, 10, f"w{week}")
    assert burst(engine, friday_evening + 4 * WEEK, 10, "w4") != []


def test_weeks_before_the_first_item_are_not_zeros(tmp_path: Path) -> None:
    engine = engine_for(tmp_path, SEASONAL)
    # a group's first busy hour has no week behind it: the recent windows judge it (mean 0: 3 items raise)
    assert burst(engine, 0, 3, "first")[-1].details["baseline_windows"] == 24
    # one week later, its only season is the week before (3 items then, 3 now): no new alert
    burst(engine, 10 * HOUR, 1, "later")
    assert [alert.event for alert in burst(engine, WEEK, 3, "next")] == ["resolved"]  # the first one, at last


def test_robust_stats_ignore_one_holiday_spike() -> None:
    assert robust_stats([10, 11, 9, 80]) == (10.5, pytest.approx(1.4826))
    assert seasonal_level([10, 11, 9, 80], min_count=3, min_z=3) == pytest.approx(10.5 + 3 * 1.4826)


def test_a_seasonal_window_must_divide_the_week(tmp_path: Path) -> None:
    with pytest.raises(RuleConfigError, match="divides a week"):
        engine_for(tmp_path, SEASONAL.replace("window: 1h", "window: 5000s"))
