"""collectors.protocol: a plug-in registered by type name, with its own config model."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from collectors.config import FeedConfig, SourceConfigError, load_sources
from collectors.protocol import (
    PollContext,
    PollOutcome,
    build_source,
    plugin,
    register,
    source_types,
)
from collectors.runner import Collector
from tocsin.errors import UnknownPluginType
from tocsin.schema import DeadLetter, Item, SourceRef
from tocsin.settings import CollectorSettings


class StaticConfig(FeedConfig):
    titles: list[str]


@register("test-static", config_model=StaticConfig)
class StaticSource:
    """A source that needs no network: it 'polls' the titles in its config."""

    def __init__(self, config: StaticConfig) -> None:
        self.config = config

    @property
    def name(self) -> str:
        return self.config.name

    async def poll(self, context: PollContext) -> PollOutcome:
        items = [Item(id=f"i-{self.name}-{n}", source=SourceRef(type="test-static", name=self.name),
                      title=title, collected=context.collected, raw_sha256="0" * 64, content_sha256="0" * 64)
                 for n, title in enumerate(self.config.titles)]
        return PollOutcome("changed", items=items)


class RecordingSink:
    def __init__(self) -> None:
        self.items: list[Item] = []

    async def publish(self, items: Sequence[Item], dead_letters: Sequence[DeadLetter]) -> None:
        self.items.extend(items)


YAML = """
feeds:
  - name: static
    url: https://static.example.org/
    type: test-static
    titles: [one, two]
"""


def test_registered_types_are_listed() -> None:
    assert {"rss", "test-static"} <= set(source_types())


def test_unknown_type_raises_naming_the_known_ones() -> None:
    with pytest.raises(UnknownPluginType, match=r"known types: .*rss"):
        plugin("carrier-pigeon")


def test_registering_a_type_twice_is_an_error() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        register("rss", config_model=FeedConfig)(StaticSource)


def test_plugin_config_model_validates_its_own_keys(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(YAML)
    (feed,) = load_sources(path)
    assert isinstance(feed, StaticConfig) and feed.titles == ["one", "two"]
    assert isinstance(build_source(feed), StaticSource)


def test_plugin_keys_are_unknown_to_other_types(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(YAML.replace("type: test-static", "type: rss"))
    with pytest.raises(SourceConfigError, match=r"feeds\[0\] \(static\): titles: unknown key"):
        load_sources(path)


async def test_runner_polls_a_plugin_source(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(YAML)
    sink = RecordingSink()
    settings = CollectorSettings(allow_private_targets=True, state_path=tmp_path / "state.db")
    async with Collector(load_sources(path), settings, sink, rng=random.Random(0),
                         clock=lambda: datetime(2024, 1, 1, tzinfo=UTC)) as running:
        assert (await running.run_once()).new_items == 2
        assert (await running.run_once()).new_items == 0
    assert [item.title for item in sink.items] == ["one", "two"]
