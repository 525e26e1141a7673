"""Secrets come from the environment (or secret files) and never reach a log line:
not through the settings' repr, their JSON form, a logged settings object, nor the
one-line configuration error the command prints."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel, SecretStr

from tocsin.settings import Settings

SECRETS = {
    "TOCSIN_KAFKA__SASL_PASSWORD": "kafka-pw-5f2a9c",
    "TOCSIN_SEARCH__API_KEY": "es-apikey-8d1e77",
    "TOCSIN_SEARCH__PASSWORD": "es-pw-0b3c4d",
    "TOCSIN_COLLECTOR__PSEUDONYM_SECRET": "pseudonym-key-a1b2c3",
}
SECRET_NAME_PARTS = ("password", "secret", "api_key", "token")


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOCSIN_CONFIG", raising=False)
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TOCSIN_KAFKA__SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("TOCSIN_KAFKA__SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("TOCSIN_KAFKA__SASL_USERNAME", "tocsin")


def leaked(text: str) -> list[str]:
    return [value for value in SECRETS.values() if value in text]


def secret_fields(model: type[BaseModel], prefix: str = "") -> list[tuple[str, object]]:
    found: list[tuple[str, object]] = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            found += secret_fields(annotation, f"{prefix}{name}.")
        elif any(part in name for part in SECRET_NAME_PARTS):
            found.append((prefix + name, annotation))
    return found


def test_every_secret_looking_setting_is_a_secret_str() -> None:
    fields = secret_fields(Settings)
    assert len(fields) >= 4
    for name, annotation in fields:
        assert annotation in (SecretStr, SecretStr | None), f"{name} is {annotation}, not SecretStr"


def test_secrets_reach_the_settings(secret_env: None) -> None:
    settings = Settings()
    assert settings.kafka.sasl_password is not None
    assert settings.kafka.sasl_password.get_secret_value() == SECRETS["TOCSIN_KAFKA__SASL_PASSWORD"]
    pseudonym_key = settings.collector.pseudonym_secret.get_secret_value()
    assert pseudonym_key == SECRETS["TOCSIN_COLLECTOR__PSEUDONYM_SECRET"]


def test_repr_str_and_json_of_the_settings_hide_the_secrets(secret_env: None) -> None:
    settings = Settings()
    for text in (repr(settings), str(settings), settings.model_dump_json(), str(settings.model_dump()),
                 repr(settings.kafka), repr(settings.search), f"{settings.collector}"):
        assert leaked(text) == []


def test_logging_the_settings_does_not_log_the_secrets(secret_env: None,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings()
    logger = logging.getLogger("tocsin.test-secrets")
    with caplog.at_level(logging.DEBUG, logger="tocsin.test-secrets"):
        logger.info("settings: %s", settings)
        logger.info("kafka %r search %r", settings.kafka, settings.search)
        logger.debug("as dict: %s", settings.model_dump())
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    assert leaked("\n".join(formatter.format(record) for record in caplog.records)) == []


def test_secrets_can_come_from_a_secrets_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Kubernetes and Docker mount secrets as files: one file per variable name."""
    (tmp_path / "TOCSIN_SEARCH__API_KEY").write_text("from-a-file-42", encoding="utf-8")
    monkeypatch.delenv("TOCSIN_SEARCH__API_KEY", raising=False)
    monkeypatch.setenv("TOCSIN_SECRETS_DIR", str(tmp_path))
    settings = Settings()
    assert settings.search.api_key is not None
    assert settings.search.api_key.get_secret_value() == "from-a-file-42"
    monkeypatch.setenv("TOCSIN_SEARCH__API_KEY", "from-the-environment")
    assert Settings().search.api_key.get_secret_value() == "from-the-environment"  # type: ignore[union-attr]


def test_a_configuration_error_is_printed_without_the_secrets(tmp_path: Path) -> None:
    """A model-level error would otherwise echo the whole section, password included."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("TOCSIN_")}
    env |= {"TOCSIN_KAFKA__SECURITY_PROTOCOL": "SASL_SSL",  # no mechanism: an error
            "TOCSIN_KAFKA__SASL_PASSWORD": SECRETS["TOCSIN_KAFKA__SASL_PASSWORD"],
            "TOCSIN_SEARCH__API_KEY": SECRETS["TOCSIN_SEARCH__API_KEY"],
            "TOCSIN_DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "tocsin_launch.cli", "init"], env=env, capture_output=True,
                          text=True, timeout=120, cwd=Path(__file__).parents[2])
    assert done.returncode == 2, done.stderr
    assert "configuration error" in done.stderr and "needs sasl_mechanism" in done.stderr
    assert leaked(done.stdout + done.stderr) == []
