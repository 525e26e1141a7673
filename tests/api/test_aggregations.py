"""``/aggregations``: each kind over the seeded corpus, with the ``/search`` filters."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.conftest import ApiEnv, auth


async def aggregate(client: httpx.AsyncClient, env: ApiEnv, **params: Any) -> list[dict]:
    response = await client.get("/aggregations", params=params, headers=auth(env, "analyst"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["kind"] == params["kind"]
    return body["buckets"]


async def test_timeline_by_hour_and_day(client: httpx.AsyncClient, env: ApiEnv) -> None:
    hours = await aggregate(client, env, kind="timeline", interval="hour", country="SD")
    assert len(hours) == 20 and all(b["count"] == 1 for b in hours)
    assert hours[0]["key"].startswith("2026-11-20T00:00")
    days = await aggregate(client, env, kind="timeline", interval="day")
    assert [(b["key"][:10], b["count"]) for b in days] == [("2026-11-20", 24), ("2026-11-21", 17)]


async def test_countries_and_admin1(client: httpx.AsyncClient, env: ApiEnv) -> None:
    countries = await aggregate(client, env, kind="countries")
    assert {(b["key"], b["count"]) for b in countries} == {("SD", 20), ("KE", 20)}
    admin1 = await aggregate(client, env, kind="admin1", lang="fr")
    assert sum(b["count"] for b in admin1) == 13 and {b["key"] for b in admin1} == {"SD.03", "KE.30"}


async def test_geohash_cells_with_centres_for_maps(client: httpx.AsyncClient, env: ApiEnv) -> None:
    cells = await aggregate(client, env, kind="geohash", precision=3)
    assert sum(c["count"] for c in cells) == 40
    khartoum = next(c for c in cells if c["key"].startswith("s"))
    assert khartoum["count"] == 20
    assert abs(khartoum["lat"] - 15.52) < 0.1 and abs(khartoum["lon"] - 32.53) < 0.1
    response = await client.get("/aggregations", params={"kind": "geohash", "precision": 13},
                                headers=auth(env, "analyst"))
    assert response.status_code == 400 and "precision" in response.json()["detail"]


async def test_top_sources_with_their_type(client: httpx.AsyncClient, env: ApiEnv) -> None:
    sources = await aggregate(client, env, kind="sources")
    assert sources[0] == {"key": "feed-a", "count": 31, "type": "rss"}
    assert sources[1] == {"key": "masto-watch", "count": 10, "type": "mastodon"}


async def test_significant_terms_of_a_selection_against_the_archive(client: httpx.AsyncClient,
                                                                   env: ApiEnv) -> None:
    tags = await aggregate(client, env, kind="significant_terms", field="tags", q="militia")
    assert (tags[0]["key"], tags[0]["count"], tags[0]["bg_count"]) == ("militia", 7, 20)
    assert "economy" not in {b["key"] for b in tags}
    words = await aggregate(client, env, kind="significant_terms", field="title", category="violence_report")
    assert {"attack", "militia"} & {b["key"] for b in words}
    assert not {"market", "prices"} & {b["key"] for b in words}


async def test_significant_words_are_not_led_by_stop_words(client: httpx.AsyncClient, env: ApiEnv) -> None:
    """"the", "on", "de", "au" are as over-represented in the violent titles as "militia" is."""
    words = await aggregate(client, env, kind="significant_terms", field="title", category="violence_report",
                            size=5)
    keys = [b["key"] for b in words]
    assert len(keys) == 5 and not {"the", "on", "de", "au", "على"} & set(keys), keys
    assert {"militia", "attack", "attaque", "milice", "village"} & set(keys[:2]), keys
    tags = await aggregate(client, env, kind="significant_terms", field="tags", q="militia", size=1)
    assert [b["key"] for b in tags] == ["militia"]  # keyword fields are left as they are, and sized


async def test_unknown_kind_or_field_is_a_clear_error(client: httpx.AsyncClient, env: ApiEnv) -> None:
    for params, needle in (({"kind": "pie"}, "kind must be"), ({"kind": "significant_terms", "field": "url"},
                                                               "field must be"),
                           ({"kind": "timeline", "interval": "week"}, "interval")):
        response = await client.get("/aggregations", params=params, headers=auth(env, "analyst"))
        assert response.status_code == 400 and needle in response.json()["detail"], response.text
