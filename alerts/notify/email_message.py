"""The e-mail for one alert version: headers, a text part and an HTML part (pure).

Scraped text is hostile. In headers it is flattened to one line (no CR/LF, no
control or bidi-override characters), so a title cannot add a ``Bcc:`` or make
the subject read backwards; in the HTML part every value is escaped and only
http(s) links become anchors; nothing is loaded from elsewhere. ``Message-ID``
is derived from the version id, and later versions point at the first one
(``In-Reply-To``/``References``) so mail clients thread an incident.
"""

from __future__ import annotations

import hashlib
import html
import unicodedata
from collections.abc import Sequence
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, getaddresses
from urllib.parse import quote

from tocsin.formats.atom import clean, safe_link
from tocsin.schema import Alert

_SEVERITY_COLOURS = {"extreme": "#B00020", "severe": "#D9534F", "warning": "#E8A317", "info": "#2F6FBA"}
# Bidi embeddings, overrides and isolates.
_BIDI = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
_SUBJECT_TITLE_CHARS = 160


def mailbox(value: str) -> Address:
    """One address (``a@b.org`` or ``Name <a@b.org>``), or ValueError saying why not."""
    if any(unicodedata.category(c) == "Cc" for c in value):
        raise ValueError(f"control characters in address {value!r}")
    parsed = getaddresses([value])
    if len(parsed) != 1 or parsed[0][1].count("@") != 1:
        raise ValueError(f"expected one e-mail address, got {value!r}")
    name, addr = parsed[0]
    local, _, domain = addr.partition("@")
    if not local or not domain:
        raise ValueError(f"expected one e-mail address, got {value!r}")
    try:
        return Address(display_name=name, addr_spec=addr)
    except (ValueError, IndexError) as exc:
        raise ValueError(f"invalid e-mail address {value!r}: {exc}") from exc


def one_line(text: str, limit: int | None = None) -> str:
    """Text made safe for a header or a list entry: one line, printable, at most ``limit``."""
    flat = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c
                   for c in text.translate(_BIDI))
    flat = " ".join(flat.split())
    if limit is not None and len(flat) > limit:
        flat = flat[:limit - 1].rstrip() + "…"
    return flat


def subject(alert: Alert) -> str:
    """``[SEVERITY] rule: title (event)``: what an inbox list shows needs no opening."""
    return (f"[{one_line(alert.severity).upper()}] {one_line(alert.rule, 80)}: "
            f"{one_line(alert.title, _SUBJECT_TITLE_CHARS)} ({one_line(alert.event)})")


def _id_token(alert_id: str) -> str:
    """The alert id as a Message-ID left part: dot-atom characters only, bounded length."""
    token = quote(alert_id, safe="").replace(".", "%2E")
    return token if len(token) <= 120 else hashlib.sha256(alert_id.encode("utf-8")).hexdigest()[:40]


def message_id(alert_id: str, version: int, domain: str) -> str:
    return f"<{_id_token(alert_id)}.v{version}@{domain}>"


def _message_domain(sender: Address) -> str:
    try:
        return sender.domain.encode("idna").decode("ascii")
    except UnicodeError:
        return "tocsin.invalid"


def facts(alert: Alert) -> list[tuple[str, str]]:
    """(label, value) pairs shown in both parts; values may hold scraped text."""
    rows = [
        ("Event", f"{alert.event} (version {alert.version}), status {alert.status}"),
        ("Severity", alert.severity),
        ("Rule", f"{alert.rule} ({alert.rule_type})"),
        ("Where", ", ".join(f"{k}: {v}" for k, v in alert.group.items())),
    ]
    if alert.area is not None:
        rows.append(("Area", alert.area.description))
    rows += [
        ("Count", f"{alert.count} (threshold {alert.threshold})"),
        ("Window", f"{alert.window_start.isoformat()} – {alert.window_end.isoformat()}"),
        ("Seen", f"first {alert.first_seen.isoformat()}, last {alert.last_seen.isoformat()}"),
    ]
    if alert.expected is not None:
        rows.append(("Expected", f"{alert.expected:.2f}" + (
            f" (z-score {alert.z_score:.2f})" if alert.z_score is not None else "")))
    if alert.details:
        rows.append(("Details", ", ".join(f"{k}: {v}" for k, v in alert.details.items())))
    if alert.acknowledged_by:
        at = alert.acknowledged_at.isoformat() if alert.acknowledged_at else "?"
        rows.append(("Acknowledged", f"by {alert.acknowledged_by} at {at}"))
    if alert.assigned_to:
        rows.append(("Assigned to", alert.assigned_to))
    if alert.resolved_at:
        rows.append(("Resolved", alert.resolved_at.isoformat()))
    rows.append(("Alert id", alert.id))
    return [(label, one_line(value)) for label, value in rows]


def samples(alert: Alert) -> list[tuple[str, str, str | None]]:
    """(item id, one-line title, http(s) link or None) of the contributing items."""
    titles = alert.sample_titles or [""] * len(alert.sample_item_ids)
    urls = alert.sample_urls or [None] * len(alert.sample_item_ids)
    return [(one_line(item_id), one_line(title or item_id, 300), safe_link(url))
            for item_id, title, url in zip(alert.sample_item_ids, titles, urls, strict=False)]


def _paragraph(text: str) -> str:
    return clean(text).replace("\r\n", "\n").replace("\r", "\n").translate(_BIDI).strip()


def text_body(alert: Alert) -> str:
    lines = [one_line(alert.title), "", *(f"{label}: {value}" for label, value in facts(alert))]
    if alert.description:
        lines += ["", _paragraph(alert.description)]
    if alert.sample_item_ids:
        lines += ["", "Sample items:"]
        lines += [f"- {title} [{item_id}]" + (f" <{url}>" if url else "")
                  for item_id, title, url in samples(alert)]
    if alert.notes:
        lines += ["", "Notes:"]
        lines += [f"- {one_line(n.author)} ({n.at.isoformat()}): {_paragraph(n.text)}" for n in alert.notes]
    return "\n".join(lines) + "\n"


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def html_body(alert: Alert) -> str:
    colour = _SEVERITY_COLOURS.get(alert.severity, "#777777")
    rows = "".join(f'<tr><th align="left" valign="top">{_esc(label)}</th><td>{_esc(value)}</td></tr>'
                   for label, value in facts(alert))
    parts = [
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head>'
        '<body style="font-family: sans-serif">',
        f'<h2 style="color: {colour}">[{_esc(one_line(alert.severity).upper())}] '
        f"{_esc(one_line(alert.title))}</h2>",
        f'<table cellpadding="4">{rows}</table>',
    ]
    if alert.description:
        parts.append(f"<p>{_esc(_paragraph(alert.description)).replace(chr(10), '<br>')}</p>")
    if alert.sample_item_ids:
        items = "".join(
            f"<li>{_anchor(url, _esc(title))} <small>[{_esc(item_id)}]</small></li>"
            for item_id, title, url in samples(alert))
        parts.append(f"<h3>Sample items</h3><ul>{items}</ul>")
    if alert.notes:
        notes = "".join(f"<li><b>{_esc(one_line(n.author))}</b> ({_esc(n.at.isoformat())}): "
                        f"{_esc(_paragraph(n.text)).replace(chr(10), '<br>')}</li>" for n in alert.notes)
        parts.append(f"<h3>Notes</h3><ul>{notes}</ul>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _anchor(url: str | None, label_html: str) -> str:
    return f'<a href="{_esc(url)}">{label_html}</a>' if url else label_html


def build_message(alert: Alert, *, sender: Address, to: Sequence[Address],
                  cc: Sequence[Address] = ()) -> EmailMessage:
    """The message for one alert version. Bcc recipients are envelope-only, never a header."""
    domain = _message_domain(sender)
    message = EmailMessage(policy=SMTP_POLICY)
    message["From"] = sender
    message["To"] = list(to)
    if cc:
        message["Cc"] = list(cc)
    message["Subject"] = subject(alert)
    message["Date"] = format_datetime(alert.updated_at)
    message["Message-ID"] = message_id(alert.id, alert.version, domain)
    if alert.version > 1:
        first = message_id(alert.id, 1, domain)
        message["In-Reply-To"] = first
        message["References"] = first
    # RFC 3834: auto-replies (out of office) are not sent to a machine.
    message["Auto-Submitted"] = "auto-generated"
    message["X-Tocsin-Alert-Id"] = one_line(alert.id, 400)
    message["X-Tocsin-Event"] = one_line(alert.event)
    message["X-Tocsin-Severity"] = one_line(alert.severity)
    # Quoted-printable keeps the message 7-bit, so a relay without 8BITMIME takes it too.
    message.set_content(text_body(alert), subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(html_body(alert), subtype="html", charset="utf-8", cte="quoted-printable")
    return message
