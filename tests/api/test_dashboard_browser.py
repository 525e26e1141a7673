"""The dashboard in a real headless Chromium against the real API, search server and broker.

The app runs under uvicorn on a free port with a key made by ``api.keys.add_key``;
the archive and the alert indices are seeded through the same document shapes the
pipeline writes (the incidents through the real fusion and incident store); a live
alert is published on the ``alerts`` topic. Each test leaves a screenshot in ``tests/artifacts/screenshots/``.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import threading
import time
import uuid
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from api.keys import add_key
from processors.archive import TEMPLATE_FILE as ITEMS_TEMPLATE
from processors.incidents.fusion import Fuser
from processors.incidents.store import IncidentStore
from tests.processors.incident_samples import KHARTOUM, StoryEmbedder, enriched
from tocsin import topics
from tocsin.documents import to_document
from tocsin.kafka import client_kwargs, ensure_topics
from tocsin.schema import Alert, AlertArea, CategoryHit, EnrichedItem, SourceRef
from tocsin.search import bulk_index, install_index, search_client
from tocsin.settings import (
    AlertSettings,
    ApiSettings,
    IncidentSettings,
    KafkaSettings,
    SearchSettings,
    Settings,
)
from tocsin_embedded.ports import free_port

pytestmark = pytest.mark.peers

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
ALERTS_TEMPLATE = Path(__file__).resolve().parents[2] / "alerts" / "templates" / "alerts.json"
HOSTILE_TITLE = '<img src=x onerror="window.__pwned=1">Clashes'
HOSTILE_TEXT = "<script>window.__pwned=2</script> shelling reported"
NOW = datetime.now(UTC).replace(microsecond=0)
ALERT_ID = "violence-sd-" + uuid.uuid4().hex[:8]
GAP_ID = "gap-" + uuid.uuid4().hex[:8]
TRIAGE_ID = "triage-" + uuid.uuid4().hex[:8]
REGION_ID = "region-" + uuid.uuid4().hex[:8]
BOXED_ID = "boxed-" + uuid.uuid4().hex[:8]
TIMEOUT_MS = 20_000
RULES = """
rules:
  - name: violence-by-country
    type: frequency
    filter: {categories: [violence], min_score: 0.5}
    group_by: [country]
    window: 1h
    threshold: 3
"""
# Incidents: one attack reported in three languages by three outlets, a shelling whose only
# report has a hostile title, and a campaign of one slur from six accounts in five minutes.
# No French and no "clashes": the search tests count those items.
HOSTILE_INCIDENT = """<img src=x onerror="top['__pwned']=4">Market shelled in Khartoum"""
INCIDENT_STORIES = {"kalma": ["kalma"], "market": ["market"], "slur": ["vermin"]}
# ISO 3166 numeric ids of the bundled borders (world-atlas).
USA, SUDAN, KENYA = "840", "729", "404"
NEW_YORK = {"lat": 40.7128, "lon": -74.006}


def chromium_or_skip() -> None:
    """In CI a missing browser is a failure (make test installs it); on a developer's machine, a skip."""
    if Path(CHROMIUM).is_file() and shutil.which(CHROMIUM):
        return
    reason = f"{CHROMIUM} not found: `apt-get install chromium` (make test does it where it runs as root)"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def item(n: int, *, title: str | None = None, text: str = "Armed clashes reported near the market.",
         country: str = "SD", lang: str = "en", url: str | None = None, hours_ago: float = 0,
         location: dict[str, float] | None = None) -> EnrichedItem:
    when = NOW - timedelta(hours=hours_ago)
    if location is None and country == "SD":
        location = {"lat": 13.6 + n / 100, "lon": 25.3}
    return EnrichedItem(
        id=f"it-{n:03d}", source=SourceRef(type="rss", name="dash-feed", url="http://127.0.0.1/feed.xml"),
        url=url if url is not None else f"https://news.example/{n}", title=title or f"Clashes in town {n}",
        text=text, published=when, collected=when, raw_sha256="0" * 64, content_sha256=f"{n:064d}",
        lang=lang, lang_confidence=0.95,
        categories={"violence": CategoryHit(score=0.5 + (n % 5) / 10, terms=["clashes"],
                                            classifier="keywords/1")},
        country=country, location=location, processed=when)


def alert_version(version: int, **changes: object) -> Alert:
    base = Alert(
        id=ALERT_ID, rule="violence-by-country", rule_type="frequency", title="Violence reports in Sudan",
        description="Reports of violence above the threshold.", severity="warning", group={"country": "SD"},
        group_key="SD", window_start=NOW - timedelta(hours=6), window_end=NOW, count=5, threshold=3,
        sample_item_ids=["it-000", "it-001", "it-002", "it-003", "it-099"],
        first_seen=NOW - timedelta(hours=5),
        last_seen=NOW - timedelta(hours=1), opened_at=NOW - timedelta(hours=4),
        updated_at=NOW - timedelta(hours=4), version=1, event="opened",
        area=AlertArea(description="North Darfur", country="SD", lat=13.63, lon=25.35, radius_km=80))
    return base.model_copy(update={"version": version, **changes})


def fused_incidents() -> tuple[list[EnrichedItem], list]:
    items = [
        enriched("inc-k1", "Gunmen attacked Kalma camp, killing twelve.", source="reuters", lang="en"),
        enriched("inc-k2", "هاجم مسلحون مخيم kalma", source="aljazeera", lang="ar", minutes=20),
        enriched("inc-k3", "Hombres armados atacaron el campo de Kalma.", source="efe", lang="es",
                 minutes=30),
        enriched("inc-m1", HOSTILE_INCIDENT, source="reuters", place=KHARTOUM, minutes=40),
        *[enriched(f"inc-s{n}", "These vermin must be driven out tonight, all of them!", source="mastodon",
                   author=f"acct{n}", category="hate_speech", minutes=50 + n) for n in range(6)],
    ]
    fused = Fuser(IncidentSettings(similarity=0.8), StoryEmbedder(INCIDENT_STORIES)).fuse(items)
    return fused.items, fused.incidents


async def seed_incidents(settings: Settings) -> None:
    items, incidents = fused_incidents()
    es = search_client(settings.search)
    try:
        await bulk_index(es, settings.search.items_index, [(i.id, to_document(i)) for i in items],
                         refresh=True)
        store = IncidentStore(es, settings.search.incidents_index)
        await store.install()
        assert await store.store(incidents) == []
        await es.indices.refresh(index=settings.search.incidents_index)
    finally:
        await es.close()


@dataclass
class Running:
    base_url: str
    key: str
    settings: Settings
    items: list[EnrichedItem] = field(default_factory=list)


async def seed(settings: Settings, items: list[EnrichedItem], versions: list[Alert], *,
               latest: bool = True) -> None:
    es = search_client(settings.search)
    try:
        await install_index(es, settings.search.items_index, ITEMS_TEMPLATE)
        for index in (settings.search.alerts_index, settings.search.alert_versions_index):
            await install_index(es, index, ALERTS_TEMPLATE)
        if items:
            await bulk_index(es, settings.search.items_index, [(i.id, to_document(i)) for i in items])
        await bulk_index(es, settings.search.alert_versions_index,
                         [(v.version_id, v.model_dump(mode="json")) for v in versions])
        if latest:
            newest = max(versions, key=lambda v: v.version)
            await bulk_index(es, settings.search.alerts_index, [(newest.id, newest.model_dump(mode="json"))])
        for index in (settings.search.items_index, settings.search.alerts_index,
                      settings.search.alert_versions_index):
            await es.indices.refresh(index=index)
    finally:
        await es.close()
    await ensure_topics(settings.kafka)


async def publish_alert(kafka: KafkaSettings, alert: Alert) -> None:
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(**client_kwargs(kafka))
    await producer.start()
    try:
        await producer.send_and_wait(topics.ALERTS, alert.to_bytes(), key=alert.id.encode())
    finally:
        await producer.stop()


@pytest.fixture(scope="module")
def running(own_broker, search_settings: SearchSettings, tmp_path_factory) -> Iterator[Running]:
    chromium_or_skip()
    import uvicorn

    from api.app import create_app
    from tocsin_launch.api_wiring import stage_config

    tmp = tmp_path_factory.mktemp("dashboard")
    prefix = f"dash-{uuid.uuid4().hex[:6]}"
    keys_file = tmp / "api-keys.yaml"
    key = add_key(keys_file, "analyst-ada", "analyst")
    rules = tmp / "rules.yaml"
    rules.write_text(RULES, encoding="utf-8")
    settings = Settings(
        kafka=KafkaSettings(bootstrap_servers=own_broker.bootstrap_servers, topic_partitions=1),
        alerts=AlertSettings(rules_file=rules),
        search=search_settings.model_copy(update={
            "items_index": f"{prefix}-items", "alerts_index": f"{prefix}-alerts",
            "alert_versions_index": f"{prefix}-alert-versions", "evidence_index": f"{prefix}-evidence",
            "custody_index": f"{prefix}-custody", "labels_index": f"{prefix}-labels",
            "incidents_index": f"{prefix}-incidents"}),
        api=ApiSettings(keys_file=keys_file), data_dir=tmp)
    items = [item(n, hours_ago=n) for n in range(45)]
    items += [item(60 + n, country="ML", lang="fr", title=f"Affrontements à Gao {n}", hours_ago=n)
              for n in range(3)]
    items.append(item(99, title=HOSTILE_TITLE, text=HOSTILE_TEXT, url="javascript:window.__pwned=3",
                      hours_ago=0.5))
    items += [item(80 + n, country="US", title=f"Protest in New York {n}", hours_ago=n, location=NEW_YORK)
              for n in range(3)]
    versions = [alert_version(1),
                alert_version(2, event="escalated", severity="severe", count=9,
                              updated_at=NOW - timedelta(hours=2))]
    # An alert whose second version was stored while a client was away: only the
    # versions index has it, so only a replay after Last-Event-ID brings it.
    gap = alert_version(1, id=GAP_ID, title="Gap alert", updated_at=NOW - timedelta(hours=3))
    gap_v2 = gap.model_copy(update={"version": 2, "event": "updated", "count": 7,
                                    "updated_at": NOW - timedelta(minutes=30)})
    # A warning changed after the severe alert, assigned and acknowledged: triage puts it below.
    triage = alert_version(1, id=TRIAGE_ID, title="Hate speech in Kenya", severity="warning",
                           group={"country": "KE"}, group_key="KE", assigned_to="field team",
                           acknowledged_by="ana", acknowledged_at=NOW - timedelta(minutes=20),
                           updated_at=NOW - timedelta(minutes=10), area=None)
    # A first-level region: drawn as a circle round its items (no region shapes are bundled).
    region = alert_version(1, id=REGION_ID, title="Clashes in North Darfur", severity="info",
                           group={"admin1": "SD.02"}, group_key="SD.02", updated_at=NOW - timedelta(hours=5),
                           area=AlertArea(description="North Darfur", country="SD", admin1="SD.02",
                                          lat=14.0, lon=25.0, radius_km=120))
    asyncio.run(seed(settings, items, versions))
    asyncio.run(seed(settings, [], [gap]))
    asyncio.run(seed(settings, [], [triage]))
    # A first-level region whose items' places give its box: drawn as that box.
    boxed = alert_version(1, id=BOXED_ID, title="Clashes in North Darfur (boxed)", severity="info",
                          group={"admin1": "SD-DN"}, group_key="SD-DN", updated_at=NOW - timedelta(hours=6),
                          area=AlertArea(description="North Darfur", country="SD", admin1="SD-DN",
                                         lat=14.0, lon=25.0, radius_km=120, area_id="SD-DN",
                                         bbox=[22.0, 12.5, 27.9, 20.1]))
    asyncio.run(seed(settings, [], [region]))
    asyncio.run(seed(settings, [], [boxed]))
    asyncio.run(seed(settings, [], [gap_v2], latest=False))
    asyncio.run(seed_incidents(settings))

    app = create_app(settings, stage_config=stage_config())
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           timeout_graceful_shutdown=2))
    thread = threading.Thread(target=server.run, name="dashboard-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the API did not start under uvicorn")
        time.sleep(0.05)
    try:
        yield Running(f"http://127.0.0.1:{port}", key, settings, items)
    finally:
        server.should_exit = True
        thread.join(15)


@pytest.fixture(scope="module")
def browser(running: Running) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Console:
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def page(browser, running: Running, request: pytest.FixtureRequest) -> Iterator[tuple[object, Console]]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    console = Console()
    page.on("console", lambda m: console.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: console.errors.append(f"uncaught: {e}"))
    try:
        yield page, console
    finally:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
        context.close()


def stream_ready(running: Running) -> bool:
    """Whether the API reads ``alerts`` yet: a version published before that would not be streamed."""
    body = httpx.get(f"{running.base_url}/health", headers={"X-API-Key": running.key}, timeout=10).json()
    return bool(body["checks"]["stream"]["ok"])


def sign_in(page, running: Running) -> None:
    page.goto(running.base_url + "/")
    page.fill("#api-key", running.key)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#alert-list")


def test_page_loads_with_the_key_and_shows_alerts_without_console_errors(page, running: Running) -> None:
    pg, console = page
    response = pg.goto(running.base_url + "/")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    pg.fill("#api-key", running.key)
    pg.click("#login-form button[type=submit]")
    row = pg.locator(f'#alert-list tr[data-alert-id="{ALERT_ID}"]')
    row.wait_for()
    assert "Violence reports in Sudan" in row.inner_text()
    assert "escalated · v2" in row.inner_text()
    pg.locator("#live-state", has_text="live").wait_for()
    assert pg.evaluate("sessionStorage.getItem('tocsin.apiKey')") == running.key
    for route, ready in (("map", "#map path.alert-marker"), ("timeline", "#timeline-chart rect.bar")):
        pg.click(f'nav a[data-route="/{route}"]')
        pg.wait_for_selector(ready)
    assert console.errors == []


def test_map_shows_open_alerts_and_item_density(page, running: Running) -> None:
    pg, console = page
    sign_in(pg, running)
    pg.click('nav a[data-route="/map"]')
    pg.wait_for_selector("#map path.density-cell")
    marker = pg.locator(f'#map path.alert-marker[data-alert-id="{ALERT_ID}"]')
    marker.click()
    popup = pg.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "Violence reports in Sudan" in popup.inner_text()
    pg.wait_for_timeout(400)  # the popup's fade-in
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(SCREENSHOTS / "map-with-popup.png"))
    popup.locator("a").click()
    pg.wait_for_selector("#alert-versions")
    assert console.errors == []


def test_a_refused_key_asks_again(page, running: Running) -> None:
    pg, _ = page
    pg.goto(running.base_url + "/")
    pg.fill("#api-key", "not-a-key")
    pg.click("#login-form button[type=submit]")
    pg.locator("#login-form .msg-error", has_text="refused").wait_for()
    assert pg.evaluate("sessionStorage.getItem('tocsin.apiKey')") is None


def test_search_returns_seeded_items_and_pages_with_next(page, running: Running) -> None:
    pg, console = page
    sign_in(pg, running)
    pg.click('nav a[data-route="/search"]')
    pg.fill("#search-form input[name=q]", "clashes")
    pg.fill("#search-form input[name=country]", "SD")
    pg.select_option("#search-form select[name=sort]", "newest")
    pg.click("#search-form button[type=submit]")
    results = pg.locator("#search-results > li")
    summary = pg.locator("#search-summary")
    summary.filter(has_text="20 of").wait_for()
    total = int(summary.inner_text().split(" of ")[1].split()[0])
    assert total >= 45  # the 45 Sudan items (the hostile one may match too); not the Malian ones
    assert "Clashes in town 0" in results.first.inner_text()  # newest first
    pg.click("#search-more")
    summary.filter(has_text="40 of").wait_for()
    while pg.locator("#search-more").is_visible():  # the page's CSP forbids wait_for_function's eval
        shown = summary.inner_text()
        pg.click("#search-more")
        expect(summary).not_to_have_text(shown)
    assert results.count() == total
    ids = results.evaluate_all("els => els.map(e => e.dataset.itemId)")
    assert len(set(ids)) == total, "a page repeated an item"
    assert not any(i.startswith("it-06") for i in ids)

    pg.fill("#search-form input[name=q]", "")
    pg.fill("#search-form input[name=country]", "")
    pg.fill("#search-form input[name=lang]", "fr")
    pg.click("#search-form button[type=submit]")
    summary.filter(has_text="3 of 3").wait_for()
    assert "Affrontements" in results.first.inner_text()

    pg.fill("#search-form input[name=from]", (NOW - timedelta(minutes=90)).strftime("%Y-%m-%dT%H:%M"))
    pg.click("#search-form button[type=submit]")
    summary.filter(has_text="2 of 2").wait_for()  # Gao 0 (now) and Gao 1 (an hour ago), read as UTC
    pg.fill("#search-form input[name=from]", "")
    pg.fill("#search-form input[name=category]", "violence")
    pg.fill("#search-form input[name=min_score]", "0.65")
    pg.click("#search-form button[type=submit]")
    summary.filter(has_text="1 of 1").wait_for()
    assert "Affrontements à Gao 2" in results.first.inner_text()  # score 0.7
    assert console.errors == []

    pg.fill("#search-form input[name=category]", "")  # a minimum score without a category: the API says why
    pg.click("#search-form button[type=submit]")
    expect(pg.locator("#view .msg-error")).to_contain_text("needs a category")
    assert results.count() == 0


def test_alert_detail_shows_versions_and_contributing_items(page, running: Running) -> None:
    pg, console = page
    sign_in(pg, running)
    pg.click(f'#alert-list tr[data-alert-id="{ALERT_ID}"] a.title')
    pg.wait_for_selector("#alert-versions tbody tr")
    versions = pg.locator("#alert-versions tbody tr")
    assert versions.count() == 2
    assert versions.nth(0).get_attribute("data-version") == "2"
    assert "escalated" in versions.nth(0).inner_text() and "opened" in versions.nth(1).inner_text()
    items = pg.locator("#alert-items > li")
    assert sorted(items.evaluate_all("els => els.map(e => e.dataset.itemId)")) == [
        "it-000", "it-001", "it-002", "it-003", "it-099"]
    assert "North Darfur" in pg.locator("#alert-detail .facts").inner_text()

    with pg.expect_download() as download:
        pg.click("#evidence")
    path = download.value.path()
    with zipfile.ZipFile(path) as bundle:
        assert any(name.endswith("manifest.json") for name in bundle.namelist())

    pg.fill("#note-form textarea", "checked with the field team")
    pg.click("#note-form button[type=submit]")
    pg.locator(".feedback .msg-ok", has_text="Note: sent").wait_for()
    assert console.errors == []


def test_hostile_item_title_renders_as_text_and_runs_nothing(page, running: Running) -> None:
    pg, console = page
    sign_in(pg, running)
    pg.goto(f"{running.base_url}/#/alert/{ALERT_ID}")
    hostile = pg.locator('#alert-items > li[data-item-id="it-099"]')
    hostile.wait_for()
    assert hostile.locator(".item-title").inner_text() == HOSTILE_TITLE
    assert HOSTILE_TEXT in hostile.locator(".snippet").inner_text()
    assert hostile.locator("a").count() == 0, "a javascript: URL became a link"
    assert pg.locator("#view img, #view script").count() == 0
    links = pg.locator("#alert-items a")
    assert links.count() == 4
    for rel in links.evaluate_all("els => els.map(e => e.rel)"):
        assert rel == "noopener noreferrer"
    pg.wait_for_timeout(300)  # an onerror handler would have fired by now
    assert pg.evaluate("window.__pwned") is None
    assert console.errors == []


def test_live_alert_appears_without_reload(page, running: Running) -> None:
    pg, console = page
    sign_in(pg, running)
    pg.locator("#live-state", has_text="live").wait_for()
    deadline = time.monotonic() + 20
    while not (reading := stream_ready(running)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert reading, "the API never started reading the alerts topic (/health checks.stream)"
    pg.evaluate("window.__sameDocument = true")
    live_id = "live-" + uuid.uuid4().hex[:8]
    fresh = alert_version(1).model_copy(update={
        "id": live_id, "title": "Live: displacement reported in Kordofan", "severity": "extreme",
        "updated_at": datetime.now(UTC)})
    # Playwright's sync API runs an event loop in this thread: publish from another one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, publish_alert(running.settings.kafka, fresh)).result(timeout=30)
    row = pg.locator(f'#alert-list tr[data-alert-id="{live_id}"]')
    row.wait_for()
    assert "Live: displacement reported in Kordofan" in row.inner_text()
    assert "fresh" in (row.get_attribute("class") or "")
    assert pg.evaluate("window.__sameDocument") is True, "the page reloaded"
    assert console.errors == []


def test_stream_reconnects_with_last_event_id_and_gets_the_missed_version(page, running: Running) -> None:
    """The first stream answer is cut short after one event; the reconnect must name it in Last-Event-ID."""
    pg, console = page
    seen: list[dict[str, str]] = []
    gap_v1 = alert_version(1, id=GAP_ID, title="Gap alert", updated_at=NOW - timedelta(hours=3))

    def stream(route) -> None:
        seen.append(route.request.headers)
        if len(seen) == 1:
            route.fulfill(status=200, headers={"Content-Type": "text/event-stream"},
                          body=f"retry: 200\r\n: a comment\r\nevent: alert\r\nid: {gap_v1.version_id}\r\n"
                               f"data: {gap_v1.model_dump_json()}\r\n\r\n")
        else:
            route.continue_()

    pg.route("**/alerts/stream", stream)
    sign_in(pg, running)
    row = pg.locator(f'#alert-list tr[data-alert-id="{GAP_ID}"]')
    expect(row).to_contain_text("updated · v2", timeout=TIMEOUT_MS)
    assert len(seen) >= 2
    assert "last-event-id" not in seen[0]
    assert seen[1]["last-event-id"] == gap_v1.version_id
    assert seen[1]["x-api-key"] == running.key
    assert console.errors == []


def test_api_docs_render_the_operations_offline(page, running: Running) -> None:
    """Swagger UI must read the OpenAPI 3.1 that FastAPI emits, with every file from this server."""
    pg, console = page
    elsewhere: list[str] = []
    pg.on("request", lambda r: None if r.url.startswith(running.base_url) else elsewhere.append(r.url))
    pg.goto(running.base_url + "/docs")
    pg.wait_for_selector(".opblock")
    paths = pg.locator(".opblock-summary-path").all_inner_texts()
    assert {"/search", "/aggregations", "/alerts/{alert_id}"} <= {p.replace("\u200b", "") for p in paths}
    assert pg.locator(".errors-wrapper").count() == 0
    assert "valid version field" not in pg.locator("body").inner_text()
    assert elsewhere == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(SCREENSHOTS / "api-docs.png"))
    assert console.errors == []


# The point at the middle of an element on screen, tested against a country's filled path in that
# path's own coordinates (Leaflet draws each pane in an SVG of its own).
IN_COUNTRY = """(el, numericId) => {
  const box = el.getBoundingClientRect();
  const country = document.querySelector(`path.country-${numericId}`);
  if (!country) return null;
  const point = new DOMPoint(box.x + box.width / 2, box.y + box.height / 2)
    .matrixTransform(country.getScreenCTM().inverse());
  return country.isPointInFill(point);
}"""


def test_login_page_shows_no_navigation(page, running: Running) -> None:
    pg, console = page
    pg.goto(running.base_url + "/")
    pg.wait_for_selector("#login-form")
    assert not pg.locator("nav.nav").is_visible()
    assert not pg.locator("#sign-out").is_visible() and not pg.locator("#live-state").is_visible()
    pg.fill("#api-key", running.key)
    pg.click("#login-form button[type=submit]")
    pg.wait_for_selector("#alert-list")
    assert pg.locator("nav.nav").is_visible()
    assert console.errors == []


def test_a_bookmarked_search_runs_as_it_opens(page, running: Running) -> None:
    pg, console = page
    sign_in(pg, running)
    pg.goto(f"{running.base_url}/#/search?q=clashes&country=SD")
    pg.locator("#search-summary").filter(has_text="20 of").wait_for()
    assert pg.locator("#search-form input[name=q]").input_value() == "clashes"
    assert pg.locator("#search-results > li").count() == 20
    assert console.errors == []


def test_map_draws_item_density_over_the_right_countries(page, running: Running) -> None:
    """New York's items in a cell over the United States, Darfur's over Sudan (osmem keys them
    latitude first: mc… in the Indian Ocean), and a country alert as Sudan's own borders."""
    pg, console = page
    sign_in(pg, running)
    pg.click('nav a[data-route="/map"]')
    new_york = pg.locator('#map path.density-cell[data-geohash^="dr"]')
    new_york.wait_for()
    assert new_york.evaluate(IN_COUNTRY, USA) is True
    darfur = pg.locator('#map path.density-cell[data-geohash^="s"]').first
    assert darfur.evaluate(IN_COUNTRY, SUDAN) is True
    assert new_york.evaluate(IN_COUNTRY, SUDAN) is False
    keys = pg.locator("#map path.density-cell").evaluate_all("els => els.map(e => e.dataset.geohash)")
    assert not any(k.startswith("mc") for k in keys), keys

    area = pg.locator(f'#map path.alert-area-country[data-alert-id="{ALERT_ID}"]')
    area.wait_for()
    drawn, sudan = area.bounding_box(), pg.locator(f"#map path.country-{SUDAN}").bounding_box()
    assert drawn and sudan
    assert all(abs(drawn[k] - sudan[k]) <= 2 for k in ("x", "y", "width", "height")), (drawn, sudan)
    circle = pg.locator(f'#map path.alert-area-circle[data-alert-id="{REGION_ID}"]')
    assert circle.count() == 1 and circle.evaluate(IN_COUNTRY, SUDAN) is True
    box = pg.locator(f'#map path.alert-area-box[data-alert-id="{BOXED_ID}"]')   # [west, south, east, north]
    assert box.count() == 1 and box.evaluate(IN_COUNTRY, SUDAN) is True
    boxed, circled = box.bounding_box(), circle.bounding_box()
    assert boxed and circled and boxed["height"] > boxed["width"]     # 7.6° of latitude by 5.9° of longitude
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(SCREENSHOTS / "map.png"))
    assert console.errors == []


def test_alert_list_is_triaged_by_severity_then_recency_with_assignee_ack_and_baseline(
        page, running: Running) -> None:
    pg, console = page
    sign_in(pg, running)
    rows = pg.locator("#alert-list tbody tr")
    ids = rows.evaluate_all("els => els.map(e => e.dataset.alertId)")
    assert ids.index(ALERT_ID) < ids.index(TRIAGE_ID), "a warning changed later sat above a severe"
    assert ids.index(TRIAGE_ID) < ids.index(REGION_ID)  # warning above info
    triage = pg.locator(f'#alert-list tr[data-alert-id="{TRIAGE_ID}"]')
    assert triage.locator("td.assignee").inner_text() == "field team"
    assert "ana" in triage.locator("td.ack").inner_text()
    pg.locator(f'#alert-list tr[data-alert-id="{ALERT_ID}"] .spark-cell svg.spark').wait_for()
    label = pg.locator(f'#alert-list tr[data-alert-id="{ALERT_ID}"] svg.spark').get_attribute("aria-label")
    assert label and "threshold 3" in label
    assert console.errors == []


def test_the_analyst_loop_in_alert_detail(page, running: Running) -> None:
    """Why each item counted, a verdict kept for retraining, the custody log, dismissal with a reason."""
    pg, console = page
    sign_in(pg, running)
    pg.goto(f"{running.base_url}/#/alert/{ALERT_ID}")
    why = pg.locator("#rule-why")
    why.wait_for()
    assert "categories violence" in why.inner_text() and "country = SD" in why.inner_text()
    pg.locator("#alert-baseline svg.spark").wait_for()
    row = pg.locator('#alert-items > li[data-item-id="it-001"] tr[data-category="violence"]')
    assert [row.locator("td").nth(i).inner_text() for i in range(4)] == ["violence", "0.60", "keywords/1",
                                                                        "clashes"]
    row.locator("button[data-verdict=misclassified]").click()
    pg.locator(".feedback .msg-ok", has_text="Verdict kept").wait_for()
    expect(pg.locator('#alert-items > li[data-item-id="it-001"] tr[data-category="violence"] .verdict')) \
        .to_contain_text("misclassified by analyst-ada")
    exported = httpx.get(f"{running.base_url}/labels.csv", params={"category": "violence"},
                         headers={"X-API-Key": running.key}, timeout=10)
    assert "it-001" in exported.text and exported.text.splitlines()[0].startswith("text,label,")

    with pg.expect_download():
        pg.click("#evidence")
    pg.reload()
    custody = pg.locator("#alert-custody tbody tr")
    custody.first.wait_for()
    assert [custody.nth(i).locator("td").nth(1).inner_text() for i in range(custody.count())][:2] == [
        "frozen", "exported"]
    pg.fill("#dismiss-form input[name=reason]", "a film festival programme, not violence")
    pg.click("#dismiss-form button[type=submit]")
    pg.locator(".feedback .msg-ok", has_text="Dismiss: sent").wait_for()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(SCREENSHOTS / "alert-detail.png"), full_page=True)
    assert console.errors == []


def test_the_atom_and_cap_links_open_the_alert_in_the_dashboard(page, running: Running) -> None:
    pg, console = page
    key = {"X-API-Key": running.key}
    cap = httpx.get(f"{running.base_url}/alerts/{ALERT_ID}.cap", headers=key, timeout=10)
    [web] = re.findall(r"<web>([^<]+)</web>", cap.text)
    assert web == f"{running.base_url}/#/alert/{ALERT_ID}"
    atom = httpx.get(f"{running.base_url}/alerts.atom", headers=key, timeout=10)
    assert f'href="{web}" rel="alternate"' in atom.text
    pg.goto(web)  # a browser with no key yet: asked for one, then shown the alert
    pg.fill("#api-key", running.key)
    pg.click("#login-form button[type=submit]")
    pg.wait_for_selector("#alert-versions")
    assert "Violence reports in Sudan" in pg.locator("#alert-detail h1").inner_text()
    assert console.errors == []


def test_incident_list_and_an_incident_grouped_by_source_and_language(page, running: Running) -> None:
    """The list shows each incident's facts and amplification flag; the page groups its items by source and
    by language with the burst's note; a hostile title stays text in both."""
    pg, console = page
    sign_in(pg, running)
    pg.click('nav a[data-route="/incidents"]')
    rows = pg.locator("#incident-list tbody tr")
    expect(rows).to_have_count(3)
    expect(pg.locator("#incident-summary")).to_have_text("3 incidents")
    by_items = {rows.nth(i).locator("td.items").inner_text(): rows.nth(i) for i in range(3)}
    kalma, campaign, hostile = by_items["3"], by_items["6"], by_items["1"]
    assert "kalma" in kalma.locator("a.title").inner_text().lower()  # its most central report, any language
    assert kalma.locator("td.sources").inner_text() == "3"
    assert sorted(kalma.locator("td.languages").inner_text().split(", ")) == ["ar", "en", "es"]
    assert kalma.locator("td.amplification").inner_text() == "—"
    assert "SD" in kalma.locator("td.place").inner_text()
    assert kalma.locator("td").nth(2).inner_text().endswith(" UTC")
    assert campaign.locator("a.title").inner_text() == "These vermin must be driven out tonight, all of them!"
    flag = campaign.locator("td.amplification").text_content()
    assert flag == "amplified: 6 accounts, 5 minutes, same text"
    assert hostile.locator("a.title").inner_text() == HOSTILE_INCIDENT
    assert hostile.locator("a.title").count() == 1
    assert pg.locator("#view img, #view script").count() == 0

    pg.select_option("#incident-filters select[name=amplified]", "true")
    pg.click("#incident-filters button[type=submit]")
    expect(pg.locator("#incident-summary")).to_have_text("1 incident")
    assert "amplified=true" in pg.url
    assert "vermin" in rows.first.inner_text()
    pg.goto(f"{running.base_url}/#/incidents")
    expect(rows).to_have_count(3)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(SCREENSHOTS / "incidents.png"), full_page=True)

    kalma.locator("a.title").click()
    groups = pg.locator("#incident-by-source section.source-group")
    expect(groups).to_have_count(3)
    assert groups.evaluate_all("els => els.map(e => e.dataset.source)") == ["aljazeera", "efe", "reuters"]
    assert pg.locator('section[data-source="efe"] li.item').get_attribute("data-item-id") == "inc-k3"
    snippet = pg.locator('section[data-source="efe"] li.item p.snippet').inner_text()
    assert snippet == "Hombres armados atacaron el campo de Kalma."     # the item's text, not only its title
    languages = pg.locator("#incident-by-language tbody tr")
    assert sorted(languages.evaluate_all("els => els.map(e => e.dataset.lang)")) == ["ar", "en", "es"]
    assert "Hombres armados" in pg.locator('#incident-by-language tr[data-lang="es"]').inner_text()
    independent = pg.locator("#incident-detail .facts dt", has_text="Independent sources")
    assert independent.locator("xpath=following-sibling::dd[1]").inner_text().startswith("3 (")
    assert pg.locator("#incident-amplification").count() == 0

    pg.goto(f"{running.base_url}/#/incidents?amplified=true")
    pg.locator("#incident-list a.title").click()
    note = pg.locator("#incident-amplification")
    expect(note).to_contain_text("Coordinated amplification: 6 accounts, 5 minutes, same text")
    assert re.search(r"\d of its 6 items belong to a burst", note.inner_text())
    mastodon = pg.locator('section[data-source="mastodon"] li.item')
    expect(mastodon).to_have_count(6)
    assert pg.locator('section[data-source="mastodon"] .chip.amplified').count() >= 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(SCREENSHOTS / "incident-detail.png"), full_page=True)

    listed = httpx.get(f"{running.base_url}/incidents", params={"q": "market"},
                       headers={"X-API-Key": running.key}, timeout=10).json()["incidents"]
    [hostile_id] = [incident["id"] for incident in listed if incident["title"] == HOSTILE_INCIDENT]
    pg.goto(f"{running.base_url}/#/incident/{hostile_id}")
    title = pg.locator("#incident-detail h1 .incident-title")
    expect(title).to_have_text(HOSTILE_INCIDENT)
    expect(pg.locator('#incident-by-language li[data-item-id="inc-m1"]')).to_contain_text(HOSTILE_INCIDENT)
    assert pg.locator("#view img, #view script").count() == 0
    pg.wait_for_timeout(300)  # an onerror handler would have fired by now
    assert pg.evaluate("window.__pwned") is None

    pg.goto(f"{running.base_url}/#/incident/no-such-incident")
    expect(pg.locator("#incident-detail .msg-error")).to_have_text("No such incident.")
    assert [e for e in console.errors if "404" not in e] == []
