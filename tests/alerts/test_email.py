"""The e-mail notifier against a real SMTP server (aiosmtpd) on 127.0.0.1, and routing.

Messages are parsed back with the stdlib ``email`` package: headers, both parts,
escaping of hostile titles, threading; STARTTLS, implicit TLS and login run over
real TLS with a throwaway CA (trustme).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import socket
import ssl
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from alerts.notify import NotifierConfigError, load_notifiers
from alerts.notify.dispatch import Dispatcher
from alerts.notify.email import EmailConfig, EmailNotifier
from alerts.notify.email_message import message_id, one_line, subject
from alerts.notify.routing import Routing
from alerts.notify.webhook import WebhookConfig, WebhookNotifier
from tests.alerts.factories import T0
from tocsin.schema import Alert, AlertEvent, DeadLetter
from tocsin_embedded.ports import free_port

HOSTILE = "<img src=x onerror=alert(1)>\r\nBcc: evil@x"
PASSWORD = "hunter2-not-for-logs"
FAST = {"max_attempts": 3, "backoff_base_s": 0.01, "backoff_cap_s": 0.05}


def make_alert(title: str = "Violence reports: SD", *, version: int = 1, event: AlertEvent = "opened",
               severity: str = "extreme", rule: str = "burst", **extra: Any) -> Alert:
    return Alert(
        id=f"{rule}|country=SD|1", rule=rule, rule_type="frequency", title=title, severity=severity,
        group={"country": "SD"}, group_key="country=SD", window_start=T0, window_end=T0 + timedelta(hours=1),
        count=3, threshold=3, sample_item_ids=["a", "b"], sample_titles=[title, "second <b>"],
        sample_urls=["https://news.example/a?x=1&y=2", "javascript:alert(1)"],
        first_seen=T0 + timedelta(minutes=10), last_seen=T0 + timedelta(minutes=50),
        raised_at=T0 + timedelta(minutes=51), updated_at=T0 + timedelta(minutes=51 + version),
        version=version, event=event, **extra)


@dataclass
class Delivered:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class Inbox:
    """aiosmtpd handler: answers DATA with the scripted replies in turn, then accepts."""

    script: list[str] = field(default_factory=list)
    delivered: list[Delivered] = field(default_factory=list)
    attempts: int = 0

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        self.attempts += 1
        if self.script:
            return self.script.pop(0)
        content = envelope.original_content or b""
        parsed = message_from_bytes(content, policy=default_policy)
        assert isinstance(parsed, EmailMessage)
        self.delivered.append(Delivered(envelope.mail_from or "", list(envelope.rcpt_tos), parsed))
        return "250 2.0.0 OK"


@dataclass
class Certs:
    ca_file: Path
    server_context: ssl.SSLContext


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    ca = trustme.CA()
    ca_file = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return Certs(ca_file, context)


class Logins:
    """Accepts ``tocsin`` / PASSWORD and records every attempt's user name."""

    def __init__(self) -> None:
        self.users: list[str] = []

    def __call__(self, server: SMTPServer, session: Session, envelope: Envelope, mechanism: str,
                 auth_data: Any) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        self.users.append(auth_data.login.decode())
        ok = (auth_data.login, auth_data.password) == (b"tocsin", PASSWORD.encode())
        return AuthResult(success=ok, handled=False)


@dataclass
class SMTPPeer:
    inbox: Inbox
    port: int
    logins: Logins


ServerFactory = Callable[..., SMTPPeer]


@pytest.fixture
def smtp_server() -> Iterator[ServerFactory]:
    """Starts aiosmtpd servers on 127.0.0.1 (in their own thread and loop); stops them after."""
    controllers: list[Controller] = []

    def start(*, tls_context: ssl.SSLContext | None = None, implicit_tls: ssl.SSLContext | None = None,
              script: list[str] | None = None) -> SMTPPeer:
        inbox, logins, port = Inbox(script=list(script or [])), Logins(), free_port()
        # aiosmtpd only counts STARTTLS as TLS; on an implicit-TLS port every byte is encrypted.
        controller = Controller(inbox, hostname="127.0.0.1", port=port, ssl_context=implicit_tls,
                                tls_context=tls_context, authenticator=logins,
                                auth_require_tls=implicit_tls is None, server_hostname="smtp.test")
        controller.start()
        controllers.append(controller)
        return SMTPPeer(inbox, port, logins)

    yield start
    for controller in controllers:
        controller.stop()


def email_notifier(port: int, *, name: str = "mail", security: str = "none", ca_file: Path | None = None,
                   login: bool = False, password: str = PASSWORD, **options: Any) -> EmailNotifier:
    raw: dict[str, Any] = {"name": name, "type": "email", "host": "127.0.0.1", "port": port,
                           "security": security, "from": "Tocsin <alerts@tocsin.example>",
                           "to": ["Desk <desk@ngo.example>"], "cc": ["watch@ngo.example"],
                           "bcc": ["archive@ngo.example"], "timeout_s": 5, "retry": FAST, **options}
    if ca_file is not None:
        raw["ca_file"] = str(ca_file)
    if login:
        raw |= {"username": "tocsin", "password_env": "SMTP_PASSWORD"}
    config = EmailConfig.model_validate(raw)
    return EmailNotifier.from_config(config, {"SMTP_PASSWORD": password})


class Letters(list[DeadLetter]):
    async def __call__(self, letter: DeadLetter) -> None:
        self.append(letter)


def parts(message: EmailMessage) -> tuple[str, str]:
    plain, rich = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None and rich is not None
    return plain.get_content(), rich.get_content()


# --- delivery -------------------------------------------------------------------------------

async def test_starttls_login_delivers_text_and_html_with_hostile_title_escaped(
        smtp_server: ServerFactory, certs: Certs) -> None:
    peer = smtp_server(tls_context=certs.server_context)
    notifier = email_notifier(peer.port, security="starttls", ca_file=certs.ca_file, login=True)
    alert = make_alert(HOSTILE, description="Armed men <script>steal()</script> & more")
    await notifier.send(alert)

    [got] = peer.inbox.delivered
    assert peer.logins.users == ["tocsin"]
    assert got.mail_from == "alerts@tocsin.example"
    assert sorted(got.rcpt_tos) == ["archive@ngo.example", "desk@ngo.example", "watch@ngo.example"]
    message = got.message
    assert message["From"] == "Tocsin <alerts@tocsin.example>"
    assert message["To"] == "Desk <desk@ngo.example>" and message["Cc"] == "watch@ngo.example"
    # The CR/LF in the title neither ends the Subject nor adds a header.
    assert message["Subject"] == "[EXTREME] burst: <img src=x onerror=alert(1)> Bcc: evil@x (opened)"
    assert message.get_all("Bcc") is None and "evil@x" not in got.rcpt_tos
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"] == message_id(alert.id, 1, "tocsin.example")
    assert message.get_content_type() == "multipart/alternative"

    text, rich = parts(message)
    assert "<img src=x onerror=alert(1)> Bcc: evil@x" in text and "Severity: extreme" in text
    assert "<https://news.example/a?x=1&y=2>" in text and "javascript:" not in text
    assert "&lt;img src=x onerror=alert(1)&gt; Bcc: evil@x" in rich
    assert "<img" not in rich and "<script" not in rich
    assert "Armed men &lt;script&gt;steal()&lt;/script&gt; &amp; more" in rich
    assert '<a href="https://news.example/a?x=1&amp;y=2">' in rich
    assert "javascript:" not in rich and "second &lt;b&gt;" in rich


async def test_implicit_tls_delivers(smtp_server: ServerFactory, certs: Certs) -> None:
    peer = smtp_server(implicit_tls=certs.server_context)
    notifier = email_notifier(peer.port, security="tls", ca_file=certs.ca_file, login=True)
    await notifier.send(make_alert())
    assert [d.message["Subject"] for d in peer.inbox.delivered] == [
        "[EXTREME] burst: Violence reports: SD (opened)"]


async def test_versions_of_an_incident_thread_on_the_first_message_id(smtp_server: ServerFactory) -> None:
    peer = smtp_server()
    notifier = email_notifier(peer.port)
    steps: list[tuple[int, AlertEvent]] = [(1, "opened"), (2, "escalated"), (3, "resolved")]
    for version, event in steps:
        await notifier.send(make_alert(version=version, event=event))
    first, second, third = (d.message for d in peer.inbox.delivered)
    root = first["Message-ID"]
    assert root == "<burst%7Ccountry%3DSD%7C1.v1@tocsin.example>"
    assert first["In-Reply-To"] is None and first["References"] is None
    assert len({root, second["Message-ID"], third["Message-ID"]}) == 3
    for later in (second, third):
        assert later["In-Reply-To"] == root and later["References"] == root
    assert third["Subject"].endswith("(resolved)") and "Event: resolved (version 3)" in parts(third)[0]


def test_message_id_is_a_valid_msg_id_for_any_alert_id() -> None:
    for alert_id in ("rule|admin1=North Darfur|2026-03-01T12:00", "r|x=..a..|1", "r|ü=ä|1", "x" * 500):
        left, _, right = message_id(alert_id, 7, "tocsin.example")[1:-1].rpartition("@")
        assert right == "tocsin.example" and left.endswith(".v7") and len(left) <= 130
        assert ".." not in left and not left.startswith(".")
        assert all(c.isascii() and (c.isalnum() or c in "!#$%&'*+-/=?^_`{|}~.") for c in left), left
    assert message_id("a", 1, "d") != message_id("b", 1, "d")


@pytest.mark.parametrize("title", [HOSTILE, "a\nb", "a\rb", "a\u2028b\u2029c\x85d", "\u202eevil\u202c",
                                   "t" * 999])
def test_subject_is_one_printable_line(title: str) -> None:
    line = subject(make_alert(title))
    assert "\r" not in line and "\n" not in line and "\u2028" not in line and "\u202e" not in line
    assert line == one_line(line) and len(line) < 260


# --- failures -------------------------------------------------------------------------------

async def test_server_without_starttls_is_refused_not_retried(smtp_server: ServerFactory,
                                                              certs: Certs) -> None:
    peer = smtp_server()  # no TLS at all
    notifier = email_notifier(peer.port, security="starttls", ca_file=certs.ca_file, login=True)
    letters = Letters()
    assert await Dispatcher([notifier], letters).dispatch(make_alert()) == {"mail": False}
    [letter] = letters
    assert "does not offer STARTTLS; not sending in clear text" in letter.error
    assert "after 1 attempt(s)" in letter.error
    assert peer.inbox.attempts == 0 and peer.logins.users == []


async def test_untrusted_certificate_is_a_clear_error(smtp_server: ServerFactory, certs: Certs) -> None:
    peer = smtp_server(tls_context=certs.server_context)
    notifier = email_notifier(peer.port, security="starttls", retry={"max_attempts": 1})  # system CAs only
    letters = Letters()
    assert await Dispatcher([notifier], letters).dispatch(make_alert()) == {"mail": False}
    assert "STARTTLS failed" in letters[0].error and "CERTIFICATE_VERIFY_FAILED" in letters[0].error
    assert peer.inbox.attempts == 0


async def test_wrong_password_is_permanent_and_never_logged(smtp_server: ServerFactory, certs: Certs,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    peer = smtp_server(tls_context=certs.server_context)
    wrong = "wrong-" + PASSWORD
    notifier = email_notifier(peer.port, security="starttls", ca_file=certs.ca_file, login=True,
                              password=wrong)
    letters = Letters()
    with caplog.at_level(logging.DEBUG):
        assert await Dispatcher([notifier], letters).dispatch(make_alert()) == {"mail": False}
    [letter] = letters
    assert "refused login as 'tocsin': 535" in letter.error and "after 1 attempt(s)" in letter.error
    # aiosmtplib tries each mechanism offered (PLAIN, LOGIN) before giving up.
    assert set(peer.logins.users) == {"tocsin"} and peer.inbox.attempts == 0
    for text in (letter.error, caplog.text, repr(notifier), repr(notifier.config)):
        assert PASSWORD not in text


async def test_4xx_is_retried_then_delivered_once(smtp_server: ServerFactory) -> None:
    peer = smtp_server(script=["451 4.3.0 Try again later"])
    letters = Letters()
    assert await Dispatcher([email_notifier(peer.port)], letters).dispatch(make_alert()) == {"mail": True}
    assert peer.inbox.attempts == 2 and len(peer.inbox.delivered) == 1 and letters == []


async def test_5xx_is_not_retried_and_dead_letters(smtp_server: ServerFactory) -> None:
    peer = smtp_server(script=["554 5.7.1 Message rejected"] * 5)
    letters = Letters()
    alert = make_alert()
    assert await Dispatcher([email_notifier(peer.port)], letters).dispatch(alert) == {"mail": False}
    assert peer.inbox.attempts == 1 and peer.inbox.delivered == []
    [letter] = letters
    assert (letter.stage, letter.reason, letter.key) == ("alerts-delivery", "delivery-failed", alert.id)
    assert "554 5.7.1 Message rejected" in letter.error and "mail after 1 attempt(s)" in letter.error
    assert Alert.from_bytes(base64.b64decode(letter.payload_b64)) == alert


async def test_4xx_until_the_last_attempt_dead_letters(smtp_server: ServerFactory) -> None:
    peer = smtp_server(script=["421 4.7.0 Busy"] * 5)
    letters = Letters()
    assert await Dispatcher([email_notifier(peer.port)], letters).dispatch(make_alert()) == {"mail": False}
    assert peer.inbox.attempts == 3 and "after 3 attempt(s)" in letters[0].error


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Accepts TCP connections (the kernel does) and never says a word: a hung mail server."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    try:
        yield int(sock.getsockname()[1])
    finally:
        sock.close()


@pytest.fixture
async def hook_url() -> AsyncIterator[tuple[str, list[float]]]:
    """A webhook receiver; yields its URL and the times it was called."""
    calls: list[float] = []

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        calls.append(time.monotonic())
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}/hook", calls
    finally:
        await runner.cleanup()


async def test_hung_smtp_server_never_blocks_a_webhook(silent_server: int,
                                                       hook_url: tuple[str, list[float]]) -> None:
    url, calls = hook_url
    mail = email_notifier(silent_server, timeout_s=1, retry={"max_attempts": 2, "backoff_base_s": 0.01})
    hook = WebhookNotifier(WebhookConfig.model_validate({"name": "hook", "type": "webhook", "url": url}))
    letters = Letters()
    start = time.monotonic()
    try:
        task = asyncio.create_task(Dispatcher([mail, hook], letters).dispatch(make_alert()))
        while not calls and time.monotonic() - start < 5:
            await asyncio.sleep(0.01)
        assert calls and calls[0] - start < 0.9, "the webhook waited on the mail server"
        assert not task.done()
        assert await task == {"mail": False, "hook": True}
    finally:
        await hook.aclose()
    assert time.monotonic() - start < 4
    [letter] = letters
    assert letter.error.startswith("mail after 2 attempt(s)") and "no answer within 1 s" in letter.error


async def test_refused_connection_is_retried_then_dead_lettered() -> None:
    letters = Letters()
    notifier = email_notifier(free_port())
    assert await Dispatcher([notifier], letters).dispatch(make_alert()) == {"mail": False}
    assert "after 3 attempt(s)" in letters[0].error and "connect failed" in letters[0].error


# --- routing --------------------------------------------------------------------------------

@pytest.mark.parametrize(("routing", "alert", "accepted"), [
    (Routing(), make_alert(severity="info"), True),
    (Routing(min_severity="severe"), make_alert(severity="warning"), False),
    (Routing(min_severity="severe"), make_alert(severity="severe"), True),
    (Routing(min_severity="severe"), make_alert(severity="extreme"), True),
    (Routing(min_severity="extreme"), make_alert(severity="made-up"), True),  # unknown: delivered
    (Routing(), make_alert(event="updated", version=2), False),
    (Routing(), make_alert(event="noted", version=2), False),
    (Routing(), make_alert(event="escalated", version=2), True),
    (Routing(), make_alert(event="resolved", version=3), True),
    (Routing.of("info", ["noted"], []), make_alert(event="noted", version=2), True),
    (Routing.of("info", ["noted"], []), make_alert(), False),
    (Routing.of("info", ["opened"], ["burst"]), make_alert(rule="burst"), True),
    (Routing.of("info", ["opened"], ["burst"]), make_alert(rule="spike"), False),
])
def test_routing_accepts(routing: Routing, alert: Alert, accepted: bool) -> None:
    assert routing.accepts(alert) is accepted


async def test_dispatch_sends_each_version_only_to_the_channels_that_route_it(
        smtp_server: ServerFactory) -> None:
    peers = {name: smtp_server() for name in ("all", "severe", "notes", "spike")}
    notifiers = [
        email_notifier(peers["all"].port, name="all"),
        email_notifier(peers["severe"].port, name="severe", min_severity="severe"),
        email_notifier(peers["notes"].port, name="notes", events=["noted", "acknowledged"]),
        email_notifier(peers["spike"].port, name="spike", rules=["spike"]),
    ]
    dispatcher = Dispatcher(notifiers, Letters())
    assert await dispatcher.dispatch(make_alert(severity="warning")) == {"all": True}
    assert await dispatcher.dispatch(make_alert(severity="severe", event="escalated", version=2)) == {
        "all": True, "severe": True}
    assert await dispatcher.dispatch(make_alert(event="noted", version=3)) == {"notes": True}
    assert await dispatcher.dispatch(make_alert(rule="spike")) == {"all": True, "severe": True,
                                                                    "spike": True}
    assert await dispatcher.dispatch(make_alert(event="updated", version=4)) == {}
    got = {name: [(d.message["X-Tocsin-Event"], d.message["Subject"].split(":")[0])
                  for d in peer.inbox.delivered] for name, peer in peers.items()}
    assert got == {
        "all": [("opened", "[WARNING] burst"), ("escalated", "[SEVERE] burst"),
                ("opened", "[EXTREME] spike")],
        "severe": [("escalated", "[SEVERE] burst"), ("opened", "[EXTREME] spike")],
        "notes": [("noted", "[EXTREME] burst")],
        "spike": [("opened", "[EXTREME] spike")],
    }


# --- configuration --------------------------------------------------------------------------

EMAIL = "{name: m, type: email, host: smtp.example, from: a@b.example, to: [c@d.example]"


def test_email_notifier_loads_from_yaml_with_routing(tmp_path: Path) -> None:
    path = tmp_path / "notifiers.yaml"
    path.write_text(
        "notifiers:\n"
        f"  - {EMAIL}, username: u, password_env: SMTP_PASSWORD, min_severity: severe,"
        " events: [opened, resolved], rules: [burst]}\n"
        "  - {name: h, type: webhook, url: 'https://h.example/x', events: [noted]}\n", encoding="utf-8")
    mail, hook = load_notifiers(path, env={"SMTP_PASSWORD": PASSWORD}, known_rules={"burst", "spike"})
    assert isinstance(mail, EmailNotifier) and mail.config.smtp_port == 587
    assert mail.routing == Routing.of("severe", ["opened", "resolved"], ["burst"])
    assert hook.routing == Routing.of("info", ["noted"], [])
    assert PASSWORD not in repr(mail.config) and PASSWORD not in repr(mail)


def test_default_ports_follow_security() -> None:
    def port(security: str) -> int:
        return EmailConfig.model_validate({"name": "m", "type": "email", "host": "h", "from": "a@b.c",
                                           "to": ["d@e.f"], "security": security}).smtp_port
    assert (port("starttls"), port("tls"), port("none")) == (587, 465, 25)


@pytest.mark.parametrize(("entry", "env", "known", "wanted"), [
    (f"{EMAIL}, password_env: NOPE, username: u}}", {}, None,
     "notifiers[0] (m): password_env: environment variable 'NOPE' is not set"),
    (f"{EMAIL}, username: u}}", {}, None, "notifiers[0] (m): (notifier): Value error, username and "
     "password_env go together"),
    (f"{EMAIL}, security: none, username: u, password_env: P}}", {"P": "x"}, None,
     "notifiers[0] (m): (notifier): Value error, security: none would send the password in clear text"),
    (f"{EMAIL}, security: ssl}}", {}, None, "notifiers[0] (m): security:"),
    (f"{EMAIL}, password: x}}", {}, None, "notifiers[0] (m): password: unknown key"),
    (f'{EMAIL}, cc: [ok@y.example, "x@y\\r\\nBcc: evil@x"]}}', {}, None,
     "notifiers[0] (m): cc.1: Value error, control characters in address"),
    ("{name: m, type: email, host: smtp.example, from: 'not an address', to: [c@d.example]}", {}, None,
     "notifiers[0] (m): from:"),
    ("{name: m, type: email, host: smtp.example, from: a@b.example, to: []}", {}, None,
     "notifiers[0] (m): to:"),
    (f"{EMAIL}, ca_file: /nonexistent/ca.pem}}", {}, None, "notifiers[0] (m): ca_file:"),
    (f"{EMAIL}, min_severity: critical}}", {}, None, "notifiers[0] (m): min_severity:"),
    (f"{EMAIL}, events: [opened, closed]}}", {}, None, "notifiers[0] (m): events.1:"),
    (f"{EMAIL}, events: []}}", {}, None, "notifiers[0] (m): events:"),
    ("{name: h, type: webhook, url: 'https://h.example/x', min_severity: high}", {}, None,
     "notifiers[0] (h): min_severity:"),
    ("{name: h, type: webhook, url: 'https://h.example/x', events: [resolve]}", {}, None,
     "notifiers[0] (h): events.0:"),
    ("{name: h, type: webhook, url: 'https://h.example/x', rules: [brust]}", {}, {"burst"},
     "notifiers[0] (h): rules: unknown rule(s) 'brust'; known: burst"),
    (f"{EMAIL}, rules: ['']}}", {}, None, "notifiers[0] (m): rules.0:"),
])
def test_config_errors_name_file_notifier_and_key(tmp_path: Path, entry: str, env: dict[str, str],
                                                  known: set[str] | None, wanted: str) -> None:
    path = tmp_path / "notifiers.yaml"
    path.write_text(f"notifiers:\n  - {entry}\n", encoding="utf-8")
    with pytest.raises(NotifierConfigError) as caught:
        load_notifiers(path, env=env, known_rules=known)
    assert str(caught.value).startswith(f"{path}: ") and wanted in str(caught.value), str(caught.value)

