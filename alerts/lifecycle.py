"""An alert's life: open → updated / escalated → resolved, and analysts' actions.

Pure functions over one group's lifecycle state (a small dict kept in the state
store), so they are tested without a broker and shared by the worker and the
backtest. Each change makes the next *version* of the alert; the caller
publishes it. ``clock`` is the time the change is stamped with (wall-clock time
in the worker, event time in a backtest).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypedDict

from alerts.rules.base import Reading, RuleConfig
from tocsin.schema import SEVERITIES, Alert, AlertAction, AlertNote

AlertJson = dict[str, Any]
"""An alert version as stored: ``Alert.model_dump(mode="json")``."""


class LifecycleState(TypedDict, total=False):
    """One group's alert lifecycle, as the state store keeps it (under ``L|rule|group_key``)."""

    current: AlertJson
    """The latest version of the group's latest incident (open, or resolved)."""
    past: dict[str, AlertJson]
    """The latest version of each of the last few incidents, by alert id: still actionable."""
    below_since: float | None
    """Since when the level has been past the resolve threshold (None: it is not)."""
    notified: float
    """When the last version was published (``realert`` paces updates from it)."""

# Latest versions of this many past incidents per group stay actionable (notes on
# a resolved alert); older ones are only in the index.
_KEPT_INCIDENTS = 5
_MAX_NOTES = 200


def _at(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def current(state: LifecycleState | None) -> Alert | None:
    if not state or not state.get("current"):
        return None
    return Alert.model_validate(state["current"])


def is_open(state: LifecycleState | None) -> bool:
    """Read off the stored dict: this runs for every signal, validation only when needed."""
    latest: AlertJson = (state or {}).get("current") or {}
    return latest.get("status") == "open"


def _validated(state: LifecycleState | None) -> Alert:
    alert = current(state)
    assert alert is not None, "an open group always has its current alert"
    return alert


def _with(state: LifecycleState | None, alert: Alert, *, notified: float | None = None) -> LifecycleState:
    """``state`` with ``alert`` as its current version; a version that is published
    (``notified`` set) also ends any count towards resolution."""
    new = LifecycleState(**(state or {}))
    new["current"] = alert.model_dump(mode="json")
    past = dict(new.get("past", {}))
    past[alert.id] = new["current"]
    new["past"] = dict(list(past.items())[-_KEPT_INCIDENTS:])
    if notified is not None:
        new["below_since"] = None
        new["notified"] = notified
    return new


def _below_since(state: LifecycleState | None, since: float | None) -> LifecycleState | None:
    """``state`` counting towards resolution since ``since`` (None: not); itself if unchanged,
    so that the caller writes nothing."""
    if (state or {}).get("below_since") == since:
        return state
    new = LifecycleState(**(state or {}))
    new["below_since"] = since
    return new


def advance(state: LifecycleState | None, reading: Reading, config: RuleConfig,
            clock: float) -> tuple[LifecycleState | None, Alert | None]:
    """The group's new state, and the new alert version if this reading makes one."""
    is_live = is_open(state)
    if reading.firing and reading.alert is not None and not is_live:
        return _open(state, reading, config, clock)
    if not is_live:
        return state, None
    if reading.firing and reading.alert is not None:
        return _update(state or {}, _validated(state), reading, config, clock)
    if not reading.clear:
        return _below_since(state, None), None
    below_since = (state or {}).get("below_since")
    if below_since is None:
        return _below_since(state, clock), None
    if clock - below_since < config.resolve.hold:
        return state, None
    alert = _validated(state)
    resolved = alert.model_copy(update={
        "status": "resolved", "event": "resolved", "version": alert.version + 1,
        "updated_at": _at(clock), "resolved_at": _at(clock),
    })
    return _with(state, resolved, notified=clock), resolved


def _open(state: LifecycleState | None, reading: Reading, config: RuleConfig,
          clock: float) -> tuple[LifecycleState, Alert]:
    assert reading.alert is not None
    fresh = reading.alert
    earlier = (state or {}).get("past", {}).get(fresh.id)
    # The same window re-firing after a resolution reopens that incident.
    version = Alert.model_validate(earlier).version + 1 if earlier else 1
    opened = fresh.model_copy(update={
        "status": "open", "event": "opened", "version": version,
        "severity": config.severity_at(reading.level),
        "opened_at": _at(clock), "updated_at": _at(clock), "raised_at": _at(clock),
    })
    return _with(state, opened, notified=clock), opened


def _update(state: LifecycleState, alert: Alert, reading: Reading, config: RuleConfig,
            clock: float) -> tuple[LifecycleState | None, Alert | None]:
    assert reading.alert is not None
    fresh = reading.alert
    severity = config.severity_at(reading.level)
    escalated = SEVERITIES.index(severity) > SEVERITIES.index(alert.severity)
    changed = (fresh.count, fresh.sample_item_ids) != (alert.count, alert.sample_item_ids)
    due = clock - state.get("notified", 0.0) >= config.realert
    if not escalated and not (changed and due):
        return _below_since(state, None), None
    # The incident keeps its id, opening, and what analysts did; the numbers are the rule's.
    kept = {"id", "opened_at", "raised_at", "acknowledged_by", "acknowledged_at", "assigned_to", "notes"}
    updated = fresh.model_copy(update={
        **{name: getattr(alert, name) for name in kept},
        "status": "open", "event": "escalated" if escalated else "updated",
        "version": alert.version + 1, "updated_at": _at(clock),
        "severity": severity if escalated else alert.severity,
        "first_seen": min(alert.first_seen, fresh.first_seen),
        "area": fresh.area or alert.area,
    })
    return _with(state, updated, notified=clock), updated


def act(state: LifecycleState | None, action: AlertAction,
        clock: float) -> tuple[LifecycleState | None, Alert | None]:
    """Apply an analyst's action to the alert it names; unknown alerts are ignored."""
    known = (state or {}).get("past", {}).get(action.alert_id)
    if known is None:
        return state, None
    alert = Alert.model_validate(known)
    changes: dict[str, Any] = {"version": alert.version + 1, "updated_at": _at(clock)}
    if action.type == "acknowledge":
        if alert.acknowledged_by is not None:
            return state, None  # acknowledging twice changes nothing
        changes.update(event="acknowledged", acknowledged_by=action.actor, acknowledged_at=action.at)
    elif action.type == "assign":
        if alert.assigned_to == action.text:
            return state, None
        changes.update(event="assigned", assigned_to=action.text or None)
    else:
        note = AlertNote(author=action.actor, text=action.text, at=action.at)
        if note in alert.notes:
            return state, None  # the same action delivered twice
        changes.update(event="noted", notes=[*alert.notes, note][-_MAX_NOTES:])
    changed = alert.model_copy(update=changes)
    is_current = current(state) is not None and current(state).id == alert.id  # type: ignore[union-attr]
    if is_current:
        return _with(state, changed), changed
    new_state = LifecycleState(**(state or {}))
    new_state["past"] = {**new_state.get("past", {}), alert.id: changed.model_dump(mode="json")}
    return new_state, changed
