"""The Atom feed monitoring teams subscribe to: newest alerts first.

One implementation, :func:`atom_feed`, behind every ``/alerts.atom``: the API's
(with a viewer key) and the alerts worker's own port (for health probes and readers
on the same host), so both take the same filters and answer the same.

Scraped text (sample titles) goes into the feed; feedgen/lxml escape it, and
only http(s) links are ever emitted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from urllib.parse import urlsplit

from elasticsearch import AsyncElasticsearch
from feedgen.feed import FeedGenerator

from tocsin.errors import QueryError
from tocsin.queries import AlertFilters
from tocsin.schema import Alert
from tocsin.search import search_alerts

_CONTROL = dict.fromkeys(c for c in range(32) if c not in (9, 10, 13))


def clean(text: str) -> str:
    """XML 1.0 cannot carry control characters at all, escaped or not."""
    return text.translate(_CONTROL).replace("\ufffe", "").replace("\uffff", "")


def safe_link(url: str | None) -> str | None:
    if not url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme in ("http", "https") and parts.netloc else None


def alert_summary(alert: Alert) -> str:
    where = ", ".join(f"{k}: {v}" for k, v in alert.group.items())
    lines = [
        f"Rule {alert.rule} ({alert.rule_type}), severity {alert.severity}, {alert.status} "
        f"(version {alert.version}: {alert.event}).",
        f"{alert.count} matching items (threshold {alert.threshold}) for {where}",
        f"in the window {alert.window_start.isoformat()} – {alert.window_end.isoformat()};",
        f"first seen {alert.first_seen.isoformat()}, last seen {alert.last_seen.isoformat()}.",
    ]
    if alert.expected is not None:
        lines.append(f"Expected {alert.expected:.2f}" + (
            f", z-score {alert.z_score:.2f}." if alert.z_score is not None else "."))
    if alert.details:
        lines.append("Details: " + ", ".join(f"{k}: {v}" for k, v in alert.details.items()) + ".")
    if alert.acknowledged_by:
        lines.append(f"Acknowledged by {alert.acknowledged_by}.")
    if alert.assigned_to:
        lines.append(f"Assigned to {alert.assigned_to}.")
    if alert.description:
        lines.append(alert.description)
    if alert.sample_item_ids:
        lines.append("Sample items:")
        for item_id, title, url in zip(alert.sample_item_ids, alert.sample_titles or [""] * 999,
                                       alert.sample_urls or [None] * 999, strict=False):
            lines.append(f"- {title or item_id} [{item_id}]" + (f" {url}" if safe_link(url) else ""))
    return clean("\n".join(lines))


def render_atom(alerts: Sequence[Alert], *, feed_url: str, title: str = "Tocsin alerts") -> bytes:
    generator = FeedGenerator()
    generator.id(feed_url)
    generator.title(title)
    generator.link(href=feed_url, rel="self")
    generator.subtitle("Alerts raised by Tocsin rules, newest first")
    generator.generator("Tocsin")
    updated = max((a.updated_at for a in alerts), default=datetime.now(UTC))
    generator.updated(updated)
    # feedgen prepends entries by default; add oldest first so the newest ends on top.
    for alert in reversed(alerts):
        entry = generator.add_entry()
        entry.id(f"urn:tocsin:alert:{alert.id}")
        state = "RESOLVED" if alert.status == "resolved" else alert.severity.upper()
        entry.title(clean(f"[{state}] {alert.title}"))
        entry.updated(alert.updated_at)
        entry.published(alert.opened_at or alert.raised_at)
        entry.content(alert_summary(alert), type="text")
        entry.category(term=alert.rule, label=alert.rule)
        entry.category(term=f"severity:{alert.severity}", label=alert.severity)
        entry.category(term=f"status:{alert.status}", label=alert.status)
        for item_url in alert.sample_urls[:1]:
            if (link := safe_link(item_url)) is not None:
                entry.link(href=link, rel="related")
    return generator.atom_str(pretty=True)


FEED_MAX = 1000
"""The most entries one feed request returns (``limit``)."""


def feed_size(limit: str | None, default: int) -> int:
    """The ``limit`` query parameter: 1 to :data:`FEED_MAX`; the configured size when absent."""
    if limit is None or not limit.strip():
        return min(default, FEED_MAX)
    try:
        size = int(limit)
    except ValueError:
        raise QueryError(f"limit must be a whole number, got {limit!r}") from None
    if not 1 <= size <= FEED_MAX:
        raise QueryError(f"limit must be between 1 and {FEED_MAX}, got {size}")
    return size


async def atom_feed(es: AsyncElasticsearch, index: str, params: Mapping[str, str | None], *,
                    feed_url: str, default_size: int) -> bytes:
    """The feed ``/alerts.atom`` serves, wherever it is served (the API; the alerts worker's
    own port): the latest version of each alert that the query parameters select —
    ``status``, ``severity``, ``rule``, ``country``, ``lang``, ``city`` (comma-separated:
    any of) and ``limit`` — newest first. A bad parameter is a :class:`QueryError`."""
    filters = AlertFilters.from_params(params)
    size = feed_size(params.get("limit"), default_size)
    return render_atom(await search_alerts(es, index, filters, size), feed_url=feed_url)
