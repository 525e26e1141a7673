"""Every command the docs print for a running stack, run as printed against the demo's stack.

The stack is the demo's own pieces, started by its own functions: a Tansu broker, an
osmem search server, the settings ``embedded_env`` gives the stages (with the demo's
rules copied to its work directory), the HTTP API as ``tocsin demo`` starts it, and
``.tocsin/demo.env`` in the directory the commands run in. The archive and the alerts
are seeded directly (running the collectors and classifiers would take minutes).

Run, from README.md and docs/**/*.md:

- each ``tocsin`` command that reads or asks the running stack (search, alerts, incidents, export,
  evidence, backtest, api-key, labels, init), in a shell, with no TOCSIN_ variable set:
  it must find the demo by itself and exit 0;
- each ``curl`` to the Tocsin API (``$API``, ``http://127.0.0.1:8000``), with ``$K`` /
  ``$KEY`` holding the demo's key: it must answer 2xx.

Placeholders the docs use are filled in: ``ALERT_ID``, ``<id>``, ``a-1f…`` (an alert id), ``ITEM_ID``,
``WzE3OTUx…`` (the previous page's ``next``), ``[--optional flags]``. Commands that run the
stages themselves (collect, process, alert, run, demo, api) and deployment recipes for a
real Elasticsearch or Kafka (``$ES``, docker, kafka tools) are not for the demo.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from alerts.store import AlertStore
from processors.archive import Archive
from tocsin.evidence.store import EvidenceStore
from tocsin.kafka import ensure_topics
from tocsin.schema import Alert, AlertArea, CategoryHit, EnrichedItem, Place, SourceRef
from tocsin.search import bulk_index, search_client
from tocsin.settings import KafkaSettings, SearchSettings, Settings
from tocsin_embedded.broker import LocalBroker
from tocsin_embedded.discovery import DEMO_ENV, write_demo_env
from tocsin_embedded.ports import free_port
from tocsin_embedded.search import start_search_server
from tocsin_launch.demo import demo_rules, embedded_env, running_api

pytestmark = pytest.mark.peers

REPO = Path(__file__).resolve().parents[2]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
CLIENTS = {"search", "alerts", "incidents", "export", "evidence", "backtest", "api-key", "labels", "init"}
NOW = datetime.now(UTC).replace(microsecond=0)
ALERT_ID = "a-documented0000000000000000001"
# The reference events file docs/alerts.md shows beside its `backtest --events` command.
_EVENTS = re.search(r"```csv\n(date,country.*?)```",
                    (REPO / "docs" / "alerts.md").read_text(encoding="utf-8"), re.S)
assert _EVENTS, "docs/alerts.md no longer shows its reference events file"
EVENTS_CSV = _EVENTS.group(1)


@dataclass(frozen=True)
class Documented:
    source: str
    text: str


def _strip_comment(line: str) -> str:
    """What sh runs of a line: a ``#`` after a blank and outside quotes starts a comment."""
    quote = ""
    for i, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip()
    return line.rstrip()


def documented_commands() -> list[Documented]:
    """Command lines of the docs. Fences are not relied on (an unbalanced one would hide every
    command after it): a line is a command when it starts with one, which prose lines do not."""
    found: list[Documented] = []
    for path in DOCS:
        pending, start = "", 0
        for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            line = raw.strip()
            if line.startswith("$ "):
                line = line[2:]
            if not pending:
                start = number
            if line.endswith("\\"):
                pending += line[:-1] + " "
                continue
            line = _strip_comment(pending + line)
            pending = ""
            words = line.split()
            if len(words) >= 2 and words[0] == "tocsin" and words[1] in CLIENTS:
                found.append(Documented(f"{path.relative_to(REPO)}:{start}", line))
            elif words and words[0] == "curl" and ("$API" in line or "127.0.0.1:8000" in line):
                found.extend(Documented(f"{path.relative_to(REPO)}:{start}", part.strip())
                             for part in re.split(r";\s*(?=curl\b)", line))
    return found


COMMANDS = documented_commands()


def corpus() -> list[EnrichedItem]:
    """Items the examples find: Sudan (Khartoum, Darfur), violence reports, Arabic and French."""
    items = []
    for n in range(60):
        when = NOW - timedelta(hours=n)
        lang = ("en", "ar", "fr")[n % 3]
        text = {"en": "A massacre near the river, villagers killed.", "ar": "مذبحة قرب النهر",
                "fr": "Un massacre près du fleuve."}[lang]
        lat, lon = (15.6 + n / 100, 32.5) if n % 2 else (13.6, 25.3)
        items.append(EnrichedItem(
            id=f"doc-{n:03d}", source=SourceRef(type="rss", name="documented-feed"),
            url=f"https://news.example/{n}", title=f"Report {n}: {text}", text=text, published=when,
            collected=when, raw_sha256="0" * 64, content_sha256=f"{n:064d}", lang=lang, lang_confidence=0.9,
            categories={"violence_report": CategoryHit(score=0.8, terms=["massacre"],
                                                       classifier="keywords/1")},
            places=[Place(name="Khartoum", matched="river", kind="city", country="SD", lat=lat, lon=lon)],
            country="SD", admin1="SD.03", location={"lat": lat, "lon": lon}, processed=when))
    return items


def alert_versions() -> list[Alert]:
    base = Alert(
        id=ALERT_ID, rule="violence-reports-by-country", rule_type="frequency", severity="severe",
        title="violence-reports-by-country: 3 items", group={"country": "SD"}, group_key="country=SD",
        window_start=NOW - timedelta(hours=3), window_end=NOW, count=3, threshold=2,
        sample_item_ids=["doc-000", "doc-001", "doc-002"], first_seen=NOW - timedelta(hours=2),
        last_seen=NOW, opened_at=NOW - timedelta(hours=1), updated_at=NOW - timedelta(hours=1),
        area=AlertArea(description="Khartoum, Sudan", country="SD", lat=15.6, lon=32.5, radius_km=20))
    return [base, base.model_copy(update={"version": 2, "event": "updated", "count": 5,
                                          "updated_at": NOW - timedelta(minutes=30)})]


async def seed(settings: Settings) -> None:
    await ensure_topics(settings.kafka)
    es = search_client(settings.search)
    try:
        archive = Archive(es, settings.search.items_index)
        await archive.install()
        await archive.store(corpus())
        store = AlertStore(es, settings.search.alerts_index, settings.search.alert_versions_index)
        await store.install()
        versions = alert_versions()
        await bulk_index(es, settings.search.alert_versions_index,
                         [(v.version_id, v.model_dump(mode="json")) for v in versions], refresh=True)
        await bulk_index(es, settings.search.alerts_index, [(ALERT_ID, versions[-1].model_dump(mode="json"))],
                         refresh=True)
        await EvidenceStore(es, settings.search).freeze(versions[-1])
        await es.indices.refresh(index=settings.search.items_index)
    finally:
        await es.close()


@dataclass
class Stack:
    cwd: Path
    env: dict[str, str]
    api_url: str
    key: str


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    cwd = tmp_path_factory.mktemp("documented")
    workdir = cwd / "demo-work"
    workdir.mkdir()
    with contextlib.ExitStack() as stack:
        broker = stack.enter_context(LocalBroker.start())
        search = start_search_server()
        stack.callback(search.close)
        feeds = workdir / "feeds.yaml"
        feeds.write_text("sources: []\n", encoding="utf-8")
        env = embedded_env(bootstrap=broker.bootstrap_servers, search_url=search.url, workdir=workdir,
                           feeds_file=feeds, alerts_port=free_port(), rules_file=demo_rules(workdir))
        api_url, key = stack.enter_context(running_api(env, workdir))
        write_demo_env(cwd / DEMO_ENV, env, pid=os.getpid(), api_url=api_url, api_key=key)
        asyncio.run(seed(Settings(
            kafka=KafkaSettings(bootstrap_servers=broker.bootstrap_servers),
            search=SearchSettings(url=search.url, node_class=env["TOCSIN_SEARCH__NODE_CLASS"]))))
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{api_url}/health", timeout=5).status_code in (200, 503):
                    break
            assert time.monotonic() < deadline, "the demo's API did not start"
            time.sleep(0.3)
        shutil.copyfile(workdir / "rules.yaml", cwd / "rules.yaml")  # for `PUT /rules` with @rules.yaml
        (cwd / "events.csv").write_text(EVENTS_CSV, encoding="utf-8")  # for `tocsin backtest --events`
        clean = {k: v for k, v in os.environ.items() if not k.startswith("TOCSIN_")}
        clean["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{clean.get('PATH', '')}"
        yield Stack(cwd, clean, api_url, key)


def fill(text: str, stack: Stack) -> str:
    text = re.sub(r"\s\[[^\]]*\]", "", text)  # [--optional flags]
    text = text.replace("http://127.0.0.1:8000", stack.api_url)
    for placeholder in ("ALERT_ID", "<id>", "<alert id>", "a-1f…"):
        text = text.replace(placeholder, ALERT_ID)
    text = text.replace("ITEM_ID", "doc-000")
    if "after=" in text and "…" in text:
        url = re.search(r'"\$API(/search\?[^"]*)"', text)
        assert url, text
        query = re.sub(r"&?after=[^&\"]*", "", url.group(1))
        token = httpx.get(stack.api_url + query, headers={"X-API-Key": stack.key}, timeout=10).json()["next"]
        assert token, f"the seeded archive has one page of {query}: nothing to page after"
        text = re.sub(r"after=[^&\"]*…", f"after={token}", text)
    assert "…" not in text, f"a placeholder this test does not know: {text}"
    return text


def run(text: str, stack: Stack, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sh", "-c", text], cwd=stack.cwd, env={**stack.env, **(extra_env or {})},
                          capture_output=True, text=True, timeout=120)


def test_the_docs_have_commands_for_the_running_stack() -> None:
    kinds = {c.text.split()[1] for c in COMMANDS if c.text.startswith("tocsin")}
    assert {"search", "alerts", "export", "evidence", "backtest", "api-key"} <= kinds
    assert any(c.text.startswith("curl") for c in COMMANDS)


@pytest.mark.parametrize("documented", COMMANDS, ids=[f"{c.source} {c.text[:60]}" for c in COMMANDS])
def test_a_documented_command_works_as_printed(documented: Documented, stack: Stack) -> None:
    text = fill(documented.text, stack)
    if text.startswith("tocsin"):
        done = run(text, stack)
        assert done.returncode == 0, f"{documented.source}: {text}\n{done.stdout}\n{done.stderr}"
        assert "cannot reach the search server" not in done.stderr
        return
    streaming = " -N " in f" {text} "
    # The status goes to stderr: a command may send the body to stdout or redirect it to a file.
    limit = 3 if streaming else 30
    checked = text.replace("curl ", f"curl -sS --max-time {limit} -w '%{{stderr}}%{{http_code}}\\n' ", 1)
    if " -o " not in checked and ">" not in checked:
        checked = checked.replace("curl ", "curl -o /dev/null ", 1)
    tracked = hashlib.sha256((REPO / "demo" / "rules.yaml").read_bytes()).hexdigest()
    done = run(checked, stack, {"K": f"X-API-Key: {stack.key}", "KEY": stack.key, "API": stack.api_url})
    status = int(done.stderr.strip().splitlines()[-1])
    assert done.returncode in ((0, 28) if streaming else (0,)), f"{documented.source}: {text}\n{done.stderr}"
    assert 200 <= status < 300, f"{documented.source}: {text} answered {status}"
    assert hashlib.sha256((REPO / "demo" / "rules.yaml").read_bytes()).hexdigest() == tracked, \
        "the demo's API rewrote the tracked demo/rules.yaml"
