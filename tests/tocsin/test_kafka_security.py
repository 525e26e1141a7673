"""TLS and SASL settings reach both kinds of Kafka client: the plain aiokafka ones
(collector publisher, admin) and the Faust apps (processors, alerts), down to the
keyword arguments Faust's aiokafka driver hands to aiokafka."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import faust
import pytest
import trustme
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth
from pydantic import ValidationError

from tocsin.kafka import client_kwargs, faust_broker_options
from tocsin.settings import KafkaSettings, Settings
from tocsin.streams import make_app


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A CA, as a broker's operator would hand out, and a client certificate it signed."""
    directory = tmp_path_factory.mktemp("pki")
    ca = trustme.CA()
    client = ca.issue_cert("tocsin-client")
    paths = {"ca": directory / "ca.pem", "cert": directory / "client.pem", "key": directory / "client.key"}
    ca.cert_pem.write_to_path(str(paths["ca"]))
    client.cert_chain_pems[0].write_to_path(str(paths["cert"]))
    client.private_key_pem.write_to_path(str(paths["key"]))
    return paths


def sasl_ssl(pki: dict[str, Path], **extra: Any) -> KafkaSettings:
    return KafkaSettings.model_validate({
        "bootstrap_servers": "kafka-1:9093,kafka-2:9093", "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512", "sasl_username": "tocsin", "sasl_password": "pw-123",
        "ssl_cafile": pki["ca"], **extra})


def trusts(context: ssl.SSLContext, ca_file: Path) -> bool:
    wanted = ssl.PEM_cert_to_DER_cert(ca_file.read_text())
    return any(der == wanted for der in context.get_ca_certs(binary_form=True))


def test_plaintext_clients_get_neither_tls_nor_sasl() -> None:
    kwargs = client_kwargs(KafkaSettings())
    assert kwargs["security_protocol"] == "PLAINTEXT"
    assert not {"ssl_context", "sasl_mechanism", "sasl_plain_password"} & set(kwargs)
    options = faust_broker_options(KafkaSettings())
    assert "broker_credentials" not in options
    assert credentials_to_aiokafka_auth(None) == {"security_protocol": "PLAINTEXT"}


def test_aiokafka_clients_get_scram_credentials_and_a_verifying_tls_context(pki: dict[str, Path]) -> None:
    kwargs = client_kwargs(sasl_ssl(pki))
    assert kwargs["security_protocol"] == "SASL_SSL"
    assert kwargs["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (kwargs["sasl_plain_username"], kwargs["sasl_plain_password"]) == ("tocsin", "pw-123")
    context = kwargs["ssl_context"]
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert trusts(context, pki["ca"])


def test_faust_apps_get_the_same_credentials_down_to_the_aiokafka_driver(pki: dict[str, Path]) -> None:
    options = faust_broker_options(sasl_ssl(pki))
    assert options["broker"] == "kafka://kafka-1:9093,kafka://kafka-2:9093"
    credentials = options["broker_credentials"]
    assert isinstance(credentials, faust.SASLCredentials)
    auth = credentials_to_aiokafka_auth(credentials)
    assert auth["security_protocol"] == "SASL_SSL"
    assert auth["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (auth["sasl_plain_username"], auth["sasl_plain_password"]) == ("tocsin", "pw-123")
    assert trusts(auth["ssl_context"], pki["ca"])


def test_a_faust_app_built_from_settings_carries_the_credentials(pki: dict[str, Path],
                                                                 tmp_path: Path) -> None:
    settings = Settings(kafka=sasl_ssl(pki), data_dir=tmp_path)
    app = make_app(settings, "security-probe")
    auth = credentials_to_aiokafka_auth(app.conf.broker_credentials)
    assert auth["security_protocol"] == "SASL_SSL"
    assert auth["sasl_plain_password"] == "pw-123"


def test_sasl_without_tls_is_sasl_plaintext_for_both_clients() -> None:
    settings = KafkaSettings(security_protocol="SASL_PLAINTEXT", sasl_mechanism="PLAIN",
                             sasl_username="u", sasl_password="p")  # type: ignore[arg-type]
    kwargs = client_kwargs(settings)
    assert kwargs["security_protocol"] == "SASL_PLAINTEXT" and "ssl_context" not in kwargs
    auth = credentials_to_aiokafka_auth(faust_broker_options(settings)["broker_credentials"])
    assert auth["security_protocol"] == "SASL_PLAINTEXT" and auth["ssl_context"] is None
    assert auth["sasl_mechanism"] == "PLAIN"


def test_mutual_tls_loads_the_client_certificate_for_both_clients(pki: dict[str, Path]) -> None:
    settings = KafkaSettings(security_protocol="SSL", ssl_cafile=pki["ca"], ssl_certfile=pki["cert"],
                             ssl_keyfile=pki["key"])
    kwargs = client_kwargs(settings)
    assert kwargs["security_protocol"] == "SSL" and "sasl_mechanism" not in kwargs
    assert trusts(kwargs["ssl_context"], pki["ca"])
    auth = credentials_to_aiokafka_auth(faust_broker_options(settings)["broker_credentials"])
    assert auth["security_protocol"] == "SSL"
    assert trusts(auth["ssl_context"], pki["ca"])


def test_a_client_key_that_does_not_match_fails_loudly(pki: dict[str, Path], tmp_path: Path) -> None:
    other = trustme.CA().issue_cert("someone-else")
    wrong_key = tmp_path / "wrong.key"
    other.private_key_pem.write_to_path(str(wrong_key))
    settings = KafkaSettings(security_protocol="SSL", ssl_cafile=pki["ca"], ssl_certfile=pki["cert"],
                             ssl_keyfile=wrong_key)
    with pytest.raises(ssl.SSLError):
        client_kwargs(settings)


@pytest.mark.parametrize("values, message", [
    ({"security_protocol": "SASL_SSL"}, "needs sasl_mechanism"),
    ({"security_protocol": "SASL_SSL", "sasl_mechanism": "PLAIN", "sasl_username": "u"}, "sasl_password"),
    ({"security_protocol": "SSL", "sasl_mechanism": "PLAIN"}, "sasl_mechanism is set"),
    ({"security_protocol": "SSL", "ssl_keyfile": "/k.pem"}, "ssl_keyfile is set without ssl_certfile"),
])
def test_inconsistent_security_settings_are_refused(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        KafkaSettings.model_validate(values)


def test_the_sasl_password_is_not_in_the_settings_repr(pki: dict[str, Path]) -> None:
    assert "pw-123" not in repr(sasl_ssl(pki))
