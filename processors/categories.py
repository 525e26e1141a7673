"""Analyst-defined keyword categories ("alert definitions" in the EMM sense).

The format is documented at the top of ``config/categories.yaml``. In short,
per category: weighted terms per language, a ``min_score`` (the sum of matched
weights needed), optional ``all_of`` groups that must each match and
``none_of`` groups that veto (fiction, film, games...).

Matching rules, and why:

* Case-insensitive, on whole words in any script that separates words (see
  :mod:`processors.folding`); ``kill*`` matches any word starting with
  ``kill``. ``*`` is only allowed at the end of a term.
* A term counts once per item however often it occurs: repetition is style,
  not evidence. A negative weight is counter-evidence ("outbreak" against
  violence); only positive terms are listed in a hit.
* Languages: a term counts when it is listed under the item's detected language
  or under ``any`` (alias ``*``); when the language is undetermined ('und'),
  every language's terms count. Matching all languages always would let
  innocent words of one language fire terms of another (Spanish "mata" is
  not Swahili), while the ``any`` list covers what really crosses languages
  (names of armed groups, slurs borrowed into many languages).
* Arabic clitics (option ``arabic_clitics``, on by default): an Arabic term also
  matches with the proclitics و / ف (and), ب / ك / ل (in, like, for) and the
  article ال in front, e.g. ``مجزرة`` matches ``والمجزرة`` and ``بمجزرة``. Terms
  written with ال match only with the article. Suffixes need a ``*``.
* Ethiopic prefixes (option ``ethiopic_prefixes``, on by default): an
  Amharic/Tigrinya term also matches after የ / በ / ከ / ለ / ወደ / እንደ / ስለ
  ('of', 'in', 'from', 'for', 'to', 'as', 'about'), which are written joined.

Score: ``1 - 0.5 ** (weight_sum / min_score)``, so exactly 0.5 at the
threshold, 0.75 at twice it, and approaching 1 as evidence piles up; a category
is reported only when ``weight_sum >= min_score`` and its gates pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from processors.folding import (
    Folded,
    arabic_clitic_variants,
    ethiopic_prefix_variants,
    fold,
    fold_term,
    strip_latin_accents,
)
from processors.multiscript import ScriptAutomata
from tocsin.config_files import read_yaml
from tocsin.errors import ConfigError
from tocsin.schema import CategoryHit

ANY_LANGUAGE = "any"
KEYWORDS_CLASSIFIER = "keywords/1"
_LANG_KEY = re.compile(r"^[a-z]{2,3}$")


class CategoryConfigError(ConfigError, ValueError):
    """A category file is wrong; the message names the file, category and key."""

    def __init__(self, path: Path | str, where: str, problem: str) -> None:
        self.path = str(path)
        self.where = where
        self.problem = problem
        super().__init__(f"{path}: {where}: {problem}" if where else f"{path}: {problem}")


TermList = dict[str, float]
GateGroup = dict[str, list[str]]


class CategoryDefinition(BaseModel):
    """One category as written in YAML (after language-key aliases are resolved)."""

    model_config = ConfigDict(extra="forbid")

    description: str = ""
    min_score: float = Field(gt=0)
    terms: dict[str, TermList]
    all_of: list[GateGroup] = Field(default_factory=list)
    none_of: list[GateGroup] = Field(default_factory=list)
    # Flags raised on a hit when any of their terms matched, e.g. 'dehumanising'.
    flags: dict[str, GateGroup] = Field(default_factory=dict)

    @field_validator("terms", mode="before")
    @classmethod
    def _terms_shape(cls, value: Any) -> Any:
        if not isinstance(value, Mapping) or not value:
            raise ValueError("needs at least one language with terms")
        return value

    @field_validator("terms")
    @classmethod
    def _weights_positive(cls, value: dict[str, TermList]) -> dict[str, TermList]:
        for lang, terms in value.items():
            for term, weight in terms.items():
                if weight == 0:
                    raise ValueError(f"{lang}.{term}: weight must not be 0 (negative = counter-evidence)")
        return value


class MatchOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    arabic_clitics: bool = True
    ethiopic_prefixes: bool = True


class CategoryFile(BaseModel):
    """The whole file: options, categories and per-classifier plug-in settings."""

    model_config = ConfigDict(extra="forbid")

    version: int = 1
    options: MatchOptions = Field(default_factory=MatchOptions)
    categories: dict[str, CategoryDefinition]
    # Settings for classifier plug-ins, by registry name; each plug-in validates its own.
    classifiers: dict[str, dict[str, Any]] = Field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Pattern:
    category: int
    lang: str
    label: str          # the term as the analyst wrote it
    weight: float
    role: int           # 0: scoring term; g > 0: all_of group g-1; g < 0: none_of group -g-1
    flag: str = ""      # set: a flag term (role unused)


class KeywordCategories:
    """Compiled categories: Aho-Corasick automata (one per script) over every term of every language.

    Build with :func:`load_categories` or :meth:`compile`; :meth:`match` is pure
    and thread-safe (pyahocorasick iteration does not mutate the automaton).
    """

    def __init__(self, spec: CategoryFile, source: Path | str = "<memory>") -> None:
        self.spec = spec
        self.source = Path(source)
        self.names: tuple[str, ...] = tuple(spec.categories)
        self._definitions = tuple(spec.categories.values())
        self._patterns: list[_Pattern] = []
        keys: dict[str, list[int]] = {}
        for index, (name, definition) in enumerate(spec.categories.items()):
            for lang, terms in definition.terms.items():
                for term, weight in terms.items():
                    self._add(keys, name, _Pattern(index, lang, term, weight, 0), f"terms.{lang}.{term}")
            for group_no, group in enumerate(definition.all_of):
                for lang, gate_terms in group.items():
                    for term in gate_terms:
                        self._add(keys, name, _Pattern(index, lang, term, 0.0, group_no + 1),
                                  f"all_of[{group_no}].{lang}.{term}")
            for group_no, group in enumerate(definition.none_of):
                for lang, gate_terms in group.items():
                    for term in gate_terms:
                        self._add(keys, name, _Pattern(index, lang, term, 0.0, -group_no - 1),
                                  f"none_of[{group_no}].{lang}.{term}")
            for flag, group in definition.flags.items():
                for lang, flag_terms in group.items():
                    for term in flag_terms:
                        self._add(keys, name, _Pattern(index, lang, term, 0.0, 0, flag),
                                  f"flags.{flag}.{lang}.{term}")
        self._automaton = ScriptAutomata((key, tuple(ids)) for key, ids in keys.items())
        self._empty = not keys

    @classmethod
    def compile(cls, data: Mapping[str, Any], source: Path | str = "<memory>") -> KeywordCategories:
        """Validate a parsed YAML document and compile it."""
        return cls(_validate(data, source), source)

    def _add(self, keys: dict[str, list[int]], category: str, pattern: _Pattern, where: str) -> None:
        term = pattern.label
        wildcard = term.endswith("*")
        body = term[:-1] if wildcard else term
        if "*" in body:
            raise CategoryConfigError(self.source, f"category '{category}', key '{where}'",
                                      "'*' is only allowed at the end of a term")
        folded = fold_term(body).strip()
        if not folded or (wildcard and len(folded) < 3):
            raise CategoryConfigError(self.source, f"category '{category}', key '{where}'",
                                      "term has no letters to match" if not folded
                                      else "a wildcard needs at least 3 letters before '*'")
        pattern_id = len(self._patterns)
        self._patterns.append(pattern)
        for variant in self._variants(folded):
            key = f" {variant}" if wildcard else f" {variant} "
            ids = keys.setdefault(key, [])
            if pattern_id not in ids:
                ids.append(pattern_id)

    def _variants(self, folded: str) -> Iterable[str]:
        yield folded
        if not folded.isascii():
            unaccented = strip_latin_accents(folded)
            if unaccented != folded:
                yield unaccented
        options = self.spec.options
        if options.arabic_clitics:
            yield from arabic_clitic_variants(folded)
        if options.ethiopic_prefixes:
            yield from ethiopic_prefix_variants(folded)

    def match(self, text: Folded | str, lang: str) -> dict[str, CategoryHit]:
        """Categories whose threshold and gates pass, with the terms that matched."""
        if self._empty:
            return {}
        folded = text if isinstance(text, Folded) else fold(text)
        every_language = lang == "und"
        seen: set[int] = set()
        for _end, pattern_ids in self._automaton.iter(folded.padded):
            seen.update(pattern_ids)
        if not seen:
            return {}
        weights: dict[int, float] = {}
        terms: dict[int, list[str]] = {}
        passed_groups: dict[int, set[int]] = {}
        vetoed: set[int] = set()
        labels_seen: set[tuple[int, int, str]] = set()
        flags: dict[int, set[str]] = {}
        for pattern_id in sorted(seen):
            pattern = self._patterns[pattern_id]
            if not (every_language or pattern.lang == lang or pattern.lang == ANY_LANGUAGE):
                continue
            if pattern.flag:
                flags.setdefault(pattern.category, set()).add(pattern.flag)
            elif pattern.role == 0:
                marker = (pattern.category, 0, pattern.label)
                if marker in labels_seen:  # same term under two languages: count once
                    continue
                labels_seen.add(marker)
                weights[pattern.category] = weights.get(pattern.category, 0.0) + pattern.weight
                if pattern.weight > 0:
                    terms.setdefault(pattern.category, []).append(pattern.label)
            elif pattern.role > 0:
                passed_groups.setdefault(pattern.category, set()).add(pattern.role - 1)
            else:
                vetoed.add(pattern.category)
        hits: dict[str, CategoryHit] = {}
        for category, weight_sum in weights.items():
            definition = self._definitions[category]
            if weight_sum < definition.min_score or category in vetoed:
                continue
            if len(passed_groups.get(category, ())) < len(definition.all_of):
                continue
            hits[self.names[category]] = CategoryHit(
                score=score(weight_sum, definition.min_score),
                terms=terms.get(category, []),
                classifier=KEYWORDS_CLASSIFIER,
                flags=sorted(flags.get(category, ())),
            )
        return hits


def score(weight_sum: float, min_score: float) -> float:
    """``1 - 0.5 ** (weight_sum / min_score)``: 0.5 at the threshold, → 1 with more evidence."""
    if weight_sum <= 0:
        return 0.0
    return round(1.0 - 0.5 ** (weight_sum / min_score), 4)


def _resolve_language_keys(data: Mapping[str, Any], path: Path | str) -> dict[str, Any]:
    """Accept '*' for 'any' and check language keys, naming the culprit."""
    categories = data.get("categories")
    if not isinstance(categories, Mapping) or not categories:
        raise CategoryConfigError(path, "key 'categories'", "must be a non-empty mapping of category names")
    resolved: dict[str, Any] = dict(data)
    resolved["categories"] = {}
    for name, definition in categories.items():
        if not isinstance(definition, Mapping):
            raise CategoryConfigError(path, f"category '{name}'", "must be a mapping")
        definition = dict(definition)
        if isinstance(definition.get("terms"), Mapping):
            terms = _language_map(definition["terms"], path, name, "terms")
            # a plain list of terms means weight 1 each
            definition["terms"] = {lang: dict.fromkeys(value, 1.0) if isinstance(value, list) else value
                                   for lang, value in terms.items()}
        for key in ("all_of", "none_of"):
            groups = definition.get(key)
            if isinstance(groups, list):
                definition[key] = [
                    _language_map(group, path, name, f"{key}[{i}]") if isinstance(group, Mapping) else group
                    for i, group in enumerate(groups)
                ]
        if isinstance(definition.get("flags"), Mapping):
            definition["flags"] = {
                flag: (_language_map(group, path, name, f"flags.{flag}") if isinstance(group, Mapping)
                       else group)
                for flag, group in definition["flags"].items()
            }
        resolved["categories"][str(name)] = definition
    return resolved


def _language_map(value: Mapping[Any, Any], path: Path | str, category: str, where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for lang, terms in value.items():
        key = ANY_LANGUAGE if lang == "*" else str(lang)
        if key != ANY_LANGUAGE and not _LANG_KEY.match(key):
            raise CategoryConfigError(path, f"category '{category}', key '{where}.{lang}'",
                                      "language keys are ISO 639-1 codes (en, fr, ar...) or 'any' / '*'")
        if key in out:
            raise CategoryConfigError(path, f"category '{category}', key '{where}.{lang}'",
                                      "language listed twice ('*' and 'any' are the same)")
        if terms is None:
            raise CategoryConfigError(path, f"category '{category}', key '{where}.{lang}'", "has no terms")
        out[key] = terms
    return out


def _validate(data: Any, path: Path | str) -> CategoryFile:
    if not isinstance(data, Mapping):
        raise CategoryConfigError(path, "", "must be a YAML mapping with a 'categories' key")
    resolved = _resolve_language_keys(data, path)
    try:
        return CategoryFile.model_validate(resolved)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = [str(part) for part in error["loc"]]
        if len(loc) >= 2 and loc[0] == "categories":
            where = f"category '{loc[1]}', key '{'.'.join(loc[2:]) or loc[1]}'"
        else:
            where = f"key '{'.'.join(loc)}'"
        raise CategoryConfigError(path, where, error["msg"]) from exc


def load_categories(path: Path | str) -> KeywordCategories:
    """Read, validate and compile a category file; errors name file, category and key."""
    path = Path(path)
    prefix = f"{path}: "
    data = read_yaml(path, lambda message: CategoryConfigError(path, "", message.removeprefix(prefix)),
                     none="categories: {}")
    return KeywordCategories.compile(data, path)
