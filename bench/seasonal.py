"""The spike rule's two baselines on a stream with a weekly rhythm, and the backtest's lead time.

Run ``python -m bench.seasonal``. A synthetic stream of violence reports over
``--weeks`` weeks in ``--regions`` regions of one country: a daily rhythm
(busier by day) and a weekly one (every Friday 12:00–15:00 UTC each region is
several times busier: a market day, a weekly sermon — something that is no news).
In the last two weeks ``--anomalies`` unusual hours are added at random (not on a
Friday afternoon): ten more reports within an hour, each followed ``--lead`` hours
later by a reference event in that region (the attack the chatter came before).

Each baseline of ``spike`` (recent: the 24 hours before; seasonal: the same hour of
the weekday in the 4 weeks before, robust z-score) is replayed through the rules
engine as ``tocsin backtest`` replays the archive (``alerts.backtest.replay``), and
``alerts.leadtime`` matches the alerts opened in the last two weeks with the events,
as ``tocsin backtest --events`` does — with a lookback of one day, so that a Friday
alert does not take the credit for an event days later. Printed per baseline: alerts
opened, those on a Friday afternoon (the rhythm), events warned of, the median lead
time, and alerts that matched no event.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from alerts.backtest import replay
from alerts.leadtime import ReferenceEvent, lead_times, opened_at
from alerts.rules import load_rules
from tocsin.schema import Alert, CategoryHit, EnrichedItem, SourceRef

T0 = datetime(2026, 9, 6, tzinfo=UTC)  # a Sunday
RULES = """
rules:
  - name: {name}
    type: spike
    filter: {{categories: [violence_report], min_score: 0.5}}
    group_by: [country, admin1]
    window: 1h
    min_count: {min_count}
{extra}
"""
BASELINES = {
    "recent": "    baseline_windows: 24\n    ratio: 3\n",
    "seasonal": "    baseline: seasonal\n    seasons: 4\n    min_z: 3\n",
}


def rate(hour_of_week: int) -> float:
    """Reports per hour in one region: 0.3 at night, 1.5 by day, 10 on Friday afternoons."""
    day, hour = divmod(hour_of_week, 24)
    if day == 5 and 12 <= hour < 15:
        return 10.0
    return 1.5 if 8 <= hour < 20 else 0.3


def friday_afternoon(when: datetime) -> bool:
    return when.weekday() == 4 and 12 <= when.hour < 15


def stream(weeks: int, regions: int, anomalies: int, lead_h: float,
           seed: int = 11) -> tuple[list[EnrichedItem], list[ReferenceEvent]]:
    rng = np.random.default_rng(seed)
    times: list[tuple[datetime, str]] = []
    for region in range(regions):
        for hour in range(weeks * 7 * 24):
            for _ in range(rng.poisson(rate(hour % (7 * 24)))):
                times.append((T0 + timedelta(hours=hour, seconds=float(rng.uniform(0, 3600))), f"R{region}"))
    events = []
    last_weeks = range((weeks - 2) * 7 * 24, weeks * 7 * 24 - int(lead_h) - 1)
    for _ in range(anomalies):
        while friday_afternoon(start := T0 + timedelta(hours=int(rng.choice(last_weeks)))):
            pass
        where = f"R{rng.integers(regions)}"
        times += [(start + timedelta(seconds=float(rng.uniform(0, 3600))), where) for _ in range(10)]
        events.append(ReferenceEvent(start + timedelta(hours=lead_h), "XX", where, "armed_attack"))
    times.sort()
    hit = {"violence_report": CategoryHit(score=0.9, classifier="bench")}
    items = [EnrichedItem(id=f"b-{n}", source=SourceRef(type="rss", name="bench"), title="report",
                          text="report", published=when, collected=when, raw_sha256="0" * 64,
                          content_sha256=f"{n}", lang="en", lang_confidence=1.0, categories=hit,
                          country="XX", admin1=region, processed=when)
             for n, (when, region) in enumerate(times)]
    return items, events


def measure(baseline: str, items: list[EnrichedItem], events: list[ReferenceEvent],
            weeks: int, min_count: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rules.yaml"
        text = RULES.format(name=f"spike-{baseline}", min_count=min_count, extra=BASELINES[baseline])
        path.write_text(text, encoding="utf-8")
        rule = load_rules(path)[0]
    end = T0 + timedelta(weeks=weeks)
    versions = replay(rule, items, T0, end, tick_s=600.0, now=end)
    measured_from = T0 + timedelta(weeks=weeks - 2)
    opened: list[Alert] = [v for v in versions if v.event == "opened" and opened_at(v) >= measured_from]
    leads, unmatched = lead_times(events, opened, lookback=timedelta(days=1), grace=timedelta(hours=1))
    warned = [lead.lead_hours for lead in leads if lead.lead_hours is not None and lead.lead_hours >= 0]
    return {"opened": len(opened), "friday": sum(friday_afternoon(opened_at(a)) for a in opened),
            "warned": len(warned), "events": len(events),
            "median_lead_h": statistics.median(warned) if warned else float("nan"),
            "no_event": len(unmatched)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weeks", type=int, default=6)
    parser.add_argument("--regions", type=int, default=4)
    parser.add_argument("--anomalies", type=int, default=12)
    parser.add_argument("--lead", type=float, default=12.0, help="hours from an unusual hour to its event")
    parser.add_argument("--min-count", type=int, default=3, help="the rules' min_count")
    args = parser.parse_args()
    items, events = stream(args.weeks, args.regions, args.anomalies, args.lead)
    print(f"{len(items)} reports over {args.weeks} weeks in {args.regions} regions; {len(events)} events "
          f"in the last two weeks, each {args.lead:g} h after an unusual hour")
    print(f"{'baseline':<10} {'opened':>6} {'Friday':>6} {'warned':>9} {'median lead':>12} {'no event':>9}")
    for baseline in BASELINES:
        m = measure(baseline, items, events, args.weeks, args.min_count)
        print(f"{baseline:<10} {m['opened']:>6} {m['friday']:>6} {m['warned']:>4}/{m['events']:<4} "
              f"{m['median_lead_h']:>10.1f} h {m['no_event']:>9}")


if __name__ == "__main__":
    main()
