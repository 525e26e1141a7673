"""Disambiguation, confidence and the primary place, on a hand-made world (no gazetteer)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from processors.geo.resolve import (
    ADMIN1_CLASS,
    ADMIN2_CLASS,
    CITY,
    COUNTRY,
    COUNTRY_CLASS,
    DEMONYM,
    REGION,
    TOWN_CLASS,
    Context,
    Fact,
    Group,
    Mention,
    candidate_fact,
    candidate_group,
    primary,
    resolve,
)


@dataclass(frozen=True)
class Entry:
    kind: int
    country: str
    population: int
    point: tuple[float, float] | None = None
    admin1: str | None = None
    admin2: str | None = None


class World:
    """Candidates are indexes into a list of entries, encoded as the gazetteer does (index * 4 + kind)."""

    def __init__(self, **entries: Entry) -> None:
        self.entries = list(entries.values())
        self.ids = {name: i * 4 + entry.kind for i, (name, entry) in enumerate(entries.items())}

    def __getitem__(self, name: str) -> int:
        return self.ids[name]

    def _entry(self, candidate: int) -> Entry:
        return self.entries[candidate >> 2]

    def country_of(self, candidate: int) -> str:
        return self._entry(candidate).country

    def admin1_of(self, candidate: int) -> str | None:
        return self._entry(candidate).admin1

    def point_of(self, candidate: int) -> tuple[float, float] | None:
        return self._entry(candidate).point

    def population_of(self, candidate: int) -> int:
        return self._entry(candidate).population

    def admin2_of(self, candidate: int) -> str | None:
        return self._entry(candidate).admin2

    def feature_of(self, candidate: int) -> int:
        entry = self._entry(candidate)
        if entry.kind == CITY:
            return TOWN_CLASS
        if entry.kind == REGION:
            return ADMIN2_CLASS if entry.admin2 else ADMIN1_CLASS
        return COUNTRY_CLASS

    def fact(self, candidate: int) -> Fact:
        return candidate_fact(candidate, self)

    def group(self, candidates: tuple[int, ...]) -> Group:
        return candidate_group(candidates, self)


WORLD = World(
    hyderabad_in=Entry(CITY, "IN", 6_800_000, (17.38, 78.46), "IN.40"),
    hyderabad_pk=Entry(CITY, "PK", 1_400_000, (25.40, 68.38), "PK.05"),
    pakistan=Entry(COUNTRY, "PK", 220_000_000, (33.72, 73.04)),
    tripoli_ly=Entry(CITY, "LY", 1_150_000, (32.89, 13.19), "LY-TB"),
    tripoli_lb=Entry(CITY, "LB", 230_000, (34.44, 35.85), "LB.09"),
    tartus=Entry(CITY, "SY", 115_000, (34.89, 35.89), "SY-TA"),
    springfield_il=Entry(CITY, "US", 115_000, (39.80, -89.64), "US-IL"),
    springfield_mo=Entry(CITY, "US", 165_000, (37.22, -93.30), "US-MO"),
    illinois=Entry(REGION, "US", 9_000_000, (41.5, -88.3), "US-IL"),
    georgia=Entry(COUNTRY, "GE", 3_700_000, (41.69, 44.83)),
    georgia_us=Entry(REGION, "US", 5_000_000, (33.4, -84.0), "US-GA"),
    atlanta=Entry(CITY, "US", 500_000, (33.75, -84.39), "US-GA"),
    sudanese=Entry(DEMONYM, "SD", 41_000_000, (15.55, 32.53)),
    khartoum=Entry(CITY, "SD", 1_970_000, (15.55, 32.53), "SD-KH"),
    north_darfur=Entry(REGION, "SD", 700_000, (13.75, 25.17), "SD-DN"),
    el_fasher=Entry(CITY, "SD", 250_000, (13.63, 25.35), "SD-DN"),
    kyiv=Entry(CITY, "UA", 2_950_000, (50.45, 30.52), "UA-30"),
)


def mention(start: int, *names: str, text_end: int | None = None, weight: float = 1.0,
            reliability: float = 1.0) -> Mention:
    end = text_end if text_end is not None else start + 5
    return Mention(start, end, tuple(sorted(WORLD[name] for name in names)), weight, reliability)


NO_CONTEXT = Context()


def resolved(mentions: list[Mention], context: Context = NO_CONTEXT, text: str = "") -> list[Mention]:
    resolve(mentions, WORLD, context, text)
    return mentions


def test_population_prior_picks_the_larger_namesake_with_a_confidence_below_one() -> None:
    [only] = resolved([mention(0, "hyderabad_in", "hyderabad_pk")])
    assert only.choice == WORLD["hyderabad_in"]
    assert 0.5 < only.confidence < 0.9


def test_a_named_country_outweighs_the_population_prior() -> None:
    hyderabad, _pakistan = resolved([mention(0, "hyderabad_in", "hyderabad_pk"), mention(40, "pakistan")])
    assert hyderabad.choice == WORLD["hyderabad_pk"]
    assert hyderabad.country == "PK"


def test_the_feed_country_is_a_prior() -> None:
    [only] = resolved([mention(0, "hyderabad_in", "hyderabad_pk")], Context(hint="PK"))
    assert only.choice == WORLD["hyderabad_pk"]


def test_language_countries_are_a_weak_prior() -> None:
    [alone] = resolved([mention(0, "tripoli_ly", "tripoli_lb")],
                       Context(language_countries=frozenset({"LB"})))
    assert alone.choice == WORLD["tripoli_ly"]      # +0.5 does not beat a five-fold population


def test_proximity_to_another_resolved_place_decides() -> None:
    # Tartus is in Syria, so no country is named for either Tripoli: only distance helps.
    tripoli, tartus = resolved([mention(0, "tripoli_ly", "tripoli_lb"), mention(20, "tartus")])
    assert tripoli.choice == WORLD["tripoli_lb"]
    assert tartus.confidence == 1.0


def test_without_a_neighbour_the_larger_tripoli_wins() -> None:
    [tripoli] = resolved([mention(0, "tripoli_ly", "tripoli_lb")])
    assert tripoli.choice == WORLD["tripoli_ly"]


def test_a_container_after_a_comma_decides() -> None:
    text = "Springfield, Illinois"
    springfield, _illinois = resolved(
        [mention(0, "springfield_il", "springfield_mo", text_end=11), Mention(13, 21, (WORLD["illinois"],))],
        text=text)
    assert springfield.choice == WORLD["springfield_il"]


def test_without_the_comma_the_region_still_helps_as_context() -> None:
    springfield, _ = resolved([mention(0, "springfield_il", "springfield_mo", text_end=11),
                               Mention(40, 48, (WORLD["illinois"],))], text="Springfield" + " " * 40)
    assert springfield.choice == WORLD["springfield_il"]


def test_a_country_name_beats_a_same_named_region_without_context() -> None:
    [georgia] = resolved([mention(0, "georgia", "georgia_us")])
    assert georgia.choice == WORLD["georgia"]


def test_american_context_makes_georgia_the_state() -> None:
    _atlanta, georgia = resolved([mention(0, "atlanta"), mention(20, "georgia", "georgia_us")])
    assert georgia.choice == WORLD["georgia_us"]
    assert georgia.admin1 == "US-GA"


def test_the_same_name_twice_is_one_place() -> None:
    first, second = resolved([mention(0, "tripoli_ly", "tripoli_lb"),
                              mention(30, "tripoli_ly", "tripoli_lb")])
    assert first.choice == second.choice


def test_confidence_is_probability_times_reliability() -> None:
    [only] = resolved([mention(0, "khartoum", reliability=0.75)])
    assert (only.probability, only.confidence) == (1.0, 0.75)


@pytest.mark.parametrize("reliability", [0.0, 0.3, 1.0])
def test_confidence_stays_in_the_unit_interval(reliability: float) -> None:
    for item in resolved([mention(0, "hyderabad_in", "hyderabad_pk", reliability=reliability),
                          mention(20, "pakistan")]):
        assert 0.0 <= item.confidence <= 1.0


def test_primary_is_the_most_mentioned_country_then_its_region_then_its_city() -> None:
    mentions = resolved([mention(0, "sudanese"), mention(10, "north_darfur"), mention(30, "el_fasher"),
                         mention(50, "khartoum"), mention(70, "kyiv")])
    chosen = primary(mentions, WORLD)
    assert (chosen.country, chosen.admin1, chosen.city) == ("SD", "SD-DN", WORLD["el_fasher"])
    assert chosen.point == (13.63, 25.35)


def test_title_mentions_weigh_double_in_the_primary_country() -> None:
    mentions = resolved([mention(0, "kyiv", weight=2.0), mention(30, "khartoum")])
    assert primary(mentions, WORLD).country == "UA"


def test_a_region_alone_gives_its_point_and_a_country_alone_none() -> None:
    assert primary(resolved([mention(0, "north_darfur")]), WORLD).point == (13.75, 25.17)
    alone = primary(resolved([mention(0, "pakistan")]), WORLD)
    assert (alone.country, alone.admin1, alone.city, alone.point) == ("PK", None, -1, None)


def test_no_mentions_no_primary() -> None:
    assert primary([], WORLD).country is None


def test_a_tied_focus_country_is_the_same_in_every_process() -> None:
    """Georgia (the country) and Georgia (the state) split a lone mention's vote: the tie goes to the
    first candidate, not to the order Python's per-process string hashing gives a set (two workers
    resolved the same item differently)."""
    script = (
        "from processors.geo.resolve import focus_country\n"
        "from tests.processors.test_geo_resolve import WORLD, mention\n"
        "m = mention(0, 'georgia', 'georgia_us')\n"
        "print(focus_country([m], {m.candidates: WORLD.group(m.candidates)}))\n"
    )
    answers = set()
    for seed in range(8):
        run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONHASHSEED": str(seed)}, cwd=Path(__file__).parents[2])
        answers.add(run.stdout.strip())
    assert answers == {"GE"}


@pytest.mark.parametrize("name", ["khartoum", "north_darfur", "pakistan", "sudanese", "illinois", "kyiv"])
def test_the_primary_place_of_one_mention_is_what_its_votes_give(name: str) -> None:
    """primary() takes a short cut for one voting mention: a second mention of the same name (which
    goes through the vote tables) must give the same primary place."""
    once = resolved([mention(0, name)])
    twice = resolved([mention(0, name), mention(20, name)])
    assert primary(once, WORLD) == primary(twice, WORLD)
    assert primary(once, WORLD).country == WORLD.country_of(WORLD[name])
    assert (primary(once, WORLD).city >= 0) == (WORLD._entry(WORLD[name]).kind == CITY)
