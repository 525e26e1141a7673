"""Swallowed exceptions are counted by place and class, and warned about where a person looks."""

from __future__ import annotations

import logging

import pytest
from prometheus_client import REGISTRY, generate_latest

from tocsin.swallowed import swallowed, swallowed_count

log = logging.getLogger("tests.swallowed")


def test_each_swallowed_exception_is_counted_by_place_and_class(caplog: pytest.LogCaptureFixture) -> None:
    before = swallowed_count("tests.place")
    labels = {"where": "tests.place", "error": "ValueError"}
    values_before = REGISTRY.get_sample_value("tocsin_swallowed_exceptions_total", labels) or 0.0
    with caplog.at_level(logging.WARNING, logger="tests.swallowed"):
        swallowed("tests.place", ValueError("bad input"), log, "the item goes on without it")
        swallowed("tests.place", ValueError("bad again"), log, "the item goes on without it")
        swallowed("tests.place", KeyError("k"), log, "the item goes on without it")
    assert swallowed_count("tests.place") == before + 3
    assert REGISTRY.get_sample_value("tocsin_swallowed_exceptions_total", labels) == values_before + 2
    exposed = generate_latest(REGISTRY)
    assert b'tocsin_swallowed_exceptions_total{error="KeyError",where="tests.place"}' in exposed
    messages = [(r.levelno, r.getMessage(), r.exc_info is not None) for r in caplog.records]
    assert messages[0] == (logging.WARNING, "tests.place failed (ValueError: bad input); the item goes on "
                                            "without it", True)
    # the traceback once per place and class, so a flood of one bug does not flood the log
    assert messages[1] == (logging.WARNING, "tests.place failed (ValueError: bad again); the item goes on "
                                            "without it (traceback logged the first time)", False)
    assert messages[2][2] is True


def test_language_detection_that_fails_is_counted_and_keeps_the_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    from processors.language import LanguageIdentifier

    detector = LanguageIdentifier()

    def broken(sample: str) -> tuple[str, float]:
        raise RuntimeError("model bug")

    monkeypatch.setattr(detector, "_detect", broken)
    before = swallowed_count("language.detect")
    assert detector.identify("Fighting resumed in the capital this morning.", hint="fr") == ("fr", 0.0)
    assert swallowed_count("language.detect") == before + 1
