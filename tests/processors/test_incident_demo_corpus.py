"""Fusion on the demo corpus itself, read as the collectors read it: the Kenya reports and the
hostile-post surge that ``make demo`` stages (demo/corpus/timeline.json)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import pytest

from collectors.config import FeedConfig
from collectors.feeds import parse_feed
from processors.enrich import Enricher
from processors.incidents.embedding import background_for, embedder_for, hashed_ngrams
from processors.incidents.fusion import Fuser, account_of
from tocsin.schema import CategoryHit, EnrichedItem, Item
from tocsin.settings import IncidentSettings, ProcessingSettings
from tocsin_embedded.corpus import corpus_dir, timeline

REFERENCE = datetime(2024, 1, 1, tzinfo=UTC)
"""The corpus's nominal "now" (timeline.json); the demo shifts every date by the same amount."""
SURGES = {surge["name"]: surge for surge in timeline()["surges"]}
CATTLE_RAID = "urn:tocsin:geovirus-125"  # cattle rustlers kill eleven near Isiolo
ELECTION_VIOLENCE = "urn:tocsin:geovirus-195"  # UN appeal for the victims of post-election violence
AID_WORKERS = "urn:tocsin:geovirus-89"  # six aid workers killed in South Sudan
CHOLERA = ("urn:tocsin:geovirus-84", "urn:tocsin:geovirus-86")


def corpus_items(feed: str, guids: Iterable[str]) -> dict[str, Item]:
    """The entries ``guids`` of a corpus feed as the collector makes items of them, by guid."""
    name = feed.removesuffix(".xml")
    outcome = parse_feed((corpus_dir() / feed).read_bytes(), collected=REFERENCE,
                         feed=FeedConfig(name=name, url=f"http://127.0.0.1:1/{feed}", language=feed[-6:-4]
                                         if name.startswith("social-") else "en"))
    wanted = {guid.rsplit("-", 1)[-1]: guid for guid in guids}
    found = {wanted[item.url.rsplit("/", 1)[-1]]: item for item in outcome.items
             if item.url and item.url.rsplit("/", 1)[-1] in wanted}
    assert len(found) == len(wanted), f"{feed} lacks {set(wanted.values()) - set(found)}"
    return found


def as_hit(item: EnrichedItem, category: str | None) -> EnrichedItem:
    """``item`` with a hit in ``category`` alone (None: no hit), whatever the classifiers said."""
    hits = {category: CategoryHit(score=0.9, classifier="test")} if category else {}
    return item.model_copy(update={"categories": hits})


@pytest.fixture(scope="module")
def cascade() -> Enricher:
    """The stream's own enrichment: places, and the encoder whose embeddings fusion compares."""
    return Enricher.from_settings(ProcessingSettings())


@pytest.fixture(scope="module")
def violence_news(cascade: Enricher) -> dict[str, EnrichedItem]:
    """The six reports the demo stages within one hour in East and Southern Africa, enriched."""
    items = corpus_items("wikinews-africa.xml", SURGES["violence-news"]["guids"])
    return dict(zip(items, cascade.enrich_many(list(items.values()), REFERENCE), strict=True))


def test_the_demo_kenya_reports_of_violence_form_one_kenya_incident_once_detected(
        cascade: Enricher, violence_news: dict[str, EnrichedItem]) -> None:
    """The violence detector misses both today (classification.md); fusion must not be what keeps
    them apart when it finds them. They are two events of one day in Kenya (a cattle raid near
    Isiolo; an appeal for the victims of the post-election violence, which names no region): at the
    shipped threshold fusion takes them for one incident, as it does same-day news of one place."""
    embed, name = embedder_for(cascade.classifiers)
    assert name.startswith("encoder/")
    fuser = Fuser(IncidentSettings(), embed, background=background_for(name))
    hits = {CATTLE_RAID, ELECTION_VIOLENCE, AID_WORKERS}
    fused = fuser.fuse([as_hit(item, "violence_report" if guid in hits else None)
                        for guid, item in violence_news.items()])
    incident_of = {guid: item.incident.id if item.incident else None
                   for guid, item in zip(violence_news, fused.items, strict=True)}
    assert incident_of[CATTLE_RAID] is not None and incident_of[CATTLE_RAID] == incident_of[ELECTION_VIOLENCE]
    assert incident_of[AID_WORKERS] not in {None, incident_of[CATTLE_RAID]}
    assert [incident_of[guid] for guid in CHOLERA] == [None, None]
    kenya = next(i for i in fused.incidents if i.id == incident_of[CATTLE_RAID])
    assert (kenya.country, kenya.item_count, kenya.independent_sources) == ("KE", 2, 1)
    assert kenya.category == "violence_report" and kenya.languages == ["en"]


def test_the_demo_hostile_post_surge_carries_no_amplification_flag_because_it_is_not_one() -> None:
    """The surge is 45 different posts (MLMA, repeated texts left out) from one feed that names no
    authors: near-identical text from many accounts it is not, and fusion must not say it is."""
    posts = corpus_items("social-en.xml", SURGES["hate-speech"]["guids"])
    assert {account_of(as_hit(_enriched(item), "hate_speech")) for item in posts.values()} == {"social-en"}
    fuser = Fuser(IncidentSettings(), hashed_ngrams)
    fused = fuser.fuse([as_hit(_enriched(item), "hate_speech") for item in posts.values()])
    assert len(fused.items) == 45
    assert [item.id for item in fused.items if item.amplification is not None] == []
    assert [i.id for i in fused.incidents if i.amplification is not None or i.amplified_items] == []
    copies = [item.id for item in fused.items if item.incident and item.incident.origin != "social-en"]
    assert copies == []


def _enriched(item: Item) -> EnrichedItem:
    """An item as enriched with no place and no hit (the amplification check reads neither)."""
    return EnrichedItem(**item.model_dump(), lang=item.lang_hint or "en", lang_confidence=1.0,
                        processed=REFERENCE)
