"""tocsin.plugins: one registry per kind — built-ins found by module, entry points of installed
distributions, dotted paths where allowed, and every name taken once."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tocsin.errors import PluginError, UnknownPluginType
from tocsin.plugins import Plugin, Registry


def adopt(name: str, target: Any) -> Plugin[Any]:
    if not isinstance(target, type):
        raise PluginError(f"{name}: not a class")
    return Plugin(name, None, target)


def called_like_the_module(module: ModuleType, name: str) -> Any:
    found = getattr(module, name.capitalize(), None)
    return found if getattr(found, "__module__", None) == module.__name__ else None


@pytest.fixture
def package(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[str, Path]]:
    """A fresh plug-in package on sys.path: ``<name>/registry.py`` holds the registry, the
    other modules register into it when imported (``alpha``, ``beta``) or do not (``gamma``)."""
    name = f"plugpkg_{request.node.name[:40]}".replace("[", "_").replace("]", "_").replace("-", "_")
    root = tmp_path / "site"
    (root / name).mkdir(parents=True)
    (root / name / "__init__.py").write_text("")
    (root / name / "registry.py").write_text(textwrap.dedent(f"""
        from tests.tocsin.test_plugins import adopt, called_like_the_module
        from tocsin.plugins import Plugin, Registry
        THINGS = Registry("thing", package={name!r}, group="tocsin-test.{name}", adopt=adopt,
                          implicit=called_like_the_module)
    """))
    for module in ("alpha", "beta"):
        (root / name / f"{module}.py").write_text(textwrap.dedent(f"""
            from {name}.registry import THINGS
            from tocsin.plugins import Plugin
            class Thing: pass
            THINGS.add(Plugin({module!r}, None, Thing))
        """))
    (root / name / "gamma.py").write_text("class Gamma:\n    pass\n")
    sys.path.insert(0, str(root))
    try:
        yield name, root
    finally:
        sys.path.remove(str(root))
        for module in [m for m in sys.modules if m == name or m.startswith(f"{name}.")]:
            del sys.modules[module]


def registry_of(name: str) -> Registry[Any]:
    module = __import__(f"{name}.registry", fromlist=["THINGS"])
    things: Registry[Any] = module.THINGS
    return things


def test_a_builtin_is_found_by_its_module_without_importing_the_others(package: tuple[str, Path]) -> None:
    name, _ = package
    things = registry_of(name)
    assert things.get("alpha").target.__module__ == f"{name}.alpha"
    assert f"{name}.alpha" in sys.modules and f"{name}.beta" not in sys.modules


def test_names_lists_every_module_that_registered_or_is_found_implicitly(package: tuple[str, Path]) -> None:
    name, _ = package
    assert registry_of(name).names() == ["alpha", "beta", "gamma"]


def test_a_module_that_registers_nothing_is_adopted_by_the_implicit_finder(package: tuple[str, Path]) -> None:
    name, _ = package
    assert registry_of(name).get("gamma").target.__name__ == "Gamma"


def test_builtins_are_what_the_package_defines_not_what_others_registered(package: tuple[str, Path]) -> None:
    name, root = package
    (root / "acme_extra.py").write_text("class Delta:\n    pass\n")
    things = registry_of(name)
    things.add(Plugin("delta", None, __import__("acme_extra").Delta))
    assert things.names() == ["alpha", "beta", "delta", "gamma"]
    assert list(things.builtins()) == ["alpha", "beta", "gamma"]
    assert things.builtins()["gamma"].target.__name__ == "Gamma"
    del sys.modules["acme_extra"]


def test_an_unknown_name_lists_the_known_ones(package: tuple[str, Path]) -> None:
    name, _ = package
    known = "known types: alpha, beta, gamma$"
    with pytest.raises(UnknownPluginType, match=rf"unknown thing type 'delta'; {known}"):
        registry_of(name).get("delta")
    assert "delta" not in registry_of(name) and "alpha" in registry_of(name)


def test_a_name_registered_twice_is_an_error_naming_both(package: tuple[str, Path]) -> None:
    name, _ = package
    things = registry_of(name)
    things.get("alpha")
    twice = r"thing type 'alpha' is registered twice \(.*alpha\.Thing and .*\)"
    with pytest.raises(PluginError, match=twice):
        things.add(Plugin("alpha", None, object))


def install_distribution(root: Path, group: str, entries: dict[str, str]) -> None:
    """A distribution as pip leaves it: a .dist-info with entry_points.txt, on sys.path."""
    info = root / "acme_things-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-things\nVersion: 1.0\n")
    lines = "".join(f"{name} = {target}\n" for name, target in entries.items())
    (info / "entry_points.txt").write_text(f"[{group}]\n{lines}")


def test_an_entry_point_of_an_installed_distribution_is_found(package: tuple[str, Path]) -> None:
    name, root = package
    (root / "acme_things.py").write_text("class Omega:\n    pass\n")
    install_distribution(root, f"tocsin-test.{name}", {"omega": "acme_things:Omega"})
    things = registry_of(name)
    assert "omega" in things.names()
    assert things.get("omega").target.__name__ == "Omega"
    del sys.modules["acme_things"]


def test_an_entry_point_to_a_class_that_registers_itself_under_that_name_is_that_plugin(
        package: tuple[str, Path]) -> None:
    """A plug-in written as a built-in (with the decorator) and installed by entry point
    registers itself as it is loaded: that is the same plug-in, not a second one."""
    name, root = package
    (root / "acme_things.py").write_text(textwrap.dedent(f"""
        from {name}.registry import THINGS
        from tocsin.plugins import Plugin
        class Omega: pass
        THINGS.add(Plugin("omega", None, Omega))
    """))
    install_distribution(root, f"tocsin-test.{name}", {"omega": "acme_things:Omega"})
    things = registry_of(name)
    found = things.get("omega")
    assert found.target is sys.modules["acme_things"].Omega and things.get("omega") is found
    del sys.modules["acme_things"]


def test_an_entry_point_whose_module_registers_another_class_under_its_name_is_refused(
        package: tuple[str, Path]) -> None:
    name, root = package
    (root / "acme_things.py").write_text(textwrap.dedent(f"""
        from {name}.registry import THINGS
        from tocsin.plugins import Plugin
        class Omega: pass
        class Other: pass
        THINGS.add(Plugin("omega", None, Other))
    """))
    install_distribution(root, f"tocsin-test.{name}", {"omega": "acme_things:Omega"})
    with pytest.raises(PluginError, match=r"thing type 'omega' is registered twice \(acme_things\.Other and "
                                          r"acme_things\.Omega\)"):
        registry_of(name).get("omega")
    del sys.modules["acme_things"]


def test_an_entry_point_that_takes_a_builtin_name_is_refused(package: tuple[str, Path]) -> None:
    name, root = package
    (root / "acme_things.py").write_text("class Alpha:\n    pass\n")
    install_distribution(root, f"tocsin-test.{name}", {"alpha": "acme_things:Alpha"})
    with pytest.raises(PluginError, match="takes the name of the built-in thing type 'alpha'"):
        registry_of(name).names()


def test_a_broken_entry_point_says_what_failed_to_load(package: tuple[str, Path]) -> None:
    name, root = package
    install_distribution(root, f"tocsin-test.{name}", {"broken": "acme_missing_module:Thing"})
    with pytest.raises(PluginError, match=r"thing type 'broken': cannot load 'acme_missing_module:Thing': "
                                          r"ModuleNotFoundError"):
        registry_of(name).get("broken")


def test_a_dotted_path_loads_a_class_once_and_only_where_allowed(package: tuple[str, Path]) -> None:
    name, root = package
    (root / "acme_paths.py").write_text("class Inner:\n    class Kind:\n        pass\n")
    things = registry_of(name)
    with pytest.raises(PluginError, match="a dotted path is not accepted here"):
        things.get("acme_paths:Inner.Kind", dotted_paths=False)
    assert "acme_paths" not in sys.modules
    found = things.get("acme_paths:Inner.Kind")
    assert found.target.__qualname__ == "Inner.Kind" and things.get("acme_paths:Inner.Kind") is found
    del sys.modules["acme_paths"]


def test_a_dotted_path_to_something_that_is_not_a_plugin_is_refused(package: tuple[str, Path]) -> None:
    name, _ = package
    with pytest.raises(PluginError, match="not a class"):
        registry_of(name).get("os.path:join")


def test_a_builtin_whose_dependency_is_missing_costs_only_itself(package: tuple[str, Path],
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    name, root = package
    (root / name / "needy.py").write_text("import acme_not_installed_anywhere\n")
    things = registry_of(name)
    assert things.names() == ["alpha", "beta", "gamma"]
    assert f"{name}.needy not loaded: No module named 'acme_not_installed_anywhere'" in caplog.text
    with pytest.raises(ModuleNotFoundError):
        things.get("needy")
