"""``tocsin backtest``: the archive replayed through the same engine, on the real
search server — paging through more than one page, resolution by event-time
ticks, and clear errors."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alerts.backtest import Replay, replay
from alerts.engine import Engine
from alerts.rules import load_rules
from alerts.rules.base import match_all
from alerts.state import MappingStore
from processors.archive import Archive
from tests.alerts.factories import T0, enriched
from tocsin.schema import EnrichedItem
from tocsin.search import search_client
from tocsin.settings import SearchSettings
from tocsin_launch.cli import main

pytestmark = pytest.mark.peers

RULES = """
rules:
  - name: burst
    type: frequency
    enabled: false
    filter: {categories: [violence_report], min_score: 0.5}
    window: 1h
    step: 10m
    threshold: 5
    realert: 1h
    resolve: {hold: 30m}
  - name: other
    type: frequency
    threshold: 2
"""


def corpus() -> list[EnrichedItem]:
    """1,200 quiet items over two days, and two bursts of violence reports about Sudan."""
    items = [enriched(f"quiet-{i}", minutes=i * 2.4, categories={}, country="KE") for i in range(1200)]
    items += [enriched(f"sd-a{i}", minutes=300 + i, categories={"violence_report": 0.9}) for i in range(6)]
    items += [enriched(f"sd-b{i}", minutes=2000 + i, categories={"violence_report": 0.9}) for i in range(5)]
    return items


def archive_for_the_cli(items: list[EnrichedItem], search_settings: SearchSettings, prefix: str,
                        monkeypatch: pytest.MonkeyPatch, rules: Path) -> None:
    """Archive ``items`` in an index of their own and point ``tocsin backtest`` at it and at ``rules``."""
    index = f"{prefix}-{uuid.uuid4().hex[:8]}"
    settings = search_settings.model_copy(update={"items_index": index})

    async def load() -> None:
        es = search_client(settings)
        try:
            archive = Archive(es, index)
            await archive.install()
            for start in range(0, len(items), 500):
                await archive.store(items[start:start + 500])
            await es.indices.refresh(index=index)
        finally:
            await es.close()

    asyncio.run(load())
    monkeypatch.setenv("TOCSIN_SEARCH__URL", settings.url)
    monkeypatch.setenv("TOCSIN_SEARCH__NODE_CLASS", settings.node_class)
    monkeypatch.setenv("TOCSIN_SEARCH__ITEMS_INDEX", index)
    rules.write_text(RULES)
    monkeypatch.setenv("TOCSIN_ALERTS__RULES_FILE", str(rules))


@pytest.fixture
def archived(search_settings: SearchSettings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    rules = tmp_path / "rules.yaml"
    archive_for_the_cli(corpus(), search_settings, "bt-items", monkeypatch, rules)
    return rules


def window() -> list[str]:
    return ["--from", T0.isoformat(), "--to", (T0 + timedelta(days=2)).isoformat()]


def test_backtest_prints_the_versions_the_engine_makes_from_the_archive(
        archived: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backtest", "burst", *window(), "--json"]) == 0
    out, err = capsys.readouterr()
    versions = [json.loads(line) for line in out.splitlines()]
    assert [(v["event"], v["version"]) for v in versions] == [
        ("opened", 1), ("resolved", 2), ("opened", 1), ("resolved", 2)]
    assert versions[0]["sample_item_ids"] == [f"sd-a{i}" for i in range(5)]
    assert versions[2]["sample_item_ids"] == [f"sd-b{i}" for i in range(5)]
    assert versions[0]["opened_at"].startswith((T0 + timedelta(minutes=304)).isoformat()[:16])
    assert "rule=burst items=1211 alerts_opened=2 resolved=2 versions=4" in err

    # The same versions as the engine fed item by item, as the worker is (ticks aside).
    enabled = archived.with_name("enabled.yaml")
    enabled.write_text(RULES.replace("enabled: false", "enabled: true"))
    burst = [r for r in load_rules(enabled) if r.config.name == "burst"]
    engine = Engine(burst, MappingStore(), MappingStore())
    live = [a for item in sorted(corpus(), key=lambda i: i.event_time)
            for m in match_all(engine.rules, item) for a in engine.handle(m, item.event_time.timestamp())]
    # Without ticks nothing resolves, so the second burst only updates the first alert.
    assert [(a.id, a.event, a.count) for a in live][:1] == [(versions[0]["id"], "opened", 5)]


def test_backtest_table_output_is_one_line_per_version(archived: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backtest", "burst", *window()]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 5 and "opened" in lines[0] and "country=SD" in lines[0]
    assert lines[-1].startswith("rule=burst items=1211")


def test_unknown_rule_and_bad_range_exit_2_with_a_reason(archived: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backtest", "nope", *window()]) == 2
    assert "no rule named 'nope' in the rules file; known: burst, other" in capsys.readouterr().err
    assert main(["backtest", "burst", "--from", "2026-03-02", "--to", "2026-03-01"]) == 2
    assert "must be after" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["backtest", "burst", "--from", "yesterday", "--to", "2026-03-01"])


def test_replay_skips_items_outside_the_range(archived: Path) -> None:
    [rule] = [r for r in load_rules(archived) if r.config.name == "burst"]
    items = sorted(corpus(), key=lambda i: i.event_time)
    assert replay(rule, items, T0 + timedelta(hours=10), T0 + timedelta(hours=20)) == []
    run = Replay(rule, T0, T0 + timedelta(hours=8))
    made = [a for item in items for a in run.feed(item)] + run.finish()
    assert [a.event for a in made] == ["opened", "resolved"]


@pytest.fixture
def recent(search_settings: SearchSettings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> datetime:
    """A burst that ended ten minutes ago: its alert would resolve only in the future."""
    now = datetime.now(UTC)
    start = now - timedelta(minutes=20)
    burst = [enriched(f"now-{i}", categories={"violence_report": 0.9}).model_copy(
        update={"published": start + timedelta(minutes=i), "collected": start + timedelta(minutes=i)})
        for i in range(6)]
    archive_for_the_cli(burst, search_settings, "bt-recent", monkeypatch, tmp_path / "running-rules.yaml")
    return now


def test_backtest_takes_relative_times_and_the_configured_rules(
        recent: datetime, capsys: pytest.CaptureFixture[str]) -> None:
    """``--from 7d`` as ``tocsin search`` takes it; no --rules: the running stack's rules file."""
    assert main(["backtest", "burst", "--from", "1h", "--json"]) == 0
    out, err = capsys.readouterr()
    assert [json.loads(line)["event"] for line in out.splitlines()] == ["opened"]
    assert "rule=burst items=6 alerts_opened=1 resolved=0" in err


def test_backtest_never_simulates_past_now(recent: datetime, capsys: pytest.CaptureFixture[str]) -> None:
    tomorrow = (recent + timedelta(days=1)).isoformat()
    assert main(["backtest", "burst", "--from", "2h", "--to", tomorrow, "--json"]) == 0
    out, err = capsys.readouterr()
    versions = [json.loads(line) for line in out.splitlines()]
    assert [v["event"] for v in versions] == ["opened"], "resolved after a hold that has not passed yet"
    assert all(datetime.fromisoformat(v["updated_at"]) <= datetime.now(UTC) for v in versions)
    assert "replaying until now" in err


def test_backtest_with_reference_events_reports_lead_time_misses_and_unmatched_alerts(
        archived: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text("date,country,type,name\n"
                      f"{(T0 + timedelta(hours=8)).isoformat()},SD,armed_attack,village raid\n"
                      f"{(T0 + timedelta(days=1)).date().isoformat()},KE,,\n")
    assert main(["backtest", "burst", *window(), "--events", str(events)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-4].startswith("WARNED  2026-03-01T20:00:00+00:00 SD armed_attack village raid: "
                                "2.9 h before")
    assert lines[-3] == "MISSED  2026-03-02T00:00:00+00:00 KE"
    assert lines[-2].startswith("NO EVENT  ") and "country=SD" in lines[-2]
    assert lines[-1] == "events=2 warned=1 warned_before=1 median_lead_h=2.9 unmatched_alerts=1"


def test_a_bad_events_file_exits_2_naming_the_row(archived: Path, capsys: pytest.CaptureFixture[str],
                                                  tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text("date,country\n2026-03-01,Sudan\n")
    assert main(["backtest", "burst", *window(), "--events", str(events)]) == 2
    assert "row 2: column 'country': 'Sudan' is not an ISO 3166 alpha-2 code" in capsys.readouterr().err
