"""Notifiers against real local webhook receivers on 127.0.0.1: payload shapes,
signatures, retries, Retry-After, isolation of a failing channel, dead letters, and
the alerts worker delivering through them."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from aiohttp import web

from alerts.notify import NotifierConfigError, load_notifiers
from alerts.notify.dispatch import Dispatcher
from alerts.notify.signature import sign, verify_signature
from alerts.notify.webhook import WebhookConfig, WebhookNotifier, slack_escape
from tests.alerts.factories import T0, enriched
from tests.alerts.test_app import RULES, VIOLENT, produce, read_topic
from tests.stack import Stack
from tocsin import topics
from tocsin.kafka import ensure_topics
from tocsin.schema import Alert, DeadLetter
from tocsin.settings import AlertSettings, SearchSettings
from tocsin_embedded.broker import LocalBroker
from tocsin_embedded.ports import free_port

HOSTILE = "<!channel> Fire & <https://evil.example|click here> <@U123>"


def make_alert(title: str = "Violence reports: SD", **extra: Any) -> Alert:
    return Alert(
        id="burst|country=SD|1", rule="burst", rule_type="frequency", title=title, severity="extreme",
        group={"country": "SD"}, group_key="country=SD", window_start=T0, window_end=T0 + timedelta(hours=1),
        count=3, threshold=3, sample_item_ids=["a", "b"], sample_titles=[title, "second <b>"],
        sample_urls=["https://news.example/a?x=1&y=2", "javascript:alert(1)"],
        first_seen=T0 + timedelta(minutes=10), last_seen=T0 + timedelta(minutes=50),
        raised_at=T0 + timedelta(minutes=51), **extra)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    """Answers POST /<path> with the scripted (status, headers) in turn, then 200."""

    port: int
    script: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    async def handle(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        self.received.append(Received(path, dict(request.headers), await request.read(), time.monotonic()))
        steps = self.script.get(path)
        status, headers = steps.pop(0) if steps else (200, {})
        return web.Response(status=status, headers=headers, text="ok" if status < 300 else "nope")


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    recv = Receiver(port=free_port())
    app = web.Application()
    app.router.add_post("/{path}", recv.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", recv.port).start()
    try:
        yield recv
    finally:
        await runner.cleanup()


def webhook(url: str, *, name: str = "hook", secret: bytes | None = None, **options: Any) -> WebhookNotifier:
    retry = options.pop("retry", {"max_attempts": 4, "backoff_base_s": 0.01, "backoff_cap_s": 0.05})
    options.setdefault("allow_private_targets", True)  # the receivers listen on 127.0.0.1
    config = WebhookConfig.model_validate({"name": name, "type": "webhook", "url": url, "timeout_s": 5,
                                           "retry": retry, **options})
    return WebhookNotifier(config, secret=secret)


class Letters(list[DeadLetter]):
    async def __call__(self, letter: DeadLetter) -> None:
        self.append(letter)


async def test_generic_format_posts_the_alert_json_exactly(receiver: Receiver) -> None:
    alert = make_alert()
    notifier = webhook(receiver.url("generic"))
    try:
        await notifier.send(alert)
    finally:
        await notifier.aclose()
    [got] = receiver.at("generic")
    assert got.body == alert.to_bytes()
    assert json.loads(got.body) == json.loads(alert.model_dump_json())
    assert got.headers["Content-Type"].startswith("application/json")


async def test_signature_covers_timestamp_and_body_with_the_secret_named_by_secret_env(
        receiver: Receiver, tmp_path: Path) -> None:
    path = tmp_path / "notifiers.yaml"
    path.write_text(f"notifiers:\n  - {{name: signed, type: webhook, url: '{receiver.url('signed')}',"
                    " secret_env: HOOK_SECRET, allow_private_targets: true}\n", encoding="utf-8")
    [notifier] = load_notifiers(path, env={"HOOK_SECRET": "s3cret"})
    before = int(time.time())
    try:
        await notifier.send(make_alert())
    finally:
        await notifier.aclose()  # type: ignore[attr-defined]
    [got] = receiver.at("signed")
    stamp, signature = got.headers["X-Tocsin-Timestamp"], got.headers["X-Tocsin-Signature"]
    assert before <= int(stamp) <= time.time()
    # The documented scheme, computed independently of the code under test.
    expected = "sha256=" + hmac.new(b"s3cret", stamp.encode() + b"." + got.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(signature, expected)
    assert verify_signature("s3cret", stamp, got.body, signature)
    assert not verify_signature("wrong", stamp, got.body, signature)
    assert not verify_signature("s3cret", stamp, got.body + b" ", signature)
    # A replay: the same request presented after the tolerance window.
    assert not verify_signature("s3cret", stamp, got.body, signature, now=int(stamp) + 301)
    # The old body-only signature is no longer accepted.
    body_only = "sha256=" + hmac.new(b"s3cret", got.body, hashlib.sha256).hexdigest()
    assert not verify_signature("s3cret", stamp, got.body, body_only)


async def test_without_a_secret_a_request_has_a_timestamp_but_no_signature(receiver: Receiver) -> None:
    notifier = webhook(receiver.url("plain"))
    try:
        await notifier.send(make_alert())
    finally:
        await notifier.aclose()
    [got] = receiver.at("plain")
    assert got.headers["X-Tocsin-Timestamp"].isdigit() and "X-Tocsin-Signature" not in got.headers


@pytest.mark.parametrize(("timestamp", "now", "tolerance", "ok"), [
    ("1700000000", 1700000000, 300, True),
    ("1700000000", 1700000300, 300, True),    # at the edge of the window
    ("1700000000", 1700000301, 300, False),   # too old: a replay
    ("1700000000", 1699999699, 300, False),   # from the future beyond tolerance
    ("1700000000", 1700003600, 3600, True),   # a wider window is the receiver's choice
    ("-5", 0, 300, False),
    ("17e8", 1700000000, 300, False),
    ("", 1700000000, 300, False),
])
def test_verify_signature_checks_the_tolerance_window(timestamp: str, now: int, tolerance: int,
                                                      ok: bool) -> None:
    body = b'{"id": "x"}'
    signature = "sha256=" + hmac.new(b"k", timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert verify_signature(b"k", timestamp, body, signature, tolerance_s=tolerance, now=now) is ok


def test_verify_signature_rejects_garbage_signatures() -> None:
    body, stamp = b"{}", "1700000000"
    good = sign("k", stamp, body)
    assert verify_signature("k", int(stamp), body, good, now=1700000000)
    for bad in ("", "sha256=", good.upper(), good[:-1], good + "0", "sha256=é" + good[8:], good[7:]):
        assert not verify_signature("k", stamp, body, bad, now=1700000000), bad


async def test_slack_format_is_text_and_mrkdwn_blocks(receiver: Receiver) -> None:
    notifier = webhook(receiver.url("slack"), format="slack")
    try:
        await notifier.send(make_alert())
    finally:
        await notifier.aclose()
    payload = json.loads(receiver.at("slack")[0].body)
    assert set(payload) == {"text", "blocks"}
    assert "Violence reports: SD" in payload["text"]
    assert all(b["type"] == "section" and b["text"]["type"] == "mrkdwn" for b in payload["blocks"])
    samples = payload["blocks"][-1]["text"]["text"]
    assert "<https://news.example/a?x=1&amp;y=2|Violence reports: SD>" in samples
    assert "javascript:" not in samples and "second &lt;b&gt;" in samples


async def test_slack_format_escapes_hostile_titles(receiver: Receiver) -> None:
    notifier = webhook(receiver.url("slack"), format="slack")
    try:
        await notifier.send(make_alert(title=HOSTILE, description="a <b> & c"))
    finally:
        await notifier.aclose()
    payload = json.loads(receiver.at("slack")[0].body)
    texts = [payload["text"], *(b["text"]["text"] for b in payload["blocks"])]
    for text in texts:
        assert "<!channel>" not in text and "<@U123>" not in text and "<https://evil" not in text
    assert slack_escape(HOSTILE) in payload["text"]
    assert slack_escape(HOSTILE) == ("&lt;!channel&gt; Fire &amp; &lt;https://evil.example|click here&gt; "
                                     "&lt;@U123&gt;")
    assert any("a &lt;b&gt; &amp; c" in t for t in texts)


async def test_teams_format_is_a_message_card(receiver: Receiver) -> None:
    notifier = webhook(receiver.url("teams"), format="teams")
    try:
        await notifier.send(make_alert())
    finally:
        await notifier.aclose()
    card = json.loads(receiver.at("teams")[0].body)
    assert card["@type"] == "MessageCard" and card["@context"] == "https://schema.org/extensions"
    assert card["title"] == "Violence reports: SD"
    facts = {f["name"]: f["value"] for f in card["sections"][0]["facts"]}
    assert facts["Severity"] == "extreme" and facts["Where"] == "country: SD"
    assert [a["targets"][0]["uri"] for a in card["potentialAction"]] == ["https://news.example/a?x=1&y=2"]


async def test_retries_on_500_then_succeeds(receiver: Receiver) -> None:
    receiver.script["flaky"] = [(500, {}), (502, {})]
    letters = Letters()
    notifier = webhook(receiver.url("flaky"))
    try:
        assert await Dispatcher([notifier], letters).dispatch(make_alert()) == {"hook": True}
    finally:
        await notifier.aclose()
    assert len(receiver.at("flaky")) == 3 and letters == []


async def test_retry_after_is_honoured_over_backoff(receiver: Receiver) -> None:
    receiver.script["busy"] = [(429, {"Retry-After": "1"})]
    notifier = webhook(receiver.url("busy"))
    try:
        assert await Dispatcher([notifier], Letters()).dispatch(make_alert()) == {"hook": True}
    finally:
        await notifier.aclose()
    first, second = receiver.at("busy")
    assert second.at - first.at >= 0.9


async def test_dead_letter_after_max_attempts(receiver: Receiver) -> None:
    receiver.script["down"] = [(500, {})] * 10
    letters = Letters()
    alert = make_alert()
    notifier = webhook(receiver.url("down"), retry={"max_attempts": 3, "backoff_base_s": 0.01})
    try:
        assert await Dispatcher([notifier], letters).dispatch(alert) == {"hook": False}
    finally:
        await notifier.aclose()
    assert len(receiver.at("down")) == 3
    [letter] = letters
    assert (letter.stage, letter.reason, letter.topic, letter.key) == (
        "alerts-delivery", "delivery-failed", topics.ALERTS, alert.id)
    assert "hook after 3 attempt(s)" in letter.error and "HTTP 500" in letter.error
    assert Alert.from_bytes(base64.b64decode(letter.payload_b64)) == alert


async def test_redirect_is_not_followed_and_is_not_retried(receiver: Receiver) -> None:
    receiver.script["moved"] = [(302, {"Location": receiver.url("elsewhere")})]
    letters = Letters()
    notifier = webhook(receiver.url("moved"))
    try:
        assert await Dispatcher([notifier], letters).dispatch(make_alert()) == {"hook": False}
    finally:
        await notifier.aclose()
    assert len(receiver.at("moved")) == 1 and receiver.at("elsewhere") == []
    assert "HTTP 302" in letters[0].error


async def test_failing_channel_does_not_delay_a_healthy_one(receiver: Receiver) -> None:
    receiver.script["down"] = [(503, {})] * 10
    failing = webhook(receiver.url("down"), name="down",
                      retry={"max_attempts": 4, "backoff_base_s": 1.0, "backoff_cap_s": 1.0})
    healthy = webhook(receiver.url("up"), name="up")
    letters = Letters()
    start = time.monotonic()
    try:
        task = asyncio.create_task(Dispatcher([failing, healthy], letters).dispatch(make_alert()))
        while not receiver.at("up") and time.monotonic() - start < 5:
            await asyncio.sleep(0.01)
        assert receiver.at("up") and receiver.at("up")[0].at - start < 1.0
        assert not task.done(), "the failing channel should still be retrying"
        assert await task == {"down": False, "up": True}
    finally:
        await failing.aclose()
        await healthy.aclose()
    assert len(receiver.at("down")) == 4 and [letter.error.split()[0] for letter in letters] == ["down"]


async def test_private_loopback_and_link_local_targets_are_refused_by_default(receiver: Receiver) -> None:
    """Issue 14: 169.254.169.254 (a cloud's metadata service) was accepted as a webhook target."""
    letters = Letters()
    for url in (receiver.url("inside"), "http://169.254.169.254/latest/meta-data/", "http://[::1]:9/x",
                "http://10.0.0.1/hook"):
        notifier = webhook(url, allow_private_targets=False)
        try:
            assert await Dispatcher([notifier], letters).dispatch(make_alert()) == {"hook": False}
        finally:
            await notifier.aclose()
    assert receiver.at("inside") == []
    assert [letter.error.split(": ")[0] for letter in letters] == ["hook after 1 attempt(s)"] * 4
    assert "non-public address 169.254.169.254 (allow_private_targets is off)" in letters[1].error
    assert "POST http://[::1]:9/…" in letters[2].error


async def test_a_receiver_trickling_its_answer_is_cut_at_the_delivery_deadline() -> None:
    """Issue 14: timeout_s=5 did not stop a receiver sending one byte every 2 s (send took 60 s)."""
    async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        try:
            for _ in range(100):  # each byte well within the read timeout; the answer never ends
                writer.write(b".")
                await writer.drain()
                await asyncio.sleep(0.3)
        except (ConnectionError, asyncio.CancelledError):
            pass
        writer.close()

    server = await asyncio.start_server(trickle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    notifier = webhook(f"http://127.0.0.1:{port}/slow", timeout_s=1)
    start = time.monotonic()
    try:
        with pytest.raises(Exception) as caught:
            await notifier.send(make_alert())
    finally:
        await notifier.aclose()
        server.close()
    assert time.monotonic() - start < 2.5
    assert "no complete answer within 1 s" in str(caught.value)


async def test_the_webhook_url_and_secret_never_reach_logs_or_dead_letters(
        receiver: Receiver, caplog: pytest.LogCaptureFixture) -> None:
    """Issue 14: the webhook URL (for Slack, the credential) was written to logs and items.dlq."""
    path = "T0PLANTED-B0PLANTED-token"
    receiver.script[path] = [(500, {})] * 3
    letters = Letters()
    notifier = webhook(receiver.url(path) + "?key=planted-query-key", secret=b"planted-hmac-secret",
                       retry={"max_attempts": 2, "backoff_base_s": 0.01})
    refused = webhook(f"http://169.254.169.254/{path}", allow_private_targets=False, name="metadata")
    caplog.set_level("DEBUG")
    try:
        await Dispatcher([notifier, refused], letters).dispatch(make_alert())
    finally:
        await notifier.aclose()
        await refused.aclose()
    ours = [record for record in caplog.records if not record.name.startswith("aiohttp")]  # the receiver's
    printed = "".join(f"{record.getMessage()}\n" for record in ours) + "".join(
        letter.to_bytes().decode() for letter in letters)
    assert len(letters) == 2 and f"http://127.0.0.1:{receiver.port}/…" in printed
    for secret in (path, "planted-query-key", "planted-hmac-secret"):
        assert secret not in printed


def test_a_config_error_does_not_echo_the_url(tmp_path: Path) -> None:
    path = tmp_path / "notifiers.yaml"
    path.write_text("notifiers:\n  - {name: a, type: webhook, url: 'hxxps://hooks.example/T0PLANTED'}\n")
    with pytest.raises(NotifierConfigError) as caught:
        load_notifiers(path, env={})
    assert "T0PLANTED" not in str(caught.value)


async def test_unreachable_receiver_is_a_delivery_failure() -> None:
    letters = Letters()
    notifier = webhook(f"http://127.0.0.1:{free_port()}/nobody", retry={"max_attempts": 2,
                                                                       "backoff_base_s": 0.01})
    try:
        assert await Dispatcher([notifier], letters).dispatch(make_alert()) == {"hook": False}
    finally:
        await notifier.aclose()
    assert "ConnectError" in letters[0].error


def test_default_notifiers_file_is_empty() -> None:
    assert load_notifiers(AlertSettings().notifiers_file, env={}) == []


@pytest.mark.parametrize(("entry", "env", "wanted"), [
    ("{name: a, type: webhook, url: 'https://h.example/x', colour: red}", {}, "notifiers[0] (a): colour:"),
    ("{name: a, type: pager}", {}, "notifiers[0] (a): type: unknown notifier type 'pager'"),
    ("{name: a, type: webhook, url: 'ftp://h.example/x'}", {}, "notifiers[0] (a): url:"),
    ("{name: a, type: webhook, url: 'https://h.example/x', secret_env: NOPE}", {},
     "notifiers[0] (a): secret_env: environment variable 'NOPE'"),
    ("{name: a, type: webhook, url: 'https://h.example/x', retry: {max_attempts: 0}}", {},
     "notifiers[0] (a): retry.max_attempts:"),
])
def test_config_errors_name_file_notifier_and_key(tmp_path: Path, entry: str, env: dict[str, str],
                                                  wanted: str) -> None:
    path = tmp_path / "notifiers.yaml"
    path.write_text(f"notifiers:\n  - {entry}\n", encoding="utf-8")
    with pytest.raises(NotifierConfigError) as caught:
        load_notifiers(path, env=env)
    assert str(caught.value).startswith(f"{path}: ") and wanted in str(caught.value)


PLANTED_PATH = "T0PLANTED/B0PLANTED/planted-webhook-token"
PLANTED_SECRET = "planted-hmac-secret-0123"


class _ThreadedReceiver(BaseHTTPRequestHandler):
    """For the worker test: the worker is another process, so the receiver runs in a thread."""

    bodies: ClassVar[dict[str, list[bytes]]] = {}

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.bodies.setdefault(self.path, []).append(body)
        self.send_response(200 if self.path == "/good" else 500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.mark.peers
def test_worker_delivers_each_alert_once_and_dead_letters_a_failing_channel(
        tmp_path: Path, own_broker: LocalBroker, search_settings: SearchSettings) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ThreadedReceiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    (tmp_path / "notifiers.yaml").write_text(
        "notifiers:\n"
        f"  - {{name: good, type: webhook, url: '{base}/good', secret_env: HOOK_SECRET,"
        " allow_private_targets: true}\n"
        f"  - {{name: bad, type: webhook, url: '{base}/bad/{PLANTED_PATH}', secret_env: HOOK_SECRET,"
        " allow_private_targets: true, retry: {max_attempts: 2, backoff_base_s: 0.1}}\n",
        encoding="utf-8")
    stack = Stack(tmp_path, own_broker, search_settings, rules=RULES)
    stack.env["TOCSIN_ALERTS__NOTIFIERS_FILE"] = str(tmp_path / "notifiers.yaml")
    stack.env["HOOK_SECRET"] = PLANTED_SECRET
    asyncio.run(ensure_topics(stack.settings().kafka))
    records = [(f"sd-{m}".encode(),
                enriched(f"sd-{m}", minutes=m, country="SD", categories=VIOLENT).to_bytes(),
                (T0 + timedelta(minutes=m)).timestamp()) for m in (10, 20, 30)]
    stack.start_workers("alert")
    try:
        asyncio.run(produce(own_broker.bootstrap_servers, records))
        [raised] = asyncio.run(read_topic(own_broker.bootstrap_servers, topics.ALERTS, want=1))
        letters = [DeadLetter.from_bytes(v) for v in
                   asyncio.run(read_topic(own_broker.bootstrap_servers, topics.ITEMS_DLQ, want=1))]
        assert [(d.stage, d.reason, d.key) for d in letters] == [
            ("alerts-delivery", "delivery-failed", Alert.from_bytes(raised).id)]
        assert _ThreadedReceiver.bodies["/good"] == [raised]
        assert len(_ThreadedReceiver.bodies[f"/bad/{PLANTED_PATH}"]) == 2
        # The URL is a credential (Slack's token is its path) and the HMAC secret is one.
        logs = stack.logs()
        assert "bad: POST http://127.0.0.1" in letters[0].error and "/…" in letters[0].error
        for secret in (PLANTED_PATH, PLANTED_SECRET):
            assert secret not in logs and secret not in letters[0].error
            assert secret.encode() not in letters[0].to_bytes()
    except BaseException:
        print(stack.logs())
        raise
    finally:
        stack.stop_workers()
        server.shutdown()
