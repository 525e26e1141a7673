"""Webhook notifier: POST a raised alert as JSON to Slack, Teams or any receiver.

Each request carries ``X-Tocsin-Timestamp`` and, when a secret is configured,
``X-Tocsin-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`` so the
receiver can check the alert came from Tocsin, and recently
(:func:`alerts.notify.signature.verify_signature`). Redirects are never followed: a
webhook URL that redirects is misconfigured, and following it could carry the
alert (and its signature) somewhere unintended.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar, Literal

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
from tocsin.schema import Alert

_RETRYABLE = {408, 425, 429, 500, 502, 503, 504}
_SEVERITY_COLOURS = {"extreme": "B00020", "severe": "D9534F", "warning": "E8A317", "info": "2F6FBA"}


class WebhookConfig(NotifierConfig):
    url: str
    format: Literal["generic", "slack", "teams"] = "generic"
    # Name of the environment variable holding the HMAC secret; never the secret itself.
    secret_env: str | None = None
    timeout_s: float = Field(default=10.0, gt=0)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if safe_link(value) is None:
            raise ValueError(f"expected an http(s) URL, got {value!r}")
        return value


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

    @classmethod
    def from_config(cls, config: Any, env: Mapping[str, str]) -> WebhookNotifier:
        value = secret_from_env(env, "secret_env", config.secret_env)
        return cls(config, secret=value.encode("utf-8") if value is not None else None)

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(follow_redirects=False, trust_env=False,
                                             timeout=self.config.timeout_s)
        return self._client

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
        try:
            response = await self._http().post(self.config.url, content=body, headers=headers,
                                               timeout=self.config.timeout_s)
        except httpx.HTTPError as exc:
            raise DeliveryError(self.name, f"POST {self.config.url}: {type(exc).__name__}: {exc}") from exc
        status = response.status_code
        if 200 <= status < 300:
            return
        retry_after = (parse_retry_after(response.headers.get("retry-after"), datetime.now(UTC))
                       if status in (429, 503) else None)
        detail = response.text[:200] if status >= 400 else response.headers.get("location", "")
        raise DeliveryError(self.name, f"POST {self.config.url}: HTTP {status} {detail!r}",
                            retry_after_s=retry_after, permanent=status not in _RETRYABLE)
