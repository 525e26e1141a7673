"""The benchmark's input: many feed entries made from the real text of the demo corpus.

The demo corpus (``demo/corpus/*.xml``: WikiNews reports, MLMA social posts in
English, French and Arabic) holds about 700 entries: too few to time anything.
Each benchmark entry re-uses the title and text of one of them unchanged, with a
guid and link of its own and a publication date spread over the past hours, so
the collector, the language identifier, the classifiers and the gazetteer see
real text of realistic lengths and mix, and every item is distinct for dedupe.

Feed ``i`` draws its entries from corpus file ``i mod 6``, so a feed keeps the
language (and the declared ``<language>``) of the file it copies, as a real
source would.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import feedparser
import yaml

from collectors.config import FeedConfig, load_sources
from collectors.feeds import parse_feed
from collectors.normalise import html_to_text
from tocsin.schema import Item
from tocsin_embedded.corpus import corpus_dir


@dataclass(frozen=True)
class Template:
    """The reader-visible part of one demo corpus entry."""

    title: str
    text: str


@dataclass(frozen=True)
class CorpusFile:
    name: str
    language: str | None
    templates: list[Template]


def load_templates(directory: Path | None = None) -> list[CorpusFile]:
    """Every demo corpus file with its entries' text, in file-name order."""
    directory = directory or corpus_dir()
    languages = {
        Path(feed["url"]).name: feed.get("language")
        for feed in yaml.safe_load((directory / "feeds.yaml").read_text(encoding="utf-8"))["feeds"]
    }
    files = []
    for path in sorted(directory.glob("*.xml")):
        parsed = feedparser.parse(path.read_bytes())
        templates = []
        for entry in parsed.entries:
            contents = entry.get("content") or []
            body = contents[0].get("value", "") if contents else entry.get("summary", "")
            templates.append(Template(title=html_to_text(entry.get("title", "")), text=html_to_text(body)))
        if templates:
            files.append(CorpusFile(path.stem, languages.get(path.name), templates))
    if not files:
        raise FileNotFoundError(f"no feed entries in {directory}/*.xml")
    return files


@dataclass(frozen=True)
class SyntheticFeeds:
    directory: Path
    languages: dict[str, str | None]
    """feed name → declared language, in file order"""
    entries: int
    bytes: int

    @property
    def names(self) -> list[str]:
        return list(self.languages)

    def feeds_yaml(self, base_url: str, path: Path) -> Path:
        """Write the collector's feeds file for these feeds served at ``base_url``."""
        feeds = [
            {"name": name, "url": f"{base_url.rstrip('/')}/{name}.xml", "language": language,
             "interval": 60}
            for name, language in self.languages.items()
        ]
        path.write_text(yaml.safe_dump({"feeds": feeds}, sort_keys=False), encoding="utf-8")
        return path


def _rss(title: str, language: str | None, items: list[str], built: datetime) -> str:
    lang = f"<language>{language}</language>" if language else ""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
            f"<title>{escape(title)}</title><link>http://bench.tocsin.invalid/</link>"
            f"<description>Tocsin benchmark feed</description>{lang}"
            f"<lastBuildDate>{format_datetime(built, usegmt=True)}</lastBuildDate>\n"
            + "".join(items) + "</channel></rss>\n")


def write_feeds(directory: Path, *, entries: int, per_feed: int = 500, hours: float = 6.0,
                run: str = "bench", now: datetime | None = None, seed: int = 7) -> SyntheticFeeds:
    """Write ``entries`` entries as RSS 2.0 files of ``per_feed`` entries into ``directory``."""
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    corpus = load_templates()
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    languages: dict[str, str | None] = {}
    total = 0
    written = 0
    feed_count = -(-entries // per_feed)
    for index in range(feed_count):
        source = corpus[index % len(corpus)]
        count = min(per_feed, entries - written)
        start = rng.randrange(len(source.templates))
        items = []
        for n in range(count):
            k = written + n
            template = source.templates[(start + n) % len(source.templates)]
            published = now - timedelta(seconds=rng.uniform(0, hours * 3600))
            items.append(
                f"<item><title>{escape(template.title)}</title>"
                f"<link>http://bench.tocsin.invalid/{run}/{k}</link>"
                f"<description>{escape(template.text)}</description>"
                f'<guid isPermaLink="false">urn:tocsin:bench:{run}:{k}</guid>'
                f"<pubDate>{format_datetime(published, usegmt=True)}</pubDate></item>\n")
        name = f"feed{index:03d}--{source.name}"
        body = _rss(f"Tocsin benchmark {index} ({source.name})", source.language, items, now).encode()
        (directory / f"{name}.xml").write_bytes(body)
        languages[name] = source.language
        total += len(body)
        written += count
    return SyntheticFeeds(directory, languages, written, total)


def parse_written(feeds: SyntheticFeeds, feeds_file: Path) -> list[Item]:
    """The items the collector would publish, parsed straight from the files (no HTTP)."""
    collected = datetime.now(UTC)
    items: list[Item] = []
    configs: dict[str, FeedConfig] = {feed.name: feed for feed in load_sources(feeds_file)}
    for name in feeds.names:
        outcome = parse_feed((feeds.directory / f"{name}.xml").read_bytes(), feed=configs[name],
                             collected=collected, content_type="application/rss+xml")
        items.extend(outcome.items)
    return items
