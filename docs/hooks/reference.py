"""MkDocs hook: fills ``<!-- generate: NAME -->`` markers in the pages from the code itself.

The configuration reference is read from the pydantic models (settings and every
registered plug-in's config model), the command-line reference from the argument
parser, the dashboard bundle's size from the built file. A field's text is its
``description``, else the docstring under it, else the comment block above it (the
house style of ``tocsin/settings.py``), so documenting a setting means documenting it
in the code, once. Nothing here is copied by hand, so nothing here goes stale.

An unknown marker, or a model that cannot be imported, fails the build.
"""

from __future__ import annotations

import argparse
import ast
import gzip
import inspect
import io
import itertools
import re
import textwrap
import tokenize
import types
import typing
from collections.abc import Callable, Iterable, Iterator
from contextlib import redirect_stdout
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

if TYPE_CHECKING:
    from tocsin.plugins import Registry

ROOT = Path(__file__).resolve().parents[2]
MARKER = re.compile(r"<!--\s*generate:\s*([a-z0-9-]+)\s*-->")
_HUSH = re.compile(r"^(noqa|type:|pragma)\b")


class UnknownMarker(LookupError):
    """A page asks for a generated block nobody generates (a typo in the marker)."""


# --- field documentation, read from the source ---------------------------------------------

def _comments_by_line(source: str) -> dict[int, str]:
    comments: dict[int, str] = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            comments[token.start[0]] = token.string.lstrip("#").strip()
    return comments


def _own_field_docs(cls: type) -> dict[str, str]:
    """Docs of the fields ``cls`` itself declares: docstring under a field, else the
    ``#`` lines right above it, else a comment at the end of its line."""
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):
        return {}
    lines = source.splitlines()
    comments = _comments_by_line(source)
    body = next(node for node in ast.parse(source).body if isinstance(node, ast.ClassDef)).body
    docs: dict[str, str] = {}
    for index, node in enumerate(body):
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        following = body[index + 1] if index + 1 < len(body) else None
        if (isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)):
            docs[node.target.id] = inspect.cleandoc(following.value.value)
            continue
        above: list[str] = []
        line = node.lineno - 1
        while line >= 1 and lines[line - 1].strip().startswith("#"):
            above.insert(0, comments.get(line, ""))
            line -= 1
        trailing = comments.get(node.end_lineno or node.lineno, "")
        text = " ".join(part for part in [*above, trailing] if part and not _HUSH.match(part))
        if text:
            docs[node.target.id] = text
    return docs


def field_docs(model: type[BaseModel]) -> dict[str, str]:
    """What each field of ``model`` is for, from the model and its bases (nearest wins)."""
    docs: dict[str, str] = {}
    for cls in reversed(model.__mro__):
        if isinstance(cls, type) and issubclass(cls, BaseModel) and cls is not BaseModel:
            docs.update(_own_field_docs(cls))
    for name, info in model.model_fields.items():
        if info.description:
            docs[name] = info.description
    return docs


def model_doc(model: type[BaseModel]) -> str:
    """The model's own docstring (not an inherited one), on one line."""
    doc = model.__dict__.get("__doc__")
    return " ".join(inspect.cleandoc(doc).split()) if doc else ""


# --- rendering values and types ------------------------------------------------------------

def _cell(text: str) -> str:
    """Text safe in a table cell: one line, pipes escaped outside code spans."""
    text = " ".join(text.split())
    parts = text.split("`")
    return "`".join(part if i % 2 else part.replace("|", "\\|") for i, part in enumerate(parts))


def _code(value: str) -> str:
    fence = "``" if "`" in value else "`"
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


DURATION = "duration (seconds, or `30s`, `15m`, `2h`, `1d`)"


def _is_duration(metadata: Iterable[Any]) -> bool:
    """Whether a field's metadata holds ``tocsin.durations.parse_duration`` (type ``Duration``)."""
    return any(getattr(getattr(meta, "func", None), "__name__", "") == "parse_duration" for meta in metadata)


def type_text(annotation: Any) -> str:
    """A field type as a reader of YAML thinks of it."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if annotation is type(None):
        return "null"
    if origin is typing.Annotated:
        return DURATION if _is_duration(annotation.__metadata__) else type_text(args[0])
    if origin is typing.Literal:
        return " or ".join(_code(str(arg)) for arg in args)
    if origin in (typing.Union, types.UnionType):
        kept = [arg for arg in args if arg is not type(None)]
        text = " or ".join(type_text(arg) for arg in kept)
        return f"{text}, optional" if len(kept) < len(args) else text
    if origin in (list, tuple, set, frozenset):
        return f"list of {type_text(args[0])}" if args else "list"
    if origin is dict:
        return f"mapping of {type_text(args[0])} to {type_text(args[1])}" if args else "mapping"
    if annotation is SecretStr:
        return "secret"
    if _is_model(annotation):
        return "mapping"
    if annotation is Any:
        return "any"
    return {str: "string", int: "integer", float: "number", bool: "boolean", Path: "path"}.get(
        annotation, getattr(annotation, "__name__", str(annotation)))


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


SHIPPED_FOLDERS = {"tocsin.defaults": "config", "processors.models": "models"}
"""Data packages and the repository folders they install from (setup.py's mapping)."""


def _path_text(path: Path) -> str:
    """A default path as a reader finds it: a shipped file by its folder in the repository
    (the same text from a checkout and from a wheel), else the path as the setting gives it."""
    from tocsin.resources import shipped

    for package, folder in SHIPPED_FOLDERS.items():
        if path.is_relative_to(shipped(package)):
            return f"the shipped {_code(f'{folder}/{path.relative_to(shipped(package)).as_posix()}')}"
    if path.is_absolute() and path.is_relative_to(ROOT):
        return _code(str(path.relative_to(ROOT)))
    return _code(str(path))


def default_text(info: FieldInfo) -> str:
    """The default as YAML spells it; 'required' when there is none."""
    if info.default is PydanticUndefined and info.default_factory is None:
        return "**required**"
    value = info.get_default(call_default_factory=True)
    if isinstance(value, SecretStr):
        return "a demo-only value: set your own" if value.get_secret_value() else "–"
    if value is None:
        return "–"
    if isinstance(value, BaseModel):
        return "see below"
    if isinstance(value, Path):
        return _path_text(value)
    text = yaml.safe_dump(_plain(value), default_flow_style=True, allow_unicode=True, width=10_000).strip()
    text = text.removesuffix("\n...").strip()
    if _is_duration(info.metadata) and isinstance(value, int | float):
        text += f" s ({_human_seconds(float(value))})"
    return _code(text)


def _human_seconds(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


def constraints_text(info: FieldInfo) -> str:
    words = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<", "min_length": "at least", "max_length": "at most"}
    unit = " characters" if info.annotation is str else " entries"
    found: list[str] = []
    for meta in info.metadata:
        for attribute, word in words.items():
            value = getattr(meta, attribute, None)
            if value is None:
                continue
            if attribute == "min_length" and value == 1:
                found.append("not empty")
            else:
                found.append(f"{word} {value:g}{unit if attribute.endswith('length') else ''}")
        pattern = getattr(meta, "pattern", None)
        if pattern:
            found.append(f"matches {_code(str(pattern))}")
    return ", ".join(found)


# --- tables --------------------------------------------------------------------------------

def _nested_model(annotation: Any) -> type[BaseModel] | None:
    """The model inside a field's type (``ResolveConfig``, ``list[EscalateStep]``), if any."""
    if _is_model(annotation):
        return typing.cast(type[BaseModel], annotation)
    for arg in typing.get_args(annotation):
        found = _nested_model(arg)
        if found is not None:
            return found
    return None


def _container_suffix(annotation: Any) -> str:
    """``[]`` when a field holds a list of models, ``.NAME`` when a mapping of them."""
    for arg in (annotation, *typing.get_args(annotation)):
        origin = typing.get_origin(arg)
        if origin in (list, tuple, set, frozenset):
            return "[]"
        if origin is dict:
            return ".NAME"
    return ""


def _key(name: str, info: FieldInfo) -> str:
    return info.alias or name


def field_cells(model: type[BaseModel], names: Iterable[str]) -> list[tuple[str, str, str, str]]:
    """Per field: its YAML key, type, default and what it is for (with its limits)."""
    docs = field_docs(model)
    cells = []
    for name in names:
        info = model.model_fields[name]
        what = docs.get(name, "")
        limits = constraints_text(info)
        if limits:
            what = f"{what} ({limits})" if what else limits[0].upper() + limits[1:]
        kind = DURATION if _is_duration(info.metadata) else type_text(info.annotation)
        default = default_text(info)
        value = info.default
        if name.endswith("_bytes") and isinstance(value, int) and value >= 1024 * 1024:
            default += f" ({value / 1024 / 1024:g} MiB)"
        cells.append((_key(name, info), kind, default, what))
    return cells


def _row(*cells: str) -> str:
    return "| " + " | ".join(_cell(cell) for cell in cells) + " |"


def key_table(model: type[BaseModel], *, path: str, heading: str = "####",
              only: Iterable[str] | None = None, seen: set[type[BaseModel]] | None = None,
              key_header: str = "key") -> list[str]:
    """A table of ``model``'s keys, then one for each nested model (``filter``, ``retry`` …),
    headed by its path: ``escalate[]`` for each entry of a list, ``labels.NAME`` of a mapping."""
    names = list(model.model_fields) if only is None else list(only)
    if not names:
        return []
    rows = [_row(_code(key), kind, default, what) for key, kind, default, what in field_cells(model, names)]
    out = [f"| {key_header} | type | default | what |", "|---|---|---|---|", *rows, ""]
    seen = set() if seen is None else seen
    for name in names:
        nested = _nested_model(model.model_fields[name].annotation)
        if nested is None or nested in seen:
            continue
        seen.add(nested)
        info = model.model_fields[name]
        own_key = _key(name, info) + _container_suffix(info.annotation)
        key = f"{path}.{own_key}" if path else own_key
        out += [f"{heading} `{key}`", ""]
        doc = model_doc(nested)
        if doc:
            out += [doc, ""]
        out += key_table(nested, path=key, heading=heading, seen=seen, key_header=key_header)
    return out


def settings_table(settings_model: type[BaseModel]) -> list[str]:
    """Every setting, section by section, with its environment variable."""
    prefix = str(settings_model.model_config.get("env_prefix", ""))
    delimiter = str(settings_model.model_config.get("env_nested_delimiter", "__"))
    docs = field_docs(settings_model)
    sections = {name: info for name, info in settings_model.model_fields.items()
                if _is_model(info.annotation)}
    top = [name for name in settings_model.model_fields if name not in sections]
    out: list[str] = []
    for section, info in sections.items():
        model = typing.cast(type[BaseModel], info.annotation)
        out += [f"### `{section}`", ""]
        intro = docs.get(section) or model_doc(model)
        if intro:
            out += [intro, ""]
        out += _env_table(model, model.model_fields, f"{prefix}{section.upper()}{delimiter}", f"{section}.")
    out += ["### Top level", ""]
    out += _env_table(settings_model, top, prefix, "")
    return out


def _env_table(model: type[BaseModel], names: Iterable[str], env_prefix: str, key_prefix: str) -> list[str]:
    rows = ["| setting / environment variable | type | default | what |", "|---|---|---|---|"]
    for key, kind, default, what in field_cells(model, names):
        rows.append(_row(f"`{key_prefix}{key}`<br>`{env_prefix}{key.upper()}`", kind, default, what))
    return [*rows, ""]


def plugin_tables(kind: str, base: type[BaseModel], plugins: dict[str, type[BaseModel]],
                  skip: Iterable[str] = ()) -> list[str]:
    """The keys every plug-in of a kind takes, then each plug-in's own keys (and changed defaults)."""
    skipped = set(skip)
    out = [f"### Keys every {kind} takes", ""]
    out += key_table(base, path="", only=[n for n in base.model_fields if n not in skipped])
    for type_name, model in sorted(plugins.items()):
        own = [name for name, info in model.model_fields.items()
               if name not in skipped and name != "type" and (
                   name not in base.model_fields or repr(info) != repr(base.model_fields[name]))]
        out += [f"### {kind.capitalize()} `{type_name}`", ""]
        doc = model_doc(model) if model is not base else ""
        if doc:
            out += [doc, ""]
        out += key_table(model, path="", only=own) or [f"No keys beyond those every {kind} takes.", ""]
    return out


# --- what the registries hold ----------------------------------------------------------

def _registry_models(registry: Registry[Any]) -> dict[str, type[BaseModel] | None]:
    """Each built-in plug-in's config model (None for one that validates its own settings):
    what Tocsin ships, not what a deployment or a test registered besides."""
    return {name: plugin.config_model for name, plugin in registry.builtins().items()}


def _required_models(registry: Registry[Any]) -> dict[str, type[BaseModel]]:
    """As :func:`_registry_models`, for a kind whose every plug-in has a config model."""
    models: dict[str, type[BaseModel]] = {}
    for name, model in _registry_models(registry).items():
        if model is None:
            raise TypeError(f"{registry.kind} type {name!r} has no config model to document")
        models[name] = model
    return models


def source_models() -> dict[str, type[BaseModel]]:
    from collectors.protocol import SOURCES

    return _required_models(SOURCES)


def rule_models() -> dict[str, type[BaseModel]]:
    from alerts.rules.base import RULE_TYPES

    return _required_models(RULE_TYPES)


def notifier_models() -> dict[str, type[BaseModel]]:
    from alerts.notify.protocol import NOTIFIERS

    return _required_models(NOTIFIERS)


def classifier_models() -> dict[str, type[BaseModel] | None]:
    """Each built-in classifier's settings model; None for one that takes no settings."""
    from processors.classifiers.registry import CLASSIFIERS

    return _registry_models(CLASSIFIERS)


# --- the blocks ----------------------------------------------------------------------------

def settings_reference() -> str:
    from tocsin.settings import Settings

    return "\n".join(settings_table(Settings))


def sources_reference() -> str:
    from collectors.config import FeedConfig

    return "\n".join(plugin_tables("source", FeedConfig, source_models()))


def rules_reference() -> str:
    from alerts.rules.base import RuleConfig

    return "\n".join(plugin_tables("rule", RuleConfig, rule_models()))


def notifiers_reference() -> str:
    from alerts.notify.protocol import NotifierConfig

    return "\n".join(plugin_tables("notifier", NotifierConfig, notifier_models()))


def classifiers_reference() -> str:
    from processors.classifiers.cascade import ClassifierFile

    out = ["### The file", "", *key_table(ClassifierFile, path="")]
    for name, model in classifier_models().items():
        out += [f"### Classifier `{name}` (`classifiers.{name}`)", ""]
        if model is None:
            out += ["Takes no settings.", ""]
            continue
        doc = model_doc(model)
        out += ([doc, ""] if doc else []) + key_table(model, path=f"classifiers.{name}")
    return "\n".join(out)


def places_reference() -> str:
    from processors.geo.config import PlacesConfig

    return "\n".join(key_table(PlacesConfig, path=""))


def categories_reference() -> str:
    from processors.categories import CategoryDefinition, CategoryFile

    out = key_table(CategoryFile, path="", only=[n for n in CategoryFile.model_fields if n != "categories"])
    out += ["#### Each entry of `categories`", "", *key_table(CategoryDefinition, path="categories.NAME")]
    return "\n".join(out)


def records_reference() -> str:
    """The records on the topics and in the indices (``tocsin/schema.py``), field by field."""
    from tocsin.schema import Alert, DeadLetter, EnrichedItem, Item

    out: list[str] = []
    seen: set[type[BaseModel]] = set()
    records: list[tuple[str, type[BaseModel], list[str]]] = [
        ("`Item` (topic `items.raw`)", Item, list(Item.model_fields)),
        ("`EnrichedItem` (topic `items.enriched`, the archive): every field of `Item`, and", EnrichedItem,
         [name for name in EnrichedItem.model_fields if name not in Item.model_fields]),
        ("`Alert` (topic `alerts`, the alerts indices)", Alert, list(Alert.model_fields)),
        ("`DeadLetter` (topic `items.dlq`)", DeadLetter, list(DeadLetter.model_fields)),
    ]
    for title, model, fields in records:
        out += [f"### {title}", ""]
        doc = model_doc(model)
        if doc:
            out += [doc, ""]
        out += key_table(model, path=title.split("`")[1], only=fields, seen=seen, key_header="field")
    return "\n".join(out)


def plugin_names() -> str:
    """The built-in plug-ins of each kind, as the registries list them."""
    rows = ["| kind | YAML key | built-in |", "|---|---|---|"]
    kinds: list[tuple[str, str, Iterable[str]]] = [
        ("source", "`type:` in the feeds file", source_models()),
        ("classifier", "`first_stage:` / `second_stage:` in the classifiers file", classifier_models()),
        ("rule type", "`type:` in the rules file", rule_models()),
        ("notifier", "`type:` in the notifiers file", notifier_models()),
    ]
    for kind, key, names in kinds:
        rows.append(f"| {kind} | {key} | {_names(names)} |")
    return "\n".join(rows)


def errors_tree() -> str:
    """The tree of error classes, as the docstring of ``tocsin/errors.py`` draws it."""
    import tocsin.errors

    doc = inspect.cleandoc(tocsin.errors.__doc__ or "")
    after = doc.split("::\n\n", 1)[1].splitlines()
    block = list(itertools.takewhile(lambda line: not line or line.startswith(" "), after))
    return "\n".join(["```text", textwrap.dedent("\n".join(block)).strip("\n"), "```"])


def _names(names: Iterable[str]) -> str:
    return ", ".join(_code(name) for name in sorted(names))


def _subcommands(parser: argparse.ArgumentParser, path: str) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _subcommands(child, f"{path} {name}")


def cli_reference() -> str:
    """``--help`` of every ``tocsin`` command, as argparse prints it at 100 columns."""
    import os

    from tocsin_launch.cli import build_parser

    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"
    try:
        out: list[str] = []
        for path, parser in _subcommands(build_parser(), "tocsin"):
            parser.prog = path
            buffer = io.StringIO()
            with redirect_stdout(buffer):
                parser.print_help()
            out += [f"### `{path}`", "", "```text", buffer.getvalue().rstrip(), "```", ""]
        return "\n".join(out)
    finally:
        if previous is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = previous


def dashboard_bundle_size() -> str:
    bundle = (ROOT / "api" / "static" / "app.js").read_bytes()
    return (f"{len(bundle) / 1000:.0f} kB ({len(gzip.compress(bundle, 9)) / 1000:.0f} kB gzipped, "
            "as built in this commit)")


GENERATORS: dict[str, Callable[[], str]] = {
    "settings-reference": settings_reference,
    "sources-reference": sources_reference,
    "classifiers-reference": classifiers_reference,
    "places-reference": places_reference,
    "categories-reference": categories_reference,
    "rules-reference": rules_reference,
    "notifiers-reference": notifiers_reference,
    "records-reference": records_reference,
    "plugin-names": plugin_names,
    "errors-tree": errors_tree,
    "source-types": lambda: _names(source_models()),
    "classifier-names": lambda: _names(classifier_models()),
    "rule-types": lambda: _names(rule_models()),
    "notifier-types": lambda: _names(notifier_models()),
    "cli-reference": cli_reference,
    "dashboard-bundle-size": dashboard_bundle_size,
}


def expand(markdown: str, page: str = "") -> str:
    """``markdown`` with every marker replaced by its generated block."""

    def generate(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in GENERATORS:
            raise UnknownMarker(f"{page}: <!-- generate: {name} --> names no generator; "
                                f"known: {', '.join(sorted(GENERATORS))}")
        return GENERATORS[name]()

    return MARKER.sub(generate, markdown)


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    """MkDocs event: runs on each page's Markdown before it is rendered."""
    return expand(markdown, page.file.src_uri)
