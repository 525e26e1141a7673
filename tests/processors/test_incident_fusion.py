"""Incident fusion: place, time and meaning decide; copies count once; replays change nothing."""

from __future__ import annotations

import numpy as np
import pytest

from processors.incidents.duplicates import DuplicateIndex, normalise
from processors.incidents.embedding import hashed_ngrams
from processors.incidents.fusion import Fuser
from tests.processors.incident_samples import KHARTOUM, NORTH_DARFUR, StoryEmbedder, enriched
from tocsin.schema import Place
from tocsin.settings import IncidentSettings

STORIES = {
    "kalma": ["kalma", "camp attack", "مخيم كلمة", "camp de kalma"],
    "market": ["market fire", "souk", "marché"],
}
ATTACK_EN = "Gunmen attacked Kalma camp. Twelve people were killed near the camp attack site on Monday."
ATTACK_AR = "هاجم مسلحون مخيم كلمة للنازحين وقتل اثنا عشر شخصا"
ATTACK_FR = "Des hommes armés ont attaqué le camp de Kalma, douze morts."
MARKET_EN = "A market fire destroyed stalls in the souk after shelling overnight."


def fuser(**settings: object) -> tuple[Fuser, StoryEmbedder]:
    embed = StoryEmbedder(STORIES)
    return Fuser(IncidentSettings(similarity=0.8, **settings), embed), embed  # type: ignore[arg-type]


def test_reports_of_one_attack_in_three_languages_form_one_incident() -> None:
    fusion, _ = fuser()
    fused = fusion.fuse(
        [
            enriched("a", ATTACK_EN, source="reuters", lang="en", labels={"armed_attack": 0.9}),
            enriched("b", ATTACK_AR, source="aljazeera", lang="ar", minutes=30, labels={"armed_attack": 0.8}),
            enriched("c", ATTACK_FR, source="rfi", lang="fr", minutes=90),
            enriched("d", MARKET_EN, source="reuters", minutes=60),
        ]
    )
    ids = [item.incident.id if item.incident else None for item in fused.items]
    assert ids[0] == ids[1] == ids[2] != ids[3]
    attack = next(i for i in fused.incidents if i.id == ids[0])
    assert attack.item_count == 3
    assert sorted(attack.languages) == ["ar", "en", "fr"]
    assert attack.independent_sources == 3
    assert attack.subtypes == {"armed_attack": 2}
    assert attack.first_seen.isoformat() == "2026-11-03T06:00:00+00:00"
    assert attack.last_seen.isoformat() == "2026-11-03T07:30:00+00:00"
    assert [p.items for p in attack.timeline] == [2, 1]
    assert attack.title in {ATTACK_EN.split(".")[0], ATTACK_AR, ATTACK_FR.split(".")[0]}
    assert len(fused.incidents) == 2


def test_place_and_time_keep_apart_what_meaning_alone_would_join() -> None:
    fusion, _ = fuser(window="6h", max_km=50)
    fused = fusion.fuse(
        [
            enriched("a", ATTACK_EN),
            enriched("far", ATTACK_EN + " Report two.", place=KHARTOUM, minutes=10),  # another region, 700 km
            enriched("near", ATTACK_FR, place=NORTH_DARFUR, minutes=20),  # another region, 1 km: joins
            enriched("later", ATTACK_AR, minutes=60 * 24),  # a day later: another incident
            enriched(
                "elsewhere", ATTACK_FR + " x", place={"country": "TD", "location": {"lat": 13.6, "lon": 25.3}}
            ),
            enriched("hate", ATTACK_EN + " y", category="hate_speech"),  # another category
        ]
    )
    incident = {item.id: item.incident.id for item in fused.items if item.incident}
    assert incident["near"] == incident["a"]
    assert len({incident[k] for k in ("a", "far", "later", "elsewhere", "hate")}) == 5


def test_items_without_a_fused_hit_are_left_alone() -> None:
    fusion, embed = fuser()
    fused = fusion.fuse([enriched("a", ATTACK_EN, category=""), enriched("b", ATTACK_EN, score=0.2)])
    assert [item.incident for item in fused.items] == [None, None]
    assert fused.incidents == [] and embed.calls == 0


def test_a_replayed_batch_changes_nothing() -> None:
    fusion, embed = fuser()
    batch = [enriched("a", ATTACK_EN, source="s1"), enriched("b", ATTACK_AR, source="s2", lang="ar")]
    first = fusion.fuse(batch)
    calls = embed.calls
    again = fusion.fuse(batch)
    assert [i.incident for i in again.items] == [i.incident for i in first.items]
    assert again.incidents == [] and embed.calls == calls
    assert fusion.incidents[first.items[0].incident.id].item_count == 2  # type: ignore[union-attr]


def test_a_restarted_worker_takes_its_incidents_back_from_their_records() -> None:
    fusion, _ = fuser()
    first = fusion.fuse([enriched("a", ATTACK_EN, source="s1"), enriched("b", ATTACK_AR, source="s2")])
    restarted, _ = fuser()
    restarted.restore(first.incidents)
    replay = restarted.fuse([enriched("b", ATTACK_AR, source="s2"), enriched("c", ATTACK_FR, source="s3")])
    assert {i.incident.id for i in replay.items} == {first.items[0].incident.id}  # type: ignore[union-attr]
    (incident,) = replay.incidents
    assert incident.item_count == 3 and incident.independent_sources == 3


def test_syndicated_copies_count_once_as_independent_sources() -> None:
    fusion, _ = fuser()
    copies = [
        enriched(
            f"copy{n}", "RT @wire: " + ATTACK_EN + " http://t.co/x" + str(n), source=f"site{n}", minutes=5 * n
        )
        for n in range(5)
    ]
    fused = fusion.fuse(
        [
            enriched("orig", ATTACK_EN, source="wire"),
            *copies,
            enriched("own", ATTACK_FR, source="rfi", minutes=40),
        ]
    )
    (incident,) = fused.incidents
    assert incident.item_count == 7
    assert sorted(incident.origins) == ["rfi", "wire"]
    assert incident.independent_sources == 2
    assert {item.incident.origin for item in fused.items[1:6]} == {"wire"}  # type: ignore[union-attr]


def test_a_burst_of_one_text_from_many_accounts_is_flagged_and_not_corroboration() -> None:
    fusion, _ = fuser(amplification_accounts=5, amplification_window="10m")
    slur = "These vermin must be driven out of Kalma tonight, every one of them."
    posts = [
        enriched(
            f"p{n}",
            slur + f" #{n}",
            source="mastodon",
            author=f"acct{n}",
            minutes=n * 0.8,
            category="hate_speech",
        )
        for n in range(8)
    ]
    fused = fusion.fuse(posts)
    flags = [item.amplification for item in fused.items]
    assert flags[:4] == [None] * 4
    assert all(flag is not None for flag in flags[4:])
    assert flags[-1].accounts == 8 and flags[-1].describe() == "8 accounts, 6 minutes, same text"  # type: ignore[union-attr]
    (incident,) = fused.incidents
    assert incident.amplification is not None and incident.amplification.accounts == 8
    assert incident.amplified_items == 4
    assert incident.independent_sources == 1


def test_slow_copies_from_many_accounts_are_no_burst() -> None:
    index = DuplicateIndex(window=600, accounts=5)
    text = "the same sentence posted again and again by different people"
    seen = [index.add(f"i{n}", text, source="s", account=f"a{n}", ts=n * 700.0) for n in range(8)]
    assert {s.cluster.id for s in seen if s.cluster} == {seen[0].cluster.id}  # type: ignore[union-attr]
    assert all(s.amplification is None for s in seen)


def test_different_texts_do_not_cluster_and_short_texts_are_not_compared() -> None:
    index = DuplicateIndex()
    a = index.add("a", ATTACK_EN, source="s", account="x", ts=0)
    b = index.add("b", MARKET_EN, source="t", account="y", ts=1)
    c = index.add("c", "ok", source="u", account="z", ts=2)
    assert a.cluster is not None and b.cluster is not None and a.cluster.id != b.cluster.id
    assert c.cluster is None and c.origin == "u"


def test_normalise_drops_what_copies_do_not_share() -> None:
    assert normalise("RT @Someone: Tués à KALMA!! https://t.co/abc") == "tues a kalma"


def test_hashed_ngrams_are_unit_vectors_that_rank_rewrites_first() -> None:
    vectors = hashed_ngrams([ATTACK_EN, ATTACK_EN.replace("Twelve", "12"), MARKET_EN, ""])
    assert np.allclose(np.linalg.norm(vectors[:3], axis=1), 1.0)
    assert not vectors[3].any()
    assert vectors[0] @ vectors[1] > 0.9 > vectors[0] @ vectors[2]


@pytest.mark.parametrize("max_open", [1, 2])
def test_memory_keeps_at_most_max_open_incidents(max_open: int) -> None:
    fusion, _ = fuser(max_open=max_open)
    fusion.fuse(
        [
            enriched("a", ATTACK_EN),
            enriched("b", MARKET_EN, minutes=1),
            enriched("c", ATTACK_EN, place=KHARTOUM, minutes=2),
        ]
    )
    assert len(fusion.incidents) == max_open


def test_unplaced_posts_join_only_as_copies_unless_asked() -> None:
    nowhere: dict[str, object] = {"country": None}
    posts = [enriched("a", ATTACK_EN, place=nowhere), enriched("b", ATTACK_FR, place=nowhere, minutes=5),
             enriched("c", "RT " + ATTACK_EN, place=nowhere, source="other", minutes=6)]
    by_default, _ = fuser()
    ids = [item.incident.id for item in by_default.fuse(posts).items]  # type: ignore[union-attr]
    assert ids[0] == ids[2] != ids[1]
    asked, _ = fuser(unplaced_similarity=0.8)
    ids = [item.incident.id for item in asked.fuse(posts).items]  # type: ignore[union-attr]
    assert ids[0] == ids[1] == ids[2]


def test_an_incident_names_its_region_as_its_first_placed_item_does() -> None:
    """The incident's admin1_name stayed empty when its first item had a region (the demo
    showed 'KE/KE-09' for the cattle raid near Isiolo, the API and dashboard no region name)."""
    first = enriched("a", ATTACK_EN)
    first = first.model_copy(update={"places": [
        first.places[0].model_copy(update={"admin1_name": "Central Darfur"}),
        Place(name="Sudan", matched="Sudan", kind="country", country="SD", lat=15.0, lon=30.0),
    ]})
    unnamed = enriched("b", ATTACK_FR, minutes=5)
    fusion, _ = fuser()
    fused = fusion.fuse([first, unnamed])
    incidents = [(i.admin1, i.admin1_name, i.item_count) for i in fused.incidents]
    assert incidents == [("SD.55", "Central Darfur", 2)]
