"""E-mail notifier: one multipart message per alert version (``email_message``), over SMTP.

Each attempt opens its own connection, insists on TLS unless told ``security:
none``, and maps SMTP replies onto the dispatcher's retry: a 4xx or a network
failure is retried, a 5xx or a missing capability (STARTTLS, AUTH) is not. The
password comes from the environment variable named by ``password_env``; it is
never in YAML and never in a log line or an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import aiosmtplib
from pydantic import AfterValidator, Field, model_validator

from alerts.notify.email_message import build_message, mailbox, one_line
from alerts.notify.protocol import (
    DeliveryError,
    NotifierConfig,
    NotifierConfigError,
    RetryPolicy,
    register,
    secret_from_env,
)
from alerts.notify.routing import Routing
from tocsin.schema import Alert

logger = logging.getLogger(__name__)

_DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}


def _valid_mailbox(value: str) -> str:
    mailbox(value)
    return value


Mailbox = Annotated[str, AfterValidator(_valid_mailbox)]


class EmailConfig(NotifierConfig):
    host: str = Field(min_length=1, pattern=r"^[^\s/]+$")
    port: int | None = Field(default=None, ge=1, le=65535)  # 587 / 465 / 25 by security
    # starttls: upgrade a plain connection and refuse to go on without it; tls: TLS
    # from the first byte (port 465); none: a local relay only (no login allowed).
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    # Name of the environment variable holding the password; never the password itself.
    password_env: str | None = None
    # PEM bundle of the CA that signed the server's certificate, if not a public one.
    ca_file: Path | None = None
    sender: Mailbox = Field(alias="from")
    to: list[Mailbox] = Field(min_length=1)
    cc: list[Mailbox] = Field(default_factory=list)
    bcc: list[Mailbox] = Field(default_factory=list)
    # The whole SMTP exchange of one attempt, connect to QUIT.
    timeout_s: float = Field(default=30.0, gt=0)

    @model_validator(mode="after")
    def _credentials(self) -> EmailConfig:
        if (self.username is None) != (self.password_env is None):
            raise ValueError("username and password_env go together")
        if self.security == "none" and self.username is not None:
            raise ValueError("security: none would send the password in clear text; use starttls or tls")
        return self

    @property
    def smtp_port(self) -> int:
        return self.port or _DEFAULT_PORTS[self.security]


def _reply(exc: aiosmtplib.SMTPResponseException) -> str:
    return f"{exc.code} {one_line(exc.message, 300)}"


@register("email")
class EmailNotifier:
    config_model: ClassVar[type[NotifierConfig]] = EmailConfig

    def __init__(self, config: EmailConfig, *, password: str | None = None,
                 local_hostname: str | None = None) -> None:
        self.name = config.name
        self.retry: RetryPolicy = config.retry
        self.routing: Routing = config.routing
        self.config = config
        self._password = password
        self._from = mailbox(config.sender)
        self._to = [mailbox(a) for a in config.to]
        self._cc = [mailbox(a) for a in config.cc]
        self._envelope_to = [*(a.addr_spec for a in (*self._to, *self._cc)),
                             *(mailbox(a).addr_spec for a in config.bcc)]
        self._tls = ssl.create_default_context(cafile=str(config.ca_file) if config.ca_file else None)
        # Resolved once here: aiosmtplib would otherwise call getfqdn() (DNS) on the loop.
        self._local_hostname = local_hostname or socket.getfqdn() or "localhost"

    def __repr__(self) -> str:
        return f"EmailNotifier({self.name!r}, {self.config.host}:{self.config.smtp_port})"

    @classmethod
    def from_config(cls, config: Any, env: Mapping[str, str]) -> EmailNotifier:
        password = secret_from_env(env, "password_env", config.password_env)
        if config.ca_file is not None and not config.ca_file.is_file():
            raise NotifierConfigError(f"ca_file: {str(config.ca_file)!r} is not a readable file")
        try:
            return cls(config, password=password)
        except ssl.SSLError as exc:
            raise NotifierConfigError(f"ca_file: {str(config.ca_file)!r}: {exc}") from exc

    async def aclose(self) -> None:
        """Nothing to close: each attempt opens and closes its own connection."""

    async def send(self, alert: Alert) -> None:
        message = build_message(alert, sender=self._from, to=self._to, cc=self._cc)
        where = f"{self.config.host}:{self.config.smtp_port}"
        try:
            async with asyncio.timeout(self.config.timeout_s):
                refused = await self._exchange(message, where)
        except TimeoutError as exc:
            raise DeliveryError(self.name, f"{where}: no answer within {self.config.timeout_s:g} s") from exc
        if refused:
            # Others got it: another attempt would send them a duplicate.
            logger.error("%s: %s refused recipient(s) of alert %s: %s", self.name, where, alert.version_id,
                         "; ".join(f"{r}: {one_line(str(reply), 200)}" for r, reply in refused.items()))

    async def _exchange(self, message: EmailMessage, where: str) -> dict[str, Any]:
        config = self.config
        smtp = aiosmtplib.SMTP(hostname=config.host, port=config.smtp_port,
                               use_tls=config.security == "tls", start_tls=False,
                               tls_context=self._tls, local_hostname=self._local_hostname,
                               timeout=config.timeout_s)
        step = "connect"
        try:
            await smtp.connect()
            step = "EHLO"
            await smtp.ehlo()
            if config.security == "starttls":
                step = "STARTTLS"
                if not smtp.supports_extension("starttls"):
                    raise DeliveryError(self.name, f"{where} does not offer STARTTLS; not sending in clear "
                                        "text (security: tls for an implicit-TLS port such as 465)",
                                        permanent=True)
                await smtp.starttls()
            if config.username is not None and self._password is not None:
                step = "login"
                await smtp.login(config.username, self._password)
            step = "send"
            refused, _ = await smtp.send_message(message, sender=self._from.addr_spec,
                                                 recipients=self._envelope_to)
            step = "QUIT"
            with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                await smtp.quit()  # the message was accepted; a rude goodbye changes nothing
            return dict(refused)
        except DeliveryError:
            raise
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(self.name, f"{where} refused login as {config.username!r}: {_reply(exc)}",
                                permanent=exc.code >= 500) from exc
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            detail = "; ".join(f"{r.recipient}: {_reply(r)}" for r in exc.recipients)
            raise DeliveryError(self.name, f"{where} refused every recipient: {detail}",
                                permanent=all(code >= 500 for code in codes)) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise DeliveryError(self.name, f"{where} answered {_reply(exc)} at {step}",
                                permanent=500 <= exc.code < 600) from exc
        except (aiosmtplib.SMTPTimeoutError, aiosmtplib.SMTPConnectError,
                aiosmtplib.SMTPServerDisconnected, ssl.SSLError, OSError) as exc:
            raise DeliveryError(self.name, f"{where}: {step} failed: {type(exc).__name__}: {exc}") from exc
        except aiosmtplib.SMTPException as exc:
            # Not a reply code: a missing extension (AUTH, SMTPUTF8) cannot come back on retry.
            raise DeliveryError(self.name, f"{where}: {step} failed: {exc}", permanent=True) from exc
        finally:
            if smtp.is_connected:
                smtp.close()
