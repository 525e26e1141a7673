"""The signals on ``alerts.matches``: a tagged union of item, tick and action, readable by
the release before it (rolling upgrades) and reading that release's records."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Literal, TypedDict

import pytest
from pydantic import ValidationError

from tocsin.schema import ActionSignal, AlertAction, ItemSignal, Record, TickSignal, parse_signal

WHEN = datetime(2026, 3, 1, 12, tzinfo=UTC)


class Grouping(TypedDict):
    """The fields every kind of signal carries."""

    rule: str
    group_key: str
    group: dict[str, str | None]
    event_time: datetime


GROUP: Grouping = {"rule": "burst", "group_key": "country=SD", "group": {"country": "SD"}, "event_time": WHEN}


class PreviousAlertMatch(Record):
    """``AlertMatch`` as the release before the union reads it (commit d124ae0)."""

    rule: str
    group_key: str
    group: dict[str, str | None]
    item_id: str
    title: str = ""
    url: str | None = None
    event_time: datetime
    matched: bool = True
    value: str | None = None
    kind: Literal["item", "tick", "action"] = "item"
    action: AlertAction | None = None
    location: dict[str, float] | None = None


SIGNALS = [
    ItemSignal(**GROUP, item_id="i-1", title="<b>t</b>", url="https://x.example/1",
               location={"lat": 1, "lon": 2}, matched=False, value="x.example"),
    TickSignal(**GROUP),
    ActionSignal(**GROUP, action=AlertAction(alert_id="a-1", type="note", actor="ana", text="seen", at=WHEN)),
]


@pytest.mark.parametrize("signal", SIGNALS, ids=lambda s: s.kind)
def test_a_signal_round_trips_as_its_own_kind(signal: ItemSignal | TickSignal | ActionSignal) -> None:
    assert parse_signal(signal.to_bytes()) == signal


@pytest.mark.parametrize("signal", SIGNALS, ids=lambda s: s.kind)
def test_the_previous_release_reads_every_kind(signal: ItemSignal | TickSignal | ActionSignal) -> None:
    old = PreviousAlertMatch.from_bytes(signal.to_bytes())
    assert (old.kind, old.rule, old.group_key, old.event_time) == (signal.kind, "burst", "country=SD", WHEN)
    if isinstance(signal, ActionSignal):
        assert old.action == signal.action
    if isinstance(signal, ItemSignal):
        assert (old.item_id, old.matched, old.value, old.location) == ("i-1", False, "x.example",
                                                                       {"lat": 1, "lon": 2})


@pytest.mark.parametrize("signal", SIGNALS, ids=lambda s: s.kind)
def test_the_previous_releases_records_read_as_their_kind(
        signal: ItemSignal | TickSignal | ActionSignal) -> None:
    # the fields it had (the incident fields came later), every one, blanks included
    known = {k: v for k, v in signal.model_dump().items() if k in PreviousAlertMatch.model_fields}
    fields = {**known, "item_id": getattr(signal, "item_id", "")}
    if not isinstance(signal, ItemSignal):
        fields["matched"] = False
    old = PreviousAlertMatch(**fields).to_bytes()  # every field, blanks included, as it wrote them
    assert parse_signal(old) == signal


def test_ticks_and_actions_carry_no_item_fields() -> None:
    tick = json.loads(SIGNALS[1].to_bytes())
    assert set(tick) == {"rule", "group_key", "group", "event_time", "kind", "item_id"}
    assert tick["item_id"] == ""
    assert not hasattr(SIGNALS[1], "title") and not hasattr(SIGNALS[2], "matched")


def test_a_record_without_kind_is_an_item() -> None:
    raw = json.dumps({**GROUP, "event_time": WHEN.isoformat(), "item_id": "i-9"}).encode()
    assert isinstance(parse_signal(raw), ItemSignal)


@pytest.mark.parametrize("raw", [
    {**GROUP, "kind": "tick", "item_id": "i-1"},                     # a tick about an item is not a tick
    {**GROUP, "kind": "action"},                                      # an action without its action
    {**GROUP, "kind": "item"},                                        # an item without its id
    {**GROUP, "kind": "gossip", "item_id": ""},
])
def test_a_signal_that_is_not_one_of_the_three_is_invalid(raw: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        parse_signal(json.dumps({**raw, "event_time": WHEN.isoformat()}).encode())


def test_an_item_signal_without_incident_fields_writes_none_of_them() -> None:
    from datetime import UTC, datetime

    plain = ItemSignal(rule="r", group_key="k", group={}, event_time=datetime(2026, 1, 1, tzinfo=UTC),
                       item_id="i")
    assert not {"incident", "origin", "lang", "amplification"} & set(json.loads(plain.to_bytes()))
    fused = plain.model_copy(update={"incident": "inc-1", "origin": "wire", "lang": "ar"})
    assert parse_signal(fused.to_bytes()) == fused
