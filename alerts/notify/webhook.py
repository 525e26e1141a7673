"""Webhook notifier: POST a raised alert as JSON to Slack, Teams or any receiver.

Each request carries ``X-Tocsin-Timestamp`` and, when a secret is configured,
``X-Tocsin-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`` so the
receiver can check the alert came from Tocsin, and recently
(:func:`alerts.notify.signature.verify_signature`). Redirects are never followed: a
webhook URL that redirects is misconfigured, and following it could carry the
alert (and its signature) somewhere unintended.

A webhook URL is a credential (Slack's and Teams' carry their token in the path),
so it is never printed: logs, errors and dead letters name only its scheme and host.
Connections go through :mod:`tocsin.netguard` (no private, loopback or link-local
target unless ``allow_private_targets``), and ``timeout_s`` bounds the whole
delivery, so a receiver trickling its answer cannot hold a channel.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

import httpx
from pydantic import Field, field_validator

from alerts.notify.protocol import (
    DeliveryError,
    NotifierConfig,
    RetryPolicy,
    register,
    secret_from_env,
)
from alerts.notify.routing import Routing
from alerts.notify.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from tocsin.formats.atom import alert_summary, clean, safe_link
from tocsin.netguard import guarded_transport, refused
from tocsin.schema import Alert

_RETRYABLE = {408, 425, 429, 500, 502, 503, 504}
_MAX_ERROR_BODY = 4096
_SEVERITY_COLOURS = {"extreme": "B00020", "severe": "D9534F", "warning": "E8A317", "info": "2F6FBA"}


class WebhookConfig(NotifierConfig):
    url: str
    format: Literal["generic", "slack", "teams"] = "generic"
    # Name of the environment variable holding the HMAC secret; never the secret itself.
    secret_env: str | None = None
    # The whole delivery (connect, send, the complete answer), not each read.
    timeout_s: float = Field(default=10.0, gt=0)
    # Off: a URL whose host is (or resolves to) a private, loopback or link-local
    # address is refused (169.254.169.254 is a cloud's metadata service). On for a
    # receiver inside your own network.
    allow_private_targets: bool = False

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if safe_link(value) is None:
            raise ValueError(f"expected an http(s) URL, got {redact_url(value)!r}")
        return value


class _UrlRedactor(logging.Filter):
    """On httpx's logger, which writes every request's full URL at INFO: webhook URLs redacted."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: dict[str, str] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if self.urls:
            message = record.getMessage()
            for url, shown in self.urls.items():
                message = message.replace(url, shown)
            record.msg, record.args = message, None
        return True


_REDACTOR = _UrlRedactor()
logging.getLogger("httpx").addFilter(_REDACTOR)


def redact_url(url: str) -> str:
    """Scheme and host only: the path and query of a webhook URL are its credential."""
    try:
        parts = urlsplit(url)
        host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(unparsable URL)"
    rest = "/…" if parts.path.strip("/") or parts.query or parts.fragment else ""
    return f"{parts.scheme}://{host}{port}{rest}" if parts.scheme and host else "(URL without a host)"


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date); None if unusable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def slack_escape(text: str) -> str:
    """Slack mrkdwn control characters: scraped text must not become links or @mentions."""
    return clean(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_link(url: str | None, label: str) -> str:
    link = safe_link(url)
    if link is None:
        return label
    target = slack_escape(link).replace("|", "%7C")
    return f"<{target}|{label}>"


def _where(alert: Alert) -> str:
    return ", ".join(f"{k}: {v}" for k, v in alert.group.items())


def _samples(alert: Alert) -> list[tuple[str, str, str | None]]:
    titles = alert.sample_titles or [""] * len(alert.sample_item_ids)
    urls = alert.sample_urls or [None] * len(alert.sample_item_ids)
    return [(item_id, title or item_id, url)
            for item_id, title, url in zip(alert.sample_item_ids, titles, urls, strict=False)]


def generic_payload(alert: Alert) -> bytes:
    return alert.to_bytes()


def slack_payload(alert: Alert) -> dict[str, Any]:
    """Incoming-webhook JSON: ``text`` is the notification fallback, ``blocks`` the message."""
    title = slack_escape(alert.title)
    facts = (f"*Rule* {slack_escape(alert.rule)} ({slack_escape(alert.rule_type)}) · "
             f"*Severity* {slack_escape(alert.severity)} · *Where* {slack_escape(_where(alert))}\n"
             f"{alert.count} matching items (threshold {alert.threshold}) between "
             f"{alert.window_start.isoformat()} and {alert.window_end.isoformat()}")
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{title}*"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": facts}},
    ]
    if alert.description:
        blocks.append({"type": "section",
                       "text": {"type": "mrkdwn", "text": slack_escape(alert.description)[:2900]}})
    samples = [f"• {_slack_link(url, slack_escape(label))}" for _, label, url in _samples(alert)]
    if samples:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(samples)[:2900]}})
    return {"text": f"Tocsin alert ({slack_escape(alert.severity)}): {title}", "blocks": blocks}


def teams_payload(alert: Alert) -> dict[str, Any]:
    """An Office 365 connector MessageCard (what Teams incoming webhooks accept)."""
    card: dict[str, Any] = {
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": clean(alert.title)[:200],
        "themeColor": _SEVERITY_COLOURS.get(alert.severity, "777777"),
        "title": clean(alert.title),
        "sections": [{
            "facts": [
                {"name": "Rule", "value": f"{alert.rule} ({alert.rule_type})"},
                {"name": "Severity", "value": alert.severity},
                {"name": "Where", "value": _where(alert)},
                {"name": "Count", "value": f"{alert.count} (threshold {alert.threshold})"},
                {"name": "Window", "value": f"{alert.window_start.isoformat()} – "
                                             f"{alert.window_end.isoformat()}"},
            ],
            "text": alert_summary(alert),
            "markdown": False,
        }],
    }
    actions = [{"@type": "OpenUri", "name": clean(label)[:100], "targets": [{"os": "default", "uri": link}]}
               for _, label, url in _samples(alert)[:3] if (link := safe_link(url)) is not None]
    if actions:
        card["potentialAction"] = actions
    return card


def render(alert: Alert, format: str) -> bytes:
    if format == "generic":
        return generic_payload(alert)
    payload = slack_payload(alert) if format == "slack" else teams_payload(alert)
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


@register("webhook")
class WebhookNotifier:
    config_model: ClassVar[type[NotifierConfig]] = WebhookConfig

    def __init__(self, config: WebhookConfig, *, secret: bytes | None = None,
                 client: httpx.AsyncClient | None = None) -> None:
        self.name = config.name
        self.retry: RetryPolicy = config.retry
        self.routing: Routing = config.routing
        self.config = config
        self._secret = secret
        self._client = client
        self.target = redact_url(config.url)
        """What logs and errors may say about the URL."""
        _REDACTOR.urls[str(httpx.URL(config.url))] = self.target
        _REDACTOR.urls[config.url] = self.target

    @classmethod
    def from_config(cls, config: Any, env: Mapping[str, str]) -> WebhookNotifier:
        value = secret_from_env(env, "secret_env", config.secret_env)
        return cls(config, secret=value.encode("utf-8") if value is not None else None)

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            transport = None if self.config.allow_private_targets else guarded_transport()
            self._client = httpx.AsyncClient(follow_redirects=False, trust_env=False,
                                             timeout=self.config.timeout_s, transport=transport)
        return self._client

    def _scrub(self, text: str) -> str:
        """``text`` without the URL's path, query or the HMAC secret (a receiver's error page may
        echo the URL; an exception may quote it)."""
        parts = urlsplit(self.config.url)
        for secret in (self.config.url, parts.path + (f"?{parts.query}" if parts.query else ""),
                       parts.path if len(parts.path) > 1 else "", parts.query,
                       self._secret.decode("utf-8", "replace") if self._secret else ""):
            if secret:
                text = text.replace(secret, "…")
        return text

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def send(self, alert: Alert) -> None:
        body = render(alert, self.config.format)
        timestamp = str(int(time.time()))
        headers = {"Content-Type": "application/json; charset=utf-8",
                   "User-Agent": "Tocsin-alerts/0.1",
                   TIMESTAMP_HEADER: timestamp}
        if self._secret is not None:
            headers[SIGNATURE_HEADER] = sign(self._secret, timestamp, body)
        where = f"POST {self.target}"
        try:
            async with asyncio.timeout(self.config.timeout_s):
                status, response_headers, answer = await self._post(body, headers)
        except TimeoutError:
            raise DeliveryError(self.name, f"{where}: no complete answer within {self.config.timeout_s:g} s "
                                           f"(timeout_s)") from None
        except httpx.HTTPError as exc:
            refusal = refused(exc)
            if refusal is not None:  # the address will not change by retrying
                raise DeliveryError(self.name, f"{where}: {self._scrub(str(refusal))} "
                                               f"(allow_private_targets is off)", permanent=True) from None
            message = f"{where}: {type(exc).__name__}: {self._scrub(str(exc))}"
            raise DeliveryError(self.name, message) from None
        if 200 <= status < 300:
            return
        retry_after = (parse_retry_after(response_headers.get("retry-after"), datetime.now(UTC))
                       if status in (429, 503) else None)
        detail = (answer.decode("utf-8", "replace")[:200] if status >= 400
                  else response_headers.get("location", ""))
        raise DeliveryError(self.name, f"{where}: HTTP {status} {self._scrub(detail)!r}",
                            retry_after_s=retry_after, permanent=status not in _RETRYABLE)

    async def _post(self, body: bytes, headers: dict[str, str]) -> tuple[int, httpx.Headers, bytes]:
        """Status, headers and the first bytes of the answer (an error page is quoted, never kept)."""
        async with self._http().stream("POST", self.config.url, content=body, headers=headers) as response:
            answer = b""
            if not 200 <= response.status_code < 300:
                async for chunk in response.aiter_bytes():
                    answer += chunk
                    if len(answer) >= _MAX_ERROR_BODY:
                        break
            return response.status_code, response.headers, answer
