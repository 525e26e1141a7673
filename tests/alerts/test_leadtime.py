"""Lead time: reference events matched with opened alerts by area and time."""

from __future__ import annotations

from datetime import timedelta

from alerts.leadtime import ReferenceEvent, lead_times
from tests.alerts.factories import T0
from tocsin.schema import Alert


def alert(alert_id: str, hours: float, group: dict[str, str | None], event: str = "opened") -> Alert:
    at = T0 + timedelta(hours=hours)
    return Alert(id=alert_id, rule="r", rule_type="frequency", title="t", group=group, group_key="k",
                 window_start=at, window_end=at, count=1, threshold=1, sample_item_ids=[], first_seen=at,
                 last_seen=at, event=event)  # type: ignore[arg-type]


def test_region_time_window_and_only_opened_versions_decide() -> None:
    event = ReferenceEvent(when=T0 + timedelta(days=3), country="SD", admin1="SD.49")
    versions = [
        alert("region", 24, {"country": "SD", "admin1": "SD.49"}),       # 48 h before: warned
        alert("country-only", 60, {"country": "SD"}),                     # no region: fits
        alert("other-region", 70, {"country": "SD", "admin1": "SD.29"}),  # another region
        alert("too-early", -120, {"country": "SD", "admin1": "SD.49"}),   # 8 days before
        alert("after", 80, {"country": "SD", "admin1": "SD.49"}),         # 8 h after, within grace
        alert("region", 30, {"country": "SD", "admin1": "SD.49"}, event="updated"),
    ]
    (lead,), unmatched = lead_times([event], versions)
    assert [a.id for a in lead.alerts] == ["region", "country-only", "after"]
    assert lead.lead_hours == 48.0
    assert sorted(a.id for a in unmatched) == ["other-region", "too-early"]
