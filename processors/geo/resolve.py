"""One place per mention, a confidence for it, and the item's primary place.

Pure functions over :class:`Mention` records and a :class:`Facts` view of the
gazetteer, so they are tested without building one.

Each candidate place of a mention gets a score, the sum of:

* a population prior, ``0.5 · ln(population + 1)``: as if places were named
  in proportion to the square root of their population. (Paris, France is
  then ten times likelier than Paris, Texas, not the hundred times the raw
  populations say: small places are named in news about them.)
* +1.5 for a country: a name that is a country's is hardly ever meant as a
  same-named town ("Lebanon", "Georgia" without American context).
* +2.5 if the text names the candidate's country unambiguously elsewhere (a
  country, a demonym, a city or region no other place shares), +1.0 if it
  only names it ambiguously (the first pass's choice for another mention).
* +2.0 if it is in the feed's default country; +0.5 if the country's first
  official language is the item's language.
* +4.0 if the next mention, after a comma or parenthesis, contains it:
  "Hyderabad, Pakistan", "Springfield, Illinois" — the strongest cue news has.
* +2.0 if it lies in a first-level region the text names.
* proximity, ``2.0 · exp(−d / 250 km)`` where ``d`` is the distance to the
  nearest other place resolved in the text: places in one story cluster.

The scale is set by the prior: one country mention (+2.5) outweighs a
population ratio of about 150; a container ("X, Country": +4.0 +2.5) outweighs
any ratio there is. Mentions are resolved twice: first with only unambiguous
mentions as context, then with every other mention's first choice.

Confidence is the winning candidate's softmax share of the scores (1.0 when
the name is unambiguous) times the mention's reliability (how sure we are the
words are a place name at all: see :mod:`processors.geo.gazetteer`).

The primary place, for grouping alerts: the country with the most
weight × confidence (title mentions weigh double; earliest breaks ties); in
it, the first-level region with the most; in it (or else the country), the
most mentioned city, which gives the location; failing a city, the region's
location if it has one. A country alone gives no location: it is not a point.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Protocol

POPULATION_WEIGHT = 0.5
COUNTRY_BONUS = 1.5
NAMED_COUNTRY = 2.5
GUESSED_COUNTRY = 1.0
FEED_COUNTRY = 2.0
LANGUAGE_COUNTRY = 0.5
CONTAINER = 4.0
NAMED_REGION = 2.0
PROXIMITY = 2.0
PROXIMITY_KM = 250.0

CITY, COUNTRY, DEMONYM, REGION = 0, 1, 2, 3


def kind_of(candidate: int) -> int:
    return candidate & 3


class Facts(Protocol):
    """What resolution needs to know of a candidate (an encoded gazetteer entry)."""

    def country_of(self, candidate: int) -> str: ...

    def admin1_of(self, candidate: int) -> str | None: ...

    def point_of(self, candidate: int) -> tuple[float, float] | None: ...

    def population_of(self, candidate: int) -> int: ...


@dataclass(slots=True)
class Mention:
    """A span of text that names a place, its candidates, and (after :func:`resolve`) the choice."""

    start: int
    end: int
    candidates: tuple[int, ...]
    weight: float = 1.0          # 2.0 in the title
    reliability: float = 1.0     # is it a place name at all?
    source: str = "gazetteer"
    # set by resolve():
    choice: int = -1
    probability: float = 0.0
    confidence: float = 0.0      # probability × reliability, rounded
    country: str = ""
    admin1: str | None = None
    point: tuple[float, float] | None = None


@dataclass(frozen=True, slots=True)
class Context:
    """What the item says about where it is, besides its text."""

    hint: str | None = None
    language_countries: frozenset[str] = frozenset()


@dataclass(slots=True)
class _Evidence:
    named_countries: set[str] = field(default_factory=set)
    guessed_countries: set[str] = field(default_factory=set)
    regions: set[str] = field(default_factory=set)
    points: list[tuple[int, float, float]] = field(default_factory=list)   # (group, lat, lon)


def resolve(mentions: Sequence[Mention], facts: Facts, context: Context, text: str = "") -> None:
    """Set ``choice`` and ``probability`` of every mention (in place).

    Mentions with the same candidates (the same name, or its spellings) get the
    same place: a story that says "Hyderabad" twice means one Hyderabad.
    ``text`` (the original) is read for "X, Y" containers.
    """
    groups: dict[tuple[int, ...], int] = {}
    for mention in mentions:
        groups.setdefault(mention.candidates, len(groups))
    keys = list(groups)
    known = {c: _fact(c, facts) for key in keys for c in key}
    containers = _containers(mentions, text, known)

    evidence = _Evidence()
    for candidates, group in groups.items():
        if len(candidates) == 1:
            fact = known[candidates[0]]
            evidence.named_countries.add(fact[1])
            _add_place(evidence, group, fact)
            continue
        country = known[candidates[0]][1]
        if all(known[c][1] == country for c in candidates[1:]):
            evidence.named_countries.add(country)
    choices = {key: _choose(key, groups[key], evidence, containers.get(key), known, context)
               for key in keys}
    if any(len(key) > 1 for key in keys):
        second = _Evidence(set(evidence.named_countries), set(), set(evidence.regions), [])
        for key, (choice, _p) in choices.items():
            second.guessed_countries.add(known[choice][1])
            _add_place(second, groups[key], known[choice])
        choices = {key: _choose(key, groups[key], second, containers.get(key), known, context)
                   if len(key) > 1 else choices[key] for key in keys}
    for mention in mentions:
        choice, probability = choices[mention.candidates]
        _kind, country, admin1, point, _prior = known[choice]
        mention.choice, mention.probability, mention.country = choice, probability, country
        mention.admin1, mention.point = admin1, point
        mention.confidence = round(min(1.0, max(0.0, probability * mention.reliability)), 3)


# kind, country, admin1, point, prior (population and kind: the score before context)
_Fact = tuple[int, str, str | None, tuple[float, float] | None, float]


def _fact(candidate: int, facts: Facts) -> _Fact:
    """What scoring needs of a candidate, asked of the gazetteer once per item."""
    kind = kind_of(candidate)
    spatial = kind in (CITY, REGION)
    prior = POPULATION_WEIGHT * math.log(facts.population_of(candidate) + 1)
    if kind in (COUNTRY, DEMONYM):
        prior += COUNTRY_BONUS
    return (kind, facts.country_of(candidate), facts.admin1_of(candidate) if spatial else None,
            facts.point_of(candidate) if spatial else None, prior)


def _add_place(evidence: _Evidence, group: int, fact: _Fact) -> None:
    kind, _country, admin1, point, _prior = fact
    if point is not None and (group, point[0], point[1]) not in evidence.points:
        evidence.points.append((group, point[0], point[1]))
    if kind == REGION and admin1 is not None:
        evidence.regions.add(admin1)


def _containers(mentions: Sequence[Mention], text: str, known: dict[int, _Fact]
                ) -> dict[tuple[int, ...], set[str]]:
    """Candidates → countries and regions named right after them ("Hyderabad, Pakistan")."""
    out: dict[tuple[int, ...], set[str]] = {}
    for mention, following in pairwise(mentions):
        between = text[mention.end:following.start]
        if len(between) > 3 or between.strip() not in (",", "(", ", (", "،"):
            continue
        inside = out.setdefault(mention.candidates, set())
        for candidate in following.candidates:
            kind, country, admin1, _point, _prior = known[candidate]
            inside.add(country)
            if kind == REGION and admin1 is not None:
                inside.add(admin1)
    return out


def _choose(candidates: tuple[int, ...], group: int, evidence: _Evidence, container: set[str] | None,
            known: dict[int, _Fact], context: Context) -> tuple[int, float]:
    if len(candidates) == 1:
        return candidates[0], 1.0
    points = [(lat, lon) for other, lat, lon in evidence.points if other != group]
    scores = [_score(known[c], evidence, points, container, context) for c in candidates]
    best = max(range(len(candidates)), key=lambda i: (scores[i], -i))
    top = scores[best]
    total = sum(math.exp(score - top) for score in scores)
    return candidates[best], 1.0 / total


def _score(fact: _Fact, evidence: _Evidence, points: list[tuple[float, float]],
           container: set[str] | None, context: Context) -> float:
    kind, country, admin1, point, score = fact
    if country in evidence.named_countries:
        score += NAMED_COUNTRY
    elif country in evidence.guessed_countries:
        score += GUESSED_COUNTRY
    if country == context.hint:
        score += FEED_COUNTRY
    if country in context.language_countries:
        score += LANGUAGE_COUNTRY
    if container and (country in container or (admin1 is not None and admin1 in container)):
        score += CONTAINER
    if admin1 is not None and kind == CITY and admin1 in evidence.regions:
        score += NAMED_REGION
    if points and point is not None:
        # equirectangular distance: within 1 % of the great circle where proximity still counts
        lat, lon = point
        shrink = math.cos(math.radians(lat))
        nearest = min(math.hypot(((other_lon - lon + 180.0) % 360.0 - 180.0) * shrink, other_lat - lat)
                      for other_lat, other_lon in points) * _KM_PER_DEGREE
        score += PROXIMITY * math.exp(-nearest / PROXIMITY_KM)
    return score


_KM_PER_DEGREE = math.pi * 6371.0088 / 180


@dataclass(frozen=True, slots=True)
class Primary:
    """The place an item is mainly about: country, region, city (a candidate) and the point."""

    country: str | None = None
    admin1: str | None = None
    city: int = -1
    point: tuple[float, float] | None = None


def primary(mentions: Sequence[Mention], facts: Facts) -> Primary:
    """See the module docstring; ``mentions`` must be resolved."""
    votes: dict[str, float] = {}
    first: dict[str, int] = {}
    for mention in mentions:
        country = mention.country
        votes[country] = votes.get(country, 0.0) + mention.weight * max(mention.confidence, 0.01)
        first.setdefault(country, mention.start)
    if not votes:
        return Primary()
    country = max(votes, key=lambda c: (votes[c], -first[c]))
    inside = [m for m in mentions if m.country == country]
    region_votes: dict[str, float] = {}
    city_votes: dict[int, float] = {}
    cities: dict[int, Mention] = {}
    for mention in inside:
        if mention.admin1 is not None:
            region_votes[mention.admin1] = (region_votes.get(mention.admin1, 0.0)
                                            + mention.weight * mention.confidence)
        if kind_of(mention.choice) == CITY:
            city_votes[mention.choice] = (city_votes.get(mention.choice, 0.0)
                                          + mention.weight * max(mention.confidence, 0.01))
            cities.setdefault(mention.choice, mention)
    admin1 = max(region_votes, key=lambda r: region_votes[r]) if region_votes else None
    if city_votes:
        in_region = [c for c in city_votes if admin1 is not None and cities[c].admin1 == admin1]
        city = max(in_region or list(city_votes), key=lambda c: (city_votes[c], facts.population_of(c)))
        if not in_region:
            admin1 = cities[city].admin1
        return Primary(country, admin1, city, cities[city].point)
    regions = [m for m in inside if kind_of(m.choice) == REGION and m.point is not None]
    regions.sort(key=lambda m: (admin1 is None or m.admin1 != admin1, -m.weight, m.start))
    return Primary(country, admin1, -1, regions[0].point if regions else None)
