"""The Atom feed monitoring teams subscribe to: newest alerts first.

One implementation, :func:`atom_feed`, behind every ``/alerts.atom``: the API's
(with a viewer key) and the alerts worker's own port (for health probes and readers
on the same host), so both take the same filters and answer the same.

Scraped text (sample titles) goes into the feed; feedgen/lxml escape it, and
only http(s) links are ever emitted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from urllib.parse import urlsplit

from elasticsearch import AsyncElasticsearch
from feedgen.feed import FeedGenerator
from lxml import etree

from tocsin.errors import QueryError
from tocsin.queries import AlertFilters
from tocsin.schema import Alert
from tocsin.search import search_alerts

ATOM = "http://www.w3.org/2005/Atom"
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


def render_atom(alerts: Sequence[Alert], *, feed_url: str, title: str = "Tocsin alerts",
                alert_url: Callable[[Alert], str] | None = None) -> bytes:
    """``alert_url``: the page a reader opens for an alert (the dashboard's); the entry's
    ``alternate`` link. A sample item is only ``related``: it is evidence, not the alert."""
    generator = FeedGenerator()
    generator.id(feed_url)
    generator.title(title)
    generator.link(href=feed_url, rel="self")
    generator.subtitle("Alerts raised by Tocsin rules, newest first")
    generator.generator("Tocsin")
    updated = max((a.updated_at for a in alerts), default=datetime.now(UTC))
    generator.updated(updated)
    entry_links: dict[str, list[dict[str, str]]] = {}
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
        links = entry_links[f"urn:tocsin:alert:{alert.id}"] = []
        if alert_url is not None and (page := safe_link(alert_url(alert))) is not None:
            links.append({"href": page, "rel": "alternate", "type": "text/html"})
        for item_url in alert.sample_urls[:1]:
            if (link := safe_link(item_url)) is not None:
                links.append({"href": link, "rel": "related"})
    return _with_links(generator.atom_str(pretty=True), entry_links)


def _with_links(feed: bytes, entry_links: dict[str, list[dict[str, str]]]) -> bytes:
    """Each entry's links with their ``rel`` and ``type``. feedgen 1.0 drops both (it reads them
    off the element it just made), and an Atom link without ``rel`` means ``alternate``: the
    sample item's link would have claimed to be the alert itself."""
    root = etree.fromstring(feed)
    for entry in root.findall(f"{{{ATOM}}}entry"):
        for old in entry.findall(f"{{{ATOM}}}link"):
            entry.remove(old)
        anchor = entry.find(f"{{{ATOM}}}category")
        for attributes in entry_links.get(entry.findtext(f"{{{ATOM}}}id") or "", []):
            link = etree.Element(f"{{{ATOM}}}link", attributes)
            if anchor is not None:
                anchor.addprevious(link)
            else:
                entry.append(link)
    etree.indent(root, space="  ")
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


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
                    feed_url: str, default_size: int,
                    alert_url: Callable[[Alert], str] | None = None) -> bytes:
    """The feed ``/alerts.atom`` serves, wherever it is served (the API; the alerts worker's
    own port): the latest version of each alert that the query parameters select —
    ``status``, ``severity``, ``rule``, ``country``, ``lang``, ``city`` (comma-separated:
    any of) and ``limit`` — newest first. A bad parameter is a :class:`QueryError`.
    ``alert_url`` is the page a person opens for an alert (the API's dashboard), as in
    :func:`render_atom`."""
    filters = AlertFilters.from_params(params)
    size = feed_size(params.get("limit"), default_size)
    return render_atom(await search_alerts(es, index, filters, size), feed_url=feed_url,
                       alert_url=alert_url)
