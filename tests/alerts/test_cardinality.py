from __future__ import annotations

from pathlib import Path

import pytest

from alerts.rules import RuleConfigError, load_rules
from alerts.rules.cardinality import CardinalityConfig, DistinctBucket, add_value, build_alert, domain
from tests.alerts.factories import enriched, signal

RULE = {"name": "corr", "type": "cardinality", "distinct": "domain", "threshold": 3, "window": "1h",
        "filter": {"categories": ["violence_report"]}}


def load(tmp_path: Path, text: str) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    load_rules(path)


def test_unknown_distinct_field_is_refused_naming_the_field(tmp_path: Path) -> None:
    with pytest.raises(RuleConfigError, match=r"\(x\): distinct: Value error, unknown item field 'planet'"):
        load(tmp_path, "rules:\n  - name: x\n    type: cardinality\n    threshold: 2\n    distinct: planet\n")


def test_threshold_of_one_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RuleConfigError, match=r"\(x\): threshold: Input should be greater than or equal"):
        load(tmp_path, "rules:\n  - name: x\n    type: cardinality\n    threshold: 1\n")


def test_domain_drops_www_and_port_and_refuses_junk() -> None:
    assert domain("https://www.News.example:8443/a") == "news.example"
    assert domain("not a url") is None
    assert domain(None) is None


def test_match_carries_the_distinct_value() -> None:
    by_domain = CardinalityConfig.model_validate(RULE)
    item = enriched("i-9", categories={"violence_report": 0.9})
    assert (m := by_domain.match(item)) is not None and m.value == "news.example"
    by_source = CardinalityConfig.model_validate({**RULE, "distinct": "source.name"})
    assert (m := by_source.match(item)) is not None and m.value == "feed-a"
    assert by_domain.match(enriched(categories={})) is None


def test_add_value_counts_distinct_values_only() -> None:
    state = None
    for i, value in enumerate(["a", "b", "a", "c", "b"]):
        state = add_value(state, signal(f"i{i}", float(i), value=value), samples=10, max_values=1000)
    assert state is not None and state["count"] == 5 and state["values"] == ["a", "b", "c"]


def test_distinct_values_are_bounded() -> None:
    state = None
    for i in range(50):
        state = add_value(state, signal(f"i{i}", 0.0, value=str(i)), samples=2, max_values=10)
    assert state is not None and len(state["values"]) == 10 and len(state["samples"]) == 2


def test_alert_names_the_distinct_values() -> None:
    config = CardinalityConfig.model_validate(RULE)
    match = config.match(enriched(categories={"violence_report": 0.9}))
    assert match is not None
    state: DistinctBucket = {"count": 4, "first": 10.0, "last": 20.0, "samples": [],
                             "values": ["c.example", "a.example", "b.example"]}
    alert = build_alert(config, match.group_key, match.group, state, 0.0)
    assert (alert.count, alert.threshold) == (3, 3)
    assert alert.details == {"distinct": "domain", "items": 4, "values": "a.example, b.example, c.example"}
    assert alert.title == "corr: 3 distinct domain in 1h (country SD)"
