"""One place per mention, a confidence for it, and the item's primary place.

Pure functions over :class:`Mention` records and a :class:`Facts` view of the
gazetteer, so they are tested without building one.

Each candidate place of a mention gets a score, the sum of:

* a population prior, ``0.5 · ln(population + 1)``: as if places were named
  in proportion to the square root of their population. (Paris, France is
  then ten times likelier than Paris, Texas, not the hundred times the raw
  populations say: small places are named in news about them.) An area's
  population is its towns' (of 1,000 people or more).
* feature class: +1.5 for a country — a name that is a country's is hardly
  ever meant as a same-named town ("Lebanon", "Georgia" without American
  context); +1.0 for a first- or second-level unit over a town of the same
  name elsewhere (a district beats a hamlet); continents only by population.
* +2.5 if the text names the candidate's country unambiguously elsewhere (a
  country, a demonym, a city or region no other place shares), +1.0 if it
  only names it ambiguously (the first pass's choice for another mention).
* +2.0 if it is in the feed's default country; +0.5 if the country's first
  official language is the item's language.
* +4.0 if the next mention, after a comma or parenthesis, contains it:
  "Hyderabad, Pakistan", "Springfield, Illinois" — the strongest cue news has.
* +2.0 if it lies in a first- or second-level unit the text names.
* proximity, ``2.0 · exp(−d / 250 km)`` where ``d`` is the distance to the
  nearest other place resolved in the text: places in one story cluster.

The scale is set by the prior: one country mention (+2.5) outweighs a
population ratio of about 150; a container ("X, Country": +4.0 +2.5) outweighs
any ratio there is. Mentions are resolved twice: first with only unambiguous
mentions as context, then with every other mention's first choice.

**Minor places need support.** A town of fewer than :data:`SMALL_TOWN` people,
or a second-level unit, is a candidate only where the item gives a reason to
think of it: its country is named (or is the feed's, or the item's focus —
the country most of its mentions can be in, :func:`focus_country`), a unit it
lies in is named, or a container follows it; and only where its capitals
prove something — not when every mention of the name starts a sentence, sits
in a Title Case headline, stands beside another capitalised word ("Thomas
Frieden", "Nelson Mandela"), is written in a script without capitals (Arabic,
Ethiopic, Han, Thai...: "ላይ" is Amharic for "on" and a name of Lae) or the
text also writes it in lower case. Without
that, a capitalised word that is also the name of a village somewhere is far
more often a word or a person than a place. Where capitals prove nothing, a
town under :data:`DOUBTFUL_TOWN` needs its country named too ("said Nelson
Mandela" is not Mandela, Ghana). A mention left with no candidate is dropped.

Confidence is the winning candidate's softmax share of the scores (1.0 when
the name is unambiguous) times the mention's reliability (how sure we are the
words are a place name at all: see :mod:`processors.geo.gazetteer`).

The primary place, for grouping alerts: the country with the most
weight × confidence (title mentions weigh double, demonyms half; a
metonymic mention — "Washington said", "the Sudanese government" — only when
the item names no other place; a continent never; earliest breaks ties); in it, the first-level region with
the most; in it (or else the country), the most mentioned town, which gives
the location; failing a town, the second-level unit's point, then the
region's. A country alone gives no location: it is an area, not a point.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Final, Protocol

POPULATION_WEIGHT: Final = 0.5
COUNTRY_BONUS: Final = 1.5
ADMIN_BONUS: Final = 1.0
SMALL_TOWN: Final = 15_000
DOUBTFUL_TOWN: Final = 100_000
DEMONYM_VOTE: Final = 0.5
NAMED_COUNTRY: Final = 2.5
GUESSED_COUNTRY: Final = 1.0
FEED_COUNTRY: Final = 2.0
LANGUAGE_COUNTRY: Final = 0.5
CONTAINER: Final = 4.0
NAMED_REGION: Final = 2.0
PROXIMITY: Final = 2.0
PROXIMITY_KM: Final = 250.0

# (Final: compiled, they are constants in the code, not looked up — processors/geo/native.py)
CITY: Final = 0
COUNTRY: Final = 1
DEMONYM: Final = 2
REGION: Final = 3
# Feature classes (what a candidate is, whatever table it is in).
COUNTRY_CLASS: Final = 0
ADMIN1_CLASS: Final = 1
ADMIN2_CLASS: Final = 2
TOWN_CLASS: Final = 3
NAMED_CLASS: Final = 4
CONTINENT_CLASS: Final = 5


def kind_of(candidate: int) -> int:
    return candidate & 3


class Facts(Protocol):
    """What resolution needs to know of a candidate (an encoded gazetteer entry)."""

    def country_of(self, candidate: int) -> str: ...

    def admin1_of(self, candidate: int) -> str | None: ...

    def point_of(self, candidate: int) -> tuple[float, float] | None: ...

    def population_of(self, candidate: int) -> int: ...

    def admin2_of(self, candidate: int) -> str | None: ...

    def feature_of(self, candidate: int) -> int: ...

    def fact(self, candidate: int) -> Fact:
        """:func:`candidate_fact` of the candidate (a gazetteer caches it)."""

    def group(self, candidates: tuple[int, ...]) -> Group:
        """:func:`candidate_group` of a name's candidates (a gazetteer caches it)."""


@dataclass(slots=True)
class Mention:
    """A span of text that names a place, its candidates, and (after :func:`resolve`) the choice."""

    start: int
    end: int
    candidates: tuple[int, ...]
    weight: float = 1.0          # 2.0 in the title
    reliability: float = 1.0     # is it a place name at all?
    source: str = "gazetteer"
    metonymy: bool = False       # names who acted ("Washington said"), not where
    doubtful: bool = False       # its capitals prove nothing (sentence start, beside a capital...)
    # set by resolve():
    choice: int = -1
    probability: float = 0.0
    confidence: float = 0.0      # probability × reliability, rounded
    country: str = ""
    admin1: str | None = None
    admin2: str | None = None
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
    focus: str | None = None
    points: list[tuple[int, float, float]] = field(default_factory=list)   # (group, lat, lon)


@dataclass(frozen=True, slots=True)
class Fact:
    """What scoring needs of a candidate (:func:`candidate_fact`), worked out once per candidate.

    A class, not a tuple: compiled (:mod:`processors.geo.native`), reading a
    field is a load, where a tuple would be unpacked and boxed again at each use.
    """

    kind: int
    country: str
    admin1: str | None
    admin2: str | None
    point: tuple[float, float] | None
    prior: float            # population and class: the score before context
    feature: int            # feature class
    population: int
    minor: bool             # needs support
    weak: bool              # needs support where capitals prove nothing
    shrink: float           # cos(latitude), the proximity term's shrink of longitudes; 0.0 without a point


@dataclass(frozen=True, slots=True)
class Group:
    """What resolution needs of one name's candidates, worked out once per name (:func:`candidate_group`).

    Immutable: a gazetteer shares it between every item that names the place,
    so nothing an item does may be stored in it.
    """

    pairs: tuple[tuple[int, Fact], ...]     # (candidate, its fact), in candidate order
    all_minor: bool                         # every candidate a minor place
    any_minor: bool
    any_weak: bool
    country: str                            # the country every candidate is in; "" if they differ
    voters: tuple[str, ...]                 # the countries a mention of it votes for (focus_country)
    area_countries: tuple[str, ...]         # countries of its countries, regions and named regions
    area_units: tuple[str, ...]             # their first- and second-level units


def resolve(mentions: Sequence[Mention], facts: Facts, context: Context, text: str = "") -> list[Mention]:
    """Set ``choice`` and ``probability`` of every mention (in place); returns those that keep a place.

    Mentions with the same candidates (the same name, or its spellings) get the
    same place: a story that says "Hyderabad" twice means one Hyderabad.
    ``text`` (the original) is read for "X, Y" containers. A mention whose
    candidates are all unsupported small towns is left out of the result.
    """
    groups: dict[tuple[int, ...], Group] = {}
    order: dict[tuple[int, ...], int] = {}
    sure: set[tuple[int, ...]] = set()
    for mention in mentions:
        key = mention.candidates
        if key not in order:
            order[key] = len(order)
            groups[key] = facts.group(key)
        if not mention.doubtful:
            sure.add(key)
    doubtful = {key for key in order if key not in sure}
    containers = _containers(mentions, text, groups)

    evidence = _Evidence(set(), set(), set(), None, [])
    named = evidence.named_countries
    supported: dict[tuple[int, ...], tuple[tuple[int, Fact], ...]] = {}
    pending: list[tuple[int, ...]] = []     # names with candidates that need support
    for key, group in groups.items():
        supported[key] = group.pairs
        unsure = key in doubtful
        if group.any_weak if unsure else group.any_minor:
            pending.append(key)
        # a doubtful name, or one of minor places only, names no country on its own word
        if group.all_minor or unsure:
            continue
        if group.country:
            named.add(group.country)
        if len(key) == 1:
            _add_place(evidence, order[key], group.pairs[0][1])
    if pending:     # (the focus only decides which minor places are supported)
        evidence.focus = focus_country(mentions, groups)
        _support(supported, pending, groups, evidence, containers, context, doubtful)
    choices: dict[tuple[int, ...], tuple[int, float, Fact]] = {}
    ambiguous = False
    for key, remaining in supported.items():
        if remaining:
            # (the first pass's choices of ambiguous names are chosen again: their shares are never read)
            choices[key] = _choose(remaining, order[key], evidence, containers.get(key), context, share=False)
            ambiguous = ambiguous or len(remaining) > 1
    if ambiguous:
        second = _Evidence(set(named), set(), set(evidence.regions), evidence.focus, [])
        for key, (_choice, _p, fact) in choices.items():
            if fact.country:
                second.guessed_countries.add(fact.country)
            _add_place(second, order[key], fact)
        choices = {key: _choose(supported[key], order[key], second, containers.get(key), context)
                   if len(supported[key]) > 1 else choice for key, choice in choices.items()}
    kept: list[Mention] = []
    for mention in mentions:
        chosen = choices.get(mention.candidates)
        if chosen is None:
            mention.choice = -1
            continue
        choice, probability, fact = chosen
        mention.choice, mention.probability, mention.country = choice, probability, fact.country
        mention.admin1, mention.admin2, mention.point = fact.admin1, fact.admin2, fact.point
        mention.confidence = round(min(1.0, max(0.0, probability * mention.reliability)), 3)
        kept.append(mention)
    return kept


def candidate_fact(candidate: int, facts: Facts) -> Fact:
    """What scoring needs of a candidate, asked of the gazetteer once per item."""
    kind = kind_of(candidate)
    spatial = kind in (CITY, REGION)
    feature = facts.feature_of(candidate)
    population = facts.population_of(candidate)
    prior = POPULATION_WEIGHT * math.log(population + 1)
    if kind in (COUNTRY, DEMONYM):
        prior += COUNTRY_BONUS
    elif feature in (ADMIN1_CLASS, ADMIN2_CLASS):
        prior += ADMIN_BONUS
    # minor: a small town or a second-level unit; weak: a town that needs support where
    # capitals prove nothing (see the module docstring)
    minor = (feature == TOWN_CLASS and population < SMALL_TOWN) or feature == ADMIN2_CLASS
    weak = minor or (feature == TOWN_CLASS and population < DOUBTFUL_TOWN)
    point = facts.point_of(candidate) if spatial else None
    shrink = math.cos(math.radians(point[0])) if point is not None else 0.0
    return Fact(kind, facts.country_of(candidate), facts.admin1_of(candidate) if spatial else None,
                facts.admin2_of(candidate) if spatial else None, point, prior, feature, population, minor,
                weak, shrink)


def candidate_group(candidates: tuple[int, ...], facts: Facts) -> Group:
    """The :class:`Group` of a name's candidates (the facts come from ``facts.fact``, cached there)."""
    pairs = tuple((candidate, facts.fact(candidate)) for candidate in candidates)
    known = [fact for _candidate, fact in pairs]
    countries = {fact.country for fact in known}
    # in candidate order, not a set's: focus_country breaks a tie by the first vote, which must not
    # depend on the process's string hashing (two workers resolved one item differently)
    voters = tuple(dict.fromkeys(fact.country for fact in known if fact.country and not fact.minor))
    areas = [fact for fact in known if fact.feature in (ADMIN1_CLASS, NAMED_CLASS, COUNTRY_CLASS)]
    return Group(pairs=pairs, all_minor=all(fact.minor for fact in known),
                 any_minor=any(fact.minor for fact in known), any_weak=any(fact.weak for fact in known),
                 country=known[0].country if len(countries) == 1 else "", voters=voters,
                 area_countries=tuple(dict.fromkeys(fact.country for fact in areas)),
                 area_units=tuple(dict.fromkeys(unit for fact in areas
                                                for unit in (fact.admin1, fact.admin2) if unit)))


def _support(out: dict[tuple[int, ...], tuple[tuple[int, Fact], ...]], pending: list[tuple[int, ...]],
             groups: dict[tuple[int, ...], Group], evidence: _Evidence,
             containers: dict[tuple[int, ...], set[str]], context: Context,
             doubtful: set[tuple[int, ...]]) -> None:
    """Drop from ``out`` the ``pending`` groups' minor places nothing in the item points to."""
    countries = set(evidence.named_countries)
    countries.update(country for country in (context.hint, evidence.focus) if country)
    units = set(evidence.regions)
    for group in groups.values():
        countries.update(group.area_countries)
        units.update(group.area_units)
    for key in pending:
        inside = containers.get(key, _NOTHING)
        sure = key not in doubtful
        kept: list[tuple[int, Fact]] = []
        for pair in out[key]:
            fact = pair[1]
            if sure:    # a place that is not minor needs nothing; a minor one, its country or a unit named
                admin1 = fact.admin1
                if (fact.minor and fact.country not in countries and fact.country not in inside
                        and admin1 not in units and fact.admin2 not in units and admin1 not in inside):
                    continue
            elif fact.weak and (fact.minor or (fact.country not in countries and fact.country not in inside)):
                continue    # doubtful: a weak place only when not minor and its country is named
            kept.append(pair)
        out[key] = tuple(kept)


_NOTHING: Final[frozenset[str]] = frozenset()


def focus_country(mentions: Sequence[Mention], groups: dict[tuple[int, ...], Group]) -> str | None:
    """The country the item is about before resolution: the one most mentions can be in.

    Each mention whose capitals prove something votes for every country its
    candidates other than minor places are in, split evenly; a clear winner
    (more than a third of the votes) is the focus. A tie goes to the country voted
    for first (the earlier mention, then the candidates' order), in every process.
    """
    votes: dict[str, float] = {}
    total = 0.0
    for mention in mentions:
        if mention.doubtful:
            continue
        countries = groups[mention.candidates].voters
        if not countries:
            continue
        share = mention.weight / len(countries)
        total += mention.weight
        for country in countries:
            votes[country] = votes.get(country, 0.0) + share
    if not votes:
        return None
    best = max(votes, key=lambda c: votes[c])
    return best if votes[best] > total / 3 else None


def _add_place(evidence: _Evidence, group: int, fact: Fact) -> None:
    point, feature = fact.point, fact.feature
    if point is not None and feature != CONTINENT_CLASS:    # each group adds one place per pass
        evidence.points.append((group, point[0], point[1]))
    if feature == ADMIN1_CLASS:
        if fact.admin1 is not None:
            evidence.regions.add(fact.admin1)
    elif feature == ADMIN2_CLASS and fact.admin2 is not None:
        evidence.regions.add(fact.admin2)


def _containers(mentions: Sequence[Mention], text: str, groups: dict[tuple[int, ...], Group]
                ) -> dict[tuple[int, ...], set[str]]:
    """Candidates → countries and regions named right after them ("Hyderabad, Pakistan")."""
    out: dict[tuple[int, ...], set[str]] = {}
    for mention, following in pairwise(mentions):
        if following.start - mention.end > 3:
            continue
        between = text[mention.end:following.start]
        if between.strip() not in (",", "(", ", (", "،"):
            continue
        inside = out.setdefault(mention.candidates, set())
        for _candidate, fact in groups[following.candidates].pairs:
            inside.add(fact.country)
            feature = fact.feature
            if feature == ADMIN1_CLASS:
                if fact.admin1 is not None:
                    inside.add(fact.admin1)
            elif feature == ADMIN2_CLASS and fact.admin2 is not None:
                inside.add(fact.admin2)
    return out


def _choose(pairs: tuple[tuple[int, Fact], ...], group: int, evidence: _Evidence, container: set[str] | None,
            context: Context, *, share: bool = True) -> tuple[int, float, Fact]:
    """The best-scoring candidate (the first of equal ones), its softmax share (0.0 without ``share``), fact.

    The score (see the module docstring) is summed in one loop with the item's
    evidence read once per mention, not once per candidate: this runs for every
    ambiguous mention twice.
    """
    if len(pairs) == 1:
        return pairs[0][0], 1.0, pairs[0][1]
    points = [(lat, lon) for other, lat, lon in evidence.points if other != group]
    named, guessed, regions = evidence.named_countries, evidence.guessed_countries, evidence.regions
    hint, languages = context.hint, context.language_countries
    hypot = math.hypot
    scores: list[float] = []
    best, top = 0, 0.0
    for i, (_candidate, fact) in enumerate(pairs):
        country, admin1, admin2, point = fact.country, fact.admin1, fact.admin2, fact.point
        score, feature = fact.prior, fact.feature
        if country in named:
            score += NAMED_COUNTRY
        elif country in guessed:
            score += GUESSED_COUNTRY
        if country == hint:
            score += FEED_COUNTRY
        if country in languages:
            score += LANGUAGE_COUNTRY
        if container and (country in container or (admin1 is not None and admin1 in container)
                          or (admin2 is not None and admin2 in container)):
            score += CONTAINER
        # in a unit the text names: a town in its region or district, a district in its region
        if (feature == TOWN_CLASS and (admin1 in regions or admin2 in regions)) or (
                feature == ADMIN2_CLASS and admin1 in regions):
            score += NAMED_REGION
        if points and point is not None and feature != CONTINENT_CLASS:
            # equirectangular distance: within 1 % of the great circle where proximity still counts
            lat, lon = point
            nearest = min([hypot(((other_lon - lon + 180.0) % 360.0 - 180.0) * fact.shrink, other_lat - lat)
                           for other_lat, other_lon in points]) * _KM_PER_DEGREE
            score += PROXIMITY * math.exp(-nearest / PROXIMITY_KM)
        scores.append(score)
        if not i or score > top:         # the highest score; the first candidate of equal ones
            best, top = i, score
    if not share:
        return pairs[best][0], 0.0, pairs[best][1]
    total = sum(math.exp(score - top) for score in scores)
    return pairs[best][0], 1.0 / total, pairs[best][1]


_KM_PER_DEGREE: Final = math.pi * 6371.0088 / 180


@dataclass(frozen=True, slots=True)
class Primary:
    """The place an item is mainly about: country, region, district, town (a candidate) and the point."""

    country: str | None = None
    admin1: str | None = None
    city: int = -1
    point: tuple[float, float] | None = None
    admin2: str | None = None


def primary(mentions: Sequence[Mention], facts: Facts) -> Primary:
    """See the module docstring; ``mentions`` must be resolved."""
    votes: dict[str, float] = {}
    first: dict[str, int] = {}
    voting = [m for m in mentions if m.country and not m.metonymy] or [m for m in mentions if m.country]
    if len(voting) == 1:    # what the votes below come to for one mention (most RSS items)
        return _primary_of_one(voting[0], facts)
    for mention in voting:
        country = mention.country
        weight = mention.weight * (DEMONYM_VOTE if kind_of(mention.choice) == DEMONYM else 1.0)
        votes[country] = votes.get(country, 0.0) + weight * max(mention.confidence, 0.01)
        first.setdefault(country, mention.start)
    if not votes:
        return Primary()
    # (max() of one is that one: most items name one country, and max() with a key costs)
    country = next(iter(votes)) if len(votes) == 1 else max(votes, key=lambda c: (votes[c], -first[c]))
    inside = [m for m in voting if m.country == country]
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
    admin1 = (None if not region_votes else next(iter(region_votes)) if len(region_votes) == 1
              else max(region_votes, key=lambda r: region_votes[r]))
    if city_votes:
        in_region = [c for c in city_votes if admin1 is not None and cities[c].admin1 == admin1]
        towns = in_region or list(city_votes)
        city = (towns[0] if len(towns) == 1
                else max(towns, key=lambda c: (city_votes[c], facts.population_of(c))))
        if not in_region:
            admin1 = cities[city].admin1
        return Primary(country, admin1, city, cities[city].point, cities[city].admin2)
    areas = [m for m in inside if kind_of(m.choice) == REGION and m.point is not None
             and facts.feature_of(m.choice) != CONTINENT_CLASS]
    # a district in the chosen region first, then the region itself, then any other
    areas.sort(key=lambda m: (admin1 is not None and m.admin1 != admin1, m.admin2 is None, -m.weight,
                              m.start))
    chosen = areas[0] if areas else None
    return Primary(country, admin1 if chosen is None else chosen.admin1 or admin1, -1,
                   chosen.point if chosen else None, chosen.admin2 if chosen else None)


def _primary_of_one(mention: Mention, facts: Facts) -> Primary:
    """:func:`primary` of one voting mention: its town, else its area's point, else just its country."""
    kind = kind_of(mention.choice)
    if kind == CITY:
        return Primary(mention.country, mention.admin1, mention.choice, mention.point, mention.admin2)
    if kind == REGION and mention.point is not None and facts.feature_of(mention.choice) != CONTINENT_CLASS:
        return Primary(mention.country, mention.admin1, -1, mention.point, mention.admin2)
    return Primary(mention.country, mention.admin1, -1, None, None)
