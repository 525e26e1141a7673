"""State and signals written by the release before typed state and the signal union
still work: a worker upgraded in place reads its changelogged table and the records
left on ``alerts.matches``, and carries on exactly as the old code would have.

``data/engine_v1.json`` was recorded with the engine of commit d124ae0: every rule
type fed items, ticks and actions (phase 1), the state store and watch store at
that point, the signals of phase 2 as that release wrote them on the topic, and
what it made of them (alert versions and the final stores).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from alerts.engine import Engine
from alerts.rules import load_rules
from alerts.state import MappingStore
from tocsin.schema import ActionSignal, ItemSignal, TickSignal, parse_signal

RECORDED = Path(__file__).parent / "data" / "engine_v1.json"


@pytest.fixture(scope="module")
def recorded() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(RECORDED.read_text(encoding="utf-8"))
    return data


def resumed(recorded: dict[str, Any], tmp_path: Path) -> tuple[Engine, MappingStore, MappingStore]:
    rules = tmp_path / "rules.yaml"
    rules.write_text(recorded["rules"], encoding="utf-8")
    state = MappingStore(json.loads(json.dumps(recorded["state"])))
    watch = MappingStore(json.loads(json.dumps(recorded["watch"])))
    return Engine(load_rules(rules), state, watch), state, watch


def test_old_records_on_the_topic_parse_as_their_kind(recorded: dict[str, Any]) -> None:
    kinds = [type(parse_signal(raw.encode())) for raw, _ in recorded["signals"]]
    assert {ItemSignal, TickSignal, ActionSignal} == set(kinds)


def test_old_state_carries_on_to_the_same_alert_versions(recorded: dict[str, Any], tmp_path: Path) -> None:
    engine, _, _ = resumed(recorded, tmp_path)
    versions = [version.model_dump(mode="json") for raw, clock in recorded["signals"]
                for version in engine.handle(parse_signal(raw.encode()), clock)]
    assert versions == recorded["versions"]


def test_state_is_written_in_the_layout_it_was_read_in(recorded: dict[str, Any], tmp_path: Path) -> None:
    engine, state, watch = resumed(recorded, tmp_path)
    for raw, clock in recorded["signals"]:
        engine.handle(parse_signal(raw.encode()), clock)
    assert json.loads(json.dumps(dict(state.mapping))) == recorded["final_state"]
    assert json.loads(json.dumps(dict(watch.mapping))) == recorded["final_watch"]


def test_every_rule_type_and_lifecycle_event_is_in_the_recording(recorded: dict[str, Any]) -> None:
    events = {(v["rule_type"], v["event"]) for v in recorded["phase1_versions"] + recorded["versions"]}
    assert {rule_type for rule_type, _ in events} == {
        "frequency", "spike", "cardinality", "percentage", "first_seen", "flatline"}
    assert {"opened", "updated", "escalated", "resolved", "acknowledged", "noted"} <= {e for _, e in events}
