"""tocsin.config_files: one meaning of an empty file for every YAML config file, and
plug-in lists whose errors name the file, the entry and the key."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from alerts.notify import NotifierConfigError, load_notifiers
from alerts.rules import RuleConfigError, load_rules
from api.keys import KeysConfigError, load_keys
from collectors.config import SourceConfigError, load_sources
from processors.categories import CategoryConfigError, load_categories
from processors.classifiers.cascade import load_classifier_file
from processors.classifiers.protocol import ClassifierConfigError
from processors.geo.config import PlacesConfigError, load_places_config
from tocsin.config_files import parse_plugin_list, read_yaml
from tocsin.errors import ConfigError, ConfigFileError
from tocsin.plugins import Plugin, Registry

LOADERS: list[tuple[str, Callable[[Path], Any], type[ConfigError], str]] = [
    ("feeds.yaml", load_sources, SourceConfigError, "feeds: []"),
    ("rules.yaml", load_rules, RuleConfigError, "rules: []"),
    ("notifiers.yaml", lambda path: load_notifiers(path, env={}), NotifierConfigError, "notifiers: []"),
    ("classifiers.yaml", load_classifier_file, ClassifierConfigError, "{}"),
    ("places.yaml", load_places_config, PlacesConfigError, "{}"),
    ("categories.yaml", load_categories, CategoryConfigError, "categories: {}"),
    ("api-keys.yaml", load_keys, KeysConfigError, "keys: []"),
]


@pytest.mark.parametrize(("name", "load", "error", "none"), LOADERS, ids=[entry[0] for entry in LOADERS])
@pytest.mark.parametrize("text", ["", "\n\n", "# everything commented out\n#feeds:\n#  - name: x\n"])
def test_an_empty_file_is_an_error_that_says_how_to_configure_nothing(
        tmp_path: Path, name: str, load: Callable[[Path], Any], error: type[ConfigError], none: str,
        text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(error) as caught:
        load(path)
    assert str(caught.value) == f"{path}: the file is empty; write '{none}' to configure nothing on purpose"
    assert isinstance(caught.value, ConfigError)


@pytest.mark.parametrize(("name", "load", "none"), [
    ("feeds.yaml", load_sources, "feeds:\n# - {name: a, url: 'https://x.org/f'}\n"),
    ("rules.yaml", load_rules, "rules:\n"),
    ("notifiers.yaml", lambda path: load_notifiers(path, env={}), "notifiers:\n"),
])
def test_a_list_key_with_no_value_means_an_empty_list(tmp_path: Path, name: str,
                                                      load: Callable[[Path], Any], none: str) -> None:
    path = tmp_path / name
    path.write_text(none, encoding="utf-8")
    assert load(path) == []


def test_explicit_nothing_is_nothing(tmp_path: Path) -> None:
    for name, text, load in (("feeds.yaml", "feeds: []\n", load_sources),
                             ("rules.yaml", "rules: []\n", load_rules),
                             ("keys.yaml", "keys: []\n", load_keys)):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        assert load(path) == []


def test_unreadable_and_invalid_files_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError, match=r"nope\.yaml: cannot read: No such file"):
        read_yaml(tmp_path / "nope.yaml", ConfigFileError, none="{}")
    broken = tmp_path / "broken.yaml"
    broken.write_text("rules: [\n", encoding="utf-8")
    with pytest.raises(ConfigFileError, match=r"broken\.yaml: not valid YAML"):
        read_yaml(broken, ConfigFileError, none="{}")
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"name: caf\xe9\n")
    with pytest.raises(ConfigFileError, match=r"latin\.yaml: cannot read: .*utf-8"):
        read_yaml(latin, ConfigFileError, none="{}")


def registry() -> Registry[Any]:
    from pydantic import BaseModel, ConfigDict

    class Config(BaseModel):
        model_config = ConfigDict(extra="forbid")
        name: str
        type: str = "box"
        size: int = 1

    things: Registry[Any] = Registry("thing", package="tests.tocsin", group="tocsin-test.none",
                                     adopt=lambda name, target: Plugin(name, Config, target))
    things.add(Plugin("box", Config, object))
    return things


@pytest.mark.parametrize(("document", "message"), [
    ([], "f.yaml: expected a mapping with a 'things' list, got list"),
    ({"things": [], "extra": 1}, "f.yaml: unknown top-level key(s): extra"),
    ({"things": {"a": 1}}, "f.yaml: 'things' must be a list, got dict"),
    ({"things": ["box"]}, "f.yaml: things[0]: expected a mapping, got str"),
    ({"things": [{"name": "a"}]}, "f.yaml: things[0] (a): type: required, the name of a thing type (box)"),
    ({"things": [{"name": "a", "type": "crate"}]},
     "f.yaml: things[0] (a): type: unknown thing type 'crate'; known types: box"),
    ({"things": [{"name": "a", "type": "box", "sise": 2}]}, "f.yaml: things[0] (a): sise: unknown key"),
    ({"things": [{"name": "a", "type": "box"}, {"name": "a", "type": "box"}]},
     "f.yaml: things[1] (a): name: duplicate thing name 'a' (first used by things[0])"),
    ({"things": [{"name": "a", "type": "os:system"}]},
     "f.yaml: things[0] (a): type: thing type 'os:system': a dotted path is not accepted here; "
     "install the plug-in with an entry point in 'tocsin-test.none'"),
])
def test_plugin_list_errors_name_the_file_the_entry_and_the_key(document: Any, message: str) -> None:
    with pytest.raises(ConfigFileError) as caught:
        parse_plugin_list(document, "f.yaml", key="things", registry=registry(), error=ConfigFileError,
                          dotted_paths=False)
    assert str(caught.value) == message


def test_a_plugin_list_entry_is_validated_by_its_plugins_model() -> None:
    [entry] = parse_plugin_list({"things": [{"name": "a", "type": "box", "size": 3}]}, "f.yaml", key="things",
                                registry=registry(), error=ConfigFileError)
    assert (entry.where, entry.config.size, entry.plugin.name) == ("f.yaml: things[0] (a)", 3, "box")


def test_an_entry_without_type_takes_the_default() -> None:
    [entry] = parse_plugin_list({"things": [{"name": "a"}]}, "f.yaml", key="things", registry=registry(),
                                error=ConfigFileError, default_type="box")
    assert entry.plugin.name == "box"
