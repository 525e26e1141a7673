"""bench/seasonal.py: both baselines warn of every event; the recent one alone is fooled by the
Friday rhythm."""

from __future__ import annotations

from bench.seasonal import measure, stream


def test_the_seasonal_baseline_keeps_the_weekly_rhythm_quiet_and_still_warns_of_every_event() -> None:
    items, events = stream(weeks=6, regions=2, anomalies=4, lead_h=12.0)
    recent = measure("recent", items, events, weeks=6, min_count=5)
    seasonal = measure("seasonal", items, events, weeks=6, min_count=5)
    assert recent["warned"] == seasonal["warned"] == len(events) == 4
    assert 11.0 <= seasonal["median_lead_h"] <= 12.0
    assert recent["friday"] >= 4 and seasonal["friday"] <= 1
    assert seasonal["no_event"] < recent["no_event"]
