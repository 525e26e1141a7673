"""OASIS CAP 1.2 messages for alert versions, and validation against the CAP schema.

Each version of an alert becomes one CAP message: version 1 an ``Alert``, later
versions an ``Update`` and the resolving version a ``Cancel``, each naming every
earlier version in ``<references>`` so a receiver can supersede what it holds.
The document is built with lxml, which escapes scraped text; characters XML 1.0
cannot carry at all are dropped first. ``validate_cap`` checks a message against
the OASIS schema kept in ``tocsin/formats/schemas/CAP-v1.2.xsd``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from lxml import etree

from tocsin.errors import InputError
from tocsin.formats.atom import alert_summary, clean, safe_link
from tocsin.schema import Alert

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
SCHEMA_PATH = Path(__file__).parent / "schemas" / "CAP-v1.2.xsd"
SENDER_NAME = "Tocsin"
# CAP's categories are about the hazard: violence and threats against people are "Security".
CATEGORY = "Security"
HEADLINE_MAX = 160
"""CAP 1.2 asks headlines to stay short enough for text messages (about 160 characters)."""
INSTRUCTION = ("Automated signal from open-source monitoring: verify with the contributing items "
               "before acting.")

_SEVERITY = {"info": "Minor", "warning": "Moderate", "severe": "Severe", "extreme": "Extreme"}
# z-scores at or above this are far outside the baseline: the surge itself is observed.
OBSERVED_Z = 3.0
_COUNTING_RULES = frozenset({"frequency", "spike", "percentage"})
# CAP identifiers and senders "MUST NOT include spaces, commas or restricted characters (< and &)".
_CAP_ID_FORBIDDEN = re.compile(r"[\s,<&]")
_LANGUAGE = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
_SURROGATES = re.compile("[\ud800-\udfff]")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_ISO_3166_1 = re.compile(r"^[A-Z]{2}$")
_ISO_3166_2 = re.compile(r"^[A-Z]{2}-[A-Z0-9]{1,3}$")


class CapInvalid(InputError, ValueError):
    """A document is not a valid CAP 1.2 message; ``errors`` holds the schema's messages."""

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors = list(errors)
        super().__init__("not a valid CAP 1.2 message:\n" + "\n".join(f"  {e}" for e in self.errors))


def cap_time(when: datetime) -> str:
    """CAP's dateTime: whole seconds with an explicit offset (no ``Z``, no fractions).

    Naive datetimes are taken as UTC, like everywhere else in Tocsin.
    """
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    # isoformat, not strftime: strftime("%Y") does not zero-pad years before 1000.
    return when.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "+00:00"


def msg_type(alert: Alert) -> str:
    """Version 1 is an ``Alert``; a resolved later version cancels; any other is an ``Update``."""
    if alert.version == 1:
        return "Alert"
    return "Cancel" if alert.status == "resolved" else "Update"


def urgency(alert: Alert, earlier: Sequence[Alert] = ()) -> str:
    """``Past`` once resolved; ``Immediate`` while open and extreme or ever escalated
    (this version or an earlier one); else ``Expected``."""
    if alert.status == "resolved":
        return "Past"
    escalated = any(v.event == "escalated" for v in (alert, *earlier))
    return "Immediate" if alert.severity == "extreme" or escalated else "Expected"


def certainty(alert: Alert) -> str:
    """How sure the signal is that something is happening.

    ``Observed`` when independent sources corroborate it (``cardinality`` counts
    distinct sources or domains) or the count is far outside its baseline
    (z-score >= 3); ``Likely`` when a counting rule crossed its threshold
    (frequency, spike, percentage); ``Possible`` otherwise (e.g. silence).
    """
    if alert.rule_type == "cardinality" or (alert.z_score is not None and alert.z_score >= OBSERVED_Z):
        return "Observed"
    return "Likely" if alert.rule_type in _COUNTING_RULES else "Possible"


def render_cap(alert: Alert, previous: Sequence[Alert] = (), *, sender: str,
               web_url: str | None = None) -> bytes:
    """One CAP 1.2 ``<alert>`` (UTF-8 XML) for this version of ``alert``.

    ``previous`` are the alert's other versions as stored; the earlier ones (by
    version number) become ``<references>``, oldest first, and later ones are
    ignored, so a caller may pass every version it holds. ``sender`` identifies
    this Tocsin installation (e.g. ``tocsin@alerts.example.org``); ``web_url``
    is where a person can read the alert (only http(s) URLs are emitted).
    """
    check_cap_id("sender", sender)
    check_cap_id("identifier", alert.version_id)
    earlier = earlier_versions(alert, previous)
    root = etree.Element(f"{{{CAP_NS}}}alert", nsmap={None: CAP_NS})
    _sub(root, "identifier", alert.version_id)
    _sub(root, "sender", sender)
    _sub(root, "sent", cap_time(alert.updated_at))
    _sub(root, "status", "Actual")
    _sub(root, "msgType", msg_type(alert))
    _sub(root, "scope", "Public")
    if earlier:
        _sub(root, "references", " ".join(
            f"{sender},{v.version_id},{cap_time(v.updated_at)}" for v in earlier))
    _sub(root, "incidents", alert.id)
    _info(root, alert, earlier, web_url)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def earlier_versions(alert: Alert, previous: Iterable[Alert]) -> list[Alert]:
    """The versions before ``alert`` among ``previous``, oldest first, one per number."""
    by_version: dict[int, Alert] = {}
    for other in previous:
        if other.id != alert.id:
            raise ValueError(f"version {other.version_id} is not a version of alert {alert.id}")
        check_cap_id("identifier", other.version_id)
        if other.version < alert.version:
            by_version.setdefault(other.version, other)
    return [by_version[n] for n in sorted(by_version)]


def check_cap_id(what: str, value: str) -> None:
    """Identifiers and the sender travel inside ``<references>``, which spaces and commas split."""
    if not value or _CAP_ID_FORBIDDEN.search(value) or text(value) != value:
        raise ValueError(f"CAP {what} must be non-empty, without spaces, commas, '<', '&' or control "
                         f"characters: {value!r}")


def text(value: object) -> str:
    """Scraped text as XML 1.0 can carry it (lxml escapes the rest)."""
    return _SURROGATES.sub("", clean(str(value)))


def _sub(parent: etree._Element, name: str, value: object) -> etree._Element:
    child = etree.SubElement(parent, f"{{{CAP_NS}}}{name}")
    child.text = text(value)
    return child


def _pair(parent: etree._Element, name: str, value_name: str, value: object) -> None:
    element = etree.SubElement(parent, f"{{{CAP_NS}}}{name}")
    _sub(element, "valueName", value_name)
    _sub(element, "value", value)


def _info(root: etree._Element, alert: Alert, earlier: Sequence[Alert], web_url: str | None) -> None:
    resolved = alert.status == "resolved"
    info = etree.SubElement(root, f"{{{CAP_NS}}}info")
    _sub(info, "language", language(alert))
    _sub(info, "category", CATEGORY)
    _sub(info, "event", alert.rule)
    _sub(info, "responseType", "AllClear" if resolved else "Monitor")
    _sub(info, "urgency", urgency(alert, earlier))
    _sub(info, "severity", _SEVERITY.get(alert.severity, "Unknown"))
    _sub(info, "certainty", certainty(alert))
    _sub(info, "effective", cap_time(alert.updated_at))
    _sub(info, "onset", cap_time(alert.first_seen))
    # An open alert's information holds until a later version supersedes it.
    if resolved:
        _sub(info, "expires", cap_time(alert.resolved_at or alert.updated_at))
    _sub(info, "senderName", SENDER_NAME)
    _sub(info, "headline", headline(alert.title))
    _sub(info, "description", description(alert))
    _sub(info, "instruction", "The alert is resolved: its signal has ended." if resolved else INSTRUCTION)
    if (web := web_link(web_url)) is not None:
        _sub(info, "web", web)
    for name, value in parameters(alert):
        _pair(info, "parameter", name, value)
    _area(info, alert)


def language(alert: Alert) -> str:
    """The group's ``lang`` when the rule groups by language (and it is a language tag), else ``en``."""
    lang = alert.group.get("lang")
    return lang if lang and _LANGUAGE.match(lang) else "en"


def headline(title: str) -> str:
    one_line = " ".join(text(title).split())
    return one_line if len(one_line) <= HEADLINE_MAX else one_line[:HEADLINE_MAX - 1] + "…"


def description(alert: Alert) -> str:
    state = f"Status {alert.status} (version {alert.version}, {alert.event})"
    if alert.acknowledged_by:
        state += f"; acknowledged by {alert.acknowledged_by}"
    if alert.assigned_to:
        state += f"; assigned to {alert.assigned_to}"
    return text(f"{alert_summary(alert)}\n{state}.")


def web_link(url: str | None) -> str | None:
    """An http(s) link as ``xs:anyURI`` accepts it: non-ASCII and spaces percent-encoded."""
    link = safe_link(text(url) if url else None)
    if link is None:
        return None
    try:
        parts = urlsplit(link)
    except ValueError:
        return None
    # Brackets only belong around an IPv6 host; anywhere else they are encoded.
    path, query, fragment = (_BAD_PERCENT.sub("%25", quote(part, safe="/?#@!$&'()*+,;=%~:"))
                             for part in (parts.path, parts.query, parts.fragment))
    netloc = _BAD_PERCENT.sub("%25", quote(parts.netloc, safe=":@[]%!$&'()*+,;=~"))
    return urlunsplit((parts.scheme, netloc, path, query, fragment))


def parameters(alert: Alert) -> list[tuple[str, object]]:
    """The alert's figures and lifecycle as CAP name/value pairs; unset ones are left out."""
    pairs: list[tuple[str, object | None]] = [
        ("rule", alert.rule), ("rule_type", alert.rule_type), ("group", alert.group_key),
        ("count", alert.count), ("threshold", alert.threshold),
        ("expected", _number(alert.expected)), ("z_score", _number(alert.z_score)),
        ("window_start", cap_time(alert.window_start)), ("window_end", cap_time(alert.window_end)),
        ("version", alert.version), ("status", alert.status), ("event", alert.event),
        ("opened_at", cap_time(alert.opened_at) if alert.opened_at else None),
        ("acknowledged_by", alert.acknowledged_by), ("assigned_to", alert.assigned_to),
    ]
    pairs += [(f"details.{key}", value) for key, value in alert.details.items()]
    return [(name, value) for name, value in pairs if value is not None and value != ""]


def _number(value: float | None) -> str | None:
    return None if value is None else f"{value:.4g}"


def _area(info: etree._Element, alert: Alert) -> None:
    """``<area>`` from the alert's place, else from a geographic group; none if neither."""
    area = alert.area
    country = area.country if area else None
    admin1 = area.admin1 if area else None
    country = country or _place(alert.group.get("country"))
    admin1 = admin1 or _place(alert.group.get("admin1"))
    if area is None and not (country or admin1):
        return
    element = etree.SubElement(info, f"{{{CAP_NS}}}area")
    where = ", ".join(f"{key} {value}" for key, value in alert.group.items() if value)
    _sub(element, "areaDesc", (area.description if area else "") or where or "unspecified")
    if area is not None and (point := circle(area.lat, area.lon, area.radius_km)) is not None:
        _sub(element, "circle", point)
    if country and _ISO_3166_1.match(country):
        _pair(element, "geocode", "ISO 3166-1 alpha-2", country)
    if admin1:
        # Tocsin's admin1 is ISO 3166-2 where the gazetteer join found one, else GeoNames' code.
        _pair(element, "geocode", "ISO 3166-2" if _ISO_3166_2.match(admin1) else "GeoNames admin1", admin1)


def _place(value: str | None) -> str | None:
    # Rules that keep items without a group field count them under "unknown" (MISSING
    # in alerts/rules/base.py): that is no place.
    return None if value in (None, "", "unknown") else value


def circle(lat: float | None, lon: float | None, radius_km: float | None) -> str | None:
    """CAP circle: ``lat,lon radius`` (WGS 84, kilometres); a point when no radius is known."""
    if lat is None or lon is None or not (math.isfinite(lat) and math.isfinite(lon)):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    radius = radius_km if radius_km is not None and math.isfinite(radius_km) and radius_km > 0 else 0.0
    return f"{lat:.5f},{lon:.5f} {radius:.3f}"


@cache
def cap_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_PATH)))


def validate_cap(xml: bytes) -> None:
    """Raise ``CapInvalid`` unless ``xml`` is a CAP 1.2 message valid against the OASIS schema.

    Schema validity is necessary, not sufficient: CAP's data dictionary adds rules
    the schema cannot express. The parser loads no DTD and resolves no entities,
    so an operator can check a message from anywhere.
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        document = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as error:
        raise CapInvalid([f"not well-formed XML: {error}"]) from error
    # Entities stay unexpanded (no file, network or billion-laughs expansion); the
    # schema validator cannot judge an unexpanded one, so such a message is refused.
    entities = [f"line {e.sourceline}: entity reference {e.text} is not expanded; CAP needs none"
                for e in document.iter(etree.Entity)]
    if entities:
        raise CapInvalid(entities)
    schema = cap_schema()
    try:
        valid = schema.validate(document)
    except etree.XMLSchemaValidateError as error:
        raise CapInvalid([f"the schema validator failed: {error}"]) from error
    if not valid:
        raise CapInvalid([f"line {e.line}: {e.message}" for e in schema.error_log])
