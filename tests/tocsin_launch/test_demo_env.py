"""The demo's settings keep the SSRF guard on and admit only its own feed server (issue 14, item 7)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tocsin.settings import Settings
from tocsin_launch.demo import embedded_env


def test_the_demo_names_its_feed_server_instead_of_turning_the_guard_off(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = embedded_env(bootstrap="127.0.0.1:9092", search_url="http://127.0.0.1:9200", workdir=tmp_path,
                       feeds_file=tmp_path / "feeds.yaml", alerts_port=6067,
                       rules_file=tmp_path / "rules.yaml",
                       feed_server="http://127.0.0.1:8123")
    monkeypatch.delenv("TOCSIN_CONFIG", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    collector = Settings().collector
    assert collector.allow_private_targets is False
    assert collector.private_targets == ["127.0.0.1:8123"]
