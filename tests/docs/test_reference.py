"""The generated reference lists what the code accepts, with the text the code gives it."""

from __future__ import annotations

import argparse
from pathlib import Path
from types import ModuleType

import pytest
from pydantic import BaseModel, Field

from tests.docs.conftest import ROOT
from tocsin.durations import Duration
from tocsin.settings import KafkaSettings, Settings


class Example(BaseModel):
    # Above the field,
    # over two lines.
    commented: int = Field(default=3, ge=1)
    documented: str = "x"
    """Under the field."""
    described: float = Field(default=0.5, description="From the model.")
    trailing: bool = True  # at the end of the line
    every: Duration = 3600.0
    bare: list[str] = Field(default_factory=list)


class Narrower(Example):
    # The subclass says it again.
    commented: int = 5


def test_field_text_is_the_description_else_the_docstring_else_the_comments(reference: ModuleType) -> None:
    assert reference.field_docs(Example) == {
        "commented": "Above the field, over two lines.",
        "documented": "Under the field.",
        "described": "From the model.",
        "trailing": "at the end of the line",
    }
    assert reference.field_docs(Narrower)["commented"] == "The subclass says it again."
    assert reference.field_docs(Narrower)["documented"] == "Under the field."


def test_a_table_row_has_key_type_default_text_and_limits(reference: ModuleType) -> None:
    table = "\n".join(reference.key_table(Example, path=""))
    assert "| `commented` | integer | `3` | Above the field, over two lines. (≥ 1) |" in table
    assert "| `every` | duration (seconds, or `30s`, `15m`, `2h`, `1d`) | `3600 s (1h)` |  |" in table
    assert "| `bare` | list of string | `[]` |  |" in table


def test_every_setting_is_listed_with_its_environment_variable(reference: ModuleType) -> None:
    text = reference.settings_reference()
    for section, info in Settings.model_fields.items():
        model = info.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):
            for name in model.model_fields:
                assert f"`{section}.{name}`<br>`TOCSIN_{section.upper()}__{name.upper()}`" in text
        else:
            assert f"`TOCSIN_{section.upper()}`" in text


def test_secrets_show_no_default_value(reference: ModuleType) -> None:
    text = reference.settings_reference()
    secret = Settings().collector.pseudonym_secret.get_secret_value()
    assert secret not in text
    assert "| secret | a demo-only value: set your own |" in text


@pytest.mark.parametrize("kind", ["source", "rule", "notifier"])
def test_every_registered_plugin_has_its_own_keys_listed(reference: ModuleType, kind: str) -> None:
    models = {"source": reference.source_models, "rule": reference.rule_models,
              "notifier": reference.notifier_models}[kind]()
    text = getattr(reference, f"{kind}s_reference")()
    assert models
    for name, model in models.items():
        section = text.split(f"### {kind.capitalize()} `{name}`\n", 1)[1].split("\n### ", 1)[0]
        for field, info in model.model_fields.items():
            if field != "type":
                assert f"`{info.alias or field}`" in section or f"`{info.alias or field}`" in text


def test_every_classifier_is_listed_with_its_settings(reference: ModuleType) -> None:
    from processors.classifiers.registry import CLASSIFIERS

    text = reference.classifiers_reference()
    builtins = CLASSIFIERS.builtins()  # not names(): other tests register plug-ins of their own
    assert {"keywords", "ngram", "transformers", "zeroshot"} <= set(builtins)
    for name in builtins:
        assert f"### Classifier `{name}` (`classifiers.{name}`)" in text
    assert "| `target_min` |" in text  # ngram's own key
    assert "| `hypothesis` |" in text  # zeroshot's nested categories


def test_the_command_line_reference_has_every_command(reference: ModuleType) -> None:
    from tocsin_launch.cli import build_parser

    text = reference.cli_reference()
    [subparsers] = [action for action in build_parser()._actions
                    if isinstance(action, argparse._SubParsersAction)]
    assert {"collect", "process", "alert", "api", "search", "export"} <= set(subparsers.choices)
    for command in subparsers.choices:
        assert f"### `tocsin {command}`" in text


def test_an_unknown_marker_fails_with_the_page_and_the_known_names(reference: ModuleType) -> None:
    expected = r"alerts\.md: <!-- generate: setings --> names no generator; known: .*settings-reference"
    with pytest.raises(reference.UnknownMarker, match=expected):
        reference.expand("x <!-- generate: setings --> y", "alerts.md")


def test_every_marker_in_the_manual_has_a_generator(reference: ModuleType) -> None:
    used = {name for page in (ROOT / "docs").glob("*.md")
            for name in reference.MARKER.findall(page.read_text(encoding="utf-8"))}
    assert used and used <= set(reference.GENERATORS)


def test_expanding_a_page_leaves_no_marker(reference: ModuleType) -> None:
    page = (ROOT / "docs" / "config-files.md").read_text(encoding="utf-8")
    assert "<!-- generate:" not in reference.expand(page, "config-files.md")


def test_default_paths_are_shown_relative_to_the_repository(reference: ModuleType) -> None:
    assert reference.default_text(KafkaSettings.model_fields["ssl_cafile"]) == "–"
    assert "the shipped `config/rules.yaml`" in reference.settings_reference()
    assert "| `.tocsin/api-keys.yaml` |" in reference.settings_reference()
    assert str(Path(ROOT)) not in reference.settings_reference()


def test_every_record_field_is_listed(reference: ModuleType) -> None:
    from tocsin.schema import Alert, DeadLetter, EnrichedItem

    text = reference.records_reference()
    for model in (EnrichedItem, Alert, DeadLetter):
        for name in model.model_fields:
            assert f"| `{name}` |" in text, (model.__name__, name)
    assert "#### `EnrichedItem.places[]`" in text and "#### `EnrichedItem.categories.NAME`" in text


def test_the_errors_page_draws_the_whole_tree(reference: ModuleType) -> None:
    import inspect

    import tocsin.errors

    text = reference.errors_tree()
    assert text.startswith("```text\nTocsinError\n├── ConfigError") and text.endswith("```")
    core = [name for name, value in inspect.getmembers(tocsin.errors, inspect.isclass)
            if issubclass(value, tocsin.errors.TocsinError)]
    assert core and all(name in text for name in core)
    assert "── NotifierConfigError         alerts.notify.protocol" in text
    assert "Private exceptions" not in text  # the docstring's closing paragraph is not part of the tree
