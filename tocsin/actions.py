"""Analysts' actions (acknowledge, assign, note) travel as signals to the worker that
owns the alert's group, so that every change gets the next version in order."""

from __future__ import annotations

from tocsin.schema import ActionSignal, Alert, AlertAction


def action_signal(alert: Alert, action: AlertAction) -> tuple[bytes, bytes]:
    """Key and value to publish on ``alerts.matches`` for ``action`` on ``alert``."""
    if action.alert_id != alert.id:
        raise ValueError(f"action for {action.alert_id} sent with alert {alert.id}")
    signal = ActionSignal(rule=alert.rule, group_key=alert.group_key, group=alert.group,
                          event_time=action.at, action=action)
    return signal_key(alert.rule, alert.group_key), signal.to_bytes()


def signal_key(rule: str, group_key: str) -> bytes:
    """The partition key every signal for one rule and group shares."""
    return f"{rule}|{group_key}".encode()
