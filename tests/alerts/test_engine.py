"""The rules engine with dict-backed state: lifecycle, escalation, hysteresis, actions,
first_seen, flatline and reload — the same code the worker runs over Faust tables."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from alerts.engine import Engine
from alerts.reload import RulesFile
from alerts.rules import RuleConfigError, load_rules
from alerts.rules.base import match_all
from alerts.state import MappingStore
from tests.alerts.factories import T0, enriched
from tocsin.schema import ActionSignal, Alert, AlertAction

VIOLENT = {"violence_report": 0.9}


def engine_for(tmp_path: Path, text: str) -> Engine:
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    return Engine(load_rules(path), MappingStore(), MappingStore())


def feed(engine: Engine, item_id: str, minutes: float, *, country: str = "SD", clock: float | None = None,
         **extra: object) -> list[Alert]:
    item = enriched(item_id, minutes=minutes, country=country, categories=VIOLENT, **extra)  # type: ignore[arg-type]
    out: list[Alert] = []
    for match in match_all(engine.rules, item):
        now = clock if clock is not None else (T0 + timedelta(minutes=minutes)).timestamp()
        out += engine.handle(match, now)
    return out


def tick(engine: Engine, minutes: float) -> list[Alert]:
    when = T0 + timedelta(minutes=minutes)
    out: list[Alert] = []
    for watched in list(engine.watched()):
        out += engine.handle(watched.tick(when), when.timestamp())
    return out


def act(engine: Engine, alert: Alert, kind: str, minutes: float, text: str = "") -> list[Alert]:
    when = T0 + timedelta(minutes=minutes)
    action = AlertAction(alert_id=alert.id, type=kind, actor="ana", text=text, at=when)  # type: ignore[arg-type]
    signal = ActionSignal(rule=alert.rule, group_key=alert.group_key, group=alert.group, event_time=when,
                          action=action)
    return engine.handle(signal, when.timestamp())


FREQUENCY = """
rules:
  - name: burst
    type: frequency
    filter: {categories: [violence_report], min_score: 0.5}
    window: 1h
    step: 10m
    threshold: 3
    realert: 10m
    escalate: [{at: 6, severity: severe}, {at: 10, severity: extreme}]
    resolve: {below: 2, hold: 30m}
"""


def test_an_alert_opens_updates_escalates_and_resolves_after_the_hold(tmp_path: Path) -> None:
    engine = engine_for(tmp_path, FREQUENCY)
    assert feed(engine, "a", 0) + feed(engine, "b", 1) == []
    [opened] = feed(engine, "c", 2)
    assert (opened.event, opened.version, opened.status, opened.severity, opened.count) == (
        "opened", 1, "open", "warning", 3)
    # A fourth item within realert changes the count but sends nothing yet …
    assert feed(engine, "d", 3) == []
    # … a fifth after realert does: an update of the same alert.
    [updated] = feed(engine, "e", 15)
    assert (updated.id, updated.event, updated.version, updated.count) == (opened.id, "updated", 2, 5)
    # The sixth crosses an escalation step: sent at once, whatever realert says.
    [escalated] = feed(engine, "f", 16)
    assert (escalated.event, escalated.version, escalated.severity) == ("escalated", 3, "severe")
    assert escalated.opened_at == opened.opened_at
    # Quiet: at 80 min the window ending now holds nothing (< below=2): the hold starts …
    assert tick(engine, 80) == []
    assert tick(engine, 100) == []
    # … and after 30 minutes below, the alert resolves, once.
    [resolved] = tick(engine, 111)
    assert (resolved.event, resolved.status, resolved.version) == ("resolved", "resolved", 4)
    assert resolved.resolved_at == T0 + timedelta(minutes=111)
    assert tick(engine, 140) == []
    assert list(engine.watched()) == []


def test_hysteresis_an_alert_hovering_above_the_lower_threshold_stays_open(tmp_path: Path) -> None:
    engine = engine_for(tmp_path, FREQUENCY)
    for i, minute in enumerate((0, 1, 2)):
        feed(engine, f"x{i}", minute)
    # Two items in every hour from now on: below the threshold (3), not below `below` (2).
    for hour in range(1, 4):
        feed(engine, f"h{hour}a", hour * 60 + 5)
        feed(engine, f"h{hour}b", hour * 60 + 6)
        assert tick(engine, hour * 60 + 30) == []
        assert tick(engine, hour * 60 + 59) == []
    assert [w.rule for w in engine.watched()] == ["burst"]


def test_the_hold_restarts_when_the_level_climbs_back(tmp_path: Path) -> None:
    engine = engine_for(tmp_path, FREQUENCY)
    for i in range(3):
        feed(engine, f"x{i}", i)
    assert tick(engine, 70) == []          # below since 70
    for i in range(3):                     # back up (3 in the window ending at 95)
        feed(engine, f"y{i}", 90 + i, clock=(T0 + timedelta(minutes=90 + i)).timestamp())
    assert tick(engine, 95) == []
    assert tick(engine, 105) == []         # 35 min after 70, but the hold restarted
    assert tick(engine, 160) == []         # below again since 160 …
    [resolved] = tick(engine, 191)         # … resolves 30 min later
    assert resolved.event == "resolved"


def test_actions_make_versions_and_survive_updates(tmp_path: Path) -> None:
    engine = engine_for(tmp_path, FREQUENCY)
    for i in range(3):
        [*_] = feed(engine, f"x{i}", i)
    opened = Alert.model_validate(engine.state.get("L|burst|country=SD")["current"])  # type: ignore[index]
    [acked] = act(engine, opened, "acknowledge", 5)
    assert (acked.event, acked.version, acked.acknowledged_by) == ("acknowledged", 2, "ana")
    assert act(engine, opened, "acknowledge", 6) == []  # twice changes nothing
    [assigned] = act(engine, opened, "assign", 7, "field-team-sd")
    [noted] = act(engine, opened, "note", 8, "<b>confirmed</b> by phone")
    assert act(engine, opened, "note", 8, "<b>confirmed</b> by phone") == []  # redelivered action
    assert (assigned.version, noted.version, noted.assigned_to) == (3, 4, "field-team-sd")
    assert [n.text for n in noted.notes] == ["<b>confirmed</b> by phone"]
    later = [a for i in range(3, 6) for a in feed(engine, f"x{i}", 20 + i)]
    assert [(a.event, a.version) for a in later] == [("updated", 5), ("escalated", 6)]
    escalated = later[-1]
    assert (escalated.acknowledged_by, escalated.assigned_to, len(escalated.notes)) == (
        "ana", "field-team-sd", 1)


def test_an_action_on_an_unknown_alert_is_ignored(tmp_path: Path) -> None:
    engine = engine_for(tmp_path, FREQUENCY)
    for i in range(3):
        feed(engine, f"x{i}", i)
    ghost = Alert.model_validate(engine.state.get("L|burst|country=SD")["current"])  # type: ignore[index]
    assert act(engine, ghost.model_copy(update={"id": "a-nope"}), "note", 5, "hi") == []


def test_a_resolved_incident_reopens_as_a_new_alert_when_the_group_fires_again(tmp_path: Path) -> None:
    engine = engine_for(tmp_path, FREQUENCY)
    first = [a for i in range(3) for a in feed(engine, f"x{i}", i)]
    tick(engine, 70)
    [resolved] = tick(engine, 101)
    second = [a for i in range(3) for a in feed(engine, f"y{i}", 300 + i)]
    assert [a.event for a in [*first, resolved, *second]] == ["opened", "resolved", "opened"]
    assert second[0].id != first[0].id and second[0].version == 1


SPIKE = """
rules:
  - name: jump
    type: spike
    filter: {categories: [violence_report]}
    window: 1h
    baseline_windows: 3
    ratio: 2
    min_count: 3
"""


def test_spike_fires_through_the_engine_with_expected_and_z_score(tmp_path: Path) -> None:
    engine = engine_for(tmp_path, SPIKE)
    for hour in (-3, -2, -1):
        feed(engine, f"b{hour}", hour * 60 + 5)
    raised = [a for m in (5, 6, 7) for a in feed(engine, f"n{m}", m)]
    assert [(a.event, a.count, a.expected, a.z_score) for a in raised] == [("opened", 3, 1.0, 2.0)]


FIRST_SEEN = """
rules:
  - name: new-place
    type: first_seen
    filter: {categories: [violence_report]}
    group_by: [country]
    learn: 1d
    resolve: {hold: 1h}
  - name: new-term
    type: first_seen
    filter: {categories: [violence_report]}
    group_by: [lang]
    explode: tags
    learn: 1h
"""


def test_first_seen_learns_then_raises_once_per_new_value(tmp_path: Path) -> None:
    engine = engine_for(tmp_path, FIRST_SEEN)
    assert feed(engine, "sd", 0, country="SD") == []              # learning
    assert feed(engine, "ml", 60, country="ML") == []             # learning
    day = 24 * 60
    assert feed(engine, "sd2", day + 5, country="SD") == []       # known
    [new] = feed(engine, "cf", day + 10, country="CF")
    assert (new.rule, new.group, new.sample_item_ids) == ("new-place", {"country": "CF"}, ["cf"])
    assert feed(engine, "cf2", day + 11, country="CF") == []      # seen now
    [resolved] = tick(engine, day + 11) + tick(engine, day + 72)
    assert resolved.event == "resolved"


def test_first_seen_explodes_a_list_field_into_one_group_per_value(tmp_path: Path) -> None:
    engine = engine_for(tmp_path, FIRST_SEEN)
    feed(engine, "t0", 0, tags=["Militia"])
    raised = feed(engine, "t1", 120, tags=["militia", "Cockroaches"])
    terms = [a for a in raised if a.rule == "new-term"]
    assert [a.group for a in terms] == [{"lang": "en", "tags": "cockroaches"}]


FLATLINE = """
rules:
  - name: source-silent
    type: flatline
    group_by: [source.name]
    window: 6h
    history: 1d
    min_history: 5
    resolve: {hold: 1m}
"""


def test_flatline_raises_when_an_active_group_falls_silent_and_resolves_when_it_speaks(
        tmp_path: Path) -> None:
    engine = engine_for(tmp_path, FLATLINE)
    for i in range(12):  # one item an hour for 12 hours
        feed(engine, f"p{i}", i * 60)
    assert tick(engine, 12 * 60) == []          # still talking
    assert tick(engine, 16 * 60 + 30) == []     # the last 6 h still hold the last item (11:00)
    [silent] = tick(engine, 17 * 60 + 30)
    assert (silent.rule, silent.group, silent.count, silent.event) == (
        "source-silent", {"source.name": "feed-a"}, 0, "opened")
    assert silent.sample_item_ids[0] == "p11"   # the last items before the silence
    feed(engine, "back", 19 * 60)
    assert tick(engine, 19 * 60 + 1) == []     # speaking again: the hold starts
    [resolved] = tick(engine, 19 * 60 + 2)
    assert resolved.event == "resolved"


def test_flatline_ignores_a_group_that_was_never_active(tmp_path: Path) -> None:
    engine = engine_for(tmp_path, FLATLINE)
    feed(engine, "once", 0)
    assert tick(engine, 24 * 60) == []


@pytest.mark.parametrize(("text", "message"), [
    ("escalate: [{at: 5, severity: info}]", "is not above"),
    ("escalate: [{at: 5, severity: severe}, {at: 3, severity: extreme}]", "increasing order"),
    ("resolve: {hold: soon}", "resolve.hold"),
])
def test_lifecycle_config_errors_name_the_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(f"rules:\n  - {{name: r, type: frequency, threshold: 3, {text}}}\n")
    with pytest.raises(RuleConfigError, match=message):
        load_rules(path)


def test_flatline_refuses_escalation(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  - {name: f, type: flatline, escalate: [{at: 1, severity: severe}]}\n")
    with pytest.raises(RuleConfigError, match="flatline"):
        load_rules(path)


def test_reload_swaps_valid_rules_and_keeps_the_running_ones_on_a_broken_edit(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(FREQUENCY)
    watcher = RulesFile(path)
    engine = Engine(load_rules(path), MappingStore(), MappingStore())
    assert watcher.changed() is None
    path.write_text(FREQUENCY.replace("threshold: 3", "threshold: 2"))
    engine.replace(watcher.changed() or [])
    assert [a.event for a in feed(engine, "a", 0) + feed(engine, "b", 1)] == ["opened"]
    path.write_text(FREQUENCY.replace("threshold: 3", "threshold: lots"))
    assert watcher.changed() is None
    assert "rules not reloaded" in caplog.text and "threshold" in caplog.text
    assert [r.config.name for r in engine.rules] == ["burst"]


def test_a_changed_window_starts_counting_afresh_but_a_changed_threshold_does_not(tmp_path: Path) -> None:
    engine = engine_for(tmp_path, FREQUENCY.replace("threshold: 3", "threshold: 5"))
    for i in range(3):
        feed(engine, f"x{i}", i)
    engine.replace(load_rules(_write(tmp_path, FREQUENCY)))  # threshold 3: same windows
    assert [a.event for a in feed(engine, "x3", 3)] == ["opened"]
    engine2 = engine_for(tmp_path, FREQUENCY.replace("threshold: 3", "threshold: 5"))
    for i in range(3):
        feed(engine2, f"x{i}", i)
    engine2.replace(load_rules(_write(tmp_path, FREQUENCY.replace("window: 1h", "window: 2h"))))
    assert feed(engine2, "x3", 3) == []  # the 2h windows hold only this item


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules-new.yaml"
    path.write_text(text)
    return path


def test_old_buckets_are_deleted_so_state_stays_bounded(tmp_path: Path) -> None:
    engine = engine_for(tmp_path, FREQUENCY)
    for i in range(500):  # one item every 10 minutes for ~3.5 days
        feed(engine, f"s{i}", i * 10, clock=0.0)
    buckets = [k for k in engine.state.names() if "|b|" in k]
    # window (1h) + late (6h) in 10-minute buckets, and the current one
    assert len(buckets) <= 43


def test_an_item_delivered_twice_counts_once(tmp_path: Path) -> None:
    """At-least-once delivery: a crashed processors worker publishes its batch again."""
    engine = engine_for(tmp_path, FREQUENCY)
    assert feed(engine, "a", 0) + feed(engine, "b", 1) + feed(engine, "a", 0) + feed(engine, "b", 1) == []
    [opened] = feed(engine, "c", 2)
    assert opened.count == 3


def test_replayed_items_do_not_inflate_a_spike(tmp_path: Path) -> None:
    engine = engine_for(tmp_path, SPIKE)
    for hour in (-3, -2, -1):
        feed(engine, f"b{hour}", hour * 60 + 5)
    assert feed(engine, "n1", 5) + feed(engine, "n2", 6) + feed(engine, "n2", 6) + feed(engine, "n1", 5) == []
