"""Which names of a place go into the gazetteer's matcher (see :mod:`processors.geo.build`).

Cities' own and alternate names filtered by script and size, pycountry's country
names and their translations, the words that say a name is a region's.
"""

from __future__ import annotations

import gettext
import unicodedata
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from processors.folding import fold_term, strip_latin_accents
from processors.geo.admin1 import Subdivision
from processors.geo.placenames import GENERIC_REGION_NAMES, OBLAST_COUNTRIES, REGION_TYPE_WORDS, STOP_NAMES
from processors.geo.scripts import burmese_base

# pycountry catalogues whose country names go into the gazetteer. Not 'am': its
# catalogue is garbled; 'ti' (same script, mostly the same names) stands in.
COUNTRY_NAME_LANGUAGES = ("ar", "fr", "es", "pt", "sw", "ha", "so", "ti", "uk", "ru", "fa", "ps", "ur",
                          "de", "it", "tr", "id", "nl", "hi", "bn", "ne", "my", "el", "ka", "hy",
                          "zh_CN", "zh_TW", "ja", "ko", "th", "he")
# Languages of continents' names (GeoNames tags them).
CONTINENT_NAME_LANGUAGES = frozenset({"en", "fr", "es", "pt", "ar", "ru", "uk", "de", "it", "sw", "zh", "ja",
                                      "ko", "th", "he", "am", "fa", "tr", "id", "hi"})
_FOLDED_SCRIPTS = ("LATIN", "ARABIC", "ETHIOPIC", "CYRILLIC", "GREEK", "ARMENIAN", "GEORGIAN")
# Scripts with capitals: a name in them must be capitalised in the text.
CASED_SCRIPTS = frozenset({"LATIN", "CYRILLIC", "GREEK", "ARMENIAN"})
_MARKED_SCRIPTS = ("DEVANAGARI", "BENGALI", "GURMUKHI", "GUJARATI", "ORIYA", "TAMIL", "TELUGU", "KANNADA",
                   "MALAYALAM", "SINHALA", "MYANMAR")
# Scripts written without spaces, or with joined prefixes: matched as written (processors.geo.scripts).
_UNSPACED_SCRIPTS = ("CJK", "HIRAGANA", "KATAKANA", "HANGUL", "THAI", "HEBREW")
# Towns this large keep their names in every script we match; smaller ones their own name only
# (and Arabic, Ethiopic and Burmese ones, the scripts of the countries most monitored).
EVERY_SCRIPT_FROM = 15_000
# Scripts of which only cities of all_alternates_from people or more keep their names.
_LARGE_CITIES_ONLY = ("CYRILLIC", "GREEK", "ARMENIAN", "GEORGIAN", *_MARKED_SCRIPTS[:-1])
_TYPE_WORD_AT_END = ("county", "district", "province", "municipality", "department", "regency", "parish",
                     "prefecture", "governorate", "region", "area", "division", "city", "raion", "rayon",
                     "state", "territory", "zone", "subcounty", "sub county", "borough", "shire")
ARABIC_SHORT_NAME_POPULATION = 300_000
ARTICLE = "ال"
"""The Arabic article: geonames writes names without it (خرطوم), news with it (الخرطوم)."""


def script_name(name: str) -> str | None:
    """The Unicode script of a name's first letter ('LATIN', 'ARABIC'...); None without letters."""
    if name.isascii():      # an ASCII letter is a cased character, and only letters are
        return "LATIN" if name.lower() != name.upper() else None
    for ch in name:
        if ch.isalpha():
            script = _LETTER_SCRIPTS.get(ch)
            if script is None:      # a build asks 1.5 million times, of a few thousand letters
                script = _LETTER_SCRIPTS[ch] = unicodedata.name(ch, "").split(" ", 1)[0]
            return script
    return None


_LETTER_SCRIPTS: dict[str, str] = {}



def language_countries_of(countries: Mapping[str, Mapping[str, Any]]) -> dict[str, frozenset[str]]:
    """Language (ISO 639-1) → countries where it is the first official language (geonames' list)."""
    out: dict[str, set[str]] = {}
    for code, country in countries.items():
        first = str(country.get("languages") or "").split(",")[0].split("-")[0].strip()
        if first:
            out.setdefault(first, set()).add(code)
    return {lang: frozenset(codes) for lang, codes in out.items()}


def region_words(sub: Subdivision) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Words written after and before a region's name to say it is one: its ISO type's, and 'region'."""
    after: list[str] = []
    before: list[str] = []
    for word in sub.kind.split():
        if word in REGION_TYPE_WORDS:
            after.extend(REGION_TYPE_WORDS[word][0])
            before.extend(REGION_TYPE_WORDS[word][1])
            break
    after.append("region")
    if sub.country in OBLAST_COUNTRIES:
        after.append("oblast")
    return tuple(dict.fromkeys(after)), tuple(dict.fromkeys(before))


def city_names(city: Mapping[str, Any], all_alternates_from: int) -> Iterable[str]:
    main = str(city["name"])
    yield main
    unaccented = strip_latin_accents(main)
    if unaccented != main:
        yield unaccented
    population = int(city.get("population") or 0)
    small = population < all_alternates_from
    for alternate in city.get("alternatenames") or []:
        if not isinstance(alternate, str) or not alternate:
            continue
        script = script_name(alternate)
        if script in _UNSPACED_SCRIPTS:
            if population >= EVERY_SCRIPT_FROM and len(alternate) >= 2:
                yield alternate
            continue
        if script not in _FOLDED_SCRIPTS and script not in _MARKED_SCRIPTS:
            continue
        if population < EVERY_SCRIPT_FROM and script not in ("LATIN", "ARABIC", "ETHIOPIC", "MYANMAR"):
            continue
        if script == "ARABIC" and population < EVERY_SCRIPT_FROM:
            continue
        if script == "LATIN":
            if small or not alternate[0].isupper():
                continue
            words = fold_term(alternate).split()
            if sum(map(len, words)) <= 3 or min(map(len, words)) < 2:   # "Lil'", "The D"
                continue
            if alternate.isupper() and len(alternate) <= 4:      # codes: LIL, YEA, GOP
                continue
        elif script in _LARGE_CITIES_ONLY and small:
            continue
        elif script == "ARABIC":
            bare = fold_term(alternate).strip()
            bare = bare[len(ARTICLE):] if bare.startswith(ARTICLE) else bare
            if len(bare.replace(" ", "")) <= 3 and population < ARABIC_SHORT_NAME_POPULATION:
                continue
        elif script == "MYANMAR":
            alternate = burmese_base(alternate)
        yield alternate


@cache
def _catalogue(lang: str) -> gettext.NullTranslations:
    import pycountry

    try:
        return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
    except OSError:
        return gettext.NullTranslations()


def pycountry_names(code: str, geonames_name: str) -> Iterable[str]:
    """English names (pycountry and geonames) and their translations, with 'X, Y' turned round."""
    import pycountry

    yield geonames_name
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return
    english = [getattr(country, attr, None) for attr in ("name", "common_name", "official_name")]
    for msgid in (name for name in english if isinstance(name, str)):
        yield from _uninverted(msgid)
        for lang in COUNTRY_NAME_LANGUAGES:
            translated = _catalogue(lang).gettext(msgid)
            if translated != msgid:
                if lang == "my":
                    translated = burmese_base(translated)
                yield from _uninverted(translated)


def _uninverted(name: str) -> Iterable[str]:
    """'Congo, The Democratic Republic of the' → 'The Democratic Republic of the Congo'."""
    for comma in (", ", "، "):
        if comma in name:
            head, _, tail = name.partition(comma)
            if script_name(name) == "LATIN":
                yield f"{tail} {head}"
            elif len(tail.split()) > 1:
                yield tail
            return
    yield name


def unit_names(name: str) -> list[str]:
    """Names of an admin unit from GeoNames' spelling: the name and its unaccented form.

    Generic or common-word names ("Central", "Lakes") are left out; a name
    that ends with its type word ("Scott County") is matched only whole —
    bare, "Scott" is far more often a person.
    """
    folded = fold_term(name).strip()
    if (len(folded.replace(" ", "")) < 3 or folded in GENERIC_REGION_NAMES or folded in STOP_NAMES
            or not name[:1].isupper()):
        return []
    unaccented = strip_latin_accents(name)
    return list(dict.fromkeys((name, unaccented)))


def continent_names(continent: Mapping[str, Any]) -> list[str]:
    """A continent's name and GeoNames' names of it in the languages we match."""
    out = [str(continent.get("name") or "")]
    for alternate in continent.get("alternateNames") or ():
        if isinstance(alternate, Mapping) and alternate.get("lang") in CONTINENT_NAME_LANGUAGES:
            out.append(str(alternate.get("name") or ""))
    return [name for name in dict.fromkeys(out) if len(name) >= 2]
