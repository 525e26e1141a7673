"""Rules (read, replace atomically, reject bad files with the loader's error) and sources."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.api.conftest import ApiEnv, auth

GOOD = """\
rules:
  - name: only-rule
    type: frequency
    severity: severe
    description: one rule
    filter:
      categories: [violence_report]
    group_by: [country]
    window: 1h
    step: 5m
    threshold: 3
"""


async def test_get_rules_returns_the_file_and_its_rules(client: httpx.AsyncClient, env: ApiEnv) -> None:
    response = await client.get("/rules", headers=auth(env, "admin"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["yaml"] == env.settings.alerts.rules_file.read_text(encoding="utf-8")
    assert "hate-speech-surge" in {r["name"] for r in body["rules"]}


async def test_put_rejects_an_invalid_file_with_the_loaders_error_and_keeps_the_old(
        client: httpx.AsyncClient, env: ApiEnv) -> None:
    path = env.settings.alerts.rules_file
    before = path.read_text(encoding="utf-8")
    for bad, needle in ((GOOD.replace("frequency", "sometimes"), "unknown rule type"),
                        (GOOD.replace("threshold: 3", "threshold: lots"), "threshold"),
                        ("rules: [", "not valid YAML"), (GOOD + "extra: 1\n", "unknown top-level")):
        response = await client.put("/rules", content=bad.encode(), headers=auth(env, "admin"))
        assert response.status_code == 422, response.text
        detail = response.json()["detail"]
        assert needle in detail and "rules.yaml" in detail and "/tmp" not in detail.split(":")[0], detail
        assert path.read_text(encoding="utf-8") == before
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".rules.yaml")]


async def test_put_replaces_the_file_atomically(client: httpx.AsyncClient, env: ApiEnv) -> None:
    path = env.settings.alerts.rules_file
    before = path.read_text(encoding="utf-8")
    try:
        response = await client.put("/rules", content=GOOD.encode(), headers=auth(env, "admin"))
        assert response.status_code == 200, response.text
        assert [r["name"] for r in response.json()["rules"]] == ["only-rule"]
        assert path.read_text(encoding="utf-8") == GOOD
        assert not [p for p in path.parent.iterdir() if p.name.startswith(".rules.yaml")]
    finally:
        path.write_text(before, encoding="utf-8")


async def test_sources_lists_the_configured_feeds(client: httpx.AsyncClient, env: ApiEnv) -> None:
    response = await client.get("/sources", headers=auth(env, "admin"))
    assert response.status_code == 200, response.text
    names = [s["name"] for s in response.json()["sources"]]
    assert "reliefweb-updates" in names


async def test_sources_carry_each_sources_health_for_an_admin(client: httpx.AsyncClient, env: ApiEnv) -> None:
    response = await client.get("/sources", headers=auth(env, "admin"))
    health = {s["name"]: s["health"] for s in response.json()["sources"]}
    assert health["reliefweb-updates"] == {"polled": False, "reports": {}}
    assert (await client.get("/sources", headers=auth(env, "analyst"))).status_code == 403


def test_source_health_quotes_the_last_error_and_counts_reports() -> None:
    from api.admin import source_health

    row = {"name": "rw", "last_success": None, "failures": 3, "stale": True,
           "last_error_at": "2026-12-06T10:00:00",
           "last_error": "reliefweb source 'rw': HTTP 403: You are not using an approved appname."}
    health = source_health(row, {"refused": 2})
    assert health["last_error"].endswith("You are not using an approved appname.")
    summary = (health["failures"], health["stale"], health["reports"], health["polled"])
    assert summary == (3, True, {"refused": 2}, True)


async def test_the_admin_routes_read_the_files_with_the_readers_the_entry_point_gave(env: ApiEnv) -> None:
    """The API imports no other stage: what it knows of rules and sources is what
    ``create_app`` was handed (here a stand-in; ``tocsin api`` hands the stages' loaders)."""
    from api.app import create_app
    from api.stage_config import RuleView, StageConfig
    from tocsin.errors import ConfigError

    def read_rules(path: Path, dotted_paths: bool) -> list[RuleView]:
        if "refuse me" in path.read_text(encoding="utf-8"):
            raise ConfigError(f"{path}: refused by the stand-in (dotted paths {dotted_paths})")
        return [RuleView(name="stand-in", type="frequency", severity="info", description="",
                         filter={}, group_by=["country"], window_s=3600.0)]

    def read_sources(path: Path) -> list[dict[str, Any]]:
        return [{"name": "stand-in-source", "file": path.name}]

    app = create_app(env.settings, stage_config=StageConfig(read_rules, read_sources))
    path = env.settings.alerts.rules_file
    before = path.read_text(encoding="utf-8")
    admin = auth(env, "admin")
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://tocsin.test") as http:
        assert [r["name"] for r in (await http.get("/rules", headers=admin)).json()["rules"]] == ["stand-in"]
        refused = await http.put("/rules", content=b"# refuse me\n", headers=admin)
        assert refused.status_code == 422
        assert refused.json()["detail"] == "rules.yaml: refused by the stand-in (dotted paths False)"
        assert path.read_text(encoding="utf-8") == before
        sources = (await http.get("/sources", headers=admin)).json()["sources"]
        assert [(s["name"], s["file"], s["health"]["polled"]) for s in sources] == [
            ("stand-in-source", "feeds.yaml", False)]
