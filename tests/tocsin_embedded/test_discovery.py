"""``.tocsin/demo.env``: what the demo writes, and when a command takes it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tocsin_embedded.discovery import (
    DemoEnvError,
    read_demo_env,
    remove_demo_env,
    running_demo,
    use_running_demo,
    write_demo_env,
)
from tocsin_launch.demo import embedded_env


def dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    return int(done.stdout)


def demo_env(tmp_path: Path) -> dict[str, str]:
    return embedded_env(bootstrap="127.0.0.1:1", search_url="http://127.0.0.1:2", workdir=tmp_path,
                        feeds_file=tmp_path / "feeds.yaml", alerts_port=3, rules_file=tmp_path / "rules.yaml")


def test_the_file_round_trips_hostile_values_and_is_private(tmp_path: Path) -> None:
    path = tmp_path / ".tocsin" / "demo.env"
    env = {"TOCSIN_SEARCH__URL": "http://127.0.0.1:9", "TOCSIN_ODD": "it's $(rm -rf /) `x` \"q\""}
    write_demo_env(path, env, pid=os.getpid(), api_url="http://127.0.0.1:5", api_key="k-1")
    assert read_demo_env(path)["TOCSIN_ODD"] == env["TOCSIN_ODD"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    shell = subprocess.run(["sh", "-c", f'. "{path}"; printf %s "$TOCSIN_ODD|$TOCSIN_DEMO_API_KEY"'],
                           capture_output=True, text=True, check=True)
    assert shell.stdout == env["TOCSIN_ODD"] + "|k-1"


def test_a_command_takes_the_running_demos_settings_and_set_variables_win(tmp_path: Path) -> None:
    path = tmp_path / "demo.env"
    write_demo_env(path, demo_env(tmp_path), pid=os.getpid(), api_url="http://127.0.0.1:5", api_key="k")
    environ = {"TOCSIN_SEARCH__ITEMS_INDEX": "mine"}
    assert use_running_demo(environ, path)
    assert environ["TOCSIN_SEARCH__URL"] == "http://127.0.0.1:2"
    assert environ["TOCSIN_SEARCH__NODE_CLASS"] == "tocsin_embedded.compat:PlainJsonNode"
    assert environ["TOCSIN_ALERTS__RULES_FILE"] == str(tmp_path / "rules.yaml")
    assert environ["TOCSIN_SEARCH__ITEMS_INDEX"] == "mine"
    chosen = {"TOCSIN_SEARCH__URL": "http://search.internal:9200"}
    assert not use_running_demo(chosen, path) and chosen == {"TOCSIN_SEARCH__URL": "http://search.internal:9200"}


def test_a_stopped_demos_file_is_ignored_and_only_its_own_demo_removes_it(tmp_path: Path) -> None:
    path = tmp_path / "demo.env"
    write_demo_env(path, {}, pid=dead_pid(), api_url="u", api_key="k")
    assert running_demo(path) is None and not use_running_demo({}, path)
    remove_demo_env(path, os.getpid())
    assert path.exists(), "another demo's file was removed"
    write_demo_env(path, {}, pid=os.getpid(), api_url="u", api_key="k")
    remove_demo_env(path, os.getpid())
    assert not path.exists()


def test_a_broken_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "demo.env"
    path.write_text("export TOCSIN_SEARCH__URL='unclosed\n")
    with pytest.raises(DemoEnvError, match="line 1"):
        read_demo_env(path)

