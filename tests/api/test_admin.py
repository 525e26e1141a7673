"""Rules (read, replace atomically, reject bad files with the loader's error) and sources."""

from __future__ import annotations

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
