"""The API against the real search server (and the real broker where it needs one).

Each module gets its own indices (random suffix), seeded directly: items as the
archive writes them, alerts and their versions as the alerts worker indexes them.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from alerts.store import TEMPLATE_FILE as ALERTS_TEMPLATE
from api.app import create_app
from api.keys import add_key
from collectors.state import FeedState, StateStore
from processors.archive import Archive
from tocsin.documents import to_document
from tocsin.schema import Alert, AlertArea, AlertNote, CategoryHit, EnrichedItem, Place, SourceRef
from tocsin.search import bulk_index, install_index, search_client
from tocsin.settings import (
    PACKAGE_CONFIG,
    AlertSettings,
    ApiSettings,
    CollectorSettings,
    KafkaSettings,
    SearchSettings,
    Settings,
)
from tocsin_embedded.broker import LocalBroker
from tocsin_launch.api_wiring import stage_config

T0 = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)
HOSTILE = '<script>alert("x")</script> & \'quotes\' \u2028 \u202e RTL \U0001f525 </title>]]>'
ROLES = ("viewer", "analyst", "admin")


def item(n: int, *, title: str, text: str = "", lang: str = "en", country: str | None = "SD",
         admin1: str | None = None, lat: float | None = None, lon: float | None = None,
         categories: dict[str, float] | None = None, source: str = "feed-a", source_type: str = "rss",
         tags: list[str] | None = None, hours: float | None = None) -> EnrichedItem:
    when = T0 + timedelta(hours=n if hours is None else hours)
    return EnrichedItem(
        id=f"item-{n:03d}", source=SourceRef(type=source_type, name=source), url=f"https://news.example/{n}",
        title=title, text=text or title, tags=tags or [], published=when, collected=when,
        raw_sha256="0" * 64, content_sha256=f"{n:064d}", lang=lang, lang_confidence=0.9,
        categories={name: CategoryHit(score=score, terms=[name], classifier="keywords/1")
                    for name, score in (categories or {}).items()},
        places=[Place(name="Place", matched="Place", kind="city", country=country, admin1=admin1,
                      lat=lat, lon=lon)] if country else [],
        country=country, admin1=admin1,
        location={"lat": lat, "lon": lon} if lat is not None and lon is not None else None,
        processed=when,
    )


def corpus() -> list[EnrichedItem]:
    """40 items over 40 hours: Sudan (Khartoum) and Kenya (Nairobi), English, French and Arabic."""
    items = []
    for n in range(40):
        if n % 2 == 0:
            country, admin1, lat, lon = "SD", "SD.03", 15.5 + (n % 5) * 0.01, 32.53
        else:
            country, admin1, lat, lon = "KE", "KE.30", -1.29, 36.82 + (n % 5) * 0.01
        lang = ("en", "fr", "ar")[n % 3]
        words = {"en": "militia attack on the village", "fr": "attaque de milice au village",
                 "ar": "هجوم الميليشيا على القرية"}[lang]
        violent = n < 20
        items.append(item(
            n, title=f"{words} {n}" if violent else f"market prices report {n}",
            text=f"{words}: report number {n}" if violent else f"weather and market prices, report {n}",
            lang=lang, country=country, admin1=admin1, lat=lat, lon=lon,
            categories={"violence_report": 0.3 + (n % 10) / 20} if violent else {},
            source="masto-watch" if n % 4 == 0 else "feed-a", source_type="mastodon" if n % 4 == 0 else "rss",
            tags=["militia"] if violent else ["economy"]))
    items.append(item(99, title=HOSTILE, text=f"body {HOSTILE}", lang="en", country=None, hours=45))
    return items


def alert_version(alert_id: str, version: int, **fields: Any) -> Alert:
    base: dict[str, Any] = dict(
        id=alert_id, rule="violence-by-country", rule_type="frequency", title=f"{alert_id} title",
        severity="severe", group={"country": "SD"}, group_key="country=SD",
        window_start=T0, window_end=T0 + timedelta(hours=6), count=5, threshold=3,
        sample_item_ids=["item-000", "item-002", "item-004"], sample_titles=["a", "b", "c"],
        sample_urls=["https://news.example/0", None, "https://news.example/4"],
        first_seen=T0, last_seen=T0 + timedelta(hours=4), raised_at=T0 + timedelta(hours=4),
        status="open", event="opened", version=version, opened_at=T0 + timedelta(hours=4),
        updated_at=T0 + timedelta(hours=4 + version),
    )
    base.update(fields)
    return Alert(**base)


def alert_history() -> dict[str, list[Alert]]:
    """Three alerts, each a list of its versions (oldest first)."""
    sudan = [
        alert_version("a-sudan", 1),
        alert_version("a-sudan", 2, event="acknowledged", acknowledged_by="ana",
                      acknowledged_at=T0 + timedelta(hours=6)),
        alert_version("a-sudan", 3, event="noted", acknowledged_by="ana",
                      acknowledged_at=T0 + timedelta(hours=6),
                      notes=[AlertNote(author="ana", text="checking with the field team",
                                       at=T0 + timedelta(hours=7))],
                      area=AlertArea(description="Khartoum, Sudan", country="SD", admin1="SD.03",
                                     lat=15.5, lon=32.53, radius_km=20)),
    ]
    kenya = [
        alert_version("a-kenya", 1, rule="hate-surge", severity="warning", group={"lang": "en"},
                      group_key="lang=en", sample_item_ids=["item-001", "item-003"], sample_titles=["x", "y"],
                      sample_urls=[None, None], updated_at=T0 + timedelta(hours=10)),
        alert_version("a-kenya", 2, rule="hate-surge", severity="warning", group={"lang": "en"},
                      group_key="lang=en", sample_item_ids=["item-001", "item-003"], sample_titles=["x", "y"],
                      sample_urls=[None, None], status="resolved", event="resolved",
                      resolved_at=T0 + timedelta(hours=12), updated_at=T0 + timedelta(hours=12),
                      area=AlertArea(description="Nairobi, Kenya", country="KE")),
    ]
    hostile = [
        alert_version("a-hostile", 1, rule="hate-surge", severity="extreme", title=HOSTILE,
                      description=HOSTILE,
                      group={"lang": "en"}, group_key="lang=en", sample_item_ids=["item-099"],
                      sample_titles=[HOSTILE], sample_urls=["javascript:alert(1)"],
                      updated_at=T0 + timedelta(hours=20)),
    ]
    return {"a-sudan": sudan, "a-kenya": kenya, "a-hostile": hostile}


async def seed(search: SearchSettings, items: list[EnrichedItem], history: dict[str, list[Alert]]) -> None:
    es = search_client(search)
    try:
        archive = Archive(es, search.items_index)
        await archive.install()
        await bulk_index(es, search.items_index, [(i.id, to_document(i)) for i in items], refresh=True)
        await install_index(es, search.alerts_index, ALERTS_TEMPLATE)
        await install_index(es, search.alert_versions_index, ALERTS_TEMPLATE)
        await bulk_index(es, search.alerts_index, [(v[-1].id, v[-1].model_dump(mode="json"))
                                                   for v in history.values()], refresh=True)
        await bulk_index(es, search.alert_versions_index, [
            (a.version_id, a.model_dump(mode="json")) for v in history.values() for a in v], refresh=True)
    finally:
        await es.close()


@dataclass
class ApiEnv:
    settings: Settings
    keys: dict[str, str]
    tmp: Path
    broker: LocalBroker


def write_collector_state(path: Path, now: datetime) -> None:
    with StateStore(path, seen_limit=100) as store:
        store.save(FeedState(name="feed-a", interval_s=600, last_success=now - timedelta(minutes=5)))
        store.save(FeedState(name="feed-broken", interval_s=600, failures=7,
                             last_error="HTTP 503 <b>down</b>",
                             last_error_at=now - timedelta(minutes=1),
                             last_success=now - timedelta(days=3)))
        store.note("feed-a", "history_gap", "bluesky source 'feed-a': 3.0 h of posts are lost", now)


def make_env(tmp: Path, search_settings: SearchSettings, broker: LocalBroker) -> ApiEnv:
    suffix = uuid.uuid4().hex[:8]
    search = search_settings.model_copy(update={
        "items_index": f"api-items-{suffix}", "alerts_index": f"api-alerts-{suffix}",
        "alert_versions_index": f"api-versions-{suffix}", "evidence_index": f"api-evidence-{suffix}",
        "custody_index": f"api-custody-{suffix}", "labels_index": f"api-labels-{suffix}"})
    rules = tmp / "rules.yaml"
    shutil.copy(PACKAGE_CONFIG / "rules.yaml", rules)
    write_collector_state(tmp / "state.sqlite3", datetime.now(UTC))
    settings = Settings(
        kafka=KafkaSettings(bootstrap_servers=broker.bootstrap_servers, session_timeout_s=6,
                            rebalance_timeout_s=6),
        search=search, alerts=AlertSettings(rules_file=rules),
        collector=CollectorSettings(state_path=tmp / "state.sqlite3",
                                    feeds_file=PACKAGE_CONFIG / "feeds.yaml"),
        api=ApiSettings(keys_file=tmp / "keys.yaml", public_url="https://tocsin.example.org"),
    )
    keys = {role: add_key(settings.api.keys_file, f"{role}-person", role) for role in ROLES}
    asyncio.run(seed(search, corpus(), alert_history()))
    return ApiEnv(settings, keys, tmp, broker)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, search_settings: SearchSettings,
        broker: LocalBroker) -> Iterator[ApiEnv]:
    yield make_env(tmp_path_factory.mktemp("api"), search_settings, broker)


@pytest.fixture
async def client(env: ApiEnv) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(env.settings, stage_config=stage_config())
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://tocsin.test") as http:
        http.app = app  # type: ignore[attr-defined]
        yield http


def auth(env: ApiEnv, role: str) -> dict[str, str]:
    return {"X-API-Key": env.keys[role]}
