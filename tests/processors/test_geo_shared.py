"""The gazetteer's disk cache (processors.geo.shared)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from processors.geo import shared
from processors.geo.shared import build_compact, cache_dir, cache_path

SMALL = {"min_population": 1_000_000}


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(shared.CACHE_ENV, str(folder))
    return folder


def test_the_first_build_writes_the_cache_and_the_next_reads_it(cache: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    built = build_compact(min_population=SMALL["min_population"])
    [path] = cache.glob("gazetteer-*.pickle")
    assert path == cache_path(SMALL)
    assert path.stat().st_mode & 0o077 == 0
    monkeypatch.setattr(shared.subprocess, "run", _no_child)
    again = build_compact(min_population=SMALL["min_population"])
    assert again.locate("Fighting in Khartoum") == built.locate("Fighting in Khartoum")


def test_a_cache_file_others_may_write_is_not_read(cache: Path, monkeypatch: pytest.MonkeyPatch,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    build_compact(min_population=SMALL["min_population"])
    [path] = cache.glob("gazetteer-*.pickle")
    os.chmod(path, 0o666)
    calls: list[object] = []
    real_run = shared.subprocess.run

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(args)
        return real_run(*args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(shared.subprocess, "run", counting)
    with caplog.at_level(logging.WARNING):
        build_compact(min_population=SMALL["min_population"])
    assert calls, "the cache was read although others may write it"
    assert "not ours alone" in caplog.text


def test_a_corrupt_cache_file_is_rebuilt(cache: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = cache_path(SMALL)
    assert path is not None
    path.parent.mkdir(mode=0o700, parents=True)
    path.write_bytes(b"not a pickle")
    os.chmod(path, 0o600)
    with caplog.at_level(logging.WARNING):
        gazetteer = build_compact(min_population=SMALL["min_population"])
    assert gazetteer.locate("Fighting in Khartoum").city == "Khartoum"
    assert "unreadable" in caplog.text


def test_the_cache_can_be_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(shared.CACHE_ENV, "off")
    assert cache_dir() is None and cache_path(SMALL) is None


def test_other_options_get_another_file(cache: Path) -> None:
    assert cache_path(SMALL) != cache_path({"min_population": 500_000})


def _no_child(*args: object, **kwargs: object) -> object:
    raise AssertionError("built in a child although the cache holds the gazetteer")
