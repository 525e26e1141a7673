"""The recipes of docs/extending.md work: each ``# file:`` block is written out where the
page puts it and used through Tocsin's own loaders by its YAML name (tests/docs/recipes_check.py)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docs.conftest import ROOT

BLOCK = re.compile(r"^```python\n# file: (?P<path>\S+)\n(?P<code>.*?)^```", re.MULTILINE | re.DOTALL)
RECIPES = {"source": "collectors/jsonfeed.py", "classifier": "processors/classifiers/regex.py",
           "rule": "alerts/rules/sustained.py", "notifier": "alerts/notify/jsonlines.py"}


def recipe_files() -> dict[str, str]:
    page = (ROOT / "docs" / "extending.md").read_text(encoding="utf-8")
    return {match["path"]: match["code"] for match in BLOCK.finditer(page)}


def test_the_page_has_one_recipe_per_plugin_kind() -> None:
    assert sorted(recipe_files()) == sorted(RECIPES.values())


def write_recipes(directory: Path) -> None:
    """Each recipe at the path the page gives it, under ``directory``."""
    for path, code in recipe_files().items():
        (directory / path).parent.mkdir(parents=True, exist_ok=True)
        (directory / path).write_text(code, encoding="utf-8")


@pytest.mark.parametrize("kind", sorted(RECIPES))
def test_recipe_works(kind: str, tmp_path: Path) -> None:
    write_recipes(tmp_path)
    done = subprocess.run([sys.executable, "-m", "tests.docs.recipes_check", str(tmp_path), kind],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().endswith(f"{kind}: ok")


def test_recipes_are_lint_clean(tmp_path: Path) -> None:
    write_recipes(tmp_path)
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--config", str(ROOT / "pyproject.toml"),
                           str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
