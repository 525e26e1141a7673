"""What ``tocsin api`` hands the HTTP API: the stages' own readers of the rules and sources files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tocsin.errors import ConfigError
from tocsin_launch import cli
from tocsin_launch.api_wiring import read_rules, read_sources, stage_config

RULES = """\
rules:
  - name: violence-by-country
    type: frequency
    severity: severe
    description: reports of violence per country
    filter: {categories: [violence_report], min_score: 0.6, countries: [SD]}
    group_by: [country]
    window: 2h
    threshold: 3
  - name: quiet-source
    type: flatline
    group_by: [source.name]
    window: 1h
    history: 3h
    min_history: 3
"""


def test_rules_are_read_with_the_alerts_loader_as_the_api_shows_them(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES, encoding="utf-8")
    frequency, flatline = read_rules(path, True)
    assert frequency.summary() == {"name": "violence-by-country", "type": "frequency", "severity": "severe",
                                   "description": "reports of violence per country"}
    assert frequency.filter == {"categories": ["violence_report"], "min_score": 0.6, "countries": ["SD"]}
    assert (frequency.group_by, frequency.window_s) == (["country"], 7200.0)
    assert (flatline.name, flatline.filter, flatline.group_by) == ("quiet-source", {}, ["source.name"])
    config = stage_config()
    assert config.rule(path, "quiet-source") == flatline and config.rule(path, "gone") is None


def test_a_rule_type_by_dotted_path_is_refused_when_the_api_asks(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES.replace("type: frequency", "type: alerts.rules.windowed:FrequencyEvaluator"),
                    encoding="utf-8")
    with pytest.raises(ConfigError, match="dotted"):
        read_rules(path, False)
    assert stage_config().rule(tmp_path / "missing.yaml", "violence-by-country") is None


def test_sources_are_read_with_the_collectors_loader(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text("feeds:\n  - name: wire\n    url: https://news.example/feed.xml\n", encoding="utf-8")
    [source] = read_sources(path)
    assert source["name"] == "wire" and source["url"] == "https://news.example/feed.xml"
    path.write_text("feeds:\n  - url: https://news.example/feed.xml\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="name"):
        read_sources(path)


def test_tocsin_api_serves_the_app_with_the_stages_readers(monkeypatch: pytest.MonkeyPatch) -> None:
    import api.app

    served = {}
    monkeypatch.setattr(api.app, "serve", lambda settings, **kwargs: served.update(kwargs))
    assert cli.main(["api", "--port", "8765"]) == 0
    given = served["stage_config"]
    assert (given.read_rules, given.read_sources) == (read_rules, read_sources)
