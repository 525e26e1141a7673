from __future__ import annotations

from pathlib import Path

import pytest

from alerts.rules import RuleConfigError, load_rules
from alerts.rules.base import ItemFilter, field_value
from alerts.rules.counts import CountBucket, add_match
from alerts.rules.frequency import FrequencyConfig, build_alert
from alerts.rules.raising import alert_id
from tests.alerts.factories import enriched, signal
from tocsin.schema import ItemSignal

RULE = {"name": "hs", "type": "frequency", "threshold": 3, "window": "1h", "step": "5m",
        "filter": {"categories": ["hate_speech"], "min_score": 0.5}, "group_by": ["country"]}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_rules_load() -> None:
    rules = load_rules(Path(__file__).parents[2] / "config" / "rules.yaml")
    assert {r.config.name for r in rules} >= {"hate-speech-surge", "violence-reports-by-country"}


def test_durations_are_parsed_to_seconds() -> None:
    config = FrequencyConfig.model_validate(RULE)
    assert (config.window, config.step, config.realert) == (3600.0, 300.0, 3600.0)


def test_step_defaults_to_a_twelfth_of_the_window() -> None:
    config = FrequencyConfig.model_validate({**RULE, "step": None})
    assert config.step == 300.0


def test_unknown_rule_type_error_names_file_rule_and_type(tmp_path: Path) -> None:
    path = write(tmp_path, "rules:\n  - name: x\n    type: telepathy\n")
    with pytest.raises(RuleConfigError, match=r"rules\.yaml: rules\[0\] \(x\): type: unknown rule type"):
        load_rules(path)


def test_unknown_key_error_names_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, "rules:\n  - name: x\n    type: frequency\n    threshold: 2\n    treshold: 3\n")
    with pytest.raises(RuleConfigError, match=r"\(x\): treshold: unknown key"):
        load_rules(path)


def test_bad_duration_error_names_the_field(tmp_path: Path) -> None:
    path = write(tmp_path, "rules:\n  - name: x\n    type: frequency\n    threshold: 2\n    window: soon\n")
    with pytest.raises(RuleConfigError, match=r"window: Value error, not a duration"):
        load_rules(path)


def test_unknown_group_field_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path,
                 "rules:\n  - name: x\n    type: frequency\n    threshold: 2\n    group_by: [planet]\n")
    with pytest.raises(RuleConfigError, match="group_by: Value error, unknown item field 'planet'"):
        load_rules(path)


def test_duplicate_rule_names_are_refused(tmp_path: Path) -> None:
    rule = "  - name: x\n    type: frequency\n    threshold: 2\n"
    with pytest.raises(RuleConfigError, match="duplicate rule name 'x'"):
        load_rules(write(tmp_path, "rules:\n" + rule + rule))


def test_filter_requires_category_at_min_score() -> None:
    flt = ItemFilter(categories=["hate_speech"], min_score=0.5)
    assert flt.accepts(enriched(categories={"hate_speech": 0.5}))
    assert not flt.accepts(enriched(categories={"hate_speech": 0.49}))
    assert not flt.accepts(enriched(categories={"violence_report": 0.9}))


def test_filter_on_language_and_country() -> None:
    flt = ItemFilter(languages=["fr"], countries=["ML"])
    assert flt.accepts(enriched(lang="fr", country="ML"))
    assert not flt.accepts(enriched(lang="en", country="ML"))
    assert not flt.accepts(enriched(lang="fr", country="SD"))


def test_group_by_dotted_field() -> None:
    assert field_value(enriched(), "source.name") == "feed-a"


def test_match_skips_items_without_the_group_field() -> None:
    config = FrequencyConfig.model_validate(RULE)
    assert config.match(enriched(categories={"hate_speech": 0.9}, country=None)) is None
    kept = FrequencyConfig.model_validate({**RULE, "keep_missing": True})
    match = kept.match(enriched(categories={"hate_speech": 0.9}, country=None))
    assert isinstance(match, ItemSignal) and match.group_key == "country=unknown"


def test_match_carries_rule_group_and_event_time() -> None:
    match = FrequencyConfig.model_validate(RULE).match(enriched(categories={"hate_speech": 0.9}, minutes=7))
    assert isinstance(match, ItemSignal)
    assert (match.rule, match.group, match.group_key) == ("hs", {"country": "SD"}, "country=SD")
    assert match.event_time.minute == 7


def test_add_match_counts_and_keeps_bounded_unique_samples() -> None:
    state = None
    for i, ts in enumerate([30.0, 10.0, 20.0, 40.0]):
        state = add_match(state, signal(f"i{i % 3}", ts), 2)
    assert state is not None and state["count"] == 4
    assert (state["first"], state["last"]) == (10.0, 40.0)
    assert [s["id"] for s in state["samples"]] == ["i0", "i1"]


def test_alert_id_is_deterministic_per_rule_group_and_window() -> None:
    assert alert_id("r", "country=SD", 0.0) == alert_id("r", "country=SD", 0.0)
    assert alert_id("r", "country=SD", 0.0) != alert_id("r", "country=SD", 300.0)
    assert alert_id("r", "country=SD", 0.0) != alert_id("r", "country=ML", 0.0)


def test_build_alert_carries_everything_a_monitor_needs() -> None:
    config = FrequencyConfig.model_validate(RULE)
    match = config.match(enriched(categories={"hate_speech": 0.9}))
    assert isinstance(match, ItemSignal)
    state: CountBucket = {"count": 3, "first": 1000.0, "last": 1600.0,
                          "samples": [{"id": "i-1", "title": "t1", "url": "https://x/1", "loc": None}]}
    alert = build_alert(config, match.group_key, match.group, state, (900.0, 4500.0))
    assert alert.count == 3 and alert.threshold == 3
    assert alert.sample_item_ids == ["i-1"] and alert.sample_titles == ["t1"]
    assert alert.first_seen.timestamp() == 1000.0 and alert.last_seen.timestamp() == 1600.0
    assert alert.window_start.timestamp() == 900.0 and alert.window_end.timestamp() == 4500.0
    assert alert.title == "hs: 3 items in 1h (country SD)"


def test_filter_on_admin1_and_place_names() -> None:
    from tocsin.schema import Place

    darfur = Place(name="El Fasher", matched="El Fasher", kind="city", country="SD", admin1="SD.55")
    item = enriched(places=[darfur])
    assert ItemFilter(admin1=["SD.55"]).accepts(item)
    assert not ItemFilter(admin1=["SD.29"]).accepts(item)
    assert ItemFilter(places=["el fasher", "Nyala"]).accepts(item)
    assert not ItemFilter(places=["Nyala"]).accepts(item)
