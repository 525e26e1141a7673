from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from tocsin.durations import parse_duration
from tocsin.errors import SettingsError
from tocsin.settings import Settings, load_settings


def test_defaults_point_at_the_shipped_config() -> None:
    settings = Settings()
    assert settings.collector.feeds_file.name == "feeds.yaml" and settings.collector.feeds_file.is_file()
    assert settings.processing.categories_file.is_file()
    assert settings.alerts.rules_file.is_file()
    assert settings.search.node_class == "aiohttp"


def test_yaml_file_is_read_and_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "tocsin.yaml"
    config.write_text("kafka:\n  bootstrap_servers: kafka-1:9093\n  replication_factor: 3\n"
                      "search:\n  url: https://es:9200\n", encoding="utf-8")
    monkeypatch.setenv("TOCSIN_CONFIG", str(config))
    monkeypatch.setenv("TOCSIN_SEARCH__URL", "https://es-override:9200")
    settings = Settings()
    assert settings.kafka.bootstrap_servers == "kafka-1:9093"
    assert settings.kafka.replication_factor == 3
    assert settings.search.url == "https://es-override:9200"


def test_secrets_are_not_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOCSIN_SEARCH__API_KEY", "s3cret")
    settings = Settings()
    assert "s3cret" not in repr(settings)
    assert settings.search.api_key is not None and settings.search.api_key.get_secret_value() == "s3cret"


def test_unknown_yaml_key_is_an_error_that_names_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "tocsin.yaml"
    config.write_text("kafka:\n  bootstrap_server: typo:9092\n", encoding="utf-8")
    monkeypatch.setenv("TOCSIN_CONFIG", str(config))
    with pytest.raises(ValidationError, match=r"kafka\.bootstrap_server"):
        Settings()


def test_missing_config_file_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOCSIN_CONFIG", "/nonexistent/tocsin.yaml")
    with pytest.raises(SettingsError, match=r"/nonexistent/tocsin\.yaml"):
        Settings()


def test_load_settings_names_each_bad_field_in_one_line_without_the_value(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOCSIN_KAFKA__SASL_PASSWORD", "hunter2")
    monkeypatch.setenv("TOCSIN_KAFKA__SECURITY_PROTOCOL", "CARRIER_PIGEON")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert "kafka.security_protocol" in message and "\n" not in message
    assert "CARRIER_PIGEON" not in message and "hunter2" not in message


@pytest.mark.parametrize(("text", "seconds"), [(90, 90.0), ("90s", 90.0), ("15m", 900.0), ("2h", 7200.0),
                                                ("1.5d", 129600.0), (" 7d ", 604800.0)])
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["soon", "-5m", 0, True, "5 minutes", ""])
def test_bad_durations_are_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(bad)
