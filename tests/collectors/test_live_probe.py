"""``tocsin probe sources --live`` against local servers that answer as the services do.

The refusals are the recorded ones (data/reliefweb/SOURCES.md: ReliefWeb's 403 for an appname it
has not approved; Mastodon's documented 401 body, docs.joinmastodon.org/methods/timelines, read
2026-12-06). The probe sends one request per source, publishes nothing and writes no state.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from collectors.config import parse_sources
from collectors.live_probe import ProbeResult, probe_sources, report
from tests.collectors.api_replay import ApiServer, Reply, recorded, recorded_bytes
from tocsin.settings import CollectorSettings
from tocsin_launch.cli import main as tocsin

UA = "linux:org.example.tocsin-tests:0.1 (by /u/monitoring-desk)"


def feeds(server: ApiServer, rss_url: str) -> list[Any]:
    return parse_sources({"feeds": [
        {"name": "rw", "type": "reliefweb", "url": server.url("/v2/reports"), "appname": "made-up-appname"},
        {"name": "gd", "type": "gdelt", "url": server.url("/api/v2/doc/doc"), "query": "darfur",
         "request_gap": 0},
        {"name": "rd", "type": "reddit", "url": server.base, "token_url": server.url("/api/v1/access_token"),
         "subreddit": "sudan", "user_agent": UA},
        {"name": "ms", "type": "mastodon_stream", "url": server.base, "timeline": "tag", "hashtag": "sudan",
         "token_env": "PROBE_MASTODON_TOKEN"},
        {"name": "news", "url": rss_url},
        {"name": "off", "url": rss_url, "enabled": False},
    ]}, "feeds.yaml")


async def test_each_source_gets_one_request_and_a_line_with_the_services_own_words(
        api_server: ApiServer, feed_server: Any, rss: Any, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDDIT_CLIENT_ID", raising=False)
    monkeypatch.delenv("REDDIT_CLIENT_SECRET", raising=False)
    monkeypatch.setenv("PROBE_MASTODON_TOKEN", "an-app-token")
    api_server.route("/v2/reports", lambda request: Reply(
        403, recorded_bytes("reliefweb/unapproved_appname.json"), {"Content-Type": "application/json"}))
    api_server.route("/api/v2/doc/doc", lambda request: Reply.json(recorded("gdelt/artlist.json")))
    api_server.route("/api/v1/streaming/hashtag", lambda request: Reply.json(
        {"error": "The access token is invalid"}, status=401))
    feed_server.route("/rss", body=rss([{"title": "Shelling in El Fasher", "guid": "a1"}]))
    settings = CollectorSettings(allow_private_targets=True, timeout_s=2.0, retries=2,
                                 state_path=tmp_path / "state.db")

    results = {r.feed: r for r in await probe_sources(feeds(api_server, feed_server.url("/rss")), settings,
                                                        timeout_s=5.0)}

    assert results["rw"] == ProbeResult(
        "rw", "reliefweb", "FAIL", 403, results["rw"].summary, "refused")
    assert "You are not using an approved appname." in results["rw"].summary
    assert "request one at https://apidoc.reliefweb.int/parameters#appname" in results["rw"].summary
    assert (results["gd"].verdict, results["gd"].http_status) == ("OK", 200)
    assert results["gd"].summary.startswith("14 items")
    assert (results["rd"].verdict, results["rd"].auth) == ("FAIL", "missing")
    assert "REDDIT_CLIENT_ID, REDDIT_CLIENT_SECRET" in results["rd"].summary
    assert (results["ms"].verdict, results["ms"].http_status, results["ms"].auth) == ("FAIL", 401, "refused")
    assert "The access token is invalid" in results["ms"].summary
    assert (results["news"].verdict, results["news"].summary) == ("OK", "1 items")
    assert results["off"].verdict == "SKIP"
    # One request per source: no retries of the 403, none to Reddit without credentials.
    assert len(api_server.hits("/v2/reports")) == 1 and len(api_server.hits("/api/v2/doc/doc")) == 1
    assert api_server.hits("/api/v1/access_token") == [] and len(feed_server.hits("/rss")) == 1
    assert [hit.path for hit in api_server.hits() if "streaming" in hit.path] == ["/api/v1/streaming/hashtag"]
    assert not settings.state_path.exists()
    printed = report(list(results.values()))
    assert printed.splitlines()[-1] == "6 sources: 2 OK, 3 failed, 1 skipped"
    assert "FAIL  reliefweb       rw" in printed and "HTTP 403" in printed
    assert "[credentials refused]" in printed


def test_without_live_it_sends_nothing_and_says_why(capsys: pytest.CaptureFixture[str]) -> None:
    assert tocsin(["probe", "sources"]) == 2
    assert "add --live" in capsys.readouterr().err
