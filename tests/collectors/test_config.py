"""collectors.config: the feeds file, and errors that name file, feed and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.config import DEFAULT_INTERVAL_S, SourceConfigError, load_sources, parse_duration

EXAMPLE = """
feeds:
  - name: wikinews-africa
    url: https://example.org/feed.xml
    country: sd
    language: AR
    interval: 15m
    type: rss
    enabled: true
  - name: reliefweb
    url: http://127.0.0.1:8080/rw.xml
    interval: 90
  - name: paused
    url: https://example.org/paused.xml
    enabled: false
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_file_loads_with_normalised_fields(tmp_path: Path) -> None:
    feeds = load_sources(write(tmp_path, EXAMPLE))
    first, second, third = feeds
    assert (first.name, first.url, first.country, first.language, first.interval, first.type, first.enabled) \
        == ("wikinews-africa", "https://example.org/feed.xml", "SD", "ar", 900.0, "rss", True)
    assert (second.interval, second.country, second.language, second.type) == (90.0, None, None, "rss")
    assert third.enabled is False and third.interval == DEFAULT_INTERVAL_S


def test_unknown_key_error_names_file_feed_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, "feeds:\n  - name: a\n    url: https://x.org/f\n    intervall: 5m\n")
    with pytest.raises(SourceConfigError) as caught:
        load_sources(path)
    message = str(caught.value)
    assert str(path) in message and "feeds[0] (a)" in message and "intervall: unknown key" in message


def test_duplicate_feed_names_are_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "feeds:\n  - {name: a, url: 'https://x.org/1'}\n  - {name: a, url: 'https://x.org/2'}\n")
    with pytest.raises(SourceConfigError, match=r"feeds\[1\] \(a\): name: duplicate source name 'a' "
                                                r"\(first used by feeds\[0\]\)"):
        load_sources(path)


@pytest.mark.parametrize("country", ["SDN", "S", "1D", "sd-x"])
def test_country_that_is_not_two_letters_is_rejected_naming_the_field(tmp_path: Path, country: str) -> None:
    path = write(tmp_path, f"feeds:\n  - {{name: a, url: 'https://x.org/f', country: '{country}'}}\n")
    with pytest.raises(SourceConfigError, match=r"feeds\[0\] \(a\): country:"):
        load_sources(path)


def test_language_that_is_not_iso_639_1_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "feeds:\n  - {name: a, url: 'https://x.org/f', language: arabic}\n")
    with pytest.raises(SourceConfigError, match="language:"):
        load_sources(path)


def test_non_http_url_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "feeds:\n  - {name: a, url: 'file:///etc/passwd'}\n")
    with pytest.raises(SourceConfigError, match=r"url: .*absolute http"):
        load_sources(path)


def test_unknown_type_names_the_known_types(tmp_path: Path) -> None:
    path = write(tmp_path, "feeds:\n  - {name: a, url: 'https://x.org/f', type: gopher}\n")
    with pytest.raises(SourceConfigError, match=r"type: unknown source type 'gopher'; known types: .*rss"):
        load_sources(path)


def test_bad_interval_is_rejected_naming_the_field(tmp_path: Path) -> None:
    path = write(tmp_path, "feeds:\n  - {name: a, url: 'https://x.org/f', interval: soon}\n")
    with pytest.raises(SourceConfigError, match=r"feeds\[0\] \(a\): interval:"):
        load_sources(path)


def test_invalid_yaml_error_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "feeds: [\n")
    with pytest.raises(SourceConfigError, match=f"{path}: not valid YAML"):
        load_sources(path)


def test_unknown_top_level_key_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SourceConfigError, match="unknown top-level key"):
        load_sources(write(tmp_path, "feed:\n  - {name: a, url: 'https://x.org/f'}\n"))


def test_missing_file_error_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(SourceConfigError, match=r"nope\.yaml: cannot read"):
        load_sources(tmp_path / "nope.yaml")


def test_empty_feed_list_is_allowed(tmp_path: Path) -> None:
    assert load_sources(write(tmp_path, "feeds: []\n")) == []


@pytest.mark.parametrize(("value", "seconds"), [
    (30, 30.0), (1.5, 1.5), ("90", 90.0), ("30s", 30.0), ("15m", 900.0), ("2h", 7200.0), ("1d", 86400.0),
    (" 2H ", 7200.0),
])
def test_durations_parse_to_seconds(value: object, seconds: float) -> None:
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", [0, -5, "0m", "15 minutes", "m", True, None, [1]])
def test_non_positive_or_unparseable_durations_are_rejected(value: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(value)
