"""The YAML list of feeds to poll (``collector.feeds_file``).

Example::

    feeds:
      - name: wikinews-africa        # unique; the key for state and provenance
        url: https://example.org/feed.xml
        country: SD                  # optional default country, ISO 3166 alpha-2
        language: ar                 # optional language hint, ISO 639-1
        interval: 15m                # seconds, or "30s" / "15m" / "2h" / "1d"
        type: rss                    # source plug-in; default rss
        enabled: true

Each plug-in validates its entries with its own model, so a key the plug-in does
not know is an error that names the file, the feed and the key.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from collectors.protocol import SOURCES
from tocsin.config_files import parse_plugin_list, read_yaml
from tocsin.durations import parse_duration
from tocsin.errors import ConfigError

DEFAULT_INTERVAL_S = 900.0
"""15 minutes: frequent enough for news wires, polite enough for small sites."""

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$")


class SourceConfigError(ConfigError, ValueError):
    """The feeds file cannot be used; the message names the file, the feed and the field."""


def api_base_url(value: str) -> str:
    """An API's or instance's base URL as configured: no query or fragment, no trailing slash."""
    parts = urlsplit(value)
    if parts.query or parts.fragment:
        raise ValueError(f"must be the base URL without query or fragment, got {value!r}")
    return value.rstrip("/")


def http_base_url(value: str) -> str:
    """A site's base URL for plug-ins that derive the polled URL from their own keys
    (``https://t.me``, ``https://www.youtube.com``): absolute http(s), no query or
    fragment, no trailing slash. Configurable so tests and mirrors can stand in."""
    value = value.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"must be an absolute http(s) URL without query or fragment, got {value!r}")
    return value


class FeedConfig(BaseModel):
    """One configured feed. Plug-ins with extra options subclass this."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Unique in the file: the key of the source's state and provenance (letters, digits, . _ : -).
    name: str
    # What is polled: an absolute http(s) URL (plug-ins for APIs derive or default it).
    url: str
    # Default country, ISO 3166 alpha-2: a prior for ambiguous place names, and the
    # items' country when their text names no place.
    country: str | None = None
    # Language hint, ISO 639-1, given to language identification with the text.
    language: str | None = None
    interval: float = Field(default=DEFAULT_INTERVAL_S,
                            description="poll interval: seconds, or 30s / 15m / 2h / 1d; it then adapts")
    # The source plug-in (default rss: RSS 0.9x/1.0/2.0 and Atom).
    type: str = "rss"
    # false keeps the entry in the file without polling it.
    enabled: bool = True

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("must be 1-100 characters: letters, digits, '.', '_', ':' or '-', "
                             f"starting with a letter or digit; got {value!r}")
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        value = value.strip()
        parts = urlsplit(value)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise ValueError(f"must be an absolute http(s) URL, got {value!r}")
        return value

    @field_validator("country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.fullmatch(r"[A-Za-z]{2}", value):
            raise ValueError(f"must be an ISO 3166 alpha-2 code like 'SD', got {value!r}")
        return value.upper()

    @field_validator("language")
    @classmethod
    def _language(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.fullmatch(r"[A-Za-z]{2}", value):
            raise ValueError(f"must be an ISO 639-1 code like 'ar', got {value!r}")
        return value.lower()

    @field_validator("interval", mode="before")
    @classmethod
    def _interval(cls, value: object) -> float:
        return parse_duration(value)


def parse_sources(document: Any, origin: str) -> list[FeedConfig]:
    """Validate an already-loaded YAML document; ``origin`` names it in errors."""
    entries = parse_plugin_list(document, origin, key="feeds", registry=SOURCES, error=SourceConfigError,
                                default_type="rss")
    return [entry.config for entry in entries]


def load_sources(path: Path | str) -> list[FeedConfig]:
    """Read and validate the feeds file; raise :class:`SourceConfigError` on any problem
    (an empty file is one: write ``feeds: []`` to poll nothing)."""
    return parse_sources(read_yaml(path, SourceConfigError, none="feeds: []"), str(path))
