"""The ``incidents`` rule type through the engine: it counts incidents, corroboration by
independent sources and languages, and keeps amplified copies out of corroboration."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from alerts.rules import RuleConfigError
from tests.alerts.factories import T0
from tests.alerts.test_engine import engine_for, feed
from tocsin.schema import Alert, Amplification, IncidentRef

CORROBORATED = """
rules:
  - name: corroborated
    type: incidents
    threshold: 2
    min_sources: 2
    window: 6h
    filter: {categories: [violence_report]}
"""


def report(
    engine, item_id: str, minutes: float, incident: str, origin: str, *, lang: str = "en", burst: bool = False
) -> list[Alert]:
    amplification = (
        Amplification(
            cluster="dup-1", accounts=62, items=70, first_seen=T0, last_seen=T0 + timedelta(minutes=4)
        )
        if burst
        else None
    )
    return feed(
        engine,
        item_id,
        minutes,
        lang=lang,
        incident=IncidentRef(id=incident, origin=origin),
        amplification=amplification,
        title=f"report {item_id}",
    )


def test_nine_reports_of_one_attack_are_one_incident_not_nine(tmp_path: Path) -> None:
    engine = engine_for(tmp_path, CORROBORATED)
    out = [alert for n in range(9) for alert in report(engine, f"a{n}", n, "inc-a", f"outlet{n}")]
    assert out == []
    raised = report(engine, "b1", 20, "inc-b", "wire") + report(engine, "b2", 21, "inc-b", "radio")
    (alert,) = raised
    assert alert.rule_type == "incidents" and alert.count == 2 and alert.threshold == 2
    assert "2 incidents in 6h, each from 2+ independent sources" in alert.title
    assert alert.details["incident_ids"] == "inc-a,inc-b"
    assert str(alert.details["incidents"]).startswith("inc-a (9 sources, 1 languages, 9 items): report a0")


def test_syndicated_copies_and_amplified_posts_do_not_corroborate(tmp_path: Path) -> None:
    engine = engine_for(tmp_path, CORROBORATED)
    # incident a: one wire story carried by five sites (all count for the wire) — one source
    for n in range(5):
        assert report(engine, f"a{n}", n, "inc-a", "wire") == []
    # incident b: one original report, and a campaign of copies from many accounts
    assert report(engine, "b0", 10, "inc-b", "blog") == []
    for n in range(5):
        assert report(engine, f"b{n + 1}", 11 + n, "inc-b", f"acct{n}", burst=True) == []


def test_amplified_only_raises_on_the_campaign_and_says_so(tmp_path: Path) -> None:
    engine = engine_for(
        tmp_path,
        """
rules:
  - name: campaign
    type: incidents
    amplified: only
    filter: {categories: [violence_report]}
""",
    )
    assert report(engine, "x", 0, "inc-x", "blog") == []
    (alert,) = report(engine, "y", 1, "inc-y", "acct1", burst=True)
    assert alert.count == 1 and "1 amplified incidents in 1h" in alert.title
    assert alert.details["amplification"] == "62 accounts, 4 minutes, same text"


def test_languages_are_required_when_asked(tmp_path: Path) -> None:
    engine = engine_for(
        tmp_path,
        """
rules:
  - name: two-languages
    type: incidents
    min_languages: 2
    filter: {categories: [violence_report]}
""",
    )
    assert report(engine, "en1", 0, "inc-a", "wire") == []
    assert report(engine, "en2", 1, "inc-a", "radio") == []
    (alert,) = report(engine, "ar1", 2, "inc-a", "aljazeera", lang="ar")
    assert "in 2+ languages" in alert.title


def test_items_without_an_incident_do_not_count(tmp_path: Path) -> None:
    engine = engine_for(tmp_path, "rules:\n  - name: any\n    type: incidents\n")
    assert feed(engine, "plain", 0) == []


def test_a_redelivered_item_counts_once(tmp_path: Path) -> None:
    engine = engine_for(tmp_path, CORROBORATED.replace("threshold: 2", "threshold: 1"))
    assert report(engine, "a", 0, "inc-a", "wire") == []
    assert report(engine, "a", 0, "inc-a", "radio") == []  # same item again (say, re-fused after a restart)


@pytest.mark.parametrize(("field", "value"), [("min_sources", 0), ("amplified", "maybe"), ("threshold", 0)])
def test_bad_settings_are_refused_naming_the_field(tmp_path: Path, field: str, value: object) -> None:
    with pytest.raises(RuleConfigError, match=field):
        engine_for(tmp_path, f"rules:\n  - name: x\n    type: incidents\n    {field}: {value}\n")
