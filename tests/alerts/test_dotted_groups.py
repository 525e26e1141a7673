"""Every rule type grouped by a dotted item field raises an alert the alerts index takes.

``group_by: [source.name]`` makes ``group: {"source.name": …}``, which the search
server reads as the object ``group.source``: the template must map any depth
under ``group`` (issue 14: the flatline example of the docs lost all its alerts).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from alerts.engine import Engine
from alerts.rules import load_rules
from alerts.rules.base import match_all
from alerts.state import MappingStore
from alerts.store import AlertStore
from tests.alerts.factories import T0, enriched
from tocsin.schema import Alert
from tocsin.search import search_client
from tocsin.settings import SearchSettings

pytestmark = pytest.mark.peers

BASE = "    filter: {categories: [violence_report], min_score: 0.5}\n    group_by: [source.name]\n"
RULES = {
    "frequency": "    window: 1h\n    threshold: 2\n",
    "spike": "    window: 1h\n    baseline_windows: 2\n    min_count: 2\n    ratio: 2\n",
    "flatline": "    window: 1h\n    threshold: 1\n    min_history: 1\n    history: 1d\n",
    "first_seen": "    learn: 1m\n    explode: categories.violence_report.terms\n",
    "cardinality": "    window: 1h\n    distinct: url\n    threshold: 2\n",
    "percentage": "    filter: {min_score: 0.0}\n    group_by: [source.name]\n    window: 1h\n"
                  "    threshold_pct: 40\n    min_total: 2\n",
}


def raise_one(tmp_path: Path, rule_type: str) -> Alert:
    """Drive the rule until it raises; its first alert."""
    extra = RULES[rule_type]
    head = f"rules:\n  - name: dotted-{rule_type.replace('_', '-')}\n    type: {rule_type}\n"
    text = head + (extra if "group_by" in extra else BASE + extra)
    if rule_type == "percentage":
        text = text.replace("    filter: {min_score: 0.0}\n", "    filter: {categories: [violence_report]}\n")
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    engine = Engine(load_rules(path), MappingStore(), MappingStore())
    raised: list[Alert] = []
    minute = 0
    for n in range(6):
        minute = n * 3 if rule_type != "first_seen" else n * 30
        item = enriched(f"i-{n}", minutes=minute, categories={"violence_report": 0.9})
        item.categories["violence_report"].terms = [f"term {n}"]
        for match in match_all(engine.rules, item):
            raised += engine.handle(match, (T0 + timedelta(minutes=minute)).timestamp())
    for hours in (2, 3):  # silence: what a flatline waits for
        when = T0 + timedelta(minutes=minute, hours=hours)
        for watched in list(engine.watched()):
            raised += engine.handle(watched.tick(when), when.timestamp())
    assert raised, f"the {rule_type} rule raised nothing"
    return raised[0]


@pytest.mark.parametrize("rule_type", sorted(RULES))
async def test_a_rule_grouped_by_a_dotted_field_is_indexed(tmp_path: Path, search_settings: SearchSettings,
                                                          rule_type: str) -> None:
    alert = raise_one(tmp_path, rule_type)
    assert alert.group["source.name"] == "feed-a"
    es = search_client(search_settings)
    suffix = uuid.uuid4().hex[:8]
    # Not tocsin-alerts-*: `tocsin init` (other tests, same server) installs tocsin-alerts*.
    store = AlertStore(es, f"dotted-alerts-{suffix}", f"dotted-alert-versions-{suffix}")
    try:
        await store.install()
        assert await store.store([alert]) == []
        doc = await es.get(index=store.index, id=alert.id)
        assert Alert.from_document(doc["_source"]).group == alert.group
        assert [version.version_id for version in await store.versions(alert.id)] == [alert.version_id]
    finally:
        await es.close()
