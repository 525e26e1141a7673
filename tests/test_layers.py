"""The import graph keeps the layers the folders show.

    tocsin_launch            entry points: may import everything
      ├─ tocsin_embedded     test/demo peers: the core only
      └─ collectors, processors, alerts, api   stages: the core and themselves
           └─ tocsin         the shared core: nothing of ours but itself

Read from the source with ``ast`` (nothing is imported), so an arrow hidden in a
function body counts as much as one at the top of a module, and so does a lazy
import by dotted path (``importlib.import_module("x.y")`` or a ``"x.y:attr"``
string, the form plug-in settings use).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORE = "tocsin"
LAUNCH = "tocsin_launch"
EMBEDDED = "tocsin_embedded"
STAGES = ("collectors", "processors", "alerts", "api")
OURS = (CORE, LAUNCH, EMBEDDED, *STAGES)

ALLOWED: dict[str, frozenset[str]] = {
    CORE: frozenset({CORE}),
    EMBEDDED: frozenset({CORE, EMBEDDED}),
    LAUNCH: frozenset(OURS),
    **{stage: frozenset({CORE, stage}) for stage in STAGES},
}

PENDING: frozenset[tuple[str, str]] = frozenset({
    # The admin routes validate the rules and sources files with the stages' own
    # loaders: the registry and the loader are the core's now, but each plug-in's
    # config model is its stage's own. They go when the entry point hands the API
    # its validators (tocsin_launch builds the app) instead of the API importing them.
    ("api.admin", "alerts.rules"),
    ("api.admin", "collectors.config"),
})
"""Known arrows between stages, each with the change that removes it. The test fails
on any other, and on a pending one that is gone (so the list only shrinks)."""

_DOTTED = re.compile(r"^([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)(?::[A-Za-z_][\w.]*)?$")


@dataclass(frozen=True)
class Arrow:
    source: str  # importing module, dotted
    target: str  # imported module, dotted
    where: str  # file:line

    def __str__(self) -> str:
        return f"{self.where}: {self.source} -> {self.target}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve_relative(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
    return ".".join([*base, node.module] if node.module else base)


def _lazy_target(node: ast.AST) -> str | None:
    """``importlib.import_module("a.b")`` or a ``"a.b:attr"`` string naming one of our modules."""
    called = getattr(node.func, "attr", getattr(node.func, "id", "")) if isinstance(node, ast.Call) else ""
    if isinstance(node, ast.Call) and called == "import_module":
        if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            return node.args[0].value
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and ":" in node.value:
        found = _DOTTED.match(node.value)
        if found and found.group(1).split(".")[0] in OURS:
            return found.group(1)
    return None


def imports_of(path: Path, source: str | None = None) -> Iterator[Arrow]:
    """Our modules that ``path`` imports; ``source`` is its dotted name (from its place by default)."""
    source = source or module_name(path)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                module = _resolve_relative(source, node, is_package)
            # ``from pkg import mod`` imports ``pkg.mod`` when it is a module
            targets = [f"{module}.{alias.name}" if _is_module(f"{module}.{alias.name}") else module
                       for alias in node.names]
        elif (lazy := _lazy_target(node)) is not None:
            targets = [lazy]
        for target in dict.fromkeys(targets):
            if target.split(".")[0] in OURS:
                yield Arrow(source, target, f"{_shown(path)}:{getattr(node, 'lineno', 0)}")


def _is_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


@cache
def all_arrows() -> list[Arrow]:
    return [arrow for package in OURS for path in sorted((ROOT / package).rglob("*.py"))
            for arrow in imports_of(path)]


def _owner(module: str) -> str:
    """The stage subpackage a module belongs to: ``alerts.rules.spike`` -> ``alerts.rules``."""
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 and _is_module(".".join(parts[:2])) else parts[0]


def layer_violations(arrows: list[Arrow]) -> list[Arrow]:
    bad = []
    for arrow in arrows:
        layer, target_layer = arrow.source.split(".")[0], arrow.target.split(".")[0]
        if target_layer in ALLOWED[layer]:
            continue
        if (arrow.source, _owner(arrow.target)) in PENDING:
            continue
        bad.append(arrow)
    return bad


def test_every_package_of_ours_is_in_a_layer() -> None:
    top_level = {path.parent.name for path in ROOT.glob("*/__init__.py")}
    unplaced = top_level - set(OURS) - {"tests", "bench", "config", "models", "demo"}
    assert not unplaced, f"top-level packages with no layer in tests/test_layers.py: {sorted(unplaced)}"


def test_the_core_imports_no_stage_and_no_entry_point() -> None:
    upward = [str(a) for a in layer_violations(all_arrows()) if a.source.split(".")[0] == CORE]
    assert not upward, "the core (tocsin) imports a layer above it:\n" + "\n".join(upward)


def test_no_stage_imports_another_stage_or_an_entry_point() -> None:
    across = [str(a) for a in layer_violations(all_arrows()) if a.source.split(".")[0] in STAGES]
    assert not across, ("a stage imports another stage's internals (move what they share to the "
                        "core, tocsin/):\n" + "\n".join(across))


def test_the_embedded_peers_import_only_the_core() -> None:
    wrong = [str(a) for a in layer_violations(all_arrows()) if a.source.split(".")[0] == EMBEDDED]
    assert not wrong, "tocsin_embedded imports more than the core:\n" + "\n".join(wrong)


def test_pending_arrows_still_exist() -> None:
    present = {(a.source, _owner(a.target)) for a in all_arrows()}
    gone = sorted(PENDING - present)
    assert not gone, f"these arrows are gone: remove them from PENDING in tests/test_layers.py: {gone}"


def test_the_walker_sees_nested_relative_and_dotted_string_imports(tmp_path: Path) -> None:
    """The rule is only as good as the walk: an import inside a function, a relative
    one and a plug-in's dotted path all count."""
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from alerts.rules import load_rules\n"
                     "from . import schema\nNODE = 'tocsin_embedded.compat:PlainJsonNode'\n"
                     "import importlib\nimportlib.import_module('processors.app')\n"
                     "TOPIC = 'alerts.matches'\n", encoding="utf-8")
    arrows = list(imports_of(probe, source="tocsin.probe_module"))
    assert {a.target for a in arrows} == {"alerts.rules", "tocsin.schema", "tocsin_embedded.compat",
                                          "processors.app"}
    assert {str(a.target) for a in layer_violations(arrows)} == {"alerts.rules", "tocsin_embedded.compat",
                                                                 "processors.app"}


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
