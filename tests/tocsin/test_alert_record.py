"""An alert version on the wire: the fields analysts' closing added (``resolved_by``,
``dismissed_reason``) appear only once set, so the release before them still reads every
version no analyst closed (its ``Alert`` forbids unknown fields) during a rolling upgrade."""

from __future__ import annotations

from typing import Any

from pydantic import create_model

from tests.tocsin.test_cap import make_alert
from tocsin.schema import Alert, Record

ADDED_BY_THE_DESK = {"resolved_by", "dismissed_reason"}

PreviousAlert: type[Record] = create_model(  # Alert as the release before the desk reads it
    "PreviousAlert", __base__=Record,
    **{name: (field.annotation, field) for name, field in Alert.model_fields.items()  # type: ignore[call-overload]
       if name not in ADDED_BY_THE_DESK})


def test_a_version_no_analyst_closed_is_written_as_before_and_the_previous_release_reads_it() -> None:
    alert = make_alert(2)
    dumped: dict[str, Any] = alert.model_dump(mode="json")
    assert ADDED_BY_THE_DESK.isdisjoint(dumped)
    assert PreviousAlert.from_bytes(alert.to_bytes()).model_dump(mode="json") == dumped
    assert Alert.from_bytes(alert.to_bytes()) == alert


def test_a_dismissed_version_carries_who_and_why() -> None:
    alert = make_alert(2, status="resolved", event="dismissed", resolved_by="ana",
                       dismissed_reason="a film review")
    dumped = alert.model_dump(mode="json")
    assert (dumped["resolved_by"], dumped["dismissed_reason"]) == ("ana", "a film review")
    assert Alert.from_bytes(alert.to_bytes()) == alert
    assert Alert.from_document(dumped) == alert
