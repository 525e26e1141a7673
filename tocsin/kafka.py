"""Kafka connection details shared by the plain aiokafka clients and the Faust apps."""

from __future__ import annotations

import contextlib
import ssl
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from tocsin import topics
from tocsin.settings import KafkaSettings


def ssl_context(settings: KafkaSettings) -> ssl.SSLContext | None:
    if "SSL" not in settings.security_protocol:
        return None
    context = ssl.create_default_context(cafile=str(settings.ssl_cafile) if settings.ssl_cafile else None)
    if settings.ssl_certfile:
        context.load_cert_chain(str(settings.ssl_certfile),
                                str(settings.ssl_keyfile) if settings.ssl_keyfile else None)
    return context


def client_kwargs(settings: KafkaSettings) -> dict[str, Any]:
    """Keyword arguments for any aiokafka client (producer, consumer, admin)."""
    kwargs: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap_servers,
        "security_protocol": settings.security_protocol,
    }
    context = ssl_context(settings)
    if context is not None:
        kwargs["ssl_context"] = context
    if settings.sasl_mechanism:
        kwargs["sasl_mechanism"] = settings.sasl_mechanism
        kwargs["sasl_plain_username"] = settings.sasl_username
        kwargs["sasl_plain_password"] = (
            settings.sasl_password.get_secret_value() if settings.sasl_password else None
        )
    return kwargs


def faust_broker_options(settings: KafkaSettings) -> dict[str, Any]:
    """``faust.App`` keyword arguments for the same connection."""
    import faust

    options: dict[str, Any] = {
        "broker": ",".join(f"kafka://{host.strip()}" for host in settings.bootstrap_servers.split(",")),
        "topic_partitions": settings.topic_partitions,
        "topic_replication_factor": settings.replication_factor,
        "broker_session_timeout": settings.session_timeout_s,
        "broker_rebalance_timeout": settings.rebalance_timeout_s,
    }
    context = ssl_context(settings)
    if settings.sasl_mechanism:
        password = settings.sasl_password.get_secret_value() if settings.sasl_password else ""
        options["broker_credentials"] = faust.SASLCredentials(
            username=settings.sasl_username or "", password=password,
            mechanism=settings.sasl_mechanism, ssl_context=context,
        )
    elif context is not None:
        options["broker_credentials"] = faust.SSLCredentials(context)
    return options


async def ensure_topics(settings: KafkaSettings, names: tuple[str, ...] = topics.ALL) -> None:
    """Create the pipeline's topics if they are missing (idempotent)."""
    admin = AIOKafkaAdminClient(**client_kwargs(settings))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(name, num_partitions=settings.topic_partitions,
                     replication_factor=settings.replication_factor)
            for name in names if name not in existing
        ]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):  # another worker won the race
                await admin.create_topics(missing)
    finally:
        await admin.close()
